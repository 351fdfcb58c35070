#!/usr/bin/python3
"""aiortc side of the interop protocol (see README.md in this folder).

Reads JSON command lines on stdin, writes JSON event lines on stdout.
Run with Debian's /usr/bin/python3 (python3-aiortc).  Host candidates are
gathered on INTEROP_ADDRESSES (default 127.0.0.1): aioice skips loopback by
default, so its address lookup is replaced here.  No STUN server is used.
"""
import asyncio
import json
import os
import sys
import zlib

import aioice.ice
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError, VideoStreamTrack
from aiortc.sdp import candidate_from_sdp

if os.environ.get("INTEROP_DEBUG"):
    import logging
    logging.basicConfig(level=logging.DEBUG, stream=sys.stderr, format="%(relativeCreated)d %(name)s %(message)s")

ADDRESSES = [a for a in os.environ.get("INTEROP_ADDRESSES", "127.0.0.1").split(",") if a]
aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: list(ADDRESSES)


def emit(ev):
    sys.stdout.write(json.dumps(ev) + "\n")
    sys.stdout.flush()


def gen(size, seed, binary):
    if binary:
        return bytes(((seed * 7 + k * 13 + (k >> 8)) & 255) for k in range(size))
    return bytes(97 + ((seed + k) % 26) for k in range(size))


