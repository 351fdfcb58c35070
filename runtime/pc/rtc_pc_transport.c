/* The transport under the pc: ICE -> DTLS -> SCTP, demultiplexed by first byte
 * (RFC 7983), and the one pump that moves data and events between the layers
 * after every input. */
#include <stdlib.h>
#include <string.h>

#include "base/rtc_err.h"
#include "base/rtc_log.h"
#include "base/rtc_time.h"
#include "ice/rtc_ice_candidate.h"
#include "pc/rtc_pc_internal.h"

/* ---- gathering (the io layer binds sockets and reports them) ---- */

bool rtc_pc_poll_gather(rtc_pc_t *pc) {
  if (!pc->want_gather || pc->closed) return false;
  pc->want_gather = false;
  return true;
}

int rtc_pc_add_local_address(rtc_pc_t *pc, const rtc_addr_t *addr) {
  if (pc->closed) return RTC_ESTATE;
  rtc_ice_candidate_t c;
  int r = rtc_ice_agent_add_local_host(pc->ice, addr, &c);
  if (r < 0) return r;
  bool known = false;
  for (size_t i = 0; i < pc->n_local_addrs; i++)
    known |= rtc_addr_equal(&pc->local_addrs[i], addr);
  if (!known && pc->n_local_addrs < RTC_ICE_MAX_LOCAL) pc->local_addrs[pc->n_local_addrs++] = *addr;
  char text[512];
  if (rtc_ice_candidate_format(&c, false, text, sizeof(text)) < 0) return RTC_EINVAL;
  rtc__pc_local_add_candidate(pc, text);
  rtc_pc_event_node_t *n = rtc__pc_event_push(pc, RTC_PC_EVENT_ICE_CANDIDATE);
  if (n->ev.type == RTC_PC_EVENT_ICE_CANDIDATE) {
    size_t len = strlen(text) + 11;
    n->owned_text = malloc(len);
    n->owned_mid = strdup(pc->transport_local_mid ? pc->transport_local_mid : "0");
    if (n->owned_text) {
      memcpy(n->owned_text, "candidate:", 10);
      memcpy(n->owned_text + 10, text, len - 10);
    }
    n->ev.candidate = n->owned_text;
    n->ev.mid = n->owned_mid;
    n->ev.mline_index = pc->transport_local_mline;
  }
  rtc__pc_pump(pc);
  return 0;
}

void rtc__pc_ice_commit(rtc_pc_t *pc) {
  rtc_ice_agent_destroy(pc->ice_prev);
  pc->ice_prev = NULL;
  free(pc->prev_remote_ufrag);
  pc->prev_remote_ufrag = NULL;
  for (size_t i = 0; i < pc->prev_n_local_cands; i++)
    free(pc->prev_local_cands[i]);
  pc->prev_n_local_cands = 0;
}

void rtc__pc_ice_replace(rtc_pc_t *pc, rtc_ice_agent_t *next) {
  rtc__pc_ice_commit(pc); /* a restart on top of a restart: the oldest goes */
  pc->ice_prev = pc->ice;
  pc->ice = next;
  memcpy(pc->prev_local_cands, pc->local_cands, sizeof(pc->local_cands));
  pc->prev_n_local_cands = pc->n_local_cands;
  pc->prev_local_gather_done = pc->local_gather_done;
  pc->n_local_cands = 0;
  pc->local_gather_done = false;
  pc->prev_remote_ufrag = pc->remote_ufrag;
  pc->remote_ufrag = NULL;
  pc->regather = true;
  /* The peer signals its candidates again for the new agent: resolve its names again. */
  pc->n_mdns = 0;
}

void rtc__pc_ice_rollback(rtc_pc_t *pc) {
  if (!pc->ice_prev) return;
  rtc_ice_agent_destroy(pc->ice);
  pc->ice = pc->ice_prev;
  pc->ice_prev = NULL;
  for (size_t i = 0; i < pc->n_local_cands; i++)
    free(pc->local_cands[i]);
  memcpy(pc->local_cands, pc->prev_local_cands, sizeof(pc->local_cands));
  pc->n_local_cands = pc->prev_n_local_cands;
  pc->prev_n_local_cands = 0;
  pc->local_gather_done = pc->prev_local_gather_done;
  free(pc->remote_ufrag);
  pc->remote_ufrag = pc->prev_remote_ufrag;
  pc->prev_remote_ufrag = NULL;
  pc->regather = false;
}

