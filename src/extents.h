/*
 * extents.h - do two open files share all their extents (--skip-reflinks)?
 */
#ifndef HL_EXTENTS_H
#define HL_EXTENTS_H

int extents_shared(int a, int b);

#endif /* HL_EXTENTS_H */
