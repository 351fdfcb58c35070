/* Drives sans-IO rtc_pc_t objects on a libuv loop: sockets, one timer for all of
 * them, event delivery. */
#define _GNU_SOURCE /* sendmmsg */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "base/rtc_err.h"
#include "base/rtc_heap.h"
#include "base/rtc_log.h"
#include "base/rtc_time.h"
#include "ice/rtc_mdns.h"
#include "io/rtc_io.h"
#include "io/rtc_io_internal.h"
#include "io/rtc_io_udp_recv.h"

#define IO_MAX_SOCKETS 16
#define IO_SOCKET_BUFFER RTC__IO_SOCKET_BUFFER

typedef struct io_socket {
  uv_udp_t udp; /* unused (never initialised) when mux is set */
  rtc_io_udp_recv_t rx; /* reads udp's socket with arrival times, when rx_on */
  bool rx_on;
  int handles; /* udp, and rx when on: the memory goes when both have closed */
  rtc_addr_t local;
  rtc_io_peer_t *peer;
  rtc__io_mux_member_t *mux; /* a shared socket (udpMux), or NULL: udp is the pc's own */
} io_socket_t;

static uv_udp_t *io_udp(io_socket_t *s) { return s->mux ? rtc__io_mux_udp(s->mux) : &s->udp; }

struct rtc_io_peer {
  uv_loop_t *loop;
  rtc_pc_t *pc;
  rtc_io_events_cb cb;
  void *ud;
  rtc_heap_node_t tnode;   /* its next deadline, in io_deadlines */
  rtc_io_peer_t *due_next; /* io_on_timer's list of peers whose deadline passed */
  uv_idle_t idle; /* delivers events on the next loop turn after an API call */
  io_socket_t *socks[IO_MAX_SOCKETS];
  size_t n_socks;
  int open_handles;
  bool handles_closed; /* the transport is finished: sockets closed, out of the timer heap */
  bool destroying;
  bool in_dispatch;
  bool told_closed;           /* the owner was called after the pc closed */
  bool unlink_pending;        /* closed during a walk over io_peers: unlink after it */
  bool mdns_checked;          /* mdns_host_candidates: the responder was asked for */
  rtc_io_peer_t *next, *prev; /* all peers: usrsctp's shared timer touches any of them */
  rtc__io_turn_t *turn;       /* connections to TURN/TCP and TURN/TLS servers */
  rtc__io_tcp_t *tcp;         /* ICE-TCP sockets (rtc_io_tcp.c), NULL until gathered */
};

static rtc_io_peer_t *io_peers;

/* Timers: every peer's next deadline sits in one min-heap, and ONE uv timer is armed
 * at the earliest. A uv timer per peer cost a handle per connection and a
 * stop/start pair on each re-arm; with thousands of connections the heap keeps
 * re-arming at O(log n) and the loop holds one timer. */
static rtc_heap_t io_deadlines = RTC_HEAP_INIT;
static uv_timer_t io_timer;
static uv_loop_t *io_timer_loop;
static uint64_t io_timer_due = RTC_NEVER; /* what io_timer is armed for */

#define io_of_node(n) ((rtc_io_peer_t *)((char *)(n)-offsetof(rtc_io_peer_t, tnode)))

uint64_t rtc_io_now_us(void) { return uv_hrtime() / 1000; }

static void io_unlink(rtc_io_peer_t *peer);

static void io_release(rtc_io_peer_t *peer) {
  if (--peer->open_handles > 0 || !peer->destroying) return;
  if (peer->unlink_pending) io_unlink(peer);
  rtc_pc_destroy(peer->pc);
  rtc__io_tcp_free(peer->tcp);
  free(peer);
}

static void io_handle_closed(uv_handle_t *h) {
  rtc_io_peer_t *peer = h->data;
  io_socket_t *s = h->type == UV_UDP    ? (io_socket_t *)((char *)h - offsetof(io_socket_t, udp))
                   : h->type == UV_POLL ? (io_socket_t *)((char *)h - offsetof(io_socket_t, rx.poll))
                                        : NULL;
  if (s && --s->handles == 0) free(s);
  io_release(peer);
}

static int io_walking; /* rtc__io_peers_after_sctp_tick is iterating io_peers */

static void io_unlink(rtc_io_peer_t *peer) {
  if (peer->prev)
    peer->prev->next = peer->next;
  else if (io_peers == peer)
    io_peers = peer->next;
  if (peer->next) peer->next->prev = peer->prev;
  peer->next = peer->prev = NULL;
  peer->unlink_pending = false;
}

