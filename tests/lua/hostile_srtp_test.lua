-- Replayed and forged SRTP/SRTCP from the validated address: the real threat (an
-- on-path attacker re-sends what it saw, or flips bits). A UDP relay in the middle
-- carries a's media to b, captures packets, then replays and tampers with them
-- towards b from the very address b validated. Expected: dropped by libsrtp's
-- replay window and authentication, counted in getStats (srtpReplays,
-- srtpAuthFailures), never delivered (onrtp sees each sequence number once), the
-- call goes on.
local H = dofile((arg[0]:match("^(.*)/") or ".") .. "/harness.lua")
local rtc, uv = H.rtc, H.uv
local test, eq, ok = H.test, H.eq, H.ok

local relay = assert(loadfile((arg[0]:match("^(.*)/") or ".") .. "/hostile_relay.lua"))(H)

-- The stats object of type t; for candidate-pair, the selected one.
local function stats_of(pc, t)
  local r = pc:getStats()
  for _, s in pairs(r) do
    if s.type == "transport" and t == "candidate-pair" then return r[s.selectedCandidatePairId] end
    if s.type == t and t ~= "candidate-pair" then return s end
  end
end

test("replayed and forged SRTP/SRTCP from the validated address: dropped, counted", function()
  local a, b = H.pc(), H.pc() -- no trickling: every candidate goes through the relay
  local R = relay.new()
  local rtp, rtcp = {}, {} -- a's protected packets, as seen on the wire
  local last_rtp
  R.a_to_b = function(data)
    local b0, b1 = data:byte(1), data:byte(2)
    if b0 >= 128 and b0 <= 191 then
      if b1 >= 192 and b1 <= 223 then
        if #rtcp < 4 then rtcp[#rtcp + 1] = data end
      else
        if #rtp < 50 then rtp[#rtp + 1] = data end
        last_rtp = data
      end
    end
  end

  assert(a:addTrack(assert(rtc.media.open(H.MEDIA_FIXTURES .. "opus.ogg", { loop = true }))))
  local seen, dups, delivered = {}, 0, 0
  b.ontrack = function(ev)
    ev.track.onrtp = function(p)
      delivered = delivered + 1
      if seen[p.sequenceNumber] then dups = dups + 1 end
      seen[p.sequenceNumber] = true
    end
  end
  R.connect(a, b)
  H.waitFor(function() return #rtp >= 50 and #rtcp >= 1 and delivered >= 50 end,
    "media and a sender report through the relay", 15000)
  local cp = stats_of(b, "candidate-pair")
  eq(cp.remotePort, R.rb:getsockname().port, "b validated the relay's address")

  local before = stats_of(b, "transport")
  local d0 = delivered
  -- 1. replay: every captured RTP packet and the SRTCP ones, twice, from rb
  for _ = 1, 2 do
    for _, p in ipairs(rtp) do assert(R.send_to_b(p)) end
    for _, p in ipairs(rtcp) do assert(R.send_to_b(p)) end
  end
  local n_replayed = 2 * (#rtp + #rtcp)
  H.waitFor(function()
    return stats_of(b, "transport").srtpReplays >= before.srtpReplays + n_replayed
  end, "replays counted", 5000)
  -- 2. forgeries with fresh indices (a seen index is refused as a replay before any
  -- authentication): the newest packet moved 200 sequence numbers ahead, as is and
  -- with a flipped payload byte; an SRTCP packet with its index moved ahead
  local forged = {}
  local p = last_rtp
  for i = 1, 10 do
    local seq = (p:byte(3) * 256 + p:byte(4) + 200 + i) % 65536
    local moved = p:sub(1, 2) .. string.char(math.floor(seq / 256), seq % 256) .. p:sub(5)
    forged[#forged + 1] = moved
    forged[#forged + 1] = moved:sub(1, #moved - 12) .. string.char((moved:byte(#moved - 11) + 1) % 256) .. moved:sub(#moved - 10)
  end
  -- SRTCP (RFC 3711 3.4): ... | E + 31-bit index | 10-byte tag
  local r = rtcp[#rtcp]
  local k = #r - 13
  local idx = ((r:byte(k) % 128) * 2 ^ 24 + r:byte(k + 1) * 65536 + r:byte(k + 2) * 256 + r:byte(k + 3)) + 1000
  forged[#forged + 1] = r:sub(1, k - 1) .. string.char(128 + math.floor(idx / 2 ^ 24) % 128,
    math.floor(idx / 65536) % 256, math.floor(idx / 256) % 256, idx % 256) .. r:sub(k + 4)
  for _, p in ipairs(forged) do assert(R.send_to_b(p)) end
  H.waitFor(function()
    return stats_of(b, "transport").srtpAuthFailures >= before.srtpAuthFailures + #forged
  end, "forgeries counted", 5000)
  rtc.sleep(300)
  local after = stats_of(b, "transport")
  eq(after.srtpReplays - before.srtpReplays, n_replayed, "every replay counted once")
  eq(after.srtpAuthFailures - before.srtpAuthFailures, #forged, "every forgery counted once")
  ok(after.packetsDiscarded - before.packetsDiscarded >= n_replayed + #forged, "in packetsDiscarded")
  eq(dups, 0, "no sequence number delivered twice")
  -- 3. the call goes on: fresh packets still arrive
  H.waitFor(function() return delivered >= d0 + 25 end, "media after the attack", 5000)
  eq(b.connectionState, "connected")
  R.close()
end, 30000)

H.run()
