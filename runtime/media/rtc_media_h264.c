/* H.264 Annex-B reader: see rtc_media_h264.h. */
#include "media/rtc_media_h264.h"

#include <stdlib.h>
#include <string.h>

#include "base/rtc_err.h"
#include "media/rtc_media_internal.h"

enum {
  NAL_SLICE = 1,
  NAL_SLICE_DPA = 2,
  NAL_SLICE_DPC = 4,
  NAL_IDR = 5,
  NAL_SEI = 6,
  NAL_SPS = 7,
  NAL_PPS = 8,
  NAL_AUD = 9,
};

/* Per AU, beside the generic index: where the SPS/PPS it may need are. */
typedef struct h264_au_extra {
  size_t sps_off, sps_len, pps_off, pps_len; /* NAL bytes (no start code); len 0: none */
  size_t first_nal_end;                      /* end of the AU's first NAL if it is an AUD */
  bool needs_sps, needs_pps;
} h264_au_extra_t;

struct rtc_media_h264_reader {
  const uint8_t *p;
  size_t len;
  uint8_t *owned;
  rtc__media_index_t ix;
  h264_au_extra_t *extra;
  uint8_t *scratch; /* an IDR AU with SPS/PPS put in front */
  size_t scratch_cap;
  rtc_media_h264_info_t info;
};

/* Start code search: the offset of the first byte after "00 00 01" at or after
 * *off; false if none. *sc is where the start code (incl. a 4th leading zero) began. */
static bool h264_find_start(const uint8_t *p, size_t len, size_t from, size_t *sc, size_t *after) {
  for (size_t i = from; i + 3 <= len; i++) {
    if (p[i + 2] > 1) { /* cannot be inside a start code: skip ahead */
      i += 2;
      continue;
    }
    if (p[i] == 0 && p[i + 1] == 0 && p[i + 2] == 1) {
      *sc = (i > from && p[i - 1] == 0) ? i - 1 : i;
      *after = i + 3;
      return true;
    }
  }
  return false;
}

bool rtc_media_h264_next_nal(const uint8_t *p, size_t len, size_t *off, const uint8_t **nal,
                             size_t *nal_len) {
  if (!p || !off || *off >= len) return false;
  size_t sc, start;
  if (!h264_find_start(p, len, *off, &sc, &start)) {
    *off = len;
    return false;
  }
  size_t nsc, nafter, end = len;
  if (h264_find_start(p, len, start, &nsc, &nafter)) end = nsc;
  while (end > start && p[end - 1] == 0)
    end--; /* trailing_zero_8bits */
  *nal = p + start;
  *nal_len = end - start;
  *off = end;
  return true;
}

/* first_mb_in_slice: the first ue(v) of the slice header (H.264 §7.3.3), read after
 * removing emulation prevention bytes from the first few payload bytes. -1 if the
 * NAL is too short to tell. */
static long h264_first_mb(const uint8_t *nal, size_t len) {
  uint8_t b[8];
  size_t n = 0, zeros = 0;
  for (size_t i = 1; i < len && n < sizeof b; i++) {
    if (zeros >= 2 && nal[i] == 3) {
      zeros = 0;
      continue;
    }
    zeros = nal[i] == 0 ? zeros + 1 : 0;
    b[n++] = nal[i];
  }
  size_t bits = n * 8, pos = 0;
  int lz = 0;
  while (pos < bits && !((b[pos / 8] >> (7 - pos % 8)) & 1)) {
    lz++;
    pos++;
    if (lz > 31) return -1;
  }
  if (pos >= bits) return -1;
  pos++; /* the 1 */
  if (pos + (size_t)lz > bits) return -1;
  unsigned long v = 0;
  for (int i = 0; i < lz; i++, pos++)
    v = (v << 1) | ((b[pos / 8] >> (7 - pos % 8)) & 1);
  return (long)((1ul << lz) - 1 + v);
}

static bool h264_is_vcl(int t) { return t >= NAL_SLICE && t <= NAL_IDR; }

typedef struct h264_scan {
  bool open, has_vcl, has_idr, has_sps, has_pps;
  size_t start;
  h264_au_extra_t ex;
} h264_scan_t;

