/* What the agent shows the application: its candidates and candidate pairs, as W3C
 * RTCIceTransport (getLocalCandidates, getSelectedCandidatePair) and webrtc-stats
 * (candidate-pair, local-candidate, remote-candidate) describe them. Read-only but
 * for the owner's data counters. */
#include <stdio.h>
#include <string.h>

#include "ice/rtc_ice_internal.h"

size_t rtc_ice_agent_n_candidates(const rtc_ice_agent_t *ice, bool remote) {
  return (size_t)(remote ? ice->n_remote : ice->n_local);
}

static const char *tcptype_name(rtc__ice_tcptype_t t) {
  switch (t) {
  case RTC__TCP_ACTIVE: return "active";
  case RTC__TCP_PASSIVE: return "passive";
  case RTC__TCP_SO: return "so";
  default: return "";
  }
}

bool rtc_ice_agent_candidate(const rtc_ice_agent_t *ice, bool remote, size_t i,
                             rtc_ice_candidate_t *out) {
  if (i >= rtc_ice_agent_n_candidates(ice, remote)) return false;
  memset(out, 0, sizeof *out);
  const rtc_addr_t *a;
  rtc__ice_tcptype_t tt;
  if (remote) {
    const rtc__ice_remote_t *r = &ice->remotes[i];
    a = &r->addr;
    tt = r->tcptype;
    out->priority = r->priority;
    out->type = r->type;
    /* A peer-reflexive candidate has no signalled foundation: RFC 8445 7.3.1.3 lets
     * it be any value unique to it. */
    if (r->foundation[0])
      snprintf(out->foundation, sizeof out->foundation, "%s", r->foundation);
    else
      snprintf(out->foundation, sizeof out->foundation, "prflx%zu", i);
  } else {
    const rtc__ice_local_t *l = &ice->locals[i];
    a = &l->addr;
    tt = l->tcptype;
    out->priority = l->priority;
    /* Locals are host sockets and TURN relayed addresses (type preference 0). */
    out->type = (l->priority >> 24) == RTC_ICE_TYPE_PREF_RELAY ? RTC_ICE_CAND_RELAY : RTC_ICE_CAND_HOST;
    snprintf(out->foundation, sizeof out->foundation, "%s", l->foundation);
  }
  out->component = 1;
  out->transport = rtc_addr_is_tcp(a) ? RTC_ICE_TCP : RTC_ICE_UDP;
  rtc_addr_to_string(a, out->address, sizeof out->address);
  out->port = rtc_addr_port(a);
  snprintf(out->tcptype, sizeof out->tcptype, "%s", tcptype_name(tt));
  out->address_is_ip = true;
  out->addr = *a;
  return true;
}

size_t rtc_ice_agent_n_pairs(const rtc_ice_agent_t *ice) { return (size_t)ice->n_pairs; }

bool rtc_ice_agent_pair_info(const rtc_ice_agent_t *ice, size_t i, rtc_ice_pair_info_t *out) {
  if (i >= (size_t)ice->n_pairs) return false;
  const rtc__ice_pair_t *p = &ice->pairs[i];
  memset(out, 0, sizeof *out);
  out->local = p->local;
  out->remote = p->remote;
  if (p->valid || p->state == RTC__PAIR_SUCCEEDED)
    out->state = RTC_ICE_PAIR_SUCCEEDED;
  else if (p->state == RTC__PAIR_FAILED)
    out->state = RTC_ICE_PAIR_FAILED;
  else if (p->state == RTC__PAIR_IN_PROGRESS || p->in_flight)
    out->state = RTC_ICE_PAIR_IN_PROGRESS;
  else
    out->state = RTC_ICE_PAIR_WAITING;
  out->nominated = p->nominated || p->remote_nominated;
  out->selected = (int)i == ice->selected;
  out->priority = p->priority;
  out->rtt_us = p->has_rtt ? (p->srtt_us ? p->srtt_us : 1) : 0;
  out->requests_sent = p->requests_sent;
  out->requests_received = p->requests_received;
  out->responses_received = p->responses_received;
  out->packets_sent = p->packets_sent;
  out->packets_received = p->packets_received;
  out->bytes_sent = p->bytes_sent;
  out->bytes_received = p->bytes_received;
  return true;
}

void rtc_ice_agent_count_data(rtc_ice_agent_t *ice, const rtc_addr_t *local,
                              const rtc_addr_t *remote, bool sent, size_t len) {
  int pi = ice->selected;
  if (pi < 0 || !rtc_addr_equal(&ice->remotes[ice->pairs[pi].remote].addr, remote) ||
      !rtc_addr_equal(&ice->locals[ice->pairs[pi].local].addr, local)) {
    int l = rtc__ice_find_local(ice, local), r = rtc__ice_find_remote(ice, remote);
    pi = l >= 0 && r >= 0 ? rtc__ice_find_pair(ice, l, r) : -1;
    if (pi < 0) return; /* DTLS before any pair worked: no pair to count it on */
  }
  rtc__ice_pair_t *p = &ice->pairs[pi];
  if (sent) {
    p->packets_sent++;
    p->bytes_sent += len;
  } else {
    p->packets_received++;
    p->bytes_received += len;
  }
}

const char *rtc_ice_agent_remote_ufrag(const rtc_ice_agent_t *ice) {
  return ice->has_remote_creds ? ice->rufrag : NULL;
}
const char *rtc_ice_agent_remote_pwd(const rtc_ice_agent_t *ice) {
  return ice->has_remote_creds ? ice->rpwd : NULL;
}
