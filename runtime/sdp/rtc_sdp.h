/* SDP (RFC 8866) parse and serialize, with the attributes WebRTC (RFC 8829 JSEP,
 * RFC 8839 ICE, RFC 8842 DTLS, RFC 8841 SCTP) gives meaning to parsed into fields.
 * Every other attribute is kept verbatim so nothing is lost on a round trip.
 *
 * Ownership: rtc_sdp_parse allocates an rtc_sdp_t the caller frees with
 * rtc_sdp_free. All strings inside it are owned by it. Parsing never aborts on
 * unknown attributes; it fails (RTC_EPARSE, with a message naming the line) only on
 * lines that break RFC 8866 grammar or WebRTC attributes with bad values.
 * Bounded: at most RTC_SDP_MAX_MEDIA m-sections, RTC_SDP_MAX_ATTRS attributes per
 * section, RTC_SDP_MAX_CANDIDATES candidates per section (RTC_ELIMIT beyond). */
#ifndef RTC_SDP_H
#define RTC_SDP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RTC_SDP_MAX_MEDIA 64
#define RTC_SDP_MAX_ATTRS 256
#define RTC_SDP_MAX_CANDIDATES 64
#define RTC_SDP_MAX_FMTS 64

typedef enum rtc_sdp_setup {
  RTC_SDP_SETUP_NONE = 0, /* attribute absent */
  RTC_SDP_SETUP_ACTPASS,
  RTC_SDP_SETUP_ACTIVE,
  RTC_SDP_SETUP_PASSIVE,
  RTC_SDP_SETUP_HOLDCONN,
} rtc_sdp_setup_t;

typedef enum rtc_sdp_direction {
  RTC_SDP_DIR_NONE = 0, /* attribute absent */
  RTC_SDP_DIR_SENDRECV,
  RTC_SDP_DIR_SENDONLY,
  RTC_SDP_DIR_RECVONLY,
  RTC_SDP_DIR_INACTIVE,
} rtc_sdp_direction_t;

/* An attribute kept as written: "a=name:value" -> name, value ("" when no colon
 * value; value is NULL for a flag attribute like a=rtcp-mux). */
typedef struct rtc_sdp_attr {
  char *name;
  char *value;
} rtc_sdp_attr_t;

/* Fields that JSEP reads at media level fall back to the session level when
 * absent there (ice-ufrag, ice-pwd, ice-options, fingerprint, setup): the parser
 * copies session-level values into each media section that lacks them, so users
 * of a parsed rtc_sdp_t read media-level fields only. The same holds for a
 * session-level direction (RFC 8866 6.7) and end-of-candidates (RFC 8840), and
 * a session-level ice-lite sets ice_lite in every section. Such session-level
 * attributes are consumed (not kept in rtc_sdp_t.attrs); only their first
 * occurrence counts. A repeated media-level WebRTC attribute (a second a=mid,
 * a=setup, ...) is kept verbatim in attrs; the first one sets the field.
 * a=sctp-port / a=sctpmap set sctp_port on SCTP m-lines only (kept in attrs on
 * others); a consumed a=sctpmap is rewritten by rtc_sdp_serialize for the
 * "DTLS/SCTP" proto only. */
