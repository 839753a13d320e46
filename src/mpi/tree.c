/*
 * tree.c - directory nodes by (operand, relative path), and walk keys.
 *
 * A directory reaches a rank as a path below its operand's root (a work
 * item stolen from another rank, a record shuffled to its owner); this
 * rank's names.c tree gets one node per directory, parents first, so
 * that path_of, dirpart_of (-d) and path_open work as in one process.
 * The nodes are found again through an open-addressing table.
 */
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "../util.h"
#include "hlmpi.h"

struct slot {
	uint64_t h;
	const char *rel; /* in the arena */
	size_t len;
	uint32_t op;
	struct dnode *d;
};

static struct slot *tab;
static size_t tabn, tabcap;

int
wkey_cmp(const struct wkey *a, const struct wkey *b)
{
	uint32_t n = a->len < b->len ? a->len : b->len;

	for (uint32_t i = 0; i < n; i++) {
		if (a->k[i] != b->k[i])
			return a->k[i] < b->k[i] ? -1 : 1;
	}
	return a->len < b->len ? -1 : a->len > b->len;
}

const char *
mpi_rel(struct pathbuf *pb, const struct dnode *d)
{
	const char *s = dirpart_of(pb, d); /* "/a/b/" or "/" */

	if (pb->len <= 1) {
		pb->s[0] = '\0';
		pb->len = 0;
		return pb->s;
	}
	memmove(pb->s, s + 1, pb->len - 2);
	pb->len -= 2;
	pb->s[pb->len] = '\0';
	return pb->s;
}

static uint64_t
rel_hash(uint32_t op, const char *rel, size_t len)
{
	return XXH64(rel, len, op);
}

static struct slot *
find(uint64_t h, uint32_t op, const char *rel, size_t len)
{
	for (size_t i = h & (tabcap - 1);; i = (i + 1) & (tabcap - 1)) {
		struct slot *s = &tab[i];

		if (!s->d || (s->h == h && s->op == op && s->len == len &&
			      !memcmp(s->rel, rel, len)))
			return s;
	}
}

static void
grow(void)
{
	struct slot *old = tab;
	size_t oldcap = tabcap;

	tabcap = tabcap ? tabcap * 2 : 1024;
	tab = xcalloc(tabcap, sizeof(*tab));
	for (size_t i = 0; i < oldcap; i++) {
		if (old[i].d)
			*find(old[i].h, old[i].op, old[i].rel,
			      old[i].len) = old[i];
	}
	free(old);
}

/* Enters d as (op, rel), unless a node is there already: returns it. */
static struct dnode *
enter(uint32_t op, const char *rel, size_t len, struct dnode *d)
{
	uint64_t h = rel_hash(op, rel, len);
	struct slot *s;

	if ((tabn + 1) * 2 > tabcap)
		grow();
	s = find(h, op, rel, len);
	if (!s->d) {
		*s = (struct slot){h, arena_strdup(rel, len), len, op, d};
		tabn++;
	}
	return s->d;
}

struct dnode *
mpi_dir(struct mpictx *m, uint32_t op, const char *rel, size_t len)
{
	const char *slash;
	struct dnode *parent;
	struct slot *s;

	if (!len)
		return m->ops[op].d;
	if (tabcap) {
		s = find(rel_hash(op, rel, len), op, rel, len);
		if (s->d)
			return s->d;
	}
	slash = memrchr(rel, '/', len);
	parent = mpi_dir(m, op, rel, slash ? (size_t)(slash - rel) : 0);
	slash = slash ? slash + 1 : rel;
	return enter(op, rel, len,
		     dnode_new(parent, slash, len - (size_t)(slash - rel), op));
}

void
mpi_dir_add(struct dnode *d)
{
	struct pathbuf pb = {0};

	if (d->parent) {
		mpi_rel(&pb, d);
		enter(d->op, pb.s, pb.len, d);
	}
	pathbuf_release(&pb);
}
