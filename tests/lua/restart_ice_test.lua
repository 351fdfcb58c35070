-- pc:restartIce() (W3C): the next offer has new ICE credentials, negotiationneeded fires,
-- and the channel carries on across the restart (DTLS/SCTP kept). Two real peers on
-- loopback.
local H = dofile("tests/lua/harness.lua")
local rtc = H.rtc
local test, eq, ok = H.test, H.eq, H.ok

local function ufrag(desc) return desc.sdp:match("a=ice%-ufrag:(%S+)") end

local function counter(pc)
  local c = { n = 0 }
  pc.onnegotiationneeded = function() c.n = c.n + 1 end
  return c
end

-- Messages a channel got, in order.
local function inbox(dc)
  local box = {}
  dc.onmessage = function(m) box[#box + 1] = m.data end
  return box
end

test("restartIce: negotiationneeded, a new ufrag, connected again, the channel carries on", function()
  local a, b, da, db = H.connected("chat")
  local got = inbox(db)
  H.waitFor(function() return a.connectionState == "connected" end, "connected")
  rtc.sleep(50) -- the negotiationneeded of createDataChannel is behind us
  local nn = counter(a)
  local old = ufrag(a.currentLocalDescription)
  local old_b = ufrag(b.currentLocalDescription)
  a:restartIce()
  H.waitFor(function() return nn.n == 1 end, "negotiationneeded")
  da:send("before")
  assert(H.negotiate(a, b))
  local new = ufrag(a.currentLocalDescription)
  ok(new and new ~= old, "a's ufrag changed", old, new)
  ok(ufrag(b.currentLocalDescription) ~= old_b, "b answered with new credentials too")
  da:send("during")
  H.waitFor(function() return a.iceConnectionState == "connected" or a.iceConnectionState == "completed" end,
    "ICE connected again")
  da:send("after")
  H.waitFor(function() return #got == 3 end, "three messages")
  eq(table.concat(got, ","), "before,during,after")
  eq(da.readyState, "open")
  eq(a.connectionState, "connected")
  -- Done: the next offer keeps the new credentials, and no further event.
  rtc.sleep(50)
  eq(nn.n, 1)
  eq(ufrag(assert(a:createOffer())), new)
end, 20000)

test("restartIce on the answerer: it offers the restart, the offerer answers it", function()
  local a, b, da, db = H.connected("chat")
  local got = inbox(da)
  rtc.sleep(50)
  local nn = counter(b)
  local old_a, old_b = ufrag(a.currentLocalDescription), ufrag(b.currentLocalDescription)
  b:restartIce()
  H.waitFor(function() return nn.n == 1 end, "negotiationneeded on b")
  -- The implicit form (setLocalDescription without a description) restarts too.
  assert(b:setLocalDescription())
  ok(ufrag(b.localDescription) ~= old_b, "b's offer has new credentials")
  assert(a:setRemoteDescription(b.localDescription))
  assert(a:setLocalDescription())
  assert(b:setRemoteDescription(a.localDescription))
  ok(ufrag(a.currentLocalDescription) ~= old_a, "a answered with new credentials")
  db:send("x")
  H.waitFor(function() return #got == 1 end, "message after the restart")
  H.waitFor(function() return b.iceConnectionState == "connected" or b.iceConnectionState == "completed" end,
    "ICE connected again")
end, 20000)

test("restartIce in have-local-offer: negotiationneeded waits for stable, then the next offer restarts", function()
  local a, b = H.connected("chat")
  rtc.sleep(50)
  local nn = counter(a)
  local old = ufrag(a.currentLocalDescription)
  local offer = assert(a:createOffer())
  eq(ufrag(offer), old, "a plain re-offer keeps the credentials")
  assert(a:setLocalDescription(offer))
  a:restartIce()
  rtc.sleep(50)
  eq(nn.n, 0, "no negotiationneeded outside stable")
  assert(b:setRemoteDescription(offer))
  assert(b:setLocalDescription())
  assert(a:setRemoteDescription(b.localDescription))
  H.waitFor(function() return nn.n == 1 end, "negotiationneeded once stable")
  eq(ufrag(a.currentLocalDescription), old, "the offer made before restartIce did not restart")
  ok(ufrag(assert(a:createOffer())) ~= old, "the next offer restarts")
end, 20000)

test("restartIce before any description or after close: nothing happens", function()
  local a = H.pc()
  local nn = counter(a)
  a:restartIce()
  rtc.sleep(50)
  eq(nn.n, 0)
  local o1 = assert(a:createOffer())
  eq(ufrag(assert(a:createOffer())), ufrag(o1), "no restart pending")
  a:close()
  a:restartIce()
  rtc.sleep(20)
  eq(nn.n, 0)
  eq(a.signalingState, "closed")
end)

H.run()
