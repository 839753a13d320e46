/*
 * test_threads.c - the engine with worker threads (opts.threads > 1).
 *
 * engine.c puts its workers to use in two ways, and these tests reach
 * both:
 *  - a step of hl_engine_classify with PARALLEL_MEMBERS members or more
 *    is read by all threads, each member's block on whichever thread takes
 *    it;
 *  - hl_engine_classify_batch, given two groups or more holding
 *    BATCH_PARALLEL members or more, classifies its small groups at the
 *    same time, one per thread, then its big groups (BIG_MEMBERS members,
 *    or BIG_BYTES) one after the other as above.
 * Below those thresholds every callback runs on the caller's thread.
 * test_thresholds checks both sides of each, so that when engine.c is
 * retuned, the numbers here are too, and the other tests still reach the
 * pool.
 *
 * That callbacks ran on several threads at once is shown without relying
 * on timing: a "meeting" makes the first open() on each thread wait until
 * the wanted number of distinct threads has called open().  It can only
 * complete when that many threads are inside the engine's callbacks
 * together; otherwise it gives up after MEET_SECONDS and the test fails.
 *
 * Each member is a scratch file; the expected classes come from memcmp of
 * the contents kept in memory (class[i] is the smallest index of a
 * readable member with the same bytes).  A member whose open() fails must
 * come back with that error, a member of another size (a truncated or
 * grown copy of a readable member, so that it is read to its end) with
 * -HL_ECHANGED.  The callbacks keep their books with atomics: descriptors
 * handed out and given back (to the right member, exactly once), and the
 * most open at once.  Random contents use a fixed seed, overridable with
 * HL_TEST_SEED; the seed is printed when a case fails.
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
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hlcore.h"
#include "testutil.h"

/* engine.c's thresholds (see the comment at the top) */
#define PARALLEL_MEMBERS 16
#define BATCH_PARALLEL 256
#define BIG_MEMBERS 512
#define BIG_BYTES (1u << 20)

#define KIB 1024u
#define FD_SLOTS 65536
#define MAX_THREADS 64
#ifndef MEET_SECONDS
#define MEET_SECONDS 60
#endif

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static char *scratch_dir;
static unsigned nfiles;

/* ---- helpers ---- */

/* ---- meetings ---- */

struct meet {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned want, n;
	pthread_t seen[MAX_THREADS];
	int gave_up;
};

static void
meet_init(struct meet *mt, unsigned want)
{
	memset(mt, 0, sizeof(*mt));
	assert_int_equal(pthread_mutex_init(&mt->mu, NULL), 0);
	assert_int_equal(pthread_cond_init(&mt->cv, NULL), 0);
	mt->want = want;
}

static void
meet_release(struct meet *mt)
{
	pthread_mutex_destroy(&mt->mu);
	pthread_cond_destroy(&mt->cv);
}

/* Waits until mt->want distinct threads have arrived (or gives up). */
static void
meet_arrive(struct meet *mt)
{
	pthread_t self = pthread_self();
	struct timespec until;
	unsigned i;

	pthread_mutex_lock(&mt->mu);
	for (i = 0; i < mt->n && !pthread_equal(mt->seen[i], self); i++)
		;
	if (i == mt->n && mt->n < MAX_THREADS) {
		mt->seen[mt->n++] = self;
		pthread_cond_broadcast(&mt->cv);
	}
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += MEET_SECONDS;
	while (mt->n < mt->want && !mt->gave_up) {
		if (pthread_cond_timedwait(&mt->cv, &mt->mu, &until) ==
		    ETIMEDOUT) {
			mt->gave_up = 1;
			pthread_cond_broadcast(&mt->cv);
		}
	}
	pthread_mutex_unlock(&mt->mu);
}

static void
check_met(const char *what, struct meet *mt)
{
	if (mt->gave_up || mt->n < mt->want)
		fail_msg("%s: callbacks ran on %u thread(s) at once, expected "
			 "%u",
			 what, mt->n, mt->want);
}

