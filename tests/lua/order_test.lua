-- Events and results in the browser's order (W3C operations chain): the webrtc.org
-- "pc1" sample's callback chain connects, in every style, in one process and across
-- two processes; the documented order (docs/api.md, "Order of events") holds.
local H = dofile((arg[0]:match("^(.*)/") or ".") .. "/harness.lua")
local rtc, uv = H.rtc, H.uv
local test, eq, ok = H.test, H.eq, H.ok
local cjson = require "cjson"

local dir = arg[0]:match("^(.*)/") or "."

-- Records every event of a pc into log as "name:detail" (the attribute read inside).
local function record(pc, log, tag)
  pc.onsignalingstatechange = function() log[#log + 1] = tag .. "signaling:" .. pc.signalingState end
  pc.onicegatheringstatechange = function()
    log[#log + 1] = tag .. "gathering:" .. pc.iceGatheringState
  end
  pc.oniceconnectionstatechange = function() log[#log + 1] = tag .. "ice:" .. pc.iceConnectionState end
  pc.onconnectionstatechange = function() log[#log + 1] = tag .. "connection:" .. pc.connectionState end
end

local function index_of(log, pat)
  for i = 1, #log do
    if log[i]:find(pat, 1, true) then return i end
  end
  return nil
end

-- Each side's onicecandidate hands the candidate straight to the other side (as pc1
-- does), in the callback form; every addIceCandidate must succeed.
local function trickle_cb(from, to, log, tag, errors)
  from.onicecandidate = function(ev)
    log[#log + 1] = tag .. "icecandidate:" .. (ev.candidate and "c" or "end")
    to:addIceCandidate(ev.candidate, function(_, err)
      if err then errors[#errors + 1] = err end
    end)
  end
end

local function connected(a, b)
  H.waitFor(function() return a.connectionState == "connected" and b.connectionState == "connected" end,
    "both connected", 10000)
end

test("pc1, callbacks nested: connects; sLD's callback comes before its candidates", function()
  local a, b = H.pc(), H.pc()
  local log, errors = {}, {}
  record(a, log, "a.")
  record(b, log, "b.")
  trickle_cb(a, b, log, "a.", errors)
  trickle_cb(b, a, log, "b.", errors)
  a:createDataChannel("pc1")
  local function check(err) if err then errors[#errors + 1] = err end end
  a:createOffer(function(offer, err)
    check(err)
    log[#log + 1] = "a.createOffer:cb"
    a:setLocalDescription(offer, function(_, err1)
      check(err1)
      log[#log + 1] = "a.sLD:cb:" .. a.signalingState .. ":" .. a.iceGatheringState
      b:setRemoteDescription(offer, function(_, err2)
        check(err2)
        log[#log + 1] = "b.sRD:cb:" .. b.signalingState
        b:createAnswer(function(answer, err3)
          check(err3)
          b:setLocalDescription(answer, function(_, err4)
            check(err4)
            log[#log + 1] = "b.sLD:cb:" .. b.signalingState
            a:setRemoteDescription(answer, function(_, err5)
              check(err5)
              log[#log + 1] = "a.sRD:cb:" .. a.signalingState
            end)
          end)
        end)
      end)
    end)
  end)
  connected(a, b)
  eq(#errors, 0, "errors: " .. table.concat(errors, "; "))
  -- The documented order on the offerer: signalingstatechange, sLD's callback,
  -- then gathering and the candidates.
  local sig, cb = index_of(log, "a.signaling:have-local-offer"), index_of(log, "a.sLD:cb")
  local gat, cand = index_of(log, "a.gathering:gathering"), index_of(log, "a.icecandidate:")
  ok(sig and cb and gat and cand, "all seen", table.concat(log, " "))
  ok(sig < cb and cb < gat and gat < cand, "order", table.concat(log, " "))
  eq(log[cb], "a.sLD:cb:have-local-offer:new")
  ok(index_of(log, "b.sRD:cb:have-remote-offer"), "b's sRD callback sees have-remote-offer")
  ok(index_of(log, "b.sLD:cb:stable") < index_of(log, "b.icecandidate:"), "answerer's order")
end)

test("pc1, coroutines: a call returns after its signalingstatechange, before its candidates", function()
  local a, b = H.pc(), H.pc()
  local log, errors = {}, {}
  record(a, log, "a.")
  record(b, log, "b.")
  -- pc1 with await: the handler adds at once (sync form, as a handler cannot wait)
  a.onicecandidate = function(ev)
    log[#log + 1] = "a.icecandidate"
    local okc, err = b:addIceCandidate(ev.candidate)
    if not okc then errors[#errors + 1] = err end
  end
  b.onicecandidate = function(ev)
    log[#log + 1] = "b.icecandidate"
    local okc, err = a:addIceCandidate(ev.candidate)
    if not okc then errors[#errors + 1] = err end
  end
  a:createDataChannel("pc1")
  local offer = assert(a:createOffer())
  assert(a:setLocalDescription(offer))
  log[#log + 1] = "a.sLD:returned"
  eq(a.signalingState, "have-local-offer")
  eq(a.iceGatheringState, "new", "gathering starts after the call returns")
  assert(b:setRemoteDescription(offer))
  log[#log + 1] = "b.sRD:returned"
  local answer = assert(b:createAnswer())
  assert(b:setLocalDescription(answer))
  assert(a:setRemoteDescription(answer))
  connected(a, b)
  eq(#errors, 0, "errors: " .. table.concat(errors, "; "))
  local sig, ret = index_of(log, "a.signaling:have-local-offer"), index_of(log, "a.sLD:returned")
  ok(sig and ret and sig < ret, "signalingstatechange before sLD returns", table.concat(log, " "))
  ok(ret < index_of(log, "a.icecandidate"), "sLD returns before the candidates", table.concat(log, " "))
  ok(index_of(log, "b.signaling:have-remote-offer") < index_of(log, "b.sRD:returned"), "b's order")
end)

test("pc1, mixed: callbacks on the offerer, a coroutine on the answerer", function()
  local a, b = H.pc(), H.pc()
  local log, errors = {}, {}
  trickle_cb(a, b, log, "a.", errors)
  trickle_cb(b, a, log, "b.", errors)
  a:createDataChannel("pc1")
  a:createOffer(function(offer)
    a:setLocalDescription(offer, function(_, err)
      if err then errors[#errors + 1] = err end
      rtc.spawn(function()
        assert(b:setRemoteDescription(offer))
        local answer = assert(b:createAnswer())
        assert(b:setLocalDescription(answer))
        a:setRemoteDescription(answer, function(_, err2)
          if err2 then errors[#errors + 1] = err2 end
        end)
      end)
    end)
  end)
  connected(a, b)
  eq(#errors, 0, "errors: " .. table.concat(errors, "; "))
end)

test("operations chain: results in call order, each after its own events", function()
  local a, b = H.pc(), H.pc()
  a:createDataChannel("x")
  local log = {}
  a.onsignalingstatechange = function() log[#log + 1] = "signaling" end
  a.onicecandidate = function() end
  local offer = assert(a:createOffer())
  a:setLocalDescription(offer, function() log[#log + 1] = "sLD" end)
  a:setLocalDescription({ type = "rollback" }, function() log[#log + 1] = "rollback" end)
  a:createOffer(function(o, err) log[#log + 1] = o and "createOffer" or err end)
  H.waitFor(function() return #log >= 5 end, "five entries")
  eq(table.concat(log, " "), "signaling sLD signaling rollback createOffer")
  b:close()
end)

test("failures keep their place in the chain and carry (nil, msg, NAME)", function()
  local a = H.pc()
  local got
  a:setRemoteDescription({ type = "answer", sdp = "garbage" }, function(res, err, name)
    got = { res, err, name }
  end)
  H.waitFor(function() return got end, "callback")
  eq(got[1], nil)
  ok(type(got[2]) == "string" and #got[2] > 0, "message", tostring(got[2]))
  ok(type(got[3]) == "string" and got[3]:match("^E%u+$"), "name", tostring(got[3]))
end)

-- Across processes: this process offers, a child luartc answers; the signaling runs
-- over a luv TCP connection on 127.0.0.1, each message applied as it arrives (the
-- callback form of pc1, no buffering of early candidates).
test("pc1 across two luartc processes over luv TCP (callbacks, no buffering)", function()
  local server = uv.new_tcp()
  assert(server:bind("127.0.0.1", 0))
  local port = server:getsockname().port
  local a = H.pc()
  local errors = {}
  local conn
  local buf = ""
  local child_out = {}
  local stdout = uv.new_pipe(false)
  local exe = uv.exepath()
  local handle = uv.spawn(exe, {
    args = { dir .. "/order_peer.lua", tostring(port) },
    stdio = { nil, stdout, 2 },
    env = { "LUARTC_GATHER_ADDRESSES=127.0.0.1", "PATH=" .. (os.getenv("PATH") or "") },
  }, function() end)
  ok(handle, "spawned the answering process")
  stdout:read_start(function(_, chunk) if chunk then child_out[#child_out + 1] = chunk end end)
  local function send(t) conn:write(cjson.encode(t) .. "\n") end
  local function on_message(m)
    if m.kind == "answer" then
      a:setRemoteDescription({ type = "answer", sdp = m.sdp }, function(_, err)
        if err then errors[#errors + 1] = "sRD: " .. err end
      end)
    elseif m.kind == "candidate" then
      local c = m.candidate
      if c == cjson.null then c = nil end
      a:addIceCandidate(c, function(_, err)
        if err then errors[#errors + 1] = "addIceCandidate: " .. err end
      end)
    end
  end
  a.onicecandidate = function(ev) send({ kind = "candidate", candidate = ev.candidate or cjson.null }) end
  local got
  local da = a:createDataChannel("across")
  da.onmessage = function(m) got = m.data end
  da.onopen = function() da:send("ping") end
  server:listen(1, function(err)
    assert(not err, err)
    conn = uv.new_tcp()
    server:accept(conn)
    conn:read_start(function(err2, chunk)
      assert(not err2, err2)
      if not chunk then return end
      buf = buf .. chunk
      while true do
        local line, rest = buf:match("^([^\n]*)\n(.*)$")
        if not line then break end
        buf = rest
        on_message(cjson.decode(line))
      end
    end)
    a:createOffer(function(offer)
      a:setLocalDescription(offer, function(_, err3)
        if err3 then errors[#errors + 1] = err3 end
        send({ kind = "offer", sdp = offer.sdp })
      end)
    end)
  end)
  H.waitFor(function() return got end, "echo from the other process", 15000)
  eq(got, "pong")
  eq(#errors, 0, "errors here: " .. table.concat(errors, "; "))
  H.waitFor(function() return table.concat(child_out):find("ERRORS 0", 1, true) end,
    "the child's report", 5000)
  if conn then conn:close() end
  server:close()
  stdout:close()
  if handle then handle:close() end
end)

H.run()
