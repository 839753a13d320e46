#!/bin/sh
# tests/run.sh - install the test dependencies (Debian 12) when missing,
# then build and run every test:
#   0. the format check (tests/format-check.sh, clang-format 14);
#   1. a gcc build with warnings as errors: the whole suite (unit tests,
#      fuzz corpus replays, every e2e script at its default size);
#   2. the same build under valgrind (memcheck): the "valgrind" suite of
#      tests/meson.build (unit tests, fuzz corpus replays and a
#      representative subset of the e2e scripts);
#   3. a clang build (-O1) under AddressSanitizer (with LeakSanitizer) and
#      UBSan: the whole suite;
#   4. the libFuzzer targets (clang, -Dfuzz=true), side by side, each for
#      HL_FUZZ_SECONDS (default 30) from a scratch copy of its committed
#      corpus (fuzz/run.sh); a crash or an oracle mismatch fails it;
#   5. last, tests/pkg/t-debian-package.sh: builds and installs the
#      Debian packages, runs dracut with them, upgrades, removes them and
#      restores the machine.  While it runs /usr/bin/hardlink is ours, not
#      util-linux's, so it must come after every test that uses
#      util-linux's as its reference.  It skips unless HL_PKG_TEST=1
#      (.ci/run sets it).
# Ends with one line "N passed, N failed" (each meson test, unit program
# or e2e script, counts once; each fuzz target, the format check and the
# package test count once; a test that skipped as a whole is neither, and
# is reported on the line before), and exits non-zero when anything
# failed.  Each stage prints its wall and CPU time.  About 15-20 minutes on a 2-core machine, package
# installs included; the long versions of the slow scripts (kill -9,
# signals, races, fault injection, the differential test, fuzzing) and
# valgrind on every script are in tests/soak/run.sh.
#
# With HL_RUN_LIB=1 in the environment the file only installs the
# packages and defines the functions (tests/soak/run.sh sources it).
set -u
[ "${HL_RUN_LIB:-0}" = 1 ] || cd "$(dirname "$0")/.." || exit 1

pkgs="meson ninja-build gcc g++ clang libclang-rt-14-dev pkg-config
      libxxhash-dev libcmocka-dev valgrind strace attr acl libcap2-bin
      python3 jq e2fsprogs util-linux tmux btrfs-progs xfsprogs
      clang-format libsqlite3-dev sqlite3 libopenmpi-dev openmpi-bin"
need=""
for p in $pkgs; do
	dpkg -s "$p" >/dev/null 2>&1 || need="$need $p"
done
if [ -n "$need" ]; then
	echo "tests/run.sh: installing$need" >&2
	apt-get install -y $need >/dev/null 2>&1 ||
	{ apt-get update >/dev/null && apt-get install -y $need >/dev/null; }
fi

# Sanitizer settings (the caller's, when set): UBSan stops at its first
# report; LeakSanitizer is on, and every ASan or LSan report exits 86, a
# status hardlink never has, so that a leak fails even a test that
# expects exit status 1.
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:exitcode=86}"

passed=0
failed=0
skipped=0	# whole meson tests that skipped: neither passed nor failed

# setup_build DIR TARGETS SETUP-ARGS...: configure DIR (once) and build
# TARGETS (all when empty).  Counts one failure when either step fails.
setup_build()
{
	dir=$1 targets=$2; shift 2
	if [ ! -d "$dir" ]; then
		meson setup "$dir" "$@" >"$dir.setup.log" 2>&1 ||
		{ cat "$dir.setup.log"; failed=$((failed + 1)); return 1; }
	else
		meson setup --reconfigure "$dir" "$@" >/dev/null 2>&1
	fi
	# shellcheck disable=SC2086
	if ! ninja -C "$dir" $targets >"$dir.build.log" 2>&1; then
		cat "$dir.build.log"
		failed=$((failed + 1))
		return 1
	fi
}

