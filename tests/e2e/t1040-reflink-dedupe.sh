#!/bin/sh
# t1040-reflink-dedupe.sh - --reflink on real btrfs and XFS (loop-mounted
# images made here), ext4 and tmpfs: verified deduplication keeps every
# duplicate's own inode, owner, mode, times and xattrs and frees the
# space; --skip-reflinks skips what is already shared; the -v lines, the
# JSON actions and the counters say what was really done (dedupe, clone
# or hard link); --reflink=always fails cleanly where nothing can share
# extents; a concurrent writer never loses a write.
#
# Needs root, loop devices, mkfs.btrfs, mkfs.xfs, mkfs.ext4, filefrag,
# setfattr/getfattr and setcap/getcap; a missing piece skips the tests
# that need it.  The images are sparse files in a directory of this
# script under $TEST_TMP, unmounted (and their loop devices freed) on
# exit, whatever happens.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-fs.sh"

FSES=""
if [ "$(id -u)" != 0 ]; then
	why="not root: no loop mounts"
else
	why="cannot make or mount the image"
	mkfs_mount btrfs 300M mkfs.btrfs -q && FSES="$FSES btrfs"
	mkfs_mount xfs 320M mkfs.xfs -q -m reflink=1 && FSES="$FSES xfs"
	mkfs_mount ext4 32M mkfs.ext4 -q -F || true
	if mkdir "$FSDIR/tmpfs" &&
	   mount -t tmpfs -o size=16M tmpfs "$FSDIR/tmpfs"; then
		MOUNTED="$MOUNTED $FSDIR/tmpfs"
	fi
fi
for tool in filefrag setfattr getfattr setcap getcap jq python3; do
	command -v $tool >/dev/null 2>&1 || { FSES=""; why="no $tool"; }
done

# --- helpers ---------------------------------------------------------

MIB=1048576

# mk_file FILE MIB: MIB MiB of random bytes.
mk_file()
{
	head -c $(($2 * MIB)) /dev/urandom >"$1"
}

# copy SRC DST: a copy with its own blocks (cp and cat would reflink on
# btrfs and XFS: coreutils uses FICLONE and copy_file_range).
copy()
{
	dd if="$1" of="$2" bs=1M status=none
}

# identity FILE: what must survive deduplication and cloning: inode,
# owner, mode, mtime to the nanosecond, user xattrs, capabilities.
identity()
{
	stat -c '%i %u:%g %a %.9Y' -- "$1" &&
	getfattr -d -m '^user\.' --absolute-names -- "$1" 2>/dev/null | sed 1d &&
	getcap "$1" | sed 's/^[^ ]* //'
}

# meta FILE: identity without the inode (for a clone: a new inode).
meta()
{
	identity "$1" | sed '1s/^[0-9]* //'
}

# extmap FILE: logical and physical ranges of FILE's extents (filefrag,
# an oracle apart from src/extents.c), and whether each is shared.
extmap()
{
	sync
	filefrag -v -- "$1" |
	awk '/^ *[0-9]+:/ { s = ($NF ~ /shared/) ? "shared" : "own";
			    print $2, $3, $4, $5, s }'
}

# shares A B: every extent of B is one of A's, marked shared.
shares()
{
	a=$(extmap "$1") && b=$(extmap "$2") &&
	[ -n "$b" ] && [ "$a" = "$b" ] &&
	! printf '%s\n' "$b" | grep -qv ' shared$' ||
	{ echo "extents not shared: $1 / $2"; echo "$a"; echo "--"; echo "$b";
	  return 1; }
}

# own_extents A B: B shares no extent with A.
own_extents()
{
	a=$(extmap "$1" | awk '{print $3, $4}') &&
	b=$(extmap "$2" | awk '{print $3, $4}') &&
	[ -z "$(printf '%s\n' "$b" | grep -xF "$a")" ] ||
	{ echo "$2 shares extents with $1"; return 1; }
}

