/* RTCPeerConnection: creation, attributes, the W3C aggregate states, close. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rtc_err.h"
#include "base/rtc_log.h"
#include "base/rtc_random.h"
#include "base/rtc_time.h"
#include "pc/rtc_pc_media_internal.h"

static uint32_t pc_next_id = 1;

int rtc__pc_fail(rtc_pc_t *pc, int err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(pc->errbuf, sizeof(pc->errbuf), fmt, ap);
  va_end(ap);
  return err;
}

const char *rtc_pc_error(const rtc_pc_t *pc) { return pc->errbuf; }
uint32_t rtc_pc_id(const rtc_pc_t *pc) { return pc->id; }
const char *rtc_pc_local_ufrag(const rtc_pc_t *pc) {
  return rtc_ice_agent_local_ufrag(rtc_transport_ice(pc->transport));
}
const rtc_pc_config_t *rtc_pc_config(const rtc_pc_t *pc) { return &pc->cfg; }

void rtc_pc_limits_defaults(rtc_pc_config_t *cfg) {
  if (!cfg->max_message_size) cfg->max_message_size = RTC_PC_DEFAULT_MMS;
  if (!cfg->max_sdp_size) cfg->max_sdp_size = RTC_PC_DEFAULT_MAX_SDP;
  if (!cfg->max_channels) cfg->max_channels = RTC_PC_MAX_CHANNELS;
  if (cfg->max_channels > 65535) cfg->max_channels = 65535; /* SCTP stream ids are 16-bit */
  if (!cfg->max_remote_candidates || cfg->max_remote_candidates > RTC_ICE_MAX_REMOTE)
    cfg->max_remote_candidates = RTC_ICE_MAX_REMOTE; /* the agent's table is fixed */
  if (!cfg->max_buffered_amount) cfg->max_buffered_amount = RTC_PC_DEFAULT_MAX_BUFFERED;
  if (!cfg->max_receive_buffer) cfg->max_receive_buffer = RTC_PC_MAX_EVENT_BYTES;
}

static int pc_copy_config(rtc_pc_t *pc, const rtc_pc_config_t *cfg) {
  pc->cfg = *cfg;
  pc->cfg.gather_addresses = NULL;
  pc->cfg.n_gather_addresses = 0;
  rtc_pc_limits_defaults(&pc->cfg);
  if (cfg->n_gather_addresses == 0) return 0;
  pc->gather_addresses = calloc(cfg->n_gather_addresses, sizeof(char *));
  if (!pc->gather_addresses) return RTC_ENOMEM;
  for (size_t i = 0; i < cfg->n_gather_addresses; i++) {
    pc->gather_addresses[i] = strdup(cfg->gather_addresses[i]);
    if (!pc->gather_addresses[i]) return RTC_ENOMEM;
    pc->cfg.n_gather_addresses = i + 1;
  }
  pc->cfg.gather_addresses = (const char *const *)pc->gather_addresses;
  return 0;
}

rtc_pc_t *rtc_pc_create(const rtc_pc_config_t *cfg, uint64_t now_us) {
  static const rtc_pc_config_t defaults;
  rtc_pc_t *pc = calloc(1, sizeof(*pc));
  if (!pc) return NULL;
  pc->id = pc_next_id++;
  pc->now_us = now_us;
  pc->transport_mline = -1;
  pc->transport_local_mline = -1;
  if (pc_copy_config(pc, cfg ? cfg : &defaults) != 0) goto fail;
  if (rtc__pc_servers_create(pc, cfg ? cfg : &defaults) != 0) goto fail;
  pc->cert = pc->cfg.cert ? rtc_dtls_cert_ref(pc->cfg.cert) : rtc_dtls_cert_default();
  pc->cfg.cert = pc->cert;
  if (!pc->cert) goto fail;
  /* JSEP 5.2.1: the session id is a random 63-bit number (so it fits a signed 64-bit). */
  pc->session_id = rtc_random_u64() >> 1;
  pc->session_version = 1;
  pc->media = calloc(1, sizeof(*pc->media));
  if (!pc->media) goto fail;
  rtc_random_ice_string(pc->media->cname, 16);
  rtc_transport_config_t tcfg = {.cert = pc->cert, .controlling = true, .log_id = pc->id};
  pc->transport = rtc_transport_create(&tcfg, now_us);
  if (!pc->transport) goto fail;
  RTC_LOG(RTC_LOG_DEBUG, "pc", "pc %u created", pc->id);
  return pc;
fail:
  rtc_pc_destroy(pc);
  return NULL;
}

