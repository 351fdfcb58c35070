/* The transport: ICE, the DTLS association over it and SRTP, demultiplexed by first
 * byte (RFC 7983). See rtc_transport.h for the contract. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/rtc_err.h"
#include "base/rtc_log.h"
#include "base/rtc_time.h"
#include "transport/rtc_transport_internal.h"

rtc_transport_t *rtc_transport_create(const rtc_transport_config_t *cfg, uint64_t now_us) {
  if (!cfg || !cfg->cert) return NULL;
  rtc_transport_t *t = calloc(1, sizeof(*t));
  if (!t) return NULL;
  t->log_id = cfg->log_id;
  t->cert = rtc_dtls_cert_ref(cfg->cert);
  rtc_ice_config_t icfg = {.controlling = cfg->controlling};
  t->ice = rtc_ice_agent_create(&icfg, now_us);
  /* The handshake retransmits as a browser's does (RTO doubling to 60 s, 12 timeouts
   * in a row before it gives up: runtime/dtls): while ICE holds the path it goes on,
   * and when ICE fails the pc is failed anyway. It used to give up after ~16 s of
   * retries (max_rto_ms 8000), which at 29% loss left a server connected to a client
   * that had given up (tests/sim seeds 1871, 291). */
  rtc_dtls_config_t dc = {.cert = t->cert};
  t->dtls = rtc_dtls_create(&dc);
  if (!t->ice || !t->dtls) {
    rtc_transport_destroy(t);
    return NULL;
  }
  return t;
}

static void free_cands(char **c, size_t *n) {
  for (size_t i = 0; i < *n; i++)
    free(c[i]);
  *n = 0;
}

void rtc_transport_destroy(rtc_transport_t *t) {
  if (!t) return;
  rtc_transport_restart_commit(t);
  rtc_ice_agent_destroy(t->ice);
  rtc_ice_agent_destroy(t->ice_next);
  rtc_dtls_destroy(t->dtls);
  rtc__transport_srtp_free(t);
  free(t->tx_ring);
  free(t->rx);
  free_cands(t->local_cands, &t->n_local_cands);
  rtc__transport_mdns_free(t);
  free(t->remote_ufrag);
  free(t->fp_alg);
  free(t->fp);
  rtc_dtls_cert_unref(t->cert);
  free(t);
}

/* ---- ICE ---- */

rtc_ice_agent_t *rtc_transport_ice(const rtc_transport_t *t) { return t->ice; }

void rtc_transport_set_controlling(rtc_transport_t *t, bool controlling) {
  rtc_ice_agent_set_controlling(t->ice, controlling);
}

static void transport_pump(rtc_transport_t *t, uint64_t now_us);

/* A new local candidate as the application will signal it (under its mDNS name when
 * hidden), kept for the local description; then checks start on it. */
static int transport_signal_local(rtc_transport_t *t, uint64_t now_us, rtc_ice_candidate_t *c,
                                  char *text, size_t cap) {
  rtc__transport_mdns_hide(t, c);
  if (rtc_ice_candidate_format(c, false, text, cap) < 0) return RTC_EINVAL;
  if (t->n_local_cands < RTC_ICE_MAX_LOCAL) {
    char *v = strdup(text);
    if (v) t->local_cands[t->n_local_cands++] = v;
  }
  transport_pump(t, now_us);
  return 0;
}

int rtc_transport_add_local_address(rtc_transport_t *t, uint64_t now_us, const rtc_addr_t *addr,
                                    char *text, size_t cap) {
  if (t->closed) return RTC_ESTATE;
  rtc_ice_candidate_t c;
  int r = rtc_ice_agent_add_local_host(t->ice, addr, &c);
  if (r < 0) return r;
  bool known = false;
  for (size_t i = 0; i < t->n_local_addrs; i++)
    known |= rtc_addr_equal(&t->local_addrs[i], addr);
  if (!known && t->n_local_addrs < RTC_ICE_MAX_LOCAL) t->local_addrs[t->n_local_addrs++] = *addr;
  return transport_signal_local(t, now_us, &c, text, cap);
}

