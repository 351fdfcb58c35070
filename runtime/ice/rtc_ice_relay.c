/* Relayed local candidates (RFC 8445 5.1.1.2): a TURN allocation's relayed address is
 * a local candidate of its own; the owner carries its datagrams through the TURN
 * server, so to the agent it is just another local address. */
#include <stdio.h>
#include <string.h>

#include "base/rtc_err.h"
#include "ice/rtc_ice_internal.h"

int rtc_ice_agent_add_local_relay(rtc_ice_agent_t *ice, const rtc_addr_t *relayed,
                                  const rtc_addr_t *mapped, rtc_ice_candidate_t *out) {
  int fam = relayed ? rtc_addr_family(relayed) : 0;
  if ((fam != AF_INET && fam != AF_INET6) || !mapped || !out) return RTC_EINVAL;
  if (ice->state == RTC_ICE_CLOSED) return RTC_ECLOSED;
  int idx = -1;
  for (int i = 0; i < ice->n_local; i++)
    if (rtc_addr_equal(&ice->locals[i].addr, relayed)) idx = i;
  if (idx < 0) {
    if (ice->n_local == RTC_ICE_MAX_LOCAL) return RTC_ELIMIT;
    idx = ice->n_local++;
    rtc__ice_local_t *l = &ice->locals[idx];
    char ip[RTC_ADDR_STRLEN], fbuf[80];
    l->addr = *relayed;
    /* RFC 8445 5.1.1.3: same type, base IP (the relayed one) and server -> same
     * foundation; the relayed IP names the server. */
    rtc_addr_to_string(relayed, ip, sizeof ip);
    snprintf(fbuf, sizeof fbuf, "relay udp %s", ip);
    snprintf(l->foundation, sizeof l->foundation, "%u",
             (unsigned)rtc_stun_crc32((const uint8_t *)fbuf, strlen(fbuf)));
    /* RFC 8445 5.1.2.1: type preference 0, local preference by the order added. */
    uint32_t local_pref = (fam == AF_INET6 ? 65535u : 32767u) - (uint32_t)idx;
    l->priority = ((uint32_t)RTC_ICE_TYPE_PREF_RELAY << 24) | (local_pref << 8) | (256 - 1);
    rtc__ice_pair_local(ice, idx);
  }
  const rtc__ice_local_t *l = &ice->locals[idx];
  memset(out, 0, sizeof *out);
  strcpy(out->foundation, l->foundation);
  out->component = 1;
  out->transport = RTC_ICE_UDP;
  out->priority = l->priority;
  rtc_addr_to_string(relayed, out->address, sizeof out->address);
  out->port = rtc_addr_port(relayed);
  out->type = RTC_ICE_CAND_RELAY;
  rtc_addr_to_string(mapped, out->raddr, sizeof out->raddr);
  out->rport = rtc_addr_port(mapped);
  out->address_is_ip = true;
  out->addr = *relayed;
  snprintf(out->ufrag, sizeof out->ufrag, "%s", ice->lufrag);
  return 0;
}
