-- luartc side of the benchmark protocol (/work/shared/BENCH.md, bench/README.md).
-- Run with build/luartc:  luartc bench/luartc_bench.lua B1|B2a|B2b|B3|B4 [options]
-- Options come from the environment (set by bench/bench.py):
--   BENCH_N          B1: connections in this round;   B3/B4: pairs
--   BENCH_BYTES      B2: bytes to transfer
--   BENCH_MSG        B2: message size (65536)
--   BENCH_HWM        B2: bufferedAmount high-water mark (4 MiB)
--   BENCH_CAP_S      B2/B3/B4: time cap in seconds
--   BENCH_STEADY_S   B4: steady-state measuring window in seconds
--   BENCH_PARALLEL   B3/B4: pairs being set up at once
-- The last line on stdout is "RESULT {json}". Everything else goes to stderr.
local rtc = require "rtc"
local uv = require "luv"
local cjson = require "cjson"

local MODE = arg[1] or "B1"
local function envn(k, d)
  local v = os.getenv(k)
  return v and tonumber(v) or d
end
local CFG = { gatherAddresses = { "127.0.0.1" } }
-- BENCH_MAX_CHANNELS: luartc's maxChannels (SCTP streams each way; usrsctp allocates
-- ~84 bytes per stream and pc at association setup), to show what B3 costs without
-- the default 1024 (bench/README.md, B3).
if os.getenv("BENCH_MAX_CHANNELS") then CFG.maxChannels = tonumber(os.getenv("BENCH_MAX_CHANNELS")) end
-- BENCH_ICE_TCP=0: no ICE-TCP candidates (iceTcp = false). By default each pc also holds a
-- listening TCP socket and the TCP checks' connections: B4 past ~3,000 pairs runs into the
-- open-file limit (bench/README.md, B4).
if os.getenv("BENCH_ICE_TCP") == "0" then CFG.iceTcp = false end
-- BENCH_UDP_MUX=1 (B3/B4): the answering pc of each pair gathers on one UDP socket shared
-- by all of them (udpMux), the offering one on a socket of its own: 10,000 pairs need
-- ~10,000 fds instead of 20,000 (bench/README.md, B4).
local CFG_B = CFG
if os.getenv("BENCH_UDP_MUX") == "1" then
  CFG_B = { udpMux = true }
  for k, v in pairs(CFG) do CFG_B[k] = v end
end

local function now_ms() return uv.hrtime() / 1e6 end
local function cpu_ms()
  local r = uv.getrusage()
  return (r.utime.sec + r.stime.sec) * 1000 + (r.utime.usec + r.stime.usec) / 1000
end
local function rss_kib()
  local f = io.open("/proc/self/statm")
  if not f then return uv.getrusage().maxrss end -- out of fds (B4 near the limit): the peak
  local s = f:read("*l")
  f:close()
  local _, res = s:match("(%d+)%s+(%d+)")
  return tonumber(res) * 4 -- 4 KiB pages
end
local function log(...) io.stderr:write(table.concat({ ... }, " "), "\n") end
local function result(t)
  t.version = rtc.version or rtc._VERSION or (rtc.VERSION) or "0.1.0"
  io.stdout:write("RESULT ", cjson.encode(t), "\n")
  io.stdout:flush()
  io.stderr:flush()
  os.exit(0)
end

rtc.onerror = function(msg)
  log("luartc handler error: " .. tostring(msg))
end

