/* Our host candidates under mDNS names (draft-ietf-mmusic-mdns-ice-candidates 3.1):
 * with the option on, every local IP gets a random "<uuid>.local" the first time a
 * host candidate on it is signaled, the candidate carries the name instead of the
 * address, and the io layer's responder answers the peer's queries for it from here.
 * The names live as long as the transport (an ICE restart keeps them, as Chromium
 * does): a peer that resolved one keeps a valid answer. */
#include <stdlib.h>
#include <string.h>

#include "base/rtc_err.h"
#include "ice/rtc_mdns.h"
#include "transport/rtc_transport_internal.h"

/* RFC 6762 10: 120 s for records naming a host. */
#define MDNS_TTL_S 120

struct rtc_transport_mdns {
  size_t n;
  rtc_addr_t ip[RTC_ICE_MAX_LOCAL]; /* port 0 */
  char name[RTC_ICE_MAX_LOCAL][RTC_MDNS_UUID_NAME_LEN + 1];
};

int rtc_transport_set_mdns(rtc_transport_t *t, bool on) {
  if (!on) {
    free(t->mdns);
    t->mdns = NULL;
    return 0;
  }
  if (t->mdns) return 0;
  t->mdns = calloc(1, sizeof(*t->mdns));
  return t->mdns ? 0 : RTC_ENOMEM;
}

void rtc__transport_mdns_free(rtc_transport_t *t) {
  free(t->mdns);
  t->mdns = NULL;
}

static const char *mdns_name_for(rtc_transport_mdns_t *m, const rtc_addr_t *addr) {
  rtc_addr_t ip = *addr;
  rtc_addr_set_port(&ip, 0);
  rtc_addr_set_tcp(&ip, false);
  for (size_t i = 0; i < m->n; i++)
    if (rtc_addr_equal(&m->ip[i], &ip)) return m->name[i];
  if (m->n == RTC_ICE_MAX_LOCAL) return NULL;
  m->ip[m->n] = ip;
  rtc_mdns_random_name(m->name[m->n]);
  return m->name[m->n++];
}

void rtc__transport_mdns_hide(rtc_transport_t *t, rtc_ice_candidate_t *c) {
  if (!t->mdns) return;
  if (c->type == RTC_ICE_CAND_HOST) {
    const char *name = mdns_name_for(t->mdns, &c->addr);
    /* All RTC_ICE_MAX_LOCAL names taken cannot happen (one per local candidate):
     * the candidate keeps its address rather than go unsignaled. */
    if (name) strcpy(c->address, name);
    return;
  }
  /* 3.1.2.2 / Chromium: a server-reflexive or relayed candidate's related address
   * would give the host address away. */
  if (c->raddr[0]) {
    strcpy(c->raddr, strchr(c->raddr, ':') ? "::" : "0.0.0.0");
    c->rport = 0;
  }
}

int rtc_transport_mdns_answer(const rtc_transport_t *t, const uint8_t *query, size_t len,
                              bool legacy, uint8_t *out, size_t cap) {
  if (!t->mdns || t->closed || len < 2) return 0;
  const rtc_transport_mdns_t *m = t->mdns;
  for (size_t i = 0; i < m->n; i++) {
    int asks = rtc_mdns_query_asks(query, len, m->name[i], NULL);
    if (asks < 0) return asks; /* malformed: the same for every name */
    int want = rtc_addr_family(&m->ip[i]) == AF_INET ? 1 : 2;
    if (!(asks & want)) continue;
    /* The id is echoed only to a legacy querier (RFC 6762 6.7). */
    uint16_t id = (uint16_t)(query[0] << 8 | query[1]);
    return rtc_mdns_build_answer(m->name[i], &m->ip[i], MDNS_TTL_S, legacy, id, out, cap);
  }
  return 0;
}
