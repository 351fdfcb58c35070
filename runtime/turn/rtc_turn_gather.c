/* ICE servers and the transactions gathering runs against them (see the header). */
#include "turn/rtc_turn_gather.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rtc_err.h"
#include "base/rtc_log.h"
#include "base/rtc_random.h"
#include "base/rtc_time.h"
#include "ice/rtc_stun.h"

/* RFC 8489 6.2.1 starts at RTO = 500 ms and sends 7 times (39.5 s). Gathering waits
 * for these, so like libwebrtc we give up sooner: 250 ms doubling to 1.6 s, 6 sends
 * (about 5 s to the 701 error). */
#define GATHER_RTO_INITIAL_MS 250
#define GATHER_RTO_MAX_MS 1600
#define RTC_TURN_GATHER_TRIES 6
#define GATHER_TX_MAX 128 /* a Binding request: header + FINGERPRINT */
#define GATHER_QUEUE 16
#define GATHER_EVENTS 32

typedef struct gather_server {
  rtc_turn_url_t url;
  char *text, *username, *credential;
  bool resolved;
  rtc_addr_t addrs[RTC_TURN_MAX_ADDRS];
  size_t n_addrs;
} gather_server_t;

typedef enum { TX_RUNNING = 0, TX_DONE } tx_state_t;

typedef struct gather_tx {
  size_t server;
  rtc_addr_t local, remote;
  uint8_t tid[RTC_STUN_TID_LEN];
  tx_state_t state;
  int tries;
  uint32_t rto_ms;
  uint64_t next_us;
  bool has_mapped;
  rtc_addr_t mapped; /* what the server answered */
} gather_tx_t;

typedef struct gather_out {
  rtc_addr_t local, remote;
  size_t len;
  uint8_t data[GATHER_TX_MAX];
} gather_out_t;

struct rtc_turn_gather {
  gather_server_t servers[RTC_TURN_MAX_SERVERS];
  size_t n_servers;
  rtc_addr_t locals[RTC_TURN_MAX_TX];
  size_t n_locals;
  gather_tx_t tx[RTC_TURN_MAX_TX];
  size_t n_tx;
  bool started, closed;
  gather_out_t out[GATHER_QUEUE], out_cur;
  size_t out_head, out_n;
  rtc_turn_gather_event_t ev[GATHER_EVENTS];
  size_t ev_head, ev_n;
  rtc_turn_gather_stats_t stats;
};

rtc_turn_gather_t *rtc_turn_gather_create(void) { return calloc(1, sizeof(rtc_turn_gather_t)); }

static void wipe_free(char *s) {
  if (!s) return;
  memset(s, 0, strlen(s));
  free(s);
}

void rtc_turn_gather_destroy(rtc_turn_gather_t *g) {
  if (!g) return;
  for (size_t i = 0; i < g->n_servers; i++) {
    free(g->servers[i].text);
    wipe_free(g->servers[i].username);
    wipe_free(g->servers[i].credential);
  }
  free(g);
}

int rtc_turn_gather_add_server(rtc_turn_gather_t *g, const char *url, const char *username,
                               const char *credential, char *err, size_t errcap) {
  rtc_turn_url_t u;
  int r = rtc_turn_url_parse(url, &u, err, errcap);
  if (r < 0) return r;
  if (rtc_turn_url_is_turn(&u) && (!username || !credential)) {
    if (err) snprintf(err, errcap, "'%.64s': a TURN server needs username and credential", url);
    return RTC_EINVAL;
  }
  if (g->n_servers == RTC_TURN_MAX_SERVERS) {
    if (err) snprintf(err, errcap, "more than %d ICE server URLs", RTC_TURN_MAX_SERVERS);
    return RTC_ELIMIT;
  }
  gather_server_t *s = &g->servers[g->n_servers];
  memset(s, 0, sizeof(*s));
  s->url = u;
  s->text = strdup(url);
  s->username = username ? strdup(username) : NULL;
  s->credential = credential ? strdup(credential) : NULL;
  if (!s->text || (username && !s->username) || (credential && !s->credential)) {
    free(s->text);
    wipe_free(s->username);
    wipe_free(s->credential);
    return RTC_ENOMEM;
  }
  return (int)g->n_servers++;
}

size_t rtc_turn_gather_n_servers(const rtc_turn_gather_t *g) { return g->n_servers; }
const rtc_turn_url_t *rtc_turn_gather_server(const rtc_turn_gather_t *g, size_t i) {
  return i < g->n_servers ? &g->servers[i].url : NULL;
}
const char *rtc_turn_gather_server_url_text(const rtc_turn_gather_t *g, size_t i) {
  return i < g->n_servers ? g->servers[i].text : "";
}

const rtc_addr_t *rtc_turn_gather_server_addresses(const rtc_turn_gather_t *g, size_t i, size_t *n) {
  *n = i < g->n_servers ? g->servers[i].n_addrs : 0;
  return *n ? g->servers[i].addrs : NULL;
}

