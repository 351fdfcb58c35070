-- whip-recorder.lua: a WHIP endpoint (RFC 9725, rtc.whip) that records each publisher's
-- audio and video into its own WebM file (Matroska .mkv when the video is H.264, as OBS
-- sends it), or with --format mp4 into fragmented MP4 (H.264, VP9, AV1, Opus; a VP8
-- publisher still gets WebM: MP4 has no VP8), in C (no Lua per frame). One line per
-- recording start and end. A simulcast publisher (a browser with sendEncodings) sends its
-- video in layers: the recorder waits up to 3 s for each layer's first keyframe and
-- records the largest (inbound-rtp frameWidth x frameHeight).
--
--   build/luartc examples/whip-recorder.lua [--port 8080] [--dir .] [--token T]
--                                           [--format webm|mp4]
--   then publish to http://HOST:8080/whip (OBS, GStreamer whipsink, a browser, or
--   build/luartc examples/whip-publish.lua).
-- Host candidates: LUARTC_GATHER_ADDRESSES (default: every interface). Ctrl-C stops it.
local rtc = require "rtc"
io.stdout:setvbuf("line")

local opts = { port = "8080", dir = "." }
local i = 1
while arg[i] do
  local k = arg[i]:match("^%-%-([%w-]+)$")
  if not (k and arg[i + 1]) then
    io.stderr:write("usage: whip-recorder.lua [--port P] [--dir DIR] [--token T] [--format webm|mp4]\n")
    os.exit(2)
  end
  opts[k] = arg[i + 1]
  i = i + 2
end

if opts.format and opts.format ~= "webm" and opts.format ~= "mp4" then
  io.stderr:write("whip-recorder.lua: --format webm or mp4\n")
  os.exit(2)
end

local recorders = {} -- session id -> recorder

local function stop(session, why)
  local rec = recorders[session.id]
  if not rec then return end
  recorders[session.id] = nil
  rec:stop()
  -- The line once the file is complete (a write still in flight can hold its last patch)
  rtc.spawn(function()
    for _ = 1, 200 do
      if rec.finished then break end
      rtc.sleep(10)
    end
    print(string.format("recording end   %s %s: %d bytes, %.1f s (%s)", session.id, rec.path, rec.bytes,
      rec.duration, why))
  end)
end

-- The pixels of each simulcast layer's last keyframe, by rid (0: none yet).
local function layer_sizes(pc)
  local px = {}
  for _, s in pairs(pc:getStats()) do
    if s.type == "inbound-rtp" and s.rid then px[s.rid] = (s.frameWidth or 0) * (s.frameHeight or 0) end
  end
  return px
end

-- The receiver's track to record: with simulcast, the largest layer once every layer
-- has sent a keyframe or 3 s have passed (a layer that starts later is not switched to).
local function pick_track(pc, receiver)
  local layers = receiver.tracks or {}
  if #layers < 2 then return receiver.track end
  local best, best_px
  for _ = 1, 30 do
    local px, all = layer_sizes(pc), true
    best, best_px = nil, 0
    for _, track in ipairs(layers) do
      local p = px[track.rid] or 0
      all = all and p > 0
      if p > best_px then best, best_px = track, p end
    end
    if all or pc.connectionState ~= "connected" then break end
    rtc.sleep(100)
  end
  return best or receiver.track
end

local function start(pc, session)
  local tracks, ext = {}, "webm"
  local vp8 = false
  for _, t in ipairs(pc:getTransceivers()) do
    local track = t.receiver and pick_track(pc, t.receiver)
    if track then
      tracks[#tracks + 1] = track
      -- WebM holds VP8/VP9/AV1 and Opus; H.264 goes into Matroska
      local c = t.receiver:getParameters().codecs[1]
      local mime = c and c.mimeType:lower()
      if mime == "video/h264" then ext = "mkv" end
      vp8 = vp8 or mime == "video/vp8"
    end
  end
  if opts.format == "mp4" and not vp8 then ext = "mp4" end
  -- the publisher may have gone while a layer was chosen
  if #tracks == 0 or pc.connectionState ~= "connected" then return end
  local path = string.format("%s/whip-%s-%s.%s", opts.dir, os.date("!%Y%m%dT%H%M%S"), session.id, ext)
  local rec, err = rtc.media.record(tracks, path)
  if not rec then
    print(string.format("recording error %s: %s", session.id, err))
    return
  end
  rec.onerror = function(e)
    print(string.format("recording error %s: %s (the session goes on)", session.id, e.error))
  end
  recorders[session.id] = rec
  local rids = {}
  for _, track in ipairs(tracks) do if track.rid then rids[#rids + 1] = track.kind .. " layer " .. track.rid end end
  print(string.format("recording start %s %s (%d tracks%s)", session.id, path, #tracks,
    #rids > 0 and ": " .. table.concat(rids, ", ") or ""))
end

local server = assert(rtc.whip.listen({
  port = tonumber(opts.port),
  token = opts.token,
  onsession = function(pc, session)
    pc:addEventListener("connectionstatechange", function()
      local s = pc.connectionState
      if s == "connected" and not recorders[session.id] and not session.starting then
        -- in a coroutine of its own: choosing a simulcast layer waits for keyframes
        session.starting = true
        rtc.spawn(function()
          if pc.connectionState == "connected" then start(pc, session) end
        end)
      elseif s == "failed" or s == "closed" or s == "disconnected" then
        stop(session, s)
      end
    end)
  end,
  onclose = function(session) stop(session, "DELETE") end,
}))
print(string.format("WHIP recorder on http://127.0.0.1:%d/whip, files in %s", server.port or tonumber(opts.port),
  opts.dir))