/* ---- members, groups and the callbacks' books ---- */

struct books {
	pthread_t caller;
	atomic_uint opens, closes, cur, peak, bad, foreign;
	_Atomic uint64_t *owner; /* fd -> group and member + 1, 0: not ours */
};

struct member {
	char *path;
	unsigned char *buf; /* the file's contents */
	size_t len;
	int fail; /* open() returns it (0: opens) */
};

struct tgroup {
	unsigned id;
	size_t n;
	uint64_t size;
	struct member *m;
	struct meet *meet; /* open() waits in it, or NULL */
	struct books *bk;
	size_t *cls, *want;
	int *err, *want_err;
};

struct set {
	struct tgroup *g;
	size_t ng;
	struct books bk;
	struct hl_group *hg;
	size_t **cls;
	int **err;
};

static void
note_thread(struct books *bk)
{
	if (!pthread_equal(pthread_self(), bk->caller))
		atomic_fetch_add(&bk->foreign, 1);
}

static uint64_t
fd_key(const struct tgroup *g, size_t i)
{
	return ((uint64_t)g->id << 32 | i) + 1;
}

static int
t_open(void *cookie, size_t i)
{
	struct tgroup *g = cookie;
	struct books *bk = g->bk;
	uint64_t none = 0;
	unsigned cur, peak;
	int fd;

	note_thread(bk);
	if (i >= g->n) {
		atomic_fetch_add(&bk->bad, 1);
		return -EINVAL;
	}
	if (g->meet)
		meet_arrive(g->meet);
	if (g->m[i].fail)
		return g->m[i].fail;
	fd = open(g->m[i].path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fd >= FD_SLOTS || !atomic_compare_exchange_strong(
				      &bk->owner[fd], &none, fd_key(g, i))) {
		atomic_fetch_add(&bk->bad, 1);
		return fd;
	}
	atomic_fetch_add(&bk->opens, 1);
	cur = atomic_fetch_add(&bk->cur, 1) + 1;
	peak = atomic_load(&bk->peak);
	while (cur > peak &&
	       !atomic_compare_exchange_weak(&bk->peak, &peak, cur))
		;
	return fd;
}

static void
t_close(void *cookie, size_t i, int fd)
{
	struct tgroup *g = cookie;
	struct books *bk = g->bk;
	uint64_t key = fd_key(g, i);

	note_thread(bk);
	/* a descriptor we never gave out, or gave out for another member */
	if (fd < 0 || fd >= FD_SLOTS ||
	    !atomic_compare_exchange_strong(&bk->owner[fd], &key, 0)) {
		atomic_fetch_add(&bk->bad, 1);
		return;
	}
	atomic_fetch_add(&bk->closes, 1);
	atomic_fetch_sub(&bk->cur, 1);
	close(fd);
}

static void
books_reset(struct books *bk)
{
	bk->caller = pthread_self();
	atomic_store(&bk->opens, 0);
	atomic_store(&bk->closes, 0);
	atomic_store(&bk->cur, 0);
	atomic_store(&bk->peak, 0);
	atomic_store(&bk->bad, 0);
	atomic_store(&bk->foreign, 0);
}

/*
 * After a call: every descriptor given back once, to its member; at most
 * max_open open at once, or max_open + threads - 1 when each thread's one
 * exceeds it (hlcore.h).
 */
static void
check_books(const char *what, struct books *bk, const struct hl_engine_opts *o)
{
	unsigned max_open = o->max_open ? o->max_open : 256;
	unsigned threads = o->threads > 1 ? o->threads : 1;
	unsigned bound = max_open >= threads ? max_open
					     : max_open + threads - 1;

	if (bk->bad)
		fail_msg("%s: callbacks saw %u bad calls", what, bk->bad);
	if (bk->opens != bk->closes || bk->cur)
		fail_msg("%s: %u opens, %u closes", what, bk->opens,
			 bk->closes);
	if (bk->peak > bound)
		fail_msg("%s: %u descriptors open at once, max_open %u, "
			 "%u threads",
			 what, bk->peak, max_open, threads);
}

