/*
 * replace.h - the only code that changes the filesystem.
 *
 * Every function that can refuse returns 0 on success and -1 on a
 * refusal, with struct rfail saying why: the caller builds both the
 * warning line and the --json error from it (replace_strfail), so that
 * they cannot disagree.  A refusal leaves both files as they were.
 * Secondary trouble that does not change the outcome (a temporary that
 * cannot be removed after a replacement succeeded) is warned about here.
 *
 * Calling sequence (main thread only):
 *
 *	rep = replace_new(threads, spare_fds);	registers the cleanup
 *	replace_with_link / replace_dedupe / replace_remove_* ...
 *	replace_finish(rep);			waits for closing helpers
 *	replace_free(rep);
 */
#ifndef HL_REPLACE_H
#define HL_REPLACE_H

#include <stdint.h>
#include <sys/stat.h>

#include "names.h"
#include "run.h"

/*
 * What replacing a file must find again: what the walk saw of it (its
 * record: device, inode, size, timestamps, mode, owner), unless we changed
 * its ctime ourselves.
 */
struct rstate {
	const struct fent *f;
	int touched; /* we changed its ctime ourselves */
};

/*
 * Whether st (of a file opened by name) is still rs's file as the walk
 * saw it: device, inode, size, mtime, and the ctime when ctime is set and
 * we did not change it ourselves.
 */
int rstate_same(const struct stat *st, const struct rstate *rs, int ctime);

struct rpath {
	const struct dnode *dir;
	const char *name;
	const char *path; /* for messages */
};

/* Why a replacement was refused; each has its message (replace_strfail). */
enum rfail_why {
	RF_CHANGED,	   /* a file changed (or vanished) meanwhile */
	RF_BUSY,	   /* open for writing by another process */
	RF_OPEN,	   /* cannot open a file */
	RF_STAT,	   /* cannot stat an open file */
	RF_CHECK,	   /* cannot re-check the files */
	RF_DIR,		   /* cannot open a file's directory */
	RF_LINK,	   /* linkat of the temporary failed */
	RF_CLONE,	   /* the clone failed (--reflink=always) */
	RF_RENAME,	   /* the temporary could not take the name */
	RF_NOT_RESTORED,   /* replaced, the old file kept as the temporary */
	RF_DEDUPE,	   /* FIDEDUPERANGE failed */
	RF_DEDUPE_CHANGED, /* changed: nothing deduplicated */
	RF_DEDUPE_PART,	   /* changed: deduplicated only in part */
	RF_DECLINED,	   /* the kernel cannot dedupe here: no message */
};

struct rfail {
	enum rfail_why why;
	int err;    /* errno, 0 when the reason says it all */
	int master; /* the master is the file concerned */
	char tmp[sizeof(TMP_PREFIX) +
		 TMP_RANDOM]; /* RF_RENAME, _NOT_RESTORED */
};

struct replacer;

/*
 * With threads > 1, the freeing closes of replaced files run on helper
 * threads, holding at most fds descriptors at a time.
 */
struct replacer *replace_new(unsigned threads, unsigned fds);
/* Waits for the helpers' closes (before the summary). */
void replace_finish(struct replacer *rep);
void replace_free(struct replacer *rep);

/*
 * Replaces dup by a link to (SHARE_LINK) or a clone of (SHARE_CLONE) the
 * master.  *how says what to try and, on return, what was done: with
 * --reflink=auto a failed clone falls back to a hard link.
 */
int replace_with_link(struct replacer *rep, const struct rpath *master,
		      struct rstate *ms, const struct rpath *dup,
		      struct rstate *ds, enum share *how, struct rfail *fail);

/*
 * Makes dup share the master's extents where the kernel finds their bytes
 * equal (FIDEDUPERANGE); dup keeps its inode, names and metadata.  Adds
 * the bytes the kernel deduplicated to *bytes, even on failure (those
 * bytes were equal and are shared).  RF_DECLINED: the kernel declined
 * (no support on this filesystem, not permitted...) and nothing was
 * shared: the caller may clone or link instead.
 */
int replace_dedupe(struct replacer *rep, const struct rpath *master,
		   struct rstate *ms, const struct rpath *dup,
		   struct rstate *ds, uint64_t *bytes, struct rfail *fail);

/*
 * The message for a refusal (without "hardlink: "), in pb; empty for
 * RF_DECLINED.
 */
const char *replace_strfail(struct pathbuf *pb, const struct rfail *fail,
			    const struct rpath *master,
			    const struct rpath *dup);

/*
 * Leftover temporaries (leftover.c decides): removes f's name if it is
 * still that file with at least two links (a link to a master), or with
 * exactly one (a replaced duplicate whose bytes another file holds).
 * Returns 1 when removed, 0 when it no longer qualifies, -1 after a
 * warning.
 */
int replace_remove_linked(struct replacer *rep, const struct fent *f,
			  const char *path);
int replace_remove_orphan(struct replacer *rep, const struct fent *f,
			  const char *path);

/* SHARE_LINK, or the best way to share extents on master's filesystem. */
enum share replace_may_reflink(struct replacer *rep, const struct rpath *m,
			       uint64_t dev);

#endif /* HL_REPLACE_H */
