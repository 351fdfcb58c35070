/* The pc's ICE servers (RTCConfiguration.iceServers): the turn/ gatherer wired to the
 * pc: its names go to the io layer for resolution, its datagrams share the host
 * sockets, its srflx candidates become local candidates and its failures
 * icecandidateerror events. Gathering completes once the sockets and the servers
 * are both done. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rtc_err.h"
#include "base/rtc_log.h"
#include "base/rtc_time.h"
#include "pc/rtc_pc_internal.h"

int rtc_pc_check_config(const rtc_pc_config_t *cfg, char *err, size_t errcap) {
  if (err && errcap) err[0] = 0;
  if (!cfg || cfg->n_ice_servers == 0) return 0;
  rtc_turn_gather_t *g = rtc_turn_gather_create();
  if (!g) return RTC_ENOMEM;
  int r = 0;
  for (size_t i = 0; i < cfg->n_ice_servers && r >= 0; i++)
    r = rtc_turn_gather_add_server(g, cfg->ice_servers[i].url, cfg->ice_servers[i].username,
                                   cfg->ice_servers[i].credential, err, errcap);
  rtc_turn_gather_destroy(g);
  return r < 0 ? r : 0;
}

int rtc__pc_servers_create(rtc_pc_t *pc, const rtc_pc_config_t *cfg) {
  pc->cfg.ice_servers = NULL; /* the gatherer keeps its own copies */
  pc->cfg.n_ice_servers = 0;
  /* No servers (data channels on a LAN, B3's pairs): no gatherer, whose fixed tables
   * were ~18 KB per peer connection. Every use below takes pc->servers == NULL as
   * "no servers". */
  if (cfg->n_ice_servers && !(pc->servers = rtc_turn_gather_create())) return RTC_ENOMEM;
  if (rtc__pc_relay_create(pc, cfg) < 0) return RTC_ENOMEM;
  for (size_t i = 0; i < cfg->n_ice_servers; i++) {
    int r = rtc_turn_gather_add_server(pc->servers, cfg->ice_servers[i].url,
                                       cfg->ice_servers[i].username, cfg->ice_servers[i].credential,
                                       pc->errbuf, sizeof(pc->errbuf));
    if (r < 0) return r;
  }
  return 0;
}

void rtc__pc_servers_start(rtc_pc_t *pc) {
  if (pc->servers) rtc_turn_gather_start(pc->servers, pc->now_us);
}

bool rtc_pc_poll_dns(rtc_pc_t *pc, size_t *id, const char **host) {
  if (pc->closed || !pc->gather_started || pc->want_gather) return false;
  while (pc->servers && pc->dns_next < rtc_turn_gather_n_servers(pc->servers)) {
    size_t i = pc->dns_next++;
    const rtc_turn_url_t *u = rtc_turn_gather_server(pc->servers, i);
    if (u->proto != RTC_TURN_PROTO_UDP && !rtc_turn_url_is_turn(u)) continue; /* stuns: */
    *id = i;
    *host = u->host;
    return true;
  }
  return false;
}

static void servers_pump(rtc_pc_t *pc);

void rtc_pc_dns_result(rtc_pc_t *pc, uint64_t now_us, size_t id, const rtc_addr_t *addrs,
                       size_t n) {
  pc->now_us = now_us;
  if (pc->closed || !pc->servers) return;
  rtc_turn_gather_set_server_addresses(pc->servers, now_us, id, addrs, n);
  rtc__pc_relay_pair_up(pc);
  servers_pump(pc);
}

void rtc__pc_servers_add_local(rtc_pc_t *pc, const rtc_addr_t *addr) {
  if (pc->servers) rtc_turn_gather_add_local(pc->servers, pc->now_us, addr);
  rtc__pc_relay_add_local(pc, addr);
}

