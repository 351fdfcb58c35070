/* Recorder, sans-IO: depayloaded RTP frames of one or more tracks in, the bytes of a
 * playable file out (IVF, Ogg Opus, WebM/Matroska, fragmented MP4, or H.264 Annex-B as it
 * came). The host (runtime/io writer, the pc hook)
 * drains rtc_record_out and writes the bytes where and when it can.
 *
 * Timing. Each track's 32-bit RTP timestamps are extended (wrap-around: a step is taken
 * as the signed 32-bit difference to the previous frame), so a gap in them (loss, a
 * muted track that sent nothing) stays a gap in the file. Tracks are placed on one
 * timeline: when both have an RTCP SR (rtc_record_sr), by the NTP time the sender gives
 * their first frames (what the sender's capture clock says, the way lip sync works);
 * otherwise by the arrival time (now_us) of their first frames.
 *
 * Start. Nothing is written until every video track has a keyframe (the host should
 * send a PLI while rtc_record_wants_keyframe says so) or start_wait_us went by since
 * the first frame (then the tracks with a keyframe start without the others). Audio
 * before the start is dropped, so audio and video start together.
 * Senders report SRs only every 1-5 s, after their first packets: a recording of several
 * tracks keeps their frames (from the keyframe on, copied, at most 4 MiB) until every
 * track has an SR or sr_wait_us went by, then places them and writes what it kept, so
 * that the SRs, not the arrival, align the start. rtc_record_finish writes what is kept. */
#ifndef RTC_RECORD_H
#define RTC_RECORD_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "media/rtc_media.h"
#include "record/rtc_record_mp4.h"
#include "record/rtc_record_webm.h"

typedef enum rtc_record_format {
  RTC_RECORD_FORMAT_NONE = 0,
  RTC_RECORD_FORMAT_IVF,
  RTC_RECORD_FORMAT_OGG,
  RTC_RECORD_FORMAT_WEBM,
  RTC_RECORD_FORMAT_MKV, /* the WebM muxer, and H.264 allowed (DocType matroska with it) */
  RTC_RECORD_FORMAT_H264, /* one H.264 track: the Annex-B frames themselves, from an IDR */
  RTC_RECORD_FORMAT_MP4,  /* fragmented MP4: H.264, VP9, AV1 and Opus (no VP8: no binding) */
  RTC_RECORD_FORMAT_M4A,  /* the MP4 muxer, Opus tracks only */
} rtc_record_format_t;

#define RTC_RECORD_MAX_TRACKS RTC_RECORD_WEBM_MAX_TRACKS

/* From a name ("ivf", "ogg", "opus", "webm", "mkv", "h264", "264", "mp4", "m4a") or a path's
 * extension.
 * NONE else. */
rtc_record_format_t rtc_record_format_parse(const char *name_or_path);
const char *rtc_record_format_name(rtc_record_format_t f); /* "ivf" ... */

typedef struct rtc_record_track_config {
  rtc_media_codec_t codec; /* VP8/VP9/AV1 (IVF, WebM, MKV), H264 (MKV, MP4), VP9 (MP4), OPUS
                            (Ogg, WebM, MKV, MP4, M4A); AV1 also MP4 */
  uint32_t clock_rate;     /* RTP clock; 0: 90000 video, 48000 Opus */
  uint8_t channels;        /* Opus: 0 = 2 */
} rtc_record_track_config_t;

typedef struct rtc_record_config {
  rtc_record_format_t format;
  uint32_t start_wait_us; /* 0: 3 s */
  uint32_t sr_wait_us;    /* several tracks: how long to wait for their SRs; 0: 5 s */
  uint32_t flush_ms;      /* Ogg pages / WebM clusters / MP4 fragments: 0 = 1000 */
} rtc_record_config_t;

typedef struct rtc_record rtc_record_t;

/* IVF: exactly one VP8/VP9/AV1 track; Ogg: exactly one Opus track; H264: exactly one H.264
 * track; WebM/MKV: 1..4 tracks; MP4: 1..4 H.264, VP9, AV1 or Opus tracks; M4A: Opus tracks
 * (H.264 only in MKV and MP4: its file starts at an IDR frame whose SPS and PPS, in band as
 * WebRTC senders send them, make the track's codec private).
 * RTC_EINVAL for a combination the format cannot hold, RTC_ENOMEM. */
int rtc_record_create(const rtc_record_config_t *cfg, const rtc_record_track_config_t *tracks,
                      size_t n, rtc_record_t **out);
void rtc_record_destroy(rtc_record_t *r);

/* One depayloaded frame of track (0-based). 0 (written or dropped as said above),
 * RTC_EINVAL (bad track or empty frame), RTC_ESTATE after finish, RTC_ENOMEM; a frame
 * the container refuses (a malformed Opus TOC) is counted in dropped and 0 returned. */
int rtc_record_push(rtc_record_t *r, size_t track, const uint8_t *p, size_t len, uint32_t rtp_ts,
                    bool keyframe, uint64_t now_us);
/* An RTCP sender report of the track's sender: NTP time (64-bit, RFC 3550) = rtp_ts. */
void rtc_record_sr(rtc_record_t *r, size_t track, uint64_t ntp, uint32_t rtp_ts);
/* The track is video and still waits for its first keyframe. */
bool rtc_record_wants_keyframe(const rtc_record_t *r, size_t track);

/* Ends the file (Ogg end-of-stream, WebM cues, MP4's last fragment and mfra). Idempotent. */
int rtc_record_finish(rtc_record_t *r);
rtc_media_out_t *rtc_record_out(rtc_record_t *r);
/* Patches to apply at the end by a host that can seek (offset, bytes): WebM sizes and
 * duration, MP4 durations, the IVF header's frame count. Valid after finish until destroy. */
const rtc_record_webm_patch_t *rtc_record_patches(const rtc_record_t *r, size_t *n);

typedef struct rtc_record_stats {
  uint64_t bytes;       /* produced so far */
  uint64_t duration_us; /* end of the latest frame on the timeline */
  uint64_t frames, dropped;
  uint64_t skipped; /* video frames before the track's first keyframe */
  /* RTP timestamps that jumped against the frames' arrival (a restarted sender, a new
   * SSRC): the track went on from where it was, at the arrival's pace */
  uint64_t discontinuities;
  bool started;
} rtc_record_stats_t;
void rtc_record_get_stats(const rtc_record_t *r, rtc_record_stats_t *out);

#endif
