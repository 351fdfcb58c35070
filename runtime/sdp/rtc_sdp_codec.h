/* What luartc can send and receive (codecs, RTCP feedback, header extensions)
 * and the offer/answer rules that turn it into the codecs of an m-section:
 * RFC 8829 (JSEP) 5.2.1 / 5.3.1 and RFC 3264 6, RFC 6184 8.2.2 (H.264
 * profile-level-id), RFC 4588 8.6 (RTX apt), RFC 8285 (extmap).
 *
 *   audio  opus/48000/2 (minptime=10;useinbandfec=1), PCMU/8000, PCMA/8000,
 *          telephone-event/48000 and /8000
 *   video  VP8, VP9 (profile-id=0), H264 (packetization-mode=1, profile-level-id
 *          42e01f and 42001f, level-asymmetry-allowed=1), AV1; each with rtx
 *   rtcp-fb  video: goog-remb, transport-cc, ccm fir, nack, nack pli;
 *            audio: transport-cc
 *   extmap   audio: ssrc-audio-level, abs-send-time, transport-wide-cc-01, sdes:mid;
 *            video: abs-send-time, transport-wide-cc-01, sdes:mid, sdes:rtp-stream-id
 *
 * All functions here are pure: no allocation, no I/O; results go into caller
 * structures (fixed size, bounded). Strings in results are copies or static. */
#ifndef RTC_SDP_CODEC_H
#define RTC_SDP_CODEC_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sdp/rtc_sdp.h"
#include "sdp/rtc_sdp_rtp.h"

#define RTC_SDP_CODEC_MAX 32 /* codecs (RTX included) of one m-section */
#define RTC_SDP_EXT_MAX 16   /* header extensions of one m-section */

typedef enum rtc_sdp_kind {
  RTC_SDP_AUDIO = 0,
  RTC_SDP_VIDEO = 1,
} rtc_sdp_kind_t;

/* Codecs luartc knows. */
typedef enum rtc_sdp_codec_id {
  RTC_SDP_CODEC_NONE = 0,
  RTC_SDP_CODEC_OPUS,
  RTC_SDP_CODEC_PCMU,
  RTC_SDP_CODEC_PCMA,
  RTC_SDP_CODEC_TELEPHONE_EVENT,
  RTC_SDP_CODEC_VP8,
  RTC_SDP_CODEC_VP9,
  RTC_SDP_CODEC_H264,
  RTC_SDP_CODEC_AV1,
  RTC_SDP_CODEC_RTX,
} rtc_sdp_codec_id_t;

/* RTCP feedback (RFC 4585 4.2, RFC 5104 7.2, draft-alvestrand-rmcat-remb,
 * draft-holmer-rmcat-transport-wide-cc-extensions) as bits. */
#define RTC_SDP_FB_NACK 0x01u         /* a=rtcp-fb:<pt> nack */
#define RTC_SDP_FB_NACK_PLI 0x02u     /* nack pli */
#define RTC_SDP_FB_CCM_FIR 0x04u      /* ccm fir */
#define RTC_SDP_FB_GOOG_REMB 0x08u    /* goog-remb */
#define RTC_SDP_FB_TRANSPORT_CC 0x10u /* transport-cc */

/* Header extensions luartc knows. */
typedef enum rtc_sdp_ext_id {
  RTC_SDP_EXT_NONE = 0,
  RTC_SDP_EXT_MID,           /* urn:ietf:params:rtp-hdrext:sdes:mid (RFC 8843 15.2) */
  RTC_SDP_EXT_ABS_SEND_TIME, /* http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time */
  RTC_SDP_EXT_TWCC, /* http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01 */
  RTC_SDP_EXT_AUDIO_LEVEL, /* urn:ietf:params:rtp-hdrext:ssrc-audio-level (RFC 6464) */
  RTC_SDP_EXT_RID,         /* urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id (RFC 8852) */
  RTC_SDP_EXT_RRID, /* urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id (RFC 8852) */
} rtc_sdp_ext_id_t;

