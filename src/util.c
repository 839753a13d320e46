/*
 * util.c - messages, allocation that cannot fail quietly, regex lists.
 *
 * Every diagnostic goes to stderr prefixed with the program name, and
 * marks the run as not fully successful (exit status 1 at the end).
 */
#include "hardlink.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int had_warning;

static void
vmsg(int err, const char *fmt, va_list ap)
{
	fflush(stdout);
	fprintf(stderr, "%s: ", program_invocation_short_name);
	vfprintf(stderr, fmt, ap);
	if (err)
		fprintf(stderr, ": %s", strerror(err));
	fputc('\n', stderr);
}

void
warnmsg(const char *fmt, ...)
{
	va_list ap;

	had_warning = 1;
	va_start(ap, fmt);
	vmsg(0, fmt, ap);
	va_end(ap);
}

/* A diagnostic that does not make the run fail. */
void
notice(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(0, fmt, ap);
	va_end(ap);
}

void
warnerr(int err, const char *fmt, ...)
{
	va_list ap;

	had_warning = 1;
	va_start(ap, fmt);
	vmsg(err, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(0, fmt, ap);
	va_end(ap);
	replace_cleanup();
	exit(1);
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
