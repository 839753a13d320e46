#!/bin/sh
# t0100-options.sh - command-line parsing: every option, long-option
# prefixes, bundling, permutation, size syntax, and the usage errors
# (message, exit status 1, tree left exactly as it was).

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

# opt_tree: t/x/f and t/y/f, identical 12-byte files, equal attributes.
opt_tree()
{
	mk t/x/f 'hello world!' && mk t/y/f 'hello world!'
}

# opt_check WANT SUM ARGS...: a run with ARGS on opt_tree is clean, keeps
# the bytes, and links the pair (WANT=linked) or leaves it alone
# (separate).  SUM is what stdout shows: "F/L" a summary with Files: F and
# Linked: L files, "none" nothing, "list" the pair as -l group 1.
opt_check()
{
	_want=$1
	_sum=$2
	shift 2
	opt_tree || return 1
	hl "$@" t
	clean_run || return 1
	content_is t/x/f 'hello world!' || return 1
	content_is t/y/f 'hello world!' || return 1
	case $_sum in
	none) out_is || return 1 ;;
	list) [ "$(cut -f1 "$SCRATCH/out" | sort -u)" = 0000000000000001 ] &&
		[ "$(cut -f2 "$SCRATCH/out" | sort)" = "$(printf '%s\n' \
			"$SCRATCH/t/x/f" "$SCRATCH/t/y/f")" ] ||
		{ echo "not the -l listing of the pair:"; cat "$SCRATCH/out"; return 1; } ;;
	*) has_line "$SCRATCH/out" "Files:                    ${_sum%/*}" &&
		has_line "$SCRATCH/out" "Linked:                   ${_sum#*/} files" ||
		return 1 ;;
	esac
	case $_want in
	linked) same_inode t/x/f t/y/f && nlink_is 2 t/x/f ;;
	separate) diff_inode t/x/f t/y/f && nlink_is 1 t/x/f &&
		nlink_is 1 t/y/f ;;
	*) echo "bad want $_want"; return 1 ;;
	esac
}

# usage_setup: the tree a usage error must leave alone (a linkable pair).
usage_setup() { opt_tree && save_state; }
# usage_checked: the run was refused (exit 1), printed nothing on stdout
# and the tree is exactly as it was.
usage_checked()
{
	rc_is 1 || return 1
	out_is || return 1
	state_unchanged || return 1
	diff_inode t/x/f t/y/f
}

# --- every option parses, with its effect on a linkable pair ----------

while read -r want sum args <&3; do
	case $args in
	*reflink*) [ "$REFLINK_FS" = yes ] && want=separate ;;
	esac
	expect_success "option $args is accepted (pair $want, summary $sum)" \
		"opt_check $want $sum $args"
done 3<<'EOF'
linked 2/1 -c
linked 2/1 -b 4096
linked 2/1 -b4096
separate 2/0 -d
linked 2/1 -f
linked 2/1 -F
linked 2/1 -i /f$
separate list -l
linked 2/1 -m
linked 2/1 -M
linked 2/1 --mount
separate 2/1 -n
linked 2/1 -o
linked 2/1 -O
linked 2/1 -p
linked none -q
linked 2/1 -r 1M
linked 2/1 --reflink
linked 2/1 --reflink=auto
linked 2/1 --reflink=never
separate 2/1 --reflink=always -n
linked 2/1 --skip-reflinks
linked 2/1 -s 12
linked 2/1 -s12
separate 2/0 -s 13
separate 2/0 -s13
linked 2/1 -S 12
separate 2/0 -S11
linked 2/1 -t
linked 2/1 -v
linked 2/1 -vv
linked 2/1 -vvv
linked 2/1 -v -v
linked 2/1 -x nomatch
separate 0/0 -x /f$
linked 2/1 --exclude-subtree nomatch
separate 1/0 --exclude-subtree /x$
linked 2/1 -X
linked 2/1 -y memcmp
linked 2/1 -ysha256
linked 2/1 -z
linked 2/1 --real-size
linked 2/1 --content
linked 2/1 --io-size 4096
linked 2/1 --io-size=4096
separate 2/0 --respect-dir
linked 2/1 --respect-name
linked 2/1 --prioritize-trees
linked 2/1 --include /f$
linked 2/1 --include=/f$
separate list --list-duplicates
linked 2/1 --maximize
linked 2/1 --minimize
separate 2/1 --dry-run
linked 2/1 --ignore-owner
linked 2/1 --keep-oldest
linked 2/1 --ignore-mode
linked none --quiet
linked 2/1 --cache-size 1M
linked 2/1 --cache-size=1M
linked 2/1 --minimum-size 12
separate 2/0 --minimum-size=13
separate 2/0 --minimum-size 13
linked 2/1 --maximum-size=12
separate 2/0 --maximum-size 11
linked 2/1 --ignore-time
linked 2/1 --verbose
linked 2/1 --exclude nomatch
separate 0/0 --exclude=/f$
separate 1/0 --exclude-subtree=/y$
linked 2/1 --respect-xattrs
linked 2/1 --method memcmp
linked 2/1 --method=crc32
linked 2/1 --zero
EOF

