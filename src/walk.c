/*
 * walk.c - find the regular files under the operands.
 *
 * An iterative depth-first walk over directory file descriptors: every
 * entry is examined with fstatat(AT_SYMLINK_NOFOLLOW) relative to its
 * directory, every subdirectory opened with openat(O_NOFOLLOW), so no path
 * string is resolved and no symlink is followed.  There is no recursion
 * and no depth limit.  At most MAX_DIR_FDS directories stay open: when the
 * chain is deeper, the shallowest descriptors are closed, and a directory
 * is reopened later through its child's "..", checked against the device
 * and inode it had, so a directory moved away mid-walk is not followed.
 *
 * Each regular file that passes the filters becomes a struct fent: its
 * directory node, its name and the stat fields the policy needs.
 */
#include "hardlink.h"

#include <dirent.h>
#include <sys/syscall.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_DIR_FDS 48

struct frame {
	struct dnode *d;
	int fd;
	uint64_t dev, ino;
	struct dnode **subs;
	size_t nsub, isub;
	int has_files;		/* a file of this directory was kept */
};

struct walk {
	struct filelist *fl;
	struct frame *st;
	size_t n, cap;
	size_t nopen;
	uint64_t rootdev;
	uint32_t op;
	struct pathbuf pb;
};

int
is_temp_name(const char *name)
{
	size_t plen = sizeof(TMP_PREFIX) - 1;

	if (strncmp(name, TMP_PREFIX, plen) != 0 ||
	    strlen(name) != plen + TMP_RANDOM)
		return 0;
	for (const char *p = name + plen; *p; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9')))
			return 0;
	}
	return 1;
}

static void
fill_fent(struct fent *f, struct dnode *dir, const char *name,
	  const struct stat *st, uint32_t op, uint32_t seq)
{
	*f = (struct fent){
		.dir = dir,
		.name = arena_strdup(name, strlen(name)),
		.dev = st->st_dev,
		.ino = st->st_ino,
		.size = (uint64_t)st->st_size,
		.mtime = st->st_mtim.tv_sec,
		.mtime_ns = (uint32_t)st->st_mtim.tv_nsec,
		.ctime = st->st_ctim.tv_sec,
		.ctime_ns = (uint32_t)st->st_ctim.tv_nsec,
		.mode = st->st_mode,
		.uid = st->st_uid,
		.gid = st->st_gid,
		.nlink = (uint32_t)st->st_nlink,
		.op = op,
		.seq = seq,
	};
}

static void
add_fent(struct filelist *fl, struct dnode *dir, const char *name,
	 const struct stat *st, uint32_t op)
{
	if (fl->n == fl->cap) {
		fl->cap = fl->cap ? fl->cap * 2 : 1024;
		fl->v = xrealloc(fl->v, fl->cap * sizeof(*fl->v));
	}
	fill_fent(&fl->v[fl->n], dir, name, st, op, (uint32_t)fl->n);
	fl->n++;
}

/*
 * A temporary left by kill -9.  With two links or more it is a link to a
 * master whose other name survives: removed at once.  With one link it is
 * a duplicate that was being replaced (or a clone being made): kept for
 * group.c, which removes it only if another file holds the same bytes.
 */
static void
leftover(struct walk *w, struct dnode *dir, int dirfd, const char *name,
	 const struct stat *st)
{
	struct filelist *fl = w->fl;
	const char *path = path_of(&w->pb, dir, name);

	if (opts.dry_run) {
		verbose(2, "Skipped (temporary of an interrupted run) %s", path);
		return;
	}
	if (st->st_nlink < 2) {
		fl->orphans = xrealloc(fl->orphans, (fl->norphans + 1) *
							    sizeof(*fl->orphans));
		fill_fent(&fl->orphans[fl->norphans++], dir, name, st, w->op,
			  0);
		return;
	}
	if (replace_remove_stale(dirfd, name, path, st) == 1) {
		fl->stale = xrealloc(fl->stale, (fl->nstale + 1) *
							sizeof(*fl->stale));
		fl->stale[fl->nstale++] = (struct devino){st->st_dev,
							  st->st_ino};
	}
}

