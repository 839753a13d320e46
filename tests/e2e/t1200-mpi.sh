#!/bin/sh
# t1200-mpi.sh - hardlink-mpi (the run spread over MPI ranks) against
# hardlink, and its faults.
#
# Differential: gen-tree.py trees (as t0500), generated twice side by
# side; hardlink on A, hardlink-mpi under mpirun -np 1, 2 and 4 on B:
# the same -v lines and summary (all but Duration:), the same -l
# listing, then after real runs the same partition of paths into inodes
# and the same summary.  Balance: a skewed tree (one subtree with 90% of
# the files) is walked by more than one rank, and the records go to
# every rank; a huge size group is split by first-block digest over
# the ranks (--mpi-stats; the same output but for Read:, the bytes the
# engine read on each rank).  Faults: SIGKILL to one rank mid-run loses
# no path and no bytes, and the next run removes the temporaries;
# SIGINT to mpirun ends every rank, temporaries removed.
#
# Cost: each mpirun starts in 0.5-2 s here; this script runs 22 of them
# (more when a kill round is retried).
# Skipped (exit 77 per test) when hardlink-mpi was not built
# (meson -Dmpi=disabled, or no OpenMPI) or mpirun is missing.

. "$(dirname "$0")/lib.sh"

GEN_TREE=$(cd "$(dirname "$0")" && pwd -P)/gen-tree.py
PYTHON=/usr/bin/python3
[ -x "$PYTHON" ] || PYTHON=python3
gen_tree() { "$PYTHON" "$GEN_TREE" "$@"; }

MPI=${HARDLINK_MPI:-}
# Under ASan: OpenMPI's own leaks at exit suppressed (see the file)
case ${HL_SANITIZE:-none} in
*address*)
	LSAN_OPTIONS="suppressions=$(cd "$(dirname "$0")" && pwd -P)/lsan-openmpi.supp:fast_unwind_on_malloc=0:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
	export LSAN_OPTIONS
	;;
esac
TIMEOUT=""
command -v timeout >/dev/null 2>&1 && TIMEOUT="timeout -k 5 120"

# mpi NP ARGS...: hardlink-mpi on NP ranks (oversubscribed: 2 cores here)
mpi()
{
	_np=$1
	shift
	$TIMEOUT mpirun --oversubscribe --allow-run-as-root -np "$_np" \
		"$MPI" "$@"
}

# nosum FILE: FILE without Duration:, A's paths named as B's
nosum() { grep -av '^Duration:' "$1" | sed "s|$PWD/A/|$PWD/B/|g"; }

# diff_case SEED NP OPTS [MPIOPTS]: hardlink and hardlink-mpi on the same tree B
# for the dry runs (-n -v, -l: the order of the lines depends on inode
# numbers, which A and B share only in their relative order when the
# filesystem hands them out so), then real runs, hardlink on A and
# hardlink-mpi on B: the same partition, and hardlink-mpi's summary equal
# to hardlink's dry-run summary of B (Mode: aside).  Not hardlink's real
# summary of A: which file of a class is kept may follow inode numbers,
# and with it how many paths are linked (a kept file that already had
# another path), while the partition stays the same.
diff_case()
{
	gen_tree gen --seed "$1" A B >/dev/null &&
	(cd B && "$HARDLINK" -n -v $3 . >../a.dry 2>../a.dry.err) &&
	(cd B && mpi "$2" -n -v $3 ${4:-} . >../b.dry 2>../b.dry.err) &&
	nosum a.dry >a.dry.s && nosum b.dry >b.dry.s &&
	cmp a.dry.s b.dry.s && [ ! -s a.dry.err ] && [ ! -s b.dry.err ] &&
	(cd B && "$HARDLINK" -l $3 . >../a.list) &&
	(cd B && mpi "$2" -l $3 ${4:-} . >../b.list) &&
	cmp a.list b.list &&
	(cd B && "$HARDLINK" -n $3 . >../a.sum) &&
	(cd A && "$HARDLINK" $3 . >../a.real 2>../a.real.err) &&
	(cd B && mpi "$2" $3 ${4:-} . >../b.real 2>../b.real.err) &&
	nosum a.sum | grep -av '^Mode:' >a.sum.s &&
	nosum b.real | grep -av '^Mode:' >b.real.s &&
	cmp a.sum.s b.real.s && [ ! -s b.real.err ] &&
	grep -q '^Mode: *real' b.real &&
	gen_tree partition A >a.part && gen_tree partition B >b.part &&
	cmp a.part b.part &&
	grep -q '^Linked: *[1-9]' a.real
}

