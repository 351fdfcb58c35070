/* Typed RTP attributes of an m-section: a read-only view parsed from the raw
 * attributes rtc_sdp_parse keeps verbatim, and writers that add them to an
 * m-section being built.
 *
 *   a=rtpmap     RFC 8866 6.6       a=fmtp        RFC 8866 6.15
 *   a=rtcp-fb    RFC 4585 4.2       a=extmap      RFC 8285 8
 *   a=ssrc       RFC 5576 4.1       a=ssrc-group  RFC 5576 4.2
 *   a=msid       RFC 8830 2         a=rid         RFC 8851 4
 *   a=simulcast  RFC 8853 5.1       a=rtcp-rsize  RFC 5506 5
 *   a=extmap-allow-mixed RFC 8285 6
 *
 * The raw attributes stay where they are (rtc_sdp_media_t.attrs), so a parsed
 * SDP still serializes to the same text: the view is derived, never stored.
 *
 * rtc_sdp_parse checks the syntax of each of these attributes on RTP m-lines
 * (proto containing "RTP/") and fails with "line N: ..." on a malformed one;
 * rtc_sdp_rtp_parse checks what only the whole section shows (a payload type
 * mapped twice, a non-numeric format on an RTP m-line).
 *
 * Session-level a=extmap (RFC 8285 allows it) is not folded in: no WebRTC
 * implementation we know writes it. */
#ifndef RTC_SDP_RTP_H
#define RTC_SDP_RTP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sdp/rtc_sdp.h"

/* Bounds of the view; an m-section beyond them is refused with RTC_ELIMIT. */
#define RTC_SDP_RTP_MAX_CODECS RTC_SDP_MAX_FMTS
#define RTC_SDP_RTP_MAX_PARAMS 16 /* fmtp key=value pairs per codec */
#define RTC_SDP_RTP_MAX_FB 16     /* rtcp-fb per codec (its own plus "*") */
#define RTC_SDP_RTP_MAX_EXTMAPS 32
#define RTC_SDP_RTP_MAX_SSRCS 64 /* a=ssrc lines */
#define RTC_SDP_RTP_MAX_GROUPS 8
#define RTC_SDP_RTP_MAX_GROUP_SSRCS 16
#define RTC_SDP_RTP_MAX_MSIDS 4
#define RTC_SDP_RTP_MAX_RIDS 8

/* One fmtp parameter. "apt=96" -> key "apt", value "96". A token without '='
 * (telephone-event's "0-16", red's "111/111") has key = the token, value NULL. */
typedef struct rtc_sdp_rtp_param {
  const char *key;
  const char *value;
} rtc_sdp_rtp_param_t;

/* One rtcp-fb: "nack" -> type "nack", subtype NULL; "nack pli" -> "nack", "pli";
 * "ccm fir" -> "ccm", "fir". Anything after the type is the subtype as written. */
typedef struct rtc_sdp_rtp_fb {
  const char *type;
  const char *subtype;
} rtc_sdp_rtp_fb_t;

/* A payload type of the m= line with what the section says about it, in the
 * order of the m= line. */
typedef struct rtc_sdp_rtp_codec {
  uint8_t pt;
  bool has_rtpmap;     /* false: a static PT (RFC 3551) filled from its table, or unknown */
  const char *name;    /* encoding name as written ("opus", "OPUS", "VP8"); "" unknown */
  uint32_t clock_rate; /* 0 when unknown */
  uint8_t channels;    /* from rtpmap; 0 when the rtpmap gave none */
  const char *fmtp;    /* the a=fmtp text after "<pt> ", or NULL */
  rtc_sdp_rtp_param_t params[RTC_SDP_RTP_MAX_PARAMS]; /* fmtp split on ';', in order */
  size_t n_params;
  rtc_sdp_rtp_fb_t fb[RTC_SDP_RTP_MAX_FB]; /* its rtcp-fb and those for "*", as written */
  size_t n_fb;
} rtc_sdp_rtp_codec_t;

typedef struct rtc_sdp_rtp_extmap {
  uint16_t id;                   /* 1..255 (RFC 8285 5: 1-14 one-byte, 1-255 two-byte) */
  rtc_sdp_direction_t direction; /* RTC_SDP_DIR_NONE when no "/dir" */
  const char *uri;
  const char *ext_attrs; /* text after the URI, or NULL */
} rtc_sdp_rtp_extmap_t;

/* One a=ssrc line: "a=ssrc:123 cname:abc" -> 123, "cname", "abc". */
typedef struct rtc_sdp_rtp_ssrc {
  uint32_t ssrc;
  const char *attr;
  const char *value; /* NULL when the attribute has no ":value" */
} rtc_sdp_rtp_ssrc_t;

typedef struct rtc_sdp_rtp_group {
  const char *semantics; /* "FID", "SIM", "FEC-FR", ... */
  uint32_t ssrcs[RTC_SDP_RTP_MAX_GROUP_SSRCS];
  size_t n_ssrcs;
} rtc_sdp_rtp_group_t;

typedef struct rtc_sdp_rtp_msid {
  const char *stream_id; /* "-" means no stream (RFC 8829 5.2.1) */
  const char *track_id;  /* NULL when absent */
} rtc_sdp_rtp_msid_t;

typedef struct rtc_sdp_rtp_rid {
  const char *id;
  bool send;          /* "send" (true) or "recv" */
  const char *params; /* "pt=96;max-width=640" etc. or NULL */
} rtc_sdp_rtp_rid_t;

