/*
 * replace.c - the only code that changes the filesystem.
 *
 * Replacing a duplicate D by a link to master M never leaves a moment
 * where D names anything but its own bytes or M's identical bytes:
 *
 *   1. both are checked again (device, inode, size, mtime; ctime until we
 *      changed it ourselves) against what the walk saw and the engine read;
 *   2. M is linked (or, with --reflink, cloned into a file created with
 *      O_EXCL) under a fresh random name in D's directory, created
 *      exclusively: linkat and O_EXCL never reuse or follow an existing
 *      name, so a stale or planted temporary cannot hurt;
 *   3. D is checked once more, then the temporary is renamed over D.
 *
 * All calls are relative to directory descriptors (opened without
 * following symlinks); the temporary name is short, so it fits next to a
 * 255-byte name.  SIGINT, SIGTERM and SIGHUP are blocked from step 2 to
 * the end of step 3, and the temporary is removed on every error, so only
 * kill -9 can leave one behind: it then holds a second link to M, and the
 * next run recognises it (walk.c) and removes it here.
 */
#include "hardlink.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/vfs.h>
#include <unistd.h>

#ifndef XFS_SUPER_MAGIC
#define XFS_SUPER_MAGIC 0x58465342
#endif
#define ZFS_SUPER_MAGIC 0x2fc12fc1

#define NDIRFDS 8

static struct {
	const struct dnode *d;
	int fd;
} dirfds[NDIRFDS];
static unsigned dirfd_next;

/* The temporary that exists right now, for replace_cleanup. */
static int tmp_dirfd = -1;
static char tmp_name[sizeof(TMP_PREFIX) + TMP_RANDOM];

static int
dir_fd(const struct dnode *d)
{
	unsigned slot;
	int fd;

	for (unsigned i = 0; i < NDIRFDS; i++) {
		if (dirfds[i].d == d && dirfds[i].fd >= 0)
			return dirfds[i].fd;
	}
	fd = path_open(d, NULL, O_PATH | O_DIRECTORY);
	if (fd < 0)
		return -1;
	slot = dirfd_next++ % NDIRFDS;
	if (dirfds[slot].d)
		close(dirfds[slot].fd);
	dirfds[slot].d = d;
	dirfds[slot].fd = fd;
	return fd;
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

/* Does the name still hold the file we compared? */
static int
unchanged(int dfd, const char *name, const struct rstate *rs)
{
	struct stat st;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_dev != rs->dev ||
	    (uint64_t)st.st_ino != rs->ino ||
	    (uint64_t)st.st_size != rs->size ||
	    st.st_mtim.tv_sec != rs->mtime ||
	    (uint32_t)st.st_mtim.tv_nsec != rs->mtime_ns ||
	    st.st_mode != rs->mode || st.st_uid != rs->uid ||
	    st.st_gid != rs->gid)
		return RE_CHANGED;
	if (!rs->touched && (st.st_ctim.tv_sec != rs->ctime ||
			     (uint32_t)st.st_ctim.tv_nsec != rs->ctime_ns))
		return RE_CHANGED;
	return 0;
}

static int
check(int dfd, const struct rpath *p, const struct rstate *rs)
{
	int rc = unchanged(dfd, p->name, rs);

	if (rc == RE_CHANGED)
		warnmsg("%s: changed during the run, not replaced", p->path);
	else if (rc < 0)
		warnerr(-rc, "cannot stat %s", p->path);
	return rc;
}

/*
 * Creates the temporary as a clone of the master (FICLONE), owned like the
 * duplicate and with its mode and mtime.  Returns 0 or a negative errno.
 */
