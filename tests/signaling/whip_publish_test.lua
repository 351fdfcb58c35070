-- examples/whip-publish.lua in its own process against an aiortc WHIP endpoint
-- (Python http.server) and against a luartc one over https:// (--cafile).
local H = dofile((arg[0]:match("^(.*)/") or ".") .. "/lib.lua")
local rtc = H.rtc
local test, eq, ok = H.test, H.eq, H.ok

local PY = "/usr/bin/python3"
local have_aiortc = os.execute(PY .. " -c 'import aiortc' 2>/dev/null") == 0
local runner = (os.getenv("LUARTC_BUILD") or "build") .. "/luartc"
local env = { "LUARTC_GATHER_ADDRESSES=127.0.0.1", "PATH=" .. os.getenv("PATH"),
  "ASAN_OPTIONS=" .. (os.getenv("ASAN_OPTIONS") or "") } -- ASan builds: the same options as ours

local function publish(url, extra)
  local p = H.spawn(runner, { "examples/whip-publish.lua", url, "--token", "tok", "--count", "3", "--interval", "100",
    unpack(extra or {}) }, { env = env })
  H.waitFor(function() return p.exited ~= nil end, "whip-publish", 30000)
  local out = table.concat(p.raw, "\n")
  eq(p.exited, 0, "exit status: " .. out .. p.stderr())
  for n = 1, 3 do ok(out:find("received: echo tick " .. n, 1, true), "echo " .. n, out) end
  ok(out:find("deleted the session", 1, true), "DELETE", out)
  return out
end

if have_aiortc then
  test("whip-publish -> aiortc WHIP endpoint", function()
    local srv = H.spawn(PY, { H.here .. "/whip_aiortc.py", "server", "tok" })
    local port = srv.waitField("port", 15000).port
    local out = publish("http://127.0.0.1:" .. port .. "/whip")
    ok(out:find("ICE server offered: turn:turn.example.net", 1, true), "Link ICE servers", out)
    H.waitFor(function()
      for _, l in ipairs(srv.lines) do if l.event == "deleted" then return true end end
    end, "aiortc saw DELETE")
    srv.kill()
  end, 40000)
end

test("whip-publish -> luartc WHIP endpoint over https (verified with --cafile)", function()
  local cert = H.makeCert()
  local srv = assert(rtc.whip.listen({
    port = 0, token = "tok", tls = { cert = cert.cert, key = cert.key }, config = { gatherAddresses = H.LOCAL },
    onsession = function(pc)
      pc.ondatachannel = function(ev) ev.channel.onmessage = function(m) ev.channel:send("echo " .. m.data) end end
    end,
  }))
  publish("https://localhost:" .. srv.port .. "/whip", { "--cafile", cert.certFile })
  H.waitFor(function() return next(srv.sessions) == nil end, "session deleted")
  srv.close()
end, 40000)

-- --simulcast: the offer has three rids and no a=ssrc. luartc's endpoint receives
-- simulcast: it answers a=simulcast:recv, all three layers are sent, and each arrives on
-- a track of its own (ev.track.rid). With receiveSimulcast = false it answers without
-- simulcast: the first layer alone is sent and received.
local function whip_simulcast(receive)
  local offer, frames, answer = nil, {}, nil
  local srv = assert(rtc.whip.listen({
    port = 0, token = "tok", config = { gatherAddresses = H.LOCAL, receiveSimulcast = receive },
    onsession = function(pc, session)
      offer = session.request.body
      pc.ondatachannel = function(ev) ev.channel.onmessage = function(m) ev.channel:send("echo " .. m.data) end end
      pc.ontrack = function(ev)
        local rid = ev.track.rid or "-"
        frames[rid] = 0
        ev.track.onframe = function() frames[rid] = frames[rid] + 1 end
      end
      pc.onsignalingstatechange = function() answer = pc.localDescription and pc.localDescription.sdp end
    end,
  }))
  local out = publish("http://127.0.0.1:" .. srv.port .. "/whip",
    { "--simulcast", "q,h,f", "--video", "tests/fixtures/media/vp8.ivf", "--seconds", "2" })
  ok(offer and offer:find("a=simulcast:send q;h;f\r\n", 1, true), "simulcast offer", offer)
  ok(not offer:find("a=ssrc", 1, true), "no a=ssrc in the offer")
  local sent = {}
  for _, rid in ipairs({ "q", "h", "f" }) do sent[rid] = tonumber(out:match("layer " .. rid .. ": (%d+) packets")) end
  ok(sent.q and sent.q > 20, "layer q sent", out)
  srv.close()
  return sent, frames, out, answer
end

test("whip-publish --simulcast q,h,f -> luartc WHIP endpoint: three layers, three tracks", function()
  local sent, frames, out, answer = whip_simulcast(nil)
  ok(answer and answer:find("a=simulcast:recv q;h;f", 1, true), "the endpoint answers a=simulcast:recv", answer)
  for _, rid in ipairs({ "q", "h", "f" }) do
    ok(sent[rid] and sent[rid] > 20, "layer " .. rid .. " sent", out)
    ok((frames[rid] or 0) > 20, "layer " .. rid .. " received on its own track", frames[rid])
  end
end, 40000)

