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

-- A remote channel and its messages arrive while Lua is out of memory: the datachannel
-- event holds the channel's C reference in a box while it builds the channel object and
-- the event table, a message event pushes its string. A pair connects on the loop with
-- the normal allocator; then for n = 0, 1, 2, ... the n-th Lua allocation (that one
-- only) fails while a opens a channel, sends three strings from its onopen, and b gets
-- ondatachannel and onmessage. Each run: no crash, the error reported, no C block lost
-- once the channel closed, the pair still connected and a message on the first channel
-- still delivered (the loop goes on). Ends at the first n past the run's allocations.
local function spin(ms, pred)
  local deadline = uv.hrtime() + ms * 1e6
  while uv.hrtime() < deadline do
    if pred() then return true end
    uv.run("nowait")
    uv.sleep(1)
  end
  return false
end

local function datachannel_sweep()
  local reported = 0
  local reported_at = 0
  core.setErrorReporter(function()
    reported = reported + 1
    reported_at = uv.hrtime()
  end)
  local a = assert(core.RTCPeerConnection({certificate = cert, gatherAddresses = {"127.0.0.1"}}))
  local b = assert(core.RTCPeerConnection({certificate = cert, gatherAddresses = {"127.0.0.1"}}))
  local function trickle(to)
    return function(ev)
      if ev.candidate then
        to:addIceCandidate(ev.candidate.candidate, ev.candidate.sdpMid, ev.candidate.sdpMLineIndex)
      end
    end
  end
  a.onicecandidate, b.onicecandidate = trickle(b), trickle(a)
  local warm = assert(a:createDataChannel("warm"))
  local warm_got, chan, msgs = {}, nil, {}
  local function on_warm(m) warm_got[#warm_got + 1] = m.data end
  local function on_message(m) msgs[#msgs + 1] = m.data end
  b.ondatachannel = function(ev)
    if ev.channel.label == "warm" then
      ev.channel.onmessage = on_warm
    else
      chan = ev.channel
      chan.onmessage = on_message
    end
  end
  local offer = assert(a:createOffer())
  assert(a:setLocalDescription("offer", offer))
  assert(b:setRemoteDescription("offer", offer))
  local answer = assert(b:createAnswer())
  assert(b:setLocalDescription("answer", answer))
  assert(a:setRemoteDescription("answer", answer))
  local function warm_open() return warm.readyState == "open" and b.connectionState == "connected" end
  assert(spin(10000, warm_open), "the pair does not connect")

  local function send3(ev)
    ev.target:send("one")
    ev.target:send("two")
    ev.target:send("three")
  end
  -- all three arrived, or 50 ms passed since the error (what is lost stays lost)
  local function three() return #msgs == 3 or (reported > 0 and uv.hrtime() - reported_at > 50e6) end
  local expected = {"one", "two", "three"}
  -- One run: a's channel opens and carries three strings, with allocation n failing.
  local function run(n)
    chan, msgs, reported = nil, {}, 0
    local dc = assert(a:createDataChannel("oom"))
    dc.onopen = send3
    local t0 = uv.hrtime()
    if n then oom_arm(n, true) end
    local ok, err = pcall(spin, 5000, three)
    local grows = n and oom_disarm()
    local ms = (uv.hrtime() - t0) / 1e6
    spin(20, function() return false end) -- what the failure left queued
    local got = #msgs
    local k = 1 -- the strings that arrived are whole and in order (some may be lost)
    for i, m in ipairs(msgs) do
      while k <= 3 and expected[k] ~= m do k = k + 1 end
      if k > 3 then error(string.format("n=%s: message %d is %q", tostring(n), i, tostring(m))) end
      k = k + 1
    end
    dc:close()
    assert(spin(5000, function() return dc.readyState == "closed" end), "the channel does not close")
    chan = nil
    settle()
    return {failed = n and grows > n, ok = ok, err = err, got = got, reported = reported,
            ms = ms}
  end
  local clean = run(nil)
  assert(clean.ok and clean.got == 3 and clean.reported == 0, "a clean run does not deliver")
  local base, prev = c_live(), nil -- the pair's own blocks settle over its first runs
  for _ = 1, 10 do
    if base == prev then break end
    run(nil)
    prev, base = base, c_live()
  end
  local runs, reports, lost, leaked, dead = 0, 0, 0, nil, nil
  for n = 0, 5000 do
    local r = run(n)
    if not r.failed then break end
    runs = runs + 1
    if r.reported > 0 then reports = reports + 1 end
    if r.reported == 0 and r.ok and not leaked then -- a raise in spin itself is the test's own
      leaked = string.format("Lua allocation %d failed and no error was reported", n)
    end
    if r.got < 3 then lost = lost + 1 end
    local now = c_live()
    if os.getenv("OOM_TRACE") then
      print("datachannel", n, r.ok, r.err, r.got, r.reported, string.format("%.0f ms", r.ms), now - base)
    end
    if now > base and not leaked then
      leaked = string.format("%d C block(s) lost after Lua allocation %d failed", now - base, n)
    end
    base = math.min(base, now)
    -- the loop goes on: the pair is connected and the first channel still delivers
    local want = #warm_got + 1
    assert(warm:send("ping " .. n))
    if not spin(3000, function() return #warm_got >= want end) or a.connectionState ~= "connected" then
      dead = dead or string.format("after Lua allocation %d failed the pair no longer delivers", n)
    end
  end
  core.setErrorReporter(nil)
  a:close()
  b:close()
  return runs, reports, lost, leaked or dead
end

do
  local ok, runs, reports, lost, bad = pcall(datachannel_sweep)
  if not ok then
    print("not ok datachannel events: " .. tostring(runs))
    failed = failed + 1
  elseif bad or runs == 0 or reports == 0 then
    print("not ok datachannel events: " .. (bad or "no allocation failed or none reported"))
    failed = failed + 1
  else
    print(string.format("ok datachannel events (%d runs with one Lua allocation failing, %d " ..
      "reported an error, %d lost a message or the channel; no C block lost, the loop went on)",
      runs, reports, lost))
    passed = passed + 1
  end
  settle()
end

offerer:close()
answerer:close()
offerer, answerer = nil, nil
settle()
print(string.format("RESULT passed=%d failed=%d", passed, failed))
return failed
