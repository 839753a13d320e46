/*
 * shuffle.c - every file record to the rank that owns its size group.
 *
 * The owner of (device, size) is a hash of the two, modulo the ranks:
 * a size group, and with it every inode and every path of that inode,
 * is on one rank, which plans, classifies and replaces it alone.  The
 * temporaries of interrupted runs go where their (device, size) goes:
 * leftover.c looks for their bytes among the files of that size.
 *
 * One MPI_Alltoall of byte counts, one MPI_Alltoallv of records: each
 * record is the walk's struct fent (its directory as a path below the
 * operand's root, rebuilt into this rank's tree by mpi_dir) and its walk
 * key, which orders the owner's files as one process found them (seq).
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "../output.h"
#include "../util.h"
#include "hlmpi.h"

struct wrec {
	uint64_t dev, ino, size;
	int64_t mtime, ctime;
	uint32_t mtime_ns, ctime_ns, mode, uid, gid, nlink, op;
	uint32_t temp, klen, rellen, namelen, split;
};

struct obuf {
	char *p;
	size_t len, cap;
};

struct keyed {
	struct fent *f;
	struct wkey k;
};

int
shuffle_owner(const struct mpictx *m, uint64_t dev, uint64_t size)
{
	uint64_t v[2] = {dev, size};

	return (int)(XXH64(v, sizeof(v), 0) % (uint64_t)m->size);
}

static void
ob_add(struct obuf *o, const void *p, size_t n)
{
	if (o->len + n > o->cap) {
		o->cap = (o->len + n) * 2;
		o->p = xrealloc(o->p, o->cap);
	}
	memcpy(o->p + o->len, p, n);
	o->len += n;
}

static void
put_rec(struct obuf *o, struct pathbuf *pb, const struct fent *f,
	const struct wkey *k, uint32_t split)
{
	static const char zero[8];
	struct timespec mt = fent_mtime(f), ct = fent_ctime(f);
	struct wrec w = {
		.dev = fent_dev(f),
		.ino = f->ino,
		.size = f->size,
		.mtime = mt.tv_sec,
		.ctime = ct.tv_sec,
		.mtime_ns = (uint32_t)mt.tv_nsec,
		.ctime_ns = (uint32_t)ct.tv_nsec,
		.mode = fent_mode(f),
		.uid = fent_uid(f),
		.gid = fent_gid(f),
		.nlink = fent_nlink(f),
		.op = fent_op(f),
		.temp = !k,
		.klen = k ? k->len : 0,
		.namelen = (uint32_t)strlen(f->name),
		.split = split,
	};
	size_t n;

	mpi_rel(pb, fent_dir(f));
	w.rellen = (uint32_t)pb->len;
	ob_add(o, &w, sizeof(w));
	if (k)
		ob_add(o, k->k, k->len * sizeof(*k->k));
	ob_add(o, pb->s, pb->len);
	ob_add(o, f->name, w.namelen);
	n = (w.klen * 4 + w.rellen + w.namelen) & 7;
	if (n)
		ob_add(o, zero, 8 - n);
}

static int
cmp_keyed(const void *a, const void *b)
{
	return wkey_cmp(&((const struct keyed *)a)->k,
			&((const struct keyed *)b)->k);
}

/* Notes (dev, size) as a group split over the ranks (once). */
static void
split_note(struct mpictx *m, uint64_t dev, uint64_t size)
{
	struct devsize *v = m->split;

	if (m->nsplit && v[m->nsplit - 1].dev == dev &&
	    v[m->nsplit - 1].size == size)
		return;
	if (m->nsplit == m->capsplit) {
		m->capsplit = m->capsplit ? m->capsplit * 2 : 16;
		m->split = v = xrealloc(v, m->capsplit * sizeof(*v));
	}
	v[m->nsplit++] = (struct devsize){dev, size};
}

static int
cmp_devsize(const void *a, const void *b)
{
	const struct devsize *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return x->size < y->size ? -1 : x->size > y->size;
}

/* Rebuilds the records of buf into fl (files, with their keys in *kv). */
static void
get_recs(struct mpictx *m, struct filelist *fl, const char *buf, size_t len,
	 struct keyed **kv, size_t *nkv)
{
	size_t cap = 0;

	for (size_t off = 0; off < len;) {
		struct wrec w;
		const char *p;
		struct fent *f;

		memcpy(&w, buf + off, sizeof(w));
		p = buf + off + sizeof(w);
		off += sizeof(w) +
		       ((w.klen * 4 + w.rellen + w.namelen + 7) & ~(size_t)7);
		if (w.split)
			split_note(m, w.dev, w.size);
		f = fent_new(mpi_dir(m, w.op, p + w.klen * 4, w.rellen),
			     p + w.klen * 4 + w.rellen, w.namelen,
			     &(struct stat){
				     .st_dev = w.dev,
				     .st_ino = w.ino,
				     .st_size = (off_t)w.size,
				     .st_mtim = {w.mtime, w.mtime_ns},
				     .st_ctim = {w.ctime, w.ctime_ns},
				     .st_mode = w.mode,
				     .st_uid = w.uid,
				     .st_gid = w.gid,
				     .st_nlink = w.nlink,
			     },
			     0);
		if (w.temp) {
			fl->temps = xrealloc(fl->temps,
					     (fl->ntemps + 1) *
						     sizeof(*fl->temps));
			fl->temps[fl->ntemps++] = f;
			continue;
		}
		if (*nkv == cap) {
			cap = cap ? cap * 2 : 1024;
			*kv = xrealloc(*kv, cap * sizeof(**kv));
		}
		(*kv)[*nkv].f = f;
		(*kv)[*nkv].k.len = w.klen;
		(*kv)[*nkv].k.k = memcpy(arena_alloc(w.klen * 4), p,
					 w.klen * 4);
		++*nkv;
	}
}

