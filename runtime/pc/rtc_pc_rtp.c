/* Media packets of the pc. Incoming RTP (SRTP already removed by the transport) is
 * demultiplexed to a transceiver by the MID header extension (RFC 8843 9.2), then the
 * SSRC, then the payload type, and goes through the rtp module's receive side (reorder,
 * NACK, frames). Incoming RTCP feeds SR/RR, NACK -> RTX, PLI/FIR -> keyframe request.
 * Outgoing frames: payloader -> RTP -> transport (SRTP) ; RTCP SR/RR every second,
 * transport-wide CC feedback every 100 ms when the peer numbers its packets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rtc_err.h"
#include "base/rtc_log.h"
#include "base/rtc_time.h"
#include "pc/rtc_pc_media_internal.h"
#include "record/rtc_record_codec.h" /* the picture size of a keyframe */

#define RTCP_BUF 1200
#define MAX_NACK 64

/* The NTP-format time the pc's reports carry: the monotonic clock it is given (peers
 * use SR times only relative to each other: LSR/DLSR and A/V sync within a CNAME). */
static uint64_t ntp_from_us(uint64_t us) {
  return ((us / 1000000) << 32) | (((us % 1000000) << 32) / 1000000);
}

/* The negotiated codec a payload type means; for an RTX payload type, the codec it
 * repairs (with *is_rtx set). */
const rtc_sdp_codec_t *rtc__pc_rtp_codec_by_pt(const rtc_tr_t *tr, uint8_t pt, bool *is_rtx) {
  for (size_t i = 0; i < tr->neg.n_codecs; i++) {
    const rtc_sdp_codec_t *c = &tr->neg.codecs[i];
    if (c->pt != pt) continue;
    *is_rtx = c->id == RTC_SDP_CODEC_RTX;
    if (!*is_rtx) return c;
    for (size_t k = 0; k < tr->neg.n_codecs; k++)
      if (tr->neg.codecs[k].pt == c->apt && tr->neg.codecs[k].id != RTC_SDP_CODEC_RTX)
        return &tr->neg.codecs[k];
    return NULL;
  }
  return NULL;
}
#define codec_by_pt rtc__pc_rtp_codec_by_pt

void rtc__pc_rtcp_send(rtc_pc_t *pc, const uint8_t *p, int len) {
  if (len > 0) rtc_transport_send_rtcp(pc->transport, pc->now_us, p, (size_t)len);
}
#define send_rtcp rtc__pc_rtcp_send

/* NACKs and a PLI the receiver of the peer's SSRC asks for (plis_sent counts them). */
void rtc__pc_rtp_nacks_plis(rtc_pc_t *pc, rtc_tr_t *tr, rtc_rtp_recv_t *recv, uint32_t ssrc,
                            uint64_t *plis_sent) {
  if (!recv) return;
  uint8_t buf[RTCP_BUF];
  uint16_t seqs[MAX_NACK];
  size_t n = rtc_rtp_recv_poll_nack(recv, pc->now_us, seqs, MAX_NACK);
  if (n) send_rtcp(pc, buf, rtc_rtcp_write_nack(buf, sizeof(buf), tr->ssrc, ssrc, seqs, n));
  if (rtc_rtp_recv_poll_keyframe_request(recv, pc->now_us) && tr->kind == RTC_MEDIA_VIDEO) {
    send_rtcp(pc, buf, rtc_rtcp_write_pli(buf, sizeof(buf), tr->ssrc, ssrc));
    (*plis_sent)++;
  }
}

static void send_nacks_and_plis(rtc_pc_t *pc, rtc_tr_t *tr) {
  rtc__pc_rtp_nacks_plis(pc, tr, tr->recv, tr->remote_ssrc, &tr->plis_sent);
}

/* A copy of one packet as an event (same byte budget as frames and messages). */
void rtc__pc_rtp_event(rtc_pc_t *pc, rtc_tr_t *tr, int layer, const uint8_t *p, size_t len) {
  if (pc->ev_bytes >= pc->cfg.max_receive_buffer) return;
  rtc_pc_event_node_t *n = rtc__pc_event_push_copy(pc, RTC_PC_EVENT_TRACK_RTP, p, len);
  if (!n) return;
  n->ev.tr = rtc_tr_ref(tr);
  n->ev.layer = layer;
  pc->ev_bytes += len;
}

