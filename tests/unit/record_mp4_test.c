/* The fragmented MP4 muxer (runtime/record/rtc_record_mp4) and the codec helpers it uses
 * (rtc_record_codec): files made from the fixture clips are parsed back box by box here
 * (ISO/IEC 14496-12 layouts), then judged by ffmpeg/ffprobe as an independent reader. */
#include <stdlib.h>
#include <string.h>

#include "base/rtc_err.h"
#include "media/rtc_media_h264.h"
#include "media/rtc_media_ivf.h"
#include "media/rtc_media_ogg.h"
#include "media_test_util.h"
#include "record/rtc_record_codec.h"
#include "record/rtc_record_mp4.h"
#include "record/rtc_record_webm.h"
#include "rtc_test.h"

/* ---- a box walker ---- */

#define MAX_BOXES 4096
typedef struct box {
  char type[5];
  size_t off, size, hdr; /* hdr: 8 (box) */
  int depth;
} box_t;
typedef struct boxes {
  box_t b[MAX_BOXES];
  int n;
  bool bad; /* a box running past its parent */
} boxes_t;

static uint32_t be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static uint64_t be64(const uint8_t *p) { return (uint64_t)be32(p) << 32 | be32(p + 4); }

static bool is_container(const char *t) {
  static const char *c[] = {"moov", "trak", "mdia", "minf", "stbl", "mvex",
                            "edts", "moof", "traf", "dinf", "mfra", NULL};
  for (int i = 0; c[i]; i++)
    if (!memcmp(t, c[i], 4)) return true;
  return false;
}

static void walk(const uint8_t *d, size_t off, size_t end, int depth, boxes_t *bx) {
  while (off + 8 <= end && bx->n < MAX_BOXES) {
    size_t size = be32(d + off);
    if (size < 8 || off + size > end) {
      bx->bad = true;
      return;
    }
    box_t *b = &bx->b[bx->n++];
    memcpy(b->type, d + off + 4, 4);
    b->type[4] = 0;
    b->off = off;
    b->size = size;
    b->hdr = 8;
    b->depth = depth;
    if (is_container(b->type)) walk(d, off + 8, off + size, depth + 1, bx);
    /* sample entries: stsd (full box + count), then the entry's fixed fields */
    if (!strcmp(b->type, "stsd")) walk(d, off + 16, off + size, depth + 1, bx);
    if (!strcmp(b->type, "avc3") || !strcmp(b->type, "vp09") || !strcmp(b->type, "av01"))
      walk(d, off + 8 + 78, off + size, depth + 1, bx);
    if (!strcmp(b->type, "Opus")) walk(d, off + 8 + 28, off + size, depth + 1, bx);
    off += size;
  }
  if (off != end && depth == 0) bx->bad = true;
}

/* The k-th (0-based) box of a type after index from, or -1. */
static int find(const boxes_t *bx, const char *type, int from, int k) {
  for (int i = from; i < bx->n; i++)
    if (!strcmp(bx->b[i].type, type) && k-- == 0) return i;
  return -1;
}

/* ---- inputs ---- */

typedef struct clip {
  const uint8_t *p[256];
  size_t len[256];
  int64_t us[256];
  bool key[256];
  int n;
} clip_t;

static rtc_media_h264_reader_t *h264_clip(clip_t *c, uint8_t **copy) {
  rtc_media_h264_reader_t *r = NULL;
  memset(c, 0, sizeof *c);
  if (rtc_media_h264_open_file(MEDIA_FIXTURES "h264.h264", 30, 1, &r) != 0) return NULL;
  size_t n = rtc_media_h264_info(r)->frames;
  size_t total = 0;
  for (size_t i = 0; i < n; i++) {
    rtc_media_frame_t f;
    rtc_media_h264_frame(r, i, &f);
    total += f.len;
  }
  *copy = malloc(total);
  size_t at = 0;
  for (size_t i = 0; i < n && c->n < 256; i++) { /* frames are borrowed until the next call */
    rtc_media_frame_t f;
    rtc_media_h264_frame(r, i, &f);
    memcpy(*copy + at, f.data, f.len);
    c->p[c->n] = *copy + at;
    c->len[c->n] = f.len;
    c->us[c->n] = (int64_t)f.pts * 1000000 / 30;
    c->key[c->n] = f.keyframe;
    c->n++;
    at += f.len;
  }
  return r;
}

static rtc_media_ogg_reader_t *opus_clip(clip_t *c) {
  rtc_media_ogg_reader_t *r = NULL;
  memset(c, 0, sizeof *c);
  if (rtc_media_ogg_open_file(MEDIA_FIXTURES "opus.ogg", &r) != 0) return NULL;
  rtc_media_track_t t = rtc_media_ogg_track(r);
  for (size_t i = 0; i < t.count && c->n < 256; i++) {
    rtc_media_frame_t f;
    rtc_media_ogg_frame(r, i, &f);
    c->p[c->n] = f.data;
    c->len[c->n] = f.len;
    c->us[c->n] = (int64_t)(f.pts * 1000000 * t.tb_num / t.tb_den);
    c->key[c->n] = true;
    c->n++;
  }
  return r;
}

/* The first SPS and PPS of an Annex-B access unit, made into an avcC. */
static size_t avcc_of(const uint8_t *p, size_t len, uint8_t *out, size_t cap, uint16_t *w,
                      uint16_t *h) {
  const uint8_t *sps = NULL, *pps = NULL, *nal;
  size_t sl = 0, pl = 0, off = 0, nl;
  while (rtc_media_h264_next_nal(p, len, &off, &nal, &nl)) {
    if ((nal[0] & 0x1f) == 7 && !sps) sps = nal, sl = nl;
    if ((nal[0] & 0x1f) == 8 && !pps) pps = nal, pl = nl;
  }
  if (!sps || !pps) return 0;
  if (!rtc_record_codec_h264_size(sps, sl, w, h)) *w = *h = 0;
  return rtc_record_webm_avcc(sps, sl, pps, pl, out, cap);
}

/* Writes the clips interleaved by time (tracks 1 and 2; b may be NULL). */
static void feed(rtc_record_mp4_t *m, const clip_t *a, const clip_t *b) {
  int i = 0, j = 0;
  while (i < a->n || (b && j < b->n)) {
    if (i < a->n && (!b || j >= b->n || a->us[i] <= b->us[j])) {
      CHECK_EQ_INT(rtc_record_mp4_write(m, 1, a->p[i], a->len[i], a->us[i], a->key[i]), 0);
      i++;
    } else {
      CHECK_EQ_INT(rtc_record_mp4_write(m, 2, b->p[j], b->len[j], b->us[j], b->key[j]), 0);
      j++;
    }
  }
}

