-- Helpers for the signaling tests: the harness of tests/lua, a throwaway certificate
-- (openssl CLI: an independent issuer), and child processes read as JSON lines.
local here = (arg[0]:match("^(.*)/") or ".")
local H = dofile(here .. "/../lua/harness.lua")
local uv, rtc = H.uv, H.rtc
local cjson = require "cjson"

H.here = here

local function read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end
H.read = read

-- A self-signed P-256 certificate for localhost and 127.0.0.1: {cert=, key=, certFile=, keyFile=}.
function H.makeCert()
  local dir = os.tmpname()
  os.remove(dir)
  assert(os.execute("mkdir -p " .. dir) == 0 or true)
  local cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost " ..
    "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -days 2 -keyout " .. dir .. "/key.pem -out " ..
    dir .. "/cert.pem 2>/dev/null"
  os.execute(cmd)
  return { cert = read(dir .. "/cert.pem"), key = read(dir .. "/key.pem"), certFile = dir .. "/cert.pem",
    keyFile = dir .. "/key.pem", dir = dir }
end

-- Starts a child; returns {lines = {decoded JSON...}, raw = {..}, exited = code|nil, kill()}.
function H.spawn(cmd, args, opts)
  opts = opts or {}
  local stdout, stderr = uv.new_pipe(false), uv.new_pipe(false)
  local p = { lines = {}, raw = {}, err = {} }
  -- exited is set once the process ended AND both pipes reached EOF: libuv may call the
  -- exit callback before the last stdout bytes are read (a child done in 100 ms lost its
  -- summary line that way).
  local pending, code_seen = 3, nil
  local function one_done()
    pending = pending - 1
    if pending == 0 then p.exited = code_seen end
  end
  local handle, pid = uv.spawn(cmd, { args = args, stdio = { nil, stdout, stderr }, cwd = opts.cwd, env = opts.env },
    function(code)
      code_seen = code
      p.ended = true
      one_done()
    end)
  assert(handle, "spawn " .. cmd .. ": " .. tostring(pid))
  p.handle = handle
  local buf = ""
  stdout:read_start(function(err, chunk)
    if not chunk then
      stdout:close()
      return one_done()
    end
    buf = buf .. chunk
    while true do
      local line, rest = buf:match("^([^\n]*)\n(.*)$")
      if not line then break end
      buf = rest
      p.raw[#p.raw + 1] = line
      local ok, t = pcall(cjson.decode, line)
      if ok and type(t) == "table" then p.lines[#p.lines + 1] = t end
    end
  end)
  stderr:read_start(function(err, chunk)
    if not chunk then
      stderr:close()
      return one_done()
    end
    p.err[#p.err + 1] = chunk
    if os.getenv("SIG_VERBOSE") then io.stderr:write(chunk) end
  end)
  function p.kill()
    if not p.ended and not handle:is_closing() then pcall(handle.kill, handle, "sigterm") end
  end
  function p.stderr() return table.concat(p.err) end
  -- the first decoded line with field k (waits for it)
  function p.waitField(k, timeout)
    local found
    H.waitFor(function()
      for _, l in ipairs(p.lines) do
        if l[k] ~= nil then found = l return true end
      end
      return p.exited ~= nil
    end, "child line with " .. k, timeout or 10000)
    if not found then error("child exited (" .. tostring(p.exited) .. "): " .. p.stderr()) end
    return found
  end
  return p
end

return H
