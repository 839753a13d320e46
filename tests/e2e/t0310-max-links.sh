#!/bin/sh
# t0310-max-links.sh - --max-links N: no inode gets more than N links from
# a run; when the master of a class reaches N, the next duplicate becomes
# the master of the rest (as at EMLINK), and nothing is lost: every path
# still holds its bytes.  A master that already has N links or more takes
# none.  -v says so, --json marks the group that continues a full one.
#
# Test bodies are && chains (see t0300-master.sh).

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-cli.sh"

CONTENT='the same bytes'

# mkmany DIR N: N files DIR/f1..fN holding $CONTENT, the same mtime.
mkmany()
{
	mkdir -p "$1" && _i=1 &&
	while [ "$_i" -le "$2" ]; do
		printf '%s' "$CONTENT" >"$1/f$_i" || return 1
		_i=$((_i + 1))
	done &&
	touch -d "@$T0" "$1"/f*
}

# links_are DIR "COUNTS": the link counts of the distinct inodes under
# DIR, sorted numerically and joined by spaces, are COUNTS.
links_are()
{
	got=$(find "$1" -type f -printf '%i %n\n' | sort -u | cut -d' ' -f2 |
	      sort -n | tr '\n' ' ' | sed 's/ $//')
	[ "$got" = "$2" ] || { echo "link counts '$got', want '$2'"; return 1; }
}

# all_hold DIR: every file under DIR still holds $CONTENT.
all_hold()
{
	for _f in $(find "$1" -type f); do
		content_is "$_f" "$CONTENT" || return 1
	done
}

expect_success '--max-links 1: nothing is linked, nothing changes' '
	mkmany t 5 && before=$(snapshot t) &&
	hl -c --max-links 1 t && clean_run &&
	links_are t "1 1 1 1 1" &&
	[ "$(summary_line Linked: out)" = "0 files" ] &&
	[ "$(snapshot t)" = "$before" ]
'

expect_success '--max-links 2: seven copies become three pairs and a single' '
	mkmany t 7 &&
	hl -c --max-links 2 t && clean_run &&
	links_are t "1 2 2 2" &&
	[ "$(summary_line Linked: out)" = "3 files" ] && all_hold t
'

expect_success '--max-links 177 (Amazon EFS): 400 copies become 177, 177 and 46 links' '
	mkmany t 400 &&
	hl -c --max-links 177 t && clean_run &&
	links_are t "46 177 177" &&
	[ "$(summary_line Linked: out)" = "397 files" ] && all_hold t
'

expect_success 'a master that already has more links than N takes none' '
	mkmany t 3 && mkdir u &&
	for i in 1 2 3 4; do ln t/f1 u/l$i || exit 1; done &&
	nlink_is 5 t/f1 &&
	hl -c -m --max-links 3 t u && clean_run &&
	nlink_is 5 t/f1 &&
	diff_inode t/f1 t/f2 && same_inode t/f2 t/f3 && nlink_is 2 t/f2 &&
	all_hold t
'

expect_success 'the limit counts the links a master had before the run' '
	mkmany t 4 && mkdir u && ln t/f1 u/l1 &&
	hl -c -m --max-links 3 t u && clean_run &&
	nlink_is 3 t/f1 && same_inode t/f1 t/f2 &&
	diff_inode t/f1 t/f3 && same_inode t/f3 t/f4 && nlink_is 2 t/f3
'

expect_success '-v names the file kept because the master is full' '
	mkmany t 3 &&
	hl -c -v --max-links 2 t && clean_run &&
	master=$(sed -n "s/^Linking \(.*\) to .*/\1/p" out | head -1) &&
	[ -n "$master" ] &&
	grep -qx "Keeping $SCRATCH/t/f[0-9]: $master has 2 links (--max-links)" out ||
	{ cat out; exit 1; }
'

expect_success 'a dry run predicts the links of the real run' '
	mkmany t 9 && before=$(snapshot t) &&
	hl -c -n -v --max-links 4 t && clean_run &&
	[ "$(summary_line Linked: out)" = "6 files" ] &&
	[ "$(grep -c "^\[DryRun\] Keeping " out)" = 2 ] &&
	[ "$(snapshot t)" = "$before" ] && links_are t "1 1 1 1 1 1 1 1 1" &&
	hl -c --max-links 4 t && clean_run &&
	[ "$(summary_line Linked: out)" = "6 files" ] && links_are t "1 4 4"
'

expect_success '--json: the option, and the groups split by the limit' '
	command -v python3 >/dev/null || { echo "no python3"; exit 1; }
	mkmany t 5 &&
	hl -c --json --max-links 2 t && clean_run &&
	python3 - "$SCRATCH/out" <<-PY
	import json, sys
	d = json.load(open(sys.argv[1]))
	assert d["options"]["max_links"] == 2, d["options"]
	g = d["groups"]
	assert [x.get("split") for x in g] == [None, "max-links", "max-links"], g
	assert [x["linked"] for x in g] == [1, 1, 0], g
	assert d["summary"]["linked"] == 2, d["summary"]
	PY
'

expect_success 'invalid --max-links values are usage errors that change nothing' '
	mkmany t 2 && before=$(snapshot t) &&
	for v in 0 -1 x 4294967296 ""; do
		hl --max-links "$v" t &&
		rc_is 1 &&
		[ "$(cat err)" = "hardlink: invalid number of links: $SQ$v$SQ (1 to 4294967295)" ] ||
		{ cat err; exit 1; }
	done &&
	[ "$(snapshot t)" = "$before" ] && links_are t "1 1"
'

test_done
