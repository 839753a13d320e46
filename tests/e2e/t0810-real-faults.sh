#!/bin/sh
# t0810-real-faults.sh - real failures of real filesystems, made in loop
# images the test creates (t0800 and t0900 fake most of them): a full ext4
# (ENOSPC, data and directory blocks), ext4's 65,000-link limit, a
# read-only remount in the middle of a run, immutable and append-only
# files and directories, two filesystems in one run, and a run as an
# unprivileged user.  Every case checks that no path lost a byte, that no
# temporary is left, that each failure names its file and its reason, and
# the exit status (1 after any warning, HACKING.md item 3).
#
# Figures (bytes freed by the EMLINK master switch against the ideal,
# what the full filesystem refused, where the remount landed) are printed
# as "# " lines at the end.
. "$(dirname "$0")/lib.sh"

STAMP=@1700000000
NOTES=$(mktemp "$TEST_TMP/t0810-notes.XXXXXX")

# note TEXT: a figure for the "# " lines printed at the end.
note()
{
	echo "$*" >>"$NOTES"
}

# loop_mount TYPE SIZE DIR [MKFS-OPTION...]: a new TYPE filesystem in an
# image of SIZE in $SCRATCH, mounted on DIR through a loop device of its
# own.  The test's EXIT trap must call loop_cleanup.
MOUNTS=
loop_mount()
{
	lm_type=$1 lm_size=$2 lm_dir=$3
	shift 3
	lm_img=$SCRATCH/$(echo "$lm_dir" | tr / _).img
	truncate -s "$lm_size" "$lm_img" &&
	"mkfs.$lm_type" -q "$@" "$lm_img" >/dev/null &&
	mkdir -p "$lm_dir" &&
	lm_dev=$(losetup -f --show "$lm_img") || return 1
	if ! mount "$lm_dev" "$lm_dir"; then
		losetup -d "$lm_dev"
		return 1
	fi
	MOUNTS="$(cd "$lm_dir" && pwd -P)|$lm_dev $MOUNTS"
}

# loop_cleanup: unmounts what loop_mount mounted, last first, and
# detaches the loop devices (also after a failure).
loop_cleanup()
{
	for lc in $MOUNTS; do
		umount "${lc%|*}" 2>/dev/null || {
			sleep 0.5
			umount "${lc%|*}" || umount -l "${lc%|*}"
		}
		losetup -d "${lc#*|}" 2>/dev/null || true
	done
	MOUNTS=
}

# sums DIR: "sha256  ./path" for every regular file except temporaries.
sums()
{
	(cd "$1" && find . -type f ! -name '.hardlink-tmp-*' -print0 |
	 sort -z | xargs -0r sha256sum)
}

# Can we make and mount a loop ext4 here?
can_loop=no
why="cannot make and mount a loop ext4 image (need root, losetup, mkfs.ext4)"
if [ "$(id -u)" = 0 ] && command -v mkfs.ext4 >/dev/null 2>&1 &&
   command -v losetup >/dev/null 2>&1; then
	probe=$(mktemp -d "$TEST_TMP/t0810-probe.XXXXXX")
	if (SCRATCH=$probe; trap loop_cleanup EXIT; loop_mount ext4 8M "$probe/m" &&
	    touch "$probe/m/x") 2>/dev/null; then
		can_loop=yes
	fi
	rm -rf "$probe"
fi

# --- ENOSPC -------------------------------------------------------------

# fill_dirs DIR...: empty files in each DIR, the longest names first,
# until no name of any length fits: the directory cannot grow.
fill_dirs()
{
	python3 - "$@" <<-'PY'
	import errno, itertools, os, string, sys
	alnum = string.ascii_letters + string.digits
	for d in sys.argv[1:]:
	    for length in range(255, 0, -1):
	        for combo in itertools.product(alnum, repeat=min(length, 3)):
	            name = ("".join(combo) + "f" * length)[:length]
	            try:
	                os.close(os.open(os.path.join(d, name),
	                                 os.O_CREAT | os.O_EXCL | os.O_WRONLY))
	            except OSError as e:
	                if e.errno == errno.EEXIST:
	                    continue
	                if e.errno == errno.ENOSPC:
	                    break
	                raise
	PY
}

