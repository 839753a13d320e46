/*
 * group.c - the policy: which files may replace which.
 *
 * util-linux hardlink takes each file of a (device, size) group in turn as
 * master and compares it with every later file that passes the attribute
 * checks.  Because every check is an equality (mode, owner, mtime second,
 * name, directory part, xattrs), the files it ends up merging are exactly
 * the classes of (attributes, content), each merged into its most
 * preferred member.  We compute those classes directly:
 *
 *   1. merge paths into entries: one per inode (and per name with -f, per
 *      directory part with -d), as util-linux does;
 *   2. sort entries by (device, size): a group of one is never opened;
 *   3. inside a size group, sort by (attribute key, master preference):
 *      each run of equal keys is handed to the engine, in preference order,
 *      and comes back as content classes whose first member is the master;
 *   4. replace every path of every other member by a link to the master.
 *
 * The result (which paths share an inode; Files, Linked, Saved) equals
 * util-linux's, at O(k log k) per group instead of O(k^2) comparisons.
 */
#include "hardlink.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

#define CMP(a, b) ((a) < (b) ? -1 : (a) > (b))

struct counters stats;

struct ent {
	struct fent **paths;	/* newest discovered first, as util-linux */
	uint32_t npaths;
	uint32_t nlink;		/* virtual: updated as we link */
	uint32_t op;		/* operand of the first path found */
	unsigned char xa_none;	/* src_open saw no xattrs at all */
	struct xattrs xa;	/* read only once its contents matched */
	struct rstate *rs;	/* shared by the entries of one inode */
};

static struct fent *
ent_f(const struct ent *e)
{
	return e->paths[0];
}

/* ---- building entries ------------------------------------------------ */

static int
cmp_inode(const void *a, const void *b)
{
	const struct fent *x = *(struct fent *const *)a;
	const struct fent *y = *(struct fent *const *)b;
	int r;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	if (opts.respect_name && (r = strcmp(x->name, y->name)))
		return r;
	if (opts.respect_dir) {
		static struct pathbuf pa, pb;

		r = strcmp(dirpart_of(&pa, x->dir), dirpart_of(&pb, y->dir));
		if (r)
			return r;
	}
	/* then by name, so equal paths are neighbours; then first found */
	if ((r = strcmp(x->name, y->name)))
		return r;
	return CMP(x->seq, y->seq);
}

static int
same_key(const struct fent *x, const struct fent *y)
{
	if (x->dev != y->dev || x->ino != y->ino)
		return 0;
	if (opts.respect_name && strcmp(x->name, y->name))
		return 0;
	if (opts.respect_dir) {
		static struct pathbuf pa, pb;

		return !strcmp(dirpart_of(&pa, x->dir),
				dirpart_of(&pb, y->dir));
	}
	return 1;
}

/*
 * Drops paths seen twice (same operand twice, or nested operands).  The
 * run is sorted by name, so a repeated path is next to its twin among the
 * paths of the same name: no quadratic work for an inode with 65,000 links.
 */
static uint32_t
drop_repeats(struct fent **p, uint32_t n)
{
	static struct pathbuf pa, pb;
	uint32_t w = 0;

	for (uint32_t i = 0, first = 0; i < n; i++) {
		int dup = 0;

		if (w && strcmp(p[i]->name, p[w - 1]->name))
			first = w;
		for (uint32_t j = first; j < w && !dup; j++)
			dup = !strcmp(path_of(&pa, p[i]->dir, p[i]->name),
				      path_of(&pb, p[j]->dir, p[j]->name));
		if (dup)
			verbose(2, "Skipped (specified more than once) %s",
				path_of(&pa, p[i]->dir, p[i]->name));
		else
			p[w++] = p[i];
	}
	return w;
}

static int
cmp_seq_desc(const void *a, const void *b)
{
	const struct fent *x = *(struct fent *const *)a;
	const struct fent *y = *(struct fent *const *)b;

	return x->seq > y->seq ? -1 : x->seq < y->seq;
}

