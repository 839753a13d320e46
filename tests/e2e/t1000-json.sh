#!/bin/sh
# t1000-json.sh - --json: one JSON document on stdout (options, every
# duplicate group with what was done to each path, the summary counters),
# checked with real parsers (python3's json, jq); file names that are not
# UTF-8 come back byte for byte through surrogateescape; diagnostics stay
# on stderr and the exit status is the usual one.
#
# Test bodies are && chains: set -e, under which lib.sh runs them, ignores
# a failure anywhere in an && list but its last command.

. "$(dirname "$0")/lib.sh"

T0=1700000000
if [ -x /usr/bin/python3 ]; then PY=/usr/bin/python3; else PY=python3; fi

# mk PATH TEXT [MTIME]: a file holding exactly TEXT, mtime MTIME.
mk()
{
	mkdir -p "$(dirname "$1")" && printf '%s' "$2" >"$1" &&
	touch -d "@${3:-$T0}" "$1"
}

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

# pycheck SCRIPT: runs python with the parsed document as "doc" and the
# scratch directory as "S"; the script asserts.
pycheck()
{
	"$PY" -c '
import json, os, sys
S = os.fsencode(sys.argv[1])
with open(sys.argv[1] + "/out", "rb") as f:
    doc = json.loads(f.read().decode("utf-8", "surrogateescape"))
def paths(g):
    """every path of a group: kept first, then the members in order"""
    return g["kept"]["paths"] + [p["path"] for m in g["members"] for p in m["paths"]]
def ino(p):
    return os.lstat(os.fsencode(p)).st_ino
'"$1" "$SCRATCH" ||
	{ echo "document:"; head -c 4000 "$SCRATCH/out"; return 1; }
}

# tree: a 12-byte group a (with hard link a2), b, sub/c, a 5-byte pair
# s1, s2, and the unique u.  a is newest: the kept file of its group.
tree()
{
	mk t/a "hello world!" $((T0 + 10)) && ln t/a t/a2 &&
	mk t/b "hello world!" && mk t/sub/c "hello world!" &&
	mk t/s1 "small" && mk t/s2 "small" && mk t/u "unique"
}

expect_success 'dry run: stdout is one JSON document, nothing else, tree unchanged' '
	tree && ls -liR t >before &&
	hl --json -n -t t &&
	clean_run &&
	"$PY" -m json.tool "$SCRATCH/out" >/dev/null &&
	jq -e . "$SCRATCH/out" >/dev/null &&
	[ "$(jq -s length "$SCRATCH/out")" = 1 ] &&
	ls -liR t >after && cmp -s before after
'

expect_success 'dry run: groups by size, kept file first, every path "would link"' '
	tree &&
	hl --json -n -t t &&
	clean_run &&
	pycheck "