/* After an ICE restart, the sockets we have become the new agent's host candidates
 * (W3C: gathering starts again with setLocalDescription). */
void rtc__pc_regather(rtc_pc_t *pc) {
  if (!pc->regather) return;
  pc->regather = false;
  pc->gathering = RTC_GATHERING_GATHERING;
  rtc__pc_event_push(pc, RTC_PC_EVENT_ICE_GATHERING_STATE)->ev.state = RTC_GATHERING_GATHERING;
  size_t n = pc->n_local_addrs;
  rtc_addr_t addrs[RTC_ICE_MAX_LOCAL];
  memcpy(addrs, pc->local_addrs, n * sizeof(addrs[0]));
  for (size_t i = 0; i < n; i++)
    rtc_pc_add_local_address(pc, &addrs[i]);
  rtc_pc_set_gathering_done(pc);
}

void rtc_pc_set_gathering_done(rtc_pc_t *pc) {
  if (pc->closed || pc->gathering == RTC_GATHERING_COMPLETE) return;
  rtc_ice_agent_set_local_gathering_done(pc->ice);
  rtc__pc_local_end_of_candidates(pc);
  pc->gathering = RTC_GATHERING_COMPLETE;
  /* W3C order: gathering state "complete", then the null candidate. */
  rtc__pc_event_push(pc, RTC_PC_EVENT_ICE_GATHERING_STATE)->ev.state = RTC_GATHERING_COMPLETE;
  rtc_pc_event_node_t *n = rtc__pc_event_push(pc, RTC_PC_EVENT_ICE_CANDIDATE);
  if (n->ev.type == RTC_PC_EVENT_ICE_CANDIDATE) {
    n->owned_mid = strdup(pc->transport_local_mid ? pc->transport_local_mid : "0");
    n->ev.mid = n->owned_mid;
    n->ev.mline_index = pc->transport_local_mline;
  }
}

/* ---- starting the layers ---- */

static void transport_maybe_start_dtls(rtc_pc_t *pc) {
  if (pc->dtls_started || pc->dtls_failed || !pc->dtls_role_known || !pc->remote_fp ||
      !pc->have_application)
    return;
  /* The client speaks first, so it waits for a working ICE pair; the server can start
   * at once and answer whatever ClientHello arrives. */
  rtc_addr_t sel_local, sel_remote;
  if (pc->dtls_role == RTC_DTLS_ROLE_CLIENT &&
      !rtc_ice_agent_get_selected(pc->ice, &sel_local, &sel_remote) && !pc->dtls_addr_known)
    return;
  if (!pc->dtls) {
    /* mbedTLS gives up once the RTO would pass max_rto_ms: ~16 s of retries here. */
    rtc_dtls_config_t dc = {.cert = pc->cert, .max_rto_ms = 8000};
    pc->dtls = rtc_dtls_create(&dc);
    if (!pc->dtls) {
      RTC_LOG(RTC_LOG_ERROR, "pc", "pc %u: DTLS could not be created", pc->id);
      return;
    }
  }
  uint32_t rtt = rtc_ice_agent_rtt_ms(pc->ice);
  /* Start DTLS retransmissions from the ICE round trip (x2 + margin), not from a
   * fixed second: on a LAN this cuts a lost flight's cost from 1 s to milliseconds. */
  if (rtt) rtc_dtls_set_rto(pc->dtls, rtt * 2 + 20 < 50 ? 50 : rtt * 2 + 20);
  if (rtc_dtls_start(pc->dtls, pc->now_us, pc->dtls_role, pc->remote_fp_alg, pc->remote_fp) < 0) {
    RTC_LOG(RTC_LOG_ERROR, "pc", "pc %u: DTLS could not start", pc->id);
    pc->dtls_failed = true;
    for (size_t i = 0; i < pc->n_early; i++)
      free(pc->early[i].data);
    pc->n_early = 0;
    return;
  }
  pc->dtls_started = true;
  /* Datagrams that came before we were ready (an early ClientHello). */
  for (size_t i = 0; i < pc->n_early; i++) {
    rtc_dtls_handle_datagram(pc->dtls, pc->now_us, pc->early[i].data, pc->early[i].len);
    free(pc->early[i].data);
  }
  pc->n_early = 0;
}

