// libFuzzer target for the receive and send sides: a byte-driven stream of packets
// (sequence numbers, timestamps, markers, RTX, time steps chosen by the fuzzer) through
// rtc_rtp_recv with every poll call in between, and NACKs answered from an rtc_rtp_send
// history. Nothing may crash, read out of bounds, or break the bounds the headers state.
//
// Build (from the repository root):
//   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=gnu11 -Iruntime -o fuzz_rtp_recv \
//     tests/fuzz/fuzz_rtp_recv.c runtime/base/*.c runtime/rtp/*.c -lm
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/rtc_time.h"
#include "rtp/rtc_rtp_recv.h"
#include "rtp/rtc_rtp_send.h"
#include "rtp/rtc_rtp_twcc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  rtc_rtp_codec_t codec = (rtc_rtp_codec_t)(1 + data[0] % 7);
  rtc_rtp_recv_config_t rc = {.ssrc = 1,
                              .codec = codec,
                              .nack = data[1] & 1,
                              .has_rtx = true,
                              .rtx_ssrc = 2,
                              .rtx_pt = 97,
                              .reorder_slots = 64,
                              .max_packet = 300,
                              .max_frame = 4096,
                              .nack_max_retries = (uint32_t)(data[1] >> 4)};
  rtc_rtp_recv_t *r = rtc_rtp_recv_create(&rc);
  rtc_rtp_send_config_t sc = {.ssrc = 1,
                              .pt = 96,
                              .clock_rate = 90000,
                              .has_rtx = true,
                              .rtx_ssrc = 2,
                              .rtx_pt = 97,
                              .history_slots = 32,
                              .max_packet = 400};
  rtc_rtp_send_t *s = rtc_rtp_send_create(&sc);
  rtc_rtp_twcc_t *tw = rtc_rtp_twcc_create(128);
  if (!r || !s || !tw) abort();
  uint64_t now = 1000000;
  uint32_t ts = 0;
  static uint8_t pkt[512];
  for (size_t off = 2; off + 4 <= size;) {
    uint8_t op = data[off];
    uint16_t seq = (uint16_t)(data[off + 1] << 8 | data[off + 2]);
    size_t len = data[off + 3];
    off += 4;
    if (len > size - off) len = size - off;
    now += (uint64_t)(op >> 4) * RTC_MS(7);
    if (op & 2) ts += 3000;
    rtc_rtp_header_t h = {.marker = op & 1,
                          .ts = ts,
                          .seq = seq,
                          .ssrc = (op & 4) ? 2 : 1,
                          .pt = 96,
                          .payload = data + off,
                          .payload_len = len};
    (void)rtc_rtp_recv_handle_packet(r, now, &h);
    /* the sequence number as a transport-wide one; feedback parses back */
    rtc_rtp_twcc_record(tw, now, seq);
    if (op & 0x10) {
      static uint8_t fb[4096];
      static rtc_rtcp_twcc_pkt_t tp[1100];
      int k = rtc_rtp_twcc_write_feedback(tw, fb, sizeof fb, 1, 2);
      rtc_rtcp_msg_t m;
      if (k > 0 &&
          (rtc_rtcp_parse(fb, (size_t)k, &m) != 0 || m.kind != RTC_RTCP_KIND_TWCC ||
           rtc_rtcp_twcc_expand(&m.u.twcc, tp, 1100) != m.u.twcc.status_count || !tp[0].received))
        abort();
    }
    /* the same payload through the sender, to have history to answer NACKs from */
    rtc_rtp_header_t sh = {.ts = ts, .marker = op & 1};
    (void)rtc_rtp_send_packet(s, now, &sh, data + off, len, pkt, sizeof pkt);
    off += len;
    if (op & 8) rtc_rtp_recv_handle_timeout(r, now);
    rtc_rtp_frame_t f;
    while (rtc_rtp_recv_poll_frame(r, &f))
      if (f.len > 4096) abort();
    uint16_t seqs[8];
    size_t n = rtc_rtp_recv_poll_nack(r, now, seqs, 8);
    if (n > 8) abort();
    for (size_t i = 0; i < n; i++) {
      int k = rtc_rtp_send_rtx(s, now, seqs[i], pkt, sizeof pkt);
      if (k > (int)sizeof pkt) abort();
    }
    (void)rtc_rtp_recv_poll_keyframe_request(r, now);
    uint64_t t = rtc_rtp_recv_poll_timeout(r);
    (void)t;
    rtc_rtcp_rb_t rb;
    if (rtc_rtp_recv_report_block(r, now, &rb) && rb.ssrc != 1) abort();
    rtc_rtcp_sr_t sr;
    if (rtc_rtp_send_sr(s, now, now << 12, &sr)) {
      (void)rtc_rtp_recv_handle_sr(r, now, &sr);
      (void)rtc_rtp_send_handle_report_block(s, now, &rb);
    }
  }
  rtc_rtp_recv_destroy(r);
  rtc_rtp_send_destroy(s);
  rtc_rtp_twcc_destroy(tw);
  return 0;
}