P = os.path.join(os.getcwd(), \"t\")
g = doc[\"groups\"]
assert [x[\"size\"] for x in g] == [5, 12], g
small, big = g
assert sorted(paths(small)) == [P + \"/s1\", P + \"/s2\"], small
assert small[\"kept\"][\"inode\"] == ino(small[\"kept\"][\"paths\"][0])
assert sorted(big[\"kept\"][\"paths\"]) == [P + \"/a\", P + \"/a2\"], big
assert big[\"kept\"][\"inode\"] == ino(P + \"/a\")
assert sorted(p for m in big[\"members\"] for p in [x[\"path\"] for x in m[\"paths\"]]) == [P + \"/b\", P + \"/sub/c\"]
for x in g:
    assert x[\"device\"] == os.lstat(P).st_dev
    for m in x[\"members\"]:
        for p in m[\"paths\"]:
            assert p[\"action\"] == \"would link\" and \"error\" not in p, p
            assert m[\"inode\"] == ino(p[\"path\"])
assert (small[\"linked\"], small[\"saved\"]) == (1, 5), small
assert (big[\"linked\"], big[\"saved\"]) == (2, 24), big
s = doc[\"summary\"]
assert s[\"mode\"] == \"dry-run\"
assert (s[\"files\"], s[\"groups\"], s[\"linked\"], s[\"saved\"], s[\"failed\"]) == (7, 2, 3, 29, 0), s
assert s[\"compared\"] == 3 and s[\"warnings\"] is False
assert s[\"bytes_read\"] > 0 and s[\"files_read\"] > 0
assert isinstance(s[\"duration\"], float) and 0 <= s[\"duration\"] < 60
"
'

expect_success 'summary counters are those of the text summary of the same run' '
	tree &&
	hl -n -t t && clean_run && cp "$SCRATCH/out" text &&
	hl --json -n -t t && clean_run &&
	for k in Files Linked; do
		want=$(sed -n "s/^$k: *\([0-9]*\).*/\1/p" text) &&
		got=$(jq ".summary.$(echo $k | tr A-Z a-z)" "$SCRATCH/out") &&
		{ [ "$want" = "$got" ] || { echo "$k: text $want, json $got"; exit 1; }; } ||
		exit 1
	done &&
	[ "$(sed -n "s/^Compared: *\([0-9]*\) files/\1/p" text)" = "$(jq .summary.compared "$SCRATCH/out")" ] &&
	[ "$(sed -n "s/^Saved: *//p" text)" = "29 B" ] &&
	[ "$(jq .summary.saved "$SCRATCH/out")" = 29 ]
'

expect_success 'real run: "linked", the members now share the kept inode' '
	tree &&
	ib=$(stat -c %i t/b) && ic=$(stat -c %i t/sub/c) && ia=$(stat -c %i t/a) &&
	hl --json -t t &&
	clean_run &&
	[ "$(jq -r ".groups[1].members[].paths[].action" "$SCRATCH/out" | sort -u)" = linked ] &&
	[ "$(jq ".groups[1].kept.inode" "$SCRATCH/out")" = "$ia" ] &&
	jq ".groups[1].members[].inode" "$SCRATCH/out" | sort >got &&
	printf "%s\n" "$ib" "$ic" | sort >want && cmp -s want got &&
	[ "$(stat -c %i t/b)" = "$ia" ] && [ "$(stat -c %i t/sub/c)" = "$ia" ] &&
	[ "$(jq -r .summary.mode "$SCRATCH/out")" = real ]
'

expect_success 'no duplicates: "groups": [], the counters still there' '
	mk t/a one && mk t/b two &&
	hl --json t &&
	clean_run &&
	jq -e ".groups == [] and .summary.files == 2 and .summary.linked == 0" \
		"$SCRATCH/out" >/dev/null
'

expect_success 'options: the effective values, -c expanded, patterns as given' '
	tree &&
	hl --json -n -c -s 2 -x "/u\$" -i "s[12]\$" --exclude-subtree "/none\$" t &&
	clean_run &&
	pycheck "
o = doc[\"options\"]
assert o[\"operands\"] == [\"t\"]
assert o[\"dry_run\"] and o[\"content\"]
assert o[\"ignore_mode\"] and o[\"ignore_owner\"] and o[\"ignore_time\"]
assert not o[\"respect_name\"] and not o[\"respect_xattrs\"]
assert o[\"minimum_size\"] == 2 and o[\"maximum_size\"] == 0
assert o[\"exclude\"] == [\"/u\$\"] and o[\"include\"] == [\"s[12]\$\"]
assert o[\"exclude_subtree\"] == [\"/none\$\"]
assert o[\"method\"] == \"memcmp\" and o[\"reflink\"] == \"never\"
"
'

# Names: invalid UTF-8 of every kind Python decodes byte by byte (a lone
# continuation byte, a truncated sequence, an overlong form, an encoded
# surrogate, a code point past U+10FFFF, 0xff), valid multi-byte UTF-8,
# and characters JSON must escape (quote, backslash, newline, tab, 0x01).
mk_names()
{
	"$PY" -c '
import os
names = [b"\xff", b"a\x80b", b"trunc\xe2\x82", b"over\xc0\xaf", b"surr\xed\xa0\x80",
         b"big\xf4\x90\x80\x80", b"caf\xc3\xa9", b"emoji\xf0\x9f\x98\x80",
         b"q\"uote", b"back\\slash", b"new\nline", b"tab\there", b"ctl\x01", b"del\x7f"]
os.makedirs(b"t")
for n in names:
    with open(b"t/" + n, "wb") as f:
        f.write(b"same bytes\n")
    os.utime(b"t/" + n, (1700000000, 1700000000))
'
}

expect_success 'names that are not UTF-8 survive a round trip (python surrogateescape)' '
	mk_names &&
	hl --json -n t &&
	clean_run &&
	"$PY" -c "
import json, os, sys
raw = open(sys.argv[1], \"rb\").read()
raw.decode(\"utf-8\")  # the document itself is valid UTF-8
doc = json.loads(raw)
got = []
for g in doc[\"groups\"]:
    got += [os.fsencode(p) for p in g[\"kept\"][\"paths\"]]
    got += [os.fsencode(p[\"path\"]) for m in g[\"members\"] for p in m[\"paths\"]]
top = os.fsencode(os.path.join(os.getcwd(), \"t\"))
want = [top + b\"/\" + n for n in os.listdir(b\"t\")]
assert sorted(got) == sorted(want), (sorted(got), sorted(want))
assert len(doc[\"groups\"]) == 1 and len(got) == 14
" "$SCRATCH/out"
'

# The name of each file as the document must spell it, one per line.
SPELLINGS=$TEST_TMP/t1000-spellings.$$
trap 'rm -f "$SPELLINGS"' EXIT
cat >"$SPELLINGS" <<'EOF'
/t/\udcff"
/t/a\udc80b"
/t/trunc\udce2\udc82"
/t/over\udcc0\udcaf"
/t/surr\udced\udca0\udc80"
/t/big\udcf4\udc90\udc80\udc80"
/t/café"
/t/emoji😀"
/t/q\"uote"
/t/back\\slash"
/t/new\nline"
/t/tab\there"
/t/ctl\u0001"
/t/del\u007f"
EOF

expect_success 'the encoding: UTF-8 as is, invalid bytes as \udcXX, JSON escapes' '
	mk_names &&
	hl --json -n t &&
	clean_run &&
	while IFS= read -r s; do
		grep -qF -- "$s" "$SCRATCH/out" || { echo "missing: $s"; exit 1; }
	done <"$SPELLINGS"
'

expect_success 'jq reads the same document; UTF-8 names come out exact' '
	mk_names &&
	hl --json -n t &&
	clean_run &&
	jq -e ".groups | length == 1" "$SCRATCH/out" >/dev/null &&
	jq -r ".groups[0] | (.kept.paths[], .members[].paths[].path)" \
		"$SCRATCH/out" >all &&
	grep -qFx "$SCRATCH/t/café" all &&
	grep -qFx "$(printf "$SCRATCH/t/emoji\360\237\230\200")" all &&
	grep -qFx "$SCRATCH/t/q\"uote" all &&
	grep -qFx "$SCRATCH/t/back\\slash" all &&
	[ "$(jq ".summary.linked" "$SCRATCH/out")" = 13 ]
'

expect_success 'a duplicate that cannot be replaced: "skipped" with the error printed on stderr' '
	command -v chattr >/dev/null || skip_now "no chattr"
	mk t/a "hello world!" $((T0 + 10)) && mk t/b "hello world!" &&
	mk t/c "hello world!" || exit 1
	chattr +i t/b 2>/dev/null || skip_now "chattr +i refused here"
	hl --json -t t; chattr -i t/b &&
	[ "$rc" = 1 ] &&
	[ "$(wc -l <"$SCRATCH/err")" = 1 ] &&
	msg=$(sed "s/^hardlink: //" "$SCRATCH/err") &&
	jq -e . "$SCRATCH/out" >/dev/null &&
	[ "$(jq -r ".groups[0].members[] | select(.paths[0].path == \"$SCRATCH/t/b\") | .paths[0].action" "$SCRATCH/out")" = skipped ] &&
	[ "$(jq -r ".groups[0].members[] | select(.paths[0].path == \"$SCRATCH/t/b\") | .paths[0].error" "$SCRATCH/out")" = "$msg" ] &&
	[ "$(jq -r ".groups[0].members[] | select(.paths[0].path == \"$SCRATCH/t/c\") | .paths[0].action" "$SCRATCH/out")" = linked ] &&
	jq -e ".summary.failed == 1 and .summary.linked == 1 and .summary.warnings == true" \
		"$SCRATCH/out" >/dev/null &&
	same_inode t/a t/c && diff_inode t/a t/b
'

expect_success 'EMLINK: the group ends at the full file, its duplicate keeps the next group' '
	mkdir t &&
	printf "same bytes\n" >t/base &&
	"$PY" -c "
import os
for i in range(64999):
    os.link(\"t/base\", \"t/l%05d\" % i)
" &&
	for i in 1 2 3; do cp -p t/base t/copy$i || exit 1; done &&
	touch -d @$T0 t/copy1 t/copy2 t/copy3 &&
	hl --json -t -m t &&
	[ "$rc" = 1 ] &&
	grep -q "Too many links\$" "$SCRATCH/err" &&
	pycheck "
g = doc[\"groups\"]
assert len(g) == 2, [len(x[\"kept\"][\"paths\"]) for x in g]
assert len(g[0][\"kept\"][\"paths\"]) == 65000
m = g[0][\"members\"][0][\"paths\"]
assert m[0][\"action\"] == \"skipped\" and m[0][\"error\"].endswith(\"Too many links\"), m
assert len(g[0][\"members\"]) == 1, g[0][\"members\"]
assert g[1][\"kept\"][\"paths\"] == [m[0][\"path\"]], g[1]
assert [p[\"action\"] for x in g[1][\"members\"] for p in x[\"paths\"]] == [\"linked\", \"linked\"]
assert doc[\"summary\"][\"linked\"] == 2 and doc[\"summary\"][\"groups\"] == 2
" &&
	nlink_is 3 t/copy1
'

expect_success '--json -v: no -v lines; --json -q: the same document' '
	tree &&
	hl --json -n -v t && clean_run &&
	jq -S "del(.summary.duration)" "$SCRATCH/out" >v &&
	hl --json -n -q t && clean_run &&
	jq -S "del(.summary.duration)" "$SCRATCH/out" >q &&
	hl --json -n t && clean_run &&
	jq -S "del(.summary.duration)" "$SCRATCH/out" >plain &&
	cmp -s v plain && cmp -s q plain &&
	! grep -q "Linking" "$SCRATCH/out"
'

expect_success '--json with -l is a usage error: exit 1, nothing on stdout' '
	tree &&
	hl --json -l t &&
	[ "$rc" = 1 ] && [ ! -s "$SCRATCH/out" ] &&
	[ "$(cat "$SCRATCH/err")" = "hardlink: options --list-duplicates and --json cannot be combined" ]
'

expect_success 'one group per line between the top-level keys' '
	tree &&
	hl --json -n -t t &&
	clean_run &&
	[ "$(sed -n 1p "$SCRATCH/out")" = "{" ] &&
	[ "$(sed -n 2p "$SCRATCH/out")" = "\"version\": \"1.2.0\"," ] &&
	sed -n 3p "$SCRATCH/out" | grep -q "^\"options\": {.*},\$" &&
	[ "$(sed -n 4p "$SCRATCH/out")" = "\"groups\": [" ] &&
	sed -n 5p "$SCRATCH/out" | grep -q "^{\"device\": [0-9]*, \"size\": 5, .*},\$" &&
	sed -n 6p "$SCRATCH/out" | grep -q "^{\"device\": [0-9]*, \"size\": 12, .*}\$" &&
	[ "$(sed -n 7p "$SCRATCH/out")" = "]," ] &&
	sed -n 8p "$SCRATCH/out" | grep -q "^\"summary\": {\"mode\": \"dry-run\", .*}\$" &&
	[ "$(sed -n 9p "$SCRATCH/out")" = "}" ] &&
	[ "$(wc -l <"$SCRATCH/out")" = 9 ]
'

test_done
