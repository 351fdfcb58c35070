/* RTCRtpTransceiver objects: creation (addTransceiver, or setRemoteDescription), the
 * W3C attributes and stop(). Packets: rtc_pc_rtp.c; SDP: rtc_pc_msection.c. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/rtc_err.h"
#include "base/rtc_log.h"
#include "base/rtc_random.h"
#include "pc/rtc_pc_media_internal.h"

void rtc_tr_init_defaults(rtc_tr_init_t *init, rtc_media_kind_t kind) {
  memset(init, 0, sizeof(*init));
  init->kind = kind;
  init->direction = RTC_TR_SENDRECV;
}

static char *random_id(void) {
  char buf[37];
  rtc_random_ice_string(buf, 36);
  buf[36] = 0;
  return strdup(buf);
}

rtc_tr_t *rtc__pc_tr_new(rtc_pc_t *pc, rtc_media_kind_t kind, rtc_tr_direction_t dir) {
  rtc_pc_media_t *md = pc->media;
  if (md->n_trs >= RTC_PC_MAX_TRANSCEIVERS) return NULL;
  rtc_tr_t *tr = calloc(1, sizeof(*tr));
  if (!tr) return NULL;
  tr->refs = 1; /* the pc's */
  tr->pc = pc;
  tr->kind = kind;
  tr->mline = -1;
  tr->direction = dir;
  tr->current_direction = -1;
  tr->track_id = random_id();
  /* RFC 3550 8.1: random SSRCs; a collision with the peer's is repaired on sight. */
  do
    tr->ssrc = rtc_random_u32();
  while (!tr->ssrc);
  do
    tr->rtx_ssrc = rtc_random_u32();
  while (!tr->rtx_ssrc || tr->rtx_ssrc == tr->ssrc);
  if (!tr->track_id) {
    free(tr);
    return NULL;
  }
  md->trs[md->n_trs++] = tr;
  return tr;
}

rtc_rtp_codec_t rtc__pc_rtp_codec(rtc_sdp_codec_id_t id) {
  switch (id) {
  case RTC_SDP_CODEC_OPUS: return RTC_RTP_CODEC_OPUS;
  case RTC_SDP_CODEC_PCMU: return RTC_RTP_CODEC_PCMU;
  case RTC_SDP_CODEC_PCMA: return RTC_RTP_CODEC_PCMA;
  case RTC_SDP_CODEC_VP8: return RTC_RTP_CODEC_VP8;
  case RTC_SDP_CODEC_VP9: return RTC_RTP_CODEC_VP9;
  case RTC_SDP_CODEC_H264: return RTC_RTP_CODEC_H264;
  case RTC_SDP_CODEC_AV1: return RTC_RTP_CODEC_AV1;
  default: return (rtc_rtp_codec_t)0;
  }
}

/* Codec names ("VP8", "opus") -> W3C codec preferences from the capabilities (every
 * entry of that name, then RTX for video, telephone-event for audio: the companions a
 * browser offers with any codec, without which no NACK repair or DTMF is possible). */
static int prefs_from_names(const rtc_tr_init_t *init, rtc_sdp_codec_cap_t *out, size_t *n) {
  *n = 0;
  if (!init->codecs || !init->n_codecs) return 0;
  rtc_sdp_kind_t kind = init->kind == RTC_MEDIA_AUDIO ? RTC_SDP_AUDIO : RTC_SDP_VIDEO;
  rtc_sdp_codec_cap_t caps[32];
  size_t nc = rtc_sdp_codec_capabilities(kind, caps, 32);
  if (nc > 32) nc = 32;
  for (size_t k = 0; k < init->n_codecs; k++) {
    bool found = false;
    for (size_t i = 0; i < nc && init->codecs[k]; i++) {
      const char *slash = strchr(caps[i].mime_type, '/');
      if (!slash || strcasecmp(slash + 1, init->codecs[k]) != 0) continue;
      found = true;
      if (*n < RTC_PC_MAX_CODECS - 1) out[(*n)++] = caps[i];
    }
    if (!found) return RTC_ENOTSUP;
  }
  for (size_t i = 0; i < nc && *n < RTC_PC_MAX_CODECS - 1; i++)
    if (strcasecmp(caps[i].mime_type, "video/rtx") == 0 ||
        strcasecmp(caps[i].mime_type, "audio/telephone-event") == 0)
      out[(*n)++] = caps[i];
  return 0;
}

