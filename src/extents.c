/*
 * extents.c - do two files already share their storage (--skip-reflinks)?
 */
#include "extents.h"

#include <errno.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <stdint.h>

#include "util.h"

#define NEXTENTS 64
#define MAPSIZE                                                                \
	(sizeof(struct fiemap) + NEXTENTS * sizeof(struct fiemap_extent))

static int
map_from(int fd, struct fiemap *m, uint64_t start)
{
	memset(m, 0, MAPSIZE);
	m->fm_start = start;
	m->fm_length = ~0ULL;
	m->fm_flags = FIEMAP_FLAG_SYNC;
	m->fm_extent_count = NEXTENTS;
	return ioctl(fd, FS_IOC_FIEMAP, m);
}

/*
 * Has the file no data at all, only holes (truncate -s)?  Nothing of it
 * can be shared, so a clone or deduplication would gain nothing and be
 * done again on every run.  SEEK_DATA, not st_blocks: ext4 inline data
 * and btrfs inline extents hold data in zero blocks.
 */
int
extents_none(int fd)
{
	return lseek(fd, 0, SEEK_DATA) < 0 && errno == ENXIO;
}

/*
 * Do two files already share all their extents (a previous clone)?
 * Every extent must have the same logical and physical offset and length
 * and be marked shared in both.  Files without extents never match.
 */
int
extents_shared(int a, int b)
{
	struct fiemap *x = xmalloc(MAPSIZE), *y = xmalloc(MAPSIZE);
	uint64_t start = 0;
	int same = 0, last = 0;

	while (!last) {
		uint32_t n;

		if (map_from(a, x, start) < 0 || map_from(b, y, start) < 0)
			break;
		n = x->fm_mapped_extents;
		if (n == 0 || n != y->fm_mapped_extents)
			break;
		for (uint32_t i = 0; i < n; i++) {
			const struct fiemap_extent *p = &x->fm_extents[i];
			const struct fiemap_extent *q = &y->fm_extents[i];

			if (p->fe_logical != q->fe_logical ||
			    p->fe_physical != q->fe_physical ||
			    p->fe_length != q->fe_length ||
			    !(p->fe_flags & q->fe_flags & FIEMAP_EXTENT_SHARED))
				goto out;
			last |= !!(p->fe_flags & FIEMAP_EXTENT_LAST);
		}
		start = x->fm_extents[n - 1].fe_logical +
			x->fm_extents[n - 1].fe_length;
	}
	same = last;
out:
	free(x);
	free(y);
	return same;
}