/* Writes a member's contents to a new scratch file. */
static void
member_set(struct member *m, const unsigned char *buf, size_t len)
{
	int fd;

	m->buf = xcalloc(1, len);
	memcpy(m->buf, buf, len);
	m->len = len;
	assert_true(asprintf(&m->path, "%s/f%u", scratch_dir, nfiles++) > 0);
	fd = open(m->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	for (size_t done = 0; done < len;) {
		ssize_t w = write(fd, buf + done, len - done);

		assert_true(w > 0);
		done += (size_t)w;
	}
	assert_int_equal(close(fd), 0);
}

static struct tgroup *
set_add(struct set *s, size_t n, uint64_t size)
{
	struct tgroup *g;

	s->g = realloc(s->g, (s->ng + 1) * sizeof(*s->g));
	assert_non_null(s->g);
	g = &s->g[s->ng];
	memset(g, 0, sizeof(*g));
	g->id = (unsigned)s->ng++;
	g->n = n;
	g->size = size;
	g->bk = &s->bk;
	g->m = xcalloc(n, sizeof(*g->m));
	g->cls = xcalloc(n, sizeof(*g->cls));
	g->want = xcalloc(n, sizeof(*g->want));
	g->err = xcalloc(n, sizeof(*g->err));
	g->want_err = xcalloc(n, sizeof(*g->want_err));
	return g;
}

enum errors {
	E_NONE,	  /* every member readable */
	E_SOME,	  /* a member in five fails to open; a group in four has
		     a member of another size */
	E_ALWAYS, /* one of each in every group of three members or more */
};

/*
 * Fills g from up to three templates that share a prefix (so that
 * differences come late too), with single-byte changes drawn from three
 * (offset, value) pairs (so that changed members often match each other).
 */
static void
fill_group(struct tgroup *g, enum errors errors)
{
	static const int fails[] = {-EIO, -EACCES, -ENOENT};
	size_t n = g->n, len = (size_t)g->size, moff[3];
	unsigned char *tmpl[3], *buf = xcalloc(1, len + 64);
	size_t victim = n, partner = 0, failer = n;

	for (size_t t = 0; t < 3; t++)
		tmpl[t] = xcalloc(1, len);
	rnd_fill(tmpl[0], len);
	for (size_t t = 1; t < 3; t++) {
		size_t keep = rnd_below(len + 1);

		memcpy(tmpl[t], tmpl[0], keep);
		rnd_fill(tmpl[t] + keep, len - keep);
	}
	for (size_t k = 0; k < 3; k++)
		moff[k] = rnd_below(len);
	if (n > 2 &&
	    (errors == E_ALWAYS || (errors == E_SOME && rnd_below(4) == 0))) {
		victim = 1 + rnd_below(n - 1);
		partner = rnd_below(victim);
	}
	/* E_ALWAYS: the last member that is neither of those fails */
	for (size_t i = n; errors == E_ALWAYS && n > 2 && i-- > 0;) {
		if (i != victim && i != partner) {
			failer = i;
			break;
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct member *m = &g->m[i];

		memcpy(buf, tmpl[rnd_below(3)], len);
		if (len && rnd_below(3) == 0)
			buf[moff[rnd_below(3)]] ^=
				(unsigned char)(1 + rnd_below(2));
		if (i == victim) {
			/* the partner's bytes, shorter or longer */
			size_t d = 1 + rnd_below(64), vlen = len + d;

			memcpy(buf, g->m[partner].buf, len);
			rnd_fill(buf + len, d);
			if (len && rnd_below(2))
				vlen = d < len ? len - d : 0;
			member_set(m, buf, vlen);
			continue;
		}
		member_set(m, buf, len);
		if (i == failer || (errors == E_SOME && n > 1 && i != partner &&
				    rnd_below(5) == 0))
			m->fail = fails[rnd_below(NELEM(fails))];
	}
	for (size_t t = 0; t < 3; t++)
		free(tmpl[t]);
	free(buf);
}

/* The oracle: what hl_engine_classify must answer for g. */
static void
expect(struct tgroup *g)
{
	for (size_t i = 0; i < g->n; i++) {
		const struct member *m = &g->m[i];
		size_t j;

		g->want_err[i] = 0;
		if (g->n == 1) { /* never opened */
			g->want[i] = 0;
			continue;
		}
		if (m->fail || m->len != g->size) {
			g->want[i] = HL_NOCLASS;
			g->want_err[i] = m->fail ? m->fail : -HL_ECHANGED;
			continue;
		}
		for (j = 0; j < i; j++) {
			const struct member *o = &g->m[j];

			if (!o->fail && o->len == g->size &&
			    !memcmp(o->buf, m->buf, m->len))
				break;
		}
		g->want[i] = j;
	}
}

static void
check_group(const char *what, const struct tgroup *g)
{
	int bad = 0;

	for (size_t i = 0; i < g->n; i++) {
		if (g->cls[i] == g->want[i] && g->err[i] == g->want_err[i])
			continue;
		print_error("%s: group %u (n %zu, size %" PRIu64 "), member "
			    "%zu: class %zd err %d, expected class %zd err "
			    "%d\n",
			    what, g->id, g->n, g->size, i, (ssize_t)g->cls[i],
			    g->err[i], (ssize_t)g->want[i], g->want_err[i]);
		bad = 1;
	}
	if (bad)
		fail_msg("%s: wrong classes (HL_TEST_SEED=%" PRIu64 ")", what,
			 base_seed);
}

/* The arrays hl_engine_classify_batch takes, once the set is complete. */
static void
set_seal(struct set *s)
{
	s->hg = xcalloc(s->ng, sizeof(*s->hg));
	s->cls = xcalloc(s->ng, sizeof(*s->cls));
	s->err = xcalloc(s->ng, sizeof(*s->err));
	for (size_t k = 0; k < s->ng; k++) {
		struct tgroup *g = &s->g[k];

		s->hg[k] = (struct hl_group){
			g->n, g->size, {t_open, t_close, g}};
		s->cls[k] = g->cls;
		s->err[k] = g->err;
		expect(g);
	}
}

static void
set_init(struct set *s)
{
	memset(s, 0, sizeof(*s));
	s->bk.owner = xcalloc(FD_SLOTS, sizeof(*s->bk.owner));
	books_reset(&s->bk);
}

static void
set_release(struct set *s)
{
	for (size_t k = 0; k < s->ng; k++) {
		struct tgroup *g = &s->g[k];

		for (size_t i = 0; i < g->n; i++) {
			unlink(g->m[i].path);
			free(g->m[i].path);
			free(g->m[i].buf);
		}
		free(g->m);
		free(g->cls);
		free(g->want);
		free(g->err);
		free(g->want_err);
	}
	free(s->g);
	free(s->hg);
	free(s->cls);
	free(s->err);
	free(s->bk.owner);
}

static void
set_meet(struct set *s, size_t k, struct meet *mt)
{
	s->g[k].meet = mt;
}

static void
check_set(const char *what, const struct set *s)
{
	for (size_t k = 0; k < s->ng; k++)
		check_group(what, &s->g[k]);
}

/* ---- scratch directory ---- */

static int
scratch_setup(void **state)
{
	const char *tmp = getenv("TMPDIR");

	(void)state;
	seed = base_seed;
	if (!tmp || !*tmp)
		tmp = "/tmp";
	if (asprintf(&scratch_dir, "%s/hl-threads.XXXXXX", tmp) < 0)
		return -1;
	if (!mkdtemp(scratch_dir)) {
		fprintf(stderr, "mkdtemp %s: %s\n", scratch_dir,
			strerror(errno));
		return -1;
	}
	return 0;
}

/* Removes what a failed test left (a test that passes unlinks its files). */
static int
scratch_teardown(void **state)
{
	DIR *d = opendir(scratch_dir);
	struct dirent *de;
	int rc = 0;

	(void)state;
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    unlinkat(dirfd(d), de->d_name, 0) < 0)
			rc = -1;
	}
	closedir(d);
	if (rmdir(scratch_dir) < 0)
		rc = -1;
	free(scratch_dir);
	scratch_dir = NULL;
	return rc;
}

