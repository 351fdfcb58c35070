/* ICE-TCP: framing (RFC 4571 / RFC 6544 3): an RFC 5769 STUN request and a DTLS record
 * as frames, split at every byte, garbage, empty and maximal frames; and the agent's
 * TCP candidates (RFC 6544 4.2 priorities, 4.5 tcptype, 6.2 active-passive pairing,
 * 7.2 peer-reflexive active remotes). */
#include <stdlib.h>
#include <string.h>

#include "base/rtc_err.h"
#include "ice/rtc_ice_agent.h"
#include "ice/rtc_ice_tcp.h"
#include "ice/rtc_stun.h"
#include "rtc_test.h"

/* RFC 5769 2.1: sample request, as a connection's first frame carries a check. */
static const uint8_t req[] = {
    0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
    0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x10, 0x53, 0x54, 0x55, 0x4e,
    0x20, 0x74, 0x65, 0x73, 0x74, 0x20, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, 0x00, 0x24,
    0x00, 0x04, 0x6e, 0x00, 0x01, 0xff, 0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1,
    0x51, 0x26, 0x3b, 0x36, 0x00, 0x06, 0x00, 0x09, 0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68,
    0x36, 0x76, 0x59, 0x20, 0x20, 0x20, 0x00, 0x08, 0x00, 0x14, 0x9a, 0xea, 0xa7, 0x0c,
    0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e, 0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49, 0xc1, 0xb5,
    0x71, 0xa2, 0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf,
};
/* A DTLS 1.2 alert record header and body (close_notify, epoch 0): first byte 21. */
static const uint8_t dtls[] = {0x15, 0xfe, 0xfd, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                               0x00, 0x01, 0x00, 0x02, 0x01, 0x00};

typedef struct seen {
  int n;
  size_t lens[16];
  uint8_t data[4][200];
  int stop_after; /* 0: never */
} seen_t;

static bool on_frame(void *ud, const uint8_t *p, size_t len) {
  seen_t *s = ud;
  if (s->n < 16) s->lens[s->n] = len;
  if (s->n < 4 && len <= sizeof s->data[0]) memcpy(s->data[s->n], p, len);
  s->n++;
  return s->stop_after == 0 || s->n < s->stop_after;
}

/* [len][req] [len][dtls] [0 0] (an empty frame) [len][req] */
static size_t stream(uint8_t *out) {
  size_t n = 0;
  out[n++] = 0;
  out[n++] = sizeof req;
  memcpy(out + n, req, sizeof req);
  n += sizeof req;
  out[n++] = 0;
  out[n++] = sizeof dtls;
  memcpy(out + n, dtls, sizeof dtls);
  n += sizeof dtls;
  out[n++] = 0;
  out[n++] = 0;
  out[n++] = 0;
  out[n++] = sizeof req;
  memcpy(out + n, req, sizeof req);
  return n + sizeof req;
}

static void check_frames(const seen_t *s) {
  CHECK_EQ_INT(s->n, 3);
  CHECK_EQ_INT(s->lens[0], sizeof req);
  CHECK_EQ_INT(s->lens[1], sizeof dtls);
  CHECK_EQ_INT(s->lens[2], sizeof req);
  CHECK(memcmp(s->data[0], req, sizeof req) == 0);
  CHECK(memcmp(s->data[1], dtls, sizeof dtls) == 0);
  CHECK(memcmp(s->data[2], req, sizeof req) == 0);
  /* What comes out is the STUN message the peer framed, intact. */
  rtc_stun_msg_t m;
  CHECK_EQ_INT(rtc_stun_parse(s->data[0], s->lens[0], &m), 0);
  CHECK_EQ_INT(rtc_stun_check_fingerprint(s->data[0], s->lens[0], &m), 0);
}

static void test_whole(void) {
  uint8_t buf[512];
  size_t n = stream(buf);
  rtc_ice_tcp_framer_t f;
  seen_t s = {0};
  CHECK_EQ_INT(rtc_ice_tcp_framer_init(&f), 0);
  CHECK_EQ_INT(rtc_ice_tcp_framer_input(&f, buf, n, on_frame, &s), 3);
  check_frames(&s);
  CHECK_EQ_INT(f.len, 0);
  /* Whole frames come straight from the read: no buffer (issue 12, B3) */
  CHECK(f.buf == NULL);
  rtc_ice_tcp_framer_close(&f);
  rtc_ice_tcp_framer_close(&f); /* twice is fine */
}

