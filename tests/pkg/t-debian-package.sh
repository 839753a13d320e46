#!/bin/sh
# t-debian-package.sh - the Debian packages (debian/) do what a kernel
# install needs, on this machine, and leave it as they found it (TAP).
#
#  1. installs the build dependencies (apt-get build-dep) and builds the
#     packages from a scratch copy of the tree (dpkg-buildpackage -b, the
#     unit tests included); then a newer version of them: a changelog
#     entry added in the copy, the binary targets rebuilt (-nc, nocheck);
#  2. installs dracut and linux-image-cloud-amd64 with INITRD=No (the
#     kernel's hook makes no initramfs in /boot);
#  3. installs the packages: /usr/bin/hardlink and hardlink.1.gz are
#     ours, util-linux's are diverted to *.util-linux and intact, and
#     "dpkg -V util-linux" is as clean as before; the -dev package
#     builds docs/example.c with pkg-config;
#  4. runs dracut as the kernel's hook does (plus --keep, --verbose, a
#     scratch --tmpdir and image) under strace -f: dracut ran our
#     /usr/bin/hardlink on its staging tree and it exited 0, and no
#     process opened an AF_ALG socket (util-linux's hardlink, traced
#     the same way, does: the control); dracut's kept tree is linked as
#     util-linux links an unlinked copy of it;
#  5. upgrades to the newer version and reinstalls util-linux: the
#     diversions and both programs stay right;
#  6. removes the packages: /usr/bin/hardlink is util-linux's again, no
#     diversion is left, "dpkg -V util-linux" is as clean as before;
#  7. purges every package its apt-get runs installed (the kernel
#     first), reinstalls any they removed, deletes the .deb files they
#     downloaded and its scratch directory, and checks that the machine
#     is as it found it.  Packages that those runs upgraded (dracut's
#     dependencies may pull systemd to the mirror's version) cannot be
#     downgraded and stay upgraded; they are listed in TAP comments.
#
# It changes the system, so it runs only with HL_PKG_TEST=1 (.ci/run
# sets it), as root, on Debian 12 (amd64, for the cloud kernel), when
# none of our packages is installed, /usr/bin/hardlink is util-linux's
# and not diverted, and apt can download from Debian's mirrors;
# otherwise it skips and says why.  While it runs, /usr/bin/hardlink is
# not util-linux's: tests/run.sh runs it after every other test, whose
# differential tests use /usr/bin/hardlink as their reference.
# HL_PKG_KEEP=1 keeps the scratch directory (logs, packages, dracut's
# tree).

set -u
export LC_ALL=C DEBIAN_FRONTEND=noninteractive INITRD=No

ROOT=$(cd "$(dirname "$0")/../.." && pwd -P)
OURS="hardlink-hlcore libhlcore1 libhlcore-dev"
APT="apt-get -y -q -o Dpkg::Use-Pty=0 --no-install-recommends"

skip_all()
{
	echo "1..0 # SKIP $1"
	exit 77		# tests/run.sh counts it as skipped, not passed
}

# pkgs_present: "name:arch" of every package that is on the machine (in
# any state but not-installed and config-files), sorted.
pkgs_present()
{
	dpkg-query -W -f='${db:Status-Status} ${Package}:${Architecture}\n' |
		awk '$1 != "not-installed" && $1 != "config-files" {print $2}' |
		sort
}

pkgs_versions()
{
	dpkg-query -W -f='${db:Status-Status} ${Package}:${Architecture} ${Version}\n' |
		awk '$1 == "installed" {print $2, $3}' | sort
}

# tree_state: what a kernel and dracut install and remove outside the
# package database: /boot, /lib/modules, /etc/kernel, the / symlinks.
tree_state()
{
	for d in /boot /lib/modules /etc/kernel /etc/dracut.conf.d; do
		[ -e "$d" ] && find "$d" -printf '%p %y %s\n'
	done | sort
	ls -la / | awk '/ (vmlinuz|initrd\.img)(\.old)? /{print $9, $10, $11}'
}

