#!/bin/sh
# t0900: faults injected at every library call that matters, one site at a
# time, never lose a path or a byte and never leave a temporary; a fault
# that fired is reported (exit 1, a message naming a path and the reason),
# except the faults the program must absorb: EINTR and short reads from
# pread, and ENOSYS from openat2 (the fallback to openat).  EPERM from an
# open that asked for O_NOATIME may be absorbed too (the retry without
# it, for files the kernel does not let us read without updating atimes).
#
# The faults come from tests/inject/inject.so, preloaded into the binary
# only (HL_INJECT_SO, set by meson).  A clean traced run first counts the
# calls of each kind; then, for each call, the run is repeated with one
# fault: each errno of $ERRNOS (and "short" for reads) at call 1, 2, the
# last and every call, then EIO at call numbers from 3 on.  By default
# only a part of these runs, chosen anew on each run of the script (the
# ~1,100 runs of all took 22 minutes of a loaded 2-core machine): EIO at
# calls 1, 2, last and every; each other errno at every
# T0900_ERRNO_EVERY-th (default 3) of those positions, in turn; EIO at no
# more than T0900_EIO_MAX (default 8) call numbers from 3 on, evenly
# spaced; the same for the clone path's EIO and EPERM.  The choice starts
# from T0900_OFFSET (default random, printed: it replays a run's choice).
# tests/soak/ runs all (T0900_ERRNO_EVERY=1 T0900_EIO_MAX=all).  Further
# cases: faults on chosen paths, a planted leftover temporary, clones
# (--reflink=always), and two faults at once.
#
# Accepted outcomes besides "exit 1 and a message": a failing close() may
# be ignored (the descriptor is gone whatever close returns; nothing was
# written through it); so may a failing fcntl() (a lease that cannot be
# taken leaves the checks alone to guard the replacement) and fstatfs()
# (it only chooses between clone and link for --reflink=auto), and so may
# a failing flistxattr() (outside --reflink it is only the probe made when a
# file is opened for comparing: on failure its xattrs are read again by
# path when they matter); ENOENT from
# a walk call (fstatat, openat before the first file is opened for
# comparing) is a file or directory that vanished and may be skipped
# silently; EINTR from any call may be retried.  In all of those, exit 0
# must come with an empty stderr and, except for a vanished entry, every
# duplicate linked.  A file that vanished may also be reported as "changed
# during the run".  A temporary may be left only when the fault kept it
# from being removed: a message must then name it with the reason, and the
# next run must remove it.
#
# Counters go to $TPL/counts; the last line of output sums them up.

. "$(dirname "$0")/lib.sh"

if [ -z "${HL_INJECT_SO:-}" ] || [ ! -f "${HL_INJECT_SO:-}" ]; then
	skip_test 'fault injection' \
		"HL_INJECT_SO does not name the shim (build tests/inject, run through meson)"
	test_done
	exit $?
