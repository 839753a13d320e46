#!/bin/sh
# t1010-progress.sh - the progress line: shown on a terminal (read back
# from a tmux pane while the run goes on), erased at the end, never on
# stdout, never when stderr is not a terminal unless --progress asks,
# never with -q, -l, --json or --no-progress, and drawn at most 10 times
# a second.
#
# The slow run: two identical sparse files, big enough that comparing
# them takes over a second here (measured once, below), so no FIFO and
# no fault injection is needed.

. "$(dirname "$0")/lib.sh"

if ! command -v tmux >/dev/null 2>&1; then
	skip_test 'progress on a terminal' 'tmux is not installed'
	test_done
	exit $?
fi

# The progress line while comparing, as the screen shows it.
LINE_RE='^comparing: 2 files, 0 groups, [0-9.]+ ([KMGTPE]i)?B compared, 0 links, [0-9]+:[0-9]{2}, [0-9.]+ ([KMGTPE]i)?B/s$'

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# Size of the sparse pair: doubled from 1 GiB until each of two dry
# runs takes at least a second (64 GiB at most; sparse files cost no
# space).
calibrate()
{
	_d=$(mktemp -d "$TEST_TMP/t1010-calibrate.XXXXXX")
	_s=1
	while :; do
		truncate -s "${_s}G" "$_d/a" "$_d/b"
		_t0=$(now_ms)
		"$HARDLINK" -n -q "$_d" || break
		_t1=$(now_ms)
		"$HARDLINK" -n -q "$_d" || break
		_t2=$(now_ms)
		[ $((_t1 - _t0)) -ge 1000 ] && [ $((_t2 - _t1)) -ge 1000 ] && break
		[ $_s -ge 64 ] && break
		_s=$((_s * 2))
		rm -f "$_d/a" "$_d/b"
	done
	rm -rf "$_d"
	echo "${_s}G"
}
SIZE=$(calibrate)
HSIZE="${SIZE%G} GiB"
echo "# sparse pair of $HSIZE per file"

pair() { mkdir t && truncate -s "$SIZE" t/a t/b; }

# tm ARGS...: tmux on this test's own server, without any user config.
tm() { tmux -S "$SCRATCH/tmux.sock" -f /dev/null "$@"; }

# in_tmux 'COMMAND': runs COMMAND in a detached 300x24 terminal whose
# shell then prints EXIT=status and waits; watch captures the screen
# every 50 ms into screens (all captures) and screen (the last one)
# until EXIT= shows, then stops the server.
in_tmux()
{
	TERM=xterm tm new-session -d -x 300 -y 24 \
		"cd '$SCRATCH' && $1; echo EXIT=\$?; sleep 600"
}
watch()
{
	: >"$SCRATCH/screens"
	_i=0
	while [ $_i -lt 1200 ]; do
		tm capture-pane -p >"$SCRATCH/screen" || break
		cat "$SCRATCH/screen" >>"$SCRATCH/screens"
		if grep -q '^EXIT=' "$SCRATCH/screen"; then
			tm kill-server
			return 0
		fi
		sleep 0.05
		_i=$((_i + 1))
	done
	tm kill-server 2>/dev/null
	echo "the run did not end in time"
	return 1
}

# seen / not_seen: whether any capture showed a progress line.
seen()
{
	grep -Eq "$LINE_RE" "$SCRATCH/screens" && return 0
	echo "no progress line was ever on the screen; the last screen:"
	cat "$SCRATCH/screen"
	return 1
}
not_seen()
{
	grep -Eq 'compar(ing|ed)|scanning' "$SCRATCH/screens" || return 0
	echo "a progress line was on the screen:"
	grep -E 'compar(ing|ed)|scanning' "$SCRATCH/screens" | sort -u
	return 1
}

# screen_is LINE...: the last screen, blank lines dropped, is exactly this.
screen_is()
{
	grep -v '^$' "$SCRATCH/screen" >"$SCRATCH/got"
	printf '%s\n' "$@" >"$SCRATCH/want"
	cmp -s "$SCRATCH/want" "$SCRATCH/got" && return 0
	echo "screen (-want +got):"
	diff -u "$SCRATCH/want" "$SCRATCH/got" | tail -n +3
	return 1
}

# lower A B: the path with the lower inode number (the master of equals).
lower()
{
	if [ "$(stat -c %i "$1")" -lt "$(stat -c %i "$2")" ]; then
		echo "$1"
	else
		echo "$2"
	fi
}
other_of() { if [ "$1" = "$2" ]; then echo "$3"; else echo "$2"; fi; }

