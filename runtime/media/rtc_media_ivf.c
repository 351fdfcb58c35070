/* IVF reader and writer: see rtc_media_ivf.h. */
#include "media/rtc_media_ivf.h"

#include <stdlib.h>
#include <string.h>

#include "base/rtc_err.h"
#include "media/rtc_media_internal.h"

struct rtc_media_ivf_reader {
  const uint8_t *p;
  size_t len;
  uint8_t *owned; /* the bytes, when open_file loaded them */
  rtc_media_ivf_info_t info;
  rtc__media_index_t ix;
};

static rtc_media_codec_t ivf_codec(const uint8_t *fourcc) {
  if (!memcmp(fourcc, "VP80", 4)) return RTC_MEDIA_CODEC_VP8;
  if (!memcmp(fourcc, "VP90", 4)) return RTC_MEDIA_CODEC_VP9;
  if (!memcmp(fourcc, "AV01", 4)) return RTC_MEDIA_CODEC_AV1;
  if (!memcmp(fourcc, "H264", 4)) return RTC_MEDIA_CODEC_H264;
  return RTC_MEDIA_CODEC_UNKNOWN;
}

/* AV1 low-overhead OBUs (AV1 spec §5.3): header byte (forbidden bit, type in bits
 * 6..3, extension flag, has_size flag), optional extension byte, leb128 size. */
static bool av1_has_sequence_header(const uint8_t *p, size_t len) {
  size_t off = 0;
  while (off < len) {
    uint8_t h = p[off++];
    int type = (h >> 3) & 15;
    if (h & 4) off++; /* extension */
    size_t sz = len - (off < len ? off : len);
    if (h & 2) {
      sz = 0;
      for (int i = 0; i < 8; i++) {
        if (off >= len) return false;
        uint8_t b = p[off++];
        sz |= (size_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) break;
      }
    }
    if (type == 1) return true; /* OBU_SEQUENCE_HEADER */
    if (off > len || sz > len - off) return false;
    off += sz;
  }
  return false;
}

bool rtc_media_ivf_is_keyframe(rtc_media_codec_t codec, const uint8_t *p, size_t len) {
  if (!p || len == 0) return false;
  switch (codec) {
  case RTC_MEDIA_CODEC_VP8: return (p[0] & 1) == 0; /* RFC 6386 §9.1: P bit 0 = key */
  case RTC_MEDIA_CODEC_VP9: {
    /* frame_marker(2) profile_low(1) profile_high(1) [reserved(1) if profile 3]
     * show_existing_frame(1) frame_type(1): read MSB first. */
    uint8_t b = p[0];
    if ((b >> 6) != 2) return false;
    int profile = ((b >> 5) & 1) | (((b >> 4) & 1) << 1);
    int pos = 3; /* bit (7 = MSB) of show_existing_frame */
    if (profile == 3) {
      if (b & 0x08) return false; /* reserved_zero */
      pos = 2;
    }
    if ((b >> pos) & 1) return false;   /* show_existing_frame: a repeat, not a key */
    return ((b >> (pos - 1)) & 1) == 0; /* frame_type 0 = KEY_FRAME */
  }
  case RTC_MEDIA_CODEC_AV1: return av1_has_sequence_header(p, len);
  default: return false;
  }
}

int rtc_media_ivf_open(const uint8_t *p, size_t len, rtc_media_ivf_reader_t **out) {
  if (!out) return RTC_EINVAL;
  *out = NULL;
  if (!p && len) return RTC_EINVAL;
  if (len < 32 || memcmp(p, "DKIF", 4) != 0) return RTC_EPARSE;
  size_t hlen = rtc__rd16le(p + 6);
  if (hlen < 32 || hlen > len) return RTC_EPARSE;
  rtc_media_ivf_reader_t *r = calloc(1, sizeof *r);
  if (!r) return RTC_ENOMEM;
  r->p = p;
  r->len = len;
  rtc_media_ivf_info_t *in = &r->info;
  memcpy(in->fourcc, p + 8, 4);
  in->codec = ivf_codec(p + 8);
  in->width = rtc__rd16le(p + 12);
  in->height = rtc__rd16le(p + 14);
  in->tb_den = rtc__rd32le(p + 16);
  in->tb_num = rtc__rd32le(p + 20);
  in->header_frames = rtc__rd32le(p + 24);
  int err = RTC_EPARSE;
  if (in->tb_num == 0 || in->tb_den == 0) goto fail;
  size_t off = hlen;
  while (off < len) {
    if (len - off < 12) {
      in->truncated = true;
      break;
    }
    uint32_t fsz = rtc__rd32le(p + off);
    uint64_t pts = rtc__rd64le(p + off + 4);
    if (fsz > RTC_MEDIA_IVF_MAX_FRAME) {
      err = RTC_EPARSE;
      goto fail;
    }
    if (fsz > len - off - 12) {
      in->truncated = true;
      break;
    }
    rtc_media_frame_info_t f = {.offset = off + 12, .len = fsz, .pts = pts};
    f.keyframe = rtc_media_ivf_is_keyframe(in->codec, p + f.offset, fsz);
    err = rtc__media_index_push(&r->ix, &f, RTC_MEDIA_IVF_MAX_FRAMES);
    if (err) goto fail;
    off += 12 + (size_t)fsz;
  }
  /* IVF stores no durations: the gap to the next frame (the last one repeats the
   * one before, or one unit). */
  for (size_t i = 0; i < r->ix.n; i++) {
    uint64_t d = 1;
    if (i + 1 < r->ix.n && r->ix.v[i + 1].pts > r->ix.v[i].pts)
      d = r->ix.v[i + 1].pts - r->ix.v[i].pts;
    else if (i > 0 && i + 1 == r->ix.n)
      d = r->ix.v[i - 1].duration;
    r->ix.v[i].duration = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
  }
  in->frames = r->ix.n;
  *out = r;
  return 0;
fail:
  rtc_media_ivf_close(r);
  return err;
}

