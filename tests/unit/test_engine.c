/*
 * test_engine.c - unit tests of the comparison engine (lib/engine.c).
 *
 * Every test builds its files in a fresh mkdtemp() directory under $TMPDIR
 * (or /tmp) and removes it afterwards.  The engine reaches the files only
 * through the struct hl_source callbacks below, which open by path and
 * keep books: how many descriptors were handed out and given back, which
 * member each descriptor belongs to, and the most held at once.  After
 * each classify call the books must balance and the peak must respect
 * max_open.
 *
 * Expected classes come from an oracle that compares whole contents with
 * memcmp; the engine must agree with it exactly (class[i] is the smallest
 * index with the same bytes).  Random tests use a fixed seed, overridable
 * with HL_TEST_SEED; the seed is printed when a case fails.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* asprintf; meson passes it already */
#endif
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xxhash.h>

#include "hlcore.h"
#include "testutil.h"

#define KIB 1024u
#define MIB (1024u * 1024u)
#define MIN_MEM 8192u  /* the smallest mem_limit the engine accepts */
#define FD_SLOTS 65536 /* descriptors the callbacks can track */

/* The scratch directory of the running test. */
struct scratch {
	char *dir;
	unsigned nfiles;
};

/*
 * The files of one group and the books kept by the callbacks.  force[i],
 * when non-zero, is returned by open() instead of opening member i;
 * isdir[i] opens member i with O_DIRECTORY.
 */
struct src {
	size_t n;
	char **path;
	int *force;
	unsigned char *isdir;
	/* atomic: the cases with 2 threads open and close from both */
	_Atomic unsigned opens, closes, cur, peak, bad;
	size_t *owner;	/* fd -> member + 1, 0 when not ours */
	unsigned *held; /* descriptors member i holds now */
};

/* A set of engine options under which a test is repeated. */
struct config {
	const char *name;
	struct hl_engine_opts o;
};

/*
 * Most cases run under each of these.  The open-file budget has tests of
 * its own (the *_max_open_* tests, which repeat the cases under
 * open_configs), so that a descriptor-count failure does not hide behind
 * the name of a content test.
 */
static const struct config configs[] = {
	{"default", {0, 0, 0, 0}},
	{"over budget", {0, MIN_MEM, 0, 0}},
	{"io_size 4096", {4096, 0, 0, 0}},
	{"io_size 4096, over budget", {4096, MIN_MEM, 0, 0}},
};

static const struct config open_configs[] = {
	{"max_open 1", {0, 0, 1, 0}},
	{"max_open 2", {0, 0, 2, 0}},
	{"max_open 1, io_size 4096, over budget", {4096, MIN_MEM, 1, 0}},
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

#ifdef HL_TEST_WRAP_XXH3
/*
 * Linked with -Wl,--wrap=XXH3_64bits (see meson.build): the engine's
 * hashes go through here, so a test can make them collide and check that
 * bytes, not hashes, decide equality.  collide: 0 real hashes, 1 every
 * block hashes to 0, 2 only the first byte counts.
 */
uint64_t __real_XXH3_64bits(const void *p, size_t len);
uint64_t __wrap_XXH3_64bits(const void *p, size_t len);

static int collide;
static unsigned long hash_calls;

uint64_t
__wrap_XXH3_64bits(const void *p, size_t len)
{
	hash_calls++;
	if (collide == 1)
		return 0;
	if (collide == 2)
		return len ? *(const unsigned char *)p : 0;
	return __real_XXH3_64bits(p, len);
}
#endif

/* ---- scratch directory ---- */

static int
scratch_setup(void **state)
{
	const char *tmp = getenv("TMPDIR");
	struct scratch *s = xcalloc(1, sizeof(*s));

	/* each test draws the same numbers, whatever ran before it */
	seed = base_seed;
	if (!tmp || !*tmp)
		tmp = "/tmp";
	if (asprintf(&s->dir, "%s/hl-unit.XXXXXX", tmp) < 0)
		return -1;
	if (!mkdtemp(s->dir)) {
		fprintf(stderr, "mkdtemp %s: %s\n", s->dir, strerror(errno));
		return -1;
	}
	*state = s;
	return 0;
}

static int
scratch_teardown(void **state)
{
	struct scratch *s = *state;
	DIR *d = opendir(s->dir);
	struct dirent *de;
	int rc = 0;

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) < 0 &&
		    unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR) < 0)
			rc = -1;
	}
	closedir(d);
	if (rmdir(s->dir) < 0)
		rc = -1;
	free(s->dir);
	free(s);
	return rc;
}

/* Removes the scratch files made so far (long tests reuse the directory). */
static void
scratch_clear(struct scratch *s)
{
	DIR *d = opendir(s->dir);
	struct dirent *de;

	assert_non_null(d);
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) < 0)
			assert_int_equal(
				unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR),
				0);
	}
	closedir(d);
}

/* Writes a new scratch file and returns its path (caller frees). */
static char *
make_file(struct scratch *s, const void *buf, size_t len)
{
	char *path;
	int fd;

	assert_true(asprintf(&path, "%s/f%u", s->dir, s->nfiles++) > 0);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	for (size_t done = 0; done < len;) {
		ssize_t w = write(fd, (const char *)buf + done, len - done);

		assert_true(w > 0);
		done += (size_t)w;
	}
	assert_int_equal(close(fd), 0);
	return path;
}

/* Overwrites one byte of a scratch file. */
static void
poke(const char *path, uint64_t off, unsigned char c)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, &c, 1, (off_t)off), 1);
	assert_int_equal(close(fd), 0);
}

/* ---- the source callbacks ---- */

static int
src_open(void *cookie, size_t i)
{
	struct src *s = cookie;
	int flags = O_RDONLY | O_CLOEXEC, fd;

	if (i >= s->n) {
		s->bad++;
		return -EINVAL;
	}
	if (s->force && s->force[i])
		return s->force[i];
	if (s->isdir && s->isdir[i])
		flags |= O_DIRECTORY;
	fd = open(s->path[i], flags);
	if (fd < 0)
		return -errno;
	if (fd >= FD_SLOTS || s->owner[fd]) {
		s->bad++;
		return fd;
	}
	s->owner[fd] = i + 1;
	s->held[i]++;
	s->opens++;
	if (++s->cur > s->peak)
		s->peak = s->cur;
	return fd;
}

static void
src_close(void *cookie, size_t i, int fd)
{
	struct src *s = cookie;

	/* A descriptor we never gave out, or gave out for another member. */
	if (fd < 0 || fd >= FD_SLOTS || s->owner[fd] != i + 1) {
		s->bad++;
		return;
	}
	s->owner[fd] = 0;
	s->held[i]--;
	s->closes++;
	s->cur--;
	close(fd);
}

static void
src_init(struct src *s, size_t n)
{
	memset(s, 0, sizeof(*s));
	s->n = n;
	s->path = xcalloc(n, sizeof(*s->path));
	s->force = xcalloc(n, sizeof(*s->force));
	s->isdir = xcalloc(n, 1);
	s->owner = xcalloc(FD_SLOTS, sizeof(*s->owner));
	s->held = xcalloc(n, sizeof(*s->held));
}

