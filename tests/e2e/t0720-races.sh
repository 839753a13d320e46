#!/bin/sh
# t0720-races.sh - writers racing with the run: no write is ever lost, a
# file open for writing is not replaced, leftovers of kill -9 with one
# link are removed only when another file holds their bytes.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

# held WHICH: keeps file d/WHICH open for writing while hardlink runs
held()
{
	mkdir d && printf "same\\n" >d/a && cp -p d/a d/b &&
	sleep 3 >>"d/$1" &
	wpid=$!
	sleep 0.2
	st=0
	"$HARDLINK" d >out 2>err || st=$?
	kill $wpid 2>/dev/null || true
	wait $wpid 2>/dev/null || true
	cat err
	[ "$st" = 1 ] || { echo "exit $st, want 1"; return 1; }
	grep -q "^hardlink: $SCRATCH/d/[ab]: open for writing by another process, not replaced\$" err ||
		{ echo "no open-for-writing warning"; return 1; }
	diff_inode d/a d/b
}

expect_success 'a duplicate open for writing elsewhere is left alone' '
	held b
'

expect_success 'a master open for writing elsewhere is not linked to' '
	held a
'

# race ROUNDS: each round, a writer appends numbered markers to random
# files of a tree of duplicates while hardlink runs on it; afterwards
# every marker must still be in the file it was written to.
race()
{
	cat >writer.py <<-"PY"
	import os, random, sys, time
	files, log, stop = sys.argv[1].split(","), open(sys.argv[2], "w"), sys.argv[3]
	i = 0
	while not os.path.exists(stop):
	    f = random.choice(files)
	    with open(f, "a") as fh:
	        fh.write("\nW%d\n" % i)
	    log.write("%s W%d\n" % (f, i)); log.flush()
	    i += 1
	    time.sleep(random.random() / 2000)
	PY
	lost=0 writes=0 r=0
	while [ $r -lt "$1" ]; do
		r=$((r + 1))
		rm -rf t stop log && mkdir t &&
		for g in $(seq 1 40); do
			head -c $((g * 997)) /dev/urandom >t/g$g.0
			for c in 1 2 3; do cp -p t/g$g.0 t/g$g.$c; done
		done
		files=$(ls t/* | tr "\\n" "," | sed "s/,\$//")
		$PY writer.py "$files" log stop &
		wpid=$!
		sleep 0.05
		"$HARDLINK" t >out 2>err || true
		touch stop; wait $wpid
		writes=$((writes + $(wc -l <log)))
		while read -r f m; do
			grep -qax "$m" "$f" || { lost=$((lost + 1)); echo "lost $m in $f"; }
		done <log
		no_temporaries t || return 1
	done
	echo "# races: $1 rounds, $writes racing writes, $lost lost"
	[ "$lost" = 0 ]
}

# T0720_ROUNDS (default 10; tests/soak/ runs 100) rounds of writers.
ROUNDS=${T0720_ROUNDS:-10}
expect_success "writers appending during the run: no write lost ($ROUNDS rounds)" "
	race $ROUNDS
"

expect_success 'one-link leftover temporary with a twin is removed; without one it is kept' '
	mkdir d && printf "same\\n" >d/a && cp -p d/a d/b &&
	cp d/a d/.hardlink-tmp-AbCd1234 &&
	printf "unique\\n" >d/.hardlink-tmp-Zz990011 || exit 1
	st=0; "$HARDLINK" d >out 2>err || st=$?
	[ ! -e d/.hardlink-tmp-AbCd1234 ] &&
	content_is d/.hardlink-tmp-Zz990011 "unique
" &&
	[ "$st" = 1 ] &&
	[ "$(cat err)" = "hardlink: $SCRATCH/d/.hardlink-tmp-Zz990011: leftover temporary kept: no other file holds its bytes" ] &&
	same_inode d/a d/b && [ "$(summary_line Files: out)" = 2 ]
'

expect_success 'a dry run leaves one-link leftovers alone and does not count them' '
	mkdir d && printf "same\\n" >d/a && cp d/a d/.hardlink-tmp-AbCd1234 &&
	"$HARDLINK" -n d >out 2>err && [ ! -s err ] &&
	[ -e d/.hardlink-tmp-AbCd1234 ] && [ "$(summary_line Files: out)" = 1 ]
'

test_done
