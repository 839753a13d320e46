/*
 * entry.c - from the walk's path records to entries, size group by size
 * group.
 *
 * The records are sorted by (device, size, entry key) once; each size
 * group of two or more is then one stretch of whole entries: merged here
 * into one struct ent per inode (per name with -f, per directory part
 * with -d), as util-linux does.  Entries exist only while their size
 * group waits to be acted on, so memory holds the walk's records plus
 * one batch of entries.
 */
#include "entry.h"

#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "policy.h"
#include "util.h"

static int
cmp_size_entry(const void *a, const void *b, void *arg)
{
	const struct fent *x = fent_at(*(const uint32_t *)a);
	const struct fent *y = fent_at(*(const uint32_t *)b);

	if (x->meta != y->meta && fent_dev(x) != fent_dev(y))
		return fent_dev(x) < fent_dev(y) ? -1 : 1;
	if (x->size != y->size)
		return x->size < y->size ? -1 : 1;
	return policy_cmp_entry(arg, x, y);
}

void
entries_sort(struct policy *pol, uint32_t *v, size_t n)
{
	if (n > 1) /* no list at all when the walk found nothing */
		qsort_r(v, n, sizeof(*v), cmp_size_entry, pol);
}

/*
 * Drops paths seen twice (same operand twice, or nested operands).  The
 * run is sorted by name, so a repeated path is next to its twin among the
 * paths of the same name: no quadratic work for an inode with 65,000 links.
 */
static uint32_t
drop_repeats(struct pathbuf *pa, struct pathbuf *pb, uint32_t *p, uint32_t n)
{
	uint32_t w = 0;

	for (uint32_t i = 0, first = 0; i < n; i++) {
		const struct fent *f = fent_at(p[i]);
		int dup = 0;

		if (w && strcmp(f->name, fent_at(p[w - 1])->name))
			first = w;
		for (uint32_t j = first; j < w && !dup; j++) {
			const struct fent *g = fent_at(p[j]);

			dup = !strcmp(path_of(pa, fent_dir(f), f->name),
				      path_of(pb, fent_dir(g), g->name));
		}
		if (dup)
			verbose(2, "Skipped (specified more than once) %s",
				path_of(pa, fent_dir(f), f->name));
		else
			p[w++] = p[i];
	}
	return w;
}

static int
cmp_seq_desc(const void *a, const void *b)
{
	const struct fent *x = fent_at(*(const uint32_t *)a);
	const struct fent *y = fent_at(*(const uint32_t *)b);

	return x->seq > y->seq ? -1 : x->seq < y->seq;
}

void
entries_build(struct sizegroup *g, struct policy *pol, uint32_t *p, size_t np)
{
	struct pathbuf pa = {0}, pb = {0};
	size_t n = 0, nrs = 0;

	g->ents = xcalloc(np, sizeof(*g->ents));
	g->rsv = xcalloc(np, sizeof(*g->rsv));
	for (size_t i = 0, j; i < np; i = j) {
		struct ent *e = &g->ents[n];

		for (j = i + 1; j < np && policy_same_entry(pol, fent_at(p[i]),
							    fent_at(p[j]));
		     j++)
			;
		e->paths = p + i;
		e->npaths = (uint32_t)(j - i);
		if (e->npaths > 1) {
			e->npaths = drop_repeats(&pa, &pb, e->paths, e->npaths);
			qsort(e->paths, e->npaths, sizeof(*e->paths),
			      cmp_seq_desc);
		}
		e->op = fent_op(ent_path_f(e, e->npaths - 1));
		e->nlink = fent_nlink(ent_f(e));
		/* with -f or -d one inode may be several entries */
		if (n && ent_f(&g->ents[n - 1])->ino == ent_f(e)->ino &&
		    fent_dev(ent_f(&g->ents[n - 1])) == fent_dev(ent_f(e))) {
			e->rs = g->ents[n - 1].rs;
		} else {
			e->rs = &g->rsv[nrs++];
			e->rs->f = ent_f(e);
		}
		n++;
	}
	g->n = n;
	pathbuf_release(&pa);
	pathbuf_release(&pb);
}

void
ent_load_xattrs(struct ent *e, int all)
{
	struct xattrs x = {0};

	if (e->xa)
		return;
	xattrs_load(&x, ent_f(e), all);
	if (x.blob || x.len || x.err) {
		e->xa = xmalloc(sizeof(*e->xa));
		*e->xa = x;
	}
}

void
sizegroup_release(struct sizegroup *g)
{
	for (size_t k = 0; k < g->n; k++) {
		if (g->ents[k].xa) {
			xattrs_release(g->ents[k].xa);
			free(g->ents[k].xa);
		}
	}
	free(g->ents);
	free(g->rsv);
	*g = (struct sizegroup){0};
}
