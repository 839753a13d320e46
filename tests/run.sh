#!/bin/sh
# tests/run.sh - install the test dependencies (Debian 12) when missing,
# then build and run every test twice: a normal gcc build with warnings as
# errors, and a clang build under AddressSanitizer and UBSan.  Ends with
# one line "N passed, N failed" (meson tests: unit programs and e2e
# scripts), and exits non-zero when anything failed.
set -u
cd "$(dirname "$0")/.."

pkgs="meson ninja-build gcc clang pkg-config libxxhash-dev libcmocka-dev
      strace attr acl libcap2-bin python3 jq e2fsprogs util-linux tmux
      btrfs-progs xfsprogs"
need=""
for p in $pkgs; do
	dpkg -s "$p" >/dev/null 2>&1 || need="$need $p"
done
if [ -n "$need" ]; then
	echo "tests/run.sh: installing$need" >&2
	apt-get install -y $need >/dev/null 2>&1 ||
	{ apt-get update >/dev/null && apt-get install -y $need >/dev/null; }
fi

passed=0
failed=0

# run_suite DIR SETUP-ARGS...: configure, build and test one build dir.
run_suite()
{
	dir=$1; shift
	if [ ! -d "$dir" ]; then
		meson setup "$dir" "$@" >"$dir.setup.log" 2>&1 ||
		{ cat "$dir.setup.log"; failed=$((failed + 1)); return; }
	else
		meson setup --reconfigure "$dir" "$@" >/dev/null 2>&1
	fi
	if ! ninja -C "$dir" >"$dir.build.log" 2>&1; then
		cat "$dir.build.log"
		failed=$((failed + 1))
		return
	fi
	meson test -C "$dir" --print-errorlogs --num-processes 2 \
		--timeout-multiplier 3
	counts=$(python3 - "$dir/meson-logs/testlog.json" <<'PY'
import json, sys
p = f = 0
for line in open(sys.argv[1]):
    r = json.loads(line)["result"]
    if r in ("OK", "SKIP", "EXPECTEDFAIL"):
        p += 1
    else:
        f += 1
print(p, f)
PY
)
	passed=$((passed + ${counts% *}))
	failed=$((failed + ${counts#* }))
}

run_suite build
CC=clang run_suite build-asan -Db_sanitize=address,undefined \
	-Db_lundef=false -Dbuildtype=debug
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
