#!/bin/sh
# t0500-differential.sh - hardlink against util-linux hardlink, tree by tree.
#
# For every scenario (a seed of gen-tree.py) and every option set, the tree
# is generated twice, A and B, built step by step side by side in a fresh
# directory (on a tmpfs when possible, see fs_setup), so that mtimes,
# owners, modes, xattrs, links and the relative order of inode numbers are
# the same; that is checked before anything runs.  util-linux's hardlink
# runs on A, ours on B:
#   - a dry run (-n) first: the Files:, Linked: and Saved: lines must match;
#   - then a real run: both exit 0 with nothing on stderr, the same
#     Files:/Linked:/Saved: lines, the same partition of relative paths
#     into inodes, and every path still holds its original bytes (and no
#     path appeared or vanished).
# One TAP line per (scenario, option set).  A few option sets also name
# their operands (subtrees, overlapping operands, a symlink to a directory);
# the others give the tree's root.
#
# Rules for the option sets, from util-linux 2.38.1 (what /usr/bin has) as
# against the 2.41 behaviour hardlink follows: -c acts where it stands in
# 2.38, so it comes last (and never with -f or -X, which 2.41's -c cancels
# and 2.38's does not when they come first); no -s 0 (2.38 never links
# empty files); none of -F -l -z -d --mount --exclude-subtree --real-size.
# Regexes only match inside the tree (A/ and B/ are in the same place).
# A failing case's trees, listings (*.before/*.dry/*.after.*) and outputs
# are copied into its scratch directory.
#
# T0500_SEEDS overrides the list of scenarios (e.g. T0500_SEEDS='3 7').
# T0500_STRIDE=K (default 6) runs the case of the N-th scenario of the list
# and option set I only when (N + I) % K == 0: every option set on
# every K-th scenario, each scenario with every K-th option set, in turn
# (12 x 29 / 6 = 58 cases).  T0500_STRIDE=1 runs all 348 (tests/soak/).

. "$(dirname "$0")/lib.sh"

GEN_TREE=$(cd "$(dirname "$0")" && pwd -P)/gen-tree.py
# pyenv-style shims cost ~100 ms a start; the system python is enough.
if [ -z "${PYTHON:-}" ]; then
	if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3
	else PYTHON=python3; fi
fi
gen_tree() { "$PYTHON" "$GEN_TREE" "$@"; }
# A hung run fails its case (status 124) instead of the whole script.
TIMEOUT=""
command -v timeout >/dev/null 2>&1 && TIMEOUT="timeout -k 5 60"

SEEDS=${T0500_SEEDS:-"1 2 3 4 5 6 7 8 9 10 11 12"}
STRIDE=${T0500_STRIDE:-6}

# Option sets, as shell words (evaluated with eval "set -- ...").
NOPTS=29
optset()
{
	case $1 in
	1) printf '%s\n' "" ;;
	2) printf '%s\n' "-p" ;;
	3) printf '%s\n' "-o" ;;
	4) printf '%s\n' "-t" ;;
	5) printf '%s\n' "-c" ;;
	6) printf '%s\n' "-f" ;;
	7) printf '%s\n' "-p -o -t" ;;
	8) printf '%s\n' "-O" ;;
	9) printf '%s\n' "-m" ;;
	10) printf '%s\n' "-M" ;;
	11) printf '%s\n' "-s 100" ;;
	12) printf '%s\n' "-S 3000" ;;
	13) printf '%s\n' "-s 33 -S 4096" ;;
	14) printf '%s\n' "-s 1K -S 64K" ;;
	15) printf '%s\n' "-x '/d1/'" ;;
	16) printf '%s\n' "-i '/keep[^/]*\$'" ;;
	17) printf '%s\n' "-x '/d1/' -i '\\.bak\$'" ;;
	18) printf '%s\n' "-x '\\.bak\$' -x '/d2/x/'" ;;
	19) printf '%s\n' "-X" ;;
	20) printf '%s\n' "-X -p -t" ;;
	21) printf '%s\n' "-f -t" ;;
	22) printf '%s\n' "-O -t" ;;
	23) printf '%s\n' "-m -c" ;;
	24) printf '%s\n' "-M -t" ;;
	25) printf '%s\n' "-f -o -p" ;;
	26) printf '%s\n' "-O -m -o" ;;
	27) printf '%s\n' "-t" ;;
	28) printf '%s\n' "" ;;
	29) printf '%s\n' "-o" ;;
	esac
}

