/* mDNS host candidates ("<uuid>.local", Chromium's default). The peer's: the names
 * wait here until the io layer's query is answered, then become candidates. Ours
 * (mdns_host_candidates): the transport names them and answers for them. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/rtc_log.h"
#include "ice/rtc_mdns.h"
#include "pc/rtc_pc_internal.h"

void rtc__pc_mdns_want(rtc_pc_t *pc, const rtc_ice_candidate_t *c) {
  for (size_t i = 0; i < pc->n_mdns; i++)
    if (strcasecmp(pc->mdns[i].cand.address, c->address) == 0 && pc->mdns[i].cand.port == c->port)
      return;
  if (pc->n_mdns >= RTC_PC_MAX_MDNS) return; /* bounded: the peer controls the count */
  if (!pc->mdns && !(pc->mdns = calloc(RTC_PC_MAX_MDNS, sizeof(*pc->mdns)))) {
    RTC_LOG(RTC_LOG_WARN, "pc", "pc %u: no memory for an mDNS candidate", pc->id);
    return;
  }
  pc->mdns[pc->n_mdns].cand = *c;
  pc->mdns[pc->n_mdns].asked = false;
  pc->mdns[pc->n_mdns].done = false;
  pc->n_mdns++;
}

bool rtc_pc_poll_resolve(rtc_pc_t *pc, const char **name) {
  if (pc->closed) return false;
  for (size_t i = 0; i < pc->n_mdns; i++) {
    if (pc->mdns[i].asked) continue;
    pc->mdns[i].asked = true;
    *name = pc->mdns[i].cand.address;
    return true;
  }
  return false;
}

size_t rtc_pc_pending_resolves(const rtc_pc_t *pc, const char **names, size_t max) {
  size_t n = 0;
  for (size_t i = 0; i < pc->n_mdns && n < max && !pc->closed; i++)
    if (pc->mdns[i].asked && !pc->mdns[i].done) names[n++] = pc->mdns[i].cand.address;
  return n;
}

void rtc_pc_resolved(rtc_pc_t *pc, const char *name, const rtc_addr_t *addr) {
  if (pc->closed) return;
  for (size_t i = 0; i < pc->n_mdns; i++) {
    if (pc->mdns[i].done || strcasecmp(pc->mdns[i].cand.address, name) != 0) continue;
    rtc_ice_candidate_t c = pc->mdns[i].cand;
    pc->mdns[i].done = true;
    c.addr = *addr;
    rtc_addr_set_port(&c.addr, c.port);
    rtc_addr_set_tcp(&c.addr, c.transport == RTC_ICE_TCP);
    c.address_is_ip = true;
    rtc_addr_to_string(addr, c.address, sizeof(c.address));
    RTC_LOG(RTC_LOG_INFO, "pc", "pc %u: mDNS candidate resolved", pc->id);
    rtc_transport_add_remote_candidate(pc->transport, pc->now_us, &c);
  }
  rtc__pc_pump(pc);
}

bool rtc_pc_handle_mdns_response(rtc_pc_t *pc, const uint8_t *p, size_t len) {
  if (pc->closed) return false;
  for (size_t i = 0; i < pc->n_mdns; i++) {
    if (!pc->mdns[i].asked || pc->mdns[i].done) continue;
    rtc_addr_t addr;
    if (rtc_mdns_parse_response(p, len, pc->mdns[i].cand.address, &addr) != 1) continue;
    char name[sizeof(pc->mdns[i].cand.address)];
    memcpy(name, pc->mdns[i].cand.address, sizeof(name));
    rtc_pc_resolved(pc, name, &addr);
    return true;
  }
  return false;
}

int rtc_pc_use_mdns_names(rtc_pc_t *pc) { return rtc_transport_set_mdns(pc->transport, true); }

int rtc_pc_mdns_answer(const rtc_pc_t *pc, const uint8_t *query, size_t len, bool legacy,
                       uint8_t *out, size_t cap) {
  if (pc->closed) return 0;
  return rtc_transport_mdns_answer(pc->transport, query, len, legacy, out, cap);
}
