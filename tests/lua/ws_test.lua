-- rtc.ws, rtc.http and the TLS stream, luartc on both ends (the independent peers are
-- in tests/signaling): wss with a verified certificate and the failures a client must
-- see, protocol errors from a raw TCP peer, HTTP chunked bodies and keep-alive.
local H = dofile((arg[0]:match("^(.*)/") or ".") .. "/harness.lua")
local rtc, uv = H.rtc, H.uv
local ws = require "rtc.ws"
local http = require "rtc.http"
local test, eq, ok = H.test, H.eq, H.ok

-- A certificate made by luartc itself (its DTLS certificate, as PEM).
local cert_pem, key_pem = assert(rtc.generateCertificate()):toPEM()

local function echo_server(tls)
  return assert(ws.listen({
    port = 0, tls = tls and { cert = cert_pem, key = key_pem } or nil,
    onconnection = function(s) s.onmessage = function(d, b) s:send(d, b) end end,
  }))
end

test("wss: verified against the given CA; refused with the system CA; verify=false", function()
  local srv = echo_server(true)
  local url = "wss://127.0.0.1:" .. srv.port .. "/"
  -- our DTLS certificate has no subjectAltName for 127.0.0.1: the host check fails
  local s, err = ws.connect(url, { tls = { ca = cert_pem } })
  ok(not s and err:find("certificate"), "hostname mismatch must fail", tostring(err))
  s, err = ws.connect(url)
  ok(not s and err:find("certificate"), "unknown CA must fail", tostring(err))
  s = assert(ws.connect(url, { tls = { verify = false } }))
  s:send("over tls")
  eq(s:receive(3000), "over tls")
  s:close()
  H.waitFor(function() return s.readyState == "closed" end, "closed")
  eq(s.closeCode, 1000)
  srv.close()
end)

