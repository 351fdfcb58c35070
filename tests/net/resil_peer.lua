-- One of the two peers of tests/net/resilience.sh, each in its own network namespace,
-- signalling through files in a shared directory (full SDP after gathering; offer.N /
-- answer.N for the N-th negotiation). A drives: it sets the impairment through netem's
-- control fifo, sends on a reliable ordered channel "bulk" and checks what both saw.
-- B answers every offer, checks each message against what A sends (index and bytes,
-- in order) and reports at the END marker; it logs its state changes to <dir>/events-B.
--
-- Usage: luartc resil_peer.lua A <dir> <mode> <fifo> <address|auto> [bytes]
--        luartc resil_peer.lua B <dir> <address>
-- Modes: clean (bytes, no impairment), lossy (bytes, 10% loss, 100 ms delay, jitter),
--        cut8, cut40, move (A changes its address, restartIce), switch and switchb (env
--        RESIL_TURN on both: the direct path is preferred; once it dies the pair moves to
--        the relay by itself, no restartIce, and back when it returns; switchb: B offers,
--        so B is the controlling ICE agent). A prints "ok ..." / "FAIL ..." lines and
--        "figure ..." lines with what it measured.
--        luartc resil_peer.lua B <dir> <address> offer   (switchb: B offers)
local rtc = require "rtc"
local uv = require "luv"
local role, dir = arg[1], arg[2]
local CHUNK = 16384

local function now_ms() return uv.hrtime() / 1e6 end -- CLOCK_MONOTONIC: one clock for both
local function say(s)
  print(s)
  io.stdout:flush()
