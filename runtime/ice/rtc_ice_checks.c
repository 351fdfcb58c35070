/* ICE connectivity checks (RFC 8445 7), nomination (8.1), role conflicts (7.3.1.1),
 * consent freshness (RFC 7675) and the agent's timers. */
#include <stdio.h>
#include <string.h>

#include "base/rtc_err.h"
#include "base/rtc_log.h"
#include "base/rtc_random.h"
#include "base/rtc_time.h"
#include "ice/rtc_ice_internal.h"

/* ---- sending ---- */

static void send_request(rtc_ice_agent_t *ice, rtc__ice_pair_t *p) {
  const rtc__ice_local_t *l = &ice->locals[p->local];
  uint8_t *buf = rtc__ice_tx_slot(ice, &l->addr, &ice->remotes[p->remote].addr);
  if (!buf) return;
  char user[2 * RTC_ICE_MAX_CRED + 2];
  rtc_stun_writer_t w;
  /* RFC 8445 7.2.2: USERNAME "<remote ufrag>:<local ufrag>", PRIORITY as if the
   * candidate were peer-reflexive, the role with our tie-breaker, MESSAGE-INTEGRITY
   * with the remote password, FINGERPRINT. */
  snprintf(user, sizeof user, "%s:%s", ice->rufrag, ice->lufrag);
  rtc_stun_writer_init(&w, buf, RTC_ICE_TX_MAX, RTC_STUN_BINDING | RTC_STUN_REQUEST, p->tid);
  rtc_stun_put_string(&w, RTC_STUN_ATTR_USERNAME, user);
  uint32_t prflx = l->tcptype ? RTC_ICE_TYPE_PREF_PRFLX_TCP : RTC_ICE_TYPE_PREF_PRFLX;
  rtc_stun_put_u32(&w, RTC_STUN_ATTR_PRIORITY, (prflx << 24) | (l->priority & 0x00FFFFFFu));
  if (p->tx_controlling) {
    rtc_stun_put_u64(&w, RTC_STUN_ATTR_ICE_CONTROLLING, ice->tie_breaker);
    if (p->tx_use_candidate) rtc_stun_put_attr(&w, RTC_STUN_ATTR_USE_CANDIDATE, NULL, 0);
  } else {
    rtc_stun_put_u64(&w, RTC_STUN_ATTR_ICE_CONTROLLED, ice->tie_breaker);
  }
  rtc_stun_put_integrity_keyed(&w, &ice->rkey);
  rtc_stun_put_fingerprint(&w);
  int n = rtc_stun_writer_finish(&w);
  if (n < 0) return;
  rtc__ice_tx_commit(ice, (size_t)n);
  ice->stats.checks_sent++;
}

void rtc__ice_start_tx(rtc_ice_agent_t *ice, int pi, uint64_t now_us, bool use_candidate,
                       bool consent) {
  rtc__ice_pair_t *p = &ice->pairs[pi];
  rtc_random_bytes(p->tid, sizeof p->tid);
  p->in_flight = true;
  p->max_tries = RTC_ICE_MAX_TRIES;
  p->tx_use_candidate = use_candidate;
  p->tx_consent = consent;
  p->tx_controlling = ice->controlling;
  p->tries = 1;
  /* RFC 8489 6.2.1: once the path's RTT is known, RTO follows it (2 x SRTT here, as
   * there is no RTTVAR), so consent checks over a long path are not resent early. */
  uint64_t rto_ms = p->has_rtt ? 2 * p->srtt_us / 1000 : 0;
  p->rto_ms = rto_ms < RTC_ICE_RTO_INITIAL_MS ? RTC_ICE_RTO_INITIAL_MS
              : rto_ms > RTC_ICE_RTO_MAX_MS   ? RTC_ICE_RTO_MAX_MS
                                              : (uint32_t)rto_ms;
  p->first_sent_us = now_us;
  p->sent_us = now_us;
  p->retx_us = now_us + RTC_MS(p->rto_ms);
  if (!consent && p->state != RTC__PAIR_SUCCEEDED) p->state = RTC__PAIR_IN_PROGRESS;
  p->requests_sent++; /* W3C requestsSent: transactions, not their retransmissions */
  send_request(ice, p);
}

