/*
 * names.c - a compact tree of names, and opening by it.
 *
 * The walk stores one dnode per directory (parent pointer plus its own
 * name) and, per file, a pointer to its directory and its name, all in an
 * arena.  Full paths exist only transiently, built into a caller's buffer
 * for messages, regexes and opening.
 *
 * Opening never follows a symlink: the operand roots come from
 * realpath(3), and every component below them was seen as a directory by
 * the walk, so a symlink found on the way now means the tree changed under
 * us.  openat2(RESOLVE_NO_SYMLINKS) enforces that; paths longer than the
 * kernel accepts in one call are opened a chunk at a time.
 *
 * Most opens need no path at all: the walk hands over the descriptors of
 * the directories that hold files (as many as the descriptor budget
 * allows), and a file is opened relative to its directory's descriptor,
 * one component to resolve instead of a dozen.  Together with the xattr
 * probe on the engine's descriptor (group.c) that took the npm dry run
 * from 1.41 s to 1.20 s (medians of 5, bench/RESULTS.md).
 */
#include "names.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "output.h"
#include "util.h"

#define ARENA_CHUNK (1u << 20)
#define CHUNK_PATH 3072 /* bytes per openat2 call, below PATH_MAX */

/*
 * The arena is one reservation of address space (pages cost memory only
 * once written), cut into chunks, one per thread at a time (the walk runs
 * on several): a record in it is named by its offset in 4-byte units, 32
 * bits instead of a 64-bit pointer (arena_ref).  The reservation is the
 * largest of ARENA_MAX, and smaller ones, that the kernel grants.
 */
/* 2^32 units of 4 bytes; 1 GiB where addresses have 32 bits */
#define ARENA_MAX ((size_t)1 << (sizeof(size_t) > 4 ? 34 : 30))

static __thread char *arena_cur;
static __thread size_t arena_left;
static __thread unsigned arena_gen; /* arena_cur belongs to this arena */
static char *arena_base;
static size_t arena_size, arena_used; /* arena_used: atomic */
static unsigned arena_generation = 1;
static pthread_mutex_t arena_lock = PTHREAD_MUTEX_INITIALIZER;

static void
arena_reserve(void)
{
	pthread_mutex_lock(&arena_lock);
	for (size_t sz = ARENA_MAX; !arena_base && sz >= (64u << 20); sz /= 2) {
		void *p = mmap(NULL, sz, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1,
			       0);

		if (p != MAP_FAILED) {
			arena_size = sz;
			__atomic_store_n(&arena_base, p, __ATOMIC_RELEASE);
		}
	}
	pthread_mutex_unlock(&arena_lock);
	if (!arena_base)
		fatal("cannot reserve memory for the file list");
}

/* n bytes at the given alignment (a power of two, at most 8). */
static void *
arena_take(size_t n, size_t align)
{
	size_t pad;
	void *p;

	if (arena_gen != __atomic_load_n(&arena_generation, __ATOMIC_ACQUIRE))
		arena_left = 0; /* a chunk of a released arena */
	pad = (size_t)(-(uintptr_t)arena_cur & (align - 1));
	if (pad + n > arena_left) {
		size_t sz = n > ARENA_CHUNK ? (n + 7) & ~(size_t)7
					    : ARENA_CHUNK;
		size_t at;

		if (!__atomic_load_n(&arena_base, __ATOMIC_ACQUIRE))
			arena_reserve();
		at = __atomic_fetch_add(&arena_used, sz, __ATOMIC_RELAXED);
		if (at + sz > arena_size)
			fatal("too many files: the file list is full");
		arena_cur = arena_base + at;
		arena_left = sz;
		arena_gen = arena_generation;
		pad = 0;
	}
	p = arena_cur + pad;
	arena_cur += pad + n;
	arena_left -= pad + n;
	return p;
}

void *
arena_alloc(size_t n)
{
	return arena_take((n + 7) & ~(size_t)7, 8);
}

void *
arena_alloc_units(size_t n)
{
	return arena_take((n + ARENA_UNIT - 1) & ~(size_t)(ARENA_UNIT - 1),
			  ARENA_UNIT);
}

uint32_t
arena_ref(const void *p)
{
	return (uint32_t)(((const char *)p - arena_base) / ARENA_UNIT);
}

void *
arena_at(uint32_t ref)
{
	return arena_base + (size_t)ref * ARENA_UNIT;
}

void
arena_release(void)
{
	if (arena_base)
		munmap(arena_base, arena_size);
	arena_base = NULL;
	arena_size = arena_used = 0;
	__atomic_add_fetch(&arena_generation, 1, __ATOMIC_RELEASE);
	arena_cur = NULL;
	arena_left = 0;
}

