/* Transceivers <-> audio/video m-sections (RFC 8829 5.2 / 5.3 / 5.10, W3C 4.4.1.6):
 * what our offers and answers say for each transceiver, transceivers the peer's offer
 * creates, and what a completed negotiation sets up (directions, codecs, SSRCs,
 * senders, track events). One BUNDLE transport carries them all. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/rtc_err.h"
#include "base/rtc_log.h"
#include "base/rtc_random.h"
#include "pc/rtc_pc_media_internal.h"

static const char *kind_name(rtc_media_kind_t k) {
  return k == RTC_MEDIA_AUDIO ? "audio" : "video";
}

static bool is_rtp_mline(const rtc_sdp_media_t *m) {
  return (strcmp(m->type, "audio") == 0 || strcmp(m->type, "video") == 0) && m->proto &&
         strstr(m->proto, "RTP/") != NULL;
}

static rtc_sdp_direction_t sdp_dir(rtc_tr_direction_t d) {
  switch (d) {
  case RTC_TR_SENDRECV: return RTC_SDP_DIR_SENDRECV;
  case RTC_TR_SENDONLY: return RTC_SDP_DIR_SENDONLY;
  case RTC_TR_RECVONLY: return RTC_SDP_DIR_RECVONLY;
  default: return RTC_SDP_DIR_INACTIVE;
  }
}

static rtc_tr_direction_t tr_dir(rtc_sdp_direction_t d) {
  switch (d) {
  case RTC_SDP_DIR_SENDONLY: return RTC_TR_SENDONLY;
  case RTC_SDP_DIR_RECVONLY: return RTC_TR_RECVONLY;
  case RTC_SDP_DIR_INACTIVE: return RTC_TR_INACTIVE;
  default: return RTC_TR_SENDRECV; /* RFC 8866 6.7: absent means sendrecv */
  }
}

static bool dir_sends(rtc_tr_direction_t d) { return d == RTC_TR_SENDRECV || d == RTC_TR_SENDONLY; }
static bool dir_recvs(rtc_tr_direction_t d) { return d == RTC_TR_SENDRECV || d == RTC_TR_RECVONLY; }

static rtc_tr_direction_t dir_make(bool send, bool recv) {
  return send && recv ? RTC_TR_SENDRECV
         : send       ? RTC_TR_SENDONLY
         : recv       ? RTC_TR_RECVONLY
                      : RTC_TR_INACTIVE;
}

/* The direction the peer's m-section means for us: its send is our receive. */
static rtc_tr_direction_t dir_reverse(rtc_tr_direction_t d) {
  return dir_make(dir_recvs(d), dir_sends(d));
}

static bool mid_taken(const rtc_pc_t *pc, const rtc_sdp_t *s, const char *mid) {
  if (rtc_sdp_find_mid(s, mid) >= 0 || rtc__pc_tr_by_mid(pc, mid)) return true;
  const rtc_sdp_t *cur[] = {pc->current_local.sdp, pc->current_remote.sdp, pc->pending_remote.sdp};
  for (size_t i = 0; i < 3; i++)
    if (cur[i] && rtc_sdp_find_mid(cur[i], mid) >= 0) return true;
  return false;
}

static int assign_mid(rtc_pc_t *pc, rtc_sdp_t *s, rtc_tr_t *tr) {
  char mid[16];
  for (int k = 0; k < 1000; k++) {
    snprintf(mid, sizeof(mid), "%d", k);
    if (mid_taken(pc, s, mid)) continue;
    free(tr->mid);
    tr->mid = strdup(mid);
    return tr->mid ? 0 : RTC_ENOMEM;
  }
  return RTC_ELIMIT;
}

static rtc_sdp_kind_t sdp_kind(rtc_media_kind_t k) {
  return k == RTC_MEDIA_AUDIO ? RTC_SDP_AUDIO : RTC_SDP_VIDEO;
}

/* The RTP attributes of one of our m-sections: codecs and extensions (sdp/ writes
 * them), direction, and when we send: msid and SSRCs (RFC 8830, RFC 5576, RFC 4588). */
/* layers: the simulcast layers this description sends (NULL: none, one stream).
 * offer: an offer of ours, which may ask for the simulcast the application wants to
 * receive; an answer receives the layers taken from the peer's offer. */
