#!/usr/bin/env bash
# Packaging: `luarocks make` of the scm rockspec into a temporary tree, then a script
# in another directory, with plain luajit and only that tree on its paths, opens a
# data channel between two peer connections. Prints "RESULT passed=N failed=M".
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd)
passed=0; failed=0
result() { echo "RESULT passed=$passed failed=$failed"; [ "$failed" = 0 ]; }
if ! command -v luarocks >/dev/null; then
  echo "FAIL pkg: luarocks is not installed (tools/deps.sh installs it)"; failed=1; result; exit 1
fi
tree=$(mktemp -d /tmp/luartc-rocks.XXXXXX)
work=$(mktemp -d /tmp/luartc-pkg.XXXXXX)
trap 'rm -rf "$tree" "$work"' EXIT
# A build directory of its own, so the rock is built from the rockspec's rules alone.
# --deps-mode=none: luv comes from Debian (lua-luv) here; a user's luarocks fetches it.
if BUILD="$work/build" luarocks --lua-version=5.1 --tree "$tree" make --deps-mode=none \
  luartc-scm-1.rockspec >"$work/make.log" 2>&1; then
  echo "ok   luarocks make luartc-scm-1.rockspec"; passed=$((passed + 1))
else
  echo "FAIL luarocks make luartc-scm-1.rockspec:"; tail -20 "$work/make.log"; failed=$((failed + 1))
  result; exit 1
fi
missing=""
for f in lua/rtc/*.lua; do
  [ -f "$tree/share/lua/5.1/rtc/$(basename "$f")" ] || missing="$missing $f"
done
if [ -z "$missing" ] && [ -f "$tree/lib/lua/5.1/rtc/core.so" ] && [ -x "$tree/bin/luartc" ]; then
  echo "ok   the rock installs every lua/rtc file, rtc/core.so and the runner"; passed=$((passed + 1))
else
  echo "FAIL the rock misses:$missing $(ls -R "$tree" | head -30)"; failed=$((failed + 1))
fi
cat >"$work/dc.lua" <<'LUA'
local rtc = require "rtc"
local cfg = { gatherAddresses = { "127.0.0.1" } }
local a, b = rtc.RTCPeerConnection(cfg), rtc.RTCPeerConnection(cfg)
a.onicecandidate = function(ev) b:addIceCandidate(ev.candidate) end
b.onicecandidate = function(ev) a:addIceCandidate(ev.candidate) end
b.ondatachannel = function(ev)
  ev.channel.onmessage = function(m) ev.channel:send("echo: " .. m.data) end
end
local dc = a:createDataChannel("chat")
dc.onopen = function() dc:send("hello") end
dc.onmessage = function(m) print(m.data); a:close(); b:close() end
rtc.spawn(function()
  local offer = a:createOffer()
  a:setLocalDescription(offer); b:setRemoteDescription(offer)
  local answer = b:createAnswer()
  b:setLocalDescription(answer); a:setRemoteDescription(answer)
end)
rtc.run()
LUA
# Only the rock's tree (and Debian's luv) on the paths, from a directory that is not the checkout.
paths="LUA_PATH=$tree/share/lua/5.1/?.lua;$tree/share/lua/5.1/?/init.lua;; LUA_CPATH=$tree/lib/lua/5.1/?.so;;"
out=$(cd "$work" && env $paths timeout 30 luajit dc.lua 2>&1)
if [ "$out" = "echo: hello" ]; then
  echo "ok   plain luajit with require \"rtc\" from the rock opens a data channel"; passed=$((passed + 1))
else
  echo "FAIL plain luajit from the rock: $out"; failed=$((failed + 1))
fi
out=$(cd "$work" && timeout 30 "$tree/bin/luartc" dc.lua 2>&1)
if [ "$out" = "echo: hello" ]; then
  echo "ok   the installed runner finds rtc in its own tree"; passed=$((passed + 1))
else
  echo "FAIL installed runner: $out"; failed=$((failed + 1))
fi
result
