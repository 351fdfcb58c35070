/* Relayed candidates: the pc's TURN clients (turn/rtc_turn_client.h), one allocation per
 * TURN server and local socket of the same address family: over the socket itself for
 * TURN/UDP, over a TCP connection the io layer opens from the socket's address for
 * ?transport=tcp, and TLS on that connection (runtime/tls, the server's certificate
 * verified against the system CAs or turnCaFile) for turns:. Each relayed address
 * becomes a local ICE candidate; what the transport sends from it is wrapped for the
 * server (ChannelData or Send indication) and what the server relays back comes out
 * to the transport as if it had arrived on the relayed address from the peer. With
 * iceTransportPolicy "relay" the sockets only talk to the servers.
 *
 * An allocation asks for an IPv4 and an IPv6 relayed address (RFC 8656 dual
 * allocation): where the server offers both, each is a candidate, so a peer that has
 * only IPv6 (or only IPv4) can still be reached through the relay. When the pc reaches
 * the server over both families (sockets and server addresses of each), each socket's
 * allocation asks for its own family only: one relayed address per family, not two
 * (candidates are bounded: RTC_ICE_MAX_LOCAL). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rtc_err.h"
#include "base/rtc_log.h"
#include "base/rtc_time.h"
#include "pc/rtc_pc_internal.h"
#include "tls/rtc_tls.h"
#include "turn/rtc_turn_client.h"
#include "turn/rtc_turn_framer.h"

#define RELAY_MAX_CLIENTS 8
#define RELAY_MAX_LOCALS 16
/* A TCP connect to a server that drops SYNs would take the kernel minutes to give up:
 * gathering must not wait that long (the gatherer's UDP budget is about 6.5 s). */
#define RELAY_CONNECT_MS 10000

/* The connection to a TCP/TLS server (UDP ones have none). */
typedef enum { CONN_NONE = 0, CONN_WANTED, CONN_CONNECTING, CONN_OPEN, CONN_DEAD } relay_conn_t;

typedef struct relay_client {
  rtc_turn_client_t *c; /* NULL until the connection to a TCP/TLS server is up */
  size_t server;        /* index in the gatherer */
  rtc_turn_proto_t proto;
  rtc_turn_family_t family; /* the relayed address family (families) asked for */
  relay_conn_t conn;
  uint64_t connect_deadline_us; /* CONN_CONNECTING: given up after RELAY_CONNECT_MS */
  rtc_addr_t socket;      /* the UDP socket (UDP), or the address a connection binds to */
  rtc_addr_t server_addr; /* where the server is */
  rtc_addr_t local;       /* what the client talks from: the socket, or the connection */
  rtc_tls_t *tls;
  rtc_turn_framer_t *framer;
} relay_client_t;

struct rtc_pc_relays {
  relay_client_t clients[RELAY_MAX_CLIENTS];
  size_t n_clients;
  rtc_addr_t locals[RELAY_MAX_LOCALS];
  size_t n_locals;
  bool closing, closed;
  char *ca_file;              /* turnCaFile: trusted for turns: instead of the system CAs */
  rtc_tls_config_t *tls_cfg; /* made at the first turns: connection */
};

int rtc__pc_relay_create(rtc_pc_t *pc, const rtc_pc_config_t *cfg) {
  /* No servers, no relays (B3: the table is ~1.8 KB): every use below takes
   * pc->relays == NULL as "no relays". */
  pc->cfg.turn_ca_file = NULL;
  if (!cfg->n_ice_servers && !cfg->turn_ca_file) return 0;
  pc->relays = calloc(1, sizeof(*pc->relays));
  if (!pc->relays) return RTC_ENOMEM;
  pc->cfg.turn_ca_file = NULL;
  if (cfg->turn_ca_file) {
    pc->relays->ca_file = strdup(cfg->turn_ca_file);
    if (!pc->relays->ca_file) return RTC_ENOMEM;
    pc->cfg.turn_ca_file = pc->relays->ca_file;
  }
  return 0;
}

