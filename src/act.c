/*
 * act.c - the classes of one attribute run acted on (see act.h).
 *
 * A class's master is its first member (the policy's preference).  When
 * the master has no room for another link (EMLINK), the member that could
 * not be linked becomes the master of the rest, as util-linux does; so
 * it does when the master reached --max-links (MASTER_FULL), before any
 * link would take it past the limit.  Only hard links count: a clone or
 * a deduplicated file adds no link, but a clone may fall back to a link,
 * so a full master is given neither.
 */
#include "act.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "extents.h"
#include "opts.h"
#include "output.h"
#include "replace.h"
#include "report.h"
#include "util.h"
#include "xattr.h"

struct actor {
	struct run *r;
	int warned;		/* the -c notice was given */
	struct pathbuf mp, dp;	/* master's and duplicate's paths */
	struct pathbuf pb, pb2; /* other paths */
	struct pathbuf msg;	/* a refusal */
	struct ent **c;		/* one class */
	size_t *next, *tail;	/* classes as lists, from the engine's */
	size_t cap;
};

struct actor *
act_new(struct run *r)
{
	struct actor *a = xcalloc(1, sizeof(*a));

	a->r = r;
	return a;
}

void
act_free(struct actor *a)
{
	if (!a)
		return;
	pathbuf_release(&a->mp);
	pathbuf_release(&a->dp);
	pathbuf_release(&a->pb);
	pathbuf_release(&a->pb2);
	pathbuf_release(&a->msg);
	free(a->c);
	free(a->next);
	free(a->tail);
	free(a);
}

static const char *
ent_path(struct pathbuf *pb, const struct ent *e, uint32_t i)
{
	const struct fent *f = ent_path_f(e, i);

	return path_of(pb, fent_dir(f), f->name);
}

/* Tells the reports (--json, the table) about e's paths from 'from' on. */
static void
report_ent(struct actor *a, const struct ent *e, uint32_t from,
	   enum outcome what)
{
	for (uint32_t p = from; p < e->npaths; p++)
		report_path(a->r, ent_path(&a->pb, e, p), what, NULL);
}

/*
 * A new group for the reports, kept by master; split: the previous
 * group's master reached --max-links.
 */
static void
report_class(struct actor *a, const struct ent *master, int split)
{
	report_group(a->r, ent_f(master), split ? "max-links" : NULL);
	report_ent(a, master, 0, OUT_KEPT);
}

/* Warns about a refusal and reports dup as left alone. */
static void
refused(struct actor *a, struct ent *dup, const struct rfail *fail,
	const struct rpath *m, const struct rpath *d)
{
	const char *why = replace_strfail(&a->msg, fail, m, d);

	warnmsg("%s", why);
	a->r->stats.failed++;
	report_path(a->r, d->path, OUT_FAILED, why);
	report_ent(a, dup, 1, OUT_UNTRIED);
}

/* ---- --skip-reflinks ------------------------------------------------- */

static int
already_reflinked(const struct ent *m, const struct ent *d)
{
	const struct fent *mf = ent_f(m), *df = ent_f(d);
	int a = path_open(fent_dir(mf), mf->name,
			  O_RDONLY | O_NONBLOCK | O_NOCTTY);
	int b = path_open(fent_dir(df), df->name,
			  O_RDONLY | O_NONBLOCK | O_NOCTTY);
	int same = a >= 0 && b >= 0 && extents_shared(a, b);

	if (a >= 0)
		close(a);
	if (b >= 0)
		close(b);
	return same;
}

/*
 * Is d all holes (no data extents)?  A clone or deduplication of it frees
 * nothing and would be done again on every run (util-linux #4563).
 */
