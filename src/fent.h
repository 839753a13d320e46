/*
 * fent.h - the walk's records made compact: what most files share
 * (device, mode, owner, link count) interned once, timestamps as 64-bit
 * nanoseconds, records named by 32-bit references into the arena.
 */
#ifndef HL_FENT_H
#define HL_FENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

struct dnode;
struct fent;

/* The fields of a record that few distinct values cover. */
struct fmeta {
	uint64_t dev;
	uint32_t mode, uid, gid, nlink;
};

/* The number of m's copy in the table (any thread). */
uint32_t fmeta_intern(const struct fmeta *m);

/* Entries never move once made: any thread may read a number it got. */
extern struct fmeta *fmeta_blocks[];
#define FMETA_SHIFT 12

static inline const struct fmeta *
fmeta_at(uint32_t i)
{
	return &fmeta_blocks[i >> FMETA_SHIFT][i & ((1u << FMETA_SHIFT) - 1)];
}

/*
 * A timestamp as nanoseconds since the epoch (years 1678 to 2262); one
 * outside that range is kept aside and the value names it.
 */
int64_t ftime_pack(struct timespec t);
struct timespec ftime_unpack(int64_t v);

/* A record of name (len bytes) in dir, from st; seq is its walk order. */
struct fent *fent_new(struct dnode *dir, const char *name, size_t len,
		      const struct stat *st, uint32_t seq);
/* Changes the link count of f (leftover.c, after removing a leftover). */
void fent_set_nlink(struct fent *f, uint32_t nlink);
void fent_set_dev(struct fent *f, uint64_t dev);

/* A record's 32-bit reference, and back. */
uint32_t fent_ref(const struct fent *f);
struct fent *fent_at(uint32_t ref);

/* Frees the tables (at the end, with arena_release). */
void fent_release(void);

#endif /* HL_FENT_H */