/* The per-file rules of util-linux's walk callback, in its order. */
static void
consider_file(struct walk *w, struct dnode *dir, int dirfd, const char *name,
	      const struct stat *st)
{
	const char *path = NULL;
	uint64_t sz;

	if (dirfd >= 0 && is_temp_name(name)) {
		leftover(w, dir, dirfd, name, st);
		return;
	}
	if (opts.include.n || opts.exclude.n || opts.verbose >= 2)
		path = path_of(&w->pb, dir, name);
	if (opts.include.n || opts.exclude.n) {
		int inc = regex_any(&opts.include, path);
		int exc = regex_any(&opts.exclude, path);

		if ((opts.exclude.n && exc && !inc) ||
		    (!opts.exclude.n && opts.include.n && !inc)) {
			verbose(2, "Skipped (excluded) %s", path);
			return;
		}
	}
	w->fl->files++;
	sz = opts.real_size ? (uint64_t)st->st_blocks * 512
			    : (uint64_t)st->st_size;
	if (sz < opts.min_size) {
		verbose(2, "Skipped (smaller than configured size) %s", path);
		return;
	}
	if (opts.verbose >= 3)
		verbose(3, " %5" PRIu64 ": [%" PRIu64 "/%" PRIu64 "/%ju] %s",
			w->fl->files, (uint64_t)st->st_dev,
			(uint64_t)st->st_ino, (uintmax_t)st->st_nlink, path);
	if (opts.max_size && sz > opts.max_size) {
		verbose(2, "Skipped (greater than configured size) %s", path);
		return;
	}
	add_fent(w->fl, dir, name, st, w->op);
}

static void
close_frame_fd(struct walk *w, struct frame *f)
{
	if (f->fd >= 0) {
		close(f->fd);
		f->fd = -1;
		w->nopen--;
	}
}

/* Keeps at most MAX_DIR_FDS directories open: close the shallowest. */
static void
limit_fds(struct walk *w)
{
	for (size_t i = 0; w->nopen > MAX_DIR_FDS && i + 1 < w->n; i++)
		close_frame_fd(w, &w->st[i]);
}

static int
push_frame(struct walk *w, struct dnode *d, int fd, const struct stat *st)
{
	struct frame *f;

	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 64;
		w->st = xrealloc(w->st, w->cap * sizeof(*w->st));
	}
	f = &w->st[w->n++];
	*f = (struct frame){d, fd, st->st_dev, st->st_ino, NULL, 0, 0, 0};
	w->nopen++;
	limit_fds(w);
	return 0;
}

static void
add_sub(struct frame *f, struct dnode *d, size_t *cap)
{
	if (f->nsub == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		f->subs = xrealloc(f->subs, *cap * sizeof(*f->subs));
	}
	f->subs[f->nsub++] = d;
}

/* One entry as getdents64 returns it. */
struct dent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static void
read_entry(struct walk *w, struct frame *f, const char *name,
	   unsigned char type, size_t *cap)
{
	struct stat st;

	if (name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2])))
		return;
	if (type == DT_DIR) {
		add_sub(f, dnode_new(f->d, name, strlen(name), w->op), cap);
		return;
	}
	if (type != DT_REG && type != DT_UNKNOWN)
		return;		/* symlinks, devices, FIFOs, sockets */
	if (fstatat(f->fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno != ENOENT)
			warnerr(errno, "cannot read %s",
				path_of(&w->pb, f->d, name));
		return;
	}
	if (S_ISREG(st.st_mode))
		consider_file(w, f->d, f->fd, name, &st);
	else if (S_ISDIR(st.st_mode))
		add_sub(f, dnode_new(f->d, name, strlen(name), w->op), cap);
}

/*
 * Reads the whole directory with getdents64 on the frame's descriptor
 * (no DIR stream: no dup, no extra fstat per directory): files are
 * considered, subdirectories kept for later.
 */
static void
read_dir(struct walk *w, struct frame *f)
{
	static char buf[64 * 1024] __attribute__((aligned(8)));
	size_t cap = 0, before = w->fl->n;

	for (;;) {
		long n = syscall(SYS_getdents64, f->fd, buf, sizeof(buf));

		if (n < 0) {
			warnerr(errno, "cannot read %s",
				path_of(&w->pb, f->d, NULL));
			break;
		}
		if (n == 0)
			break;
		for (long off = 0; off < n;) {
			const struct dent64 *de = (const void *)(buf + off);

			sig_check();
			read_entry(w, f, de->d_name, de->d_type, &cap);
			off += de->d_reclen;
		}
	}
	f->has_files = w->fl->n > before;
}

