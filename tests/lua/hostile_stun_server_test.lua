-- Broken and hostile STUN servers (tiny UDP servers in the test): one answering
-- garbage, one a response with the right transaction but no address, one an error
-- response, one flooding answers, one silent. Expected: one onicecandidateerror per
-- server with its URL, no server-reflexive candidate, gathering completes (no hang;
-- the loop keeps running meanwhile), and the pc still connects over its host
-- candidates. The same for TURN servers answering Allocate with garbage, a success
-- without a relayed address, challenges without a nonce, endless 401s, errors or
-- nothing: an error per server, no relayed candidate, a bounded number of requests.
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

local turn_servers = {
  garbage = function() return { string.rep("\255", 50) } end,
  empty = function(req) return { "\1\3\0\0" .. req:sub(5, 20) } end, -- no XOR-RELAYED-ADDRESS
  no_nonce = function(req) return { "\1\19\0\12" .. req:sub(5, 20) .. "\0\9\0\8\0\0\4\1auth" } end,
  always_401 = function(req) -- a fresh nonce every time: never accepts the credentials
    return { "\1\19\0\52" .. req:sub(5, 20) .. "\0\9\0\8\0\0\4\1auth" .. "\0\20\0\5realm\0\0\0"
      .. "\0\21\0\16" .. string.format("%016d", math.random(1e9)) .. string.rep("\0", 8) }
  end,
  error500 = function(req) return { "\1\19\0\12" .. req:sub(5, 20) .. "\0\9\0\8\0\0\5\0oops" } end,
  silent = function() return {} end,
}

test("TURN servers answering garbage, no address, bad challenges, errors or nothing", function()
  local socks, urls, by_url, requests = {}, {}, {}, {}
  for name, answer in pairs(turn_servers) do
    local s = uv.new_udp()
    assert(s:bind("127.0.0.1", 0))
    requests[name] = 0
    s:recv_start(function(_, data, from)
      if not data then return end
      requests[name] = requests[name] + 1
      for _, r in ipairs(answer(data)) do s:try_send(r, from.ip, from.port) end
    end)
    local url = "turn:127.0.0.1:" .. s:getsockname().port .. "?transport=udp"
    socks[#socks + 1] = s
    urls[#urls + 1] = url
    by_url[url] = name
  end
  local pc = H.pc { iceServers = { { urls = urls, username = "u", credential = "p" } } }
  local errs, relayed = {}, 0
  pc.onicecandidateerror = function(ev) errs[#errs + 1] = ev end
  pc.onicecandidate = function(ev)
    if ev.candidate and not ev.candidate.candidate:find("typ host") then relayed = relayed + 1 end
  end
  pc:createDataChannel("x")
  assert(pc:setLocalDescription(assert(pc:createOffer())))
  H.waitFor(function() return pc.iceGatheringState == "complete" end, "gathering completes", 20000)
  eq(relayed, 0, "no relayed or reflexive candidate")
  -- a turn: URL is asked for Allocate (and may be for Binding): every error names a
  -- configured URL, every server has one, the Allocate errors say what went wrong
  local turn_err = {}
  for _, e in ipairs(errs) do
    local name = by_url[e.url]
    ok(name, "the error names a configured URL", e.url)
    if e.errorText:find("TURN") or e.errorText:find("XOR%-RELAYED") or e.errorText:find("NONCE") then
      turn_err[name] = e
    end
  end
  for name in pairs(turn_servers) do ok(turn_err[name], "an Allocate error for the " .. name .. " server") end
  eq(turn_err.error500.errorCode, 500)
  eq(turn_err.always_401.errorCode, 401)
  eq(turn_err.no_nonce.errorCode, 401)
  eq(turn_err.silent.errorCode, 701)
  for name, n in pairs(requests) do ok(n <= 20, "a bounded number of requests to " .. name, n) end
  for _, s in ipairs(socks) do s:close() end
end, 30000)

H.run()