# stat_col FILE KEY: the KEY column of every rank's --mpi-stats line
stat_col()
{
	awk -v k="$2" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }' "$1"
}

# ranks_over FILE KEY MIN: how many ranks have KEY > MIN
ranks_over()
{
	stat_col "$1" "$2" | awk -v m="$3" '$1 > m { n++ } END { print n + 0 }'
}

if [ -z "$MPI" ] || [ ! -x "$MPI" ]; then
	skip_test 'hardlink-mpi tests' 'hardlink-mpi not built (-Dmpi)'
	test_done
	exit $?
fi
if ! command -v mpirun >/dev/null 2>&1; then
	skip_test 'hardlink-mpi tests' 'no mpirun (openmpi-bin)'
	test_done
	exit $?
fi

expect_success 'hardlink-mpi -np 1 decides and prints as hardlink (seed 1)' '
	diff_case 1 1 ""
'
expect_success 'hardlink-mpi -np 2 decides and prints as hardlink (seed 2, -p -o)' '
	diff_case 2 2 "-p -o"
'
expect_success 'hardlink-mpi -np 4 decides and prints as hardlink, every group cut by digest (seed 3)' '
	diff_case 3 4 "" --mpi-split=2
'
expect_success 'hardlink-mpi -np 4 decides and prints as hardlink (seed 4, -f -s 0)' '
	diff_case 4 4 "-f -s 0"
'

expect_success 'unsupported options are refused with hardlink-mpi: and exit 1' '
	mkdir d && echo x >d/a &&
	expect_exit 1 mpi 2 --json d >out 2>err &&
	[ ! -s out ] &&
	[ "$(head -n 1 err)" = "hardlink-mpi: --json is not supported" ] &&
	[ "$(grep -c hardlink-mpi: err)" = 1 ] &&
	expect_exit 1 mpi 1 -vv d >out 2>err &&
	[ "$(head -n 1 err)" = "hardlink-mpi: -vv is not supported" ] &&
	expect_exit 1 mpi 1 --cache=c.db d >out 2>err &&
	[ "$(head -n 1 err)" = "hardlink-mpi: --cache is not supported" ] &&
	[ ! -e c.db ]
'

expect_success 'file operands and a missing operand: as hardlink (warning, exit 1)' '
	mkdir d && echo same >a && echo same >b && echo same >d/c &&
	touch -d @1700000000 a b d/c &&
	expect_exit 1 "$HARDLINK" -n -v a d b missing >h.out 2>h.err &&
	expect_exit 1 mpi 2 -n -v a d b missing >m.out 2>m.err &&
	grep -v ^Duration: h.out >h.s && grep -v ^Duration: m.out >m.s &&
	cmp h.s m.s && grep -q "Linked: *2 files" m.s &&
	[ "$(head -n 1 m.err)" = "hardlink-mpi: cannot get realpath: missing: No such file or directory" ]
'

# 90% of the files below big/ (in 60 directories), the rest in 10 others
expect_success 'a skewed tree is walked by several ranks, its records owned by all' '
	for i in $(seq 0 59); do mkdir -p t/big/s$((i % 6))/d$i; done &&
	for i in $(seq 0 9); do mkdir t/small$i; done &&
	for i in $(seq 1 2700); do
		printf "%0${i}d" 0 >t/big/s$((i % 6))/d$((i % 60))/f$i || exit 1
	done &&
	for i in $(seq 1 300); do printf "%d" $i >t/small$((i % 10))/g$i || exit 1; done &&
	mpi 4 -n --mpi-stats=st t >out &&
	cat st &&
	[ "$(summary_line Files: out)" = 3000 ] &&
	[ "$(stat_col st files | awk "{ s += \$1 } END { print s }")" = 3000 ] &&
	[ "$(ranks_over st dirs 0)" -ge 2 ] &&
	[ "$(ranks_over st owned 300)" = 4 ]
'

