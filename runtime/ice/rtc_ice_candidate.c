/* ICE candidate attribute (RFC 8839 5.1):
 *   candidate:<foundation> <component-id> <transport> <priority> <address> <port>
 *             typ <cand-type> [raddr <a>] [rport <p>] *(<ext-name> <ext-value>) */
#include "ice/rtc_ice_candidate.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/rtc_err.h"

#define CAND_MAX_TOKENS 64
#define CAND_MAX_LEN 1024

const char *rtc_ice_cand_type_name(rtc_ice_cand_type_t t) {
  switch (t) {
  case RTC_ICE_CAND_HOST: return "host";
  case RTC_ICE_CAND_SRFLX: return "srflx";
  case RTC_ICE_CAND_PRFLX: return "prflx";
  case RTC_ICE_CAND_RELAY: return "relay";
  }
  return "host";
}

/* Decimal without sign, no overflow past max. */
static int parse_u32(const char *s, uint32_t max, uint32_t *out) {
  uint64_t v = 0;
  if (!*s) return RTC_EPARSE;
  for (; *s; s++) {
    if (*s < '0' || *s > '9') return RTC_EPARSE;
    v = v * 10 + (uint64_t)(*s - '0');
    if (v > max) return RTC_EPARSE;
  }
  *out = (uint32_t)v;
  return 0;
}

/* RFC 8839 5.1: ice-char = ALPHA / DIGIT / "+" / "/". */
static bool is_ice_chars(const char *s) {
  if (!*s) return false;
  for (; *s; s++)
    if (!isalnum((unsigned char)*s) && *s != '+' && *s != '/') return false;
  return true;
}

int rtc_ice_candidate_parse(const char *text, rtc_ice_candidate_t *out) {
  char buf[CAND_MAX_LEN];
  char *tok[CAND_MAX_TOKENS];
  int n = 0;
  uint32_t v;
  memset(out, 0, sizeof *out);
  if (!text) return RTC_EPARSE;
  if (strncasecmp(text, "candidate:", 10) == 0) text += 10;
  size_t len = strlen(text);
  if (len >= sizeof buf) return RTC_EPARSE;
  memcpy(buf, text, len + 1);
  /* CR/LF (an SDP line's end) separate tokens like blanks do. */
  for (char *save = NULL, *t = strtok_r(buf, " \t\r\n", &save); t;
       t = strtok_r(NULL, " \t\r\n", &save)) {
    if (n == CAND_MAX_TOKENS) return RTC_EPARSE;
    tok[n++] = t;
  }
  if (n < 8) return RTC_EPARSE;
  if (strlen(tok[0]) > 32 || !is_ice_chars(tok[0])) return RTC_EPARSE;
  strcpy(out->foundation, tok[0]);
  /* RFC 8839: component-id is 1*3DIGIT (1..256). */
  if (parse_u32(tok[1], 256, &out->component) < 0 || out->component == 0) return RTC_EPARSE;
  if (strcasecmp(tok[2], "udp") == 0)
    out->transport = RTC_ICE_UDP;
  else if (strcasecmp(tok[2], "tcp") == 0)
    out->transport = RTC_ICE_TCP;
  else
    return RTC_EPARSE;
  if (parse_u32(tok[3], UINT32_MAX, &out->priority) < 0 || out->priority == 0) return RTC_EPARSE;
  if (strlen(tok[4]) >= sizeof out->address) return RTC_EPARSE;
  strcpy(out->address, tok[4]);
  if (parse_u32(tok[5], 65535, &v) < 0) return RTC_EPARSE;
  out->port = (uint16_t)v;
  if (strcmp(tok[6], "typ") != 0) return RTC_EPARSE;
  if (strcmp(tok[7], "host") == 0)
    out->type = RTC_ICE_CAND_HOST;
  else if (strcmp(tok[7], "srflx") == 0)
    out->type = RTC_ICE_CAND_SRFLX;
  else if (strcmp(tok[7], "prflx") == 0)
    out->type = RTC_ICE_CAND_PRFLX;
  else if (strcmp(tok[7], "relay") == 0)
    out->type = RTC_ICE_CAND_RELAY;
  else
    return RTC_EPARSE;
  /* Extensions come in name/value pairs; unknown ones are skipped. */
  for (int i = 8; i < n; i += 2) {
    if (i + 1 >= n) return RTC_EPARSE;
    const char *k = tok[i], *val = tok[i + 1];
    if (strcmp(k, "raddr") == 0) {
      if (strlen(val) >= sizeof out->raddr) return RTC_EPARSE;
      strcpy(out->raddr, val);
    } else if (strcmp(k, "rport") == 0) {
      if (parse_u32(val, 65535, &v) < 0) return RTC_EPARSE;
      out->rport = (uint16_t)v;
    } else if (strcmp(k, "tcptype") == 0) {
      if (strcmp(val, "active") && strcmp(val, "passive") && strcmp(val, "so")) return RTC_EPARSE;
      strcpy(out->tcptype, val);
    } else if (strcmp(k, "generation") == 0) {
      if (parse_u32(val, UINT32_MAX, &out->generation) < 0) return RTC_EPARSE;
    } else if (strcmp(k, "ufrag") == 0) {
      if (strlen(val) >= sizeof out->ufrag) return RTC_EPARSE;
      strcpy(out->ufrag, val);
    }
  }
  out->address_is_ip = rtc_addr_set(&out->addr, out->address, out->port) == 0;
  if (!out->address_is_ip) memset(&out->addr, 0, sizeof out->addr);
  rtc_addr_set_tcp(&out->addr, out->transport == RTC_ICE_TCP);
  return 0;
}

int rtc_ice_candidate_format(const rtc_ice_candidate_t *c, bool with_prefix, char *out,
                             size_t outlen) {
  char tail[sizeof c->raddr + sizeof c->ufrag + 96] = "";
  size_t t = 0;
  if (c->raddr[0]) t += (size_t)snprintf(tail + t, sizeof tail - t, " raddr %s", c->raddr);
  if (c->raddr[0] || c->rport)
    t += (size_t)snprintf(tail + t, sizeof tail - t, " rport %u", (unsigned)c->rport);
  if (c->tcptype[0]) t += (size_t)snprintf(tail + t, sizeof tail - t, " tcptype %s", c->tcptype);
  t += (size_t)snprintf(tail + t, sizeof tail - t, " generation %u", (unsigned)c->generation);
  /* Chromium appends the ufrag to trickled candidates; keep it when we have one. */
  if (c->ufrag[0] && t < sizeof tail) snprintf(tail + t, sizeof tail - t, " ufrag %s", c->ufrag);
  int n = snprintf(out, outlen, "%s%s %u %s %u %s %u typ %s%s", with_prefix ? "candidate:" : "",
                   c->foundation, (unsigned)c->component,
                   c->transport == RTC_ICE_TCP ? "tcp" : "udp", (unsigned)c->priority, c->address,
                   (unsigned)c->port, rtc_ice_cand_type_name(c->type), tail);
  if (n < 0 || (size_t)n >= outlen) return RTC_ETOOBIG;
  return n;
}
