#!/bin/sh
# bench/many.sh - memory per file and time on a tree of many tiny files:
# builds of this hardlink (old and new, say) beside rdfind, each tool in
# its dry run, rounds alternating the tools, medians; peak RSS per file,
# and per file beyond the bytes of its name (issue 12's measure).
#
#   sh bench/many.sh TREE [ROUNDS]
#   HARDLINKS="old=/tmp/hl-old new=build/hardlink" PEERS=rdfind \
#       sh bench/many.sh /tmp/hardlink-corpus/synthetic/tiny-many 3
#   sh bench/many.sh --make DIR COUNT     # a tree of COUNT tiny files
#
# --make runs bench/gen-many.c (tiny-many's mix, in C: ten million files
# take minutes, not hours).  For 10,000,000 files make it on its own
# ext4 image with inline data, so that the files take inodes and no data
# blocks (40 GB otherwise), and check `df -i` first:
#   truncate -s 16G /tmp/hardlink-10m.img
#   mkfs.ext4 -q -O inline_data -N 10600000 -I 256 /tmp/hardlink-10m.img
#   mkdir /tmp/hardlink-10m && mount -o loop /tmp/hardlink-10m.img /tmp/hardlink-10m
#   sh bench/many.sh --make /tmp/hardlink-10m/tree 10000000
#
# Commands: `hardlink -n -c TREE`, `rdfind -dryrun true -makehardlinks
# true -makeresultsfile false TREE` (no results.txt: it would be as big as
# the tree's list), each under bench/measure.c (wall, CPU, peak RSS).
# TIMEOUT (seconds, default 7200) ends a tool that takes longer.
set -eu
cd "$(dirname "$0")/.."
SCRATCH=${SCRATCH:-/tmp/hardlink-bench-many}
mkdir -p "$SCRATCH"
if [ "${1:-}" = --make ]; then
	gcc -O2 -o "$SCRATCH/gen-many" bench/gen-many.c
	exec "$SCRATCH/gen-many" "$2" "$3"
fi
TREE=$1
ROUNDS=${2:-3}
HARDLINKS=${HARDLINKS:-hardlink=build/hardlink}
PEERS=${PEERS:-rdfind}
TIMEOUT=${TIMEOUT:-7200}
gcc -O2 -o "$SCRATCH/measure" bench/measure.c

# files and the bytes of their names, once
set -- $(find "$TREE" -type f -printf '%f\n' |
	awk '{ n++; b += length($0) } END { print n, b }')
FILES=$1 NAMEB=$2
echo "tree: $TREE: $FILES files, $NAMEB bytes of names ($(awk "BEGIN { printf \"%.1f\", $NAMEB / $FILES }") per file)"

run() # LABEL ARGV...: one measured run, appended to $SCRATCH/runs
{
	label=$1; shift
	wd=$SCRATCH/wd.$label
	rm -rf "$wd" && mkdir -p "$wd"
	m=$("$SCRATCH/measure" -d "$wd" -t "$TIMEOUT" -- "$@")
	echo "$label $m" | tee -a "$SCRATCH/runs"
}

: >"$SCRATCH/runs"
r=0
while [ "$r" -lt "$ROUNDS" ]; do
	r=$((r + 1))
	for h in $HARDLINKS; do
		bin=${h#*=}
		case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
		run "${h%%=*}" "$bin" -n -c "$TREE"
	done
	for p in $PEERS; do
		case $p in
		rdfind) run rdfind rdfind -dryrun true -makehardlinks true \
			-makeresultsfile false "$TREE" ;;
		*) echo "unknown peer $p" >&2; exit 2 ;;
		esac
	done
done

# medians: wall user sys maxrss_kib; exit code and killed of the last run
echo
echo "| tool | wall s | user s | sys s | peak RSS MB | bytes/file | bytes/file beyond the name | exit |"
echo "|---|---:|---:|---:|---:|---:|---:|---|"
for t in $(awk '{ print $1 }' "$SCRATCH/runs" | awk '!s[$0]++'); do
	awk -v t="$t" -v files="$FILES" -v nameb="$NAMEB" '
	function med(a, n,   i, j, x) {
		for (i = 2; i <= n; i++) { x = a[i]; for (j = i - 1; j > 0 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	$1 == t { n++; w[n] = $2; u[n] = $3; s[n] = $4; m[n] = $5; code = $8; k = $9 }
	END {
		rss = med(m, n) * 1024
		printf "| %s | %.2f | %.2f | %.2f | %.1f | %.1f | %.1f | %s%s |\n", t,
			med(w, n), med(u, n), med(s, n), rss / 1e6, rss / files,
			(rss - nameb) / files, code, k == 1 ? " (killed: timeout)" : ""
	}' "$SCRATCH/runs"
done
