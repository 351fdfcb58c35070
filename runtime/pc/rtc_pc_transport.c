/* The pc on top of its transport (transport/: ICE + DTLS + SRTP): gathering for the
 * io layer, datagrams and timers handed down, and the one pump that takes what the
 * transport produced (states, SCTP packets, RTP/RTCP) up to SCTP, media and events. */
#include <stdlib.h>
#include <string.h>

#include "base/rtc_err.h"
#include "base/rtc_log.h"
#include "base/rtc_time.h"
#include "ice/rtc_ice_candidate.h"
#include "pc/rtc_pc_media_internal.h"

/* ---- gathering (the io layer binds sockets and reports them) ---- */

bool rtc_pc_poll_gather(rtc_pc_t *pc) {
  if (!pc->want_gather || pc->closed) return false;
  pc->want_gather = false;
  rtc__pc_servers_start(pc);
  return true;
}

int rtc_pc_add_local_address(rtc_pc_t *pc, const rtc_addr_t *addr) {
  if (pc->closed) return RTC_ESTATE;
  if (pc->cfg.ice_transport_relay) {
    /* W3C "relay": the socket only talks to the TURN servers; no host candidate. An
     * ICE-TCP address is no socket of theirs (STUN/TURN run from the UDP ones). */
    if (!rtc_addr_is_tcp(addr)) rtc__pc_servers_add_local(pc, addr);
    return 0;
  }
  char text[512];
  int r = rtc_transport_add_local_address(pc->transport, pc->now_us, addr, text, sizeof(text));
  if (r < 0) return r;
  if (!rtc_addr_is_tcp(addr)) rtc__pc_servers_add_local(pc, addr); /* STUN/TURN: UDP only */
  rtc__pc_local_add_candidate(pc, text);
  rtc_pc_event_node_t *n = rtc__pc_event_push(pc, RTC_PC_EVENT_ICE_CANDIDATE);
  if (n) {
    size_t len = strlen(text) + 11;
    n->owned_text = malloc(len);
    n->owned_mid = strdup(pc->transport_local_mid ? pc->transport_local_mid : "0");
    if (n->owned_text && n->owned_mid) {
      memcpy(n->owned_text, "candidate:", 10);
      memcpy(n->owned_text + 10, text, len - 10);
      n->ev.candidate = n->owned_text;
      n->ev.mid = n->owned_mid;
      n->ev.mline_index = pc->transport_local_mline;
    } else { /* a NULL candidate would mean "end of candidates" */
      rtc__pc_event_cancel(pc, n);
    }
  }
  rtc__pc_pump(pc);
  return 0;
}

/* After an ICE restart, the sockets we have become the new agent's host candidates
 * (W3C: gathering starts again with setLocalDescription). */
void rtc__pc_regather(rtc_pc_t *pc) {
  const rtc_addr_t *known;
  size_t n;
  if (!rtc_transport_take_regather(pc->transport, &known, &n)) return;
  pc->gathering = RTC_GATHERING_GATHERING;
  rtc__pc_event_state(pc, RTC_PC_EVENT_ICE_GATHERING_STATE, RTC_GATHERING_GATHERING);
  rtc_addr_t addrs[RTC_ICE_MAX_LOCAL];
  memcpy(addrs, known, n * sizeof(addrs[0]));
  for (size_t i = 0; i < n; i++)
    rtc_pc_add_local_address(pc, &addrs[i]);
  rtc__pc_relay_regather(pc);
  if (pc->rescan_on_restart && !pc->closed) {
    /* Complete once the io layer has looked for new addresses (an address change is
     * what a restart most often recovers from). */
    pc->host_gathered = false;
    pc->want_rescan = true;
    return;
  }
  rtc_pc_set_gathering_done(pc);
}

void rtc_pc_set_rescan_on_restart(rtc_pc_t *pc, bool on) { pc->rescan_on_restart = on; }

bool rtc_pc_poll_rescan(rtc_pc_t *pc) {
  if (!pc->want_rescan || pc->closed) return false;
  pc->want_rescan = false;
  return true;
}

void rtc_pc_set_gathering_done(rtc_pc_t *pc) {
  pc->host_gathered = true;
  rtc__pc_gathering_maybe_complete(pc);
}

