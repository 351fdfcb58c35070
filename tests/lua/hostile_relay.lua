-- A UDP relay between two luartc peers for the hostile tests: every candidate is
-- rewritten to point at the relay, so it sees (and may drop, capture or replay)
-- every datagram, and what it sends comes from the address the peer validated.
-- R.connect(a, b) negotiates a -> b through it (no trickling); R.a_to_b(data)
-- and R.b_to_a(data) are hooks returning false to drop; R.send_to_b(data) injects.
local H = ...
local uv = H.uv
local M = {}

local function via(sdp, port)
  return (sdp:gsub("(a=candidate:%S+ %d+ udp %d+ )%S+ %d+", "%1127.0.0.1 " .. port))
end

local function gathered(pc)
  H.waitFor(function() return pc.iceGatheringState == "complete" end, "gathering")
  return pc.localDescription
end

function M.new()
  local R = { ra = uv.new_udp(), rb = uv.new_udp() }
  assert(R.ra:bind("127.0.0.1", 0))
  assert(R.rb:bind("127.0.0.1", 0))
  R.ra:recv_start(function(_, data, from)
    if not data then return end
    R.a_addr = R.a_addr or from
    if R.a_to_b and R.a_to_b(data) == false then return end
    if R.b_addr then R.rb:try_send(data, R.b_addr.ip, R.b_addr.port) end
  end)
  R.rb:recv_start(function(_, data, from)
    if not data then return end
    R.b_addr = R.b_addr or from
    if R.b_to_a and R.b_to_a(data) == false then return end
    if R.a_addr then R.ra:try_send(data, R.a_addr.ip, R.a_addr.port) end
  end)
  function R.send_to_b(data) return R.rb:try_send(data, R.b_addr.ip, R.b_addr.port) end
  -- mangle(answer_sdp) may edit what a gets (a hostile a ignoring b's limits).
  function R.connect(a, b, mangle)
    assert(a:setLocalDescription(assert(a:createOffer())))
    local offer = gathered(a)
    assert(b:setRemoteDescription({ type = "offer", sdp = via(offer.sdp, R.rb:getsockname().port) }))
    assert(b:setLocalDescription(assert(b:createAnswer())))
    local sdp = via(gathered(b).sdp, R.ra:getsockname().port)
    if mangle then sdp = mangle(sdp) end
    assert(a:setRemoteDescription({ type = "answer", sdp = sdp }))
  end
  function R.close()
    R.ra:close()
    R.rb:close()
  end
  return R
end

return M