typedef struct rtc_sdp_media {
  char *type;                   /* "audio", "video", "application", ... */
  uint16_t port;                /* 0 = rejected (or bundle-only) */
  uint16_t port_count;          /* from "port/count", else 1 */
  char *proto;                  /* "UDP/DTLS/SCTP", "DTLS/SCTP", "UDP/TLS/RTP/SAVPF", ... */
  char *fmts[RTC_SDP_MAX_FMTS]; /* format tokens after proto */
  size_t n_fmts;
  char *conn_addr; /* c= address or NULL (nettype IN, addrtype IP4/IP6 in conn_addrtype) */
  char *conn_addrtype;

  char *mid;       /* a=mid or NULL */
  char *ice_ufrag; /* NULL when absent at both levels */
  char *ice_pwd;
  char *ice_options; /* "trickle", "ice2,trickle", ... or NULL */
  bool ice_lite;
  char *fingerprint_alg; /* lower-case "sha-256", ... or NULL */
  char *fingerprint;     /* "AB:CD:..." as written (upper-cased) or NULL */
  rtc_sdp_setup_t setup;
  rtc_sdp_direction_t direction;
  bool rtcp_mux;
  bool rtcp_mux_only;
  bool bundle_only;
  int sctp_port;            /* a=sctp-port, or from a=sctpmap (old syntax); -1 absent */
  int64_t max_message_size; /* a=max-message-size; -1 absent */
  bool end_of_candidates;
  /* a=candidate values, i.e. the text after "a=candidate:" ("842163049 1 udp ...") */
  char *candidates[RTC_SDP_MAX_CANDIDATES];
  size_t n_candidates;
  rtc_sdp_attr_t *attrs; /* every other attribute, in order */
  size_t n_attrs;
} rtc_sdp_media_t;

typedef struct rtc_sdp {
  char *origin_username; /* o= fields */
  char *session_id;      /* as text: may exceed 64 bits in the wild */
  char *session_version;
  char *origin_nettype, *origin_addrtype, *origin_addr;
  char *session_name; /* s= */
  char *conn_addr;    /* session-level c= or NULL */
  char *conn_addrtype;
  /* a=group:BUNDLE mids (first BUNDLE group only; others stay in attrs). */
  char *bundle_mids[RTC_SDP_MAX_MEDIA];
  size_t n_bundle_mids;
  bool has_bundle_group;
  bool ice_lite;
  rtc_sdp_attr_t *attrs; /* other session-level attributes, in order */
  size_t n_attrs;
  rtc_sdp_media_t *media;
  size_t n_media;
} rtc_sdp_t;

/* Parses text (CRLF or bare LF line ends; need not be NUL-terminated).
 * On failure returns a negative RTC_E* and writes a message naming the line
 * ("line 7: m= line needs at least 4 fields") into err (may be NULL). */
int rtc_sdp_parse(const char *text, size_t len, rtc_sdp_t **out, char *err, size_t errlen);
void rtc_sdp_free(rtc_sdp_t *sdp);

/* Serializes with CRLF line ends, in the RFC 8866 field order; media-level
 * fields are written at media level only. Returns a malloc'd NUL-terminated
 * string (caller frees) or NULL on allocation failure. */
char *rtc_sdp_serialize(const rtc_sdp_t *sdp);

/* Building: a zeroed rtc_sdp_t from rtc_sdp_new, then helpers. All copy their strings
 * and refuse (RTC_EINVAL / NULL) a value containing CR or LF, which would break the
 * line structure of the serialized SDP. rtc_sdp_add_media returns NULL at
 * RTC_SDP_MAX_MEDIA, on allocation failure, or when fmts holds no format (RFC 8866
 * 5.14 requires one); it sets port_count 1, sctp_port and max_message_size -1, and
 * invalidates earlier pointers into sdp->media. rtc_sdp_add_attr and
 * rtc_sdp_media_add_candidate return RTC_ELIMIT at their bounds. */
rtc_sdp_t *rtc_sdp_new(void);
rtc_sdp_media_t *rtc_sdp_add_media(rtc_sdp_t *sdp, const char *type, uint16_t port,
                                   const char *proto, const char *fmts /* space-separated */);
int rtc_sdp_set_str(char **field, const char *value); /* replace an owned string field */
int rtc_sdp_add_attr(rtc_sdp_attr_t **attrs, size_t *n, const char *name, const char *value);
int rtc_sdp_media_add_candidate(rtc_sdp_media_t *m, const char *candidate_value);
/* First attribute with that name in the list, or NULL. */
const rtc_sdp_attr_t *rtc_sdp_find_attr(const rtc_sdp_attr_t *attrs, size_t n, const char *name);
/* Index of the m-section with that mid, or -1. */
int rtc_sdp_find_mid(const rtc_sdp_t *sdp, const char *mid);

#endif