# --- what a few options print -------------------------------------------

expect_success '-q: real run links the pair and prints nothing on stdout' '
	opt_tree &&
	hl -q t &&
	clean_run &&
	out_is &&
	same_inode t/x/f t/y/f
'

expect_success '-n: dry run says Mode: dry-run and changes nothing' '
	opt_tree && save_state &&
	hl -n t &&
	clean_run &&
	has_line "$SCRATCH/out" "Mode:                     dry-run" &&
	has_line "$SCRATCH/out" "Linked:                   1 files" &&
	state_unchanged
'

expect_success '-l: lists the pair as group 1, links nothing, no summary' '
	opt_tree && save_state &&
	m=$(lower t/x/f t/y/f) && d=$(other_of "$m" t/x/f t/y/f) &&
	hl -l t &&
	clean_run &&
	out_is "0000000000000001$TAB$SCRATCH/$m" "0000000000000001$TAB$SCRATCH/$d" &&
	state_unchanged
'

# -y: every known method is accepted, the summary always says memcmp.
for m in memcmp sha256 sha1 crc32 crc32c; do
	expect_success "-y $m is accepted, links, and the summary says Method: memcmp" "
	opt_tree &&
	hl -y $m t &&
	clean_run &&
	same_inode t/x/f t/y/f &&
	has_line \"\$SCRATCH/out\" 'Method:                   memcmp' &&
	has_line \"\$SCRATCH/out\" 'Mode:                     real'
"
done

expect_success '--reflink=always -n -v prints a [DryRun] RefLinking line' '
	opt_tree && save_state &&
	m=$(lower t/x/f t/y/f) && d=$(other_of "$m" t/x/f t/y/f) &&
	hl --reflink=always -n -v t &&
	clean_run &&
	has_line "$SCRATCH/out" "[DryRun] RefLinking $SCRATCH/$m to $SCRATCH/$d (-12 B)" &&
	state_unchanged
'

if [ "$REFLINK_FS" = yes ]; then
	skip_test '--reflink always: "always" is an operand' 'scratch filesystem clones'
else
expect_success '--reflink always: "always" is an operand, not the mode' '
	opt_tree &&
	hl --reflink always t &&
	rc_is 1 &&
	err_is "$HLBASE: cannot get realpath: always: No such file or directory" &&
	same_inode t/x/f t/y/f
'
fi

# --- long-option prefixes ---------------------------------------------

expect_success '--dry (prefix of --dry-run) makes a dry run' '
	opt_tree && save_state &&
	hl --dry t &&
	clean_run &&
	has_line "$SCRATCH/out" "Mode:                     dry-run" &&
	state_unchanged
'

expect_success '--cont (prefix of --content) links files of different mode' '
	opt_tree && chmod 600 t/y/f &&
	hl t &&
	clean_run &&
	diff_inode t/x/f t/y/f &&
	hl --cont t &&
	clean_run &&
	same_inode t/x/f t/y/f
'