static char *sh(char *buf, size_t cap, const char *fmt, const char *path) {
  char cmd[600];
  snprintf(cmd, sizeof cmd, fmt, path);
  buf[0] = 0;
  FILE *pp = popen(cmd, "r");
  if (!pp) return buf;
  size_t n = fread(buf, 1, cap - 1, pp);
  buf[n] = 0;
  pclose(pp);
  while (n && (buf[n - 1] == '\n' || buf[n - 1] == ','))
    buf[--n] = 0;
  for (char *q = buf; *q; q++)
    if (*q == '\n') *q = ' ';
  return buf;
}

static long probe_frames(const char *path, int stream) {
  char b[64], fmt[300];
  snprintf(fmt, sizeof fmt,
           "ffprobe -v error -count_frames -select_streams %d -show_entries "
           "stream=nb_read_frames -of csv=p=0 '%%s' 2>/dev/null",
           stream);
  return atol(sh(b, sizeof b, fmt, path));
}

static double probe_double(const char *path, const char *what) {
  char b[128], fmt[300];
  snprintf(fmt, sizeof fmt, "ffprobe -v error -show_entries %s -of csv=p=0 '%%s'", what);
  return atof(sh(b, sizeof b, fmt, path));
}

/* Checks every fragment: mfhd numbered from 1, every traf with default-base-is-moof and a
 * trun whose data lies in the mdat right after its moof, the trafs' data tiling that mdat
 * exactly. Returns the fragments; samples[track-1] += each track's samples, and end_tick
 * the end (tfdt + durations) of the last fragment of each track, sync[track-1] counts the
 * fragments whose first sample is a sync sample. */
static int check_fragments(const uint8_t *d, const boxes_t *bx, long samples[2],
                           uint64_t end_tick[2], int sync[2]) {
  int frags = 0;
  for (int i = 0; i < bx->n; i++) {
    if (bx->b[i].depth != 0 || strcmp(bx->b[i].type, "moof")) continue;
    frags++;
    const box_t *moof = &bx->b[i];
    int mfhd = find(bx, "mfhd", i, 0);
    CHECK(mfhd == i + 1);
    CHECK_EQ_INT((int)be32(d + bx->b[mfhd].off + 12), frags);
    CHECK(i + 1 < bx->n);
    int mdat = i + 1;
    while (mdat < bx->n && bx->b[mdat].depth != 0)
      mdat++;
    CHECK(mdat < bx->n && !strcmp(bx->b[mdat].type, "mdat"));
    if (mdat >= bx->n) return -1;
    size_t data_start = bx->b[mdat].off + 8, data_end = bx->b[mdat].off + bx->b[mdat].size;
    size_t expect = data_start;
    for (int k = i + 1; k < mdat; k++) {
      if (strcmp(bx->b[k].type, "traf")) continue;
      const uint8_t *tfhd = d + bx->b[k + 1].off;
      CHECK(!memcmp(tfhd + 4, "tfhd", 4));
      uint32_t flags = be32(tfhd + 8) & 0xffffff;
      CHECK(flags & 0x020000);    /* default-base-is-moof */
      CHECK(!(flags & 0x000001)); /* no explicit base offset */
      uint32_t track = be32(tfhd + 12);
      CHECK(track == 1 || track == 2);
      if (track < 1 || track > 2) return -1;
      const uint8_t *tfdt = d + bx->b[k + 2].off;
      CHECK(!memcmp(tfdt + 4, "tfdt", 4) && tfdt[8] == 1);
      uint64_t t0 = be64(tfdt + 12);
      const uint8_t *trun = d + bx->b[k + 3].off;
      CHECK(!memcmp(trun + 4, "trun", 4));
      uint32_t tf = be32(trun + 8) & 0xffffff;
      CHECK((tf & 0x301) == 0x301); /* data offset, durations, sizes */
      uint32_t count = be32(trun + 12);
      size_t at = moof->off + be32(trun + 16);
      CHECK_EQ_INT((int)at, (int)expect);
      size_t per = (tf & 0x400) ? 12 : 8;
      CHECK_EQ_INT((int)bx->b[k + 3].size, (int)(20 + per * count));
      uint64_t dur = 0;
      size_t bytes = 0;
      for (uint32_t s = 0; s < count; s++) {
        const uint8_t *e = trun + 20 + per * s;
        dur += be32(e);
        bytes += be32(e + 4);
        CHECK(be32(e) > 0);
        if (s == 0 && (!(tf & 0x400) || be32(e + 8) == 0x02000000)) sync[track - 1]++;
      }
      samples[track - 1] += count;
      end_tick[track - 1] = t0 + dur;
      expect = at + bytes;
    }
    CHECK_EQ_INT((int)expect, (int)data_end);
  }
  return frags;
}

/* H.264 (the fixture, 60 frames at 30 fps, a keyframe every 30? see below) + Opus (101
 * packets of 20 ms) into one file: parsed back, and decoded by ffmpeg. */
