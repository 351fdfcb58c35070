-- HTTP/1.1 for signaling (WHIP/WHEP, WebSocket upgrades, demo pages), on luv's loop.
-- Small Lua on purpose: the messages are few and small, and a head is parsed once per
-- request; see README "Dependencies" for why not libhttp-parser.
--
-- Client:  http.request(url, opts[, cb]) -> resp | nil, err   (in a coroutine without cb)
--   opts: method, headers {name = value}, body, tls {ca=, cafile=, verify=false},
--   timeout (ms, default 10000). resp: status, reason, headers (lower-case names), body.
--   Connections are kept alive and reused per scheme://host:port.
-- Server:  http.listen{host=, port=, tls = {cert=, key=}, idleTimeout = ms, handler = fn(req, res)}
--   req: method, target, path, query, headers, body, peer; res:send(status, headers, body)
--   The handler runs in a coroutine (it may wait); requests on a connection are
--   answered in order. res:upgrade() hands the raw stream over (WebSocket).
-- http.static(root) -> handler serving files under root (GET/HEAD).
local uv = require "luv"
local stream = require "rtc.stream"

local M = {}
local MAX_HEAD = 64 * 1024
M.maxBody = 8 * 1024 * 1024

local REASONS = {
  [101] = "Switching Protocols", [200] = "OK", [201] = "Created", [204] = "No Content",
  [304] = "Not Modified", [400] = "Bad Request", [401] = "Unauthorized", [403] = "Forbidden",
  [404] = "Not Found", [405] = "Method Not Allowed", [406] = "Not Acceptable", [409] = "Conflict",
  [412] = "Precondition Failed", [413] = "Content Too Large", [415] = "Unsupported Media Type",
  [422] = "Unprocessable Content", [426] = "Upgrade Required", [428] = "Precondition Required",
  [500] = "Internal Server Error", [501] = "Not Implemented", [503] = "Service Unavailable",
}
M.reasons = REASONS

---------------------------------------------------------------------------
-- URLs.

-- "wss://user@host:port/path?q" -> {scheme, host, port, path (with query), tls}
function M.parseUrl(url)
  local scheme, rest = url:match("^(%a[%w+.-]*)://(.*)$")
  if not scheme then return nil, "bad URL: " .. tostring(url) end
  scheme = scheme:lower()
  local authority, path = rest:match("^([^/?#]*)(.*)$")
  authority = authority:gsub("^.*@", "")
  local host, port = authority:match("^%[(.-)%]:?(%d*)$")
  if not host then host, port = authority:match("^([^:]*):?(%d*)$") end
  if not host or host == "" then return nil, "bad URL host: " .. url end
  local tls = scheme == "https" or scheme == "wss"
  if scheme ~= "http" and scheme ~= "https" and scheme ~= "ws" and scheme ~= "wss" then
    return nil, "unsupported scheme: " .. scheme
  end
  path = path:gsub("#.*$", "")
  if path == "" then path = "/" end
  if path:sub(1, 1) == "?" then path = "/" .. path end
  return { scheme = scheme, host = host, port = tonumber(port) or (tls and 443 or 80), path = path, tls = tls }
end

-- A reference (Location, Link) resolved against the URL it came from.
function M.resolve(base, ref)
  if ref:match("^%a[%w+.-]*://") then return ref end
  local b = assert(M.parseUrl(base))
  local origin = base:match("^(%a[%w+.-]*://[^/?#]*)")
  if ref:sub(1, 2) == "//" then return b.scheme .. ":" .. ref end
  if ref:sub(1, 1) == "/" then return origin .. ref end
  local dir = b.path:gsub("%?.*$", ""):match("^(.*/)") or "/"
  return origin .. dir .. ref
end

---------------------------------------------------------------------------
-- Parsing (requests and responses), incremental.

local function parse_head(head, kind)
  local first, rest = head:match("^([^\r\n]*)\r?\n(.*)$")
  if not first then first, rest = head, "" end
  local m = { headers = {} }
  if kind == "request" then
    m.method, m.target, m.version = first:match("^(%u+) (%S+) HTTP/(1%.%d)$")
    if not m.method then return nil, "bad request line" end
    m.path, m.query = m.target:match("^([^?]*)%??(.*)$")
  else
    local code
    m.version, code, m.reason = first:match("^HTTP/(1%.%d) (%d%d%d) ?(.*)$")
    if not m.version then return nil, "bad status line" end
    m.status = tonumber(code)
  end
  for line in rest:gmatch("([^\r\n]*)\r?\n?") do
    if line ~= "" then
      if line:match("^[ \t]") then return nil, "obsolete header folding" end
      local name, value = line:match("^([!#$%%&'*+%-.^_`|~%w]+):[ \t]*(.-)[ \t]*$")
      if not name then return nil, "bad header line" end
      name = name:lower()
      local old = m.headers[name]
      m.headers[name] = old and (old .. ", " .. value) or value
    end
  end
  return m
