/* SDP objects: allocation, the builder helpers and look-ups. Parsing
 * (rtc_sdp_parse.c) and serializing (rtc_sdp_write.c) build on these. */
#include <stdlib.h>
#include <string.h>

#include "base/rtc_err.h"
#include "sdp/rtc_sdp.h"
#include "sdp/rtc_sdp_internal.h"

/* Arrays grow by doubling without a capacity field: the capacity is n rounded up
 * to a power of two, so an append reallocates exactly when n is 0 or a power of 2.
 * That holds as long as every append goes through these helpers. */
static bool sdp_need_grow(size_t n) { return n == 0 || (n & (n - 1)) == 0; }

/* A value written into an SDP line must not break the line structure: a CR or LF
 * would let one field inject whole lines into what we serialize. */
static bool sdp_line_safe(const char *s) { return !s || !strpbrk(s, "\r\n"); }

rtc_sdp_t *rtc_sdp_new(void) { return calloc(1, sizeof(rtc_sdp_t)); }

static void sdp_attrs_free(rtc_sdp_attr_t *a, size_t n) {
  for (size_t i = 0; i < n; i++) {
    free(a[i].name);
    free(a[i].value);
  }
  free(a);
}

void rtc__sdp_media_clear(rtc_sdp_media_t *m) {
  free(m->type);
  free(m->proto);
  for (size_t i = 0; i < m->n_fmts; i++)
    free(m->fmts[i]);
  free(m->conn_addr);
  free(m->conn_addrtype);
  free(m->mid);
  free(m->ice_ufrag);
  free(m->ice_pwd);
  free(m->ice_options);
  free(m->fingerprint_alg);
  free(m->fingerprint);
  for (size_t i = 0; i < m->n_candidates; i++)
    free(m->candidates[i]);
  sdp_attrs_free(m->attrs, m->n_attrs);
  memset(m, 0, sizeof(*m));
}

void rtc_sdp_free(rtc_sdp_t *sdp) {
  if (!sdp) return;
  free(sdp->origin_username);
  free(sdp->session_id);
  free(sdp->session_version);
  free(sdp->origin_nettype);
  free(sdp->origin_addrtype);
  free(sdp->origin_addr);
  free(sdp->session_name);
  free(sdp->conn_addr);
  free(sdp->conn_addrtype);
  for (size_t i = 0; i < sdp->n_bundle_mids; i++)
    free(sdp->bundle_mids[i]);
  sdp_attrs_free(sdp->attrs, sdp->n_attrs);
  for (size_t i = 0; i < sdp->n_media; i++)
    rtc__sdp_media_clear(&sdp->media[i]);
  free(sdp->media);
  free(sdp);
}

int rtc_sdp_set_str(char **field, const char *value) {
  if (!field) return RTC_EINVAL;
  if (!sdp_line_safe(value)) return RTC_EINVAL;
  char *copy = NULL;
  if (value && !(copy = strdup(value))) return RTC_ENOMEM;
  free(*field);
  *field = copy;
  return 0;
}

rtc_sdp_media_t *rtc__sdp_media_append(rtc_sdp_t *sdp) {
  if (sdp->n_media >= RTC_SDP_MAX_MEDIA) return NULL;
  if (sdp_need_grow(sdp->n_media)) {
    size_t cap = sdp->n_media ? sdp->n_media * 2 : 1;
    rtc_sdp_media_t *nm = realloc(sdp->media, cap * sizeof(*nm));
    if (!nm) return NULL;
    sdp->media = nm;
  }
  rtc_sdp_media_t *m = &sdp->media[sdp->n_media++];
  memset(m, 0, sizeof(*m));
  m->port_count = 1;
  m->sctp_port = -1;
  m->max_message_size = -1;
  return m;
}

int rtc__sdp_media_add_fmt(rtc_sdp_media_t *m, const char *fmt, size_t len) {
  if (m->n_fmts >= RTC_SDP_MAX_FMTS) return RTC_ELIMIT;
  char *s = strndup(fmt, len);
  if (!s) return RTC_ENOMEM;
  m->fmts[m->n_fmts++] = s;
  return 0;
}

rtc_sdp_media_t *rtc_sdp_add_media(rtc_sdp_t *sdp, const char *type, uint16_t port,
                                   const char *proto, const char *fmts) {
  if (!sdp || !type || !proto || !fmts || !*type || !*proto) return NULL;
  if (strpbrk(type, " \t\r\n") || strpbrk(proto, " \t\r\n") || !sdp_line_safe(fmts)) return NULL;
  rtc_sdp_media_t *m = rtc__sdp_media_append(sdp);
  if (!m) return NULL;
  if (!(m->type = strdup(type)) || !(m->proto = strdup(proto))) goto fail;
  m->port = port;
  for (const char *p = fmts; *p;) {
    while (*p == ' ' || *p == '\t')
      p++;
    size_t n = strcspn(p, " \t");
    if (n && rtc__sdp_media_add_fmt(m, p, n) != 0) goto fail;
    p += n;
  }
  /* RFC 8866 5.14: an m= line has at least one format. */
  if (m->n_fmts == 0) goto fail;
  return m;
fail:
  rtc__sdp_media_clear(m);
  sdp->n_media--;
  return NULL;
}

int rtc_sdp_add_attr(rtc_sdp_attr_t **attrs, size_t *n, const char *name, const char *value) {
  if (!attrs || !n || !name || !*name || strpbrk(name, ":\r\n") || !sdp_line_safe(value))
    return RTC_EINVAL;
  if (*n >= RTC_SDP_MAX_ATTRS) return RTC_ELIMIT;
  char *nm = strdup(name);
  char *val = value ? strdup(value) : NULL;
  if (!nm || (value && !val)) goto fail;
  if (sdp_need_grow(*n)) {
    size_t cap = *n ? *n * 2 : 8;
    rtc_sdp_attr_t *na = realloc(*attrs, cap * sizeof(*na));
    if (!na) goto fail;
    *attrs = na;
  }
  (*attrs)[*n].name = nm;
  (*attrs)[*n].value = val;
  (*n)++;
  return 0;
fail:
  free(nm);
  free(val);
  return RTC_ENOMEM;
}

int rtc_sdp_media_add_candidate(rtc_sdp_media_t *m, const char *candidate_value) {
  if (!m || !candidate_value || !sdp_line_safe(candidate_value)) return RTC_EINVAL;
  if (m->n_candidates >= RTC_SDP_MAX_CANDIDATES) return RTC_ELIMIT;
  char *s = strdup(candidate_value);
  if (!s) return RTC_ENOMEM;
  m->candidates[m->n_candidates++] = s;
  return 0;
}

const rtc_sdp_attr_t *rtc_sdp_find_attr(const rtc_sdp_attr_t *attrs, size_t n, const char *name) {
  if (!attrs || !name) return NULL;
  for (size_t i = 0; i < n; i++)
    if (attrs[i].name && strcmp(attrs[i].name, name) == 0) return &attrs[i];
  return NULL;
}

int rtc_sdp_find_mid(const rtc_sdp_t *sdp, const char *mid) {
  if (!sdp || !mid) return -1;
  for (size_t i = 0; i < sdp->n_media; i++)
    if (sdp->media[i].mid && strcmp(sdp->media[i].mid, mid) == 0) return (int)i;
  return -1;
}
