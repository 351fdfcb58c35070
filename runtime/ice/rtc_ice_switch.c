/* After selection: keeping track of which pairs work, and moving the selected pair
 * when it dies or when a better one works again (see rtc_ice_agent.h). libwebrtc's
 * basic ICE controller is the model: a connection that received nothing for 2.5 s is
 * weak and a writable, receiving one is preferred to it; a controlling Chromium puts
 * USE-CANDIDATE on the pings of its selected connection, so its peer follows; a
 * controlled one prefers a writable, nominated connection. */
#include "base/rtc_log.h"
#include "base/rtc_random.h"
#include "base/rtc_time.h"
#include "ice/rtc_ice_internal.h"

static bool is_dead(const rtc__ice_pair_t *p) {
  return p->ok_us == 0 || p->fail_streak >= RTC_ICE_DEAD_STREAK;
}

static uint64_t sel_priority(const rtc_ice_agent_t *ice) {
  return ice->selected >= 0 ? ice->pairs[ice->selected].priority : 0;
}

/* A pair above the selected one that answers again is watched closely until stable. */
static uint32_t probe_period_ms(const rtc_ice_agent_t *ice, const rtc__ice_pair_t *p,
                                uint64_t now_us) {
  if (ice->selected >= 0 && p->priority > sel_priority(ice) && !is_dead(p) &&
      now_us < p->alive_since_us + RTC_MS(RTC_ICE_UPGRADE_STABLE_MS))
    return RTC_ICE_PROBE_FAST_MS;
  return RTC_ICE_PROBE_MIN_MS + rtc_random_u32() % (RTC_ICE_PROBE_MAX_MS - RTC_ICE_PROBE_MIN_MS);
}

/* When the selected pair turns weak: nothing received on it for RTC_ICE_WEAK_MS, or
 * (one-way loss: the peer's checks still arrive) our check on it unanswered that long
 * (libwebrtc: no longer writable). */
static uint64_t weak_at(const rtc_ice_agent_t *ice) {
  const rtc__ice_pair_t *p = &ice->pairs[ice->selected];
  uint64_t t = ice->sel_rx_us + RTC_MS(RTC_ICE_WEAK_MS);
  if (p->in_flight && p->tx_consent) t = rtc_time_min(t, p->first_sent_us + RTC_MS(RTC_ICE_WEAK_MS));
  return t;
}

bool rtc__ice_selected_weak(const rtc_ice_agent_t *ice, uint64_t now_us) {
  return ice->selected >= 0 && now_us >= weak_at(ice);
}

void rtc__ice_pair_answered(rtc_ice_agent_t *ice, int pi, uint64_t now_us) {
  rtc__ice_pair_t *p = &ice->pairs[pi];
  bool was_dead = is_dead(p), first = p->ok_us == 0;
  p->ok_us = now_us;
  p->fail_streak = 0;
  if (!was_dead) return;
  p->alive_since_us = now_us;
  p->next_probe_us = now_us + RTC_MS(probe_period_ms(ice, p, now_us));
  if (first || ice->selected < 0 || pi == ice->selected) return;
  /* A path came back (the network returned): every dead pair above it is probed now,
   * so a lower pair that happens to answer first (an ICE-TCP connection whose
   * retransmissions flush, a relay) does not win over a better one. */
  for (int i = 0; i < ice->n_pairs; i++) {
    rtc__ice_pair_t *q = &ice->pairs[i];
    if (i != ice->selected && i != pi && q->valid && is_dead(q) && q->priority > p->priority)
      q->next_probe_us = now_us;
  }
}

void rtc__ice_pair_missed(rtc_ice_agent_t *ice, int pi, uint64_t now_us) {
  if (ice->pairs[pi].fail_streak < UINT32_MAX) ice->pairs[pi].fail_streak++;
}

bool rtc__ice_accept_nomination(const rtc_ice_agent_t *ice, int pi, uint64_t now_us) {
  if (ice->selected < 0) return true;
  if (pi == ice->selected) return false;
  /* libwebrtc (controlled): a writable and receiving connection beats a nominated one
   * that is not; among those that work, the higher priority. A nomination older than
   * the current selection is history. */
  const rtc__ice_pair_t *p = &ice->pairs[pi];
  if (p->nominated_us < ice->sel_since_us) return false;
  return p->priority > sel_priority(ice) || rtc__ice_selected_weak(ice, now_us);
}

