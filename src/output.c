/*
 * output.c - messages, stdout and the status line (see output.h).
 *
 * The only state here is what the process's output is: the exit status
 * so far, the registered status line and each thread's message hook.
 */
#include "output.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "opts.h"

static int had_warning;
static struct status_line status;

static __thread void (*msg_hook)(void *arg, enum msg_kind kind,
				 const char *text);
static __thread void *msg_hook_arg;

void
out_set_hook(void (*fn)(void *arg, enum msg_kind kind, const char *text),
	     void *arg)
{
	msg_hook = fn;
	msg_hook_arg = arg;
}

void
out_set_status(const struct status_line *sl)
{
	if (sl)
		status = *sl;
	else
		status = (struct status_line){0};
}

void
out_tick(void)
{
	if (status.tick)
		status.tick(status.arg);
}

void
out_hide(void)
{
	if (status.hide)
		status.hide(status.arg);
}

FILE *
out_stdout(void)
{
	out_hide();
	return stdout;
}

int
out_exit_status(void)
{
	return had_warning ? 1 : 0;
}

void
msg_replay(enum msg_kind kind, const char *text)
{
	if (kind == MSG_OUT) { /* verbose() already checked -q and -v */
		fputs(text, out_stdout());
		putchar('\n');
		return;
	}
	if (kind == MSG_WARN)
		had_warning = 1;
	fflush(stdout);
	out_hide();
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
	/* no memory: print as we can */
	if (kind == MSG_WARN)
		had_warning = 1;
	fflush(stdout);
	out_hide();
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
	cleanup_run();
	exit(1);
}

void
die_by_signal(int sig)
{
	out_hide();
	cleanup_run();
	fflush(stdout);
	fflush(stderr);
	signal(sig, SIG_DFL);
	raise(sig);
	_exit(128 + sig); /* not reached */
}

void
verbose(int level, const char *fmt, ...)
{
	va_list ap;

	if (opts.verbose < level || opts.quiet)
		return;
	if (msg_hook) {
		char *text;
		int n;

		va_start(ap, fmt);
		n = vasprintf(&text, fmt, ap);
		va_end(ap);
		if (n < 0)
			fatal("cannot allocate a message");
		msg_hook(msg_hook_arg, MSG_OUT, text);
		free(text);
		return;
	}
	va_start(ap, fmt);
	vfprintf(out_stdout(), fmt, ap);
	va_end(ap);
	putchar('\n');
}
