#!/usr/bin/env bash
# Network tests against a real STUN/TURN server (coturn) in network namespaces this
# script makes and removes (nothing leaves them):
#
#   ns pub:  coturn on 10.98.0.2 (and 127.0.0.1), a bridge br0 for the routers
#   ns natA: 10.98.0.11 on br0 side, 10.98.1.1 towards A, masquerade (a NAT)
#   ns A:    a client at 10.98.1.2 behind natA
#
# coturn runs with static users on the command line (no config file, no database).
# Prints "RESULT passed=N failed=N skipped=N". Needs root, iproute2, nft, turnserver.
BUILD=${1:-build}
cd "$(dirname "$0")/../.." || exit 1
. tests/net/netns.sh
passed=0; failed=0; skipped=0
result() { echo "RESULT passed=$passed failed=$failed skipped=$skipped"; }
for need in ip nft turnserver; do
  if [ "$(id -u)" != 0 ] || ! command -v $need >/dev/null; then
    echo "skip net: needs root, iproute2, nftables and coturn (missing: $need or root)"
    skipped=1; result; exit 0
  fi
done
RUNNER="$BUILD/luartc"
[ -x "$RUNNER" ] || { echo "net: $RUNNER not built"; failed=1; result; exit 1; }
P=luartc-net-$$
LOG=${NET_LOGDIR:-/tmp/luartc-net-$$}
mkdir -p "$LOG"

cleanup() {
  for n in pub natA A; do netns_del "$P-$n"; done
  # logs stay only when something failed (or NET_LOGDIR was given)
  [ "$failed" = 0 ] && [ -z "$NET_LOGDIR" ] && rm -rf "$LOG"
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM
netns_reap luartc-net # namespaces of a run that was killed

set -e
for n in pub natA A; do ip netns add "$P-$n"; ip netns exec "$P-$n" ip link set lo up; done
PUB="ip netns exec $P-pub"; NATA="ip netns exec $P-natA"; NA="ip netns exec $P-A"
$PUB ip link add br0 type bridge
$PUB ip addr add 10.98.0.2/24 dev br0
$PUB ip link set br0 up
# natA: public leg on the bridge, private leg towards A
ip link add pa0 netns "$P-natA" type veth peer name pa1 netns "$P-pub"
$PUB ip link set pa1 master br0
$PUB ip link set pa1 up
$NATA ip addr add 10.98.0.11/24 dev pa0
$NATA ip link set pa0 up
ip link add la0 netns "$P-natA" type veth peer name la1 netns "$P-A"
$NATA ip addr add 10.98.1.1/24 dev la0
$NATA ip link set la0 up
$NA ip addr add 10.98.1.2/24 dev la1
$NA ip link set la1 up
$NA ip route add default via 10.98.1.1
$NATA sysctl -qw net.ipv4.ip_forward=1
$NATA nft -f - <<'NFT'
table ip nat {
  chain post { type nat hook postrouting priority 100; oifname "pa0" masquerade; }
}
NFT
set +e

# coturn: UDP/TCP on 3478, no TLS (the TLS suites make their own), static users.
$PUB turnserver -n --no-cli --no-tls --no-dtls --listening-ip 10.98.0.2 --listening-ip 127.0.0.1 \
  --relay-ip 10.98.0.2 --listening-port 3478 --lt-cred-mech --user u:p --realm test \
  --min-port 49152 --max-port 49999 --no-stdout-log --log-file "$LOG/coturn.log" --simple-log \
  --pidfile "$LOG/coturn.pid" >/dev/null 2>&1 &
disown
for _ in $(seq 50); do $PUB ss -lun | grep -q '10.98.0.2:3478' && break; sleep 0.1; done

check() { # name, condition output file, expected-regex [, must-not-regex]
  local name=$1 out=$2 want=$3 not=$4
  if grep -Eq "$want" "$out" && { [ -z "$not" ] || ! grep -Eq "$not" "$out"; }; then
    echo "ok   $name"; passed=$((passed + 1))
  else
    echo "FAIL $name (want /$want/${not:+, not /$not/})"; sed 's/^/  | /' "$out"; failed=$((failed + 1))
  fi
}
gather() { # ns-exec-prefix output args...
  local x=$1 out=$2; shift 2
  $x timeout -k 5 40 env LUARTC_BUILD="$BUILD" "$RUNNER" tests/net/gather.lua "$@" >"$out" 2>&1
}

o=$LOG/srflx.out
gather "$NA" "$o" 10.98.1.2 stun:10.98.0.2:3478
check "srflx candidate behind a NAT (STUN Binding, raddr/rport = host)" "$o" \
  'typ srflx raddr 10\.98\.1\.2 rport [0-9]+' 'error '
check "srflx address is the NAT's public address" "$o" 'cand candidate:[0-9]+ 1 udp [0-9]+ 10\.98\.0\.11 [0-9]+ typ srflx'

o=$LOG/turn-srflx.out
gather "$NA" "$o" 10.98.1.2 'turn:10.98.0.2:3478?transport=udp' u p
check "srflx through a turn: URL" "$o" 'typ srflx raddr 10\.98\.1\.2'

o=$LOG/nonat.out
gather "$PUB" "$o" 127.0.0.1 stun:localhost:3478
check "no NAT: no srflx (redundant with host), name resolved on the loop" "$o" '^complete' 'typ srflx|error '

o=$LOG/dead.out
gather "$NA" "$o" 10.98.1.2 stun:10.98.0.2:3999,stun:10.98.0.2:3478
check "unreachable STUN server: icecandidateerror 701 with url/address/port" "$o" \
  '^error stun:10\.98\.0\.2:3999 701 10\.98\.1\.2 [0-9]+ '
check "the other server still gives its srflx" "$o" 'typ srflx'

# ICE-TCP with UDP blocked (a namespace of its own): tests/net/ice_tcp.sh.
o=$LOG/ice-tcp.out
bash tests/net/ice_tcp.sh "$BUILD" >"$o" 2>&1
line=$(grep '^RESULT' "$o" | tail -1)
p=$(echo "$line" | sed -n 's/.*passed=\([0-9]*\).*/\1/p'); f=$(echo "$line" | sed -n 's/.*failed=\([0-9]*\).*/\1/p')
grep -E '^(ok|FAIL) ' "$o"
passed=$((passed + ${p:-0})); failed=$((failed + ${f:-1}))
[ "${f:-1}" = 0 ] || sed 's/^/  | /' "$o" | tail -40

# Consent freshness, lossy links and an ICE restart after an address change, between
# two luartc processes through a userspace impairment: tests/net/resilience.sh.
o=$LOG/resilience.out
bash tests/net/resilience.sh "$BUILD" >"$o" 2>&1
line=$(grep '^RESULT' "$o" | tail -1)
p=$(echo "$line" | sed -n 's/.*passed=\([0-9]*\).*/\1/p'); f=$(echo "$line" | sed -n 's/.*failed=\([0-9]*\).*/\1/p')
grep -E '^(ok|FAIL|figure) ' "$o"
passed=$((passed + ${p:-0})); failed=$((failed + ${f:-1}))
[ "${f:-1}" = 0 ] || sed 's/^/  | /' "$o" | tail -60

result
[ "$failed" = 0 ]