static void
src_reset_books(struct src *s)
{
	s->opens = s->closes = s->cur = s->peak = s->bad = 0;
}

static void
src_release(struct src *s)
{
	for (size_t i = 0; i < s->n; i++) {
		/* paths may be shared (the same file passed twice) */
		for (size_t j = i + 1; j < s->n; j++) {
			if (s->path[j] == s->path[i])
				s->path[j] = NULL;
		}
		free(s->path[i]);
	}
	free(s->path);
	free(s->force);
	free(s->isdir);
	free(s->owner);
	free(s->held);
}

/* Asserts that the books balance after a classify call. */
static void
check_books(const char *what, const struct src *s,
	    const struct hl_engine_opts *o)
{
	unsigned max_open = o->max_open ? o->max_open : 256;

	if (s->bad)
		print_error("%s: callbacks saw %u bad calls\n", what, s->bad);
	assert_int_equal(s->bad, 0);
	if (s->opens != s->closes || s->cur)
		print_error("%s: %u opens, %u closes\n", what, s->opens,
			    s->closes);
	assert_int_equal(s->opens, s->closes);
	assert_int_equal(s->cur, 0);
	if (s->peak > max_open)
		print_error("%s: %u descriptors open at once, max_open %u\n",
			    what, s->peak, max_open);
	assert_true(s->peak <= max_open);
}

/*
 * Runs one classify call on a fresh engine.  Returns classify's result; st
 * (if given) receives the engine's counters.  The caller checks the books
 * (after the classes, so that a wrong class is reported first).
 */
static int
classify(const struct hl_engine_opts *o, struct src *s, uint64_t size,
	 size_t *cls, int *err, struct hl_stats *st)
{
	struct hl_engine *e = hl_engine_new(o);
	struct hl_group g = {s->n, size, {src_open, src_close, s}};
	struct hl_stats dummy;
	int rc;

	assert_non_null(e);
	src_reset_books(s);
	rc = hl_engine_classify(e, &g, cls, err);
	hl_engine_stats(e, st ? st : &dummy);
	hl_engine_free(e);
	return rc;
}

/* ---- expectations ---- */

/* The oracle: class[i] = smallest j with the same bytes. */
static void
oracle(unsigned char *const *buf, size_t n, size_t len, size_t *cls)
{
	for (size_t i = 0; i < n; i++) {
		size_t j;

		for (j = 0; j < i; j++) {
			if (!memcmp(buf[i], buf[j], len))
				break;
		}
		cls[i] = j;
	}
}

static void
check_classes(const char *what, size_t n, const size_t *got, const int *err,
	      const size_t *want, const int *want_err)
{
	int bad = 0;

	for (size_t i = 0; i < n; i++) {
		int we = want_err ? want_err[i] : 0;

		if (got[i] == want[i] && err[i] == we)
			continue;
		print_error("%s: member %zu: class %zd err %d, expected class "
			    "%zd err %d\n",
			    what, i, (ssize_t)got[i], err[i], (ssize_t)want[i],
			    we);
		bad = 1;
	}
	if (bad)
		fail_msg("%s: wrong classes (HL_TEST_SEED=%" PRIu64 ")", what,
			 base_seed);
}

/*
 * Writes n files of len bytes, classifies them under o, and checks the
 * result against the oracle.  Returns the engine's counters in st.
 */
static void
classify_bufs(struct scratch *sc, const char *what,
	      const struct hl_engine_opts *o, unsigned char *const *buf,
	      size_t n, size_t len, struct hl_stats *st)
{
	struct src s;
	size_t *cls = xmalloc(n * sizeof(*cls));
	size_t *want = xmalloc(n * sizeof(*want));
	int *err = xmalloc(n * sizeof(*err));

	src_init(&s, n);
	for (size_t i = 0; i < n; i++)
		s.path[i] = make_file(sc, buf[i], len);
	oracle(buf, n, len, want);
	assert_int_equal(classify(o, &s, len, cls, err, st), 0);
	check_classes(what, n, cls, err, want, NULL);
	check_books(what, &s, o);
	for (size_t i = 0; i < n; i++)
		unlink(s.path[i]);
	src_release(&s);
	free(cls);
	free(want);
	free(err);
}

/* Two files of 10,000 bytes, the second changed at off (or not at all). */
static void
two_files(struct scratch *sc, const struct config *c, long off)
{
	enum { LEN = 10000 };
	unsigned char *buf[2] = {xmalloc(LEN), xmalloc(LEN)};
	char what[96];

	rnd_fill(buf[0], LEN);
	memcpy(buf[1], buf[0], LEN);
	if (off >= 0)
		buf[1][off] ^= 0x01;
	snprintf(what, sizeof(what), "%s: diff at %ld", c->name, off);
	classify_bufs(sc, what, &c->o, buf, 2, LEN, NULL);
	free(buf[0]);
	free(buf[1]);
}

static void
empty_files(struct scratch *sc, const struct config *c)
{
	size_t cls[3];
	int err[3];
	struct src s;

	src_init(&s, 3);
	for (size_t i = 0; i < 3; i++)
		s.path[i] = make_file(sc, "", 0);
	assert_int_equal(classify(&c->o, &s, 0, cls, err, NULL), 0);
	check_classes(c->name, 3, cls, err, (size_t[]){0, 0, 0}, NULL);
	check_books(c->name, &s, &c->o);
	src_release(&s);
}

/* ---- basic cases ---- */

static void
test_two_equal(void **state)
{
	for (size_t c = 0; c < NELEM(configs); c++)
		two_files(*state, &configs[c], -1);
}

static void
test_diff_first_byte(void **state)
{
	for (size_t c = 0; c < NELEM(configs); c++)
		two_files(*state, &configs[c], 0);
}

static void
test_diff_middle_byte(void **state)
{
	for (size_t c = 0; c < NELEM(configs); c++)
		two_files(*state, &configs[c], 5000);
}

static void
test_diff_last_byte(void **state)
{
	for (size_t c = 0; c < NELEM(configs); c++)
		two_files(*state, &configs[c], 9999);
}

static void
test_empty_files(void **state)
{
	for (size_t c = 0; c < NELEM(configs); c++)
		empty_files(*state, &configs[c]);
}

static void
test_single_member(void **state)
{
	static const char data[] = "only one";
	size_t cls[1] = {42};
	int err[1] = {42};
	struct hl_engine_opts o = {0};
	struct hl_stats st;
	struct src s;

	src_init(&s, 1);
	s.path[0] = make_file(*state, data, sizeof(data));
	assert_int_equal(classify(&o, &s, sizeof(data), cls, err, &st), 0);
	assert_int_equal(cls[0], 0);
	assert_int_equal(err[0], 0);
	assert_int_equal(st.groups, 1);
	check_books("single", &s, &o);
	src_release(&s);
}

/* ---- block boundaries ---- */

