#!/usr/bin/env bash
# The simulated-network suite (tests/sim): the checker's self-test (injected faults
# must be caught), then SIM_SEEDS seeds (default 1000; 100 under ASan, RTC_ASAN=1)
# plus the regression seeds of tests/sim/regressions.txt. One RESULT line with the
# sums, as tests/run_all.sh expects.
BUILD=${1:-build}
bin="$BUILD/sim/luartc_sim"
if [ ! -x "$bin" ]; then echo "  $bin not built"; echo "RESULT passed=0 failed=1"; exit 1; fi
seeds=${SIM_SEEDS:-1000}
[ -n "$RTC_ASAN" ] && seeds=${SIM_SEEDS:-100}
echo "== sim: self-test, $seeds seeds, tests/sim/regressions.txt"
passed=0; failed=0; skipped=0
for args in "--selftest" "--seeds $seeds --list tests/sim/regressions.txt"; do
  out=$("$bin" $args 2>&1); rc=$?
  echo "$out" | grep -v '^RESULT' | grep -v '^selftest .*: \(caught\|identical\)' | grep -v '^[0-9]* passed, [0-9]* failed'
  line=$(echo "$out" | grep '^RESULT' | tail -1)
  if [ -z "$line" ]; then echo "  sim $args crashed or printed no RESULT (exit $rc)"; failed=$((failed + 1)); continue; fi
  p=$(echo "$line" | sed 's/.*passed=\([0-9]*\).*/\1/'); f=$(echo "$line" | sed 's/.*failed=\([0-9]*\).*/\1/')
  k=$(echo "$line" | sed -n 's/.*skipped=\([0-9]*\).*/\1/p')
  [ "$rc" != 0 ] && [ "$f" = 0 ] && f=1
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + ${k:-0}))
done
echo "  $passed passed, $failed failed, $skipped known failures (XFAIL)"
echo "RESULT passed=$passed failed=$failed skipped=$skipped"
