/*
 * hlcore.h - the hardlink comparison engine.
 *
 * The engine answers one question: given n regular files of the same size,
 * which of them have identical bytes?  It partitions the files into content
 * classes and never decides equality from a hash alone: every member of a
 * class was compared byte for byte with the class's first member.
 *
 * The engine reads each byte of each file at most once (see engine.c for
 * the algorithm and for what happens when a group exceeds the memory or
 * open-file budget), never prints, never exits, never changes the
 * filesystem, and keeps no global state.  One engine may be used by one
 * thread at a time; it may itself use worker threads (opts.threads).
 *
 * Calling sequence:
 *
 *	struct hl_engine *e = hl_engine_new(&opts);
 *	for each size group:
 *		hl_engine_classify(e, &group, class, err);
 *	hl_engine_stats(e, &stats);
 *	hl_engine_free(e);
 *
 * Functions returning int return 0 on success and a negative errno value
 * on failure; out-parameters are written only on success.
 */
#ifndef HLCORE_H
#define HLCORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HL_VERSION_STRING "1.0.0"

#if defined(__GNUC__)
#define HL_API __attribute__((visibility("default")))
#else
#define HL_API
#endif

/* Marks a member that belongs to no class (see hl_engine_classify). */
#define HL_NOCLASS ((size_t)-1)

/*
 * A member whose size or identity changed while it was read is reported
 * with this error code.  It is outside the errno range.
 */
#define HL_ECHANGED 4096

struct hl_engine;

struct hl_engine_opts {
	/* Largest read, in bytes; 0 means 1 MiB.  Rounded to 4 KiB. */
	size_t io_size;
	/* Bytes of file data held in memory at once; 0 means 64 MiB. */
	size_t mem_limit;
	/* Files the engine may keep open at once; 0 means 256. */
	unsigned max_open;
	/*
	 * Threads in all, the caller included; 0 or 1 means the calling
	 * thread only.  Workers start on the first call that can use them.
	 */
	unsigned threads;
};

/*
 * How the engine reaches the files of a group.  The caller owns the files:
 * open() returns a new read-only descriptor for member i (or a negative
 * errno), and the engine gives every descriptor it obtained back to close()
 * exactly once.  Both may be called from worker threads, but never twice
 * at once for the same member.  A member may be opened more than once when
 * the group is larger than max_open; the caller should make sure each open
 * reaches the same file (for example by checking device and inode).
 */
struct hl_source {
	int (*open)(void *cookie, size_t i);
	void (*close)(void *cookie, size_t i, int fd);
	void *cookie;
};

struct hl_group {
	size_t n;		/* members, at least 1 */
	uint64_t size;		/* the size every member must have */
	struct hl_source src;
};

struct hl_stats {
	uint64_t bytes_read;	/* bytes returned by read calls */
	uint64_t files_opened;	/* successful open() callbacks */
	uint64_t reads;		/* read calls */
	uint64_t hash_passes;	/* blocks read twice over budget, see engine.c */
	uint64_t groups;	/* hl_engine_classify calls */
};

/* Returns a new engine, or NULL with errno set. */
HL_API struct hl_engine *hl_engine_new(const struct hl_engine_opts *opts);

/* Frees an engine; NULL is fine. */
HL_API void hl_engine_free(struct hl_engine *e);

/*
 * Partitions the members of g by content.  On return, for each member i:
 *  - class[i] is the smallest index j such that members i and j are
 *    identical (j == i when i is the first member of its class), or
 *    HL_NOCLASS when i could not be compared;
 *  - err[i] is 0, or a negative errno (-HL_ECHANGED when the file's size
 *    changed while it was read) when class[i] is HL_NOCLASS.
 * A member that is unique gets class[i] == i, like the first member of a
 * class; the caller tells them apart by counting.  Members that differ
 * from every other member are detected without reading them to the end.
 *
 * Returns 0, or -ENOMEM, or -EINTR when the interrupt callback (see
 * hl_engine_set_interrupt) asked to stop; class and err are then
 * unspecified.  Every descriptor obtained from g->src is closed on return.
 */
HL_API int hl_engine_classify(struct hl_engine *e, const struct hl_group *g,
		       size_t *class, int *err);

/*
 * Classifies n groups, as hl_engine_classify would one by one: class[i]
 * and err[i] are the arrays for groups[i].  With several threads, small
 * groups are classified concurrently, one per thread, and the source
 * callbacks of different groups run at the same time.  Returns 0 or the
 * first error (-ENOMEM, -EINTR).
 */
HL_API int hl_engine_classify_batch(struct hl_engine *e, size_t n,
				    const struct hl_group *groups,
				    size_t *const *class, int *const *err);

/*
 * Sets a callback polled between blocks; when it returns non-zero,
 * hl_engine_classify stops and returns -EINTR.  NULL removes it.
 */
HL_API void hl_engine_set_interrupt(struct hl_engine *e, int (*fn)(void *),
			     void *arg);

/* Copies the counters accumulated since hl_engine_new. */
HL_API void hl_engine_stats(const struct hl_engine *e, struct hl_stats *out);

#ifdef __cplusplus
}
#endif

#endif /* HLCORE_H */