/*
 * Offsets worth a difference: round numbers, and both sides of where
 * blocks end when they start at 4 KiB and grow by `grow` up to 1 MiB
 * (engine.c grows them 16-fold: 4 KiB, 64 KiB, 1 MiB, so they end at
 * 4096, 69632, 1118208, then every 1 MiB).  Returns the new count.
 */
static size_t
block_ends(uint64_t size, uint64_t grow, uint64_t *off, size_t n, size_t cap)
{
	uint64_t end = 0, b = 4096;

	while (end < size && n + 2 <= cap) {
		end += b;
		off[n++] = end - 1;
		off[n++] = end;
		b = b * grow < MIB ? b * grow : MIB;
	}
	return n;
}

static size_t
boundary_offsets(uint64_t size, uint64_t *off, size_t cap)
{
	/* clang-format off */
	static const uint64_t fixed[] = {
		0, 1, 4095, 4096, 4097, 8191, 8192, 65535, 65536, 65537,
		65536 + 4095, 65536 + 4096, 65536 + 4097, MIB - 1, MIB,
		MIB + 1,
	};
	/* clang-format on */
	size_t n = 0;

	for (size_t i = 0; i < NELEM(fixed); i++)
		off[n++] = fixed[i];
	n = block_ends(size, 16, off, n, cap);
	n = block_ends(size, 2, off, n, cap);
	if (n + 2 <= cap && size >= 2) {
		off[n++] = size - 2;
		off[n++] = size - 1;
	}
	return n;
}

/*
 * Five files of each size: 0 and 1 equal, 2 and 3 changed the same way at
 * an offset, 4 changed differently at the same offset.  Repeated for each
 * interesting offset, by poking bytes into the same files.
 */
static void
boundaries(void **state, const struct hl_engine_opts *o, const char *cfg)
{
	static const uint64_t sizes[] = {
		4095, 4096, 4097, 65536, 65537, MIB + 1, 3 * MIB,
	};
	const size_t want[5] = {0, 0, 2, 2, 4};

	for (size_t z = 0; z < NELEM(sizes); z++) {
		uint64_t size = sizes[z], off[80];
		unsigned char *base = xmalloc(size);
		size_t noff = boundary_offsets(size, off, NELEM(off));
		struct src s;

		rnd_fill(base, size);
		src_init(&s, 5);
		for (size_t i = 0; i < 5; i++)
			s.path[i] = make_file(*state, base, size);
		for (size_t k = 0; k < noff; k++) {
			uint64_t at = off[k];
			size_t cls[5];
			int err[5];
			char what[128];

			if (at >= size)
				continue;
			poke(s.path[2], at, base[at] ^ 0xff);
			poke(s.path[3], at, base[at] ^ 0xff);
			poke(s.path[4], at, base[at] ^ 0x55);
			snprintf(what, sizeof(what),
				 "%s: size %" PRIu64 " diff at %" PRIu64, cfg,
				 size, at);
			assert_int_equal(classify(o, &s, size, cls, err, NULL),
					 0);
			check_classes(what, 5, cls, err, want, NULL);
			check_books(what, &s, o);
			for (size_t i = 2; i < 5; i++)
				poke(s.path[i], at, base[at]);
		}
		for (size_t i = 0; i < 5; i++)
			unlink(s.path[i]);
		src_release(&s);
		free(base);
	}
}

static void
test_boundaries(void **state)
{
	struct hl_engine_opts o = {0};

	boundaries(state, &o, "default");
}

static void
test_boundaries_over_budget(void **state)
{
	struct hl_engine_opts o = {.mem_limit = MIN_MEM};

	boundaries(state, &o, "over budget");
}

static void
test_boundaries_small_io(void **state)
{
	struct hl_engine_opts o = {.io_size = 4096};

	boundaries(state, &o, "io_size 4096");
}

/* ---- many files ---- */

/*
 * 200 files of 5,000 bytes: 7 templates that differ from a common base at
 * one byte each (so classes share long prefixes), 150 copies of them and
 * 50 unique files, each a template with a marker written somewhere.
 */
static void
many_files(void **state, const struct hl_engine_opts *o, const char *cfg)
{
	enum { N = 200, LEN = 5000, NT = 7, NU = 50 };
	unsigned char *tmpl[NT], *buf[N];
	size_t order[N], want[N], nclass = 0;

	tmpl[0] = xmalloc(LEN);
	rnd_fill(tmpl[0], LEN);
	for (size_t t = 1; t < NT; t++) {
		tmpl[t] = xmalloc(LEN);
		memcpy(tmpl[t], tmpl[0], LEN);
		tmpl[t][(t * 811) % LEN] ^= 0x80;
	}
	for (size_t i = 0; i < N; i++)
		order[i] = i;
	for (size_t i = N - 1; i > 0; i--) {
		size_t j = rnd_below(i + 1), x = order[i];

		order[i] = order[j];
		order[j] = x;
	}
	for (size_t k = 0; k < N; k++) {
		unsigned char *p = buf[order[k]] = xmalloc(LEN);

		memcpy(p, tmpl[k % NT], LEN);
		if (k >= N - NU) {
			size_t at = rnd_below(LEN - 4);

			p[at] = 0xa5;
			p[at + 1] = 0x5a;
			p[at + 2] = (unsigned char)k;
			p[at + 3] = (unsigned char)~k;
		}
	}
	oracle(buf, N, LEN, want);
	for (size_t i = 0; i < N; i++)
		nclass += want[i] == i;
	/* the data is what it says: 7 classes and 50 uniques */
	assert_int_equal(nclass, NT + NU);
	classify_bufs(*state, cfg, o, buf, N, LEN, NULL);
	for (size_t i = 0; i < N; i++)
		free(buf[i]);
	for (size_t t = 0; t < NT; t++)
		free(tmpl[t]);
}

static void
test_many_files(void **state)
{
	struct hl_engine_opts o = {0};

	many_files(state, &o, "default");
}

static void
test_many_files_over_budget(void **state)
{
	struct hl_engine_opts o = {.mem_limit = 64 * KIB};

	many_files(state, &o, "mem_limit 64 KiB");
}

/*
 * A big class whose members are equal in their first and last blocks is
 * read against its first member (step_equal in engine.c): 100 copies of a
 * base, 20 pairs changed at one byte (the same within a pair: found equal
 * after both differed from the first member), and 60 files changed at one
 * byte each, at offsets between the first and the last 4 KiB.  With
 * first_changed, the first member is one of a pair.
 */
