-- record-browser.lua: records what a browser page sends (camera + microphone) into
-- browser-<time>.webm, in C. Serves the page on http://127.0.0.1:PORT/; the page
-- publishes with WHIP (rtc.whip on the luartc side) and stops with DELETE.
--
--   build/luartc examples/record-browser.lua [PORT]        (default 8080)
--   then open http://127.0.0.1:8080/, allow camera and microphone, press Record.
-- Host candidates: LUARTC_GATHER_ADDRESSES (default 127.0.0.1: the browser is local).
local rtc = require "rtc"
io.stdout:setvbuf("line")

local port = tonumber(arg[1]) or 8080
local gather = {}
for a in (os.getenv("LUARTC_GATHER_ADDRESSES") or "127.0.0.1"):gmatch("[^,%s]+") do gather[#gather + 1] = a end

local PAGE = [[<!doctype html><meta charset="utf-8"><title>luartc recorder</title>
<video id="v" autoplay muted playsinline width="320"></video><br>
<button id="rec">Record</button> <button id="stop" disabled>Stop</button> <span id="st"></span>
<script>
let pc, location_;
const st = (s) => document.getElementById('st').textContent = s;
document.getElementById('rec').onclick = async () => {
  const media = await navigator.mediaDevices.getUserMedia({video: true, audio: true});
  document.getElementById('v').srcObject = media;
  pc = new RTCPeerConnection();
  for (const t of media.getTracks()) pc.addTransceiver(t, {direction: 'sendonly'});
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((ok) => { if (pc.iceGatheringState === 'complete') ok();
    pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && ok(); });
  const r = await fetch('/whip', {method: 'POST', headers: {'Content-Type': 'application/sdp'},
                                  body: pc.localDescription.sdp});
  location_ = r.headers.get('Location');
  await pc.setRemoteDescription({type: 'answer', sdp: await r.text()});
  pc.onconnectionstatechange = () => st(pc.connectionState);
  document.getElementById('stop').disabled = false;
};
document.getElementById('stop').onclick = async () => {
  await fetch(location_, {method: 'DELETE'});
  pc.close(); st('stopped');
};
</script>
]]

local recs = {}
local function finish(id, why)
  local rec = recs[id]
  if not rec then return end
  recs[id] = nil
  rec:stop()
  print(string.format("saved %s: %.1f s, %d bytes (%s)", rec.path, rec.duration, rec.bytes, why))
end

local server = assert(rtc.whip.listen({
  port = port,
  config = { gatherAddresses = gather },
  handler = function(req, res)
    if req.path == "/" then
      return res:send(200, { ["Content-Type"] = "text/html; charset=utf-8" }, PAGE)
    end
    res:send(404, {}, "")
  end,
  onsession = function(pc, session)
    pc:addEventListener("connectionstatechange", function()
      if pc.connectionState == "connected" and not recs[session.id] then
        local tracks = {}
        for _, t in ipairs(pc:getTransceivers()) do tracks[#tracks + 1] = t.receiver.track end
        local path = "browser-" .. os.date("!%Y%m%dT%H%M%S") .. ".webm"
        local rec, err = rtc.media.record(tracks, path)
        if not rec then return print("cannot record: " .. tostring(err)) end
        rec.onerror = function(e) print("recording error: " .. e.error) end
        recs[session.id] = rec
        print("recording " .. path)
      elseif pc.connectionState == "failed" or pc.connectionState == "closed" then
        finish(session.id, pc.connectionState)
      end
    end)
  end,
  onclose = function(session) finish(session.id, "stopped by the page") end,
}))
print(string.format("open http://127.0.0.1:%d/ and press Record", server.port))
