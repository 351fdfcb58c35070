-- swarm.lua: starts N bots against a signaling endpoint, each opens a data channel,
-- sends messages and waits for their echoes. A live progress line on stderr; at the
-- end, setup-time percentiles (start -> channel open), echo throughput, failures.
--
--   build/luartc examples/swarm.lua URL [--bots 20] [--concurrency 10] [--messages 10]
--                                       [--size 1000] [--token T] [--cafile F] [--insecure]
-- URL ws:// or wss://: the WebSocket protocol of examples/echo-bot.lua.
-- URL http:// or https://: a WHIP endpoint that echoes data channel messages.
-- Host candidates: LUARTC_GATHER_ADDRESSES (default: every interface).
local rtc = require "rtc"
local uv = require "luv"
local cjson = require "cjson"

local url = arg[1]
local o = { bots = "20", concurrency = "10", messages = "10", size = "1000" }
local i = 2
while arg[i] do
  local k = arg[i]:match("^%-%-([%w-]+)$")
  if k == "insecure" then
    o.insecure, i = true, i + 1
  elseif k and arg[i + 1] then
    o[k], i = arg[i + 1], i + 2
  else
    url = nil
    break
  end
end
if not url or not url:match("^%a+://") then
  io.stderr:write("usage: swarm.lua URL [--bots N] [--concurrency N] [--messages N] [--size BYTES] [--token T]\n")
  os.exit(2)
end
local N, C, M, SIZE = tonumber(o.bots), tonumber(o.concurrency), tonumber(o.messages), tonumber(o.size)
local tls = o.insecure and { verify = false } or (o.cafile and { cafile = o.cafile }) or nil
local whip_mode = url:match("^https?://") ~= nil

local setups, failures, reasons = {}, 0, {}
local started, finished, echoed_bytes = 0, 0, 0
local t0 = uv.hrtime()
local function ms_since(t) return (uv.hrtime() - t) / 1e6 end

-- Signals over the echo-bot WebSocket protocol; returns a closer.
local function signal_ws(pc)
  local sock, err = rtc.ws.connect(url, { tls = tls })
  if not sock then return nil, err end
  pc.onicecandidate = function(ev) sock:sendJSON({ type = "candidate", candidate = ev.candidate or cjson.null }) end
  local pending = {}
  sock.onmessage = function(data)
    local m = cjson.decode(data)
    if m.type == "answer" then
      rtc.spawn(function()
        pc:setRemoteDescription({ type = "answer", sdp = m.sdp })
        for _, c in ipairs(pending) do pc:addIceCandidate(c) end
        pending = nil
      end)
    elseif m.type == "candidate" and m.candidate ~= cjson.null then
      if pending then pending[#pending + 1] = m.candidate else pc:addIceCandidate(m.candidate) end
    end
  end
  assert(pc:setLocalDescription())
  sock:sendJSON({ type = "offer", sdp = pc.localDescription.sdp })
  return function() sock:close() end
end

local function signal_whip(pc)
  local s, err = rtc.whip.publish(url, pc, { token = o.token, tls = tls })
  if not s then return nil, err end
  return function() s:close() end
end

local function bot(n)
  local t = uv.hrtime()
  local pc = assert(rtc.RTCPeerConnection({}))
  local dc = pc:createDataChannel("swarm-" .. n)
  local got, bytes = 0, 0
  dc.onmessage = function(m)
    got = got + 1
    bytes = bytes + #m.data
  end
  local close, err = (whip_mode and signal_whip or signal_ws)(pc)
  local ok = close ~= nil
  if ok then
    ok, err = rtc.wait(dc, "open", 15000)
  end
  if ok then
    setups[#setups + 1] = ms_since(t)
    local payload = string.rep("x", SIZE)
    for _ = 1, M do dc:send(payload) end
    local deadline = uv.hrtime() + 15e9
    while got < M and uv.hrtime() < deadline and dc.readyState == "open" do rtc.sleep(5) end
    echoed_bytes = echoed_bytes + bytes
    if got < M then ok, err = false, string.format("%d of %d echoes", got, M) end
  end
  if close then close() end
  if pc.signalingState ~= "closed" then pc:close() end
  if not ok then
    failures = failures + 1
    local r = tostring(err)
    reasons[r] = (reasons[r] or 0) + 1
  end
  finished = finished + 1
end

local function progress(final)
  io.stderr:write(string.format("\rswarm: %d/%d done, %d running, %d failed, %.1f s%s", finished, N,
    started - finished, failures, ms_since(t0) / 1000, final and "\n" or ""))
end

local ticker = uv.new_timer()
ticker:start(200, 200, function() progress(false) end)

-- At most C bots at a time.
local next_bot = 1
local function worker()
  while next_bot <= N do
    local n = next_bot
    next_bot = next_bot + 1
    started = started + 1
    bot(n)
  end
end
local workers = {}
for w = 1, math.min(C, N) do workers[w] = rtc.spawn(worker) end
while finished < N do rtc.sleep(20) end
ticker:close()
progress(true)
rtc.http.closeIdle()

local function pct(list, p)
  if #list == 0 then return 0 end
  table.sort(list)
  return list[math.max(1, math.ceil(#list * p / 100))]
end
local total_s = ms_since(t0) / 1000
print(string.format("swarm: %d bots, %d ok, %d failed in %.2f s", N, N - failures, failures, total_s))
print(string.format("setup ms: p50 %.1f  p90 %.1f  p99 %.1f  max %.1f", pct(setups, 50), pct(setups, 90),
  pct(setups, 99), pct(setups, 100)))
print(string.format("echoed: %d bytes, %.2f MB/s over the run", echoed_bytes, echoed_bytes / total_s / 1e6))
for r, k in pairs(reasons) do print(string.format("failure x%d: %s", k, r)) end
os.exit(failures == 0 and 0 or 1)
