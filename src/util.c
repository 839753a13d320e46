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
unsigned long diag_count;
static char *last_msg;
static size_t last_cap;

const char *
diag_last(void)
{
	return last_msg ? last_msg : "";
}

/*
 * Formats a diagnostic into last_msg (kept for --json, which names the
 * reason a file was left alone).  Returns NULL when there is no memory
 * for it; the caller then prints without keeping it.
 */
static const char *
format_msg(int err, const char *fmt, va_list ap)
{
	const char *es = err ? strerror(err) : "";
	va_list aq;
	size_t need;
	int n;

	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (last_msg)
		last_msg[0] = '\0';
	if (n < 0)
		return NULL;
	need = (size_t)n + strlen(es) + 3;
	if (need > last_cap) {
		char *p = realloc(last_msg, need);

		if (!p)
			return NULL;
		last_msg = p;
		last_cap = need;
	}
	vsnprintf(last_msg, last_cap, fmt, ap);
	if (err)
		snprintf(last_msg + n, last_cap - (size_t)n, ": %s", es);
	return last_msg;
}

static void
vmsg(int err, const char *fmt, va_list ap)
{
	va_list aq;
	const char *msg;

	fflush(stdout);
	progress_hide();
	diag_count++;
	va_copy(aq, ap);
	msg = format_msg(err, fmt, aq);
	va_end(aq);
	if (msg) {
		fprintf(stderr, "%s: %s\n", program_invocation_short_name, msg);
		return;
	}
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