int rtc_media_ivf_open_file(const char *path, rtc_media_ivf_reader_t **out) {
  uint8_t *buf;
  size_t len;
  if (out) *out = NULL;
  int err = rtc_media_load_file(path, 0, &buf, &len);
  if (err) return err;
  err = rtc_media_ivf_open(buf, len, out);
  if (err) {
    free(buf);
    return err;
  }
  (*out)->owned = buf;
  return 0;
}

void rtc_media_ivf_close(rtc_media_ivf_reader_t *r) {
  if (!r) return;
  rtc__media_index_free(&r->ix);
  free(r->owned);
  free(r);
}

const rtc_media_ivf_info_t *rtc_media_ivf_info(const rtc_media_ivf_reader_t *r) {
  return r ? &r->info : NULL;
}

rtc_media_track_t rtc_media_ivf_track(const rtc_media_ivf_reader_t *r) {
  rtc_media_track_t t = {0};
  if (!r) return t;
  t.frames = r->ix.v;
  t.count = r->ix.n;
  t.tb_num = r->info.tb_num;
  t.tb_den = r->info.tb_den;
  return t;
}

int rtc_media_ivf_frame(const rtc_media_ivf_reader_t *r, size_t i, rtc_media_frame_t *out) {
  if (!r || !out) return RTC_EINVAL;
  if (i >= r->ix.n) return RTC_ENOTFOUND;
  const rtc_media_frame_info_t *f = &r->ix.v[i];
  out->data = r->p + f->offset;
  out->len = f->len;
  out->pts = f->pts;
  out->duration = f->duration;
  out->keyframe = f->keyframe;
  out->index = i;
  return 0;
}

/* ---- writer ---- */

struct rtc_media_ivf_writer {
  uint8_t hdr[32];
  size_t frames;
  rtc_media_out_t out;
};

int rtc_media_ivf_writer_create(const char fourcc[4], uint16_t width, uint16_t height,
                                uint32_t tb_num, uint32_t tb_den, rtc_media_ivf_writer_t **out) {
  if (!out) return RTC_EINVAL;
  *out = NULL;
  if (!fourcc || tb_num == 0 || tb_den == 0) return RTC_EINVAL;
  rtc_media_ivf_writer_t *w = calloc(1, sizeof *w);
  if (!w) return RTC_ENOMEM;
  memcpy(w->hdr, "DKIF", 4);
  rtc__wr16le(w->hdr + 4, 0);
  rtc__wr16le(w->hdr + 6, 32);
  memcpy(w->hdr + 8, fourcc, 4);
  rtc__wr16le(w->hdr + 12, width);
  rtc__wr16le(w->hdr + 14, height);
  rtc__wr32le(w->hdr + 16, tb_den);
  rtc__wr32le(w->hdr + 20, tb_num);
  if (rtc__media_out_append(&w->out, w->hdr, 32) != 0) {
    rtc_media_ivf_writer_destroy(w);
    return RTC_ENOMEM;
  }
  *out = w;
  return 0;
}

void rtc_media_ivf_writer_destroy(rtc_media_ivf_writer_t *w) {
  if (!w) return;
  rtc__media_out_free(&w->out);
  free(w);
}

int rtc_media_ivf_writer_write(rtc_media_ivf_writer_t *w, const uint8_t *p, size_t len,
                               uint64_t pts) {
  if (!w || !p || len == 0 || len > RTC_MEDIA_IVF_MAX_FRAME) return RTC_EINVAL;
  uint8_t fh[12];
  rtc__wr32le(fh, (uint32_t)len);
  rtc__wr64le(fh + 4, pts);
  /* Room for both parts first, so a failure leaves no half frame behind. */
  if (rtc__media_out_reserve(&w->out, 12 + len) != 0) return RTC_ENOMEM;
  rtc__media_out_append(&w->out, fh, 12);
  rtc__media_out_append(&w->out, p, len);
  w->frames++;
  return 0;
}

rtc_media_out_t *rtc_media_ivf_writer_out(rtc_media_ivf_writer_t *w) { return w ? &w->out : NULL; }

void rtc_media_ivf_writer_final_header(const rtc_media_ivf_writer_t *w, uint8_t hdr[32]) {
  if (!w || !hdr) return;
  memcpy(hdr, w->hdr, 32);
  rtc__wr32le(hdr + 24, w->frames > UINT32_MAX ? UINT32_MAX : (uint32_t)w->frames);
}

size_t rtc_media_ivf_writer_frames(const rtc_media_ivf_writer_t *w) { return w ? w->frames : 0; }
