/*
 * pool.h - a fixed set of worker threads that share out the items of one
 * job at a time (internal to the engine).
 */
#ifndef HL_POOL_H
#define HL_POOL_H

#include <stddef.h>

struct pool;

/* fn(arg, item, worker): worker is 0 for the calling thread, 1.. others */
typedef void pool_fn(void *arg, size_t item, unsigned worker);

/* A pool of nthreads threads in all, the caller included; NULL on error. */
struct pool *pool_new(unsigned nthreads);
void pool_free(struct pool *p);
unsigned pool_size(const struct pool *p);

/* Runs fn for items 0..n-1 on all threads; returns when all are done. */
void pool_run(struct pool *p, pool_fn *fn, void *arg, size_t n);

#endif
