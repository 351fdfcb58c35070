-- echo-bot.lua: answers WebRTC offers that arrive over WebSocket signaling and echoes
-- every data channel message back.
--
--   build/luartc examples/echo-bot.lua [--port 8765] [--host 127.0.0.1]
--       listens on ws://HOST:PORT/ (one peer connection per WebSocket)
--   build/luartc examples/echo-bot.lua --connect ws://signaling.example/room
--       connects to a signaling server instead, answers the offers it relays
--   --tls-cert cert.pem --tls-key key.pem   serve wss:// instead of ws://
--
-- Signaling messages are JSON text frames:
--   {"type": "offer"|"answer", "sdp": "..."}
--   {"type": "candidate", "candidate": {"candidate": "...", "sdpMid": "0", "sdpMLineIndex": 0}}
--   ("candidate": null at the end of candidates). The bot trickles its own candidates.
-- Host candidates: LUARTC_GATHER_ADDRESSES (default: every interface).
local rtc = require "rtc"
local cjson = require "cjson"
local ws = rtc.ws

local opts = { port = 8765, host = "127.0.0.1" }
local i = 1
while arg[i] do
  local k, v = arg[i]:match("^%-%-([%w-]+)$"), arg[i + 1]
  if not k or not v then
    io.stderr:write("usage: echo-bot.lua [--port N] [--host H] [--connect URL] [--tls-cert F --tls-key F]\n")
    os.exit(2)
  end
  opts[k] = v
  i = i + 2
end

local function read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

local stats = { sessions = 0, messages = 0 }

-- One signaling connection: each offer on it gets a fresh peer connection.
local function serve(sock)
  local pc, pending = nil, {}
  local function send(t) sock:sendJSON(t) end
  local function hangup()
    if pc and pc.signalingState ~= "closed" then pc:close() end
  end
  sock.onclose = hangup
  sock.onmessage = function(data)
    local ok, m = pcall(cjson.decode, data)
    if not ok or type(m) ~= "table" then return sock:close(1003, "JSON expected") end
    if m.type == "offer" then
      hangup()
      pc = assert(rtc.RTCPeerConnection({}))
      stats.sessions = stats.sessions + 1
      pc.onicecandidate = function(ev) send({ type = "candidate", candidate = ev.candidate or cjson.null }) end
      pc.ondatachannel = function(ev)
        local ch = ev.channel
        ch.onmessage = function(msg)
          stats.messages = stats.messages + 1
          ch:send(msg.data, msg.binary and "binary" or nil)
        end
      end
      pc.onconnectionstatechange = function()
        io.stderr:write("echo-bot: session ", tostring(pc.id), " ", pc.connectionState, "\n")
        if pc.connectionState == "failed" then hangup() end
      end
      rtc.spawn(function()
        local done, err = pc:setRemoteDescription({ type = "offer", sdp = m.sdp })
        if not done and err then return sock:close(1008, "bad offer") end
        for _, c in ipairs(pending) do pc:addIceCandidate(c) end
        pending = {}
        assert(pc:setLocalDescription())
        send({ type = "answer", sdp = pc.localDescription.sdp })
      end)
    elseif m.type == "candidate" then
      local c = m.candidate ~= cjson.null and m.candidate or nil
      if pc and pc.remoteDescription then
        pc:addIceCandidate(c)
      else
        pending[#pending + 1] = c
      end
    elseif m.type == "bye" then
      hangup()
    end
  end
end

if opts.connect then
  rtc.spawn(function()
    local sock, err = ws.connect(opts.connect, { tls = opts["tls-ca"] and { cafile = opts["tls-ca"] } or nil })
    if not sock then
      io.stderr:write("echo-bot: ", err, "\n")
      os.exit(1)
    end
    print("echo-bot: connected to " .. opts.connect)
    io.stdout:flush()
    serve(sock)
  end)
else
  local tls
  if opts["tls-cert"] then tls = { cert = read(opts["tls-cert"]), key = read(opts["tls-key"]) } end
  local server = assert(ws.listen({
    host = opts.host, port = tonumber(opts.port), tls = tls,
    onconnection = function(sock) serve(sock) end,
  }))
  print(string.format("echo-bot: listening on %s://%s:%d/", tls and "wss" or "ws", opts.host, server.port))
  io.stdout:flush()
end
