/* Reading a UDP socket with the kernel's arrival time of each datagram.
 *
 * A sender's bandwidth estimate (transport-cc, draft-holmer-rmcat-transport-wide-cc-
 * extensions-01) rests on the arrival times we report. Taken when the loop gets round to
 * a datagram they are wrong by however long it waited: a recvmmsg batch, or a loop busy
 * for tens of milliseconds, reports packets sent 1 ms apart as arriving together, and
 * Chromium then rejects its bandwidth probes (receive rate over twice the send rate) and
 * ramps up from 300 kbps by small steps instead (seen: 10-15 s to its top simulcast layer,
 * against 0.5 s with these times). libwebrtc reads SO_TIMESTAMP for the same reason.
 *
 * libuv's UDP reads give no control messages, so this reads the socket itself:
 * recvmmsg(2) with SO_TIMESTAMPNS on a dup of the uv_udp_t's descriptor, watched by a
 * uv_poll_t of its own (its own epoll registration: the uv_udp_t keeps sending). */
#ifndef RTC_IO_UDP_RECV_H
#define RTC_IO_UDP_RECV_H
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

/* One datagram, its arrival on the monotonic clock of rtc_io_now_us (the time it was
 * read when the kernel gave none). */
typedef void (*rtc_io_udp_datagram_fn)(void *ctx, const uint8_t *p, size_t len,
                                       const struct sockaddr *from, uint64_t arrival_us);
/* After each batch of datagrams (the work that follows input: flush, timers, events). */
typedef void (*rtc_io_udp_batch_fn)(void *ctx);

typedef struct rtc_io_udp_recv {
  uv_poll_t poll; /* poll.data is the caller's (rtc_io_udp_recv_close's callback gets it) */
  int fd;         /* the dup, closed with the poll handle */
  rtc_io_udp_datagram_fn on_datagram;
  rtc_io_udp_batch_fn on_batch;
  void *ctx;
  uv_close_cb on_closed;
} rtc_io_udp_recv_t;

/* Starts reading udp's socket. 0, or a libuv error: then nothing was started and the
 * caller reads with uv_udp_recv_start as before (arrival = read time). */
int rtc_io_udp_recv_start(rtc_io_udp_recv_t *r, uv_loop_t *loop, uv_udp_t *udp,
                          rtc_io_udp_datagram_fn on_datagram, rtc_io_udp_batch_fn on_batch,
                          void *ctx);
/* Stops reading at once (the rest of a batch being delivered is dropped) and closes the
 * handle; on_closed gets &r->poll when it is gone. */
void rtc_io_udp_recv_close(rtc_io_udp_recv_t *r, uv_close_cb on_closed);

/* The arrival on the monotonic clock (now_us) of a datagram the kernel stamped at
 * kernel_us on the real-time clock, read at real_us: now_us less the wait, when that
 * is plausible (0 to 10 s), else now_us. */
uint64_t rtc_io_udp_arrival(uint64_t now_us, int64_t real_us, int64_t kernel_us);

#endif
