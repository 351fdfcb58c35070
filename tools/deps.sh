#!/usr/bin/env bash
# Installs the Debian 12 packages luartc needs that are missing (as root, apt-get).
# Why each one is there: see README.md, "Dependencies".
set -e
PKGS="build-essential pkg-config luajit libluajit-5.1-dev libuv1-dev libmbedtls-dev
libssl-dev libogg-dev libsrtp2-dev libusrsctp-dev lua-luv lua-luv-dev lua-cjson python3-aiortc iproute2 luarocks
coturn nftables iputils-ping clang libclang-rt-14-dev valgrind ffmpeg"
[ -n "$RTC_EXTRA_PKGS" ] && PKGS="$PKGS $RTC_EXTRA_PKGS"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
SUDO=""
[ "$(id -u)" != 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
