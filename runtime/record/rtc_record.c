/* Recorder: see rtc_record.h. */
#include "record/rtc_record.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/rtc_err.h"
#include "media/rtc_media_h264.h"
#include "media/rtc_media_internal.h"
#include "media/rtc_media_ivf.h"
#include "media/rtc_media_ogg.h"

#define OPUS_PRE_SKIP 312
#define PEND_MAX (4u << 20) /* bytes kept while waiting for SRs */
/* A track's RTP time that goes back more than this, or ahead of its arrival time by
 * more, is a new timeline (a restarted sender, a new SSRC with a new random base), not
 * reordering nor a pause: a pause moves both clocks, a network stall delays arrival. */
#define JUMP_BACK_US 1000000
#define JUMP_AHEAD_US 10000000

/* A frame kept before the start (followed by its bytes in rtc_record.pend). */
typedef struct pend_hdr {
  int64_t ext;
  uint64_t arrival_us;
  uint32_t len;
  uint8_t track;
  bool key;
} pend_hdr_t;

typedef struct rec_track {
  rtc_record_track_config_t cfg;
  bool video;
  bool have_ref;
  int64_t ref_ext; /* extended timestamp of the latest frame */
  bool ready;      /* video: a keyframe seen; audio: a frame seen */
  int64_t cand_ext;
  uint64_t cand_arrival_us;
  uint16_t width, height;
  rtc_record_codec_vp9_t vp9; /* VP9: the first keyframe's header (MP4's vpcC) */
  rtc_record_codec_av1_t av1; /* AV1: its sequence header (MP4's av1C), seq in av1_seq */
  uint8_t av1_seq[256];
  bool placed;
  int64_t base_ext, base_us; /* timeline: t_us = base_us + (ext - base_ext) / clock */
  int64_t base_ticks;        /* IVF: pts = base_ticks + ext - base_ext (clock units) */
  bool has_sr;
  uint64_t sr_ntp;
  uint32_t sr_ts;
  int64_t last_us;
  int64_t last_ext; /* of the latest written frame */
  uint64_t last_arrival_us;
  bool wrote;
  int64_t last_pts; /* container time of the latest written frame (IVF pts, WebM ms) */
  /* H.264: the latest SPS and PPS seen (NAL units without start code), for the
   * codec private; a keyframe makes the track ready only once both are known. */
  uint8_t sps[256], pps[256];
  uint16_t sps_len, pps_len;
} rec_track_t;

struct rtc_record {
  rtc_record_config_t cfg;
  rec_track_t t[RTC_RECORD_MAX_TRACKS];
  size_t n;
  bool started, finished, any_frame;
  uint64_t first_frame_us;
  size_t ref; /* the track the timeline is built on */
  rtc_media_ivf_writer_t *ivf;
  rtc_media_ogg_writer_t *ogg;
  rtc_record_webm_t *webm;
  rtc_record_mp4_t *mp4;
  rtc_media_out_t empty; /* before the start; H264: the bytes themselves */
  rtc_record_webm_patch_t ivf_patches[2];
  rtc_record_stats_t st;
  uint8_t *pend; /* frames kept before the start: pend_hdr_t + bytes, in arrival order */
  size_t pend_len, pend_cap;
};

rtc_record_format_t rtc_record_format_parse(const char *s) {
  if (!s) return RTC_RECORD_FORMAT_NONE;
  const char *dot = strrchr(s, '.');
  const char *e = dot ? dot + 1 : s;
  if (!strcasecmp(e, "ivf")) return RTC_RECORD_FORMAT_IVF;
  if (!strcasecmp(e, "ogg") || !strcasecmp(e, "opus")) return RTC_RECORD_FORMAT_OGG;
  if (!strcasecmp(e, "webm")) return RTC_RECORD_FORMAT_WEBM;
  if (!strcasecmp(e, "mkv")) return RTC_RECORD_FORMAT_MKV;
  if (!strcasecmp(e, "h264") || !strcasecmp(e, "264")) return RTC_RECORD_FORMAT_H264;
  if (!strcasecmp(e, "mp4")) return RTC_RECORD_FORMAT_MP4;
  if (!strcasecmp(e, "m4a")) return RTC_RECORD_FORMAT_M4A;
  return RTC_RECORD_FORMAT_NONE;
}

