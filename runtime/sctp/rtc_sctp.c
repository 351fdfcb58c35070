/* One SCTP association over DTLS (RFC 8261) with usrsctp in AF_CONN mode: its
 * socket, transmit and event queues, and the receive path (notifications, partial
 * delivery). The data channels themselves are in rtc_sctp_channel.c.
 *
 * usrsctp runs without threads: every callback (conn_output, the socket upcall)
 * fires synchronously inside usrsctp_conninput, usrsctp_sendv, setsockopt or
 * usrsctp_handle_timers. Callbacks only queue (packets, a "readable" flag); the
 * socket is read with usrsctp_recvv afterwards, outside usrsctp's call stack. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <usrsctp.h>

#include "base/rtc_err.h"
#include "base/rtc_log.h"
#include "sctp/rtc_sctp.h"
#include "sctp/rtc_sctp_dcep.h"
#include "sctp/rtc_sctp_internal.h"

/* usrsctp_recvv reads into an event-sized block (sctp_recv_block): a whole
 * message of at least SCTP_ADOPT_MIN bytes becomes its event as it is (the block
 * shrunk with realloc, which glibc does in place), instead of being copied out of
 * a scratch buffer (issue 12, B2: one copy per received byte fewer). Smaller
 * messages are still copied into an event of their size: carving them out of
 * 64 KiB blocks would fragment the heap. One block for all associations (single
 * thread), replaced after each adoption; the static scratch serves when no block
 * can be allocated. */
#define SCTP_ADOPT_MIN 4096
static uint8_t sctp_recv_scratch[RTC__SCTP_RECV_CHUNK];
static rtc__sctp_ev_t *sctp_recv_block;

static uint8_t *sctp_recv_buf(void) {
  if (!sctp_recv_block) sctp_recv_block = malloc(sizeof(rtc__sctp_ev_t) + RTC__SCTP_RECV_CHUNK);
  return sctp_recv_block ? (uint8_t *)sctp_recv_block->strings : sctp_recv_scratch;
}

/* ---------- queues ---------- */

/* Packet nodes: one per outgoing packet, ~1.2 KB, above glibc's tcache sizes, so
 * malloc/free took their slow path for each. Nodes of the common size come from a
 * small process-wide free list (no threads), bounded so that idle memory stays
 * small (~100 KB). */
#define SCTP_PKT_CLASS 1536
#if defined(__SANITIZE_ADDRESS__) /* ASan sees every use after free */
#define SCTP_PKT_KEEP 0
#else
#define SCTP_PKT_KEEP 64
#endif

static rtc__sctp_pkt_t *sctp_pkt_idle;
static unsigned sctp_pkt_idle_n;

static rtc__sctp_pkt_t *sctp_pkt_get(size_t len) {
  rtc__sctp_pkt_t *k;
  if (len <= SCTP_PKT_CLASS && sctp_pkt_idle) {
    k = sctp_pkt_idle;
    sctp_pkt_idle = k->next;
    sctp_pkt_idle_n--;
  } else {
    k = malloc(sizeof *k + (len <= SCTP_PKT_CLASS ? SCTP_PKT_CLASS : len));
    if (!k) return NULL;
  }
  k->cap = len <= SCTP_PKT_CLASS ? SCTP_PKT_CLASS : len;
  return k;
}

static void sctp_pkt_put(rtc__sctp_pkt_t *k) {
  if (!k) return;
  if (k->cap != SCTP_PKT_CLASS || (int)sctp_pkt_idle_n >= SCTP_PKT_KEEP) {
    free(k);
    return;
  }
  k->next = sctp_pkt_idle;
  sctp_pkt_idle = k;
  sctp_pkt_idle_n++;
}

void rtc__sctp_queue_packet(rtc_sctp_t *s, const void *buf, size_t len) {
  if (s->txq_n == RTC__SCTP_TXQ_MAX) {
    s->stats.packets_dropped++;
    return;
  }
  rtc__sctp_pkt_t *k = sctp_pkt_get(len);
  if (!k) return;
  k->next = NULL;
  k->len = len;
  memcpy(k->data, buf, len);
  rtc__sctp_port_out(s, k->data, len);
  if (rtc__sctp_own_crc32c) rtc__sctp_fill_crc32c(k->data, len);
  if (s->txq_tail)
    s->txq_tail->next = k;
  else
    s->txq_head = k;
  s->txq_tail = k;
  s->txq_n++;
}