# apt_run ARGS...: apt-get ARGS, recording what it installed and removed
# (so that the cleanup undoes exactly that, whatever else happens to the
# machine meanwhile).
apt_run()
{
	pkgs_present >"$SCR/apt.before"
	_rc=0
	$APT "$@" || _rc=$?
	pkgs_present >"$SCR/apt.after"
	comm -13 "$SCR/apt.before" "$SCR/apt.after" >>"$SCR/installed"
	comm -23 "$SCR/apt.before" "$SCR/apt.after" >>"$SCR/removed"
	return $_rc
}

# ---- TAP -----------------------------------------------------------------

n=0
nfail=0
stop=""		# set when a step the later ones need has failed

# note LINE: a line printed as a TAP comment after the current step.
note()
{
	echo "$*" >>"$SCR/notes"
}

# cpu_between T0 T1: seconds of user and system time that this shell's
# finished children took between two outputs of "times" (a step's wall
# time depends on the machine's other load; this does not).  "times"
# must run in this shell, not in a command substitution.
cpu_between()
{
	awk 'FNR == 2 {
		for (i = 1; i <= 2; i++) {
			split($i, a, /[ms]/); t[FILENAME] += a[1] * 60 + a[2]
		}
	}
	END { printf "%d\n", t[ARGV[2]] - t[ARGV[1]] + 0.5 }' "$1" "$2"
}

# step [-always] TITLE FUNCTION: runs FUNCTION in a subshell with errexit,
# its output in a log that is printed when it fails.  Without -always,
# the step is skipped once a step it depends on failed.
step()
{
	_always=""
	[ "$1" = -always ] && { _always=1; shift; }
	n=$((n + 1))
	if [ -n "$stop" ] && [ -z "$_always" ]; then
		echo "ok $n - $1 # SKIP \"$stop\" failed"
		return 1
	fi
	: >"$SCR/notes"
	_t0=$(date +%s)
	times >"$SCR/times0"
	(set -e; "$2") >"$SCR/step$n.log" 2>&1
	_rc=$?
	times >"$SCR/times1"
	_dt="$(($(date +%s) - _t0)) s, CPU $(cpu_between "$SCR/times0" \
		"$SCR/times1") s"
	if [ "$_rc" -eq 0 ]; then
		echo "ok $n - $1 ($_dt)"
	else
		echo "not ok $n - $1 ($_dt)"
		tail -n 60 "$SCR/step$n.log" | sed 's/^/# /'
		nfail=$((nfail + 1))
	fi
	sed 's/^/# /' "$SCR/notes"
	return "$_rc"
}

# ---- checks --------------------------------------------------------------

# same_md5 FILE PACKAGE PATH: FILE holds what PACKAGE installed as /PATH.
same_md5()
{
	_want=$(awk -v p="$3" '$2 == p {print $1}' \
		"$(dpkg-query --control-path "$2" md5sums)")
	_got=$(md5sum <"$1" | cut -d' ' -f1)
	[ -n "$_want" ] && [ "$_got" = "$_want" ] ||
	{ echo "$1: md5 $_got, $2's /$3 has ${_want:-none}"; return 1; }
}

# util_linux_verified: "dpkg -V util-linux" says what it said before.
util_linux_verified()
{
	dpkg -V util-linux >"$SCR/verify" 2>&1 || true
	cmp -s "$BASE/verify" "$SCR/verify" || {
		echo "dpkg -V util-linux, before:"; cat "$BASE/verify"
		echo "now:"; cat "$SCR/verify"; return 1
	}
}

# taken_over VERSION: hardlink-hlcore VERSION is installed and owns
# /usr/bin/hardlink and hardlink.1.gz; util-linux's are diverted, intact.
taken_over()
{
	_s=$(dpkg-query -W -f='${Version} ${db:Status-Status}' hardlink-hlcore)
	[ "$_s" = "$1 installed" ] ||
	{ echo "hardlink-hlcore: $_s, want $1 installed"; return 1; }
	same_md5 /usr/bin/hardlink hardlink-hlcore usr/bin/hardlink
	same_md5 /usr/share/man/man1/hardlink.1.gz hardlink-hlcore \
		usr/share/man/man1/hardlink.1.gz
	same_md5 /usr/bin/hardlink.util-linux util-linux usr/bin/hardlink
	same_md5 /usr/share/man/man1/hardlink.util-linux.1.gz util-linux \
		usr/share/man/man1/hardlink.1.gz
	{
		cat "$BASE/diversions"
		echo "diversion of /usr/bin/hardlink to /usr/bin/hardlink.util-linux by hardlink-hlcore"
		echo "diversion of /usr/share/man/man1/hardlink.1.gz to /usr/share/man/man1/hardlink.util-linux.1.gz by hardlink-hlcore"
	} | sort >"$SCR/diversions.want"
	dpkg-divert --list | sort >"$SCR/diversions"
	diff "$SCR/diversions.want" "$SCR/diversions"
	/usr/bin/hardlink --version | grep '^hardlink [0-9.]* (features:'
	/usr/bin/hardlink.util-linux --version | grep 'from util-linux'
	util_linux_verified
}

