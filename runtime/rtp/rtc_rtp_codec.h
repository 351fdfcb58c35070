/* Payloaders (one frame -> RTP payloads that fit a size) and depayloaders (RTP packets
 * in sequence order -> whole frames) for VP8 (RFC 7741), VP9 (RFC 9628), AV1 (AOM "RTP
 * Payload Format for AV1" v1.0), H.264 (RFC 6184, packetization-mode 1), Opus
 * (RFC 7587) and PCMU/PCMA (RFC 3551).
 *
 * Frame formats on both sides (what the media readers produce / recorders consume):
 *   VP8, VP9  one compressed frame as in IVF
 *   AV1       one temporal unit as low-overhead OBUs ("Section 5" bitstream, every OBU
 *             with obu_has_size_field=1), as in IVF/MP4; the depayloader starts it with a
 *             temporal delimiter OBU
 *   H.264     one access unit in Annex-B (start codes); the depayloader writes 4-byte
 *             start codes (00 00 00 01)
 *   Opus      one Opus packet; PCMU/PCMA: the samples, one byte each
 *
 * Neither side allocates per packet: the payloader is caller-owned memory, the
 * depayloader holds one frame buffer sized at create time. */
#ifndef RTC_RTP_CODEC_H
#define RTC_RTP_CODEC_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rtp/rtc_rtp.h"

typedef enum rtc_rtp_codec {
  RTC_RTP_CODEC_VP8 = 1,
  RTC_RTP_CODEC_VP9,
  RTC_RTP_CODEC_AV1,
  RTC_RTP_CODEC_H264,
  RTC_RTP_CODEC_OPUS,
  RTC_RTP_CODEC_PCMU,
  RTC_RTP_CODEC_PCMA,
} rtc_rtp_codec_t;

/* "VP8", "opus" ... as in SDP a=rtpmap (static strings), NULL for an unknown value. */
const char *rtc_rtp_codec_name(rtc_rtp_codec_t c);
/* RTP clock rate: 90000 for video, 48000 for Opus, 8000 for G.711. 0 when unknown. */
uint32_t rtc_rtp_codec_clock_rate(rtc_rtp_codec_t c);
bool rtc_rtp_codec_is_video(rtc_rtp_codec_t c);

/* ===== Payloader ===== */

/* Caller-owned; all fields private. Init once per stream (it keeps the picture id and the
 * H.264 parameter sets across frames). */
typedef struct rtc_rtp_payloader {
  rtc_rtp_codec_t codec;
  size_t max_payload;  /* bytes of RTP payload per packet (MTU minus headers/SRTP tag) */
  uint16_t picture_id; /* VP8/VP9: 15-bit, incremented per frame */
  bool vp9_flexible;   /* VP9: send flexible mode (F=1) instead of non-flexible */
  bool vp9_has_size;   /* VP9 keyframe: size read from the header, sent in the SS */
  uint16_t vp9_width, vp9_height;
  /* the current frame (borrowed until the last packet of it is taken) */
  const uint8_t *frame;
  size_t frame_len;
  bool keyframe;
  bool first, done;
  size_t off; /* VP8/VP9: bytes sent; H.264/AV1: where the next unit starts */
  /* H.264 NAL unit being cut into FU-As / AV1 OBU being cut into fragments */
  bool unit_open;
  const uint8_t *unit;
  size_t unit_len, unit_off;
  uint8_t unit_hdr[2]; /* AV1: the OBU header as sent (obu_has_size_field cleared) */
  uint8_t unit_hdr_len;
  bool av1_seq_hdr; /* AV1: the temporal unit holds a sequence header (N bit) */
  /* H.264: last SPS/PPS seen (RFC 6184 section 8.4: we put them before an IDR that
   * comes without them) */
  uint8_t sps[256], pps[256];
  size_t sps_len, pps_len;
  int inject; /* H.264: parameter sets still to put before this IDR (bit 0 SPS, bit 1 PPS) */
} rtc_rtp_payloader_t;

/* Sets up a payloader. max_payload must leave room for the payload descriptor (at least
 * 16 bytes; 1200 minus RTP/SRTP overhead is typical). RTC_EINVAL for an unknown codec or
 * a too small max_payload. VP9 is sent non-flexible (F=0) by default with a 15-bit picture
 * id, no layer indices, and a scalability structure (with the resolution when the
 * keyframe header gives it) on keyframes; see rtc_rtp_payloader_set_vp9_flexible. */
