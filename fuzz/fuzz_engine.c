/*
 * fuzz_engine.c - the comparison engine against plain memcmp.
 *
 * The input is split into engine options, a recipe for 2-4 files and a
 * base chunk of bytes:
 *
 *   byte 0   number of files (2 + b % 3)
 *   byte 1   io_size: 0 (default) or 4, 8, 12, 16... KiB (b % 5);
 *            bits 3-7: the poll that interrupts (see byte 6)
 *   byte 2   mem_limit: 0 (default) or 8, 12, 16, 24, 32, 64 KiB per
 *            file (times 2^s below)
 *   byte 3   max_open 1..3 per file (1 + b % 3, times 2^s below);
 *            bits 2-3: threads 1, 2, 1, 4;
 *            bit 4: a batch of 4 groups, else one group;
 *            bits 5-7: s = 0, 0, 0, 1, 2, 3, 5, 7: members (below)
 *   byte 4   the file size in chunks (1 + b % 64; 255: empty files)
 *   byte 5   bit 7: one file gets another size than the group's;
 *            bit 6: grown (else truncated); bits 3-4: which file;
 *            bits 0-5: by how many bytes (1 + b % 64)
 *   byte 6   bit 7: one member's open fails with EIO; bits 0-1: which;
 *            bits 2-4: at which of its opens (1 + b % 8);
 *            bits 5 and 6 both set: the interrupt callback stops the
 *            call at its poll number 1 + (byte 1 >> 3)
 *   then, per file after the first, 4 bytes: the earlier file it copies,
 *            a position (16 bits, scaled to the size) and a byte to XOR
 *            there (0: an identical copy)
 *   the rest: the chunk, repeated to make the first file.
 *
 * Copies and single-byte differences at chosen places make identical and
 * near-identical files common, at any block of the file.  The files live
 * in memfds (one per file, reused across inputs); the engine opens a
 * member through dup(2) of its file's memfd.  There are files << s
 * members (2 to 512), so that groups get big enough for the engine's
 * worker threads: a step of 16 members or more is read by all threads,
 * and a batch of 256 members or more classifies its small groups one per
 * thread at once, then reads each big one (512 members or 1 MiB) on all
 * threads (engine.c).  One group: member i holds file i % files.  A
 * batch of 4 groups shares the members out, a half, a quarter and two
 * eighths (at least one each); member i of group k holds file
 * (i + k) % files.  s is lowered until the members hold at most 4 MiB
 * in all, and the budgets (mem_limit, max_open) grow with the members.
 *
 * Oracle, for each group: a member whose size is the group's and that did
 * not fail gets class = the smallest index of such a member with the same
 * bytes (memcmp), and err = 0.  A member of another size must come back
 * as HL_NOCLASS with -HL_ECHANGED, or as a class of its own (the engine
 * may drop a member that differs early without reading it to the end); so
 * must a member whose open failed, with -EIO (if that open was never
 * asked for, the member is like any other).  No other member may fail.
 * Every descriptor handed out must be closed exactly once.  With the
 * interrupt callback, the call returns -EINTR exactly when the callback
 * was polled that many times, and then only the descriptors are checked.
 * Any disagreement aborts.
 */
#include "hlcore.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAX_FILES 4
#define MAX_GROUPS 4
#define HDR 7
/* members x size over all groups, so that inputs stay fast */
#define MAX_BYTES ((size_t)4 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int memfds[MAX_FILES] = {-1, -1, -1, -1};

/* One group's members and the books its callbacks keep. */
struct files {
	size_t n;	    /* members */
	size_t nfiles, rot; /* member i holds file (i + rot) % nfiles */
	atomic_int *open;   /* descriptors handed out, not closed */
	atomic_int *opens;  /* open calls so far */
	atomic_int bad_close;
	size_t fail_member; /* n or more: none */
	int fail_at;	    /* the open call that fails */
};

struct intr {
	atomic_uint polls;
	unsigned stop_at;
};

static size_t
file_of(const struct files *f, size_t i)
{
	return (i + f->rot) % f->nfiles;
}

static int
src_open(void *cookie, size_t i)
{
	struct files *f = cookie;
	int fd;

	if (i >= f->n)
		abort();
	if (atomic_fetch_add(&f->opens[i], 1) + 1 == f->fail_at &&
	    i == f->fail_member)
		return -EIO;
	fd = dup(memfds[file_of(f, i)]);
	if (fd < 0)
		return -errno;
	atomic_fetch_add(&f->open[i], 1);
	return fd;
}

