-- hello.lua: two peers in one process, trickled candidates, a data channel, a few
-- echoed messages, and the time each step took. Run: build/luartc examples/hello.lua
local rtc = require "rtc"
local uv = require "luv"

local t0 = uv.hrtime()
local function step(what)
  io.write(string.format("%8.2f ms  %s\n", (uv.hrtime() - t0) / 1e6, what))
  io.stdout:flush()
end

-- 127.0.0.1 only, so that it runs anywhere (containers, CI, no network).
local config = { gatherAddresses = { "127.0.0.1" } }
local alice = assert(rtc.RTCPeerConnection(config))
local bob = assert(rtc.RTCPeerConnection(config))

-- Trickle: each candidate goes straight to the other peer (our "signaling").
alice.onicecandidate = function(ev) bob:addIceCandidate(ev.candidate) end
bob.onicecandidate = function(ev) alice:addIceCandidate(ev.candidate) end

for name, pc in pairs({ alice = alice, bob = bob }) do
  pc.oniceconnectionstatechange = function()
    step(name .. ": ICE " .. pc.iceConnectionState)
  end
  pc.onconnectionstatechange = function()
    step(name .. ": connection " .. pc.connectionState .. (pc.connectionState == "connected" and " (DTLS + SCTP up)" or ""))
  end
end

-- Bob echoes whatever arrives on the channels Alice opens.
bob.ondatachannel = function(ev)
  local ch = ev.channel
  step("bob: datachannel '" .. ch.label .. "'")
  ch.onmessage = function(m) ch:send("echo: " .. m.data) end
end

local N = 5
local dc = alice:createDataChannel("hello")
local sent_at = {}
local echoes = 0

local function send(i)
  sent_at[i] = uv.hrtime()
  dc:send("message " .. i)
end

dc.onopen = function()
  step("alice: channel open")
  send(1)
end

dc.onmessage = function(m)
  echoes = echoes + 1
  local rtt = (uv.hrtime() - sent_at[echoes]) / 1e6
  step(string.format("alice: %q (round trip %.3f ms)%s", m.data, rtt, echoes == 1 and " <- first echo" or ""))
  if echoes < N then
    send(echoes + 1)
  else
    alice:close()
    bob:close()
    step("closed both: the runner exits when nothing is left alive")
  end
end

-- The main chunk is a coroutine: the promise methods return their result.
local offer = assert(alice:createOffer())
step("alice: createOffer")
assert(alice:setLocalDescription(offer))
step("alice: setLocalDescription")
assert(bob:setRemoteDescription(offer))
step("bob: setRemoteDescription")
local answer = assert(bob:createAnswer())
step("bob: createAnswer")
assert(bob:setLocalDescription(answer))
step("bob: setLocalDescription")
assert(alice:setRemoteDescription(answer))
step("alice: setRemoteDescription")
