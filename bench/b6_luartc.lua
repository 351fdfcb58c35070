-- B6, luartc side (/work/shared/BENCH.md, bench/README.md, bench/b6.py): two roles.
--
--   build/luartc bench/b6_luartc.lua publish K     K publishers in this process: each one
--       peer connection sending a VP8 IVF (BENCH_IVF, ~1 Mbps) and an Ogg Opus file
--       (BENCH_OGG), looped, paced in C.
--   build/luartc bench/b6_luartc.lua record DIR    the recorder: one peer connection per
--       publisher, its audio and video recorded to DIR/<id>.webm by rtc.media.record (in C).
--
-- Signaling: JSON lines, complete descriptions (after gathering), through bench/b6.py:
--   publisher -> {"type": "offer", "id": ID, "sdp": ...};  <- {"type": "answer", "id", "sdp"}
--   recorder  <- {"type": "offer", ...};  -> {"type": "answer", ...}, {"type": "recording", "id"}
--   both      <- {"type": "snap"}  -> {"type": "snap", ...totals}   <- {"type": "quit"}
local rtc = require "rtc"
local uv = require "luv"
local cjson = require "cjson"

local ROLE, ARG = arg[1], arg[2]
local IVF = os.getenv("BENCH_IVF") or "tests/fixtures/media/vp8.ivf"
local OGG = os.getenv("BENCH_OGG") or "tests/fixtures/media/opus.ogg"
-- UDP only (no ICE-TCP: B6 measures the UDP media path, and a pair that fell back to TCP
-- would not show in the kernel's UDP counters b6.py reads). BENCH_GATHER: the host
-- addresses (b6.py gives 10.254.6.1 when GStreamer records: libnice is not on loopback,
-- and a datagram from 127.0.0.1 to 10.254.6.1 does not make an ICE pair here).
local gather = {}
for a in (os.getenv("BENCH_GATHER") or "127.0.0.1"):gmatch("[^,%s]+") do gather[#gather + 1] = a end
local CFG = { gatherAddresses = gather, iceTcp = false }

local function log(...) io.stderr:write("b6 ", ROLE or "?", ": ", table.concat({ ... }, " "), "\n") end
rtc.onerror = function(msg) log("handler error: " .. tostring(msg)) end

local stdin = uv.new_pipe(false); stdin:open(0)
local stdout = uv.new_pipe(false); stdout:open(1)
local function send(t) stdout:write(cjson.encode(t) .. "\n") end

local function lines(on_msg)
  local buf = ""
  stdin:read_start(function(err, chunk)
    if err or not chunk then os.exit(0) end -- the orchestrator is gone
    buf = buf .. chunk
    while true do
      local nl = buf:find("\n", 1, true)
      if not nl then break end
      local line = buf:sub(1, nl - 1)
      buf = buf:sub(nl + 1)
      if #line > 0 then on_msg(cjson.decode(line)) end
    end
  end)
end

-- fn(pc) once ICE gathering is complete (the description then carries the candidates)
local function when_gathered(pc, fn)
  if pc.iceGatheringState == "complete" then return fn(pc) end
  pc.onicegatheringstatechange = function()
    if pc.iceGatheringState == "complete" then
      pc.onicegatheringstatechange = nil
      fn(pc)
    end
  end
end

local pcs = {} -- id -> pc

local function totals(kind)
  local t = { packets = 0, lost = 0, bytes = 0, pcs = 0, connected = 0 }
  for _, pc in pairs(pcs) do
    t.pcs = t.pcs + 1
    if pc.connectionState == "connected" then t.connected = t.connected + 1 end
    t.states = t.states or {}
    local st = pc.connectionState .. "/" .. pc.iceConnectionState
    t.states[st] = (t.states[st] or 0) + 1
    for _, s in pairs(pc:getStats()) do
      if s.type == kind then
        t.packets = t.packets + ((kind == "inbound-rtp" and s.packetsReceived or s.packetsSent) or 0)
        t.bytes = t.bytes + ((kind == "inbound-rtp" and s.bytesReceived or s.bytesSent) or 0)
        t.lost = t.lost + (s.packetsLost or 0)
        t.rtx = (t.rtx or 0) + (s.retransmittedPacketsSent or 0)
        t.nacks = (t.nacks or 0) + (s.nackCount or 0)
        t.plis = (t.plis or 0) + (s.pliCount or 0) + (s.firCount or 0)
        local k = s.kind or "?"
        t.by_kind = t.by_kind or {}
        t.by_kind[k] = t.by_kind[k] or { 0, 0 }
        t.by_kind[k][1] = t.by_kind[k][1] + ((kind == "inbound-rtp" and s.packetsReceived or s.packetsSent) or 0)
        t.by_kind[k][2] = t.by_kind[k][2] + (s.packetsLost or 0)
      end
    end
  end
  return t
end

if ROLE == "publish" then
  local k = tonumber(ARG) or 1
  local prefix = os.getenv("BENCH_ID_PREFIX") or "p"
  -- publishers arrive a few at a time (BENCH_B6_BATCH every 200 ms, default 5), as
  -- people joining do, not all in the same millisecond
  local batch = tonumber(os.getenv("BENCH_B6_BATCH") or "5")
  local function publisher(i)
    local id = prefix .. i
    local pc = rtc.RTCPeerConnection(CFG)
    pcs[id] = pc
    local v = assert(rtc.media.open(IVF, { loop = true }))
    local a = assert(rtc.media.open(OGG, { loop = true }))
    assert(pc:addTransceiver(v, { direction = "sendonly", streams = { id } }))
    assert(pc:addTransceiver(a, { direction = "sendonly", streams = { id } }))
    rtc.spawn(function()
      local offer = assert(pc:createOffer())
      assert(pc:setLocalDescription(offer))
      when_gathered(pc, function()
        send({ type = "offer", id = id, sdp = pc.localDescription.sdp })
      end)
    end)
  end
  local made = 0
  local stagger = uv.new_timer()
  stagger:start(0, 200, function()
    for _ = 1, batch do
      if made == k then
        stagger:stop()
        return
      end
      made = made + 1
      publisher(made)
    end
  end)
  lines(function(m)
    if m.type == "answer" then
      rtc.spawn(function()
        local ok, err = pcs[m.id]:setRemoteDescription({ type = "answer", sdp = m.sdp })
        if not ok then log("setRemoteDescription " .. m.id .. ": " .. tostring(err)) end
      end)
    elseif m.type == "snap" then
      local t = totals("outbound-rtp")
      t.type = "snap"
      send(t)
    elseif m.type == "quit" then
      os.exit(0)
    end
  end)
elseif ROLE == "record" then
  local dir = assert(ARG, "record DIR")
  local recs = {} -- id -> recorder
  local function start(id, pc)
    local tracks = {}
    for _, t in ipairs(pc:getTransceivers()) do
      if t.receiver and t.receiver.track then tracks[#tracks + 1] = t.receiver.track end
    end
    local rec, err = rtc.media.record(tracks, dir .. "/" .. id .. ".webm")
    if not rec then
      log("record " .. id .. ": " .. tostring(err))
      return
    end
    rec.onerror = function(e) log("recorder " .. id .. ": " .. tostring(e.error)) end
    recs[id] = rec
    send({ type = "recording", id = id, tracks = #tracks })
  end
  lines(function(m)
    if m.type == "offer" then
      local pc = rtc.RTCPeerConnection(CFG)
      pcs[m.id] = pc
      pc.onconnectionstatechange = function()
        if pc.connectionState == "connected" and not recs[m.id] then start(m.id, pc) end
      end
      rtc.spawn(function()
        assert(pc:setRemoteDescription({ type = "offer", sdp = m.sdp }))
        local answer = assert(pc:createAnswer())
        assert(pc:setLocalDescription(answer))
        when_gathered(pc, function()
          send({ type = "answer", id = m.id, sdp = pc.localDescription.sdp })
        end)
      end)
    elseif m.type == "snap" then
      local t = totals("inbound-rtp")
      t.type, t.frames, t.dropped, t.written, t.recordings = "snap", 0, 0, 0, 0
      for _, rec in pairs(recs) do
        local st = rec._core:stats()
        t.recordings = t.recordings + 1
        t.frames = t.frames + (st.frames or 0)
        t.dropped = t.dropped + (st.dropped or 0)
        t.written = t.written + (st.bytes or 0)
      end
      send(t)
    elseif m.type == "quit" then
      for _, rec in pairs(recs) do rec:stop() end
      -- let the last writes land, then go
      local t = uv.new_timer()
      t:start(500, 0, function() os.exit(0) end)
    end
  end)
else
  io.stderr:write("usage: b6_luartc.lua publish K | record DIR\n")
  os.exit(2)
end