static void push_error(rtc_pc_t *pc, const rtc_turn_gather_event_t *ev) {
  rtc_pc_event_node_t *n = rtc__pc_event_push(pc, RTC_PC_EVENT_ICE_CANDIDATE_ERROR);
  if (!n) return;
  n->owned_text = strdup(ev->text);
  n->ev.text = n->owned_text ? n->owned_text : "out of memory";
  n->ev.url = rtc_turn_gather_server_url_text(pc->servers, ev->server);
  n->ev.error_code = ev->code;
  if (rtc_addr_family(&ev->base)) {
    char ip[RTC_ADDR_STRLEN];
    rtc_addr_to_string(&ev->base, ip, sizeof(ip));
    n->owned_extra = strdup(ip);
    n->ev.address = n->owned_extra;
    n->ev.port = rtc_addr_port(&ev->base);
  }
  RTC_LOG(RTC_LOG_DEBUG, "pc", "pc %u: ICE server %s: %d %s", pc->id, n->ev.url, ev->code,
          ev->text);
}

void rtc__pc_servers_announce(rtc_pc_t *pc, const char *text) {
  rtc__pc_local_add_candidate(pc, text);
  rtc_pc_event_node_t *n = rtc__pc_event_push(pc, RTC_PC_EVENT_ICE_CANDIDATE);
  if (!n) return;
  size_t len = strlen(text) + 11;
  n->owned_text = malloc(len);
  n->owned_mid = strdup(pc->transport_local_mid ? pc->transport_local_mid : "0");
  if (!n->owned_text || !n->owned_mid) { /* a NULL candidate would mean "end of candidates" */
    rtc__pc_event_cancel(pc, n);
    return;
  }
  memcpy(n->owned_text, "candidate:", 10);
  memcpy(n->owned_text + 10, text, len - 10);
  n->ev.candidate = n->owned_text;
  n->ev.mid = n->owned_mid;
  n->ev.mline_index = pc->transport_local_mline;
}

static void push_srflx(rtc_pc_t *pc, const rtc_turn_gather_event_t *ev) {
  char text[512];
  if (pc->cfg.ice_transport_relay) return; /* W3C "relay": relayed candidates only */
  if (rtc_transport_add_local_srflx(pc->transport, pc->now_us, &ev->base, &ev->mapped, text,
                                    sizeof(text)) < 0)
    return; /* the agent was replaced by a restart since: the candidate is stale */
  rtc__pc_servers_announce(pc, text);
}

/* Takes what the gatherer produced; completes gathering when it is done. */
static void servers_pump(rtc_pc_t *pc) {
  rtc_turn_gather_event_t ev;
  while (pc->servers && rtc_turn_gather_poll_event(pc->servers, &ev)) {
    if (ev.type == RTC_TURN_GATHER_SRFLX)
      push_srflx(pc, &ev);
    else
      push_error(pc, &ev);
  }
  rtc__pc_gathering_maybe_complete(pc);
}

bool rtc__pc_servers_input(rtc_pc_t *pc, const rtc_addr_t *local, const rtc_addr_t *from,
                           const uint8_t *p, size_t len) {
  if (!pc->servers || !rtc_turn_gather_handle_datagram(pc->servers, pc->now_us, local, from, p, len))
    return false;
  servers_pump(pc);
  return true;
}

void rtc__pc_servers_timeout(rtc_pc_t *pc) {
  rtc__pc_relay_timeout(pc);
  if (!pc->servers || rtc_turn_gather_poll_timeout(pc->servers) > pc->now_us) return;
  rtc_turn_gather_handle_timeout(pc->servers, pc->now_us);
  servers_pump(pc);
}

uint64_t rtc__pc_servers_poll_timeout(const rtc_pc_t *pc) {
  return rtc_time_min(pc->servers ? rtc_turn_gather_poll_timeout(pc->servers) : RTC_NEVER,
                      rtc__pc_relay_poll_timeout(pc));
}

bool rtc__pc_servers_poll_transmit(rtc_pc_t *pc, rtc_transmit_t *out) {
  return pc->servers && rtc_turn_gather_poll_transmit(pc->servers, out);
}

bool rtc__pc_servers_done(const rtc_pc_t *pc) {
  return (!pc->servers || rtc_turn_gather_is_done(pc->servers)) && rtc__pc_relay_done(pc);
}