const char *rtc_record_format_name(rtc_record_format_t f) {
  switch (f) {
  case RTC_RECORD_FORMAT_IVF: return "ivf";
  case RTC_RECORD_FORMAT_OGG: return "ogg";
  case RTC_RECORD_FORMAT_WEBM: return "webm";
  case RTC_RECORD_FORMAT_MKV: return "mkv";
  case RTC_RECORD_FORMAT_H264: return "h264";
  case RTC_RECORD_FORMAT_MP4: return "mp4";
  case RTC_RECORD_FORMAT_M4A: return "m4a";
  default: return NULL;
  }
}

static bool is_video(rtc_media_codec_t c) {
  return c == RTC_MEDIA_CODEC_VP8 || c == RTC_MEDIA_CODEC_VP9 || c == RTC_MEDIA_CODEC_AV1 ||
         c == RTC_MEDIA_CODEC_H264;
}

int rtc_record_create(const rtc_record_config_t *cfg, const rtc_record_track_config_t *tracks,
                      size_t n, rtc_record_t **out) {
  if (!out) return RTC_EINVAL;
  *out = NULL;
  if (!cfg || !tracks || n == 0 || n > RTC_RECORD_MAX_TRACKS) return RTC_EINVAL;
  for (size_t i = 0; i < n; i++)
    if (!is_video(tracks[i].codec) && tracks[i].codec != RTC_MEDIA_CODEC_OPUS) return RTC_EINVAL;
  switch (cfg->format) {
  case RTC_RECORD_FORMAT_IVF:
    if (n != 1 || !is_video(tracks[0].codec) || tracks[0].codec == RTC_MEDIA_CODEC_H264)
      return RTC_EINVAL;
    break;
  case RTC_RECORD_FORMAT_OGG:
    if (n != 1 || tracks[0].codec != RTC_MEDIA_CODEC_OPUS) return RTC_EINVAL;
    break;
  case RTC_RECORD_FORMAT_WEBM:
    for (size_t i = 0; i < n; i++)
      if (tracks[i].codec == RTC_MEDIA_CODEC_H264) return RTC_EINVAL; /* WebM: VP8/VP9/AV1 */
    break;
  case RTC_RECORD_FORMAT_H264:
    if (n != 1 || tracks[0].codec != RTC_MEDIA_CODEC_H264) return RTC_EINVAL;
    break;
  case RTC_RECORD_FORMAT_MKV: break;
  case RTC_RECORD_FORMAT_MP4: /* VP8 has no MP4 binding */
    for (size_t i = 0; i < n; i++)
      if (tracks[i].codec == RTC_MEDIA_CODEC_VP8) return RTC_EINVAL;
    break;
  case RTC_RECORD_FORMAT_M4A:
    for (size_t i = 0; i < n; i++)
      if (tracks[i].codec != RTC_MEDIA_CODEC_OPUS) return RTC_EINVAL;
    break;
  default: return RTC_EINVAL;
  }
  rtc_record_t *r = calloc(1, sizeof *r);
  if (!r) return RTC_ENOMEM;
  r->cfg = *cfg;
  if (!r->cfg.start_wait_us) r->cfg.start_wait_us = 3000000;
  if (!r->cfg.sr_wait_us) r->cfg.sr_wait_us = 5000000;
  if (!r->cfg.flush_ms) r->cfg.flush_ms = 1000;
  r->n = n;
  for (size_t i = 0; i < n; i++) {
    rec_track_t *t = &r->t[i];
    t->cfg = tracks[i];
    t->video = is_video(tracks[i].codec);
    if (!t->cfg.clock_rate) t->cfg.clock_rate = t->video ? 90000 : 48000;
    if (!t->cfg.channels) t->cfg.channels = 2;
  }
  *out = r;
  return 0;
}

void rtc_record_destroy(rtc_record_t *r) {
  if (!r) return;
  rtc_media_ivf_writer_destroy(r->ivf);
  rtc_media_ogg_writer_destroy(r->ogg);
  rtc_record_webm_destroy(r->webm);
  rtc_record_mp4_destroy(r->mp4);
  free(r->empty.buf);
  free(r->pend);
  free(r);
}

