/*
 * test_api.c - the parts of include/hlcore.h that are about the library
 * as an installed product: its version, hl_strerror, and how struct
 * hl_stats is copied out (hl_engine_stats fills the HLCORE_1 fields only,
 * hl_engine_stats2 whatever size the caller says).
 *
 * Built twice (meson.build): against the library as it is, where
 * hl_strerror takes glibc's strerrordesc_np when there is one, and with
 * lib/errtext.c compiled with HL_ERRTEXT_TABLE, the table that stands in
 * elsewhere.  Either way each text must be the one strerror() gives in
 * the C locale (the oracle; the test never calls setlocale).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hlcore.h"

static void
test_version(void **state)
{
	char s[32];

	(void)state;
	assert_int_equal(hl_version_number(), HL_VERSION_NUMBER);
	snprintf(s, sizeof(s), "%d.%d.%d", HL_VERSION_MAJOR, HL_VERSION_MINOR,
		 HL_VERSION_PATCH);
	assert_string_equal(s, HL_VERSION_STRING);
	/* the functions of HLCORE_1.1 came with 1.1.0, of 1.2 with 1.2.0 */
	assert_true(HL_VERSION_NUMBER >= 10200);
}

/* HLCORE_1.2: an empty batch and no digests asked for are fine. */
static void
test_batch2_empty(void **state)
{
	struct hl_engine_opts o = {0};
	struct hl_engine *e = hl_engine_new(&o);
	struct hl_digest d = {1, 2, 3};

	(void)state;
	assert_non_null(e);
	assert_int_equal(
		hl_engine_classify_batch2(e, 0, NULL, NULL, NULL, NULL), 0);
	assert_int_equal(d.have, 3);
	hl_engine_free(e);
}

static void
test_strerror_own_codes(void **state)
{
	(void)state;
	assert_string_equal(hl_strerror(0), "Success");
	assert_string_equal(hl_strerror(-HL_ECHANGED),
			    "File changed while it was read");
	assert_ptr_equal(hl_strerror(HL_ECHANGED), hl_strerror(-HL_ECHANGED));
	assert_string_equal(hl_strerror(-ENOMEM), "Cannot allocate memory");
	assert_string_equal(hl_strerror(-EINTR), "Interrupted system call");
	assert_string_equal(hl_strerror(HL_ECHANGED + 1), "Unknown error");
	assert_string_equal(hl_strerror(INT_MIN), "Unknown error");
	assert_string_equal(hl_strerror(INT_MAX), "Unknown error");
	assert_string_equal(hl_strerror(-100000), "Unknown error");
}

/* Every errno value: strerror's text, or "Unknown error" (table only). */
static void
test_strerror_matches_libc(void **state)
{
	unsigned known = 0;

	(void)state;
	for (int e = 1; e < HL_ECHANGED; e++) {
		const char *got = hl_strerror(-e), *libc = strerror(e);

		assert_ptr_equal(got, hl_strerror(e));
		if (!strcmp(got, "Unknown error"))
			continue;
		known++;
		if (strcmp(got, libc))
			fail_msg("hl_strerror(%d) \"%s\", strerror \"%s\"", e,
				 got, libc);
	}
#ifdef HL_ERRTEXT_TABLE
	/* the table: what opening and reading a file can give */
	assert_true(known >= 20);
	assert_string_equal(hl_strerror(-EACCES), "Permission denied");
	assert_string_equal(hl_strerror(EIO), "Input/output error");
#else
	/* glibc knows about 130 codes */
	assert_true(known >= 100);
#endif
}

/* The strings are static: the same pointer whatever the thread. */
static void *
strerror_thread(void *arg)
{
	const char **out = arg;

	for (int e = 0; e < 200; e++)
		out[e] = hl_strerror(-e);
	return NULL;
}

static void
test_strerror_threads(void **state)
{
	const char *a[200], *b[200];
	pthread_t t;

	(void)state;
	assert_int_equal(pthread_create(&t, NULL, strerror_thread, a), 0);
	strerror_thread(b);
	assert_int_equal(pthread_join(t, NULL), 0);
	for (int e = 0; e < 200; e++)
		assert_ptr_equal(a[e], b[e]);
}