static void probe(rtc_ice_agent_t *ice, int i, uint64_t now_us) {
  rtc__ice_pair_t *p = &ice->pairs[i];
  rtc__ice_start_tx(ice, i, now_us, false, true);
  p->max_tries = RTC_ICE_PROBE_TRIES;
  p->next_probe_us = now_us + RTC_MS(probe_period_ms(ice, p, now_us));
}

static void nominate(rtc_ice_agent_t *ice, int i, uint64_t now_us, const char *why) {
  RTC_LOG(RTC_LOG_DEBUG, "ice", "nominating pair %d (%s)", i, why);
  ice->nominating = i;
  rtc__ice_start_tx(ice, i, now_us, true, false);
}

/* A probe round while the selected pair is weak: everything is checked at once. */
static void start_round(rtc_ice_agent_t *ice, uint64_t now_us) {
  ice->round_open = true;
  ice->round_decided = false;
  ice->round_start_us = now_us;
  uint64_t slowest = 0;
  if (!ice->pairs[ice->selected].in_flight)
    rtc__ice_start_tx(ice, ice->selected, now_us, false, true);
  for (int i = 0; i < ice->n_pairs; i++) {
    rtc__ice_pair_t *p = &ice->pairs[i];
    if (i == ice->selected || !p->valid) continue;
    if (!p->in_flight) probe(ice, i, now_us);
    if (p->has_rtt && p->srtt_us > slowest) slowest = p->srtt_us;
  }
  uint64_t window = 2 * slowest + RTC_MS(50);
  if (window < RTC_MS(RTC_ICE_ROUND_WINDOW_MIN_MS)) window = RTC_MS(RTC_ICE_ROUND_WINDOW_MIN_MS);
  if (window > RTC_MS(RTC_ICE_ROUND_WINDOW_MAX_MS)) window = RTC_MS(RTC_ICE_ROUND_WINDOW_MAX_MS);
  ice->round_decide_us = now_us + window;
}

/* The selected pair stayed silent through the round (else it would not be weak): the
 * highest-priority pair that answered in it takes over. The controlled agent moves
 * only to a pair the peer nominated since the current selection. */
static void decide_round(rtc_ice_agent_t *ice, uint64_t now_us) {
  ice->round_decided = true;
  int best = -1;
  for (int i = 0; i < ice->n_pairs; i++) {
    const rtc__ice_pair_t *p = &ice->pairs[i];
    if (i == ice->selected || !p->valid || p->ok_us < ice->round_start_us) continue;
    if (!ice->controlling && !rtc__ice_accept_nomination(ice, i, now_us)) continue;
    if (best < 0 || p->priority > ice->pairs[best].priority) best = i;
  }
  if (best < 0) return;
  if (ice->controlling) {
    if (ice->nominating < 0) nominate(ice, best, now_us, "the selected pair is silent");
  } else {
    rtc__ice_select(ice, best, now_us);
  }
}

/* Controlling, the selected pair well: a better pair that answered every probe for
 * RTC_ICE_UPGRADE_STABLE_MS (hysteresis: no flapping on a path that comes and goes),
 * unless an even better one is alive but not yet stable (it is about to qualify). */
/* Alive for an upgrade: answered its last probe, recently (within a probe period). */
static bool answers(const rtc__ice_pair_t *p, uint64_t now_us) {
  return p->valid && p->ok_us && p->fail_streak == 0 &&
         now_us <= p->ok_us + RTC_MS(RTC_ICE_PROBE_MAX_MS + RTC_ICE_PROBE_FAST_MS);
}