fi
case $HL_INJECT_SO in
/*) ;;
*) HL_INJECT_SO=$(pwd -P)/$HL_INJECT_SO ;;
esac
export HL_INJECT_SO
# the shim is preloaded ahead of an ASan runtime; not an error here
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
export ASAN_OPTIONS

ERRNOS="EIO ENOSPC EMLINK EXDEV EPERM EROFS EACCES ENOENT EINTR"
ERRNO_EVERY=${T0900_ERRNO_EVERY:-3}
EIO_MAX=${T0900_EIO_MAX:-8}
OFFSET=${T0900_OFFSET:-$(($(od -An -N2 -tu2 /dev/urandom) + 0))}
echo "# T0900_OFFSET=$OFFSET T0900_ERRNO_EVERY=$ERRNO_EVERY T0900_EIO_MAX=$EIO_MAX" \
	"(T0900_ERRNO_EVERY=1 T0900_EIO_MAX=all: every case)"
TPL=$(mktemp -d "$TEST_TMP/t0900-template.XXXXXX")
COUNTS=$TPL/counts
: >"$COUNTS"

strerr()
{
	case $1 in
	EIO) echo "Input/output error" ;;
	ENOSPC) echo "No space left on device" ;;
	EMLINK) echo "Too many links" ;;
	EXDEV) echo "Invalid cross-device link" ;;
	EPERM) echo "Operation not permitted" ;;
	EROFS) echo "Read-only file system" ;;
	EACCES) echo "Permission denied" ;;
	ENOENT) echo "No such file or directory" ;;
	EINTR) echo "Interrupted system call" ;;
	ENOSYS) echo "Function not implemented" ;;
	*) echo "unknown errno $1" ;;
	esac
}

# The template: bytes for every group, made once.
(
	cd "$TPL" && mkdir src && cd src &&
	printf 'hello\n' >small &&
	head -c 8192 /dev/urandom >mid &&
	head -c 8191 mid >mid_near && printf '\001' >>mid_near &&
	cmp -s mid mid_near && { head -c 8191 mid >mid_near; printf '\002' >>mid_near; }
	head -c 1572864 /dev/urandom >big &&
	# differs in the last 1 MiB block, so every block before it is read
	head -c 1468006 big >big_near && printf 'X' >>big_near &&
	tail -c $((1572864 - 1468007)) big >>big_near &&
	printf 'two paths\n' >two &&
	printf '2nd paths\n' >four &&
	head -c 100 /dev/urandom >unique
) || { echo "Bail out! cannot make the template"; exit 1; }

# mk_tree DIR: a fresh scenario tree.  Inode numbers (the last master
# tie-break) are put in order for the two groups with a 2-path inode:
# groups of 3 small files, 2 x 8 KiB (+ a near-duplicate), 2 x 1.5 MiB
# (+ a near-duplicate differing at 1.4 MiB), an inode with 2 paths that is
# the master of its group and another that is the duplicate, a unique file.
# Once $TPL/fresh is made, a copy of it (cp -a keeps the links and times;
# the inode order is then set again): 2 processes instead of 25, for each
# of the ~1,000 runs.
mk_tree()
{
	if [ -d "$TPL/fresh" ]; then
		cp -a "$TPL/fresh" "$1" &&
		order_pair "$1" d1/two d1/two_copy d2/two_link &&
		order_pair "$1" d3/four_copy d3/four d2/four_link
		return
	fi
	s=$TPL/src
	mkdir "$1" "$1/d1" "$1/d2" "$1/d2/sub" "$1/d3" &&
	cp "$s/small" "$1/small1" && cp "$s/small" "$1/d1/small1b" &&
	cp "$s/small" "$1/d2/small1c" &&
	cp "$s/mid" "$1/d1/mid" && cp "$s/mid" "$1/d2/mid" &&
	cp "$s/mid_near" "$1/d3/mid_near" &&
	cp "$s/big" "$1/big" && cp "$s/big" "$1/d2/sub/big" &&
	cp "$s/big_near" "$1/d3/big_near" &&
	cp "$s/two" "$1/d1/two" && ln "$1/d1/two" "$1/d2/two_link" &&
	cp "$s/two" "$1/d1/two_copy" &&
	cp "$s/four" "$1/d3/four_copy" &&
	cp "$s/four" "$1/d3/four" && ln "$1/d3/four" "$1/d2/four_link" &&
	cp "$s/unique" "$1/d3/unique" &&
	order_pair "$1" d1/two d1/two_copy d2/two_link &&
	order_pair "$1" d3/four_copy d3/four d2/four_link &&
	find "$1" -type f -exec touch -d @1700000000 {} +
}

# order_pair DIR LOW HIGH LINK: LOW gets the lower inode number of the two
# files LOW and HIGH (same bytes, same directory), by swapping their names
# if needed; LINK, a second name, must then stay with the inode that was
# meant to have two names.
order_pair()
{
	lo=$(stat -c %i "$1/$2") && hi=$(stat -c %i "$1/$3") || return 1
	[ "$lo" -gt "$hi" ] || return 0
	two=$2
	[ "$(stat -c %h "$1/$2")" = 2 ] || two=$3
	mv "$1/$2" "$1/$2.swap" && mv "$1/$3" "$1/$2" && mv "$1/$2.swap" "$1/$3" &&
	rm "$1/$4" && ln "$1/$two" "$1/$4" &&
	[ "$(stat -c %i "$1/$2")" -lt "$(stat -c %i "$1/$3")" ]
}

# tree_state DIR: every path but temporaries, with type, mode and bytes.
tree_state()
{
	(cd "$1" && find . ! -name '.hardlink-tmp-*' -printf '%y %m %p\n' |
	 sort && find . -type f ! -name '.hardlink-tmp-*' -exec sha256sum {} + |
	 sort)
}

mk_tree "$TPL/fresh" && tree_state "$TPL/fresh" >"$TPL/manifest" ||
	{ echo "Bail out! cannot make the scenario tree"; exit 1; }

# hl RULES [options]: the binary on ./w with the faults RULES, the fired
# faults in ./log; exit status in $st.  A run that hangs is killed.
hl()
{
	rules=$1
	shift
	rm -f log
	st=0
	HL_INJECT=$rules HL_INJECT_LOG=$PWD/log LD_PRELOAD=$HL_INJECT_SO \
		timeout -s KILL 120 "$HARDLINK" -j 2 "$@" w >out 2>err || st=$?
}

# report_ok ERRNO: exit 1, every stderr line a "hardlink: " message, and
# one of them naming a path of the tree and ending with ERRNO's text.
report_ok()
{
	[ "$st" = 1 ] || { why="$why exit $st, want 1;"; return 1; }
	if grep -v '^hardlink: ' err | grep -q .; then
		why="$why stderr line without 'hardlink: ';"
		return 1
	fi
	grep -q "^hardlink: .*$PWD/w.*: $(strerr "$1")\$" err && return 0
	# a file that vanished (ENOENT) did change during the run
	[ "$1" = ENOENT ] &&
		grep -q "^hardlink: $PWD/w/.*: changed during the run, not replaced\$" err &&
		return 0
	why="$why no message naming a path and '$(strerr "$1")';"
	return 1
}

# leftovers ERRNO: a temporary may outlive a run only when the fault kept
# it from being removed: then a message names it with the reason, and the
# next run (no faults) removes it, loses nothing and links everything.
leftovers()
{
	tmps=$(cd w && find . -name '.hardlink-tmp-*' | sed 's|^\./||')
	[ -n "$tmps" ] || return 0
	for t in $tmps; do
		grep -q "^hardlink: .*$PWD/w/$t.*: $(strerr "$1")\$" err ||
			why="$why temporary $t left without a message;"
	done
	st2=0
	"$HARDLINK" -j 2 w >out2 2>err2 || st2=$?
	[ "$st2" = 0 ] && [ ! -s err2 ] ||
		why="$why the next run: exit $st2, $(head -1 err2);"
	t=$(find w -name '.hardlink-tmp-*')
	[ -z "$t" ] || why="$why the next run left $t;"
	if [ "$(tree_state w)" != "$(cat "$TPL/manifest")" ]; then
		why="$why the next run lost a path;"
		echo loss >>"$COUNTS"
	fi
	[ "$(inode_partition w)" = "$(cat "$TPL/partition")" ] ||
		why="$why the next run did not link every duplicate;"
}

# clean_ok: exit 0, nothing on stderr, every duplicate linked.
clean_ok()
{
	[ "$st" = 0 ] && [ ! -s err ] &&
	[ "$(inode_partition w)" = "$(cat "$TPL/partition")" ]
}

# check_run RULES OPTIONS: after hl, the checks common to every run, then
# the verdict on the fired fault.  Returns 1, with the reason in $why,
# on a failure, which is also recorded with its evidence.
check_run()
{
	why=
	echo run >>"$COUNTS"
	if [ "$(tree_state w)" != "$(cat "$TPL/manifest")" ]; then
		why="$why a path lost or changed:$(tree_state w | diff "$TPL/manifest" - | grep '^[<>]' | head -3 | tr '\n' ' ');"
		echo loss >>"$COUNTS"
	fi
	[ "$st" -lt 128 ] || why="$why killed or hung (status $st);"
	! grep -q 'Sanitizer\|runtime error' err || why="$why sanitizer report;"
	if [ -s log ]; then
		sed 's/^[0-9]* \([^ ]*\) \([^ ]*\) \([0-9]*\) .*/fault \2 \1:\3/' \
			log >>"$COUNTS"
		read -r fseq fcall ferr fnth fpath <log
		case $fcall:$ferr in
		pread:EINTR | pread:short | read:EINTR | read:short | openat2:ENOSYS)
			clean_ok || why="$why not absorbed (exit $st);"
			;;
		close:* | fcntl:* | fstatfs:* | flistxattr:* | *:EINTR)
			clean_ok || report_ok "$ferr" || true
			;;
		openat2:EPERM | openat:EPERM)
			# an open asking for O_NOATIME is retried without it
			case $fpath in
			*" (O_NOATIME)") clean_ok || report_ok "$ferr" || true ;;
			*) report_ok "$ferr" || true ;;
			esac
			;;
		fstatat:ENOENT | openat:ENOENT)
			if [ "$fseq" -lt "$(cat "$TPL/walk_end")" ]; then
				{ [ "$st" = 0 ] && [ ! -s err ]; } ||
					report_ok "$ferr" || true
			else
				report_ok "$ferr" || true
			fi
			;;
		*)
			report_ok "$ferr" || true
			;;
		esac
		# last: this runs the binary again on the tree
		leftovers "$ferr"
	else
		t=$(find w -name '.hardlink-tmp-*')
		[ -z "$t" ] || why="$why temporary left: $t;"
		clean_ok || why="$why no fault fired but not a clean run;"
	fi
	[ -z "$why" ] && return 0
	echo "FAIL HL_INJECT=$1 ${2:+(options $2)}: $why"
	[ ! -s log ] || sed 's/^/	fired: /' log | head -3
	sed 's/^/	stderr: /' err | head -4
	echo "fail $1" >>"$COUNTS"
	return 1
}