/* The view. Every string points into memory the view owns (freed with it). */
typedef struct rtc_sdp_rtp {
  rtc_sdp_rtp_codec_t codecs[RTC_SDP_RTP_MAX_CODECS];
  size_t n_codecs;
  rtc_sdp_rtp_extmap_t extmaps[RTC_SDP_RTP_MAX_EXTMAPS];
  size_t n_extmaps;
  rtc_sdp_rtp_ssrc_t ssrcs[RTC_SDP_RTP_MAX_SSRCS];
  size_t n_ssrcs;
  rtc_sdp_rtp_group_t groups[RTC_SDP_RTP_MAX_GROUPS];
  size_t n_groups;
  rtc_sdp_rtp_msid_t msids[RTC_SDP_RTP_MAX_MSIDS];
  size_t n_msids;
  rtc_sdp_rtp_rid_t rids[RTC_SDP_RTP_MAX_RIDS];
  size_t n_rids;
  const char *simulcast;      /* the a=simulcast value as written, or NULL */
  const char *simulcast_send; /* its "send" rid list ("a;b;~c"), or NULL */
  const char *simulcast_recv; /* its "recv" rid list, or NULL */
  bool rtcp_mux;              /* copied from the m-section */
  bool rtcp_rsize;
  bool extmap_allow_mixed;
} rtc_sdp_rtp_t;

/* Builds the view of an RTP m-section. *out is malloc'd (one block, ~40 KB),
 * freed with rtc_sdp_rtp_free; m is not referenced afterwards.
 * Attributes for payload types not on the m= line are ignored (RFC 8866 6.6).
 * Errors: RTC_EINVAL (NULL argument), RTC_EPARSE (a malformed attribute, a
 * non-numeric or out-of-range format, a PT with two rtpmap or two fmtp lines),
 * RTC_ELIMIT (beyond a bound above), RTC_ENOMEM; err (may be NULL) then names
 * the attribute, e.g. "a=rtpmap:96 VP8: needs <name>/<clock rate>". */
int rtc_sdp_rtp_parse(const rtc_sdp_media_t *m, rtc_sdp_rtp_t **out, char *err, size_t errlen);
void rtc_sdp_rtp_free(rtc_sdp_rtp_t *v);

/* Look-ups on a view; NULL / -1 when absent. */
const rtc_sdp_rtp_codec_t *rtc_sdp_rtp_find_codec(const rtc_sdp_rtp_t *v, uint8_t pt);
/* Value of fmtp parameter key (case-insensitive), "" for a key without a value. */
const char *rtc_sdp_rtp_codec_param(const rtc_sdp_rtp_codec_t *c, const char *key);
bool rtc_sdp_rtp_codec_has_fb(const rtc_sdp_rtp_codec_t *c, const char *type, const char *subtype);
int rtc_sdp_rtp_find_extmap(const rtc_sdp_rtp_t *v, const char *uri); /* its id */
/* The value of "a=ssrc:<ssrc> <attr>:<value>" (e.g. attr "cname"), or NULL. */
const char *rtc_sdp_rtp_ssrc_attr(const rtc_sdp_rtp_t *v, uint32_t ssrc, const char *attr);

/* Checks the syntax of one attribute (name, value as kept in rtc_sdp_attr_t) if it
 * is one of those above; 0 for any other attribute. RTC_EPARSE with a message in
 * err otherwise. rtc_sdp_parse calls it for RTP m-sections. */
int rtc_sdp_rtp_check_attr(const char *name, const char *value, char *err, size_t errlen);

/* Writers: append the attribute to m->attrs (in call order). They check their
 * arguments (tokens without spaces where the grammar has none, numbers in range)
 * and return RTC_EINVAL before writing anything malformed; RTC_ELIMIT at
 * RTC_SDP_MAX_ATTRS; RTC_ENOMEM. */
/* Replaces the m= line's formats with these payload types (n >= 1). */
int rtc_sdp_rtp_set_pts(rtc_sdp_media_t *m, const uint8_t *pts, size_t n);
/* channels 0: no "/channels" part (video; audio with 1 channel may use 0 too). */
int rtc_sdp_rtp_add_rtpmap(rtc_sdp_media_t *m, uint8_t pt, const char *name, uint32_t clock_rate,
                           uint8_t channels);
int rtc_sdp_rtp_add_fmtp(rtc_sdp_media_t *m, uint8_t pt, const char *params);
/* pt < 0 writes "*". subtype may be NULL. */
int rtc_sdp_rtp_add_rtcp_fb(rtc_sdp_media_t *m, int pt, const char *type, const char *subtype);
/* direction RTC_SDP_DIR_NONE writes no "/dir"; ext_attrs may be NULL. */
int rtc_sdp_rtp_add_extmap(rtc_sdp_media_t *m, uint16_t id, rtc_sdp_direction_t direction,
                           const char *uri, const char *ext_attrs);
/* value NULL writes "a=ssrc:<ssrc> <attr>". */
int rtc_sdp_rtp_add_ssrc(rtc_sdp_media_t *m, uint32_t ssrc, const char *attr, const char *value);
int rtc_sdp_rtp_add_ssrc_group(rtc_sdp_media_t *m, const char *semantics, const uint32_t *ssrcs,
                               size_t n);
/* stream_id NULL writes "-"; track_id may be NULL. */
int rtc_sdp_rtp_add_msid(rtc_sdp_media_t *m, const char *stream_id, const char *track_id);
int rtc_sdp_rtp_add_rid(rtc_sdp_media_t *m, const char *id, bool send, const char *params);
int rtc_sdp_rtp_add_simulcast(rtc_sdp_media_t *m, const char *value);
int rtc_sdp_rtp_add_flag(rtc_sdp_media_t *m, const char *name); /* "rtcp-rsize", ... */

#endif
