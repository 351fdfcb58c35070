"""aiortc side of the benchmark protocol (/work/shared/BENCH.md, bench/README.md).

Run with Debian's interpreter: /usr/bin/python3 bench/aiortc_bench.py B1|B2a|B2b|B3|B4
Options from the environment, same names as bench/luartc_bench.lua. The last stdout line
is "RESULT {json}".

aiortc does not trickle: the candidates are in the SDP once setLocalDescription returns,
so "passing candidates" is passing the descriptions. aioice skips loopback addresses, so
get_host_addresses is patched to gather on 127.0.0.1 only.
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
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription  # noqa: E402


def envn(k, d):
    v = os.environ.get(k)
    return float(v) if v else d


def now_ms():
    return time.monotonic() * 1000


def cpu_ms():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return (r.ru_utime + r.ru_stime) * 1000


def rss_kib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def result(t):
    t["version"] = aiortc.__version__
    sys.stdout.write("RESULT " + json.dumps(t) + "\n")
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def new_pc():
    return RTCPeerConnection(RTCConfiguration(iceServers=[]))


async def connect_pair():
    a, b = new_pc(), new_pc()
    opened = asyncio.get_running_loop().create_future()
    count = {"n": 0}
    pair = {"a": a, "b": b}

    def one_open():
        count["n"] += 1
        if count["n"] == 2 and not opened.done():
            opened.set_result(True)

    dca = a.createDataChannel("bench")
    pair["dca"] = dca
    dca.on("open", one_open)

    @b.on("datachannel")
    def on_dc(ch):
        pair["dcb"] = ch
        if ch.readyState == "open":
            one_open()
        else:
            ch.on("open", one_open)

    await a.setLocalDescription(await a.createOffer())
    await b.setRemoteDescription(a.localDescription)
    await b.setLocalDescription(await b.createAnswer())
    await a.setRemoteDescription(b.localDescription)
    await opened
    return pair


async def close_pair(p):
    await p["a"].close()
    await p["b"].close()


async def setup_pairs(n, parallel, cap_s, on_pair=None):
    sem = asyncio.Semaphore(int(parallel))
    pairs = []

    async def one():
        async with sem:
            p = await connect_pair()
            if on_pair:
                on_pair(p)
            pairs.append(p)

    t0 = now_ms()
    tasks = [asyncio.ensure_future(one()) for _ in range(int(n))]
    done, pending = await asyncio.wait(tasks, timeout=cap_s)
    ok = not pending
    return pairs, ok, now_ms() - t0


async def b1():
    n = int(envn("BENCH_N", 50))
    w = await connect_pair()  # warm-up, not counted
    await close_pair(w)
    samples = []
    c0 = cpu_ms()
    for _ in range(n):
        t0 = now_ms()
        p = await connect_pair()
        samples.append(now_ms() - t0)
        await close_pair(p)
    result({"samples_ms": samples, "cpu_ms_per_conn": (cpu_ms() - c0) / n})


def pump_sender(dc, total, msgsize, hwm, state):
    msg = b"\x5a" * int(msgsize)

    def pump():
        while state["sent"] < total and dc.bufferedAmount < hwm:
            dc.send(msg)
            state["sent"] += msgsize

    dc.bufferedAmountLowThreshold = int(hwm // 4)
    dc.on("bufferedamountlow", pump)
    return pump


async def b2a():
    total = envn("BENCH_BYTES", 256 * 1024 * 1024)
    msgsize = envn("BENCH_MSG", 65536)
    hwm = envn("BENCH_HWM", 4 * 1024 * 1024)
    cap_s = envn("BENCH_CAP_S", 120)
    p = await connect_pair()
    done = asyncio.get_running_loop().create_future()
    st = {"sent": 0, "recv": 0}

    def on_msg(m):
        st["recv"] += len(m)
        if st["recv"] >= total and not done.done():
            done.set_result(True)

    p["dcb"].on("message", on_msg)
    pump = pump_sender(p["dca"], total, msgsize, hwm, st)
    t0, c0 = now_ms(), cpu_ms()
    pump()
    capped = False
    try:
        await asyncio.wait_for(done, cap_s)
    except asyncio.TimeoutError:
        capped = True
    dt = (now_ms() - t0) / 1000
    r = {"mbps": st["recv"] / dt / 1e6, "bytes": st["recv"], "seconds": dt,
         "cpu_ms_per_mb": (cpu_ms() - c0) / max(st["recv"] / 1e6, 1e-9)}
    if capped:
        r["capped"] = True
    result(r)


async def read_lines(reader, handle):
    while True:
        line = await reader.readline()
        if not line:
            return
        line = line.strip()
        if line:
            await handle(json.loads(line))


async def b2b_answer():
    total = envn("BENCH_BYTES", 256 * 1024 * 1024)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    def send(t):
        sys.stdout.write(json.dumps(t) + "\n")
        sys.stdout.flush()

    pc = new_pc()
    st = {"recv": 0}

    @pc.on("datachannel")
    def on_dc(ch):
        @ch.on("message")
        def on_msg(m):
            st["recv"] += len(m)
            if st["recv"] >= total:
                send({"type": "done", "bytes": st["recv"]})

    async def handle(m):
        if m["type"] == "offer":
            await pc.setRemoteDescription(RTCSessionDescription(sdp=m["sdp"], type="offer"))
            await pc.setLocalDescription(await pc.createAnswer())
            send({"type": "answer", "sdp": pc.localDescription.sdp})
        elif m["type"] == "count":
            send({"type": "done", "bytes": st["recv"]})
        elif m["type"] == "quit":
            os._exit(0)

    await read_lines(reader, handle)
    os._exit(0)  # the parent is gone


async def b2b():
    total = envn("BENCH_BYTES", 256 * 1024 * 1024)
    msgsize = envn("BENCH_MSG", 65536)
    hwm = envn("BENCH_HWM", 4 * 1024 * 1024)
    cap_s = envn("BENCH_CAP_S", 120)
    child = await asyncio.create_subprocess_exec(
        sys.executable, os.path.abspath(__file__), "B2b-answer",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)

    def send(t):
        child.stdin.write((json.dumps(t) + "\n").encode())

    pc = new_pc()
    dc = pc.createDataChannel("bench")
    st = {"sent": 0}
    loop = asyncio.get_running_loop()
    opened = loop.create_future()
    done = loop.create_future()
    dc.on("open", lambda: opened.done() or opened.set_result(True))

    async def handle(m):
        if m["type"] == "answer":
            await pc.setRemoteDescription(RTCSessionDescription(sdp=m["sdp"], type="answer"))
        elif m["type"] == "done":
            if not done.done():
                done.set_result(m["bytes"])

    reader_task = asyncio.ensure_future(read_lines(child.stdout, handle))
    await pc.setLocalDescription(await pc.createOffer())
    send({"type": "offer", "sdp": pc.localDescription.sdp})
    await opened
    pump = pump_sender(dc, total, msgsize, hwm, st)
    t0 = now_ms()
    pump()
    capped = False
    try:
        nbytes = await asyncio.wait_for(asyncio.shield(done), cap_s)
    except asyncio.TimeoutError:
        capped = True
        send({"type": "count"})
        nbytes = await done
    dt = (now_ms() - t0) / 1000
    send({"type": "quit"})
    r = {"mbps": nbytes / dt / 1e6, "bytes": nbytes, "seconds": dt}
    if capped:
        r["capped"] = True
    reader_task.cancel()
    result(r)


async def b3():
    n = envn("BENCH_N", 100)
    w = await connect_pair()
    await close_pair(w)
    await asyncio.sleep(0.2)
    import gc
    gc.collect()
    rss0 = rss_kib()
    pairs, ok, ms = await setup_pairs(n, envn("BENCH_PARALLEL", 20), envn("BENCH_CAP_S", 120))
    gc.collect()
    rss1 = rss_kib()
    c = len(pairs)
    result({"ok": ok, "pairs": c, "setup_ms": ms, "rss_before_kib": rss0, "rss_after_kib": rss1,
            "kib_per_pc": (rss1 - rss0) / (2 * c) if c else None})


async def b4():
    n = int(envn("BENCH_N", 100))
    cap_s = envn("BENCH_CAP_S", 60)
    steady_s = envn("BENCH_STEADY_S", 5)
    rss0 = rss_kib()

    def on_pair(p):
        p["pongs"] = 0
        p["dcb"].on("message", lambda m: p["dcb"].send(m))

        def pong(m):
            p["pongs"] += 1
        p["dca"].on("message", pong)

    pairs, ok, ms = await setup_pairs(n, envn("BENCH_PARALLEL", 20), cap_s, on_pair)
    if not ok:
        result({"ok": False, "pairs": len(pairs), "setup_ms": ms, "rss_kib": rss_kib(),
                "reason": "setup not done within %g s" % cap_s})
    slices = 20

    async def ticker():
        k, start = 0, time.monotonic()
        while True:
            for p in pairs[k % slices::slices]:
                if p["dca"].readyState == "open":
                    p["dca"].send("ping")
            k += 1
            await asyncio.sleep(max(0, start + k / slices - time.monotonic()))

    t = asyncio.ensure_future(ticker())
    await asyncio.sleep(2)
    c0, t0, p0 = cpu_ms(), now_ms(), sum(p["pongs"] for p in pairs)
    await asyncio.sleep(steady_s)
    c1, t1, p1 = cpu_ms(), now_ms(), sum(p["pongs"] for p in pairs)
    t.cancel()
    secs = (t1 - t0) / 1000
    result({"ok": True, "pairs": len(pairs), "setup_ms": ms, "rss_kib": rss_kib(),
            "rss_delta_kib": rss_kib() - rss0, "cpu_pct": (c1 - c0) / (t1 - t0) * 100,
            "delivered": (p1 - p0) / (n * secs)})


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "B1"
    fn = {"B1": b1, "B2a": b2a, "B2b": b2b, "B2b-answer": b2b_answer, "B3": b3, "B4": b4}[mode]
    asyncio.run(fn())


if __name__ == "__main__":
    main()
