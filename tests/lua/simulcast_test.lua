-- Simulcast sending (W3C sendEncodings with rids, RFC 8853 / 8851 / 8852): the
-- sendEncodings checks, the offer's a=rid / a=simulcast, what the answer lets through,
-- and the layers between two luartc peers. Here the receiver gets each layer as a track
-- of its own through WPT's rid-as-mid munging (simulcast_munge.lua), as a browser
-- would; simulcast_recv_test.lua has luartc receiving the layers itself.
local H = dofile((arg[0]:match("^(.*)/") or ".") .. "/harness.lua")
local test, eq, ok, rtc = H.test, H.eq, H.ok, H.rtc
local munge = dofile((arg[0]:match("^(.*)/") or ".") .. "/simulcast_munge.lua")

local FIX, TMP, sh, have_ffmpeg = H.MEDIA_FIXTURES, H.TMP, H.sh, H.have_ffmpeg

local ENCS = {
  { rid = "q", scaleResolutionDownBy = 4, maxBitrate = 150000 },
  { rid = "h", scaleResolutionDownBy = 2, maxBitrate = 500000 },
  { rid = "f" },
}

local function outbound(pc)
  local by_rid, n = {}, 0
  for _, s in pairs(pc:getStats()) do
    if s.type == "outbound-rtp" then
      n = n + 1
      by_rid[s.rid or "-"] = s
    end
  end
  return by_rid, n
end

-- The one-byte header extension elements of an RTP packet (RFC 8285 4.2): id -> value.
local function rtp_exts(p)
  local out = {}
  local b0 = p:byte(1)
  if not b0 or b0 % 32 < 16 then return out end -- no X bit
  local off = 13 + 4 * (b0 % 16)
  if p:byte(off) ~= 0xBE or p:byte(off + 1) ~= 0xDE then return out end
  local words = p:byte(off + 2) * 256 + p:byte(off + 3)
  local i, stop = off + 4, off + 4 + 4 * words
  while i < stop do
    local b = p:byte(i)
    if b == 0 then
      i = i + 1
    else
      local id, len = math.floor(b / 16), b % 16 + 1
      out[id] = p:sub(i + 1, i + len)
      i = i + 1 + len
    end
  end
  return out
end

local function raises(fn, pattern, what)
  local okc, err = pcall(fn)
  ok(not okc, what .. ": expected an error")
  ok(tostring(err):match(pattern), what .. ": expected " .. pattern .. ", got " .. tostring(err))
end

