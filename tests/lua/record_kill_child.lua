-- Child of record_kill_test.lua: two peers on loopback, b records a's VP8 (or arg[2]: a
-- fixture, h264.h264 for MP4) + Opus file tracks into arg[1] (WebM, MP4) until it is killed; prints "recording" as it starts recording
-- (the frames flow already; the file starts at the keyframe its PLI brings).
local H = dofile((arg[0]:match("^(.*)/") or ".") .. "/harness.lua")
local rtc = H.rtc
local out = assert(arg[1], "path expected")
local a, b = H.pair()
assert(a:addTrack(assert(rtc.media.open("tests/fixtures/media/" .. (arg[2] or "vp8.ivf"), { loop = true })), { id = "s" }))
assert(a:addTrack(assert(rtc.media.open("tests/fixtures/media/opus.ogg", { loop = true })), { id = "s" }))
local got = {}
b.ontrack = function(ev) got[ev.track.kind] = ev.track end
assert(H.negotiate(a, b))
H.waitFor(function() return got.video and got.audio end, "two tracks")
local rec = assert(rtc.media.record({ got.video, got.audio }, out))
io.stdout:write("recording\n")
io.stdout:flush()
rtc.sleep(600000)
