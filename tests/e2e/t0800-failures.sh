#!/bin/sh
# t0800-failures.sh - failures of the filesystem while replacing: the run
# goes on, nothing is lost, the file and the reason are named on stderr,
# and the exit status is 1.
. "$(dirname "$0")/lib.sh"

# many_links FILE N: gives FILE N-1 extra names in its directory
many_links()
{
	python3 - "$1" "$2" <<'PY'
import os, sys
f, n = sys.argv[1], int(sys.argv[2])
d = os.path.dirname(f) or "."
for i in range(n - 1):
    os.link(f, os.path.join(d, "l%05d" % i))
PY
}

expect_success 'EMLINK: the duplicate becomes master, the rest is linked to it, nothing lost' '
	mkdir t &&
	printf "same bytes\n" >t/base &&
	many_links t/base 65000 &&
	for i in 1 2 3; do cp -p t/base t/copy$i || exit 1; done &&
	touch -d @1700000000 t/copy1 t/copy2 t/copy3 &&
	expect_exit 1 "$HARDLINK" -t t >out 2>err &&
	grep -q "^hardlink: cannot link .* to $SCRATCH/t/copy[123]: Too many links\$" err &&
	[ "$(wc -l <err)" = 1 ] &&
	[ "$(summary_line Linked: out)" = "2 files" ] &&
	nlink_is 65000 t/base &&
	same_inode t/copy1 t/copy2 && same_inode t/copy1 t/copy3 &&
	nlink_is 3 t/copy1 &&
	for f in t/base t/copy1 t/copy2 t/copy3 t/l00000 t/l64998; do
		content_is $f "same bytes
" || exit 1
	done
'

expect_success 'EMLINK whichever inode is master: every path keeps its bytes, two inodes left' '
	mkdir t &&
	printf "same bytes\n" >t/base &&
	many_links t/base 65000 &&
	for i in 1 2 3; do cp -p t/base t/copy$i || exit 1; done &&
	expect_exit 1 "$HARDLINK" t >out 2>err &&
	grep -q "Too many links\$" err &&
	[ "$(find t -type f | wc -l)" = 65003 ] &&
	[ "$(find t -type f -printf "%i\n" | sort -u | wc -l)" = 2 ] &&
	# every path is one of the two inodes: the bytes of one path of
	# each (cat of all 65,003 paths took 20 s of a loaded machine)
	find t -type f -printf "%i %p\n" | sort -u -k1,1 >inodes &&
	[ "$(cut -d" " -f2- inodes | xargs cat | sort -u)" = "same bytes" ] &&
	no_temporaries t
'

expect_success 'EMLINK with -m: the full inode is kept, the copies are merged' '
	mkdir t &&
	printf "same bytes\n" >t/base &&
	many_links t/base 65000 &&
	for i in 1 2 3; do cp -p t/base t/copy$i || exit 1; done &&
	expect_exit 1 "$HARDLINK" -m t >out 2>err &&
	[ "$(summary_line Linked: out)" = "2 files" ] &&
	[ "$(summary_line Saved: out)" = "22 B" ] &&
	nlink_is 65000 t/base && nlink_is 3 t/copy2
'

expect_success 'EPERM: an immutable duplicate is left alone, the run goes on' '
	command -v chattr >/dev/null || skip_now "no chattr"
	mkdir t &&
	printf "aaaa\n" >t/a1 && cp -p t/a1 t/a2 &&
	printf "bbbb\n" >t/b1 && cp -p t/b1 t/b2 || exit 1
	# the lower inode is the master: a2 must be the duplicate (a busy
	# filesystem may give the second file the lower number)
	if [ "$(stat -c %i t/a2)" -lt "$(stat -c %i t/a1)" ]; then
		mv t/a1 t/x && mv t/a2 t/a1 && mv t/x t/a2 || exit 1
	fi
	ino=$(stat -c %i t/a2) || exit 1
	chattr +i t/a2 2>/dev/null || skip_now "chattr +i refused here"
	st=0; "$HARDLINK" t >out 2>err || st=$?
	chattr -i t/a2 || exit 1
	cat err &&
	[ "$st" = 1 ] &&
	grep -q "^hardlink: .*/t/a2: Operation not permitted\$" err &&
	[ "$(stat -c %i t/a2)" = "$ino" ] &&
	same_inode t/b1 t/b2 &&
	content_is t/a2 "aaaa
" && no_temporaries t
'

expect_success 'EROFS: a read-only filesystem changes nothing, every failure is named' '
	mkdir m || exit 1
	mount -t tmpfs -o size=4m none m || skip_now "cannot mount a tmpfs"
	trap "umount \"$SCRATCH/m\" 2>/dev/null" EXIT
	printf "cccc\n" >m/c1 && cp -p m/c1 m/c2 &&
	printf "dddd\n" >m/d1 && cp -p m/d1 m/d2 &&
	before=$(snapshot m) && i1=$(stat -c %i m/c2) &&
	mount -o remount,ro m || exit 1
	st=0; "$HARDLINK" m >out 2>err || st=$?
	after=$(snapshot m) && i2=$(stat -c %i m/c2) || exit 1
	cat err &&
	[ "$st" = 1 ] &&
	[ "$(grep -c "Read-only file system\$" err)" = 2 ] &&
	[ "$(summary_line Linked: out)" = "0 files" ] &&
	[ "$before" = "$after" ] && [ "$i1" = "$i2" ]
'

expect_success 'a dry run over a read-only filesystem is clean' '
	mkdir m || exit 1
	mount -t tmpfs -o size=4m none m || skip_now "cannot mount a tmpfs"
	trap "umount \"$SCRATCH/m\" 2>/dev/null" EXIT
	printf "cccc\n" >m/c1 && cp -p m/c1 m/c2 &&
	mount -o remount,ro m || exit 1
	st=0; "$HARDLINK" -n m >out 2>err || st=$?
	[ "$st" = 0 ] && [ ! -s err ] &&
	[ "$(summary_line Linked: out)" = "1 files" ]
'

expect_success 'a missing operand is a warning; the other operands are processed, exit 1' '
	printf "x\n" >a && cp -p a b &&
	expect_exit 1 "$HARDLINK" nosuch a b >out 2>err &&
	[ "$(cat err)" = "hardlink: cannot get realpath: nosuch: No such file or directory" ] &&
	same_inode a b
'

expect_success 'descriptor limits of 32, 64 and 400 with -j 2: all 2,000 copies linked, no error' '
	for lim in 32 64 400; do
		rm -rf t && mkdir t &&
		for d in $(seq 1 100); do
			mkdir t/d$d &&
			for f in $(seq 1 20); do
				printf "same bytes\n" >t/d$d/f$f || exit 1
			done
		done &&
		(ulimit -n $lim && "$HARDLINK" -t -j 2 t) >out 2>err &&
		[ ! -s err ] &&
		[ "$(summary_line Linked: out)" = "1999 files" ] &&
		nlink_is 2000 t/d1/f1 &&
		[ "$(find t -type f -exec cat {} + | sort -u)" = "same bytes" ] &&
		no_temporaries t || { echo "# limit $lim"; cat err; exit 1; }
	done
'

test_done
