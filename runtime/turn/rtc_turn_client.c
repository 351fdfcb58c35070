/* TURN client (RFC 8656): one allocation, its permissions and channels (see the header). */
#include "turn/rtc_turn_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rtc_bytes.h"
#include "base/rtc_err.h"
#include "base/rtc_log.h"
#include "base/rtc_random.h"
#include "base/rtc_time.h"
#include "ice/rtc_stun.h"
#include "turn/rtc_turn_chan.h"

/* RFC 8489 6.2.1 starts at 500 ms; like the gatherer (and libwebrtc) we start lower and
 * cap the backoff, so an unreachable server is reported in about 6.5 s. */
#define CLIENT_RTO_INITIAL_MS 250
#define CLIENT_RTO_MAX_MS 1600
/* RFC 8656 9: permissions last 300 s; 12: channel bindings 600 s. Both refreshed here. */
#define CLIENT_PEER_REFRESH_MS 240000
/* RFC 8656 7.1: refresh "well before" expiry: a minute before, or at half of a short one. */
#define CLIENT_REFRESH_MARGIN_S 60
#define CLIENT_STALE_RETRIES 3 /* 438 answers accepted per request */
#define CLIENT_OUT_SLOTS 8
#define CLIENT_OUT_MAX 1280 /* a request: USERNAME <= 512, REALM/NONCE <= 255 each */
#define CLIENT_EVENTS 8
#define CLIENT_SEND_OVERHEAD 64 /* Send indication: header, XOR-PEER-ADDRESS (v6), DATA */
#define CLIENT_LIFETIME_DEFAULT_S 600

typedef enum { TX_ALLOCATE = 0, TX_REFRESH, TX_PERMISSION, TX_CHANNEL } tx_kind_t;

typedef struct client_tx {
  bool active, authed;
  tx_kind_t kind;
  int peer; /* TX_PERMISSION / TX_CHANNEL */
  uint8_t tid[RTC_STUN_TID_LEN];
  int tries, stale;
  uint32_t rto_ms;
  uint64_t next_us;
} client_tx_t;

typedef enum { PEER_NONE = 0, PEER_PENDING, PEER_OK, PEER_FAILED } peer_state_t;

typedef struct client_peer {
  rtc_addr_t addr;
  uint16_t channel;
  peer_state_t perm, chan;
  uint64_t refresh_us; /* next CreatePermission + ChannelBind refresh */
  client_tx_t perm_tx, chan_tx;
} client_peer_t;

typedef struct client_out {
  size_t len;
  uint8_t data[CLIENT_OUT_MAX];
} client_out_t;

struct rtc_turn_client {
  char *username, *password;
  rtc_addr_t local, server, relayed, mapped, relayed2;
  uint32_t lifetime_req_s, lifetime_s;
  bool stream;
  rtc_turn_family_t family; /* asked for (a refused dual request falls back to IPv4) */
  rtc_turn_client_state_t state;
  char realm[RTC_STUN_MAX_REALM + 1], nonce[RTC_STUN_MAX_REALM + 1];
  bool has_key;
  uint8_t key[16];
  client_tx_t main_tx; /* Allocate, then Refresh */
  uint64_t refresh_us; /* next Refresh (RTC_NEVER before allocated) */
  client_peer_t peers[RTC_TURN_CLIENT_MAX_PEERS];
  size_t n_peers;
  uint32_t ind_counter;
  uint8_t ind_tid[RTC_STUN_TID_LEN];
  client_out_t out[CLIENT_OUT_SLOTS];
  size_t out_head, out_n;
  uint8_t out_cur[CLIENT_OUT_MAX];
  size_t out_cur_len;
  uint8_t wrap_buf[RTC_TURN_CLIENT_MAX_PAYLOAD + CLIENT_SEND_OVERHEAD];
  rtc_turn_client_event_t ev[CLIENT_EVENTS];
  size_t ev_head, ev_n;
  rtc_turn_client_stats_t stats;
};

static void tx_start(rtc_turn_client_t *c, client_tx_t *t, tx_kind_t kind, int peer,
                     uint64_t now_us);

