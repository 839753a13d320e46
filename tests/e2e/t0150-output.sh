#!/bin/sh
# t0150-output.sh - what is printed: the summary block (labels padded to
# 25 columns), human-readable sizes, -v/-vv/-vvv lines, -q, the -l/-z
# listing; nothing on stderr and exit 0 for clean runs.
#
# Test bodies are && chains: set -e, under which lib.sh runs them, ignores
# a failure anywhere in an && list but its last command.

. "$(dirname "$0")/lib.sh"

# Helpers shared by the CLI tests: mk, hl, rc_is, out_is, err_is, state...
. "$(dirname "$0")/lib-cli.sh"
# lower A B: the one of two paths with the lower inode number.
lower()
{
	if [ "$(stat -c %i "$1")" -lt "$(stat -c %i "$2")" ]; then
		echo "$1"
	else
		echo "$2"
	fi
}
# other_of X A B: whichever of A and B is not X.
other_of() { if [ "$1" = "$2" ]; then echo "$3"; else echo "$2"; fi; }
# lowest PATH...: the path with the lowest inode number.
lowest()
{
	for _p in "$@"; do echo "$(stat -c %i "$_p") $_p"; done |
		sort -n | head -n 1 | cut -d' ' -f2-
}

# summary MODE FILES LINKED XATTRS COMPARED SAVED [read]: the expected
# summary block, with the Duration value (and the Read: numbers, a -v
# line) replaced as norm_out replaces them.
summary()
{
	printf '%-25s %s\n' Mode: "$1" Method: memcmp Files: "$2" \
		Linked: "$3 files" Compared: "$4 xattrs" Compared: "$5 files" \
		Saved: "$6"
	if [ "${7:-}" = read ]; then printf '%-25s %s\n' Read: 'N bytes in M files'; fi
	printf '%-25s %s\n' Duration: 'S.UUUUUU seconds'
}

# out_matches: stdout equals $SCRATCH/want once the Duration value (whole
# seconds, a dot, 6 digits) and the Read: numbers are normalised.
out_matches()
{
	sed -E 's/^(Duration: +)[0-9]+\.[0-9]{6} seconds$/\1S.UUUUUU seconds/
		s/^(Read: +)[0-9]+ bytes in [0-9]+ files$/\1N bytes in M files/' \
		"$SCRATCH/out" >"$SCRATCH/got"
	cmp -s "$SCRATCH/want" "$SCRATCH/got" && return 0
	echo "stdout is not as expected (-want +got, normalised):"
	diff -u "$SCRATCH/want" "$SCRATCH/got" | tail -n +3
	return 1
}

# sum_tree: a, b, sub/c identical (12 bytes), d unique (5), e empty.
sum_tree()
{
	mk t/a "hello world!" && mk t/b "hello world!" &&
	mk t/sub/c "hello world!" && mk t/d "other" && mk t/e ""
}

# --- the summary block ------------------------------------------------

expect_success 'dry run: exact summary block, tree unchanged' '
	sum_tree && save_state &&
	hl -n t &&
	clean_run &&
	summary dry-run 5 2 0 2 "24 B" >"$SCRATCH/want" &&
	out_matches &&
	state_unchanged
'

expect_success 'real run: exact summary block, the three copies linked' '
	sum_tree &&
	hl t &&
	clean_run &&
	summary real 5 2 0 2 "24 B" >"$SCRATCH/want" &&
	out_matches &&
	same_inode t/a t/b && same_inode t/a t/sub/c && nlink_is 3 t/a
'

expect_success 'second real run on the linked tree: nothing linked, compared or saved' '
	sum_tree &&
	hl -q t &&
	clean_run && save_state &&
	hl t &&
	clean_run &&
	summary real 5 0 0 0 "0 B" >"$SCRATCH/want" &&
	out_matches &&
	state_unchanged
'

expect_success 'summary labels are padded to 25 columns, values start in column 27' '
	sum_tree &&
	hl -n t &&
	clean_run &&
	[ "$(wc -l <"$SCRATCH/out")" = 8 ] &&
	! cut -c26 "$SCRATCH/out" | grep -qv "^ \$" &&
	! cut -c27 "$SCRATCH/out" | grep -q "^ \$" &&
	grep -Eq "^Duration: {17}[0-9]+\.[0-9]{6} seconds\$" "$SCRATCH/out"
