#!/bin/bash
# bench/mpi-balance.sh - hardlink-mpi on a corpus (default the npm one):
# per-rank balance and messages for N ranks, and the same partition and
# summary as hardlink.  Not part of CI (minutes; needs the corpus).
#
#   bash bench/mpi-balance.sh [BUILD] [CORPUS] [SCRATCH]
#
# For N in $NS (default 2 4 8, oversubscribed): a dry run with
# --mpi-stats (max/mean of files walked, records owned, bytes read,
# messages; wall time), and a dry -l run compared byte for byte with
# hardlink's -l (the same groups, kept files and order: the same
# partition).  The summary lines (but Duration:) are compared too.
# Then a real run on a copy of two of the corpus's trees in SCRATCH
# (hardlink on one copy, hardlink-mpi -np 4 on another): the same
# partition of paths into inodes.  The corpus itself is only read.
set -eu
B=${1:-build}
C=${2:-/tmp/hardlink-corpus/npm}
S=${3:-/tmp/hardlink-mpi-bench}
NS=${NS:-"2 4 8"}
H=$B/hardlink
M=$B/hardlink-mpi
mkdir -p "$S"
run() { /usr/bin/time -f %e -o "$S/time" "$@"; }
mpi() { n=$1; shift; mpirun --oversubscribe --allow-run-as-root -np "$n" "$M" "$@"; }

run "$H" -n "$C" >"$S/h.sum"
echo "hardlink -n: $(cat "$S/time") s"
"$H" -l "$C" >"$S/h.list"
grep -v '^Duration:' "$S/h.sum" >"$S/h.sum.s"
printf '%-3s %8s %10s %10s %10s %10s %8s %10s %8s %5s %5s\n' N wall_s \
	files_max/mean owned_max/mean read_max/mean opened_max/mean msgs \
	msg_bytes steals sum list
for n in $NS; do
	run mpirun --oversubscribe --allow-run-as-root -np "$n" "$M" -n \
		--mpi-stats="$S/st$n" "$C" >"$S/m$n.sum"
	t=$(cat "$S/time")
	mpi "$n" -l "$C" >"$S/m$n.list"
	grep -v '^Duration:' "$S/m$n.sum" >"$S/m$n.sum.s"
	same_sum=no; cmp -s "$S/h.sum.s" "$S/m$n.sum.s" && same_sum=yes
	same_list=no; cmp -s "$S/h.list" "$S/m$n.list" && same_list=yes
	python3 - "$S/st$n" "$n" "$t" "$same_sum" "$same_list" <<'PY'
import sys
rows = []
for line in open(sys.argv[1]):
    f = line.split()
    rows.append({f[i]: int(f[i + 1]) for i in range(0, len(f) - 1, 2)})
def mm(k):
    v = [r[k] for r in rows]
    mean = sum(v) / len(v)
    return f"{max(v) / mean:.2f}" if mean else "-"
print(f"{sys.argv[2]:<3} {sys.argv[3]:>8} {mm('files'):>10} {mm('owned'):>10} "
      f"{mm('bytes_read'):>10} {mm('files_opened'):>10} "
      f"{sum(r['msgs'] for r in rows):>8} "
      f"{sum(r['msg_bytes'] for r in rows):>10} "
      f"{sum(r['steals'] for r in rows):>8} {sys.argv[4]:>5} {sys.argv[5]:>5}")
PY
	sed 's/^/#   /' "$S/st$n"
done

# real runs on copies of two trees
rm -rf "$S/a" "$S/b"
mkdir "$S/a" "$S/b"
for t in jest vite-vitest; do
	cp -a "$C/$t" "$S/a/" && cp -a "$C/$t" "$S/b/"
done
"$H" "$S/a" >"$S/ra.sum"
mpi 4 "$S/b" >"$S/rb.sum"
part() { (cd "$1" && find . -type f -printf '%i %p\n' | sort |
	awk '{i=$1; $1=""; if (i!=l && NR>1) print s; if (i!=l) s=$0; else s=s" |"$0; l=i} END {print s}' | sort); }
part "$S/a" >"$S/pa"; part "$S/b" >"$S/pb"
if cmp -s "$S/pa" "$S/pb" &&
	cmp -s <(grep -v Duration: "$S/ra.sum") <(grep -v Duration: "$S/rb.sum") 2>/dev/null; then
	echo "real run (jest + vite-vitest copies, -np 4): same partition and summary"
else
	cmp -s "$S/pa" "$S/pb" && echo "real run: same partition" ||
		echo "real run: PARTITIONS DIFFER"
	diff "$S/ra.sum" "$S/rb.sum" || true
fi
rm -rf "$S/a" "$S/b"
