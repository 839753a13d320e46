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
 * either (walk.c and group.c find them, this file unlinks them).
 *
 * Verified deduplication (replace_dedupe, --reflink on btrfs and XFS)
 * needs none of this: the duplicate keeps its inode, and FIDEDUPERANGE
 * makes it share the master's extents only where the kernel, holding
 * both inodes locked, finds the bytes equal.  Nothing is renamed, so
 * there is no temporary and nothing a signal or a writer could lose.
 */
#include "hardlink.h"

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

#ifndef XFS_SUPER_MAGIC
#define XFS_SUPER_MAGIC 0x58465342
#endif
#define ZFS_SUPER_MAGIC 0x2fc12fc1

#define NDIRFDS 8

/* Recently used directories, least recently used evicted. */
static struct {
	const struct dnode *d;
	int fd;
	uint64_t used;
} dirfds[NDIRFDS];
static uint64_t dirfd_clock;

/* The temporary that exists right now, for replace_cleanup. */
static int tmp_dirfd = -1;
static char tmp_name[sizeof(TMP_PREFIX) + TMP_RANDOM];
static int tmp_swapped;		/* exchanged with the duplicate */
static const char *tmp_dup;	/* the duplicate's name, while swapped */

/*
 * A descriptor for directory d, valid until NDIRFDS - 1 other directories
 * were asked for (so the two of one replacement never evict each other).
 */
static int
dir_fd(const struct dnode *d)
{
	unsigned slot = 0;
	int fd;

	for (unsigned i = 0; i < NDIRFDS; i++) {
		if (dirfds[i].d == d) {
			dirfds[i].used = ++dirfd_clock;
			return dirfds[i].fd;
		}
		if (dirfds[i].used < dirfds[slot].used)
			slot = i;
	}
	fd = path_open(d, NULL, O_PATH | O_DIRECTORY);
	if (fd < 0)
		return -1;
	if (dirfds[slot].d)
		close(dirfds[slot].fd);
	dirfds[slot].d = d;
	dirfds[slot].fd = fd;
	dirfds[slot].used = ++dirfd_clock;
	return fd;
}

/* The temporary's path, for messages: next to the duplicate's. */
static const char *
temp_path(const char *dup_path)
{
	static struct pathbuf pb;
	const char *slash = dup_path ? strrchr(dup_path, '/') : NULL;
	size_t dl = slash ? (size_t)(slash - dup_path) + 1 : 0;

	free(pb.s);
	pb.s = xmalloc(dl + sizeof(tmp_name));
	memcpy(pb.s, dup_path ? dup_path : "", dl);
	strcpy(pb.s + dl, tmp_name);
	return pb.s;
}

