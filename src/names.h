/*
 * names.h - the compact tree of names the walk builds, and opening by it.
 */
#ifndef HL_NAMES_H
#define HL_NAMES_H

#include <stddef.h>
#include <stdint.h>

struct dnode {
	struct dnode *parent; /* NULL for an operand's root */
	uint32_t op;	      /* operand number */
	uint32_t depth;	      /* components below the root */
	int fd;		      /* kept open by the walk, or -1 */
	size_t namelen;
	char name[]; /* a root holds the absolute path */
};

/* A growable path buffer: {0} is empty; pathbuf_release frees it. */
struct pathbuf {
	char *s;
	size_t len, cap;
};

/* Memory for names and nodes, freed only by arena_release (at the end). */
void *arena_alloc(size_t n);
/*
 * Memory aligned to ARENA_UNIT bytes only (records), and the 32-bit name
 * of a pointer into the arena (offset in ARENA_UNIT units), and back.
 */
#define ARENA_UNIT 4
void *arena_alloc_units(size_t n);
uint32_t arena_ref(const void *p);
void *arena_at(uint32_t ref);
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
/* Formats into pb (a message about paths); returns pb->s. */
const char *pathbuf_printf(struct pathbuf *pb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Opens d (name NULL) or d/name without following any symlink. */
int path_open(const struct dnode *d, const char *name, int flags);
/*
 * Directories whose descriptor the walk may keep for path_open (one
 * component to resolve instead of the whole path), and handing one over:
 * returns 1 if d now owns fd, 0 if the budget is spent (fd untouched).
 */
void dnode_fd_budget(unsigned n);
int dnode_keep_fd(struct dnode *d, int fd);

#endif /* HL_NAMES_H */