static void sctp_ev_link(rtc_sctp_t *s, rtc__sctp_ev_t *e, rtc_sctp_event_type_t type,
                         uint16_t stream, size_t size) {
  memset(e, 0, sizeof *e);
  e->size = size;
  e->ev.type = type;
  e->ev.stream = stream;
  e->ev.max_retransmits = -1;
  e->ev.max_packet_life_time = -1;
  if (s->ev_tail)
    s->ev_tail->next = e;
  else
    s->ev_head = e;
  s->ev_tail = e;
  s->ev_bytes += size;
}

rtc__sctp_ev_t *rtc__sctp_ev_push(rtc_sctp_t *s, rtc_sctp_event_type_t type, uint16_t stream,
                                  size_t extra) {
  size_t size = sizeof(rtc__sctp_ev_t) + extra;
  /* malloc, not calloc: a message event is up to 64 KiB+ that the caller fills
   * at once; zeroing it first cost one memset per received byte. */
  rtc__sctp_ev_t *e = malloc(size);
  if (!e) return NULL;
  sctp_ev_link(s, e, type, stream, size);
  return e;
}

rtc__sctp_ev_t *rtc__sctp_ev_push_message(rtc_sctp_t *s, uint16_t stream, const uint8_t *p,
                                          size_t len) {
  if (sctp_recv_block && p == (const uint8_t *)sctp_recv_block->strings && len >= SCTP_ADOPT_MIN) {
    size_t size = sizeof(rtc__sctp_ev_t) + len;
    rtc__sctp_ev_t *e = realloc(sctp_recv_block, size);
    if (!e) e = sctp_recv_block; /* kept whole: still valid */
    sctp_recv_block = NULL;
    sctp_ev_link(s, e, RTC_SCTP_EVENT_MESSAGE, stream, size);
    return e;
  }
  rtc__sctp_ev_t *e = rtc__sctp_ev_push(s, RTC_SCTP_EVENT_MESSAGE, stream, len);
  if (e && len) memcpy(e->strings, p, len);
  return e;
}

void rtc__sctp_ev_simple(rtc_sctp_t *s, rtc_sctp_event_type_t type, uint16_t stream,
                         const char *reason) {
  rtc__sctp_ev_t *e = rtc__sctp_ev_push(s, type, stream, 0);
  if (e) e->ev.reason = reason;
}

static void sctp_go_down(rtc_sctp_t *s) {
  if (s->disconnected) return;
  bool was = s->connected || s->started;
  s->connected = false;
  s->disconnected = true;
  while (s->nchans)
    rtc__sctp_chan_close_now(s, s->chans[s->nchans - 1]);
  if (was) rtc__sctp_ev_simple(s, RTC_SCTP_EVENT_DISCONNECTED, 0, NULL);
}

static void handle_stream_reset(rtc_sctp_t *s, const struct sctp_stream_reset_event *e,
                                size_t len) {
  if (len < sizeof *e) return;
  size_t n = (len - sizeof *e) / sizeof(uint16_t);
  if (e->strreset_flags & (SCTP_STREAM_RESET_DENIED | SCTP_STREAM_RESET_FAILED)) {
    /* Our request was refused or lost: ask again for those streams. */
    for (size_t i = 0; i < n; i++) {
      rtc__sctp_chan_t *c = rtc__sctp_chan_find(s, e->strreset_stream_list[i]);
      if (c && c->reset_sent && !(e->strreset_flags & SCTP_STREAM_RESET_INCOMING_SSN)) {
        c->reset_sent = false;
        c->state = RTC__SCTP_CHAN_CLOSING;
      rtc__sctp_watch(s);
        rtc__sctp_watch(s);
        s->reset_wanted = true;
      }
    }
    return;
  }
  if (!(e->strreset_flags & SCTP_STREAM_RESET_INCOMING_SSN)) return; /* ours done */
  for (size_t i = 0; i < n; i++) {
    rtc__sctp_chan_t *c = rtc__sctp_chan_find(s, e->strreset_stream_list[i]);
    if (!c) continue;
    c->reset_in = true;
    if (c->reset_sent) {
      rtc__sctp_chan_close_now(s, c); /* both directions reset: closed */
    } else {
      /* RFC 8831 section 6.7: the peer closed; reset ours too. Pending data is
       * dropped (the channel is closing; W3C discards it too). */
      rtc__sctp_msg_t *m = c->head;
      while (m) {
        rtc__sctp_msg_t *nx = m->next;
        free(m);
        m = nx;
      }
      c->head = c->tail = NULL;
      c->buffered = 0;
      c->state = RTC__SCTP_CHAN_CLOSING;
      s->reset_wanted = true;
      /* Report CLOSED now: the peer will not read or send anything more on it; the
       * channel object stays until our reset is sent (then removed, see below). */
      rtc__sctp_ev_simple(s, RTC_SCTP_EVENT_CHANNEL_CLOSED, c->stream, NULL);
      c->closed_emitted = true;
    }
  }
}

