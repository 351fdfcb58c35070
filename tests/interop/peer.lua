-- luartc side of the interop protocol (see README.md in this folder): a bot
-- reading JSON command lines on stdin and writing JSON event lines on stdout,
-- both through luv pipes on the loop.
--   build/luartc tests/interop/peer.lua
-- Host candidates: LUARTC_GATHER_ADDRESSES (set by the driver).
local rtc = require "rtc"
local uv = require "luv"
local cjson = require "cjson"
local bit = require "bit"

cjson.encode_invalid_numbers(true)

local stdin = uv.new_pipe(false)
stdin:open(0)
local stdout = uv.new_pipe(false)
stdout:open(1)

local function emit(ev)
  stdout:write(cjson.encode(ev) .. "\n")
end

rtc.onerror = function(msg)
  io.stderr:write("luartc handler error: ", tostring(msg), "\n")
  emit({ ev = "error", op = "handler", message = tostring(msg) })
end

local function adler32(s)
  local a, b = 1, 0
  local byte = string.byte
  for i = 1, #s do
    a = (a + byte(s, i)) % 65521
    b = (b + a) % 65521
  end
  return b * 65536 + a
end

local function gen(size, seed, binary)
  local parts, chunk, n = {}, {}, 0
  for k = 0, size - 1 do
    n = n + 1
    if binary then
      chunk[n] = bit.band(seed * 7 + k * 13 + bit.rshift(k, 8), 255)
    else
      chunk[n] = 97 + (seed + k) % 26
    end
    if n == 4096 then
      parts[#parts + 1] = string.char(unpack(chunk, 1, n))
      n = 0
    end
  end
  if n > 0 then parts[#parts + 1] = string.char(unpack(chunk, 1, n)) end
  return table.concat(parts)
end

local pc
local decoy_pc -- see ops.init, udpMuxDecoy
local trickle = true
-- media (issue 7): file tracks we send, recorders of what we receive, counters
local media = { tracks = {}, recorders = {}, want = {}, frames = { audio = 0, video = 0 }, got = {} }
local channels = {}
local echo = {}

local function null(v)
  if v == nil then return cjson.null end
  return v
end

local function describe(dc)
  return {
    label = dc.label, id = null(dc.id), ordered = dc.ordered,
    maxRetransmits = null(dc.maxRetransmits), maxPacketLifeTime = null(dc.maxPacketLifeTime),
    protocol = dc.protocol, negotiated = dc.negotiated, readyState = dc.readyState,
  }
end

local function wire(dc)
  local label = dc.label
  channels[label] = dc
  dc.onopen = function() emit({ ev = "open", label = label, id = null(dc.id) }) end
  dc.onclosing = function() emit({ ev = "closing", label = label }) end
  dc.onclose = function() emit({ ev = "close", label = label }) end
  dc.onerror = function(e) emit({ ev = "dcerror", label = label, message = tostring(e.error) }) end
  dc.onmessage = function(e)
    local d = e.data
    local m = { ev = "msg", label = label, binary = e.binary and true or false, len = #d, sum = adler32(d) }
    if not e.binary and #d <= 100 then m.text = d end
    emit(m)
    if echo[label] then dc:send(d, e.binary and "binary" or nil) end
  end
end

local function local_sdp()
  if not trickle then
    local t0 = uv.now()
    while pc.iceGatheringState ~= "complete" and uv.now() - t0 < 10000 do rtc.sleep(10) end
  end
  local d = pc.localDescription
  emit({ ev = "sdp", type = d.type, sdp = d.sdp })
end

local function check(ok, err)
  if not ok then error(err or "failed", 0) end
  return ok
end

local ops = {}

function ops.init(c)
  trickle = c.trickle ~= false
  local config = {}
  for k, v in pairs(c.config or {}) do config[k] = v end
  -- keyType = "rsa": an RSA certificate instead of the default ECDSA one
  if config.keyType == "rsa" then
    config.certificates = { assert(rtc.generateCertificate({ name = "RSASSA-PKCS1-v1_5", modulusLength = 2048 })) }
  end
  config.keyType = nil
  -- udpMuxDecoy: a second pc on the same shared socket (udpMux), gathering but never
  -- connected, so that the socket really has to tell two pcs apart.
  local decoy = config.udpMuxDecoy
  config.udpMuxDecoy = nil
  if decoy then
    decoy_pc = rtc.RTCPeerConnection(config)
    decoy_pc:createDataChannel("decoy")
    rtc.spawn(function() decoy_pc:setLocalDescription() end)
  end
  pc = rtc.RTCPeerConnection(config)
  pc.onicecandidate = function(e)
    if not trickle then return end
    emit({ ev = "cand", candidate = null(e.candidate) })
  end
  for _, n in ipairs({ "connectionState", "iceConnectionState", "signalingState", "iceGatheringState" }) do
    pc["on" .. n:lower() .. "change"] = function() emit({ ev = "state", name = n, value = pc[n] }) end
  end
  pc.ontrack = function(e)
    local tr = e.track
    local n = #media.got + 1
    media.got[n] = tr
    emit({ ev = "track", kind = tr.kind, id = tr.id, mid = null(e.transceiver.mid), muted = tr.muted, rid = null(tr.rid),
      streams = #e.streams > 0 and { e.streams[1].id } or cjson.empty_array or {} })
    tr.onended = function() emit({ ev = "trackended", kind = tr.kind, id = tr.id }) end
    tr.onmute = function() emit({ ev = "trackmute", kind = tr.kind, muted = tr.muted }) end
    tr.onunmute = function() emit({ ev = "trackunmute", kind = tr.kind, muted = tr.muted }) end
    tr.ondtmf = function(x) emit({ ev = "dtmf", tone = x.tone, duration = x.duration }) end
    for _, s in ipairs(e.streams) do
      s.onaddtrack = function(x) emit({ ev = "streamaddtrack", stream = s.id, kind = x.track.kind }) end
      s.onremovetrack = function(x) emit({ ev = "streamremovetrack", stream = s.id, kind = x.track.kind }) end
    end
    local w = media.want[tr.kind]
    if w and not w.rec then
      w.rec = assert(rtc.media.record(tr, w.path))
      w.track = tr
      w.t0 = uv.now()
    elseif media.count and tr.rid then
      -- a simulcast layer: its frames and the size its VP8 keyframes say (RFC 6386 9.1)
      local l = { frames = 0, keyframes = 0 }
      media.rids = media.rids or {}
      media.rids[tr.rid] = l
      tr.onframe = function(f)
        l.frames = l.frames + 1
        local d = f.data
        if f.keyframe and #d >= 10 and d:byte(4) == 0x9d and d:byte(5) == 0x01 and d:byte(6) == 0x2a then
          l.keyframes = l.keyframes + 1
          l.width = (d:byte(7) + d:byte(8) * 256) % 16384
          l.height = (d:byte(9) + d:byte(10) * 256) % 16384
        end
      end
    elseif media.count then
      tr.onframe = function() media.frames[tr.kind] = media.frames[tr.kind] + 1 end
    end
  end
  pc.ondatachannel = function(e)
    wire(e.channel)
    local d = describe(e.channel)
    d.ev = "dc"
    emit(d)
  end
  emit({ ev = "ready", agent = "luartc " .. tostring(rtc._VERSION) })
end

function ops.offer(c)
  local o = check(pc:createOffer({ iceRestart = c.iceRestart and true or nil }))
  check(pc:setLocalDescription(o))
  local_sdp()
end

-- prefer {kind, codecs, now}: setCodecPreferences(codecs) on every transceiver of kind
-- after each remote offer is applied and before the answer is made (W3C: any time);
-- now: also at once (for our next offer).
local prefer = {}
function ops.prefer(c)
  prefer[c.kind] = c.codecs
  if c.now then
    for _, t in ipairs(pc:getTransceivers()) do
      if t.kind == c.kind then t:setCodecPreferences(c.codecs) end
    end
  end
end

-- sendon {kind, file}: after the next remote offer, its transceiver of that kind
-- sends the file (direction sendrecv, replaceTrack) in our answer.
local sendon = {}
function ops.sendon(c) sendon[c.kind] = c.file end

function ops.remote(c)
  check(pc:setRemoteDescription({ type = c.type, sdp = c.sdp }))
  if c.type == "offer" then
    for _, t in ipairs(pc:getTransceivers()) do
      if prefer[t.kind] then t:setCodecPreferences(prefer[t.kind]) end
      if sendon[t.kind] and not t.sender.track then
        local track = check(rtc.media.open(sendon[t.kind], { loop = true }))
        t.direction = "sendrecv"
        check(t.sender:replaceTrack(track))
        media.tracks[#media.tracks + 1] = { track = track, sender = t.sender }
        sendon[t.kind] = nil
      end
    end
    local a = check(pc:createAnswer())
    check(pc:setLocalDescription(a))
    local_sdp()
  end
end

function ops.cand(c)
  local cand = c.candidate
  if cand == cjson.null or cand == nil then cand = nil end
  if cand then
    for k, v in pairs(cand) do if v == cjson.null then cand[k] = nil end end
  end
  check(pc:addIceCandidate(cand))
end

function ops.dc(c)
  local init = {}
  for k, v in pairs(c.init or {}) do if v ~= cjson.null then init[k] = v end end
  local dc = pc:createDataChannel(c.label, init)
  wire(dc)
  if c.echo then echo[c.label] = true end
  local d = describe(dc)
  d.ev = "dccreated"
  emit(d)
end

function ops.echo(c) echo[c.label] = true end

function ops.send(c)
  local dc = channels[c.label]
  local data
  if type(c.gen) == "table" then
    data = gen(c.gen.size, c.gen.seed or 0, c.binary)
  else
    data = c.text or ""
  end
  local ok, err = dc:send(data, c.binary and "binary" or nil)
  emit({ ev = "sent", label = c.label, ok = ok and true or false, err = err and tostring(err) or nil })
end

function ops.sendmany(c)
  local dc = channels[c.label]
  local prefix = c.prefix or ""
  for i = 0, c.count - 1 do
    local ok, err = dc:send(prefix .. i)
    if not ok then
      emit({ ev = "sent", label = c.label, ok = false, count = i, err = tostring(err) })
      return
    end
    if i % 200 == 199 then
      while (dc.bufferedAmount or 0) > 1048576 do rtc.sleep(5) end
    end
  end
  emit({ ev = "sent", label = c.label, ok = true, count = c.count })
end

function ops.dcclose(c) channels[c.label]:close() end

function ops.close()
  pc:close()
  emit({ ev = "closed" })
end

-- addfile {file, loop, stream, simulcast}: a file track (tests/fixtures/media/...) sent
-- with addTrack; with simulcast (a list of rids), with addTransceiver sendonly and one
-- encoding per rid (every layer sends the file)
function ops.addfile(c)
  local track = check(rtc.media.open(c.file, { loop = c.loop ~= false }))
  local sender
  if c.simulcast then
    local encs = {}
    for i, rid in ipairs(c.simulcast) do encs[i] = { rid = rid } end
    sender = check(pc:addTransceiver(track, { direction = "sendonly", streams = { { id = c.stream or "luartc" } },
      sendEncodings = encs })).sender
  else
    sender = check(pc:addTrack(track, { id = c.stream or "luartc" }))
  end
  media.tracks[#media.tracks + 1] = { track = track, sender = sender }
  emit({ ev = "mediaadded", kind = track.kind, codec = track.codec, id = track.id })
end

-- recvsimulcast {rids}: a receive-only video transceiver whose offers ask the peer to
-- send those simulcast layers (luartc's receiveRids: an SFU's role)
function ops.recvsimulcast(c)
  check(pc:addTransceiver("video", { direction = "recvonly", receiveRids = c.rids }))
  emit({ ev = "transceiver", kind = "video" })
end

-- dtmf {tones, duration, gap}: the audio sender's RTCDTMFSender plays them; emits
-- "dtmfdone" with the tonechange tones once the buffer is done (tone "")
function ops.dtmf(c)
  local sender
  for _, m in ipairs(media.tracks) do
    if m.track.kind == "audio" then sender = m.sender end
  end
  local d = sender and sender.dtmf
  if not d or not d.canInsertDTMF then error("cannot insert DTMF") end
  local tones = {}
  d.ontonechange = function(e)
    tones[#tones + 1] = e.tone
    if e.tone == "" then emit({ ev = "dtmfdone", tones = tones }) end
  end
  d:insertDTMF(c.tones, c.duration, c.gap)
end

-- record {kind, path}: the next remote track of that kind goes into path (IVF, Ogg,
-- Annex-B by its codec); count {}: remote tracks count their frames (onframe)
function ops.record(c) media.want[c.kind] = { path = c.path } end
function ops.count() media.count = true end

-- recstop: closes the recorders; recorded {kind, path, frames, duration, seconds}
function ops.recstop()
  for kind, w in pairs(media.want) do
    if w.rec then
      local st = w.rec:stats()
      w.rec:close()
      emit({ ev = "recorded", kind = kind, path = w.path, frames = st.frames, duration = st.duration,
        errors = st.errors, skipped = st.skipped, seconds = (uv.now() - w.t0) / 1000,
        codec = null(w.track._tr and w.track._tr:codecName()) })
    else
      emit({ ev = "recorded", kind = kind, path = w.path, frames = 0, seconds = 0 })
    end
  end
  media.want = {}
end

-- recordav {path, ivf, ogg, mp4}: the remote video and audio tracks (both must have come)
-- into one WebM at path (runtime/record), and each alone into ivf / ogg, both into an
-- MP4 at mp4, when given;
-- recavstop: stops them; recordedav {path, bytes, duration, seconds, ...}
function ops.recordav(c)
  local v, a
  for _, t in ipairs(media.got) do
    if t.kind == "video" and not v then v = t end
    if t.kind == "audio" and not a then a = t end
  end
  media.av = { t0 = uv.now(), recs = {} }
  local function add(name, tracks, path)
    if not path then return end
    local rec, err = rtc.media.record(tracks, path)
    if not rec then return emit({ ev = "error", what = "recordav " .. name, err = tostring(err) }) end
    media.av.recs[#media.av.recs + 1] = { name = name, rec = rec, path = path }
  end
  add("webm", { v, a }, c.path)
  add("ivf", { v }, c.ivf)
  add("ogg", { a }, c.ogg)
  add("mp4", { v, a }, c.mp4)
end
function ops.recavstop()
  local out = { ev = "recordedav", seconds = (uv.now() - media.av.t0) / 1000, files = {} }
  for _, r in ipairs(media.av.recs) do
    r.rec:stop()
    local t0 = uv.now()
    while not r.rec.finished and uv.now() - t0 < 5000 do rtc.sleep(20) end
    out.files[#out.files + 1] = { name = r.name, path = r.path, bytes = r.rec.bytes, duration = r.rec.duration,
      frames = r.rec.frames, dropped = r.rec.dropped }
  end
  emit(out)
end

-- mstats: this side's RTP figures per kind (its getStats) and the onframe counters
function ops.mstats()
  local out = { ev = "mstats", inbound = {}, outbound = {}, frames = media.frames, rids = media.rids }
  local r = pc:getStats()
  for _, s in pairs(r) do
    if s.type == "inbound-rtp" and s.rid then -- a simulcast layer received
      out.inLayers = out.inLayers or {}
      out.inLayers[#out.inLayers + 1] = { rid = s.rid, ssrc = s.ssrc, packetsReceived = s.packetsReceived,
        framesReceived = s.framesReceived, nackCount = s.nackCount, pliCount = s.pliCount,
        framesDropped = s.framesDropped, frameWidth = s.frameWidth, frameHeight = s.frameHeight }
    end
    if s.type == "inbound-rtp" then
      out.inbound[s.kind] = { codec = null(r[s.codecId or ""] and r[s.codecId].mimeType),
        packetsReceived = s.packetsReceived, framesReceived = s.framesReceived,
        bytesReceived = s.bytesReceived, packetsLost = s.packetsLost, nackCount = s.nackCount,
        framesDropped = s.framesDropped, pliCount = s.pliCount }
    elseif s.type == "outbound-rtp" then
      out.outbound[s.kind] = { packetsSent = s.packetsSent, framesSent = s.framesSent, bytesSent = s.bytesSent }
      if s.rid then -- a simulcast layer
        out.layers = out.layers or {}
        out.layers[#out.layers + 1] = { rid = s.rid, ssrc = s.ssrc, packetsSent = s.packetsSent,
          framesSent = s.framesSent, bytesSent = s.bytesSent }
      end
    end
  end
  emit(out)
end

function ops.info()
  local chans = {}
  for l, dc in pairs(channels) do chans[l] = describe(dc) end
  if next(chans) == nil then chans = cjson.empty_array or {} end
  emit({
    ev = "info", connectionState = pc.connectionState, iceConnectionState = pc.iceConnectionState,
    signalingState = pc.signalingState, channels = chans,
    udpMuxSockets = rtc.core.debugCounts().udpMuxSockets,
  })
end

-- W3C transports: pc.sctp (maxMessageSize, maxChannels, state), its DTLS transport
-- (state, the peer's certificate as hex DER) and ICE transport (role, state).
function ops.transports()
  local s = pc.sctp
  local dt = s and s.transport
  local der = dt and dt:getRemoteCertificates()[1]
  emit({
    ev = "transports", sctpState = s and s.state, maxMessageSize = s and s.maxMessageSize,
    maxChannels = s and s.maxChannels, dtlsState = dt and dt.state,
    certDer = der and (der:gsub(".", function(c) return string.format("%02x", c:byte()) end)),
    iceRole = dt and dt.iceTransport.role, iceState = dt and dt.iceTransport.state,
  })
end

-- The transport, its selected candidate pair and that pair's local candidate (the
-- driver reads the pair as luartc's one path).
function ops.stats()
  local out = {}
  local r = pc:getStats()
  for _, s in pairs(r) do
    if s.type == "transport" then
      out[#out + 1] = s
      local cp = s.selectedCandidatePairId and r[s.selectedCandidatePairId]
      if cp then
        out[#out + 1] = cp
        out[#out + 1] = r[cp.localCandidateId]
      end
    end
  end
  emit({ ev = "stats", stats = out })
end

local function quit()
  if pc then pcall(pc.close, pc) end
  stdin:read_stop()
  stdin:close()
  stdout:shutdown(function()
    stdout:close()
    os.exit(0)
  end)
end

function ops.exit() quit() end

-- commands run one at a time, in order, in one coroutine
local queue, waiting = {}, nil
local function worker()
  while true do
    local c = table.remove(queue, 1)
    if not c then
      waiting = coroutine.running()
      coroutine.yield()
      waiting = nil
    else
      local f = ops[c.op]
      local ok, err = xpcall(function()
        if not f then error("unknown op " .. tostring(c.op), 0) end
        f(c)
      end, debug.traceback)
      if not ok then emit({ ev = "error", op = c.op, message = tostring(err) }) end
    end
  end
end
local worker_co = coroutine.create(worker)
local function wake()
  local ok, err = coroutine.resume(worker_co)
  if not ok then
    io.stderr:write("peer.lua worker died: ", debug.traceback(worker_co, tostring(err)), "\n")
    emit({ ev = "error", op = "worker", message = tostring(err) })
  end
end

local function push(c)
  queue[#queue + 1] = c
  if waiting then wake() end
end

local buf = ""
stdin:read_start(function(err, data)
  if err or not data then
    quit()
    return
  end
  buf = buf .. data
  while true do
    local nl = buf:find("\n", 1, true)
    if not nl then break end
    local line = buf:sub(1, nl - 1)
    buf = buf:sub(nl + 1)
    if line:match("%S") then
      local ok, c = pcall(cjson.decode, line)
      if ok and type(c) == "table" then push(c)
      else emit({ ev = "error", op = "parse", message = tostring(c) }) end
    end
  end
end)

wake()