static void
big_class(struct scratch *sc, const struct hl_engine_opts *o, const char *cfg,
	  int first_changed)
{
	enum { N = 200, LEN = 100001, NSAME = 100, NPAIR = 20 };
	unsigned char *base = xmalloc(LEN), *buf[N];
	size_t order[N], pair_at[NPAIR];
	char what[128];

	rnd_fill(base, LEN);
	for (size_t k = 0; k < NPAIR; k++)
		pair_at[k] = 4096 + rnd_below(LEN - 2 * 4096);
	for (size_t i = 0; i < N; i++)
		order[i] = i;
	for (size_t i = N - 1; i > 0; i--) {
		size_t j = rnd_below(i + 1), x = order[i];

		order[i] = order[j];
		order[j] = x;
	}
	for (size_t k = 0; k < N; k++) {
		unsigned char *p = buf[order[k]] = xmalloc(LEN);

		memcpy(p, base, LEN);
		if (k >= NSAME + 2 * NPAIR)
			p[4096 + rnd_below(LEN - 2 * 4096)] ^= 0x40;
		else if (k >= NSAME)
			p[pair_at[(k - NSAME) / 2]] ^= 0x01;
	}
	if (first_changed) {
		for (size_t i = 0; i < N; i++) {
			if (order[i] == NSAME) { /* a pair member is first */
				unsigned char *x = buf[0];

				buf[0] = buf[i];
				buf[i] = x;
				break;
			}
		}
	}
	snprintf(what, sizeof(what), "big class, %s%s", cfg,
		 first_changed ? ", first member changed" : "");
	classify_bufs(sc, what, o, buf, N, LEN, NULL);
	scratch_clear(sc);
	for (size_t i = 0; i < N; i++)
		free(buf[i]);
	free(base);
}

static const struct config big_configs[] = {
	{"default", {0, 0, 0, 0}},
	{"2 threads", {0, 0, 0, 2}},
	{"io_size 4096, 2 threads", {4096, 0, 0, 2}},
	{"max_open 2, 2 threads", {0, 0, 2, 2}},
};

static void
test_big_class_against_first(void **state)
{
	for (size_t c = 0; c < NELEM(big_configs); c++) {
		big_class(*state, &big_configs[c].o, big_configs[c].name, 0);
		big_class(*state, &big_configs[c].o, big_configs[c].name, 1);
	}
}

/*
 * A huge group of small files, mostly a few contents (engine.c's
 * DEDUP_MEMBERS: the step keeps each distinct block once): 1,200 files,
 * 60% copies of 8 contents (one of them in half of those), 25% of 200,
 * 15% unique; with all_unique, all unique (the store fills up to one
 * block per member).  With len over 8 KiB the second block read is the
 * tail, and the contents differ at one byte, in the head, the tail or
 * between.
 */
static void
huge_group(struct scratch *sc, const struct hl_engine_opts *o, const char *cfg,
	   size_t len, int all_unique)
{
	enum { N = 1200, NP = 208 };
	unsigned char *pool[NP], *buf[N];

	pool[0] = xmalloc(len);
	rnd_fill(pool[0], len);
	for (size_t t = 1; t < NP; t++) {
		pool[t] = xmalloc(len);
		memcpy(pool[t], pool[0], len);
		pool[t][(t * 7919) % len] ^= (unsigned char)(1 + t % 255);
	}
	for (size_t i = 0; i < N; i++) {
		size_t r = rnd_below(100), t;

		buf[i] = xmalloc(len);
		if (all_unique)
			t = NP;
		else if (r < 30)
			t = 0;
		else if (r < 60)
			t = 1 + rnd_below(7);
		else if (r < 85)
			t = 8 + rnd_below(NP - 8);
		else
			t = NP;
		if (t < NP) {
			memcpy(buf[i], pool[t], len);
		} else {
			memcpy(buf[i], pool[0], len);
			buf[i][rnd_below(len)] ^= 0x80;
			buf[i][rnd_below(len)] ^= 0x01;
			memcpy(buf[i], &i, sizeof(i));
		}
	}
	classify_bufs(sc, cfg, o, buf, N, len, NULL);
	for (size_t i = 0; i < N; i++)
		free(buf[i]);
	for (size_t t = 0; t < NP; t++)
		free(pool[t]);
}

static const struct config huge_configs[] = {
	{"huge group", {0, 0, 0, 0}},
	{"huge group, 2 threads", {0, 0, 0, 2}},
	{"huge group, max_open 1", {0, 0, 1, 0}},
};

static void
test_huge_group_few_contents(void **state)
{
	for (size_t c = 0; c < NELEM(huge_configs); c++)
		huge_group(*state, &huge_configs[c].o, huge_configs[c].name, 40,
			   0);
	huge_group(*state, &huge_configs[1].o, huge_configs[1].name, 9000, 0);
	huge_group(*state, &huge_configs[1].o, "huge group, all unique", 40, 1);
}

/* ---- identity ---- */

/* Member 1 is member 0's path again, member 3 a hard link of it. */
static void
same_inode(struct scratch *sc, const struct config *c)
{
	enum { LEN = 20000 };
	unsigned char *data = xmalloc(LEN);
	struct src s;
	size_t cls[4];
	int err[4];

	rnd_fill(data, LEN);
	src_init(&s, 4);
	s.path[0] = make_file(sc, data, LEN);
	s.path[1] = s.path[0];
	data[LEN - 1] ^= 1;
	s.path[2] = make_file(sc, data, LEN);
	assert_true(asprintf(&s.path[3], "%s.link", s.path[0]) > 0);
	assert_int_equal(link(s.path[0], s.path[3]), 0);
	assert_int_equal(classify(&c->o, &s, LEN, cls, err, NULL), 0);
	check_classes(c->name, 4, cls, err, (size_t[]){0, 0, 2, 0}, NULL);
	check_books(c->name, &s, &c->o);
	src_release(&s);
	scratch_clear(sc);
	free(data);
}

static void
test_same_inode_twice(void **state)
{
	for (size_t c = 0; c < NELEM(configs); c++)
		same_inode(*state, &configs[c]);
}

/* ---- errors ---- */

/*
 * n copies of one content (member i gets len[i] bytes of it: a prefix, or
 * the content followed by more bytes) classified as a group of size
 * `size`; member bad gets open() result force (0: open normally), or is
 * a directory when isdir is set.
 */
struct err_case {
	size_t n;
	uint64_t size;
	const uint64_t *len;
	size_t bad;
	int force;
	unsigned char isdir;
};

static void
run_err_case(struct scratch *sc, const struct config *c,
	     const struct err_case *ec, const size_t *want, const int *want_err)
{
	uint64_t maxlen = 0;
	unsigned char *data;
	struct src s;
	size_t *cls = xmalloc(ec->n * sizeof(*cls));
	int *err = xmalloc(ec->n * sizeof(*err));
	char what[160];

	for (size_t i = 0; i < ec->n; i++)
		maxlen = ec->len[i] > maxlen ? ec->len[i] : maxlen;
	data = xmalloc(maxlen);
	rnd_fill(data, maxlen);
	src_init(&s, ec->n);
	for (size_t i = 0; i < ec->n; i++) {
		if (ec->isdir && i == ec->bad) {
			assert_true(asprintf(&s.path[i], "%s/dir%u", sc->dir,
					     sc->nfiles++) > 0);
			assert_int_equal(mkdir(s.path[i], 0700), 0);
			s.isdir[i] = 1;
			continue;
		}
		s.path[i] = make_file(sc, data, ec->len[i]);
	}
	if (ec->force)
		s.force[ec->bad] = ec->force;
	snprintf(what, sizeof(what),
		 "%s: size %" PRIu64 ", member %zu "
		 "has %" PRIu64 " bytes",
		 c->name, ec->size, ec->bad, ec->len[ec->bad]);
	assert_int_equal(classify(&c->o, &s, ec->size, cls, err, NULL), 0);
	check_classes(what, ec->n, cls, err, want, want_err);
	check_books(what, &s, &c->o);
	src_release(&s);
	scratch_clear(sc);
	free(data);
	free(cls);
	free(err);
}

