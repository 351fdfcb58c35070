-- ontrack again when a transceiver receives again (W3C webrtc-pc [[FiredDirection]],
-- "process remote tracks"): each time a negotiation takes the transceiver from not
-- receiving to receiving, a track event fires with the same receiver, track and
-- transceiver; from receiving to not receiving, the track mutes. Set by the peer's
-- offer or answer, and by our own answer (which only mutes).
local H = dofile((arg[0]:match("^(.*)/") or ".") .. "/harness.lua")
local test, eq, ok, rtc = H.test, H.eq, H.ok, H.rtc

local FIX = H.MEDIA_FIXTURES

-- Logs pc's track events and what its tracks and streams do ("track", "mute",
-- "unmute", "rtp", "addtrack ID", "removetrack ID"; a stream's first addtrack comes
-- before the handler that watches it).
local function watch(pc)
  local w = { log = {}, events = {}, rtp = 0 }
  pc.ontrack = function(ev)
    w.events[#w.events + 1] = ev
    w.log[#w.log + 1] = "track muted=" .. tostring(ev.track.muted)
    for _, s in ipairs(ev.streams) do
      s.onaddtrack = function(e)
        ok(e.target == s and e.type == "addtrack" and e.track.kind, "addtrack's fields")
        w.log[#w.log + 1] = "addtrack " .. s.id
      end
      s.onremovetrack = function(e)
        ok(e.target == s and e.type == "removetrack" and e.track.kind, "removetrack's fields")
        w.log[#w.log + 1] = "removetrack " .. s.id
      end
    end
    local t = ev.track
    if t._watched then return end
    t._watched = true
    t.onmute = function() w.log[#w.log + 1] = "mute" end
    t.onunmute = function() w.log[#w.log + 1] = "unmute" end
    t.onrtp = function()
      w.rtp = w.rtp + 1
      if w.log[#w.log] ~= "rtp" then w.log[#w.log + 1] = "rtp" end
    end
  end
  return w
end

local function count(log, what)
  local n = 0
  for _, l in ipairs(log) do if l:find(what, 1, true) == 1 then n = n + 1 end end
  return n
end

-- RTP reaches the tracks (packets counted from now on: some may have come already).
local function flows(w, what)
  local n = w.rtp
  H.waitFor(function() return w.rtp > n + 5 end, what, 5000)
end

-- The three events of one transceiver: same objects each time.
local function same_objects(e1, e2)
  ok(e2.track == e1.track, "the same track object")
  ok(e2.receiver == e1.receiver, "the same receiver")
  ok(e2.transceiver == e1.transceiver, "the same transceiver")
  ok(e2.streams[1] == e1.streams[1], "the same stream object (or none)")
  if e2.streams[1] then eq(e2.streams[1]:getTracks()[1], e1.track, "the track is in it again") end
end

test("sendrecv -> inactive -> sendrecv (the peer's offers): ontrack 1 -> 1 -> 2, unmuted by the next RTP", function()
  local a, b = H.pair()
  local src = assert(rtc.media.open(FIX .. "opus.ogg", { loop = true }))
  assert(a:addTrack(src, "s1"))
  local w = watch(b)
  assert(H.negotiate(a, b))
  flows(w, "first media")
  eq(#w.events, 1)
  eq(w.log[1], "track muted=true")
  eq(w.log[2], "unmute")
  local ta = a:getTransceivers()[1]
  ta.direction = "inactive"
  assert(H.negotiate(a, b))
  H.waitFor(function() return w.events[1].track.muted end, "mute", 3000)
  rtc.sleep(300)
  eq(#w.events, 1, "no track event for inactive")
  eq(w.log[#w.log - 1], "mute")
  eq(w.log[#w.log], "removetrack s1", "then out of its stream")
  local s1 = w.events[1].streams[1]
  eq(#s1:getTracks(), 0)
  eq(w.events[1].track.readyState, "live")
  ta.direction = "sendrecv"
  local n = #w.log
  assert(H.negotiate(a, b))
  H.waitFor(function() return #w.events == 2 end, "second ontrack", 3000)
  eq(w.log[n + 1], "addtrack s1", "back in its stream first")
  table.remove(w.log, n + 1)
  eq(w.log[n + 1], "track muted=true", "then the track event, the track still muted")
  same_objects(w.events[1], w.events[2])
  ok(s1:getTrackById(w.events[1].track.id) == w.events[1].track)
  eq(#s1:getAudioTracks(), 1)
  eq(#s1:getVideoTracks(), 0)
  eq(w.events[2].streams[1].id, "s1")
  ok(b:getTransceivers()[1] == w.events[2].transceiver, "the pc's one transceiver")
  eq(#b:getTransceivers(), 1)
  flows(w, "media after resume")
  eq(w.log[n + 2], "unmute", "then the next packet unmutes it")
  eq(w.events[2].track.muted, false)
  eq(count(w.log, "track"), 2)
  eq(count(w.log, "mute"), 1)
  eq(count(w.log, "unmute"), 2)
  -- a negotiation that changes nothing fires nothing
  assert(H.negotiate(a, b))
  rtc.sleep(200)
  eq(#w.events, 2)
  src:stop()
end, 30000)

test("the offerer's ontrack fires again with the peer's answer: sendonly -> inactive -> sendonly", function()
  local a, b = H.pair()
  local wa = watch(a)
  assert(a:addTransceiver("audio", { direction = "recvonly" }))
  local src = assert(rtc.media.open(FIX .. "opus.ogg", { loop = true }))
  assert(b:addTrack(src))
  assert(H.negotiate(a, b))
  eq(b:getTransceivers()[1].currentDirection, "sendonly", "b's track took a's m-section")
  flows(wa, "media at a")
  eq(#wa.events, 1)
  local tb = b:getTransceivers()[1]
  tb.direction = "inactive"
  assert(H.negotiate(a, b))
  H.waitFor(function() return wa.events[1].track.muted end, "mute by b's answer", 3000)
  eq(#wa.events, 1)
  tb.direction = "sendonly"
  assert(H.negotiate(a, b))
  H.waitFor(function() return #wa.events == 2 end, "second ontrack at setRemoteDescription(answer)", 3000)
  same_objects(wa.events[1], wa.events[2])
  flows(wa, "media after resume")
  eq(wa.events[2].track.muted, false)
  eq(count(wa.log, "mute"), 1)
  src:stop()
end, 30000)

test("our own answer stops receiving (recvonly -> inactive -> recvonly): muted by it, ontrack again with the next offer", function()
  local a, b = H.pair()
  local src = assert(rtc.media.open(FIX .. "opus.ogg", { loop = true }))
  assert(a:addTrack(src))
  local w = watch(b)
  assert(H.negotiate(a, b))
  flows(w, "media at b")
  local tb = b:getTransceivers()[1]
  tb.direction = "inactive"
  local offer = assert(a:createOffer())
  assert(a:setLocalDescription(offer))
  assert(b:setRemoteDescription(offer))
  rtc.sleep(100)
  eq(#w.events, 1, "the offer still sends: nothing yet")
  eq(w.events[1].track.muted, false)
  local answer = assert(b:createAnswer())
  assert(b:setLocalDescription(answer))
  H.waitFor(function() return w.events[1].track.muted end, "muted by b's own answer", 3000)
  assert(a:setRemoteDescription(answer))
  eq(tb.currentDirection, "inactive")
  tb.direction = "recvonly"
  assert(H.negotiate(a, b))
  H.waitFor(function() return #w.events == 2 end, "second ontrack", 3000)
  same_objects(w.events[1], w.events[2])
  flows(w, "media after resume")
  eq(count(w.log, "mute"), 1)
  eq(count(w.log, "unmute"), 2)
  src:stop()
end, 30000)

test("a sendonly transceiver of ours: ontrack at the peer's sendrecv offer, as browsers; muted by our answer", function()
  local a, b = H.pair()
  local w = watch(b)
  local vb = assert(rtc.media.open(FIX .. "opus.ogg", { loop = true }))
  local tb = assert(b:addTransceiver(vb, { direction = "sendonly" }))
  local src = assert(rtc.media.open(FIX .. "opus.ogg", { loop = true }))
  assert(a:addTrack(src))
  local offer = assert(a:createOffer())
  assert(a:setLocalDescription(offer))
  assert(b:setRemoteDescription(offer))
  H.waitFor(function() return #w.events == 1 end, "ontrack at setRemoteDescription(offer)", 3000)
  ok(w.events[1].transceiver == tb, "on our transceiver, which took the m-section")
  local answer = assert(b:createAnswer())
  assert(b:setLocalDescription(answer))
  assert(a:setRemoteDescription(answer))
  eq(tb.currentDirection, "sendonly")
  rtc.sleep(300)
  eq(w.events[1].track.muted, true, "never unmuted: a does not send")
  eq(count(w.log, "unmute"), 0)
  -- b wants to receive after all: b offers sendrecv, a answers sendrecv
  tb.direction = "sendrecv"
  assert(H.negotiate(b, a))
  H.waitFor(function() return #w.events == 2 end, "ontrack again with a's answer", 3000)
  same_objects(w.events[1], w.events[2])
  flows(w, "media at b")
  vb:stop(); src:stop()
end, 30000)

test("the peer's msid names another stream while sending: ontrack again with it (W3C: addList grew)", function()
  local a, b = H.pair()
  local src = assert(rtc.media.open(FIX .. "opus.ogg", { loop = true }))
  assert(a:addTrack(src, "s1"))
  local w = watch(b)
  assert(H.negotiate(a, b))
  flows(w, "media at b")
  eq(w.events[1].streams[1].id, "s1")
  -- the same stream again: nothing
  assert(H.negotiate(a, b))
  rtc.sleep(100)
  eq(#w.events, 1)
  -- as a browser's sender.setStreams(s2) says it: the next offer's a=msid names s2
  local offer = assert(a:createOffer())
  assert(a:setLocalDescription(offer))
  local sdp, n = offer.sdp:gsub("msid:s1 ", "msid:s2 ")
  ok(n >= 1, "the offer names s1", offer.sdp)
  assert(b:setRemoteDescription({ type = "offer", sdp = sdp }))
  H.waitFor(function() return #w.events == 2 end, "ontrack for the new stream", 3000)
  eq(w.events[2].streams[1].id, "s2")
  ok(w.events[2].track == w.events[1].track, "the same track")
  local last = #w.log
  while not w.log[last]:find("^track") do last = last - 1 end
  eq(w.log[last - 1], "removetrack s1", "out of s1 before the track event")
  eq(#w.events[1].streams[1]:getTracks(), 0)
  ok(w.events[2].streams[1]:getTracks()[1] == w.events[1].track, "in s2")
  eq(#w.events[1].streams, 1, "the first event's list unchanged")
  eq(w.events[2].track.muted, false, "still receiving: not muted")
  local answer = assert(b:createAnswer())
  assert(b:setLocalDescription(answer))
  assert(a:setRemoteDescription(answer))
  rtc.sleep(100)
  eq(#w.events, 2, "our answer fires nothing more")
  eq(count(w.log, "mute"), 0)
  src:stop()
end, 30000)

test("a rolled-back offer that named another stream: the track goes back to its stream, announced again (W3C rollback runs process remote tracks)", function()
  local a, b = H.pair()
  local src = assert(rtc.media.open(FIX .. "opus.ogg", { loop = true }))
  assert(a:addTrack(src, "s1"))
  local w = watch(b)
  assert(H.negotiate(a, b))
  flows(w, "media at b")
  local s1 = w.events[1].streams[1]
  local offer = assert(a:createOffer())
  local sdp, n = offer.sdp:gsub("msid:s1 ", "msid:s2 ")
  ok(n >= 1, "the offer names s1", offer.sdp)
  assert(b:setRemoteDescription({ type = "offer", sdp = sdp }))
  H.waitFor(function() return #w.events == 2 end, "ontrack naming s2", 3000)
  local s2 = w.events[2].streams[1]
  eq(s2.id, "s2")
  w.log = {}
  assert(b:setRemoteDescription({ type = "rollback" }))
  H.waitFor(function() return #w.events == 3 end, "ontrack naming s1 again after the rollback", 3000)
  eq(table.concat(w.log, ","), "removetrack s2,addtrack s1,track muted=false")
  ok(w.events[3].streams[1] == s1, "the stream object of the first event")
  eq(#s2:getTracks(), 0, "out of s2")
  ok(s1:getTracks()[1] == w.events[1].track, "in s1 again")
  -- the next negotiation, s1 as before: nothing more
  assert(H.negotiate(a, b))
  rtc.sleep(100)
  eq(#w.events, 3)
  src:stop()
end, 30000)

test("the peer's description stops naming the stream while sending: removetrack, no ontrack (W3C removeList; WPT RTCTrackEvent-fire)", function()
  local a, b = H.pair()
  local src = assert(rtc.media.open(FIX .. "opus.ogg", { loop = true }))
  assert(a:addTrack(src, "s1"))
  local w = watch(b)
  assert(H.negotiate(a, b))
  flows(w, "media at b")
  local s1 = w.events[1].streams[1]
  eq(s1.id, "s1")
  -- each of the two ways an offer names no stream: a browser's sender.setStreams()
  -- (a=msid:- <track>), and no a=msid line at all
  for _, edit in ipairs({
    function(sdp) return sdp:gsub("msid:s1 ", "msid:- ") end,
    function(sdp) return sdp:gsub("a=msid:[^\r\n]*\r?\n", "") end,
  }) do
    local offer = assert(a:createOffer())
    assert(a:setLocalDescription(offer))
    local sdp, n = edit(offer.sdp)
    ok(n >= 1, "the offer names s1", offer.sdp)
    local before, n_events = #w.log, #w.events
    assert(b:setRemoteDescription({ type = "offer", sdp = sdp }))
    H.waitFor(function() return count(w.log, "removetrack s1") >= 1 end, "removetrack from s1", 3000)
    eq(w.log[before + 1], "removetrack s1")
    eq(#s1:getTracks(), 0, "out of s1")
    rtc.sleep(50)
    eq(#w.events, n_events, "no track event: the track is still received")
    eq(w.events[1].track.muted, false, "still receiving: not muted")
    local answer = assert(b:createAnswer())
    assert(b:setLocalDescription(answer))
    assert(a:setRemoteDescription(answer))
    -- named again: back in the same stream object, announced again (addList)
    local events = #w.events
    assert(H.negotiate(a, b))
    H.waitFor(function() return #w.events == events + 1 end, "ontrack naming s1 again", 3000)
    ok(w.events[#w.events].streams[1] == s1, "the same stream object")
    ok(s1:getTracks()[1] == w.events[1].track, "in s1 again")
    w.log = {}
  end
  eq(count(w.log, "mute"), 0)
  src:stop()
end, 30000)

test("a stream holding audio and video lists both in the first ontrack (W3C: addList before the track events)", function()
  local a, b = H.pair()
  local s1 = assert(rtc.media.open(FIX .. "opus.ogg", { loop = true }))
  local s2 = assert(rtc.media.open(FIX .. "vp8.ivf", { loop = true }))
  assert(a:addTrack(s1, "cam"))
  assert(a:addTrack(s2, "cam"))
  local seen = {}
  b.ontrack = function(ev) seen[#seen + 1] = #ev.streams[1]:getTracks() end
  assert(H.negotiate(a, b))
  H.waitFor(function() return #seen == 2 end, "two track events", 3000)
  eq(table.concat(seen, ","), "2,2", "both tracks in the stream at each ontrack, as in browsers")
  s1:stop(); s2:stop()
end, 30000)

test("a track that ends leaves its stream (removetrack after ended); a stream per id per pc", function()
  local a, b = H.pair()
  local s1 = assert(rtc.media.open(FIX .. "opus.ogg", { loop = true }))
  local s2 = assert(rtc.media.open(FIX .. "vp8.ivf", { loop = true }))
  assert(a:addTrack(s1, "cam"))
  assert(a:addTrack(s2, "cam"))
  local w = watch(b)
  assert(H.negotiate(a, b))
  H.waitFor(function() return #w.events == 2 end, "two track events", 3000)
  local stream = w.events[1].streams[1]
  ok(w.events[2].streams[1] == stream, "both tracks in one stream object")
  eq(#stream:getTracks(), 2)
  eq(stream:getVideoTracks()[1], w.events[2].track)
  local audio = w.events[1].track
  audio.onended = function() w.log[#w.log + 1] = "ended" end
  a:getTransceivers()[1]:stop()
  assert(H.negotiate(a, b))
  H.waitFor(function() return audio.readyState == "ended" end, "ended", 3000)
  local i = 1
  while w.log[i] ~= "ended" do i = i + 1 end
  eq(w.log[i + 1], "removetrack cam", "right after ended")
  eq(#stream:getTracks(), 1)
  eq(stream:getAudioTracks()[1], nil)
  s1:stop(); s2:stop()
end, 30000)

-- A description that signals no msid at all (GStreamer's webrtcbin: no a=msid-semantic,
-- no a=msid, no a=ssrc msid): its tracks share one stream "default", as in libwebrtc and
-- WPT msid-parse ("Description with no msid produces a track with a stream"). With the
-- semantic line but no msid, no stream (WPT RTCTrackEvent-fire); a=ssrc msid alone (Plan
-- B signaling) names the stream.
test("no msid signaled: the tracks share the stream 'default' (GStreamer's offer, libwebrtc's rule)", function()
  local f = assert(io.open("tests/fixtures/sdp/gstreamer-1.22-offer-audio-video-datachannel.sdp", "rb"))
  local gst = f:read("*a")
  f:close()
  ok(not gst:find("msid", 1, true), "the fixture names no msid")
  local function streams_of(sdp)
    local pc = H.pc()
    local evs = {}
    pc.ontrack = function(ev) evs[#evs + 1] = ev end
    assert(pc:setRemoteDescription({ type = "offer", sdp = sdp }))
    H.waitFor(function() return #evs >= 1 end, "ontrack", 3000)
    rtc.sleep(20)
    pc:close()
    return evs
  end
  local evs = streams_of(gst)
  eq(#evs, 2, "audio and video")
  for _, ev in ipairs(evs) do
    eq(#ev.streams, 1, "one stream")
    eq(ev.streams[1].id, "default")
  end
  ok(evs[1].streams[1] == evs[2].streams[1], "the same stream object")
  eq(#evs[1].streams[1]:getTracks(), 2, "holding both tracks")
  -- the semantic line without msid: no stream
  evs = streams_of(gst:gsub("t=0 0\r?\n", "%0a=msid-semantic:WMS *\r\n", 1))
  eq(#evs[1].streams, 0, "no stream with a=msid-semantic")
  -- a=ssrc msid alone names the stream
  local n = 0
  local sdp = gst:gsub("(a=mid:[^\r\n]*\r?\n)", function(mid)
    n = n + 1
    return mid .. ("a=ssrc:%d cname:c\r\na=ssrc:%d msid:plan-b-stream t%d\r\n"):format(n, n, n)
  end)
  ok(n >= 2, "the fixture has mids")
  evs = streams_of(sdp)
  eq(evs[1].streams[1] and evs[1].streams[1].id, "plan-b-stream")
end, 20000)

test("order: the mutes of a description before its track events, both after the callback", function()
  local a, b = H.pair()
  local s1 = assert(rtc.media.open(FIX .. "opus.ogg", { loop = true }))
  local s2 = assert(rtc.media.open(FIX .. "opus.ogg", { loop = true }))
  local t1 = assert(a:addTransceiver(s1, { direction = "inactive" }))
  local t2 = assert(a:addTransceiver(s2, { direction = "sendonly" }))
  local log, tracks = {}, {}
  b.ontrack = function(ev)
    local mid = ev.transceiver.mid
    log[#log + 1] = "track " .. mid
    tracks[mid] = ev.track
    ev.track.onmute = function() log[#log + 1] = "mute " .. mid end
    ev.track.onunmute = function() log[#log + 1] = "unmute " .. mid end
  end
  assert(H.negotiate(a, b))
  local m2 = t2.mid
  H.waitFor(function() return tracks[m2] and not tracks[m2].muted end, "m2 flows", 5000)
  eq(#log, 2)
  t1.direction, t2.direction = "sendonly", "inactive"
  local offer = assert(a:createOffer())
  assert(a:setLocalDescription(offer))
  local done = false
  b:setRemoteDescription(offer, function(_, err)
    assert(not err, err)
    log[#log + 1] = "callback"
    done = true
  end)
  H.waitFor(function() return done and #log >= 5 end, "the events of setRemoteDescription", 3000)
  eq(log[3], "callback")
  eq(log[4], "mute " .. m2, "the mute of m-section 2 first")
  eq(log[5], "track " .. t1.mid, "then the track event of m-section 1")
  local answer = assert(b:createAnswer())
  assert(b:setLocalDescription(answer))
  assert(a:setRemoteDescription(answer))
  s1:stop(); s2:stop()
end, 30000)

H.run()