# inject_case RULES [options]: one run on a fresh tree, checked.
inject_case()
{
	rules=$1
	shift
	rm -rf w && mk_tree w || return 1
	hl "$rules" "$@"
	check_run "$rules" "$*"
}

# positions N: the call numbers to fault among 1..N: 1, 2 and N, then
# from 3 to N - 1 every one, or EIO_MAX of them evenly spaced from OFFSET.
positions()
{
	printf '%s\n' 1 2 "$1" | awk -v n="$1" '$1 >= 1 && $1 <= n && !s[$1]++'
	_k=3 _step=1
	if [ "$EIO_MAX" != all ] && [ $(($1 - 3)) -gt "$EIO_MAX" ]; then
		_step=$((($1 - 3 + EIO_MAX - 1) / EIO_MAX))
		_k=$((3 + OFFSET % _step))
	fi
	while [ "$_k" -lt "$1" ]; do
		echo "$_k"
		_k=$((_k + _step))
	done
}

# sweep CALL: EIO at calls 1, 2, last and every, each other errno at
# every ERRNO_EVERY-th of them; then EIO at call numbers 3 to last - 1:
# every one, or EIO_MAX of them, evenly spaced.  Fails when a run failed.
sweep()
{
	call=$1
	n=$(awk -v c="$call" '$2 == c' "$TPL/trace" | wc -l)
	[ "$n" -gt 0 ] || { echo "no $call call in the traced run"; return 1; }
	errs=$ERRNOS
	case $call in
	pread | read) errs="$errs short" ;;
	openat2) errs="$errs ENOSYS" ;;
	esac
	bad=0 ei=0
	for e in $errs; do
		nths=$(printf '%s\n' 1 2 "$n" 0 | awk -v n="$n" '$1 <= n && !s[$1]++')
		ki=0
		for k in $nths; do
			ki=$((ki + 1))
			# a fault on every call would retry forever
			[ "$k:$e" = 0:EINTR ] && [ "$call" = pread ] && continue
			[ "$e" = EIO ] ||
				[ $(((OFFSET + ei + ki) % ERRNO_EVERY)) = 0 ] ||
				continue
			inject_case "$call:$e:$k" || bad=$((bad + 1))
		done
		ei=$((ei + 1))
	done
	for k in $(positions "$n" | awk '$1 >= 3 && $1 < n' n="$n"); do
		inject_case "$call:EIO:$k" || bad=$((bad + 1))
	done
	echo "$call: $n calls, $bad failed runs"
	[ "$bad" = 0 ]
}