/* TCP may cut the stream anywhere: two reads at every split point, then one byte per
 * read, give the same frames. */
static void test_every_split(void) {
  uint8_t buf[512];
  size_t n = stream(buf);
  for (size_t cut = 0; cut <= n; cut++) {
    rtc_ice_tcp_framer_t f;
    seen_t s = {0};
    rtc_ice_tcp_framer_init(&f);
    int a = rtc_ice_tcp_framer_input(&f, buf, cut, on_frame, &s);
    int b = rtc_ice_tcp_framer_input(&f, buf + cut, n - cut, on_frame, &s);
    CHECK(a >= 0 && b >= 0);
    CHECK_EQ_INT(a + b, 3);
    check_frames(&s);
    /* a kept partial frame costs its own size, not 64 KiB */
    CHECK(f.cap <= 2 + (sizeof dtls > sizeof req ? sizeof dtls : sizeof req));
    rtc_ice_tcp_framer_close(&f);
  }
  rtc_ice_tcp_framer_t f;
  seen_t s = {0};
  rtc_ice_tcp_framer_init(&f);
  for (size_t i = 0; i < n; i++)
    CHECK(rtc_ice_tcp_framer_input(&f, buf + i, 1, on_frame, &s) >= 0);
  check_frames(&s);
  rtc_ice_tcp_framer_close(&f);
}

/* Garbage closes: a first frame that is not STUN (an HTTP request on the port), and
 * a later frame outside the RFC 7983 ranges. The framer stays broken. */
