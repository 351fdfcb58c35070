#!/usr/bin/python3
"""GStreamer webrtcbin side of the interop protocol (see README.md in this folder).

Data channels only. Reads JSON command lines on stdin, writes JSON event lines
on stdout. Run with Debian's /usr/bin/python3 (python3-gst-1.0,
gstreamer1.0-plugins-bad, gstreamer1.0-nice). webrtcbin makes an RSA-2048
certificate (GstDtlsAgent, OpenSSL), which is what this peer is here for.

webrtcbin's signals and promise callbacks come from its own threads: commands
run on the GLib main loop and wait for each promise; events are written under
a lock. libnice gathers on every non-loopback interface (v0/v1 of the test
namespace); nothing can make it gather on INTEROP_ADDRESSES from here.
"""
import json
import os
import sys
import threading
import zlib

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstWebRTC", "1.0")
gi.require_version("GstSdp", "1.0")
from gi.repository import GLib, Gst, GstSdp, GstWebRTC  # noqa: E402

_out = threading.Lock()


def emit(ev):
    line = json.dumps(ev) + "\n"
    with _out:
        sys.stdout.write(line)
        sys.stdout.flush()


def gen(size, seed, binary):
    if binary:
        return bytes(((seed * 7 + k * 13 + (k >> 8)) & 255) for k in range(size))
    return bytes(97 + ((seed + k) % 26) for k in range(size))


def nick(v):
    # GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED -> "connected"
    return v.value_nick.replace("_", "-") if hasattr(v, "value_nick") else str(v)


