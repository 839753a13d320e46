/*
 * engine.c - partition same-size files into classes of identical content.
 *
 * HOW IT WORKS
 *
 * util-linux hardlink compares every pair of a size group: k files cost
 * k(k-1)/2 comparisons, and the master is re-read for each of them.  Here
 * the members of a group are read in lockstep, one block at a time, and
 * the group is refined after every block:
 *
 *   1. Take a class (initially the whole group) whose members share the
 *      same bytes up to offset `off`.
 *   2. Read the next block of every member into memory (block size chosen
 *      so that members x block fits mem_limit).
 *   3. Hash each block with XXH3 and sort the members by hash: O(k log k).
 *      Within a run of equal hashes, compare the blocks byte for byte with
 *      memcmp against the run's representatives.  A hash collision costs an
 *      extra memcmp, never a wrong answer: hashes only split, bytes join.
 *   4. Each resulting sub-class with one member is finished (unique), and
 *      its file is closed at once: it is never read further.  Sub-classes
 *      that reached the end of the files are finished (identical).  The
 *      others go back on the work stack with off += block.
 *
 * Each byte of each member is therefore read at most once, and a member is
 * read only up to the block in which it first differs from every other
 * member.  (One exception, step_equal: a big class that looks like one
 * set of duplicates is read against its first member instead, and a member
 * that differs there and shares its block's hash with another such member
 * reads that block a second time.)  The second block read is the last 4 KiB
 * (step_tail), so late differences cost little as well.  Blocks start at 4 KiB
 * and grow to io_size, so early differences cost little.
 *
 * Over budget.  When a class is so large that even one 4 KiB block per
 * member exceeds mem_limit, its members are first hashed one at a time
 * (one scratch buffer) without advancing: equal hashes form the sub-classes.
 * A sub-class whose members were all equal at the previous step is then
 * confirmed by streaming each member's block against its first member's
 * (two buffers): equal members advance, the rest are hashed again.  In that
 * mode a block can be read twice (counted in hl_stats.hash_passes); the
 * answer stays exact.
 *
 * Open files.  A member keeps its descriptor while its class is alive, as
 * long as fewer than max_open descriptors are held; beyond that each block
 * is read through a descriptor opened and closed around the read.
 *
 * Changes.  A read that ends before the expected size, or a byte found past
 * it when a class reaches the end, marks the member HL_ECHANGED.
 *
 * Memory.  Per member of the group being classified: an 8-byte struct
 * member, a 32-bit index and a 16-byte key (keysort.h, sorted in place),
 * plus the blocks of a step.  A step of DEDUP_MEMBERS or more keeps each
 * distinct block once (dedup_add), so a huge group of small files that
 * is mostly a few contents holds little more than those contents.
 */
#include "hlcore.h"
#include "keysort.h"
#include "pool.h"

#include <stdatomic.h>

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>
#include <xxhash.h>

#include "banned.h"

#define MIN_BLOCK 4096u
#define DEFAULT_IO (1u << 20)
#define DEFAULT_MEM (64u << 20)
#define DEFAULT_OPEN 256u
/*
 * The blocks of one step fill at most this much (or mem_limit, if less):
 * bigger steps are not faster.  1,000 identical files of 256 KiB, median
 * of 5 (peak RSS): 64 MiB steps 0.10 s (49.6 MB), 32 MiB 0.10 s (25.9 MB),
 * 16 MiB 0.11 s (14.1 MB), 8 MiB 0.13 s (10.4 MB).
 */
#define STEP_BYTES (32u << 20)

/*
 * Per member of a group: 8 bytes, with the 4-byte index and the 16-byte
 * key (keysort.h) all the engine keeps per member besides the blocks.
 */
struct member {
	int fd;			 /* held descriptor, or -1 */
	signed int err : 31;	 /* negative errno once failed */
	unsigned int at_eof : 1; /* the last read proved the end of the file */
};
_Static_assert(sizeof(struct member) == 8, "struct member is 8 bytes");

/* A contiguous range of the index array that is still being refined. */
struct range {
	size_t start, len;
	uint64_t off;	/* members are equal in [0, off) ... */
	uint64_t end;	/* ... and in [end, size): read from off to end */
	unsigned steps; /* blocks read so far: drives block growth */
	unsigned flags;
};

enum range_flags {
	/* over budget: members are believed equal at off, stream them */
	R_STREAM = 1,
	/* the last block is still to be probed (see step_tail) */
	R_TAIL = 2,
	/* differed from the first member in step_equal: next step lockstep */
	R_LOCK = 4,
};

/* The working state of one thread classifying one group at a time. */
struct ctx {
	const struct hl_engine_opts *o;
	unsigned max_open; /* this context's share of descriptors */
	struct pool *pool; /* parallel reads inside a group, or NULL */
	int (*intr)(void *);
	void *intr_arg;

	_Atomic uint64_t bytes_read, reads, files_opened;
	uint64_t hash_passes;
	_Atomic unsigned nopen;
	unsigned reserve; /* transient opens that may run at once */

	/* per classify call */
	const struct hl_group *g;
	struct member *mem;
	uint32_t *idx;	    /* member indices, ascending within a range */
	struct keyed *keys; /* slot i's hash is read into keys[i] */
	size_t *cls;
	int *err;
	struct hl_digest *dig; /* or NULL: no digests asked for */

	struct range *stack;
	size_t nstack, capstack;

	unsigned char *buf; /* len x block bytes */
	size_t bufsz;

	/* a deduplicating step's distinct blocks (see DEDUP_MEMBERS) */
	pthread_mutex_t lock;
	unsigned char *store; /* nstore blocks, freed after the step */
	size_t storesz, nstore;
	size_t storemax; /* len x b: never more than one block per member */
	uint32_t *table; /* slots of the blocks' first readers, by hash */
	size_t tabcap;
	int dedup_err;
};

