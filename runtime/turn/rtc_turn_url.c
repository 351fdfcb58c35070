/* ICE server URL parsing (RFC 7064 stun/stuns, RFC 7065 turn/turns). */
#include "turn/rtc_turn_url.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/rtc_err.h"

static int url_fail(char *err, size_t cap, const char *fmt, ...) {
  if (err && cap) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
  }
  return RTC_EPARSE;
}

int rtc_turn_url_parse(const char *url, rtc_turn_url_t *out, char *err, size_t errcap) {
  static const struct {
    const char *prefix;
    rtc_turn_scheme_t scheme;
  } schemes[] = {{"stun:", RTC_TURN_SCHEME_STUN},
                 {"stuns:", RTC_TURN_SCHEME_STUNS},
                 {"turn:", RTC_TURN_SCHEME_TURN},
                 {"turns:", RTC_TURN_SCHEME_TURNS}};
  memset(out, 0, sizeof(*out));
  if (!url) return url_fail(err, errcap, "no URL");
  const char *p = NULL;
  for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
    size_t n = strlen(schemes[i].prefix);
    if (strncasecmp(url, schemes[i].prefix, n) == 0) {
      out->scheme = schemes[i].scheme;
      p = url + n;
      break;
    }
  }
  if (!p)
    return url_fail(err, errcap, "'%.64s': scheme is not stun:, stuns:, turn: or turns:", url);
  bool tls = out->scheme == RTC_TURN_SCHEME_STUNS || out->scheme == RTC_TURN_SCHEME_TURNS;
  out->proto = tls ? RTC_TURN_PROTO_TLS : RTC_TURN_PROTO_UDP;
  out->port = tls ? 5349 : 3478;
  /* host: "[v6]" or up to ':' / '?' */
  const char *h = p, *hend;
  if (*p == '[') {
    h = p + 1;
    hend = strchr(h, ']');
    if (!hend) return url_fail(err, errcap, "'%.64s': unclosed '['", url);
    p = hend + 1;
  } else {
    hend = p + strcspn(p, ":?");
    p = hend;
  }
  size_t hl = (size_t)(hend - h);
  if (hl == 0 || hl >= sizeof(out->host)) return url_fail(err, errcap, "'%.64s': bad host", url);
  memcpy(out->host, h, hl);
  out->host[hl] = 0;
  if (strpbrk(out->host, "/@ \t")) return url_fail(err, errcap, "'%.64s': bad host", url);
  if (*p == ':') {
    p++;
    unsigned long port = 0;
    int digits = 0;
    while (*p >= '0' && *p <= '9' && digits < 6) {
      port = port * 10 + (unsigned long)(*p++ - '0');
      digits++;
    }
    if (digits == 0 || port == 0 || port > 65535)
      return url_fail(err, errcap, "'%.64s': bad port", url);
    out->port = (uint16_t)port;
  }
  if (*p == '?') {
    p++;
    if (!rtc_turn_url_is_turn(out))
      return url_fail(err, errcap, "'%.64s': stun: URLs take no query (RFC 7064)", url);
    if (strcasecmp(p, "transport=udp") == 0) {
      if (tls) return url_fail(err, errcap, "'%.64s': turns: runs over TCP", url);
      out->proto = RTC_TURN_PROTO_UDP;
    } else if (strcasecmp(p, "transport=tcp") == 0) {
      if (!tls) out->proto = RTC_TURN_PROTO_TCP;
    } else {
      return url_fail(err, errcap, "'%.64s': query is not transport=udp|tcp", url);
    }
    p += strlen(p);
  }
  if (*p) return url_fail(err, errcap, "'%.64s': junk after the host", url);
  return 0;
}
