-- One error contract (nil, message, NAME on every path), DOM-style listeners
-- (addEventListener / removeEventListener next to the on* fields), rtc.wait on them.
local H = dofile((arg[0]:match("^(.*)/") or ".") .. "/harness.lua")
local rtc, uv = H.rtc, H.uv
local test, eq, ok = H.test, H.eq, H.ok

local garbage = { type = "offer", sdp = "this is not SDP" }

local function is_failure(res, msg, name)
  eq(res, nil, "result")
  ok(type(msg) == "string" and #msg > 0, "message", tostring(msg))
  ok(type(name) == "string" and name:match("^E[A-Z]+$"), "NAME", tostring(name))
end

test("errors: nil, message, NAME from a coroutine, outside one, and to the callback", function()
  local a = H.pc()
  is_failure(a:setRemoteDescription(garbage)) -- coroutine form
  local sync
  local t = uv.new_timer()
  t:start(0, 0, function() -- outside any coroutine
    t:close()
    sync = { a:setRemoteDescription(garbage) }
  end)
  H.waitFor(function() return sync end, "timer")
  is_failure(sync[1], sync[2], sync[3])
  local cb
  a:setRemoteDescription(garbage, function(...) cb = { n = select("#", ...), ... } end)
  H.waitFor(function() return cb end, "callback")
  is_failure(cb[1], cb[2], cb[3])
  -- the other methods too
  is_failure(a:setLocalDescription({ type = "answer", sdp = "garbage" }))
  is_failure(a:addIceCandidate({ candidate = "candidate:bad", sdpMid = "0" }))
  is_failure(a:createAnswer())
  local dc = a:createDataChannel("x")
  is_failure(dc:send("not open yet"))
end)

test("addEventListener: several listeners per event, after the on* field, in order", function()
  local a, b = H.pair()
  local seen = {}
  local function l1(ev) seen[#seen + 1] = "l1:" .. ev.type end
  local function l2(ev) seen[#seen + 1] = "l2:" .. ev.type end
  a.onsignalingstatechange = function(ev) seen[#seen + 1] = "on:" .. ev.type end
  a:addEventListener("signalingstatechange", l1)
  a:addEventListener("signalingstatechange", l2)
  a:addEventListener("signalingstatechange", l1) -- the same listener once (DOM)
  a:createDataChannel("x")
  assert(a:setLocalDescription(assert(a:createOffer())))
  eq(table.concat(seen, ","), "on:signalingstatechange,l1:signalingstatechange,l2:signalingstatechange")
  a:removeEventListener("signalingstatechange", l1)
  seen = {}
  assert(a:setLocalDescription({ type = "rollback" }))
  eq(table.concat(seen, ","), "on:signalingstatechange,l2:signalingstatechange")
end)

test("removeEventListener inside a listener: the removed one is not called", function()
  local a = H.pc()
  local seen = {}
  local l2
  local function l1() seen[#seen + 1] = "l1"; a:removeEventListener("signalingstatechange", l2) end
  l2 = function() seen[#seen + 1] = "l2" end
  a:addEventListener("signalingstatechange", l1)
  a:addEventListener("signalingstatechange", l2)
  a:createDataChannel("x")
  assert(a:setLocalDescription(assert(a:createOffer())))
  eq(table.concat(seen, ","), "l1")
end)

test("channel listeners: message to two listeners and the onmessage field", function()
  local a, b, da, db = H.connected("l")
  local got = {}
  db.onmessage = function(m) got[#got + 1] = "on:" .. m.data end
  db:addEventListener("message", function(m) got[#got + 1] = "x:" .. m.data end)
  db:addEventListener("message", function(m) got[#got + 1] = "y:" .. m.data end)
  da:send("hi")
  H.waitFor(function() return #got == 3 end, "three deliveries")
  eq(table.concat(got, ","), "on:hi,x:hi,y:hi")
end)

test("rtc.wait keeps a handler the script sets while it waits", function()
  local a, b, da, db = H.connected("w")
  local waited, handled
  rtc.spawn(function() waited = rtc.wait(db, "message", 5000) end)
  local function h(m) handled = m.data end
  db.onmessage = h -- set while the wait is pending
  da:send("one")
  H.waitFor(function() return waited and handled end, "both")
  eq(waited.data, "one")
  eq(handled, "one")
  eq(db.onmessage, h, "the handler is still the script's")
end)

test("rtc.wait for a state value: at once when already there, else when reached", function()
  local a, b = H.pair()
  local da = a:createDataChannel("s")
  local t0 = uv.hrtime()
  eq(rtc.wait(a, "stable", 1000).target, a, "stable at once")
  local reached
  rtc.spawn(function() reached = rtc.wait(a, "connected", 10000) end)
  assert(H.negotiate(a, b))
  H.waitFor(function() return reached end, "connected", 10000)
  eq(a.connectionState, "connected")
  eq(reached.type, "connectionstatechange")
  -- already connected: no wait
  local ev = rtc.wait(a, "connected", 1000)
  eq(ev.target, a)
  eq(rtc.wait(da, "open", 1000).target, da)
  ok((uv.hrtime() - t0) / 1e6 < 9000, "no timeout spent")
  -- a channel that closes while waited for "open" ends the wait
  local dc2 = a:createDataChannel("closing-soon")
  local r, err
  rtc.spawn(function() r, err = rtc.wait(dc2, "message", 5000) end)
  local r2, err2
  rtc.spawn(function() r2, err2 = rtc.wait(dc2, "closed", 5000) end)
  dc2:close()
  H.waitFor(function() return r2 end, "closed")
  eq(dc2.readyState, "closed")
  eq(r2.type, "close")
  H.waitFor(function() return err end, "message wait ended")
  eq(r, nil)
  eq(err, "closed")
  eq(rtc.wait(dc2, "close", 1000).target, dc2, "close already happened: at once")
end)

test("rtc.wait on a track: \"ended\" when it ends or at once once ended; an ended object answers at once", function()
  local a = H.pc()
  local t = assert(a:addTransceiver("audio"))
  local track = t.receiver.track
  eq(rtc.wait(track, "live", 1000).target, track, "live at once")
  local r
  rtc.spawn(function() r = rtc.wait(track, "ended", 5000) end)
  assert(t:stop())
  H.waitFor(function() return r end, "ended")
  eq(r.type, "ended")
  local t0 = uv.hrtime()
  eq(rtc.wait(track, "ended", 5000).target, track, "ended already: at once")
  local none, why = rtc.wait(track, "mute", 5000)
  eq(none, nil)
  eq(why, "ended", "an event of an ended track")
  local w = rtc.MediaStreamTrack { kind = "video", codec = "vp8" }
  w:stop() -- W3C: no ended event; the state shows it
  eq(rtc.wait(w, "ended", 5000).target, w, "stopped: at once")
  a:close()
  none, why = rtc.wait(a, "icecandidate", 5000)
  eq(none, nil)
  eq(why, "closed", "an event of a closed pc")
  ok((uv.hrtime() - t0) / 1e6 < 1000, "no timeout spent", (uv.hrtime() - t0) / 1e6)
end)

test("rtc.wait times out with nil, \"timeout\" and leaves no listener behind", function()
  local a = H.pc()
  local r, err = rtc.wait(a, "negotiationneeded", 20)
  eq(r, nil)
  eq(err, "timeout")
  local n = 0
  a:addEventListener("negotiationneeded", function() n = n + 1 end)
  a:createDataChannel("x")
  H.waitFor(function() return n == 1 end, "listener")
end)

-- DOM: the listeners an event reaches are those added before its dispatch began; one
-- added by a handler of that event (rtc.wait from a handler adds one) waits for the
-- next. Objects made in Lua (tracks, transports: lua/rtc/event_target.lua) as the pc.
test("a listener added while its event is dispatched waits for the next one", function()
  local a = H.pc()
  local calls = {}
  local function add_from_handler(obj, ev_type, name)
    calls[name] = 0
    obj["on" .. ev_type] = function()
      if obj["added_" .. ev_type] then return end
      obj["added_" .. ev_type] = true
      obj:addEventListener(ev_type, function() calls[name] = calls[name] + 1 end)
    end
  end
  local t = assert(a:addTransceiver("audio"))
  add_from_handler(a, "signalingstatechange", "pc")
  add_from_handler(t.receiver.track, "ended", "track")
  assert(a:setLocalDescription(assert(a:createOffer())))
  eq(calls.pc, 0, "pc: not for the event whose handler added it")
  assert(a:setLocalDescription({ type = "rollback" }))
  eq(calls.pc, 1, "pc: the next event")
  assert(t:stop())
  eq(t.receiver.track.readyState, "ended")
  eq(calls.track, 0, "track: not for the ended event whose handler added it")
end)

H.run()