static void io_close_handles(rtc_io_peer_t *peer) {
  if (peer->handles_closed) return;
  peer->handles_closed = true;
  rtc__io_turn_close(&peer->turn);
  for (size_t i = 0; i < peer->n_socks; i++) {
    io_socket_t *s = peer->socks[i];
    if (s->mux) { /* others may still use the socket */
      rtc__io_mux_leave(s->mux);
      free(s);
      continue;
    }
    if (s->rx_on)
      rtc_io_udp_recv_close(&s->rx, io_handle_closed);
    else
      uv_udp_recv_stop(&s->udp);
    uv_close((uv_handle_t *)&s->udp, io_handle_closed);
  }
  peer->n_socks = 0;
  rtc_heap_remove(&io_deadlines, &peer->tnode);
  rtc__io_tcp_close_all(peer);
  uv_close((uv_handle_t *)&peer->idle, io_handle_closed);
  if (io_walking) {
    peer->unlink_pending = true; /* the walk over io_peers holds a pointer to it */
    return;
  }
  io_unlink(peer);
}

static io_socket_t *io_find_socket(rtc_io_peer_t *peer, const rtc_addr_t *local) {
  for (size_t i = 0; i < peer->n_socks; i++)
    if (rtc_addr_equal(&peer->socks[i]->local, local)) return peer->socks[i];
  return NULL;
}

/* Sending: one sendmmsg(2) per batch instead of one sendmsg per datagram. A bulk
 * data channel produces a dozen 1.2 KB datagrams per input; each syscall costs
 * more than the bytes it moves (measured: syscalls were ~25% of B2a's CPU).
 * poll_transmit's data is borrowed until the next call, so each datagram is
 * copied into a static batch slot (no threads; a batch is sent before io_flush
 * returns). Larger datagrams (never seen on the SCTP path) go out alone. */
#define IO_BATCH_MAX 64
#define IO_BATCH_SLOT 1536

typedef struct io_batch {
  io_socket_t *sock; /* all datagrams of a batch leave through one socket */
  unsigned n;
  struct mmsghdr msgs[IO_BATCH_MAX];
  struct iovec iov[IO_BATCH_MAX];
  rtc_addr_t to[IO_BATCH_MAX];
  uint8_t data[IO_BATCH_MAX][IO_BATCH_SLOT];
} io_batch_t;

static io_batch_t io_batch;

static void io_send_failed(rtc_io_peer_t *peer, int uv_err) {
  /* A full socket buffer drops the datagram as the network would: every layer
   * above retransmits. */
  if (uv_err != UV_EAGAIN)
    RTC_LOG(RTC_LOG_DEBUG, "io", "pc %u: send failed: %s", rtc_pc_id(peer->pc),
            uv_strerror(uv_err));
}

