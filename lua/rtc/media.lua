-- luartc media: MediaStreamTrack (local ones fed by track:write or a file source,
-- remote ones delivering frames), RTCRtpTransceiver / RTCRtpSender / RTCRtpReceiver,
-- and the pc methods addTrack, removeTrack, addTransceiver, getTransceivers,
-- getSenders, getReceivers (W3C webrtc-pc 5.*, mediacapture-streams 4.3).
--
-- Frames stay in C on the hot paths: a file source hands its frames to the senders'
-- transceivers in C (a luv timer here only wakes it at the pacer's deadline), and a
-- recorder takes a remote track's frames in C. Lua sees a frame only when a script
-- sets track.onframe (or calls track:write).
--
-- Installed by lua/rtc/init.lua: require("rtc.media").install(rtc, core, pc_methods, raw).
local uv = require "luv"

local M = {}

local type, pairs, ipairs, error, setmetatable, rawget, rawset, tostring =
  type, pairs, ipairs, error, setmetatable, rawget, rawset, tostring
local floor, ceil, max = math.floor, math.ceil, math.max

-- Codecs luartc can send and receive (what runtime/rtp payloads), per kind.
local CAPS = {
  video = {
    { mimeType = "video/VP8", clockRate = 90000 },
    { mimeType = "video/VP9", clockRate = 90000 },
    { mimeType = "video/AV1", clockRate = 90000 },
    { mimeType = "video/H264", clockRate = 90000,
      sdpFmtpLine = "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f" },
  },
  audio = {
    { mimeType = "audio/opus", clockRate = 48000, channels = 2, sdpFmtpLine = "minptime=10;useinbandfec=1" },
    { mimeType = "audio/PCMU", clockRate = 8000, channels = 1 },
    { mimeType = "audio/PCMA", clockRate = 8000, channels = 1 },
  },
}
local CLOCK = { VP8 = 90000, VP9 = 90000, AV1 = 90000, H264 = 90000, opus = 48000, PCMU = 8000, PCMA = 8000 }
local KIND = { VP8 = "video", VP9 = "video", AV1 = "video", H264 = "video", opus = "audio", PCMU = "audio", PCMA = "audio" }

-- "vp8", "video/VP8", "OPUS" -> the name the core uses ("VP8", "opus"), or nil.
local function codec_name(s)
  if type(s) == "table" then s = s.mimeType end
  if type(s) ~= "string" then return nil end
  s = s:gsub("^%a+/", "")
  for k in pairs(CLOCK) do
    if k:lower() == s:lower() then return k end
  end
end
M.codec_name = codec_name

-- W3C getCapabilities(kind): the core's table (what sdp/rtc_sdp_codec.c offers and
-- answers); a fresh copy each call. CAPS stands in for a core without media.
local function capabilities(kind)
  if M.core and M.core.codecCapabilities then return M.core.codecCapabilities(kind) end
  local list = CAPS[kind]
  if not list then return nil end
  local out = { codecs = {}, headerExtensions = {} }
  for i, c in ipairs(list) do
    local copy = {}
    for k, v in pairs(c) do copy[k] = v end
    out.codecs[i] = copy
  end
  return out
end

local function random_id()
  local t = {}
  for i = 1, 16 do t[i] = string.format("%02x", math.random(0, 255)) end
  local s = table.concat(t)
  return s:sub(1, 8) .. "-" .. s:sub(9, 12) .. "-" .. s:sub(13, 16) .. "-" .. s:sub(17, 20) .. "-" .. s:sub(21, 32)
end

---------------------------------------------------------------------------
-- MediaStreamTrack

local Track = {}
-- The handlers a track calls (docs/api.md): "onframe" and "onrtp" (remote),
-- "onmute", "onunmute", "ondtmf" (remote), "onended", "onkeyframerequest" (local); the
-- events (not onframe/onrtp) also reach listeners added by track:addEventListener.
-- Handlers whose setting changes what the core does (frame events on or off).
local SPECIAL = { onframe = "frameEvents", onrtp = "rtpEvents" }

local function track_index(self, k)
  local m = Track[k]
  if m ~= nil then return m end
  local h = rawget(self, "_h")
  return h and h[k]
end

local function track_newindex(self, k, v)
  if SPECIAL[k] then
    self._h[k] = v
    local tr = rawget(self, "_tr")
    if tr then tr[SPECIAL[k]](tr, v ~= nil) end
    return
  end
  rawset(self, k, v)
end

local track_mt = {
  __index = track_index,
  __newindex = track_newindex,
  __tostring = function(self) return "MediaStreamTrack " .. self.kind .. " " .. self.id end,
}

-- A track's senders: the core transceivers it feeds. Weak keys: a transceiver holds its
-- pc (its env), and a track the script keeps for its whole run (one written track sent
-- to peer after peer) must not keep every closed pc it was sent on; an open pc keeps
-- its transceivers itself (pc._media), and a file source keeps those it feeds in its
-- environment until they are detached.
local weak_keys = { __mode = "k" }

