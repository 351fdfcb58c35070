/* A file source over the IVF / Ogg Opus / H.264 readers: see rtc_media_source.h. */
#include "media/rtc_media_source.h"

#include <stdlib.h>
#include <string.h>

#include "base/rtc_err.h"
#include "media/rtc_media_h264.h"
#include "media/rtc_media_ivf.h"
#include "media/rtc_media_ogg.h"

struct rtc_media_source {
  rtc_media_codec_t codec;
  uint8_t *bytes; /* our copy, which the IVF and H.264 readers borrow */
  rtc_media_ivf_reader_t *ivf;
  rtc_media_ogg_reader_t *ogg;
  rtc_media_h264_reader_t *h264;
};

static int source_open_owned(uint8_t *bytes, size_t len, uint32_t fps_num, uint32_t fps_den,
                             rtc_media_source_t **out) {
  rtc_media_source_t *s = calloc(1, sizeof *s);
  if (!s) {
    free(bytes);
    return RTC_ENOMEM;
  }
  s->bytes = bytes;
  int err;
  if (len >= 4 && memcmp(bytes, "DKIF", 4) == 0) {
    err = rtc_media_ivf_open(bytes, len, &s->ivf);
    if (!err) s->codec = rtc_media_ivf_info(s->ivf)->codec;
  } else if (len >= 4 && memcmp(bytes, "OggS", 4) == 0) {
    err = rtc_media_ogg_open(bytes, len, &s->ogg);
    s->codec = RTC_MEDIA_CODEC_OPUS;
    free(s->bytes); /* the Ogg reader keeps its own packets */
    s->bytes = NULL;
  } else {
    err = rtc_media_h264_open(bytes, len, fps_num, fps_den, &s->h264);
    s->codec = RTC_MEDIA_CODEC_H264;
  }
  if (err) {
    rtc_media_source_close(s);
    return err;
  }
  *out = s;
  return 0;
}

int rtc_media_source_open(const uint8_t *p, size_t len, uint32_t fps_num, uint32_t fps_den,
                          rtc_media_source_t **out) {
  if (!out) return RTC_EINVAL;
  *out = NULL;
  if (!p && len) return RTC_EINVAL;
  uint8_t *copy = malloc(len ? len : 1);
  if (!copy) return RTC_ENOMEM;
  if (len) memcpy(copy, p, len);
  return source_open_owned(copy, len, fps_num, fps_den, out);
}

int rtc_media_source_open_file(const char *path, uint32_t fps_num, uint32_t fps_den,
                               rtc_media_source_t **out) {
  if (!out) return RTC_EINVAL;
  *out = NULL;
  uint8_t *buf;
  size_t len;
  int err = rtc_media_load_file(path, 0, &buf, &len);
  if (err) return err;
  return source_open_owned(buf, len, fps_num, fps_den, out);
}

void rtc_media_source_close(rtc_media_source_t *s) {
  if (!s) return;
  rtc_media_ivf_close(s->ivf);
  rtc_media_ogg_close(s->ogg);
  rtc_media_h264_close(s->h264);
  free(s->bytes);
  free(s);
}

rtc_media_codec_t rtc_media_source_codec(const rtc_media_source_t *s) {
  return s ? s->codec : RTC_MEDIA_CODEC_UNKNOWN;
}

bool rtc_media_source_is_audio(const rtc_media_source_t *s) {
  return s && s->codec == RTC_MEDIA_CODEC_OPUS;
}

rtc_media_track_t rtc_media_source_track(const rtc_media_source_t *s) {
  rtc_media_track_t t = {0};
  if (!s) return t;
  if (s->ivf) return rtc_media_ivf_track(s->ivf);
  if (s->ogg) return rtc_media_ogg_track(s->ogg);
  return rtc_media_h264_track(s->h264);
}

int rtc_media_source_frame(rtc_media_source_t *s, size_t i, rtc_media_frame_t *out) {
  if (!s) return RTC_EINVAL;
  if (s->ivf) return rtc_media_ivf_frame(s->ivf, i, out);
  if (s->ogg) return rtc_media_ogg_frame(s->ogg, i, out);
  return rtc_media_h264_frame(s->h264, i, out);
}

void rtc_media_source_video_size(const rtc_media_source_t *s, uint16_t *width, uint16_t *height) {
  const rtc_media_ivf_info_t *in = s && s->ivf ? rtc_media_ivf_info(s->ivf) : NULL;
  if (width) *width = in ? in->width : 0;
  if (height) *height = in ? in->height : 0;
}

int rtc_media_source_channels(const rtc_media_source_t *s) {
  return s && s->ogg ? rtc_media_ogg_info(s->ogg)->channels : 0;
}