/* Complete once the host sockets are in and the ICE servers answered or failed. */
void rtc__pc_gathering_maybe_complete(rtc_pc_t *pc) {
  if (pc->closed || pc->gathering == RTC_GATHERING_COMPLETE) return;
  if (!pc->host_gathered || !rtc__pc_servers_done(pc)) return;
  rtc_transport_set_local_gathering_done(pc->transport, pc->now_us);
  rtc__pc_local_end_of_candidates(pc);
  pc->gathering = RTC_GATHERING_COMPLETE;
  /* W3C order: gathering state "complete", then the null candidate. */
  rtc__pc_event_state(pc, RTC_PC_EVENT_ICE_GATHERING_STATE, RTC_GATHERING_COMPLETE);
  rtc_pc_event_node_t *n = rtc__pc_event_push(pc, RTC_PC_EVENT_ICE_CANDIDATE);
  if (n) {
    n->owned_mid = strdup(pc->transport_local_mid ? pc->transport_local_mid : "0");
    n->ev.mid = n->owned_mid;
    n->ev.mline_index = pc->transport_local_mline;
  }
}

/* ---- SCTP over the transport ---- */

static void sctp_maybe_create(rtc_pc_t *pc) {
  rtc_dtls_role_t role;
  if (pc->sctp || !pc->have_application || !rtc_transport_dtls_role(pc->transport, &role)) return;
  if (rtc_sctp_global_init() < 0) return;
  /* A new association after one a renegotiation ended: its own states */
  if (pc->sctp_state == RTC_PC_SCTP_CLOSED) {
    pc->sctp_state = pc->shown_sctp_state = RTC_PC_SCTP_CONNECTING;
    pc->sctp_max_channels = 0;
  }
  rtc_sctp_config_t sc = {
      .local_port = RTC_PC_SCTP_PORT,
      .remote_port = (uint16_t)pc->remote_sctp_port,
      .dtls_client = role == RTC_DTLS_ROLE_CLIENT,
      .remote_max_message_size = pc->remote_mms,
      .local_max_message_size = pc->cfg.max_message_size,
      .max_streams = (uint16_t)pc->cfg.max_channels,
      .max_buffered = pc->cfg.max_buffered_amount,
      .owner = pc, /* rtc_pc_sctp_woken hands the pc back after a tick */
  };
  pc->sctp = rtc_sctp_create(&sc);
  if (!pc->sctp) {
    RTC_LOG(RTC_LOG_ERROR, "pc", "pc %u: SCTP could not be created", pc->id);
    return;
  }
  /* Channels created before the role was known get their ids now (W3C). */
  rtc__pc_dc_open_pending(pc);
  if (rtc_transport_dtls_state(pc->transport) == RTC_DTLS_CONNECTED) {
    pc->sctp_started = true;
    rtc_sctp_start(pc->sctp);
  }
}

int rtc__pc_transport_apply(rtc_pc_t *pc) {
  sctp_maybe_create(pc);
  rtc__pc_pump(pc);
  return 0;
}

static void sctp_abort(rtc_pc_t *pc) {
  if (pc->sctp) {
    rtc_sctp_abort(pc->sctp);
    const uint8_t *p;
    size_t len;
    while (rtc_sctp_poll_transmit(pc->sctp, &p, &len))
      rtc_transport_send_dtls(pc->transport, pc->now_us, p, len);
  }
  rtc_sctp_destroy(pc->sctp);
  pc->sctp = NULL;
  pc->sctp_started = false;
}

void rtc__pc_transport_close(rtc_pc_t *pc) {
  /* Chromium's order: SCTP ABORT (peers such as aiortc ignore close_notify alone),
   * then DTLS close_notify. */
  sctp_abort(pc);
  rtc_transport_close(pc->transport, pc->now_us);
}

void rtc__pc_sctp_end(rtc_pc_t *pc) {
  rtc__pc_dc_close_all(pc, true);
  rtc__pc_set_sctp_state(pc, RTC_PC_SCTP_CLOSED);
  sctp_abort(pc);
  pc->have_application = false;
}

/* ---- the pump ---- */