static void
rstate_init(struct rstate *rs, const struct fent *f)
{
	*rs = (struct rstate){
		.dev = f->dev, .ino = f->ino, .size = f->size,
		.mtime = f->mtime, .ctime = f->ctime,
		.mtime_ns = f->mtime_ns, .ctime_ns = f->ctime_ns,
		.mode = f->mode, .uid = f->uid, .gid = f->gid,
	};
}

static int
cmp_devino(const void *a, const void *b)
{
	const struct devino *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return CMP(x->ino, y->ino);
}

/*
 * Removing a leftover temporary changed the link count and ctime of the
 * inode it shared: look at that inode's paths again.
 */
static void
refresh_stale(struct filelist *fl)
{
	static struct pathbuf pb;

	if (!fl->nstale)
		return;
	qsort(fl->stale, fl->nstale, sizeof(*fl->stale), cmp_devino);
	for (size_t i = 0; i < fl->n; i++) {
		struct fent *f = fl->p[i];
		struct devino key = {f->dev, f->ino};
		struct stat st;

		if (!bsearch(&key, fl->stale, fl->nstale, sizeof(key),
			     cmp_devino))
			continue;
		if (lstat(path_of(&pb, f->dir, f->name), &st) < 0 ||
		    (uint64_t)st.st_ino != f->ino ||
		    (uint64_t)st.st_dev != f->dev)
			continue;	/* the re-check will catch it */
		f->nlink = (uint32_t)st.st_nlink;
		f->ctime = st.st_ctim.tv_sec;
		f->ctime_ns = (uint32_t)st.st_ctim.tv_nsec;
	}
	free(fl->stale);
	fl->stale = NULL;
	fl->nstale = 0;
}

/*
 * Sorts the walk's files by device and size, then inode (cmp_inode), so
 * that each size group is one stretch of order[] holding whole inodes.
 */
static int
cmp_size_inode(const void *a, const void *b)
{
	const struct fent *x = *(struct fent *const *)a;
	const struct fent *y = *(struct fent *const *)b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->size != y->size)
		return x->size < y->size ? -1 : 1;
	return cmp_inode(a, b);
}

/*
 * Makes the entries (one per inode, or per inode and name or directory
 * with -f/-d) of one size group, p[0..n-1] sorted by cmp_size_inode, and
 * their shared states in *rsv.  Entries exist only while their size
 * group is in a batch, so memory holds the walk's records plus one batch.
 */
static struct ent *
build_entries(struct fent **p, size_t np, size_t *nent, struct rstate **rsv)
{
	struct ent *ents = xcalloc(np, sizeof(*ents));
	size_t n = 0, nrs = 0;

	*rsv = xcalloc(np, sizeof(**rsv));
	for (size_t i = 0, j; i < np; i = j) {
		struct ent *e = &ents[n];

		for (j = i + 1; j < np && same_key(p[i], p[j]); j++)
			;
		e->paths = p + i;
		e->npaths = (uint32_t)(j - i);
		if (e->npaths > 1) {
			e->npaths = drop_repeats(e->paths, e->npaths);
			qsort(e->paths, e->npaths, sizeof(*e->paths),
			      cmp_seq_desc);
		}
		e->op = e->paths[e->npaths - 1]->op;
		e->nlink = ent_f(e)->nlink;
		/* with -f or -d one inode may be several entries */
		if (n && ent_f(&ents[n - 1])->dev == ent_f(e)->dev &&
		    ent_f(&ents[n - 1])->ino == ent_f(e)->ino) {
			e->rs = ents[n - 1].rs;
		} else {
			e->rs = &(*rsv)[nrs++];
			rstate_init(e->rs, ent_f(e));
		}
		n++;
	}
	*nent = n;
	return ents;
}

/* ---- attribute keys and master preference ---------------------------- */


