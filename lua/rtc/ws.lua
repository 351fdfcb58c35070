-- WebSocket (RFC 6455) client and server on luv's loop: ws:// and wss://, text and
-- binary messages, fragmentation, ping/pong, close codes. No extensions (no
-- permessage-deflate): signaling messages are small.
--
--   local ws = require "rtc.ws"
--   local sock = ws.connect("wss://host/path", {protocols = {"x"}, tls = {ca = pem}})
--   sock.onmessage = function(data, binary) end   -- or sock:receive(timeout_ms)
--   sock:send("text"); sock:send(bytes, true); sock:sendJSON(t); sock:close(1000, "bye")
--   ws.listen{port = 0, path = "/ws", onconnection = function(sock, req) end}
local uv = require "luv"
local core = require "rtc.core"
local http = require "rtc.http"
-- a string with the traceback whatever the handler raised (debug.traceback keeps a table)
local handler_traceback = require("rtc.event_target").traceback

local band, bor, bxor, rshift, lshift = bit.band, bit.bor, bit.bxor, bit.rshift, bit.lshift
local char, byte, concat = string.char, string.byte, table.concat

local M = {}
M.maxMessage = 16 * 1024 * 1024
local GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11" -- RFC 6455 section 1.3

local ffi_ok, ffi = pcall(require, "ffi")

-- XOR with the 4-byte key (RFC 6455 5.3).
local function mask(data, key)
  local n = #data
  if n == 0 then return data end
  if ffi_ok then
    local buf = ffi.new("uint8_t[?]", n)
    ffi.copy(buf, data, n)
    local k = ffi.new("uint8_t[4]", byte(key, 1, 4))
    for i = 0, n - 1 do buf[i] = bxor(buf[i], k[band(i, 3)]) end
    return ffi.string(buf, n)
  end
  local k = { byte(key, 1, 4) }
  local out = {}
  for i = 1, n do out[i] = char(bxor(byte(data, i), k[band(i - 1, 3) + 1])) end
  return concat(out)
end

local function encode_frame(opcode, payload, masked, fin)
  local n = #payload
  local b1 = bor(fin == false and 0 or 0x80, opcode)
  local mbit = masked and 0x80 or 0
  local head
  if n < 126 then
    head = char(b1, bor(mbit, n))
  elseif n < 65536 then
    head = char(b1, bor(mbit, 126), rshift(n, 8), band(n, 255))
  else
    local hi = math.floor(n / 4294967296)
    local lo = n % 4294967296
    head = char(b1, bor(mbit, 127), 0, 0, rshift(hi, 8), band(hi, 255),
      band(rshift(lo, 24), 255), band(rshift(lo, 16), 255), band(rshift(lo, 8), 255), band(lo, 255))
  end
  if masked then
    local key = core.randomBytes(4)
    return head .. key .. mask(payload, key)
  end
  return head .. payload
end
M._encodeFrame = encode_frame

-- Strict UTF-8 (RFC 3629): no overlongs, no surrogates, nothing above U+10FFFF.
local function valid_utf8(s)
  if not s:find("[\128-\255]") then return true end
  local i, n = 1, #s
  while i <= n do
    local c = byte(s, i)
    if c < 0x80 then
      i = i + 1
    else
      local len, min
      if c >= 0xC2 and c <= 0xDF then len, min = 2, 0x80
      elseif c >= 0xE0 and c <= 0xEF then len, min = 3, 0x800
      elseif c >= 0xF0 and c <= 0xF4 then len, min = 4, 0x10000
      else return false end
      if i + len - 1 > n then return false end
      local cp = band(c, len == 2 and 0x1F or len == 3 and 0x0F or 0x07)
      for j = i + 1, i + len - 1 do
        local cc = byte(s, j)
        if band(cc, 0xC0) ~= 0x80 then return false end
        cp = bor(lshift(cp, 6), band(cc, 0x3F))
      end
      if cp < min or cp > 0x10FFFF or (cp >= 0xD800 and cp <= 0xDFFF) then return false end
      i = i + len
    end
  end
  return true
end
M._validUtf8 = valid_utf8

-- Close codes a peer may send (RFC 6455 7.4; 1004-1006 and 1015 never go on the wire).
local function valid_close_code(c)
  return (c >= 1000 and c <= 1003) or (c >= 1007 and c <= 1014) or (c >= 3000 and c <= 4999)
end

local Sock = {}
Sock.__index = Sock

