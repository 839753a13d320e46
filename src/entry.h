/*
 * entry.h - the unit the policy decides on: an entry is one inode (or,
 * with -f or -d, one inode and name or directory part) with all the paths
 * the walk found for it.
 */
#ifndef HL_ENTRY_H
#define HL_ENTRY_H

#include <stddef.h>
#include <stdint.h>

#include "replace.h"
#include "run.h"
#include "xattr.h"

struct policy;

struct ent {
	/* fent_ref()s into the walk's list, newest first, as util-linux */
	uint32_t *paths;
	struct rstate *rs; /* shared by the entries of one inode */
	struct xattrs *xa; /* read only once its contents matched (ent_xa) */
	uint32_t npaths;
	uint32_t nlink;	       /* virtual: updated as we link */
	uint32_t op;	       /* operand of the first path found */
	unsigned char xa_none; /* atomic: the engine's open saw no xattrs */
};

/* e's xattrs, once read: NULL stands for none, as most files have. */
static inline const struct xattrs *
ent_xa(const struct ent *e)
{
	static const struct xattrs none = {0};

	return e->xa ? e->xa : &none;
}

/* Reads e's xattrs (all of them, or only the security ones) once. */
void ent_load_xattrs(struct ent *e, int all);

/* Path record i of e. */
static inline struct fent *
ent_path_f(const struct ent *e, uint32_t i)
{
	return fent_at(e->paths[i]);
}

/* The first path record of e (its newest path). */
static inline struct fent *
ent_f(const struct ent *e)
{
	return ent_path_f(e, 0);
}

/* The entries of one size group, alive until the group was acted on. */
struct sizegroup {
	struct ent *ents;
	size_t n;
	struct rstate *rsv; /* the inodes' states */
};

/*
 * Sorts the walk's files by device and size, then by entry (the policy's
 * key), so that each size group is one stretch of whole entries.
 */
void entries_sort(struct policy *pol, uint32_t *v, size_t n);
/*
 * Makes the entries of one size group, p[0..np-1] as entries_sort left
 * them (reordering each entry's paths, dropping paths given twice with a
 * -vv line).
 */
void entries_build(struct sizegroup *g, struct policy *pol, uint32_t *p,
		   size_t np);
void sizegroup_release(struct sizegroup *g);

#endif /* HL_ENTRY_H */
