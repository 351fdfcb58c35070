/* ICE agent (RFC 8445): lifetime, candidates, pairs, output and event queues.
 * The STUN side (checks, responses, timers) is in rtc_ice_checks.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rtc_err.h"
#include "base/rtc_log.h"
#include "base/rtc_random.h"
#include "base/rtc_ring.h"
#include "base/rtc_time.h"
#include "ice/rtc_ice_internal.h"

static bool copy_cred(char *dst, const char *src, size_t min, size_t max) {
  size_t n = src ? strlen(src) : 0;
  if (n < min || n > max) return false;
  memcpy(dst, src, n + 1);
  return true;
}

rtc_ice_agent_t *rtc_ice_agent_create(const rtc_ice_config_t *cfg, uint64_t now_us) {
  rtc_ice_agent_t *ice = calloc(1, sizeof *ice);
  if (!ice) goto fail;
  rtc_ice_config_t def = {0};
  if (!cfg) cfg = &def;
  ice->controlling = cfg->controlling;
  ice->tie_breaker = cfg->tie_breaker ? cfg->tie_breaker : rtc_random_u64();
  ice->ta_ms = cfg->ta_ms ? cfg->ta_ms : RTC_ICE_DEFAULT_TA_MS;
  ice->failed_timeout_ms =
      cfg->failed_timeout_ms ? cfg->failed_timeout_ms : RTC_ICE_DEFAULT_FAILED_TIMEOUT_MS;
  /* RFC 8839 5.4: ufrag >= 4 chars, pwd >= 22 chars (24 = 144 bits of entropy). */
  if (!cfg->local_ufrag)
    rtc_random_ice_string(ice->lufrag, 8);
  else if (!copy_cred(ice->lufrag, cfg->local_ufrag, 1, RTC_ICE_MAX_CRED))
    goto fail;
  if (!cfg->local_pwd)
    rtc_random_ice_string(ice->lpwd, 24);
  else if (!copy_cred(ice->lpwd, cfg->local_pwd, 1, RTC_ICE_MAX_CRED))
    goto fail;
  rtc_stun_key_init(&ice->lkey, (const uint8_t *)ice->lpwd, strlen(ice->lpwd));
  rtc_stun_key_init(&ice->rkey, NULL, 0); /* rpwd is "" until the peer's arrive */
  ice->selected = -1;
  ice->nominating = -1;
  ice->state = RTC_ICE_NEW;
  ice->now_us = now_us;
  return ice;
fail:
  rtc_ice_agent_destroy(ice);
  return NULL;
}

void rtc_ice_agent_destroy(rtc_ice_agent_t *ice) {
  if (!ice) return;
  /* Passwords do not linger in freed memory. */
  memset(ice->lpwd, 0, sizeof ice->lpwd);
  memset(ice->rpwd, 0, sizeof ice->rpwd);
  rtc_stun_key_wipe(&ice->lkey);
  rtc_stun_key_wipe(&ice->rkey);
  free(ice->pairs);
  free(ice->remotes);
  free(ice->ev);
  free(ice->tx);
  free(ice);
}

const char *rtc_ice_agent_local_ufrag(const rtc_ice_agent_t *ice) { return ice->lufrag; }
const char *rtc_ice_agent_local_pwd(const rtc_ice_agent_t *ice) { return ice->lpwd; }
bool rtc_ice_agent_is_controlling(const rtc_ice_agent_t *ice) { return ice->controlling; }

void rtc_ice_agent_set_controlling(rtc_ice_agent_t *ice, bool controlling) {
  if (ice->controlling == controlling) return;
  ice->controlling = controlling;
  rtc__ice_recompute_priorities(ice);
}

/* ---- queues ---- */

void rtc__ice_push_event(rtc_ice_agent_t *ice, const rtc_ice_event_t *ev) {
  if (!rtc_ring_room((void **)&ice->ev, &ice->ev_cap, &ice->ev_head, ice->ev_count,
                     sizeof *ice->ev, 4, RTC_ICE_EV_SLOTS)) {
    if (ice->ev_cap == 0) return; /* no memory for the first slots */
    /* Full: the owner is not draining. Keep the newest (the current truth). */
    ice->ev_head = (ice->ev_head + 1) % ice->ev_cap;
    ice->ev_count--;
  }
  ice->ev[(ice->ev_head + ice->ev_count) % ice->ev_cap] = *ev;
  ice->ev_count++;
}

