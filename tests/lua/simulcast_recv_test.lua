-- Simulcast receiving (RFC 8853 / 8851 / 8852, JSEP 5.8): a luartc peer that publishes
-- three layers as Chrome does (a=simulcast:send, a=rid send, no a=ssrc) to a luartc
-- peer that answers receiving them: one track event per layer with track.rid, each
-- layer's frames on its own track (records and decodes), one inbound-rtp per rid, a
-- keyframe request for one layer, NACK -> RTX per layer over a lossy path, the opt-out.
local H = dofile((arg[0]:match("^(.*)/") or ".") .. "/harness.lua")
local test, eq, ok, rtc = H.test, H.eq, H.ok, H.rtc

local FIX, TMP, sh, have_ffmpeg = H.MEDIA_FIXTURES, H.TMP, H.sh, H.have_ffmpeg

local ENCS = {
  { rid = "q", scaleResolutionDownBy = 4 },
  { rid = "h", scaleResolutionDownBy = 2 },
  { rid = "f" },
}

local function stats_by_rid(pc, type)
  local out, n = {}, 0
  for _, s in pairs(pc:getStats()) do
    if s.type == type then
      n = n + 1
      out[s.rid or "-"] = s
    end
  end
  return out, n
end

test("three layers: a track per rid, each records and decodes, an inbound-rtp per rid", function()
  local a, b = H.pair()
  local track = assert(rtc.media.open(FIX .. "vp8.ivf", { loop = true }))
  assert(a:addTransceiver(track, { direction = "sendonly", sendEncodings = ENCS }))
  local evs = {}
  b.ontrack = function(ev) evs[#evs + 1] = ev end
  assert(H.negotiate(a, b))
  local ans = b.localDescription.sdp
  ok(ans:match("a=rid:q recv\r\na=rid:h recv\r\na=rid:f recv\r\n"), "a=rid recv per offered rid, in order")
  ok(ans:match("a=simulcast:recv q;h;f\r\n"), "a=simulcast:recv q;h;f")
  ok(ans:match("urn:ietf:params:rtp%-hdrext:sdes:rtp%-stream%-id"), "rid extension answered")
  ok(ans:match("urn:ietf:params:rtp%-hdrext:sdes:repaired%-rtp%-stream%-id"), "repaired rid extension answered")
  ok(ans:match("urn:ietf:params:rtp%-hdrext:sdes:mid"), "mid extension answered")
  eq(#evs, 3, "one track event per layer")
  local tracks = {}
  for i, ev in ipairs(evs) do
    eq(ev.track.rid, ENCS[i].rid, "track event " .. i .. " rid")
    eq(ev.rid, ENCS[i].rid, "ev.rid")
    eq(ev.transceiver, evs[1].transceiver, "one transceiver")
    eq(ev.receiver, evs[1].receiver, "one receiver")
    eq(ev.track.kind, "video")
    tracks[ev.track.rid] = ev.track
  end
  ok(tracks.q ~= tracks.h and tracks.h ~= tracks.f, "a track of its own per layer")
  eq(evs[1].receiver.track, tracks.q, "receiver.track is the first layer's")
  eq(#evs[1].receiver.tracks, 3, "receiver.tracks")
  local recs, frames = {}, {}
  for rid, tr in pairs(tracks) do
    frames[rid] = 0
    tr.onframe = function(f)
      eq(f.track, tr)
      frames[rid] = frames[rid] + 1
    end
    recs[rid] = assert(rtc.media.record(tr, TMP .. "/luartc-simrecv-" .. rid .. ".ivf"))
  end
  H.waitFor(function() return not tracks.q.muted and not tracks.h.muted and not tracks.f.muted end, "layers unmute")
  rtc.sleep(2000)
  local out = stats_by_rid(a, "outbound-rtp")
  local inb, n = stats_by_rid(b, "inbound-rtp")
  eq(n, 3, "three inbound-rtp on b")
  for _, e in ipairs(ENCS) do
    local rid = e.rid
    local s = inb[rid]
    ok(s, "inbound-rtp with rid " .. rid)
    eq(s.ssrc, out[rid].ssrc, rid .. ": b learnt the layer's SSRC from its rid")
    ok(s.framesReceived > 40, rid .. ": framesReceived", s.framesReceived)
    eq(s.frameWidth, 320, rid .. ": frameWidth (a file track is not scaled)")
    ok(frames[rid] > 40, rid .. ": onframe on its own track", frames[rid])
    local st = recs[rid]:stats()
    recs[rid]:close()
    ok(st.frames > 40, rid .. ": frames recorded", st.frames)
    eq(st.errors, 0, rid .. ": recorder errors")
    if have_ffmpeg then
      eq(sh("ffmpeg -v error -i " .. TMP .. "/luartc-simrecv-" .. rid .. ".ivf -f null - "), "",
        rid .. ": ffmpeg decodes the layer")
    end
    print(string.format("  layer %s ssrc %u: framesReceived %d, onframe %d, recorded %d", rid, s.ssrc,
      s.framesReceived, frames[rid], st.frames))
  end
  -- a keyframe request on one layer's track reaches that layer's sender alone
  local before = stats_by_rid(a, "outbound-rtp")
  assert(tracks.h:requestKeyframe())
  H.waitFor(function() return stats_by_rid(a, "outbound-rtp").h.pliCount > before.h.pliCount end, "PLI for h")
  local after = stats_by_rid(a, "outbound-rtp")
  eq(after.q.pliCount, before.q.pliCount, "q not asked")
  eq(after.f.pliCount, before.f.pliCount, "f not asked")
  track:stop()
end, 30000)

-- A recording agent without ontrack (examples/whip-recorder.lua) takes receiver.track or
-- receiver.tracks as soon as the answer is applied, before any layer's first packet:
-- each must already be its layer's, or the recorder gets nothing.
test("receiver.track and receiver.tracks before the first packet: each records its layer", function()
  local a, b = H.pair()
  local track = assert(rtc.media.open(FIX .. "vp8.ivf", { loop = true }))
  assert(a:addTransceiver(track, { direction = "sendonly", sendEncodings = ENCS }))
  assert(H.negotiate(a, b))
  local r = b:getTransceivers()[1].receiver
  local tracks = r.tracks
  eq(#tracks, 3, "receiver.tracks")
  eq(r.track, tracks[1], "receiver.track is the first layer's")
  local recs = {}
  for i, tk in ipairs(tracks) do
    eq(tk.rid, ENCS[i].rid, "layer " .. i .. " rid")
    recs[i] = assert(rtc.media.record(tk, TMP .. "/luartc-simrecv-early-" .. tk.rid .. ".ivf"))
  end
  rtc.sleep(1500)
  for i, rec in ipairs(recs) do
    local st = rec:stats()
    rec:close()
    ok(st.frames > 20, ENCS[i].rid .. ": frames recorded", st.frames)
    os.remove(TMP .. "/luartc-simrecv-early-" .. ENCS[i].rid .. ".ivf")
  end
  track:stop()
end, 20000)

test("NACK -> RTX per layer through a lossy relay: every layer repaired", function()
  -- a -> relay -> b; the relay drops every 12th RTP datagram a sends
  local uv = H.uv
  local ra, rb = uv.new_udp(), uv.new_udp()
  assert(ra:bind("127.0.0.1", 0))
  assert(rb:bind("127.0.0.1", 0))
  local a_addr, b_addr, n_rtp, dropped = nil, nil, 0, 0
  ra:recv_start(function(_, data, from)
    if not data then return end
    a_addr = a_addr or from
    local b1, b2 = data:byte(1), data:byte(2)
    if b1 and b1 >= 128 and b1 < 192 and not (b2 >= 192 and b2 <= 223) then
      n_rtp = n_rtp + 1
      if n_rtp > 60 and n_rtp % 12 == 0 then
        dropped = dropped + 1
        return
      end
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
  local tracks, frames = {}, {}
  b.ontrack = function(ev)
    tracks[ev.track.rid] = ev.track
    frames[ev.track.rid] = 0
    ev.track.onframe = function() frames[ev.track.rid] = frames[ev.track.rid] + 1 end
  end
  assert(a:setLocalDescription(assert(a:createOffer())))
  assert(b:setRemoteDescription({ type = "offer", sdp = via(gathered(a), rb:getsockname().port) }))
  assert(b:setLocalDescription(assert(b:createAnswer())))
  assert(a:setRemoteDescription({ type = "answer", sdp = via(gathered(b), ra:getsockname().port) }))
  H.waitFor(function() return tracks.q and tracks.h and tracks.f end, "three tracks on b")
  rtc.sleep(3000)
  local out = stats_by_rid(a, "outbound-rtp")
  local inb = stats_by_rid(b, "inbound-rtp")
  for _, e in ipairs(ENCS) do
    local rid = e.rid
    ok(inb[rid] and inb[rid].nackCount > 0, rid .. ": b NACKs the layer's SSRC", inb[rid] and inb[rid].nackCount)
    ok(out[rid].retransmittedPacketsSent > 0, rid .. ": a repairs on its RTX", out[rid].retransmittedPacketsSent)
    ok(frames[rid] > 60, rid .. ": frames on its track", frames[rid])
    ok(inb[rid].framesDropped <= 1, rid .. ": frames dropped", inb[rid].framesDropped)
    print(string.format("  layer %s: nackCount %d, retransmitted %d, frames %d, dropped %d",
      rid, inb[rid].nackCount, out[rid].retransmittedPacketsSent, frames[rid], inb[rid].framesDropped))
  end
  print("  RTP datagrams dropped by the relay: " .. dropped)
  track:stop()
  a:close()
  b:close()
  ra:close()
  rb:close()
end, 30000)

test("a renegotiation the receiver offers keeps the layers: a=simulcast:recv in its offer", function()
  local a, b = H.pair()
  local track = assert(rtc.media.open(FIX .. "vp8.ivf", { loop = true }))
  assert(a:addTransceiver(track, { direction = "sendonly", sendEncodings = ENCS }))
  local tracks, n_events, frames = {}, 0, {}
  b.ontrack = function(ev)
    n_events = n_events + 1
    local rid = ev.track.rid
    tracks[rid], frames[rid] = ev.track, 0
    ev.track.onframe = function() frames[rid] = frames[rid] + 1 end
  end
  assert(H.negotiate(a, b))
  H.waitFor(function() return frames.q > 5 and frames.h > 5 and frames.f > 5 end, "frames on every layer")
  -- b (the receiving bot) adds a data channel and offers
  b:createDataChannel("ctl")
  assert(H.negotiate(b, a))
  local offer, answer = b.localDescription.sdp, a.localDescription.sdp
  ok(offer:match("a=rid:q recv\r\na=rid:h recv\r\na=rid:f recv\r\n"), "b's re-offer: a=rid recv")
  ok(offer:match("a=simulcast:recv q;h;f\r\n"), "b's re-offer: a=simulcast:recv")
  ok(answer:match("a=simulcast:send q;h;f\r\n"), "a's answer sends the three")
  local before = { q = frames.q, h = frames.h, f = frames.f }
  rtc.sleep(1000)
  for _, e in ipairs(ENCS) do
    ok(frames[e.rid] - before[e.rid] > 15, e.rid .. ": frames after the re-offer", frames[e.rid] - before[e.rid])
  end
  eq(n_events, 3, "no new track events")
  track:stop()
end, 30000)

-- An SFU's role: b offers to receive simulcast (luartc's receiveRids: no W3C API asks
-- for it) before a has sent anything; a, whose transceiver has the encodings, answers
-- sending the rids asked for that it has (h and f; not x, which it has not).
test("receiveRids: our offer asks for simulcast; the answer's layers arrive as tracks", function()
  local a, b = H.pair()
  local track = assert(rtc.media.open(FIX .. "vp8.ivf", { loop = true }))
  assert(a:addTransceiver(track, { direction = "sendonly", sendEncodings = ENCS }))
  assert(b:addTransceiver("video", { direction = "recvonly", receiveRids = { "x", "h", "f" } }))
  local evs, frames = {}, {}
  b.ontrack = function(ev)
    evs[#evs + 1] = ev
    local rid = ev.track.rid or "-"
    frames[rid] = 0
    ev.track.onframe = function() frames[rid] = frames[rid] + 1 end
  end
  assert(H.negotiate(b, a))
  local offer, answer = a.remoteDescription.sdp, b.remoteDescription.sdp
  ok(offer:match("a=rid:x recv\r\na=rid:h recv\r\na=rid:f recv\r\na=simulcast:recv x;h;f\r\n"), "b's offer asks for x, h, f", offer)
  ok(offer:match("urn:ietf:params:rtp%-hdrext:sdes:rtp%-stream%-id"), "b offers the rid extension")
  ok(answer:match("a=rid:h send\r\na=rid:f send\r\na=simulcast:send h;f\r\n"), "a answers sending h and f", answer)
  H.waitFor(function() return #evs >= 2 end, "track events")
  rtc.sleep(50)
  eq(#evs, 2, "one track event per layer the answer sends")
  eq(evs[1] and evs[1].track.rid, "h")
  eq(evs[2] and evs[2].track.rid, "f")
  H.waitFor(function() return (frames.h or 0) > 20 and (frames.f or 0) > 20 end, "frames on h and f")
  local inb, n = stats_by_rid(b, "inbound-rtp")
  eq(n, 2, "two inbound-rtp")
  ok(inb.h and inb.f, "inbound-rtp per rid")
  eq(#b:getTransceivers()[1].receiver.tracks, 2, "receiver.tracks")
  -- a re-offer from b asks for the layers it receives, not for x again
  b:createDataChannel("ctl")
  assert(H.negotiate(b, a))
  ok(b.localDescription.sdp:match("a=simulcast:recv h;f\r\n"), "b's re-offer: h;f", b.localDescription.sdp)
  eq(#evs, 2, "no new track events")
  -- the checks: video only, 2 or 3 rids, RFC 8851 rids, no duplicates
  for _, bad in ipairs({ { "a" }, { "a", "b", "c", "d" }, { "a", "a" }, { "a", "b c" }, { "a", 1 } }) do
    ok(not pcall(b.addTransceiver, b, "video", { receiveRids = bad }), "refused: " .. table.concat(bad, ","))
  end
  ok(not pcall(b.addTransceiver, b, "audio", { receiveRids = { "a", "b" } }), "refused: audio")
  eq(#b:getTransceivers(), 1, "a refused init makes no transceiver")
  track:stop()
end, 30000)

test("receiveSimulcast = false: an answer without simulcast, one track without rid", function()
  local a, b = H.pair(nil, { receiveSimulcast = false })
  local track = assert(rtc.media.open(FIX .. "vp8.ivf", { loop = true }))
  assert(a:addTransceiver(track, { direction = "sendonly", sendEncodings = ENCS }))
  local evs = {}
  b.ontrack = function(ev) evs[#evs + 1] = ev end
  assert(H.negotiate(a, b))
  ok(not b.localDescription.sdp:match("a=simulcast"), "no a=simulcast")
  ok(not b.localDescription.sdp:match("a=rid"), "no a=rid")
  eq(#evs, 1, "one track event")
  eq(evs[1].track.rid, nil, "no rid")
  local n = 0
  evs[1].track.onframe = function() n = n + 1 end
  rtc.sleep(1000)
  ok(n > 20, "frames of the first layer", n)
  local _, outs = stats_by_rid(a, "outbound-rtp")
  eq(outs, 1, "a sends one layer")
  local ok2 = pcall(rtc.RTCPeerConnection, { receiveSimulcast = "no" })
  ok(not ok2, "receiveSimulcast must be a boolean")
  track:stop()
end, 30000)

H.run()
