"""Runs the benchmark protocol (/work/shared/BENCH.md) for every implementation, rounds
alternating between implementations, prints one table and appends JSON lines to
bench/results.jsonl. Called by bench/run.sh (which installs the peers first):

    bash bench/run.sh            # every benchmark
    bash bench/run.sh B2a        # one of B1 B2a B2b B3 B4 B5 B6

Environment:
    BENCH_QUICK=1          smaller runs (B2 32 MiB, fewer rounds, B4 steps 100 and 500)
    BENCH_IMPLS=a,b        implementations to run (default: luartc,aiortc,libwebrtc,libdatachannel)
    BENCH_NO_JSONL=1       do not append to bench/results.jsonl
    LUARTC=path            the luartc runner (default build/luartc)
"""

import json
import os
import statistics
import subprocess
import sys
import time

import b5  # bench/b5.py: B5's drivers and rounds
import b6  # bench/b6.py: B6, recorders and publishers

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
QUICK = os.environ.get("BENCH_QUICK") == "1"
CORES = os.cpu_count()
MIB = 1024 * 1024
LUARTC = os.environ.get("LUARTC", os.path.join(ROOT, "build", "luartc"))
BUILD_ID = None  # luartc's build: git commit (+dirty) and the binary's mtime


def snapshot_luartc():
    """Copies build/luartc and lua/ to a private directory, so that a rebuild during
    the run (make in the same checkout) does not mix two builds in one table. The
    runner finds its Lua modules in <exe dir>/../lua."""
    global LUARTC, BUILD_ID
    if not os.access(LUARTC, os.X_OK):
        return
    import shutil
    import tempfile
    try:
        head = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--",
                                "runtime", "bindings", "lua", "Makefile"],
                               capture_output=True, text=True).stdout.strip()
    except OSError:
        head, dirty = "", ""
    BUILD_ID = "%s%s built %s" % (head or "?", "+dirty" if dirty else "", time.strftime(
        "%Y-%m-%dT%H:%M:%SZ", time.gmtime(os.stat(LUARTC).st_mtime)))
    if os.environ.get("LUARTC"):
        return
    snap = tempfile.mkdtemp(prefix="luartc-bench-")
    os.makedirs(os.path.join(snap, "build"))
    shutil.copy2(LUARTC, os.path.join(snap, "build", "luartc"))
    if os.path.isdir(os.path.join(ROOT, "lua")):
        shutil.copytree(os.path.join(ROOT, "lua"), os.path.join(snap, "lua"))
    LUARTC = os.path.join(snap, "build", "luartc")
    import atexit
    atexit.register(shutil.rmtree, snap, True)

ALL_IMPLS = ["luartc", "aiortc", "libwebrtc", "libdatachannel"]
# Before/after in one run: BENCH_LUARTC_BASE=<dir>/build/luartc (another build, with its
# lua/ beside build/, e.g. a worktree of main) is measured too, as "luartc-base".
LUARTC_BASE = os.environ.get("BENCH_LUARTC_BASE")
if LUARTC_BASE:
    ALL_IMPLS.insert(1, "luartc-base")
SINGLE_LOOP = {"luartc", "luartc-base", "aiortc"}  # one thread: saturated at one core

# B1: rounds x connections per round; B2: rounds, bytes, cap; B3: rounds; B4: steps.
CFG = {
    "B1": {"rounds": 5 if not QUICK else 2, "per_round": 10},
    "B2": {"rounds": 3 if not QUICK else 1, "bytes": (256 if not QUICK else 32) * MIB,
           "cap_s": 20 if not QUICK else 10},
    "B3": {"rounds": 3 if not QUICK else 1, "pairs": 100},
    # not 10,000: 20,000 pcs need more sockets than the open-file limit (20,000 here), and
    # setup costs more per pair as pairs grow (bench/README.md, B4): 5,000 already takes minutes
    "B4": {"steps": [100, 500, 1000, 2000, 3000, 5000] if not QUICK else [100, 500], "cap_s": 60,
           "steady_s": 5 if not QUICK else 3,
           # aiortc saturates early: do not go past this many pairs
           "max_pairs": {"aiortc": 500}},
}


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def command(impl, mode):
    if mode == "B5":  # its own drivers (bench/b5.py)
        return b5.command(impl.replace("-base", ""), LUARTC if impl == "luartc" else LUARTC_BASE)
    if impl in ("luartc", "luartc-base"):
        return [LUARTC if impl == "luartc" else LUARTC_BASE,
                os.path.join(BENCH, "luartc_bench.lua"), mode]
    if impl == "aiortc":
        return ["/usr/bin/python3", os.path.join(BENCH, "aiortc_bench.py"), mode]
    return ["node", "--expose-gc", os.path.join(BENCH, "node_bench.js"), impl, mode]


