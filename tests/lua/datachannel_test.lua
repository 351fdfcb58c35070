-- RTCDataChannel behaviour between two peers in one process.
local H = dofile((arg[0]:match("^(.*)/") or ".") .. "/harness.lua")
local rtc, uv = H.rtc, H.uv
local test, eq, ok = H.test, H.eq, H.ok

-- Sends n messages make(i), waiting for the buffer to drain when it is full.
local function send_all(dc, n, make, binary)
  local kind = binary and "binary" or nil
  for i = 1, n do
    local msg = make(i)
    local sent, err = dc:send(msg, kind)
    local tries = 0
    while not sent do
      tries = tries + 1
      if tries > 5000 then error("send " .. i .. " keeps failing: " .. tostring(err)) end
      rtc.sleep(1)
      sent, err = dc:send(msg, kind)
    end
    if dc.bufferedAmount > 4 * 1024 * 1024 then
      H.waitFor(function() return dc.bufferedAmount < 1024 * 1024 end, "buffer drain", 20000)
    end
  end
end

test("10,000 ordered messages in both directions, complete and in order", function()
  local a, b, da, db = H.connected()
  local N = 10000
  local ga, gb, bad = 0, 0, nil
  db.onmessage = function(m)
    gb = gb + 1
    if m.data ~= "a" .. gb then bad = bad or ("b got " .. m.data .. " at " .. gb) end
  end
  da.onmessage = function(m)
    ga = ga + 1
    if m.data ~= "b" .. ga then bad = bad or ("a got " .. m.data .. " at " .. ga) end
  end
  rtc.spawn(function() send_all(db, N, function(i) return "b" .. i end) end)
  send_all(da, N, function(i) return "a" .. i end)
  H.waitFor(function() return (ga == N and gb == N) or bad end, "all messages", 30000)
  eq(bad, nil)
  eq(ga, N); eq(gb, N)
end, 60000)

