-- getStats(): W3C webrtc-stats objects for the transport, the selected candidate
-- pair, the peer connection and each data channel; counters move with traffic.
local H = dofile((arg[0]:match("^(.*)/") or ".") .. "/harness.lua")
local test, eq, ok = H.test, H.eq, H.ok

local function by_type(report, t)
  local list = {}
  for id, s in pairs(report) do
    eq(s.id, id, "stats id matches its key")
    if s.type == t then list[#list + 1] = s end
  end
  return list
end

test("getStats counts packets, bytes and messages", function()
  local a, b = H.pair()
  local got = 0
  b.ondatachannel = function(ev) ev.channel.onmessage = function() got = got + 1 end end
  local dc = a:createDataChannel("stats")
  local before = a:getStats()
  eq(#by_type(before, "candidate-pair"), 0, "no pair before ICE")
  assert(H.negotiate(a, b))
  H.waitFor(function() return dc.readyState == "open" end, "open")
  for i = 1, 10 do assert(dc:send(string.rep("x", 100))) end
  H.waitFor(function() return got == 10 end, "10 messages")
  local r = a:getStats()
  local t = by_type(r, "transport")[1]
  ok(t and t.packetsSent > 0 and t.packetsReceived > 0, "transport packets", t)
  ok(t.bytesSent > 1000, "transport bytes include the messages", t.bytesSent)
  eq(t.dtlsState, "connected")
  local cp = r[t.selectedCandidatePairId]
  ok(cp and cp.type == "candidate-pair" and cp.nominated, "selected pair", cp)
  eq(t.selectedCandidatePairChanges, 1) -- one pair on loopback: selected once, never switched
  eq(cp.localAddress, "127.0.0.1")
  ok(cp.requestsSent > 0 or cp.requestsReceived > 0, "ICE checks counted")
  local d = by_type(r, "data-channel")[1]
  eq(d.label, "stats")
  eq(d.messagesSent, 10)
  eq(d.bytesSent, 1000)
  eq(by_type(r, "peer-connection")[1].dataChannelsOpened, 1)
  -- the callback form, like every promise method
  local cb_report
  a:getStats(function(rep) cb_report = rep end)
  H.waitFor(function() return cb_report end, "callback")
  ok(by_type(cb_report, "transport")[1], "report through the callback")
  -- the receiving side counts what arrived
  local rb = b:getStats()
  local db = by_type(rb, "data-channel")[1]
  eq(db.messagesReceived, 10)
  eq(db.bytesReceived, 1000)
end)

test("hostile datagrams are counted and dropped, the connection goes on", function()
  local uv = H.uv
  local a, b = H.pair()
  local got = {}
  b.ondatachannel = function(ev) ev.channel.onmessage = function(m) got[#got + 1] = m.data end end
  local dc = a:createDataChannel("h")
  assert(H.negotiate(a, b))
  H.waitFor(function() return dc.readyState == "open" end, "open")
  local function transport(pc)
    for _, s in pairs(pc:getStats()) do if s.type == "transport" then return s end end
  end
  local function pair_of(pc)
    local r = pc:getStats()
    for _, s in pairs(r) do if s.type == "transport" then return r[s.selectedCandidatePairId] end end
  end
  local cp = pair_of(b)
  local before = transport(b).packetsDiscarded
  -- From a socket ICE never validated: STUN-looking junk, a DTLS-looking record, an
  -- RTP-looking packet, bytes outside every RFC 7983 range, and an empty datagram.
  local u = uv.new_udp()
  assert(u:bind("127.0.0.1", 0))
  local junk = {
    "\0\1\0\0" .. string.rep("\0", 16),
    "\22\254\253" .. string.rep("\255", 40),
    "\128\96" .. string.rep("\1", 30),
    "\255\255\255",
    "\0\1\0\8\33\18\164\66" .. string.rep("x", 12) .. "\0\6\0\4abcd",
  }
  for _, j in ipairs(junk) do assert(u:try_send(j, cp.localAddress, cp.localPort)) end
  H.waitFor(function() return transport(b).packetsDiscarded >= before + #junk end,
    "junk counted", 5000)
  u:close()
  assert(dc:send("still fine"))
  H.waitFor(function() return got[1] end, "message after junk")
  eq(got[1], "still fine")
  eq(b.connectionState, "connected")
end)

H.run()