# Operands of option set N, relative to the tree (no spaces in them).
operands()
{
	case $1 in
	27) echo "d2 ." ;;		# overlapping: d2's paths reached twice
	28) echo "d1 d2" ;;		# some links of an inode out of reach
	29) echo "dirlink ." ;;		# a symlink operand (realpath)
	*) echo "." ;;
	esac
}

# title N: the TAP title of option set N.
title()
{
	t="hardlink $(optset "$1")"
	t=${t% }
	[ "$(operands "$1")" = . ] || t="$t (operands: $(operands "$1"))"
	echo "$t"
}

# The trees live on a tmpfs of their own when one can be mounted (or on
# /dev/shm): tmpfs numbers inodes from a counter, so both copies get them in
# creation order and util-linux's tie-break (lowest inode number) picks the
# same master in both.  On ext4 the order can differ (recently freed inodes
# are skipped for a while), so it is checked and the pair regenerated.
FS="" FS_MOUNTED=""
fs_setup()
{
	FS=$(mktemp -d "$TEST_TMP/t0500-fs.XXXXXX") || return 1
	if mount -t tmpfs -o size=512m,mode=0755 t0500-differential "$FS" \
		2>/dev/null; then
		FS_MOUNTED=$FS
	elif [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] &&
		d=$(mktemp -d /dev/shm/t0500-differential.XXXXXX 2>/dev/null); then
		rmdir "$FS"; FS=$d
	fi
}
fs_cleanup()
{
	[ -z "$FS_MOUNTED" ] || umount "$FS_MOUNTED" 2>/dev/null || :
	[ -z "$FS" ] || rm -rf "$FS"
}

# The functions below report failure through their status and do not rely
# on set -e (it is off inside "&&" and "||" lists anyway), hence the
# "|| return" after each step.

# gen_pair SEED: A and B in the current directory, identical trees;
# regenerated when the relative inode order of the copies differs.
gen_pair()
{
	tries=0
	while :; do
		rm -rf A B || return 1
		gen_tree gen --seed "$1" A B || return 1
		gen_tree snap A A.before B B.before || return 1
		cmp -s A.before.meta B.before.meta || {
			echo "gen-tree.py made two different copies:"
			diff A.before.meta B.before.meta | head -20
			return 1
		}
		cmp -s A.before.order B.before.order && return 0
		tries=$((tries + 1))
		[ $tries -lt 10 ] || {
			echo "relative inode order differs between the copies:"
			diff A.before.order B.before.order | head -20
			return 1
		}
	done
}

# hl NAME BINARY TREE N [ARG]: runs one hardlink with option set N (after
# ARG, e.g. -n) on TREE; keeps NAME.out NAME.err NAME.rc.
hl()
{
	name=$1 bin=$2 tree=$3 n=$4; shift 4
	eval "set -- \"\$@\" $(optset "$n")" || return 1
	for o in $(operands "$n"); do set -- "$@" "$PWD/$tree/$o"; done
	rc=0
	$TIMEOUT "$bin" "$@" >"$name.out" 2>"$name.err" || rc=$?
	echo $rc >"$name.rc"
}

# show_diff WHAT FILE1 FILE2: a short diff (the files stay for the rest).
show_diff()
{
	echo "$1 (< $2, > $3; A is util-linux's tree, B ours):"
	diff "$2" "$3" | head -30
}

# same_outcome UL OURS: both exit 0 with an empty stderr and print the same
# Files:, Linked: and Saved: lines.
same_outcome()
{
	ok=0
	for n in "$1" "$2"; do
		if [ "$(cat "$n.rc")" != 0 ] || [ -s "$n.err" ]; then
			echo "$n: exit $(cat "$n.rc"), stderr:"; cat "$n.err"
			ok=1
		fi
	done
	for label in Files: Linked: Saved:; do
		u=$(summary_line "$label" "$1.out")
		o=$(summary_line "$label" "$2.out")
		if [ -z "$u" ] || [ "$u" != "$o" ]; then
			echo "$label util-linux '$u', ours '$o'"
			ok=1
		fi
	done
	[ $ok = 0 ] || { echo "--- util-linux:"; cat "$1.out";
			 echo "--- ours:"; cat "$2.out"; }
	return $ok
}

