#!/bin/sh
# tests/run.sh - install the test dependencies (Debian 12) when missing,
# then build and run every test:
#   1. a gcc build with warnings as errors: the whole suite;
#   2. the same build under valgrind (memcheck): the "valgrind" suite of
#      tests/meson.build (unit tests, fuzz corpus replays and the e2e
#      scripts that do not depend on timing, signals or injection);
#   3. a clang build under AddressSanitizer (with LeakSanitizer) and UBSan:
#      the whole suite;
#   4. the libFuzzer targets (clang, -Dfuzz=true), each run for
#      HL_FUZZ_SECONDS (default 45) from a scratch copy of its committed
#      corpus (fuzz/run.sh); a crash or an oracle mismatch fails it.
# Ends with one line "N passed, N failed" (each meson test, unit program
# or e2e script, counts once; each fuzz target counts once), and exits
# non-zero when anything failed.
set -u
cd "$(dirname "$0")/.."

pkgs="meson ninja-build gcc g++ clang libclang-rt-14-dev pkg-config
      libxxhash-dev libcmocka-dev valgrind strace attr acl libcap2-bin
      python3 jq e2fsprogs util-linux tmux btrfs-progs xfsprogs"
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
p = f = 0
for line in open(sys.argv[1]):
    r = json.loads(line)["result"]
    if r in ("OK", "SKIP", "EXPECTEDFAIL"):
        p += 1
    else:
        f += 1
print(p, f)
PY
)
	passed=$((passed + ${counts% *}))
	failed=$((failed + ${counts#* }))
}

# timed LABEL CMD...: runs CMD and prints how long it took.
timed()
{
	label=$1; shift
	t0=$(date +%s)
	"$@"
	echo "tests/run.sh: $label: $(($(date +%s) - t0)) s"
}

gcc_suites()
{
	setup_build build "" || return
	timed "gcc suite" run_tests build
	timed "valgrind suite" run_tests build --suite valgrind
}

asan_suite()
{
	CC=clang CXX=clang++ setup_build build-asan "" \
		-Db_sanitize=address,undefined \
		-Db_lundef=false -Dbuildtype=debug || return
	timed "ASan/UBSan suite" run_tests build-asan
}

fuzz_targets()
{
	CC=clang CXX=clang++ setup_build build-fuzz \
		"fuzz/fuzz_engine fuzz/fuzz_size" \
		-Dfuzz=true || return
	for t in engine size; do
		if sh fuzz/run.sh build-fuzz "${HL_FUZZ_SECONDS:-45}" "$t"; then
			passed=$((passed + 1))
		else
			failed=$((failed + 1))
		fi
	done
}

start=$(date +%s)
gcc_suites
asan_suite
timed "fuzzing" fuzz_targets
echo "tests/run.sh: $(($(date +%s) - start)) s in all"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