void rtc_pc_destroy(rtc_pc_t *pc) {
  if (!pc) return;
  rtc__pc_dc_detach_all(pc);
  rtc__pc_media_free(pc);
  rtc_sctp_destroy(pc->sctp);
  rtc_transport_destroy(pc->transport);
  rtc_turn_gather_destroy(pc->servers);
  rtc__pc_relay_destroy(pc);
  rtc__pc_desc_clear(&pc->current_local);
  rtc__pc_desc_clear(&pc->pending_local);
  rtc__pc_desc_clear(&pc->current_remote);
  rtc__pc_desc_clear(&pc->pending_remote);
  free(pc->transport_mid);
  free(pc->dtls_fail_reason);
  free(pc->ice_replace_ufrag);
  free(pc->transport_local_mid);
  free(pc->mdns);
  rtc__pc_events_free(pc);
  if (pc->gather_addresses) {
    for (size_t i = 0; i < pc->cfg.n_gather_addresses; i++)
      free(pc->gather_addresses[i]);
    free(pc->gather_addresses);
  }
  rtc_dtls_cert_unref(pc->cert);
  free(pc);
}

rtc_signaling_state_t rtc_pc_signaling_state(const rtc_pc_t *pc) { return pc->signaling; }
rtc_signaling_state_t rtc_pc_shown_signaling_state(const rtc_pc_t *pc) {
  return pc->closed ? RTC_SIGNALING_CLOSED : pc->shown_signaling;
}
rtc_gathering_state_t rtc_pc_gathering_state(const rtc_pc_t *pc) {
  return pc->closed ? pc->gathering : pc->shown_gathering;
}
int rtc_pc_ice_connection_state(const rtc_pc_t *pc) {
  return (int)(pc->closed ? RTC_ICE_CLOSED : pc->shown_ice_state);
}
rtc_connection_state_t rtc_pc_connection_state(const rtc_pc_t *pc) {
  return pc->closed ? RTC_CONNECTION_CLOSED : pc->shown_conn_state;
}

/* W3C RTCPeerConnectionState from the one ICE and one DTLS transport we have. */
static rtc_connection_state_t pc_compute_connection_state(const rtc_pc_t *pc) {
  if (pc->closed) return RTC_CONNECTION_CLOSED;
  rtc_dtls_state_t ds = rtc_transport_dtls_state(pc->transport);
  rtc_ice_state_t is = pc->ice_state;
  /* A DTLS server "starts" at negotiation but its handshake begins after ICE: count it
   * as new until then, as Chromium does. */
  if (ds == RTC_DTLS_CONNECTING && (is == RTC_ICE_NEW || is == RTC_ICE_CHECKING)) ds = RTC_DTLS_NEW;
  if (is == RTC_ICE_FAILED || ds == RTC_DTLS_FAILED || rtc_transport_dtls_failed(pc->transport))
    return RTC_CONNECTION_FAILED;
  if (is == RTC_ICE_DISCONNECTED) return RTC_CONNECTION_DISCONNECTED;
  bool ice_new = is == RTC_ICE_NEW || is == RTC_ICE_CLOSED;
  bool dtls_new = ds == RTC_DTLS_NEW || ds == RTC_DTLS_CLOSED;
  if (ice_new && dtls_new) return RTC_CONNECTION_NEW;
  bool ice_up = is == RTC_ICE_CONNECTED || is == RTC_ICE_COMPLETED || is == RTC_ICE_CLOSED;
  bool dtls_up = ds == RTC_DTLS_CONNECTED || ds == RTC_DTLS_CLOSED;
  if (ice_up && dtls_up) return RTC_CONNECTION_CONNECTED;
  return RTC_CONNECTION_CONNECTING;
}

void rtc__pc_update_states(rtc_pc_t *pc) {
  if (pc->closed) return; /* W3C close(): no state events */
  bool begun = rtc__pc_state_task_begin(pc);
  rtc__pc_update_dtls_state(pc); /* the transport's statechange comes first (W3C) */
  rtc_connection_state_t cs = pc_compute_connection_state(pc);
  if (cs != pc->conn_state) {
    pc->conn_state = cs;
    rtc__pc_event_state(pc, RTC_PC_EVENT_CONNECTION_STATE, (int)cs);
  }
  rtc__pc_state_task_end(pc, begun);
}

void rtc_pc_close(rtc_pc_t *pc) {
  if (pc->closed) return;
  /* W3C close(): channels are closed (and told so), transports stopped, states set
   * to closed without firing state events. readyState is closed at once. */
  for (size_t i = 0; i < pc->n_dcs; i++)
    pc->dcs[i]->shown_state = RTC_DC_CLOSED;
  rtc__pc_dc_close_all(pc, true);
  for (size_t i = 0; i < pc->media->n_trs; i++)
    rtc__pc_tr_stop_now(pc->media->trs[i], false);
  rtc__pc_transport_close(pc);
  if (pc->servers) rtc_turn_gather_close(pc->servers);
  rtc__pc_relay_close(pc);
  pc->closed = true;
  pc->signaling = RTC_SIGNALING_CLOSED;
  pc->ice_state = RTC_ICE_CLOSED;
  pc->conn_state = RTC_CONNECTION_CLOSED;
  pc->want_gather = false;
}

bool rtc_pc_is_finished(const rtc_pc_t *pc) {
  if (!pc->closed) return false;
  return pc->ev_head == NULL;
}
