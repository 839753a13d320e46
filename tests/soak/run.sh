#!/bin/sh
# tests/soak/run.sh - the long versions of what tests/run.sh keeps short,
# for a release or after a change to the walk, the engine or replace.c:
#   1. the gcc build: the e2e scripts at their full sizes (below), then
#      every e2e script valgrind can run (suites valgrind and
#      valgrind-soak; t0500 there as in tests/run.sh: one scenario, 10
#      option sets, fixed by tests/meson.build);
#   2. the clang ASan+UBSan build: the e2e scripts at their full sizes;
#   3. each libFuzzer target for HL_FUZZ_SECONDS (default 600);
#   4. kill9-1000.sh (1,000 + 100 kill -9s) and one-dir-1m.sh (1,000,000
#      files in one directory) on the gcc build.
# Full sizes (tests/run.sh's defaults in brackets):
#   t0500  T0500_STRIDE=1: 12 scenarios x 29 option sets [1 case in 6]
#   t0700  KILL9_LOOPS=100 KILL9_DISK_LOOPS=20 [30 + 6]
#   t0710  SIG_FILES=20000 [5000]
#   t0720  T0720_ROUNDS=100 [10]
#   t0900  T0900_ERRNO_EVERY=1 T0900_EIO_MAX=all: every errno at calls
#          1, 2, last and every, EIO at every call number [1 errno in 3,
#          EIO at 8 more call numbers]
# Each variable may be set by the caller instead.  Takes about 2 hours on
# a 2-core machine.  Ends with "N passed, N failed" like tests/run.sh
# (one count per meson test, fuzz target and soak script).
#   sh tests/soak/run.sh
set -u
cd "$(dirname "$0")/../.." || exit 1

# the packages, the builds and the counting of tests/run.sh
HL_RUN_LIB=1 . tests/run.sh

export T0500_STRIDE="${T0500_STRIDE:-1}"
export KILL9_LOOPS="${KILL9_LOOPS:-100}"
export KILL9_DISK_LOOPS="${KILL9_DISK_LOOPS:-20}"
export SIG_FILES="${SIG_FILES:-20000}"
export T0720_ROUNDS="${T0720_ROUNDS:-100}"
export T0900_ERRNO_EVERY="${T0900_ERRNO_EVERY:-1}"
export T0900_EIO_MAX="${T0900_EIO_MAX:-all}"

# soak_script NAME: runs tests/soak/NAME on the gcc build, counted once.
soak_script()
{
	if sh "tests/soak/$1" build/hardlink; then
		passed=$((passed + 1))
	else
		echo "tests/soak/run.sh: $1 failed" >&2
		failed=$((failed + 1))
	fi
}

start=$(date +%s)
if setup_build build ""; then
	timed "gcc e2e, full sizes" run_tests build --suite e2e --timeout-multiplier 10
	timed "valgrind, every script" run_tests build --suite valgrind \
		--suite valgrind-soak
fi
if asan_build; then
	timed "ASan/UBSan e2e, full sizes" run_tests build-asan --suite e2e \
		--timeout-multiplier 10
fi
timed "fuzzing" fuzz_targets "${HL_FUZZ_SECONDS:-600}"
timed "kill9-1000" soak_script kill9-1000.sh
timed "one-dir-1m" soak_script one-dir-1m.sh
echo "tests/soak/run.sh: $(($(date +%s) - start)) s in all"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
