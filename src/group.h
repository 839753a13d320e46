/*
 * group.h - the plan: the walk's files into size groups, entries and
 * attribute runs, handed to the classifier.
 */
#ifndef HL_GROUP_H
#define HL_GROUP_H

#include "classify.h"
#include "run.h"

/*
 * Sorts fl->p in place and queues every attribute run of two entries or
 * more on c, size group by size group, in ascending (device, size)
 * order; polls the run between size groups.  Flushes c at the end.
 */
void group_run(struct run *r, struct filelist *fl, struct classifier *c);

#endif /* HL_GROUP_H */
