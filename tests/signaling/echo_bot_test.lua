-- examples/echo-bot.lua in its own process, against aiortc (an independent WebRTC
-- peer) over WebSocket signaling, and against a luartc client over wss://.
local H = dofile((arg[0]:match("^(.*)/") or ".") .. "/lib.lua")
local rtc = H.rtc
local cjson = require "cjson"
local test, eq, ok = H.test, H.eq, H.ok

local PY = "/usr/bin/python3"
local have_aiortc = os.execute(PY .. " -c 'import aiortc' 2>/dev/null") == 0
local runner = (os.getenv("LUARTC_BUILD") or "build") .. "/luartc"
local env = { "LUARTC_GATHER_ADDRESSES=127.0.0.1", "PATH=" .. os.getenv("PATH"),
  "ASAN_OPTIONS=" .. (os.getenv("ASAN_OPTIONS") or "") } -- ASan builds: the same options as ours

local function start_bot(args)
  local bot = H.spawn(runner, { "examples/echo-bot.lua", "--port", "0", unpack(args or {}) }, { env = env })
  local url
  H.waitFor(function()
    for _, l in ipairs(bot.raw) do url = url or l:match("listening on (%S+)") end
    return url or bot.exited
  end, "echo-bot listening", 10000)
  ok(url, "echo-bot did not start: " .. bot.stderr())
  return bot, url
end

if have_aiortc then
  test("aiortc -> echo-bot over WebSocket: 20 text and binary messages echoed", function()
    local bot, url = start_bot()
    local p = H.spawn(PY, { H.here .. "/echo_bot_aiortc.py", url, "20" })
    H.waitFor(function() return p.exited ~= nil end, "aiortc", 30000)
    bot.kill()
    local r = p.lines[1]
    ok(r, "aiortc printed nothing: " .. p.stderr() .. "\nbot: " .. bot.stderr())
    eq(r.echoed, 20)
    eq(r.intact, true)
  end, 40000)
end

local have_chromium = io.open("/usr/bin/chromium") ~= nil and
  io.open(H.here .. "/../interop/node_modules/playwright-core/package.json") ~= nil
if have_chromium then
  test("headless Chromium -> echo-bot: a page's WebSocket signaling, text and binary echoes", function()
    local bot, url = start_bot()
    local p = H.spawn("node", { "echo_bot_chromium.mjs", url }, { cwd = H.here })
    H.waitFor(function() return p.exited ~= nil end, "chromium", 90000)
    bot.kill()
    local r = p.lines[1]
    ok(r and not r.error, "chromium: " .. table.concat(p.raw, "\n") .. p.stderr() .. "\nbot: " .. bot.stderr())
    eq(r.text, "hello from chromium")
    eq(table.concat(r.binary, ","), "1,2,3,250")
  end, 100000)
else
  io.stderr:write("echo_bot_test: chromium or tests/interop's playwright-core missing; Chromium case skipped\n")
end

test("luartc client -> echo-bot over wss:// (trickle both ways)", function()
  local cert = H.makeCert()
  local bot, url = start_bot({ "--tls-cert", cert.certFile, "--tls-key", cert.keyFile })
  ok(url:match("^wss://"), "wss URL", url)
  url = url:gsub("127%.0%.0%.1", "localhost")
  local sock = assert(rtc.ws.connect(url, { tls = { ca = cert.cert } }))
  local pc = H.pc()
  local dc = pc:createDataChannel("e")
  pc.onicecandidate = function(ev) sock:sendJSON({ type = "candidate", candidate = ev.candidate or cjson.null }) end
  sock.onmessage = function(data)
    local m = cjson.decode(data)
    if m.type == "answer" then
      rtc.spawn(function() assert(pc:setRemoteDescription(m)) end)
    elseif m.type == "candidate" and m.candidate ~= cjson.null then
      rtc.spawn(function()
        H.waitFor(function() return pc.remoteDescription end, "answer first")
        pc:addIceCandidate(m.candidate)
      end)
    end
  end
  assert(pc:setLocalDescription())
  sock:sendJSON({ type = "offer", sdp = pc.localDescription.sdp })
  local got
  dc.onmessage = function(m) got = m.data end
  H.waitFor(function() return dc.readyState == "open" end, "open", 10000)
  dc:send("round trip")
  H.waitFor(function() return got end, "echo")
  eq(got, "round trip")
  sock:close()
  bot.kill()
end)

H.run()
