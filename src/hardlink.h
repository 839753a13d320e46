/*
 * hardlink.h - what the modules of the hardlink command share.
 */
#ifndef HARDLINK_H
#define HARDLINK_H

#include <errno.h>
#include <pthread.h>
#include <regex.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include "hlcore.h"

#define TMP_PREFIX ".hardlink-tmp-"
#define TMP_RANDOM 8

enum reflink_mode { REFLINK_NEVER, REFLINK_AUTO, REFLINK_ALWAYS };

struct regex_list {
	regex_t *re;
	const char **pattern;	/* as given, for --json */
	size_t n;
};

struct options {
	int dry_run, quiet, verbose, list, zero;
	int content, ign_mode, ign_owner, ign_time;
	int respect_name, respect_dir, respect_xattrs;
	int maximize, minimize, keep_oldest, prio_trees;
	int mount, real_size, skip_reflinks;
	enum reflink_mode reflink;
	uintmax_t min_size, max_size, io_size, cache_size;
	unsigned threads;
	const char *method;
	int json;		/* --json: one JSON document on stdout */
	int progress;		/* -1 when stderr is a terminal, 0 off, 1 on */
	unsigned top;		/* rows of the closing table, 0: none */
	struct regex_list include, exclude, exclude_subtree;
	char **operands;
	int noperands;
};

extern struct options opts;

