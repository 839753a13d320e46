/*
 * gather.c - every rank's stdout, printed by rank 0 in one process's
 * order.
 *
 * One process prints the -v and -l lines of each size group together,
 * the groups in ascending (device, size) order (group_run).  Here each
 * rank acts on its own size groups, in that same order: its stdout is a
 * memory file from gather_begin to gather_end, cut at the start of each
 * size group's output (gather_mark, called before act_run).  Rank 0
 * gathers the pieces and their keys (MPI_Gatherv) and prints them merged
 * by key: each (device, size) lives on one rank, so the merge is that of
 * sorted lists.  -l numbers its groups 1, 2, ... in output order: the
 * numbers a rank printed are replaced by the merged order's.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../opts.h"
#include "../policy.h"
#include "../output.h"
#include "../util.h"
#include "hlmpi.h"

struct seg {
	uint64_t dev, size, off; /* off: where its output starts */
	uint64_t koff, klen;	 /* its class key in keybuf, or klen 0 */
};

/*
 * A content class's kept file, as the policy sorts it (policy.c): the
 * key by which rank 0 orders the classes of a size group split over
 * the ranks.  Followed by the name and the directory below the root.
 */
struct ckey {
	uint64_t ino;
	int64_t mtime;
	uint32_t mode, uid, gid, nlink, op, namelen, rellen, pad;
};

static struct seg *segs;
static size_t nsegs, capsegs;
static char *keybuf;
static size_t keylen, keycap;
static int saved_fd = -1, mem_fd = -1;

void
gather_begin(struct mpictx *m)
{
	(void)m;
	fflush(stdout);
	mem_fd = memfd_create("hardlink-mpi-stdout", MFD_CLOEXEC);
	saved_fd = dup(STDOUT_FILENO);
	if (mem_fd < 0 || saved_fd < 0 || dup2(mem_fd, STDOUT_FILENO) < 0)
		fatal("cannot capture the output: %s", strerror(errno));
}

static void
mark(uint64_t dev, uint64_t size, uint64_t koff, uint64_t klen)
{
	off_t off;

	fflush(stdout);
	off = lseek(STDOUT_FILENO, 0, SEEK_CUR);
	if (nsegs == capsegs) {
		capsegs = capsegs ? capsegs * 2 : 256;
		segs = xrealloc(segs, capsegs * sizeof(*segs));
	}
	segs[nsegs++] = (struct seg){dev, size, (uint64_t)(off < 0 ? 0 : off),
				     koff, klen};
}

void
gather_mark(uint64_t dev, uint64_t size)
{
	if (!nsegs || segs[nsegs - 1].dev != dev ||
	    segs[nsegs - 1].size != size || segs[nsegs - 1].klen)
		mark(dev, size, 0, 0);
}

static void
key_add(const void *p, size_t n)
{
	if (keylen + n > keycap) {
		keycap = (keylen + n) * 2;
		keybuf = xrealloc(keybuf, keycap);
	}
	memcpy(keybuf + keylen, p, n);
	keylen += n;
}

void
gather_mark_class(const struct ent *kept)
{
	const struct fent *f = ent_f(kept);
	struct pathbuf pb = {0};
	struct ckey k = {
		.ino = f->ino,
		.mtime = fent_mtime(f).tv_sec,
		.mode = fent_mode(f),
		.uid = fent_uid(f),
		.gid = fent_gid(f),
		.nlink = fent_nlink(f),
		.op = kept->op,
		.namelen = (uint32_t)strlen(f->name),
	};
	size_t at = keylen;

	mpi_rel(&pb, fent_dir(f));
	k.rellen = (uint32_t)pb.len;
	key_add(&k, sizeof(k));
	key_add(f->name, k.namelen);
	key_add(pb.s, pb.len);
	pathbuf_release(&pb);
	mark(fent_dev(f), f->size, at, keylen - at);
}