test("256 KiB messages, text and binary, both ways", function()
  local a, b, da, db = H.connected()
  local size = 256 * 1024
  local text = string.rep("abcdefghijklmnop", size / 16)
  local bin = {}
  for i = 0, 255 do bin[#bin + 1] = string.char(i) end
  bin = string.rep(table.concat(bin), size / 256)
  local at, bt = {}, {}
  da.onmessage = function(m) at[#at + 1] = m end
  db.onmessage = function(m) bt[#bt + 1] = m end
  assert(da:send(text))
  assert(da:send(bin, "binary"))
  assert(db:send(bin, "binary"))
  assert(db:send(text))
  H.waitFor(function() return #at == 2 and #bt == 2 end, "big messages", 20000)
  eq(bt[1].binary, false); eq(bt[1].data, text)
  eq(bt[2].binary, true); eq(bt[2].data, bin)
  eq(at[1].binary, true); eq(at[1].data, bin)
  eq(at[2].binary, false); eq(at[2].data, text)
end, 40000)

test("a message over the peer's max-message-size gives nil, err", function()
  local a, b, da, db = H.connected(nil, nil, nil, { maxMessageSize = 1000 })
  local got = {}
  db.onmessage = function(m) got[#got + 1] = #m.data end
  local r, err = da:send(string.rep("x", 1001))
  eq(r, nil, "1001 bytes to a peer allowing 1000")
  ok(type(err) == "string" and #err > 0, "error message")
  assert(da:send(string.rep("y", 1000)))
  H.waitFor(function() return #got == 1 end, "the 1000-byte message")
  eq(got[1], 1000)
  eq(da.readyState, "open", "the channel is still open")
  -- the default is 256 KiB: one byte more is refused the other way too
  local r2 = db:send(string.rep("z", 256 * 1024 + 1))
  eq(r2, nil, "over 256 KiB")
end)

test("unordered and maxRetransmits = 0 channels deliver", function()
  local a, b = H.pair()
  local du = a:createDataChannel("unordered", { ordered = false })
  local dr = a:createDataChannel("partial", { ordered = false, maxRetransmits = 0 })
  local dl = a:createDataChannel("lifetime", { maxPacketLifeTime = 500 })
  eq(du.ordered, false)
  eq(dr.maxRetransmits, 0)
  eq(dl.maxPacketLifeTime, 500)
  local remote, counts = {}, {}
  b.ondatachannel = function(ev)
    local ch = ev.channel
    remote[ch.label] = ch
    counts[ch.label] = 0
    ch.onmessage = function() counts[ch.label] = counts[ch.label] + 1 end
  end
  assert(H.negotiate(a, b))
  H.waitFor(function()
    return du.readyState == "open" and dr.readyState == "open" and dl.readyState == "open"
      and remote.unordered and remote.partial and remote.lifetime
  end, "open")
  eq(remote.unordered.ordered, false)
  eq(remote.partial.maxRetransmits, 0)
  eq(remote.lifetime.maxPacketLifeTime, 500)
  for i = 1, 100 do
    assert(du:send("u" .. i))
    assert(dr:send("r" .. i))
    assert(dl:send("l" .. i))
    if i % 20 == 0 then rtc.sleep(2) end
  end
  H.waitFor(function() return counts.unordered == 100 and counts.lifetime == 100 and counts.partial >= 90 end,
    "messages", 10000)
end)

test("100 channels on one connection open and carry a message", function()
  local a, b = H.pair()
  local N = 100
  local local_ch, opened, got = {}, 0, {}
  for i = 1, N do
    local ch = a:createDataChannel("ch" .. i)
    local_ch[i] = ch
    ch.onopen = function()
      opened = opened + 1
      ch:send("hello " .. i)
    end
  end
  local remote = 0
  b.ondatachannel = function(ev)
    remote = remote + 1
    local ch = ev.channel
    ch.onmessage = function(m) got[ch.label] = m.data end
  end
  assert(H.negotiate(a, b))
  H.waitFor(function() return opened == N end, "all open", 15000)
  local n = 0
  H.waitFor(function()
    n = 0
    for _ in pairs(got) do n = n + 1 end
    return n == N
  end, "all messages", 15000)
  eq(remote, N)
  eq(got.ch42, "hello 42")
  local ids = {}
  for i = 1, N do
    local id = local_ch[i].id
    ok(id ~= nil and not ids[id], "unique id", tostring(id))
    ids[id] = true
  end
end, 40000)

test("negotiated channels with explicit ids talk", function()
  local a, b = H.pair()
  local fired = false
  b.ondatachannel = function() fired = true end
  local da = a:createDataChannel("neg", { negotiated = true, id = 7 })
  local db = b:createDataChannel("neg", { negotiated = true, id = 7 })
  eq(da.id, 7); eq(db.id, 7)
  eq(da.negotiated, true)
  local ga, gb
  da.onmessage = function(m) ga = m.data end
  db.onmessage = function(m) gb = m.data end
  assert(H.negotiate(a, b))
  H.waitFor(function() return da.readyState == "open" and db.readyState == "open" end, "open")
  assert(da:send("from a"))
  assert(db:send("from b"))
  H.waitFor(function() return ga and gb end, "messages")
  eq(ga, "from b"); eq(gb, "from a")
  eq(fired, false, "no datachannel event for negotiated channels")
end)

test("empty messages arrive with the right binary flag", function()
  local a, b, da, db = H.connected()
  local got = {}
  db.onmessage = function(m) got[#got + 1] = m end
  assert(da:send(""))
  assert(da:send("", "binary"))
  assert(da:send("x"))
  H.waitFor(function() return #got == 3 end, "messages")
  eq(got[1].data, ""); eq(got[1].binary, false)
  eq(got[2].data, ""); eq(got[2].binary, true)
  eq(got[3].data, "x")
end)

test("binary data is bytes, never re-encoded", function()
  local a, b, da, db = H.connected()
  local got
  db.onmessage = function(m) got = m end
  local s = "\0\1\255\254 \226\130\172 \192\128"
  assert(da:send(s, "binary"))
  H.waitFor(function() return got end, "message")
  eq(got.data, s); eq(got.binary, true)
end)

test("close from either side reaches closed on both channels", function()
  local a, b = H.pair()
  local d1 = a:createDataChannel("one")
  local d2 = a:createDataChannel("two")
  local r = {}
  b.ondatachannel = function(ev) r[ev.channel.label] = ev.channel end
  assert(H.negotiate(a, b))
  H.waitFor(function() return r.one and r.two and r.one.readyState == "open" and r.two.readyState == "open" end, "open")
  local events = {}
  r.one.onclose = function() events[#events + 1] = "b.one close" end
  d1.onclose = function() events[#events + 1] = "a.one close" end
  d1:close()
  ok(d1.readyState == "closing" or d1.readyState == "closed", "local closing")
  H.waitFor(function() return d1.readyState == "closed" and r.one.readyState == "closed" end, "closed (a side)")
  -- the other direction: b closes
  local closed2 = 0
  d2.onclose = function() closed2 = closed2 + 1 end
  r.two.onclose = function() closed2 = closed2 + 1 end
  r.two:close()
  H.waitFor(function() return d2.readyState == "closed" and r.two.readyState == "closed" end, "closed (b side)")
  H.waitFor(function() return closed2 == 2 end, "both onclose")
  local r3, err = d2:send("late")
  eq(r3, nil, "send on a closed channel"); ok(err, "error")
  eq(a.connectionState, "connected", "the connection stays up")
end)

test("pc:close() on one side: channels close, the other side leaves connected", function()
  local a, b, da, db = H.connected()
  local closed_a, closed_b = false, false
  da.onclose = function() closed_a = true end
  db.onclose = function() closed_b = true end
  a:close()
  eq(a.signalingState, "closed")
  eq(a.connectionState, "closed")
  H.waitFor(function() return closed_a end, "local channel close event", 5000)
  eq(da.readyState, "closed")
  H.waitFor(function() return closed_b end, "remote channel close", 15000)
  H.waitFor(function() return b.connectionState ~= "connected" end, "remote connection state change", 40000)
end, 60000)

test("bufferedAmount rises on a burst and onbufferedamountlow fires", function()
  local a, b, da, db = H.connected()
  local received = 0
  db.onmessage = function(m) received = received + #m.data end
  local low = 0
  da.bufferedAmountLowThreshold = 64 * 1024
  eq(da.bufferedAmountLowThreshold, 64 * 1024)
  da.onbufferedamountlow = function(ev)
    eq(ev.type, "bufferedamountlow")
    low = low + 1
  end
  local chunk = string.rep("b", 64 * 1024)
  local total = 0
  for _ = 1, 32 do
    if da:send(chunk) then total = total + #chunk end
  end
  ok(da.bufferedAmount > 64 * 1024, "bufferedAmount after a 2 MiB burst", da.bufferedAmount)
  H.waitFor(function() return low > 0 end, "onbufferedamountlow", 20000)
  H.waitFor(function() return received == total end, "all bytes", 20000)
  H.waitFor(function() return da.bufferedAmount == 0 end, "drained")
end, 40000)

-- No thread in the core (rtc_sctp_iterator.c): usrsctp's "SCTP iterator" thread is
-- joined at init; one thread at every step of a data channel's life.
local function threads()
  local n, dir = 0, assert(uv.fs_scandir("/proc/self/task"))
  while uv.fs_scandir_next(dir) do n = n + 1 end
  return n
end

test("one thread: connect, send, close", function()
  local most = 0
  local function look() most = math.max(most, threads()) end
  look()
  local a, b, da, db = H.connected()
  look()
  local got = 0
  db.onmessage = function() got = got + 1; look() end
  for i = 1, 50 do assert(da:send("m" .. i)) end
  H.waitFor(function() look(); return got == 50 end, "50 messages")
  da:close()
  H.waitFor(function() look(); return db.readyState == "closed" end, "remote close")
  a:close(); b:close()
  rtc.sleep(50)
  look()
  eq(most, 1)
end)

H.run()
