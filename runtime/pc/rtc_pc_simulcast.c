/* Simulcast sending (RFC 8853, RFC 8851 rid, RFC 8852 rtp-stream-id; W3C sendEncodings):
 * the layers of a transceiver made with rids. Each layer is one RTP stream of the
 * m-section with its own SSRC, RTX SSRC, sequence numbers, payloader and reports; what
 * the offer says about them, what the answer lets through, frames into them, and the
 * RTCP that names their SSRCs. rtc_pc_rtp.c and rtc_pc_msection.c call in here for a
 * transceiver with layers; one without keeps its one sender (tr->send). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rtc_err.h"
#include "base/rtc_log.h"
#include "base/rtc_random.h"
#include "pc/rtc_pc_media_internal.h"

/* Room for the RTP header with our extensions: 12 fixed, 4 extension header, mid,
 * rid (up to 1 + 16), abs-send-time, twcc, padding. */
#define SIM_HEADER_ROOM 64

bool rtc_tr_rid_valid(const char *rid) {
  size_t n = rid ? strlen(rid) : 0;
  if (n == 0 || n > RTC_TR_RID_MAX) return false;
  for (size_t i = 0; i < n; i++) {
    char c = rid[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

static bool ssrc_used(const rtc_tr_t *tr, uint32_t ssrc, size_t upto) {
  if (!ssrc || ssrc == tr->ssrc || ssrc == tr->rtx_ssrc) return true;
  for (size_t i = 1; i < upto; i++)
    if (tr->layers[i].ssrc == ssrc || tr->layers[i].rtx_ssrc == ssrc) return true;
  return false;
}

int rtc__pc_sim_init(rtc_tr_t *tr, const char *const *rids, size_t n) {
  if (n > RTC_TR_MAX_LAYERS) return RTC_EINVAL;
  tr->n_layers = n;
  for (size_t i = 0; i < n; i++) {
    rtc_tr_layer_t *l = &tr->layers[i];
    snprintf(l->rid, sizeof(l->rid), "%s", rids[i]);
    l->active = true;
    if (i == 0) { /* the transceiver's own SSRCs: an answer of ours signals them */
      l->ssrc = tr->ssrc;
      l->rtx_ssrc = tr->rtx_ssrc;
      continue;
    }
    /* RFC 3550 8.1: random, and distinct within the transceiver. */
    do
      l->ssrc = rtc_random_u32();
    while (ssrc_used(tr, l->ssrc, i));
    do
      l->rtx_ssrc = rtc_random_u32();
    while (ssrc_used(tr, l->rtx_ssrc, i) || l->rtx_ssrc == l->ssrc);
  }
  return 0;
}

size_t rtc_tr_layers(const rtc_tr_t *tr) { return tr->n_layers; }

bool rtc_tr_layer_removed(const rtc_tr_t *tr, size_t i) {
  return i < tr->n_layers && tr->layers[i].removed;
}

/* Whether a=simulcast list names rid at all: as a stream or an alternative, paused
 * ("~rid") or not. */
static bool list_names(const char *list, const char *rid) {
  size_t n = strlen(rid);
  for (const char *p = list; p && *p;) {
    size_t len = strcspn(p, ",;");
    const char *name = *p == '~' ? p + 1 : p;
    size_t nlen = *p == '~' ? (len ? len - 1 : 0) : len;
    if (nlen == n && memcmp(name, rid, n) == 0) return true;
    p += len;
    if (*p) p++;
  }
  return false;
}

int rtc_tr_set_layer_active(rtc_tr_t *tr, size_t i, bool active) {
  if (!tr->n_layers && i == 0) { /* the one encoding of a transceiver without rids */
    tr->inactive = !active;
    return 0;
  }
  if (i >= tr->n_layers)
    return rtc__tr_fail(tr, RTC_EINVAL, "setParameters: no encoding %zu", i + 1);
  tr->layers[i].active = active;
  return 0;
}

int rtc_tr_set_layer_separate(rtc_tr_t *tr, size_t i, bool separate) {
  if (i >= tr->n_layers) return rtc__tr_fail(tr, RTC_EINVAL, "no encoding %zu", i + 1);
  tr->layers[i].separate = separate;
  return 0;
}

int rtc__pc_sim_write(const rtc_tr_t *tr, rtc_sdp_media_t *m, const bool *layers) {
  /* RFC 8853 5.1: "a=simulcast:send q;h;f", each stream a rid of its own (no
   * alternatives), after the a=rid lines that define them (RFC 8851 4). */
  char list[RTC_TR_MAX_LAYERS * (RTC_TR_RID_MAX + 1) + 8] = "send ";
  bool any = false;
  for (size_t i = 0; i < tr->n_layers; i++) {
    if (!layers[i]) continue;
    int r = rtc_sdp_rtp_add_rid(m, tr->layers[i].rid, true, NULL);
    if (r) return r;
    if (any) strcat(list, ";");
    strcat(list, tr->layers[i].rid);
    any = true;
  }
  return any ? rtc_sdp_rtp_add_simulcast(m, list) : 0;
}

static bool has_rid(const rtc_sdp_rtp_t *a, const char *rid, size_t n, bool send) {
  for (size_t i = 0; i < a->n_rids; i++)
    if (a->rids[i].send == send && strlen(a->rids[i].id) == n && memcmp(a->rids[i].id, rid, n) == 0)
      return true;
  return false;
}

/* The layers a description's a=simulcast list (the peer's receive side) takes, marked
 * in layers[]; returns how many. RFC 8853 5.1: the list is simulcast streams split by
 * ';', each one rid or alternatives "a,b" of which one is sent, "~rid" paused. Per
 * stream: the first unpaused alternative that is one of our layers, not taken by an
 * earlier stream, with an a=rid line of the same direction (RFC 8853 5.3). */
static size_t list_pick(const rtc_tr_t *tr, const char *list, const rtc_sdp_rtp_t *v, bool send,
                        bool *layers) {
  size_t n = 0;
  for (size_t i = 0; i < tr->n_layers; i++) layers[i] = false;
  for (const char *p = list; p && *p;) {
    size_t slen = strcspn(p, ";");
    bool picked = false;
    for (const char *a = p; a < p + slen && !picked;) {
      size_t len = strcspn(a, ",;");
      bool paused = *a == '~';
      const char *name = paused ? a + 1 : a;
      size_t nlen = paused ? len - 1 : len;
      for (size_t i = 0; i < tr->n_layers && !paused && !picked; i++) {
        const char *rid = tr->layers[i].rid;
        if (layers[i] || strlen(rid) != nlen || memcmp(rid, name, nlen) != 0) continue;
        if (!has_rid(v, rid, nlen, send)) continue;
        layers[i] = picked = true;
        n++;
      }
      a += len;
      if (a < p + slen) a++;
    }
    p += slen;
    if (*p) p++;
  }
  return n;
}

size_t rtc__pc_sim_answer_layers(const rtc_tr_t *tr, const rtc_sdp_rtp_t *offer, bool *layers) {
  /* JSEP 5.3.1 / RFC 8853 5.3: the answerer sends the rids the offer asks to receive
   * among its own encodings, in its own order, one per offered stream; none in common:
   * no simulcast. */
  return list_pick(tr, offer->simulcast_recv, offer, false, layers);
}

static void layer_drop(rtc_pc_t *pc, rtc_tr_layer_t *l, bool bye) {
  if (!l->send) return;
  rtc_rtp_send_stats_t st;
  rtc_rtp_send_get_stats(l->send, &st);
  /* RFC 3550 6.3.7: no BYE from a source that never sent since its last BYE. */
  bool sent = l->sent_since_bye || st.packets > 0;
  if (bye && sent && pc && rtc__pc_send_bye(pc, l->ssrc)) sent = false;
  l->sent_since_bye = sent;
  /* A sender made again for the SSRC goes on with its sequence numbers (a restart
   * below them is a replay to the peer's SRTP, RFC 3711 3.3.2). */
  l->next_seq = st.next_seq;
  l->next_rtx_seq = st.next_rtx_seq;
  l->seq_known = true;
  rtc_rtp_send_destroy(l->send);
  l->send = NULL;
}

void rtc__pc_sim_drop(rtc_pc_t *pc, rtc_tr_t *tr, bool bye) {
  for (size_t i = 0; i < tr->n_layers; i++)
    layer_drop(pc, &tr->layers[i], bye);
}

static void layer_setup(rtc_pc_t *pc, rtc_tr_t *tr, rtc_tr_layer_t *l) {
  const rtc_sdp_codec_t *c = rtc_sdp_codec_primary(&tr->neg);
  if (!c || (l->send && l->send_pt == c->pt)) return;
  layer_drop(pc, l, false); /* another codec: the SSRC goes on */
  rtc_rtp_codec_t rc = rtc__pc_rtp_codec(c->id);
  const rtc_sdp_codec_t *rtx = rtc_sdp_codec_rtx_for(&tr->neg, c->pt);
  rtc_rtp_send_config_t sc = {
      .ssrc = l->ssrc,
      .pt = c->pt,
      .clock_rate = c->clock_rate,
      .first_seq = l->seq_known ? l->next_seq : (uint16_t)rtc_random_u32(),
      .has_rtx = rtx && (c->fb & RTC_SDP_FB_NACK),
      .rtx_ssrc = l->rtx_ssrc,
      .rtx_pt = rtx ? rtx->pt : 0,
      .rtx_first_seq = l->seq_known ? l->next_rtx_seq : (uint16_t)rtc_random_u32(),
      .history_slots = 512,
      .max_packet = RTC_PC_RTP_MTU,
      .rid_ext = tr->simulcast ? tr->ext_rid : 0,
      .rrid_ext = tr->simulcast ? tr->ext_rrid : 0,
  };
  if (rc && rtc_rtp_payloader_init(&l->pl, rc, RTC_PC_RTP_MTU - SIM_HEADER_ROOM) == 0)
    l->send = rtc_rtp_send_create(&sc);
  l->send_pt = c->pt;
  if (!l->send)
    RTC_LOG(RTC_LOG_WARN, "pc", "pc %u: no sender for rid %s of mid %s (%s)", pc->id, l->rid,
            tr->mid ? tr->mid : "?", c->name);
}

void rtc__pc_sim_negotiated(rtc_pc_t *pc, rtc_tr_t *tr, const rtc_sdp_rtp_t *answer, bool ours) {
  /* JSEP 5.8 / RFC 8853 5.3: without a=simulcast in the answer (or without the rid
   * extension to tell the layers apart), the first encoding alone, without rid. The
   * peer's answer says what it receives; ours what we send. */
  const char *list = answer ? (ours ? answer->simulcast_send : answer->simulcast_recv) : NULL;
  bool sim = list && tr->ext_rid;
  bool was = tr->simulcast;
  tr->simulcast = sim;
  if (was != sim) rtc__pc_sim_drop(pc, tr, true); /* the rid extension comes or goes */
  bool taken[RTC_TR_MAX_LAYERS];
  if (sim) list_pick(tr, list, answer, ours, taken);
  /* W3C webrtc-pc 4.4.1.5, a remote answer: without simulcast, every encoding but the
   * first is removed; with it, those whose rid it does not name (a paused one stays). */
  if (answer && !ours)
    for (size_t i = 1; i < tr->n_layers; i++)
      if (!sim || !list_names(list, tr->layers[i].rid)) tr->layers[i].removed = true;
  for (size_t i = 0; i < tr->n_layers; i++) {
    rtc_tr_layer_t *l = &tr->layers[i];
    l->accepted = sim ? taken[i] : i == 0;
    if (l->accepted)
      layer_setup(pc, tr, l);
    else
      layer_drop(pc, l, true);
  }
  RTC_LOG(RTC_LOG_INFO, "pc", "pc %u: mid %s simulcast %s, layers %s%s %s%s %s%s", pc->id,
          tr->mid ? tr->mid : "?", sim ? "negotiated" : "not negotiated", tr->layers[0].rid,
          tr->layers[0].accepted ? "+" : "-", tr->n_layers > 1 ? tr->layers[1].rid : "",
          tr->n_layers > 1 ? (tr->layers[1].accepted ? "+" : "-") : "",
          tr->n_layers > 2 ? tr->layers[2].rid : "",
          tr->n_layers > 2 ? (tr->layers[2].accepted ? "+" : "-") : "");
}

bool rtc__pc_sim_sending(const rtc_tr_t *tr) {
  for (size_t i = 0; i < tr->n_layers; i++)
    if (tr->layers[i].send) return true;
  return false;
}

rtc_tr_layer_t *rtc__pc_sim_by_ssrc(rtc_pc_t *pc, uint32_t ssrc, rtc_tr_t **trp, size_t *idx) {
  for (size_t i = 0; i < pc->media->n_trs; i++) {
    rtc_tr_t *tr = pc->media->trs[i];
    for (size_t k = 0; k < tr->n_layers; k++) {
      if (tr->layers[k].ssrc != ssrc || !tr->layers[k].send) continue;
      if (trp) *trp = tr;
      if (idx) *idx = k;
      return &tr->layers[k];
    }
  }
  return NULL;
}

static int layer_send(rtc_pc_t *pc, rtc_tr_t *tr, rtc_tr_layer_t *l, uint64_t capture_us,
                      uint32_t ts, const uint8_t *p, size_t len, bool keyframe) {
  int r = rtc__pc_rtp_send_frame(pc, tr, &l->pl, l->send, tr->simulcast ? l->rid : NULL, capture_us,
                                 ts, p, len, keyframe);
  if (r == 0) l->frames_sent++;
  return r;
}

static bool layer_sends(const rtc_tr_layer_t *l) { return l->send && l->active && l->accepted; }

int rtc__pc_sim_send_frame(rtc_pc_t *pc, rtc_tr_t *tr, uint64_t capture_us, uint32_t ts,
                           const uint8_t *p, size_t len, bool keyframe) {
  int err = 0, sent = 0;
  for (size_t i = 0; i < tr->n_layers; i++) {
    rtc_tr_layer_t *l = &tr->layers[i];
    if (l->separate || !layer_sends(l)) continue;
    /* One layer's full ring does not keep the others from sending. */
    int r = layer_send(pc, tr, l, capture_us, ts, p, len, keyframe);
    if (r < 0 && !err) err = r;
    if (r == 0) sent++;
  }
  if (err) return err;
  if (!sent) return rtc__tr_fail(tr, RTC_ESTATE, "sendFrame: no active encoding takes the frame");
  tr->frames_sent++;
  return 0;
}

int rtc_tr_send_layer_frame_at(rtc_tr_t *tr, size_t i, uint64_t now_us, uint64_t capture_us,
                               uint32_t rtp_timestamp, const uint8_t *p, size_t len,
                               bool keyframe) {
  rtc_pc_t *pc = tr->pc;
  if (pc && now_us > pc->now_us) pc->now_us = now_us;
  if (i >= tr->n_layers) return rtc__tr_fail(tr, RTC_EINVAL, "sendFrame: no encoding %zu", i + 1);
  rtc_tr_layer_t *l = &tr->layers[i];
  if (!pc || pc->closed || tr->stopped || !tr->sending || !layer_sends(l))
    return rtc__tr_fail(tr, RTC_ESTATE, "sendFrame: encoding %s does not send", l->rid);
  if (!rtc_transport_srtp_ready(pc->transport))
    return rtc__tr_fail(tr, RTC_ESTATE, "sendFrame: the transport is not connected yet");
  return layer_send(pc, tr, l, capture_us, rtp_timestamp, p, len, keyframe);
}

void rtc__pc_sim_reports(rtc_pc_t *pc, rtc_tr_t *tr, uint64_t now_us, uint64_t ntp) {
  /* RFC 3550 6.4.1: an SR from each sending SSRC; 6.1: each compound with an SDES
   * CNAME for it, so that the peer ties every layer to the same participant. */
  for (size_t i = 0; i < tr->n_layers; i++) {
    rtc_tr_layer_t *l = &tr->layers[i];
    rtc_rtcp_sr_t sr;
    if (!l->send || !rtc_rtp_send_sr(l->send, now_us, ntp, &sr)) continue;
    uint8_t buf[256];
    int n = rtc_rtcp_write_sr(buf, sizeof(buf), &sr);
    if (n <= 0) continue;
    int m = rtc_rtcp_write_sdes_cname(buf + n, sizeof(buf) - (size_t)n, l->ssrc, pc->media->cname);
    rtc_transport_send_rtcp(pc->transport, now_us, buf, (size_t)(m > 0 ? n + m : n));
  }
}

bool rtc_tr_get_layer_stats(const rtc_tr_t *tr, size_t i, rtc_tr_layer_stats_t *out) {
  memset(out, 0, sizeof(*out));
  if (i >= tr->n_layers) return false;
  const rtc_tr_layer_t *l = &tr->layers[i];
  out->rid = l->rid;
  out->ssrc = l->ssrc;
  out->active = l->active;
  out->sending = l->send && l->accepted;
  if (l->send) {
    rtc_rtp_send_stats_t s;
    rtc_rtp_send_get_stats(l->send, &s);
    out->packets_sent = s.packets;
    out->bytes_sent = s.bytes;
    out->retransmitted_packets_sent = s.rtx_packets;
    out->remote_packets_lost = s.cumulative_lost > 0 ? (uint64_t)s.cumulative_lost : 0;
    out->round_trip_time_s = s.rtt_us / 1e6;
  }
  out->frames_sent = l->frames_sent;
  out->nack_count_received = l->nacks_received;
  out->pli_count_received = l->plis_received;
  out->fir_count_received = l->firs_received;
  return true;
}