static void wipe_free(char *s) {
  if (!s) return;
  memset(s, 0, strlen(s));
  free(s);
}

rtc_turn_client_t *rtc_turn_client_create(const rtc_turn_client_config_t *cfg, uint64_t now_us) {
  if (!cfg || !cfg->username || !cfg->password) return NULL;
  if (strlen(cfg->username) > RTC_STUN_MAX_USERNAME) return NULL;
  rtc_turn_client_t *c = calloc(1, sizeof(*c));
  if (!c) return NULL;
  c->username = strdup(cfg->username);
  c->password = strdup(cfg->password);
  if (!c->username || !c->password) {
    rtc_turn_client_destroy(c);
    return NULL;
  }
  c->local = cfg->local;
  c->server = cfg->server;
  c->lifetime_req_s = cfg->lifetime_s;
  c->stream = cfg->stream;
  c->family = cfg->family;
  c->refresh_us = RTC_NEVER;
  rtc_random_bytes(c->ind_tid, sizeof(c->ind_tid));
  tx_start(c, &c->main_tx, TX_ALLOCATE, -1, now_us);
  return c;
}

void rtc_turn_client_destroy(rtc_turn_client_t *c) {
  if (!c) return;
  wipe_free(c->username);
  wipe_free(c->password);
  memset(c->key, 0, sizeof(c->key));
  free(c);
}

/* ---- queues ---- */

static void push_event(rtc_turn_client_t *c, const rtc_turn_client_event_t *ev) {
  if (c->ev_n == CLIENT_EVENTS) return; /* the owner is not draining */
  c->ev[(c->ev_head + c->ev_n++) % CLIENT_EVENTS] = *ev;
}

static void fail(rtc_turn_client_t *c, int code, const char *text) {
  if (c->state == RTC_TURN_CLIENT_FAILED || c->state == RTC_TURN_CLIENT_CLOSED) return;
  RTC_LOG(RTC_LOG_DEBUG, "turn", "allocation failed: %d %s", code, text);
  c->state = RTC_TURN_CLIENT_FAILED;
  c->main_tx.active = false;
  for (size_t i = 0; i < c->n_peers; i++)
    c->peers[i].perm_tx.active = c->peers[i].chan_tx.active = false;
  c->refresh_us = RTC_NEVER;
  rtc_turn_client_event_t ev;
  memset(&ev, 0, sizeof(ev));
  ev.type = RTC_TURN_CLIENT_EVENT_FAILED;
  ev.code = code;
  snprintf(ev.text, sizeof(ev.text), "%s", text);
  push_event(c, &ev);
}

bool rtc_turn_client_poll_event(rtc_turn_client_t *c, rtc_turn_client_event_t *out) {
  if (c->ev_n == 0) return false;
  *out = c->ev[c->ev_head];
  c->ev_head = (c->ev_head + 1) % CLIENT_EVENTS;
  c->ev_n--;
  return true;
}

bool rtc_turn_client_poll_transmit(rtc_turn_client_t *c, rtc_transmit_t *out) {
  if (c->out_n == 0) return false;
  client_out_t *o = &c->out[c->out_head];
  memcpy(c->out_cur, o->data, o->len);
  c->out_cur_len = o->len;
  c->out_head = (c->out_head + 1) % CLIENT_OUT_SLOTS;
  c->out_n--;
  out->local = c->local;
  out->remote = c->server;
  out->data = c->out_cur;
  out->len = c->out_cur_len;
  return true;
}

/* ---- requests ---- */

static uint16_t tx_method(tx_kind_t k) {
  switch (k) {
  case TX_ALLOCATE: return RTC_STUN_ALLOCATE;
  case TX_REFRESH: return RTC_STUN_REFRESH;
  case TX_PERMISSION: return RTC_STUN_CREATE_PERMISSION;
  default: return RTC_STUN_CHANNEL_BIND;
  }
}