# fill_data FILE: appends zeros to FILE until the filesystem is full,
# twice with a sync between (delayed allocation frees reservations).
fill_data()
{
	dd if=/dev/zero of="$1" bs=64k 2>/dev/null || true
	sync
	dd if=/dev/zero of="$1" bs=4k oflag=append conv=notrunc 2>/dev/null ||
		true
	sync
}

# mk_groups DIR: five groups of four 100,000-byte copies in DIR/d, one
# more copy of group 1 in DIR/e; g*.0 newer than its copies, so that with
# -t it is the master whatever the inode numbers.
mk_groups()
{
	mkdir "$1/d" "$1/e" &&
	for g in 1 2 3 4 5; do
		head -c 100000 /dev/urandom >"$1/d/g$g.0" &&
		for c in 1 2 3; do cp "$1/d/g$g.0" "$1/d/g$g.$c" || return 1; done
	done &&
	cp "$1/d/g1.0" "$1/e/x" &&
	find "$1/d" "$1/e" -type f -exec touch -d $STAMP {} + &&
	touch -d @1700000100 "$1"/d/g?.0
}

# unlinked DIR: the copies of mk_groups that do not share g*.0's inode.
unlinked()
{
	for g in 1 2 3 4 5; do
		for p in "$1/d/g$g.1" "$1/d/g$g.2" "$1/d/g$g.3"; do
			[ "$(stat -c %i "$p")" = "$(stat -c %i "$1/d/g$g.0")" ] ||
				echo "$p"
		done
	done
	[ "$(stat -c %i "$1/e/x")" = "$(stat -c %i "$1/d/g1.0")" ] ||
		echo "$1/e/x"
}

if [ $can_loop = yes ]; then
	expect_success 'ENOSPC, data and directories full: nothing lost, each failure named, exit 1; linked after space is freed' '
		trap loop_cleanup EXIT &&
		loop_mount ext4 16M m -m 0 -N 4096 &&
		M=$SCRATCH/m &&
		mk_groups m &&
		fill_data m/fill &&
		fill_dirs m/d m/e && sync && fill_dirs m/d m/e &&
		{ ! ln m/d/g1.0 m/d/.hardlink-tmp-probe0 2>/dev/null ||
		  { echo "directory m/d still has room"; exit 1; }; } &&
		sums m >before &&
		st=0 && { "$HARDLINK" -t m >out 2>err || st=$?; } &&
		cat out err &&
		[ "$st" = 1 ] &&
		grep -c "No space left on device\$" err >nfail &&
		! grep -v "^hardlink: cannot link $M/d/g[1-5]\.0 to $M/[de]/[gx][1-5.]*: No space left on device\$" err &&
		unlinked "$M" >left &&
		[ -s left ] &&
		while read -r p; do
			grep -q -F " to $p: No space left on device" err ||
				{ echo "$p not linked and not named"; exit 1; }
		done <left &&
		[ "$(wc -l <left)" = "$(wc -l <err)" ] &&
		[ "$(summary_line Linked: out)" = "$((16 - $(wc -l <left))) files" ] &&
		sums m >after && cmp before after &&
		no_temporaries m &&
		note "ENOSPC: $(wc -l <err) of 16 replacements refused" \
			"(No space left on device), $(summary_line Linked: out)" \
			"linked as space freed; no byte lost, no temporary" &&
		rm m/fill &&
		"$HARDLINK" -t m >out 2>err && [ ! -s err ] &&
		[ -z "$(unlinked "$M")" ] && nlink_is 5 m/d/g1.0 &&
		nlink_is 4 m/d/g5.0 &&
		grep -v " ./fill\$" before >b2 && sums m >a2 && cmp b2 a2 &&
		no_temporaries m
	'

	expect_success 'ENOSPC for data only: links need no data block, all linked, space freed' '
		trap loop_cleanup EXIT &&
		loop_mount ext4 16M m -m 0 &&
		mk_groups m &&
		fill_data m/fill &&
		sums m >before &&
		free0=$(stat -f -c %a m) &&
		"$HARDLINK" -t m >out 2>err && [ ! -s err ] &&
		[ "$(summary_line Linked: out)" = "16 files" ] &&
		[ -z "$(unlinked "$SCRATCH/m")" ] &&
		sums m >after && cmp before after && no_temporaries m &&
		sync && free1=$(stat -f -c %a m) && bs=$(stat -f -c %S m) &&
		echo "freed $(((free1 - free0) * bs)) bytes" &&
		[ $(((free1 - free0) * bs)) -ge $((16 * 100000)) ]
	'