static void pump_transport(rtc_pc_t *pc, bool *again) {
  rtc_transport_event_t ev;
  while (rtc_transport_poll_event(pc->transport, &ev)) {
    *again = true;
    switch (ev.type) {
    case RTC_TRANSPORT_EVENT_ICE_STATE:
      /* Every step is an event (checking -> connected -> completed), as browsers fire
       * them, and the aggregate connection state follows each one. */
      if (!pc->closed && ev.ice_state != pc->ice_state) {
        pc->ice_state = ev.ice_state;
        bool begun = rtc__pc_state_task_begin(pc);
        rtc__pc_event_state(pc, RTC_PC_EVENT_ICE_CONNECTION_STATE, (int)ev.ice_state);
        rtc__pc_update_states(pc);
        rtc__pc_state_task_end(pc, begun);
      }
      break;
    case RTC_TRANSPORT_EVENT_SELECTED_PAIR:
      if (!pc->closed) rtc__pc_event_push(pc, RTC_PC_EVENT_SELECTED_PAIR);
      break;
    case RTC_TRANSPORT_EVENT_DTLS_CONNECTED:
      if (!pc->dtls_connected_us) pc->dtls_connected_us = pc->now_us ? pc->now_us : 1;
      if (pc->sctp && !pc->sctp_started) {
        pc->sctp_started = true;
        rtc_sctp_start(pc->sctp);
      }
      break;
    case RTC_TRANSPORT_EVENT_DTLS_DATA:
      if (pc->sctp) rtc_sctp_handle_packet(pc->sctp, ev.data, ev.len);
      break;
    case RTC_TRANSPORT_EVENT_DTLS_CLOSED:
    case RTC_TRANSPORT_EVENT_DTLS_FAILED:
      /* The peer closed or the handshake failed: data channels are gone; ICE consent
       * decides the rest (W3C). */
      if (ev.type == RTC_TRANSPORT_EVENT_DTLS_FAILED && !pc->dtls_fail_reason) {
        pc->dtls_fail_reason = strdup(ev.reason ? ev.reason : "DTLS failed");
        pc->dtls_alert_rx1 = ev.alert_received + 1;
        pc->dtls_alert_tx1 = ev.alert_sent + 1;
      }
      rtc__pc_dc_close_all(pc, true);
      if (pc->have_application) rtc__pc_set_sctp_state(pc, RTC_PC_SCTP_CLOSED);
      break;
    case RTC_TRANSPORT_EVENT_RTP: rtc__pc_rtp_input(pc, ev.data, ev.len); break;
    case RTC_TRANSPORT_EVENT_RTCP: rtc__pc_rtcp_input(pc, ev.data, ev.len); break;
    }
  }
}

static void pump_sctp(rtc_pc_t *pc, bool *again) {
  if (!pc->sctp) return;
  rtc_sctp_event_t ev;
  while (pc->ev_bytes < pc->cfg.max_receive_buffer && rtc_sctp_poll_event(pc->sctp, &ev)) {
    *again = true;
    switch (ev.type) {
    case RTC_SCTP_EVENT_CONNECTED:
      RTC_LOG(RTC_LOG_DEBUG, "pc", "pc %u: SCTP up", pc->id);
      rtc__pc_set_sctp_state(pc, RTC_PC_SCTP_CONNECTED); /* before the channels open */
      break;
    case RTC_SCTP_EVENT_DISCONNECTED:
      rtc__pc_dc_close_all(pc, true);
      rtc__pc_set_sctp_state(pc, RTC_PC_SCTP_CLOSED);
      break;
    default: rtc__pc_dc_handle_sctp_event(pc, &ev); break;
    }
    if (!pc->sctp) return;
  }
  const uint8_t *p;
  size_t len;
  while (rtc_sctp_poll_transmit(pc->sctp, &p, &len)) {
    *again = true;
    rtc_transport_send_dtls(pc->transport, pc->now_us, p, len);
  }
}

void rtc__pc_pump(rtc_pc_t *pc) {
  bool again = true;
  for (int rounds = 0; again && rounds < 64; rounds++) {
    again = false;
    pump_transport(pc, &again);
    pump_sctp(pc, &again);
  }
  rtc__pc_update_states(pc);
}

/* ---- input, timers, output ---- */