/* W3C frameWidth/frameHeight of inbound-rtp: we do not decode, so the size is the last
 * keyframe's (a sender changes resolution only at a keyframe). */
static void note_picture(rtc_tr_t *tr, int layer, const rtc_rtp_frame_t *f) {
  bool l = layer > 0 && (size_t)layer <= tr->n_rx, rtx;
  const rtc_sdp_codec_t *c =
      rtc__pc_rtp_codec_by_pt(tr, l ? tr->rx[layer - 1].recv_pt : tr->recv_pt, &rtx);
  rtc_media_codec_t mc = RTC_MEDIA_CODEC_UNKNOWN;
  switch (c ? rtc__pc_rtp_codec(c->id) : 0) {
  case RTC_RTP_CODEC_VP8: mc = RTC_MEDIA_CODEC_VP8; break;
  case RTC_RTP_CODEC_VP9: mc = RTC_MEDIA_CODEC_VP9; break;
  case RTC_RTP_CODEC_AV1: mc = RTC_MEDIA_CODEC_AV1; break;
  case RTC_RTP_CODEC_H264: mc = RTC_MEDIA_CODEC_H264; break;
  default: return;
  }
  uint16_t w, h;
  if (!rtc_record_codec_picture_size(mc, f->data, f->len, &w, &h)) return;
  *(l ? &tr->rx[layer - 1].width : &tr->rx_width) = w;
  *(l ? &tr->rx[layer - 1].height : &tr->rx_height) = h;
}

void rtc__pc_rtp_drain(rtc_pc_t *pc, rtc_tr_t *tr, rtc_rtp_recv_t *recv, bool events, int layer) {
  rtc_rtp_frame_t f;
  while (recv && rtc_rtp_recv_poll_frame(recv, &f)) {
    if (f.keyframe && tr->kind == RTC_MEDIA_VIDEO) note_picture(tr, layer, &f);
    if (!events) continue;
    /* The same budget as data channel messages: an application that does not read
     * loses frames (counted by the receiver as delivered; media is not flow-controlled). */
    if (pc->ev_bytes >= pc->cfg.max_receive_buffer) continue;
    rtc_pc_event_node_t *n = rtc__pc_event_push_copy(pc, RTC_PC_EVENT_TRACK_FRAME, f.data, f.len);
    if (!n) continue;
    n->ev.tr = rtc_tr_ref(tr);
    n->ev.layer = layer;
    n->ev.timestamp = f.ts;
    n->ev.keyframe = f.keyframe;
    if (!rtc_rtp_recv_rtp_to_ntp(recv, f.ts, &n->ev.ntp)) n->ev.ntp = 0;
    pc->ev_bytes += f.len;
  }
}

static void drain_frames(rtc_pc_t *pc, rtc_tr_t *tr) {
  rtc__pc_rtp_drain(pc, tr, tr->recv, tr->frame_events, 0);
}

static rtc_tr_t *demux(rtc_pc_t *pc, const rtc_rtp_header_t *h) {
  rtc_pc_media_t *md = pc->media;
  for (size_t i = 0; i < md->n_trs; i++) { /* 1: MID (every m-section has the same id) */
    rtc_tr_t *tr = md->trs[i];
    if (!tr->ext_mid || !tr->receiving) continue;
    const rtc_rtp_ext_t *e = rtc_rtp_get_ext(h, tr->ext_mid);
    if (!e) break;
    char mid[32];
    snprintf(mid, sizeof(mid), "%.*s", (int)e->len, (const char *)e->data);
    return rtc__pc_tr_by_mid(pc, mid);
  }
  for (size_t i = 0; i < md->n_trs; i++) { /* 2: a known SSRC */
    rtc_tr_t *tr = md->trs[i];
    if (!tr->receiving) continue;
    if (tr->rx_sim ? rtc__pc_simrx_has_ssrc(tr, h->ssrc)
                   : tr->remote_ssrc == h->ssrc || tr->remote_rtx_ssrc == h->ssrc)
      return tr;
  }
  rtc_tr_t *found = NULL; /* 3: the one receiver with that payload type */
  for (size_t i = 0; i < md->n_trs; i++) {
    bool rtx;
    if (!md->trs[i]->receiving || !codec_by_pt(md->trs[i], h->pt, &rtx)) continue;
    if (found) return NULL; /* ambiguous: RFC 8843 9.2 says drop */
    found = md->trs[i];
  }
  return found;
}