/* Datagrams b->msgs[from..b->n) one by one (one sendmmsg for all). */
static void io_batch_send_plain(rtc_io_peer_t *peer, int fd, unsigned i) {
  io_batch_t *b = &io_batch;
  while (i < b->n) {
    int r = sendmmsg(fd, b->msgs + i, b->n - i, MSG_DONTWAIT);
    if (r > 0) {
      i += (unsigned)r;
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    /* The datagram at i was refused (EAGAIN, or a per-destination error): drop
     * it, as uv_udp_try_send did, and go on with the rest. */
    io_send_failed(peer, r < 0 ? uv_translate_sys_error(errno) : UV_EAGAIN);
    i++;
  }
}

#if defined(UDP_SEGMENT)
/* UDP GSO (Linux >= 4.18): a run of equal-sized datagrams to one destination (the
 * last may be shorter) goes down the stack as ONE buffer that is cut into
 * datagrams at the bottom; per-datagram kernel cost was most of what remained
 * of the send syscalls. The wire sees ordinary datagrams. Turned off for the
 * process at the first refusal (old kernel, a device without checksum offload,
 * a segment above the path MTU). */
#define IO_GSO_MAX_SEGS 64
#define IO_GSO_MAX_BYTES 65000 /* one IP datagram's worth */
static bool io_gso_off;

static bool io_batch_send_gso(rtc_io_peer_t *peer, int fd) {
  io_batch_t *b = &io_batch;
  static struct mmsghdr gm[IO_BATCH_MAX];
  static unsigned first[IO_BATCH_MAX];
  static union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(uint16_t))];
  } ctl[IO_BATCH_MAX];
  unsigned ng = 0;
  for (unsigned i = 0; i < b->n;) {
    size_t seg = b->iov[i].iov_len, total = seg;
    unsigned j = i + 1;
    while (j < b->n && j - i < IO_GSO_MAX_SEGS && b->iov[j].iov_len <= seg &&
           total + b->iov[j].iov_len <= IO_GSO_MAX_BYTES && rtc_addr_equal(&b->to[j], &b->to[i])) {
      total += b->iov[j].iov_len;
      if (b->iov[j++].iov_len < seg) break; /* a shorter datagram ends the run */
    }
    memset(&gm[ng], 0, sizeof gm[ng]);
    gm[ng].msg_hdr = b->msgs[i].msg_hdr;
    gm[ng].msg_hdr.msg_iovlen = j - i; /* b->iov[i..j) are consecutive */
    if (j - i > 1) {
      gm[ng].msg_hdr.msg_control = ctl[ng].buf;
      gm[ng].msg_hdr.msg_controllen = sizeof ctl[ng].buf;
      struct cmsghdr *cm = CMSG_FIRSTHDR(&gm[ng].msg_hdr);
      cm->cmsg_level = IPPROTO_UDP;
      cm->cmsg_type = UDP_SEGMENT;
      cm->cmsg_len = CMSG_LEN(sizeof(uint16_t));
      uint16_t gso = (uint16_t)seg;
      memcpy(CMSG_DATA(cm), &gso, sizeof gso);
    }
    first[ng++] = i;
    i = j;
  }
  for (unsigned k = 0; k < ng;) {
    int r = sendmmsg(fd, gm + k, ng - k, MSG_DONTWAIT);
    if (r > 0) {
      k += (unsigned)r;
      continue;
    }
    int err = r < 0 ? errno : EAGAIN;
    if (err == EINTR) continue;
    if (gm[k].msg_hdr.msg_iovlen > 1 && err != EAGAIN && err != EWOULDBLOCK && err != ENOBUFS) {
      RTC_LOG(RTC_LOG_DEBUG, "io", "UDP GSO refused (%s): off", strerror(err));
      io_gso_off = true;
      io_batch_send_plain(peer, fd, first[k]);
      return true;
    }
    io_send_failed(peer, uv_translate_sys_error(err)); /* the run is dropped */
    k++;
  }
  return true;
}
#endif

static void io_batch_send(rtc_io_peer_t *peer) {
  io_batch_t *b = &io_batch;
  uv_os_fd_t fd;
  if (b->n == 0) return;
  if (uv_fileno((uv_handle_t *)io_udp(b->sock), &fd) != 0) {
    b->n = 0;
    return;
  }
#if defined(UDP_SEGMENT)
  if (!io_gso_off && b->n > 1) {
    io_batch_send_gso(peer, fd);
    b->n = 0;
    return;
  }
#endif
  io_batch_send_plain(peer, fd, 0);
  b->n = 0;
}

static bool io_flushing; /* io_batch is shared: a nested flush would corrupt it */

static void io_flush(rtc_io_peer_t *peer) {
  io_batch_t *b = &io_batch;
  rtc_transmit_t tx;
  /* Nothing in a flush calls back into Lua, so nesting means a bug elsewhere; the
   * nested peer's datagrams then wait for its next flush instead of corrupting ours. */
  if (io_flushing) return;
  io_flushing = true;
  b->n = 0;
  while (rtc_pc_poll_transmit(peer->pc, &tx)) {
    if (rtc_addr_is_tcp(&tx.local)) {
      rtc__io_tcp_send(peer, &tx);
      continue;
    }
    io_socket_t *s = io_find_socket(peer, &tx.local);
    if (!s) {
      rtc__io_turn_send(peer->turn, &tx); /* a TCP connection to a TURN server, or nothing */
      continue;
    }
    if (s->mux) rtc__io_mux_sent(s->mux, &tx.remote, tx.data, tx.len);
    if (b->n && (b->sock != s || b->n == IO_BATCH_MAX)) io_batch_send(peer);
    if (tx.len > IO_BATCH_SLOT) {
      io_batch_send(peer); /* keep the order */
      uv_buf_t buf = uv_buf_init((char *)tx.data, (unsigned)tx.len);
      int r = uv_udp_try_send(io_udp(s), &buf, 1, &tx.remote.u.sa);
      if (r < 0) io_send_failed(peer, r);
      continue;
    }
    unsigned k = b->n++;
    b->sock = s;
    memcpy(b->data[k], tx.data, tx.len);
    b->to[k] = tx.remote;
    b->iov[k].iov_base = b->data[k];
    b->iov[k].iov_len = tx.len;
    memset(&b->msgs[k], 0, sizeof b->msgs[k]);
    b->msgs[k].msg_hdr.msg_name = &b->to[k].u.sa;
    b->msgs[k].msg_hdr.msg_namelen = tx.remote.u.sa.sa_family == AF_INET6
                                         ? sizeof(struct sockaddr_in6)
                                         : sizeof(struct sockaddr_in);
    b->msgs[k].msg_hdr.msg_iov = &b->iov[k];
    b->msgs[k].msg_hdr.msg_iovlen = 1;
  }
  io_batch_send(peer);
  io_flushing = false;
}

