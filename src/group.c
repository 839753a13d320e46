/*
 * group.c - the plan: which files are compared with which.
 *
 *   1. sort the walk's files by (device, size, entry key): a size group
 *      of one is never opened (entry.c);
 *   2. merge each size group's paths into entries: one per inode (and per
 *      name with -f, per directory part with -d), as util-linux does;
 *   3. sort the entries by (attribute key, master preference) (policy.c):
 *      each run of equal keys goes to the engine in preference order
 *      (classify.c) and comes back as content classes whose first member
 *      is the master, to be acted on (act.c).
 *
 * The result (which paths share an inode; Files, Linked, Saved) equals
 * util-linux's, at O(k log k) per group instead of O(k^2) comparisons.
 */
#include "group.h"

#include <stdlib.h>

#include "entry.h"
#include "opts.h"
#include "output.h"
#include "policy.h"
#include "util.h"

/* Splits one size group into attribute runs and queues them. */
static void
plan_size_group(struct policy *pol, struct sizegroup *g, struct classifier *c)
{
	struct ent **m = xmalloc(g->n * sizeof(*m));
	struct pathbuf pb = {0};

	for (size_t i = 0; i < g->n; i++)
		m[i] = &g->ents[i];
	policy_sort(pol, m, g->n);
	for (size_t i = 0, j; i < g->n; i = j) {
		struct members mb = {m + i, 0};

		for (j = i + 1; j < g->n && !policy_cmp_attrs(pol, m[i], m[j]);
		     j++)
			;
		mb.n = j - i;
		if (mb.n == 1) {
			const struct fent *f = ent_f(m[i]);

			verbose(3, "Skipped (attributes mismatch) %s",
				path_of(&pb, fent_dir(f), f->name));
			continue;
		}
		classify_run(c, &mb);
	}
	pathbuf_release(&pb);
	classify_group_done(c, g, m);
}

void
group_run(struct run *r, struct filelist *fl, struct classifier *c)
{
	uint32_t *order;
	struct policy pol;

	/* the walk's list grew by doubling: give back what it did not use */
	if (fl->n && fl->cap > fl->n) {
		fl->p = xrealloc(fl->p, fl->n * sizeof(*fl->p));
		fl->cap = fl->n;
	}
	order = fl->p; /* sorted in place */
	policy_init(&pol, &opts);
	entries_sort(&pol, order, fl->n);
	for (size_t i = 0, j; i < fl->n; i = j) {
		const struct fent *f = fent_at(order[i]);

		for (j = i + 1; j < fl->n; j++) {
			const struct fent *g = fent_at(order[j]);

			if (g->size != f->size ||
			    (g->meta != f->meta && fent_dev(g) != fent_dev(f)))
				break;
		}
		if (j - i > 1) {
			struct sizegroup g;

			entries_build(&g, &pol, order + i, j - i);
			if (g.n > 1)
				plan_size_group(&pol, &g, c);
			else
				sizegroup_release(&g);
		}
		run_poll(r);
	}
	classify_flush(c);
	policy_release(&pol);
}