/* Three files in memfds, the first two equal: some counters to read. */
static int fds[3] = {-1, -1, -1};

static int
mem_open(void *cookie, size_t i)
{
	int fd = dup(fds[i]);

	(void)cookie;
	return fd < 0 ? -errno : fd;
}

static void
mem_close(void *cookie, size_t i, int fd)
{
	(void)cookie;
	(void)i;
	close(fd);
}

static struct hl_engine *
engine_with_counts(void)
{
	static const char data[3][8] = {"1234567", "1234567", "1234560"};
	struct hl_engine_opts o = {0};
	struct hl_engine *e = hl_engine_new(&o);
	struct hl_group g = {3, 8, {mem_open, mem_close, NULL}};
	size_t cls[3];
	int err[3];

	assert_non_null(e);
	for (int i = 0; i < 3; i++) {
		if (fds[i] < 0)
			fds[i] = memfd_create("test_api", MFD_CLOEXEC);
		assert_true(fds[i] >= 0);
		assert_int_equal(pwrite(fds[i], data[i], 8, 0), 8);
	}
	assert_int_equal(hl_engine_classify(e, &g, cls, err), 0);
	assert_true(cls[0] == 0 && cls[1] == 0 && cls[2] == 2);
	return e;
}

static void
test_stats_v1(void **state)
{
	struct hl_engine *e = engine_with_counts();
	_Alignas(uint64_t) unsigned char buf[sizeof(struct hl_stats) + 16];
	struct hl_stats st;
	/* what struct hl_stats held in 1.0 */
	const size_t v1 = 5 * sizeof(uint64_t);

	(void)state;
	memset(buf, 0xa5, sizeof(buf));
	hl_engine_stats(e, (struct hl_stats *)(void *)buf);
	memcpy(&st, buf, sizeof(st));
	assert_int_equal(st.groups, 1);
	assert_int_equal(st.files_opened, 3);
	assert_int_equal(st.bytes_read, 3 * 8);
	/* not a byte past the 1.0 layout, however the struct grows */
	for (size_t i = v1; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0xa5);
	hl_engine_free(e);
}

static void
test_stats2_sizes(void **state)
{
	struct hl_engine *e = engine_with_counts();
	_Alignas(uint64_t) unsigned char buf[sizeof(struct hl_stats) + 16];
	struct hl_stats st, st2;
	size_t part = offsetof(struct hl_stats, reads);

	(void)state;
	hl_engine_stats(e, &st);

	/* the caller's size: everything */
	memset(&st2, 0xa5, sizeof(st2));
	assert_int_equal(hl_engine_stats2(e, &st2, sizeof(st2)), sizeof(st2));
	assert_memory_equal(&st, &st2, sizeof(st));

	/* a newer caller: counters this library lacks read as 0 */
	memset(buf, 0xa5, sizeof(buf));
	assert_int_equal(hl_engine_stats2(e, (struct hl_stats *)(void *)buf,
					  sizeof(buf)),
			 sizeof(struct hl_stats));
	assert_memory_equal(buf, &st, sizeof(st));
	for (size_t i = sizeof(st); i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0);

	/* an older caller: only what it has room for */
	memset(buf, 0xa5, sizeof(buf));
	assert_int_equal(
		hl_engine_stats2(e, (struct hl_stats *)(void *)buf, part),
		part);
	assert_memory_equal(buf, &st, part);
	for (size_t i = part; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0xa5);
	assert_int_equal(hl_engine_stats2(e, &st2, 0), 0);
	hl_engine_free(e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_batch2_empty),
		cmocka_unit_test(test_strerror_own_codes),
		cmocka_unit_test(test_strerror_matches_libc),
		cmocka_unit_test(test_strerror_threads),
		cmocka_unit_test(test_stats_v1),
		cmocka_unit_test(test_stats2_sizes),
	};
	int rc = cmocka_run_group_tests_name("api", tests, NULL, NULL);

	for (int i = 0; i < 3; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
	}
	return rc;
}
