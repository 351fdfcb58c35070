/* WebM muxer: see rtc_record_webm.h. EBML element ids and layout from the Matroska
 * specification (RFC 9559) and the WebM container guidelines. */
#include "record/rtc_record_webm.h"

#include <stdlib.h>
#include <string.h>

#include "base/rtc_err.h"
#include "media/rtc_media_internal.h"
#include "record/rtc_record_codec.h"

#define ID_EBML 0x1A45DFA3u
#define ID_SEGMENT 0x18538067u
#define ID_INFO 0x1549A966u
#define ID_TRACKS 0x1654AE6Bu
#define ID_CLUSTER 0x1F43B675u
#define ID_CUES 0x1C53BB6Bu
#define DURATION_ID 0x4489u

/* A small byte builder for headers (never a frame: frames go straight to out). */
typedef struct eb {
  uint8_t b[1024]; /* the Tracks of 4 tracks with an H.264 codec private fit */
  size_t n;
  bool over;
} eb_t;

static void eb_put(eb_t *e, const void *p, size_t n) {
  if (e->over || e->n + n > sizeof e->b) {
    e->over = true;
    return;
  }
  memcpy(e->b + e->n, p, n);
  e->n += n;
}
static void eb_id(eb_t *e, uint32_t id) {
  uint8_t t[4];
  int k = id > 0xFFFFFF ? 4 : id > 0xFFFF ? 3 : id > 0xFF ? 2 : 1;
  for (int i = 0; i < k; i++)
    t[i] = (uint8_t)(id >> (8 * (k - 1 - i)));
  eb_put(e, t, (size_t)k);
}
/* EBML variable-size integer of the smallest width (or width w when w > 0). */
static void eb_size(eb_t *e, uint64_t v, int w) {
  int k = w;
  if (!k)
    for (k = 1; k < 8 && v >= ((uint64_t)1 << (7 * k)) - 1; k++) {
    }
  uint8_t t[8];
  for (int i = 0; i < k; i++)
    t[i] = (uint8_t)(v >> (8 * (k - 1 - i)));
  t[0] |= (uint8_t)(0x80 >> (k - 1));
  eb_put(e, t, (size_t)k);
}
static void eb_uint(eb_t *e, uint32_t id, uint64_t v) {
  int k = 1;
  while (k < 8 && (v >> (8 * k)))
    k++;
  eb_id(e, id);
  eb_size(e, (uint64_t)k, 0);
  uint8_t t[8];
  for (int i = 0; i < k; i++)
    t[i] = (uint8_t)(v >> (8 * (k - 1 - i)));
  eb_put(e, t, (size_t)k);
}
static void eb_float(eb_t *e, uint32_t id, double d) {
  uint64_t v;
  memcpy(&v, &d, 8);
  eb_id(e, id);
  eb_size(e, 8, 0);
  uint8_t t[8];
  for (int i = 0; i < 8; i++)
    t[i] = (uint8_t)(v >> (8 * (7 - i)));
  eb_put(e, t, 8);
}
static void eb_bin(eb_t *e, uint32_t id, const void *p, size_t n) {
  eb_id(e, id);
  eb_size(e, n, 0);
  eb_put(e, p, n);
}
static void eb_str(eb_t *e, uint32_t id, const char *s) { eb_bin(e, id, s, strlen(s)); }
static void eb_master(eb_t *e, uint32_t id, const eb_t *child) {
  eb_id(e, id);
  eb_size(e, child->n, 0);
  eb_put(e, child->b, child->n);
  if (child->over) e->over = true;
}

typedef struct cue {
  int64_t time_ms;
  uint64_t pos; /* cluster offset from the segment's data start */
  uint64_t size_off;
} cue_t;

