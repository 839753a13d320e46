/*
 * sig.h - signals are only recorded here; the run decides what to do.
 *
 * SIGINT, SIGTERM and SIGHUP are recorded for sig_pending, SIGUSR1 for
 * sig_take_usr1.  The run polls at safe points (its poll function, see
 * run.h) and ends itself in order; the replacement of one file runs with
 * the three blocked (sig_block), so that no signal splits it.
 */
#ifndef HL_SIG_H
#define HL_SIG_H

#include <signal.h>

void sig_setup(void);
/* The pending SIGINT, SIGTERM or SIGHUP, or 0: any thread may ask. */
int sig_pending(void);
/* Was SIGUSR1 received since the last call?  (One thread asks.) */
int sig_take_usr1(void);
/* Blocks SIGINT, SIGTERM and SIGHUP; sig_restore puts *old back. */
void sig_block(sigset_t *old);
void sig_restore(const sigset_t *old);

#endif /* HL_SIG_H */
