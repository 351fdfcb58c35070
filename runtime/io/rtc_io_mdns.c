/* One multicast socket per process asks the link for the peers' ".local" names
 * (RFC 6762) and hands the answers to every peer waiting for that name; it also
 * hears the link's queries, which the peers announcing their own host candidates
 * under such names answer. It is made on first use, unreferenced (never keeps the
 * loop alive), and joins 224.0.0.251 on port 5353, shared with any responder on the
 * host (SO_REUSEADDR). */
#include <string.h>

#include "base/rtc_log.h"
#include "ice/rtc_mdns.h"
#include "io/rtc_io.h"
#include "io/rtc_io_internal.h"

static uv_udp_t mdns_udp;
static int mdns_state; /* 0 not made, 1 working, -1 unavailable */

static void mdns_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  static char b[9000]; /* RFC 6762 17: a response fits 9000 bytes */
  buf->base = b;
  buf->len = sizeof(b);
}

static void mdns_on_recv(uv_udp_t *u, ssize_t n, const uv_buf_t *buf, const struct sockaddr *from,
                         unsigned flags) {
  if (n < 4 || !from) return;
  const uint8_t *p = (const uint8_t *)buf->base;
  if (p[2] & 0x80) /* QR: a response */
    rtc__io_peers_mdns_answer(p, (size_t)n);
  else
    rtc__io_peers_mdns_query(p, (size_t)n, from);
}

int rtc__io_mdns_open(uv_loop_t *loop) {
  if (mdns_state) return mdns_state;
  mdns_state = -1;
  struct sockaddr_in any;
  uv_ip4_addr("0.0.0.0", RTC_MDNS_PORT, &any);
  if (uv_udp_init(loop, &mdns_udp) != 0) return -1;
  int r = uv_udp_bind(&mdns_udp, (const struct sockaddr *)&any, UV_UDP_REUSEADDR);
  if (r == 0) r = uv_udp_set_membership(&mdns_udp, RTC_MDNS_GROUP_V4, NULL, UV_JOIN_GROUP);
  if (r == 0) r = uv_udp_set_multicast_ttl(&mdns_udp, 255); /* RFC 6762 11 */
  if (r == 0) r = uv_udp_recv_start(&mdns_udp, mdns_alloc, mdns_on_recv);
  uv_unref((uv_handle_t *)&mdns_udp);
  if (r != 0) {
    RTC_LOG(RTC_LOG_INFO, "io",
            "mDNS unavailable (%s): .local candidates rely on peer-reflexive discovery",
            uv_strerror(r));
    uv_close((uv_handle_t *)&mdns_udp, NULL);
    return -1;
  }
  mdns_state = 1;
  return 1;
}

void rtc__io_mdns_send(const uint8_t *p, size_t len, const struct sockaddr *to) {
  if (mdns_state != 1) return;
  struct sockaddr_in group;
  if (!to) {
    uv_ip4_addr(RTC_MDNS_GROUP_V4, RTC_MDNS_PORT, &group);
    to = (const struct sockaddr *)&group;
  }
  uv_buf_t b = uv_buf_init((char *)p, (unsigned)len);
  uv_udp_try_send(&mdns_udp, &b, 1, to);
}

void rtc__io_mdns_query(uv_loop_t *loop, const char *name) {
  if (rtc__io_mdns_open(loop) != 1) return;
  struct sockaddr_in group;
  uv_ip4_addr(RTC_MDNS_GROUP_V4, RTC_MDNS_PORT, &group);
  static const uint16_t types[] = {1, 28}; /* A, AAAA */
  for (size_t i = 0; i < 2; i++) {
    uint8_t q[300];
    int len = rtc_mdns_build_query(name, types[i], q, sizeof(q));
    if (len <= 0) return;
    uv_buf_t b = uv_buf_init((char *)q, (unsigned)len);
    uv_udp_try_send(&mdns_udp, &b, 1, (const struct sockaddr *)&group);
  }
}
