/* Fragmented MP4 muxer: see rtc_record_mp4.h. Box layouts from ISO/IEC 14496-12 (ftyp,
 * moov, mvex/trex, moof/traf/tfhd/tfdt/trun, mfra/tfra/mfro), 14496-15 5.3 (avc3, avcC),
 * the VP Codec ISO Media File Format Binding (vp09, vpcC version 1) and the Encapsulation of
 * Opus in ISO Base Media File Format (Opus, dOps; 4.4 edts/elst; 4.3.6.2 the 'roll' sample
 * group). */
#include "record/rtc_record_mp4.h"

#include <stdlib.h>
#include <string.h>

#include "base/rtc_err.h"
#include "media/rtc_media_internal.h"
#include "media/rtc_media_ogg.h"

#define MOVIE_TIMESCALE 1000
#define FRAG_MAX_SAMPLES 1024      /* per track: a sender stuck on one timestamp */
#define FRAG_MAX_BYTES (16u << 20) /* per fragment: it is held in memory until complete */

/* trun/tfhd sample flags (14496-12 8.8.3.1): a sync sample depends on no other; any other
 * depends on others and is not a sync sample. */
#define FLAGS_SYNC 0x02000000u
#define FLAGS_NON_SYNC 0x01010000u

/* A growable box builder: boxes are opened (size left 0) and closed (size filled in). */
typedef struct bx {
  uint8_t *b;
  size_t n, cap;
  bool oom;
} bx_t;