def run_one(impl, mode, env, timeout):
    e = dict(os.environ)
    e.update({k: str(v) for k, v in env.items()})
    if impl in ("luartc", "luartc-base"):
        e.setdefault("LUARTC_GATHER_ADDRESSES", "127.0.0.1")
    t0 = time.monotonic()
    try:
        p = subprocess.run(command(impl, mode), cwd=ROOT, env=e, capture_output=True,
                           text=True, timeout=timeout)
    except subprocess.TimeoutExpired as x:
        err = (x.stderr or b"")
        if isinstance(err, bytes):
            err = err.decode(errors="replace")
        return {"error": "timeout after %ds" % timeout, "stderr": err[-2000:]}
    except OSError as x:
        return {"error": str(x)}
    for line in reversed(p.stdout.splitlines()):
        if line.startswith("RESULT "):
            r = json.loads(line[7:])
            r["_wall_s"] = time.monotonic() - t0
            return r
    why = "exit %d, no RESULT" % p.returncode
    if "Too many open files" in (p.stderr or ""):
        why += " (too many open files)"
    return {"error": why,
            "stderr": (p.stderr or "")[-2000:] + (p.stdout or "")[-500:]}


def available(impls):
    ok = []
    for impl in impls:
        if impl == "luartc" and not os.access(LUARTC, os.X_OK):
            log("luartc: %s not built, skipped" % LUARTC)
            continue
        if impl == "luartc-base" and not (LUARTC_BASE and os.access(LUARTC_BASE, os.X_OK)):
            log("luartc-base: BENCH_LUARTC_BASE not set or not executable, skipped")
            continue
        if impl in ("libwebrtc", "libdatachannel"):
            mod = {"libwebrtc": "@roamhq/wrtc", "libdatachannel": "node-datachannel"}[impl]
            if not os.path.isdir(os.path.join(BENCH, "node_modules", mod)):
                log("%s: bench/node_modules/%s missing, skipped" % (impl, mod))
                continue
        ok.append(impl)
    return ok