static void test_mp4_h264_opus(void) {
  clip_t v, a;
  uint8_t *vcopy = NULL;
  rtc_media_h264_reader_t *hr = h264_clip(&v, &vcopy);
  rtc_media_ogg_reader_t *orr = opus_clip(&a);
  CHECK(hr && orr);
  if (!hr || !orr) return;
  CHECK_EQ_INT(v.n, 60);
  uint8_t avcc[256];
  uint16_t w = 0, h = 0;
  size_t avcc_len = avcc_of(v.p[0], v.len[0], avcc, sizeof avcc, &w, &h);
  CHECK(avcc_len > 7);
  CHECK_EQ_INT(w, 320); /* the SPS says so (ffprobe agrees) */
  CHECK_EQ_INT(h, 240);
  int keys = 0;
  for (int i = 0; i < v.n; i++)
    keys += v.key[i];
  rtc_record_mp4_track_t tr[2] = {{.codec = RTC_MEDIA_CODEC_H264,
                                   .width = w,
                                   .height = h,
                                   .codec_private = avcc,
                                   .codec_private_len = avcc_len},
                                  {.codec = RTC_MEDIA_CODEC_OPUS, .channels = 1, .pre_skip = 312}};
  rtc_record_mp4_t *m = NULL;
  CHECK_EQ_INT(rtc_record_mp4_create(tr, 2, 0, &m), 0);
  if (!m) return;
  feed(m, &v, &a);
  CHECK_EQ_INT(rtc_record_mp4_finish(m), 0);
  CHECK_EQ_INT(rtc_record_mp4_finish(m), 0); /* idempotent */
  CHECK_EQ_INT(rtc_record_mp4_write(m, 1, v.p[0], v.len[0], 5000000, true), RTC_ESTATE);
  uint8_t *mem = NULL;
  size_t len = 0;
  media_drain(rtc_record_mp4_out(m), NULL, &mem, &len);
  CHECK_EQ_INT((int)len, (int)rtc_record_mp4_size(m));
  uint32_t nfrag = rtc_record_mp4_fragments(m);
  size_t np = 0;
  const rtc_record_webm_patch_t *pt = rtc_record_mp4_patches(m, &np);
  CHECK_EQ_INT((int)np, 2 + 2 * 2); /* mvhd, mehd, each track's tkhd and mdhd */
  for (size_t i = 0; i < np; i++) {
    CHECK(pt[i].offset + pt[i].len <= len);
    for (size_t k = 0; k < pt[i].len; k++) /* 0 until patched */
      CHECK(mem[pt[i].offset + k] == 0);
    memcpy(mem + pt[i].offset, pt[i].bytes, pt[i].len);
  }
  rtc_record_mp4_destroy(m);

  static boxes_t bx;
  memset(&bx, 0, sizeof bx);
  walk(mem, 0, len, 0, &bx);
  CHECK(!bx.bad);
  /* ftyp: isom, with iso6 (tfdt, default-base-is-moof) and mp41 compatible */
  CHECK(!strcmp(bx.b[0].type, "ftyp") && !memcmp(mem + 8, "isom", 4));
  CHECK(bx.b[0].size >= 28 && !memcmp(mem + 16, "isomiso6mp41", 12));
  int moov = find(&bx, "moov", 0, 0);
  CHECK(moov == 1);
  CHECK(find(&bx, "trak", 0, 1) > 0 && find(&bx, "trak", 0, 2) < 0);
  CHECK(find(&bx, "trex", 0, 1) > 0 && find(&bx, "mvex", 0, 0) > find(&bx, "trak", 0, 1));
  /* empty sample tables */
  int stsz = find(&bx, "stsz", 0, 0);
  CHECK(stsz > 0 && be32(mem + bx.b[stsz].off + 16) == 0);
  int avc = find(&bx, "avcC", 0, 0);
  CHECK(avc > 0 && bx.b[avc].size == 8 + avcc_len &&
        !memcmp(mem + bx.b[avc].off + 8, avcc, avcc_len));
  /* avc3: in-band SPS/PPS may change the picture size (record_test: resolution change) */
  int avc3 = find(&bx, "avc3", 0, 0);
  CHECK(avc3 > 0 && be32(mem + bx.b[avc3].off + 32) == (320u << 16 | 240u));
  int tkhd = find(&bx, "tkhd", 0, 0);
  CHECK(tkhd > 0 && mem[bx.b[tkhd].off + 8] == 1); /* version 1: 64-bit times */
  CHECK(tkhd > 0 && be32(mem + bx.b[tkhd].off + 96) == 320u << 16 &&
        be32(mem + bx.b[tkhd].off + 100) == 240u << 16);
  int dops = find(&bx, "dOps", 0, 0);
  static const uint8_t want_dops[] = {0, 1, 0x01, 0x38, 0, 0, 0xbb, 0x80, 0, 0, 0};
  CHECK(dops > 0 && bx.b[dops].size == 19 && !memcmp(mem + bx.b[dops].off + 8, want_dops, 11));
  /* Opus (ISOBMFF mapping 4.4): an edit list whose media_time is the pre-skip (version 1,
   * one edit, segment_duration 0: the whole media, rate 1); none on the video track */
  int atrak = find(&bx, "trak", 0, 1), elst = find(&bx, "elst", 0, 0);
  CHECK(elst > atrak && atrak > 0 && find(&bx, "elst", 0, 1) < 0);
  static const uint8_t want_elst[] = {1, 0, 0, 0, 0, 0, 0, 1, 0,    0,    0, 0, 0, 0,
                                      0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x38, 0, 1, 0, 0};
  CHECK(elst > 0 && bx.b[elst].size == 8 + sizeof want_elst &&
        !memcmp(mem + bx.b[elst].off + 8, want_elst, sizeof want_elst));
  /* 4.3.6.2: the 'roll' group (80 ms: 4 packets of 20 ms back) in the stbl, and each
   * audio traf's sbgp mapping every sample (the first 4 of the track: none to roll to) */
  int sgpd = find(&bx, "sgpd", 0, 0);
  static const uint8_t want_sgpd[] = {1, 0, 0, 0, 'r', 'o', 'l', 'l',  0,
                                      0, 0, 2, 0, 0,   0,   1,   0xff, 0xfc};
  CHECK(sgpd > atrak && bx.b[sgpd].size == 8 + sizeof want_sgpd &&
        !memcmp(mem + bx.b[sgpd].off + 8, want_sgpd, sizeof want_sgpd));
  long grouped = 0, lead = 0;
  for (int k = find(&bx, "sbgp", 0, 0); k > 0; k = find(&bx, "sbgp", k + 1, 0)) {
    const uint8_t *g = mem + bx.b[k].off;
    CHECK(!memcmp(g + 12, "roll", 4));
    for (uint32_t e = 0; e < be32(g + 16); e++) {
      grouped += be32(g + 20 + 8 * e);
      if (be32(g + 24 + 8 * e) == 0) lead += be32(g + 20 + 8 * e);
    }
  }
  CHECK_EQ_INT((int)grouped, a.n);
  CHECK_EQ_INT((int)lead, 4);
  int mdhd = find(&bx, "mdhd", 0, 1);
  CHECK(mdhd > 0 && mem[bx.b[mdhd].off + 8] == 1); /* version 1: 64-bit times */
  CHECK(mdhd > 0 && be32(mem + bx.b[mdhd].off + 28) == 48000);
  uint64_t adur = mdhd > 0 ? be64(mem + bx.b[mdhd].off + 32) : 0;
  int vmdhd = find(&bx, "mdhd", 0, 0);
  uint64_t vdur = be64(mem + bx.b[vmdhd].off + 32);
  int mvhd = find(&bx, "mvhd", 0, 0), mehd = find(&bx, "mehd", 0, 0);
  CHECK(mem[bx.b[mvhd].off + 8] == 1);
  uint64_t movie = be64(mem + bx.b[mvhd].off + 32);
  CHECK(mehd > 0 && be64(mem + bx.b[mehd].off + 12) == movie);

  long samples[2] = {0, 0};
  uint64_t end[2] = {0, 0};
  int sync[2] = {0, 0};
  int frags = check_fragments(mem, &bx, samples, end, sync);
  CHECK_EQ_INT(frags, (int)nfrag);
  CHECK_EQ_INT((int)samples[0], 60);
  CHECK_EQ_INT((int)samples[1], a.n);
  /* ~1 s fragments at keyframes: as many fragments as keyframes (1 s apart here) */
  CHECK_EQ_INT(frags, keys);
  CHECK_EQ_INT(sync[0], frags); /* every video fragment starts at a keyframe */
  /* video ends at 60 frames * 3000 ticks; Opus at its packets' end (20 ms each), its
   * decode times 312 ticks (the pre-skip) late: the edit list takes them back */
  CHECK_EQ_INT((int)end[0], 60 * 3000);
  CHECK_EQ_INT((int)end[1], (int)(312 + a.us[a.n - 1] * 48 / 1000 + 960));
  /* the patched durations: each track's end, the movie's the longest (in ms) */
  CHECK_EQ_INT((int)vdur, (int)end[0]);
  CHECK_EQ_INT((int)adur, (int)end[1]);
  CHECK_EQ_INT((int)movie, (int)(((end[1] - 312) * 1000 + 47999) / 48000));
  /* mfra: a tfra per track, one entry per fragment, pointing at its moof */
  int mfra = find(&bx, "mfra", 0, 0);
  CHECK(mfra > 0 && bx.b[mfra].off + bx.b[mfra].size == len);
  if (mfra > 0) {
    CHECK_EQ_INT((int)be32(mem + len - 4), (int)bx.b[mfra].size); /* mfro */
    int tfra = find(&bx, "tfra", mfra, 0);
    const uint8_t *t = mem + bx.b[tfra].off;
    CHECK_EQ_INT((int)be32(t + 20), frags);
    for (int k = 0; k < frags && k < 8; k++) {
      uint64_t moof = be64(t + 24 + 19 * k + 8);
      CHECK(moof + 8 <= len && !memcmp(mem + moof + 4, "moof", 4));
    }
  }

  char path[128];
  media_tmp_path(path, sizeof path, "h264-opus.mp4");
  media_write_file(path, mem, len);
  CHECK_EQ_INT(media_ffmpeg_clean(path), 0);
  char b[128];
  CHECK_STR(
      sh(b, sizeof b, "ffprobe -v error -show_entries stream=codec_name -of csv=p=0 '%s'", path),
      "h264 opus");
  CHECK_STR(
      sh(b, sizeof b, "ffprobe -v error -show_entries stream=width,height -of csv=p=0 '%s'", path),
      "320,240");
  CHECK_EQ_INT((int)probe_frames(path, 0), 60);
  CHECK_EQ_INT((int)probe_frames(path, 1), a.n);
  double d = probe_double(path, "format=duration");
  CHECK(d > 2.0 - 0.034 && d < 2.0 + 0.034); /* within a frame */
  fprintf(stderr, "  %zu bytes, %d fragments, duration %.3f s, %ld video + %ld audio samples\n",
          len, frags, d, samples[0], samples[1]);
  unlink(path);
  free(mem);
  free(vcopy);
  rtc_media_h264_close(hr);
  rtc_media_ogg_close(orr);
}