static void bx_put(bx_t *x, const void *p, size_t n) {
  if (x->oom) return;
  if (x->n + n > x->cap) {
    size_t nc = x->cap ? x->cap : 512;
    while (nc < x->n + n)
      nc *= 2;
    uint8_t *nb = realloc(x->b, nc);
    if (!nb) {
      x->oom = true;
      return;
    }
    x->b = nb;
    x->cap = nc;
  }
  if (p)
    memcpy(x->b + x->n, p, n);
  else
    memset(x->b + x->n, 0, n);
  x->n += n;
}
static void bx_u8(bx_t *x, uint8_t v) { bx_put(x, &v, 1); }
static void bx_u16(bx_t *x, uint16_t v) {
  uint8_t t[2] = {(uint8_t)(v >> 8), (uint8_t)v};
  bx_put(x, t, 2);
}
static void bx_u32(bx_t *x, uint32_t v) {
  uint8_t t[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
  bx_put(x, t, 4);
}
static void bx_u64(bx_t *x, uint64_t v) {
  bx_u32(x, (uint32_t)(v >> 32));
  bx_u32(x, (uint32_t)v);
}
static void bx_zero(bx_t *x, size_t n) { bx_put(x, NULL, n); }
static size_t bx_open(bx_t *x, const char *type) {
  size_t at = x->n;
  bx_u32(x, 0);
  bx_put(x, type, 4);
  return at;
}
static size_t bx_full(bx_t *x, const char *type, uint8_t version, uint32_t flags) {
  size_t at = bx_open(x, type);
  bx_u32(x, (uint32_t)version << 24 | flags);
  return at;
}
static void bx_close(bx_t *x, size_t at) {
  if (x->oom) return;
  uint32_t n = (uint32_t)(x->n - at);
  uint8_t *p = x->b + at;
  p[0] = (uint8_t)(n >> 24), p[1] = (uint8_t)(n >> 16), p[2] = (uint8_t)(n >> 8), p[3] = (uint8_t)n;
}
static void bx_matrix(bx_t *x) { /* unity (14496-12 8.2.2.3) */
  static const uint32_t m[9] = {0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000};
  for (int i = 0; i < 9; i++)
    bx_u32(x, m[i]);
}

typedef struct sample {
  uint32_t size, dur, flags;
  uint32_t est; /* the duration to give it when it ends a fragment without a successor */
} sample_t;

typedef struct ra { /* a tfra entry: a fragment where the track starts at a sync sample */
  uint64_t time, moof_off;
  uint8_t traf;
} ra_t;

typedef struct mtrack {
  rtc_record_mp4_track_t cfg;
  uint8_t *conf; /* H.264: the avcC; AV1: the sequence header OBU (owned) */
  size_t conf_len;
  rtc_record_codec_av1_t av1;
  rtc_record_codec_vp9_t vp9;
  uint32_t timescale;
  bool video;
  int64_t last_us;
  uint64_t last_tick;                /* decode time of the latest sample */
  bool any;                          /* a sample written (last_tick valid) */
  uint32_t last_dur;                 /* latest known interval: the video estimate */
  uint64_t end_tick;                 /* end of the latest queued sample */
  size_t tkhd_dur_off, mdhd_dur_off; /* where the durations are (patched at finish) */
  /* Opus: the pre-skip. The elst's media_time hides it, so every sample's decode time is
   * that much later: a packet still plays at its time, its first pre_skip samples cut. */
  uint64_t tick_off;
  int16_t roll;     /* Opus: the roll group's roll_distance (packets, negative) */
  uint64_t written; /* samples queued in fragments before the current one */
  /* the current fragment */
  sample_t *s;
  size_t ns, cap_s;
  uint64_t first_tick;
  rtc_media_out_t data;
  ra_t *ra;
  size_t nra, cap_ra;
} mtrack_t;

struct rtc_record_mp4 {
  mtrack_t t[RTC_RECORD_MP4_MAX_TRACKS];
  size_t n;
  bool has_video, finished;
  uint32_t frag_ms;
  uint32_t seq; /* fragments queued */
  int64_t frag_start_us;
  size_t frag_bytes;
  rtc_media_out_t out;
  uint64_t total;
  size_t mvhd_dur_off, mehd_dur_off;
  rtc_record_webm_patch_t patches[2 + 2 * RTC_RECORD_MP4_MAX_TRACKS];
  size_t npatches;
};

static int out_bx(rtc_record_mp4_t *m, bx_t *x) {
  int rc = x->oom ? RTC_ENOMEM : rtc__media_out_append(&m->out, x->b, x->n);
  if (!rc) m->total += x->n;
  free(x->b);
  x->b = NULL;
  return rc;
}

static bool track_ok(const rtc_record_mp4_track_t *t) {
  if (t->codec == RTC_MEDIA_CODEC_H264)
    return t->codec_private && t->codec_private_len >= 7 && t->codec_private_len <= 0xffff;
  if (t->codec == RTC_MEDIA_CODEC_AV1)
    return t->av1 && t->av1->seq && t->av1->seq_len >= 2 && t->av1->seq_len <= 0xffff;
  /* Opus: dOps with ChannelMappingFamily 0, which holds mono or stereo only */
  if (t->codec == RTC_MEDIA_CODEC_OPUS) return t->channels <= 2;
  return t->codec == RTC_MEDIA_CODEC_VP9;
}

/* vpcC level (VP9 levels table, by picture size only: the rate is not known up front). */
static uint8_t vp9_level(uint32_t w, uint32_t h) {
  static const struct {
    uint32_t samples;
    uint8_t level;
  } lv[] = {{36864, 10},  {73728, 11},   {122880, 20},  {245760, 21},  {552960, 30},
            {983040, 31}, {2228224, 40}, {8912896, 50}, {35651584, 60}};
  uint32_t s = w * h;
  for (size_t i = 0; i < sizeof lv / sizeof *lv; i++)
    if (s <= lv[i].samples) return lv[i].level;
  return 62;
}

static void write_video_entry(bx_t *x, const mtrack_t *t) {
  bool avc = t->cfg.codec == RTC_MEDIA_CODEC_H264, av1 = t->cfg.codec == RTC_MEDIA_CODEC_AV1;
  /* H.264: avc3, not avc1. A WebRTC sender changes resolution mid-call (libwebrtc under
   * bandwidth pressure: a new SPS and PPS, same ids, before a later IDR), and the moov is
   * written before any of that is known: an avc1 entry must hold every parameter set the
   * stream uses, one avcC cannot hold two SPS with one id, and a second sample entry
   * cannot be added behind the moov. avc3 (14496-15) lets the samples carry parameter
   * sets that replace the entry's; ours keeps the first SPS/PPS, so that readers know the
   * first size up front. */
  size_t e = bx_open(x, avc ? "avc3" : av1 ? "av01" : "vp09");
  bx_zero(x, 6);
  bx_u16(x, 1);   /* data_reference_index */
  bx_zero(x, 16); /* pre_defined, reserved */
  bx_u16(x, t->cfg.width);
  bx_u16(x, t->cfg.height);
  bx_u32(x, 0x00480000); /* 72 dpi */
  bx_u32(x, 0x00480000);
  bx_u32(x, 0);
  bx_u16(x, 1); /* frame_count */
  uint8_t name[32] = {0};
  bx_put(x, name, 32); /* compressorname: empty */
  bx_u16(x, 0x0018);   /* depth */
  bx_u16(x, 0xffff);   /* pre_defined -1 */
  if (avc) {
    size_t c = bx_open(x, "avcC");
    bx_put(x, t->conf, t->conf_len);
    bx_close(x, c);
  } else if (av1) { /* AV1CodecConfigurationRecord (AV1-ISOBMFF 2.3.3) */
    const rtc_record_codec_av1_t *v = &t->av1;
    size_t c = bx_open(x, "av1C");
    bx_u8(x, 0x81); /* marker, version 1 */
    bx_u8(x, (uint8_t)(v->profile << 5 | (v->level & 0x1f)));
    bx_u8(x,
          (uint8_t)(v->tier << 7 | v->high_bitdepth << 6 | v->twelve_bit << 5 | v->monochrome << 4 |
                    v->ss_x << 3 | v->ss_y << 2 | (v->chroma_sample_position & 3)));
    bx_u8(x, 0);                     /* no initial_presentation_delay */
    bx_put(x, t->conf, t->conf_len); /* configOBUs: the sequence header */
    bx_close(x, c);
  } else {
    const rtc_record_codec_vp9_t *v = &t->vp9;
    size_t c = bx_full(x, "vpcC", 1, 0);
    bx_u8(x, v->profile);
    bx_u8(x, vp9_level(t->cfg.width, t->cfg.height));
    bx_u8(x, (uint8_t)(v->bit_depth << 4 | v->subsampling << 1 | (v->full_range ? 1 : 0)));
    /* colour_primaries, transfer_characteristics, matrix_coefficients (ISO/IEC 23091-2):
     * BT.709 when the stream says so, sRGB's identity matrix, else unspecified (2). */
    uint8_t cp = v->color_space == 2 ? 1 : 2, tc = cp,
            mc = v->color_space == 2   ? 1
                 : v->color_space == 1 ? 6
                 : v->color_space == 7 ? 0
                                       : 2;
    bx_u8(x, cp);
    bx_u8(x, tc);
    bx_u8(x, mc);
    bx_u16(x, 0); /* codecInitializationDataSize: VP9 has none */
    bx_close(x, c);
  }
  bx_close(x, e);
}

static void write_opus_entry(bx_t *x, const mtrack_t *t) {
  uint8_t ch = t->cfg.channels ? t->cfg.channels : 2;
  size_t e = bx_open(x, "Opus");
  bx_zero(x, 6);
  bx_u16(x, 1); /* data_reference_index */
  bx_zero(x, 8);
  bx_u16(x, ch);
  bx_u16(x, 16); /* samplesize */
  bx_zero(x, 4);
  bx_u32(x, 48000u << 16); /* samplerate 16.16 */
  size_t d = bx_open(x, "dOps");
  bx_u8(x, 0); /* Version */
  bx_u8(x, ch);
  bx_u16(x, t->cfg.pre_skip);
  bx_u32(x, 48000); /* InputSampleRate */
  bx_u16(x, 0);     /* OutputGain */
  bx_u8(x, 0);      /* ChannelMappingFamily 0: mono or stereo, no table */
  bx_close(x, d);
  bx_close(x, e);
}

static void write_trak(bx_t *x, mtrack_t *t, uint32_t id) {
  size_t trak = bx_open(x, "trak");
  /* version 1 (64-bit times), as mvhd: the duration in ms is only known at finish, and
   * 32 bits of it are 49.7 days */
  size_t tkhd = bx_full(x, "tkhd", 1, 3); /* enabled, in movie */
  bx_zero(x, 16);                         /* creation, modification time */
  bx_u32(x, id);
  bx_zero(x, 4); /* reserved */
  t->tkhd_dur_off = x->n;
  bx_zero(x, 8 + 8); /* duration (patched at finish: 0 until then), reserved */
  bx_u16(x, 0);      /* layer */
  bx_u16(x, 0);      /* alternate_group */
  bx_u16(x, t->video ? 0 : 0x0100);
  bx_u16(x, 0);
  bx_matrix(x);
  bx_u32(x, t->video ? (uint32_t)t->cfg.width << 16 : 0);
  bx_u32(x, t->video ? (uint32_t)t->cfg.height << 16 : 0);
  bx_close(x, tkhd);
  if (t->tick_off) {
    /* Opus 4.4: an edit that starts the presentation after the pre-skip. segment_duration
     * 0: the whole media, what the Opus mapping names for fragments made on the fly (our
     * files may be killed before any duration is known). Version 1: 64-bit fields. */
    size_t edts = bx_open(x, "edts");
    size_t elst = bx_full(x, "elst", 1, 0);
    bx_u32(x, 1);
    bx_u64(x, 0);           /* segment_duration */
    bx_u64(x, t->tick_off); /* media_time */
    bx_u32(x, 0x00010000);  /* media_rate 1.0 */
    bx_close(x, elst);
    bx_close(x, edts);
  }
  size_t mdia = bx_open(x, "mdia");
  /* version 1: a 64-bit duration, as 2^32 ticks at 90 kHz are only 13.25 h */
  size_t mdhd = bx_full(x, "mdhd", 1, 0);
  bx_zero(x, 16); /* creation, modification time */
  bx_u32(x, t->timescale);
  t->mdhd_dur_off = x->n;
  bx_u64(x, 0);      /* duration: patched at finish */
  bx_u16(x, 0x55c4); /* language "und" (ISO 639-2/T, 5 bits a letter) */
  bx_u16(x, 0);
  bx_close(x, mdhd);
  size_t hdlr = bx_full(x, "hdlr", 0, 0);
  bx_u32(x, 0);
  bx_put(x, t->video ? "vide" : "soun", 4);
  bx_zero(x, 12);
  const char *name = t->video ? "VideoHandler" : "SoundHandler";
  bx_put(x, name, strlen(name) + 1);
  bx_close(x, hdlr);
  size_t minf = bx_open(x, "minf");
  if (t->video) {
    size_t v = bx_full(x, "vmhd", 0, 1);
    bx_zero(x, 8); /* graphicsmode, opcolor */
    bx_close(x, v);
  } else {
    size_t s = bx_full(x, "smhd", 0, 0);
    bx_zero(x, 4); /* balance, reserved */
    bx_close(x, s);
  }
  size_t dinf = bx_open(x, "dinf");
  size_t dref = bx_full(x, "dref", 0, 0);
  bx_u32(x, 1);
  bx_close(x, bx_full(x, "url ", 0, 1)); /* the media is in this file */
  bx_close(x, dref);
  bx_close(x, dinf);
  size_t stbl = bx_open(x, "stbl");
  size_t stsd = bx_full(x, "stsd", 0, 0);
  bx_u32(x, 1);
  if (t->video)
    write_video_entry(x, t);
  else
    write_opus_entry(x, t);
  bx_close(x, stsd);
  /* empty sample tables: every sample is in the fragments */
  size_t b = bx_full(x, "stts", 0, 0);
  bx_u32(x, 0);
  bx_close(x, b);
  b = bx_full(x, "stsc", 0, 0);
  bx_u32(x, 0);
  bx_close(x, b);
  b = bx_full(x, "stsz", 0, 0);
  bx_u64(x, 0); /* sample_size, sample_count */
  bx_close(x, b);
  b = bx_full(x, "stco", 0, 0);
  bx_u32(x, 0);
  bx_close(x, b);
  if (!t->video) {
    /* Opus 4.3.6.2: the pre-roll (80 ms) as an AudioRollRecoveryEntry, in a sample group
     * the stbl shall hold (the samples map to it in each traf's sbgp) */
    b = bx_full(x, "sgpd", 1, 0);
    bx_put(x, "roll", 4);
    bx_u32(x, 2); /* default_length */
    bx_u32(x, 1); /* entry_count */
    bx_u16(x, (uint16_t)t->roll);
    bx_close(x, b);
    b = bx_full(x, "sbgp", 0, 0);
    bx_put(x, "roll", 4);
    bx_u32(x, 0); /* every sample is in a fragment */
    bx_close(x, b);
  }
  bx_close(x, stbl);
  bx_close(x, minf);
  bx_close(x, mdia);
  bx_close(x, trak);
}

static int write_header(rtc_record_mp4_t *m) {
  bx_t x = {0};
  size_t ftyp = bx_open(&x, "ftyp");
  bx_put(&x, "isom", 4);
  bx_u32(&x, 0x200);
  /* iso6: tfdt and default-base-is-moof (iso5's features), what MSE players expect */
  bx_put(&x, "isomiso6mp41", 12);
  bool avc1 = false, av01 = false;
  for (size_t i = 0; i < m->n; i++) {
    avc1 |= m->t[i].cfg.codec == RTC_MEDIA_CODEC_H264;
    av01 |= m->t[i].cfg.codec == RTC_MEDIA_CODEC_AV1;
  }
  if (avc1) bx_put(&x, "avc1", 4);
  if (av01) bx_put(&x, "av01", 4); /* AV1-ISOBMFF 2.1 */
  bx_close(&x, ftyp);
  size_t moov = bx_open(&x, "moov");
  /* version 1: the duration (ms, patched at finish) in 64 bits, as a recording may run
   * longer than the 49.7 days 32 bits hold; whether it will is not known now */
  size_t mvhd = bx_full(&x, "mvhd", 1, 0);
  bx_zero(&x, 16); /* creation, modification time */
  bx_u32(&x, MOVIE_TIMESCALE);
  m->mvhd_dur_off = x.n;
  bx_u64(&x, 0);          /* duration: 0 until finish patches it; the fragments hold it */
  bx_u32(&x, 0x00010000); /* rate 1.0 */
  bx_u16(&x, 0x0100);     /* volume 1.0 */
  bx_zero(&x, 10);
  bx_matrix(&x);
  bx_zero(&x, 24); /* pre_defined */
  bx_u32(&x, (uint32_t)m->n + 1);
  bx_close(&x, mvhd);
  for (size_t i = 0; i < m->n; i++)
    write_trak(&x, &m->t[i], (uint32_t)i + 1);
  size_t mvex = bx_open(&x, "mvex");
  /* mehd: the whole duration, patched at finish (0 in a file that was never finished) */
  size_t mehd = bx_full(&x, "mehd", 1, 0);
  m->mehd_dur_off = x.n;
  bx_u64(&x, 0);
  bx_close(&x, mehd);
  for (size_t i = 0; i < m->n; i++) {
    size_t trex = bx_full(&x, "trex", 0, 0);
    bx_u32(&x, (uint32_t)i + 1);
    bx_u32(&x, 1); /* default_sample_description_index */
    bx_zero(&x, 12);
    bx_close(&x, trex);
  }
  bx_close(&x, mvex);
  bx_close(&x, moov);
  return out_bx(m, &x);
}

int rtc_record_mp4_create(const rtc_record_mp4_track_t *tracks, size_t n, uint32_t fragment_ms,
                          rtc_record_mp4_t **out) {
  if (!out) return RTC_EINVAL;
  *out = NULL;
  if (!tracks || n == 0 || n > RTC_RECORD_MP4_MAX_TRACKS) return RTC_EINVAL;
  for (size_t i = 0; i < n; i++)
    if (!track_ok(&tracks[i])) return RTC_EINVAL;
  rtc_record_mp4_t *m = calloc(1, sizeof *m);
  if (!m) return RTC_ENOMEM;
  m->n = n;
  m->frag_ms = fragment_ms ? fragment_ms : 1000;
  for (size_t i = 0; i < n; i++) {
    mtrack_t *t = &m->t[i];
    t->cfg = tracks[i];
    t->cfg.codec_private = NULL; /* borrowed: copied below */
    t->cfg.vp9 = NULL;
    t->cfg.av1 = NULL;
    t->video = tracks[i].codec != RTC_MEDIA_CODEC_OPUS;
    t->timescale = t->video ? 90000 : 48000;
    if (t->video) m->has_video = true;
    if (tracks[i].codec == RTC_MEDIA_CODEC_OPUS) {
      t->tick_off = tracks[i].pre_skip;
      uint32_t frame = tracks[i].opus_frame ? tracks[i].opus_frame : 960;
      t->roll = (int16_t)(-(int32_t)((3840 + frame - 1) / frame)); /* 80 ms at 48 kHz */
    }
    t->vp9 = (rtc_record_codec_vp9_t){.bit_depth = 8, .subsampling = 1};
    if (tracks[i].vp9) t->vp9 = *tracks[i].vp9;
    const uint8_t *conf = NULL;
    size_t conf_len = 0;
    if (tracks[i].codec == RTC_MEDIA_CODEC_H264) {
      conf = tracks[i].codec_private;
      conf_len = tracks[i].codec_private_len;
    } else if (tracks[i].codec == RTC_MEDIA_CODEC_AV1) {
      t->av1 = *tracks[i].av1;
      conf = t->av1.seq;
      conf_len = t->av1.seq_len;
      t->av1.seq = NULL; /* borrowed: the copy is conf */
    }
    if (!conf) continue;
    t->conf = malloc(conf_len);
    if (!t->conf) {
      rtc_record_mp4_destroy(m);
      return RTC_ENOMEM;
    }
    memcpy(t->conf, conf, conf_len);
    t->conf_len = conf_len;
  }
  int rc = write_header(m);
  if (rc) {
    rtc_record_mp4_destroy(m);
    return rc;
  }
  *out = m;
  return 0;
}

void rtc_record_mp4_destroy(rtc_record_mp4_t *m) {
  if (!m) return;
  for (size_t i = 0; i < RTC_RECORD_MP4_MAX_TRACKS; i++) {
    free(m->t[i].conf);
    free(m->t[i].s);
    free(m->t[i].ra);
    rtc__media_out_free(&m->t[i].data);
  }
  rtc__media_out_free(&m->out);
  free(m);
}

/* Queues the fragment gathered so far (moof + mdat) and empties it. */
static int flush_fragment(rtc_record_mp4_t *m) {
  size_t data = 0;
  for (size_t i = 0; i < m->n; i++)
    data += m->t[i].data.len - m->t[i].data.off;
  if (!data) return 0;
  /* tfra entries first, so that a failure leaves nothing half done */
  for (size_t i = 0; i < m->n; i++) {
    mtrack_t *t = &m->t[i];
    if (t->ns && t->nra == t->cap_ra) {
      size_t nc = t->cap_ra ? t->cap_ra * 2 : 64;
      ra_t *r = realloc(t->ra, nc * sizeof *r);
      if (!r) return RTC_ENOMEM;
      t->ra = r;
      t->cap_ra = nc;
    }
  }
  uint64_t moof_off = m->total;
  bx_t x = {0};
  size_t moof = bx_open(&x, "moof");
  size_t mfhd = bx_full(&x, "mfhd", 0, 0);
  bx_u32(&x, m->seq + 1); /* sequence_number, from 1 */
  bx_close(&x, mfhd);
  size_t data_off_at[RTC_RECORD_MP4_MAX_TRACKS] = {0};
  uint8_t traf_no = 0;
  for (size_t i = 0; i < m->n; i++) {
    mtrack_t *t = &m->t[i];
    if (!t->ns) continue;
    traf_no++;
    size_t traf = bx_open(&x, "traf");
    /* default-base-is-moof (0x020000): data offsets count from this moof's first byte;
     * audio: every sample a sync sample by default (0x000020) */
    size_t tfhd = bx_full(&x, "tfhd", 0, t->video ? 0x020000 : 0x020020);
    bx_u32(&x, (uint32_t)i + 1);
    if (!t->video) bx_u32(&x, FLAGS_SYNC);
    bx_close(&x, tfhd);
    size_t tfdt = bx_full(&x, "tfdt", 1, 0);
    bx_u64(&x, t->first_tick);
    bx_close(&x, tfdt);
    /* data-offset, sample-duration, sample-size (and video: sample-flags) present */
    size_t trun = bx_full(&x, "trun", 0, t->video ? 0x000701 : 0x000301);
    bx_u32(&x, (uint32_t)t->ns);
    data_off_at[i] = x.n;
    bx_u32(&x, 0); /* data_offset, filled in below */
    t->end_tick = t->first_tick;
    for (size_t k = 0; k < t->ns; k++) {
      t->end_tick += t->s[k].dur;
      bx_u32(&x, t->s[k].dur);
      bx_u32(&x, t->s[k].size);
      if (t->video) bx_u32(&x, t->s[k].flags);
    }
    bx_close(&x, trun);
    if (!t->video) {
      /* the roll group (sgpd entry 1) for every sample, but the track's first ones: no
       * packet before them to roll back to (as ffmpeg's muxer does) */
      uint64_t lead = t->written < (uint64_t)-t->roll ? (uint64_t)-t->roll - t->written : 0;
      if (lead > t->ns) lead = t->ns;
      size_t sbgp = bx_full(&x, "sbgp", 0, 0);
      bx_put(&x, "roll", 4);
      bx_u32(&x, (lead ? 1u : 0u) + (lead < t->ns ? 1u : 0u));
      if (lead) {
        bx_u32(&x, (uint32_t)lead);
        bx_u32(&x, 0);
      }
      if (lead < t->ns) {
        bx_u32(&x, (uint32_t)(t->ns - lead));
        bx_u32(&x, 1);
      }
      bx_close(&x, sbgp);
    }
    bx_close(&x, traf);
    if (t->video ? t->s[0].flags == FLAGS_SYNC : true)
      t->ra[t->nra++] = (ra_t){.time = t->first_tick, .moof_off = moof_off, .traf = traf_no};
  }
  bx_close(&x, moof);
  if (x.oom) {
    free(x.b);
    return RTC_ENOMEM;
  }
  /* each track's samples lie together in the mdat, in track order */
  uint64_t off = x.n + 8;
  for (size_t i = 0; i < m->n; i++) {
    mtrack_t *t = &m->t[i];
    if (!t->ns) continue;
    uint8_t *p = x.b + data_off_at[i];
    p[0] = (uint8_t)(off >> 24), p[1] = (uint8_t)(off >> 16), p[2] = (uint8_t)(off >> 8);
    p[3] = (uint8_t)off;
    off += t->data.len - t->data.off;
  }
  bx_u32(&x, (uint32_t)(8 + data));
  bx_put(&x, "mdat", 4);
  if (x.oom || rtc__media_out_reserve(&m->out, x.n + data) != 0) {
    free(x.b);
    return RTC_ENOMEM;
  }
  out_bx(m, &x);
  for (size_t i = 0; i < m->n; i++) {
    mtrack_t *t = &m->t[i];
    const uint8_t *p;
    size_t len = rtc_media_out_peek(&t->data, &p);
    rtc__media_out_append(&m->out, p, len);
    rtc_media_out_consume(&t->data, len);
    t->data.len = t->data.off = 0;
    m->total += len;
    t->written += t->ns;
    t->ns = 0;
  }
  m->frag_bytes = 0;
  m->seq++;
  return 0;
}

/* A trun sample duration: a gap of 2^32 ticks or more (13.25 h at 90 kHz, a track silent
 * that long) is held at the most 32 bits say rather than wrapped (to any value, 0
 * included); the next fragment's tfdt puts the next sample at its time anyway. */
static uint32_t dur32(uint64_t d) { return d > UINT32_MAX ? UINT32_MAX : (uint32_t)d; }

/* Closes the fragment: every track's last sample gets its duration (the trigger's from
 * its next tick, the others an estimate), then it is queued. */
static int close_fragment(rtc_record_mp4_t *m, size_t trigger, uint64_t trigger_tick) {
  for (size_t i = 0; i < m->n; i++) {
    mtrack_t *t = &m->t[i];
    if (!t->ns) continue;
    sample_t *s = &t->s[t->ns - 1];
    if (i == trigger && trigger_tick > t->last_tick)
      s->dur = dur32(trigger_tick - t->last_tick);
    else
      s->dur = s->est ? s->est : 1;
  }
  return flush_fragment(m);
}

int rtc_record_mp4_write(rtc_record_mp4_t *m, unsigned track, const uint8_t *p, size_t len,
                         int64_t time_us, bool keyframe) {
  if (!m) return RTC_EINVAL;
  if (m->finished) return RTC_ESTATE;
  if (track < 1 || track > m->n || !p || len == 0 || len > (1u << 30) || time_us < 0)
    return RTC_EINVAL;
  mtrack_t *t = &m->t[track - 1];
  if (t->any && time_us < t->last_us) return RTC_EINVAL;
  bool avc = t->cfg.codec == RTC_MEDIA_CODEC_H264, av1 = t->cfg.codec == RTC_MEDIA_CODEC_AV1;
  size_t size = avc   ? rtc_record_codec_avc_size(p, len)
                : av1 ? rtc_record_codec_av1_size(p, len)
                      : len;
  if (!size) return RTC_EINVAL;
  if (!t->video) keyframe = true;
  uint64_t us = (uint64_t)time_us, tick = t->tick_off + us / 1000000 * t->timescale +
                                          (us % 1000000 * t->timescale + 500000) / 1000000;
  if (t->any && tick <= t->last_tick) tick = t->last_tick + 1;
  /* A new fragment: at a video keyframe after about frag_ms (any frame with audio only),
   * at any frame after 2x, or when this track's part is full. "About": a sender's
   * keyframe every second comes 89999 ticks after the previous as often as 90000. */
  bool any_sample = m->frag_bytes > 0;
  int64_t held = time_us - m->frag_start_us, frag_us = (int64_t)m->frag_ms * 1000;
  if (any_sample &&
      (held >= 2 * frag_us || (t->video && keyframe && held >= frag_us - frag_us / 20) ||
       (!m->has_video && held >= frag_us) || t->ns >= FRAG_MAX_SAMPLES ||
       m->frag_bytes + size > FRAG_MAX_BYTES)) {
    int rc = close_fragment(m, track - 1, tick);
    if (rc) return rc;
  } else if (t->ns) {
    t->s[t->ns - 1].dur = dur32(tick - t->last_tick);
  }
  if (t->ns == t->cap_s) {
    size_t nc = t->cap_s ? t->cap_s * 2 : 64;
    sample_t *s = realloc(t->s, nc * sizeof *s);
    if (!s) return RTC_ENOMEM;
    t->s = s;
    t->cap_s = nc;
  }
  if (rtc__media_out_reserve(&t->data, size) != 0) return RTC_ENOMEM;
  if (avc)
    rtc_record_codec_avc_put(&t->data, p, len);
  else if (av1)
    rtc_record_codec_av1_put(&t->data, p, len);
  else
    rtc__media_out_append(&t->data, p, len);
  if (t->any) {
    uint64_t d = tick - t->last_tick;
    if (d < t->timescale) t->last_dur = (uint32_t)d; /* a gap is no frame interval */
  }
  uint32_t est = t->last_dur ? t->last_dur : t->timescale / 30;
  if (!t->video) {
    uint32_t samples = rtc_media_opus_packet_duration(p, len); /* at 48 kHz */
    est = samples ? samples : 960;
  }
  t->s[t->ns++] = (sample_t){
      .size = (uint32_t)size, .est = est, .flags = keyframe ? FLAGS_SYNC : FLAGS_NON_SYNC};
  if (t->ns == 1) t->first_tick = tick;
  if (m->frag_bytes == 0) m->frag_start_us = time_us;
  m->frag_bytes += size;
  t->last_tick = tick;
  t->last_us = time_us;
  t->any = true;
  return 0;
}

static int write_mfra(rtc_record_mp4_t *m) {
  bx_t x = {0};
  size_t mfra = bx_open(&x, "mfra");
  for (size_t i = 0; i < m->n; i++) {
    mtrack_t *t = &m->t[i];
    size_t tfra = bx_full(&x, "tfra", 1, 0);
    bx_u32(&x, (uint32_t)i + 1);
    bx_u32(&x, 0); /* traf, trun and sample numbers take 1 byte each */
    bx_u32(&x, (uint32_t)t->nra);
    for (size_t k = 0; k < t->nra; k++) {
      bx_u64(&x, t->ra[k].time);
      bx_u64(&x, t->ra[k].moof_off);
      bx_u8(&x, t->ra[k].traf);
      bx_u8(&x, 1); /* trun_number */
      bx_u8(&x, 1); /* sample_number */
    }
    bx_close(&x, tfra);
  }
  size_t mfro = bx_full(&x, "mfro", 0, 0);
  bx_u32(&x, 0); /* patched below: the whole mfra's size, for readers starting at the end */
  bx_close(&x, mfro);
  bx_close(&x, mfra);
  if (!x.oom) {
    uint32_t n = (uint32_t)x.n;
    uint8_t *p = x.b + x.n - 4;
    p[0] = (uint8_t)(n >> 24), p[1] = (uint8_t)(n >> 16), p[2] = (uint8_t)(n >> 8),
    p[3] = (uint8_t)n;
  }
  return out_bx(m, &x);
}

/* A big-endian field of len bytes at off (clamped to all ones when it does not fit). */
static void patch(rtc_record_mp4_t *m, uint64_t off, uint64_t v, uint8_t len) {
  if (len < 8 && v >> (8 * len)) v = (1ull << (8 * len)) - 1;
  rtc_record_webm_patch_t *p = &m->patches[m->npatches++];
  p->offset = off;
  p->len = len;
  for (uint8_t i = 0; i < len; i++)
    p->bytes[i] = (uint8_t)(v >> (8 * (len - 1 - i)));
}

int rtc_record_mp4_finish(rtc_record_mp4_t *m) {
  if (!m) return RTC_EINVAL;
  if (m->finished) return 0;
  int rc = close_fragment(m, m->n, 0);
  if (!rc) rc = write_mfra(m);
  if (rc) return rc;
  /* The durations players show before reading every fragment (Chromium's <video> took
   * the first fragment's 2 s for a 10 s file without them). All four hold 64 bits. */
  uint64_t movie = 0;
  for (size_t i = 0; i < m->n; i++) {
    mtrack_t *t = &m->t[i];
    /* the presentation: after the edit (none at all for a track without samples) */
    uint64_t shown = t->end_tick > t->tick_off ? t->end_tick - t->tick_off : 0;
    uint64_t ms = (shown * MOVIE_TIMESCALE + t->timescale - 1) / t->timescale;
    if (ms > movie) movie = ms;
    patch(m, t->mdhd_dur_off, t->end_tick, 8);
    patch(m, t->tkhd_dur_off, ms, 8);
  }
  patch(m, m->mvhd_dur_off, movie, 8);
  patch(m, m->mehd_dur_off, movie, 8);
  m->finished = true;
  return 0;
}

const rtc_record_webm_patch_t *rtc_record_mp4_patches(const rtc_record_mp4_t *m, size_t *n) {
  if (n) *n = m && m->finished ? m->npatches : 0;
  return m && m->finished ? m->patches : NULL;
}

rtc_media_out_t *rtc_record_mp4_out(rtc_record_mp4_t *m) { return m ? &m->out : NULL; }
uint64_t rtc_record_mp4_size(const rtc_record_mp4_t *m) { return m ? m->total : 0; }
uint32_t rtc_record_mp4_fragments(const rtc_record_mp4_t *m) { return m ? m->seq : 0; }
