/*
 * xattr.c - extended attributes as part of a file's identity.
 *
 * A file's xattrs (all of them with -X, else only the security ones) are
 * read into one blob with the names sorted, so that two files have equal
 * xattrs exactly when their blobs are equal.
 */
#include "xattr.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "opts.h"
#include "output.h"
#include "util.h"

/*
 * Security metadata is part of a file's identity: linking an identical
 * binary without capabilities to one that has them (or a file with an ACL
 * to one without) would change privileges nobody asked to change.  So,
 * unlike util-linux, these xattrs must be equal by default; -X compares
 * all xattrs; -c ignores them but warns once when it merges files whose
 * security metadata differ.
 */
static const char *const security_names[] = {
	"security.capability",
	"system.posix_acl_access",
	"security.selinux",
	NULL,
};

static int
is_security_name(const char *name)
{
	for (size_t i = 0; security_names[i]; i++) {
		if (!strcmp(name, security_names[i]))
			return 1;
	}
	return 0;
}

static int
cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * xattr calls by path, without following a symlink; a path too long for
 * one call goes through /proc/self/fd of an O_PATH descriptor instead.
 */
struct xa {
	char proc[64];
	const char *path;
	int fd, follow;
};

static int
xa_open(struct xa *x, struct pathbuf *pb, const struct fent *f)
{
	x->path = path_of(pb, fent_dir(f), f->name);
	x->fd = -1;
	x->follow = 0;
	if (pb->len < PATH_MAX - 1)
		return 0;
	x->fd = path_open(fent_dir(f), f->name, O_PATH);
	if (x->fd < 0)
		return -1;
	snprintf(x->proc, sizeof(x->proc), "/proc/self/fd/%d", x->fd);
	x->follow = 1;
	return 0;
}

static ssize_t
xa_list(const struct xa *x, char *buf, size_t len)
{
	const char *p = x->follow ? x->proc : x->path;

	return x->follow ? listxattr(p, buf, len) : llistxattr(p, buf, len);
}

static ssize_t
xa_get(const struct xa *x, const char *name, void *buf, size_t len)
{
	const char *p = x->follow ? x->proc : x->path;

	return x->follow ? getxattr(p, name, buf, len)
			 : lgetxattr(p, name, buf, len);
}

/* Appends one xattr to the blob: name, NUL, value length, value. */
static int
blob_add(struct xattrs *e, const struct xa *x, const char *name, size_t *off)
{
	size_t nl = strlen(name) + 1;
	ssize_t vl = xa_get(x, name, NULL, 0);

	if (vl < 0)
		return -1;
	e->blob = xrealloc(e->blob, *off + nl + sizeof(vl) + (size_t)vl);
	memcpy(e->blob + *off, name, nl);
	vl = xa_get(x, name, e->blob + *off + nl + sizeof(vl), (size_t)vl);
	if (vl < 0)
		return -1;
	memcpy(e->blob + *off + nl, &vl, sizeof(vl));
	*off += nl + sizeof(vl) + (size_t)vl;
	return 0;
}

/*
 * An xattr that cannot be read keeps its file from being linked, and the
 * run reports it; under -c (without -X) xattrs are read only for the
 * notice in link_class, so a failure there is not worth a word.
 */
static void __attribute__((format(printf, 2, 3)))
xa_warn(int err, const char *fmt, ...)
{
	char *msg;
	va_list ap;
	int n;

	if (opts.content && !opts.respect_xattrs)
		return;
	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatal("cannot allocate memory");
	warnerr(err, "%s", msg);
	free(msg);
}

/*
 * Reads e's xattrs (all of them with -X, else only the security ones)
 * into one blob, names sorted, so that equal blobs mean equal xattrs.
 * An error other than "not supported" is reported and remembered: the
 * entry then matches nothing.
 */
void
xattrs_load(struct xattrs *e, const struct fent *f, int all)
{
	struct pathbuf pb = {0};
	struct xa x;
	ssize_t len;
	char *names = NULL, **sorted = NULL;
	size_t n = 0, off = 0;

	if (xa_open(&x, &pb, f) < 0 || (len = xa_list(&x, NULL, 0)) < 0) {
		if (errno != ENOTSUP) {
			xa_warn(errno, "cannot get xattr names for %s", pb.s);
			e->err = 1;
		}
		goto out;
	}
	if (len == 0)
		goto out;
	names = xmalloc((size_t)len);
	if ((len = xa_list(&x, names, (size_t)len)) < 0) {
		xa_warn(errno, "cannot get xattr names for %s", pb.s);
		e->err = 1;
		goto out;
	}
	sorted = xmalloc((size_t)len * sizeof(*sorted));
	for (char *p = names; p < names + len; p += strlen(p) + 1) {
		if (all || is_security_name(p))
			sorted[n++] = p;
	}
	qsort(sorted, n, sizeof(*sorted), cmp_cstr);
	for (size_t i = 0; i < n; i++) {
		if (blob_add(e, &x, sorted[i], &off) < 0) {
			xa_warn(errno, "cannot get xattr value of %s for %s",
				sorted[i], pb.s);
			e->err = 1;
			break;
		}
	}
	e->len = e->err ? 0 : off;
out:
	if (x.fd >= 0)
		close(x.fd);
	free(sorted);
	free(names);
	pathbuf_release(&pb);
}

int
xattrs_differ(const struct xattrs *a, const struct xattrs *b)
{
	return a->err || b->err || a->len != b->len ||
	       (a->len && memcmp(a->blob, b->blob, a->len));
}

void
xattrs_release(struct xattrs *e)
{
	free(e->blob);
	e->blob = NULL;
	e->len = 0;
}
