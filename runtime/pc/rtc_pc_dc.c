/* RTCDataChannel objects on top of the SCTP association (RFC 8831/8832): W3C
 * readyState and events; the association and DCEP live in sctp/. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rtc_err.h"
#include "base/rtc_log.h"
#include "pc/rtc_pc_internal.h"

void rtc_dc_init_defaults(rtc_dc_init_t *init) {
  memset(init, 0, sizeof(*init));
  init->ordered = true;
  init->max_retransmits = -1;
  init->max_packet_life_time = -1;
  init->id = -1;
}

static int dc_fail(rtc_dc_t *dc, int err, const char *msg) {
  snprintf(dc->error, sizeof(dc->error), "%s", msg);
  return err;
}

static rtc_dc_t *dc_new(rtc_pc_t *pc, const char *label, const char *protocol) {
  if (pc->n_dcs >= pc->cfg.max_channels) return NULL;
  if (pc->n_dcs == pc->cap_dcs) {
    size_t cap = pc->cap_dcs ? pc->cap_dcs * 2 : 8;
    rtc_dc_t **n = realloc(pc->dcs, cap * sizeof(*n));
    if (!n) return NULL;
    pc->dcs = n;
    pc->cap_dcs = cap;
  }
  rtc_dc_t *dc = calloc(1, sizeof(*dc));
  if (!dc) return NULL;
  dc->label = strdup(label ? label : "");
  dc->protocol = strdup(protocol ? protocol : "");
  if (!dc->label || !dc->protocol) {
    free(dc->label);
    free(dc->protocol);
    free(dc);
    return NULL;
  }
  dc->refs = 1; /* the pc's own reference, dropped when the channel is closed */
  dc->pc = pc;
  dc->id = -1;
  dc->ordered = true;
  dc->max_retransmits = -1;
  dc->max_packet_life_time = -1;
  pc->dcs[pc->n_dcs++] = dc;
  return dc;
}

/* The pc forgets a closed channel: drops its reference. */
static void dc_remove(rtc_pc_t *pc, rtc_dc_t *dc) {
  for (size_t i = 0; i < pc->n_dcs; i++) {
    if (pc->dcs[i] != dc) continue;
    pc->dcs[i] = pc->dcs[--pc->n_dcs];
    dc->pc = NULL;
    rtc_dc_unref(dc);
    return;
  }
}

rtc_dc_t *rtc__pc_dc_find(rtc_pc_t *pc, int id) {
  for (size_t i = 0; i < pc->n_dcs; i++)
    if (pc->dcs[i]->id == id) return pc->dcs[i];
  return NULL;
}

/* The error event owns a copy of the text: dc->error changes with the next failure. */
static void dc_push_error(rtc_pc_t *pc, rtc_dc_t *dc) {
  rtc_pc_event_node_t *n = rtc__pc_event_push(pc, RTC_PC_EVENT_DC_ERROR);
  if (!n) return;
  n->ev.dc = rtc_dc_ref(dc);
  n->owned_text = strdup(dc->error);
  n->ev.text = n->owned_text ? n->owned_text : "channel error";
}

static void dc_sctp_open(rtc_pc_t *pc, rtc_dc_t *dc) {
  rtc_sctp_channel_params_t p = {
      .label = dc->label,
      .protocol = dc->protocol,
      .ordered = dc->ordered,
      .max_retransmits = dc->max_retransmits,
      .max_packet_life_time = dc->max_packet_life_time,
  };
  uint16_t sid = 0;
  int r = rtc_sctp_channel_open(pc->sctp, &p, dc->negotiated, dc->negotiated ? dc->id : -1, &sid);
  if (r < 0) {
    RTC_LOG(RTC_LOG_WARN, "pc", "pc %u: data channel '%s' could not open: %s", pc->id, dc->label,
            rtc_strerror(r));
    snprintf(dc->error, sizeof(dc->error), "could not open the channel: %s", rtc_strerror(r));
    dc->state = RTC_DC_CLOSED;
    dc_push_error(pc, dc);
    rtc__pc_event_dc(pc, RTC_PC_EVENT_DC_CLOSE, dc);
    dc_remove(pc, dc);
    return;
  }
  dc->id = sid;
  dc->opened_in_sctp = true;
  if (dc->low_threshold) rtc_sctp_channel_set_low_threshold(pc->sctp, sid, dc->low_threshold);
}