static void transport_maybe_create_sctp(rtc_pc_t *pc) {
  if (pc->sctp || !pc->dtls_role_known || !pc->have_application) return;
  if (rtc_sctp_global_init() < 0) return;
  rtc_sctp_config_t sc = {
      .local_port = RTC_PC_SCTP_PORT,
      .remote_port = (uint16_t)pc->remote_sctp_port,
      .dtls_client = pc->dtls_role == RTC_DTLS_ROLE_CLIENT,
      .remote_max_message_size = pc->remote_mms,
      .local_max_message_size = pc->cfg.max_message_size,
  };
  pc->sctp = rtc_sctp_create(&sc);
  if (!pc->sctp) {
    RTC_LOG(RTC_LOG_ERROR, "pc", "pc %u: SCTP could not be created", pc->id);
    return;
  }
  /* Channels created before the role was known get their ids now (W3C). */
  rtc__pc_dc_open_pending(pc);
  if (pc->dtls && rtc_dtls_state(pc->dtls) == RTC_DTLS_CONNECTED) {
    pc->sctp_started = true;
    rtc_sctp_start(pc->sctp);
  }
}

int rtc__pc_transport_apply(rtc_pc_t *pc) {
  transport_maybe_create_sctp(pc);
  transport_maybe_start_dtls(pc);
  rtc__pc_pump(pc);
  return 0;
}

void rtc__pc_transport_close(rtc_pc_t *pc) {
  /* Chromium's order: SCTP ABORT (peers such as aiortc ignore close_notify alone),
   * then DTLS close_notify. */
  bool dtls_up = pc->dtls && rtc_dtls_state(pc->dtls) == RTC_DTLS_CONNECTED;
  if (pc->sctp) {
    rtc_sctp_abort(pc->sctp);
    const uint8_t *p;
    size_t len;
    while (rtc_sctp_poll_transmit(pc->sctp, &p, &len))
      if (dtls_up) rtc_dtls_send(pc->dtls, p, len);
  }
  if (dtls_up) rtc_dtls_close(pc->dtls);
  rtc_sctp_destroy(pc->sctp);
  pc->sctp = NULL;
  rtc_ice_agent_close(pc->ice);
}

/* ---- the pump ---- */

static void pump_ice(rtc_pc_t *pc, bool *again) {
  rtc_ice_event_t ev;
  while (rtc_ice_agent_poll_event(pc->ice, &ev)) {
    *again = true;
    if (ev.type == RTC_ICE_EVENT_SELECTED_PAIR) transport_maybe_start_dtls(pc);
    /* Every step is an event (checking -> connected -> completed), as browsers fire them,
     * and the aggregate connection state follows each one. */
    if (ev.type == RTC_ICE_EVENT_STATE && !pc->closed && ev.state != pc->ice_state) {
      pc->ice_state = ev.state;
      rtc__pc_event_push(pc, RTC_PC_EVENT_ICE_CONNECTION_STATE)->ev.state = (int)ev.state;
      rtc__pc_update_states(pc);
    }
  }
}

