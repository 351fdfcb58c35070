-- Hostile STUN and stray datagrams from a raw UDP socket at a connected pc: checks
-- that fail ICE authentication get no answer at all (nothing to reflect or amplify)
-- and are counted; DTLS/RTP from an address no validated pair has never reaches
-- DTLS or SRTP and is counted; the connection carries on. A correctly signed check
-- from the same socket does get an answer: the test can tell silence from a bug.
local H = dofile((arg[0]:match("^(.*)/") or ".") .. "/harness.lua")
local rtc, uv = H.rtc, H.uv
local test, eq, ok = H.test, H.eq, H.ok
local bit = require "bit"
local band, bxor, rshift, lshift = bit.band, bit.bxor, bit.rshift, bit.lshift

local sha1 = rtc.core.sha1
local function hmac_sha1(key, msg)
  if #key > 64 then key = sha1(key) end
  key = key .. string.rep("\0", 64 - #key)
  local ik, ok_ = {}, {}
  for i = 1, 64 do
    local b = key:byte(i)
    ik[i], ok_[i] = string.char(bxor(b, 0x36)), string.char(bxor(b, 0x5c))
  end
  return sha1(table.concat(ok_) .. sha1(table.concat(ik) .. msg))
end

local crc_table = {}
for i = 0, 255 do
  local c = i
  for _ = 1, 8 do c = band(c, 1) == 1 and bxor(rshift(c, 1), 0xEDB88320) or rshift(c, 1) end
  crc_table[i] = c
end
local function crc32(s)
  local c = 0xFFFFFFFF
  for i = 1, #s do c = bxor(crc_table[band(bxor(c, s:byte(i)), 0xFF)], rshift(c, 8)) end
  return bxor(c, 0xFFFFFFFF)
end

local function be16(n) return string.char(band(rshift(n, 8), 255), band(n, 255)) end
local function be32(n) return be16(band(rshift(n, 16), 0xFFFF)) .. be16(band(n, 0xFFFF)) end
local function attr(t, v)
  local pad = (4 - #v % 4) % 4
  return be16(t) .. be16(#v) .. v .. string.rep("\0", pad)
end

-- A Binding request (RFC 8489) with USERNAME, PRIORITY, ICE-CONTROLLING, then
-- MESSAGE-INTEGRITY keyed with `key` (none when nil) and FINGERPRINT.
local function binding_request(tid, username, key)
  local body = attr(0x0006, username) .. attr(0x0024, be32(0x6e0001ff))
    .. attr(0x802A, "\1\2\3\4\5\6\7\8")
  local function msg(b, extra) return be16(0x0001) .. be16(#b + extra) .. "\33\18\164\66" .. tid .. b end
  if key then body = body .. attr(0x0008, hmac_sha1(key, msg(body, 24))) end
  local fp = bxor(crc32(msg(body, 8)), 0x5354554e)
  if fp < 0 then fp = fp + 2 ^ 32 end
  return msg(body .. attr(0x8028, be32(fp)), 0)
end

-- The stats object of type t; for candidate-pair, the selected one.
local function stats_of(pc, t)
  local r = pc:getStats()
  for _, s in pairs(r) do
    if s.type == "transport" and t == "candidate-pair" then return r[s.selectedCandidatePairId] end
    if s.type == t and t ~= "candidate-pair" then return s end
  end
end

local function creds(desc)
  return desc.sdp:match("a=ice%-ufrag:([^\r\n]+)"), desc.sdp:match("a=ice%-pwd:([^\r\n]+)")
end

test("unauthenticated STUN: no answer, counted; a signed check is answered", function()
  local a, b, da, db = H.connected()
  local cp = stats_of(b, "candidate-pair")
  local bufrag, bpwd = creds(b.localDescription)
  local aufrag = creds(a.localDescription)
  local u = uv.new_udp()
  assert(u:bind("127.0.0.1", 0))
  local got = {} -- tid -> the answer's message type
  u:recv_start(function(err, data)
    if data and #data >= 20 then got[data:sub(9, 20)] = data:byte(1) * 256 + data:byte(2) end
  end)
  local before = stats_of(b, "transport")
  local bad = {
    { "wrong MESSAGE-INTEGRITY", bufrag .. ":" .. aufrag, "not the password" },
    { "unknown username", "stranger:" .. aufrag, bpwd },
    { "no MESSAGE-INTEGRITY", bufrag .. ":" .. aufrag, nil },
  }
  for i, c in ipairs(bad) do
    c.tid = string.format("evil%08d", i)
    for _ = 1, 5 do assert(u:try_send(binding_request(c.tid, c[2], c[3]), cp.localAddress, cp.localPort)) end
  end
  H.waitFor(function()
    return stats_of(b, "transport").stunUnauthenticated >= before.stunUnauthenticated + 15
  end, "15 unauthenticated requests counted", 5000)
  -- the control: signed with b's password, from the same socket
  local good = "good00000001"
  assert(u:try_send(binding_request(good, bufrag .. ":" .. aufrag, bpwd), cp.localAddress, cp.localPort))
  H.waitFor(function() return got[good] end, "an answer to the signed check", 5000)
  eq(got[good], 0x0101, "Binding success response")
  rtc.sleep(200) -- anything late for the bad ones would be here by now
  for _, c in ipairs(bad) do eq(got[c.tid], nil, c[1] .. ": no answer") end
  local after = stats_of(b, "transport")
  eq(after.stunUnauthenticated - before.stunUnauthenticated, 15, "each counted once")
  ok(after.packetsDiscarded - before.packetsDiscarded >= 15, "in packetsDiscarded too")
  u:close()
  -- the connection carries on
  local msg
  db.onmessage = function(m) msg = m.data end
  assert(da:send("after the storm"))
  H.waitFor(function() return msg end, "message")
  eq(b.connectionState, "connected")
end)

test("DTLS and RTP from an address no validated pair has: dropped before DTLS/SRTP, counted", function()
  local a, b, da, db = H.connected()
  local cp = stats_of(b, "candidate-pair")
  local u = uv.new_udp()
  assert(u:bind("127.0.0.1", 0))
  local before = stats_of(b, "transport")
  -- a DTLS ClientHello-shaped record, an alert, application data, RTP and RTCP
  local junk = {
    "\22\254\253\0\0\0\0\0\0\0\0\0\60\1\0\0\48" .. string.rep("\7", 60),
    "\21\254\253\0\1\0\0\0\0\0\1\0\2\2\40",
    "\23\254\253\0\1\0\0\0\0\0\2\0\32" .. string.rep("\9", 32),
    "\128\111\0\1\0\0\0\1\0\0\0\42" .. string.rep("\1", 100),
    "\129\200\0\6" .. string.rep("\0", 24),
  }
  for _ = 1, 20 do
    for _, j in ipairs(junk) do assert(u:try_send(j, cp.localAddress, cp.localPort)) end
  end
  H.waitFor(function()
    return stats_of(b, "transport").packetsUnvalidated >= before.packetsUnvalidated + 100
  end, "100 datagrams counted", 5000)
  local after = stats_of(b, "transport")
  eq(after.packetsUnvalidated - before.packetsUnvalidated, 100)
  eq(after.srtpAuthFailures, before.srtpAuthFailures, "never reached SRTP")
  eq(after.dtlsState, "connected", "DTLS untouched")
  u:close()
  local msg
  db.onmessage = function(m) msg = m.data end
  assert(da:send("still here"))
  H.waitFor(function() return msg end, "message")
  eq(msg, "still here")
end)

H.run()
