-- The RTCPeerConnection API: the docs' example, attributes, signaling errors, the
-- callback form of every promise method, handler errors, certificates.
local H = dofile((arg[0]:match("^(.*)/") or ".") .. "/harness.lua")
local rtc, uv = H.rtc, H.uv
local test, eq, ok = H.test, H.eq, H.ok

test("connect and echo (docs example)", function()
  local a, b = H.pair()
  local got
  b.ondatachannel = function(ev)
    local ch = ev.channel
    ch.onmessage = function(m) ch:send("echo: " .. m.data) end
  end
  local dc = a:createDataChannel("chat")
  dc.onopen = function() dc:send("hello") end
  dc.onmessage = function(m) got = m.data end
  assert(H.negotiate(a, b))
  H.waitFor(function() return got end, "echo")
  eq(got, "echo: hello")
  eq(a.connectionState, "connected")
  eq(b.connectionState, "connected")
  ok(a.iceConnectionState == "connected" or a.iceConnectionState == "completed", "ice state",
    a.iceConnectionState)
  eq(dc.label, "chat")
  eq(dc.readyState, "open")
  eq(dc.ordered, true)
  eq(dc.negotiated, false)
  eq(dc.maxRetransmits, nil)
  eq(dc.maxPacketLifeTime, nil)
  eq(dc.protocol, "")
  ok(type(dc.id) == "number", "dc.id is a number once open")
end)

