/*
 * bench/gen-many.c - make a tree of many tiny files, fast.
 *
 *   gen-many DIR COUNT [SEED]
 *
 * The same mix as the corpus set tiny-many (../shared/corpus/
 * gen-synthetic.py), in C because Python needs too long for ten million
 * files: sizes 0..64 bytes; 30% of the files from a Zipf-weighted pool of
 * 256 contents, 40% from a uniform pool of 100,000, 30% fresh random
 * (short ones may collide by chance).  1000 files per leaf directory,
 * leaves under DIR/aN/bN/cN..., every file's mtime 1700000000.  The
 * contents are deterministic for one SEED; the tree is not a copy of
 * tiny-many (another generator), only its shape and mix.
 *
 * Prints one progress line per million files on stderr.  DIR must not
 * exist yet, or be empty.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PER_DIR 1000
#define NCOMMON 256
#define NPOOL 100000
#define MAXLEN 64
#define MTIME 1700000000

static uint64_t rng_state;

static uint64_t
rnd(void) /* splitmix64 */
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double
unit(void)
{
	return (double)(rnd() >> 11) / (double)(1ULL << 53);
}

struct blob {
	unsigned char len;
	unsigned char b[MAXLEN];
};

static void
fill(struct blob *x)
{
	x->len = (unsigned char)(rnd() % (MAXLEN + 1));
	for (int i = 0; i < x->len; i++)
		x->b[i] = (unsigned char)rnd();
}

static void
die(const char *what, const char *path)
{
	fprintf(stderr, "gen-many: %s: %s: %s\n", what, path, strerror(errno));
	exit(1);
}

static void
mkdir_p(const char *p)
{
	if (mkdir(p, 0755) < 0 && errno != EEXIST)
		die("mkdir", p);
}

int
main(int argc, char **argv)
{
	static struct blob common[NCOMMON], pool[NPOOL];
	static double cum[NCOMMON];
	const struct timespec times[2] = {{MTIME, 0}, {MTIME, 0}};
	char path[4096];
	unsigned long long n, ndirs;
	double s = 0;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: gen-many DIR COUNT [SEED]\n");
		return 2;
	}
	n = strtoull(argv[2], NULL, 10);
	rng_state = argc > 3 ? strtoull(argv[3], NULL, 10) : 42;
	ndirs = (n + PER_DIR - 1) / PER_DIR;
	for (int i = 0; i < NCOMMON; i++) {
		fill(&common[i]);
		s += 1.0 / (i + 1);
		cum[i] = s;
	}
	for (int i = 0; i < NPOOL; i++)
		fill(&pool[i]);
	mkdir_p(argv[1]);
	for (unsigned long long d = 0; d < ndirs; d++) {
		/* leaves aA/bB/cC (C < 100 when there are more than 1000) */
		unsigned long long a = d % 10, b = d / 10 % 10, c = d / 100;
		int dfd;

		snprintf(path, sizeof(path), "%s/a%llu", argv[1], a);
		mkdir_p(path);
		snprintf(path, sizeof(path), "%s/a%llu/b%llu", argv[1], a, b);
		mkdir_p(path);
		snprintf(path, sizeof(path), "%s/a%llu/b%llu/c%llu", argv[1], a,
			 b, c);
		mkdir_p(path);
		dfd = open(path, O_RDONLY | O_DIRECTORY);
		if (dfd < 0)
			die("open", path);
		for (unsigned long long i = d * PER_DIR;
		     i < n && i < (d + 1) * PER_DIR; i++) {
			struct blob fresh;
			const struct blob *x;
			char name[32];
			double r = unit();
			int fd;

			if (r < 0.3) {
				double t = unit() * s;
				int k = 0;

				while (k < NCOMMON - 1 && cum[k] < t)
					k++;
				x = &common[k];
			} else if (r < 0.7) {
				x = &pool[rnd() % NPOOL];
			} else {
				fill(&fresh);
				x = &fresh;
			}
			snprintf(name, sizeof(name), "%08llu.txt", i);
			fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL,
				    0644);
			if (fd < 0)
				die("create", name);
			if (x->len && write(fd, x->b, x->len) != x->len)
				die("write", name);
			if (futimens(fd, times) < 0)
				die("futimens", name);
			close(fd);
			if ((i + 1) % 1000000 == 0)
				fprintf(stderr, "gen-many: %llu files\n",
					i + 1);
		}
		close(dfd);
	}
	return 0;
}
