/*
 * util.h - allocation that cannot fail quietly, threads, regex lists,
 * sizes and clocks: the helpers every module of the command may use.
 * Nothing here knows about files, the run or its output, except that an
 * allocation failure ends the run through fatal() (output.h).
 */
#ifndef HL_UTIL_H
#define HL_UTIL_H

#include <pthread.h>
#include <regex.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define CMP(a, b) ((a) < (b) ? -1 : (a) > (b))

struct regex_list {
	regex_t *re;
	const char **pattern; /* as given, for --json */
	size_t n;
};

/* Does any pattern of l match s? */
int regex_any(const struct regex_list *l, const char *s);

/* These end the run with a message (fatal) when memory is exhausted. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t m);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

/*
 * Starts a thread with every signal blocked: signals are for the main
 * thread, which polls for them.  Returns pthread_create's result.
 */
int thread_start(pthread_t *t, void *(*fn)(void *), void *arg);

/* util-linux's size format ("1.5 MiB") into buf; returns buf. */
const char *human_size(char *buf, size_t len, uint64_t bytes);

/* Seconds since t, on the monotonic clock. */
double elapsed_since(const struct timespec *t);

#include "banned.h"

#endif /* HL_UTIL_H */
