#!/usr/bin/python3
"""aiortc publishes to a WHIP endpoint (RFC 9725): its test video (VP8) and audio (Opus)
tracks, the HTTP from Python's urllib.

  whip_aiortc.py URL SECONDS   POSTs the offer (aiortc gathers before it returns from
                               setLocalDescription), applies the answer, publishes
                               SECONDS once connected, DELETEs.
JSON lines on stdout like whip_gst.py's. Gathers on INTEROP_ADDRESSES (default 127.0.0.1).
"""
import asyncio
import json
import os
import sys
import time
import urllib.parse
import urllib.request

import aioice.ice
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack

ADDRESSES = [a for a in os.environ.get("INTEROP_ADDRESSES", "127.0.0.1").split(",") if a]
aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: list(ADDRESSES)


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


async def main(url, seconds):
    loop = asyncio.get_running_loop()
    pc = RTCPeerConnection()
    pc.addTransceiver(VideoStreamTrack(), direction="sendonly")
    pc.addTransceiver(AudioStreamTrack(), direction="sendonly")
    await pc.setLocalDescription(await pc.createOffer())
    status, headers, body = await loop.run_in_executor(
        None, request, "POST", url, pc.localDescription.sdp.encode())
    loc = headers.get("Location") or headers.get("location")
    emit({"step": "post", "status": status, "location": loc})
    if status != 201 or not loc:
        emit({"step": "error", "error": f"POST answered {status}: {body[:200]}"})
        return 1
    await pc.setRemoteDescription(RTCSessionDescription(body, "answer"))
    for _ in range(200):
        if pc.connectionState in ("connected", "failed"):
            break
        await asyncio.sleep(0.05)
    if pc.connectionState != "connected":
        emit({"step": "error", "error": f"connection {pc.connectionState}"})
        return 1
    emit({"step": "connected"})
    t0 = time.monotonic()
    await asyncio.sleep(seconds)
    took = time.monotonic() - t0
    status, _, _ = await loop.run_in_executor(None, request, "DELETE", urllib.parse.urljoin(url, loc))
    emit({"step": "delete", "status": status, "seconds": took})
    await pc.close()
    return 0 if status == 200 else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1], float(sys.argv[2]))))
