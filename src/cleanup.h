/*
 * cleanup.h - what must be undone when the run ends early.
 *
 * A module that creates something the run must not leave behind (a
 * temporary name, see replace.c) registers a function that undoes it;
 * fatal() and the orderly exit on a signal call cleanup_run(), which
 * calls every registered function once, newest first.  The functions
 * run on the thread that ends the run, with the rest of the process
 * stopped or about to be: they must only undo, never start new work.
 * As git's tempfile.c, without the atexit: a normal end of the run has
 * nothing to clean, and each module ends its own work.
 */
#ifndef HL_CLEANUP_H
#define HL_CLEANUP_H

/* Registers fn(arg); returns a handle for cleanup_remove, or -1 when full. */
int cleanup_add(void (*fn)(void *arg), void *arg);
/* Unregisters a handle cleanup_add returned (no call). */
void cleanup_remove(int handle);
/* Calls every registered function, newest first, and forgets them. */
void cleanup_run(void);

#endif /* HL_CLEANUP_H */