# ---- the steps -----------------------------------------------------------

# copy_tree: the tree without builds (tests/run.sh's build*, an in-tree
# package build's obj-* and debian/ leftovers) or .git, into $SRC.
copy_tree()
{
	mkdir "$SRC" &&
	tar -C "$ROOT" --exclude=./.git --exclude='./build*' \
		--exclude='./obj-*' --exclude=./debian/.debhelper \
		--exclude=./debian/tmp --exclude=./debian/files \
		--exclude='./debian/*.substvars' \
		--exclude=./debian/debhelper-build-stamp \
		--exclude=./debian/hardlink-hlcore \
		--exclude=./debian/libhlcore1 --exclude=./debian/libhlcore-dev \
		-cf - . | tar -C "$SRC" -xf -
}

build_deps()
{
	apt_run build-dep "$SRC"
}

build_packages()
{
	cd "$SRC"
	dpkg-buildpackage -us -uc -b >"$SCR/build1.log" 2>&1 ||
	{ tail -n 40 "$SCR/build1.log"; return 1; }
	grep -A 8 '^Ok: ' "$SCR/build1.log" | sed -n '1,5p'
	mv "$SCR"/src/*.deb "$SCR/debs1/"
	ls "$SCR/debs1"
}

build_newer()
{
	cd "$SRC"
	src=$(dpkg-parsechangelog -S Source)
	v1=$(dpkg-parsechangelog -S Version)
	{
		printf '%s (%s+pkgtest1) %s; urgency=medium\n\n' "$src" "$v1" \
			"$(dpkg-parsechangelog -S Distribution)"
		printf '  * Test rebuild by tests/pkg/t-debian-package.sh.\n\n'
		printf ' -- %s  %s\n\n' "$(dpkg-parsechangelog -S Maintainer)" \
			"$(date -R)"
		cat debian/changelog
	} >debian/changelog.new
	mv debian/changelog.new debian/changelog
	# The build tree of the first build is reused (-nc): the binary
	# targets run again and stamp the new version.
	DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -us -uc -b -nc \
		>"$SCR/build2.log" 2>&1 ||
	{ tail -n 40 "$SCR/build2.log"; return 1; }
	mv "$SCR"/src/*.deb "$SCR/debs2/"
	ls "$SCR/debs2"
}

# debs DIR: our three packages (not the -dbgsym ones) in DIR.
debs()
{
	for p in $OURS; do
		echo "$1/${p}_"*_amd64.deb
	done
}

version_of()
{
	dpkg-deb -f "$1/hardlink-hlcore_"*_amd64.deb Version
}

kernel_dracut()
{
	apt_run install dracut linux-image-cloud-amd64 strace
	dep=$(dpkg-query -W -f='${Depends}' linux-image-cloud-amd64)
	kver=${dep%% *}
	kver=${kver#linux-image-}
	[ -d "/lib/modules/$kver" ] || { echo "no /lib/modules/$kver"; return 1; }
	echo "$kver" >"$SCR/kver"
	note "kernel $kver, dracut $(dpkg-query -W -f='${Version}' dracut)"
}

install_v1()
{
	# shellcheck disable=SC2046
	apt_run install $(debs "$SCR/debs1")
	taken_over "$(version_of "$SCR/debs1")"
	note "$(dpkg -S /usr/bin/hardlink | tr '\n' ';')"
	note "$(dpkg-divert --list '*hardlink*' | tr '\n' ';')"
}

dev_package()
{
	cd "$SCR"
	flags=$(pkg-config --cflags --libs hlcore)
	# shellcheck disable=SC2086
	cc -Wall -Werror -o example "$ROOT/docs/example.c" $flags
	ldd example >ldd.out
	cat ldd.out
	grep -q 'libhlcore\.so\.1 => /.*/x86_64-linux-gnu/libhlcore\.so\.1 ' ldd.out
	printf 'same\n' >a
	printf 'same\n' >b
	printf 'diff\n' >c
	./example a b c >out
	cat out
	[ "$(cat out)" = "b: same as a" ]
	note "cc docs/example.c $flags: ./example a b c -> $(cat out)"
}

