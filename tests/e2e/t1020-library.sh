#!/bin/sh
# t1020-library.sh - the library as a product: "meson install" into a
# scratch DESTDIR puts the binary, the man page, the shared library (with
# its soname and versioned hl_* symbols only), its header and a pkg-config
# file in place; docs/example.c compiles against the INSTALLED copy found
# through pkg-config, and runs; the installed binary runs on the installed
# library.
#
# Needs the build tree (HL_BUILD_ROOT, set by meson; else the directory
# of $HARDLINK) and the compiler of the build (HL_CC; else cc), with the
# build's sanitizers (HL_SANITIZE) so that an ASan library links.  The
# example and the installed binary run through "wrapped" (lib.sh): under
# valgrind in the valgrind suite.

. "$(dirname "$0")/lib.sh"

SRC=${HL_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd -P)}
BUILD=${HL_BUILD_ROOT:-$(dirname "$HARDLINK")}
CC_CMD=${HL_CC:-cc}
SAN=${HL_SANITIZE:-none}
SANFLAGS=""
[ "$SAN" = none ] || SANFLAGS="-fsanitize=$SAN"

for tool in meson pkg-config readelf nm; do
	if ! command -v $tool >/dev/null 2>&1; then
		skip_test 'the installed library' "$tool is not installed"
		test_done
		exit $?
	fi
done
if [ ! -f "$BUILD/meson-private/install.dat" ]; then
	skip_test 'the installed library' "$BUILD is not a meson build tree"
	test_done
	exit $?
fi

# install: meson install into $SCRATCH/root (without rebuilding: the
# test runs inside "meson test"); sets LIBDIR and PCDIR.
install()
{
	meson install -C "$BUILD" --no-rebuild --destdir "$SCRATCH/root" \
		>install.log 2>&1 || { cat install.log; return 1; }
	PC=$(find "$SCRATCH/root" -name hlcore.pc) &&
	PCDIR=$(dirname "$PC") && LIBDIR=$(dirname "$PCDIR") &&
	[ -n "$PC" ] || { echo "no hlcore.pc installed"; return 1; }
}

# pc ARGS...: pkg-config that sees only the installed tree.
pc()
{
	PKG_CONFIG_PATH="$PCDIR" PKG_CONFIG_LIBDIR="$PCDIR" \
		PKG_CONFIG_SYSROOT_DIR="$SCRATCH/root" pkg-config "$@"
}

# build_example: docs/example.c compiled and linked with the flags
# pkg-config gives for the installed library.
build_example()
{
	# shellcheck disable=SC2046,SC2086
	$CC_CMD $SANFLAGS -Wall -Wextra -Werror -o example \
		"$SRC/docs/example.c" $(pc --cflags --libs hlcore)
}

expect_success 'meson install: binary, man page, header, library, pkg-config file' '
	install &&
	(cd root && find . \( -type f -o -type l \) | sed "s,^\\./,," | sort) >files &&
	sed "s,/lib/[^/]*/,/lib/LIBDIR/," files | sed "s,/lib/libhlcore,/lib/LIBDIR/libhlcore," |
		sed "s,/lib/pkgconfig/,/lib/LIBDIR/pkgconfig/," >norm &&
	cat files &&
	{ printf "%s\n" \
		"usr/local/bin/hardlink" \
		"usr/local/include/hlcore.h" \
		"usr/local/lib/LIBDIR/libhlcore.so" \
		"usr/local/lib/LIBDIR/libhlcore.so.1" \
		"usr/local/lib/LIBDIR/libhlcore.so.1.2.0" \
		"usr/local/lib/LIBDIR/pkgconfig/hlcore.pc" \
		"usr/local/share/man/man1/hardlink.1" &&
	  # hardlink-mpi and its page, when OpenMPI was found (meson -Dmpi)
	  if [ -n "${HARDLINK_MPI:-}" ]; then printf "%s\n" \
		"usr/local/bin/hardlink-mpi" \
		"usr/local/share/man/man1/hardlink-mpi.1"; fi; } | sort >want &&
	{ cmp -s want norm || { diff -u want norm; exit 1; }; } &&
	cmp -s root/usr/local/include/hlcore.h "$SRC/include/hlcore.h" &&
	cmp -s root/usr/local/share/man/man1/hardlink.1 "$SRC/man/hardlink.1" &&
	[ "$(readlink "$LIBDIR/libhlcore.so")" = libhlcore.so.1 ] &&
	[ "$(readlink "$LIBDIR/libhlcore.so.1")" = libhlcore.so.1.2.0 ]
'

# The functions of 1.0 stay at HLCORE_1, so that programs built against
# 1.0 keep running; those added in 1.1 are at HLCORE_1.1, in 1.2 at HLCORE_1.2.
expect_success 'the library: soname libhlcore.so.1, only hl_* exported, at HLCORE_1, HLCORE_1.1 and HLCORE_1.2' '
	install &&
	readelf -d "$LIBDIR/libhlcore.so.1.2.0" | grep -q "SONAME.*\\[libhlcore\\.so\\.1\\]" &&
	nm -D --defined-only "$LIBDIR/libhlcore.so.1.2.0" | awk "{print \$NF}" |
		grep -v "^HLCORE_1\\(\\.[12]\\)\\{0,1\\}\$" | sort >syms &&
	printf "%s\n" hl_engine_classify@@HLCORE_1 hl_engine_classify_batch@@HLCORE_1 \
		hl_engine_free@@HLCORE_1 hl_engine_new@@HLCORE_1 \
		hl_engine_set_interrupt@@HLCORE_1 hl_engine_stats@@HLCORE_1 \
		hl_engine_stats2@@HLCORE_1.1 hl_strerror@@HLCORE_1.1 \
		hl_version_number@@HLCORE_1.1 hl_engine_classify_batch2@@HLCORE_1.2 | sort >want &&
	{ cmp -s want syms || { diff -u want syms; exit 1; }; } &&
	grep -o "hl_[a-z0-9_]*(" "$SRC/include/hlcore.h" | tr -d "(" | sort -u >api &&
	sed "s/@@.*//" syms | sort -u >exported &&
	cmp -s api exported