class Peer:
    def __init__(self):
        self.pc = None
        self.trickle = True
        self.channels = {}
        self.echo = set()
        # media (issue 7): frames decoded per kind, counted by a task per remote track
        self.frames = {"audio": 0, "video": 0}
        self.samples = 0
        self.tasks = []

    async def consume(self, track):
        try:
            while True:
                f = await track.recv()
                self.frames[track.kind] += 1
                if track.kind == "audio":
                    self.samples += f.samples
        except MediaStreamError:
            emit({"ev": "trackended", "kind": track.kind, "id": track.id})

    def describe(self, dc):
        return {
            "label": dc.label, "id": dc.id, "ordered": dc.ordered,
            "maxRetransmits": dc.maxRetransmits, "maxPacketLifeTime": dc.maxPacketLifeTime,
            "protocol": dc.protocol, "negotiated": dc.negotiated, "readyState": dc.readyState,
        }

    def wire(self, dc):
        self.channels[dc.label] = dc
        label = dc.label

        @dc.on("open")
        def on_open():
            emit({"ev": "open", "label": label, "id": dc.id})

        @dc.on("close")
        def on_close():
            emit({"ev": "close", "label": label})

        @dc.on("message")
        def on_message(m):
            if isinstance(m, str):
                b = m.encode()
                ev = {"ev": "msg", "label": label, "binary": False, "len": len(b), "sum": zlib.adler32(b)}
                if len(b) <= 100:
                    ev["text"] = m
            else:
                ev = {"ev": "msg", "label": label, "binary": True, "len": len(m), "sum": zlib.adler32(m)}
            emit(ev)
            if label in self.echo:
                dc.send(m)

    async def local_sdp(self):
        # aiortc gathers every candidate inside setLocalDescription: its SDP is
        # always complete, and it never emits icecandidate events.
        d = self.pc.localDescription
        emit({"ev": "sdp", "type": d.type, "sdp": d.sdp})

    async def op_init(self, c):
        self.trickle = c.get("trickle", True) is not False
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        pc = self.pc

        @pc.on("connectionstatechange")
        def _c():
            emit({"ev": "state", "name": "connectionState", "value": pc.connectionState})

        @pc.on("iceconnectionstatechange")
        def _i():
            emit({"ev": "state", "name": "iceConnectionState", "value": pc.iceConnectionState})

        @pc.on("signalingstatechange")
        def _s():
            emit({"ev": "state", "name": "signalingState", "value": pc.signalingState})

        @pc.on("icegatheringstatechange")
        def _g():
            emit({"ev": "state", "name": "iceGatheringState", "value": pc.iceGatheringState})

        @pc.on("track")
        def _t(track):
            tr = next((t for t in pc.getTransceivers() if t.receiver.track is track), None)
            emit({"ev": "track", "kind": track.kind, "id": track.id, "mid": tr.mid if tr else None, "streams": []})
            self.tasks.append(asyncio.ensure_future(self.consume(track)))

        @pc.on("datachannel")
        def _d(dc):
            self.wire(dc)
            emit(dict(ev="dc", **self.describe(dc)))
            if dc.readyState == "open":  # aiortc raises no open event for these
                emit({"ev": "open", "label": dc.label, "id": dc.id})

        emit({"ev": "ready", "agent": "aiortc"})

    async def op_offer(self, c):
        if c.get("iceRestart"):
            raise RuntimeError("aiortc cannot do an ICE restart")
        await self.pc.setLocalDescription(await self.pc.createOffer())
        await self.local_sdp()

    async def op_remote(self, c):
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=c["sdp"], type=c["type"]))
        if c["type"] == "offer":
            await self.pc.setLocalDescription(await self.pc.createAnswer())
            await self.local_sdp()

    async def op_cand(self, c):
        cand = c.get("candidate")
        if not cand or not cand.get("candidate"):
            # end-of-candidates: aiortc's addIceCandidate has no form for it
            sctp = self.pc.sctp
            if sctp is not None:
                await sctp.transport.transport.addRemoteCandidate(None)
            return
        s = cand["candidate"]
        if s.startswith("candidate:"):
            s = s[len("candidate:"):]
        ic = candidate_from_sdp(s)
        ic.sdpMid = cand.get("sdpMid")
        ic.sdpMLineIndex = cand.get("sdpMLineIndex")
        await self.pc.addIceCandidate(ic)

    async def op_dc(self, c):
        init = c.get("init") or {}
        dc = self.pc.createDataChannel(
            c["label"], ordered=init.get("ordered", True),
            maxRetransmits=init.get("maxRetransmits"),
            maxPacketLifeTime=init.get("maxPacketLifeTime"),
            protocol=init.get("protocol", ""), negotiated=init.get("negotiated", False),
            id=init.get("id"))
        self.wire(dc)
        if c.get("echo"):
            self.echo.add(c["label"])
        emit(dict(ev="dccreated", **self.describe(dc)))
        if dc.readyState == "open":  # negotiated, on a live association: no event
            emit({"ev": "open", "label": dc.label, "id": dc.id})

    async def op_getmedia(self, c):
        # synthetic camera and microphone (aiortc encodes them: VP8 or H.264, Opus)
        kinds = []
        if c.get("video"):
            self.pc.addTrack(VideoStreamTrack())
            kinds.append("video")
        if c.get("audio"):
            self.pc.addTrack(AudioStreamTrack())
            kinds.append("audio")
        emit({"ev": "mediaadded", "kinds": kinds})

    async def op_stopsenders(self, c):
        # RTCRtpSender.stop() ends with an RTCP BYE per SSRC (aiortc's _run_rtcp)
        for s in self.pc.getSenders():
            await s.stop()
        emit({"ev": "sendersstopped"})

    async def op_mstats(self, c):
        inbound = {}
        for k in ("audio", "video"):
            if self.frames[k]:
                inbound[k] = {"framesDecoded": self.frames[k]}
        if "audio" in inbound:
            inbound["audio"]["totalSamplesReceived"] = self.samples
        emit({"ev": "mstats", "inbound": inbound, "outbound": {}})

    async def op_echo(self, c):
        self.echo.add(c["label"])

    async def op_send(self, c):
        dc = self.channels[c["label"]]
        binary = bool(c.get("binary"))
        if c.get("gen"):
            data = gen(c["gen"]["size"], c["gen"].get("seed", 0), binary)
        else:
            data = (c.get("text") or "").encode()
        try:
            dc.send(data if binary else data.decode())
            emit({"ev": "sent", "label": c["label"], "ok": True})
        except Exception as e:  # noqa
            emit({"ev": "sent", "label": c["label"], "ok": False, "err": repr(e)})

    async def op_sendmany(self, c):
        dc = self.channels[c["label"]]
        prefix = c.get("prefix", "")
        for i in range(c["count"]):
            dc.send(prefix + str(i))
            if i % 200 == 199:
                while dc.bufferedAmount > (1 << 20):
                    await asyncio.sleep(0.005)
                await asyncio.sleep(0)
        emit({"ev": "sent", "label": c["label"], "ok": True, "count": c["count"]})

    async def op_dcclose(self, c):
        self.channels[c["label"]].close()

    async def op_close(self, c):
        await self.pc.close()
        emit({"ev": "closed"})

    async def op_info(self, c):
        pc = self.pc
        emit({"ev": "info", "connectionState": pc.connectionState,
              "iceConnectionState": pc.iceConnectionState, "signalingState": pc.signalingState,
              "channels": {k: self.describe(v) for k, v in self.channels.items()},
              "maxMessageSize": None})

    async def op_stats(self, c):
        emit({"ev": "stats", "stats": []})

    async def op_exit(self, c):
        if self.pc:
            await self.pc.close()
        raise SystemExit(0)


async def main():
    peer = Peer()
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=1 << 26)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while True:
        line = await reader.readline()
        if not line:
            break
        line = line.strip()
        if not line:
            continue
        c = json.loads(line)
        try:
            await getattr(peer, "op_" + c["op"])(c)
        except SystemExit:
            break
        except Exception as e:  # noqa
            emit({"ev": "error", "op": c.get("op"), "message": repr(e)})
    if peer.pc:
        await peer.pc.close()


if __name__ == "__main__":
    asyncio.run(main())
