#!/bin/sh
# t0600: hardlink never opens a socket, in particular no AF_ALG kernel
# crypto socket, whatever -y method is asked for (HACKING.md, contract 4:
# bytes always decide equality).  Each run is traced with
# `strace -f -e trace=socket,socketpair` and must still link the
# duplicates.

. "$(dirname "$0")/lib.sh"

# mk_tree: duplicates of several sizes (a multi-block one above 1 MiB),
# same-size files that differ only in their last byte, equal mtimes.
mk_tree()
{
	mkdir -p t/a t/b/c &&
	head -c 3000000 /dev/urandom >t/a/big1 &&
	cp t/a/big1 t/b/big2 &&
	cp t/a/big1 t/b/c/bignear &&
	last=$(tail -c 1 t/a/big1 | od -An -tu1 | tr -d " ") &&
	printf "\\$(printf %o $(( (last + 1) % 256 )))" |
		dd of=t/b/c/bignear bs=1 seek=2999999 conv=notrunc \
		2>/dev/null &&
	if cmp -s t/a/big1 t/b/c/bignear; then
		echo "bignear not different"; return 1
	fi &&
	head -c 70000 /dev/urandom >t/a/mid1 &&
	cp t/a/mid1 t/b/c/mid2 &&
	printf 'hello\n' >t/a/s1 &&
	cp t/a/s1 t/b/c/s2 &&
	cp t/a/s1 t/s3 &&
	printf 'hellO\n' >t/b/other &&
	find t -type f -exec touch -d @1700000000 {} +
}

# check_linked: the duplicates share an inode, the near-duplicates do not.
check_linked()
{
	same_inode t/a/big1 t/b/big2 &&
	same_inode t/a/mid1 t/b/c/mid2 &&
	same_inode t/a/s1 t/b/c/s2 &&
	same_inode t/a/s1 t/s3 &&
	diff_inode t/a/big1 t/b/c/bignear &&
	diff_inode t/a/s1 t/b/other
}

# no_sockets LOG: the strace log saw the process exit and no socket call.
no_sockets()
{
	grep -q '+++ exited with' "$1" ||
		{ echo "strace log has no exit line:"; cat "$1"; return 1; }
	if grep -E '(^|[^a-z_])socket(pair)?\(' "$1"; then
		echo "socket calls seen (above)"
		return 1
	fi
}

# traced_run ARGS...: a traced run on the tree; the summary must say
# memcmp, stderr must be empty and the exit status 0.
traced_run()
{
	rc=0
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	strace -f -q -o strace.log -e trace=socket,socketpair \
		"$HARDLINK" "$@" t >out 2>err || rc=$?
	cat out err
	[ "$rc" = 0 ] || { echo "exit $rc, want 0: hardlink $*"; return 1; }
	[ ! -s err ] || { echo "stderr not empty"; return 1; }
	no_sockets strace.log || return 1
	[ "$(summary_line Method: out)" = memcmp ] ||
		{ echo "Method: not memcmp"; return 1; }
}

if ! command -v strace >/dev/null 2>&1; then
	skip_test 'traced runs open no socket' 'strace not installed'
	test_done
	exit
fi
probe=$(mktemp -d "$TEST_TMP/t0600-probe.XXXXXX")
if ! strace -f -q -o "$probe/log" -e trace=socket true 2>/dev/null; then
	rm -rf "$probe"
	skip_test 'traced runs open no socket' 'strace cannot trace here'
	test_done
	exit
fi
rm -rf "$probe"

# Control: the filter does catch a socket call (util-linux 2.38+ asks the
# kernel for AF_ALG sha256 by default, even when the kernel refuses).
if [ -x "$UL_HARDLINK" ]; then
	expect_success 'control: strace log shows util-linux AF_ALG socket' '
		mk_tree &&
		strace -f -q -o strace.log -e trace=socket,socketpair \
			"$UL_HARDLINK" -n t >/dev/null &&
		cat strace.log &&
		grep -q "socket(AF_ALG" strace.log &&
		! no_sockets strace.log
	'
else
	skip_test 'control: strace log shows util-linux AF_ALG socket' \
		"no util-linux hardlink at $UL_HARDLINK"
fi

expect_success 'default options: no socket, duplicates linked' '
	mk_tree &&
	traced_run &&
	[ "$(summary_line Mode: out)" = real ] &&
	check_linked
'

for m in sha256 sha1 crc32 crc32c memcmp; do
	expect_success "-y $m: no socket, duplicates linked" "
		mk_tree &&
		traced_run -y $m &&
		check_linked
	"
	expect_success "--method=$m -v: no socket, duplicates linked" "
		mk_tree &&
		traced_run --method=$m -v &&
		check_linked
	"
done

expect_success '-n -y sha256: no socket, nothing linked' '
	mk_tree &&
	traced_run -n -y sha256 &&
	[ "$(summary_line Mode: out)" = dry-run ] &&
	diff_inode t/a/big1 t/b/big2 &&
	diff_inode t/a/s1 t/s3 &&
	nlink_is 1 t/a/s1
'

expect_success '-X -y sha1 -b 4K: no socket, duplicates linked' '
	mk_tree &&
	traced_run -X -y sha1 -b 4K &&
	check_linked
'

test_done