else
	skip_test 'ENOSPC, data and directories full' "$why"
	skip_test 'ENOSPC for data only' "$why"
fi

# --- EMLINK ---------------------------------------------------------------

# EMLINK on ext4 itself (t0800 runs on whatever the scratch disk is and
# counts messages): 65,000 links to one inode plus K copies in four
# directories.  The ideal keeps ceil((65,000 + K) / 65,000) = 2 inodes,
# i.e. frees K - 1 copies; the first copy refused must become the master
# of the others.  base is the newest (-t): the master whatever the inode
# numbers.
K=40
SIZE=65536
if [ $can_loop = yes ]; then
	expect_success "EMLINK on ext4: 65,000 links plus $K copies, a copy becomes master, saving measured against the ideal" '
		trap loop_cleanup EXIT &&
		loop_mount ext4 64M m -N 8192 &&
		mkdir m/links m/c1 m/c2 m/c3 m/c4 &&
		head -c $SIZE /dev/urandom >m/links/base &&
		python3 -c "
import os
for i in range(64999):
    os.link(\"m/links/base\", \"m/links/l%05d\" % i)
" &&
		nlink_is 65000 m/links/base &&
		for i in $(seq 1 $K); do
			cp m/links/base m/c$((i % 4 + 1))/copy$i || exit 1
		done &&
		find m/c? -type f -exec touch -d $STAMP {} + &&
		touch -d @1700000100 m/links/base &&
		want=$(sha256sum <m/links/base) &&
		sync && free0=$(stat -f -c %a m) && bs=$(stat -f -c %S m) &&
		st=0 && { "$HARDLINK" -t -v m >out 2>err || st=$?; } &&
		cat err && tail -n 9 out &&
		[ "$st" = 1 ] &&
		[ "$(wc -l <err)" = 1 ] &&
		grep -q "^hardlink: cannot link $SCRATCH/m/links/[bl][a-z0-9]* to $SCRATCH/m/c[1-4]/copy[0-9]*: Too many links\$" err &&
		nlink_is 65000 m/links/base &&
		[ "$(find m/c? -type f -printf "%i\n" | sort -u | wc -l)" = 1 ] &&
		nlink_is $K m/c1/copy4 &&
		[ "$(find m -type f -printf "%i\n" | sort -u | wc -l)" = 2 ] &&
		for f in m/links/base m/links/l00000 m/links/l64998 m/c?/copy*; do
			[ "$(sha256sum <"$f")" = "$want" ] ||
				{ echo "$f changed"; exit 1; }
		done &&
		no_temporaries m &&
		[ "$(summary_line Linked: out)" = "$((K - 1)) files" ] &&
		sync && free1=$(stat -f -c %a m) &&
		ideal=$(((K - 1) * SIZE)) &&
		freed=$(((free1 - free0) * bs)) &&
		echo "freed $freed, ideal $ideal" &&
		[ "$freed" -ge "$ideal" ] &&
		note "EMLINK: 65,000 links + $K copies of $SIZE bytes: freed" \
			"$freed bytes on disk, ideal $ideal (2 inodes kept)," \
			"$((freed * 100 / ideal))%; summary says Saved:" \
			"$(summary_line Saved: out)"
	'
else
	skip_test 'EMLINK on ext4' "$why"
fi

# --- read-only remount in the middle of a run ----------------------------

# mk_many DIR: 100 directories of 100 groups of three copies (30,000
# files of 64 to 1,063 bytes, the smallest group d00/g000 first).
mk_many()
{
	python3 - "$1" <<-'PY'
	import os, sys
	root = sys.argv[1]
	for d in range(100):
	    p = os.path.join(root, "d%02d" % d)
	    os.mkdir(p)
	    for g in range(100):
	        data = os.urandom(64 + (d * 100 + g) % 1000)
	        for c in range(3):
	            with open(os.path.join(p, "g%03d.%d" % (g, c)), "wb") as f:
	                f.write(data)
	            os.utime(os.path.join(p, "g%03d.%d" % (g, c)),
	                     (1700000000, 1700000000))
	PY
}

# groups_split DIR: how many copies do not share their group's most
# common inode (copies not replaced).
groups_split()
{
	find "$1" -type f -name "g*" ! -name ".hardlink-tmp-*" -printf "%h/%f %i\n" |
	awk '{ g = substr($1, 1, length($1) - 2); n[g, $2]++; if (!(g in seen)) { seen[g] = 1; ng++ } }
	END {
		for (k in n) { split(k, a, SUBSEP); if (n[k] > best[a[1]]) best[a[1]] = n[k] }
		for (g in best) left += 3 - best[g]
		print left + 0
	}'
}

# stop_run: kills the background run $hpid, if any (from an EXIT trap:
# nothing in it may fail, errexit applies there too).
stop_run()
{
	[ -z "$hpid" ] || { kill "$hpid" 2>/dev/null; wait "$hpid"; } || true
}

# ext4 refuses "remount,ro" with EBUSY while a write (a link, a rename)
# is in flight; the test retries every 20 ms.  fsfreeze would block the
# writers instead of failing them, which is another test.
if [ $can_loop = yes ]; then
	expect_success 'read-only remount during a run: nothing lost, EROFS named; rerun after remount rw links the rest and leaves no temporary' '
		hpid= &&
		trap "stop_run; loop_cleanup" EXIT &&
		loop_mount ext4 128M m -N 40000 &&
		mk_many m && sync &&
		sums m >before &&
		{ "$HARDLINK" m >out 2>err & hpid=$!; } &&
		n=0 &&
		while [ $(($(stat -c %h m/d00/g000.0 m/d00/g000.1 m/d00/g000.2 | paste -sd+))) -le 3 ]; do
			n=$((n + 1)); [ $n -lt 20000 ] || { echo "linking never began"; exit 1; }
			kill -0 $hpid 2>/dev/null || break
		done &&
		tries=0 &&
		until mount -o remount,ro m 2>/dev/null; do
			tries=$((tries + 1)); [ $tries -lt 250 ] || { echo "remount ro refused"; exit 1; }
			sleep 0.02
		done &&
		st=0 && { wait $hpid || st=$?; } && hpid= &&
		tail -n 8 out && sort err | sed "s/[0-9]//g" | uniq -c &&
		echo "remount ro after $tries EBUSY" &&
		[ "$st" = 1 ] &&
		grep -q "Read-only file system\$" err &&
		! grep -v "^hardlink: .*$SCRATCH/m/d[0-9]*/.*: Read-only file system\$" err &&
		left=$(groups_split m) &&
		nfail=$(grep -c "^hardlink: cannot \(link\|rename\) " err) &&
		echo "not replaced: $left, failures named: $nfail" &&
		[ "$left" = "$nfail" ] && [ "$left" -gt 0 ] &&
		[ "$(summary_line Linked: out)" = "$((20000 - left)) files" ] &&
		linked=$((20000 - left)) && [ "$linked" -gt 0 ] &&
		sums m >after && cmp before after &&
		find m -name ".hardlink-tmp-*" >tmps &&
		while read -r t; do
			grep -q -F "$SCRATCH/$t" err || { echo "$t left, not named"; exit 1; }
		done <tmps &&
		note "EROFS: remount ro landed after $linked of 20000 links" \
			"($tries EBUSY retries); $left refused and named," \
			"$(wc -l <tmps) temporaries left; no byte lost" &&
		mount -o remount,rw m &&
		"$HARDLINK" m >out 2>err && [ ! -s err ] &&
		[ "$(summary_line Linked: out)" = "$left files" ] &&
		[ "$(groups_split m)" = 0 ] &&
		sums m >after && cmp before after &&
		no_temporaries m
	'
else
	skip_test 'read-only remount during a run' "$why"
fi

# --- chattr ----------------------------------------------------------------

if [ $can_loop = yes ] && command -v chattr >/dev/null 2>&1; then
	expect_success 'chattr +i/+a: immutable master, immutable and append-only duplicates, immutable directory: each named, nothing lost, rest linked' '
		trap loop_cleanup EXIT &&
		loop_mount ext4 16M m &&
		M=$SCRATCH/m &&
		mkdir m/a m/b m/frozen &&
		for g in im id ia fz ok; do printf "group $g\\n" >m/a/$g; done &&
		for g in im id ia ok; do
			cp m/a/$g m/b/$g.1 && cp m/a/$g m/b/$g.2 || exit 1
		done &&
		cp m/a/fz m/frozen/fz && cp m/a/fz m/b/fz.2 &&
		find m -type f -exec touch -d $STAMP {} + &&
		touch -d @1700000100 m/a/* &&
		for f in a/im a/id b/id.1 b/ia.1 frozen/fz b/fz.2 b/ok.1; do
			stat -c "%i" m/$f >m.$(echo $f | tr / _) || exit 1
		done &&
		chattr +i m/a/im m/b/id.1 m/frozen && chattr +a m/b/ia.1 &&
		sums m >before &&
		st=0 && { "$HARDLINK" -t m >out 2>err || st=$?; } &&
		chattr -i m/a/im m/b/id.1 m/frozen && chattr -a m/b/ia.1 &&
		cat out err &&
		[ "$st" = 1 ] &&
		grep -q -x "hardlink: cannot link $M/a/im to $M/b/im.1: Operation not permitted" err &&
		grep -q -x "hardlink: cannot link $M/a/im to $M/b/im.2: Operation not permitted" err &&
		grep -q "^hardlink: cannot rename $M/b/.hardlink-tmp-[A-Za-z0-9]* to $M/b/id.1: Operation not permitted\$" err &&
		grep -q "^hardlink: cannot rename $M/b/.hardlink-tmp-[A-Za-z0-9]* to $M/b/ia.1: Operation not permitted\$" err &&
		grep -q -x "hardlink: cannot link $M/a/fz to $M/frozen/fz: Operation not permitted" err &&
		[ "$(wc -l <err)" = 5 ] &&
		[ "$(stat -c %i m/b/id.1)" = "$(cat m.b_id.1)" ] &&
		[ "$(stat -c %i m/b/ia.1)" = "$(cat m.b_ia.1)" ] &&
		[ "$(stat -c %i m/frozen/fz)" = "$(cat m.frozen_fz)" ] &&
		diff_inode m/a/im m/b/im.1 && diff_inode m/a/im m/b/im.2 &&
		same_inode m/a/id m/b/id.2 && same_inode m/a/ia m/b/ia.2 &&
		same_inode m/a/fz m/b/fz.2 &&
		same_inode m/a/ok m/b/ok.1 && same_inode m/a/ok m/b/ok.2 &&
		[ "$(summary_line Linked: out)" = "5 files" ] &&
		sums m >after && cmp before after && no_temporaries m
	'
else
	skip_test 'chattr +i/+a' "$why, or no chattr"
fi

# --- two filesystems ---------------------------------------------------------

# cross_check LOG: every linkat and rename in an strace -y log stays on
# one device (the directory descriptors are shown as fd</path>).
cross_check()
{
	! grep EXDEV "$1" &&
	grep -E "^[0-9]+ +(linkat|renameat2?)\(" "$1" >calls &&
	[ -s calls ] &&
	sed -E "s/^[0-9]+ +[a-z0-9]+\([0-9]+<([^>]*)>, \"[^\"]*\", [0-9]+<([^>]*)>.*/\\1 \\2/" calls |
	while read -r from to; do
		a=$(stat -c %d "$from") && b=$(stat -c %d "$to") &&
		[ -n "$a" ] && [ "$a" = "$b" ] ||
			{ echo "crosses devices: $from $to"; exit 1; }
	done
}