struct rtc_record_webm {
  rtc_record_webm_track_t tracks[RTC_RECORD_WEBM_MAX_TRACKS];
  size_t ntracks;
  int64_t last_ms[RTC_RECORD_WEBM_MAX_TRACKS];
  bool has_video;
  uint32_t cluster_ms;
  rtc_media_out_t out;
  uint64_t total;        /* bytes produced */
  uint64_t seg_size_off; /* offset of the Segment's 8-byte size */
  uint64_t duration_off; /* offset of the Duration's float */
  bool in_cluster, finished;
  int64_t cluster_ms_start;
  cue_t *cues;
  size_t ncues, cap_cues;
  rtc_record_webm_patch_t *patches;
  size_t npatches;
  uint8_t *avcc[RTC_RECORD_WEBM_MAX_TRACKS]; /* H.264 tracks' codec private (owned) */
  size_t avcc_len[RTC_RECORD_WEBM_MAX_TRACKS];
};

static int out_put(rtc_record_webm_t *w, const void *p, size_t n) {
  if (rtc__media_out_append(&w->out, p, n) != 0) return RTC_ENOMEM;
  w->total += n;
  return 0;
}

static bool codec_ok(const rtc_record_webm_track_t *t) {
  if (t->codec == RTC_MEDIA_CODEC_H264)
    return t->codec_private && t->codec_private_len >= 7 && t->codec_private_len <= 600;
  return t->codec == RTC_MEDIA_CODEC_VP8 || t->codec == RTC_MEDIA_CODEC_VP9 ||
         t->codec == RTC_MEDIA_CODEC_AV1 || t->codec == RTC_MEDIA_CODEC_OPUS;
}

size_t rtc_record_webm_avcc(const uint8_t *sps, size_t sps_len, const uint8_t *pps,
                            size_t pps_len, uint8_t *out, size_t cap) {
  size_t n = 11 + sps_len + pps_len;
  if (!sps || !pps || sps_len < 4 || pps_len < 1 || sps_len > 0xffff || pps_len > 0xffff ||
      !out || cap < n)
    return 0;
  out[0] = 1;      /* configurationVersion */
  out[1] = sps[1]; /* AVCProfileIndication */
  out[2] = sps[2]; /* profile_compatibility (the constraint flags) */
  out[3] = sps[3]; /* AVCLevelIndication */
  out[4] = 0xFF;   /* 6 reserved bits, lengthSizeMinusOne 3: 4-byte NAL lengths */
  out[5] = 0xE1;   /* 3 reserved bits, one SPS */
  out[6] = (uint8_t)(sps_len >> 8);
  out[7] = (uint8_t)sps_len;
  memcpy(out + 8, sps, sps_len);
  size_t k = 8 + sps_len;
  out[k++] = 1; /* one PPS */
  out[k++] = (uint8_t)(pps_len >> 8);
  out[k++] = (uint8_t)pps_len;
  memcpy(out + k, pps, pps_len);
  return n;
}

