/*
 * hlmpi.h - hardlink-mpi: one hardlink run spread over MPI ranks.
 *
 * The run is hardlink's (src/run.h), its stages composed per rank:
 *
 *	dwalk.c		operands -> each rank's share of the files, the
 *			directories stolen between ranks (walk_dir per
 *			directory); every file keyed by its place in the
 *			one-process walk
 *	shuffle.c	every record to the rank that owns its (device,
 *			size), MPI_Alltoallv; seq renumbered in walk order
 *	leftover, group, classify, act: per rank, on its size groups
 *	gather.c	each rank's stdout, cut per size group, merged on
 *			rank 0 in ascending (device, size) order, as
 *			group_run orders one process's output
 *	main.c		options, the summary reduced to rank 0, exit status
 */
#ifndef HL_HLMPI_H
#define HL_HLMPI_H

#include <mpi.h>
#include <stdint.h>

#include "../run.h"

/* A file's place in the one-process walk: compared as u32 strings. */
struct wkey {
	const uint32_t *k;
	uint32_t len;
};

/* What a rank did, for --mpi-stats (one row per rank). */
struct rankstats {
	uint64_t dirs, files, owned, groups;
	uint64_t bytes_read, files_opened;
	uint64_t msgs, msg_bytes, steals, steal_tries;
	uint64_t split_groups, split_read; /* groups split, bytes read */
};

struct devsize {
	uint64_t dev, size;
};

/* The operands as rank 0 resolved them. */
struct operand {
	char *root; /* realpath (a file's: its directory's), or NULL */
	int is_dir; /* else rank 0 walks it (walk_operand) */
	uint64_t dev;
	struct dnode *d; /* this rank's node for root */
};

struct mpictx {
	int rank, size;
	struct operand *ops;
	int nops;
	struct rankstats st;
	struct devsize *split; /* size groups split by digest (sorted) */
	size_t nsplit, capsplit;
	uint64_t split_min; /* --mpi-split: files of a group to split it */
};

int wkey_cmp(const struct wkey *a, const struct wkey *b);
/* The node of directory rel (below operand op's root, "" for the root). */
struct dnode *mpi_dir(struct mpictx *m, uint32_t op, const char *rel,
		      size_t len);
/* Makes d, a directory this rank walks, the node of its path. */
void mpi_dir_add(struct dnode *d);
/* rel of d into pb (components below the root, '/'-separated). */
const char *mpi_rel(struct pathbuf *pb, const struct dnode *d);

/*
 * dwalk.c: walks the operands over all ranks; fl gets this rank's share
 * of the files and *keys (one per fl->p[i]) their walk keys.
 */
void dwalk_run(struct mpictx *m, struct run *r, struct filelist *fl,
	       struct wkey **keys);

/*
 * shuffle.c: sends every file and temporary to its owner; fl then holds
 * this rank's records, in walk order, seq numbered in that order, and
 * *keys (freed and replaced) their walk keys.
 */
void shuffle_run(struct mpictx *m, struct filelist *fl, struct wkey **keys);
int shuffle_owner(const struct mpictx *m, uint64_t dev, uint64_t size);
/*
 * The same with the rank of each record chosen by dest (i: its index in
 * fl->p, SIZE_MAX for a temporary); *split set marks its size group as
 * split over the ranks (shuffle_is_split, on the receiving rank).
 */
typedef int shuffle_dest_fn(void *arg, size_t i, const struct fent *f,
			    uint32_t *split);
void shuffle_by(struct mpictx *m, struct filelist *fl, struct wkey **keys,
		shuffle_dest_fn *dest, void *arg);
int shuffle_is_split(const struct mpictx *m, uint64_t dev, uint64_t size);

/*
 * split.c: the size groups of this rank with m->split_min files or more
 * sent over the ranks by the digest of their files' first block (after
 * the leftovers: fl->temps is done with).
 */
void split_run(struct mpictx *m, struct run *r, struct filelist *fl,
	       struct wkey **keys);

/*
 * gather.c: stdout captured from gather_begin to gather_end, cut at
 * each size group (gather_mark, before its output); gather_end prints
 * on rank 0 every rank's output in (device, size) order.
 */
void gather_begin(struct mpictx *m);
void gather_mark(uint64_t dev, uint64_t size);
/* In a size group split over the ranks: the class kept keeps starts. */
struct ent;
void gather_mark_class(const struct ent *kept);
void gather_end(struct mpictx *m);

#endif /* HL_HLMPI_H */
