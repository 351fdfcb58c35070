-- A luartc chat bot for a browser: serves index.html on http://127.0.0.1:PORT/
-- and answers the page's offer (POST /offer, JSON {type, sdp} -> answer).
-- Every message the page sends on its data channel gets a reply.
--
--   build/luartc examples/browser/server.lua [PORT]      (default 8080)
--   then open http://127.0.0.1:8080/ and press Connect.
--
-- Host candidates: LUARTC_GATHER_ADDRESSES if set, else 127.0.0.1 (the browser
-- runs on this machine). Ctrl-C stops it.
local rtc = require "rtc"
local uv = require "luv"
local cjson = require "cjson"

local port = tonumber(arg[1]) or 8080
local here = (arg[0]:match("^(.*)/[^/]*$") or ".")
local gather = {}
for a in (os.getenv("LUARTC_GATHER_ADDRESSES") or "127.0.0.1"):gmatch("[^,%s]+") do gather[#gather + 1] = a end

local function read_file(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

local sessions = {} -- pc -> true while open (the runtime keeps them alive anyway)

-- The bot: one peer connection per offer.
local function answer(offer, reply)
  local pc = rtc.RTCPeerConnection({ gatherAddresses = gather })
  sessions[pc] = true
  pc.onconnectionstatechange = function()
    print("session", tostring(pc):match("0x%x+") or "", pc.connectionState)
    if pc.connectionState == "failed" or pc.connectionState == "closed"
      or pc.connectionState == "disconnected" then
      sessions[pc] = nil
      if pc.connectionState ~= "closed" then pc:close() end
    end
  end
  pc.ondatachannel = function(e)
    local dc = e.channel
    -- as in browsers, open follows datachannel (readyState already reads "open")
    dc.onopen = function() dc:send("hello, I am a luartc bot: say something") end
    dc.onmessage = function(m)
      if m.binary then
        dc:send("(" .. #m.data .. " bytes of binary)")
      else
        dc:send("you said: " .. m.data)
      end
    end
  end
  local ok, err = pc:setRemoteDescription({ type = "offer", sdp = offer.sdp })
  if not ok then pc:close(); return reply(400, "bad offer: " .. tostring(err)) end
  local a
  a, err = pc:createAnswer()
  if a then ok, err = pc:setLocalDescription(a) end
  if not a or not ok then pc:close(); return reply(500, tostring(err)) end
  -- no trickle: the answer goes out once gathering is complete
  local t0 = uv.now()
  while pc.iceGatheringState ~= "complete" and uv.now() - t0 < 5000 do rtc.sleep(10) end
  local d = pc.localDescription
  reply(200, cjson.encode({ type = d.type, sdp = d.sdp }), "application/json")
end

-- A tiny HTTP/1.1 handler: one request per connection.
local function handle(client)
  local buf = ""
  local done = false
  local function reply(status, body, ctype)
    if done then return end
    done = true
    local reason = ({ [200] = "OK", [400] = "Bad Request", [404] = "Not Found", [405] = "Method Not Allowed",
      [500] = "Internal Server Error" })[status] or "Error"
    client:write(("HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n")
      :format(status, reason, ctype or "text/plain; charset=utf-8", #body) .. body)
    client:shutdown(function() client:close() end)
  end
  client:read_start(function(err, data)
    if err or not data then
      if not client:is_closing() then client:close() end
      return
    end
    buf = buf .. data
    local head_end = buf:find("\r\n\r\n", 1, true)
    if not head_end or done then
      if #buf > 1048576 then reply(400, "too big") end
      return
    end
    local method, path = buf:match("^(%u+) (%S+) HTTP/1%.%d\r\n")
    local len = tonumber(buf:sub(1, head_end):lower():match("\ncontent%-length:%s*(%d+)")) or 0
    local body = buf:sub(head_end + 4)
    if #body < len then return end
    client:read_stop()
    path = path and path:gsub("%?.*$", "")
    if method == "GET" and (path == "/" or path == "/index.html") then
      reply(200, read_file(here .. "/index.html"), "text/html; charset=utf-8")
    elseif path == "/offer" and method == "POST" then
      local ok, offer = pcall(cjson.decode, body)
      if not ok or type(offer) ~= "table" or type(offer.sdp) ~= "string" then
        return reply(400, "expected JSON {type, sdp}")
      end
      rtc.spawn(answer, offer, reply)
    elseif path == "/offer" then
      reply(405, "POST an offer")
    else
      reply(404, "not found")
    end
  end)
end

local server = uv.new_tcp()
assert(server:bind("127.0.0.1", port))
assert(server:listen(64, function(err)
  if err then return end
  local client = uv.new_tcp()
  server:accept(client)
  handle(client)
end))
print(("luartc chat bot on http://127.0.0.1:%d/"):format(port))
io.stdout:flush()

local sigint = uv.new_signal()
sigint:start("sigint", function()
  for pc in pairs(sessions) do pc:close() end
  os.exit(0)
end)
