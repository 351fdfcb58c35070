-- Gathers once against the ICE servers given and prints what came, one line each:
--   cand <candidate string>
--   error <url> <errorCode> <address> <port> <errorText>
--   complete <ms>
-- Usage: luartc gather.lua <gather address> <url>[,<url>...] [username] [credential]
local rtc = require "rtc"
local uv = require "luv"
local addr, urls, user, cred = arg[1], arg[2], arg[3], arg[4]
local list = {}
for u in urls:gmatch("[^,]+") do list[#list + 1] = u end
local pc = assert(rtc.RTCPeerConnection {
  gatherAddresses = { addr },
  iceServers = { { urls = list, username = user, credential = cred } },
  turnCaFile = os.getenv("TURN_CA_FILE"),
})
local t0 = uv.hrtime()
pc.onicecandidate = function(ev)
  if ev.candidate then print("cand " .. ev.candidate.candidate) end
end
pc.onicecandidateerror = function(ev)
  print(string.format("error %s %d %s %s %s", ev.url, ev.errorCode, tostring(ev.address),
    tostring(ev.port), ev.errorText))
end
pc:createDataChannel("x")
pc:setLocalDescription()
local deadline = uv.hrtime() + 20e9
while pc.iceGatheringState ~= "complete" and uv.hrtime() < deadline do rtc.sleep(10) end
print(string.format("complete %d", (uv.hrtime() - t0) / 1e6))
pc:close()
io.stdout:flush()