test("event tables carry type and target; candidates are plain data", function()
  local a, b = H.pc(), H.pc()
  local cands, ends, states = {}, 0, {}
  a.onicecandidate = function(ev)
    eq(ev.type, "icecandidate")
    eq(ev.target, a)
    if ev.candidate then cands[#cands + 1] = ev.candidate else ends = ends + 1 end
  end
  a.onsignalingstatechange = function(ev)
    eq(ev.target, a)
    states[#states + 1] = a.signalingState
  end
  a:createDataChannel("x")
  local offer = assert(a:createOffer())
  eq(offer.type, "offer")
  ok(offer.sdp:find("m=application"), "offer has an application m-line")
  assert(a:setLocalDescription(offer))
  eq(a.signalingState, "have-local-offer")
  H.waitFor(function() return ends > 0 end, "end of candidates")
  ok(#cands >= 1, "at least one candidate")
  local c = cands[1]
  ok(c.candidate:match("^candidate:"), "candidate string", c.candidate)
  ok(c.sdpMid ~= nil or c.sdpMLineIndex ~= nil, "mid or index")
  ok(c.candidate:find("127.0.0.1", 1, true), "gathered on 127.0.0.1 only")
  eq(a.iceGatheringState, "complete")
  eq(states[1], "have-local-offer")
  eq(a.localDescription.type, "offer")
  eq(a.pendingLocalDescription.type, "offer")
  eq(a.currentLocalDescription, nil)
  eq(a.remoteDescription, nil)
  eq(a.canTrickleIceCandidates, nil)
  -- plain data: every field is a string or a number
  for k, v in pairs(c) do ok(type(v) == "string" or type(v) == "number", "field " .. k) end
  b:close()
end)

test("iceTransportPolicy relay gathers no host candidate", function()
  local a = H.pc({ iceTransportPolicy = "relay" })
  local cands, ended = 0, false
  a.onicecandidate = function(ev) if ev.candidate then cands = cands + 1 else ended = true end end
  a:createDataChannel("x")
  assert(a:setLocalDescription())
  H.waitFor(function() return ended or a.iceGatheringState == "complete" end, "gathering complete")
  eq(cands, 0)
  eq(a:getConfiguration().iceTransportPolicy, "relay")
end)

test("implicit setLocalDescription()", function()
  local a, b = H.pair()
  local db
  b.ondatachannel = function(ev) db = ev.channel end
  local da = a:createDataChannel("implicit")
  assert(a:setLocalDescription())
  eq(a.signalingState, "have-local-offer")
  assert(b:setRemoteDescription(a.localDescription))
  eq(b.signalingState, "have-remote-offer")
  assert(b:setLocalDescription())
  eq(b.signalingState, "stable")
  eq(b.localDescription.type, "answer")
  assert(a:setRemoteDescription(b.localDescription))
  eq(a.signalingState, "stable")
  eq(a.canTrickleIceCandidates ~= nil, true)
  H.waitFor(function() return da.readyState == "open" and db and db.readyState == "open" end, "open")
end)

test("wrong signaling state gives nil, err", function()
  local a, b = H.pc(), H.pc()
  a:createDataChannel("x")
  local offer = assert(a:createOffer())
  assert(a:setLocalDescription(offer))
  assert(b:setRemoteDescription(offer))
  local answer = assert(b:createAnswer())
  -- b is in have-remote-offer; a third pc in stable cannot take an answer
  local c = H.pc()
  local r, err = c:setRemoteDescription(answer)
  eq(r, nil, "answer in stable")
  ok(type(err) == "string" and #err > 0, "error message", tostring(err))
  -- createAnswer in stable fails too
  local r2, err2 = c:createAnswer()
  eq(r2, nil, "createAnswer in stable")
  ok(type(err2) == "string", "createAnswer error")
  eq(c.signalingState, "stable")
end)

test("malformed SDP: nil + message, the pc still works", function()
  local a, b = H.pair()
  local r, err = b:setRemoteDescription({ type = "offer", sdp = "this is not sdp" })
  eq(r, nil)
  ok(type(err) == "string" and #err > 0, "message")
  eq(b.signalingState, "stable")
  local r2, err2 = b:setRemoteDescription({ type = "offer", sdp = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=ice-ufrag:x\r\n" })
  eq(r2, nil, "truncated sdp")
  ok(type(err2) == "string", "message 2")
  eq(b.signalingState, "stable")
  -- a bad candidate
  local r3, err3 = b:addIceCandidate({ candidate = "candidate:garbage", sdpMid = "0" })
  eq(r3, nil, "bad candidate")
  ok(type(err3) == "string", "message 3")
  -- now a normal negotiation succeeds
  local da = a:createDataChannel("after")
  local db
  b.ondatachannel = function(ev) db = ev.channel end
  assert(H.negotiate(a, b))
  H.waitFor(function() return da.readyState == "open" and db and db.readyState == "open" end, "open")
end)

test("bad arguments raise", function()
  local a = H.pc()
  ok(not pcall(a.setRemoteDescription, a, "offer"), "string description")
  ok(not pcall(a.createDataChannel, a, "x", { maxRetransmits = 1, maxPacketLifeTime = 1 }), "both limits")
  ok(not pcall(a.createDataChannel, a, "x", { negotiated = true }), "negotiated without id")
  ok(not pcall(rtc.RTCPeerConnection, "nope"), "config not a table")
  local okm, errm = pcall(rtc.RTCPeerConnection, { mdnsHostCandidates = "yes" })
  ok(not okm and tostring(errm):find("mdnsHostCandidates must be a boolean", 1, true), "mdnsHostCandidates type: " .. tostring(errm))
  ok(not pcall(function() a.signalingState = "stable" end), "read-only attribute")
  local dc = a:createDataChannel("x")
  ok(not pcall(dc.send, dc, {}), "send a table")
  ok(not pcall(dc.send, dc, "x", "nope"), "bad send kind")
  local r, err = dc:send("not open yet")
  eq(r, nil, "send before open")
  ok(type(err) == "string", "send error")
  a:close()
  eq(a.signalingState, "closed")
  ok(not pcall(a.createDataChannel, a, "y"), "createDataChannel after close raises")
end)

test("callback form of every promise method", function()
  local a, b = H.pair()
  local order = {}
  local da = a:createDataChannel("cb")
  local db
  b.ondatachannel = function(ev) db = ev.channel end
  local returned = false
  local r = a:createOffer(function(offer, err)
    ok(returned, "callback runs after the call returned")
    eq(err, nil)
    order[#order + 1] = "createOffer"
    a:setLocalDescription(offer, function(res, err2)
      eq(res, true); eq(err2, nil)
      order[#order + 1] = "setLocalDescription"
      b:setRemoteDescription(offer, function(res3, err3)
        eq(res3, true); eq(err3, nil)
        order[#order + 1] = "setRemoteDescription"
        b:createAnswer(function(answer, err4)
          eq(err4, nil); eq(answer.type, "answer")
          order[#order + 1] = "createAnswer"
          b:setLocalDescription(answer, function()
            a:setRemoteDescription(answer, function(res5)
              eq(res5, true)
              order[#order + 1] = "done"
            end)
          end)
        end)
      end)
    end)
  end)
  returned = true
  eq(r, nil, "callback form returns nothing")
  H.waitFor(function() return order[#order] == "done" end, "callback chain")
  eq(table.concat(order, ","), "createOffer,setLocalDescription,setRemoteDescription,createAnswer,done")
  -- an error goes to the callback's err
  local got_err
  local c = H.pc()
  c:setRemoteDescription({ type = "answer", sdp = "garbage" }, function(res, err) got_err = { res, err } end)
  H.waitFor(function() return got_err end, "error callback")
  eq(got_err[1], nil)
  ok(type(got_err[2]) == "string", "err is a message")
  -- addIceCandidate with a callback (end of candidates)
  local done_add
  a:addIceCandidate(nil, function(res, err) done_add = { res, err } end)
  H.waitFor(function() return done_add end, "addIceCandidate callback")
  -- generateCertificate with a callback
  local cert
  rtc.generateCertificate({ name = "ECDSA", namedCurve = "P-256" }, function(c2) cert = c2 end)
  H.waitFor(function() return cert end, "generateCertificate callback")
  H.waitFor(function() return da.readyState == "open" and db and db.readyState == "open" end, "open")
end)

test("a handler that raises is reported and the loop goes on", function()
  local reports = {}
  rtc.onerror = function(msg) reports[#reports + 1] = msg end
  local a, b, da, db = H.connected()
  local n = 0
  db.onmessage = function(m)
    n = n + 1
    if m.data == "boom" then error("handler exploded") end
  end
  da:send("boom")
  da:send("after")
  H.waitFor(function() return n == 2 end, "both messages")
  ok(#reports >= 1, "reported")
  ok(reports[1]:find("handler exploded", 1, true), "message in report")
  ok(reports[1]:find("traceback", 1, true), "traceback in report")
  -- a callback that raises is reported too
  a:createOffer(function() error("callback exploded") end)
  H.waitFor(function() return #reports >= 2 end, "callback report")
  ok(reports[2]:find("callback exploded", 1, true), "callback message")
end)

test("getConfiguration and certificates", function()
  local cert = assert(rtc.generateCertificate())
  ok(cert.expires > os.time() * 1000, "expires in the future (ms)")
  local fps = cert:getFingerprints()
  eq(fps[1].algorithm, "sha-256")
  ok(fps[1].value:match("^%x%x:%x%x:"), "fingerprint form", fps[1].value)
  local cp, kp = cert:toPEM()
  ok(cp:find("BEGIN CERTIFICATE", 1, true), "cert pem")
  ok(kp:find("PRIVATE KEY", 1, true), "key pem")
  local cert2 = assert(rtc.certificateFromPEM(cp, kp))
  eq(cert2:getFingerprints()[1].value, fps[1].value)
  local r, err = rtc.certificateFromPEM("junk", "junk")
  eq(r, nil); ok(type(err) == "string", "pem error")
  local a, b = H.pair({ certificates = { cert2 }, bundlePolicy = "max-bundle" })
  local cfg = a:getConfiguration()
  eq(cfg.bundlePolicy, "max-bundle")
  eq(cfg.certificates[1], cert2)
  local da = a:createDataChannel("c")
  local db
  b.ondatachannel = function(ev) db = ev.channel end
  assert(H.negotiate(a, b))
  ok(a.localDescription.sdp:find(fps[1].value, 1, true), "our fingerprint in the offer")
  H.waitFor(function() return da.readyState == "open" and db and db.readyState == "open" end, "open")
end)

test("log level and handler", function()
  local lines = {}
  rtc.setLogHandler(function(level, module, line) lines[#lines + 1] = { level, module, line } end)
  rtc.setLogLevel("debug")
  local a, b, da, db = H.connected()
  rtc.setLogLevel("error")
  rtc.setLogHandler(nil)
  ok(#lines > 0, "debug lines were logged")
  eq(type(lines[1][1]), "string")
  ok(not pcall(rtc.setLogLevel, "loud"), "bad level raises")
end)

test("rtc.spawn, rtc.sleep, rtc.wait", function()
  local t0 = uv.hrtime()
  rtc.sleep(20)
  ok((uv.hrtime() - t0) / 1e6 >= 19, "slept")
  local flag
  rtc.spawn(function() rtc.sleep(5); flag = true end)
  eq(flag, nil)
  H.waitFor(function() return flag end, "spawned")
  local a, b = H.pair()
  local da = a:createDataChannel("w")
  local db
  b.ondatachannel = function(ev) db = ev.channel end
  assert(H.negotiate(a, b))
  local ev = rtc.wait(da, "open", 5000)
  eq(ev.type, "open")
  H.waitFor(function() return db end, "remote channel")
  local got
  rtc.spawn(function() got = rtc.wait(db, "message", 5000) end)
  da:send("x")
  H.waitFor(function() return got end, "wait message")
  eq(got.data, "x")
  local none, err = rtc.wait(db, "message", 30)
  eq(none, nil); eq(err, "timeout")
end)

H.run()
