-- A luartc process recording WebM is killed with SIGKILL 10 s into the recording: the
-- file (never finished: no cues, unknown sizes) decodes cleanly up to about the kill,
-- losing at most the end still queued (blocks go to the disk as frames come; seen: the
-- video plays to ~10 s).
local H = dofile((arg[0]:match("^(.*)/") or ".") .. "/harness.lua")
local test, ok, eq = H.test, H.ok, H.eq
local TMP = os.getenv("TMPDIR") or "/tmp"

local function sh(cmd)
  local p = io.popen(cmd .. " 2>&1")
  local out = p:read("*a")
  p:close()
  return out
end

test("SIGKILL mid-recording: the WebM plays up to near the kill", function()
  if sh("command -v ffprobe") == "" then return end
  local build = os.getenv("LUARTC_BUILD") or "build"
  local out = TMP .. "/luartc-rec-kill-" .. tostring(os.time()) .. ".webm"
  local dir = arg[0]:match("^(.*)/") or "."
  -- the child prints "recording" once the recording started; the shell waits 10 s more and kills it
  local cmd = string.format(
    "(%s/luartc %s/record_kill_child.lua %s & echo $! > %s.pid; wait) | " ..
      "(read line; sleep 10; kill -9 $(cat %s.pid); echo \"$line\")",
    build, dir, out, out, out)
  local said = sh(cmd)
  ok(said:match("recording"), "the child recorded", said)
  local d = tonumber(sh("ffprobe -v error -select_streams v -count_packets -show_entries stream=nb_read_packets -of csv=p=0 " .. out))
  local last = tonumber(sh("ffprobe -v error -select_streams v -show_entries packet=pts_time -of csv=p=0 " .. out .. " | tail -1"))
  ok(last and last >= 9.0 and last <= 10.6, "video up to near the kill (10 s)", last)
  ok(d and d >= 250, "frames in the file", d)
  eq(sh("ffmpeg -nostdin -v error -i " .. out .. " -f null -"), "", "ffmpeg decodes it, silently")
  os.remove(out)
  os.remove(out .. ".pid")
end, 60000)

H.run()