/* open() fails with EACCES for one of four identical members. */
static void
open_eacces(struct scratch *sc, const struct config *c)
{
	static const uint64_t len[4] = {10000, 10000, 10000, 10000};
	const size_t N = HL_NOCLASS;
	struct err_case ec = {4, 10000, len, 1, -EACCES, 0};

	run_err_case(sc, c, &ec, (size_t[]){0, N, 0, 0},
		     (int[]){0, -EACCES, 0, 0});
	/* the failing member is the would-be representative */
	ec.bad = 0;
	run_err_case(sc, c, &ec, (size_t[]){N, 1, 1, 1},
		     (int[]){-EACCES, 0, 0, 0});
}

/* Member 1 is shorter than the group size: a prefix of the others. */
static void
file_shrank(struct scratch *sc, const struct config *c)
{
	static const uint64_t shrunk[] = {0, 1, 4095, 4096, 4097, 9999};
	const size_t N = HL_NOCLASS;

	for (size_t k = 0; k < NELEM(shrunk); k++) {
		uint64_t len[3] = {10000, shrunk[k], 10000};
		struct err_case ec = {3, 10000, len, 1, 0, 0};

		run_err_case(sc, c, &ec, (size_t[]){0, N, 0},
			     (int[]){0, -HL_ECHANGED, 0});
	}
}

/* A member longer than the group size, equal to its twins up to it. */
static void
file_grew(struct scratch *sc, const struct config *c)
{
	static const uint64_t sizes[] = {0, 1, 4096, 10000, 65536};
	const size_t N = HL_NOCLASS;

	for (size_t k = 0; k < NELEM(sizes); k++) {
		uint64_t z = sizes[k];
		uint64_t len3[3] = {z, z + 1, z};
		uint64_t len2[2] = {z + 100, z};
		struct err_case ec3 = {3, z, len3, 1, 0, 0};
		struct err_case ec2 = {2, z, len2, 0, 0, 0};

		run_err_case(sc, c, &ec3, (size_t[]){0, N, 0},
			     (int[]){0, -HL_ECHANGED, 0});
		run_err_case(sc, c, &ec2, (size_t[]){N, 1},
			     (int[]){-HL_ECHANGED, 0});
	}
}

/* A member that opens but cannot be read: a directory (EISDIR). */
static void
read_error_directory(struct scratch *sc, const struct config *c)
{
	static const uint64_t len[3] = {10000, 10000, 10000};
	const size_t N = HL_NOCLASS;
	struct err_case ec = {3, 10000, len, 1, 0, 1};

	run_err_case(sc, c, &ec, (size_t[]){0, N, 0}, (int[]){0, -EISDIR, 0});
	ec.bad = 0;
	run_err_case(sc, c, &ec, (size_t[]){N, 1, 1}, (int[]){-EISDIR, 0, 0});
}

static void
test_open_eacces(void **state)
{
	for (size_t c = 0; c < NELEM(configs); c++)
		open_eacces(*state, &configs[c]);
}

static void
test_file_shrank(void **state)
{
	for (size_t c = 0; c < NELEM(configs); c++)
		file_shrank(*state, &configs[c]);
}

static void
test_file_grew(void **state)
{
	for (size_t c = 0; c < NELEM(configs); c++)
		file_grew(*state, &configs[c]);
}

static void
test_read_error_directory(void **state)
{
	for (size_t c = 0; c < NELEM(configs); c++)
		read_error_directory(*state, &configs[c]);
}

/* ---- over budget ---- */

/*
 * Ten files of 2.5 MiB with mem_limit 8192: not even one 4 KiB block per
 * member fits, so the engine hashes and streams.  The classes must be the
 * normal mode's, and the double reads must show in hash_passes.
 */
static void
test_over_budget(void **state)
{
	enum { N = 10, LEN = 2 * MIB + MIB / 2 };
	static const struct config over[] = {
		{"over budget", {0, MIN_MEM, 0, 0}},
		{"over budget, io_size 4096", {4096, MIN_MEM, 0, 0}},
		{"over budget, io_size 64 KiB", {64 * KIB, MIN_MEM, 0, 0}},
	};
	const size_t want[N] = {0, 0, 0, 0, 4, 4, 6, 7, 7, 9};
	struct hl_engine_opts normal = {0};
	unsigned char *buf[N];
	size_t got[N];
	struct hl_stats st;

	buf[0] = xmalloc(LEN);
	rnd_fill(buf[0], LEN);
	for (size_t i = 1; i < N; i++) {
		buf[i] = xmalloc(LEN);
		memcpy(buf[i], buf[0], LEN);
	}
	/* 0-3 identical; 4, 5 differ early alike, 6 alone; 7, 8 differ
	 * late alike, 9 alone (last byte) */
	buf[4][10] ^= 1;
	buf[5][10] ^= 1;
	buf[6][100] ^= 1;
	buf[7][LEN - 5000] ^= 1;
	buf[8][LEN - 5000] ^= 1;
	buf[9][LEN - 1] ^= 1;
	oracle(buf, N, LEN, got);
	assert_memory_equal(got, want, sizeof(want));

	/* both modes are checked against the same oracle */
	classify_bufs(*state, "normal", &normal, buf, N, LEN, &st);
	assert_int_equal(st.hash_passes, 0);
	for (size_t c = 0; c < NELEM(over); c++) {
		classify_bufs(*state, over[c].name, &over[c].o, buf, N, LEN,
			      &st);
		if (st.hash_passes == 0)
			fail_msg("%s: hash_passes is 0", over[c].name);
	}
	for (size_t i = 0; i < N; i++)
		free(buf[i]);
}

/*
 * Budget is counted in the bytes a file has, not in 4 KiB blocks: 100
 * files of 48 bytes (4,800 bytes) fit mem_limit 8192, so they are read
 * in lockstep, each opened and read once, never hashed and streamed.
 */
static void
test_small_files_fit_budget(void **state)
{
	enum { N = 100, LEN = 48 };
	struct hl_engine_opts o = {.mem_limit = MIN_MEM};
	unsigned char *buf[N];
	struct hl_stats st;

	for (size_t i = 0; i < N; i++) {
		buf[i] = xmalloc(LEN);
		memset(buf[i], 'x', LEN);
		buf[i][LEN - 1] = (unsigned char)('0' + i % 3);
	}
	classify_bufs(*state, "100 x 48 bytes, mem_limit 8192", &o, buf, N, LEN,
		      &st);
	assert_int_equal(st.hash_passes, 0);
	assert_int_equal(st.files_opened, N);
	assert_int_equal(st.bytes_read, N * (uint64_t)LEN);
	for (size_t i = 0; i < N; i++)
		free(buf[i]);
}

