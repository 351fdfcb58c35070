/* WebM (Matroska subset) muxer, sans-IO: VP8/VP9/AV1 video and Opus audio in one file;
 * with an H.264 track the file is Matroska (DocType "matroska", V_MPEG4/ISO/AVC: WebM does
 * not hold H.264), its frames turned from Annex-B into 4-byte length-prefixed NAL units.
 *
 * Written for recordings that may be killed at any moment: the Segment and every
 * Cluster are written with the "unknown size" marker, so a file cut anywhere plays up
 * to its last complete block; a new Cluster starts at a video keyframe once the
 * current one holds about cluster_ms (1 s), or at any frame once it holds 2x that (or
 * when the 16-bit block time would overflow). Nothing is written to a file here: the
 * caller drains rtc_record_webm_out. At finish the muxer appends Cues (one per
 * cluster) and gives patches (file offset + bytes) that a caller able to seek applies
 * to fill in the Segment size, the Duration and each Cluster's size; a file without
 * them still plays (only seeking and the duration are slower to find).
 *
 * Times are in milliseconds (TimestampScale 1 ms) on the recording's timeline. Blocks
 * of one track must come in non-decreasing time; tracks may interleave loosely (a
 * block up to 32 s before its cluster's start is still written, with a negative
 * relative time, as Matroska allows). */
#ifndef RTC_RECORD_WEBM_H
#define RTC_RECORD_WEBM_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "media/rtc_media.h"

#define RTC_RECORD_WEBM_MAX_TRACKS 4

typedef struct rtc_record_webm_track {
  rtc_media_codec_t codec; /* VP8, VP9, AV1, H264 or OPUS */
  uint16_t width, height;  /* video: 0 when not known (left out) */
  uint8_t channels;        /* Opus: 1 or 2 (0: 2) */
  /* H.264: the AVCDecoderConfigurationRecord (ISO/IEC 14496-15 5.2.4.1, see
   * rtc_record_webm_avcc), required; borrowed during create only. */
  const uint8_t *codec_private;
  size_t codec_private_len;
} rtc_record_webm_track_t;

/* Builds an AVCDecoderConfigurationRecord from one SPS and one PPS (NAL units with their
 * header byte, no start code) into out[cap]: its length, or 0 (too small, SPS < 4 bytes). */
size_t rtc_record_webm_avcc(const uint8_t *sps, size_t sps_len, const uint8_t *pps,
                            size_t pps_len, uint8_t *out, size_t cap);

typedef struct rtc_record_webm rtc_record_webm_t;

/* One patch to apply at the end (pwrite bytes[0..len) at offset). */
typedef struct rtc_record_webm_patch {
  uint64_t offset;
  uint8_t bytes[8];
  uint8_t len;
} rtc_record_webm_patch_t;

/* Tracks are numbered 1..n in the given order. cluster_ms 0: 1000. RTC_EINVAL (no
 * track, too many, a codec not held here, H.264 without its codec_private), RTC_ENOMEM. The EBML header,
 * Info and Tracks are queued at once. */
int rtc_record_webm_create(const rtc_record_webm_track_t *tracks, size_t n, uint32_t cluster_ms,
                           rtc_record_webm_t **out);
void rtc_record_webm_destroy(rtc_record_webm_t *w);

/* One frame of track (1-based) at time_ms (H.264: an Annex-B access unit). RTC_EINVAL
 * (bad track, empty frame, H.264 without a start code, a time before the previous block of
 * the track), RTC_ESTATE after finish, RTC_ENOMEM. */
int rtc_record_webm_write(rtc_record_webm_t *w, unsigned track, const uint8_t *p, size_t len,
                          int64_t time_ms, bool keyframe);
/* Appends the Cues and computes the patches. end_ms: the end of the last frame.
 * Idempotent. */
int rtc_record_webm_finish(rtc_record_webm_t *w, int64_t end_ms);
rtc_media_out_t *rtc_record_webm_out(rtc_record_webm_t *w);
/* Bytes produced so far (written or not). */
uint64_t rtc_record_webm_size(const rtc_record_webm_t *w);
/* Patches after finish (NULL/0 before). Borrowed until destroy. */
const rtc_record_webm_patch_t *rtc_record_webm_patches(const rtc_record_webm_t *w, size_t *n);

#endif
