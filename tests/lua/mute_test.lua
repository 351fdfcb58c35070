-- A remote track's muted / onmute / onunmute between two luartc peers (W3C webrtc-pc
-- 9.3, mediacapture-streams "set a track's muted state"): muted at ontrack, unmuted
-- by the first packet, muted when the peer stops sending by negotiation or by RTCP
-- BYE (transceiver:stop(), pc:close()), unmuted again when it resumes; one event per
-- change, none after the track ended.
local H = dofile((arg[0]:match("^(.*)/") or ".") .. "/harness.lua")
local test, eq, ok, rtc = H.test, H.eq, H.ok, H.rtc

local FIX = H.MEDIA_FIXTURES

-- a sends a looping Opus file to b; b's track events are logged in order, with the
-- track's muted field as each handler saw it.
local function setup(opts)
  opts = opts or {}
  local a, b = H.pair()
  local src = assert(rtc.media.open(FIX .. "opus.ogg", { loop = true }))
  local sender = assert(a:addTrack(src))
  local log, ev_track = {}, nil
  b.ontrack = function(ev)
    ev_track = ev
    log[#log + 1] = "track muted=" .. tostring(ev.track.muted)
    local t = ev.track
    if opts.listeners then
      t:addEventListener("mute", function(e) log[#log + 1] = "mute muted=" .. tostring(e.target.muted) end)
      t:addEventListener("unmute", function(e) log[#log + 1] = "unmute muted=" .. tostring(e.target.muted) end)
    else
      t.onmute = function(e) log[#log + 1] = "mute muted=" .. tostring(e.target.muted) end
      t.onunmute = function(e) log[#log + 1] = "unmute muted=" .. tostring(e.target.muted) end
    end
    t.onended = function() log[#log + 1] = "ended" end
    t.onrtp = function()
      if log[#log] ~= "rtp" then log[#log + 1] = "rtp" end
    end
  end
  assert(H.negotiate(a, b))
  H.waitFor(function() return ev_track and ev_track.track.muted == false end, "unmute", 10000)
  return a, b, src, sender, ev_track.track, log
end

local function count(log, what)
  local n = 0
  for _, l in ipairs(log) do if l:find(what, 1, true) == 1 then n = n + 1 end end
  return n
end

test("a remote track starts muted; the first packet unmutes it, after ontrack and before its packet", function()
  local a, b, src, _, track, log = setup()
  eq(log[1], "track muted=true", "ontrack sees a muted track")
  eq(log[2], "unmute muted=false", "unmute next, the field already false")
  eq(log[3], "rtp", "then the packet that unmuted it")
  rtc.sleep(300)
  eq(count(log, "unmute"), 1, "one unmute for many packets")
  eq(count(log, "mute"), 0)
  eq(track.muted, false)
  -- a transceiver made locally has a muted receiver track too
  local t = assert(b:addTransceiver("video", { direction = "recvonly" }))
  eq(t.receiver.track.muted, true)
  -- local tracks: never muted; enabled = false is not mute
  eq(src.muted, false)
  src.enabled = false
  eq(src.muted, false)
  src:stop()
end, 20000)

test("the peer going inactive by renegotiation mutes the track once; resuming unmutes it", function()
  local a, b, src, _, track, log = setup()
  local ta = a:getTransceivers()[1]
  ta.direction = "inactive"
  local offer = assert(a:createOffer())
  assert(a:setLocalDescription(offer))
  assert(b:setRemoteDescription(offer))
  -- W3C "process the removal of a remote track": muted by setRemoteDescription itself
  H.waitFor(function() return track.muted end, "mute at setRemoteDescription", 2000)
  ok(ta.currentDirection ~= "inactive", "a still sends (no answer yet)", ta.currentDirection)
  local answer = assert(b:createAnswer())
  assert(b:setLocalDescription(answer))
  assert(a:setRemoteDescription(answer))
  eq(ta.currentDirection, "inactive")
  rtc.sleep(500) -- a's BYE arrives: the track is already muted, no second event
  eq(count(log, "mute "), 1, "one mute")
  eq(track.muted, true)
  eq(track.readyState, "live")
  -- resume
  ta.direction = "sendrecv"
  assert(H.negotiate(a, b))
  H.waitFor(function() return not track.muted end, "unmute on resume", 5000)
  rtc.sleep(200)
  eq(count(log, "unmute"), 2, "two unmutes in all")
  eq(count(log, "mute "), 1, "still one mute")
  eq(log[#log], "rtp", "media flows again")
  src:stop()
end, 30000)

test("removeTrack (sendrecv -> recvonly) mutes the peer's track", function()
  local a, b, src, sender, track, log = setup({ listeners = true })
  assert(a:removeTrack(sender))
  assert(H.negotiate(a, b))
  H.waitFor(function() return track.muted end, "mute", 3000)
  rtc.sleep(300)
  eq(count(log, "mute "), 1, "one mute (listener)")
  eq(count(log, "unmute"), 1)
  src:stop()
end, 20000)

test("transceiver:stop() sends RTCP BYE: the peer's track mutes before any renegotiation, then ends", function()
  local a, b, src, _, track, log = setup()
  local ta = a:getTransceivers()[1]
  ta:stop()
  H.waitFor(function() return track.muted end, "mute by BYE", 3000)
  eq(b.signalingState, "stable", "no negotiation happened")
  eq(track.readyState, "live", "muted, not ended")
  eq(log[#log], "mute muted=true")
  assert(H.negotiate(a, b))
  H.waitFor(function() return track.readyState == "ended" end, "ended", 3000)
  rtc.sleep(100)
  eq(log[#log], "ended")
  eq(count(log, "mute "), 1, "one mute, none with the end")
  src:stop()
end, 20000)

test("pc:close() on the sender sends RTCP BYE: the peer's track mutes", function()
  local a, b, src, _, track, log = setup()
  a:close()
  H.waitFor(function() return track.muted end, "mute by BYE", 3000)
  eq(track.readyState, "live")
  eq(count(log, "mute "), 1)
  src:stop()
  b:close()
  eq(track.muted, true)
end, 20000)

H.run()
