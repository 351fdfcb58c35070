-- DTMF between two luartc peers (RFC 4733 telephone-events; W3C RTCDTMFSender):
-- sender.dtmf:insertDTMF plays its tone buffer with tonechange events, the peer's
-- track.ondtmf (luartc extension) gets each tone once with its duration, and the
-- audio stream around the events loses nothing.
local H = dofile((arg[0]:match("^(.*)/") or ".") .. "/harness.lua")
local test, eq, ok, rtc = H.test, H.eq, H.ok, H.rtc

local function stats_of(pc, t)
  local got
  pc:getStats(function(r) got = r end)
  H.waitFor(function() return got end, "stats")
  for _, s in pairs(got) do if s.type == t and s.kind == "audio" then return s end end
end

local function audio_pair()
  local a, b = H.pair()
  local track = assert(rtc.media.open(H.MEDIA_FIXTURES .. "opus.ogg", { loop = true }))
  local sender = assert(a:addTrack(track, { id = "s" }))
  local got = {}
  local remote
  b.ontrack = function(ev)
    remote = ev.track
    remote.ondtmf = function(e) got[#got + 1] = e end
  end
  assert(H.negotiate(a, b))
  H.waitFor(function() return a.connectionState == "connected" and remote end, "connected")
  return a, b, sender, got, remote
end

test("insertDTMF: tonechange per tone, the peer hears each tone once", function()
  local a, b, sender, got = audio_pair()
  local dtmf = sender.dtmf
  ok(dtmf ~= nil, "an audio sender has dtmf")
  H.waitFor(function() return dtmf.canInsertDTMF end, "canInsertDTMF")
  rtc.sleep(300) -- audio flowing first
  local changes = {}
  local t0 = rtc.core.nowUs()
  dtmf.ontonechange = function(ev) changes[#changes + 1] = { ev.tone, (rtc.core.nowUs() - t0) / 1000 } end
  dtmf:insertDTMF("12#,a", 100, 70)
  eq(dtmf.toneBuffer, "12#,A", "toneBuffer upper-cased")
  H.waitFor(function() return #changes > 0 and changes[#changes][1] == "" end, "the buffer played out", 8000)
  local tones = {}
  for i, c in ipairs(changes) do tones[i] = c[1] end
  eq(table.concat(tones, "|"), "1|2|#|,|A|", "tonechange order")
  -- W3C timing: a tone every duration + gap (170 ms), the pause 2000 ms
  local d12 = changes[2][2] - changes[1][2]
  ok(d12 >= 160 and d12 < 260, "tone spacing", d12)
  local dpause = changes[5][2] - changes[4][2]
  ok(dpause >= 1990 and dpause < 2150, "',' pauses 2 s", dpause)
  H.waitFor(function() return #got == 4 end, "4 tones at the peer", 3000)
  local heard = {}
  for i, e in ipairs(got) do
    heard[i] = e.tone
    ok(e.duration >= 100 and e.duration <= 120, "duration of " .. e.tone, e.duration)
  end
  eq(table.concat(heard), "12#A", "tones heard")
  rtc.sleep(300)
  -- The events took their places in the audio's sequence numbers: no loss.
  local i = stats_of(b, "inbound-rtp")
  ok(i and i.packetsReceived > 40, "audio received", i and i.packetsReceived)
  eq(i and i.packetsLost, 0, "no audio packet counted lost")
  a:close()
  b:close()
end)

test("insertDTMF: W3C errors, clamps and the empty buffer", function()
  local a, b, sender = audio_pair()
  local dtmf = sender.dtmf
  H.waitFor(function() return dtmf.canInsertDTMF end, "canInsertDTMF")
  local okk, err = pcall(dtmf.insertDTMF, dtmf, "12x")
  ok(not okk and tostring(err):find("InvalidCharacterError", 1, true), "bad tone", err)
  eq(dtmf.toneBuffer, "", "a refused call changes nothing")
  ok(not pcall(dtmf.insertDTMF, dtmf, 12), "tones not a string")
  ok(not pcall(function() dtmf.toneBuffer = "1" end), "toneBuffer read-only")
  local changes = {}
  dtmf.ontonechange = function(ev) changes[#changes + 1] = ev.tone end
  dtmf:insertDTMF("1", 10, 1) -- clamped to 40 ms and 30 ms
  eq(dtmf._duration, 40, "duration clamped")
  eq(dtmf._gap, 30, "gap clamped")
  H.waitFor(function() return changes[#changes] == "" end, "played")
  eq(table.concat(changes, "|"), "1|", "one tone, then the end")
  -- insertDTMF("") while tones wait empties the buffer: playout ends after the tone
  changes = {}
  dtmf:insertDTMF("123", 200, 100)
  H.waitFor(function() return #changes >= 1 end, "first tone")
  dtmf:insertDTMF("")
  H.waitFor(function() return changes[#changes] == "" end, "ended")
  eq(table.concat(changes, "|"), "1|", "the buffer was emptied")
  -- a closed pc: cannot
  a:close()
  ok(not dtmf.canInsertDTMF, "closed pc: canInsertDTMF false")
  okk, err = pcall(dtmf.insertDTMF, dtmf, "1")
  ok(not okk and tostring(err):find("InvalidStateError", 1, true), "closed: InvalidStateError", err)
  b:close()
end)

test("dtmf is nil for video senders and false before negotiation", function()
  local a = H.pc()
  local tv = a:addTransceiver("video")
  eq(tv.sender.dtmf, nil, "video sender")
  local ta = a:addTransceiver("audio")
  ok(ta.sender.dtmf ~= nil, "audio sender")
  ok(not ta.sender.dtmf.canInsertDTMF, "not negotiated")
  ok(not pcall(ta.sender.dtmf.insertDTMF, ta.sender.dtmf, "1"), "raises before negotiation")
  eq(ta.sender.dtmf, ta.sender.dtmf, "one object per sender")
  a:close()
end)

H.run()
