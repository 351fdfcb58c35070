-- Abusive data-channel peers: one that opens far more channels than we allow, one
-- that sends messages above our a=max-message-size (it ignores what we announced),
-- one that never reads. Expected: memory stays bounded by the configured limits,
-- the abuser's channel is closed or its sends refused, and another connection in the
-- same process carries on throughout.
local H = dofile((arg[0]:match("^(.*)/") or ".") .. "/harness.lua")
local rtc = H.rtc
local test, eq, ok = H.test, H.eq, H.ok
local relay = assert(loadfile((arg[0]:match("^(.*)/") or ".") .. "/hostile_relay.lua"))(H)

-- A bystander pair that keeps talking: returns a function checking it still does.
local function bystander()
  local c, d, dc, dd = H.connected("bystander")
  local got = 0
  dd.onmessage = function() got = got + 1 end
  return function()
    local before = got
    for _ = 1, 10 do assert(dc:send("ping")) end
    H.waitFor(function() return got >= before + 10 end, "bystander messages", 5000)
    eq(d.connectionState, "connected", "bystander connected")
  end
end

local function channels_of(pc)
  for _, s in pairs(pc:getStats()) do if s.type == "peer-connection" then return s end end
end

test("a peer announcing 65,535 streams and opening 2,049 channels gets maxChannels of them", function()
  local alive = bystander()
  local level = rtc.log.level
  rtc.log.level = "error" -- a warning per refused channel otherwise
  for _, limit in ipairs({ 1024, 16 }) do
    local a, b = H.pair({ maxChannels = 65535 }, limit ~= 1024 and { maxChannels = limit } or nil)
    local n = 0
    b.ondatachannel = function() n = n + 1 end
    local mine = {}
    for i = 1, 2048 do mine[i] = assert(a:createDataChannel("flood" .. i)) end
    -- a negotiated channel far beyond any id we accept
    mine[#mine + 1] = assert(a:createDataChannel("high", { negotiated = true, id = 65534 }))
    assert(H.negotiate(a, b))
    -- b answers, so b is the DTLS client (even ids) and a's channels take odd ids
    local expect = math.floor(limit / 2)
    H.waitFor(function() return n >= expect end, "the channels b allows", 20000)
    rtc.sleep(300)
    eq(n, expect, "b holds no more than its limit allows (" .. limit .. " streams)")
    local open = 0
    for _, c in ipairs(mine) do if c.readyState == "open" then open = open + 1 end end
    eq(open, expect, "a's channels beyond b's streams never open")
    eq(mine[#mine].readyState, "closed", "the id beyond the streams closed")
    eq(b.connectionState, "connected")
    -- b can still open its own channels
    local own = assert(b:createDataChannel("defender"))
    H.waitFor(function() return own.readyState == "open" end, "b's own channel opens")
    ok(channels_of(b).dataChannelsOpened <= limit, "opened within the limit")
    alive()
    a:close()
    b:close()
  end
  rtc.log.level = level
end, 60000)

test("a message above our max-message-size: dropped unread, that channel closes, the rest go on", function()
  local alive = bystander()
  local a, b = H.pc(), H.pc { maxMessageSize = 65536 }
  local R = relay.new()
  local ok_msgs, errors = {}, {}
  local victim, other
  b.ondatachannel = function(ev)
    local ch = ev.channel
    if ch.label == "abuse" then victim = ch else other = ch end
    ch.onmessage = function(m) ok_msgs[#ok_msgs + 1] = ch.label .. ":" .. #m.data end
    ch.onerror = function(e) errors[#errors + 1] = ch.label .. ": " .. tostring(e.error) end
  end
  local abuse = a:createDataChannel("abuse")
  local fine = a:createDataChannel("fine")
  -- the hostile a ignores b's a=max-message-size: it believes b takes 1 GiB
  R.connect(a, b, function(sdp)
    local s, n = sdp:gsub("a=max%-message%-size:%d+", "a=max-message-size:1073741824")
    assert(n == 1)
    return s
  end)
  H.waitFor(function() return abuse.readyState == "open" and fine.readyState == "open" and victim and other end, "open")
  assert(abuse:send(string.rep("x", 60000)), "under the limit")
  -- 1 MiB (the most usrsctp hands out in one message) in a 64 KiB reassembly limit
  assert(abuse:send(string.rep("y", 1024 * 1024)), "a's send takes it")
  H.waitFor(function() return victim.readyState == "closed" end, "the abuser's channel closed", 10000)
  H.waitFor(function() return abuse.readyState == "closed" end, "closed on a's side too", 10000)
  eq(ok_msgs[1], "abuse:60000")
  eq(#ok_msgs, 1, "the big message never delivered")
  ok(errors[1] and errors[1]:find("too big"), "onerror says why", errors[1])
  -- the other channel of the same connection and the bystander carry on
  assert(fine:send("still fine"))
  H.waitFor(function() return #ok_msgs == 2 end, "message on the other channel")
  eq(ok_msgs[2], "fine:10")
  eq(b.connectionState, "connected")
  alive()
  R.close()
end, 30000)

test("a peer that never reads: sends stop at maxBufferedAmount, memory bounded", function()
  local alive = bystander()
  local limit = 2 * 1024 * 1024
  local a, b = H.pc { maxBufferedAmount = limit }, H.pc()
  local R = relay.new()
  local db
  b.ondatachannel = function(ev) db = ev.channel end
  local da = a:createDataChannel("sink")
  R.connect(a, b)
  H.waitFor(function() return da.readyState == "open" and db end, "open")
  -- from now on b is gone silent: nothing it would read or acknowledge gets through
  R.a_to_b = function() return false end
  R.b_to_a = function() return false end
  local chunk = string.rep("z", 64 * 1024)
  local sent, err, name = 0, nil, nil
  for _ = 1, 10000 do
    local r, e, nm = da:send(chunk)
    if not r then
      err, name = e, nm
      break
    end
    sent = sent + #chunk
  end
  eq(name, "EAGAIN", "send refuses once the buffer is full")
  ok(err:find("maxBufferedAmount", 1, true), "the message names the limit", err)
  ok(da.bufferedAmount <= limit, "bufferedAmount within the limit", da.bufferedAmount)
  -- what usrsctp took (its 1 MiB send buffer) plus our queue
  ok(sent <= limit + 1024 * 1024 + #chunk, "sent no more than the buffers hold", sent)
  rtc.sleep(500)
  local r2, _, nm2 = da:send(chunk)
  eq(r2, nil, "still refused while the peer does not read")
  eq(nm2, "EAGAIN")
  alive()
  R.close()
end, 30000)

H.run()
