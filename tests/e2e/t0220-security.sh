#!/bin/sh
# t0220-security.sh - capabilities, POSIX ACLs and SELinux labels are part
# of a file's identity: identical bytes with different security metadata
# are not linked by default (a deliberate difference from util-linux);
# -X compares all xattrs; -c links them but says so once on stderr.
. "$(dirname "$0")/lib.sh"

# tree: a plain file and three copies, each with one kind of metadata
tree()
{
	printf 'binary\n' >a && cp -p a cap && cp -p a acl && cp -p a lab &&
	cp -p a plain &&
	setcap cap_net_raw+ep cap &&
	setfacl -m u:1000:r acl &&
	{ setfattr -n security.selinux -v system_u:object_r:bin_t:s0 lab ||
	  { echo "# no security.selinux here"; rm lab; }; }
}

for p in setcap setfacl setfattr; do
	command -v $p >/dev/null || missing="${missing-} $p"
done
if [ -n "${missing-}" ]; then
	skip_test 'security metadata' "missing:$missing"
	test_done
	exit
fi

expect_success 'default: a file capability keeps the copy apart' '
	tree && "$HARDLINK" . >out 2>err && [ ! -s err ] &&
	same_inode a plain && diff_inode a cap &&
	getcap cap | grep -q cap_net_raw
'

expect_success 'default: a POSIX ACL keeps the copy apart' '
	tree && "$HARDLINK" . >out 2>err && [ ! -s err ] &&
	diff_inode a acl && getfacl -pn acl | grep -q "^user:1000:r--"
'

expect_success 'default: an SELinux label keeps the copy apart' '
	tree &&
	{ [ -e lab ] || skip_now "cannot set security.selinux here"; } &&
	"$HARDLINK" . >out 2>err && [ ! -s err ] && diff_inode a lab &&
	[ "$(getfattr --only-values -n security.selinux lab)" = system_u:object_r:bin_t:s0 ]
'

expect_success 'default: two copies with the same capability are linked together' '
	printf "binary\\n" >a && cp -p a b && setcap cap_net_raw+ep a &&
	setcap cap_net_raw+ep b && "$HARDLINK" . >out 2>err &&
	same_inode a b && getcap b | grep -q cap_net_raw
'

expect_success 'user xattrs alone do not keep copies apart (util-linux rule kept)' '
	printf "binary\\n" >a && cp -p a b && setfattr -n user.note -v x b &&
	"$HARDLINK" . >out 2>err && same_inode a b
'

expect_success '-X: every xattr must be equal' '
	printf "binary\\n" >a && cp -p a b && cp -p a c &&
	setfattr -n user.note -v x b &&
	"$HARDLINK" -X . >out 2>err && same_inode a c && diff_inode a b
'

expect_success '-c: content only, merges them, one warning, exit 0' '
	tree && "$HARDLINK" -c . >out 2>err &&
	same_inode a cap && same_inode a acl && same_inode a plain &&
	[ "$(wc -l <err)" = 1 ] &&
	grep -q "^hardlink: warning: -c links files whose capabilities, ACLs or SELinux labels differ" err
'

expect_success '-vvv: the copies kept apart are reported as attribute mismatches' '
	tree && "$HARDLINK" -n -vvv . >out 2>err &&
	grep -q "^Skipped (attributes mismatch) $SCRATCH/cap\$" out &&
	grep -q "^Skipped (attributes mismatch) $SCRATCH/acl\$" out
'

test_done
