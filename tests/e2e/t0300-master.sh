#!/bin/sh
# t0300-master.sh - which file of a duplicate class is kept (its inode
# survives, every other path is re-pointed to it): -m/-M by link count,
# then -F by operand (earliest wins: a deliberate difference from
# util-linux), then newest mtime in whole seconds (-O oldest), then the
# lowest inode number.
#
# Inode numbers are not chosen by the tests, so each test either makes
# the rule under test pick the file the tie-break would not pick, or
# checks both orders.
#
# Test bodies are && chains: set -e, under which lib.sh runs them, ignores
# a failure anywhere in an && list but its last command.

. "$(dirname "$0")/lib.sh"

# Helpers shared by the CLI tests: mk, hl, rc_is, out_is, err_is, state...
. "$(dirname "$0")/lib-cli.sh"
ino() { stat -c %i -- "$1"; }
linked_count() { has_line "$SCRATCH/out" "Linked:                   $1 files"; }

# kept_is INO PATH...: every PATH is now inode INO.
kept_is()
{
	_want=$1
	shift
	for _p in "$@"; do
		_got=$(ino "$_p") || return 1
		[ "$_got" = "$_want" ] && continue
		echo "$_p is inode $_got, want the kept inode $_want"
		ls -li "$@"
		return 1
	done
}

# lo_hi A B: sets $lo and $hi to the paths with the lower and higher inode.
lo_hi()
{
	if [ "$(ino "$1")" -lt "$(ino "$2")" ]; then
		lo=$1 hi=$2
	else
		lo=$2 hi=$1
	fi
}

CONTENT='duplicate!'

# --- mtime: newest by default, oldest with -O --------------------------

expect_success 'default: the newest file is kept even with the higher inode' '
	mk t/a "$CONTENT" && mk t/b "$CONTENT" && lo_hi t/a t/b &&
	touch -d @$((T0 + 100)) "$hi" && keep=$(ino "$hi") &&
	hl -t t &&
	clean_run &&
	kept_is "$keep" t/a t/b &&
	nlink_is 2 "$lo" &&
	[ "$(stat -c %Y "$lo")" = $((T0 + 100)) ] &&
	content_is "$lo" "$CONTENT"
'

expect_success 'default: the newest file is kept when it has the lower inode' '
	mk t/a "$CONTENT" && mk t/b "$CONTENT" && lo_hi t/a t/b &&
	touch -d @$((T0 + 100)) "$lo" && keep=$(ino "$lo") &&
	hl -t t &&
	clean_run &&
	kept_is "$keep" t/a t/b
'

expect_success 'default: newest of three (middle inode) kept for all' '
	mk t/a "$CONTENT" && mk t/b "$CONTENT" && mk t/c "$CONTENT" &&
	mid=$(for f in t/a t/b t/c; do echo "$(ino $f) $f"; done | sort -n | sed -n "2s/.* //p") &&
	touch -d @$((T0 + 50)) "$mid" && keep=$(ino "$mid") &&
	hl -t t &&
	clean_run &&
	kept_is "$keep" t/a t/b t/c &&
	nlink_is 3 t/a
'

expect_success '-O: the oldest file is kept even with the higher inode' '
	mk t/a "$CONTENT" && mk t/b "$CONTENT" && lo_hi t/a t/b &&
	touch -d @$((T0 - 100)) "$hi" && keep=$(ino "$hi") &&
	hl -t -O t &&
	clean_run &&
	kept_is "$keep" t/a t/b &&
	[ "$(stat -c %Y "$lo")" = $((T0 - 100)) ]
'

expect_success '-O: the oldest file is kept when it has the lower inode' '
	mk t/a "$CONTENT" && mk t/b "$CONTENT" && lo_hi t/a t/b &&
	touch -d @$((T0 - 100)) "$lo" && keep=$(ino "$lo") &&
	hl -t -O t &&
	clean_run &&
	kept_is "$keep" t/a t/b
'

expect_success 'equal mtimes: the lowest inode number is kept' '
	mk t/a "$CONTENT" && mk t/b "$CONTENT" && mk t/c "$CONTENT" &&
	low=$(for f in t/a t/b t/c; do ino $f; done | sort -n | head -n 1) &&
	hl t &&
	clean_run &&
	kept_is "$low" t/a t/b t/c
