/* Simulcast receiving (RFC 8853, RFC 8851 rid, RFC 8852 rtp-stream-id, RFC 8843 9.2):
 * a peer (a browser publishing to an SFU) offers a=simulcast:send q;h;f with a=rid send
 * lines and no SSRCs. Our answer receives those rids; each layer's SSRC is learnt from
 * the first packet that carries its rid (RTX: its repaired-rtp-stream-id), and each
 * layer has the receive state a transceiver has for its one stream (reorder, NACK, PLI,
 * report block, frames, stats) and its own track. Packets of a rid we did not take, or
 * of an unknown SSRC without rid, are dropped and counted (rx_dropped). */
#include <stdio.h>
#include <string.h>

#include "base/rtc_err.h"
#include "base/rtc_log.h"
#include "base/rtc_time.h"
#include "pc/rtc_pc_media_internal.h"

static bool offer_has_rid(const rtc_sdp_rtp_t *v, const char *name, size_t n) {
  for (size_t i = 0; i < v->n_rids; i++)
    if (v->rids[i].send && strlen(v->rids[i].id) == n && memcmp(v->rids[i].id, name, n) == 0)
      return true;
  return false;
}

static bool taken(const rtc_tr_rx_layer_t *rx, size_t n, const char *name, size_t len) {
  for (size_t i = 0; i < n; i++)
    if (strlen(rx[i].rid) == len && memcmp(rx[i].rid, name, len) == 0) return true;
  return false;
}

/* RFC 8853 5.1/5.3 as the send side reads it (rtc_pc_simulcast.c list_pick): streams
 * split by ';', of alternatives "a,b" the first with an a=rid line of the offer's
 * direction (the answerer keeps one alternative per stream), '~' paused (kept paused). */
static size_t list_take(const char *list, const rtc_sdp_rtp_t *v, rtc_tr_rx_layer_t *out) {
  size_t n = 0;
  for (const char *p = list; p && *p && n < RTC_TR_MAX_LAYERS;) {
    size_t slen = strcspn(p, ";");
    bool picked = false;
    for (const char *a = p; a < p + slen && !picked;) {
      size_t len = strcspn(a, ",;");
      bool paused = *a == '~';
      const char *name = paused ? a + 1 : a;
      size_t nlen = paused ? len - 1 : len;
      if (nlen > 0 && nlen <= RTC_TR_RID_MAX && offer_has_rid(v, name, nlen) &&
          !taken(out, n, name, nlen)) {
        char rid[RTC_TR_RID_MAX + 1];
        snprintf(rid, sizeof(rid), "%.*s", (int)nlen, name);
        if (rtc_tr_rid_valid(rid)) {
          memset(&out[n], 0, sizeof(out[n]));
          memcpy(out[n].rid, rid, sizeof(rid));
          out[n].paused = paused;
          n++;
          picked = true;
        }
      }
      a += len;
      if (a < p + slen) a++;
    }
    p += slen;
    if (*p) p++;
  }
  return n;
}

static void layer_free(rtc_tr_rx_layer_t *l) {
  rtc_rtp_recv_destroy(l->recv);
  l->recv = NULL;
  l->remote_ssrc = l->remote_rtx_ssrc = 0;
}

void rtc__pc_simrx_drop(rtc_tr_t *tr) {
  for (size_t i = 0; i < tr->n_rx; i++) layer_free(&tr->rx[i]);
  tr->rx_sim = false;
}

void rtc__pc_simrx_from_offer(rtc_pc_t *pc, rtc_tr_t *tr, const rtc_sdp_rtp_t *offer) {
  rtc_tr_rx_layer_t next[RTC_TR_MAX_LAYERS];
  size_t n = 0;
  bool rid_ext = false;
  for (size_t i = 0; i < offer->n_extmaps; i++)
    if (!strcmp(offer->extmaps[i].uri, "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"))
      rid_ext = true;
  if (!pc->cfg.simulcast_receive_off && tr->kind == RTC_MEDIA_VIDEO && rid_ext)
    n = list_take(offer->simulcast_send, offer, next);
  /* The same rids as before keep their receivers (a re-offer); others start anew. */
  bool same = n == tr->n_rx;
  for (size_t i = 0; same && i < n; i++)
    same = !strcmp(next[i].rid, tr->rx[i].rid) && next[i].paused == tr->rx[i].paused;
  if (same) return;
  rtc__pc_simrx_drop(tr);
  memcpy(tr->rx, next, n * sizeof(next[0]));
  tr->n_rx = n;
}

