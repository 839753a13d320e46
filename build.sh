#!/bin/sh
# build.sh - install the build dependencies (Debian 12) when missing and
# build hardlink into ./build.  Usage: sh build.sh [meson setup options]
set -eu
cd "$(dirname "$0")"

need=""
for p in meson ninja-build gcc pkg-config libxxhash-dev libsqlite3-dev; do
	dpkg -s "$p" >/dev/null 2>&1 || need="$need $p"
done
if [ -n "$need" ]; then
	echo "build.sh: installing$need" >&2
	apt-get install -y $need >/dev/null 2>&1 ||
	{ apt-get update >/dev/null && apt-get install -y $need >/dev/null; }
fi
[ -d build ] || meson setup build "$@" >/dev/null
ninja -C build >/dev/null
echo "build.sh: built $(pwd)/build/hardlink" >&2
