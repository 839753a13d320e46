#!/bin/sh
# bench/run.sh - the whole benchmark in one command:
#   1. builds hardlink (sh build.sh) unless HARDLINK names a binary;
#   2. installs the peers from Debian when missing (jdupes rdfind rmlint fdupes hyperfine);
#   3. builds the corpora outside the repository with ../shared/corpus/ scripts
#      (default CORPUS=/tmp/hardlink-corpus), checking free blocks and inodes first;
#   4. runs bench/bench.py: every tool in its dry/list mode on each corpus and in
#      its linking mode on a fresh copy per run, median of ROUNDS rounds with the
#      tools alternating, CPU, peak RSS, bytes read, ratios, same-result checks;
#      tables in bench/out/results.md (raw data in bench/out/raw.json).
#
#   sh bench/run.sh
#   CORPORA=npm,biggroup ROUNDS=5 sh bench/run.sh
#   SKIP_TINY=1 NO_REAL=1 sh bench/run.sh
#   CACHE_BENCH=1 sh bench/run.sh     (--cache re-runs, bench/cache.py)
#
# Cold page cache and slow-disk runs: sh bench/disk.sh cold|slow (root; run
# this script once first for the peers and corpora).
#
# Corpora: startup (hyperfine, `hardlink -c a b`), npm, initramfs (dracut),
# samesize-lastbyte, biggroup, large, tiny-many, usr (read-only dry run).
# The default set takes about 40 minutes on a 2-core machine once the corpora
# exist.  Other knobs are described at the top of bench/bench.py.
set -eu
cd "$(dirname "$0")/.."
CORPUS=${CORPUS:-/tmp/hardlink-corpus}
SHARED=${SHARED:-$(cd .. && pwd)/shared/corpus}
CORPORA=${CORPORA:-startup,initramfs,usr,biggroup,samesize-lastbyte,npm,large,tiny-many}
export CORPUS CORPORA
mkdir -p "$CORPUS/bench-scratch/logs"
LOGS=$CORPUS/bench-scratch/logs
skipped=""	# JSON members "corpus": "why"
skip() { echo "skip $1: $2"; skipped="${skipped:+$skipped, }\"$1\": \"$2\""; }
want() { case ",$CORPORA," in *",$1,"*) return 0 ;; esac; return 1; }
avail_kib() { df --output=avail -k "$CORPUS" | tail -1 | tr -d ' '; }
avail_inodes() { df --output=iavail "$CORPUS" | tail -1 | tr -d ' '; }

# ---- 1. hardlink
if [ -z "${HARDLINK:-}" ]; then
	i=0
	until sh build.sh >"$LOGS/build.log" 2>&1 && [ -x build/hardlink ]; do
		i=$((i + 1))
		[ "$i" -lt 5 ] || { echo "build failed, see $LOGS/build.log" >&2; exit 1; }
		echo "build failed (the code may be mid-edit); retrying in 60 s"
		sleep 60
	done
fi

# ---- 2. peers
missing=""
for p in jdupes rdfind rmlint fdupes hyperfine gcc python3; do
	dpkg -s "$p" >/dev/null 2>&1 || command -v "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -q $missing
fi

# ---- 3. corpora
if want npm; then
	# another process may be building it: never run two build-npm.sh at once
	while pgrep -f 'build-npm\.sh' >/dev/null 2>&1; do
		echo "build-npm.sh is running elsewhere; waiting"
		sleep 30
	done
	if ! bash "$SHARED/build-npm.sh" >"$LOGS/npm.log" 2>&1; then
		skip npm "build-npm.sh failed (see $LOGS/npm.log)"
	fi
fi
if want initramfs && [ ! -d "$CORPUS/initramfs" ]; then
	echo "building the dracut initramfs corpus (up to 10 min)"
	if ! timeout 600 bash "$SHARED/build-dracut.sh" >"$LOGS/dracut.log" 2>&1; then
		skip initramfs "build-dracut.sh failed or took over 10 min (see $LOGS/dracut.log)"
	fi
fi
sets=""
for s in samesize-lastbyte biggroup large tiny-many; do
	want "$s" || continue
	if [ "$s" = tiny-many ] && [ -n "${SKIP_TINY:-}" ]; then
		skip tiny-many "SKIP_TINY set"
		continue
	fi
	have=0
	[ -f "$CORPUS/synthetic/.done-$s" ] && have=1
	case $s in
	large)	# 6 GiB, plus a 6 GiB copy per real run
		need=$((6 * 1048576 + 1048576)); [ -n "${NO_REAL:-}" ] || need=$((need + 6 * 1048576))
		[ $have = 1 ] && need=$((need - 6 * 1048576))
		if [ "$(avail_kib)" -lt "$need" ]; then skip large "not enough space: $(avail_kib) KiB free, $need needed"; continue; fi ;;
	tiny-many)	# 1,000,000 inodes and ~4 GB of blocks (twice with TINY_REAL)
		ni=1100000; nb=$((4 * 1048576)); [ -z "${TINY_REAL:-}" ] || { ni=$((ni * 2)); nb=$((nb * 2)); }
		[ $have = 1 ] && { ni=$((ni - 1000000)); nb=$((nb - 4 * 1048576)); }
		if [ "$(avail_inodes)" -lt "$ni" ] || [ "$(avail_kib)" -lt "$nb" ]; then
			skip tiny-many "not enough inodes or space ($(avail_inodes) inodes, $(avail_kib) KiB free)"; continue
		fi ;;
	esac
	[ $have = 1 ] || sets="${sets:+$sets,}$s"
done
if [ -n "$sets" ]; then
	echo "building synthetic sets: $sets"
	ONLY=$sets bash "$SHARED/build-synthetic.sh" >"$LOGS/synthetic.log" 2>&1 ||
		echo "build-synthetic.sh failed (see $LOGS/synthetic.log)" >&2
fi

# ---- 4. measure
# CACHE_BENCH=1: only --cache re-runs against find (bench/cache.py)
[ -z "${CACHE_BENCH:-}" ] || exec python3 bench/cache.py
SKIPPED="{${skipped}}"
export SKIPPED
exec python3 bench/bench.py