static int write_rtp_attrs(rtc_pc_t *pc, rtc_tr_t *tr, rtc_sdp_media_t *m, rtc_tr_direction_t dir,
                           const rtc_sdp_codec_set_t *set, const bool *layers, bool offer) {
  int r = rtc_sdp_codec_write(m, set);
  /* Receiving simulcast layers (rtc_pc_simrecv.c): a=rid recv lines come before any
   * a=rid send ones, a=simulcast then has one direction. An offer asks again for the
   * layers received (without them the peer's answer would fall back to one stream), or
   * for the rids wanted while none are. */
  bool want = offer ? tr->rx_sim || tr->n_rx_want : tr->n_rx > 0;
  bool rx = want && dir_recvs(dir) && rtc_sdp_codec_ext_id(set, RTC_SDP_EXT_RID);
  if (!r && rx && !(dir_sends(dir) && layers)) r = rtc__pc_simrx_write(tr, m, offer);
  m->rtcp_mux = true;
  m->direction = sdp_dir(dir);
  if (!r && dir_sends(dir) && layers) {
    /* Simulcast: the layers by rid, no SSRCs (Chrome's unified-plan offers and answers
     * have none: an SFU learns them from the rid extension). */
    r = rtc_sdp_rtp_add_msid(m, tr->stream_id, tr->track_id);
    if (!r) r = rtc__pc_sim_write(tr, m, layers);
  } else if (!r && dir_sends(dir)) {
    r = rtc_sdp_rtp_add_msid(m, tr->stream_id, tr->track_id);
    const rtc_sdp_codec_t *c = rtc_sdp_codec_primary(set);
    bool rtx = c && rtc_sdp_codec_rtx_for(set, c->pt);
    if (!r && rtx) {
      uint32_t g[2] = {tr->ssrc, tr->rtx_ssrc};
      r = rtc_sdp_rtp_add_ssrc_group(m, "FID", g, 2);
    }
    if (!r) r = rtc_sdp_rtp_add_ssrc(m, tr->ssrc, "cname", pc->media->cname);
    if (!r && rtx) r = rtc_sdp_rtp_add_ssrc(m, tr->rtx_ssrc, "cname", pc->media->cname);
  }
  return r;
}

static int offer_tr(rtc_pc_t *pc, rtc_sdp_t *s, rtc_ice_agent_t *ice, rtc_tr_t *tr) {
  rtc_sdp_media_t *m = rtc_sdp_add_media(s, kind_name(tr->kind), 9, "UDP/TLS/RTP/SAVPF", "0");
  if (!m || rtc_sdp_set_str(&m->mid, tr->mid)) return RTC_ENOMEM;
  int r = rtc__pc_fill_transport(pc, ice, m, RTC_SDP_SETUP_ACTPASS, s->n_bundle_mids == 0);
  if (!r) r = rtc__pc_add_bundle(s, tr->mid);
  /* Offers always offer our whole preference list (the peer picks). */
  rtc_sdp_codec_space_t *space = r ? NULL : rtc__pc_media_space(pc);
  if (!r && !space) r = RTC_ENOMEM;
  if (!r)
    r = rtc_sdp_codec_offer(space, sdp_kind(tr->kind), tr->n_prefs ? tr->prefs : NULL,
                            tr->n_prefs, &tr->offered);
  bool all[RTC_TR_MAX_LAYERS]; /* an offer offers every layer an answer did not remove */
  size_t live = 0;
  for (size_t i = 0; i < RTC_TR_MAX_LAYERS; i++) {
    all[i] = !rtc_tr_layer_removed(tr, i);
    live += all[i] && i < tr->n_layers;
  }
  if (!r) /* one encoding left: no simulcast (W3C: no rid) */
    r = write_rtp_attrs(pc, tr, m, tr->direction, &tr->offered, live > 1 ? all : NULL, true);
  tr->mline = (int)s->n_media - 1;
  return r;
}

int rtc__pc_offer_media(rtc_pc_t *pc, rtc_sdp_t *s, rtc_ice_agent_t *ice, const rtc_sdp_t *prev,
                        size_t idx) {
  const rtc_sdp_media_t *pm = &prev->media[idx];
  rtc_tr_t *tr = rtc__pc_tr_by_mid(pc, pm->mid);
  if (tr && !tr->stopped && is_rtp_mline(pm)) return offer_tr(pc, s, ice, tr);
  /* RFC 8829 5.2.2: a rejected or stopped m-section may be recycled by a transceiver
   * that has none yet (a new mid, same place). */
  if (pm->port == 0 && !pm->bundle_only) {
    for (size_t i = 0; i < pc->media->n_trs; i++) {
      rtc_tr_t *t = pc->media->trs[i];
      if (t->mid || t->stopped) continue;
      int r = assign_mid(pc, s, t);
      return r ? r : offer_tr(pc, s, ice, t);
    }
  }
  if (tr && tr->stopped) {
    /* Stopped: rejected from now on; its mid stays with this m-line. */
    tr->mline = (int)idx;
  }
  return rtc__pc_add_rejected(s, pm);
}

