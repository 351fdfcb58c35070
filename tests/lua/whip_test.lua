-- rtc.whip: luartc publishing to a luartc WHIP endpoint (independent peers: see
-- tests/signaling/whip_*): offer/answer over HTTP, a data channel through the
-- session, bearer tokens, Link ICE servers, trickle with PATCH, DELETE.
local H = dofile((arg[0]:match("^(.*)/") or ".") .. "/harness.lua")
local rtc = H.rtc
local whip = rtc.whip
local http = rtc.http
local test, eq, ok = H.test, H.eq, H.ok

local function endpoint(extra)
  local o = {
    port = 0, token = "s3cret", config = { gatherAddresses = H.LOCAL },
    iceServers = { { urls = "stun:stun.example.org:3478" }, { urls = "turn:turn.example.org", username = "u", credential = "p" } },
    onsession = function(pc)
      pc.ondatachannel = function(ev)
        ev.channel.onmessage = function(m) ev.channel:send("echo " .. m.data) end
      end
    end,
  }
  for k, v in pairs(extra or {}) do o[k] = v end
  return assert(whip.listen(o))
end

local function publish(srv, trickle)
  local pc = H.pc()
  local dc = pc:createDataChannel("whip")
  local got
  dc.onmessage = function(m) got = m.data end
  local s = assert(whip.publish("http://127.0.0.1:" .. srv.port .. "/whip", pc, { token = "s3cret", trickle = trickle }))
  ok(s.url:match("^http://127%.0%.0%.1:%d+/whip/%w+$"), "session URL", s.url)
  H.waitFor(function() return dc.readyState == "open" end, "channel open", 10000)
  dc:send("hi")
  H.waitFor(function() return got end, "echo")
  eq(got, "echo hi")
  return s, pc
end

test("publish a data channel; DELETE ends the session on both sides", function()
  local srv = endpoint()
  local s, pc = publish(srv, false)
  eq(#s.iceServers, 2)
  eq(s.iceServers[1].urls, "stun:stun.example.org:3478")
  eq(s.iceServers[2].username, "u")
  eq(s.iceServers[2].credential, "p")
  local spc
  for _, x in pairs(srv.sessions) do spc = x.pc end
  assert(s:close())
  eq(pc.signalingState, "closed")
  eq(spc.signalingState, "closed")
  eq(next(srv.sessions), nil)
  srv.close()
  http.closeIdle()
end)

test("trickle: POST at once, candidates follow with PATCH", function()
  local srv = endpoint()
  local s = publish(srv, true)
  assert(s:close())
  srv.close()
  http.closeIdle()
end)

test("ICE restart with PATCH: new credentials both ways, the channel carries on", function()
  local srv = endpoint()
  local s, pc = publish(srv, false)
  local old_local = pc.localDescription.sdp:match("a=ice%-ufrag:(%S+)")
  local old_remote = pc.remoteDescription.sdp:match("a=ice%-ufrag:(%S+)")
  local etag = s.etag
  assert(s:restartIce())
  ok(pc.localDescription.sdp:match("a=ice%-ufrag:(%S+)") ~= old_local, "our ufrag changed")
  ok(pc.remoteDescription.sdp:match("a=ice%-ufrag:(%S+)") ~= old_remote, "their ufrag changed")
  ok(s.etag ~= etag, "a new ETag")
  eq(pc.signalingState, "stable")
  local got
  local ch = pc:createDataChannel("after-restart")
  ch.onmessage = function(m) got = m.data end
  H.waitFor(function() return ch.readyState == "open" end, "a channel after the restart", 10000)
  ch:send("again")
  H.waitFor(function() return got end, "echo after restart", 10000)
  eq(got, "echo again")
  H.waitFor(function() return pc.iceConnectionState == "connected" or pc.iceConnectionState == "completed" end, "ICE")
  assert(s:close())
  srv.close()
  http.closeIdle()
end)

test("WHEP: rtc.whep.play against an endpoint at /whep", function()
  local srv = endpoint({ path = "/whep" })
  local pc = H.pc()
  local dc = pc:createDataChannel("whep")
  local got
  dc.onmessage = function(m) got = m.data end
  local s = assert(rtc.whep.play("http://127.0.0.1:" .. srv.port .. "/whep", pc, { token = "s3cret" }))
  ok(s.url:match("/whep/%w+$"), "session URL", s.url)
  H.waitFor(function() return dc.readyState == "open" end, "open", 10000)
  dc:send("w")
  H.waitFor(function() return got end, "echo")
  eq(got, "echo w")
  assert(s:close())
  srv.close()
  http.closeIdle()
end)

test("refusals: no token 401, wrong type 415, GET 405, unknown session 404, bad SDP 400", function()
  local srv = endpoint()
  local url = "http://127.0.0.1:" .. srv.port .. "/whip"
  local r = assert(http.request(url, { method = "POST", headers = { ["Content-Type"] = "application/sdp" }, body = "v=0" }))
  eq(r.status, 401)
  local auth = { Authorization = "Bearer s3cret", ["Content-Type"] = "text/plain" }
  eq(assert(http.request(url, { method = "POST", headers = auth, body = "x" })).status, 415)
  eq(assert(http.request(url, { headers = auth })).status, 405)
  eq(assert(http.request(url .. "/nope", { method = "DELETE", headers = auth })).status, 404)
  auth["Content-Type"] = "application/sdp"
  eq(assert(http.request(url, { method = "POST", headers = auth, body = "not sdp" })).status, 400)
  local pre = assert(http.request(url, { method = "OPTIONS" }))
  eq(pre.status, 204)
  eq(pre.headers["access-control-allow-origin"], "*")
  ok(pre.headers["access-control-allow-methods"]:find("PATCH"), "methods")
  srv.close()
  http.closeIdle()
end)

test("Link headers and sdpfrags parse", function()
  local l = whip.parseLinks('<stun:a.example:3478>; rel="ice-server", <turn:b.example?transport=udp>; rel="ice-server"; ' ..
    'username="x,y"; credential="c"; credential-type="password", <https://x>; rel="other"')
  eq(#l, 2)
  eq(l[2].urls, "turn:b.example?transport=udp")
  eq(l[2].username, "x,y")
  local f = whip.parseSdpfrag("a=ice-ufrag:EsAw\r\na=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\nm=audio 9 RTP/AVP 0\r\n" ..
    "a=mid:0\r\na=candidate:1387637174 1 udp 2122260223 192.0.2.1 61764 typ host generation 0 ufrag EsAw network-id 1\r\n" ..
    "a=end-of-candidates\r\n")
  eq(f.ufrag, "EsAw")
  eq(#f.candidates, 1)
  eq(f.candidates[1].sdpMid, "0")
  ok(f.candidates[1].candidate:match("^candidate:1387637174 1 udp"), "candidate")
  eq(f.ended, true)
end)

H.run()