static int write_header(rtc_record_webm_t *w) {
  eb_t hdr = {0}, e = {0};
  eb_uint(&hdr, 0x4286, 1); /* EBMLVersion */
  eb_uint(&hdr, 0x42F7, 1); /* EBMLReadVersion */
  eb_uint(&hdr, 0x42F2, 4); /* EBMLMaxIDLength */
  eb_uint(&hdr, 0x42F3, 8); /* EBMLMaxSizeLength */
  bool h264 = false;
  for (size_t i = 0; i < w->ntracks; i++)
    if (w->tracks[i].codec == RTC_MEDIA_CODEC_H264) h264 = true;
  eb_str(&hdr, 0x4282, h264 ? "matroska" : "webm"); /* DocType */
  eb_uint(&hdr, 0x4287, 4); /* DocTypeVersion */
  eb_uint(&hdr, 0x4285, 2); /* DocTypeReadVersion */
  eb_master(&e, ID_EBML, &hdr);
  eb_id(&e, ID_SEGMENT);
  w->seg_size_off = e.n;
  eb_size(&e, 0x00FFFFFFFFFFFFFFull, 8); /* unknown size (all ones) */
  uint64_t seg_data = e.n;

  eb_t info = {0};
  eb_uint(&info, 0x2AD7B1, 1000000); /* TimestampScale: 1 ms */
  eb_str(&info, 0x4D80, "luartc");   /* MuxingApp */
  eb_str(&info, 0x5741, "luartc");   /* WritingApp */
  size_t dur_at = info.n;
  eb_float(&info, DURATION_ID, 0.0); /* patched at finish */
  eb_id(&e, ID_INFO);
  eb_size(&e, info.n, 0);
  w->duration_off = e.n + dur_at + 3; /* id (2) + size (1) */
  eb_put(&e, info.b, info.n);

  eb_t tracks = {0};
  for (size_t i = 0; i < w->ntracks; i++) {
    const rtc_record_webm_track_t *t = &w->tracks[i];
    eb_t te = {0};
    eb_uint(&te, 0xD7, i + 1);                 /* TrackNumber */
    eb_uint(&te, 0x73C5, 0x6c756100u + i + 1); /* TrackUID */
    eb_uint(&te, 0x9C, 0);                     /* FlagLacing */
    if (t->codec == RTC_MEDIA_CODEC_OPUS) {
      uint8_t ch = t->channels ? t->channels : 2;
      eb_uint(&te, 0x83, 2); /* TrackType audio */
      eb_str(&te, 0x86, "A_OPUS");
      /* OpusHead (RFC 7845 §5.1): pre-skip 312, 48 kHz, gain 0, family 0 */
      uint8_t head[19] = {'O',  'p',  'u',  's',  'H', 'e', 'a', 'd', 1, ch,
                          0x38, 0x01, 0x80, 0xBB, 0,   0,   0,   0,   0};
      eb_bin(&te, 0x63A2, head, sizeof head);
      eb_uint(&te, 0x56AA, 6500000);  /* CodecDelay: 312 samples in ns */
      eb_uint(&te, 0x56BB, 80000000); /* SeekPreRoll: 80 ms */
      eb_t a = {0};
      eb_float(&a, 0xB5, 48000.0);
      eb_uint(&a, 0x9F, ch);
      eb_master(&te, 0xE1, &a);
    } else {
      eb_uint(&te, 0x83, 1); /* TrackType video */
      eb_str(&te, 0x86,
             t->codec == RTC_MEDIA_CODEC_VP8    ? "V_VP8"
             : t->codec == RTC_MEDIA_CODEC_VP9  ? "V_VP9"
             : t->codec == RTC_MEDIA_CODEC_H264 ? "V_MPEG4/ISO/AVC"
                                                : "V_AV1");
      if (t->codec == RTC_MEDIA_CODEC_H264)
        eb_bin(&te, 0x63A2, w->avcc[i], w->avcc_len[i]); /* CodecPrivate */
      if (t->width && t->height) {
        eb_t v = {0};
        eb_uint(&v, 0xB0, t->width);
        eb_uint(&v, 0xBA, t->height);
        eb_master(&te, 0xE0, &v);
      }
    }
    eb_master(&tracks, 0xAE, &te);
  }
  eb_master(&e, ID_TRACKS, &tracks);
  if (e.over || hdr.over || tracks.over) return RTC_ENOMEM;
  (void)seg_data;
  return out_put(w, e.b, e.n);
}

int rtc_record_webm_create(const rtc_record_webm_track_t *tracks, size_t n, uint32_t cluster_ms,
                           rtc_record_webm_t **out) {
  if (!out) return RTC_EINVAL;
  *out = NULL;
  if (!tracks || n == 0 || n > RTC_RECORD_WEBM_MAX_TRACKS) return RTC_EINVAL;
  for (size_t i = 0; i < n; i++)
    if (!codec_ok(&tracks[i])) return RTC_EINVAL;
  rtc_record_webm_t *w = calloc(1, sizeof *w);
  if (!w) return RTC_ENOMEM;
  memcpy(w->tracks, tracks, n * sizeof *tracks);
  w->ntracks = n;
  for (size_t i = 0; i < n; i++) {
    w->tracks[i].codec_private = NULL; /* borrowed: copied below where needed */
    if (tracks[i].codec != RTC_MEDIA_CODEC_H264) continue;
    w->avcc[i] = malloc(tracks[i].codec_private_len);
    if (!w->avcc[i]) {
      rtc_record_webm_destroy(w);
      return RTC_ENOMEM;
    }
    memcpy(w->avcc[i], tracks[i].codec_private, tracks[i].codec_private_len);
    w->avcc_len[i] = tracks[i].codec_private_len;
  }
  w->cluster_ms = cluster_ms ? cluster_ms : 1000;
  for (size_t i = 0; i < n; i++) {
    w->last_ms[i] = INT64_MIN;
    if (tracks[i].codec != RTC_MEDIA_CODEC_OPUS) w->has_video = true;
  }
  int rc = write_header(w);
  if (rc) {
    rtc_record_webm_destroy(w);
    return rc;
  }
  *out = w;
  return 0;
}