int rtc__pc_offer_new_media(rtc_pc_t *pc, rtc_sdp_t *s, rtc_ice_agent_t *ice) {
  for (size_t i = 0; i < pc->media->n_trs; i++) {
    rtc_tr_t *tr = pc->media->trs[i];
    if (tr->stopped || (tr->mid && rtc_sdp_find_mid(s, tr->mid) >= 0)) continue;
    if (!tr->mid || mid_taken(pc, s, tr->mid)) {
      int r = assign_mid(pc, s, tr);
      if (r) return r;
    }
    int r = offer_tr(pc, s, ice, tr);
    if (r) return r;
  }
  return 0;
}

/* RFC 8829 5.3.1: codecs, extensions and direction of our answer to offered m-line idx
 * (the transceiver was associated at setRemoteDescription). */
int rtc__pc_answer_media(rtc_pc_t *pc, rtc_sdp_t *s, const rtc_sdp_t *offer, size_t idx,
                         bool usable) {
  const rtc_sdp_media_t *om = &offer->media[idx];
  rtc_tr_t *tr = usable && is_rtp_mline(om) ? rtc__pc_tr_by_mid(pc, om->mid) : NULL;
  if (!tr || tr->stopped || strcmp(om->type, kind_name(tr->kind)) != 0)
    return rtc__pc_add_rejected(s, om);
  rtc_sdp_rtp_t *v = NULL;
  if (rtc_sdp_rtp_parse(om, &v, NULL, 0) < 0) return rtc__pc_add_rejected(s, om);
  rtc_sdp_codec_set_t set;
  rtc_sdp_codec_space_t *space = rtc__pc_media_space(pc);
  if (!space) {
    rtc_sdp_rtp_free(v);
    return RTC_ENOMEM;
  }
  int cr = rtc_sdp_codec_answer(space, sdp_kind(tr->kind), v,
                                tr->n_prefs ? tr->prefs : NULL, tr->n_prefs, &set, NULL, 0);
  bool layers[RTC_TR_MAX_LAYERS];
  bool sim = cr >= 0 && tr->n_layers && rtc_sdp_codec_ext_id(&set, RTC_SDP_EXT_RID) &&
             rtc__pc_sim_answer_layers(tr, v, layers) > 0;
  rtc_sdp_rtp_free(v);
  if (cr < 0) return rtc__pc_add_rejected(s, om); /* no codec in common */
  rtc_sdp_media_t *m = rtc_sdp_add_media(s, om->type, 9, om->proto, "0");
  if (!m || rtc_sdp_set_str(&m->mid, om->mid)) return RTC_ENOMEM;
  rtc_dtls_role_t role;
  rtc_sdp_setup_t setup =
      rtc_transport_dtls_role(pc->transport, &role)
          ? (role == RTC_DTLS_ROLE_CLIENT ? RTC_SDP_SETUP_ACTIVE : RTC_SDP_SETUP_PASSIVE)
          : (om->setup == RTC_SDP_SETUP_ACTIVE ? RTC_SDP_SETUP_PASSIVE : RTC_SDP_SETUP_ACTIVE);
  int r =
      rtc__pc_fill_transport(pc, rtc_transport_ice(pc->transport), m, setup, s->n_bundle_mids == 0);
  if (!r && offer->has_bundle_group) r = rtc__pc_add_bundle(s, om->mid);
  rtc_tr_direction_t offered = tr_dir(om->direction);
  rtc_tr_direction_t dir = dir_make(dir_sends(tr->direction) && dir_recvs(offered),
                                    dir_recvs(tr->direction) && dir_sends(offered));
  if (!r) r = write_rtp_attrs(pc, tr, m, dir, &set, sim ? layers : NULL, false);
  return r;
}

/* What we answered to the offered m-section, from our answer as written (local, its
 * view): the offer matched without preferences, then kept in the answer's PT order.
 * Preferences set after createAnswer (setCodecPreferences may come any time) do not
 * change what the applied answer says. */