rtc_rtp_recv_t *rtc__pc_rtp_make_recv(rtc_pc_t *pc, rtc_tr_t *tr, const rtc_sdp_codec_t *c,
                                      uint32_t ssrc, uint32_t rtx_ssrc) {
  const rtc_sdp_codec_t *rtx = rtc_sdp_codec_rtx_for(&tr->neg, c->pt);
  rtc_rtp_recv_config_t rc = {
      .ssrc = ssrc,
      .codec = rtc__pc_rtp_codec(c->id),
      .clock_rate = c->clock_rate,
      .has_rtx = rtx_ssrc != 0 && rtx,
      .rtx_ssrc = rtx_ssrc,
      .rtx_pt = rtx ? rtx->pt : 0,
      .nack = (c->fb & RTC_SDP_FB_NACK) != 0,
  };
  /* Audio frames are single packets and nobody NACKs them: a small ring (the video
   * defaults hold ~1.5 MB per receiver). */
  if (tr->kind == RTC_MEDIA_AUDIO) {
    rc.reorder_slots = 64;
    rc.max_frame = 16384;
  }
  rtc_rtp_recv_t *r = rc.codec ? rtc_rtp_recv_create(&rc) : NULL;
  if (!r)
    RTC_LOG(RTC_LOG_WARN, "pc", "pc %u: no receiver for mid %s (%s)", pc->id, tr->mid, c->name);
  return r;
}

static void make_receiver(rtc_pc_t *pc, rtc_tr_t *tr, const rtc_sdp_codec_t *c) {
  rtc_rtp_recv_destroy(tr->recv);
  tr->recv = rtc__pc_rtp_make_recv(pc, tr, c, tr->remote_ssrc, tr->remote_rtx_ssrc);
  tr->recv_pt = c->pt;
}

/* Transport-wide CC, receive side: the packet's sequence number and arrival. */
static void twcc_note(rtc_pc_t *pc, const rtc_tr_t *tr, const rtc_rtp_header_t *h) {
  const rtc_rtp_ext_t *tw = tr->ext_twcc ? rtc_rtp_get_ext(h, tr->ext_twcc) : NULL;
  if (!tw || tw->len != 2) return;
  rtc_pc_media_t *md = pc->media;
  if (!md->twcc && (md->twcc = rtc_rtp_twcc_create(0))) md->next_twcc_us = pc->now_us + 100000;
  if (md->twcc)
    rtc_rtp_twcc_record(md->twcc, rtc__pc_arrival_us(pc), (uint16_t)(tw->data[0] << 8 | tw->data[1]));
}

