-- Failures that must not deliver anything: a tampered fingerprint.
local H = dofile((arg[0]:match("^(.*)/") or ".") .. "/harness.lua")
local rtc, uv = H.rtc, H.uv
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

-- Every socket fails to bind (an address this host does not have; the same happens at
-- the descriptor limit): gathering ends with no candidate. That pc fails as soon as
-- the peer's end-of-candidates says nothing more can come, and the peer, which got
-- end-of-candidates and no candidate, fails when its grace period (10 s) is over,
-- instead of both staying "new" for good.
test("no local candidate at all: failed, and the peer that got none fails too", function()
  local a, b = H.pair({ gatherAddresses = { "192.0.2.1" }, iceTcp = false }, { iceTcp = false })
  local t0 = uv.hrtime()
  local failed_at = {}
  for name, pc in pairs({ a = a, b = b }) do
    pc.onconnectionstatechange = function()
      if pc.connectionState == "failed" then failed_at[name] = (uv.hrtime() - t0) / 1e6 end
    end
  end
  a:createDataChannel("x")
  assert(H.negotiate(a, b))
  H.waitFor(function() return failed_at.a ~= nil end, "a failed", 5000)
  eq(a.iceConnectionState, "failed")
  eq(a.iceGatheringState, "complete")
  H.waitFor(function() return failed_at.b ~= nil end, "b failed", 15000)
  eq(b.iceConnectionState, "failed")
  ok(failed_at.b >= 9000, "b had its grace period", failed_at.b)
  print(string.format("  a failed after %.0f ms, b after %.0f ms", failed_at.a, failed_at.b))
end, 30000)

H.run()
