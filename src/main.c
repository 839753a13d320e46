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

/* Descriptors the engine may hold; the rest stays for the walk. */
static unsigned
open_budget(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 256;
	if (rl.rlim_cur < rl.rlim_max && rl.rlim_cur < 65536) {
		rl.rlim_cur = rl.rlim_max < 65536 ? rl.rlim_max : 65536;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 65536)
		rl.rlim_cur = 65536;
	return rl.rlim_cur > 128 ? (unsigned)(rl.rlim_cur - 96) : 16;
}

int
main(int argc, char **argv)
{
	struct filelist fl = {0};
	struct hl_engine_opts eo = {0};
	struct hl_engine *eng;

	sig_setup();
	opts_parse(argc, argv);
	clock_gettime(CLOCK_MONOTONIC, &start_time);

	eo.io_size = opts.io_size;
	eo.mem_limit = opts.cache_size;
	eo.max_open = open_budget();
	eo.threads = opts.threads;
	if (!eo.threads) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		eo.threads = n > 1 ? (unsigned)(n > 64 ? 64 : n) : 1;
	}
	eng = hl_engine_new(&eo);
	if (!eng)
		fatal("cannot initialize the comparison engine: %s",
		      strerror(errno));

	report_begin();
	progress_start(&fl);
	verbose(3, "Scanning [device/inode/links]:");
	for (int i = 0; i < opts.noperands; i++)
		walk_operand(&fl, opts.operands[i], (uint32_t)i);
	stats.files = fl.files;

	progress_phase(PROGRESS_COMPARE);
	group_run(&fl, eng);
	hl_engine_stats(eng, &engine_stats);
	hl_engine_free(eng);
	free(fl.v);
	progress_end();

	if (!opts.list)
		report_end();
	if (fflush(stdout) != 0)
		warnerr(errno, "write error");
	return had_warning ? 1 : 0;
}