static int
only_holes(const struct ent *d)
{
	const struct fent *df = ent_f(d);
	int fd, none;

	if (df->size == 0)
		return 0;
	fd = path_open(fent_dir(df), df->name,
		       O_RDONLY | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return 0; /* the replacement will say why */
	none = extents_none(fd);
	close(fd);
	return none;
}

/* link_entry's answer when the master may not take another link. */
#define MASTER_FULL 1

/* Has master reached --max-links (virtual count, dry runs included)? */
static int
full(const struct ent *master)
{
	return opts.max_links && master->nlink >= opts.max_links;
}

/* Counts a path of dup as done (or, in a dry run, as it would be). */
static void
count_path(struct actor *a, struct ent *master, const char *path,
	   enum share how)
{
	static const enum outcome out[] = {
		[SHARE_LINK] = OUT_LINKED,
		[SHARE_CLONE] = OUT_CLONED,
		[SHARE_DEDUPE] = OUT_DEDUPED,
	};
	struct counters *st = &a->r->stats;

	report_path(a->r, path, out[how], NULL);
	st->linked++;
	if (how == SHARE_LINK)
		master->nlink++;
	else if (how == SHARE_CLONE)
		st->reflinked++;
	else
		st->deduped++;
}

/*
 * Verified deduplication of dup's inode, once for all its paths.
 * Returns 0 when done (every path reported), -1 after a refusal
 * (reported), or a positive errno when the kernel declined and the
 * caller should clone or link instead.
 */
static int
dedupe_entry(struct actor *a, struct ent *master, struct ent *dup)
{
	const struct fent *mf = ent_f(master), *df = ent_f(dup);
	struct rpath m = {fent_dir(mf), mf->name, ent_path(&a->mp, master, 0)};
	struct rpath d = {fent_dir(df), df->name, ent_path(&a->dp, dup, 0)};
	struct rfail fail;
	uint64_t bytes = 0;
	int rc = 0;

	if (opts.dry_run)
		bytes = mf->size;
	else
		rc = replace_dedupe(a->r->rep, &m, master->rs, &d, dup->rs,
				    &bytes, &fail);
	a->r->stats.dedupe_bytes += bytes;
	run_poll(a->r);
	if (rc < 0 && fail.why == RF_DECLINED)
		return fail.err;
	if (rc < 0) {
		refused(a, dup, &fail, &m, &d);
		return -1;
	}
	/* every path of the inode now shares the master's extents */
	for (uint32_t p = 0; p < dup->npaths; p++) {
		const char *path = ent_path(&a->dp, dup, p);

		report_link(m.path, path, mf->size, SHARE_DEDUPE);
		count_path(a, master, path, SHARE_DEDUPE);
	}
	a->r->stats.saved += bytes;
	dup->paths += dup->npaths;
	dup->npaths = 0;
	return 0;
}

/*
 * What to try first for dup: a link, a clone or deduplication.  *skip:
 * SKIP_SHARED when dup already shares master's extents (--skip-reflinks),
 * SKIP_HOLES when dup has no data to share (a clone or deduplication
 * would free nothing).
 */
enum { SKIP_SHARED = 1, SKIP_HOLES };

static enum share
first_way(struct actor *a, struct ent *master, struct ent *dup, int *skip)
{
	const struct fent *mf = ent_f(master);
	enum share can = SHARE_LINK, way;

	*skip = 0;
	if (opts.reflink != REFLINK_NEVER || opts.skip_reflinks) {
		struct rpath m = {fent_dir(mf), mf->name,
				  ent_path(&a->mp, master, 0)};

		can = replace_may_reflink(a->r->rep, &m, fent_dev(mf));
	}
	if (can != SHARE_LINK && opts.skip_reflinks &&
	    already_reflinked(master, dup)) {
		*skip = SKIP_SHARED;
		return can;
	}
	/*
	 * always: deduplication is tried on any filesystem (one that is
	 * not known to support it declines at once); a dry run predicts
	 * from the filesystem's type.
	 */
	if (opts.reflink == REFLINK_ALWAYS && !opts.dry_run)
		way = SHARE_DEDUPE;
	else
		way = opts.reflink == REFLINK_NEVER ? SHARE_LINK : can;
	if (way != SHARE_LINK && only_holes(dup))
		*skip = SKIP_HOLES;
	return way;
}

/*
 * Makes every path of dup share master's data: by verified deduplication
 * of dup's inode, by clones or by hard links, as --reflink and the
 * filesystem allow (see replace_may_reflink), each falling back to the
 * next with --reflink=auto.  The -v line and the reports name what was
 * done.  Returns 0; -EMLINK when master has no room for another link, or
 * MASTER_FULL when it reached --max-links (dup then keeps the paths not
 * yet done); or -1 after another refusal (reported).
 */
static int
link_entry(struct actor *a, struct ent *master, struct ent *dup)
{
	const struct fent *mf = ent_f(master);
	struct counters *st = &a->r->stats;
	enum share how;
	int skip;

	how = first_way(a, master, dup, &skip);
	if (!skip && how != SHARE_DEDUPE && full(master))
		return MASTER_FULL; /* before the reports name dup */
	report_member(a->r, ent_f(dup));
	if (skip) {
		verbose(3,
			skip == SKIP_HOLES ? "Skipped (no data extents) %s"
					   : "Skipped (already reflink) %s",
			ent_path(&a->dp, dup, 0));
		st->skipped_reflinks++;
		report_ent(a, dup, 0, OUT_SHARED);
		return 0;
	}
	if (how == SHARE_DEDUPE) {
		int rc = dedupe_entry(a, master, dup);

		if (rc <= 0)
			return rc;
		verbose(3, "Deduplicating failed (%s), fallback to reflinking",
			strerror(rc));
		how = SHARE_CLONE;
	}
	while (dup->npaths) {
		const struct fent *df = ent_f(dup);
		struct rpath m = {fent_dir(mf), mf->name,
				  ent_path(&a->mp, master, 0)};
		struct rpath d = {fent_dir(df), df->name,
				  ent_path(&a->dp, dup, 0)};
		enum share done = how;

		if (full(master))
			return MASTER_FULL;
		run_poll(a->r);
		/*
		 * util-linux prints the line before the attempt; with
		 * --reflink it comes after, naming what was done.
		 */
		if (opts.reflink == REFLINK_NEVER || opts.dry_run)
			report_link(m.path, d.path, mf->size, how);
		if (!opts.dry_run) {
			struct rfail fail;

			if (replace_with_link(a->r->rep, &m, master->rs, &d,
					      dup->rs, &done, &fail) < 0) {
				refused(a, dup, &fail, &m, &d);
				return fail.why == RF_LINK && fail.err == EMLINK
					       ? -EMLINK
					       : -1;
			}
			if (opts.reflink != REFLINK_NEVER)
				report_link(m.path, d.path, mf->size, done);
		}
		count_path(a, master, d.path, done);
		if (--dup->nlink == 0)
			st->saved += mf->size;
		dup->paths++;
		dup->npaths--;
	}
	return 0;
}

static int
cmp_path(const void *x, const void *y, void *arg)
{
	struct actor *a = arg;
	const struct fent *f = fent_at(*(const uint32_t *)x);
	const struct fent *g = fent_at(*(const uint32_t *)y);

	return strcmp(path_of(&a->pb, fent_dir(f), f->name),
		      path_of(&a->pb2, fent_dir(g), g->name));
}

/*
 * -l: the class in preference order (the kept file first), each file's
 * paths in byte order, so that the listing does not depend on the order
 * in which the walk met the links of one inode.
 */
static void
list_class(struct actor *a, struct ent **c, size_t n)
{
	report_group(a->r, ent_f(c[0]), NULL);
	for (size_t i = 0; i < n; i++) {
		qsort_r(c[i]->paths, c[i]->npaths, sizeof(*c[i]->paths),
			cmp_path, a);
		for (uint32_t p = 0; p < c[i]->npaths; p++)
			report_listing(a->r->stats.groups,
				       ent_path(&a->pb, c[i], p));
	}
}

/* Replaces every member of c after the first by a link to the first. */
static void
link_class(struct actor *a, struct ent **c, size_t n)
{
	struct ent *master = c[0];
	int rc;

	report_class(a, master, 0);
	for (size_t j = 1; j < n; j++) {
		if (opts.content && !a->warned && !ent_xa(master)->err &&
		    !ent_xa(c[j])->err &&
		    xattrs_differ(ent_xa(master), ent_xa(c[j]))) {
			notice("warning: -c links files whose capabilities, "
			       "ACLs or SELinux labels differ (first: %s)",
			       ent_path(&a->pb, c[j], 0));
			a->warned = 1;
		}
		rc = link_entry(a, master, c[j]);
		if (rc == MASTER_FULL)
			verbose(1,
				"%sKeeping %s: %s has %" PRIu32 " links "
				"(--max-links)",
				opts.dry_run ? "[DryRun] " : "",
				ent_path(&a->pb, c[j], 0),
				ent_path(&a->pb2, master, 0), master->nlink);
		if (rc == -EMLINK || rc == MASTER_FULL) {
			master = c[j]; /* util-linux's rule */
			report_class(a, master, rc == MASTER_FULL);
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
xattr_split(struct actor *a, struct ent **c, size_t n)
{
	size_t k = 1;

	if (ent_xa(c[0])->err) {
		verbose(3, "Skipped (attributes mismatch) %s",
			ent_path(&a->pb, c[0], 0));
		return 1;
	}
	for (size_t i = 1; i < n; i++) {
		if (opts.respect_xattrs) {
			verbose(2, "Comparing xattrs of %s to %s",
				ent_path(&a->pb, c[0], 0),
				ent_path(&a->pb2, c[i], 0));
			a->r->stats.xattr_compared++;
		}
		if (!xattrs_differ(ent_xa(c[0]), ent_xa(c[i]))) {
			struct ent *t = c[i];

			/* keep preference order on both sides */
			memmove(c + k + 1, c + k, (i - k) * sizeof(*c));
			c[k++] = t;
		}
	}
	if (k == 1)
		verbose(3, "Skipped (attributes mismatch) %s",
			ent_path(&a->pb, c[0], 0));
	return k;
}

static void
reserve(struct actor *a, size_t n)
{
	if (n <= a->cap)
		return;
	a->cap = n;
	a->c = xrealloc(a->c, n * sizeof(*a->c));
	a->next = xrealloc(a->next, n * sizeof(*a->next));
	a->tail = xrealloc(a->tail, n * sizeof(*a->tail));
}

void
act_run(void *actor, const struct members *mb, const size_t *cls)
{
	struct actor *a = actor;
	int split = opts.respect_xattrs || !opts.content;
	size_t *next, *tail;
	struct ent **c;

	reserve(a, mb->n);
	next = a->next;
	tail = a->tail;
	c = a->c;
	/* each class as a list through next[], in member order */
	for (size_t i = 0; i < mb->n; i++) {
		next[i] = HL_NOCLASS;
		tail[i] = i;
		if (cls[i] != HL_NOCLASS && cls[i] != i) {
			next[tail[cls[i]]] = i;
			tail[cls[i]] = i;
		}
	}
	for (size_t i = 0; i < mb->n; i++) {
		size_t n = 0;

		if (cls[i] != i)
			continue;
		if (next[i] == HL_NOCLASS) {
			verbose(3, "Skipped (content mismatch) %s",
				ent_path(&a->pb, mb->m[i], 0));
			continue;
		}
		for (size_t j = i; j != HL_NOCLASS; j = next[j]) {
			c[n++] = mb->m[j];
			if (!__atomic_load_n(&mb->m[j]->xa_none,
					     __ATOMIC_RELAXED))
				ent_load_xattrs(mb->m[j], opts.respect_xattrs);
		}
		for (size_t off = 0, k; off < n; off += k) {
			k = split ? xattr_split(a, c + off, n - off) : n - off;
			if (k < 2)
				continue;
			if (opts.list)
				list_class(a, c + off, k);
			else
				link_class(a, c + off, k);
		}
	}
}