static void answer_set(rtc_tr_t *tr, const rtc_sdp_media_t *offered, const rtc_sdp_rtp_t *local,
                       rtc_sdp_codec_set_t *out) {
  rtc_sdp_rtp_t *v = NULL;
  rtc_sdp_codec_set_t all;
  memset(out, 0, sizeof(*out));
  if (rtc_sdp_rtp_parse(offered, &v, NULL, 0) < 0) return;
  int r = rtc_sdp_codec_answer(NULL, sdp_kind(tr->kind), v, NULL, 0, &all, NULL, 0);
  rtc_sdp_rtp_free(v);
  if (r < 0) return;
  *out = all;
  out->n_codecs = 0;
  for (size_t i = 0; i < local->n_codecs && out->n_codecs < RTC_SDP_CODEC_MAX; i++) {
    const rtc_sdp_codec_t *c = rtc_sdp_codec_find(&all, local->codecs[i].pt);
    if (c) out->codecs[out->n_codecs++] = *c;
  }
}

static void fire_one_track(rtc_pc_t *pc, rtc_tr_t *tr, int layer) {
  rtc_pc_event_node_t *n = rtc__pc_event_push(pc, RTC_PC_EVENT_TRACK);
  if (!n) return;
  n->ev.tr = rtc_tr_ref(tr);
  n->owned_mid = tr->mid ? strdup(tr->mid) : NULL;
  if (tr->mid && !n->owned_mid) {
    rtc__pc_event_cancel(pc, n);
    return;
  }
  n->ev.mid = n->owned_mid;
  n->ev.mline_index = tr->mline;
  n->ev.layer = layer;
}

/* One track event, or one per simulcast layer the peer offers to send (its own track:
 * Pion's and libwebrtc-based SFUs' model). */
static void fire_track(rtc_pc_t *pc, rtc_tr_t *tr) {
  if (tr->stopped) return;
  tr->track_fired = true;
  if (!rtc__pc_simrx_tracks(tr)) {
    fire_one_track(pc, tr, 0);
    return;
  }
  for (size_t i = 0; i < tr->n_rx; i++)
    if (!tr->rx[i].paused) fire_one_track(pc, tr, (int)i + 1);
}

/* W3C webrtc-pc "process remote tracks" for the transceivers one description touches:
 * [[FiredDirection]] (tr->remote_sends) follows the description; a transceiver that
 * starts receiving gets a track event again (the same track: a browser's ontrack fires
 * at every inactive -> sendrecv), one that stops has its track muted and taken out of
 * its streams. "Set the description" then mutes them all, then takes them out, then
 * fires the track events, each in m-section order. */
typedef struct {
  rtc_tr_t *add[RTC_PC_MAX_TRANSCEIVERS], *mute[RTC_PC_MAX_TRANSCEIVERS];
  rtc_tr_t *unstream[RTC_PC_MAX_TRANSCEIVERS]; /* still receiving, its stream no longer named */
  size_t n_add, n_mute, n_unstream;
} track_changes_t;

/* may_add: false for our answer, which only removes (W3C: its track events came with
 * the peer's offer). */
/* streams (take_remote_ids): STREAM_NEW, the peer's description names a stream it did not
 * before (W3C "set the associated remote streams" grew addList), which announces the track
 * again too; STREAM_GONE, it names none now (a=msid:- or no a=msid: removeList only), so
 * a track still received leaves its stream without a track event. */
enum { STREAM_SAME, STREAM_NEW, STREAM_GONE };
static void track_changes_note(track_changes_t *c, rtc_tr_t *tr, bool recvs, bool may_add,
                               int streams) {
  bool was = tr->remote_sends;
  tr->remote_sends = recvs;
  if (recvs && (!was || streams == STREAM_NEW) && may_add && c->n_add < RTC_PC_MAX_TRANSCEIVERS)
    c->add[c->n_add++] = tr;
  if (!recvs && was && c->n_mute < RTC_PC_MAX_TRANSCEIVERS) c->mute[c->n_mute++] = tr;
  if (recvs && was && streams == STREAM_GONE && c->n_unstream < RTC_PC_MAX_TRANSCEIVERS)
    c->unstream[c->n_unstream++] = tr;
}

/* Noted in transceiver order (our answer, the rollback), fired in m-section order. */
static void sort_by_mline(rtc_tr_t **trs, size_t n) {
  for (size_t i = 1; i < n; i++)
    for (size_t k = i; k > 0 && trs[k - 1]->mline > trs[k]->mline; k--) {
      rtc_tr_t *t = trs[k];
      trs[k] = trs[k - 1];
      trs[k - 1] = t;
    }
}

