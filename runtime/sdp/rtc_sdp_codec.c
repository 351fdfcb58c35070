/* What luartc supports (one table), W3C capabilities and preferences, the
 * session's PT / extension-id space, offers (JSEP 5.2.1) and writing a set
 * into an m-section. Answers live in rtc_sdp_codec_answer.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/rtc_err.h"
#include "sdp/rtc_sdp_codec.h"
#include "sdp/rtc_sdp_codec_internal.h"

#define VIDEO_FB                                                                                   \
  (RTC_SDP_FB_GOOG_REMB | RTC_SDP_FB_TRANSPORT_CC | RTC_SDP_FB_CCM_FIR | RTC_SDP_FB_NACK |         \
   RTC_SDP_FB_NACK_PLI)

/* Our offer order and default PTs (those of libwebrtc where it has one, so
 * that answers from browsers keep the numbers we know). Opus: RFC 7587 7 says
 * "opus/48000/2" always. H.264: packetization-mode 1 only (FU-A; mode 0 would
 * cap NAL units at the MTU). */
const rtc__sdp_codec_entry_t rtc__sdp_codecs[] = {
    {RTC_SDP_AUDIO, RTC_SDP_CODEC_OPUS, "opus", 48000, 2, "minptime=10;useinbandfec=1",
     RTC_SDP_FB_TRANSPORT_CC, 111, 0, 0},
    {RTC_SDP_AUDIO, RTC_SDP_CODEC_PCMU, "PCMU", 8000, 0, NULL, 0, 0, 0, 0},
    {RTC_SDP_AUDIO, RTC_SDP_CODEC_PCMA, "PCMA", 8000, 0, NULL, 0, 8, 0, 0},
    {RTC_SDP_AUDIO, RTC_SDP_CODEC_TELEPHONE_EVENT, "telephone-event", 48000, 0, NULL, 0, 110, 0, 0},
    {RTC_SDP_AUDIO, RTC_SDP_CODEC_TELEPHONE_EVENT, "telephone-event", 8000, 0, NULL, 0, 126, 0, 0},
    {RTC_SDP_VIDEO, RTC_SDP_CODEC_VP8, "VP8", 90000, 0, NULL, VIDEO_FB, 96, 97, 0},
    {RTC_SDP_VIDEO, RTC_SDP_CODEC_VP9, "VP9", 90000, 0, "profile-id=0", VIDEO_FB, 98, 99, 0},
    {RTC_SDP_VIDEO, RTC_SDP_CODEC_H264, "H264", 90000, 0,
     "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f", VIDEO_FB, 108, 109,
     0x42e01f},
    {RTC_SDP_VIDEO, RTC_SDP_CODEC_H264, "H264", 90000, 0,
     "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f", VIDEO_FB, 102, 103,
     0x42001f},
    {RTC_SDP_VIDEO, RTC_SDP_CODEC_AV1, "AV1", 90000, 0, NULL, VIDEO_FB, 45, 46, 0},
};
const size_t rtc__sdp_n_codecs = sizeof(rtc__sdp_codecs) / sizeof(rtc__sdp_codecs[0]);

#define BOTH (1u << RTC_SDP_AUDIO | 1u << RTC_SDP_VIDEO)
/* Default ids: libwebrtc's, so that a browser's offer and ours agree. */
const rtc__sdp_ext_entry_t rtc__sdp_exts[] = {
    {RTC_SDP_EXT_AUDIO_LEVEL, "urn:ietf:params:rtp-hdrext:ssrc-audio-level", 1,
     1u << RTC_SDP_AUDIO},
    {RTC_SDP_EXT_ABS_SEND_TIME, "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time", 2,
     BOTH},
    {RTC_SDP_EXT_TWCC, "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
     3, BOTH},
    {RTC_SDP_EXT_MID, "urn:ietf:params:rtp-hdrext:sdes:mid", 4, BOTH},
    {RTC_SDP_EXT_RID, "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id", 10, 1u << RTC_SDP_VIDEO},
    /* RFC 8852 3.2: what an RTX packet of a simulcast layer carries instead of the rid. */
    {RTC_SDP_EXT_RRID, "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id", 11,
     1u << RTC_SDP_VIDEO},
};
const size_t rtc__sdp_n_exts = sizeof(rtc__sdp_exts) / sizeof(rtc__sdp_exts[0]);

