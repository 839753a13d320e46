# lib.sh - helpers for end-to-end tests of the hardlink binary (TAP output).
#
# Each test script sources this file, then calls
#	expect_success 'title' 'shell commands'
# once per test and test_done at the end.  Every test runs in a fresh
# scratch directory ($SCRATCH, also the current directory) under
# $TEST_TMP; a failing test's directory is kept and named on stderr.
#
# Environment: HARDLINK is the binary under test (set by meson),
# UL_HARDLINK is util-linux's (default /usr/bin/hardlink).
# HARDLINK_VALGRIND, when set, is a valgrind command with its options
# (the "valgrind" suite of tests/meson.build sets it): every run of
# $HARDLINK, and every command run through "wrapped", then runs under it,
# and a test fails when any of its runs logged a valgrind error.

set -u
: "${HARDLINK:?HARDLINK must name the binary under test}"
: "${UL_HARDLINK:=/usr/bin/hardlink}"
case $HARDLINK in
*/*) HARDLINK=$(cd "$(dirname "$HARDLINK")" && pwd -P)/$(basename "$HARDLINK") ;;
esac
: "${TEST_TMP:=${TMPDIR:-/tmp}/hardlink-tests}"
mkdir -p "$TEST_TMP"
TEST_TMP=$(cd "$TEST_TMP" && pwd -P)
export HARDLINK UL_HARDLINK LC_ALL=C

_t_n=0
_t_fail=0
_t_name=$(basename "$0" .sh)

# Under valgrind, HARDLINK names a script of the same base name that execs
# the real binary under valgrind (same pid, same argv[0] base name, so the
# messages still read "hardlink:"), whether it is run as "$HARDLINK" or
# through PATH.  Each process logs to its own file in $_vg_dir/log (mode
# 1777: some tests run the binary as another user); a log holding a line
# "==PID==" is an error report (-q leaves nothing else on those lines;
# "--PID--" lines, e.g. about a syscall valgrind does not know, are not).
_vg_dir=""
if [ -n "${HARDLINK_VALGRIND:-}" ]; then
	_vg_dir=$(mktemp -d "$TEST_TMP/$_t_name.valgrind.XXXXXX")
	chmod 755 "$_vg_dir"
	mkdir "$_vg_dir/bin" "$_vg_dir/log"
	chmod 1777 "$_vg_dir/log"
	printf '#!/bin/sh\nexec %s --log-file=%s/log/%%p.log "$@"\n' \
		"$HARDLINK_VALGRIND" "$_vg_dir" >"$_vg_dir/vg"
	printf '#!/bin/sh\nexec %s "%s" "$@"\n' "$_vg_dir/vg" "$HARDLINK" \
		>"$_vg_dir/bin/$(basename "$HARDLINK")"
	chmod 755 "$_vg_dir/vg" "$_vg_dir/bin/$(basename "$HARDLINK")"
	HARDLINK=$_vg_dir/bin/$(basename "$HARDLINK")
fi

# wrapped CMD ARGS...: runs CMD, under valgrind when HARDLINK_VALGRIND is
# set (for programs other than $HARDLINK, e.g. the library's example).
wrapped()
{
	if [ -n "$_vg_dir" ]; then
		"$_vg_dir/vg" "$@"
	else
		"$@"
	fi
}

# _vg_errors: prints the valgrind logs of the runs since the last call
# that hold an error report (and returns 0 when there is one), moving
# them into $SCRATCH; removes the others.
_vg_errors()
{
	[ -n "$_vg_dir" ] || return 1
	_vg_found=1
	for _vg_log in "$_vg_dir"/log/*.log; do
		[ -f "$_vg_log" ] || continue
		if grep -q '^==[0-9]*==' "$_vg_log"; then
			echo "valgrind: $_vg_log:"
			grep -v '^--[0-9]*--' "$_vg_log" | head -n 60
			_vg_found=0
			mv "$_vg_log" "$SCRATCH/valgrind.$(basename "$_vg_log")"
		fi
		rm -f "$_vg_log"
	done
	return $_vg_found
}

# Runs one test; the body runs in a subshell with errexit.  The subshell
# must be a command of its own: in an "if" or "&&" list the shell would
# ignore set -e inside it.
#
# The same holds inside the body: set -e ignores a failure anywhere in an
# && or || list but its last command, so a body is one && chain, or each
# of its lists ends in "|| exit 1".  Never "a && b; c" (a failure of a
# is then forgotten) nor "a || exit 0" (a missing prerequisite then
# passes): a body that finds it cannot test calls skip_now.
expect_success()
{
	_t_n=$((_t_n + 1))
	SCRATCH=$(mktemp -d "$TEST_TMP/$_t_name.$_t_n.XXXXXX")
	(cd "$SCRATCH"; set -e; eval "$2") >"$SCRATCH.log" 2>&1
	_t_rc=$?
	_vg_errors >"$SCRATCH.vg" 2>&1 && _t_rc=99
	if [ "$_t_rc" -eq 77 ] && [ -f "$SCRATCH.skip" ]; then
		echo "ok $_t_n - $1 # SKIP $(cat "$SCRATCH.skip")"
		rm -rf "$SCRATCH" "$SCRATCH.log" "$SCRATCH.vg" "$SCRATCH.skip"
	elif [ "$_t_rc" -eq 0 ]; then
		echo "ok $_t_n - $1"
		rm -rf "$SCRATCH" "$SCRATCH.log" "$SCRATCH.vg"
	else
		echo "not ok $_t_n - $1"
		sed 's/^/# /' "$SCRATCH.log" | tail -n 40
		sed 's/^/# /' "$SCRATCH.vg"
		echo "# scratch kept: $SCRATCH" >&2
		_t_fail=$((_t_fail + 1))
	fi
}

# skip_test TITLE REASON: a test that cannot run here, decided before it
# starts (TAP SKIP directive: counted as skipped, never as passed).
skip_test()
{
	_t_n=$((_t_n + 1))
	echo "ok $_t_n - $1 # SKIP $2"
}

# skip_now REASON: inside a test body, for a prerequisite found missing
# only once the test runs (a mount refused, chattr +i refused): ends the
# test as skipped with REASON.  Call it from the body's own shell, not
# from a pipeline or $(...); a failure of the setup before it must still
# fail the test ("setup || exit 1" first, then "probe || skip_now ...").
skip_now()
{
	printf '%s\n' "$*" >"$SCRATCH.skip"
	exit 77
}

test_done()
{
	echo "1..$_t_n"
	[ -z "$_vg_dir" ] || rm -rf "$_vg_dir"
	[ "$_t_fail" -eq 0 ]
}

# --- assertions: each prints what it saw on failure -------------------

# same_inode A B: A and B are the same file (device and inode).
same_inode()
{
	a=$(stat -c '%d:%i' -- "$1") && b=$(stat -c '%d:%i' -- "$2") &&
	{ [ "$a" = "$b" ] || { echo "not linked: $1 ($a) $2 ($b)"; return 1; }; }
}

# diff_inode A B: A and B are different files.
diff_inode()
{
	a=$(stat -c '%d:%i' -- "$1") && b=$(stat -c '%d:%i' -- "$2") &&
	{ [ "$a" != "$b" ] || { echo "linked: $1 $2 ($a)"; return 1; }; }
}

# nlink_is N FILE
nlink_is()
{
	n=$(stat -c '%h' -- "$2") &&
	{ [ "$n" = "$1" ] || { echo "$2 has $n links, want $1"; return 1; }; }
}

# content_is FILE STRING: FILE holds exactly STRING (no newline added).
content_is()
{
	printf '%s' "$2" | cmp -s - "$1" ||
	{ echo "$1 does not hold '$2'"; return 1; }
}

# expect_exit N cmd...: runs cmd, checks its exit status.
expect_exit()
{
	want=$1; shift
	set +e; "$@"; got=$?; set -e
	[ "$got" = "$want" ] || { echo "exit $got, want $want: $*"; return 1; }
}

# snapshot DIR: a listing of every path with its type and mode, then the
# sha256 of every regular file's bytes, for before/after comparisons of a
# tree's content (inode numbers and link counts left out on purpose).
snapshot()
{
	(cd "$1" && find . -printf '%y %m %p\n' | sort &&
	 find . -type f -exec sha256sum {} + | sort)
}

# inode_partition DIR: the set of regular files grouped by inode, one
# line per inode listing its paths (sorted), for comparing which files
# share an inode across two runs.
inode_partition()
{
	(cd "$1" && find . -type f -printf '%i %p\n' | sort -k1,1 -k2 |
	 awk '{i=$1; $1=""; if (i!=last && NR>1) print line; if (i!=last) line=$0; else line=line " |" $0; last=i} END {if (NR) print line}' |
	 sort)
}

# summary_line LABEL FILE: the value of a summary line (e.g. Linked:).
summary_line()
{
	sed -n "s/^$1 *//p" "$2"
}

# no_temporaries DIR: no leftover temporary of ours or util-linux's.
no_temporaries()
{
	left=$(find "$1" -name '.hardlink-tmp-*' -o -name '*.hardlink-temporary')
	[ -z "$left" ] || { echo "temporaries left: $left"; return 1; }
}

# as_nobody CMD ARGS...: runs CMD as user and group 65534, no groups.
as_nobody()
{
	setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
}

# nobody_can_run: we are root, have setpriv, and user 65534 can reach a
# directory under $TEST_TMP and run $HARDLINK (the tests that run the
# binary unprivileged need all three).
nobody_can_run()
{
	[ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1 || return 1
	_nb_probe=$(mktemp -d "$TEST_TMP/nobody-probe.XXXXXX") || return 1
	chmod 755 "$_nb_probe"
	_nb_rc=0
	as_nobody sh -c 'cd "$1" && [ -x "$2" ]' sh "$_nb_probe" "$HARDLINK" \
		2>/dev/null || _nb_rc=1
	rmdir "$_nb_probe"
	return $_nb_rc
}