# avail DIR: free bytes of DIR's filesystem, after a sync.
avail()
{
	sync
	df -B1 --output=avail -- "$1" | tail -n 1 | tr -d ' '
}

# mk_set DIR: a master and duplicates of 8 MiB each with their own blocks
# and their own metadata: b with another owner, mode, mtime, a user xattr
# and a capability; c with a second link c2.
mk_set()
{
	mkdir "$1" &&
	mk_file "$1/a" 8 &&
	copy "$1/a" "$1/b" && copy "$1/a" "$1/c" && ln "$1/c" "$1/c2" &&
	chown 1234:4321 "$1/b" && chmod 640 "$1/b" &&
	setfattr -n user.x -v "b's own" "$1/b" &&
	setcap cap_net_raw+ep "$1/b" &&
	touch -d @1600000000.123456789 "$1/b" &&
	touch -d @1500000000.5 "$1/c" &&
	touch -d @1700000000 "$1/a"
}

# The writer of the race test: rewrites B in place through one
# descriptor, alternately with A's bytes and with other bytes of the
# same size, and keeps a copy of what it wrote last in LAST, until STOP
# exists.
WRITER=$FSDIR/writer.py
cat >"$WRITER" <<'PY'
import os, sys, time
a, b, stop, last = sys.argv[1:]
same = open(a, "rb").read()
other = bytearray(same)
fd = os.open(b, os.O_RDWR)
n = 0
end = time.monotonic() + 120	# a failed test may not stop it
while not os.path.exists(stop) and time.monotonic() < end:
    n += 1
    if n % 2:
        data = same
    else:
        other[(n * 4099) % len(other)] ^= 0xff
        data = bytes(other)
    os.pwrite(fd, data, 0)
    open(last, "wb").write(data)
    time.sleep(0.05)
os.close(fd)
print("writes:", n)
PY

# --- tests -----------------------------------------------------------

