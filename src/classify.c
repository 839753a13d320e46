/*
 * classify.c - the engine driver (see classify.h).
 *
 * The engine reaches the files through src_open: each member is opened
 * relative to its directory's descriptor (names.c) and checked against
 * what the walk saw, so that the bytes compared are the bytes of the
 * file the policy chose, unchanged since.
 */
#include "classify.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "output.h"
#include "util.h"

/* Work is done in batches of at most this many members, or runs. */
#define BATCH_MEMBERS 8192
#define BATCH_RUNS 2048

struct queued {
	struct members mb;
	struct classifier *c; /* for src_open */
};

struct classifier {
	struct run *r;
	classify_act_fn *act;
	void *arg;
	uint32_t noatime_uid; /* the effective uid, for O_NOATIME */
	int noatime_denied;   /* atomic: root was refused O_NOATIME */

	/* the batch */
	struct queued *runs;
	struct hl_group *groups;
	size_t **cls;
	int **err;
	size_t n, cap, members;
	struct ent ***owned;	/* run arrays to free after the batch */
	struct sizegroup *done; /* size groups to free after the batch */
	size_t ndone;
};

static int
src_open(void *cookie, size_t i)
{
	const struct queued *q = cookie;
	struct classifier *c = q->c;
	struct ent *e = q->mb.m[i];
	const struct fent *f = ent_f(e);
	struct stat st;
	int flags = O_RDONLY | O_NONBLOCK | O_NOCTTY, fd;

	/*
	 * Reading a file is not a reason to change it: O_NOATIME spares the
	 * inode an atime update (and the journal a write) where the kernel
	 * allows it, to the file's owner and to root.  Root without
	 * CAP_FOWNER (a container's, for files of unmapped users) gets
	 * EPERM: it reads as anyone else from then on.
	 */
	if (c->noatime_uid == fent_uid(f) ||
	    (c->noatime_uid == 0 &&
	     !__atomic_load_n(&c->noatime_denied, __ATOMIC_RELAXED)))
		flags |= O_NOATIME;
	fd = path_open(f->dir, f->name, flags);
	if (fd < 0 && errno == EPERM && (flags & O_NOATIME)) {
		fd = path_open(f->dir, f->name, flags & ~O_NOATIME);
		if (fd >= 0 && c->noatime_uid != fent_uid(f))
			__atomic_store_n(&c->noatime_denied, 1,
					 __ATOMIC_RELAXED);
	}
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	/* the file we read must be the file the walk saw, unchanged */
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_dev != e->rs->dev ||
	    (uint64_t)st.st_ino != e->rs->ino ||
	    (uint64_t)st.st_size != e->rs->size ||
	    st.st_mtim.tv_sec != e->rs->mtime ||
	    (uint32_t)st.st_mtim.tv_nsec != e->rs->mtime_ns ||
	    (!e->rs->touched &&
	     (st.st_ctim.tv_sec != e->rs->ctime ||
	      (uint32_t)st.st_ctim.tv_nsec != e->rs->ctime_ns))) {
		close(fd);
		return -HL_ECHANGED;
	}
	/*
	 * Most files have no xattrs: asking here, on the descriptor and on
	 * an engine worker, spares act.c a path lookup per file on the main
	 * thread.  A relaxed atomic store: big groups are opened by several
	 * workers at once.  Xattrs set later change the ctime, which the
	 * replacement re-checks.
	 */
	if (flistxattr(fd, NULL, 0) == 0 || errno == ENOTSUP)
		__atomic_store_n(&e->xa_none, 1, __ATOMIC_RELAXED);
	/* a bigger readahead pays for big files only */
	if (e->rs->size >= (1u << 20))
		posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	return fd;
}

static void
src_close(void *cookie, size_t i, int fd)
{
	(void)cookie;
	(void)i;
	close(fd);
}

struct classifier *
classify_new(struct run *r, classify_act_fn *act, void *arg)
{
	struct classifier *c = xcalloc(1, sizeof(*c));

	c->r = r;
	c->act = act;
	c->arg = arg;
	c->noatime_uid = (uint32_t)geteuid();
	return c;
}

void
classify_run(struct classifier *c, const struct members *mb)
{
	if (c->n == c->cap) { /* kept from batch to batch */
		c->cap = c->cap ? c->cap * 2 : 64;
		c->runs = xrealloc(c->runs, c->cap * sizeof(*c->runs));
		c->groups = xrealloc(c->groups, c->cap * sizeof(*c->groups));
		c->cls = xrealloc(c->cls, c->cap * sizeof(*c->cls));
		c->err = xrealloc(c->err, c->cap * sizeof(*c->err));
	}
	c->runs[c->n] = (struct queued){*mb, c};
	c->cls[c->n] = xmalloc(mb->n * sizeof(**c->cls));
	c->err[c->n] = xmalloc(mb->n * sizeof(**c->err));
	c->n++;
	c->members += mb->n;
}

void
classify_group_done(struct classifier *c, struct sizegroup *g,
		    struct ent **runs)
{
	c->owned = xrealloc(c->owned, (c->ndone + 1) * sizeof(*c->owned));
	c->done = xrealloc(c->done, (c->ndone + 1) * sizeof(*c->done));
	c->owned[c->ndone] = runs;
	c->done[c->ndone++] = *g;
	if (c->members >= BATCH_MEMBERS || c->n >= BATCH_RUNS)
		classify_flush(c);
}

/* Reports the members that could not be read, then acts on the run. */
static void
finish_run(struct classifier *c, const struct members *mb, const size_t *cls,
	   const int *err)
{
	struct pathbuf pb = {0};
	size_t live = 0;

	for (size_t i = 0; i < mb->n; i++) {
		const struct fent *f = ent_f(mb->m[i]);

		if (!err[i]) {
			live++;
			continue;
		}
		if (err[i] == -HL_ECHANGED)
			warnmsg("%s: changed during the run, not replaced",
				path_of(&pb, f->dir, f->name));
		else
			warnerr(-err[i], "%s", path_of(&pb, f->dir, f->name));
	}
	pathbuf_release(&pb);
	c->r->stats.compared += live > 1 ? live - 1 : 0;
	c->act(c->arg, mb, cls);
}

void
classify_flush(struct classifier *c)
{
	int rc;

	for (size_t i = 0; i < c->n; i++)
		c->groups[i] = (struct hl_group){
			c->runs[i].mb.n,
			ent_f(c->runs[i].mb.m[0])->size,
			{src_open, src_close, &c->runs[i]}};
	rc = hl_engine_classify_batch(c->r->eng, c->n, c->groups, c->cls,
				      c->err);
	if (rc == -EINTR)
		run_poll(c->r);
	if (rc < 0)
		fatal("cannot compare files: %s", strerror(-rc));
	for (size_t i = 0; i < c->n; i++) {
		finish_run(c, &c->runs[i].mb, c->cls[i], c->err[i]);
		free(c->cls[i]);
		free(c->err[i]);
	}
	for (size_t i = 0; i < c->ndone; i++) {
		free(c->owned[i]);
		sizegroup_release(&c->done[i]);
	}
	c->n = c->members = c->ndone = 0;
}

void
classify_free(struct classifier *c)
{
	if (!c)
		return;
	classify_flush(c);
	free(c->runs);
	free(c->groups);
	free(c->cls);
	free(c->err);
	free(c->owned);
	free(c->done);
	free(c);
}