if [ $can_loop = yes ] && command -v strace >/dev/null 2>&1; then
	expect_success 'two operands on two filesystems, a third mounted inside: links only within each device, no call across (strace)' '
		trap loop_cleanup EXIT &&
		loop_mount ext4 8M A && loop_mount ext4 8M B &&
		mkdir A/y B/z && loop_mount ext4 8M A/sub && mkdir A/sub/w &&
		for f in A/x1 A/y/x2 B/x3 B/z/x4 A/sub/x5 A/sub/w/x6; do
			printf "same on every filesystem\\n" >$f || exit 1
		done &&
		printf "alone\\n" >A/u && printf "alone\\n" >B/u &&
		find A B -type f -exec touch -d $STAMP {} + &&
		if [ -x "$UL_HARDLINK" ]; then
			"$UL_HARDLINK" -n A B >ul 2>ulerr && cat ul ulerr &&
			[ "$(summary_line Files: ul)" = 8 ] &&
			[ "$(summary_line Linked: ul)" = "3 files" ]
		fi &&
		# LeakSanitizer cannot run under ptrace
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		strace -f -y -e trace=linkat,renameat,renameat2,link,rename \
			-o trace "$HARDLINK" -v A B >out 2>err &&
		cat out err && [ ! -s err ] &&
		[ "$(summary_line Files: out)" = 8 ] &&
		[ "$(summary_line Linked: out)" = "3 files" ] &&
		same_inode A/x1 A/y/x2 && same_inode B/x3 B/z/x4 &&
		same_inode A/sub/x5 A/sub/w/x6 &&
		[ "$(stat -c "%d:%i" A/x1 B/x3 A/sub/x5 | sort -u | wc -l)" = 3 ] &&
		nlink_is 1 A/u && nlink_is 1 B/u &&
		grep "^Linking " out | sed "s/^Linking \\(.*\\) to \\(.*\\) (.*/\\1 \\2/" |
		while read -r a b; do
			da=$(stat -c %d "$a") && db=$(stat -c %d "$b") &&
			[ "$da" = "$db" ] ||
				{ echo "-v line across devices: $a $b"; exit 1; }
		done &&
		cross_check trace
	'