static void
random_name(char *buf)
{
	static const char alnum[] = "abcdefghijklmnopqrstuvwxyz"
				    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	static uint64_t x;
	size_t plen = sizeof(TMP_PREFIX) - 1;

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
copy_xattrs(int from, int to)
{
	static char *names, *mine, *val;
	static size_t ncap = 256, mcap = 256, vcap = 256;
	ssize_t len, mlen, vlen;

	if (!names) {
		names = xmalloc(ncap);
		mine = xmalloc(mcap);
		val = xmalloc(vcap);
	}
	if ((len = xattr_read(from, NULL, &names, &ncap)) < 0)
		return len == -EOPNOTSUPP ? 0 : (int)len;
	if ((mlen = xattr_read(to, NULL, &mine, &mcap)) < 0)
		return (int)mlen;
	for (ssize_t i = 0; i < mlen; i += (ssize_t)strlen(mine + i) + 1) {
		if (!name_listed(names, len, mine + i) &&
		    fremovexattr(to, mine + i) < 0 && errno != ENODATA)
			return -errno;
	}
	for (ssize_t i = 0; i < len; i += (ssize_t)strlen(names + i) + 1) {
		vlen = xattr_read(from, names + i, &val, &vcap);
		if (vlen == -ENODATA)
			continue;	/* removed meanwhile */
		if (vlen < 0)
			return (int)vlen;
		if (fsetxattr(to, names + i, val, (size_t)vlen, 0) < 0)
			return -errno;
	}
	return 0;
}

/*
 * Creates the temporary as a clone of the master (FICLONE), owned like the
 * duplicate and with its mode, xattrs and mtime (dupfd: the duplicate,
 * open).  Returns 0 or a negative errno.
 */
static int
make_clone(int mfd, const struct rpath *m, const struct rstate *ms, int dfd,
	   const struct rpath *d, const struct rstate *ds, int dupfd)
{
	struct timespec ts[2] = {{0, UTIME_OMIT},
				 {ds->mtime, (long)ds->mtime_ns}};
	struct stat st;
	int src, dst, rc = 0;

	src = openat(mfd, m->name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
					   O_CLOEXEC | O_NOCTTY);
	if (src < 0)
		return -errno;
	if (fstat(src, &st) < 0 || (uint64_t)st.st_ino != ms->ino ||
	    (uint64_t)st.st_dev != ms->dev) {
		close(src);
		return RE_CHANGED;
	}
	for (int tries = 0; tries < 100; tries++) {
		random_name(tmp_name);
		dst = openat(dfd, tmp_name, O_WRONLY | O_CREAT | O_EXCL |
						    O_NOFOLLOW | O_CLOEXEC,
			     0600);
		if (dst >= 0 || errno != EEXIST)
			break;
	}
	if (dst < 0) {
		rc = -errno;
		close(src);
		return rc;
	}
	tmp_dirfd = dfd;
	if (ioctl(dst, FICLONE, src) < 0 || fchown(dst, ds->uid, ds->gid) < 0 ||
	    fchmod(dst, ds->mode & 07777) < 0)
		rc = -errno;
	if (rc == 0)
		rc = copy_xattrs(dupfd, dst);
	if (rc == 0 && futimens(dst, ts) < 0)
		rc = -errno;
	close(dst);
	close(src);
	if (rc < 0) {
		if (unlinkat(dfd, tmp_name, 0) < 0)
			warnerr(errno, "cannot remove temporary %s",
				temp_path(d->path));
		tmp_dirfd = -1;
	}
	return rc;
}

/* Links the master under a fresh temporary name in dfd. */
static int
make_link(int mfd, const struct rpath *m, int dfd)
{
	for (int tries = 0; tries < 100; tries++) {
		random_name(tmp_name);
		if (linkat(mfd, m->name, dfd, tmp_name, 0) == 0) {
			tmp_dirfd = dfd;
			return 0;
		}
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

/*
 * Removes the temporary.  If it was already exchanged with the duplicate,
 * it is exchanged back first: then it holds the master's link again.  If
 * that fails, the duplicate stays replaced and its previous bytes stay
 * under the temporary name, and the message says so.  Returns 0 when the
 * duplicate's name holds its previous file again (or never lost it).
 */
static int
drop_temp(const char *dup_path)
{
	const char *who = dup_path ? dup_path : tmp_dup;

	if (tmp_dirfd < 0)
		return 0;
	if (tmp_swapped &&
	    renameat2(tmp_dirfd, tmp_name, tmp_dirfd, tmp_dup, RENAME_EXCHANGE)) {
		warnerr(errno, "%s: replaced, but its previous contents could "
			"not be put back; they are kept in %s", who,
			temp_path(dup_path));
		tmp_dirfd = -1;
		tmp_swapped = 0;
		return -1;
	}
	if (unlinkat(tmp_dirfd, tmp_name, 0) < 0)
		warnerr(errno, "cannot remove temporary %s",
			temp_path(dup_path));
	tmp_dirfd = -1;
	tmp_swapped = 0;
	return 0;
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
same_state(const struct stat *st, const struct rstate *rs, int ctime)
{
	return S_ISREG(st->st_mode) && (uint64_t)st->st_dev == rs->dev &&
	       (uint64_t)st->st_ino == rs->ino &&
	       (uint64_t)st->st_size == rs->size &&
	       st->st_mtim.tv_sec == rs->mtime &&
	       (uint32_t)st->st_mtim.tv_nsec == rs->mtime_ns &&
	       (!ctime || rs->touched ||
		(st->st_ctim.tv_sec == rs->ctime &&
		 (uint32_t)st->st_ctim.tv_nsec == rs->ctime_ns));
}

static int
hold(int dirfd, const struct rpath *p, const struct rstate *rs,
     struct held *h, int lease)
{
	struct stat st;
	int err;

	h->leased = 0;
	h->fd = openat(dirfd, p->name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
					       O_NOCTTY | O_CLOEXEC);
	if (h->fd < 0) {
		err = errno;
		if (err == ELOOP || err == ENXIO || err == ENOENT)
			warnmsg("%s: changed during the run, not replaced",
				p->path);
		else
			warnerr(err, "cannot open %s", p->path);
		return -err;
	}
	if (fstat(h->fd, &st) < 0) {
		err = errno;
		close(h->fd);
		h->fd = -1;
		warnerr(err, "cannot stat %s", p->path);
		return -err;
	}
	if (!same_state(&st, rs, 1) || st.st_mode != rs->mode ||
	    st.st_uid != rs->uid || st.st_gid != rs->gid) {
		close(h->fd);
		h->fd = -1;
		warnmsg("%s: changed during the run, not replaced", p->path);
		return RE_CHANGED;
	}
	if (!lease)
		return 0;
	if (fcntl(h->fd, F_SETLEASE, F_RDLCK) == 0) {
		h->leased = 1;
	} else if (errno == EAGAIN || errno == EBUSY) {
		close(h->fd);
		h->fd = -1;
		warnmsg("%s: open for writing by another process, "
			"not replaced", p->path);
		return -EBUSY;
	}
	/* no lease (not the owner, or no lease support): checks only */
	return 0;
}

/*
 * Nobody opened it for writing and its bytes did not change: 0, or
 * RE_CHANGED, or a negative errno when that cannot be known.
 */
static int
still_held(const struct held *h, const struct rstate *rs)
{
	struct stat st;
	int lease;

	if (h->leased) {
		if ((lease = fcntl(h->fd, F_GETLEASE)) < 0)
			return -errno;
		if (lease != F_RDLCK)
			return RE_CHANGED;
	}
	if (fstat(h->fd, &st) < 0)
		return -errno;
	return same_state(&st, rs, 0) ? 0 : RE_CHANGED;
}

/* Says why the duplicate was not replaced. */
static int
refuse(int rc, const struct rpath *d)
{
	if (rc == RE_CHANGED)
		warnmsg("%s: changed during the run, not replaced", d->path);
	else
		warnerr(-rc, "cannot check %s, not replaced", d->path);
	return rc;
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
 * (a real run over three npm trees, 25,088 links: 2.0 s inline or with
 * one helper queueing, 1.7 s with two, 1.2 s with four, 1.6 s with
 * eight).  A file waiting here has no name any more, so nothing can open
 * it for writing.  The queue is short and takes its descriptors from the
 * engine's share, idle while files are replaced; when it is full the
 * caller closes the file itself.
 */
#define REAP_MAX 64
#define REAPERS 4

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t th[REAPERS];
	int fds[REAP_MAX];
	unsigned n;
	unsigned max;	/* 0: close inline (one thread, or no descriptors) */
	int running;	/* helpers started */
	int idle;	/* helpers waiting for a descriptor */
	int stop;
} reap = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static void *
reaper(void *arg)
{
	int fd;

	(void)arg;
	pthread_mutex_lock(&reap.mu);
	for (;;) {
		reap.idle++;
		while (!reap.n && !reap.stop)
			pthread_cond_wait(&reap.cv, &reap.mu);
		reap.idle--;
		if (!reap.n)
			break;
		fd = reap.fds[--reap.n];
		pthread_mutex_unlock(&reap.mu);
		close(fd);
		pthread_mutex_lock(&reap.mu);
	}
	pthread_mutex_unlock(&reap.mu);
	return NULL;
}

/* Lets go of a replaced duplicate: no name refers to it any more. */
static void
let_go_replaced(struct held *h)
{
	if (h->fd < 0 || !reap.max) {
		let_go(h);
		return;
	}
	pthread_mutex_lock(&reap.mu);
	/* one more helper when none is idle */
	if (reap.idle <= (int)reap.n && reap.running < REAPERS &&
	    thread_start(&reap.th[reap.running], reaper, NULL) == 0)
		reap.running++;
	if (reap.running && reap.n < reap.max) {
		reap.fds[reap.n++] = h->fd;
		h->fd = -1;
		pthread_cond_signal(&reap.cv);
	}
	pthread_mutex_unlock(&reap.mu);
	let_go(h);
}

void
replace_set_threads(unsigned n, unsigned fds)
{
	reap.max = n < 2 ? 0 : fds < REAP_MAX ? fds : REAP_MAX;
}

void
replace_finish(void)
{
	pthread_mutex_lock(&reap.mu);
	reap.stop = 1;
	pthread_cond_broadcast(&reap.cv);
	pthread_mutex_unlock(&reap.mu);
	for (int i = 0; i < reap.running; i++)
		pthread_join(reap.th[i], NULL);
	reap.running = 0;
	reap.max = 0;
}

/*
 * Puts the temporary (a link to, or a clone of, the master) in place of
 * the duplicate.  With RENAME_EXCHANGE the old duplicate stays under the
 * temporary name until both files are known to be untouched, and goes
 * back if not; filesystems without exchange get a plain rename right
 * after the same checks.
 */
static int
commit(int dfd, const struct rpath *d, const struct held *mh,
       const struct rstate *ms, const struct held *dh, struct rstate *ds)
{
	static struct pathbuf tp;
	struct stat st;
	int rc, err;

	/*
	 * The master must be untouched up to here.  After the exchange a
	 * writer opening the duplicate's path lands on the master, so from
	 * then on only the old duplicate's lease and state decide.
	 */
	if ((rc = still_held(mh, ms)) < 0 || (rc = still_held(dh, ds)) < 0)
		return refuse(rc, d);
	if (renameat2(dfd, tmp_name, dfd, d->name, RENAME_EXCHANGE) == 0) {
		tmp_swapped = 1;
		tmp_dup = d->name;
		ds->touched = 1;
		if (fstatat(dfd, tmp_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			rc = -errno;
		else if ((uint64_t)st.st_ino != ds->ino)
			rc = RE_CHANGED;
		else
			rc = still_held(dh, ds);
		if (rc < 0) {
			/* put the old duplicate back, then say why */
			if (drop_temp(d->path) == 0)
				refuse(rc, d);
			return rc;
		}
		tmp_swapped = 0;
		if (unlinkat(dfd, tmp_name, 0) < 0)
			warnerr(errno, "cannot remove %s",
				path_of(&tp, d->dir, tmp_name));
		tmp_dirfd = -1;
		return 0;
	}
	if (errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP) {
		/* no exchange here: a plain rename right after the checks */
		if (renameat(dfd, tmp_name, dfd, d->name) == 0) {
			ds->touched = 1;
			tmp_dirfd = -1;
			return 0;
		}
	}
	err = errno;
	warnerr(err, "cannot rename %s to %s", path_of(&tp, d->dir, tmp_name),
		d->path);
	return -err;
}

static int
swap_in(int mfd, const struct rpath *m, struct rstate *ms, int dfd,
	const struct rpath *d, struct rstate *ds, enum share *how)
{
	struct held mh = {-1, 0}, dh = {-1, 0};
	struct stat st;
	int rc;

	if ((rc = hold(mfd, m, ms, &mh, 1)) < 0)
		return rc;
	if ((rc = hold(dfd, d, ds, &dh, 1)) < 0) {
		let_go(&mh);
		return rc;
	}
	if (*how == SHARE_CLONE) {
		rc = make_clone(mfd, m, ms, dfd, d, ds, dh.fd);
		if (rc < 0 && opts.reflink == REFLINK_ALWAYS) {
			warnerr(rc == RE_CHANGED ? ESTALE : -rc,
				"cannot clone %s to %s", m->path, d->path);
			goto out;
		}
		if (rc < 0) {
			verbose(3, "Reflinking failed, fallback to hardlinking");
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
		if ((rc = make_link(mfd, m, dfd)) < 0) {
			warnerr(-rc, "cannot link %s to %s", m->path, d->path);
			goto out;
		}
		/* a link must be the master: its name could have been swapped */
		if (fstatat(dfd, tmp_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			rc = refuse(-errno, d);
		else if ((uint64_t)st.st_ino != ms->ino ||
			 (uint64_t)st.st_dev != ms->dev)
			rc = refuse(RE_CHANGED, d);
		if (rc < 0)
			goto out;
	}
	rc = commit(dfd, d, &mh, ms, &dh, ds);
	if (rc == 0)
		let_go_replaced(&dh);
out:
	if (rc < 0)
		drop_temp(d->path);
	let_go(&dh);
	let_go(&mh);
	return rc;
}

int
replace_with_link(const struct rpath *m, struct rstate *ms,
		  const struct rpath *d, struct rstate *ds, enum share *how)
{
	int mfd = dir_fd(m->dir), dfd, rc;
	sigset_t old;

	assert(*how == SHARE_LINK || *how == SHARE_CLONE);
	if (mfd < 0) {
		rc = -errno;
		warnerr(-rc, "cannot open directory of %s", m->path);
		return rc;
	}
	if ((dfd = dir_fd(d->dir)) < 0) {
		rc = -errno;
		warnerr(-rc, "cannot open directory of %s", d->path);
		return rc;
	}
	sig_block(&old);
	rc = swap_in(mfd, m, ms, dfd, d, ds, how);
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
 * Returns 0 when all of it is shared, RE_CHANGED when some range
 * differs, a positive errno when the kernel declined; *bytes grows by
 * what was shared either way.
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
			return RE_CHANGED;
		if (info->status < 0)
			return -info->status;
		if (info->status != FILE_DEDUPE_RANGE_SAME ||
		    info->bytes_deduped == 0 ||
		    info->bytes_deduped > u.r.src_length)
			return EINVAL;	/* no progress: not ours to loop on */
		off += info->bytes_deduped;
		*bytes += info->bytes_deduped;
		if (got_signal)
			return EINTR;
	}
	return 0;
}

int
replace_dedupe(const struct rpath *m, struct rstate *ms, const struct rpath *d,
	       struct rstate *ds, uint64_t *bytes)
{
	struct held mh = {-1, 0}, dh = {-1, 0};
	uint64_t before = *bytes;
	int mfd = dir_fd(m->dir), dfd, rc;

	if (mfd < 0 || (dfd = dir_fd(d->dir)) < 0) {
		rc = -errno;
		warnerr(-rc, "cannot open directory of %s",
			mfd < 0 ? m->path : d->path);
		return rc;
	}
	/*
	 * No lease: the kernel compares the bytes itself, under its locks,
	 * and a writer must not wait for us while a big file is compared.
	 * A read-only descriptor of the duplicate is enough for the owner
	 * of the file and for root (and keeps a writer's lease, if any,
	 * unbroken); otherwise the kernel answers EPERM and we fall back.
	 */
	if ((rc = hold(mfd, m, ms, &mh, 0)) < 0)
		return rc;
	if ((rc = hold(dfd, d, ds, &dh, 0)) < 0) {
		let_go(&mh);
		return rc;
	}
	rc = dedupe_fds(mh.fd, dh.fd, ds->size, bytes);
	if (rc == EINTR && got_signal) {
		rc = -EINTR;	/* the caller's sig_check() ends the run */
		goto out;
	}
	if (rc > 0 && *bytes == before)
		goto out;	/* declined, nothing shared: fall back */
	/*
	 * Shared, and still the file whose bytes we compared?  (Had a
	 * writer come in between, it lost nothing: see dedupe_fds.)
	 */
	if (rc == 0 && (rc = still_held(&dh, ds)) == 0)
		goto out;
	if (rc == RE_CHANGED || rc > 0) {
		warnmsg("%s: changed during the run, %s", d->path,
			*bytes == before ? "not deduplicated"
					 : "deduplicated only in part");
		rc = RE_CHANGED;
	} else {
		warnerr(-rc, "cannot deduplicate %s", d->path);
	}
out:
	let_go(&dh);
	let_go(&mh);
	return rc;
}

/* Returns 1 when the leftover was removed, 0 when left, -1 on error. */
int
replace_remove_stale(int dirfd, const char *name, const char *path,
		     const struct stat *st)
{
	struct stat now;

	/* still the same leftover, still not the last link to its bytes */
	if (fstatat(dirfd, name, &now, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		warnerr(errno, "cannot check leftover temporary %s", path);
		return -1;
	}
	if (now.st_ino != st->st_ino || now.st_dev != st->st_dev ||
	    now.st_nlink < 2)
		return 0;
	if (unlinkat(dirfd, name, 0) < 0) {
		warnerr(errno, "cannot remove leftover temporary %s", path);
		return -1;
	}
	verbose(2, "Removed leftover temporary %s", path);
	return 1;
}

/*
 * Removes a one-link leftover temporary that group.c found identical to
 * another file, if it is still that same file with one link.
 */
int
replace_remove_orphan(const struct fent *f, const char *path)
{
	int dfd = dir_fd(f->dir);
	struct stat st;

	if (dfd < 0 || fstatat(dfd, f->name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    (uint64_t)st.st_ino != f->ino || (uint64_t)st.st_dev != f->dev ||
	    (uint64_t)st.st_size != f->size || st.st_nlink != 1)
		return 0;
	if (unlinkat(dfd, f->name, 0) < 0) {
		warnerr(errno, "cannot remove leftover temporary %s", path);
		return -1;
	}
	verbose(2, "Removed leftover temporary %s", path);
	return 1;
}

void
replace_cleanup(void)
{
	drop_temp(NULL);
}

/*
 * How extents are best shared on master's filesystem: btrfs and XFS
 * deduplicate with verification (FIDEDUPERANGE); OpenZFS clones but does
 * not deduplicate through that call; elsewhere --reflink=auto links and
 * --reflink=always tries a clone (SHARE_CLONE, as util-linux).  The
 * answer is per device, cached for the last one.
 */
enum share
replace_may_reflink(const struct rpath *m, uint64_t dev)
{
	static uint64_t last_dev = (uint64_t)-1;
	static enum share last;
	struct statfs sf;
	int fd;

	if (dev != last_dev) {
		fd = dir_fd(m->dir);
		if (fd < 0 || fstatfs(fd, &sf) < 0)
			return opts.reflink == REFLINK_ALWAYS ? SHARE_CLONE
							      : SHARE_LINK;
		last_dev = dev;
		if (sf.f_type == BTRFS_SUPER_MAGIC ||
		    sf.f_type == (typeof(sf.f_type))XFS_SUPER_MAGIC)
			last = SHARE_DEDUPE;
		else if (sf.f_type == ZFS_SUPER_MAGIC)
			last = SHARE_CLONE;
		else
			last = SHARE_LINK;
	}
	if (last == SHARE_LINK && opts.reflink == REFLINK_ALWAYS)
		return SHARE_CLONE;
	return last;
}
