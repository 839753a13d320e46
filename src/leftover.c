/*
 * leftover.c - what to do with the temporaries of an interrupted run.
 *
 * kill -9 can leave one temporary per interrupted replacement (see
 * replace.c): after the link, a second link of the master; after the
 * exchange, the old duplicate, whose bytes equal the master's; or a clone
 * being made.  The first kind loses nothing when removed.  The others
 * hold the only copy of some bytes unless another file holds them too,
 * which the engine checks byte for byte before anything is removed.
 * replace.c does the removing, after checking once more that the name
 * still holds the file this decision is about.
 */
#include "leftover.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "opts.h"
#include "output.h"
#include "replace.h"
#include "util.h"

struct devino {
	uint64_t dev, ino;
};

static int
cmp_devino(const void *a, const void *b)
{
	const struct devino *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return CMP(x->ino, y->ino);
}

/* Stats f's name now (without following it), into *st. */
static int
stat_now(const struct fent *f, struct stat *st)
{
	int fd = path_open(fent_dir(f), f->name, O_PATH), rc;

	if (fd < 0)
		return -1;
	rc = fstat(fd, st);
	close(fd);
	return rc;
}

/*
 * Removing a leftover changed the link count and ctime of the inode it
 * shared: the walk's records of that inode's other paths are updated.
 */
static void
refresh(struct filelist *fl, struct devino *gone, size_t ngone)
{
	if (!ngone)
		return;
	qsort(gone, ngone, sizeof(*gone), cmp_devino);
	for (size_t i = 0; i < fl->n; i++) {
		struct fent *f = fent_at(fl->p[i]);
		struct devino key = {fent_dev(f), f->ino};
		struct stat st;

		if (!bsearch(&key, gone, ngone, sizeof(key), cmp_devino))
			continue;
		if (stat_now(f, &st) < 0 || (uint64_t)st.st_ino != f->ino ||
		    (uint64_t)st.st_dev != fent_dev(f))
			continue; /* the re-check will catch it */
		fent_set_nlink(f, (uint32_t)st.st_nlink);
		f->ctime_v = ftime_pack(st.st_ctim);
	}
}

static int
fent_open(void *cookie, size_t i)
{
	struct fent *const *f = cookie;
	struct stat st;
	int fd = path_open(fent_dir(f[i]), f[i]->name,
			   O_RDONLY | O_NONBLOCK | O_NOCTTY);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_ino != f[i]->ino ||
	    (uint64_t)st.st_dev != fent_dev(f[i]) ||
	    (uint64_t)st.st_size != f[i]->size) {
		close(fd);
		return -HL_ECHANGED;
	}
	return fd;
}

static void
fent_close(void *cookie, size_t i, int fd)
{
	(void)cookie;
	(void)i;
	close(fd);
}

/*
 * A one-link temporary: removed when another file of its device has the
 * same bytes (the engine compares them all, the temporary first).
 */
static void
resolve_orphan(struct run *r, struct filelist *fl, struct fent *of,
	       const char *path)
{
	struct fent **v;
	size_t n = 0, *cls;
	int *err, rc;
	struct hl_group g;

	if (of->size == 0) { /* no bytes to lose */
		replace_remove_orphan(r->rep, of, path);
		return;
	}
	v = xmalloc((fl->n + 1) * sizeof(*v));
	v[n++] = of;
	for (size_t i = 0; i < fl->n; i++) {
		struct fent *f = fent_at(fl->p[i]);

		if (f->size == of->size && fent_dev(f) == fent_dev(of))
			v[n++] = f;
	}
	cls = xmalloc(n * sizeof(*cls));
	err = xmalloc(n * sizeof(*err));
	g = (struct hl_group){n, of->size, {fent_open, fent_close, v}};
	rc = hl_engine_classify(r->eng, &g, cls, err);
	if (rc == -EINTR)
		run_poll(r);
	for (size_t i = 1; rc == 0 && i < n; i++) {
		if (cls[i] == 0) {
			replace_remove_orphan(r->rep, of, path);
			break;
		}
		if (i + 1 == n)
			rc = -1;
	}
	if (rc < 0 || n == 1)
		warnmsg("%s: leftover temporary kept: no other file holds its "
			"bytes",
			path);
	free(cls);
	free(err);
	free(v);
}

/*
 * One leftover, as it is now: removed if it has two links or more, kept
 * in *orphans if it has one.  A leftover that changes while we look is
 * looked at again, a few times.
 */
static void
sort_out(struct run *r, struct fent *t, const char *path, struct devino **gone,
	 size_t *ngone, struct fent ***orphans, size_t *norphans)
{
	for (int tries = 0; tries < 3; tries++) {
		struct stat st;
		int rc;

		if (tries) {
			if (stat_now(t, &st) < 0) {
				if (errno != ENOENT)
					warnerr(errno, "cannot read %s", path);
				return;
			}
			if (!S_ISREG(st.st_mode))
				return;
			t->ino = st.st_ino;
			t->size = (uint64_t)st.st_size;
			fent_set_dev(t, st.st_dev);
			fent_set_nlink(t, (uint32_t)st.st_nlink);
		}
		if (fent_nlink(t) < 2) {
			*orphans = xrealloc(
				*orphans, (*norphans + 1) * sizeof(**orphans));
			(*orphans)[(*norphans)++] = t;
			return;
		}
		rc = replace_remove_linked(r->rep, t, path);
		if (rc == 1) {
			*gone = xrealloc(*gone, (*ngone + 1) * sizeof(**gone));
			(*gone)[(*ngone)++] = (struct devino){fent_dev(t),
							      t->ino};
		}
		if (rc != 0)
			return;
		/* gone, or no longer that file with two links: look again */
	}
}

void
leftover_resolve(struct run *r, struct filelist *fl)
{
	struct pathbuf pb = {0};
	struct devino *gone = NULL;
	struct fent **orphans = NULL;
	size_t ngone = 0, norphans = 0;

	for (size_t i = 0; i < fl->ntemps; i++) {
		struct fent *t = fl->temps[i];

		path_of(&pb, fent_dir(t), t->name);
		if (opts.dry_run)
			verbose(2,
				"Skipped (temporary of an interrupted run) %s",
				pb.s);
		else
			sort_out(r, t, pb.s, &gone, &ngone, &orphans,
				 &norphans);
		run_poll(r);
	}
	refresh(fl, gone, ngone);
	for (size_t i = 0; i < norphans; i++) {
		resolve_orphan(
			r, fl, orphans[i],
			path_of(&pb, fent_dir(orphans[i]), orphans[i]->name));
		run_poll(r);
	}
	free(gone);
	free(orphans);
	free(fl->temps);
	fl->temps = NULL;
	fl->ntemps = 0;
	pathbuf_release(&pb);
}