static void track_changes_fire(rtc_pc_t *pc, track_changes_t *c) {
  sort_by_mline(c->mute, c->n_mute);
  sort_by_mline(c->add, c->n_add);
  for (size_t i = 0; i < c->n_mute; i++)
    rtc__pc_tr_set_muted(pc, c->mute[i], true);
  /* Then the removals from the tracks' streams (W3C removeList; its mute may have come
   * already, from an RTCP BYE, so this is an event of its own), the muted ones' and
   * those whose stream the description no longer names, in m-section order. */
  rtc_tr_t *rm[2 * RTC_PC_MAX_TRANSCEIVERS];
  size_t n_rm = 0;
  for (size_t i = 0; i < c->n_mute; i++)
    rm[n_rm++] = c->mute[i];
  for (size_t i = 0; i < c->n_unstream; i++)
    rm[n_rm++] = c->unstream[i];
  sort_by_mline(rm, n_rm);
  for (size_t i = 0; i < n_rm; i++) {
    rtc_pc_event_node_t *n = rtc__pc_event_push(pc, RTC_PC_EVENT_TRACK_REMOVED);
    if (n) n->ev.tr = rtc_tr_ref(rm[i]);
  }
  /* Then every addition (W3C addList) before the first track event: a stream that
   * holds audio and video lists both in the ontrack of either, as in browsers. */
  for (size_t i = 0; i < c->n_add; i++) {
    if (c->add[i]->stopped) continue;
    rtc_pc_event_node_t *n = rtc__pc_event_push(pc, RTC_PC_EVENT_TRACK_STREAMS);
    if (n) n->ev.tr = rtc_tr_ref(c->add[i]);
  }
  for (size_t i = 0; i < c->n_add; i++)
    fire_track(pc, c->add[i]);
}

/* A description that signals no msid at all: no a=msid-semantic, no a=msid, no a=ssrc
 * msid (GStreamer's webrtcbin, older SIP gateways). Its tracks go into one stream with
 * the id "default", as libwebrtc does and WPT msid-parse expects ("Description with no
 * msid produces a track with a stream"); a description that has the semantic line but
 * no msid names no stream (WPT RTCTrackEvent-fire waits for removetrack then). */
static bool desc_without_msid(const rtc_sdp_t *d) {
  if (!d) return false;
  if (rtc_sdp_find_attr(d->attrs, d->n_attrs, "msid-semantic")) return false;
  for (size_t i = 0; i < d->n_media; i++) {
    const rtc_sdp_media_t *m = &d->media[i];
    if (rtc_sdp_find_attr(m->attrs, m->n_attrs, "msid")) return false;
    for (size_t k = 0; k < m->n_attrs; k++)
      if (!strcmp(m->attrs[k].name, "ssrc") && m->attrs[k].value &&
          strstr(m->attrs[k].value, " msid:"))
        return false;
  }
  return true;
}

/* The stream id of "a=ssrc:N msid:STREAM [TRACK]" (RFC 5576 with the msid attribute:
 * Plan B signaling, which libwebrtc still reads when there is no a=msid), into buf. */
static const char *ssrc_msid_stream(const rtc_sdp_rtp_t *v, char *buf, size_t cap) {
  for (size_t i = 0; i < v->n_ssrcs; i++) {
    if (!v->ssrcs[i].attr || strcmp(v->ssrcs[i].attr, "msid") || !v->ssrcs[i].value) continue;
    size_t n = strcspn(v->ssrcs[i].value, " ");
    if (n == 0 || n >= cap) return NULL;
    memcpy(buf, v->ssrcs[i].value, n);
    buf[n] = '\0';
    return buf;
  }
  return NULL;
}

/* The peer's msid and SSRCs from its m-section (RFC 8830, RFC 5576, RFC 4588 FID).
 * STREAM_NEW when the msid names a stream other than the one the track had, STREAM_GONE
 * when it had one and the m-section names none (W3C: msids is then empty; the WPT
 * RTCTrackEvent-fire drops the a=msid lines and waits for removetrack). */
