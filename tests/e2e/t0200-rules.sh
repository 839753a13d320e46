#!/bin/sh
# t0200-rules.sh - which files may be linked: the attribute checks of the
# default mode and the options that relax (-p -o -t -c) or tighten
# (-f -d -X) them, size bounds, -i/-x/--exclude-subtree filtering, file
# types, operands.
#
# Test bodies are && chains: set -e, under which lib.sh runs them, ignores
# a failure anywhere in an && list but its last command.

. "$(dirname "$0")/lib.sh"

# Helpers shared by the CLI tests: mk, hl, rc_is, out_is, err_is, state...
. "$(dirname "$0")/lib-cli.sh"
# pair TEXT: t/a and t/b both holding TEXT, equal attributes.
pair() { mk t/a "$1" && mk t/b "$1"; }

# linked_count N: the summary says Linked: N files.
linked_count() { has_line "$SCRATCH/out" "Linked:                   $1 files"; }
files_count() { has_line "$SCRATCH/out" "Files:                    $1"; }

# user xattrs on the scratch filesystem?
XATTR=no
if command -v setfattr >/dev/null 2>&1 && command -v getfattr >/dev/null 2>&1; then
	_p=$(mktemp "$TEST_TMP/xattr-probe.XXXXXX")
	setfattr -n user.probe -v 1 "$_p" 2>/dev/null && XATTR=yes
	rm -f "$_p"
fi
# xattr_test TITLE BODY: a test that needs user xattrs.
xattr_test()
{
	if [ "$XATTR" = yes ]; then
		expect_success "$1" "$2"
	else
		skip_test "$1" "no setfattr or no user xattrs on $TEST_TMP"
	fi
}

# --- the default rules ----------------------------------------------

expect_success 'identical bytes and attributes: linked, 2 links, bytes intact' '
	pair "same bytes" &&
	hl t &&
	clean_run &&
	same_inode t/a t/b &&
	nlink_is 2 t/a &&
	content_is t/a "same bytes" &&
	content_is t/b "same bytes" &&
	linked_count 1 &&
	no_temporaries t
'

expect_success 'three identical files become one inode with 3 links' '
	pair "same bytes" && mk t/sub/c "same bytes" &&
	hl t &&
	clean_run &&
	same_inode t/a t/b && same_inode t/a t/sub/c &&
	nlink_is 3 t/a &&
	linked_count 2
'

expect_success 'mtimes differing only in nanoseconds (same second) are linked' '
	pair "same bytes" &&
	touch -d @$T0.100000000 t/a && touch -d @$T0.900000000 t/b &&
	[ "$(stat -c %y t/a)" != "$(stat -c %y t/b)" ] &&
	hl t &&
	clean_run &&
	same_inode t/a t/b
'

expect_success 'mtimes one second apart are not linked' '
	pair "same bytes" && touch -d @$((T0 + 1)) t/b && save_state &&
	hl t &&
	clean_run &&
	diff_inode t/a t/b &&
	linked_count 0 &&
	state_unchanged
'

expect_success 'mtimes 0.2 s apart across a second boundary are not linked' '
	pair "same bytes" &&
	touch -d @$T0.900000000 t/a && touch -d @$((T0 + 1)).100000000 t/b &&
	hl t &&
	clean_run &&
	diff_inode t/a t/b &&
	files_count 2 &&
	linked_count 0
'

expect_success '-t links files whose mtimes differ' '
	pair "same bytes" && touch -d @$((T0 + 100)) t/b &&
	hl -t t &&
	clean_run &&
	same_inode t/a t/b
'

expect_success 'permission bits differ (644/600): not linked' '
	pair "same bytes" && chmod 644 t/a && chmod 600 t/b &&
	hl t &&
	clean_run &&
	diff_inode t/a t/b &&
	[ "$(stat -c %a t/b)" = 600 ] &&
	files_count 2 &&
	linked_count 0
'

expect_success '-p links files whose permission bits differ' '
	pair "same bytes" && chmod 644 t/a && chmod 600 t/b &&
	hl -p t &&
	clean_run &&
	same_inode t/a t/b