/* Opens subdirectory d of frame f and pushes it, unless filtered out. */
static void
enter(struct walk *w, struct frame *f, struct dnode *d)
{
	struct stat st;
	int fd;

	if (opts.exclude_subtree.n) {
		const char *path = path_of(&w->pb, d, NULL);

		if (regex_any(&opts.exclude_subtree, path)) {
			verbose(2, "Skipped (excluded subtree) %s", path);
			return;
		}
	}
	fd = openat(f->fd, d->name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC |
			    O_NONBLOCK);
	if (fd < 0) {
		/* vanished, or became a symlink: not ours to follow */
		if (errno != ENOENT && errno != ELOOP && errno != ENOTDIR)
			warnerr(errno, "cannot read %s",
				path_of(&w->pb, d, NULL));
		return;
	}
	if (fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode)) {
		warnerr(errno, "cannot read %s", path_of(&w->pb, d, NULL));
		close(fd);
		return;
	}
	if (opts.mount && (uint64_t)st.st_dev != w->rootdev) {
		close(fd);
		return;
	}
	push_frame(w, d, fd, &st);
}

/*
 * Pops the finished top frame; reopens its parent through ".." if the
 * parent's descriptor was closed to stay under MAX_DIR_FDS.
 */
static void
leave(struct walk *w)
{
	struct frame *c = &w->st[--w->n];
	struct frame *p = w->n ? &w->st[w->n - 1] : NULL;

	if (p && p->fd < 0) {
		struct stat st;
		int fd = c->fd >= 0 ? openat(c->fd, "..",
					     O_RDONLY | O_DIRECTORY |
						     O_CLOEXEC)
				    : -1;

		if (fd >= 0 && fstat(fd, &st) == 0 &&
		    (uint64_t)st.st_dev == p->dev &&
		    (uint64_t)st.st_ino == p->ino) {
			p->fd = fd;
			w->nopen++;
		} else {
			if (fd >= 0)
				close(fd);
			warnmsg("%s: directory moved during the walk, "
				"not descended further",
				path_of(&w->pb, p->d, NULL));
			p->isub = p->nsub;
		}
	}
	/* its files will be opened relative to it (names.c) */
	if (c->fd >= 0 && c->has_files && dnode_keep_fd(c->d, c->fd)) {
		c->fd = -1;
		w->nopen--;
	}
	close_frame_fd(w, c);
	free(c->subs);
}

static void
walk_tree(struct walk *w, struct dnode *root, int fd, const struct stat *st)
{
	w->rootdev = st->st_dev;
	push_frame(w, root, fd, st);
	read_dir(w, &w->st[0]);
	while (w->n) {
		struct frame *f = &w->st[w->n - 1];
		size_t before = w->n;

		if (f->isub == f->nsub) {
			leave(w);
			continue;
		}
		enter(w, f, f->subs[f->isub++]);
		if (w->n > before)
			read_dir(w, &w->st[w->n - 1]);
	}
}

void
walk_operand(struct filelist *fl, const char *operand, uint32_t op)
{
	struct walk w = {.fl = fl, .op = op};
	char *rp = realpath(operand, NULL);
	struct stat st;
	int fd;

	if (!rp) {
		warnerr(errno, "cannot get realpath: %s", operand);
		return;
	}
	if (lstat(rp, &st) < 0) {
		warnerr(errno, "cannot process %s", rp);
		free(rp);
		return;
	}
	if (S_ISREG(st.st_mode)) {
		char *slash = strrchr(rp, '/');
		size_t dlen = slash == rp ? 1 : (size_t)(slash - rp);
		struct dnode *dir = dnode_new(NULL, rp, dlen, op);

		consider_file(&w, dir, -1, slash + 1, &st);
	} else if (S_ISDIR(st.st_mode)) {
		struct dnode *root = dnode_new(NULL, rp, strlen(rp), op);

		if (opts.exclude_subtree.n &&
		    regex_any(&opts.exclude_subtree, rp)) {
			verbose(2, "Skipped (excluded subtree) %s", rp);
		} else if ((fd = open(rp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
						  O_CLOEXEC)) < 0 ||
			   fstat(fd, &st) < 0) {
			warnerr(errno, "cannot read %s", rp);
			if (fd >= 0)
				close(fd);
		} else {
			walk_tree(&w, root, fd, &st);
		}
	}
	free(w.st);
	pathbuf_release(&w.pb);
	free(rp);
}