static int
cmp_attrs(const struct ent *a, const struct ent *b)
{
	const struct fent *x = ent_f(a), *y = ent_f(b);
	int r = 0;

	if (!opts.ign_mode && (r = CMP(x->mode, y->mode)))
		return r;
	if (!opts.ign_owner &&
	    ((r = CMP(x->uid, y->uid)) || (r = CMP(x->gid, y->gid))))
		return r;
	if (!opts.ign_time && (r = CMP(x->mtime, y->mtime)))
		return r;
	if (opts.respect_name && (r = strcmp(x->name, y->name)))
		return r;
	if (opts.respect_dir) {
		static struct pathbuf pa, pb;

		r = strcmp(dirpart_of(&pa, x->dir), dirpart_of(&pb, y->dir));
		if (r)
			return r;
	}
	return 0;	/* xattrs are compared after the contents: act() */
}

/* Negative when a makes the better master (util-linux's file_compare). */
static int
cmp_pref(const struct ent *a, const struct ent *b)
{
	const struct fent *x = ent_f(a), *y = ent_f(b);
	int r = 0;

	if (opts.maximize && (r = CMP(b->nlink, a->nlink)))
		return r;
	if (opts.minimize && (r = CMP(a->nlink, b->nlink)))
		return r;
	if (opts.prio_trees && (r = CMP(a->op, b->op)))
		return r;
	r = opts.keep_oldest ? CMP(x->mtime, y->mtime) : CMP(y->mtime, x->mtime);
	if (r)
		return r;
	return CMP(x->ino, y->ino);
}

static int
cmp_key_pref(const void *a, const void *b)
{
	const struct ent *x = *(struct ent *const *)a;
	const struct ent *y = *(struct ent *const *)b;
	int r = cmp_attrs(x, y);

	return r ? r : cmp_pref(x, y);
}

/* ---- content classes through the engine ------------------------------ */

struct run {
	struct ent **m;		/* members, preference order */
	size_t n;
};

/* The effective uid, for O_NOATIME; set by group_run. */
static uint32_t noatime_uid;
static int noatime_denied;	/* atomic: root was refused O_NOATIME */

static int
src_open(void *cookie, size_t i)
{
	const struct run *r = cookie;
	struct ent *e = r->m[i];
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
	if (noatime_uid == f->uid ||
	    (noatime_uid == 0 &&
	     !__atomic_load_n(&noatime_denied, __ATOMIC_RELAXED)))
		flags |= O_NOATIME;
	fd = path_open(f->dir, f->name, flags);
	if (fd < 0 && errno == EPERM && (flags & O_NOATIME)) {
		fd = path_open(f->dir, f->name, flags & ~O_NOATIME);
		if (fd >= 0 && noatime_uid != f->uid)
			__atomic_store_n(&noatime_denied, 1, __ATOMIC_RELAXED);
	}
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	/* the file we read must be the file the walk saw, unchanged */
	if (!S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_dev != e->rs->dev ||
	    (uint64_t)st.st_ino != e->rs->ino ||
	    (uint64_t)st.st_size != e->rs->size ||
	    st.st_mtim.tv_sec != e->rs->mtime ||
	    (uint32_t)st.st_mtim.tv_nsec != e->rs->mtime_ns ||
	    (!e->rs->touched && (st.st_ctim.tv_sec != e->rs->ctime ||
				(uint32_t)st.st_ctim.tv_nsec != e->rs->ctime_ns))) {
		close(fd);
		return -HL_ECHANGED;
	}
	/*
	 * Most files have no xattrs: asking here, on the descriptor and on
	 * an engine worker, spares act() a path lookup per file on the main
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

static int
interrupted(void *arg)
{
	(void)arg;
	progress_tick();	/* thread-safe: may run on engine workers */
	return got_signal != 0;
}

