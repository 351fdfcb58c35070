-- W3C RTCIceTransport, RTCDtlsTransport and RTCSctpTransport between two luartc peers:
-- every attribute and event, their order among the pc's events, the candidate-pair
-- stats, and onselectedcandidatepairchange on a real switch (two UDP relays, one cut).
local H = dofile((arg[0]:match("^(.*)/") or ".") .. "/harness.lua")
local relay = assert(loadfile((arg[0]:match("^(.*)/") or ".") .. "/hostile_relay.lua"))(H)
local rtc, uv = H.rtc, H.uv
local test, eq, ok = H.test, H.eq, H.ok

local function index_of(list, item)
  for i, v in ipairs(list) do if v == item then return i end end
end

-- item a comes right before item b in the log
local function right_before(log, a, b)
  local i = index_of(log, a)
  return i and log[i + 1] == b
end

local function pem_body(pem)
  return (pem:match("%-%-%-%-%-BEGIN CERTIFICATE%-%-%-%-%-(.-)%-%-%-%-%-END"):gsub("%s", ""))
end

test("ICE, DTLS and SCTP transports: attributes, identity and event order", function()
  local certb = assert(rtc.generateCertificate())
  local a, b = H.pair({ maxMessageSize = 100000, maxChannels = 300 }, { certificates = { certb } })
  local log, blog = {}, {}
  local tr = a:addTransceiver("audio")
  local da = a:createDataChannel("chat")
  local db
  b.ondatachannel = function(ev) db = ev.channel end
  eq(a.sctp, nil, "no sctp before negotiation")
  eq(tr.sender.transport, nil, "no transport before the m-section has a mid")
  local offer = assert(a:createOffer())
  assert(a:setLocalDescription(offer))
  local dt = tr.sender.transport
  ok(dt ~= nil, "sender.transport after setLocalDescription")
  eq(tr.receiver.transport, dt, "receiver.transport is the same object")
  local ice = dt.iceTransport
  eq(dt.iceTransport, ice, "one RTCIceTransport")
  eq(dt.state, "new")
  eq(ice.component, "rtp")
  eq(ice.role, "controlling")
  -- Each handler records the attribute as its event shows it.
  ice.onstatechange = function(ev)
    eq(ev.target, ice)
    log[#log + 1] = "ice:" .. ice.state
  end
  ice.ongatheringstatechange = function() log[#log + 1] = "gather:" .. ice.gatheringState end
  local pairs_a = 0
  ice:addEventListener("selectedcandidatepairchange", function(ev)
    eq(ev.type, "selectedcandidatepairchange")
    pairs_a = pairs_a + 1
    log[#log + 1] = "pair"
  end)
  dt.onstatechange = function() log[#log + 1] = "dtls:" .. dt.state end
  a.oniceconnectionstatechange = function() log[#log + 1] = "pc-ice:" .. a.iceConnectionState end
  a.onicegatheringstatechange = function() log[#log + 1] = "pc-gather:" .. a.iceGatheringState end
  a.onconnectionstatechange = function() log[#log + 1] = "conn:" .. a.connectionState end
  da.onopen = function() log[#log + 1] = "open" end
  local cands = {}
  local trickle = a.onicecandidate
  a.onicecandidate = function(ev)
    if ev.candidate then cands[#cands + 1] = ev.candidate.candidate end
    return trickle(ev)
  end

  assert(b:setRemoteDescription(offer))
  assert(b:setLocalDescription(assert(b:createAnswer())))
  local bs = b.sctp
  ok(bs ~= nil, "b.sctp once b's answer is applied")
  local bdt = bs.transport
  eq(bdt.iceTransport.role, "controlled")
  bs.onstatechange = function() blog[#blog + 1] = "sctp:" .. bs.state end
  b.ondatachannel = function(ev)
    db = ev.channel
    blog[#blog + 1] = "datachannel"
  end
  assert(a:setRemoteDescription(b.localDescription))
  local s = a.sctp
  ok(s ~= nil, "a.sctp once the answer is applied")
  eq(a.sctp, s, "pc.sctp: the same object every time")
  eq(s.transport, dt, "sctp.transport is the DTLS transport of the senders")
  eq(s.state, "connecting")
  eq(s.maxChannels, nil, "maxChannels is null until connected")
  eq(s.maxMessageSize, 262144, "the peer's 262144 (our 100000 limits what we accept)")
  eq(bs.maxMessageSize, 100000, "b: the peer's 100000")
  s.onstatechange = function() log[#log + 1] = "sctp:" .. s.state end
  H.waitFor(function() return da.readyState == "open" and db and db.readyState == "open" end, "open")
  -- dc:send takes exactly up to the sctp transport's maxMessageSize (W3C).
  ok(db:send(string.rep("x", bs.maxMessageSize)), "b sends maxMessageSize bytes")
  local r, _, name = db:send(string.rep("x", bs.maxMessageSize + 1))
  ok(r == nil and name == "ETOOBIG", "b refuses maxMessageSize + 1", name)
  H.waitFor(function() return ice.gatheringState == "complete" end, "gathering")
  local got = table.concat(log, " ")

  -- Order: the transport's event right before the pc's (W3C), the pair before the
  -- state it brings, SCTP connected before the channel opens.
  ok(right_before(log, "gather:gathering", "pc-gather:gathering"), "gathering: transport first", got)
  ok(right_before(log, "gather:complete", "pc-gather:complete"), "complete: transport first", got)
  ok(right_before(log, "ice:checking", "pc-ice:checking"), "checking: transport first", got)
  ok(right_before(log, "pair", "ice:connected"), "pair selected, then connected", got)
  ok(right_before(log, "ice:connected", "pc-ice:connected"), "connected: transport first", got)
  ok(right_before(log, "dtls:connected", "conn:connected"), "DTLS connected, then the pc", got)
  ok(index_of(log, "dtls:connecting") < index_of(log, "dtls:connected"), "DTLS connecting first", got)
  ok(index_of(log, "sctp:connected") < index_of(log, "open"), "SCTP connected before open", got)
  ok(index_of(blog, "sctp:connected") < index_of(blog, "datachannel"), "b: SCTP before datachannel")
  eq(pairs_a, 1, "one selection")

  ok(ice.state == "connected" or ice.state == "completed", "ICE up", ice.state)
  eq(ice.state, a.iceConnectionState, "one transport: its state is the pc's")
  for i, e in ipairs(log) do -- every ICE transport step right before the pc's
    if e:match("^ice:") then eq(log[i + 1], "pc-" .. e, "after " .. e) end
  end
  eq(dt.state, "connected")
  eq(s.state, "connected")
  eq(s.maxChannels, 300, "the streams both sides negotiated")
  eq(bs.maxChannels, 300)

  -- Candidates: ours as onicecandidate gave them; the peer's as it sent them.
  local locals = ice:getLocalCandidates()
  eq(#locals, #cands, "every local candidate")
  local lufrag = a.localDescription.sdp:match("a=ice%-ufrag:([^\r\n]+)")
  local rufrag = b.localDescription.sdp:match("a=ice%-ufrag:([^\r\n]+)")
  for i, c in ipairs(locals) do
    eq(c.candidate, cands[i])
    eq(c.sdpMid, "0")
    eq(c.sdpMLineIndex, 0)
    eq(c.usernameFragment, lufrag)
    eq(c.address, "127.0.0.1")
    ok(c.port > 0 and c.priority > 0 and c.foundation and c.component == "rtp", "candidate fields", c.candidate)
  end
  -- b's signalled candidates, then any peer-reflexive one a learnt from b's checks (an
  -- ICE-TCP connection's source port).
  local remotes = ice:getRemoteCandidates()
  local blocals = bdt.iceTransport:getLocalCandidates()
  local signalled = {}
  for _, c in ipairs(blocals) do signalled[c.protocol .. " " .. c.port] = c end
  local found = 0
  for _, c in ipairs(remotes) do
    eq(c.usernameFragment, rufrag)
    local bc = signalled[c.protocol .. " " .. c.port]
    if bc then
      found = found + 1
      eq(c.type, bc.type)
      eq(c.foundation, bc.foundation)
    else
      eq(c.type, "prflx", "learnt, not signalled")
    end
  end
  eq(found, #blocals, "a knows each of b's candidates")
  local sel = ice:getSelectedCandidatePair()
  ok(sel and sel["local"] and sel.remote, "a selected pair")
  eq(sel["local"].protocol, "udp")
  local bsel = bdt.iceTransport:getSelectedCandidatePair()
  eq(sel["local"].port, bsel.remote.port, "the two ends agree")
  eq(sel.remote.port, bsel["local"].port)
  local lp, rp = ice:getLocalParameters(), ice:getRemoteParameters()
  eq(lp.usernameFragment, lufrag)
  eq(lp.password, a.localDescription.sdp:match("a=ice%-pwd:([^\r\n]+)"))
  eq(rp.usernameFragment, rufrag)
  eq(rp.password, bdt.iceTransport:getLocalParameters().password)

  -- The peer's certificate: the DER of b's certificate.
  local certs = dt:getRemoteCertificates()
  eq(#certs, 1)
  eq(rtc.core.base64(certs[1]), pem_body((certb:toPEM())), "getRemoteCertificates()[1] is b's certificate")

  -- getStats: the selected pair names its candidates, which are there.
  local r = a:getStats()
  local t
  for _, st in pairs(r) do if st.type == "transport" then t = st end end
  local cp = r[t.selectedCandidatePairId]
  ok(cp and cp.type == "candidate-pair" and cp.nominated and cp.selected, "selected pair stats")
  eq(cp.state, "succeeded")
  eq(r[cp.localCandidateId].type, "local-candidate")
  eq(r[cp.remoteCandidateId].type, "remote-candidate")
  eq(r[cp.localCandidateId].port, sel["local"].port)
  eq(r[cp.remoteCandidateId].port, sel.remote.port)
  ok(cp.bytesSent > 0 and cp.packetsSent > 0 and cp.bytesReceived > 0 and cp.packetsReceived > 0, "data counted on the pair")
  ok(cp.requestsSent > 0 and cp.responsesReceived > 0 and cp.currentRoundTripTime, "checks counted on the pair")
end)

test("getStats: one candidate-pair per checked pair, stable ids", function()
  -- ICE-TCP adds TCP candidates: UDP and TCP pairs are all checked (the check list
  -- goes on after selection).
  local a, b, da = H.connected()
  local function report() return a:getStats() end
  local function checked(r)
    local list = {}
    for id, s in pairs(r) do if s.type == "candidate-pair" then list[#list + 1] = id end end
    table.sort(list)
    return list
  end
  H.waitFor(function() return #checked(report()) >= 2 end, "a second pair checked")
  local r1 = report()
  local ids = checked(r1)
  local n_sel = 0
  for _, id in ipairs(ids) do
    local cp = r1[id]
    eq(r1[cp.localCandidateId].type, "local-candidate", "local candidate of " .. id)
    eq(r1[cp.remoteCandidateId].type, "remote-candidate", "remote candidate of " .. id)
    ok(cp.requestsSent + cp.requestsReceived > 0, "checked", id)
    ok(cp.state == "succeeded" or cp.state == "in-progress" or cp.state == "failed" or cp.state == "waiting", "state", cp.state)
    if cp.selected then n_sel = n_sel + 1 end
  end
  eq(n_sel, 1, "one selected pair")
  local r2 = report()
  for _, id in ipairs(ids) do ok(r2[id], "the same id in the next report", id) end
  local t
  for _, s in pairs(r2) do if s.type == "transport" then t = s end end
  ok(r2[t.selectedCandidatePairId].selected, "selectedCandidatePairId names the selected pair")
  eq(r2[t.selectedCandidatePairId].localAddress, "127.0.0.1")
end)

test("sctp: maxMessageSize 65536 when the peer announces none; nil without data", function()
  local a, b = H.pair()
  a:createDataChannel("x")
  assert(H.negotiate(a, b, function(ans)
    return { type = "answer", sdp = (ans.sdp:gsub("a=max%-message%-size:%d+\r\n", "")) }
  end))
  eq(a.sctp.maxMessageSize, 65536, "RFC 8841: no a=max-message-size means 64 KiB")
  eq(b.sctp.maxMessageSize, 262144, "b saw a's 262144")
  local c, d = H.pair()
  c:addTransceiver("audio")
  assert(H.negotiate(c, d))
  eq(c.sctp, nil, "no application m-line: no RTCSctpTransport")
  eq(d.sctp, nil)
  ok(c:getTransceivers()[1].sender.transport, "media has the DTLS transport")
end)

-- W3C "set the session description" updates the data max message size from an answer
-- or pranswer; a remote offer rolled back leaves the current description's in force.
test("sctp: a rolled back remote offer's a=max-message-size is not used; an answer's is", function()
  local a, b, _, db = H.connected()
  eq(b.sctp.maxMessageSize, 262144, "a's 262144")
  local function reoffer()
    local offer = assert(a:createOffer())
    assert(a:setLocalDescription(offer))
    local sdp = offer.sdp:gsub("a=max%-message%-size:%d+", "a=max-message-size:1000")
    assert(b:setRemoteDescription({ type = "offer", sdp = sdp }))
  end
  reoffer()
  eq(b.sctp.maxMessageSize, 262144, "an offer alone changes nothing")
  assert(b:setRemoteDescription({ type = "rollback" }))
  assert(a:setLocalDescription({ type = "rollback" }))
  eq(b.sctp.maxMessageSize, 262144, "rolled back: the current description's")
  ok(db:send(string.rep("x", 2000)), "dc:send takes 2000 bytes")
  reoffer()
  local answer = assert(b:createAnswer())
  assert(b:setLocalDescription(answer))
  assert(a:setRemoteDescription(answer))
  eq(b.sctp.maxMessageSize, 1000, "answered: the new offer's")
  local r, _, name = db:send(string.rep("x", 2000))
  ok(r == nil and name == "ETOOBIG", "dc:send refuses 2000 bytes", name)
end)

-- W3C "set the session description": an answer that closes the SCTP association (RFC
-- 8841 10.4: the data m-line's port 0) sets [[SctpTransport]] to null; the transport
-- the script kept goes closed, its channels close. A later data m-line: a new one.
test("sctp: an answer rejecting the data m-line: pc.sctp nil, the old transport closed, channels closed", function()
  local a, b = H.pair()
  a:addTransceiver("audio") -- the transport lives on after the data m-line goes
  local da = a:createDataChannel("x")
  local db
  b.ondatachannel = function(ev) db = ev.channel end
  assert(H.negotiate(a, b))
  H.waitFor(function() return da.readyState == "open" and db and db.readyState == "open" end, "open")
  local sa, sb = a.sctp, b.sctp
  local log = {}
  sa.onstatechange = function() log[#log + 1] = "a:" .. sa.state end
  sb.onstatechange = function() log[#log + 1] = "b:" .. sb.state end
  da.onclose = function() log[#log + 1] = "a:dc close" end
  db.onclose = function() log[#log + 1] = "b:dc close" end
  -- the peer's offer takes the data m-line out (port 0, out of the BUNDLE group)
  local offer = assert(a:createOffer())
  assert(a:setLocalDescription(offer))
  local mid = offer.sdp:match("m=application[^\r]*\r\n.-a=mid:(%S+)")
  local sdp = offer.sdp:gsub("m=application %d+", "m=application 0")
    :gsub("(a=group:BUNDLE[^\r]*) " .. mid .. "\r\n", "%1\r\n")
  assert(b:setRemoteDescription({ type = "offer", sdp = sdp }))
  local answer = assert(b:createAnswer())
  ok(answer.sdp:find("m=application 0 ", 1, true), "b's answer rejects it")
  assert(b:setLocalDescription(answer))
  eq(b.sctp, nil, "b: [[SctpTransport]] null")
  assert(a:setRemoteDescription(answer))
  eq(a.sctp, nil, "a: [[SctpTransport]] null")
  eq(sa.state, "closed")
  eq(sb.state, "closed")
  H.waitFor(function() return da.readyState == "closed" and db.readyState == "closed" end, "channels closed")
  rtc.sleep(50)
  local got = table.concat(log, " ")
  ok(index_of(log, "a:closed") and index_of(log, "b:closed"), "statechange to closed on both", got)
  ok(index_of(log, "a:dc close") and index_of(log, "b:dc close"), "close on both channels", got)
  eq(a.connectionState, "connected", "the media transport lives on")
  -- a new channel: a new data m-line, a new association, a new RTCSctpTransport
  local d2 = a:createDataChannel("again")
  local db2
  b.ondatachannel = function(ev) db2 = ev.channel end
  assert(H.negotiate(a, b))
  H.waitFor(function() return d2.readyState == "open" and db2 and db2.readyState == "open" end, "new channel open")
  ok(a.sctp and a.sctp ~= sa, "a new RTCSctpTransport")
  eq(a.sctp.state, "connected")
  eq(sa.state, "closed", "the old one stays closed")
  d2:send("hi")
  local m
  db2.onmessage = function(ev) m = ev.data end
  H.waitFor(function() return m end, "message")
  eq(m, "hi")
end)

test("DTLS: a certificate that does not match the fingerprint: onerror, failed", function()
  local a, b = H.pair()
  local tr = a:addTransceiver("audio")
  local log = {}
  assert(a:setLocalDescription(assert(a:createOffer())))
  local dt = tr.sender.transport
  dt.onerror = function(ev)
    log[#log + 1] = "error:" .. ev.error.errorDetail .. ":" .. dt.state
    eq(ev.error.sentAlert, nil, "no alert fields with fingerprint-failure (W3C)")
    ok(ev.error.message and ev.error.message:find("fingerprint"), "message says why", ev.error.message)
  end
  dt.onstatechange = function() log[#log + 1] = "dtls:" .. dt.state end
  a.onconnectionstatechange = function() log[#log + 1] = "conn:" .. a.connectionState end
  assert(b:setRemoteDescription(a.localDescription))
  assert(b:setLocalDescription(assert(b:createAnswer())))
  -- b's answer with another fingerprint: a (the DTLS server) refuses b's certificate.
  local sdp = b.localDescription.sdp:gsub("(a=fingerprint:sha%-256 )(%x%x)", function(p, x)
    return p .. (x == "00" and "01" or "00")
  end)
  local bdt = b:getTransceivers()[1].sender.transport
  local berr
  bdt.onerror = function(ev) berr = ev.error end
  assert(a:setRemoteDescription({ type = "answer", sdp = sdp }))
  H.waitFor(function() return a.connectionState == "failed" end, "failed")
  -- a refused with an access_denied alert (49); b, whose fingerprint check passed,
  -- fails on that alert: a dtls-failure with receivedAlert (W3C RTCError)
  H.waitFor(function() return berr end, "b's DTLS error")
  eq(berr.errorDetail, "dtls-failure")
  eq(berr.receivedAlert, 49, "b received access_denied (mbedTLS's alert for a refused certificate)")
  eq(berr.sentAlert, nil, "b sent none")
  local got = table.concat(log, " ")
  ok(right_before(log, "error:fingerprint-failure:failed", "dtls:failed"), "error (state failed), then statechange", got)
  ok(index_of(log, "dtls:failed") < index_of(log, "conn:failed"), "then the pc", got)
  eq(#dt:getRemoteCertificates(), 0, "no certificate shown from a failed handshake")
end)

test("close: the peer's close_notify and ABORT close DTLS and SCTP; close() fires nothing", function()
  local a, b = H.connected()
  local dt, s = a.sctp.transport, a.sctp
  local log = {}
  dt.onstatechange = function() log[#log + 1] = "dtls:" .. dt.state end
  s.onstatechange = function() log[#log + 1] = "sctp:" .. s.state end
  local bs = b.sctp
  local bfired = 0
  bs.onstatechange = function() bfired = bfired + 1 end
  bs.transport.onstatechange = function() bfired = bfired + 1 end
  bs.transport.iceTransport.onstatechange = function() bfired = bfired + 1 end
  eq(rtc.wait(s, "connected", 1000).target, s, "rtc.wait: a state the transport shows returns at once")
  b:close()
  eq(bs.state, "closed")
  eq(bs.transport.state, "closed")
  eq(bs.transport.iceTransport.state, "closed")
  ok(rtc.wait(dt, "closed", 5000), "rtc.wait(dtls, \"closed\"): the peer's close_notify")
  H.waitFor(function() return s.state == "closed" end, "SCTP closed by the peer")
  ok(index_of(log, "sctp:closed") and index_of(log, "dtls:closed"), "both fired", table.concat(log, " "))
  rtc.sleep(50)
  eq(bfired, 0, "close() sets closed without events")
end)

-- W3C fires the ICE transport's event, then the pc's for the same change; a handler of
-- the first that closes the pc leaves the second unfired (a closed pc fires nothing).
test("close() in the ICE transport's handler: the pc's event for that change does not fire", function()
  local a = H.pc()
  local t = a:addTransceiver("audio")
  assert(a:setLocalDescription(assert(a:createOffer())))
  local ice = t.sender.transport.iceTransport
  local log = {}
  ice.ongatheringstatechange = function()
    log[#log + 1] = "ice:" .. ice.gatheringState
    a:close()
  end
  a.onicegatheringstatechange = function() log[#log + 1] = "pc:" .. a.iceGatheringState end
  a:addEventListener("icegatheringstatechange", function() log[#log + 1] = "pc-listener" end)
  H.waitFor(function() return #log > 0 end, "the transport's event")
  rtc.sleep(100)
  eq(table.concat(log, " "), "ice:gathering", "nothing after close()")
  eq(a.signalingState, "closed")
end)

test("ICE restart: the same RTCIceTransport, new parameters, a new selected pair", function()
  local a, b = H.connected()
  local ice = a.sctp.transport.iceTransport
  local n = 0
  ice.onselectedcandidatepairchange = function() n = n + 1 end
  local before = ice:getLocalParameters().usernameFragment
  local gathering = {}
  ice.ongatheringstatechange = function() gathering[#gathering + 1] = ice.gatheringState end
  a:restartIce()
  assert(H.negotiate(a, b))
  H.waitFor(function() return n == 1 end, "the new agent's first selection")
  eq(a.sctp.transport.iceTransport, ice, "one RTCIceTransport across the restart")
  ok(ice:getLocalParameters().usernameFragment ~= before, "new credentials")
  eq(ice:getLocalParameters().usernameFragment, a.localDescription.sdp:match("a=ice%-ufrag:([^\r\n]+)"))
  eq(ice:getRemoteParameters().usernameFragment, b.localDescription.sdp:match("a=ice%-ufrag:([^\r\n]+)"))
  H.waitFor(function() return ice.gatheringState == "complete" end, "gathered again")
  eq(table.concat(gathering, " "), "gathering complete")
  for _, c in ipairs(ice:getLocalCandidates()) do eq(c.usernameFragment, ice:getLocalParameters().usernameFragment) end
  local changes
  for _, st in pairs(a:getStats()) do if st.type == "transport" then changes = st.selectedCandidatePairChanges end end
  eq(changes, 2, "the first selection and the restart's")
end)

-- Two relays between a and b, each a path of its own (every candidate rewritten to
-- both, relay 1's above relay 2's); cutting the selected one makes ICE switch.
test("a switch: onselectedcandidatepairchange as often as selectedCandidatePairChanges", function()
  local a, b = H.pc({ iceTcp = false }), H.pc({ iceTcp = false })
  local r1, r2 = relay.new(), relay.new()
  local function via(sdp, p1, p2)
    return (sdp:gsub("a=candidate:(%S+) (%d+) udp (%d+) %S+ %d+([^\r\n]*)\r\n", function(f, c, prio, rest)
      prio = tonumber(prio)
      return string.format("a=candidate:%s1 %s udp %d 127.0.0.1 %d%s\r\na=candidate:%s2 %s udp %d 127.0.0.1 %d%s\r\n",
        f, c, prio, p1, rest, f, c, prio - 1000, p2, rest)
    end))
  end
  local function gathered(pc)
    H.waitFor(function() return pc.iceGatheringState == "complete" end, "gathering")
    return pc.localDescription.sdp
  end
  local da = a:createDataChannel("chat")
  local count = { a = 0, b = 0 }
  assert(a:setLocalDescription(assert(a:createOffer())))
  assert(b:setRemoteDescription({ type = "offer",
    sdp = via(gathered(a), r1.rb:getsockname().port, r2.rb:getsockname().port) }))
  assert(b:setLocalDescription(assert(b:createAnswer())))
  b.sctp.transport.iceTransport.onselectedcandidatepairchange = function() count.b = count.b + 1 end
  assert(a:setRemoteDescription({ type = "answer",
    sdp = via(gathered(b), r1.ra:getsockname().port, r2.ra:getsockname().port) }))
  local ice = a.sctp.transport.iceTransport
  ice.onselectedcandidatepairchange = function() count.a = count.a + 1 end
  local db
  b.ondatachannel = function(ev) db = ev.channel end
  H.waitFor(function() return da.readyState == "open" and db and db.readyState == "open" end, "open")
  local before = ice:getSelectedCandidatePair().remote.port
  local cut = before == r1.ra:getsockname().port and r1 or r2
  ok(cut == r1 or before == r2.ra:getsockname().port, "the pair runs through a relay", before)
  cut.a_to_b = function() return false end
  cut.b_to_a = function() return false end
  H.waitFor(function() return ice:getSelectedCandidatePair().remote.port ~= before end, "a switch", 15000)
  H.waitFor(function()
    return b.sctp.transport.iceTransport:getSelectedCandidatePair().remote.port ~= cut.rb:getsockname().port
  end, "b follows", 10000)
  local got
  db.onmessage = function(ev) got = ev.data end
  assert(da:send("after the switch"))
  H.waitFor(function() return got end, "a message over the new path")
  local function changes(pc)
    for _, s in pairs(pc:getStats()) do
      if s.type == "transport" then return s.selectedCandidatePairChanges end
    end
  end
  rtc.sleep(20)
  ok(changes(a) >= 2, "a switched", changes(a))
  eq(count.a, changes(a), "a: one event per change")
  eq(count.b, changes(b), "b: one event per change")
  ok(a.iceConnectionState == "connected" or a.iceConnectionState == "completed", "ICE stays up", a.iceConnectionState)
  r1.close()
  r2.close()
end, 30000)

H.run()