static void client_free(relay_client_t *rc) {
  rtc_turn_client_destroy(rc->c);
  rtc_tls_destroy(rc->tls);
  rtc_turn_framer_destroy(rc->framer);
  rc->c = NULL;
  rc->tls = NULL;
  rc->framer = NULL;
}

void rtc__pc_relay_destroy(rtc_pc_t *pc) {
  if (!pc->relays) return;
  for (size_t i = 0; i < pc->relays->n_clients; i++)
    client_free(&pc->relays->clients[i]);
  rtc_tls_config_release(pc->relays->tls_cfg);
  free(pc->relays->ca_file);
  free(pc->relays);
  pc->relays = NULL;
}

static rtc_turn_client_t *client_start(rtc_pc_t *pc, const relay_client_t *rc, bool stream) {
  rtc_turn_client_config_t cfg;
  memset(&cfg, 0, sizeof(cfg));
  rtc_turn_gather_server_credentials(pc->servers, rc->server, &cfg.username, &cfg.password);
  cfg.local = rc->local;
  cfg.server = rc->server_addr;
  cfg.stream = stream;
  cfg.family = rc->family;
  return rtc_turn_client_create(&cfg, pc->now_us);
}

/* What an allocation over a socket of family fam asks for (see the top). */
static rtc_turn_family_t relay_family(const struct rtc_pc_relays *r, const rtc_addr_t *addrs,
                                      size_t na, int fam) {
  int other = fam == AF_INET ? AF_INET6 : AF_INET;
  bool server_other = false, local_other = false;
  for (size_t a = 0; a < na; a++)
    server_other |= rtc_addr_family(&addrs[a]) == other;
  for (size_t l = 0; l < r->n_locals; l++)
    local_other |= rtc_addr_family(&r->locals[l]) == other;
  if (!server_other || !local_other) return RTC_TURN_FAMILY_DUAL;
  return fam == AF_INET6 ? RTC_TURN_FAMILY_IPV6 : RTC_TURN_FAMILY_IPV4;
}

/* One allocation per (TURN server, local socket of its family), on the server's first
 * address of that family. */
void rtc__pc_relay_pair_up(rtc_pc_t *pc) {
  struct rtc_pc_relays *r = pc->relays;
  if (!r || pc->closed || r->closing) return;
  size_t ns = pc->servers ? rtc_turn_gather_n_servers(pc->servers) : 0;
  for (size_t s = 0; s < ns; s++) {
    const rtc_turn_url_t *u = rtc_turn_gather_server(pc->servers, s);
    if (!rtc_turn_url_is_turn(u)) continue;
    size_t na;
    const rtc_addr_t *addrs = rtc_turn_gather_server_addresses(pc->servers, s, &na);
    for (size_t l = 0; l < r->n_locals; l++) {
      const rtc_addr_t *server = NULL;
      for (size_t a = 0; a < na && !server; a++)
        if (rtc_addr_family(&addrs[a]) == rtc_addr_family(&r->locals[l])) server = &addrs[a];
      if (!server) continue;
      bool have = false;
      for (size_t i = 0; i < r->n_clients && !have; i++)
        have = r->clients[i].server == s && rtc_addr_equal(&r->clients[i].socket, &r->locals[l]);
      if (have || r->n_clients == RELAY_MAX_CLIENTS) continue;
      relay_client_t *rc = &r->clients[r->n_clients];
      memset(rc, 0, sizeof(*rc));
      rc->server = s;
      rc->proto = u->proto;
      rc->socket = r->locals[l];
      rc->server_addr = *server;
      rc->family = relay_family(r, addrs, na, rtc_addr_family(&rc->socket));
      if (u->proto == RTC_TURN_PROTO_UDP) {
        rc->local = rc->socket;
        rc->c = client_start(pc, rc, false);
        if (!rc->c) continue;
      } else {
        rc->conn = CONN_WANTED; /* the io layer connects: rtc_pc_poll_connect */
      }
      r->n_clients++;
    }
  }
}

