#!/usr/bin/env bash
# Leak check of the Lua suite (plain build, not ASan): every tests/lua/*_test.lua (or the
# files given) under valgrind --leak-check=full; a file fails when valgrind reports a
# definite or indirect leak or an error. Slow (valgrind runs LuaJIT ~20x slower), so not
# in make test:  bash tests/valgrind.sh [build] [tests/lua/x_test.lua ...]
BUILD=${1:-build}
shift
cd "$(dirname "$0")/.." || exit 1
files="$*"; [ -n "$files" ] || files=$(ls tests/lua/*_test.lua)
passed=0; failed=0
for t in $files; do
  log=$(mktemp)
  LUARTC_BUILD="$BUILD" timeout -k 5 900 valgrind -q --leak-check=full \
    --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
    --error-exitcode=99 --suppressions=tests/valgrind.supp "$BUILD/luartc" "$t" >"$log" 2>&1
  rc=$?
  def=$(grep -o 'definitely lost: [0-9,]* bytes' "$log" | head -1)
  ind=$(grep -o 'indirectly lost: [0-9,]* bytes' "$log" | head -1)
  if [ "$rc" = 99 ] || grep -q '^==[0-9]*== .*\(Invalid\|uninitialised\|definitely lost\)' "$log"; then
    echo "FAIL $t (valgrind: ${def:-errors} ${ind})"; grep '^==' "$log" | head -40; failed=$((failed + 1))
  else
    echo "ok   $t ($(grep '^RESULT' "$log" | tail -1))"; passed=$((passed + 1))
  fi
  rm -f "$log"
done
echo "RESULT passed=$passed failed=$failed skipped=0"
[ "$failed" = 0 ]