/* Responses are sent from the socket the request arrived on, to its source
 * (RFC 8489 6.3.1.1 / RFC 8445 7.3.1: symmetric). */
static void send_response(rtc_ice_agent_t *ice, int l, const rtc_addr_t *to, const uint8_t *tid,
                          uint16_t error, const char *reason, bool integrity) {
  uint8_t *buf = rtc__ice_tx_slot(ice, &ice->locals[l].addr, to);
  if (!buf) return;
  rtc_stun_writer_t w;
  rtc_stun_writer_init(&w, buf, RTC_ICE_TX_MAX,
                       RTC_STUN_BINDING | (error ? RTC_STUN_ERROR : RTC_STUN_SUCCESS), tid);
  if (error)
    rtc_stun_put_error(&w, error, reason);
  else
    rtc_stun_put_addr(&w, RTC_STUN_ATTR_XOR_MAPPED_ADDRESS, to, true);
  /* RFC 8489 9.1.3: no MESSAGE-INTEGRITY on 400/401 (we could not authenticate). */
  if (integrity) rtc_stun_put_integrity_keyed(&w, &ice->lkey);
  rtc_stun_put_fingerprint(&w);
  int n = rtc_stun_writer_finish(&w);
  if (n > 0) rtc__ice_tx_commit(ice, (size_t)n);
}

/* ---- receiving ---- */

