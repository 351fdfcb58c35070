/* ICE-TCP sockets (RFC 6544) of one io peer: a listening socket per gathered address
 * (the passive candidate), connections to the peer's passive candidates opened when
 * the agent sends a check from our active candidate (port 9), connections the peer
 * opens to us. Each carries RFC 4571 frames (ice/rtc_ice_tcp.h); what a frame holds
 * goes to the pc exactly as a UDP datagram would, with the candidate's address as
 * `local` and the connection's peer as `from`, both TCP-marked (rtc_addr_set_tcp).
 *
 * Bounds: IO_TCP_MAX_CONNS connections per peer (more are refused at accept), one
 * reassembly buffer of at most 64 KiB and two send buffers of at most IO_TCP_SEND_CAP
 * per connection (a frame that does not fit is dropped whole, as a full UDP socket
 * buffer would drop a datagram: the layers above retransmit). The buffers grow with
 * what is queued: most frames go to the kernel at once and a connection holds none
 * (issue 12, B3: 256 KiB were allocated for the first queued frame). Garbage (see the
 * framer) or a read error closes the connection. A connection that is not the
 * selected pair's and has received nothing for IO_TCP_IDLE_MS is closed (the agent
 * stopped using it: pruned); all close with the peer. */
#include <stdlib.h>
#include <string.h>

#include "base/rtc_err.h"
#include "base/rtc_log.h"
#include "ice/rtc_ice_tcp.h"
#include "io/rtc_io.h"
#include "io/rtc_io_internal.h"

#define IO_TCP_MAX_LISTEN 16
#define IO_TCP_MAX_CONNS 16
#define IO_TCP_SEND_CAP (256 * 1024)
#define IO_TCP_SEND_MIN 2048 /* a check or a DTLS flight's datagram */
#define IO_TCP_IDLE_MS 10000
#define IO_TCP_PRUNE_EVERY_MS 1000
#define IO_TCP_ACTIVE_PORT 9 /* RFC 6544 4.5 */

typedef struct io_tcp_listener {
  uv_tcp_t tcp;
  rtc_io_peer_t *peer;
  rtc_addr_t local; /* the passive candidate (TCP-marked) */
} io_tcp_listener_t;

typedef struct io_tcp_conn {
  uv_tcp_t tcp;
  uv_connect_t creq;
  uv_write_t wreq;
  rtc_io_peer_t *peer;
  rtc_addr_t local, remote; /* candidate address (listener's, or IP:9) and the peer's */
  bool connected, writing;
  uint8_t *out[2]; /* out[w] is being written while `writing`; out[!w] accumulates */
  size_t out_len[2], out_cap[2];
  int w;
  rtc_ice_tcp_framer_t rx;
  uint64_t last_us; /* opened, or last frame received */
} io_tcp_conn_t;

struct rtc__io_tcp {
  io_tcp_listener_t *listeners[IO_TCP_MAX_LISTEN];
  size_t n_listen;
  io_tcp_conn_t *conns[IO_TCP_MAX_CONNS];
  size_t n_conns;
  uint64_t next_prune_us;
};

static rtc__io_tcp_t *tcp_set(rtc_io_peer_t *peer) {
  rtc__io_tcp_t **t = rtc__io_peer_tcp(peer);
  if (!*t) *t = calloc(1, sizeof(**t));
  return *t;
}

void rtc__io_tcp_free(rtc__io_tcp_t *t) { free(t); }

/* ---- closing ---- */

static void listener_closed(uv_handle_t *h) {
  io_tcp_listener_t *l = h->data;
  rtc_io_peer_t *peer = l->peer;
  free(l);
  rtc__io_peer_release(peer);
}

static void conn_closed(uv_handle_t *h) {
  io_tcp_conn_t *c = h->data;
  rtc_io_peer_t *peer = c->peer;
  rtc_ice_tcp_framer_close(&c->rx);
  free(c->out[0]);
  free(c->out[1]);
  free(c);
  rtc__io_peer_release(peer);
}

/* Takes the connection out of the set and closes it; its memory goes in the close
 * callback (after libuv cancelled its pending connect/write). */
static void conn_close(rtc__io_tcp_t *t, io_tcp_conn_t *c, const char *why) {
  for (size_t i = 0; i < t->n_conns; i++)
    if (t->conns[i] == c) {
      t->conns[i] = t->conns[--t->n_conns];
      break;
    }
  char ip[RTC_ADDR_STRLEN] = "?";
  rtc_addr_to_string(&c->remote, ip, sizeof(ip));
  RTC_LOG(RTC_LOG_DEBUG, "io", "pc %u: TCP connection with %s:%u closed: %s",
          rtc_pc_id(rtc_io_peer_pc(c->peer)), ip, rtc_addr_port(&c->remote), why);
  uv_close((uv_handle_t *)&c->tcp, conn_closed);
}