void rtc__pc_dc_open_pending(rtc_pc_t *pc) {
  if (!pc->sctp) return;
  /* Negotiated channels first: their ids are fixed, and an in-band channel must not
   * be given one of them. In creation order; dc_sctp_open may remove a failing
   * channel (swapping the last one in), so each pass restarts after a removal. */
  for (int pass = 0; pass < 2; pass++) {
    for (size_t i = 0; i < pc->n_dcs;) {
      rtc_dc_t *dc = pc->dcs[i];
      size_t before = pc->n_dcs;
      if (!dc->opened_in_sctp && dc->state == RTC_DC_CONNECTING && dc->negotiated == (pass == 0))
        dc_sctp_open(pc, dc);
      i = pc->n_dcs < before ? 0 : i + 1;
    }
  }
}

rtc_dc_t *rtc_pc_create_data_channel(rtc_pc_t *pc, const rtc_dc_init_t *init) {
  rtc_dc_init_t defaults;
  if (!init) {
    rtc_dc_init_defaults(&defaults);
    init = &defaults;
  }
  if (pc->closed) {
    rtc__pc_fail(pc, RTC_ESTATE, "createDataChannel: the connection is closed");
    return NULL;
  }
  if (init->max_retransmits >= 0 && init->max_packet_life_time >= 0) {
    rtc__pc_fail(pc, RTC_EINVAL,
                 "createDataChannel: maxRetransmits and maxPacketLifeTime are exclusive");
    return NULL;
  }
  if (init->label && strlen(init->label) > 65535) {
    rtc__pc_fail(pc, RTC_EINVAL, "createDataChannel: label longer than 65535 bytes");
    return NULL;
  }
  if (init->negotiated && (init->id < 0 || init->id > 65534)) {
    rtc__pc_fail(pc, RTC_EINVAL, "createDataChannel: a negotiated channel needs an id 0..65534");
    return NULL;
  }
  if (init->negotiated && rtc__pc_dc_find(pc, init->id)) {
    rtc__pc_fail(pc, RTC_EINVAL, "createDataChannel: id %d is already in use", init->id);
    return NULL;
  }
  rtc_dc_t *dc = dc_new(pc, init->label, init->protocol);
  if (!dc) {
    rtc__pc_fail(pc, RTC_ELIMIT, "createDataChannel: too many channels or out of memory");
    return NULL;
  }
  dc->ordered = init->ordered;
  dc->max_retransmits = init->max_retransmits > 65535 ? 65535 : init->max_retransmits;
  dc->max_packet_life_time =
      init->max_packet_life_time > 65535 ? 65535 : init->max_packet_life_time;
  dc->negotiated = init->negotiated;
  if (init->negotiated) dc->id = init->id;
  if (pc->sctp) dc_sctp_open(pc, dc);
  rtc__pc_update_negotiation_needed(pc);
  return rtc_dc_ref(dc); /* the caller's reference */
}

