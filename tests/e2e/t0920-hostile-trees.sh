#!/bin/sh
# t0920-hostile-trees.sh - trees made to trip a tool that replaces files:
# names with newlines, invalid UTF-8, leading dashes and shell
# metacharacters; operands that look like options; a path of 100 KB;
# names that look like our temporaries but are not; temporary names
# already taken; a symlink or a hard link at a temporary's name (where
# util-linux, with --reflink, truncates the master); 100,000 files in one
# directory.  Names are made and checked from python3 with bytes, so
# nothing is lost to the shell.
#
# Already elsewhere, not repeated: 255-byte names and PATH_MAX paths
# (t0400), a 10,000-level chain (t0400), hard links and files planted at
# our temporary names (t0710, t0720), non-UTF-8 names in --json (t1000).
# The 1,000,000-file version of the last case is tests/soak/one-dir-1m.sh.
. "$(dirname "$0")/lib.sh"

STAMP=@1700000000
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

# run_ok ARGS...: a run that must exit 0 with nothing on stderr.
run_ok()
{
	rc=0
	"$HARDLINK" "$@" >out 2>err || rc=$?
	cat out err
	[ "$rc" = 0 ] || { echo "exit $rc, want 0: hardlink $*"; return 1; }
	[ ! -s err ] || { echo "stderr not empty"; return 1; }
}

# The hostile names, as python bytes literals: pairs of one content each
# (NAME and NAME + b".2"), some of them in hostile directory names.
NAMES_PY=$(mktemp "$TEST_TMP/t0920-names.XXXXXX")
NOTES=$(mktemp "$TEST_TMP/t0920-notes.XXXXXX")
trap 'rm -f "$NAMES_PY" "$NOTES"' EXIT
cat >"$NAMES_PY" <<'PY'
NAMES = [b"new\nline", b"\nstarts", b"ends\n", b"\n", b"\xff\xfe",
         b"caf\xe9", b"\xc3\x28", b"-n", b"--", b"-rf", b"--help",
         b" lead", b"trail ", b"back\\slash", b"*?[x]", b"$(echo x)",
         b"tab\there", b"\x01\x7f", b"'\"", b"\xff" * 253]
DIRS = [b"", b"dir\nnl/", b"-d/", b"\xff\xfe dir/", b"-/"]
PY

expect_success 'names with newlines, invalid UTF-8, leading dashes, metacharacters: linked, -l -z lists their exact bytes' '
	"$PY" - "$NAMES_PY" <<-"PY" &&
	import os, sys
	exec(open(sys.argv[1]).read())
	os.mkdir(b"t")
	n = 0
	for d in DIRS:
	    if d:
	        os.mkdir(b"t/" + d)
	    for name in NAMES:
	        n += 1
	        for p in (b"t/" + d + name, b"t/" + d + name + b".2"):
	            with open(p, "wb") as f:
	                f.write(b"pair %d\n" % n)
	            os.utime(p, (1700000000, 1700000000))
	PY
	"$HARDLINK" -l -z t >list 2>err && [ ! -s err ] &&
	run_ok -v t &&
	"$PY" - "$NAMES_PY" "$SCRATCH" <<-"PY"
	import os, sys
	exec(open(sys.argv[1]).read())
	root = os.fsencode(sys.argv[2]) + b"/t/"
	want, pairs = set(), 0
	for d in DIRS:
	    for name in NAMES:
	        a, b = root + d + name, root + d + name + b".2"
	        want |= {a, b}
	        pairs += 1
	        sa, sb = os.lstat(a), os.lstat(b)
	        assert sa.st_ino == sb.st_ino and sa.st_nlink == 2, (a, b)
	        assert open(a, "rb").read() == open(b, "rb").read()
	        assert open(a, "rb").read().startswith(b"pair "), a
	recs = open("list", "rb").read().split(b"\0")
	assert recs[-1] == b"", "no final NUL"
	got = set()
	for r in recs[:-1]:
	    num, tab, path = r.partition(b"\t")
	    assert tab and len(num) == 16 and num.isdigit(), r
	    got.add(path)
	assert got == want, (sorted(got - want)[:3], sorted(want - got)[:3])
	out = open("out", "rb").read()
	assert out.count(b"Linking ") == pairs, out.count(b"Linking ")
	for p in want:
	    assert p in out, p
	print("%d pairs linked" % pairs)
	PY
	[ "$(summary_line Linked: out)" = "100 files" ] &&
	no_temporaries t
'

