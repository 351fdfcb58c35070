-- luartc: W3C-shaped WebRTC for Lua. The C core (rtc.core) is mapped one to one;
-- this file holds the policy: configuration defaults, description tables, the
-- callback form of the promise methods, coroutines (spawn/sleep/wait) and error
-- reporting. Everything runs on luv's loop: `require "luv"` gives the same loop.
local uv = require "luv"
local core = require "rtc.core"

local unpack = unpack or table.unpack
local select, type, tostring, error, pairs = select, type, tostring, error, pairs
local co_create, co_resume, co_running, co_yield, co_status =
  coroutine.create, coroutine.resume, coroutine.running, coroutine.yield, coroutine.status

local rtc = { core = core, _VERSION = "0.1.0" }
rtc.version = rtc._VERSION -- the release, as in the rockspec

---------------------------------------------------------------------------
-- Errors raised by handlers and callbacks: reported, the loop goes on.

function rtc.onerror(msg)
  io.stderr:write("luartc: ", tostring(msg), "\n")
end

local function report(msg)
  local h = rtc.onerror
  if type(h) == "function" then
    local ok, err = pcall(h, msg)
    if ok then return end
    io.stderr:write("luartc: error in rtc.onerror: ", tostring(err), "\n")
  end
  io.stderr:write("luartc: ", tostring(msg), "\n")
end
rtc._report = report
core.setErrorReporter(report)

-- Runs fn(...) under xpcall with a traceback; reports an error.
local handler_traceback = require("rtc.event_target").traceback
local function protected(fn, ...)
  local ok, err = xpcall(fn, handler_traceback, ...)
  if not ok then report(err) end
  return ok
end

---------------------------------------------------------------------------
-- Coroutines.

local main_co -- the runner's main chunk: an error there ends the process