/* Builds the request of t into a queue slot (a full queue drops it: retransmission). */
static void tx_send(rtc_turn_client_t *c, client_tx_t *t, uint32_t lifetime_s, bool lifetime) {
  if (c->out_n == CLIENT_OUT_SLOTS) return;
  client_out_t *o = &c->out[(c->out_head + c->out_n) % CLIENT_OUT_SLOTS];
  rtc_stun_writer_t w;
  rtc_stun_writer_init(&w, o->data, sizeof(o->data), tx_method(t->kind) | RTC_STUN_REQUEST, t->tid);
  if (t->kind == TX_ALLOCATE) {
    /* RFC 8656 18.13: protocol 17 (UDP) in the first byte. */
    const uint8_t udp[4] = {17, 0, 0, 0};
    rtc_stun_put_attr(&w, RTC_STUN_ATTR_REQUESTED_TRANSPORT, udp, sizeof(udp));
    /* RFC 8656 18.10/18.11: family 0x02 (IPv6), then 3 reserved bytes. */
    const uint8_t v6[4] = {0x02, 0, 0, 0};
    if (c->family == RTC_TURN_FAMILY_IPV6)
      rtc_stun_put_attr(&w, RTC_STUN_ATTR_REQUESTED_ADDRESS_FAMILY, v6, sizeof(v6));
    if (c->family == RTC_TURN_FAMILY_DUAL) {
      /* Both optional: a server acts on the one it knows and ignores the other. */
      rtc_stun_put_attr(&w, RTC_STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY, v6, sizeof(v6));
      rtc_stun_put_attr(&w, RTC_STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY_DRAFT, v6, sizeof(v6));
    }
  }
  if (lifetime) rtc_stun_put_u32(&w, RTC_STUN_ATTR_LIFETIME, lifetime_s);
  if (t->kind == TX_PERMISSION || t->kind == TX_CHANNEL) {
    const client_peer_t *p = &c->peers[t->peer];
    if (t->kind == TX_CHANNEL) {
      /* RFC 8656 18.1: the number, then 16 reserved bits. */
      uint8_t ch[4] = {(uint8_t)(p->channel >> 8), (uint8_t)p->channel, 0, 0};
      rtc_stun_put_attr(&w, RTC_STUN_ATTR_CHANNEL_NUMBER, ch, sizeof(ch));
    }
    rtc_stun_put_addr(&w, RTC_STUN_ATTR_XOR_PEER_ADDRESS, &p->addr, true);
  }
  t->authed = c->has_key;
  if (c->has_key) {
    rtc_stun_put_string(&w, RTC_STUN_ATTR_USERNAME, c->username);
    rtc_stun_put_string(&w, RTC_STUN_ATTR_REALM, c->realm);
    rtc_stun_put_string(&w, RTC_STUN_ATTR_NONCE, c->nonce);
    rtc_stun_put_integrity(&w, c->key, sizeof(c->key));
  }
  rtc_stun_put_fingerprint(&w);
  int n = rtc_stun_writer_finish(&w);
  if (n < 0) return;
  o->len = (size_t)n;
  c->out_n++;
  c->stats.requests_sent++;
}

static void tx_send_current(rtc_turn_client_t *c, client_tx_t *t) {
  if (t->kind == TX_ALLOCATE)
    tx_send(c, t, c->lifetime_req_s, c->lifetime_req_s != 0);
  else if (t->kind == TX_REFRESH)
    tx_send(c, t, c->lifetime_req_s ? c->lifetime_req_s : c->lifetime_s, true);
  else
    tx_send(c, t, 0, false);
}

static void tx_start(rtc_turn_client_t *c, client_tx_t *t, tx_kind_t kind, int peer,
                     uint64_t now_us) {
  memset(t, 0, sizeof(*t));
  t->active = true;
  t->kind = kind;
  t->peer = peer;
  rtc_random_bytes(t->tid, sizeof(t->tid));
  t->rto_ms = c->stream ? 0 : CLIENT_RTO_INITIAL_MS;
  t->tries = 1;
  /* RFC 8489 6.2.2: over a stream no retransmission; the transaction times out
   * after 39.5 s. We keep the same budget as UDP's (about 6.5 s). */
  t->next_us = now_us + RTC_MS(c->stream ? 6500 : t->rto_ms);
  tx_send_current(c, t);
}