/*
 * Within the budget the blocks shrink so that members x block fits
 * mem_limit: eight identical 1 MiB files under 64 KiB take blocks of at
 * most 8 KiB, so at least 128 reads each (reads may return less, never
 * more).
 */
static void
test_mem_limit_bounds_blocks(void **state)
{
	enum { N = 8, LEN = MIB, LIMIT = 64 * KIB };
	struct hl_engine_opts o = {.mem_limit = LIMIT};
	unsigned char *buf[N];
	struct hl_stats st;

	buf[0] = xmalloc(LEN);
	rnd_fill(buf[0], LEN);
	for (size_t i = 1; i < N; i++) {
		buf[i] = xmalloc(LEN);
		memcpy(buf[i], buf[0], LEN);
	}
	classify_bufs(*state, "mem_limit 64 KiB", &o, buf, N, LEN, &st);
	assert_int_equal(st.hash_passes, 0);
	assert_int_equal(st.bytes_read, N * (uint64_t)LEN);
	if (st.reads < N * (LEN / (LIMIT / N)))
		fail_msg("%" PRIu64 " reads: blocks larger than mem_limit / "
			 "members",
			 st.reads);
	for (size_t i = 0; i < N; i++)
		free(buf[i]);
}

/* ---- open-file budget ---- */

static void
test_max_open_2(void **state)
{
	enum { N = 20, LEN = 50000 };
	struct hl_engine_opts o = {.max_open = 2};
	unsigned char *buf[N];

	buf[0] = xmalloc(LEN);
	rnd_fill(buf[0], LEN);
	for (size_t i = 1; i < N; i++) {
		buf[i] = xmalloc(LEN);
		memcpy(buf[i], buf[0], LEN);
		/* 1-15 in classes by i % 4, differing late; 0 and
		 * 16-19 unique */
		buf[i][LEN - 100 + i % 4] ^= 1;
		if (i >= 16)
			buf[i][i * 1000] ^= 2;
	}
	classify_bufs(*state, "max_open 2", &o, buf, N, LEN, NULL);
	o.mem_limit = MIN_MEM;
	classify_bufs(*state, "max_open 2, over budget", &o, buf, N, LEN, NULL);
	for (size_t i = 0; i < N; i++)
		free(buf[i]);
}

/* The basic cases again, under a small open-file budget. */
static void
test_cases_max_open(void **state)
{
	for (size_t c = 0; c < NELEM(open_configs); c++) {
		two_files(*state, &open_configs[c], -1);
		two_files(*state, &open_configs[c], 0);
		two_files(*state, &open_configs[c], 5000);
		two_files(*state, &open_configs[c], 9999);
		empty_files(*state, &open_configs[c]);
		same_inode(*state, &open_configs[c]);
	}
}

/* The error cases again: failing opens go through other code there. */
static void
test_errors_max_open(void **state)
{
	for (size_t c = 0; c < NELEM(open_configs); c++) {
		open_eacces(*state, &open_configs[c]);
		file_shrank(*state, &open_configs[c]);
		file_grew(*state, &open_configs[c]);
		read_error_directory(*state, &open_configs[c]);
	}
}

static void
test_boundaries_max_open_1(void **state)
{
	struct hl_engine_opts o = {.max_open = 1};

	boundaries(state, &o, "max_open 1");
}

/* ---- interrupt ---- */

struct intr {
	unsigned polls, stop_at;
};

static int
intr_fn(void *arg)
{
	struct intr *in = arg;

	return ++in->polls >= in->stop_at;
}

static void
interrupt_after(void **state, unsigned stop_at)
{
	enum { N = 6, LEN = 3 * MIB };
	struct hl_engine_opts o = {0};
	struct hl_engine *e = hl_engine_new(&o);
	struct intr in = {0, stop_at};
	unsigned char *data = xmalloc(LEN);
	size_t cls[N];
	int err[N];
	struct src s;
	struct hl_group g = {N, LEN, {src_open, src_close, &s}};

	assert_non_null(e);
	rnd_fill(data, LEN);
	src_init(&s, N);
	for (size_t i = 0; i < N; i++) {
		data[LEN - 1] = (unsigned char)(i / 2);
		s.path[i] = make_file(*state, data, LEN);
	}
	hl_engine_set_interrupt(e, intr_fn, &in);
	assert_int_equal(hl_engine_classify(e, &g, cls, err), -EINTR);
	assert_int_equal(in.polls, stop_at);
	check_books("interrupted", &s, &o);
	assert_true(stop_at == 1 || s.opens > 0);

	/* the engine is still usable once the callback is removed */
	hl_engine_set_interrupt(e, NULL, NULL);
	src_reset_books(&s);
	assert_int_equal(hl_engine_classify(e, &g, cls, err), 0);
	check_books("after interrupt", &s, &o);
	check_classes("after interrupt", N, cls, err,
		      (size_t[]){0, 0, 2, 2, 4, 4}, NULL);
	hl_engine_free(e);
	src_release(&s);
	free(data);
}

/*
 * Between blocks (when the interrupt callback is polled) a member found
 * unique after the first block holds no descriptor: engine.c closes it at
 * once and never reads it again.
 */
struct watch {
	const struct src *s;
	size_t member;
	unsigned polls, held_after_first;
};

static int
watch_fn(void *arg)
{
	struct watch *w = arg;

	if (w->polls++ >= 1 && w->s->held[w->member])
		w->held_after_first++;
	return 0;
}

static void
test_unique_closed_at_once(void **state)
{
	enum { N = 4, LEN = MIB };
	struct hl_engine_opts o = {0};
	struct hl_engine *e = hl_engine_new(&o);
	unsigned char *data = xmalloc(LEN);
	struct src s;
	struct watch w = {&s, 2, 0, 0};
	struct hl_group g = {N, LEN, {src_open, src_close, &s}};
	size_t cls[N];
	int err[N];

	assert_non_null(e);
	rnd_fill(data, LEN);
	src_init(&s, N);
	for (size_t i = 0; i < N; i++) {
		data[0] = i == 2;
		s.path[i] = make_file(*state, data, LEN);
	}
	hl_engine_set_interrupt(e, watch_fn, &w);
	assert_int_equal(hl_engine_classify(e, &g, cls, err), 0);
	check_classes("unique closed", N, cls, err, (size_t[]){0, 0, 2, 0},
		      NULL);
	check_books("unique closed", &s, &o);
	assert_true(w.polls > 1);
	if (w.held_after_first)
		fail_msg("member 2 held a descriptor at %u of %u polls after "
			 "it was found unique",
			 w.held_after_first, w.polls);
	hl_engine_free(e);
	src_release(&s);
	free(data);
}

static void
test_interrupt_at_once(void **state)
{
	interrupt_after(state, 1);
}

static void
test_interrupt_midway(void **state)
{
	/* a few blocks in: descriptors are held when it stops */
	interrupt_after(state, 4);
}

/* ---- counters ---- */