static bool kind_ok(rtc_sdp_kind_t k) { return k == RTC_SDP_AUDIO || k == RTC_SDP_VIDEO; }

/* ---- matching a remote codec to the table ---- */

static bool channels_ok(const rtc__sdp_codec_entry_t *e, uint8_t ch) {
  if (e->kind == RTC_SDP_VIDEO) return true;
  /* GStreamer writes "OPUS/48000" without the 2 RFC 7587 requires; a mono
   * codec may say "/1" or nothing. */
  if (e->id == RTC_SDP_CODEC_OPUS) return ch == 0 || ch == 2;
  return ch == 0 || ch == 1;
}

const rtc__sdp_codec_entry_t *rtc__sdp_codec_match(rtc_sdp_kind_t kind,
                                                   const rtc_sdp_rtp_codec_t *rc) {
  for (size_t i = 0; i < rtc__sdp_n_codecs; i++) {
    const rtc__sdp_codec_entry_t *e = &rtc__sdp_codecs[i];
    if (e->kind != kind || strcasecmp(e->name, rc->name) != 0 || e->clock_rate != rc->clock_rate ||
        !channels_ok(e, rc->channels))
      continue;
    const char *p;
    switch (e->id) {
    case RTC_SDP_CODEC_VP9:
      /* draft-ietf-payload-vp9 6: profile-id defaults to 0, the only one we take. */
      p = rtc_sdp_rtp_codec_param(rc, "profile-id");
      if (p && strcmp(p, "0") != 0) continue;
      break;
    case RTC_SDP_CODEC_AV1:
      /* AV1 RTP spec 7.2.1: profile defaults to 0 (Main). */
      p = rtc_sdp_rtp_codec_param(rc, "profile");
      if (p && strcmp(p, "0") != 0) continue;
      break;
    case RTC_SDP_CODEC_H264:
      /* RFC 6184 8.2.2: same profile and same packetization-mode. */
      if (rtc__sdp_h264_mode_of(rc) != 1) continue;
      if (!rtc_sdp_h264_same_profile(rtc__sdp_h264_plid_of(rc), e->plid)) continue;
      break;
    default: break;
    }
    return e;
  }
  return NULL;
}

uint32_t rtc__sdp_codec_fb_bits(const rtc_sdp_rtp_codec_t *rc) {
  uint32_t b = 0;
  for (size_t i = 0; i < rc->n_fb; i++) {
    const char *t = rc->fb[i].type, *s = rc->fb[i].subtype;
    if (strcasecmp(t, "nack") == 0 && !s) b |= RTC_SDP_FB_NACK;
    if (strcasecmp(t, "nack") == 0 && s && strcasecmp(s, "pli") == 0) b |= RTC_SDP_FB_NACK_PLI;
    if (strcasecmp(t, "ccm") == 0 && s && strcasecmp(s, "fir") == 0) b |= RTC_SDP_FB_CCM_FIR;
    if (strcasecmp(t, "goog-remb") == 0 && !s) b |= RTC_SDP_FB_GOOG_REMB;
    if (strcasecmp(t, "transport-cc") == 0 && !s) b |= RTC_SDP_FB_TRANSPORT_CC;
  }
  return b;
}

const rtc__sdp_ext_entry_t *rtc__sdp_ext_by_uri(rtc_sdp_kind_t kind, const char *uri) {
  for (size_t i = 0; i < rtc__sdp_n_exts; i++)
    if ((rtc__sdp_exts[i].kinds & (1u << kind)) && strcmp(rtc__sdp_exts[i].uri, uri) == 0)
      return &rtc__sdp_exts[i];
  return NULL;
}