/* ---- one group read by all threads ---- */

/*
 * 40 members of 100 KiB and a bit (several blocks, a tail step, and a
 * last block that is not a multiple of 4 KiB), one member that fails to
 * open and one of another size; every option set that keeps the steps in
 * memory, so that each step is read by all threads.  Over budget
 * (mem_limit below a 4 KiB block per member) the engine reads on the
 * caller's thread alone.
 */
static void
test_classify_all_threads_read(void **state)
{
	static const struct hl_engine_opts configs[] = {
		{0, 0, 0, 0},
		{4096, 0, 0, 0},
		{0, 0, 8, 0},
		{0, 0, 1, 0},
	};
	static const unsigned nthreads[] = {2, 4};
	struct set s;
	struct tgroup *g;

	(void)state;
	set_init(&s);
	g = set_add(&s, 40, 100 * KIB + 123);
	fill_group(g, E_ALWAYS);
	set_seal(&s);
	for (size_t t = 0; t < NELEM(nthreads); t++) {
		for (size_t c = 0; c < NELEM(configs); c++) {
			struct hl_engine_opts o = configs[c];
			struct hl_engine *e;
			struct meet mt;
			char what[96];

			o.threads = nthreads[t];
			snprintf(what, sizeof(what),
				 "threads %u, io_size %zu, max_open %u",
				 o.threads, o.io_size, o.max_open);
			e = hl_engine_new(&o);
			assert_non_null(e);
			meet_init(&mt, o.threads);
			g->meet = &mt;
			books_reset(&s.bk);
			assert_int_equal(
				hl_engine_classify(e, &s.hg[0], g->cls, g->err),
				0);
			hl_engine_free(e);
			check_group(what, g);
			check_books(what, &s.bk, &o);
			check_met(what, &mt);
			meet_release(&mt);
		}
	}
	set_release(&s);
}