static void
test_stats_identical_read_once(void **state)
{
	enum { LEN = 10000 };
	struct hl_engine_opts o = {0};
	unsigned char *buf[2] = {xmalloc(LEN), xmalloc(LEN)};
	struct hl_stats st;

	rnd_fill(buf[0], LEN);
	memcpy(buf[1], buf[0], LEN);
	classify_bufs(*state, "10,000 bytes", &o, buf, 2, LEN, &st);
	/* each byte once; the probe past the end returns no byte */
	assert_int_equal(st.bytes_read, 2 * LEN);
	assert_int_equal(st.groups, 1);
	assert_int_equal(st.hash_passes, 0);
	free(buf[0]);
	free(buf[1]);
}

static void
test_stats_identical_3mib_read_once(void **state)
{
	enum { LEN = 3 * MIB };
	struct hl_engine_opts o = {0};
	unsigned char *buf[3] = {xmalloc(LEN), xmalloc(LEN), xmalloc(LEN)};
	struct hl_stats st;

	rnd_fill(buf[0], LEN);
	memcpy(buf[1], buf[0], LEN);
	memcpy(buf[2], buf[0], LEN);
	buf[2][LEN - 1] ^= 1;
	classify_bufs(*state, "3 MiB", &o, buf, 3, LEN, &st);
	/*
	 * The twins are read once, whole; the third differs in its last
	 * byte, which the probe of the last block finds after the first
	 * block: two 4 KiB reads.
	 */
	assert_int_equal(st.bytes_read, 2 * (uint64_t)LEN + 2 * 4096);
	for (size_t i = 0; i < 3; i++)
		free(buf[i]);
}

static void
test_stats_early_difference(void **state)
{
	enum { LEN = MIB };
	struct hl_engine_opts o = {0};
	unsigned char *buf[2] = {xmalloc(LEN), xmalloc(LEN)};
	struct hl_stats st;

	rnd_fill(buf[0], LEN);
	memcpy(buf[1], buf[0], LEN);
	buf[1][0] ^= 1;
	classify_bufs(*state, "1 MiB, differ at 0", &o, buf, 2, LEN, &st);
	if (st.bytes_read > 2 * 4096)
		fail_msg("read %" PRIu64 " bytes, expected at most 8192",
			 st.bytes_read);
	free(buf[0]);
	free(buf[1]);
}

/* files_opened counts the successful open() callbacks (hlcore.h). */
static void
test_stats_files_opened(void **state)
{
	enum { N = 8, LEN = 100000 };
	static const struct config opts[] = {
		{"default", {0, 0, 0, 0}},
		{"max_open 2", {0, 0, 2, 0}},
		{"over budget", {0, MIN_MEM, 0, 0}},
	};
	unsigned char *data = xmalloc(LEN);
	struct src s;
	int bad = 0;

	rnd_fill(data, LEN);
	src_init(&s, N);
	for (size_t i = 0; i < N; i++) {
		data[LEN / 2] = (unsigned char)(i / 3);
		s.path[i] = make_file(*state, data, LEN);
	}
	for (size_t k = 0; k < NELEM(opts); k++) {
		size_t cls[N];
		int err[N];
		struct hl_stats st;

		assert_int_equal(classify(&opts[k].o, &s, LEN, cls, err, &st),
				 0);
		check_classes(opts[k].name, N, cls, err,
			      (size_t[]){0, 0, 0, 3, 3, 3, 6, 6}, NULL);
		if (st.files_opened == s.opens)
			continue;
		print_error("%s: files_opened %" PRIu64 ", but %u successful "
			    "open() callbacks\n",
			    opts[k].name, st.files_opened, s.opens);
		bad = 1;
	}
	src_release(&s);
	free(data);
	if (bad)
		fail_msg("files_opened does not count every open()");
}

/*
 * Three members, one of them different at byte 0: it is dropped after the
 * first 4 KiB block, and the two others are read once each.
 */
static void
test_stats_unique_stops_early(void **state)
{
	enum { LEN = MIB };
	struct hl_engine_opts o = {0};
	unsigned char *buf[3] = {xmalloc(LEN), xmalloc(LEN), xmalloc(LEN)};
	struct hl_stats st;

	rnd_fill(buf[0], LEN);
	memcpy(buf[1], buf[0], LEN);
	memcpy(buf[2], buf[0], LEN);
	buf[1][0] ^= 1;
	classify_bufs(*state, "one unique of three", &o, buf, 3, LEN, &st);
	assert_int_equal(st.bytes_read, 2 * (uint64_t)LEN + 4096);
	for (size_t i = 0; i < 3; i++)
		free(buf[i]);
}

/* ---- randomized differential test ---- */

/*
 * 300 groups of 1..12 members, sizes 0..20000: each member is one of
 * three templates, often with a single-byte mutation drawn from a few
 * (offset, value) pairs so that mutated members collide with each other.
 * The engine must agree with the memcmp oracle.
 */
static void
random_groups(void **state, const struct hl_engine_opts *o, const char *cfg)
{
	enum { GROUPS = 300, MAXN = 12, MAXLEN = 20000, NT = 3 };
	struct hl_engine *e = hl_engine_new(o);
	unsigned char *tmpl[NT], *buf[MAXN];

	assert_non_null(e);
	for (size_t t = 0; t < NT; t++)
		tmpl[t] = xmalloc(MAXLEN);
	for (size_t i = 0; i < MAXN; i++)
		buf[i] = xmalloc(MAXLEN);
	for (unsigned g = 0; g < GROUPS; g++) {
		size_t n = 1 + rnd_below(MAXN), len = rnd_below(MAXLEN + 1);
		size_t moff[3], cls[MAXN], want[MAXN];
		int err[MAXN];
		struct src s;
		struct hl_group grp = {n, len, {src_open, src_close, &s}};
		char what[128];

		/* templates share a prefix: differences come late too */
		rnd_fill(tmpl[0], len);
		for (size_t t = 1; t < NT; t++) {
			size_t keep = rnd_below(len + 1);

			memcpy(tmpl[t], tmpl[0], keep);
			rnd_fill(tmpl[t] + keep, len - keep);
		}
		for (size_t k = 0; k < 3; k++)
			moff[k] = rnd_below(len);
		src_init(&s, n);
		for (size_t i = 0; i < n; i++) {
			memcpy(buf[i], tmpl[rnd_below(NT)], len);
			if (len && rnd_below(2))
				buf[i][moff[rnd_below(3)]] ^=
					(unsigned char)(1 + rnd_below(2));
			s.path[i] = make_file(*state, buf[i], len);
		}
		oracle(buf, n, len, want);
		assert_int_equal(hl_engine_classify(e, &grp, cls, err), 0);
		snprintf(what, sizeof(what), "%s: group %u (n %zu, size %zu)",
			 cfg, g, n, len);
		check_classes(what, n, cls, err, want, NULL);
		check_books(what, &s, o);
		src_release(&s);
		scratch_clear(*state);
	}
	for (size_t t = 0; t < NT; t++)
		free(tmpl[t]);
	for (size_t i = 0; i < MAXN; i++)
		free(buf[i]);
	hl_engine_free(e);
}