static int64_t extend(rec_track_t *t, uint32_t ts) {
  if (!t->have_ref) return (int64_t)ts;
  return t->ref_ext + (int32_t)(ts - (uint32_t)t->ref_ext);
}

/* Seconds since 1900 in the NTP format -> microseconds. */
static int64_t ntp_us(uint64_t ntp) {
  return (int64_t)(ntp >> 32) * 1000000 + (int64_t)(((ntp & 0xffffffffu) * 1000000) >> 32);
}

/* The sender's NTP time (us) of the extended timestamp ext of track t (needs an SR). */
static int64_t sender_time_us(const rec_track_t *t, int64_t ext) {
  int64_t sr_ext = ext + (int32_t)(t->sr_ts - (uint32_t)ext);
  return ntp_us(t->sr_ntp) + (ext - sr_ext) * 1000000 / (int64_t)t->cfg.clock_rate;
}

/* The picture size (and VP9's header fields) of a video track's keyframe, for the
 * container's track header. H.264: from the SPS h264_params kept. */
static void video_info(rec_track_t *t, const uint8_t *p, size_t len) {
  if (t->cfg.codec == RTC_MEDIA_CODEC_H264) {
    rtc_record_codec_h264_size(t->sps, t->sps_len, &t->width, &t->height);
    return;
  }
  if (t->cfg.codec == RTC_MEDIA_CODEC_AV1) {
    rtc_record_codec_av1_t a;
    if (rtc_record_codec_av1_info(p, len, &a) && a.seq_len <= sizeof t->av1_seq) {
      memcpy(t->av1_seq, a.seq, a.seq_len);
      a.seq = t->av1_seq;
      t->av1 = a;
      t->width = a.width;
      t->height = a.height;
    }
    return;
  }
  if (t->cfg.codec == RTC_MEDIA_CODEC_VP9) {
    if (rtc_record_codec_vp9_info(p, len, &t->vp9)) {
      t->width = t->vp9.width;
      t->height = t->vp9.height;
    }
    return;
  }
  if (t->cfg.codec == RTC_MEDIA_CODEC_VP8)
    rtc_record_codec_picture_size(t->cfg.codec, p, len, &t->width, &t->height);
}

/* H.264: keeps the frame's SPS and PPS; true when the track has both (a decoder can
 * start at this frame's IDR). Oversized parameter sets are ignored. */
static bool h264_params(rec_track_t *t, const uint8_t *p, size_t len) {
  size_t off = 0, nl;
  const uint8_t *nal;
  while (rtc_media_h264_next_nal(p, len, &off, &nal, &nl)) {
    if (!nl) continue; /* an empty one (a start code at the end): nal may be p + len */
    unsigned type = nal[0] & 0x1f;
    if (type == 7 && nl >= 4 && nl <= sizeof t->sps) {
      memcpy(t->sps, nal, nl);
      t->sps_len = (uint16_t)nl;
    } else if (type == 8 && nl >= 1 && nl <= sizeof t->pps) {
      memcpy(t->pps, nal, nl);
      t->pps_len = (uint16_t)nl;
    }
  }
  return t->sps_len && t->pps_len;
}

static void place(rtc_record_t *r, size_t i, int64_t ext, uint64_t now_us) {
  rec_track_t *t = &r->t[i], *ref = &r->t[r->ref];
  t->placed = true;
  t->base_ext = ext;
  if (i == r->ref) {
    t->base_us = 0;
  } else if (t->has_sr && ref->has_sr) {
    t->base_us = sender_time_us(t, ext) - sender_time_us(ref, ref->base_ext);
  } else {
    t->base_us = (int64_t)(now_us - ref->cand_arrival_us);
  }
}

static const char *fourcc(rtc_media_codec_t c) {
  return c == RTC_MEDIA_CODEC_VP8 ? "VP80" : c == RTC_MEDIA_CODEC_VP9 ? "VP90" : "AV01";
}

/* The samples (48 kHz) of track i's first kept Opus packet: the MP4 roll group's unit
 * (0: none kept, or not understood). */