int rtc_transport_add_local_srflx(rtc_transport_t *t, uint64_t now_us, const rtc_addr_t *base,
                                  const rtc_addr_t *mapped, char *text, size_t cap) {
  if (t->closed) return RTC_ESTATE;
  rtc_ice_candidate_t c;
  int r = rtc_ice_agent_add_local_srflx(t->ice, base, mapped, &c);
  if (r < 0) return r;
  return transport_signal_local(t, now_us, &c, text, cap);
}

int rtc_transport_add_local_relay(rtc_transport_t *t, uint64_t now_us, const rtc_addr_t *relayed,
                                  const rtc_addr_t *mapped, char *text, size_t cap) {
  if (t->closed) return RTC_ESTATE;
  rtc_ice_candidate_t c;
  int r = rtc_ice_agent_add_local_relay(t->ice, relayed, mapped, &c);
  if (r < 0) return r;
  return transport_signal_local(t, now_us, &c, text, cap);
}

void rtc_transport_set_local_gathering_done(rtc_transport_t *t, uint64_t now_us) {
  rtc_ice_agent_set_local_gathering_done(t->ice);
  t->local_gather_done = true;
  transport_pump(t, now_us);
}

size_t rtc_transport_local_candidates(const rtc_transport_t *t, const char *const **out) {
  *out = (const char *const *)t->local_cands;
  return t->n_local_cands;
}

bool rtc_transport_local_gathering_done(const rtc_transport_t *t) { return t->local_gather_done; }

/* `next` becomes the live agent; the replaced one is kept with its candidates. */
static void ice_replace(rtc_transport_t *t, rtc_ice_agent_t *next) {
  rtc_transport_restart_commit(t); /* a restart on top of a restart: the oldest goes */
  t->ice_prev = t->ice;
  t->ice = next;
  memcpy(t->prev_local_cands, t->local_cands, sizeof(t->local_cands));
  t->prev_n_local_cands = t->n_local_cands;
  t->prev_local_gather_done = t->local_gather_done;
  t->n_local_cands = 0;
  t->local_gather_done = false;
  t->prev_remote_ufrag = t->remote_ufrag;
  t->remote_ufrag = NULL;
  t->regather = true;
}

int rtc_transport_set_remote_credentials(rtc_transport_t *t, uint64_t now_us, const char *ufrag,
                                         const char *pwd) {
  if (!ufrag || !pwd) return RTC_EINVAL;
  if (t->remote_ufrag && strcmp(t->remote_ufrag, ufrag) == 0) return 0;
  int restarted = 0;
  if (t->remote_ufrag) {
    /* The peer restarts ICE (RFC 8445 9): we answer with new credentials too, from a
     * new agent in the same role; DTLS goes on over its pairs. */
    RTC_LOG(RTC_LOG_INFO, "transport", "pc %u: ICE restart by the peer", t->log_id);
    rtc_ice_config_t icfg = {.controlling = rtc_ice_agent_is_controlling(t->ice)};
    rtc_ice_agent_t *next = rtc_ice_agent_create(&icfg, now_us);
    if (!next) return RTC_ENOMEM;
    ice_replace(t, next);
    restarted = 1;
  }
  char *copy = strdup(ufrag);
  if (!copy) return RTC_ENOMEM;
  free(t->remote_ufrag);
  t->remote_ufrag = copy;
  int r = rtc_ice_agent_set_remote_credentials(t->ice, ufrag, pwd);
  transport_pump(t, now_us);
  return r < 0 ? r : restarted;
}

int rtc_transport_add_remote_candidate(rtc_transport_t *t, uint64_t now_us,
                                       const rtc_ice_candidate_t *c) {
  if (c->ufrag[0] && t->remote_ufrag && strcmp(c->ufrag, t->remote_ufrag) != 0) return 0;
  int r = rtc_ice_agent_add_remote_candidate(t->ice, c);
  transport_pump(t, now_us);
  return r;
}

void rtc_transport_set_remote_gathering_done(rtc_transport_t *t, uint64_t now_us) {
  rtc_ice_agent_set_remote_gathering_done(t->ice);
  transport_pump(t, now_us);
}

