/* Answers (JSEP 5.3.1, RFC 3264 6.1) and applying a remote answer to our
 * offer: matching a peer's codecs and extensions against the table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/rtc_err.h"
#include "sdp/rtc_sdp_codec.h"
#include "sdp/rtc_sdp_codec_internal.h"

static int no_common(char *err, size_t errlen, rtc_sdp_kind_t kind) {
  if (err && errlen)
    snprintf(err, errlen, "no %s codec in common", kind == RTC_SDP_AUDIO ? "audio" : "video");
  return RTC_ENOTFOUND;
}

static bool is_rtx(const rtc_sdp_rtp_codec_t *rc) { return strcasecmp(rc->name, "rtx") == 0; }

/* apt of an RTX codec of a view, or -1. */
static int apt_of(const rtc_sdp_rtp_codec_t *rc) {
  const char *s = rtc_sdp_rtp_codec_param(rc, "apt");
  char *end;
  if (!s || !*s) return -1;
  long v = strtol(s, &end, 10);
  return *end || v < 0 || v > 127 ? -1 : (int)v;
}

static void copy_fmtp(char *dst, size_t n, const char *fmtp) {
  snprintf(dst, n, "%s", fmtp ? fmtp : "");
}

/* A codec of a set from a remote codec rc mapped to entry e, as the answerer. */
static void answer_codec(rtc_sdp_codec_t *c, const rtc__sdp_codec_entry_t *e,
                         const rtc_sdp_rtp_codec_t *rc) {
  rtc__sdp_codec_from_entry(c, e);
  c->pt = rc->pt;
  c->fb = e->fb & rtc__sdp_codec_fb_bits(rc);
  copy_fmtp(c->remote_fmtp, sizeof(c->remote_fmtp), rc->fmtp);
  if (e->id == RTC_SDP_CODEC_H264) {
    uint32_t offered = rtc__sdp_h264_plid_of(rc);
    const char *asym = rtc_sdp_rtp_codec_param(rc, "level-asymmetry-allowed");
    c->h264_remote_profile_level_id = offered;
    c->h264_profile_level_id =
        rtc__sdp_h264_answer_plid(offered, asym && strcmp(asym, "1") == 0, e->plid);
    snprintf(c->fmtp, sizeof(c->fmtp),
             "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=%06x",
             c->h264_profile_level_id);
  }
}

/* Per m-line extension mapping: each offered extension we know, with the
 * offerer's id, its direction mirrored (RFC 8285 7). Ids above 14 need the
 * two-byte header: we leave those out. */
static void match_exts(rtc_sdp_codec_space_t *space, rtc_sdp_kind_t kind, const rtc_sdp_rtp_t *v,
                       bool answering, const rtc_sdp_codec_set_t *offered,
                       rtc_sdp_codec_set_t *out) {
  for (size_t i = 0; i < v->n_extmaps && out->n_exts < RTC_SDP_EXT_MAX; i++) {
    const rtc_sdp_rtp_extmap_t *x = &v->extmaps[i];
    const rtc__sdp_ext_entry_t *e = rtc__sdp_ext_by_uri(kind, x->uri);
    if (!e || x->id > 14 || rtc_sdp_codec_ext_id(out, e->ext)) continue;
    if (offered && !rtc_sdp_codec_ext_id(offered, e->ext)) continue;
    rtc_sdp_ext_t *o = &out->exts[out->n_exts++];
    o->ext = e->ext;
    o->id = (uint8_t)x->id;
    o->uri = e->uri;
    o->direction = x->direction;
    if (answering && x->direction == RTC_SDP_DIR_SENDONLY) o->direction = RTC_SDP_DIR_RECVONLY;
    if (answering && x->direction == RTC_SDP_DIR_RECVONLY) o->direction = RTC_SDP_DIR_SENDONLY;
    rtc__sdp_space_note_ext(space, o);
  }
}

/* Appends the RTX codecs of v that repair pt (as an answerer: our values, the
 * remote PTs). */
static void add_rtx_for(const rtc_sdp_rtp_t *v, uint8_t pt, rtc_sdp_codec_set_t *out) {
  for (size_t i = 0; i < v->n_codecs && out->n_codecs < RTC_SDP_CODEC_MAX; i++) {
    const rtc_sdp_rtp_codec_t *rc = &v->codecs[i];
    if (!is_rtx(rc) || apt_of(rc) != pt) continue;
    rtc_sdp_codec_t *c = &out->codecs[out->n_codecs++];
    rtc__sdp_codec_rtx(c, rc->pt, pt, rc->clock_rate ? rc->clock_rate : 90000);
    copy_fmtp(c->remote_fmtp, sizeof(c->remote_fmtp), rc->fmtp);
  }
}