static int take_remote_ids(rtc_tr_t *tr, const rtc_sdp_t *desc, const rtc_sdp_media_t *rm) {
  rtc_sdp_rtp_t *v = NULL;
  int streams = STREAM_SAME;
  if (rtc_sdp_rtp_parse(rm, &v, NULL, 0) < 0) return STREAM_SAME;
  char ssrc_sid[256];
  const char *sid = v->n_msids ? v->msids[0].stream_id : NULL;
  if (!v->n_msids) sid = ssrc_msid_stream(v, ssrc_sid, sizeof ssrc_sid);
  if (!sid && desc_without_msid(desc)) sid = "default";
  if (sid && !strcmp(sid, "-")) sid = NULL;
  if (sid && (!tr->remote_stream_id || strcmp(sid, tr->remote_stream_id)))
    streams = STREAM_NEW;
  else if (!sid && tr->remote_stream_id)
    streams = STREAM_GONE;
  if (streams != STREAM_SAME) {
    free(tr->remote_stream_id);
    tr->remote_stream_id = sid ? strdup(sid) : NULL;
  }
  if (v->n_msids) { /* the track id stays the one the track was announced with otherwise */
    free(tr->remote_track_id);
    tr->remote_track_id = v->msids[0].track_id ? strdup(v->msids[0].track_id) : NULL;
  }
  bool from_group = false;
  for (size_t i = 0; i < v->n_groups; i++) {
    if (strcmp(v->groups[i].semantics, "FID") || v->groups[i].n_ssrcs < 2) continue;
    tr->remote_ssrc = v->groups[i].ssrcs[0];
    tr->remote_rtx_ssrc = v->groups[i].ssrcs[1];
    from_group = true;
    break;
  }
  if (!from_group && v->n_ssrcs) tr->remote_ssrc = v->ssrcs[0].ssrc;
  rtc_sdp_rtp_free(v);
  return streams;
}

int rtc__pc_media_remote_offer(rtc_pc_t *pc, const rtc_sdp_t *remote) {
  /* Mids a transceiver took for an offer that was never applied are free again. */
  for (size_t i = 0; i < pc->media->n_trs; i++) {
    rtc_tr_t *tr = pc->media->trs[i];
    if (!tr->negotiated && tr->mid && rtc_sdp_find_mid(remote, tr->mid) >= 0) {
      free(tr->mid);
      tr->mid = NULL;
    }
  }
  int tm = rtc__pc_transport_mline(remote);
  track_changes_t changes = {0};
  for (size_t i = 0; i < remote->n_media; i++) {
    const rtc_sdp_media_t *rm = &remote->media[i];
    if (!is_rtp_mline(rm) || !rm->mid) continue;
    rtc_media_kind_t kind = strcmp(rm->type, "audio") == 0 ? RTC_MEDIA_AUDIO : RTC_MEDIA_VIDEO;
    rtc_tr_t *tr = rtc__pc_tr_by_mid(pc, rm->mid);
    bool usable = rtc__pc_mline_accepted(rm) && tm >= 0 &&
                  ((int)i == tm || (rtc__pc_in_bundle(remote, i) && rtc__pc_in_bundle(remote, tm)));
    if (!usable) {
      if (tr) rtc__pc_tr_stop_now(tr, true);
      continue;
    }
    if (tr && tr->kind != kind) continue; /* a mid reused for another kind: refused */
    /* W3C 4.4.1.6: a transceiver of ours with no mid yet takes the m-section... */
    for (size_t k = 0; !tr && k < pc->media->n_trs; k++) {
      rtc_tr_t *t = pc->media->trs[k];
      if (!t->mid && !t->stopped && !t->from_remote && t->kind == kind) tr = t;
    }
    /* ... else a new one, recvonly (we have nothing to send on it yet). */
    if (!tr) {
      tr = rtc__pc_tr_new(pc, kind, RTC_TR_RECVONLY);
      if (!tr) continue; /* limit: the answer rejects it */
      tr->from_remote = true;
    }
    if (!tr->mid) tr->mid = strdup(rm->mid);
    tr->mline = (int)i;
    int streams = take_remote_ids(tr, remote, rm);
    rtc_sdp_rtp_t *ov = NULL;
    if (rtc_sdp_rtp_parse(rm, &ov, NULL, 0) >= 0) {
      rtc__pc_simrx_from_offer(pc, tr, ov);
      rtc_sdp_rtp_free(ov);
    }
    /* W3C: the offer's direction reversed, whatever ours is (a sendonly transceiver of
     * ours gets its track event too, and its mute with our answer). */
    track_changes_note(&changes, tr, dir_sends(tr_dir(rm->direction)), true, streams);
  }
  track_changes_fire(pc, &changes);
  return 0;
}

