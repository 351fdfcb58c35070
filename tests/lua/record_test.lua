-- rtc.media.record over live tracks (runtime/record in C): two luartc peers on loopback,
-- a sends VP8 and Opus file tracks, b records both into one WebM (and each alone into
-- IVF / Ogg); ffprobe and ffmpeg judge the files.
local H = dofile((arg[0]:match("^(.*)/") or ".") .. "/harness.lua")
local test, eq, ok, rtc = H.test, H.eq, H.ok, H.rtc

local FIX, TMP, sh, have_ffmpeg = H.MEDIA_FIXTURES, H.TMP, H.sh, H.have_ffmpeg

-- a sends vp8 (or the given video file) + opus; b's ontrack collects the tracks; returns
-- a, b, tracks, files.
local function av_pair(video)
  local a, b = H.pair()
  local v = assert(rtc.media.open(FIX .. (video or "vp8.ivf"), { loop = true }))
  local au = assert(rtc.media.open(FIX .. "opus.ogg", { loop = true }))
  assert(a:addTrack(v, { id = "s" }))
  assert(a:addTrack(au, { id = "s" }))
  local got = {}
  b.ontrack = function(ev) got[ev.track.kind] = ev.track end
  assert(H.negotiate(a, b))
  H.waitFor(function() return got.video and got.audio end, "two tracks")
  H.waitFor(function() return b.connectionState == "connected" end, "connected")
  return a, b, got, { v, au }
end

test("record(): wrong arguments raise or return nil, err", function()
  ok(not pcall(rtc.media.record, {}, "/tmp/x.webm"), "an empty list raises")
  ok(not pcall(rtc.media.record, { 1 }, "/tmp/x.webm"), "a non-track raises")
end)