static void handle_notification(rtc_sctp_t *s, const uint8_t *p, size_t len) {
  const union sctp_notification *n = (const void *)p;
  if (len < sizeof(n->sn_header)) return;
  switch (n->sn_header.sn_type) {
  case SCTP_ASSOC_CHANGE:
    if (len < sizeof(n->sn_assoc_change)) return;
    switch (n->sn_assoc_change.sac_state) {
    case SCTP_COMM_UP:
      if (s->connected || s->disconnected) break;
      s->connected = true;
      /* The usable ids are those below both directions' negotiated counts (the
       * peer may announce fewer streams than we do, RFC 4960 section 5.1.1). */
      if (n->sn_assoc_change.sac_outbound_streams < s->max_streams)
        s->max_streams = n->sn_assoc_change.sac_outbound_streams;
      if (n->sn_assoc_change.sac_inbound_streams < s->max_streams)
        s->max_streams = n->sn_assoc_change.sac_inbound_streams;
      rtc__sctp_ev_simple(s, RTC_SCTP_EVENT_CONNECTED, 0, NULL);
      for (unsigned i = 0; i < s->nchans;) {
        rtc__sctp_chan_t *c = s->chans[i];
        if (c->stream >= s->max_streams) {
          /* Opened before we knew: it cannot exist on this association. */
          rtc__sctp_ev_simple(s, RTC_SCTP_EVENT_CHANNEL_ERROR, c->stream,
                              "stream id beyond the negotiated streams");
          rtc__sctp_chan_close_now(s, c); /* swaps the last channel into i */
          continue;
        }
        if (c->negotiated) rtc__sctp_chan_emit_open(s, c);
        i++;
      }
      break;
    case SCTP_COMM_LOST:
    case SCTP_SHUTDOWN_COMP:
    case SCTP_CANT_STR_ASSOC: sctp_go_down(s); break;
    default: break;
    }
    break;
  case SCTP_STREAM_RESET_EVENT: handle_stream_reset(s, &n->sn_strreset_event, len); break;
  case SCTP_PARTIAL_DELIVERY_EVENT:
    if (len >= sizeof(n->sn_pdapi_event) &&
        n->sn_pdapi_event.pdapi_indication == SCTP_PARTIAL_DELIVERY_ABORTED) {
      s->rx_active = false;
      s->rx_len = 0;
    }
    break;
  case SCTP_SEND_FAILED_EVENT: s->stats.packets_dropped++; break;
  case SCTP_SENDER_DRY_EVENT: break; /* rtc__sctp_flush runs after every drain anyway */
  default: break;
  }
}

/* A peer that ignores our a=max-message-size: counted, told, and its channel closed
 * (as Chrome does). */
static void too_big(rtc_sctp_t *s, uint16_t stream) {
  s->stats.packets_dropped++;
  rtc__sctp_ev_simple(s, RTC_SCTP_EVENT_CHANNEL_ERROR, stream, "message too big");
  rtc_sctp_channel_close(s, stream);
}

