#!/usr/bin/env bash
# make asan-test (unit, Lua, signaling and sim suites under ASan + UBSan, then interop
# against aiortc and Chromium with the ASan runner: tests/interop/asan.sh) as one suite of
# tests/run_all.sh: its summary line becomes a RESULT line. (The ASan rtc.so cannot load
# into a plain luajit: interop runs build-asan/luartc.)
cd "$(dirname "$0")/.."
log=$(mktemp)
make --no-print-directory asan-test 2>&1 | tee "$log"
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped' "$log" | tail -1)
rm -f "$log"
[ -n "$line" ] || { echo "RESULT passed=0 failed=1 skipped=0 (asan-test printed no summary)"; exit 1; }
set -- $line
echo "RESULT passed=$1 failed=$3 skipped=$5"
[ "$3" = 0 ]