void rtc__pc_rtp_input(rtc_pc_t *pc, const uint8_t *p, size_t len) {
  rtc_rtp_header_t h;
  if (rtc_rtp_parse(p, len, &h) < 0) return;
  rtc_tr_t *tr = demux(pc, &h);
  /* Every packet that reached a receiver goes into the transport-wide feedback first,
   * whatever becomes of it below: the sender's bandwidth estimate counts a packet left
   * out as lost. Left out before: bandwidth probes (RTX padding) arriving before the
   * first media packet (no receiver yet), packets of a payload type the receiver could
   * not take, and RFC 4733 events. */
  if (tr && tr->receiving) twcc_note(pc, tr, &h);
  if (tr && tr->receiving && tr->rx_sim) {
    rtc__pc_simrx_input(pc, tr, &h, p, len);
    return;
  }
  bool is_rtx = false;
  const rtc_sdp_codec_t *c = tr && tr->receiving ? codec_by_pt(tr, h.pt, &is_rtx) : NULL;
  if (!c) return;
  /* Before the receiver is (re)made for its payload type: an event is no audio codec. */
  if (!is_rtx && rtc__pc_dtmf_input(pc, tr, c, &h)) return;
  if (is_rtx) {
    if (tr->remote_rtx_ssrc != h.ssrc) {
      /* First RTX packet of an unsignalled stream: the receiver learns its SSRC. */
      tr->remote_rtx_ssrc = h.ssrc;
      if (tr->recv) make_receiver(pc, tr, c);
    }
    if (!tr->recv) return;
  } else if (tr->remote_ssrc != h.ssrc || !tr->recv || tr->recv_pt != h.pt) {
    tr->remote_ssrc = h.ssrc; /* a new (or first) sender SSRC or codec */
    make_receiver(pc, tr, c);
    if (!tr->recv) return;
  }
  /* W3C webrtc-pc 9.3: media arriving for a muted (not ended) track unmutes it, before
   * the packet's own events. */
  if (!tr->unmuted) rtc__pc_tr_set_muted(pc, tr, false);
  if (tr->rtp_events) rtc__pc_rtp_event(pc, tr, 0, p, len);
  rtc_rtp_recv_handle_packet_at(tr->recv, pc->now_us, rtc__pc_arrival_us(pc), &h);
  drain_frames(pc, tr);
  send_nacks_and_plis(pc, tr);
}

static rtc_tr_t *by_our_ssrc(rtc_pc_t *pc, uint32_t ssrc) {
  for (size_t i = 0; i < pc->media->n_trs; i++)
    if (pc->media->trs[i]->ssrc == ssrc && pc->media->trs[i]->send) return pc->media->trs[i];
  return NULL;
}

static void keyframe_request(rtc_pc_t *pc, rtc_tr_t *tr) {
  rtc_pc_event_node_t *n = rtc__pc_event_push(pc, RTC_PC_EVENT_KEYFRAME_REQUEST);
  if (n) n->ev.tr = rtc_tr_ref(tr);
}

static void report_blocks(rtc_pc_t *pc, const rtc_rtcp_rb_t *rb, size_t n) {
  for (size_t i = 0; i < n; i++) {
    rtc_tr_t *tr = by_our_ssrc(pc, rb[i].ssrc);
    rtc_tr_layer_t *l = tr ? NULL : rtc__pc_sim_by_ssrc(pc, rb[i].ssrc, NULL, NULL);
    if (tr) rtc_rtp_send_handle_report_block(tr->send, pc->now_us, &rb[i]);
    if (l) rtc_rtp_send_handle_report_block(l->send, pc->now_us, &rb[i]);
  }
}

/* PLI or FIR for a layer's SSRC: that layer's source is asked for a keyframe. */
static bool layer_keyframe_request(rtc_pc_t *pc, uint32_t ssrc, bool fir) {
  rtc_tr_t *tr;
  size_t idx;
  rtc_tr_layer_t *l = rtc__pc_sim_by_ssrc(pc, ssrc, &tr, &idx);
  if (!l) return false;
  if (fir)
    l->firs_received++;
  else
    l->plis_received++;
  rtc_pc_event_node_t *n = rtc__pc_event_push(pc, RTC_PC_EVENT_KEYFRAME_REQUEST);
  if (n) {
    n->ev.tr = rtc_tr_ref(tr);
    n->ev.state = (int)idx + 1;
  }
  return true;
}

static void answer_nack(rtc_pc_t *pc, const rtc_rtcp_nack_t *nk) {
  rtc_tr_t *tr = by_our_ssrc(pc, nk->media_ssrc);
  rtc_rtp_send_t *send = tr ? tr->send : NULL;
  if (tr) {
    tr->nacks_received++;
  } else {
    rtc_tr_layer_t *l = rtc__pc_sim_by_ssrc(pc, nk->media_ssrc, NULL, NULL);
    if (!l) return;
    l->nacks_received++;
    send = l->send;
  }
  uint16_t seqs[MAX_NACK];
  size_t n = rtc_rtcp_nack_expand(nk, seqs, MAX_NACK);
  if (n > MAX_NACK) n = MAX_NACK;
  uint8_t buf[RTC_PC_RTP_MTU + 64];
  for (size_t i = 0; i < n; i++) {
    int len = rtc_rtp_send_rtx(send, pc->now_us, seqs[i], buf, sizeof(buf));
    if (len > 0) rtc_transport_send_rtp(pc->transport, pc->now_us, buf, (size_t)len);
  }
}

