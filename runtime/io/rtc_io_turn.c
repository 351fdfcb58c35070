/* TCP connections to TURN servers (TURN over TCP, RFC 8656 3.1, and TLS on top, which
 * the pc does in memory): connected when the pc asks (rtc_pc_poll_connect), bytes read
 * handed to rtc_pc_stream_input, transmits addressed from a connection's local address
 * written to it in order. A write the kernel does not take at once waits in the
 * connection's queue (allocated once); past RTC_IO_TURN_QUEUE a whole datagram is
 * dropped, never part of one (that would break the framing). */
#include <stdlib.h>
#include <string.h>

#include "base/rtc_log.h"
#include "io/rtc_io.h"
#include "io/rtc_io_internal.h"

#define IO_TURN_MAX 8
#define RTC_IO_TURN_QUEUE (1024 * 1024)
#define IO_TURN_QUEUE_CAP (RTC_IO_TURN_QUEUE + 70000) /* room for the rest of one message */

typedef struct io_conn {
  uv_tcp_t tcp;
  rtc__io_turn_t *owner; /* its slot is cleared when the memory goes; NULL after turn_close */
  size_t slot;
  uv_connect_t creq;
  uv_write_t wreq;
  rtc_io_peer_t *peer;
  size_t id;
  rtc_addr_t local;
  bool open, writing, closed;
  size_t qlen, wlen; /* queue q[0..qlen); q[0..wlen) is being written */
  uint8_t *q;
} io_conn_t;

struct rtc__io_turn {
  io_conn_t *conns[IO_TURN_MAX];
  size_t n;
};

static void conn_closed_cb(uv_handle_t *h) {
  io_conn_t *c = h->data;
  rtc_io_peer_t *peer = c->peer;
  if (c->owner) c->owner->conns[c->slot] = NULL;
  free(c->q);
  free(c);
  rtc__io_peer_release(peer);
}

static void conn_close(io_conn_t *c) {
  if (c->closed) return;
  c->closed = true;
  c->open = false;
  uv_close((uv_handle_t *)&c->tcp, conn_closed_cb);
}

static void conn_on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  io_conn_t *c = s->data;
  rtc_io_peer_t *peer = c->peer;
  if (nread == 0 || rtc__io_peer_dead(peer)) return;
  rtc_pc_t *pc = rtc_io_peer_pc(peer);
  if (nread < 0) {
    RTC_LOG(RTC_LOG_DEBUG, "io", "pc %u: TURN connection: %s", rtc_pc_id(pc), uv_strerror((int)nread));
    conn_close(c);
    rtc_pc_stream_input(pc, rtc_io_now_us(), c->id, NULL, 0);
  } else {
    rtc_pc_stream_input(pc, rtc_io_now_us(), c->id, (const uint8_t *)buf->base, (size_t)nread);
  }
  rtc__io_peer_after(peer);
}

static void conn_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  static char rbuf[65536]; /* one read is handed to the pc before the next */
  buf->base = rbuf;
  buf->len = sizeof(rbuf);
}

static void conn_on_connect(uv_connect_t *req, int status) {
  io_conn_t *c = req->data;
  rtc_io_peer_t *peer = c->peer;
  if (c->closed || rtc__io_peer_dead(peer)) return;
  rtc_pc_t *pc = rtc_io_peer_pc(peer);
  int len = sizeof(c->local.u);
  if (status == 0) status = uv_tcp_getsockname(&c->tcp, &c->local.u.sa, &len);
  if (status == 0) status = uv_read_start((uv_stream_t *)&c->tcp, conn_alloc, conn_on_read);
  if (status != 0) {
    RTC_LOG(RTC_LOG_DEBUG, "io", "pc %u: TURN connect: %s", rtc_pc_id(pc), uv_strerror(status));
    conn_close(c);
    rtc_pc_stream_connected(pc, rtc_io_now_us(), c->id, NULL);
  } else {
    c->open = true;
    uv_tcp_nodelay(&c->tcp, 1);
    rtc_pc_stream_connected(pc, rtc_io_now_us(), c->id, &c->local);
  }
  rtc__io_peer_after(peer);
}

