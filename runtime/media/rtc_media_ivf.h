/* IVF (the libvpx/aomenc container) reader and writer, sans-IO.
 *
 * Layout (little-endian): a 32-byte file header "DKIF", version 0, header size 32,
 * fourcc (VP80/VP90/AV01), width, height, timebase denominator, numerator, frame
 * count, unused; then per frame a 12-byte header (size u32, pts u64) and the frame.
 *
 * Keyframes: VP8 by the frame tag's P bit (RFC 6386 §9.1), VP9 by its uncompressed
 * header's frame_type (VP9 bitstream spec §6.2), AV1 by a sequence header OBU in
 * the temporal unit (what encoders put before every random access point; a full
 * frame header parse is not done). */
#ifndef RTC_MEDIA_IVF_H
#define RTC_MEDIA_IVF_H
#include "media/rtc_media.h"

#define RTC_MEDIA_IVF_MAX_FRAMES (1u << 22) /* 4M frames: 38 h at 30 fps */
#define RTC_MEDIA_IVF_MAX_FRAME (16u << 20) /* a frame above 16 MiB is refused */

typedef struct rtc_media_ivf_info {
  rtc_media_codec_t codec; /* UNKNOWN for another fourcc (frames still readable) */
  char fourcc[5];
  uint16_t width, height;
  uint32_t tb_num, tb_den; /* seconds per pts unit */
  uint32_t header_frames;  /* what the header claims (often 0 or stale) */
  size_t frames;           /* what the file holds */
  bool truncated;          /* the last frame was cut short and is left out */
} rtc_media_ivf_info_t;

typedef struct rtc_media_ivf_reader rtc_media_ivf_reader_t;

/* Indexes the file in p[0..len). The bytes are borrowed: they must outlive the
 * reader (rtc_media_ivf_open_file owns them instead). 0 and *out, or RTC_EPARSE
 * (not IVF, a bad header, timebase 0), RTC_ELIMIT, RTC_ENOMEM. A file cut inside a
 * frame (a recording killed while writing) opens with the frames before the cut. */
int rtc_media_ivf_open(const uint8_t *p, size_t len, rtc_media_ivf_reader_t **out);
int rtc_media_ivf_open_file(const char *path, rtc_media_ivf_reader_t **out);
void rtc_media_ivf_close(rtc_media_ivf_reader_t *r); /* NULL is fine */

const rtc_media_ivf_info_t *rtc_media_ivf_info(const rtc_media_ivf_reader_t *r);
rtc_media_track_t rtc_media_ivf_track(const rtc_media_ivf_reader_t *r);
/* Frame i (0-based): 0, or RTC_ENOTFOUND past the end. data borrowed from the bytes. */
int rtc_media_ivf_frame(const rtc_media_ivf_reader_t *r, size_t i, rtc_media_frame_t *out);

/* Whether a frame of this codec is a keyframe (see above). */
bool rtc_media_ivf_is_keyframe(rtc_media_codec_t codec, const uint8_t *p, size_t len);

/* Writer: the header goes out first, then each frame. Nothing is written to a file
 * here: the caller drains rtc_media_ivf_writer_out. */
typedef struct rtc_media_ivf_writer rtc_media_ivf_writer_t;
/* fourcc "VP80", "VP90", "AV01"...; tb_num/tb_den the pts unit (e.g. 1/90000 for RTP
 * timestamps, 1/30). RTC_EINVAL, RTC_ENOMEM. */
int rtc_media_ivf_writer_create(const char fourcc[4], uint16_t width, uint16_t height,
                                uint32_t tb_num, uint32_t tb_den, rtc_media_ivf_writer_t **out);
void rtc_media_ivf_writer_destroy(rtc_media_ivf_writer_t *w);
/* Appends one frame. RTC_EINVAL (len 0 or above RTC_MEDIA_IVF_MAX_FRAME), RTC_ENOMEM. */
int rtc_media_ivf_writer_write(rtc_media_ivf_writer_t *w, const uint8_t *p, size_t len,
                               uint64_t pts);
/* The bytes to write (see rtc_media_out_peek/consume). */
rtc_media_out_t *rtc_media_ivf_writer_out(rtc_media_ivf_writer_t *w);
/* The header as it should be at the end (frame count, size seen): a caller that
 * can seek rewrites the first 32 bytes with it; players do not need it. */
void rtc_media_ivf_writer_final_header(const rtc_media_ivf_writer_t *w, uint8_t hdr[32]);
size_t rtc_media_ivf_writer_frames(const rtc_media_ivf_writer_t *w);

#endif
