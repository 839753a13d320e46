/*
 * cache.h - the content cache (--cache): digests of what earlier runs
 * read, kept in a SQLite database, so that a re-run can tell files of the
 * same size apart without reading them.
 *
 * The cache only ever proves that two files DIFFER: their digests of the
 * same range differ while both entries are valid.  It never proves that
 * files are equal; every link is made after the bytes were compared in
 * this run.  An entry is valid while the file's filesystem, inode, size,
 * mtime and ctime (nanoseconds) are what they were when it was read.
 * Entries of files changed within CACHE_RACY_NS of the run's start are
 * never written: a file changed twice within one timestamp tick keeps
 * its times ("racy git").
 *
 * Calling sequence (main thread only):
 *
 *	c = cache_open(path);	NULL: no cache (a warning said why)
 *	for each file of the run that would be read:
 *		e = cache_find(c, &key, dir);	a valid entry, or NULL
 *	for each file the engine read:
 *		cache_note(c, &key, &digest);
 *	cache_close(c);		writes the notes in one transaction
 *
 * Every failure of the cache is a warning ("hardlink: FILE: ..."); the
 * run goes on without it, or with a new one when it was damaged.
 */
#ifndef HL_CACHE_H
#define HL_CACHE_H

#include <stdint.h>

#include "hlcore.h"
#include "names.h"

/* The timestamp granularity trusted: FAT's 2 s is the coarsest. */
#define CACHE_RACY_NS 2000000000LL

/* A file as the walk saw it. */
struct cache_key {
	uint64_t dev, ino, size;
	int64_t mtime, ctime;
	uint32_t mtime_ns, ctime_ns;
};

/* What an earlier run read of one file (struct hl_digest's fields). */
struct cache_entry {
	uint64_t ino, size;
	int64_t mtime, ctime; /* nanoseconds since the epoch */
	uint64_t head, tail;
	unsigned have; /* HL_DIGEST_HEAD | HL_DIGEST_TAIL */
};

struct cache;

/* Opens (or creates) the cache at path, NULL for the default location. */
struct cache *cache_open(const char *path);
/*
 * The valid entry of the file k, or NULL.  dir is the file's directory,
 * for the identity of its filesystem; the first call for a device loads
 * that filesystem's entries (one query, in inode order).
 */
const struct cache_entry *cache_find(struct cache *c, const struct cache_key *k,
				     const struct dnode *dir);
/* Notes what the engine read of k (nothing when d has no digest). */
void cache_note(struct cache *c, const struct cache_key *k,
		const struct hl_digest *d);
/* Writes the notes, closes the database, frees c; NULL is fine. */
void cache_close(struct cache *c);

#endif /* HL_CACHE_H */