static void handle_request(rtc_ice_agent_t *ice, uint64_t now_us, int l, const rtc_addr_t *from,
                           const rtc_stun_msg_t *m, const uint8_t *p, size_t len) {
  /* RFC 8489 9.1.3.1 would answer 400 (no USERNAME or MESSAGE-INTEGRITY) and 401
   * (wrong ones), but every real ICE check carries both with our password: what
   * fails is a stranger or a spoofed source. No answer at all, so we never reflect
   * traffic at a victim (as libjuice and browsers do); counted. */
  if (!m->has_username || !m->has_integrity) {
    ice->stats.stun_dropped++;
    ice->stats.stun_unauthenticated++;
    return;
  }
  /* RFC 8445 7.3: the part before the colon is our ufrag. */
  const char *colon = strchr(m->username, ':');
  size_t ul = strlen(ice->lufrag);
  if (!colon || (size_t)(colon - m->username) != ul || memcmp(m->username, ice->lufrag, ul) != 0 ||
      rtc_stun_check_integrity_keyed(p, len, m, &ice->lkey) < 0) {
    ice->stats.stun_dropped++;
    ice->stats.stun_unauthenticated++;
    return;
  }
  ice->stats.checks_received++;
  /* RFC 8445 7.3.1.1: role conflict; the larger tie-breaker keeps controlling. */
  if (ice->controlling && m->has_controlling) {
    if (ice->tie_breaker >= m->tie_breaker) {
      send_response(ice, l, from, m->tid, 487, "Role Conflict", true);
      return;
    }
    rtc_ice_agent_set_controlling(ice, false);
  } else if (!ice->controlling && m->has_controlled) {
    if (ice->tie_breaker >= m->tie_breaker) {
      rtc_ice_agent_set_controlling(ice, true);
    } else {
      send_response(ice, l, from, m->tid, 487, "Role Conflict", true);
      return;
    }
  }
  int r = rtc__ice_find_remote(ice, from);
  if (r < 0) {
    /* RFC 8445 7.3.1.3: an unknown source is a peer-reflexive candidate whose
     * priority is the PRIORITY attribute (mandatory in checks). */
    if (!m->has_priority || m->priority == 0) {
      ice->stats.stun_dropped++;
      send_response(ice, l, from, m->tid, 400, "Bad Request", false);
      return;
    }
    r = rtc__ice_add_remote(ice, from, m->priority, RTC_ICE_CAND_PRFLX);
    /* Over the limit we still answer (the peer may use a pair we know), keep no state. */
  }
  send_response(ice, l, from, m->tid, 0, NULL, true);
  if (r < 0) return;
  int pi = rtc__ice_find_pair(ice, l, r);
  if (pi < 0) return;
  rtc__ice_pair_t *pr = &ice->pairs[pi];
  pr->received_check = true;
  pr->requests_received++;
  ice->peer_check_us = now_us;
  if (pi == ice->selected) ice->last_received_us = ice->sel_rx_us = now_us;
  /* The peer is alive and checking: our own checks having all failed (non-symmetric
   * responses, timeouts) does not end ICE while it can still reach us. Back to
   * checking, with a fresh grace period and failed timeout; the triggered check below
   * decides. A consent failure (a pair was selected) stays final (RFC 7675 5.1). */
  if (ice->state == RTC_ICE_FAILED && ice->selected < 0) {
    RTC_LOG(RTC_LOG_DEBUG, "ice", "check from the peer after failed: checking again");
    ice->checking_since_us = now_us;
    rtc__ice_set_state(ice, RTC_ICE_CHECKING);
  }
  /* RFC 8445 7.3.1.5: the controlled agent notes the nomination. A later one on
   * another pair is the peer moving (libwebrtc re-nominates when its selected
   * connection dies): rtc__ice_accept_nomination decides. */
  bool nominated_now = m->use_candidate && !ice->controlling;
  if (nominated_now) {
    pr->remote_nominated = true;
    pr->nominated_us = now_us;
  }
  /* RFC 8445 7.3.1.4: triggered check, unless the pair already succeeded or a
   * transaction on it is still running (its answer will do); a Failed pair is checked
   * again. Remembered even without remote credentials: it goes once they are set. */
  if (pr->state == RTC__PAIR_SUCCEEDED) {
    if (nominated_now && pi != ice->selected && rtc__ice_accept_nomination(ice, pi, now_us)) {
      rtc__ice_select(ice, pi, now_us);
      /* Our last checks on it may have failed while the path was down: confirm. */
      if (pr->fail_streak && !pr->in_flight) pr->triggered = true;
    }
  } else if (!pr->in_flight) {
    pr->state = RTC__PAIR_WAITING;
    pr->triggered = true;
  }
}