static void io_on_timer(uv_timer_t *t);

/* Arms io_timer at the earliest deadline of all peers (stopped when none). */
static void io_timer_update(void) {
  rtc_heap_node_t *m = rtc_heap_min(&io_deadlines);
  if (!io_timer_loop) return;
  if (!m) {
    uv_timer_stop(&io_timer);
    io_timer_due = RTC_NEVER;
    return;
  }
  if (m->key == io_timer_due && uv_is_active((uv_handle_t *)&io_timer)) return;
  io_timer_due = m->key;
  uint64_t now = rtc_io_now_us();
  uint64_t ms = m->key > now ? (m->key - now + 999) / 1000 : 0;
  uv_timer_start(&io_timer, io_on_timer, ms, 0);
}

static void io_arm_timer(rtc_io_peer_t *peer) {
  if (peer->handles_closed) return;
  uint64_t deadline = rtc_pc_poll_timeout(peer->pc);
  if (deadline == RTC_NEVER) {
    rtc_heap_remove(&io_deadlines, &peer->tnode);
  } else {
    /* Unchanged deadline: nothing to move. */
    if (rtc_heap_contains(&peer->tnode) && peer->tnode.key == deadline) return;
    if (rtc_heap_set(&io_deadlines, &peer->tnode, deadline) < 0) {
      RTC_LOG(RTC_LOG_ERROR, "io", "pc %u: out of memory for its timer", rtc_pc_id(peer->pc));
      return;
    }
  }
  io_timer_update();
}

static void io_deliver(rtc_io_peer_t *peer) {
  if (peer->in_dispatch || peer->destroying) return;
  /* The owner hears of every event, and once more after the pc closed (it releases
   * what keeps the object alive then); idle turns cost it nothing. */
  bool closed = rtc_pc_signaling_state(peer->pc) == RTC_SIGNALING_CLOSED;
  if (!rtc_pc_has_events(peer->pc) && (!closed || peer->told_closed)) return;
  peer->told_closed = closed;
  peer->in_dispatch = true;
  peer->cb(peer, peer->ud);
  peer->in_dispatch = false;
}

/* After input or a timer: send, re-arm, hand events to the owner, and release the
 * sockets once the pc is finished. The owner's handlers may call back into the pc
 * (which only queues) or destroy the peer (which is deferred to close callbacks). */
static void io_after(rtc_io_peer_t *peer) {
  if (!peer->destroying && !peer->handles_closed) rtc__io_turn_connect(peer, &peer->turn);
  io_flush(peer);
  io_arm_timer(peer);
  io_deliver(peer);
  if (peer->destroying) return;
  io_flush(peer);
  io_arm_timer(peer);
  rtc__io_sctp_timer_arm(peer->loop);
  rtc__io_tcp_prune(peer);
  if (rtc_pc_is_finished(peer->pc)) io_close_handles(peer);
}

rtc__io_tcp_t **rtc__io_peer_tcp(rtc_io_peer_t *peer) { return &peer->tcp; }

/* The earliest deadline passed: every peer due is taken out of the heap first (so a
 * peer that re-arms at once cannot make this loop spin), then served. A handler may
 * close any peer: its memory waits for the close callbacks, so the list stays valid,
 * and closed peers are skipped. */
static void io_on_timer(uv_timer_t *t) {
  uint64_t now = rtc_io_now_us();
  rtc_io_peer_t *due = NULL, **tail = &due;
  io_timer_due = RTC_NEVER;
  rtc_heap_node_t *m;
  while ((m = rtc_heap_min(&io_deadlines)) && m->key <= now) {
    rtc_heap_remove(&io_deadlines, m);
    rtc_io_peer_t *peer = io_of_node(m);
    peer->due_next = NULL;
    *tail = peer;
    tail = &peer->due_next;
  }
  for (rtc_io_peer_t *peer = due, *next; peer; peer = next) {
    next = peer->due_next;
    if (peer->destroying || peer->handles_closed) continue;
    rtc_pc_handle_timeout(peer->pc, now);
    io_after(peer);
  }
  io_timer_update();
}

