-- The DOM EventTarget part of the objects made in Lua (MediaStreamTrack, the
-- transports; peer connections and channels have theirs in C: bindings/rtc_lua_events.c).
-- addEventListener ignores a listener already added (DOM); an event runs on<type>
-- first, then the listeners in the order added, from a snapshot (one removed meanwhile
-- is not called); a handler that raises is reported through rtc.onerror with its
-- traceback and the others still run.
local M = {}

local type, ipairs, error, rawget, rawset, xpcall = type, ipairs, error, rawget, rawset, xpcall
local traceback = debug.traceback

local report = function(err) io.stderr:write(tostring(err), "\n") end

function M.install(rtc) report = rtc._report end

function M.addEventListener(self, ev_type, fn)
  if type(ev_type) ~= "string" then error("addEventListener: type must be a string", 2) end
  if type(fn) ~= "function" then error("addEventListener: listener must be a function", 2) end
  local ls = rawget(self, "_listeners")
  if not ls then
    ls = {}
    rawset(self, "_listeners", ls)
  end
  local list = ls[ev_type] or {}
  for _, l in ipairs(list) do if l.fn == fn then return end end
  local copy = {}
  for i, l in ipairs(list) do copy[i] = l end
  copy[#copy + 1] = { fn = fn }
  ls[ev_type] = copy
end

function M.removeEventListener(self, ev_type, fn)
  local ls = rawget(self, "_listeners")
  local list = ls and ls[ev_type]
  if not list then return end
  local copy = {}
  for _, l in ipairs(list) do
    if l.fn == fn then l.removed = true else copy[#copy + 1] = l end
  end
  ls[ev_type] = #copy > 0 and copy or nil
end

-- The report of a raise: a string with the traceback whatever was raised, as the pc's
-- handlers get (bindings: rtc_lua_traceback); debug.traceback hands a table back
-- untouched, without a traceback, and rtc.onerror got the table.
function M.traceback(err)
  if type(err) ~= "string" and type(err) ~= "number" then
    err = "(error object is a " .. type(err) .. " value)"
  end
  return traceback(err, 2)
end

-- Runs fn(ev); an error is reported, not raised.
function M.call(fn, ev)
  local ok, err = xpcall(fn, M.traceback, ev)
  if not ok then report(err) end
end

-- Dispatches ev (a table, or nil for a plain event) as ev_type on obj; ev.type and
-- ev.target are set.
function M.fire(obj, ev_type, ev)
  ev = ev or {}
  ev.type, ev.target = ev_type, obj
  -- The listeners as they are before anything runs: one that the handler adds waits
  -- for the next event (DOM), as on the pc (rtc.wait from a handler is such a one).
  local ls = rawget(obj, "_listeners")
  local list = ls and ls[ev_type]
  local h = obj["on" .. ev_type]
  if type(h) == "function" then M.call(h, ev) end
  if list then
    for _, l in ipairs(list) do
      if not l.removed then M.call(l.fn, ev) end
    end
  end
end

return M