/* The same request again with a fresh transaction id (new nonce or credentials). */
static void tx_restart(rtc_turn_client_t *c, client_tx_t *t, uint64_t now_us) {
  int stale = t->stale;
  tx_start(c, t, t->kind, t->peer, now_us);
  t->stale = stale;
}

static void peer_start(rtc_turn_client_t *c, int i, uint64_t now_us) {
  client_peer_t *p = &c->peers[i];
  if (!p->perm_tx.active && p->perm != PEER_FAILED) {
    if (p->perm == PEER_NONE) p->perm = PEER_PENDING;
    tx_start(c, &p->perm_tx, TX_PERMISSION, i, now_us);
  }
  if (!p->chan_tx.active && p->chan != PEER_FAILED) {
    if (p->chan == PEER_NONE) p->chan = PEER_PENDING;
    tx_start(c, &p->chan_tx, TX_CHANNEL, i, now_us);
  }
  p->refresh_us = now_us + RTC_MS(CLIENT_PEER_REFRESH_MS);
}

/* RFC 8656 9.1: a relayed address reaches peers of its own family only. */
static bool family_relayed(const rtc_turn_client_t *c, int fam) {
  return fam && (fam == rtc_addr_family(&c->relayed) || fam == rtc_addr_family(&c->relayed2));
}

static int peer_find(const rtc_turn_client_t *c, const rtc_addr_t *a) {
  for (size_t i = 0; i < c->n_peers; i++)
    if (rtc_addr_equal(&c->peers[i].addr, a)) return (int)i;
  return -1;
}

static int peer_add(rtc_turn_client_t *c, uint64_t now_us, const rtc_addr_t *a) {
  int i = peer_find(c, a);
  if (i >= 0) return i;
  if (c->n_peers == RTC_TURN_CLIENT_MAX_PEERS) return -1;
  int f = rtc_addr_family(a);
  if (f != AF_INET && f != AF_INET6) return -1;
  i = (int)c->n_peers++;
  client_peer_t *p = &c->peers[i];
  memset(p, 0, sizeof(*p));
  p->addr = *a;
  p->channel = (uint16_t)(RTC_TURN_CHANNEL_MIN + i);
  p->refresh_us = RTC_NEVER;
  if (c->state == RTC_TURN_CLIENT_ALLOCATED) peer_start(c, i, now_us);
  return i;
}

void rtc_turn_client_add_peer(rtc_turn_client_t *c, uint64_t now_us, const rtc_addr_t *peer) {
  if (c->state == RTC_TURN_CLIENT_FAILED || c->state == RTC_TURN_CLIENT_CLOSED) return;
  /* RFC 8656 9.1: a relay reaches only peers of its own address family. */
  if (c->state == RTC_TURN_CLIENT_ALLOCATED && !family_relayed(c, rtc_addr_family(peer))) return;
  peer_add(c, now_us, peer);
}

static void schedule_refresh(rtc_turn_client_t *c, uint64_t now_us) {
  uint32_t lt = c->lifetime_s;
  uint32_t at = lt > 2 * CLIENT_REFRESH_MARGIN_S ? lt - CLIENT_REFRESH_MARGIN_S : lt / 2;
  c->refresh_us = now_us + RTC_MS((uint64_t)at * 1000);
}

/* ---- responses ---- */

static client_tx_t *tx_find(rtc_turn_client_t *c, const uint8_t *tid) {
  if (c->main_tx.active && memcmp(c->main_tx.tid, tid, RTC_STUN_TID_LEN) == 0) return &c->main_tx;
  for (size_t i = 0; i < c->n_peers; i++) {
    client_peer_t *p = &c->peers[i];
    if (p->perm_tx.active && memcmp(p->perm_tx.tid, tid, RTC_STUN_TID_LEN) == 0) return &p->perm_tx;
    if (p->chan_tx.active && memcmp(p->chan_tx.tid, tid, RTC_STUN_TID_LEN) == 0) return &p->chan_tx;
  }
  return NULL;
}