expect_success '--ignore-t --verb (prefixes of --ignore-time, --verbose) work' '
	opt_tree && touch -d @$((T0 + 5)) t/y/f &&
	hl --ignore-t --verb t &&
	clean_run &&
	same_inode t/x/f t/y/f &&
	grep -q "^Linking " "$SCRATCH/out"
'

expect_success 'ambiguous prefix --re is an error, exit 1, tree unchanged' '
	usage_setup &&
	hl --re t &&
	usage_checked &&
	head -n 1 "$SCRATCH/err" | grep -q "^$HLBASE: option ${SQ}--re${SQ} is ambiguous" ||
		{ cat "$SCRATCH/err"; false; } &&
	[ "$(tail -n 1 "$SCRATCH/err")" = "Try ${SQ}$HLBASE --help${SQ} for more information." ]
'

expect_success 'ambiguous prefix --ignore is an error, exit 1, tree unchanged' '
	usage_setup &&
	hl --ignore t &&
	usage_checked &&
	head -n 1 "$SCRATCH/err" | grep -q "^$HLBASE: option ${SQ}--ignore${SQ} is ambiguous" ||
		{ cat "$SCRATCH/err"; false; }
'

# --- bundling and permutation -----------------------------------------

expect_success 'bundled -cv: content-only link of a different-mode file, -v line' '
	opt_tree && chmod 600 t/y/f &&
	m=$(lower t/x/f t/y/f) && d=$(other_of "$m" t/x/f t/y/f) &&
	hl -cv t &&
	clean_run &&
	same_inode t/x/f t/y/f &&
	has_line "$SCRATCH/out" "Linking $SCRATCH/$m to $SCRATCH/$d (-12 B)"
'

expect_success 'bundled -nvv: dry run with -vv lines' '
	opt_tree && mk t/e "" && save_state &&
	m=$(lower t/x/f t/y/f) && d=$(other_of "$m" t/x/f t/y/f) &&
	hl -nvv t &&
	clean_run &&
	state_unchanged &&
	has_line "$SCRATCH/out" "[DryRun] Linking $SCRATCH/$m to $SCRATCH/$d (-12 B)" &&
	has_line "$SCRATCH/out" "Skipped (smaller than configured size) $SCRATCH/t/e"
'

expect_success 'bundled -nvs0: -s with its value inside a bundle' '
	mk t/e1 "" && mk t/e2 "" && save_state &&
	hl -nvs0 t &&
	clean_run &&
	state_unchanged &&
	has_line "$SCRATCH/out" "Linked:                   1 files"
'

expect_success 'options after the operand are honoured (t -n -v)' '
	opt_tree && save_state &&
	m=$(lower t/x/f t/y/f) && d=$(other_of "$m" t/x/f t/y/f) &&
	hl t -n -v &&
	clean_run &&
	state_unchanged &&
	has_line "$SCRATCH/out" "[DryRun] Linking $SCRATCH/$m to $SCRATCH/$d (-12 B)" &&
	has_line "$SCRATCH/out" "Mode:                     dry-run"
'

expect_success 'option between two operands is honoured (t/x -c t/y)' '
	opt_tree && chmod 600 t/y/f &&
	hl t/x -c t/y &&
	clean_run &&
	same_inode t/x/f t/y/f
'

expect_success '-- ends options: a following -n is an operand' '
	opt_tree &&
	mkdir -- -n && mk ./-n/f "hello world!" &&
	hl -q -- -n t &&
	clean_run &&
	same_inode t/x/f t/y/f &&
	same_inode t/x/f ./-n/f
'

# --- size syntax, checked at the boundary (both bounds inclusive) ------

