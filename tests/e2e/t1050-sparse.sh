#!/bin/sh
# t1050-sparse.sh - sparse files, all-hole files and files whose data
# takes no blocks (util-linux #4563, rmlint #567): a duplicate made only
# of holes is never cloned or deduplicated (so not again on every run),
# with or without --skip-reflinks; files that hold data in zero blocks
# (ext4 inline data) are linked as any other; --real-size filters by
# allocated blocks; a clone keeps the duplicate's atime and mtime
# (util-linux 1659125a2).
#
# Needs root and loop devices, mkfs.btrfs and mkfs.ext4 (with
# inline_data); a missing piece skips the tests that need it.  The images
# are sparse files under $TEST_TMP, unmounted on exit, whatever happens.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-fs.sh"

BTRFS="" INLINE=""
if [ "$(id -u)" != 0 ]; then
	why="not root: no loop mounts"
else
	why="cannot make or mount the image"
	mkfs_mount btrfs 300M mkfs.btrfs -q && BTRFS=$FSDIR/btrfs
	mkfs_mount inline 32M mkfs.ext4 -q -F -O inline_data &&
		INLINE=$FSDIR/inline
fi
command -v python3 >/dev/null 2>&1 || { BTRFS="" INLINE="" why="no python3"; }

# holes FILE: FILE has no data extent at all (SEEK_DATA finds none).
holes()
{
	python3 - "$1" <<'PY'
import errno, os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
try:
    os.lseek(fd, 0, os.SEEK_DATA)
except OSError as e:
    sys.exit(0 if e.errno == errno.ENXIO else 2)
print(sys.argv[1], "has data")
sys.exit(1)
PY
}

MIB=1048576

if [ -z "$BTRFS" ]; then
	for t in "btrfs: a duplicate of holes only is never cloned or deduplicated, run after run" \
		 "btrfs: --skip-reflinks without --reflink hard-links files of holes once" \
		 "btrfs: a clone keeps the duplicate's atime and mtime"; do
		skip_test "$t" "$why"
	done
else
	M=$BTRFS
	expect_success "btrfs: a duplicate of holes only is never cloned or deduplicated, run after run" '
		d=$M/holes.$$ && mkdir $d &&
		truncate -s 5M $d/h1 $d/h2 &&
		dd if=/dev/zero of=$d/z bs=1M count=5 status=none &&
		touch -d @1600000000 $d/h1 $d/h2 && touch -d @1500000000 $d/z &&
		sync && holes $d/h1 && holes $d/h2 && ! holes $d/z >/dev/null &&
		ih1=$(stat -c %i $d/h1) && ih2=$(stat -c %i $d/h2) &&
		iz=$(stat -c %i $d/z) &&
		expect_exit 0 "$HARDLINK" -n -vvv -c --reflink $d >dry 2>err &&
		grep -Fxq "Skipped (no data extents) $d/h2" dry &&
		[ "$(summary_line Linked: dry)" = "1 files" ] &&
		expect_exit 0 "$HARDLINK" -vvv -c --reflink $d >out 2>err &&
		cat out &&
		grep -Fxq "Skipped (no data extents) $d/h2" out &&
		grep -Fxq "Deduplicating $d/h1 to $d/z (-5 MiB)" out &&
		[ "$(summary_line Linked: out)" = "1 files" ] &&
		[ "$(summary_line "Skipped reflinks:" out)" = "1 files" ] &&
		[ "$(summary_line Reflinked: out)" = "0 files" ] &&
		[ "$ih1 $ih2 $iz" = "$(stat -c %i $d/h1) $(stat -c %i $d/h2) $(stat -c %i $d/z)" ] &&
		sync && holes $d/z &&
		snapshot $d >before &&
		for flags in "--reflink" "--reflink --skip-reflinks" "--reflink=always"; do
			expect_exit 0 "$HARDLINK" -vvv -c $flags $d >again 2>err &&
			cat again &&
			[ "$(summary_line Linked: again)" = "0 files" ] &&
			[ "$(summary_line "Skipped reflinks:" again)" = "2 files" ] &&
			[ "$(summary_line Saved: again)" = "0 B" ] &&
			grep -Fxq "Skipped (no data extents) $d/h2" again &&
			grep -Fxq "Skipped (no data extents) $d/z" again &&
			snapshot $d | cmp - before || exit 1
		done &&
		expect_exit 0 "$HARDLINK" -c --reflink --json $d >j 2>err &&
		python3 -c "
