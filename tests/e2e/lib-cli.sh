# lib-cli.sh - helpers shared by the command-line tests (t0100-t0300):
# building small trees, running the binary as "hardlink" through PATH,
# exact stdout/stderr lines, exit statuses, tree snapshots.  Sourced
# after lib.sh.


T0=1700000000
SQ="'"
TAB=$(printf '\t')
# The binary is run as "hardlink" through PATH, the way users and scripts
# invoke it, so that getopt's messages (which use argv[0]) read "hardlink:".
HLDIR=$(cd "$(dirname "$HARDLINK")" && pwd -P)
HLBASE=$(basename "$HARDLINK")
UL_CANON=$(readlink -f "$UL_HARDLINK" 2>/dev/null || echo none)
case $(stat -f -c %T "$TEST_TMP") in
btrfs|xfs|zfs) REFLINK_FS=yes ;;
*) REFLINK_FS=no ;;
esac

# mk PATH TEXT [MTIME]: a file holding exactly TEXT, mtime MTIME (default T0).
mk()
{
	mkdir -p "$(dirname "$1")" && printf '%s' "$2" >"$1" &&
	touch -d "@${3:-$T0}" "$1"
}

# mkn PATH SIZE [MTIME]: a file of SIZE bytes of a fixed pattern.
mkn()
{
	mkdir -p "$(dirname "$1")" &&
	{ yes 'abcdefghijklmnopqrstuvwxyz0123456789' | head -c "$2" >"$1"; } &&
	touch -d "@${3:-$T0}" "$1"
}

# hl ARGS...: runs the binary under test; stdout -> $SCRATCH/out,
# stderr -> $SCRATCH/err, exit status -> $rc.  util-linux's line about
# the missing AF_ALG socket (this machine has none) is dropped from its
# output so that the same tests can validate against it.
hl()
{
	rc=0
	PATH="$HLDIR:$PATH" "$HLBASE" "$@" >"$SCRATCH/out" 2>"$SCRATCH/err" ||
		rc=$?
	if [ "$HLDIR/$HLBASE" = "$UL_CANON" ]; then
		sed -i "/^cannot initialize [a-z0-9]* method, use 'memcmp' fallback\$/d" \
			"$SCRATCH/out"
	fi
}

rc_is()
{
	[ "$rc" = "$1" ] && return 0
	echo "exit status $rc, want $1; stderr:"
	cat "$SCRATCH/err"
	return 1
}

# clean_run: exit status 0 and nothing on stderr.
clean_run()
{
	rc_is 0 || return 1
	[ ! -s "$SCRATCH/err" ] && return 0
	echo "unexpected stderr:"
	cat "$SCRATCH/err"
	return 1
}

# lines_are FILE LINE...: FILE holds exactly these lines (none: empty).
lines_are()
{
	_f=$1
	shift
	if [ $# -eq 0 ]; then
		: >"$SCRATCH/want"
	else
		printf '%s\n' "$@" >"$SCRATCH/want"
	fi
	cmp -s "$SCRATCH/want" "$_f" && return 0
	echo "$_f is not as expected (-want +got):"
	diff -u "$SCRATCH/want" "$_f" | tail -n +3
	return 1
}
out_is() { lines_are "$SCRATCH/out" "$@"; }
err_is() { lines_are "$SCRATCH/err" "$@"; }

# has_line FILE LINE: FILE holds LINE exactly once.
has_line()
{
	_n=$(grep -cFx -- "$2" "$1" || true)
	[ "$_n" = 1 ] && return 0
	echo "$1 holds '$2' $_n times, want once:"
	cat "$1"
	return 1
}

# no_line FILE REGEX: no line of FILE matches REGEX.
no_line()
{
	grep -q -- "$2" "$1" || return 0
	echo "$1 has a line matching $2:"
	grep -- "$2" "$1"
	return 1
}

# state DIR: all a run could change: type, size, mode, links, inode,
# owner, mtime, symlink target and bytes of every path.  (lib.sh's
# snapshot needs bash's read -d and prints nothing under dash.)
state()
{
	(cd "$1" &&
	 find . -printf '%p %y %s %m %n %i %U:%G %T@ %l\n' | LC_ALL=C sort &&
	 find . -type f -exec sha256sum {} + | LC_ALL=C sort -k2)
}
save_state() { state t >"$SCRATCH/before"; }
state_unchanged()
{
	state t >"$SCRATCH/after"
	cmp -s "$SCRATCH/before" "$SCRATCH/after" && return 0
	echo "tree changed:"
	diff -u "$SCRATCH/before" "$SCRATCH/after"
	return 1
}