void rtc_turn_gather_server_credentials(const rtc_turn_gather_t *g, size_t i, const char **username,
                                        const char **credential) {
  *username = i < g->n_servers ? g->servers[i].username : NULL;
  *credential = i < g->n_servers ? g->servers[i].credential : NULL;
}

/* ---- queues ---- */

static void push_event(rtc_turn_gather_t *g, const rtc_turn_gather_event_t *ev) {
  if (g->ev_n == GATHER_EVENTS) return; /* the owner is not draining: drop the newest */
  g->ev[(g->ev_head + g->ev_n++) % GATHER_EVENTS] = *ev;
}

static void push_error(rtc_turn_gather_t *g, size_t server, const rtc_addr_t *base, int code,
                       const char *text) {
  rtc_turn_gather_event_t ev;
  memset(&ev, 0, sizeof(ev));
  ev.type = RTC_TURN_GATHER_ERROR;
  ev.server = server;
  if (base) ev.base = *base;
  ev.code = code;
  snprintf(ev.text, sizeof(ev.text), "%s", text);
  push_event(g, &ev);
}

bool rtc_turn_gather_poll_event(rtc_turn_gather_t *g, rtc_turn_gather_event_t *out) {
  if (g->ev_n == 0) return false;
  *out = g->ev[g->ev_head];
  g->ev_head = (g->ev_head + 1) % GATHER_EVENTS;
  g->ev_n--;
  return true;
}

bool rtc_turn_gather_poll_transmit(rtc_turn_gather_t *g, rtc_transmit_t *out) {
  if (g->out_n == 0) return false;
  g->out_cur = g->out[g->out_head];
  g->out_head = (g->out_head + 1) % GATHER_QUEUE;
  g->out_n--;
  out->local = g->out_cur.local;
  out->remote = g->out_cur.remote;
  out->data = g->out_cur.data;
  out->len = g->out_cur.len;
  return true;
}

/* ---- transactions ---- */

static void tx_send(rtc_turn_gather_t *g, gather_tx_t *t) {
  if (g->out_n == GATHER_QUEUE) return; /* full: the retransmission will go */
  gather_out_t *o = &g->out[(g->out_head + g->out_n) % GATHER_QUEUE];
  rtc_stun_writer_t w;
  rtc_stun_writer_init(&w, o->data, sizeof(o->data), RTC_STUN_BINDING | RTC_STUN_REQUEST, t->tid);
  rtc_stun_put_fingerprint(&w);
  int n = rtc_stun_writer_finish(&w);
  if (n < 0) return;
  o->local = t->local;
  o->remote = t->remote;
  o->len = (size_t)n;
  g->out_n++;
  g->stats.requests_sent++;
}

/* One Binding per (server address, socket) of the same family; bounded. */
static void tx_add(rtc_turn_gather_t *g, uint64_t now_us, size_t server, const rtc_addr_t *local,
                   const rtc_addr_t *remote) {
  if (g->closed || rtc_addr_family(local) != rtc_addr_family(remote)) return;
  /* Only UDP today: TCP/TLS servers come with the TURN client. */
  if (g->servers[server].url.proto != RTC_TURN_PROTO_UDP) return;
  for (size_t i = 0; i < g->n_tx; i++)
    if (g->tx[i].server == server && rtc_addr_equal(&g->tx[i].local, local) &&
        rtc_addr_equal(&g->tx[i].remote, remote))
      return;
  if (g->n_tx == RTC_TURN_MAX_TX) return;
  gather_tx_t *t = &g->tx[g->n_tx++];
  memset(t, 0, sizeof(*t));
  t->server = server;
  t->local = *local;
  t->remote = *remote;
  rtc_random_bytes(t->tid, sizeof(t->tid));
  t->rto_ms = GATHER_RTO_INITIAL_MS;
  t->tries = 1;
  t->next_us = now_us + RTC_MS(t->rto_ms);
  tx_send(g, t);
}

static void pair_up(rtc_turn_gather_t *g, uint64_t now_us) {
  if (!g->started) return;
  for (size_t s = 0; s < g->n_servers; s++)
    for (size_t a = 0; a < g->servers[s].n_addrs; a++)
      for (size_t l = 0; l < g->n_locals; l++)
        tx_add(g, now_us, s, &g->locals[l], &g->servers[s].addrs[a]);
}

void rtc_turn_gather_start(rtc_turn_gather_t *g, uint64_t now_us) {
  g->started = true;
  pair_up(g, now_us);
}

void rtc_turn_gather_set_server_addresses(rtc_turn_gather_t *g, uint64_t now_us, size_t i,
                                          const rtc_addr_t *addrs, size_t n) {
  if (i >= g->n_servers || g->servers[i].resolved) return;
  gather_server_t *s = &g->servers[i];
  s->resolved = true;
  for (size_t k = 0; k < n && s->n_addrs < RTC_TURN_MAX_ADDRS; k++) {
    rtc_addr_t a = addrs[k];
    rtc_addr_set_port(&a, s->url.port);
    s->addrs[s->n_addrs++] = a;
  }
  if (s->n_addrs == 0) {
    push_error(g, i, NULL, 701, "server name did not resolve");
    return;
  }
  pair_up(g, now_us);
}