/* A request of ours failed for good. */
static void tx_failed(rtc_turn_client_t *c, client_tx_t *t, int code, const char *text) {
  t->active = false;
  if (t->kind == TX_ALLOCATE || t->kind == TX_REFRESH) {
    fail(c, code, text);
    return;
  }
  if (code == 437) {
    /* RFC 8656 6: allocation mismatch: the server no longer knows the allocation. */
    fail(c, code, "the TURN server lost the allocation (437)");
    return;
  }
  client_peer_t *p = &c->peers[t->peer];
  RTC_LOG(RTC_LOG_DEBUG, "turn", "%s for a peer failed: %d %s",
          t->kind == TX_PERMISSION ? "CreatePermission" : "ChannelBind", code, text);
  /* A failed refresh of a working binding leaves it until it expires on the server;
   * the next refresh tries again. A first attempt that failed is not retried. */
  if (t->kind == TX_PERMISSION && p->perm != PEER_OK) p->perm = PEER_FAILED;
  if (t->kind == TX_CHANNEL && p->chan != PEER_OK) p->chan = PEER_FAILED;
}

static void tx_succeeded(rtc_turn_client_t *c, client_tx_t *t, const rtc_stun_msg_t *m,
                         uint64_t now_us) {
  t->active = false;
  switch (t->kind) {
  case TX_ALLOCATE: {
    if (!m->has_xor_relayed) {
      fail(c, 701, "no XOR-RELAYED-ADDRESS in the Allocate response");
      return;
    }
    c->relayed = m->xor_relayed;
    if (m->has_xor_relayed2) c->relayed2 = m->xor_relayed2;
    if (m->has_xor_mapped) c->mapped = m->xor_mapped;
    c->lifetime_s = m->has_lifetime ? m->lifetime_s : CLIENT_LIFETIME_DEFAULT_S;
    c->state = RTC_TURN_CLIENT_ALLOCATED;
    schedule_refresh(c, now_us);
    rtc_turn_client_event_t ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = RTC_TURN_CLIENT_EVENT_ALLOCATED;
    ev.relayed = c->relayed;
    ev.relayed2 = c->relayed2;
    ev.mapped = c->mapped;
    ev.lifetime_s = c->lifetime_s;
    if (c->family == RTC_TURN_FAMILY_DUAL && !m->has_xor_relayed2) {
      /* Half of a dual request: the server said why (ADDRESS-ERROR-CODE), or it does
       * not know dual allocations. Not a failure: the allocation works. */
      ev.code = m->address_error_code ? m->address_error_code : 0;
      snprintf(ev.text, sizeof(ev.text), "no IPv%c relayed address: %s",
               rtc_addr_family(&c->relayed) == AF_INET ? '6' : '4',
               m->address_error_code ? "the server does not offer it"
                                     : "the server does not do dual allocations");
    }
    push_event(c, &ev);
    /* Peers asked for while allocating, of a relayed address's family. */
    for (size_t i = 0; i < c->n_peers; i++)
      if (family_relayed(c, rtc_addr_family(&c->peers[i].addr)))
        peer_start(c, (int)i, now_us);
      else
        c->peers[i].perm = c->peers[i].chan = PEER_FAILED;
    break;
  }
  case TX_REFRESH:
    if (m->has_lifetime && m->lifetime_s) c->lifetime_s = m->lifetime_s;
    c->stats.refreshes++;
    schedule_refresh(c, now_us);
    break;
  case TX_PERMISSION:
    c->peers[t->peer].perm = PEER_OK;
    c->stats.permissions++;
    break;
  case TX_CHANNEL:
    /* RFC 8656 12: a channel binding installs the permission too. */
    c->peers[t->peer].chan = PEER_OK;
    c->peers[t->peer].perm = PEER_OK;
    c->stats.channels++;
    break;
  }
}

