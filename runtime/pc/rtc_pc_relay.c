/* Relayed candidates: the pc's TURN clients (turn/rtc_turn_client.h), one allocation per
 * TURN/UDP server and local socket of the same address family. Each relayed address
 * becomes a local ICE candidate; what the transport sends from it is wrapped for the
 * server (ChannelData or Send indication) and what the server relays back comes out
 * to the transport as if it had arrived on the relayed address from the peer. With
 * iceTransportPolicy "relay" the sockets only talk to the servers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rtc_err.h"
#include "base/rtc_log.h"
#include "base/rtc_time.h"
#include "pc/rtc_pc_internal.h"
#include "turn/rtc_turn_client.h"

#define RELAY_MAX_CLIENTS 8
#define RELAY_MAX_LOCALS 16

typedef struct relay_client {
  rtc_turn_client_t *c;
  size_t server; /* index in the gatherer */
} relay_client_t;

struct rtc_pc_relays {
  relay_client_t clients[RELAY_MAX_CLIENTS];
  size_t n_clients;
  rtc_addr_t locals[RELAY_MAX_LOCALS];
  size_t n_locals;
  bool closing, closed;
};

int rtc__pc_relay_create(rtc_pc_t *pc) {
  pc->relays = calloc(1, sizeof(*pc->relays));
  return pc->relays ? 0 : RTC_ENOMEM;
}

void rtc__pc_relay_destroy(rtc_pc_t *pc) {
  if (!pc->relays) return;
  for (size_t i = 0; i < pc->relays->n_clients; i++)
    rtc_turn_client_destroy(pc->relays->clients[i].c);
  free(pc->relays);
  pc->relays = NULL;
}

/* One allocation per (TURN/UDP server, local socket of its family), on the server's
 * first address of that family. */
