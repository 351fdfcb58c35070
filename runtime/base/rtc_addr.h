/* A transport address (IPv4 or IPv6 + port + transport protocol), as the core passes
 * it around. Plain sockaddr storage so that io/ can hand it to the kernel unchanged;
 * `tcp` marks an ICE-TCP (RFC 6544) address: UDP and TCP addresses with the same
 * IP and port are different transport addresses (RFC 8445 3). */
#ifndef RTC_BASE_ADDR_H
#define RTC_BASE_ADDR_H
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

typedef struct rtc_addr {
  union {
    struct sockaddr sa;
    struct sockaddr_in in4;
    struct sockaddr_in6 in6;
  } u;
  uint8_t tcp; /* 0: UDP (what a zeroed address is), 1: TCP */
} rtc_addr_t;

/* Longest text form of an address without port ("ffff:...:255.255.255.255"). */
#define RTC_ADDR_STRLEN 48

/* Parses a numeric IPv4 or IPv6 address (no names, no brackets). RTC_EINVAL if not numeric. */
int rtc_addr_set(rtc_addr_t *a, const char *ip, uint16_t port);
/* Writes the numeric address without port; returns 0 or RTC_EINVAL. */
int rtc_addr_to_string(const rtc_addr_t *a, char *out, size_t outlen);
/* A UDP address from what the kernel or the resolver gave (AF_INET or AF_INET6). */
void rtc_addr_from_sockaddr(rtc_addr_t *a, const struct sockaddr *sa);
uint16_t rtc_addr_port(const rtc_addr_t *a);
void rtc_addr_set_port(rtc_addr_t *a, uint16_t port);
int rtc_addr_family(const rtc_addr_t *a); /* AF_INET, AF_INET6 or 0 when unset */
socklen_t rtc_addr_len(const rtc_addr_t *a);
static inline bool rtc_addr_is_tcp(const rtc_addr_t *a) { return a->tcp != 0; }
static inline void rtc_addr_set_tcp(rtc_addr_t *a, bool tcp) { a->tcp = tcp ? 1 : 0; }
/* Same family, address, port and transport. */
bool rtc_addr_equal(const rtc_addr_t *a, const rtc_addr_t *b);
bool rtc_addr_is_loopback(const rtc_addr_t *a);
bool rtc_addr_is_link_local(const rtc_addr_t *a);

#endif
