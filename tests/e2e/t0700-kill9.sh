#!/bin/sh
# t0700: kill -9 at random moments of a real run never loses or changes
# a path, and the next real run cleans up (HACKING.md, contract 7:
# leftover `.hardlink-tmp-*` with >= 2 links are removed by the next real
# run) and links what is left.
#
# A template tree (300 groups of 2-5 identical files from 1 byte to
# 256 KiB, size exp(u^1.5 ln 256Ki) for a uniform u; near-duplicates
# differing in the last byte; unique files, half of them of a group's
# size; nested directories; one mtime) is built once with a manifest
# "sha256  ./path".  Each round copies it, starts a real run, kills it
# after a random delay drawn from [0, 1.2 x the measured run time], checks
# every path, reruns and checks again.
#
# KILL9_LOOPS (default 30: rounds on a tmpfs, or on disk without one),
# KILL9_DISK_LOOPS (default 6: extra rounds on disk when a tmpfs is
# used) and KILL9_SEED (default random) tune a run.  tests/soak/ runs
# 100 + 20 (the default until the suite had to fit in 20 minutes) and
# 1,000 + 100.

. "$(dirname "$0")/lib.sh"

LOOPS=${KILL9_LOOPS:-30}
SEED=${KILL9_SEED:-$(($(od -An -N4 -tu4 /dev/urandom) % 2147483646))}
TPL=$(mktemp -d "$TEST_TMP/t0700-template.XXXXXX")
STATS=$TPL/stats
echo "# kill9 seed $SEED (rerun with KILL9_SEED=$SEED)"

# plan: "G group size path", "N group size path" (near-duplicate of the
# group's first file), "U - size path"; paths under a few nested dirs.
plan()
{
	awk -v seed="$SEED" 'BEGIN {
		srand(seed)
		nd = split("a a/b a/b/c a/b/c/d e e/f e/f/g h h/i/j/k/l m", dir, " ")
		for (g = 1; g <= 300; g++) {
			size = int(exp(rand() ^ 1.5 * log(262144)))
			if (size < 1) size = 1
			gsize[g] = size
			k = 2 + int(rand() * 4)
			for (i = 1; i <= k; i++)
				printf "G %d %d %s/g%d-%d\n", g, size,
					dir[1 + int(rand() * nd)], g, i
			if (g % 5 == 0)
				printf "N %d %d %s/n%d\n", g, size,
					dir[1 + int(rand() * nd)], g
		}
		for (u = 1; u <= 150; u++) {
			size = (u % 2) ? gsize[1 + int(rand() * 300)] \
				: int(exp(rand() ^ 1.5 * log(262144)))
			printf "U - %d %s/u%d\n", size, dir[1 + int(rand() * nd)], u
		}
	}'
}

# mk_template: the tree in $TPL/tree and its manifest in $TPL/manifest.
mk_template()
{
	(
	cd "$TPL" && mkdir tree && cd tree &&
	mkdir -p a/b/c/d e/f/g h/i/j/k/l m &&
	plan >../plan || exit 1
	while read -r kind g size path; do
		case $kind in
		G)
			eval "first=\${first_$g:-}"
			if [ -z "$first" ]; then
				head -c "$size" /dev/urandom >"$path" &&
				eval "first_$g=\$path"
			else
				cp "$first" "$path"
			fi
			;;
		N)
			eval "first=\$first_$g"
			last=$(tail -c 1 "$first" | od -An -tu1 | tr -d ' ') &&
			head -c $((size - 1)) "$first" >"$path" &&
			printf "\\$(printf %o $(((last + 1) % 256)))" >>"$path"
			;;
		U)
			head -c "$size" /dev/urandom >"$path"
			;;
		esac || exit 1
	done <../plan
	find . -type f -exec touch -d @1700000000 {} + &&
	find . -type f -print | sort | xargs sha256sum >../manifest &&
	cut -c67- ../manifest >../paths
	)
}

