/*
 * bench/measure.c - run one command and report what it cost.
 *
 *   measure [-d DIR] [-o OUT] [-t SECONDS] -- COMMAND [ARG...]
 *
 * Runs COMMAND in DIR (default: here) with stdin from /dev/null, stdout to
 * OUT (default /dev/null) and stderr to DIR/stderr, in its own process
 * group.  When it exits, and before it is reaped (waitid with WNOWAIT), the
 * child's /proc/PID/io is read: rchar counts every byte returned by read(2)
 * and friends by the process, its threads and the children it reaped.  Then
 * wait4() gives CPU time and peak RSS, as GNU time reports them.  Prints one
 * line:  wall user sys maxrss_kib rchar read_bytes exit_code killed
 *
 * A small C program rather than Python: a child inherits its parent's peak
 * RSS through fork/vfork + exec (the kernel keeps the old mm's high-water
 * mark in signal->maxrss), so the launcher must itself be tiny.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pid_t child;
static volatile sig_atomic_t killed;

static void
on_alarm(int sig)
{
	(void)sig;
	killed = 1;
	kill(-child, SIGKILL);
}

int
main(int argc, char **argv)
{
	const char *dir = NULL, *out = "/dev/null";
	double limit = 0;
	int c;

	while ((c = getopt(argc, argv, "+d:o:t:")) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'o': out = optarg; break;
		case 't': limit = atof(optarg); break;
		default: return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr,
			"usage: measure [-d DIR] [-o OUT] [-t SECONDS] -- COMMAND [ARG...]\n");
		return 2;
	}
	if (dir && chdir(dir) != 0) {
		perror(dir);
		return 2;
	}
	int in = open("/dev/null", O_RDONLY);
	int so = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int se = open("stderr", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (in < 0 || so < 0 || se < 0) {
		perror("open");
		return 2;
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	child = fork();
	if (child < 0) {
		perror("fork");
		return 2;
	}
	if (child == 0) {
		setpgid(0, 0);
		dup2(in, 0);
		dup2(so, 1);
		dup2(se, 2);
		close(in);
		close(so);
		close(se);
		execvp(argv[optind], argv + optind);
		_exit(127);
	}
	setpgid(child, child);
	if (limit > 0) {
		struct sigaction sa = {.sa_handler = on_alarm};
		sigaction(SIGALRM, &sa, NULL);
		struct itimerval it = {
			.it_value = {(time_t)limit,
				     (long)((limit - (time_t)limit) * 1e6)}};
		setitimer(ITIMER_REAL, &it, NULL);
	}
	siginfo_t si;
	while (waitid(P_PID, child, &si, WEXITED | WNOWAIT) != 0)
		if (errno != EINTR) {
			perror("waitid");
			return 2;
		}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	struct itimerval off = {0};
	setitimer(ITIMER_REAL, &off, NULL);

	char path[64], line[128];
	long long rchar = -1, read_bytes = -1;
	snprintf(path, sizeof path, "/proc/%d/io", (int)child);
	FILE *f = fopen(path, "r");
	if (f) {
		while (fgets(line, sizeof line, f)) {
			sscanf(line, "rchar: %lld", &rchar);
			sscanf(line, "read_bytes: %lld", &read_bytes);
		}
		fclose(f);
	}
	int status;
	struct rusage ru;
	wait4(child, &status, 0, &ru);
	if (killed)
		kill(-child, SIGKILL); /* anything left in its group */
	int code = WIFEXITED(status) ? WEXITSTATUS(status)
				     : 128 + WTERMSIG(status);
	printf("%.6f %.6f %.6f %ld %lld %lld %d %d\n",
	       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9,
	       ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6, ru.ru_maxrss,
	       rchar, read_bytes, code, (int)killed);
	return 0;
}