expect_success 'baseline: the shim loaded without faults changes nothing; calls traced' '
	mk_tree w &&
	HL_INJECT_TRACE=$PWD/trace LD_PRELOAD=$HL_INJECT_SO "$HARDLINK" -j 2 w >out 2>err &&
	[ ! -s err ] &&
	same_inode w/small1 w/d1/small1b && same_inode w/small1 w/d2/small1c &&
	same_inode w/d1/mid w/d2/mid && diff_inode w/d1/mid w/d3/mid_near &&
	same_inode w/big w/d2/sub/big && diff_inode w/big w/d3/big_near &&
	same_inode w/d1/two w/d1/two_copy && same_inode w/d1/two w/d2/two_link &&
	same_inode w/d3/four w/d3/four_copy && same_inode w/d3/four w/d2/four_link &&
	diff_inode w/d1/two w/d3/four && diff_inode w/d3/four w/d3/unique &&
	[ "$(tree_state w)" = "$(cat "$TPL/manifest")" ] &&
	inode_partition w >"$TPL/partition" &&
	summary_line Linked: out >"$TPL/linked" &&
	cp trace "$TPL/trace" &&
	awk "\$2 == \"openat2\" || \$2 == \"pread\" { print \$1; exit }" trace >"$TPL/walk_end" &&
	[ -s "$TPL/walk_end" ] &&
	awk "{ print \$2 }" trace | sort | uniq -c | sed "s/^/# calls: /"
