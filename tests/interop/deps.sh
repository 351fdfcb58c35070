#!/usr/bin/env bash
# Installs what the interop suite and the signaling suite's browser case need, when
# missing: Debian's chromium, python3-aiortc, GStreamer's webrtcbin and libnice with their
# Python bindings, Node, and playwright-core (package-lock.json) to drive Chromium.
# tests/interop/run.sh calls it, and tests/signaling/run.sh before it (its echo-bot test
# has a Chromium case, which a fresh machine skipped because the interop suite, later in
# make test, was the first to install Chromium).
HERE=$(cd "$(dirname "$0")" && pwd)
say() { echo "interop: $*" >&2; }
need_apt=
[ -x /usr/bin/chromium ] || need_apt="$need_apt chromium"
[ -x /usr/bin/firefox-esr ] || need_apt="$need_apt firefox-esr"
/usr/bin/python3 -c 'import aiortc' 2>/dev/null || need_apt="$need_apt python3-aiortc"
/usr/bin/python3 -c 'import gi; gi.require_version("GstWebRTC", "1.0")' 2>/dev/null \
  && [ -n "$(ls /usr/lib/*/gstreamer-1.0/libgstnice.so 2>/dev/null)" ] \
  || need_apt="$need_apt gstreamer1.0-plugins-bad gstreamer1.0-nice python3-gst-1.0 gir1.2-gst-plugins-bad-1.0"
command -v node >/dev/null || need_apt="$need_apt nodejs npm"
command -v ip >/dev/null || need_apt="$need_apt iproute2"
command -v ffmpeg >/dev/null || need_apt="$need_apt ffmpeg" # checks luartc's media recordings
if [ -n "$need_apt" ]; then
  say "installing$need_apt"
  if [ "$(id -u)" = 0 ]; then
    (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $need_apt) >/tmp/interop-apt.log 2>&1 \
      || say "apt-get failed, see /tmp/interop-apt.log"
  else
    say "not root: cannot apt-get install$need_apt"
  fi
fi
if [ ! -d "$HERE/node_modules/playwright-core" ] && command -v npm >/dev/null; then
  say "npm install (playwright-core)"
  (cd "$HERE" && timeout 300 npm ci --no-audit --no-fund --prefix "$HERE" >/tmp/interop-npm.log 2>&1) \
    || (cd "$HERE" && timeout 300 npm install --no-audit --no-fund --prefix "$HERE" >>/tmp/interop-npm.log 2>&1) \
    || say "npm install failed, see /tmp/interop-npm.log"
fi