/* One piece from usrsctp_recvv: deliver whole messages, reassemble pieces. */
static void handle_piece(rtc_sctp_t *s, const struct sctp_rcvinfo *ri, const uint8_t *p, size_t len,
                         bool eor) {
  size_t max = s->cfg.local_max_message_size;
  uint32_t ppid = ntohl(ri->rcv_ppid);
  if (!s->rx_active && eor) {
    if (len > max) goto too_big;
    rtc__sctp_handle_message(s, ri->rcv_sid, ppid, p, len);
    return;
  }
  if (s->rx_active && s->rx_stream != ri->rcv_sid) {
    /* Pieces of another stream interleaved (no I-DATA here): the old one is lost. */
    s->stats.packets_dropped++;
    s->rx_len = 0;
    s->rx_discard = false;
    s->rx_active = false; /* the new piece starts a message of its own stream */
  }
  if (!s->rx_active) {
    s->rx_active = true;
    s->rx_stream = ri->rcv_sid;
    s->rx_ppid = ppid;
    s->rx_len = 0;
    s->rx_discard = false;
  }
  if (!s->rx_discard) {
    if (s->rx_len + len > max) {
      /* Past our a=max-message-size: the rest of this message is dropped as it comes
       * (memory stays at max however long it is) and the channel closes now. */
      s->rx_discard = true;
      s->rx_len = 0;
      too_big(s, ri->rcv_sid);
    } else {
      if (s->rx_len + len > s->rx_cap) {
        size_t cap = s->rx_cap ? s->rx_cap : 65536;
        while (cap < s->rx_len + len)
          cap *= 2;
        if (cap > max && max >= s->rx_len + len) cap = max;
        uint8_t *nb = realloc(s->rx_buf, cap);
        if (!nb) {
          s->rx_discard = true;
          goto tail;
        }
        s->rx_buf = nb;
        s->rx_cap = cap;
      }
      memcpy(s->rx_buf + s->rx_len, p, len);
      s->rx_len += len;
    }
  }
tail:
  if (!eor) return;
  s->rx_active = false;
  if (s->rx_discard) {
    s->rx_discard = false;
    s->rx_len = 0;
    return;
  }
  rtc__sctp_handle_message(s, s->rx_stream, s->rx_ppid, s->rx_buf, s->rx_len);
  s->rx_len = 0;
  /* Release a big buffer once done: idle associations stay small. */
  if (s->rx_cap > 65536) {
    free(s->rx_buf);
    s->rx_buf = NULL;
    s->rx_cap = 0;
  }
  return;
too_big:
  too_big(s, ri->rcv_sid);
}

/* Reads everything usrsctp has for us, then pushes what waits to be sent. */
static void sctp_drain(rtc_sctp_t *s) {
  if (!s->sock || s->in_drain) return;
  s->in_drain = true;
  s->readable = false;
  for (int guard = 0; guard < 100000; guard++) {
    if (s->ev_bytes >= RTC__SCTP_EVQ_MAX_BYTES) {
      s->rx_paused = true;
      break;
    }
    struct sctp_rcvinfo ri;
    socklen_t infolen = sizeof ri;
    unsigned int infotype = 0;
    int flags = 0;
    struct sockaddr_conn from;
    socklen_t fromlen = sizeof from;
    memset(&ri, 0, sizeof ri);
    uint8_t *buf = sctp_recv_buf();
    ssize_t r = usrsctp_recvv(s->sock, buf, RTC__SCTP_RECV_CHUNK,
                              (struct sockaddr *)&from, &fromlen, &ri, &infolen, &infotype, &flags);
    if (r < 0) break; /* EWOULDBLOCK: nothing more; other errors: the socket is done */
    if (r == 0 && !(flags & MSG_NOTIFICATION)) {
      sctp_go_down(s); /* EOF: the association is shut down */
      break;
    }
    if (flags & MSG_NOTIFICATION) {
      handle_notification(s, buf, (size_t)r);
    } else if (infotype == SCTP_RECVV_RCVINFO) {
      handle_piece(s, &ri, buf, (size_t)r, (flags & MSG_EOR) != 0);
    } else {
      s->stats.packets_dropped++;
    }
  }
  /* Remove channels whose both directions are reset. */
  for (unsigned i = 0; i < s->nchans;) {
    rtc__sctp_chan_t *c = s->chans[i];
    if (c->reset_in && c->reset_sent)
      rtc__sctp_chan_remove(s, c);
    else
      i++;
  }
  rtc__sctp_flush(s);
  for (unsigned i = 0; i < s->nchans;) {
    rtc__sctp_chan_t *c = s->chans[i];
    if (c->reset_in && c->reset_sent)
      rtc__sctp_chan_remove(s, c);
    else
      i++;
  }
  s->in_drain = false;
}