fs_tests()
{
	fs=$1 M=$FSDIR/$1

	expect_success "$fs: --reflink deduplicates: each duplicate keeps its inode, owner, mode, mtime, xattrs" '
		d=$M/dedupe.$$ && mk_set $d &&
		for f in b c c2; do identity $d/$f >$f.before; done &&
		own_extents $d/a $d/b && own_extents $d/a $d/c &&
		before=$(avail $M) &&
		expect_exit 0 "$HARDLINK" -v -c --reflink $d >out 2>err &&
		after=$(avail $M) &&
		for f in b c c2; do
			identity $d/$f >$f.after &&
			{ cmp $f.before $f.after ||
			  { diff $f.before $f.after; exit 1; }; } &&
			cmp $d/a $d/$f && shares $d/a $d/$f || exit 1
		done &&
		diff_inode $d/a $d/b && diff_inode $d/a $d/c && same_inode $d/c $d/c2 &&
		nlink_is 1 $d/a && nlink_is 2 $d/c &&
		grep -q "user.x=\"b.s own\"" b.after && grep -q cap_net_raw=ep b.after &&
		gained=$((after - before)) &&
		echo "df: $gained bytes freed (2 x 8 MiB duplicated)" &&
		[ "$gained" -ge $((15 * MIB)) ] &&
		grep -Fxq "Deduplicating $d/a to $d/b (-8 MiB)" out &&
		grep -Fxq "Deduplicating $d/a to $d/c (-8 MiB)" out &&
		grep -Fxq "Deduplicating $d/a to $d/c2 (-8 MiB)" out &&
		[ "$(grep -c Linking out)" = 0 ] &&
		[ "$(summary_line Linked: out)" = "3 files" ] &&
		[ "$(summary_line Reflinked: out)" = "0 files" ] &&
		[ "$(summary_line Deduplicated: out)" = "16777216 bytes in 3 files" ] &&
		[ "$(summary_line Saved: out)" = "16 MiB" ] &&
		grep -q "^hardlink: warning: -c links files whose" err &&
		[ "$(wc -l <err)" = 1 ] && no_temporaries $d
	'

	expect_success "$fs: a rerun skips what already shares all extents (--skip-reflinks)" '
		d=$M/skip.$$ && mk_set $d &&
		"$HARDLINK" -q -c --reflink $d &&
		for f in b c; do identity $d/$f >$f.before; done &&
		expect_exit 0 "$HARDLINK" -vvv -c --reflink $d >out 2>err &&
		[ "$(summary_line "Skipped reflinks:" out)" = "2 files" ] &&
		[ "$(summary_line Linked: out)" = "0 files" ] &&
		[ "$(summary_line Deduplicated: out)" = "0 bytes in 0 files" ] &&
		grep -Fxq "Skipped (already reflink) $d/b" out &&
		for f in b c; do identity $d/$f | cmp - $f.before || exit 1; done &&
		expect_exit 0 "$HARDLINK" -c --skip-reflinks --json $d >json 2>err &&
		jq -e "[.groups[].members[].paths[].action] | unique == [\"already reflinked\"]" json &&
		jq -e ".summary.skipped_reflinks == 2 and .summary.linked == 0" json &&
		diff_inode $d/a $d/b
	'

	expect_success "$fs: --json: action deduplicated, byte counter, per-group figures" '
		d=$M/json.$$ && mk_set $d &&
		expect_exit 0 "$HARDLINK" -c --reflink --json $d >json 2>err &&
		jq -c ".groups[]" json &&
		jq -c ".summary" json &&
		jq -e "[.groups[].members[].paths[].action] == [\"deduplicated\", \"deduplicated\", \"deduplicated\"]" json &&
		jq -e ".summary | .deduplicated == 3 and .deduplicated_bytes == 16777216 and .reflinked == 0 and .linked == 3 and .saved == 16777216 and .failed == 0" json &&
		jq -e ".groups[0] | .linked == 3 and .saved == 16777216" json &&
		jq -e ".options.reflink == \"auto\" and .options.skip_reflinks" json
	'

	expect_success "$fs: -n --reflink says what it would do and changes nothing" '
		d=$M/dry.$$ && mk_set $d &&
		for f in a b c; do identity $d/$f >$f.before; done &&
		expect_exit 0 "$HARDLINK" -n -v -c --reflink $d >out 2>err &&
		grep -Fxq "[DryRun] Deduplicating $d/a to $d/b (-8 MiB)" out &&
		[ "$(summary_line Deduplicated: out)" = "16777216 bytes in 3 files" ] &&
		expect_exit 0 "$HARDLINK" -n -c --reflink --json $d >json 2>err &&
		jq -e "[.groups[].members[].paths[].action] | unique == [\"would deduplicate\"]" json &&
		for f in a b c; do identity $d/$f | cmp - $f.before || exit 1; done &&
		own_extents $d/a $d/b && own_extents $d/a $d/c
	'

	expect_success "$fs: --reflink=never hard-links, --reflink=always deduplicates" '
		d=$M/never.$$ && mkdir $d && mk_file $d/a 1 &&
		copy $d/a $d/b && touch -r $d/a $d/b &&
		expect_exit 0 "$HARDLINK" -v --reflink=never $d >out 2>err &&
		same_inode $d/a $d/b &&
		grep -Fxq "Linking $d/a to $d/b (-1 MiB)" out &&
		[ -z "$(summary_line Reflinked: out)" ] &&
		e=$M/always.$$ && mkdir $e && mk_file $e/a 1 &&
		copy $e/a $e/b && touch -r $e/a $e/b &&
		expect_exit 0 "$HARDLINK" -v --reflink=always $e >out 2>err &&
		diff_inode $e/a $e/b && shares $e/a $e/b &&
		grep -Fxq "Deduplicating $e/a to $e/b (-1 MiB)" out
	'

	if [ -z "${HL_INJECT_SO:-}" ] || [ ! -f "${HL_INJECT_SO:-}" ]; then
		skip_test "$fs: dedupe declined: clone with the duplicate's metadata" \
			"HL_INJECT_SO does not name the fault-injection shim"
	else
	# The shim fails every ioctl on the master (FIDEDUPERANGE is called
	# on it, FICLONE on the new file): auto falls back to a clone, which
	# must carry the duplicate's owner, mode, mtime and xattrs.
	expect_success "$fs: dedupe declined: auto clones, the clone keeps the duplicate's metadata, -v and JSON say reflinked" '
		d=$M/clone.$$ && mk_set $d && mv $d/a $d/master &&
		for f in b c; do meta $d/$f >$f.before; done &&
		ino_b=$(stat -c %i $d/b) &&
		case ${HL_SANITIZE:-none} in none|"") ;; *) export ASAN_OPTIONS=verify_asan_link_order=0 ;; esac &&
		HL_INJECT=ioctl:EOPNOTSUPP:0:/master LD_PRELOAD=$HL_INJECT_SO \
			"$HARDLINK" -vvv -c --reflink $d >out 2>err ||
			{ cat err; exit 1; } &&
		for f in b c; do
			meta $d/$f >$f.after &&
			{ cmp $f.before $f.after ||
			  { diff $f.before $f.after; exit 1; }; } &&
			cmp $d/master $d/$f && shares $d/master $d/$f || exit 1
		done &&
		[ "$(stat -c %i $d/b)" != "$ino_b" ] &&
		grep -q "^Deduplicating failed (Operation not supported), fallback to reflinking" out &&
		grep -Fxq "RefLinking $d/master to $d/b (-8 MiB)" out &&
		[ "$(summary_line Reflinked: out)" = "3 files" ] &&
		[ "$(summary_line Deduplicated: out)" = "0 bytes in 0 files" ] &&
		no_temporaries $d
	'

	# Every step of auto failing in turn: dedupe (injected EIO), then the
	# clone (its xattrs cannot be listed), so a hard link is made, and
	# the -v line, JSON and counters say so; always makes none and
	# leaves the tree as it was.
	expect_success "$fs: dedupe and clone both fail: auto links and says so, always changes nothing" '
		case ${HL_SANITIZE:-none} in none|"") ;; *) export ASAN_OPTIONS=verify_asan_link_order=0 ;; esac &&
		d=$M/chain.$$ && mkdir $d && mk_file $d/a 1 &&
		copy $d/a $d/b && touch -r $d/a $d/b &&
		snapshot $d >before && inode_partition $d >parts &&
		rules=fideduperange:EIO:0,flistxattr:EIO:0:.hardlink-tmp- &&
		HL_INJECT=$rules LD_PRELOAD=$HL_INJECT_SO \
			"$HARDLINK" -v --reflink=always $d >out 2>err &&
		echo "always should have failed" && exit 1 ||
		cat err && [ "$(wc -l <err)" = 1 ] &&
		grep -Fxq "hardlink: cannot clone $d/a to $d/b: Input/output error" err &&
		snapshot $d | cmp - before && inode_partition $d | cmp - parts &&
		no_temporaries $d &&
		HL_INJECT=$rules LD_PRELOAD=$HL_INJECT_SO \
			"$HARDLINK" -vvv --reflink $d >out 2>err &&
		[ ! -s err ] && same_inode $d/a $d/b &&
		grep -q "^Deduplicating failed (Input/output error), fallback to reflinking" out &&
		grep -q "^Reflinking failed, fallback to hardlinking" out &&
		grep -Fxq "Linking $d/a to $d/b (-1 MiB)" out &&
		[ "$(grep -c "Linking /" out)" = 1 ] &&
		[ "$(summary_line Linked: out)" = "1 files" ] &&
		[ "$(summary_line Reflinked: out)" = "0 files" ] &&
		[ "$(summary_line Deduplicated: out)" = "0 bytes in 0 files" ] &&
		no_temporaries $d
	'

	# The shim holds the N-th FIDEDUPERANGE call until the test has
	# written to the duplicate (after every check hardlink makes in
	# user space): only the kernel's own comparison stands between the
	# write and its loss.
	expect_success "$fs: a write between the last check and the kernel's comparison is kept" '
		case ${HL_SANITIZE:-none} in none|"") ;; *) export ASAN_OPTIONS=verify_asan_link_order=0 ;; esac &&
		for n in 1 2; do
			d=$M/differs$n.$$ && mkdir $d && mk_file $d/a 40 &&
			copy $d/a $d/b && touch -r $d/a $d/b &&
			ino=$(stat -c %i $d/b) && rm -f log resume || exit 1
			HL_INJECT=fideduperange:pause:$n HL_INJECT_LOG=$PWD/log \
			HL_INJECT_RESUME=$PWD/resume LD_PRELOAD=$HL_INJECT_SO \
				"$HARDLINK" -v --reflink --json $d >json$n 2>err$n &
			pid=$!
			t=0
			while [ ! -s log ] && [ $t -lt 300 ]; do sleep 0.1; t=$((t + 1)); done
			[ -s log ] || { echo "the shim never paused"; kill $pid; exit 1; }
			off=$(( n == 1 ? 4096 : 20 * MIB ))
			printf "written meanwhile" | dd of=$d/b bs=1 seek=$off conv=notrunc status=none
			cp $d/b want$n && touch resume
			rc=0 && wait $pid || rc=$?
			cat err$n
			[ $rc = 1 ] && cmp want$n $d/b && [ "$(stat -c %i $d/b)" = "$ino" ] &&
			jq -c ".groups[0].members, .summary" json$n || exit 1
			if [ $n = 1 ]; then
				grep -Fxq "hardlink: $d/b: changed during the run, not deduplicated" err$n &&
				jq -e ".summary.deduplicated_bytes == 0" json$n || exit 1
			else
				grep -Fxq "hardlink: $d/b: changed during the run, deduplicated only in part" err$n &&
				jq -e ".summary.deduplicated_bytes == 16777216" json$n || exit 1
			fi
			jq -e ".summary.deduplicated == 0 and .summary.linked == 0 and .summary.failed == 1" json$n &&
			jq -e ".groups[0].members[0].paths[0].action == \"skipped\"" json$n &&
			[ "$(wc -l <err$n)" = 1 ] && no_temporaries $d && rm -rf $d || exit 1
		done
	'
	fi

	# As nobody, on a duplicate owned by root: the kernel refuses to
	# deduplicate (no write access, not the owner), the clone cannot be
	# given root as its owner, so auto falls back to a hard link, and
	# says so.
	expect_success "$fs: auto falls back to a hard link: -v, JSON and counters say linked" '
		{ command -v setpriv >/dev/null || skip_now "no setpriv"; } &&
		d=$M/fallback.$$ && mkdir $d && mk_file $d/a 1 &&
		copy $d/a $d/b && touch -r $d/a $d/b &&
		chown 65534:65534 $d $d/a &&
		run_nobody() { setpriv --reuid 65534 --regid 65534 --clear-groups -- "$@"; } &&
		expect_exit 0 run_nobody "$HARDLINK" -n -c --reflink --json $d >dry 2>err &&
		expect_exit 0 run_nobody "$HARDLINK" -vvv -c --reflink $d >out 2>err &&
		same_inode $d/a $d/b &&
		grep -q "^Deduplicating failed (Operation not permitted), fallback to reflinking" out &&
		grep -q "^Reflinking failed, fallback to hardlinking" out &&
		grep -Fxq "Linking $d/a to $d/b (-1 MiB)" out &&
		! grep -q "RefLinking\|Deduplicating /" out &&
		[ "$(summary_line Linked: out)" = "1 files" ] &&
		[ "$(summary_line Reflinked: out)" = "0 files" ] &&
		[ "$(summary_line Deduplicated: out)" = "0 bytes in 0 files" ] &&
		copy $d/a $d/b2 && touch -r $d/a $d/b2 && chown 0:0 $d/b2 &&
		expect_exit 0 run_nobody "$HARDLINK" -c --reflink --json $d >json 2>err &&
		jq -e "[.groups[].members[].paths[].action] == [\"linked\"] and .summary.linked == 1 and .summary.reflinked == 0 and .summary.deduplicated == 0" json &&
		same_inode $d/a $d/b2
	'

	# A writer rewrites the duplicate in place through one descriptor,
	# alternating the master's bytes and other bytes of the same size,
	# while hardlink --reflink runs again and again.  Whatever the
	# interleaving, the file must end with the writer's last bytes, on
	# the same inode: nothing replaced it behind the writer's back.
	expect_success "$fs: a concurrent writer never loses a write" '
		d=$M/race.$$ && mkdir $d && mk_file $d/a 16 &&
		copy $d/a $d/b && ino=$(stat -c %i $d/b) || exit 1
		python3 "$WRITER" $d/a $d/b stop last &
		writer=$! &&
		t=0 &&
		while [ ! -s last ] && [ $t -lt 300 ]; do sleep 0.1; t=$((t + 1)); done &&
		[ -s last ] || { echo "the writer did not start"; touch stop; exit 1; }
		i=0 && ok=0 &&
		while [ $i -lt 20 ]; do
			rc=0
			"$HARDLINK" -q -t --reflink $d 2>>err || rc=$?
			[ $rc -le 1 ] || { echo "exit $rc"; touch stop; exit 1; }
			[ $rc = 0 ] && ok=$((ok + 1))
			i=$((i + 1))
		done &&
		touch stop && wait $writer &&
		cmp last $d/b && [ "$(stat -c %i $d/b)" = "$ino" ] &&
		echo "$ok clean runs; warnings:" && sort err | uniq -c | head -5 &&
		! grep -v "changed during the run" err &&
		no_temporaries $d && rm -rf $d
	'
}

