/*
 * policy.h - which files may replace which, and which one is kept.
 *
 * util-linux hardlink takes each file of a (device, size) group in turn as
 * master and compares it with every later file that passes the attribute
 * checks.  Because every check is an equality (mode, owner, mtime second,
 * name, directory part, xattrs), the files it ends up merging are exactly
 * the classes of (attributes, content), each merged into its most
 * preferred member.  The policy is those two orders:
 *
 *   - the attribute key (policy_cmp_attrs): entries may share an inode
 *     only when it compares equal (xattrs are compared later, only for
 *     entries whose contents matched, see act.c);
 *   - the master preference (policy_cmp_pref): -m, then -M (link
 *     counts), then -F (earliest operand), then the newest mtime in whole
 *     seconds (-O: oldest), then the lowest inode number.
 *
 * Pure functions of the records and the options, apart from the scratch
 * buffers of -d: a struct policy is used by one thread at a time.
 */
#ifndef HL_POLICY_H
#define HL_POLICY_H

#include <stddef.h>

#include "entry.h"
#include "names.h"
#include "opts.h"
#include "run.h"

struct policy {
	int ign_mode, ign_owner, ign_time; /* -p, -o, -t */
	int respect_name, respect_dir;	   /* -f, -d */
	int maximize, minimize;		   /* -M, -m */
	int prio_trees, keep_oldest;	   /* -F, -O */
	struct pathbuf pa, pb;		   /* scratch for -d */
};

/* The policy of the options o (after -c resolved); overwrites *p. */
void policy_init(struct policy *p, const struct options *o);
void policy_release(struct policy *p);

/*
 * Entry keys: device, inode, then the name (-f) and directory part (-d).
 * policy_cmp_entry orders by that key, then by name and discovery order,
 * so that a path given twice lies next to its twin.
 */
int policy_cmp_entry(struct policy *p, const struct fent *x,
		     const struct fent *y);
int policy_same_entry(struct policy *p, const struct fent *x,
		      const struct fent *y);

/* Attribute keys: 0 when a and b may be merged if their bytes match. */
int policy_cmp_attrs(struct policy *p, const struct ent *a,
		     const struct ent *b);

/* Negative when a makes the better master (util-linux's file_compare). */
int policy_cmp_pref(const struct policy *p, const struct ent *a,
		    const struct ent *b);

/*
 * Sorts the entries of a size group by attribute key, then preference:
 * each run of equal keys holds its best master first.
 */
void policy_sort(struct policy *p, struct ent **v, size_t n);

#endif /* HL_POLICY_H */
