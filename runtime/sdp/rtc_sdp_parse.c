/* SDP parser (RFC 8866) with the WebRTC attributes parsed into fields:
 * RFC 8839 (ICE), RFC 8842 (DTLS setup/fingerprint), RFC 8841 (SCTP), RFC 8843
 * (BUNDLE), RFC 8858 (rtcp-mux-only), RFC 8840 (end-of-candidates).
 *
 * Tolerant where real peers differ (LF or CRLF, trailing whitespace, a missing
 * final newline, blank lines, runs of spaces between fields, unknown line types),
 * strict where a value we act on would be ambiguous (ports, sizes, setup). */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/rtc_err.h"
#include "sdp/rtc_sdp.h"
#include "sdp/rtc_sdp_internal.h"
#include "sdp/rtc_sdp_rtp.h"

/* Session-level values that apply to every m-section lacking its own
 * (RFC 8839 5.4, RFC 8842 5.1 / RFC 8122 5, RFC 8866 6.7, RFC 8840 6). */
typedef struct sdp_fallback {
  char *ice_ufrag, *ice_pwd, *ice_options, *fp_alg, *fp;
  rtc_sdp_setup_t setup;
  rtc_sdp_direction_t dir;
  bool eoc;
} sdp_fallback_t;

typedef struct sdp_parser {
  rtc_sdp_t *sdp;
  rtc_sdp_media_t *m; /* current m-section, NULL at session level */
  sdp_fallback_t fb;
  unsigned line;
  char *err;
  size_t errlen;
} sdp_parser_t;

