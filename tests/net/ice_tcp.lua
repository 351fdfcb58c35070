-- ICE-TCP (RFC 6544) between two luartc peers in one process, run by tests/net/ice_tcp.sh
-- inside a namespace whose UDP is dropped (nftables): the peers can only meet over TCP.
-- Prints the harness's RESULT line.
local H = dofile("tests/lua/harness.lua")
local rtc = H.rtc
local test, eq, ok = H.test, H.eq, H.ok

-- The selected pair and its local candidate (getStats).
local function pair_stats(pc)
  local pair, cand
  local r = pc:getStats()
  for _, s in pairs(r) do
    if s.type == "transport" and s.selectedCandidatePairId then pair = r[s.selectedCandidatePairId] end
  end
  cand = pair and r[pair.localCandidateId]
  return pair and cand and { protocol = cand.protocol, localPort = pair.localPort }
end

-- Sends `total` bytes in 16 KiB binary messages, each stamped with its index.
local function send_stream(dc, total, tag)
  local chunk = 16 * 1024
  for i = 1, total / chunk do
    local msg = string.format("%s%08d", tag, i) .. string.rep(string.char(i % 251), chunk - 9)
    while dc.bufferedAmount > 1024 * 1024 do rtc.sleep(2) end
    local sent, err = dc:send(msg, "binary")
    while not sent do
      rtc.sleep(2)
      sent, err = dc:send(msg, "binary")
    end
  end
end

local function collect(dc, tag)
  local got = { n = 0, bytes = 0, bad = nil }
  dc.onmessage = function(m)
    got.n = got.n + 1
    got.bytes = got.bytes + #m.data
    local want = string.format("%s%08d", tag, got.n) .. string.rep(string.char(got.n % 251), #m.data - 9)
    if m.data ~= want then got.bad = got.bad or ("message " .. got.n .. " differs") end
  end
  return got
end

test("UDP blocked: the peers connect over ICE-TCP and carry 1 MiB each way intact", function()
  local a, b, da, db = H.connected("bulk")
  local sa, sb = pair_stats(a), pair_stats(b)
  ok(sa and sb, "both have a selected pair")
  eq(sa.protocol, "tcp")
  eq(sb.protocol, "tcp")
  -- One side's active candidate (port 9 in signaling) reached the other's passive one.
  ok(sa.localPort == 9 or sb.localPort == 9, "an active candidate on the pair", sa, sb)
  local MiB = 1024 * 1024
  local ga, gb = collect(da, "b"), collect(db, "a")
  rtc.spawn(function() send_stream(db, MiB, "b") end)
  send_stream(da, MiB, "a")
  H.waitFor(function() return (ga.bytes >= MiB and gb.bytes >= MiB) or ga.bad or gb.bad end,
    "1 MiB each way", 30000)
  eq(ga.bad, nil); eq(gb.bad, nil)
  eq(ga.bytes, MiB); eq(gb.bytes, MiB)
  eq(a.connectionState, "connected")
end, 60000)

test("iceTcp = false on one side: no TCP candidates from it, and no path without UDP", function()
  local a = H.pc { gatherAddresses = H.LOCAL, iceTcp = false }
  local b = H.pc { gatherAddresses = H.LOCAL }
  local cands = {}
  a.onicecandidate = function(ev) if ev.candidate then cands[#cands + 1] = ev.candidate.candidate end end
  a:createDataChannel("x")
  assert(H.negotiate(a, b))
  H.waitFor(function() return a.iceGatheringState == "complete" end, "gathering")
  for _, c in ipairs(cands) do ok(not c:find(" tcp "), "no TCP candidate", c) end
  ok(not a.localDescription.sdp:find(" tcp "), "no TCP candidate in the SDP")
  ok(b.localDescription.sdp:find("tcptype passive"), "the other side offers TCP")
  -- a ignores b's TCP candidates and has no TCP of its own: checks never succeed.
  rtc.sleep(3000)
  ok(a.iceConnectionState ~= "connected" and a.iceConnectionState ~= "completed",
    "not connected without UDP", a.iceConnectionState)
end, 20000)

H.run()