'

expect_success 'equal mtimes with -O: still the lowest inode number' '
	mk t/a "$CONTENT" && mk t/b "$CONTENT" && mk t/c "$CONTENT" &&
	low=$(for f in t/a t/b t/c; do ino $f; done | sort -n | head -n 1) &&
	hl -O t &&
	clean_run &&
	kept_is "$low" t/a t/b t/c
'

expect_success 'same second, the higher inode newer by 0.8 s: lowest inode kept' '
	mk t/a "$CONTENT" && mk t/b "$CONTENT" && lo_hi t/a t/b &&
	touch -d @$T0.100000000 "$lo" && touch -d @$T0.900000000 "$hi" &&
	keep=$(ino "$lo") &&
	hl t &&
	clean_run &&
	kept_is "$keep" t/a t/b
'

expect_success 'same second, -O, the higher inode older by 0.8 s: lowest inode kept' '
	mk t/a "$CONTENT" && mk t/b "$CONTENT" && lo_hi t/a t/b &&
	touch -d @$T0.900000000 "$lo" && touch -d @$T0.100000000 "$hi" &&
	keep=$(ino "$lo") &&
	hl -O t &&
	clean_run &&
	kept_is "$keep" t/a t/b
'

expect_success '-v names the kept file first: Linking NEWEST to OLDER' '
	mk t/old "$CONTENT" && mk t/new "$CONTENT" $((T0 + 5)) &&
	hl -t -v t &&
	clean_run &&
	has_line "$SCRATCH/out" "Linking $SCRATCH/t/new to $SCRATCH/t/old (-10 B)" &&
	same_inode t/old t/new
'

# --- -m / -M: link counts -------------------------------------------

expect_success '-m: the inode with more links (one outside the tree) is kept' '
	mk t/x "$CONTENT" && mkdir ext && ln t/x ext/x && keep=$(ino t/x) &&
	mk t/y "$CONTENT" $((T0 + 100)) &&
	hl -m -t t &&
	clean_run &&
	kept_is "$keep" t/x t/y ext/x &&
	nlink_is 3 t/x &&
	linked_count 1
'

expect_success 'without -m the newer single-link file wins over the 2-link one' '
	mk t/x "$CONTENT" && mkdir ext && ln t/x ext/x && old=$(ino t/x) &&
	mk t/y "$CONTENT" $((T0 + 100)) && keep=$(ino t/y) &&
	hl -t t &&
	clean_run &&
	kept_is "$keep" t/x t/y &&
	kept_is "$old" ext/x &&
	nlink_is 1 ext/x && nlink_is 2 t/y
'

expect_success '-m: a 2-path inode in the tree is kept, the newer copy re-pointed' '
	mk t/x1 "$CONTENT" && ln t/x1 t/x2 && keep=$(ino t/x1) &&
	mk t/y "$CONTENT" $((T0 + 100)) &&
	hl -m -t t &&
	clean_run &&
	kept_is "$keep" t/x1 t/x2 t/y &&
	nlink_is 3 t/y &&
	linked_count 1
'

expect_success '-M: the inode with fewer links is kept, both paths of the other re-pointed' '
	mk t/x1 "$CONTENT" $((T0 + 100)) && ln t/x1 t/x2 &&
	mk t/y "$CONTENT" && keep=$(ino t/y) &&
	hl -M -t t &&
	clean_run &&
	kept_is "$keep" t/x1 t/x2 t/y &&
	nlink_is 3 t/y &&
	linked_count 2
'

expect_success '-m, equal link counts: falls back to the newest' '
	mk t/x "$CONTENT" && mk t/y "$CONTENT" $((T0 + 100)) &&
	mkdir ext && ln t/x ext/x && ln t/y ext/y && keep=$(ino t/y) &&
	hl -m -t t &&
	clean_run &&
	kept_is "$keep" t/x t/y ext/y &&
	nlink_is 3 t/y
'

expect_success '-m over -O: more links kept although newer' '
	mk t/x "$CONTENT" $((T0 + 100)) && mkdir ext && ln t/x ext/x &&
	keep=$(ino t/x) && mk t/y "$CONTENT" &&
	hl -m -O -t t &&
	clean_run &&
	kept_is "$keep" t/x t/y
