/* RFC 4571 framing for ICE-TCP (see rtc_ice_tcp.h). */
#include "ice/rtc_ice_tcp.h"

#include <stdlib.h>
#include <string.h>

#include "base/rtc_err.h"

int rtc_ice_tcp_framer_init(rtc_ice_tcp_framer_t *f) {
  memset(f, 0, sizeof *f);
  return 0;
}

void rtc_ice_tcp_framer_close(rtc_ice_tcp_framer_t *f) {
  free(f->buf);
  f->buf = NULL;
  f->len = f->cap = 0;
}

/* Room for `need` bytes of the partial frame: the 2-byte prefix first, then the
 * whole frame once its length is known. */
static bool reserve(rtc_ice_tcp_framer_t *f, size_t need) {
  if (need <= f->cap) return true;
  uint8_t *b = realloc(f->buf, need);
  if (!b) return false;
  f->buf = b;
  f->cap = need;
  return true;
}

int rtc_ice_tcp_frame_header(size_t len, uint8_t out[2]) {
  if (len > RTC_ICE_TCP_MAX_FRAME) return RTC_ETOOBIG;
  out[0] = (uint8_t)(len >> 8);
  out[1] = (uint8_t)len;
  return 0;
}

/* RFC 6544 7.1: a connection starts with a STUN Binding request (or, on the side that
 * opened it, its response): a 20-byte header, first byte 0..3, and small (a check is
 * a few hundred bytes: RTC_ICE_TCP_MAX_FIRST caps what an unauthenticated connection
 * makes us buffer). Then RFC 7983 ranges: STUN 0..3, DTLS 20..63, RTP/RTCP 128..191
 * (TURN channels 64..79 never travel on an ICE-TCP connection). Checked as soon as
 * the header and the first byte are in, so garbage is refused at once, not after
 * 64 KiB of it. b0 < 0: the first byte is not known yet. */
static bool head_ok(const rtc_ice_tcp_framer_t *f, size_t flen, int b0) {
  if (flen == 0) return true; /* RFC 4571 allows empty frames: skipped */
  if (!f->seen_first) return flen >= 20 && flen <= RTC_ICE_TCP_MAX_FIRST && b0 <= 3;
  return b0 < 0 || b0 <= 3 || (b0 >= 20 && b0 <= 63) || (b0 >= 128 && b0 <= 191);
}

static bool deliver(rtc_ice_tcp_framer_t *f, const uint8_t *p, size_t len,
                    rtc_ice_tcp_frame_cb cb, void *ud) {
  f->seen_first = true;
  f->frames++;
  return cb(ud, p, len);
}

int rtc_ice_tcp_framer_input(rtc_ice_tcp_framer_t *f, const uint8_t *p, size_t len,
                             rtc_ice_tcp_frame_cb cb, void *ud) {
  int n = 0;
  if (f->broken) return RTC_EPARSE;
  while (len > 0) {
    /* Whole frames straight from the input, without a copy. */
    if (f->len == 0 && len >= 2) {
      size_t flen = ((size_t)p[0] << 8) | p[1];
      if (!head_ok(f, flen, len > 2 ? p[2] : -1)) goto garbage;
      if (len >= 2 + flen) {
        const uint8_t *frame = p + 2;
        p += 2 + flen;
        len -= 2 + flen;
        if (flen == 0) continue;
        n++;
        if (!deliver(f, frame, flen, cb, ud)) return n;
        continue;
      }
    }
    /* A partial frame (at most one, under RTC_ICE_TCP_BUF bytes) is buffered: its
     * header first, then its body. */
    if (f->len < 2) {
      if (!reserve(f, 2)) goto nomem;
      size_t t = 2 - f->len < len ? 2 - f->len : len;
      memcpy(f->buf + f->len, p, t);
      f->len += t;
      p += t;
      len -= t;
      if (f->len < 2) break;
    }
    size_t flen = ((size_t)f->buf[0] << 8) | f->buf[1];
    if (!reserve(f, 2 + flen)) goto nomem;
    size_t t = 2 + flen - f->len < len ? 2 + flen - f->len : len;
    memcpy(f->buf + f->len, p, t);
    f->len += t;
    p += t;
    len -= t;
    if (!head_ok(f, flen, f->len > 2 ? f->buf[2] : -1)) goto garbage;
    if (f->len < 2 + flen) break; /* the input ran out */
    f->len = 0;
    if (flen == 0) continue;
    n++;
    if (!deliver(f, f->buf + 2, flen, cb, ud)) return n;
  }
  return n;
garbage:
  f->broken = true;
  f->len = 0;
  return RTC_EPARSE;
nomem:
  f->broken = true;
  f->len = 0;
  return RTC_ENOMEM;
}
