#!/bin/sh
# t0400: the walk.  Very deep trees, paths longer than PATH_MAX, 255-byte
# names, symlinks (never followed), --mount, and an unreadable directory
# (a warning naming it, the rest of the tree processed, exit status 1).

. "$(dirname "$0")/lib.sh"

STAMP=@1700000000

# descend N: cd -P down a chain of N directories named d, 500 at a time
# (a relative path of 500 levels stays far below PATH_MAX; the shell's
# logical $PWD would not).
CHUNK=$(printf 'd/%.0s' $(seq 500))
descend()
{
	left=$1
	while [ "$left" -ge 500 ]; do
		cd -P "$CHUNK" || return 1
		left=$((left - 500))
	done
	while [ "$left" -gt 0 ]; do
		cd -P d || return 1
		left=$((left - 1))
	done
}

# mk_chain N: top/ with a duplicate pair, a chain of N directories below
# it, a duplicate pair at the bottom and a file equal to top/c.
mk_chain()
{
	mkdir top &&
	printf 'top pair\n' >top/a &&
	printf 'top pair\n' >top/b &&
	printf 'top and bottom\n' >top/c &&
	touch -d $STAMP top/a top/b top/c &&
	(
	cd top || exit 1
	i=0
	while [ $i -lt $(($1 / 500)) ]; do
		mkdir -p "$CHUNK" && cd -P "$CHUNK" || exit 1
		i=$((i + 1))
	done
	printf 'bottom pair\n' >x &&
	printf 'bottom pair\n' >y &&
	printf 'top and bottom\n' >z &&
	touch -d $STAMP x y z
	)
}

# run_ok ARGS...: a run that must exit 0 with nothing on stderr.
run_ok()
{
	rc=0
	"$HARDLINK" "$@" >out 2>err || rc=$?
	cat out err
	[ "$rc" = 0 ] || { echo "exit $rc, want 0: hardlink $*"; return 1; }
	[ ! -s err ] || { echo "stderr not empty"; return 1; }
}

expect_success '10,000-level chain (fd limit 1024): top and bottom pairs linked' '
	mk_chain 10000 &&
	( ulimit -S -n 1024 && run_ok "$SCRATCH/top" ) &&
	[ "$(summary_line Files: out)" = 6 ] &&
	[ "$(summary_line Linked: out)" = "3 files" ] &&
	same_inode top/a top/b &&
	top_c=$(stat -c "%d:%i" top/c) &&
	cd top && descend 10000 &&
	same_inode x y &&
	[ "$(stat -c "%d:%i" z)" = "$top_c" ] &&
	nlink_is 2 z
'

expect_success '10,000-level chain: -v lines name the bottom files in full' '
	mk_chain 10000 &&
	run_ok -n -v "$SCRATCH/top" &&
	bottom="$SCRATCH/top/$(printf "d/%.0s" $(seq 10000))" &&
	grep -F -e "$bottom" out >vlines &&
	[ "$(wc -l <vlines)" = 2 ] &&
	grep -q -F -e "$bottom"x vlines &&
	grep -q -F -e "$bottom"z vlines
'

# Forty levels of 200-byte names: the deepest absolute path is > 8000
# bytes, twice PATH_MAX.
NAME200=$(printf 'n%.0s' $(seq 199))
mk_long()
{
	mkdir long &&
	printf 'shallow\n' >long/s1 &&
	touch -d $STAMP long/s1 &&
	(
	cd long || exit 1
	i=1
	while [ $i -le 40 ]; do
		mkdir "$NAME200$((i % 10))" && cd -P "$NAME200$((i % 10))" ||
			exit 1
		case $i in
		20) printf 'deep\n' >p20 ;;
		21) printf 'deep\n' >p21 ;;
		25) printf 'shallow\n' >s25 ;;
		40) printf 'deep\n' >p40 && printf 'deepest\n' >q1 &&
		    printf 'deepest\n' >q2 && printf 'shallow\n' >s40 ;;
		esac || exit 1
		# relative names only: the absolute ones are too long for touch
		find . -maxdepth 1 -type f -exec touch -d $STAMP {} + || exit 1
		i=$((i + 1))
	done
	)
}