# The kernel's hook runs "dracut -q --force /boot/initrd.img-KVER KVER";
# the same here, verbose, keeping the staging tree, into $SCR.
dracut_run()
{
	kver=$(cat "$SCR/kver")
	mkdir "$SCR/dracut"
	rc=0
	strace -f -q --seccomp-bpf -s 512 -e signal=none \
		-e trace=execve,socket -o "$SCR/dracut.strace" \
		dracut --force --keep --verbose --tmpdir "$SCR/dracut" \
		"$SCR/dracut/initrd.img" "$kver" >"$SCR/dracut.log" 2>&1 ||
		rc=$?
	[ "$rc" = 0 ] || { tail -n 30 "$SCR/dracut.log"; echo "dracut: exit $rc"; return 1; }
	[ -s "$SCR/dracut/initrd.img" ]
	set -- "$SCR"/dracut/dracut.*/initramfs
	[ $# = 1 ] && [ -d "$1" ] || { echo "no kept tree: $*"; return 1; }
	kept=$1
	echo "$kept" >"$SCR/kept"

	# The hardlink that dracut ran: one successful execve, on the
	# staging tree, of the file hardlink-hlcore installed; it exited 0
	# and made no socket call.
	awk -v t="/hardlink\", [\"hardlink\", \"$kept\"]" \
		'index($0, "execve(\"") && index($0, t) && / = 0$/ {
			print NR > "/dev/stderr"; print }' \
		"$SCR/dracut.strace" >"$SCR/hl.execve" 2>"$SCR/hl.nr"
	cat "$SCR/hl.execve"
	[ "$(wc -l <"$SCR/hl.execve")" = 1 ] ||
	{ echo "want one execve of hardlink on $kept"; return 1; }
	pid=$(cut -d' ' -f1 "$SCR/hl.execve")
	path=$(sed 's/^[0-9]* *execve("\([^"]*\)".*/\1/' "$SCR/hl.execve")
	[ "$(readlink -f "$path")" = /usr/bin/hardlink ]
	same_md5 "$path" hardlink-hlcore usr/bin/hardlink
	# Its own lines from its execve to its exit (pids are reused).
	awk -v pid="$pid" -v from="$(cat "$SCR/hl.nr")" \
		'NR > from && $1 == pid { print; if (/[+]{3} exited/) exit }' \
		"$SCR/dracut.strace" >"$SCR/hl.trace"
	cat "$SCR/hl.trace"
	tail -n 1 "$SCR/hl.trace" | grep -q '+++ exited with 0 +++$'
	if grep ' socket(' "$SCR/hl.trace"; then
		echo "hardlink (pid $pid) made a socket call"; return 1
	fi
	if grep -E 'socket\((AF_ALG|38),' "$SCR/dracut.strace"; then
		echo "AF_ALG socket during the dracut run"; return 1
	fi
	sed -n '/\*\*\* Hardlinking files \*\*\*/,/\*\*\* Hardlinking files done/p' \
		"$SCR/dracut.log" >"$SCR/hl.log"
	grep -q '^dracut: Mode: *real$' "$SCR/hl.log"
	grep -q '^dracut: Linked: *[1-9][0-9]* files$' "$SCR/hl.log"

	note "strace: $(sed "s/ 0x[0-9a-f]* \/\* [0-9]* vars \*\//.../" "$SCR/hl.execve")"
	note "strace: $(tail -n 1 "$SCR/hl.trace")"
	note "strace: $(grep -c 'execve(.* = 0$' "$SCR/dracut.strace")" \
		"programs run; socket calls (family count):" \
		"$(grep -o ' socket([A-Z_0-9]*' "$SCR/dracut.strace" |
		sort | uniq -c | awk '{printf " %s %s", substr($2, 8), $1}')"
	while IFS= read -r l; do note "$l"; done <"$SCR/hl.log"

	# Control: util-linux's hardlink, traced the same way in a dry run
	# on the tree, does ask for AF_ALG (2.38 tries it even when the
	# kernel refuses), so the filter would have seen it.
	strace -f -q -s 512 -e signal=none -e trace=socket \
		-o "$SCR/control.strace" /usr/bin/hardlink.util-linux -n \
		"$kept" >/dev/null
	grep 'socket(AF_ALG' "$SCR/control.strace"
	note "control: $(grep 'socket(AF_ALG' "$SCR/control.strace" | head -n 1)"
}

