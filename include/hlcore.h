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
 * filesystem, and keeps no global state.
 *
 * Calling sequence:
 *
 *	struct hl_engine_opts opts = {0};	(C++: = {})
 *	opts.threads = 4;
 *	struct hl_engine *e = hl_engine_new(&opts);
 *	for each size group (or all of them at once, hl_engine_classify_batch):
 *		hl_engine_classify(e, &group, cls, err);
 *	hl_engine_stats(e, &stats);
 *	hl_engine_free(e);
 *
 * Functions returning int return 0 on success and a negative errno value
 * on failure; out-parameters are written only on success.  hl_strerror()
 * describes any of these values.  The library never takes ownership of
 * what it is given: the caller's descriptors, arrays and cookies stay the
 * caller's.
 *
 * Threads.  An engine is used by one thread at a time: no two of its
 * functions may run at once on the same engine (lock around them, or give
 * each thread an engine of its own; engines share nothing).  With
 * opts.threads > 1 the engine runs worker threads of its own, started by
 * the first classify call that can use them (they inherit that thread's
 * signal mask: block the signals a program handles on one thread before
 * that call) and ended by hl_engine_free().  The callbacks (struct
 * hl_source, the interrupt callback) may then run on those workers; each
 * says below when, and what may run at the same time.  A callback must
 * return: it must not call any function of the engine that called it
 * (not even hl_engine_stats() or hl_engine_free()), and must not leave by
 * longjmp() or a C++ exception.  hl_version_number() and hl_strerror()
 * need no engine and may be called from any thread at any time.
 *
 * Binary compatibility.  libhlcore.so.1 keeps the functions and struct
 * layouts of version node HLCORE_1 (library 1.0) unchanged: a program
 * built against this header runs with any later libhlcore.so.1, and one
 * that uses only HLCORE_1 functions also with 1.0.  Functions added
 * later live under a new node (HLCORE_1.1: hl_version_number,
 * hl_strerror, hl_engine_stats2; HLCORE_1.2: hl_engine_classify_batch2),
 * so a program that needs one fails
 * to start on an older library instead of misbehaving.  The structs grow
 * as follows, which is why none of them has a size field:
 *  - struct hl_engine_opts is frozen.  A new option will come as a setter
 *    function hl_engine_set_<option> under a new node, to be called after
 *    hl_engine_new() and before the first classify call.  Zeroing the
 *    struct and setting the fields you want, as above, stays correct.
 *  - struct hl_stats grows at its end only.  hl_engine_stats() fills the
 *    HLCORE_1 counters; hl_engine_stats2() takes the caller's sizeof and
 *    fills what both sides know.
 *  - struct hl_source and struct hl_group are frozen (hl_engine_classify
 *    _batch takes an array of groups): per-group features would come
 *    with a new function and a new struct.
 *
 * The header compiles as C (C99 or later) and as C++ (C++11 or later).
 */
#ifndef HLCORE_H
#define HLCORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The version of this header.  hl_version_number() returns the library's,
 * which may be newer.  The string is the package version of hardlink.
 */
#define HL_VERSION_MAJOR 1
#define HL_VERSION_MINOR 2
#define HL_VERSION_PATCH 0
#define HL_VERSION_NUMBER                                                      \
	(HL_VERSION_MAJOR * 10000 + HL_VERSION_MINOR * 100 + HL_VERSION_PATCH)
#define HL_VERSION_STRING "1.2.0"

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

/* Frozen (HLCORE_1): see "Binary compatibility" above. */
struct hl_engine_opts {
	/* Largest read, in bytes; 0 means 1 MiB.  Rounded to 4 KiB. */
	size_t io_size;
	/* Bytes of file data held in memory at once; 0 means 64 MiB. */
	size_t mem_limit;
	/*
	 * Files the engine may keep open at once; 0 means 256.  Each thread
	 * needs one: below opts.threads, up to max_open + threads - 1
	 * descriptors may be open at once.
	 */
	unsigned max_open;
	/*
	 * Threads in all, the caller included; 0 or 1 means the calling
	 * thread only; at most 64.  Workers start on the first call that
	 * can use them.
	 */
	unsigned threads;
};

/*
 * How the engine reaches the files of a group.  The caller owns the files:
 * open() returns a new read-only descriptor for member i (or a negative
 * errno, which becomes err[i]), and the engine gives every descriptor it
 * obtained back to close() exactly once, before the classify call
 * returns.  A member may be opened more than once when the group is
 * larger than max_open; the caller should make sure each open reaches the
 * same file (for example by checking device and inode).
 *
 * Threads: with opts.threads <= 1, both run on the thread that called
 * hl_engine_classify() or hl_engine_classify_batch().  With more, either
 * may run on that thread or on any of the engine's workers, and calls run
 * at the same time: for different members of one group (its members are
 * read in parallel) and for members of different groups of a batch (its
 * groups are classified in parallel).  Never two at once for the same
 * member of the same group.  Whatever members or groups share through the
 * cookie needs a lock or atomics.  Frozen (HLCORE_1).
 */
struct hl_source {
	int (*open)(void *cookie, size_t i);
	void (*close)(void *cookie, size_t i, int fd);
	void *cookie;
};

/* Frozen (HLCORE_1). */
struct hl_group {
	size_t n;      /* members, at least 1 */
	uint64_t size; /* the size every member must have */
	struct hl_source src;
};

/*
 * The engine's counters.  Grows at its end only; read it with
 * hl_engine_stats2() to get the counters added after HLCORE_1.
 */