# scan DIR: prints "LOST EXTRA TMP TMP1 BAD DISTINCT" for the tree DIR:
# manifest paths missing or holding other bytes, names neither in the
# manifest nor temporaries, temporaries, temporaries with one link, pairs
# of manifest paths whose sharing of an inode disagrees with equality of
# their bytes, distinct inodes among the manifest paths.  Bytes are
# hashed once per inode (paths of one inode hold the same bytes).
# Details go to DIR.lost, DIR.extra, DIR.tmps.
scan()
{
	(cd "$1" && find . -type f -printf '%i %n %p\n') >"$1.scan"
	awk '$3 !~ /\/\.hardlink-tmp-[^\/]*$/ && !seen[$1]++ { print $3 }' \
		"$1.scan" | (cd "$1" && xargs -r sha256sum) >"$1.sums"
	awk -v dir="$1" '
	FILENAME == ARGV[1] { want[$2] = $1; next }
	FILENAME == ARGV[2] {
		if ($3 ~ /\/\.hardlink-tmp-[^\/]*$/) {
			tmp++; if ($2 == 1) tmp1++
			print $2, $3 > (dir ".tmps")
		} else {
			ino[$3] = $1
			if (!($3 in want)) { extra++; print $3 > (dir ".extra") }
		}
		next
	}
	{ isum[ino[$2]] = $1 }
	END {
		for (p in want) {
			if (!(p in ino) || isum[ino[p]] != want[p]) {
				lost++; print p > (dir ".lost"); continue
			}
			s = want[p]; i = ino[p]
			if (!((s, i) in si)) {
				si[s, i] = 1; ns[s]++; ni[i]++
			}
		}
		for (s in ns) bad += ns[s] - 1
		for (i in ni) { bad += ni[i] - 1; distinct++ }
		for (p in want)
			if ((p in ino) && (ns[want[p]] > 1 || ni[ino[p]] > 1))
				print substr(want[p], 1, 12), ino[p], p > (dir ".mism")
		print lost + 0, extra + 0, tmp + 0, tmp1 + 0, bad + 0, distinct + 0
	}' "$TPL/manifest" "$1.scan" "$1.sums"
}

now_us()
{
	echo $(($(date +%s%N) / 1000))
}

# full_runs LABEL: three full real runs on fresh copies in the current
# directory; each must link every class, keep every byte, leave no
# temporary, exit 0 with an empty stderr.  The median duration in
# microseconds goes to $STATS.T.LABEL.
full_runs()
{
	label=$1
	classes=$(cut -c1-64 "$TPL/manifest" | sort -u | wc -l)
	nfiles=$(wc -l <"$TPL/paths")
	: >times
	for i in 1 2 3; do
		rm -rf w w.* && cp -a "$TPL/tree" w || return 1
		t0=$(now_us)
		rc=0
		"$HARDLINK" w >out 2>err || rc=$?
		t1=$(now_us)
		echo $((t1 - t0)) >>times
		cat out err
		[ "$rc" = 0 ] || { echo "exit $rc"; return 1; }
		[ ! -s err ] || { echo "stderr not empty"; return 1; }
		set -- $(scan w)
		[ "$*" = "0 0 0 0 0 $classes" ] || {
			echo "lost/extra/tmp/tmp1/mismatch/inodes: $*," \
				"want 0 0 0 0 0 $classes"
			return 1
		}
		[ "$(summary_line Files: out)" = "$nfiles" ] ||
			{ echo "Files: not $nfiles"; return 1; }
	done
	sort -n times | sed -n 2p >"$STATS.T.$label"
	echo "run time (us): $(tr '\n' ' ' <times), median $(cat "$STATS.T.$label")"
}

# note TEXT: a line for $TPL/details, also on stdout.
note()
{
	echo "$*" | tee -a "$TPL/details"
}

