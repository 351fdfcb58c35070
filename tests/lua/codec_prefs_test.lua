-- W3C RTCRtpTransceiver.setCodecPreferences between two luartc peers: any time (after
-- setRemoteDescription(offer), between negotiations), validation as webrtc-pc says,
-- offers list the preferred codecs only in that order, answers the offered ones in our
-- order (JSEP 5.3.1) or reject the m-section when none is left, payload types stay
-- across renegotiation, and media flows in the codec the answerer chose.
local H = dofile((arg[0]:match("^(.*)/") or ".") .. "/harness.lua")
local test, eq, ok, rtc = H.test, H.eq, H.ok, H.rtc

local FIX = H.MEDIA_FIXTURES

-- The m-section of kind in sdp: its port and its codecs in m= order ({pt, name, fmtp}).
local function msection(sdp, kind)
  local port, fmts
  local lines = {}
  for l in sdp:gmatch("[^\r\n]+") do lines[#lines + 1] = l end
  local inside = false
  local rtpmap, fmtp = {}, {}
  for _, l in ipairs(lines) do
    local k, p, f = l:match("^m=(%a+) (%d+) %S+ (.*)$")
    if k then
      inside = (k == kind and not port)
      if inside then port, fmts = tonumber(p), f end
    elseif inside then
      local pt, name = l:match("^a=rtpmap:(%d+) ([^/]+)")
      if pt then rtpmap[tonumber(pt)] = name end
      local fpt, line = l:match("^a=fmtp:(%d+) (.*)$")
      if fpt then fmtp[tonumber(fpt)] = line end
    end
  end
  if not port then return nil end
  local list = {}
  for pt in fmts:gmatch("%d+") do
    pt = tonumber(pt)
    list[#list + 1] = { pt = pt, name = rtpmap[pt], fmtp = fmtp[pt] }
  end
  return { port = port, codecs = list }
end

local function names(m)
  local t = {}
  for _, c in ipairs(m.codecs) do t[#t + 1] = c.name end
  return table.concat(t, ",")
end

local function pt_of(m, name, fmtp_part)
  for _, c in ipairs(m.codecs) do
    if c.name == name and (not fmtp_part or (c.fmtp or ""):find(fmtp_part, 1, true)) then return c.pt end
  end
end

local function cap(kind, mime, fmtp_part)
  for _, c in ipairs(rtc.RTCRtpReceiver.getCapabilities(kind).codecs) do
    if c.mimeType == mime and (not fmtp_part or (c.sdpFmtpLine or ""):find(fmtp_part, 1, true)) then return c end
  end
  error("no capability " .. mime)
end

local function raises(f, pattern, what)
  local okk, err = pcall(f)
  ok(not okk and tostring(err):find(pattern, 1, true), what, tostring(err))
end

test("getCapabilities: W3C-shaped, the core's codecs, rtx once, header extensions", function()
  local v = rtc.RTCRtpSender.getCapabilities("video")
  local seen = {}
  for _, c in ipairs(v.codecs) do
    ok(type(c.mimeType) == "string" and c.clockRate == 90000 and c.channels == nil, "video codec", c.mimeType)
    seen[c.mimeType] = (seen[c.mimeType] or 0) + 1
  end
  eq(seen["video/VP8"], 1)
  eq(seen["video/H264"], 2, "two H.264 profiles")
  eq(seen["video/rtx"], 1)
  ok(cap("video", "video/H264", "42e01f").sdpFmtpLine:find("packetization-mode=1", 1, true), "H.264 fmtp")
  local a = rtc.RTCRtpReceiver.getCapabilities("audio")
  eq(a.codecs[1].mimeType, "audio/opus")
  eq(a.codecs[1].channels, 2)
  eq(cap("audio", "audio/PCMU").channels, 1, "W3C: channels 1 for mono audio")
  ok(#a.headerExtensions > 0 and type(a.headerExtensions[1].uri) == "string", "headerExtensions")
  eq(rtc.RTCRtpReceiver.getCapabilities("text"), nil)
  v.codecs[1].mimeType = "x" -- a copy each call
  eq(rtc.RTCRtpSender.getCapabilities("video").codecs[1].mimeType, "video/VP8")
end)

test("validation as webrtc-pc: exact capability match, no RTX-only list, empty resets", function()
  local pc = H.pc()
  local t = assert(pc:addTransceiver("video"))
  t:setCodecPreferences(rtc.RTCRtpReceiver.getCapabilities("video").codecs)
  t:setCodecPreferences({})
  t:setCodecPreferences({ cap("video", "video/VP8"), cap("video", "video/VP8") }) -- duplicates dropped
  raises(function() t:setCodecPreferences({ { mimeType = "video/H265", clockRate = 90000 } }) end,
    "InvalidModificationError", "unknown codec")
  raises(function() t:setCodecPreferences({ { mimeType = "video/H264", clockRate = 90000 } }) end,
    "InvalidModificationError", "H.264 without its sdpFmtpLine is no capability")
  raises(function() t:setCodecPreferences({ { mimeType = "video/VP8", clockRate = 48000 } }) end,
    "InvalidModificationError", "wrong clock rate")
  raises(function() t:setCodecPreferences({ cap("video", "video/rtx") }) end, "InvalidModificationError", "RTX only")
  raises(function() t:setCodecPreferences({ cap("audio", "audio/opus") }) end, "InvalidModificationError", "audio on video")
  raises(function() t:setCodecPreferences({ cap("video", "video/VP8"), { mimeType = "video/x", clockRate = 1 } }) end,
    "InvalidModificationError", "one bad entry")
  raises(function() t:setCodecPreferences({ "H265" }) end, "InvalidModificationError", "unknown name")
  raises(function() t:setCodecPreferences("VP8") end, "TypeError", "not a list")
  raises(function() t:setCodecPreferences({ { clockRate = 1 } }) end, "TypeError", "no mimeType")
  -- NaN passes no range check (undefined when cast); a fraction would be cut to 90000
  for _, rate in ipairs({ 0 / 0, 90000.5, -1, 2 ^ 32 }) do
    raises(function() t:setCodecPreferences({ { mimeType = "video/VP8", clockRate = rate } }) end,
      "TypeError: codec 1: clockRate: an integer 1-4294967295 expected", "clockRate " .. rate)
  end
  local opus = cap("audio", "audio/opus")
  for _, ch in ipairs({ 0 / 0, 1.5, 256 }) do
    raises(function()
      t:setCodecPreferences({ { mimeType = opus.mimeType, clockRate = opus.clockRate, channels = ch,
        sdpFmtpLine = opus.sdpFmtpLine } })
    end, "TypeError: codec 1: channels: an integer 1-255 expected", "channels " .. ch)
  end
  local au = assert(pc:addTransceiver("audio"))
  raises(function() au:setCodecPreferences({ { mimeType = "audio/opus", clockRate = 48000 } }) end,
    "InvalidModificationError", "opus without channels and fmtp")
  au:setCodecPreferences({ "PCMU" })
  -- A failed call leaves the last preferences: the offer lists VP8 only.
  local m = msection(assert(pc:createOffer()).sdp, "video")
  eq(names(m), "VP8")
  eq(names(msection(pc:createOffer().sdp, "audio")), "PCMU")
end)

test("offer: the preferred codecs only, in that order; PTs kept; {} resets", function()
  local a = H.pc()
  local t = assert(a:addTransceiver("video"))
  local m0 = msection(assert(a:createOffer()).sdp, "video")
  eq(names(m0), "VP8,rtx,VP9,rtx,H264,rtx,H264,rtx,AV1,rtx")
  t:setCodecPreferences({ cap("video", "video/H264", "42e01f"), cap("video", "video/VP8") })
  local m1 = msection(assert(a:createOffer()).sdp, "video")
  eq(names(m1), "H264,VP8", "no rtx: not among the preferences")
  eq(pt_of(m1, "H264"), pt_of(m0, "H264", "42e01f"))
  eq(pt_of(m1, "VP8"), pt_of(m0, "VP8"))
  t:setCodecPreferences({ "AV1", "VP8" })
  eq(names(msection(a:createOffer().sdp, "video")), "AV1,rtx,VP8,rtx", "names add rtx")
  t:setCodecPreferences({})
  eq(names(msection(a:createOffer().sdp, "video")), names(m0), "reset to the default")
end)

-- a sends video with VP8, VP9 and H264 offered in that order (a browser's offer); b
-- prefers `want` between setRemoteDescription(offer) and createAnswer, then a sends
-- frames of the codec that was negotiated. Returns the answer's m-section and b's
-- inbound-rtp.
local function answer_with(want, file, codec)
  local a, b = H.pair()
  local t = assert(a:addTransceiver("video", { direction = "sendonly", codecs = { "VP8", "VP9", "H264" } }))
  local offer = assert(a:createOffer())
  assert(a:setLocalDescription(offer))
  assert(b:setRemoteDescription(offer))
  local rt = b:getTransceivers()[1]
  rt:setCodecPreferences(want)
  local answer = assert(b:createAnswer())
  assert(b:setLocalDescription(answer))
  assert(a:setRemoteDescription(answer))
  local m = msection(answer.sdp, "video")
  eq(t.sender:getParameters().codecs[1].mimeType, "video/" .. codec, "a sends what b put first")
  local track = assert(rtc.media.open(FIX .. file, { loop = true }))
  t.sender:replaceTrack(track)
  local frames = 0
  rt.receiver.track.onframe = function(f)
    frames = frames + 1
    eq(f.codec, codec)
  end
  H.waitFor(function() return frames >= 10 end, "frames of " .. codec, 15000)
  local inbound
  local st = b:getStats()
  for _, s in pairs(st) do
    if s.type == "inbound-rtp" then inbound = s end
  end
  eq(inbound and st[inbound.codecId] and st[inbound.codecId].mimeType, "video/" .. codec, "inbound-rtp codec")
  track:stop()
  return m, offer
end

test("answer after setRemoteDescription(offer): H264 only, the offerer's PT", function()
  local m, offer = answer_with({ "H264" }, "h264.h264", "H264")
  eq(names(m), "H264,rtx,H264,rtx", "only H.264 (both offered profiles) and their rtx")
  eq(m.codecs[1].pt, pt_of(msection(offer.sdp, "video"), "H264"), "the offer's PT")
end, 40000)

test("answer: preferences reorder against the offer (VP9 before VP8, our order)", function()
  local m = answer_with({ cap("video", "video/VP9"), cap("video", "video/VP8"), cap("video", "video/rtx") },
    "vp9.ivf", "VP9")
  eq(names(m), "VP9,rtx,VP8,rtx")
end, 40000)

test("answer: no codec in common rejects the m-section (as Chromium); the call goes on", function()
  local a, b = H.pair()
  local t = assert(a:addTransceiver("video", { codecs = { "VP8", "H264" } }))
  a:createDataChannel("x")
  assert(a:setLocalDescription(assert(a:createOffer())))
  assert(b:setRemoteDescription(a.localDescription))
  b:getTransceivers()[1]:setCodecPreferences({ "AV1" })
  local answer = assert(b:createAnswer())
  eq(msection(answer.sdp, "video").port, 0, "rejected")
  assert(b:setLocalDescription(answer))
  assert(a:setRemoteDescription(answer))
  ok(t.stopped and b:getTransceivers()[1].stopped, "both transceivers stopped")
  H.waitFor(function() return a.connectionState == "connected" end, "the data channel's transport connects")
end, 30000)

test("renegotiation: either side changes the order; PTs stay; preferences after createAnswer do not alter it", function()
  local a, b = H.pair()
  local t = assert(a:addTransceiver("video"))
  assert(H.negotiate(a, b))
  local m0 = msection(a.localDescription.sdp, "video")
  eq(t.sender:getParameters().codecs[1].mimeType, "video/VP8")
  -- the offerer prefers H264 (42e01f) then VP8
  t:setCodecPreferences({ cap("video", "video/H264", "42e01f"), cap("video", "video/VP8"), cap("video", "video/rtx") })
  assert(H.negotiate(a, b))
  local m1 = msection(a.localDescription.sdp, "video")
  eq(names(m1), "H264,rtx,VP8,rtx")
  eq(pt_of(m1, "H264"), pt_of(m0, "H264", "42e01f"), "H264 keeps its PT")
  eq(pt_of(m1, "VP8"), pt_of(m0, "VP8"), "VP8 keeps its PT")
  eq(t.sender:getParameters().codecs[1].mimeType, "video/H264")
  eq(b:getTransceivers()[1].sender:getParameters().codecs[1].mimeType, "video/H264")
  -- the answerer re-answers a's offer with VP8 first
  local bt = b:getTransceivers()[1]
  assert(a:setLocalDescription(assert(a:createOffer())))
  assert(b:setRemoteDescription(a.localDescription))
  bt:setCodecPreferences({ "VP8" })
  local answer = assert(b:createAnswer())
  bt:setCodecPreferences({ "H264" }) -- too late for this answer: it stays as written
  assert(b:setLocalDescription(answer))
  assert(a:setRemoteDescription(answer))
  local m2 = msection(answer.sdp, "video")
  eq(names(m2), "VP8,rtx")
  eq(m2.codecs[1].pt, pt_of(m0, "VP8"))
  eq(bt.sender:getParameters().codecs[1].mimeType, "video/VP8")
  eq(t.sender:getParameters().codecs[1].mimeType, "video/VP8")
  -- b offers next: its H264 preference (set above) makes b's offer H264 only
  assert(H.negotiate(b, a))
  local m3 = msection(b.localDescription.sdp, "video")
  eq(names(m3), "H264,rtx,H264,rtx")
  eq(pt_of(m3, "H264", "42e01f"), pt_of(m0, "H264", "42e01f"), "same PT from the other side too")
  eq(t.sender:getParameters().codecs[1].mimeType, "video/H264")
end, 30000)

test("a stopped transceiver takes preferences without effect", function()
  local pc = H.pc()
  local t = assert(pc:addTransceiver("video"))
  t:stop()
  t:setCodecPreferences({ "VP8" })
  ok(t.stopped, "still stopped")
end)

H.run()
