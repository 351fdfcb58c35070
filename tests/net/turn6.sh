#!/usr/bin/env bash
# IPv6 and dual-stack TURN (RFC 8656 address families) against a real coturn, in
# network namespaces this script makes and removes (nothing leaves them):
#
#   ns pub:   coturn on 10.98.0.2 and fd98::2 (relaying both families), bridge br0
#   ns natA:  10.98.0.11 / fd98::11 on br0, 10.98.1.1 / fd98:1::1 towards A;
#             masquerade for IPv4 and IPv6 (NAT66, so STUN over IPv6 has a mapping)
#   ns natB:  10.98.0.12 / fd98::12 on br0, 10.98.2.1 / fd98:2::1 towards B
#   ns A, B:  luartc peers at 10.98.1.2 / fd98:1::2 and 10.98.2.2 / fd98:2::2
#
# As in turn.sh, each NAT forwards its client's traffic to coturn only and drops
# unsolicited datagrams: the peers meet through relayed candidates or not at all.
# Every allocation asks for both families (RFC 8656 dual allocation; coturn knows the
# draft's codepoint). The server is reached at [fd98::2] over UDP and TCP, as
# turn6.test (A + AAAA records) over UDP and TLS. Also here: IPv6 host candidates
# between two peers on ::1 and on a ULA address, and server-reflexive candidates over
# IPv6 STUN (NAT66).
# Prints "RESULT passed=N failed=N skipped=N". Needs root, iproute2, nft, turnserver.
BUILD=${1:-build}
cd "$(dirname "$0")/../.." || exit 1
. tests/net/netns.sh
passed=0; failed=0; skipped=0
result() { echo "RESULT passed=$passed failed=$failed skipped=$skipped"; }
for need in ip nft turnserver openssl; do
  if [ "$(id -u)" != 0 ] || ! command -v $need >/dev/null; then
    echo "skip turn6: needs root, iproute2, nftables and coturn (missing: $need or root)"
    skipped=1; result; exit 0
  fi
done
RUNNER="$BUILD/luartc"
[ -x "$RUNNER" ] || { echo "turn6: $RUNNER not built"; failed=1; result; exit 1; }
P=luartc-turn6-$$
NSS="pub natA natB A B"
LOG=${NET_LOGDIR:-/tmp/luartc-turn6-$$}
mkdir -p "$LOG"