'

expect_success 'only the setuid bit differs (755/4755): not linked' '
	pair "same bytes" && chmod 755 t/a && chmod 4755 t/b &&
	hl t &&
	clean_run &&
	diff_inode t/a t/b &&
	[ "$(stat -c %a t/b)" = 4755 ] &&
	files_count 2 &&
	linked_count 0
'

expect_success 'only the sticky bit differs (644/1644): not linked; -p links' '
	pair "same bytes" && chmod 644 t/a && chmod 1644 t/b &&
	hl t &&
	clean_run &&
	diff_inode t/a t/b &&
	hl -p t &&
	clean_run &&
	same_inode t/a t/b
'

expect_success 'owner differs (uid 1234): not linked' '
	pair "same bytes" && chown 1234 t/b &&
	hl t &&
	clean_run &&
	diff_inode t/a t/b &&
	[ "$(stat -c %u t/b)" = 1234 ] &&
	files_count 2 &&
	linked_count 0
'

expect_success '-o links files whose owner differs' '
	pair "same bytes" && chown 1234 t/b &&
	hl -o t &&
	clean_run &&
	same_inode t/a t/b
'

expect_success 'group differs (gid 1234): not linked; -o links' '
	pair "same bytes" && chgrp 1234 t/b &&
	hl t &&
	clean_run &&
	diff_inode t/a t/b &&
	hl -o t &&
	clean_run &&
	same_inode t/a t/b
'

expect_success '-p does not relax owner, -o does not relax mode' '
	pair "same bytes" && mk t/c "same bytes" && mk t/d "same bytes" &&
	chmod 600 t/b && chown 1234 t/c && touch -d @$((T0 + 9)) t/d &&
	hl -p t &&
	clean_run &&
	same_inode t/a t/b && diff_inode t/a t/c && diff_inode t/a t/d &&
	chmod 644 t/a &&
	hl -o t &&
	clean_run &&
	same_inode t/a t/c && diff_inode t/a t/d
'

expect_success '-c links despite different mode, owner, group and mtime' '
	pair "same bytes" && mk t/c "same bytes" && mk t/d "same bytes" &&
	chmod 600 t/b && chown 1234:1234 t/c && touch -d @$((T0 + 9)) t/d &&
	hl -c t &&
	clean_run &&
	same_inode t/a t/b && same_inode t/a t/c && same_inode t/a t/d &&
	nlink_is 4 t/a &&
	linked_count 3
'

expect_success '-p -o -t together equal -c' '
	pair "same bytes" && mk t/c "same bytes" && mk t/d "same bytes" &&
	chmod 600 t/b && chown 1234:1234 t/c && touch -d @$((T0 + 9)) t/d &&
	hl -p -o -t t &&
	clean_run &&
	same_inode t/a t/b && same_inode t/a t/c && same_inode t/a t/d
'

# --- -c cancels -f, -d and -X wherever it stands --------------------

expect_success '-f alone: different basenames are not linked' '
	pair "same bytes" &&
	hl -f t &&
	clean_run &&
	diff_inode t/a t/b &&
	files_count 2 &&
	linked_count 0
'

for o in "-f -c" "-c -f" "-cf" "--respect-name --content"; do
	expect_success "$o: -c cancels -f, different basenames linked" "
	pair 'same bytes' &&
	hl $o t &&
	clean_run &&
	same_inode t/a t/b
"
done

for o in "-d -c" "-c -d"; do
	expect_success "$o: -c cancels -d, different directories linked" "
	mk t/x/f 'same bytes' && mk t/y/f 'same bytes' &&
	hl $o t &&
	clean_run &&
	same_inode t/x/f t/y/f
"
done

for o in "-X -c" "-c -X"; do
	xattr_test "$o: -c cancels -X, different xattrs linked" "
	pair 'same bytes' &&
	setfattr -n user.x -v 1 t/a && setfattr -n user.x -v 2 t/b &&
	hl $o t &&
	clean_run &&
	same_inode t/a t/b