void rtc__ice_set_state(rtc_ice_agent_t *ice, rtc_ice_state_t st) {
  if (ice->state == st) return;
  RTC_LOG(RTC_LOG_DEBUG, "ice", "state %d -> %d", (int)ice->state, (int)st);
  ice->state = st;
  rtc_ice_event_t ev = {.type = RTC_ICE_EVENT_STATE, .state = st};
  rtc__ice_push_event(ice, &ev);
}

/* A slot to build a datagram in, or NULL when the queue is full (the datagram is
 * dropped: retransmission covers requests, the peer retransmits for responses). */
uint8_t *rtc__ice_tx_slot(rtc_ice_agent_t *ice, const rtc_addr_t *local, const rtc_addr_t *remote) {
  if (ice->tx_count == ice->tx_cap) {
    /* Grow the ring (in order, from slot 0): the owner drains it after every call,
     * so a few slots are the usual need; bursts (many pairs) take up to the limit. */
    if (ice->tx_cap >= RTC_ICE_TX_SLOTS) return NULL;
    int cap = ice->tx_cap ? 2 * ice->tx_cap : 2;
    if (cap > RTC_ICE_TX_SLOTS) cap = RTC_ICE_TX_SLOTS;
    rtc__ice_tx_t *n = malloc((size_t)cap * sizeof *n);
    if (!n) return NULL;
    for (int i = 0; i < ice->tx_count; i++)
      n[i] = ice->tx[(ice->tx_head + i) % ice->tx_cap];
    free(ice->tx);
    ice->tx = n;
    ice->tx_head = 0;
    ice->tx_cap = cap;
  }
  rtc__ice_tx_t *t = &ice->tx[(ice->tx_head + ice->tx_count) % ice->tx_cap];
  t->local = *local;
  t->remote = *remote;
  t->len = 0;
  return t->data;
}

void rtc__ice_tx_commit(rtc_ice_agent_t *ice, size_t len) {
  ice->tx[(ice->tx_head + ice->tx_count) % ice->tx_cap].len = len;
  ice->tx_count++;
}

bool rtc_ice_agent_poll_transmit(rtc_ice_agent_t *ice, rtc_transmit_t *out) {
  if (ice->tx_count == 0) return false;
  ice->tx_cur = ice->tx[ice->tx_head];
  ice->tx_head = (ice->tx_head + 1) % ice->tx_cap;
  ice->tx_count--;
  out->local = ice->tx_cur.local;
  out->remote = ice->tx_cur.remote;
  out->data = ice->tx_cur.data;
  out->len = ice->tx_cur.len;
  return true;
}

bool rtc_ice_agent_poll_event(rtc_ice_agent_t *ice, rtc_ice_event_t *out) {
  if (ice->ev_count == 0) return false;
  *out = ice->ev[ice->ev_head];
  ice->ev_head = (ice->ev_head + 1) % ice->ev_cap;
  ice->ev_count--;
  return true;
}

/* ---- candidates and pairs ---- */

int rtc__ice_find_local(const rtc_ice_agent_t *ice, const rtc_addr_t *addr) {
  for (int i = 0; i < ice->n_local; i++)
    if (rtc_addr_equal(&ice->locals[i].addr, addr)) return i;
  /* A socket bound to a wildcard address may report it instead of the candidate's:
   * fall back to the one local candidate of that family and port. */
  for (int i = 0; i < ice->n_local; i++)
    if (rtc_addr_family(&ice->locals[i].addr) == rtc_addr_family(addr) &&
        rtc_addr_port(&ice->locals[i].addr) == rtc_addr_port(addr) &&
        rtc_addr_is_tcp(&ice->locals[i].addr) == rtc_addr_is_tcp(addr))
      return i;
  return -1;
}

int rtc__ice_find_remote(const rtc_ice_agent_t *ice, const rtc_addr_t *addr) {
  for (int i = 0; i < ice->n_remote; i++)
    if (rtc_addr_equal(&ice->remotes[i].addr, addr)) return i;
  return -1;
}

