#!/usr/bin/env bash
# Resilience over a real kernel network between two luartc processes, with the link
# impaired in userspace (this kernel has no sch_netem): namespaces this script makes
# and removes, nothing leaves them.
#
#   ns A: 10.77.1.2 (a0) --- ra 10.77.1.1 [ns R] 10.77.2.1 rb --- (b0) 10.77.2.2 :ns B
#
# In R, whatever arrives from ra or rb is policy-routed (table 100) into tun0, where
# tests/net/netem.c reads each packet and writes it back after loss, delay, jitter or
# a cut; packets coming out of tun0 take the main table to their veth. The driver peer
# (tests/net/resil_peer.lua, in A) sets the impairment through netem's control fifo and
# checks what both peers saw; the other peer (in B) answers and verifies every byte.
#
# Env: RESIL_LOSSY_BYTES (default 512 KiB; tests/run_all.sh runs the issue's 16 MiB in the
#      background as a suite of its own),
#      RESIL_ONLY=clean,lossy,cut8,move,switch,switchb,cut40 (a subset), RESIL_LOGDIR (keep logs).
# switch, switchb (need coturn, skipped without): a TURN server in R besides the direct
# path; the direct path dies and comes back, no restartIce (switchb: B controls ICE).
# Prints "RESULT passed=N failed=N". Needs root, iproute2, a C compiler, /dev/net/tun.
BUILD=${1:-build}
cd "$(dirname "$0")/../.." || exit 1
. tests/net/netns.sh
passed=0; failed=0
result() { echo "RESULT passed=$passed failed=$failed"; }
for need in ip cc ping; do
  if [ "$(id -u)" != 0 ] || ! command -v $need >/dev/null || [ ! -c /dev/net/tun ]; then
    echo "skip resilience: needs root, iproute2, cc, ping and /dev/net/tun (missing: $need or root)"
    result; exit 0
  fi
done
RUNNER="$BUILD/luartc"
[ -x "$RUNNER" ] || { echo "resilience: $RUNNER not built"; failed=1; result; exit 1; }
P=luartc-resil-$$
LOG=${RESIL_LOGDIR:-/tmp/luartc-resil-$$}
mkdir -p "$LOG"
NETEM_PID=

