/*
 * walk.h - find the regular files under the operands.
 */
#ifndef HL_WALK_H
#define HL_WALK_H

#include <stdint.h>

#include "run.h"

/*
 * Walks one operand (number op), appending its files to fl in the order
 * of a one-thread depth-first walk whatever the number of threads
 * (r->threads, at most 8 of them walk).  Counts r->files_seen as it goes
 * and polls the run (run_poll) per entry; changes nothing on disk.
 */
void walk_operand(struct run *r, struct filelist *fl, const char *operand,
		  uint32_t op);
/*
 * The walk of one directory, for a walk spread over processes (src/mpi):
 * d (a node of the operand's tree, path_open'ed, without following a
 * symlink) is read as walk_operand reads each directory: its files go
 * to fl in the same order, its temporaries to fl->temps, and its
 * subdirectories are handed to sub(arg, node), in the order the one-
 * thread walk enters them, none entered.  rootdev: the operand's device
 * (for -x).  An unreadable directory is a warning, nothing more.
 */
typedef void walk_sub_fn(void *arg, struct dnode *sub);
void walk_dir(struct run *r, struct filelist *fl, struct dnode *d,
	      uint64_t rootdev, walk_sub_fn *sub, void *arg);
/* Is name one of our temporaries (TMP_PREFIX, TMP_RANDOM alphanumerics)? */
int is_temp_name(const char *name);

#endif /* HL_WALK_H */
