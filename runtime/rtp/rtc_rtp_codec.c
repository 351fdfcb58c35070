/* Codec table, the payloader front end, audio payloading, and the depayloader core that
 * every codec shares: sequence gaps, frame boundaries, drops, the frame buffer. */
#include <stdlib.h>
#include <string.h>

#include "base/rtc_err.h"
#include "rtp/rtc_rtp_codec_internal.h"

const char *rtc_rtp_codec_name(rtc_rtp_codec_t c) {
  switch (c) {
  case RTC_RTP_CODEC_VP8: return "VP8";
  case RTC_RTP_CODEC_VP9: return "VP9";
  case RTC_RTP_CODEC_AV1: return "AV1";
  case RTC_RTP_CODEC_H264: return "H264";
  case RTC_RTP_CODEC_OPUS: return "opus";
  case RTC_RTP_CODEC_PCMU: return "PCMU";
  case RTC_RTP_CODEC_PCMA: return "PCMA";
  }
  return NULL;
}

uint32_t rtc_rtp_codec_clock_rate(rtc_rtp_codec_t c) {
  switch (c) {
  case RTC_RTP_CODEC_VP8:
  case RTC_RTP_CODEC_VP9:
  case RTC_RTP_CODEC_AV1:
  case RTC_RTP_CODEC_H264: return 90000;
  case RTC_RTP_CODEC_OPUS: return 48000; /* RFC 7587 section 4.1: always 48 kHz */
  case RTC_RTP_CODEC_PCMU:
  case RTC_RTP_CODEC_PCMA: return 8000;
  }
  return 0;
}

bool rtc_rtp_codec_is_video(rtc_rtp_codec_t c) {
  return c == RTC_RTP_CODEC_VP8 || c == RTC_RTP_CODEC_VP9 || c == RTC_RTP_CODEC_AV1 ||
         c == RTC_RTP_CODEC_H264;
}

/* ===== Payloader ===== */

int rtc_rtp_payloader_init(rtc_rtp_payloader_t *pl, rtc_rtp_codec_t codec, size_t max_payload) {
  memset(pl, 0, sizeof *pl);
  if (!rtc_rtp_codec_name(codec) || max_payload < 16) return RTC_EINVAL;
  pl->codec = codec;
  pl->max_payload = max_payload;
  pl->done = true;
  return 0;
}

void rtc_rtp_payloader_set_vp9_flexible(rtc_rtp_payloader_t *pl, bool on) { pl->vp9_flexible = on; }

int rtc_rtp_payloader_set_frame(rtc_rtp_payloader_t *pl, const uint8_t *frame, size_t len,
                                bool keyframe) {
  if (!frame || len == 0) return RTC_EINVAL;
  bool video = rtc_rtp_codec_is_video(pl->codec);
  if (!video && len > pl->max_payload) return RTC_ETOOBIG;
  pl->frame = frame;
  pl->frame_len = len;
  pl->keyframe = keyframe;
  pl->off = 0;
  pl->first = true;
  pl->done = false;
  pl->unit_open = false;
  pl->unit_off = 0;
  switch (pl->codec) {
  case RTC_RTP_CODEC_VP8:
    pl->keyframe |= !(frame[0] & 1); /* RFC 6386 9.1: P bit 0 = key frame */
    pl->picture_id = (pl->picture_id + 1) & 0x7fff;
    return 0;
  case RTC_RTP_CODEC_VP9: {
    bool key = false;
    pl->vp9_has_size = rtc__vp9_keyframe_size(frame, len, &key, &pl->vp9_width, &pl->vp9_height);
    pl->keyframe |= key;
    pl->picture_id = (pl->picture_id + 1) & 0x7fff;
    return 0;
  }
  case RTC_RTP_CODEC_H264: return rtc__h264_set_frame(pl);
  case RTC_RTP_CODEC_AV1: return rtc__av1_set_frame(pl);
  default: return 0;
  }
}

int rtc_rtp_payloader_next(rtc_rtp_payloader_t *pl, uint8_t *out, size_t cap, bool *marker) {
  *marker = false;
  if (pl->done) return 0;
  if (cap < pl->max_payload) return RTC_ETOOBIG;
  int n;
  switch (pl->codec) {
  case RTC_RTP_CODEC_VP8: n = rtc__vp8_next(pl, out, cap, marker); break;
  case RTC_RTP_CODEC_VP9: n = rtc__vp9_next(pl, out, cap, marker); break;
  case RTC_RTP_CODEC_H264: n = rtc__h264_next(pl, out, cap, marker); break;
  case RTC_RTP_CODEC_AV1: n = rtc__av1_next(pl, out, cap, marker); break;
  default: /* audio: one frame, one packet (RFC 7587 section 4.2, RFC 3551 section 4.5) */
    memcpy(out, pl->frame, pl->frame_len);
    n = (int)pl->frame_len;
    pl->done = true;
    return n;
  }
  if (*marker || n <= 0) pl->done = true;
  return n;
}

