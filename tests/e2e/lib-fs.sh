# lib-fs.sh - loop-mounted scratch filesystems for the e2e scripts that
# need a real btrfs, XFS or ext4 with chosen features.  Source it after
# lib.sh.  It makes FSDIR (under $TEST_TMP, named after the script) and
# traps the script's exit: every filesystem mounted by mkfs_mount is
# unmounted (lazily if busy, which frees its loop device) and FSDIR is
# removed, whatever happens.

FSDIR=$(mktemp -d "$TEST_TMP/$(basename "$0" .sh | cut -d- -f1)-fs.XXXXXX")
chmod 755 "$FSDIR"
MOUNTED=""
fs_cleanup()
{
	for m in $MOUNTED; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
	done
	rm -rf "$FSDIR"
}
trap fs_cleanup EXIT
trap 'exit 130' INT TERM HUP

# mkfs_mount NAME SIZE MKFS...: a sparse image of SIZE made by MKFS,
# loop-mounted on $FSDIR/NAME.  Fails quietly when anything is missing.
mkfs_mount()
{
	t=$1 size=$2; shift 2
	command -v "$1" >/dev/null 2>&1 || return 1
	truncate -s "$size" "$FSDIR/$t.img" &&
	"$@" "$FSDIR/$t.img" >"$FSDIR/$t.mkfs.log" 2>&1 &&
	mkdir "$FSDIR/$t" &&
	mount -o loop "$FSDIR/$t.img" "$FSDIR/$t" 2>>"$FSDIR/$t.mkfs.log" &&
	chmod 755 "$FSDIR/$t" &&
	MOUNTED="$MOUNTED $FSDIR/$t"
}