void rtc__pc_relay_add_local(rtc_pc_t *pc, const rtc_addr_t *addr) {
  struct rtc_pc_relays *r = pc->relays;
  if (!r) return;
  for (size_t i = 0; i < r->n_locals; i++)
    if (rtc_addr_equal(&r->locals[i], addr)) return;
  if (r->n_locals == RELAY_MAX_LOCALS) return;
  r->locals[r->n_locals++] = *addr;
  rtc__pc_relay_pair_up(pc);
}

static void relay_error(rtc_pc_t *pc, const relay_client_t *rc, int code, const char *text) {
  if (pc->closed) return;
  rtc_pc_event_node_t *n = rtc__pc_event_push(pc, RTC_PC_EVENT_ICE_CANDIDATE_ERROR);
  if (!n) return;
  n->owned_text = strdup(text);
  n->ev.text = n->owned_text ? n->owned_text : "out of memory";
  n->ev.url = rtc_turn_gather_server_url_text(pc->servers, rc->server);
  n->ev.error_code = code;
  /* W3C: the local address the server was contacted from (for TCP/TLS, the address
   * the connection was made from). */
  char ip[RTC_ADDR_STRLEN];
  const rtc_addr_t *local = rc->conn == CONN_NONE ? &rc->local : &rc->socket;
  if (rtc_addr_to_string(local, ip, sizeof(ip)) == 0) {
    n->owned_extra = strdup(ip);
    n->ev.address = n->owned_extra;
    n->ev.port = rtc_addr_port(local);
  }
  RTC_LOG(RTC_LOG_DEBUG, "pc", "pc %u: TURN %s: %d %s", pc->id, n->ev.url, code, text);
}

static void relay_announce(rtc_pc_t *pc, const rtc_addr_t *relayed, const rtc_addr_t *mapped) {
  char text[512];
  if (pc->closed ||
      rtc_transport_add_local_relay(pc->transport, pc->now_us, relayed, mapped, text, sizeof(text)) < 0)
    return; /* the agent was replaced by a restart since, or is full */
  rtc__pc_servers_announce(pc, text);
}

/* Takes what the clients produced: relayed candidates and errors. */
static void relay_pump(rtc_pc_t *pc) {
  struct rtc_pc_relays *r = pc->relays;
  rtc_turn_client_event_t ev;
  for (size_t i = 0; i < r->n_clients; i++) {
    relay_client_t *rc = &r->clients[i];
    while (rc->c && rtc_turn_client_poll_event(rc->c, &ev)) {
      if (ev.type == RTC_TURN_CLIENT_EVENT_FAILED) {
        relay_error(pc, rc, ev.code, ev.text);
        continue;
      }
      if (ev.text[0])
        RTC_LOG(RTC_LOG_DEBUG, "pc", "pc %u: TURN %s: %s", pc->id,
                rtc_turn_gather_server_url_text(pc->servers, rc->server), ev.text);
      relay_announce(pc, &ev.relayed, &ev.mapped);
      if (rtc_addr_family(&ev.relayed2)) relay_announce(pc, &ev.relayed2, &ev.mapped);
    }
  }
  rtc__pc_gathering_maybe_complete(pc);
}

/* After an ICE restart the new agent gets the live allocations as candidates again. */
void rtc__pc_relay_regather(rtc_pc_t *pc) {
  struct rtc_pc_relays *r = pc->relays;
  for (size_t i = 0; r && i < r->n_clients; i++) {
    rtc_turn_client_t *c = r->clients[i].c;
    if (!c || rtc_turn_client_state(c) != RTC_TURN_CLIENT_ALLOCATED) continue;
    relay_announce(pc, rtc_turn_client_relayed(c), rtc_turn_client_mapped(c));
    if (rtc_addr_family(rtc_turn_client_relayed2(c)))
      relay_announce(pc, rtc_turn_client_relayed2(c), rtc_turn_client_mapped(c));
  }
}

