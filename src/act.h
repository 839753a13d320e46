/*
 * act.h - content classes into links (or, with -l, into the listing).
 *
 * For each class a content run yields (classify.h), in preference order:
 * the xattrs are compared where the options ask (all with -X, the
 * security ones unless -c), each sub-class keeps its first member, and
 * every path of every other member is replaced through replace.c by a
 * link to it, a clone, or a deduplicated copy (--reflink).  -v lines,
 * the counters and the report events (report.h) follow what was done.
 * Main thread only.
 */
#ifndef HL_ACT_H
#define HL_ACT_H

#include <stddef.h>

#include "classify.h"
#include "run.h"

struct actor;

struct actor *act_new(struct run *r);
void act_free(struct actor *a);
/* classify_act_fn: acts on the classes of one attribute run. */
void act_run(void *actor, const struct members *mb, const size_t *cls);

#endif /* HL_ACT_H */