static void
test_random_default(void **state)
{
	struct hl_engine_opts o = {0};

	random_groups(state, &o, "default");
}

static void
test_random_min_mem(void **state)
{
	struct hl_engine_opts o = {.mem_limit = MIN_MEM};

	random_groups(state, &o, "mem_limit minimal");
}

static void
test_random_max_open_1(void **state)
{
	struct hl_engine_opts o = {.max_open = 1};

	random_groups(state, &o, "max_open 1");
}

static void
test_random_min_mem_max_open_1(void **state)
{
	struct hl_engine_opts o = {
		.io_size = 4096, .mem_limit = MIN_MEM, .max_open = 1};

	random_groups(state, &o, "io 4096, mem_limit minimal, max_open 1");
}

#ifdef HL_TEST_WRAP_XXH3
/*
 * Hash collisions: with every block hashing alike (or by its first byte
 * only), the classes must not change.  Needs the --wrap link option; a
 * build without it leaves this test out (cmocka's TAP skip line reads
 * "not ok", which meson counts as a failure).
 */
static void
test_hash_collisions(void **state)
{
	static const struct config cfg[] = {
		{"collide, default", {0, 0, 0, 0}},
		{"collide, over budget", {0, MIN_MEM, 0, 0}},
		{"collide, over budget, io_size 4096", {4096, MIN_MEM, 0, 0}},
	};

	for (int mode = 1; mode <= 2; mode++) {
		collide = mode;
		hash_calls = 0;
		for (size_t c = 0; c < NELEM(cfg); c++) {
			seed = base_seed;
			random_groups(state, &cfg[c].o, cfg[c].name);
			many_files(state, &cfg[c].o, cfg[c].name);
		}
		big_class(*state, &big_configs[0].o, "collide", 1);
		big_class(*state, &big_configs[1].o, "collide", 1);
		huge_group(*state, &huge_configs[1].o, "collide", 40, 0);
		collide = 0;
		/* an engine built with XXH_INLINE_ALL would escape the wrap */
		if (!hash_calls)
			fail_msg("the engine's XXH3_64bits calls were not "
				 "interposed: this test proves nothing");
	}
}
#endif

/* ---- digests (hl_engine_classify_batch2) ---- */

/*
 * Each size: members 0-2 equal, 3 differs in its first byte, 4 in its
 * last.  A digest given must be XXH3 of its range (hlcore.h); by default
 * every member has its head, and the members that share a head and are
 * over 4 KiB their tail.  Two groups in one batch, on two threads.
 */
static void
digests_case(struct scratch *sc, const struct config *c, size_t len)
{
	enum { N = 5 };
	unsigned char *buf[N];
	size_t cls[2][N], *clsv[2] = {cls[0], cls[1]};
	int err[2][N], *errv[2] = {err[0], err[1]};
	struct hl_digest dig[2][N], *digv[2] = {dig[0], NULL};
	struct hl_engine_opts o = c->o;
	struct hl_group g[2];
	struct src s[2];
	struct hl_engine *e;
	uint64_t head = len < 4096 ? len : 4096;
	uint64_t ts = len > 8192 ? len - 4096 : 4096;

	for (size_t i = 0; i < N; i++)
		buf[i] = xmalloc(len);
	rnd_fill(buf[0], len);
	for (size_t i = 1; i < N; i++)
		memcpy(buf[i], buf[0], len);
	buf[3][0] ^= 1;
	buf[4][len - 1] ^= 1;
	for (size_t k = 0; k < 2; k++) {
		src_init(&s[k], N);
		for (size_t i = 0; i < N; i++)
			s[k].path[i] = make_file(sc, buf[i], len);
		g[k] = (struct hl_group){N, len, {src_open, src_close, &s[k]}};
	}
	o.threads = 2;
	e = hl_engine_new(&o);
	assert_non_null(e);
	assert_int_equal(hl_engine_classify_batch2(e, 2, g, clsv, errv, digv),
			 0);
	for (size_t i = 0; i < N; i++) {
		const struct hl_digest *d = &dig[0][i];

		assert_int_equal(err[0][i], 0);
		assert_int_equal(cls[0][i], cls[1][i]);
		if (d->have & HL_DIGEST_HEAD)
			assert_true(d->head == XXH3_64bits(buf[i], head));
		if (d->have & HL_DIGEST_TAIL)
			assert_true(len > 4096 &&
				    d->tail ==
					    XXH3_64bits(buf[i] + ts, len - ts));
		if (!c->o.mem_limit)
			assert_true(d->have & HL_DIGEST_HEAD);
		if (!c->o.mem_limit && !c->o.io_size && len > 4096 && i != 3)
			assert_true(d->have & HL_DIGEST_TAIL);
	}
	assert_true(dig[0][3].head != dig[0][0].head);
	hl_engine_free(e);
	for (size_t k = 0; k < 2; k++) {
		for (size_t i = 0; i < N; i++)
			unlink(s[k].path[i]);
		src_release(&s[k]);
	}
	for (size_t i = 0; i < N; i++)
		free(buf[i]);
}

static void
test_digests(void **state)
{
	static const size_t sizes[] = {1,    100,  4096,  4097,	 5000,
				       8192, 8193, 10000, 100000};

	for (size_t c = 0; c < NELEM(configs); c++)
		for (size_t k = 0; k < NELEM(sizes); k++)
			digests_case(*state, &configs[c], sizes[k]);
}

#define T(f) cmocka_unit_test_setup_teardown(f, scratch_setup, scratch_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_two_equal),
		T(test_diff_first_byte),
		T(test_diff_middle_byte),
		T(test_diff_last_byte),
		T(test_empty_files),
		T(test_single_member),
		T(test_boundaries),
		T(test_boundaries_over_budget),
		T(test_boundaries_small_io),
		T(test_many_files),
		T(test_many_files_over_budget),
		T(test_big_class_against_first),
		T(test_huge_group_few_contents),
		T(test_same_inode_twice),
		T(test_open_eacces),
		T(test_file_shrank),
		T(test_file_grew),
		T(test_read_error_directory),
		T(test_over_budget),
		T(test_small_files_fit_budget),
		T(test_mem_limit_bounds_blocks),
		T(test_max_open_2),
		T(test_cases_max_open),
		T(test_errors_max_open),
		T(test_boundaries_max_open_1),
		T(test_unique_closed_at_once),
		T(test_interrupt_at_once),
		T(test_interrupt_midway),
		T(test_stats_identical_read_once),
		T(test_stats_identical_3mib_read_once),
		T(test_stats_early_difference),
		T(test_stats_files_opened),
		T(test_stats_unique_stops_early),
		T(test_random_default),
		T(test_random_min_mem),
		T(test_random_max_open_1),
		T(test_random_min_mem_max_open_1),
		T(test_digests),
#ifdef HL_TEST_WRAP_XXH3
		T(test_hash_collisions),
#endif
	};

	seed_from_env();
	return cmocka_run_group_tests_name("engine", tests, NULL, NULL);
}