/* A file cut anywhere (killed before finish) plays up to its last complete fragment. */
static void test_mp4_killed(void) {
  clip_t v, a;
  uint8_t *vcopy = NULL;
  rtc_media_h264_reader_t *hr = h264_clip(&v, &vcopy);
  rtc_media_ogg_reader_t *orr = opus_clip(&a);
  if (!hr || !orr) return;
  uint8_t avcc[256];
  uint16_t w, h;
  size_t avcc_len = avcc_of(v.p[0], v.len[0], avcc, sizeof avcc, &w, &h);
  rtc_record_mp4_track_t tr[2] = {
      {.codec = RTC_MEDIA_CODEC_H264, .codec_private = avcc, .codec_private_len = avcc_len},
      {.codec = RTC_MEDIA_CODEC_OPUS, .channels = 1}};
  rtc_record_mp4_t *m = NULL;
  CHECK_EQ_INT(rtc_record_mp4_create(tr, 2, 0, &m), 0);
  if (!m) return;
  feed(m, &v, &a); /* never finished: the second second's fragment is not complete */
  uint8_t *mem = NULL;
  size_t len = 0;
  media_drain(rtc_record_mp4_out(m), NULL, &mem, &len);
  CHECK_EQ_INT((int)rtc_record_mp4_fragments(m), 1);
  rtc_record_mp4_destroy(m);
  static boxes_t bx;
  memset(&bx, 0, sizeof bx);
  walk(mem, 0, len, 0, &bx);
  CHECK(!bx.bad);
  char path[128];
  media_tmp_path(path, sizeof path, "cut.mp4");
  /* what is queued: ftyp, moov, one complete fragment (the first second: 30 frames) */
  media_write_file(path, mem, len);
  CHECK_EQ_INT(media_ffmpeg_clean(path), 0);
  CHECK_EQ_INT((int)probe_frames(path, 0), 30);
  /* never patched (mehd and the durations 0): ffprobe finds 1 s from the fragment */
  double d = probe_double(path, "format=duration");
  CHECK(d > 0.95 && d < 1.1);
  /* cut inside that fragment's mdat (the write in flight when killed): still opens, and
   * the frames whose bytes made it decode */
  int mdat = find(&bx, "mdat", 0, 0);
  media_write_file(path, mem, bx.b[mdat].off + bx.b[mdat].size / 2);
  long f = probe_frames(path, 0);
  CHECK(f >= 5 && f < 30);
  fprintf(stderr, "  killed: %zu bytes queued, 30 frames; cut in its mdat: %ld frames\n", len, f);
  /* killed before the first fragment: ftyp and moov alone, which ffprobe still opens.
   * (Cut inside a moof's trun, ffmpeg 5.1 refuses the whole file, as it does its own
   * fragmented MP4: the recorder queues whole fragments and the host writes what is
   * queued in one request, so a killed process leaves whole fragments.) */
  media_write_file(path, mem, bx.b[find(&bx, "moof", 0, 0)].off);
  char b[128];
  CHECK_STR(
      sh(b, sizeof b, "ffprobe -v error -show_entries stream=codec_name -of csv=p=0 '%s'", path),
      "h264 opus");
  unlink(path);
  free(mem);
  free(vcopy);
  rtc_media_h264_close(hr);
  rtc_media_ogg_close(orr);
}

