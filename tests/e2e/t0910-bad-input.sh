#!/bin/sh
# t0910: bad input.  Every usage error prints exactly one line on stderr,
# "hardlink: ..." (getopt's errors add the "Try 'hardlink --help'" line),
# nothing on stdout, exits 1 (man page, EXIT STATUS) and changes nothing:
# a snapshot of the tree with inode numbers, link counts, times and
# symlink targets is the same before and after.  Operands that cannot be
# used (missing, dangling or looping symlinks) are warnings: one line,
# exit 1, and the other operands are still processed.  File operands,
# symlink operands (followed, as documented) and special files (ignored)
# are not errors; their documented effect is checked, with nothing else
# changed.

. "$(dirname "$0")/lib.sh"

MAN=$(cd "$(dirname "$0")/../../man" && pwd -P)/hardlink.1
COUNT=$(mktemp "$TEST_TMP/t0910-count.XXXXXX")

# mk: the tree every case runs on, in the current directory: duplicates
# that any run would link, and operands of every kind.
mk()
{
	mkdir t t/sub &&
	printf 'same\n' >t/a && cp t/a t/b && cp t/a t/sub/c &&
	printf 'other\n' >t/d &&
	touch -d @1700000000 t/a t/b t/sub/c t/d &&
	ln -s t dirlink && ln -s t/a filelink && ln -s nowhere dangling &&
	ln -s loop2 loop1 && ln -s loop1 loop2 &&
	mkfifo fifo
}

# state: every path with type, inode, links, mode, size, mtime, ctime and
# symlink target; then the bytes of every regular file.
state()
{
	find . -mindepth 1 \( -path ./out -o -path ./err -o -path ./before \) \
		-prune -o -printf '%y %i %n %m %s %T@ %C@ %p -> %l\n' | sort &&
	find t -type f -exec sha256sum {} + | sort
}

# usage_error EXIT PATTERN TRY ARGS...: runs the binary on ARGS in a fresh
# tree; stderr must be one line matching PATTERN (a grep -E expression
# matched against the whole line), then the --help hint when TRY is "try";
# stdout must be empty for a usage error ("quiet" in TRY: no stdout check,
# a run that got past the options prints its summary).
usage_error()
{
	want=$1 pat=$2 try=$3
	shift 3
	mk && state >before || return 1
	echo case >>"$COUNT"
	st=0
	timeout -s KILL 60 "$HARDLINK" "$@" >out 2>err </dev/null || st=$?
	cat err
	[ "$st" = "$want" ] || { echo "exit $st, want $want"; return 1; }
	lines=1
	[ "$try" = try ] && lines=2
	[ "$(wc -l <err)" = "$lines" ] ||
		{ echo "$(wc -l <err) lines on stderr, want $lines"; return 1; }
	head -n 1 err | grep -Eqx "hardlink: $pat" ||
		{ echo "first line does not match 'hardlink: $pat'"; return 1; }
	if [ "$try" = try ]; then
		sed -n 2p err | grep -Fqx "Try 'hardlink --help' for more information." ||
			{ echo "no --help hint"; return 1; }
	fi
	if [ "$try" != quiet ] && [ -s out ]; then
		echo "stdout not empty:"; cat out; return 1
	fi
	[ "$(state)" = "$(cat before)" ] ||
		{ echo "the tree changed:"; state | diff before -; return 1; }
}

# The table: exit status, stderr pattern, "try"/"-"/"quiet", arguments.
# Arguments are split on blanks, never globbed.
set -f
while IFS='|' read -r CASE_WANT CASE_PAT CASE_TRY CASE_ARGS <&3; do
	case $CASE_WANT in '#'* | '') continue ;; esac
	expect_success "bad input: hardlink $CASE_ARGS" '
		set -f
		usage_error "$CASE_WANT" "$CASE_PAT" "$CASE_TRY" $CASE_ARGS
	'
