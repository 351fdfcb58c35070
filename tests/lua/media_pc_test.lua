-- Media between two luartc peers on loopback: addTrack/addTransceiver, ontrack,
-- file tracks sent and recorded (ffmpeg decodes the recording), track:write and
-- onframe, renegotiation both ways, removeTrack, stop, getStats' RTP objects.
local H = dofile((arg[0]:match("^(.*)/") or ".") .. "/harness.lua")
local test, eq, ok, rtc = H.test, H.eq, H.ok, H.rtc

local FIX, TMP, sh, have_ffmpeg = H.MEDIA_FIXTURES, H.TMP, H.sh, H.have_ffmpeg

local function by_type(report, t)
  local list = {}
  for _, s in pairs(report) do
    if s.type == t then list[#list + 1] = s end
  end
  return list
end

test("the media API is there", function()
  local pc = H.pc()
  for _, m in ipairs { "addTrack", "removeTrack", "addTransceiver", "getTransceivers", "getSenders", "getReceivers" } do
    eq(type(pc[m]), "function", m)
  end
end)

test("addTransceiver: kind, direction, mid after negotiation, currentDirection", function()
  local a, b = H.pair()
  local nn = 0
  a.onnegotiationneeded = function() nn = nn + 1 end
  local t = assert(a:addTransceiver("video", { direction = "sendonly" }))
  eq(t.direction, "sendonly")
  eq(t.mid, nil)
  eq(t.currentDirection, nil)
  eq(t.receiver.track.kind, "video")
  eq(t.sender.track, nil)
  local tracks = {}
  b.ontrack = function(ev) tracks[#tracks + 1] = ev end
  assert(H.negotiate(a, b))
  ok(t.mid ~= nil, "mid set")
  eq(t.currentDirection, "sendonly")
  H.waitFor(function() return nn > 0 end, "negotiationneeded")
  H.waitFor(function() return #tracks == 1 end, "ontrack on b")
  local ev = tracks[1]
  eq(ev.track.kind, "video")
  eq(ev.transceiver.mid, t.mid)
  eq(ev.transceiver.currentDirection, "recvonly")
  eq(ev.receiver, ev.transceiver.receiver)
  eq(#a:getTransceivers(), 1)
  eq(#b:getTransceivers(), 1)
  eq(b:getTransceivers()[1], ev.transceiver, "the same object every time")
  ok(not pcall(a.addTransceiver, a, "text"), "bad kind raises")
end)

-- a sends a file track to b, which records it; returns the recorder figures.
local function send_file(file, out, seconds)
  local a, b = H.pair()
  local track = assert(rtc.media.open(FIX .. file, { loop = true }))
  local sender = assert(a:addTrack(track, { id = "stream1" }))
  eq(sender.track, track)
  local rec, got
  b.ontrack = function(ev)
    got = ev
    rec = assert(rtc.media.record(ev.track, out))
  end
  assert(H.negotiate(a, b))
  H.waitFor(function() return got ~= nil end, "ontrack")
  eq(got.streams[1] and got.streams[1].id, "stream1", "the stream id crossed")
  eq(got.track.id, track.id, "the track id crossed")
  H.waitFor(function() return b.connectionState == "connected" end, "connected")
  rtc.sleep(seconds * 1000)
  local st = rec:stats()
  local sa, sb = a:getStats(), b:getStats()
  rec:close()
  track:stop()
  return st, sa, sb, got
end

test("a VP8 file track reaches the peer; its recording decodes cleanly", function()
  local out = TMP .. "/luartc-pc-vp8.ivf"
  local st, sa, sb = send_file("vp8.ivf", out, 2)
  ok(st.frames >= 45 and st.frames <= 75, "about 60 frames in 2 s", st.frames)
  eq(st.errors, 0)
  local o = by_type(sa, "outbound-rtp")[1]
  ok(o and o.kind == "video" and o.framesSent >= 45 and o.packetsSent >= o.framesSent, "outbound-rtp", o and o.framesSent)
  ok(sa[o.codecId] and sa[o.codecId].mimeType == "video/VP8", "codec stats")
  ok(sa[o.mediaSourceId] and sa[o.mediaSourceId].kind == "video", "media-source")
  local i = by_type(sb, "inbound-rtp")[1]
  ok(i and i.packetsReceived > 0 and i.framesReceived >= 45, "inbound-rtp", i and i.framesReceived)
  if have_ffmpeg then
    eq(sh("ffmpeg -nostdin -v error -i " .. out .. " -f null -"), "", "ffmpeg says nothing")
  end
  os.remove(out)
end, 30000)

test("inbound-rtp frameWidth/frameHeight: each codec's keyframe size, and a resize mid-call", function()
  for _, c in ipairs { { "vp8.ivf", "ivf" }, { "vp9.ivf", "ivf" }, { "av1.ivf", "ivf" }, { "h264.h264", "mkv" } } do
    local out = TMP .. "/luartc-pc-size." .. c[2]
    local _, _, sb = send_file(c[1], out, 1)
    local i = by_type(sb, "inbound-rtp")[1]
    eq(i and i.frameWidth, 320, c[1] .. ": frameWidth")
    eq(i and i.frameHeight, 240, c[1] .. ": frameHeight")
    os.remove(out)
  end
  -- 1 s at 320x240, then a new SPS and an IDR at 640x480 (tests/fixtures/media/README.md)
  local out = TMP .. "/luartc-pc-size-resize.mkv"
  local _, _, sb = send_file("h264-resize.h264", out, 1.6)
  local i = by_type(sb, "inbound-rtp")[1]
  eq(i and i.frameWidth, 640, "after the resize: frameWidth")
  eq(i and i.frameHeight, 480, "after the resize: frameHeight")
  os.remove(out)
end, 30000)

test("an Opus file track reaches the peer; its Ogg recording decodes cleanly", function()
  local out = TMP .. "/luartc-pc-opus.ogg"
  local st, sa, sb, ev = send_file("opus.ogg", out, 2)
  eq(ev.track.kind, "audio")
  ok(st.frames >= 75 and st.frames <= 110, "about 100 packets in 2 s", st.frames)
  ok(by_type(sb, "inbound-rtp")[1].packetsReceived >= 75, "inbound-rtp")
  if have_ffmpeg then
    eq(sh("ffmpeg -nostdin -v error -i " .. out .. " -f null -"), "", "ffmpeg says nothing")
  end
  os.remove(out)
end, 30000)

test("track:write frames reach onframe with timestamp, keyframe and codec", function()
  local a, b = H.pair()
  local track = rtc.MediaStreamTrack { kind = "video", codec = "VP8" }
  assert(a:addTrack(track))
  local frames = {}
  b.ontrack = function(ev) ev.track.onframe = function(f) frames[#frames + 1] = f end end
  assert(H.negotiate(a, b))
  H.waitFor(function() return a.connectionState == "connected" end, "connected")
  -- real VP8 frames from the fixture, written by the script
  local src = assert(io.open(FIX .. "vp8.ivf", "rb")):read("*a")
  local pos, list = 33, {}
  while pos + 12 <= #src and #list < 10 do
    local n = src:byte(pos) + src:byte(pos + 1) * 256 + src:byte(pos + 2) * 65536
    list[#list + 1] = src:sub(pos + 12, pos + 11 + n)
    pos = pos + 12 + n
  end
  -- the ten frames over and over (the first is a keyframe: a receiver that lost one
  -- starts again there), 3000 ticks apart, until b has ten
  local sent, by_ts = 0, {}
  H.waitFor(function()
    local i = sent % #list + 1
    local ts = 1000 + sent * 3000
    by_ts[ts] = i
    eq(track:write(list[i], { timestamp = ts }), 1, "one sender took it")
    sent = sent + 1
    return #frames >= #list
  end, "frames at b", 10000)
  for k, f in ipairs(frames) do
    local i = by_ts[f.timestamp]
    ok(i, "a timestamp that was sent", f.timestamp)
    eq(f.data, list[i], "bytes intact")
    eq(f.keyframe, i == 1, "keyframe flag")
    eq(f.codec, "VP8")
    if k > 1 then ok(f.timestamp > frames[k - 1].timestamp, "in order") end
  end
end)

test("onrtp delivers each packet with its header fields", function()
  local a, b = H.pair()
  assert(a:addTrack(assert(rtc.media.open(FIX .. "opus.ogg", { loop = true }))))
  local pkts = {}
  b.ontrack = function(ev) ev.track.onrtp = function(p) pkts[#pkts + 1] = p end end
  assert(H.negotiate(a, b))
  H.waitFor(function() return #pkts >= 20 end, "20 packets")
  for i, p in ipairs(pkts) do
    ok(#p.data > 12, "a whole packet")
    eq(p.data:byte(2) % 128, p.payloadType)
    if i > 1 then
      eq(p.ssrc, pkts[1].ssrc, "one ssrc")
      eq((p.sequenceNumber - pkts[i - 1].sequenceNumber) % 65536, 1, "consecutive")
      eq((p.timestamp - pkts[i - 1].timestamp) % 4294967296, 960, "20 ms at 48 kHz")
    end
  end
  b:getTransceivers()[1].receiver.track.onrtp = nil
end)

test("a video track added mid-call by either side: renegotiation and ontrack", function()
  local a, b = H.pair()
  local audio = assert(rtc.media.open(FIX .. "opus.ogg", { loop = true }))
  assert(a:addTrack(audio))
  local tracks_b, tracks_a = {}, {}
  b.ontrack = function(ev) tracks_b[#tracks_b + 1] = ev.track end
  a.ontrack = function(ev) tracks_a[#tracks_a + 1] = ev.track end
  assert(H.negotiate(a, b))
  H.waitFor(function() return #tracks_b == 1 and b.connectionState == "connected" end, "audio")
  -- a adds video: a offers again
  local v1 = assert(rtc.media.open(FIX .. "vp8.ivf", { loop = true }))
  assert(a:addTrack(v1))
  assert(H.negotiate(a, b))
  H.waitFor(function() return #tracks_b == 2 end, "ontrack video at b")
  eq(tracks_b[2].kind, "video")
  local fb = 0
  tracks_b[2].onframe = function() fb = fb + 1 end
  H.waitFor(function() return fb >= 10 end, "video frames at b")
  -- b adds video: b offers
  local v2 = assert(rtc.media.open(FIX .. "vp9.ivf", { loop = true }))
  local t2 = assert(b:addTransceiver(v2, { direction = "sendonly", codecs = { "VP9" } }))
  assert(H.negotiate(b, a))
  H.waitFor(function() return #tracks_a >= 1 end, "ontrack at a")
  local fa, codec = 0, nil
  tracks_a[#tracks_a].onframe = function(f) fa, codec = fa + 1, f.codec end
  H.waitFor(function() return fa >= 10 end, "video frames at a")
  eq(codec, "VP9")
  eq(t2.currentDirection, "sendonly")
  eq(#a:getTransceivers(), 3)
  audio:stop(); v1:stop(); v2:stop()
end, 30000)

-- W3C transceiver.stop(): InvalidStateError on a closed pc. close() stops the
-- transceivers without ending their tracks; stop() afterwards ended the receiver's track
-- and fired its ended event, an event after close.
test("transceiver:stop() on a closed pc raises InvalidStateError and fires nothing", function()
  local a = H.pc()
  local t = assert(a:addTransceiver("audio"))
  local track = t.receiver.track
  local n = 0
  track.onended = function() n = n + 1 end
  track:addEventListener("ended", function() n = n + 1 end)
  a:close()
  eq(t.stopped, true)
  local okk, err = pcall(t.stop, t)
  ok(not okk and tostring(err):find("InvalidStateError", 1, true), "stop() raises", tostring(err))
  rtc.sleep(20)
  eq(n, 0, "no ended event after close")
  eq(track.readyState, "live", "close() leaves the track as it was (W3C: disappear)")
end)

test("removeTrack drops send from the direction and asks for negotiation", function()
  local a, b = H.pair()
  local track = rtc.MediaStreamTrack { kind = "audio" }
  local sender = assert(a:addTrack(track))
  assert(H.negotiate(a, b))
  local t = a:getTransceivers()[1]
  eq(t.direction, "sendrecv")
  local nn = 0
  a.onnegotiationneeded = function() nn = nn + 1 end
  assert(a:removeTrack(sender))
  eq(sender.track, nil)
  eq(t.direction, "recvonly")
  H.waitFor(function() return nn > 0 end, "negotiationneeded")
  local ended = false
  b:getTransceivers()[1].receiver.track.onended = function() ended = true end
  assert(H.negotiate(a, b))
  -- b never added a track: its side is recvonly, so nobody sends (W3C answer rules)
  eq(t.currentDirection, "inactive")
  eq(b:getTransceivers()[1].currentDirection, "inactive")
  -- stop: the next offer rejects the m-section; b's track ends
  t:stop()
  eq(t.stopped, true)
  assert(H.negotiate(a, b))
  H.waitFor(function() return ended end, "b's track ended")
end)

test("a keyframe request (PLI) makes a file track skip to a keyframe, a written one hears it", function()
  local a, b = H.pair()
  local file = assert(rtc.media.open(FIX .. "vp8.ivf", { loop = true }))
  local written = rtc.MediaStreamTrack { kind = "video" }
  assert(a:addTrack(file))
  assert(a:addTrack(written))
  local asked = 0
  written.onkeyframerequest = function() asked = asked + 1 end
  local frames, keys = 0, 0
  b.ontrack = function(ev)
    if ev.track.id == file.id then
      ev.track.onframe = function(f)
        frames = frames + 1
        if f.keyframe then keys = keys + 1 end
      end
    end
  end
  assert(H.negotiate(a, b))
  H.waitFor(function() return frames >= 10 end, "frames")
  -- the written track sends a few frames, so that b knows its sender
  local src = assert(io.open(FIX .. "vp8.ivf", "rb")):read("*a")
  local n = src:byte(33) + src:byte(34) * 256 + src:byte(35) * 65536
  local key = src:sub(45, 44 + n)
  for i = 1, 5 do
    written:write(key, { keyframe = true })
    rtc.sleep(20)
  end
  local k0 = keys
  for _, r in ipairs(b:getReceivers()) do assert(r:requestKeyframe()) end
  H.waitFor(function() return keys > k0 end, "a keyframe after the request", 3000)
  ok(keys - k0 <= 2, "one keyframe, not a burst", keys - k0)
  H.waitFor(function() return asked > 0 end, "onkeyframerequest on the written track", 3000)
end)

test("a frame of another codec than the negotiated one is not sent", function()
  local a, b = H.pair()
  local h264 = rtc.MediaStreamTrack { kind = "video", codec = "H264" }
  local t = assert(a:addTransceiver(h264, { codecs = { "VP8" } }))
  assert(H.negotiate(a, b))
  H.waitFor(function() return a.connectionState == "connected" end, "connected")
  eq(t.sender:getParameters().codecs[1].mimeType, "video/VP8")
  eq(h264:write("\0\0\0\1\101\0", { keyframe = true }), 0, "refused")
end)

test("replaceTrack switches what a sender sends without negotiation", function()
  local a, b = H.pair()
  local t1 = rtc.MediaStreamTrack { kind = "video" }
  local sender = assert(a:addTrack(t1))
  local t2 = rtc.MediaStreamTrack { kind = "video" }
  assert(sender:replaceTrack(t2))
  eq(sender.track, t2)
  eq(t1:write("\0\0\0"), 0, "the old track feeds nothing")
  local _, err = sender:replaceTrack(rtc.MediaStreamTrack { kind = "audio" })
  ok(err, "a track of another kind is refused")
end)

test("replaceTrack rejects with InvalidStateError on a stopped transceiver and a closed pc", function()
  local a = H.pc()
  local t1 = rtc.MediaStreamTrack { kind = "video" }
  local t2 = rtc.MediaStreamTrack { kind = "video" }
  local tr = assert(a:addTransceiver(t1))
  local other = assert(a:addTransceiver("video"))
  assert(tr:stop())
  local r, err, name = tr.sender:replaceTrack(t2)
  eq(r, nil, "stopped transceiver")
  eq(name, "EINVALIDSTATE")
  ok(tostring(err):match("^InvalidStateError: .*stopped"), "message", err)
  eq(t2:write("\0\0\0"), 0, "the new track feeds nothing")
  a:close()
  r, err, name = other.sender:replaceTrack(t2)
  eq(r, nil, "closed pc")
  eq(name, "EINVALIDSTATE")
  ok(tostring(err):match("^InvalidStateError: .*closed RTCPeerConnection"), "message", err)
  eq(other.sender.track, nil, "the sender keeps its track")
end)

test("pcs with media, their transceivers and file sources are released after close", function()
  local core = rtc.core
  local function full_gc() collectgarbage() collectgarbage() end
  full_gc()
  local base = core.debugCounts()
  do
    local a, b = H.pair()
    local t = assert(rtc.media.open(FIX .. "vp8.ivf", { loop = true }))
    assert(a:addTrack(t))
    assert(a:addTrack(assert(rtc.media.open(FIX .. "opus.ogg"))))
    local got = 0
    b.ontrack = function(ev) ev.track.onframe = function() got = got + 1 end end
    assert(H.negotiate(a, b))
    H.waitFor(function() return got > 5 end, "frames")
    eq(core.debugCounts().transceivers - base.transceivers, 4)
    a:close()
    b:close()
  end
  rtc.sleep(50)
  H.forget()
  local c
  H.waitFor(function()
    full_gc()
    c = core.debugCounts()
    return c.pcs <= base.pcs and c.transceivers <= base.transceivers and c.mediaSources <= base.mediaSources
  end, "released", 5000)
end)

H.run()
