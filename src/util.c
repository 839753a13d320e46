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
 * Walk workers do not print: their messages go to the thread's hook
 * (walk.c), which keeps them in walk order for the main thread to print
 * with msg_replay once the walk is over.
 */
__thread void (*msg_hook)(void *arg, enum msg_kind kind, const char *text);
__thread void *msg_hook_arg;

/* Keeps msg in last_msg (for --json, which names why a file was left). */
static void
keep_last(const char *msg)
{
	size_t need = strlen(msg) + 1;

	if (need > last_cap) {
		char *p = realloc(last_msg, need);

		if (!p) {
			if (last_msg)
				last_msg[0] = '\0';
			return;
		}
		last_msg = p;
		last_cap = need;
	}
	memcpy(last_msg, msg, need);
}

void
msg_replay(enum msg_kind kind, const char *text)
{
	if (kind == MSG_OUT) {	/* verbose() already checked -q and -v */
		progress_hide();
		puts(text);
		return;
	}
	if (kind == MSG_WARN)
		had_warning = 1;
	fflush(stdout);
	progress_hide();
	diag_count++;
	keep_last(text);
	fprintf(stderr, "%s: %s\n", program_invocation_short_name, text);
}

/*
 * Formats "fmt: strerror(err)" into a new string; NULL when there is no
 * memory for it.
 */
static char *
format_msg(int err, const char *fmt, va_list ap)
{
	char *msg, *full;

	if (vasprintf(&msg, fmt, ap) < 0)
		return NULL;
	if (!err)
		return msg;
	if (asprintf(&full, "%s: %s", msg, strerror(err)) < 0)
		full = NULL;
	free(msg);
	return full;
}

static void
vmsg(enum msg_kind kind, int err, const char *fmt, va_list ap)
{
	va_list aq;
	char *msg;

	va_copy(aq, ap);
	msg = format_msg(err, fmt, aq);
	va_end(aq);
	if (msg) {
		if (msg_hook)
			msg_hook(msg_hook_arg, kind, msg);
		else
			msg_replay(kind, msg);
		free(msg);
		return;
	}
	/* no memory: print as we can, nothing kept */
	if (kind == MSG_WARN)
		had_warning = 1;
	fflush(stdout);
	progress_hide();
	diag_count++;
	if (last_msg)
		last_msg[0] = '\0';
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

	va_start(ap, fmt);
	vmsg(MSG_WARN, 0, fmt, ap);
	va_end(ap);
}

/* A diagnostic that does not make the run fail. */
void
notice(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(MSG_NOTICE, 0, fmt, ap);
	va_end(ap);
}

void
warnerr(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(MSG_WARN, err, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_hook = NULL;
	vmsg(MSG_WARN, 0, fmt, ap);
	va_end(ap);
	replace_cleanup();
	exit(1);
}

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