void rtc_record_webm_destroy(rtc_record_webm_t *w) {
  if (!w) return;
  rtc__media_out_free(&w->out);
  for (size_t i = 0; i < RTC_RECORD_WEBM_MAX_TRACKS; i++)
    free(w->avcc[i]);
  free(w->cues);
  free(w->patches);
  free(w);
}

static uint64_t seg_data_start(const rtc_record_webm_t *w) { return w->seg_size_off + 8; }

static int open_cluster(rtc_record_webm_t *w, int64_t time_ms) {
  if (w->ncues == w->cap_cues) {
    size_t nc = w->cap_cues ? w->cap_cues * 2 : 64;
    cue_t *c = realloc(w->cues, nc * sizeof *c);
    if (!c) return RTC_ENOMEM;
    w->cues = c;
    w->cap_cues = nc;
  }
  if (time_ms < 0) time_ms = 0;
  eb_t e;
  e.n = 0, e.over = false; /* per cluster and frame: not worth zeroing 1 KiB */
  eb_id(&e, ID_CLUSTER);
  eb_size(&e, 0x00FFFFFFFFFFFFFFull, 8);
  eb_uint(&e, 0xE7, (uint64_t)time_ms); /* Timestamp */
  cue_t *c = &w->cues[w->ncues];
  c->time_ms = time_ms;
  c->pos = w->total - seg_data_start(w);
  c->size_off = w->total + 4;
  int rc = out_put(w, e.b, e.n);
  if (rc) return rc;
  w->ncues++;
  w->in_cluster = true;
  w->cluster_ms_start = time_ms;
  return 0;
}

int rtc_record_webm_write(rtc_record_webm_t *w, unsigned track, const uint8_t *p, size_t len,
                          int64_t time_ms, bool keyframe) {
  if (!w) return RTC_EINVAL;
  if (w->finished) return RTC_ESTATE;
  if (track < 1 || track > w->ntracks || !p || len == 0 || len > (1u << 30)) return RTC_EINVAL;
  if (time_ms < w->last_ms[track - 1]) return RTC_EINVAL;
  bool audio = w->tracks[track - 1].codec == RTC_MEDIA_CODEC_OPUS;
  if (audio) keyframe = true;
  int64_t rel = w->in_cluster ? time_ms - w->cluster_ms_start : 0;
  bool open = !w->in_cluster;
  if (w->in_cluster) {
    /* Clusters start at video keyframes when there is video (so each is a seek point),
     * else every cluster_ms; at most 2x that between them either way. */
    if (rel >= (int64_t)w->cluster_ms * 2 || rel > 30000 || rel < -30000)
      open = true;
    else if (rel >= (int64_t)w->cluster_ms && keyframe && (!w->has_video || !audio))
      open = true;
  }
  if (open) {
    int rc = open_cluster(w, time_ms);
    if (rc) return rc;
    rel = time_ms - w->cluster_ms_start;
  }
  /* H.264: Annex-B start codes become 4-byte lengths (lengthSizeMinusOne 3). */
  bool avc = w->tracks[track - 1].codec == RTC_MEDIA_CODEC_H264;
  size_t body = avc ? rtc_record_codec_avc_size(p, len) : len;
  if (!body) return RTC_EINVAL;
  eb_t e;
  e.n = 0, e.over = false;
  eb_id(&e, 0xA3); /* SimpleBlock */
  eb_size(&e, body + 4, 0);
  uint8_t bh[4] = {(uint8_t)(0x80 | track), (uint8_t)((uint16_t)(int16_t)rel >> 8),
                   (uint8_t)(int16_t)rel, (uint8_t)(keyframe ? 0x80 : 0)};
  eb_put(&e, bh, 4);
  if (rtc__media_out_reserve(&w->out, e.n + body) != 0) return RTC_ENOMEM;
  out_put(w, e.b, e.n);
  if (avc) {
    rtc_record_codec_avc_put(&w->out, p, len);
    w->total += body;
  } else {
    out_put(w, p, len);
  }
  w->last_ms[track - 1] = time_ms;
  return 0;
}

