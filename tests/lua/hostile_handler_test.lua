-- Hostile Lua handlers: ones that raise (strings, tables, nil), close the connection
-- or the channel from inside its own event, or yield where they may not. Expected:
-- the loop survives, each error is reported once through rtc.onerror with its
-- traceback, the connection (or another one) goes on.
local H = dofile((arg[0]:match("^(.*)/") or ".") .. "/harness.lua")
local rtc = H.rtc
local test, eq, ok = H.test, H.eq, H.ok

local function collect()
  local reports = {}
  rtc.onerror = function(msg) reports[#reports + 1] = msg end
  return reports
end

local function find(reports, text)
  for _, r in ipairs(reports) do
    if r:find(text, 1, true) then return r end
  end
end

test("handlers of every kind raise: reported with their traceback, the connection goes on", function()
  local reports = collect()
  local a, b = H.pair()
  local function boom(what) return function() error("boom in " .. what) end end
  a.onsignalingstatechange = boom("onsignalingstatechange")
  a.onicegatheringstatechange = boom("onicegatheringstatechange")
  b.oniceconnectionstatechange = boom("oniceconnectionstatechange")
  b.onconnectionstatechange = boom("onconnectionstatechange")
  b.onnegotiationneeded = boom("onnegotiationneeded")
  b:addEventListener("connectionstatechange", boom("a listener"))
  local inner = a.onicecandidate
  a.onicecandidate = function(ev)
    inner(ev) -- still trickles, then raises
    error("boom in onicecandidate")
  end
  local db
  b.ondatachannel = function(ev)
    db = ev.channel
    db.onmessage = function(m)
      if m.data == "table" then error({ code = 42 }) end
      if m.data == "nil" then error() end
      if m.data == "tostring" then error(setmetatable({}, { __tostring = function() error("nested") end })) end
      error("boom in onmessage: " .. m.data)
    end
    error("boom in ondatachannel")
  end
  local da = a:createDataChannel("x")
  da.onopen = function() error("boom in onopen") end
  assert(H.negotiate(a, b))
  H.waitFor(function() return da.readyState == "open" and db and db.readyState == "open" end, "open")
  for _, m in ipairs({ "one", "table", "nil", "tostring", "two" }) do assert(da:send(m)) end
  H.waitFor(function() return find(reports, "boom in onmessage: two") end, "the last message's report")
  a:getStats(function() error("boom in a callback") end)
  H.waitFor(function() return find(reports, "boom in a callback") end, "the callback's report")
  for _, what in ipairs({ "onsignalingstatechange", "onicegatheringstatechange", "oniceconnectionstatechange",
    "onconnectionstatechange", "a listener", "onicecandidate", "ondatachannel", "onopen", "onmessage: one",
    "onmessage: two" }) do
    local r = find(reports, "boom in " .. what)
    ok(r, "reported: " .. what)
    ok(r:find("stack traceback", 1, true) and r:find("hostile_handler_test.lua", 1, true),
      what .. ": with a traceback into the handler", r)
  end
  -- non-string errors are reported too (as something printable), never lost or fatal
  ok(#reports >= 13, "every raise reported", #reports)
  eq(b.connectionState, "connected")
  local got
  db.onmessage = function(m) got = m.data end
  assert(da:send("after"))
  H.waitFor(function() return got == "after" end, "the connection still carries messages")
end)

-- The objects made in Lua (tracks, transports) and the callbacks of the promise
-- methods report what their handlers raise as the pc's do: a string with the traceback,
-- whatever the error object (a table reached rtc.onerror as that table, no traceback).
test("tracks' handlers and callbacks that raise tables or nil: reported as text with a traceback", function()
  local reports = collect()
  local pc = H.pc()
  local t = assert(pc:addTransceiver("audio"))
  local track = t.receiver.track
  track.onended = function() error({ code = 42 }) end
  track:addEventListener("ended", function() error() end)
  track:addEventListener("ended", function() error("boom in an ended listener") end)
  assert(t:stop())
  local done
  rtc.generateCertificate(function()
    done = true
    error({ code = 43 })
  end)
  H.waitFor(function() return done end, "the callback")
  rtc.sleep(20)
  eq(#reports, 4, "each raise reported once")
  for _, r in ipairs(reports) do
    ok(type(r) == "string", "reported as text", type(r))
    ok(r:find("stack traceback", 1, true) and r:find("hostile_handler_test.lua", 1, true),
      "with a traceback into the handler", r)
  end
  ok(find(reports, "(error object is a table value)"), "a table says so")
  ok(find(reports, "(error object is a nil value)"), "nil says so")
  ok(find(reports, "boom in an ended listener"), "a string as it was")
  eq(track.readyState, "ended")
end)

test("close() from inside the connection's own events", function()
  local reports = collect()
  -- pc:close() inside onmessage, with more messages queued behind it
  local a, b, da, db = H.connected()
  local n = 0
  db.onmessage = function()
    n = n + 1
    b:close()
  end
  for i = 1, 50 do assert(da:send("m" .. i)) end
  H.waitFor(function() return b.connectionState == "closed" end, "b closed")
  rtc.sleep(200)
  eq(n, 1, "nothing delivered after close")
  eq(db.readyState, "closed")
  -- dc:close() inside onmessage: the messages queued behind it are discarded (W3C)
  local _, _, ca, cb = H.connected("self-closing")
  local m2 = 0
  cb.onmessage = function()
    m2 = m2 + 1
    cb:close()
  end
  for i = 1, 50 do assert(ca:send("m" .. i)) end
  H.waitFor(function() return cb.readyState == "closed" end, "cb closed")
  eq(m2, 1, "nothing delivered after dc:close()")
  -- dc:close() inside onopen, pc:close() inside ondatachannel and inside
  -- onconnectionstatechange, close() twice inside onclose
  local c, d = H.pair()
  local dc = c:createDataChannel("shut at once")
  local closed = 0
  dc.onopen = function() dc:close() end
  dc.onclose = function()
    closed = closed + 1
    dc:close()
    dc:close()
  end
  d.ondatachannel = function() d:close() end
  assert(H.negotiate(c, d))
  H.waitFor(function() return d.connectionState == "closed" end, "d closed from ondatachannel")
  H.waitFor(function() return dc.readyState == "closed" end, "dc closed from onopen")
  rtc.sleep(100)
  eq(closed, 1, "onclose once")
  local e, f = H.pair()
  e:createDataChannel("x")
  e.onconnectionstatechange = function()
    if e.connectionState == "connected" then
      e:close()
      e:close()
    end
  end
  assert(H.negotiate(e, f))
  H.waitFor(function() return e.connectionState == "closed" end, "e closed from its own state event")
  eq(#reports, 0, "none of that is an error")
  -- another connection in the process carries on
  local _, _, x, y = H.connected("after")
  local got
  y.onmessage = function(m) got = m.data end
  assert(x:send("fine"))
  H.waitFor(function() return got == "fine" end, "a new connection works")
end)

test("yield where it may not: coroutine.yield, rtc.sleep, rtc.wait in a handler are reported", function()
  local reports = collect()
  local a, b, da, db = H.connected()
  local after = {}
  db.onmessage = function(m)
    if m.data == "yield" then coroutine.yield("x") end
    if m.data == "sleep" then rtc.sleep(10) end
    if m.data == "wait" then rtc.wait(b, "closed") end
    after[#after + 1] = m.data
  end
  for _, m in ipairs({ "yield", "sleep", "wait", "ok" }) do assert(da:send(m)) end
  H.waitFor(function() return #after == 1 end, "the last message handled")
  eq(after[1], "ok", "the handlers that yielded stopped there")
  H.waitFor(function() return #reports >= 3 end, "three reports")
  ok(find(reports, "yield across"), "coroutine.yield reported", reports[1])
  ok(find(reports, "rtc.sleep: not in a coroutine (use rtc.spawn)"), "rtc.sleep reported with the fix")
  for _, r in ipairs(reports) do ok(r:find("stack traceback", 1, true), "with a traceback", r) end
  -- the documented way works from the same handler
  local slept
  db.onmessage = function() rtc.spawn(function() rtc.sleep(10) slept = true end) end
  assert(da:send("spawn"))
  H.waitFor(function() return slept end, "rtc.spawn from a handler")
  eq(b.connectionState, "connected")
end)

H.run()
