#!/usr/bin/python3
"""aiortc as the independent WHIP peer (RFC 9725), HTTP from Python's standard library.

  whip_aiortc.py client URL TOKEN   publishes a data channel to URL, sends "hello",
                                    waits for the echo, DELETEs; JSON lines on stdout
  whip_aiortc.py server TOKEN       a WHIP endpoint at /whip that echoes data channel
                                    messages; prints {"port": N}, then one line per event
Host candidates on 127.0.0.1 only (aioice skips loopback by default).
"""
import asyncio
import json
import sys
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import aioice.ice
from aiortc import RTCPeerConnection, RTCSessionDescription

aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]


def emit(ev):
    sys.stdout.write(json.dumps(ev) + "\n")
    sys.stdout.flush()


def request(method, url, token, body=None, ctype=None):
    req = urllib.request.Request(url, data=body, method=method)
    req.add_header("Authorization", "Bearer " + token)
    if ctype:
        req.add_header("Content-Type", ctype)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode()


async def client(url, token):
    pc = RTCPeerConnection()
    dc = pc.createDataChannel("from-aiortc")
    got = asyncio.get_running_loop().create_future()
    dc.on("open", lambda: dc.send("hello"))
    dc.on("message", lambda m: got.done() or got.set_result(m))
    await pc.setLocalDescription(await pc.createOffer())
    loop = asyncio.get_running_loop()
    status, headers, body = await loop.run_in_executor(
        None, request, "POST", url, token, pc.localDescription.sdp.encode(), "application/sdp")
    emit({"step": "post", "status": status, "location": headers.get("Location"), "link": headers.get("Link"),
          "ctype": headers.get("Content-Type")})
    if status != 201:
        return
    await pc.setRemoteDescription(RTCSessionDescription(sdp=body, type="answer"))
    msg = await asyncio.wait_for(got, 15)
    emit({"step": "echo", "data": msg})
    loc = urllib.parse.urljoin(url, headers["Location"])
    status, _, _ = await loop.run_in_executor(None, request, "DELETE", loc, token)
    emit({"step": "delete", "status": status})
    await pc.close()


def server(token):
    loop = asyncio.new_event_loop()
    pcs = {}

    async def answer(offer):
        pc = RTCPeerConnection()

        @pc.on("datachannel")
        def on_dc(ch):
            ch.on("message", lambda m: ch.send("echo " + m))
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        n = str(len(pcs) + 1)
        pcs[n] = pc
        return n, pc.localDescription.sdp

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def reply(self, code, headers=(), body=b""):
            self.send_response(code)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
            if self.headers.get("Authorization") != "Bearer " + token:
                return self.reply(401)
            if self.path != "/whip" or self.headers.get("Content-Type") != "application/sdp":
                return self.reply(415)
            n, sdp = asyncio.run_coroutine_threadsafe(answer(body), loop).result(10)
            emit({"event": "session", "id": n})
            self.reply(201, [("Content-Type", "application/sdp"), ("Location", "/whip/" + n),
                             ("Link", '<stun:stun.example.net>; rel="ice-server"'),
                             ("Link", '<turn:turn.example.net?transport=tcp>; rel="ice-server"; username="user"; '
                                      'credential="pass"; credential-type="password"')], sdp.encode())

        def do_DELETE(self):
            pc = pcs.pop(self.path.rsplit("/", 1)[-1], None)
            if not pc:
                return self.reply(404)
            asyncio.run_coroutine_threadsafe(pc.close(), loop).result(10)
            emit({"event": "deleted", "path": self.path})
            self.reply(200)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    emit({"port": httpd.server_address[1]})
    loop.run_forever()


if __name__ == "__main__":
    if sys.argv[1] == "client":
        asyncio.run(client(sys.argv[2], sys.argv[3]))
    else:
        server(sys.argv[2])