void rtc__sdp_codec_from_entry(rtc_sdp_codec_t *c, const rtc__sdp_codec_entry_t *e) {
  memset(c, 0, sizeof(*c));
  c->id = e->id;
  c->pt = e->pt;
  snprintf(c->name, sizeof(c->name), "%s", e->name);
  c->clock_rate = e->clock_rate;
  c->channels = e->channels;
  c->fb = e->fb;
  if (e->fmtp) snprintf(c->fmtp, sizeof(c->fmtp), "%s", e->fmtp);
  if (e->id == RTC_SDP_CODEC_H264) {
    c->h264_profile_level_id = e->plid;
    c->h264_packetization_mode = 1;
  }
}

void rtc__sdp_codec_rtx(rtc_sdp_codec_t *c, uint8_t pt, uint8_t apt, uint32_t clock_rate) {
  memset(c, 0, sizeof(*c));
  c->id = RTC_SDP_CODEC_RTX;
  c->pt = pt;
  c->apt = apt;
  snprintf(c->name, sizeof(c->name), "rtx");
  c->clock_rate = clock_rate;
  /* RFC 4588 8.6: apt is mandatory. */
  snprintf(c->fmtp, sizeof(c->fmtp), "apt=%u", apt);
}

/* ---- W3C capabilities and preferences ---- */

static void cap_of(rtc_sdp_codec_cap_t *cap, const rtc__sdp_codec_entry_t *e) {
  memset(cap, 0, sizeof(*cap));
  snprintf(cap->mime_type, sizeof(cap->mime_type), "%s/%s",
           e->kind == RTC_SDP_AUDIO ? "audio" : "video", e->name);
  cap->clock_rate = e->clock_rate;
  /* W3C: channels is present for audio (1 for mono), absent for video. */
  cap->channels = e->kind == RTC_SDP_AUDIO ? (e->channels ? e->channels : 1) : 0;
  if (e->fmtp) snprintf(cap->sdp_fmtp_line, sizeof(cap->sdp_fmtp_line), "%s", e->fmtp);
}

size_t rtc_sdp_codec_capabilities(rtc_sdp_kind_t kind, rtc_sdp_codec_cap_t *out, size_t max) {
  size_t n = 0;
  if (!kind_ok(kind)) return 0;
  for (size_t i = 0; i < rtc__sdp_n_codecs; i++) {
    if (rtc__sdp_codecs[i].kind != kind) continue;
    if (out && n < max) cap_of(&out[n], &rtc__sdp_codecs[i]);
    n++;
  }
  if (kind == RTC_SDP_VIDEO) {
    if (out && n < max) {
      memset(&out[n], 0, sizeof(out[n]));
      snprintf(out[n].mime_type, sizeof(out[n].mime_type), "video/rtx");
      out[n].clock_rate = 90000;
    }
    n++;
  }
  return n;
}

size_t rtc_sdp_codec_header_extensions(rtc_sdp_kind_t kind, const char **uris, size_t max) {
  size_t n = 0;
  if (!kind_ok(kind)) return 0;
  for (size_t i = 0; i < rtc__sdp_n_exts; i++) {
    if (!(rtc__sdp_exts[i].kinds & (1u << kind))) continue;
    if (uris && n < max) uris[n] = rtc__sdp_exts[i].uri;
    n++;
  }
  return n;
}

bool rtc_sdp_codec_cap_match(const rtc_sdp_codec_cap_t *a, const rtc_sdp_codec_cap_t *b) {
  return strcasecmp(a->mime_type, b->mime_type) == 0 && a->clock_rate == b->clock_rate &&
         a->channels == b->channels && strcmp(a->sdp_fmtp_line, b->sdp_fmtp_line) == 0;
}

static bool is_rtx_pref(rtc_sdp_kind_t kind, const rtc_sdp_codec_cap_t *p) {
  return kind == RTC_SDP_VIDEO && strcasecmp(p->mime_type, "video/rtx") == 0 &&
         p->clock_rate == 90000 && !p->channels && !p->sdp_fmtp_line[0];
}

/* A preference names a table entry only by the W3C codec dictionary match against
 * the entry's capability (webrtc-pc: setCodecPreferences takes nothing else). */
static bool pref_matches(const rtc__sdp_codec_entry_t *e, const rtc_sdp_codec_cap_t *p) {
  rtc_sdp_codec_cap_t c;
  cap_of(&c, e);
  return rtc_sdp_codec_cap_match(&c, p);
}

