/* Fragmented MP4 (ISO BMFF, ISO/IEC 14496-12) muxer, sans-IO: H.264 (avc3 + avcC: the
 * samples keep their SPS/PPS, which may change the size mid-stream), VP9
 * (vp09 + vpcC, the VP codec ISO BMFF binding) and Opus (Opus + dOps, "Encapsulation of
 * Opus in ISO Base Media File Format") in one file that browsers' <video> and MSE and
 * ffmpeg open, and AV1 (av01 + av1C, AV1 Codec ISO Media File Format Binding: temporal
 * units without their temporal delimiters). VP8 has no standard MP4 binding (use WebM).
 *
 * Layout: ftyp (isom, iso6, mp41), moov with empty sample tables and mvex (mehd, trex),
 * then one moof (mfhd, a traf per track: tfhd with default-base-is-moof, tfdt, trun with
 * each sample's duration, size and, video, flags; Opus: an sbgp putting the samples in the
 * 'roll' group) + mdat per fragment, and at finish an mfra (a tfra per track: where each
 * fragment starts) for seeking. An Opus track has an edit list (edts/elst) whose
 * media_time is the pre-skip, and a 'roll' sample group of 80 ms, as the Opus mapping
 * requires; its decode times run pre_skip ticks late, so that after the edit each packet
 * plays at its own time (what an Ogg granule offset by the pre-skip says).
 *
 * Written for recordings that may be killed at any moment: a fragment is queued whole once
 * it is complete (its moof needs every sample's size), so a file cut anywhere plays up to
 * its last complete fragment and loses at most the fragment being gathered (~1-2 s). A new
 * fragment starts at a video keyframe once the current one holds fragment_ms (1 s), or at
 * any frame once it holds 2x that (WebRTC senders send keyframes only when asked), or
 * every fragment_ms with audio only. A sample's duration is the time to the next sample of
 * its track; the last one of a fragment whose successor has not come yet gets an estimate
 * (Opus: the packet's own duration; video: the previous interval), and each fragment's
 * tfdt puts its samples at their exact times again.
 *
 * Times are in microseconds on the recording's timeline (each track in its own timescale:
 * 90 kHz video, 48 kHz Opus). Samples of one track must come in non-decreasing time (two
 * at one time: the later goes one tick later); tracks may interleave loosely.
 *
 * At finish the muxer gives patches (file offset + bytes) that a caller able to seek
 * applies: the durations in mvhd, mehd, tkhd and mdhd, which players show before they
 * have read every fragment. A file without them (killed) still plays whole. */
#ifndef RTC_RECORD_MP4_H
#define RTC_RECORD_MP4_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "media/rtc_media.h"
#include "record/rtc_record_codec.h"
#include "record/rtc_record_webm.h" /* rtc_record_webm_patch_t, the recorder's patch */

#define RTC_RECORD_MP4_MAX_TRACKS 4

typedef struct rtc_record_mp4_track {
  rtc_media_codec_t codec; /* H264, VP9, AV1 or OPUS */
  uint16_t width, height;  /* video: the sample entry's and tkhd's size (0: unknown) */
  uint8_t channels;        /* Opus: 1 or 2 (0: 2) */
  uint16_t pre_skip;       /* Opus: samples at 48 kHz a decoder drops at the start */
  uint32_t opus_frame;     /* Opus: samples at 48 kHz a packet holds, for the roll group (0: 960) */
  /* H.264: the AVCDecoderConfigurationRecord (rtc_record_webm_avcc), required; borrowed
   * during create only. */
  const uint8_t *codec_private;
  size_t codec_private_len;
  /* VP9: the keyframe's header fields for vpcC (NULL: profile 0, 8-bit 4:2:0). */
  const rtc_record_codec_vp9_t *vp9;
  /* AV1: the sequence header's fields and OBU (rtc_record_codec_av1_info on a keyframe),
   * required; borrowed during create only. */
  const rtc_record_codec_av1_t *av1;
} rtc_record_mp4_track_t;

typedef struct rtc_record_mp4 rtc_record_mp4_t;

/* Tracks get ids 1..n in the given order. fragment_ms 0: 1000. RTC_EINVAL (no track, too
 * many, a codec not held here (VP8), H.264 without its codec_private, AV1 without its
 * sequence header, Opus with more than 2 channels), RTC_ENOMEM.
 * ftyp and moov are queued at once. */
int rtc_record_mp4_create(const rtc_record_mp4_track_t *tracks, size_t n, uint32_t fragment_ms,
                          rtc_record_mp4_t **out);
void rtc_record_mp4_destroy(rtc_record_mp4_t *m);

/* One frame of track (1-based) at time_us >= 0 (H.264: an Annex-B access unit, written
 * length-prefixed; AV1: a temporal unit, every OBU with its size). RTC_EINVAL (bad track,
 * empty frame, H.264 without a NAL unit, a malformed AV1 OBU, a time
 * before the previous frame of the track), RTC_ESTATE after finish, RTC_ENOMEM. */
int rtc_record_mp4_write(rtc_record_mp4_t *m, unsigned track, const uint8_t *p, size_t len,
                         int64_t time_us, bool keyframe);
/* Queues the last fragment and the mfra, computes the patches. Idempotent. */
int rtc_record_mp4_finish(rtc_record_mp4_t *m);
/* The duration patches after finish (NULL/0 before). Borrowed until destroy. */
const rtc_record_webm_patch_t *rtc_record_mp4_patches(const rtc_record_mp4_t *m, size_t *n);
rtc_media_out_t *rtc_record_mp4_out(rtc_record_mp4_t *m);
/* Bytes queued so far (written or not), fragments: complete ones queued. */
uint64_t rtc_record_mp4_size(const rtc_record_mp4_t *m);
uint32_t rtc_record_mp4_fragments(const rtc_record_mp4_t *m);

#endif