static uint32_t pend_opus_frame(const rtc_record_t *r, size_t i) {
  for (size_t off = 0; off < r->pend_len;) {
    pend_hdr_t h;
    memcpy(&h, r->pend + off, sizeof h);
    if (h.track == i) return rtc_media_opus_packet_duration(r->pend + off + sizeof h, h.len);
    off += sizeof h + h.len;
  }
  return 0;
}

static int open_writer(rtc_record_t *r) {
  switch (r->cfg.format) {
  case RTC_RECORD_FORMAT_IVF:
    return rtc_media_ivf_writer_create(fourcc(r->t[0].cfg.codec), r->t[0].width, r->t[0].height, 1,
                                       r->t[0].cfg.clock_rate, &r->ivf);
  case RTC_RECORD_FORMAT_H264:
    return r->t[0].sps_len && r->t[0].pps_len ? 0 : RTC_ESTATE; /* the IDR carries them */
  case RTC_RECORD_FORMAT_OGG: {
    rtc_media_ogg_writer_config_t oc = {
        .channels = r->t[0].cfg.channels, .pre_skip = OPUS_PRE_SKIP, .flush_ms = r->cfg.flush_ms};
    return rtc_media_ogg_writer_create(&oc, &r->ogg);
  }
  case RTC_RECORD_FORMAT_MP4:
  case RTC_RECORD_FORMAT_M4A: {
    rtc_record_mp4_track_t mt[RTC_RECORD_MAX_TRACKS];
    uint8_t avcc[RTC_RECORD_MAX_TRACKS][600];
    memset(mt, 0, sizeof mt);
    for (size_t i = 0; i < r->n; i++) {
      rec_track_t *t = &r->t[i];
      mt[i].codec = t->cfg.codec;
      mt[i].width = t->width;
      mt[i].height = t->height;
      mt[i].channels = t->cfg.channels;
      mt[i].pre_skip = OPUS_PRE_SKIP;
      if (t->cfg.codec == RTC_MEDIA_CODEC_OPUS) mt[i].opus_frame = pend_opus_frame(r, i);
      if (t->cfg.codec == RTC_MEDIA_CODEC_VP9 && t->vp9.width) mt[i].vp9 = &t->vp9;
      if (t->cfg.codec == RTC_MEDIA_CODEC_AV1) {
        if (!t->av1.seq) return RTC_ESTATE; /* no sequence header understood yet */
        mt[i].av1 = &t->av1;
      }
      if (t->cfg.codec == RTC_MEDIA_CODEC_H264) {
        mt[i].codec_private = avcc[i];
        mt[i].codec_private_len =
            rtc_record_webm_avcc(t->sps, t->sps_len, t->pps, t->pps_len, avcc[i], sizeof avcc[i]);
        if (!mt[i].codec_private_len) return RTC_ESTATE; /* no SPS/PPS: cannot start */
      }
    }
    return rtc_record_mp4_create(mt, r->n, r->cfg.flush_ms, &r->mp4);
  }
  default: {
    rtc_record_webm_track_t wt[RTC_RECORD_MAX_TRACKS];
    uint8_t avcc[RTC_RECORD_MAX_TRACKS][600];
    memset(wt, 0, sizeof wt);
    for (size_t i = 0; i < r->n; i++) {
      rec_track_t *t = &r->t[i];
      wt[i].codec = t->cfg.codec;
      wt[i].width = t->width;
      wt[i].height = t->height;
      wt[i].channels = t->cfg.channels;
      if (t->cfg.codec == RTC_MEDIA_CODEC_H264) {
        wt[i].codec_private = avcc[i];
        wt[i].codec_private_len =
            rtc_record_webm_avcc(t->sps, t->sps_len, t->pps, t->pps_len, avcc[i], sizeof avcc[i]);
        if (!wt[i].codec_private_len) return RTC_ESTATE; /* no SPS/PPS: cannot start */
      }
    }
    return rtc_record_webm_create(wt, r->n, r->cfg.flush_ms, &r->webm);
  }
  }
}

/* Starts when every video track has its keyframe and every track an SR (or sr_wait went
 * by), or start_wait went by, or the kept frames reach PEND_MAX, or force (finish). */
