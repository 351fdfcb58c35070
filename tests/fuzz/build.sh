#!/usr/bin/env bash
# Builds every libFuzzer target (tests/fuzz/fuzz_*.c) with clang + ASan + UBSan against
# the runtime (compiled once into build-fuzz/librtc.a), replays every saved crash input
# in tests/fuzz/regressions/<target>/ once, then fuzzes each target for FUZZ_SECONDS
# (default 30) starting from its seed corpus tests/fuzz/corpus/<target>/ (new inputs go
# to build-fuzz/corpus/<target>/, crashes to build-fuzz/artifacts/).
#   make fuzz                       build, replay, fuzz every target 30 s
#   make fuzz FUZZ_SECONDS=0        build and replay the regressions only
#   FUZZ_ONLY=sdp make fuzz         targets whose name matches the regex
# Last line: "RESULT passed=N failed=N skipped=0" (one per target; a target fails when a
# regression input or the fuzzing crashes, leaks or times out).
set -o pipefail
cd "$(dirname "$0")/../.."
B=build-fuzz
SECS=${FUZZ_SECONDS:-30}
SAN="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined"
LIBS="-lmbedtls -lmbedx509 -lmbedcrypto -lcrypto -lusrsctp -lsrtp2 -logg -luv -lm"
make --no-print-directory -j2 BUILD=$B CC=clang OPT=-O1 SAN="$SAN" $B/librtc.a >/dev/null || {
  echo "RESULT passed=0 failed=1 skipped=0 (the fuzz build of the runtime failed)"; exit 1; }
mkdir -p $B/fuzz $B/artifacts
passed=0; failed=0
for f in tests/fuzz/fuzz_*.c; do
  name=$(basename "$f" .c)
  [ -n "$FUZZ_ONLY" ] && ! [[ $name =~ $FUZZ_ONLY ]] && continue
  bin=$B/fuzz/$name
  if [ ! -x "$bin" ] || [ "$f" -nt "$bin" ] || [ $B/librtc.a -nt "$bin" ]; then
    # A target may ask for link flags: a "// fuzz-ldflags: ..." line in its source.
    extra=$(sed -n 's|^// fuzz-ldflags: ||p' "$f")
    clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
      -std=gnu11 -Iruntime -o "$bin" "$f" $B/librtc.a $LIBS $extra ||
      { echo "FAIL $name: does not build"; failed=$((failed + 1)); continue; }
  fi
  ok=1
  regs=$(ls tests/fuzz/regressions/$name/* 2>/dev/null)
  if [ -n "$regs" ]; then
    if "$bin" -runs=1 $regs >$B/fuzz/$name.replay.log 2>&1; then
      echo "ok   $name: $(echo "$regs" | wc -l) regression input(s) replayed"
    else
      echo "FAIL $name: a regression input crashes again"; tail -30 $B/fuzz/$name.replay.log; ok=0
    fi
  fi
  if [ "$ok" = 1 ] && [ "$SECS" -gt 0 ]; then
    mkdir -p $B/corpus/$name
    seeds=tests/fuzz/corpus/$name; [ -d $seeds ] || seeds=
    log=$B/fuzz/$name.log
    if "$bin" -max_total_time="$SECS" -timeout=20 -rss_limit_mb=2560 -print_final_stats=1 \
      -artifact_prefix=$B/artifacts/$name- $B/corpus/$name $seeds >$log 2>&1; then
      execs=$(sed -n 's/^stat::number_of_executed_units: *//p' $log)
      cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' $log | tail -1)
      echo "ok   $name: ${SECS}s, $execs runs, $cov"
    else
      echo "FAIL $name: crash (input in $B/artifacts/, log $log)"; grep -A25 '^==[0-9]*==ERROR\|runtime error\|deadly signal\|ALARM' $log | head -40; ok=0
    fi
  fi
  if [ "$ok" = 1 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done
echo "RESULT passed=$passed failed=$failed skipped=0"
[ "$failed" = 0 ]