static int h264_push_au(rtc_media_h264_reader_t *r, h264_scan_t *s, size_t end, size_t *ex_cap,
                        size_t last_sps_off, size_t last_sps_len, size_t last_pps_off,
                        size_t last_pps_len) {
  if (!s->open) return 0;
  s->open = false;
  if (!s->has_vcl) return 0; /* parameter sets only (e.g. at the end): nothing to show */
  rtc_media_frame_info_t f = {.offset = s->start,
                              .len = end - s->start,
                              .pts = r->ix.n,
                              .duration = 1,
                              .keyframe = s->has_idr};
  int err = rtc__media_index_push(&r->ix, &f, RTC_MEDIA_H264_MAX_FRAMES);
  if (err) return err;
  if (r->ix.n > *ex_cap) {
    size_t ncap = *ex_cap ? *ex_cap * 2 : 64;
    h264_au_extra_t *ne = realloc(r->extra, ncap * sizeof *ne);
    if (!ne) return RTC_ENOMEM;
    r->extra = ne;
    *ex_cap = ncap;
  }
  h264_au_extra_t *ex = &r->extra[r->ix.n - 1];
  *ex = s->ex;
  if (s->has_idr) {
    r->info.keyframes++;
    ex->needs_sps = !s->has_sps && last_sps_len;
    ex->needs_pps = !s->has_pps && last_pps_len;
    ex->sps_off = last_sps_off, ex->sps_len = last_sps_len;
    ex->pps_off = last_pps_off, ex->pps_len = last_pps_len;
    if (ex->needs_sps || ex->needs_pps) r->info.idr_fixed++;
  }
  return 0;
}

int rtc_media_h264_open(const uint8_t *p, size_t len, uint32_t fps_num, uint32_t fps_den,
                        rtc_media_h264_reader_t **out) {
  if (!out) return RTC_EINVAL;
  *out = NULL;
  if (!p && len) return RTC_EINVAL;
  if (!fps_num && !fps_den) fps_num = 30, fps_den = 1;
  if (!fps_num || !fps_den) return RTC_EINVAL;
  rtc_media_h264_reader_t *r = calloc(1, sizeof *r);
  if (!r) return RTC_ENOMEM;
  r->p = p;
  r->len = len;
  r->info.fps_num = fps_num;
  r->info.fps_den = fps_den;
  h264_scan_t s = {0};
  size_t ex_cap = 0, off = 0, sps_off = 0, sps_len = 0, pps_off = 0, pps_len = 0, max_ps = 0;
  int err = 0;
  for (;;) {
    size_t sc, start;
    if (off >= len || !h264_find_start(p, len, off, &sc, &start)) break;
    size_t nsc, nafter, end = len;
    if (h264_find_start(p, len, start, &nsc, &nafter)) end = nsc;
    size_t nal_end = end;
    while (nal_end > start && p[nal_end - 1] == 0)
      nal_end--;
    off = end;
    if (nal_end == start) continue; /* empty */
    const uint8_t *nal = p + start;
    size_t nlen = nal_end - start;
    if (nal[0] & 0x80) continue; /* forbidden_zero_bit: not a NAL, skip */
    r->info.nals++;
    int t = nal[0] & 0x1f;
    bool boundary = false;
    if (t == NAL_AUD || (t >= NAL_SEI && t <= NAL_PPS) || (t >= 14 && t <= 18))
      boundary = s.has_vcl;
    else if (h264_is_vcl(t) && t != NAL_SLICE_DPA + 1 && t != NAL_SLICE_DPC)
      boundary = s.has_vcl && h264_first_mb(nal, nlen) == 0;
    if (boundary) {
      err = h264_push_au(r, &s, sc, &ex_cap, sps_off, sps_len, pps_off, pps_len);
      if (err) goto fail;
    }
    if (!s.open) {
      memset(&s, 0, sizeof s);
      s.open = true;
      s.start = sc;
      if (t == NAL_AUD) s.ex.first_nal_end = nal_end;
    }
    if (t == NAL_SPS) {
      s.has_sps = true;
      sps_off = start, sps_len = nlen;
      if (!r->info.profile_idc && nlen >= 4) {
        r->info.profile_idc = nal[1];
        r->info.constraint_flags = nal[2];
        r->info.level_idc = nal[3];
      }
    } else if (t == NAL_PPS) {
      s.has_pps = true;
      pps_off = start, pps_len = nlen;
    } else if (h264_is_vcl(t)) {
      s.has_vcl = true;
      if (t == NAL_IDR) s.has_idr = true;
    }
    if (sps_len + pps_len > max_ps) max_ps = sps_len + pps_len;
  }
  err = h264_push_au(r, &s, len, &ex_cap, sps_off, sps_len, pps_off, pps_len);
  if (err) goto fail;
  if (r->ix.n == 0) {
    err = RTC_EPARSE;
    goto fail;
  }
  /* An IDR before the first SPS/PPS gets the first ones of the file, if any. */
  size_t first_sps = 0, first_sps_len = 0, first_pps = 0, first_pps_len = 0, o2 = 0;
  const uint8_t *nal;
  size_t nlen;
  while ((!first_sps_len || !first_pps_len) && rtc_media_h264_next_nal(p, len, &o2, &nal, &nlen)) {
    int t = nlen ? nal[0] & 0x1f : 0;
    if (t == NAL_SPS && !first_sps_len) first_sps = (size_t)(nal - p), first_sps_len = nlen;
    if (t == NAL_PPS && !first_pps_len) first_pps = (size_t)(nal - p), first_pps_len = nlen;
  }
  size_t max_au = 0;
  for (size_t i = 0; i < r->ix.n; i++) {
    h264_au_extra_t *ex = &r->extra[i];
    if (r->ix.v[i].keyframe) {
      if (!ex->sps_len && first_sps_len) {
        ex->sps_off = first_sps, ex->sps_len = first_sps_len, ex->needs_sps = true;
      }
      if (!ex->pps_len && first_pps_len) {
        ex->pps_off = first_pps, ex->pps_len = first_pps_len, ex->needs_pps = true;
      }
    }
    /* What rtc_media_h264_frame writes for this AU: the AU plus the parameter sets it
     * inserts, each with a start code (a per-AU sum: the SPS of one place and the PPS
     * of another can add up to more than any pair seen together; fuzz_media_h264). */
    size_t need = r->ix.v[i].len + (ex->needs_sps ? 4 + ex->sps_len : 0) +
                  (ex->needs_pps ? 4 + ex->pps_len : 0);
    if (need > max_au) max_au = need;
  }
  (void)max_ps;
  r->scratch_cap = max_au + 8;
  r->scratch = malloc(r->scratch_cap);
  if (!r->scratch) {
    err = RTC_ENOMEM;
    goto fail;
  }
  r->info.frames = r->ix.n;
  *out = r;
  return 0;
fail:
  rtc_media_h264_close(r);
  return err;
}