class Peer:
    def __init__(self, loop):
        self.loop = loop
        self.pipe = None
        self.wb = None
        self.trickle = True
        self.channels = {}
        # readyState as seen through the events: a new channel's ready-state is 0,
        # outside webrtcbin's own enum, and PyGObject crashes reading it.
        self.state = {}
        self.echo = set()
        self.gathered = threading.Event()
        self.closed = False

    # ---- helpers
    def promise(self, signal, *args):
        p = Gst.Promise.new()
        self.wb.emit(signal, *args, p)
        p.wait()
        return p.get_reply()

    def describe(self, dc):
        mr = dc.props.max_retransmits
        ml = dc.props.max_packet_lifetime
        return {
            "label": dc.props.label, "id": dc.props.id, "ordered": dc.props.ordered,
            "maxRetransmits": None if mr < 0 else mr, "maxPacketLifeTime": None if ml < 0 else ml,
            "protocol": dc.props.protocol or "", "negotiated": dc.props.negotiated,
            "readyState": self.state.get(dc.props.label, "connecting"),
        }

    def wire(self, dc):
        label = dc.props.label
        self.channels[label] = dc

        def on_open(ch):
            self.state[label] = "open"
            emit({"ev": "open", "label": label, "id": ch.props.id})

        def on_close(ch):
            self.state[label] = "closed"
            emit({"ev": "close", "label": label})

        # webrtcbin 1.22 swaps the empty messages: an empty string (PPID 56)
        # comes as on-message-data(NULL), an empty binary message (PPID 57) as
        # on-message-string(NULL) (seen in its own log). Reported as sent.
        def on_string(ch, s):
            if s is None:
                return on_bytes(ch, b"")
            on_text(ch, s)

        def on_data(ch, data):
            if data is None:
                return on_text(ch, "")
            on_bytes(ch, bytes(data.get_data() or b""))

        def on_text(ch, s):
            b = (s or "").encode()
            ev = {"ev": "msg", "label": label, "binary": False, "len": len(b), "sum": zlib.adler32(b)}
            if len(b) <= 100:
                ev["text"] = s or ""
            emit(ev)
            if label in self.echo:
                ch.emit("send-string", s or "")

        def on_bytes(ch, b):
            emit({"ev": "msg", "label": label, "binary": True, "len": len(b), "sum": zlib.adler32(b)})
            if label in self.echo:
                ch.emit("send-data", GLib.Bytes.new(b))

        def on_error(ch, err):
            emit({"ev": "error", "op": "datachannel", "message": str(err)})

        dc.connect("on-open", on_open)
        dc.connect("on-close", on_close)
        dc.connect("on-message-string", on_string)
        dc.connect("on-message-data", on_data)
        dc.connect("on-error", on_error)

    def local_sdp(self, kind):
        if not self.trickle:
            self.gathered.wait(15)
        d = self.wb.props.local_description
        emit({"ev": "sdp", "type": kind, "sdp": d.sdp.as_text()})

    # ---- webrtcbin signals (its threads)
    def on_candidate(self, wb, mline, cand):
        if self.trickle and cand:
            c = cand if cand.startswith("candidate:") else cand[len("a="):] if cand.startswith("a=") else cand
            emit({"ev": "cand", "candidate": {"candidate": c, "sdpMLineIndex": mline, "sdpMid": None}})

    def on_state(self, name, prop):
        def cb(wb, _pspec):
            v = nick(wb.get_property(prop))
            emit({"ev": "state", "name": name, "value": v})
            if name == "iceGatheringState" and v == "complete":
                self.gathered.set()
                if self.trickle:
                    emit({"ev": "cand", "candidate": None})
        return cb

    def on_data_channel(self, wb, dc):
        self.wire(dc)
        emit(dict(ev="dc", **self.describe(dc)))

    # ---- commands (main loop)
    def op_init(self, c):
        self.trickle = c.get("trickle", True) is not False
        self.pipe = Gst.Pipeline.new("peer")
        self.wb = Gst.ElementFactory.make("webrtcbin", "wb")
        self.wb.set_property("bundle-policy", GstWebRTC.WebRTCBundlePolicy.MAX_BUNDLE)
        self.pipe.add(self.wb)
        self.wb.connect("on-ice-candidate", self.on_candidate)
        self.wb.connect("on-data-channel", self.on_data_channel)
        for name, prop in (("connectionState", "connection-state"),
                           ("iceConnectionState", "ice-connection-state"),
                           ("signalingState", "signaling-state"),
                           ("iceGatheringState", "ice-gathering-state")):
            self.wb.connect("notify::" + prop, self.on_state(name, prop))
        self.pipe.set_state(Gst.State.PLAYING)
        emit({"ev": "ready", "agent": "gstreamer " + Gst.version_string()})

    def op_offer(self, c):
        if c.get("iceRestart"):
            raise RuntimeError("webrtcbin cannot do an ICE restart")
        self.gathered.clear()
        reply = self.promise("create-offer", None)
        offer = reply.get_value("offer")
        self.promise("set-local-description", offer)
        self.local_sdp("offer")

    def op_remote(self, c):
        res, msg = GstSdp.SDPMessage.new_from_text(c["sdp"])
        if res != GstSdp.SDPResult.OK:
            raise RuntimeError("bad SDP")
        kind = GstWebRTC.WebRTCSDPType.OFFER if c["type"] == "offer" else GstWebRTC.WebRTCSDPType.ANSWER
        desc = GstWebRTC.WebRTCSessionDescription.new(kind, msg)
        reply = self.promise("set-remote-description", desc)
        if reply is not None and reply.has_field("error"):
            raise RuntimeError("set-remote-description: %s" % reply.get_value("error"))
        if c["type"] == "offer":
            self.gathered.clear()
            reply = self.promise("create-answer", None)
            if reply is None or not reply.has_field("answer"):
                raise RuntimeError("create-answer failed: %s" % (reply.to_string() if reply else None))
            answer = reply.get_value("answer")
            self.promise("set-local-description", answer)
            self.local_sdp("answer")

    def op_cand(self, c):
        cand = c.get("candidate")
        if not cand or not cand.get("candidate"):
            return  # webrtcbin has no end-of-candidates form
        s = cand["candidate"]
        if not s.startswith("candidate:"):
            s = "candidate:" + s
        self.wb.emit("add-ice-candidate", cand.get("sdpMLineIndex") or 0, s)

    def op_dc(self, c):
        init = c.get("init") or {}
        opts = Gst.Structure.new_empty("application/data-channel")
        if init.get("ordered") is False:
            opts.set_value("ordered", False)
        if init.get("maxRetransmits") is not None:
            opts.set_value("max-retransmits", int(init["maxRetransmits"]))
        if init.get("maxPacketLifeTime") is not None:
            opts.set_value("max-packet-lifetime", int(init["maxPacketLifeTime"]))
        if init.get("protocol"):
            opts.set_value("protocol", init["protocol"])
        if init.get("negotiated"):
            opts.set_value("negotiated", True)
            opts.set_value("id", int(init.get("id", 0)))
        dc = self.wb.emit("create-data-channel", c["label"], opts)
        if dc is None:
            st = self.wb.props.sctp_transport
            raise RuntimeError("create-data-channel refused (sctp-transport max-channels %s)"
                               % (st.props.max_channels if st else None))
        self.wire(dc)
        if c.get("echo"):
            self.echo.add(c["label"])
        emit(dict(ev="dccreated", **self.describe(dc)))

    def op_echo(self, c):
        self.echo.add(c["label"])

    def send(self, dc, data, binary):
        if binary:
            dc.emit("send-data", GLib.Bytes.new(data))
        else:
            dc.emit("send-string", data.decode())

    def op_send(self, c):
        dc = self.channels[c["label"]]
        binary = bool(c.get("binary"))
        if c.get("gen"):
            data = gen(c["gen"]["size"], c["gen"].get("seed", 0), binary)
        else:
            data = (c.get("text") or "").encode()
        if not data:
            # webrtcbin 1.22 sends nothing for send-string(""), send-string(NULL)
            # fails the channel ("Internal data stream error"), and an empty
            # GBytes reaches send-data as NULL (assertion 'data != NULL')
            emit({"ev": "sent", "label": c["label"], "ok": False, "err": "webrtcbin cannot send an empty message"})
            return
        if self.state.get(c["label"]) != "open":
            emit({"ev": "sent", "label": c["label"], "ok": False, "err": "channel not open"})
            return
        self.send(dc, data, binary)
        emit({"ev": "sent", "label": c["label"], "ok": True})

    def op_sendmany(self, c):
        dc = self.channels[c["label"]]
        prefix = c.get("prefix", "")
        for i in range(c["count"]):
            dc.emit("send-string", prefix + str(i))
        emit({"ev": "sent", "label": c["label"], "ok": True, "count": c["count"]})

    def op_dcclose(self, c):
        self.channels[c["label"]].emit("close")

    def op_close(self, c):
        # webrtcbin has no close(): its channels are closed as close() would (SCTP
        # stream resets; it sends no ABORT and no close_notify of its own), then
        # the pipeline goes to NULL. Its properties keep their last values, so
        # the W3C states are reported from here.
        for label, dc in self.channels.items():
            if self.state.get(label) == "open":
                dc.emit("close")
        ctx = GLib.MainContext.default()
        deadline = GLib.get_monotonic_time() + 300000  # let the resets leave
        while GLib.get_monotonic_time() < deadline:
            ctx.iteration(False)
        if self.pipe:
            self.pipe.set_state(Gst.State.NULL)
        self.closed = True
        for label in self.channels:
            if self.state.get(label) != "closed":
                self.state[label] = "closed"
                emit({"ev": "close", "label": label})
        emit({"ev": "state", "name": "signalingState", "value": "closed"})
        emit({"ev": "state", "name": "connectionState", "value": "closed"})
        emit({"ev": "closed"})

    def op_info(self, c):
        wb = self.wb
        closed = self.closed
        emit({"ev": "info", "connectionState": "closed" if closed else nick(wb.props.connection_state),
              "iceConnectionState": "closed" if closed else nick(wb.props.ice_connection_state),
              "signalingState": "closed" if closed else nick(wb.props.signaling_state),
              "channels": {k: self.describe(v) for k, v in self.channels.items()},
              "maxMessageSize": None})

    def op_stats(self, c):
        emit({"ev": "stats", "stats": []})

    # dtmfrecv: a receive-only audio transceiver taking Opus and telephone-event/48000
    # (payload types 111, 110) for our next offer. (Answering, webrtcbin 1.22 keeps only
    # the offer's first codec of an m-line, so no telephone-event could be negotiated.)
    # rtpbin splits the events off by payload type; they go to rtpdtmfdepay, GStreamer's
    # RFC 4733 depayloader, whose "dtmf-event" messages become {"ev": "dtmf", "number":
    # N, "volume": V, "start": bool} lines; {"ev": "pad", "caps": ...} per stream.
    def op_dtmfrecv(self, c):
        caps = Gst.Caps.from_string(
            "application/x-rtp,media=audio,encoding-name=OPUS,clock-rate=48000,payload=111;"
            "application/x-rtp,media=audio,encoding-name=TELEPHONE-EVENT,clock-rate=48000,payload=110")
        self.wb.emit("add-transceiver", GstWebRTC.WebRTCRTPTransceiverDirection.RECVONLY, caps)
        self.wb.connect("pad-added", self.on_media_pad)
        bus = self.pipe.get_bus()
        bus.add_signal_watch()
        bus.connect("message::element", self.on_element)
        emit({"ev": "dtmfready"})

    def on_media_pad(self, _wb, pad):
        caps = pad.get_current_caps() or pad.query_caps(None)
        name = (caps.get_structure(0).get_string("encoding-name") or "").upper()
        GLib.idle_add(emit, {"ev": "pad", "caps": caps.to_string()})
        chain = "rtpdtmfdepay ! fakesink sync=false" if name == "TELEPHONE-EVENT" else "fakesink sync=false"
        b = Gst.parse_bin_from_description(chain, True)
        self.pipe.add(b)
        b.sync_state_with_parent()
        pad.link(b.get_static_pad("sink"))

    def on_element(self, _bus, msg):
        s = msg.get_structure()
        if s is not None and s.get_name() == "dtmf-event":
            emit({"ev": "dtmf", "number": s.get_value("number"), "volume": s.get_value("volume"),
                  "start": bool(s.get_value("start"))})

    def op_exit(self, c):
        if self.pipe:
            self.pipe.set_state(Gst.State.NULL)
        self.loop.quit()


def main():
    Gst.init(None)
    if not Gst.ElementFactory.find("webrtcbin") or not Gst.ElementFactory.find("nicesrc"):
        emit({"ev": "error", "op": "init", "message": "webrtcbin or nicesrc missing"})
        return 1
    loop = GLib.MainLoop()
    peer = Peer(loop)
    buf = bytearray()

    def on_stdin(fd, cond):
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            peer.op_exit({})
            return False
        buf.extend(chunk)
        while b"\n" in buf:
            i = buf.index(b"\n")
            line = bytes(buf[:i]).strip()
            del buf[: i + 1]
            if not line:
                continue
            c = json.loads(line)
            try:
                getattr(peer, "op_" + c["op"])(c)
            except Exception as e:  # noqa
                emit({"ev": "error", "op": c.get("op"), "message": repr(e)})
        return True

    GLib.io_add_watch(sys.stdin.fileno(), GLib.IO_IN | GLib.IO_HUP, on_stdin)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
