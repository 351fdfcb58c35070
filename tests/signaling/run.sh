#!/usr/bin/env bash
# Signaling against independent peers: Node's `ws` package, curl, Python's standard
# library. Runs every tests/signaling/*_test.lua with $BUILD/luartc; prints
# "RESULT passed=N failed=M skipped=K" last. Installs ws (package-lock) on first use.
BUILD=${1:-build}
TIMEOUT=${SIG_TEST_TIMEOUT:-180}
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE/../.." || exit 1
runner="$BUILD/luartc"
if [ ! -x "$runner" ]; then echo "signaling: $runner not built"; echo "RESULT passed=0 failed=1"; exit 1; fi
skipped=0
# The independent peers: Node (for ws), aiortc, curl, openssl (test certificates).
need_apt=
command -v node >/dev/null || need_apt="$need_apt nodejs npm"
command -v curl >/dev/null || need_apt="$need_apt curl"
command -v openssl >/dev/null || need_apt="$need_apt openssl"
/usr/bin/python3 -c 'import aiortc' 2>/dev/null || need_apt="$need_apt python3-aiortc"
if [ -n "$need_apt" ] && [ "$(id -u)" = 0 ]; then
  echo "signaling: installing$need_apt"
  (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $need_apt) \
    >/tmp/signaling-apt.log 2>&1 || echo "signaling: apt-get failed, see /tmp/signaling-apt.log"
fi
if [ ! -d "$HERE/node_modules/ws" ] && command -v npm >/dev/null; then
  (cd "$HERE" && timeout 300 npm ci --no-audit --no-fund >/tmp/signaling-npm.log 2>&1) ||
    echo "signaling: npm ci failed, see /tmp/signaling-npm.log"
fi
# Chromium and playwright-core for echo_bot_test's browser case (the interop suite's).
bash tests/interop/deps.sh
passed=0; failed=0
for t in tests/signaling/*_test.lua; do
  echo "== $t"
  log=$(mktemp)
  LUARTC_BUILD="$BUILD" timeout -k 5 "$TIMEOUT" "$runner" "$t" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  line=$(grep '^RESULT' "$log" | tail -1)
  grep -q 'skipped$' "$log" && skipped=$((skipped + 1))
  rm -f "$log"
  p=$(echo "$line" | sed -n 's/.*passed=\([0-9]*\).*/\1/p'); f=$(echo "$line" | sed -n 's/.*failed=\([0-9]*\).*/\1/p')
  p=${p:-0}; f=${f:-0}
  if [ -z "$line" ]; then echo "signaling: $t printed no RESULT (exit $rc)"; f=$((f + 1));
  elif [ "$rc" != 0 ] && [ "$f" = 0 ]; then echo "signaling: $t exited with $rc"; f=$((f + 1)); fi
  passed=$((passed + p)); failed=$((failed + f))
done
echo "RESULT passed=$passed failed=$failed skipped=$skipped"
[ "$failed" = 0 ]