int rtc__ice_find_pair(const rtc_ice_agent_t *ice, int local, int remote) {
  for (int i = 0; i < ice->n_pairs; i++)
    if (ice->pairs[i].local == local && ice->pairs[i].remote == remote) return i;
  return -1;
}

/* RFC 8445 6.1.2.3: 2^32*MIN(G,D) + 2*MAX(G,D) + (G>D?1:0), G the controlling side's. */
static uint64_t pair_priority(const rtc_ice_agent_t *ice, const rtc__ice_pair_t *p) {
  uint64_t l = ice->locals[p->local].priority, r = ice->remotes[p->remote].priority;
  uint64_t g = ice->controlling ? l : r, d = ice->controlling ? r : l;
  return ((g < d ? g : d) << 32) + 2 * (g > d ? g : d) + (g > d ? 1 : 0);
}

void rtc__ice_recompute_priorities(rtc_ice_agent_t *ice) {
  for (int i = 0; i < ice->n_pairs; i++)
    ice->pairs[i].priority = pair_priority(ice, &ice->pairs[i]);
}

/* RFC 8445 6.1.2.2: pair only candidates of the same address family; a link-local
 * address can only reach another link-local one. */
static bool compatible(const rtc_addr_t *a, const rtc_addr_t *b) {
  return rtc_addr_family(a) == rtc_addr_family(b) &&
         rtc_addr_is_link_local(a) == rtc_addr_is_link_local(b) &&
         rtc_addr_is_tcp(a) == rtc_addr_is_tcp(b);
}

/* RFC 6544 6.2: TCP pairs are active-passive (simultaneous-open is not done). A
 * signalled active remote (port 9) gets no pair: it connects to our passive
 * candidates and becomes peer-reflexive (a real address) when its check arrives. */
static bool tcp_pairable(const rtc__ice_local_t *l, const rtc__ice_remote_t *r) {
  if (l->tcptype == RTC__TCP_NONE) return true;
  if (l->tcptype == RTC__TCP_ACTIVE) return r->tcptype == RTC__TCP_PASSIVE;
  return l->tcptype == RTC__TCP_PASSIVE && r->tcptype == RTC__TCP_ACTIVE &&
         r->type == RTC_ICE_CAND_PRFLX;
}

static int add_pair(rtc_ice_agent_t *ice, int local, int remote) {
  if (!compatible(&ice->locals[local].addr, &ice->remotes[remote].addr)) return 0;
  if (!tcp_pairable(&ice->locals[local], &ice->remotes[remote])) return 0;
  if (rtc__ice_find_pair(ice, local, remote) >= 0) return 0;
  if (ice->n_pairs == ice->pairs_cap) {
    if (ice->pairs_cap >= RTC_ICE_MAX_PAIRS) return RTC_ELIMIT;
    int cap = ice->pairs_cap ? 2 * ice->pairs_cap : 4;
    if (cap > RTC_ICE_MAX_PAIRS) cap = RTC_ICE_MAX_PAIRS;
    rtc__ice_pair_t *n = realloc(ice->pairs, (size_t)cap * sizeof *n);
    if (!n) return RTC_ENOMEM;
    ice->pairs = n;
    ice->pairs_cap = cap;
  }
  rtc__ice_pair_t *p = &ice->pairs[ice->n_pairs++];
  memset(p, 0, sizeof *p);
  p->local = (uint8_t)local;
  p->remote = (uint8_t)remote;
  p->state = RTC__PAIR_WAITING;
  p->priority = pair_priority(ice, p);
  /* The first check goes out as soon as the owner calls handle_timeout (deadline now). */
  ice->kick = true;
  return 0;
}

/* Pairs a new local candidate with every remote one (rtc_ice_relay.c). */
void rtc__ice_pair_local(rtc_ice_agent_t *ice, int local) {
  for (int r = 0; r < ice->n_remote; r++)
    add_pair(ice, local, r);
}

