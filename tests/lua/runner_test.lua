-- The luartc runner (arg, exit status, tracebacks, -e) and `require "rtc"` from
-- plain luajit with rtc.run(). Runs subprocesses.
local H = dofile((arg[0]:match("^(.*)/") or ".") .. "/harness.lua")
local test, eq, ok = H.test, H.eq, H.ok

local runner = arg[-1]
local build_dir = runner:match("^(.*)/") or "."
local root = (arg[0]:match("^(.*)/tests/lua/") or ".")

local function sh_quote(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

-- Runs a shell command; returns its combined output and exit status.
local function run(cmd)
  local f = io.popen(cmd .. " 2>&1; echo \"EXIT=$?\"")
  local out = f:read("*a")
  f:close()
  local status = tonumber(out:match("EXIT=(%d+)%s*$"))
  return out:gsub("EXIT=%d+%s*$", ""), status
end

local function script(src)
  local name = os.tmpname() .. ".lua"
  local f = assert(io.open(name, "w"))
  f:write(src)
  f:close()
  return name
end

local function luartc(src, args)
  local name = script(src)
  local out, status = run("timeout 30 " .. sh_quote(runner) .. " " .. sh_quote(name) .. " " .. (args or ""))
  os.remove(name)
  return out, status, name
end

test("arg is set as luajit sets it; ... holds the arguments", function()
  local out, status, name = luartc([[
print("arg0=" .. arg[0], "arg1=" .. arg[1], "arg2=" .. arg[2], "n=" .. #arg, "dots=" .. select("#", ...))
print("argm1=" .. tostring(arg[-1]))
print("first=" .. (...))
]], "one 'two words'")
  eq(status, 0, out)
  ok(out:find("arg0=" .. name, 1, true), "arg[0]", out)
  ok(out:find("arg1=one\targ2=two words\tn=2\tdots=2", 1, true), "args", out)
  ok(out:find("argm1=" .. runner, 1, true), "arg[-1] is the runner", out)
  ok(out:find("first=one", 1, true), "...", out)
end)

-- A write to a pipe or socket whose reader has gone raises SIGPIPE, which by default
-- kills the process silently (status 141): one peer or signaling client going away
-- must not take the process down. Loading rtc ignores SIGPIPE (unless the program set
-- its own handler); the write fails with EPIPE instead.
test("a write to a closed pipe fails with EPIPE instead of killing the process", function()
  local out, status = luartc([[
local rtc = require "rtc"
local p = io.popen("exit 0", "w")
os.execute("sleep 0.2")
local w_ok, w_err = p:write(string.rep("x", 200000))
local f_ok, f_err = p:flush()
print("survived", tostring(w_ok ~= nil and f_ok ~= nil), tostring(w_err or f_err))
]])
  eq(status, 0, out)
  ok(out:find("survived\tfalse\tBroken pipe", 1, true), "EPIPE reported", out)
end)

-- ... and the programs the script runs keep SIGPIPE's default: with SIGPIPE ignored,
-- which exec passes on, `yes | head -c 1` made yes fail with "Broken pipe" (status 1)
-- instead of ending quietly by the signal (status 141), as it does outside luartc.
test("programs started with io.popen / os.execute still die of SIGPIPE", function()
  local out, status = luartc([[
local rtc = require "rtc"
local p = io.popen("bash -c 'yes | head -c 1 >/dev/null; echo yes=${PIPESTATUS[0]}' 2>&1")
io.write(p:read("*a"))
p:close()
]])
  eq(status, 0, out)
  ok(out:find("yes=141", 1, true), "yes killed by SIGPIPE", out)
  ok(not out:find("Broken pipe", 1, true), "no EPIPE in the child", out)
end)

test("a script that raises exits 1 with the traceback", function()
  local out, status = luartc([[
local function inner() error("kaboom from the script") end
inner()
]])
  eq(status, 1, out)
  ok(out:find("kaboom from the script", 1, true), "message", out)
  ok(out:find("stack traceback", 1, true), "traceback", out)
  ok(out:find("inner", 1, true), "the function in the traceback", out)
end)

test("an error after a wait (main coroutine resumed by the loop) exits 1", function()
  local out, status = luartc([[
local rtc = require "rtc"
rtc.sleep(10)
error("late kaboom")
]])
  eq(status, 1, out)
  ok(out:find("late kaboom", 1, true), "message", out)
  ok(out:find("stack traceback", 1, true), "traceback", out)
end)

test("a syntax error exits 1", function()
  local out, status = luartc("this is not lua")
  eq(status, 1, out)
end)

test("a handler error is reported, the script goes on, status 0", function()
  local out, status = luartc([[
local rtc = require "rtc"
local uv = require "luv"
local a = rtc.RTCPeerConnection({gatherAddresses = {"127.0.0.1"}})
local fired = false
a.onnegotiationneeded = function() fired = true error("handler kaboom") end
a:createDataChannel("x")
-- a closed pc fires nothing more: close only once the handler ran (slow under ASan)
for _ = 1, 300 do if fired then break end rtc.sleep(10) end
a:close()
print("still running")
]])
  eq(status, 0, out)
  ok(out:find("handler kaboom", 1, true), "reported", out)
  ok(out:find("still running", 1, true), "went on", out)
end)

test("the runner exits when nothing is left alive (two peers closed from a handler)", function()
  local t0 = os.time()
  local out, status = luartc([[
local rtc = require "rtc"
local a = rtc.RTCPeerConnection({gatherAddresses = {"127.0.0.1"}})
local b = rtc.RTCPeerConnection({gatherAddresses = {"127.0.0.1"}})
a.onicecandidate = function(ev) b:addIceCandidate(ev.candidate) end
b.onicecandidate = function(ev) a:addIceCandidate(ev.candidate) end
b.ondatachannel = function(ev) ev.channel.onmessage = function(m) ev.channel:send(m.data) end end
local dc = a:createDataChannel("x")
dc.onopen = function() dc:send("ping") end
dc.onmessage = function(m)
  print("got " .. m.data)
  local c = rtc.core.debugCounts()
  print("ecp fast " .. c.ecpFast .. " fallback " .. c.ecpFallback)
  a:close(); b:close()
end
assert(a:setLocalDescription())
assert(b:setRemoteDescription(a.localDescription))
assert(b:setLocalDescription())
assert(a:setRemoteDescription(b.localDescription))
]])
  eq(status, 0, out)
  ok(out:find("got ping", 1, true), "echo", out)
  ok(os.time() - t0 < 20, "exited promptly")
end)

test("a pc that is never used does not keep the runner alive", function()
  local out, status = luartc([[
local rtc = require "rtc"
local a = rtc.RTCPeerConnection()
print("created")
]])
  eq(status, 0, out)
  ok(out:find("created", 1, true), out)
end)

test("LUARTC_GATHER_ADDRESSES sets the default gather addresses", function()
  local name = script([[
local rtc = require "rtc"
local a = rtc.RTCPeerConnection()
local n, done = 0, false
a.onicecandidate = function(ev)
  if ev.candidate then
    n = n + 1
    print("cand " .. ev.candidate.candidate)
  else
    print("end " .. n)
    a:close()
  end
end
a:createDataChannel("x")
assert(a:setLocalDescription())
]])
  local out, status = run("LUARTC_GATHER_ADDRESSES=127.0.0.1 timeout 30 " .. sh_quote(runner) .. " " .. sh_quote(name))
  os.remove(name)
  eq(status, 0, out)
  -- One address: its UDP host candidate and the ICE-TCP passive and active ones.
  ok(out:find("end 3", 1, true), "three candidates", out)
  ok(out:find(" 1 udp %d+ 127%.0%.0%.1 %d+ typ host"), "UDP host", out)
  ok(out:find(" 1 tcp %d+ 127%.0%.0%.1 %d+ typ host tcptype passive"), "TCP passive", out)
  ok(out:find(" 1 tcp %d+ 127%.0%.0%.1 9 typ host tcptype active"), "TCP active on port 9", out)
  ok(out:find("127.0.0.1", 1, true), "on 127.0.0.1", out)
end)

test("rtc.run() in the runner waits until the loop has nothing left", function()
  local out, status = luartc([[
local rtc = require "rtc"
local uv = require "luv"
local t = uv.new_timer()
t:start(20, 0, function() t:close(); print("timer") end)
rtc.spawn(function() rtc.sleep(5); rtc.run(); print("spawned after run") end)
rtc.run()
print("main after run")
local t2 = uv.new_timer()
t2:start(10, 0, function() t2:close(); print("second phase") end)
]])
  eq(status, 0, out)
  local i1, i2, i3 = out:find("timer\n", 1, true), out:find("main after run", 1, true), out:find("second phase", 1, true)
  ok(i1 and i2 and i3 and i1 < i2 and i2 < i3, "order", out)
  ok(out:find("spawned after run", 1, true), "spawned waiter resumed", out)
end)

test("rtc.exit(code)", function()
  local out, status = luartc([[
local rtc = require "rtc"
print("bye")
rtc.exit(3)
print("not reached")
]])
  eq(status, 3, out)
  ok(out:find("bye", 1, true), out)
  ok(not out:find("not reached", 1, true), out)
end)

test("luartc -e 'code'", function()
  local out, status = run("timeout 30 " .. sh_quote(runner) .. " -e " .. sh_quote("print(1 + 1, (require 'rtc')._VERSION)"))
  eq(status, 0, out)
  ok(out:find("2\t0.1.0", 1, true), out)
end)

test("the runner's DTLS handshakes do their curve math on libcrypto", function()
  local rtc = require "rtc"
  local c0 = rtc.core.debugCounts()
  H.connected("ecp")
  local c1 = rtc.core.debugCounts()
  -- each side: key generation, shared secret, a signature, a verification
  ok(c1.ecpFast - c0.ecpFast >= 8, "fast operations", c1.ecpFast - c0.ecpFast)
  eq(c1.ecpFallback - c0.ecpFallback, 0, "operations left to mbedTLS")
end)

test("require \"rtc\" from plain luajit, rtc.run() drives the loop", function()
  -- an ASan build's rtc.so cannot load into an uninstrumented luajit
  if os.getenv("RTC_ASAN") then return end
  local name = script([[
local rtc = require "rtc"
local uv = require "luv"
local a = rtc.RTCPeerConnection({gatherAddresses = {"127.0.0.1"}})
local b = rtc.RTCPeerConnection({gatherAddresses = {"127.0.0.1"}})
a.onicecandidate = function(ev) b:addIceCandidate(ev.candidate) end
b.onicecandidate = function(ev) a:addIceCandidate(ev.candidate) end
b.ondatachannel = function(ev) ev.channel.onmessage = function(m) ev.channel:send("echo " .. m.data) end end
local dc = a:createDataChannel("x")
dc.onopen = function() dc:send("plain") end
dc.onmessage = function(m)
  print("got " .. m.data)
  local c = rtc.core.debugCounts()
  print("ecp fast " .. c.ecpFast .. " fallback " .. c.ecpFallback)
  a:close(); b:close()
end
-- not in a coroutine here: the callback form
a:createOffer(function(offer)
  a:setLocalDescription(offer, function()
    b:setRemoteDescription(offer, function()
      b:createAnswer(function(answer)
        b:setLocalDescription(answer)
        a:setRemoteDescription(answer)
      end)
    end)
  end)
end)
local t = uv.new_timer()
t:start(10, 0, function() t:close(); print("luv timer on the same loop") end)
rtc.run()
print("loop done")
]])
  local env = "LUA_PATH=" .. sh_quote(root .. "/lua/?.lua;" .. root .. "/lua/?/init.lua;;")
    .. " LUA_CPATH=" .. sh_quote(build_dir .. "/?.so;;")
  local out, status = run(env .. " timeout 30 luajit " .. sh_quote(name))
  os.remove(name)
  eq(status, 0, out)
  ok(out:find("got echo plain", 1, true), "echo", out)
  -- rtc.so interposes mbedTLS's point multiplications too (rtc_dtls_ecp.h): a
  -- handshake is ~10 of them, all on libcrypto
  local fast, fallback = out:match("ecp fast (%d+) fallback (%d+)")
  ok(tonumber(fast) and tonumber(fast) >= 8 and tonumber(fallback) == 0, "libcrypto curves", out)
  ok(out:find("luv timer on the same loop", 1, true), "luv", out)
  ok(out:find("loop done", 1, true), "rtc.run returned", out)
end)

H.run()
