#!/bin/sh
# bench/cold-private.sh - cold-cache runs without dropping the machine's
# page cache: the corpus is copied onto a private ext4 image, attached to
# a loop device with direct I/O (the image file is not cached twice) and
# mounted; before every timed run the image is unmounted and mounted
# again, which drops its cache only.
#
#   sh bench/cold-private.sh                  hardlink -n -c on npm
#   HARDLINK_PREV=/tmp/main/hardlink ROUNDS=5 sh bench/cold-private.sh
#   ARGS="-n -v" RDFIND=0 sh bench/cold-private.sh
#
# Root only.  Per run, in the order the tools alternate: the read
# requests the loop device completed and merged (/sys/block/loopN/stat:
# the requests the disk below sees, one per loop request), the bios the
# run's blkio cgroup submitted (blkio.throttle.io_serviced counts bios
# before any merge), bytes, wall, user and system seconds; then medians
# and ratios.  The -v output of HARDLINK and HARDLINK_PREV (Duration left
# out) must be byte-identical.  Knobs: CORPUS (/tmp/hardlink-corpus),
# SET (npm), ROUNDS (3), HARDLINK (build/hardlink), HARDLINK_PREV (none),
# RDFIND (1: rdfind -dryrun in the first RDFIND rounds; it is slow on
# the loop device), ARGS ("-n -c"), and
# MNT with LOOP to reuse an image already mounted (nothing is copied).
# The cgroup, mount, loop device and image are removed on exit.
set -eu
[ "$(id -u)" = 0 ] || { echo "bench/cold-private.sh: root only" >&2; exit 1; }
cd "$(dirname "$0")/.."
CORPUS=${CORPUS:-/tmp/hardlink-corpus}
SET=${SET:-npm}
ROUNDS=${ROUNDS:-3}
HARDLINK=${HARDLINK:-build/hardlink}
HARDLINK_PREV=${HARDLINK_PREV:-}
RDFIND=${RDFIND:-1}
ARGS=${ARGS:--n -c}
CGROOT=/sys/fs/cgroup/blkio
[ -w "$CGROOT/cgroup.procs" ] || { echo "bench/cold-private.sh: no cgroup v1 blkio controller at $CGROOT" >&2; exit 1; }
CG=""
WORK=$(mktemp -d /tmp/hardlink-cold.XXXXXX)
own=0
loop=${LOOP:-}
mnt=${MNT:-}

cleanup() {
	set +e
	if [ -n "$CG" ] && [ -d "$CG" ]; then
		for p in $(cat "$CG/cgroup.procs" 2>/dev/null); do echo "$p" >"$CGROOT/cgroup.procs"; done
		rmdir "$CG" || echo "bench/cold-private.sh: could not remove $CG" >&2
	fi
	if [ $own = 1 ]; then
		if mountpoint -q "$mnt"; then umount "$mnt" || umount -l "$mnt"; fi
		losetup -d "$loop"
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

if [ -z "$mnt" ]; then
	own=1
	mnt=$WORK/mnt
	mkdir "$mnt"
	kib=$(du -sk "$CORPUS/$SET" | cut -f1)
	truncate -s $((kib * 3 / 2 / 1024 + 512))M "$WORK/image"
	mkfs.ext4 -q -F -T default "$WORK/image"
	loop=$(losetup --direct-io=on -f --show "$WORK/image")
	mount "$loop" "$mnt"
	echo "copying $CORPUS/$SET to $loop ($WORK/image)"
	cp -a "$CORPUS/$SET" "$mnt/$SET"
	sync
fi
dev=$(basename "$loop")
majmin=$(cat "/sys/block/$dev/dev")
tree=$mnt/$SET
nrun=0

# run LABEL CMD...: one cold run; appends LABEL requests merges bios
# bytes wall user sys to $WORK/runs
run() {
	label=$1; shift
	umount "$mnt"
	mount "$loop" "$mnt"
	# a fresh cgroup per run (reset_stats leaves the throttle counts);
	# blk-throttle counts a device's bios only once it has a rule
	nrun=$((nrun + 1))
	CG=$CGROOT/hardlink-cold.$$.$nrun
	mkdir "$CG"
	echo "$majmin 1000000" >"$CG/blkio.throttle.read_iops_device"
	s0=$(cat "/sys/block/$dev/stat")
	/usr/bin/time -f "%e %U %S" -o "$WORK/time" sh -c \
		'echo $$ >"$0/cgroup.procs"; exec "$@"' "$CG" "$@" \
		>"$WORK/out.$label" 2>&1 || true
	s1=$(cat "/sys/block/$dev/stat")
	bios=$(awk -v d="$majmin" '$1 == d && $2 == "Read" {print $3}' "$CG/blkio.throttle.io_serviced")
	bytes=$(awk -v d="$majmin" '$1 == d && $2 == "Read" {print $3}' "$CG/blkio.throttle.io_service_bytes")
	rmdir "$CG"
	echo "$label $(echo "$s0 $s1" | awk '{print $18 - $1, $19 - $2}') ${bios:-0} ${bytes:-0} $(tail -1 "$WORK/time")" |
		tee -a "$WORK/runs"
}

echo "label requests merged bios bytes wall user sys"
r=1
while [ $r -le "$ROUNDS" ]; do
	# shellcheck disable=SC2086
	{
		[ -z "$HARDLINK_PREV" ] || run prev "$HARDLINK_PREV" $ARGS -v "$tree"
		run hardlink "$HARDLINK" $ARGS -v "$tree"
		[ "$r" -gt "$RDFIND" ] || run rdfind rdfind -dryrun true -makehardlinks true -makeresultsfile false "$tree"
	}
	if [ -n "$HARDLINK_PREV" ] && ! cmp -s "$WORK/out.prev" "$WORK/out.hardlink"; then
		grep -v '^Duration:' "$WORK/out.prev" >"$WORK/a"
		grep -v '^Duration:' "$WORK/out.hardlink" >"$WORK/b"
		cmp -s "$WORK/a" "$WORK/b" || { echo "bench/cold-private.sh: outputs differ" >&2; diff "$WORK/a" "$WORK/b" | head >&2; exit 1; }
	fi
	r=$((r + 1))
done
echo "medians (cpu = user + sys):"
awk '{n[$1]++; for (i = 2; i <= 8; i++) v[$1, i, n[$1]] = $i; v[$1, 9, n[$1]] = $7 + $8}
END {
	for (l in n) {
		printf "%-9s", l
		for (i = 2; i <= 9; i++) {
			k = n[l]; delete a
			for (j = 1; j <= k; j++) a[j] = v[l, i, j]
			# insertion sort, k is small
			for (j = 2; j <= k; j++) { x = a[j]; m = j - 1; while (m > 0 && a[m] > x) { a[m + 1] = a[m]; m-- } a[m + 1] = x }
			med[l, i] = k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
			printf " %s=%s", (i == 2 ? "requests" : i == 3 ? "merged" : i == 4 ? "bios" : i == 5 ? "bytes" : i == 6 ? "wall" : i == 7 ? "user" : i == 8 ? "sys" : "cpu"), med[l, i]
		}
		printf "\n"
	}
	for (l in n) if (l != "hardlink" && ("hardlink", 2) in med)
		printf "hardlink/%s: requests %.2fx, wall %.2fx, cpu %.2fx\n", l,
			med["hardlink", 2] / med[l, 2], med["hardlink", 6] / med[l, 6], med["hardlink", 9] / med[l, 9]
}' "$WORK/runs"
