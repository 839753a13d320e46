#!/bin/sh
# t1100: --cache, the content cache (src/cache.c).  The cache may only
# prove that files differ: each case checks links and bytes, not only
# the counters, and the "reads nothing" case counts read calls on the
# tree's files with strace.
#
# Entries of files changed within 2 s of a run's start are never written
# (the racy-entry rule), so the trees of the cases that need entries are
# built once, before the first case, and aged by one sleep.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-cli.sh"

BASE=$(mktemp -d "$TEST_TMP/t1100-base.XXXXXX")

# trees DIR...: in each DIR, 40 distinct files of 100 bytes (s0-s39),
# 20 of 10,000 (m0-m19; their heads and tails differ), a and b identical
# (5,000 bytes), and c differing from them only in its last byte (so it
# shares their head); all with mtime T0.  One python for all: the
# machine may be loaded.
trees()
{
	python3 - "$T0" "$@" <<-'EOF'
	import os, sys
	t0 = int(sys.argv[1])
	def put(path, data):
	    with open(path, "wb") as f:
	        f.write(data)
	    os.utime(path, (t0, t0))
	pat = b"abcdefghijklmnopqrstuvwxyz0123456789\n" * 200
	for d in sys.argv[2:]:
	    os.makedirs(d, exist_ok=True)
	    for i in range(40):
	        put("%s/s%d" % (d, i), (b"%08d" % i + b"." * 100)[:100])
	    for i in range(20):
	        put("%s/m%d" % (d, i), b"%08d" % i + b"-" * 9984 + b"%08d" % i)
	    put(d + "/a", pat[:5000])
	    put(d + "/b", pat[:5000])
	    put(d + "/c", pat[:4999] + b"Z")
	    if d.endswith("/full"):
	        for i in range(3000):
	            put("%s/x%d" % (d, i), (b"%08d" % i + b"." * 64)[:64])
	EOF
}
tree() { trees "$@"; }

set --
for n in rerun json moved equal differ concurrent kill9 \
	zero garbage truncated future symlink dir unwritable full; do
	set -- "$@" "$BASE/$n"
done
trees "$@" || exit 1
# an already linked tree
ln -f "$BASE/rerun/a" "$BASE/rerun/b" || exit 1
# a small ext4 whose inodes are all used, so that a new file takes the
# inode number of the one just removed (root only)
INO=""
if [ "$(id -u)" = 0 ] && command -v mkfs.ext4 >/dev/null; then
	truncate -s 8M "$BASE/ino.img" && mkfs.ext4 -q -N 96 "$BASE/ino.img" &&
	mkdir "$BASE/ino" && mount -o loop "$BASE/ino.img" "$BASE/ino" &&
	INO=$BASE/ino && trap 'umount "$INO"' EXIT &&
	trees "$INO/t" && i=0 &&
	while { true >"$INO/fill$i"; } 2>/dev/null; do i=$((i + 1)); done
fi
sleep 2.2

# cached DIR: copies nothing; the aged tree of the case.
cached() { printf '%s\n' "$BASE/$1"; }

# answered: the count of "Cache answered:" in the -v summary.
answered() { summary_line 'Cache answered:' "$SCRATCH/out" | cut -d' ' -f1; }

# linked_ok DIR: a and b share an inode, c and the others do not, and
# every file holds its bytes.
linked_ok()
{
	same_inode "$1/a" "$1/b" && diff_inode "$1/a" "$1/c" &&
	[ "$(find "$1" -type f -links 1 | wc -l)" = 61 ] &&
	[ "$(tail -c 1 "$1/c")" = Z ] &&
	[ "$(head -c 8 "$1/m7")" = 00000007 ]
}

expect_success 'a re-run over an unchanged tree reads no byte of it (strace); the cache answers for every distinct file' '
	command -v strace >/dev/null || skip_now "no strace"
	t=$(cached rerun) &&
	hl -n -v --cache=c.db "$t" && clean_run &&
	[ "$(answered)" = 0 ] &&
	# LeakSanitizer cannot work under ptrace (the ASan build)
	ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" \
	PATH="$HLDIR:$PATH" strace -f -y -o trace -e trace=read,pread64,preadv,readv,mmap \
		"$HLBASE" -n -v --cache=c.db "$t" >"$SCRATCH/out" 2>"$SCRATCH/err" &&
	[ ! -s err ] &&
	{ ! grep "<$t/" trace || { echo "read the tree"; exit 1; }; } &&
	[ "$(answered)" = 62 ] &&
	has_line out "Read:                     0 bytes in 0 files" &&
	summary_line "Cache answered:" out | grep -qx "62 files, [0-9]* bytes spared"
'