static const char *
ent_path(struct pathbuf *pb, const struct ent *e, uint32_t i)
{
	return path_of(pb, e->paths[i]->dir, e->paths[i]->name);
}

/* Tells the reports (--json, the table) about e's paths from 'from' on. */
static void
report_ent(const struct ent *e, uint32_t from, enum outcome what)
{
	static struct pathbuf pb;

	for (uint32_t p = from; p < e->npaths; p++)
		report_path(ent_path(&pb, e, p), what, 0);
}

/* A new group for the reports, kept by master. */
static void
report_class(const struct ent *master)
{
	report_group(ent_f(master));
	report_ent(master, 0, OUT_KEPT);
}

/* ---- --skip-reflinks ------------------------------------------------- */

static int
already_reflinked(const struct ent *m, const struct ent *d)
{
	const struct fent *mf = ent_f(m), *df = ent_f(d);
	int a = path_open(mf->dir, mf->name, O_RDONLY | O_NONBLOCK | O_NOCTTY);
	int b = path_open(df->dir, df->name, O_RDONLY | O_NONBLOCK | O_NOCTTY);
	int same = a >= 0 && b >= 0 && extents_shared(a, b);

	if (a >= 0)
		close(a);
	if (b >= 0)
		close(b);
	return same;
}

/* Counts a path of dup as done (or, in a dry run, as it would be). */
static void
count_path(struct ent *master, const char *path, enum share how)
{
	static const enum outcome out[] = {
		[SHARE_LINK] = OUT_LINKED,
		[SHARE_CLONE] = OUT_CLONED,
		[SHARE_DEDUPE] = OUT_DEDUPED,
	};

	report_path(path, out[how], 0);
	stats.linked++;
	if (how == SHARE_LINK)
		master->nlink++;
	else if (how == SHARE_CLONE)
		stats.reflinked++;
	else
		stats.deduped++;
}

/*
 * Verified deduplication of dup's inode, once for all its paths.
 * Returns 0 when done (every path reported), a negative errno after a
 * failure (reported), or a positive errno when the kernel declined and
 * the caller should clone or link instead.
 */
static int
dedupe_entry(struct ent *master, struct ent *dup)
{
	static struct pathbuf mp, dp;
	const struct fent *mf = ent_f(master), *df = dup->paths[0];
	struct rpath m = {mf->dir, mf->name, ent_path(&mp, master, 0)};
	struct rpath d = {df->dir, df->name, ent_path(&dp, dup, 0)};
	uint64_t bytes = 0;
	int rc = 0;

	if (opts.dry_run)
		bytes = mf->size;
	else
		rc = replace_dedupe(&m, master->rs, &d, dup->rs, &bytes);
	stats.dedupe_bytes += bytes;
	sig_check();
	if (rc > 0)
		return rc;
	if (rc < 0) {
		stats.failed++;
		report_path(d.path, OUT_FAILED, rc);
		report_ent(dup, 1, OUT_UNTRIED);
		return rc;
	}
	/* every path of the inode now shares the master's extents */
	for (uint32_t p = 0; p < dup->npaths; p++) {
		const char *path = ent_path(&dp, dup, p);

		report_link(m.path, path, mf->size, SHARE_DEDUPE);
		count_path(master, path, SHARE_DEDUPE);
	}
	stats.saved += bytes;
	dup->paths += dup->npaths;
	dup->npaths = 0;
	return 0;
}

/*
 * Makes every path of dup share master's data: by verified deduplication
 * of dup's inode, by clones or by hard links, as --reflink and the
 * filesystem allow (see replace_may_reflink), each falling back to the
 * next with --reflink=auto.  The -v line and the reports name what was
 * done.  Returns 0, -EMLINK when master has no room for another link (dup
 * then keeps its paths), or another negative errno after a failure
 * (already reported).
 */
