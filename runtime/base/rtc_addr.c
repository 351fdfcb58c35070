#include "base/rtc_addr.h"

#include <arpa/inet.h>
#include <string.h>

#include "base/rtc_err.h"

int rtc_addr_set(rtc_addr_t *a, const char *ip, uint16_t port) {
  memset(a, 0, sizeof(*a));
  if (inet_pton(AF_INET, ip, &a->u.in4.sin_addr) == 1) {
    a->u.in4.sin_family = AF_INET;
    a->u.in4.sin_port = htons(port);
    return 0;
  }
  if (inet_pton(AF_INET6, ip, &a->u.in6.sin6_addr) == 1) {
    a->u.in6.sin6_family = AF_INET6;
    a->u.in6.sin6_port = htons(port);
    return 0;
  }
  return RTC_EINVAL;
}

int rtc_addr_to_string(const rtc_addr_t *a, char *out, size_t outlen) {
  const void *src;
  switch (a->u.sa.sa_family) {
  case AF_INET: src = &a->u.in4.sin_addr; break;
  case AF_INET6: src = &a->u.in6.sin6_addr; break;
  default: return RTC_EINVAL;
  }
  return inet_ntop(a->u.sa.sa_family, src, out, (socklen_t)outlen) ? 0 : RTC_EINVAL;
}

uint16_t rtc_addr_port(const rtc_addr_t *a) {
  switch (a->u.sa.sa_family) {
  case AF_INET: return ntohs(a->u.in4.sin_port);
  case AF_INET6: return ntohs(a->u.in6.sin6_port);
  default: return 0;
  }
}

void rtc_addr_set_port(rtc_addr_t *a, uint16_t port) {
  if (a->u.sa.sa_family == AF_INET)
    a->u.in4.sin_port = htons(port);
  else if (a->u.sa.sa_family == AF_INET6)
    a->u.in6.sin6_port = htons(port);
}

int rtc_addr_family(const rtc_addr_t *a) { return a->u.sa.sa_family; }

socklen_t rtc_addr_len(const rtc_addr_t *a) {
  return a->u.sa.sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

bool rtc_addr_equal(const rtc_addr_t *a, const rtc_addr_t *b) {
  if (a->u.sa.sa_family != b->u.sa.sa_family || a->tcp != b->tcp) return false;
  if (a->u.sa.sa_family == AF_INET)
    return a->u.in4.sin_port == b->u.in4.sin_port &&
           a->u.in4.sin_addr.s_addr == b->u.in4.sin_addr.s_addr;
  if (a->u.sa.sa_family == AF_INET6)
    return a->u.in6.sin6_port == b->u.in6.sin6_port &&
           memcmp(&a->u.in6.sin6_addr, &b->u.in6.sin6_addr, 16) == 0;
  return false;
}

bool rtc_addr_is_loopback(const rtc_addr_t *a) {
  if (a->u.sa.sa_family == AF_INET) return (ntohl(a->u.in4.sin_addr.s_addr) >> 24) == 127;
  if (a->u.sa.sa_family == AF_INET6) return IN6_IS_ADDR_LOOPBACK(&a->u.in6.sin6_addr);
  return false;
}

bool rtc_addr_is_link_local(const rtc_addr_t *a) {
  if (a->u.sa.sa_family == AF_INET)
    return (ntohl(a->u.in4.sin_addr.s_addr) >> 16) == 0xA9FE; /* 169.254/16 */
  if (a->u.sa.sa_family == AF_INET6) return IN6_IS_ADDR_LINKLOCAL(&a->u.in6.sin6_addr);
  return false;
}

void rtc_addr_from_sockaddr(rtc_addr_t *a, const struct sockaddr *sa) {
  memset(a, 0, sizeof *a);
  memcpy(&a->u, sa, sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
}