static int
make_clone(int mfd, const struct rpath *m, const struct rstate *ms, int dfd,
	   const struct rstate *ds)
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
	dst = openat(dfd, tmp_name,
		     O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		     0600);
	if (dst < 0) {
		rc = -errno;
		close(src);
		return rc;
	}
	tmp_dirfd = dfd;
	if (ioctl(dst, FICLONE, src) < 0 || fchown(dst, ds->uid, ds->gid) < 0 ||
	    fchmod(dst, ds->mode & 07777) < 0 || futimens(dst, ts) < 0)
		rc = -errno;
	close(dst);
	close(src);
	if (rc < 0) {
		unlinkat(dfd, tmp_name, 0);
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

static void
drop_temp(void)
{
	if (tmp_dirfd >= 0)
		unlinkat(tmp_dirfd, tmp_name, 0);
	tmp_dirfd = -1;
}

static int
swap_in(const struct rpath *m, struct rstate *ms, int dfd,
	const struct rpath *d, struct rstate *ds, int reflink)
{
	static struct pathbuf tp;
	struct stat st;
	int rc;

	if (reflink) {
		random_name(tmp_name);
		rc = make_clone(dir_fd(m->dir), m, ms, dfd, ds);
		if (rc < 0 && opts.reflink == REFLINK_ALWAYS) {
			warnerr(rc == RE_CHANGED ? ESTALE : -rc,
				"cannot clone %s to %s", m->path, d->path);
			return rc;
		}
		if (rc < 0) {
			verbose(3, "Reflinking failed, fallback to hardlinking");
			reflink = 0;
		}
	}
	if (!reflink && (rc = make_link(dir_fd(m->dir), m, dfd)) < 0) {
		warnerr(-rc, "cannot link %s to %s", m->path, d->path);
		return rc;
	}
	/* the temporary must be the master (a link) and D still D */
	if (!reflink && (fstatat(dfd, tmp_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
			 (uint64_t)st.st_ino != ms->ino ||
			 (uint64_t)st.st_dev != ms->dev)) {
		warnmsg("%s: changed during the run, not replaced", m->path);
		drop_temp();
		return RE_CHANGED;
	}
	if ((rc = check(dfd, d, ds)) < 0) {
		drop_temp();
		return rc;
	}
	if (renameat(dfd, tmp_name, dfd, d->name) < 0) {
		rc = -errno;
		warnerr(-rc, "cannot rename %s to %s",
			path_of(&tp, d->dir, tmp_name), d->path);
		drop_temp();
		return rc;
	}
	tmp_dirfd = -1;
	if (!reflink)
		ms->touched = 1;	/* its link count, hence ctime, moved */
	ds->touched = 1;
	return 0;
}

int
replace_with_link(const struct rpath *m, struct rstate *ms,
		  const struct rpath *d, struct rstate *ds, int reflink)
{
	int mfd = dir_fd(m->dir), dfd, rc;
	sigset_t old;

	if (mfd < 0) {
		warnerr(errno, "cannot open directory of %s", m->path);
		return -errno;
	}
	if ((rc = check(mfd, m, ms)) < 0)
		return rc;
	if ((dfd = dir_fd(d->dir)) < 0) {
		rc = -errno;
		warnerr(-rc, "cannot open directory of %s", d->path);
		return rc;
	}
	if ((rc = check(dfd, d, ds)) < 0)
		return rc;
	sig_block(&old);
	rc = swap_in(m, ms, dfd, d, ds, reflink);
	sig_restore(&old);
	return rc;
}

/* Returns 1 when the leftover was removed, 0 when left, -1 on error. */
int
replace_remove_stale(int dirfd, const char *name, const char *path,
		     const struct stat *st)
{
	struct stat now;

	/* still the same leftover, still not the last link to its bytes */
	if (fstatat(dirfd, name, &now, AT_SYMLINK_NOFOLLOW) < 0 ||
	    now.st_ino != st->st_ino || now.st_dev != st->st_dev ||
	    now.st_nlink < 2)
		return 0;
	if (unlinkat(dirfd, name, 0) < 0) {
		warnerr(errno, "cannot remove leftover temporary %s", path);
		return -1;
	}
	verbose(2, "Removed leftover temporary %s", path);
	return 1;
}

void
replace_cleanup(void)
{
	drop_temp();
}

int
replace_may_reflink(const struct rpath *m, uint64_t dev)
{
	static uint64_t last_dev = (uint64_t)-1;
	static int last;
	struct statfs sf;
	int fd;

	if (opts.reflink == REFLINK_ALWAYS)
		return 1;
	if (dev == last_dev)
		return last;
	fd = dir_fd(m->dir);
	if (fd < 0 || fstatfs(fd, &sf) < 0)
		return 0;
	last_dev = dev;
	last = sf.f_type == BTRFS_SUPER_MAGIC ||
	       sf.f_type == (typeof(sf.f_type))XFS_SUPER_MAGIC ||
	       sf.f_type == ZFS_SUPER_MAGIC;
	return last;
}