local function new_sock(conn, is_client, protocol)
  local s = setmetatable({
    conn = conn, client = is_client, readyState = "open", protocol = protocol or "",
    buf = "", frags = nil, inbox = {}, waiters = {}, bufferedAmount = 0,
  }, Sock)
  return s
end

function Sock:_write(opcode, payload, fin)
  if self.readyState == "closed" then return nil, "closed" end
  return self.conn:write(encode_frame(opcode, payload, self.client, fin))
end

-- Sends a message: text unless binary is true. Returns true | nil, err.
function Sock:send(data, binary)
  if self.readyState ~= "open" then return nil, "not open (" .. self.readyState .. ")" end
  data = tostring(data)
  if not binary and not valid_utf8(data) then return nil, "text must be UTF-8 (send it as binary)" end
  return self:_write(binary and 2 or 1, data)
end

function Sock:sendJSON(t) return self:send(require("cjson").encode(t)) end

-- Sends a message as fragments of at most size bytes (for tests and big messages).
function Sock:sendFragmented(data, size, binary)
  if self.readyState ~= "open" then return nil, "not open" end
  local n = #data
  local pos, op = 1, binary and 2 or 1
  repeat
    local last = pos + size > n
    self:_write(op, data:sub(pos, pos + size - 1), last)
    op, pos = 0, pos + size
  until last
  return true
end

function Sock:ping(data) return self:_write(9, data or "") end

function Sock:_finish(code, reason, err)
  if self.readyState == "closed" then return end
  self.readyState = "closed"
  self.closeCode, self.closeReason = code or 1006, reason or ""
  if self.close_timer and not self.close_timer:is_closing() then self.close_timer:close() end
  self.conn:close()
  if err and self.onerror then
    local ok, e = xpcall(self.onerror, handler_traceback, err)
    if not ok then require("rtc")._report(e) end
  end
  local w = self.waiters
  self.waiters = {}
  for _, fn in ipairs(w) do fn(nil, "closed") end
  if self.onclose then
    local ok, e = xpcall(self.onclose, handler_traceback, self.closeCode, self.closeReason)
    if not ok then require("rtc")._report(e) end
  end
end

-- Starts the closing handshake (code default 1000). The socket is closed when the
-- peer answers, or after 2 s.
function Sock:close(code, reason)
  if self.readyState ~= "open" then return end
  code = code or 1000
  reason = reason or ""
  if #reason > 123 then reason = reason:sub(1, 123) end
  self:_write(8, char(rshift(code, 8), band(code, 255)) .. reason)
  self.readyState = "closing"
  self.sent_close = { code, reason }
  self.close_timer = uv.new_timer()
  self.close_timer:start(2000, 0, function() self:_finish(code, reason) end)
end

-- Fails the connection: sends a close with code and drops the stream (RFC 6455 7.1.7).
function Sock:_fail(code, why)
  if self.readyState == "closed" then return end
  if self.readyState == "open" then
    self:_write(8, char(rshift(code, 8), band(code, 255)) .. why:sub(1, 123))
  end
  self:_finish(code, why, why)
end