static int
to_int(size_t n)
{
	if (n > INT_MAX)
		fatal("more than 2 GiB of records for one rank");
	return (int)n;
}

int
shuffle_is_split(const struct mpictx *m, uint64_t dev, uint64_t size)
{
	struct devsize k = {dev, size};

	return m->nsplit &&
	       bsearch(&k, m->split, m->nsplit, sizeof(k), cmp_devsize) != NULL;
}

/* The first shuffle: every record to the owner of its (device, size). */
static int
owner_dest(void *arg, size_t i, const struct fent *f, uint32_t *split)
{
	(void)i;
	*split = 0;
	return shuffle_owner(arg, fent_dev(f), f->size);
}

void
shuffle_run(struct mpictx *m, struct filelist *fl, struct wkey **keys)
{
	shuffle_by(m, fl, keys, owner_dest, m);
}

void
shuffle_by(struct mpictx *m, struct filelist *fl, struct wkey **keyp,
	   shuffle_dest_fn *dest, void *arg)
{
	struct wkey *keys = *keyp;
	uint32_t split;
	struct obuf *ob = xcalloc((size_t)m->size, sizeof(*ob));
	int *sc = xcalloc((size_t)m->size * 4, sizeof(int));
	int *sd = sc + m->size, *rc = sd + m->size, *rd = rc + m->size;
	struct filelist in = {.files = fl->files};
	struct pathbuf pb = {0};
	struct keyed *kv = NULL;
	size_t nkv = 0, total = 0;
	char *sbuf, *rbuf;

	for (size_t i = 0; i < fl->n; i++) {
		const struct fent *f = fent_at(fl->p[i]);
		int to = dest(arg, i, f, &split);

		put_rec(&ob[to], &pb, f, &keys[i], split);
	}
	for (size_t i = 0; i < fl->ntemps; i++) {
		int to = dest(arg, SIZE_MAX, fl->temps[i], &split);

		put_rec(&ob[to], &pb, fl->temps[i], NULL, split);
	}
	free(keys);
	pathbuf_release(&pb);
	for (int i = 0; i < m->size; i++) {
		sc[i] = to_int(ob[i].len);
		sd[i] = to_int(total);
		total += ob[i].len;
		if (i != m->rank && ob[i].len) {
			m->st.msgs++;
			m->st.msg_bytes += ob[i].len;
		}
	}
	sbuf = xmalloc(total ? total : 1);
	for (int i = 0; i < m->size; i++) {
		if (ob[i].len)
			memcpy(sbuf + sd[i], ob[i].p, ob[i].len);
		free(ob[i].p);
	}
	free(ob);
	MPI_Alltoall(sc, 1, MPI_INT, rc, 1, MPI_INT, MPI_COMM_WORLD);
	total = 0;
	for (int i = 0; i < m->size; i++) {
		rd[i] = to_int(total);
		total += (size_t)rc[i];
	}
	rbuf = xmalloc(total ? total : 1);
	MPI_Alltoallv(sbuf, sc, sd, MPI_BYTE, rbuf, rc, rd, MPI_BYTE,
		      MPI_COMM_WORLD);
	free(sbuf);
	free(fl->p);
	free(fl->temps);
	get_recs(m, &in, rbuf, total, &kv, &nkv);
	free(rbuf);
	free(sc);
	if (nkv > 1)
		qsort(kv, nkv, sizeof(*kv), cmp_keyed);
	if (m->nsplit > 1) {
		size_t w = 1;

		qsort(m->split, m->nsplit, sizeof(*m->split), cmp_devsize);
		for (size_t i = 1; i < m->nsplit; i++) {
			if (cmp_devsize(&m->split[i], &m->split[w - 1]))
				m->split[w++] = m->split[i];
		}
		m->nsplit = w;
	}
	in.p = xmalloc((nkv ? nkv : 1) * sizeof(*in.p));
	keys = xmalloc((nkv ? nkv : 1) * sizeof(*keys));
	in.cap = nkv;
	for (size_t i = 0; i < nkv; i++) {
		kv[i].f->seq = (uint32_t)i;
		keys[in.n] = kv[i].k;
		in.p[in.n++] = fent_ref(kv[i].f);
	}
	free(kv);
	*fl = in;
	*keyp = keys;
	m->st.owned = in.n;
}
