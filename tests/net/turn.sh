#!/usr/bin/env bash
# TURN (RFC 8656) against a real coturn, in network namespaces this script makes and
# removes (nothing leaves them):
#
#   ns pub:   coturn on 10.98.0.2, a bridge br0 for the two routers
#   ns natA:  10.98.0.11 on br0, 10.98.1.1 towards A; masquerade
#   ns natB:  10.98.0.12 on br0, 10.98.2.1 towards B; masquerade
#   ns A, B:  luartc peers at 10.98.1.2 and 10.98.2.2
#
# Each NAT forwards its client's traffic to coturn only: UDP between the peers (host or
# server-reflexive) is dropped, so they can only meet through relayed candidates. The
# NATs drop unsolicited datagrams silently, as most NATs do (an ICMP error back to
# coturn closes the allocation whose relay sent the datagram).
# Prints "RESULT passed=N failed=N skipped=N". Needs root, iproute2, nft, turnserver.
BUILD=${1:-build}
cd "$(dirname "$0")/../.." || exit 1
. tests/net/netns.sh
passed=0; failed=0; skipped=0
result() { echo "RESULT passed=$passed failed=$failed skipped=$skipped"; }
for need in ip nft turnserver openssl; do
  if [ "$(id -u)" != 0 ] || ! command -v $need >/dev/null; then
    echo "skip turn: needs root, iproute2, nftables and coturn (missing: $need or root)"
    skipped=1; result; exit 0
  fi
done
RUNNER="$BUILD/luartc"
[ -x "$RUNNER" ] || { echo "turn: $RUNNER not built"; failed=1; result; exit 1; }
P=luartc-turn-$$
NSS="pub natA natB A B"
LOG=${NET_LOGDIR:-/tmp/luartc-turn-$$}
mkdir -p "$LOG"