/* Channels whose stream reset waits on the peer for too long end here (see
 * RTC__SCTP_RESET_TIMEOUT_US): reported closed, stream released. */
static void sctp_reset_timeouts(rtc_sctp_t *s) {
  uint64_t now = rtc__sctp_now_us();
  for (unsigned i = 0; i < s->nchans;) {
    rtc__sctp_chan_t *c = s->chans[i];
    bool waiting = (c->state == RTC__SCTP_CHAN_CLOSING || c->state == RTC__SCTP_CHAN_RESETTING) &&
                   !c->head && !(c->reset_in && c->reset_sent);
    if (!waiting) {
      i++;
      continue;
    }
    if (!c->reset_wait_us) c->reset_wait_us = now ? now : 1;
    if (now - c->reset_wait_us < RTC__SCTP_RESET_TIMEOUT_US) {
      i++;
      continue;
    }
    RTC_LOG(RTC_LOG_WARN, "sctp", "stream %u: the peer did not complete its reset in %u s; closed",
            c->stream, RTC__SCTP_RESET_TIMEOUT_US / 1000000u);
    s->stats.resets_timed_out++;
    rtc__sctp_chan_close_now(s, c); /* removes chans[i]: the next one moves in */
  }
}

bool rtc__sctp_resetting(const rtc_sctp_t *s) {
  if (s->reset_wanted) return true;
  for (unsigned i = 0; i < s->nchans; i++)
    if (s->chans[i]->state == RTC__SCTP_CHAN_CLOSING ||
        s->chans[i]->state == RTC__SCTP_CHAN_RESETTING)
      return true;
  return false;
}

void rtc__sctp_after_timers(rtc_sctp_t *s) {
  if (s->nchans && !s->in_drain) sctp_reset_timeouts(s);
  bool queued = false;
  for (unsigned i = 0; i < s->nchans && !queued; i++)
    if (s->chans[i]->head) queued = true;
  if ((s->readable && !s->rx_paused) || queued || s->reset_wanted) sctp_drain(s);
}

static void sctp_upcall(struct socket *sock, void *arg, int flags) {
  rtc_sctp_t *s = rtc__sctp_registry_get(arg);
  if (!s) return;
  s->readable = true; /* read later, outside usrsctp's call stack */
  rtc__sctp_wake(s);
}

/* ---------- lifetime ---------- */

