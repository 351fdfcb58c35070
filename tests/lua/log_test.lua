-- rtc.log: per-module levels (LUARTC_LOG style), a function sink, Lua-side lines.
local H = dofile((arg[0]:match("^(.*)/") or ".") .. "/harness.lua")
local rtc = H.rtc
local test, eq, ok = H.test, H.eq, H.ok

local function connect_pair()
  local a, b = H.pair()
  local dc = a:createDataChannel("log")
  assert(a:setLocalDescription())
  assert(b:setRemoteDescription(a.localDescription))
  assert(b:setLocalDescription())
  assert(a:setRemoteDescription(b.localDescription))
  H.waitFor(function() return dc.readyState == "open" end, "open")
  a:close()
  b:close()
end

test("configure('ice,dtls:debug'): debug lines from ice and dtls only", function()
  local seen = {}
  rtc.log.sink = function(level, module, line) seen[module .. ":" .. level] = (seen[module .. ":" .. level] or 0) + 1 end
  rtc.log.configure("ice,dtls:debug")
  eq(rtc.log.modules.ice, "debug")
  eq(rtc.log.modules.dtls, "debug")
  eq(rtc.log.level, "warn")
  connect_pair()
  rtc.core.flushLog()
  ok(seen["ice:debug"], "ice debug lines")
  ok(seen["dtls:info"] or seen["dtls:debug"], "dtls lines below warn")
  for k in pairs(seen) do
    local m, l = k:match("^(%w+):(%w+)$")
    ok(m == "ice" or m == "dtls" or l == "warn" or l == "error", "unexpected line " .. k)
  end
  rtc.log.setModule("ice", nil)
  rtc.log.setModule("dtls", nil)
  eq(rtc.log.modules.ice, nil)
  rtc.log.sink = "stderr"
end)

test("default level, bare module names, Lua lines through the same filter", function()
  local got = {}
  rtc.log.sink = function(level, module, line) got[#got + 1] = level .. " " .. module .. " " .. line end
  rtc.log.configure("error,ws")
  eq(rtc.log.level, "error")
  eq(rtc.log.modules.ws, "debug")
  rtc.log.write("debug", "ws", "shown")
  rtc.log.write("debug", "http", "hidden")
  rtc.log.write("error", "http", "errors show")
  eq(#got, 2)
  eq(got[1], "debug ws shown")
  eq(got[2], "error http errors show")
  ok(not pcall(rtc.log.configure, "ice:loud"), "a bad level raises")
  ok(not pcall(function() rtc.log.level = "verbose" end), "a bad level raises")
  rtc.log.setModule("ws", nil)
  rtc.log.level = "warn"
  rtc.log.sink = "stderr"
end)

H.run()