if [ -z "$FSES" ]; then
	skip_test "btrfs and XFS: verified deduplication" "$why"
else
	for fs in $FSES; do
		fs_tests $fs
	done
fi

# Where nothing can share extents, always fails for each duplicate with
# one clear line and leaves everything as it was.
for fs in ext4 tmpfs; do
	if ! mountpoint -q "$FSDIR/$fs" 2>/dev/null; then
		skip_test "$fs: --reflink=always fails cleanly" "cannot mount $fs"
		continue
	fi
	M=$FSDIR/$fs
	expect_success "$fs: --reflink=always fails with a clear message and changes nothing" '
		d=$M/always.$$ && mkdir $d &&
		printf "same bytes\n" >$d/a && cp -p $d/a $d/b && cp -p $d/a $d/c &&
		snapshot $d >before && inode_partition $d >parts &&
		expect_exit 1 "$HARDLINK" -v --reflink=always $d >out 2>err &&
		cat err &&
		[ "$(wc -l <err)" = 2 ] &&
		grep -Eq "^hardlink: cannot clone $d/[abc] to $d/[abc]: (Operation not supported|Invalid argument)\$" err &&
		snapshot $d | cmp - before && inode_partition $d | cmp - parts &&
		[ "$(summary_line Linked: out)" = "0 files" ] &&
		! grep -q "Linking" out && no_temporaries $d &&
		expect_exit 0 "$HARDLINK" -v --reflink $d >out 2>err &&
		[ "$(summary_line Linked: out)" = "2 files" ] &&
		[ "$(grep -c "^Linking " out)" = 2 ]
	'
done

test_done