'

# inode numbers decide the master here (same directory, ascending as
# created): check that the scenario really has a 2-path master kept and a
# 2-path duplicate replaced
expect_success 'baseline: a 2-path master is kept, a 2-path duplicate replaced' '
	mk_tree w && two=$(stat -c %i w/d1/two) && four=$(stat -c %i w/d3/four) &&
	"$HARDLINK" -j 2 w >out 2>err && [ ! -s err ] &&
	[ "$(stat -c %i w/d1/two)" = "$two" ] &&
	[ "$(stat -c %i w/d3/four)" != "$four" ] &&
	same_inode w/d3/four w/d2/four_link
'

for call in $(awk '{ print $2 }' "$TPL/trace" 2>/dev/null | sort -u); do
	expect_success "faults in $call: nothing lost, no temporary, every fired fault reported" "
		sweep $call
	"
done

expect_success 'faults on chosen paths and every call' '
	bad=0
	for r in renameat:EXDEV:0:/d2/ renameat:EXDEV:0 linkat:EMLINK:0 \
		linkat:EMLINK:1:/sub/ linkat:ENOSPC:0:/d3/ \
		renameat:EROFS:1:/d2/sub/ renameat:ENOENT:0 \
		fstatat:EIO:1:.hardlink-tmp- fstatat:ENOENT:0:.hardlink-tmp- \
		fstatat:EACCES:2:/d2/mid openat2:EACCES:0:/d2/sub \
		openat2:EIO:0:/big pread:EIO:0:/d2/sub/big pread:EIO:4:/big \
		pread:short:0:/big pread:EINTR:3:/big pread:EINTR:1 \
		openat:EACCES:1:/d2/sub readdir:EIO:1:/d3 \
		fstat:EIO:1:/d2/mid "pread:EINTR:1,pread:short:2,pread:EINTR:5"; do
		inject_case "$r" || bad=$((bad + 1))
	done
	[ "$bad" = 0 ]
'

# One failed replacement costs that duplicate only: the run goes on with
# the others (man page, "the run goes on with the next duplicate"), so
# the same master is still usable although our own link and unlink of a
# temporary moved its ctime.
expect_success 'one failed replacement leaves that duplicate alone, and only it' '
	bad=0
	for r in linkat:EIO:1 linkat:ENOSPC:1 renameat:EIO:1 renameat:EXDEV:1 \
		renameat2:EIO:1 renameat2:EXDEV:1 \
		fstatat:EIO:1:.hardlink-tmp- fstatat:EIO:1:/d1/small1b; do
		inject_case "$r" >/dev/null || true
		# a call this version of the program does not make
		[ -s log ] || continue
		why=
		want="$(($(cut -d" " -f1 "$TPL/linked") - 1)) files"
		[ "$(summary_line Linked: out)" = "$want" ] ||
			why="$why Linked: $(summary_line Linked: out), want $want;"
		[ "$(wc -l <err)" = 1 ] || why="$why $(wc -l <err) messages, want 1;"
		if [ -n "$why" ]; then
			echo "FAIL HL_INJECT=$r: $why"
			sed "s/^/	stderr: /" err | head -3
			echo "fail one $r" >>"$COUNTS"
			bad=$((bad + 1))
		fi
	done
	[ "$bad" = 0 ]
