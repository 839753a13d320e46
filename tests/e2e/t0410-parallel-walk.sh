#!/bin/sh
# t0410: the walk on several threads (-j) finds the same files in the same
# order as on one: the -v lines (whose master and path order follow the
# walk's order), the --json document, the messages on stderr and the
# links made are those of -j 1, whatever the number of threads and
# however the subtrees were shared out between them.

. "$(dirname "$0")/lib.sh"

# mk_tree DIR SEED: 600 directories up to 7 levels deep (wide and narrow
# ones), 3,000 files drawn from 40 contents and 3 mtimes, hard links
# within and across directories, a chain of 60 levels with duplicates at
# its bottom, and a leftover temporary with two links (a real run
# removes it).
mk_tree()
{
	python3 - "$1" "$2" <<-'EOF'
	import os, random, sys
	root, seed = sys.argv[1], int(sys.argv[2])
	rnd = random.Random(seed)
	os.makedirs(root)
	dirs = [root]
	for i in range(600):
	    parent = rnd.choice(dirs)
	    if parent.count("/") - root.count("/") >= 7:
	        parent = root
	    d = os.path.join(parent, "d%03d" % i)
	    os.mkdir(d)
	    dirs.append(d)
	files = []
	for i in range(3000):
	    p = os.path.join(rnd.choice(dirs), "f%04d" % i)
	    with open(p, "w") as f:
	        f.write("content %d\n" % rnd.randrange(40) * rnd.randrange(1, 4))
	    t = 1700000000 + rnd.randrange(3)
	    os.utime(p, (t, t))
	    files.append(p)
	for i in range(300):
	    src = rnd.choice(files)
	    dst = os.path.join(rnd.choice(dirs), "h%04d" % i)
	    os.link(src, dst)
	d = root
	for i in range(60):
	    d = os.path.join(d, "c")
	os.makedirs(d)
	for name in ("x", "y"):
	    with open(os.path.join(d, name), "w") as f:
	        f.write("content 7\n")
	    os.utime(os.path.join(d, name), (1700000000, 1700000000))
	os.link(files[0], os.path.join(dirs[5], ".hardlink-tmp-AbCd1234"))
	EOF
}

# run_j J OUT ARGS...: hardlink -j J ARGS, stdout to OUT.out without its
# Duration line (and "duration" of --json), stderr to OUT.err, exit
# status to OUT.st.
run_j()
{
	j=$1 o=$2
	shift 2
	st=0
	"$HARDLINK" -j "$j" "$@" >"$o.raw" 2>"$o.err" || st=$?
	echo "$st" >"$o.st"
	grep -v -e '^Duration:' -e '"duration"' "$o.raw" >"$o.out" || true
}

# same_as_j1 BASE: BASE.{out,err,st} of every -j run equal those of -j 1.
same_as_j1()
{
	for f in "$1".j*.out; do
		r=${f%.out}
		cmp -s "$1.j1.out" "$r.out" ||
			{ echo "$r: stdout differs from -j 1"; diff "$1.j1.out" "$r.out" | head; return 1; }
		cmp -s "$1.j1.err" "$r.err" ||
			{ echo "$r: stderr differs from -j 1"; diff "$1.j1.err" "$r.err" | head; return 1; }
		cmp -s "$1.j1.st" "$r.st" ||
			{ echo "$r: exit status differs from -j 1"; return 1; }
	done
}

expect_success 'dry run -v: the same lines in the same order for -j 1, 2, 3, 8 (3 runs each)' '
	mk_tree t 1 &&
	run_j 1 v.j1 -n -v t &&
	[ "$(wc -l <v.j1.out)" -gt 500 ] &&
	for j in 2 3 8; do
		for k in 1 2 3; do run_j $j v.j$j.$k -n -v t || return 1; done
	done &&
	same_as_j1 v &&
	[ "$(cat v.j1.st)" = 0 ] && [ ! -s v.j1.err ]
'

expect_success 'dry run -c -v, -f, -d, -O, -x: the same output for -j 1 and 8' '
	mk_tree t 2 &&
	for opt in "-c" "-f" "-d -c" "-O" "-x /d0[0-4]" "-i f0 -e f00"; do
		run_j 1 o.j1 -n -v $opt t &&
		run_j 8 o.j8 -n -v $opt t &&
		run_j 2 o.j2 -n -v $opt t &&
		same_as_j1 o || { echo "options: $opt"; return 1; }
	done
'

expect_success '--json: the same document for -j 1 and 4' '
	mk_tree t 3 &&
	run_j 1 js.j1 -n --json t &&
	run_j 4 js.j4 -n --json t &&
	for j in 1 4; do
		sed "s/\"threads\": [0-9]*, //" js.j$j.out >js.x &&
		mv js.x js.j$j.out || return 1
	done &&
	same_as_j1 js &&
	jq -e ".groups | length > 10" js.j1.raw >/dev/null
'

expect_success 'real run -j 8: the links the -j 1 dry run announced, in its order; a copy linked by -j 1 shares the same files' '
	mk_tree a 4 && cp -a a b &&
	[ -n "$(find a -name .hardlink-tmp-AbCd1234)" ] &&
	run_j 1 dry -n -v a &&
	run_j 8 r.j8 -v a &&
	run_j 1 r.j1 -v b &&
	grep "^\[DryRun\] Linking " dry.out | sed "s/^\[DryRun\] //" >want &&
	grep "^Linking " r.j8.out >got &&
	[ "$(wc -l <want)" -gt 100 ] &&
	cmp want got &&
	[ "$(cat r.j1.st)" = 0 ] && [ "$(cat r.j8.st)" = 0 ] &&
	[ ! -s r.j1.err ] && [ ! -s r.j8.err ] &&
	inode_partition a >pa && inode_partition b >pb &&
	cmp pa pb &&
	no_temporaries a && no_temporaries b
'

can_nobody=no
nobody_can_run && can_nobody=yes

if [ $can_nobody = yes ]; then
	expect_success 'unreadable directories: the same warnings in walk order for -j 1 and 8' '
		chmod 755 "$SCRATCH" &&
		mk_tree t 5 &&
		chown -R 65534:65534 t &&
		find t -type d \( -name d010 -o -name d100 -o -name d200 \
			-o -name d300 -o -name d400 -o -name d500 \) \
			-exec chmod 000 {} + &&
		for j in 1 2 8; do
			st=0
			as_nobody "$HARDLINK" -j $j -n -v "$SCRATCH/t" >w.j$j.raw 2>w.j$j.err || st=$?
			echo $st >w.j$j.st
			grep -v "^Duration:" w.j$j.raw >w.j$j.out
		done &&
		find t -type d -perm 000 -exec chmod 755 {} + &&
		cat w.j1.err &&
		[ "$(cat w.j1.st)" = 1 ] &&
		[ "$(wc -l <w.j1.err)" -ge 2 ] &&
		! grep -v "^hardlink: .*Permission denied" w.j1.err &&
		same_as_j1 w
	'
else
	skip_test 'unreadable directories: the same warnings in walk order for -j 1 and 8' \
		'cannot run the binary as user 65534 (need root and setpriv, and a path it can reach)'
fi

test_done
