#!/usr/bin/env bash
# Runs every tests/lua/*_test.lua with $BUILD/luartc; each prints "RESULT passed=N
# failed=M". Prints their sum as the last line. A file that crashes, times out or
# prints no RESULT counts as one failure (on top of what it reported).
BUILD=${1:-build}
TIMEOUT=${LUA_TEST_TIMEOUT:-180}
cd "$(dirname "$0")/.." || exit 1
runner="$BUILD/luartc"
if [ ! -x "$runner" ]; then
  echo "run_lua: $runner not built"
  echo "RESULT passed=0 failed=1"
  exit 1
fi
# A directory of this run for the files the tests write (harness.lua's H.TMP): two runs
# at once (two checkouts on one machine) wrote the same /tmp/luartc-media-vp8.ivf and
# each decoded the other's half-written file.
export TMPDIR; TMPDIR=$(mktemp -d /tmp/luartc-lua.XXXXXX)
trap 'rm -rf "$TMPDIR"' EXIT
passed=0; failed=0
for t in tests/lua/*_test.lua; do
  [ -f "$t" ] || continue
  echo "== $t"
  log=$(mktemp)
  LUARTC_BUILD="$BUILD" timeout -k 5 "$TIMEOUT" "$runner" "$t" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  line=$(grep '^RESULT' "$log" | tail -1)
  rm -f "$log"
  p=$(echo "$line" | sed -n 's/.*passed=\([0-9]*\).*/\1/p')
  f=$(echo "$line" | sed -n 's/.*failed=\([0-9]*\).*/\1/p')
  p=${p:-0}; f=${f:-0}
  if [ -z "$line" ]; then
    echo "run_lua: $t printed no RESULT (exit $rc)"; f=$((f + 1))
  elif [ "$rc" != 0 ] && [ "$f" = 0 ]; then
    echo "run_lua: $t exited with $rc"; f=$((f + 1))
  fi
  passed=$((passed + p)); failed=$((failed + f))
done
echo "RESULT passed=$passed failed=$failed"
[ "$failed" = 0 ]