'

# A leftover temporary of an interrupted run: the next run removes it.
expect_success 'a planted leftover temporary: faults while removing it are reported' '
	bad=0
	for r in none:EIO:1 unlinkat:EIO:1 unlinkat:EPERM:0 unlinkat:EROFS:1 \
		fstatat:EIO:1:.hardlink-tmp-AAAAAAAA \
		fstatat:EIO:2:.hardlink-tmp-AAAAAAAA \
		fstatat:EACCES:0:.hardlink-tmp-AAAAAAAA; do
		rm -rf w && mk_tree w && ln w/d1/mid w/d1/.hardlink-tmp-AAAAAAAA || exit 1
		case $r in none:*) r= ;; esac
		hl "$r"
		why=
		echo run >>"$COUNTS"
		[ "$(tree_state w)" = "$(cat "$TPL/manifest")" ] ||
			{ why="$why a path lost or changed;"; echo loss >>"$COUNTS"; }
		[ ! -s log ] || sed "s/^[0-9]* \([^ ]*\) \([^ ]*\) \([0-9]*\) .*/fault \2 \1:\3/" log >>"$COUNTS"
		if [ -e w/d1/.hardlink-tmp-AAAAAAAA ]; then
			# left: then the run must say so, with the reason
			read -r fseq fcall ferr fnth fpath <log || ferr=none
			grep -q "^hardlink: .*$PWD/w/d1/\.hardlink-tmp-AAAAAAAA.*: $(strerr "$ferr")\$" err &&
			[ "$st" = 1 ] ||
				why="$why leftover temporary kept without a message (exit $st);"
		elif [ -z "$r" ]; then
			clean_ok || why="$why clean run not clean;"
		fi
		if [ -n "$why" ]; then
			echo "FAIL planted temporary, HL_INJECT=$r: $why"
			sed "s/^/	stderr: /" err | head -3
			echo "fail planted $r" >>"$COUNTS"
			bad=$((bad + 1))
		fi
	done
	[ "$bad" = 0 ]
'