'

# --- -F: the earliest operand wins (deliberate difference) -----------

expect_success '-F t1 t2: t1/f kept although t2/f is newer' '
	mk t1/f "$CONTENT" && keep=$(ino t1/f) &&
	mk t2/f "$CONTENT" $((T0 + 100)) &&
	hl -F -t t1 t2 &&
	clean_run &&
	kept_is "$keep" t1/f t2/f
'

expect_success '-F t2 t1: t2/f kept although t1/f is newer' '
	mk t1/f "$CONTENT" $((T0 + 100)) &&
	mk t2/f "$CONTENT" && keep=$(ino t2/f) &&
	hl -F -t t2 t1 &&
	clean_run &&
	kept_is "$keep" t1/f t2/f
'

expect_success '-F, equal mtimes: the earliest operand beats the lower inode (both orders)' '
	mk t1/f "$CONTENT" && mk t2/f "$CONTENT" &&
	i1=$(ino t1/f) && i2=$(ino t2/f) &&
	hl -n -v -F t1 t2 &&
	clean_run &&
	has_line "$SCRATCH/out" "[DryRun] Linking $SCRATCH/t1/f to $SCRATCH/t2/f (-10 B)" &&
	hl -n -v -F t2 t1 &&
	clean_run &&
	has_line "$SCRATCH/out" "[DryRun] Linking $SCRATCH/t2/f to $SCRATCH/t1/f (-10 B)" &&
	hl -F t2 t1 &&
	clean_run &&
	kept_is "$i2" t1/f t2/f
'

expect_success '-F with three operands: the first one that has a copy wins' '
	mk t1/other "something else" && mk t2/f "$CONTENT" && keep=$(ino t2/f) &&
	mk t3/f "$CONTENT" $((T0 + 100)) &&
	hl -F -t t1 t2 t3 &&
	clean_run &&
	kept_is "$keep" t2/f t3/f &&
	nlink_is 1 t1/other
'

expect_success '-F -O with -t: within the first operand, the oldest wins' '
	mk t1/a "$CONTENT" $((T0 + 10)) && mk t1/b "$CONTENT" && keep=$(ino t1/b) &&
	mk t2/c "$CONTENT" $((T0 - 100)) &&
	hl -F -O -t t1 t2 &&
	clean_run &&
	kept_is "$keep" t1/a t1/b t2/c
'

expect_success '-F: within the first operand, the newest wins' '
	mk t1/a "$CONTENT" && mk t1/b "$CONTENT" $((T0 + 10)) && keep=$(ino t1/b) &&
	mk t2/c "$CONTENT" $((T0 + 100)) &&
	hl -F -t t1 t2 &&
	clean_run &&
	kept_is "$keep" t1/a t1/b t2/c &&
	nlink_is 3 t2/c
'

# --- priority: -m/-M over -F over mtime ----------------------------

expect_success '-m over -F: the later operand'"'"'s 2-link inode is kept' '
	mk t1/f "$CONTENT" $((T0 + 100)) &&
	mk t2/f "$CONTENT" && mkdir ext && ln t2/f ext/f && keep=$(ino t2/f) &&
	hl -m -F -t t1 t2 &&
	clean_run &&
	kept_is "$keep" t1/f t2/f ext/f &&
	nlink_is 3 t1/f
'

expect_success '-M over -F: the later operand'"'"'s 1-link inode is kept' '
	mk t1/f "$CONTENT" $((T0 + 100)) && mkdir ext && ln t1/f ext/f &&
	mk t2/f "$CONTENT" && keep=$(ino t2/f) && old=$(ino t1/f) &&
	hl -M -F -t t1 t2 &&
	clean_run &&
	kept_is "$keep" t1/f t2/f &&
	kept_is "$old" ext/f &&
	nlink_is 2 t2/f
'

expect_success '-F -m order on the command line does not matter' '
	mk t1/f "$CONTENT" &&
	mk t2/f "$CONTENT" && mkdir ext && ln t2/f ext/f && keep=$(ino t2/f) &&
	hl -F -t -m t1 t2 &&
	clean_run &&
	kept_is "$keep" t1/f t2/f
'

test_done
