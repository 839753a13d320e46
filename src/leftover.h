/*
 * leftover.h - temporaries of interrupted runs, found by the walk.
 */
#ifndef HL_LEFTOVER_H
#define HL_LEFTOVER_H

#include "run.h"

/*
 * Deals with fl->temps (main thread, after the walk, before the plan):
 * in a dry run they are only named (-vv).  Otherwise one with two links
 * or more, a link to a master whose other name survives, is removed, and
 * the records of its inode's other paths are refreshed (link count,
 * ctime); one with a single link, the bytes of a duplicate that was
 * being replaced, is removed only when the engine finds another file of
 * its device with the same bytes, else kept with a warning.
 */
void leftover_resolve(struct run *r, struct filelist *fl);

#endif /* HL_LEFTOVER_H */