struct hl_engine {
	struct hl_engine_opts o;
	struct hl_stats st;
	int (*intr)(void *);
	void *intr_arg;
	struct pool *pool; /* NULL with one thread */
	struct ctx *ctx;   /* one per thread; ctx[0] is the caller's */
	unsigned nctx;
};

static void
ctx_init(struct ctx *c, const struct hl_engine *e, unsigned max_open)
{
	memset(c, 0, sizeof(*c));
	c->o = &e->o;
	c->max_open = max_open ? max_open : 1;
	pthread_mutex_init(&c->lock, NULL);
}

static void
ctx_release(struct ctx *c)
{
	free(c->stack);
	free(c->buf);
	pthread_mutex_destroy(&c->lock);
}

/* Moves a context's counters into the engine's. */
static void
ctx_collect(struct hl_engine *e, struct ctx *c)
{
	e->st.bytes_read += atomic_exchange(&c->bytes_read, 0);
	e->st.reads += atomic_exchange(&c->reads, 0);
	e->st.files_opened += atomic_exchange(&c->files_opened, 0);
	e->st.hash_passes += c->hash_passes;
	c->hash_passes = 0;
}

struct hl_engine *
hl_engine_new(const struct hl_engine_opts *opts)
{
	struct hl_engine *e = calloc(1, sizeof(*e));
	unsigned share;

	if (!e)
		return NULL;
	if (opts)
		e->o = *opts;
	if (!e->o.io_size)
		e->o.io_size = DEFAULT_IO;
	e->o.io_size = (e->o.io_size + MIN_BLOCK - 1) / MIN_BLOCK * MIN_BLOCK;
	if (!e->o.mem_limit)
		e->o.mem_limit = DEFAULT_MEM;
	if (e->o.mem_limit < 2 * (size_t)MIN_BLOCK)
		e->o.mem_limit = 2 * (size_t)MIN_BLOCK;
	if (!e->o.max_open)
		e->o.max_open = DEFAULT_OPEN;
	if (e->o.threads < 1)
		e->o.threads = 1;
	if (e->o.threads > 64)
		e->o.threads = 64;
	e->nctx = e->o.threads;
	e->ctx = calloc(e->nctx, sizeof(*e->ctx));
	if (!e->ctx) {
		free(e);
		return NULL;
	}
	/* workers classify small groups with little memory each */
	share = e->o.max_open / e->nctx;
	ctx_init(&e->ctx[0], e,
		 e->nctx > 1 ? e->o.max_open - share * (e->nctx - 1)
			     : e->o.max_open);
	for (unsigned i = 1; i < e->nctx; i++)
		ctx_init(&e->ctx[i], e, share);
	return e;
}

/* Threads start on first need, so short runs never create any. */
static struct pool *
engine_pool(struct hl_engine *e)
{
	if (!e->pool && e->nctx > 1) {
		e->pool = pool_new(e->nctx);
		if (e->pool && pool_size(e->pool) < e->nctx)
			e->nctx = pool_size(e->pool);
	}
	return e->pool;
}

void
hl_engine_free(struct hl_engine *e)
{
	if (!e)
		return;
	pool_free(e->pool);
	for (unsigned i = 0; i < e->o.threads; i++)
		ctx_release(&e->ctx[i]);
	free(e->ctx);
	free(e);
}

void
hl_engine_set_interrupt(struct hl_engine *e, int (*fn)(void *), void *arg)
{
	e->intr = fn;
	e->intr_arg = arg;
}

/*
 * The layouts of HLCORE_1 as 1.0 shipped them (hlcore.h, "Binary
 * compatibility"): hl_engine_opts, hl_source and hl_group are frozen,
 * and hl_stats grows at its end only; hl_engine_stats fills a stats_1.
 */
struct opts_1 {
	size_t io_size, mem_limit;
	unsigned max_open, threads;
};
struct source_1 {
	int (*open)(void *, size_t);
	void (*close)(void *, size_t, int);
	void *cookie;
};
struct group_1 {
	size_t n;
	uint64_t size;
	struct source_1 src;
};
struct stats_1 {
	uint64_t bytes_read, files_opened, reads, hash_passes, groups;
};
_Static_assert(sizeof(struct hl_engine_opts) == sizeof(struct opts_1) &&
		       offsetof(struct hl_engine_opts, threads) ==
			       offsetof(struct opts_1, threads),
	       "struct hl_engine_opts is frozen: add a setter instead");
_Static_assert(sizeof(struct hl_group) == sizeof(struct group_1) &&
		       sizeof(struct hl_source) == sizeof(struct source_1) &&
		       offsetof(struct hl_group, src) ==
			       offsetof(struct group_1, src),
	       "struct hl_source and struct hl_group are frozen");
_Static_assert(sizeof(struct hl_stats) >= sizeof(struct stats_1) &&
		       offsetof(struct hl_stats, groups) ==
			       offsetof(struct stats_1, groups),
	       "struct hl_stats grows at its end only");

void
hl_engine_stats(const struct hl_engine *e, struct hl_stats *out)
{
	memcpy(out, &e->st, sizeof(struct stats_1));
}

size_t
hl_engine_stats2(const struct hl_engine *e, struct hl_stats *out, size_t size)
{
	size_t n = size < sizeof(e->st) ? size : sizeof(e->st);

	memcpy(out, &e->st, n);
	if (size > n)
		memset((unsigned char *)out + n, 0, size - n);
	return n;
}

unsigned
hl_version_number(void)
{
	return HL_VERSION_NUMBER;
}

static int
push(struct ctx *e, struct range r)
{
	if (e->nstack == e->capstack) {
		size_t cap = e->capstack ? 2 * e->capstack : 16;
		struct range *s = realloc(e->stack, cap * sizeof(*s));

		if (!s)
			return -ENOMEM;
		e->stack = s;
		e->capstack = cap;
	}
	e->stack[e->nstack++] = r;
	return 0;
}

