/*
 * xattr.h - xattrs as a blob with sorted names (all, or security ones).
 */
#ifndef HL_XATTR_H
#define HL_XATTR_H

#include <stddef.h>

#include "run.h"

struct xattrs {
	char *blob;
	size_t len;
	int err; /* could not be read: matches nothing */
};

/* Reads f's xattrs (all of them, or only the security ones) into x. */
void xattrs_load(struct xattrs *x, const struct fent *f, int all);
int xattrs_differ(const struct xattrs *a, const struct xattrs *b);
void xattrs_release(struct xattrs *x);

#endif /* HL_XATTR_H */