'

expect_success '-X: Compared: 2 xattrs for three identical files' '
	sum_tree &&
	hl -n -X t &&
	clean_run &&
	summary dry-run 5 2 2 2 "24 B" >"$SCRATCH/want" &&
	out_matches
'

expect_success 'an empty tree: zero counts, Saved: 0 B' '
	mkdir t &&
	hl t &&
	clean_run &&
	summary real 0 0 0 0 "0 B" >"$SCRATCH/want" &&
	out_matches
'

expect_success '-v adds Read: N bytes in M files just before Duration' '
	sum_tree &&
	hl -n -v t &&
	clean_run &&
	grep -Eq "^Read: {21}[0-9]+ bytes in [0-9]+ files\$" "$SCRATCH/out" &&
	[ "$(tail -n 2 "$SCRATCH/out" | head -n 1 | cut -c1-5)" = "Read:" ] &&
	grep -v "Linking" "$SCRATCH/out" >"$SCRATCH/out2" && mv "$SCRATCH/out2" "$SCRATCH/out" &&
	summary dry-run 5 2 0 2 "24 B" read >"$SCRATCH/want" &&
	out_matches
'

expect_success 'without -v there is no Read: line' '
	sum_tree &&
	hl t &&
	clean_run &&
	has_line "$SCRATCH/out" "Mode:                     real" &&
	no_line "$SCRATCH/out" "^Read:"
'

# --- human-readable sizes (Saved: and the -v size) --------------------