end
M._parseHead = parse_head

-- A parser: p:feed(chunk) -> list of complete messages | nil, err; p:finish() at the
-- end of the stream (a response without length ends there). kind: "request"|"response".
function M.parser(kind, maxBody)
  local buf, state, msg, need, parts = "", "head", nil, 0, nil
  local p = { nobody = false } -- set nobody before a response to HEAD
  maxBody = maxBody or M.maxBody
  local function body_start(out)
    local h = msg.headers
    if kind == "response" and (p.nobody or msg.status < 200 or msg.status == 204 or msg.status == 304) then
      msg.body = ""
      out[#out + 1] = msg
      state = "head"
      return true
    end
    if h["transfer-encoding"] then
      if not h["transfer-encoding"]:lower():match("chunked%s*$") then return nil, "unsupported transfer-encoding" end
      state, parts = "chunksize", {}
      return true
    end
    local cl = h["content-length"]
    if cl then
      if not cl:match("^%d+$") then return nil, "bad content-length" end
      need = tonumber(cl)
      if need > maxBody then return nil, "body too large" end
      state = "body"
      return true
    end
    if kind == "request" or msg.status == 101 then
      msg.body = ""
      out[#out + 1] = msg
      state = "head"
      return true
    end
    state, parts = "untilclose", {}
    return true
  end
  function p.feed(chunk)
    buf = buf .. chunk
    local out = {}
    while true do
      if state == "head" then
        if kind == "request" then buf = buf:gsub("^\r?\n", "") end -- RFC 9112 2.2: leading CRLFs
        local e = buf:find("\r\n\r\n", 1, true)
        if not e then
          if #buf > MAX_HEAD then return nil, "header too large" end
          break
        end
        local err
        msg, err = parse_head(buf:sub(1, e - 1), kind)
        if not msg then return nil, err end
        buf = buf:sub(e + 4)
        local ok, berr = body_start(out)
        if not ok then return nil, berr end
        if msg.status == 101 and state == "head" then
          msg.rest = buf -- bytes after the head belong to the new protocol
          buf = ""
          break
        end
      elseif state == "body" then
        if #buf < need then break end
        msg.body = buf:sub(1, need)
        buf = buf:sub(need + 1)
        out[#out + 1] = msg
        state = "head"
      elseif state == "chunksize" then
        local e = buf:find("\r\n", 1, true)
        if not e then
          if #buf > 1024 then return nil, "bad chunk size" end
          break
        end
        local hex = buf:sub(1, e - 1):match("^(%x+)[ \t]*;?.*$")
        if not hex or #hex > 8 then return nil, "bad chunk size" end
        need = tonumber(hex, 16)
        buf = buf:sub(e + 2)
        state = need == 0 and "trailer" or "chunk"
      elseif state == "chunk" then
        if #buf < need + 2 then break end
        if buf:sub(need + 1, need + 2) ~= "\r\n" then return nil, "bad chunk end" end
        parts[#parts + 1] = buf:sub(1, need)
        buf = buf:sub(need + 3)
        parts.n = (parts.n or 0) + need
        if parts.n > maxBody then return nil, "body too large" end
        state = "chunksize"
      elseif state == "trailer" then
        local e = buf:find("\r\n", 1, true)
        if not e then break end
        local line = buf:sub(1, e - 1)
        buf = buf:sub(e + 2)
        if line == "" then
          msg.body = table.concat(parts)
          out[#out + 1] = msg
          state = "head"
        end
      elseif state == "untilclose" then
        parts[#parts + 1] = buf
        buf = ""
        break
      end
    end
    return out
  end
  function p.finish()
    if state == "untilclose" then
      msg.body = table.concat(parts)
      state = "head"
      return msg
    end
    return nil, state == "head" and #buf == 0 and "closed" or "connection closed mid-message"
  end
  function p.idle() return state == "head" and #buf == 0 end
  return p
end

local function serialize_headers(t, headers)
  for k, v in pairs(headers or {}) do
    if type(v) == "table" then
      for _, one in ipairs(v) do t[#t + 1] = k .. ": " .. tostring(one) .. "\r\n" end
    else
      t[#t + 1] = k .. ": " .. tostring(v) .. "\r\n"
    end
  end
end

local function has_header(headers, name)
  name = name:lower()
  for k in pairs(headers or {}) do
    if k:lower() == name then return true end
  end
  return false
end

---------------------------------------------------------------------------
-- Client.

local pool = {} -- "host:port:tls" -> { idle conns }

local function pool_key(u) return u.host .. ":" .. u.port .. (u.tls and ":tls" or "") end

local function pool_get(u)
  local list = pool[pool_key(u)]
  while list and #list > 0 do
    local c = table.remove(list)
    if not c.closed then return c end
  end
end

local function pool_put(u, c)
  local key = pool_key(u)
  pool[key] = pool[key] or {}
  local list = pool[key]
  if #list >= 8 then return c:close() end
  list[#list + 1] = c
  -- an idle connection that the server closes just drops out of the pool
  c:ondata(function(chunk)
    if chunk then c:close() end
  end)
end

-- Closes idle kept-alive connections (lets a script's loop end).
function M.closeIdle()
  for k, list in pairs(pool) do
    for _, c in ipairs(list) do c:close() end
    pool[k] = nil
  end
end

local function do_request(u, opts, cb)
  local method = (opts.method or "GET"):upper()
  local t = { method, " ", u.path, " HTTP/1.1\r\n" }
  local headers = opts.headers or {}
  if not has_header(headers, "host") then
    local default = (u.tls and 443 or 80) == u.port
    local h = u.host:find(":", 1, true) and ("[" .. u.host .. "]") or u.host
    t[#t + 1] = "Host: " .. h .. (default and "" or (":" .. u.port)) .. "\r\n"
  end
  serialize_headers(t, headers)
  local body = opts.body
  if body or method == "POST" or method == "PUT" or method == "PATCH" then
    t[#t + 1] = "Content-Length: " .. #(body or "") .. "\r\n"
  end
  t[#t + 1] = "\r\n"
  local data = table.concat(t) .. (body or "")
  local timeout = opts.timeout or 10000

  local function attempt(conn, reused)
    local done = false
    local parser = M.parser("response")
    parser.nobody = method == "HEAD"
    local timer = uv.new_timer()
    local function finish(resp, err)
      if done then return end
      done = true
      if not timer:is_closing() then timer:close() end
      if resp then
        local connh = (resp.headers.connection or ""):lower()
        if resp.status ~= 101 and not connh:find("close", 1, true) and resp.version == "1.1" and parser.idle() then
          pool_put(u, conn)
        elseif resp.status ~= 101 then
          conn:close()
        end
        resp.conn = resp.status == 101 and conn or nil
        return cb(resp)
      end
      conn:close()
      cb(nil, err)
    end
    timer:start(timeout, 0, function() finish(nil, "timeout") end)
    local got_any = false
    conn:ondata(function(chunk, err)
      if done then return end
      if not chunk then
        if not got_any and reused then
          -- the server closed a kept-alive connection: once more on a new one
          done = true
          if not timer:is_closing() then timer:close() end
          return M._connect(u, opts, function(c2, e2)
            if not c2 then return cb(nil, e2) end
            attempt(c2, false)
          end)
        end
        local m, perr = parser.finish()
        return finish(m, m and nil or (err or perr))
      end
      got_any = true
      local msgs, perr = parser.feed(chunk)
      if not msgs then return finish(nil, perr) end
      if msgs[1] then
        if msgs[1].status == 101 then conn:ondata(nil) end
        finish(msgs[1])
      end
    end)
    local ok, werr = conn:write(data)
    if not ok then finish(nil, werr) end
  end

  local conn = (not opts.fresh) and pool_get(u)
  if conn then return attempt(conn, true) end
  M._connect(u, opts, function(c, err)
    if not c then return cb(nil, err) end
    attempt(c, false)
  end)
end

function M._connect(u, opts, cb)
  stream.connect(u.host, u.port, { tls = u.tls and (opts.tls or true) or nil }, cb)
end

local function await(start, cb)
  if cb then return start(cb) end
  return require("rtc").await(start)
end
M._await = await

function M.request(url, opts, cb)
  if type(opts) == "function" then opts, cb = nil, opts end
  opts = opts or {}
  local u, err = M.parseUrl(url)
  return await(function(done)
    if not u then return done(nil, err) end
    if u.scheme ~= "http" and u.scheme ~= "https" then return done(nil, "not an http(s) URL: " .. url) end
    do_request(u, opts, done)
  end, cb)
end

---------------------------------------------------------------------------
-- Server.

local Res = {}
Res.__index = Res

-- Sends the response: status, headers {name = value or {values}}, body string.
function Res:send(status, headers, body)
  if self.sent then return nil, "already sent" end
  self.sent = true
  body = body or ""
  headers = headers or {}
  local t = { "HTTP/1.1 ", tostring(status), " ", REASONS[status] or "Status", "\r\n" }
  serialize_headers(t, self.extra)
  serialize_headers(t, headers)
  if status >= 200 and status ~= 204 and status ~= 304 and not has_header(headers, "content-length") then
    t[#t + 1] = "Content-Length: " .. #body .. "\r\n"
  end
  if self.close_after then t[#t + 1] = "Connection: close\r\n" end
  t[#t + 1] = "\r\n"
  if self.req.method ~= "HEAD" then t[#t + 1] = body end
  self.conn:write(table.concat(t))
  if self.close_after then self.conn:close() end
  self._done()
  return true
end

-- Takes the connection over (after a 101 written by the caller); returns it and the
-- bytes that came after the request.
function Res:upgrade()
  self.sent = true
  self.upgraded = true
  self.conn:ondata(nil)
  self._done()
  return self.conn, self.rest or ""
end

local function serve_conn(conn, opts)
  local parser = M.parser("request", opts.maxBody)
  local queue, busy = {}, false
  -- A connection with no request in progress is closed after idleTimeout ms (default
  -- 30 s): idle keep-alive sockets and clients that never finish a head do not pile up.
  local idle = uv.new_timer()
  local function arm()
    if idle:is_closing() then return end
    idle:stop()
    if not busy and not conn.closed then
      idle:start(opts.idleTimeout or 30000, 0, function()
        if not busy then conn:close() end
        if not idle:is_closing() then idle:close() end
      end)
    end
  end
  local function next_req()
    if busy or #queue == 0 or conn.closed then return end
    busy = true
    if not idle:is_closing() then idle:stop() end
    local req = table.remove(queue, 1)
    local res = setmetatable({ conn = conn, req = req, extra = opts.headers, rest = req.rest }, Res)
    local connh = (req.headers.connection or ""):lower()
    res.close_after = req.version == "1.0" and not connh:find("keep-alive", 1, true) or connh:find("close", 1, true) ~= nil
    res._done = function()
      busy = false
      if res.upgraded then
        if not idle:is_closing() then idle:close() end
        return
      end
      arm()
      next_req()
    end
    require("rtc").spawn(function()
      local ok, err = xpcall(opts.handler, require("rtc.event_target").traceback, req, res)
      if not ok then
        require("rtc")._report(err)
        if not res.sent then res:send(500, { ["Content-Type"] = "text/plain" }, "internal error\n") end
      elseif not res.sent then
        res:send(404, { ["Content-Type"] = "text/plain" }, "not found\n")
      end
    end)
  end
  arm()
  conn:ondata(function(chunk)
    if not chunk then
      if not idle:is_closing() then idle:close() end
      return
    end
    local msgs, err = parser.feed(chunk)
    if not msgs then
      conn:write("HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: " .. (#err + 1) ..
        "\r\nConnection: close\r\n\r\n" .. err .. "\n")
      return conn:close()
    end
    for _, m in ipairs(msgs) do
      m.peer = conn.peer
      queue[#queue + 1] = m
    end
    next_req()
  end)
end

function M.listen(opts)
  assert(type(opts) == "table" and type(opts.handler) == "function", "http.listen: {handler = fn} expected")
  return stream.listen(opts.host, opts.port, { tls = opts.tls, onerror = opts.onerror }, function(conn)
    serve_conn(conn, opts)
  end)
end

---------------------------------------------------------------------------
-- Static files.

local MIME = {
  html = "text/html; charset=utf-8", js = "text/javascript", mjs = "text/javascript",
  css = "text/css", json = "application/json", txt = "text/plain; charset=utf-8",
  svg = "image/svg+xml", png = "image/png", ico = "image/x-icon", wasm = "application/wasm",
}

-- A handler serving the files under root; returns false (sends nothing) for
-- anything else, so it can be chained: `if not static(req, res) then ... end`.
function M.static(root)
  return function(req, res)
    if req.method ~= "GET" and req.method ~= "HEAD" then return false end
    local path = req.path:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end)
    if path:find("..", 1, true) or path:find("\0", 1, true) then return false end
    if path:sub(-1) == "/" then path = path .. "index.html" end
    local f = io.open(root .. path, "rb")
    if not f then return false end
    local data = f:read("*a")
    f:close()
    if not data then return false end -- a directory
    local ext = path:match("%.(%w+)$") or ""
    res:send(200, { ["Content-Type"] = MIME[ext:lower()] or "application/octet-stream" }, data)
    return true
  end
end

return M
