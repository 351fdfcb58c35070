-- W3C RTCDTMFSender (webrtc-pc 7): sender.dtmf of an audio sender. insertDTMF keeps a
-- tone buffer and plays it one tone at a time on the loop's clock; each tone goes to
-- the core as one RFC 4733 event (runtime/pc/rtc_pc_dtmf.c), which packetizes it on
-- the sender's audio stream. Events: "tonechange" ({tone = "1"}, and tone = "" when the
-- buffer is done), to dtmf.ontonechange and the listeners of addEventListener.
local uv = require "luv"
local ET = require "rtc.event_target"
local getter_mt = require "rtc.class"

local M = {}
local DTMFSender = {}
DTMFSender.addEventListener = ET.addEventListener
DTMFSender.removeEventListener = ET.removeEventListener

-- W3C 7.2: duration 40..6000 ms (default 100), interToneGap at least 30 (default 70),
-- both at most 6000; a "," is a 2 s pause.
local MIN_DURATION, MAX_DURATION, MIN_GAP, MAX_GAP, COMMA_MS = 40, 6000, 30, 6000, 2000

local function can_insert(self)
  local t = self._sender._t
  return t._pc ~= nil and t._pc.signalingState ~= "closed" and t._tr:canInsertDtmf()
end

local getters = {
  canInsertDTMF = can_insert,
  toneBuffer = function(self) return self._buffer end,
}
local mt = getter_mt(DTMFSender, getters)

local function stop_timer(self)
  if self._timer then
    self._timer:stop()
    self._timer:close()
    self._timer = nil
  end
end

local play

local function schedule(self, ms)
  if not self._timer then self._timer = uv.new_timer() end
  self._timer:start(ms, 0, function() play(self) end)
end

-- The W3C playout task: one tone (or pause) of the buffer, then the next after it.
function play(self)
  local t = self._sender._t
  if t._tr:stopped() or (t._pc and t._pc.signalingState == "closed") then
    stop_timer(self)
    return
  end
  if self._buffer == "" then
    stop_timer(self)
    ET.fire(self, "tonechange", { tone = "" })
    return
  end
  local tone = self._buffer:sub(1, 1)
  self._buffer = self._buffer:sub(2)
  if tone == "," then
    schedule(self, COMMA_MS)
  else
    -- A tone the core cannot play now (the connection went away) is not played; the
    -- buffer still runs out as W3C's task does.
    t._tr:insertDtmfEvent(tone, self._duration)
    schedule(self, self._duration + self._gap)
  end
  ET.fire(self, "tonechange", { tone = tone })
end

local function clamp(v, lo, hi) return math.max(lo, math.min(hi, v)) end

-- insertDTMF(tones[, duration[, interToneGap]]): replaces the tone buffer; playout
-- starts at once unless a tone is playing (it then goes on with the new buffer).
-- Raises "InvalidStateError" when canInsertDTMF is false and "InvalidCharacterError"
-- for a tone outside 0-9, A-D, #, * and "," (W3C 7.2).
function DTMFSender:insertDTMF(tones, duration, gap)
  if type(tones) ~= "string" then error("TypeError: insertDTMF: tones must be a string", 2) end
  if duration ~= nil and type(duration) ~= "number" then error("TypeError: insertDTMF: duration must be a number", 2) end
  if gap ~= nil and type(gap) ~= "number" then error("TypeError: insertDTMF: interToneGap must be a number", 2) end
  if not can_insert(self) then
    error("InvalidStateError: insertDTMF: the sender cannot send DTMF (not sending audio, or no telephone-event negotiated)", 2)
  end
  tones = tones:upper()
  if not tones:match("^[0-9A-D#*,]*$") then
    error("InvalidCharacterError: insertDTMF: tones may hold 0-9, A-D, #, * and ','", 2)
  end
  self._buffer = tones
  self._duration = clamp(math.floor(duration or 100), MIN_DURATION, MAX_DURATION)
  self._gap = clamp(math.floor(gap or 70), MIN_GAP, MAX_GAP)
  -- W3C: a playout task is queued only when none runs; an empty buffer ends the run.
  if tones ~= "" and not (self._timer and self._timer:is_active()) then schedule(self, 0) end
end

-- The sender's RTCDTMFSender: made on first use for an audio sender, nil for video.
function M.of(sender)
  local d = rawget(sender, "_dtmf")
  if d then return d end
  if sender._t._tr:kind() ~= "audio" then return nil end
  d = setmetatable({ _sender = sender, _buffer = "", _duration = 100, _gap = 70 }, mt)
  rawset(sender, "_dtmf", d)
  return d
end

M.getters = getters
return M