expect_success 'off by default; --no-cache wins over an earlier --cache; the default file is $XDG_CACHE_HOME/hardlink/cache.db, 0600 in a 0700 directory' '
	tree t && mkdir xdg home && export XDG_CACHE_HOME="$SCRATCH/xdg" &&
	hl -n t && clean_run && [ -z "$(ls xdg)" ] &&
	hl -n --cache --no-cache t && clean_run && [ -z "$(ls xdg)" ] &&
	hl -n --cache t && clean_run &&
	[ "$(stat -c %a xdg/hardlink)" = 700 ] &&
	[ "$(stat -c %a xdg/hardlink/cache.db)" = 600 ] &&
	export HOME="$SCRATCH/home" XDG_CACHE_HOME= && hl -n --cache t &&
	clean_run && [ -f home/.cache/hardlink/cache.db ]
'

expect_success '--cache= (an empty name) is a usage error' '
	tree t && hl --cache= t && rc_is 1 &&
	err_is "hardlink: empty cache file name" && [ ! -s out ]
'

expect_success '--json carries the counters; the summary without -v has no cache line' '
	t=$(cached json) &&
	hl -n --cache=c.db "$t" && clean_run && no_line out "^Cache" &&
	hl -n --json --cache=c.db "$t" && clean_run &&
	grep -q "\"cache_answered\": 61, \"cache_bytes_spared\": [1-9][0-9]*," out
'

# The rule as an invariant of what was written (a test that a fresh file
# is left out would depend on the machine's speed).
expect_success 'no entry of a file changed within 2 s of the run start is written (racy entries)' '
	tree t && chmod 644 t/s1 t/m1 &&
	hl -n -v --cache=c.db t && clean_run &&
	[ "$(sqlite3 c.db "SELECT count(*) FROM file WHERE
		max(ctime, mtime) >= (SELECT started FROM runs) - 2000000000")" = 0 ]
'

expect_success 'a tree moved and renamed: its entries are found by inode' '
	t=$(cached moved) &&
	hl -n --cache=c.db "$t" && clean_run &&
	mv "$t" "$t.moved" &&
	hl -n -v --cache=c.db "$t.moved" && clean_run && [ "$(answered)" = 61 ] &&
	hl --cache=c.db "$t.moved" && clean_run && linked_ok "$t.moved"
'

expect_success 'a file changed in place to equal another, size and mtime restored (touch -r): linked by the next run' '
	t=$(cached equal) &&
	hl -n --cache=c.db "$t" && clean_run &&
	cp -p "$t/s2" s2.old && cat "$t/s1" >"$t/s2" && touch -r s2.old "$t/s2" &&
	hl -v --cache=c.db "$t" && clean_run &&
	same_inode "$t/s1" "$t/s2" && same_inode "$t/a" "$t/b" &&
	[ "$(head -c 8 "$t/s2")" = 00000001 ]
'

expect_success 'a file changed in place to differ, size and mtime restored: not linked' '
	t=$(cached differ) &&
	hl -n --cache=c.db "$t" && clean_run &&
	cp -p "$t/b" b.old && printf X | dd of="$t/b" bs=1 seek=2500 conv=notrunc 2>/dev/null &&
	touch -r b.old "$t/b" &&
	hl -v --cache=c.db "$t" && clean_run &&
	diff_inode "$t/a" "$t/b" && ! cmp -s "$t/a" "$t/b" &&
	[ "$(summary_line Linked: out)" = "0 files" ]
'

expect_success 'a file replaced by another with the same inode number: compared again (linked when equal)' '
	[ -n "$INO" ] || skip_now "no small ext4 (needs root, mkfs.ext4, a loop mount)"
	t=$INO/t &&
	hl -n --cache=c.db "$t" && clean_run &&
	ino=$(stat -c %i "$t/s3") && rm "$t/s3" && cp -p "$t/s4" "$t/s3" &&
	[ "$(stat -c %i "$t/s3")" = "$ino" ] &&
	hl -v --cache=c.db "$t" && clean_run && same_inode "$t/s3" "$t/s4"
'

expect_success 'two runs at once on the same cache: both correct, the cache consistent' '
	t=$(cached concurrent) && cp -a "$t" t2 || exit 1
	hl -n --cache=c.db "$t" && clean_run || exit 1
	PATH="$HLDIR:$PATH" "$HLBASE" --cache=c.db "$t" >out1 2>err1 & p1=$!
	PATH="$HLDIR:$PATH" "$HLBASE" --cache=c.db t2 >out2 2>err2 & p2=$!
	wait $p1 && wait $p2 && [ ! -s err1 ] && [ ! -s err2 ] &&
	linked_ok "$t" && same_inode t2/a t2/b &&
	[ "$(sqlite3 c.db "PRAGMA integrity_check")" = ok ]
'