int rtc_transport_restart_prepare(rtc_transport_t *t, uint64_t now_us) {
  if (t->ice_next) return 0;
  /* RFC 8445 9: new credentials; the new agent takes over at setLocalDescription. */
  rtc_ice_config_t icfg = {.controlling = true};
  t->ice_next = rtc_ice_agent_create(&icfg, now_us);
  return t->ice_next ? 0 : RTC_ENOMEM;
}

rtc_ice_agent_t *rtc_transport_next_ice(const rtc_transport_t *t) { return t->ice_next; }

void rtc_transport_restart_apply(rtc_transport_t *t, uint64_t now_us) {
  if (!t->ice_next) return;
  rtc_ice_agent_t *next = t->ice_next;
  t->ice_next = NULL;
  ice_replace(t, next);
  transport_pump(t, now_us);
}

void rtc_transport_restart_commit(rtc_transport_t *t) {
  rtc_ice_agent_destroy(t->ice_prev);
  t->ice_prev = NULL;
  free(t->prev_remote_ufrag);
  t->prev_remote_ufrag = NULL;
  free_cands(t->prev_local_cands, &t->prev_n_local_cands);
}

void rtc_transport_restart_rollback(rtc_transport_t *t) {
  if (!t->ice_prev) return;
  rtc_ice_agent_destroy(t->ice);
  t->ice = t->ice_prev;
  t->ice_prev = NULL;
  free_cands(t->local_cands, &t->n_local_cands);
  memcpy(t->local_cands, t->prev_local_cands, sizeof(t->local_cands));
  t->n_local_cands = t->prev_n_local_cands;
  t->prev_n_local_cands = 0;
  t->local_gather_done = t->prev_local_gather_done;
  free(t->remote_ufrag);
  t->remote_ufrag = t->prev_remote_ufrag;
  t->prev_remote_ufrag = NULL;
  t->regather = false;
}

bool rtc_transport_take_regather(rtc_transport_t *t, const rtc_addr_t **addrs, size_t *n) {
  if (!t->regather) return false;
  t->regather = false;
  *addrs = t->local_addrs;
  *n = t->n_local_addrs;
  return true;
}

/* ---- DTLS ---- */

/* RFC 8122: "AB:CD:..." with exactly the digest's length in bytes. */
static bool fingerprint_well_formed(const char *fp, size_t bytes) {
  for (size_t i = 0; i < bytes; i++) {
    const char *b = fp + 3 * i;
    for (int k = 0; k < 2; k++)
      if (!((b[k] >= '0' && b[k] <= '9') || (b[k] >= 'a' && b[k] <= 'f') ||
            (b[k] >= 'A' && b[k] <= 'F')))
        return false;
    if (b[2] != (i + 1 < bytes ? ':' : '\0')) return false;
  }
  return true;
}

int rtc_transport_check_fingerprint(const rtc_transport_t *t, const char *alg, const char *fp) {
  if (!alg || !fp) return RTC_EINVAL;
  size_t want = !strcasecmp(alg, "sha-1")     ? 20
                : !strcasecmp(alg, "sha-256") ? 32
                : !strcasecmp(alg, "sha-384") ? 48
                : !strcasecmp(alg, "sha-512") ? 64
                                              : 0;
  if (!want) return RTC_ENOTSUP;
  if (!fingerprint_well_formed(fp, want)) return RTC_EINVAL;
  /* A new fingerprint means a new DTLS association (RFC 8842 5.5); we keep one. */
  if (t->dtls_started && t->fp && strcasecmp(t->fp, fp) != 0) return RTC_ENOTSUP;
  return 0;
}

int rtc_transport_set_remote_fingerprint(rtc_transport_t *t, const char *alg, const char *fp) {
  int r = rtc_transport_check_fingerprint(t, alg, fp);
  if (r < 0) return r;
  char *a = strdup(alg), *f = strdup(fp);
  if (!a || !f) {
    free(a);
    free(f);
    return RTC_ENOMEM;
  }
  free(t->fp_alg);
  free(t->fp);
  t->fp_alg = a;
  t->fp = f;
  return 0;
}

