/*
 * fuzz_engine.c - the comparison engine against plain memcmp.
 *
 * The input is split into engine options, a recipe for 2-4 files and a
 * base chunk of bytes:
 *
 *   byte 0   number of files (2 + b % 3)
 *   byte 1   io_size: 0 (default) or 4, 8, 12, 16... KiB
 *   byte 2   mem_limit: 0 (default) or 8, 12, 16, 24, 32, 64 KiB
 *   byte 3   max_open 1..3 (bits 0-1), threads 1..2 (bit 2)
 *   byte 4   the file size in chunks (1 + b % 64; 255: empty files)
 *   byte 5   bit 7: one member gets another size than the group's;
 *            bit 6: grown (else truncated); bits 3-4: which member;
 *            bits 0-5: by how many bytes (1 + b % 64)
 *   byte 6   bit 7: one member's open fails with EIO; bits 0-1: which;
 *            bits 2-4: at which of its opens (1 + b % 8)
 *   then, per file after the first, 4 bytes: the earlier file it copies,
 *            a position (16 bits, scaled to the size) and a byte to XOR
 *            there (0: an identical copy)
 *   the rest: the chunk, repeated to make the first file.
 *
 * Copies and single-byte differences at chosen places make identical and
 * near-identical files common, at any block of the file.  The files live
 * in memfds (one per member, reused across inputs); the engine opens them
 * through dup(2).
 *
 * Oracle: a member whose size is the group's and that did not fail gets
 * class = the smallest index of such a member with the same bytes
 * (memcmp), and err = 0.  A member of another size must come back as
 * HL_NOCLASS with -HL_ECHANGED, or as a class of its own (the engine may
 * drop a member that differs early without reading it to the end); so
 * must a member whose open failed, with -EIO (if that open was never
 * asked for, the member is like any other).  No other member may fail.  Every
 * descriptor handed out must be closed exactly once.  Any disagreement aborts.
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
#define HDR 7

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int memfds[MAX_FILES] = {-1, -1, -1, -1};

struct files {
	size_t n;
	atomic_int open[MAX_FILES];  /* descriptors handed out, not closed */
	atomic_int opens[MAX_FILES]; /* open calls so far */
	atomic_int bad_close;
	size_t fail_member; /* MAX_FILES: none */
	int fail_at;	    /* the open call that fails */
};

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
	fd = dup(memfds[i]);
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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t mems[] = {0,     8192,  12288, 16384,
				      24576, 32768, 65536};
	struct hl_engine_opts o = {0};
	struct files f = {0};
	unsigned char *buf[MAX_FILES] = {NULL};
	size_t len[MAX_FILES], cls[MAX_FILES], chunk, total, rec;
	int err[MAX_FILES];
	struct hl_group g;
	struct hl_engine *e;
	int rc;

	if (size < HDR)
		return 0;
	f.n = 2 + data[0] % 3;
	o.io_size = (size_t)(data[1] % 5) * 4096;
	o.mem_limit = mems[data[2] % (sizeof(mems) / sizeof(mems[0]))];
	o.max_open = 1 + data[3] % 3;
	o.threads = 1 + ((data[3] >> 2) & 1);
	rec = HDR + 4 * (f.n - 1);
	if (size < rec + 1)
		return 0;
	chunk = size - rec;
	total = data[4] == 255 ? 0 : chunk * (1 + data[4] % 64);
	f.fail_member = data[6] & 0x80 ? (data[6] & 3) % f.n : MAX_FILES;
	f.fail_at = 1 + (data[6] >> 2 & 7);

	for (size_t i = 0; i < MAX_FILES && memfds[i] < 0; i++) {
		memfds[i] = memfd_create("fuzz_engine", MFD_CLOEXEC);
		check(memfds[i] >= 0, "memfd_create");
	}
	/* member 0: the chunk repeated; the others copy an earlier one */
	buf[0] = malloc(total + 128);
	check(buf[0] != NULL, "malloc");
	for (size_t off = 0; off < total; off += chunk)
		memcpy(buf[0] + off, data + rec, chunk);
	len[0] = total;
	for (size_t i = 1; i < f.n; i++) {
		const uint8_t *r = data + HDR + 4 * (i - 1);
		size_t src = r[0] % i;
		size_t pos =
		    (size_t)((uint64_t)(r[1] | r[2] << 8) * total >> 16);

		buf[i] = malloc(total + 128);
		check(buf[i] != NULL, "malloc");
		memcpy(buf[i], buf[src], total);
		if (total)
			buf[i][pos] ^= r[3];
		len[i] = total;
	}
	/* perhaps one member of another size: grown or truncated */
	if (data[5] & 0x80) {
		size_t k = (data[5] >> 3 & 3) % f.n,
		       d = 1 + (data[5] & 0x3f) % 64;

		if (data[5] & 0x40) {
			memset(buf[k] + total, data[5], d);
			len[k] = total + d;
		} else {
			len[k] = d < total ? total - d : 0;
		}
	}
	for (size_t i = 0; i < f.n; i++)
		put(memfds[i], buf[i], len[i]);

	e = hl_engine_new(&o);
	check(e != NULL, "hl_engine_new");
	g = (struct hl_group){f.n, total, {src_open, src_close, &f}};
	rc = hl_engine_classify(e, &g, cls, err);
	hl_engine_free(e);
	check(rc == 0, "hl_engine_classify failed");
	check(!atomic_load(&f.bad_close), "a descriptor closed twice");
	for (size_t i = 0; i < f.n; i++)
		check(atomic_load(&f.open[i]) == 0, "a descriptor left open");

	for (size_t i = 0; i < f.n; i++) {
		size_t want = HL_NOCLASS;

		if (i == f.fail_member && err[i] == -EIO) {
			check(cls[i] == HL_NOCLASS, "a failed member classed");
			continue;
		}
		if (len[i] != total) {
			check(
			    (cls[i] == HL_NOCLASS && err[i] == -HL_ECHANGED) ||
				(cls[i] == i && err[i] == 0),
			    "a member of another size classed");
			continue;
		}
		for (size_t j = 0; j <= i && want == HL_NOCLASS; j++) {
			if (len[j] == total && !err[j] &&
			    !memcmp(buf[i], buf[j], total))
				want = j;
		}
		check(err[i] == 0, "an error on a readable member");
		check(cls[i] == want, "class differs from memcmp");
	}
	/* nobody joins a member of another size, or a failed one */
	for (size_t i = 0; i < f.n; i++) {
		if (cls[i] != HL_NOCLASS && cls[i] != i)
			check(len[cls[i]] == total && len[i] == total &&
				  !err[cls[i]],
			      "a class joins members of different sizes");
	}
	for (size_t i = 0; i < f.n; i++)
		free(buf[i]);
	return 0;
}
