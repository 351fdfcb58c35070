#!/usr/bin/env bash
# luartc interop suite: luartc against headless Chromium, aiortc and GStreamer webrtcbin.
#   bash tests/interop/run.sh [BUILD]      (make interop)
# Installs what is missing (Debian chromium, python3-aiortc, GStreamer's
# webrtcbin and libnice with their Python bindings, playwright-core
# from package-lock.json), runs every scenario inside a network namespace it
# creates (loopback + a veth pair whose two ends are both inside it, so nothing
# can leave the machine) and ends with "RESULT passed=N failed=M skipped=K".
# Env: INTEROP_ONLY=REGEX selects tests (e.g. 'aiortc/|chromium/offer-'),
#      INTEROP_LOCAL=aiortc|chromium replaces luartc (harness self-check),
#      INTEROP_LOGDIR (default /tmp/interop/logs) keeps per-test logs,
#      INTEROP_DRIVERS lists the drivers to run (default: all of chromium chromium-mdns
#      chromium-ipv6 firefox firefox-mdns aiortc gstreamer whip-record).
set -u
BUILD=${1:-build}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
export INTEROP_LOGDIR=${INTEROP_LOGDIR:-/tmp/interop/logs}
LOCAL=${INTEROP_LOCAL:-luartc}
ONLY=${INTEROP_ONLY:-}
NS=luartc-interop-$$
passed=0; failed=0; skipped=0

say() { echo "interop: $*" >&2; }
result() { echo "RESULT passed=$passed failed=$failed skipped=$skipped"; }

# ---- what the suite needs
bash "$HERE/deps.sh"

if [ "$LOCAL" = luartc ] && [ ! -x "$BUILD/luartc" ]; then
  echo "FAIL interop: $BUILD/luartc not built"
  failed=1; result; exit 1
fi
if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null; then
  echo "skip interop: needs root and iproute2 for its network namespace"
  skipped=1; result; exit 0
fi