static void pump_dtls(rtc_pc_t *pc, bool *again) {
  rtc_dtls_event_t ev;
  if (!pc->dtls) return;
  while (rtc_dtls_poll_event(pc->dtls, &ev)) {
    *again = true;
    switch (ev.type) {
    case RTC_DTLS_EVENT_CONNECTED:
      RTC_LOG(RTC_LOG_DEBUG, "pc", "pc %u: DTLS connected", pc->id);
      if (pc->sctp && !pc->sctp_started) {
        pc->sctp_started = true;
        rtc_sctp_start(pc->sctp);
      }
      break;
    case RTC_DTLS_EVENT_DATA:
      if (pc->sctp) rtc_sctp_handle_packet(pc->sctp, ev.data, ev.len);
      break;
    case RTC_DTLS_EVENT_CLOSED:
      /* The peer closed: data channels are gone; ICE consent decides the rest (W3C). */
      RTC_LOG(RTC_LOG_DEBUG, "pc", "pc %u: DTLS close_notify from the peer", pc->id);
      rtc__pc_dc_close_all(pc, true);
      break;
    case RTC_DTLS_EVENT_FAILED:
      RTC_LOG(RTC_LOG_WARN, "pc", "pc %u: DTLS failed: %s", pc->id, ev.reason ? ev.reason : "?");
      rtc__pc_dc_close_all(pc, true);
      break;
    }
  }
}

static void pump_sctp(rtc_pc_t *pc, bool *again) {
  if (!pc->sctp) return;
  rtc_sctp_event_t ev;
  while (pc->ev_bytes < RTC_PC_MAX_EVENT_BYTES && rtc_sctp_poll_event(pc->sctp, &ev)) {
    *again = true;
    switch (ev.type) {
    case RTC_SCTP_EVENT_CONNECTED: RTC_LOG(RTC_LOG_DEBUG, "pc", "pc %u: SCTP up", pc->id); break;
    case RTC_SCTP_EVENT_DISCONNECTED: rtc__pc_dc_close_all(pc, true); break;
    default: rtc__pc_dc_handle_sctp_event(pc, &ev); break;
    }
    if (!pc->sctp) return;
  }
  const uint8_t *p;
  size_t len;
  while (pc->dtls && rtc_sctp_poll_transmit(pc->sctp, &p, &len)) {
    *again = true;
    if (rtc_dtls_state(pc->dtls) == RTC_DTLS_CONNECTED) rtc_dtls_send(pc->dtls, p, len);
  }
}

void rtc__pc_pump(rtc_pc_t *pc) {
  bool again = true;
  for (int rounds = 0; again && rounds < 64; rounds++) {
    again = false;
    pump_ice(pc, &again);
    pump_dtls(pc, &again);
    pump_sctp(pc, &again);
  }
  rtc__pc_update_states(pc);
}

/* ---- input, timers, output ---- */

static void keep_early(rtc_pc_t *pc, const rtc_addr_t *local, const rtc_addr_t *from,
                       const uint8_t *p, size_t len) {
  if (pc->n_early >= RTC_PC_MAX_EARLY_DTLS || len > 4096) {
    pc->dropped_datagrams++;
    return;
  }
  uint8_t *copy = malloc(len);
  if (!copy) return;
  memcpy(copy, p, len);
  pc->early[pc->n_early++] =
      (rtc_pc_early_t){.data = copy, .len = len, .local = *local, .remote = *from};
}

int rtc_pc_handle_datagram(rtc_pc_t *pc, uint64_t now_us, const rtc_addr_t *local,
                           const rtc_addr_t *from, const uint8_t *p, size_t len) {
  pc->now_us = now_us;
  if (pc->closed || len == 0) return 0;
  pc->packets_received++;
  pc->bytes_received += len;
  uint8_t b = p[0];
  if (b <= 3) { /* RFC 7983: STUN */
    rtc_ice_agent_handle_datagram(pc->ice, now_us, local, from, p, len);
  } else if (b >= 20 && b <= 63) { /* DTLS */
    /* Only from a pair ICE validated; or, across an ICE restart, the path DTLS used. */
    bool same_path = pc->dtls_addr_known && rtc_addr_equal(&pc->dtls_remote, from) &&
                     rtc_addr_equal(&pc->dtls_local, local);
    if (!same_path && !rtc_ice_agent_is_valid_pair(pc->ice, local, from)) {
      pc->dropped_datagrams++;
      return 0;
    }
    rtc_ice_agent_note_received(pc->ice, now_us);
    pc->dtls_local = *local;
    pc->dtls_remote = *from;
    pc->dtls_addr_known = true;
    if (!pc->dtls_started) {
      keep_early(pc, local, from, p, len);
      transport_maybe_start_dtls(pc);
    } else {
      rtc_dtls_handle_datagram(pc->dtls, now_us, p, len);
    }
  } else {
    pc->dropped_datagrams++; /* RTP/RTCP: no media yet */
  }
  rtc__pc_pump(pc);
  return 0;
}