rtc_tr_t *rtc_pc_add_transceiver(rtc_pc_t *pc, const rtc_tr_init_t *init) {
  if (pc->closed) {
    rtc__pc_fail(pc, RTC_ESTATE, "addTransceiver: the connection is closed");
    return NULL;
  }
  if (init->kind != RTC_MEDIA_AUDIO && init->kind != RTC_MEDIA_VIDEO) {
    rtc__pc_fail(pc, RTC_EINVAL, "addTransceiver: kind must be audio or video");
    return NULL;
  }
  if (init->direction == RTC_TR_STOPPED || init->direction > RTC_TR_STOPPED) {
    rtc__pc_fail(pc, RTC_EINVAL, "addTransceiver: invalid direction");
    return NULL;
  }
  rtc_sdp_codec_cap_t prefs[RTC_PC_MAX_CODECS];
  size_t n = 0;
  if (prefs_from_names(init, prefs, &n) < 0) {
    rtc__pc_fail(pc, RTC_ENOTSUP, "addTransceiver: unsupported codec for %s",
                 init->kind == RTC_MEDIA_AUDIO ? "audio" : "video");
    return NULL;
  }
  if (init->n_rids && (init->kind != RTC_MEDIA_VIDEO || init->n_rids < 2 ||
                       init->n_rids > RTC_TR_MAX_LAYERS || !init->rids)) {
    rtc__pc_fail(pc, RTC_EINVAL, "addTransceiver: simulcast takes 2 to %d rids, video only",
                 RTC_TR_MAX_LAYERS);
    return NULL;
  }
  for (size_t i = 0; i < init->n_rids; i++) {
    bool dup = false;
    for (size_t k = 0; k < i && rtc_tr_rid_valid(init->rids[i]); k++)
      dup |= strcmp(init->rids[k], init->rids[i]) == 0;
    if (!rtc_tr_rid_valid(init->rids[i]) || dup) {
      rtc__pc_fail(pc, RTC_EINVAL, "addTransceiver: rid %d is %s", (int)i + 1,
                   dup ? "a duplicate" : "not 1-16 letters, digits, '-' or '_' (RFC 8851)");
      return NULL;
    }
  }
  rtc_tr_t *tr = rtc__pc_tr_new(pc, init->kind, init->direction);
  if (!tr) {
    rtc__pc_fail(pc, RTC_ELIMIT, "addTransceiver: too many transceivers or out of memory");
    return NULL;
  }
  rtc__pc_sim_init(tr, init->rids, init->n_rids);
  memcpy(tr->prefs, prefs, n * sizeof(prefs[0]));
  tr->n_prefs = n;
  if (init->stream_id && *init->stream_id) tr->stream_id = strdup(init->stream_id);
  if (init->track_id && *init->track_id) {
    free(tr->track_id);
    tr->track_id = strdup(init->track_id);
  }
  rtc__pc_update_negotiation_needed(pc);
  return rtc_tr_ref(tr);
}

size_t rtc_pc_transceivers(const rtc_pc_t *pc, rtc_tr_t **out, size_t max) {
  size_t n = pc->media->n_trs < max ? pc->media->n_trs : max;
  memcpy(out, pc->media->trs, n * sizeof(out[0]));
  return n;
}