cleanup() {
  [ -n "$NETEM_PID" ] && kill "$NETEM_PID" 2>/dev/null
  for n in A B R; do netns_del "$P-$n"; done
  [ "$failed" = 0 ] && [ -z "$RESIL_LOGDIR" ] && rm -rf "$LOG"
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM
netns_reap luartc-resil # namespaces of a run that was killed

ok() { echo "ok   $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1"; failed=$((failed + 1)); }

cc -O2 -Wall -Wextra -o "$LOG/netem" tests/net/netem.c || { fail "netem does not build"; result; exit 1; }

set -e
for n in A B R; do ip netns add "$P-$n"; ip netns exec "$P-$n" ip link set lo up; done
NA="ip netns exec $P-A"; NB="ip netns exec $P-B"; NR="ip netns exec $P-R"
ip link add a0 netns "$P-A" type veth peer name ra netns "$P-R"
ip link add b0 netns "$P-B" type veth peer name rb netns "$P-R"
$NA ip addr add 10.77.1.2/24 dev a0
$NB ip addr add 10.77.2.2/24 dev b0
$NR ip addr add 10.77.1.1/24 dev ra
$NR ip addr add 10.77.2.1/24 dev rb
for x in "$NA ip link set a0 up" "$NB ip link set b0 up" "$NR ip link set ra up" "$NR ip link set rb up"; do $x; done
$NA ip route add default via 10.77.1.1
$NB ip route add default via 10.77.2.1
# Removing A's first address must keep the one added for the move (a secondary).
$NA sysctl -qw net.ipv4.conf.a0.promote_secondaries=1
$NR ip tuntap add dev tun0 mode tun
$NR ip link set tun0 up
$NR sysctl -qw net.ipv4.ip_forward=1
for i in all default ra rb tun0; do $NR sysctl -qw "net.ipv4.conf.$i.rp_filter=0"; done
$NR ip route add default dev tun0 table 100
$NR ip rule add iif ra lookup 100 pref 100
$NR ip rule add iif rb lookup 100 pref 101
set +e

FIFO=$LOG/netem.ctl
rm -f "$FIFO"; mkfifo "$FIFO"
$NR "$LOG/netem" tun0 "$FIFO" "$$" >"$LOG/netem.log" 2>&1 &
NETEM_PID=$!
for _ in $(seq 50); do grep -q ready "$LOG/netem.log" && break; sleep 0.1; done
netem() { echo "$*" >"$FIFO"; }
netem_stats() { # the counters line printed after "stats"
  local before; before=$(grep -c '^netem in=' "$LOG/netem.log")
  netem stats
  for _ in $(seq 50); do
    [ "$(grep -c '^netem in=' "$LOG/netem.log")" -gt "$before" ] && break; sleep 0.05
  done
  grep '^netem in=' "$LOG/netem.log" | tail -1
}
rtt() { # mean ping RTT in ms from A to B
  $NA ping -n -q -c "$1" -i 0.05 -W 2 10.77.2.2 2>/dev/null | sed -n 's/.* = [0-9.]*\/\([0-9.]*\)\/.*/\1/p'
}
loss() { # ping loss %
  $NA ping -n -q -c "$1" -i 0.02 -W 1 10.77.2.2 2>/dev/null | sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p'
}

within() { awk -v x="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(x >= lo && x <= hi) }'; }

# The impairment itself, seen by ping.
r0=$(rtt 5)
in0=$(netem_stats | sed -n 's/.* in=\([0-9]*\).*/\1/p')
if [ -n "$r0" ] && within "$r0" 0 50 && [ "${in0:-0}" -gt 0 ]; then
  ok "ping A->B through netem: rtt ${r0} ms, $in0 packets went through tun0"
else
  fail "ping A->B through netem (rtt '${r0}', tun0 packets '${in0}')"
fi
netem delay=50
r1=$(rtt 5)
if [ -n "$r1" ] && within "$r1" 100 160; then
  ok "netem delay=50 each way: ping rtt ${r1} ms"
else
  fail "netem delay=50 each way: ping rtt '${r1}' ms, want 100..160"
fi
netem delay=0 loss=30
l=$(loss 200)
# Two crossings (request and reply) at 30%: 51% expected; 200 pings: +-10.
if [ -n "$l" ] && within "$l" 38 64; then
  ok "netem loss=30 each way: ping loss ${l}% (51% expected)"
else
  fail "netem loss=30 each way: ping loss '${l}'%, want 38..64"
fi
netem loss=0 cut=1
l=$(loss 20)
[ "$l" = 100 ] && ok "netem cut: ping loss 100%" || fail "netem cut: ping loss '${l}'%"
netem cut=0

scenario() { # mode [bytes]: B in ns B, the driver A in ns A; adds A's ok/FAIL lines
  local mode=$1 bytes=${2:-0} d=$LOG/$1 t0=$SECONDS
  local addr=10.77.1.2 limit=$((150 + bytes / 4000))
  [ "$mode" = move ] && addr=auto # A gathers its interfaces, again at the restart
  local ta=() tb=() boffer=
  case $mode in switch*) ta=(RESIL_TURN=turn:10.77.1.1:3478); tb=(RESIL_TURN=turn:10.77.2.1:3478) ;; esac
  [ "$mode" = switchb ] && boffer=offer
  mkdir -p "$d"
  $NB timeout -k 5 "$limit" env -u LUARTC_GATHER_ADDRESSES "${tb[@]}" LUARTC_BUILD="$BUILD" "$RUNNER" \
    tests/net/resil_peer.lua B "$d" 10.77.2.2 $boffer >"$d/B.out" 2>&1 &
  local bpid=$!
  $NA timeout -k 5 "$limit" env -u LUARTC_GATHER_ADDRESSES "${ta[@]}" LUARTC_BUILD="$BUILD" "$RUNNER" \
    tests/net/resil_peer.lua A "$d" "$mode" "$FIFO" "$addr" "$bytes" >"$d/A.out" 2>&1
  local rc=$?
  wait "$bpid"
  grep -E '^(ok|FAIL|figure) ' "$d/A.out"
  local p f
  p=$(grep -c '^ok ' "$d/A.out"); f=$(grep -c '^FAIL ' "$d/A.out")
  passed=$((passed + p)); failed=$((failed + f))
  if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
    echo "FAIL $mode: the driver exited with $rc"; failed=$((failed + 1))
  fi
  if [ "$rc" != 0 ] || [ "$f" != 0 ]; then
    sed 's/^/  A| /' "$d/A.out" | tail -30; sed 's/^/  B| /' "$d/B.out" | tail -20
  fi
  echo "figure $mode test_seconds=$((SECONDS - t0))"
}
want() { [ -z "$RESIL_ONLY" ] || [[ ",$RESIL_ONLY," == *",$1,"* ]]; }

want clean && scenario clean $((4 * 1024 * 1024))
if want lossy; then
  netem_stats >/dev/null
  before=$(netem_stats)
  scenario lossy "${RESIL_LOSSY_BYTES:-524288}"
  after=$(netem_stats)
  field() { echo "$1" | sed -n "s/.* $2=\([0-9]*\).*/\1/p"; }
  lost=$(( $(field "$after" lost) - $(field "$before" lost) ))
  reord=$(( $(field "$after" reordered) - $(field "$before" reordered) ))
  through=$(( $(field "$after" in) - $(field "$before" in) ))
  if [ "$lost" -gt 0 ] && [ "$reord" -gt 0 ]; then
    ok "lossy: netem lost $lost and reordered $reord of $through packets during the transfer"
  else
    fail "lossy: netem lost $lost and reordered $reord of $through packets (want both > 0)"
  fi
fi
want cut8 && scenario cut8
if want move; then
  scenario move
  # A's first address back for what follows.
  $NA ip addr add 10.77.1.2/24 dev a0 2>/dev/null
  $NA ip addr del 10.77.1.3/24 dev a0 2>/dev/null
  $NA ip route replace default via 10.77.1.1
fi
if want switch || want switchb; then
  if command -v turnserver >/dev/null; then
    # coturn in R (static user, no config file): its traffic to and from R's own
    # addresses is delivered locally, never through tun0.
    $NR turnserver -n --no-cli --no-tls --no-dtls --listening-ip 10.77.1.1 --listening-ip 10.77.2.1 \
      --relay-ip 10.77.2.1 --listening-port 3478 --lt-cred-mech --user u:p --realm test \
      --min-port 49152 --max-port 49999 --no-stdout-log --log-file "$LOG/coturn.log" --simple-log \
      --pidfile "$LOG/coturn.pid" >/dev/null 2>&1 &
    disown
    for _ in $(seq 50); do $NR ss -lun | grep -q '10.77.2.1:3478' && break; sleep 0.1; done
    want switch && scenario switch
    want switchb && scenario switchb
  else
    echo "skip switch, switchb: no turnserver (coturn)"
  fi
fi
want cut40 && scenario cut40

result
[ "$failed" = 0 ]