/* util.c: messages, allocation, paths */
extern int had_warning;
extern unsigned long diag_count;	/* diagnostics printed so far */
const char *diag_last(void);		/* the last one, without "hardlink: " */
void warnmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warnerr(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
_Noreturn void fatal(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
/*
 * Messages of walk workers are not printed by them: a thread with a hook
 * hands each message (formatted, without "hardlink: ") to it, and the
 * main thread prints them later, in walk order, with msg_replay.
 */
enum msg_kind {
	MSG_OUT,	/* a verbose() line for stdout */
	MSG_WARN,	/* a diagnostic that makes the exit status 1 */
	MSG_NOTICE,	/* a diagnostic that does not */
};
extern __thread void (*msg_hook)(void *arg, enum msg_kind kind,
				 const char *text);
extern __thread void *msg_hook_arg;
void msg_replay(enum msg_kind kind, const char *text);
/*
 * Starts a thread with every signal blocked: signals are for the main
 * thread, which polls for them.  Returns pthread_create's result.
 */
int thread_start(pthread_t *t, void *(*fn)(void *), void *arg);
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t m);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
int regex_any(const struct regex_list *l, const char *s);

/* names.c: compact tree of names */
struct dnode {
	struct dnode *parent;	/* NULL for an operand's root */
	uint32_t op;		/* operand number */
	uint32_t depth;		/* components below the root */
	int fd;			/* kept open by the walk, or -1 */
	size_t namelen;
	char name[];		/* a root holds the absolute path */
};

struct pathbuf {
	char *s;
	size_t len, cap;
};

void *arena_alloc(size_t n);
/* Frees every name and directory node (at the end of the run). */
void arena_release(void);
struct dnode *dnode_new(struct dnode *parent, const char *name, size_t len,
			uint32_t op);
char *arena_strdup(const char *s, size_t len);
/* Writes the absolute path of d (and name, if not NULL) into pb->s. */
const char *path_of(struct pathbuf *pb, const struct dnode *d,
		    const char *name);
/* The directory part between the operand's root and name (for -d). */
const char *dirpart_of(struct pathbuf *pb, const struct dnode *d);
void pathbuf_release(struct pathbuf *pb);
/* Opens d (name NULL) or d/name without following any symlink. */
int path_open(const struct dnode *d, const char *name, int flags);
/*
 * Directories whose descriptor the walk may keep for path_open (one
 * component to resolve instead of the whole path), and handing one over:
 * returns 1 if d now owns fd, 0 if the budget is spent (fd untouched).
 */
void dnode_fd_budget(unsigned n);
int dnode_keep_fd(struct dnode *d, int fd);

/* walk.c: what the walk found, one record per regular-file path */
struct fent {
	struct dnode *dir;
	const char *name;
	uint64_t dev, ino, size;
	int64_t mtime, ctime;
	uint32_t mtime_ns, ctime_ns;
	uint32_t mode, uid, gid, nlink;
	uint32_t op;
	uint32_t seq;		/* discovery order */
};

struct devino {
	uint64_t dev, ino;
};

/*
 * The files found, in walk order: pointers to records that live in the
 * arena (arena_alloc), so that putting the lists of several walk threads
 * together moves pointers, not records.
 */
struct filelist {
	struct fent **p;
	size_t n, cap;
	uint64_t files;		/* the Files: counter */
	struct devino *stale;	/* inodes whose leftover temporary we removed */
	size_t nstale;
	struct fent *orphans;	/* leftover temporaries with one link */
	size_t norphans;
};

/*
 * Walks one operand, appending its files to fl in the order of a one-
 * thread depth-first walk whatever the number of threads (at most 8,
 * walk_set_threads; default 1).
 */
void walk_operand(struct filelist *fl, const char *operand, uint32_t op);
void walk_set_threads(unsigned n);
/* Files found so far, on any thread (the progress line). */
uint64_t walk_files_seen(void);
int is_temp_name(const char *name);

/* xattr.c: xattrs as a blob with sorted names (all, or security ones) */
struct xattrs {
	char *blob;
	size_t len;
	int err;		/* could not be read: matches nothing */
};

void xattrs_load(struct xattrs *x, const struct fent *f, int all);
int xattrs_differ(const struct xattrs *a, const struct xattrs *b);
void xattrs_release(struct xattrs *x);

/* extents.c: do two open files share all their extents? */
int extents_shared(int a, int b);

/* group.c: the policy */
struct counters {
	uint64_t linked, compared, xattr_compared, saved, skipped_reflinks;
	uint64_t failed, files;
	uint64_t reflinked;	/* of linked: paths replaced by a clone */
	uint64_t deduped;	/* of linked: paths of deduplicated files */
	uint64_t dedupe_bytes;	/* bytes the kernel deduplicated */
	uint64_t groups;	/* duplicate groups acted on (report_group) */
};

extern struct counters stats;
void group_run(struct filelist *fl, struct hl_engine *eng);

/* replace.c: the only code that changes the filesystem */
struct rstate {
	uint64_t dev, ino, size;
	int64_t mtime, ctime;
	uint32_t mtime_ns, ctime_ns;
	uint32_t mode, uid, gid;
	int touched;		/* we changed its ctime ourselves */
};

struct rpath {
	const struct dnode *dir;
	const char *name;
	const char *path;	/* for messages */
};

#define RE_CHANGED (-HL_ECHANGED)

/*
 * How a duplicate comes to share the master's data: a hard link, a clone
 * (FICLONE) renamed over it, or verified deduplication (FIDEDUPERANGE) of
 * the duplicate's own inode.  group.c chooses; replace.c does it and says
 * what it did.
 */
enum share { SHARE_LINK, SHARE_CLONE, SHARE_DEDUPE };

/*
 * Replaces dup by a link to (SHARE_LINK) or a clone of (SHARE_CLONE) the
 * master.  *how says what to try and, on return, what was done: with
 * --reflink=auto a failed clone falls back to a hard link.  Returns 0, or
 * a negative errno (or RE_CHANGED) after a warning.
 */
int replace_with_link(const struct rpath *master, struct rstate *ms,
		      const struct rpath *dup, struct rstate *ds,
		      enum share *how);

/*
 * Makes dup share the master's extents where the kernel finds their bytes
 * equal (FIDEDUPERANGE); dup keeps its inode, names and metadata.  Adds
 * the bytes the kernel deduplicated to *bytes, even on failure (those
 * bytes were equal and are shared).  Returns 0 when every byte is shared;
 * a negative errno or RE_CHANGED after a warning (the file changed or
 * cannot be opened: no other way will do better); or a positive errno,
 * with no warning, when the kernel declined (no support on this
 * filesystem, not permitted...): the caller may fall back to a clone.
 */
int replace_dedupe(const struct rpath *master, struct rstate *ms,
		   const struct rpath *dup, struct rstate *ds, uint64_t *bytes);
int replace_remove_stale(int dirfd, const char *name, const char *path,
			 const struct stat *st);
int replace_remove_orphan(const struct fent *f, const char *path);
void replace_cleanup(void);
/*
 * With n > 1, the freeing closes of replaced files run on helpers,
 * holding at most fds descriptors at a time.
 */
void replace_set_threads(unsigned n, unsigned fds);
/* Waits for the helper's closes (before the summary). */
void replace_finish(void);
/* SHARE_LINK, or the best way to share extents on master's filesystem. */
enum share replace_may_reflink(const struct rpath *master, uint64_t dev);

/* report.c */
const char *human_size(char *buf, size_t len, uint64_t bytes);
void report_link(const char *master, const char *dup, uint64_t size,
		 enum share how);
void report_summary(void);
void report_listing(uint64_t group, const char *path);
void verbose(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
double elapsed_since(const struct timespec *t);
extern struct hl_stats engine_stats;
extern struct timespec start_time;

/*
 * report.c: the duplicate groups as the policy acts on them, for --json
 * and the closing table.  The calling sequence, per content class:
 *
 *	report_group(kept file's first path record);
 *	report_path(path, OUT_KEPT, 0) for each path of the kept file;
 *	for each other member:
 *		report_member(its first path record);
 *		report_path(path, outcome, error) for each of its paths;
 *
 * A group ends when the next begins or at report_end().
 */
enum outcome {
	OUT_KEPT,	/* a path of the file every other member links to */
	OUT_LINKED,	/* replaced by a hard link (-n: would be) */
	OUT_CLONED,	/* replaced by a clone (-n: would be) */
	OUT_DEDUPED,	/* its own inode now shares the kept file's extents */
	OUT_SHARED,	/* left alone: already shares all extents */
	OUT_FAILED,	/* left alone: the diagnostic just printed says why */
	OUT_UNTRIED,	/* left alone: an earlier path of its inode failed */
};

void report_begin(void);
void report_group(const struct fent *kept);
void report_member(const struct fent *f);
void report_path(const char *path, enum outcome what, int err);
void report_end(void);

/* json.c: the --json document, written as the run goes */
void json_begin(void);
void json_group(const struct fent *kept);
void json_member(const struct fent *f);
void json_path(const char *path, const char *action, const char *error);
void json_group_end(uint64_t linked, uint64_t saved);
void json_end(double duration);
void json_string(FILE *out, const char *s);

/* progress.c: the one-line display on stderr */
enum progress_phase { PROGRESS_SCAN, PROGRESS_COMPARE };
void progress_start(void);
void progress_phase(enum progress_phase phase);
void progress_tick(void);
void progress_hide(void);
void progress_end(void);

/* sig.c */
extern volatile sig_atomic_t got_signal, got_usr1;
void sig_setup(void);
void sig_check(void);
void sig_block(sigset_t *old);
void sig_restore(const sigset_t *old);

/* opts.c */
void opts_parse(int argc, char **argv);

/* size.c: 0, or -EINVAL / -ERANGE with *out untouched */
int parse_size(const char *s, uintmax_t *out);

#include "banned.h"

#endif /* HARDLINK_H */
