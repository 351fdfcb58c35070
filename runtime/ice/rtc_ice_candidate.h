/* An ICE candidate (RFC 8839 section 5.1 grammar) as parsed from SDP or a trickled
 * "candidate:..." string, and written back. */
#ifndef RTC_ICE_CANDIDATE_H
#define RTC_ICE_CANDIDATE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/rtc_addr.h"

typedef enum rtc_ice_cand_type {
  RTC_ICE_CAND_HOST = 0,
  RTC_ICE_CAND_SRFLX,
  RTC_ICE_CAND_PRFLX,
  RTC_ICE_CAND_RELAY,
} rtc_ice_cand_type_t;

typedef enum rtc_ice_transport {
  RTC_ICE_UDP = 0,
  RTC_ICE_TCP,
} rtc_ice_transport_t;

typedef struct rtc_ice_candidate {
  char foundation[33]; /* 1*32 ice-char */
  uint32_t component;  /* 1 = RTP (the only one with rtcp-mux) */
  rtc_ice_transport_t transport;
  uint32_t priority;
  char address[256]; /* numeric IP, or an FQDN such as an mDNS "<uuid>.local" */
  uint16_t port;
  rtc_ice_cand_type_t type;
  char raddr[RTC_ADDR_STRLEN]; /* "" when absent */
  uint16_t rport;
  char tcptype[8];    /* RFC 6544 4.5: "active", "passive", "so" or "" */
  bool address_is_ip; /* address parsed as a numeric IP: addr is valid */
  rtc_addr_t addr;    /* address + port when address_is_ip; tcp marked for TCP */
  char ufrag[257];    /* "ufrag" extension (werift, Chromium trickle) or "" */
  uint32_t generation;
} rtc_ice_candidate_t;

/* Parses "candidate:..." or the same text without the "candidate:" prefix (an SDP
 * a=candidate value). Unknown extension pairs are skipped. RTC_EPARSE on bad grammar. */
int rtc_ice_candidate_parse(const char *text, rtc_ice_candidate_t *out);
/* Writes "candidate:<foundation> <component> udp <prio> <addr> <port> typ <type>
 * [raddr .. rport ..] [tcptype ..] generation <g>" (RFC 8839 order, as Chromium does).
 * with_prefix=false omits "candidate:" (the SDP form). Returns the length written or
 * RTC_ETOOBIG if outlen is too small. */
int rtc_ice_candidate_format(const rtc_ice_candidate_t *c, bool with_prefix, char *out,
                             size_t outlen);
const char *rtc_ice_cand_type_name(rtc_ice_cand_type_t t); /* "host", "srflx", ... */

#endif