# norm FILE: the summary with the Duration value blanked.
norm() { sed -E 's/^(Duration: +)[0-9.]+ seconds$/\1S seconds/' "$1"; }

expect_success 'stderr a terminal: the progress line shows while comparing' '
	pair &&
	in_tmux "\"$HARDLINK\" -n t >out" &&
	watch &&
	seen &&
	grep -Eo "[0-9.]+ ([KMGTPE]i)?B compared" "$SCRATCH/screens" | sort -u |
		wc -l | { read n; [ "$n" -ge 2 ] || { echo "the count never moved"; exit 1; }; }
'

expect_success 'at the end the line is erased: only EXIT= is left on the screen' '
	pair &&
	in_tmux "\"$HARDLINK\" -n t >out" &&
	watch &&
	seen &&
	screen_is "EXIT=0"
'

expect_success 'stdout is the same as without a terminal' '
	pair &&
	in_tmux "\"$HARDLINK\" -n t >out" &&
	watch && seen &&
	"$HARDLINK" -n t >plain 2>err && [ ! -s err ] &&
	norm out >a && norm plain >b && cmp -s a b &&
	[ "$(sed -n 1p out)" = "Mode:                     dry-run" ] &&
	! grep -q "$(printf "\\r")" out
'

expect_success 'stdout on the same terminal: the summary lines are whole, no progress left' '
	pair &&
	in_tmux "\"$HARDLINK\" -n t" &&
	watch &&
	seen &&
	grep -v "^\$" "$SCRATCH/screen" >lines &&
	[ "$(wc -l <lines)" = 9 ] &&
	[ "$(sed -n 1p lines)" = "Mode:                     dry-run" ] &&
	[ "$(sed -n 7p lines)" = "Saved:                    $HSIZE" ] &&
	grep -Eq "^Duration: +[0-9.]+ seconds\$" lines &&
	[ "$(tail -n 1 lines)" = "EXIT=0" ] &&
	! grep -q compar lines
'

expect_success 'stderr not a terminal: nothing on stderr' '
	pair &&
	"$HARDLINK" -n t >out 2>err &&
	[ ! -s err ] &&
	grep -q "^Linked: *1 files\$" out
'

expect_success '--progress onto a file: the line, at most 10 draws a second, erased last' '
	pair &&
	"$HARDLINK" -n --progress t >out 2>err &&
	esc=$(printf "\\033") &&
	tr "\\r" "\\n" <err | sed "s/${esc}\\[K\$//" | grep -v "^\$" >lines &&
	[ -s lines ] &&
	{ ! grep -Ev "$LINE_RE" lines || { echo "not a progress line"; exit 1; }; } &&
	[ "$(tail -c 4 err | od -An -tx1 | tr -d " ")" = 0d1b5b4b ] &&
	n=$(wc -l <lines) &&
	d=$(sed -nE "s/^Duration: +([0-9]+)\\.([0-9]).*/\\1\\2/p" out) &&
	echo "# $n draws in $d tenths of a second" &&
	[ "$n" -le $((d + 1)) ] &&
	norm out >a && "$HARDLINK" -n t >plain && norm plain >b && cmp -s a b
'

expect_success '--no-progress on a terminal: no line at any time' '
	pair &&
	in_tmux "\"$HARDLINK\" -n --no-progress t >out" &&
	watch &&
	not_seen &&
	screen_is "EXIT=0"
'

for opt in -q -l --json; do
	expect_success "$opt on a terminal: no progress line" "
	pair &&
	in_tmux '\"\$HARDLINK\" -n $opt t >out' &&
	watch &&
	not_seen &&
	screen_is EXIT=0
"
done

expect_success '--progress with -q on a terminal: shown, and stdout stays empty' '
	pair &&
	in_tmux "\"$HARDLINK\" -n -q --progress t >out" &&
	watch &&
	seen &&
	screen_is "EXIT=0" &&
	[ ! -s out ]
'

expect_success '-v on a terminal: the Linking line is whole, the progress gone' '
	pair &&
	in_tmux "\"$HARDLINK\" -n -v --top=0 t" &&
	watch &&
	seen &&
	m=$(lower t/a t/b) && d=$(other_of "$m" t/a t/b) &&
	grep -v "^\$" "$SCRATCH/screen" >lines &&
	[ "$(sed -n 1p lines)" = "[DryRun] Linking $SCRATCH/$m to $SCRATCH/$d (-$HSIZE)" ] &&
	[ "$(sed -n 2p lines)" = "Mode:                     dry-run" ] &&
	! grep -q compar lines
'

test_done
