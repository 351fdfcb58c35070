-- examples/whip-publish.lua in its own process against an aiortc WHIP endpoint
-- (Python http.server) and against a luartc one over https:// (--cafile).
local H = dofile((arg[0]:match("^(.*)/") or ".") .. "/lib.lua")
local rtc = H.rtc
local test, eq, ok = H.test, H.eq, H.ok

local PY = "/usr/bin/python3"
local have_aiortc = os.execute(PY .. " -c 'import aiortc' 2>/dev/null") == 0
local runner = (os.getenv("LUARTC_BUILD") or "build") .. "/luartc"
local env = { "LUARTC_GATHER_ADDRESSES=127.0.0.1", "PATH=" .. os.getenv("PATH"),
  "ASAN_OPTIONS=" .. (os.getenv("ASAN_OPTIONS") or "") } -- ASan builds: the same options as ours

local function publish(url, extra)
  local p = H.spawn(runner, { "examples/whip-publish.lua", url, "--token", "tok", "--count", "3", "--interval", "100",
    unpack(extra or {}) }, { env = env })
  H.waitFor(function() return p.exited ~= nil end, "whip-publish", 30000)
  local out = table.concat(p.raw, "\n")
  eq(p.exited, 0, "exit status: " .. out .. p.stderr())
  for n = 1, 3 do ok(out:find("received: echo tick " .. n, 1, true), "echo " .. n, out) end
  ok(out:find("deleted the session", 1, true), "DELETE", out)
  return out
end

if have_aiortc then
  test("whip-publish -> aiortc WHIP endpoint", function()
    local srv = H.spawn(PY, { H.here .. "/whip_aiortc.py", "server", "tok" })
    local port = srv.waitField("port", 15000).port
    local out = publish("http://127.0.0.1:" .. port .. "/whip")
    ok(out:find("ICE server offered: turn:turn.example.net", 1, true), "Link ICE servers", out)
    H.waitFor(function()
      for _, l in ipairs(srv.lines) do if l.event == "deleted" then return true end end
    end, "aiortc saw DELETE")
    srv.kill()
  end, 40000)
end

test("whip-publish -> luartc WHIP endpoint over https (verified with --cafile)", function()
  local cert = H.makeCert()
  local srv = assert(rtc.whip.listen({
    port = 0, token = "tok", tls = { cert = cert.cert, key = cert.key }, config = { gatherAddresses = H.LOCAL },
    onsession = function(pc)
      pc.ondatachannel = function(ev) ev.channel.onmessage = function(m) ev.channel:send("echo " .. m.data) end end
    end,
  }))
  publish("https://localhost:" .. srv.port .. "/whip", { "--cafile", cert.certFile })
  H.waitFor(function() return next(srv.sessions) == nil end, "session deleted")
  srv.close()
end, 40000)

H.run()
