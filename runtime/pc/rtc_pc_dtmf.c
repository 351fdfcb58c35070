/* DTMF over RTP (RFC 4733 telephone-events; W3C RTCDTMFSender underneath). Sending:
 * one event at a time (the Lua RTCDTMFSender plays its tone buffer through here), on
 * the audio SSRC with the telephone-event payload type of the audio clock, a packet
 * every RTC_DTMF_STEP_MS with the event's start timestamp and a growing duration, the
 * end sent three times (2.5.1.4); the audio frames of that time are not sent (as
 * libwebrtc does: one stream carries one or the other). Receiving: each event reported
 * once (RTC_PC_EVENT_TRACK_DTMF), its packets taking their place in the audio stream's
 * sequence so that they are no loss. */
#include <string.h>

#include "base/rtc_err.h"
#include "base/rtc_log.h"
#include "base/rtc_time.h"
#include "pc/rtc_pc_media_internal.h"
#include "rtp/rtc_rtp_dtmf.h"

#define RTC_DTMF_STEP_MS 20
#define RTC_DTMF_VOLUME 10 /* -10 dBm0, libwebrtc's */
#define RTC_DTMF_END_PACKETS 3

/* The negotiated telephone-event: the one of the audio codec's clock rate (RFC 4733
 * 2.1), else any. Chromium 156 itself sends telephone-event/8000 beside Opus: event
 * timestamps on the stream's 48 kHz timeline, durations in 8 kHz units (captured in
 * tests/unit/rtp_dtmf_test.c); durations here are in the event codec's units too. */
static const rtc_sdp_codec_t *dtmf_codec(const rtc_tr_t *tr) {
  const rtc_sdp_codec_t *audio = rtc_sdp_codec_primary(&tr->neg), *any = NULL;
  if (!audio) return NULL;
  for (size_t i = 0; i < tr->neg.n_codecs; i++) {
    const rtc_sdp_codec_t *c = &tr->neg.codecs[i];
    if (c->id != RTC_SDP_CODEC_TELEPHONE_EVENT) continue;
    if (c->clock_rate == audio->clock_rate) return c;
    if (!any) any = c;
  }
  return any;
}

bool rtc_tr_can_insert_dtmf(const rtc_tr_t *tr) {
  const rtc_pc_t *pc = tr->pc;
  return pc && !pc->closed && !tr->stopped && tr->kind == RTC_MEDIA_AUDIO && tr->sending &&
         tr->send && dtmf_codec(tr) != NULL;
}

bool rtc__pc_dtmf_sending(const rtc_tr_t *tr) { return tr->dtmf.active; }

static void dtmf_packet(rtc_pc_t *pc, rtc_tr_t *tr, uint16_t duration, bool end, bool marker) {
  rtc_rtp_dtmf_t ev = {.event = tr->dtmf.code, .end = end, .volume = RTC_DTMF_VOLUME,
                       .duration = duration};
  uint8_t payload[RTC_RTP_DTMF_LEN], pkt[256], twcc[2];
  rtc_rtp_dtmf_write(payload, &ev);
  rtc_rtp_header_t h;
  memset(&h, 0, sizeof(h));
  h.ts = tr->dtmf.ts;
  h.marker = marker; /* 2.5.1.3: the first packet of an event */
  if (tr->ext_mid && tr->mid)
    rtc_rtp_add_ext(&h, tr->ext_mid, (const uint8_t *)tr->mid, (uint8_t)strlen(tr->mid));
  if (tr->ext_twcc) {
    uint16_t s = pc->media->twcc_seq++;
    twcc[0] = (uint8_t)(s >> 8), twcc[1] = (uint8_t)s;
    rtc_rtp_add_ext(&h, tr->ext_twcc, twcc, 2);
  }
  int n = rtc_rtp_send_event_packet(tr->send, &h, tr->dtmf.pt, payload, sizeof(payload), pkt,
                                    sizeof(pkt));
  if (n > 0) rtc_transport_send_rtp(pc->transport, pc->now_us, pkt, (size_t)n);
}