int rtc_ice_agent_add_local_host(rtc_ice_agent_t *ice, const rtc_addr_t *addr,
                                 rtc_ice_candidate_t *out) {
  int fam = addr ? rtc_addr_family(addr) : 0;
  if (fam != AF_INET && fam != AF_INET6) return RTC_EINVAL;
  if (ice->state == RTC_ICE_CLOSED) return RTC_ECLOSED;
  int idx = rtc__ice_find_local(ice, addr);
  if (idx < 0 || !rtc_addr_equal(&ice->locals[idx].addr, addr)) {
    if (ice->n_local == RTC_ICE_MAX_LOCAL) return RTC_ELIMIT;
    idx = ice->n_local++;
    rtc__ice_local_t *l = &ice->locals[idx];
    char ip[RTC_ADDR_STRLEN], fbuf[64];
    l->addr = *addr;
    rtc_addr_to_string(addr, ip, sizeof ip);
    /* RFC 8445 5.1.2.1 / RFC 8421: local preference prefers IPv6 over IPv4, routable
     * over link-local, then the order the owner added addresses in. */
    uint32_t base = rtc_addr_is_link_local(addr) ? 16383 : fam == AF_INET6 ? 65535 : 32767;
    uint32_t local_pref = base - (uint32_t)idx, type_pref = RTC_ICE_TYPE_PREF_HOST;
    bool tcp = rtc_addr_is_tcp(addr);
    if (tcp) {
      /* RFC 6544 4.5: a TCP address on port 9 is an active candidate (no listening
       * socket); any other is passive. RFC 6544 4.2: local preference =
       * 2^13 * direction-pref (host: active 6, passive 4) + other-pref (13 bits). */
      l->tcptype = rtc_addr_port(addr) == RTC_ICE_TCP_ACTIVE_PORT ? RTC__TCP_ACTIVE : RTC__TCP_PASSIVE;
      uint32_t other = (base >> 3) - (uint32_t)idx;
      local_pref = ((l->tcptype == RTC__TCP_ACTIVE ? 6u : 4u) << 13) | (other & 0x1FFF);
      type_pref = RTC_ICE_TYPE_PREF_HOST_TCP;
    }
    /* RFC 8445 5.1.2.1: (2^24)*type + (2^8)*local + (256 - component). */
    l->priority = (type_pref << 24) | (local_pref << 8) | (256 - 1);
    /* RFC 8445 5.1.1.3: same type, base IP and transport -> same foundation. */
    snprintf(fbuf, sizeof fbuf, "host %s %s", tcp ? "tcp" : "udp", ip);
    snprintf(l->foundation, sizeof l->foundation, "%u",
             (unsigned)rtc_stun_crc32((const uint8_t *)fbuf, strlen(fbuf)));
    for (int r = 0; r < ice->n_remote; r++)
      add_pair(ice, idx, r);
  }
  if (out) {
    const rtc__ice_local_t *l = &ice->locals[idx];
    memset(out, 0, sizeof *out);
    strcpy(out->foundation, l->foundation);
    out->component = 1;
    out->transport = l->tcptype ? RTC_ICE_TCP : RTC_ICE_UDP;
    if (l->tcptype) strcpy(out->tcptype, l->tcptype == RTC__TCP_ACTIVE ? "active" : "passive");
    out->priority = l->priority;
    rtc_addr_to_string(addr, out->address, sizeof out->address);
    out->port = rtc_addr_port(addr);
    out->type = RTC_ICE_CAND_HOST;
    out->address_is_ip = true;
    out->addr = *addr;
    snprintf(out->ufrag, sizeof out->ufrag, "%s", ice->lufrag);
  }
  return 0;
}