static void dtls_maybe_start(rtc_transport_t *t, uint64_t now_us) {
  if (t->dtls_started || t->dtls_failed || !t->role_known || !t->fp || t->closed) return;
  /* The client speaks first, so it waits for a working ICE pair; the server can start
   * at once and answer whatever ClientHello arrives. */
  rtc_addr_t sel_local, sel_remote;
  if (t->role == RTC_DTLS_ROLE_CLIENT &&
      !rtc_ice_agent_get_selected(t->ice, &sel_local, &sel_remote) && !t->dtls_addr_known)
    return;
  uint32_t rtt = rtc_ice_agent_rtt_ms(t->ice);
  /* Start DTLS retransmissions from the ICE round trip (x2 + margin), not from a
   * fixed second: on a LAN this cuts a lost flight's cost from 1 s to milliseconds. */
  if (rtt) rtc_dtls_set_rto(t->dtls, rtt * 2 + 20 < 50 ? 50 : rtt * 2 + 20);
  if (rtc_dtls_start(t->dtls, now_us, t->role, t->fp_alg, t->fp) < 0) {
    RTC_LOG(RTC_LOG_ERROR, "transport", "pc %u: DTLS could not start", t->log_id);
    t->dtls_failed = true;
    return;
  }
  t->dtls_started = true;
}

int rtc_transport_start_dtls(rtc_transport_t *t, uint64_t now_us, rtc_dtls_role_t role) {
  if (t->role_known) return t->role == role ? 0 : RTC_ESTATE;
  t->role = role;
  t->role_known = true;
  dtls_maybe_start(t, now_us);
  return 0;
}

bool rtc_transport_dtls_role(const rtc_transport_t *t, rtc_dtls_role_t *role) {
  if (t->role_known && role) *role = t->role;
  return t->role_known;
}

rtc_dtls_state_t rtc_transport_dtls_state(const rtc_transport_t *t) {
  return rtc_dtls_state(t->dtls);
}

bool rtc_transport_dtls_failed(const rtc_transport_t *t) { return t->dtls_failed; }

bool rtc_transport_remote_certificate(const rtc_transport_t *t, const uint8_t **der, size_t *len) {
  return rtc_dtls_peer_certificate(t->dtls, der, len);
}

int rtc_transport_send_dtls(rtc_transport_t *t, uint64_t now_us, const uint8_t *p, size_t len) {
  if (rtc_dtls_state(t->dtls) != RTC_DTLS_CONNECTED) return RTC_ESTATE;
  return rtc_dtls_send(t->dtls, p, len);
}

/* ---- SRTP ---- */

/* Ready once DTLS agreed a profile; the sessions themselves are made on first use
 * (rtc__transport_srtp_need): a data-channel-only connection never keys SRTP. */
bool rtc_transport_srtp_ready(const rtc_transport_t *t) {
  return t->srtp != NULL || t->srtp_keyable;
}

static int send_srtp(rtc_transport_t *t, bool rtcp, const uint8_t *p, size_t len) {
  if (!t->closed) rtc__transport_srtp_need(t);
  if (!t->srtp || t->closed) return RTC_ESTATE;
  if (len > RTC_TRANSPORT_MTU) return RTC_ETOOBIG;
  if (!t->tx_ring && !(t->tx_ring = calloc(RTC_TRANSPORT_SRTP_RING, sizeof(*t->tx_ring))))
    return RTC_ENOMEM;
  if (t->tx_n == RTC_TRANSPORT_SRTP_RING) return RTC_EAGAIN;
  rtc_transport_slot_t *s = &t->tx_ring[(t->tx_head + t->tx_n) % RTC_TRANSPORT_SRTP_RING];
  memcpy(s->data, p, len);
  s->len = len;
  int r = rtcp ? rtc_srtp_protect_rtcp(t->srtp, s->data, len, sizeof(s->data), &s->len)
               : rtc_srtp_protect_rtp(t->srtp, s->data, len, sizeof(s->data), &s->len);
  if (r < 0) return r;
  t->tx_n++;
  return 0;
}