/* ---- batches ---- */

/*
 * A batch of everything: 300 small groups of 1-8 members and 0-6000
 * bytes, then, among them, two groups big by their bytes (20 x 64 KiB)
 * and one by its members (BIG_MEMBERS + 8 of 200 bytes); members that
 * fail to open and members of another size here and there.
 */
static void
make_mixed_batch(struct set *s, enum errors errors, int with_big)
{
	for (unsigned k = 0; k < 300; k++) {
		if (with_big && (k == 10 || k == 150)) {
			fill_group(set_add(s, 20, 64 * KIB), E_ALWAYS);
			assert_true(20 * 64 * KIB >= BIG_BYTES);
		}
		if (with_big && k == 299)
			fill_group(set_add(s, BIG_MEMBERS + 8, 200), E_ALWAYS);
		fill_group(set_add(s, 1 + rnd_below(8), rnd_below(6001)),
			   errors);
	}
	set_seal(s);
}

static int
is_big(const struct tgroup *g)
{
	return g->n >= BIG_MEMBERS || g->n * g->size >= BIG_BYTES;
}

/*
 * The same mixed batch under 1, 2 and 4 threads, with the default budget
 * of descriptors and with 8 (shared among threads: most opens are
 * transient).  With threads, the small groups must be classified on all
 * threads at once, and each big group read by all of them.
 */