void rtc__pc_rtcp_input(rtc_pc_t *pc, const uint8_t *p, size_t len) {
  rtc_rtcp_iter_t it = {.p = p, .len = len};
  const uint8_t *pkt;
  size_t pkt_len;
  rtc_rtcp_msg_t msg;
  /* The compound's SDES CNAME (RFC 3550 6.1 puts one in each), for the BYE's log line. */
  char cname[64] = "none";
  while (rtc_rtcp_iter_next(&it, &pkt, &pkt_len) == 1) {
    if (rtc_rtcp_parse(pkt, pkt_len, &msg) < 0) continue;
    switch (msg.kind) {
    case RTC_RTCP_KIND_SDES:
      if (msg.u.sdes.count && msg.u.sdes.chunk[0].cname) {
        size_t cl = msg.u.sdes.chunk[0].cname_len;
        if (cl >= sizeof(cname)) cl = sizeof(cname) - 1;
        for (size_t i = 0; i < cl; i++) { /* printable only: it goes into a log line */
          uint8_t ch = msg.u.sdes.chunk[0].cname[i];
          cname[i] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
        }
        cname[cl] = 0;
      }
      break;
    case RTC_RTCP_KIND_SR:
      for (size_t i = 0; i < pc->media->n_trs; i++) {
        rtc_tr_t *tr = pc->media->trs[i];
        if (tr->recv && tr->remote_ssrc == msg.u.sr.ssrc)
          rtc_rtp_recv_handle_sr(tr->recv, rtc__pc_arrival_us(pc), &msg.u.sr);
        if (tr->rx_sim) rtc__pc_simrx_sr(pc, tr, &msg.u.sr);
      }
      report_blocks(pc, msg.u.sr.rb, msg.u.sr.rb_count);
      break;
    case RTC_RTCP_KIND_RR: report_blocks(pc, msg.u.rr.rb, msg.u.rr.rb_count); break;
    case RTC_RTCP_KIND_BYE: /* RFC 3550 6.6, W3C webrtc-pc 9.3: the source left */
      for (size_t k = 0; k < msg.u.bye.count; k++) {
        RTC_LOG(RTC_LOG_INFO, "pc", "pc %u: RTCP BYE from ssrc %08x (cname %s)", pc->id,
                (unsigned)msg.u.bye.ssrc[k], cname);
        for (size_t i = 0; i < pc->media->n_trs; i++) {
          rtc_tr_t *tr = pc->media->trs[i];
          if (tr->receiving && tr->rx_sim)
            rtc__pc_simrx_bye(pc, tr, msg.u.bye.ssrc[k]);
          else if (tr->receiving && tr->remote_ssrc && tr->remote_ssrc == msg.u.bye.ssrc[k])
            rtc__pc_tr_set_muted(pc, tr, true);
        }
      }
      break;
    case RTC_RTCP_KIND_NACK: answer_nack(pc, &msg.u.nack); break;
    case RTC_RTCP_KIND_PLI: {
      rtc_tr_t *tr = by_our_ssrc(pc, msg.u.pli.media_ssrc);
      if (tr) {
        tr->plis_received++;
        keyframe_request(pc, tr);
      } else {
        layer_keyframe_request(pc, msg.u.pli.media_ssrc, false);
      }
      break;
    }
    case RTC_RTCP_KIND_FIR:
      for (size_t k = 0; k < msg.u.fir.n; k++) {
        const uint8_t *e = msg.u.fir.fci + 8 * k;
        uint32_t ssrc = (uint32_t)e[0] << 24 | (uint32_t)e[1] << 16 | (uint32_t)e[2] << 8 | e[3];
        rtc_tr_t *tr = by_our_ssrc(pc, ssrc);
        if (tr) {
          tr->firs_received++;
          keyframe_request(pc, tr);
        } else {
          layer_keyframe_request(pc, ssrc, true);
        }
      }
      break;
    default: break;
    }
  }
}