int rtc_transport_send_rtp(rtc_transport_t *t, uint64_t now_us, const uint8_t *p, size_t len) {
  if (len < 12) return RTC_EINVAL;
  return send_srtp(t, false, p, len);
}

int rtc_transport_send_rtcp(rtc_transport_t *t, uint64_t now_us, const uint8_t *p, size_t len) {
  if (len < 8) return RTC_EINVAL;
  return send_srtp(t, true, p, len);
}

/* ---- the pump: once per layer, after every call ---- */

static void transport_pump(rtc_transport_t *t, uint64_t now_us) {
  rtc_ice_event_t ev;
  while (rtc_ice_agent_poll_event(t->ice, &ev)) {
    if (ev.type == RTC_ICE_EVENT_SELECTED_PAIR) {
      t->selected_changes++;
      dtls_maybe_start(t, now_us);
    }
    if (t->n_ice_states < RTC_TRANSPORT_MAX_ICE_EVENTS) {
      t->ice_states[(t->ice_head + t->n_ice_states) % RTC_TRANSPORT_MAX_ICE_EVENTS] =
          ev.type == RTC_ICE_EVENT_STATE ? (uint8_t)ev.state : RTC_TRANSPORT_ICE_SELECTED;
      t->n_ice_states++;
    }
  }
}

bool rtc_transport_poll_event(rtc_transport_t *t, rtc_transport_event_t *out) {
  memset(out, 0, sizeof(*out));
  if (t->n_ice_states) {
    uint8_t e = t->ice_states[t->ice_head];
    out->type = e == RTC_TRANSPORT_ICE_SELECTED ? RTC_TRANSPORT_EVENT_SELECTED_PAIR
                                                : RTC_TRANSPORT_EVENT_ICE_STATE;
    out->ice_state = e == RTC_TRANSPORT_ICE_SELECTED ? RTC_ICE_NEW : (rtc_ice_state_t)e;
    t->ice_head = (t->ice_head + 1) % RTC_TRANSPORT_MAX_ICE_EVENTS;
    t->n_ice_states--;
    return true;
  }
  rtc_dtls_event_t de;
  if (rtc_dtls_poll_event(t->dtls, &de)) {
    switch (de.type) {
    case RTC_DTLS_EVENT_CONNECTED:
      RTC_LOG(RTC_LOG_DEBUG, "transport", "pc %u: DTLS connected", t->log_id);
      rtc__transport_srtp_agreed(t); /* keyed on first use; none if no profile was agreed */
      out->type = RTC_TRANSPORT_EVENT_DTLS_CONNECTED;
      break;
    case RTC_DTLS_EVENT_DATA: out->type = RTC_TRANSPORT_EVENT_DTLS_DATA; break;
    case RTC_DTLS_EVENT_CLOSED:
      RTC_LOG(RTC_LOG_DEBUG, "transport", "pc %u: DTLS close_notify from the peer", t->log_id);
      out->type = RTC_TRANSPORT_EVENT_DTLS_CLOSED;
      break;
    case RTC_DTLS_EVENT_FAILED:
      RTC_LOG(RTC_LOG_WARN, "transport", "pc %u: DTLS failed: %s", t->log_id,
              de.reason ? de.reason : "?");
      out->type = RTC_TRANSPORT_EVENT_DTLS_FAILED;
      break;
    }
    out->data = de.data;
    out->len = de.len;
    out->reason = de.reason;
    out->alert_received = de.alert_received;
    out->alert_sent = de.alert_sent;
    return true;
  }
  if (t->rx_pending) {
    t->rx_pending = false;
    out->type = t->rx_is_rtcp ? RTC_TRANSPORT_EVENT_RTCP : RTC_TRANSPORT_EVENT_RTP;
    out->data = t->rx->data;
    out->len = t->rx->len;
    return true;
  }
  return false;
}

/* ---- input, timers, output ---- */

