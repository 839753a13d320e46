#!/bin/sh
# t1030-summary-table.sh - the closing table of the largest duplicate
# groups: shown after the summary with -v when stdout is a terminal (read
# back from tmux) or with --top[=N] anywhere; the 10 groups that free the
# most bytes, best first, in exact columns; never in the -v output that
# scripts read from a pipe or a file.
#
# Test bodies are && chains: set -e, under which lib.sh runs them, ignores
# a failure anywhere in an && list but its last command.

. "$(dirname "$0")/lib.sh"

T0=1700000000

# hl ARGS...: the binary under test; stdout -> out, stderr -> err, $rc.
hl()
{
	rc=0
	"$HARDLINK" "$@" >"$SCRATCH/out" 2>"$SCRATCH/err" || rc=$?
}
clean_run()
{
	[ "$rc" = 0 ] && [ ! -s "$SCRATCH/err" ] && return 0
	echo "exit $rc, stderr:"
	cat "$SCRATCH/err"
	return 1
}

# copies DIR SIZE N: N files DIR/f1..fN of SIZE identical bytes.
copies()
{
	mkdir -p "$1" &&
	head -c "$2" /dev/zero | tr '\0' x >"$1/f1" &&
	_i=2 &&
	while [ $_i -le "$3" ]; do cp "$1/f1" "$1/f$_i" || return 1; _i=$((_i + 1)); done &&
	touch -d "@$T0" "$1"/f*
}

# lowest DIR: the file of DIR with the lowest inode (the kept one).
lowest()
{
	for _p in "$1"/f*; do echo "$(stat -c %i "$_p") $_p"; done |
		sort -n | head -n 1 | cut -d' ' -f2-
}

# groups: 13 groups, by name: size x copies = bytes saved.
#   g01 100x2=100  g02 200x2=200  g03 300x5=1200  g04 400x2=400
#   g05 500x3=1000 g06 600x2=600  g07 700x2=700   g08 800x2=800
#   g09 900x2=900  g10 1000x2=1000 g11 50x2=50   g12 2048x4=6144
#   g13 3000x2, its duplicate also linked from outside the tree: saves 0
# Every file holds x bytes only: the sizes alone tell the groups apart.
groups()
{
	copies t/g01 100 2 && copies t/g02 200 2 && copies t/g03 300 5 &&
	copies t/g04 400 2 && copies t/g05 500 3 && copies t/g06 600 2 &&
	copies t/g07 700 2 && copies t/g08 800 2 && copies t/g09 900 2 &&
	copies t/g10 1000 2 && copies t/g11 50 2 && copies t/g12 2048 4 &&
	copies t/g13 3000 2 && mkdir ext &&
	if [ "$(lowest t/g13)" = t/g13/f1 ]; then ln t/g13/f2 ext/link
	else ln t/g13/f1 ext/link; fi
}

# row N SAVED SIZE LINKED GROUP: one expected table row.
row()
{
	printf '%2s  %11s  %11s  %6s  %s\n' "$1" "$2" "$3" "$4" \
		"$SCRATCH/$(lowest "t/$5")"
}
table_head()
{
	printf '\nLargest duplicate groups (by bytes saved):\n'
	printf '%2s  %11s  %11s  %6s  %s\n' '#' Saved Size Linked 'Kept file'
}
top10()
{
	table_head &&
	row 1 "6 KiB" "2 KiB" 3 g12 && row 2 "1.17 KiB" "300 B" 4 g03 &&
	row 3 "1000 B" "1000 B" 1 g10 && row 4 "1000 B" "500 B" 2 g05 &&
	row 5 "900 B" "900 B" 1 g09 && row 6 "800 B" "800 B" 1 g08 &&
	row 7 "700 B" "700 B" 1 g07 && row 8 "600 B" "600 B" 1 g06 &&
	row 9 "400 B" "400 B" 1 g04 && row 10 "200 B" "200 B" 1 g02
}

# table_of FILE: the lines from the blank line after Duration: on.
table_of()
{
	sed -n '/^Duration:/,$p' "$1" | tail -n +2
}

check_table()
{
	table_of "$SCRATCH/out" >"$SCRATCH/got"
	cmp -s "$SCRATCH/want" "$SCRATCH/got" && return 0
	echo "table (-want +got):"
	diff -u "$SCRATCH/want" "$SCRATCH/got" | tail -n +3
	return 1
}

expect_success '--top: the 10 groups that free the most bytes, best first, exact rows' '
	groups &&
	hl -n --top t &&
	clean_run &&
	top10 >"$SCRATCH/want" &&
	check_table
'

expect_success '--top after a real run: the same rows, from what was done' '
	groups &&
	top10 >"$SCRATCH/want" &&
	hl --top t &&
	clean_run &&
	check_table &&
	[ "$(stat -c %h "$(lowest t/g03)")" = 5 ]