expect_success 'operands that look like options (-- -n, ./-rf, --help as a directory): linked, names canonical' '
	mkdir -- -n -rf --help &&
	for d in -n -rf --help; do
		printf "in $d\\n" >"./$d/a" && printf "in $d\\n" >"./$d/b" || exit 1
	done &&
	find . -type f -exec touch -d $STAMP {} + &&
	run_ok -v -- -n ./-rf &&
	same_inode ./-n/a ./-n/b && same_inode ./-rf/a ./-rf/b &&
	grep -q -x "Linking $SCRATCH/-n/a to $SCRATCH/-n/b (-6 B)" out &&
	grep -q -F "$SCRATCH/-rf/a to $SCRATCH/-rf/b" out &&
	diff_inode ./--help/a ./--help/b &&
	run_ok -- --help &&
	same_inode ./--help/a ./--help/b
'

expect_success 'a 100 KB path (400 levels of 255-byte names): pairs at the top and the bottom linked, bytes kept' '
	"$PY" - <<-"PY" &&
	import os
	def put(fd, name, data):
	    f = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644, dir_fd=fd)
	    os.write(f, data)
	    os.utime(f, (1700000000, 1700000000))
	    os.close(f)
	os.mkdir("top")
	fd = os.open("top", os.O_RDONLY | os.O_DIRECTORY)
	put(fd, "a", b"top pair\n"); put(fd, "b", b"top pair\n")
	put(fd, "c", b"top and bottom\n")
	for i in range(400):
	    name = (b"%03d" % i) + b"\xff" * 100 + b"L" * 152
	    assert len(name) == 255
	    os.mkdir(name, dir_fd=fd)
	    nfd = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
	    os.close(fd)
	    fd = nfd
	put(fd, "x", b"bottom pair\n"); put(fd, "y", b"bottom pair\n")
	put(fd, "z", b"top and bottom\n")
	PY
	run_ok -n -v "$SCRATCH/top" &&
	longest=$(awk "{ if (length(\$0) > m) m = length(\$0) } END { print m + 0 }" out) &&
	echo "longest -v line: $longest" && [ "$longest" -gt 200000 ] &&
	run_ok "$SCRATCH/top" &&
	[ "$(summary_line Files: out)" = 6 ] &&
	[ "$(summary_line Linked: out)" = "3 files" ] &&
	"$PY" - <<-"PY" &&
	import os
	fd = os.open("top", os.O_RDONLY | os.O_DIRECTORY)
	top = {n: os.stat(n, dir_fd=fd, follow_symlinks=False) for n in "abc"}
	assert top["a"].st_ino == top["b"].st_ino
	depth = 0
	while True:
	    names = [n for n in os.listdir(fd)]
	    dirs = [n for n in names if n not in ("x", "y", "z", "a", "b", "c")]
	    if not dirs:
	        break
	    assert len(dirs) == 1
	    nfd = os.open(dirs[0], os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
	    os.close(fd)
	    fd = nfd
	    depth += 1
	assert depth == 400, depth
	bot = {n: os.stat(n, dir_fd=fd, follow_symlinks=False) for n in "xyz"}
	assert bot["x"].st_ino == bot["y"].st_ino and bot["x"].st_nlink == 2
	assert bot["z"].st_ino == top["c"].st_ino and bot["z"].st_nlink == 2
	f = os.open("x", os.O_RDONLY, dir_fd=fd)
	assert os.read(f, 100) == b"bottom pair\n"
	print("depth", depth, "path bytes", 4 + 400 * 256)
	PY
	no_temporaries top
'

expect_success 'names that only look like our temporaries (and a directory, a FIFO at a temporary name) are ordinary: linked or walked, never removed' '
	mkdir d &&
	printf "same\\n" >d/a &&
	for n in .hardlink-tmp-abc .hardlink-tmp-ABCDEFG_ .hardlink-tmp-ABCDEFGHI \
	    x.hardlink-tmp-ABCDEFGH .hardlink-tmp-ABCD-FGH .hardlink-tmp- \
	    .hardlink-tmp-ABCDEFGH.2 a.hardlink-temporary; do
		cp d/a "d/$n" || exit 1
	done &&
	mkdir d/.hardlink-tmp-DIRabc12 && cp d/a d/.hardlink-tmp-DIRabc12/in &&
	mkfifo d/.hardlink-tmp-FIFO1234 &&
	find d -type f -exec touch -d $STAMP {} + &&
	run_ok d &&
	[ "$(summary_line Files: out)" = 10 ] &&
	[ "$(summary_line Linked: out)" = "9 files" ] &&
	nlink_is 10 d/a &&
	[ "$(find d -type f | wc -l)" = 10 ] && [ -p d/.hardlink-tmp-FIFO1234 ] &&
	[ "$(find d -type f -exec cat {} + | sort -u)" = same ]
'

if [ -n "${HL_INJECT_SO:-}" ] && [ -e "$HL_INJECT_SO" ]; then
	expect_success 'temporary name taken (linkat EEXIST, injected): the next name is used; every name taken: "File exists", nothing lost' '
		mkdir d && printf "same\\n" >d/a && cp d/a d/b &&
		printf "other\\n" >d/c && cp d/c d/e &&
		touch -d $STAMP d/* &&
		before=$(snapshot d) &&
		LD_PRELOAD=$HL_INJECT_SO HL_INJECT=linkat:EEXIST:1 \
			HL_INJECT_LOG=$SCRATCH/log ASAN_OPTIONS=verify_asan_link_order=0 \
			"$HARDLINK" d >out 2>err &&
		cat out err log && [ ! -s err ] && [ "$(wc -l <log)" = 1 ] &&
		same_inode d/a d/b && same_inode d/c d/e && no_temporaries d &&
		rm -rf d && mkdir d && printf "same\\n" >d/a && cp d/a d/b &&
		printf "other\\n" >d/c && cp d/c d/e && touch -d $STAMP d/* &&
		st=0 &&
		{ LD_PRELOAD=$HL_INJECT_SO HL_INJECT=linkat:EEXIST:0 \
			HL_INJECT_LOG=$SCRATCH/log2 ASAN_OPTIONS=verify_asan_link_order=0 \
			"$HARDLINK" d >out 2>err || st=$?; } &&
		cat out err && [ "$st" = 1 ] &&
		[ "$(wc -l <log2)" = 200 ] &&
		grep -q -x "hardlink: cannot link $SCRATCH/d/[ab] to $SCRATCH/d/[ab]: File exists" err &&
		grep -q -x "hardlink: cannot link $SCRATCH/d/[ce] to $SCRATCH/d/[ce]: File exists" err &&
		[ "$(wc -l <err)" = 2 ] &&
		[ "$(snapshot d)" = "$before" ] && diff_inode d/a d/b &&
		no_temporaries d
	'
else
	skip_test 'temporary name taken (injected EEXIST)' 'no inject.so (HL_INJECT_SO)'
fi

# mk_traps DIR: a master, a duplicate, and at the names a temporary could
# have: symlinks to the master (ours and util-linux's name), a hard link
# to the master at util-linux's name (DUP.hardlink-temporary: util-linux
# --reflink opens it with O_TRUNC and truncates the master).
mk_traps()
{
	mkdir "$1" &&
	head -c 5000 /dev/urandom >"$1/master" && cp --reflink=never "$1/master" "$1/dup" &&
	touch -d @1700000100 "$1/master" && touch -d $STAMP "$1/dup" &&
	ln -s master "$1/.hardlink-tmp-AbCd1234" &&
	ln -s "$(cd "$1" && pwd -P)/master" "$1/.hardlink-tmp-Zz990011" &&
	ln -s master "$1/dup.hardlink-temporary" &&
	mkdir "$1/sub" && cp -p --reflink=never "$1/dup" "$1/sub/dup" &&
	ln "$1/master" "$1/sub/dup.hardlink-temporary"
}

# check_traps DIR SUM: the master holds its bytes (SUM), the duplicates
# are linked (or cloned), every trap is still there and unchanged.
check_traps()
{
	[ "$(sha256sum <"$1/master")" = "$2" ] &&
	[ "$(sha256sum <"$1/dup")" = "$2" ] &&
	[ "$(sha256sum <"$1/sub/dup")" = "$2" ] &&
	[ "$(readlink "$1/.hardlink-tmp-AbCd1234")" = master ] &&
	[ "$(readlink "$1/dup.hardlink-temporary")" = master ] &&
	[ -L "$1/.hardlink-tmp-Zz990011" ] &&
	same_inode "$1/master" "$1/sub/dup.hardlink-temporary" &&
	[ "$(find "$1" | wc -l)" = 9 ]
}

expect_success 'symlinks at temporary names (ours, util-linux'"'"'s) and a hard link at util-linux'"'"'s: never followed or removed, master intact' '
	mk_traps d && sum=$(sha256sum <d/master) &&
	run_ok -t d &&
	check_traps d "$sum" &&
	same_inode d/master d/dup && same_inode d/master d/sub/dup &&
	[ "$(summary_line Files: out)" = 4 ] &&
	[ "$(summary_line Linked: out)" = "2 files" ]
'

# The same traps with --reflink=always on btrfs, where util-linux 2.38
# truncates the master (reference: util-linux-hardlink.md, section 10.1).
can_btrfs=no
if [ "$(id -u)" = 0 ] && command -v mkfs.btrfs >/dev/null 2>&1; then
	probe=$(mktemp -d "$TEST_TMP/t0920-probe.XXXXXX")
	truncate -s 128M "$probe/img" && mkdir "$probe/m" &&
	mkfs.btrfs -q "$probe/img" >/dev/null 2>&1 &&
	mount -o loop "$probe/img" "$probe/m" 2>/dev/null &&
	can_btrfs=yes && umount "$probe/m"
	rm -rf "$probe"
fi
if [ $can_btrfs = yes ]; then
	expect_success '--reflink=always on btrfs with the same traps: clones made, master intact (util-linux truncates it)' '
		truncate -s 128M img && mkfs.btrfs -q img >/dev/null &&
		mkdir m && dev=$(losetup -f --show img) &&
		trap "umount \"$SCRATCH/m\" || umount -l \"$SCRATCH/m\" || true; losetup -d $dev || true" EXIT &&
		mount "$dev" m &&
		mk_traps m/d && sum=$(sha256sum <m/d/master) &&
		cp -a --reflink=never m/d m/ul &&
		run_ok -t --reflink=always m/d &&
		check_traps m/d "$sum" &&
		diff_inode m/d/master m/d/dup &&
		[ "$(summary_line Linked: out)" = "2 files" ] &&
		if [ -x "$UL_HARDLINK" ]; then
			"$UL_HARDLINK" -t --reflink=always m/ul >/dev/null 2>&1 || true
			echo "util-linux $($UL_HARDLINK --version | sed "s/.* //")" \
				"--reflink=always on the same traps: master" \
				"5000 -> $(stat -c %s m/ul/master) bytes" >>"$NOTES"
		fi
	'
else
	skip_test '--reflink=always on btrfs with the same traps' 'cannot make a btrfs loop mount'
fi

# 100,000 files in one directory: 40,000 pairs and 20,000 single files
# of 3 to 8 bytes, names and bytes derived from the number.  On a loop
# ext4 when one can be mounted: each freed block of a filesystem mounted
# with "discard" (as this project's CI disk is) costs a synchronous
# discard, which made the real run take 95-130 s instead of 3 s there.
expect_success '100,000 files in one directory: dry run and real run link exactly the 40,000 pairs' '
	if [ "$(id -u)" = 0 ] && truncate -s 256M img &&
	   mkfs.ext4 -q -b 1024 -N 110000 img 2>/dev/null && mkdir m &&
	   dev=$(losetup -f --show img 2>/dev/null); then
		trap "cd \"$SCRATCH\"; umount m || umount -l m || true; losetup -d $dev || true" EXIT
		mount "$dev" m && cd m || exit 1
		echo "on a loop ext4 ($dev)"
	fi &&
	"$PY" - <<-"PY" &&
	import os
	os.mkdir("big")
	fd = os.open("big", os.O_RDONLY | os.O_DIRECTORY)
	for i in range(100000):
	    data = (b"p%d\n" % (i // 2)) if i < 80000 else (b"u%d\n" % i)
	    f = os.open("f%06d" % i, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644, dir_fd=fd)
	    os.write(f, data)
	    os.utime(f, (1700000000, 1700000000))
	    os.close(f)
	PY
	t0=$(date +%s%N) &&
	run_ok -n big && [ "$(summary_line Files: out)" = 100000 ] &&
	[ "$(summary_line Linked: out)" = "40000 files" ] &&
	[ "$(find big -type f -links 2 | wc -l)" = 0 ] &&
	t1=$(date +%s%N) &&
	run_ok big && t2=$(date +%s%N) &&
	[ "$(summary_line Linked: out)" = "40000 files" ] &&
	echo "100,000 files in one directory: dry run $(((t1 - t0) / 1000000)) ms," \
		"real run $(((t2 - t1) / 1000000)) ms" >>"$NOTES" &&
	"$PY" - <<-"PY" &&
	import os
	fd = os.open("big", os.O_RDONLY | os.O_DIRECTORY)
	names = os.listdir(fd)
	assert len(names) == 100000, len(names)
	st = {n: os.stat(n, dir_fd=fd, follow_symlinks=False) for n in names}
	for i in range(100000):
	    s = st["f%06d" % i]
	    f = os.open("f%06d" % i, os.O_RDONLY, dir_fd=fd)
	    data = os.read(f, 100)
	    os.close(f)
	    if i < 80000:
	        assert data == b"p%d\n" % (i // 2), i
	        mate = st["f%06d" % (i ^ 1)]
	        assert s.st_ino == mate.st_ino and s.st_nlink == 2, i
	    else:
	        assert data == b"u%d\n" % i and s.st_nlink == 1, i
	PY
	no_temporaries big
'

sed 's/^/# /' "$NOTES"
test_done
