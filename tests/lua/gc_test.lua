-- Lifetimes: a live pc and an open channel survive without script references;
-- after close + collectgarbage() the objects are released.
local H = dofile((arg[0]:match("^(.*)/") or ".") .. "/harness.lua")
local rtc, uv = H.rtc, H.uv
local core = rtc.core
local test, eq, ok = H.test, H.eq, H.ok

local function full_gc()
  collectgarbage()
  collectgarbage()
end

test("open objects survive without references; closed ones are released", function()
  full_gc()
  local base = core.debugCounts()
  local got, closed = 0, 0
  local weak = setmetatable({}, { __mode = "v" })
  do
    -- handlers reach their objects through ev.target / ev.channel only
    local a = rtc.RTCPeerConnection({ gatherAddresses = H.LOCAL })
    local b = rtc.RTCPeerConnection({ gatherAddresses = H.LOCAL })
    weak[1], weak[2] = a, b
    a.onicecandidate = function(ev) if b.signalingState ~= "closed" then b:addIceCandidate(ev.candidate) end end
    b.onicecandidate = function(ev) if a.signalingState ~= "closed" then a:addIceCandidate(ev.candidate) end end
    b.ondatachannel = function(ev)
      ev.channel.onmessage = function(m)
        got = got + 1
        if m.data == "close" then
          m.target:close()
        else
          m.target:send("echo")
        end
      end
      ev.channel.onclose = function() closed = closed + 1 end
    end
    local dc = a:createDataChannel("gc")
    dc.onopen = function(ev) ev.target:send("one") end
    dc.onmessage = function(m) got = got + 1 end
    dc.onclose = function() closed = closed + 1 end
    assert(H.negotiate(a, b))
  end
  -- no local references are left (the handler closures still see a and b, but
  -- nothing reachable from the script holds the channels)
  full_gc()
  H.waitFor(function() return got >= 2 end, "echo after collectgarbage()")
  full_gc()
  local mid = core.debugCounts()
  eq(mid.pcs - base.pcs, 2, "two live pcs")
  eq(mid.dcs - base.dcs, 2, "two live channels")
  ok(closed == 0, "nothing closed yet")
  ok(weak[1] and weak[2], "the pcs are alive")
  weak[1]:close()
  weak[2]:close()
end)

test("after close and collectgarbage() everything is released", function()
  full_gc()
  local base = core.debugCounts()
  local flags = {}
  do
    local a, b, da, db = H.connected()
    da.onclose = function() flags.a = true end
    db.onclose = function() flags.b = true end
    a:close()
    b:close()
  end
  H.waitFor(function() return flags.a and flags.b end, "close events", 10000)
  rtc.sleep(50)
  -- the harness keeps a list of created pcs until the test ends: drop it here
  H.forget()
  local counts
  H.waitFor(function()
    full_gc()
    counts = core.debugCounts()
    return counts.pcs <= base.pcs and counts.dcs <= base.dcs
  end, "pcs and channels released", 5000)
end)

test("many connections created and closed leave nothing behind", function()
  full_gc()
  H.forget()
  full_gc()
  local base = core.debugCounts()
  for _ = 1, 5 do
    local a, b, da, db = H.connected()
    local n = 0
    db.onmessage = function() n = n + 1 end
    da:send("x")
    H.waitFor(function() return n == 1 end, "message")
    a:close()
    b:close()
  end
  rtc.sleep(50)
  H.forget()
  H.waitFor(function()
    full_gc()
    local c = core.debugCounts()
    return c.pcs <= base.pcs and c.dcs <= base.dcs
  end, "released", 5000)
end)

-- A track the script keeps for its whole run (one written track sent to peer after
-- peer) held every transceiver it was added to, and each transceiver its pc: all the
-- closed pcs stayed (6 of 6 here, the peers through the trickle handlers).
local kept = rtc.MediaStreamTrack({ kind = "video" })

test("a track the script keeps does not keep the closed pcs it was sent on", function()
  full_gc()
  H.forget()
  full_gc()
  local base = core.debugCounts()
  for _ = 1, 3 do
    local a, b = H.pair()
    assert(a:addTrack(kept))
    assert(H.negotiate(a, b))
    kept:write("\0\0\0\0")
    a:close()
    b:close()
  end
  rtc.sleep(50)
  H.forget()
  local c
  H.waitFor(function()
    full_gc()
    c = core.debugCounts()
    return c.pcs <= base.pcs and c.transceivers <= base.transceivers
  end, "released", 5000)
  -- the track still sends on an open pc after the collections
  local a, b = H.pair()
  local sender = assert(a:addTrack(kept))
  local got
  b.ontrack = function(ev) ev.track.onframe = function() got = true end end
  assert(H.negotiate(a, b))
  H.waitFor(function() return a.connectionState == "connected" end, "connected")
  full_gc()
  eq(sender.track, kept)
  H.waitFor(function()
    kept:write("\16\2\0\157\1\42", { keyframe = true })
    return got
  end, "a frame of the kept track after collectgarbage()")
end)

H.run()
