-- A DTLS certificate that does not match the SDP fingerprint (a man in the middle
-- with its own certificate, or tampered signaling), in either description. Expected:
-- both sides end in connectionState "failed", no channel opens and no byte of data
-- is delivered either way. (failure_test.lua has the flipped-digit variant.)
local H = dofile((arg[0]:match("^(.*)/") or ".") .. "/harness.lua")
local rtc = H.rtc
local test, eq, ok = H.test, H.eq, H.ok

-- The fingerprint of another, real certificate: what a MITM would present.
local function other_fingerprint(desc)
  local fp = assert(rtc.generateCertificate()):getFingerprints()[1]
  local sdp, n = desc.sdp:gsub("a=fingerprint:[^\r\n]+", "a=fingerprint:" .. fp.algorithm .. " " .. fp.value)
  assert(n >= 1, "no fingerprint line")
  return { type = desc.type, sdp = sdp }
end

local function transport(pc)
  for _, s in pairs(pc:getStats()) do if s.type == "transport" then return s end end
end

local function run(which)
  local a, b = H.pair()
  local delivered, opened, states = 0, 0, {}
  local function watch(pc, name)
    pc.onconnectionstatechange = function() states[#states + 1] = name .. ":" .. pc.connectionState end
  end
  watch(a, "a")
  watch(b, "b")
  local da = a:createDataChannel("secret")
  da.onopen = function() opened = opened + 1 end
  da.onmessage = function() delivered = delivered + 1 end
  b.ondatachannel = function(ev)
    ev.channel.onopen = function() opened = opened + 1 end
    ev.channel.onmessage = function() delivered = delivered + 1 end
  end
  local offer = assert(a:createOffer())
  assert(a:setLocalDescription(offer))
  assert(b:setRemoteDescription(which == "offer" and other_fingerprint(offer) or offer))
  local answer = assert(b:createAnswer())
  assert(b:setLocalDescription(answer))
  assert(a:setRemoteDescription(which == "answer" and other_fingerprint(answer) or answer))
  H.waitFor(function() return a.connectionState == "failed" and b.connectionState == "failed" end,
    "both failed", 25000)
  eq(opened, 0, "no channel opened")
  eq(delivered, 0, "nothing delivered")
  local r1, _, nm = da:send("must not go")
  eq(r1, nil, "send refused")
  eq(nm, "ESTATE")
  for _, s in ipairs(states) do ok(not s:find("connected$"), "never connected", s) end
  eq(transport(a).dtlsState, "failed")
  eq(transport(b).dtlsState, "failed")
end

test("the answer's fingerprint belongs to another certificate: failed both sides, no data", function()
  run("answer")
end, 30000)

test("the offer's fingerprint belongs to another certificate: failed both sides, no data", function()
  run("offer")
end, 30000)

H.run()