rtc_sctp_t *rtc_sctp_create(const rtc_sctp_config_t *cfg) {
  rtc_sctp_t *s = NULL;
  if (!cfg || rtc_sctp_global_init() < 0) goto fail;
  s = calloc(1, sizeof *s);
  if (!s) goto fail;
  s->cfg = *cfg;
  /* What we accept bounds our reassembly buffer: 0 ("any size", RFC 8841) cannot be
   * honoured with bounded memory, so it means our default. */
  if (!s->cfg.local_max_message_size)
    s->cfg.local_max_message_size = RTC_SCTP_DEFAULT_MAX_MESSAGE_SIZE;
  s->max_streams = cfg->max_streams ? cfg->max_streams : RTC_SCTP_MAX_CHANNELS;
  if (!s->cfg.max_buffered) s->cfg.max_buffered = RTC__SCTP_CHAN_QUEUE_MAX;
  if (s->max_streams < 2) s->max_streams = 2; /* one id of each parity at least */
  if (!s->cfg.local_port) s->cfg.local_port = 5000;
  if (!s->cfg.remote_port) s->cfg.remote_port = 5000;
  s->next_stream = cfg->dtls_client ? 0 : 1;
  if (rtc__sctp_registry_add(s, &s->handle) < 0) goto fail;
  s->registered = true;
  s->port = rtc__sctp_port_alloc(s);
  s->conn_addr = s->port ? (void *)&rtc__sctp_shared_addr : s->handle;
  if (!s->port) usrsctp_register_address(s->handle);
  s->sock = usrsctp_socket(AF_CONN, SOCK_STREAM, IPPROTO_SCTP, NULL, NULL, 0, NULL);
  if (!s->sock) goto fail;
  if (usrsctp_set_non_blocking(s->sock, 1) < 0) goto fail;
  if (usrsctp_set_upcall(s->sock, sctp_upcall, s->handle) < 0) goto fail;
  /* Closing aborts at once (linger 0): the DTLS transport under us is going away. */
  struct linger lg = {.l_onoff = 1, .l_linger = 0};
  if (usrsctp_setsockopt(s->sock, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) < 0) goto fail;
  struct sctp_assoc_value av = {.assoc_id = SCTP_ALL_ASSOC,
                                .assoc_value = SCTP_ENABLE_RESET_STREAM_REQ};
  if (usrsctp_setsockopt(s->sock, IPPROTO_SCTP, SCTP_ENABLE_STREAM_RESET, &av, sizeof av) < 0)
    goto fail;
  int one = 1;
  /* Messages are independent: no Nagle (latency), one sendv = one message. */
  if (usrsctp_setsockopt(s->sock, IPPROTO_SCTP, SCTP_NODELAY, &one, sizeof one) < 0) goto fail;
  if (usrsctp_setsockopt(s->sock, IPPROTO_SCTP, SCTP_RECVRCVINFO, &one, sizeof one) < 0) goto fail;
  static const uint16_t events[] = {SCTP_ASSOC_CHANGE, SCTP_STREAM_RESET_EVENT,
                                    SCTP_SENDER_DRY_EVENT, SCTP_SEND_FAILED_EVENT,
                                    SCTP_PARTIAL_DELIVERY_EVENT};
  for (size_t i = 0; i < sizeof events / sizeof events[0]; i++) {
    struct sctp_event ev = {.se_assoc_id = SCTP_ALL_ASSOC, .se_type = events[i], .se_on = 1};
    if (usrsctp_setsockopt(s->sock, IPPROTO_SCTP, SCTP_EVENT, &ev, sizeof ev) < 0) goto fail;
  }
  /* RFC 8831 section 6.2 asks for 65535 each way; usrsctp allocates per stream at
   * association setup, so we announce what we are ready to use (see max_streams). */
  struct sctp_initmsg im = {.sinit_num_ostreams = s->max_streams,
                            .sinit_max_instreams = s->max_streams};
  if (usrsctp_setsockopt(s->sock, IPPROTO_SCTP, SCTP_INITMSG, &im, sizeof im) < 0) goto fail;
  struct sctp_paddrparams pp;
  memset(&pp, 0, sizeof pp);
  /* No SCTP heartbeats: ICE consent freshness (RFC 7675) already probes the path
   * every ~5 s and fails it after 30 s. usrsctp walks every armed timer on each
   * 10 ms tick, and a heartbeat timer per association was half of that list with
   * thousands of idle associations. We still answer the peer's heartbeats. */
  pp.spp_flags = SPP_PMTUD_DISABLE | SPP_HB_DISABLE;
  pp.spp_pathmtu = RTC__SCTP_PATH_MTU;
  if (usrsctp_setsockopt(s->sock, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, &pp, sizeof pp) < 0)
    goto fail;
  struct sockaddr_conn sc;
  memset(&sc, 0, sizeof sc);
  sc.sconn_family = AF_CONN;
  sc.sconn_port = htons(s->port ? s->port : s->cfg.local_port);
  sc.sconn_addr = s->conn_addr;
  if (usrsctp_bind(s->sock, (struct sockaddr *)&sc, sizeof sc) < 0) goto fail;
  return s;
fail:
  RTC_LOG(RTC_LOG_WARN, "sctp", "cannot create the association: %s", strerror(errno));
  rtc_sctp_destroy(s);
  return NULL;
}

void rtc_sctp_destroy(rtc_sctp_t *s) {
  if (!s) return;
  if (s->sock) {
    usrsctp_set_upcall(s->sock, NULL, NULL);
    usrsctp_close(s->sock); /* linger 0: ABORT, association freed */
  }
  if (s->registered) {
    if (!s->port) usrsctp_deregister_address(s->handle);
    rtc__sctp_registry_remove(s->handle);
  }
  while (s->nchans)
    rtc__sctp_chan_remove(s, s->chans[s->nchans - 1]);
  free(s->chans);
  free(s->by_id);
  rtc__sctp_pkt_t *k = s->txq_head;
  while (k) {
    rtc__sctp_pkt_t *n = k->next;
    sctp_pkt_put(k);
    k = n;
  }
  sctp_pkt_put(s->tx_cur);
  rtc__sctp_ev_t *e = s->ev_head;
  while (e) {
    rtc__sctp_ev_t *n = e->next;
    free(e);
    e = n;
  }
  free(s->ev_cur);
  free(s->rx_buf);
  rtc__sctp_port_free(s->port);
  free(s);
}