void rtc__io_tcp_close_all(rtc_io_peer_t *peer) {
  rtc__io_tcp_t *t = *rtc__io_peer_tcp(peer);
  if (!t) return;
  while (t->n_conns) conn_close(t, t->conns[t->n_conns - 1], "closing");
  for (size_t i = 0; i < t->n_listen; i++)
    uv_close((uv_handle_t *)&t->listeners[i]->tcp, listener_closed);
  t->n_listen = 0;
}

/* ---- sending ---- */

static void conn_on_write(uv_write_t *req, int status);

/* Hands the accumulated bytes to libuv; the other buffer accumulates meanwhile. */
static void conn_start_write(rtc__io_tcp_t *t, io_tcp_conn_t *c) {
  int p = !c->w; /* the accumulating buffer */
  if (c->writing || !c->connected || c->out_len[p] == 0) return;
  c->w = p;
  uv_buf_t b = uv_buf_init((char *)c->out[p], (unsigned)c->out_len[p]);
  int r = uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, conn_on_write);
  if (r < 0) {
    conn_close(t, c, uv_strerror(r));
    return;
  }
  c->writing = true;
}

static void conn_on_write(uv_write_t *req, int status) {
  io_tcp_conn_t *c = req->data;
  if (status == UV_ECANCELED) return; /* closing */
  rtc__io_tcp_t *t = *rtc__io_peer_tcp(c->peer);
  c->writing = false;
  c->out_len[c->w] = 0;
  if (status < 0) {
    conn_close(t, c, uv_strerror(status));
    return;
  }
  conn_start_write(t, c);
}

/* Appends to the accumulating buffer; false when it is full. */
static bool conn_append(io_tcp_conn_t *c, const uint8_t *a, size_t alen, const uint8_t *b,
                        size_t blen) {
  int p = !c->w;
  size_t need = c->out_len[p] + alen + blen;
  if (need > IO_TCP_SEND_CAP) return false;
  if (need > c->out_cap[p]) {
    size_t cap = c->out_cap[p] ? c->out_cap[p] * 2 : IO_TCP_SEND_MIN;
    while (cap < need) cap *= 2;
    if (cap > IO_TCP_SEND_CAP) cap = IO_TCP_SEND_CAP;
    uint8_t *b = realloc(c->out[p], cap);
    if (!b) return false;
    c->out[p] = b;
    c->out_cap[p] = cap;
  }
  memcpy(c->out[p] + c->out_len[p], a, alen);
  memcpy(c->out[p] + c->out_len[p] + alen, b, blen);
  c->out_len[p] += alen + blen;
  return true;
}

static void conn_send_frame(rtc__io_tcp_t *t, io_tcp_conn_t *c, const uint8_t *p, size_t len) {
  uint8_t hdr[2];
  if (rtc_ice_tcp_frame_header(len, hdr) < 0) return;
  /* The usual case: nothing queued, the kernel takes the frame at once. */
  if (c->connected && !c->writing && c->out_len[!c->w] == 0) {
    uv_buf_t bufs[2] = {uv_buf_init((char *)hdr, 2), uv_buf_init((char *)p, (unsigned)len)};
    int r = uv_try_write((uv_stream_t *)&c->tcp, bufs, 2);
    if (r == (int)(len + 2)) return;
    if (r < 0 && r != UV_EAGAIN) {
      conn_close(t, c, uv_strerror(r));
      return;
    }
    size_t done = r > 0 ? (size_t)r : 0;
    /* Part of the frame is on the wire: the rest must follow, whatever the cost (the
     * buffer is empty, a frame always fits). */
    if (done < 2)
      conn_append(c, hdr + done, 2 - done, p, len);
    else
      conn_append(c, NULL, 0, p + (done - 2), len - (done - 2));
  } else if (!conn_append(c, hdr, 2, p, len)) {
    return; /* full: dropped whole, like a datagram */
  }
  conn_start_write(t, c);
}

/* ---- receiving ---- */

static void conn_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  /* One buffer for every connection: a read is fully framed before the next one. */
  static char rbuf[65536];
  buf->base = rbuf;
  buf->len = sizeof(rbuf);
}

static bool conn_on_frame(void *ud, const uint8_t *p, size_t len) {
  io_tcp_conn_t *c = ud;
  rtc_pc_handle_datagram(rtc_io_peer_pc(c->peer), rtc_io_now_us(), &c->local, &c->remote, p, len);
  return true;
}