static void io_on_idle(uv_idle_t *h) {
  rtc_io_peer_t *peer = h->data;
  uv_idle_stop(h);
  io_after(peer);
}

/* Receiving: recvmmsg(2) through libuv (UV_UDP_RECVMMSG) reads up to 20 datagrams
 * per syscall into 64 KiB chunks of one buffer. Each datagram is handed to the pc
 * as it comes (a chunk callback), and the work that follows an input (flush, timer,
 * event delivery) runs once per batch, on libuv's closing UV_UDP_MMSG_FREE call. */
#define IO_RECV_CHUNK 65536
#define IO_RECV_CHUNKS 20 /* libuv's UV__MMSG_MAXWIDTH: more chunks are never used */

void rtc__io_recv_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  /* One buffer for every socket: a batch is fully processed before the next read. */
  static char recv_buf[IO_RECV_CHUNK * IO_RECV_CHUNKS];
  buf->base = recv_buf;
  buf->len = sizeof(recv_buf);
}

static void io_on_recv(uv_udp_t *u, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *from,
                       unsigned flags) {
  io_socket_t *s = u->data == NULL ? NULL : (io_socket_t *)((char *)u - offsetof(io_socket_t, udp));
  if (!s) return;
  rtc_io_peer_t *peer = s->peer;
  if (flags & UV_UDP_MMSG_FREE) { /* end of a recvmmsg batch */
    if (!peer->handles_closed) io_after(peer);
    return;
  }
  if (nread <= 0 || !from || (flags & UV_UDP_PARTIAL)) return;
  rtc_addr_t src;
  rtc_addr_from_sockaddr(&src, from);
  rtc_pc_handle_datagram(peer->pc, rtc_io_now_us(), &s->local, &src, (const uint8_t *)buf->base,
                         (size_t)nread);
  if (!(flags & UV_UDP_MMSG_CHUNK)) io_after(peer); /* a single read (no recvmmsg) */
}

/* rtc_io_udp_recv's reader: the same, with the kernel's arrival times. */
static void io_on_datagram(void *ctx, const uint8_t *p, size_t len, const struct sockaddr *from,
                           uint64_t arrival_us) {
  io_socket_t *s = ctx;
  rtc_addr_t src;
  rtc_addr_from_sockaddr(&src, from);
  rtc_pc_handle_datagram_at(s->peer->pc, rtc_io_now_us(), arrival_us, &s->local, &src, p, len);
}

static void io_on_batch(void *ctx) {
  io_socket_t *s = ctx;
  if (!s->peer->handles_closed) io_after(s->peer);
}

/* A member of the shared socket on addr's IP (udpMux). */
static int io_join_mux(rtc_io_peer_t *peer, const rtc_addr_t *addr, io_socket_t *s) {
  const rtc_pc_config_t *cfg = rtc_pc_config(peer->pc);
  int err = 0;
  s->mux = rtc__io_mux_join(peer, addr, cfg->udp_mux_port, &err);
  if (!s->mux) {
    char ip[RTC_ADDR_STRLEN] = "?";
    rtc_addr_to_string(addr, ip, sizeof(ip));
    RTC_LOG(RTC_LOG_WARN, "io", "pc %u: cannot use %s (shared socket): %s", rtc_pc_id(peer->pc),
            ip, uv_strerror(err));
    free(s);
    return RTC_EIO;
  }
  s->local = *rtc__io_mux_local(s->mux);
  peer->socks[peer->n_socks++] = s;
  int r = rtc_pc_add_local_address(peer->pc, &s->local);
  if (r == 0 && !cfg->ice_tcp_off) rtc__io_tcp_gather(peer, &s->local);
  return r;
}