# at_level N CMD...: run CMD in level N of long/.
at_level()
{
	(
	lvl=$1; shift
	cd long || exit 1
	i=1
	while [ $i -le "$lvl" ]; do
		cd -P "$NAME200$((i % 10))" || exit 1
		i=$((i + 1))
	done
	"$@"
	)
}

expect_success 'paths beyond PATH_MAX: duplicates deep inside linked' '
	mk_long &&
	run_ok "$SCRATCH/long" &&
	[ "$(summary_line Files: out)" = 8 ] &&
	[ "$(summary_line Linked: out)" = "5 files" ] &&
	deep=$(at_level 20 stat -c "%d:%i" p20) &&
	[ "$(at_level 21 stat -c "%d:%i" p21)" = "$deep" ] &&
	[ "$(at_level 40 stat -c "%d:%i" p40)" = "$deep" ] &&
	at_level 40 same_inode q1 q2 &&
	sh1=$(stat -c "%d:%i" long/s1) &&
	[ "$(at_level 25 stat -c "%d:%i" s25)" = "$sh1" ] &&
	[ "$(at_level 40 stat -c "%d:%i" s40)" = "$sh1" ] &&
	at_level 40 content_is q1 "deepest
" &&
	no_temporaries long
'

expect_success 'paths beyond PATH_MAX: -v lines carry the full paths' '
	mk_long &&
	run_ok -n -v "$SCRATCH/long" &&
	[ "$(grep -c "^\[DryRun\] Linking " out)" = 5 ] &&
	longest=$(awk "{ if (length(\$0) > m) m = length(\$0) } END { print m + 0 }" out) &&
	echo "longest line: $longest" &&
	[ "$longest" -gt 16000 ]
'

