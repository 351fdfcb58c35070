/* Reading a UDP socket with the kernel's arrival times (see the header). */
#define _GNU_SOURCE /* recvmmsg */
#include "io/rtc_io_udp_recv.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "io/rtc_io.h"

#define RX_BATCH 20   /* as libuv's recvmmsg width */
#define RX_ROUNDS 4   /* batches per wake-up before other handles get their turn */
#define RX_SIZE 65536 /* a datagram never exceeds it */
#define RX_MAX_WAIT_US 10000000

/* One set of buffers for every socket: a batch is delivered before the next read (one
 * loop, no threads, and a callback never reads a socket itself). */
static uint8_t rx_data[RX_BATCH][RX_SIZE];
static struct sockaddr_storage rx_from[RX_BATCH];
static struct iovec rx_iov[RX_BATCH];
static union {
  char buf[CMSG_SPACE(sizeof(struct timespec))];
  struct cmsghdr align;
} rx_ctrl[RX_BATCH];
static struct mmsghdr rx_msgs[RX_BATCH];

uint64_t rtc_io_udp_arrival(uint64_t now_us, int64_t real_us, int64_t kernel_us) {
  int64_t wait = real_us - kernel_us;
  if (kernel_us <= 0 || wait < 0 || wait > RX_MAX_WAIT_US || (uint64_t)wait > now_us) return now_us;
  return now_us - (uint64_t)wait;
}

static int64_t kernel_time_us(struct msghdr *h) {
  for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS &&
        c->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
      struct timespec ts;
      memcpy(&ts, CMSG_DATA(c), sizeof ts);
      return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
    }
  }
  return 0;
}

static void rx_prepare(void) {
  for (int i = 0; i < RX_BATCH; i++) {
    rx_iov[i].iov_base = rx_data[i];
    rx_iov[i].iov_len = RX_SIZE;
    struct msghdr *h = &rx_msgs[i].msg_hdr;
    h->msg_name = &rx_from[i];
    h->msg_namelen = sizeof(rx_from[i]);
    h->msg_iov = &rx_iov[i];
    h->msg_iovlen = 1;
    h->msg_control = rx_ctrl[i].buf;
    h->msg_controllen = sizeof(rx_ctrl[i].buf);
    h->msg_flags = 0;
  }
}

static void on_readable(uv_poll_t *p, int status, int events) {
  rtc_io_udp_recv_t *r = (rtc_io_udp_recv_t *)p;
  if (status < 0 || !(events & UV_READABLE)) return;
  for (int round = 0; round < RX_ROUNDS && !uv_is_closing((uv_handle_t *)p); round++) {
    rx_prepare();
    int n = recvmmsg(r->fd, rx_msgs, RX_BATCH, MSG_DONTWAIT, NULL);
    if (n <= 0) return; /* EAGAIN: drained; an error (ICMP) is another read's business */
    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    int64_t real_us = (int64_t)rt.tv_sec * 1000000 + rt.tv_nsec / 1000;
    uint64_t now_us = rtc_io_now_us();
    for (int i = 0; i < n && !uv_is_closing((uv_handle_t *)p); i++) {
      struct msghdr *h = &rx_msgs[i].msg_hdr;
      if ((h->msg_flags & MSG_TRUNC) || rx_msgs[i].msg_len == 0) continue;
      uint64_t at = rtc_io_udp_arrival(now_us, real_us, kernel_time_us(h));
      r->on_datagram(r->ctx, rx_data[i], rx_msgs[i].msg_len, (const struct sockaddr *)&rx_from[i], at);
    }
    if (!uv_is_closing((uv_handle_t *)p)) r->on_batch(r->ctx);
    if (n < RX_BATCH) return;
  }
}

int rtc_io_udp_recv_start(rtc_io_udp_recv_t *r, uv_loop_t *loop, uv_udp_t *udp,
                          rtc_io_udp_datagram_fn on_datagram, rtc_io_udp_batch_fn on_batch,
                          void *ctx) {
  uv_os_fd_t ufd;
  int e = uv_fileno((uv_handle_t *)udp, &ufd);
  if (e) return e;
  int fd = dup(ufd);
  if (fd < 0) return uv_translate_sys_error(errno);
  int one = 1; /* not fatal: without it every datagram is stamped when read */
  (void)setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
  void *data = r->poll.data;
  memset(r, 0, sizeof(*r));
  e = uv_poll_init(loop, &r->poll, fd);
  if (e) {
    close(fd);
    return e;
  }
  r->poll.data = data;
  r->fd = fd;
  r->on_datagram = on_datagram;
  r->on_batch = on_batch;
  r->ctx = ctx;
  e = uv_poll_start(&r->poll, UV_READABLE, on_readable);
  if (e) { /* the handle exists: it must be closed, not just dropped */
    rtc_io_udp_recv_close(r, NULL);
    return e;
  }
  return 0;
}

static void rx_closed(uv_handle_t *h) {
  rtc_io_udp_recv_t *r = (rtc_io_udp_recv_t *)h;
  close(r->fd);
  r->fd = -1;
  if (r->on_closed) r->on_closed(h);
}

void rtc_io_udp_recv_close(rtc_io_udp_recv_t *r, uv_close_cb on_closed) {
  r->on_closed = on_closed;
  uv_poll_stop(&r->poll);
  uv_close((uv_handle_t *)&r->poll, rx_closed);
}