else
	skip_test 'two operands on two filesystems' "$why, or no strace"
fi

# --- an unprivileged user ----------------------------------------------------

can_nobody=no
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1 &&
   as_nobody test -x "$HARDLINK" 2>/dev/null; then
	can_nobody=yes
fi

# t0400 has the unreadable directory; here an unreadable file pair, a
# directory we cannot write into, and protected_hardlinks (a user may
# not link to another user's file it cannot write).
if [ $can_nobody = yes ]; then
	expect_success 'as user 65534: unreadable files, unwritable directory, protected_hardlinks: each named with its reason, rest linked, exit 1' '
		T=$(mktemp -d /tmp/hl-t0810.XXXXXX) &&
		trap "rm -rf \"$T\"" EXIT &&
		chmod 755 "$T" && cd "$T" &&
		mkdir -p tree/ok tree/ro tree/locked &&
		printf "pair\\n" >tree/ok/p1 && printf "pair\\n" >tree/ok/p2 &&
		printf "in ro\\n" >tree/ro/r1 && printf "in ro\\n" >tree/ro/r2 &&
		printf "secret\\n" >tree/s1 && printf "secret\\n" >tree/s2 &&
		printf "locked\\n" >tree/locked/l1 && printf "locked\\n" >tree/l2 &&
		printf "theirs\\n" >tree/t1 && printf "theirs\\n" >tree/t2 &&
		find tree -exec touch -h -d $STAMP {} + &&
		touch -d @1700000100 tree/t1 &&
		chown -R 65534:65534 tree && chown 0:0 tree/ro tree/t1 &&
		chmod 555 tree/ro && chmod 000 tree/s1 tree/s2 tree/locked &&
		sums tree >before &&
		st=0 && { as_nobody "$HARDLINK" -o -t "$T/tree" >out 2>err || st=$?; } &&
		chmod 755 tree/locked &&
		cat out err &&
		[ "$st" = 1 ] &&
		grep -q -x "hardlink: cannot read $T/tree/locked: Permission denied" err &&
		grep -q -x "hardlink: $T/tree/s[12]: Permission denied" err &&
		grep -q -x "hardlink: cannot link $T/tree/ro/r[12] to $T/tree/ro/r[12]: Permission denied" err &&
		if [ "$(cat /proc/sys/fs/protected_hardlinks)" = 1 ]; then
			grep -q -x "hardlink: cannot link $T/tree/t1 to $T/tree/t2: Operation not permitted" err &&
			diff_inode tree/t1 tree/t2
		else
			same_inode tree/t1 tree/t2
		fi &&
		! grep -v "^hardlink: " err &&
		same_inode tree/ok/p1 tree/ok/p2 &&
		diff_inode tree/ro/r1 tree/ro/r2 && diff_inode tree/s1 tree/s2 &&
		nlink_is 1 tree/l2 && nlink_is 1 tree/locked/l1 &&
		sums tree >after && cmp before after && no_temporaries tree
	'
else
	skip_test 'as user 65534' 'cannot run the binary as user 65534 (need root and setpriv)'
fi

sed 's/^/# /' "$NOTES"
rm -f "$NOTES"
test_done
