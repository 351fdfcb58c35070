/* Media files, sans-IO: what the readers (IVF, Ogg Opus, H.264 Annex-B) and writers
 * share. Readers take the whole file as bytes (rtc_media_load_file is the one place
 * that reads a file, for convenience), index every frame at open and then give any
 * frame by number; writers take frames and produce bytes that the caller writes
 * when and how it likes (partially, non-blocking).
 *
 * Time: every frame has a pts and a duration in its track's timebase tb_num/tb_den
 * seconds (IVF: the file's; Opus: 1/48000; H.264: 1/fps given by the caller).
 * rtc_media_pacer turns that into deadlines. */
#ifndef RTC_MEDIA_H
#define RTC_MEDIA_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum rtc_media_codec {
  RTC_MEDIA_CODEC_UNKNOWN = 0,
  RTC_MEDIA_CODEC_VP8,
  RTC_MEDIA_CODEC_VP9,
  RTC_MEDIA_CODEC_AV1,
  RTC_MEDIA_CODEC_H264,
  RTC_MEDIA_CODEC_OPUS,
} rtc_media_codec_t;

/* One frame as a reader indexed it. offset/len locate it in the reader's bytes (for
 * H.264 an IDR may still get SPS/PPS prepended when read: use the reader's frame
 * function, not offset/len, to get what to send). */
typedef struct rtc_media_frame_info {
  size_t offset, len;
  uint64_t pts;      /* timebase units */
  uint32_t duration; /* timebase units; 0 when the file does not tell */
  bool keyframe;     /* a decoder can start here (always true for audio) */
} rtc_media_frame_info_t;

/* A frame ready to use: data borrowed from the reader until its next call (or
 * until it is destroyed). */
typedef struct rtc_media_frame {
  const uint8_t *data;
  size_t len;
  uint64_t pts;
  uint32_t duration;
  bool keyframe;
  size_t index;
} rtc_media_frame_t;

/* A track's frame index: what the pacer needs. Borrowed from the reader. */
typedef struct rtc_media_track {
  const rtc_media_frame_info_t *frames;
  size_t count;
  uint32_t tb_num, tb_den; /* seconds per pts unit = tb_num / tb_den */
} rtc_media_track_t;

const char *rtc_media_codec_name(rtc_media_codec_t c); /* "VP8", ...; static */

/* Reads a whole file into a malloc'd buffer (*out, *len; free() it). Refuses files
 * above max_len bytes (0: 1 GiB) with RTC_ETOOBIG. RTC_EIO with errno kept, RTC_ENOMEM.
 * Blocking: call it before media starts, not on the packet path. */
int rtc_media_load_file(const char *path, size_t max_len, uint8_t **out, size_t *len);

/* Bytes a writer produced and the caller has not written yet. Writers append;
 * the caller takes what it can and reports how much it wrote. */
typedef struct rtc_media_out {
  uint8_t *buf;
  size_t len, off, cap;
} rtc_media_out_t;

/* Unwritten bytes of o: *p (borrowed until the next call on the writer) and the count. */
size_t rtc_media_out_peek(const rtc_media_out_t *o, const uint8_t **p);
/* The caller wrote n of them (n <= what peek returned). */
void rtc_media_out_consume(rtc_media_out_t *o, size_t n);

#endif