static void try_start(rtc_record_t *r, uint64_t now_us, bool force) {
  bool all_video = true, all_sr = true;
  for (size_t i = 0; i < r->n; i++) {
    if (r->t[i].video && !r->t[i].ready) all_video = false;
    if (!r->t[i].ready || !r->t[i].has_sr) all_sr = false;
  }
  uint64_t waited = now_us - r->first_frame_us;
  bool go = force || waited >= r->cfg.start_wait_us || r->pend_len >= PEND_MAX ||
            (all_video && (r->n == 1 || all_sr || waited >= r->cfg.sr_wait_us));
  if (!go) return;
  /* the reference: the first ready video track, else the first ready one */
  size_t ref = r->n;
  for (size_t i = 0; i < r->n && ref == r->n; i++)
    if (r->t[i].video && r->t[i].ready) ref = i;
  for (size_t i = 0; i < r->n && ref == r->n; i++)
    if (r->t[i].ready) ref = i;
  if (ref == r->n) return;
  int orc = open_writer(r);
  if (orc == RTC_ESTATE && r->pend_len >= PEND_MAX) { /* an H.264 track still lacks SPS/PPS */
    for (size_t off = 0; off < r->pend_len; r->st.dropped++) {
      pend_hdr_t h;
      memcpy(&h, r->pend + off, sizeof h);
      off += sizeof h + h.len;
    }
    r->pend_len = 0;
  }
  if (orc != 0) return; /* out of memory, or no SPS/PPS yet: tried again on the next frame */
  r->ref = ref;
  r->started = true;
  place(r, ref, r->t[ref].cand_ext, r->t[ref].cand_arrival_us);
  for (size_t i = 0; i < r->n; i++)
    if (i != ref && r->t[i].ready) place(r, i, r->t[i].cand_ext, r->t[i].cand_arrival_us);
}

static int write_frame(rtc_record_t *r, size_t i, const uint8_t *p, size_t len, int64_t ext,
                       bool keyframe, uint64_t arrival_us);

static int pend_add(rtc_record_t *r, size_t track, const uint8_t *p, size_t len, int64_t ext,
                    bool key, uint64_t now_us) {
  size_t need = r->pend_len + sizeof(pend_hdr_t) + len;
  if (need > r->pend_cap) {
    size_t nc = r->pend_cap ? r->pend_cap : 65536;
    while (nc < need)
      nc *= 2;
    uint8_t *nb = realloc(r->pend, nc);
    if (!nb) return RTC_ENOMEM;
    r->pend = nb;
    r->pend_cap = nc;
  }
  pend_hdr_t h = {
      .ext = ext, .arrival_us = now_us, .len = (uint32_t)len, .track = (uint8_t)track, .key = key};
  memcpy(r->pend + r->pend_len, &h, sizeof h);
  memcpy(r->pend + r->pend_len + sizeof h, p, len);
  r->pend_len = need;
  return 0;
}

/* After the start: writes the kept frames (those before the start of the timeline are
 * left out, as frames before the start always are), then lets the buffer go. */
static int pend_flush(rtc_record_t *r) {
  int rc = 0;
  for (size_t off = 0; off < r->pend_len && !rc;) {
    pend_hdr_t h;
    memcpy(&h, r->pend + off, sizeof h);
    const uint8_t *p = r->pend + off + sizeof h;
    off += sizeof h + h.len;
    rec_track_t *t = &r->t[h.track];
    if (!t->placed) place(r, h.track, h.ext, h.arrival_us);
    if (t->base_us + (h.ext - t->base_ext) * 1000000 / (int64_t)t->cfg.clock_rate < 0) continue;
    rc = write_frame(r, h.track, p, h.len, h.ext, h.key, h.arrival_us);
  }
  free(r->pend);
  r->pend = NULL;
  r->pend_len = r->pend_cap = 0;
  return rc;
}