/* ===== Depayloader core ===== */

rtc_rtp_depayloader_t *rtc_rtp_depayloader_create(rtc_rtp_codec_t codec, size_t max_frame) {
  if (!rtc_rtp_codec_name(codec)) return NULL;
  rtc_rtp_depayloader_t *d = calloc(1, sizeof *d);
  if (!d) return NULL;
  d->codec = codec;
  d->cap = max_frame ? max_frame : (size_t)1 << 20;
  d->buf = malloc(d->cap);
  if (!d->buf) {
    free(d);
    return NULL;
  }
  d->need_definite = true;
  d->last_pid = -1;
  return d;
}

void rtc_rtp_depayloader_destroy(rtc_rtp_depayloader_t *d) {
  if (!d) return;
  free(d->buf);
  free(d);
}

void rtc_rtp_depayloader_get_stats(const rtc_rtp_depayloader_t *d,
                                   rtc_rtp_depayloader_stats_t *out) {
  *out = d->stats;
}

static int depay_classify(rtc_rtp_depayloader_t *d, const uint8_t *p, size_t n,
                          rtc__depay_pkt_t *k) {
  memset(k, 0, sizeof *k);
  k->picture_id = -1;
  switch (d->codec) {
  case RTC_RTP_CODEC_VP8: return rtc__vp8_classify(p, n, k);
  case RTC_RTP_CODEC_VP9: return rtc__vp9_classify(p, n, k);
  case RTC_RTP_CODEC_H264: return rtc__h264_classify(p, n, k);
  case RTC_RTP_CODEC_AV1: return rtc__av1_classify(p, n, k);
  default:
    if (n == 0) return RTC_EPARSE;
    k->can_start = k->definite_start = k->keyframe = true;
    k->data = p;
    k->len = n;
    return 0;
  }
}

/* Gives up the frame in progress: its packets are gone, wait for the next frame. */
static int depay_drop(rtc_rtp_depayloader_t *d, bool too_big) {
  if (!d->in_frame) return 0;
  d->in_frame = false;
  d->skipping = true;
  d->skip_ts = d->ts;
  d->need_definite = true;
  if (too_big)
    d->stats.frames_too_big++;
  else
    d->stats.frames_dropped++;
  return RTC_RTP_DEPAY_DROPPED;
}

static int depay_append(rtc_rtp_depayloader_t *d, const uint8_t *p, size_t n,
                        const rtc__depay_pkt_t *k) {
  switch (d->codec) {
  case RTC_RTP_CODEC_H264: return rtc__h264_append(d, p, n);
  case RTC_RTP_CODEC_AV1: return rtc__av1_append(d, p, n);
  default:
    if (k->len > d->cap - d->len) return RTC_ETOOBIG;
    memcpy(d->buf + d->len, k->data, k->len);
    d->len += k->len;
    return 0;
  }
}

static void depay_begin(rtc_rtp_depayloader_t *d, int64_t ext_seq, uint32_t ts) {
  d->in_frame = true;
  d->skipping = false;
  d->need_definite = false;
  d->ts = ts;
  d->first_seq = ext_seq;
  d->len = 0;
  d->keyframe = false;
  d->picture_id = -1;
  d->fu_open = d->has_sps = d->has_pps = d->has_idr = false;
  d->obu_open = false;
  if (d->codec == RTC_RTP_CODEC_AV1) rtc__av1_begin(d);
}