import json, sys
d = json.load(open(\"j\"))
acts = sorted(p[\"action\"] for g in d[\"groups\"] for m in g[\"members\"] for p in m[\"paths\"])
assert acts == [\"already reflinked\"] * 2, acts
assert d[\"summary\"][\"skipped_reflinks\"] == 2, d[\"summary\"]
"
	'

	expect_success "btrfs: --skip-reflinks without --reflink hard-links files of holes once" '
		d=$M/links.$$ && mkdir $d && truncate -s 5M $d/h1 $d/h2 &&
		expect_exit 0 "$HARDLINK" -c --skip-reflinks $d >out 2>err &&
		same_inode $d/h1 $d/h2 &&
		[ "$(summary_line Linked: out)" = "1 files" ] &&
		expect_exit 0 "$HARDLINK" -c --skip-reflinks $d >out 2>err &&
		[ "$(summary_line Linked: out)" = "0 files" ]
	'

	if [ -z "${HL_INJECT_SO:-}" ] || [ ! -f "${HL_INJECT_SO:-}" ]; then
		skip_test "btrfs: a clone keeps the duplicate's atime and mtime" \
			"HL_INJECT_SO does not name the fault-injection shim"
	else
	# The shim fails every ioctl on the master (as in t1040): --reflink
	# falls back from deduplication to a clone, a new inode.
	expect_success "btrfs: a clone keeps the duplicate's atime and mtime" '
		d=$M/clone.$$ && mkdir $d &&
		head -c $MIB /dev/urandom >$d/master &&
		dd if=$d/master of=$d/b bs=64k status=none &&
		touch -d @1700000000 $d/master &&
		touch -m -d @1600000000.123456789 $d/b &&
		touch -a -d @1500000000.987654321 $d/b &&
		times=$(stat -c "%.9X %.9Y" $d/b) && ino=$(stat -c %i $d/b) &&
		case ${HL_SANITIZE:-none} in none|"") ;; *) export ASAN_OPTIONS=verify_asan_link_order=0 ;; esac &&
		HL_INJECT=ioctl:EOPNOTSUPP:0:/master LD_PRELOAD=$HL_INJECT_SO \
			"$HARDLINK" -v -c --reflink $d >out 2>err ||
			{ cat out err; exit 1; } &&
		cat out &&
		grep -Fxq "RefLinking $d/master to $d/b (-1 MiB)" out &&
		[ "$(stat -c %i $d/b)" != "$ino" ] &&
		echo "before: $times; after: $(stat -c "%.9X %.9Y" $d/b)" &&
		[ "$(stat -c "%.9X %.9Y" $d/b)" = "$times" ] &&
		cmp $d/master $d/b
	'
	fi
fi

if [ -z "$INLINE" ]; then
	skip_test "ext4 inline data: files whose data lives in the inode are linked" "$why"
	skip_test "ext4: --real-size counts allocated blocks: files of holes are left out" "$why"
else
	M=$INLINE
	# ext4 keeps data of up to 60 bytes in the inode and reports no
	# blocks for it on disk (debugfs: Blockcount 0; stat rounds the size
	# up to a sector); util-linux 2.42 skips files with st_blocks 0.
	expect_success "ext4 inline data: files whose data lives in the inode are linked" '
		d=$M/inline.$$ && mkdir $d &&
		printf "thirty bytes of inline data.\n" >$d/a &&
		cp -p $d/a $d/b && printf "other bytes, same length....\n" >$d/c &&
		touch -r $d/a $d/c && sync &&
		{ lsattr $d/a | grep -q "^[^ ]*N" ||
		  skip_now "no inline data: $(lsattr $d/a)"; } &&
		expect_exit 0 "$HARDLINK" -v -c $d >out 2>err &&
		cat out &&
		same_inode $d/a $d/b && diff_inode $d/a $d/c &&
		[ "$(summary_line Linked: out)" = "1 files" ] &&
		cmp $d/a $d/b &&
		lsattr $d/a | grep -q "^[^ ]*N"
	'

	expect_success "ext4: --real-size counts allocated blocks: files of holes are left out" '
		d=$M/real.$$ && mkdir $d &&
		truncate -s 1M $d/h1 $d/h2 &&
		head -c 65536 /dev/urandom >$d/d1 && cp -p $d/d1 $d/d2 &&
		sync &&
		expect_exit 0 "$HARDLINK" -v -c --real-size $d >out 2>err &&
		cat out &&
		same_inode $d/d1 $d/d2 && diff_inode $d/h1 $d/h2 &&
		[ "$(summary_line Linked: out)" = "1 files" ] &&
		expect_exit 0 "$HARDLINK" -c --real-size -S 32k $d >out 2>err &&
		[ "$(summary_line Linked: out)" = "0 files" ] &&
		expect_exit 0 "$HARDLINK" -c $d >out 2>err &&
		same_inode $d/h1 $d/h2 &&
		[ "$(summary_line Linked: out)" = "1 files" ]
	'
fi

test_done