while IFS='|' read -r size human <&3; do
	expect_success "$size bytes print as $human (Saved: and the -v line)" "
	mkn t/a $size && mkn t/b $size &&
	m=\$(lower t/a t/b) && d=\$(other_of \"\$m\" t/a t/b) &&
	hl -n -v t &&
	clean_run &&
	has_line \"\$SCRATCH/out\" 'Saved:                    $human' &&
	has_line \"\$SCRATCH/out\" \"[DryRun] Linking \$SCRATCH/\$m to \$SCRATCH/\$d (-$human)\"
"
done 3<<'EOF'
6|6 B
1000|1000 B
1023|1023 B
1024|1 KiB
1025|1 KiB
1034|1.01 KiB
1536|1.5 KiB
1587|1.55 KiB
2042|1.99 KiB
2047|2 KiB
147456|144 KiB
1048575|1024 KiB
1572864|1.5 MiB
EOF

# Large sizes: mostly-sparse files (one byte written, so blocks are
# allocated) to keep the test fast.
while IFS='|' read -r size human <&3; do
	expect_success "$size bytes print as $human (large, sparse files)" "
	mkdir t && truncate -s $size t/a && truncate -s $size t/b &&
	printf x | dd of=t/a conv=notrunc 2>/dev/null &&
	printf x | dd of=t/b conv=notrunc 2>/dev/null &&
	touch -d @\$T0 t/a t/b &&
	hl -n t &&
	clean_run &&
	has_line \"\$SCRATCH/out\" 'Saved:                    $human'
"
done 3<<'EOF'
115642204|110.28 MiB
115642205|110.29 MiB
1073741824|1 GiB
EOF

expect_success 'Saved sums the freed inodes: 1024 + 512 bytes = 1.5 KiB' '
	mkn t/a 1024 && mkn t/b 1024 && mkn t/c 512 && mkn t/d 512 &&
	hl -n t &&
	clean_run &&
	has_line "$SCRATCH/out" "Saved:                    1.5 KiB" &&
	has_line "$SCRATCH/out" "Linked:                   2 files"
'

expect_success 'Saved counts a 2-path duplicate inode once; -v prints a line per path' '
	mkn t/a 100 $((T0 + 10)) && mkn t/b 100 && ln t/b t/b2 &&
	hl -t -v t &&
	clean_run &&
	grep "^Linking " "$SCRATCH/out" | sort >"$SCRATCH/lines" &&
	lines_are "$SCRATCH/lines" \
		"Linking $SCRATCH/t/a to $SCRATCH/t/b (-100 B)" \
		"Linking $SCRATCH/t/a to $SCRATCH/t/b2 (-100 B)" &&
	has_line "$SCRATCH/out" "Linked:                   2 files" &&
	has_line "$SCRATCH/out" "Saved:                    100 B" &&
	same_inode t/a t/b && same_inode t/a t/b2 && nlink_is 3 t/a
'

expect_success 'a duplicate with a link outside the tree frees nothing: Saved: 0 B' '
	mkn t/a 100 $((T0 + 10)) && mkn t/b 100 && mkdir ext && ln t/b ext/b &&
	hl -t t &&
	clean_run &&
	has_line "$SCRATCH/out" "Linked:                   1 files" &&
	has_line "$SCRATCH/out" "Saved:                    0 B" &&
	same_inode t/a t/b && nlink_is 1 ext/b
'

# --- -v lines -----------------------------------------------------------

expect_success '-n -v: [DryRun] Linking MASTER to DUP (-SIZE), then the summary' '
	mk t/a "hello world!" && mk t/b "hello world!" &&
	m=$(lower t/a t/b) && d=$(other_of "$m" t/a t/b) &&
	hl -n -v t &&
	clean_run &&
	{ echo "[DryRun] Linking $SCRATCH/$m to $SCRATCH/$d (-12 B)" &&
	  summary dry-run 2 1 0 1 "12 B" read; } >"$SCRATCH/want" &&
	out_matches
'

expect_success '-v real run: Linking MASTER to DUP (-SIZE), then the summary' '
	mk t/a "hello world!" && mk t/b "hello world!" &&
	m=$(lower t/a t/b) && d=$(other_of "$m" t/a t/b) &&
	hl -v t &&
	clean_run &&
	{ echo "Linking $SCRATCH/$m to $SCRATCH/$d (-12 B)" &&
	  summary real 2 1 0 1 "12 B" read; } >"$SCRATCH/want" &&
	out_matches &&
	same_inode t/a t/b
'

expect_success '-v: one line per replaced path, the newest kept (2-path inode)' '
	mk t/new "hello world!" $((T0 + 10)) && mk t/old "hello world!" &&
	ln t/old t/old2 &&
	hl -n -t -v t &&
	clean_run &&
	grep "Linking " "$SCRATCH/out" | sort >"$SCRATCH/lines" &&
	lines_are "$SCRATCH/lines" \
		"[DryRun] Linking $SCRATCH/t/new to $SCRATCH/t/old (-12 B)" \
		"[DryRun] Linking $SCRATCH/t/new to $SCRATCH/t/old2 (-12 B)" &&
	has_line "$SCRATCH/out" "Linked:                   2 files"
'

expect_success '-v: size groups in ascending size order (made 300, 100, 200)' '
	for s in 300 100 200; do
		mkn t/a$s $s && mkn t/b$s $s || exit 1
	done &&
	hl -n -v t &&
	clean_run &&
	for s in 100 200 300; do
		m=$(lower t/a$s t/b$s) && d=$(other_of "$m" t/a$s t/b$s) &&
		echo "[DryRun] Linking $SCRATCH/$m to $SCRATCH/$d (-$s B)" ||
		exit 1
	done >"$SCRATCH/want" &&
	grep "Linking " "$SCRATCH/out" >"$SCRATCH/lines" &&
	{ cmp -s "$SCRATCH/want" "$SCRATCH/lines" ||
	  { diff -u "$SCRATCH/want" "$SCRATCH/lines"; false; }; }
'

expect_success '-v prints no -vv lines (an empty file is skipped silently)' '
	sum_tree &&
	hl -n -v t &&
	clean_run &&
	[ "$(grep -c "^\[DryRun\] Linking " "$SCRATCH/out")" = 2 ] &&
	has_line "$SCRATCH/out" "Files:                    5" &&
	no_line "$SCRATCH/out" "^Skipped"
'

# --- -vv lines ------------------------------------------------------------

expect_success '-vv: Skipped (smaller than configured size) PATH' '
	sum_tree &&
	hl -n -vv t &&
	clean_run &&
	has_line "$SCRATCH/out" "Skipped (smaller than configured size) $SCRATCH/t/e" &&
	[ "$(grep -c "^Skipped" "$SCRATCH/out")" = 1 ]
'

expect_success '-vv -s 6: every smaller file gets its line' '
	sum_tree &&
	hl -n -vv -s 6 t &&
	clean_run &&
	has_line "$SCRATCH/out" "Skipped (smaller than configured size) $SCRATCH/t/e" &&
	has_line "$SCRATCH/out" "Skipped (smaller than configured size) $SCRATCH/t/d" &&
	[ "$(grep -c "^Skipped" "$SCRATCH/out")" = 2 ]
'

expect_success '-vv -S 10: Skipped (greater than configured size) PATH' '
	sum_tree &&
	hl -n -vv -S 10 t &&
	clean_run &&
	for f in a b sub/c; do
		has_line "$SCRATCH/out" "Skipped (greater than configured size) $SCRATCH/t/$f" ||
		exit 1
	done &&
	has_line "$SCRATCH/out" "Linked:                   0 files" &&
	has_line "$SCRATCH/out" "Files:                    5"
'

expect_success '-vv -x: Skipped (excluded) PATH, not counted in Files' '
	sum_tree &&
	hl -n -vv -x "/d\$" t &&
	clean_run &&
	has_line "$SCRATCH/out" "Skipped (excluded) $SCRATCH/t/d" &&
	has_line "$SCRATCH/out" "Files:                    4"
'

expect_success '-vv, a file named twice: Skipped (specified more than once) PATH' '
	sum_tree &&
	hl -n -vv t t/d &&
	clean_run &&
	has_line "$SCRATCH/out" "Skipped (specified more than once) $SCRATCH/t/d" &&
	[ "$(grep -c "more than once" "$SCRATCH/out")" = 1 ] &&
	has_line "$SCRATCH/out" "Files:                    6"
'

expect_success '-vv, a directory named twice: one line per regular file' '
	mk t/a "hello world!" && mk t/b "hello world!" &&
	hl -n -vv t t &&
	clean_run &&
	has_line "$SCRATCH/out" "Skipped (specified more than once) $SCRATCH/t/a" &&
	has_line "$SCRATCH/out" "Skipped (specified more than once) $SCRATCH/t/b" &&
	[ "$(grep -c "^Skipped" "$SCRATCH/out")" = 2 ] &&
	has_line "$SCRATCH/out" "Files:                    4" &&
	has_line "$SCRATCH/out" "Linked:                   1 files"
'

expect_success '-vv --exclude-subtree: Skipped (excluded subtree) DIR' '
	sum_tree &&
	hl -n -vv --exclude-subtree "/sub\$" t &&
	clean_run &&
	has_line "$SCRATCH/out" "Skipped (excluded subtree) $SCRATCH/t/sub" &&
	has_line "$SCRATCH/out" "Files:                    4" &&
	has_line "$SCRATCH/out" "Linked:                   1 files"
'

# --- -vvv lines -----------------------------------------------------------

# scan_lines_ok: each " N: [DEV/INO/NLINK] PATH" line is exactly
# printf ' %5d: [%s] %s' of its number, the file's stat and its path,
# and the numbers increase.
scan_lines_ok()
{
	grep -E '^ +[0-9]+: \[' "$SCRATCH/out" >"$SCRATCH/scan" ||
		{ echo "no scan lines:"; cat "$SCRATCH/out"; return 1; }
	_prev=0
	while IFS= read -r _l; do
		_n=$(echo "$_l" | sed -E 's/^ *([0-9]+): .*/\1/')
		_p=${_l#*] }
		_w=$(printf ' %5d: [%s] %s' "$_n" "$(stat -c %d/%i/%h "$_p")" "$_p")
		[ "$_l" = "$_w" ] || { echo "scan line '$_l', want '$_w'"; return 1; }
		[ "$_n" -gt "$_prev" ] || { echo "number $_n after $_prev"; return 1; }
		_prev=$_n
	done <"$SCRATCH/scan"
}
# scan_paths: the paths of the scan lines, sorted.
scan_paths() { sed 's/^[^]]*] //' "$SCRATCH/scan" | sort; }

expect_success '-vvv: Scanning header first, then one [DEV/INO/NLINK] line per file' '
	sum_tree && mk t/h1 "hard linked" && ln t/h1 t/h2 &&
	hl -n -vvv t &&
	clean_run &&
	has_line "$SCRATCH/out" "Scanning [device/inode/links]:" &&
	[ "$(head -n 1 "$SCRATCH/out")" = "Scanning [device/inode/links]:" ] &&
	scan_lines_ok &&
	scan_paths >"$SCRATCH/paths" &&
	lines_are "$SCRATCH/paths" "$SCRATCH/t/a" "$SCRATCH/t/b" "$SCRATCH/t/d" \
		"$SCRATCH/t/h1" "$SCRATCH/t/h2" "$SCRATCH/t/sub/c" &&
	[ "$(tail -n 1 "$SCRATCH/scan" | sed -E "s/^ *([0-9]+):.*/\\1/")" -le 7 ] &&
	has_line "$SCRATCH/out" "Files:                    7" &&
	grep -q "/2\\] $SCRATCH/t/h1\$" "$SCRATCH/scan"
'

expect_success '-vvv -x: excluded files get no scan line and use no number' '
	sum_tree &&
	hl -n -vvv -x "/(a|b)\$" -s 0 t &&
	clean_run &&
	scan_lines_ok &&
	scan_paths >"$SCRATCH/paths" &&
	lines_are "$SCRATCH/paths" "$SCRATCH/t/d" "$SCRATCH/t/e" "$SCRATCH/t/sub/c" &&
	sed -E "s/^ *([0-9]+):.*/\\1/" "$SCRATCH/scan" >"$SCRATCH/nums" &&
	lines_are "$SCRATCH/nums" 1 2 3
'

# --- -q ---------------------------------------------------------------------

expect_success '-q: nothing on stdout or stderr, links made, exit 0' '
	sum_tree &&
	hl -q t &&
	clean_run &&
	out_is &&
	same_inode t/a t/b && same_inode t/a t/sub/c
'

expect_success '-q -n: nothing on stdout, nothing linked' '
	sum_tree && save_state &&
	hl -q -n t &&
	clean_run &&
	out_is &&
	state_unchanged &&
	hl -n t &&
	has_line "$SCRATCH/out" "Linked:                   2 files"
'

# --- -l / -z listing ----------------------------------------------------

# list_tree: group 1 (5 bytes): s1, sub/s2 (and s3, same size, other
# bytes); group 2 (12 bytes): a (with hard link a2), b, sub/c.  Not
# listed: the hard-link pair p1/p2 without a copy, the unique u.
list_tree()
{
	mk t/s1 "small" && mk t/sub/s2 "small" && mk t/s3 "other" &&
	mk t/a "hello world!" && ln t/a t/a2 && mk t/b "hello world!" &&
	mk t/sub/c "hello world!" &&
	mk t/p1 "pair only" && ln t/p1 t/p2 && mk t/u "unique bytes here"
}
# grp N: the paths of group N, in listing order.
grp()
{
	awk -F "$TAB" -v g="$(printf '%016d' "$1")" '$1 == g { print $2 }' \
		"$SCRATCH/out"
}

expect_success '-l: groups by ascending size, master first, nothing linked, no summary' '
	list_tree && save_state &&
	m1=$(lowest t/s1 t/sub/s2) &&
	m2=$(lowest t/a t/b t/sub/c) &&
	hl -l t &&
	clean_run &&
	state_unchanged &&
	cut -f1 "$SCRATCH/out" >"$SCRATCH/ids" &&
	lines_are "$SCRATCH/ids" 0000000000000001 0000000000000001 \
		0000000000000002 0000000000000002 0000000000000002 0000000000000002 &&
	[ "$(grp 1 | head -n 1)" = "$SCRATCH/$m1" ] &&
	grp 1 | sort >"$SCRATCH/g1" &&
	lines_are "$SCRATCH/g1" "$SCRATCH/t/s1" "$SCRATCH/t/sub/s2" &&
	grp 2 | sort >"$SCRATCH/g2" &&
	lines_are "$SCRATCH/g2" "$SCRATCH/t/a" "$SCRATCH/t/a2" "$SCRATCH/t/b" \
		"$SCRATCH/t/sub/c" &&
	if [ "$m2" = t/a ]; then
		grp 2 | head -n 2 | sort >"$SCRATCH/g2m" &&
		lines_are "$SCRATCH/g2m" "$SCRATCH/t/a" "$SCRATCH/t/a2"
	else
		[ "$(grp 2 | head -n 1)" = "$SCRATCH/$m2" ]
	fi
'

expect_success '-l: a hard-link pair without a duplicate is not listed' '
	mk t/p1 "pair only" && ln t/p1 t/p2 && mk t/u "unique" &&
	mk t/x "a real dup" && mk t/y "a real dup" &&
	m=$(lower t/x t/y) && d=$(other_of "$m" t/x t/y) &&
	hl -l t &&
	clean_run &&
	out_is "0000000000000001$TAB$SCRATCH/$m" "0000000000000001$TAB$SCRATCH/$d" &&
	nlink_is 2 t/p1
'

expect_success '-l -m: the most-linked inode'"'"'s paths are listed first' '
	mk t/a "hello world!" && mk t/b "hello world!" && mk t/c "hello world!" &&
	m=$(lowest t/a t/b t/c) &&
	n=$(for f in t/a t/b t/c; do [ $f = "$m" ] || echo $f; done | head -n 1) &&
	ln "$n" t/n2 &&
	hl -l -m t &&
	clean_run &&
	[ "$(wc -l <"$SCRATCH/out")" = 4 ] &&
	grp 1 | head -n 2 | sort >"$SCRATCH/first" &&
	printf "%s\n" "$SCRATCH/$n" "$SCRATCH/t/n2" | sort >"$SCRATCH/want" &&
	cmp -s "$SCRATCH/first" "$SCRATCH/want" ||
	{ cat "$SCRATCH/out"; false; }
'

expect_success '-l: the links of one file in byte order, whatever the walk met first' '
	mk t/k "hello world!" $((T0 + 10)) && mkdir t/sub &&
	for n in z sub/a c b9; do ln t/k t/$n || exit 1; done &&
	mk t/d "hello world!" && ln t/d t/y && ln t/d t/a0 &&
	hl -l -t t &&
	clean_run &&
	G=0000000000000001 &&
	out_is "$G$TAB$SCRATCH/t/b9" "$G$TAB$SCRATCH/t/c" "$G$TAB$SCRATCH/t/k" \
		"$G$TAB$SCRATCH/t/sub/a" "$G$TAB$SCRATCH/t/z" \
		"$G$TAB$SCRATCH/t/a0" "$G$TAB$SCRATCH/t/d" "$G$TAB$SCRATCH/t/y" &&
	cp "$SCRATCH/out" first && hl -l -t t t/sub && cmp -s first "$SCRATCH/out"
'

expect_success '-l -z: the same records ended by NUL, no newline at all' '
	list_tree &&
	hl -l t &&
	clean_run &&
	mv "$SCRATCH/out" "$SCRATCH/nl" &&
	hl -l -z t &&
	clean_run &&
	[ "$(tr -cd "\\n" <"$SCRATCH/out" | wc -c)" = 0 ] &&
	[ "$(tr -cd "\\000" <"$SCRATCH/out" | wc -c)" = 6 ] &&
	[ "$(tail -c 1 "$SCRATCH/out" | od -An -tx1 | tr -d " ")" = 00 ] &&
	tr "\\000" "\\n" <"$SCRATCH/out" | cmp -s - "$SCRATCH/nl"
'

expect_success '-z without -l changes nothing in the output' '
	sum_tree &&
	hl -z -n t &&
	clean_run &&
	summary dry-run 5 2 0 2 "24 B" >"$SCRATCH/want" &&
	out_matches
'

expect_success '-l -v: accepted, only the listing is printed' '
	list_tree && save_state &&
	hl -l -v t &&
	clean_run &&
	mv "$SCRATCH/out" "$SCRATCH/v" &&
	hl -l t &&
	clean_run &&
	cmp -s "$SCRATCH/v" "$SCRATCH/out" &&
	[ "$(wc -l <"$SCRATCH/out")" = 6 ] &&
	state_unchanged
'

expect_success '-l on a tree without duplicates: empty output, exit 0' '
	mk t/a "one" && mk t/b "two" && mk t/c "four" && ln t/c t/c2 &&
	hl -l t &&
	clean_run &&
	out_is &&
	hl -n t &&
	has_line "$SCRATCH/out" "Files:                    4"
'

test_done