static int
link_entry(struct ent *master, struct ent *dup)
{
	static struct pathbuf mp, dp;
	const struct fent *mf = ent_f(master);
	enum share can = SHARE_LINK, how;

	if (opts.reflink != REFLINK_NEVER || opts.skip_reflinks) {
		struct rpath m = {mf->dir, mf->name,
				  ent_path(&mp, master, 0)};

		can = replace_may_reflink(&m, mf->dev);
	}
	report_member(ent_f(dup));
	if (can != SHARE_LINK && opts.skip_reflinks &&
	    already_reflinked(master, dup)) {
		verbose(3, "Skipped (already reflink) %s",
			ent_path(&dp, dup, 0));
		stats.skipped_reflinks++;
		report_ent(dup, 0, OUT_SHARED);
		return 0;
	}
	how = opts.reflink == REFLINK_NEVER ? SHARE_LINK : can;
	/*
	 * always: deduplication is tried on any filesystem (one that is
	 * not known to support it declines at once); a dry run predicts
	 * from the filesystem's type.
	 */
	if (opts.reflink == REFLINK_ALWAYS && !opts.dry_run)
		how = SHARE_DEDUPE;
	if (how == SHARE_DEDUPE) {
		int rc = dedupe_entry(master, dup);

		if (rc <= 0)
			return rc;
		verbose(3, "Deduplicating failed (%s), fallback to reflinking",
			strerror(rc));
		how = SHARE_CLONE;
	}
	while (dup->npaths) {
		const struct fent *df = dup->paths[0];
		struct rpath m = {mf->dir, mf->name, ent_path(&mp, master, 0)};
		struct rpath d = {df->dir, df->name, ent_path(&dp, dup, 0)};
		enum share done = how;

		sig_check();
		/*
		 * util-linux prints the line before the attempt; with
		 * --reflink it comes after, naming what was done.
		 */
		if (opts.reflink == REFLINK_NEVER || opts.dry_run)
			report_link(m.path, d.path, mf->size, how);
		if (!opts.dry_run) {
			int rc = replace_with_link(&m, master->rs, &d,
						   dup->rs, &done);

			if (rc < 0) {
				stats.failed++;
				report_path(d.path, OUT_FAILED, rc);
				report_ent(dup, 1, OUT_UNTRIED);
				return rc;
			}
			if (opts.reflink != REFLINK_NEVER)
				report_link(m.path, d.path, mf->size, done);
		}
		count_path(master, d.path, done);
		if (--dup->nlink == 0)
			stats.saved += mf->size;
		dup->paths++;
		dup->npaths--;
	}
	return 0;
}

static int
cmp_path(const void *a, const void *b)
{
	static struct pathbuf pa, pb;
	const struct fent *x = *(struct fent *const *)a;
	const struct fent *y = *(struct fent *const *)b;

	return strcmp(path_of(&pa, x->dir, x->name),
		      path_of(&pb, y->dir, y->name));
}

/*
 * -l: the class in preference order (the kept file first), each file's
 * paths in byte order, so that the listing does not depend on the order
 * in which the walk met the links of one inode.
 */
static void
list_class(struct ent **c, size_t n)
{
	static struct pathbuf pb;

	report_group(ent_f(c[0]));
	for (size_t i = 0; i < n; i++) {
		qsort(c[i]->paths, c[i]->npaths, sizeof(*c[i]->paths),
		      cmp_path);
		for (uint32_t p = 0; p < c[i]->npaths; p++)
			report_listing(stats.groups, ent_path(&pb, c[i], p));
	}
}

/* Replaces every member of c after the first by a link to the first. */
static void
link_class(struct ent **c, size_t n)
{
	static struct pathbuf pb;
	static int warned;
	struct ent *master = c[0];

	report_class(master);
	for (size_t j = 1; j < n; j++) {
		if (opts.content && !warned && !master->xa.err && !c[j]->xa.err &&
		    xattrs_differ(&master->xa, &c[j]->xa)) {
			notice("warning: -c links files whose capabilities, "
			       "ACLs or SELinux labels differ (first: %s)",
			       ent_path(&pb, c[j], 0));
			warned = 1;
		}
		if (link_entry(master, c[j]) == -EMLINK) {
			master = c[j];	/* util-linux's rule */
			report_class(master);
		}
	}
}