static void conn_on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  io_tcp_conn_t *c = s->data;
  rtc_io_peer_t *peer = c->peer;
  rtc__io_tcp_t *t = *rtc__io_peer_tcp(peer);
  if (nread == 0) return;
  if (nread < 0) {
    conn_close(t, c, nread == UV_EOF ? "closed by the peer" : uv_strerror((int)nread));
    return;
  }
  int r = rtc_ice_tcp_framer_input(&c->rx, (const uint8_t *)buf->base, (size_t)nread, conn_on_frame, c);
  if (r > 0) c->last_us = rtc_io_now_us();
  if (r < 0) conn_close(t, c, r == RTC_ENOMEM ? "out of memory" : "not ICE-TCP framing");
  rtc__io_peer_after(peer);
}

static io_tcp_conn_t *conn_new(rtc_io_peer_t *peer, rtc__io_tcp_t *t, const rtc_addr_t *local) {
  io_tcp_conn_t *c = calloc(1, sizeof(*c));
  if (!c) return NULL;
  if (rtc_ice_tcp_framer_init(&c->rx) < 0 || uv_tcp_init(rtc__io_peer_loop(peer), &c->tcp) != 0) {
    rtc_ice_tcp_framer_close(&c->rx);
    free(c);
    return NULL;
  }
  c->peer = peer;
  c->tcp.data = c;
  c->creq.data = c;
  c->wreq.data = c;
  c->local = *local;
  c->last_us = rtc_io_now_us();
  c->w = 0;
  rtc__io_peer_hold(peer);
  t->conns[t->n_conns++] = c;
  return c;
}

static void conn_started(rtc__io_tcp_t *t, io_tcp_conn_t *c) {
  c->connected = true;
  uv_tcp_nodelay(&c->tcp, 1); /* checks and DTLS flights are small and urgent */
  int r = uv_read_start((uv_stream_t *)&c->tcp, conn_alloc, conn_on_read);
  if (r < 0) {
    conn_close(t, c, uv_strerror(r));
    return;
  }
  conn_start_write(t, c);
}

static void listener_on_connection(uv_stream_t *server, int status) {
  io_tcp_listener_t *l = server->data;
  rtc_io_peer_t *peer = l->peer;
  rtc__io_tcp_t *t = *rtc__io_peer_tcp(peer);
  if (status < 0 || !rtc_io_peer_is_active(peer)) return;
  if (t->n_conns == IO_TCP_MAX_CONNS) {
    /* Over the bound: accept and close at once, so the backlog does not fill. */
    uv_tcp_t *tmp = malloc(sizeof(*tmp));
    if (tmp && uv_tcp_init(rtc__io_peer_loop(peer), tmp) == 0) {
      uv_accept(server, (uv_stream_t *)tmp);
      uv_close((uv_handle_t *)tmp, (uv_close_cb)free);
    } else {
      free(tmp);
    }
    RTC_LOG(RTC_LOG_DEBUG, "io", "pc %u: TCP connection refused: %d open",
            rtc_pc_id(rtc_io_peer_pc(peer)), IO_TCP_MAX_CONNS);
    return;
  }
  io_tcp_conn_t *c = conn_new(peer, t, &l->local);
  if (!c) return;
  int len = sizeof(c->remote.u);
  if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0 ||
      uv_tcp_getpeername(&c->tcp, &c->remote.u.sa, &len) != 0) {
    conn_close(t, c, "accept failed");
    return;
  }
  rtc_addr_set_tcp(&c->remote, true);
  conn_started(t, c);
}

static void conn_on_connect(uv_connect_t *req, int status) {
  io_tcp_conn_t *c = req->data;
  if (status == UV_ECANCELED) return; /* closing */
  rtc__io_tcp_t *t = *rtc__io_peer_tcp(c->peer);
  if (status < 0) {
    conn_close(t, c, uv_strerror(status));
    return;
  }
  conn_started(t, c);
}

/* RFC 6544 7.1: the active side opens the connection when its first check is due;
 * the check waits in the send buffer until it is up. */
static io_tcp_conn_t *conn_connect(rtc_io_peer_t *peer, rtc__io_tcp_t *t, const rtc_addr_t *local,
                                   const rtc_addr_t *remote) {
  if (t->n_conns == IO_TCP_MAX_CONNS) return NULL;
  io_tcp_conn_t *c = conn_new(peer, t, local);
  if (!c) return NULL;
  c->remote = *remote;
  /* From the candidate's IP (any port), so the peer sees the address we signalled. */
  rtc_addr_t from = *local;
  rtc_addr_set_port(&from, 0);
  int r = uv_tcp_bind(&c->tcp, &from.u.sa, 0);
  if (r == 0) r = uv_tcp_connect(&c->creq, &c->tcp, &remote->u.sa, conn_on_connect);
  if (r != 0) {
    conn_close(t, c, uv_strerror(r));
    return NULL;
  }
  return c;
}