static void handle_srtp(rtc_transport_t *t, const uint8_t *p, size_t len) {
  /* RFC 5761 4: RTCP packet types 192..223 in the second byte (with the marker bit). */
  bool rtcp = len >= 2 && p[1] >= 192 && p[1] <= 223;
  rtc__transport_srtp_need(t);
  if (!t->srtp || len < (rtcp ? 8u : 12u) || len > sizeof(t->rx->data) ||
      (!t->rx && !(t->rx = malloc(sizeof(*t->rx))))) {
    t->stats.packets_discarded++;
    return;
  }
  /* One packet at a time: the owner drains events after every datagram. */
  memcpy(t->rx->data, p, len);
  t->rx->len = len;
  int r = rtcp ? rtc_srtp_unprotect_rtcp(t->srtp, t->rx->data, len, &t->rx->len)
               : rtc_srtp_unprotect_rtp(t->srtp, t->rx->data, len, &t->rx->len);
  if (r < 0) {
    t->stats.srtp_errors++;
    if (r == RTC_EREPLAY) t->stats.srtp_replays++;
    if (r == RTC_EAUTH) t->stats.srtp_auth_failures++;
    t->stats.packets_discarded++;
    return;
  }
  t->rx_pending = true;
  t->rx_is_rtcp = rtcp;
}

/* DTLS failed for good (one association per transport: an ICE restart cannot bring
 * it back), so the pc is failed for good too. Its ICE agent goes silent: no answers
 * to the peer's checks, no checks of its own. Otherwise a peer whose DTLS completed
 * (a client that gave up while the server had finished, its alert lost) would keep
 * consent (RFC 7675) and stay `connected` to nobody forever; this way its consent
 * expires and it fails within ~30 s, as it would if we had gone away. */
static bool consent_withdrawn(const rtc_transport_t *t) {
  return t->dtls_failed || rtc_dtls_state(t->dtls) == RTC_DTLS_FAILED;
}

int rtc_transport_handle_datagram(rtc_transport_t *t, uint64_t now_us, const rtc_addr_t *local,
                                  const rtc_addr_t *from, const uint8_t *p, size_t len) {
  if (t->closed || len == 0) return 0;
  t->stats.packets_received++;
  t->stats.bytes_received += len;
  uint8_t b = p[0];
  if (b <= 3 && consent_withdrawn(t)) {
    t->stats.packets_discarded++;
  } else if (b <= 3) { /* RFC 7983: STUN */
    rtc_ice_agent_handle_datagram(t->ice, now_us, local, from, p, len);
  } else if ((b >= 20 && b <= 63) || (b >= 128 && b <= 191)) { /* DTLS, RTP/RTCP */
    /* Only from a pair ICE validated; or, across an ICE restart, the path DTLS used. */
    bool same_path = t->dtls_addr_known && rtc_addr_equal(&t->dtls_remote, from) &&
                     rtc_addr_equal(&t->dtls_local, local);
    if (!same_path && !rtc_ice_agent_is_valid_pair(t->ice, local, from)) {
      t->stats.packets_discarded++;
      t->stats.unvalidated++;
      return 0;
    }
    rtc_ice_agent_note_received(t->ice, now_us, local, from);
    rtc_ice_agent_count_data(t->ice, local, from, false, len);
    if (b >= 128) {
      handle_srtp(t, p, len);
    } else {
      t->dtls_local = *local;
      t->dtls_remote = *from;
      t->dtls_addr_known = true;
      /* Before start the DTLS object keeps it (an early ClientHello is not lost). */
      rtc_dtls_handle_datagram(t->dtls, now_us, p, len);
      dtls_maybe_start(t, now_us);
    }
  } else {
    t->stats.packets_discarded++;
  }
  transport_pump(t, now_us);
  return 0;
}

int rtc_transport_handle_timeout(rtc_transport_t *t, uint64_t now_us) {
  if (t->closed) return 0;
  if (rtc_ice_agent_poll_timeout(t->ice) <= now_us) rtc_ice_agent_handle_timeout(t->ice, now_us);
  if (rtc_dtls_poll_timeout(t->dtls) <= now_us) rtc_dtls_handle_timeout(t->dtls, now_us);
  transport_pump(t, now_us);
  return 0;
}