/* Fragments: with video, at a keyframe once 1 s is held, at any frame once 2 s is; audio
 * alone every second. Synthetic VP9-labelled frames (the muxer does not read them). */
static void test_mp4_fragment_rules(void) {
  uint8_t frame[100] = {0x82};
  rtc_record_mp4_track_t tv = {.codec = RTC_MEDIA_CODEC_VP9, .width = 64, .height = 64};
  rtc_record_mp4_track_t ta = {.codec = RTC_MEDIA_CODEC_OPUS};
  struct {
    int key_every; /* frames between keyframes (0: only the first) */
    bool audio;
    int want;
  } cases[] = {{0, false, 5}, {15, false, 10}, {7, false, 9}, {0, true, 10}};
  /* key_every 7: fragments start at frames 0, 35, 70, ... 280 (the first keyframe 1 s on) */
  for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
    rtc_record_mp4_t *m = NULL;
    CHECK_EQ_INT(rtc_record_mp4_create(cases[c].audio ? &ta : &tv, 1, 1000, &m), 0);
    if (!m) return;
    uint8_t opus[3] = {0xf8, 0xff, 0xfe};                    /* TOC: 20 ms CELT */
    for (int i = 0; i < (cases[c].audio ? 500 : 300); i++) { /* 10 s */
      if (cases[c].audio) {
        CHECK_EQ_INT(rtc_record_mp4_write(m, 1, opus, 3, (int64_t)i * 20000, true), 0);
        continue;
      }
      bool key = i == 0 || (cases[c].key_every && i % cases[c].key_every == 0);
      CHECK_EQ_INT(rtc_record_mp4_write(m, 1, frame, sizeof frame, (int64_t)i * 1000000 / 30, key),
                   0);
    }
    CHECK_EQ_INT(rtc_record_mp4_finish(m), 0);
    CHECK_EQ_INT((int)rtc_record_mp4_fragments(m), cases[c].want);
    rtc_record_mp4_destroy(m);
  }
}

/* A recording longer than 2^32 ticks (13.25 h at 90 kHz): a VP9 track with frames at 0 and
 * at 14 h. mdhd's duration is the exact end (a 32-bit field was all ones), and the first
 * sample's duration, 14 h, is held at 2^32 - 1 ticks instead of wrapping to 45 min. */
static void test_mp4_long(void) {
  rtc_record_mp4_track_t t = {.codec = RTC_MEDIA_CODEC_VP9, .width = 64, .height = 64};
  rtc_record_mp4_t *m = NULL;
  CHECK_EQ_INT(rtc_record_mp4_create(&t, 1, 0, &m), 0);
  if (!m) return;
  const uint8_t frame[] = {0x82, 0x49, 0x83, 0x42, 0x00};
  const int64_t h14 = 14ll * 3600 * 1000000;
  CHECK_EQ_INT(rtc_record_mp4_write(m, 1, frame, sizeof frame, 0, true), 0);
  CHECK_EQ_INT(rtc_record_mp4_write(m, 1, frame, sizeof frame, h14, true), 0);
  CHECK_EQ_INT(rtc_record_mp4_finish(m), 0);
  uint8_t *mem = NULL;
  size_t len = 0, np = 0;
  media_drain(rtc_record_mp4_out(m), NULL, &mem, &len);
  const rtc_record_webm_patch_t *pt = rtc_record_mp4_patches(m, &np);
  for (size_t i = 0; i < np; i++)
    if (pt[i].offset + pt[i].len <= len) memcpy(mem + pt[i].offset, pt[i].bytes, pt[i].len);
  boxes_t *bx = calloc(1, sizeof *bx);
  walk(mem, 0, len, 0, bx);
  CHECK(!bx->bad);
  int mdhd = find(bx, "mdhd", 0, 0), trun = find(bx, "trun", 0, 0);
  CHECK(mdhd > 0 && trun > 0);
  if (mdhd > 0 && trun > 0) {
    const uint8_t *d = mem + bx->b[mdhd].off;
    uint64_t dur = d[8] == 1 ? be64(d + 32) : be32(d + 24);
    CHECK(dur == 14ull * 3600 * 90000 + 3000); /* the last frame: the default 1/30 s */
    CHECK_EQ_INT((int)be32(mem + bx->b[trun].off + 12), 1); /* the first fragment: 1 */
    CHECK(be32(mem + bx->b[trun].off + 20) == UINT32_MAX);
  }
  int mvhd = find(bx, "mvhd", 0, 0);
  CHECK(mvhd > 0 && be64(mem + bx->b[mvhd].off + 32) == 14u * 3600 * 1000 + 34);
  free(bx);
  free(mem);
  rtc_record_mp4_destroy(m);
}

/* The roll group's distance is 80 ms in packets of the size the recorder saw first (10 ms
 * packets: 8 back; 60 ms: 2; unknown: 20 ms, 4), and a track without pre-skip has no
 * edit. */
static void test_mp4_opus_roll(void) {
  static const struct {
    uint32_t frame;
    uint16_t pre_skip;
    uint8_t roll;
  } cases[] = {{480, 312, 0xf8}, {2880, 312, 0xfe}, {0, 0, 0xfc}};
  for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
    rtc_record_mp4_track_t op = {
        .codec = RTC_MEDIA_CODEC_OPUS, .pre_skip = cases[k].pre_skip, .opus_frame = cases[k].frame};
    rtc_record_mp4_t *m = NULL;
    CHECK_EQ_INT(rtc_record_mp4_create(&op, 1, 0, &m), 0);
    if (!m) return;
    uint8_t *mem = NULL;
    size_t len = 0;
    media_drain(rtc_record_mp4_out(m), NULL, &mem, &len);
    boxes_t *bx = calloc(1, sizeof *bx);
    walk(mem, 0, len, 0, bx);
    int sgpd = find(bx, "sgpd", 0, 0);
    CHECK(sgpd > 0 && bx->b[sgpd].size == 26 && mem[bx->b[sgpd].off + 24] == 0xff &&
          mem[bx->b[sgpd].off + 25] == cases[k].roll);
    CHECK((find(bx, "elst", 0, 0) > 0) == (cases[k].pre_skip > 0));
    free(bx);
    free(mem);
    rtc_record_mp4_destroy(m);
  }
}