/* RFC 3550 6.4: an SR from each sender (an RR from a receive-only one) with the report
 * block about what it receives, and an SDES CNAME, as one compound packet. */
static void send_report(rtc_pc_t *pc, rtc_tr_t *tr, uint64_t now_us) {
  uint8_t buf[RTCP_BUF];
  /* A report block per stream received: the one, or each simulcast layer's. */
  rtc_rtcp_rb_t rb[RTC_TR_MAX_LAYERS];
  size_t n_rb = tr->rx_sim ? rtc__pc_simrx_report_blocks(pc, tr, now_us, rb, RTC_TR_MAX_LAYERS)
                : tr->recv && rtc_rtp_recv_report_block(tr->recv, now_us, &rb[0]) ? 1
                                                                                 : 0;
  rtc_rtcp_sr_t sr;
  int n;
  if (tr->send && rtc_rtp_send_sr(tr->send, now_us, ntp_from_us(now_us), &sr)) {
    for (size_t i = 0; i < n_rb && sr.rb_count < RTC_RTCP_MAX_RB; i++) sr.rb[sr.rb_count++] = rb[i];
    n = rtc_rtcp_write_sr(buf, sizeof(buf), &sr);
  } else if (n_rb) {
    rtc_rtcp_rr_t rr = {.ssrc = tr->ssrc, .rb_count = (uint8_t)n_rb};
    for (size_t i = 0; i < n_rb; i++) rr.rb[i] = rb[i];
    n = rtc_rtcp_write_rr(buf, sizeof(buf), &rr);
  } else {
    return;
  }
  if (n <= 0) return;
  int m = rtc_rtcp_write_sdes_cname(buf + n, sizeof(buf) - (size_t)n, tr->ssrc, pc->media->cname);
  send_rtcp(pc, buf, m > 0 ? n + m : n);
}

void rtc__pc_media_timeout(rtc_pc_t *pc, uint64_t now_us) {
  rtc__pc_dtmf_timeout(pc, now_us);
  rtc_pc_media_t *md = pc->media;
  for (size_t i = 0; i < md->n_trs; i++) {
    rtc_tr_t *tr = md->trs[i];
    if (tr->recv && rtc_rtp_recv_poll_timeout(tr->recv) <= now_us) {
      rtc_rtp_recv_handle_timeout(tr->recv, now_us);
      drain_frames(pc, tr);
    }
    send_nacks_and_plis(pc, tr);
    if (tr->rx_sim) rtc__pc_simrx_timeout(pc, tr, now_us);
  }
  if (md->twcc && now_us >= md->next_twcc_us) {
    md->next_twcc_us = now_us + 100000; /* libwebrtc sends feedback about every 100 ms */
    uint8_t buf[RTCP_BUF];
    uint32_t media_ssrc = 0, sender_ssrc = 0;
    for (size_t i = 0; i < md->n_trs && !media_ssrc; i++)
      if (md->trs[i]->receiving && (md->trs[i]->remote_ssrc || md->trs[i]->rx_sim)) {
        media_ssrc = md->trs[i]->rx_sim ? md->trs[i]->rx[0].remote_ssrc : md->trs[i]->remote_ssrc;
        sender_ssrc = md->trs[i]->ssrc;
      }
    for (int k = 0; k < 4 && rtc_rtp_twcc_has_pending(md->twcc); k++) {
      int n = rtc_rtp_twcc_write_feedback(md->twcc, buf, sizeof(buf), sender_ssrc, media_ssrc);
      if (n <= 0) break;
      send_rtcp(pc, buf, n);
      md->twcc_feedback_sent++;
    }
  }
  if (!rtc_transport_srtp_ready(pc->transport) || now_us < md->next_rtcp_us) return;
  md->next_rtcp_us = now_us + RTC_PC_RTCP_INTERVAL_US;
  for (size_t i = 0; i < md->n_trs; i++) {
    rtc_tr_t *tr = md->trs[i];
    if (tr->recv) {
      /* RTT paces NACK retries: from our SR's report blocks, else (a receive-only
       * transceiver sends no SR) from ICE's consent checks on the same path. */
      uint64_t rtt = tr->send ? rtc_rtp_send_rtt_us(tr->send) : 0;
      if (!rtt) rtt = (uint64_t)rtc_ice_agent_rtt_ms(rtc_transport_ice(pc->transport)) * 1000;
      if (rtt) rtc_rtp_recv_set_rtt(tr->recv, rtt);
    }
    if (tr->rx_sim) {
      uint64_t rtt = (uint64_t)rtc_ice_agent_rtt_ms(rtc_transport_ice(pc->transport)) * 1000;
      if (rtt) rtc__pc_simrx_set_rtt(tr, rtt);
    }
    send_report(pc, tr, now_us);
    if (tr->n_layers) rtc__pc_sim_reports(pc, tr, now_us, ntp_from_us(now_us));
  }
}