# partition DIR: the groups of paths that share an inode in DIR, one line
# each, sorted.
partition()
{
	(cd "$1" && find . -type f -links +1 -printf '%i %p\n') |
		sort -k1,1 -k2 |
		awk '$1 != i { if (NR > 1) print l; l = $2; i = $1; next }
		     { l = l " " $2 } END { if (NR) print l }' | sort
}

same_as_util_linux()
{
	kept=$(cat "$SCR/kept")
	cp -a --no-preserve=links "$kept" "$SCR/unlinked"
	/usr/bin/hardlink.util-linux "$SCR/unlinked" >"$SCR/ul.out"
	partition "$kept" >"$SCR/part.kept"
	partition "$SCR/unlinked" >"$SCR/part.ul"
	cat "$SCR/part.kept"
	diff "$SCR/part.ul" "$SCR/part.kept"
	[ -s "$SCR/part.kept" ]
	note "dracut's tree: $(find "$kept" -type f | wc -l) files;" \
		"$(wc -l <"$SCR/part.kept") groups of links, as util-linux" \
		"makes on an unlinked copy: $(tr '\n' ';' <"$SCR/part.kept")"
}

upgrade()
{
	# shellcheck disable=SC2046
	apt_run install $(debs "$SCR/debs2")
	v=$(version_of "$SCR/debs2")
	[ "$(dpkg-query -W -f='${Version}' libhlcore1)" = "$v" ]
	taken_over "$v"
	note "upgraded $(version_of "$SCR/debs1") -> $v"
}

reinstall_util_linux()
{
	before=$(stat -c %i /usr/bin/hardlink.util-linux)
	apt_run install --reinstall util-linux >"$SCR/reinstall.log" 2>&1 ||
	{ cat "$SCR/reinstall.log"; return 1; }
	grep 'Unpacking util-linux' "$SCR/reinstall.log"
	after=$(stat -c %i /usr/bin/hardlink.util-linux)
	# dpkg wrote a new file at the diverted name.
	[ "$before" != "$after" ] ||
	{ echo "hardlink.util-linux not rewritten (inode $before)"; return 1; }
	taken_over "$(version_of "$SCR/debs2")"
	note "util-linux reinstalled: its hardlink rewritten as hardlink.util-linux (inode $before -> $after)"
}

# given_back: /usr/bin/hardlink and hardlink.1.gz are util-linux's again.
given_back()
{
	for p in $OURS; do
		s=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null) || true
		case $s in '' | not-installed) ;; *) echo "$p: $s"; return 1 ;; esac
	done
	[ "$(dpkg -S /usr/bin/hardlink)" = "util-linux: /usr/bin/hardlink" ]
	same_md5 /usr/bin/hardlink util-linux usr/bin/hardlink
	same_md5 /usr/share/man/man1/hardlink.1.gz util-linux \
		usr/share/man/man1/hardlink.1.gz
	md5sum </usr/bin/hardlink | cmp -s - "$BASE/hardlink.md5"
	[ ! -e /usr/bin/hardlink.util-linux ]
	[ ! -e /usr/share/man/man1/hardlink.util-linux.1.gz ]
	dpkg-divert --list | sort >"$SCR/diversions"
	diff "$BASE/diversions" "$SCR/diversions"
	/usr/bin/hardlink --version | grep 'from util-linux'
	util_linux_verified
}

remove()
{
	apt_run purge $OURS
	given_back
	note "$(dpkg -S /usr/bin/hardlink); $(/usr/bin/hardlink --version);" \
		"dpkg -V util-linux: $(dpkg -V util-linux | wc -l) lines"
}

