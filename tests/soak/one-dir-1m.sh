#!/bin/sh
# tests/soak/one-dir-1m.sh - the long version of t0920's last case:
# 1,000,000 files in ONE directory (400,000 identical pairs and 200,000
# single files of 3 to 8 bytes), a dry run and a real run, each timed
# with /usr/bin/time -v, then every file checked (bytes, and pairs
# sharing an inode with 2 links, singles with 1).  Not part of the CI
# suite.  As root the tree lives on a loop ext4 (1 KiB blocks, no
# "discard": a disk mounted with discard pays a synchronous discard for
# every freed block, 30x slower); otherwise in a directory under TMPDIR.
#   sh tests/soak/one-dir-1m.sh [BINARY [NFILES]]
#
# The ext4 needs large_dir: with 1 KiB blocks a two-level htree holds
# fewer than 400,000 names (ENOSPC at 389,003 without it).
#
# Measured 2026-11-25 on the project VM (Debian 12, 2 vCPUs, another
# agent's jobs on the other core), loop ext4, build of commit a4e5638:
#   making 1,000,000 files                      42 s
#   dry run  (-n):  20.35 s wall, 3.32 s user, 11.90 s sys, max RSS 333,440 KiB
#   real run:       43.17 s wall, 4.52 s user, 29.42 s sys, max RSS 333,516 KiB
#   Linked: 400000 files; every file checked afterwards, no temporary.
# (t0920's 100,000-file version: dry 1.4 s, real 3.2 s, max RSS 35 MiB.)
set -eu
cd "$(dirname "$0")/../.."
[ -x build/hardlink ] || sh build.sh
BIN=$(cd "$(dirname "${1:-build/hardlink}")" && pwd -P)/$(basename "${1:-build/hardlink}")
N=${2:-1000000}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
W=$(mktemp -d "${TMPDIR:-/tmp}/one-dir-1m.XXXXXX")
DEV=
cleanup()
{
	cd /
	if [ -n "$DEV" ]; then
		umount "$W/m" || umount -l "$W/m" || true
		losetup -d "$DEV" || true
	fi
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir "$W/m"
if [ "$(id -u)" = 0 ]; then
	truncate -s $((N / 1000 * 3 + 512))M "$W/img"
	mkfs.ext4 -q -b 1024 -O large_dir -N $((N + N / 10)) "$W/img"
	DEV=$(losetup -f --show "$W/img")
	mount "$DEV" "$W/m"
	echo "# loop ext4 on $DEV"
fi
cd "$W/m"

echo "# making $N files in one directory"
t0=$(date +%s)
"$PY" - "$N" <<'PY'
import os, sys
n = int(sys.argv[1])
pairs = n * 8 // 10
os.mkdir("big")
fd = os.open("big", os.O_RDONLY | os.O_DIRECTORY)
for i in range(n):
    data = (b"p%d\n" % (i // 2)) if i < pairs else (b"u%d\n" % i)
    f = os.open("f%07d" % i, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644,
                dir_fd=fd)
    os.write(f, data)
    os.utime(f, (1700000000, 1700000000))
    os.close(f)
PY
echo "# made in $(($(date +%s) - t0)) s"

# timed LABEL ARGS...: runs the binary under /usr/bin/time -v
timed()
{
	label=$1
	shift
	/usr/bin/time -v -o "$W/time.$label" "$BIN" "$@" >"$W/out.$label" \
		2>"$W/err.$label"
	cat "$W/out.$label" "$W/err.$label"
	[ ! -s "$W/err.$label" ]
	echo "# $label: $(sed -n 's/.*Elapsed (wall clock) time.*: //p' "$W/time.$label") wall," \
		"$(sed -n 's/.*User time (seconds): //p' "$W/time.$label") s user," \
		"$(sed -n 's/.*System time (seconds): //p' "$W/time.$label") s sys," \
		"max RSS $(sed -n 's/.*Maximum resident set size (kbytes): //p' "$W/time.$label") KiB"
}

timed dry -n big
want="$((N * 8 / 10 / 2)) files"
[ "$(sed -n 's/^Linked: *//p' "$W/out.dry")" = "$want" ]
timed real big
[ "$(sed -n 's/^Linked: *//p' "$W/out.real")" = "$want" ]

echo "# checking every file"
"$PY" - "$N" <<'PY'
import os, sys
n = int(sys.argv[1])
pairs = n * 8 // 10
fd = os.open("big", os.O_RDONLY | os.O_DIRECTORY)
names = os.listdir(fd)
assert len(names) == n, len(names)
st = {nm: os.stat(nm, dir_fd=fd, follow_symlinks=False) for nm in names}
for i in range(n):
    s = st["f%07d" % i]
    f = os.open("f%07d" % i, os.O_RDONLY, dir_fd=fd)
    data = os.read(f, 100)
    os.close(f)
    if i < pairs:
        assert data == b"p%d\n" % (i // 2), i
        mate = st["f%07d" % (i ^ 1)]
        assert s.st_ino == mate.st_ino and s.st_nlink == 2, i
    else:
        assert data == b"u%d\n" % i and s.st_nlink == 1, i
print("# all %d files checked: pairs linked, bytes kept" % n)
PY
[ -z "$(find big -name '.hardlink-tmp-*' -print -quit)" ]
echo "# one-dir-1m: ok"