int rtc_media_h264_open_file(const char *path, uint32_t fps_num, uint32_t fps_den,
                             rtc_media_h264_reader_t **out) {
  uint8_t *buf;
  size_t len;
  if (out) *out = NULL;
  int err = rtc_media_load_file(path, 0, &buf, &len);
  if (err) return err;
  err = rtc_media_h264_open(buf, len, fps_num, fps_den, out);
  if (err) {
    free(buf);
    return err;
  }
  (*out)->owned = buf;
  return 0;
}

void rtc_media_h264_close(rtc_media_h264_reader_t *r) {
  if (!r) return;
  rtc__media_index_free(&r->ix);
  free(r->extra);
  free(r->scratch);
  free(r->owned);
  free(r);
}

const rtc_media_h264_info_t *rtc_media_h264_info(const rtc_media_h264_reader_t *r) {
  return r ? &r->info : NULL;
}

rtc_media_track_t rtc_media_h264_track(const rtc_media_h264_reader_t *r) {
  rtc_media_track_t t = {0};
  if (!r) return t;
  t.frames = r->ix.v;
  t.count = r->ix.n;
  t.tb_num = r->info.fps_den;
  t.tb_den = r->info.fps_num;
  return t;
}

int rtc_media_h264_frame(rtc_media_h264_reader_t *r, size_t i, rtc_media_frame_t *out) {
  if (!r || !out) return RTC_EINVAL;
  if (i >= r->ix.n) return RTC_ENOTFOUND;
  const rtc_media_frame_info_t *f = &r->ix.v[i];
  const h264_au_extra_t *ex = &r->extra[i];
  out->pts = f->pts;
  out->duration = f->duration;
  out->keyframe = f->keyframe;
  out->index = i;
  out->data = r->p + f->offset;
  out->len = f->len;
  if (!f->keyframe || (!ex->needs_sps && !ex->needs_pps)) return 0;
  /* [AUD] [SPS] [PPS] rest of the AU, each parameter set with a 4-byte start code. */
  static const uint8_t sc4[4] = {0, 0, 0, 1};
  uint8_t *d = r->scratch;
  size_t split = ex->first_nal_end ? ex->first_nal_end - f->offset : 0;
  memcpy(d, r->p + f->offset, split);
  size_t n = split;
  if (ex->needs_sps) {
    memcpy(d + n, sc4, 4);
    memcpy(d + n + 4, r->p + ex->sps_off, ex->sps_len);
    n += 4 + ex->sps_len;
  }
  if (ex->needs_pps) {
    memcpy(d + n, sc4, 4);
    memcpy(d + n + 4, r->p + ex->pps_off, ex->pps_len);
    n += 4 + ex->pps_len;
  }
  memcpy(d + n, r->p + f->offset + split, f->len - split);
  n += f->len - split;
  out->data = d;
  out->len = n;
  return 0;
}
