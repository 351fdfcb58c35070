/* The transports under the pc as W3C shows them: RTCIceTransport (the live ICE agent),
 * RTCDtlsTransport and RTCSctpTransport, their states and state events. luartc bundles
 * everything (RFC 8843), so there is one of each, shared by every m-section. */
#include <string.h>

#include "pc/rtc_pc_internal.h"

const struct rtc_ice_agent *rtc_pc_ice_agent(const rtc_pc_t *pc) {
  return rtc_transport_ice(pc->transport);
}

size_t rtc_pc_local_candidates(const rtc_pc_t *pc, const char *const **out) {
  return rtc_transport_local_candidates(pc->transport, out);
}

const char *rtc_pc_transport_mid(const rtc_pc_t *pc, int *mline_index) {
  if (mline_index) *mline_index = pc->transport_local_mline;
  return pc->transport_local_mid;
}

const char *rtc_pc_relay_protocol(const rtc_pc_t *pc, const rtc_addr_t *local) {
  return rtc__pc_relay_protocol(pc, local);
}

int rtc_pc_dtls_transport_state(const rtc_pc_t *pc) {
  return (int)(pc->closed ? RTC_DTLS_CLOSED : pc->shown_dtls_state);
}

bool rtc_pc_remote_certificate(const rtc_pc_t *pc, const uint8_t **der, size_t *len) {
  return rtc_transport_remote_certificate(pc->transport, der, len);
}

void rtc_pc_sctp_info(const rtc_pc_t *pc, rtc_pc_sctp_info_t *out) {
  memset(out, 0, sizeof *out);
  out->exists = pc->have_application;
  out->state = pc->closed ? RTC_PC_SCTP_CLOSED : pc->shown_sctp_state;
  /* W3C "update the data max message size": the peer's a=max-message-size (RFC 8841
   * 6.1: 64 KiB when absent, 0 = any size) against what we can send (canSendSize),
   * which is what dc:send enforces. Our own maxMessageSize is what we accept, a limit
   * on the peer's messages, not on ours. */
  size_t theirs = pc->remote_mms;
  out->max_message_size =
      theirs == 0 || theirs > RTC_SCTP_MAX_SEND_SIZE ? RTC_SCTP_MAX_SEND_SIZE : theirs;
  out->max_channels = pc->sctp_max_channels > 0 ? pc->sctp_max_channels : -1;
}

/* The DTLS transport's state. A server's handshake "starts" at negotiation but only
 * begins once ICE works: it reads new until then, as in Chromium; and it never goes
 * back to new. */
static rtc_dtls_state_t dtls_state_now(const rtc_pc_t *pc) {
  if (rtc_transport_dtls_failed(pc->transport)) return RTC_DTLS_FAILED;
  rtc_dtls_state_t ds = rtc_transport_dtls_state(pc->transport);
  rtc_ice_state_t is = pc->ice_state;
  if (ds == RTC_DTLS_CONNECTING && pc->dtls_state == RTC_DTLS_NEW &&
      (is == RTC_ICE_NEW || is == RTC_ICE_CHECKING))
    return RTC_DTLS_NEW;
  return ds;
}

void rtc__pc_update_dtls_state(rtc_pc_t *pc) {
  rtc_dtls_state_t ds = dtls_state_now(pc);
  if (ds == pc->dtls_state) return;
  pc->dtls_state = ds;
  if (ds == RTC_DTLS_FAILED) {
    /* W3C: the error event, then statechange. */
    const char *why = pc->dtls_fail_reason ? pc->dtls_fail_reason : "DTLS could not start";
    rtc_pc_event_node_t *n = rtc__pc_event_push(pc, RTC_PC_EVENT_DTLS_ERROR);
    if (n && (n->owned_text = strdup(why)) != NULL) {
      n->ev.text = n->owned_text;
      n->ev.alert_received = pc->dtls_alert_rx1 - 1;
      n->ev.alert_sent = pc->dtls_alert_tx1 - 1;
    }
    else if (n)
      rtc__pc_event_cancel(pc, n);
  }
  rtc__pc_event_state(pc, RTC_PC_EVENT_DTLS_STATE, (int)ds);
}

void rtc__pc_set_sctp_state(rtc_pc_t *pc, rtc_pc_sctp_state_t st) {
  if (pc->closed || st <= pc->sctp_state) return; /* connecting -> connected -> closed */
  pc->sctp_state = st;
  if (st == RTC_PC_SCTP_CONNECTED && pc->sctp) pc->sctp_max_channels = rtc_sctp_max_streams(pc->sctp);
  rtc__pc_event_state(pc, RTC_PC_EVENT_SCTP_STATE, (int)st);
}
