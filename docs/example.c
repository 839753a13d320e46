/*
 * example.c - which of the files named on the command line hold the same
 * bytes?  A short program using the hlcore library.
 *
 *	cc -o example example.c $(pkg-config --cflags --libs hlcore)
 *	./example a b c
 *
 * The files must all have the same size (the engine compares same-size
 * files; hardlink groups them by size first).  For each file after the
 * first of its class, prints "FILE: same as FIRST"; for a file that could
 * not be read, "FILE: REASON".  Exit status 0, or 1 on an error.
 *
 * Needs libhlcore 1.1 (hl_strerror); with 1.0, use strerror(-err) and
 * test for -HL_ECHANGED yourself.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hlcore.h>

/* The engine asks for member i; the cookie is our array of names. */
static int
open_member(void *cookie, size_t i)
{
	char *const *names = cookie;
	int fd = open(names[i], O_RDONLY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static void
close_member(void *cookie, size_t i, int fd)
{
	(void)cookie;
	(void)i;
	close(fd);
}

int
main(int argc, char **argv)
{
	struct hl_engine_opts eo = {0}; /* defaults: 1 MiB reads, 64 MiB */
	struct hl_group g = {0};
	struct hl_engine *e;
	struct stat st;
	size_t n = argc > 1 ? (size_t)argc - 1 : 0, *cls;
	int *err, rc, status = 0;

	if (n == 0) {
		fprintf(stderr, "usage: %s FILE...\n", argv[0]);
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		if (stat(argv[i + 1], &st) < 0) {
			perror(argv[i + 1]);
			return 1;
		}
		if (i > 0 && (uint64_t)st.st_size != g.size) {
			fprintf(stderr, "%s: not the size of %s\n", argv[i + 1],
				argv[1]);
			return 1;
		}
		g.size = (uint64_t)st.st_size;
	}
	g.n = n;
	g.src = (struct hl_source){open_member, close_member, argv + 1};

	cls = malloc(n * sizeof(*cls));
	err = malloc(n * sizeof(*err));
	e = hl_engine_new(&eo);
	if (!cls || !err || !e) {
		perror("hlcore");
		return 1;
	}
	rc = hl_engine_classify(e, &g, cls, err);
	if (rc < 0) {
		fprintf(stderr, "hlcore: %s\n", hl_strerror(rc));
		status = 1;
	}
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (cls[i] == HL_NOCLASS) {
			/* "File changed while it was read", "Permission denied"
			 */
			printf("%s: %s\n", argv[i + 1], hl_strerror(err[i]));
			status = 1;
		} else if (cls[i] != i) {
			printf("%s: same as %s\n", argv[i + 1],
			       argv[cls[i] + 1]);
		}
	}
	hl_engine_free(e);
	free(err);
	free(cls);
	return status;
}