int rtc__sdp_codec_pref_rank(const rtc__sdp_codec_entry_t *e, const rtc_sdp_codec_cap_t *prefs,
                             size_t n) {
  for (size_t i = 0; i < n; i++)
    if (pref_matches(e, &prefs[i])) return (int)i;
  return -1;
}

bool rtc__sdp_codec_prefs_rtx(rtc_sdp_kind_t kind, const rtc_sdp_codec_cap_t *prefs, size_t n) {
  if (!prefs || !n) return kind == RTC_SDP_VIDEO;
  for (size_t i = 0; i < n; i++)
    if (is_rtx_pref(kind, &prefs[i])) return true;
  return false;
}

int rtc_sdp_codec_check_prefs(rtc_sdp_kind_t kind, const rtc_sdp_codec_cap_t *prefs, size_t n,
                              char *err, size_t errlen) {
  bool media = false;
  if (err && errlen) err[0] = '\0';
  if (!kind_ok(kind) || (n && !prefs)) return RTC_EINVAL;
  for (size_t i = 0; i < n; i++) {
    bool ok = is_rtx_pref(kind, &prefs[i]);
    for (size_t k = 0; !ok && k < rtc__sdp_n_codecs; k++)
      if (rtc__sdp_codecs[k].kind == kind && pref_matches(&rtc__sdp_codecs[k], &prefs[i]))
        ok = media = true;
    if (!ok) {
      if (err && errlen)
        snprintf(err, errlen, "codec %zu (%.32s/%u%s%.64s) is not among the %s capabilities", i,
                 prefs[i].mime_type, prefs[i].clock_rate, prefs[i].sdp_fmtp_line[0] ? " " : "",
                 prefs[i].sdp_fmtp_line, kind == RTC_SDP_AUDIO ? "audio" : "video");
      return RTC_EINVAL;
    }
  }
  if (n && !media) {
    if (err && errlen) snprintf(err, errlen, "codec preferences hold only RTX");
    return RTC_EINVAL;
  }
  return 0;
}

/* ---- the session's PT and id space ---- */

void rtc_sdp_codec_space_init(rtc_sdp_codec_space_t *s) {
  if (s) memset(s, 0, sizeof(*s));
}

static uint32_t space_profile(const rtc_sdp_codec_t *c) {
  return c->id == RTC_SDP_CODEC_H264 ? (c->h264_profile_level_id >> 8) & 0xffff : 0;
}

/* Does PT slot i hold codec c (the same codec, level aside)? */
static bool space_holds(const rtc_sdp_codec_space_t *s, size_t i, const rtc_sdp_codec_t *c) {
  if (s->pt[i].id != c->id || s->pt[i].clock_rate != c->clock_rate ||
      s->pt[i].channels != c->channels)
    return false;
  if (c->id == RTC_SDP_CODEC_RTX) return s->pt[i].apt == c->apt;
  if (c->id == RTC_SDP_CODEC_H264)
    return s->pt[i].packetization_mode == c->h264_packetization_mode &&
           rtc_sdp_h264_same_profile(s->pt[i].h264_profile << 8, c->h264_profile_level_id);
  return true;
}

void rtc__sdp_space_note_codec(rtc_sdp_codec_space_t *s, const rtc_sdp_codec_t *c) {
  if (!s || c->pt > 127 || s->pt[c->pt].id != RTC_SDP_CODEC_NONE) return;
  s->pt[c->pt].id = c->id;
  s->pt[c->pt].clock_rate = c->clock_rate;
  s->pt[c->pt].channels = c->channels;
  s->pt[c->pt].apt = c->apt;
  s->pt[c->pt].packetization_mode = c->h264_packetization_mode;
  s->pt[c->pt].h264_profile = space_profile(c);
}

void rtc__sdp_space_note_ext(rtc_sdp_codec_space_t *s, const rtc_sdp_ext_t *x) {
  if (s && x->id && s->ext[x->id] == RTC_SDP_EXT_NONE) s->ext[x->id] = x->ext;
}

