/* Shared between rtc_sdp_codec*.c: the table of what luartc supports. */
#ifndef RTC_SDP_CODEC_INTERNAL_H
#define RTC_SDP_CODEC_INTERNAL_H
#include "sdp/rtc_sdp_codec.h"

typedef struct rtc__sdp_codec_entry {
  rtc_sdp_kind_t kind;
  rtc_sdp_codec_id_t id;
  const char *name; /* as we write it */
  uint32_t clock_rate;
  uint8_t channels;   /* in rtpmap; 0 none */
  const char *fmtp;   /* what we write, NULL none */
  uint32_t fb;        /* RTC_SDP_FB_* we handle */
  uint8_t pt, rtx_pt; /* defaults; rtx_pt 0 = no RTX */
  uint32_t plid;      /* H.264 profile-level-id */
} rtc__sdp_codec_entry_t;

typedef struct rtc__sdp_ext_entry {
  rtc_sdp_ext_id_t ext;
  const char *uri;
  uint8_t id;     /* default id */
  unsigned kinds; /* 1 << RTC_SDP_AUDIO | 1 << RTC_SDP_VIDEO */
} rtc__sdp_ext_entry_t;

extern const rtc__sdp_codec_entry_t rtc__sdp_codecs[];
extern const size_t rtc__sdp_n_codecs;
extern const rtc__sdp_ext_entry_t rtc__sdp_exts[];
extern const size_t rtc__sdp_n_exts;

/* The table entry a remote codec (a view's) maps to, or NULL; for H.264 the
 * entry of the same profile with packetization-mode equal. */
const rtc__sdp_codec_entry_t *rtc__sdp_codec_match(rtc_sdp_kind_t kind,
                                                   const rtc_sdp_rtp_codec_t *rc);
/* A codec of a set from a table entry (our fmtp, fb, default PT). */
void rtc__sdp_codec_from_entry(rtc_sdp_codec_t *c, const rtc__sdp_codec_entry_t *e);
/* The RTX codec repairing pt with our values. */
void rtc__sdp_codec_rtx(rtc_sdp_codec_t *c, uint8_t pt, uint8_t apt, uint32_t clock_rate);
/* Index of the first pref e matches, or -1. */
int rtc__sdp_codec_pref_rank(const rtc__sdp_codec_entry_t *e, const rtc_sdp_codec_cap_t *prefs,
                             size_t n);
bool rtc__sdp_codec_prefs_rtx(rtc_sdp_kind_t kind, const rtc_sdp_codec_cap_t *prefs, size_t n);
/* The feedback bits of a view's codec. */
uint32_t rtc__sdp_codec_fb_bits(const rtc_sdp_rtp_codec_t *rc);
const rtc__sdp_ext_entry_t *rtc__sdp_ext_by_uri(rtc_sdp_kind_t kind, const char *uri);
/* Space bookkeeping: record c under its PT / ext under its id when free. */
void rtc__sdp_space_note_codec(rtc_sdp_codec_space_t *s, const rtc_sdp_codec_t *c);
void rtc__sdp_space_note_ext(rtc_sdp_codec_space_t *s, const rtc_sdp_ext_t *x);
/* H.264: the profile-level-id we answer to an offered one (RFC 6184 8.2.2). */
uint32_t rtc__sdp_h264_answer_plid(uint32_t offered, bool offer_asym, uint32_t ours);
/* profile-level-id and packetization-mode of a view's H.264 codec, with the
 * RFC 6184 8.1 defaults (42000a, 0). */
uint32_t rtc__sdp_h264_plid_of(const rtc_sdp_rtp_codec_t *rc);
uint8_t rtc__sdp_h264_mode_of(const rtc_sdp_rtp_codec_t *rc);

#endif