/*
 * Splits a content class (members in preference order) by xattrs: all of
 * them with -X, the security ones unless -c.  xattrs are read only now,
 * for the few files that have a twin, not for every candidate.  Each
 * sub-class keeps preference order, so its first member is its master.
 * Returns the number of members moved to the front of c that form the
 * first sub-class; the caller repeats on the rest.
 */
static size_t
xattr_split(struct ent **c, size_t n)
{
	static struct pathbuf pb, pb2;
	size_t k = 1;

	if (c[0]->xa.err) {
		verbose(3, "Skipped (attributes mismatch) %s",
			ent_path(&pb, c[0], 0));
		return 1;
	}
	for (size_t i = 1; i < n; i++) {
		if (opts.respect_xattrs) {
			verbose(2, "Comparing xattrs of %s to %s",
				ent_path(&pb, c[0], 0), ent_path(&pb2, c[i], 0));
			stats.xattr_compared++;
		}
		if (!xattrs_differ(&c[0]->xa, &c[i]->xa)) {
			struct ent *t = c[i];

			/* keep preference order on both sides */
			memmove(c + k + 1, c + k, (i - k) * sizeof(*c));
			c[k++] = t;
		}
	}
	if (k == 1)
		verbose(3, "Skipped (attributes mismatch) %s",
			ent_path(&pb, c[0], 0));
	return k;
}

/* Links, or lists, the classes found in one attribute run. */
static void
act(struct run *r, const size_t *cls, size_t *next)
{
	static struct pathbuf pb;
	size_t *tail = xmalloc(r->n * sizeof(*tail));
	struct ent **c = xmalloc(r->n * sizeof(*c));
	int split = opts.respect_xattrs || !opts.content;

	for (size_t i = 0; i < r->n; i++) {
		next[i] = HL_NOCLASS;
		tail[i] = i;
		if (cls[i] != HL_NOCLASS && cls[i] != i) {
			next[tail[cls[i]]] = i;
			tail[cls[i]] = i;
		}
	}
	for (size_t i = 0; i < r->n; i++) {
		size_t n = 0;

		if (cls[i] != i)
			continue;
		if (next[i] == HL_NOCLASS) {
			verbose(3, "Skipped (content mismatch) %s",
				ent_path(&pb, r->m[i], 0));
			continue;
		}
		for (size_t j = i; j != HL_NOCLASS; j = next[j]) {
			c[n++] = r->m[j];
			if (!__atomic_load_n(&r->m[j]->xa_none,
					     __ATOMIC_RELAXED))
				xattrs_load(&r->m[j]->xa, ent_f(r->m[j]),
					    opts.respect_xattrs);
		}
		for (size_t off = 0, k; off < n; off += k) {
			k = split ? xattr_split(c + off, n - off) : n - off;
			if (k < 2)
				continue;
			if (opts.list)
				list_class(c + off, k);
			else
				link_class(c + off, k);
		}
	}
	free(c);
	free(tail);
}

/*
 * Work is done in batches of attribute runs, so that the engine can
 * classify small groups on several threads at once; the results are then
 * acted on one run at a time, in order, by this thread only.
 */
#define BATCH_MEMBERS 8192
#define BATCH_RUNS 2048

struct batch {
	struct run *runs;
	struct hl_group *groups;
	size_t **cls;
	int **err;
	size_t n, members;
	struct ent ***owned;	/* member arrays to free after the batch */
	size_t nowned;
	struct sgmem {		/* size groups to free after the batch */
		struct ent *ents;
		size_t n;
		struct rstate *rsv;
	} *groups_mem;
	size_t ngroups_mem;
};