'

expect_success 'equal bytes saved: the bigger files first (g10 before g05)' '
	groups &&
	hl -n --top=4 t &&
	clean_run &&
	table_of "$SCRATCH/out" | sed -n "6p;7p" | awk "{print \$NF}" >got &&
	printf "%s\n" "$SCRATCH/$(lowest t/g10)" "$SCRATCH/$(lowest t/g05)" >want &&
	cmp -s want got
'

expect_success '--top=3: three rows; the summary above is unchanged' '
	groups &&
	hl -n t && clean_run && cp "$SCRATCH/out" plain &&
	hl -n --top=3 t &&
	clean_run &&
	{ table_head && row 1 "6 KiB" "2 KiB" 3 g12 &&
	  row 2 "1.17 KiB" "300 B" 4 g03 && row 3 "1000 B" "1000 B" 1 g10; } >"$SCRATCH/want" &&
	check_table &&
	sed -n "1,/^Duration:/p" "$SCRATCH/out" | sed "\$d" >a &&
	sed "\$d" plain >b && cmp -s a b
'

expect_success 'fewer groups than rows: one row per group; no duplicates: no table' '
	copies t/g1 10 2 && copies t/g2 20 3 &&
	hl -n --top t &&
	clean_run &&
	{ table_head && row 1 "40 B" "20 B" 2 g2 && row 2 "10 B" "10 B" 1 g1; } >"$SCRATCH/want" &&
	check_table &&
	rm -r t && mkdir t && echo one >t/a && echo two >t/b &&
	hl -n --top t &&
	clean_run &&
	[ "$(tail -n 1 "$SCRATCH/out" | cut -c1-9)" = "Duration:" ]
'

expect_success '-v into a file or a pipe: no table, the output scripts read is unchanged' '
	groups &&
	hl -n -v t &&
	clean_run &&
	grep -Eq "^Duration: +[0-9]+\\.[0-9]{6} seconds\$" "$SCRATCH/out" &&
	[ "$(tail -n 1 "$SCRATCH/out" | cut -c1-9)" = "Duration:" ] &&
	! grep -q "Largest" "$SCRATCH/out" &&
	"$HARDLINK" -n -v t | tail -n 1 | grep -q "^Duration:"
'

expect_success '-q --top, --json --top: no table' '
	groups &&
	hl -n -q --top t && clean_run && [ ! -s "$SCRATCH/out" ] &&
	hl -n --json --top t && clean_run &&
	! grep -q "Largest" "$SCRATCH/out" && jq -e . "$SCRATCH/out" >/dev/null
'

expect_success '--top=x and --top=-1 are usage errors' '
	mkdir t &&
	hl --top=x t && [ "$rc" = 1 ] && [ ! -s "$SCRATCH/out" ] &&
	[ "$(cat "$SCRATCH/err")" = "hardlink: invalid number of groups: '"'"'x'"'"' (0 to 100000)" ] &&
	hl --top=-1 t && [ "$rc" = 1 ]
'

if command -v tmux >/dev/null 2>&1; then
	tm() { tmux -S "$SCRATCH/tmux.sock" -f /dev/null "$@"; }
	# on_terminal 'COMMAND': runs COMMAND with stdout and stderr on a
	# 300x200 terminal and leaves its final screen in $SCRATCH/out.
	on_terminal()
	{
		TERM=xterm tm new-session -d -x 300 -y 200 \
			"cd '$SCRATCH' && $1; echo EXIT=\$?; sleep 600" &&
		_i=0 &&
		while [ $_i -lt 600 ]; do
			tm capture-pane -p >"$SCRATCH/screen"
			grep -q "^EXIT=" "$SCRATCH/screen" && break
			sleep 0.1
			_i=$((_i + 1))
		done
		tm kill-server
		grep -v "^EXIT=" "$SCRATCH/screen" | sed -e :a -e "/^\\n*\$/{\$d;N;ba" -e "}" >"$SCRATCH/out"
		grep -q "^EXIT=0\$" "$SCRATCH/screen"
	}

	expect_success '-v on a terminal: the table closes the output' '
		groups &&
		on_terminal "\"$HARDLINK\" -n -v t" &&
		top10 >"$SCRATCH/want" &&
		check_table &&
		[ "$(grep -c "^\\[DryRun\\] Linking " "$SCRATCH/out")" = 19 ]
	'

	expect_success '-v --top=0 on a terminal: no table' '
		groups &&
		on_terminal "\"$HARDLINK\" -n -v --top=0 t" &&
		[ "$(tail -n 1 "$SCRATCH/out" | cut -c1-9)" = "Duration:" ]
	'
else
	skip_test '-v on a terminal: the table closes the output' 'no tmux'
	skip_test '-v --top=0 on a terminal: no table' 'no tmux'
fi

test_done
