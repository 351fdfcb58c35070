// libFuzzer target for RFC 4733 telephone-events on the receive side: a byte-driven
// stream of event payloads (timestamps, sequence numbers, time steps chosen by the
// fuzzer) read by rtc_rtp_dtmf_parse and reported by rtc_rtp_dtmf_rx_handle, each one
// also taking its place in an Opus receiver's sequence (rtc_rtp_recv_handle_other)
// between audio packets, with every poll in between. Nothing may crash or read out of
// bounds; reports stay at most 2 per packet, each a DTMF event, each timestamp's at most
// once; the receiver never hands out an event payload as a frame.
//
// Build (from the repository root):
//   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=gnu11 -Iruntime -o fuzz_rtp_dtmf \
//     tests/fuzz/fuzz_rtp_dtmf.c runtime/base/*.c runtime/rtp/*.c -lm
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/rtc_time.h"
#include "rtp/rtc_rtp_dtmf.h"
#include "rtp/rtc_rtp_recv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  rtc_rtp_recv_config_t rc = {.ssrc = 1, .codec = RTC_RTP_CODEC_OPUS, .reorder_slots = 64,
                              .max_packet = 300, .max_frame = 4096};
  rtc_rtp_recv_t *r = rtc_rtp_recv_create(&rc);
  if (!r) abort();
  rtc_rtp_dtmf_rx_t rx;
  memset(&rx, 0, sizeof rx);
  uint64_t now = 1000000;
  uint32_t ts = 0;
  for (size_t off = 0; off + 4 <= size;) {
    uint8_t op = data[off];
    uint16_t seq = (uint16_t)(data[off + 1] << 8 | data[off + 2]);
    size_t len = data[off + 3] & 0x0F;
    off += 4;
    if (len > size - off) len = size - off;
    now += (uint64_t)(op >> 4) * RTC_MS(7);
    if (op & 2) ts += (op & 8) ? 0xFFFFu : 960;
    rtc_rtp_header_t h = {.marker = op & 1, .ts = ts, .seq = seq, .ssrc = 1, .pt = 111,
                          .payload = data + off, .payload_len = len};
    off += len;
    if (op & 4) { /* an event */
      h.pt = 126;
      rtc_rtp_dtmf_t ev;
      int pr = rtc_rtp_dtmf_parse(h.payload, h.payload_len, &ev);
      if (pr == 0) {
        if (ev.event > 15 || ev.volume > 63) abort();
        rtc_rtp_dtmf_report_t out[2];
        size_t n = rtc_rtp_dtmf_rx_handle(&rx, ts, &ev, out);
        if (n > 2) abort();
        for (size_t i = 0; i < n; i++)
          if (out[i].event > 15) abort();
        if (n && !rx.done && (n != 1 || !rx.have)) abort(); /* an end report marks it done */
        uint8_t back[RTC_RTP_DTMF_LEN];
        rtc_rtp_dtmf_write(back, &ev);
        rtc_rtp_dtmf_t again;
        if (rtc_rtp_dtmf_parse(back, sizeof back, &again) != 0 || again.event != ev.event ||
            again.end != ev.end || again.volume != ev.volume || again.duration != ev.duration)
          abort();
      } else if (h.payload_len >= 4 && h.payload[0] <= 15) {
        abort(); /* a well-formed payload refused */
      }
      if (rtc_rtp_recv_handle_other(r, now, &h) != 0) abort();
    } else {
      rtc_rtp_recv_handle_packet(r, now, &h);
    }
    rtc_rtp_frame_t f;
    while (rtc_rtp_recv_poll_frame(r, &f))
      if (f.len > rc.max_frame) abort();
    if (rtc_rtp_recv_poll_timeout(r) <= now) rtc_rtp_recv_handle_timeout(r, now);
    uint16_t nack[64];
    (void)rtc_rtp_recv_poll_nack(r, now, nack, 64);
  }
  rtc_rtp_recv_destroy(r);
  return 0;
}