NAME255=$(printf 'x%.0s' $(seq 255))
expect_success '255-byte name as the replaced duplicate (-t, older): linked' '
	[ ${#NAME255} = 255 ] &&
	mkdir n &&
	printf "long name\n" >n/short &&
	printf "long name\n" >"n/$NAME255" &&
	touch -d @1700000000 "n/$NAME255" &&
	touch -d @1700000100 n/short &&
	run_ok -t n &&
	same_inode n/short "n/$NAME255" &&
	[ "$(summary_line Linked: out)" = "1 files" ] &&
	no_temporaries n
'

expect_success 'two 255-byte names, default options: linked' '
	mkdir n &&
	a=$(printf "y%.0s" $(seq 254))a &&
	b=$(printf "y%.0s" $(seq 254))b &&
	printf "long names\n" >"n/$a" &&
	printf "long names\n" >"n/$b" &&
	touch -d $STAMP "n/$a" "n/$b" &&
	run_ok n &&
	same_inode "n/$a" "n/$b" &&
	no_temporaries n
'

# outside_state: what must not change outside the tree.
outside_state()
{
	find outside -printf '%p %y %i %n %s %T@ %C@ %l\n' | sort
}

expect_success 'symlinks are never followed: nothing outside changes' '
	mkdir -p tree/sub outside/sub &&
	printf "shared\n" >outside/o1 &&
	printf "shared\n" >outside/o2 &&
	printf "shared\n" >outside/sub/o3 &&
	printf "shared\n" >tree/in1 &&
	printf "shared\n" >tree/sub/in2 &&
	ln -s ../outside tree/dirlink &&
	ln -s "$SCRATCH/outside/sub" tree/sub/abslink &&
	ln -s ../outside/o1 tree/filelink &&
	ln -s "$SCRATCH/outside/o2" tree/sub/absfilelink &&
	find tree outside -exec touch -h -d $STAMP {} + &&
	outside_state >before &&
	run_ok tree &&
	outside_state >after &&
	diff before after &&
	same_inode tree/in1 tree/sub/in2 &&
	[ "$(summary_line Files: out)" = 2 ] &&
	[ "$(readlink tree/dirlink)" = ../outside ] &&
	[ "$(readlink tree/filelink)" = ../outside/o1 ] &&
	[ "$(readlink tree/sub/abslink)" = "$SCRATCH/outside/sub" ] &&
	[ "$(readlink tree/sub/absfilelink)" = "$SCRATCH/outside/o2" ] &&
	[ -L tree/filelink ] && [ -L tree/sub/absfilelink ] &&
	no_temporaries outside
'

expect_success 'a symlink loop inside the tree is harmless' '
	mkdir -p tree/a &&
	ln -s .. tree/a/up &&
	ln -s loop tree/loop &&
	printf "x\n" >tree/f1 && printf "x\n" >tree/a/f2 &&
	touch -d $STAMP tree/f1 tree/a/f2 &&
	run_ok tree &&
	[ "$(summary_line Files: out)" = 2 ] &&
	same_inode tree/f1 tree/a/f2
'

# Can we mount a tmpfs here?
probe=$(mktemp -d "$TEST_TMP/t0400-probe.XXXXXX")
can_mount=no
if mount -t tmpfs none "$probe" 2>/dev/null; then
	can_mount=yes
	umount "$probe"
fi

if [ $can_mount = yes ]; then
	expect_success '--mount does not descend into another filesystem' '
		mkdir -p tree/mnt tree/b &&
		mount -t tmpfs none tree/mnt &&
		trap "umount \"$SCRATCH/tree/mnt\"" EXIT &&
		mkdir tree/mnt/deep &&
		for f in tree/x1 tree/b/x2 tree/mnt/y1 tree/mnt/y2 tree/mnt/deep/y3; do
			printf "same\n" >$f
		done &&
		find tree -type f -exec touch -d $STAMP {} + &&
		run_ok --mount tree &&
		[ "$(summary_line Files: out)" = 2 ] &&
		same_inode tree/x1 tree/b/x2 &&
		nlink_is 1 tree/mnt/y1 && nlink_is 1 tree/mnt/y2 &&
		nlink_is 1 tree/mnt/deep/y3 &&
		diff_inode tree/mnt/y1 tree/mnt/y2 &&
		run_ok tree &&
		[ "$(summary_line Files: out)" = 5 ] &&
		same_inode tree/mnt/y1 tree/mnt/y2 &&
		same_inode tree/mnt/y1 tree/mnt/deep/y3 &&
		nlink_is 2 tree/x1
	'
else
	skip_test '--mount does not descend into another filesystem' \
		'cannot mount a tmpfs here'
fi

# Can user 65534 run the binary and reach a directory under $TEST_TMP?
rmdir "$probe"
can_nobody=no
nobody_can_run && can_nobody=yes

if [ $can_nobody = yes ]; then
	expect_success 'unreadable directory: warning naming it, rest linked, exit 1' '
		chmod 755 "$SCRATCH" &&
		mkdir -p tree/a tree/locked/in tree/z/deep &&
		printf "R\n" >tree/a/f1 && printf "R\n" >tree/z/deep/f2 &&
		printf "Q\n" >tree/m1 && printf "Q\n" >tree/z/m2 &&
		printf "L\n" >tree/locked/g1 && printf "L\n" >tree/locked/in/g2 &&
		printf "R\n" >tree/locked/g3 &&
		find tree -type f -exec touch -d $STAMP {} + &&
		chown -R 65534:65534 tree &&
		chmod 000 tree/locked &&
		st=0 &&
		{ as_nobody "$HARDLINK" "$SCRATCH/tree" >out 2>err || st=$?; } &&
		chmod 755 tree/locked &&
		cat out err &&
		[ "$st" = 1 ] &&
		grep "^hardlink: .*$SCRATCH/tree/locked" err &&
		! grep -v "^hardlink: " err &&
		same_inode tree/a/f1 tree/z/deep/f2 &&
		same_inode tree/m1 tree/z/m2 &&
		nlink_is 2 tree/a/f1 &&
		nlink_is 1 tree/locked/g1 && nlink_is 1 tree/locked/in/g2 &&
		nlink_is 1 tree/locked/g3 &&
		[ "$(summary_line Linked: out)" = "2 files" ] &&
		[ "$(summary_line Files: out)" = 4 ]
	'
else
	skip_test 'unreadable directory: warning naming it, rest linked, exit 1' \
		'cannot run the binary as user 65534 (need root and setpriv, and a path it can reach)'
fi

test_done
