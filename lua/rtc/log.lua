-- rtc.log: the core's log lines (and the signaling modules'), with a level per module.
--
--   rtc.log.level = "debug"                 -- every module without its own level
--   rtc.log.configure("ice,dtls:debug")     -- as LUARTC_LOG: ice and dtls at debug
--   rtc.log.configure("info,sctp:trace,pc") -- default info, sctp trace, pc debug
--   rtc.log.sink = function(level, module, line) end   -- or "stderr" (the default)
--   rtc.log.write("debug", "ws", "...")     -- a line from Lua, through the same filter
-- Modules: pc, ice, dtls, sctp, transport, io, tls (C), ws, http, whip (Lua).
local core = require "rtc.core"

local LEVELS = { error = 0, warn = 1, info = 2, debug = 3, trace = 4 }
local state = { level = "warn", modules = {}, sink = "stderr" }
local log = {}

local function check_level(l)
  if LEVELS[l] == nil then error("rtc.log: level expected (error, warn, info, debug, trace), got " .. tostring(l), 3) end
  return l
end

-- Sets one module's level (nil: back to the default level).
function log.setModule(module, level)
  if level ~= nil then check_level(level) end
  state.modules[module] = level
  core.setLogModuleLevel(module, level)
end

-- A LUARTC_LOG-style spec: comma-separated items; "level" sets the default,
-- "mod:level" a module, a bare "mod" takes the level of the next "mod:level" item
-- (or debug when none follows).
function log.configure(spec)
  local waiting = {}
  for item in tostring(spec):gmatch("[^,%s]+") do
    local mod, lvl = item:match("^([%w_]+):(%a+)$")
    if mod then
      check_level(lvl)
      for _, m in ipairs(waiting) do log.setModule(m, lvl) end
      waiting = {}
      log.setModule(mod, lvl)
    elseif LEVELS[item] and #waiting == 0 then
      log.level = item
    else
      waiting[#waiting + 1] = item
    end
  end
  for _, m in ipairs(waiting) do log.setModule(m, "debug") end
end

function log.enabled(level, module)
  local l = state.modules[module] or state.level
  return LEVELS[level] <= LEVELS[l]
end

-- A line from Lua code, filtered like the core's and sent to the same sink.
function log.write(level, module, line)
  if not log.enabled(level, module) then return end
  if state.sink == "stderr" then
    io.stderr:write("luartc ", level, " [", module, "] ", line, "\n")
  else
    local ok, err = pcall(state.sink, level, module, line)
    if not ok then io.stderr:write("luartc: error in the log sink: ", tostring(err), "\n") end
  end
end

setmetatable(log, {
  __index = function(_, k)
    if k == "level" or k == "sink" then return state[k] end
    if k == "modules" then
      local copy = {}
      for m, l in pairs(state.modules) do copy[m] = l end
      return copy
    end
  end,
  __newindex = function(_, k, v)
    if k == "level" then
      core.setLogLevel(check_level(v))
      state.level = v
    elseif k == "sink" then
      if v == nil or v == "stderr" then
        core.setLogHandler(nil)
        state.sink = "stderr"
      elseif type(v) == "function" then
        core.setLogHandler(v)
        state.sink = v
      else
        error("rtc.log.sink: a function or \"stderr\"", 2)
      end
    else
      error("rtc.log: no field " .. tostring(k), 2)
    end
  end,
})

return log