/* Sends what is due at now_us: the next update, or the end. */
static void dtmf_step(rtc_pc_t *pc, rtc_tr_t *tr, uint64_t now_us) {
  if (!tr->dtmf.active || now_us < tr->dtmf.next_us) return;
  if (!rtc_tr_can_insert_dtmf(tr) || !rtc_transport_srtp_ready(pc->transport)) {
    tr->dtmf.active = false; /* the sender went away under the event */
    return;
  }
  uint32_t step = tr->dtmf.clock / 1000 * RTC_DTMF_STEP_MS;
  uint32_t played = tr->dtmf.done + step;
  if (played >= tr->dtmf.total) {
    /* The end, with the full duration of this segment, three times. */
    uint32_t seg = tr->dtmf.total - tr->dtmf.seg_start;
    for (int i = 0; i < RTC_DTMF_END_PACKETS; i++)
      dtmf_packet(pc, tr, (uint16_t)seg, true, false);
    tr->dtmf.active = false;
    tr->dtmf_events_sent++;
    return;
  }
  if (played - tr->dtmf.seg_start > 0xFFFF) {
    /* 2.5.2.3: a segment's duration field is full: it ends at 0xFFFF without the end
     * bit and the event goes on under the next timestamp. */
    dtmf_packet(pc, tr, 0xFFFF, false, false);
    tr->dtmf.seg_start += 0xFFFF;
    tr->dtmf.ts += 0xFFFF;
  }
  tr->dtmf.done = played;
  dtmf_packet(pc, tr, (uint16_t)(played - tr->dtmf.seg_start), false, false);
  tr->dtmf.next_us += (uint64_t)RTC_DTMF_STEP_MS * 1000;
}

int rtc_tr_insert_dtmf_event(rtc_tr_t *tr, int code, uint32_t duration_ms) {
  rtc_pc_t *pc = tr->pc;
  if (code < 0 || code > 15) return rtc__tr_fail(tr, RTC_EINVAL, "insertDTMF: no such event");
  if (!rtc_tr_can_insert_dtmf(tr))
    return rtc__tr_fail(tr, RTC_ESTATE, "insertDTMF: the sender cannot send DTMF "
                                        "(no audio sent, or no telephone-event negotiated)");
  if (!rtc_transport_srtp_ready(pc->transport))
    return rtc__tr_fail(tr, RTC_ESTATE, "insertDTMF: the transport is not connected yet");
  if (tr->dtmf.active) return rtc__tr_fail(tr, RTC_ESTATE, "insertDTMF: an event is playing");
  const rtc_sdp_codec_t *c = dtmf_codec(tr);
  uint32_t step = c->clock_rate / 1000 * RTC_DTMF_STEP_MS;
  tr->dtmf.active = true;
  tr->dtmf.code = (uint8_t)code;
  tr->dtmf.pt = c->pt;
  tr->dtmf.clock = c->clock_rate;
  tr->dtmf.ts = rtc_rtp_send_ts_at(tr->send, pc->now_us);
  tr->dtmf.total = (uint32_t)((uint64_t)duration_ms * c->clock_rate / 1000);
  if (tr->dtmf.total < step) tr->dtmf.total = step;
  tr->dtmf.seg_start = 0;
  tr->dtmf.done = 0;
  /* The first packet now, with the marker and no duration yet (2.5.1.3). */
  dtmf_packet(pc, tr, 0, false, true);
  tr->dtmf.next_us = pc->now_us + (uint64_t)RTC_DTMF_STEP_MS * 1000;
  return 0;
}

void rtc__pc_dtmf_timeout(rtc_pc_t *pc, uint64_t now_us) {
  for (size_t i = 0; i < pc->media->n_trs; i++)
    dtmf_step(pc, pc->media->trs[i], now_us);
}

uint64_t rtc__pc_dtmf_poll_timeout(const rtc_pc_t *pc) {
  uint64_t t = RTC_NEVER;
  for (size_t i = 0; i < pc->media->n_trs; i++)
    if (pc->media->trs[i]->dtmf.active) t = rtc_time_min(t, pc->media->trs[i]->dtmf.next_us);
  return t;
}

bool rtc__pc_dtmf_input(rtc_pc_t *pc, rtc_tr_t *tr, const rtc_sdp_codec_t *c,
                        const rtc_rtp_header_t *h) {
  if (c->id != RTC_SDP_CODEC_TELEPHONE_EVENT) return false;
  /* Its place in the audio's sequence: no gap for the audio to wait on, no loss. */
  if (tr->recv && h->ssrc == tr->remote_ssrc) rtc_rtp_recv_handle_other(tr->recv, pc->now_us, h);
  rtc_rtp_dtmf_t ev;
  if (rtc_rtp_dtmf_parse(h->payload, h->payload_len, &ev) < 0) {
    tr->dtmf_malformed++;
    return true;
  }
  rtc_rtp_dtmf_report_t out[2];
  size_t n = rtc_rtp_dtmf_rx_handle(&tr->dtmf_rx, h->ts, &ev, out);
  for (size_t i = 0; i < n; i++) {
    tr->dtmf_events_received++;
    rtc_pc_event_node_t *node = rtc__pc_event_push(pc, RTC_PC_EVENT_TRACK_DTMF);
    if (!node) continue;
    node->ev.tr = rtc_tr_ref(tr);
    node->ev.state = out[i].event;
    node->ev.timestamp =
        c->clock_rate ? (uint32_t)((uint64_t)out[i].duration * 1000 / c->clock_rate) : 0;
  }
  return true;
}