/* One message from the server (a datagram, or one framed off a stream). */
static bool client_input(rtc_pc_t *pc, relay_client_t *rc, const rtc_addr_t *from, const uint8_t *p,
                         size_t len) {
  rtc_addr_t peer;
  const uint8_t *d;
  size_t dl;
  rtc_turn_client_input_t in =
      rtc_turn_client_handle_datagram(rc->c, pc->now_us, from, p, len, &peer, &d, &dl);
  if (in == RTC_TURN_CLIENT_NOT_MINE) return false;
  if (in == RTC_TURN_CLIENT_DATA) {
    /* As if it had arrived on the relayed candidate (of the peer's family) from the
     * peer. */
    const rtc_addr_t *relayed = rtc_turn_client_relayed_for(rc->c, rtc_addr_family(&peer));
    if (relayed) rtc_transport_handle_datagram(pc->transport, pc->now_us, relayed, &peer, d, dl);
    rtc__pc_pump(pc);
  } else {
    relay_pump(pc);
  }
  return true;
}

bool rtc__pc_relay_input(rtc_pc_t *pc, const rtc_addr_t *local, const rtc_addr_t *from,
                         const uint8_t *p, size_t len) {
  struct rtc_pc_relays *r = pc->relays;
  if (!r) return false;
  for (size_t i = 0; i < r->n_clients; i++) {
    relay_client_t *rc = &r->clients[i];
    if (rc->conn != CONN_NONE || !rc->c || !rtc_addr_equal(&rc->local, local)) continue;
    if (client_input(pc, rc, from, p, len)) return true;
  }
  return false;
}

/* ---- TCP and TLS connections (the io layer owns the sockets) ---- */

bool rtc_pc_poll_connect(rtc_pc_t *pc, size_t *id, rtc_addr_t *bind, rtc_addr_t *server) {
  struct rtc_pc_relays *r = pc->relays;
  if (!r || pc->closed || r->closing) return false;
  for (size_t i = 0; i < r->n_clients; i++) {
    relay_client_t *rc = &r->clients[i];
    if (rc->conn != CONN_WANTED) continue;
    rc->conn = CONN_CONNECTING;
    rc->connect_deadline_us = pc->now_us + RTC_MS(RELAY_CONNECT_MS);
    *id = i;
    *bind = rc->socket;
    rtc_addr_set_port(bind, 0);
    *server = rc->server_addr;
    return true;
  }
  return false;
}

static void conn_dead(rtc_pc_t *pc, relay_client_t *rc, int code, const char *why) {
  bool was_allocating = !rc->c || rtc_turn_client_state(rc->c) == RTC_TURN_CLIENT_ALLOCATING;
  rc->conn = CONN_DEAD;
  RTC_LOG(RTC_LOG_DEBUG, "pc", "pc %u: TURN connection lost: %s", pc->id, why);
  if (rc->c) rtc_turn_client_close(rc->c, pc->now_us);
  /* A refused or broken connection before an allocation is a gathering error (W3C);
   * an allocation lost later just stops relaying (ICE consent notices). */
  if (was_allocating) relay_error(pc, rc, code, why);
  rtc__pc_gathering_maybe_complete(pc);
}

void rtc_pc_stream_connected(rtc_pc_t *pc, uint64_t now_us, size_t id, const rtc_addr_t *local) {
  pc->now_us = now_us;
  struct rtc_pc_relays *r = pc->relays;
  if (!r || id >= r->n_clients || r->clients[id].conn != CONN_CONNECTING) return;
  relay_client_t *rc = &r->clients[id];
  if (!local) {
    conn_dead(pc, rc, 701, "TURN server unreachable (connection refused or timed out)");
    return;
  }
  rc->local = *local;
  rc->framer = rtc_turn_framer_create();
  if (rc->proto == RTC_TURN_PROTO_TLS) {
    char err[160] = "";
    if (!r->tls_cfg) {
      rtc_tls_config_opts_t o = {.ca_file = r->ca_file};
      if (rtc_tls_config_create(&r->tls_cfg, &o, err, sizeof(err)) < 0) r->tls_cfg = NULL;
    }
    const rtc_turn_url_t *u = rtc_turn_gather_server(pc->servers, rc->server);
    if (!r->tls_cfg || rtc_tls_create(&rc->tls, r->tls_cfg, u->host) < 0) {
      conn_dead(pc, rc, 701, err[0] ? err : "TLS could not start");
      return;
    }
  }
  rc->c = rc->framer ? client_start(pc, rc, true) : NULL;
  if (!rc->c) {
    conn_dead(pc, rc, 701, "out of memory");
    return;
  }
  rc->conn = CONN_OPEN;
}