int rtc_tr_set_receive_rids(rtc_tr_t *tr, const char *const *rids, size_t n) {
  if (tr->kind != RTC_MEDIA_VIDEO) return rtc__tr_fail(tr, RTC_EINVAL, "receiveRids: video only");
  if (n == 1 || n > RTC_TR_MAX_LAYERS)
    return rtc__tr_fail(tr, RTC_EINVAL, "receiveRids: 2 to %d rids", RTC_TR_MAX_LAYERS);
  for (size_t i = 0; i < n; i++) {
    if (!rids[i] || !rtc_tr_rid_valid(rids[i]))
      return rtc__tr_fail(tr, RTC_EINVAL, "receiveRids: rid %zu is not 1-%d letters, digits, '-' or '_'",
                          i + 1, RTC_TR_RID_MAX);
    for (size_t k = 0; k < i; k++)
      if (!strcmp(rids[k], rids[i]))
        return rtc__tr_fail(tr, RTC_EINVAL, "receiveRids: rid %s appears twice", rids[i]);
  }
  for (size_t i = 0; i < n; i++) snprintf(tr->rx_want[i], sizeof(tr->rx_want[i]), "%s", rids[i]);
  tr->n_rx_want = n;
  return 0;
}

/* a=rid:<rid> recv per layer, then a=simulcast:recv with them in order. */
static int write_recv(rtc_sdp_media_t *m, const rtc_tr_rx_layer_t *rx, size_t n,
                      const char (*want)[RTC_TR_RID_MAX + 1]) {
  char list[RTC_TR_MAX_LAYERS * (RTC_TR_RID_MAX + 2) + 8] = "recv ";
  for (size_t i = 0; i < n; i++) {
    const char *rid = rx ? rx[i].rid : want[i];
    int r = rtc_sdp_rtp_add_rid(m, rid, false, NULL);
    if (r) return r;
    if (i) strcat(list, ";");
    if (rx && rx[i].paused) strcat(list, "~");
    strcat(list, rid);
  }
  return n ? rtc_sdp_rtp_add_simulcast(m, list) : 0;
}

int rtc__pc_simrx_write(const rtc_tr_t *tr, rtc_sdp_media_t *m, bool offer) {
  /* An offer of ours before any simulcast is received asks for what the application
   * wants; otherwise (our answer, a re-offer) the layers taken. */
  if (offer && !tr->rx_sim) return write_recv(m, NULL, tr->n_rx_want, tr->rx_want);
  return write_recv(m, tr->rx, tr->n_rx, NULL);
}

/* Keeps the layers whose rid our offer asked for. */
static void keep_wanted(rtc_tr_t *tr) {
  size_t n = 0;
  for (size_t i = 0; i < tr->n_rx; i++) {
    bool asked = false;
    for (size_t k = 0; k < tr->n_rx_want; k++) asked |= !strcmp(tr->rx[i].rid, tr->rx_want[k]);
    if (asked) tr->rx[n++] = tr->rx[i];
    else layer_free(&tr->rx[i]);
  }
  tr->n_rx = n;
}