static void handle_response(rtc_turn_client_t *c, uint64_t now_us, const uint8_t *p, size_t len,
                            client_tx_t *t) {
  rtc_stun_msg_t m;
  if (rtc_stun_parse(p, len, &m) < 0 || m.method != tx_method(t->kind)) {
    c->stats.dropped++;
    return;
  }
  if (m.cls == RTC_STUN_SUCCESS) {
    /* RFC 8489 9.2.5: a response to an authenticated request must carry a valid
     * MESSAGE-INTEGRITY; anything else is dropped (the real one may still come). */
    if (t->authed && rtc_stun_check_integrity(p, len, &m, c->key, sizeof(c->key)) < 0) {
      c->stats.dropped++;
      return;
    }
    c->stats.responses_received++;
    tx_succeeded(c, t, &m, now_us);
    return;
  }
  if (m.cls != RTC_STUN_ERROR) {
    c->stats.dropped++;
    return;
  }
  c->stats.responses_received++;
  int code = m.error_code;
  /* RFC 8656 7.4: a dual request refused as a whole (a server that knows one of the
   * attributes but not dual allocations, or cannot relay IPv4): ask for IPv4 alone. */
  if (t->kind == TX_ALLOCATE && c->family == RTC_TURN_FAMILY_DUAL &&
      (code == 400 || code == 420 || code == 440)) {
    RTC_LOG(RTC_LOG_DEBUG, "turn", "dual allocation refused (%d): asking IPv4 alone", code);
    c->family = RTC_TURN_FAMILY_IPV4;
    tx_restart(c, t, now_us);
    return;
  }
  /* RFC 8489 9.2.5: 401 to an unauthenticated request brings realm and nonce; 438
   * brings a new nonce. A 401 to an authenticated request: the credentials are wrong. */
  if ((code == 401 && !t->authed) || (code == 438 && t->stale < CLIENT_STALE_RETRIES)) {
    if (!m.has_nonce || (!m.has_realm && !c->realm[0])) {
      tx_failed(c, t, code, "no NONCE/REALM in the challenge");
      return;
    }
    if (m.has_realm) snprintf(c->realm, sizeof(c->realm), "%s", m.realm);
    snprintf(c->nonce, sizeof(c->nonce), "%s", m.nonce);
    if (rtc_stun_long_term_key(c->username, c->realm, c->password, c->key) < 0) {
      tx_failed(c, t, 701, "cannot derive the long-term key");
      return;
    }
    c->has_key = true;
    if (code == 438) t->stale++;
    tx_restart(c, t, now_us);
    return;
  }
  char text[96];
  snprintf(text, sizeof(text), "TURN error response %d", code);
  tx_failed(c, t, code ? code : 701, code == 401 ? "TURN server refused the credentials (401)" : text);
}

rtc_turn_client_input_t rtc_turn_client_handle_datagram(rtc_turn_client_t *c, uint64_t now_us,
                                                        const rtc_addr_t *from, const uint8_t *p,
                                                        size_t len, rtc_addr_t *peer,
                                                        const uint8_t **data, size_t *data_len) {
  if (!rtc_addr_equal(from, &c->server) || len == 0) return RTC_TURN_CLIENT_NOT_MINE;
  if (c->state == RTC_TURN_CLIENT_CLOSED) return RTC_TURN_CLIENT_CONSUMED;
  if (rtc_turn_is_channel_data(p, len)) {
    uint16_t ch;
    if (rtc_turn_channel_data_parse(p, len, &ch, data, data_len) < 0 || ch < RTC_TURN_CHANNEL_MIN ||
        (size_t)(ch - RTC_TURN_CHANNEL_MIN) >= c->n_peers ||
        c->peers[ch - RTC_TURN_CHANNEL_MIN].chan == PEER_NONE) {
      c->stats.dropped++;
      return RTC_TURN_CLIENT_CONSUMED;
    }
    *peer = c->peers[ch - RTC_TURN_CHANNEL_MIN].addr;
    c->stats.channel_data_received++;
    return RTC_TURN_CLIENT_DATA;
  }
  if (!rtc_stun_is_stun(p, len)) {
    /* Not ours to judge: the owner may have other uses for the socket. */
    return RTC_TURN_CLIENT_NOT_MINE;
  }
  uint16_t type = rtc_rd16(p);
  if (type == (RTC_STUN_DATA | RTC_STUN_INDICATION)) {
    rtc_stun_msg_t m;
    if (rtc_stun_parse(p, len, &m) < 0 || !m.has_xor_peer || !m.has_data) {
      c->stats.dropped++;
      return RTC_TURN_CLIENT_CONSUMED;
    }
    *peer = m.xor_peer;
    *data = p + m.data_off;
    *data_len = m.data_len;
    c->stats.data_indications_received++;
    return RTC_TURN_CLIENT_DATA;
  }
  client_tx_t *t = tx_find(c, p + 8);
  if (!t) return RTC_TURN_CLIENT_NOT_MINE; /* e.g. the gatherer's Binding */
  handle_response(c, now_us, p, len, t);
  return RTC_TURN_CLIENT_CONSUMED;
}

