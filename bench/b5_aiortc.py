"""B5, aiortc side (/work/shared/BENCH.md, bench/README.md): the same steps as
bench/b5_luartc.lua. One sender and one receiver RTCPeerConnection in this process,
BENCH_TRACKS tracks of the VP8 IVF BENCH_IVF sent without re-encoding
(MediaPlayer(decode=False): aiortc packetizes the file's frames), received, unprotected
and depacketized into frames by aiortc's jitter buffer. aiortc would then decode every
frame (libvpx, in a thread): that is not part of B5, so its decoder worker is replaced
by one that counts the frames. Run with Debian's interpreter:
    /usr/bin/python3 bench/b5_aiortc.py
"""

import asyncio
import json
import os
import resource
import sys
import time

import aioice.ice

aioice.ice.get_host_addresses = lambda use_ipv4=True, use_ipv6=True: ["127.0.0.1"]

import aiortc  # noqa: E402
import aiortc.rtcrtpreceiver as rtcrtpreceiver  # noqa: E402
from aiortc import RTCConfiguration, RTCPeerConnection  # noqa: E402
from aiortc.contrib.media import MediaPlayer  # noqa: E402

FRAMES = {"n": 0}


def counting_worker(loop, input_q, output_q):
    # aiortc's decoder_worker without the decoder: the depacketized frames are counted.
    while True:
        task = input_q.get()
        if task is None:
            asyncio.run_coroutine_threadsafe(output_q.put(None), loop)
            break
        FRAMES["n"] += 1


rtcrtpreceiver.decoder_worker = counting_worker


def envn(k, d):
    v = os.environ.get(k)
    return float(v) if v else d


def cpu_s():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def log(*a):
    print(*a, file=sys.stderr, flush=True)


async def totals(a, b):
    recv = lost = sent = 0
    for s in (await b.getStats()).values():
        if s.type == "inbound-rtp":
            recv += s.packetsReceived
            lost += s.packetsLost
    for s in (await a.getStats()).values():
        if s.type == "outbound-rtp":
            sent += s.packetsSent
    return recv, lost, sent


async def main():
    n = int(envn("BENCH_TRACKS", 8))
    path = os.environ.get("BENCH_IVF", "tests/fixtures/media/vp8.ivf")
    warm, steady = envn("BENCH_WARM_S", 2), envn("BENCH_STEADY_S", 5)
    a = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    b = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    players = []
    for _ in range(n):
        p = MediaPlayer(path, decode=False, loop=True)
        players.append(p)
        a.addTransceiver(p.video, direction="sendonly")
    remote = {"n": 0}

    @b.on("track")
    def on_track(track):
        remote["n"] += 1

    await a.setLocalDescription(await a.createOffer())
    await b.setRemoteDescription(a.localDescription)
    await b.setLocalDescription(await b.createAnswer())
    await a.setRemoteDescription(b.localDescription)
    t0 = time.monotonic()
    while b.connectionState != "connected" or remote["n"] < n:
        if time.monotonic() - t0 > 30:
            log("B5: not connected after 30 s (%s)" % b.connectionState)
            os._exit(2)
        await asyncio.sleep(0.02)
    await asyncio.sleep(warm)
    r0, l0, s0 = await totals(a, b)
    c0, w0, f0 = cpu_s(), time.monotonic(), FRAMES["n"]
    log("B5 steady")
    await asyncio.sleep(steady)
    r1, l1, s1 = await totals(a, b)
    c1, w1, f1 = cpu_s(), time.monotonic(), FRAMES["n"]
    secs, cpu = w1 - w0, c1 - c0
    got = r1 - r0
    res = {"ok": got > 0, "tracks": n, "packets_per_s": got / secs,
           "pkts_per_core_s": got / cpu if cpu > 0 else 0,
           "cpu_us_per_pkt": cpu * 1e6 / max(got, 1), "cpu_pct": cpu / secs * 100,
           "loss": (l1 - l0) / max(got + (l1 - l0), 1), "sent": s1 - s0,
           "frames_per_s": (f1 - f0) / secs, "version": aiortc.__version__}
    sys.stdout.write("RESULT " + json.dumps(res) + "\n")
    sys.stdout.flush()
    os._exit(0)


asyncio.run(main())