int rtc_rtp_depayloader_push(rtc_rtp_depayloader_t *d, int64_t ext_seq, const rtc_rtp_header_t *h,
                             rtc_rtp_frame_t *out) {
  d->stats.packets++;
  if (d->have_last && ext_seq <= d->last_seq) {
    d->stats.malformed++; /* out of order: the reorder buffer should have fixed it */
    return 0;
  }
  int res = 0;
  bool gap = d->have_last && ext_seq != d->last_seq + 1;
  d->have_last = true;
  d->last_seq = ext_seq;
  if (gap) {
    if (!d->in_frame && rtc_rtp_codec_is_video(d->codec)) d->gap_pending = true;
    res |= depay_drop(d, false);
    d->need_definite = true;
  }
  rtc__depay_pkt_t k;
  if (depay_classify(d, h->payload, h->payload_len, &k) != 0) {
    d->stats.malformed++;
    return res | depay_drop(d, false);
  }
  /* A new timestamp while a frame is open: its marker packet was lost (RFC 3550: one
   * frame, one timestamp). */
  if (d->in_frame && h->ts != d->ts) res |= depay_drop(d, false);
  if (!d->in_frame) {
    bool video = rtc_rtp_codec_is_video(d->codec);
    bool skipped = d->skipping && h->ts == d->skip_ts;
    bool ok = d->need_definite ? k.definite_start : k.can_start;
    /* More of a frame already given up. A clear start with the same timestamp is a new
     * frame (senders that never advance the timestamp exist), except for AV1 whose
     * temporal units hold several frames. */
    if (skipped && !(k.definite_start && d->codec != RTC_RTP_CODEC_AV1)) ok = false;
    /* Packets lost between two frames may have been whole frames: the picture id says
     * how many (VP8/VP9); without one, assume one was when this packet starts a frame (a
     * frame it does not start is counted below). */
    if (d->gap_pending) {
      uint32_t missing = ok ? 1 : 0;
      if (k.picture_id >= 0 && d->last_pid >= 0 && k.pid_mod)
        missing = ((uint32_t)k.picture_id - (uint32_t)d->last_pid - 1) % k.pid_mod;
      if (missing) {
        d->stats.frames_dropped += missing;
        res |= RTC_RTP_DEPAY_DROPPED;
      }
      d->gap_pending = false;
    }
    if (k.picture_id >= 0) d->last_pid = k.picture_id;
    if (!ok) {
      /* The head of this frame is missing: it is lost too; count it once. */
      if (!skipped) {
        d->skipping = true;
        d->skip_ts = h->ts;
        d->stats.frames_dropped++;
        res |= RTC_RTP_DEPAY_DROPPED;
      }
      /* Its marker ends it: what follows starts a frame (the loss was before). */
      if (video && h->marker) {
        d->skipping = false;
        d->need_definite = false;
      } else {
        d->need_definite = true;
      }
      return res;
    }
    depay_begin(d, ext_seq, h->ts);
  }
  if (k.keyframe) d->keyframe = true;
  if (k.picture_id >= 0 && d->picture_id < 0) d->picture_id = k.picture_id;
  int rc = depay_append(d, h->payload, h->payload_len, &k);
  if (rc == RTC_ETOOBIG) return res | depay_drop(d, true);
  if (rc != 0) {
    d->stats.malformed++;
    return res | depay_drop(d, false);
  }
  bool end = rtc_rtp_codec_is_video(d->codec) ? h->marker : true;
  if (!end) return res;
  if (d->codec == RTC_RTP_CODEC_H264)
    rc = rtc__h264_finish(d);
  else if (d->codec == RTC_RTP_CODEC_AV1)
    rc = rtc__av1_finish(d);
  if (rc != 0) {
    if (rc != RTC_ETOOBIG) d->stats.malformed++;
    return res | depay_drop(d, rc == RTC_ETOOBIG);
  }
  d->in_frame = false;
  d->need_definite = false;
  d->stats.frames++;
  out->data = d->buf;
  out->len = d->len;
  out->ts = d->ts;
  out->keyframe = d->keyframe;
  out->first_seq = d->first_seq;
  out->last_seq = ext_seq;
  out->picture_id = d->picture_id;
  return res | RTC_RTP_DEPAY_FRAME;
}

int rtc_rtp_depayloader_skip_to(rtc_rtp_depayloader_t *d, int64_t ext_seq) {
  if (d->have_last && ext_seq <= d->last_seq) return 0;
  d->have_last = true;
  d->last_seq = ext_seq;
  d->need_definite = true;
  return depay_drop(d, false);
}

/* ===== LEB128 (AV1 spec 4.10.5) ===== */

int rtc__leb128_read(const uint8_t *p, size_t n, uint64_t *v) {
  *v = 0;
  for (size_t i = 0; i < 8 && i < n; i++) {
    *v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
    if (!(p[i] & 0x80)) return (int)i + 1;
  }
  return -1;
}

size_t rtc__leb128_size(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    n++;
  }
  return n;
}

size_t rtc__leb128_write(uint8_t *p, uint64_t v) {
  size_t n = 0;
  do {
    uint8_t b = v & 0x7f;
    v >>= 7;
    p[n++] = (uint8_t)(b | (v ? 0x80 : 0));
  } while (v);
  return n;
}