static int
reserve_buf(struct ctx *e, size_t need)
{
	unsigned char *b;

	if (need <= e->bufsz)
		return 0;
	b = realloc(e->buf, need);
	if (!b)
		return -ENOMEM;
	e->buf = b;
	e->bufsz = need;
	return 0;
}

static void
release(struct ctx *e, size_t m)
{
	struct member *mb = &e->mem[m];

	if (mb->fd >= 0) {
		e->g->src.close(e->g->src.cookie, m, mb->fd);
		mb->fd = -1;
		atomic_fetch_sub(&e->nopen, 1);
	}
}

static void
fail(struct ctx *e, size_t m, int err)
{
	e->mem[m].err = err;
	release(e, m);
}

/*
 * Reads len bytes of member m at off into dst.  Returns 0, or a negative
 * error after marking the member failed.  Safe to call from workers for
 * distinct members: the shared counters are updated by the caller.
 */
/*
 * Reads len bytes of member m at off into dst.  With at_end (the block
 * ends at the group size), one more byte is asked for in the same call:
 * getting it means the file grew, and a read that stops exactly at len
 * proves the end without a second call.  Returns 1 when the end was
 * proved, 0 otherwise, or a negative error (-HL_ECHANGED for a size
 * change).  Safe to call from several threads for distinct members.
 */
/*
 * The first read of a file of up to WHOLE_MAX bytes asks for all of it:
 * one request to the disk when the file is not in the page cache, where
 * the first block, the last one and the rest would be up to three (the
 * kernel's first readahead of a file covers WHOLE_MIN bytes by itself).
 */
#define WHOLE_MIN (16u << 10)
#define WHOLE_MAX (128u << 10)

static int
read_member(struct ctx *e, size_t m, uint64_t off, unsigned char *dst,
	    size_t len, int at_end, uint64_t *nread)
{
	const struct hl_source *src = &e->g->src;
	struct member *mb = &e->mem[m];
	int fd = mb->fd, transient = 0, rc = 0;
	unsigned char extra;
	size_t got = 0;

	if (fd < 0) {
		fd = src->open(src->cookie, m);
		if (fd < 0)
			return fd;
		atomic_fetch_add(&e->files_opened, 1);
		transient = 1;
	}
	if (off == 0 && len < e->g->size && e->g->size > WHOLE_MIN &&
	    e->g->size <= WHOLE_MAX)
		(void)posix_fadvise(fd, 0, (off_t)e->g->size,
				    POSIX_FADV_WILLNEED);
	while (got < len || (at_end && rc == 0 && len == 0)) {
		struct iovec iov[2] = {{dst + got, len - got}, {&extra, 1}};
		ssize_t r = preadv(fd, iov, at_end ? 2 : 1, (off_t)(off + got));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || (r == 0 && got < len) || (size_t)r > len - got) {
			rc = r < 0 ? -errno : -HL_ECHANGED;
			break;
		}
		/* a short read ending exactly at len is the end of file */
		if (at_end && got + (size_t)r == len)
			rc = 1;
		got += (size_t)r;
		if (len == 0)
			break;
	}
	*nread += got;
	if (transient)
		src->close(src->cookie, m, fd);
	return rc;
}

/* Checks that a member ends exactly at the group size. */
static int
check_eof(struct ctx *e, size_t m)
{
	unsigned char c;
	uint64_t n = 0;
	int r = read_member(e, m, e->g->size, &c, 0, 1, &n);

	(void)c;
	atomic_fetch_add(&e->reads, 1);
	atomic_fetch_add(&e->bytes_read, n);
	return r < 0 ? r : 0;
}

/* Records a finished class: idx[start..start+len) are identical. */
static void
finish(struct ctx *e, size_t start, size_t len, int at_eof)
{
	size_t first = HL_NOCLASS;

	for (size_t i = 0; i < len; i++) {
		size_t m = e->idx[start + i];

		if (e->mem[m].err)
			continue;
		if (at_eof && len > 1 && !e->mem[m].at_eof) {
			int r = check_eof(e, m);

			if (r < 0) {
				fail(e, m, r);
				continue;
			}
		}
		release(e, m);
		if (first == HL_NOCLASS)
			first = m;
		e->cls[m] = first;
	}
}

/*
 * After keys[0..n) got labels, rewrites the range in label order (members
 * in index order within a label, so a class's first member is its smallest
 * index) and queues or finishes each sub-class.  Labels below nadv moved
 * past the block just read (to off + b, with flags fadv); the others stay
 * at off (with flags fstay).
 */
struct split_how {
	size_t b, nadv;
	unsigned fadv, fstay;
	uint64_t newend; /* non-zero: the sub-ranges now end there */
};

