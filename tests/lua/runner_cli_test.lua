-- The runner's command line as luajit's: `luartc -` runs stdin, `luartc --version`.
local H = dofile((arg[0]:match("^(.*)/") or ".") .. "/harness.lua")
local test, eq, ok = H.test, H.eq, H.ok

local runner = arg[-1]
local function sh_quote(s) return "'" .. s:gsub("'", "'\\''") .. "'" end
local function run(cmd)
  local f = io.popen(cmd .. " 2>&1; echo \"EXIT=$?\"")
  local out = f:read("*a")
  f:close()
  local status = tonumber(out:match("EXIT=(%d+)%s*$"))
  return out:gsub("EXIT=%d+%s*$", ""), status
end

test("luartc --version prints the release that rtc.version holds", function()
  local out, status = run(sh_quote(runner) .. " --version")
  eq(status, 0, out)
  local v = require("rtc").version
  ok(type(v) == "string" and v:match("^%d+%.%d+%.%d+"), "rtc.version", v)
  ok(out:find("luartc " .. v, 1, true), "the version line", out)
  ok(out:find("LuaJIT", 1, true), "names the Lua it embeds", out)
end)

test("luartc - runs the script on stdin, with its arguments and the loop", function()
  local src = [[
local rtc = require "rtc"
print("args", ...)
rtc.sleep(10)
print("after sleep")
]]
  local out, status = run("printf %s " .. sh_quote(src) .. " | timeout 30 " .. sh_quote(runner) .. " - x y")
  eq(status, 0, out)
  ok(out:find("args\tx\ty", 1, true), "arguments after -", out)
  ok(out:find("after sleep", 1, true), "ran on the loop", out)
end)

test("an unknown option is refused with the usage", function()
  local out, status = run(sh_quote(runner) .. " --no-such-option")
  eq(status, 1, out)
  ok(out:find("usage:", 1, true), "usage", out)
end)

H.run()