/* A recording longer than 2^32 ms (49.7 days): frames at 0 and at 50 days. tkhd and mvhd
 * (version 1) hold the exact duration in ms, as mehd does; in version 0 boxes both were
 * all ones ("unknown"). */
static void test_mp4_50_days(void) {
  rtc_record_mp4_track_t t = {.codec = RTC_MEDIA_CODEC_VP9, .width = 64, .height = 64};
  rtc_record_mp4_t *m = NULL;
  CHECK_EQ_INT(rtc_record_mp4_create(&t, 1, 0, &m), 0);
  if (!m) return;
  const uint8_t frame[] = {0x82, 0x49, 0x83, 0x42, 0x00};
  const int64_t d50 = 50ll * 86400 * 1000000;
  CHECK_EQ_INT(rtc_record_mp4_write(m, 1, frame, sizeof frame, 0, true), 0);
  CHECK_EQ_INT(rtc_record_mp4_write(m, 1, frame, sizeof frame, d50, true), 0);
  CHECK_EQ_INT(rtc_record_mp4_finish(m), 0);
  uint8_t *mem = NULL;
  size_t len = 0, np = 0;
  media_drain(rtc_record_mp4_out(m), NULL, &mem, &len);
  const rtc_record_webm_patch_t *pt = rtc_record_mp4_patches(m, &np);
  for (size_t i = 0; i < np; i++)
    if (pt[i].offset + pt[i].len <= len) memcpy(mem + pt[i].offset, pt[i].bytes, pt[i].len);
  boxes_t *bx = calloc(1, sizeof *bx);
  walk(mem, 0, len, 0, bx);
  CHECK(!bx->bad);
  const uint64_t want = 50ull * 86400 * 1000 + 34; /* and the last frame's 1/30 s */
  int tkhd = find(bx, "tkhd", 0, 0), mvhd = find(bx, "mvhd", 0, 0), mehd = find(bx, "mehd", 0, 0);
  CHECK(tkhd > 0 && mvhd > 0 && mehd > 0);
  if (tkhd > 0 && mvhd > 0 && mehd > 0) {
    const uint8_t *tk = mem + bx->b[tkhd].off, *mv = mem + bx->b[mvhd].off;
    CHECK(tk[8] == 1 && be64(tk + 36) == want);
    CHECK(mv[8] == 1 && be64(mv + 32) == want);
    CHECK(be64(mem + bx->b[mehd].off + 12) == want);
  }
  char path[128];
  media_tmp_path(path, sizeof path, "50days.mp4");
  media_write_file(path, mem, len);
  char b[64]; /* (ffmpeg cannot decode the stand-in frames: its complaint goes away) */
  double d =
      atof(sh(b, sizeof b,
              "ffprobe -v error -show_entries format=duration -of csv=p=0 '%s' 2>/dev/null", path));
  CHECK(d > 50.0 * 86400 && d < 50.0 * 86400 + 1);
  fprintf(stderr, "  50 days: ffprobe duration %.3f s\n", d);
  unlink(path);
  free(bx);
  free(mem);
  rtc_record_mp4_destroy(m);
}

static void test_mp4_refusals(void) {
  uint8_t avcc[16] = {1, 0x42, 0xc0, 0x1e, 0xff, 0xe1, 0};
  rtc_record_mp4_t *m = (rtc_record_mp4_t *)1;
  rtc_record_mp4_track_t t = {.codec = RTC_MEDIA_CODEC_VP8};
  CHECK_EQ_INT(rtc_record_mp4_create(&t, 1, 0, &m), RTC_EINVAL); /* no MP4 binding */
  CHECK(m == NULL);
  t.codec = RTC_MEDIA_CODEC_AV1; /* without its sequence header */
  CHECK_EQ_INT(rtc_record_mp4_create(&t, 1, 0, &m), RTC_EINVAL);
  rtc_record_mp4_track_t op = {.codec = RTC_MEDIA_CODEC_OPUS, .channels = 6};
  CHECK_EQ_INT(rtc_record_mp4_create(&op, 1, 0, &m), RTC_EINVAL); /* family 0: 1 or 2 */
  op.channels = 2;
  CHECK_EQ_INT(rtc_record_mp4_create(&op, 1, 0, &m), 0);
  rtc_record_mp4_destroy(m);
  m = NULL;
  t.codec = RTC_MEDIA_CODEC_H264; /* no avcC */
  CHECK_EQ_INT(rtc_record_mp4_create(&t, 1, 0, &m), RTC_EINVAL);
  CHECK_EQ_INT(rtc_record_mp4_create(&t, 0, 0, &m), RTC_EINVAL);
  t.codec_private = avcc;
  t.codec_private_len = 7;
  CHECK_EQ_INT(rtc_record_mp4_create(&t, 1, 0, &m), 0);
  uint8_t raw[] = {0x65, 1, 2, 3}, annexb[] = {0, 0, 0, 1, 0x65, 1, 2, 3};
  CHECK_EQ_INT(rtc_record_mp4_write(m, 1, raw, sizeof raw, 0, true),
               RTC_EINVAL); /* no start code */
  CHECK_EQ_INT(rtc_record_mp4_write(m, 2, annexb, sizeof annexb, 0, true), RTC_EINVAL);
  CHECK_EQ_INT(rtc_record_mp4_write(m, 1, annexb, sizeof annexb, -1, true), RTC_EINVAL);
  CHECK_EQ_INT(rtc_record_mp4_write(m, 1, annexb, sizeof annexb, 1000, true), 0);
  CHECK_EQ_INT(rtc_record_mp4_write(m, 1, annexb, sizeof annexb, 999, false), RTC_EINVAL);
  CHECK_EQ_INT(rtc_record_mp4_write(m, 1, annexb, sizeof annexb, 1000, false), 0); /* one tick on */
  /* Empty NAL units (start codes with nothing between, or at the end: a peer's malformed
   * payload) are no NAL units: a frame of only those is refused, and none is written as
   * a zero NALUnitLength. */
  uint8_t only_sc[] = {0, 0, 0, 1, 0, 0, 1}, tail_sc[] = {0, 0, 1, 0x41, 9, 0, 0, 1};
  CHECK_EQ_INT(rtc_record_mp4_write(m, 1, only_sc, sizeof only_sc, 2000, false), RTC_EINVAL);
  CHECK_EQ_INT((int)rtc_record_codec_avc_size(tail_sc, sizeof tail_sc), 4 + 2);
  CHECK_EQ_INT(rtc_record_mp4_write(m, 1, tail_sc, sizeof tail_sc, 3000, false), 0);
  CHECK_EQ_INT(rtc_record_mp4_finish(m), 0);
  rtc_media_out_t *o = rtc_record_mp4_out(m);
  const uint8_t *d = o->buf + o->off;
  size_t n = o->len - o->off;
  boxes_t *bx = calloc(1, sizeof *bx);
  walk(d, 0, n, 0, bx);
  int mdat = find(bx, "mdat", 0, 0);
  CHECK(!bx->bad && mdat > 0);
  if (mdat > 0) { /* the three frames: 4 + 4, 4 + 4, then 4 + 2; no zero length in it */
    CHECK_EQ_INT((int)bx->b[mdat].size, 8 + 8 + 8 + 6);
    CHECK(!memcmp(d + bx->b[mdat].off + 8 + 16, "\0\0\0\2\x41\x09", 6));
  }
  free(bx);
  rtc_record_mp4_destroy(m);
}

