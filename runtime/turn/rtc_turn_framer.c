/* TURN stream framing (RFC 8656 12.5; see the header). */
#include "turn/rtc_turn_framer.h"

#include <stdlib.h>
#include <string.h>

#include "base/rtc_bytes.h"
#include "base/rtc_err.h"
#include "turn/rtc_turn_chan.h"

struct rtc_turn_framer {
  size_t off, len; /* unread bytes are buf[off .. off+len) */
  uint8_t buf[RTC_TURN_FRAMER_MAX];
};

rtc_turn_framer_t *rtc_turn_framer_create(void) { return calloc(1, sizeof(rtc_turn_framer_t)); }
void rtc_turn_framer_destroy(rtc_turn_framer_t *f) { free(f); }

size_t rtc_turn_framer_push(rtc_turn_framer_t *f, const uint8_t *p, size_t len) {
  if (f->off) { /* what next handed out is no longer borrowed: compact */
    memmove(f->buf, f->buf + f->off, f->len);
    f->off = 0;
  }
  size_t n = sizeof(f->buf) - f->len;
  if (n > len) n = len;
  memcpy(f->buf + f->len, p, n);
  f->len += n;
  return n;
}

int rtc_turn_framer_next(rtc_turn_framer_t *f, const uint8_t **msg, size_t *len) {
  const uint8_t *p = f->buf + f->off;
  if (f->len < 4) return 0;
  size_t msg_len, wire;
  if (p[0] >= 0x40 && p[0] <= 0x4F) {
    msg_len = RTC_TURN_CHANNEL_HEADER + rtc_rd16(p + 2);
    wire = (msg_len + 3) & ~(size_t)3;
  } else if (p[0] < 0x40 && (p[0] & 0xC0) == 0) {
    /* RFC 8489 5: the two top bits are zero; the length excludes the header and is a
     * multiple of 4. */
    msg_len = wire = 20 + (size_t)rtc_rd16(p + 2);
    if (msg_len % 4) return RTC_EPARSE;
  } else {
    return RTC_EPARSE;
  }
  if (f->len < wire) return 0;
  *msg = p;
  *len = msg_len;
  f->off += wire;
  f->len -= wire;
  return 1;
}
