-- Recording remote tracks to files, in C (bindings/rtc_lua_record.c over runtime/record):
-- the receivers hand each frame to the recorder without a Lua call; this file only
-- wires the tracks, and polls the recorder's state a few times a second for onerror
-- and for keyframe requests while a video track waits for its first keyframe.
--
--   local rec = rtc.media.record({videoTrack, audioTrack}, "call.webm" [, opts])
--   rec.bytes, rec.duration, rec.frames   -- live figures
--   rec.onerror = function(err) ... end    -- a write error, a full disk: the call goes on
--   rec:stop()                             -- finishes the file (cues, sizes, duration);
--                                          -- rec.finished once it is all on disk
--
-- Container from opts.format or the path: .webm (any mix of VP8/VP9/AV1 and Opus), .mkv
-- (the same, and H.264), .mp4 (fragmented MP4: H.264, VP9, AV1 and Opus; no VP8), .m4a (Opus), .ivf (one VP8/VP9/AV1 track), .ogg/.opus (one Opus track), .h264
-- (one H.264 track, Annex-B). One track (a remote track, or a file track from
-- rtc.media.open) may go to any path: its codec then picks IVF, Ogg or Annex-B, and a
-- remote track whose codec is not negotiated yet is recorded from its first frame's.
--   rec:stats() -> {frames, bytes, skipped, dropped, discontinuities, errors, duration, started,
--                   finished}
--   rec:close()                            -- rec:stop()
local uv = require "luv"

local M = {}

local POLL_MS = 250

local Recorder = {}
local rec_mt = {}

rec_mt.__index = function(self, k)
  if k == "bytes" or k == "duration" or k == "frames" or k == "dropped" or k == "started" or k == "finished" then
    return self._core:stats()[k]
  end
  return Recorder[k]
end
rec_mt.__tostring = function(self) return "MediaRecorder(" .. self.path .. ")" end

local function poll(self)
  local st = self._core:stats()
  if st.error and st.errors ~= self._errors_seen then
    self._errors_seen = st.errors
    local h = rawget(self, "onerror")
    if h then
      local ok, e = pcall(h, { type = "error", error = st.error, target = self })
      if not ok then io.stderr:write("rtc.media.record onerror: ", tostring(e), "\n") end
    end
  end
  if st.wantsKeyframe then
    for _, t in ipairs(self._tracks) do
      if t._tr and t.kind == "video" then pcall(t._tr.requestKeyframe, t._tr) end
    end
  end
end

-- rec:stop() -> true. Detaches the tracks and completes the file before it returns
-- (rec.finished; later only when a write in flight held a patched range). Idempotent.
function Recorder:stop()
  if self._stopped then return true end
  self._stopped = true
  for i, t in ipairs(self._tracks) do
    if t._tr then pcall(t._tr.unrecord, t._tr, self._ports[i]) end
    if t._src or self._srcs[i] then self._src_detach(t, self._ports[i]) end
  end
  if self._timer then
    self._timer:stop()
    self._timer:close()
    self._timer = nil
  end
  self._core:stop()
  poll(self) -- a last error (the final write) still reaches onerror
  return true
end

-- rec:close(): rec:stop(), the name the one-track recorder always had.
Recorder.close = function(self) return self:stop() end

-- rec:stats() -> the recorder's figures (a table of its own).
function Recorder:stats() return self._core:stats() end

-- M.record(core, tracks, path, opts, track_mt, src_attach, src_detach) -> recorder | nil,
-- err, NAME. A file track is attached with src_attach(track, port) (lua/rtc/media.lua).
function M.record(core, tracks, path, opts, track_mt, src_attach, src_detach)
  opts = opts or {}
  if type(tracks) == "table" and getmetatable(tracks) == track_mt then tracks = { tracks } end
  if type(tracks) ~= "table" or #tracks == 0 then
    error("rtc.media.record: a MediaStreamTrack or a list of them expected", 3)
  end
  if type(path) ~= "string" then error("rtc.media.record: path expected", 3) end
  local codecs = {}
  for i, t in ipairs(tracks) do
    if getmetatable(t) ~= track_mt then error("rtc.media.record: track " .. i .. " is not a MediaStreamTrack", 3) end
    if t._tr then
      codecs[i] = t._tr:codecName() or false -- false: the first frame's (one track only)
    elseif t._src and src_attach then
      codecs[i] = t.codec or false
    else
      return nil, "rtc.media.record: track " .. i .. " is not a remote track or a file track", "EINVAL"
    end
    if not codecs[i] and #tracks > 1 then
      return nil, "rtc.media.record: track " .. i .. " has no negotiated codec yet", "ESTATE"
    end
  end
  local c, err, name = core.recording(path, opts.format, codecs, opts.channels)
  if not c then return nil, err, name end
  local self = setmetatable({ path = path, _core = c, _tracks = tracks, _ports = {}, _srcs = {},
    _errors_seen = 0, _src_detach = src_detach }, rec_mt)
  for i, t in ipairs(tracks) do
    self._ports[i] = c:port(i)
    if t._tr then
      t._tr:record(self._ports[i])
    else
      self._srcs[i] = true
      src_attach(t, self._ports[i])
    end
  end
  self._timer = uv.new_timer()
  self._timer:start(POLL_MS, POLL_MS, function() poll(self) end)
  self._timer:unref() -- a recording alone does not keep the loop running
  return self
end

M.Recorder = Recorder
return M
