"""B5, the media packet path (/work/shared/BENCH.md, bench/README.md), for bench.py.

Each implementation's driver (b5_luartc.lua, b5_aiortc.py) runs one sender and one
receiver in one process over loopback: BENCH_TRACKS VP8 tracks of a ~1 Mbps IVF,
protected, sent, received, unprotected and depacketized into frames. The figure is RTP
packets per second per core: packets received in the measured window divided by the
process CPU time over it (sender + receiver), i.e. 1 / CPU per packet, at a load the
slowest peer still carries without loss. Rounds alternate between implementations.

libwebrtc (@roamhq/wrtc) and libdatachannel (node-datachannel) are not measured: wrtc's
media API takes raw I420 frames (it would encode VP8 itself, which B5 does not
measure), and node-datachannel's tracks carry RTP packets that the script builds and
parses itself (no VP8 packetizer in its API): either would measure JavaScript, not
the library.
"""

import os
import shutil
import statistics
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
FIXTURE = os.path.join(ROOT, "tests", "fixtures", "media", "vp8.ivf")
IMPLS = ("luartc", "luartc-base", "aiortc")


def ivf_1mbps(log):
    """A 10 s 640x480 VP8 IVF at ~1 Mbps made by ffmpeg (bench/.cache, not in git);
    the 190 kbps test fixture when ffmpeg is missing."""
    out = os.path.join(BENCH, ".cache", "vp8_1mbps.ivf")
    if os.path.exists(out):
        return out, 1.0
    if shutil.which("ffmpeg"):
        os.makedirs(os.path.dirname(out), exist_ok=True)
        r = subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                            "testsrc2=size=640x480:rate=30", "-t", "10", "-c:v", "libvpx",
                            "-b:v", "1M", "-minrate", "1M", "-maxrate", "1M", "-g", "60",
                            "-deadline", "realtime", "-cpu-used", "8", "-f", "ivf", out + ".tmp"])
        if r.returncode == 0:
            os.rename(out + ".tmp", out)
            return out, 1.0
    log("B5: ffmpeg missing, using the 190 kbps fixture %s" % FIXTURE)
    return FIXTURE, 0.19


def command(impl, luartc):
    if impl == "luartc":
        return [luartc, os.path.join(BENCH, "b5_luartc.lua")]
    if impl == "aiortc":
        return ["/usr/bin/python3", os.path.join(BENCH, "b5_aiortc.py")]
    return None


def bench_b5(rep, impls, run_one, quick, log):
    ivf, mbps = ivf_1mbps(log)
    tracks = int(os.environ.get("BENCH_TRACKS", "4"))
    rounds = 1 if quick else 3
    impls = [i for i in impls if i in IMPLS]
    vals = {i: [] for i in impls}
    extra = {i: {"us_per_pkt": [], "pkts_s": [], "loss": []} for i in impls}
    ver, errs = {}, {}
    env = {"BENCH_IVF": ivf, "BENCH_TRACKS": tracks, "BENCH_STEADY_S": 3 if quick else 5}
    for rnd in range(rounds):
        for impl in impls:
            if impl in errs:
                continue
            r = run_one(impl, "B5", env, 90)
            if "error" in r or not r.get("ok"):
                errs[impl] = r.get("error") or "no packets"
                log("B5 %s: %s\n%s" % (impl, errs[impl], r.get("stderr", "")))
                continue
            ver[impl] = r.get("version")
            vals[impl].append(r["pkts_per_core_s"])
            extra[impl]["us_per_pkt"].append(r["cpu_us_per_pkt"])
            extra[impl]["pkts_s"].append(r["packets_per_s"])
            extra[impl]["loss"].append(r["loss"])
            log("B5 round %d %s: %.0f pkt/s per core (%.1f us/pkt), %.0f pkt/s, loss %.4f" % (
                rnd + 1, impl, r["pkts_per_core_s"], r["cpu_us_per_pkt"], r["packets_per_s"],
                r["loss"]))
    for impl in impls:
        if vals[impl]:
            e = extra[impl]
            rep.add("B5", impl, "pkt/s", vals[impl], ver.get(impl), "higher",
                    {"tracks": tracks, "ivf_mbps": mbps,
                     "cpu_us_per_pkt": round(statistics.median(e["us_per_pkt"]), 1),
                     "pkts_per_s": round(statistics.median(e["pkts_s"]), 1),
                     "loss_max": round(max(e["loss"]), 5)})
        else:
            rep.add("B5", impl, "pkt/s", [], None, "higher",
                    {"note": errs.get(impl, "no result")})