static int write_frame(rtc_record_t *r, size_t i, const uint8_t *p, size_t len, int64_t ext,
                       bool keyframe, uint64_t arrival_us) {
  rec_track_t *t = &r->t[i];
  if (t->wrote && arrival_us >= t->last_arrival_us) {
    int64_t rtp_dt = (ext - t->last_ext) * 1000000 / (int64_t)t->cfg.clock_rate;
    int64_t arr_dt = (int64_t)(arrival_us - t->last_arrival_us);
    if (rtp_dt < -JUMP_BACK_US || rtp_dt > arr_dt + JUMP_AHEAD_US) {
      /* the new timeline goes on from the last frame by the time that passed between
       * their arrivals (at least a microsecond: times only grow) */
      int64_t step = arr_dt > 0 ? arr_dt : 1;
      t->base_ext = ext;
      t->base_us = t->last_us + step;
      t->base_ticks = t->last_pts + 1 + step * (int64_t)t->cfg.clock_rate / 1000000;
      r->st.discontinuities++;
    }
  }
  int64_t t_us = t->base_us + (ext - t->base_ext) * 1000000 / (int64_t)t->cfg.clock_rate;
  if (t_us < 0 || (t->last_us > 0 && t_us < t->last_us)) { /* before the start, or reordered */
    r->st.dropped++;
    return 0;
  }
  rtc_media_out_t *o = rtc_record_out(r);
  size_t before = o->len - o->off;
  int rc;
  uint32_t dur_us = 0;
  /* Two frames with one timestamp (a sender repeating a frame, or times closer than the
   * container's unit): the later one goes one unit later, as players need increasing
   * times. */
  int64_t pts = r->ivf ? t->base_ticks + ext - t->base_ext : r->mp4 ? t_us : t_us / 1000;
  if (t->wrote && pts <= t->last_pts) pts = t->last_pts + 1;
  if (r->ivf) {
    rc = rtc_media_ivf_writer_write(r->ivf, p, len, (uint64_t)pts);
  } else if (r->ogg) {
    rc = rtc_media_ogg_writer_write(r->ogg, p, len,
                                    OPUS_PRE_SKIP + (uint64_t)t_us * 48000 / 1000000);
  } else if (r->webm) {
    rc = rtc_record_webm_write(r->webm, (unsigned)i + 1, p, len, pts, keyframe);
  } else if (r->mp4) {
    rc = rtc_record_mp4_write(r->mp4, (unsigned)i + 1, p, len, pts, keyframe);
  } else {
    rc = rtc__media_out_append(&r->empty, p, len); /* H264: Annex-B as it came */
  }
  if (t->cfg.codec == RTC_MEDIA_CODEC_OPUS)
    dur_us = rtc_media_opus_packet_duration(p, len) * 1000u / 48u;
  if (rc == RTC_EINVAL) {
    r->st.dropped++;
    return 0;
  }
  if (rc) return rc;
  o = rtc_record_out(r);
  r->st.bytes += (o->len - o->off) - before;
  r->st.frames++;
  t->last_us = t_us;
  t->last_ext = ext;
  t->last_arrival_us = arrival_us;
  t->last_pts = pts;
  t->wrote = true;
  if ((uint64_t)t_us + dur_us > r->st.duration_us) r->st.duration_us = (uint64_t)t_us + dur_us;
  return 0;
}

int rtc_record_push(rtc_record_t *r, size_t track, const uint8_t *p, size_t len, uint32_t rtp_ts,
                    bool keyframe, uint64_t now_us) {
  if (!r || track >= r->n || !p || len == 0) return RTC_EINVAL;
  if (r->finished) return RTC_ESTATE;
  rec_track_t *t = &r->t[track];
  int64_t ext = extend(t, rtp_ts);
  t->have_ref = true;
  t->ref_ext = ext;
  if (!r->any_frame) {
    r->any_frame = true;
    r->first_frame_us = now_us;
  }
  bool is_h264 = t->cfg.codec == RTC_MEDIA_CODEC_H264;
  if (is_h264 && (keyframe || !(t->sps_len && t->pps_len)) && !h264_params(t, p, len))
    keyframe = false; /* an IDR without known SPS/PPS cannot start a decoder */
  if (!r->started) {
    bool ready_now = t->video ? (t->ready || keyframe) : true;
    if (ready_now && !(t->video && t->ready)) { /* a video track keeps its first keyframe */
      t->cand_ext = ext;
      t->cand_arrival_us = now_us;
      if (t->video) video_info(t, p, len);
    } else if (keyframe && t->video && t->ready &&
               (t->cfg.codec == RTC_MEDIA_CODEC_AV1 ? !t->av1.seq : !t->width)) {
      /* The first keyframe did not tell (AV1: no sequence header this reader took, which
       * MP4's av1C needs: without this the writer never opened): a later one may. */
      video_info(t, p, len);
    }
    if (!ready_now) { /* video before its first keyframe */
      r->st.skipped++;
      return 0;
    }
    t->ready = true;
    int rc = pend_add(r, track, p, len, ext, keyframe, now_us);
    if (rc) return rc;
    try_start(r, now_us, false);
    return r->started ? pend_flush(r) : 0;
  }
  if (!t->placed) {
    if (t->video && !keyframe) {
      r->st.dropped++;
      return 0;
    }
    t->ready = true;
    if (t->video) video_info(t, p, len);
    place(r, track, ext, now_us);
  }
  return write_frame(r, track, p, len, ext, keyframe, now_us);
}

