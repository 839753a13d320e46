/*
 * util.c - allocation that cannot fail quietly, threads, regex lists,
 * sizes and clocks.
 */
#include "util.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"

int
thread_start(pthread_t *t, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	int rc;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(t, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		fatal("cannot allocate %zu bytes", n);
	return p;
}

void *
xcalloc(size_t n, size_t m)
{
	void *p = calloc(n ? n : 1, m ? m : 1);

	if (!p)
		fatal("cannot allocate %zu bytes", n * m);
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		fatal("cannot allocate %zu bytes", n);
	return p;
}

char *
xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		fatal("cannot allocate %zu bytes", strlen(s) + 1);
	return p;
}

int
regex_any(const struct regex_list *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++) {
		if (regexec(&l->re[i], s, 0, NULL, 0) == 0)
			return 1;
	}
	return 0;
}

/*
 * util-linux's format: the largest binary unit not above the value, the
 * fraction truncated to three decimals then rounded to two (half up), a
 * carry staying in the same unit ("1024 KiB"), trailing zeros dropped.
 */
const char *
human_size(char *buf, size_t len, uint64_t bytes)
{
	static const char units[] = "BKMGTPE";
	int exp = 0;
	uint64_t dec, frac;

	while (exp < 6 && bytes >= (uint64_t)1 << (10 * (exp + 1)))
		exp++;
	if (!exp) {
		snprintf(buf, len, "%" PRIu64 " B", bytes);
		return buf;
	}
	dec = bytes >> (10 * exp);
	frac = bytes & (((uint64_t)1 << (10 * exp)) - 1);
	frac = (uint64_t)(((unsigned __int128)frac * 1000) >> (10 * exp));
	frac = (frac + 5) / 10;
	if (frac == 100) {
		dec++;
		frac = 0;
	}
	if (!frac)
		snprintf(buf, len, "%" PRIu64 " %ciB", dec, units[exp]);
	else if (frac % 10 == 0)
		snprintf(buf, len, "%" PRIu64 ".%" PRIu64 " %ciB", dec,
			 frac / 10, units[exp]);
	else
		snprintf(buf, len, "%" PRIu64 ".%02" PRIu64 " %ciB", dec, frac,
			 units[exp]);
	return buf;
}

/* Seconds since t, on the monotonic clock. */
double
elapsed_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) +
	       (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}