done 3<<'EOF'
1|no directory or file specified|-|
1|no directory or file specified|-|-v -n
1|unrecognized option '--bogus'|try|--bogus t
1|invalid option -- 'Z'|try|-Z t
1|option requires an argument -- 's'|try|t -s
1|option '--minimum-size' requires an argument|try|t --minimum-size
1|option '--dry-run' doesn't allow an argument|try|--dry-run=yes t
1|failed to parse minimum size: 'abc': Invalid argument|-|-s abc t
1|failed to parse minimum size: '': Invalid argument|-|--minimum-size= t
1|failed to parse maximum size: '-5': Invalid argument|-|-S -5 t
1|failed to parse maximum size: '1.5X': Invalid argument|-|-S 1.5X t
1|failed to parse minimum size: '99999999999999999999999': Numerical result out of range|-|-s 99999999999999999999999 t
1|failed to parse minimum size: '16E': Numerical result out of range|-|-s 16E t
1|failed to parse I/O size: 'abc': Invalid argument|-|-b abc t
1|failed to parse cache size: '1Q': Invalid argument|-|-r 1Q t
1|could not compile regular expression \(: .+|-|-x ( t
1|could not compile regular expression \[: .+|-|-i [ t
1|could not compile regular expression a\{1: .+|-|--exclude-subtree=a{1 t
1|unsupported reflink mode: bogus|-|--reflink=bogus t
1|unsupported reflink mode: |-|--reflink= t
1|unsupported method: nosuch|-|-y nosuch t
1|options --quiet and --verbose cannot be combined|-|-q -v t
1|options --quiet and --verbose cannot be combined|-|-vq t
1|invalid number of threads: '0' \(1 to 64\)|-|--threads 0 t
1|invalid number of threads: 'abc' \(1 to 64\)|-|-j abc t
1|invalid number of threads: '65' \(1 to 64\)|-|-j 65 t
1|invalid number of threads: '-1' \(1 to 64\)|-|-j -1 t
1|cannot get realpath: nosuch: No such file or directory|quiet|nosuch
1|cannot get realpath: nosuch: No such file or directory|quiet|nosuch t/a
1|cannot get realpath: dangling: No such file or directory|quiet|dangling
1|cannot get realpath: loop1: Too many levels of symbolic links|quiet|loop1
1|cannot get realpath: t/a/x: Not a directory|quiet|t/a/x
EOF
set +f

expect_success 'a missing operand among good ones: one warning, exit 1, the others processed' '
	mk && echo case >>"$COUNT" &&
	expect_exit 1 "$HARDLINK" t nosuch >out 2>err &&
	[ "$(cat err)" = "hardlink: cannot get realpath: nosuch: No such file or directory" ] &&
	same_inode t/a t/b && same_inode t/a t/sub/c && diff_inode t/a t/d &&
	[ "$(summary_line Linked: out)" = "2 files" ]
'

expect_success 'a file operand alone: nothing to do, exit 0, nothing changed' '
	mk && state >before && echo case >>"$COUNT" &&
	"$HARDLINK" t/a >out 2>err && [ ! -s err ] &&
	[ "$(summary_line Files: out)" = 1 ] &&
	[ "$(state)" = "$(cat before)" ]
'

expect_success 'file operands are linked to each other (documented), the rest untouched' '
	mk && echo case >>"$COUNT" &&
	c=$(stat -c %i t/sub/c) &&
	"$HARDLINK" t/a t/b >out 2>err && [ ! -s err ] &&
	same_inode t/a t/b && [ "$(stat -c %i t/sub/c)" = "$c" ] &&
	[ "$(summary_line Linked: out)" = "1 files" ]
'

expect_success 'a symlink to a directory is followed like the directory (documented)' '
	mk && echo case >>"$COUNT" &&
	grep -q "is itself a symbolic link is followed" "$MAN" &&
	l=$(stat -c "%i %N" dirlink) &&
	"$HARDLINK" -v dirlink >out 2>err && [ ! -s err ] &&
	same_inode t/a t/b && same_inode t/a t/sub/c &&
	[ "$(stat -c "%i %N" dirlink)" = "$l" ] &&
	grep -q "^Linking $SCRATCH/t/" out && ! grep -q dirlink out
'

expect_success 'a symlink to a file is followed: alone it changes nothing' '
	mk && state >before && echo case >>"$COUNT" &&
	"$HARDLINK" filelink >out 2>err && [ ! -s err ] &&
	[ "$(summary_line Files: out)" = 1 ] &&
	[ "$(state)" = "$(cat before)" ]
'

expect_success 'a symlink to a file among file operands: its target is linked, not the link' '
	mk && echo case >>"$COUNT" &&
	l=$(stat -c "%i %N" filelink) &&
	"$HARDLINK" -v filelink t/b >out 2>err && [ ! -s err ] &&
	same_inode t/a t/b && [ "$(stat -c "%i %N" filelink)" = "$l" ] &&
	[ -L filelink ]
'

expect_success 'a FIFO or a device operand is ignored, never opened (no hang), exit 0' '
	mk && state >before && echo case >>"$COUNT" &&
	timeout -s KILL 20 "$HARDLINK" fifo /dev/null >out 2>err && [ ! -s err ] &&
	[ "$(summary_line Files: out)" = 0 ] &&
	[ "$(state)" = "$(cat before)" ]
'

expect_success '-b 0 is the default I/O size, as documented (util-linux: 0 = default)' '
	mk && echo case >>"$COUNT" &&
	grep -F -A3 "io\-size" "$MAN" | grep -qF "0 means the default" &&
	"$HARDLINK" -b 0 t >out 2>err && [ ! -s err ] &&
	same_inode t/a t/b && same_inode t/a t/sub/c &&
	[ "$(summary_line Linked: out)" = "2 files" ]
'

expect_success '-s 0, -S 0 and -r 0 are accepted (0 = no minimum / no limit / default)' '
	mk && echo case >>"$COUNT" &&
	"$HARDLINK" -n -s 0 -S 0 -r 0 t >out 2>err && [ ! -s err ] &&
	[ "$(summary_line Linked: out)" = "2 files" ]
'

expect_success 'the man page documents every bad-input message and exit status 1' '
	for m in "no directory or file specified" \
		"options \-\-quiet and \-\-verbose cannot be combined" \
		"failed to parse minimum size" "could not compile regular expression" \
		"unsupported reflink mode" "unsupported method" \
		"cannot get realpath" "invalid number of threads"; do
		grep -qF "$m" "$MAN" || { echo "not in the man page: $m"; exit 1; }
	done
	sed -n "/^\.SH EXIT STATUS/,/^\.SH /p" "$MAN" | grep -q "A usage error"
'

echo "# bad input: $(grep -c . "$COUNT") cases"
rm -f "$COUNT"
test_done
