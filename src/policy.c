/*
 * policy.c - the attribute key and the master preference (see policy.h).
 */
#include "policy.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

void
policy_init(struct policy *p, const struct options *o)
{
	*p = (struct policy){
		.ign_mode = o->ign_mode,
		.ign_owner = o->ign_owner,
		.ign_time = o->ign_time,
		.respect_name = o->respect_name,
		.respect_dir = o->respect_dir,
		.maximize = o->maximize,
		.minimize = o->minimize,
		.prio_trees = o->prio_trees,
		.keep_oldest = o->keep_oldest,
	};
}

void
policy_release(struct policy *p)
{
	pathbuf_release(&p->pa);
	pathbuf_release(&p->pb);
}

/* Compares the directory parts of x and y (-d), as util-linux measures. */
static int
cmp_dirpart(struct policy *p, const struct fent *x, const struct fent *y)
{
	if (x->dir == y->dir)
		return 0;
	return strcmp(dirpart_of(&p->pa, fent_dir(x)),
		      dirpart_of(&p->pb, fent_dir(y)));
}

int
policy_cmp_entry(struct policy *p, const struct fent *x, const struct fent *y)
{
	int r;

	if (x->meta != y->meta && fent_dev(x) != fent_dev(y))
		return fent_dev(x) < fent_dev(y) ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	if (p->respect_name && (r = strcmp(x->name, y->name)))
		return r;
	if (p->respect_dir && (r = cmp_dirpart(p, x, y)))
		return r;
	/* then by name, so equal paths are neighbours; then first found */
	if ((r = strcmp(x->name, y->name)))
		return r;
	return CMP(x->seq, y->seq);
}

int
policy_same_entry(struct policy *p, const struct fent *x, const struct fent *y)
{
	if (x->ino != y->ino || fent_dev(x) != fent_dev(y))
		return 0;
	if (p->respect_name && strcmp(x->name, y->name))
		return 0;
	return !p->respect_dir || !cmp_dirpart(p, x, y);
}

int
policy_cmp_attrs(struct policy *p, const struct ent *a, const struct ent *b)
{
	const struct fent *x = ent_f(a), *y = ent_f(b);
	int r = 0;

	if (!p->ign_mode && (r = CMP(fent_mode(x), fent_mode(y))))
		return r;
	if (!p->ign_owner && ((r = CMP(fent_uid(x), fent_uid(y))) ||
			      (r = CMP(fent_gid(x), fent_gid(y)))))
		return r;
	if (!p->ign_time &&
	    (r = CMP(fent_mtime(x).tv_sec, fent_mtime(y).tv_sec)))
		return r;
	if (p->respect_name && (r = strcmp(x->name, y->name)))
		return r;
	if (p->respect_dir && (r = cmp_dirpart(p, x, y)))
		return r;
	return 0; /* xattrs are compared after the contents: act.c */
}

int
policy_cmp_pref(const struct policy *p, const struct ent *a,
		const struct ent *b)
{
	const struct fent *x = ent_f(a), *y = ent_f(b);
	int r = 0;

	if (p->maximize && (r = CMP(b->nlink, a->nlink)))
		return r;
	if (p->minimize && (r = CMP(a->nlink, b->nlink)))
		return r;
	if (p->prio_trees && (r = CMP(a->op, b->op)))
		return r;
	r = p->keep_oldest ? CMP(fent_mtime(x).tv_sec, fent_mtime(y).tv_sec)
			   : CMP(fent_mtime(y).tv_sec, fent_mtime(x).tv_sec);
	if (r)
		return r;
	return CMP(x->ino, y->ino);
}

static int
cmp_key_pref(const void *a, const void *b, void *arg)
{
	const struct ent *x = *(struct ent *const *)a;
	const struct ent *y = *(struct ent *const *)b;
	int r = policy_cmp_attrs(arg, x, y);

	return r ? r : policy_cmp_pref(arg, x, y);
}

void
policy_sort(struct policy *p, struct ent **v, size_t n)
{
	if (n > 1)
		qsort_r(v, n, sizeof(*v), cmp_key_pref, p);
}
