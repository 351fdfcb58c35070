#!/usr/bin/env python3
"""Writes the seed corpora tests/fuzz/corpus/<target>/ from real captures.

Sources (nothing invented where a capture exists):
  - SDP: tests/fixtures/sdp (Chromium, Firefox, aiortc, GStreamer, pion... offers/answers)
  - RTP: tests/fixtures/rtp/*.rtp (GStreamer and ffmpeg payloaders, RFC 4571 framing)
  - media files: tests/fixtures/media
  - STUN/TURN: the RFC 5769 vectors and coturn replies in tests/unit/{stun,turn_stun}_test.c
    and tests/unit/coturn_dual_captures.h (IPv6 and dual allocations)
  - DCEP: the Chromium DATA_CHANNEL_OPEN in tests/unit/sctp_dcep_test.c
  - RTCP: the compound in tests/unit/rtp_rtcp_test.c plus one packet of every type we
    parse (RFC 3550 / 4585 / 5104 / draft-holmer TWCC / REMB), built here after the RFC figures.
Run from the repository root: python3 tests/fuzz/make_seeds.py (idempotent)."""
import glob, os, re, struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
os.chdir(ROOT)
OUT = "tests/fuzz/corpus"


def put(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def c_array(path, name):
    """The bytes of `static const uint8_t name[] = {...};` in a C test file."""
    src = open(path).read()
    m = re.search(r"\b" + re.escape(name) + r"\[\]\s*=\s*\{(.*?)\};", src, re.S)
    body = re.sub(r"/\*.*?\*/", "", m.group(1), flags=re.S)
    out = bytearray()
    for tok in body.replace("\n", " ").split(","):
        tok = tok.strip()
        if not tok:
            continue
        out.append(ord(tok[1]) if tok.startswith("'") else int(tok, 0))
    return bytes(out)


def rtp_packets(path):
    b = open(path, "rb").read()
    pos, out = 0, []
    while pos + 2 <= len(b):
        n = struct.unpack(">H", b[pos:pos + 2])[0]
        out.append(b[pos + 2:pos + 2 + n])
        pos += 2 + n
    return out


def pref2(pkts):
    return b"".join(struct.pack(">H", len(p)) + p for p in pkts)


# --- SDP
for f in sorted(glob.glob("tests/fixtures/sdp/*.sdp")):
    data = open(f, "rb").read()
    for t in ("fuzz_sdp", "fuzz_sdp_media"):
        put(t, os.path.basename(f), data)
    for line in data.split(b"\n"):
        if line.startswith(b"a=candidate:"):
            put("fuzz_ice_candidate", os.path.basename(f) + ".cand", line[2:].strip())
            break

# --- RTCP: one of every packet type
ssrc, media = 0x11223344, 0xAABBCCDD
rb = struct.pack(">IIIIII", media, 0x19FFFFFE, 0x00010010, 42, 0x3C104000, 0x00010000)
sr = struct.pack(">BBH", 0x81, 200, 12) + struct.pack(">IIIIII", ssrc, 0xE89A3C10, 0x80000000, 90000, 100, 100000) + rb
rr = struct.pack(">BBH", 0x81, 201, 7) + struct.pack(">I", ssrc) + rb
cname = b"user@example.com"
sdes_body = struct.pack(">I", ssrc) + bytes([1, len(cname)]) + cname + b"\0\0"
sdes = struct.pack(">BBH", 0x81, 202, len(sdes_body) // 4) + sdes_body
bye = struct.pack(">BBH", 0x81, 203, 1) + struct.pack(">I", ssrc)
app = struct.pack(">BBH", 0x80, 204, 3) + struct.pack(">I", ssrc) + b"name" + b"data"
nack = struct.pack(">BBH", 0x81, 205, 3) + struct.pack(">IIHH", ssrc, media, 1000, 0x0005)
pli = struct.pack(">BBH", 0x81, 206, 2) + struct.pack(">II", ssrc, media)
fir = struct.pack(">BBH", 0x84, 206, 4) + struct.pack(">III", ssrc, 0, media) + bytes([7, 0, 0, 0])
remb = struct.pack(">BBH", 0x8F, 206, 5) + struct.pack(">II", ssrc, 0) + b"REMB" + bytes([1, 0x0A, 0x20, 0x00]) + struct.pack(">I", media)
# TWCC (draft-holmer-rmcat-transport-wide-cc-extensions-01 3.1): base seq 10, 3 packets,
# one run-length chunk "small delta" x3, deltas 1, 2, 3 (x250 us)
tw = struct.pack(">IIHHIB", ssrc, media, 10, 3, 0x000100, 0) + struct.pack(">H", 0x2003) + bytes([4, 8, 12]) + b"\0"
twcc = struct.pack(">BBH", 0x8F, 205, len(tw) // 4) + tw
rtcp = {"sr": sr, "rr": rr, "sdes": sdes, "bye": bye, "app": app, "nack": nack, "pli": pli,
        "fir": fir, "remb": remb, "twcc": twcc,
        "compound": c_array("tests/unit/rtp_rtcp_test.c", "compound")}
for k, v in rtcp.items():
    put("fuzz_rtp", "rtcp-" + k, v)

# --- RTP captures
caps = {os.path.basename(f)[:-4]: rtp_packets(f) for f in sorted(glob.glob("tests/fixtures/rtp/*.rtp"))}
for name, pkts in caps.items():
    for i in (0, 1, len(pkts) // 2, len(pkts) - 1):
        put("fuzz_rtp", "%s-%d" % (name, i), pkts[i])
    put("fuzz_rtp_recv", name, pref2(pkts[:20]))
    # fuzz_rtp_depay: [codec byte][len][flags][payload]... (len is one byte: packets cut)
    codec = {"vp8": 0, "vp9": 1, "h264": 3, "opus": 4}[name.split("-")[0]]
    seq = bytearray([codec])
    for p in pkts[:12]:
        cc = p[0] & 0x0F
        pay = p[12 + 4 * cc:][:255]
        seq += bytes([len(pay), (1 if p[1] & 0x80 else 0) | 4]) + pay
    put("fuzz_rtp_depay", name, bytes(seq))
    # fuzz_pc_media: [bit0 = rtcp][len16][bytes]
    put("fuzz_pc_media", name, b"".join(b"\0" + struct.pack(">H", len(p)) + p for p in pkts[:16])
        + b"\1" + struct.pack(">H", len(sr + sdes)) + sr + sdes
        + b"\1" + struct.pack(">H", len(nack)) + nack + b"\1" + struct.pack(">H", len(pli)) + pli)

# --- media files
for f in sorted(glob.glob("tests/fixtures/media/*")):
    ext = {"h264": "fuzz_media_h264", "ivf": "fuzz_media_ivf", "ogg": "fuzz_media_ogg"}[f.rsplit(".", 1)[1]]
    put(ext, os.path.basename(f), open(f, "rb").read())

# --- STUN / TURN
stun = {n: c_array("tests/unit/stun_test.c", n) for n in ("req", "resp4", "resp6")}
turn = {n: c_array("tests/unit/turn_stun_test.c", n) for n in ("coturn_401", "allocate_auth", "coturn_allocated")}
for k, v in list(stun.items()) + list(turn.items()):
    put("fuzz_stun", k, v)
put("fuzz_turn", "coturn", b"turn:192.0.2.2:3478?transport=udp\0" + pref2([turn["coturn_401"], turn["coturn_allocated"], stun["resp4"]]))
dual = {n: c_array("tests/unit/coturn_dual_captures.h", n)
        for n in ("coturn_dual_v4", "coturn_dual_v6", "coturn_dual_no_v6", "coturn_dual_no_v4", "coturn_440")}
for k, v in dual.items():
    put("fuzz_stun", k, v)
    # the length picks the client's family (size % 3): pad to ask for both (2)
    # alone, it answers the first (unauthenticated) Allocate; after the 401, the second
    for name, seq in ((k, [v]), (k + "-after-401", [turn["coturn_401"], v])):
        seed = b"turn:[2001:db8::2]:3478\0" + pref2(seq)
        put("fuzz_turn", name, seed + b"\0" * ((2 - len(seed) % 3) % 3))
put("fuzz_turn", "stun", b"stun:192.0.2.1\0" + pref2([stun["resp4"], stun["resp6"]]))
put("fuzz_pc_input", "stun", pref2([stun["req"], stun["resp4"]]))

# --- DCEP
dcep_open = c_array("tests/unit/sctp_dcep_test.c", "open_rexmit_unordered")
put("fuzz_dcep", "open-chromium", dcep_open)
put("fuzz_dcep", "ack", b"\x02")

# --- fuzz_record_mp4: the fixture clips' SPS and VP9 keyframe header (byte 0 odd: the
# parsers), and their first frames as records [track, step ms, key, len, bytes] (byte 0 even:
# the muxer; frames cut at 255 bytes)
h264 = open("tests/fixtures/media/h264.h264", "rb").read()
sps_at = h264.find(b"\x00\x00\x01\x67") + 3
put("fuzz_record_mp4", "sps", b"\x01" + h264[sps_at:h264.find(b"\x00\x00\x01", sps_at)])
ivf = open("tests/fixtures/media/vp9.ivf", "rb").read()
vp9_key = ivf[32 + 12:32 + 12 + struct.unpack("<I", ivf[32:36])[0]]
put("fuzz_record_mp4", "vp9-key", b"\x01" + vp9_key[:64])
recs = b"\x00"
aus = [b"\x00\x00\x00\x01" + a for a in h264.split(b"\x00\x00\x00\x01") if a][:12]
for i, au in enumerate(aus):
    recs += bytes([1, 33, 1 if i == 0 else 0, min(len(au), 255)]) + au[:255]
    recs += bytes([3, 20, 1, 3]) + b"\xfc\xff\xfe"  # an Opus packet: 20 ms SILK
recs += bytes([2, 0, 1, 64]) + vp9_key[:64]
put("fuzz_record_mp4", "h264-opus-vp9", recs)
ivf = open("tests/fixtures/media/av1.ivf", "rb").read()
av1_tus, at = [], 32
while at + 12 <= len(ivf) and len(av1_tus) < 8:
    n = struct.unpack("<I", ivf[at:at + 4])[0]
    av1_tus.append(ivf[at + 12:at + 12 + n])
    at += 12 + n
put("fuzz_record_mp4", "av1-key", b"\x01" + av1_tus[0])
put("fuzz_record_mp4", "av1", b"\x00" + b"".join(
    bytes([4, 33, 1 if i == 0 else 0, min(len(tu), 255)]) + tu[:255] for i, tu in enumerate(av1_tus)))

# --- fuzz_pc_session: the datagrams of a real session (B to A: DTLS records carrying
# SCTP, SRTP VP8/Opus, SRTCP, STUN consent checks) and the plaintext B handed its DTLS
# and SRTP, captured by the target itself from its fixed session, then merged by
# libFuzzer to the inputs that add coverage. Needs the fuzz build (make fuzz
# FUZZ_SECONDS=0 FUZZ_ONLY=pc_session); skipped without it.
import shutil, subprocess, tempfile
fuzz_bin = "build-fuzz/fuzz/fuzz_pc_session"
if os.path.exists(fuzz_bin):
    tmp = tempfile.mkdtemp(prefix="luartc-seeds-")
    subprocess.run([fuzz_bin, "-runs=0"], env=dict(os.environ, FUZZ_PC_SESSION_SEEDS=tmp), check=True)
    # the whole capture in order, as one input per kind, then merged
    for kind in "dsrc":
        names = sorted(n for n in os.listdir(tmp) if n[0] == kind)
        with open(os.path.join(tmp, "all-" + kind), "wb") as out:
            for n in names[:40]:  # long inputs run slowly: a 12 s session is ~700 ops
                out.write(open(os.path.join(tmp, n), "rb").read())
    d = os.path.join(OUT, "fuzz_pc_session")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    subprocess.run([fuzz_bin, "-merge=1", d, tmp], check=True, stderr=subprocess.DEVNULL)
    shutil.rmtree(tmp)
else:
    print("make_seeds: no %s, fuzz_pc_session's corpus left as it is" % fuzz_bin)
