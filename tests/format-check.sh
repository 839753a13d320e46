#!/bin/sh
# tests/format-check.sh - every C file of the tree (git ls-files '*.c'
# '*.h') in the format of .clang-format, as clang-format 14 (Debian 12's)
# writes it.  Prints each difference and exits 1 when a file differs,
# except the files listed in tests/format-pending (reported only, with
# their count of lines that would change).
#
# To put a file in the format (then drop it from tests/format-pending):
#	clang-format -i FILE...
# Usage: sh tests/format-check.sh [FILE...]   (default: every C file)
set -u
cd "$(dirname "$0")/.." || exit 1

if ! command -v clang-format >/dev/null 2>&1; then
	echo "format-check: clang-format is not installed" >&2
	exit 1
fi
case $(clang-format --version) in
*" version 14."*) ;;
*) echo "format-check: warning: $(clang-format --version); the reference" \
	"is clang-format 14, other versions may format differently" >&2 ;;
esac

if [ $# -eq 0 ]; then
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		# shellcheck disable=SC2046 # no C file name holds a blank
		set -- $(git ls-files '*.c' '*.h')
	else
		# shellcheck disable=SC2046
		set -- $(find . -path ./build\* -prune -o \
			\( -name '*.c' -o -name '*.h' \) -print | sed 's,^\./,,' | sort)
	fi
fi

bad=0 pending=0
for f in "$@"; do
	if grep -qxF "$f" tests/format-pending; then
		n=$(clang-format "$f" | diff "$f" - | grep -c '^<')
		if [ "$n" -gt 0 ]; then
			pending=$((pending + 1))
			echo "format-check: pending: $f: $n lines to reformat"
		else
			echo "format-check: $f is formatted: drop it from tests/format-pending"
		fi
	elif ! clang-format --dry-run --Werror "$f" 2>/dev/null; then
		clang-format "$f" | diff -u "$f" - | head -n 40
		echo "format-check: $f: not formatted (clang-format -i $f)"
		bad=$((bad + 1))
	fi
done
echo "format-check: $# files, $bad not formatted, $pending pending"
[ "$bad" -eq 0 ]
