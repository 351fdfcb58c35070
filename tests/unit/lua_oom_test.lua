-- A pc stays alive while open (W3C), so the pc cases close it whatever happens.
-- Driven by tests/unit/lua_oom_test.c (see there): each case runs once to warm up,
-- then with the n-th Lua allocation failing for n = 0, 1, 2, ... until it succeeds;
-- after each failed run and a full collection (and a loop turn, for the pcs' closing
-- handles) the C side must hold no more blocks than before. Returns the failure count.
jit.off() -- no trace allocations among the counted ones
local core = require "rtc.core"
local uv = require "luv"

local passed, failed = 0, 0

local function settle()
  for _ = 1, 3 do
    collectgarbage("collect")
    collectgarbage("collect")
    for _ = 1, 5 do uv.run("nowait") end
  end
end

local function case(name, f)
  local ok, err = pcall(f)
  if not ok then
    print("not ok " .. name .. ": does not run without the failing allocator: " .. tostring(err))
    failed = failed + 1
    return
  end
  settle()
  local base = c_live()
  local raised, leaked = 0, nil
  for n = 0, 20000 do
    oom_arm(n)
    ok, err = pcall(f)
    oom_disarm()
    settle()
    local now = c_live()
    if os.getenv("OOM_TRACE") then print(name, n, ok, err, now - base) end
    if not ok then raised = raised + 1 end
    if now > base and not leaked then
      leaked = string.format("%d C block(s) lost after the allocation %d failed (%s)", now - base, n,
        tostring(err))
    end
    if ok then break end
    base = math.min(base, now)
  end
  if leaked or raised == 0 then
    print("not ok " .. name .. ": " .. (leaked or "no allocation failed"))
    failed = failed + 1
  else
    print(string.format("ok %s (%d allocation failures, no C block lost)", name, raised))
    passed = passed + 1
  end
end

local cert = assert(core.generateCertificate())
local big = string.rep("luartc", 20000)

case("base64", function()
  local s = core.base64(big)
  assert(#s == 160000)
end)

case("certificate toPEM", function()
  local c, k = cert:toPEM()
  assert(c:find("BEGIN CERTIFICATE") and k:find("PRIVATE KEY"))
end)

local offerer = assert(core.RTCPeerConnection({certificate = cert}))
offerer:createDataChannel("warm")
case("createOffer", function()
  local sdp = assert(offerer:createOffer())
  assert(sdp:find("m=application"))
end)

local offer = assert(offerer:createOffer())
local answerer = assert(core.RTCPeerConnection({certificate = cert}))
assert(answerer:setRemoteDescription("offer", offer))
case("createAnswer", function()
  local sdp = assert(answerer:createAnswer())
  assert(sdp:find("a=setup:active"))
end)

case("RTCPeerConnection + createDataChannel", function()
  local pc = assert(core.RTCPeerConnection({certificate = cert}))
  local ok, dc = pcall(pc.createDataChannel, pc, "chat") -- no closure: close() must run
  pc:close()
  assert(ok and dc, dc)
end)

case("RTCPeerConnection + addTransceiver", function()
  local pc = assert(core.RTCPeerConnection({certificate = cert}))
  local ok, tr = pcall(pc._addTransceiver, pc, "video", "sendrecv")
  pc:close()
  assert(ok and tr, tr)
end)

case("mediaOpen", function()
  local src = assert(core.mediaOpen("tests/fixtures/media/vp8.ivf"))
  src:close()
end)

local path = os.tmpname()
case("recording", function()
  assert(core.recording(path, "webm", {"VP8"}))
end)
os.remove(path)

offerer:close()
answerer:close()
offerer, answerer = nil, nil
settle()
print(string.format("RESULT passed=%d failed=%d", passed, failed))
return failed