void rtc__pc_simrx_negotiated(rtc_pc_t *pc, rtc_tr_t *tr, const rtc_sdp_rtp_t *answer, bool ours) {
  /* Our answer says what we receive (JSEP 5.8). The peer's answer to a re-offer of ours
   * (which asks again for the layers received, rtc_pc_msection.c) keeps what its
   * a=simulcast:send still lists; without it, simulcast ends. */
  bool was = tr->rx_sim || tr->n_rx_want; /* what our offer asked for */
  if (!ours && was && answer) {
    bool first = !tr->rx_sim;
    rtc__pc_simrx_from_offer(pc, tr, answer);
    if (first) keep_wanted(tr); /* RFC 8853 5.3: an answer may not add rids */
  }
  const char *list = !answer ? NULL : ours ? answer->simulcast_recv
                                    : was  ? answer->simulcast_send
                                           : NULL;
  bool sim = tr->receiving && tr->n_rx && tr->ext_rid && list;
  if (!sim) {
    if (tr->rx_sim) rtc__pc_simrx_drop(tr);
    return;
  }
  if (!tr->rx_sim) {
    rtc_rtp_recv_destroy(tr->recv); /* the one-stream receiver has no place now */
    tr->recv = NULL;
    tr->remote_ssrc = tr->remote_rtx_ssrc = 0;
  }
  tr->rx_sim = true;
  RTC_LOG(RTC_LOG_INFO, "pc", "pc %u: mid %s receives simulcast, %zu rids (%s%s%s%s%s)", pc->id,
          tr->mid ? tr->mid : "?", tr->n_rx, tr->rx[0].rid, tr->n_rx > 1 ? " " : "",
          tr->n_rx > 1 ? tr->rx[1].rid : "", tr->n_rx > 2 ? " " : "",
          tr->n_rx > 2 ? tr->rx[2].rid : "");
}

size_t rtc__pc_simrx_tracks(const rtc_tr_t *tr) {
  size_t n = 0;
  for (size_t i = 0; i < tr->n_rx; i++) n += !tr->rx[i].paused;
  return n;
}

bool rtc__pc_simrx_has_ssrc(const rtc_tr_t *tr, uint32_t ssrc) {
  for (size_t i = 0; i < tr->n_rx; i++)
    if (tr->rx[i].remote_ssrc == ssrc || (tr->rx[i].remote_rtx_ssrc == ssrc && ssrc)) return true;
  return false;
}

static rtc_tr_rx_layer_t *by_rid(rtc_tr_t *tr, const rtc_rtp_ext_t *e) {
  if (!e) return NULL;
  for (size_t i = 0; i < tr->n_rx; i++) {
    rtc_tr_rx_layer_t *l = &tr->rx[i];
    if (!l->paused && strlen(l->rid) == e->len && memcmp(l->rid, e->data, e->len) == 0) return l;
  }
  return NULL;
}

static void drop(rtc_pc_t *pc, rtc_tr_t *tr, const rtc_rtp_header_t *h, const char *why) {
  /* Logged at the first and then every 1000th: a peer sending garbage must not flood. */
  if (tr->rx_dropped++ % 1000 == 0)
    RTC_LOG(RTC_LOG_INFO, "pc", "pc %u: mid %s drops ssrc %08x: %s (%llu dropped)", pc->id,
            tr->mid ? tr->mid : "?", (unsigned)h->ssrc, why,
            (unsigned long long)tr->rx_dropped);
}

