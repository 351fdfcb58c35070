-- A tiny test harness for luartc scripts: test(name, fn) queues fn; run() runs them
-- one after the other, each as a coroutine on the loop with a timeout, then prints
-- "RESULT passed=N failed=M" and exits (status 1 when something failed).
local rtc = require "rtc"
local uv = require "luv"

local H = { passed = 0, failed = 0 }
local tests = {}
local only = os.getenv("TEST_ONLY") -- run only the tests whose name contains it

H.rtc, H.uv = rtc, uv
H.LOCAL = { "127.0.0.1" }
H.MEDIA_FIXTURES = "tests/fixtures/media/"
H.TMP = os.getenv("TMPDIR") or "/tmp"

-- Runs a shell command; returns what it printed (stdout and stderr).
function H.sh(cmd)
  local p = io.popen(cmd .. " 2>&1")
  local out = p:read("*a")
  p:close()
  return out
end
H.have_ffmpeg = H.sh("command -v ffmpeg") ~= ""

function H.test(name, fn, timeout_ms)
  tests[#tests + 1] = { name = name, fn = fn, timeout = timeout_ms or 20000 }
end

local function fmt(v)
  if type(v) == "string" then
    if #v > 80 then return string.format("%q...(%d bytes)", v:sub(1, 60), #v) end
    return string.format("%q", v)
  end
  return tostring(v)
end

function H.ok(cond, msg, ...)
  if not cond then error((msg or "check failed") .. " " .. table.concat({ ... }, " "), 2) end
  return cond
end

function H.eq(got, want, msg)
  if got ~= want then
    error(string.format("%s: expected %s, got %s", msg or "eq", fmt(want), fmt(got)), 2)
  end
end

-- Polls pred() every few ms until it is true; raises after timeout_ms.
function H.waitFor(pred, what, timeout_ms)
  local deadline = uv.hrtime() + (timeout_ms or 10000) * 1e6
  while not pred() do
    if uv.hrtime() > deadline then error("timeout waiting for " .. (what or "condition"), 2) end
    rtc.sleep(2)
  end
end

-- Peer connections created by the current test: closed when it ends.
local created = {}

function H.pc(config)
  config = config or {}
  if config.gatherAddresses == nil then config.gatherAddresses = H.LOCAL end
  local pc = assert(rtc.RTCPeerConnection(config))
  created[#created + 1] = pc
  return pc
end

-- Two peers whose candidates trickle to each other.
function H.pair(ca, cb)
  local a, b = H.pc(ca), H.pc(cb)
  -- A candidate that arrives before the remote description waits for it (the
  -- callback form may apply descriptions a loop turn later).
  local function trickle(to)
    return function(ev)
      local c = ev.candidate
      if to.signalingState == "closed" then return end
      if to.remoteDescription ~= nil then return to:addIceCandidate(c) end
      rtc.spawn(function()
        local deadline = uv.hrtime() + 10e9
        while to.remoteDescription == nil and to.signalingState ~= "closed" and uv.hrtime() < deadline do
          rtc.sleep(1)
        end
        if to.signalingState ~= "closed" then to:addIceCandidate(c) end
      end)
    end
  end
  a.onicecandidate = trickle(b)
  b.onicecandidate = trickle(a)
  return a, b
end

-- Offer/answer from a to b (in a coroutine). mangle(answer) may edit the answer.
function H.negotiate(a, b, mangle)
  local offer = assert(a:createOffer())
  assert(a:setLocalDescription(offer))
  assert(b:setRemoteDescription(offer))
  local answer = assert(b:createAnswer())
  assert(b:setLocalDescription(answer))
  if mangle then answer = mangle(answer) end
  local ok, err = a:setRemoteDescription(answer)
  return ok, err
end

-- A connected pair with a channel "chat" open on both sides: a, b, da, db.
function H.connected(label, init, ca, cb)
  local a, b = H.pair(ca, cb)
  local da = a:createDataChannel(label or "chat", init)
  local db
  b.ondatachannel = function(ev) db = ev.channel end
  assert(H.negotiate(a, b))
  H.waitFor(function() return da.readyState == "open" and db and db.readyState == "open" end,
    "channel open")
  return a, b, da, db
end

-- Drops the harness's references to the pcs of the current test (for GC tests).
function H.forget() created = {} end

local function close_created()
  for i = 1, #created do pcall(function() created[i]:close() end) end
  created = {}
end

function H.run()
  local out = io.stdout
  for _, t in ipairs(tests) do
    if not only or t.name:find(only, 1, true) then
      local saved_onerror = rtc.onerror
      local t0 = uv.hrtime()
      local ok, err = rtc.await(function(done)
        local timer = uv.new_timer()
        local finished = false
        local function finish(...)
          if finished then return end
          finished = true
          timer:close()
          done(...)
        end
        timer:start(t.timeout, 0, function() finish(false, "timeout after " .. t.timeout .. " ms") end)
        rtc.spawn(function()
          local ok2, err2 = xpcall(t.fn, debug.traceback)
          finish(ok2, err2)
        end)
      end)
      rtc.onerror = saved_onerror
      close_created()
      local ms = (uv.hrtime() - t0) / 1e6
      if ok then
        H.passed = H.passed + 1
        out:write(string.format("ok   %s (%.0f ms)\n", t.name, ms))
      else
        H.failed = H.failed + 1
        out:write(string.format("FAIL %s (%.0f ms): %s\n", t.name, ms, tostring(err)))
      end
      out:flush()
      rtc.sleep(1) -- let closes settle between tests
    end
  end
  out:write(string.format("RESULT passed=%d failed=%d\n", H.passed, H.failed))
  out:flush()
  rtc.exit(H.failed > 0 and 1 or 0)
end

return H
