-- A script doing its own I/O with luv on the same loop: the SDP and the candidates
-- travel over a luv TCP connection on 127.0.0.1 (newline-delimited JSON), a luv
-- timer drives the traffic on the data channel.
local H = dofile((arg[0]:match("^(.*)/") or ".") .. "/harness.lua")
local rtc, uv = H.rtc, H.uv
local cjson = require "cjson"
local test, eq, ok = H.test, H.eq, H.ok

-- Calls onmsg(table) for each JSON line read from stream.
local function read_lines(stream, onmsg)
  local buf = ""
  stream:read_start(function(err, chunk)
    assert(not err, err)
    if not chunk then return end
    buf = buf .. chunk
    while true do
      local line, rest = buf:match("^([^\n]*)\n(.*)$")
      if not line then break end
      buf = rest
      onmsg(cjson.decode(line))
    end
  end)
end

local function writer(stream)
  return function(t) stream:write(cjson.encode(t) .. "\n") end
end

-- Candidates that arrive before the remote description wait for it.
local function add_candidate(pc, pending, c)
  if pc.remoteDescription == nil then
    pending[#pending + 1] = c
    return
  end
  assert(pc:addIceCandidate(c))
end

local function flush_candidates(pc, pending)
  for i = 1, #pending do assert(pc:addIceCandidate(pending[i])) end
  for i = #pending, 1, -1 do pending[i] = nil end
end

-- One side of the signaling: applies what arrives, sends what the pc produces.
local function wire(pc, stream, answerer)
  local send = writer(stream)
  pc.onicecandidate = function(ev)
    send({ kind = "candidate", candidate = ev.candidate or cjson.null })
  end
  local pending = {}
  read_lines(stream, function(m)
    if m.kind == "candidate" then
      local c = m.candidate
      if c == cjson.null then c = nil end
      add_candidate(pc, pending, c)
    elseif m.kind == "description" then
      -- the callback style, from a luv read callback (not a coroutine)
      pc:setRemoteDescription({ type = m.type, sdp = m.sdp }, function(_, err)
        assert(not err, err)
        flush_candidates(pc, pending)
        if answerer then
          pc:setLocalDescription(nil, function(_, err2)
            assert(not err2, err2)
            local d = pc.localDescription
            send({ kind = "description", type = d.type, sdp = d.sdp })
          end)
        end
      end)
    end
  end)
  return send
end

test("SDP and candidates over a luv TCP connection, a luv timer drives the channel", function()
  local server = uv.new_tcp()
  assert(server:bind("127.0.0.1", 0))
  local port = server:getsockname().port
  local a, b = H.pc(), H.pc()
  local conns = {}
  server:listen(8, function(err)
    assert(not err, err)
    local c = uv.new_tcp()
    server:accept(c)
    conns[#conns + 1] = c
    wire(b, c, true)
  end)
  local client = uv.new_tcp()
  conns[#conns + 1] = client
  local echoes, ticks = 0, 0
  b.ondatachannel = function(ev)
    local ch = ev.channel
    ch.onmessage = function(m) ch:send("echo " .. m.data) end
  end
  local da = a:createDataChannel("over-tcp")
  da.onmessage = function(m)
    ok(m.data:match("^echo tick %d+$"), "echo form", m.data)
    echoes = echoes + 1
  end
  local timer = uv.new_timer()
  timer:start(5, 5, function()
    if da.readyState == "open" and ticks < 20 then
      ticks = ticks + 1
      da:send("tick " .. ticks)
    end
  end)
  client:connect("127.0.0.1", port, function(err)
    assert(not err, err)
    local send = wire(a, client, false)
    local offer = assert(a:createOffer())
    assert(a:setLocalDescription(offer))
    send({ kind = "description", type = offer.type, sdp = offer.sdp })
  end)
  H.waitFor(function() return echoes == 20 end, "20 echoes over the data channel", 15000)
  eq(ticks, 20)
  eq(a.connectionState, "connected")
  timer:close()
  for _, c in ipairs(conns) do c:close() end
  server:close()
end)

test("a luv pipe pair carries the signaling (uv.pipe + uv.new_pipe)", function()
  if not uv.pipe then return end -- luv older than 1.41
  local fds1 = assert(uv.pipe())
  local fds2 = assert(uv.pipe())
  -- a writes to fds1.write, b reads fds1.read; b writes fds2.write, a reads fds2.read
  local function open(fd)
    local p = uv.new_pipe(false)
    assert(p:open(fd))
    return p
  end
  local a_in, a_out = open(fds2.read), open(fds1.write)
  local b_in, b_out = open(fds1.read), open(fds2.write)
  local a, b = H.pc(), H.pc()
  local function wire_split(pc, rd, wr, answerer)
    local send = writer(wr)
    pc.onicecandidate = function(ev) send({ kind = "candidate", candidate = ev.candidate or cjson.null }) end
    local pending = {}
    read_lines(rd, function(m)
      if m.kind == "candidate" then
        local c = m.candidate
        if c == cjson.null then c = nil end
        add_candidate(pc, pending, c)
      else
        rtc.spawn(function()
          assert(pc:setRemoteDescription({ type = m.type, sdp = m.sdp }))
          flush_candidates(pc, pending)
          if answerer then
            assert(pc:setLocalDescription())
            send({ kind = "description", type = "answer", sdp = pc.localDescription.sdp })
          end
        end)
      end
    end)
    return send
  end
  local got
  b.ondatachannel = function(ev) ev.channel.onmessage = function(m) got = m.data end end
  local da = a:createDataChannel("pipe")
  da.onopen = function() da:send("through pipes") end
  wire_split(b, b_in, b_out, true)
  local send = wire_split(a, a_in, a_out, false)
  assert(a:setLocalDescription())
  send({ kind = "description", type = "offer", sdp = a.localDescription.sdp })
  H.waitFor(function() return got end, "message", 15000)
  eq(got, "through pipes")
  for _, p in ipairs({ a_in, a_out, b_in, b_out }) do p:close() end
end)

H.run()
