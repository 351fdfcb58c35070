#!/usr/bin/env bash
# Runs every C unit test binary in $1/tests; prints one RESULT line with the sums.
# A binary never runs stale: run by hand on the plain build (not from make, which built
# them already), the binaries are made first; then a binary older than what it is made
# of (its source, tests/unit/*.h, librtc.a, for lua_oom_test the bindings; librtc.a older
# than a runtime source) is not run but counted failed (e.g. build-asan: make asan-test
# rebuilds it), and one whose tests/unit/<name>.c is gone is skipped.
BUILD=${1:-build}
cd "$(dirname "$0")/.." || exit 1
if [ -z "$MAKELEVEL" ] && [ "$BUILD" = build ]; then
  bins=$(ls tests/unit/*_test.c | sed "s#^tests/unit/\(.*\)\.c#$BUILD/tests/\1#")
  # shellcheck disable=SC2086
  if ! make --no-print-directory -s BUILD="$BUILD" $bins >/dev/null; then
    echo "run_unit: make failed"; echo "RESULT passed=0 failed=1"; exit 1
  fi
fi
# The first input of binary $1 (test $2) newer than it, or nothing.
newer_input() {
  local lib="$BUILD/librtc.a" extra=""
  [ "$2" = lua_oom_test ] && extra=bindings
  if [ ! -f "$lib" ] || [ "$lib" -nt "$1" ]; then echo "$lib"; return; fi
  # shellcheck disable=SC2086
  { find runtime -name '*.[ch]' -newer "$lib" -print -quit
    [ "tests/unit/$2.c" -nt "$1" ] && echo "tests/unit/$2.c"
    find tests/unit -maxdepth 1 -name '*.h' -newer "$1" -print -quit
    [ -n "$extra" ] && find $extra -name '*.[ch]' -newer "$1" -print -quit; } | head -1
}
passed=0; failed=0
for t in "$BUILD"/tests/*_test; do
  [ -x "$t" ] || continue
  name=$(basename "$t")
  if [ ! -f "tests/unit/$name.c" ]; then echo "== unit: $name: no tests/unit/$name.c, skipped"; continue; fi
  echo "== unit: $name"
  newer=$(newer_input "$t" "$name")
  if [ -n "$newer" ]; then
    echo "  $name is older than $newer: not run (rebuild it)"; failed=$((failed + 1)); continue
  fi
  out=$("$t" 2>&1); rc=$?
  echo "$out" | grep -v '^ok ' | grep -v '^RESULT'
  line=$(echo "$out" | grep '^RESULT' | tail -1)
  if [ -z "$line" ]; then
    echo "  $name crashed or printed no RESULT (exit $rc)"; failed=$((failed + 1)); continue
  fi
  p=$(echo "$line" | sed 's/.*passed=\([0-9]*\).*/\1/'); f=$(echo "$line" | sed 's/.*failed=\([0-9]*\).*/\1/')
  [ "$rc" != 0 ] && [ "$f" = 0 ] && f=1
  echo "  $p passed, $f failed"
  passed=$((passed + p)); failed=$((failed + f))
done
echo "RESULT passed=$passed failed=$failed"
