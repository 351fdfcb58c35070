-- examples/swarm.lua in its own process: against examples/echo-bot.lua (WebSocket
-- signaling, another process) and against a luartc WHIP endpoint in this one.
local H = dofile((arg[0]:match("^(.*)/") or ".") .. "/lib.lua")
local rtc = H.rtc
local test, eq, ok = H.test, H.eq, H.ok

local runner = (os.getenv("LUARTC_BUILD") or "build") .. "/luartc"
local env = { "LUARTC_GATHER_ADDRESSES=127.0.0.1", "PATH=" .. os.getenv("PATH"),
  "ASAN_OPTIONS=" .. (os.getenv("ASAN_OPTIONS") or "") } -- ASan builds: the same options as ours

local function swarm(url, extra)
  local p = H.spawn(runner, { "examples/swarm.lua", url, "--bots", "12", "--concurrency", "4", "--messages", "5",
    unpack(extra or {}) }, { env = env })
  H.waitFor(function() return p.exited ~= nil end, "swarm", 60000)
  local out = table.concat(p.raw, "\n")
  eq(p.exited, 0, "swarm exit: " .. out .. p.stderr())
  ok(out:find("swarm: 12 bots, 12 ok, 0 failed", 1, true), "summary", out)
  ok(out:match("setup ms: p50 [%d.]+  p90 [%d.]+  p99 [%d.]+"), "percentiles", out)
  ok(out:find("echoed: 60000 bytes", 1, true), "bytes echoed", out)
  ok(p.stderr():find("swarm: 12/12 done", 1, true), "progress line", p.stderr())
  return out
end

test("swarm -> echo-bot over WebSocket", function()
  local bot = H.spawn(runner, { "examples/echo-bot.lua", "--port", "0" }, { env = env })
  local url
  H.waitFor(function()
    for _, l in ipairs(bot.raw) do url = url or l:match("listening on (%S+)") end
    return url or bot.exited
  end, "echo-bot", 10000)
  ok(url, "echo-bot: " .. bot.stderr())
  swarm(url)
  bot.kill()
end, 70000)

test("swarm -> luartc WHIP endpoint", function()
  local srv = assert(rtc.whip.listen({
    port = 0, config = { gatherAddresses = H.LOCAL },
    onsession = function(pc)
      pc.ondatachannel = function(ev) ev.channel.onmessage = function(m) ev.channel:send(m.data) end end
    end,
  }))
  swarm("http://127.0.0.1:" .. srv.port .. "/whip")
  H.waitFor(function() return next(srv.sessions) == nil end, "all sessions deleted")
  srv.close()
end, 70000)

H.run()