# Two faults in one replacement: the temporary cannot be removed either
# (it is then a second link to the master), or an exchange that must be
# undone cannot be (the temporary then holds the old duplicate).  The run
# must say so (a message naming the temporary with the reason the clean-up
# failed), and the next run must remove it.
expect_success 'two faults: a temporary that cannot be removed is reported and cleaned up next time' '
	bad=0
	# the check right after the first exchange fails, then its undo
	k=$(awk "\$2 == \"renameat2\" && !r { r = \$1 }
		\$2 == \"fstatat\" { n++; if (r && \$1 > r) { print n; exit } }" \
		"$TPL/trace")
	undo=${k:+fstatat:EIO:$k,renameat2:EROFS:2}
	for r in "renameat:EIO:1,unlinkat:EROFS:1" \
		"renameat2:EIO:1,unlinkat:EROFS:1" \
		"fstatat:EIO:1:.hardlink-tmp-,unlinkat:EROFS:1" \
		"renameat:EXDEV:0,unlinkat:EPERM:0" \
		"renameat2:EXDEV:0,unlinkat:EPERM:0" $undo; do
		rm -rf w && mk_tree w || exit 1
		hl "$r"
		why=
		echo run >>"$COUNTS"
		[ ! -s log ] || sed "s/^[0-9]* \([^ ]*\) \([^ ]*\) \([0-9]*\) .*/fault \2 \1:\3/" log >>"$COUNTS"
		[ "$(tree_state w)" = "$(cat "$TPL/manifest")" ] ||
			{ why="$why a path lost or changed;"; echo loss >>"$COUNTS"; }
		[ "$st" = 1 ] || why="$why exit $st;"
		# the reason the clean-up failed: that of the last rule
		unl=$(strerr "$(echo "${r##*,}" | cut -d: -f2)")
		for t in $(find w -name ".hardlink-tmp-*"); do
			grep -q "^hardlink: .*$PWD/$t.*: $unl\$" err ||
				why="$why leftover $t not reported ('"'"'$unl'"'"');"
		done
		st2=0
		"$HARDLINK" -j 2 w >out2 2>err2 || st2=$?
		[ "$st2" = 0 ] && [ ! -s err2 ] ||
			why="$why the next run: exit $st2 $(head -1 err2);"
		[ -z "$(find w -name ".hardlink-tmp-*")" ] ||
			why="$why the next run left a temporary;"
		[ "$(tree_state w)" = "$(cat "$TPL/manifest")" ] ||
			{ why="$why the next run lost a path;"; echo loss >>"$COUNTS"; }
		[ "$(inode_partition w)" = "$(cat "$TPL/partition")" ] ||
			why="$why the next run did not link every duplicate;"
		if [ -n "$why" ]; then
			echo "FAIL HL_INJECT=$r: $why"
			sed "s/^/	stderr: /" err | head -4
			echo "fail $r" >>"$COUNTS"
			bad=$((bad + 1))
		fi
	done
	[ "$bad" = 0 ]
'

# --reflink=always where the filesystem cannot clone: each clone fails
# for real (after the temporary was created with O_EXCL), so the clone
# path and its clean-up run for every duplicate; faults on top of that.
expect_success '--reflink=always: faults in the clone path leave nothing behind' '
	mk_tree w || exit 1
	HL_INJECT_TRACE=$PWD/trace LD_PRELOAD=$HL_INJECT_SO \
		"$HARDLINK" -j 2 --reflink=always w >out 2>err || true
	[ "$(tree_state w)" = "$(cat "$TPL/manifest")" ] &&
	no_temporaries w || exit 1
	grep -q "cannot clone" err ||
		echo "# this filesystem clones: the fault cases below still apply"
	bad=0
	for call in ioctl openat unlinkat fstat fchown fchmod futimens; do
		n=$(awk -v c="$call" "\$2 == c" trace | wc -l)
		i=0
		for k in $(positions "$n"); do
			i=$((i + 1))
			for e in EIO EPERM; do
				[ "$e" = EIO ] ||
					[ $(((OFFSET + i) % ERRNO_EVERY)) = 0 ] ||
					continue
				rm -rf w && mk_tree w || exit 1
				hl "$call:$e:$k" --reflink=always
				why=
				echo run >>"$COUNTS"
				[ ! -s log ] || sed "s/^[0-9]* \([^ ]*\) \([^ ]*\) \([0-9]*\) .*/fault \2 \1:\3/" log >>"$COUNTS"
				[ "$(tree_state w)" = "$(cat "$TPL/manifest")" ] ||
					{ why="$why a path lost or changed;"; echo loss >>"$COUNTS"; }
				if [ -s log ]; then
					leftovers "$e"
				else
					t=$(find w -name ".hardlink-tmp-*")
					[ -z "$t" ] || why="$why temporary left: $t;"
				fi
				[ "$st" -lt 128 ] || why="$why killed or hung ($st);"
				if [ -n "$why" ]; then
					echo "FAIL HL_INJECT=$call:$e:$k (--reflink=always): $why"
					sed "s/^/	fired: /" log | head -2
					sed "s/^/	stderr: /" err | head -3
					echo "fail $call:$e:$k reflink" >>"$COUNTS"
					bad=$((bad + 1))
				fi
			done
		done
	done
	[ "$bad" = 0 ]
'

runs=$(grep -c '^run$' "$COUNTS")
losses=$(grep -c '^loss$' "$COUNTS")
fired=$(grep -c '^fault ' "$COUNTS")
kinds=$(awk '$1 == "fault" { print $2 }' "$COUNTS" | sort -u | wc -l)
sites=$(awk '$1 == "fault" { print $3 }' "$COUNTS" | sort -u | wc -l)
failed=$(grep -c '^fail ' "$COUNTS")
echo "# inject: $kinds faults injected x $sites sites, $runs runs, $losses losses"
echo "# inject: $fired faults fired in all, $failed failed runs"
[ "$failed" -gt 0 ] && echo "# inject: evidence in $TPL" >&2
[ "$failed" -gt 0 ] || rm -rf "$TPL"
test_done
