#!/usr/bin/env bash
# The interop scenarios against real peers with the ASan + UBSan runner (part of make
# asan-test): aiortc and headless Chromium, data channels and media both ways; Chromium's
# mDNS host candidates (resolved by luartc, and again with luartc's own mDNS on: the
# driver selects by "chromium/<name>" in both runs); GStreamer webrtcbin (OpenSSL DTLS,
# an RSA certificate); the WHIP recorder (examples/whip-recorder.lua) taking Chromium,
# aiortc and GStreamer at once into WebM, 10 s each (make interop: 20 s). Its A/V start
# check is widened from 100 to 250 ms here: three publishers and the 2-3x slower ASan
# recorder on 2 cores put aiortc's audio 115 ms after its video once; this run looks for
# memory errors, make interop keeps 100 ms.
#   bash tests/interop/asan.sh [BUILD]        (BUILD: build-asan)
# Env: ASAN_INTEROP=0 leaves it out (skipped), ASAN_INTEROP_ONLY replaces the selection
# (an INTEROP_ONLY regex). Every luartc process writes its sanitizer reports to files
# (log_path): a report fails the suite even when its scenario passed (an error at exit,
# an abort the peer survived). Leak checking stays off (peers end through rtc.exit, not
# lua_close); tests/valgrind.sh covers leaks. Last line: RESULT passed=N failed=N skipped=N.
BUILD=${1:-build-asan}
cd "$(dirname "$0")/../.."
if [ "${ASAN_INTEROP:-1}" != 1 ]; then
  echo "skip asan interop: ASAN_INTEROP=$ASAN_INTEROP"
  echo "RESULT passed=0 failed=0 skipped=1"
  exit 0
fi
sel='^(aiortc|chromium)/(offer-luartc-trickle|data-text-binary-empty|data-10000-in-order|media-peer-camera-to-luartc|media-luartc-files-to-peer)$'
sel="$sel|^chromium/mdns-host-candidates\$|^gstreamer/(data-text-binary-empty|dtls-roles-rsa-peer-offers)\$"
sel="$sel|^whip-record/(chromium|aiortc|gstreamer)\$"
only=${ASAN_INTEROP_ONLY:-$sel}
reports=$(mktemp -d /tmp/luartc-asan-interop.XXXXXX)
trap 'rm -rf "$reports"' EXIT
ilog=$(mktemp)
t0=$(date +%s)
ASAN_OPTIONS="detect_leaks=0:log_path=$reports/asan" \
  UBSAN_OPTIONS="print_stacktrace=1:log_path=$reports/ubsan" \
  INTEROP_DRIVERS="aiortc chromium chromium-mdns gstreamer whip-record" INTEROP_ONLY="$only" \
  WHIP_AV_MAX_MS=${WHIP_AV_MAX_MS:-250} WHIP_RECORD_SECONDS=${WHIP_RECORD_SECONDS:-10} \
  INTEROP_LOGDIR=${INTEROP_LOGDIR:-/tmp/interop/asan-logs} \
  bash tests/interop/run.sh "$BUILD" 2>&1 | tee "$ilog"
line=$(grep '^RESULT' "$ilog" | tail -1)
rm -f "$ilog"
p=$(echo "$line" | sed -n 's/.*passed=\([0-9]*\).*/\1/p')
f=$(echo "$line" | sed -n 's/.*failed=\([0-9]*\).*/\1/p')
k=$(echo "$line" | sed -n 's/.*skipped=\([0-9]*\).*/\1/p')
p=${p:-0}; f=${f:-0}; k=${k:-0}
[ -n "$line" ] || { echo "FAIL asan interop: run.sh printed no RESULT"; f=$((f + 1)); }
# Only luartc is built with the sanitizers: every report is one of its processes.
if [ -n "$(ls "$reports")" ]; then
  echo "FAIL asan interop: sanitizer reports from luartc processes:"
  for r in "$reports"/*; do echo "--- $r"; head -40 "$r"; done
  f=$((f + 1))
fi
echo "asan interop: $p passed, $f failed, $k skipped in $(($(date +%s) - t0)) s"
echo "RESULT passed=$p failed=$f skipped=$k"
[ "$f" = 0 ]
