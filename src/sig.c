/*
 * sig.c - signals are recorded, nothing more (see sig.h).
 *
 * The flags are lock-free atomics: a handler may store to them (C11
 * 7.14.1.1), and walk and engine threads read them without a data race.
 */
#include "sig.h"

#include <stdatomic.h>
#include <string.h>

#include "banned.h"

static atomic_int pending, usr1;

static void
on_signal(int sig)
{
	if (sig == SIGUSR1)
		atomic_store_explicit(&usr1, 1, memory_order_relaxed);
	else
		atomic_store_explicit(&pending, sig, memory_order_relaxed);
}

void
sig_setup(void)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGUSR1};
	struct sigaction sa;

	_Static_assert(ATOMIC_INT_LOCK_FREE == 2,
		       "signal flags need lock-free ints");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	/* a broken lease is polled with F_GETLEASE (replace.c), not heard */
	signal(SIGIO, SIG_IGN);
}

int
sig_pending(void)
{
	return atomic_load_explicit(&pending, memory_order_relaxed);
}

int
sig_take_usr1(void)
{
	return atomic_exchange_explicit(&usr1, 0, memory_order_relaxed);
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
