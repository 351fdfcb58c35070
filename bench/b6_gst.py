"""B6, GStreamer's recorder (/work/shared/BENCH.md, bench/README.md, bench/b6.py): the peer of
`b6_luartc.lua record DIR`, same JSON-lines protocol on stdin/stdout. One pipeline per
publisher: webrtcbin -> rtpvp8depay / rtpopusdepay ! opusparse -> queue -> webmmux -> filesink DIR/<id>.webm,
no transcoding (what luartc's recorder does). GStreamer 1.22 from Debian, Python gi.
Packets are counted by a probe on each depayloader's sink pad (after SRTP and
webrtcbin's jitter buffer); packets lost are not counted here: bench/b6.py compares
the packets received with those the publishers sent. libnice gathers on non-loopback
interfaces only: bench/b6.py gives the namespace a dummy interface for it.
    /usr/bin/python3 bench/b6_gst.py DIR
"""

import json
import os
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstWebRTC", "1.0")
gi.require_version("GstSdp", "1.0")
from gi.repository import GLib, Gst, GstSdp, GstWebRTC  # noqa: E402

Gst.init(None)
OUT = sys.argv[1]
COUNT = {"packets": 0, "bytes": 0}
SESSIONS = {}


def send(t):
    sys.stdout.write(json.dumps(t) + "\n")
    sys.stdout.flush()


def count(_pad, info):
    if info.type & Gst.PadProbeType.BUFFER_LIST:
        bl = info.get_buffer_list()
        for i in range(bl.length()):
            COUNT["packets"] += 1
            COUNT["bytes"] += bl.get(i).get_size()
    else:
        COUNT["packets"] += 1
        COUNT["bytes"] += info.get_buffer().get_size()
    return Gst.PadProbeReturn.OK


class Session:
    def __init__(self, sid, sdp):
        self.id = sid
        self.pipe = Gst.Pipeline.new(sid)
        self.wb = Gst.ElementFactory.make("webrtcbin")
        self.wb.props.bundle_policy = GstWebRTC.WebRTCBundlePolicy.MAX_BUNDLE
        self.mux = Gst.ElementFactory.make("webmmux")
        self.mux.props.streamable = True
        sink = Gst.ElementFactory.make("filesink")
        sink.props.location = os.path.join(OUT, sid + ".webm")
        sink.props.sync = False
        sink.set_property("async", False)
        for e in (self.wb, self.mux, sink):
            self.pipe.add(e)
        self.mux.link(sink)
        # both mux pads before any data: a pad requested after the first buffer arrives
        # is refused once the header is written, and the not-linked error stops the
        # shared ICE source (no packets at all)
        self.muxpads = {"video": self.mux.request_pad_simple("video_%u"),
                        "audio": self.mux.request_pad_simple("audio_%u")}
        self.pads = 0
        self.answered = False
        self.recording = False
        self.wb.connect("pad-added", self.on_pad)
        self.wb.connect("notify::ice-gathering-state", self.on_gathering)
        self.pipe.set_state(Gst.State.PLAYING)
        _, msg = GstSdp.SDPMessage.new_from_text(sdp)
        offer = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.OFFER, msg)
        p = Gst.Promise.new()
        self.wb.emit("set-remote-description", offer, p)
        p.wait()
        r = p.get_reply()
        if r is not None and r.has_field("error"):
            raise RuntimeError("set-remote-description: %s" % r.get_value("error"))
        p = Gst.Promise.new()
        self.wb.emit("create-answer", None, p)
        p.wait()
        r = p.get_reply()
        if r is None or not r.has_field("answer"):
            raise RuntimeError("create-answer: %s" % (r.to_string() if r else None))
        answer = r.get_value("answer")
        p = Gst.Promise.new()
        self.wb.emit("set-local-description", answer, p)
        p.wait()

    def on_gathering(self, wb, _pspec):
        if wb.props.ice_gathering_state == GstWebRTC.WebRTCICEGatheringState.COMPLETE \
                and not self.answered:
            self.answered = True
            sdp = wb.props.local_description.sdp.as_text()
            GLib.idle_add(lambda: send({"type": "answer", "id": self.id, "sdp": sdp}) and False)

    def on_pad(self, _wb, pad):
        if pad.get_direction() != Gst.PadDirection.SRC:
            return
        caps = pad.get_current_caps() or pad.query_caps(None)
        name = caps.get_structure(0).get_string("encoding-name") or ""
        if name.upper() == "VP8":
            depay, tmpl = Gst.ElementFactory.make("rtpvp8depay"), "video_%u"
        elif name.upper() == "OPUS":
            depay, tmpl = Gst.ElementFactory.make("rtpopusdepay"), "audio_%u"
        else:
            return
        q = Gst.ElementFactory.make("queue")
        self.pipe.add(depay)
        self.pipe.add(q)
        if tmpl.startswith("audio"):  # webmmux wants the rate that opusparse adds
            parse = Gst.ElementFactory.make("opusparse")
            self.pipe.add(parse)
            depay.link(parse)
            parse.link(q)
            parse.sync_state_with_parent()
        else:
            depay.link(q)
        q.get_static_pad("src").link(self.muxpads[tmpl.split("_")[0]])
        depay.get_static_pad("sink").add_probe(
            Gst.PadProbeType.BUFFER | Gst.PadProbeType.BUFFER_LIST, count)
        depay.sync_state_with_parent()
        q.sync_state_with_parent()
        pad.link(depay.get_static_pad("sink"))
        self.pads += 1
        if self.pads == 2 and not self.recording:
            self.recording = True
            GLib.idle_add(lambda: send({"type": "recording", "id": self.id}) and False)


BUF = [b""]


def on_stdin(_fd, _cond):
    # os.read, not readline: a buffered reader would keep the lines that arrived
    # together and the watch would not fire for them
    chunk = os.read(0, 1 << 20)
    if not chunk:
        os._exit(0)
    BUF[0] += chunk
    while b"\n" in BUF[0]:
        line, BUF[0] = BUF[0].split(b"\n", 1)
        if line.strip():
            handle(json.loads(line))
    return True


def handle(m):
    if m["type"] == "offer":
        SESSIONS[m["id"]] = Session(m["id"], m["sdp"])
    elif m["type"] == "snap":
        written = 0
        for sid in SESSIONS:
            try:
                written += os.path.getsize(os.path.join(OUT, sid + ".webm"))
            except OSError:
                pass
        send({"type": "snap", "packets": COUNT["packets"], "lost": 0, "bytes": COUNT["bytes"],
              "written": written,
              "pcs": len(SESSIONS), "recordings": sum(s.recording for s in SESSIONS.values()),
              "version": "%d.%d.%d" % Gst.version()[:3]})
    elif m["type"] == "quit":
        os._exit(0)  # the files are thrown away


GLib.unix_fd_add_full(GLib.PRIORITY_DEFAULT, 0, GLib.IOCondition.IN | GLib.IOCondition.HUP,
                      on_stdin)
GLib.MainLoop().run()
