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

#include "cache.h"
#include "opts.h"
#include "output.h"
#include "util.h"

/* Work is done in batches of at most this many members, or runs. */
#define BATCH_MEMBERS 8192
#define BATCH_RUNS 2048

/*
 * A run as queued (mb, for act) and as sent to the engine (sub): the
 * same unless the cache proved members distinct (map: sub -> mb index).
 */
struct queued {
	struct members mb;
	struct members sub;
	size_t *map;
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
	size_t **scls; /* the engine's arrays: cls, err or of sub */
	int **serr;
	struct hl_digest **dig; /* with --cache */
	size_t **gcls;		/* the same, of the runs sent */
	int **gerr;
	struct hl_digest **gdig;
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
	struct ent *e = q->sub.m[i];
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
	fd = path_open(fent_dir(f), f->name, flags);
	if (fd < 0 && errno == EPERM && (flags & O_NOATIME)) {
		fd = path_open(fent_dir(f), f->name, flags & ~O_NOATIME);
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
	if (!rstate_same(&st, e->rs, 1)) {
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
	if (ent_f(e)->size >= (1u << 20))
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

void
classify_engine(struct run *r, unsigned max_open, int (*poll)(void *))
{
	struct hl_engine_opts eo = {
		.io_size = opts.io_size,
		.mem_limit = opts.cache_size,
		.max_open = max_open,
		.threads = r->threads,
	};

	r->eng = hl_engine_new(&eo);
	if (!r->eng)
		fatal("cannot initialize the comparison engine: %s",
		      strerror(errno));
	hl_engine_set_interrupt(r->eng, poll, NULL);
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

static struct cache_key
key_of(const struct ent *e)
{
	const struct fent *f = e->rs->f;
	struct timespec mt = fent_mtime(f), ct = fent_ctime(f);

	return (struct cache_key){
		fent_dev(f),	     f->ino,	f->size,
		mt.tv_sec,	     ct.tv_sec, (uint32_t)mt.tv_nsec,
		(uint32_t)ct.tv_nsec};
}

static int
cmp_head(const void *a, const void *b)
{
	const struct cache_entry *x = *(const struct cache_entry *const *)a;
	const struct cache_entry *y = *(const struct cache_entry *const *)b;

	return CMP(x->head, y->head);
}

static int
cmp_tail(const void *a, const void *b)
{
	const struct cache_entry *x = *(const struct cache_entry *const *)a;
	const struct cache_entry *y = *(const struct cache_entry *const *)b;

	return CMP(x->tail, y->tail);
}

/*
 * Marks (drop[k] = 1) the entries of v[0..n) that differ from every
 * other: a head no other has, or, among those sharing a head that all
 * have a tail, a tail no other of them has.  Sorting keeps it
 * O(n log n); v is reordered.
 */
static void
mark_distinct(const struct cache_entry **v, size_t n,
	      const struct cache_entry *base, unsigned char *drop)
{
	qsort(v, n, sizeof(*v), cmp_head);
	for (size_t i = 0, j; i < n; i = j) {
		int tails = 1;

		for (j = i + 1; j < n && v[j]->head == v[i]->head; j++)
			;
		if (j - i == 1) {
			drop[v[i] - base] = 1;
			continue;
		}
		for (size_t k = i; k < j; k++)
			tails &= (v[k]->have & HL_DIGEST_TAIL) != 0;
		if (!tails)
			continue;
		qsort(v + i, j - i, sizeof(*v), cmp_tail);
		for (size_t k = i; k < j; k++) {
			if ((k == i || v[k - 1]->tail != v[k]->tail) &&
			    (k + 1 == j || v[k + 1]->tail != v[k]->tail))
				drop[v[k] - base] = 1;
		}
	}
}

/*
 * With --cache: the members the cache proves distinct from every other
 * member of the run are not sent to the engine.  Only when every member
 * has a valid entry: one without must be compared with all the others.
 */
static void
cache_filter(struct classifier *c, struct queued *q)
{
	size_t n = q->mb.n, k = 0;
	struct cache_entry *ev = xmalloc(n * sizeof(*ev));
	const struct cache_entry **pv = xmalloc(n * sizeof(*pv));
	unsigned char *drop = xcalloc(n, 1);

	for (size_t i = 0; i < n; i++) {
		struct cache_key key = key_of(q->mb.m[i]);
		const struct cache_entry *e = cache_find(
			c->r->cache, &key, fent_dir(ent_f(q->mb.m[i])));

		if (!e)
			goto out;
		ev[i] = *e;
		pv[i] = &ev[i];
	}
	mark_distinct(pv, n, ev, drop);
	q->map = xmalloc(n * sizeof(*q->map));
	q->sub.m = xmalloc(n * sizeof(*q->sub.m));
	for (size_t i = 0; i < n; i++) {
		uint64_t size = ev[i].size;

		if (!drop[i]) {
			q->map[k] = i;
			q->sub.m[k++] = q->mb.m[i];
			continue;
		}
		c->r->stats.cache_answered++;
		c->r->stats.cache_spared += size < 4096 ? size : 4096;
		if (ev[i].have & HL_DIGEST_TAIL)
			c->r->stats.cache_spared += size - 4096 < 4096
							    ? size - 4096
							    : 4096;
	}
	q->sub.n = k;
out:
	free(ev);
	free(pv);
	free(drop);
}

void
classify_run(struct classifier *c, const struct members *mb)
{
	struct queued *q;

	if (c->n == c->cap) { /* kept from batch to batch */
		c->cap = c->cap ? c->cap * 2 : 64;
		c->runs = xrealloc(c->runs, c->cap * sizeof(*c->runs));
		c->groups = xrealloc(c->groups, c->cap * sizeof(*c->groups));
		c->cls = xrealloc(c->cls, c->cap * sizeof(*c->cls));
		c->err = xrealloc(c->err, c->cap * sizeof(*c->err));
		c->scls = xrealloc(c->scls, c->cap * sizeof(*c->scls));
		c->serr = xrealloc(c->serr, c->cap * sizeof(*c->serr));
		c->dig = xrealloc(c->dig, c->cap * sizeof(*c->dig));
		c->gcls = xrealloc(c->gcls, c->cap * sizeof(*c->gcls));
		c->gerr = xrealloc(c->gerr, c->cap * sizeof(*c->gerr));
		c->gdig = xrealloc(c->gdig, c->cap * sizeof(*c->gdig));
	}
	q = &c->runs[c->n];
	*q = (struct queued){*mb, *mb, NULL, c};
	c->cls[c->n] = xmalloc(mb->n * sizeof(**c->cls));
	c->err[c->n] = xmalloc(mb->n * sizeof(**c->err));
	c->scls[c->n] = c->cls[c->n];
	c->serr[c->n] = c->err[c->n];
	c->dig[c->n] = NULL;
	if (c->r->cache) {
		cache_filter(c, q);
		if (q->map) {
			c->scls[c->n] = xmalloc(mb->n * sizeof(**c->scls));
			c->serr[c->n] = xmalloc(mb->n * sizeof(**c->serr));
		}
		c->dig[c->n] = xmalloc(mb->n * sizeof(**c->dig));
	}
	c->n++;
	c->members += q->sub.n;
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

/*
 * The engine's answer for sub, in terms of mb: a member the cache
 * answered for is unique; digests read go to the cache.
 */
static void
unmap_run(struct classifier *c, size_t r, int sent)
{
	const struct queued *q = &c->runs[r];
	const struct hl_digest *dig = c->dig[r];

	if (!sent && q->sub.n == 1) {
		c->scls[r][0] = 0;
		c->serr[r][0] = 0;
	}
	if (q->map) {
		for (size_t i = 0; i < q->mb.n; i++) {
			c->cls[r][i] = i;
			c->err[r][i] = 0;
		}
		for (size_t k = 0; k < q->sub.n; k++) {
			size_t s = c->scls[r][k];

			c->cls[r][q->map[k]] = s == HL_NOCLASS ? HL_NOCLASS
							       : q->map[s];
			c->err[r][q->map[k]] = c->serr[r][k];
		}
	}
	for (size_t k = 0; sent && dig && k < q->sub.n; k++) {
		struct cache_key key = key_of(q->sub.m[k]);

		if (!c->serr[r][k])
			cache_note(c->r->cache, &key, &dig[k]);
	}
}

/* Reports the members that could not be read, then acts on the run. */
static void
finish_run(struct classifier *c, const struct queued *q, const size_t *cls,
	   const int *err)
{
	const struct members *mb = &q->mb;
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
				path_of(&pb, fent_dir(f), f->name));
		else
			warnerr(-err[i], "%s",
				path_of(&pb, fent_dir(f), f->name));
	}
	pathbuf_release(&pb);
	/* the members the cache answered for were compared with nothing */
	live -= mb->n - q->sub.n;
	c->r->stats.compared += live > 1 ? live - 1 : 0;
	c->act(c->arg, mb, cls);
}

void
classify_flush(struct classifier *c)
{
	size_t ng = 0;
	int rc;

	/* runs left with one member or none need no engine (--cache) */
	for (size_t i = 0; i < c->n; i++) {
		const struct queued *q = &c->runs[i];

		if (q->sub.n < 2)
			continue;
		c->groups[ng] = (struct hl_group){
			q->sub.n,
			ent_f(q->sub.m[0])->size,
			{src_open, src_close, &c->runs[i]}};
		c->gcls[ng] = c->scls[i];
		c->gerr[ng] = c->serr[i];
		c->gdig[ng] = c->dig[i];
		ng++;
	}
	rc = hl_engine_classify_batch2(c->r->eng, ng, c->groups, c->gcls,
				       c->gerr, c->r->cache ? c->gdig : NULL);
	if (rc == -EINTR)
		run_poll(c->r);
	if (rc < 0)
		fatal("cannot compare files: %s", strerror(-rc));
	for (size_t i = 0; i < c->n; i++) {
		struct queued *q = &c->runs[i];

		unmap_run(c, i, q->sub.n >= 2);
		finish_run(c, q, c->cls[i], c->err[i]);
		if (q->map) {
			free(c->scls[i]);
			free(c->serr[i]);
			free(q->map);
			free(q->sub.m);
		}
		free(c->dig[i]);
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
	free(c->scls);
	free(c->serr);
	free(c->dig);
	free(c->gcls);
	free(c->gerr);
	free(c->gdig);
	free(c->owned);
	free(c->done);
	free(c);
}