void rtc__pc_simrx_input(rtc_pc_t *pc, rtc_tr_t *tr, const rtc_rtp_header_t *h, const uint8_t *p,
                         size_t len) {
  bool is_rtx = false;
  const rtc_sdp_codec_t *c = rtc__pc_rtp_codec_by_pt(tr, h->pt, &is_rtx);
  if (!c) return;
  /* RFC 8852 3.3 / JSEP 5.8: an SSRC we know is its layer; an unknown one is bound by
   * its rid (an RTX packet by its repaired-rtp-stream-id): the rid then wins over the
   * SSRC the layer had (a sender that restarted with a new one). */
  rtc_tr_rx_layer_t *l = NULL;
  for (size_t i = 0; i < tr->n_rx && !l; i++) {
    uint32_t s = is_rtx ? tr->rx[i].remote_rtx_ssrc : tr->rx[i].remote_ssrc;
    if (s && s == h->ssrc) l = &tr->rx[i];
  }
  if (!l) {
    uint8_t id = is_rtx ? tr->ext_rrid : tr->ext_rid;
    const rtc_rtp_ext_t *e = id ? rtc_rtp_get_ext(h, id) : NULL;
    if (!e) return drop(pc, tr, h, is_rtx ? "RTX without repaired rid" : "no rid");
    l = by_rid(tr, e);
    if (!l) return drop(pc, tr, h, "a rid we did not negotiate");
    if (is_rtx) {
      l->remote_rtx_ssrc = h->ssrc;
      if (l->recv) rtc_rtp_recv_set_rtx(l->recv, h->ssrc, h->pt); /* what it holds stays */
    } else {
      l->remote_ssrc = h->ssrc;
      rtc_rtp_recv_destroy(l->recv);
      l->recv = rtc__pc_rtp_make_recv(pc, tr, c, l->remote_ssrc, l->remote_rtx_ssrc);
      l->recv_pt = c->pt;
    }
  } else if (!is_rtx && l->recv_pt != h->pt) { /* another codec */
    rtc_rtp_recv_destroy(l->recv);
    l->recv = rtc__pc_rtp_make_recv(pc, tr, c, l->remote_ssrc, l->remote_rtx_ssrc);
    l->recv_pt = c->pt;
  }
  if (!l->recv) return;
  int layer = (int)(l - tr->rx) + 1;
  if (!l->unmuted && tr->track_fired && tr->remote_sends) {
    /* W3C webrtc-pc 9.3 per layer track: its first media unmutes it. */
    l->unmuted = true;
    rtc_pc_event_node_t *n = rtc__pc_event_push(pc, RTC_PC_EVENT_TRACK_MUTE);
    if (n) {
      n->ev.tr = rtc_tr_ref(tr);
      n->ev.state = 0;
      n->ev.layer = layer;
    }
  }
  if (l->rtp_events) rtc__pc_rtp_event(pc, tr, layer, p, len);
  rtc_rtp_recv_handle_packet_at(l->recv, pc->now_us, rtc__pc_arrival_us(pc), h);
  rtc__pc_rtp_drain(pc, tr, l->recv, l->frame_events, layer);
  rtc__pc_rtp_nacks_plis(pc, tr, l->recv, l->remote_ssrc, &l->plis_sent);
}

void rtc__pc_simrx_timeout(rtc_pc_t *pc, rtc_tr_t *tr, uint64_t now_us) {
  for (size_t i = 0; i < tr->n_rx; i++) {
    rtc_tr_rx_layer_t *l = &tr->rx[i];
    if (!l->recv) continue;
    if (rtc_rtp_recv_poll_timeout(l->recv) <= now_us) {
      rtc_rtp_recv_handle_timeout(l->recv, now_us);
      rtc__pc_rtp_drain(pc, tr, l->recv, l->frame_events, (int)i + 1);
    }
    rtc__pc_rtp_nacks_plis(pc, tr, l->recv, l->remote_ssrc, &l->plis_sent);
  }
}

uint64_t rtc__pc_simrx_poll_timeout(const rtc_tr_t *tr) {
  uint64_t t = RTC_NEVER;
  for (size_t i = 0; i < tr->n_rx; i++)
    if (tr->rx[i].recv) t = rtc_time_min(t, rtc_rtp_recv_poll_timeout(tr->rx[i].recv));
  return t;
}

void rtc__pc_simrx_sr(rtc_pc_t *pc, rtc_tr_t *tr, const rtc_rtcp_sr_t *sr) {
  for (size_t i = 0; i < tr->n_rx; i++)
    if (tr->rx[i].recv && tr->rx[i].remote_ssrc == sr->ssrc)
      rtc_rtp_recv_handle_sr(tr->rx[i].recv, rtc__pc_arrival_us(pc), sr);
}

