"""B6, recording (/work/shared/BENCH.md, bench/README.md), for bench.py; also runs alone:

    /usr/bin/python3 bench/b6.py [luartc,aiortc] [N1,N2,...]    (prints one JSON line per step)

N publishers, each a peer connection sending a ~1 Mbps VP8 IVF and a 64 kbps Ogg Opus
file (both made by ffmpeg, looped, sent without re-encoding by luartc file tracks), are
recorded by ONE recorder process: luartc (`b6_luartc.lua record`, rtc.media.record to WebM
in C) or a peer: `b6_aiortc.py` (aiortc's MediaRecorder, which transcodes) and
`b6_gst.py` (GStreamer webrtcbin -> depayloaders -> webmmux, no transcoding; added when
Python's gi has webrtcbin, BENCH_B6_GST=0 leaves it out). The recorder is pinned to
core 0 (taskset); the publishers are luartc processes of at most PER_PROC peer connections
each, pinned to the other core, so that they do not take the recorder's core. N grows in
steps; a step passes when every publisher is recording and, over the measured window,
packets lost (RTP sequence gaps at the recorder, which include datagrams the kernel
dropped on a full socket buffer) stay under 0.1%, the recorder received at least 99% of
the packets the publishers sent in the same window, the recorder dropped no frame, and
the recorder process used under 90% of its core. The figure is the largest N passed, with
the recorder's CPU time per received packet. If the publishers' core saturates first,
the step says so (the figure is then a lower bound set by this 2-core machine).
"""

import json
import math
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import b5  # the 1 Mbps VP8 IVF

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
OGG_FIXTURE = os.path.join(ROOT, "tests", "fixtures", "media", "opus.ogg")
IMPLS = ("luartc", "aiortc", "gstreamer")
PER_PROC = 50
CLK = os.sysconf("SC_CLK_TCK")
STEPS = {"luartc": [10, 25, 50, 100, 150, 200, 300, 400, 600, 800],
         "aiortc": [1, 2, 4, 8, 16],
         "gstreamer": [1, 5, 10, 25, 35, 50, 100, 200]}


def ogg_opus(log):
    """10 s of 48 kHz stereo Opus at 64 kbps made by ffmpeg (bench/.cache); the test
    fixture (2 s mono) when ffmpeg cannot."""
    out = os.path.join(BENCH, ".cache", "opus_64k.ogg")
    if os.path.exists(out):
        return out
    if shutil.which("ffmpeg"):
        os.makedirs(os.path.dirname(out), exist_ok=True)
        r = subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                            "sine=frequency=440:sample_rate=48000", "-ac", "2", "-t", "10",
                            "-c:a", "libopus", "-b:a", "64k", "-f", "ogg", out + ".tmp"])
        if r.returncode == 0:
            os.rename(out + ".tmp", out)
            return out
    log("B6: ffmpeg/libopus missing, using the fixture %s" % OGG_FIXTURE)
    return OGG_FIXTURE


def udp_snmp():
    """The kernel's UDP counters of this network namespace (bench/run.sh's own: only the
    benchmark's processes): InDatagrams, RcvbufErrors."""
    try:
        with open("/proc/net/snmp") as f:
            rows = [l.split() for l in f if l.startswith("Udp:")]
        d = dict(zip(rows[0][1:], (int(x) for x in rows[1][1:])))
        return {k: d.get(k, 0) for k in ("InDatagrams", "RcvbufErrors")}
    except (OSError, IndexError, ValueError):
        return {}