-- Candidates that arrive before the remote description are held back.
local function candidate_sink(pc)
  local pending, ready = {}, false
  local sink = {}
  function sink.add(c)
    if ready then
      local ok, err = pc:addIceCandidate(c)
      if not ok then log("addIceCandidate: " .. tostring(err)) end
    else
      pending[#pending + 1] = c
    end
  end
  function sink.ready()
    ready = true
    for _, c in ipairs(pending) do sink.add(c) end
    pending = {}
  end
  return sink
end

-- Connects two peer connections in this process; on_done(pair) once the data
-- channel is open on both sides; on_fail(err) on a signaling error.
local function connect_pair(on_done, on_fail)
  local a = rtc.RTCPeerConnection(CFG)
  local b = rtc.RTCPeerConnection(CFG_B)
  local pair = { a = a, b = b }
  local sa, sb = candidate_sink(a), candidate_sink(b)
  a.onicecandidate = function(e) if e.candidate then sb.add(e.candidate) end end
  b.onicecandidate = function(e) if e.candidate then sa.add(e.candidate) end end
  local opened, done = 0, false
  local function one_open()
    opened = opened + 1
    if opened == 2 and not done then
      done = true
      on_done(pair)
    end
  end
  -- a pc that fails (e.g. a DTLS handshake timeout on a loaded machine) ends the pair:
  -- on_fail(err, pair) once
  for _, pc in ipairs({ a, b }) do
    pc.onconnectionstatechange = function()
      if pc.connectionState == "failed" and not done then
        done = true
        if on_fail then on_fail("connection failed", pair) end
      end
    end
  end
  local dca = a:createDataChannel("bench")
  pair.dca = dca
  dca.onopen = one_open
  b.ondatachannel = function(e)
    local ch = e.channel
    pair.dcb = ch
    if pair.on_dcb then pair.on_dcb(ch) end
    if ch.readyState == "open" then
      one_open()
    else
      ch.onopen = one_open
    end
  end
  rtc.spawn(function()
    local function step(v, err, what)
      if not v then
        if on_fail then on_fail(what .. ": " .. tostring(err)) end
        error(what .. ": " .. tostring(err))
      end
      return v
    end
    local offer = step(a:createOffer())
    step(a:setLocalDescription(offer), nil, "a:setLocalDescription")
    step(b:setRemoteDescription(offer), nil, "b:setRemoteDescription")
    sb.ready()
    local answer = step(b:createAnswer())
    step(b:setLocalDescription(answer), nil, "b:setLocalDescription")
    step(a:setRemoteDescription(answer), nil, "a:setRemoteDescription")
    sa.ready()
  end)
  return pair
end

local function close_pair(p)
  pcall(function() p.a:close() end)
  pcall(function() p.b:close() end)
end

-- Sets up n pairs, at most `parallel` in flight; done(pairs, ok, elapsed_ms).
-- A pair that fails is closed and replaced (its slot among the `parallel` is freed);
-- the failures are counted in setup_failed.
local setup_failed = 0
local function setup_pairs(n, parallel, cap_s, on_pair, done)
  local pairs_, started, connected, finished = {}, 0, 0, false
  local t0 = now_ms()
  local cap = uv.new_timer()
  local function finish(ok)
    if finished then return end
    finished = true
    cap:stop(); cap:close()
    local up_pairs = {}
    for _, p in ipairs(pairs_) do if not p.failed then up_pairs[#up_pairs + 1] = p end end
    done(up_pairs, ok, now_ms() - t0, connected)
  end
  local launch
  local function on_up(p)
    connected = connected + 1
    if on_pair then on_pair(p) end
    if connected == n then finish(true) else launch() end
  end
  local function on_fail(err, p)
    log(err)
    if not p or p.failed then return end
    p.failed = true
    setup_failed = setup_failed + 1
    close_pair(p)
    launch()
  end
  function launch()
    while started - setup_failed < n and started - connected - setup_failed < parallel and not finished do
      started = started + 1
      pairs_[#pairs_ + 1] = connect_pair(on_up, on_fail)
    end
  end
  cap:start(cap_s * 1000, 0, function() finish(false) end)
  launch()
end

----------------------------------------------------------------------------
if MODE == "B1" then
  local n = envn("BENCH_N", 50)
  local samples, i = {}, 0
  -- Per connection also its CPU and its time runnable but waiting for a core (the
  -- kernel's run_delay, /proc/self/schedstat): a slow sample whose wall time is mostly
  -- CPU + run delay waited for the machine; one with the usual CPU and little run
  -- delay waited on the protocol (a retransmission timer).
  local cpus, waits = {}, {}
  -- Kept open: one read(2) per look, no open(2) (see the clock reads below).
  local schedstat = uv.fs_open("/proc/self/schedstat", "r", 0)
  local function run_delay_ms()
    if not schedstat then return 0 end
    local _, d = uv.fs_read(schedstat, 128, 0):match("(%d+)%s+(%d+)")
    return tonumber(d) / 1e6
  end
  -- One warm-up connection (certificate generation, first-use costs) not counted.
  local cpu0
  local function next_one()
    i = i + 1
    if i > n + 1 then
      local cpu = cpu_ms() - cpu0
      result({ samples_ms = samples, cpu_ms_per_conn = cpu / n, samples_cpu_ms = cpus,
               samples_run_delay_ms = waits })
    end
    if i == 2 then cpu0 = cpu_ms() end
    -- The clock is read right after the run delay at the start and right before it at
    -- the end: the CPU and run-delay reads are syscalls, where the kernel often hands the
    -- core to another task, and a wait between the clock and the run delay would count
    -- in the one and not the other (it showed up as 10-170 ms of wall time that was
    -- neither CPU nor run delay).
    local c0 = cpu_ms()
    local w0 = run_delay_ms()
    local t0 = now_ms()
    connect_pair(function(p)
      local dt = now_ms() - t0
      local w = run_delay_ms() - w0
      if i > 1 then
        samples[#samples + 1] = dt
        waits[#waits + 1] = w
        cpus[#cpus + 1] = cpu_ms() - c0
      end
      close_pair(p)
      -- next connection from a fresh loop iteration
      local t = uv.new_timer()
      t:start(0, 0, function() t:close(); next_one() end)
    end, function(err) log(err); os.exit(2) end)
  end
  next_one()

----------------------------------------------------------------------------
elseif MODE == "B2a" then
  local total = envn("BENCH_BYTES", 256 * 1024 * 1024)
  local msgsize = envn("BENCH_MSG", 65536)
  local hwm = envn("BENCH_HWM", 4 * 1024 * 1024)
  local cap_s = envn("BENCH_CAP_S", 120)
  local msg = string.rep("\x5a", msgsize)
  connect_pair(function(p)
    local received, sent, t_first, c_first = 0, 0, nil, nil
    local dca, dcb = p.dca, p.dcb
    local capt = uv.new_timer()
    local function report(capped)
      local dt = (now_ms() - t_first) / 1000
      result({ mbps = received / dt / 1e6, bytes = received, seconds = dt, capped = capped or nil,
               cpu_ms_per_mb = (cpu_ms() - c_first) / math.max(received / 1e6, 1e-9) })
    end
    capt:start(cap_s * 1000, 0, function() report(true) end)
    dcb.onmessage = function(e)
      received = received + #e.data
      if received >= total then report() end
    end
    local function pump()
      while sent < total and dca.bufferedAmount < hwm do
        local ok, err = dca:send(msg, "binary")
        if not ok then log("send: " .. tostring(err)); os.exit(2) end
        sent = sent + msgsize
      end
    end
    dca.bufferedAmountLowThreshold = math.floor(hwm / 4)
    dca.onbufferedamountlow = pump
    t_first, c_first = now_ms(), cpu_ms()
    pump()
  end, function(err) log(err); os.exit(2) end)

----------------------------------------------------------------------------
elseif MODE == "B2b" or MODE == "B2b-answer" then
  local total = envn("BENCH_BYTES", 256 * 1024 * 1024)
  local msgsize = envn("BENCH_MSG", 65536)
  local hwm = envn("BENCH_HWM", 4 * 1024 * 1024)
  local cap_s = envn("BENCH_CAP_S", 120)

  -- JSON-lines channel: read from `rd` (a luv stream), write with `wr(str)`.
  local function lines(rd, on_msg, on_eof)
    local buf = ""
    rd:read_start(function(err, chunk)
      if err or not chunk then
        if on_eof then on_eof() end
        return
      end
      buf = buf .. chunk
      while true do
        local nl = buf:find("\n", 1, true)
        if not nl then break end
        local line = buf:sub(1, nl - 1)
        buf = buf:sub(nl + 1)
        if #line > 0 then on_msg(cjson.decode(line)) end
      end
    end)
  end

  if MODE == "B2b-answer" then
    -- child: the receiving side; signaling on stdin/stdout
    local stdin = uv.new_pipe(false); stdin:open(0)
    local stdout = uv.new_pipe(false); stdout:open(1)
    local function send(t) stdout:write(cjson.encode(t) .. "\n") end
    local pc = rtc.RTCPeerConnection(CFG)
    local sink = candidate_sink(pc)
    pc.onicecandidate = function(e)
      if e.candidate then send({ type = "candidate", candidate = e.candidate }) end
    end
    local received = 0
    pc.ondatachannel = function(e)
      e.channel.onmessage = function(ev)
        received = received + #ev.data
        if received >= total then
          send({ type = "done", bytes = received })
        end
      end
    end
    lines(stdin, function(m)
      if m.type == "offer" then
        rtc.spawn(function()
          assert(pc:setRemoteDescription({ type = "offer", sdp = m.sdp }))
          sink.ready()
          local answer = assert(pc:createAnswer())
          assert(pc:setLocalDescription(answer))
          send({ type = "answer", sdp = answer.sdp })
        end)
      elseif m.type == "candidate" then
        sink.add(m.candidate)
      elseif m.type == "count" then
        send({ type = "done", bytes = received })
      elseif m.type == "quit" then
        stdout:shutdown(function() os.exit(0) end)
      end
    end, function() os.exit(0) end) -- the parent is gone
  else
    -- parent: the sending side; spawns the receiver
    local cin, cout = uv.new_pipe(false), uv.new_pipe(false)
    local child
    child = uv.spawn(uv.exepath(), {
      args = { arg[0], "B2b-answer" },
      stdio = { cin, cout, 2 },
    }, function(code) end)
    local function send(t) cin:write(cjson.encode(t) .. "\n") end
    local pc = rtc.RTCPeerConnection(CFG)
    local sink = candidate_sink(pc)
    pc.onicecandidate = function(e)
      if e.candidate then send({ type = "candidate", candidate = e.candidate }) end
    end
    local dc = pc:createDataChannel("bench")
    local msg = string.rep("\x5a", msgsize)
    local sent, t_first, capped = 0, nil, nil
    local function finish(bytes)
      local dt = (now_ms() - t_first) / 1000
      send({ type = "quit" })
      result({ mbps = bytes / dt / 1e6, bytes = bytes, seconds = dt, capped = capped or nil })
    end
    local function pump()
      while sent < total and dc.bufferedAmount < hwm do
        local ok, err = dc:send(msg, "binary")
        if not ok then log("send: " .. tostring(err)); os.exit(2) end
        sent = sent + msgsize
      end
    end
    dc.onopen = function()
      dc.bufferedAmountLowThreshold = math.floor(hwm / 4)
      dc.onbufferedamountlow = pump
      t_first = now_ms()
      local capt = uv.new_timer()
      capt:start(cap_s * 1000, 0, function() capped = true; send({ type = "count" }) end)
      pump()
    end
    lines(cout, function(m)
      if m.type == "answer" then
        rtc.spawn(function()
          assert(pc:setRemoteDescription({ type = "answer", sdp = m.sdp }))
          sink.ready()
        end)
      elseif m.type == "candidate" then
        sink.add(m.candidate)
      elseif m.type == "done" then
        finish(m.bytes)
      end
    end)
    rtc.spawn(function()
      local offer = assert(pc:createOffer())
      assert(pc:setLocalDescription(offer))
      send({ type = "offer", sdp = offer.sdp })
    end)
  end

----------------------------------------------------------------------------
elseif MODE == "B3" then
  local n = envn("BENCH_N", 100)
  local parallel = envn("BENCH_PARALLEL", 20)
  local cap_s = envn("BENCH_CAP_S", 120)
  -- warm-up pair: process-wide one-time allocations (certificate, usrsctp) not counted
  connect_pair(function(w)
    close_pair(w)
    local t = uv.new_timer()
    t:start(200, 0, function()
      t:close()
      collectgarbage(); collectgarbage()
      local rss0 = rss_kib()
      setup_pairs(n, parallel, cap_s, nil, function(ps, ok, ms, connected)
        collectgarbage(); collectgarbage()
        local rss1 = rss_kib()
        result({ ok = ok, pairs = connected, setup_ms = ms, rss_before_kib = rss0,
                 rss_after_kib = rss1, kib_per_pc = (rss1 - rss0) / (2 * connected) })
      end)
    end)
  end)

----------------------------------------------------------------------------
elseif MODE == "B4" then
  local n = envn("BENCH_N", 100)
  local parallel = envn("BENCH_PARALLEL", 20)
  local cap_s = envn("BENCH_CAP_S", 60)
  local steady_s = envn("BENCH_STEADY_S", 5)
  local rss0 = rss_kib()
  -- every BENCH_EVERY pairs (1000): time since the start and RSS (the setup curve)
  local every, up, t_start, c_start, marks = envn("BENCH_EVERY", 1000), 0, now_ms(), cpu_ms(), {}
  setup_pairs(n, parallel, cap_s, function(p)
    p.dcb.onmessage = function(e) p.dcb:send(e.data) end
    p.dca.onmessage = function() p.pongs = (p.pongs or 0) + 1 end
    up = up + 1
    if up % every == 0 then
      marks[#marks + 1] = { pairs = up, ms = math.floor(now_ms() - t_start),
                            cpu_ms = math.floor(cpu_ms() - c_start),
                            rss_mib = math.floor(rss_kib() / 102.4) / 10 }
      local m = marks[#marks]
      log(string.format("B4: %d pairs at %d ms (cpu %d ms), rss %.1f MiB, %d failed and replaced",
        up, m.ms, m.cpu_ms, m.rss_mib, setup_failed))
    end
  end, function(ps, ok, ms, connected)
    if not ok then
      result({ ok = false, pairs = connected, setup_ms = ms, rss_kib = rss_kib(), marks = marks,
               setup_failed = setup_failed, reason = "setup not done within " .. cap_s .. " s" })
    end
    log(string.format("B4: %d pairs up in %.0f ms, rss %.1f MiB", connected, ms, rss_kib() / 1024))
    -- every pair sends one ping a second, spread over the second in 20 slices
    -- (BENCH_PING=0: idle pairs, nothing sent: the cost of being connected)
    local slices, slice = 20, 0
    local tick = uv.new_timer()
    if envn("BENCH_PING", 1) ~= 0 then tick:start(0, math.floor(1000 / slices), function()
      slice = (slice % slices) + 1
      for i = slice, #ps, slices do
        local p = ps[i]
        if p.dca.readyState == "open" then p.dca:send("ping") end
      end
    end) end
    local function total_pongs()
      local s = 0
      for _, p in ipairs(ps) do s = s + (p.pongs or 0) end
      return s
    end
    local w = uv.new_timer()
    w:start(2000, 0, function() -- warm-up of 2 s, then measure
      local c0, t0, p0 = cpu_ms(), now_ms(), total_pongs()
      w:start(steady_s * 1000, 0, function()
        local c1, t1, p1 = cpu_ms(), now_ms(), total_pongs()
        local secs = (t1 - t0) / 1000
        local cpu_pct = (c1 - c0) / (t1 - t0) * 100
        local delivered = (p1 - p0) / (n * secs)
        result({ ok = true, pairs = connected, setup_ms = ms, rss_kib = rss_kib(), marks = marks,
                 setup_failed = setup_failed, udp_mux_dropped = rtc.core.debugCounts().udpMuxDropped,
                 rss_delta_kib = rss_kib() - rss0, cpu_pct = cpu_pct, delivered = delivered })
      end)
    end)
  end)
else
  log("unknown mode " .. tostring(MODE))
  os.exit(2)
end
