-- B5, luartc side (/work/shared/BENCH.md, bench/README.md): one sender and one receiver
-- peer connection in this process, loopback, BENCH_TRACKS VP8 file tracks (the IVF
-- BENCH_IVF, ~1 Mbps, looped, paced in C) protected and sent, received, unprotected and
-- depacketized into frames (each frame reaches a Lua onframe handler that counts it).
-- After BENCH_WARM_S seconds, BENCH_STEADY_S seconds are measured: RTP packets
-- received per second, packets lost, process CPU. The last stdout line is
-- "RESULT {json}". Run: build/luartc bench/b5_luartc.lua
local rtc = require "rtc"
local uv = require "luv"
local cjson = require "cjson"

local function envn(k, d)
  local v = os.getenv(k)
  return v and tonumber(v) or d
end
local N = envn("BENCH_TRACKS", 8)
local FILE = os.getenv("BENCH_IVF") or "tests/fixtures/media/vp8.ivf"
local WARM_S, STEADY_S = envn("BENCH_WARM_S", 2), envn("BENCH_STEADY_S", 5)
local CFG = { gatherAddresses = { "127.0.0.1" } }

local function log(...) io.stderr:write(table.concat({ ... }, " "), "\n") end
local function now_ms() return uv.hrtime() / 1e6 end
local function cpu_ms()
  local r = uv.getrusage()
  return (r.utime.sec + r.stime.sec) * 1000 + (r.utime.usec + r.stime.usec) / 1000
end
local function result(t)
  t.version = rtc.version or "0.1.0"
  io.stdout:write("RESULT ", cjson.encode(t), "\n")
  io.stdout:flush()
  os.exit(0)
end

local a = rtc.RTCPeerConnection(CFG)
local b = rtc.RTCPeerConnection(CFG)
a.onicecandidate = function(e) if e.candidate then b:addIceCandidate(e.candidate) end end
b.onicecandidate = function(e) if e.candidate then a:addIceCandidate(e.candidate) end end

local tracks, frames, remote = {}, 0, 0
for i = 1, N do
  local t = assert(rtc.media.open(FILE, { loop = true }))
  tracks[i] = t
  assert(a:addTransceiver(t, { direction = "sendonly", streams = { "s" .. i } }))
end
b.ontrack = function(ev)
  remote = remote + 1
  ev.track.onframe = function() frames = frames + 1 end
end

local function rtp_totals()
  local recv, lost, sent = 0, 0, 0
  for _, s in pairs(b:getStats()) do
    if s.type == "inbound-rtp" then
      recv = recv + (s.packetsReceived or 0)
      lost = lost + (s.packetsLost or 0)
    end
  end
  for _, s in pairs(a:getStats()) do
    if s.type == "outbound-rtp" then sent = sent + (s.packetsSent or 0) end
  end
  return recv, lost, sent
end

local offer = assert(a:createOffer())
assert(a:setLocalDescription(offer))
assert(b:setRemoteDescription(offer))
local answer = assert(b:createAnswer())
assert(b:setLocalDescription(answer))
assert(a:setRemoteDescription(answer))

local t0 = now_ms()
while b.connectionState ~= "connected" or remote < N do
  if now_ms() - t0 > 20000 then
    log("B5: not connected after 20 s (" .. tostring(b.connectionState) .. ", " .. remote .. " tracks)")
    os.exit(2)
  end
  rtc.sleep(20)
end
rtc.sleep(WARM_S * 1000)
local r0, l0, s0 = rtp_totals()
local c0, w0, f0 = cpu_ms(), now_ms(), frames
log("B5 steady") -- bench/b5.py may count allocations from here (perf probes)
rtc.sleep(STEADY_S * 1000)
local r1, l1, s1 = rtp_totals()
local c1, w1, f1 = cpu_ms(), now_ms(), frames
local secs, cpu_s = (w1 - w0) / 1000, (c1 - c0) / 1000
local got = r1 - r0
result({
  ok = got > 0,
  tracks = N,
  packets_per_s = got / secs,
  pkts_per_core_s = got / cpu_s,
  cpu_us_per_pkt = cpu_s * 1e6 / math.max(got, 1),
  cpu_pct = cpu_s / secs * 100,
  loss = (l1 - l0) / math.max(got + (l1 - l0), 1),
  sent = s1 - s0,
  frames_per_s = (f1 - f0) / secs,
})