static void
src_close(void *cookie, size_t i, int fd)
{
	struct files *f = cookie;

	if (i >= f->n || atomic_fetch_sub(&f->open[i], 1) <= 0)
		atomic_store(&f->bad_close, 1);
	close(fd);
}

static int
intr_fn(void *arg)
{
	struct intr *in = arg;

	return atomic_fetch_add(&in->polls, 1) + 1 >= in->stop_at;
}

static void
check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_engine: %s\n", what);
		abort();
	}
}

static void
put(int fd, const unsigned char *buf, size_t len)
{
	size_t off = 0;

	check(ftruncate(fd, 0) == 0, "ftruncate");
	while (off < len) {
		ssize_t w = pwrite(fd, buf + off, len - off, (off_t)off);

		check(w > 0, "pwrite");
		off += (size_t)w;
	}
}

/* Members of group k of ng, out of m. */
static size_t
members_of(size_t m, size_t k, size_t ng)
{
	unsigned sh = ng == 1 ? 0 : k + 1 < ng ? (unsigned)k + 1 : (unsigned)k;

	return m >> sh ? m >> sh : 1;
}

/*
 * The oracle for one group (see the top).  eq[b]: the smallest file with
 * the bytes of file b, both of the group's size.
 */
static void
check_group(const struct files *f, const size_t *cls, const int *err,
	    const size_t *len, const size_t *eq, size_t total)
{
	size_t first[MAX_FILES];

	for (size_t b = 0; b < MAX_FILES; b++)
		first[b] = HL_NOCLASS;
	for (size_t i = 0; i < f->n; i++) {
		size_t b = file_of(f, i);

		if (i == f->fail_member && err[i] == -EIO) {
			check(cls[i] == HL_NOCLASS, "a failed member classed");
			continue;
		}
		if (len[b] != total) {
			check((cls[i] == HL_NOCLASS &&
			       err[i] == -HL_ECHANGED) ||
				      (cls[i] == i && err[i] == 0),
			      "a member of another size classed");
			continue;
		}
		check(err[i] == 0, "an error on a readable member");
		if (first[eq[b]] == HL_NOCLASS)
			first[eq[b]] = i;
		check(cls[i] == first[eq[b]], "class differs from memcmp");
	}
	/* nobody joins a member of another size, or a failed one */
	for (size_t i = 0; i < f->n; i++) {
		if (cls[i] != HL_NOCLASS && cls[i] != i)
			check(cls[i] < f->n &&
				      len[file_of(f, cls[i])] == total &&
				      len[file_of(f, i)] == total &&
				      !err[cls[i]],
			      "a class joins members of different sizes");
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t mems[] = {0,     8192,  12288, 16384,
				      24576, 32768, 65536};
	/* hundreds of members cost thousands of system calls: seldom */
	static const unsigned shifts[] = {0, 0, 0, 1, 2, 3, 5, 7};
	/* waking threads costs more than reading small files: half the time */
	static const unsigned threads[] = {1, 2, 1, 4};
	struct hl_engine_opts o = {0};
	struct files f[MAX_GROUPS];
	struct hl_group g[MAX_GROUPS];
	size_t *cls[MAX_GROUPS], eq[MAX_FILES];
	int *err[MAX_GROUPS];
	unsigned char *buf[MAX_FILES] = {NULL};
	size_t len[MAX_FILES], nfiles, chunk, total, rec, m, ng, sum;
	unsigned shift;
	struct intr in = {0, 0};
	struct hl_engine *e;
	int rc;

	if (size < HDR)
		return 0;
	nfiles = 2 + data[0] % 3;
	o.io_size = (size_t)(data[1] % 5) * 4096;
	o.threads = threads[data[3] >> 2 & 3];
	ng = data[3] & 0x10 ? MAX_GROUPS : 1;
	shift = shifts[data[3] >> 5];
	if ((data[6] & 0x60) == 0x60)
		in.stop_at = 1 + (data[1] >> 3);
	rec = HDR + 4 * (nfiles - 1);
	if (size < rec + 1)
		return 0;
	chunk = size - rec;
	total = data[4] == 255 ? 0 : chunk * (1 + data[4] % 64);

	for (size_t i = 0; i < MAX_FILES && memfds[i] < 0; i++) {
		memfds[i] = memfd_create("fuzz_engine", MFD_CLOEXEC);
		check(memfds[i] >= 0, "memfd_create");
	}
	/* file 0: the chunk repeated; the others copy an earlier one */
	buf[0] = malloc(total + 128);
	check(buf[0] != NULL, "malloc");
	for (size_t off = 0; off < total; off += chunk)
		memcpy(buf[0] + off, data + rec, chunk);
	len[0] = total;
	for (size_t i = 1; i < nfiles; i++) {
		const uint8_t *r = data + HDR + 4 * (i - 1);
		size_t src = r[0] % i;
		size_t pos = (size_t)((uint64_t)(r[1] | r[2] << 8) * total >>
				      16);

		buf[i] = malloc(total + 128);
		check(buf[i] != NULL, "malloc");
		memcpy(buf[i], buf[src], total);
		if (total)
			buf[i][pos] ^= r[3];
		len[i] = total;
	}
	/* perhaps one file of another size: grown or truncated */
	if (data[5] & 0x80) {
		size_t k = (data[5] >> 3 & 3) % nfiles,
		       d = 1 + (data[5] & 0x3f) % 64;

		if (data[5] & 0x40) {
			memset(buf[k] + total, data[5], d);
			len[k] = total + d;
		} else {
			len[k] = d < total ? total - d : 0;
		}
	}
	for (size_t i = 0; i < nfiles; i++)
		put(memfds[i], buf[i], len[i]);
	for (size_t b = 0; b < nfiles; b++) {
		eq[b] = b;
		for (size_t c = 0; c < b && len[b] == total; c++) {
			if (len[c] == total && !memcmp(buf[c], buf[b], total)) {
				eq[b] = c;
				break;
			}
		}
	}

	/* the members: as many as s asks, within MAX_BYTES */
	for (;; shift--) {
		m = nfiles << shift;
		sum = 0;
		for (size_t k = 0; k < ng; k++)
			sum += members_of(m, k, ng);
		if (!shift || sum * (total + 1) <= MAX_BYTES)
			break;
	}
	/* as short of memory and descriptors as 2-4 members are */
	o.mem_limit = mems[data[2] % (sizeof(mems) / sizeof(mems[0]))] << shift;
	o.max_open = (1u + data[3] % 3) << shift;
	for (size_t k = 0; k < ng; k++) {
		size_t n = members_of(m, k, ng);

		f[k] = (struct files){n, nfiles, k, NULL, NULL, 0, n, 0};
		if (data[6] & 0x80)
			f[k].fail_member = (data[6] & 3) % nfiles;
		f[k].fail_at = 1 + (data[6] >> 2 & 7);
		f[k].open = calloc(n, sizeof(*f[k].open));
		f[k].opens = calloc(n, sizeof(*f[k].opens));
		cls[k] = malloc(n * sizeof(*cls[k]));
		err[k] = malloc(n * sizeof(*err[k]));
		check(f[k].open && f[k].opens && cls[k] && err[k], "malloc");
		g[k] = (struct hl_group){
			n, total, {src_open, src_close, &f[k]}};
	}

	e = hl_engine_new(&o);
	check(e != NULL, "hl_engine_new");
	if (in.stop_at)
		hl_engine_set_interrupt(e, intr_fn, &in);
	if (ng > 1)
		rc = hl_engine_classify_batch(e, ng, g, cls, err);
	else
		rc = hl_engine_classify(e, &g[0], cls[0], err[0]);
	hl_engine_free(e);
	if (in.stop_at) {
		check(rc == 0 || rc == -EINTR, "hl_engine_classify failed");
		check((rc == -EINTR) == (atomic_load(&in.polls) >= in.stop_at),
		      "-EINTR and the interrupt callback disagree");
	} else {
		check(rc == 0, "hl_engine_classify failed");
	}
	for (size_t k = 0; k < ng; k++) {
		check(!atomic_load(&f[k].bad_close),
		      "a descriptor closed twice");
		for (size_t i = 0; i < f[k].n; i++)
			check(atomic_load(&f[k].open[i]) == 0,
			      "a descriptor left open");
		if (rc == 0)
			check_group(&f[k], cls[k], err[k], len, eq, total);
		free(f[k].open);
		free(f[k].opens);
		free(cls[k]);
		free(err[k]);
	}
	for (size_t i = 0; i < nfiles; i++)
		free(buf[i]);
	return 0;
}
