/* Writers of the typed RTP attributes (see rtc_sdp_rtp.h): each formats one
 * attribute value, refusing arguments that would write something the parser
 * rejects, and appends it to the m-section's kept attributes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rtc_err.h"
#include "sdp/rtc_sdp_rtp.h"

/* A token: non-empty, no whitespace, no CR/LF. */
static bool rtpw_token(const char *s) { return s && *s && !strpbrk(s, " \t\r\n"); }

/* Free text at the end of a line: no CR/LF, not only spaces. */
static bool rtpw_text(const char *s) { return s && s[strspn(s, " \t")] && !strpbrk(s, "\r\n"); }

static int rtpw_add(rtc_sdp_media_t *m, const char *name, const char *value) {
  return rtc_sdp_add_attr(&m->attrs, &m->n_attrs, name, value);
}

int rtc_sdp_rtp_set_pts(rtc_sdp_media_t *m, const uint8_t *pts, size_t n) {
  if (!m || !pts || n == 0 || n > RTC_SDP_MAX_FMTS) return RTC_EINVAL;
  for (size_t i = 0; i < n; i++)
    if (pts[i] > 127) return RTC_EINVAL;
  char *f[RTC_SDP_MAX_FMTS];
  for (size_t i = 0; i < n; i++) {
    char buf[4];
    snprintf(buf, sizeof(buf), "%u", pts[i]);
    if (!(f[i] = strdup(buf))) {
      while (i--)
        free(f[i]);
      return RTC_ENOMEM;
    }
  }
  for (size_t i = 0; i < m->n_fmts; i++)
    free(m->fmts[i]);
  memcpy(m->fmts, f, n * sizeof(f[0]));
  m->n_fmts = n;
  return 0;
}

int rtc_sdp_rtp_add_rtpmap(rtc_sdp_media_t *m, uint8_t pt, const char *name, uint32_t clock_rate,
                           uint8_t channels) {
  char buf[96];
  if (!m || pt > 127 || !rtpw_token(name) || strchr(name, '/') || strlen(name) > 48 ||
      clock_rate == 0)
    return RTC_EINVAL;
  if (channels)
    snprintf(buf, sizeof(buf), "%u %s/%u/%u", pt, name, clock_rate, channels);
  else
    snprintf(buf, sizeof(buf), "%u %s/%u", pt, name, clock_rate);
  return rtpw_add(m, "rtpmap", buf);
}

int rtc_sdp_rtp_add_fmtp(rtc_sdp_media_t *m, uint8_t pt, const char *params) {
  if (!m || pt > 127 || !rtpw_text(params)) return RTC_EINVAL;
  size_t n = strlen(params) + 8;
  char *buf = malloc(n);
  if (!buf) return RTC_ENOMEM;
  snprintf(buf, n, "%u %s", pt, params);
  int r = rtc_sdp_rtp_check_attr("fmtp", buf, NULL, 0) ? RTC_EINVAL : rtpw_add(m, "fmtp", buf);
  free(buf);
  return r;
}

int rtc_sdp_rtp_add_rtcp_fb(rtc_sdp_media_t *m, int pt, const char *type, const char *subtype) {
  char buf[128];
  if (!m || pt > 127 || !rtpw_token(type) || (subtype && !rtpw_text(subtype))) return RTC_EINVAL;
  char p[8];
  if (pt < 0)
    snprintf(p, sizeof(p), "*");
  else
    snprintf(p, sizeof(p), "%d", pt);
  int n =
      snprintf(buf, sizeof(buf), "%s %s%s%s", p, type, subtype ? " " : "", subtype ? subtype : "");
  if (n < 0 || (size_t)n >= sizeof(buf)) return RTC_EINVAL;
  return rtpw_add(m, "rtcp-fb", buf);
}

static const char *const rtpw_dirs[] = {NULL, "sendrecv", "sendonly", "recvonly", "inactive"};

