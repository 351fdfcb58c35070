-- Byte streams for signaling: a luv TCP connection, optionally wrapped in TLS (the
-- sans-IO runtime/tls stream over mbedTLS: luv has TCP but no TLS). Used by
-- rtc.http and rtc.ws; a script rarely needs it directly.
--
--   stream.connect(host, port, opts, cb)   cb(conn) or cb(nil, err); opts.tls = true
--       (or a table {ca=PEM, cafile=path, verify=false, servername=...}) for TLS
--   stream.listen(host, port, opts, onconn) -> server {port=, close()} | nil, err;
--       opts.tls = {cert=PEM, key=PEM}
--   conn:write(s)  conn:ondata(fn)  fn(chunk) per chunk, fn(nil, err) once at the end
--   conn:close()   conn.peer = "ip:port"
local uv = require "luv"
local core = require "rtc.core"

local M = {}

-- TLS configs are shared (parsing the system CA bundle once per process).
local client_configs = setmetatable({}, { __mode = "v" })

local function client_config(t)
  if type(t) ~= "table" then t = {} end
  if t.config then return t.config end
  local key = (t.verify == false and "noverify") or ("ca:" .. (t.ca or "") .. "|" .. (t.cafile or ""))
  local cfg = client_configs[key]
  if cfg then return cfg end
  local err
  cfg, err = core.tlsConfig({ verify = t.verify, ca = t.ca, cafile = t.cafile })
  if not cfg then return nil, err end
  client_configs[key] = cfg
  return cfg
end
M.clientConfig = client_config

local Conn = {}
Conn.__index = Conn

local function new_conn(tcp, tls)
  local c = setmetatable({ tcp = tcp, tls = tls, pending = {}, closed = false }, Conn)
  local ok, name = pcall(tcp.getpeername, tcp)
  if ok and type(name) == "table" then c.peer = name.ip .. ":" .. tostring(name.port) end
  return c
end

function Conn:_flush_tls()
  local out = self.tls:output()
  if out and not self.closed then self.tcp:write(out) end
end

function Conn:_deliver(chunk, err)
  if self.ended then return end
  if chunk == nil then self.ended = true end
  if self.on then
    self.on(chunk, err)
  elseif chunk then
    self.pending[#self.pending + 1] = chunk
  else
    self.pending_end = err or "closed"
  end
end

-- fn(chunk) for each chunk of plaintext, fn(nil, err) once when the stream ends.
function Conn:ondata(fn)
  self.on = fn
  local p = self.pending
  self.pending = {}
  for i = 1, #p do
    if self.on ~= fn then break end
    fn(p[i])
  end
  if self.pending_end then
    local e = self.pending_end
    self.pending_end = nil
    fn(nil, e ~= "closed" and e or nil)
  end
end

function Conn:write(s)
  if self.closed then return nil, "closed" end
  if self.tls then
    local ok, err = self.tls:write(s)
    if not ok then return nil, err end
    self:_flush_tls()
    return true
  end
  self.tcp:write(s)
  return true
end

function Conn:close()
  if self.closed then return end
  if self.tls then
    pcall(function()
      self.tls:closeNotify()
      self:_flush_tls()
    end)
  end
  self.closed = true
  local tcp = self.tcp
  if not tcp:is_closing() then
    -- shutdown lets queued writes go out before the close
    local ok = pcall(tcp.shutdown, tcp, function() if not tcp:is_closing() then tcp:close() end end)
    if not ok and not tcp:is_closing() then tcp:close() end
  end
  self:_deliver(nil)
end

-- Starts reading; onready(conn) once the stream carries plaintext (after the TLS
-- handshake), onfail(err) when it dies first.
local function start(c, onready, onfail)
  local ready = c.tls == nil
  if ready then onready(c) end
  c.tcp:read_start(function(err, chunk)
    if err or not chunk then
      if not ready then
        c.closed = true
        if not c.tcp:is_closing() then c.tcp:close() end
        return onfail(err or "connection closed during the TLS handshake")
      end
      if not c.tcp:is_closing() then c.tcp:close() end
      c.closed = true
      return c:_deliver(nil, err)
    end
    if not c.tls then return c:_deliver(chunk) end
    local plain, peer_closed = c.tls:input(chunk)
    if not plain then
      c:_flush_tls()
      c.closed = true
      if not c.tcp:is_closing() then c.tcp:close() end
      if not ready then return onfail(peer_closed) end
      return c:_deliver(nil, peer_closed)
    end
    c:_flush_tls()
    if not ready and c.tls:established() then
      ready = true
      onready(c)
    end
    if #plain > 0 then c:_deliver(plain) end
    if peer_closed then c:close() end
  end)
end

local function is_ip(host) return host:match("^%d+%.%d+%.%d+%.%d+$") or host:find(":", 1, true) end

function M.connect(host, port, opts, cb)
  opts = opts or {}
  local cfg, err
  if opts.tls then
    cfg, err = client_config(opts.tls)
    if not cfg then return cb(nil, err) end
  end
  local function go(ip)
    local tcp = uv.new_tcp()
    tcp:connect(ip, port, function(cerr)
      if cerr then
        tcp:close()
        return cb(nil, "connect " .. host .. ":" .. port .. ": " .. cerr)
      end
      tcp:nodelay(true)
      local tls
      if cfg then
        local name = type(opts.tls) == "table" and opts.tls.servername or host
        local terr
        tls, terr = core.tlsStream(cfg, name)
        if not tls then
          tcp:close()
          return cb(nil, terr)
        end
      end
      local c = new_conn(tcp, tls)
      if tls then c:_flush_tls() end
      start(c, function(conn) cb(conn) end, function(e) cb(nil, e) end)
    end)
  end
  if is_ip(host) then return go(host) end
  uv.getaddrinfo(host, nil, { socktype = "stream" }, function(gerr, res)
    if gerr or not res or not res[1] then return cb(nil, "resolve " .. host .. ": " .. tostring(gerr)) end
    go(res[1].addr)
  end)
end

function M.listen(host, port, opts, onconn)
  opts = opts or {}
  local cfg, err
  if opts.tls then
    cfg, err = core.tlsConfig({ server = true, cert = opts.tls.cert, key = opts.tls.key })
    if not cfg then return nil, err end
  end
  local server = uv.new_tcp()
  local ok, berr = server:bind(host or "127.0.0.1", port or 0)
  if not ok then
    server:close()
    return nil, berr
  end
  local lok, lerr = server:listen(opts.backlog or 128, function(e)
    if e then return end
    local tcp = uv.new_tcp()
    if not pcall(server.accept, server, tcp) then return tcp:close() end
    tcp:nodelay(true)
    local tls
    if cfg then tls = core.tlsStream(cfg) end
    local c = new_conn(tcp, tls)
    start(c, onconn, function(e2)
      if opts.onerror then opts.onerror(e2) end
    end)
  end)
  if not lok then
    server:close()
    return nil, lerr
  end
  local s = { tcp = server, port = server:getsockname().port, host = host or "127.0.0.1" }
  function s.close()
    if not server:is_closing() then server:close() end
  end
  return s
end

return M