# run_tests DIR MESON-TEST-ARGS...: runs meson tests of a built DIR and
# adds their results to the counts.
run_tests()
{
	dir=$1; shift
	rm -f "$dir/meson-logs/testlog.json"
	meson test -C "$dir" --no-rebuild --print-errorlogs --num-processes 2 \
		--timeout-multiplier 3 "$@"
	if [ ! -f "$dir/meson-logs/testlog.json" ]; then
		echo "tests/run.sh: no test ran: meson test -C $dir $*" >&2
		failed=$((failed + 1))
		return
	fi
	counts=$(python3 - "$dir/meson-logs/testlog.json" <<'PY'
import json, sys
p = s = f = 0
for line in open(sys.argv[1]):
    r = json.loads(line)["result"]
    if r in ("OK", "EXPECTEDFAIL"):
        p += 1
    elif r == "SKIP":
        s += 1
    else:
        f += 1
print(p, s, f)
PY
)
	# shellcheck disable=SC2086
	set -- $counts
	passed=$((passed + $1))
	skipped=$((skipped + $2))
	failed=$((failed + $3))
}

# cpu_now: sets cpu to the user + system seconds of the children waited
# for so far.  Not through $(...): "times" in a subshell sees only the
# subshell's children.
work=$(mktemp -d "${TMPDIR:-/tmp}/hl-run.XXXXXX")
trap 'rm -rf "$work"' EXIT
cpu_file=$work/cpu
cpu_now()
{
	times >"$cpu_file"
	cpu=$(awk 'NR == 2 { split($1, u, "m"); split($2, s, "m");
		printf "%.0f\n", u[1] * 60 + u[2] + s[1] * 60 + s[2] }' "$cpu_file")
}

# timed LABEL CMD...: runs CMD and prints how long it took (wall time,
# and the CPU time of the processes it ran); returns CMD's status.
timed()
{
	label=$1; shift
	t0=$(date +%s)
	cpu_now
	c0=$cpu
	"$@"
	rc=$?
	cpu_now
	echo "tests/run.sh: $label: $(($(date +%s) - t0)) s, CPU $((cpu - c0)) s"
	return $rc
}

# count STATUS: adds one check with that exit status to the counts.
count()
{
	if [ "$1" = 0 ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
	fi
}

format_check()
{
	sh tests/format-check.sh >"$work/format" 2>&1
	rc=$?
	grep -v '^format-check: pending: ' "$work/format"
	count $rc
}

# The sanitizer build: -O1 (ASan's own advice; twice as fast as -O0 for
# the same checks), UBSan's checks kept by -fno-sanitize-recover below.
asan_build()
{
	CC=clang CXX=clang++ setup_build build-asan "" \
		-Db_sanitize=address,undefined \
		-Db_lundef=false -Doptimization=1 -Ddebug=true
}

# fuzz_targets SECONDS: both libFuzzer targets at once (one core each),
# each counted once.
fuzz_targets()
{
	CC=clang CXX=clang++ setup_build build-fuzz \
		"fuzz/fuzz_engine fuzz/fuzz_size" \
		-Dfuzz=true || return
	sh fuzz/run.sh build-fuzz "$1" engine &
	pe=$!
	sh fuzz/run.sh build-fuzz "$1" size &
	ps=$!
	wait $pe
	count $?
	wait $ps
	count $?
}

# pkg_test: the package test, one count; its TAP output is shown.
pkg_test()
{
	sh tests/pkg/t-debian-package.sh
	rc=$?
	if [ "$rc" = 77 ]; then
		skipped=$((skipped + 1))
	else
		count $rc
	fi
}

[ "${HL_RUN_LIB:-0}" = 1 ] && return 0

start=$(date +%s)
cpu_now
cstart=$cpu
timed "format check" format_check
if timed "gcc build" setup_build build ""; then
	timed "gcc suite" run_tests build
	timed "valgrind suite" run_tests build --suite valgrind
fi
timed "ASan/UBSan build" asan_build &&
	timed "ASan/UBSan suite" run_tests build-asan
timed "fuzzing" fuzz_targets "${HL_FUZZ_SECONDS:-30}"
timed "Debian package test" pkg_test
cpu_now
echo "tests/run.sh: $(($(date +%s) - start)) s in all, CPU $((cpu - cstart)) s"
[ "$skipped" -eq 0 ] || echo "tests/run.sh: $skipped skipped (not counted as passed)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