static void handle_response(rtc_ice_agent_t *ice, uint64_t now_us, int l, const rtc_addr_t *from,
                            const rtc_stun_msg_t *m, const uint8_t *p, size_t len) {
  int pi = -1;
  for (int i = 0; i < ice->n_pairs; i++)
    if (ice->pairs[i].in_flight && memcmp(ice->pairs[i].tid, m->tid, RTC_STUN_TID_LEN) == 0) {
      pi = i;
      break;
    }
  if (pi < 0) return; /* late duplicate of a finished transaction: harmless */
  rtc__ice_pair_t *pr = &ice->pairs[pi];
  /* RFC 8445 7.2.5.1: responses are authenticated with the remote password. */
  if (rtc_stun_check_integrity_keyed(p, len, m, &ice->rkey) < 0) {
    ice->stats.stun_dropped++;
    return;
  }
  ice->stats.responses_received++;
  pr->responses_received++;
  pr->in_flight = false;
  if (ice->nominating == pi) ice->nominating = -1;
  /* RFC 8445 7.2.5.2.1: a response from elsewhere than where the check went fails
   * the pair (non-symmetric path). */
  if (!rtc_addr_equal(from, &ice->remotes[pr->remote].addr) || l != pr->local) {
    if (!pr->tx_consent) pr->state = RTC__PAIR_FAILED;
    return;
  }
  if (m->cls == RTC_STUN_ERROR) {
    if (m->error_code == 487) {
      /* RFC 8445 7.2.5.1: take the role opposite to the one the check claimed,
       * then retry the check. */
      rtc_ice_agent_set_controlling(ice, !pr->tx_controlling);
      if (pr->state != RTC__PAIR_SUCCEEDED) pr->state = RTC__PAIR_WAITING;
      pr->triggered = true;
    } else if (!pr->tx_consent) {
      pr->state = RTC__PAIR_FAILED;
    }
    return;
  }
  /* Karn: a retransmitted request gives no sample, except as a first, upper-bound
   * estimate (a path slower than the initial RTO would otherwise never get one). */
  if (pr->tries == 1 || !pr->has_rtt) {
    uint64_t sample = now_us - pr->first_sent_us;
    pr->srtt_us = pr->has_rtt ? (7 * pr->srtt_us + sample) / 8 : sample;
    pr->has_rtt = true;
  }
  pr->state = RTC__PAIR_SUCCEEDED;
  pr->valid = true;
  rtc__ice_pair_answered(ice, pi, now_us);
  if (pi == ice->selected) {
    /* RFC 7675: an authenticated response renews consent. */
    ice->last_response_us = now_us;
    ice->sel_rx_us = now_us;
    if (now_us > ice->last_received_us) ice->last_received_us = now_us;
    if (ice->state == RTC_ICE_DISCONNECTED) rtc__ice_set_state(ice, RTC_ICE_CONNECTED);
    return;
  }
  /* Controlling: the pair we chose (at set-up, or a switch) is nominated. */
  if (pr->tx_use_candidate && ice->controlling)
    rtc__ice_select(ice, pi, now_us);
  else if (!ice->controlling && pr->remote_nominated && rtc__ice_accept_nomination(ice, pi, now_us))
    rtc__ice_select(ice, pi, now_us);
}

void rtc__ice_handle_stun(rtc_ice_agent_t *ice, uint64_t now_us, int l, const rtc_addr_t *from,
                          const uint8_t *p, size_t len) {
  rtc_stun_msg_t m;
  /* RFC 8445 7.2.2 / 7.3: ICE messages carry FINGERPRINT; anything else on this
   * path is not ours. */
  if (rtc_stun_parse(p, len, &m) < 0 || m.method != RTC_STUN_BINDING ||
      rtc_stun_check_fingerprint(p, len, &m) < 0) {
    ice->stats.stun_dropped++;
    RTC_LOG(RTC_LOG_DEBUG, "ice", "dropped malformed STUN (%zu bytes)", len);
    return;
  }
  switch (m.cls) {
  case RTC_STUN_REQUEST: handle_request(ice, now_us, l, from, &m, p, len); break;
  case RTC_STUN_SUCCESS:
  case RTC_STUN_ERROR: handle_response(ice, now_us, l, from, &m, p, len); break;
  default: break; /* Binding indications: keepalives, nothing to do */
  }
}

/* ---- timers ---- */

static int best_pair(const rtc_ice_agent_t *ice, bool (*want)(const rtc__ice_pair_t *)) {
  int best = -1;
  for (int i = 0; i < ice->n_pairs; i++)
    if (want(&ice->pairs[i]) && (best < 0 || ice->pairs[i].priority > ice->pairs[best].priority))
      best = i;
  return best;
}

static bool want_triggered(const rtc__ice_pair_t *p) { return p->triggered && !p->in_flight; }
static bool want_waiting(const rtc__ice_pair_t *p) {
  return p->state == RTC__PAIR_WAITING && !p->in_flight;
}
static bool want_valid(const rtc__ice_pair_t *p) { return p->valid && !p->in_flight; }

static bool checks_can_run(const rtc_ice_agent_t *ice) {
  return ice->has_remote_creds && ice->selected < 0 &&
         (ice->state == RTC_ICE_NEW || ice->state == RTC_ICE_CHECKING);
}