int rtc_pc_handle_timeout(rtc_pc_t *pc, uint64_t now_us) {
  pc->now_us = now_us;
  if (pc->closed) return 0;
  if (rtc_ice_agent_poll_timeout(pc->ice) <= now_us) rtc_ice_agent_handle_timeout(pc->ice, now_us);
  if (pc->dtls && rtc_dtls_poll_timeout(pc->dtls) <= now_us)
    rtc_dtls_handle_timeout(pc->dtls, now_us);
  rtc__pc_pump(pc);
  return 0;
}

uint64_t rtc_pc_poll_timeout(const rtc_pc_t *pc) {
  if (pc->closed) return RTC_NEVER;
  uint64_t t = rtc_ice_agent_poll_timeout(pc->ice);
  if (pc->dtls) t = rtc_time_min(t, rtc_dtls_poll_timeout(pc->dtls));
  return t;
}

static bool pc_count_sent(rtc_pc_t *pc, const rtc_transmit_t *out) {
  pc->packets_sent++;
  pc->bytes_sent += out->len;
  return true;
}

bool rtc_pc_poll_transmit(rtc_pc_t *pc, rtc_transmit_t *out) {
  if (!pc->closed && rtc_ice_agent_poll_transmit(pc->ice, out)) return pc_count_sent(pc, out);
  if (!pc->dtls) return false;
  const uint8_t *p;
  size_t len;
  if (!rtc_dtls_poll_transmit(pc->dtls, &p, &len)) return false;
  rtc_addr_t local, remote;
  if (rtc_ice_agent_get_selected(pc->ice, &local, &remote)) {
    out->local = local;
    out->remote = remote;
  } else if (pc->dtls_addr_known) {
    out->local = pc->dtls_local;
    out->remote = pc->dtls_remote;
  } else {
    /* Nowhere to send yet: drop; DTLS retransmits once a pair exists. */
    return rtc_pc_poll_transmit(pc, out);
  }
  out->data = p;
  out->len = len;
  return pc_count_sent(pc, out);
}

void rtc_pc_get_stats(const rtc_pc_t *pc, rtc_pc_stats_t *out) {
  memset(out, 0, sizeof(*out));
  out->packets_sent = pc->packets_sent;
  out->packets_received = pc->packets_received;
  out->bytes_sent = pc->bytes_sent;
  out->bytes_received = pc->bytes_received;
  rtc_ice_stats_t is;
  rtc_ice_agent_get_stats(pc->ice, &is);
  out->packets_discarded = pc->dropped_datagrams + is.stun_dropped;
  out->data_channels_opened = pc->dcs_opened;
  out->data_channels_closed = pc->dcs_closed;
  out->has_pair = rtc_ice_agent_get_selected(pc->ice, &out->pair_local, &out->pair_remote);
  out->rtt_ms = rtc_ice_agent_rtt_ms(pc->ice);
  out->requests_sent = is.checks_sent;
  out->requests_received = is.checks_received;
  out->responses_received = is.responses_received;
  out->dtls_state = pc->dtls ? (int)rtc_dtls_state(pc->dtls) : -1;
}

bool rtc_pc_has_events(const rtc_pc_t *pc) { return pc->ev_head != NULL; }

bool rtc_pc_needs_service(const rtc_pc_t *pc, uint64_t now_us) {
  if (pc->ev_head || (pc->sctp && rtc_sctp_has_pending(pc->sctp))) return true;
  return rtc_pc_poll_timeout(pc) <= now_us;
}
