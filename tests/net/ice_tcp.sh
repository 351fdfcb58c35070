#!/usr/bin/env bash
# ICE-TCP (RFC 6544) where UDP is blocked, in a network namespace this script makes and
# removes: nftables drops every UDP datagram in it (counted), so the two luartc peers of
# tests/net/ice_tcp.lua can only meet over TCP. Prints "RESULT passed=N failed=N".
# Needs root, iproute2 and nft. Usage: tests/net/ice_tcp.sh [build dir]
BUILD=${1:-build}
cd "$(dirname "$0")/../.." || exit 1
if [ "$(id -u)" != 0 ] || ! command -v nft >/dev/null || ! command -v ip >/dev/null; then
  echo "skip ice-tcp: needs root, iproute2 and nftables"; echo "RESULT passed=0 failed=0"; exit 0
fi
NS=luartc-icetcp-$$
cleanup() {
  for p in $(ip netns pids "$NS" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
  ip netns del "$NS" 2>/dev/null
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM
ip netns add "$NS" || { echo "RESULT passed=0 failed=1"; exit 1; }
X="ip netns exec $NS"
$X ip link set lo up
$X nft -f - <<'NFT'
table inet icetcp {
  counter udp_dropped {}
  chain out { type filter hook output priority 0; meta l4proto udp counter name udp_dropped drop; }
}
NFT
out=$(mktemp)
$X timeout -k 5 120 env LUARTC_BUILD="$BUILD" "$BUILD/luartc" tests/net/ice_tcp.lua 2>&1 | tee "$out"
line=$(grep '^RESULT' "$out" | tail -1)
p=$(echo "$line" | sed -n 's/.*passed=\([0-9]*\).*/\1/p'); p=${p:-0}
f=$(echo "$line" | sed -n 's/.*failed=\([0-9]*\).*/\1/p'); f=${f:-1}
# The peers did try UDP first (their host candidates), and it was dropped.
drops=$($X nft list counter inet icetcp udp_dropped | sed -n 's/.*packets \([0-9]*\).*/\1/p')
if [ "${drops:-0}" -gt 0 ]; then
  echo "ok   UDP was tried and dropped ($drops datagrams)"; p=$((p + 1))
else
  echo "FAIL no UDP datagram was dropped: the test did not block anything"; f=$((f + 1))
fi
rm -f "$out"
echo "RESULT passed=$p failed=$f"
[ "$f" = 0 ]