uint64_t rtc_transport_poll_timeout(const rtc_transport_t *t) {
  if (t->closed) return RTC_NEVER;
  return rtc_time_min(rtc_ice_agent_poll_timeout(t->ice), rtc_dtls_poll_timeout(t->dtls));
}

static bool count_sent(rtc_transport_t *t, const rtc_transmit_t *out) {
  t->stats.packets_sent++;
  t->stats.bytes_sent += out->len;
  return true;
}

/* DTLS and SRTP datagrams also count on their candidate pair (W3C: payload bytes). */
static bool count_data(rtc_transport_t *t, const rtc_transmit_t *out) {
  rtc_ice_agent_count_data(t->ice, &out->local, &out->remote, true, out->len);
  return count_sent(t, out);
}

/* Where DTLS and SRTP go: the selected pair, or before one (across an ICE restart) the
 * path DTLS used. Nowhere once ICE failed: after consent expired the agent MUST cease
 * transmission on the pair (RFC 7675 5.1), and with no pair left there is no path;
 * what is queued is dropped (DTLS retransmits, SCTP too, if a restart brings one). */
static bool path(const rtc_transport_t *t, rtc_transmit_t *out) {
  if (rtc_ice_agent_state(t->ice) == RTC_ICE_FAILED) return false;
  if (rtc_ice_agent_get_selected(t->ice, &out->local, &out->remote)) return true;
  if (!t->dtls_addr_known) return false;
  out->local = t->dtls_local;
  out->remote = t->dtls_remote;
  return true;
}

bool rtc_transport_poll_transmit(rtc_transport_t *t, rtc_transmit_t *out) {
  while (!t->closed && rtc_ice_agent_poll_transmit(t->ice, out))
    if (!consent_withdrawn(t)) return count_sent(t, out);
  const uint8_t *p;
  size_t len;
  while (rtc_dtls_poll_transmit(t->dtls, &p, &len)) {
    /* Nowhere to send yet: drop; DTLS retransmits once a pair exists. */
    if (!path(t, out)) continue;
    out->data = p;
    out->len = len;
    return count_data(t, out);
  }
  while (t->tx_n) {
    rtc_transport_slot_t *s = &t->tx_ring[t->tx_head];
    t->tx_head = (t->tx_head + 1) % RTC_TRANSPORT_SRTP_RING;
    t->tx_n--;
    if (!path(t, out)) continue;
    out->data = s->data; /* stays intact until the ring wraps: RING slots away */
    out->len = s->len;
    return count_data(t, out);
  }
  return false;
}

void rtc_transport_close(rtc_transport_t *t, uint64_t now_us) {
  if (t->closed) return;
  if (rtc_dtls_state(t->dtls) == RTC_DTLS_CONNECTED) rtc_dtls_close(t->dtls);
  rtc_ice_agent_close(t->ice);
  t->closed = true;
  /* What is queued still goes out, with close_notify: the owner flushes after every
   * call, so that is what the closing call queued (W3C close(): the senders' RTCP
   * BYE); send_srtp takes nothing more. */
}

void rtc_transport_get_stats(const rtc_transport_t *t, rtc_transport_stats_t *out) {
  *out = t->stats;
  rtc_ice_stats_t is;
  rtc_ice_agent_get_stats(t->ice, &is);
  out->packets_discarded += is.stun_dropped;
  out->stun_unauthenticated = is.stun_unauthenticated;
  out->has_pair = rtc_ice_agent_get_selected(t->ice, &out->pair_local, &out->pair_remote);
  out->rtt_ms = rtc_ice_agent_rtt_ms(t->ice);
  out->selected_pair_changes = t->selected_changes;
  out->requests_sent = is.checks_sent;
  out->requests_received = is.checks_received;
  out->responses_received = is.responses_received;
  out->dtls_state = t->dtls_started ? (int)rtc_dtls_state(t->dtls) : -1;
  out->dtls_role = t->dtls_started ? rtc_dtls_get_role(t->dtls) : -1;
  out->dtls_cipher = t->dtls_started ? rtc_dtls_cipher_suite(t->dtls) : NULL;
}