"
done

# --- -f: equal basenames --------------------------------------------

expect_success '-f: same basename in two directories linked, other name not' '
	mk t/x/f "same bytes" && mk t/y/f "same bytes" && mk t/x/g "same bytes" &&
	hl -f t &&
	clean_run &&
	same_inode t/x/f t/y/f &&
	diff_inode t/x/f t/x/g &&
	nlink_is 1 t/x/g &&
	linked_count 1
'

expect_success '-f: two names of one inode are separate; each links by name' '
	mk t/x/f "same bytes" && ln t/x/f t/x/g &&
	mk t/y/f "same bytes" && mk t/y/g "same bytes" &&
	hl -f t &&
	clean_run &&
	same_inode t/x/f t/y/f &&
	same_inode t/x/g t/y/g
'

# --- -d: equal directory part, relative to each operand ---------------

expect_success '-d, one operand: x/s/f and y/s/f differ in directory, not linked' '
	mk t/x/s/f "same bytes" && mk t/y/s/f "same bytes" &&
	hl -d t &&
	clean_run &&
	diff_inode t/x/s/f t/y/s/f &&
	files_count 2 &&
	linked_count 0
'

expect_success '-d, operands t/x and t/y: s/f in both is linked (relative dir s)' '
	mk t/x/s/f "same bytes" && mk t/y/s/f "same bytes" &&
	hl -d t/x t/y &&
	clean_run &&
	same_inode t/x/s/f t/y/s/f
'

expect_success '-d without -f: same directory part, different basenames linked' '
	mk t/x/s/f "same bytes" && mk t/y/s/g "same bytes" && mk t/y/u/f "same bytes" &&
	hl -d t/x t/y &&
	clean_run &&
	same_inode t/x/s/f t/y/s/g &&
	diff_inode t/x/s/f t/y/u/f &&
	nlink_is 1 t/y/u/f
'

expect_success '-d -f: the whole relative path must match' '
	mk t/x/s/f "same bytes" && mk t/y/s/f "same bytes" &&
	mk t/y/s/g "same bytes" && mk t/y/u/f "same bytes" &&
	hl -d -f t/x t/y &&
	clean_run &&
	same_inode t/x/s/f t/y/s/f &&
	diff_inode t/x/s/f t/y/s/g && diff_inode t/x/s/f t/y/u/f &&
	diff_inode t/y/s/g t/y/u/f &&
	linked_count 1
'

expect_success '-d: two names of one inode in s/ and u/ are separate; each links by directory' '
	mk t/A/s/f "same bytes" && mkdir t/A/u && ln t/A/s/f t/A/u/f &&
	mk t/B/s/f "same bytes" && mk t/B/u/f "same bytes" &&
	hl -d t/A t/B &&
	clean_run &&
	same_inode t/A/s/f t/B/s/f &&
	same_inode t/A/u/f t/B/u/f
'

expect_success '-d: files directly in the operands (empty directory part) linked' '
	mk t/x/f "same bytes" && mk t/y/g "same bytes" && mk t/y/s/h "same bytes" &&
	hl -d t/x t/y &&
	clean_run &&
	same_inode t/x/f t/y/g &&
	diff_inode t/x/f t/y/s/h
'

# --- -X: equal xattrs -------------------------------------------------

xattr_test 'without -X, files whose xattrs differ are linked' '
	pair "same bytes" &&
	setfattr -n user.x -v 1 t/a && setfattr -n user.x -v 2 t/b &&
	hl t &&
	clean_run &&
	same_inode t/a t/b
'

xattr_test '-X: equal xattr names and values: linked' '
	pair "same bytes" &&
	setfattr -n user.x -v 1 t/a && setfattr -n user.x -v 1 t/b &&
	setfattr -n user.y -v two t/a && setfattr -n user.y -v two t/b &&
	hl -X t &&
	clean_run &&
	same_inode t/a t/b &&
	[ "$(getfattr --only-values -n user.y t/b)" = two ]
'