rtc_tr_t *rtc__pc_tr_by_mid(const rtc_pc_t *pc, const char *mid) {
  for (size_t i = 0; mid && i < pc->media->n_trs; i++)
    if (pc->media->trs[i]->mid && strcmp(pc->media->trs[i]->mid, mid) == 0)
      return pc->media->trs[i];
  return NULL;
}

void rtc__pc_tr_set_muted(rtc_pc_t *pc, rtc_tr_t *tr, bool muted) {
  if (!pc || tr->unmuted != muted) return; /* no change: no event */
  if (!muted && (!tr->track_fired || !tr->remote_sends)) return;
  tr->unmuted = !muted;
  rtc_pc_event_node_t *n = rtc__pc_event_push(pc, RTC_PC_EVENT_TRACK_MUTE);
  if (!n) return;
  n->ev.tr = rtc_tr_ref(tr);
  n->ev.state = muted;
}

bool rtc__pc_send_bye(rtc_pc_t *pc, uint32_t ssrc) {
  if (!pc || !rtc_transport_srtp_ready(pc->transport)) return false;
  /* RFC 3550 6.1: a compound packet starts with a report (an empty RR will do), holds
   * an SDES CNAME (a MUST, as libwebrtc sends it) and BYE comes last. The media SSRC
   * only: receivers key tracks by it. */
  uint8_t buf[96];
  rtc_rtcp_rr_t rr = {.ssrc = ssrc, .rb_count = 0};
  int n = rtc_rtcp_write_rr(buf, sizeof(buf), &rr);
  if (n <= 0) return false;
  if (pc->media) {
    int c = rtc_rtcp_write_sdes_cname(buf + n, sizeof(buf) - (size_t)n, ssrc, pc->media->cname);
    if (c <= 0) return false;
    n += c;
  }
  int m = rtc_rtcp_write_bye(buf + n, sizeof(buf) - (size_t)n, ssrc, NULL);
  if (m <= 0) return false;
  return rtc_transport_send_rtcp(pc->transport, pc->now_us, buf, (size_t)(n + m)) == 0;
}

void rtc__pc_tr_drop_sender(rtc_pc_t *pc, rtc_tr_t *tr, bool bye) {
  rtc__pc_sim_drop(pc, tr, bye);
  if (!tr->send) return;
  rtc_rtp_send_stats_t st;
  rtc_rtp_send_get_stats(tr->send, &st);
  /* RFC 3550 6.3.7: no BYE from a source that never sent, in this sender or an earlier
   * one for the SSRC (another codec) since our last BYE. (An RR we sent with the SSRC
   * would allow one, but nothing waits for it: the peer's track for us is muted.) */
  bool sent = tr->sent_since_bye || st.packets > 0;
  if (bye && sent && rtc__pc_send_bye(pc, tr->ssrc)) sent = false;
  tr->sent_since_bye = sent;
  tr->next_seq = st.next_seq;
  tr->next_rtx_seq = st.next_rtx_seq;
  tr->seq_known = true;
  rtc_rtp_send_destroy(tr->send);
  tr->send = NULL;
}

/* bye: W3C "stop sending" (an RTCP BYE per stream); not when the pc goes with it. */
static void tr_release_rtp(rtc_tr_t *tr, bool bye) {
  rtc__pc_tr_drop_sender(tr->pc, tr, bye);
  rtc_rtp_recv_destroy(tr->recv);
  tr->recv = NULL;
  rtc__pc_simrx_drop(tr);
  tr->sending = tr->receiving = false;
}

/* Stops at once (the m-section was rejected or the pc goes): the receiver's track
 * ends (an event when it had been announced). */
void rtc__pc_tr_stop_now(rtc_tr_t *tr, bool fire) {
  if (tr->stopped && tr->current_direction == RTC_TR_STOPPED) return;
  tr->stopped = true;
  tr->direction = RTC_TR_STOPPED;
  tr->current_direction = RTC_TR_STOPPED;
  tr_release_rtp(tr, true);
  if (fire && tr->pc && tr->track_fired) {
    rtc_pc_event_node_t *n = rtc__pc_event_push(tr->pc, RTC_PC_EVENT_TRACK_ENDED);
    if (n) n->ev.tr = rtc_tr_ref(tr);
  }
  tr->track_fired = tr->remote_sends = false;
  tr->unmuted = false; /* an ended track fires no mute */
}