local function new_track(kind, id, codec)
  return setmetatable({
    kind = kind, id = id or random_id(), label = "", enabled = true, muted = false,
    readyState = "live", codec = codec, _h = {}, _senders = setmetatable({}, weak_keys), _recs = {},
  }, track_mt)
end

local ET = require("rtc.event_target")
local call, fire = ET.call, ET.fire
Track.addEventListener = ET.addEventListener
Track.removeEventListener = ET.removeEventListener

-- W3C mediacapture-streams "set a track's muted state": an event only on a change,
-- none once the track ended.
local function track_set_muted(self, muted)
  if self.readyState == "ended" or self.muted == muted then return end
  self.muted = muted
  local name = muted and "mute" or "unmute"
  fire(self, name)
end

local function track_end(self)
  if self.readyState == "ended" then return end
  self.readyState = "ended"
  if self._timer then
    self._timer:close()
    self._timer = nil
  end
  fire(self, "ended")
end

local track_detach -- below

-- A file source: the timer wakes the source at its deadlines; the source sends in C.
local function source_schedule(self)
  if self._timer or not self._src or self.readyState == "ended" then return end
  local t = uv.new_timer()
  self._timer = t
  local now_us = M.core.nowUs
  local function tick()
    if self._timer ~= t then return end
    -- senders of closed connections and stopped transceivers leave; with nobody left
    -- the source rests (and starts from its beginning for the next sender): a timer
    -- running for nobody would keep closed connections alive
    for tr in pairs(self._senders) do
      if tr:stopped() then track_detach(self, tr) end
    end
    if next(self._senders) == nil and next(self._recs) == nil then
      t:close()
      self._timer = nil
      self._src:rewind()
      return
    end
    local now = now_us()
    local nxt = self._src:pump(now)
    if not nxt then
      track_end(self)
      return
    end
    t:start(max(0, ceil((nxt - now) / 1000)), 0, tick)
  end
  t:start(0, 0, tick)
end

-- track:write(bytes, {timestamp=, duration=, keyframe=}) -> number of senders that
-- took the frame. timestamp: RTP units of the codec's clock (default: the previous
-- one plus the previous duration); duration: seconds (default 1/30 video, 0.02 audio).
function Track:write(bytes, opts)
  if type(bytes) ~= "string" then error("write: frame bytes (a string) expected", 2) end
  if self._remote then error("write: a remote track cannot be written", 2) end
  if self._src then error("write: this track plays a file", 2) end
  if self.readyState == "ended" then return nil, "track ended", "EINVALIDSTATE" end
  opts = opts or {}
  local clock = CLOCK[self.codec] or 90000
  local ts = opts.timestamp
  if ts == nil then
    ts = self._next_ts or math.random(0, 0x7fffffff)
  end
  ts = ts % 4294967296
  local dur = opts.duration or (self.kind == "video" and 1 / 30 or 0.02)
  self._next_ts = (ts + floor(dur * clock + 0.5)) % 4294967296
  local key = opts.keyframe
  if key == nil then
    if self.codec == "VP8" then
      key = #bytes > 0 and bytes:byte(1) % 2 == 0 -- RFC 6386 9.1: P bit 0
    else
      key = self.kind == "audio"
    end
  end
  local n = 0
  for tr in pairs(self._senders) do
    if tr:send(bytes, ts, key, self.codec) then n = n + 1 end
  end
  return n
end

function Track:stop()
  if self._src then self._src:close() end
  self._src = nil
  self._senders, self._recs = setmetatable({}, weak_keys), {}
  if self._timer then
    self._timer:close()
    self._timer = nil
  end
  self.readyState = "ended" -- W3C: stop() fires no ended event
end

function Track:getSettings()
  local s = { codec = self.codec }
  if self._info then
    for k, v in pairs(self._info) do s[k] = v end
  end
  return s
end

-- Source statistics of a file track: { framesSent, loops, lateMaxUs, started }.
function Track:sourceStats()
  return self._src and self._src:stats()
end

-- A remote track: asks the sender for a keyframe (receiver:requestKeyframe()).
function Track:requestKeyframe()
  if not self._tr then return nil, "not a remote track", "EINVAL" end
  return self._tr:requestKeyframe()
end

-- Senders attach and detach their transceiver (C) to the track.
local function track_attach(self, tr)
  self._senders[tr] = true
  if self._src then
    self._src:attach(tr)
    source_schedule(self)
  end
end

function track_detach(self, tr)
  self._senders[tr] = nil
  if self._src then self._src:detach(tr) end
end

-- rtc.MediaStreamTrack{kind = "video"|"audio", codec = "VP8", id = ...}: a local track
-- the script feeds with track:write.
local function MediaStreamTrack(init)
  if type(init) ~= "table" then error("MediaStreamTrack: {kind = ..., codec = ...} expected", 2) end
  local kind = init.kind
  local codec = init.codec and codec_name(init.codec)
  if init.codec and not codec then error("MediaStreamTrack: unknown codec " .. tostring(init.codec), 2) end
  if kind == nil and codec then kind = KIND[codec] end
  if kind ~= "audio" and kind ~= "video" then error("MediaStreamTrack: kind must be 'audio' or 'video'", 2) end
  codec = codec or (kind == "video" and "VP8" or "opus")
  if KIND[codec] ~= kind then error("MediaStreamTrack: " .. codec .. " is not a " .. kind .. " codec", 2) end
  local t = new_track(kind, init.id, codec)
  t.label = init.label or ""
  return t
