#!/usr/bin/env bash
# Builds every libFuzzer target (tests/fuzz/fuzz_*.c) with clang against the whole
# runtime, and runs each for FUZZ_SECONDS (default 30) on its seed corpus:
#   make fuzz                 build + run all
#   FUZZ_SECONDS=300 make fuzz
set -e
cd "$(dirname "$0")/../.."
OUT=build/fuzz
mkdir -p "$OUT"
SECS=${FUZZ_SECONDS:-30}
CFLAGS="-g -O1 -fsanitize=fuzzer,address,undefined -std=gnu11 -Iruntime"
LIBS="-lmbedtls -lmbedx509 -lmbedcrypto -lcrypto -lusrsctp -lsrtp2 -logg -luv -lm"
SRC=$(ls runtime/*/*.c)
for f in tests/fuzz/fuzz_*.c; do
  name=$(basename "$f" .c)
  echo "== $name"
  clang $CFLAGS -o "$OUT/$name" "$f" $SRC $LIBS
  corpus="$OUT/corpus-$name"
  mkdir -p "$corpus"
  seeds=""
  case "$name" in fuzz_sdp*) seeds=tests/fixtures/sdp ;; esac
  case "$name" in fuzz_rtp*) seeds=tests/fixtures/rtp ;; esac
  case "$name" in fuzz_media_*) seeds=tests/fixtures/media ;; esac
  "$OUT/$name" -max_total_time="$SECS" -print_final_stats=0 "$corpus" $seeds 2>&1 | tail -2
done
