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

# Runs one test; the body runs in a subshell with errexit.  The subshell
# must be a command of its own: in an "if" or "&&" list the shell would
# ignore set -e inside it.
expect_success()
{
	_t_n=$((_t_n + 1))
	SCRATCH=$(mktemp -d "$TEST_TMP/$_t_name.$_t_n.XXXXXX")
	(cd "$SCRATCH"; set -e; eval "$2") >"$SCRATCH.log" 2>&1
	_t_rc=$?
	if [ "$_t_rc" -eq 0 ]; then
		echo "ok $_t_n - $1"
		rm -rf "$SCRATCH" "$SCRATCH.log"
	else
		echo "not ok $_t_n - $1"
		sed 's/^/# /' "$SCRATCH.log" | tail -n 40
		echo "# scratch kept: $SCRATCH" >&2
		_t_fail=$((_t_fail + 1))
	fi
}

# Skips a test with a reason (TAP SKIP directive).
skip_test()
{
	_t_n=$((_t_n + 1))
	echo "ok $_t_n - $1 # SKIP $2"
}

test_done()
{
	echo "1..$_t_n"
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
