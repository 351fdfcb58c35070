/* Helpers shared by the media readers and writers. Internal to media/. */
#ifndef RTC_MEDIA_INTERNAL_H
#define RTC_MEDIA_INTERNAL_H
#include "media/rtc_media.h"

/* Appends n bytes; 0 or RTC_ENOMEM (o unchanged). Compacts consumed bytes first. */
int rtc__media_out_append(rtc_media_out_t *o, const void *p, size_t n);
/* Makes room for n more bytes, so that appends up to n cannot fail. */
int rtc__media_out_reserve(rtc_media_out_t *o, size_t n);
void rtc__media_out_free(rtc_media_out_t *o);

/* A growable frame index. */
typedef struct rtc__media_index {
  rtc_media_frame_info_t *v;
  size_t n, cap;
} rtc__media_index_t;
/* 0, RTC_ENOMEM, or RTC_ELIMIT past max entries. */
int rtc__media_index_push(rtc__media_index_t *ix, const rtc_media_frame_info_t *f, size_t max);
void rtc__media_index_free(rtc__media_index_t *ix);

static inline uint16_t rtc__rd16le(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t rtc__rd32le(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint64_t rtc__rd64le(const uint8_t *p) {
  return (uint64_t)rtc__rd32le(p) | ((uint64_t)rtc__rd32le(p + 4) << 32);
}
static inline void rtc__wr16le(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}
static inline void rtc__wr32le(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}
static inline void rtc__wr64le(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

#endif