int rtc_rtp_payloader_init(rtc_rtp_payloader_t *pl, rtc_rtp_codec_t codec, size_t max_payload);
/* VP9 only: send flexible mode (F=1): every inter frame says P_DIFF=1 (it refers to the
 * previous picture), keyframes carry no reference. */
void rtc_rtp_payloader_set_vp9_flexible(rtc_rtp_payloader_t *pl, bool on);

/* Starts a frame. frame is borrowed until rtc_rtp_payloader_next returned its last packet
 * (marker true) or the next set_frame. keyframe: VP8/VP9/AV1/H.264 detect it themselves
 * from the bitstream, the flag is OR'ed in (use it to say so for a bitstream we cannot
 * read); ignored for audio. RTC_EINVAL when len is 0; RTC_ETOOBIG for an audio frame
 * larger than max_payload (audio is never split); RTC_EPARSE for an H.264 access unit
 * without a start code or an AV1 temporal unit whose OBU sizes do not add up. */
int rtc_rtp_payloader_set_frame(rtc_rtp_payloader_t *pl, const uint8_t *frame, size_t len,
                                bool keyframe);

/* Writes the next packet's payload into out (cap >= max_payload) and sets *marker when it
 * is the frame's last packet (video RTP marker). Audio: *marker is always false (RFC 3551
 * and RFC 7587 keep the marker for the start of a talkspurt; the caller decides).
 * Returns the payload length, 0 when the frame is done, RTC_ETOOBIG when cap is too small. */
int rtc_rtp_payloader_next(rtc_rtp_payloader_t *pl, uint8_t *out, size_t cap, bool *marker);

/* ===== Depayloader ===== */

typedef struct rtc_rtp_depayloader rtc_rtp_depayloader_t;

/* A rebuilt frame. data is owned by the depayloader, valid until the next push/reset. */
typedef struct rtc_rtp_frame {
  const uint8_t *data;
  size_t len;
  uint32_t ts; /* RTP timestamp */
  bool keyframe;
  int64_t first_seq, last_seq; /* extended sequence numbers of its first and last packet */
  /* VP8/VP9: picture id of the frame, -1 when absent */
  int32_t picture_id;
} rtc_rtp_frame_t;

/* Counters; never reset. */
typedef struct rtc_rtp_depayloader_stats {
  uint64_t packets;        /* pushed */
  uint64_t frames;         /* emitted */
  uint64_t frames_dropped; /* a packet inside them was missing: dropped, not emitted;
                              also frames lost whole between two others (counted by
                              picture id for VP8/VP9, as one for the other video codecs) */
  uint64_t frames_too_big; /* larger than max_frame: dropped */
  uint64_t malformed;      /* packets whose payload did not parse: dropped */
} rtc_rtp_depayloader_stats_t;

/* max_frame bounds a rebuilt frame (0 = 1 MiB). NULL on out of memory / unknown codec. */
rtc_rtp_depayloader_t *rtc_rtp_depayloader_create(rtc_rtp_codec_t codec, size_t max_frame);
void rtc_rtp_depayloader_destroy(rtc_rtp_depayloader_t *d);

/* Result bits of rtc_rtp_depayloader_push. */
#define RTC_RTP_DEPAY_FRAME 1 /* *out holds a complete frame */
#define RTC_RTP_DEPAY_DROPPED                                                                      \
  2 /* a frame was dropped or lost whole (loss, too big): the                                      \
       caller should ask for a keyframe */

/* Pushes one packet, in extended-sequence order (gaps are allowed: they are how loss is
 * seen). h is the parsed packet (payload borrowed for the call only). A gap inside a
 * frame drops that frame; after a gap the depayloader waits for a packet that starts a
 * frame. Returns a mask of RTC_RTP_DEPAY_* (0: nothing yet). A packet older than the
 * last pushed one or malformed is counted and ignored. */
int rtc_rtp_depayloader_push(rtc_rtp_depayloader_t *d, int64_t ext_seq, const rtc_rtp_header_t *h,
                             rtc_rtp_frame_t *out);
/* Tells it packets up to ext_seq will never come (the reorder buffer gave up): drops a
 * frame in progress if it needed them. Returns RTC_RTP_DEPAY_DROPPED or 0. */
int rtc_rtp_depayloader_skip_to(rtc_rtp_depayloader_t *d, int64_t ext_seq);
void rtc_rtp_depayloader_get_stats(const rtc_rtp_depayloader_t *d,
                                   rtc_rtp_depayloader_stats_t *out);

#endif