void rtc__io_turn_connect(rtc_io_peer_t *peer, rtc__io_turn_t **turnp) {
  rtc_pc_t *pc = rtc_io_peer_pc(peer);
  size_t id;
  rtc_addr_t bind, server;
  while (rtc_pc_poll_connect(pc, &id, &bind, &server)) {
    if (!*turnp) *turnp = calloc(1, sizeof(**turnp));
    rtc__io_turn_t *t = *turnp;
    io_conn_t *c = t && t->n < IO_TURN_MAX ? calloc(1, sizeof(*c)) : NULL;
    if (c) c->q = malloc(IO_TURN_QUEUE_CAP);
    if (!c || !c->q) {
      if (c) free(c);
      rtc_pc_stream_connected(pc, rtc_io_now_us(), id, NULL);
      continue;
    }
    c->peer = peer;
    c->id = id;
    uv_tcp_init(rtc__io_peer_loop(peer), &c->tcp);
    c->tcp.data = c;
    c->creq.data = c;
    rtc__io_peer_hold(peer);
    c->owner = t;
    c->slot = t->n;
    t->conns[t->n++] = c;
    int r = uv_tcp_bind(&c->tcp, &bind.u.sa, 0);
    if (r == 0) r = uv_tcp_connect(&c->creq, &c->tcp, &server.u.sa, conn_on_connect);
    if (r != 0) {
      conn_close(c);
      rtc_pc_stream_connected(pc, rtc_io_now_us(), id, NULL);
    }
  }
}

static void conn_write_more(io_conn_t *c);

static void conn_on_write(uv_write_t *req, int status) {
  io_conn_t *c = req->data;
  c->writing = false;
  if (c->closed) return;
  if (status < 0) {
    c->qlen = 0;
    return;
  }
  memmove(c->q, c->q + c->wlen, c->qlen - c->wlen);
  c->qlen -= c->wlen;
  c->wlen = 0;
  conn_write_more(c);
}

static void conn_write_more(io_conn_t *c) {
  if (c->writing || c->qlen == 0 || !c->open) return;
  c->wlen = c->qlen;
  c->wreq.data = c;
  uv_buf_t b = uv_buf_init((char *)c->q, (unsigned)c->wlen);
  if (uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, conn_on_write) == 0) c->writing = true;
  else c->qlen = c->wlen = 0;
}

bool rtc__io_turn_send(rtc__io_turn_t *t, const rtc_transmit_t *tx) {
  io_conn_t *c = NULL;
  for (size_t i = 0; t && i < t->n && !c; i++)
    if (t->conns[i] && t->conns[i]->open && rtc_addr_equal(&t->conns[i]->local, &tx->local))
      c = t->conns[i];
  if (!c) return false;
  size_t done = 0;
  if (c->qlen == 0) {
    uv_buf_t b = uv_buf_init((char *)tx->data, (unsigned)tx->len);
    int r = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
    if (r < 0 && r != UV_EAGAIN) return true; /* broken: the read side reports it */
    done = r > 0 ? (size_t)r : 0;
  }
  size_t rest = tx->len - done;
  if (rest == 0) return true;
  /* Drop a whole datagram when the queue is full (as a congested path would); the
   * rest of a partly written one always goes in (the framing must stay intact). */
  if (done == 0 && c->qlen + rest > RTC_IO_TURN_QUEUE) return true;
  if (c->qlen + rest > IO_TURN_QUEUE_CAP) return true; /* cannot happen: see above */
  memcpy(c->q + c->qlen, tx->data + done, rest);
  c->qlen += rest;
  conn_write_more(c);
  return true;
}

void rtc__io_turn_close(rtc__io_turn_t **turnp) {
  rtc__io_turn_t *t = *turnp;
  if (!t) return;
  for (size_t i = 0; i < t->n; i++)
    if (t->conns[i]) {
      t->conns[i]->owner = NULL;
      conn_close(t->conns[i]);
    }
  free(t);
  *turnp = NULL;
}