/* JSEP 5.2.1 / RFC 8843 9.1: the PT for c: the one the space gives this codec,
 * else preferred if free, else a free dynamic one (96-127, then 35-63: 64-95
 * collide with RTCP packet types under rtcp-mux, RFC 5761 4). -1 if none. */
static int space_pick_pt(rtc_sdp_codec_space_t *s, const rtc_sdp_codec_t *c, uint8_t preferred) {
  for (size_t i = 0; i < 128; i++)
    if (space_holds(s, i, c)) return (int)i;
  if (s->pt[preferred].id == RTC_SDP_CODEC_NONE) return preferred;
  for (int i = 96; i < 128; i++)
    if (s->pt[i].id == RTC_SDP_CODEC_NONE) return i;
  for (int i = 35; i < 64; i++)
    if (s->pt[i].id == RTC_SDP_CODEC_NONE) return i;
  return -1;
}

/* Extension ids 1-14 only (one-byte header, RFC 8285 4.2), so that every peer
 * can read what we send. 0 if none is left. */
static uint8_t space_pick_ext(rtc_sdp_codec_space_t *s, rtc_sdp_ext_id_t ext, uint8_t preferred) {
  for (int i = 1; i <= 14; i++)
    if (s->ext[i] == ext) return (uint8_t)i;
  if (s->ext[preferred] == RTC_SDP_EXT_NONE) return preferred;
  for (int i = 1; i <= 14; i++)
    if (s->ext[i] == RTC_SDP_EXT_NONE) return (uint8_t)i;
  return 0;
}

/* ---- offers ---- */

static int offer_add(rtc_sdp_codec_space_t *s, rtc_sdp_codec_set_t *out, rtc_sdp_codec_t *c,
                     uint8_t preferred) {
  if (out->n_codecs >= RTC_SDP_CODEC_MAX) return RTC_ELIMIT;
  int pt = space_pick_pt(s, c, preferred);
  if (pt < 0) return RTC_ELIMIT;
  c->pt = (uint8_t)pt;
  rtc__sdp_space_note_codec(s, c);
  out->codecs[out->n_codecs++] = *c;
  return 0;
}

int rtc_sdp_codec_offer(rtc_sdp_codec_space_t *space, rtc_sdp_kind_t kind,
                        const rtc_sdp_codec_cap_t *prefs, size_t n_prefs,
                        rtc_sdp_codec_set_t *out) {
  rtc_sdp_codec_space_t scratch;
  if (!out || !kind_ok(kind) || (n_prefs && !prefs)) return RTC_EINVAL;
  if (!space) {
    rtc_sdp_codec_space_init(&scratch);
    space = &scratch;
  }
  memset(out, 0, sizeof(*out));
  out->kind = kind;
  out->rtcp_rsize = true; /* RFC 8829 5.2.1: offered on every RTP m-section */
  bool rtx = rtc__sdp_codec_prefs_rtx(kind, prefs, n_prefs);
  /* Table order without preferences; preference order with them. */
  size_t rounds = n_prefs ? n_prefs : 1;
  bool used[sizeof(rtc__sdp_codecs) / sizeof(rtc__sdp_codecs[0])] = {0};
  for (size_t r = 0; r < rounds; r++) {
    for (size_t i = 0; i < rtc__sdp_n_codecs; i++) {
      const rtc__sdp_codec_entry_t *e = &rtc__sdp_codecs[i];
      if (e->kind != kind || used[i]) continue;
      if (n_prefs && !pref_matches(e, &prefs[r])) continue;
      used[i] = true;
      rtc_sdp_codec_t c;
      rtc__sdp_codec_from_entry(&c, e);
      int err = offer_add(space, out, &c, e->pt);
      if (err) return err;
      if (rtx && e->rtx_pt) {
        rtc_sdp_codec_t x;
        rtc__sdp_codec_rtx(&x, 0, c.pt, c.clock_rate);
        if ((err = offer_add(space, out, &x, e->rtx_pt))) return err;
      }
    }
  }
  if (!out->n_codecs) return RTC_ENOTFOUND;
  for (size_t i = 0; i < rtc__sdp_n_exts && out->n_exts < RTC_SDP_EXT_MAX; i++) {
    const rtc__sdp_ext_entry_t *x = &rtc__sdp_exts[i];
    if (!(x->kinds & (1u << kind))) continue;
    uint8_t id = space_pick_ext(space, x->ext, x->id);
    if (!id) continue; /* no id left: offered without it */
    rtc_sdp_ext_t *o = &out->exts[out->n_exts++];
    o->ext = x->ext;
    o->id = id;
    o->direction = RTC_SDP_DIR_NONE;
    o->uri = x->uri;
    rtc__sdp_space_note_ext(space, o);
  }
  return 0;
}