void rtc__io_tcp_send(rtc_io_peer_t *peer, const rtc_transmit_t *tx) {
  rtc__io_tcp_t *t = *rtc__io_peer_tcp(peer);
  if (!t) return;
  io_tcp_conn_t *c = NULL;
  for (size_t i = 0; i < t->n_conns && !c; i++)
    if (rtc_addr_equal(&t->conns[i]->local, &tx->local) &&
        rtc_addr_equal(&t->conns[i]->remote, &tx->remote))
      c = t->conns[i];
  /* A passive candidate only answers on connections the peer opened. */
  if (!c && rtc_addr_port(&tx->local) == IO_TCP_ACTIVE_PORT)
    c = conn_connect(peer, t, &tx->local, &tx->remote);
  if (c) conn_send_frame(t, c, tx->data, tx->len);
}

/* ---- gathering and pruning ---- */

void rtc__io_tcp_gather(rtc_io_peer_t *peer, const rtc_addr_t *udp_local) {
  rtc__io_tcp_t *t = tcp_set(peer);
  rtc_pc_t *pc = rtc_io_peer_pc(peer);
  const rtc_pc_config_t *cfg = rtc_pc_config(pc);
  if (!t || t->n_listen == IO_TCP_MAX_LISTEN) return;
  io_tcp_listener_t *l = calloc(1, sizeof(*l));
  if (!l) return;
  if (uv_tcp_init(rtc__io_peer_loop(peer), &l->tcp) != 0) {
    free(l);
    return;
  }
  l->peer = peer;
  l->tcp.data = l;
  rtc__io_peer_hold(peer);
  rtc_addr_t a = *udp_local;
  int r = UV_EADDRINUSE;
  if (cfg->port_min && cfg->port_max >= cfg->port_min) {
    for (unsigned p = cfg->port_min; p <= cfg->port_max && r == UV_EADDRINUSE; p++) {
      if (p == IO_TCP_ACTIVE_PORT) continue; /* port 9 means "active" */
      rtc_addr_set_port(&a, (uint16_t)p);
      r = uv_tcp_bind(&l->tcp, &a.u.sa, 0);
      if (r == 0) r = uv_listen((uv_stream_t *)&l->tcp, IO_TCP_MAX_CONNS, listener_on_connection);
    }
  } else {
    rtc_addr_set_port(&a, 0);
    r = uv_tcp_bind(&l->tcp, &a.u.sa, 0);
    if (r == 0) r = uv_listen((uv_stream_t *)&l->tcp, IO_TCP_MAX_CONNS, listener_on_connection);
  }
  int len = sizeof(l->local.u);
  if (r == 0) r = uv_tcp_getsockname(&l->tcp, &l->local.u.sa, &len);
  if (r != 0) {
    RTC_LOG(RTC_LOG_WARN, "io", "pc %u: no ICE-TCP listener: %s", rtc_pc_id(pc), uv_strerror(r));
    uv_close((uv_handle_t *)&l->tcp, listener_closed);
    return;
  }
  t->listeners[t->n_listen++] = l;
  rtc_addr_set_tcp(&l->local, true);
  rtc_pc_add_local_address(pc, &l->local);
  rtc_addr_t active = *udp_local;
  rtc_addr_set_port(&active, IO_TCP_ACTIVE_PORT);
  rtc_addr_set_tcp(&active, true);
  rtc_pc_add_local_address(pc, &active);
}

void rtc__io_tcp_prune(rtc_io_peer_t *peer) {
  rtc__io_tcp_t *t = *rtc__io_peer_tcp(peer);
  if (!t || t->n_conns == 0) return;
  uint64_t now = rtc_io_now_us();
  if (now < t->next_prune_us) return;
  t->next_prune_us = now + IO_TCP_PRUNE_EVERY_MS * 1000ull;
  rtc_pc_stats_t st;
  rtc_pc_get_stats(rtc_io_peer_pc(peer), &st);
  for (size_t i = t->n_conns; i-- > 0;) {
    io_tcp_conn_t *c = t->conns[i];
    bool selected = st.has_pair && rtc_addr_equal(&st.pair_local, &c->local) &&
                    rtc_addr_equal(&st.pair_remote, &c->remote);
    if (!selected && now > c->last_us + IO_TCP_IDLE_MS * 1000ull) conn_close(t, c, "idle, not selected");
  }
}
