// libFuzzer target for ICE-TCP framing (RFC 4571): the input is a TCP byte stream.
// Fed whole and fed cut at a point the first byte chooses, the framer must deliver
// the same frames (same count, same bytes) or reject both times; frames are never
// longer than 65535 bytes, and nothing reads out of bounds.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ice/rtc_ice_tcp.h"

typedef struct acc {
  uint32_t n;
  uint64_t sum; /* order-sensitive digest of what came out */
} acc_t;

static bool on_frame(void *ud, const uint8_t *p, size_t len) {
  acc_t *a = ud;
  if (len == 0 || len > RTC_ICE_TCP_MAX_FRAME) abort();
  a->n++;
  for (size_t i = 0; i < len; i++)
    a->sum = a->sum * 131 + p[i];
  a->sum = a->sum * 7 + len;
  return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  rtc_ice_tcp_framer_t f1, f2;
  acc_t a1 = {0}, a2 = {0};
  if (rtc_ice_tcp_framer_init(&f1) < 0) return 0;
  if (rtc_ice_tcp_framer_init(&f2) < 0) {
    rtc_ice_tcp_framer_close(&f1);
    return 0;
  }
  int r1 = rtc_ice_tcp_framer_input(&f1, data, size, on_frame, &a1);
  size_t cut = size ? data[0] % (size + 1) : 0;
  int r2 = rtc_ice_tcp_framer_input(&f2, data, cut, on_frame, &a2);
  if (r2 >= 0) r2 = rtc_ice_tcp_framer_input(&f2, data + cut, size - cut, on_frame, &a2);
  if ((r1 < 0) != (r2 < 0)) abort();
  if (a1.n != a2.n || a1.sum != a2.sum) abort();
  if (f1.len >= RTC_ICE_TCP_BUF || (r1 >= 0 && f1.len != f2.len)) abort();
  rtc_ice_tcp_framer_close(&f1);
  rtc_ice_tcp_framer_close(&f2);
  return 0;
}