/* Gathering ended with no local candidate (every socket failed to bind: an address
 * the host does not have, the descriptor limit; or a relay-only policy whose TURN
 * servers all failed): no check can go or come, ever. */
static bool no_local(const rtc_ice_agent_t *ice) {
  return ice->local_gathering_done && ice->n_local == 0;
}

/* No pair, and none can come from signalling: we have no candidate, or the peer sent
 * end-of-candidates without one we can pair with. Such an agent still goes `checking`
 * and then `failed` like one whose every pair failed (W3C RTCIceTransportState
 * "failed", which counts "zero local candidates were gathered"), instead of staying
 * `new` for good; a check from the peer (a peer-reflexive pair) may still save the
 * second kind within the grace period. Only once our gathering is over: before it
 * (an answerer between the peer's complete offer and its own answer, for as long as
 * its user takes) pairs are still to come with our candidates. */
static bool nothing_to_check(const rtc_ice_agent_t *ice) {
  return ice->n_pairs == 0 && ice->local_gathering_done &&
         (ice->n_local == 0 || ice->remote_gathering_done);
}

/* A pair that can still connect us: not failed, or about to be checked again. A pair
 * that worked once but whose later checks all went unanswered (the peer's nominations
 * or re-checks, RTC_ICE_DEAD_STREAK of them) cannot: the path died after it worked. */
static bool pair_alive(const rtc__ice_pair_t *p) {
  if (p->valid) return p->fail_streak < RTC_ICE_DEAD_STREAK;
  return p->state != RTC__PAIR_FAILED || p->triggered;
}

/* When a checking agent goes failed: failed_timeout_ms after checking began, or once
 * every pair failed and the peer has no more candidates, but not before the peer had
 * RTC_ICE_FAILED_GRACE_MS to reach us (rtc_ice_agent.h); with no local candidate the
 * peer cannot reach us, so there is no grace. Never while the peer's checks still
 * arrive (RTC_ICE_PEER_CHECK_GRACE_MS): each one triggers a check of ours on its pair,
 * and a path that carries them may well carry ours (seed 351 of tests/sim, 21.7% loss:
 * the controlling side gave up after its one transaction while the controlled side,
 * whose check had worked, waited 24 s more for a nomination). */
static uint64_t fail_at(const rtc_ice_agent_t *ice) {
  if (no_local(ice) && ice->remote_gathering_done) return ice->checking_since_us;
  uint64_t t = ice->checking_since_us + RTC_MS(ice->failed_timeout_ms);
  bool all_failed = true;
  for (int i = 0; i < ice->n_pairs; i++)
    if (pair_alive(&ice->pairs[i])) all_failed = false;
  if (all_failed && ice->remote_gathering_done)
    t = rtc_time_min(t, ice->checking_since_us + RTC_MS(RTC_ICE_FAILED_GRACE_MS));
  if (ice->peer_check_us && t < ice->peer_check_us + RTC_MS(RTC_ICE_PEER_CHECK_GRACE_MS))
    t = ice->peer_check_us + RTC_MS(RTC_ICE_PEER_CHECK_GRACE_MS);
  return t;
}

/* The controlled agent waiting for a nomination checks the pairs that worked again,
 * every RTC_ICE_PROBE_FAST_MS, as libwebrtc pings every connection until one is
 * selected: the controlling peer can only nominate a pair its own check validated,
 * and if all of its checks were lost, ours arriving are what make it check again
 * (triggered checks, RFC 8445 7.3.1.4). Without them a pair that worked one way only
 * left the controlling side failed and this one waiting for nothing (seed 351). */
static bool want_recheck(const rtc_ice_agent_t *ice, const rtc__ice_pair_t *p, uint64_t now_us) {
  return !ice->controlling && p->valid && !p->in_flight && now_us >= p->next_probe_us;
}