int rtc_ice_agent_add_local_srflx(rtc_ice_agent_t *ice, const rtc_addr_t *base,
                                  const rtc_addr_t *mapped, rtc_ice_candidate_t *out) {
  if (!base || !mapped || !out) return RTC_EINVAL;
  if (ice->state == RTC_ICE_CLOSED) return RTC_ECLOSED;
  int idx = -1;
  for (int i = 0; i < ice->n_local; i++)
    if (rtc_addr_equal(&ice->locals[i].addr, base)) idx = i;
  if (idx < 0) return RTC_ENOTFOUND;
  const rtc__ice_local_t *l = &ice->locals[idx];
  char ip[RTC_ADDR_STRLEN], fbuf[80];
  memset(out, 0, sizeof *out);
  /* RFC 8445 5.1.1.3: same type, base IP and STUN server -> same foundation; the
   * server is not known here, the mapped address stands in for it. */
  rtc_addr_to_string(base, ip, sizeof ip);
  int n = snprintf(fbuf, sizeof fbuf, "srflx udp %s ", ip);
  rtc_addr_to_string(mapped, fbuf + n, sizeof fbuf - (size_t)n);
  snprintf(out->foundation, sizeof out->foundation, "%u",
           (unsigned)rtc_stun_crc32((const uint8_t *)fbuf, strlen(fbuf)));
  /* RFC 8445 5.1.2.1 with the base's local preference. */
  out->priority = ((uint32_t)RTC_ICE_TYPE_PREF_SRFLX << 24) | (l->priority & 0x00FFFFFFu);
  out->component = 1;
  out->transport = RTC_ICE_UDP;
  rtc_addr_to_string(mapped, out->address, sizeof out->address);
  out->port = rtc_addr_port(mapped);
  out->type = RTC_ICE_CAND_SRFLX;
  rtc_addr_to_string(base, out->raddr, sizeof out->raddr);
  out->rport = rtc_addr_port(base);
  out->address_is_ip = true;
  out->addr = *mapped;
  snprintf(out->ufrag, sizeof out->ufrag, "%s", ice->lufrag);
  return 0;
}

int rtc__ice_add_remote(rtc_ice_agent_t *ice, const rtc_addr_t *addr, uint32_t priority,
                        rtc_ice_cand_type_t type) {
  rtc__ice_tcptype_t tt = !rtc_addr_is_tcp(addr)          ? RTC__TCP_NONE
                          : type == RTC_ICE_CAND_PRFLX ? RTC__TCP_ACTIVE
                                                       : RTC__TCP_PASSIVE;
  return rtc__ice_add_remote_tcp(ice, addr, priority, type, tt);
}

int rtc__ice_add_remote_tcp(rtc_ice_agent_t *ice, const rtc_addr_t *addr, uint32_t priority,
                            rtc_ice_cand_type_t type, rtc__ice_tcptype_t tcptype) {
  if (ice->n_remote == RTC_ICE_MAX_REMOTE) return RTC_ELIMIT;
  if (ice->n_remote == ice->remotes_cap) {
    int cap = ice->remotes_cap ? 2 * ice->remotes_cap : 4;
    if (cap > RTC_ICE_MAX_REMOTE) cap = RTC_ICE_MAX_REMOTE;
    rtc__ice_remote_t *nr = realloc(ice->remotes, (size_t)cap * sizeof(*nr));
    if (!nr) return RTC_ENOMEM;
    ice->remotes = nr;
    ice->remotes_cap = cap;
  }
  int idx = ice->n_remote++;
  ice->remotes[idx].addr = *addr;
  ice->remotes[idx].tcptype = tcptype;
  ice->remotes[idx].priority = priority;
  ice->remotes[idx].type = type;
  ice->remotes[idx].foundation[0] = '\0';
  for (int l = 0; l < ice->n_local; l++)
    add_pair(ice, l, idx);
  return idx;
}

int rtc_ice_agent_add_remote_candidate(rtc_ice_agent_t *ice, const rtc_ice_candidate_t *c) {
  if (!c) return RTC_EINVAL;
  if (ice->state == RTC_ICE_CLOSED) return RTC_ECLOSED;
  if (!c->address_is_ip) return RTC_ENOTSUP;
  rtc__ice_tcptype_t tt = RTC__TCP_NONE;
  if (c->transport == RTC_ICE_TCP) {
    /* RFC 6544: active and passive only (no simultaneous-open). */
    if (strcmp(c->tcptype, "active") == 0)
      tt = RTC__TCP_ACTIVE;
    else if (strcmp(c->tcptype, "passive") == 0)
      tt = RTC__TCP_PASSIVE;
    else
      return RTC_ENOTSUP;
  }
  if (c->component != 1) return RTC_ENOTSUP; /* rtcp-mux: component 2 is never used */
  int fam = rtc_addr_family(&c->addr);
  if ((fam != AF_INET && fam != AF_INET6) || rtc_addr_port(&c->addr) == 0) return RTC_EINVAL;
  if (rtc_addr_is_tcp(&c->addr) != (tt != RTC__TCP_NONE)) return RTC_EINVAL;
  int idx = rtc__ice_find_remote(ice, &c->addr);
  if (idx >= 0) {
    /* RFC 8445 7.3.1.3: a signalled candidate replaces the peer-reflexive one we
     * learnt for the same address (its priority comes from signalling now). */
    rtc__ice_remote_t *r = &ice->remotes[idx];
    if (r->type == RTC_ICE_CAND_PRFLX && c->type != RTC_ICE_CAND_PRFLX) {
      r->type = c->type;
      r->priority = c->priority;
      snprintf(r->foundation, sizeof r->foundation, "%s", c->foundation);
      rtc__ice_recompute_priorities(ice);
    }
    return 0;
  }
  int r = rtc__ice_add_remote_tcp(ice, &c->addr, c->priority, c->type, tt);
  if (r >= 0) snprintf(ice->remotes[r].foundation, sizeof ice->remotes[r].foundation, "%s", c->foundation);
  return r < 0 ? r : 0;
}