void rtc__pc_relay_pair_up(rtc_pc_t *pc) {
  struct rtc_pc_relays *r = pc->relays;
  if (!r || pc->closed || r->closing) return;
  size_t ns = rtc_turn_gather_n_servers(pc->servers);
  for (size_t s = 0; s < ns; s++) {
    const rtc_turn_url_t *u = rtc_turn_gather_server(pc->servers, s);
    if (!rtc_turn_url_is_turn(u) || u->proto != RTC_TURN_PROTO_UDP) continue;
    size_t na;
    const rtc_addr_t *addrs = rtc_turn_gather_server_addresses(pc->servers, s, &na);
    for (size_t l = 0; l < r->n_locals; l++) {
      const rtc_addr_t *server = NULL;
      for (size_t a = 0; a < na && !server; a++)
        if (rtc_addr_family(&addrs[a]) == rtc_addr_family(&r->locals[l])) server = &addrs[a];
      if (!server) continue;
      bool have = false;
      for (size_t i = 0; i < r->n_clients && !have; i++)
        have = r->clients[i].server == s &&
               rtc_addr_equal(rtc_turn_client_local(r->clients[i].c), &r->locals[l]);
      if (have || r->n_clients == RELAY_MAX_CLIENTS) continue;
      rtc_turn_client_config_t cfg;
      memset(&cfg, 0, sizeof(cfg));
      rtc_turn_gather_server_credentials(pc->servers, s, &cfg.username, &cfg.password);
      cfg.local = r->locals[l];
      cfg.server = *server;
      rtc_turn_client_t *c = rtc_turn_client_create(&cfg, pc->now_us);
      if (!c) continue;
      r->clients[r->n_clients].c = c;
      r->clients[r->n_clients].server = s;
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

static void relay_error(rtc_pc_t *pc, const relay_client_t *rc, const rtc_turn_client_event_t *ev) {
  rtc_pc_event_node_t *n = rtc__pc_event_push(pc, RTC_PC_EVENT_ICE_CANDIDATE_ERROR);
  if (!n) return;
  n->owned_text = strdup(ev->text);
  n->ev.text = n->owned_text ? n->owned_text : "out of memory";
  n->ev.url = rtc_turn_gather_server_url_text(pc->servers, rc->server);
  n->ev.error_code = ev->code;
  char ip[RTC_ADDR_STRLEN];
  const rtc_addr_t *local = rtc_turn_client_local(rc->c);
  if (rtc_addr_to_string(local, ip, sizeof(ip)) == 0) {
    n->owned_extra = strdup(ip);
    n->ev.address = n->owned_extra;
    n->ev.port = rtc_addr_port(local);
  }
  RTC_LOG(RTC_LOG_DEBUG, "pc", "pc %u: TURN %s: %d %s", pc->id, n->ev.url, ev->code, ev->text);
}

/* Takes what the clients produced: relayed candidates and errors. */
static void relay_pump(rtc_pc_t *pc) {
  struct rtc_pc_relays *r = pc->relays;
  rtc_turn_client_event_t ev;
  for (size_t i = 0; i < r->n_clients; i++) {
    while (rtc_turn_client_poll_event(r->clients[i].c, &ev)) {
      if (ev.type == RTC_TURN_CLIENT_EVENT_FAILED) {
        if (!pc->closed) relay_error(pc, &r->clients[i], &ev);
        continue;
      }
      char text[512];
      if (pc->closed || rtc_transport_add_local_relay(pc->transport, pc->now_us, &ev.relayed,
                                                      &ev.mapped, text, sizeof(text)) < 0)
        continue;
      rtc__pc_servers_announce(pc, text);
    }
  }
  rtc__pc_gathering_maybe_complete(pc);
}

/* After an ICE restart the new agent gets the live allocations as candidates again. */
void rtc__pc_relay_regather(rtc_pc_t *pc) {
  struct rtc_pc_relays *r = pc->relays;
  for (size_t i = 0; r && i < r->n_clients; i++) {
    rtc_turn_client_t *c = r->clients[i].c;
    char text[512];
    if (rtc_turn_client_state(c) != RTC_TURN_CLIENT_ALLOCATED ||
        rtc_transport_add_local_relay(pc->transport, pc->now_us, rtc_turn_client_relayed(c),
                                      rtc_turn_client_mapped(c), text, sizeof(text)) < 0)
      continue;
    rtc__pc_servers_announce(pc, text);
  }
}

bool rtc__pc_relay_input(rtc_pc_t *pc, const rtc_addr_t *local, const rtc_addr_t *from,
                         const uint8_t *p, size_t len) {
  struct rtc_pc_relays *r = pc->relays;
  if (!r) return false;
  for (size_t i = 0; i < r->n_clients; i++) {
    rtc_turn_client_t *c = r->clients[i].c;
    if (!rtc_addr_equal(rtc_turn_client_local(c), local)) continue;
    rtc_addr_t peer;
    const uint8_t *d;
    size_t dl;
    rtc_turn_client_input_t in =
        rtc_turn_client_handle_datagram(c, pc->now_us, from, p, len, &peer, &d, &dl);
    if (in == RTC_TURN_CLIENT_NOT_MINE) continue;
    if (in == RTC_TURN_CLIENT_DATA) {
      /* As if it had arrived on the relayed candidate from the peer. */
      rtc_transport_handle_datagram(pc->transport, pc->now_us, rtc_turn_client_relayed(c), &peer,
                                    d, dl);
      rtc__pc_pump(pc);
    } else {
      relay_pump(pc);
    }
    return true;
  }
  return false;
}

void rtc__pc_relay_timeout(rtc_pc_t *pc) {
  struct rtc_pc_relays *r = pc->relays;
  if (!r) return;
  bool any = false;
  for (size_t i = 0; i < r->n_clients; i++)
    if (rtc_turn_client_poll_timeout(r->clients[i].c) <= pc->now_us) {
      rtc_turn_client_handle_timeout(r->clients[i].c, pc->now_us);
      any = true;
    }
  if (any) relay_pump(pc);
}

uint64_t rtc__pc_relay_poll_timeout(const rtc_pc_t *pc) {
  uint64_t d = RTC_NEVER;
  if (!pc->relays) return d;
  for (size_t i = 0; i < pc->relays->n_clients; i++)
    d = rtc_time_min(d, rtc_turn_client_poll_timeout(pc->relays->clients[i].c));
  return d;
}

/* The clients' requests, then the transport's datagrams, those from a relayed candidate
 * wrapped for its server. After close, once the transport's last datagrams (SCTP ABORT,
 * close_notify) went through, the allocations are deleted. */
bool rtc__pc_relay_poll_transmit(rtc_pc_t *pc, rtc_transmit_t *out) {
  struct rtc_pc_relays *r = pc->relays;
  for (;;) {
    for (size_t i = 0; r && i < r->n_clients; i++)
      if (rtc_turn_client_poll_transmit(r->clients[i].c, out)) return true;
    rtc_transmit_t tx;
    if (rtc_transport_poll_transmit(pc->transport, &tx)) {
      rtc_turn_client_t *c = NULL;
      for (size_t i = 0; r && i < r->n_clients && !c; i++)
        if (rtc_addr_equal(rtc_turn_client_relayed(r->clients[i].c), &tx.local))
          c = r->clients[i].c;
      if (!c) {
        *out = tx;
        return true;
      }
      if (rtc_turn_client_wrap(c, pc->now_us, &tx.remote, tx.data, tx.len, out) == 0) return true;
      continue; /* the allocation is gone: dropped, as a dead path drops it */
    }
    if (r && r->closing && !r->closed) {
      r->closed = true;
      for (size_t i = 0; i < r->n_clients; i++)
        rtc_turn_client_close(r->clients[i].c, pc->now_us);
      continue;
    }
    return false;
  }
}

bool rtc__pc_relay_done(const rtc_pc_t *pc) {
  if (!pc->relays) return true;
  for (size_t i = 0; i < pc->relays->n_clients; i++)
    if (rtc_turn_client_state(pc->relays->clients[i].c) == RTC_TURN_CLIENT_ALLOCATING) return false;
  return true;
}

void rtc__pc_relay_close(rtc_pc_t *pc) {
  if (pc->relays) pc->relays->closing = true;
}

bool rtc__pc_relay_is_relayed(const rtc_pc_t *pc, const rtc_addr_t *local) {
  if (!pc->relays) return false;
  for (size_t i = 0; i < pc->relays->n_clients; i++)
    if (rtc_addr_equal(rtc_turn_client_relayed(pc->relays->clients[i].c), local)) return true;
  return false;
}