end

---------------------------------------------------------------------------
-- rtc.media: files

-- rtc.media.open(path, {loop = false, fps = 30}) -> track | nil, err, NAME. IVF (VP8,
-- VP9, AV1), Ogg Opus, H.264 Annex-B (fps: its frame rate; the file has none).
local function media_open(path, opts)
  if type(path) ~= "string" then error("rtc.media.open: path expected", 2) end
  opts = opts or {}
  local src, err, name = M.core.mediaOpen(path, opts.fps)
  if not src then return nil, err, name end
  src:setLoop(opts.loop and true or false)
  local info = src:info()
  local t = new_track(info.kind, opts.id, info.codec)
  t.label = path
  t._src, t._info = src, info
  return t
end

-- rtc.media.record(track or {tracks}, path [, opts]) -> recorder: runtime/record's
-- recorders, in C (lua/rtc/record.lua). One track may be a remote track or a file track
-- (its frames as sent); its file is IVF for VP8/VP9/AV1, Ogg for Opus, Annex-B for H.264
-- unless the path or opts.format says WebM/Matroska. recorder:stats() -> {frames, bytes,
-- skipped, dropped, errors, duration, ...}; recorder:close() completes the file.
local function src_attach(track, port)
  track._src:attach(port)
  track._recs[port] = true
  source_schedule(track)
end
local function src_detach(track, port)
  if track._src then track._src:detach(port) end
  track._recs[port] = nil
end
local function media_record(track, path, opts)
  return require("rtc.record").record(M.core, track, path, opts, track_mt, src_attach, src_detach)
end

---------------------------------------------------------------------------
-- MediaStream: the peer's streams (W3C webrtc-pc "set the associated remote streams"),
-- one per pc and stream id, made by the first track event that names it. A receiver's
-- track is in the streams the peer's description names for it while the peer sends
-- it; mediacapture-streams "addtrack" / "removetrack" ({track =}, handlers
-- "onaddtrack", "onremovetrack", and listeners) tell the changes.

local Stream = {}
Stream.addEventListener = ET.addEventListener
Stream.removeEventListener = ET.removeEventListener
local stream_mt = { __index = Stream, __tostring = function(self) return "MediaStream " .. self.id end }

local function tracks_of(self, kind)
  local out = {}
  for _, t in ipairs(self._tracks) do
    if not kind or t.kind == kind then out[#out + 1] = t end
  end
  return out
end
function Stream:getTracks() return tracks_of(self) end
function Stream:getAudioTracks() return tracks_of(self, "audio") end
function Stream:getVideoTracks() return tracks_of(self, "video") end
function Stream:getTrackById(id)
  for _, t in ipairs(self._tracks) do
    if t.id == id then return t end
  end
end

-- The pc's stream of that id (pc._streams, in the pc's environment as pc._media is).
local function remote_stream(pc, id)
  local all = pc._streams
  if not all then
    all = {}
    pc._streams = all
  end
  local s = all[id]
  if not s then
    s = setmetatable({ id = id, _tracks = {} }, stream_mt)
    all[id] = s
  end
  return s
end

