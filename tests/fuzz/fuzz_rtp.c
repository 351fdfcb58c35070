// libFuzzer target for the RTP header codec and the RTCP parsers: whatever parses must
// write back to the same bytes (RTP) and expand within its bounds (RTCP NACK/TWCC).
//
// Build (from the repository root):
//   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=gnu11 -Iruntime -o fuzz_rtp \
//     tests/fuzz/fuzz_rtp.c runtime/base/*.c runtime/rtp/*.c -lm
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rtp/rtc_rtcp.h"
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
  /* The same bytes as an RTCP compound. */
  rtc_rtcp_iter_t it = {.p = data, .len = size};
  const uint8_t *pkt;
  size_t plen;
  while (rtc_rtcp_iter_next(&it, &pkt, &plen) == 1) {
    if (pkt < data || pkt + plen > data + size) abort();
    static rtc_rtcp_msg_t m;
    if (rtc_rtcp_parse(pkt, plen, &m) != 0) continue;
    static uint8_t out[2048];
    static uint16_t seqs[64];
    static rtc_rtcp_twcc_pkt_t tw[128];
    static rtc_rtcp_msg_t m2;
    int n;
    switch (m.kind) {
    case RTC_RTCP_KIND_SR:
      n = rtc_rtcp_write_sr(out, sizeof out, &m.u.sr);
      if (n < 0 || rtc_rtcp_parse(out, (size_t)n, &m2) != 0 || m2.u.sr.ntp != m.u.sr.ntp ||
          memcmp(&m2.u.sr.rb, &m.u.sr.rb, sizeof(rtc_rtcp_rb_t) * m.u.sr.rb_count) != 0)
        abort();
      break;
    case RTC_RTCP_KIND_RR:
      n = rtc_rtcp_write_rr(out, sizeof out, &m.u.rr);
      if (n < 0 || rtc_rtcp_parse(out, (size_t)n, &m2) != 0 || m2.u.rr.rb_count != m.u.rr.rb_count)
        abort();
      break;
    case RTC_RTCP_KIND_NACK: {
      size_t k = rtc_rtcp_nack_expand(&m.u.nack, seqs, 64);
      if (k > 17 * m.u.nack.n_fci) abort();
      if (k > 0 && k <= 64 && rtc_rtcp_write_nack(out, sizeof out, 1, 2, seqs, k) < 0) abort();
      break;
    }
    case RTC_RTCP_KIND_TWCC:
      if (rtc_rtcp_twcc_expand(&m.u.twcc, tw, 128) > 128) abort();
      break;
    case RTC_RTCP_KIND_SDES:
      for (int i = 0; i < m.u.sdes.count; i++)
        if (m.u.sdes.chunk[i].cname &&
            m.u.sdes.chunk[i].cname + m.u.sdes.chunk[i].cname_len > data + size)
          abort();
      break;
    default: break;
    }
  }
  return 0;
}