static void test_garbage(void) {
  rtc_ice_tcp_framer_t f;
  seen_t s = {0};
  const uint8_t http[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  rtc_ice_tcp_framer_init(&f);
  CHECK_EQ_INT(rtc_ice_tcp_framer_input(&f, http, sizeof http - 1, on_frame, &s), RTC_EPARSE);
  CHECK_EQ_INT(s.n, 0);
  CHECK(f.broken);
  uint8_t ok[2 + sizeof req];
  ok[0] = 0;
  ok[1] = sizeof req;
  memcpy(ok + 2, req, sizeof req);
  CHECK_EQ_INT(rtc_ice_tcp_framer_input(&f, ok, sizeof ok, on_frame, &s), RTC_EPARSE);
  rtc_ice_tcp_framer_close(&f);

  /* A DTLS record first: not a check. */
  uint8_t d[2 + sizeof dtls] = {0, sizeof dtls};
  memcpy(d + 2, dtls, sizeof dtls);
  rtc_ice_tcp_framer_init(&f);
  CHECK_EQ_INT(rtc_ice_tcp_framer_input(&f, d, sizeof d, on_frame, &s), RTC_EPARSE);
  rtc_ice_tcp_framer_close(&f);

  /* STUN, then a frame starting with 0x50 (TURN channel range: never on ICE-TCP). */
  uint8_t two[2 + sizeof req + 4];
  memcpy(two, ok, sizeof ok);
  two[sizeof ok] = 0;
  two[sizeof ok + 1] = 2;
  two[sizeof ok + 2] = 0x50;
  two[sizeof ok + 3] = 0;
  memset(&s, 0, sizeof s);
  rtc_ice_tcp_framer_init(&f);
  CHECK_EQ_INT(rtc_ice_tcp_framer_input(&f, two, sizeof two, on_frame, &s), RTC_EPARSE);
  CHECK_EQ_INT(s.n, 1); /* the frame before the garbage was delivered */
  rtc_ice_tcp_framer_close(&f);
}

/* The largest frame (65535 bytes) passes in pieces; memory stays one buffer. */
static void test_max_frame(void) {
  size_t total = 2 + sizeof req + 2 + RTC_ICE_TCP_MAX_FRAME;
  uint8_t *buf = calloc(1, total);
  buf[1] = sizeof req;
  memcpy(buf + 2, req, sizeof req);
  uint8_t *big = buf + 2 + sizeof req;
  CHECK_EQ_INT(rtc_ice_tcp_frame_header(RTC_ICE_TCP_MAX_FRAME, big), 0);
  CHECK(big[0] == 0xff && big[1] == 0xff);
  big[2] = 0x80; /* RTP */
  rtc_ice_tcp_framer_t f;
  seen_t s = {0};
  rtc_ice_tcp_framer_init(&f);
  int got = 0;
  for (size_t off = 0; off < total; off += 1000) {
    size_t n = total - off < 1000 ? total - off : 1000;
    int r = rtc_ice_tcp_framer_input(&f, buf + off, n, on_frame, &s);
    CHECK(r >= 0);
    got += r;
    CHECK(f.len < RTC_ICE_TCP_BUF);
  }
  CHECK_EQ_INT(got, 2);
  CHECK_EQ_INT(s.lens[1], RTC_ICE_TCP_MAX_FRAME);
  uint8_t h[2];
  CHECK_EQ_INT(rtc_ice_tcp_frame_header(RTC_ICE_TCP_MAX_FRAME + 1, h), RTC_ETOOBIG);
  rtc_ice_tcp_framer_close(&f);
  free(buf);
}

/* The callback may stop the input (its connection is closing). */
static void test_stop(void) {
  uint8_t buf[512];
  size_t n = stream(buf);
  rtc_ice_tcp_framer_t f;
  seen_t s = {.stop_after = 1};
  rtc_ice_tcp_framer_init(&f);
  CHECK_EQ_INT(rtc_ice_tcp_framer_input(&f, buf, n, on_frame, &s), 1);
  CHECK_EQ_INT(s.n, 1);
  rtc_ice_tcp_framer_close(&f);
}

static rtc_addr_t tcp_addr(const char *ip, uint16_t port) {
  rtc_addr_t a;
  rtc_addr_set(&a, ip, port);
  rtc_addr_set_tcp(&a, true);
  return a;
}

static void add_remote(rtc_ice_agent_t *ice, const char *line, int want) {
  rtc_ice_candidate_t c;
  CHECK_EQ_INT(rtc_ice_candidate_parse(line, &c), 0);
  CHECK_EQ_INT(rtc_ice_agent_add_remote_candidate(ice, &c), want);
}

/* Our candidates: UDP host, TCP passive (a listening port), TCP active (port 9). */
static void test_agent_candidates(void) {
  rtc_ice_config_t cfg = {.controlling = true, .local_ufrag = "ufrA",
                          .local_pwd = "passwordOfAgentA0123456"};
  rtc_ice_agent_t *ice = rtc_ice_agent_create(&cfg, 1000);
  rtc_addr_t udp, pas = tcp_addr("10.0.0.1", 40000), act = tcp_addr("10.0.0.1", 9);
  rtc_addr_set(&udp, "10.0.0.1", 40000); /* same IP and port as the passive one */
  rtc_ice_candidate_t cu, cp, ca;
  CHECK_EQ_INT(rtc_ice_agent_add_local_host(ice, &udp, &cu), 0);
  CHECK_EQ_INT(rtc_ice_agent_add_local_host(ice, &pas, &cp), 0);
  CHECK_EQ_INT(rtc_ice_agent_add_local_host(ice, &act, &ca), 0);
  char text[256];
  rtc_ice_candidate_format(&cp, false, text, sizeof text);
  CHECK(strstr(text, " 1 tcp ") && strstr(text, " 10.0.0.1 40000 typ host tcptype passive"));
  rtc_ice_candidate_format(&ca, true, text, sizeof text);
  CHECK(strstr(text, " 10.0.0.1 9 typ host tcptype active"));
  /* Parsed back, the TCP candidate is a TCP transport address. */
  rtc_ice_candidate_t back;
  CHECK_EQ_INT(rtc_ice_candidate_parse(text, &back), 0);
  CHECK(rtc_addr_equal(&back.addr, &act));
  CHECK_STR(back.tcptype, "active");
  /* RFC 6544 4.2: UDP above TCP; among TCP host ones, active (6) above passive (4). */
  CHECK(cu.priority > ca.priority && ca.priority > cp.priority);
  CHECK_EQ_INT(ca.priority >> 24, 90);
  CHECK(strcmp(cu.foundation, cp.foundation) != 0); /* another transport */
  CHECK(strcmp(cp.foundation, ca.foundation) == 0); /* same type, IP and transport */

  /* The peer: UDP, TCP passive, TCP active (port 9), TCP simultaneous-open. */
  CHECK_EQ_INT(rtc_ice_agent_set_remote_credentials(ice, "ufrB", "passwordOfAgentB0123456"), 0);
  add_remote(ice, "candidate:1 1 udp 2122260223 10.0.0.2 50000 typ host", 0);
  add_remote(ice, "candidate:2 1 tcp 1518280447 10.0.0.2 50001 typ host tcptype passive", 0);
  add_remote(ice, "candidate:3 1 tcp 1518214911 10.0.0.2 9 typ host tcptype active", 0);
  add_remote(ice, "candidate:4 1 tcp 1518149375 10.0.0.2 50002 typ host tcptype so", RTC_ENOTSUP);

  /* Checks: UDP to UDP, and our active to their passive; nothing to port 9, nothing
   * from our passive candidate (it waits for connections). */
  rtc_addr_t r_udp, r_pas = tcp_addr("10.0.0.2", 50001);
  rtc_addr_set(&r_udp, "10.0.0.2", 50000);
  bool udp_seen = false, tcp_seen = false;
  for (uint64_t t = 2000; t < 400000; t += 10000) {
    rtc_ice_agent_handle_timeout(ice, t);
    rtc_transmit_t tx;
    while (rtc_ice_agent_poll_transmit(ice, &tx)) {
      if (rtc_addr_equal(&tx.local, &udp)) {
        CHECK(rtc_addr_equal(&tx.remote, &r_udp));
        udp_seen = true;
      } else {
        CHECK(rtc_addr_equal(&tx.local, &act));
        CHECK(rtc_addr_equal(&tx.remote, &r_pas));
        tcp_seen = true;
        /* RFC 6544: the PRIORITY of a TCP check is a TCP peer-reflexive one. */
        rtc_stun_msg_t m;
        CHECK_EQ_INT(rtc_stun_parse(tx.data, tx.len, &m), 0);
        CHECK_EQ_INT(m.priority >> 24, 80);
      }
    }
  }
  CHECK(udp_seen);
  CHECK(tcp_seen);

  /* The peer's active candidate connects to our passive one from an ephemeral port:
   * its check makes a peer-reflexive active remote, answered on that connection,
   * with a triggered check back on it. */
  rtc_addr_t from = tcp_addr("10.0.0.2", 51234);
  uint8_t buf[512], tid[RTC_STUN_TID_LEN] = {1, 2, 3};
  rtc_stun_writer_t w;
  rtc_stun_writer_init(&w, buf, sizeof buf, RTC_STUN_BINDING | RTC_STUN_REQUEST, tid);
  rtc_stun_put_string(&w, RTC_STUN_ATTR_USERNAME, "ufrA:ufrB");
  rtc_stun_put_u32(&w, RTC_STUN_ATTR_PRIORITY, 1350000000u);
  rtc_stun_put_u64(&w, RTC_STUN_ATTR_ICE_CONTROLLED, 1);
  rtc_stun_put_integrity(&w, (const uint8_t *)"passwordOfAgentA0123456", 23);
  rtc_stun_put_fingerprint(&w);
  int n = rtc_stun_writer_finish(&w);
  CHECK(n > 0);
  CHECK_EQ_INT(rtc_ice_agent_handle_datagram(ice, 500000, &pas, &from, buf, (size_t)n), 0);
  int responses = 0, checks = 0;
  rtc_transmit_t tx;
  while (rtc_ice_agent_poll_transmit(ice, &tx)) {
    if (!rtc_addr_equal(&tx.local, &pas)) continue;
    CHECK(rtc_addr_equal(&tx.remote, &from));
    rtc_stun_msg_t m;
    CHECK_EQ_INT(rtc_stun_parse(tx.data, tx.len, &m), 0);
    if (m.cls == RTC_STUN_SUCCESS) responses++;
    if (m.cls == RTC_STUN_REQUEST) checks++;
  }
  CHECK_EQ_INT(responses, 1);
  CHECK_EQ_INT(checks, 1);
  /* The same address over UDP is another transport address: no pair with it. */
  rtc_addr_t from_udp;
  rtc_addr_set(&from_udp, "10.0.0.2", 51234);
  CHECK(!rtc_ice_agent_is_valid_pair(ice, &udp, &from_udp));
  CHECK(rtc_ice_agent_is_valid_pair(ice, &pas, &from));
  rtc_ice_agent_destroy(ice);
}

int main(void) {
  RUN_TEST(test_whole);
  RUN_TEST(test_every_split);
  RUN_TEST(test_garbage);
  RUN_TEST(test_max_frame);
  RUN_TEST(test_stop);
  RUN_TEST(test_agent_candidates);
  TEST_MAIN_END();
}