rtc_sdp_codec_space_t *rtc__pc_media_space(rtc_pc_t *pc) {
  if (!pc->media->space) pc->media->space = calloc(1, sizeof(*pc->media->space));
  return pc->media->space;
}

void rtc__pc_media_free(rtc_pc_t *pc) {
  if (!pc->media) return;
  for (size_t i = 0; i < pc->media->n_trs; i++) {
    rtc_tr_t *tr = pc->media->trs[i];
    tr_release_rtp(tr, false);
    tr->stopped = true;
    tr->direction = RTC_TR_STOPPED;
    tr->pc = NULL;
    rtc_tr_unref(tr);
  }
  rtc_rtp_twcc_destroy(pc->media->twcc);
  free(pc->media->space);
  free(pc->media);
  pc->media = NULL;
}

rtc_tr_t *rtc_tr_ref(rtc_tr_t *tr) {
  tr->refs++;
  return tr;
}

void rtc_tr_unref(rtc_tr_t *tr) {
  if (!tr || --tr->refs > 0) return;
  tr_release_rtp(tr, false);
  free(tr->mid);
  free(tr->stream_id);
  free(tr->track_id);
  free(tr->remote_stream_id);
  free(tr->stable_stream_id);
  free(tr->remote_track_id);
  free(tr);
}

rtc_pc_t *rtc_tr_pc(const rtc_tr_t *tr) { return tr->pc; }
rtc_media_kind_t rtc_tr_kind(const rtc_tr_t *tr) { return tr->kind; }
const char *rtc_tr_mid(const rtc_tr_t *tr) { return tr->mid; }
rtc_tr_direction_t rtc_tr_direction(const rtc_tr_t *tr) { return tr->direction; }
int rtc_tr_current_direction(const rtc_tr_t *tr) { return tr->current_direction; }
bool rtc_tr_stopped(const rtc_tr_t *tr) { return tr->stopped; }
const char *rtc_tr_track_id(const rtc_tr_t *tr) { return tr->track_id; }
const char *rtc_tr_stream_id(const rtc_tr_t *tr) { return tr->stream_id; }
const char *rtc_tr_remote_track_id(const rtc_tr_t *tr) { return tr->remote_track_id; }
const char *rtc_tr_remote_stream_id(const rtc_tr_t *tr) { return tr->remote_stream_id; }
const char *rtc_tr_error(const rtc_tr_t *tr) { return tr->error; }

int rtc__tr_fail(rtc_tr_t *tr, int err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(tr->error, sizeof(tr->error), fmt, ap);
  va_end(ap);
  return err;
}
void rtc_tr_set_userdata(rtc_tr_t *tr, void *ud) { tr->userdata = ud; }
void *rtc_tr_get_userdata(const rtc_tr_t *tr) { return tr->userdata; }
void rtc_tr_set_frame_events(rtc_tr_t *tr, bool on) { tr->frame_events = on; }
void rtc_tr_set_rtp_events(rtc_tr_t *tr, bool on) { tr->rtp_events = on; }

