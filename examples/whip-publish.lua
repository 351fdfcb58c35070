-- whip-publish.lua: publishes to a WHIP endpoint (RFC 9725): media from files (looped,
-- sent as they are: no encoder) and a data channel that sends a line every interval and
-- prints whatever comes back; then ends the session with DELETE.
--
--   build/luartc examples/whip-publish.lua URL [--token T] [--count 5] [--interval 200]
--                                         [--video clip.ivf|clip.h264] [--audio clip.ogg]
--                                         [--seconds S] [--cafile ca.pem] [--insecure]
--                                         [--simulcast q,h,f]
-- --video takes VP8/VP9/AV1 IVF or H.264 Annex-B, --audio Ogg Opus; with either, the
-- session lasts --seconds (default 10) after it connects.
-- --simulcast q,h,f publishes the video as Chrome does to an SFU: one encoding per rid
-- (RFC 8853; the endpoint's answer picks the layers sent); --video then takes one file
-- for every layer, or one per rid (a,b,c: e.g. three resolutions, same codec).
-- Host candidates: LUARTC_GATHER_ADDRESSES (default: every interface).
local rtc = require "rtc"

local url = arg[1]
local opts = { count = "5", interval = "200" }
local i = 2
while arg[i] do
  local k = arg[i]:match("^%-%-([%w-]+)$")
  if k == "insecure" then
    opts.insecure = true
    i = i + 1
  elseif k and arg[i + 1] then
    opts[k] = arg[i + 1]
    i = i + 2
  else
    url = nil
    break
  end
end
if not url then
  io.stderr:write("usage: whip-publish.lua URL [--token T] [--count N] [--interval MS] [--video F] [--audio F]\n" ..
    "                       [--seconds S] [--cafile F] [--insecure] [--simulcast q,h,f]\n")
  os.exit(2)
end
local tls = opts.insecure and { verify = false } or (opts.cafile and { cafile = opts.cafile }) or nil

local pc = assert(rtc.RTCPeerConnection({}))
local media = {}
local function open(path)
  local src, merr = rtc.media.open(path, { loop = true })
  if not src then
    io.stderr:write("whip-publish: ", path, ": ", tostring(merr), "\n")
    os.exit(2)
  end
  media[#media + 1] = src
  return src
end
local function list(s)
  local out = {}
  for x in s:gmatch("[^,]+") do out[#out + 1] = x end
  return out
end
for _, kind in ipairs({ "video", "audio" }) do
  if opts[kind] and kind == "video" and opts.simulcast then
    local rids, files = list(opts.simulcast), list(opts.video)
    local encs = {}
    for n, rid in ipairs(rids) do
      -- several files: each layer its own track (luartc's sendEncodings[i].track)
      encs[n] = { rid = rid, track = #files > 1 and open(files[n] or files[#files]) or nil }
    end
    local main = #files == 1 and open(files[1]) or "video"
    assert(pc:addTransceiver(main, { direction = "sendonly", streams = { "whip-publish" }, sendEncodings = encs }))
  elseif opts[kind] then
    assert(pc:addTrack(open(opts[kind]), { id = "whip-publish" }))
  end
end
local dc = pc:createDataChannel("whip-publish")
local t0 = rtc.core.nowUs()
local function say(...)
  io.write(string.format("%8.1f ms  ", (rtc.core.nowUs() - t0) / 1000), ...)
  io.write("\n")
  io.stdout:flush()
end

dc.onmessage = function(m) say("received: ", m.binary and ("(" .. #m.data .. " bytes)") or m.data) end
pc.onconnectionstatechange = function() say("connection ", pc.connectionState) end

local session, err = rtc.whip.publish(url, pc, { token = opts.token, tls = tls })
if not session then
  io.stderr:write("whip-publish: ", err, "\n")
  pc:close()
  os.exit(1)
end
say("session ", session.url)
for _, s in ipairs(session.iceServers) do say("ICE server offered: ", s.urls) end

local ok, werr = rtc.wait(dc, "open", 10000)
if not ok then
  io.stderr:write("whip-publish: data channel: ", tostring(werr), "\n")
  session:close()
  os.exit(1)
end
local connected_at = rtc.core.nowUs()
for n = 1, tonumber(opts.count) do
  dc:send("tick " .. n)
  say("sent: tick ", n)
  rtc.sleep(tonumber(opts.interval))
end
if #media > 0 then
  local left = tonumber(opts.seconds or 10) * 1000 - (rtc.core.nowUs() - connected_at) / 1000
  if left > 0 then rtc.sleep(left) end
  for _, st in pairs(pc:getStats()) do
    if st.type == "outbound-rtp" and st.rid then
      say("layer ", st.rid, ": ", st.packetsSent, " packets, ", st.framesSent, " frames sent")
    end
  end
  for _, src in ipairs(media) do src:stop() end
  say("media sent for ", string.format("%.1f", (rtc.core.nowUs() - connected_at) / 1e6), " s")
end
local closed, cerr = session:close()
say(closed and "deleted the session" or ("DELETE failed: " .. tostring(cerr)))
rtc.http.closeIdle()