static int io_bind_one(rtc_io_peer_t *peer, const rtc_addr_t *addr) {
  if (peer->n_socks >= IO_MAX_SOCKETS) return RTC_ELIMIT;
  io_socket_t *s = calloc(1, sizeof(*s));
  if (!s) return RTC_ENOMEM;
  s->peer = peer;
  if (rtc_pc_config(peer->pc)->udp_mux) return io_join_mux(peer, addr, s);
  /* UV_UDP_RECVMMSG: see io_on_recv. Falls back to plain reads where unsupported. */
  if (uv_udp_init_ex(peer->loop, &s->udp, (unsigned)addr->u.sa.sa_family | UV_UDP_RECVMMSG) != 0)
    uv_udp_init(peer->loop, &s->udp);
  s->udp.data = peer;
  s->handles = 1;
  peer->open_handles++;
  const rtc_pc_config_t *cfg = rtc_pc_config(peer->pc);
  rtc_addr_t a = *addr;
  int r = UV_EADDRINUSE;
  if (cfg->port_min && cfg->port_max >= cfg->port_min) {
    for (unsigned p = cfg->port_min; p <= cfg->port_max && r == UV_EADDRINUSE; p++) {
      rtc_addr_set_port(&a, (uint16_t)p);
      r = uv_udp_bind(&s->udp, &a.u.sa, 0);
    }
  } else {
    rtc_addr_set_port(&a, 0);
    r = uv_udp_bind(&s->udp, &a.u.sa, 0);
  }
  int len = sizeof(s->local.u);
  if (r == 0) r = uv_udp_getsockname(&s->udp, &s->local.u.sa, &len);
  if (r == 0) {
    /* SCTP bursts a whole congestion window at once; the default 208 KiB receive buffer
     * drops part of it on loopback, and each loss costs a retransmission timeout. The
     * kernel caps this at net.core.rmem_max; memory is only used while data waits. */
    int rcv = IO_SOCKET_BUFFER, snd = IO_SOCKET_BUFFER;
    uv_recv_buffer_size((uv_handle_t *)&s->udp, &rcv);
    uv_send_buffer_size((uv_handle_t *)&s->udp, &snd);
    s->rx.poll.data = peer;
    if (rtc_io_udp_recv_start(&s->rx, peer->loop, &s->udp, io_on_datagram, io_on_batch, s) == 0) {
      s->rx_on = true;
      s->handles++;
      peer->open_handles++;
    } else {
      r = uv_udp_recv_start(&s->udp, rtc__io_recv_alloc, io_on_recv);
    }
  }
  if (r != 0) {
    char ip[RTC_ADDR_STRLEN] = "?";
    rtc_addr_to_string(addr, ip, sizeof(ip));
    RTC_LOG(RTC_LOG_WARN, "io", "pc %u: cannot use %s: %s", rtc_pc_id(peer->pc), ip,
            uv_strerror(r));
    uv_close((uv_handle_t *)&s->udp, io_handle_closed);
    return RTC_EIO;
  }
  peer->socks[peer->n_socks++] = s;
  r = rtc_pc_add_local_address(peer->pc, &s->local);
  if (r == 0 && !cfg->ice_tcp_off) rtc__io_tcp_gather(peer, &s->local);
  return r;
}

static void io_gather_interfaces(rtc_io_peer_t *peer);

/* Host candidates: the configured addresses, or every usable interface address. */
static void io_gather(rtc_io_peer_t *peer) {
  const rtc_pc_config_t *cfg = rtc_pc_config(peer->pc);
  if (cfg->mdns_host_candidates && !peer->mdns_checked) {
    peer->mdns_checked = true;
    /* Names only with a responder: a name nobody answers is a candidate lost. */
    if (rtc__io_mdns_open(peer->loop) != 1 || rtc_pc_use_mdns_names(peer->pc) != 0)
      RTC_LOG(RTC_LOG_WARN, "io", "pc %u: no mDNS responder: host candidates keep their addresses",
              rtc_pc_id(peer->pc));
  }
  /* With iceTransportPolicy "relay" the sockets are bound all the same: they carry
   * the TURN traffic (the pc offers no host candidate for them). */
  if (cfg->n_gather_addresses) {
    for (size_t i = 0; i < cfg->n_gather_addresses; i++) {
      rtc_addr_t a;
      if (rtc_addr_set(&a, cfg->gather_addresses[i], 0) < 0) {
        RTC_LOG(RTC_LOG_WARN, "io", "gather address '%s' is not a numeric address",
                cfg->gather_addresses[i]);
        continue;
      }
      io_bind_one(peer, &a);
    }
  } else {
    io_gather_interfaces(peer);
  }
  rtc_pc_set_gathering_done(peer->pc);
}

/* After an ICE restart: the interface addresses that appeared since (the ones that
 * went keep their sockets; their checks just fail). */
static void io_rescan(rtc_io_peer_t *peer) {
  io_gather_interfaces(peer);
  rtc_pc_set_gathering_done(peer->pc);
}

/* Every usable interface address not bound yet (RFC 8445 5.1.1.1: no loopback, no
 * IPv6 link-local unless nothing else exists). */