/* ---- writing and look-ups ---- */

int rtc_sdp_codec_write(rtc_sdp_media_t *m, const rtc_sdp_codec_set_t *set) {
  static const struct {
    uint32_t bit;
    const char *type, *sub;
  } fbs[] = {{RTC_SDP_FB_GOOG_REMB, "goog-remb", NULL},
             {RTC_SDP_FB_TRANSPORT_CC, "transport-cc", NULL},
             {RTC_SDP_FB_CCM_FIR, "ccm", "fir"},
             {RTC_SDP_FB_NACK, "nack", NULL},
             {RTC_SDP_FB_NACK_PLI, "nack", "pli"}};
  uint8_t pts[RTC_SDP_CODEC_MAX];
  int r;
  if (!m || !set || !set->n_codecs || set->n_codecs > RTC_SDP_CODEC_MAX) return RTC_EINVAL;
  for (size_t i = 0; i < set->n_codecs; i++)
    pts[i] = set->codecs[i].pt;
  if ((r = rtc_sdp_rtp_set_pts(m, pts, set->n_codecs))) return r;
  m->rtcp_mux = true;
  for (size_t i = 0; i < set->n_exts; i++)
    if ((r = rtc_sdp_rtp_add_extmap(m, set->exts[i].id, set->exts[i].direction, set->exts[i].uri,
                                    NULL)))
      return r;
  for (size_t i = 0; i < set->n_codecs; i++) {
    const rtc_sdp_codec_t *c = &set->codecs[i];
    if ((r = rtc_sdp_rtp_add_rtpmap(m, c->pt, c->name, c->clock_rate, c->channels))) return r;
    for (size_t k = 0; k < sizeof(fbs) / sizeof(fbs[0]); k++)
      if ((c->fb & fbs[k].bit) && (r = rtc_sdp_rtp_add_rtcp_fb(m, c->pt, fbs[k].type, fbs[k].sub)))
        return r;
    if (c->fmtp[0] && (r = rtc_sdp_rtp_add_fmtp(m, c->pt, c->fmtp))) return r;
  }
  if (set->rtcp_rsize && (r = rtc_sdp_rtp_add_flag(m, "rtcp-rsize"))) return r;
  return 0;
}

const rtc_sdp_codec_t *rtc_sdp_codec_primary(const rtc_sdp_codec_set_t *set) {
  for (size_t i = 0; set && i < set->n_codecs; i++)
    if (set->codecs[i].id != RTC_SDP_CODEC_RTX) return &set->codecs[i];
  return NULL;
}

const rtc_sdp_codec_t *rtc_sdp_codec_find(const rtc_sdp_codec_set_t *set, uint8_t pt) {
  for (size_t i = 0; set && i < set->n_codecs; i++)
    if (set->codecs[i].pt == pt) return &set->codecs[i];
  return NULL;
}

const rtc_sdp_codec_t *rtc_sdp_codec_rtx_for(const rtc_sdp_codec_set_t *set, uint8_t pt) {
  for (size_t i = 0; set && i < set->n_codecs; i++)
    if (set->codecs[i].id == RTC_SDP_CODEC_RTX && set->codecs[i].apt == pt) return &set->codecs[i];
  return NULL;
}

uint8_t rtc_sdp_codec_ext_id(const rtc_sdp_codec_set_t *set, rtc_sdp_ext_id_t ext) {
  for (size_t i = 0; set && i < set->n_exts; i++)
    if (set->exts[i].ext == ext) return set->exts[i].id;
  return 0;
}
