-- rtc.ws against Node's `ws` package (an independent RFC 6455 implementation), both
-- roles, over ws:// and wss:// (a certificate from the openssl CLI, verified).
local H = dofile((arg[0]:match("^(.*)/") or ".") .. "/lib.lua")
local rtc, uv = H.rtc, H.uv
local ws = require "rtc.ws"
local test, eq, ok = H.test, H.eq, H.ok

local NODE_DIR = H.here
local have_ws = io.open(NODE_DIR .. "/node_modules/ws/package.json") ~= nil
local cert = H.makeCert()

local function node(args)
  return H.spawn("node", { "ws_peer.mjs", unpack(args) }, { cwd = NODE_DIR })
end

local function client_against_node(tls)
  local p = node(tls and { "server", cert.certFile, cert.keyFile } or { "server" })
  local port = p.waitField("port").port
  local url = (tls and "wss" or "ws") .. "://localhost:" .. port .. "/room/1"
  local s = assert(ws.connect(url, { protocols = { "chat", "other" }, tls = { ca = cert.cert } }))
  eq(s.protocol, "chat", "subprotocol")
  s:send("protocol")
  eq(s:receive(5000), "protocol chat path /room/1")
  s:send("hello")
  local d, bin = s:receive(5000)
  eq(d, "hello")
  eq(bin, false)
  local blob = {}
  for i = 0, 199999 do blob[#blob + 1] = string.char(i % 251) end
  blob = table.concat(blob)
  s:send(blob, true)
  d, bin = s:receive(5000)
  eq(bin, true)
  ok(d == blob, "binary echo differs")
  s:sendFragmented("split into pieces", 5)
  eq(s:receive(5000), "split into pieces", "our fragments")
  s:send("frag")
  eq(s:receive(5000), "one-two-three", "node's fragments")
  s:send("ping")
  eq(s:receive(5000), "pong p1", "our automatic pong")
  local pong
  s.onpong = function(x) pong = x end
  s:ping("xyz")
  H.waitFor(function() return pong end, "pong")
  eq(pong, "xyz")
  local code, reason
  s.onclose = function(c, r) code, reason = c, r end
  s:send("close-me")
  H.waitFor(function() return code end, "close")
  eq(code, 4000)
  eq(reason, "bye")
  eq(s.readyState, "closed")
  -- and a close that we start
  local s2 = assert(ws.connect(url, { tls = { ca = cert.cert } }))
  s2:close(4321, "from lua")
  H.waitFor(function() return s2.readyState == "closed" end, "s2 closed")
  eq(s2.closeCode, 4321, "the code node echoed")
  H.waitFor(function()
    for _, l in ipairs(p.lines) do if l.code == 4321 and l.reason == "from lua" then return true end end
  end, "node saw 4321")
  p.kill()
end

local function node_against_server(tls)
  local srv = assert(ws.listen({
    port = 0, tls = tls and { cert = cert.cert, key = cert.key } or nil, path = "/sig", protocols = { "chat" },
    onconnection = function(s)
      s.onmessage = function(d, binary)
        if d == "close-me" then return s:close(4001, "done") end
        s:send(d, binary)
      end
    end,
  }))
  local url = (tls and "wss" or "ws") .. "://localhost:" .. srv.port .. "/sig"
  local p = node({ "client", url, tls and cert.certFile or nil })
  H.waitFor(function() return p.exited ~= nil end, "node client", 15000)
  srv.close()
  local got = {}
  for _, l in ipairs(p.lines) do got[l.step or l.event] = l end
  ok(got.open, "node did not open: " .. table.concat(p.raw, "\n") .. p.stderr())
  eq(got.open.protocol, "chat")
  eq(got.text.data, "hello")
  eq(got.text.binary, false)
  eq(got.binary.ok, true)
  eq(got.binary.binary, true)
  eq(got.fragmented.data, "fragment")
  eq(got.utf8.data, "héllo ☃")
  eq(got.pong.data, "abc")
  eq(got.close.code, 4001)
  eq(got.close.reason, "done")
  eq(p.exited, 0)
end

if have_ws then
  test("luartc client -> node ws server, ws://", function() client_against_node(false) end)
  test("luartc client -> node ws server, wss:// (verified against the test CA)", function() client_against_node(true) end)
  test("node ws client -> luartc server, ws://", function() node_against_server(false) end)
  test("node ws client -> luartc server, wss://", function() node_against_server(true) end)
else
  io.stderr:write("ws_node_test: tests/signaling/node_modules/ws missing (npm ci there); skipped\n")
end

H.run()