/* A class key as an entry the policy can compare (rank 0). */
static struct ent *
key_ent(struct mpictx *m, const struct seg *sg, const char *keys)
{
	struct ckey k;
	uint32_t *fp = arena_alloc(sizeof(*fp));
	struct ent *e = arena_alloc(sizeof(*e));
	const char *p = keys + sg->koff + sizeof(k);

	memcpy(&k, keys + sg->koff, sizeof(k));
	*fp = fent_ref(fent_new(mpi_dir(m, k.op, p + k.namelen, k.rellen), p,
				k.namelen,
				&(struct stat){
					.st_dev = sg->dev,
					.st_ino = k.ino,
					.st_size = (off_t)sg->size,
					.st_mtim = {k.mtime, 0},
					.st_mode = k.mode,
					.st_uid = k.uid,
					.st_gid = k.gid,
					.st_nlink = k.nlink,
				},
				0));
	*e = (struct ent){
		.paths = fp, .npaths = 1, .nlink = k.nlink, .op = k.op};
	return e;
}

/* The captured output of this rank: *len bytes, malloc'ed. */
static char *
captured(size_t *len)
{
	off_t end;
	char *p;

	fflush(stdout);
	end = lseek(STDOUT_FILENO, 0, SEEK_CUR);
	*len = end > 0 ? (size_t)end : 0;
	p = xmalloc(*len + 1);
	if (*len && pread(mem_fd, p, *len, 0) != (ssize_t)*len)
		fatal("cannot read the captured output: %s", strerror(errno));
	dup2(saved_fd, STDOUT_FILENO);
	close(saved_fd);
	close(mem_fd);
	return p;
}

/* A -l line's group number, replaced by the merged order's. */
struct renum {
	uint64_t last_local, global;
	int last_rank;
};

/* Does p (n bytes left) start a -l record: 16 digits and a TAB? */
static int
record_at(const char *p, size_t n)
{
	if (n < 17 || p[16] != '\t')
		return 0;
	for (int i = 0; i < 16; i++) {
		if (p[i] < '0' || p[i] > '9')
			return 0;
	}
	return 1;
}

/*
 * A piece of output, with -l its records renumbered.  A record starts
 * a piece or follows a separator; a name with a newline (without -z) is
 * taken for the start of a record only when what follows the newline is
 * 16 digits and a TAB.
 */
static void
print_piece(struct renum *rn, int rank, const char *p, size_t len)
{
	char sep = opts.zero ? '\0' : '\n';

	if (!opts.list) {
		fwrite(p, 1, len, stdout);
		return;
	}
	while (len) {
		const char *e = memchr(p, sep, len);
		size_t n = e ? (size_t)(e - p) + 1 : len;

		if (record_at(p, len)) {
			uint64_t local = strtoull(p, NULL, 10);

			if (rank != rn->last_rank || local != rn->last_local) {
				rn->global++;
				rn->last_rank = rank;
				rn->last_local = local;
			}
			/* as report_listing writes it */
			printf("%016" PRIu64, rn->global);
			fwrite(p + 16, 1, n - 16, stdout);
		} else {
			fwrite(p, 1, n, stdout);
		}
		p += n;
		len -= n;
	}
}

struct merge {
	struct mpictx *m;
	struct policy pol;
	const struct seg *all;
	const char *keys;
	struct ent **ents; /* decoded class keys, per segment */
};

static struct ent *
seg_ent(struct merge *mg, size_t i)
{
	if (!mg->ents[i])
		mg->ents[i] = key_ent(mg->m, &mg->all[i], mg->keys);
	return mg->ents[i];
}

/* Segments a and b in one process's order (both of rank 0's list). */
static int
seg_before(struct merge *mg, size_t a, size_t b)
{
	const struct seg *x = &mg->all[a], *y = &mg->all[b];
	struct ent *ea, *eb;
	int r;

	if (x->dev != y->dev)
		return x->dev < y->dev;
	if (x->size != y->size)
		return x->size < y->size;
	if (!x->klen || !y->klen)
		return 0; /* not split: one rank only */
	ea = seg_ent(mg, a);
	eb = seg_ent(mg, b);
	r = policy_cmp_attrs(&mg->pol, ea, eb);
	return (r ? r : policy_cmp_pref(&mg->pol, ea, eb)) < 0;
}