int rtc_tr_set_codec_preferences(rtc_tr_t *tr, const rtc_sdp_codec_cap_t *codecs, size_t n) {
  rtc_sdp_kind_t kind = tr->kind == RTC_MEDIA_AUDIO ? RTC_SDP_AUDIO : RTC_SDP_VIDEO;
  tr->error[0] = '\0';
  if (n && !codecs) return rtc__tr_fail(tr, RTC_EINVAL, "setCodecPreferences: %zu codecs, no list", n);
  int r = rtc_sdp_codec_check_prefs(kind, codecs, n, tr->error, sizeof(tr->error));
  if (r < 0) return r;
  /* Every entry matches a capability, so the list without duplicates is no longer
   * than the capabilities. */
  rtc_sdp_codec_cap_t uniq[RTC_PC_MAX_CODECS];
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    bool dup = false;
    for (size_t k = 0; k < m && !dup; k++)
      dup = rtc_sdp_codec_cap_match(&uniq[k], &codecs[i]);
    if (dup) continue;
    if (m == RTC_PC_MAX_CODECS)
      return rtc__tr_fail(tr, RTC_ELIMIT, "setCodecPreferences: more than %d distinct codecs",
                          RTC_PC_MAX_CODECS);
    uniq[m++] = codecs[i];
  }
  memcpy(tr->prefs, uniq, m * sizeof(uniq[0]));
  tr->n_prefs = m;
  return 0;
}

int rtc_tr_set_direction(rtc_tr_t *tr, rtc_tr_direction_t dir) {
  if (tr->stopped || !tr->pc)
    return rtc__tr_fail(tr, RTC_ESTATE, "setDirection: the transceiver is %s",
                        tr->stopped ? "stopped" : "without a connection");
  if (dir >= RTC_TR_STOPPED)
    return rtc__tr_fail(tr, RTC_EINVAL, "setDirection: %d is no direction (stop() stops)", (int)dir);
  if (tr->direction == dir) return 0;
  tr->direction = dir;
  rtc__pc_update_negotiation_needed(tr->pc);
  return 0;
}

int rtc_tr_stop(rtc_tr_t *tr) {
  if (tr->stopped) return 0;
  rtc_pc_t *pc = tr->pc;
  rtc__pc_tr_stop_now(tr, true);
  /* Negotiated m-sections are rejected by the next offer; the one never negotiated
   * simply disappears from it. */
  if (pc) rtc__pc_update_negotiation_needed(pc);
  return 0;
}

bool rtc_tr_codec(const rtc_tr_t *tr, rtc_tr_codec_t *out) {
  const rtc_sdp_codec_t *c = tr->negotiated ? rtc_sdp_codec_primary(&tr->neg) : NULL;
  if (!c) return false;
  out->name = c->name;
  out->clock_rate = c->clock_rate;
  out->channels = c->channels;
  out->pt = c->pt;
  out->fmtp = c->fmtp[0] ? c->fmtp : NULL;
  return true;
}

void rtc_tr_get_stats(const rtc_tr_t *tr, rtc_tr_stats_t *out) {
  memset(out, 0, sizeof(*out));
  if (tr->send) {
    rtc_rtp_send_stats_t s;
    rtc_rtp_send_get_stats(tr->send, &s);
    out->ssrc = tr->ssrc;
    out->packets_sent = s.packets;
    out->bytes_sent = s.bytes;
    out->retransmitted_packets_sent = s.rtx_packets;
    out->remote_packets_lost = s.cumulative_lost > 0 ? (uint64_t)s.cumulative_lost : 0;
    out->round_trip_time_s = s.rtt_us / 1e6;
  }
  out->frames_sent = tr->frames_sent;
  out->nack_count_received = tr->nacks_received;
  out->pli_count_received = tr->plis_received;
  out->fir_count_received = tr->firs_received;
  out->remote_ssrc = tr->remote_ssrc;
  out->pli_count_sent = tr->plis_sent;
  out->frame_width = tr->rx_width;
  out->frame_height = tr->rx_height;
  if (tr->recv) {
    rtc_rtp_recv_stats_t r;
    rtc_rtp_recv_get_stats(tr->recv, &r);
    out->packets_received = r.packets;
    out->bytes_received = r.bytes;
    out->frames_received = r.frames;
    out->frames_dropped = r.frames_dropped;
    out->packets_lost = r.cumulative_lost;
    out->nack_count_sent = r.nacks_sent;
    out->jitter_s = r.jitter_s;
  }
}
