-- Hostile descriptions and candidates: each one gives nil, message, NAME; the
-- connection is unchanged (same state, same descriptions) and connects afterwards.
local H = dofile((arg[0]:match("^(.*)/") or ".") .. "/harness.lua")
local test, eq, ok = H.test, H.eq, H.ok

-- a's offer, with its candidates (gathering done): the base every case edits.
local function offer_of(a)
  a:createDataChannel("x")
  assert(a:setLocalDescription(assert(a:createOffer())))
  H.waitFor(function() return a.iceGatheringState == "complete" end, "gathering")
  return a.localDescription.sdp
end

local function cands(n)
  local t = {}
  for i = 1, n do
    t[i] = ("a=candidate:%d 1 udp 2122260223 10.%d.%d.%d %d typ host\r\n")
      :format(i, math.floor(i / 65536) % 256, math.floor(i / 256) % 256, i % 256, 10000 + i % 50000)
  end
  return table.concat(t)
end

-- Expects a refusal with a message and a NAME; b's state and descriptions unchanged.
local function refused(b, what, sdp, name)
  local state, rd = b.signalingState, b.remoteDescription
  local r, err, nm = b:setRemoteDescription({ type = "offer", sdp = sdp })
  eq(r, nil, what .. ": refused")
  ok(type(err) == "string" and #err > 10 and #err < 300, what .. ": a short clear message", tostring(err))
  if name then eq(nm, name, what .. ": NAME") end
  eq(b.signalingState, state, what .. ": signaling state unchanged")
  eq(b.remoteDescription, rd, what .. ": remote description unchanged")
  return err
end

test("oversized and malformed SDP: nil, message, NAME; the pc is unchanged and connects", function()
  local a, b = H.pair()
  local sdp = offer_of(a)
  ok(sdp:find("a=candidate:"), "offer has candidates")
  local m = sdp:match("(m=application.*)$")
  local many_m = {}
  for i = 1, 3000 do many_m[i] = (m:gsub("a=mid:[^\r\n]*", "a=mid:m" .. i)) end
  local many_attrs = string.rep("a=x-junk:1\r\n", 2000)
  local cases = {
    { "a 1 MiB line (above maxSdpSize)", sdp:gsub("(a=ice%-ufrag)", "a=x-junk:" .. string.rep("A", 1024 * 1024) .. "\r\n%1", 1), "ELIMIT", "maxSdpSize" },
    { "5,000 candidates", (sdp:gsub("(a=ice%-ufrag)", cands(5000) .. "%1", 1)), "ELIMIT" },
    { "3,000 m-lines", sdp .. table.concat(many_m), "ELIMIT" },
    { "2,000 attributes in one m-section", (sdp:gsub("(a=ice%-ufrag)", many_attrs .. "%1", 1)), "ELIMIT" },
    { "a fingerprint that is not hex", (sdp:gsub("a=fingerprint:sha%-256 %x%x", "a=fingerprint:sha-256 Z/")), "EINVAL", "fingerprint" },
    { "a truncated fingerprint", (sdp:gsub("a=fingerprint:sha%-256 [%x:]+", "a=fingerprint:sha-256 AB:CD")), "EINVAL", "fingerprint" },
    { "an unknown fingerprint algorithm", (sdp:gsub("a=fingerprint:sha%-256", "a=fingerprint:md5")), nil, "fingerprint" },
    { "no fingerprint", (sdp:gsub("a=fingerprint:[^\r\n]*\r\n", "")), "EINVAL", "fingerprint" },
    { "no ice-ufrag", (sdp:gsub("a=ice%-ufrag:[^\r\n]*\r\n", "")), "EINVAL", "ice%-ufrag" },
    { "no ice-pwd", (sdp:gsub("a=ice%-pwd:[^\r\n]*\r\n", "")), "EINVAL", "ice%-pwd" },
    { "binary garbage", string.rep("\0\255\13\10", 500), "EINVAL" },
    { "an empty string", "", "EINVAL" },
    { "no v= line", (sdp:gsub("^v=0\r\n", "")), "EPARSE" },
  }
  for _, c in ipairs(cases) do
    local err = refused(b, c[1], c[2], c[3])
    if c[4] then ok(err:find(c[4]), c[1] .. ": the message names the problem", err) end
  end
  -- the same pc still negotiates and connects
  local db
  b.ondatachannel = function(ev) db = ev.channel end
  assert(b:setRemoteDescription({ type = "offer", sdp = sdp }))
  assert(b:setLocalDescription(assert(b:createAnswer())))
  assert(a:setRemoteDescription(b.localDescription))
  H.waitFor(function() return db and db.readyState == "open" end, "channel open")
end)

test("maxSdpSize: the limit is the configured one", function()
  local a = H.pc()
  local b = H.pc { maxSdpSize = 2000 }
  local sdp = offer_of(a)
  ok(#sdp < 2000, "offer fits", #sdp)
  local padded = sdp:gsub("(a=ice%-ufrag)", "a=x-pad:" .. string.rep("p", 2000 - #sdp) .. "\r\n%1", 1)
  ok(#padded > 2000, "padded over", #padded)
  local err = refused(b, "over maxSdpSize", padded, "ELIMIT")
  ok(err:find("2000", 1, true), "names the limit", err)
  assert(b:setRemoteDescription({ type = "offer", sdp = sdp }))
  ok(not pcall(H.pc, { maxSdpSize = -1 }), "a negative limit raises")
end)

test("maxRemoteCandidates: trickled candidates past the limit give nil, ELIMIT; ICE goes on", function()
  local a, b = H.pc(), H.pc { maxRemoteCandidates = 8 } -- no trickling: we count
  local sdp = offer_of(a)
  assert(b:setRemoteDescription({ type = "offer", sdp = sdp }))
  local n0 = select(2, sdp:gsub("a=candidate:", ""))
  local added, err, name = n0, nil, nil
  for i = 1, 1000 do
    local c = ("candidate:%d 1 udp 2122260223 10.9.%d.%d %d typ host"):format(900 + i, math.floor(i / 256), i % 256, 20000 + i)
    local r, e, nm = b:addIceCandidate({ candidate = c, sdpMid = "0" })
    if not r then
      err, name = e, nm
      break
    end
    added = added + 1
  end
  eq(added, 8, "accepted up to the limit")
  eq(name, "ELIMIT")
  ok(err:find("maxRemoteCandidates", 1, true), "says which limit", err)
  -- the connection still comes up over the candidates it has (a's are among the first)
  local db
  b.ondatachannel = function(ev) db = ev.channel end
  assert(b:setLocalDescription(assert(b:createAnswer())))
  H.waitFor(function() return b.iceGatheringState == "complete" end, "gathering")
  assert(a:setRemoteDescription(b.localDescription))
  H.waitFor(function() return db and db.readyState == "open" end, "channel open")
  ok(not pcall(H.pc, { maxRemoteCandidates = 65 }), "above the agent's table raises")
end)

H.run()