static void run_checks(rtc_ice_agent_t *ice, uint64_t now_us) {
  if (ice->state == RTC_ICE_NEW && (ice->n_pairs > 0 || nothing_to_check(ice))) {
    rtc__ice_set_state(ice, RTC_ICE_CHECKING);
    ice->checking_since_us = now_us;
  }
  if (ice->state != RTC_ICE_CHECKING) return;
  /* RFC 8445 8.1.1: the controlling agent nominates a valid pair by repeating its
   * check with USE-CANDIDATE. We nominate the best valid pair at once (checks run in
   * priority order, so the first to succeed is normally the best): set-up speed
   * matters more to us than waiting for a possibly better pair. */
  if (ice->controlling && ice->nominating < 0) {
    int v = best_pair(ice, want_valid);
    if (v >= 0) {
      ice->nominating = v;
      rtc__ice_start_tx(ice, v, now_us, true, false);
    }
  }
  for (int i = 0; i < ice->n_pairs; i++) {
    rtc__ice_pair_t *p = &ice->pairs[i];
    if (!want_recheck(ice, p, now_us)) continue;
    rtc__ice_start_tx(ice, i, now_us, false, true);
    p->next_probe_us = now_us + RTC_MS(RTC_ICE_PROBE_FAST_MS);
  }
  /* Ordinary checks are paced every Ta (RFC 8445 6.1.4.2). */
  int t;
  if (now_us >= ice->next_check_us && (t = best_pair(ice, want_waiting)) >= 0) {
    rtc__ice_start_tx(ice, t, now_us, false, false);
    ice->next_check_us = now_us + RTC_MS(ice->ta_ms);
  }
  if (now_us >= fail_at(ice)) rtc__ice_set_state(ice, RTC_ICE_FAILED);
}

static void run_consent(rtc_ice_agent_t *ice, uint64_t now_us) {
  rtc__ice_pair_t *p = &ice->pairs[ice->selected];
  uint64_t last =
      ice->last_response_us > ice->last_received_us ? ice->last_response_us : ice->last_received_us;
  if (now_us >= ice->last_response_us + RTC_MS(RTC_ICE_CONSENT_TIMEOUT_MS)) {
    /* RFC 7675 5.1: consent expired: stop sending on the pair. */
    p->in_flight = false;
    rtc__ice_set_state(ice, RTC_ICE_FAILED);
    return;
  }
  if (ice->state != RTC_ICE_DISCONNECTED && now_us >= last + RTC_MS(RTC_ICE_DISCONNECTED_MS))
    rtc__ice_set_state(ice, RTC_ICE_DISCONNECTED);
  if (!p->in_flight && now_us >= ice->next_consent_us) {
    rtc__ice_start_tx(ice, ice->selected, now_us, false, true);
    uint32_t period = ice->state == RTC_ICE_DISCONNECTED
                          ? RTC_ICE_DISCONNECTED_PROBE_MS
                          : RTC_ICE_CONSENT_MIN_MS + rtc_random_u32() % (RTC_ICE_CONSENT_MAX_MS -
                                                                         RTC_ICE_CONSENT_MIN_MS);
    ice->next_consent_us = now_us + RTC_MS(period);
  }
  /* W3C "completed": both sides done gathering and no check still running (probes of
   * pairs that already worked are upkeep, not checking). */
  if (ice->state == RTC_ICE_CONNECTED && ice->local_gathering_done && ice->remote_gathering_done) {
    bool busy = false;
    for (int i = 0; i < ice->n_pairs; i++) {
      const rtc__ice_pair_t *q = &ice->pairs[i];
      if (i != ice->selected && ((q->in_flight && !q->tx_consent) || q->state == RTC__PAIR_WAITING))
        busy = true;
    }
    if (!busy) rtc__ice_set_state(ice, RTC_ICE_COMPLETED);
  }
}