char *
arena_strdup(const char *s, size_t len)
{
	char *p = arena_alloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

struct dnode *
dnode_new(struct dnode *parent, const char *name, size_t len, uint32_t op)
{
	struct dnode *d = arena_alloc(sizeof(*d) + len + 1);

	d->parent = parent;
	d->op = op;
	d->depth = parent ? parent->depth + 1 : 0;
	d->fd = -1;
	d->namelen = len;
	memcpy(d->name, name, len);
	d->name[len] = '\0';
	return d;
}

static void
pb_reserve(struct pathbuf *pb, size_t n)
{
	if (n > pb->cap) {
		pb->cap = n < 256 ? 256 : n * 2;
		pb->s = xrealloc(pb->s, pb->cap);
	}
}

/* Length of d's path, and d's path written so it ends at pb->s + end. */
static size_t
dir_len(const struct dnode *d)
{
	size_t n = 0;

	for (; d; d = d->parent)
		n += d->namelen + (d->parent ? 1 : 0);
	return n;
}

static void
dir_write(char *end, const struct dnode *d)
{
	for (; d; d = d->parent) {
		end -= d->namelen;
		memcpy(end, d->name, d->namelen);
		if (d->parent)
			*--end = '/';
	}
}

const char *
path_of(struct pathbuf *pb, const struct dnode *d, const char *name)
{
	size_t dl = dir_len(d), nl = name ? strlen(name) : 0;
	/* the root "/" already ends with a slash */
	int slash = name && !(d->parent == NULL && d->namelen == 1);

	pb_reserve(pb, dl + slash + nl + 1);
	dir_write(pb->s + dl, d);
	if (slash)
		pb->s[dl] = '/';
	if (name)
		memcpy(pb->s + dl + slash, name, nl);
	pb->len = dl + slash + nl;
	pb->s[pb->len] = '\0';
	return pb->s;
}

/* "/" + each component below the root + "/", as util-linux measures it */
const char *
dirpart_of(struct pathbuf *pb, const struct dnode *d)
{
	size_t len = 1;
	char *end;

	for (const struct dnode *x = d; x->parent; x = x->parent)
		len += x->namelen + 1;
	pb_reserve(pb, len + 1);
	end = pb->s + len;
	*end = '\0';
	*--end = '/';
	for (const struct dnode *x = d; x->parent; x = x->parent) {
		end -= x->namelen;
		memcpy(end, x->name, x->namelen);
		*--end = '/';
	}
	pb->len = len;
	return pb->s;
}

void
pathbuf_release(struct pathbuf *pb)
{
	free(pb->s);
	pb->s = NULL;
	pb->len = pb->cap = 0;
}

const char *
pathbuf_printf(struct pathbuf *pb, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(pb->s, pb->cap, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatal("cannot format a message");
	if ((size_t)n >= pb->cap) {
		pb_reserve(pb, (size_t)n + 1);
		va_start(ap, fmt);
		vsnprintf(pb->s, pb->cap, fmt, ap);
		va_end(ap);
	}
	pb->len = (size_t)n;
	return pb->s;
}

static int
open_nofollow(int dirfd, const char *path, int flags)
{
	static int no_openat2;
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC | O_NOFOLLOW),
		.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	int fd;

	if (!__atomic_load_n(&no_openat2, __ATOMIC_RELAXED)) {
		fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
		if (fd >= 0 || errno != ENOSYS)
			return fd;
		__atomic_store_n(&no_openat2, 1, __ATOMIC_RELAXED);
	}
	return openat(dirfd, path, flags | O_CLOEXEC | O_NOFOLLOW);
}

/*
 * Opens directory d for use as a base, walking down from the deepest
 * ancestor whose path fits one call.  Returns an O_PATH descriptor or -1.
 */
static int
open_long(const struct dnode *d, struct pathbuf *pb)
{
	const struct dnode **chain;
	size_t n = d->depth + 1, i = 0;
	int fd = AT_FDCWD;

	chain = xmalloc(n * sizeof(*chain));
	for (const struct dnode *x = d; x; x = x->parent)
		chain[--n] = x;
	n = d->depth + 1;
	while (i < n) {
		size_t len = 0, j = i;
		int nfd;

		/* gather components while they fit */
		while (j < n &&
		       (j == i || len + chain[j]->namelen + 1 < CHUNK_PATH)) {
			len += chain[j]->namelen + 1;
			j++;
		}
		pb_reserve(pb, len + 1);
		pb->len = 0;
		for (size_t k = i; k < j; k++) {
			if (k > i)
				pb->s[pb->len++] = '/';
			memcpy(pb->s + pb->len, chain[k]->name,
			       chain[k]->namelen);
			pb->len += chain[k]->namelen;
		}
		pb->s[pb->len] = '\0';
		nfd = open_nofollow(fd, pb->s, O_PATH | O_DIRECTORY);
		if (fd != AT_FDCWD)
			close(fd);
		if (nfd < 0) {
			free(chain);
			return -1;
		}
		fd = nfd;
		i = j;
	}
	free(chain);
	return fd;
}

static unsigned keep_left; /* atomic: walk threads take from it */

void
dnode_fd_budget(unsigned n)
{
	__atomic_store_n(&keep_left, n, __ATOMIC_RELAXED);
}

int
dnode_keep_fd(struct dnode *d, int fd)
{
	unsigned left = __atomic_load_n(&keep_left, __ATOMIC_RELAXED);

	do {
		if (!left || d->fd >= 0)
			return 0;
	} while (!__atomic_compare_exchange_n(&keep_left, &left, left - 1, 1,
					      __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	d->fd = fd;
	return 1;
}

int
path_open(const struct dnode *d, const char *name, int flags)
{
	struct pathbuf pb = {0};
	int base, fd, err;

	/*
	 * The directory the walk read, whatever its path names now: a
	 * directory renamed mid-run still holds the files we compared.
	 */
	if (d->fd >= 0)
		return open_nofollow(d->fd, name ? name : ".", flags);
	if (dir_len(d) + (name ? strlen(name) : 0) + 2 < CHUNK_PATH) {
		fd = open_nofollow(AT_FDCWD, path_of(&pb, d, name), flags);
		err = errno;
		pathbuf_release(&pb);
		errno = err;
		return fd;
	}
	base = open_long(d, &pb);
	err = errno;
	pathbuf_release(&pb);
	if (base < 0) {
		errno = err;
		return -1;
	}
	if (!name)
		name = ".";
	fd = open_nofollow(base, name, flags);
	err = errno;
	close(base);
	errno = err;
	return fd;
}
