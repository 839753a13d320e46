#!/bin/sh
# run.sh - run each libFuzzer target for a fixed time; print how many
# inputs it executed.
#
# Usage: fuzz/run.sh [BUILD_DIR [SECONDS [TARGET...]]]
#
# BUILD_DIR (default build-fuzz) must be configured with clang and the
# fuzz option:
#
#	CC=clang meson setup build-fuzz -Dfuzz=true && ninja -C build-fuzz
#
# SECONDS defaults to 60 per target; TARGET defaults to every fuzz_*
# binary (engine, size).  Each target starts from a scratch copy of its
# committed corpus (fuzz/corpus/NAME), so the committed corpus only
# changes by hand.  A failing input is written to the scratch directory as
# crash-*, named on stderr, and the script exits 1; the scratch directory
# is then kept, otherwise removed (FUZZ_KEEP=1 keeps it anyway, to merge
# new inputs with -merge=1).

set -u
here=$(cd "$(dirname "$0")" && pwd -P)
build=${1:-build-fuzz}
secs=${2:-60}
[ $# -gt 2 ] && shift 2 || set --
targets=${*:-engine size}
scratch=$(mktemp -d "${TMPDIR:-/tmp}/hardlink-fuzz.XXXXXX")
failed=0

for t in $targets; do
	bin=$build/fuzz/fuzz_$t
	if [ ! -x "$bin" ]; then
		echo "run.sh: $bin: not built (configure with CC=clang -Dfuzz=true)" >&2
		failed=1
		continue
	fi
	mkdir -p "$scratch/$t/corpus"
	cp "$here/corpus/$t/"* "$scratch/$t/corpus/" 2>/dev/null
	rc=0
	"$bin" -max_total_time="$secs" -print_final_stats=1 \
		-rss_limit_mb=4096 -artifact_prefix="$scratch/$t/" \
		"$scratch/$t/corpus" >"$scratch/$t/log" 2>&1 || rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$scratch/$t/log")
	[ -n "$runs" ] ||
		runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$scratch/$t/log")
	inputs=$(ls "$scratch/$t/corpus" | wc -l)
	echo "fuzz_$t: ${runs:-?} executions in $secs s, corpus $inputs inputs, exit $rc"
	if [ "$rc" != 0 ]; then
		failed=1
		echo "run.sh: fuzz_$t failed; log and input in $scratch/$t:" >&2
		tail -n 40 "$scratch/$t/log" >&2
		# The failing input, in hex too (a CI machine's scratch is lost).
		for f in "$scratch/$t/"crash-* "$scratch/$t/"leak-* \
			"$scratch/$t/"timeout-* "$scratch/$t/"oom-*; do
			[ -f "$f" ] || continue
			echo "$f:" >&2
			od -An -tx1 "$f" | head -n 32 >&2
		done
	fi
done

if [ "$failed" = 0 ] && [ "${FUZZ_KEEP:-0}" != 1 ]; then
	rm -rf "$scratch"
else
	echo "run.sh: scratch kept in $scratch" >&2
fi
exit "$failed"