static struct batch batch;

static void
batch_add(const struct run *r)
{
	struct batch *b = &batch;

	b->runs = xrealloc(b->runs, (b->n + 1) * sizeof(*b->runs));
	b->groups = xrealloc(b->groups, (b->n + 1) * sizeof(*b->groups));
	b->cls = xrealloc(b->cls, (b->n + 1) * sizeof(*b->cls));
	b->err = xrealloc(b->err, (b->n + 1) * sizeof(*b->err));
	b->runs[b->n] = *r;
	b->cls[b->n] = xmalloc(r->n * sizeof(**b->cls));
	b->err[b->n] = xmalloc(r->n * sizeof(**b->err));
	b->n++;
	b->members += r->n;
}

static void
finish_run(struct run *r, const size_t *cls, const int *err)
{
	static struct pathbuf pb;
	size_t *next = xmalloc(r->n * sizeof(*next));
	size_t live = 0;

	for (size_t i = 0; i < r->n; i++) {
		if (!err[i]) {
			live++;
			continue;
		}
		if (err[i] == -HL_ECHANGED)
			warnmsg("%s: changed during the run, not replaced",
				ent_path(&pb, r->m[i], 0));
		else
			warnerr(-err[i], "%s", ent_path(&pb, r->m[i], 0));
	}
	stats.compared += live > 1 ? live - 1 : 0;
	act(r, cls, next);
	free(next);
}

static void
batch_flush(struct hl_engine *eng)
{
	struct batch *b = &batch;
	int rc;

	for (size_t i = 0; i < b->n; i++)
		b->groups[i] = (struct hl_group){
			b->runs[i].n, ent_f(b->runs[i].m[0])->size,
			{src_open, src_close, &b->runs[i]}};
	rc = hl_engine_classify_batch(eng, b->n, b->groups, b->cls, b->err);
	if (rc == -EINTR)
		sig_check();
	if (rc < 0)
		fatal("cannot compare files: %s", strerror(-rc));
	for (size_t i = 0; i < b->n; i++) {
		finish_run(&b->runs[i], b->cls[i], b->err[i]);
		free(b->cls[i]);
		free(b->err[i]);
	}
	for (size_t i = 0; i < b->nowned; i++)
		free(b->owned[i]);
	for (size_t i = 0; i < b->ngroups_mem; i++) {
		struct sgmem *g = &b->groups_mem[i];

		for (size_t k = 0; k < g->n; k++)
			xattrs_release(&g->ents[k].xa);
		free(g->ents);
		free(g->rsv);
	}
	b->n = b->members = b->nowned = b->ngroups_mem = 0;
}

static void
batch_release(void)
{
	free(batch.runs);
	free(batch.groups);
	free(batch.cls);
	free(batch.err);
	free(batch.owned);
	free(batch.groups_mem);
	memset(&batch, 0, sizeof(batch));
}

/* Splits one size group into attribute runs and queues them. */
static void
size_group(struct ent *g, size_t n, const struct sgmem *mem,
	   struct hl_engine *eng)
{
	static struct pathbuf pb;
	struct ent **m = xmalloc(n * sizeof(*m));

	for (size_t i = 0; i < n; i++) {
		m[i] = &g[i];
	}
	qsort(m, n, sizeof(*m), cmp_key_pref);
	for (size_t i = 0, j; i < n; i = j) {
		struct run r = {m + i, 0};

		for (j = i + 1; j < n && cmp_attrs(m[i], m[j]) == 0; j++)
			;
		r.n = j - i;
		if (r.n == 1) {
			for (size_t k = i; k < j; k++)
				verbose(3, "Skipped (attributes mismatch) %s",
					ent_path(&pb, m[k], 0));
			continue;
		}
		batch_add(&r);
	}
	batch.owned = xrealloc(batch.owned,
			       (batch.nowned + 1) * sizeof(*batch.owned));
	batch.owned[batch.nowned++] = m;
	batch.groups_mem = xrealloc(batch.groups_mem,
				    (batch.ngroups_mem + 1) *
					    sizeof(*batch.groups_mem));
	batch.groups_mem[batch.ngroups_mem++] = *mem;
	if (batch.members >= BATCH_MEMBERS || batch.n >= BATCH_RUNS)
		batch_flush(eng);
}