test("VP8 + Opus recorded into one WebM: both streams, ~3 s, A/V start together", function()
  local a, b, got, files = av_pair()
  local out = TMP .. "/luartc-rec-av.webm"
  local rec = assert(rtc.media.record({ got.video, got.audio }, out))
  local errs = 0
  rec.onerror = function() errs = errs + 1 end
  -- a bad format / a track list IVF cannot hold
  local r2, err = rtc.media.record({ got.video, got.audio }, TMP .. "/x.ivf")
  eq(r2, nil)
  ok(err and err:match("IVF"), "IVF refuses two tracks", err)
  rtc.sleep(3000)
  ok(rec.bytes > 10000, "bytes written while recording", rec.bytes)
  ok(rec.duration > 2.0 and rec.duration < 3.5, "duration", rec.duration)
  rec:stop()
  H.waitFor(function() return rec.finished end, "the file complete")
  eq(errs, 0)
  for _, f in ipairs(files) do f:stop() end
  if have_ffmpeg then
    eq(sh("ffmpeg -nostdin -v error -i " .. out .. " -f null -"), "", "ffmpeg says nothing")
    local codecs = sh("ffprobe -v error -show_entries stream=codec_name -of csv=p=0 " .. out)
    ok(codecs:match("vp8") and codecs:match("opus"), "vp8 and opus", codecs)
    local d = tonumber(sh("ffprobe -v error -show_entries format=duration -of csv=p=0 " .. out))
    ok(d and math.abs(d - rec.duration) < 0.05 * rec.duration + 0.1, "ffprobe duration", d, rec.duration)
    local sv = tonumber(sh("ffprobe -v error -select_streams v -show_entries packet=pts_time -of csv=p=0 " .. out .. " | head -1"))
    local sa = tonumber(sh("ffprobe -v error -select_streams a -show_entries packet=pts_time -of csv=p=0 " .. out .. " | head -1"))
    -- The timeline starts at the first video keyframe (placed by the senders' SR clocks)
    -- and audio at its first frame after that point; audio captured before the recorder
    -- existed was never seen. Under ASan a keyframe's packets can arrive >100 ms after its
    -- capture (one run: audio at 0.139 s), so a keyframe captured before record() began
    -- starts the file that much before the first audio the recorder had.
    local slack = os.getenv("RTC_ASAN") and 0.25 or 0.1
    ok(sv and sa and math.abs(sv - sa) < slack, "A/V start within " .. slack * 1000 .. " ms", sv, sa)
  end
  os.remove(out)
end, 30000)

-- stop() writes the rest and the patches before it returns; a write still in flight then
-- holds a range of its own (here the last cluster's header, whose size stop() patches):
-- the file is finished once it landed and the patch went on again. Stopping from the
-- frame handler, right after the frame's write started, hits that most times.
test("stop() with a write in flight: the file completes once it lands", function()
  local a, b, got, files = av_pair()
  local inflight_runs = 0
  for i = 1, 3 do
    local out = TMP .. "/luartc-rec-inflight-" .. i .. ".webm"
    local rec = assert(rtc.media.record({ got.video }, out))
    local n, inflight = 0, nil
    got.video.onframe = function()
      n = n + 1
      if n == 12 + i then
        rec:stop()
        inflight = not rec.finished
      end
    end
    H.waitFor(function() return inflight ~= nil end, "frames", 10000)
    got.video.onframe = nil
    if inflight then inflight_runs = inflight_runs + 1 end
    H.waitFor(function() return rec.finished end, "the file complete")
    eq(rec:stats().errors, 0)
    if have_ffmpeg then
      eq(sh("ffmpeg -nostdin -v error -i " .. out .. " -f null -"), "", "ffmpeg says nothing")
      local d = tonumber(sh("ffprobe -v error -show_entries format=duration -of csv=p=0 " .. out))
      ok(d and math.abs(d - rec.duration) < 0.1, "ffprobe duration (patched)", tostring(d), rec.duration)
    end
    os.remove(out)
  end
  for _, f in ipairs(files) do f:stop() end
  io.stderr:write("  stop() found a write in flight in ", inflight_runs, " of 3 runs\n")
end, 60000)

test("H.264 + Opus into Matroska (.mkv); .webm refuses H.264 with a reason", function()
  local a, b, got, files = av_pair("h264.h264")
  local r0, err = rtc.media.record({ got.video, got.audio }, TMP .. "/x.webm")
  eq(r0, nil)
  ok(err and err:match("mkv"), "WebM says to use .mkv", err)
  local out = TMP .. "/luartc-rec-h264.mkv"
  local rec = assert(rtc.media.record({ got.video, got.audio }, out))
  rtc.sleep(3000)
  rec:stop()
  H.waitFor(function() return rec.finished end, "the file complete")
  ok(rec.frames > 100, "frames written", rec.frames)
  for _, f in ipairs(files) do f:stop() end
  if have_ffmpeg then
    eq(sh("ffmpeg -nostdin -v error -i " .. out .. " -f null -"), "", "ffmpeg says nothing")
    local codecs = sh("ffprobe -v error -show_entries stream=codec_name -of csv=p=0 " .. out)
    ok(codecs:match("h264") and codecs:match("opus"), "h264 and opus", codecs)
    local d = tonumber(sh("ffprobe -v error -show_entries format=duration -of csv=p=0 " .. out))
    ok(d and math.abs(d - rec.duration) < 0.05 * rec.duration + 0.1, "ffprobe duration", d, rec.duration)
  end
  os.remove(out)
end, 30000)

test("H.264 + Opus into MP4: both streams, duration, A/V start together; VP8 refused", function()
  local a, b, got, files = av_pair("h264.h264")
  local out = TMP .. "/luartc-rec-h264.mp4"
  local rec = assert(rtc.media.record({ got.video, got.audio }, out))
  rtc.sleep(4000)
  rec:stop()
  H.waitFor(function() return rec.finished end, "the file complete")
  eq(rec:stats().errors, 0)
  ok(rec.frames > 150, "frames written", rec.frames)
  for _, f in ipairs(files) do f:stop() end
  -- stop() applied the duration patches: mehd (ms) says what the recorder measured
  local fh = assert(io.open(out, "rb"))
  local head = fh:read(4096)
  fh:close()
  local at = head:find("mehd", 1, true)
  local ms = 0
  for i = at + 8, at + 15 do ms = ms * 256 + head:byte(i) end
  ok(math.abs(ms / 1000 - rec.duration) < 0.05, "mehd duration patched", ms, rec.duration)
  if have_ffmpeg then
    eq(sh("ffmpeg -nostdin -v error -i " .. out .. " -f null -"), "", "ffmpeg says nothing")
    local codecs = sh("ffprobe -v error -show_entries stream=codec_name -of csv=p=0 " .. out)
    ok(codecs:match("h264") and codecs:match("opus"), "h264 and opus", codecs)
    eq(sh("ffprobe -v error -show_entries format=format_name -of csv=p=0 " .. out):match("mp4") ~= nil, true)
    local d = tonumber(sh("ffprobe -v error -show_entries format=duration -of csv=p=0 " .. out))
    ok(d and math.abs(d - rec.duration) < 0.05 * rec.duration + 0.1, "ffprobe duration", d, rec.duration)
    local frames = tonumber(sh("ffprobe -v error -select_streams v -count_frames -show_entries stream=nb_read_frames -of csv=p=0 " .. out))
    -- 30 fps: as many pictures as the video's span says, within one
    local vd = tonumber(sh("ffprobe -v error -select_streams v -show_entries stream=duration -of csv=p=0 " .. out))
    ok(frames and vd and math.abs(frames - vd * 30) <= 1.5, "video frames match its duration", frames, vd)
    local sv = tonumber(sh("ffprobe -v error -select_streams v -show_entries packet=pts_time -of csv=p=0 " .. out .. " | head -1"))
    local sa = tonumber(sh("ffprobe -v error -select_streams a -show_entries packet=pts_time -of csv=p=0 " .. out .. " | head -1"))
    local slack = os.getenv("RTC_ASAN") and 0.25 or 0.1
    ok(sv and sa and math.abs(sv - sa) < slack, "A/V start within " .. slack * 1000 .. " ms", sv, sa)
    io.stderr:write(string.format("  mp4: %d bytes, %.3f s (ffprobe), %d video frames, starts v %.3f a %.3f\n",
      rec.bytes, d or -1, frames or -1, sv or -1, sa or -1))
  end
  os.remove(out)
  -- VP8 has no MP4 binding: refused, naming WebM; .m4a takes audio only
  local a2, b2, got2, files2 = av_pair()
  local r0, err = rtc.media.record({ got2.video, got2.audio }, TMP .. "/x.mp4")
  eq(r0, nil)
  ok(err and err:match("VP8") and err:match("webm"), "MP4 refuses VP8, says .webm", err)
  local r1, err1 = rtc.media.record({ got2.video, got2.audio }, TMP .. "/x.m4a")
  eq(r1, nil)
  ok(err1 and err1:match("m4a"), ".m4a refuses video", err1)
  local m4a = TMP .. "/luartc-rec-opus.m4a"
  local ra = assert(rtc.media.record({ got2.audio }, m4a))
  rtc.sleep(1500)
  ra:stop()
  H.waitFor(function() return ra.finished end, "the m4a complete")
  for _, f in ipairs(files2) do f:stop() end
  if have_ffmpeg then
    eq(sh("ffmpeg -nostdin -v error -i " .. m4a .. " -f null -"), "", "ffmpeg decodes the m4a")
    eq(sh("ffprobe -v error -show_entries stream=codec_name -of csv=p=0 " .. m4a), "opus\n")
  end
  os.remove(m4a)
end, 40000)

-- A sender changing resolution mid-call (libwebrtc does under bandwidth pressure: a new
-- SPS/PPS before a later IDR). h264-resize.h264 is 1 s at 320x240 then 1 s at 640x480,
-- looped: 3.5 s hold two changes or three. MP4 (avc3: the samples keep their parameter
-- sets) and Matroska (in-band too): ffmpeg decodes every picture, each at its own size.
test("H.264 changing resolution mid-call into MP4 and Matroska: every picture at its size", function()
  local a, b, got, files = av_pair("h264-resize.h264")
  local outs = { TMP .. "/luartc-rec-resize.mp4", TMP .. "/luartc-rec-resize.mkv" }
  local recs = {}
  for i, out in ipairs(outs) do recs[i] = assert(rtc.media.record({ got.video, got.audio }, out)) end
  rtc.sleep(3500)
  for _, rec in ipairs(recs) do rec:stop() end
  H.waitFor(function() return recs[1].finished and recs[2].finished end, "the files complete")
  for _, f in ipairs(files) do f:stop() end
  for i, out in ipairs(outs) do
    eq(recs[i]:stats().errors, 0)
    if have_ffmpeg then
      eq(sh("ffmpeg -nostdin -v error -i " .. out .. " -f null -"), "", "ffmpeg says nothing")
      local counts = sh("ffprobe -v error -select_streams v -count_frames -count_packets " ..
        "-show_entries stream=nb_read_frames,nb_read_packets -of csv=p=0 " .. out)
      local frames, packets = counts:match("(%d+),(%d+)")
      ok(frames and frames == packets and tonumber(frames) > 80, "every picture decoded", counts)
      local runs = sh("ffprobe -v error -select_streams v -show_entries frame=width,height -of csv=p=0 " ..
        out .. " | uniq -c | awk '{print $1 \"x\" $2}' | tr , x | paste -sd ' '")
      local list = {}
      for count, size in runs:gmatch("(%d+)x(%d+x%d+)") do
        list[#list + 1] = { tonumber(count), size }
        ok(size == "320x240" or size == "640x480", "a size of the clip", size)
      end
      ok(#list >= 3, "two size changes at least", runs)
      -- between the first IDR recorded and stop(), whole seconds at one size
      for k = 2, #list - 1 do ok(list[k][1] >= 25, "a whole second at " .. list[k][2], runs) end
      io.stderr:write("  ", out:match("%.(%w+)$"), ": ", runs)
      if out:match("mp4$") then
        eq(sh("ffprobe -v error -select_streams v -show_entries stream=codec_tag_string -of csv=p=0 " .. out), "avc3\n")
      end
    end
    os.remove(out)
  end
end, 40000)

-- A connection's file sources start their clocks together, at the instant the transport
-- could take frames, however late the loop serves each source's timer: here the loop
-- stalls 300 ms right after the video source started (as an ASan build under load did),
-- and the recording still starts audio with video. Before, audio started that much later
-- on the sender's clock and so in the file (whip_publish_test's MP4 failed its duration).
test("file sources of one connection start together when the loop stalls between them", function()
  local uv = require "luv"
  local a, b = H.pair()
  local v = assert(rtc.media.open(FIX .. "h264.h264", { loop = true }))
  local au = assert(rtc.media.open(FIX .. "opus.ogg", { loop = true }))
  assert(a:addTrack(v, { id = "s" }))
  rtc.sleep(10) -- the sources' timers (a retry every 20 ms until one starts) out of phase
  assert(a:addTrack(au, { id = "s" }))
  local out = TMP .. "/luartc-rec-stall.mkv"
  local got, rec = {}, nil
  b.ontrack = function(ev) got[ev.track.kind] = ev.track end
  local stalled, audio_started_before = false, nil
  local poll = uv.new_timer()
  poll:start(1, 1, function()
    if v:sourceStats().started and not stalled then
      stalled = true
      audio_started_before = au:sourceStats().started
      local t = uv.hrtime()
      while uv.hrtime() - t < 300e6 do end
      poll:stop()
      poll:close()
    end
  end)
  assert(H.negotiate(a, b))
  -- recording before the media flows: its first video keyframe is the file's frame 0
  rec = assert(rtc.media.record({ got.video, got.audio }, out))
  H.waitFor(function() return stalled end, "video started, loop stalled")
  rtc.sleep(2500)
  rec:stop()
  H.waitFor(function() return rec.finished end, "the file complete")
  for _, f in ipairs({ v, au }) do f:stop() end
  io.stderr:write("  audio source had started before the stall: ", tostring(audio_started_before), "\n")
  if have_ffmpeg then
    local sv = tonumber(sh("ffprobe -v error -select_streams v -show_entries packet=pts_time -of csv=p=0 " .. out .. " | head -1"))
    local sa = tonumber(sh("ffprobe -v error -select_streams a -show_entries packet=pts_time -of csv=p=0 " .. out .. " | head -1"))
    ok(sv and sa and math.abs(sv - sa) < 0.1, "A/V start within 100 ms", sv, sa)
  end
  os.remove(out)
end, 30000)

-- A sender whose RTP timestamps jump back (a restarted encoder, a new random base) in
-- mid-call: the recording goes on at the frames' pace, one discontinuity counted, the
-- file as long as the call (before: every frame after the jump was dropped).
test("a sender's timestamps jumping back: the recording goes on, one discontinuity", function()
  local uv = require "luv"
  local a, b = H.pair()
  local src = rtc.MediaStreamTrack({ kind = "audio" })
  assert(a:addTrack(src))
  local got
  b.ontrack = function(ev) got = ev.track end
  assert(H.negotiate(a, b))
  H.waitFor(function() return got and b.connectionState == "connected" end, "connected")
  local out = TMP .. "/luartc-rec-jump.ogg"
  local rec = assert(rtc.media.record(got, out))
  local silence = "\248\255\254" -- an Opus 20 ms silence frame (TOC 0xf8)
  local ts, n = 1000000, 0
  local t = uv.new_timer()
  t:start(0, 20, function()
    n = n + 1
    if n == 50 then ts = ts - 48000 * 60 end -- a minute back, one second in
    src:write(silence, { timestamp = ts })
    ts = ts + 960
  end)
  H.waitFor(function() return n >= 100 end, "2 s of frames", 10000)
  t:stop()
  t:close()
  rtc.sleep(200)
  rec:stop()
  H.waitFor(function() return rec.finished end, "the file complete")
  local st = rec:stats()
  eq(st.discontinuities, 1)
  ok(st.frames >= 95, "frames after the jump kept", st.frames, st.dropped)
  ok(st.duration > 1.8 and st.duration < 2.6, "as long as the call", st.duration)
  if have_ffmpeg then
    eq(sh("ffmpeg -nostdin -v error -i " .. out .. " -f null -"), "", "ffmpeg says nothing")
    local d = tonumber(sh("ffprobe -v error -show_entries format=duration -of csv=p=0 " .. out))
    ok(d and math.abs(d - st.duration) < 0.1, "ffprobe duration", d, st.duration)
  end
  os.remove(out)
end, 30000)

test("AV1 + Opus into MP4 (av01 + av1C from the in-band sequence header)", function()
  local a, b, got, files = av_pair("av1.ivf")
  local out = TMP .. "/luartc-rec-av1.mp4"
  local rec = assert(rtc.media.record({ got.video, got.audio }, out))
  rtc.sleep(3000)
  rec:stop()
  H.waitFor(function() return rec.finished end, "the file complete")
  eq(rec:stats().errors, 0)
  for _, f in ipairs(files) do f:stop() end
  ok(rec.frames > 100, "frames written", rec.frames)
  if have_ffmpeg then
    eq(sh("ffmpeg -nostdin -v error -i " .. out .. " -f null -"), "", "ffmpeg says nothing")
    eq(sh("ffprobe -v error -select_streams v -show_entries stream=codec_name,width,height -of csv=p=0 " .. out),
      "av1,320,240\n")
    local d = tonumber(sh("ffprobe -v error -show_entries format=duration -of csv=p=0 " .. out))
    ok(d and math.abs(d - rec.duration) < 0.05 * rec.duration + 0.1, "ffprobe duration", d, rec.duration)
    local frames = tonumber(sh("ffprobe -v error -select_streams v -count_frames -show_entries stream=nb_read_frames -of csv=p=0 " .. out))
    local vd = tonumber(sh("ffprobe -v error -select_streams v -show_entries stream=duration -of csv=p=0 " .. out))
    ok(frames and vd and math.abs(frames - vd * 30) <= 1.5, "video frames match its duration", frames, vd)
    io.stderr:write(string.format("  av1 mp4: %d bytes, %.3f s, %d frames\n", rec.bytes, d or -1, frames or -1))
  end
  os.remove(out)
end, 30000)

test("a write error reaches onerror and the connection goes on", function()
  local a, b, got, files = av_pair()
  if not io.open("/dev/full", "w") then return end
  local rec = assert(rtc.media.record({ got.audio }, "/dev/full", { format = "ogg" }))
  local err
  rec.onerror = function(e) err = e.error end
  H.waitFor(function() return err ~= nil end, "onerror")
  ok(err:match("write"), "says write", err)
  eq(b.connectionState, "connected")
  rec:stop()
  for _, f in ipairs(files) do f:stop() end
end, 30000)
H.run()