static void patch_size8(rtc_record_webm_patch_t *pt, uint64_t off, uint64_t v) {
  pt->offset = off;
  pt->len = 8;
  for (int i = 0; i < 8; i++)
    pt->bytes[i] = (uint8_t)(v >> (8 * (7 - i)));
  pt->bytes[0] = 0x01; /* 8-byte vint marker (sizes stay below 2^56) */
}

int rtc_record_webm_finish(rtc_record_webm_t *w, int64_t end_ms) {
  if (!w) return RTC_EINVAL;
  if (w->finished) return 0;
  uint64_t cues_start = w->total;
  /* Cues: one CuePoint per cluster, pointing at the first video track (or audio). */
  /* Two passes over one small builder: the sizes first (the Cues' size goes first). */
  rtc_media_out_t *o = &w->out;
  unsigned cue_track = 1;
  for (size_t i = 0; i < w->ntracks; i++)
    if (w->tracks[i].codec != RTC_MEDIA_CODEC_OPUS) {
      cue_track = (unsigned)i + 1;
      break;
    }
  size_t body = 0;
  int rc = 0;
  for (int pass = 0; pass < 2 && w->ncues && !rc; pass++) {
    if (pass == 1) {
      eb_t h = {0};
      eb_id(&h, ID_CUES);
      eb_size(&h, body, 8);
      rc = rtc__media_out_reserve(o, h.n + body);
      if (rc) break;
      out_put(w, h.b, h.n);
    }
    for (size_t i = 0; i < w->ncues; i++) {
      eb_t tp = {0}, cp = {0}, pt = {0};
      eb_uint(&tp, 0xF7, cue_track);
      eb_uint(&tp, 0xF1, w->cues[i].pos);
      eb_uint(&cp, 0xB3, (uint64_t)w->cues[i].time_ms);
      eb_master(&cp, 0xB7, &tp);
      eb_master(&pt, 0xBB, &cp);
      if (pass == 0)
        body += pt.n;
      else
        out_put(w, pt.b, pt.n);
    }
  }
  if (rc) return RTC_ENOMEM;
  w->patches = calloc(w->ncues + 2, sizeof *w->patches);
  if (!w->patches) return RTC_ENOMEM;
  size_t k = 0;
  patch_size8(&w->patches[k++], w->seg_size_off, w->total - seg_data_start(w));
  double d = end_ms > 0 ? (double)end_ms : 0.0;
  uint64_t v;
  memcpy(&v, &d, 8);
  rtc_record_webm_patch_t *pd = &w->patches[k++];
  pd->offset = w->duration_off;
  pd->len = 8;
  for (int i = 0; i < 8; i++)
    pd->bytes[i] = (uint8_t)(v >> (8 * (7 - i)));
  for (size_t i = 0; i < w->ncues; i++) {
    uint64_t end = i + 1 < w->ncues ? w->cues[i + 1].pos + seg_data_start(w) : cues_start;
    uint64_t data = w->cues[i].size_off + 8;
    patch_size8(&w->patches[k++], w->cues[i].size_off, end - data);
  }
  w->npatches = k;
  w->finished = true;
  return 0;
}

rtc_media_out_t *rtc_record_webm_out(rtc_record_webm_t *w) { return w ? &w->out : NULL; }
uint64_t rtc_record_webm_size(const rtc_record_webm_t *w) { return w ? w->total : 0; }
const rtc_record_webm_patch_t *rtc_record_webm_patches(const rtc_record_webm_t *w, size_t *n) {
  if (n) *n = w && w->finished ? w->npatches : 0;
  return w && w->finished ? w->patches : NULL;
}
