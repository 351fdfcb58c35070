/* Shared media helpers: codec names, loading a file, the writers' output queue. */
#include "media/rtc_media.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rtc_err.h"
#include "media/rtc_media_internal.h"

const char *rtc_media_codec_name(rtc_media_codec_t c) {
  switch (c) {
  case RTC_MEDIA_CODEC_VP8: return "VP8";
  case RTC_MEDIA_CODEC_VP9: return "VP9";
  case RTC_MEDIA_CODEC_AV1: return "AV1";
  case RTC_MEDIA_CODEC_H264: return "H264";
  case RTC_MEDIA_CODEC_OPUS: return "opus";
  default: return "unknown";
  }
}

int rtc_media_load_file(const char *path, size_t max_len, uint8_t **out, size_t *len) {
  if (!path || !out || !len) return RTC_EINVAL;
  *out = NULL;
  *len = 0;
  if (max_len == 0) max_len = (size_t)1 << 30;
  FILE *f = fopen(path, "rb");
  if (!f) return RTC_EIO;
  uint8_t *buf = NULL;
  size_t n = 0, cap = 0;
  int err = 0;
  for (;;) {
    if (n == cap) {
      size_t ncap = cap ? cap * 2 : 65536;
      if (ncap > max_len + 1) ncap = max_len + 1;
      if (ncap <= cap) {
        err = RTC_ETOOBIG;
        break;
      }
      uint8_t *nb = realloc(buf, ncap);
      if (!nb) {
        err = RTC_ENOMEM;
        break;
      }
      buf = nb;
      cap = ncap;
    }
    size_t r = fread(buf + n, 1, cap - n, f);
    n += r;
    if (n > max_len) {
      err = RTC_ETOOBIG;
      break;
    }
    if (r == 0) {
      if (ferror(f)) err = RTC_EIO;
      break;
    }
  }
  int saved = errno;
  fclose(f);
  if (err) {
    free(buf);
    errno = saved;
    return err;
  }
  *out = buf;
  *len = n;
  return 0;
}

size_t rtc_media_out_peek(const rtc_media_out_t *o, const uint8_t **p) {
  if (!o || !o->buf) {
    if (p) *p = NULL;
    return 0;
  }
  if (p) *p = o->buf + o->off;
  return o->len - o->off;
}

void rtc_media_out_consume(rtc_media_out_t *o, size_t n) {
  if (!o) return;
  size_t avail = o->len - o->off;
  o->off += n < avail ? n : avail;
  if (o->off == o->len) o->off = o->len = 0;
}

int rtc__media_out_reserve(rtc_media_out_t *o, size_t n) {
  if (o->off && o->len + n > o->cap) { /* reuse the consumed front first */
    memmove(o->buf, o->buf + o->off, o->len - o->off);
    o->len -= o->off;
    o->off = 0;
  }
  if (o->len + n > o->cap) {
    size_t ncap = o->cap ? o->cap : 4096;
    while (ncap < o->len + n)
      ncap *= 2;
    uint8_t *nb = realloc(o->buf, ncap);
    if (!nb) return RTC_ENOMEM;
    o->buf = nb;
    o->cap = ncap;
  }
  return 0;
}

int rtc__media_out_append(rtc_media_out_t *o, const void *p, size_t n) {
  if (rtc__media_out_reserve(o, n) != 0) return RTC_ENOMEM;
  if (n) memcpy(o->buf + o->len, p, n);
  o->len += n;
  return 0;
}

void rtc__media_out_free(rtc_media_out_t *o) {
  free(o->buf);
  memset(o, 0, sizeof *o);
}

int rtc__media_index_push(rtc__media_index_t *ix, const rtc_media_frame_info_t *f, size_t max) {
  if (ix->n >= max) return RTC_ELIMIT;
  if (ix->n == ix->cap) {
    size_t ncap = ix->cap ? ix->cap * 2 : 64;
    rtc_media_frame_info_t *nv = realloc(ix->v, ncap * sizeof *nv);
    if (!nv) return RTC_ENOMEM;
    ix->v = nv;
    ix->cap = ncap;
  }
  ix->v[ix->n++] = *f;
  return 0;
}

void rtc__media_index_free(rtc__media_index_t *ix) {
  free(ix->v);
  memset(ix, 0, sizeof *ix);
}
