/*
 * run.h - one run of the command: what its stages hand each other.
 *
 * The stages, each a module that knows only the ones below it:
 *
 *	walk (walk.c)		operands -> struct filelist
 *	leftovers (leftover.c)	temporaries of interrupted runs removed
 *	plan (group.c, entry.c, policy.c)
 *				size groups -> entries -> attribute runs
 *	classify (classify.c)	attribute runs -> content classes (engine)
 *	act (act.c, replace.c)	classes -> links, or the -l listing
 *	report (report.c, json.c) counters and groups -> stdout
 *
 * main.c owns the struct run, composes the stages and owns the poll
 * function every stage calls at its safe points (run_poll, main thread
 * only): it redraws the status line, prints the summary on SIGUSR1 and
 * ends the run in order on SIGINT, SIGTERM or SIGHUP (cleanups, then
 * death by the same signal).  Threads other than the main one only read
 * sig_pending() and call out_tick().
 */
#ifndef HL_RUN_H
#define HL_RUN_H

#include <stdint.h>
#include <time.h>

#include "hlcore.h"
#include "fent.h"
#include "names.h"

#define TMP_PREFIX ".hardlink-tmp-"
#define TMP_RANDOM 8

/*
 * What the walk found: one record per regular-file path, in the arena
 * (fent.c makes them).  Packed to 4-byte alignment, with the name inside,
 * so that a million files cost a million times the record and its name,
 * no more (bench/RESULTS.md, "Run: 10M files and memory per file").  The
 * fields kept as they were: name, ino, size.  The others through the
 * accessors below: fent_dir (a 32-bit arena reference), fent_dev, fent_mode,
 * fent_uid, fent_gid, fent_nlink (an interned struct fmeta), fent_mtime,
 * fent_ctime (struct timespec, stored as nanoseconds), fent_op (the
 * directory's).
 */
struct fent {
	uint32_t dir; /* fent_dir(): its directory's arena_ref() */
	uint64_t ino, size;
	int64_t mtime_v, ctime_v; /* ftime_pack() */
	uint32_t meta;		  /* fmeta_at() */
	uint32_t seq;		  /* discovery order */
	char name[];
} __attribute__((packed, aligned(4)));

static inline struct dnode *
fent_dir(const struct fent *f)
{
	return arena_at(f->dir);
}

static inline uint64_t
fent_dev(const struct fent *f)
{
	return fmeta_at(f->meta)->dev;
}

static inline uint32_t
fent_mode(const struct fent *f)
{
	return fmeta_at(f->meta)->mode;
}

static inline uint32_t
fent_uid(const struct fent *f)
{
	return fmeta_at(f->meta)->uid;
}

static inline uint32_t
fent_gid(const struct fent *f)
{
	return fmeta_at(f->meta)->gid;
}

static inline uint32_t
fent_nlink(const struct fent *f)
{
	return fmeta_at(f->meta)->nlink;
}

static inline struct timespec
fent_mtime(const struct fent *f)
{
	return ftime_unpack(f->mtime_v);
}

static inline struct timespec
fent_ctime(const struct fent *f)
{
	return ftime_unpack(f->ctime_v);
}

static inline uint32_t
fent_op(const struct fent *f)
{
	return fent_dir(f)->op;
}

/*
 * The files found, in walk order: 32-bit references (fent_at) to records
 * that live in the arena, so that putting the lists of several walk
 * threads together moves references, not records.  Temporaries left by
 * an interrupted run are listed apart, for leftover.c; the walk itself
 * never changes anything.
 */
struct filelist {
	uint32_t *p; /* fent_ref() */
	size_t n, cap;
	uint64_t files;	     /* the Files: counter */
	struct fent **temps; /* leftover temporaries, in walk order */
	size_t ntemps;
};

/*
 * How a duplicate comes to share the master's data: a hard link, a clone
 * (FICLONE) renamed over it, or verified deduplication (FIDEDUPERANGE) of
 * the duplicate's own inode.  act.c chooses; replace.c does it and says
 * what it did.
 */
enum share { SHARE_LINK, SHARE_CLONE, SHARE_DEDUPE };

/* The run's counters: the summary, --json and the progress line. */
struct counters {
	uint64_t linked, compared, xattr_compared, saved, skipped_reflinks;
	uint64_t failed, files;
	uint64_t reflinked;	 /* of linked: paths replaced by a clone */
	uint64_t deduped;	 /* of linked: paths of deduplicated files */
	uint64_t dedupe_bytes;	 /* bytes the kernel deduplicated */
	uint64_t groups;	 /* duplicate groups acted on (report_group) */
	uint64_t cache_answered; /* --cache: files proven distinct unread */
	uint64_t cache_spared;	 /* bytes earlier runs read of those */
};

struct cache;
struct replacer;
struct report;

struct run {
	struct counters stats;	/* written by the main thread only */
	struct hl_stats engine; /* the engine's counters, at the end */
	struct timespec start;	/* CLOCK_MONOTONIC */
	uint64_t files_seen;	/* atomic: files the walk met so far */
	unsigned threads;	/* -j, resolved */
	struct hl_engine *eng;
	struct replacer *rep;  /* replace.c's state */
	struct report *report; /* report.c's state */
	struct cache *cache;   /* --cache, or NULL */
	void (*poll)(struct run *r);
};

/* The main thread's poll point (see the top). */
static inline void
run_poll(struct run *r)
{
	r->poll(r);
}

#endif /* HL_RUN_H */