def cpu_s(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK  # utime, stime
    except (OSError, IndexError, ValueError):
        return 0.0


class Proc:
    def __init__(self, name, cmd, env, q, errfile):
        self.name = name
        self.p = subprocess.Popen(cmd, cwd=ROOT, env=env, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=errfile, text=True, bufsize=1)
        threading.Thread(target=self._read, args=(q,), daemon=True).start()

    def _read(self, q):
        for line in self.p.stdout:
            line = line.strip()
            if line.startswith("{"):
                q.put((self, json.loads(line)))
        q.put((self, None))

    def send(self, t):
        try:
            self.p.stdin.write(json.dumps(t) + "\n")
            self.p.stdin.flush()
        except (BrokenPipeError, ValueError):
            pass


def pin(core):
    return ["taskset", "-c", str(core)] if (os.cpu_count() or 1) >= 2 and shutil.which("taskset") else []


def run_step(impl, n, luartc, ivf, ogg, warm_s, steady_s, log):
    """One recorder with n publishers. Returns a dict of the step's figures."""
    tmp = tempfile.mkdtemp(prefix="luartc-bench-b6-")
    env = dict(os.environ, BENCH_IVF=ivf, BENCH_OGG=ogg, LUARTC_GATHER_ADDRESSES="127.0.0.1",
               BENCH_GATHER=GST_ADDR if impl == "gstreamer" else "127.0.0.1")
    q = queue.Queue()
    errf = open(os.path.join(tmp, "stderr.log"), "w+")
    procs = []
    try:
        if impl == "luartc":
            rcmd = [luartc, os.path.join(BENCH, "b6_luartc.lua"), "record", tmp]
        elif impl == "aiortc":
            rcmd = ["/usr/bin/python3", os.path.join(BENCH, "b6_aiortc.py"), tmp]
        else:
            rcmd = ["/usr/bin/python3", os.path.join(BENCH, "b6_gst.py"), tmp]
        rec = Proc("recorder", pin(0) + rcmd, env, q, errf)
        procs.append(rec)
        pubs, owner = [], {}
        nproc = math.ceil(n / PER_PROC)
        for j in range(nproc):
            k = n // nproc + (1 if j < n % nproc else 0)
            e = dict(env, BENCH_ID_PREFIX="p%d_" % j)
            pub = Proc("pub%d" % j, pin(1) + [luartc, os.path.join(BENCH, "b6_luartc.lua"),
                                              "publish", str(k)], e, q, errf)
            pubs.append(pub)
            procs.append(pub)
        t0 = time.monotonic()
        cap = 30 + n * 0.2
        recording = set()
        answers = 0
        while len(recording) < n:
            left = cap - (time.monotonic() - t0)
            if left <= 0:
                # what the recorder's peer connections say (connected or not)
                rec.send({"type": "snap"})
                st = {}
                end = time.monotonic() + 10
                while time.monotonic() < end:
                    try:
                        src, m = q.get(timeout=1)
                    except queue.Empty:
                        continue
                    if src is rec and m and m["type"] == "snap":
                        st = m
                        break
                return {"ok": False, "reason": "%d of %d recording after %.0f s (recorder: %s pcs, "
                        "%s connected; %d offers, %d answers)" % (
                            len(recording), n, cap, st.get("pcs"), st.get("connected"),
                            len(owner), answers), "recordings": len(recording),
                        "states": st.get("states")}
            try:
                src, m = q.get(timeout=left)
            except queue.Empty:
                continue
            if m is None:
                return {"ok": False, "reason": "%s exited (code %s)" % (src.name, src.p.poll())}
            if m["type"] == "offer":
                owner[m["id"]] = src
                rec.send(m)
            elif m["type"] == "answer":
                answers += 1
                owner[m["id"]].send(m)
            elif m["type"] == "recording":
                recording.add(m["id"])
        setup_s = time.monotonic() - t0
        time.sleep(warm_s)

        def snap():
            for p in procs:
                p.send({"type": "snap"})
            got = {}
            deadline = time.monotonic() + 30
            while len(got) < len(procs) and time.monotonic() < deadline:
                try:
                    src, m = q.get(timeout=1)
                except queue.Empty:
                    continue
                if m and m["type"] == "snap":
                    got[src] = m
            cpu = {p: cpu_s(p.p.pid) for p in procs}
            cpu["snmp"] = udp_snmp()
            return got, cpu, time.monotonic()

        s0, c0, w0 = snap()
        time.sleep(steady_s)
        s1, c1, w1 = snap()
        secs = w1 - w0
        if rec not in s0 or rec not in s1:
            return {"ok": False, "reason": "the recorder did not answer"}
        r0, r1 = s0[rec], s1[rec]
        recv = r1["packets"] - r0["packets"]
        lost = max(0, r1["lost"] - r0["lost"])
        sent = sum(s1[p]["packets"] - s0[p]["packets"] for p in pubs if p in s0 and p in s1)
        rec_cpu = c1[rec] - c0[rec]
        pub_cpu = sum(c1[p] - c0[p] for p in pubs)
        res = {"ok": True, "publishers": n, "setup_s": round(setup_s, 1),
               "recorder_cpu_pct": round(rec_cpu / secs * 100, 1),
               "publisher_cpu_pct": round(pub_cpu / secs * 100, 1),
               "packets_per_s": round(recv / secs, 1), "sent_per_s": round(sent / secs, 1),
               "loss": round(lost / max(recv + lost, 1), 5),
               "cpu_us_per_pkt": round(rec_cpu * 1e6 / max(recv, 1), 2),
               "connected": r1.get("connected"), "version": r1.get("version")}
        if "frames" in r1:
            res["frames_per_s"] = round((r1["frames"] - r0["frames"]) / secs, 1)
            res["dropped"] = r1["dropped"] - r0["dropped"]
        if "written" in r1:
            res["written_mb_s"] = round((r1["written"] - r0["written"]) / secs / 1e6, 3)
        if os.environ.get("BENCH_NETNS") == "1" and c0["snmp"] and c1["snmp"]:
            # kernel view: datagrams that reached a socket (InDatagrams: the recorder's RTP
            # and the publishers' RTCP) or were dropped on a full receive buffer (counted
            # apart). Not OutDatagrams: one GSO send counts once for several packets.
            k = {x: (c1["snmp"][x] - c0["snmp"][x]) / secs for x in c0["snmp"]}
            res["kernel_out_per_s"] = round(k["InDatagrams"] + k["RcvbufErrors"], 1)
            res["kernel_rcvbuf_drops_per_s"] = round(k["RcvbufErrors"], 1)
        fb = {}
        for k in ("rtx", "nacks", "plis"):
            v = sum(s1[p].get(k, 0) - s0[p].get(k, 0) for p in pubs if p in s0 and p in s1)
            if v:
                fb[k] = v
        if fb:
            res["publisher_feedback"] = fb
        pk = {}
        for p in pubs:
            if p in s0 and p in s1:
                for k, v in s1[p].get("by_kind", {}).items():
                    pk[k] = pk.get(k, 0) + v[0] - s0[p].get("by_kind", {}).get(k, [0, 0])[0]
        if pk:
            res["sent_by_kind_per_s"] = {k: round(v / secs, 1) for k, v in pk.items()}
        if "by_kind" in r1 and "by_kind" in r0:
            res["by_kind_per_s"] = {k: [round((v[0] - r0["by_kind"].get(k, [0, 0])[0]) / secs, 1),
                                        v[1] - r0["by_kind"].get(k, [0, 0])[1]]
                                    for k, v in r1["by_kind"].items()}
        return res
    finally:
        for p in procs:
            p.send({"type": "quit"})
        for p in procs:
            try:
                p.p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.p.kill()
                p.p.wait()
        errf.seek(0)
        tail = errf.read()[-1500:]
        errf.close()
        if tail.strip():
            log("B6 %s %d stderr (tail):\n%s" % (impl, n, tail))
        shutil.rmtree(tmp, True)


def verdict(r, cores):
    """None when the step passed, else why it did not."""
    if not r.get("ok"):
        return r.get("reason", "failed")
    if r["loss"] > 0.001:
        return "loss %.2f%%" % (r["loss"] * 100)
    # a recorder that reads its socket but falls behind (aiortc queues in Python) loses
    # nothing on the wire: it receives less than was sent over the same window
    if r.get("kernel_out_per_s") is not None and r["sent_per_s"] and \
            r["kernel_out_per_s"] < 0.95 * r["sent_per_s"]:
        # the publishers counted packets their kernel never saw: their core is the limit
        return ("publishers could not send: %.0f RTP packets/s counted, %.0f datagrams/s "
                "reached a socket (their core; not a recorder limit)" % (
                    r["sent_per_s"], r["kernel_out_per_s"]))
    if r.get("kernel_rcvbuf_drops_per_s", 0) > 0.001 * max(r["packets_per_s"], 1):
        return "%.0f datagrams/s dropped on full socket buffers (the namespace's UDP counter)" % (
            r["kernel_rcvbuf_drops_per_s"])
    if r["sent_per_s"] and r["packets_per_s"] < 0.99 * r["sent_per_s"]:
        return "received %.0f%% of the packets sent (falls behind)" % (
            100 * r["packets_per_s"] / r["sent_per_s"])
    if r.get("dropped"):
        return "%d frames dropped by the recorder" % r["dropped"]
    if r["recorder_cpu_pct"] >= 90:
        return "recorder CPU %.0f%% (its core saturated)" % r["recorder_cpu_pct"]
    if r["publisher_cpu_pct"] >= 90:
        return "publishers' core saturated (%.0f%%): not a recorder limit" % r["publisher_cpu_pct"]
    return None


DUMMY = "luartc-b6"
GST_ADDR = "10.254.6.1"


def gst_iface(up):
    """libnice (GStreamer's ICE) skips loopback: inside the benchmark's own network
    namespace (BENCH_NETNS=1) a veth interface gives it an address (10.254.6.1, reached
    over lo like 127.0.0.1). Returns whether it is there."""
    if os.environ.get("BENCH_NETNS") != "1":
        return False
    ip = lambda *a: subprocess.run(["ip"] + list(a), capture_output=True).returncode == 0  # noqa: E731
    if not up:
        return ip("link", "del", DUMMY)
    ip("link", "del", DUMMY)  # (no dummy module in this kernel: a veth pair)
    return ip("link", "add", DUMMY, "type", "veth", "peer", "name", DUMMY + "p") and \
        ip("addr", "add", "10.254.6.1/24", "dev", DUMMY) and ip("link", "set", DUMMY, "up") \
        and ip("link", "set", DUMMY + "p", "up")


def ladder(impl, luartc, ivf, ogg, steps, warm_s, steady_s, log):
    if impl == "gstreamer":
        if not gst_iface(True):
            log("B6 gstreamer: needs its own network namespace (BENCH_NETNS=1, bench/run.sh)")
            return 0, [], "no network namespace for libnice"
        try:
            return ladder_(impl, luartc, ivf, ogg, steps, warm_s, steady_s, log)
        finally:
            gst_iface(False)
    return ladder_(impl, luartc, ivf, ogg, steps, warm_s, steady_s, log)


def ladder_(impl, luartc, ivf, ogg, steps, warm_s, steady_s, log):
    best, done, stopped = 0, [], None
    for n in steps:
        r = run_step(impl, n, luartc, ivf, ogg, warm_s, steady_s, log)
        r["publishers"] = n
        done.append(r)
        why = verdict(r, os.cpu_count())
        log("B6 %s %d publishers: %s%s" % (impl, n, json.dumps(r), "" if not why else " -> " + why))
        if why:
            stopped = "%d publishers: %s" % (n, why)
            break
        best = n
    return best, done, stopped


def gst_ok():
    return subprocess.run(["/usr/bin/python3", "-c", "import gi; gi.require_version('Gst', '1.0');"
                           "from gi.repository import Gst; Gst.init(None);"
                           "assert Gst.ElementFactory.find('webrtcbin')"],
                          capture_output=True).returncode == 0


def bench_b6(rep, impls, luartc, quick, log):
    impls = [i for i in impls if i in IMPLS]
    if os.environ.get("BENCH_B6_GST", "1") != "0" and "gstreamer" not in impls and gst_ok():
        impls.append("gstreamer")
    if "luartc" not in impls and impls:
        log("B6: the publishers are luartc processes: luartc is needed")
        return
    ivf, mbps = b5.ivf_1mbps(log)
    ogg = ogg_opus(log)
    warm_s, steady_s = (2, 4) if quick else (3, 10)
    only = os.environ.get("BENCH_B6_STEPS")
    for impl in impls:
        steps = [int(x) for x in only.split(",")] if only else STEPS[impl]
        if quick:
            steps = steps[:3]
        best, done, stopped = ladder(impl, luartc, ivf, ogg, steps, warm_s, steady_s, log)
        ok = [r for r in done if r.get("ok")]
        last_ok = next((r for r in reversed(ok) if r["publishers"] == best), None)
        extra = {"ivf_mbps": mbps, "steps": [r["publishers"] for r in done],
                 "recorder_cpu_pct": [r.get("recorder_cpu_pct") for r in done],
                 "publisher_cpu_pct": [r.get("publisher_cpu_pct") for r in done],
                 "packets_per_s": [r.get("packets_per_s") for r in done],
                 "sent_per_s": [r.get("sent_per_s") for r in done],
                 "loss": [r.get("loss") for r in done],
                 "cpu_us_per_pkt": [r.get("cpu_us_per_pkt") for r in done],
                 "setup_s": [r.get("setup_s") for r in done],
                 "kernel_out_per_s": [r.get("kernel_out_per_s") for r in done],
                 "kernel_rcvbuf_drops_per_s": [r.get("kernel_rcvbuf_drops_per_s") for r in done],
                 "stopped": stopped or "largest step passed",
                 "recorder_core": 0, "publisher_core": 1}
        if last_ok:
            extra["cpu_us_per_pkt_at_best"] = last_ok["cpu_us_per_pkt"]
        ver = next((r.get("version") for r in ok if r.get("version")), None)
        rep.add("B6", impl, "recordings", [float(best)], ver or ("0.1.0" if impl == "luartc" else None),
                "higher", extra, rounds=1)


if __name__ == "__main__":
    which = (sys.argv[1] if len(sys.argv) > 1 else "luartc").split(",")
    steps = [int(x) for x in sys.argv[2].split(",")] if len(sys.argv) > 2 else None
    lua = os.environ.get("LUARTC", os.path.join(ROOT, "build", "luartc"))
    lg = lambda *a: print(*a, file=sys.stderr, flush=True)  # noqa: E731
    ivf_, _ = b5.ivf_1mbps(lg)
    ogg_ = ogg_opus(lg)
    for impl_ in which:
        b, d, s = ladder(impl_, lua, ivf_, ogg_, steps or STEPS[impl_], 3,
                         float(os.environ.get("BENCH_STEADY_S", "10")), lg)
        print(json.dumps({"impl": impl_, "best": b, "stopped": s, "steps": d}))