static void
test_batch_mixed(void **state)
{
	static const unsigned nthreads[] = {1, 2, 4};
	static const unsigned max_open[] = {0, 8};
	struct set s;

	(void)state;
	set_init(&s);
	make_mixed_batch(&s, E_SOME, 1);
	for (size_t t = 0; t < NELEM(nthreads); t++) {
		for (size_t c = 0; c < NELEM(max_open); c++) {
			struct hl_engine_opts o = {0, 0, max_open[c],
						   nthreads[t]};
			struct meet small, big[3];
			struct hl_engine *e = hl_engine_new(&o);
			struct hl_stats st;
			size_t nbig = 0;
			char what[64];

			assert_non_null(e);
			snprintf(what, sizeof(what),
				 "batch, threads %u, max_open %u", o.threads,
				 o.max_open);
			meet_init(&small, o.threads);
			for (size_t k = 0; k < s.ng; k++) {
				if (!is_big(&s.g[k])) {
					set_meet(&s, k, &small);
					continue;
				}
				assert_true(nbig < NELEM(big));
				meet_init(&big[nbig], o.threads);
				set_meet(&s, k, &big[nbig++]);
			}
			assert_int_equal(nbig, 3);
			books_reset(&s.bk);
			assert_int_equal(hl_engine_classify_batch(e, s.ng, s.hg,
								  s.cls, s.err),
					 0);
			hl_engine_stats(e, &st);
			hl_engine_free(e);
			check_set(what, &s);
			check_books(what, &s.bk, &o);
			/* the engine's counters add up over all threads */
			assert_int_equal(st.groups, s.ng);
			assert_int_equal(st.files_opened, s.bk.opens);
			check_met(what, &small);
			meet_release(&small);
			for (size_t b = 0; b < nbig; b++) {
				check_met(what, &big[b]);
				meet_release(&big[b]);
			}
		}
	}
	set_release(&s);
}

/* ---- interrupted batches ---- */

struct intr {
	atomic_uint polls;
	unsigned stop_at;
	pthread_mutex_t mu;
	pthread_t seen[MAX_THREADS];
	unsigned nseen;
};

static int
intr_fn(void *arg)
{
	struct intr *in = arg;
	pthread_t self = pthread_self();
	unsigned i;

	pthread_mutex_lock(&in->mu);
	for (i = 0; i < in->nseen && !pthread_equal(in->seen[i], self); i++)
		;
	if (i == in->nseen && in->nseen < MAX_THREADS)
		in->seen[in->nseen++] = self;
	pthread_mutex_unlock(&in->mu);
	return atomic_fetch_add(&in->polls, 1) + 1 >= in->stop_at;
}

/*
 * hl_engine_classify_batch stopped by the interrupt callback while all
 * threads classify groups: -EINTR, every descriptor given back, and the
 * same engine classifies the batch right afterwards.  The callback must
 * have been polled on every thread: each thread polls before its first
 * open, and the meeting holds them there until all have come, so the
 * 40th poll comes after that.  Stopping at the first poll is checked too.
 */
static void
batch_interrupt(unsigned threads, unsigned stop_at)
{
	struct hl_engine_opts o = {0, 0, 0, threads};
	struct hl_engine *e = hl_engine_new(&o);
	struct intr in = {0};
	struct meet mt;
	struct set s;
	char what[64];

	assert_non_null(e);
	snprintf(what, sizeof(what), "interrupted batch, threads %u, poll %u",
		 threads, stop_at);
	set_init(&s);
	make_mixed_batch(&s, E_SOME, 0);
	meet_init(&mt, threads);
	/* a callback that stops at once leaves no thread to meet */
	for (size_t k = 0; stop_at > 1 && k < s.ng; k++)
		set_meet(&s, k, &mt);
	in.stop_at = stop_at;
	assert_int_equal(pthread_mutex_init(&in.mu, NULL), 0);
	hl_engine_set_interrupt(e, intr_fn, &in);
	assert_int_equal(hl_engine_classify_batch(e, s.ng, s.hg, s.cls, s.err),
			 -EINTR);
	check_books(what, &s.bk, &o);
	assert_true(atomic_load(&in.polls) >= stop_at);
	if (stop_at > 1) {
		check_met(what, &mt);
		if (in.nseen != threads)
			fail_msg("%s: polled on %u threads", what, in.nseen);
	}

	/* the engine is still usable once the callback is removed */
	hl_engine_set_interrupt(e, NULL, NULL);
	for (size_t k = 0; k < s.ng; k++)
		set_meet(&s, k, NULL);
	books_reset(&s.bk);
	assert_int_equal(hl_engine_classify_batch(e, s.ng, s.hg, s.cls, s.err),
			 0);
	check_set(what, &s);
	check_books(what, &s.bk, &o);
	hl_engine_free(e);
	pthread_mutex_destroy(&in.mu);
	meet_release(&mt);
	set_release(&s);
}

