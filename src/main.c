/*
 * main.c - hardlink: replace identical files by hard links.
 *
 * The run: parse options, walk every operand, let the policy group the
 * files and drive the engine and the replacements, print the summary (or
 * end the --json document).
 * Exit status: 0 when everything went as asked, 1 on a usage error or when
 * any warning was printed, death by the signal on SIGINT/SIGTERM/SIGHUP.
 */
#include "hardlink.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

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
		return rl.rlim_cur > 128 ? (unsigned)(rl.rlim_cur - reserve) : 16;
	engine = (rl.rlim_cur - reserve) / 4;
	if (engine > 65536)
		engine = 65536;
	*spare = (unsigned)engine / 2;
	dnode_fd_budget((unsigned)(rl.rlim_cur - reserve - engine));
	grow_fd_table(rl.rlim_cur < FD_TABLE ? (unsigned)rl.rlim_cur : FD_TABLE);
	return (unsigned)engine;
}

int
main(int argc, char **argv)
{
	struct filelist fl = {0};
	struct hl_engine_opts eo = {0};
	struct hl_engine *eng;
	unsigned spare;

	sig_setup();
	opts_parse(argc, argv);
	clock_gettime(CLOCK_MONOTONIC, &start_time);

	eo.io_size = opts.io_size;
	eo.mem_limit = opts.cache_size;
	eo.max_open = open_budget(&spare);
	eo.threads = opts.threads;
	if (!eo.threads) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		eo.threads = n > 1 ? (unsigned)(n > 64 ? 64 : n) : 1;
	}
	walk_set_threads(eo.threads);
	replace_set_threads(eo.threads, spare);
	eng = hl_engine_new(&eo);
	if (!eng)
		fatal("cannot initialize the comparison engine: %s",
		      strerror(errno));

	report_begin();
	progress_start();
	verbose(3, "Scanning [device/inode/links]:");
	for (int i = 0; i < opts.noperands; i++)
		walk_operand(&fl, opts.operands[i], (uint32_t)i);
	stats.files = fl.files;

	progress_phase(PROGRESS_COMPARE);
	group_run(&fl, eng);
	replace_finish();
	hl_engine_stats(eng, &engine_stats);
	hl_engine_free(eng);
	free(fl.p);
	progress_end();

	if (!opts.list)
		report_end();
	arena_release();
	if (fflush(stdout) != 0)
		warnerr(errno, "write error");
	return had_warning ? 1 : 0;
}