/* The SPS's cropped size (odd sizes crop the last macroblocks), VP9's keyframe header. */
static void test_codec_info(void) {
  static const uint8_t sps_1278x718[] = {0x67, 0x64, 0x00, 0x1f, 0xac, 0xd9, 0x40, 0x50, 0x05,
                                         0xbe, 0xab, 0x01, 0x10, 0x00, 0x00, 0x03, 0x00, 0x10,
                                         0x00, 0x00, 0x03, 0x03, 0xc0, 0xf1, 0x83, 0x19, 0x60};
  static const uint8_t sps_1080p[] = {0x67, 0x4d, 0x40, 0x28, 0xec, 0xa0, 0x3c, 0x01, 0x13,
                                      0xf2, 0xe0, 0x22, 0x00, 0x00, 0x03, 0x00, 0x02, 0x00,
                                      0x00, 0x03, 0x00, 0x78, 0x1e, 0x30, 0x63, 0x2c};
  uint16_t w = 0, h = 0;
  CHECK(rtc_record_codec_h264_size(sps_1278x718, sizeof sps_1278x718, &w, &h));
  CHECK(w == 1278 && h == 718);
  CHECK(rtc_record_codec_h264_size(sps_1080p, sizeof sps_1080p, &w, &h));
  CHECK(w == 1920 && h == 1080);
  for (size_t cut = 0; cut < 8; cut++) /* truncated: refused, not read past */
    CHECK(!rtc_record_codec_h264_size(sps_1080p, cut, &w, &h));
  CHECK(!rtc_record_codec_h264_size(sps_1080p + 1, sizeof sps_1080p - 1, &w, &h)); /* not an SPS */
  /* A scaling list's delta_scale past -128..127 (ue 2^32 - 3: +2^31 - 1) is refused; it
   * overflowed an int (UBSan in make asan-test: "signed integer overflow"). */
  static const uint8_t sps_huge_delta[] = {0x67, 0x64, 0x00, 0x1f, 0xad, 0x80, 0x00,
                                           0x00, 0x00, 0xff, 0xff, 0xff, 0xfe, 0xff};
  CHECK(!rtc_record_codec_h264_size(sps_huge_delta, sizeof sps_huge_delta, &w, &h));

  rtc_media_ivf_reader_t *r = NULL;
  CHECK_EQ_INT(rtc_media_ivf_open_file(MEDIA_FIXTURES "vp9.ivf", &r), 0);
  if (!r) return;
  rtc_media_frame_t f;
  rtc_media_ivf_frame(r, 0, &f);
  rtc_record_codec_vp9_t v;
  CHECK(rtc_record_codec_vp9_info(f.data, f.len, &v));
  /* the fixture is profile 1, 8-bit GBR (ffprobe: gbrp): sRGB color space, 4:4:4 */
  CHECK(v.width == 320 && v.height == 240 && v.profile == 1 && v.bit_depth == 8);
  CHECK(v.color_space == 7 && v.subsampling == 3 && v.full_range);
  rtc_media_ivf_frame(r, 1, &f);
  CHECK(!rtc_record_codec_vp9_info(f.data, f.len, &v)); /* an inter frame */
  rtc_media_ivf_close(r);
}

/* VP9 (vp09 + vpcC from the keyframe's header) alone: decoded by ffmpeg, 60 frames. */
static void test_mp4_vp9(void) {
  rtc_media_ivf_reader_t *r = NULL;
  CHECK_EQ_INT(rtc_media_ivf_open_file(MEDIA_FIXTURES "vp9.ivf", &r), 0);
  if (!r) return;
  rtc_media_track_t tk = rtc_media_ivf_track(r);
  rtc_media_frame_t f;
  rtc_media_ivf_frame(r, 0, &f);
  rtc_record_codec_vp9_t info;
  CHECK(rtc_record_codec_vp9_info(f.data, f.len, &info));
  rtc_record_mp4_track_t t = {
      .codec = RTC_MEDIA_CODEC_VP9, .width = info.width, .height = info.height, .vp9 = &info};
  rtc_record_mp4_t *m = NULL;
  CHECK_EQ_INT(rtc_record_mp4_create(&t, 1, 0, &m), 0);
  if (!m) return;
  for (size_t i = 0; i < tk.count; i++) {
    rtc_media_ivf_frame(r, i, &f);
    int64_t us = (int64_t)(f.pts * 1000000 * tk.tb_num / tk.tb_den);
    CHECK_EQ_INT(rtc_record_mp4_write(m, 1, f.data, f.len, us, f.keyframe), 0);
  }
  CHECK_EQ_INT(rtc_record_mp4_finish(m), 0);
  uint8_t *mem = NULL;
  size_t len = 0;
  media_drain(rtc_record_mp4_out(m), NULL, &mem, &len);
  rtc_record_mp4_destroy(m);
  static boxes_t bx;
  memset(&bx, 0, sizeof bx);
  walk(mem, 0, len, 0, &bx);
  CHECK(!bx.bad);
  int vpcc = find(&bx, "vpcC", 0, 0);
  /* version 1; profile 1, level 2.0 (320x240: above 1.1), as ffmpeg writes it for this clip, 8-bit
   * 4:4:4 full range; sRGB: identity */
  static const uint8_t want[] = {1, 0, 0, 0, 1, 20, 0x87, 2, 2, 0, 0, 0};
  CHECK(vpcc > 0 && bx.b[vpcc].size == 20 && !memcmp(mem + bx.b[vpcc].off + 8, want, 12));
  char path[128];
  media_tmp_path(path, sizeof path, "vp9.mp4");
  media_write_file(path, mem, len);
  CHECK_EQ_INT(media_ffmpeg_clean(path), 0);
  CHECK_EQ_INT((int)probe_frames(path, 0), (int)tk.count);
  double d = probe_double(path, "format=duration");
  CHECK(d > 2.0 - 0.034 && d < 2.0 + 0.034);
  fprintf(stderr, "  vp9: %zu bytes, %zu frames, duration %.3f s\n", len, tk.count, d);
  unlink(path);
  free(mem);
  rtc_media_ivf_close(r);
}