/* One negotiated (or offered) codec of an m-section. */
typedef struct rtc_sdp_codec {
  rtc_sdp_codec_id_t id;
  uint8_t pt;            /* the payload type on the wire */
  uint8_t apt;           /* RTX only: the payload type it repairs */
  char name[16];         /* encoding name as we write it: "opus", "VP8", "rtx" */
  uint32_t clock_rate;   /* Hz */
  uint8_t channels;      /* 2 for opus; 0 = no "/channels" in rtpmap */
  uint32_t fb;           /* RTC_SDP_FB_* both sides use */
  char fmtp[128];        /* our a=fmtp parameters ("" none): what we receive */
  char remote_fmtp[128]; /* the peer's a=fmtp for this PT ("" none or not known yet) */
  /* H.264 only: profile-level-id of our fmtp (the level we receive) and of the
   * peer's (the level we may send), 0 when not H.264; packetization-mode. */
  uint32_t h264_profile_level_id;
  uint32_t h264_remote_profile_level_id;
  uint8_t h264_packetization_mode;
} rtc_sdp_codec_t;

typedef struct rtc_sdp_ext {
  rtc_sdp_ext_id_t ext;
  uint8_t id;                    /* 1..14 in what we write; the peer's id in an answer */
  rtc_sdp_direction_t direction; /* RTC_SDP_DIR_NONE: no "/dir" (sendrecv) */
  const char *uri;               /* static */
} rtc_sdp_ext_t;

/* The RTP parameters of one m-section: codecs in preference order (first =
 * the one to send), RTX codecs among them; extensions; rtcp-rsize. */
typedef struct rtc_sdp_codec_set {
  rtc_sdp_kind_t kind;
  rtc_sdp_codec_t codecs[RTC_SDP_CODEC_MAX];
  size_t n_codecs;
  rtc_sdp_ext_t exts[RTC_SDP_EXT_MAX];
  size_t n_exts;
  bool rtcp_rsize;
} rtc_sdp_codec_set_t;

/* W3C RTCRtpCodecCapability (webrtc-pc 5.2.x, RTCRtpSender.getCapabilities):
 * mimeType "video/VP8", clockRate, channels (0 = absent), sdpFmtpLine ("" =
 * absent). Also the element type of codec preferences (setCodecPreferences). */
typedef struct rtc_sdp_codec_cap {
  char mime_type[32];
  uint32_t clock_rate;
  uint8_t channels;
  char sdp_fmtp_line[128];
} rtc_sdp_codec_cap_t;

/* The session's payload-type and extension-id space: every m-line we write
 * in one session maps a PT to one codec and an extension id to one URI
 * (RFC 8843 9.1 / RFC 8285 6 under BUNDLE; JSEP 5.2.2: a re-offer reuses what
 * was negotiated). Caller-owned, zero-initialised by rtc_sdp_codec_space_init;
 * offers, answers and applied answers record into it. A peer's offer may map
 * ids differently per m-line (aiortc 1.4 gives extension id 2 two meanings):
 * answers follow the peer per m-line and never fail on that; the space keeps
 * the first meaning and our later offers avoid the id for other things. */
typedef struct rtc_sdp_codec_space {
  struct {
    rtc_sdp_codec_id_t id; /* NONE = free */
    uint32_t clock_rate;
    uint8_t channels, apt, packetization_mode;
    uint32_t h264_profile; /* profile_idc << 8 | constraint flags */
  } pt[128];
  rtc_sdp_ext_id_t ext[256]; /* id -> extension, NONE = free (ids 15.. unused by us) */
} rtc_sdp_codec_space_t;

void rtc_sdp_codec_space_init(rtc_sdp_codec_space_t *space);

/* W3C getCapabilities(kind).codecs: fills up to max entries, returns how many
 * there are in all. RTX appears once ("video/rtx", no fmtp line). */
size_t rtc_sdp_codec_capabilities(rtc_sdp_kind_t kind, rtc_sdp_codec_cap_t *out, size_t max);
/* getCapabilities(kind).headerExtensions: the URIs (static), count as above. */
size_t rtc_sdp_codec_header_extensions(rtc_sdp_kind_t kind, const char **uris, size_t max);

/* W3C "codec dictionary match": mimeType case-insensitively, clockRate, and
 * channels / sdpFmtpLine either absent in both (0 / "") or equal. */
bool rtc_sdp_codec_cap_match(const rtc_sdp_codec_cap_t *a, const rtc_sdp_codec_cap_t *b);

/* Codec preferences check (setCodecPreferences): RTC_EINVAL with a message
 * naming the entry when one is not among the capabilities of kind, or when
 * the list holds only RTX (W3C: InvalidModificationError). n 0 is valid
 * (reset to the defaults). */
int rtc_sdp_codec_check_prefs(rtc_sdp_kind_t kind, const rtc_sdp_codec_cap_t *prefs, size_t n,
                              char *err, size_t errlen);