int rtc_sdp_codec_answer(rtc_sdp_codec_space_t *space, rtc_sdp_kind_t kind,
                         const rtc_sdp_rtp_t *offer, const rtc_sdp_codec_cap_t *prefs,
                         size_t n_prefs, rtc_sdp_codec_set_t *out, char *err, size_t errlen) {
  if (err && errlen) err[0] = '\0';
  if (!offer || !out || (kind != RTC_SDP_AUDIO && kind != RTC_SDP_VIDEO) || (n_prefs && !prefs))
    return RTC_EINVAL;
  memset(out, 0, sizeof(*out));
  out->kind = kind;
  bool rtx = rtc__sdp_codec_prefs_rtx(kind, prefs, n_prefs);
  /* The offered codecs we take, with the rank of their preference. */
  struct {
    const rtc_sdp_rtp_codec_t *rc;
    const rtc__sdp_codec_entry_t *e;
    int rank;
  } kept[RTC_SDP_RTP_MAX_CODECS];
  size_t n = 0;
  for (size_t i = 0; i < offer->n_codecs; i++) {
    const rtc_sdp_rtp_codec_t *rc = &offer->codecs[i];
    const rtc__sdp_codec_entry_t *e = is_rtx(rc) ? NULL : rtc__sdp_codec_match(kind, rc);
    if (!e) continue;
    int rank = n_prefs ? rtc__sdp_codec_pref_rank(e, prefs, n_prefs) : 0;
    if (rank < 0) continue;
    kept[n].rc = rc;
    kept[n].e = e;
    kept[n].rank = rank;
    n++;
  }
  /* Stable order by preference rank; without preferences all ranks are 0 and
   * the offerer's order stands (RFC 3264 6.1 / JSEP 5.3.1). */
  for (size_t i = 1; i < n; i++)
    for (size_t j = i; j > 0 && kept[j - 1].rank > kept[j].rank; j--) {
      __typeof__(kept[0]) t = kept[j];
      kept[j] = kept[j - 1];
      kept[j - 1] = t;
    }
  for (size_t i = 0; i < n && out->n_codecs < RTC_SDP_CODEC_MAX; i++) {
    rtc_sdp_codec_t *c = &out->codecs[out->n_codecs++];
    answer_codec(c, kept[i].e, kept[i].rc);
    /* RFC 4588 8.6: an RTX stays only with the codec it repairs. */
    if (rtx && kept[i].e->rtx_pt) add_rtx_for(offer, c->pt, out);
  }
  if (!out->n_codecs) return no_common(err, errlen, kind);
  for (size_t i = 0; i < out->n_codecs; i++)
    rtc__sdp_space_note_codec(space, &out->codecs[i]);
  match_exts(space, kind, offer, true, NULL, out);
  out->rtcp_rsize = offer->rtcp_rsize;
  return 0;
}

/* The codec of our offer that a remote codec rc stands for: the one under the
 * same PT when it is the same codec (the JSEP rule), else the first of the
 * same codec (an answerer that renumbered). */
static const rtc_sdp_codec_t *offered_for(const rtc_sdp_codec_set_t *offered,
                                          const rtc_sdp_rtp_codec_t *rc) {
  const rtc__sdp_codec_entry_t *e = rtc__sdp_codec_match(offered->kind, rc);
  const rtc_sdp_codec_t *by_codec = NULL;
  if (!e) return NULL;
  for (size_t i = 0; i < offered->n_codecs; i++) {
    const rtc_sdp_codec_t *o = &offered->codecs[i];
    if (o->id != e->id || o->clock_rate != e->clock_rate) continue;
    if (e->id == RTC_SDP_CODEC_H264 &&
        !rtc_sdp_h264_same_profile(o->h264_profile_level_id, e->plid))
      continue;
    if (o->pt == rc->pt) return o;
    if (!by_codec) by_codec = o;
  }
  return by_codec;
}

int rtc_sdp_codec_apply_answer(rtc_sdp_codec_space_t *space, const rtc_sdp_codec_set_t *offered,
                               const rtc_sdp_rtp_t *answer, rtc_sdp_codec_set_t *out, char *err,
                               size_t errlen) {
  if (err && errlen) err[0] = '\0';
  if (!offered || !answer || !out || out == offered) return RTC_EINVAL;
  memset(out, 0, sizeof(*out));
  out->kind = offered->kind;
  for (size_t i = 0; i < answer->n_codecs && out->n_codecs < RTC_SDP_CODEC_MAX; i++) {
    const rtc_sdp_rtp_codec_t *rc = &answer->codecs[i];
    if (is_rtx(rc)) continue;
    const rtc_sdp_codec_t *o = offered_for(offered, rc);
    if (!o) continue;
    uint8_t our_pt = o->pt;
    rtc_sdp_codec_t *c = &out->codecs[out->n_codecs++];
    *c = *o;
    c->pt = rc->pt;
    c->fb = o->fb & rtc__sdp_codec_fb_bits(rc);
    copy_fmtp(c->remote_fmtp, sizeof(c->remote_fmtp), rc->fmtp);
    if (c->id == RTC_SDP_CODEC_H264) c->h264_remote_profile_level_id = rtc__sdp_h264_plid_of(rc);
    /* The answer's RTX for it, if we offered RTX for that codec. */
    if (!rtc_sdp_codec_rtx_for(offered, our_pt)) continue;
    for (size_t k = 0; k < answer->n_codecs && out->n_codecs < RTC_SDP_CODEC_MAX; k++) {
      const rtc_sdp_rtp_codec_t *rx = &answer->codecs[k];
      if (!is_rtx(rx) || apt_of(rx) != rc->pt) continue;
      rtc_sdp_codec_t *x = &out->codecs[out->n_codecs++];
      rtc__sdp_codec_rtx(x, rx->pt, rc->pt, rx->clock_rate ? rx->clock_rate : 90000);
      copy_fmtp(x->remote_fmtp, sizeof(x->remote_fmtp), rx->fmtp);
    }
  }
  if (!out->n_codecs) return no_common(err, errlen, offered->kind);
  for (size_t i = 0; i < out->n_codecs; i++)
    rtc__sdp_space_note_codec(space, &out->codecs[i]);
  match_exts(space, offered->kind, answer, false, offered, out);
  out->rtcp_rsize = offered->rtcp_rsize && answer->rtcp_rsize;
  return 0;
}