static int upgrade_target(const rtc_ice_agent_t *ice, uint64_t now_us, uint64_t *next_us) {
  int best = -1;
  uint64_t floor = sel_priority(ice);
  for (int i = 0; i < ice->n_pairs; i++) {
    const rtc__ice_pair_t *p = &ice->pairs[i];
    if (i == ice->selected || !answers(p, now_us) || p->priority <= floor) continue;
    if (now_us >= p->alive_since_us + RTC_MS(RTC_ICE_UPGRADE_STABLE_MS) &&
        (best < 0 || p->priority > ice->pairs[best].priority))
      best = i;
  }
  uint64_t wait = RTC_NEVER;
  bool hold = false;
  for (int i = 0; i < ice->n_pairs; i++) {
    const rtc__ice_pair_t *p = &ice->pairs[i];
    if (i == ice->selected || !answers(p, now_us) || p->priority <= floor) continue;
    uint64_t stable_at = p->alive_since_us + RTC_MS(RTC_ICE_UPGRADE_STABLE_MS);
    if (stable_at > now_us) {
      wait = rtc_time_min(wait, stable_at);
      if (best < 0 || p->priority > ice->pairs[best].priority) hold = true;
    }
  }
  if (next_us) *next_us = wait;
  return hold ? -1 : best;
}

static int next_waiting(const rtc_ice_agent_t *ice) {
  int best = -1;
  for (int i = 0; i < ice->n_pairs; i++) {
    const rtc__ice_pair_t *p = &ice->pairs[i];
    if (p->state == RTC__PAIR_WAITING && !p->in_flight &&
        (best < 0 || p->priority > ice->pairs[best].priority))
      best = i;
  }
  return best;
}

void rtc__ice_switch_run(rtc_ice_agent_t *ice, uint64_t now_us) {
  if (ice->selected < 0 || !ice->has_remote_creds) return;
  /* The check list goes on after selection (RFC 8445 8.1.1 regular nomination leaves
   * it running): the pairs we did not need yet are the backups. Paced every Ta. */
  int w;
  if (now_us >= ice->next_check_us && (w = next_waiting(ice)) >= 0) {
    rtc__ice_start_tx(ice, w, now_us, false, false);
    ice->next_check_us = now_us + RTC_MS(ice->ta_ms);
  }
  bool weak = rtc__ice_selected_weak(ice, now_us);
  if (!weak) {
    ice->round_open = false;
  } else if (!ice->round_open || now_us >= ice->round_start_us + RTC_MS(RTC_ICE_ROUND_MS)) {
    start_round(ice, now_us);
  } else if (!ice->round_decided && now_us >= ice->round_decide_us) {
    decide_round(ice, now_us);
  }
  for (int i = 0; i < ice->n_pairs; i++) {
    rtc__ice_pair_t *p = &ice->pairs[i];
    if (i != ice->selected && p->valid && !p->in_flight && now_us >= p->next_probe_us)
      probe(ice, i, now_us);
  }
  if (ice->controlling && !weak && ice->nominating < 0 && ice->selected >= 0) {
    int up = upgrade_target(ice, now_us, NULL);
    if (up >= 0) nominate(ice, up, now_us, "a better pair works again");
  }
}

uint64_t rtc__ice_switch_deadline(const rtc_ice_agent_t *ice) {
  if (ice->selected < 0 || !ice->has_remote_creds) return RTC_NEVER;
  uint64_t now = ice->now_us, d = RTC_NEVER;
  if (next_waiting(ice) >= 0) d = rtc_time_min(d, ice->next_check_us);
  bool weak = rtc__ice_selected_weak(ice, now);
  if (!weak) {
    d = rtc_time_min(d, weak_at(ice));
  } else {
    if (!ice->round_open) return now;
    d = rtc_time_min(d, ice->round_start_us + RTC_MS(RTC_ICE_ROUND_MS));
    if (!ice->round_decided) d = rtc_time_min(d, ice->round_decide_us);
  }
  for (int i = 0; i < ice->n_pairs; i++) {
    const rtc__ice_pair_t *p = &ice->pairs[i];
    if (i != ice->selected && p->valid && !p->in_flight) d = rtc_time_min(d, p->next_probe_us);
  }
  if (ice->controlling && !weak && ice->nominating < 0) {
    uint64_t wait;
    if (upgrade_target(ice, now, &wait) >= 0) return now;
    d = rtc_time_min(d, wait);
  }
  return d;
}
