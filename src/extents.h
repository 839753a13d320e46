/*
 * extents.h - do two open files share all their extents (--skip-reflinks)?
 */
#ifndef HL_EXTENTS_H
#define HL_EXTENTS_H

int extents_shared(int a, int b);
/* Has the open file no data extents at all (only holes)? */
int extents_none(int fd);

#endif /* HL_EXTENTS_H */
