-- Broken and hostile STUN servers (tiny UDP servers in the test): one answering
-- garbage, one a response with the right transaction but no address, one an error
-- response, one flooding answers, one silent. Expected: one onicecandidateerror per
-- server with its URL, no server-reflexive candidate, gathering completes (no hang;
-- the loop keeps running meanwhile), and the pc still connects over its host
-- candidates. (A TURN variant comes with the TURN client: runtime/turn.)
local H = dofile((arg[0]:match("^(.*)/") or ".") .. "/harness.lua")
local uv = H.uv
local test, eq, ok = H.test, H.eq, H.ok

local servers = {
  garbage = function() return { string.rep("\255", 50), "\1\1\0\0\33\18\164\66" .. string.rep("x", 12) } end,
  empty = function(req) return { "\1\1\0\0" .. req:sub(5, 20) } end, -- success, no XOR-MAPPED-ADDRESS
  truncated = function(req) return { "\1\1\0\40" .. req:sub(5, 20) .. "\0\32\0\8" } end,
  error500 = function(req) return { "\1\17\0\12" .. req:sub(5, 20) .. "\0\9\0\8\0\0\5\0oops" } end,
  flood = function(req)
    local t = {}
    for i = 1, 200 do t[i] = "\1\1\0\0" .. req:sub(5, 20) end
    return t
  end,
  silent = function() return {} end,
}

test("garbage, empty, truncated, error, flooding and silent STUN servers: errors, no hang", function()
  local socks, urls, by_url = {}, {}, {}
  for name, answer in pairs(servers) do
    local s = uv.new_udp()
    assert(s:bind("127.0.0.1", 0))
    s:recv_start(function(_, data, from)
      if data then for _, r in ipairs(answer(data)) do s:try_send(r, from.ip, from.port) end end
    end)
    local url = "stun:127.0.0.1:" .. s:getsockname().port
    socks[#socks + 1] = s
    urls[#urls + 1] = url
    by_url[url] = name
  end
  local a = H.pc { iceServers = { { urls = urls } } }
  local errs, srflx, host = {}, 0, 0
  a.onicecandidateerror = function(ev) errs[#errs + 1] = ev end
  a.onicecandidate = function(ev)
    if ev.candidate and ev.candidate.candidate:find("typ srflx") then srflx = srflx + 1 end
    if ev.candidate and ev.candidate.candidate:find("typ host") then host = host + 1 end
  end
  local ticks = 0
  local timer = uv.new_timer()
  timer:start(50, 50, function() ticks = ticks + 1 end)
  local b = H.pc()
  local da = a:createDataChannel("x")
  local db
  b.ondatachannel = function(ev) db = ev.channel end
  local t0 = uv.hrtime()
  assert(a:setLocalDescription(assert(a:createOffer())))
  H.waitFor(function() return a.iceGatheringState == "complete" end, "gathering completes", 20000)
  local ms = (uv.hrtime() - t0) / 1e6
  timer:close()
  ok(ticks >= ms / 50 / 2, "the loop kept running", ticks, ms)
  eq(srflx, 0, "no server-reflexive candidate from any of them")
  ok(host >= 1, "host candidates still")
  local seen = {}
  for _, e in ipairs(errs) do
    local name = by_url[e.url]
    ok(name, "the error names a configured URL", e.url)
    ok(not seen[name], "one error per server", name)
    seen[name] = e
    ok(type(e.errorText) == "string" and #e.errorText > 0, "errorText", name)
  end
  for name in pairs(servers) do ok(seen[name], "an error for the " .. name .. " server") end
  eq(seen.error500.errorCode, 500, "the server's own error code")
  eq(seen.silent.errorCode, 701, "no answer: 701")
  -- the pc works: connect to b over host candidates
  assert(b:setRemoteDescription(a.localDescription))
  assert(b:setLocalDescription(assert(b:createAnswer())))
  H.waitFor(function() return b.iceGatheringState == "complete" end, "b gathering")
  assert(a:setRemoteDescription(b.localDescription))
  H.waitFor(function() return da.readyState == "open" and db and db.readyState == "open" end, "connected")
  for _, s in ipairs(socks) do s:close() end
end, 30000)

H.run()
