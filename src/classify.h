/*
 * classify.h - the engine driver: attribute runs in, content classes out.
 *
 * Runs are queued in batches, so that the engine can classify small
 * groups on several threads at once (hl_engine_classify_batch); the
 * results are then handed, one run at a time and in the order queued,
 * to the act callback, on the calling thread.  Files that could not be
 * read are reported here ("hardlink: PATH: ...") and left out.
 *
 * Calling sequence (main thread):
 *
 *	c = classify_new(r, act, arg);
 *	for each size group g:
 *		classify_run(c, &members) for each of its attribute runs;
 *		classify_group_done(c, &g, runs);  (ownership of g passes)
 *	classify_flush(c);
 *	classify_free(c);
 */
#ifndef HL_CLASSIFY_H
#define HL_CLASSIFY_H

#include <stddef.h>

#include "entry.h"
#include "run.h"

/* An attribute run: entries that may merge, in preference order. */
struct members {
	struct ent **m;
	size_t n;
};

/*
 * Called per run once classified: cls[i] is hl_engine_classify's class
 * of m[i] (HL_NOCLASS for a file that could not be read).
 */
typedef void classify_act_fn(void *arg, const struct members *mb,
			     const size_t *cls);

struct classifier;

/*
 * Makes the run's engine (r->eng) from the options (-j as r->threads,
 * --io-size, --cache-size) with max_open descriptors, stopped when poll
 * (any of its threads) returns non-zero; fatal() when it cannot.
 */
void classify_engine(struct run *r, unsigned max_open, int (*poll)(void *));
struct classifier *classify_new(struct run *r, classify_act_fn *act, void *arg);
/* Queues a run; mb->m must stay valid until the group is done. */
void classify_run(struct classifier *c, const struct members *mb);
/*
 * The runs of size group g, all in one array (runs), are queued: both
 * are freed once acted on.  Flushes when the batch is full.
 */
void classify_group_done(struct classifier *c, struct sizegroup *g,
			 struct ent **runs);
/* Classifies and acts on everything queued. */
void classify_flush(struct classifier *c);
void classify_free(struct classifier *c);

#endif /* HL_CLASSIFY_H */