/* AV1 (tests/fixtures/media/av1.ivf: libaom, 320x240 4:2:0 8-bit, 60 frames, keyframes 1 s
 * apart; each IVF frame a temporal unit starting with a temporal delimiter): av01 + av1C
 * from the keyframe's sequence header, samples without the delimiters, decoded by ffmpeg. */
static void test_mp4_av1(void) {
  rtc_media_ivf_reader_t *r = NULL;
  CHECK_EQ_INT(rtc_media_ivf_open_file(MEDIA_FIXTURES "av1.ivf", &r), 0);
  if (!r) return;
  rtc_media_track_t tk = rtc_media_ivf_track(r);
  rtc_media_frame_t f;
  rtc_media_ivf_frame(r, 0, &f);
  rtc_record_codec_av1_t info;
  CHECK(rtc_record_codec_av1_info(f.data, f.len, &info));
  CHECK(info.width == 320 && info.height == 240 && info.profile == 0 && !info.high_bitdepth);
  CHECK(info.ss_x == 1 && info.ss_y == 1 && !info.monochrome);
  CHECK(info.seq == f.data + 2 && info.seq_len == 13); /* after the 2-byte delimiter */
  /* the delimiter (12 00) is left out of the sample, the rest kept */
  CHECK_EQ_INT((int)rtc_record_codec_av1_size(f.data, f.len), (int)f.len - 2);
  CHECK_EQ_INT((int)rtc_record_codec_av1_size(f.data, f.len - 1), 0); /* an OBU cut short */
  rtc_media_ivf_frame(r, 1, &f);
  CHECK(!rtc_record_codec_av1_info(f.data, f.len, &info)); /* an inter frame: no sequence header */
  rtc_media_ivf_frame(r, 0, &f);
  rtc_record_codec_av1_info(f.data, f.len, &info);
  uint8_t seq[64];
  memcpy(seq, info.seq, info.seq_len);
  rtc_record_mp4_track_t t = {
      .codec = RTC_MEDIA_CODEC_AV1, .width = info.width, .height = info.height, .av1 = &info};
  rtc_record_mp4_t *m = NULL;
  CHECK_EQ_INT(rtc_record_mp4_create(&t, 1, 0, &m), 0);
  if (!m) return;
  size_t in_bytes = 0;
  for (size_t i = 0; i < tk.count; i++) {
    rtc_media_ivf_frame(r, i, &f);
    int64_t us = (int64_t)(f.pts * 1000000 * tk.tb_num / tk.tb_den);
    CHECK_EQ_INT(rtc_record_mp4_write(m, 1, f.data, f.len, us, f.keyframe), 0);
    in_bytes += f.len;
  }
  CHECK_EQ_INT(rtc_record_mp4_finish(m), 0);
  uint8_t *mem = NULL;
  size_t len = 0;
  media_drain(rtc_record_mp4_out(m), NULL, &mem, &len);
  rtc_record_mp4_destroy(m);
  static boxes_t bx;
  memset(&bx, 0, sizeof bx);
  walk(mem, 0, len, 0, &bx);
  CHECK(!bx.bad);
  CHECK(bx.b[0].size == 32 && !memcmp(mem + 28, "av01", 4)); /* the av01 brand */
  int c = find(&bx, "av1C", 0, 0);
  CHECK(c > 0 && bx.b[c].size == 12 + info.seq_len);
  if (c > 0) {
    const uint8_t *a = mem + bx.b[c].off + 8;
    CHECK(a[0] == 0x81 && a[1] == (info.profile << 5 | info.level) && a[3] == 0);
    CHECK(a[2] == (0x0c | info.chroma_sample_position)); /* 8-bit, 4:2:0 */
    CHECK(!memcmp(a + 4, seq, info.seq_len));
  }
  /* no sample starts with a temporal delimiter; the mdat payloads are what came in minus
   * one 2-byte delimiter per frame */
  size_t payload = 0;
  long samples[2] = {0, 0};
  uint64_t end[2] = {0, 0};
  int sync[2] = {0, 0};
  CHECK_EQ_INT(check_fragments(mem, &bx, samples, end, sync), 2);
  for (int i = 0; i < bx.n; i++) {
    if (strcmp(bx.b[i].type, "mdat")) continue;
    payload += bx.b[i].size - 8;
    CHECK(((mem[bx.b[i].off + 8] >> 3) & 0xf) != 2);
  }
  CHECK_EQ_INT((int)payload, (int)(in_bytes - 2 * tk.count));
  CHECK_EQ_INT((int)samples[0], (int)tk.count);
  char path[128];
  media_tmp_path(path, sizeof path, "av1.mp4");
  media_write_file(path, mem, len);
  CHECK_EQ_INT(media_ffmpeg_clean(path), 0);
  CHECK_EQ_INT((int)probe_frames(path, 0), (int)tk.count);
  char b[64];
  CHECK_STR(sh(b, sizeof b,
               "ffprobe -v error -show_entries stream=codec_name,width,height -of "
               "csv=p=0 '%s'",
               path),
            "av1,320,240");
  double d = probe_double(path, "format=duration");
  CHECK(d > 2.0 - 0.034 && d < 2.0 + 0.034);
  fprintf(stderr, "  av1: %zu bytes, %zu frames, duration %.3f s\n", len, tk.count, d);
  unlink(path);
  free(mem);
  rtc_media_ivf_close(r);
}

int main(void) {
  RUN_TEST(test_codec_info);
  RUN_TEST(test_mp4_refusals);
  RUN_TEST(test_mp4_opus_roll);
  RUN_TEST(test_mp4_50_days);
  RUN_TEST(test_mp4_long);
  RUN_TEST(test_mp4_fragment_rules);
  RUN_TEST(test_mp4_h264_opus);
  RUN_TEST(test_mp4_killed);
  RUN_TEST(test_mp4_vp9);
  RUN_TEST(test_mp4_av1);
  TEST_MAIN_END();
}
