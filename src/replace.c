/*
 * replace.c - the only code that changes the filesystem.
 *
 * Replacing a duplicate D by a link to master M never leaves a moment
 * where D names anything but its own bytes or M's identical bytes:
 *
 *   1. both files are opened and checked against what the walk saw and
 *      the engine read (device, inode, size, mtime, and ctime until we
 *      changed it ourselves), and a read lease is taken on each: it breaks
 *      as soon as another process opens the file for writing.  A file
 *      already open for writing elsewhere is left alone;
 *   2. M is linked (or, with --reflink, cloned into a file created with
 *      O_EXCL) under a fresh random name in D's directory: linkat and
 *      O_EXCL never reuse or follow an existing name;
 *   3. the temporary is exchanged with D (renameat2 RENAME_EXCHANGE): D
 *      now names M's bytes and the old D sits under the temporary name;
 *   4. if either lease broke or either file changed meanwhile, the
 *      exchange is undone; otherwise the old D is unlinked.
 *
 * All calls are relative to directory descriptors opened without following
 * symlinks; the temporary name is short, so it fits next to a 255-byte
 * name.  SIGINT, SIGTERM and SIGHUP are blocked from step 1 to the end, so
 * only kill -9 can leave a temporary: after step 2 it is a second link to
 * M, after step 3 the old D, whose bytes equal M's; the next run removes
 * either (walk.c finds them, leftover.c decides, this file unlinks them).
 * The temporary that exists right now is undone by the cleanup this
 * file registers (cleanup.h) when the run ends early.
 *
 * Verified deduplication (replace_dedupe, --reflink on btrfs and XFS)
 * needs none of this: the duplicate keeps its inode, and FIDEDUPERANGE
 * makes it share the master's extents only where the kernel, holding
 * both inodes locked, finds the bytes equal.  Nothing is renamed, so
 * there is no temporary and nothing a signal or a writer could lose.
 */
#include "replace.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/vfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cleanup.h"
#include "opts.h"
#include "output.h"
#include "sig.h"
#include "util.h"

#ifndef XFS_SUPER_MAGIC
#define XFS_SUPER_MAGIC 0x58465342
#endif
#define ZFS_SUPER_MAGIC 0x2fc12fc1

#define NDIRFDS 8
#define REAP_MAX 64
#define REAPERS 4

/*
 * The closing helpers (see let_go_replaced): replaced files whose last
 * close may wait for the device.
 */
struct reap {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t th[REAPERS];
	int fds[REAP_MAX];
	unsigned n;
	unsigned max; /* 0: close inline (one thread, or no descriptors) */
	int running;  /* helpers started */
	int idle;     /* helpers waiting for a descriptor */
	int stop;
};

struct replacer {
	/* recently used directories, least recently used evicted */
	struct {
		const struct dnode *d;
		int fd;
		uint64_t used;
	} dirfds[NDIRFDS];
	uint64_t dirfd_clock;

	/* the temporary that exists right now, for the cleanup */
	int tmp_dirfd;
	char tmp_name[sizeof(TMP_PREFIX) + TMP_RANDOM];
	int tmp_swapped;     /* exchanged with the duplicate */
	const char *tmp_dup; /* the duplicate's name, while swapped */
	int cleanup;	     /* our cleanup_add handle */

	uint64_t rnd;	 /* state of random_name */
	uint64_t fs_dev; /* replace_may_reflink's answer for fs_dev */
	enum share fs_share;

	/* copy_xattrs's buffers */
	char *names, *mine, *val;
	size_t ncap, mcap, vcap;
	struct pathbuf pb; /* messages */

	struct reap reap;
};

/*
 * A descriptor for directory d, valid until NDIRFDS - 1 other directories
 * were asked for (so the two of one replacement never evict each other).
 */
static int
dir_fd(struct replacer *rep, const struct dnode *d)
{
	unsigned slot = 0;
	int fd;

	for (unsigned i = 0; i < NDIRFDS; i++) {
		if (rep->dirfds[i].d == d) {
			rep->dirfds[i].used = ++rep->dirfd_clock;
			return rep->dirfds[i].fd;
		}
		if (rep->dirfds[i].used < rep->dirfds[slot].used)
			slot = i;
	}
	fd = path_open(d, NULL, O_PATH | O_DIRECTORY);
	if (fd < 0)
		return -1;
	if (rep->dirfds[slot].d)
		close(rep->dirfds[slot].fd);
	rep->dirfds[slot].d = d;
	rep->dirfds[slot].fd = fd;
	rep->dirfds[slot].used = ++rep->dirfd_clock;
	return fd;
}

