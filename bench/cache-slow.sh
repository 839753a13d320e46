#!/bin/sh
# bench/cache-slow.sh - a --cache re-run against the metadata walk alone
# (find -printf '%s %i\n') on a slow disk: TREE (an already linked tree,
# e.g. bench/cache.py's $CORPUS/bench-scratch/cache/npm) is copied onto an
# ext4 image on a loop device with direct I/O, the cache is made there by
# one unthrottled dry run, then ROUNDS rounds alternate the two commands,
# each started inside a blkio cgroup that limits the device to IOPS (400)
# read requests/s, with the page cache dropped before each; prints wall
# times and read requests (blkio.throttle.io_serviced).  Root only; the
# cgroup, mount, loop device and image are removed on exit.
#
#   HARDLINK=build/hardlink ROUNDS=2 sh bench/cache-slow.sh TREE
set -eu
tree=${1:?usage: sh bench/cache-slow.sh TREE}
HL=$(realpath "${HARDLINK:-build/hardlink}")
ROUNDS=${ROUNDS:-2} IOPS=${IOPS:-400}
[ "$(id -u)" = 0 ] || { echo "bench/cache-slow.sh: root only" >&2; exit 1; }
S=$(mktemp -d /tmp/cache-slow.XXXXXX)
CG=/sys/fs/cgroup/blkio/hardlink-cache-slow.$$
LOOP=""
cleanup()
{
	[ -d "$CG" ] && { cat "$CG/cgroup.procs" 2>/dev/null | while read -r p; do
		echo "$p" >/sys/fs/cgroup/blkio/cgroup.procs; done; rmdir "$CG"; }
	umount "$S/mnt" 2>/dev/null || umount -l "$S/mnt" 2>/dev/null || :
	[ -n "$LOOP" ] && losetup -d "$LOOP" 2>/dev/null || :
	rm -rf "$S"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
size=$(du -sb "$tree" | cut -f1)
truncate -s $(((size * 2 / 4096 + 262144) * 4096)) "$S/img"
mkfs.ext4 -q -b 4096 "$S/img"
LOOP=$(losetup --direct-io=on -f --show "$S/img")
mkdir "$S/mnt" && mount "$LOOP" "$S/mnt"
cp -a "$tree" "$S/mnt/tree"
sync -f "$S/mnt"
sleep 3	# nothing in the tree changed within the racy window
"$HL" -n -q --cache="$S/mnt/c.db" "$S/mnt/tree"
dev=$(lsblk -dno MAJ:MIN "$LOOP" | tr -d ' ')
mkdir "$CG"
echo "$dev $IOPS" >"$CG/blkio.throttle.read_iops_device"
reqs() { awk -v d="$dev" '$1 == d && $2 == "Read" { print $3 }' "$CG/blkio.throttle.io_serviced"; }
timed() # NAME CMD...: one cold run inside the cgroup
{
	name=$1; shift
	sync -f "$S/mnt"; echo 3 >/proc/sys/vm/drop_caches
	r0=$(reqs); r0=${r0:-0}
	t0=$(date +%s.%N)
	sh -c 'echo $$ >"$0/cgroup.procs"; shift; exec "$@"' "$CG" x "$@" >/dev/null
	t1=$(date +%s.%N)
	r1=$(reqs)
	printf '%-28s %8.2f s %8d read requests\n' "$name" \
		"$(echo "$t1 - $t0" | bc)" $((r1 - r0))
}
echo "tree: $tree ($(find "$S/mnt/tree" -type f | wc -l) files), $IOPS read requests/s, page cache dropped before each run"
for i in $(seq "$ROUNDS"); do
	timed "find -printf" find "$S/mnt/tree" -printf '%s %i\n'
	timed "hardlink -n --cache (re-run)" "$HL" -n -q --cache="$S/mnt/c.db" "$S/mnt/tree"
done