cleanup() {
  for n in $NSS; do netns_del "$P-$n"; done
  [ "$failed" = 0 ] && [ -z "$NET_LOGDIR" ] && rm -rf "$LOG"
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM
netns_reap luartc-turn # namespaces of a run that was killed

set -e
for n in $NSS; do ip netns add "$P-$n"; ip netns exec "$P-$n" ip link set lo up; done
PUB="ip netns exec $P-pub"; NA="ip netns exec $P-A"; NB="ip netns exec $P-B"
$PUB ip link add br0 type bridge
$PUB ip addr add 10.98.0.2/24 dev br0
$PUB ip link set br0 up
nat() { # name public-ip private-net(10.98.X) client-ns
  local x="ip netns exec $P-$1" i=$3
  ip link add p$i netns "$P-$1" type veth peer name q$i netns "$P-pub"
  $PUB ip link set q$i master br0
  $PUB ip link set q$i up
  $x ip addr add "$2/24" dev p$i
  $x ip link set p$i up
  ip link add l$i netns "$P-$1" type veth peer name c$i netns "$P-$4"
  $x ip addr add 10.98.$i.1/24 dev l$i
  $x ip link set l$i up
  ip netns exec "$P-$4" ip addr add 10.98.$i.2/24 dev c$i
  ip netns exec "$P-$4" ip link set c$i up
  ip netns exec "$P-$4" ip route add default via 10.98.$i.1
  $x sysctl -qw net.ipv4.ip_forward=1
  $x nft -f - <<NFT
table ip nat {
  chain post { type nat hook postrouting priority 100; oifname "p$i" masquerade; }
}
table ip filter {
  chain filt {
    type filter hook forward priority 0;
    iifname "l$i" ip daddr != 10.98.0.2 drop;
    iifname "p$i" ct state new drop;
  }
  chain inp { type filter hook input priority 0; iifname "p$i" meta l4proto udp drop; }
}
NFT
}
nat natA 10.98.0.11 1 A
nat natB 10.98.0.12 2 B
# The private networks are routed (to their NATs, which drop what nobody asked for):
# like the Internet, nothing answers a datagram that strays to a closed port.
$PUB ip route add 10.98.1.0/24 via 10.98.0.11
$PUB ip route add 10.98.2.0/24 via 10.98.0.12
set +e

# TLS: a CA made here signs coturn's certificate for "turn.test", a name the peers'
# namespaces resolve through their own hosts file (ip netns exec mounts
# /etc/netns/<ns>/hosts over /etc/hosts).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=luartc-test-ca \
  -keyout "$LOG/ca.key" -out "$LOG/ca.pem" >/dev/null 2>&1
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=turn.test \
  -keyout "$LOG/turn.key" -out "$LOG/turn.csr" >/dev/null 2>&1
printf 'subjectAltName=DNS:turn.test\n' >"$LOG/san.ext"
openssl x509 -req -in "$LOG/turn.csr" -CA "$LOG/ca.pem" -CAkey "$LOG/ca.key" -CAcreateserial -days 2 \
  -extfile "$LOG/san.ext" -out "$LOG/turn.pem" >/dev/null 2>&1
for n in A B; do mkdir -p "/etc/netns/$P-$n"; echo "10.98.0.2 turn.test" >"/etc/netns/$P-$n/hosts"; done

$PUB turnserver -n -v --no-cli --no-dtls --listening-ip 10.98.0.2 --relay-ip 10.98.0.2 \
  --listening-port 3478 --tls-listening-port 5349 --cert "$LOG/turn.pem" --pkey "$LOG/turn.key" --lt-cred-mech --user u:p --realm test --min-port 49152 --max-port 49999 \
  --no-stdout-log --log-file "$LOG/coturn.log" --simple-log --pidfile "$LOG/coturn.pid" >/dev/null 2>&1 &
disown
for _ in $(seq 50); do $PUB ss -ltn | grep -q '10.98.0.2:5349' && break; sleep 0.1; done

check() { # name, output file, expected-regex [, must-not-regex]
  local name=$1 out=$2 want=$3 not=$4
  if grep -Eq "$want" "$out" && { [ -z "$not" ] || ! grep -Eq "$not" "$out"; }; then
    echo "ok   $name"; passed=$((passed + 1))
  else
    echo "FAIL $name (want /$want/${not:+, not /$not/})"; sed 's/^/  | /' "$out"; failed=$((failed + 1))
  fi
}
pair() { # tag policyA policyB url user cred bytes  (env TURN_CA_FILE passes through)
  local d=$LOG/$1; mkdir -p "$d"
  $NA timeout -k 5 60 env ${TURN_LOG:+LUARTC_LOG=$TURN_LOG} LUARTC_BUILD="$BUILD" "$RUNNER" tests/net/relay_peer.lua offer "$d" \
    10.98.1.2 "$2" "$4" "$5" "$6" "$7" >"$d/A.out" 2>&1 &
  local a=$!
  $NB timeout -k 5 60 env ${TURN_LOG:+LUARTC_LOG=$TURN_LOG} LUARTC_BUILD="$BUILD" "$RUNNER" tests/net/relay_peer.lua answer "$d" \
    10.98.2.2 "$3" "$4" "$5" "$6" "$7" >"$d/B.out" 2>&1
  wait $a
}
TURN='turn:10.98.0.2:3478?transport=udp'

pair relay all all "$TURN" u p 1048576
o=$LOG/relay
check "A offers a relayed candidate (typ relay, raddr = its NAT mapping)" "$o/A.out" \
  'cand candidate:[0-9]+ 1 udp [0-9]+ 10\.98\.0\.2 [0-9]+ typ relay raddr 10\.98\.0\.11 rport [0-9]+'
check "UDP between the peers blocked: 1 MiB A->B through TURN, intact" "$o/B.out" '^recv-ok 1048576$'
check "... and 1 MiB B->A" "$o/A.out" '^recv-ok 1048576$'
# One side's selected local candidate is its relayed one (the other may send from its
# host socket straight to that relay).
cat "$o/A.out" "$o/B.out" >"$o/both.out"
check "a selected local candidate is relayed over UDP (stats candidateType/relayProtocol)" \
  "$o/both.out" '^stats relay udp'

pair relayonly relay relay "$TURN" u p 1048576
o=$LOG/relayonly
check "iceTransportPolicy relay: only relayed candidates offered" "$o/A.out" 'typ relay' \
  'typ (host|srflx)'
check "iceTransportPolicy relay: ... on both sides" "$o/B.out" 'typ relay' 'typ (host|srflx)'
check "relay-only peers connect: 1 MiB each way" "$o/A.out" '^recv-ok 1048576$'
check "relay-only: ... B side" "$o/B.out" '^recv-ok 1048576$'
check "relay-only: the selected local candidate is relayed (stats)" "$o/A.out" '^stats relay udp'
# Every allocation asks for IPv4 and IPv6 (RFC 8656 dual allocation); this coturn
# relays IPv4 only and says so (ADDRESS-ERROR-CODE 440): the IPv4 half serves.
check "dual allocation half granted (IPv4-only relay): no IPv6 relayed candidate, no error" \
  "$o/A.out" 'typ relay' '^error | [0-9a-f]*:[0-9a-f:]+ [0-9]+ typ relay'

o=$LOG/badcred.out
$NA timeout -k 5 40 env LUARTC_BUILD="$BUILD" "$RUNNER" tests/net/gather.lua 10.98.1.2 "$TURN" u wrong \
  >"$o" 2>&1
check "bad credentials: icecandidateerror 401 with url/address/port, gathering completes" "$o" \
  '^error turn:10\.98\.0\.2:3478\?transport=udp 401 10\.98\.1\.2 [0-9]+ '
check "bad credentials: no relayed candidate, no hang" "$o" '^complete [0-9]+$' 'typ relay'

o=$LOG/deadturn.out
$NA timeout -k 5 40 env LUARTC_BUILD="$BUILD" "$RUNNER" tests/net/gather.lua 10.98.1.2 \
  'turn:10.98.0.2:3999?transport=udp' u p >"$o" 2>&1
check "unreachable TURN server: icecandidateerror 701, gathering completes" "$o" \
  '^error turn:10\.98\.0\.2:3999\?transport=udp 701 10\.98\.1\.2 [0-9]+ ' 'typ relay'

# udpMux: eight pcs on one shared UDP socket ask one STUN server at once. Its answers all
# come from one address to one socket; the socket routes each by its transaction ID, so
# every pc gets its server-reflexive candidate (the same mapping: one socket) from its
# first request. (Routed by address, as before, all answers went to the pc that sent
# last; the others got theirs only by retransmitting: 15 or more requests.)
o=$LOG/muxstun.out
NATA="ip netns exec $P-natA"
$NATA nft -f - <<'NFT'
table ip luartc_count {
  chain c { type filter hook forward priority -10; iifname "l1" udp dport 3478 counter; }
}
NFT
$NA timeout -k 5 60 env LUARTC_BUILD="$BUILD" "$RUNNER" tests/net/gather_mux.lua 10.98.1.2 8 \
  'stun:10.98.0.2:3478' >"$o" 2>&1
reqs=$($NATA nft list table ip luartc_count | grep -o 'packets [0-9]*' | cut -d' ' -f2)
$NATA nft delete table ip luartc_count
n=$(grep -Eo '^pc[0-9]+ cand candidate:[0-9]+ 1 udp [0-9]+ 10\.98\.0\.11 [0-9]+ typ srflx raddr 10\.98\.1\.2' "$o" |
  awk '{print $1, $7}' | sort -u | wc -l)
m=$(grep -Eo '^pc[0-9]+ cand candidate:[0-9]+ 1 udp [0-9]+ 10\.98\.0\.11 [0-9]+ typ srflx' "$o" | awk '{print $7}' | sort -u | wc -l)
# A retransmission or three may happen on a loaded machine (RTO 250 ms).
if [ "$n" = 8 ] && [ "$m" = 1 ] && [ "${reqs:-99}" -le 11 ] && grep -q '^udpMuxSockets 1$' "$o" &&
  [ "$(grep -c '^pc[0-9] complete' "$o")" = 8 ]; then
  echo "ok   udpMux: 8 pcs on one shared socket each get their srflx candidate from one STUN server ($reqs requests)"
  passed=$((passed + 1))
else
  echo "FAIL udpMux + STUN: $n of 8 pcs got a srflx candidate ($m mapped ports, $reqs requests; want 8, 1, <= 11)"
  sed 's/^/  | /' "$o"; failed=$((failed + 1))
fi
# A TURN server sees one client behind a shared socket (its 5-tuple): the first pc gets
# the allocation, the others coturn refuses (437 Allocation Mismatch), and each hears
# so at once (routed by transaction ID) instead of timing out.
o=$LOG/muxturn.out
$NA timeout -k 5 60 env LUARTC_BUILD="$BUILD" "$RUNNER" tests/net/gather_mux.lua 10.98.1.2 3 \
  "$TURN" u p >"$o" 2>&1
check "udpMux + TURN/UDP: one pc of the shared socket gets a relayed candidate" "$o" \
  '^pc[0-9] cand candidate:[0-9]+ 1 udp [0-9]+ 10\.98\.0\.2 [0-9]+ typ relay'
check "udpMux + TURN/UDP: the others get icecandidateerror 437 and complete within 5 s" "$o" \
  '^pc[0-9] error turn:10\.98\.0\.2:3478\?transport=udp 437 ' '^pc[0-9] complete ([5-9][0-9]{3}|[0-9]{5,})$'

# TURN over TCP (RFC 8656 over a stream: ChannelData padded) and over TLS (turns:,
# the server's certificate checked against the test's CA given as turnCaFile).
pair tcp relay relay 'turn:10.98.0.2:3478?transport=tcp' u p 1048576
o=$LOG/tcp
check "TURN/TCP, relay-only: 1 MiB A->B intact" "$o/B.out" '^recv-ok 1048576$'
check "TURN/TCP: ... and B->A; relayProtocol tcp" "$o/A.out" '^recv-ok 1048576$'
check "TURN/TCP: relayProtocol tcp (stats)" "$o/A.out" '^stats relay tcp'

TURN_CA_FILE=$LOG/ca.pem pair tls relay relay 'turns:turn.test:5349' u p 1048576
o=$LOG/tls
check "TURN/TLS (turns:, name resolved, certificate verified), relay-only: 1 MiB A->B" "$o/B.out" \
  '^recv-ok 1048576$'
check "TURN/TLS: ... and B->A" "$o/A.out" '^recv-ok 1048576$'
check "TURN/TLS: relayProtocol tls (stats)" "$o/A.out" '^stats relay tls'

o=$LOG/tlsuntrusted.out
$NA timeout -k 5 40 env LUARTC_BUILD="$BUILD" "$RUNNER" tests/net/gather.lua 10.98.1.2 \
  'turns:turn.test:5349' u p >"$o" 2>&1
check "turns: with a certificate nobody vouches for: icecandidateerror, no relay, no hang" "$o" \
  '^error turns:turn\.test:5349 701 10\.98\.1\.2 [0-9]+ TLS' 'typ relay'
check "turns: untrusted: gathering completes" "$o" '^complete [0-9]+$'

o=$LOG/tcprefused.out
$NA timeout -k 5 40 env LUARTC_BUILD="$BUILD" "$RUNNER" tests/net/gather.lua 10.98.1.2 \
  'turn:10.98.0.2:3999?transport=tcp' u p >"$o" 2>&1
check "TURN/TCP server refusing the connection: icecandidateerror 701, gathering completes" "$o" \
  '^error turn:10\.98\.0\.2:3999\?transport=tcp 701 10\.98\.1\.2 [0-9]+ ' 'typ relay'

# Deallocation on close: coturn logs the allocation deleted by our Refresh(0).
check "allocations deleted on close (Refresh LIFETIME 0)" "$LOG/coturn.log" 'refresh.*lifetime=0|delete'

result
[ "$failed" = 0 ]