void rtc_record_sr(rtc_record_t *r, size_t track, uint64_t ntp, uint32_t rtp_ts) {
  if (!r || track >= r->n) return;
  rec_track_t *t = &r->t[track];
  t->has_sr = true;
  t->sr_ntp = ntp;
  t->sr_ts = rtp_ts;
}

bool rtc_record_wants_keyframe(const rtc_record_t *r, size_t track) {
  return r && track < r->n && r->t[track].video && !r->t[track].ready && !r->finished;
}

int rtc_record_finish(rtc_record_t *r) {
  if (!r) return RTC_EINVAL;
  if (r->finished) return 0;
  if (!r->started && r->pend_len) { /* stopped while waiting for SRs: write what is kept */
    try_start(r, 0, true);
    if (r->started) pend_flush(r);
  }
  rtc_media_out_t *o = rtc_record_out(r);
  size_t before = o->len - o->off;
  int rc = 0;
  if (r->ogg) rc = rtc_media_ogg_writer_finish(r->ogg);
  if (r->webm) rc = rtc_record_webm_finish(r->webm, (int64_t)(r->st.duration_us / 1000));
  if (r->mp4) rc = rtc_record_mp4_finish(r->mp4);
  if (r->ivf) {
    uint8_t h[32];
    rtc_media_ivf_writer_final_header(r->ivf, h);
    r->ivf_patches[0].offset = 12; /* width, height */
    r->ivf_patches[0].len = 4;
    memcpy(r->ivf_patches[0].bytes, h + 12, 4);
    /* Bytes 24..31: ffmpeg's IVF muxer and demuxer use them as the duration in pts
     * units (libvpx's tools read a 32-bit frame count there and ignore it): the span
     * of the frames plus one mean frame interval, as ffmpeg writes it. */
    uint64_t nf = rtc_media_ivf_writer_frames(r->ivf), span = 0;
    if (nf > 1) span = (uint64_t)r->t[0].last_pts * nf / (nf - 1); /* the first pts is 0 */
    r->ivf_patches[1].offset = 24;
    r->ivf_patches[1].len = 8;
    for (int i = 0; i < 8; i++)
      r->ivf_patches[1].bytes[i] = (uint8_t)(span >> (8 * i));
  }
  if (rc) return rc;
  o = rtc_record_out(r);
  r->st.bytes += (o->len - o->off) - before;
  r->finished = true;
  return 0;
}

rtc_media_out_t *rtc_record_out(rtc_record_t *r) {
  if (!r) return NULL;
  if (r->ivf) return rtc_media_ivf_writer_out(r->ivf);
  if (r->ogg) return rtc_media_ogg_writer_out(r->ogg);
  if (r->webm) return rtc_record_webm_out(r->webm);
  if (r->mp4) return rtc_record_mp4_out(r->mp4);
  return &r->empty;
}

const rtc_record_webm_patch_t *rtc_record_patches(const rtc_record_t *r, size_t *n) {
  if (n) *n = 0;
  if (!r || !r->finished) return NULL;
  if (r->webm) return rtc_record_webm_patches(r->webm, n);
  if (r->mp4) return rtc_record_mp4_patches(r->mp4, n);
  if (r->ivf) {
    if (n) *n = 2;
    return r->ivf_patches;
  }
  return NULL;
}

void rtc_record_get_stats(const rtc_record_t *r, rtc_record_stats_t *out) {
  if (!out) return;
  memset(out, 0, sizeof *out);
  if (!r) return;
  *out = r->st;
  out->started = r->started;
}
