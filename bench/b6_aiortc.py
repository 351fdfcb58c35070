"""B6, aiortc's recorder (/work/shared/BENCH.md, bench/README.md, bench/b6.py): the peer of
`b6_luartc.lua record DIR`, same JSON-lines protocol on stdin/stdout. One
RTCPeerConnection per publisher, its tracks recorded by aiortc.contrib.media.MediaRecorder
to DIR/<id>.mkv. aiortc 1.4's MediaRecorder cannot copy the received VP8/Opus: it decodes
every frame (libvpx, libopus) and encodes again (libx264, AAC), which is what an aiortc
application gets. Run with Debian's interpreter:
    /usr/bin/python3 bench/b6_aiortc.py DIR
"""

import asyncio
import json
import os
import sys

import aioice.ice

aioice.ice.get_host_addresses = lambda use_ipv4=True, use_ipv6=True: ["127.0.0.1"]

import aiortc  # noqa: E402
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription  # noqa: E402
from aiortc.contrib.media import MediaBlackhole, MediaRecorder  # noqa: E402

# B6_AIORTC_SINK=blackhole: receive and decode only (aiortc's MediaBlackhole), to tell
# the recorder's cost from the transport's.
SINK = os.environ.get("B6_AIORTC_SINK", "recorder")

PCS = {}
RECS = {}


def send(t):
    sys.stdout.write(json.dumps(t) + "\n")
    sys.stdout.flush()


async def offer(m, outdir):
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    PCS[m["id"]] = pc
    rec = MediaBlackhole() if SINK == "blackhole" else MediaRecorder(
        os.path.join(outdir, m["id"] + ".mkv"))

    @pc.on("track")
    def on_track(track):
        rec.addTrack(track)

    @pc.on("connectionstatechange")
    async def on_state():
        if pc.connectionState == "connected" and m["id"] not in RECS:
            RECS[m["id"]] = rec
            await rec.start()
            send({"type": "recording", "id": m["id"]})

    await pc.setRemoteDescription(RTCSessionDescription(sdp=m["sdp"], type="offer"))
    await pc.setLocalDescription(await pc.createAnswer())
    send({"type": "answer", "id": m["id"], "sdp": pc.localDescription.sdp})


async def snap():
    t = {"type": "snap", "packets": 0, "lost": 0, "bytes": 0, "pcs": len(PCS), "connected": 0,
         "recordings": len(RECS), "version": aiortc.__version__}
    for pc in list(PCS.values()):
        if pc.connectionState == "connected":
            t["connected"] += 1
        for s in (await pc.getStats()).values():
            if s.type == "inbound-rtp":
                t["packets"] += s.packetsReceived
                t["lost"] += s.packetsLost
                t["bytes"] += getattr(s, "bytesReceived", 0)
                k = t.setdefault("by_kind", {}).setdefault(s.kind, [0, 0])
                k[0] += s.packetsReceived
                k[1] += s.packetsLost
    send(t)


async def main(outdir):
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while True:
        line = await reader.readline()
        if not line:
            os._exit(0)
        m = json.loads(line)
        if m["type"] == "offer":
            asyncio.ensure_future(offer(m, outdir))
        elif m["type"] == "snap":
            await snap()
        elif m["type"] == "quit":
            os._exit(0)  # the files are thrown away: no need to finish them


asyncio.run(main(sys.argv[1]))
