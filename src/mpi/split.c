/*
 * split.c - a huge size group shared by the ranks.
 *
 * The owner of (device, size) holds the whole group; a group of a
 * hundred thousand files of 4 KiB would be one rank's work.  A group of
 * --mpi-split files or more (10,000 by default) is cut by the digest of
 * its files' first block (XXH64 of at most 4 KiB, read once per inode):
 * files whose first blocks differ cannot be identical, so every content
 * class, and with it every master and every link, stays within one
 * piece, and each piece goes to the rank of hash(device, size, digest)
 * (a second shuffle).  The digest only routes: bytes still decide, in
 * the engine, on the rank that gets the piece.
 *
 * Such a group's output is then made on several ranks: its records are
 * flagged (shuffle_is_split), and the act step marks each content class
 * with its kept file's policy key, so that rank 0 merges the classes in
 * the order one process prints them (gather.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "../entry.h"
#include "../opts.h"
#include "../policy.h"
#include "../util.h"
#include "hlmpi.h"

#define FIRST_BLOCK 4096

struct split {
	struct mpictx *m;
	struct run *r;
	int *dest;
	unsigned char *flag;
};

static int
split_dest(void *arg, size_t i, const struct fent *f, uint32_t *split)
{
	struct split *s = arg;

	(void)f;
	*split = s->flag[i];
	return s->dest[i];
}

static int
cmp_dsi(const void *a, const void *b)
{
	const struct fent *x = fent_at(**(const uint32_t *const *)a);
	const struct fent *y = fent_at(**(const uint32_t *const *)b);

	if (fent_dev(x) != fent_dev(y))
		return fent_dev(x) < fent_dev(y) ? -1 : 1;
	if (x->size != y->size)
		return x->size < y->size ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

/* XXH64 of f's first block; 0 when it cannot be read (the engine will
 * say why, wherever the file goes). */
static uint64_t
first_block(struct mpictx *m, const struct fent *f, char *buf)
{
	size_t want = f->size < FIRST_BLOCK ? (size_t)f->size : FIRST_BLOCK;
	int fd = path_open(fent_dir(f), f->name,
			   O_RDONLY | O_NONBLOCK | O_NOCTTY | O_NOATIME);
	ssize_t n;

	if (fd < 0 && errno == EPERM)
		fd = path_open(fent_dir(f), f->name,
			       O_RDONLY | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return 0;
	n = pread(fd, buf, want, 0);
	close(fd);
	if (n < 0)
		return 0;
	m->st.split_read += (uint64_t)n;
	return XXH64(buf, (size_t)n, 0);
}

static int
cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return x < y ? -1 : x > y;
}

struct fdest {
	const struct fent *f;
	int to;
};

static int
cmp_fdest(const void *a, const void *b)
{
	const struct fent *x = ((const struct fdest *)a)->f;
	const struct fent *y = ((const struct fdest *)b)->f;

	return x < y ? -1 : x > y;
}

/*
 * Compared: counts, per attribute run, its files less one (classify.c);
 * cut in pieces, a run would count one less per extra piece, and
 * nothing for a piece of one file.  The plan of the whole group (the
 * stages' own entries and policy) says what one process counts: the
 * difference goes to this rank's counter.  (Exact when every file can
 * be read; a file that cannot is reported either way.)
 */
static uint64_t
compared_fix(uint32_t *p, size_t n, struct fdest *fd)
{
	struct policy pol;
	struct sizegroup g;
	struct ent **m;
	uint64_t fix = 0;

	policy_init(&pol, &opts);
	entries_sort(&pol, p, n);
	entries_build(&g, &pol, p, n);
	m = xmalloc((g.n + 1) * sizeof(*m));
	for (size_t i = 0; i < g.n; i++)
		m[i] = &g.ents[i];
	policy_sort(&pol, m, g.n);
	for (size_t i = 0, j; i < g.n; i = j) {
		struct fdest k;
		uint64_t pieces = 0;
		int *to = xmalloc((g.n + 1) * sizeof(*to));
		size_t nto = 0;

		for (j = i + 1; j < g.n && !policy_cmp_attrs(&pol, m[i], m[j]);
		     j++)
			;
		/* entries per destination rank: each a run there */
		for (size_t e = i; e < j; e++) {
			k.f = ent_f(m[e]);
			to[nto++] = ((struct fdest *)bsearch(
					     &k, fd, n, sizeof(*fd), cmp_fdest))
					    ->to;
		}
		qsort(to, nto, sizeof(*to), cmp_int);
		for (size_t a = 0, b; a < nto; a = b) {
			for (b = a + 1; b < nto && to[b] == to[a]; b++)
				;
			pieces += b - a > 1 ? b - a - 1 : 0;
		}
		if (j - i > 1)
			fix += (j - i - 1) - pieces;
		free(to);
	}
	free(m);
	sizegroup_release(&g);
	policy_release(&pol);
	return fix;
}

/* Routes the files of one group, v[0..n-1] sorted by inode. */
static void
split_group(struct split *s, uint32_t **v, size_t n, uint32_t *base, char *buf)
{
	uint64_t h[3] = {fent_dev(fent_at(*v[0])), fent_at(*v[0])->size, 0};
	struct fdest *fd = xmalloc(n * sizeof(*fd));
	uint32_t *p = xmalloc(n * sizeof(*p));
	int to = 0;

	for (size_t i = 0; i < n; i++) {
		const struct fent *f = fent_at(*v[i]);
		size_t at = (size_t)(v[i] - base);

		if (!i || f->ino != fent_at(*v[i - 1])->ino) {
			h[2] = first_block(s->m, f, buf);
			to = (int)(XXH64(h, sizeof(h), 1) %
				   (uint64_t)s->m->size);
		}
		s->dest[at] = to;
		s->flag[at] = 1;
		fd[i] = (struct fdest){f, to};
		p[i] = *v[i];
	}
	qsort(fd, n, sizeof(*fd), cmp_fdest);
	s->r->stats.compared += compared_fix(p, n, fd);
	free(fd);
	free(p);
	s->m->st.split_groups++;
}

void
split_run(struct mpictx *m, struct run *r, struct filelist *fl,
	  struct wkey **keys)
{
	struct split s = {m, r, xmalloc((fl->n + 1) * sizeof(int)),
			  xcalloc(fl->n + 1, 1)};
	uint32_t **v = xmalloc((fl->n + 1) * sizeof(*v));
	char *buf = xmalloc(FIRST_BLOCK);
	int any = 0;

	for (size_t i = 0; i < fl->n; i++) {
		v[i] = &fl->p[i];
		s.dest[i] = m->rank;
	}
	if (fl->n > 1)
		qsort(v, fl->n, sizeof(*v), cmp_dsi);
	for (size_t i = 0, j; i < fl->n; i = j) {
		const struct fent *fi = fent_at(*v[i]);

		for (j = i + 1; j < fl->n; j++) {
			const struct fent *fj = fent_at(*v[j]);

			if (fent_dev(fj) != fent_dev(fi) ||
			    fj->size != fi->size)
				break;
		}
		if (j - i >= m->split_min) {
			split_group(&s, v + i, j - i, fl->p, buf);
			any = 1;
		}
	}
	free(buf);
	free(v);
	MPI_Allreduce(MPI_IN_PLACE, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
	if (any)
		shuffle_by(m, fl, keys, split_dest, &s);
	free(s.dest);
	free(s.flag);
}
