#!/usr/bin/env bash
# Every suite, summed: C unit tests, Lua tests, packaging (luarocks), the simulated
# network, interop (unless --no-interop: the ASan build cannot load into a plain luajit either),
# a short libFuzzer pass over every target and the ASan/UBSan run (make asan-test:
# --no-interop --asan-interop, i.e. unit, Lua, signaling, sim, and interop with the ASan runner).
# The last line is "N passed, N failed, N skipped"; exit status 1 when any failed.
BUILD=${1:-build}
shift
suites="unit lua signaling pkg sim interop fuzz asan"
for a in "$@"; do [ "$a" = --no-interop ] && suites="unit lua signaling sim"; done
# make asan-test: the interop scenarios with the ASan runner come last (tests/interop/asan.sh).
for a in "$@"; do [ "$a" = --asan-interop ] && suites="$suites asaninterop"; done
# The network suite (coturn in namespaces) needs root, and is left out with --no-interop.
case " $* " in *" --no-interop "*) ;; *) [ "$(id -u)" = 0 ] && suites="$suites net turn turn6" ;; esac
passed=0; failed=0; skipped=0
for s in $suites; do
  case $s in
    unit) script=tests/run_unit.sh ;;
    lua) script=tests/run_lua.sh ;;
    signaling) script=tests/signaling/run.sh ;;
    pkg) script=tests/pkg/run.sh ;;
    sim) script=tests/run_sim.sh ;;
    interop) script=tests/interop/run.sh ;;
    net) script=tests/net/run.sh ;;
    fuzz) script=tests/fuzz/build.sh; export FUZZ_SECONDS=${FUZZ_SECONDS:-20} ;; # 20 s a target
    asan) script=tests/run_asan.sh ;;
    asaninterop) script=tests/interop/asan.sh ;;
    turn) script=tests/net/turn.sh ;;
    turn6) script=tests/net/turn6.sh ;; # IPv6 and dual-stack TURN, IPv6 host/srflx
  esac
  [ -f "$script" ] || continue
  log=$(mktemp)
  bash "$script" "$BUILD" 2>&1 | tee "$log"
  line=$(grep '^RESULT' "$log" | tail -1)
  rm -f "$log"
  if [ -z "$line" ]; then echo "suite $s printed no RESULT"; failed=$((failed + 1)); continue; fi
  p=$(echo "$line" | sed -n 's/.*passed=\([0-9]*\).*/\1/p'); f=$(echo "$line" | sed -n 's/.*failed=\([0-9]*\).*/\1/p')
  k=$(echo "$line" | sed -n 's/.*skipped=\([0-9]*\).*/\1/p')
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${k:-0}))
done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
