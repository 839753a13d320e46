/*
 * fent.c - the walk's records made compact (see fent.h and run.h).
 *
 * A record holds what differs from file to file (directory, inode, size,
 * the two timestamps, the discovery order, the name); what a whole tree
 * mostly shares (device, mode, owner, link count) is one 32-bit number
 * into a table of the distinct combinations.  The table lives in blocks
 * that never move, so that walk threads may add to it while others read
 * what they added; adding takes a lock, but each thread first checks the
 * last combination it saw, which a directory of files usually repeats.
 */
#include "fent.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "output.h"
#include "run.h"
#include "util.h"

#define BLOCK (1u << FMETA_SHIFT)
#define NBLOCKS (1u << 20) /* of BLOCK entries: 2^32 in all */

struct fmeta *fmeta_blocks[NBLOCKS];
static uint32_t nmeta;
static uint32_t *slots; /* open addressing: number + 1, or 0 */
static size_t nslots;
static pthread_mutex_t meta_lock = PTHREAD_MUTEX_INITIALIZER;
static __thread struct fmeta last;
static __thread uint32_t last_i; /* + 1; 0: none */
static unsigned meta_gen = 1;
static __thread unsigned last_gen;

/* Timestamps outside the range of 64-bit nanoseconds, aside. */
static struct timespec **far_blocks;
static uint32_t nfar;

static uint64_t
meta_hash(const struct fmeta *m)
{
	uint64_t h = m->dev * 0x9e3779b97f4a7c15ULL;

	h ^= ((uint64_t)m->mode << 32 | m->nlink) * 0xbf58476d1ce4e5b9ULL;
	h ^= ((uint64_t)m->uid << 32 | m->gid) * 0x94d049bb133111ebULL;
	return h ^ (h >> 29);
}

static int
meta_eq(const struct fmeta *a, const struct fmeta *b)
{
	return a->dev == b->dev && a->mode == b->mode && a->uid == b->uid &&
	       a->gid == b->gid && a->nlink == b->nlink;
}

static void
slots_put(uint32_t i)
{
	size_t k = meta_hash(fmeta_at(i)) & (nslots - 1);

	while (slots[k])
		k = (k + 1) & (nslots - 1);
	slots[k] = i + 1;
}

static uint32_t
meta_find_or_add(const struct fmeta *m)
{
	size_t k;

	if (nmeta >= nslots / 2) {
		free(slots);
		nslots = nslots ? nslots * 2 : 1024;
		slots = xcalloc(nslots, sizeof(*slots));
		for (uint32_t i = 0; i < nmeta; i++)
			slots_put(i);
	}
	for (k = meta_hash(m) & (nslots - 1); slots[k];
	     k = (k + 1) & (nslots - 1)) {
		if (meta_eq(fmeta_at(slots[k] - 1), m))
			return slots[k] - 1;
	}
	if (nmeta == UINT32_MAX)
		fatal("too many distinct file attributes");
	if (!fmeta_blocks[nmeta / BLOCK])
		fmeta_blocks[nmeta / BLOCK] = xmalloc(BLOCK *
						      sizeof(struct fmeta));
	fmeta_blocks[nmeta / BLOCK][nmeta % BLOCK] = *m;
	slots[k] = nmeta + 1;
	return nmeta++;
}

uint32_t
fmeta_intern(const struct fmeta *m)
{
	uint32_t i;

	if (last_i && last_gen == meta_gen && meta_eq(&last, m))
		return last_i - 1;
	pthread_mutex_lock(&meta_lock);
	i = meta_find_or_add(m);
	last_gen = meta_gen;
	pthread_mutex_unlock(&meta_lock);
	last = *m;
	last_i = i + 1;
	return i;
}

#define NS 1000000000LL
#define FAR_LIMIT (INT64_MIN + ((int64_t)1 << 32))

int64_t
ftime_pack(struct timespec t)
{
	int64_t v;
	uint32_t i;

	if (!__builtin_mul_overflow((int64_t)t.tv_sec, NS, &v) &&
	    !__builtin_add_overflow(v, (int64_t)t.tv_nsec, &v) &&
	    v >= FAR_LIMIT)
		return v;
	pthread_mutex_lock(&meta_lock);
	if (nfar == UINT32_MAX)
		fatal("too many files with timestamps out of range");
	if (nfar % BLOCK == 0) {
		far_blocks = xrealloc(far_blocks,
				      (nfar / BLOCK + 1) * sizeof(*far_blocks));
		far_blocks[nfar / BLOCK] = xmalloc(BLOCK * sizeof(t));
	}
	i = nfar++;
	far_blocks[i / BLOCK][i % BLOCK] = t;
	pthread_mutex_unlock(&meta_lock);
	return INT64_MIN + (int64_t)i;
}

struct timespec
ftime_unpack(int64_t v)
{
	struct timespec t;

	if (v < FAR_LIMIT) {
		uint32_t i = (uint32_t)(v - INT64_MIN);
		struct timespec r;

		pthread_mutex_lock(&meta_lock);
		r = far_blocks[i / BLOCK][i % BLOCK];
		pthread_mutex_unlock(&meta_lock);
		return r;
	}
	t.tv_sec = (time_t)(v / NS);
	t.tv_nsec = (long)(v % NS);
	if (t.tv_nsec < 0) {
		t.tv_nsec += NS;
		t.tv_sec--;
	}
	return t;
}

struct fent *
fent_new(struct dnode *dir, const char *name, size_t len, const struct stat *st,
	 uint32_t seq)
{
	struct fent *f = arena_alloc_units(sizeof(*f) + len + 1);
	struct fmeta m = {
		.dev = st->st_dev,
		.mode = st->st_mode,
		.uid = st->st_uid,
		.gid = st->st_gid,
		.nlink = (uint32_t)st->st_nlink,
	};

	f->dir = arena_ref(dir);
	f->ino = st->st_ino;
	f->size = (uint64_t)st->st_size;
	f->mtime_v = ftime_pack(st->st_mtim);
	f->ctime_v = ftime_pack(st->st_ctim);
	f->meta = fmeta_intern(&m);
	f->seq = seq;
	memcpy(f->name, name, len);
	f->name[len] = '\0';
	return f;
}

void
fent_set_nlink(struct fent *f, uint32_t nlink)
{
	struct fmeta m = *fmeta_at(f->meta);

	m.nlink = nlink;
	f->meta = fmeta_intern(&m);
}

void
fent_set_dev(struct fent *f, uint64_t dev)
{
	struct fmeta m = *fmeta_at(f->meta);

	m.dev = dev;
	f->meta = fmeta_intern(&m);
}

uint32_t
fent_ref(const struct fent *f)
{
	return arena_ref(f);
}

struct fent *
fent_at(uint32_t ref)
{
	return arena_at(ref);
}

void
fent_release(void)
{
	for (uint32_t b = 0; b * BLOCK < nmeta; b++) {
		free(fmeta_blocks[b]);
		fmeta_blocks[b] = NULL;
	}
	nmeta = 0;
	free(slots);
	slots = NULL;
	nslots = 0;
	for (uint32_t b = 0; b * BLOCK < nfar; b++)
		free(far_blocks[b]);
	free(far_blocks);
	far_blocks = NULL;
	nfar = 0;
	meta_gen++;
}