static int
split(struct ctx *e, const struct range *r, size_t n,
      const struct split_how *how)
{
	struct keyed *k = e->keys;

	/* by (label, member index); the hashes are no longer needed */
	for (size_t j = 0; j < n; j++) {
		k[j].pos = e->idx[r->start + k[j].pos];
		k[j].hash = k[j].label;
	}
	keys_sort(k, n);
	/* the failed members' entries past n are dropped with the range */
	for (size_t j = 0; j < n; j++)
		e->idx[r->start + j] = k[j].pos;

	for (size_t i = 0, j; i < n; i = j) {
		int adv = k[i].label < how->nadv;
		struct range sub = {r->start + i, 0,	    r->off,
				    r->end,	  r->steps, how->fstay};

		for (j = i + 1; j < n && k[j].label == k[i].label; j++)
			;
		sub.len = j - i;
		if (adv) {
			sub.off += how->b;
			sub.steps++;
			sub.flags = how->fadv;
		}
		if (how->newend)
			sub.end = how->newend;
		if (sub.len == 1) {
			finish(e, sub.start, 1, 0);
		} else if (sub.off == sub.end) {
			finish(e, sub.start, sub.len, 1);
		} else {
			int rc = push(e, sub);

			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

/*
 * The digests of hlcore.h (struct hl_digest): a block read at offset 0
 * of min(size, 4096) bytes is the head, a block that is exactly the last
 * part [max(4096, size - 4096), size) is the tail.  Both are blocks the
 * engine reads anyway (the first step and step_tail, or the second block
 * of a file of at most 8 KiB), so a digest costs at most one XXH3 of a
 * block that was not hashed.  Distinct members only: safe on workers.
 */
static void
note_digest(struct ctx *e, size_t m, uint64_t off, const unsigned char *p,
	    size_t len, const uint64_t *hashed)
{
	uint64_t size = e->g->size;
	uint64_t head = size < MIN_BLOCK ? size : MIN_BLOCK;
	uint64_t tail = size > 2 * (uint64_t)MIN_BLOCK ? size - MIN_BLOCK
						       : MIN_BLOCK;
	struct hl_digest *d = &e->dig[m];

	if (off == 0 && len >= head && head > 0) {
		d->head = hashed && len == head ? *hashed
						: XXH3_64bits(p, head);
		d->have |= HL_DIGEST_HEAD;
	}
	if (size > MIN_BLOCK && off == tail && off + len == size) {
		d->tail = hashed ? *hashed : XXH3_64bits(p, len);
		d->have |= HL_DIGEST_TAIL;
	}
}

/*
 * A range of at most NOHASH_MAX members is not hashed: all its blocks
 * fall in one run of label_by_bytes, and each is compared with the
 * representatives found so far.  When the members are equal, which is
 * when blocks are big, that is one memcmp each instead of a hash and a
 * memcmp each (the 6 x 1 GiB corpus, dry run: 0.66-0.79 -> 0.53-0.54 s,
 * user time 0.39-0.50 -> 0.15-0.16 s); at worst, eight different blocks,
 * 28 memcmps that mostly stop early.
 */
#define NOHASH_MAX 8

/*
 * Reads block [off, off+b) of the range's members into slots of e->buf
 * (slot i at i * b) and hashes each (in ranges over NOHASH_MAX).  A
 * member keeps its descriptor while the context's budget allows.  A
 * failed member is marked; its descriptor is given back by live_keys.
 * Slots are independent, so several threads may run read_slot for one
 * range.
 */
struct readjob {
	struct ctx *e;
	const struct range *r;
	size_t b;
	int dedup; /* read into the worker's slot, keep distinct blocks */
};

/*
 * Reads block [r->off, r->off+b) of slot i's member into dst.  Returns 0,
 * or -1 once the member is marked failed.
 */
static int
load_slot(struct ctx *e, const struct range *r, size_t i, unsigned char *dst,
	  size_t b)
{
	size_t m = e->idx[r->start + i];
	struct member *mb = &e->mem[m];
	uint64_t n = 0;
	int rc;

	if (mb->err)
		return -1;
	/* keep one descriptor per reading thread for the transient opens */
	if (mb->fd < 0 &&
	    atomic_fetch_add(&e->nopen, 1) + e->reserve < e->max_open) {
		int fd = e->g->src.open(e->g->src.cookie, m);

		if (fd < 0) {
			atomic_fetch_sub(&e->nopen, 1);
			mb->err = fd;
			return -1;
		}
		atomic_fetch_add(&e->files_opened, 1);
		mb->fd = fd;
	} else if (mb->fd < 0) {
		atomic_fetch_sub(&e->nopen, 1);
	}
	rc = read_member(e, m, r->off, dst, b, r->off + b == e->g->size, &n);
	atomic_fetch_add(&e->reads, 1);
	atomic_fetch_add(&e->bytes_read, n);
	if (rc < 0) {
		mb->err = rc;
		return -1;
	}
	if (rc == 1)
		mb->at_eof = 1;
	return 0;
}

/*
 * A range of DEDUP_MEMBERS or more does not keep every member's block:
 * each is read into its thread's slot, hashed, and looked up (under the
 * context's lock) among the distinct blocks of the step, which are kept
 * in e->store once each; the member's key then holds its block number in
 * its label.  Equal numbers mean equal bytes, so label_by_block needs no
 * memcmp, and the same reads give the same labels as label_by_bytes.
 * The memory is the distinct blocks (a huge group of tiny files is
 * mostly a few contents) and a table of 4-byte slots, instead of one
 * block per member.
 */
#define DEDUP_MEMBERS 1024
#define NO_SLOT UINT32_MAX

static int
dedup_grow(struct ctx *e)
{
	size_t cap = e->tabcap ? 2 * e->tabcap : 2048;
	uint32_t *t = malloc(cap * sizeof(*t));

	if (!t)
		return -ENOMEM;
	memset(t, 0xff, cap * sizeof(*t));
	for (size_t x = 0; x < e->tabcap; x++) {
		uint32_t s = e->table[x];
		size_t y;

		if (s == NO_SLOT)
			continue;
		for (y = e->keys[s].hash & (cap - 1); t[y] != NO_SLOT;
		     y = (y + 1) & (cap - 1))
			;
		t[y] = s;
	}
	free(e->table);
	e->table = t;
	e->tabcap = cap;
	return 0;
}

/* Gives slot i (its hash in keys[i]) the number of its block p. */
static int
dedup_add(struct ctx *e, size_t i, const unsigned char *p, size_t b)
{
	struct keyed *k = e->keys;
	size_t x;

	if (2 * (e->nstore + 1) > e->tabcap && dedup_grow(e) < 0)
		return -ENOMEM;
	for (x = k[i].hash & (e->tabcap - 1); e->table[x] != NO_SLOT;
	     x = (x + 1) & (e->tabcap - 1)) {
		const struct keyed *o = &k[e->table[x]];

		if (o->hash == k[i].hash &&
		    !memcmp(e->store + (size_t)o->label * b, p, b)) {
			k[i].label = o->label;
			return 0;
		}
	}
	if ((e->nstore + 1) * b > e->storesz) {
		size_t sz = e->storesz ? 2 * e->storesz : 64 * b;
		unsigned char *st;

		if (sz < (e->nstore + 1) * b)
			sz = (e->nstore + 1) * b;
		if (sz > e->storemax)
			sz = e->storemax;
		st = realloc(e->store, sz);

		if (!st)
			return -ENOMEM;
		e->store = st;
		e->storesz = sz;
	}
	memcpy(e->store + e->nstore * b, p, b);
	k[i].label = (uint32_t)e->nstore++;
	e->table[x] = (uint32_t)i;
	return 0;
}

static void
read_slot(void *arg, size_t i, unsigned worker)
{
	const struct readjob *j = arg;
	struct ctx *e = j->e;
	unsigned char *dst = e->buf + (j->dedup ? worker : i) * j->b;
	struct keyed *k = &e->keys[i];

	if (load_slot(e, j->r, i, dst, j->b) < 0)
		return;
	k->hash = j->r->len > NOHASH_MAX ? XXH3_64bits(dst, j->b) : 0;
	k->rep = 0;
	if (e->dig)
		note_digest(e, e->idx[j->r->start + i], j->r->off, dst, j->b,
			    j->r->len > NOHASH_MAX ? &k->hash : NULL);
	if (j->dedup) {
		pthread_mutex_lock(&e->lock);
		if (!e->dedup_err)
			e->dedup_err = dedup_add(e, i, dst, j->b);
		pthread_mutex_unlock(&e->lock);
	}
}

/*
 * Members a step needs before the other threads are woken to read them.
 * What pays is sharing the system calls of many files (opens, small
 * reads), not the bytes of a few big ones: a block read on one core and
 * compared on another crosses caches, and a wake-up costs tens of
 * microseconds here.  Measured (two threads against one, dry runs): 6 x
 * 1 GiB 0.58 against 0.51 s and 200 pairs of 1 MiB files 141 against
 * 99 ms when the bytes of two or more members were enough to share.
 */
#define PARALLEL_MEMBERS 16

static void
read_blocks(struct ctx *e, const struct range *r, size_t b, int dedup)
{
	struct readjob j = {e, r, b, dedup};

	if (e->pool && r->len >= PARALLEL_MEMBERS) {
		e->reserve = pool_size(e->pool);
		pool_run(e->pool, read_slot, &j, r->len);
	} else {
		e->reserve = 1;
		for (size_t i = 0; i < r->len; i++)
			read_slot(&j, i, 0);
	}
}

/*
 * Packs the keys of the members of a range that did not fail (keys[i],
 * with its hash and rep filled by the step, for slot i) into keys[0..n),
 * slot order, and sets their positions.
 */
static size_t
live_keys(struct ctx *e, const struct range *r)
{
	size_t n = 0;

	for (size_t i = 0; i < r->len; i++) {
		size_t m = e->idx[r->start + i];

		if (e->mem[m].err) {
			release(e, m);
			continue;
		}
		e->keys[n] = e->keys[i];
		e->keys[n].pos = (uint32_t)i;
		n++;
	}
	return n;
}

/*
 * Labels keys[0..n), sorted by hash, so that equal labels mean equal
 * blocks: within a run of equal hashes each block is compared with the
 * run's representatives until one matches.
 */
static void
label_by_bytes(struct ctx *e, size_t n, size_t b, size_t stride)
{
	struct keyed *k = e->keys;
	uint32_t label = 0;

	for (size_t i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && k[j].hash == k[i].hash; j++)
			;
		for (size_t x = i; x < j; x++) {
			const unsigned char *p = e->buf + k[x].pos * stride;
			size_t y;

			for (y = i; y < x; y++) {
				if (k[y].rep &&
				    !memcmp(e->buf + k[y].pos * stride, p, b))
					break;
			}
			if (y < x) {
				k[x].label = k[y].label;
			} else {
				k[x].label = label++;
				k[x].rep = 1;
			}
		}
	}
}

/*
 * The normal step: every member's next block in memory, hash, sort, and
 * confirm equal hashes with memcmp.
 */
/*
 * Labels keys[0..n), sorted by hash, from the block numbers their labels
 * hold (dedup_add): in order, the first member with a block number opens
 * a label, as label_by_bytes would.  The table is reused as the map.
 */
static void
label_by_block(struct ctx *e, size_t n)
{
	struct keyed *k = e->keys;
	uint32_t *map = e->table, label = 0;

	assert(e->tabcap >= e->nstore);
	memset(map, 0xff, e->nstore * sizeof(*map));
	for (size_t x = 0; x < n; x++) {
		uint32_t id = k[x].label;

		if (map[id] == NO_SLOT) {
			map[id] = label++;
			k[x].rep = 1;
		}
		k[x].label = map[id];
	}
}

/*
 * Reads block [rd->off, rd->off + b) of the range's members, then sorts
 * and labels the keys of those that did not fail; returns their count or
 * a negative error.
 */
static ptrdiff_t
read_and_label(struct ctx *e, const struct range *rd, size_t b)
{
	int dedup = rd->len >= DEDUP_MEMBERS;
	unsigned nw = e->pool ? pool_size(e->pool) : 1;
	size_t n;
	int rc;

	if ((rc = reserve_buf(e, b * (dedup ? nw : rd->len))) < 0)
		return rc;
	if (dedup) {
		e->nstore = 0;
		e->storemax = b * rd->len;
		e->dedup_err = dedup_grow(e);
	}
	if (!e->dedup_err)
		read_blocks(e, rd, b, dedup);
	n = live_keys(e, rd);
	if (dedup) {
		rc = e->dedup_err;
		if (rc == 0) {
			keys_sort(e->keys, n);
			label_by_block(e, n);
		}
		/* both are sized by this step's distinct blocks */
		free(e->table);
		e->table = NULL;
		e->tabcap = 0;
		free(e->store);
		e->store = NULL;
		e->storesz = 0;
		e->dedup_err = 0;
		return rc < 0 ? rc : (ptrdiff_t)n;
	}
	keys_sort(e->keys, n);
	label_by_bytes(e, n, b, b);
	return (ptrdiff_t)n;
}

static int
step_lockstep(struct ctx *e, const struct range *r, size_t b)
{
	struct split_how how = {b, (size_t)-1, r->flags & R_TAIL, 0, 0};
	ptrdiff_t n = read_and_label(e, r, b);

	if (n < 0)
		return (int)n;
	return split(e, r, (size_t)n, &how);
}

/*
 * A big range of members that were equal in every block read so far (its
 * first block and its last) is most likely one class of duplicates: each
 * member's next block is read into a buffer of its thread's and compared
 * with the first member's, which stays in memory.  Two or three blocks in
 * the caches against len blocks from memory for step_lockstep, and no
 * hashing of equal blocks, no sorting.  Members equal to the first
 * advance.  A member that differs is hashed while its block is in the
 * cache: when no other differing member has its hash, its block differs
 * from every other member's and it is finished (unique); members that
 * share a hash (R_LOCK) take the same block again in lockstep, so they read
 * it twice.  The blocks start small (EQUAL_BLOCK) and double at each step,
 * up to io_size.
 */
#define EQUAL_MEMBERS 64
#define EQUAL_BLOCK (32u << 10)

struct equaljob {
	struct ctx *e;
	const struct range *r;
	size_t b, first; /* slot of the member compared against */
};

static void
equal_slot(void *arg, size_t item, unsigned worker)
{
	const struct equaljob *j = arg;
	struct ctx *e = j->e;
	size_t i = j->first + 1 + item;
	unsigned char *dst = e->buf + (1 + (size_t)worker) * j->b;
	struct keyed *k = &e->keys[i];

	if (load_slot(e, j->r, i, dst, j->b) == 0) {
		k->rep = memcmp(e->buf, dst, j->b) != 0;
		k->hash = k->rep ? XXH3_64bits(dst, j->b) : 0;
		if (e->dig)
			note_digest(e, e->idx[j->r->start + i], j->r->off, dst,
				    j->b, k->rep ? &k->hash : NULL);
	}
}

/*
 * Moves the keys[0..n) with rep == 0 (equal to the first member) before
 * the others, in no particular order; returns their count.
 */
static size_t
equal_first(struct keyed *k, size_t n)
{
	size_t i = 0, j = n;

	for (;;) {
		while (i < j && !k[i].rep)
			i++;
		while (i < j && k[j - 1].rep)
			j--;
		if (i >= j)
			return i;
		key_swap(&k[i], &k[j - 1]);
	}
}

static int
step_equal(struct ctx *e, const struct range *r)
{
	struct split_how how = {0, 1, 0, R_LOCK, 0};
	unsigned nbuf = e->pool ? pool_size(e->pool) : 1;
	uint64_t cap = e->o->mem_limit < STEP_BYTES ? e->o->mem_limit
						    : STEP_BYTES;
	struct equaljob j = {e, r, EQUAL_BLOCK, 0};
	size_t n, neq;
	uint32_t label;
	int rc;

	for (unsigned s = 1; s < r->steps && j.b < e->o->io_size; s++)
		j.b <<= 1;
	if (j.b > e->o->io_size)
		j.b = e->o->io_size;
	while (j.b > MIN_BLOCK && (uint64_t)(1 + nbuf) * j.b > cap)
		j.b /= 2;
	if (j.b > r->end - r->off)
		j.b = (size_t)(r->end - r->off);
	how.b = j.b;
	if ((rc = reserve_buf(e, (1 + nbuf) * j.b)) < 0)
		return rc;
	e->reserve = nbuf;
	while (j.first < r->len && load_slot(e, r, j.first, e->buf, j.b) < 0)
		j.first++;
	if (j.first < r->len && e->dig)
		note_digest(e, e->idx[r->start + j.first], r->off, e->buf, j.b,
			    NULL);
	if (j.first < r->len) {
		e->keys[j.first].hash = 0;
		e->keys[j.first].rep = 0;
		if (e->pool)
			pool_run(e->pool, equal_slot, &j, r->len - j.first - 1);
		else
			for (size_t i = 0; i + j.first + 1 < r->len; i++)
				equal_slot(&j, i, 0);
	}
	n = live_keys(e, r);
	/*
	 * Equal members first (label 0; their order is split's business),
	 * then the differing ones by hash.
	 */
	neq = equal_first(e->keys, n);
	keys_sort(e->keys + neq, n - neq);
	label = 0;
	for (size_t i = 0; i < n; i++) {
		if (i && e->keys[i].rep &&
		    (!e->keys[i - 1].rep ||
		     e->keys[i].hash != e->keys[i - 1].hash))
			label++;
		e->keys[i].label = label;
	}
	return split(e, r, n, &how);
}

/*
 * Over budget, first visit at this offset: hash each member's block with
 * one buffer and split by hash alone, without advancing.  Equal hashes
 * are confirmed byte by byte by step_stream.
 */
static int
step_hash(struct ctx *e, const struct range *r, size_t b)
{
	struct split_how how = {b, 0, 0, R_STREAM, 0};
	struct keyed *k = e->keys;
	size_t n = 0;
	uint32_t label = 0;
	int rc;

	if ((rc = reserve_buf(e, b)) < 0)
		return rc;
	e->hash_passes++;
	for (size_t i = 0; i < r->len; i++) {
		size_t m = e->idx[r->start + i];
		uint64_t got = 0;

		rc = read_member(e, m, r->off, e->buf, b, 0, &got);
		atomic_fetch_add(&e->reads, 1);
		atomic_fetch_add(&e->bytes_read, got);
		if (rc < 0) {
			fail(e, m, rc);
			continue;
		}
		k[n].hash = XXH3_64bits(e->buf, b);
		k[n].pos = (uint32_t)i;
		n++;
		if (e->dig && r->off == 0)
			note_digest(e, m, 0, e->buf, b, NULL);
	}
	keys_sort(k, n);
	for (size_t i = 0; i < n; i++) {
		if (i && k[i].hash != k[i - 1].hash)
			label++;
		k[i].label = label;
	}
	return split(e, r, n, &how);
}

/*
 * Over budget, members believed equal at off: compare each member's block
 * with the first member's.  Equal members advance; the others are hashed
 * again at the same offset (they differ from the first member, so each
 * such step makes progress).
 */
static int
step_stream(struct ctx *e, const struct range *r, size_t b)
{
	struct split_how how = {b, 1, R_STREAM, 0, 0};
	struct keyed *k = e->keys;
	size_t n = 0;
	int rc;

	if ((rc = reserve_buf(e, 2 * b)) < 0)
		return rc;
	for (size_t i = 0; i < r->len; i++) {
		size_t m = e->idx[r->start + i];
		unsigned char *dst = e->buf + (n ? b : 0);
		uint64_t got = 0;

		rc = read_member(e, m, r->off, dst, b, 0, &got);
		atomic_fetch_add(&e->reads, 1);
		atomic_fetch_add(&e->bytes_read, got);
		if (rc < 0) {
			fail(e, m, rc);
			continue;
		}
		k[n].pos = (uint32_t)i;
		k[n].label = n && memcmp(e->buf, dst, b) != 0;
		n++;
	}
	return split(e, r, n, &how);
}

/*
 * After the first block, the last one: files that differ only near their
 * end (logs, images with a trailer, the adversarial same-prefix corpora)
 * part there at the cost of one small read each, which is not read again:
 * the sequential scan then stops where the tail begins.  It also proves
 * the end of each file, as the last read of the scan would have.
 */
static int
step_tail(struct ctx *e, const struct range *r)
{
	struct range t = *r;
	struct split_how how = {MIN_BLOCK, 0, 0, 0, 0};
	ptrdiff_t n;

	t.off = r->end - MIN_BLOCK;
	how.newend = t.off;
	n = read_and_label(e, &t, MIN_BLOCK);
	if (n < 0)
		return (int)n;
	return split(e, r, (size_t)n, &how);
}

/* 4 KiB, 64 KiB, 1 MiB...: cheap when files differ early */
static size_t
block_size(const struct ctx *e, const struct range *r)
{
	uint64_t left = r->end - r->off;
	uint64_t cap = e->o->mem_limit < STEP_BYTES ? e->o->mem_limit
						    : STEP_BYTES;
	size_t b = MIN_BLOCK;

	for (unsigned s = 0; s < r->steps && b < e->o->io_size; s++)
		b <<= 4;
	if (b > e->o->io_size)
		b = e->o->io_size;
	while (b > MIN_BLOCK && (uint64_t)b * r->len > cap)
		b /= 2;
	if (b > left)
		b = (size_t)left;
	return b;
}

static int
step(struct ctx *e, struct range r)
{
	size_t b = block_size(e, &r);
	uint64_t first = r.end - r.off < MIN_BLOCK ? r.end - r.off : MIN_BLOCK;

	if (b == 0) { /* empty files, or a range already at the end */
		finish(e, r.start, r.len, 1);
		return 0;
	}
	/* small files fit whole: 21,318 files of 48 bytes take 1 MiB */
	if (first * r.len <= e->o->mem_limit) {
		if ((r.flags & R_TAIL) && r.steps > 0 &&
		    r.end - r.off > MIN_BLOCK)
			return step_tail(e, &r);
		if (r.len >= EQUAL_MEMBERS && r.steps > 0 &&
		    !(r.flags & (R_TAIL | R_LOCK)))
			return step_equal(e, &r);
		return step_lockstep(e, &r, b);
	}
	/* two buffers of b bytes within mem_limit */
	b = e->o->io_size;
	while (b > MIN_BLOCK && 2 * b > e->o->mem_limit)
		b /= 2;
	if (b > r.end - r.off)
		b = (size_t)(r.end - r.off);
	if (r.flags & R_STREAM)
		return step_stream(e, &r, b);
	return step_hash(e, &r, b);
}

static int
setup(struct ctx *e, const struct hl_group *g, size_t *cls, int *err,
      struct hl_digest *dig)
{
	size_t n = g->n;

	e->g = g;
	e->cls = cls;
	e->err = err;
	e->dig = dig;
	if (dig)
		memset(dig, 0, n * sizeof(*dig));
	e->nopen = 0;
	e->nstack = 0;
	/* indices, positions and labels are 32-bit (keysort.h) */
	if (n > KEY_MAX_MEMBERS)
		return -ENOMEM;
	e->mem = malloc(n * sizeof(*e->mem));
	if (!e->mem)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		e->mem[i] = (struct member){-1, 0, 0};
	e->idx = malloc(n * sizeof(*e->idx));
	e->keys = malloc(n * sizeof(*e->keys));
	if (!e->idx || !e->keys)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		e->idx[i] = (uint32_t)i;
		cls[i] = HL_NOCLASS;
	}
	return 0;
}

static void
teardown(struct ctx *e)
{
	if (e->mem) {
		for (size_t i = 0; i < e->g->n; i++)
			release(e, i);
	}
	free(e->mem);
	free(e->idx);
	free(e->keys);
	e->mem = NULL;
	e->idx = NULL;
	e->keys = NULL;
	e->g = NULL;
	e->dig = NULL;
}

static int
classify_one(struct ctx *e, const struct hl_group *g, size_t *cls, int *err,
	     struct hl_digest *dig)
{
	int rc;

	if (!g->n)
		return 0;
	rc = setup(e, g, cls, err, dig);
	if (rc == 0 && g->n == 1)
		cls[0] = 0;
	else if (rc == 0)
		rc = push(e, (struct range){0, g->n, 0, g->size, 0, R_TAIL});
	while (rc == 0 && e->nstack) {
		if (e->intr && e->intr(e->intr_arg)) {
			rc = -EINTR;
			break;
		}
		rc = step(e, e->stack[--e->nstack]);
	}
	if (rc == 0) {
		for (size_t i = 0; i < g->n; i++) {
			err[i] = e->mem[i].err;
			if (err[i])
				cls[i] = HL_NOCLASS;
			if (err[i] && dig)
				dig[i].have = 0;
		}
	}
	teardown(e);
	return rc;
}

static void
arm(struct hl_engine *e, struct ctx *c, struct pool *pool)
{
	c->intr = e->intr;
	c->intr_arg = e->intr_arg;
	c->pool = pool;
}

static int
classify_alone(struct hl_engine *e, const struct hl_group *g, size_t *cls,
	       int *err, struct hl_digest *dig)
{
	struct ctx *c = &e->ctx[0];
	unsigned share = c->max_open;
	int rc;

	arm(e, c, NULL);
	/*
	 * One group: the other threads help by reading its members, and the
	 * whole descriptor budget is the caller's (the workers hold none
	 * between jobs).
	 */
	if (e->nctx > 1 && g->n >= PARALLEL_MEMBERS)
		c->pool = engine_pool(e);
	if (c->pool)
		c->max_open = e->o.max_open;
	rc = classify_one(c, g, cls, err, dig);
	c->max_open = share;
	e->st.groups++;
	ctx_collect(e, c);
	return rc;
}

int
hl_engine_classify(struct hl_engine *e, const struct hl_group *g, size_t *cls,
		   int *err)
{
	return classify_alone(e, g, cls, err, NULL);
}

/*
 * A batch: groups are classified whole, one per thread at a time, unless
 * they hold so many bytes (1 MiB) or members (512) that one thread would
 * keep the others waiting at the end of the batch; those go one after the
 * other through hl_engine_classify, all threads reading their members
 * while a step has PARALLEL_MEMBERS of them.  Sharing out a group of
 * small files block by block costs a wake-up per step for a few
 * microseconds of reading each: on the npm tree (2,209 size groups of 16
 * to 511 small files) sending groups of 16 or more that way made the dry
 * run 1.50-1.56 s against 1.29-1.37 s whole (two threads).
 */
struct batchjob {
	struct hl_engine *e;
	const struct hl_group *g;
	size_t *const *cls;
	int *const *err;
	struct hl_digest *const *dig; /* or NULL */
	const size_t *small;
	_Atomic int rc;
};

/*
 * A group one thread would be long at, or whose buffers would add up with
 * another thread's: classified alone.  64 MiB made the npm dry run no
 * faster (1.43-1.47 against 1.46-1.49 s) and its peak 5 MB bigger.
 */
#define BIG_BYTES ((uint64_t)1 << 20)

/* Members a batch needs before its groups are shared out among threads. */
#define BATCH_PARALLEL 256

static int
is_big(const struct hl_group *g)
{
	return g->n >= 512 || g->n * g->size >= BIG_BYTES;
}

static void
batch_one(void *arg, size_t item, unsigned worker)
{
	struct batchjob *j = arg;
	size_t i = j->small[item];
	int rc;

	if (atomic_load(&j->rc))
		return;
	rc = classify_one(&j->e->ctx[worker], &j->g[i], j->cls[i], j->err[i],
			  j->dig ? j->dig[i] : NULL);
	if (rc < 0)
		atomic_store(&j->rc, rc);
}

int
hl_engine_classify_batch(struct hl_engine *e, size_t n,
			 const struct hl_group *groups, size_t *const *cls,
			 int *const *err)
{
	return hl_engine_classify_batch2(e, n, groups, cls, err, NULL);
}

int
hl_engine_classify_batch2(struct hl_engine *e, size_t n,
			  const struct hl_group *groups, size_t *const *cls,
			  int *const *err, struct hl_digest *const *dig)
{
	struct batchjob j = {e, groups, cls, err, dig, NULL, 0};
	struct pool *pool = NULL;
	size_t *small, nsmall = 0, members = 0;
	int rc = 0;

	/* a few files are read sooner than a thread is woken (or started) */
	for (size_t i = 0; i < n; i++)
		members += groups[i].n;
	if (n > 1 && members >= BATCH_PARALLEL)
		pool = engine_pool(e);

	if (!pool) {
		for (size_t i = 0; i < n && rc == 0; i++)
			rc = classify_alone(e, &groups[i], cls[i], err[i],
					    dig ? dig[i] : NULL);
		return rc;
	}
	small = malloc(n * sizeof(*small));
	if (!small)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (!is_big(&groups[i]))
			small[nsmall++] = i;
	}
	j.small = small;
	for (unsigned t = 0; t < e->nctx; t++)
		arm(e, &e->ctx[t], NULL);
	pool_run(pool, batch_one, &j, nsmall);
	rc = atomic_load(&j.rc);
	e->st.groups += nsmall;
	for (unsigned t = 0; t < e->nctx; t++)
		ctx_collect(e, &e->ctx[t]);
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (is_big(&groups[i]))
			rc = classify_alone(e, &groups[i], cls[i], err[i],
					    dig ? dig[i] : NULL);
	}
	free(small);
	return rc;
}