int rtc_ice_agent_set_remote_credentials(rtc_ice_agent_t *ice, const char *ufrag, const char *pwd) {
  /* RFC 8839 5.4: ufrag 4..256 characters, pwd 22..256. */
  char u[RTC_ICE_MAX_CRED + 1], p[RTC_ICE_MAX_CRED + 1];
  if (!copy_cred(u, ufrag, 4, RTC_ICE_MAX_CRED) || !copy_cred(p, pwd, 22, RTC_ICE_MAX_CRED))
    return RTC_EINVAL;
  if (ice->state == RTC_ICE_CLOSED) return RTC_ECLOSED;
  memcpy(ice->rufrag, u, sizeof u);
  memcpy(ice->rpwd, p, sizeof p);
  rtc_stun_key_init(&ice->rkey, (const uint8_t *)ice->rpwd, strlen(ice->rpwd));
  ice->has_remote_creds = true;
  ice->kick = true; /* checks remembered from before may go now */
  return 0;
}

void rtc_ice_agent_set_remote_gathering_done(rtc_ice_agent_t *ice) {
  ice->remote_gathering_done = true;
  ice->kick = true;
}

void rtc_ice_agent_set_local_gathering_done(rtc_ice_agent_t *ice) {
  ice->local_gathering_done = true;
  ice->kick = true;
}

/* ---- selection and getters ---- */

/* Selects `pair` (callers decide whether to: the first nomination, a controlled
 * agent following the peer, a controlling agent's switch). Data follows the selected
 * pair at once (the owner asks for it on every send); DTLS, SCTP and SRTP never notice. */
void rtc__ice_select(rtc_ice_agent_t *ice, int pair, uint64_t now_us) {
  if (ice->selected == pair) return;
  int old = ice->selected;
  bool old_weak = rtc__ice_selected_weak(ice, now_us);
  ice->selected = pair;
  ice->selected_changes++;
  rtc__ice_pair_t *p = &ice->pairs[pair];
  p->nominated = true;
  ice->last_response_us = now_us;
  ice->last_received_us = now_us;
  ice->sel_since_us = ice->sel_rx_us = now_us;
  ice->round_open = false;
  if (old >= 0) {
    RTC_LOG(RTC_LOG_INFO, "ice", "selected pair switched (%s)",
            ice->pairs[old].priority > p->priority ? "down" : "up");
    /* The pair we leave is probed like any other, so we know when it works again; left
     * because it went silent, it is dead until it answers (its consent check may still
     * be retransmitting: that is not "alive"). */
    rtc__ice_pair_t *o = &ice->pairs[old];
    o->next_probe_us = now_us + RTC_MS(RTC_ICE_PROBE_FAST_MS);
    if (old_weak && o->fail_streak < RTC_ICE_DEAD_STREAK)
      o->fail_streak = RTC_ICE_DEAD_STREAK;
  }
  /* RFC 7675 5.1: first consent check one (randomised) period after selection. */
  ice->next_consent_us =
      now_us + RTC_MS(RTC_ICE_CONSENT_MIN_MS +
                      rtc_random_u32() % (RTC_ICE_CONSENT_MAX_MS - RTC_ICE_CONSENT_MIN_MS));
  rtc_ice_event_t ev = {.type = RTC_ICE_EVENT_SELECTED_PAIR};
  ev.local = ice->locals[p->local].addr;
  ev.remote = ice->remotes[p->remote].addr;
  rtc__ice_push_event(ice, &ev);
  if (ice->state != RTC_ICE_COMPLETED) rtc__ice_set_state(ice, RTC_ICE_CONNECTED);
}

