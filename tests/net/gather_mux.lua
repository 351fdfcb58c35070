-- N peer connections on one shared UDP socket (udpMux) gather at once against the ICE
-- servers given; prints what each got, one line each:
--   pc<K> cand <candidate string>
--   pc<K> error <url> <errorCode> <errorText>
--   pc<K> complete <ms>
-- Usage: luartc gather_mux.lua <gather address> <N> <url> [username] [credential]
local rtc = require "rtc"
local uv = require "luv"
local addr, n, url, user, cred = arg[1], tonumber(arg[2]), arg[3], arg[4], arg[5]
local t0 = uv.hrtime()
local pcs = {}
for k = 1, n do
  local pc = assert(rtc.RTCPeerConnection {
    gatherAddresses = { addr }, udpMux = true, iceTcp = false,
    iceServers = { { urls = url, username = user, credential = cred } },
  })
  pc.onicecandidate = function(ev)
    if ev.candidate then print(string.format("pc%d cand %s", k, ev.candidate.candidate)) end
  end
  pc.onicecandidateerror = function(ev)
    print(string.format("pc%d error %s %d %s", k, ev.url, ev.errorCode, ev.errorText))
  end
  pc.onicegatheringstatechange = function()
    if pc.iceGatheringState == "complete" then
      print(string.format("pc%d complete %d", k, (uv.hrtime() - t0) / 1e6))
    end
  end
  pc:createDataChannel("x")
  pc:setLocalDescription()
  pcs[k] = pc
end
local deadline = uv.hrtime() + 45e9
local function done()
  for _, pc in ipairs(pcs) do if pc.iceGatheringState ~= "complete" then return false end end
  return true
end
while not done() and uv.hrtime() < deadline do rtc.sleep(10) end
print(string.format("udpMuxSockets %d", rtc.core.debugCounts().udpMuxSockets))
for _, pc in ipairs(pcs) do pc:close() end
io.stdout:flush()