int rtc_pc_handle_datagram(rtc_pc_t *pc, uint64_t now_us, const rtc_addr_t *local,
                           const rtc_addr_t *from, const uint8_t *p, size_t len) {
  pc->now_us = now_us;
  if (pc->closed || len == 0) return 0;
  if (rtc__pc_servers_input(pc, local, from, p, len)) return 0;
  if (rtc__pc_relay_input(pc, local, from, p, len)) return 0;
  rtc_transport_handle_datagram(pc->transport, now_us, local, from, p, len);
  rtc__pc_pump(pc);
  return 0;
}

int rtc_pc_handle_datagram_at(rtc_pc_t *pc, uint64_t now_us, uint64_t arrival_us,
                              const rtc_addr_t *local, const rtc_addr_t *from, const uint8_t *p,
                              size_t len) {
  pc->arrival_us = arrival_us <= now_us ? arrival_us : now_us;
  int r = rtc_pc_handle_datagram(pc, now_us, local, from, p, len);
  pc->arrival_us = 0;
  return r;
}

int rtc_pc_handle_timeout(rtc_pc_t *pc, uint64_t now_us) {
  pc->now_us = now_us;
  if (pc->closed) return 0;
  rtc_transport_handle_timeout(pc->transport, now_us);
  rtc__pc_servers_timeout(pc);
  rtc__pc_media_timeout(pc, now_us);
  rtc__pc_pump(pc);
  return 0;
}

uint64_t rtc_pc_poll_timeout(const rtc_pc_t *pc) {
  if (pc->closed) return RTC_NEVER;
  return rtc_time_min(rtc_time_min(rtc_transport_poll_timeout(pc->transport),
                                   rtc__pc_media_poll_timeout(pc)),
                      rtc__pc_servers_poll_timeout(pc));
}

bool rtc_pc_poll_transmit(rtc_pc_t *pc, rtc_transmit_t *out) {
  if (rtc__pc_servers_poll_transmit(pc, out)) return true;
  return rtc__pc_relay_poll_transmit(pc, out); /* the transport's, relayed ones wrapped */
}

void rtc_pc_get_stats(const rtc_pc_t *pc, rtc_pc_stats_t *out) {
  memset(out, 0, sizeof(*out));
  rtc_transport_stats_t ts;
  rtc_transport_get_stats(pc->transport, &ts);
  out->packets_sent = ts.packets_sent;
  out->packets_received = ts.packets_received;
  out->bytes_sent = ts.bytes_sent;
  out->bytes_received = ts.bytes_received;
  out->packets_discarded = ts.packets_discarded;
  out->stun_unauthenticated = ts.stun_unauthenticated;
  out->unvalidated = ts.unvalidated;
  out->srtp_auth_failures = ts.srtp_auth_failures;
  out->srtp_replays = ts.srtp_replays;
  out->data_channels_opened = pc->dcs_opened;
  out->data_channels_closed = pc->dcs_closed;
  out->events_dropped = pc->events_dropped;
  out->has_pair = ts.has_pair;
  out->relay_protocol = ts.has_pair ? rtc__pc_relay_protocol(pc, &ts.pair_local) : NULL;
  out->pair_local = ts.pair_local;
  out->pair_remote = ts.pair_remote;
  out->rtt_ms = ts.rtt_ms;
  out->selected_pair_changes = ts.selected_pair_changes;
  out->requests_sent = ts.requests_sent;
  out->requests_received = ts.requests_received;
  out->responses_received = ts.responses_received;
  out->dtls_state = ts.dtls_state;
  out->dtls_role = ts.dtls_role;
  out->dtls_cipher = ts.dtls_cipher;
}

bool rtc_pc_has_events(const rtc_pc_t *pc) { return pc->ev_head != NULL; }

bool rtc_pc_needs_service(const rtc_pc_t *pc, uint64_t now_us) {
  if (pc->ev_head || (pc->sctp && rtc_sctp_has_pending(pc->sctp))) return true;
  return rtc_pc_poll_timeout(pc) <= now_us;
}

rtc_pc_t *rtc_pc_sctp_woken(void) {
  void *owner;
  return rtc_sctp_global_poll_woken(&owner) ? owner : NULL;
}

void rtc_pc_set_userdata(rtc_pc_t *pc, void *ud) { pc->userdata = ud; }
void *rtc_pc_get_userdata(const rtc_pc_t *pc) { return pc->userdata; }
