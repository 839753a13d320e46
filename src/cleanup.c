/*
 * cleanup.c - the registry of cleanups for an early end (see cleanup.h).
 *
 * A fixed table: the command registers a handful at most, and
 * registering must not allocate (it may be done after memory ran out).
 * A mutex guards it; cleanup_run takes the entries out under the lock
 * and calls them outside it, so a cleanup that ends in fatal() finds an
 * empty table instead of a deadlock.
 */
#include "cleanup.h"

#include <pthread.h>
#include <stddef.h>

#include "banned.h"

#define MAX_CLEANUPS 8

static struct {
	void (*fn)(void *arg);
	void *arg;
} table[MAX_CLEANUPS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

int
cleanup_add(void (*fn)(void *arg), void *arg)
{
	int h = -1;

	pthread_mutex_lock(&lock);
	for (int i = 0; i < MAX_CLEANUPS; i++) {
		if (!table[i].fn) {
			table[i].fn = fn;
			table[i].arg = arg;
			h = i;
			break;
		}
	}
	pthread_mutex_unlock(&lock);
	return h;
}

void
cleanup_remove(int handle)
{
	if (handle < 0 || handle >= MAX_CLEANUPS)
		return;
	pthread_mutex_lock(&lock);
	table[handle].fn = NULL;
	table[handle].arg = NULL;
	pthread_mutex_unlock(&lock);
}

void
cleanup_run(void)
{
	for (int i = MAX_CLEANUPS; i-- > 0;) {
		void (*fn)(void *);
		void *arg;

		pthread_mutex_lock(&lock);
		fn = table[i].fn;
		arg = table[i].arg;
		table[i].fn = NULL;
		table[i].arg = NULL;
		pthread_mutex_unlock(&lock);
		if (fn)
			fn(arg);
	}
}