class Report:
    def __init__(self):
        self.rows = []  # (bench, impl, unit, values, extra, version, better)
        self.notes = []

    def add(self, bench, impl, unit, values, version, better, extra=None, rounds=None):
        self.rows.append({"bench": bench, "impl": impl, "unit": unit, "values": values,
                          "version": version, "better": better, "extra": extra or {},
                          "rounds": rounds if rounds is not None else len(values)})

    def jsonl(self):
        if os.environ.get("BENCH_NO_JSONL") == "1":
            return
        with open(os.path.join(BENCH, "results.jsonl"), "a") as f:
            for r in self.rows:
                if not r["values"]:
                    continue
                line = {"name": r["bench"], "implementation": r["impl"],
                        "version": r["version"], "unit": r["unit"],
                        "median": round(statistics.median(r["values"]), 3),
                        "min": round(min(r["values"]), 3), "max": round(max(r["values"]), 3),
                        "rounds": r["rounds"], "cores": CORES,
                        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
                if QUICK:
                    line["quick"] = True
                line["loopback_netns"] = os.environ.get("BENCH_NETNS") == "1"
                if r["impl"] == "luartc" and BUILD_ID:
                    line["build"] = BUILD_ID
                line.update(r["extra"])
                f.write(json.dumps(line) + "\n")

    def table(self):
        out = []
        hdr = "%-4s %-15s %-9s %-7s %10s %10s %10s %6s  %-22s %s" % (
            "", "implementation", "version", "unit", "median", "min", "max", "rounds",
            "luartc/peer", "notes")
        out.append(hdr)
        out.append("-" * len(hdr))
        by_bench = {}
        for r in self.rows:
            by_bench.setdefault(r["bench"], []).append(r)
        for bench in ["B1", "B2a", "B2b", "B3", "B4", "B5", "B6"]:
            rows = by_bench.get(bench, [])
            lua = next((r for r in rows if r["impl"] == "luartc" and r["values"]), None)
            for r in rows:
                v = r["values"]
                if not v:
                    out.append("%-4s %-15s %-9s %-7s %10s %10s %10s %6s  %-22s %s" % (
                        bench, r["impl"], r["version"] or "", r["unit"], "-", "-", "-", "-",
                        "", r["extra"].get("note", "")))
                    continue
                med = statistics.median(v)
                ratio = ""
                if lua and r["impl"] != "luartc" and med:
                    q = statistics.median(lua["values"]) / med
                    good = (q < 1) if r["better"] == "lower" else (q > 1)
                    ratio = "%.2fx (%s)" % (q, "same" if abs(q - 1) < 0.005 else
                                            "luartc better" if good else "peer better")
                notes = " ".join("%s=%s" % (k, fmt(x)) for k, x in r["extra"].items())
                out.append("%-4s %-15s %-9s %-7s %10s %10s %10s %6d  %-22s %s" % (
                    bench, r["impl"], (r["version"] or "")[:9], r["unit"], fmt(med),
                    fmt(min(v)), fmt(max(v)), r["rounds"], ratio, notes))
        out.append("")
        out.append("luartc/peer = luartc median / peer median (B1, B3: lower is better;"
                   " B2, B4, B5, B6: higher is better). cores=%d%s" % (CORES, ", QUICK" if QUICK else ""))
        if os.environ.get("BENCH_NETNS") == "1":
            out.append("network: a namespace with only lo (every implementation on loopback)")
        else:
            out.append("network: host (libwebrtc gathers on every interface; only its UDP"
                       " 127.0.0.1 candidate is passed on)")
        if BUILD_ID:
            out.append("luartc build: %s" % BUILD_ID)
        out.append("open-file limit: %s" % subprocess.run(
            ["bash", "-c", "ulimit -n"], capture_output=True, text=True).stdout.strip())
        out.extend(self.notes)
        return "\n".join(out)


def fmt(x):
    if isinstance(x, float):
        if abs(x) >= 100:
            return "%.0f" % x
        if abs(x) >= 10:
            return "%.1f" % x
        return "%.2f" % x
    if isinstance(x, list):
        return "[" + ",".join(fmt(y) for y in x) + "]"
    return str(x)


def failed(fails, impl):
    """A failed round is logged and counted; the second one drops the implementation
    from the rest of that benchmark."""
    fails[impl] = fails.get(impl, 0) + 1
    return fails[impl] >= 2


def err_row(rep, bench, impl, unit, better, msg):
    rep.add(bench, impl, unit, [], None, better, {"note": msg})


def bench_b1(rep, impls):
    c = CFG["B1"]
    samples = {i: [] for i in impls}
    cpu = {i: [] for i in impls}
    ver, errs, fails = {}, {}, {}
    for rnd in range(c["rounds"]):
        for impl in impls:
            if impl in errs:
                continue
            r = run_one(impl, "B1", {"BENCH_N": c["per_round"]}, 180)
            if "error" in r:
                log("B1 %s: %s\n%s" % (impl, r["error"], r.get("stderr", "")))
                if failed(fails, impl):
                    errs[impl] = r["error"]
                continue
            samples[impl] += r["samples_ms"]
            cpu[impl].append(r["cpu_ms_per_conn"])
            ver[impl] = r.get("version")
            log("B1 round %d %s: median %.2f ms, cpu %.2f ms/conn" % (
                rnd + 1, impl, statistics.median(r["samples_ms"]), r["cpu_ms_per_conn"]))
    for impl in impls:
        if samples[impl]:
            rep.add("B1", impl, "ms", samples[impl], ver[impl], "lower",
                    dict({"cpu_ms_per_conn": round(statistics.median(cpu[impl]), 3)},
                         **({"failed_rounds": fails[impl]} if impl in fails else {})))
        else:
            err_row(rep, "B1", impl, "ms", "lower", errs.get(impl, "no result"))


def bench_b2(rep, impls, name):
    c = CFG["B2"]
    vals = {i: [] for i in impls}
    cpu = {i: [] for i in impls}  # B2a: process CPU ms per MB received (both peers)
    ver, errs, capped, fails = {}, {}, {}, {}
    for rnd in range(c["rounds"]):
        for impl in impls:
            if impl in errs:
                continue
            r = run_one(impl, name, {"BENCH_BYTES": c["bytes"], "BENCH_CAP_S": c["cap_s"]},
                        c["cap_s"] + 40)
            if "error" in r:
                log("%s %s: %s\n%s" % (name, impl, r["error"], r.get("stderr", "")))
                if failed(fails, impl):
                    errs[impl] = r["error"]
                continue
            vals[impl].append(r["mbps"])
            if r.get("cpu_ms_per_mb") is not None:
                cpu[impl].append(r["cpu_ms_per_mb"])
            ver[impl] = r.get("version")
            if r.get("capped"):
                capped[impl] = True
            log("%s round %d %s: %.1f MB/s (%d bytes in %.1f s%s)" % (
                name, rnd + 1, impl, r["mbps"], r["bytes"], r["seconds"],
                ", capped" if r.get("capped") else ""))
    for impl in impls:
        if vals[impl]:
            extra = {"bytes_per_round": c["bytes"]}
            if cpu[impl]:
                extra["cpu_ms_per_mb"] = round(statistics.median(cpu[impl]), 2)
            if capped.get(impl):
                extra["capped_s"] = c["cap_s"]
            if impl in fails:
                extra["failed_rounds"] = fails[impl]
            rep.add(name, impl, "MB/s", vals[impl], ver[impl], "higher", extra)
        else:
            err_row(rep, name, impl, "MB/s", "higher", errs.get(impl, "no result"))


def bench_b3(rep, impls):
    c = CFG["B3"]
    vals = {i: [] for i in impls}
    setup = {i: [] for i in impls}
    ver, errs, fails = {}, {}, {}
    for rnd in range(c["rounds"]):
        for impl in impls:
            if impl in errs:
                continue
            r = run_one(impl, "B3", {"BENCH_N": c["pairs"], "BENCH_CAP_S": 120}, 200)
            if "error" in r or not r.get("ok"):
                why = r.get("error") or "only %s pairs up" % r.get("pairs")
                log("B3 %s: %s\n%s" % (impl, why, r.get("stderr", "")))
                if failed(fails, impl):
                    errs[impl] = why
                continue
            vals[impl].append(r["kib_per_pc"])
            setup[impl].append(r["setup_ms"])
            ver[impl] = r.get("version")
            log("B3 round %d %s: %.1f KiB/pc, %d pairs up in %.0f ms" % (
                rnd + 1, impl, r["kib_per_pc"], r["pairs"], r["setup_ms"]))
    for impl in impls:
        if vals[impl]:
            rep.add("B3", impl, "KiB/pc", vals[impl], ver[impl], "lower",
                    {"setup_ms_100_pairs": round(statistics.median(setup[impl]), 1)})
        else:
            err_row(rep, "B3", impl, "KiB/pc", "lower", errs.get(impl, "no result"))


def bench_b4(rep, impls):
    c = CFG["B4"]
    best = {i: 0 for i in impls}
    steps = {i: [] for i in impls}
    stopped, ver = {}, {}
    for n in c["steps"]:
        for impl in impls:
            if impl in stopped:
                continue
            if n > c["max_pairs"].get(impl, 1 << 30):
                stopped[impl] = "steps capped at %d" % c["max_pairs"][impl]
                continue
            # the setup cap grows past 600 pairs (100 ms a pair); luartc without ICE-TCP
            # (one socket per pc instead of three or more: the open-file limit)
            cap = max(c["cap_s"], int(n * 0.1))
            r = run_one(impl, "B4", {"BENCH_N": n, "BENCH_CAP_S": cap, "BENCH_ICE_TCP": 0,
                                     "BENCH_STEADY_S": c["steady_s"], "BENCH_PARALLEL": 20},
                        cap + c["steady_s"] + 60)
            if "error" in r:
                stopped[impl] = "%d pairs: %s" % (n, r["error"])
                log("B4 %s %d: %s\n%s" % (impl, n, r["error"], r.get("stderr", "")))
                continue
            ver[impl] = r.get("version")
            limit = 90.0 * (1 if impl in SINGLE_LOOP else CORES)
            step = {"pairs": n, "up": r.get("pairs"), "setup_ms": round(r.get("setup_ms", 0)),
                    "rss_mib": round(r.get("rss_kib", 0) / 1024, 1), "marks": r.get("marks")}
            if r.get("ok"):
                step["cpu_pct"] = round(r["cpu_pct"], 1)
                step["delivered"] = round(r["delivered"], 3)
            steps[impl].append(step)
            log("B4 %s %d pairs: %s" % (impl, n, json.dumps(step)))
            if not r.get("ok"):
                stopped[impl] = "%d pairs: %s" % (n, r.get("reason", "setup failed"))
            elif r["delivered"] < 0.9:
                stopped[impl] = "%d pairs: only %.0f%% of the messages delivered" % (
                    n, r["delivered"] * 100)
            elif r["cpu_pct"] >= limit:
                stopped[impl] = "%d pairs: CPU %.0f%% (saturated)" % (n, r["cpu_pct"])
            else:
                best[impl] = n
    for impl in impls:
        extra = {"steps": [s["pairs"] for s in steps[impl]],
                 "setup_ms": [s["setup_ms"] for s in steps[impl]],
                 "rss_mib": [s["rss_mib"] for s in steps[impl]],
                 "cpu_pct": [s.get("cpu_pct") for s in steps[impl]],
                 "delivered": [s.get("delivered") for s in steps[impl]],
                 "stopped": stopped.get(impl, "largest step passed")}
        if steps[impl]:
            rep.add("B4", impl, "pairs", [float(best[impl])], ver.get(impl), "higher", extra,
                    rounds=1)
        else:
            err_row(rep, "B4", impl, "pairs", "higher", stopped.get(impl, "no result"))


def main():
    which = sys.argv[1] if len(sys.argv) > 1 and sys.argv[1] else "all"
    impls = os.environ.get("BENCH_IMPLS", ",".join(ALL_IMPLS)).split(",")
    impls = available([i for i in impls if i])
    if "luartc" in impls:
        snapshot_luartc()
    if not impls:
        log("no implementation available")
        return 1
    log("implementations: %s; cores %d%s" % (", ".join(impls), CORES, "; QUICK" if QUICK else ""))
    rep = Report()
    t0 = time.monotonic()
    names = ["B1", "B2a", "B2b", "B3", "B4", "B5", "B6"] if which == "all" else [which]
    for name in names:
        log("== %s" % name)
        if name == "B1":
            bench_b1(rep, impls)
        elif name in ("B2a", "B2b"):
            bench_b2(rep, impls, name)
        elif name == "B3":
            bench_b3(rep, impls)
        elif name == "B4":
            bench_b4(rep, impls)
        elif name == "B5":
            b5.bench_b5(rep, impls, run_one, QUICK, log)
        elif name == "B6":
            if "luartc" in impls:
                b6.bench_b6(rep, impls, LUARTC, QUICK, log)
            else:
                log("B6: needs luartc (its publishers are luartc processes)")
        else:
            log("unknown benchmark %s (B1 B2a B2b B3 B4 B5 B6)" % name)
            return 2
    rep.jsonl()
    print(rep.table())
    print("total time %.0f s" % (time.monotonic() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