void rtc__pc_dc_handle_sctp_event(rtc_pc_t *pc, const rtc_sctp_event_t *ev) {
  rtc_dc_t *dc = rtc__pc_dc_find(pc, ev->stream);
  switch (ev->type) {
  case RTC_SCTP_EVENT_CHANNEL_REMOTE_OPEN: {
    if (dc) return; /* the sctp layer refuses taken ids; be safe anyway */
    dc = dc_new(pc, ev->label, ev->protocol);
    if (!dc) {
      RTC_LOG(RTC_LOG_WARN, "pc", "pc %u: channel from the peer refused (limit)", pc->id);
      rtc_sctp_channel_close(pc->sctp, ev->stream);
      return;
    }
    dc->id = ev->stream;
    dc->ordered = ev->ordered;
    dc->max_retransmits = ev->max_retransmits;
    dc->max_packet_life_time = ev->max_packet_life_time;
    dc->opened_in_sctp = true;
    dc->state = RTC_DC_OPEN;
    /* W3C "announce the channel": datachannel (a new reference for the app), then open. */
    rtc_pc_event_node_t *n = rtc__pc_event_push(pc, RTC_PC_EVENT_DATACHANNEL);
    if (n) n->ev.dc = rtc_dc_ref(rtc_dc_ref(dc));
    rtc__pc_event_dc(pc, RTC_PC_EVENT_DC_OPEN, dc);
    return;
  }
  case RTC_SCTP_EVENT_CHANNEL_OPEN:
    if (!dc || dc->state != RTC_DC_CONNECTING) return;
    dc->state = RTC_DC_OPEN;
    rtc__pc_event_dc(pc, RTC_PC_EVENT_DC_OPEN, dc);
    return;
  case RTC_SCTP_EVENT_MESSAGE: {
    if (!dc || dc->state != RTC_DC_OPEN) return;
    /* The event keeps the sctp event's block (no copy, issue 12 B2). */
    rtc_pc_event_node_t *n = rtc__pc_event_push_owned(pc, RTC_PC_EVENT_DC_MESSAGE,
                                                      rtc_sctp_take_event(pc->sctp), ev->data,
                                                      ev->len);
    if (!n) return;
    n->ev.dc = rtc_dc_ref(dc);
    n->ev.binary = ev->binary;
    pc->ev_bytes += ev->len;
    dc->stats.messages_received++;
    dc->stats.bytes_received += ev->len;
    return;
  }
  case RTC_SCTP_EVENT_BUFFERED_LOW:
    if (dc && dc->state == RTC_DC_OPEN)
      rtc__pc_event_dc(pc, RTC_PC_EVENT_DC_BUFFERED_AMOUNT_LOW, dc);
    return;
  case RTC_SCTP_EVENT_CHANNEL_ERROR:
    if (!dc) return;
    snprintf(dc->error, sizeof(dc->error), "%s", ev->reason ? ev->reason : "channel error");
    dc_push_error(pc, dc);
    return;
  case RTC_SCTP_EVENT_CHANNEL_CLOSED:
    if (!dc) return;
    if (dc->state != RTC_DC_CLOSING) rtc__pc_event_dc(pc, RTC_PC_EVENT_DC_CLOSING, dc);
    dc->state = RTC_DC_CLOSED;
    rtc__pc_event_dc(pc, RTC_PC_EVENT_DC_CLOSE, dc);
    dc_remove(pc, dc);
    return;
  default: return;
  }
}

/* The transport is gone (pc closed, association lost): every channel closes. */
void rtc__pc_dc_close_all(rtc_pc_t *pc, bool fire) {
  while (pc->n_dcs > 0) {
    rtc_dc_t *dc = pc->dcs[pc->n_dcs - 1];
    bool was_closed = dc->state == RTC_DC_CLOSED;
    /* Chromium fires closing, then close, when the transport goes away. */
    if (fire && !was_closed && dc->state != RTC_DC_CLOSING)
      rtc__pc_event_dc(pc, RTC_PC_EVENT_DC_CLOSING, dc);
    dc->state = RTC_DC_CLOSED;
    if (fire && !was_closed) rtc__pc_event_dc(pc, RTC_PC_EVENT_DC_CLOSE, dc);
    dc_remove(pc, dc);
  }
}

void rtc__pc_dc_detach_all(rtc_pc_t *pc) {
  while (pc->n_dcs > 0) {
    rtc_dc_t *dc = pc->dcs[pc->n_dcs - 1];
    dc->state = dc->shown_state = RTC_DC_CLOSED;
    dc_remove(pc, dc);
  }
  free(pc->dcs);
  pc->dcs = NULL;
  pc->cap_dcs = 0;
}

rtc_dc_t *rtc_dc_ref(rtc_dc_t *dc) {
  dc->refs++;
  return dc;
}

void rtc_dc_unref(rtc_dc_t *dc) {
  if (!dc || --dc->refs > 0) return;
  free(dc->label);
  free(dc->protocol);
  free(dc);
}

const char *rtc_dc_label(const rtc_dc_t *dc) { return dc->label; }
const char *rtc_dc_protocol(const rtc_dc_t *dc) { return dc->protocol; }
int rtc_dc_id(const rtc_dc_t *dc) { return dc->id; }
bool rtc_dc_ordered(const rtc_dc_t *dc) { return dc->ordered; }
int rtc_dc_max_retransmits(const rtc_dc_t *dc) { return dc->max_retransmits; }
int rtc_dc_max_packet_life_time(const rtc_dc_t *dc) { return dc->max_packet_life_time; }
bool rtc_dc_negotiated(const rtc_dc_t *dc) { return dc->negotiated; }
/* The state of the last event handed to the app (W3C: the task firing the event sets
 * [[ReadyState]]); close() and the pc's close() set it at once, as W3C does. */
