#!/bin/sh
# build/luartc with libsrtp2's own crypto (NSS in Debian) instead of ours, for a before/after
# in one run: BENCH_LUARTC_BASE=$PWD/bench/luartc_nss.sh make bench B=B5
RTC_SRTP_NATIVE=0 exec "$(dirname "$0")/../build/luartc" "$@"
