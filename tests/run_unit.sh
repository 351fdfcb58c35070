#!/usr/bin/env bash
# Runs every C unit test binary in $1/tests; prints one RESULT line with the sums.
BUILD=${1:-build}
passed=0; failed=0
for t in "$BUILD"/tests/*_test; do
  [ -x "$t" ] || continue
  echo "== unit: $(basename "$t")"
  out=$("$t" 2>&1); rc=$?
  echo "$out" | grep -v '^ok ' | grep -v '^RESULT'
  line=$(echo "$out" | grep '^RESULT' | tail -1)
  if [ -z "$line" ]; then
    echo "  $(basename "$t") crashed or printed no RESULT (exit $rc)"; failed=$((failed + 1)); continue
  fi
  p=$(echo "$line" | sed 's/.*passed=\([0-9]*\).*/\1/'); f=$(echo "$line" | sed 's/.*failed=\([0-9]*\).*/\1/')
  [ "$rc" != 0 ] && [ "$f" = 0 ] && f=1
  echo "  $p passed, $f failed"
  passed=$((passed + p)); failed=$((failed + f))
done
echo "RESULT passed=$passed failed=$failed"