# compare SEED N: the whole comparison for option set N, in the current
# directory.
compare()
{
	gen_pair "$1" || return 1
	hl ul-dry "$UL_HARDLINK" A "$2" -n
	hl our-dry "$HARDLINK" B "$2" -n
	same_outcome ul-dry our-dry || { echo "DIFFERS: dry run"; return 1; }
	gen_tree snap A A.dry B B.dry || return 1
	cmp -s A.before.meta A.dry.meta || {
		show_diff "util-linux's dry run changed A" A.before.meta A.dry.meta
		return 1
	}
	cmp -s B.before.meta B.dry.meta || {
		show_diff "our dry run changed B" B.before.meta B.dry.meta
		echo "DIFFERS: dry run changed the tree"
		return 1
	}

	hl ul "$UL_HARDLINK" A "$2"
	hl our "$HARDLINK" B "$2"
	gen_tree snap A A.after B B.after || return 1
	bad=""
	same_outcome ul our || bad="$bad summary/exit"
	cmp -s A.after.partition B.after.partition || {
		show_diff "inode partitions differ" \
			A.after.partition B.after.partition
		bad="$bad partition"
	}
	cmp -s A.before.content A.after.content || {
		show_diff "util-linux changed contents" \
			A.before.content A.after.content
		bad="$bad util-linux-contents"
	}
	cmp -s B.before.content B.after.content || {
		show_diff "our run changed contents" \
			B.before.content B.after.content
		bad="$bad contents"
	}
	[ -z "$bad" ] || { echo "DIFFERS (real run):$bad"; return 1; }
}

# run_case SEED N: compare in a fresh directory on $FS; a failing
# case's trees and outputs are copied into $SCRATCH, which lib.sh keeps.
run_case()
{
	w=$(mktemp -d "$FS/case.XXXXXX") || return 1
	rc=0
	(cd "$w" && compare "$1" "$2") || rc=$?
	[ $rc = 0 ] || cp -a "$w/." "$SCRATCH/" || :
	rm -rf "$w"
	return $rc
}

if [ "$(id -u)" != 0 ]; then
	skip_test 't0500 differential' 'needs root (files owned by uids 1000, 1001)'
	test_done
	exit
fi
if ! [ -x "$UL_HARDLINK" ]; then
	skip_test 't0500 differential' "no util-linux hardlink at $UL_HARDLINK"
	test_done
	exit
fi
fs_setup || exit 1
trap fs_cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# every_kind: the seed's tree (T in the current directory) has every
# kind of entry the differential cases rely on.
every_kind()
{
	gen_tree gen --seed "$1" T && gen_tree meta T >m || return 1
	rm -rf T
	for re in \
		' f 0 ' ' p ' ' l ' \
		' f [0-9]* [0-9a-f]* [0-7]* [0-9:]* [0-9]* [2-9] ' \
		' f [0-9]* [0-9a-f]* 4755 ' \
		' 1000:1000 ' ' 1001:1001 \| 0:1000 ' 'user\.tag=' \
		'\\x0a' '\\x20' '^-\|/-' '\\xff\|\\xe9' \
		'^[^ ]*/[^ ]*/[^ ]* f '
	do
		grep -q -- "$re" m || { echo "seed $1: nothing matches $re"; return 1; }
	done
}

expect_success 'gen-tree.py trees have every kind of entry' '
	for seed in $SEEDS; do every_kind "$seed" || exit 1; done
'

nseeds=0
for seed in $SEEDS; do nseeds=$((nseeds + 1)); done
cases=0 same=0 bad_seeds="" bad_opts="" failed=""
n=0
for seed in $SEEDS; do
	n=$((n + 1))
	i=1
	while [ $i -le $NOPTS ]; do
		if [ $(((n + i) % STRIDE)) != 0 ]; then
			i=$((i + 1))
			continue
		fi
		before=$_t_fail
		expect_success "seed $seed: $(title $i)" 'run_case "$seed" "$i"'
		cases=$((cases + 1))
		if [ "$_t_fail" = "$before" ]; then
			same=$((same + 1))
		else
			failed="$failed
# differs: seed $seed, $(title $i)"
			case " $bad_seeds " in *" $seed "*) ;;
			*) bad_seeds="$bad_seeds $seed" ;; esac
			case " $bad_opts " in *" $i "*) ;;
			*) bad_opts="$bad_opts $i" ;; esac
		fi
		i=$((i + 1))
	done
done

nbad_seeds=$(echo $bad_seeds | wc -w)
nbad_opts=$(echo $bad_opts | wc -w)
if [ $same = $cases ]; then
	echo "# differential: $nseeds scenarios x $NOPTS option sets, 1 case in $STRIDE: $same of $cases cases identical"
else
	echo "# differential: $((nseeds - nbad_seeds)) scenarios x $((NOPTS - nbad_opts)) option sets identical; $same of $cases cases identical ($nseeds scenarios x $NOPTS option sets, 1 case in $STRIDE)$failed"
fi
test_done