# size_tree N: identical pairs of N-1, N and N+1 bytes under t/lo, t/eq, t/hi.
size_tree()
{
	for _p in lo:$(($1 - 1)) eq:$1 hi:$(($1 + 1)); do
		mkn "t/${_p%%:*}/a" "${_p#*:}" && mkn "t/${_p%%:*}/b" "${_p#*:}" ||
			return 1
	done
}
# size_pairs: which of the three pairs got linked, e.g. "lo=n eq=y hi=y".
size_pairs()
{
	_r=
	for _p in lo eq hi; do
		if [ "$(stat -c %i t/$_p/a)" = "$(stat -c %i t/$_p/b)" ]; then
			_r="$_r $_p=y"
		else
			_r="$_r $_p=n"
		fi
	done
	echo "${_r# }"
}
# size_check OPT SPEC N WANT: with OPT SPEC, the pairs of N-1, N, N+1 bytes
# are linked as WANT says.
size_check()
{
	size_tree "$3" || return 1
	hl "$1" "$2" t
	clean_run || return 1
	_got=$(size_pairs)
	[ "$_got" = "$4" ] && return 0
	echo "with $1 $2 (N=$3): linked pairs $_got, want $4"
	return 1
}

while read -r spec n <&3; do
	expect_success "-s $spec means $n bytes: a $n-byte file is included, $((n - 1)) is not" \
		"size_check -s $spec $n 'lo=n eq=y hi=y'"
	expect_success "-S $spec means $n bytes: a $n-byte file is included, $((n + 1)) is not" \
		"size_check -S $spec $n 'lo=y eq=y hi=n'"
done 3<<'EOF'
512 512
4K 4096
4KiB 4096
4KB 4000
1.5M 1572864
1.5K 1536
EOF

expect_success '--minimum-size=4K --maximum-size=4K: exactly 4096 bytes only' '
	size_tree 4096 &&
	hl --minimum-size=4K --maximum-size=4K t &&
	clean_run &&
	[ "$(size_pairs)" = "lo=n eq=y hi=n" ] || { size_pairs; false; }
'

# 2G: sparse files of distinct sizes; -vv tells which were skipped.
expect_success '-s 2G means 2147483648 bytes (-vv shows what was skipped)' '
	mkdir t && truncate -s 2147483647 t/lo && truncate -s 2147483648 t/eq &&
	truncate -s 2147483649 t/hi &&
	hl -n -vv -s 2G t &&
	clean_run &&
	has_line "$SCRATCH/out" "Skipped (smaller than configured size) $SCRATCH/t/lo" &&
	no_line "$SCRATCH/out" "^Skipped.*/t/eq\$" &&
	no_line "$SCRATCH/out" "^Skipped.*/t/hi\$"
'

expect_success '-S 2G means 2147483648 bytes (-vv shows what was skipped)' '
	mkdir t && truncate -s 2147483647 t/lo && truncate -s 2147483648 t/eq &&
	truncate -s 2147483649 t/hi &&
	hl -n -vv -S 2G t &&
	clean_run &&
	has_line "$SCRATCH/out" "Skipped (greater than configured size) $SCRATCH/t/hi" &&
	no_line "$SCRATCH/out" "^Skipped.*/t/eq\$" &&
	no_line "$SCRATCH/out" "^Skipped.*/t/lo\$"
'

expect_success '--real-size: -S compares allocated bytes, not the length' '
	mkn t/a 100 && mkn t/b 100 &&
	blocks=$(stat -c %b t/a) &&
	{ [ $((blocks * 512)) -gt 1000 ] ||
		{ echo "a 100-byte file uses only $blocks blocks here"; false; }; } &&
	hl -S 1000 --real-size t &&
	clean_run &&
	diff_inode t/a t/b &&
	hl -S 1000 t &&
	clean_run &&
	same_inode t/a t/b
'

# --- usage errors: message, exit 1, nothing on stdout, tree unchanged --

for o in "-s:minimum size" "-S:maximum size" "-b:I/O size" "-r:cache size" \
	"--minimum-size:minimum size" "--io-size:I/O size"; do
	expect_success "${o%%:*} abc: failed to parse ${o#*:}, exit 1, tree unchanged" "
	usage_setup &&
	hl ${o%%:*} abc t &&
	usage_checked &&
	err_is \"\$HLBASE: failed to parse ${o#*:}: \${SQ}abc\${SQ}: Invalid argument\"
"
done

expect_success '-s 4Q (unknown suffix): failed to parse minimum size, exit 1' '
	usage_setup &&
	hl -s 4Q t &&
	usage_checked &&
	err_is "$HLBASE: failed to parse minimum size: ${SQ}4Q${SQ}: Invalid argument"
