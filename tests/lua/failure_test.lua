-- Failures that must not deliver anything: a tampered fingerprint.
local H = dofile((arg[0]:match("^(.*)/") or ".") .. "/harness.lua")
local rtc = H.rtc
local test, eq, ok = H.test, H.eq, H.ok

-- Flips the first hex digit of the a=fingerprint value.
local function tamper(desc)
  local sdp, n = desc.sdp:gsub("(a=fingerprint:sha%-256 )(%x)", function(p, c)
    return p .. (c == "A" and "B" or "A")
  end, 1)
  assert(n == 1, "no fingerprint line in the answer")
  return { type = desc.type, sdp = sdp }
end

test("a fingerprint mismatch ends in connectionState failed, nothing delivered", function()
  local a, b = H.pair()
  local da = a:createDataChannel("secret")
  local delivered, opened = 0, 0
  da.onopen = function()
    opened = opened + 1
    da:send("must not arrive")
  end
  b.ondatachannel = function(ev)
    ev.channel.onopen = function() opened = opened + 1 end
    ev.channel.onmessage = function() delivered = delivered + 1 end
  end
  local states = {}
  a.onconnectionstatechange = function() states[#states + 1] = a.connectionState end
  assert(H.negotiate(a, b, tamper))
  H.waitFor(function() return a.connectionState == "failed" end, "a failed", 20000)
  eq(delivered, 0)
  eq(opened, 0)
  ok(da.readyState ~= "open", "channel never open")
  for _, s in ipairs(states) do ok(s ~= "connected", "never connected") end
end, 30000)

H.run()