xattr_test '-X: same xattr name, different value: not linked' '
	pair "same bytes" &&
	setfattr -n user.x -v 1 t/a && setfattr -n user.x -v 2 t/b &&
	hl -X t &&
	clean_run &&
	diff_inode t/a t/b &&
	linked_count 0
'

xattr_test '-X: an xattr on one file only: not linked' '
	pair "same bytes" && setfattr -n user.x -v 1 t/b &&
	hl -X t &&
	clean_run &&
	diff_inode t/a t/b &&
	files_count 2 &&
	linked_count 0
'

xattr_test '-X: different xattr names with equal values: not linked' '
	pair "same bytes" &&
	setfattr -n user.x -v 1 t/a && setfattr -n user.y -v 1 t/b &&
	hl -X t &&
	clean_run &&
	diff_inode t/a t/b &&
	files_count 2 &&
	linked_count 0
'

xattr_test '-X: no xattrs on either file: linked' '
	pair "same bytes" &&
	hl -X t &&
	clean_run &&
	same_inode t/a t/b
'

# --- size bounds --------------------------------------------------

expect_success 'default -s 1: two empty files are not linked' '
	mk t/a "" && mk t/b "" && save_state &&
	hl t &&
	clean_run &&
	diff_inode t/a t/b &&
	linked_count 0 &&
	files_count 2 &&
	state_unchanged
'

expect_success '-s 0: two empty files are linked' '
	mk t/a "" && mk t/b "" &&
	hl -s 0 t &&
	clean_run &&
	same_inode t/a t/b &&
	nlink_is 2 t/a &&
	linked_count 1
'

expect_success '-s 0: an empty file is not linked to a non-empty one' '
	mk t/a "" && mk t/b "x" &&
	hl -s 0 t &&
	clean_run &&
	diff_inode t/a t/b &&
	files_count 2 &&
	linked_count 0
'

expect_success '-s 11: 10-byte pair skipped, 11-byte pair linked' '
	mk t/a10 "0123456789" && mk t/b10 "0123456789" &&
	mk t/a11 "0123456789A" && mk t/b11 "0123456789A" &&
	hl -s 11 t &&
	clean_run &&
	diff_inode t/a10 t/b10 && same_inode t/a11 t/b11 &&
	files_count 4
'

expect_success '-S 10: 10-byte pair linked, 11-byte pair skipped' '
	mk t/a10 "0123456789" && mk t/b10 "0123456789" &&
	mk t/a11 "0123456789A" && mk t/b11 "0123456789A" &&
	hl -S 10 t &&
	clean_run &&
	same_inode t/a10 t/b10 && diff_inode t/a11 t/b11 &&
	files_count 4
'

# --- -i / -x on the full absolute path ---------------------------------

# four identical files: t/x/f1 t/x/f2 t/y/f1 t/y/f2
four() { for _f in x/f1 x/f2 y/f1 y/f2; do mk "t/$_f" "same bytes" || return 1; done; }

# (the patterns say /t/x/, not /x/: the scratch path may contain /x/)
expect_success '-x /t/x/: files under x are left alone, the rest linked' '
	four &&
	hl -x /t/x/ t &&
	clean_run &&
	same_inode t/y/f1 t/y/f2 &&
	diff_inode t/x/f1 t/y/f1 && diff_inode t/x/f2 t/y/f1 &&
	diff_inode t/x/f1 t/x/f2 &&
	files_count 2
'

expect_success '-x anchored on the absolute path (^$SCRATCH/t/x/) excludes' '
	four &&
	hl -x "^$SCRATCH/t/x/" t &&
	clean_run &&
	same_inode t/y/f1 t/y/f2 &&
	diff_inode t/x/f1 t/x/f2 && diff_inode t/x/f1 t/y/f1
'

expect_success '-x ^t/x/ (a relative path) matches nothing: all linked' '
	four &&
	hl -x "^t/x/" t &&
	clean_run &&
	same_inode t/x/f1 t/x/f2 && same_inode t/x/f1 t/y/f1 &&
	same_inode t/x/f1 t/y/f2 &&
	files_count 4
