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
-- (the same, and H.264), .ivf (one VP8/VP9/AV1 track), .ogg/.opus (one Opus track).
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

-- rec:stop() -> true. Detaches the tracks and finishes the file. Idempotent.
function Recorder:stop()
  if self._stopped then return true end
  self._stopped = true
  for i, t in ipairs(self._tracks) do
    if t._tr then pcall(t._tr.unrecord, t._tr, self._ports[i]) end
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

-- M.record(core, tracks, path, opts, track_mt) -> recorder | nil, err, NAME
function M.record(core, tracks, path, opts, track_mt)
  opts = opts or {}
  if type(tracks) == "table" and getmetatable(tracks) == track_mt then tracks = { tracks } end
  if type(tracks) ~= "table" or #tracks == 0 then
    error("rtc.media.record: a MediaStreamTrack or a list of them expected", 3)
  end
  local codecs = {}
  for i, t in ipairs(tracks) do
    if getmetatable(t) ~= track_mt then error("rtc.media.record: track " .. i .. " is not a MediaStreamTrack", 3) end
    if not t._tr then return nil, "rtc.media.record: track " .. i .. " is not a remote track", "EINVAL" end
    codecs[i] = t._tr:codecName()
    if not codecs[i] then return nil, "rtc.media.record: track " .. i .. " has no negotiated codec yet", "ESTATE" end
  end
  local format = opts.format or path:match("%.([%w]+)$") or ""
  local c, err, name = core.recording(path, format, codecs)
  if not c then return nil, err, name end
  local self = setmetatable({ path = path, _core = c, _tracks = tracks, _ports = {}, _errors_seen = 0 }, rec_mt)
  for i, t in ipairs(tracks) do
    self._ports[i] = c:port(i)
    t._tr:record(self._ports[i])
  end
  self._timer = uv.new_timer()
  self._timer:start(POLL_MS, POLL_MS, function() poll(self) end)
  self._timer:unref() -- a recording alone does not keep the loop running
  return self
end

M.Recorder = Recorder
return M