static void io_gather_interfaces(rtc_io_peer_t *peer) {
  uv_interface_address_t *ifs = NULL;
  int n = 0, used = (int)peer->n_socks;
  if (uv_interface_addresses(&ifs, &n) == 0) {
    for (int pass = 0; pass < 2 && (pass == 0 || used == 0); pass++) {
      for (int i = 0; i < n; i++) {
        rtc_addr_t a;
        memset(&a, 0, sizeof(a));
        memcpy(&a, &ifs[i].address,
               ifs[i].address.address4.sin_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                              : sizeof(struct sockaddr_in));
        bool loop = ifs[i].is_internal || rtc_addr_is_loopback(&a);
        bool ll = rtc_addr_is_link_local(&a);
        /* Pass 0: routable addresses; pass 1 (nothing else exists): loopback. */
        if (pass == 0 && (loop || ll)) continue;
        if (pass == 1 && !loop) continue;
        if (io_find_socket(peer, &a)) continue;
        if (io_bind_one(peer, &a) == 0) used++;
      }
    }
    uv_free_interface_addresses(ifs, n);
  }
}

/* ICE server names, resolved on the loop (libuv's thread pool: the loop never
 * blocks). A request in flight counts as an open handle: the peer's memory waits
 * for its callback. */
typedef struct io_dns {
  uv_getaddrinfo_t req;
  rtc_io_peer_t *peer;
  size_t id;
} io_dns_t;

static void io_on_dns(uv_getaddrinfo_t *req, int status, struct addrinfo *res) {
  io_dns_t *d = req->data;
  rtc_io_peer_t *peer = d->peer;
  rtc_addr_t addrs[4];
  size_t n = 0;
  for (struct addrinfo *ai = status == 0 ? res : NULL; ai && n < 4; ai = ai->ai_next) {
    if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
    rtc_addr_from_sockaddr(&addrs[n], ai->ai_addr);
    n++;
  }
  uv_freeaddrinfo(res);
  if (!peer->destroying && !peer->handles_closed) {
    rtc_pc_dns_result(peer->pc, rtc_io_now_us(), d->id, addrs, n);
    io_after(peer);
  }
  free(d);
  io_release(peer);
}

static void io_resolve(rtc_io_peer_t *peer) {
  size_t id;
  const char *host;
  while (rtc_pc_poll_dns(peer->pc, &id, &host)) {
    io_dns_t *d = calloc(1, sizeof(*d));
    struct addrinfo hints;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    if (d) {
      d->peer = peer;
      d->id = id;
      d->req.data = d;
      if (uv_getaddrinfo(peer->loop, &d->req, io_on_dns, host, NULL, &hints) == 0) {
        peer->open_handles++;
        continue;
      }
      free(d);
    }
    rtc_pc_dns_result(peer->pc, rtc_io_now_us(), id, NULL, 0);
  }
}

rtc_io_peer_t *rtc_io_peer_create(uv_loop_t *loop, const rtc_pc_config_t *cfg, rtc_io_events_cb cb,
                                  void *ud) {
  rtc_io_peer_t *peer = calloc(1, sizeof(*peer));
  if (!peer) return NULL;
  peer->pc = rtc_pc_create(cfg, rtc_io_now_us());
  if (!peer->pc) {
    free(peer);
    return NULL;
  }
  peer->loop = loop;
  peer->cb = cb;
  peer->ud = ud;
  rtc_pc_set_userdata(peer->pc, peer);
  /* Configured addresses are fixed; otherwise a restart looks at the interfaces again. */
  rtc_pc_set_rescan_on_restart(peer->pc, cfg->n_gather_addresses == 0);
  if (!io_timer_loop) {
    io_timer_loop = loop;
    uv_timer_init(loop, &io_timer);
  } else if (io_timer_loop != loop) {
    /* One loop per process (ARCHITECTURE.md): the shared timers live on the first. */
    RTC_LOG(RTC_LOG_ERROR, "io", "peers on two uv loops: timers run on the first one only");
  }
  uv_idle_init(loop, &peer->idle);
  peer->idle.data = peer;
  peer->open_handles = 1;
  peer->next = io_peers;
  if (io_peers) io_peers->prev = peer;
  io_peers = peer;
  return peer;
}

rtc_pc_t *rtc_io_peer_pc(rtc_io_peer_t *peer) { return peer->pc; }