void rtc_turn_gather_add_local(rtc_turn_gather_t *g, uint64_t now_us, const rtc_addr_t *local) {
  for (size_t i = 0; i < g->n_locals; i++)
    if (rtc_addr_equal(&g->locals[i], local)) return;
  if (g->n_locals == RTC_TURN_MAX_TX) return;
  g->locals[g->n_locals++] = *local;
  pair_up(g, now_us);
}

bool rtc_turn_gather_handle_datagram(rtc_turn_gather_t *g, uint64_t now_us, const rtc_addr_t *local,
                                     const rtc_addr_t *from, const uint8_t *p, size_t len) {
  (void)now_us;
  (void)local;
  if (g->n_tx == 0 || !rtc_stun_is_stun(p, len)) return false;
  gather_tx_t *t = NULL;
  for (size_t i = 0; i < g->n_tx && !t; i++)
    if (rtc_addr_equal(&g->tx[i].remote, from) &&
        memcmp(g->tx[i].tid, p + 8, RTC_STUN_TID_LEN) == 0)
      t = &g->tx[i];
  if (!t) return false;
  if (t->state == TX_DONE) return true; /* the answer to a retransmission */
  rtc_stun_msg_t m;
  if (rtc_stun_parse(p, len, &m) < 0 || m.method != RTC_STUN_BINDING ||
      (m.cls != RTC_STUN_SUCCESS && m.cls != RTC_STUN_ERROR)) {
    g->stats.dropped++;
    return true;
  }
  g->stats.responses_received++;
  t->state = TX_DONE;
  if (m.cls == RTC_STUN_ERROR) {
    char text[64];
    snprintf(text, sizeof(text), "STUN error response %u", (unsigned)m.error_code);
    push_error(g, t->server, &t->local, m.error_code ? m.error_code : 701, text);
    return true;
  }
  const rtc_addr_t *mapped = m.has_xor_mapped ? &m.xor_mapped : m.has_mapped ? &m.mapped : NULL;
  if (!mapped) {
    push_error(g, t->server, &t->local, 701, "no mapped address in the Binding response");
    return true;
  }
  t->mapped = *mapped;
  t->has_mapped = true;
  /* RFC 8445 5.1.3: a srflx candidate equal to its base (no NAT) is redundant. */
  if (rtc_addr_equal(mapped, &t->local)) return true;
  /* The same mapping learnt through another server is the same candidate. */
  for (size_t i = 0; i < g->n_tx; i++) {
    const gather_tx_t *o = &g->tx[i];
    if (o != t && o->has_mapped && rtc_addr_equal(&o->local, &t->local) &&
        rtc_addr_equal(&o->mapped, mapped))
      return true;
  }
  rtc_turn_gather_event_t ev;
  memset(&ev, 0, sizeof(ev));
  ev.type = RTC_TURN_GATHER_SRFLX;
  ev.server = t->server;
  ev.base = t->local;
  ev.mapped = *mapped;
  push_event(g, &ev);
  return true;
}

void rtc_turn_gather_handle_timeout(rtc_turn_gather_t *g, uint64_t now_us) {
  if (g->closed) return;
  for (size_t i = 0; i < g->n_tx; i++) {
    gather_tx_t *t = &g->tx[i];
    if (t->state != TX_RUNNING || t->next_us > now_us) continue;
    if (t->tries >= RTC_TURN_GATHER_TRIES) {
      t->state = TX_DONE;
      push_error(g, t->server, &t->local, 701, "STUN server did not answer");
      continue;
    }
    t->tries++;
    t->rto_ms = t->rto_ms * 2 > GATHER_RTO_MAX_MS ? GATHER_RTO_MAX_MS : t->rto_ms * 2;
    t->next_us = now_us + RTC_MS(t->rto_ms);
    tx_send(g, t);
  }
}

uint64_t rtc_turn_gather_poll_timeout(const rtc_turn_gather_t *g) {
  uint64_t d = RTC_NEVER;
  if (g->closed) return d;
  for (size_t i = 0; i < g->n_tx; i++)
    if (g->tx[i].state == TX_RUNNING && g->tx[i].next_us < d) d = g->tx[i].next_us;
  return d;
}

bool rtc_turn_gather_is_done(const rtc_turn_gather_t *g) {
  if (g->closed) return true;
  for (size_t s = 0; s < g->n_servers; s++)
    if (!g->servers[s].resolved &&
        (g->servers[s].url.proto == RTC_TURN_PROTO_UDP || rtc_turn_url_is_turn(&g->servers[s].url)))
      return false; /* TCP/TLS TURN servers are resolved for the owner's TURN clients */
  for (size_t i = 0; i < g->n_tx; i++)
    if (g->tx[i].state == TX_RUNNING) return false;
  return true;
}

void rtc_turn_gather_close(rtc_turn_gather_t *g) {
  g->closed = true;
  g->out_n = 0;
}

void rtc_turn_gather_get_stats(const rtc_turn_gather_t *g, rtc_turn_gather_stats_t *out) {
  *out = g->stats;
}