test("sendEncodings: W3C validation, defaults, trimming", function()
  local pc = H.pc()
  raises(function() pc:addTransceiver("video", { sendEncodings = { { rid = "a" }, { rid = "a" } } }) end,
    "^TypeError", "duplicate rid")
  raises(function() pc:addTransceiver("video", { sendEncodings = { { rid = "a" }, {} } }) end,
    "^TypeError", "a rid missing")
  raises(function() pc:addTransceiver("video", { sendEncodings = { { rid = "a b" }, { rid = "c" } } }) end,
    "^TypeError", "rid syntax")
  raises(function() pc:addTransceiver("video", { sendEncodings = { { rid = string.rep("x", 17) }, { rid = "c" } } }) end,
    "^TypeError", "rid too long")
  raises(function() pc:addTransceiver("video", { sendEncodings = { { rid = "a", scaleResolutionDownBy = 0.5 }, { rid = "b" } } }) end,
    "^RangeError", "scaleResolutionDownBy below 1")
  eq(#pc:getTransceivers(), 0, "nothing made by a failed call")
  -- four encodings: trimmed to libwebrtc's three; scaleResolutionDownBy 4, 2, 1
  local t = assert(pc:addTransceiver("video", { sendEncodings = {
    { rid = "a" }, { rid = "b" }, { rid = "c" }, { rid = "d" } } }))
  local p = t.sender:getParameters()
  eq(#p.encodings, 3, "trimmed to 3")
  eq(p.encodings[1].rid, "a")
  eq(p.encodings[3].rid, "c")
  eq(p.encodings[1].scaleResolutionDownBy, 4)
  eq(p.encodings[2].scaleResolutionDownBy, 2)
  eq(p.encodings[3].scaleResolutionDownBy, 1)
  eq(p.encodings[2].active, true)
  -- a lone encoding loses its rid (W3C) and makes no simulcast
  local t1 = assert(pc:addTransceiver("video", { sendEncodings = { { rid = "x", maxBitrate = 1000 } } }))
  local p1 = t1.sender:getParameters()
  eq(#p1.encodings, 1)
  eq(p1.encodings[1].rid, nil)
  eq(p1.encodings[1].maxBitrate, 1000)
  -- audio: one encoding
  local ta = assert(pc:addTransceiver("audio", { sendEncodings = { { rid = "a" }, { rid = "b" } } }))
  eq(#ta.sender:getParameters().encodings, 1)
  local offer = assert(pc:createOffer())
  local _, n_sim = offer.sdp:gsub("a=simulcast:", "")
  eq(n_sim, 1, "only the three-layer transceiver offers simulcast")
end)

test("setParameters: transactionId, unchanged encodings, active", function()
  local pc = H.pc()
  local t = assert(pc:addTransceiver("video", { direction = "sendonly", sendEncodings = ENCS }))
  local p = t.sender:getParameters()
  eq(p.encodings[1].maxBitrate, 150000)
  p.encodings[2].active = false
  assert(t.sender:setParameters(p))
  eq(t.sender:getParameters().encodings[2].active, false)
  local r, err, name = t.sender:setParameters(p)
  eq(r, nil, "a transaction is used once")
  eq(name, "EINVALIDMODIFICATION", err)
  p = t.sender:getParameters()
  p.encodings[3] = nil
  r, err, name = t.sender:setParameters(p)
  eq(name, "EINVALIDMODIFICATION", "fewer encodings: " .. tostring(err))
  p = t.sender:getParameters()
  p.encodings[1].rid = "z"
  r, err, name = t.sender:setParameters(p)
  eq(name, "EINVALIDMODIFICATION", "another rid: " .. tostring(err))
end)

test("the offer: a=rid send per layer, a=simulcast:send, rid extensions, no a=ssrc", function()
  local pc = H.pc()
  assert(pc:addTransceiver("video", { direction = "sendonly", sendEncodings = ENCS }))
  local sdp = assert(pc:createOffer()).sdp
  ok(sdp:match("a=rid:q send\r\na=rid:h send\r\na=rid:f send\r\n"), "a=rid lines", sdp)
  ok(sdp:match("a=simulcast:send q;h;f\r\n"), "a=simulcast line")
  ok(sdp:match("a=extmap:%d+ urn:ietf:params:rtp%-hdrext:sdes:rtp%-stream%-id\r\n"), "rid extension")
  ok(sdp:match("a=extmap:%d+ urn:ietf:params:rtp%-hdrext:sdes:repaired%-rtp%-stream%-id\r\n"), "rrid extension")
  ok(not sdp:match("a=ssrc"), "no a=ssrc lines", sdp)
  ok(sdp:match("a=msid:"), "a=msid stays")
end)

-- a offers three layers of a file track to b; b gets them as three tracks (munged).
-- keep: the rids the folded answer receives. Returns a, b, the transceiver, b's tracks
-- by rid, and their recorders.
-- Two pcs whose candidates cross with the mids each side knows (b's m-sections are
-- the rids, a's the one video mid).
local function munged_pair()
  local a, b = H.pc(), H.pc()
  local function forward(to, mid_of)
    return function(ev)
      local c = ev.candidate
      if not c or to.signalingState == "closed" then return end
      local cand = { candidate = c.candidate, sdpMid = mid_of(), sdpMLineIndex = 0 }
      rtc.spawn(function()
        while to.remoteDescription == nil and to.signalingState ~= "closed" do rtc.sleep(1) end
        if to.signalingState ~= "closed" then to:addIceCandidate(cand) end
      end)
    end
  end
  local a_mid
  a.onicecandidate = forward(b, function() return "q" end)
  b.onicecandidate = forward(a, function() return a_mid end)
  return a, b, function(mid) a_mid = mid end
end

local function three_layers(keep, encs, track, edit_answer)
  local a, b, set_mid = munged_pair()
  track = track or assert(rtc.media.open(FIX .. "vp8.ivf", { loop = true }))
  local t = assert(a:addTransceiver(track, { direction = "sendonly", sendEncodings = encs or ENCS }))
  local tracks, recs = {}, {}
  b.ontrack = function(ev) tracks[ev.transceiver.mid] = ev.track end
  local offer = assert(a:createOffer())
  assert(a:setLocalDescription(offer))
  local split, rids, info = munge.split_offer(offer.sdp)
  set_mid(info.mid)
  eq(#rids, 3)
  assert(b:setRemoteDescription({ type = "offer", sdp = split }))
  local answer = assert(b:createAnswer())
  assert(b:setLocalDescription(answer))
  local folded = munge.fold_answer(answer.sdp, info, keep)
  if edit_answer then folded = edit_answer(folded) end
  assert(a:setRemoteDescription({ type = "answer", sdp = folded }))
  H.waitFor(function() return tracks.q and tracks.h and tracks.f end, "three tracks on b")
  return a, b, t, tracks, track
end

test("three layers reach a receiver as three tracks; each records and decodes", function()
  local a, b, t, tracks, track = three_layers()
  local recs, frames, rid_elems = {}, {}, {}
  local rid_id = tonumber(a.localDescription.sdp:match("a=extmap:(%d+) urn:ietf:params:rtp%-hdrext:sdes:rtp%-stream%-id"))
  for rid, tr in pairs(tracks) do
    recs[rid] = assert(rtc.media.record(tr, TMP .. "/luartc-simulcast-" .. rid .. ".ivf"))
    rid_elems[rid] = {}
    tr.onrtp = function(ev)
      local v = rtp_exts(ev.data)[rid_id] or "none"
      rid_elems[rid][v] = (rid_elems[rid][v] or 0) + 1
    end
  end
  rtc.sleep(2000)
  local out, n = outbound(a)
  eq(n, 3, "one outbound-rtp per layer")
  local ssrcs = {}
  for _, rid in ipairs { "q", "h", "f" } do
    local s = out[rid]
    ok(s, "outbound-rtp for " .. rid)
    ok(s.packetsSent > 50 and s.bytesSent > 20000 and s.framesSent > 40,
      rid .. ": packets/bytes/frames", s.packetsSent, s.bytesSent, s.framesSent)
    ok(not ssrcs[s.ssrc], "distinct SSRCs")
    ssrcs[s.ssrc] = rid
    print(string.format("  layer %s ssrc %u: packetsSent %d bytesSent %d framesSent %d", rid, s.ssrc,
      s.packetsSent, s.bytesSent, s.framesSent))
  end
  -- b's inbound streams are a's layer SSRCs, one per track
  local seen = 0
  for _, s in pairs(b:getStats()) do
    if s.type == "inbound-rtp" then
      ok(ssrcs[s.ssrc], "b receives one of a's layer SSRCs", s.ssrc)
      eq(ssrcs[s.ssrc], s.mid, "layer " .. tostring(ssrcs[s.ssrc]) .. " on its own m-section")
      ok(s.framesReceived > 40, "frames on " .. s.mid, s.framesReceived)
      seen = seen + 1
    end
  end
  eq(seen, 3, "three inbound-rtp on b")
  for rid, seen_vals in pairs(rid_elems) do
    ok(next(seen_vals), "packets of layer " .. rid .. " seen")
    for v, count in pairs(seen_vals) do
      eq(v, rid, "every packet of layer " .. rid .. " carries its rid (" .. count .. " packets)")
    end
  end
  for rid, rec in pairs(recs) do
    local st = rec:stats()
    rec:close()
    ok(st.frames > 40, rid .. ": frames recorded", st.frames)
    eq(st.errors, 0, rid .. ": recorder errors")
    frames[rid] = st.frames
    if have_ffmpeg then
      local path = TMP .. "/luartc-simulcast-" .. rid .. ".ivf"
      local out = sh("ffmpeg -v error -i " .. path .. " -f null - ")
      eq(out, "", rid .. ": ffmpeg decodes the layer without errors")
    end
  end
  print(string.format("  recorded frames q %d h %d f %d", frames.q, frames.h, frames.f))
  track:stop()
end, 30000)

test("NACKs for a layer's SSRC are answered by its RTX, which carries repaired-rtp-stream-id", function()
  -- a -> relay -> b (munged as above); the relay drops every 12th RTP datagram a sends
  -- and reads the clear RTP headers of SRTP (RFC 3711: header extensions unencrypted)
  local uv = H.uv
  local ra, rb = uv.new_udp(), uv.new_udp()
  assert(ra:bind("127.0.0.1", 0))
  assert(rb:bind("127.0.0.1", 0))
  local a_addr, b_addr
  local n_rtp, seen = 0, { rtx = {}, media = {} }
  local rid_id, rrid_id, rtx_pt
  ra:recv_start(function(_, data, from)
    if not data then return end
    a_addr = a_addr or from
    local b1, b2 = data:byte(1), data:byte(2)
    if b1 and b1 >= 128 and b1 < 192 and not (b2 >= 192 and b2 <= 223) then -- RTP, not RTCP
      n_rtp = n_rtp + 1
      local e = rtp_exts(data)
      local kind = b2 % 128 == rtx_pt and "rtx" or "media"
      local key = (e[rid_id] and ("rid=" .. e[rid_id]) or "") .. (e[rrid_id] and ("rrid=" .. e[rrid_id]) or "")
      seen[kind][key] = (seen[kind][key] or 0) + 1
      if n_rtp % 12 == 0 and kind == "media" then return end
    end
    if b_addr then rb:try_send(data, b_addr.ip, b_addr.port) end
  end)
  rb:recv_start(function(_, data, from)
    if not data then return end
    b_addr = b_addr or from
    if a_addr then ra:try_send(data, a_addr.ip, a_addr.port) end
  end)
  local function via(sdp, port) return (sdp:gsub("(a=candidate:%S+ %d+ udp %d+ )%S+ %d+", "%1127.0.0.1 " .. port)) end
  local function gathered(pc)
    H.waitFor(function() return pc.iceGatheringState == "complete" end, "gathering")
    return pc.localDescription.sdp
  end
  local a, b = H.pc(), H.pc()
  local track = assert(rtc.media.open(FIX .. "vp8.ivf", { loop = true }))
  assert(a:addTransceiver(track, { direction = "sendonly", sendEncodings = ENCS }))
  local tracks = {}
  b.ontrack = function(ev) tracks[ev.transceiver.mid] = ev.track end
  assert(a:setLocalDescription(assert(a:createOffer())))
  local offer = gathered(a)
  rid_id = tonumber(offer:match("a=extmap:(%d+) urn:ietf:params:rtp%-hdrext:sdes:rtp%-stream%-id\r\n"))
  rrid_id = tonumber(offer:match("a=extmap:(%d+) urn:ietf:params:rtp%-hdrext:sdes:repaired%-rtp%-stream%-id\r\n"))
  rtx_pt = tonumber(offer:match("a=rtpmap:(%d+) rtx/90000"))
  ok(rid_id and rrid_id and rtx_pt, "ids in the offer")
  local split, _, info = munge.split_offer(offer)
  assert(b:setRemoteDescription({ type = "offer", sdp = via(split, rb:getsockname().port) }))
  assert(b:setLocalDescription(assert(b:createAnswer())))
  local answer = munge.fold_answer(via(gathered(b), ra:getsockname().port), info)
  assert(a:setRemoteDescription({ type = "answer", sdp = answer }))
  H.waitFor(function() return tracks.q and tracks.h and tracks.f end, "three tracks on b")
  rtc.sleep(2000)
  local out = outbound(a)
  for _, rid in ipairs { "q", "h", "f" } do
    ok(out[rid].nackCount > 0, rid .. ": NACKs for its SSRC", out[rid].nackCount)
    ok(out[rid].retransmittedPacketsSent > 0, rid .. ": retransmitted on its RTX", out[rid].retransmittedPacketsSent)
    ok((seen.media["rid=" .. rid] or 0) > 30, rid .. ": media packets carry rid " .. rid)
    ok((seen.rtx["rrid=" .. rid] or 0) > 0, rid .. ": RTX packets carry repaired-rtp-stream-id " .. rid)
    print(string.format("  layer %s: nackCount %d retransmittedPacketsSent %d, RTX with rrid=%s on the wire %d",
      rid, out[rid].nackCount, out[rid].retransmittedPacketsSent, rid, seen.rtx["rrid=" .. rid]))
  end
  for key in pairs(seen.rtx) do ok(key:match("^rrid=[qhf]$"), "an RTX packet with " .. key) end
  for key in pairs(seen.media) do ok(key:match("^rid=[qhf]$"), "a media packet with " .. key) end
  track:stop()
  a:close()
  b:close()
  ra:close()
  rb:close()
end, 30000)

test("a PLI for one layer's SSRC asks that layer; setParameters active=false stops it", function()
  local a, b, t, tracks, track = three_layers()
  local asked = {}
  track.onkeyframerequest = function(ev) asked[#asked + 1] = ev.rid end
  H.waitFor(function() return tracks.h.muted == false end, "h unmuted")
  rtc.sleep(300)
  local before = outbound(a)
  assert(tracks.h:requestKeyframe())
  H.waitFor(function() return #asked > 0 end, "keyframe request on a")
  eq(asked[1], "h", "the layer asked")
  local out = outbound(a)
  eq(out.h.pliCount, 1, "PLI counted on h")
  eq(out.q.pliCount, before.q.pliCount, "not on q")
  eq(out.f.pliCount, before.f.pliCount, "not on f")
  -- h inactive: its packets stop, the others go on
  local p = t.sender:getParameters()
  p.encodings[2].active = false
  assert(t.sender:setParameters(p))
  rtc.sleep(100)
  local s1 = outbound(a)
  rtc.sleep(700)
  local s2 = outbound(a)
  eq(s2.h.packetsSent, s1.h.packetsSent, "h sends nothing while inactive")
  ok(s2.q.packetsSent > s1.q.packetsSent and s2.f.packetsSent > s1.f.packetsSent, "q and f go on")
  eq(s2.h.active, false)
  p = t.sender:getParameters()
  p.encodings[2].active = true
  assert(t.sender:setParameters(p))
  rtc.sleep(500)
  ok(outbound(a).h.packetsSent > s2.h.packetsSent, "h again")
  track:stop()
end, 30000)

test("the answer decides: an omitted layer and a paused one are not sent", function()
  local a, b, t, tracks, track = three_layers({ "q", "~f" })
  rtc.sleep(1000)
  local out, n = outbound(a)
  eq(n, 1, "one layer sends")
  ok(out.q and out.q.packetsSent > 20, "q sends")
  for _, s in pairs(b:getStats()) do
    if s.type == "inbound-rtp" then eq(s.mid, "q", "b receives q only") end
  end
  track:stop()
end, 30000)

test("a layer the answer lists without its a=rid recv line is not sent", function()
  local a, b, t, tracks, track = three_layers(nil, nil, nil, function(sdp) return (sdp:gsub("a=rid:h recv\r\n", "")) end)
  rtc.sleep(800)
  local out, n = outbound(a)
  eq(n, 2, "two layers send")
  ok(out.q and out.f and not out.h, "q and f, not h")
  track:stop()
end, 30000)

test("an answer with alternatives \"q,h;f\": one layer per simulcast stream", function()
  -- RFC 8853 5.1: "q,h" is one stream of which one rid is sent; sending both would
  -- give the peer three streams where it asked for two
  local a, b, t, tracks, track = three_layers(nil, nil, nil, function(sdp)
    return (sdp:gsub("a=simulcast:recv q;h;f", "a=simulcast:recv q,h;f"))
  end)
  rtc.sleep(800)
  local out, n = outbound(a)
  eq(n, 2, "two layers send")
  ok(out.q and out.f and not out.h, "q (the first alternative) and f, not h")
  track:stop()
end, 30000)

test("an answer with more a=rid lines than luartc holds is refused, not taken and ignored", function()
  -- 3 + 6 a=rid recv lines (the view holds 8): before, setRemoteDescription succeeded
  -- and the transceiver was never negotiated (nothing sent, currentDirection nil)
  local a, b, set_mid = munged_pair()
  local track = assert(rtc.media.open(FIX .. "vp8.ivf", { loop = true }))
  local t = assert(a:addTransceiver(track, { direction = "sendonly", sendEncodings = ENCS }))
  local offer = assert(a:createOffer())
  assert(a:setLocalDescription(offer))
  local split, _, info = munge.split_offer(offer.sdp)
  set_mid(info.mid)
  assert(b:setRemoteDescription({ type = "offer", sdp = split }))
  local answer = assert(b:createAnswer())
  assert(b:setLocalDescription(answer))
  local folded = munge.fold_answer(answer.sdp, info)
  local extra = ""
  for i = 1, 6 do extra = extra .. "a=rid:x" .. i .. " recv\r\n" end
  local r, err = a:setRemoteDescription({ type = "answer", sdp = (folded:gsub("(a=simulcast:recv )", extra .. "%1")) })
  eq(r, nil, "refused")
  ok(tostring(err):match("a=rid"), "the error says why: " .. tostring(err))
  print("  " .. tostring(err))
  eq(a.signalingState, "have-local-offer", "the offer stays")
  assert(a:setRemoteDescription({ type = "answer", sdp = folded }))
  eq(t.currentDirection, "sendonly")
  rtc.sleep(500)
  local _, n = outbound(a)
  eq(n, 3, "the good answer sends three layers")
  track:stop()
end, 30000)

test("sendEncodings active=false at addTransceiver: that layer starts inactive", function()
  -- W3C addTransceiver keeps sendEncodings[i].active; h made inactive sends nothing
  -- until setParameters makes it active
  local encs = { { rid = "q" }, { rid = "h", active = false }, { rid = "f" } }
  local a, b, t, tracks, track = three_layers(nil, encs)
  eq(t.sender:getParameters().encodings[2].active, false)
  rtc.sleep(700)
  local out = outbound(a)
  ok(out.q and out.q.packetsSent > 10 and out.f and out.f.packetsSent > 10, "q and f send")
  eq(out.h and out.h.packetsSent or 0, 0, "h sends nothing")
  local p = t.sender:getParameters()
  p.encodings[2].active = true
  assert(t.sender:setParameters(p))
  rtc.sleep(700)
  out = outbound(a)
  ok(out.h and out.h.packetsSent > 10, "h sends once active")
  track:stop()
  -- the lone encoding of a sender without rids too
  local c, d = H.pair()
  local track2 = assert(rtc.media.open(FIX .. "vp8.ivf", { loop = true }))
  assert(c:addTransceiver(track2, { direction = "sendonly", sendEncodings = { { active = false } } }))
  assert(H.negotiate(c, d))
  H.waitFor(function() return d.connectionState == "connected" end, "connected")
  rtc.sleep(500)
  out = outbound(c)
  eq(out["-"] and out["-"].packetsSent or 0, 0, "a lone inactive encoding sends nothing")
  track2:stop()
end, 30000)

test("an answer without a=simulcast: the first layer alone, without rid", function()
  local a, b = H.pair(nil, { receiveSimulcast = false }) -- b answers without simulcast
  local track = assert(rtc.media.open(FIX .. "vp8.ivf", { loop = true }))
  assert(a:addTransceiver(track, { direction = "sendonly", sendEncodings = ENCS }))
  local got
  b.ontrack = function(ev) got = ev.track end
  local rtp = {}
  assert(H.negotiate(a, b))
  ok(not b.localDescription.sdp:match("a=simulcast"), "b's answer has no a=simulcast")
  H.waitFor(function() return got end, "track")
  got.onrtp = function(ev) rtp[#rtp + 1] = ev.data end
  rtc.sleep(1000)
  local out, n = outbound(a)
  eq(n, 1, "one stream")
  ok(out.q and out.q.packetsSent > 20, "the first encoding sends")
  local fr = 0
  for _, s in pairs(b:getStats()) do
    if s.type == "inbound-rtp" then fr = s.framesReceived end
  end
  ok(fr > 20, "b receives frames", fr)
  ok(#rtp > 0, "packets seen")
  local rid_id = tonumber(a.localDescription.sdp:match("a=extmap:(%d+) urn:ietf:params:rtp%-hdrext:sdes:rtp%-stream%-id"))
  local mid_id = tonumber(a.localDescription.sdp:match("a=extmap:(%d+) urn:ietf:params:rtp%-hdrext:sdes:mid"))
  ok(rid_id and mid_id, "extension ids")
  for _, p in ipairs(rtp) do
    local e = rtp_exts(p)
    ok(e[mid_id], "the mid element is there")
    eq(e[rid_id], nil, "no rtp-stream-id without negotiated simulcast")
  end
  track:stop()
end, 30000)

test("answering an offer that asks for simulcast: the layers it asks for, in our answer", function()
  -- b (an SFU's role) offers to receive h and f (and a rid "x" a has not); a answers
  -- sending h and f: a=rid send, a=simulcast:send, no a=ssrc
  local a, b = H.pair()
  local track = assert(rtc.media.open(FIX .. "vp8.ivf", { loop = true }))
  local t = assert(a:addTransceiver(track, { direction = "sendonly", sendEncodings = ENCS }))
  assert(b:addTransceiver("video", { direction = "recvonly" }))
  local offer = assert(b:createOffer())
  assert(b:setLocalDescription(offer))
  local sdp = offer.sdp:gsub("(a=rtcp%-rsize\r\n)", "%1a=rid:h recv\r\na=rid:f recv\r\na=rid:x recv\r\na=simulcast:recv x;h;f\r\n", 1)
  ok(sdp:match("a=simulcast:recv"), "munged", sdp)
  assert(a:setRemoteDescription({ type = "offer", sdp = sdp }))
  local answer = assert(a:createAnswer())
  ok(answer.sdp:match("a=rid:h send\r\na=rid:f send\r\na=simulcast:send h;f\r\n"), "the answer sends h and f", answer.sdp)
  ok(not answer.sdp:match("a=rid:q") and not answer.sdp:match("a=rid:x"), "not q, not x")
  ok(not answer.sdp:match("a=ssrc"), "no a=ssrc")
  assert(a:setLocalDescription(answer))
  assert(b:setRemoteDescription(answer))
  eq(t.mid, "0", "a's transceiver took b's m-section")
  H.waitFor(function() return b.connectionState == "connected" end, "connected")
  rtc.sleep(700)
  local out, n = outbound(a)
  eq(n, 2, "two layers send")
  ok(out.h and out.h.packetsSent > 10 and out.f and out.f.packetsSent > 10, "h and f send")
  eq(out.q, nil, "q does not")
  track:stop()
end, 30000)

test("answering an offer with alternatives: one rid per offered stream", function()
  -- b offers to receive "h,q;f": two streams, the first h or q (h preferred, RFC 8853
  -- 5.1); a answers two streams, h and f, not q as a third
  local a, b = H.pair()
  local track = assert(rtc.media.open(FIX .. "vp8.ivf", { loop = true }))
  assert(a:addTransceiver(track, { direction = "sendonly", sendEncodings = ENCS }))
  assert(b:addTransceiver("video", { direction = "recvonly" }))
  local offer = assert(b:createOffer())
  assert(b:setLocalDescription(offer))
  local sdp = offer.sdp:gsub("(a=rtcp%-rsize\r\n)", "%1a=rid:h recv\r\na=rid:q recv\r\na=rid:f recv\r\na=simulcast:recv h,q;f\r\n", 1)
  assert(a:setRemoteDescription({ type = "offer", sdp = sdp }))
  local answer = assert(a:createAnswer())
  ok(answer.sdp:match("a=rid:h send\r\na=rid:f send\r\na=simulcast:send h;f\r\n"), "the answer sends h and f", answer.sdp)
  ok(not answer.sdp:match("a=rid:q"), "not q")
  assert(a:setLocalDescription(answer))
  assert(b:setRemoteDescription(answer))
  H.waitFor(function() return b.connectionState == "connected" end, "connected")
  rtc.sleep(700)
  local out, n = outbound(a)
  eq(n, 2, "two layers send")
  ok(out.h and out.f and not out.q, "h and f, not q")
  track:stop()
end, 30000)

test("setParameters active=false on a sender without rids stops it too", function()
  -- W3C: encodings[1].active false: the one RTP stream sends nothing, then again
  local a, b = H.pair()
  local track = assert(rtc.media.open(FIX .. "vp8.ivf", { loop = true }))
  local t = assert(a:addTransceiver(track, { direction = "sendonly" }))
  assert(H.negotiate(a, b))
  H.waitFor(function() return b.connectionState == "connected" end, "connected")
  rtc.sleep(400)
  local function sent() local out = outbound(a); return out["-"] and out["-"].packetsSent or 0 end
  local p = t.sender:getParameters()
  eq(#p.encodings, 1)
  p.encodings[1].active = false
  assert(t.sender:setParameters(p))
  eq(t.sender:getParameters().encodings[1].active, false)
  rtc.sleep(100)
  local n0 = sent()
  rtc.sleep(600)
  eq(sent(), n0, "nothing sent while inactive")
  p = t.sender:getParameters()
  p.encodings[1].active = true
  assert(t.sender:setParameters(p))
  rtc.sleep(600)
  ok(sent() > n0 + 10, "sends again", n0, sent())
  track:stop()
end, 30000)

test("an encoding with its own track feeds that layer alone", function()
  -- q plays frames the script writes; h and f the file
  local own = rtc.MediaStreamTrack { kind = "video", codec = "VP8" }
  local encs = { { rid = "q", track = own }, { rid = "h" }, { rid = "f" } }
  local a, b, t, tracks, track = three_layers(nil, encs)
  local got = { q = {}, h = 0 }
  tracks.q.onframe = function(ev) got.q[#got.q + 1] = ev.data end
  tracks.h.onframe = function() got.h = got.h + 1 end
  -- a VP8 keyframe header (RFC 6386 9.1: P bit 0, start code, 16x16) and a marker
  local function frame(i)
    return string.char(0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x10, 0x00, 0x10, 0x00) .. "own-frame-" .. i
  end
  for i = 1, 20 do
    own:write(frame(i), { keyframe = true })
    rtc.sleep(33)
  end
  H.waitFor(function() return #got.q >= 15 end, "q gets the written frames")
  for _, f in ipairs(got.q) do
    ok(f:match("own%-frame%-%d+$"), "q carries only the own track's frames")
  end
  ok(got.h > 10, "h gets the file", got.h)
  local out = outbound(a)
  ok(out.q.framesSent >= 15 and out.q.framesSent <= 20, "q framesSent", out.q.framesSent)
  ok(out.h.framesSent > out.q.framesSent, "h framesSent from the file")
  -- removeTrack: the layer with its own track stops as well
  assert(a:removeTrack(t.sender))
  eq(own:write(frame(99), { keyframe = true }), 0, "the own track feeds nobody after removeTrack")
  track:stop()
end, 30000)

-- The core's raw method takes the rids as strings only: a number would be converted on
-- the stack and let go before use (a dangling pointer; media.lua never passes one).
-- W3C webrtc-pc 4.4.1.5: a remote answer removes the encodings it leaves out (a paused
-- one stays); without simulcast only the first stays. getParameters no longer lists
-- them, setParameters addresses the ones left, and the next offer leaves them out.
test("an answer that drops layers removes their encodings", function()
  local a, b = H.pair()
  local t = assert(a:addTransceiver("video", { direction = "sendonly", sendEncodings = ENCS }))
  local rids = {}
  for i, e in ipairs(t.sender:getParameters().encodings) do rids[i] = e.rid end
  eq(table.concat(rids, ","), "q,h,f")
  assert(H.negotiate(a, b, function(ans)
    local sdp = ans.sdp:gsub("a=rid:h recv\r\n", ""):gsub("a=simulcast:recv q;h;f", "a=simulcast:recv q;~f")
    return { type = "answer", sdp = sdp }
  end))
  local p = t.sender:getParameters()
  rids = {}
  for i, e in ipairs(p.encodings) do rids[i] = e.rid end
  eq(table.concat(rids, ","), "q,f", "h removed, the paused f kept")
  -- setParameters with the two left: the second is f, the core's third layer
  p.encodings[2].active = false
  assert(t.sender:setParameters(p))
  eq(t.sender:getParameters().encodings[2].active, false)
  eq(t.sender:getParameters().encodings[2].rid, "f")
  p = t.sender:getParameters()
  p.encodings[3] = { rid = "h" }
  local r, _, name = t.sender:setParameters(p)
  eq(name, "EINVALIDMODIFICATION", "the removed one cannot come back")
  local offer = assert(a:createOffer())
  ok(offer.sdp:find("a=simulcast:send q;f\r\n", 1, true), "re-offer: q;f")
  ok(not offer.sdp:find("a=rid:h ", 1, true), "no rid h offered again")
  -- an answer without simulcast: the first alone
  assert(a:setLocalDescription(offer))
  assert(b:setRemoteDescription(offer))
  local ans = assert(b:createAnswer())
  assert(b:setLocalDescription(ans))
  local plain = ans.sdp:gsub("a=rid:[^\r\n]*\r\n", ""):gsub("a=simulcast:[^\r\n]*\r\n", "")
  assert(a:setRemoteDescription({ type = "answer", sdp = plain }))
  p = t.sender:getParameters()
  eq(#p.encodings, 1, "no simulcast in the answer: the first encoding alone")
  eq(p.encodings[1].rid, "q")
  offer = assert(a:createOffer())
  ok(not offer.sdp:find("a=simulcast:", 1, true), "no simulcast offered again")
  a:close()
  b:close()
end)

test("the raw _addTransceiver refuses rids that are not strings", function()
  local pc = assert(rtc.RTCPeerConnection({}))
  local raw = debug.getregistry()["rtc.RTCPeerConnection"].methods._addTransceiver
  local okc, err = pcall(raw, pc, "video", "sendonly", nil, nil, nil, { 1, 2, 3 })
  eq(okc, false)
  ok(tostring(err):find("rids must be strings", 1, true), "says why", err)
  pc:close()
end)

H.run()
