/* Internals shared by the payloader/depayloader files of runtime/rtp. */
#ifndef RTC_RTP_CODEC_INTERNAL_H
#define RTC_RTP_CODEC_INTERNAL_H
#include "rtp/rtc_rtp_codec.h"

/* What a depayloader learns from one packet's payload before appending it. */
typedef struct rtc__depay_pkt {
  bool can_start;      /* may be the first packet of a frame (follows a complete frame) */
  bool definite_start; /* surely the first packet of a frame (safe after a loss) */
  bool keyframe;       /* the frame is a keyframe (known from this packet) */
  int32_t picture_id;  /* -1 when none */
  uint32_t pid_mod;    /* picture ids wrap at this (128 or 32768) */
  const uint8_t *data; /* VP8/VP9/audio: what to append (payload after the descriptor) */
  size_t len;
} rtc__depay_pkt_t;

struct rtc_rtp_depayloader {
  rtc_rtp_codec_t codec;
  uint8_t *buf;
  size_t cap, len;
  /* the frame in progress */
  bool in_frame;
  uint32_t ts;
  int64_t first_seq;
  bool keyframe;
  int32_t picture_id;
  /* sequence tracking */
  bool have_last;
  int64_t last_seq;
  bool need_definite; /* after a loss or at the start: only a definite start begins */
  bool skipping;      /* packets of skip_ts belong to a frame already given up */
  uint32_t skip_ts;
  bool gap_pending; /* packets went missing between frames: whole frames may be gone */
  int32_t last_pid; /* picture id of the last frame begun, -1 when none */
  /* H.264 */
  bool fu_open;
  bool has_sps, has_pps, has_idr;
  uint8_t sps[256], pps[256];
  size_t sps_len, pps_len;
  /* AV1: the OBU being reassembled (positions in buf) */
  bool obu_open;
  size_t obu_hdr_pos, obu_data_pos;
  uint8_t obu_hdr_len;
  bool obu_had_size;
  rtc_rtp_depayloader_stats_t stats;
};

/* Each returns 0 or RTC_EPARSE (malformed), RTC_ETOOBIG (frame buffer full). */
int rtc__vp8_classify(const uint8_t *p, size_t n, rtc__depay_pkt_t *out);
int rtc__vp9_classify(const uint8_t *p, size_t n, rtc__depay_pkt_t *out);
int rtc__h264_classify(const uint8_t *p, size_t n, rtc__depay_pkt_t *out);
int rtc__h264_append(rtc_rtp_depayloader_t *d, const uint8_t *p, size_t n);
int rtc__h264_finish(rtc_rtp_depayloader_t *d);
int rtc__av1_classify(const uint8_t *p, size_t n, rtc__depay_pkt_t *out);
int rtc__av1_begin(rtc_rtp_depayloader_t *d);
int rtc__av1_append(rtc_rtp_depayloader_t *d, const uint8_t *p, size_t n);
int rtc__av1_finish(rtc_rtp_depayloader_t *d);

int rtc__vp8_next(rtc_rtp_payloader_t *pl, uint8_t *out, size_t cap, bool *marker);
int rtc__vp9_next(rtc_rtp_payloader_t *pl, uint8_t *out, size_t cap, bool *marker);
bool rtc__vp9_keyframe_size(const uint8_t *p, size_t n, bool *key, uint16_t *w, uint16_t *h);
int rtc__h264_set_frame(rtc_rtp_payloader_t *pl);
int rtc__h264_next(rtc_rtp_payloader_t *pl, uint8_t *out, size_t cap, bool *marker);
int rtc__av1_set_frame(rtc_rtp_payloader_t *pl);
int rtc__av1_next(rtc_rtp_payloader_t *pl, uint8_t *out, size_t cap, bool *marker);

/* Unsigned LEB128 (AV1 spec 4.10.5): the value and its length, or -1 when it runs past n
 * or over 8 bytes. */
int rtc__leb128_read(const uint8_t *p, size_t n, uint64_t *v);
size_t rtc__leb128_size(uint64_t v);
size_t rtc__leb128_write(uint8_t *p, uint64_t v);

#endif
