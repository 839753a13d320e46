#!/bin/sh
# bench/usr-dryrun.sh - dry run over a read-only tree (default /usr), this
# hardlink against util-linux's, alternating the order, median of N runs.
# Prints each run, the medians and the ratio; checks both reported the
# same Files/Linked/Saved lines.
#   sh bench/usr-dryrun.sh [TREE] [RUNS]
set -eu
cd "$(dirname "$0")/.."
tree=${1:-/usr}
runs=${2:-5}
ours=${HARDLINK:-./build/hardlink}
theirs=${UL_HARDLINK:-/usr/bin/hardlink}
[ -x "$ours" ] || sh build.sh

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# one TOOL OUTFILE: wall seconds of one dry run
one()
{
	s=$(date +%s.%N)
	"$1" -n "$tree" >"$2" 2>/dev/null || true
	e=$(date +%s.%N)
	echo "$e - $s" | bc
}

"$ours" -n "$tree" >/dev/null 2>&1 || true	# warm the cache
i=1
while [ "$i" -le "$runs" ]; do
	if [ $((i % 2)) -eq 1 ]; then
		a=$(one "$ours" "$tmp/ours"); b=$(one "$theirs" "$tmp/theirs")
	else
		b=$(one "$theirs" "$tmp/theirs"); a=$(one "$ours" "$tmp/ours")
	fi
	echo "run $i: hardlink $a s, util-linux $b s"
	echo "$a" >>"$tmp/a"; echo "$b" >>"$tmp/b"
	i=$((i + 1))
done
med() { sort -n "$1" | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
ma=$(med "$tmp/a"); mb=$(med "$tmp/b")
echo "median: hardlink $ma s, util-linux $mb s, ratio $(echo "scale=3; $ma / $mb" | bc)"
for l in Files: Linked: Saved:; do
	x=$(grep "^$l" "$tmp/ours"); y=$(grep "^$l" "$tmp/theirs")
	[ "$x" = "$y" ] && echo "same   $x" || echo "DIFFER ours: $x / util-linux: $y"
done
