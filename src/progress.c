/*
 * progress.c - the one-line progress display on stderr.
 *
 * Shown when stderr is a terminal and none of -q, -l and --json is
 * given, or when --progress asks for it; --no-progress never shows it.
 * The line, while walking and while comparing:
 *
 *   scanning: 52310 files, 0 groups, 0 B compared, 0 links, 0:02, 26155 files/s
 *   comparing: 52310 files, 812 groups, 1.5 GiB compared, 1024 links, 0:05,
 *     312 MiB/s      (one line on the terminal)
 *
 * files found by the walk, duplicate groups acted on, bytes read from
 * files (the kernel's count for this process, /proc/self/io "rchar",
 * which the engine's own counters only give at the end of a batch), links
 * made (or, with -n, that would be), elapsed time, and the rate of the
 * phase: files per second while scanning, bytes read per second while
 * comparing.
 *
 * Nothing here runs on a timer: the line is output.h's status line, and
 * tick() is called at the run's poll points (run_poll: each directory
 * entry, link and size group; the engine's interrupt callback: between
 * blocks, on worker threads too) through out_tick, and draws at most
 * every 100 ms.  A draw is "\r", the line cut to the terminal's width (a
 * wrapped line could not be erased), and "\033[K"; hide() erases it
 * ("\r\033[K") before output.c writes anything else, and the next tick
 * draws it again.  A mutex keeps two threads from drawing at once; the
 * counters it reads are written by the main thread only, never while the
 * engine's workers run (but the walk's files_seen, an atomic).
 */
#include "progress.h"

#include <errno.h>
#include <stdio.h>

#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "opts.h"
#include "output.h"
#include "util.h"

#define PERIOD_NS 100000000LL /* at most 10 draws a second */

static const struct run *run;
static int active;
static int shown;
static enum progress_phase phase;
static struct timespec phase_start;
static uint64_t rchar0;
static _Atomic int64_t next_draw;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static int64_t
now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* Bytes this process has read (all threads), or 0 if /proc says nothing. */
static uint64_t
rchar(void)
{
	char buf[512];
	const char *p;
	ssize_t n;
	int fd = open("/proc/self/io", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strstr(buf, "rchar:");
	return p ? strtoull(p + 6, NULL, 10) : 0;
}

static int
columns(void)
{
	struct winsize ws;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

static void
put(const char *s, size_t len)
{
	while (len) {
		ssize_t n = write(STDERR_FILENO, s, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		s += n;
		len -= (size_t)n;
	}
}

static const char *
clock_str(char *buf, size_t len, double sec)
{
	unsigned long s = (unsigned long)sec;

	if (s >= 3600)
		snprintf(buf, len, "%lu:%02lu:%02lu", s / 3600, s / 60 % 60,
			 s % 60);
	else
		snprintf(buf, len, "%lu:%02lu", s / 60, s % 60);
	return buf;
}

/* Draws the line; the caller holds the lock. */
static void
draw(void)
{
	char line[512], hb[32], hr[32], el[32];
	uint64_t r = phase == PROGRESS_COMPARE ? rchar() : 0;
	uint64_t bytes = r > rchar0 ? r - rchar0 : 0;
	uint64_t seen = __atomic_load_n(&run->files_seen, __ATOMIC_RELAXED);
	double t = elapsed_since(&phase_start);
	int len, cols = columns();

	if (phase == PROGRESS_SCAN)
		snprintf(hr, sizeof(hr), "%.0f files/s",
			 t > 0 ? (double)seen / t : 0.0);
	else
		snprintf(hr, sizeof(hr), "%s/s",
			 human_size(hb, sizeof(hb),
				    (uint64_t)(t > 0 ? (double)bytes / t : 0)));
	len = snprintf(line, sizeof(line),
		       "\r%s: %" PRIu64 " files, %" PRIu64 " groups, "
		       "%s compared, %" PRIu64 " links, %s, %s",
		       phase == PROGRESS_SCAN ? "scanning" : "comparing", seen,
		       run->stats.groups, human_size(hb, sizeof(hb), bytes),
		       run->stats.linked,
		       clock_str(el, sizeof(el), elapsed_since(&run->start)),
		       hr);
	if (len < 0)
		return;
	if (len > cols) /* "\r" takes no column; keep the last free */
		len = cols;
	if ((size_t)len > sizeof(line) - 4)
		len = (int)sizeof(line) - 4;
	memcpy(line + len, "\033[K", 4);
	put(line, (size_t)len + 3);
	shown = 1;
}

static void
tick(void *arg)
{
	int64_t now;

	(void)arg;
	if (!active)
		return;
	now = now_ns();
	if (now < atomic_load_explicit(&next_draw, memory_order_relaxed))
		return;
	if (pthread_mutex_trylock(&lock) != 0)
		return;
	if (now >= atomic_load(&next_draw)) {
		draw();
		atomic_store(&next_draw, now + PERIOD_NS);
	}
	pthread_mutex_unlock(&lock);
}

static void
hide(void *arg)
{
	(void)arg;
	if (!active)
		return;
	pthread_mutex_lock(&lock);
	if (shown) {
		put("\r\033[K", 4);
		shown = 0;
	}
	pthread_mutex_unlock(&lock);
}

void
progress_start(const struct run *r)
{
	static const struct status_line line = {tick, hide, NULL};
	int on = opts.progress;

	if (on < 0)
		on = !opts.quiet && isatty(STDERR_FILENO);
	if (!on)
		return;
	run = r;
	phase = PROGRESS_SCAN;
	clock_gettime(CLOCK_MONOTONIC, &phase_start);
	atomic_store(&next_draw, now_ns() + PERIOD_NS);
	active = 1;
	out_set_status(&line);
}

void
progress_phase(enum progress_phase p)
{
	if (!active)
		return;
	pthread_mutex_lock(&lock);
	phase = p;
	clock_gettime(CLOCK_MONOTONIC, &phase_start);
	rchar0 = rchar();
	pthread_mutex_unlock(&lock);
}

void
progress_end(void)
{
	if (!active)
		return;
	hide(NULL);
	out_set_status(NULL);
	active = 0;
}