# keep_round LABEL N: keep round N's evidence in $TPL/LABEL-N.
keep_round()
{
	mkdir -p "$TPL/$1-$2"
	cp killed.scan w.scan w.mism w.lost w.extra w.tmps out err \
		"$TPL/$1-$2/" 2>/dev/null || true
	touch "$TPL/keep"
}

# kill9_loop LABEL ROUNDS: in the current directory, calibrate with
# full_runs, then ROUNDS rounds of copy, run, kill -9 after a random
# delay in [0, 1.2 x run time], check, rerun, check.  Counters go to
# $STATS.LABEL as "name value" lines; the test fails here only for what
# the kill itself did (a path lost or changed, an unknown name, an exit
# status other than 0 or 137).
kill9_loop()
{
	label=$1
	full_runs "$label" || return 1
	t=$(cat "$STATS.T.$label")
	awk -v seed="$SEED" -v n="$2" -v max="$t" -v l="$label" 'BEGIN {
		srand(seed + length(l))
		for (i = 0; i < n; i++) printf "%.6f\n", rand() * max * 1.2 / 1e6
	}' >delays
	npaths=$(wc -l <"$TPL/paths")
	kills=0 mid=0 partial=0 lost=0 extra=0 tmpk=0 tmp1=0 badexit=0
	rerunbad=0 tmpleft=0 unlinked=0 after=0
	while read -r d; do
		kills=$((kills + 1))
		rm -rf w w.* killed.* && cp -a "$TPL/tree" w || return 1
		"$HARDLINK" w >out 2>err &
		pid=$!
		sleep "$d"
		kill -9 "$pid" 2>/dev/null || true
		st=0
		wait "$pid" || st=$?
		case $st in
		137)	mid=$((mid + 1)) ;;
		0)	;;
		*)	badexit=$((badexit + 1))
			note "$label $kills: exit $st after ${d}s: $(head -n 3 err)" ;;
		esac
		set -- $(scan w)
		[ $# = 6 ] && cp w.scan killed.scan || return 1
		lost=$((lost + $1)) extra=$((extra + $2))
		tmpk=$((tmpk + $3)) tmp1=$((tmp1 + $4))
		[ "$st" != 137 ] || [ "$6" = "$npaths" ] || partial=$((partial + 1))
		# a one-link temporary is the old duplicate between the
		# exchange and its unlink: allowed, the rerun must remove it
		if [ "$1$2" != 00 ]; then
			note "$label $kills (delay $d, exit $st): lost $1," \
				"extra $2, 1-link temporaries $4"
			keep_round "$label" $kills
		fi
		rm -f w.*

		rst=0
		"$HARDLINK" w >out 2>err || rst=$?
		set -- $(scan w)
		[ $# = 6 ] || return 1
		lost=$((lost + $1)) extra=$((extra + $2))
		after=$((after + $1)) tmpleft=$((tmpleft + $3))
		[ "$5" = 0 ] || unlinked=$((unlinked + 1))
		if [ "$rst" != 0 ] || [ -s err ] || [ "$1$2$3$5" != 0000 ]; then
			rerunbad=$((rerunbad + 1))
			note "$label $kills (delay $d, exit $st): rerun exit $rst," \
				"lost $1, extra $2, temporaries $3," \
				"link mismatches $5; stderr: $(head -n 3 err)"
			keep_round "$label" $kills
		fi
	done <delays
	rm -rf w w.* killed.*
	cat >"$STATS.$label" <<-EOF
	kills $kills
	mid $mid
	partial $partial
	lost $lost
	extra $extra
	tmpk $tmpk
	tmp1 $tmp1
	badexit $badexit
	rerunbad $rerunbad
	tmpleft $tmpleft
	unlinked $unlinked
	after $after
	EOF
	cat "$STATS.$label"
	[ "$lost$extra$badexit" = 000 ]
}

# stat_of NAME: NAME's counter summed over the loops that finished.
stat_of()
{
	cat "$STATS".[a-z]* 2>/dev/null |
		awk -v k="$1" '$1 == k { s += $2 } END { print s + 0 }'
}

stats_present()
{
	ls "$STATS".[a-z]* >/dev/null 2>&1 ||
		{ echo "no statistics: no kill loop finished"; return 1; }
	for f in "$STATS".[a-z]*; do echo "${f##*.}:"; cat "$f"; done
	[ ! -s "$TPL/details" ] || tail -n 20 "$TPL/details"
}

if ! mk_template; then
	echo "Bail out! cannot build the template tree in $TPL"
	exit 1
fi
echo "# template: $(wc -l <"$TPL/paths") files," \
	"$(cut -c1-64 "$TPL/manifest" | sort -u | wc -l) distinct contents," \
	"$(du -sk "$TPL/tree" | cut -f1) KiB"

# The rounds run in a tmpfs mounted in the test's scratch directory when
# that is possible (copying and removing 1,300 files a round costs ten
# times less there, and link, rename and ctime behave as on disk), plus
# DISK_LOOPS rounds on the scratch directory's own filesystem.
probe=$(mktemp -d "$TEST_TMP/t0700-probe.XXXXXX")
if mount -t tmpfs none "$probe" 2>/dev/null; then
	umount "$probe"
	MEM_LOOPS=$LOOPS DISK_LOOPS=${KILL9_DISK_LOOPS:-6}
else
	MEM_LOOPS=0 DISK_LOOPS=$LOOPS
fi
rmdir "$probe"
DISK_FS=$(stat -f -c %T "$TEST_TMP")

if [ "$MEM_LOOPS" -gt 0 ]; then
	expect_success "kill -9 at random moments, $MEM_LOOPS rounds on tmpfs: no path lost or changed" '
		mkdir fs &&
		mount -t tmpfs -o size=1g none fs &&
		trap "umount \"$SCRATCH/fs\"" EXIT &&
		(cd fs && kill9_loop tmpfs "$MEM_LOOPS")
	'
else
	skip_test 'kill -9 at random moments on tmpfs' 'cannot mount a tmpfs here'
fi

expect_success "kill -9 at random moments, $DISK_LOOPS rounds on $DISK_FS: no path lost or changed" '
	kill9_loop disk "$DISK_LOOPS"
'

expect_success 'rerun after each kill: exit 0, no warning, no temporary left' '
	stats_present &&
	[ "$(stat_of rerunbad)" = 0 ] &&
	[ "$(stat_of tmpleft)" = 0 ] &&
	[ "$(stat_of after)" = 0 ]
'

expect_success 'rerun after each kill: every duplicate linked' '
	stats_present &&
	[ "$(stat_of unlinked)" = 0 ]
'

expect_success 'kills landed mid-run (>= 1 in 5), some after linking began' '
	stats_present &&
	[ "$(stat_of mid)" -ge $(($(stat_of kills) / 5)) ] &&
	[ "$(stat_of partial)" -ge 1 ]
'

echo "# kill9: $(stat_of kills) kills, $(stat_of mid) mid-run," \
	"$(stat_of lost) paths lost," \
	"$(stat_of tmpleft) temporaries left after rerun"
echo "# kill9: run time (us) tmpfs $(cat "$STATS.T.tmpfs" 2>/dev/null || echo -)," \
	"$DISK_FS $(cat "$STATS.T.disk" 2>/dev/null || echo -);" \
	"$(stat_of partial) kills after linking began;" \
	"$(stat_of tmpk) temporaries seen after the kills" \
	"($(stat_of tmp1) with one link); $(stat_of rerunbad) bad reruns," \
	"$(stat_of unlinked) of them left duplicates unlinked"
if [ -e "$TPL/keep" ]; then
	echo "# evidence kept: $TPL (LABEL-N/: killed.scan = inode links" \
		"path after the kill; w.*, out, err after the rerun)" >&2
else
	rm -rf "$TPL"
fi
test_done