void rtc__pc_media_rollback(rtc_pc_t *pc) {
  rtc_pc_media_t *md = pc->media;
  track_changes_t changes = {0};
  for (size_t i = 0; i < md->n_trs;) {
    rtc_tr_t *tr = md->trs[i];
    if (tr->negotiated) {
      /* The peer sends as the current descriptions say: [[FiredDirection]] goes back to
       * its stable value (Chromium fires ontrack when that receives again). */
      bool recvs = tr->current_direction >= 0 && dir_recvs(tr->current_direction);
      /* ... and its streams to the current description's (W3C "process remote tracks"
       * with it: a stream the rolled-back offer named is left, the old one rejoined
       * with a track event). */
      const char *cur = tr->remote_stream_id, *st = tr->stable_stream_id;
      int streams = st && (!cur || strcmp(st, cur)) ? STREAM_NEW
                    : !st && cur                    ? STREAM_GONE
                                                    : STREAM_SAME;
      if (streams != STREAM_SAME) {
        free(tr->remote_stream_id);
        tr->remote_stream_id = st ? strdup(st) : NULL;
      }
      track_changes_note(&changes, tr, recvs && !tr->stopped, true, streams);
      i++;
      continue;
    }
    tr->remote_sends = false;
    if (tr->track_fired) {
      /* W3C "process the removal of a remote track": the announced track ends. */
      rtc_pc_event_node_t *n = rtc__pc_event_push(pc, RTC_PC_EVENT_TRACK_ENDED);
      if (n) n->ev.tr = rtc_tr_ref(tr);
      tr->track_fired = false;
    }
    free(tr->mid);
    tr->mid = NULL;
    tr->mline = -1;
    if (!tr->from_remote) {
      i++;
      continue;
    }
    /* Made by the rolled-back remote offer: it goes (handles the app holds stay valid). */
    memmove(&md->trs[i], &md->trs[i + 1], (md->n_trs - i - 1) * sizeof(md->trs[0]));
    md->n_trs--;
    tr->stopped = true;
    tr->direction = RTC_TR_STOPPED;
    tr->current_direction = RTC_TR_STOPPED;
    tr->pc = NULL;
    rtc_tr_unref(tr);
  }
  track_changes_fire(pc, &changes);
}

static void setup_sender(rtc_pc_t *pc, rtc_tr_t *tr) {
  const rtc_sdp_codec_t *c = rtc_sdp_codec_primary(&tr->neg);
  if (!c || (tr->send && tr->send_pt == c->pt)) return;
  rtc__pc_tr_drop_sender(pc, tr, false); /* another codec: the SSRC goes on */
  rtc_rtp_codec_t rc = rtc__pc_rtp_codec(c->id);
  const rtc_sdp_codec_t *rtx = rtc_sdp_codec_rtx_for(&tr->neg, c->pt);
  rtc_rtp_send_config_t sc = {
      .ssrc = tr->ssrc,
      .pt = c->pt,
      .clock_rate = c->clock_rate,
      .first_seq = tr->seq_known ? tr->next_seq : (uint16_t)rtc_random_u32(),
      .has_rtx = rtx && (c->fb & RTC_SDP_FB_NACK),
      .rtx_ssrc = tr->rtx_ssrc,
      .rtx_pt = rtx ? rtx->pt : 0,
      .rtx_first_seq = tr->seq_known ? tr->next_rtx_seq : (uint16_t)rtc_random_u32(),
      .history_slots = tr->kind == RTC_MEDIA_VIDEO ? 512 : 1,
      .max_packet = RTC_PC_RTP_MTU,
  };
  /* Room for the RTP header with our three extensions (12 + 4 + 4 + 4 + 8). */
  if (rc && rtc_rtp_payloader_init(&tr->pl, rc, RTC_PC_RTP_MTU - 40) == 0)
    tr->send = rtc_rtp_send_create(&sc);
  tr->send_pt = c->pt;
  if (!tr->send)
    RTC_LOG(RTC_LOG_WARN, "pc", "pc %u: no sender for mid %s (%s)", pc->id, tr->mid ? tr->mid : "?",
            c->name);
}