# cleanup: our packages, then what the test's apt-get runs installed
# (kernel packages first: their removal runs dracut's postrm hook), then
# put back what they removed; the downloaded .deb files.  Never purges a
# package that was there before, nor one apt would take others with.
cleanup()
{
	for p in $OURS; do
		s=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null) ||
			true
		case $s in '' | not-installed) ;; *) apt_run purge $OURS; break ;; esac
	done
	pkgs_present >"$SCR/now"
	sort -u "$SCR/installed" | comm -12 - "$SCR/now" |
		comm -23 - "$BASE/present" >"$SCR/purge"
	grep '^linux-image-' "$SCR/purge" >"$SCR/purge1" || true
	grep -v '^linux-image-' "$SCR/purge" >"$SCR/purge2" || true
	for f in "$SCR/purge1" "$SCR/purge2"; do
		[ -s "$f" ] || continue
		# What apt would take away: only what is in the list.
		# shellcheck disable=SC2046
		$APT -s purge $(cat "$f") |
			awk '/^(Purg|Remv) /{sub(/:.*/, "", $2); print $2}' |
			sort >"$SCR/sim"
		sed 's/:.*//' "$f" | sort >"$SCR/names"
		if [ -n "$(comm -23 "$SCR/sim" "$SCR/names")" ]; then
			echo "purging would also remove:"
			comm -23 "$SCR/sim" "$SCR/names"
			return 1
		fi
		# shellcheck disable=SC2046
		apt_run purge $(cat "$f")
	done
	pkgs_present >"$SCR/now"
	sort -u "$SCR/removed" | comm -12 - "$BASE/present" |
		comm -23 - "$SCR/now" >"$SCR/reinstall"
	if [ -s "$SCR/reinstall" ]; then
		# shellcheck disable=SC2046
		apt_run install $(cat "$SCR/reinstall")
		comm -12 "$SCR/reinstall" "$BASE/auto" | xargs -r apt-mark auto
	fi
	ls /var/cache/apt/archives/ | sort | comm -13 "$BASE/cache" - |
		grep '\.deb$' | sed 's|^|/var/cache/apt/archives/|' | xargs -r rm -f
}

restored()
{
	cleanup
	pkgs_present >"$SCR/now"
	left=$(sort -u "$SCR/installed" | comm -12 - "$SCR/now" |
		comm -23 - "$BASE/present")
	gone=$(comm -23 "$BASE/present" "$SCR/now")
	[ -z "$left" ] || { echo "still installed: $left"; return 1; }
	[ -z "$gone" ] || { echo "no longer installed: $gone"; return 1; }
	dpkg-divert --list | sort >"$SCR/diversions"
	diff "$BASE/diversions" "$SCR/diversions"
	tree_state >"$SCR/tree"
	diff "$BASE/tree" "$SCR/tree"
	md5sum </usr/bin/hardlink | cmp -s - "$BASE/hardlink.md5"
	util_linux_verified
	note "installed and purged again: $(sort -u "$SCR/installed" |
		comm -23 - "$BASE/present" | wc -l) packages"
	pkgs_versions | comm -13 "$BASE/versions" - | while read -r p v; do
		was=$(awk -v p="$p" '$1 == p {print $2}' "$BASE/versions")
		[ -z "$was" ] || note "left upgraded: $p $was -> $v"
	done
}

on_exit()
{
	if [ -z "$cleaned" ]; then
		echo "# interrupted: restoring the machine" >&2
		(set -e; cleanup) >&2
	fi
	if [ "${HL_PKG_KEEP:-}" = 1 ]; then
		echo "# kept: $SCR" >&2
	else
		rm -rf "$SCR"
	fi
}

# apt access: download what the test installs (from a fresh index when
# the first try fails) before anything is installed.
prefetch()
{
	$APT -d build-dep "$SRC" &&
	$APT -d install dracut linux-image-cloud-amd64 strace &&
	$APT -d install --reinstall util-linux
}