end
local function read_file(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return s
end
local function write_file(path, s)
  local f = assert(io.open(path .. ".tmp", "wb"))
  f:write(s)
  f:close()
  assert(os.rename(path .. ".tmp", path))
end
local function wait_for(pred, ms)
  local deadline = now_ms() + ms
  while not pred() do
    if now_ms() > deadline then return false end
    rtc.sleep(10)
  end
  return true
end
local function wait_file(path, ms)
  local s
  wait_for(function() s = read_file(path) return s ~= nil end, ms)
  return s
end

-- Message i of the stream: its index, then bytes that depend on it.
local function message(i)
  local head = string.format("%09d", i)
  return head .. string.rep(string.char(i % 251), CHUNK - #head)
end

local function new_pc(addr)
  -- "auto": every interface address, looked at again at an ICE restart (the move).
  -- RESIL_TURN: a TURN server besides the direct path (mode relay).
  local turn = os.getenv("RESIL_TURN")
  local pc = assert(rtc.RTCPeerConnection {
    gatherAddresses = addr ~= "auto" and { addr } or nil,
    iceServers = turn and { { urls = turn, username = "u", credential = "p" } } or nil,
  })
  local events = {}
  local function log(kind, state)
    events[#events + 1] = { t = now_ms(), kind = kind, state = state }
    return state
  end
  pc.oniceconnectionstatechange = function() log("ice", pc.iceConnectionState) end
  pc.onconnectionstatechange = function() log("conn", pc.connectionState) end
  return pc, events, log
end

local function gathered(pc)
  return wait_for(function() return pc.iceGatheringState == "complete" end, 20000)
end

---------------------------------------------------------------------------
-- The selected candidate pair and its local candidate (getStats: the transport names
-- the pair, the pair its candidates).
local function selected_stats(report)
  for _, s in pairs(report) do
    if s.type == "transport" and s.selectedCandidatePairId then
      local cp = report[s.selectedCandidatePairId]
      return cp, cp and report[cp.localCandidateId]
    end
  end
end

-- The selected pair as "host" (the direct path) or "relay" (through the TURN server).
local function pair_kind(pc)
  local cp, lc = selected_stats(pc:getStats())
  local typ, remote = lc and lc.candidateType, cp and cp.remoteAddress
  if not typ then return nil end
  return (typ == "relay" or remote == "10.77.2.1" or remote == "10.77.1.1") and "relay" or "host"
end

if role == "B" then
  local addr, offers = arg[3], arg[4] == "offer"
  local pc, events, log = new_pc(addr)
  local ef = assert(io.open(dir .. "/events-B", "w"))
  local logged = 0
  local function flush_events()
    for i = logged + 1, #events do
      ef:write(string.format("%.1f %s %s\n", events[i].t, events[i].kind, events[i].state))
    end
    logged = #events
    ef:flush()
  end
  local function attach(dc)
    local n, bytes, bad = 0, 0, nil
    dc.onmessage = function(m)
      local d = m.data
      if d:sub(1, 3) == "END" then
        local want = tonumber(d:sub(4))
        local verdict = bad and ("bad " .. bad) or (n == want and "ok" or ("bad count " .. n .. " of " .. want))
        dc:send(string.format("GOT %d %d %s", n, bytes, verdict))
        return
      end
      if not bad and d ~= message(n) then
        bad = string.format("message %d differs (index %s)", n, d:sub(1, 9))
      end
      n = n + 1
      bytes = bytes + #d
    end
  end
  pc.ondatachannel = function(ev) attach(ev.channel) end
  local k = 1
  if offers then
    -- Mode switchb: B offers (B is the controlling ICE agent), a negotiated channel.
    attach(pc:createDataChannel("bulk", { negotiated = true, id = 0 }))
    assert(pc:setLocalDescription())
    gathered(pc)
    write_file(dir .. "/offer.1", pc.localDescription.sdp)
    assert(pc:setRemoteDescription { type = "answer", sdp = wait_file(dir .. "/answer.1", 30000) })
    k = 2
  end
  local kind, next_poll = nil, 0
  while not read_file(dir .. "/quit") do
    if now_ms() >= next_poll then -- the selected pair, logged as it changes
      next_poll = now_ms() + 100
      local k2 = pair_kind(pc)
      if k2 and k2 ~= kind then kind = log("pair", k2) end
    end
    local offer = read_file(dir .. "/offer." .. k)
    if offer then
      assert(pc:setRemoteDescription { type = "offer", sdp = offer })
      assert(pc:setLocalDescription())
      gathered(pc)
      write_file(dir .. "/answer." .. k, pc.localDescription.sdp)
      k = k + 1
    end
    flush_events()
    rtc.sleep(20)
  end
  flush_events()
  ef:close()
  pc:close()
  return
end

---------------------------------------------------------------------------
-- A: the driver.
local mode, fifo, addr, total = arg[3], arg[4], arg[5], tonumber(arg[6] or 0)
local passed, failed = 0, 0
local function check(cond, what)
  if cond then passed = passed + 1 say("ok   " .. what)
  else failed = failed + 1 say("FAIL " .. what) end
  return cond
end
local function figure(s) say("figure " .. mode .. " " .. s) end
local function netem(s)
  local f = assert(io.open(fifo, "w"))
  f:write(s .. "\n")
  f:close()
end

local pc, events, log = new_pc(addr)
local b_offers = mode == "switchb"
local dc = b_offers and pc:createDataChannel("bulk", { negotiated = true, id = 0 }) or pc:createDataChannel("bulk")
local replies = {}
dc.onmessage = function(m) replies[#replies + 1] = m.data end

-- W3C RTCIceTransport.onselectedcandidatepairchange: counted from the negotiation
-- that makes the transport (pc.sctp) on, before any pair can be selected.
local pair_events
local function watch_pairs()
  if pair_events or not pc.sctp then return end
  pair_events = 0
  pc.sctp.transport.iceTransport:addEventListener("selectedcandidatepairchange",
    function() pair_events = pair_events + 1 end)
end

local round = 0
local function negotiate()
  round = round + 1
  if b_offers then -- B offers, A answers (A is the controlled ICE agent)
    local offer = wait_file(dir .. "/offer." .. round, 30000)
    if not offer then return false end
    assert(pc:setRemoteDescription { type = "offer", sdp = offer })
    assert(pc:setLocalDescription())
    watch_pairs()
    gathered(pc)
    write_file(dir .. "/answer." .. round, pc.localDescription.sdp)
    return true
  end
  assert(pc:setLocalDescription())
  gathered(pc)
  write_file(dir .. "/offer." .. round, pc.localDescription.sdp)
  local answer = wait_file(dir .. "/answer." .. round, 30000)
  if not answer then return false end
  assert(pc:setRemoteDescription { type = "answer", sdp = answer })
  watch_pairs()
  return true
end

local function finish()
  write_file(dir .. "/quit", "1")
  rtc.sleep(300) -- B writes its last events
  pc:close()
  say(string.format("RESULT passed=%d failed=%d", passed, failed))
  rtc.exit(failed == 0 and 0 or 1)
end

netem("loss=0 delay=0 jitter=0 cut=0")
if not check(negotiate() and wait_for(function() return dc.readyState == "open" end, 20000),
  mode .. ": connected, channel open (" .. pc.connectionState .. ")") then
  finish()
end

-- The stream: message after message while the channel takes them (at most 1 MiB
-- buffered); paced to rate_kbs when given, so the test leaves CPU to the others.
local sent = 0
local function send_until(pred, rate_kbs)
  local t0 = now_ms()
  while not pred() do
    if dc.readyState ~= "open" then return false end
    local allowed = rate_kbs and ((now_ms() - t0) * rate_kbs / 1000 * 1024 / CHUNK) or math.huge
    if dc.bufferedAmount < 1024 * 1024 and (sent < allowed + 1 and (not total or total == 0 or sent * CHUNK < total)) then
      if dc:send(message(sent)) then sent = sent + 1 end
    else
      rtc.sleep(5)
    end
  end
  return true
end

-- END marker and B's verdict; returns the verdict line or nil.
local function end_and_verdict(ms)
  dc:send("END" .. sent)
  if not wait_for(function() return #replies > 0 end, ms) then return nil end
  return replies[#replies]
end

local function first_after(evs, t0, kind, state)
  for _, e in ipairs(evs) do
    if e.t >= t0 and e.kind == kind and e.state == state then return (e.t - t0) / 1000 end
  end
end

local function b_events()
  local evs = {}
  for line in (read_file(dir .. "/events-B") or ""):gmatch("[^\n]+") do
    local t, kind, state = line:match("^(%S+) (%S+) (%S+)$")
    evs[#evs + 1] = { t = tonumber(t), kind = kind, state = state }
  end
  return evs
end

local function selected_local()
  local cp = selected_stats(pc:getStats())
  if cp then return cp.localAddress, cp.currentRoundTripTime end
end

-- The selected pair: our candidate's type, the remote address.
local function selected_pair()
  local cp, lc = selected_stats(pc:getStats())
  return lc and lc.candidateType, cp and cp.remoteAddress
end

local function is_connected(s) return s == "connected" or s == "completed" end

if mode == "clean" or mode == "lossy" then
  if mode == "lossy" then netem("loss=10 delay=100 jitter=30") end
  local t0 = now_ms()
  send_until(function() return sent * CHUNK >= total end)
  local verdict = end_and_verdict(math.max(60000, total / 4)) -- 4 KB/s at worst
  local secs = (now_ms() - t0) / 1000
  netem("loss=0 delay=0 jitter=0")
  check(verdict == string.format("GOT %d %d ok", sent, sent * CHUNK),
    string.format("%s: %d bytes over a reliable ordered channel, every byte and the order checked by B (%s)",
      mode, sent * CHUNK, tostring(verdict)))
  figure(string.format("bytes=%d seconds=%.2f rate_kBps=%.1f", sent * CHUNK, secs, sent * CHUNK / 1024 / secs))
  check(pc.connectionState == "connected", mode .. ": still connected (" .. pc.connectionState .. ")")
elseif mode == "cut8" or mode == "cut40" then
  local cut_s = mode == "cut8" and 8 or 40
  local delay = "delay=20 jitter=0 loss=0"
  netem(delay)
  send_until(function() return sent * CHUNK >= 2 * 1024 * 1024 end, 1024)
  local t_cut = now_ms()
  netem("cut=1")
  local t_end = t_cut + cut_s * 1000
  send_until(function() return now_ms() >= t_end end, 1024)
  netem("cut=0")
  local t_back = now_ms()
  local da = first_after(events, t_cut, "ice", "disconnected")
  local dca = first_after(events, t_cut, "conn", "disconnected")
  check(da and da >= 4 and da <= 7.5, string.format("%s: A's iceConnectionState disconnected %.2f s into the cut (RFC 7675: ~5 s)", mode, da or -1))
  check(dca and dca >= 4 and dca <= 7.5, string.format("%s: A's connectionState disconnected %.2f s into the cut", mode, dca or -1))
  figure(string.format("A_disconnected_s=%.2f", da or -1))
  if mode == "cut8" then
    check(first_after(events, t_cut, "conn", "failed") == nil, "cut8: not failed")
    wait_for(function() return is_connected(pc.iceConnectionState) and pc.connectionState == "connected" end, 15000)
    local ca = first_after(events, t_back, "conn", "connected")
    check(ca ~= nil, string.format("cut8: A connected again %.2f s after the link came back", ca or -1))
    -- More data after the cut, then everything checked.
    local more = now_ms() + 2000
    send_until(function() return now_ms() >= more end, 1024)
    local verdict = end_and_verdict(60000)
    local t_done = (now_ms() - t_back) / 1000
    check(verdict == string.format("GOT %d %d ok", sent, sent * CHUNK),
      string.format("cut8: nothing lost: %d messages (%d bytes) sent across the cut, B checked each in order (%s)",
        sent, sent * CHUNK, tostring(verdict)))
    local evb = b_events()
    local db, cb = first_after(evb, t_cut, "conn", "disconnected"), first_after(evb, t_back, "conn", "connected")
    check(db and db >= 4 and db <= 7.5 and cb ~= nil,
      string.format("cut8: B disconnected %.2f s into the cut, connected %.2f s after it", db or -1, cb or -1))
    check(first_after(evb, t_cut, "conn", "failed") == nil, "cut8: B not failed")
    figure(string.format("A_connected_after_s=%.2f B_disconnected_s=%.2f B_connected_after_s=%.2f all_delivered_after_s=%.2f",
      ca or -1, db or -1, cb or -1, t_done))
  else
    local fa = first_after(events, t_cut, "conn", "failed")
    local fia = first_after(events, t_cut, "ice", "failed")
    check(fa and fa >= 25 and fa <= 35, string.format("cut40: A's connectionState failed %.2f s into the cut (RFC 7675: ~30 s)", fa or -1))
    check(fia and fia >= 25 and fia <= 35, string.format("cut40: A's iceConnectionState failed %.2f s into the cut", fia or -1))
    rtc.sleep(3000) -- the link is back: failed stays failed (consent is not regained)
    check(pc.connectionState == "failed", "cut40: still failed 3 s after the link came back (" .. pc.connectionState .. ")")
    local evb = b_events()
    local fb = first_after(evb, t_cut, "conn", "failed")
    check(fb and fb >= 25 and fb <= 35, string.format("cut40: B failed %.2f s into the cut", fb or -1))
    figure(string.format("A_failed_s=%.2f B_failed_s=%.2f", fa or -1, fb or -1))
  end
elseif mode == "move" then
  netem("delay=20")
  local old_addr = selected_local()
  send_until(function() return sent * CHUNK >= 1024 * 1024 end, 1024)
  -- A moves: a new address on its interface, the old one gone (as a DHCP renewal or a
  -- roaming laptop would); its socket on the old address is now useless.
  local t_move = now_ms()
  os.execute("ip addr add 10.77.1.3/24 dev a0 && ip addr del 10.77.1.2/24 dev a0 && " ..
    "(ip route show default | grep -q . || ip route add default via 10.77.1.1)")
  local sent_before = sent
  send_until(function() return now_ms() >= t_move + 1000 end, 1024)
  local nn = false
  pc.onnegotiationneeded = function() nn = true end
  local t_restart = now_ms()
  pc:restartIce()
  check(wait_for(function() return nn end, 2000), "move: restartIce fired negotiationneeded")
  local old_ufrag = pc.currentLocalDescription.sdp:match("a=ice%-ufrag:(%S+)")
  check(negotiate(), "move: the restart offer was answered")
  check(pc.currentLocalDescription.sdp:match("a=ice%-ufrag:(%S+)") ~= old_ufrag, "move: new ICE credentials")
  check(pc.currentLocalDescription.sdp:find("10%.77%.1%.3 %d+ typ host") ~= nil,
    "move: the new address is a host candidate of the restart offer")
  wait_for(function() return is_connected(pc.iceConnectionState) and pc.connectionState == "connected" and
    selected_local() == "10.77.1.3" end, 15000)
  local t_up = (now_ms() - t_restart) / 1000
  local new_addr, rtt = selected_local()
  check(new_addr == "10.77.1.3", string.format("move: connected again over %s (was %s), %.2f s after restartIce",
    tostring(new_addr), tostring(old_addr), t_up))
  local more = now_ms() + 2000
  send_until(function() return now_ms() >= more end, 1024)
  local verdict = end_and_verdict(60000)
  check(verdict == string.format("GOT %d %d ok", sent, sent * CHUNK),
    string.format("move: the same channel carried on (DTLS/SCTP kept): %d messages, %d sent before the move, B checked each in order (%s)",
      sent, sent_before, tostring(verdict)))
  check(dc.readyState == "open" and pc.connectionState == "connected", "move: channel open, connected")
  figure(string.format("reconnected_after_restartIce_s=%.2f move_to_all_delivered_s=%.2f rtt_ms=%.0f", t_up,
    (now_ms() - t_move) / 1000, (rtt or 0) * 1000))
elseif mode == "switch" or mode == "switchb" then
  -- Direct + relay, the direct path dies, NO restartIce: the pair moves to the relay
  -- by itself, and back to the direct path when it returns. The relay path does not
  -- cross netem. switch: A controls ICE (it offers); switchb: B does.
  local who = mode == "switch" and "A controlling" or "B controlling"
  netem("delay=20")
  check(pc.localDescription.sdp:find(" typ relay ") and pc.remoteDescription.sdp:find(" typ relay "),
    mode .. ": both peers offer a relayed candidate besides their host one")
  wait_for(function() return pair_kind(pc) == "host" end, 5000)
  check(pair_kind(pc) == "host", mode .. ": the direct path is selected over the relay (" .. tostring(pair_kind(pc)) .. ")")
  send_until(function() return sent * CHUNK >= 512 * 1024 end, 1024)
  -- The stream goes on at 1 MB/s throughout; the pair is watched every 100 ms.
  local kind, next_poll = pair_kind(pc), 0
  local function watch(want)
    return function()
      if now_ms() >= next_poll then
        next_poll = now_ms() + 100
        local k = pair_kind(pc)
        if k and k ~= kind then kind = log("pair", k) end
      end
      return kind == want
    end
  end
  local t_cut = now_ms()
  netem("cut=1")
  send_until(watch("relay"), 1024)
  local t_sw = (now_ms() - t_cut) / 1000
  check(kind == "relay" and t_sw <= 6,
    string.format("%s: no restartIce: A on the relay %.2f s after the direct path died (%s)", mode, t_sw, who))
  local more = now_ms() + 3000
  send_until(function() return now_ms() >= more end, 1024)
  check(first_after(events, t_cut, "ice", "disconnected") == nil and is_connected(pc.iceConnectionState),
    string.format("%s: A's ICE stayed connected across the switch (%s)", mode, pc.iceConnectionState))
  local evb = b_events()
  local bs = first_after(evb, t_cut, "pair", "relay")
  check(bs ~= nil and bs <= 6, string.format("%s: B on the relay %.2f s after the cut", mode, bs or -1))
  local t_back = now_ms()
  netem("cut=0")
  local deadline = now_ms() + 20000
  send_until(function() return watch("host")() or now_ms() > deadline end, 1024)
  local t_up = (now_ms() - t_back) / 1000
  check(kind == "host", string.format("%s: back on the direct path %.2f s after it returned (hysteresis 4 s)", mode, t_up))
  more = now_ms() + 3000
  send_until(function() return now_ms() >= more end, 1024)
  local verdict = end_and_verdict(60000)
  check(verdict == string.format("GOT %d %d ok", sent, sent * CHUNK),
    string.format("%s: the same channel carried on over relay and back: %d messages (%d bytes), B checked each in order (%s)",
      mode, sent, sent * CHUNK, tostring(verdict)))
  evb = b_events()
  local bb = first_after(evb, t_back, "pair", "host")
  check(bb ~= nil, string.format("%s: B back on the direct path %.2f s after it returned", mode, bb or -1))
  local changes
  for _, s in pairs(pc:getStats()) do
    if s.type == "transport" then changes = s.selectedCandidatePairChanges end
  end
  check(changes == 3, string.format("%s: selectedCandidatePairChanges = %s (selected, relay, direct)", mode, tostring(changes)))
  check(pair_events == changes, string.format("%s: onselectedcandidatepairchange fired %s times, once per change",
    mode, tostring(pair_events)))
  figure(string.format("A_on_relay_s=%.2f B_on_relay_s=%.2f A_back_direct_s=%.2f B_back_direct_s=%.2f bytes=%d",
    t_sw, bs or -1, t_up, bb or -1, sent * CHUNK))
else
  check(false, "unknown mode " .. tostring(mode))
end
finish()
