/* H.264 Annex-B byte stream reader (ITU-T H.264 Annex B), sans-IO.
 *
 * Splits the stream into access units (H.264 §7.4.1.2.3): a new AU starts at an
 * access unit delimiter, or at an SPS/PPS/SEI/prefix NAL (types 6-9, 14-18) that
 * follows a slice, or at a slice whose first_mb_in_slice is 0 after a slice (the
 * first slice of a new picture; streams with arbitrary slice order are not
 * split correctly, which WebRTC's profiles do not use).
 *
 * Keyframe = the AU holds an IDR slice (type 5). The latest SPS and PPS are
 * remembered and put before an IDR AU that lacks them (after its delimiter), so
 * every keyframe can start a decoder: what a receiver joining late or asking for
 * a keyframe needs. An Annex-B file has no timing: the caller gives the frame rate
 * (pts = AU number, timebase fps_den/fps_num). */
#ifndef RTC_MEDIA_H264_H
#define RTC_MEDIA_H264_H
#include "media/rtc_media.h"

#define RTC_MEDIA_H264_MAX_FRAMES (1u << 22)

typedef struct rtc_media_h264_info {
  size_t frames, keyframes;
  uint32_t fps_num, fps_den;
  size_t nals;                                      /* NAL units in the file */
  size_t idr_fixed;                                 /* IDR AUs that get SPS/PPS added when read */
  uint8_t profile_idc, level_idc, constraint_flags; /* from the first SPS (0 if none) */
} rtc_media_h264_info_t;

typedef struct rtc_media_h264_reader rtc_media_h264_reader_t;

/* Indexes p[0..len) (borrowed: it must outlive the reader; open_file owns its
 * copy). fps_num/fps_den: frames per second (0/0: 30/1). 0 and *out, or
 * RTC_EPARSE (no start code, no slice), RTC_ELIMIT, RTC_ENOMEM, RTC_EINVAL. */
int rtc_media_h264_open(const uint8_t *p, size_t len, uint32_t fps_num, uint32_t fps_den,
                        rtc_media_h264_reader_t **out);
int rtc_media_h264_open_file(const char *path, uint32_t fps_num, uint32_t fps_den,
                             rtc_media_h264_reader_t **out);
void rtc_media_h264_close(rtc_media_h264_reader_t *r);

const rtc_media_h264_info_t *rtc_media_h264_info(const rtc_media_h264_reader_t *r);
/* Timebase fps_den/fps_num; the index's offset/len are the AU as stored. */
rtc_media_track_t rtc_media_h264_track(const rtc_media_h264_reader_t *r);
/* AU i in Annex-B form (start codes kept), SPS/PPS prepended to an IDR lacking them.
 * data is borrowed until the next call on r. 0 or RTC_ENOTFOUND. */
int rtc_media_h264_frame(rtc_media_h264_reader_t *r, size_t i, rtc_media_frame_t *out);

/* Iterates NAL units of an Annex-B buffer: from (*off), finds the next one and returns
 * true with *nal and *nal_len (without start code and trailing zero bytes) and *off
 * moved past it. Useful for payloaders. */
bool rtc_media_h264_next_nal(const uint8_t *p, size_t len, size_t *off, const uint8_t **nal,
                             size_t *nal_len);

#endif
