// test_cxx.cc - include/hlcore.h as a C++ program sees it: built with
// -std=c++11 -Wall -Wextra -Wpedantic -Werror (meson.build), linked with
// the shared library (so the header's extern "C" is checked too), and
// run: it classifies three files held in memfds.  Exit 0 when all is
// well; the test is skipped (exit 77) when there is no C++ compiler.
#include <hlcore.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sys/mman.h>
#include <unistd.h>

namespace {

int fds[3] = {-1, -1, -1};

// Callbacks with C++ linkage: what a C++ program would write.
int
member_open(void *, size_t i)
{
	int fd = dup(fds[i]);

	return fd < 0 ? -errno : fd;
}

void
member_close(void *, size_t, int fd)
{
	close(fd);
}

int
never(void *)
{
	return 0;
}

int
fail(const char *what)
{
	std::fprintf(stderr, "test_cxx: %s\n", what);
	return 1;
}

} // namespace

int
main()
{
	static const char data[3][5] = {"abcd", "abcd", "abce"};
	hl_engine_opts opts = {};
	hl_stats st = {};
	size_t cls[3];
	int err[3];

	for (int i = 0; i < 3; i++) {
		fds[i] = memfd_create("test_cxx", MFD_CLOEXEC);
		if (fds[i] < 0 || pwrite(fds[i], data[i], 4, 0) != 4)
			return fail("memfd");
	}
	if (hl_version_number() != HL_VERSION_NUMBER)
		return fail("hl_version_number");
	if (std::strcmp(hl_strerror(-HL_ECHANGED),
			"File changed while it was read") != 0)
		return fail("hl_strerror");

	opts.threads = 2;
	hl_engine *e = hl_engine_new(&opts);
	if (!e)
		return fail("hl_engine_new");
	hl_engine_set_interrupt(e, never, nullptr);
	hl_group g = {3, 4, {member_open, member_close, nullptr}};
	if (hl_engine_classify(e, &g, cls, err) != 0)
		return fail("hl_engine_classify");
	if (cls[0] == HL_NOCLASS || cls[0] != 0 || cls[1] != 0 ||
	    cls[2] != 2 || err[2] != 0)
		return fail("wrong classes");
	size_t *const clsv[] = {cls};
	int *const errv[] = {err};
	if (hl_engine_classify_batch(e, 1, &g, clsv, errv) != 0 ||
	    cls[1] != 0 || cls[2] != 2)
		return fail("hl_engine_classify_batch");
	if (hl_engine_stats2(e, &st, sizeof(st)) != sizeof(st) ||
	    st.groups != 2 || st.bytes_read != 2 * 3 * 4)
		return fail("hl_engine_stats2");
	hl_engine_stats(e, &st);
	hl_engine_free(e);
	for (int fd : fds)
		close(fd);
	return 0;
}
