-- The answering side of order_test.lua's cross-process test (run by luartc as a child
-- process): connects to 127.0.0.1:<port>, applies each signaling message as it arrives
-- (pc1's callback form, early candidates not buffered), echoes "ping" with "pong", then
-- prints "ERRORS <n>" and exits.
local rtc = require "rtc"
local uv = require "luv"
local cjson = require "cjson"

local port = tonumber(arg[1])
local b = assert(rtc.RTCPeerConnection({ gatherAddresses = { "127.0.0.1" } }))
local errors = {}
local function check(what) return function(_, err) if err then errors[#errors + 1] = what .. ": " .. err end end end

local conn = uv.new_tcp()
local function send(t) conn:write(cjson.encode(t) .. "\n") end
local function finish()
  io.stdout:write("ERRORS ", #errors, " ", table.concat(errors, "; "), "\n")
  io.stdout:flush()
  local t = uv.new_timer()
  t:start(200, 0, function() rtc.exit(0) end)
end

b.onicecandidate = function(ev) send({ kind = "candidate", candidate = ev.candidate or cjson.null }) end
b.ondatachannel = function(ev)
  local ch = ev.channel
  ch.onmessage = function(m)
    ch:send(m.data == "ping" and "pong" or "?")
    finish()
  end
end

local function on_message(m)
  if m.kind == "offer" then
    b:setRemoteDescription({ type = "offer", sdp = m.sdp }, function(_, err)
      check("sRD")(nil, err)
      b:createAnswer(function(answer, err2)
        check("createAnswer")(nil, err2)
        b:setLocalDescription(answer, function(_, err3)
          check("sLD")(nil, err3)
          send({ kind = "answer", sdp = answer.sdp })
        end)
      end)
    end)
  elseif m.kind == "candidate" then
    local c = m.candidate
    if c == cjson.null then c = nil end
    b:addIceCandidate(c, check("addIceCandidate"))
  end
end

local buf = ""
conn:connect("127.0.0.1", port, function(err)
  assert(not err, err)
  conn:read_start(function(err2, chunk)
    if err2 or not chunk then return rtc.exit(0) end
    buf = buf .. chunk
    while true do
      local line, rest = buf:match("^([^\n]*)\n(.*)$")
      if not line then break end
      buf = rest
      on_message(cjson.decode(line))
    end
  end)
end)
-- never outlive the parent's test
local guard = uv.new_timer()
guard:start(20000, 0, function() rtc.exit(1) end)
guard:unref()