-- Coroutines luartc resumes (the runner's main chunk, rtc.spawn): the promise methods
-- wait in these; in any other coroutine they answer at once, as outside one.
local ours = setmetatable({}, { __mode = "k" })

local function resume(co, ...)
  local ok, err = co_resume(co, ...)
  if not ok then
    local tb = debug.traceback(co, tostring(err))
    if co == main_co then
      io.stdout:flush()
      io.stderr:write("luartc: ", tb, "\n")
      io.stderr:flush()
      os.exit(1)
    end
    report(tb)
  end
  return ok, err
end
rtc._resume = resume

-- Runs fn(...) as a new coroutine, now; returns the coroutine.
function rtc.spawn(fn, ...)
  if type(fn) ~= "function" then error("rtc.spawn: function expected", 2) end
  local co = co_create(fn)
  ours[co] = true
  resume(co, ...)
  return co
end

local function current(what)
  local co = co_running()
  if not co then error(what .. ": not in a coroutine (use rtc.spawn)", 3) end
  return co
end

-- Waits ms milliseconds on the loop (in a coroutine).
function rtc.sleep(ms)
  local co = current("rtc.sleep")
  local t = uv.new_timer()
  t:start(ms or 0, 0, function()
    t:close()
    resume(co)
  end)
  return co_yield()
end

-- Generic await: start(done) starts an operation that calls done(...) once;
-- returns done's arguments. Works whether done is called before or after the yield.
function rtc.await(start)
  local co = current("rtc.await")
  local state, result = "running", nil
  start(function(...)
    if state == "done" then return end
    if state == "waiting" then
      state = "done"
      resume(co, ...)
    else
      state = "done"
      result = { n = select("#", ...), ... }
    end
  end)
  if state == "done" then return unpack(result, 1, result.n) end
  state = "waiting"
  return co_yield()
end

-- rtc.wait(obj, name, timeout_ms), in a coroutine. name is a state value or an event
-- type. A state value of the object (a pc's connectionState, signalingState,
-- iceGatheringState or iceConnectionState, in that order of precedence; a channel's
-- readyState) returns at once when the attribute already shows it, else at the event
-- that makes it so. An event type waits for the next such event. Returns the event
-- table (at once: {type = name, target = obj}); nil, "timeout" after timeout_ms;
-- nil, "closed" (or "failed") when the object gets there first. Built on
-- addEventListener: handlers and listeners the script sets meanwhile are untouched.
local pc_states = {
  { "connectionState", "connectionstatechange",
    { new = 1, connecting = 1, connected = 1, disconnected = 1, failed = 1, closed = 1 } },
  { "signalingState", "signalingstatechange",
    { stable = 1, ["have-local-offer"] = 1, ["have-remote-offer"] = 1,
      ["have-local-pranswer"] = 1, ["have-remote-pranswer"] = 1 } },
  { "iceGatheringState", "icegatheringstatechange", { gathering = 1, complete = 1 } },
  { "iceConnectionState", "iceconnectionstatechange", { checking = 1, completed = 1 } },
}
local dc_states = { connecting = 1, open = 1, closing = 1, closed = 1 }
local transport_states = { new = 1, checking = 1, connecting = 1, connected = 1, completed = 1,
  disconnected = 1, failed = 1, closed = 1 }

local track_states = { live = 1, ended = 1 }

-- a MediaStreamTrack has a kind and a readyState; a data channel a readyState only
local function is_track(obj) return obj.readyState ~= nil and obj.kind ~= nil end
local function is_channel(obj) return obj.readyState ~= nil end
local is_transport -- rtc.transport.is_transport, set below

function rtc.wait(obj, name, timeout_ms)
  if type(name) ~= "string" then error("rtc.wait: event type or state value expected", 2) end
  local attr, events -- a state value: the attribute and the events that change it
  if is_transport(obj) then
    -- RTCIceTransport, RTCDtlsTransport, RTCSctpTransport: a value of their state
    if transport_states[name] then attr, events = "state", { "statechange" } end
  elseif is_track(obj) then
    if track_states[name] then attr, events = "readyState", { "ended" } end
  elseif is_channel(obj) then
    if name == "close" then name = "closed" end -- a one-time event: its state
    if dc_states[name] then attr, events = "readyState", { "open", "closing", "close" } end
  else
    for i = 1, #pc_states do
      local s = pc_states[i]
      if s[3][name] then
        attr, events = s[1], { s[2] }
        break
      end
    end
  end
  if attr and obj[attr] == name then return { type = name, target = obj } end
  if not attr then events = { name } end
  -- the end of the object ends the wait
  local function ended()
    if is_transport(obj) then
      local st = obj.state
      if st == "closed" or st == "failed" then return st end
    elseif is_track(obj) then
      if obj.readyState == "ended" then return "ended" end
    elseif is_channel(obj) then
      if obj.readyState == "closed" then return "closed" end
    else
      local cs = obj.connectionState
      if cs == "closed" or cs == "failed" then return cs end
    end
  end
  -- an object already at its end sends no more events, so the wait would never end
  -- ("failed" is left out: an ICE restart can leave it)
  local why = ended()
  if why == "closed" or why == "ended" then return nil, why end
  return rtc.await(function(done)
    local timer
    local listeners = {}
    local function finish(...)
      if not listeners then return end
      for ev_type, fn in pairs(listeners) do obj:removeEventListener(ev_type, fn) end
      listeners = nil
      if timer then
        timer:close()
        timer = nil
      end
      done(...)
    end
    local function listen(ev_type, fn)
      listeners[ev_type] = fn
      obj:addEventListener(ev_type, fn)
    end
    for i = 1, #events do
      listen(events[i], function(ev)
        if not attr or obj[attr] == name then return finish(ev) end
        local why = ended()
        if why then finish(nil, why) end
      end)
    end
    local watch = is_transport(obj) and "statechange" or is_track(obj) and "ended"
      or is_channel(obj) and "close" or "connectionstatechange"
    if not listeners[watch] then
      listen(watch, function()
        local why = ended()
        if why then finish(nil, why) end
      end)
    end
    if timeout_ms then
      timer = uv.new_timer()
      timer:start(timeout_ms, 0, function() finish(nil, "timeout") end)
    end
  end)
end

---------------------------------------------------------------------------
-- Callbacks of the promise methods: called later from the loop, in order.

local function pack(...) return { n = select("#", ...), ... } end

local pending, pending_timer = {}, nil

local function flush()
  local list = pending
  pending = {}
  for i = 1, #list do
    local e = list[i]
    protected(e.cb, unpack(e.res, 1, e.res.n))
  end
end

-- Calls cb(res...) from a loop timer (for what has no place in a pc's event order).
local function defer(cb, ...)
  pending[#pending + 1] = { cb = cb, res = pack(...) }
  if #pending == 1 then
    if not pending_timer then pending_timer = uv.new_timer() end
    pending_timer:start(0, 0, flush)
  end
end
rtc._defer = defer

-- A failure always carries message and name (nil, "why", "ENAME").
local function outcome(...)
  local res = pack(...)
  if res[1] == nil then
    if res[2] == nil then res[2] = "failed" end
    if res[3] == nil then res[3] = "EFAILED" end
    res.n = 3
  end
  return res
end

-- fn(self, ...) -> result | nil, err, NAME. The wrapper also accepts a trailing callback
-- function(result, err, NAME), called from the loop after the call returns.
local flush_log = core.flushLog
local function after_call(...)
  flush_log() -- log lines the call produced: handed over now that it is done
  return ...
end

local function promise(fn)
  return function(...)
    local n = select("#", ...)
    local cb = n > 0 and select(n, ...) or nil
    if type(cb) ~= "function" then return after_call(fn(...)) end
    local args = { ... }
    local res = outcome(fn(unpack(args, 1, n - 1)))
    flush_log()
    defer(cb, unpack(res, 1, res.n))
  end
end
rtc.promise = promise

-- The operations chain of a pc (W3C): fn(self, token, ...) runs the C call at once
-- and, given a token, the core queues the result among the pc's events, after the
-- signalingstatechange the call caused and before the candidates and states it
-- started. The callback (or the waiting coroutine) runs when delivery reaches it.
local operations = setmetatable({}, { __mode = "k" }) -- pc -> { [token] = entry }
local next_token = 0

core.setResultHandler(function(pc, token)
  local ops = operations[pc]
  local e = ops and ops[token]
  if not e then return end
  ops[token] = nil
  if e.co then
    resume(e.co, unpack(e.res, 1, e.res.n))
  else
    e.cb(unpack(e.res, 1, e.res.n)) -- the binding reports an error with its traceback
  end
end)

local pc_active -- core.pc_methods._active, set below

local function operation(fn)
  return function(self, ...)
    local n = select("#", ...)
    local cb = n > 0 and select(n, ...) or nil
    local co
    if type(cb) == "function" then
      n = n - 1
    else
      cb = nil
      co = co_running()
      if not (co and ours[co]) then return after_call(fn(self, nil, ...)) end
    end
    local token
    if pc_active(self) then
      next_token = next_token % 0x7ffffff0 + 1
      token = next_token
    end
    local args = { ... }
    local res = outcome(fn(self, token, unpack(args, 1, n)))
    flush_log()
    if not token then -- the transport is gone: nothing to order against
      if co then return unpack(res, 1, res.n) end
      return defer(cb, unpack(res, 1, res.n))
    end
    local ops = operations[self]
    if not ops then
      ops = {}
      operations[self] = ops
    end
    ops[token] = { cb = cb, co = co, res = res }
    if co then return co_yield() end
  end
end

---------------------------------------------------------------------------
-- RTCPeerConnection

local pcm = core.pc_methods
local raw = {}
for k, v in pairs(pcm) do raw[k] = v end

local function pc_createOffer(self, token, options)
  if options ~= nil and type(options) ~= "table" then
    error("createOffer: options must be a table", 3)
  end
  local sdp, err, name = raw.createOffer(self, options ~= nil and options.iceRestart or false, token)
  if not sdp then return nil, err, name end
  return { type = "offer", sdp = sdp }
end

local function pc_createAnswer(self, token, options)
  local sdp, err, name = raw.createAnswer(self, token)
  if not sdp then return nil, err, name end
  return { type = "answer", sdp = sdp }
end

local function pc_setLocalDescription(self, token, desc)
  local t, sdp = "offer", nil -- no sdp: the core picks the implicit offer or answer
  if desc ~= nil then
    if type(desc) ~= "table" then error("setLocalDescription: description must be a table", 3) end
    t, sdp = desc.type or "offer", desc.sdp
    if sdp == "" then sdp = nil end
  end
  return raw.setLocalDescription(self, t, sdp, token)
end

local function pc_setRemoteDescription(self, token, desc)
  if type(desc) ~= "table" or type(desc.type) ~= "string" then
    error("setRemoteDescription: description {type = ..., sdp = ...} expected", 3)
  end
  if desc.type ~= "rollback" and type(desc.sdp) ~= "string" then
    error("setRemoteDescription: description.sdp must be a string", 3)
  end
  return raw.setRemoteDescription(self, desc.type, desc.sdp, token)
end

local function pc_addIceCandidate(self, token, cand)
  local c, mid, idx
  if type(cand) == "string" then
    c = cand
    idx = 0
  elseif type(cand) == "table" then
    c, mid, idx = cand.candidate, cand.sdpMid, cand.sdpMLineIndex
    if c ~= nil and type(c) ~= "string" then error("addIceCandidate: candidate must be a string", 3) end
  elseif cand ~= nil then
    error("addIceCandidate: candidate table expected", 3)
  end
  if c == "" then c = nil end
  if c ~= nil and mid == nil and idx == nil then
    error("addIceCandidate: TypeError: sdpMid and sdpMLineIndex are both null", 3)
  end
  if mid ~= nil then mid = tostring(mid) end
  return raw.addIceCandidate(self, c, mid, idx, token)
end

local configs = setmetatable({}, { __mode = "k" })

pc_active = raw._active
pcm._active = nil
pcm.createOffer = operation(pc_createOffer)
pcm.createAnswer = operation(pc_createAnswer)
pcm.setLocalDescription = operation(pc_setLocalDescription)
pcm.setRemoteDescription = operation(pc_setRemoteDescription)
pcm.addIceCandidate = operation(pc_addIceCandidate)
pcm.getStats = operation(function(self, token) return raw.getStats(self, token) end)
pcm.createDataChannel = function(self, label, init)
  if label == nil then label = "" end
  if type(label) ~= "string" then error("createDataChannel: label must be a string", 2) end
  if init ~= nil and type(init) ~= "table" then error("createDataChannel: init must be a table", 2) end
  return raw.createDataChannel(self, label, init)
end
pcm.getConfiguration = function(self)
  local c = configs[self] or {}
  local copy = {}
  for k, v in pairs(c) do copy[k] = v end
  return copy
end

require("rtc.media").install(rtc, core, pcm, raw)
local transport = require "rtc.transport"
transport.install(rtc, core)
is_transport = transport.is_transport

local function default_gather()
  local env = os.getenv("LUARTC_GATHER_ADDRESSES")
  if not env or env == "" then return nil end
  local list = {}
  for a in env:gmatch("[^,%s]+") do list[#list + 1] = a end
  return #list > 0 and list or nil
end

function rtc.RTCPeerConnection(config)
  if config == nil then config = {} end
  if type(config) ~= "table" then error("RTCPeerConnection: config must be a table", 2) end
  if config.iceServers ~= nil and type(config.iceServers) ~= "table" then
    error("RTCPeerConnection: iceServers must be a list", 2)
  end
  local c = {
    iceTransportPolicy = config.iceTransportPolicy or "all",
    bundlePolicy = config.bundlePolicy or "balanced",
    gatherAddresses = config.gatherAddresses or default_gather(),
    maxMessageSize = config.maxMessageSize,
    maxSdpSize = config.maxSdpSize,
    maxChannels = config.maxChannels,
    maxRemoteCandidates = config.maxRemoteCandidates,
    maxBufferedAmount = config.maxBufferedAmount,
    maxReceiveBuffer = config.maxReceiveBuffer,
    iceServers = config.iceServers,
    turnCaFile = config.turnCaFile,
    iceTcp = config.iceTcp,
    udpMux = config.udpMux,
    mdnsHostCandidates = config.mdnsHostCandidates,
    receiveSimulcast = config.receiveSimulcast,
  }
  if config.certificates ~= nil then
    if type(config.certificates) ~= "table" then error("RTCPeerConnection: certificates must be a list", 2) end
    c.certificate = config.certificates[1]
  end
  if config.portRange ~= nil then
    if type(config.portRange) ~= "table" then error("RTCPeerConnection: portRange must be {min=, max=}", 2) end
    c.portMin, c.portMax = config.portRange.min, config.portRange.max
  end
  local pc, err = core.RTCPeerConnection(c)
  if not pc then return nil, err end
  local copy = {}
  for k, v in pairs(config) do copy[k] = v end
  if copy.iceTransportPolicy == nil then copy.iceTransportPolicy = c.iceTransportPolicy end
  if copy.bundlePolicy == nil then copy.bundlePolicy = c.bundlePolicy end
  configs[pc] = copy
  return pc
end

---------------------------------------------------------------------------
-- Certificates, logging, the loop.

rtc.generateCertificate = promise(function(keygenAlgorithm) return core.generateCertificate(keygenAlgorithm) end)
rtc.certificateFromPEM = core.certificateFromPEM
rtc.setLogLevel = core.setLogLevel
rtc.setLogHandler = core.setLogHandler
-- LUARTC_LOG=debug (error, warn, info, debug, trace) sets the level without code changes.
-- rtc.log (lua/rtc/log.lua): levels per module; LUARTC_LOG="ice,dtls:debug" style.
rtc.log = require "rtc.log"
if os.getenv("LUARTC_LOG") then pcall(rtc.log.configure, os.getenv("LUARTC_LOG")) end

-- Under the runner the loop already runs (or will, once the main chunk yields):
-- rtc.run() in a coroutine then waits until the loop has nothing left to do, as
-- uv.run() would return under plain luajit.
local run_waiters

function rtc.run(mode)
  if run_waiters and mode == nil and co_running() then
    run_waiters[#run_waiters + 1] = co_running()
    return co_yield()
  end
  return uv.run(mode)
end
function rtc.now() return uv.hrtime() / 1e6 end -- ms, monotonic

function rtc.exit(code)
  io.stdout:flush()
  io.stderr:flush()
  os.exit(code or 0)
end

-- The runner: the main chunk as a coroutine, then the loop until nothing is alive.
function rtc._main(chunk, ...)
  run_waiters = {}
  main_co = co_create(chunk)
  ours[main_co] = true
  resume(main_co, ...)
  while true do
    uv.run()
    if #run_waiters == 0 then break end
    local waiters = run_waiters
    run_waiters = {}
    for i = 1, #waiters do resume(waiters[i], true) end
  end
  return 0
end

-- The signaling modules (lua/rtc/ws.lua, http.lua, whip.lua), loaded on first use.
local lazy = { ws = "rtc.ws", http = "rtc.http", whip = "rtc.whip", whep = "rtc.whip" }
setmetatable(rtc, { __index = function(t, k)
  local m = lazy[k] and require(lazy[k])
  if m then rawset(t, k, m) end
  return m
end })

return rtc