/* ---- timers ---- */

static void tx_timeout(rtc_turn_client_t *c, client_tx_t *t, uint64_t now_us) {
  if (!t->active || t->next_us > now_us) return;
  if (c->stream || t->tries >= RTC_TURN_CLIENT_TRIES) {
    tx_failed(c, t, 701, "TURN server did not answer");
    return;
  }
  t->tries++;
  t->rto_ms = t->rto_ms * 2 > CLIENT_RTO_MAX_MS ? CLIENT_RTO_MAX_MS : t->rto_ms * 2;
  t->next_us = now_us + RTC_MS(t->rto_ms);
  tx_send_current(c, t);
}

void rtc_turn_client_handle_timeout(rtc_turn_client_t *c, uint64_t now_us) {
  if (c->state == RTC_TURN_CLIENT_FAILED || c->state == RTC_TURN_CLIENT_CLOSED) return;
  tx_timeout(c, &c->main_tx, now_us);
  if (c->state != RTC_TURN_CLIENT_ALLOCATED) return;
  if (c->refresh_us <= now_us && !c->main_tx.active) {
    c->refresh_us = RTC_NEVER; /* rescheduled by the answer */
    tx_start(c, &c->main_tx, TX_REFRESH, -1, now_us);
  }
  for (size_t i = 0; i < c->n_peers; i++) {
    client_peer_t *p = &c->peers[i];
    tx_timeout(c, &p->perm_tx, now_us);
    tx_timeout(c, &p->chan_tx, now_us);
    if (p->refresh_us <= now_us) peer_start(c, (int)i, now_us);
  }
}

uint64_t rtc_turn_client_poll_timeout(const rtc_turn_client_t *c) {
  uint64_t d = RTC_NEVER;
  if (c->state == RTC_TURN_CLIENT_FAILED || c->state == RTC_TURN_CLIENT_CLOSED) return d;
  if (c->main_tx.active) d = c->main_tx.next_us;
  if (c->state != RTC_TURN_CLIENT_ALLOCATED) return d;
  d = rtc_time_min(d, c->refresh_us);
  for (size_t i = 0; i < c->n_peers; i++) {
    const client_peer_t *p = &c->peers[i];
    if (p->perm_tx.active) d = rtc_time_min(d, p->perm_tx.next_us);
    if (p->chan_tx.active) d = rtc_time_min(d, p->chan_tx.next_us);
    d = rtc_time_min(d, p->refresh_us);
  }
  return d;
}

/* ---- the data path ---- */

