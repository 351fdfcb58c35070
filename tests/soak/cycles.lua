-- Soak: N create/connect/close cycles of a pair in one process (default 10,000):
-- two pcs on loopback, a channel opens both ways, one message, both close, GC.
-- Prints RSS and open descriptors at cycle 1,000 and at the end; fails when RSS grew
-- more than 10 % between 1,000 and N, or descriptors grew (by more than one lazily made process-wide one). ~20 ms a cycle: 10,000 take ~4 min, so not in make test.
--   build/luartc tests/soak/cycles.lua [N]
local H = dofile((arg[0]:match("^(.*)/") or ".") .. "/../lua/harness.lua")
local rtc = H.rtc
local N = tonumber(arg[1]) or 10000

local function rss_kb()
  for line in io.lines("/proc/self/status") do
    local v = line:match("^VmRSS:%s+(%d+)")
    if v then return tonumber(v) end
  end
end
local function fds()
  local p = io.popen("ls /proc/" .. H.uv.os_getpid() .. "/fd 2>/dev/null | wc -l")
  local n = tonumber(p:read("*a")); p:close(); return n
end

H.test("create/connect/close cycles: RSS and descriptors stay flat", function()
  collectgarbage()
  local fd0, rss1k, fd1k

  local t0 = H.uv.hrtime()
  for i = 1, N do
    local a, b, da, db = H.connected("soak")
    da:send("x")
    H.waitFor(function() return db.readyState == "open" end, "open")
    a:close(); b:close()
    H.forget()
    if i % 100 == 0 then collectgarbage() end
    if i == 1 then collectgarbage(); rtc.sleep(100); fd0 = fds() end -- after the first: lazily made process-wide ones exist
    if i == math.min(1000, N) then collectgarbage(); collectgarbage(); rss1k, fd1k = rss_kb(), fds() end
  end
  collectgarbage(); collectgarbage(); rtc.sleep(100)
  local rssN, fdN = rss_kb(), fds()
  print(string.format("  %d cycles in %.0f s: RSS %d kB at %d, %d kB at %d (%+.1f %%); fds %d before, %d at %d, %d after",
    N, (H.uv.hrtime() - t0) / 1e9, rss1k, math.min(1000, N), rssN, N, (rssN - rss1k) * 100 / rss1k,
    fd0, fd1k, math.min(1000, N), fdN))
  H.ok(rssN <= rss1k * 1.10, "RSS grew more than 10 % between 1,000 and N cycles")
  -- +-1: a process-wide descriptor libuv/luv opens lazily; a leak would be one per cycle
  H.ok(fdN <= fd0 + 1 and fdN <= fd1k + 1, "open descriptors grew: " .. fd0 .. " -> " .. fdN)
end, 3600 * 1000)

H.run()
