-- rtc.whip against independent peers: aiortc with Python's urllib / http.server
-- (both roles), and curl for the HTTP details (CORS preflight, refusals).
local H = dofile((arg[0]:match("^(.*)/") or ".") .. "/lib.lua")
local rtc = H.rtc
local whip, http = rtc.whip, rtc.http
local test, eq, ok = H.test, H.eq, H.ok

local PY = "/usr/bin/python3"
local have_aiortc = os.execute(PY .. " -c 'import aiortc' 2>/dev/null") == 0

local function echo_endpoint()
  return assert(whip.listen({
    port = 0, token = "tok", config = { gatherAddresses = H.LOCAL },
    iceServers = { { urls = "stun:stun.example.org" } },
    onsession = function(pc)
      pc.ondatachannel = function(ev)
        ev.channel.onmessage = function(m) ev.channel:send("echo " .. m.data) end
      end
    end,
  }))
end

if have_aiortc then
  test("aiortc publishes to the luartc WHIP endpoint (urllib POST, data channel, DELETE)", function()
    local srv = echo_endpoint()
    local p = H.spawn(PY, { H.here .. "/whip_aiortc.py", "client", "http://127.0.0.1:" .. srv.port .. "/whip", "tok" })
    H.waitFor(function() return p.exited ~= nil end, "aiortc client", 30000)
    local got = {}
    for _, l in ipairs(p.lines) do got[l.step] = l end
    ok(got.post, "no POST: " .. table.concat(p.raw, "\n") .. p.stderr())
    eq(got.post.status, 201)
    ok(got.post.location:match("^/whip/%w+$"), "Location", got.post.location)
    eq(got.post.ctype, "application/sdp")
    eq(got.post.link, '<stun:stun.example.org>; rel="ice-server"')
    ok(got.echo, "no echo: " .. p.stderr())
    eq(got.echo.data, "echo hello")
    eq(got.delete.status, 200)
    eq(next(srv.sessions), nil, "the session is gone")
    srv.close()
  end, 40000)

  test("luartc publishes to an aiortc WHIP endpoint (http.server), Link ICE servers, DELETE", function()
    local p = H.spawn(PY, { H.here .. "/whip_aiortc.py", "server", "tok" })
    local port = p.waitField("port", 15000).port
    local pc = H.pc()
    local dc = pc:createDataChannel("to-aiortc")
    local got
    dc.onmessage = function(m) got = m.data end
    local s = assert(whip.publish("http://127.0.0.1:" .. port .. "/whip", pc, { token = "tok" }))
    eq(s.url, "http://127.0.0.1:" .. port .. "/whip/1")
    eq(#s.iceServers, 2)
    eq(s.iceServers[2].urls, "turn:turn.example.net?transport=tcp")
    eq(s.iceServers[2].username, "user")
    H.waitFor(function() return dc.readyState == "open" end, "open", 15000)
    dc:send("ping")
    H.waitFor(function() return got end, "echo", 10000)
    eq(got, "echo ping")
    assert(s:close())
    H.waitFor(function()
      for _, l in ipairs(p.lines) do if l.event == "deleted" then return true end end
    end, "aiortc saw DELETE")
    local pc2 = H.pc()
    pc2:createDataChannel("x")
    local s2, err = whip.publish("http://127.0.0.1:" .. port .. "/whip", pc2, { token = "wrong" })
    ok(not s2 and err:find("401"), "wrong token refused", tostring(err))
    p.kill()
    http.closeIdle()
  end, 40000)
else
  io.stderr:write("whip_test: python3-aiortc missing; aiortc cases skipped\n")
end

-- curl: an HTTP client nobody here wrote.

test("curl: CORS preflight, 401 without a token, 415, POST with a token, DELETE", function()
  local srv = echo_endpoint()
  local url = "http://127.0.0.1:" .. srv.port .. "/whip"
  local pre
  local function run(args)
    return rtc.await(function(done)
      -- curl blocks: run it in the thread pool so the loop (our server) keeps going
      H.uv.new_work(function(a)
        local f = io.popen("curl -s -i --max-time 10 " .. a .. " 2>&1")
        local out = f:read("*a")
        f:close()
        return out
      end, function(out) done(out) end):queue(args)
    end)
  end
  pre = run("-X OPTIONS -H 'Origin: http://page.example' -H 'Access-Control-Request-Method: POST' " .. url)
  ok(pre:match("^HTTP/1.1 204"), "preflight status", pre)
  ok(pre:find("Access%-Control%-Allow%-Origin: %*"), "allow origin", pre)
  ok(pre:find("Access%-Control%-Allow%-Headers: [^\r]*Authorization"), "allow headers", pre)
  local r = run("-X POST -H 'Content-Type: application/sdp' --data-binary 'v=0' " .. url)
  ok(r:match("^HTTP/1.1 401"), "401", r)
  r = run("-X POST -H 'Authorization: Bearer tok' -H 'Content-Type: text/plain' --data-binary 'v=0' " .. url)
  ok(r:match("^HTTP/1.1 415"), "415", r)
  -- a real offer, made by luartc, POSTed by curl
  local pc = H.pc()
  pc:createDataChannel("c")
  assert(pc:setLocalDescription())
  rtc.wait(pc, "complete", 5000)
  local path = os.tmpname()
  local f = io.open(path, "wb")
  f:write(pc.localDescription.sdp)
  f:close()
  r = run("-X POST -H 'Authorization: Bearer tok' -H 'Content-Type: application/sdp' --data-binary @" .. path .. " " .. url)
  os.remove(path)
  ok(r:match("^HTTP/1.1 201"), "201", r)
  local loc = r:match("\r\nLocation: ([^\r]+)")
  ok(loc, "Location", r)
  ok(r:find("\r\nAccess%-Control%-Expose%-Headers: [^\r]*Location"), "exposed Location", r)
  ok(r:find("\r\n\r\nv=0\r\n"), "SDP answer body", r)
  r = run("-X DELETE -H 'Authorization: Bearer tok' http://127.0.0.1:" .. srv.port .. loc)
  ok(r:match("^HTTP/1.1 200"), "DELETE", r)
  eq(next(srv.sessions), nil)
  srv.close()
end)

H.run()