function Sock:_message(data, binary)
  if self.onmessage then
    local ok, e = xpcall(self.onmessage, handler_traceback, data, binary)
    if not ok then require("rtc")._report(e) end
    return
  end
  local w = table.remove(self.waiters, 1)
  if w then return w(data, binary) end
  self.inbox[#self.inbox + 1] = { data, binary }
end

-- Waits for the next message (in a coroutine, when no onmessage handler is set):
-- data, binary | nil, "closed" | nil, "timeout".
function Sock:receive(timeout_ms)
  local m = table.remove(self.inbox, 1)
  if m then return m[1], m[2] end
  if self.readyState == "closed" then return nil, "closed" end
  local rtc = require "rtc"
  return rtc.await(function(done)
    local timer
    local function fire(...)
      if timer then
        if not timer:is_closing() then timer:close() end
        for i, w in ipairs(self.waiters) do
          if w == fire then table.remove(self.waiters, i) break end
        end
      end
      done(...)
    end
    self.waiters[#self.waiters + 1] = fire
    if timeout_ms then
      timer = uv.new_timer()
      timer:start(timeout_ms, 0, function() fire(nil, "timeout") end)
    end
  end)
end

function Sock:receiveJSON(timeout_ms)
  local data, err = self:receive(timeout_ms)
  if not data then return nil, err end
  local ok, t = pcall(require("cjson").decode, data)
  if not ok then return nil, "bad JSON: " .. tostring(t) end
  return t
end

-- One frame at the head of self.buf, or nil when incomplete. Returns fin, opcode,
-- payload, or "error", code, why on a protocol error.
function Sock:_next_frame()
  local buf = self.buf
  if #buf < 2 then return nil end
  local b1, b2 = byte(buf, 1, 2)
  if band(b1, 0x70) ~= 0 then return "error", 1002, "reserved bits set" end
  local fin, op = band(b1, 0x80) ~= 0, band(b1, 0x0F)
  local masked, len = band(b2, 0x80) ~= 0, band(b2, 0x7F)
  local pos = 3
  if len == 126 then
    if #buf < 4 then return nil end
    local x, y = byte(buf, 3, 4)
    len, pos = x * 256 + y, 5
  elseif len == 127 then
    if #buf < 10 then return nil end
    local b = { byte(buf, 3, 10) }
    if b[1] >= 0x80 then return "error", 1002, "bad length" end
    len = 0
    for i = 1, 8 do len = len * 256 + b[i] end
    pos = 11
  end
  if masked ~= not self.client then
    return "error", 1002, self.client and "masked frame from a server" or "unmasked frame from a client"
  end
  if op >= 8 and (len > 125 or not fin) then return "error", 1002, "bad control frame" end
  if len > M.maxMessage then return "error", 1009, "message too big" end
  local key
  if masked then
    if #buf < pos + 3 then return nil end
    key = buf:sub(pos, pos + 3)
    pos = pos + 4
  end
  if #buf < pos + len - 1 then return nil end
  local payload = buf:sub(pos, pos + len - 1)
  self.buf = buf:sub(pos + len)
  if key then payload = mask(payload, key) end
  return fin, op, payload
end

function Sock:_input(chunk)
  self.buf = self.buf .. chunk
  while self.readyState ~= "closed" do
    local fin, op, payload = self:_next_frame()
    if fin == nil then return end
    if fin == "error" then return self:_fail(op, payload) end
    if op == 0 or op == 1 or op == 2 then
      if op == 0 and not self.frags then return self:_fail(1002, "continuation without a start") end
      if op ~= 0 and self.frags then return self:_fail(1002, "new message inside a fragmented one") end
      if op ~= 0 then self.frags = { op = op, n = 0 } end
      local f = self.frags
      f[#f + 1] = payload
      f.n = f.n + #payload
      if f.n > M.maxMessage then return self:_fail(1009, "message too big") end
      if fin then
        self.frags = nil
        local data = concat(f)
        if f.op == 1 and not valid_utf8(data) then return self:_fail(1007, "text is not UTF-8") end
        if self.readyState == "open" then self:_message(data, f.op == 2) end
      end
    elseif op == 8 then
      local code, reason = 1005, ""
      if #payload == 1 then return self:_fail(1002, "bad close frame") end
      if #payload >= 2 then
        code = byte(payload, 1) * 256 + byte(payload, 2)
        reason = payload:sub(3)
        if not valid_close_code(code) then return self:_fail(1002, "bad close code") end
        if not valid_utf8(reason) then return self:_fail(1007, "close reason is not UTF-8") end
      end
      if self.readyState == "open" then
        -- echo the code (RFC 6455 5.5.1), then the TCP connection ends
        self:_write(8, #payload >= 2 and char(byte(payload, 1, 2)) or "")
      end
      return self:_finish(code, reason)
    elseif op == 9 then
      if self.readyState == "open" then self:_write(10, payload) end
    elseif op == 10 then
      if self.onpong then pcall(self.onpong, payload) end
    else
      return self:_fail(1002, "unknown opcode " .. op)
    end
  end
end

function Sock:_start(rest)
  self.conn:ondata(function(chunk, err)
    if not chunk then return self:_finish(1006, "", err) end
    self:_input(chunk)
  end)
  if rest and #rest > 0 then self:_input(rest) end
end

---------------------------------------------------------------------------
-- Client.

-- ws.connect(url, opts[, cb]) -> sock | nil, err. opts: protocols {..}, headers,
-- tls {ca=, cafile=, verify=false}, timeout (ms), origin.
function M.connect(url, opts, cb)
  if type(opts) == "function" then opts, cb = nil, opts end
  opts = opts or {}
  return http._await(function(done)
    local u, err = http.parseUrl(url)
    if not u then return done(nil, err) end
    if u.scheme ~= "ws" and u.scheme ~= "wss" then return done(nil, "not a ws(s) URL: " .. url) end
    local key = core.base64(core.randomBytes(16))
    local headers = {
      Upgrade = "websocket", Connection = "Upgrade", ["Sec-WebSocket-Key"] = key,
      ["Sec-WebSocket-Version"] = "13",
    }
    if opts.protocols then headers["Sec-WebSocket-Protocol"] = table.concat(opts.protocols, ", ") end
    if opts.origin then headers.Origin = opts.origin end
    for k, v in pairs(opts.headers or {}) do headers[k] = v end
    local hu = (u.tls and "https" or "http") .. "://" .. (u.host:find(":", 1, true) and "[" .. u.host .. "]" or u.host) ..
      ":" .. u.port .. u.path
    http.request(hu, { headers = headers, tls = opts.tls, timeout = opts.timeout, fresh = true }, function(resp, rerr)
      if not resp then return done(nil, rerr) end
      if resp.status ~= 101 then return done(nil, "handshake: HTTP " .. resp.status) end
      local conn = resp.conn
      local h = resp.headers
      local want = core.base64(core.sha1(key .. GUID))
      if (h.upgrade or ""):lower() ~= "websocket" or not (h.connection or ""):lower():find("upgrade", 1, true)
        or h["sec-websocket-accept"] ~= want then
        conn:close()
        return done(nil, "handshake: bad Upgrade/Connection/Sec-WebSocket-Accept")
      end
      local proto = h["sec-websocket-protocol"]
      if proto then
        local offered = false
        for _, p in ipairs(opts.protocols or {}) do offered = offered or p == proto end
        if not offered then
          conn:close()
          return done(nil, "handshake: server chose a subprotocol we did not offer")
        end
      end
      if h["sec-websocket-extensions"] then
        conn:close()
        return done(nil, "handshake: server chose an extension we did not offer")
      end
      local s = new_sock(conn, true, proto)
      s.url = url
      s:_start(resp.rest)
      done(s)
    end)
  end, cb)
end

---------------------------------------------------------------------------
-- Server.

-- In an http handler: answers a WebSocket upgrade. opts.protocols: the subprotocols
-- we speak, in order of preference. Returns sock | nil, err (a 400/426 was sent).
function M.accept(req, res, opts)
  opts = opts or {}
  local h = req.headers
  local key = h["sec-websocket-key"]
  if req.method ~= "GET" or (h.upgrade or ""):lower() ~= "websocket" or
    not (h.connection or ""):lower():find("upgrade", 1, true) or not key then
    res:send(426, { ["Content-Type"] = "text/plain", Upgrade = "websocket" }, "WebSocket upgrade expected\n")
    return nil, "not a WebSocket upgrade"
  end
  if h["sec-websocket-version"] ~= "13" then
    res:send(426, { ["Sec-WebSocket-Version"] = "13" }, "")
    return nil, "unsupported WebSocket version"
  end
  local raw = key:gsub("=*$", "")
  if #key ~= 24 then
    res:send(400, { ["Content-Type"] = "text/plain" }, "bad Sec-WebSocket-Key\n")
    return nil, "bad key " .. raw
  end
  local proto
  if h["sec-websocket-protocol"] and opts.protocols then
    local asked = {}
    for p in h["sec-websocket-protocol"]:gmatch("[^,%s]+") do asked[p] = true end
    for _, p in ipairs(opts.protocols) do
      if asked[p] then proto = p break end
    end
  end
  local t = { "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n",
    "Sec-WebSocket-Accept: ", core.base64(core.sha1(key .. GUID)), "\r\n" }
  if proto then t[#t + 1] = "Sec-WebSocket-Protocol: " .. proto .. "\r\n" end
  t[#t + 1] = "\r\n"
  local conn, rest = res:upgrade()
  conn:write(concat(t))
  local s = new_sock(conn, false, proto)
  s.request = req
  s:_start(rest)
  return s
end

-- An HTTP server whose `path` (default: any) upgrades to WebSocket and calls
-- onconnection(sock, req) in a coroutine; other requests go to opts.handler (or 404).
-- opts: host, port, tls {cert=, key=}, path, protocols, onconnection, handler.
function M.listen(opts)
  assert(type(opts) == "table" and type(opts.onconnection) == "function", "ws.listen: {onconnection = fn} expected")
  return http.listen({
    host = opts.host, port = opts.port, tls = opts.tls, headers = opts.headers, idleTimeout = opts.idleTimeout,
    handler = function(req, res)
      if (opts.path == nil or req.path == opts.path) and req.headers.upgrade then
        local s = M.accept(req, res, opts)
        if s then opts.onconnection(s, req) end
        return
      end
      if opts.handler then return opts.handler(req, res) end
      res:send(404, { ["Content-Type"] = "text/plain" }, "not found\n")
    end,
  })
end

return M
