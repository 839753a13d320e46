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
/* Is name one of our temporaries (TMP_PREFIX, TMP_RANDOM alphanumerics)? */
int is_temp_name(const char *name);

#endif /* HL_WALK_H */