'

expect_success 'pkg-config: version, flags pointing into the installed tree' '
	install &&
	[ "$(pc --modversion hlcore)" = "$(sed -n "s/^#define HL_VERSION_STRING \"\\(.*\\)\"/\\1/p" "$SRC/include/hlcore.h")" ] &&
	[ "$(pc --cflags hlcore | sed "s/ *\$//")" = "-I$SCRATCH/root/usr/local/include" ] &&
	pc --libs hlcore | grep -q "^-L$LIBDIR -lhlcore *\$"
'

expect_success 'docs/example.c builds against the installed library and runs' '
	install &&
	build_example &&
	readelf -d example | grep -q "NEEDED.*\\[libhlcore\\.so\\.1\\]" &&
	printf "same bytes\\n" >a && printf "same bytes\\n" >b &&
	printf "same bytez\\n" >c && printf "same bytes\\n" >d &&
	LD_LIBRARY_PATH="$LIBDIR" wrapped ./example a b c d >out 2>err &&
	[ ! -s err ] &&
	printf "%s\\n" "b: same as a" "d: same as a" >want &&
	cmp -s want out &&
	LD_LIBRARY_PATH="$LIBDIR" ldd ./example | grep -q "libhlcore\\.so\\.1 => $LIBDIR/libhlcore\\.so\\.1 "
'

expect_success 'the example: files of another size refused; two classes of two' '
	install &&
	build_example &&
	printf abc >a && printf abcd >b &&
	set +e; LD_LIBRARY_PATH="$LIBDIR" wrapped ./example a b >out 2>err; st=$?; set -e;
	[ "$st" = 1 ] && [ "$(cat err)" = "b: not the size of a" ] && [ ! -s out ] &&
	printf abd >c && printf abc >d && printf abd >e &&
	LD_LIBRARY_PATH="$LIBDIR" wrapped ./example a c d e >out 2>err &&
	[ ! -s err ] &&
	printf "%s\\n" "d: same as a" "e: same as c" >want &&
	cmp -s want out
'

# What the loader is asked for: a program that calls only functions of
# 1.0 needs HLCORE_1 alone (so it runs on libhlcore 1.0 as well); the
# example calls hl_strerror and needs HLCORE_1.1 too.
expect_success 'version needs: HLCORE_1 for the 1.0 functions, HLCORE_1.1 for the new ones' '
	install &&
	build_example &&
	cat >old.c <<-EOF &&
	#include <hlcore.h>
	int main(void)
	{
		struct hl_engine_opts o = {0};
		struct hl_engine *e = hl_engine_new(&o);
		struct hl_stats st;

		if (e)
			hl_engine_stats(e, &st);
		hl_engine_free(e);
		return 0;
	}
	EOF
	$CC_CMD $SANFLAGS -Wall -Wextra -Werror -o old old.c $(pc --cflags --libs hlcore) &&
	readelf -V old | sed -n "s/.*Name: \\(HLCORE[^ ]*\\).*/\\1/p" | sort -u >got &&
	echo HLCORE_1 >want &&
	{ cmp -s want got || { diff -u want got; exit 1; }; } &&
	readelf -V example | sed -n "s/.*Name: \\(HLCORE[^ ]*\\).*/\\1/p" | sort -u >got &&
	printf "%s\\n" HLCORE_1 HLCORE_1.1 >want &&
	{ cmp -s want got || { diff -u want got; exit 1; }; } &&
	LD_LIBRARY_PATH="$LIBDIR" wrapped ./old
'

expect_success 'an internal function of the engine does not link' '
	install &&
	cat >internal.c <<-EOF &&
	#include <hlcore.h>
	struct pool;
	struct pool *pool_new(unsigned n);
	int main(void) { return pool_new(1) != 0; }
	EOF
	nm "$BUILD"/libhlcore_static.a 2>/dev/null | grep -q " T pool_new\$" &&
	! $CC_CMD $SANFLAGS -o internal internal.c $(pc --cflags --libs hlcore) 2>err &&
	grep -q "pool_new" err
'

expect_success 'the installed binary runs on the installed library' '
	install &&
	bin=root/usr/local/bin/hardlink &&
	LD_LIBRARY_PATH="$LIBDIR" wrapped "$bin" --version | grep -q "^hardlink " &&
	LD_LIBRARY_PATH="$LIBDIR" ldd "$bin" | grep -q "libhlcore\\.so\\.1 => $LIBDIR/libhlcore\\.so\\.1 " &&
	! readelf -d "$bin" | grep -q "$BUILD" &&
	mkdir t && printf "x\\n" >t/a && printf "x\\n" >t/b &&
	LD_LIBRARY_PATH="$LIBDIR" wrapped "$bin" -q t &&
	same_inode t/a t/b
'

test_done
