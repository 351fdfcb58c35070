#!/usr/bin/env bash
# luartc benchmarks (/work/shared/BENCH.md, bench/README.md).
#   bash bench/run.sh [B1|B2a|B2b|B3|B4|B5|B6]     (make bench [B=...]); empty = all
# Installs the peer implementations it compares against, then runs bench/bench.py.
set -e
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" != 0 ] && SUDO="sudo"

# aiortc: Debian's package, run with Debian's interpreter
if ! /usr/bin/python3 -c 'import aiortc' 2>/dev/null; then
  echo "bench: installing python3-aiortc" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-aiortc >/dev/null
fi

# B5: ffmpeg makes its 1 Mbps VP8 file (bench/b5.py; without it, the 190 kbps fixture)
if ! command -v ffmpeg >/dev/null 2>&1; then
  echo "bench: installing ffmpeg" >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends ffmpeg >/dev/null \
    || echo "bench: ffmpeg not installed: B5 uses the 190 kbps fixture" >&2
fi

# B6's second peer recorder: GStreamer's webrtcbin from Python (as tests/interop does)
if ! /usr/bin/python3 -c 'import gi; gi.require_version("GstWebRTC", "1.0")' 2>/dev/null \
   || ! command -v gst-inspect-1.0 >/dev/null || ! gst-inspect-1.0 webrtcbin >/dev/null 2>&1; then
  echo "bench: installing GStreamer (webrtcbin)" >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-nice python3-gst-1.0 \
    gir1.2-gst-plugins-bad-1.0 gstreamer1.0-tools >/dev/null || echo "bench: no GStreamer: B6 without it" >&2
fi

# libwebrtc (@roamhq/wrtc) and libdatachannel (node-datachannel): npm, pinned by
# bench/package-lock.json; their binaries ship inside the npm packages.
if ! command -v npm >/dev/null 2>&1; then
  echo "bench: installing nodejs and npm" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
if [ ! -d bench/node_modules/@roamhq/wrtc ] || [ ! -d bench/node_modules/node-datachannel ] \
   || [ bench/package-lock.json -nt bench/node_modules/.package-lock.json ]; then
  echo "bench: npm ci --prefix bench" >&2
  npm ci --prefix bench --no-audit --no-fund --loglevel=error >&2 \
    || echo "bench: npm install failed: libwebrtc and libdatachannel will be skipped" >&2
fi

# B4 holds thousands of sockets (libwebrtc gathers on every interface)
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# Loopback only, for every implementation: run in a fresh network namespace that has
# nothing but lo (libwebrtc has no option to gather on 127.0.0.1 only). Needs
# CAP_SYS_ADMIN (root); without it, run on the host network (BENCH_NO_NETNS=1 forces that).
if [ -z "$BENCH_NO_NETNS" ] && command -v unshare >/dev/null && command -v ip >/dev/null \
   && unshare -n true 2>/dev/null; then
  exec unshare -n bash -c 'ip link set lo up && BENCH_NETNS=1 exec /usr/bin/python3 bench/bench.py "$1"' bash "$1"
fi
exec /usr/bin/python3 bench/bench.py "$1"