expect_success 'a huge size group is compared by every rank (split by first-block digest)' '
	mkdir g && for i in $(seq 1 400); do
		printf "%04096d" $((i % 40)) >g/f$i || exit 1
	done &&
	touch -d @1700000000 g/* && touch -d @1700000001 g/f1 g/f2 g/f3 &&
	"$HARDLINK" -n -v g >a.out &&
	mpi 4 -n -v --mpi-stats=st --mpi-split=100 g >b.out &&
	cat st &&
	grep -v "^Read:" a.out | nosum - >a.s &&
	grep -v "^Read:" b.out | nosum - >b.s &&
	cmp a.s b.s &&
	[ "$(summary_line Linked: b.out)" = "357 files" ] &&
	[ "$(ranks_over st files_opened 40)" = 4 ]
'

# a tree of 2,000 groups of 3 identical files (4,000 replacements, so
# that a run is long enough to be hit in its replacements)
make_dups()
{
	"$PYTHON" - <<'PY' &&
import os
for g in range(1, 2001):
    data = os.urandom(4096 + g)
    for d, n in ((f"t/a{g % 20}", f"f{g}"), (f"t/b{g % 20}", f"f{g}"),
                 (f"t/b{g % 20}", f"g{g}")):
        os.makedirs(d, exist_ok=True)
        with open(f"{d}/{n}", "wb") as f:
            f.write(data)
        os.utime(f"{d}/{n}", (1700000000, 1700000000))
PY
	(cd t && find . -type f | sort | xargs sha256sum) >manifest
}

# every path of the manifest is there with its bytes, or a temporary is
intact()
{
	(cd t && sha256sum --quiet -c ../manifest)
}

# until_linked: waits (at most 20 s) for the first replacement: the
# smallest group (t/a1/f1, t/b1/f1, t/b1/g1) is the first its rank
# replaces; one stat per poll
until_linked()
{
	_n=0
	while [ "$(stat -c %h t/a1/f1 t/b1/f1 t/b1/g1 2>/dev/null |
		sort -u)" = 1 ]; do
		_n=$((_n + 1))
		[ $_n -lt 20000 ] || return 1
	done
}

# ranks_of PID: the ranks' pids, once all 4 run (PID: the timeout
# running mpirun)
ranks_of()
{
	_n=0
	while :; do
		_r=$(pgrep -P "$(pgrep -P "$1" | head -n 1)" || true)
		[ "$(echo $_r | wc -w)" -lt 4 ] || break
		_n=$((_n + 1))
		[ $_n -lt 2000 ] || return 1
		sleep 0.01
	done
	echo $_r
}

# kill_round N: a real run on 4 ranks, rank pid N (of 4) killed at its
# first replacement; 0 when it was killed and nothing is lost, 2 when
# the run ended before the kill landed
kill_round()
{
	{ $TIMEOUT mpirun --oversubscribe --allow-run-as-root -np 4 \
		"$MPI" t >out 2>err & } &&
	pid=$! && kids=$(ranks_of $pid) &&
	v=$(echo $kids | cut -s -d" " -f$1) && [ -n "$v" ] &&
	until_linked || return 1
	kill -KILL $v 2>/dev/null || { wait $pid; return 2; }
	echo "killed $v of $kids"
	wait $pid || true
	intact
}

# Killed at its first replacement (mid-run: past MPI's start-up), a
# different rank each round; a round whose run ended before the kill
# landed is tried again (at most 3 times).
expect_success 'SIGKILL to one rank mid-run loses nothing; the next run cleans up' '
	make_dups &&
	for victim in 2 4; do
		cp -a t t.orig && try=0 &&
		while :; do
			set +e; kill_round $victim; rc=$?; set -e
			[ $rc -ne 2 ] && break
			try=$((try + 1)) && [ $try -lt 3 ] &&
			rm -rf t && cp -a t.orig t || exit 1
		done &&
		[ $rc = 0 ] &&
		mpi 2 t >out2 2>err2 &&
		no_temporaries t && intact &&
		[ "$(find t -type f -links 3 | wc -l)" = 6000 ] &&
		rm -rf t && mv t.orig t || exit 1
	done
'

expect_success 'SIGINT to mpirun ends every rank, temporaries removed' '
	make_dups &&
	{ mpirun --oversubscribe --allow-run-as-root -np 4 "$MPI" t \
		>out 2>err & } &&
	pid=$! && until_linked &&
	kill -INT $pid &&
	set +e && wait $pid; rc=$?; set -e &&
	echo "mpirun exit $rc" && [ $rc -ne 0 ] &&
	sleep 0.5 && [ -z "$(pgrep -P $pid || true)" ] &&
	no_temporaries t && intact
'

test_done