void rtc__ice_run(rtc_ice_agent_t *ice, uint64_t now_us) {
  ice->kick = false;
  if (ice->state == RTC_ICE_CLOSED || ice->state == RTC_ICE_FAILED) return;
  /* RFC 8489 6.2.1: retransmit with doubling RTO; give up after the last try. */
  for (int i = 0; i < ice->n_pairs; i++) {
    rtc__ice_pair_t *p = &ice->pairs[i];
    if (!p->in_flight || p->retx_us > now_us) continue;
    if (p->tries >= p->max_tries) {
      p->in_flight = false;
      if (ice->nominating == i) ice->nominating = -1;
      if (!p->tx_consent && !p->valid) p->state = RTC__PAIR_FAILED;
      rtc__ice_pair_missed(ice, i, now_us);
      continue;
    }
    p->tries++;
    p->rto_ms = p->rto_ms * 2 > RTC_ICE_RTO_MAX_MS ? RTC_ICE_RTO_MAX_MS : p->rto_ms * 2;
    p->sent_us = now_us;
    p->retx_us = now_us + RTC_MS(p->rto_ms);
    send_request(ice, p);
  }
  /* Triggered checks go at once, not every Ta: they answer a peer that is checking
   * right now (only authenticated checks queue them, so a peer cannot make us send
   * more than one per pair). Still done after selection: a controlled agent must
   * check a pair the peer nominates later (RFC 8445 7.3.1.5). */
  if (ice->has_remote_creds) {
    int t;
    while ((t = best_pair(ice, want_triggered)) >= 0) {
      ice->pairs[t].triggered = false;
      rtc__ice_start_tx(ice, t, now_us, false, false);
    }
  }
  if (checks_can_run(ice)) {
    run_checks(ice, now_us);
  } else if (ice->selected >= 0 && ice->state != RTC_ICE_FAILED) {
    run_consent(ice, now_us);
    if (ice->state != RTC_ICE_FAILED) rtc__ice_switch_run(ice, now_us);
  }
}

uint64_t rtc__ice_deadline(const rtc_ice_agent_t *ice) {
  if (ice->state == RTC_ICE_CLOSED || ice->state == RTC_ICE_FAILED) return RTC_NEVER;
  uint64_t d = RTC_NEVER;
  for (int i = 0; i < ice->n_pairs; i++)
    if (ice->pairs[i].in_flight) d = rtc_time_min(d, ice->pairs[i].retx_us);
  if (ice->has_remote_creds && best_pair(ice, want_triggered) >= 0) return ice->now_us;
  if (checks_can_run(ice)) {
    if (ice->state == RTC_ICE_NEW && (ice->n_pairs > 0 || nothing_to_check(ice))) return ice->now_us;
    if (ice->controlling && ice->nominating < 0 && best_pair(ice, want_valid) >= 0)
      return ice->now_us;
    if (best_pair(ice, want_waiting) >= 0) d = rtc_time_min(d, ice->next_check_us);
    if (ice->state == RTC_ICE_CHECKING) d = rtc_time_min(d, fail_at(ice));
    for (int i = 0; i < ice->n_pairs; i++)
      if (!ice->controlling && ice->pairs[i].valid && !ice->pairs[i].in_flight)
        d = rtc_time_min(d, ice->pairs[i].next_probe_us);
  } else if (ice->selected >= 0) {
    uint64_t last = ice->last_response_us > ice->last_received_us ? ice->last_response_us
                                                                  : ice->last_received_us;
    if (!ice->pairs[ice->selected].in_flight) d = rtc_time_min(d, ice->next_consent_us);
    d = rtc_time_min(d, ice->last_response_us + RTC_MS(RTC_ICE_CONSENT_TIMEOUT_MS));
    if (ice->state != RTC_ICE_DISCONNECTED)
      d = rtc_time_min(d, last + RTC_MS(RTC_ICE_DISCONNECTED_MS));
    d = rtc_time_min(d, rtc__ice_switch_deadline(ice));
  }
  return d;
}
