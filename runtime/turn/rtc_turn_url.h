/* ICE server URLs: "stun:" / "stuns:" (RFC 7064) and "turn:" / "turns:" (RFC 7065)
 * with an optional "?transport=udp|tcp". Pure parsing, no name resolution: the host
 * stays text (the io layer resolves it on the loop). */
#ifndef RTC_TURN_URL_H
#define RTC_TURN_URL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum rtc_turn_scheme {
  RTC_TURN_SCHEME_STUN = 0,
  RTC_TURN_SCHEME_STUNS,
  RTC_TURN_SCHEME_TURN,
  RTC_TURN_SCHEME_TURNS,
} rtc_turn_scheme_t;

typedef enum rtc_turn_proto {
  RTC_TURN_PROTO_UDP = 0,
  RTC_TURN_PROTO_TCP,
  RTC_TURN_PROTO_TLS, /* turns: / stuns: (TLS over TCP) */
} rtc_turn_proto_t;

typedef struct rtc_turn_url {
  rtc_turn_scheme_t scheme;
  rtc_turn_proto_t proto;
  char host[256]; /* a name or a numeric address, IPv6 without its brackets */
  uint16_t port;  /* RFC 7064/7065 defaults: 3478, or 5349 for the TLS schemes */
} rtc_turn_url_t;

/* RTC_EPARSE (a message in err when err != NULL) for an unknown scheme, a missing
 * or over-long host, a bad port, a query other than transport=udp|tcp, or a
 * "?transport=" on a stun: URL (RFC 7064 has none). */
int rtc_turn_url_parse(const char *url, rtc_turn_url_t *out, char *err, size_t errcap);
static inline bool rtc_turn_url_is_turn(const rtc_turn_url_t *u) {
  return u->scheme == RTC_TURN_SCHEME_TURN || u->scheme == RTC_TURN_SCHEME_TURNS;
}

#endif