void rtc__pc_media_negotiated(rtc_pc_t *pc, const rtc_sdp_t *local, const rtc_sdp_t *remote,
                              bool remote_is_answer) {
  const rtc_sdp_t *answer = remote_is_answer ? remote : local;
  track_changes_t changes = {0};
  for (size_t i = 0; i < pc->media->n_trs; i++) {
    rtc_tr_t *tr = pc->media->trs[i];
    if (!tr->mid || tr->stopped) continue;
    int idx = rtc_sdp_find_mid(local, tr->mid);
    if (idx < 0 || idx >= (int)remote->n_media) continue;
    const rtc_sdp_media_t *lm = &local->media[idx], *rm = &remote->media[idx];
    tr->mline = idx;
    if (!rtc__pc_mline_accepted(lm) || !rtc__pc_mline_accepted(rm) || !is_rtp_mline(rm)) {
      rtc__pc_tr_stop_now(tr, true); /* rejected: the receiver's track ends */
      continue;
    }
    rtc_sdp_rtp_t *v = NULL;
    if (rtc_sdp_rtp_parse(&answer->media[idx], &v, NULL, 0) < 0) continue;
    memset(&tr->neg, 0, sizeof(tr->neg));
    if (remote_is_answer)
      rtc_sdp_codec_apply_answer(rtc__pc_media_space(pc), &tr->offered, v, &tr->neg, NULL, 0);
    else /* our answer: what we answered to the offer, recomputed from it */
      answer_set(tr, &remote->media[idx], v, &tr->neg);
    tr->ext_mid = rtc_sdp_codec_ext_id(&tr->neg, RTC_SDP_EXT_MID);
    tr->ext_rid = rtc_sdp_codec_ext_id(&tr->neg, RTC_SDP_EXT_RID);
    tr->ext_rrid = rtc_sdp_codec_ext_id(&tr->neg, RTC_SDP_EXT_RRID);
    if (tr->ext_rid > 14 || tr->ext_rrid > 14) tr->ext_rid = tr->ext_rrid = 0;
    tr->ext_abs_send_time = rtc_sdp_codec_ext_id(&tr->neg, RTC_SDP_EXT_ABS_SEND_TIME);
    tr->ext_twcc = rtc_sdp_codec_ext_id(&tr->neg, RTC_SDP_EXT_TWCC);
    if (tr->ext_mid > 14 || tr->ext_abs_send_time > 14 || tr->ext_twcc > 14)
      tr->ext_mid = tr->ext_abs_send_time = tr->ext_twcc = 0; /* we write one-byte headers */
    int streams = take_remote_ids(tr, remote, rm);
    free(tr->stable_stream_id); /* this description is the current one now */
    tr->stable_stream_id = tr->remote_stream_id ? strdup(tr->remote_stream_id) : NULL;
    rtc_tr_direction_t cur =
        remote_is_answer ? dir_reverse(tr_dir(rm->direction)) : tr_dir(lm->direction);
    if (!rtc_sdp_codec_primary(&tr->neg)) cur = RTC_TR_INACTIVE;
    tr->current_direction = (int)cur;
    tr->negotiated = true;
    if (dir_sends(cur) && !tr->sending) tr->sending_since_us = pc->now_us;
    tr->sending = dir_sends(cur);
    tr->receiving = dir_recvs(cur);
    track_changes_note(&changes, tr, tr->receiving, remote_is_answer, streams);
    if (tr->sending && tr->n_layers)
      rtc__pc_sim_negotiated(pc, tr, v, !remote_is_answer);
    else if (tr->sending)
      setup_sender(pc, tr);
    else {
      rtc__pc_tr_drop_sender(pc, tr, true); /* BYE: as libwebrtc does when a sender stops */
    }
    rtc__pc_simrx_negotiated(pc, tr, v, !remote_is_answer);
    if (!tr->receiving) {
      rtc_rtp_recv_destroy(tr->recv);
      tr->recv = NULL;
    }
    rtc_sdp_rtp_free(v);
  }
  track_changes_fire(pc, &changes);
  /* Our stopped transceivers whose m-sections are now rejected are done. */
  for (size_t i = 0; i < pc->media->n_trs; i++)
    if (pc->media->trs[i]->stopped) pc->media->trs[i]->current_direction = RTC_TR_STOPPED;
}

/* negotiationneeded (W3C 4.7.3, "check if negotiation is needed", the media part): a
 * transceiver not in the current description, a stopped one still in it, or a
 * direction that differs from what the description says. */
bool rtc__pc_media_needs_negotiation(const rtc_pc_t *pc) {
  const rtc_sdp_t *cur = pc->current_local.sdp, *rem = pc->current_remote.sdp;
  for (size_t i = 0; i < pc->media->n_trs; i++) {
    const rtc_tr_t *tr = pc->media->trs[i];
    int idx = cur && tr->mid ? rtc_sdp_find_mid(cur, tr->mid) : -1;
    if (tr->stopped) {
      if (idx >= 0 && cur->media[idx].port != 0) return true;
      continue;
    }
    if (idx < 0 || !tr->negotiated) return true;
    rtc_tr_direction_t want = tr->direction;
    if (pc->current_local.type == RTC_SDP_ANSWER && rem && idx < (int)rem->n_media) {
      rtc_tr_direction_t offered = tr_dir(rem->media[idx].direction);
      want = dir_make(dir_sends(want) && dir_recvs(offered), dir_recvs(want) && dir_sends(offered));
    }
    if (cur->media[idx].port != 0 && sdp_dir(want) != cur->media[idx].direction) return true;
  }
  return false;
}
