#!/usr/bin/python3
"""GStreamer 1.22 publishes to a WHIP endpoint (RFC 9725): webrtcbin with VP8 (vp8enc,
videotestsrc) and Opus (opusenc, audiotestsrc), the HTTP from Python's urllib.
Debian 12 has no whipsink (it lives in gst-plugins-rs), so this script is the WHIP client.

  whip_gst.py URL SECONDS      POSTs a complete offer (after gathering), applies the
                               201's answer, publishes SECONDS once connected, DELETEs.
JSON lines on stdout: {"step": "post", "status": 201, ...}, {"step": "connected"},
{"step": "delete", "status": 200, "seconds": S (connected to DELETE)}, {"step": "error", ...}. Exit status 0 when all went.
libnice gathers on every non-loopback interface of the test namespace.
"""
import json
import sys
import urllib.parse
import urllib.request

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstWebRTC", "1.0")
gi.require_version("GstSdp", "1.0")
gi.require_version("GstVideo", "1.0")
from gi.repository import GLib, Gst, GstSdp, GstVideo, GstWebRTC  # noqa: E402

# The valves drop the packets made before the connection is up (the caps go through for
# the offer): webrtcbin 1.22 otherwise queues the video made meanwhile and sends it in a
# burst once connected, seconds of it, with SRs that do not match the audio's. The leaky
# queue drops frames rather than letting a busy machine's encoder fall behind the clock.
PIPELINE = (
    "webrtcbin name=wb bundle-policy=max-bundle "
    "videotestsrc is-live=true pattern=ball ! video/x-raw,width=640,height=360,framerate=30/1 "
    "! queue leaky=downstream max-size-buffers=2 max-size-bytes=0 max-size-time=0 "
    "! vp8enc deadline=1 cpu-used=8 lag-in-frames=0 target-bitrate=1000000 keyframe-max-dist=60 "
    "! rtpvp8pay pt=96 ! application/x-rtp,media=video,encoding-name=VP8,payload=96 "
    "! valve name=vv drop=true drop-mode=forward-sticky-events ! wb. "
    "audiotestsrc is-live=true wave=sine freq=440 ! audioconvert ! audioresample "
    "! opusenc ! rtpopuspay pt=111 ! application/x-rtp,media=audio,encoding-name=OPUS,payload=111 "
    "! valve name=av drop=true drop-mode=forward-sticky-events ! wb. "
)


def emit(ev):
    sys.stdout.write(json.dumps(ev) + "\n")
    sys.stdout.flush()


def request(method, url, body=None):
    req = urllib.request.Request(url, data=body, method=method)
    if body is not None:
        req.add_header("Content-Type", "application/sdp")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode()


class Publisher:
    def __init__(self, url, seconds, loop):
        self.url, self.seconds, self.loop = url, seconds, loop
        self.resource = None
        self.ok = False
        self.posted = False
        self.negotiated = False
        self.pipe = Gst.parse_launch(PIPELINE)
        self.wb = self.pipe.get_by_name("wb")
        self.wb.connect("on-negotiation-needed", self.on_negotiation_needed)
        self.wb.connect("notify::ice-gathering-state", self.on_gathering)
        self.wb.connect("notify::connection-state", self.on_connection)
        bus = self.pipe.get_bus()
        bus.add_signal_watch()
        bus.connect("message::error", self.on_error)

    def fail(self, why):
        emit({"step": "error", "error": why})
        GLib.idle_add(self.loop.quit)

    def on_error(self, _bus, msg):
        err, dbg = msg.parse_error()
        self.fail(f"{err.message} ({dbg})")

    def on_negotiation_needed(self, wb):
        # webrtcbin's own thread calls this: waiting for a promise here would deadlock
        GLib.idle_add(self.negotiate)

    def negotiate(self):
        if self.negotiated:  # one offer: WHIP does not renegotiate
            return False
        self.negotiated = True
        wb = self.wb
        i = 0  # (get-transceivers returns a GArray PyGObject cannot iterate)
        while (t := wb.emit("get-transceiver", i)) is not None:
            t.props.direction = GstWebRTC.WebRTCRTPTransceiverDirection.SENDONLY
            i += 1
        p = Gst.Promise.new()
        wb.emit("create-offer", None, p)
        p.wait()
        reply = p.get_reply()
        if reply.has_field("error"):
            self.fail("create-offer: %s" % reply.get_value("error"))
            return False
        offer = reply.get_value("offer")
        p = Gst.Promise.new()
        wb.emit("set-local-description", offer, p)
        p.wait()
        return False

    def on_gathering(self, wb, _pspec):
        # WHIP without trickle: the offer goes out with every candidate in it
        if wb.props.ice_gathering_state != GstWebRTC.WebRTCICEGatheringState.COMPLETE or self.posted:
            return
        self.posted = True
        GLib.idle_add(self.post)

    def post(self):
        sdp = self.wb.props.local_description.sdp.as_text()
        status, headers, body = request("POST", self.url, sdp.encode())
        loc = headers.get("Location") or headers.get("location")
        emit({"step": "post", "status": status, "location": loc})
        if status != 201 or not loc:
            self.fail(f"POST answered {status}: {body[:200]}")
            return False
        self.resource = urllib.parse.urljoin(self.url, loc)
        _, msg = GstSdp.SDPMessage.new_from_text(body)
        answer = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.ANSWER, msg)
        p = Gst.Promise.new()
        self.wb.emit("set-remote-description", answer, p)
        p.wait()
        return False

    def on_connection(self, wb, _pspec):
        st = wb.props.connection_state
        if st == GstWebRTC.WebRTCPeerConnectionState.CONNECTED:
            emit({"step": "connected"})
            self.t0 = GLib.get_monotonic_time()
            for v in ("vv", "av"):
                self.pipe.get_by_name(v).props.drop = False
            # the first video packets after the valve start with a keyframe
            ev = GstVideo.video_event_new_upstream_force_key_unit(Gst.CLOCK_TIME_NONE, True, 0)
            self.pipe.get_by_name("vv").get_static_pad("sink").push_event(ev)
            GLib.timeout_add(int(self.seconds * 1000), self.stop)
        elif st == GstWebRTC.WebRTCPeerConnectionState.FAILED:
            self.fail("connection failed")

    def stop(self):
        seconds = (GLib.get_monotonic_time() - self.t0) / 1e6
        status, _, _ = request("DELETE", self.resource)
        emit({"step": "delete", "status": status, "seconds": seconds})
        self.ok = status == 200
        self.loop.quit()
        return False


def main():
    url, seconds = sys.argv[1], float(sys.argv[2])
    Gst.init(None)
    loop = GLib.MainLoop()
    pub = Publisher(url, seconds, loop)
    pub.pipe.set_state(Gst.State.PLAYING)
    GLib.timeout_add_seconds(int(seconds) + 30, lambda: pub.fail("timed out") or False)
    loop.run()
    pub.pipe.set_state(Gst.State.NULL)
    sys.exit(0 if pub.ok else 1)


if __name__ == "__main__":
    main()