/* The path of temporary tmp, for messages: next to the duplicate's. */
static const char *
temp_path(struct pathbuf *pb, const char *dup_path, const char *tmp)
{
	const char *slash = dup_path ? strrchr(dup_path, '/') : NULL;
	size_t dl = slash ? (size_t)(slash - dup_path) + 1 : 0;
	size_t tl = strlen(tmp);

	if (dl + tl + 1 > pb->cap) {
		pb->cap = dl + tl + 1;
		pb->s = xrealloc(pb->s, pb->cap);
	}
	memcpy(pb->s, dup_path ? dup_path : "", dl);
	memcpy(pb->s + dl, tmp, tl + 1);
	pb->len = dl + tl;
	return pb->s;
}

static void
random_name(struct replacer *rep)
{
	static const char alnum[] = "abcdefghijklmnopqrstuvwxyz"
				    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	size_t plen = sizeof(TMP_PREFIX) - 1;
	uint64_t x = rep->rnd;
	char *buf = rep->tmp_name;

	if (!x && getrandom(&x, sizeof(x), GRND_NONBLOCK) != sizeof(x))
		x = (uint64_t)getpid() * 0x9E3779B97F4A7C15u;
	memcpy(buf, TMP_PREFIX, plen);
	for (int i = 0; i < TMP_RANDOM; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[plen + i] = alnum[x % (sizeof(alnum) - 1)];
	}
	buf[plen + TMP_RANDOM] = '\0';
	rep->rnd = x;
}

/*
 * Reads xattr name (or the list of names, name NULL) of fd into *buf,
 * growing it.  Returns the length or a negative errno.
 */
static ssize_t
xattr_read(int fd, const char *name, char **buf, size_t *cap)
{
	for (;;) {
		ssize_t n = name ? fgetxattr(fd, name, *buf, *cap)
				 : flistxattr(fd, *buf, *cap);

		if (n >= 0 && (size_t)n < *cap)
			return n;
		if (n < 0 && errno != ERANGE)
			return -errno;
		n = name ? fgetxattr(fd, name, NULL, 0)
			 : flistxattr(fd, NULL, 0);
		if (n < 0)
			return -errno;
		*cap = (size_t)n + 1024;
		*buf = xrealloc(*buf, *cap);
	}
}

/* Is name in the NUL-separated list of len bytes? */
static int
name_listed(const char *list, ssize_t len, const char *name)
{
	for (ssize_t i = 0; i < len; i += (ssize_t)strlen(list + i) + 1) {
		if (strcmp(list + i, name) == 0)
			return 1;
	}
	return 0;
}

/*
 * Gives the clone exactly the xattrs of the duplicate (user.*, the ACLs,
 * security.capability, the SELinux label, trusted.* as root): the
 * replaced file keeps its own metadata, and loses what the new file
 * inherited (a default ACL) that the duplicate did not have.  Called
 * after fchown, which clears security.capability, and before futimens.
 * Returns 0 or a negative errno.
 */
static int
copy_xattrs(struct replacer *rep, int from, int to)
{
	ssize_t len, mlen, vlen;

	if ((len = xattr_read(from, NULL, &rep->names, &rep->ncap)) < 0)
		return len == -EOPNOTSUPP ? 0 : (int)len;
	if ((mlen = xattr_read(to, NULL, &rep->mine, &rep->mcap)) < 0)
		return (int)mlen;
	for (ssize_t i = 0; i < mlen; i += (ssize_t)strlen(rep->mine + i) + 1) {
		if (!name_listed(rep->names, len, rep->mine + i) &&
		    fremovexattr(to, rep->mine + i) < 0 && errno != ENODATA)
			return -errno;
	}
	for (ssize_t i = 0; i < len; i += (ssize_t)strlen(rep->names + i) + 1) {
		vlen = xattr_read(from, rep->names + i, &rep->val, &rep->vcap);
		if (vlen == -ENODATA)
			continue; /* removed meanwhile */
		if (vlen < 0)
			return (int)vlen;
		if (fsetxattr(to, rep->names + i, rep->val, (size_t)vlen, 0) <
		    0)
			return -errno;
	}
	return 0;
}

/*
 * Creates the temporary as a clone of the master (FICLONE), owned like the
 * duplicate and with its mode, xattrs, atime and mtime (dupfd: the
 * duplicate, open; as util-linux 1659125a2 does).  Returns 0 or a negative
 * errno (-ESTALE: the master changed).
 */
