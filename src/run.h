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
#include "names.h"

#define TMP_PREFIX ".hardlink-tmp-"
#define TMP_RANDOM 8

/* What the walk found: one record per regular-file path. */
struct fent {
	struct dnode *dir;
	const char *name;
	uint64_t dev, ino, size;
	int64_t mtime, ctime;
	uint32_t mtime_ns, ctime_ns;
	uint32_t mode, uid, gid, nlink;
	uint32_t op;
	uint32_t seq; /* discovery order */
};

/*
 * The files found, in walk order: pointers to records that live in the
 * arena (arena_alloc), so that putting the lists of several walk threads
 * together moves pointers, not records.  Temporaries left by an
 * interrupted run are listed apart, for leftover.c; the walk itself
 * never changes anything.
 */
struct filelist {
	struct fent **p;
	size_t n, cap;
	uint64_t files;	    /* the Files: counter */
	struct fent *temps; /* leftover temporaries, in walk order */
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
