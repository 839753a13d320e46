#!/bin/sh
# tests/soak/kill9-1000.sh - the long version of t0700: 1,000 kill -9s at
# random moments over real runs on tmpfs (plus 100 on the scratch disk),
# every path checked after each kill and after the rerun.  Not part of
# the CI suite (about 10-15 minutes on a 2-core machine).
#   sh tests/soak/kill9-1000.sh [BINARY]
set -eu
cd "$(dirname "$0")/../.."
[ -x build/hardlink ] || sh build.sh
KILL9_LOOPS=${KILL9_LOOPS:-1000} KILL9_DISK_LOOPS=${KILL9_DISK_LOOPS:-100} \
HARDLINK=${1:-build/hardlink} exec sh tests/e2e/t0700-kill9.sh