static int
make_clone(struct replacer *rep, int mfd, const struct rpath *m,
	   const struct rstate *ms, int dfd, const struct rpath *d,
	   const struct rstate *ds, int dupfd)
{
	struct timespec ts[2] = {{0, UTIME_OMIT}, fent_mtime(ds->f)};
	struct stat st;
	int src, dst, rc = 0;

	if (fstat(dupfd, &st) == 0)
		ts[0] = st.st_atim;

	src = openat(mfd, m->name,
		     O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (src < 0)
		return -errno;
	if (fstat(src, &st) < 0 || (uint64_t)st.st_ino != ms->f->ino ||
	    (uint64_t)st.st_dev != fent_dev(ms->f)) {
		close(src);
		return -ESTALE;
	}
	for (int tries = 0; tries < 100; tries++) {
		random_name(rep);
		dst = openat(dfd, rep->tmp_name,
			     O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
				     O_CLOEXEC,
			     0600);
		if (dst >= 0 || errno != EEXIST)
			break;
	}
	if (dst < 0) {
		rc = -errno;
		close(src);
		return rc;
	}
	rep->tmp_dirfd = dfd;
	if (ioctl(dst, FICLONE, src) < 0 ||
	    fchown(dst, fent_uid(ds->f), fent_gid(ds->f)) < 0 ||
	    fchmod(dst, fent_mode(ds->f) & 07777) < 0)
		rc = -errno;
	if (rc == 0)
		rc = copy_xattrs(rep, dupfd, dst);
	if (rc == 0 && futimens(dst, ts) < 0)
		rc = -errno;
	close(dst);
	close(src);
	if (rc < 0) {
		if (unlinkat(dfd, rep->tmp_name, 0) < 0)
			warnerr(errno, "cannot remove temporary %s",
				temp_path(&rep->pb, d->path, rep->tmp_name));
		rep->tmp_dirfd = -1;
	}
	return rc;
}

/* Links the master under a fresh temporary name in dfd. */
static int
make_link(struct replacer *rep, int mfd, const struct rpath *m, int dfd)
{
	for (int tries = 0; tries < 100; tries++) {
		random_name(rep);
		if (linkat(mfd, m->name, dfd, rep->tmp_name, 0) == 0) {
			rep->tmp_dirfd = dfd;
			return 0;
		}
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

static int
fail_with(struct rfail *fail, enum rfail_why why, int err, int master)
{
	fail->why = why;
	fail->err = err;
	fail->master = master;
	return -1;
}

/*
 * Removes the temporary.  If it was already exchanged with the duplicate,
 * it is exchanged back first: then it holds the master's link again.  If
 * that fails, the duplicate stays replaced and its previous bytes stay
 * under the temporary name: RF_NOT_RESTORED in *fail, or (fail NULL, an
 * early end) a warning.  Returns 0 when the duplicate's name holds its
 * previous file again (or never lost it), else -1.
 */
static int
drop_temp(struct replacer *rep, const char *dup_path, struct rfail *fail)
{
	if (rep->tmp_dirfd < 0)
		return 0;
	if (rep->tmp_swapped &&
	    renameat2(rep->tmp_dirfd, rep->tmp_name, rep->tmp_dirfd,
		      rep->tmp_dup, RENAME_EXCHANGE)) {
		if (fail) {
			fail_with(fail, RF_NOT_RESTORED, errno, 0);
			memcpy(fail->tmp, rep->tmp_name, sizeof(fail->tmp));
		} else {
			warnerr(errno,
				"%s: replaced, but its previous "
				"contents could not be put back; they are "
				"kept in %s",
				rep->tmp_dup,
				temp_path(&rep->pb, dup_path, rep->tmp_name));
		}
		rep->tmp_dirfd = -1;
		rep->tmp_swapped = 0;
		return -1;
	}
	if (unlinkat(rep->tmp_dirfd, rep->tmp_name, 0) < 0)
		warnerr(errno, "cannot remove temporary %s",
			temp_path(&rep->pb, dup_path, rep->tmp_name));
	rep->tmp_dirfd = -1;
	rep->tmp_swapped = 0;
	return 0;
}

/* The cleanup registered by replace_new: an early end keeps nothing. */
static void
cleanup_temp(void *arg)
{
	drop_temp(arg, NULL, NULL);
}

/*
 * A file held open, with a read lease when the kernel grants one, from
 * the last check until the replacement is final.  A read lease breaks as
 * soon as anyone opens the file for writing (or truncates it); the writer
 * waits until we let go.  Holding one on both files closes the window
 * between the last check and the rename: if a lease broke, the rename is
 * undone and nothing was lost.
 */
struct held {
	int fd;
	int leased;
};

static int
same_time(struct timespec a, struct timespec b)
{
	return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

int
rstate_same(const struct stat *st, const struct rstate *rs, int ctime)
{
	const struct fent *f = rs->f;

	return S_ISREG(st->st_mode) && (uint64_t)st->st_dev == fent_dev(f) &&
	       (uint64_t)st->st_ino == f->ino &&
	       (uint64_t)st->st_size == f->size &&
	       same_time(st->st_mtim, fent_mtime(f)) &&
	       (!ctime || rs->touched || same_time(st->st_ctim, fent_ctime(f)));
}

/* Opens and checks p (master: is the master), leased if lease is set. */
static int
hold(int dirfd, const struct rpath *p, const struct rstate *rs, struct held *h,
     int lease, int master, struct rfail *fail)
{
	struct stat st;
	int err;

	h->leased = 0;
	h->fd = openat(dirfd, p->name,
		       O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
			       O_CLOEXEC);
	if (h->fd < 0) {
		err = errno;
		if (err == ELOOP || err == ENXIO || err == ENOENT)
			return fail_with(fail, RF_CHANGED, 0, master);
		return fail_with(fail, RF_OPEN, err, master);
	}
	if (fstat(h->fd, &st) < 0) {
		err = errno;
		close(h->fd);
		h->fd = -1;
		return fail_with(fail, RF_STAT, err, master);
	}
	if (!rstate_same(&st, rs, 1) || st.st_mode != fent_mode(rs->f) ||
	    st.st_uid != fent_uid(rs->f) || st.st_gid != fent_gid(rs->f)) {
		close(h->fd);
		h->fd = -1;
		return fail_with(fail, RF_CHANGED, 0, master);
	}
	if (!lease)
		return 0;
	if (fcntl(h->fd, F_SETLEASE, F_RDLCK) == 0) {
		h->leased = 1;
	} else if (errno == EAGAIN || errno == EBUSY) {
		close(h->fd);
		h->fd = -1;
		return fail_with(fail, RF_BUSY, 0, master);
	}
	/* no lease (not the owner, or no lease support): checks only */
	return 0;
}

/*
 * Nobody opened it for writing and its bytes did not change: 0, or -1
 * with RF_CHANGED, or RF_CHECK when that cannot be known.  Either names
 * the duplicate: it is the one left alone.
 */
static int
still_held(const struct held *h, const struct rstate *rs, struct rfail *fail)
{
	struct stat st;
	int lease;

	if (h->leased) {
		if ((lease = fcntl(h->fd, F_GETLEASE)) < 0)
			return fail_with(fail, RF_CHECK, errno, 0);
		if (lease != F_RDLCK)
			return fail_with(fail, RF_CHANGED, 0, 0);
	}
	if (fstat(h->fd, &st) < 0)
		return fail_with(fail, RF_CHECK, errno, 0);
	return rstate_same(&st, rs, 0) ? 0 : fail_with(fail, RF_CHANGED, 0, 0);
}

/* Closing the descriptor ends its lease: no F_UNLCK call needed. */
static void
let_go(struct held *h)
{
	if (h->fd < 0)
		return;
	close(h->fd);
	h->fd = -1;
}

/*
 * The last close of a replaced duplicate frees its inode, and on a
 * filesystem mounted with discard freeing waits for the device: half of
 * the time of a real run on npm trees was spent in that close.  With
 * more than one thread, helper threads do those closes while the next
 * duplicate is replaced.  A helper is started whenever a descriptor
 * waits and none is idle, up to REAPERS: the waits overlap on the device
 * (measured in bench/RESULTS.md, run 5: four helpers did best).  A file
 * waiting here has no name any more, so nothing can open it for writing.
 * The queue is short and takes its descriptors from the engine's share,
 * idle while files are replaced; when it is full the caller closes the
 * file itself.
 */
static void *
reaper(void *arg)
{
	struct reap *reap = arg;
	int fd;

	pthread_mutex_lock(&reap->mu);
	for (;;) {
		reap->idle++;
		while (!reap->n && !reap->stop)
			pthread_cond_wait(&reap->cv, &reap->mu);
		reap->idle--;
		if (!reap->n)
			break;
		fd = reap->fds[--reap->n];
		pthread_mutex_unlock(&reap->mu);
		close(fd);
		pthread_mutex_lock(&reap->mu);
	}
	pthread_mutex_unlock(&reap->mu);
	return NULL;
}

/* Lets go of a replaced duplicate: no name refers to it any more. */
static void
let_go_replaced(struct replacer *rep, struct held *h)
{
	struct reap *reap = &rep->reap;

	if (h->fd < 0 || !reap->max) {
		let_go(h);
		return;
	}
	pthread_mutex_lock(&reap->mu);
	/* one more helper when none is idle */
	if (reap->idle <= (int)reap->n && reap->running < REAPERS &&
	    thread_start(&reap->th[reap->running], reaper, reap) == 0)
		reap->running++;
	if (reap->running && reap->n < reap->max) {
		reap->fds[reap->n++] = h->fd;
		h->fd = -1;
		pthread_cond_signal(&reap->cv);
	}
	pthread_mutex_unlock(&reap->mu);
	let_go(h);
}

struct replacer *
replace_new(unsigned threads, unsigned fds)
{
	struct replacer *rep = xcalloc(1, sizeof(*rep));

	rep->tmp_dirfd = -1;
	rep->fs_dev = (uint64_t)-1;
	rep->ncap = rep->mcap = rep->vcap = 256;
	rep->names = xmalloc(rep->ncap);
	rep->mine = xmalloc(rep->mcap);
	rep->val = xmalloc(rep->vcap);
	pthread_mutex_init(&rep->reap.mu, NULL);
	pthread_cond_init(&rep->reap.cv, NULL);
	rep->reap.max = threads < 2 ? 0 : fds < REAP_MAX ? fds : REAP_MAX;
	rep->cleanup = cleanup_add(cleanup_temp, rep);
	if (rep->cleanup < 0)
		fatal("cannot register a cleanup");
	return rep;
}

void
replace_finish(struct replacer *rep)
{
	struct reap *reap = &rep->reap;

	pthread_mutex_lock(&reap->mu);
	reap->stop = 1;
	pthread_cond_broadcast(&reap->cv);
	pthread_mutex_unlock(&reap->mu);
	for (int i = 0; i < reap->running; i++)
		pthread_join(reap->th[i], NULL);
	reap->running = 0;
	reap->max = 0;
}

void
replace_free(struct replacer *rep)
{
	if (!rep)
		return;
	replace_finish(rep);
	cleanup_remove(rep->cleanup);
	for (unsigned i = 0; i < NDIRFDS; i++) {
		if (rep->dirfds[i].d)
			close(rep->dirfds[i].fd);
	}
	pthread_cond_destroy(&rep->reap.cv);
	pthread_mutex_destroy(&rep->reap.mu);
	free(rep->names);
	free(rep->mine);
	free(rep->val);
	pathbuf_release(&rep->pb);
	free(rep);
}

/*
 * Puts the temporary (a link to, or a clone of, the master) in place of
 * the duplicate.  With RENAME_EXCHANGE the old duplicate stays under the
 * temporary name until both files are known to be untouched, and goes
 * back if not; filesystems without exchange get a plain rename right
 * after the same checks.
 */
static int
commit(struct replacer *rep, int dfd, const struct rpath *d,
       const struct held *mh, const struct rstate *ms, const struct held *dh,
       struct rstate *ds, struct rfail *fail)
{
	struct stat st;
	int rc;

	/*
	 * The master must be untouched up to here.  After the exchange a
	 * writer opening the duplicate's path lands on the master, so from
	 * then on only the old duplicate's lease and state decide.
	 */
	if (still_held(mh, ms, fail) < 0 || still_held(dh, ds, fail) < 0)
		return -1;
	if (renameat2(dfd, rep->tmp_name, dfd, d->name, RENAME_EXCHANGE) == 0) {
		rep->tmp_swapped = 1;
		rep->tmp_dup = d->name;
		ds->touched = 1;
		if (fstatat(dfd, rep->tmp_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			rc = fail_with(fail, RF_CHECK, errno, 0);
		else if ((uint64_t)st.st_ino != ds->f->ino)
			rc = fail_with(fail, RF_CHANGED, 0, 0);
		else
			rc = still_held(dh, ds, fail);
		if (rc < 0) {
			/* put the old duplicate back (else say where it is) */
			drop_temp(rep, d->path, fail);
			return -1;
		}
		rep->tmp_swapped = 0;
		if (unlinkat(dfd, rep->tmp_name, 0) < 0)
			warnerr(errno, "cannot remove %s",
				temp_path(&rep->pb, d->path, rep->tmp_name));
		rep->tmp_dirfd = -1;
		return 0;
	}
	if (errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP) {
		/* no exchange here: a plain rename right after the checks */
		if (renameat(dfd, rep->tmp_name, dfd, d->name) == 0) {
			ds->touched = 1;
			rep->tmp_dirfd = -1;
			return 0;
		}
	}
	fail_with(fail, RF_RENAME, errno, 0);
	memcpy(fail->tmp, rep->tmp_name, sizeof(fail->tmp));
	return -1;
}

static int
swap_in(struct replacer *rep, int mfd, const struct rpath *m, struct rstate *ms,
	int dfd, const struct rpath *d, struct rstate *ds, enum share *how,
	struct rfail *fail)
{
	struct held mh = {-1, 0}, dh = {-1, 0};
	struct stat st;
	int rc;

	if ((rc = hold(mfd, m, ms, &mh, 1, 1, fail)) < 0)
		return rc;
	if ((rc = hold(dfd, d, ds, &dh, 1, 0, fail)) < 0) {
		let_go(&mh);
		return rc;
	}
	if (*how == SHARE_CLONE) {
		rc = make_clone(rep, mfd, m, ms, dfd, d, ds, dh.fd);
		if (rc < 0 && opts.reflink == REFLINK_ALWAYS) {
			rc = fail_with(fail, RF_CLONE, -rc, 0);
			goto out;
		}
		if (rc < 0) {
			verbose(3,
				"Reflinking failed, fallback to hardlinking");
			*how = SHARE_LINK;
		}
	}
	/*
	 * Linking moves the master's link count, hence its ctime; so may a
	 * link that fails: ext4 sets the ctime before it finds the
	 * directory full (ENOSPC).  Either way the next duplicate must not
	 * take our own ctime change for someone else's.
	 */
	if (*how == SHARE_LINK) {
		ms->touched = 1;
		if ((rc = make_link(rep, mfd, m, dfd)) < 0) {
			rc = fail_with(fail, RF_LINK, -rc, 0);
			goto out;
		}
		/* a link must be the master: its name could have been swapped
		 */
		if (fstatat(dfd, rep->tmp_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			rc = fail_with(fail, RF_CHECK, errno, 0);
		else if ((uint64_t)st.st_ino != ms->f->ino ||
			 (uint64_t)st.st_dev != fent_dev(ms->f))
			rc = fail_with(fail, RF_CHANGED, 0, 0);
		if (rc < 0)
			goto out;
	}
	rc = commit(rep, dfd, d, &mh, ms, &dh, ds, fail);
	if (rc == 0)
		let_go_replaced(rep, &dh);
out:
	if (rc < 0)
		drop_temp(rep, d->path, NULL);
	let_go(&dh);
	let_go(&mh);
	return rc;
}

/* Descriptors of both files' directories, or -1 with RF_DIR. */
static int
dir_fds(struct replacer *rep, const struct rpath *m, const struct rpath *d,
	int *mfd, int *dfd, struct rfail *fail)
{
	if ((*mfd = dir_fd(rep, m->dir)) < 0)
		return fail_with(fail, RF_DIR, errno, 1);
	if ((*dfd = dir_fd(rep, d->dir)) < 0)
		return fail_with(fail, RF_DIR, errno, 0);
	return 0;
}

int
replace_with_link(struct replacer *rep, const struct rpath *m,
		  struct rstate *ms, const struct rpath *d, struct rstate *ds,
		  enum share *how, struct rfail *fail)
{
	sigset_t old;
	int mfd, dfd, rc;

	assert(*how == SHARE_LINK || *how == SHARE_CLONE);
	if (dir_fds(rep, m, d, &mfd, &dfd, fail) < 0)
		return -1;
	sig_block(&old);
	rc = swap_in(rep, mfd, m, ms, dfd, d, ds, how, fail);
	sig_restore(&old);
	return rc;
}

/* ---- verified deduplication ------------------------------------------ */

/*
 * One FIDEDUPERANGE call covers at most this much: btrfs stops at 16 MiB
 * per call anyway, and a signal is looked at between calls.
 */
#define DEDUPE_CHUNK ((uint64_t)16 << 20)

/*
 * Shares the extents of src's bytes [0, size) with dst's, chunk by chunk.
 * The kernel locks both inodes, compares the bytes and shares only a
 * range found equal, so a writer racing with us can never lose data:
 * its bytes either came before the comparison (then they differ and
 * nothing is shared) or after (then they go to a copy-on-write block).
 * Returns 0 when all of it is shared, -ESTALE when some range differs,
 * a positive errno when the kernel declined (EINTR: a signal is
 * pending); *bytes grows by what was shared either way.
 */
static int
dedupe_fds(int src, int dst, uint64_t size, uint64_t *bytes)
{
	union {
		struct file_dedupe_range r;
		unsigned char b[sizeof(struct file_dedupe_range) +
				sizeof(struct file_dedupe_range_info)];
	} u;
	struct file_dedupe_range_info *info = &u.r.info[0];
	uint64_t off = 0;

	while (off < size) {
		memset(&u, 0, sizeof(u));
		u.r.src_offset = off;
		u.r.src_length = size - off < DEDUPE_CHUNK ? size - off
							   : DEDUPE_CHUNK;
		u.r.dest_count = 1;
		info->dest_fd = dst;
		info->dest_offset = off;
		if (ioctl(src, FIDEDUPERANGE, &u.r) < 0)
			return errno;
		if (info->status == FILE_DEDUPE_RANGE_DIFFERS)
			return -ESTALE;
		if (info->status < 0)
			return -info->status;
		if (info->status != FILE_DEDUPE_RANGE_SAME ||
		    info->bytes_deduped == 0 ||
		    info->bytes_deduped > u.r.src_length)
			return EINVAL; /* no progress: not ours to loop on */
		off += info->bytes_deduped;
		*bytes += info->bytes_deduped;
		if (sig_pending())
			return EINTR;
	}
	return 0;
}

int
replace_dedupe(struct replacer *rep, const struct rpath *m, struct rstate *ms,
	       const struct rpath *d, struct rstate *ds, uint64_t *bytes,
	       struct rfail *fail)
{
	struct held mh = {-1, 0}, dh = {-1, 0};
	uint64_t before = *bytes;
	int mfd, dfd, rc;

	if (dir_fds(rep, m, d, &mfd, &dfd, fail) < 0)
		return -1;
	/*
	 * No lease: the kernel compares the bytes itself, under its locks,
	 * and a writer must not wait for us while a big file is compared.
	 * A read-only descriptor of the duplicate is enough for the owner
	 * of the file and for root (and keeps a writer's lease, if any,
	 * unbroken); otherwise the kernel answers EPERM and we fall back.
	 */
	if (hold(mfd, m, ms, &mh, 0, 1, fail) < 0)
		return -1;
	if (hold(dfd, d, ds, &dh, 0, 0, fail) < 0) {
		let_go(&mh);
		return -1;
	}
	rc = dedupe_fds(mh.fd, dh.fd, ds->f->size, bytes);
	if (rc == EINTR && sig_pending()) {
		/* the caller's poll ends the run */
		rc = fail_with(fail, RF_DEDUPE, EINTR, 0);
		goto out;
	}
	if (rc > 0 && *bytes == before) {
		rc = fail_with(fail, RF_DECLINED, rc, 0);
		goto out; /* nothing shared: fall back */
	}
	/*
	 * Shared, and still the file whose bytes we compared?  (Had a
	 * writer come in between, it lost nothing: see dedupe_fds.)
	 */
	if (rc == 0 && (rc = still_held(&dh, ds, fail)) == 0)
		goto out;
	if (rc > 0 || rc == -ESTALE || (rc == -1 && fail->why == RF_CHANGED))
		rc = fail_with(fail,
			       *bytes == before ? RF_DEDUPE_CHANGED
						: RF_DEDUPE_PART,
			       0, 0);
	else
		rc = fail_with(fail, RF_DEDUPE, rc == -1 ? fail->err : -rc, 0);
out:
	let_go(&dh);
	let_go(&mh);
	return rc;
}

/*
 * The message of a refusal.  The master, or else the duplicate, is the
 * file the message names first: "M: ..." or "cannot ... M".
 */
const char *
replace_strfail(struct pathbuf *pb, const struct rfail *f,
		const struct rpath *m, const struct rpath *d)
{
	const char *who = f->master ? m->path : d->path;
	const char *e = f->err ? strerror(f->err) : "";
	struct pathbuf tp = {0};
	const char *s;

	switch (f->why) {
	case RF_CHANGED:
		s = pathbuf_printf(pb,
				   "%s: changed during the run, not "
				   "replaced",
				   who);
		break;
	case RF_BUSY:
		s = pathbuf_printf(pb,
				   "%s: open for writing by another "
				   "process, not replaced",
				   who);
		break;
	case RF_OPEN:
		s = pathbuf_printf(pb, "cannot open %s: %s", who, e);
		break;
	case RF_STAT:
		s = pathbuf_printf(pb, "cannot stat %s: %s", who, e);
		break;
	case RF_CHECK:
		s = pathbuf_printf(pb, "cannot check %s, not replaced: %s",
				   d->path, e);
		break;
	case RF_DIR:
		s = pathbuf_printf(pb, "cannot open directory of %s: %s", who,
				   e);
		break;
	case RF_LINK:
		s = pathbuf_printf(pb, "cannot link %s to %s: %s", m->path,
				   d->path, e);
		break;
	case RF_CLONE:
		s = pathbuf_printf(pb, "cannot clone %s to %s: %s", m->path,
				   d->path, e);
		break;
	case RF_RENAME:
		s = pathbuf_printf(pb, "cannot rename %s to %s: %s",
				   temp_path(&tp, d->path, f->tmp), d->path, e);
		break;
	case RF_NOT_RESTORED:
		s = pathbuf_printf(pb,
				   "%s: replaced, but its previous "
				   "contents could not be put back; they are "
				   "kept in %s: %s",
				   d->path, temp_path(&tp, d->path, f->tmp), e);
		break;
	case RF_DEDUPE:
		s = pathbuf_printf(pb, "cannot deduplicate %s: %s", d->path, e);
		break;
	case RF_DEDUPE_CHANGED:
		s = pathbuf_printf(pb,
				   "%s: changed during the run, not "
				   "deduplicated",
				   d->path);
		break;
	case RF_DEDUPE_PART:
		s = pathbuf_printf(pb,
				   "%s: changed during the run, "
				   "deduplicated only in part",
				   d->path);
		break;
	default: s = pathbuf_printf(pb, "%s", ""); break;
	}
	pathbuf_release(&tp);
	return s;
}

/* ---- leftovers of interrupted runs ------------------------------------ */

/*
 * Removes leftover f if it is still that file (device, inode, size) and
 * has_links(its link count) holds.  1: removed, 0: not, -1: warned.
 */
static int
remove_leftover(struct replacer *rep, const struct fent *f, const char *path,
		int one_link)
{
	int dfd = dir_fd(rep, fent_dir(f));
	struct stat st;

	if (dfd < 0 || fstatat(dfd, f->name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		warnerr(errno, "cannot check leftover temporary %s", path);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_ino != f->ino ||
	    (uint64_t)st.st_dev != fent_dev(f) ||
	    (one_link ? st.st_nlink != 1 || (uint64_t)st.st_size != f->size
		      : st.st_nlink < 2))
		return 0;
	if (unlinkat(dfd, f->name, 0) < 0) {
		warnerr(errno, "cannot remove leftover temporary %s", path);
		return -1;
	}
	verbose(2, "Removed leftover temporary %s", path);
	return 1;
}

int
replace_remove_linked(struct replacer *rep, const struct fent *f,
		      const char *path)
{
	return remove_leftover(rep, f, path, 0);
}

int
replace_remove_orphan(struct replacer *rep, const struct fent *f,
		      const char *path)
{
	return remove_leftover(rep, f, path, 1);
}

/*
 * How extents are best shared on master's filesystem: btrfs and XFS
 * deduplicate with verification (FIDEDUPERANGE); OpenZFS clones but does
 * not deduplicate through that call; elsewhere --reflink=auto links and
 * --reflink=always tries a clone (SHARE_CLONE, as util-linux).  The
 * answer is per device, cached for the last one.
 */
enum share
replace_may_reflink(struct replacer *rep, const struct rpath *m, uint64_t dev)
{
	struct statfs sf;
	int fd;

	if (dev != rep->fs_dev) {
		fd = dir_fd(rep, m->dir);
		if (fd < 0 || fstatfs(fd, &sf) < 0)
			return opts.reflink == REFLINK_ALWAYS ? SHARE_CLONE
							      : SHARE_LINK;
		rep->fs_dev = dev;
		if (sf.f_type == BTRFS_SUPER_MAGIC ||
		    sf.f_type == (typeof(sf.f_type))XFS_SUPER_MAGIC)
			rep->fs_share = SHARE_DEDUPE;
		else if (sf.f_type == ZFS_SUPER_MAGIC)
			rep->fs_share = SHARE_CLONE;
		else
			rep->fs_share = SHARE_LINK;
	}
	if (rep->fs_share == SHARE_LINK && opts.reflink == REFLINK_ALWAYS)
		return SHARE_CLONE;
	return rep->fs_share;
}