void rtc_io_peer_kick(rtc_io_peer_t *peer) {
  if (peer->destroying || peer->handles_closed) return;
  if (rtc_pc_poll_gather(peer->pc)) io_gather(peer);
  if (rtc_pc_poll_rescan(peer->pc)) io_rescan(peer);
  io_resolve(peer);
  rtc__io_turn_connect(peer, &peer->turn);
  const char *name;
  while (rtc_pc_poll_resolve(peer->pc, &name))
    rtc__io_mdns_query(peer->loop, name);
  for (size_t i = 0; i < peer->n_socks; i++)
    if (peer->socks[i]->mux) rtc__io_mux_refresh(peer->socks[i]->mux); /* an ICE restart */
  io_flush(peer);
  io_arm_timer(peer);
  rtc__io_sctp_timer_arm(peer->loop);
  /* Events are handed over from a fresh loop callback, never inside the API call. */
  uv_idle_start(&peer->idle, io_on_idle);
}

bool rtc_io_peer_is_active(const rtc_io_peer_t *peer) {
  return !peer->handles_closed && !peer->destroying;
}

void rtc_io_peer_destroy(rtc_io_peer_t *peer) {
  if (!peer || peer->destroying) return;
  peer->destroying = true;
  if (!peer->pc) return;
  rtc_pc_close(peer->pc);
  io_flush(peer);
  if (!peer->handles_closed) {
    io_close_handles(peer);
    return;
  }
  if (peer->open_handles == 0) {
    if (peer->unlink_pending) io_unlink(peer);
    rtc_pc_destroy(peer->pc);
    rtc__io_tcp_free(peer->tcp);
    free(peer);
  }
}

uv_loop_t *rtc__io_peer_loop(rtc_io_peer_t *peer) { return peer->loop; }
void rtc__io_peer_hold(rtc_io_peer_t *peer) { peer->open_handles++; }
void rtc__io_peer_release(rtc_io_peer_t *peer) { io_release(peer); }
void rtc__io_peer_after(rtc_io_peer_t *peer) {
  if (!peer->handles_closed) io_after(peer);
}
bool rtc__io_peer_dead(const rtc_io_peer_t *peer) { return peer->destroying || peer->handles_closed; }

/* Ends a walk over io_peers: peers closed during it are unlinked now. */
static void io_walk_end(void) {
  if (--io_walking > 0) return;
  for (rtc_io_peer_t *p = io_peers, *next; p; p = next) {
    next = p->next;
    if (p->unlink_pending) io_unlink(p);
  }
}

/* An mDNS response: every peer waiting for a name it answers gets the address. */
void rtc__io_peers_mdns_answer(const uint8_t *p, size_t len) {
  io_walking++;
  for (rtc_io_peer_t *peer = io_peers; peer; peer = peer->next) {
    if (peer->destroying || peer->handles_closed) continue;
    bool hit = rtc_pc_handle_mdns_response(peer->pc, p, len);
    if (hit) io_after(peer);
  }
  io_walk_end();
}

/* An mDNS query: a peer that owns the name asked answers it, to the group, or to the
 * querier alone when it asked from a port other than 5353 (a legacy resolver,
 * RFC 6762 6.7). A name is one peer's, so the first answer ends the walk. */
void rtc__io_peers_mdns_query(const uint8_t *p, size_t len, const struct sockaddr *from) {
  bool legacy = from->sa_family == AF_INET
                    ? ntohs(((const struct sockaddr_in *)from)->sin_port) != RTC_MDNS_PORT
                    : ntohs(((const struct sockaddr_in6 *)from)->sin6_port) != RTC_MDNS_PORT;
  uint8_t out[512];
  for (rtc_io_peer_t *peer = io_peers; peer; peer = peer->next) {
    if (peer->destroying || peer->handles_closed) continue;
    int n = rtc_pc_mdns_answer(peer->pc, p, len, legacy, out, sizeof(out));
    if (n < 0) return; /* malformed: no peer would make more of it */
    if (n == 0) continue;
    RTC_LOG(RTC_LOG_INFO, "io", "pc %u: mDNS query for our host name answered%s",
            rtc_pc_id(peer->pc), legacy ? " (legacy unicast)" : "");
    rtc__io_mdns_send(out, (size_t)n, legacy ? from : NULL);
    return;
  }
}

/* After usrsctp's tick: only the peers whose association it woke (the others did
 * nothing; visiting every peer on each 10 ms tick was most of the CPU of thousands
 * of idle connections). Handlers run inside io_after may close any peer: a closed
 * pc's association is gone from the woken list, and a closed peer is skipped. */
void rtc__io_peers_after_sctp_tick(uint64_t now_us) {
  rtc_pc_t *pc;
  while ((pc = rtc_pc_sctp_woken())) {
    rtc_io_peer_t *p = rtc_pc_get_userdata(pc);
    if (!p || p->destroying || p->handles_closed) continue;
    rtc_pc_handle_timeout(p->pc, now_us);
    io_after(p);
  }
}