int rtc_sctp_start(rtc_sctp_t *s) {
  if (!s || !s->sock) return RTC_EINVAL;
  if (s->started) return 0;
  struct sockaddr_conn sc;
  memset(&sc, 0, sizeof sc);
  sc.sconn_family = AF_CONN;
  sc.sconn_port = htons(s->port ? (uint16_t)(s->port + 1) : s->cfg.remote_port);
  sc.sconn_addr = s->conn_addr;
  s->started = true;
  /* Non-blocking: EINPROGRESS is the normal answer; COMM_UP comes as a notification. */
  int r = usrsctp_connect(s->sock, (struct sockaddr *)&sc, sizeof sc);
  if (r < 0 && errno != EINPROGRESS) {
    RTC_LOG(RTC_LOG_WARN, "sctp", "connect failed: %s", strerror(errno));
    return RTC_EIO;
  }
  sctp_drain(s);
  return 0;
}

int rtc_sctp_handle_packet(rtc_sctp_t *s, const uint8_t *p, size_t len) {
  if (!s || !s->sock) return RTC_EINVAL;
  if (!p || len == 0) return 0;
  usrsctp_conninput(s->conn_addr, rtc__sctp_port_in(s, p, len), len, 0);
  sctp_drain(s);
  return 0;
}

bool rtc_sctp_poll_transmit(rtc_sctp_t *s, const uint8_t **p, size_t *len) {
  sctp_pkt_put(s->tx_cur);
  s->tx_cur = NULL;
  rtc__sctp_pkt_t *k = s->txq_head;
  if (!k) return false;
  s->txq_head = k->next;
  if (!s->txq_head) s->txq_tail = NULL;
  s->txq_n--;
  s->tx_cur = k;
  *p = k->data;
  *len = k->len;
  return true;
}

bool rtc_sctp_poll_event(rtc_sctp_t *s, rtc_sctp_event_t *out) {
  free(s->ev_cur);
  s->ev_cur = NULL;
  rtc__sctp_ev_t *e = s->ev_head;
  if (!e && s->rx_paused) {
    /* The owner caught up: read what usrsctp kept for us (reopens the window). */
    s->rx_paused = false;
    sctp_drain(s);
    e = s->ev_head;
  }
  if (!e) return false;
  s->ev_head = e->next;
  if (!s->ev_head) s->ev_tail = NULL;
  s->ev_bytes -= e->size;
  s->ev_cur = e;
  *out = e->ev;
  return true;
}

void *rtc_sctp_take_event(rtc_sctp_t *s) {
  if (!s || !s->ev_cur) return NULL;
  void *block = s->ev_cur;
  s->ev_cur = NULL;
  return block;
}

bool rtc_sctp_is_connected(const rtc_sctp_t *s) { return s && s->connected; }
uint16_t rtc_sctp_max_streams(const rtc_sctp_t *s) { return s->max_streams; }
void rtc_sctp_set_remote_max_message_size(rtc_sctp_t *s, size_t mms) {
  s->cfg.remote_max_message_size = mms;
}

/* Closing the socket with linger 0 makes usrsctp send an ABORT through the output
 * callback; it stays queued here so the owner can still send it (through DTLS,
 * before close_notify, as Chromium does) and destroy afterwards. */
void rtc_sctp_abort(rtc_sctp_t *s) {
  if (!s || !s->sock) return;
  usrsctp_set_upcall(s->sock, NULL, NULL);
  usrsctp_close(s->sock);
  s->sock = NULL;
}

/* Cheap: lets the owner skip an idle association after the shared timer tick. */
bool rtc_sctp_has_pending(const rtc_sctp_t *s) {
  return s && (s->txq_head || s->ev_head || (s->readable && !s->rx_paused));
}