static void
test_batch_interrupt(void **state)
{
	(void)state;
	batch_interrupt(2, 40);
	batch_interrupt(4, 40);
	batch_interrupt(4, 1);
}

/* ---- thresholds ---- */

/*
 * Both sides of each threshold, four threads: below it, every callback
 * on the caller's thread; at it, on all four at once.
 */
static void
classify_at(unsigned members, int pooled)
{
	struct hl_engine_opts o = {0, 0, 0, 4};
	struct hl_engine *e = hl_engine_new(&o);
	struct meet mt;
	struct set s;
	struct tgroup *g;
	char what[64];

	assert_non_null(e);
	snprintf(what, sizeof(what), "one group of %u members", members);
	set_init(&s);
	g = set_add(&s, members, 5000);
	fill_group(g, E_NONE);
	set_seal(&s);
	meet_init(&mt, 4);
	if (pooled)
		g->meet = &mt;
	assert_int_equal(hl_engine_classify(e, &s.hg[0], g->cls, g->err), 0);
	hl_engine_free(e);
	check_group(what, g);
	check_books(what, &s.bk, &o);
	if (pooled)
		check_met(what, &mt);
	else if (s.bk.foreign)
		fail_msg("%s: %u callbacks off the caller's thread", what,
			 s.bk.foreign);
	meet_release(&mt);
	set_release(&s);
}

static void
batch_at(unsigned members, int pooled)
{
	struct hl_engine_opts o = {0, 0, 0, 4};
	struct hl_engine *e = hl_engine_new(&o);
	struct meet mt;
	struct set s;
	char what[64];

	assert_non_null(e);
	snprintf(what, sizeof(what), "a batch of %u members", members);
	set_init(&s);
	/* groups of 5, and the rest (a group of 1 is never opened) */
	for (unsigned left = members; left; left -= left < 5 ? left : 5)
		fill_group(set_add(&s, left < 5 ? left : 5, 1000), E_NONE);
	set_seal(&s);
	meet_init(&mt, 4);
	for (size_t k = 0; pooled && k < s.ng; k++)
		set_meet(&s, k, &mt);
	assert_int_equal(hl_engine_classify_batch(e, s.ng, s.hg, s.cls, s.err),
			 0);
	hl_engine_free(e);
	check_set(what, &s);
	check_books(what, &s.bk, &o);
	if (pooled)
		check_met(what, &mt);
	else if (s.bk.foreign)
		fail_msg("%s: %u callbacks off the caller's thread", what,
			 s.bk.foreign);
	meet_release(&mt);
	set_release(&s);
}

static void
test_thresholds(void **state)
{
	(void)state;
	classify_at(PARALLEL_MEMBERS - 1, 0);
	classify_at(PARALLEL_MEMBERS, 1);
	batch_at(BATCH_PARALLEL - 1, 0);
	batch_at(BATCH_PARALLEL, 1);
}

#define T(f) cmocka_unit_test_setup_teardown(f, scratch_setup, scratch_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_classify_all_threads_read),
		T(test_batch_mixed),
		T(test_batch_interrupt),
		T(test_thresholds),
	};

	seed_from_env();
	return cmocka_run_group_tests_name("threads", tests, NULL, NULL);
}