'

expect_success 'no operand: no directory or file specified, exit 1' '
	usage_setup &&
	hl &&
	usage_checked &&
	err_is "$HLBASE: no directory or file specified"
'

expect_success 'options but no operand (-n -v): no directory or file specified, exit 1' '
	usage_setup &&
	hl -n -v &&
	usage_checked &&
	err_is "$HLBASE: no directory or file specified"
'

for qv in "-q -v" "-v -q" "-qv" "--quiet --verbose" "-q -vvv"; do
	expect_success "$qv: options --quiet and --verbose cannot be combined, exit 1" "
	usage_setup &&
	hl $qv t &&
	usage_checked &&
	err_is \"\$HLBASE: options --quiet and --verbose cannot be combined\"
"
done

expect_success 'unknown long option --foo: message and Try line, exit 1' '
	usage_setup &&
	hl --foo t &&
	usage_checked &&
	err_is "$HLBASE: unrecognized option ${SQ}--foo${SQ}" \
		"Try ${SQ}$HLBASE --help${SQ} for more information."
'

expect_success 'unknown short option -k: invalid option, Try line, exit 1' '
	usage_setup &&
	hl -k t &&
	usage_checked &&
	err_is "$HLBASE: invalid option -- ${SQ}k${SQ}" \
		"Try ${SQ}$HLBASE --help${SQ} for more information."
'

expect_success 'missing argument (-s at the end): error and Try line, exit 1' '
	usage_setup &&
	hl t -s &&
	usage_checked &&
	err_is "$HLBASE: option requires an argument -- ${SQ}s${SQ}" \
		"Try ${SQ}$HLBASE --help${SQ} for more information."
'

expect_success '--reflink=bogus: unsupported reflink mode: bogus, exit 1' '
	usage_setup &&
	hl --reflink=bogus t &&
	usage_checked &&
	err_is "$HLBASE: unsupported reflink mode: bogus"
'

expect_success '-y nosuch: unsupported method: nosuch, exit 1' '
	usage_setup &&
	hl -y nosuch t &&
	usage_checked &&
	err_is "$HLBASE: unsupported method: nosuch"
'

expect_success '--method=MD5 (case matters): unsupported method, exit 1' '
	usage_setup &&
	hl --method=MD5 t &&
	usage_checked &&
	err_is "$HLBASE: unsupported method: MD5"
'

for o in -i -x --include --exclude --exclude-subtree; do
	expect_success "$o with a bad regex: could not compile regular expression, exit 1" "
	usage_setup &&
	hl $o '(' t &&
	usage_checked &&
	[ \$(wc -l <\"\$SCRATCH/err\") = 1 ] &&
	grep -q \"^\$HLBASE: could not compile regular expression\" \"\$SCRATCH/err\" ||
		{ cat \"\$SCRATCH/err\"; false; }
"
done

expect_success 'a bad regex after a good one is still refused (-x a -x "[")' '
	usage_setup &&
	hl -x a -x "[" t &&
	usage_checked &&
	grep -q "^$HLBASE: could not compile regular expression" "$SCRATCH/err"
'

# --- help and version -------------------------------------------------

for h in -h --help --he; do
	expect_success "$h: usage on stdout, exit 0, no stderr, tree untouched" "
	opt_tree && save_state &&
	hl $h t &&
	clean_run &&
	state_unchanged &&
	grep -q '^Usage:\$' \"\$SCRATCH/out\" &&
	grep -q '^ hardlink \\[options\\] <directory>|<file> \\.\\.\\.\$' \"\$SCRATCH/out\" ||
		{ cat \"\$SCRATCH/out\"; false; }
"
done

for v in -V --version; do
	expect_success "$v: one line starting 'hardlink ', exit 0, tree untouched" "
	opt_tree && save_state &&
	hl $v t &&
	clean_run &&
	state_unchanged &&
	[ \$(wc -l <\"\$SCRATCH/out\") = 1 ] &&
	grep -q '^hardlink ' \"\$SCRATCH/out\" || { cat \"\$SCRATCH/out\"; false; }
"
done

test_done