int rtc_sdp_rtp_add_extmap(rtc_sdp_media_t *m, uint16_t id, rtc_sdp_direction_t direction,
                           const char *uri, const char *ext_attrs) {
  if (!m || id == 0 || id > 255 || !rtpw_token(uri) || (ext_attrs && !rtpw_text(ext_attrs)) ||
      direction < RTC_SDP_DIR_NONE || direction > RTC_SDP_DIR_INACTIVE)
    return RTC_EINVAL;
  size_t n = strlen(uri) + (ext_attrs ? strlen(ext_attrs) : 0) + 24;
  char *buf = malloc(n);
  if (!buf) return RTC_ENOMEM;
  snprintf(buf, n, "%u%s%s %s%s%s", id, direction ? "/" : "", direction ? rtpw_dirs[direction] : "",
           uri, ext_attrs ? " " : "", ext_attrs ? ext_attrs : "");
  int r = rtpw_add(m, "extmap", buf);
  free(buf);
  return r;
}

int rtc_sdp_rtp_add_ssrc(rtc_sdp_media_t *m, uint32_t ssrc, const char *attr, const char *value) {
  if (!m || !rtpw_token(attr) || strchr(attr, ':') || (value && strpbrk(value, "\r\n")))
    return RTC_EINVAL;
  size_t n = strlen(attr) + (value ? strlen(value) : 0) + 16;
  char *buf = malloc(n);
  if (!buf) return RTC_ENOMEM;
  snprintf(buf, n, "%u %s%s%s", ssrc, attr, value ? ":" : "", value ? value : "");
  int r = rtpw_add(m, "ssrc", buf);
  free(buf);
  return r;
}

int rtc_sdp_rtp_add_ssrc_group(rtc_sdp_media_t *m, const char *semantics, const uint32_t *ssrcs,
                               size_t n) {
  char buf[16 + 32 + RTC_SDP_RTP_MAX_GROUP_SSRCS * 11];
  if (!m || !rtpw_token(semantics) || strlen(semantics) > 32 || !ssrcs || n == 0 ||
      n > RTC_SDP_RTP_MAX_GROUP_SSRCS)
    return RTC_EINVAL;
  size_t len = (size_t)snprintf(buf, sizeof(buf), "%s", semantics);
  for (size_t i = 0; i < n; i++)
    len += (size_t)snprintf(buf + len, sizeof(buf) - len, " %u", ssrcs[i]);
  return rtpw_add(m, "ssrc-group", buf);
}

int rtc_sdp_rtp_add_msid(rtc_sdp_media_t *m, const char *stream_id, const char *track_id) {
  if (!m || (stream_id && !rtpw_token(stream_id)) || (track_id && !rtpw_token(track_id)))
    return RTC_EINVAL;
  const char *s = stream_id ? stream_id : "-";
  size_t n = strlen(s) + (track_id ? strlen(track_id) : 0) + 2;
  char *buf = malloc(n);
  if (!buf) return RTC_ENOMEM;
  snprintf(buf, n, "%s%s%s", s, track_id ? " " : "", track_id ? track_id : "");
  int r = rtpw_add(m, "msid", buf);
  free(buf);
  return r;
}

int rtc_sdp_rtp_add_rid(rtc_sdp_media_t *m, const char *id, bool send, const char *params) {
  if (!m || !rtpw_token(id) || (params && !rtpw_text(params))) return RTC_EINVAL;
  size_t n = strlen(id) + (params ? strlen(params) : 0) + 8;
  char *buf = malloc(n);
  if (!buf) return RTC_ENOMEM;
  snprintf(buf, n, "%s %s%s%s", id, send ? "send" : "recv", params ? " " : "",
           params ? params : "");
  int r = rtpw_add(m, "rid", buf);
  free(buf);
  return r;
}

int rtc_sdp_rtp_add_simulcast(rtc_sdp_media_t *m, const char *value) {
  if (!m || !rtpw_text(value) || rtc_sdp_rtp_check_attr("simulcast", value, NULL, 0))
    return RTC_EINVAL;
  return rtpw_add(m, "simulcast", value);
}

int rtc_sdp_rtp_add_flag(rtc_sdp_media_t *m, const char *name) {
  if (!m || !rtpw_token(name) || strchr(name, ':')) return RTC_EINVAL;
  return rtpw_add(m, name, NULL);
}