static void
merge(struct merge *mg, int n, const int *nseg, const size_t *tlen,
      const char *text)
{
	const struct seg *all = mg->all;

	size_t *pos = xcalloc((size_t)n, sizeof(*pos)); /* next seg per rank */
	size_t *sbase = xcalloc((size_t)n, sizeof(*sbase));
	size_t *tbase = xcalloc((size_t)n, sizeof(*tbase));
	struct renum rn = {0, 0, -1};

	for (int i = 1; i < n; i++) {
		sbase[i] = sbase[i - 1] + (size_t)nseg[i - 1];
		tbase[i] = tbase[i - 1] + tlen[i - 1];
	}
	for (;;) {
		int best = -1;
		const struct seg *b;
		size_t end;

		for (int i = 0; i < n; i++) {
			if (pos[i] == (size_t)nseg[i])
				continue;
			if (best < 0 || seg_before(mg, sbase[i] + pos[i],
						   sbase[best] + pos[best]))
				best = i;
		}
		if (best < 0)
			break;
		b = &all[sbase[best] + pos[best]];
		pos[best]++;
		end = pos[best] < (size_t)nseg[best] ? (b + 1)->off
						     : tlen[best];
		print_piece(&rn, best, text + tbase[best] + b->off,
			    end - b->off);
	}
	free(pos);
	free(sbase);
	free(tbase);
}

void
gather_end(struct mpictx *m)
{
	size_t len, *tlen = NULL;
	char *mine = captured(&len), *text = NULL;
	uint64_t me[3] = {nsegs, len, keylen}, *counts = NULL;
	int *sc = NULL, *sd = NULL, *tc = NULL, *td = NULL, *kc = NULL,
	    *kd = NULL;
	struct seg *all = NULL;
	char *keys = NULL;

	if (!m->rank)
		counts = xmalloc((size_t)m->size * sizeof(me));
	MPI_Gather(me, 3, MPI_UINT64_T, counts, 3, MPI_UINT64_T, 0,
		   MPI_COMM_WORLD);
	if (!m->rank) {
		size_t ns = 0, nt = 0, nk = 0;

		sc = xmalloc((size_t)m->size * 6 * sizeof(int));
		sd = sc + m->size;
		tc = sd + m->size;
		td = tc + m->size;
		kc = td + m->size;
		kd = kc + m->size;
		tlen = xmalloc((size_t)m->size * sizeof(*tlen));
		for (int i = 0; i < m->size; i++) {
			sd[i] = (int)(ns * sizeof(struct seg));
			sc[i] = (int)(counts[3 * i] * sizeof(struct seg));
			ns += counts[3 * i];
			td[i] = (int)nt;
			tc[i] = (int)counts[3 * i + 1];
			tlen[i] = counts[3 * i + 1];
			nt += counts[3 * i + 1];
			kd[i] = (int)nk;
			kc[i] = (int)counts[3 * i + 2];
			nk += counts[3 * i + 2];
			if (ns * sizeof(struct seg) > INT32_MAX ||
			    nt > INT32_MAX || nk > INT32_MAX)
				fatal("more than 2 GiB of output to gather");
		}
		all = xmalloc(ns ? ns * sizeof(*all) : 1);
		text = xmalloc(nt ? nt : 1);
		keys = xmalloc(nk ? nk : 1);
		/* a rank's key offsets, from the start of all the keys */
	}
	MPI_Gatherv(segs, (int)(nsegs * sizeof(*segs)), MPI_BYTE, all, sc, sd,
		    MPI_BYTE, 0, MPI_COMM_WORLD);
	MPI_Gatherv(mine, (int)len, MPI_BYTE, text, tc, td, MPI_BYTE, 0,
		    MPI_COMM_WORLD);
	MPI_Gatherv(keybuf, (int)keylen, MPI_BYTE, keys, kc, kd, MPI_BYTE, 0,
		    MPI_COMM_WORLD);
	if (!m->rank) {
		int *nseg = xmalloc((size_t)m->size * sizeof(*nseg));
		struct merge mg = {.m = m, .all = all, .keys = keys};
		size_t ns = 0;

		for (int i = 0; i < m->size; i++) {
			nseg[i] = (int)counts[3 * i];
			for (int j = 0; j < nseg[i]; j++)
				all[ns + (size_t)j].koff += (uint64_t)kd[i];
			ns += (size_t)nseg[i];
		}
		mg.ents = xcalloc(ns + 1, sizeof(*mg.ents));
		policy_init(&mg.pol, &opts);
		merge(&mg, m->size, nseg, tlen, text);
		policy_release(&mg.pol);
		free(mg.ents);
		free(nseg);
	}
	free(keys);
	free(keybuf);
	keybuf = NULL;
	keylen = keycap = 0;
	free(mine);
	free(text);
	free(all);
	free(tlen);
	free(sc);
	free(counts);
	free(segs);
	segs = NULL;
	nsegs = capsegs = 0;
}