void rtc_pc_stream_input(rtc_pc_t *pc, uint64_t now_us, size_t id, const uint8_t *p, size_t len) {
  pc->now_us = now_us;
  struct rtc_pc_relays *r = pc->relays;
  if (!r || id >= r->n_clients || r->clients[id].conn != CONN_OPEN) return;
  relay_client_t *rc = &r->clients[id];
  if (len == 0) {
    conn_dead(pc, rc, 701, "the TURN server closed the connection");
    return;
  }
  if (rc->tls && rtc_tls_handle_input(rc->tls, p, len) < 0) {
    char why[200];
    snprintf(why, sizeof(why), "TLS: %s", rtc_tls_error(rc->tls));
    conn_dead(pc, rc, 701, why);
    return;
  }
  uint8_t plain[4096];
  const uint8_t *src = p;
  size_t off = 0, n = rc->tls ? 0 : len; /* TLS: the plaintext comes out of rc->tls */
  for (;;) {
    if (rc->tls && off == n) {
      n = rtc_tls_pending_plaintext(rc->tls) ? rtc_tls_read(rc->tls, plain, sizeof(plain)) : 0;
      off = 0;
      src = plain;
    }
    size_t pushed = off < n ? rtc_turn_framer_push(rc->framer, src + off, n - off) : 0;
    off += pushed;
    const uint8_t *m;
    size_t ml;
    int k, taken = 0;
    while ((k = rtc_turn_framer_next(rc->framer, &m, &ml)) == 1) {
      taken++;
      client_input(pc, rc, &rc->server_addr, m, ml);
      if (rc->conn != CONN_OPEN) return;
    }
    if (k < 0) {
      conn_dead(pc, rc, 701, "the TURN server sent something that is neither STUN nor ChannelData");
      return;
    }
    if (off == n && (!rc->tls || rtc_tls_pending_plaintext(rc->tls) == 0)) break;
    if (pushed == 0 && taken == 0) break; /* cannot happen: a whole message always fits */
  }
}

/* ---- timers, output, state ---- */

void rtc__pc_relay_timeout(rtc_pc_t *pc) {
  struct rtc_pc_relays *r = pc->relays;
  if (!r) return;
  bool any = false;
  for (size_t i = 0; i < r->n_clients; i++)
    if (r->clients[i].conn == CONN_CONNECTING && r->clients[i].connect_deadline_us <= pc->now_us)
      conn_dead(pc, &r->clients[i], 701, "TURN server unreachable (connect timed out)");
  for (size_t i = 0; i < r->n_clients; i++) {
    rtc_turn_client_t *c = r->clients[i].c;
    if (c && rtc_turn_client_poll_timeout(c) <= pc->now_us) {
      rtc_turn_client_handle_timeout(c, pc->now_us);
      any = true;
    }
  }
  if (any) relay_pump(pc);
}

uint64_t rtc__pc_relay_poll_timeout(const rtc_pc_t *pc) {
  uint64_t d = RTC_NEVER;
  if (!pc->relays) return d;
  for (size_t i = 0; i < pc->relays->n_clients; i++) {
    const relay_client_t *rc = &pc->relays->clients[i];
    if (rc->conn == CONN_CONNECTING) d = rtc_time_min(d, rc->connect_deadline_us);
    if (rc->c) d = rtc_time_min(d, rtc_turn_client_poll_timeout(rc->c));
  }
  return d;
}