expect_success 'kill -9 while the cache is written: the next run works and links' '
	command -v strace >/dev/null || skip_now "no strace"
	t=$(cached kill9) &&
	hl -n --cache=c.db "$t" && clean_run &&
	set +e
	PATH="$HLDIR:$PATH" strace -f -o /dev/null -e trace=fsync,fdatasync \
		-e inject=fsync,fdatasync:signal=KILL:when=1 \
		"$HLBASE" -n --cache=c.db "$t" >out 2>err
	st=$?; set -e
	[ "$st" = 137 ] && [ -s c.db-wal ] &&
	hl -v --cache=c.db "$t" && clean_run && linked_ok "$t" &&
	[ "$(sqlite3 c.db "PRAGMA integrity_check")" = ok ]
'

expect_success 'a zero-length cache file is made a new cache' '
	t=$(cached zero) && : >c.db &&
	hl -n --cache=c.db "$t" && clean_run &&
	hl -v --cache=c.db "$t" && clean_run && [ "$(answered)" = 61 ] &&
	linked_ok "$t"
'

expect_success 'a garbage cache file: a warning, left alone, the run goes on without it' '
	t=$(cached garbage) && head -c 5000 /dev/urandom >c.db && cp c.db c.orig &&
	hl -v --cache=c.db "$t" && rc_is 1 &&
	err_is "hardlink: c.db: not a hardlink cache, not used (remove it to start a new one)" &&
	cmp c.db c.orig && linked_ok "$t"
'

expect_success 'a truncated cache of ours is started anew with a warning' '
	t=$(cached truncated) &&
	hl -n --cache=c.db "$t" && clean_run &&
	size=$(stat -c %s c.db) && [ "$size" -ge 8192 ] &&
	truncate -s 4096 c.db &&
	hl -n -v --cache=c.db "$t" && rc_is 1 &&
	grep -q "^hardlink: c.db: cache damaged (.*), started anew\$" err &&
	[ "$(wc -l <err)" = 1 ] &&
	hl -v --cache=c.db "$t" && clean_run && [ "$(answered)" = 61 ] &&
	linked_ok "$t"
'

expect_success 'a cache of a newer format: a warning, left alone' '
	t=$(cached future) &&
	hl -n --cache=c.db "$t" && clean_run &&
	sqlite3 c.db "PRAGMA user_version = 99" && cp c.db c.orig &&
	hl -v --cache=c.db "$t" && rc_is 1 &&
	err_is "hardlink: c.db: cache format 99 is newer than this hardlink${SQ}s (1), not used" &&
	cmp c.db c.orig && linked_ok "$t"
'

expect_success 'a cache that is a symbolic link: a warning, its target untouched' '
	t=$(cached symlink) && echo keep >target && ln -s target c.db &&
	hl -v --cache=c.db "$t" && rc_is 1 &&
	err_is "hardlink: c.db: the cache is a symbolic link, not used" &&
	content_is target "keep
" && linked_ok "$t"
'

expect_success 'a cache that is a directory: a warning' '
	t=$(cached dir) && mkdir c.db &&
	hl -v --cache=c.db "$t" && rc_is 1 &&
	err_is "hardlink: c.db: cannot open the cache: Is a directory" &&
	[ -z "$(ls c.db)" ] && linked_ok "$t"
'

expect_success 'an unwritable cache: a warning, the run goes on' '
	t=$(cached unwritable) &&
	hl -n --cache=c.db "$t" && clean_run && cp c.db c.orig &&
	if [ "$(id -u)" = 0 ]; then
		chattr +i c.db 2>/dev/null || skip_now "chattr +i refused"
	else
		chmod 0400 c.db
	fi
	set +e; hl -v --cache=c.db "$t"; set -e
	chattr -i c.db 2>/dev/null || true
	rc_is 1 &&
	grep -q "^hardlink: c.db: cannot open the cache: \\(Operation not permitted\\|Permission denied\\)\$" err &&
	cmp c.db c.orig && linked_ok "$t"
'

expect_success 'the disk full while the cache is written: a warning, the cache as it was, the run correct' '
	[ "$(id -u)" = 0 ] || skip_now "not root (needs a small tmpfs)"
	t=$(cached full) && mkdir small || exit 1
	mount -t tmpfs -o size=128k tmpfs small || skip_now "mount refused"
	hl -n --cache=small/c.db "$t/a" "$t/b" && r1=$rc && e1=$(cat err) &&
	hl -v --cache=small/c.db "$t" &&
	ok=$(sqlite3 small/c.db "PRAGMA integrity_check" || true) &&
	rows=$(sqlite3 small/c.db "SELECT count(*) FROM file" || true) &&
	umount small &&
	[ "$r1" = 0 ] && [ -z "$e1" ] && rc_is 1 &&
	err_is "hardlink: small/c.db: cannot update the cache: database or disk is full" &&
	[ "$ok" = ok ] && [ "$rows" = 2 ] && same_inode "$t/a" "$t/b"
'

test_done
