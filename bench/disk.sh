#!/bin/sh
# bench/disk.sh - bench/bench.py on cold page caches and on a slow disk.
#
#   sh bench/disk.sh cold     page cache dropped (sync -f CORPUS; echo 3 >
#                             /proc/sys/vm/drop_caches) before every timed run,
#                             corpora where they are (default CORPORA=npm)
#   sh bench/disk.sh slow     the same on a slow disk: SLOW_CORPORA (default
#                             npm-small: npm's express-mongoose and vite-vitest
#                             projects) copied onto an ext4 image in a scratch
#                             dir under /tmp, attached to a loop device with
#                             direct I/O (no second cache of the image file)
#                             and mounted; reads of the loop device are limited
#                             to SLOW_IOPS (400) requests/s with the cgroup v1
#                             blkio controller
#
# Root only.  Every timed run starts inside a child blkio cgroup (a wrapper
# shell writes its pid to cgroup.procs and execs the tool), so each tool's
# read requests and bytes come from blkio.throttle.io_serviced and
# io_service_bytes, in both modes.  The cgroup, the mount, the loop device
# and the image are removed on exit, also after a failure or a signal.
# Other knobs (ROUNDS, TOOLS, HARDLINK, HARDLINK_PREV, OUT...) as in
# bench/bench.py; run bench/run.sh once first for the peers and corpora.
#
#   ROUNDS=3 sh bench/disk.sh cold
#   HARDLINK_PREV=/tmp/old/hardlink SLOW_IOPS=400 sh bench/disk.sh slow
set -eu
mode=${1:-}
case $mode in cold | slow) ;; *) echo "usage: sh bench/disk.sh cold|slow" >&2; exit 2 ;; esac
[ "$(id -u)" = 0 ] || { echo "bench/disk.sh: root only (drops the page cache, mounts, cgroups)" >&2; exit 1; }
cd "$(dirname "$0")/.."
CORPUS=${CORPUS:-/tmp/hardlink-corpus}
CGROOT=/sys/fs/cgroup/blkio
[ -w "$CGROOT/cgroup.procs" ] || { echo "bench/disk.sh: no cgroup v1 blkio controller at $CGROOT" >&2; exit 1; }
CG=$CGROOT/hardlink-bench.$$
WORK=""
loop=""
mnt=""

cleanup() {
	set +e
	if [ -d "$CG" ]; then
		for p in $(cat "$CG/cgroup.procs" 2>/dev/null); do echo "$p" >"$CGROOT/cgroup.procs"; done
		rmdir "$CG" || echo "bench/disk.sh: could not remove $CG" >&2
	fi
	if [ -n "$mnt" ] && mountpoint -q "$mnt"; then umount "$mnt" || umount -l "$mnt"; fi
	[ -z "$loop" ] || losetup -d "$loop"
	[ -z "$WORK" ] || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# the whole disk's MAJ:MIN (blk-throttle counts per disk, not per partition)
disk_of() {
	d=$(findmnt -no MAJ:MIN -T "$1" | tr -d ' ')
	if [ -e "/sys/dev/block/$d/partition" ]; then
		d=$(cat "/sys/dev/block/$d/../dev")
	fi
	echo "$d"
}

mkdir "$CG"
case $mode in
cold)
	export CORPORA=${CORPORA:-npm}
	BLKIO_DEV=$(disk_of "$CORPUS")
	# blk-throttle counts a device's requests only once it has a rule:
	# a limit no disk here reaches (requests per second)
	echo "$BLKIO_DEV ${COLD_IOPS:-1000000}" >"$CG/blkio.throttle.read_iops_device"
	;;
slow)
	IOPS=${SLOW_IOPS:-400}
	WORK=$(mktemp -d /tmp/hardlink-disk.XXXXXX)
	mnt=$WORK/mnt
	mkdir "$mnt"
	sets=${SLOW_CORPORA:-npm-small}
	srcs=""
	for s in $(echo "$sets" | tr , ' '); do
		case $s in
		npm-small) for p in ${NPM_SMALL:-express-mongoose vite-vitest}; do srcs="$srcs $CORPUS/npm/$p"; done ;;
		*) if [ -d "$CORPUS/synthetic/$s" ]; then srcs="$srcs $CORPUS/synthetic/$s"; else srcs="$srcs $CORPUS/$s"; fi ;;
		esac
	done
	# shellcheck disable=SC2086
	kib=$(du -sk $srcs | awk '{n += $1} END {print n}')
	truncate -s $((kib * 3 / 2 / 1024 + 256))M "$WORK/image"
	mkfs.ext4 -q -F -T default "$WORK/image" # 4 KiB blocks, 256-byte inodes, as on a disk
	loop=$(losetup --direct-io=on -f --show "$WORK/image")
	mount "$loop" "$mnt"
	for s in $(echo "$sets" | tr , ' '); do
		case $s in
		npm-small)
			mkdir "$mnt/$s"
			for p in ${NPM_SMALL:-express-mongoose vite-vitest}; do cp -a "$CORPUS/npm/$p" "$mnt/$s/"; done ;;
		*) if [ -d "$CORPUS/synthetic/$s" ]; then cp -a "$CORPUS/synthetic/$s" "$mnt/$s"; else cp -a "$CORPUS/$s" "$mnt/$s"; fi ;;
		esac
	done
	sync
	BLKIO_DEV=$(cat "/sys/block/$(basename "$loop")/dev")
	echo "$BLKIO_DEV $IOPS" >"$CG/blkio.throttle.read_iops_device"
	echo "slow disk: $loop ($BLKIO_DEV) on $WORK/image mounted at $mnt, reads limited to $IOPS requests/s"
	export CORPORA=$sets TREE_ROOT=$mnt SLOW_IOPS=$IOPS
	;;
esac
export MODE=$mode BLKIO_CG=$CG BLKIO_DEV CORPUS
export OUT=${OUT:-bench/out-$mode}
echo "mode $mode: the page cache is dropped before every timed run; blkio cgroup $CG, device $BLKIO_DEV"
python3 bench/bench.py
