/* ICE-TCP framing (RFC 6544 3, RFC 4571): over a TCP connection every STUN, DTLS and
 * SRTP packet travels as a frame: a 2-byte big-endian length, then that many bytes.
 * Sans-IO: the io layer feeds the bytes a connection read; complete frames come out
 * through a callback, each one a datagram for the usual demux (RFC 7983).
 *
 * Bounded memory: a connection holds at most one partial frame, in a buffer allocated
 * when a read ends inside a frame and sized to that frame (at most RTC_ICE_TCP_BUF
 * bytes: a frame never exceeds 65535 by construction); whole frames are delivered
 * from the read itself, so an idle connection or one that reads whole frames holds
 * no buffer (issue 12, B3: it was 64 KiB per connection). Garbage closes the
 * connection: the first frame must be STUN (RFC 6544 7.1: checks come first on every
 * connection) of at most RTC_ICE_TCP_MAX_FIRST bytes, every later one must fall in an
 * RFC 7983 range (STUN, DTLS, RTP/RTCP). Checked from a frame's first 3 bytes, before
 * its body is waited for. */
#ifndef RTC_ICE_TCP_H
#define RTC_ICE_TCP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RTC_ICE_TCP_MAX_FRAME 65535
#define RTC_ICE_TCP_BUF (2 + RTC_ICE_TCP_MAX_FRAME)
/* The first frame of a connection is a STUN check or its response: no larger. */
#define RTC_ICE_TCP_MAX_FIRST 2048

typedef struct rtc_ice_tcp_framer {
  uint8_t *buf; /* the partial frame (length prefix included), NULL until one is kept */
  size_t len, cap;
  bool broken;  /* garbage seen: every later input fails */
  bool seen_first;
  uint64_t frames; /* frames delivered */
} rtc_ice_tcp_framer_t;

/* A complete frame, borrowed for the call. Return false to stop the input (the
 * caller is closing the connection). */
typedef bool (*rtc_ice_tcp_frame_cb)(void *ud, const uint8_t *frame, size_t len);

/* Allocates nothing; returns 0 (kept an int for the callers' error path). */
int rtc_ice_tcp_framer_init(rtc_ice_tcp_framer_t *f);
void rtc_ice_tcp_framer_close(rtc_ice_tcp_framer_t *f); /* safe twice, and after a failed init */
/* Bytes read from the connection, in order. Complete frames go to cb (straight out of
 * p when whole, without a copy); the tail of a partial frame is kept. Returns the
 * number of frames delivered, or RTC_EPARSE on garbage, RTC_ENOMEM when a partial
 * frame cannot be kept (close the connection; the frames before it were delivered). Empty frames are skipped (RFC 4571 allows them). */
int rtc_ice_tcp_framer_input(rtc_ice_tcp_framer_t *f, const uint8_t *p, size_t len,
                             rtc_ice_tcp_frame_cb cb, void *ud);
/* Writes the 2-byte length prefix of a frame of len bytes. RTC_ETOOBIG above 65535. */
int rtc_ice_tcp_frame_header(size_t len, uint8_t out[2]);

#endif