static relay_client_t *client_of_relayed(struct rtc_pc_relays *r, const rtc_addr_t *relayed) {
  for (size_t i = 0; r && i < r->n_clients; i++) {
    relay_client_t *rc = &r->clients[i];
    if (rc->c && rtc_turn_client_is_relayed(rc->c, relayed)) return rc;
  }
  return NULL;
}

/* What goes to rc's server: as is (UDP socket, TCP connection) or into TLS (true). */
static bool to_tls(relay_client_t *rc, const rtc_transmit_t *t) {
  if (!rc->tls) return false;
  rtc_tls_write(rc->tls, t->data, t->len);
  return true;
}

/* The clients' requests, then the transport's datagrams, those from a relayed candidate
 * wrapped for its server; over TLS both become records. After close, once the
 * transport's last datagrams (SCTP ABORT, close_notify) went through, the allocations
 * are deleted. */
bool rtc__pc_relay_poll_transmit(rtc_pc_t *pc, rtc_transmit_t *out) {
  struct rtc_pc_relays *r = pc->relays;
  for (;;) {
    for (size_t i = 0; r && i < r->n_clients; i++) {
      relay_client_t *rc = &r->clients[i];
      const uint8_t *p;
      size_t n;
      while (rc->c && rtc_turn_client_poll_transmit(rc->c, out))
        if (!to_tls(rc, out)) return true;
      if (rc->tls && rc->conn == CONN_OPEN && rtc_tls_poll_transmit(rc->tls, &p, &n)) {
        /* Borrowed: the bytes stay where they are until the next write into rc->tls,
         * which comes after the io layer took these. */
        rtc_tls_consume_transmit(rc->tls, n);
        out->local = rc->local;
        out->remote = rc->server_addr;
        out->data = p;
        out->len = n;
        return true;
      }
    }
    rtc_transmit_t tx;
    if (rtc_transport_poll_transmit(pc->transport, &tx)) {
      relay_client_t *rc = client_of_relayed(r, &tx.local);
      if (!rc) {
        *out = tx;
        return true;
      }
      if (rtc_turn_client_wrap(rc->c, pc->now_us, &tx.remote, tx.data, tx.len, out) == 0 &&
          !to_tls(rc, out))
        return true;
      continue; /* into TLS, or dropped (the allocation is gone, as a dead path drops it) */
    }
    if (r && r->closing && !r->closed) {
      r->closed = true;
      for (size_t i = 0; i < r->n_clients; i++) {
        if (r->clients[i].c) rtc_turn_client_close(r->clients[i].c, pc->now_us);
        if (r->clients[i].tls && r->clients[i].conn == CONN_OPEN) {
          /* The Refresh(0) goes first, then close_notify. */
          rtc_transmit_t t;
          while (rtc_turn_client_poll_transmit(r->clients[i].c, &t))
            rtc_tls_write(r->clients[i].tls, t.data, t.len);
          rtc_tls_close(r->clients[i].tls);
        }
      }
      continue;
    }
    return false;
  }
}

bool rtc__pc_relay_done(const rtc_pc_t *pc) {
  if (!pc->relays) return true;
  for (size_t i = 0; i < pc->relays->n_clients; i++) {
    const relay_client_t *rc = &pc->relays->clients[i];
    if (rc->conn == CONN_WANTED || rc->conn == CONN_CONNECTING) return false;
    if (rc->conn == CONN_DEAD) continue;
    if (rc->c && rtc_turn_client_state(rc->c) == RTC_TURN_CLIENT_ALLOCATING) return false;
  }
  return true;
}

void rtc__pc_relay_close(rtc_pc_t *pc) {
  if (pc->relays) pc->relays->closing = true;
}

const char *rtc__pc_relay_protocol(const rtc_pc_t *pc, const rtc_addr_t *local) {
  relay_client_t *rc = client_of_relayed(pc->relays, local);
  if (!rc) return NULL;
  return rc->proto == RTC_TURN_PROTO_TLS ? "tls" : rc->proto == RTC_TURN_PROTO_TCP ? "tcp" : "udp";
}