-- A raw TCP client that did the handshake by hand; returns the tcp and a reader.
local function raw_client(port)
  local tcp = uv.new_tcp()
  local buf = ""
  local connected
  tcp:connect("127.0.0.1", port, function(e) connected = not e end)
  H.waitFor(function() return connected end, "connect")
  tcp:read_start(function(_, chunk) if chunk then buf = buf .. chunk end end)
  tcp:write("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" ..
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
  H.waitFor(function() return buf:find("\r\n\r\n") end, "101")
  -- RFC 6455 1.3's example key and accept value
  ok(buf:find("Sec%-WebSocket%-Accept: s3pPLMBiTxaQ9kYGzzhZRbK%+xOo="), "accept value", buf)
  buf = buf:sub(buf:find("\r\n\r\n") + 4)
  return tcp, function() return buf end
end

local function close_code(frame)
  return frame:byte(1) == 0x88 and (frame:byte(3) * 256 + frame:byte(4)) or nil
end

test("server fails a connection on protocol errors with the right close code", function()
  local closes = {}
  local srv = assert(ws.listen({ port = 0, onconnection = function(s)
    s.onclose = function(c) closes[#closes + 1] = c end
  end }))
  local cases = {
    { "unmasked frame from a client", "\129\002hi", 1002 },
    { "reserved bits", "\193\130\0\0\0\0hi", 1002 },
    { "invalid UTF-8 text", "\129\130\0\0\0\0\255\254", 1007 },
    { "fragmented ping", "\9\128\0\0\0\0", 1002 },
    { "continuation without start", "\128\130\0\0\0\0hi", 1002 },
    { "close code 1005 on the wire", "\136\130\0\0\0\0\003\237", 1002 },
  }
  for _, c in ipairs(cases) do
    local tcp, got = raw_client(srv.port)
    tcp:write(c[2])
    H.waitFor(function() return #got() >= 4 end, c[1])
    eq(close_code(got()), c[3], c[1])
    tcp:close()
  end
  srv.close()
end)

test("a masked ping gets a pong; a close is echoed with its code", function()
  local srv = assert(ws.listen({ port = 0, onconnection = function() end }))
  local tcp, got = raw_client(srv.port)
  tcp:write("\137\132\1\2\3\4" .. string.char(bit.bxor(("p"):byte(), 1), bit.bxor(("i"):byte(), 2),
    bit.bxor(("n"):byte(), 3), bit.bxor(("g"):byte(), 4)))
  H.waitFor(function() return #got() >= 6 end, "pong")
  eq(got():sub(1, 6), "\138\004ping")
  tcp:write("\136\130\0\0\0\0\015\161") -- close 4001
  H.waitFor(function() return #got() >= 10 end, "close echo")
  eq(close_code(got():sub(7)), 4001)
  tcp:close()
  srv.close()
end)

test("http: chunked bodies both ways, keep-alive reuse, 404, bad requests", function()
  local seen = {}
  local srv = assert(http.listen({ port = 0, handler = function(req, res)
    seen[#seen + 1] = req.peer
    if req.path == "/echo" then return res:send(200, { ["Content-Type"] = "text/plain" }, req.body) end
  end }))
  local base = "http://127.0.0.1:" .. srv.port
  local r = assert(http.request(base .. "/echo", { method = "POST", body = "abc" }))
  eq(r.status, 200)
  eq(r.body, "abc")
  r = assert(http.request(base .. "/nope"))
  eq(r.status, 404)
  eq(seen[1], seen[2], "the second request reused the connection")
  -- a chunked request body, by hand
  local tcp = uv.new_tcp()
  local buf, connected = "", false
  tcp:connect("127.0.0.1", srv.port, function(e) connected = not e end)
  H.waitFor(function() return connected end, "connect")
  tcp:read_start(function(_, c) if c then buf = buf .. c end end)
  tcp:write("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4;ext=1\r\ndefg\r\n0\r\n\r\n")
  H.waitFor(function() return buf:find("abcdefg", 1, true) end, "chunked echo")
  buf = ""
  tcp:write("BROKEN\r\n\r\n")
  H.waitFor(function() return buf:find("400", 1, true) end, "400")
  tcp:close()
  -- the parser on a chunked response split at every byte
  local p = http.parser("response")
  local wire = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\nX-T: 1\r\n\r\n"
  local msgs = {}
  for i = 1, #wire do
    for _, m in ipairs(assert(p.feed(wire:sub(i, i)))) do msgs[#msgs + 1] = m end
  end
  eq(#msgs, 1)
  eq(msgs[1].body, "hello world")
  srv.close()
  http.closeIdle()
end)

test("http: an idle connection is closed after idleTimeout; a slow handler is not cut off", function()
  local srv = assert(http.listen({ port = 0, idleTimeout = 100, handler = function(req, res)
    rtc.sleep(300) -- longer than idleTimeout: a request in progress is not idle
    res:send(200, {}, "late")
  end }))
  local r = assert(http.request("http://127.0.0.1:" .. srv.port .. "/", { fresh = true }))
  eq(r.body, "late")
  local tcp = uv.new_tcp()
  local ended, connected = false, false
  tcp:connect("127.0.0.1", srv.port, function(e) connected = not e end)
  H.waitFor(function() return connected end, "connect")
  tcp:read_start(function(_, c) if not c then ended = true end end)
  tcp:write("GET / HTTP/1.1\r\n") -- never finishes its head
  H.waitFor(function() return ended end, "server closed the idle connection", 3000)
  tcp:close()
  srv.close()
  http.closeIdle()
end)

-- A WebSocket's handlers are the script's too: whatever they raise reaches rtc.onerror as
-- a string with the traceback (debug.traceback as the xpcall handler handed a table back
-- as it was, and onerror's own errors were swallowed by a bare pcall), and the socket
-- carries on.
test("ws handlers that raise tables, nil or in onerror are reported as strings", function()
  local reports = {}
  local saved = rtc.onerror
  rtc.onerror = function(msg) reports[#reports + 1] = msg end
  local n = 0
  local srv = assert(ws.listen({ port = 0, onconnection = function(s)
    s.onmessage = function(d)
      n = n + 1
      if d == "table" then error({ code = 1 }) end
      if d == "nil" then error() end
      s:send(d)
    end
  end }))
  local c = assert(ws.connect("ws://127.0.0.1:" .. srv.port .. "/"))
  c:send("table"); c:send("nil"); c:send("still here")
  eq(c:receive(3000), "still here", "the socket carries on")
  -- a protocol error makes the client fail; its onerror raises
  c.onerror = function() error({ from = "onerror" }) end
  c.onclose = function() error("onclose " .. "raised") end
  c:_fail(1002, "test failure")
  H.waitFor(function() return #reports >= 4 end, "four reports")
  rtc.onerror = saved
  eq(n, 3)
  local tables, nils, closes = 0, 0, 0
  for _, r in ipairs(reports) do
    ok(type(r) == "string" and r:find("traceback", 1, true), "a string with a traceback", tostring(r))
    if type(r) == "string" and r:find("table value", 1, true) then tables = tables + 1 end
    if type(r) == "string" and r:find("nil value", 1, true) then nils = nils + 1 end
    if type(r) == "string" and r:find("onclose raised", 1, true) then closes = closes + 1 end
  end
  eq(tables, 2, "onmessage's and onerror's tables")
  eq(nils, 1)
  eq(closes, 1)
  srv.close()
end)

H.run()