struct hl_stats {
	uint64_t bytes_read;   /* bytes returned by read calls */
	uint64_t files_opened; /* successful open() callbacks */
	uint64_t reads;	       /* read calls */
	uint64_t hash_passes;  /* blocks read twice over budget, see engine.c */
	uint64_t groups;       /* groups classified */
};

/* Returns a new engine, or NULL with errno set. */
HL_API struct hl_engine *hl_engine_new(const struct hl_engine_opts *opts);

/* Frees an engine and ends its worker threads; NULL is fine. */
HL_API void hl_engine_free(struct hl_engine *e);

/*
 * Partitions the members of g by content.  On return, for each member i:
 *  - cls[i] is the smallest index j such that members i and j are
 *    identical (j == i when i is the first member of its class), or
 *    HL_NOCLASS when i could not be compared;
 *  - err[i] is 0, or a negative errno (-HL_ECHANGED when the file's size
 *    changed while it was read) when cls[i] is HL_NOCLASS.
 * A member that is unique gets cls[i] == i, like the first member of a
 * class; the caller tells them apart by counting.  Members that differ
 * from every other member are detected without reading them to the end.
 *
 * Returns 0, or -ENOMEM, or -EINTR when the interrupt callback (see
 * hl_engine_set_interrupt) asked to stop; cls and err are then
 * unspecified.  Every descriptor obtained from g->src is closed on return.
 */
HL_API int hl_engine_classify(struct hl_engine *e, const struct hl_group *g,
			      size_t *cls, int *err);

/*
 * Classifies n groups, as hl_engine_classify would one by one: cls[i]
 * and err[i] are the arrays for groups[i].  With several threads, small
 * groups are classified concurrently, one per thread, and the source
 * callbacks of different groups run at the same time.  Returns 0 or the
 * first error (-ENOMEM, -EINTR); the arrays of every group are then
 * unspecified.  Every descriptor obtained is closed on return.
 */
HL_API int hl_engine_classify_batch(struct hl_engine *e, size_t n,
				    const struct hl_group *groups,
				    size_t *const *cls, int *const *err);

/*
 * Since 1.2 (HLCORE_1.2).  What the engine saw of a member's bytes, for a
 * caller that keeps a cache of digests (hardlink --cache): digests of the
 * same range of two files of the same size that differ prove that the
 * files differ; equal digests prove nothing.  XXH3 64-bit (xxHash 0.8,
 * seed 0) of:
 *  - head: bytes [0, min(size, 4096)), when have & HL_DIGEST_HEAD;
 *  - tail: bytes [max(4096, size - 4096), size), for a size over 4096,
 *    when have & HL_DIGEST_TAIL.
 * A digest is given only for a range the engine read anyway (which is
 * which depends on the other members), so either may be missing; none
 * for a member that failed or for an empty file.  These definitions do
 * not change within HLCORE_1.  Frozen layout.
 */
struct hl_digest {
	uint64_t head;
	uint64_t tail;
	unsigned have;
};
#define HL_DIGEST_HEAD 1u
#define HL_DIGEST_TAIL 2u

/*
 * Since 1.2 (HLCORE_1.2).  hl_engine_classify_batch, which also fills
 * dig[i][j] with the digests of member j of groups[i] (see struct
 * hl_digest): dig may be NULL (no digests), and so may any dig[i].
 * The digests cost no read of their own.
 */
HL_API int hl_engine_classify_batch2(struct hl_engine *e, size_t n,
				     const struct hl_group *groups,
				     size_t *const *cls, int *const *err,
				     struct hl_digest *const *dig);

/*
 * Sets a callback polled between the blocks a classify call reads; when
 * it returns non-zero, that call stops and returns -EINTR.  NULL removes
 * it.  Set it between classify calls only.
 *
 * Threads: hl_engine_classify() polls it on the calling thread.  With
 * opts.threads > 1, hl_engine_classify_batch() also polls it on its
 * workers, at the same time: it must be thread-safe (set and read an
 * atomic flag; a volatile sig_atomic_t set by a signal handler is a data
 * race when read from another thread) and cheap (it runs once per block).
 */
HL_API void hl_engine_set_interrupt(struct hl_engine *e, int (*fn)(void *),
				    void *arg);

/* Copies the HLCORE_1 counters accumulated since hl_engine_new. */
HL_API void hl_engine_stats(const struct hl_engine *e, struct hl_stats *out);

/*
 * Since 1.1 (HLCORE_1.1).  Copies the counters accumulated since
 * hl_engine_new into out, which is size bytes long (pass sizeof(*out)).
 * Counters the library does not know (a program built against a newer
 * header) are set to 0.  Returns how many bytes of *out the library
 * filled with its counters: the smaller of size and its own
 * sizeof(struct hl_stats).
 */
HL_API size_t hl_engine_stats2(const struct hl_engine *e, struct hl_stats *out,
			       size_t size);

/*
 * Since 1.1 (HLCORE_1.1).  The version of the library the program runs
 * with, as HL_VERSION_NUMBER: major * 10000 + minor * 100 + patch.
 */
HL_API unsigned hl_version_number(void);

/*
 * Since 1.1 (HLCORE_1.1).  Describes err, an error code of this library
 * (a negative errno value, or -HL_ECHANGED) or a positive errno value:
 * the sign is ignored.  Returns a static string, in English, that is
 * never changed or freed; "Unknown error" for a code it does not know,
 * never NULL.  Thread-safe, unlike strerror().
 */
HL_API const char *hl_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif /* HLCORE_H */
