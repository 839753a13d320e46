#!/bin/sh
# t0230-atime.sh - comparing files does not change their access times:
# they are read with O_NOATIME where the kernel allows it (root, or the
# file's owner); a reader the kernel refuses it to reads them anyway.
. "$(dirname "$0")/lib.sh"

atime() { stat -c %X "$1"; }

# files a, b, c of 20,000 equal bytes with an atime of 2001, older than
# their mtime, so that any read on a relatime mount would update it
old_files()
{
	head -c 20000 /dev/zero | tr '\0' x >a && cp a b && cp a c &&
	touch -m -d 2002-01-01 a b c && touch -a -d 2001-01-01 a b c
}

# control: does a plain read update the atime on this filesystem?
probe=$(mktemp -d "$TEST_TMP/atime-probe.XXXXXX")
(cd "$probe" && old_files && cat a >/dev/null && [ "$(atime a)" != "$(atime b)" ])
rc=$?
rm -rf "$probe"
if [ $rc != 0 ]; then
	skip_test 'access times' "reads do not update atimes under $TEST_TMP (noatime?)"
	test_done
	exit
fi

expect_success 'a dry run reads every file and leaves their access times alone' '
	old_files && was=$(atime a) &&
	"$HARDLINK" -n -v . >out 2>err && [ ! -s err ] &&
	[ "$(summary_line Compared: out | tail -1)" = "2 files" ] &&
	grep -q "^Read: *60000 bytes in 3 files\$" out &&
	[ "$(atime a)" = "$was" ] && [ "$(atime b)" = "$was" ] &&
	[ "$(atime c)" = "$was" ]
'

expect_success 'a real run links the copies and leaves the access time alone' '
	old_files && was=$(atime a) &&
	"$HARDLINK" . >out 2>err && [ ! -s err ] &&
	same_inode a b && same_inode a c && [ "$(atime a)" = "$was" ]
'

if nobody_can_run; then
	expect_success 'unprivileged: its own files keep their atimes; others are still read' '
		chmod 755 . && mkdir own && chown 65534:65534 own &&
		(cd own && old_files) && chown 65534:65534 own/* &&
		mkdir other && (cd other && old_files) && chmod 755 other &&
		was=$(atime own/a) && other_was=$(atime other/a) &&
		as_nobody "$HARDLINK" -n -v own other >out 2>err && [ ! -s err ] &&
		grep -q "^Read: *120000 bytes in 6 files\$" out &&
		[ "$(atime own/a)" = "$was" ] && [ "$(atime own/c)" = "$was" ] &&
		[ "$(atime other/a)" != "$other_was" ]
	'
else
	skip_test 'unprivileged reader' 'not root, no setpriv, or user 65534 cannot run the binary'
fi

test_done
