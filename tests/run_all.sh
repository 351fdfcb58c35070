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
# The issue's 16 MiB over a lossy link (tests/net/resilience.sh lossy: 10% loss, 100 ms
# delay with jitter each way; ~16 min, mostly waiting on SCTP's retransmissions) runs in
# the background from the start, in namespaces of its own, and is collected at the end,
# so it adds no time to the critical path. With the net suites only (root); the net
# suite's own lossy case stays at 512 KiB. RESIL_LOSSY_BG_BYTES=0 leaves it out.
bg_pid=; bg_log=
bg_bytes=${RESIL_LOSSY_BG_BYTES:-16777216}
case " $suites " in
  *" net "*)
    if [ "$bg_bytes" != 0 ] && [ -f tests/net/resilience.sh ]; then
      bg_log=$(mktemp)
      RESIL_ONLY=lossy RESIL_LOSSY_BYTES=$bg_bytes nice -n 5 bash tests/net/resilience.sh "$BUILD" >"$bg_log" 2>&1 &
      bg_pid=$!
      trap '[ -n "$bg_pid" ] && kill "$bg_pid" 2>/dev/null' EXIT
      echo "lossy transfer of $bg_bytes bytes started in the background (collected at the end)"
    fi ;;
esac
sum_result() { # suite-name log: adds the log's last RESULT line to the totals
  local line p f k
  line=$(grep '^RESULT' "$2" | tail -1)
  if [ -z "$line" ]; then echo "suite $1 printed no RESULT"; failed=$((failed + 1)); return; fi
  p=$(echo "$line" | sed -n 's/.*passed=\([0-9]*\).*/\1/p'); f=$(echo "$line" | sed -n 's/.*failed=\([0-9]*\).*/\1/p')
  k=$(echo "$line" | sed -n 's/.*skipped=\([0-9]*\).*/\1/p')
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${k:-0}))
}
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
  sum_result "$s" "$log"
  rm -f "$log"
done
if [ -n "$bg_pid" ]; then
  echo "waiting for the background lossy transfer ($bg_bytes bytes)"
  wait "$bg_pid"
  bg_pid=
  grep -E '^(ok|FAIL|figure|skip|RESULT) ' "$bg_log"
  grep -q '^FAIL' "$bg_log" && sed 's/^/  | /' "$bg_log" | tail -40
  sum_result lossy-background "$bg_log"
  rm -f "$bg_log"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
