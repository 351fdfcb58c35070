-- udpMux: many peer connections on one shared UDP socket (runtime/io/rtc_io_mux.c),
-- demultiplexed by the ufrag of STUN requests and by remote address.
local H = dofile((arg[0]:match("^(.*)/") or ".") .. "/harness.lua")
local rtc, uv = H.rtc, H.uv
local test, eq, ok = H.test, H.eq, H.ok

local function counts() return rtc.core.debugCounts() end

local function udp_port(pc)
  for _, line in ipairs(pc.localDescription and
    (function(t) for l in pc.localDescription.sdp:gmatch("[^\r\n]+") do t[#t + 1] = l end return t end)({}) or {}) do
    local port = line:match("^a=candidate:%S+ 1 [Uu][Dd][Pp] %d+ 127%.0%.0%.%d+ (%d+) typ host")
    if port then return tonumber(port) end
  end
end

-- n pairs: a[i] on the shared socket (config ma), b[i] each on a socket of its own;
-- every pair echoes one message. Returns the pcs and their channels.
local function mux_pairs(n, ma, mb)
  local as, bs, das = {}, {}, {}
  local echoed = 0
  local co = {}
  for i = 1, n do
    local a, b = H.pair(ma, mb)
    as[i], bs[i] = a, b
    b.ondatachannel = function(ev)
      ev.channel.onmessage = function(m) ev.channel:send("echo " .. m.data) end
    end
    local dc = a:createDataChannel("c")
    das[i] = dc
    dc.onopen = function() dc:send(tostring(i)) end
    dc.onmessage = function(m)
      if m.data == "echo " .. i then echoed = echoed + 1 end
    end
    co[i] = rtc.spawn(function() assert(H.negotiate(a, b)) end)
  end
  H.waitFor(function() return echoed == n end, "every pair echoed (" .. n .. ")", 30000)
  return as, bs, das
end

local function udp_send(port, bytes)
  local s = uv.new_udp()
  assert(s:bind("127.0.0.1", 0))
  assert(s:try_send(bytes, "127.0.0.1", port))
  return s
end

test("many pcs on one shared socket reach separate-socket pcs; closing some keeps the socket", function()
  local before = counts().udpMuxSockets
  local as, _, das = mux_pairs(24, { udpMux = true, iceTcp = false }, { iceTcp = false })
  eq(counts().udpMuxSockets, before + 1, "one shared socket for all 24")
  local port = udp_port(as[1])
  ok(port, "a host candidate")
  for i = 2, #as do eq(udp_port(as[i]), port, "pc " .. i .. " on the shared port") end
  for i = 1, #as do eq(as[i].connectionState, "connected") end
  -- half of them close: the others keep talking on the same socket
  for i = 1, 12 do as[i]:close() end
  local got = 0
  for i = 13, 24 do
    das[i].onmessage = function(m) if m.data == "echo again" .. i then got = got + 1 end end
    das[i]:send("again" .. i)
  end
  H.waitFor(function() return got == 12 end, "echoes after closing half")
  eq(counts().udpMuxSockets, before + 1)
  for i = 13, 24 do as[i]:close() end
  H.waitFor(function() return counts().udpMuxSockets == before end, "the socket closes with its last pc")
end, 60000)

test("datagrams no pc claims are dropped and counted; the pcs carry on", function()
  local as, _, das = mux_pairs(3, { udpMux = true, iceTcp = false }, { iceTcp = false })
  local port = udp_port(as[1])
  local d0 = counts().udpMuxDropped
  -- a DTLS-looking record, and a STUN binding request naming a ufrag nobody has
  local junk = udp_send(port, "\22\254\253" .. string.rep("x", 40))
  local req = "\0\1\0\16\33\18\164\66" .. "abcdefghijkl" .. -- header, 16 bytes of attributes
    "\0\6\0\9" .. "nobody:xy" .. "\0\0\0"                 -- USERNAME, padded
  local stun = udp_send(port, req)
  H.waitFor(function() return counts().udpMuxDropped >= d0 + 2 end, "two drops counted")
  eq(counts().udpMuxDropped, d0 + 2)
  junk:close()
  stun:close()
  local got = 0
  for i = 1, 3 do
    das[i].onmessage = function(m) if m.data == "echo more" then got = got + 1 end end
    das[i]:send("more")
  end
  H.waitFor(function() return got == 3 end, "echoes after the junk")
end, 30000)

test("udpMux = port; two shared sockets carry one pair; an ICE restart re-indexes the ufrag", function()
  -- find a free port, then ask for it
  local s = uv.new_udp()
  assert(s:bind("127.0.0.1", 0))
  local port = s:getsockname().port
  s:close()
  rtc.sleep(5)
  local a, b = H.pair({ udpMux = port, iceTcp = false, gatherAddresses = { "127.0.0.1" } },
    { udpMux = true, iceTcp = false, gatherAddresses = { "127.0.0.2" } })
  local da = a:createDataChannel("c")
  local db
  b.ondatachannel = function(ev) db = ev.channel end
  assert(H.negotiate(a, b))
  H.waitFor(function() return da.readyState == "open" and db and db.readyState == "open" end, "open")
  eq(udp_port(a), port, "the asked-for port")
  local got
  db.onmessage = function(m) got = m.data end
  -- a restart: new ufrags; the new checks are routed by them
  local old = a.localDescription.sdp:match("a=ice%-ufrag:(%S+)")
  local offer = assert(a:createOffer({ iceRestart = true }))
  assert(a:setLocalDescription(offer))
  assert(b:setRemoteDescription(offer))
  assert(b:setLocalDescription(assert(b:createAnswer())))
  assert(a:setRemoteDescription(b.localDescription))
  local new = a.localDescription.sdp:match("a=ice%-ufrag:(%S+)")
  ok(new ~= old, "a new ufrag")
  H.waitFor(function() return a.iceConnectionState == "connected" or a.iceConnectionState == "completed" end,
    "reconnected")
  da:send("after restart")
  H.waitFor(function() return got == "after restart" end, "message after the restart")
  -- From an address nobody knows, a request naming the new ufrag reaches the pc (which
  -- refuses its integrity: not the mux's business); one naming the old one is dropped.
  local function request(ufrag)
    local u = ufrag .. ":zz"
    local pad = (4 - #u % 4) % 4
    local attrs = "\0\6" .. string.char(0, #u) .. u .. string.rep("\0", pad)
    return "\0\1" .. string.char(0, #attrs) .. "\33\18\164\66" .. "abcdefghijkl" .. attrs
  end
  local d0 = counts().udpMuxDropped
  local s1 = udp_send(port, request(old))
  H.waitFor(function() return counts().udpMuxDropped > d0 end, "the old ufrag's request dropped", 3000)
  local s2 = udp_send(port, request(new))
  rtc.sleep(50)
  eq(counts().udpMuxDropped, d0 + 1, "the new ufrag's request is not dropped")
  s1:close()
  s2:close()
end, 30000)

test("a forged request naming a pc's ufrag does not claim its source address", function()
  local as, _, das = mux_pairs(2, { udpMux = true, iceTcp = false }, { iceTcp = false })
  local port = udp_port(as[1])
  local ufrag = as[1].localDescription.sdp:match("a=ice%-ufrag:(%S+)")
  -- a binding request with the right ufrag and no valid MESSAGE-INTEGRITY: the pc gets
  -- it and its agent refuses it (no answer), so what follows from there stays unclaimed
  local u = ufrag .. ":zz"
  local pad = (4 - #u % 4) % 4
  local attrs = "\0\6" .. string.char(0, #u) .. u .. string.rep("\0", pad)
  local s = udp_send(port, "\0\1" .. string.char(0, #attrs) .. "\33\18\164\66" .. "abcdefghijkl" .. attrs)
  rtc.sleep(50)
  local d0 = counts().udpMuxDropped
  assert(s:try_send("\22\254\253" .. string.rep("x", 40), "127.0.0.1", port))
  H.waitFor(function() return counts().udpMuxDropped > d0 end, "the forger's DTLS record dropped", 3000)
  eq(counts().udpMuxDropped, d0 + 1)
  s:close()
  local got = 0
  for i = 1, 2 do
    das[i].onmessage = function(m) if m.data == "echo still" then got = got + 1 end end
    das[i]:send("still")
  end
  H.waitFor(function() return got == 2 end, "both pairs still echo")
end, 30000)

-- A coturn on loopback (a test dependency: tools/deps.sh): its port and a function
-- that stops it.
local function coturn()
  local probe = uv.new_udp()
  assert(probe:bind("127.0.0.1", 0))
  local port = probe:getsockname().port
  probe:close()
  local exited = false
  local handle, pid = uv.spawn("turnserver", { args = { "-n", "--no-cli", "--no-dtls", "--no-tls",
    "--listening-ip", "127.0.0.1", "--relay-ip", "127.0.0.1", "--listening-port", tostring(port),
    "--allow-loopback-peers", "--lt-cred-mech", "--user", "u:p", "--realm", "luartc",
    "--min-port", "41000", "--max-port", "41999", "--no-stdout-log", "--log-file", "/dev/null",
    "--simple-log" } }, function() exited = true end)
  assert(handle, "turnserver (coturn) could not start: " .. tostring(pid))
  rtc.sleep(300) -- listening by then; an earlier allocation request is retransmitted anyway
  return port, function()
    handle:kill("sigterm")
    H.waitFor(function() return exited end, "coturn exited", 5000)
    handle:close()
  end
end

-- A TURN server reached over UDP from a shared socket sees one client: one pc gets the
-- allocation, the others 437. Their refused requests must not take the server's
-- address, and with it the relayed datagrams of the pc that has the allocation: a's
-- echoes went to c once c had been refused (1 of 4 echoed, none dropped).
test("TURN over a shared socket: a refused allocation (437) leaves the relay to its pc", function()
  local port, stop = coturn()
  local good, err = pcall(function()
    local turn = { { urls = "turn:127.0.0.1:" .. port .. "?transport=udp", username = "u", credential = "p" } }
    local _, _, da, db = H.connected("relayed", nil,
      { udpMux = true, iceTcp = false, iceServers = turn, iceTransportPolicy = "relay" }, { iceTcp = false })
    db.onmessage = function(m) db:send(m.data) end
    local got = 0
    da.onmessage = function() got = got + 1 end
    da:send("1")
    H.waitFor(function() return got == 1 end, "an echo through the relay")
    local c = H.pc { udpMux = true, iceTcp = false, iceServers = turn }
    local errs = {}
    c.onicecandidateerror = function(ev) errs[#errs + 1] = ev.errorCode end
    c:createDataChannel("c")
    assert(c:setLocalDescription())
    H.waitFor(function() return c.iceGatheringState == "complete" end, "c gathered", 15000)
    eq(table.concat(errs, ","), "437", "c's allocation refused")
    for i = 2, 4 do
      da:send(tostring(i))
      rtc.sleep(100)
    end
    H.waitFor(function() return got == 4 end, "echoes through the relay after c was refused", 3000)
  end)
  stop()
  ok(good, err)
end, 30000)

test("udpMux option errors", function()
  local okk, err = pcall(rtc.RTCPeerConnection, { udpMux = "yes" })
  ok(not okk and tostring(err):find("udpMux"), "string refused", err)
  okk, err = pcall(rtc.RTCPeerConnection, { udpMux = 70000 })
  ok(not okk and tostring(err):find("udpMux"), "bad port refused", err)
end)

H.run()