'

expect_success '-x matching only a directory name (/x$) excludes no file' '
	four &&
	hl -x "/x\$" t &&
	clean_run &&
	same_inode t/x/f1 t/y/f2 && nlink_is 4 t/x/f1
'

expect_success '-x /t/x/ -i f1$: include wins, x/f1 linked, x/f2 left alone' '
	four &&
	hl -x /t/x/ -i "f1\$" t &&
	clean_run &&
	same_inode t/x/f1 t/y/f1 && same_inode t/x/f1 t/y/f2 &&
	diff_inode t/x/f1 t/x/f2 && nlink_is 1 t/x/f2 &&
	files_count 3
'

expect_success '-i f1$ alone: only matching files are considered' '
	four &&
	hl -i "f1\$" t &&
	clean_run &&
	same_inode t/x/f1 t/y/f1 &&
	diff_inode t/x/f2 t/y/f2 && diff_inode t/x/f1 t/x/f2 &&
	nlink_is 1 t/x/f2 && nlink_is 1 t/y/f2 &&
	files_count 2
'

expect_success 'repeated -x: each pattern excludes' '
	four &&
	hl -x /x/f1 -x /y/f2 t &&
	clean_run &&
	same_inode t/x/f2 t/y/f1 &&
	nlink_is 1 t/x/f1 && nlink_is 1 t/y/f2
'

expect_success 'repeated -i: a file matching any pattern is considered' '
	four &&
	hl -i /x/f1 -i /y/f2 t &&
	clean_run &&
	same_inode t/x/f1 t/y/f2 &&
	nlink_is 1 t/x/f2 && nlink_is 1 t/y/f1
'

expect_success '-x is an extended regex (f[12]$ and (x|y)/f2)' '
	four && mk t/z/f3 "same bytes" && mk t/z/f4 "same bytes" &&
	hl -x "/(x|y)/f[12]\$" t &&
	clean_run &&
	same_inode t/z/f3 t/z/f4 &&
	nlink_is 1 t/x/f1 && nlink_is 1 t/y/f2
'

# --- --exclude-subtree prunes directories --------------------------------

expect_success '--exclude-subtree /x$: nothing under x is considered' '
	four && mk t/x/deep/f3 "same bytes" &&
	hl --exclude-subtree "/x\$" t &&
	clean_run &&
	same_inode t/y/f1 t/y/f2 &&
	nlink_is 1 t/x/f1 && nlink_is 1 t/x/f2 && nlink_is 1 t/x/deep/f3 &&
	files_count 2
'

expect_success '--exclude-subtree does not apply to files (f1$ prunes nothing)' '
	four &&
	hl --exclude-subtree "f1\$" t &&
	clean_run &&
	same_inode t/x/f1 t/y/f2 && nlink_is 4 t/x/f1
'

expect_success '--exclude-subtree matching a nested directory prunes it only' '
	four && mk t/x/deep/f3 "same bytes" &&
	hl --exclude-subtree "/x/deep\$" t &&
	clean_run &&
	same_inode t/x/f1 t/y/f2 && nlink_is 4 t/x/f1 &&
	nlink_is 1 t/x/deep/f3
'

expect_success '--exclude-subtree matching the operand itself: nothing scanned' '
	four && save_state &&
	hl --exclude-subtree "/t\$" t &&
	clean_run &&
	state_unchanged &&
	files_count 0
'

# --- what is never linked ---------------------------------------------

expect_success 'two names of one inode are never "linked" to each other' '
	mk t/a "same bytes" && ln t/a t/b && save_state &&
	hl -v t &&
	clean_run &&
	state_unchanged &&
	linked_count 0 &&
	no_line "$SCRATCH/out" "Linking" &&
	nlink_is 2 t/a
'

expect_success 'a hard-link pair and a copy: all three names end on one inode' '
	mk t/a "same bytes" && ln t/a t/b && mk t/c "same bytes" &&
	hl t &&
	clean_run &&
	same_inode t/a t/b && same_inode t/a t/c &&
	nlink_is 3 t/a