# preflight: skips unless this machine may be changed; records it as
# found.  Everything runs from main(), so that the whole file is read
# before anything is done (an edit while it runs changes nothing).
preflight()
{
	[ "${HL_PKG_TEST:-}" = 1 ] || skip_all "HL_PKG_TEST=1 not set (CI sets\
 it): installs packages, a kernel and dracut, diverts /usr/bin/hardlink"
	[ "$(id -u)" = 0 ] || skip_all "not root"
	. /etc/os-release 2>/dev/null
	[ "${ID:-}" = debian ] && [ "${VERSION_ID:-}" = 12 ] ||
		skip_all "not Debian 12 (${PRETTY_NAME:-no /etc/os-release})"
	[ "$(dpkg --print-architecture)" = amd64 ] ||
		skip_all "not amd64 (linux-image-cloud-amd64)"
	for p in $OURS; do
		s=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)
		case $s in
		'' | not-installed) ;;
		*) skip_all "$p is on this machine ($s): it would not be left as found" ;;
		esac
	done
	d=$(dpkg-divert --listpackage /usr/bin/hardlink)
	[ -z "$d" ] || skip_all "/usr/bin/hardlink is already diverted by $d"
	[ "$(dpkg -S /usr/bin/hardlink 2>/dev/null)" = "util-linux: /usr/bin/hardlink" ] ||
		skip_all "/usr/bin/hardlink does not belong to util-linux"

	SCR=$(mktemp -d "${TMPDIR:-/tmp}/hl-pkgtest.XXXXXX") || exit 1
	BASE=$SCR/base		# the machine as found
	mkdir "$BASE" "$SCR/debs1" "$SCR/debs2" "$SCR/src"
	SRC=$SCR/src/hardlink	# dpkg-buildpackage writes the packages to $SCR/src
	pkgs_present >"$BASE/present"
	pkgs_versions >"$BASE/versions"
	apt-mark showauto | sort >"$BASE/auto"
	dpkg-divert --list | sort >"$BASE/diversions"
	dpkg -V util-linux >"$BASE/verify" 2>&1
	tree_state >"$BASE/tree"
	md5sum </usr/bin/hardlink >"$BASE/hardlink.md5"
	ls /var/cache/apt/archives/ | sort >"$BASE/cache"
	: >"$SCR/installed"
	: >"$SCR/removed"
}

main()
{
	start=$(date +%s)
	cleaned=""
	preflight
	trap on_exit EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP

	times >"$SCR/times.start"
	copy_tree || { echo "Bail out! cannot copy $ROOT to $SRC"; exit 1; }
	if ! prefetch >"$SCR/prefetch.log" 2>&1; then
		$APT update >>"$SCR/prefetch.log" 2>&1
		if ! prefetch >>"$SCR/prefetch.log" 2>&1; then
			(set -e; cleanup) >/dev/null 2>&1
			cleaned=1
			skip_all "apt-get cannot download what it needs:\
 $(grep '^E:' "$SCR/prefetch.log" | tail -n 1)"
		fi
	fi

	step 'build dependencies installed (apt-get build-dep)' build_deps ||
		stop="build dependencies"
	step 'packages built (dpkg-buildpackage -us -uc -b, unit tests)' \
		build_packages || stop="packages built"
	step 'a newer version built (changelog entry; -nc, nocheck)' build_newer
	step 'dracut and linux-image-cloud-amd64 installed (INITRD=No)' \
		kernel_dracut || stop="dracut and kernel"
	step "install: /usr/bin/hardlink is ours, util-linux's diverted, intact" \
		install_v1 || stop="install"
	step 'libhlcore-dev: docs/example.c builds with pkg-config hlcore' \
		dev_package
	step 'dracut runs our hardlink on its staging tree, no AF_ALG socket' \
		dracut_run
	step "dracut's tree is linked as util-linux links it" same_as_util_linux
	step 'upgrade to the newer version keeps the diversions' upgrade
	step 'apt-get install --reinstall util-linux keeps the diversions' \
		reinstall_util_linux
	stop=""
	step -always "remove: /usr/bin/hardlink is util-linux's again, no diversion" \
		remove
	# When this step fails, on_exit tries the cleanup once more.
	step -always 'the machine is as found: packages, diversions, /boot' \
		restored && cleaned=1
	echo "1..$n"
	times >"$SCR/times1"
	echo "# $(($(date +%s) - start)) s in all, CPU" \
		"$(cpu_between "$SCR/times.start" "$SCR/times1") s"
	[ "$nfail" -eq 0 ]
}

main "$@"
exit