cleanup() {
  for n in $NSS; do netns_del "$P-$n"; done
  [ "$failed" = 0 ] && [ -z "$NET_LOGDIR" ] && rm -rf "$LOG"
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM
netns_reap luartc-turn6 # namespaces of a run that was killed

set -e
for n in $NSS; do
  ip netns add "$P-$n"
  ip netns exec "$P-$n" ip link set lo up
  ip netns exec "$P-$n" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
done
PUB="ip netns exec $P-pub"; NA="ip netns exec $P-A"; NB="ip netns exec $P-B"
$PUB ip link add br0 type bridge
$PUB ip addr add 10.98.0.2/24 dev br0
$PUB ip -6 addr add fd98::2/64 dev br0 nodad
$PUB ip link set br0 up
nat() { # name host-part private-net(X) client-ns
  local x="ip netns exec $P-$1" h=$2 i=$3
  ip link add p$i netns "$P-$1" type veth peer name q$i netns "$P-pub"
  $PUB ip link set q$i master br0
  $PUB ip link set q$i up
  $x ip addr add "10.98.0.$h/24" dev p$i
  $x ip -6 addr add "fd98::$h/64" dev p$i nodad
  $x ip link set p$i up
  ip link add l$i netns "$P-$1" type veth peer name c$i netns "$P-$4"
  $x ip addr add 10.98.$i.1/24 dev l$i
  $x ip -6 addr add fd98:$i::1/64 dev l$i nodad
  $x ip link set l$i up
  local c="ip netns exec $P-$4"
  $c ip addr add 10.98.$i.2/24 dev c$i
  $c ip -6 addr add fd98:$i::2/64 dev c$i nodad
  $c ip link set c$i up
  $c ip route add default via 10.98.$i.1
  $c ip -6 route add default via fd98:$i::1
  $x sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
  $x nft -f - <<NFT
table ip nat {
  chain post { type nat hook postrouting priority 100; oifname "p$i" masquerade; }
}
table ip6 nat {
  chain post { type nat hook postrouting priority 100; oifname "p$i" masquerade; }
}
table inet filter {
  chain filt {
    type filter hook forward priority 0;
    iifname "l$i" meta nfproto ipv4 ip daddr != 10.98.0.2 drop;
    iifname "l$i" meta nfproto ipv6 ip6 daddr != fd98::2 drop;
    iifname "p$i" ct state new drop;
  }
  chain inp { type filter hook input priority 0; iifname "p$i" meta l4proto udp drop; }
}
NFT
}
nat natA 11 1 A
nat natB 12 2 B
$PUB ip route add 10.98.1.0/24 via 10.98.0.11
$PUB ip route add 10.98.2.0/24 via 10.98.0.12
$PUB ip -6 route add fd98:1::/64 via fd98::11
$PUB ip -6 route add fd98:2::/64 via fd98::12
set +e
# "turn6.test" has an A and an AAAA record in the peers' namespaces (ip netns exec
# mounts /etc/netns/<ns>/hosts over /etc/hosts; removed with the namespaces).
for n in A B; do
  mkdir -p "/etc/netns/$P-$n"
  printf '10.98.0.2 turn6.test\nfd98::2 turn6.test\n' >"/etc/netns/$P-$n/hosts"
done

# TLS: a CA made here signs coturn's certificate for turn6.test (as in turn.sh).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=luartc-test-ca \
  -keyout "$LOG/ca.key" -out "$LOG/ca.pem" >/dev/null 2>&1
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=turn6.test \
  -keyout "$LOG/turn.key" -out "$LOG/turn.csr" >/dev/null 2>&1
printf 'subjectAltName=DNS:turn6.test\n' >"$LOG/san.ext"
openssl x509 -req -in "$LOG/turn.csr" -CA "$LOG/ca.pem" -CAkey "$LOG/ca.key" -CAcreateserial -days 2 \
  -extfile "$LOG/san.ext" -out "$LOG/turn.pem" >/dev/null 2>&1

$PUB turnserver -n -v --no-cli --no-dtls --listening-ip 10.98.0.2 --listening-ip fd98::2 \
  --relay-ip 10.98.0.2 --relay-ip fd98::2 --listening-port 3478 --tls-listening-port 5349 \
  --cert "$LOG/turn.pem" --pkey "$LOG/turn.key" --lt-cred-mech --user u:p --realm test \
  --min-port 49152 --max-port 49999 --no-stdout-log --log-file "$LOG/coturn.log" --simple-log \
  --pidfile "$LOG/coturn.pid" >/dev/null 2>&1 &
disown
# A second coturn that relays IPv6 only (on 3490: the first one also answers on 3479,
# its RFC 5780 alternate port): a dual request gets an IPv6 relayed address
# and ADDRESS-ERROR-CODE 440 for IPv4 (after coturn's 0.0.0.0:0 stand-in).
$PUB turnserver -n --no-cli --no-dtls --no-tls --listening-ip fd98::2 --relay-ip fd98::2 \
  --listening-port 3490 --lt-cred-mech --user u:p --realm test --min-port 50000 --max-port 50999 \
  --no-stdout-log --log-file "$LOG/coturn6.log" --simple-log --pidfile "$LOG/coturn6.pid" >/dev/null 2>&1 &
disown
for _ in $(seq 50); do $PUB ss -lun | grep -q '\[fd98::2\]:3490' && break; sleep 0.1; done
for _ in $(seq 50); do $PUB ss -ltn | grep -q '\[fd98::2\]:5349' && break; sleep 0.1; done

check() { # name, output file, expected-regex [, must-not-regex]
  local name=$1 out=$2 want=$3 not=$4
  if grep -Eq "$want" "$out" && { [ -z "$not" ] || ! grep -Eq "$not" "$out"; }; then
    echo "ok   $name"; passed=$((passed + 1))
  else
    echo "FAIL $name (want /$want/${not:+, not /$not/})"; sed 's/^/  | /' "$out"; failed=$((failed + 1))
  fi
}
# tag nsA addrA policyA urlA nsB addrB policyB urlB bytes
pair() {
  local d=$LOG/$1; mkdir -p "$d"
  ip netns exec "$P-$2" timeout -k 5 60 env LUARTC_BUILD="$BUILD" "$RUNNER" tests/net/relay_peer.lua \
    offer "$d" "$3" "$4" "$5" u p "${10}" >"$d/A.out" 2>&1 &
  local a=$!
  ip netns exec "$P-$6" timeout -k 5 60 env LUARTC_BUILD="$BUILD" "$RUNNER" tests/net/relay_peer.lua \
    answer "$d" "$7" "$8" "$9" u p "${10}" >"$d/B.out" 2>&1
  wait $a
}
T6='turn:[fd98::2]:3478?transport=udp'
T4='turn:10.98.0.2:3478?transport=udp'
MiB=1048576

# 1. Relay-only, both peers on IPv6 only, through the coturn that relays IPv6 only.
pair v6 A fd98:1::2 relay 'turn:[fd98::2]:3490' B fd98:2::2 relay 'turn:[fd98::2]:3490' $MiB
o=$LOG/v6
check "TURN over IPv6 ([fd98::2]): an IPv6 relayed candidate (raddr = the NAT66 mapping)" "$o/A.out" \
  'cand candidate:[0-9]+ 1 udp [0-9]+ fd98::2 [0-9]+ typ relay raddr fd98::11 rport [0-9]+'
check "dual request half granted (IPv6-only relay, 440 for IPv4): no IPv4 relay, no error" \
  "$o/A.out" 'typ relay' '^error | 10\.98\.0\.2 [0-9]+ typ relay'
check "IPv6 relay-only: no host/srflx candidates" "$o/B.out" 'typ relay' 'typ (host|srflx)'
check "IPv6 relay-only: 1 MiB A->B intact" "$o/B.out" "^recv-ok $MiB\$"
check "IPv6 relay-only: 1 MiB B->A intact" "$o/A.out" "^recv-ok $MiB\$"
check "IPv6 relay-only: the selected pair runs relay to relay over IPv6 (fd98::2 both ends)" \
  "$o/A.out" '^pair fd98::2 fd98::2$'

# 2. Dual stack: A has IPv6 only, B IPv4 only (and talks to coturn over IPv4). They
#    share no address family but through the relay: B's allocation brings an IPv6
#    relayed address, A's an IPv4 one.
pair mixed A fd98:1::2 all "$T6" B 10.98.2.2 all "$T4" $MiB
o=$LOG/mixed
check "IPv4-only peer: its dual allocation over IPv4 offers an IPv6 relayed candidate" "$o/B.out" \
  'cand candidate:[0-9]+ 1 udp [0-9]+ fd98::2 [0-9]+ typ relay raddr 10\.98\.0\.12 '
check "IPv6-only <-> IPv4-only through the dual-stack relay: 1 MiB A->B" "$o/B.out" "^recv-ok $MiB\$"
check "... and 1 MiB B->A" "$o/A.out" "^recv-ok $MiB\$"
cat "$o/A.out" "$o/B.out" >"$o/both.out"
check "... over a relayed candidate (stats of the selected pair, either side)" "$o/both.out" \
  '^stats relay udp (fd98::2|10\.98\.0\.2)$'

# 3. Relay-only with both families on both peers: each offers relays of both families.
#    A names the server: its A record serves A's IPv4 socket, its AAAA record the IPv6
#    one; each allocation asks for its own family (REQUESTED-ADDRESS-FAMILY IPv6 over
#    IPv6): one relayed candidate per family, not a dual allocation's two from each.
pair dual A 10.98.1.2,fd98:1::2 relay 'turn:turn6.test:3478' B 10.98.2.2,fd98:2::2 relay "$T6" $MiB
o=$LOG/dual
check "a name with A and AAAA records: an allocation over IPv6 (raddr = the NAT66 mapping)" \
  "$o/A.out" ' typ relay raddr fd98::11 '
check "... and one over IPv4 (raddr = the NAT44 mapping)" "$o/A.out" ' typ relay raddr 10\.98\.0\.11'
grep -c ' typ relay ' "$o/A.out" >"$o/nrelay"
check "... the IPv6 relayed address over IPv6, the IPv4 one over IPv4, no duplicates (2 relayed)" \
  "$o/nrelay" '^2$'
check "... the IPv6 one from the allocation over IPv6" "$o/A.out" ' fd98::2 [0-9]+ typ relay raddr fd98::11 '
check "dual-stack peers, relay-only: 1 MiB A->B" "$o/B.out" "^recv-ok $MiB\$"
check "dual-stack peers, relay-only: 1 MiB B->A" "$o/A.out" "^recv-ok $MiB\$"
check "dual allocation over IPv6 ([fd98::2] only): an IPv6 relayed candidate" "$o/B.out" \
  ' fd98::2 [0-9]+ typ relay raddr fd98::12 '
check "... and an IPv4 one from the same allocation" "$o/B.out" ' 10\.98\.0\.2 [0-9]+ typ relay raddr fd98::12 '

# TURN/TCP to the IPv6 address: the allocation over a TCP connection from fd98:x::2.
pair tcp6 A fd98:1::2 relay 'turn:[fd98::2]:3478?transport=tcp' B fd98:2::2 relay "$T6" 262144
o=$LOG/tcp6
check "TURN/TCP over IPv6, relay-only: 256 KiB A->B" "$o/B.out" '^recv-ok 262144$'
check "TURN/TCP over IPv6: 256 KiB B->A, relayProtocol tcp" "$o/A.out" '^stats relay tcp'

# TURN/TLS from an IPv6-only peer: the name's AAAA record, the certificate checked.
TURN_CA_FILE=$LOG/ca.pem pair tls6 A fd98:1::2 relay 'turns:turn6.test:5349' B fd98:2::2 relay "$T6" 262144
o=$LOG/tls6
check "TURN/TLS over IPv6 (turns:, AAAA, certificate verified), relay-only: 256 KiB A->B" \
  "$o/B.out" '^recv-ok 262144$'
check "TURN/TLS over IPv6: 256 KiB B->A, relayProtocol tls" "$o/A.out" '^stats relay tls'

# 4. IPv6 host candidates only: two peers on ::1, no server.
pair lo6 A ::1 all - A ::1 all - $MiB
o=$LOG/lo6
check "IPv6 host candidate on ::1" "$o/A.out" 'cand candidate:[0-9]+ 1 udp [0-9]+ ::1 [0-9]+ typ host'
check "IPv6 host-only (::1): 1 MiB A->B" "$o/B.out" "^recv-ok $MiB\$"
check "IPv6 host-only (::1): 1 MiB B->A" "$o/A.out" "^recv-ok $MiB\$"
check "IPv6 host-only (::1): the selected pair on ::1" "$o/A.out" '^pair ::1 ::1$'
# ... and on a ULA address (two peers on fd98:1::2 in A's namespace).
pair ula A fd98:1::2 all - A fd98:1::2 all - 262144
o=$LOG/ula
check "IPv6 host-only (ULA fd98:1::2): 256 KiB A->B" "$o/B.out" '^recv-ok 262144$'
check "IPv6 host-only (ULA): 256 KiB B->A" "$o/A.out" '^recv-ok 262144$'
check "IPv6 host-only (ULA): the selected pair on fd98:1::2" "$o/A.out" '^pair fd98:1::2 fd98:1::2$'

# 5. Server-reflexive over IPv6 STUN: the NAT66 mapping.
o=$LOG/srflx6.out
$NA timeout -k 5 40 env LUARTC_BUILD="$BUILD" "$RUNNER" tests/net/gather.lua fd98:1::2 \
  'stun:[fd98::2]:3478' >"$o" 2>&1
check "srflx over IPv6 STUN: address = the NAT66 mapping, raddr = host" "$o" \
  'cand candidate:[0-9]+ 1 udp [0-9]+ fd98::11 [0-9]+ typ srflx raddr fd98:1::2 rport [0-9]+' 'error '

# coturn's own account: a permission (300 s) and a channel (600 s) for an IPv6 peer.
cat "$LOG/coturn.log" "$LOG/coturn6.log" >"$LOG/coturns.log"
check "coturn installed permissions and channels for IPv6 peers" "$LOG/coturns.log" \
  'peer fd98::2 lifetime updated: 600'

result
[ "$failed" = 0 ]
