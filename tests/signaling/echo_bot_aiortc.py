#!/usr/bin/python3
"""aiortc talks to examples/echo-bot.lua over its WebSocket signaling.

  echo_bot_aiortc.py ws://127.0.0.1:PORT/ N   opens a data channel, sends N messages,
                                              prints {"echoed": k, ...} as JSON lines
The WebSocket client is a few lines over asyncio streams (Debian 12 has no
python3-websockets): client frames masked, no extensions (RFC 6455).
"""
import asyncio
import base64
import json
import os
import struct
import sys
import urllib.parse

import aioice.ice
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.sdp import candidate_from_sdp

aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]


def emit(ev):
    sys.stdout.write(json.dumps(ev) + "\n")
    sys.stdout.flush()


class WS:
    async def connect(self, url):
        u = urllib.parse.urlparse(url)
        self.r, self.w = await asyncio.open_connection(u.hostname, u.port)
        key = base64.b64encode(os.urandom(16)).decode()
        self.w.write((f"GET {u.path or '/'} HTTP/1.1\r\nHost: {u.hostname}:{u.port}\r\nUpgrade: websocket\r\n"
                      f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        head = await self.r.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101"), head

    def send(self, obj):
        data = json.dumps(obj).encode()
        mask = os.urandom(4)
        n = len(data)
        hdr = bytes([0x81]) + (bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack(">H", n)
                               if n < 65536 else bytes([0x80 | 127]) + struct.pack(">Q", n))
        self.w.write(hdr + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    async def recv(self):
        b1, b2 = await self.r.readexactly(2)
        n = b2 & 0x7F
        if n == 126:
            n = struct.unpack(">H", await self.r.readexactly(2))[0]
        elif n == 127:
            n = struct.unpack(">Q", await self.r.readexactly(8))[0]
        payload = await self.r.readexactly(n)
        return b1 & 0x0F, payload


async def main(url, count):
    ws = WS()
    await ws.connect(url)
    pc = RTCPeerConnection()
    dc = pc.createDataChannel("echo")
    echoed = []
    done = asyncio.get_running_loop().create_future()
    opened = asyncio.get_running_loop().create_future()
    dc.on("open", lambda: opened.done() or opened.set_result(True))

    @dc.on("message")
    def on_message(m):
        echoed.append(m)
        if len(echoed) == count and not done.done():
            done.set_result(True)
    await pc.setLocalDescription(await pc.createOffer())
    ws.send({"type": "offer", "sdp": pc.localDescription.sdp})

    async def signaling():
        while True:
            op, payload = await ws.recv()
            if op == 8:
                return
            m = json.loads(payload)
            if m["type"] == "answer":
                await pc.setRemoteDescription(RTCSessionDescription(sdp=m["sdp"], type="answer"))
            elif m["type"] == "candidate" and m["candidate"] and m["candidate"].get("candidate"):
                c = candidate_from_sdp(m["candidate"]["candidate"].split(":", 1)[1])
                c.sdpMid = m["candidate"].get("sdpMid")
                c.sdpMLineIndex = m["candidate"].get("sdpMLineIndex")
                await pc.addIceCandidate(c)
    task = asyncio.ensure_future(signaling())
    await asyncio.wait_for(opened, 15)
    for k in range(count):
        dc.send(f"message {k}" if k % 2 == 0 else bytes([k % 256]) * (k * 100))
    await asyncio.wait_for(done, 15)
    ok = all((echoed[k] == f"message {k}") if k % 2 == 0 else (echoed[k] == bytes([k % 256]) * (k * 100))
             for k in range(count))
    emit({"echoed": len(echoed), "intact": ok})
    task.cancel()
    await pc.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