'

expect_success 'symlinks, fifos and device nodes are never touched or followed' '
	mk t/a "same bytes" && mk t/c "same bytes" && mk ext/f "same bytes" &&
	ln -s a t/l && ln -s ../ext/f t/lout && ln -s ../ext t/ldir &&
	mkfifo t/p && mknod t/null c 1 3 &&
	hl -s 0 t &&
	clean_run &&
	same_inode t/a t/c &&
	[ -L t/l ] && [ "$(readlink t/l)" = a ] &&
	[ -L t/lout ] && [ "$(readlink t/lout)" = ../ext/f ] &&
	[ -L t/ldir ] && [ -p t/p ] && [ -c t/null ] &&
	nlink_is 1 ext/f &&
	files_count 2
'

expect_success 'same size, different bytes (first, middle, last byte): never linked' '
	mkdir t &&
	head -c 200000 /dev/urandom >t/base &&
	for i in first mid last; do cp t/base t/$i || exit 1; done &&
	printf X | dd of=t/first bs=1 seek=0 conv=notrunc 2>/dev/null &&
	printf X | dd of=t/mid bs=1 seek=100000 conv=notrunc 2>/dev/null &&
	printf X | dd of=t/last bs=1 seek=199999 conv=notrunc 2>/dev/null &&
	touch -d @$T0 t/base t/first t/mid t/last && save_state &&
	hl t &&
	clean_run &&
	state_unchanged &&
	linked_count 0
'

expect_success 'a file and its own prefix (different sizes): not linked' '
	mk t/a "same bytes" && mk t/b "same bytes and more" &&
	hl -c t &&
	clean_run &&
	diff_inode t/a t/b &&
	files_count 2 &&
	linked_count 0
'

# --- operands -----------------------------------------------------

expect_success 'a file operand plus a directory operand' '
	mk t/x/f "same bytes" && mk t/x/h "same bytes" && mk t/y/g "same bytes" &&
	hl t/x/f t/y &&
	clean_run &&
	same_inode t/x/f t/y/g &&
	nlink_is 1 t/x/h &&
	files_count 2
'

expect_success 'two file operands' '
	mk t/x/f "same bytes" && mk t/y/g "same bytes" &&
	hl t/x/f t/y/g &&
	clean_run &&
	same_inode t/x/f t/y/g
'

expect_success 'several directory operands: files across them linked' '
	mk t/p/a "same bytes" && mk t/q/b "same bytes" && mk t/r/c "same bytes" &&
	mk t/s/d "same bytes" &&
	hl t/p t/q t/r &&
	clean_run &&
	same_inode t/p/a t/q/b && same_inode t/p/a t/r/c &&
	nlink_is 3 t/p/a && nlink_is 1 t/s/d &&
	files_count 3
'

expect_success 'relative, dotted and symlinked operands resolve to one tree' '
	pair "same bytes" && ln -s t tl &&
	hl ./t/../t tl &&
	clean_run &&
	same_inode t/a t/b &&
	files_count 4 &&
	linked_count 1
'

expect_success 'a directory named twice: Files counts 4, one link made' '
	pair "same bytes" &&
	hl -v t t &&
	clean_run &&
	same_inode t/a t/b && nlink_is 2 t/a &&
	files_count 4 &&
	linked_count 1 &&
	[ "$(grep -c "^Linking " "$SCRATCH/out")" = 1 ] &&
	no_temporaries t
'

expect_success 'one file named twice: Files 2, never linked to itself' '
	mk t/a "same bytes" && save_state &&
	hl t/a t/a &&
	clean_run &&
	files_count 2 &&
	linked_count 0 &&
	state_unchanged &&
	no_temporaries t
'

expect_success 'a file operand inside a directory operand counts twice, links once' '
	pair "same bytes" &&
	hl t t/a &&
	clean_run &&
	same_inode t/a t/b && nlink_is 2 t/a &&
	files_count 3 &&
	linked_count 1
'

test_done