-- W3C "set the associated remote streams" for a receiver, then the removals and
-- additions of its track (each fires on its stream).
local function set_streams(receiver, streams)
  local track, old = receiver._track, receiver._streams or {}
  local keep = {}
  for _, s in ipairs(streams) do keep[s] = true end
  receiver._streams = streams
  for _, s in ipairs(old) do
    if not keep[s] then
      for i, t in ipairs(s._tracks) do
        if t == track then
          table.remove(s._tracks, i)
          fire(s, "removetrack", { track = track })
          break
        end
      end
    end
  end
  for _, s in ipairs(streams) do
    local has = false
    for _, t in ipairs(s._tracks) do has = has or t == track end
    if not has then
      s._tracks[#s._tracks + 1] = track
      fire(s, "addtrack", { track = track })
    end
  end
end

---------------------------------------------------------------------------
-- Transceivers, senders, receivers

local Transceiver, Sender, Receiver = {}, {}, {}
local DIRS = { sendrecv = true, sendonly = true, recvonly = true, inactive = true }

local getter_mt = require("rtc.class")

local tr_getters = {
  mid = function(self) return self._tr:mid() end,
  direction = function(self) return self._tr:direction() end,
  currentDirection = function(self) return self._tr:currentDirection() end,
  stopped = function(self) return self._tr:stopped() end,
  kind = function(self) return self._tr:kind() end,
}
local tr_setters = {
  direction = function(self, v)
    if not DIRS[v] then error("direction: sendrecv, sendonly, recvonly or inactive expected", 3) end
    local ok, err = self._tr:setDirection(v)
    if not ok then error("InvalidStateError: " .. tostring(err), 3) end
  end,
}
local tr_mt = getter_mt(Transceiver, tr_getters, tr_setters)

function Transceiver:stop()
  -- W3C: InvalidStateError once the pc is closed. close() stopped the transceiver
  -- without ending its track; ending it now would fire an event after close.
  if self._pc and self._pc.signalingState == "closed" then
    error("InvalidStateError: stop on a closed RTCPeerConnection", 2)
  end
  local s = self.sender
  if s._track then track_detach(s._track, self._tr) end
  for i, port in pairs(s._ports or {}) do track_detach(s._encodings[i].track, port) end
  local ok, err, name = self._tr:stop()
  if ok then track_end(self.receiver.track) end
  return ok, err, name
end

-- W3C setCodecPreferences(codecs): any time; the next offer or answer uses them (the
-- core validates: rtc_tr_set_codec_preferences). Entries are RTCRtpCodecCapability
-- tables, or luartc's names ("H264", "video/VP8"): a name stands for every capability
-- of that codec, and a list of names only gets video/rtx appended (as init.codecs).
function Transceiver:setCodecPreferences(codecs)
  if type(codecs) ~= "table" then error("TypeError: setCodecPreferences: a list of codecs expected", 2) end
  local kind = self._tr:kind()
  local caps = capabilities(kind).codecs
  local list, names_only = {}, true
  for _, c in ipairs(codecs) do
    if type(c) == "string" then
      local want = (kind .. "/" .. c:gsub("^%a+/", "")):lower()
      local found = false
      for _, cap in ipairs(caps) do
        if cap.mimeType:lower() == want then list[#list + 1], found = cap, true end
      end
      if not found then
        error("InvalidModificationError: codec " .. c .. " is not among the " .. kind .. " capabilities", 2)
      end
    elseif type(c) == "table" then
      list[#list + 1], names_only = c, false
    else
      error("TypeError: setCodecPreferences: codec tables or names expected", 2)
    end
  end
  if names_only and #list > 0 and kind == "video" then
    for _, cap in ipairs(caps) do
      if cap.mimeType == "video/rtx" then list[#list + 1] = cap end
    end
  end
  local ok, err = self._tr:setCodecs(list)
  if not ok then error("InvalidModificationError: " .. tostring(err), 2) end
end

-- sender.transport / receiver.transport: the pc's one RTCDtlsTransport (luartc
-- bundles) once the transceiver's m-section has a mid, nil before.
local function transport_of(self)
  local t = self._t
  if not t._pc or not t._tr:mid() then return nil end
  return require("rtc.transport").dtlsTransport(t._pc)
end

local sender_getters = {
  track = function(self) return self._track end,
  transport = transport_of,
  dtmf = function(self) return require("rtc.dtmf").of(self) end,
}
local sender_mt = getter_mt(Sender, sender_getters)

-- sender:replaceTrack(track|nil): the same kind; no renegotiation. W3C rejects (here:
-- nil, message, NAME) on a closed pc and a stopped (or stopping) transceiver.
function Sender:replaceTrack(track)
  if track ~= nil and (getmetatable(track) ~= track_mt or track._remote) then
    error("replaceTrack: a local MediaStreamTrack or nil expected", 2)
  end
  local tr = self._t._tr
  local pc = self._t._pc
  if pc and pc.signalingState == "closed" then
    return nil, "InvalidStateError: replaceTrack on a closed RTCPeerConnection", "EINVALIDSTATE"
  end
  if tr:stopped() then
    return nil, "InvalidStateError: replaceTrack on a stopped transceiver", "EINVALIDSTATE"
  end
  if track and track.kind ~= tr:kind() then return nil, "TypeError: kind mismatch", "ETYPE" end
  if self._track then track_detach(self._track, tr) end
  self._track = track
  if track then track_attach(track, tr) end
  return true
end

function Sender:getStats() return self._t._pc and self._t._pc:getStats() end

-- The encoding fields getParameters reflects (W3C RTCRtpEncodingParameters; the
-- luartc extension "track" is not among them: it is fixed at addTransceiver).
local ENC_FIELDS = { "rid", "active", "maxBitrate", "maxFramerate", "scaleResolutionDownBy", "priority", "networkPriority" }

local function copy_encoding(e)
  local out = {}
  for _, k in ipairs(ENC_FIELDS) do out[k] = e[k] end
  return out
end

local transaction = 0

-- The encodings still there, in order, with their layer numbers in the core: a remote
-- answer may have removed some (W3C [[SendEncodings]]; tr:layerRemoved).
local function live_encodings(self)
  local tr, list, at = self._t._tr, {}, {}
  for i, e in ipairs(self._encodings or { { active = true } }) do
    if not tr:layerRemoved(i) then
      list[#list + 1] = e
      at[#at + 1] = i
    end
  end
  return list, at
end

function Sender:getParameters()
  local c = self._t._tr:codec()
  local encs = {}
  for i, e in ipairs((live_encodings(self))) do encs[i] = copy_encoding(e) end
  transaction = transaction + 1
  self._transaction = tostring(transaction)
  return { codecs = c and { c } or {}, encodings = encs, headerExtensions = {}, rtcp = {},
    transactionId = self._transaction }
end

-- W3C setParameters(parameters) (webrtc-pc 5.2): parameters from this sender's last
-- getParameters, the number of encodings and their rids unchanged; luartc applies
-- "active" (an inactive simulcast layer sends nothing) and keeps the other fields.
-- -> true | nil, "NameError: message", NAME (W3C rejects its promise).
function Sender:setParameters(params)
  if type(params) ~= "table" or type(params.encodings) ~= "table" then
    error("TypeError: setParameters: {encodings = {...}, transactionId = ...} expected", 2)
  end
  local tr = self._t._tr
  if tr:stopped() then
    return nil, "InvalidStateError: setParameters on a stopped transceiver", "EINVALIDSTATE"
  end
  local function bad(msg) return nil, "InvalidModificationError: " .. msg, "EINVALIDMODIFICATION" end
  if self._transaction == nil or params.transactionId ~= self._transaction then
    return bad("transactionId is not the one of the last getParameters")
  end
  local cur = self._encodings or { { active = true } }
  local live, at = live_encodings(self)
  if #params.encodings ~= #live then return bad("the number of encodings cannot change") end
  for i, e in ipairs(params.encodings) do
    if type(e) ~= "table" then error("TypeError: setParameters: encoding " .. i .. " is not a table", 2) end
    if e.rid ~= live[i].rid then return bad("encoding " .. i .. ": rid cannot change") end
    if e.scaleResolutionDownBy ~= nil and not (type(e.scaleResolutionDownBy) == "number" and e.scaleResolutionDownBy >= 1) then
      return nil, "RangeError: scaleResolutionDownBy must be at least 1", "ERANGE"
    end
    if e.maxFramerate ~= nil and not (type(e.maxFramerate) == "number" and e.maxFramerate >= 0) then
      return nil, "RangeError: maxFramerate must not be negative", "ERANGE"
    end
  end
  self._transaction = nil -- W3C: a transaction is used once
  local layers = tr:layers()
  for j, e in ipairs(params.encodings) do
    local i = at[j] -- the core's layer
    local active = e.active ~= false
    -- without rids the one encoding is the transceiver's own (index 1)
    if i <= math.max(layers, 1) then assert(tr:setLayerActive(i, active)) end
    local keep = cur[i].track
    cur[i] = copy_encoding(e)
    cur[i].active, cur[i].track = active, keep
  end
  self._encodings = cur
  return true
end

local layer_track -- below

local receiver_getters = {
  -- with simulcast, layer 1's track, bound to that layer before its first packet (a
  -- recorder started at "connected" records it)
  track = function(self)
    local t = self._t
    if t and t._tr:rxRid(1) then return layer_track(t, t._tr, 1) end
    return self._track
  end,
  -- luartc (Pion's Tracks()): the track of each simulcast layer the answer receives, in
  -- rid order, each bound to its layer from the start; { track } without simulcast
  tracks = function(self)
    local t, out = self._t, {}
    for i = 1, 3 do
      if t and t._tr:rxRid(i) and not t._tr:rxPaused(i) then out[#out + 1] = layer_track(t, t._tr, i) end
    end
    if #out == 0 then out[1] = self._track end
    return out
  end,
  transport = transport_of,
}
local receiver_mt = getter_mt(Receiver, receiver_getters)

function Receiver:requestKeyframe() return self._t._tr:requestKeyframe() end
function Receiver:getParameters() return Sender.getParameters(self) end

-- One Lua transceiver per core transceiver. Weak both ways: the pc's own list (in its
-- environment, pc._media) keeps them, and pc, list, transceivers and their core objects
-- are one cycle the collector frees together (a weak-keyed table whose values lead
-- back to their keys would keep every closed pc forever).
local by_core = setmetatable({}, { __mode = "kv" })

local function wrap(pc, ctr)
  local t = by_core[ctr]
  if t then return t end
  t = setmetatable({ _tr = ctr, _pc = pc }, tr_mt)
  t.sender = setmetatable({ _t = t }, sender_mt)
  local rt = new_track(ctr:kind(), ctr:remoteTrackId() or nil, nil)
  -- W3C webrtc-pc 5.3 "create an RTCRtpReceiver": the track starts muted; the first
  -- packet unmutes it (the core's "unmute" event).
  rt._remote, rt._tr, rt.muted = true, ctr, true
  t.receiver = setmetatable({ _t = t, _track = rt }, receiver_mt)
  by_core[ctr] = t
  local list = pc._media
  if not list then
    list = {}
    pc._media = list
  end
  list[#list + 1] = t
  return t
end

local function transceivers(pc, raw)
  local out = {}
  for i, ctr in ipairs(raw._transceivers(pc)) do out[i] = wrap(pc, ctr) end
  return out
end

---------------------------------------------------------------------------
-- Events from the core: (pc, what, transceiver (core), ...)

-- A simulcast layer's track talks to its transceiver (C) through this handle: the
-- methods a remote track and the recorder call, for that layer alone.
local LayerHandle = {}
LayerHandle.__index = LayerHandle
function LayerHandle:frameEvents(on) return self.c:frameEvents(on, self.i) end
function LayerHandle:rtpEvents(on) return self.c:rtpEvents(on, self.i) end
function LayerHandle:requestKeyframe() return self.c:requestKeyframe(self.i) end
function LayerHandle:record(port) return self.c:record(port, self.i) end
function LayerHandle:unrecord(port) return self.c:unrecord(port, self.i) end
function LayerHandle:codecName() return self.c:codecName() end
function LayerHandle:kind() return self.c:kind() end

-- The track of simulcast layer i (1-based) of a receiver: layer 1 is receiver.track
-- itself, the others tracks of their own (Pion's model: one remote track per rid).
function layer_track(t, ctr, i)
  local r = t.receiver
  r._layers = r._layers or {}
  local track = r._layers[i]
  if track then return track end
  if i == 1 then
    track = r._track
  else
    track = new_track(ctr:kind(), ctr:remoteTrackId() or nil, nil)
    track._remote, track.muted = true, true
  end
  local h = setmetatable({ c = ctr, i = i }, LayerHandle)
  -- handlers set before the layer was known move to the layer's stream
  for k, m in pairs(SPECIAL) do
    if track._h[k] then
      if rawget(track, "_tr") then track._tr[m](track._tr, false) end
      h[m](h, true)
    end
  end
  rawset(track, "_tr", h)
  rawset(track, "rid", ctr:rxRid(i))
  r._layers[i] = track
  return track
end

-- The tracks an event about the receiver reaches: layer's, or all (layer 0).
local function receiver_tracks(t, layer)
  local r = t.receiver
  if layer and layer > 0 then return { layer_track(t, t._tr, layer) } end
  local out = { r._track }
  for i, tk in pairs(r._layers or {}) do
    if i > 1 then out[#out + 1] = tk end
  end
  return out
end

local function on_media(pc, what, ctr, a, b, c, d)
  local t = by_core[ctr] or wrap(pc, ctr)
  local track = t.receiver._track
  if what == "frame" then -- a = bytes, b = RTP timestamp, c = keyframe, d = layer
    if d and d > 0 then track = layer_track(t, ctr, d) end
    local h = track._h.onframe
    if h then call(h, { data = a, timestamp = b, keyframe = c, codec = ctr:codecName(), track = track, rid = track.rid }) end
  elseif what == "rtp" then -- a = the packet, b = its header fields, c = layer
    if c and c > 0 then track = layer_track(t, ctr, c) end
    local h = track._h.onrtp
    if h then
      b.data, b.track, b.rid = a, track, track.rid
      call(h, b)
    end
  elseif what == "keyframerequest" then -- a = the simulcast layer asked (1-based), or 0
    local st = t.sender._track
    local port = a and a > 0 and t.sender._ports and t.sender._ports[a]
    if port then st = t.sender._encodings[a].track end
    if st then
      if st._src then st._src:requestKeyframe() end
      fire(st, "keyframerequest", { sender = t.sender, rid = a and a > 0 and t.sender._encodings and t.sender._encodings[a].rid or nil })
    end
  elseif what == "dtmf" then -- a = the tone, b = its duration (ms): luartc's ondtmf
    fire(track, "dtmf", { tone = a, duration = b, receiver = t.receiver })
  elseif what == "ended" then
    for _, tk in ipairs(receiver_tracks(t, 0)) do track_end(tk) end
    set_streams(t.receiver, {})
  elseif what == "removed" then -- the peer's description no longer sends it
    set_streams(t.receiver, {})
  elseif what == "streams" then -- W3C addList: before any track event of the description
    local sid = ctr:remoteStreamId()
    set_streams(t.receiver, sid and { remote_stream(pc, sid) } or {})
  elseif what == "mute" or what == "unmute" then -- a = layer (0: every track)
    for _, tk in ipairs(receiver_tracks(t, a)) do track_set_muted(tk, what == "mute") end
  elseif what == "track" then -- a = the event table to fill (dispatched by the binding), b = layer
    if b and b > 0 then track = layer_track(t, ctr, b) end
    local id = ctr:remoteTrackId()
    if id and id ~= track.id then rawset(track, "id", id) end
    track.codec = ctr:codecName() or track.codec
    local sid = ctr:remoteStreamId()
    local streams = {}
    if sid then streams[1] = remote_stream(pc, sid) end
    set_streams(t.receiver, streams) -- joined already ("streams"): nothing more
    local copy = {} -- the event's own list: the receiver's changes with the next description
    for i, s in ipairs(streams) do copy[i] = s end
    a.track, a.streams, a.receiver, a.transceiver = track, copy, t.receiver, t
    a.rid = track.rid
  end
end

---------------------------------------------------------------------------
-- pc methods

local function check_pc_open(pc, what)
  if pc.signalingState == "closed" then error("InvalidStateError: " .. what .. " on a closed RTCPeerConnection", 3) end
end

-- W3C addTransceiver "sendEncodings validation steps" (webrtc-pc 5.1), in Chrome's
-- terms: rids per RFC 8851 (and at most 16 characters: they travel in one-byte header
-- extensions, RFC 8852), unique, on every encoding when there are several; a lone
-- encoding loses its rid; more encodings than libwebrtc's 3 for video (1 for audio)
-- are trimmed from the tail; video gets scaleResolutionDownBy 2^(n-i) by default.
-- luartc: an encoding may name its own local track (sendEncodings[i].track).
local MAX_ENCODINGS = { video = 3, audio = 1 }

local function check_encodings(kind, list)
  if list == nil then return nil end
  if type(list) ~= "table" then error("TypeError: addTransceiver: sendEncodings must be a list", 4) end
  local out, seen = {}, {}
  for i, e in ipairs(list) do
    if type(e) ~= "table" then error("TypeError: addTransceiver: sendEncodings[" .. i .. "] is not a table", 4) end
    local c = copy_encoding(e)
    c.track = e.track
    if c.rid ~= nil then
      if type(c.rid) ~= "string" or not c.rid:match("^[%w%-_]+$") or #c.rid > 16 then
        error("TypeError: addTransceiver: rid " .. tostring(c.rid) .. " is not 1-16 letters, digits, '-' or '_' (RFC 8851)", 4)
      end
      if seen[c.rid] then error("TypeError: addTransceiver: rid " .. c.rid .. " appears twice", 4) end
      seen[c.rid] = true
    end
    if c.scaleResolutionDownBy ~= nil and not (type(c.scaleResolutionDownBy) == "number" and c.scaleResolutionDownBy >= 1) then
      error("RangeError: addTransceiver: scaleResolutionDownBy must be at least 1", 4)
    end
    if c.maxFramerate ~= nil and not (type(c.maxFramerate) == "number" and c.maxFramerate >= 0) then
      error("RangeError: addTransceiver: maxFramerate must not be negative", 4)
    end
    if c.track ~= nil and (getmetatable(c.track) ~= track_mt or c.track._remote or c.track.kind ~= kind) then
      error("TypeError: addTransceiver: sendEncodings[" .. i .. "].track must be a local " .. kind .. " track", 4)
    end
    if c.active == nil then c.active = true end
    out[i] = c
  end
  if #out > 1 then
    for i, c in ipairs(out) do
      if c.rid == nil then error("TypeError: addTransceiver: sendEncodings[" .. i .. "] has no rid (needed with several encodings)", 4) end
    end
  end
  while #out > MAX_ENCODINGS[kind] do out[#out] = nil end
  if #out == 1 then out[1].rid = nil end
  for i, c in ipairs(out) do
    if kind == "audio" then
      c.scaleResolutionDownBy, c.maxFramerate = nil, nil
    elseif c.scaleResolutionDownBy == nil then
      c.scaleResolutionDownBy = 2 ^ (#out - i)
    end
  end
  if #out == 0 then return nil end
  return out
end

local function add_transceiver(pc, raw, kind_or_track, init)
  check_pc_open(pc, "addTransceiver")
  init = init or {}
  if type(init) ~= "table" then error("addTransceiver: init must be a table", 3) end
  local track, kind
  if type(kind_or_track) == "table" and getmetatable(kind_or_track) == track_mt then
    track, kind = kind_or_track, kind_or_track.kind
  else
    kind = kind_or_track
  end
  if kind ~= "audio" and kind ~= "video" then error("TypeError: addTransceiver: 'audio', 'video' or a track expected", 3) end
  local dir = init.direction or "sendrecv"
  if not DIRS[dir] then error("TypeError: addTransceiver: bad direction " .. tostring(dir), 3) end
  local sid = init.streams and init.streams[1]
  if type(sid) == "table" then sid = sid.id end
  local codecs = init.codecs
  if codecs then
    local names = {}
    for _, c in ipairs(codecs) do names[#names + 1] = codec_name(c) or error("addTransceiver: unknown codec " .. tostring(c), 3) end
    codecs = names
  elseif track and track.codec then
    codecs = { track.codec } -- what the track can send, first
    for _, c in ipairs(CAPS[kind]) do
      local n = codec_name(c.mimeType)
      if n ~= track.codec and (n == "VP8" or n == "opus") then codecs[#codecs + 1] = n end
    end
  end
  local encs = check_encodings(kind, init.sendEncodings)
  local rids
  if encs and #encs > 1 then
    rids = {}
    for i, e in ipairs(encs) do rids[i] = e.rid end
    -- the codec the layers' own tracks play, when the transceiver's track names none
    if not codecs and not track and encs[1].track and encs[1].track.codec then codecs = { encs[1].track.codec } end
  end
  -- luartc extension: the simulcast layers our offers ask the peer to send (an SFU's
  -- role; the rules of sendEncodings' rids)
  local rx_rids = init.receiveRids
  if rx_rids ~= nil then
    local bad = type(rx_rids) ~= "table" and "must be a list of rids"
      or kind ~= "video" and "video only"
      or (#rx_rids < 2 or #rx_rids > 3) and "2 or 3 rids"
    local seen = {}
    for i, r in ipairs(type(rx_rids) == "table" and rx_rids or {}) do
      if type(r) ~= "string" or not r:match("^[%w%-_]+$") or #r > 16 then
        bad = bad or ("rid " .. tostring(r) .. " is not 1-16 letters, digits, '-' or '_' (RFC 8851)")
      elseif seen[r] then
        bad = bad or ("rid " .. r .. " appears twice")
      end
      seen[r] = true
    end
    if bad then error("TypeError: addTransceiver: receiveRids: " .. bad, 3) end
  end
  local ctr, err, name = raw._addTransceiver(pc, kind, dir, sid, track and track.id or nil, codecs, rids)
  if not ctr then return nil, err, name end
  if rx_rids then assert(ctr:setReceiveRids(rx_rids)) end
  local t = wrap(pc, ctr)
  t.sender._encodings = encs
  -- W3C: an encoding made with active = false sends nothing until setParameters says
  -- otherwise (the C layers, and the one encoding of a sender without rids, start active)
  for i, e in ipairs(encs or {}) do
    if e.active == false then assert(ctr:setLayerActive(i, false)) end
  end
  if track then
    t.sender._track = track
    track_attach(track, ctr)
  end
  if rids then
    t.sender._ports = {}
    for i, e in ipairs(encs) do
      if e.track then
        local port = ctr:encodingPort(i)
        t.sender._ports[i] = port
        track_attach(e.track, port)
      end
    end
  end
  return t
end

function M.install(rtc, core, pcm, raw)
  M.core = core
  ET.install(rtc)
  rtc.MediaStreamTrack = MediaStreamTrack
  rtc.RTCRtpSender = { getCapabilities = capabilities }
  rtc.RTCRtpReceiver = { getCapabilities = capabilities }
  rtc.media = { open = media_open, record = media_record, codecs = CLOCK }
  if not raw._addTransceiver then return end -- a core without the media path
  core.setMediaHandler(on_media)

  pcm.addTransceiver = function(self, kind_or_track, init)
    return add_transceiver(self, raw, kind_or_track, init)
  end
  pcm.getTransceivers = function(self) return transceivers(self, raw) end
  pcm.getSenders = function(self)
    local out = {}
    for _, t in ipairs(transceivers(self, raw)) do
      if not t.stopped then out[#out + 1] = t.sender end
    end
    return out
  end
  pcm.getReceivers = function(self)
    local out = {}
    for _, t in ipairs(transceivers(self, raw)) do
      if not t.stopped then out[#out + 1] = t.receiver end
    end
    return out
  end
  -- addTrack(track, ...streams): reuses a transceiver the peer's offer made that never
  -- sent (W3C 5.1 addTrack step 7), else adds a sendrecv one.
  pcm.addTrack = function(self, track, ...)
    check_pc_open(self, "addTrack")
    if type(track) ~= "table" or getmetatable(track) ~= track_mt or track._remote then
      error("TypeError: addTrack: a local MediaStreamTrack expected", 2)
    end
    for _, t in ipairs(transceivers(self, raw)) do
      if t.sender._track == track then return nil, "InvalidAccessError: track already added", "EINVALIDACCESS" end
    end
    for _, t in ipairs(transceivers(self, raw)) do
      local cd = t.currentDirection
      if t.kind == track.kind and not t.stopped and t.sender._track == nil and not t._sent
        and cd ~= "sendrecv" and cd ~= "sendonly" and not t._ours then
        t.sender._track = track
        t._sent = true
        track_attach(track, t._tr)
        local d = t.direction
        if d == "recvonly" then t._tr:setDirection("sendrecv") elseif d == "inactive" then t._tr:setDirection("sendonly") end
        return t.sender
      end
    end
    local t, err, name = add_transceiver(self, raw, track, { direction = "sendrecv", streams = { ... } })
    if not t then return nil, err, name end
    t._ours, t._sent = true, true
    return t.sender
  end
  -- removeTrack(sender): the sender stops sending; the direction loses "send".
  pcm.removeTrack = function(self, sender)
    check_pc_open(self, "removeTrack")
    if type(sender) ~= "table" or getmetatable(sender) ~= sender_mt then
      error("TypeError: removeTrack: an RTCRtpSender expected", 2)
    end
    local t = sender._t
    if sender._track == nil then return true end
    track_detach(sender._track, t._tr)
    sender._track = nil
    -- the layers with tracks of their own stop too (W3C: the sender sends nothing)
    for i, port in pairs(sender._ports or {}) do track_detach(sender._encodings[i].track, port) end
    sender._ports = nil
    local d = t.direction
    if d == "sendrecv" then t._tr:setDirection("recvonly") elseif d == "sendonly" then t._tr:setDirection("inactive") end
    return true
  end
end

M.Track, M.track_mt = Track, track_mt
return M