static int sdp_fail(sdp_parser_t *p, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int sdp_fail(sdp_parser_t *p, int code, const char *fmt, ...) {
  if (p->err && p->errlen) {
    int n = snprintf(p->err, p->errlen, "line %u: ", p->line);
    if (n >= 0 && (size_t)n < p->errlen) {
      va_list ap;
      va_start(ap, fmt);
      vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
      va_end(ap);
    }
  }
  return code;
}

/* Decimal digits only, no sign, no empty string, value <= max. */
static bool sdp_parse_uint(const char *s, uint64_t max, uint64_t *out) {
  uint64_t v = 0;
  if (!s || !*s) return false;
  for (; *s; s++) {
    if (*s < '0' || *s > '9') return false;
    unsigned d = (unsigned)(*s - '0');
    if (v > (max - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

static bool sdp_is_space(char c) { return c == ' ' || c == '\t'; }

/* Splits s in place on runs of spaces/tabs. Returns the number of fields found;
 * only the first max are stored, so a result > max means "too many". */
static size_t sdp_split(char *s, char **out, size_t max) {
  size_t n = 0;
  while (*s) {
    while (sdp_is_space(*s))
      s++;
    if (!*s) break;
    if (n < max) out[n] = s;
    n++;
    while (*s && !sdp_is_space(*s))
      s++;
    if (*s) *s++ = '\0';
  }
  return n;
}

static int sdp_dup(sdp_parser_t *p, char **field, const char *value) {
  if (!(*field = strdup(value))) return sdp_fail(p, RTC_ENOMEM, "out of memory");
  return 0;
}

/* Keeps an attribute verbatim in the current section's list. */
static int sdp_keep(sdp_parser_t *p, const char *name, const char *value) {
  int r = p->m ? rtc_sdp_add_attr(&p->m->attrs, &p->m->n_attrs, name, value)
               : rtc_sdp_add_attr(&p->sdp->attrs, &p->sdp->n_attrs, name, value);
  if (r == RTC_ELIMIT)
    return sdp_fail(p, r, "more than %d attributes in one section", RTC_SDP_MAX_ATTRS);
  if (r == RTC_ENOMEM) return sdp_fail(p, r, "out of memory");
  if (r) return sdp_fail(p, RTC_EPARSE, "bad attribute a=%s", name);
  return 0;
}

static rtc_sdp_setup_t sdp_setup_from(const char *v) {
  if (strcasecmp(v, "actpass") == 0) return RTC_SDP_SETUP_ACTPASS;
  if (strcasecmp(v, "active") == 0) return RTC_SDP_SETUP_ACTIVE;
  if (strcasecmp(v, "passive") == 0) return RTC_SDP_SETUP_PASSIVE;
  if (strcasecmp(v, "holdconn") == 0) return RTC_SDP_SETUP_HOLDCONN;
  return RTC_SDP_SETUP_NONE;
}

static rtc_sdp_direction_t sdp_dir_from(const char *name) {
  if (strcmp(name, "sendrecv") == 0) return RTC_SDP_DIR_SENDRECV;
  if (strcmp(name, "sendonly") == 0) return RTC_SDP_DIR_SENDONLY;
  if (strcmp(name, "recvonly") == 0) return RTC_SDP_DIR_RECVONLY;
  if (strcmp(name, "inactive") == 0) return RTC_SDP_DIR_INACTIVE;
  return RTC_SDP_DIR_NONE;
}

/* RFC 8122 5: "a=fingerprint:<hash-func> <fingerprint>". The hash name is
 * case-insensitive and the hex is compared case-insensitively, so both are
 * normalised here: lower-case name, upper-case hex. */
static int sdp_fingerprint(sdp_parser_t *p, char *v, char **alg, char **fp) {
  char *f[2];
  if (sdp_split(v, f, 2) != 2)
    return sdp_fail(p, RTC_EPARSE, "a=fingerprint needs \"<hash> <hex>\"");
  for (char *c = f[0]; *c; c++)
    *c = (char)tolower((unsigned char)*c);
  for (char *c = f[1]; *c; c++)
    *c = (char)toupper((unsigned char)*c);
  int r = sdp_dup(p, alg, f[0]);
  if (!r) r = sdp_dup(p, fp, f[1]);
  return r;
}

static bool sdp_value_needed(const char *name) {
  static const char *const names[] = {"mid",         "ice-ufrag",       "ice-pwd",   "ice-options",
                                      "fingerprint", "setup",           "candidate", "sctp-port",
                                      "sctpmap",     "max-message-size"};
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
    if (strcmp(name, names[i]) == 0) return true;
  return false;
}

/* a=group:BUNDLE <mid>... (RFC 8843 7.1); later groups stay in attrs. */
static int sdp_session_group(sdp_parser_t *p, const char *value) {
  rtc_sdp_t *s = p->sdp;
  char *copy = strdup(value), *f[RTC_SDP_MAX_MEDIA + 1];
  if (!copy) return sdp_fail(p, RTC_ENOMEM, "out of memory");
  int r = 0;
  size_t n = sdp_split(copy, f, RTC_SDP_MAX_MEDIA + 1);
  if (n > RTC_SDP_MAX_MEDIA + 1) {
    r = sdp_fail(p, RTC_ELIMIT, "more than %d mids in a=group:BUNDLE", RTC_SDP_MAX_MEDIA);
    goto fail;
  }
  s->has_bundle_group = true;
  for (size_t i = 1; i < n; i++) {
    if ((r = sdp_dup(p, &s->bundle_mids[s->n_bundle_mids], f[i]))) goto fail;
    s->n_bundle_mids++;
  }
fail:
  free(copy);
  return r;
}

static int sdp_session_attr(sdp_parser_t *p, const char *name, char *value) {
  sdp_fallback_t *fb = &p->fb;
  rtc_sdp_t *s = p->sdp;
  rtc_sdp_direction_t dir;
  /* Only the first of each fallback counts; repeats are dropped, so that what we
   * serialize (media-level copies only) parses back to the same fields. */
  if (strcmp(name, "group") == 0 && value && !s->has_bundle_group &&
      strncmp(value, "BUNDLE", 6) == 0 && (value[6] == '\0' || sdp_is_space(value[6])))
    return sdp_session_group(p, value);
  if (strcmp(name, "ice-lite") == 0) {
    s->ice_lite = true;
    return 0;
  }
  if (strcmp(name, "ice-ufrag") == 0) return fb->ice_ufrag ? 0 : sdp_dup(p, &fb->ice_ufrag, value);
  if (strcmp(name, "ice-pwd") == 0) return fb->ice_pwd ? 0 : sdp_dup(p, &fb->ice_pwd, value);
  if (strcmp(name, "ice-options") == 0)
    return fb->ice_options ? 0 : sdp_dup(p, &fb->ice_options, value);
  if (strcmp(name, "fingerprint") == 0) {
    char *alg = NULL, *fp = NULL;
    int r = sdp_fingerprint(p, value, &alg, &fp);
    if (r || fb->fp_alg) {
      free(alg);
      free(fp);
      return r;
    }
    fb->fp_alg = alg;
    fb->fp = fp;
    return 0;
  }
  if (strcmp(name, "setup") == 0) {
    rtc_sdp_setup_t st = sdp_setup_from(value);
    if (st == RTC_SDP_SETUP_NONE) return sdp_fail(p, RTC_EPARSE, "bad a=setup value \"%s\"", value);
    if (fb->setup == RTC_SDP_SETUP_NONE) fb->setup = st;
    return 0;
  }
  if ((dir = sdp_dir_from(name)) != RTC_SDP_DIR_NONE) {
    if (fb->dir == RTC_SDP_DIR_NONE) fb->dir = dir;
    return 0;
  }
  if (strcmp(name, "end-of-candidates") == 0) {
    fb->eoc = true;
    return 0;
  }
  return sdp_keep(p, name, value);
}

/* Sets an unset string field, or keeps a repeated attribute verbatim. */
static int sdp_media_str(sdp_parser_t *p, char **field, const char *name, const char *value) {
  return *field ? sdp_keep(p, name, value) : sdp_dup(p, field, value);
}

static int sdp_media_attr(sdp_parser_t *p, const char *name, char *value) {
  rtc_sdp_media_t *m = p->m;
  rtc_sdp_direction_t dir;
  uint64_t v;
  bool sctp = strstr(m->proto, "SCTP") != NULL;
  if (strcmp(name, "mid") == 0) return sdp_media_str(p, &m->mid, name, value);
  if (strcmp(name, "ice-ufrag") == 0) return sdp_media_str(p, &m->ice_ufrag, name, value);
  if (strcmp(name, "ice-pwd") == 0) return sdp_media_str(p, &m->ice_pwd, name, value);
  if (strcmp(name, "ice-options") == 0) return sdp_media_str(p, &m->ice_options, name, value);
  if (strcmp(name, "candidate") == 0) {
    int r = rtc_sdp_media_add_candidate(m, value);
    if (r == RTC_ELIMIT)
      return sdp_fail(p, r, "more than %d candidates in one m-section", RTC_SDP_MAX_CANDIDATES);
    if (r == RTC_ENOMEM) return sdp_fail(p, r, "out of memory");
    return r ? sdp_fail(p, RTC_EPARSE, "bad a=candidate") : 0;
  }
  if (strcmp(name, "fingerprint") == 0) {
    if (m->fingerprint_alg) return sdp_keep(p, name, value);
    return sdp_fingerprint(p, value, &m->fingerprint_alg, &m->fingerprint);
  }
  if (strcmp(name, "setup") == 0) {
    rtc_sdp_setup_t st = sdp_setup_from(value);
    if (st == RTC_SDP_SETUP_NONE) return sdp_fail(p, RTC_EPARSE, "bad a=setup value \"%s\"", value);
    if (m->setup != RTC_SDP_SETUP_NONE) return sdp_keep(p, name, value);
    m->setup = st;
    return 0;
  }
  if ((dir = sdp_dir_from(name)) != RTC_SDP_DIR_NONE) {
    if (m->direction != RTC_SDP_DIR_NONE) return sdp_keep(p, name, value);
    m->direction = dir;
    return 0;
  }
  if (strcmp(name, "ice-lite") == 0) return (void)(m->ice_lite = true), 0;
  if (strcmp(name, "rtcp-mux") == 0) return (void)(m->rtcp_mux = true), 0;
  if (strcmp(name, "rtcp-mux-only") == 0) return (void)(m->rtcp_mux_only = true), 0;
  if (strcmp(name, "bundle-only") == 0) return (void)(m->bundle_only = true), 0;
  if (strcmp(name, "end-of-candidates") == 0) return (void)(m->end_of_candidates = true), 0;
  /* RFC 8841 5.2 a=sctp-port; only meaningful on an SCTP m-line. */
  if (strcmp(name, "sctp-port") == 0 && sctp) {
    if (!sdp_parse_uint(value, 65535, &v))
      return sdp_fail(p, RTC_EPARSE, "bad a=sctp-port value \"%s\"", value);
    if (m->sctp_port >= 0) return sdp_keep(p, name, value);
    m->sctp_port = (int)v;
    return 0;
  }
  /* draft-ietf-mmusic-sctp-sdp-05 (pre-RFC 8841, still sent by aiortc and old
   * browsers): "a=sctpmap:<port> webrtc-datachannel <streams>". */
  if (strcmp(name, "sctpmap") == 0 && sctp && m->sctp_port < 0) {
    char buf[8];
    size_t n = strcspn(value, " \t");
    if (n >= sizeof(buf)) return sdp_fail(p, RTC_EPARSE, "bad a=sctpmap port");
    memcpy(buf, value, n);
    buf[n] = '\0';
    if (!sdp_parse_uint(buf, 65535, &v)) return sdp_fail(p, RTC_EPARSE, "bad a=sctpmap port");
    m->sctp_port = (int)v;
    return 0;
  }
  /* RFC 8841 6: a=max-message-size, 0 meaning "no limit". Bounded so that it
   * always fits an int64_t. */
  if (strcmp(name, "max-message-size") == 0) {
    if (!sdp_parse_uint(value, INT64_MAX, &v))
      return sdp_fail(p, RTC_EPARSE, "bad a=max-message-size value \"%s\"", value);
    if (m->max_message_size >= 0) return sdp_keep(p, name, value);
    m->max_message_size = (int64_t)v;
    return 0;
  }
  /* The typed RTP attributes (rtc_sdp_rtp.h) are kept verbatim, but a malformed
   * one is refused here, where the line number is known. */
  if (m->proto && strstr(m->proto, "RTP/")) {
    char why[160];
    int r = rtc_sdp_rtp_check_attr(name, value, why, sizeof(why));
    if (r == RTC_ENOMEM) return sdp_fail(p, r, "out of memory");
    if (r) return sdp_fail(p, RTC_EPARSE, "%s", why);
  }
  return sdp_keep(p, name, value);
}

/* a=<name>[:<value>] (RFC 8866 5.13). */
static int sdp_attr_line(sdp_parser_t *p, char *text) {
  char *colon = strchr(text, ':');
  char *value = NULL;
  if (colon) {
    *colon = '\0';
    value = colon + 1;
  }
  if (!*text) return sdp_fail(p, RTC_EPARSE, "attribute without a name");
  if (!value && sdp_value_needed(text)) return sdp_fail(p, RTC_EPARSE, "a=%s needs a value", text);
  return p->m ? sdp_media_attr(p, text, value) : sdp_session_attr(p, text, value);
}

/* m=<media> <port>[/<number of ports>] <proto> <fmt> ... (RFC 8866 5.14) */
static int sdp_media_line(sdp_parser_t *p, char *text) {
  char *f[3];
  uint64_t port, count = 1;
  char *rest = text;
  /* The first three fields, then the formats from what follows. */
  for (int i = 0; i < 3; i++) {
    while (sdp_is_space(*rest))
      rest++;
    f[i] = rest;
    while (*rest && !sdp_is_space(*rest))
      rest++;
    if (*rest) *rest++ = '\0';
    if (!*f[i]) return sdp_fail(p, RTC_EPARSE, "m= line needs at least 4 fields");
  }
  while (sdp_is_space(*rest))
    rest++;
  if (!*rest) return sdp_fail(p, RTC_EPARSE, "m= line needs at least 4 fields");
  char *slash = strchr(f[1], '/');
  if (slash) {
    *slash = '\0';
    if (!sdp_parse_uint(slash + 1, 65535, &count) || count == 0)
      return sdp_fail(p, RTC_EPARSE, "bad port count in m= line");
  }
  if (!sdp_parse_uint(f[1], 65535, &port))
    return sdp_fail(p, RTC_EPARSE, "bad port \"%s\" in m= line", f[1]);
  if (p->sdp->n_media >= RTC_SDP_MAX_MEDIA)
    return sdp_fail(p, RTC_ELIMIT, "more than %d m-sections", RTC_SDP_MAX_MEDIA);
  rtc_sdp_media_t *m = rtc__sdp_media_append(p->sdp);
  if (!m) return sdp_fail(p, RTC_ENOMEM, "out of memory");
  p->m = m;
  m->port = (uint16_t)port;
  m->port_count = (uint16_t)count;
  if (!(m->type = strdup(f[0])) || !(m->proto = strdup(f[2])))
    return sdp_fail(p, RTC_ENOMEM, "out of memory");
  while (*rest) {
    size_t n = strcspn(rest, " \t");
    int r = rtc__sdp_media_add_fmt(m, rest, n);
    if (r == RTC_ELIMIT) return sdp_fail(p, r, "more than %d formats in m= line", RTC_SDP_MAX_FMTS);
    if (r) return sdp_fail(p, r, "out of memory");
    rest += n;
    while (sdp_is_space(*rest))
      rest++;
  }
  return 0;
}

/* o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address> */
static int sdp_origin_line(sdp_parser_t *p, char *text) {
  rtc_sdp_t *s = p->sdp;
  char *f[6];
  if (s->origin_username) return sdp_fail(p, RTC_EPARSE, "more than one o= line");
  if (p->m) return sdp_fail(p, RTC_EPARSE, "o= line inside a media section");
  if (sdp_split(text, f, 6) != 6) return sdp_fail(p, RTC_EPARSE, "o= line needs 6 fields");
  char **dst[6] = {&s->origin_username, &s->session_id,      &s->session_version,
                   &s->origin_nettype,  &s->origin_addrtype, &s->origin_addr};
  for (int i = 0; i < 6; i++) {
    int r = sdp_dup(p, dst[i], f[i]);
    if (r) return r;
  }
  return 0;
}

/* c=<nettype> <addrtype> <connection-address> (RFC 8866 5.7). Only the first c=
 * of a section is kept (more are for multicast layering, unused in WebRTC). */
static int sdp_conn_line(sdp_parser_t *p, char *text) {
  char *f[3];
  char **addr = p->m ? &p->m->conn_addr : &p->sdp->conn_addr;
  char **type = p->m ? &p->m->conn_addrtype : &p->sdp->conn_addrtype;
  if (sdp_split(text, f, 3) != 3) return sdp_fail(p, RTC_EPARSE, "c= line needs 3 fields");
  if (*addr) return 0;
  int r = sdp_dup(p, addr, f[2]);
  if (!r) r = sdp_dup(p, type, f[1]);
  return r;
}

static int sdp_line(sdp_parser_t *p, char type, char *value) {
  switch (type) {
  case 'v': return sdp_fail(p, RTC_EPARSE, "more than one v= line");
  case 'o': return sdp_origin_line(p, value);
  case 's':
    if (!p->m && !p->sdp->session_name) return sdp_dup(p, &p->sdp->session_name, value);
    return 0;
  case 'c': return sdp_conn_line(p, value);
  case 'm': return sdp_media_line(p, value);
  case 'a': return sdp_attr_line(p, value);
  default:
    /* i= u= e= p= b= t= r= z= k= and unknown types: RFC 8866 5 lets a parser
     * ignore what it does not use. */
    return 0;
  }
}

static int sdp_copy_fallback(char **dst, const char *src) {
  if (*dst || !src) return 0;
  return (*dst = strdup(src)) ? 0 : RTC_ENOMEM;
}

static int sdp_apply_fallbacks(sdp_parser_t *p) {
  const sdp_fallback_t *fb = &p->fb;
  for (size_t i = 0; i < p->sdp->n_media; i++) {
    rtc_sdp_media_t *m = &p->sdp->media[i];
    int r = sdp_copy_fallback(&m->ice_ufrag, fb->ice_ufrag);
    r |= sdp_copy_fallback(&m->ice_pwd, fb->ice_pwd);
    r |= sdp_copy_fallback(&m->ice_options, fb->ice_options);
    if (!m->fingerprint_alg && fb->fp_alg) {
      r |= sdp_copy_fallback(&m->fingerprint_alg, fb->fp_alg);
      r |= sdp_copy_fallback(&m->fingerprint, fb->fp);
    }
    if (r) return sdp_fail(p, RTC_ENOMEM, "out of memory");
    if (m->setup == RTC_SDP_SETUP_NONE) m->setup = fb->setup;
    if (m->direction == RTC_SDP_DIR_NONE) m->direction = fb->dir;
    m->ice_lite |= p->sdp->ice_lite;
    m->end_of_candidates |= fb->eoc;
  }
  return 0;
}

int rtc_sdp_parse(const char *text, size_t len, rtc_sdp_t **out, char *err, size_t errlen) {
  sdp_parser_t p = {.err = err, .errlen = errlen};
  char *buf = NULL;
  bool have_v = false;
  int r = RTC_EINVAL;
  if (err && errlen) err[0] = '\0';
  if (!out) goto fail;
  *out = NULL;
  if (!text && len) goto fail;
  if (!(buf = malloc(len + 1)) || !(p.sdp = rtc_sdp_new())) {
    r = sdp_fail(&p, RTC_ENOMEM, "out of memory");
    goto fail;
  }
  if (len) memcpy(buf, text, len);
  buf[len] = '\0';
  for (char *line = buf, *end = buf + len; line < end;) {
    char *nl = memchr(line, '\n', (size_t)(end - line));
    char *eol = nl ? nl : end;
    char *next = nl ? nl + 1 : end;
    p.line++;
    if (memchr(line, '\0', (size_t)(eol - line))) {
      r = sdp_fail(&p, RTC_EPARSE, "NUL byte in SDP text");
      goto fail;
    }
    /* Trailing whitespace, CR of CRLF included, is not part of the value. */
    while (eol > line && (eol[-1] == '\r' || sdp_is_space(eol[-1])))
      eol--;
    *eol = '\0';
    /* RFC 8866 9: text fields are byte-strings without CR or LF; a CR not
     * ending the line would let a value smuggle a line break into what we write. */
    if (memchr(line, '\r', (size_t)(eol - line))) {
      r = sdp_fail(&p, RTC_EPARSE, "CR inside a line");
      goto fail;
    }
    if (eol != line) {
      if (eol - line < 2 || line[1] != '=' || line[0] < 'a' || line[0] > 'z') {
        r = sdp_fail(&p, RTC_EPARSE, "expected a line of the form <letter>=<value>");
        goto fail;
      }
      if (!have_v) {
        /* RFC 8866 5: the description starts with v=0. */
        if (line[0] != 'v' || strcmp(line + 2, "0") != 0) {
          r = sdp_fail(&p, RTC_EPARSE, "the first line must be v=0");
          goto fail;
        }
        have_v = true;
      } else if ((r = sdp_line(&p, line[0], line + 2)) != 0) {
        goto fail;
      }
    }
    line = next;
  }
  if (!have_v) {
    p.line = 1;
    r = sdp_fail(&p, RTC_EPARSE, "empty SDP (no v=0 line)");
    goto fail;
  }
  if (!p.sdp->origin_username) {
    r = sdp_fail(&p, RTC_EPARSE, "missing o= line");
    goto fail;
  }
  /* s= is mandatory in RFC 8866 but some stacks omit it; "-" is its usual value. */
  if (!p.sdp->session_name && (r = sdp_dup(&p, &p.sdp->session_name, "-"))) goto fail;
  if ((r = sdp_apply_fallbacks(&p))) goto fail;
  *out = p.sdp;
  p.sdp = NULL;
  r = 0;
fail:
  rtc_sdp_free(p.sdp);
  free(p.fb.ice_ufrag);
  free(p.fb.ice_pwd);
  free(p.fb.ice_options);
  free(p.fb.fp_alg);
  free(p.fb.fp);
  free(buf);
  return r;
}
