/*
 * pool.c - worker threads for the engine.
 *
 * The caller publishes one job (a function and a count of items), wakes the
 * workers, and takes items itself; items are handed out one at a time from
 * an atomic counter, since each is a whole file read or a whole group.
 * Threads are created once and reused, so a job costs a wake-up, not a
 * thread creation.
 */
#include "pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "banned.h"

struct pool {
	pthread_t *th;
	unsigned nth; /* worker threads, the caller not counted */
	pthread_mutex_t mu;
	pthread_cond_t go, done;
	unsigned long gen;
	unsigned busy;
	int stop;
	pool_fn *fn;
	void *arg;
	size_t n;
	atomic_size_t next;
};

struct start {
	struct pool *p;
	unsigned id;
};

static void
work(struct pool *p, unsigned id)
{
	size_t i;

	while ((i = atomic_fetch_add(&p->next, 1)) < p->n)
		p->fn(p->arg, i, id);
}

static void *
worker(void *arg)
{
	struct start *s = arg;
	struct pool *p = s->p;
	unsigned id = s->id;
	unsigned long seen = 0;

	free(s);
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (p->gen == seen && !p->stop)
			pthread_cond_wait(&p->go, &p->mu);
		if (p->stop)
			break;
		seen = p->gen;
		pthread_mutex_unlock(&p->mu);
		work(p, id);
		pthread_mutex_lock(&p->mu);
		if (--p->busy == 0)
			pthread_cond_signal(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

struct pool *
pool_new(unsigned nthreads)
{
	struct pool *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->go, NULL);
	pthread_cond_init(&p->done, NULL);
	p->th = calloc(nthreads ? nthreads : 1, sizeof(*p->th));
	if (!p->th) {
		free(p);
		return NULL;
	}
	for (unsigned i = 1; i < nthreads; i++) {
		struct start *s = malloc(sizeof(*s));

		if (!s)
			break;
		*s = (struct start){p, i};
		if (pthread_create(&p->th[p->nth], NULL, worker, s) != 0) {
			free(s);
			break;
		}
		p->nth++;
	}
	return p;
}

void
pool_free(struct pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->go);
	pthread_mutex_unlock(&p->mu);
	for (unsigned i = 0; i < p->nth; i++)
		pthread_join(p->th[i], NULL);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->go);
	pthread_cond_destroy(&p->done);
	free(p->th);
	free(p);
}

unsigned
pool_size(const struct pool *p)
{
	return p->nth + 1;
}

void
pool_run(struct pool *p, pool_fn *fn, void *arg, size_t n)
{
	if (!p->nth || n < 2) {
		for (size_t i = 0; i < n; i++)
			fn(arg, i, 0);
		return;
	}
	pthread_mutex_lock(&p->mu);
	p->fn = fn;
	p->arg = arg;
	p->n = n;
	atomic_store(&p->next, 0);
	p->busy = p->nth;
	p->gen++;
	pthread_cond_broadcast(&p->go);
	pthread_mutex_unlock(&p->mu);
	work(p, 0);
	pthread_mutex_lock(&p->mu);
	while (p->busy)
		pthread_cond_wait(&p->done, &p->mu);
	pthread_mutex_unlock(&p->mu);
}