uint64_t rtc__pc_media_poll_timeout(const rtc_pc_t *pc) {
  const rtc_pc_media_t *md = pc->media;
  uint64_t t = RTC_NEVER;
  bool any = false;
  for (size_t i = 0; i < md->n_trs; i++) {
    const rtc_tr_t *tr = md->trs[i];
    if (tr->recv) t = rtc_time_min(t, rtc_rtp_recv_poll_timeout(tr->recv));
    if (tr->rx_sim) t = rtc_time_min(t, rtc__pc_simrx_poll_timeout(tr));
    any |= tr->send || tr->recv || rtc__pc_sim_sending(tr) || tr->rx_sim;
  }
  if (any && rtc_transport_srtp_ready(pc->transport)) t = rtc_time_min(t, md->next_rtcp_us);
  if (md->twcc && rtc_rtp_twcc_has_pending(md->twcc)) t = rtc_time_min(t, md->next_twcc_us);
  return rtc_time_min(t, rtc__pc_dtmf_poll_timeout(pc));
}

/* ---- sending ---- */

int rtc_tr_send_frame(rtc_tr_t *tr, uint32_t rtp_timestamp, const uint8_t *p, size_t len,
                      bool keyframe) {
  return rtc_tr_send_frame_at(tr, tr->pc ? tr->pc->now_us : 0, 0, rtp_timestamp, p, len, keyframe);
}

int rtc__pc_rtp_send_frame(rtc_pc_t *pc, rtc_tr_t *tr, rtc_rtp_payloader_t *pl,
                           rtc_rtp_send_t *send, const char *rid, uint64_t capture_us,
                           uint32_t rtp_timestamp, const uint8_t *p, size_t len, bool keyframe) {
  int r = rtc_rtp_payloader_set_frame(pl, p, len, keyframe);
  if (r < 0) return rtc__tr_fail(tr, r, "sendFrame: the payloader refused the frame");
  uint8_t payload[RTC_PC_RTP_MTU], pkt[RTC_PC_RTP_MTU + 64];
  bool first = true, marker = false;
  for (;;) {
    int n = rtc_rtp_payloader_next(pl, payload, sizeof(payload), &marker);
    if (n < 0) return rtc__tr_fail(tr, n, "sendFrame: payloading failed");
    if (n == 0) break;
    rtc_rtp_header_t h;
    memset(&h, 0, sizeof(h));
    h.ts = rtp_timestamp;
    /* Video: the last packet of a frame; audio: RFC 7587 leaves it to talkspurts. */
    h.marker = tr->kind == RTC_MEDIA_VIDEO ? marker : false;
    uint8_t ast[3], twcc[2];
    if (tr->ext_mid && tr->mid)
      rtc_rtp_add_ext(&h, tr->ext_mid, (const uint8_t *)tr->mid, (uint8_t)strlen(tr->mid));
    /* RFC 8852 3.1 on every packet, as libwebrtc does: an SFU that joins the stream
     * late (or lost the first packets) still learns which layer the SSRC is. */
    if (rid && tr->ext_rid)
      rtc_rtp_add_ext(&h, tr->ext_rid, (const uint8_t *)rid, (uint8_t)strlen(rid));
    if (tr->ext_abs_send_time) {
      /* 6.18 fixed-point seconds, 24 bits. */
      uint32_t v = (uint32_t)(((pc->now_us << 18) / 1000000) & 0xFFFFFF);
      ast[0] = (uint8_t)(v >> 16), ast[1] = (uint8_t)(v >> 8), ast[2] = (uint8_t)v;
      rtc_rtp_add_ext(&h, tr->ext_abs_send_time, ast, 3);
    }
    if (tr->ext_twcc) {
      uint16_t s = pc->media->twcc_seq++;
      twcc[0] = (uint8_t)(s >> 8), twcc[1] = (uint8_t)s;
      rtc_rtp_add_ext(&h, tr->ext_twcc, twcc, 2);
    }
    int plen = rtc_rtp_send_packet(send, pc->now_us, &h, payload, (size_t)n, pkt, sizeof(pkt));
    if (plen < 0) return rtc__tr_fail(tr, plen, "sendFrame: packet too large");
    r = rtc_transport_send_rtp(pc->transport, pc->now_us, pkt, (size_t)plen);
    if (r < 0) return rtc__tr_fail(tr, r, "sendFrame: the send ring is full");
    first = false;
  }
  if (!first) rtc_rtp_send_set_capture(send, rtp_timestamp, capture_us ? capture_us : pc->now_us);
  return 0;
}

