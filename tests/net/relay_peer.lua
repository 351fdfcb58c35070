-- One of two peers in separate network namespaces, signalling through files in a
-- shared directory (full SDP after gathering: no trickle). The offerer opens a data
-- channel; each side sends MIB bytes (16 KiB messages of a known pattern) and checks
-- what it gets. Prints, one line each:
--   cand <candidate>        every local candidate
--   error <url> <code> <address> <port> <text>   icecandidateerror
--   recv-ok <bytes> | recv-bad <why>
--   stats <localCandidateType> <relayProtocol> <local address>   (the selected pair's)
--   pair <local address> <remote address>                        (the selected pair)
--   done
-- Usage: luartc relay_peer.lua offer|answer <dir> <gather address>[,<address>...]
--        <policy all|relay> <url|-> <username> <credential> [bytes]
--        (url "-": no ICE server; env TURN_CA_FILE: turnCaFile)
local rtc = require "rtc"
local uv = require "luv"
local role, dir, addr, policy, url, user, cred, total = arg[1], arg[2], arg[3], arg[4], arg[5],
  arg[6], arg[7], tonumber(arg[8] or 1048576)
local CHUNK = 16384
local addrs = {}
for a in addr:gmatch("[^,]+") do addrs[#addrs + 1] = a end

local function read_file(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return s
end
local function write_file(path, s)
  local f = assert(io.open(path .. ".tmp", "wb"))
  f:write(s)
  f:close()
  assert(os.rename(path .. ".tmp", path))
end
local function wait_file(path, ms)
  local deadline = uv.hrtime() + ms * 1e6
  while uv.hrtime() < deadline do
    local s = read_file(path)
    if s then return s end
    rtc.sleep(20)
  end
  return nil
end
local function say(s)
  print(s)
  io.stdout:flush()
end

local pc = assert(rtc.RTCPeerConnection {
  gatherAddresses = addrs,
  iceTransportPolicy = policy,
  iceServers = url ~= "-" and { { urls = url, username = user, credential = cred } } or nil,
  turnCaFile = os.getenv("TURN_CA_FILE"), -- turns: with the test's own CA
})
pc.onicecandidate = function(ev)
  if ev.candidate then say("cand " .. ev.candidate.candidate) end
end
pc.onicecandidateerror = function(ev)
  say(string.format("error %s %d %s %s %s", ev.url, ev.errorCode, tostring(ev.address),
    tostring(ev.port), ev.errorText))
end

-- The byte pattern of message i from side s: its content says where it belongs.
local function chunk(s, i, n)
  local head = string.format("%s%08d", s, i)
  return (head .. string.rep(string.char(65 + i % 26), n - #head))
end

local dc
local got, bad = 0, nil
local other = role == "offer" and "B" or "A"
local mine = role == "offer" and "A" or "B"
local function on_channel(ch)
  dc = ch
  local i = 0
  ch.onmessage = function(m)
    local want = chunk(other, i, math.min(CHUNK, total - i * CHUNK))
    if m.data ~= want then bad = bad or ("message " .. i .. " differs") end
    i = i + 1
    got = got + #m.data
  end
end

local function gathered()
  local deadline = uv.hrtime() + 20e9
  while pc.iceGatheringState ~= "complete" and uv.hrtime() < deadline do rtc.sleep(10) end
end

if role == "offer" then
  on_channel(pc:createDataChannel("bulk"))
  assert(pc:setLocalDescription())
  gathered()
  write_file(dir .. "/offer", pc.localDescription.sdp)
  local answer = wait_file(dir .. "/answer", 30000)
  if not answer then say("no answer") os.exit(1) end
  assert(pc:setRemoteDescription { type = "answer", sdp = answer })
else
  pc.ondatachannel = function(ev) on_channel(ev.channel) end
  local offer = wait_file(dir .. "/offer", 30000)
  if not offer then say("no offer") os.exit(1) end
  assert(pc:setRemoteDescription { type = "offer", sdp = offer })
  assert(pc:setLocalDescription())
  gathered()
  write_file(dir .. "/answer", pc.localDescription.sdp)
end

local deadline = uv.hrtime() + 30e9
while not (dc and dc.readyState == "open") and uv.hrtime() < deadline do rtc.sleep(10) end
if not (dc and dc.readyState == "open") then
  say("no channel (" .. pc.connectionState .. ")")
  os.exit(1)
end
local n = math.ceil(total / CHUNK)
for i = 0, n - 1 do
  local msg = chunk(mine, i, math.min(CHUNK, total - i * CHUNK))
  while not dc:send(msg) do rtc.sleep(2) end
  while dc.bufferedAmount > 512 * 1024 do rtc.sleep(2) end
end
deadline = uv.hrtime() + 30e9
while got < total and not bad and uv.hrtime() < deadline do rtc.sleep(10) end
say(bad and ("recv-bad " .. bad) or got == total and ("recv-ok " .. got) or ("recv-bad short " .. got))
local st = pc:getStats()
for _, s in pairs(st) do -- the selected pair and its local candidate
  local cp = s.type == "transport" and s.selectedCandidatePairId and st[s.selectedCandidatePairId]
  local lc = cp and st[cp.localCandidateId]
  if lc then
    say(string.format("stats %s %s %s", lc.candidateType, tostring(lc.relayProtocol),
      tostring(lc.address)))
    say(string.format("pair %s %s", tostring(cp.localAddress), tostring(cp.remoteAddress)))
  end
end
-- Let the peer finish reading before the channel goes.
write_file(dir .. "/done-" .. role, "1")
wait_file(dir .. "/done-" .. (role == "offer" and "answer" or "offer"), 30000)
rtc.sleep(200)
pc:close()
say("done")
