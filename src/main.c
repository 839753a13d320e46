/*
 * main.c - hardlink: replace identical files by hard links.
 *
 * The run, stage by stage (run.h): parse options, walk every operand,
 * deal with leftovers of interrupted runs, plan size groups and attribute
 * runs, classify them with the engine, act on the classes, report.
 * main owns the struct run and its poll function.
 * Exit status: 0 when everything went as asked, 1 on a usage error or when
 * any warning was printed, death by the signal on SIGINT/SIGTERM/SIGHUP.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "act.h"
#include "cache.h"
#include "classify.h"
#include "cleanup.h"
#include "group.h"
#include "leftover.h"
#include "opts.h"
#include "output.h"
#include "progress.h"
#include "replace.h"
#include "report.h"
#include "run.h"
#include "sig.h"
#include "walk.h"

/*
 * Grows the kernel's descriptor table to n entries now, while the process
 * has one thread.  Once it has more, each doubling of the table (at 256,
 * 512, 1024... open descriptors: the directories the walk keeps, the files
 * of a big group) waits for an RCU grace period, 8-9 ms each here: 2,000
 * files of one size took 144 ms with two threads against 98 ms with one.
 * The table is kernel memory (8 bytes an entry), never shrunk.
 */
#define FD_TABLE 65536u

static void
grow_fd_table(unsigned n)
{
	if (n <= 3)
		return;
	/* a copy of any standard descriptor that is open will do */
	for (int fd = STDERR_FILENO; fd >= 0; fd--) {
		if (dup2(fd, (int)n - 1) >= 0) {
			close((int)n - 1);
			return;
		}
	}
}

/*
 * Splits the descriptor limit, raised to the hard limit: a quarter (at
 * most 65,536) for the engine's open files, the rest for directories the
 * walk keeps open so that files are opened relative to them (names.c),
 * less a reserve for the walk itself, the replacements and stdio.  Half
 * of the engine's share, idle while files are replaced, is *spare for
 * replace.c's closing helpers; under a small limit nothing is spare.
 */
static unsigned
open_budget(unsigned *spare)
{
	const rlim_t cap = 1u << 20, reserve = 96;
	struct rlimit rl;
	rlim_t engine;

	*spare = 0;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 256;
	if (rl.rlim_cur < rl.rlim_max && rl.rlim_cur < cap) {
		rl.rlim_cur = rl.rlim_max < cap ? rl.rlim_max : cap;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > cap)
		rl.rlim_cur = cap;
	if (rl.rlim_cur <= 4 * reserve)
		return rl.rlim_cur > 128 ? (unsigned)(rl.rlim_cur - reserve)
					 : 16;
	engine = (rl.rlim_cur - reserve) / 4;
	if (engine > 65536)
		engine = 65536;
	*spare = (unsigned)engine / 2;
	dnode_fd_budget((unsigned)(rl.rlim_cur - reserve - engine));
	grow_fd_table(rl.rlim_cur < FD_TABLE ? (unsigned)rl.rlim_cur
					     : FD_TABLE);
	return (unsigned)engine;
}

/*
 * The run's poll point, at every safe point of the main thread: redraw
 * the status line; on SIGUSR1 the summary so far; on SIGINT, SIGTERM or
 * SIGHUP an orderly end: the status line erased, the cleanups run (no
 * temporary left), output flushed, and death by the same signal, so that
 * the caller sees what happened (status 130 for SIGINT, as util-linux).
 */
static void
poll_run(struct run *r)
{
	int sig;

	out_tick();
	if (sig_take_usr1() && !opts.quiet && !opts.list) {
		report_summary(r);
		putchar('\n');
		fflush(stdout);
	}
	if ((sig = sig_pending()))
		die_by_signal(sig);
}

/* The engine's poll, on any of its threads: redraw, and stop on a signal. */
static int
engine_poll(void *arg)
{
	(void)arg;
	out_tick();
	return sig_pending() != 0;
}

static unsigned
online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 1 ? (unsigned)(n > 64 ? 64 : n) : 1;
}

/*
 * Threads that walk and read: at least IO_THREADS, more than the cores on
 * small machines.  A thread waiting for the disk (a stat, a directory, a
 * file's first block) costs no CPU, and a cold tree is read faster with
 * more requests in flight; on a warm tree the extra threads find the work
 * done and cost about no CPU (bench/RESULTS.md, "Run: cold, slow disk and
 * biggroup").  The closing helpers of replace.c follow the cores.
 */
#define IO_THREADS 8

static unsigned
default_threads(void)
{
	unsigned n = online_cpus();

	return n < IO_THREADS ? IO_THREADS : n;
}

int
main(int argc, char **argv)
{
	struct run r = {.poll = poll_run};
	struct filelist fl = {0};
	struct classifier *cl;
	struct actor *act;
	unsigned spare;

	sig_setup();
	opts_parse(argc, argv);
	clock_gettime(CLOCK_MONOTONIC, &r.start);

	r.threads = opts.threads ? opts.threads : default_threads();
	classify_engine(&r, open_budget(&spare), engine_poll);
	r.rep = replace_new(opts.threads ? r.threads : online_cpus(), spare);

	report_begin(&r);
	/* before the walk: the racy-entry rule needs the time of the stats */
	if (opts.cache)
		r.cache = cache_open(opts.cache_file);
	progress_start(&r);
	verbose(3, "Scanning [device/inode/links]:");
	for (int i = 0; i < opts.noperands; i++)
		walk_operand(&r, &fl, opts.operands[i], (uint32_t)i);
	r.stats.files = fl.files;

	progress_phase(PROGRESS_COMPARE);
	leftover_resolve(&r, &fl);
	act = act_new(&r);
	cl = classify_new(&r, act_run, act);
	group_run(&r, &fl, cl);
	classify_free(cl);
	act_free(act);
	cache_close(r.cache);
	r.cache = NULL;
	replace_finish(r.rep);
	hl_engine_stats(r.eng, &r.engine);
	hl_engine_free(r.eng);
	free(fl.p);
	progress_end();

	if (opts.list)
		report_free(&r);
	else
		report_end(&r);
	replace_free(r.rep);
	arena_release();
	fent_release();
	if (fflush(stdout) != 0)
		warnerr(errno, "write error");
	return out_exit_status();
}