int rtc_turn_client_wrap(rtc_turn_client_t *c, uint64_t now_us, const rtc_addr_t *peer,
                         const uint8_t *p, size_t len, rtc_transmit_t *out) {
  if (c->state != RTC_TURN_CLIENT_ALLOCATED) return RTC_ESTATE;
  if (len > RTC_TURN_CLIENT_MAX_PAYLOAD) return RTC_ETOOBIG;
  int i = peer_find(c, peer);
  if (i < 0) {
    if (!family_relayed(c, rtc_addr_family(peer))) return RTC_EINVAL;
    i = peer_add(c, now_us, peer);
  }
  int n;
  if (i >= 0 && c->peers[i].chan == PEER_OK) {
    n = rtc_turn_channel_data_write(c->wrap_buf, sizeof(c->wrap_buf), c->peers[i].channel, p, len,
                                    c->stream);
    if (n < 0) return n;
    c->stats.channel_data_sent++;
  } else {
    /* RFC 8656 10.1: a Send indication (no authentication; the permission gates it).
     * The transaction id only has to be unique enough: a counter over random bytes. */
    c->ind_counter++;
    memcpy(c->ind_tid, &c->ind_counter, sizeof(c->ind_counter));
    rtc_stun_writer_t w;
    rtc_stun_writer_init(&w, c->wrap_buf, sizeof(c->wrap_buf), RTC_STUN_SEND | RTC_STUN_INDICATION,
                         c->ind_tid);
    rtc_stun_put_addr(&w, RTC_STUN_ATTR_XOR_PEER_ADDRESS, peer, true);
    rtc_stun_put_attr(&w, RTC_STUN_ATTR_DATA, p, len);
    n = rtc_stun_writer_finish(&w);
    if (n < 0) return n;
    c->stats.send_indications_sent++;
  }
  out->local = c->local;
  out->remote = c->server;
  out->data = c->wrap_buf;
  out->len = (size_t)n;
  return 0;
}

/* ---- closing, getters ---- */

void rtc_turn_client_close(rtc_turn_client_t *c, uint64_t now_us) {
  if (c->state == RTC_TURN_CLIENT_CLOSED) return;
  bool allocated = c->state == RTC_TURN_CLIENT_ALLOCATED;
  c->out_n = 0;
  if (allocated) {
    /* RFC 8656 7.2: a Refresh with LIFETIME 0 deletes the allocation. Sent once: the
     * allocation expires on its own if it is lost. */
    client_tx_t t;
    memset(&t, 0, sizeof(t));
    t.kind = TX_REFRESH;
    rtc_random_bytes(t.tid, sizeof(t.tid));
    tx_send(c, &t, 0, true);
  }
  (void)now_us;
  c->state = RTC_TURN_CLIENT_CLOSED;
  c->main_tx.active = false;
  for (size_t i = 0; i < c->n_peers; i++)
    c->peers[i].perm_tx.active = c->peers[i].chan_tx.active = false;
}

rtc_turn_client_state_t rtc_turn_client_state(const rtc_turn_client_t *c) { return c->state; }
const rtc_addr_t *rtc_turn_client_local(const rtc_turn_client_t *c) { return &c->local; }
const rtc_addr_t *rtc_turn_client_server(const rtc_turn_client_t *c) { return &c->server; }
const rtc_addr_t *rtc_turn_client_relayed(const rtc_turn_client_t *c) { return &c->relayed; }
const rtc_addr_t *rtc_turn_client_mapped(const rtc_turn_client_t *c) { return &c->mapped; }
const rtc_addr_t *rtc_turn_client_relayed2(const rtc_turn_client_t *c) { return &c->relayed2; }

const rtc_addr_t *rtc_turn_client_relayed_for(const rtc_turn_client_t *c, int family) {
  if (family && rtc_addr_family(&c->relayed) == family) return &c->relayed;
  if (family && rtc_addr_family(&c->relayed2) == family) return &c->relayed2;
  return NULL;
}

bool rtc_turn_client_is_relayed(const rtc_turn_client_t *c, const rtc_addr_t *a) {
  return (rtc_addr_family(&c->relayed) && rtc_addr_equal(&c->relayed, a)) ||
         (rtc_addr_family(&c->relayed2) && rtc_addr_equal(&c->relayed2, a));
}

void rtc_turn_client_get_stats(const rtc_turn_client_t *c, rtc_turn_client_stats_t *out) {
  *out = c->stats;
}
