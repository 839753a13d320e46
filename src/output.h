/*
 * output.h - everything the command writes goes through here.
 *
 * stdout carries the primary output (summary, -v lines, -l listing, the
 * --json document); stderr the diagnostics, each "hardlink: TEXT", and at
 * most one status line (the progress display), which this layer hides
 * before anything else is written.  A diagnostic printed with warnmsg or
 * warnerr makes the exit status 1 (out_exit_status); notice does not.
 *
 * Threads: a walk worker does not print.  It installs a hook
 * (out_set_hook) that receives each message, formatted and without the
 * "hardlink: " prefix; the main thread prints them later, in walk order,
 * with msg_replay.  Every other function may be called from the main
 * thread only, except out_tick, which any thread may call.
 */
#ifndef HL_OUTPUT_H
#define HL_OUTPUT_H

#include <stdio.h>

enum msg_kind {
	MSG_OUT,    /* a verbose() line for stdout */
	MSG_WARN,   /* a diagnostic that makes the exit status 1 */
	MSG_NOTICE, /* a diagnostic that does not */
};

void warnmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A diagnostic that does not make the run fail. */
void notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "fmt: strerror(err)" */
void warnerr(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Prints the diagnostic, runs the cleanups (cleanup.h) and exits 1. */
_Noreturn void fatal(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
/*
 * The orderly end on a signal (main thread): hides the status line, runs
 * the cleanups, flushes, and dies by sig with its default action.
 */
_Noreturn void die_by_signal(int sig);
/* A line on stdout when -v was given at least level times (and no -q). */
void verbose(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* This thread's messages go to fn(arg, ...) instead; NULL: printed. */
void out_set_hook(void (*fn)(void *arg, enum msg_kind kind, const char *text),
		  void *arg);
/* Prints a message a hook received, as it would have been printed. */
void msg_replay(enum msg_kind kind, const char *text);

/* stdout, with the status line hidden first: for primary output. */
FILE *out_stdout(void);

/*
 * The status line: a module that draws one registers how to redraw it
 * (tick: any thread, at poll points; it decides itself whether it is
 * time) and how to erase it (hide: before anything else is written).
 * NULL unregisters.  Only one at a time.
 */
struct status_line {
	void (*tick)(void *arg);
	void (*hide)(void *arg);
	void *arg;
};

void out_set_status(const struct status_line *sl);
void out_tick(void);
void out_hide(void);

/* 1 when a warning was printed (the exit status of a finished run). */
int out_exit_status(void);

#endif /* HL_OUTPUT_H */