/* JSEP 5.2.1: the codecs and extensions of an m-section we offer. prefs
 * (NULL/0 = all, in our default order) select and order the codecs; RTX of a
 * video codec is offered when prefs are empty or contain "video/rtx". PTs and
 * extension ids come from space (reusing what it holds for the same codec,
 * else our defaults, else a free number) and are recorded in it.
 * Errors: RTC_EINVAL (bad argument), RTC_ENOTFOUND (prefs select nothing),
 * RTC_ELIMIT (no payload type left in the space). */
int rtc_sdp_codec_offer(rtc_sdp_codec_space_t *space, rtc_sdp_kind_t kind,
                        const rtc_sdp_codec_cap_t *prefs, size_t n_prefs, rtc_sdp_codec_set_t *out);

/* JSEP 5.3.1: what we answer to a remote offer's m-section (its view): the
 * offered codecs we support, with the offerer's PTs, in the offerer's order (or
 * prefs order when prefs are given); H.264 matched by profile (profile_idc and
 * constraint flags, RFC 6184 8.1) with equal packetization-mode, its level
 * answered as min(offer, ours), or ours when both allow level asymmetry; RTX
 * kept only when its apt survives; rtcp-fb intersected; the offered header
 * extensions we support with the offerer's ids. remote_fmtp holds the offer's
 * fmtp. Records PTs/ids in space (space may be NULL).
 * Errors: RTC_EINVAL (bad argument), RTC_ENOTFOUND with err "no codec in
 * common" (the m-section is to be rejected). */
int rtc_sdp_codec_answer(rtc_sdp_codec_space_t *space, rtc_sdp_kind_t kind,
                         const rtc_sdp_rtp_t *offer, const rtc_sdp_codec_cap_t *prefs,
                         size_t n_prefs, rtc_sdp_codec_set_t *out, char *err, size_t errlen);

/* Applying the remote answer (its view of the m-section) to what we offered:
 * the codecs to send with, in the answerer's order, with the answerer's PTs
 * (which JSEP makes equal to ours; a codec answered under another PT is
 * matched by codec), fb intersected, remote_fmtp = the answer's fmtp (its
 * H.264 level is the most we may send); the extensions of the answer that we
 * offered, with the answer's ids. Records PTs/ids in space (may be NULL).
 * Errors: RTC_EINVAL, RTC_ENOTFOUND ("no codec in common"). */
int rtc_sdp_codec_apply_answer(rtc_sdp_codec_space_t *space, const rtc_sdp_codec_set_t *offered,
                               const rtc_sdp_rtp_t *answer, rtc_sdp_codec_set_t *out, char *err,
                               size_t errlen);

/* Writes a set into an m-section being built: replaces the m= formats with the
 * set's PTs, then appends a=rtpmap, a=rtcp-fb, a=fmtp per codec, a=extmap per
 * extension, and a=rtcp-rsize. Sets m->rtcp_mux (JSEP 5.2.1 always offers it).
 * Errors as the rtc_sdp_rtp_add_* writers; RTC_EINVAL for an empty set. */
int rtc_sdp_codec_write(rtc_sdp_media_t *m, const rtc_sdp_codec_set_t *set);

/* The codec to send: the first non-RTX codec of the set, or NULL. */
const rtc_sdp_codec_t *rtc_sdp_codec_primary(const rtc_sdp_codec_set_t *set);
/* The codec with payload type pt (what an incoming packet's PT means), or NULL. */
const rtc_sdp_codec_t *rtc_sdp_codec_find(const rtc_sdp_codec_set_t *set, uint8_t pt);
/* The RTX codec whose apt is pt, or NULL. */
const rtc_sdp_codec_t *rtc_sdp_codec_rtx_for(const rtc_sdp_codec_set_t *set, uint8_t pt);
/* The id of extension ext in the set, or 0. */
uint8_t rtc_sdp_codec_ext_id(const rtc_sdp_codec_set_t *set, rtc_sdp_ext_id_t ext);

/* H.264 profile-level-id helpers (RFC 6184 8.1). parse: "42e01f" -> 0x42e01f,
 * false for anything but 6 hex digits. same_profile: true when both name the
 * same profile (Constrained Baseline, Baseline, Main, High, ...), whatever
 * their levels. */
bool rtc_sdp_h264_parse_plid(const char *s, uint32_t *plid);
bool rtc_sdp_h264_same_profile(uint32_t a, uint32_t b);

#endif