test("whip-publish --simulcast q,h,f -> luartc WHIP endpoint with receiveSimulcast = false: the first layer", function()
  local sent, frames, out = whip_simulcast(false)
  ok(not sent.h and not sent.f, "h and f not sent", out)
  ok((frames["-"] or 0) > 20, "the endpoint received the first layer's frames", frames["-"])
end, 40000)

local function sh(cmd)
  local f = io.popen(cmd)
  local out = f:read("*a")
  f:close()
  return out
end

-- The two examples end to end, two processes: whip-publish.lua (pub_args) publishes to
-- whip-recorder.lua (rec_args) in a directory of its own. Returns the recording's path,
-- bytes and seconds as its end line gives them, the recorder's lines, and the directory.
local function publish_to_recorder(pub_args, rec_args)
  local dir = os.tmpname()
  os.remove(dir)
  os.execute("mkdir -p " .. dir)
  local port = 21000 + math.random(0, 8000)
  local rec = H.spawn(runner, { "examples/whip-recorder.lua", "--port", tostring(port), "--dir", dir,
    unpack(rec_args) }, { env = env })
  H.waitFor(function()
    for _, l in ipairs(rec.raw) do if l:find("WHIP recorder on", 1, true) then return true end end
    return rec.exited ~= nil
  end, "recorder listening", 10000)
  local pub = H.spawn(runner, { "examples/whip-publish.lua", "http://127.0.0.1:" .. port .. "/whip",
    "--count", "1", unpack(pub_args) }, { env = env })
  H.waitFor(function() return pub.exited ~= nil end, "whip-publish", 30000)
  eq(pub.exited, 0, "publisher: " .. table.concat(pub.raw, "\n") .. pub.stderr())
  local path, bytes, secs
  H.waitFor(function()
    for _, l in ipairs(rec.raw) do
      path, bytes, secs = l:match("^recording end%s+%S+ (%S+): (%d+) bytes, ([%d.]+) s")
      if path then return true end
    end
  end, "recording end line", 10000)
  rec.kill()
  return path, tonumber(bytes), tonumber(secs), table.concat(rec.raw, "\n"), dir
end

-- whip-publish.lua sends H.264 + Opus from the fixture files to whip-recorder.lua
-- --format mp4; ffprobe judges the recording.
test("whip-publish (H.264 + Opus files) -> whip-recorder --format mp4", function()
  local path, bytes, secs, _, dir = publish_to_recorder({ "--video", "tests/fixtures/media/h264.h264",
    "--audio", "tests/fixtures/media/opus.ogg", "--seconds", "3" }, { "--format", "mp4" })
  ok(path:match("%.mp4$"), "an .mp4 file", path)
  ok(bytes > 10000, "bytes", bytes)
  ok(secs > 2.0 and secs < 4.0, "about 3 s recorded", secs)
  local codecs = sh("ffprobe -v error -show_entries stream=codec_name -of csv=p=0 " .. path)
  ok(codecs:match("h264") and codecs:match("opus"), "h264 and opus", codecs)
  eq(sh("ffmpeg -nostdin -v error -i " .. path .. " -f null - 2>&1"), "", "ffmpeg decodes it silently")
  local d = tonumber(sh("ffprobe -v error -show_entries format=duration -of csv=p=0 " .. path))
  if not (d and math.abs(d - secs) < 0.3) then
    local keep = "/tmp/whip_publish_" .. os.time() .. ".mp4"
    os.execute("cp " .. path .. " " .. keep)
    ok(false, "ffprobe duration", d, "recorder", secs, "streams",
      sh("ffprobe -v error -show_entries stream=codec_name,start_time,duration -of csv=p=0 " .. path),
      "kept as", keep)
  end
  os.execute("rm -rf " .. dir)
end, 40000)

-- A simulcast publisher: three VP8 layers of three sizes (one file per rid: 160x120,
-- 320x240, 640x480). The recorder records the largest layer, f, whichever order the
-- layers come in: here the largest is listed first, so "the first layer" would be wrong.
test("whip-publish --simulcast (three sizes) -> whip-recorder records the largest layer", function()
  local tmp = os.tmpname()
  local files = {}
  for _, size in ipairs({ "640x480", "160x120" }) do
    files[size] = tmp .. "-" .. size .. ".ivf"
    sh("ffmpeg -nostdin -v error -y -f lavfi -i testsrc=size=" .. size .. ":rate=30 -t 3 -c:v libvpx -g 30 " ..
      "-deadline realtime -b:v 300k " .. files[size] .. " 2>&1")
    ok(io.open(files[size]), "ffmpeg made " .. files[size])
  end
  local path, _, secs, log, dir = publish_to_recorder({ "--simulcast", "f,h,q", "--video",
    files["640x480"] .. ",tests/fixtures/media/vp8.ivf," .. files["160x120"], "--seconds", "3" }, {})
  ok(log:find("video layer f", 1, true), "the recorder says it records layer f", log)
  ok(secs > 2.0, "about 3 s recorded", secs)
  eq(sh("ffprobe -v error -select_streams v -show_entries stream=width,height -of csv=p=0 " .. path), "640,480\n",
    "the recording's size")
  eq(sh("ffmpeg -nostdin -v error -i " .. path .. " -f null - 2>&1"), "", "ffmpeg decodes it silently")
  os.execute("rm -rf " .. dir .. " " .. tmp .. "*")
end, 40000)

H.run()
