/*
 * sig.c - signals.
 *
 * SIGINT, SIGTERM and SIGHUP only set a flag.  The run polls it at safe
 * points (per directory entry, between engine blocks, between links), and
 * the link-and-rename of one file runs with those signals blocked, so an
 * interrupted run never leaves a temporary behind.  On the flag, the
 * temporary (if any) is removed and the signal is re-raised with its
 * default action: the exit status tells the caller what happened (130 for
 * SIGINT, as util-linux 2.41) and no summary is printed.  SIGUSR1 prints
 * the summary so far and the run goes on.
 */
#include "hardlink.h"

#include <string.h>
#include <unistd.h>

volatile sig_atomic_t got_signal, got_usr1;

static void
on_signal(int sig)
{
	if (sig == SIGUSR1)
		got_usr1 = 1;
	else
		got_signal = sig;
}

void
sig_setup(void)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGUSR1};
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	/* a broken lease is polled with F_GETLEASE (replace.c), not heard */
	signal(SIGIO, SIG_IGN);
}

/*
 * The run's poll point: called for every directory entry, every link and
 * every size group.  It also refreshes the progress line, so that no
 * module needs a second hook for it.
 */
void
sig_check(void)
{
	int sig = got_signal;

	progress_tick();
	if (got_usr1) {
		got_usr1 = 0;
		if (!opts.quiet && !opts.list) {
			report_summary();
			putchar('\n');
			fflush(stdout);
		}
	}
	if (!sig)
		return;
	progress_hide();
	replace_cleanup();
	fflush(stdout);
	fflush(stderr);
	signal(sig, SIG_DFL);
	raise(sig);
	_exit(128 + sig);	/* not reached */
}

void
sig_block(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, old);
}

void
sig_restore(const sigset_t *old)
{
	sigprocmask(SIG_SETMASK, old, NULL);
}
