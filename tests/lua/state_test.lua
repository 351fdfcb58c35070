-- State attributes inside their events: a handler reads the state its event
-- announced (browsers set the attribute in the task that fires the event), in every
-- style; a call's callback reads the state as of the call's answer.
local H = dofile((arg[0]:match("^(.*)/") or ".") .. "/harness.lua")
local rtc, uv = H.rtc, H.uv
local test, eq, ok = H.test, H.eq, H.ok

local function offer_from(a)
  a:createDataChannel("s")
  local offer = assert(a:createOffer())
  assert(a:setLocalDescription(offer))
  return offer
end

-- Runs fn from a luv timer callback: outside any coroutine (the sync form).
local function from_loop(fn)
  local done = false
  local t = uv.new_timer()
  t:start(0, 0, function()
    t:close()
    fn()
    done = true
  end)
  H.waitFor(function() return done end, "timer")
end

local function signaling_reader(pc, seen)
  pc.onsignalingstatechange = function() seen[#seen + 1] = pc.signalingState end
end

test("signalingState inside onsignalingstatechange: coroutine form", function()
  local a, b = H.pc(), H.pc()
  local seen = {}
  signaling_reader(b, seen)
  local offer = offer_from(a)
  assert(b:setRemoteDescription(offer))
  assert(b:setLocalDescription(assert(b:createAnswer())))
  H.waitFor(function() return #seen >= 2 end, "two events")
  eq(table.concat(seen, ","), "have-remote-offer,stable")
end)

test("signalingState inside onsignalingstatechange: calls outside a coroutine", function()
  local a, b = H.pc(), H.pc()
  local seen = {}
  signaling_reader(b, seen)
  local offer = offer_from(a)
  local after
  from_loop(function()
    assert(b:setRemoteDescription(offer))
    assert(b:setLocalDescription()) -- implicit answer: chained after the offer
    after = b.signalingState -- as in a browser before the promises resolve
  end)
  H.waitFor(function() return #seen >= 2 end, "two events")
  eq(table.concat(seen, ","), "have-remote-offer,stable")
  eq(after, "stable")
  eq(b.signalingState, "stable")
end)

test("signalingState inside onsignalingstatechange and the callbacks: callback form", function()
  local a, b = H.pc(), H.pc()
  local seen = {}
  signaling_reader(b, seen)
  local offer = offer_from(a)
  b:setRemoteDescription(offer, function() seen[#seen + 1] = "cb:" .. b.signalingState end)
  b:setLocalDescription(nil, function() seen[#seen + 1] = "cb:" .. b.signalingState end)
  H.waitFor(function() return #seen >= 4 end, "four entries")
  eq(table.concat(seen, ","), "have-remote-offer,cb:have-remote-offer,stable,cb:stable")
end)

test("iceGatheringState inside onicegatheringstatechange; sLD's callback reads new", function()
  local a = H.pc()
  local seen = {}
  a.onicegatheringstatechange = function() seen[#seen + 1] = a.iceGatheringState end
  a.onicecandidate = function(ev)
    seen[#seen + 1] = (ev.candidate and "candidate:" or "end:") .. a.iceGatheringState
  end
  a:createDataChannel("g")
  local offer = assert(a:createOffer())
  a:setLocalDescription(offer, function() seen[#seen + 1] = "cb:" .. a.iceGatheringState end)
  H.waitFor(function() return seen[#seen] and seen[#seen]:match("^end:") end, "end of candidates")
  eq(seen[1], "cb:new")
  eq(seen[2], "gathering")
  eq(seen[3], "candidate:gathering")
  eq(seen[#seen - 1], "complete")
  eq(seen[#seen], "end:complete")
end)

-- a offers, b answers; a's sRD callback runs before ICE or DTLS move on a.
local function connect_logging(attr, handler)
  local a, b = H.pair()
  local seen = {}
  a[handler] = function() seen[#seen + 1] = a[attr] end
  a:createDataChannel("c")
  local offer = assert(a:createOffer())
  assert(a:setLocalDescription(offer))
  assert(b:setRemoteDescription(offer))
  local answer = assert(b:createAnswer())
  from_loop(function()
    b:setLocalDescription(answer)
    a:setRemoteDescription(answer, function() seen[#seen + 1] = "cb:" .. a[attr] end)
  end)
  H.waitFor(function() return a.connectionState == "connected" and seen[#seen] ~= "cb:new" end,
    "connected", 10000)
  return seen
end

test("iceConnectionState inside oniceconnectionstatechange; sRD's callback reads new", function()
  local seen = connect_logging("iceConnectionState", "oniceconnectionstatechange")
  eq(seen[1], "cb:new")
  eq(seen[2], "checking")
  ok(seen[3] == "connected" or seen[3] == "completed", "then connected", table.concat(seen, ","))
end)

test("connectionState inside onconnectionstatechange; sRD's callback reads new", function()
  local seen = connect_logging("connectionState", "onconnectionstatechange")
  eq(seen[1], "cb:new")
  eq(seen[2], "connecting")
  eq(seen[3], "connected")
end)

test("readyState: close() before the transport: closing at once, closed in onclose", function()
  local a = H.pc()
  local dc = a:createDataChannel("never")
  local seen = {}
  dc.onclose = function() seen[#seen + 1] = "close:" .. dc.readyState end
  eq(dc.readyState, "connecting")
  dc:close()
  eq(dc.readyState, "closing", "W3C close(): closing at once")
  H.waitFor(function() return #seen > 0 end, "close event")
  eq(seen[1], "close:closed")
end)

test("readyState inside onclosing and onclose when the peer closes", function()
  local a, b, da, db = H.connected("rs")
  local seen = {}
  da.onclosing = function() seen[#seen + 1] = "closing:" .. da.readyState end
  da.onclose = function() seen[#seen + 1] = "close:" .. da.readyState end
  db:close()
  H.waitFor(function() return #seen >= 2 end, "closing and close")
  eq(table.concat(seen, ","), "closing:closing,close:closed")
end)

test("readyState inside ondatachannel and onopen is open", function()
  local a, b = H.pair()
  local seen = {}
  b.ondatachannel = function(ev)
    local ch = ev.channel
    seen[#seen + 1] = "datachannel:" .. ch.readyState
    ch.onopen = function() seen[#seen + 1] = "open:" .. ch.readyState end
  end
  local da = a:createDataChannel("o")
  da.onopen = function() seen[#seen + 1] = "local-open:" .. da.readyState end
  assert(H.negotiate(a, b))
  H.waitFor(function() return #seen >= 3 end, "three events")
  table.sort(seen)
  eq(table.concat(seen, ","), "datachannel:open,local-open:open,open:open")
end)

-- W3C: an ICE or DTLS transport's state change sets the transport's state,
-- iceConnectionState and connectionState together, then fires its events; every handler
-- of the change reads all the new states (Chromium: in oniceconnectionstatechange
-- "checking", connectionState is already "connecting").
test("one state change: every handler of it reads all the new states", function()
  local a, b = H.pair()
  local seen = {}
  local function log(what)
    return function()
      local it = a.sctp and a.sctp.transport.iceTransport
      seen[#seen + 1] = what .. " ice=" .. a.iceConnectionState .. " conn=" .. a.connectionState ..
        " icet=" .. (it and it.state or "-") .. " dtls=" .. (a.sctp and a.sctp.transport.state or "-")
    end
  end
  a.oniceconnectionstatechange = log("pc:ice")
  a.onconnectionstatechange = log("pc:conn")
  a:createDataChannel("c")
  assert(H.negotiate(a, b))
  local t = a.sctp.transport
  t.onstatechange = log("dtls")
  t.iceTransport.onstatechange = log("icet")
  H.waitFor(function() return a.connectionState == "connected" end, "connected")
  local all = table.concat(seen, "\n")
  -- checking: ICE transport, pc ice, pc connection all read checking/connecting
  ok(all:find("icet ice=checking conn=connecting icet=checking", 1, true), "icet checking", all)
  ok(all:find("pc:ice ice=checking conn=connecting icet=checking", 1, true), "pc ice checking", all)
  -- DTLS connected: its handler already reads connectionState connected
  ok(all:find("dtls ice=[a-z]+ conn=connected icet=[a-z]+ dtls=connected"), "dtls connected", all)
  for _, line in ipairs(seen) do
    ok(not line:find("conn=new", 1, true), "no handler of the connection reads new", line)
  end
end)

H.run()