# ---- the namespace: lo, and a veth pair v0 (10.99.0.1) <-> v1 (10.99.0.2),
# both ends inside. Chromium gathers nothing without a default route, so
# the default route (and multicast, for mDNS) points at v0: whatever goes
# there reaches v1 in the same namespace and stops (no forwarding).
cleanup() {
  # every process still in the namespace is ours
  for p in $(ip netns pids "$NS" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
  ip netns del "$NS" 2>/dev/null
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM
# stale namespaces of earlier interrupted runs
for n in $(ip netns list 2>/dev/null | awk '/^luartc-interop-/{print $1}'); do
  pid=${n#luartc-interop-}
  if ! kill -0 "$pid" 2>/dev/null; then
    for p in $(ip netns pids "$n" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
    ip netns del "$n" 2>/dev/null
  fi
done
set -e
ip netns add "$NS"
X="ip netns exec $NS"
$X ip link set lo up
$X ip link add v0 type veth peer name v1
$X ip addr add 10.99.0.1/24 dev v0
$X ip addr add 10.99.0.2/24 dev v1
$X ip link set v0 up
$X ip link set v1 up
$X ip route add default dev v0
$X ip route add 224.0.0.0/4 dev v0
$X sysctl -qw net.ipv4.ip_forward=0
set +e

mkdir -p "$INTEROP_LOGDIR"
run_driver() { # label timeout args...
  local label=$1 tmo=$2; shift 2
  case " ${INTEROP_DRIVERS:-$label} " in *" $label "*) ;; *) return 0 ;; esac
  local out; out=$(mktemp)
  setsid $X timeout -k 5 "$tmo" node "$HERE/${DRIVER:-driver.mjs}" --build "$BUILD" --local "$LOCAL" \
    ${ONLY:+--only "$ONLY"} "$@" 2>"$INTEROP_LOGDIR/driver-$label.stderr" </dev/null | tee "$out" | grep --line-buffered -v '^RESULT'
  local rc=${PIPESTATUS[0]}
  sleep 0.2
  local line; line=$(grep '^RESULT' "$out" | tail -1)
  if [ -z "$line" ]; then
    echo "FAIL interop-$label: driver ended without a result (status $rc), see $INTEROP_LOGDIR/driver-$label.stderr"
    tail -5 "$INTEROP_LOGDIR/driver-$label.stderr" | sed 's/^/  /'
    failed=$((failed + 1))
  else
    passed=$((passed + $(echo "$line" | sed -n 's/.*passed=\([0-9]*\).*/\1/p')))
    failed=$((failed + $(echo "$line" | sed -n 's/.*failed=\([0-9]*\).*/\1/p')))
    skipped=$((skipped + $(echo "$line" | sed -n 's/.*skipped=\([0-9]*\).*/\1/p')))
  fi
  rm -f "$out"
  for p in $(ip netns pids "$NS" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
}

# Chromium gathers only on the interface of the default route (v0) and
# answers from whatever source address the kernel picks: the other side
# gathers on 10.99.0.1 too, so that every pair has matching addresses.
# aiortc (made to gather on loopback) and luartc meet on 127.0.0.1.
if [ -x /usr/bin/chromium ] && [ -d "$HERE/node_modules/playwright-core" ]; then
  export INTEROP_ADDRESSES=10.99.0.1; LUARTC_LOG=info run_driver chromium 480 --peer chromium --mdns off
  export INTEROP_ADDRESSES=10.99.0.1; LUARTC_LOG=info run_driver chromium-mdns 90 --peer chromium --mdns on
  # TURN over IPv6 (issue 8): ULA addresses and an IPv6 default route on the veth,
  # set before this driver starts its Chromium, and only for it
  $X ip addr add fd00:99::1/64 dev v0 nodad && $X ip addr add fd00:99::2/64 dev v1 nodad &&
    $X ip -6 route add default dev v0
  export INTEROP_ADDRESSES=10.99.0.1; LUARTC_LOG=info run_driver chromium-ipv6 60 --peer chromium --ipv6 on
  $X ip -6 route del default dev v0; $X ip addr del fd00:99::1/64 dev v0; $X ip addr del fd00:99::2/64 dev v1
else
  echo "skip chromium/*: chromium or playwright-core missing"; skipped=$((skipped + 1))
fi
# Firefox (Debian firefox-esr, headless, firefox.mjs): it gathers on the interface
# of the default route only (v0), as Chromium does, so luartc gathers on 10.99.0.1.
if [ -x /usr/bin/firefox-esr ]; then
  export INTEROP_ADDRESSES=10.99.0.1; LUARTC_LOG=info run_driver firefox 480 --peer firefox --mdns off
  export INTEROP_ADDRESSES=10.99.0.1; LUARTC_LOG=info run_driver firefox-mdns 90 --peer firefox --mdns on
else
  echo "skip firefox/*: firefox-esr missing"; skipped=$((skipped + 1))
fi
if /usr/bin/python3 -c 'import aiortc' 2>/dev/null; then
  export INTEROP_ADDRESSES=127.0.0.1; LUARTC_LOG=info run_driver aiortc 420 --peer aiortc
else
  echo "skip aiortc/*: python3-aiortc missing"; skipped=$((skipped + 1))
fi
# GStreamer webrtcbin (RSA certificate, OpenSSL DTLS): libnice gathers on every
# non-loopback interface (v0 and v1), so luartc gathers on 10.99.0.1 as well.
if /usr/bin/python3 -c 'import gi; gi.require_version("GstWebRTC", "1.0")' 2>/dev/null; then
  export INTEROP_ADDRESSES=10.99.0.1; LUARTC_LOG=info run_driver gstreamer 300 --peer gstreamer
else
  echo "skip gstreamer/*: python3-gst-1.0 or gstreamer1.0-plugins-bad missing"; skipped=$((skipped + 1))
fi
# issue 9: Chromium, aiortc and GStreamer publish at once to examples/whip-recorder.lua
export INTEROP_ADDRESSES=10.99.0.1; LUARTC_LOG=info DRIVER=whip_record.mjs run_driver whip-record 200
result
[ "$failed" = 0 ]