rtc_dc_state_t rtc_dc_ready_state(const rtc_dc_t *dc) { return dc->shown_state; }
const char *rtc_dc_error(const rtc_dc_t *dc) { return dc->error; }
rtc_pc_t *rtc_dc_pc(const rtc_dc_t *dc) { return dc->pc; }
void rtc_dc_set_userdata(rtc_dc_t *dc, void *ud) { dc->userdata = ud; }
void *rtc_dc_get_userdata(const rtc_dc_t *dc) { return dc->userdata; }

size_t rtc_dc_buffered_amount(const rtc_dc_t *dc) {
  if (!dc->pc || !dc->pc->sctp || !dc->opened_in_sctp || dc->state == RTC_DC_CLOSED) return 0;
  return rtc_sctp_channel_buffered_amount(dc->pc->sctp, (uint16_t)dc->id);
}

size_t rtc_dc_buffered_amount_low_threshold(const rtc_dc_t *dc) { return dc->low_threshold; }

void rtc_dc_set_buffered_amount_low_threshold(rtc_dc_t *dc, size_t v) {
  dc->low_threshold = v;
  if (dc->pc && dc->pc->sctp && dc->opened_in_sctp)
    rtc_sctp_channel_set_low_threshold(dc->pc->sctp, (uint16_t)dc->id, v);
}

int rtc_dc_send(rtc_dc_t *dc, bool binary, const uint8_t *p, size_t len) {
  if (dc->state != RTC_DC_OPEN || !dc->pc || !dc->pc->sctp)
    return dc_fail(dc, RTC_ESTATE, "send: the channel is not open");
  rtc_pc_t *pc = dc->pc;
  if (pc->remote_mms && len > pc->remote_mms) {
    snprintf(dc->error, sizeof(dc->error),
             "send: message of %zu bytes exceeds the peer's max-message-size %zu", len,
             pc->remote_mms);
    return RTC_ETOOBIG;
  }
  int r = rtc_sctp_channel_send(pc->sctp, (uint16_t)dc->id, binary, p, len);
  if (r == RTC_ETOOBIG) {
    snprintf(dc->error, sizeof(dc->error),
             "send: message of %zu bytes exceeds the peer's max-message-size", len);
    return r;
  }
  if (r == RTC_EAGAIN) {
    snprintf(dc->error, sizeof(dc->error),
             "send: bufferedAmount would pass maxBufferedAmount (%zu bytes): wait for "
             "bufferedamountlow", pc->cfg.max_buffered_amount);
    return r;
  }
  if (r < 0) {
    snprintf(dc->error, sizeof(dc->error), "send: %s", rtc_strerror(r));
    return r;
  }
  dc->stats.messages_sent++;
  dc->stats.bytes_sent += len;
  rtc__pc_pump(pc);
  return 0;
}

int rtc_dc_close(rtc_dc_t *dc) {
  if (dc->shown_state < RTC_DC_CLOSING) dc->shown_state = RTC_DC_CLOSING;
  if (dc->state == RTC_DC_CLOSING || dc->state == RTC_DC_CLOSED) return 0;
  rtc_pc_t *pc = dc->pc;
  if (!pc) {
    dc->state = dc->shown_state = RTC_DC_CLOSED;
    return 0;
  }
  if (!dc->opened_in_sctp || !pc->sctp) {
    /* Never reached the wire: closes at once (W3C: closing, then closed). */
    dc->state = RTC_DC_CLOSED;
    rtc__pc_event_dc(pc, RTC_PC_EVENT_DC_CLOSE, dc);
    dc_remove(pc, dc);
    return 0;
  }
  dc->state = RTC_DC_CLOSING;
  rtc_sctp_channel_close(pc->sctp, (uint16_t)dc->id);
  rtc__pc_pump(pc);
  return 0;
}

void rtc_dc_get_stats(const rtc_dc_t *dc, rtc_dc_stats_t *out) { *out = dc->stats; }

size_t rtc_pc_data_channels(const rtc_pc_t *pc, rtc_dc_t **out, size_t max) {
  size_t n = pc->n_dcs < max ? pc->n_dcs : max;
  for (size_t i = 0; i < n; i++)
    out[i] = pc->dcs[i];
  return n;
}
