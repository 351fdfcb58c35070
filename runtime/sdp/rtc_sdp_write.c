/* SDP serializer: one canonical form with CRLF line ends (RFC 8866 5: "CRLF"),
 * lines in the RFC 8866 order, the WebRTC attributes of an m-section first in a
 * fixed order, then the kept attributes in their original order, then the
 * candidates. rtc_sdp_parse() of the output gives back the same fields. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdp/rtc_sdp.h"

typedef struct sdp_buf {
  char *p;
  size_t len, cap;
  bool oom;
} sdp_buf_t;

static void sdp_printf(sdp_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sdp_printf(sdp_buf_t *b, const char *fmt, ...) {
  if (b->oom) return;
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
    va_end(ap);
    if (n < 0) goto fail;
    if (b->p && b->len + (size_t)n < b->cap) {
      b->len += (size_t)n;
      return;
    }
    size_t cap = b->cap ? b->cap : 1024;
    while (cap <= b->len + (size_t)n)
      cap *= 2;
    char *np = realloc(b->p, cap);
    if (!np) goto fail;
    b->p = np;
    b->cap = cap;
  }
fail:
  b->oom = true;
}

static const char *sdp_or(const char *s, const char *dflt) { return s && *s ? s : dflt; }

static void sdp_write_attrs(sdp_buf_t *b, const rtc_sdp_attr_t *a, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (a[i].value)
      sdp_printf(b, "a=%s:%s\r\n", a[i].name, a[i].value);
    else
      sdp_printf(b, "a=%s\r\n", a[i].name);
  }
}

static const char *const sdp_setup_names[] = {NULL, "actpass", "active", "passive", "holdconn"};
static const char *const sdp_dir_names[] = {NULL, "sendrecv", "sendonly", "recvonly", "inactive"};

static void sdp_write_media(sdp_buf_t *b, const rtc_sdp_t *s, const rtc_sdp_media_t *m) {
  sdp_printf(b, "m=%s %u", sdp_or(m->type, "application"), (unsigned)m->port);
  if (m->port_count > 1) sdp_printf(b, "/%u", (unsigned)m->port_count);
  sdp_printf(b, " %s", sdp_or(m->proto, "UDP/DTLS/SCTP"));
  for (size_t i = 0; i < m->n_fmts; i++)
    sdp_printf(b, " %s", m->fmts[i]);
  if (m->n_fmts == 0) sdp_printf(b, " 0"); /* RFC 8866 5.14: at least one format */
  sdp_printf(b, "\r\n");
  if (m->conn_addr) sdp_printf(b, "c=IN %s %s\r\n", sdp_or(m->conn_addrtype, "IP4"), m->conn_addr);
  if (m->mid) sdp_printf(b, "a=mid:%s\r\n", m->mid);
  if (m->ice_ufrag) sdp_printf(b, "a=ice-ufrag:%s\r\n", m->ice_ufrag);
  if (m->ice_pwd) sdp_printf(b, "a=ice-pwd:%s\r\n", m->ice_pwd);
  if (m->ice_options) sdp_printf(b, "a=ice-options:%s\r\n", m->ice_options);
  /* RFC 8839 5.3 defines ice-lite at session level only; a media-level one we
   * parsed is written back where it was so that nothing is lost. */
  if (m->ice_lite && !s->ice_lite) sdp_printf(b, "a=ice-lite\r\n");
  if (m->fingerprint_alg && m->fingerprint)
    sdp_printf(b, "a=fingerprint:%s %s\r\n", m->fingerprint_alg, m->fingerprint);
  if (m->setup > RTC_SDP_SETUP_NONE && m->setup <= RTC_SDP_SETUP_HOLDCONN)
    sdp_printf(b, "a=setup:%s\r\n", sdp_setup_names[m->setup]);
  if (m->direction > RTC_SDP_DIR_NONE && m->direction <= RTC_SDP_DIR_INACTIVE)
    sdp_printf(b, "a=%s\r\n", sdp_dir_names[m->direction]);
  if (m->rtcp_mux) sdp_printf(b, "a=rtcp-mux\r\n");
  if (m->rtcp_mux_only) sdp_printf(b, "a=rtcp-mux-only\r\n");
  if (m->bundle_only) sdp_printf(b, "a=bundle-only\r\n");
  if (m->sctp_port >= 0 && m->proto && strstr(m->proto, "SCTP")) {
    /* The pre-RFC 8841 form "m=application <port> DTLS/SCTP <sctp-port>" pairs
     * with a=sctpmap (draft-ietf-mmusic-sctp-sdp-05 5.1); 65535 streams is what
     * every implementation of that draft announces. */
    if (strcmp(m->proto, "DTLS/SCTP") == 0)
      sdp_printf(b, "a=sctpmap:%d webrtc-datachannel 65535\r\n", m->sctp_port);
    else
      sdp_printf(b, "a=sctp-port:%d\r\n", m->sctp_port);
  }
  if (m->max_message_size >= 0)
    sdp_printf(b, "a=max-message-size:%lld\r\n", (long long)m->max_message_size);
  sdp_write_attrs(b, m->attrs, m->n_attrs);
  for (size_t i = 0; i < m->n_candidates; i++)
    sdp_printf(b, "a=candidate:%s\r\n", m->candidates[i]);
  if (m->end_of_candidates) sdp_printf(b, "a=end-of-candidates\r\n");
}

char *rtc_sdp_serialize(const rtc_sdp_t *s) {
  sdp_buf_t b = {0};
  if (!s) return NULL;
  sdp_printf(&b, "v=0\r\n");
  sdp_printf(&b, "o=%s %s %s %s %s %s\r\n", sdp_or(s->origin_username, "-"),
             sdp_or(s->session_id, "0"), sdp_or(s->session_version, "0"),
             sdp_or(s->origin_nettype, "IN"), sdp_or(s->origin_addrtype, "IP4"),
             sdp_or(s->origin_addr, "127.0.0.1"));
  /* RFC 8866 5.3: "s= " (one space) when there is no meaningful name. */
  sdp_printf(&b, "s=%s\r\n", !s->session_name ? "-" : *s->session_name ? s->session_name : " ");
  if (s->conn_addr) sdp_printf(&b, "c=IN %s %s\r\n", sdp_or(s->conn_addrtype, "IP4"), s->conn_addr);
  sdp_printf(&b, "t=0 0\r\n");
  if (s->has_bundle_group) {
    sdp_printf(&b, "a=group:BUNDLE");
    for (size_t i = 0; i < s->n_bundle_mids; i++)
      sdp_printf(&b, " %s", s->bundle_mids[i]);
    sdp_printf(&b, "\r\n");
  }
  if (s->ice_lite) sdp_printf(&b, "a=ice-lite\r\n");
  sdp_write_attrs(&b, s->attrs, s->n_attrs);
  for (size_t i = 0; i < s->n_media; i++)
    sdp_write_media(&b, s, &s->media[i]);
  if (b.oom || !b.p) {
    free(b.p);
    return NULL;
  }
  return b.p;
}
