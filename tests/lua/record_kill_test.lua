-- A luartc process recording WebM (or MP4) is killed with SIGKILL 10 s into the recording:
-- the file (never finished: no cues, unknown sizes; no mfra) decodes cleanly up to about
-- the kill, losing at most the end still queued (WebM blocks go to the disk as frames come;
-- seen: the video plays to ~10 s; MP4 fragments once complete).
local H = dofile((arg[0]:match("^(.*)/") or ".") .. "/harness.lua")
local test, ok, eq = H.test, H.ok, H.eq
local TMP = os.getenv("TMPDIR") or "/tmp"

local function sh(cmd)
  local p = io.popen(cmd .. " 2>&1")
  local out = p:read("*a")
  p:close()
  return out
end

-- Records into out (the child's video: video) and kills the child 10 s in; returns what
-- the child said.
local function record_and_kill(out, video)
  local build = os.getenv("LUARTC_BUILD") or "build"
  local dir = arg[0]:match("^(.*)/") or "."
  -- the child prints "recording" once the recording started; the shell waits 10 s more and kills it
  local cmd = string.format(
    "(%s/luartc %s/record_kill_child.lua %s %s & echo $! > %s.pid; wait) | " ..
      "(read line; sleep 10; kill -9 $(cat %s.pid); echo \"$line\")",
    build, dir, out, video, out, out)
  return sh(cmd)
end

test("SIGKILL mid-recording: the WebM plays up to near the kill", function()
  if sh("command -v ffprobe") == "" then return end
  local out = TMP .. "/luartc-rec-kill-" .. tostring(os.time()) .. ".webm"
  local said = record_and_kill(out, "vp8.ivf")
  ok(said:match("recording"), "the child recorded", said)
  local d = tonumber(sh("ffprobe -v error -select_streams v -count_packets -show_entries stream=nb_read_packets -of csv=p=0 " .. out))
  local last = tonumber(sh("ffprobe -v error -select_streams v -show_entries packet=pts_time -of csv=p=0 " .. out .. " | tail -1"))
  ok(last and last >= 9.0 and last <= 10.6, "video up to near the kill (10 s)", last)
  ok(d and d >= 250, "frames in the file", d)
  eq(sh("ffmpeg -nostdin -v error -i " .. out .. " -f null -"), "", "ffmpeg decodes it, silently")
  os.remove(out)
  os.remove(out .. ".pid")
end, 60000)

-- MP4: fragments are queued whole (a moof needs its samples' sizes), so the file holds
-- every fragment completed before the kill and loses the one being gathered: the video
-- plays to 8-10 s (fragments of 1-2 s: the clip's keyframes are 1 s apart).
test("SIGKILL mid-recording: the MP4 plays up to its last complete fragment", function()
  if sh("command -v ffprobe") == "" then return end
  local out = TMP .. "/luartc-rec-kill-" .. tostring(os.time()) .. ".mp4"
  local said = record_and_kill(out, "h264.h264")
  ok(said:match("recording"), "the child recorded", said)
  local d = tonumber(sh("ffprobe -v error -select_streams v -count_frames -show_entries stream=nb_read_frames -of csv=p=0 " .. out))
  local last = tonumber(sh("ffprobe -v error -select_streams v -show_entries packet=pts_time -of csv=p=0 " .. out .. " | tail -1"))
  local alast = tonumber(sh("ffprobe -v error -select_streams a -show_entries packet=pts_time -of csv=p=0 " .. out .. " | tail -1"))
  ok(last and last >= 8.0 and last <= 10.6, "video up to its last fragment before the kill", last)
  ok(alast and last and math.abs(alast - last) < 1.0, "audio as far", alast, last)
  ok(d and last and math.abs(d - last * 30) <= 2, "every picture up to there decodes", d, last)
  eq(sh("ffmpeg -nostdin -v error -i " .. out .. " -f null -"), "", "ffmpeg decodes it, silently")
  io.stderr:write(string.format("  killed mp4: %d bytes, video to %.3f s (%d frames), audio to %.3f s\n",
    tonumber(sh("stat -c %s " .. out)) or -1, last or -1, d or -1, alast or -1))
  os.remove(out)
  os.remove(out .. ".pid")
end, 60000)

H.run()