void rtc__pc_simrx_bye(rtc_pc_t *pc, rtc_tr_t *tr, uint32_t ssrc) {
  for (size_t i = 0; i < tr->n_rx; i++) {
    rtc_tr_rx_layer_t *l = &tr->rx[i];
    if (!l->remote_ssrc || l->remote_ssrc != ssrc || !l->unmuted) continue;
    l->unmuted = false;
    rtc_pc_event_node_t *n = rtc__pc_event_push(pc, RTC_PC_EVENT_TRACK_MUTE);
    if (n) {
      n->ev.tr = rtc_tr_ref(tr);
      n->ev.state = 1;
      n->ev.layer = (int)i + 1;
    }
  }
}

size_t rtc__pc_simrx_report_blocks(rtc_pc_t *pc, rtc_tr_t *tr, uint64_t now_us, rtc_rtcp_rb_t *rb,
                                   size_t max) {
  (void)pc;
  size_t n = 0;
  for (size_t i = 0; i < tr->n_rx && n < max; i++)
    if (tr->rx[i].recv && rtc_rtp_recv_report_block(tr->rx[i].recv, now_us, &rb[n])) n++;
  return n;
}

void rtc__pc_simrx_set_rtt(rtc_tr_t *tr, uint64_t rtt_us) {
  for (size_t i = 0; i < tr->n_rx; i++)
    if (tr->rx[i].recv) rtc_rtp_recv_set_rtt(tr->rx[i].recv, rtt_us);
}

/* ---- public ---- */

size_t rtc_tr_rx_layers(const rtc_tr_t *tr) { return tr->rx_sim || tr->n_rx ? tr->n_rx : 0; }

const char *rtc_tr_rx_layer_rid(const rtc_tr_t *tr, size_t i) {
  return i < tr->n_rx ? tr->rx[i].rid : NULL;
}

bool rtc_tr_rx_layer_paused(const rtc_tr_t *tr, size_t i) { return i < tr->n_rx && tr->rx[i].paused; }

void rtc_tr_set_layer_frame_events(rtc_tr_t *tr, size_t i, bool on) {
  if (i < tr->n_rx) tr->rx[i].frame_events = on;
}

void rtc_tr_set_layer_rtp_events(rtc_tr_t *tr, size_t i, bool on) {
  if (i < tr->n_rx) tr->rx[i].rtp_events = on;
}

int rtc_tr_request_layer_keyframe(rtc_tr_t *tr, size_t i) {
  rtc_pc_t *pc = tr->pc;
  if (i >= tr->n_rx) return rtc__tr_fail(tr, RTC_EINVAL, "requestKeyframe: no layer %zu", i + 1);
  rtc_tr_rx_layer_t *l = &tr->rx[i];
  if (!pc || !tr->rx_sim || !l->remote_ssrc || !rtc_transport_srtp_ready(pc->transport))
    return rtc__tr_fail(tr, RTC_ESTATE, "requestKeyframe: layer %s not received yet", l->rid);
  uint8_t buf[64];
  rtc__pc_rtcp_send(pc, buf, rtc_rtcp_write_pli(buf, sizeof(buf), tr->ssrc, l->remote_ssrc));
  l->plis_sent++;
  return 0;
}

uint64_t rtc_tr_rx_dropped(const rtc_tr_t *tr) { return tr->rx_dropped; }

bool rtc_tr_get_rx_layer_stats(const rtc_tr_t *tr, size_t i, rtc_tr_rx_layer_stats_t *out) {
  memset(out, 0, sizeof(*out));
  if (i >= tr->n_rx) return false;
  const rtc_tr_rx_layer_t *l = &tr->rx[i];
  out->rid = l->rid;
  out->ssrc = l->remote_ssrc;
  out->pli_count_sent = l->plis_sent;
  out->frame_width = l->width;
  out->frame_height = l->height;
  if (l->recv) {
    rtc_rtp_recv_stats_t r;
    rtc_rtp_recv_get_stats(l->recv, &r);
    out->packets_received = r.packets;
    out->bytes_received = r.bytes;
    out->frames_received = r.frames;
    out->frames_dropped = r.frames_dropped;
    out->packets_lost = r.cumulative_lost;
    out->nack_count_sent = r.nacks_sent;
    out->jitter_s = r.jitter_s;
  }
  return true;
}