/* ---- leftovers of kill -9 with one link -------------------------------- */

static int
fent_open(void *cookie, size_t i)
{
	struct fent *const *f = cookie;
	struct stat st;
	int fd = path_open(f[i]->dir, f[i]->name,
			   O_RDONLY | O_NONBLOCK | O_NOCTTY);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_ino != f[i]->ino ||
	    (uint64_t)st.st_dev != f[i]->dev ||
	    (uint64_t)st.st_size != f[i]->size) {
		close(fd);
		return -HL_ECHANGED;
	}
	return fd;
}

/*
 * A one-link temporary holds the bytes of a file that was being replaced
 * by an identical master (or a clone of that master).  It is removed only
 * when the engine finds another file on its device with the same bytes.
 */
static void
resolve_orphans(struct filelist *fl, struct hl_engine *eng)
{
	static struct pathbuf pb;

	for (size_t o = 0; o < fl->norphans; o++) {
		struct fent *of = &fl->orphans[o];
		struct fent **v = xmalloc((fl->n + 1) * sizeof(*v));
		size_t n = 0, *cls;
		int *err, rc;
		struct hl_group g;

		if (of->size == 0) {	/* no bytes to lose */
			replace_remove_orphan(of, path_of(&pb, of->dir,
							  of->name));
			free(v);
			continue;
		}
		v[n++] = of;
		for (size_t i = 0; i < fl->n; i++) {
			if (fl->p[i]->dev == of->dev &&
			    fl->p[i]->size == of->size)
				v[n++] = fl->p[i];
		}
		cls = xmalloc(n * sizeof(*cls));
		err = xmalloc(n * sizeof(*err));
		g = (struct hl_group){n, of->size, {fent_open, src_close, v}};
		rc = hl_engine_classify(eng, &g, cls, err);
		if (rc == -EINTR)
			sig_check();
		path_of(&pb, of->dir, of->name);
		for (size_t i = 1; rc == 0 && i < n; i++) {
			if (cls[i] == 0) {
				replace_remove_orphan(of, pb.s);
				break;
			}
			if (i + 1 == n)
				rc = -1;
		}
		if (rc < 0 || n == 1)
			warnmsg("%s: leftover temporary kept: no other file "
				"holds its bytes", pb.s);
		free(cls);
		free(err);
		free(v);
	}
	free(fl->orphans);
	fl->orphans = NULL;
	fl->norphans = 0;
}

void
group_run(struct filelist *fl, struct hl_engine *eng)
{
	struct fent **order = fl->p;	/* sorted in place */

	noatime_uid = (uint32_t)geteuid();
	refresh_stale(fl);
	hl_engine_set_interrupt(eng, interrupted, NULL);
	resolve_orphans(fl, eng);
	if (fl->n)	/* no list at all when the walk found nothing */
		qsort(order, fl->n, sizeof(*order), cmp_size_inode);
	for (size_t i = 0, j; i < fl->n; i = j) {
		for (j = i + 1; j < fl->n && order[j]->dev == order[i]->dev &&
				order[j]->size == order[i]->size;
		     j++)
			;
		if (j - i > 1) {
			struct sgmem mem;

			mem.ents = build_entries(order + i, j - i, &mem.n,
						 &mem.rsv);
			if (mem.n > 1) {
				size_group(mem.ents, mem.n, &mem, eng);
			} else {
				free(mem.ents);
				free(mem.rsv);
			}
		}
		sig_check();
	}
	batch_flush(eng);
	batch_release();
}