rtc_ice_state_t rtc_ice_agent_state(const rtc_ice_agent_t *ice) { return ice->state; }

bool rtc_ice_agent_get_selected(const rtc_ice_agent_t *ice, rtc_addr_t *local, rtc_addr_t *remote) {
  if (ice->selected < 0) return false;
  const rtc__ice_pair_t *p = &ice->pairs[ice->selected];
  if (local) *local = ice->locals[p->local].addr;
  if (remote) *remote = ice->remotes[p->remote].addr;
  return true;
}

uint32_t rtc_ice_agent_rtt_ms(const rtc_ice_agent_t *ice) {
  if (ice->selected < 0 || !ice->pairs[ice->selected].has_rtt) return 0;
  /* Round up: a measured sub-millisecond RTT is 1, not "unknown". */
  return (uint32_t)((ice->pairs[ice->selected].srtt_us + 999) / 1000);
}

bool rtc_ice_agent_is_valid_pair(const rtc_ice_agent_t *ice, const rtc_addr_t *local,
                                 const rtc_addr_t *remote) {
  int l = rtc__ice_find_local(ice, local), r = rtc__ice_find_remote(ice, remote);
  if (l < 0 || r < 0) return false;
  int p = rtc__ice_find_pair(ice, l, r);
  return p >= 0 && (ice->pairs[p].valid || ice->pairs[p].received_check);
}

void rtc_ice_agent_note_received(rtc_ice_agent_t *ice, uint64_t now_us, const rtc_addr_t *local,
                                 const rtc_addr_t *remote) {
  if (now_us > ice->last_received_us) ice->last_received_us = now_us;
  if (ice->selected < 0 || !local || !remote) return;
  const rtc__ice_pair_t *p = &ice->pairs[ice->selected];
  if (rtc_addr_equal(&ice->remotes[p->remote].addr, remote) &&
      (rtc_addr_equal(&ice->locals[p->local].addr, local) ||
       rtc__ice_find_local(ice, local) == p->local) &&
      now_us > ice->sel_rx_us)
    ice->sel_rx_us = now_us;
}

uint32_t rtc_ice_agent_selected_changes(const rtc_ice_agent_t *ice) {
  return ice->selected_changes;
}

void rtc_ice_agent_close(rtc_ice_agent_t *ice) {
  if (ice->state == RTC_ICE_CLOSED) return;
  for (int i = 0; i < ice->n_pairs; i++)
    ice->pairs[i].in_flight = false;
  ice->tx_count = 0;
  rtc__ice_set_state(ice, RTC_ICE_CLOSED);
}

void rtc_ice_agent_get_stats(const rtc_ice_agent_t *ice, rtc_ice_stats_t *out) {
  *out = ice->stats;
}

/* ---- sans-IO entry points ---- */

int rtc_ice_agent_handle_datagram(rtc_ice_agent_t *ice, uint64_t now_us, const rtc_addr_t *local,
                                  const rtc_addr_t *from, const uint8_t *p, size_t len) {
  if (now_us > ice->now_us) ice->now_us = now_us;
  if (ice->state == RTC_ICE_CLOSED) return 0;
  if (!local || !from || !p) return RTC_EINVAL;
  int l = rtc__ice_find_local(ice, local);
  if (l < 0) {
    ice->stats.stun_dropped++;
    return 0;
  }
  rtc__ice_handle_stun(ice, ice->now_us, l, from, p, len);
  /* Triggered checks and nominations go out now, not at the next timer. */
  rtc__ice_run(ice, ice->now_us);
  return 0;
}

int rtc_ice_agent_handle_timeout(rtc_ice_agent_t *ice, uint64_t now_us) {
  if (now_us > ice->now_us) ice->now_us = now_us;
  if (ice->state == RTC_ICE_CLOSED) return 0;
  rtc__ice_run(ice, ice->now_us);
  return 0;
}

uint64_t rtc_ice_agent_poll_timeout(const rtc_ice_agent_t *ice) {
  if (ice->state == RTC_ICE_CLOSED) return RTC_NEVER;
  if (ice->kick) return ice->now_us;
  return rtc__ice_deadline(ice);
}
