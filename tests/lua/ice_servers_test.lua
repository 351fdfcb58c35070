-- iceServers: what RTCPeerConnection accepts and refuses; an unreachable STUN server
-- ends in icecandidateerror 701 and gathering still completes (loopback only).
local H = dofile((arg[0]:match("^(.*)/") or ".") .. "/harness.lua")
local rtc, uv = H.rtc, H.uv
local test, eq, ok = H.test, H.eq, H.ok

test("accepted forms: urls string or list, several servers, turn with credentials", function()
  local pc = H.pc { iceServers = {
    { urls = "stun:127.0.0.1:3478" },
    { urls = { "stun:[::1]", "turn:127.0.0.1?transport=udp" }, username = "u", credential = "p" },
  } }
  ok(pc, "created")
end)

test("refused: bad scheme, turn without credentials, bad query, too many URLs", function()
  for _, servers in ipairs {
    { { urls = "http://x" } },
    { { urls = "turn:127.0.0.1" } },
    { { urls = "stun:x?transport=udp" } },
    { { urls = 42 } },
    { { urls = { "stun:a", "stun:b", "stun:c", "stun:d", "stun:e", "stun:f", "stun:g", "stun:h", "stun:i" } } },
  } do
    local good, err = pcall(rtc.RTCPeerConnection, { iceServers = servers, gatherAddresses = H.LOCAL })
    ok(not good, "refused", tostring(servers[1].urls))
    ok(type(err) == "string" and #err > 0, "with a message")
  end
end)

test("unreachable STUN server: icecandidateerror 701, then gathering completes", function()
  -- A UDP port nobody answers on: bind it ourselves and never reply.
  local sink = uv.new_udp()
  assert(sink:bind("127.0.0.1", 0))
  local port = sink:getsockname().port
  local url = "stun:127.0.0.1:" .. port
  local pc = H.pc { iceServers = { { urls = url } } }
  local errs, srflx = {}, 0
  pc.onicecandidateerror = function(ev) errs[#errs + 1] = ev end
  pc.onicecandidate = function(ev)
    if ev.candidate and ev.candidate.candidate:find("typ srflx") then srflx = srflx + 1 end
  end
  pc:createDataChannel("x")
  pc:setLocalDescription()
  rtc.sleep(100)
  eq(pc.iceGatheringState, "gathering", "waits for the server")
  H.waitFor(function() return pc.iceGatheringState == "complete" end, "gathering complete", 15000)
  eq(#errs, 1)
  eq(errs[1].errorCode, 701)
  eq(errs[1].url, url)
  eq(errs[1].address, "127.0.0.1")
  ok(errs[1].port > 0, "port of the local socket")
  ok(#errs[1].errorText > 0, "errorText")
  eq(srflx, 0)
  sink:close()
end, 30000)

H.run()