int rtc_tr_send_frame_at(rtc_tr_t *tr, uint64_t now_us, uint64_t capture_us, uint32_t rtp_timestamp,
                         const uint8_t *p, size_t len, bool keyframe) {
  rtc_pc_t *pc = tr->pc;
  if (pc && now_us > pc->now_us) pc->now_us = now_us;
  bool sends = tr->n_layers ? rtc__pc_sim_sending(tr) : tr->send != NULL;
  if (!pc || pc->closed || tr->stopped || !tr->sending || !sends)
    return rtc__tr_fail(tr, RTC_ESTATE, "sendFrame: the transceiver is not negotiated to send");
  if (!rtc_transport_srtp_ready(pc->transport))
    return rtc__tr_fail(tr, RTC_ESTATE, "sendFrame: the transport is not connected yet");
  if (tr->n_layers)
    return rtc__pc_sim_send_frame(pc, tr, capture_us, rtp_timestamp, p, len, keyframe);
  if (tr->inactive) /* W3C: an inactive encoding sends nothing */
    return rtc__tr_fail(tr, RTC_ESTATE, "sendFrame: the encoding is inactive (setParameters)");
  if (rtc__pc_dtmf_sending(tr)) return 0; /* an event plays instead of this audio */
  int r = rtc__pc_rtp_send_frame(pc, tr, &tr->pl, tr->send, NULL, capture_us, rtp_timestamp, p, len,
                                 keyframe);
  if (r < 0) return r;
  tr->frames_sent++;
  return 0;
}

uint64_t rtc_tr_send_ready_us(const rtc_tr_t *tr) {
  const rtc_pc_t *pc = tr->pc;
  bool sends = tr->n_layers ? rtc__pc_sim_sending(tr) : tr->send != NULL;
  if (!pc || pc->closed || tr->stopped || !tr->sending || !sends ||
      !rtc_transport_srtp_ready(pc->transport) || !pc->dtls_connected_us)
    return 0;
  return pc->dtls_connected_us > tr->sending_since_us ? pc->dtls_connected_us
                                                      : tr->sending_since_us;
}

int rtc_tr_request_keyframe(rtc_tr_t *tr) {
  rtc_pc_t *pc = tr->pc;
  if (pc && tr->receiving && tr->rx_sim) { /* every simulcast layer received so far */
    int r = RTC_ESTATE;
    for (size_t i = 0; i < tr->n_rx; i++)
      if (tr->rx[i].remote_ssrc && rtc_tr_request_layer_keyframe(tr, i) == 0) r = 0;
    return r ? rtc__tr_fail(tr, r, "requestKeyframe: no simulcast layer received yet") : 0;
  }
  if (!pc || !tr->receiving || !tr->remote_ssrc || !rtc_transport_srtp_ready(pc->transport))
    return rtc__tr_fail(tr, RTC_ESTATE, "requestKeyframe: no remote sender known yet");
  uint8_t buf[64];
  send_rtcp(pc, buf, rtc_rtcp_write_pli(buf, sizeof(buf), tr->ssrc, tr->remote_ssrc));
  tr->plis_sent++;
  return 0;
}
