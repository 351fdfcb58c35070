/* The ICE-server gatherer on a fake clock: a Binding per (socket, server), srflx
 * from a captured coturn 4.6.1 response, redundancy, retransmission and error 701,
 * server refusals, DNS failures, unrelated datagrams left to ICE. */
#include <string.h>

#include "base/rtc_err.h"
#include "base/rtc_time.h"
#include "ice/rtc_stun.h"
#include "rtc_test.h"
#include "turn/rtc_turn_gather.h"

/* coturn 4.6.1 answering a Binding request (tid 01..0c) sent from 127.0.0.1:40000. */
static const uint8_t coturn_binding[] = {
    0x01, 0x01, 0x00, 0x3c,                         /* Binding success, length 60 */
    0x21, 0x12, 0xa4, 0x42,                         /* magic cookie */
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, /* transaction id */
    0x09, 0x0a, 0x0b, 0x0c,                         /* */
    0x00, 0x20, 0x00, 0x08,                         /* XOR-MAPPED-ADDRESS */
    0x00, 0x01, 0xbd, 0x52,                         /* IPv4, port 40000 ^ 0x2112 */
    0x5e, 0x12, 0xa4, 0x43,                         /* 127.0.0.1 ^ cookie */
    0x00, 0x01, 0x00, 0x08,                         /* MAPPED-ADDRESS */
    0x00, 0x01, 0x9c, 0x40, 0x7f, 0x00, 0x00, 0x01, /* 127.0.0.1:40000 */
    0x80, 0x2b, 0x00, 0x08,                         /* RESPONSE-ORIGIN (RFC 5780) */
    0x00, 0x01, 0x87, 0xe6, 0x7f, 0x00, 0x00, 0x01, /* 127.0.0.1:34790 */
    0x80, 0x22, 0x00, 0x14,                         /* SOFTWARE, 20 bytes */
    0x43, 0x6f, 0x74, 0x75, 0x72, 0x6e, 0x2d, 0x34, /* "Coturn-4.6.1 'Gorst'" */
    0x2e, 0x36, 0x2e, 0x31, 0x20, 0x27, 0x47, 0x6f, /* */
    0x72, 0x73, 0x74, 0x27,                         /* */
};

static rtc_addr_t addr(const char *ip, uint16_t port) {
  rtc_addr_t a;
  CHECK_EQ_INT(rtc_addr_set(&a, ip, port), 0);
  return a;
}

/* The captured response re-addressed to the transaction of `req` (the IPv4
 * XOR-MAPPED-ADDRESS depends on the cookie only, so it stays right). */
static void answer_for(const rtc_transmit_t *req, uint8_t *out) {
  memcpy(out, coturn_binding, sizeof(coturn_binding));
  memcpy(out + 8, req->data + 8, RTC_STUN_TID_LEN);
}

static void test_srflx_from_coturn(void) {
  rtc_turn_gather_t *g = rtc_turn_gather_create();
  CHECK_EQ_INT(rtc_turn_gather_add_server(g, "stun:stun.test:34790", NULL, NULL, NULL, 0), 0);
  uint64_t now = RTC_MS(1000);
  rtc_turn_gather_start(g, now);
  rtc_addr_t local = addr("10.0.0.2", 5000), server = addr("127.0.0.1", 0);
  rtc_turn_gather_add_local(g, now, &local);
  CHECK(!rtc_turn_gather_is_done(g)); /* the name is not resolved yet */
  rtc_transmit_t tx;
  CHECK(!rtc_turn_gather_poll_transmit(g, &tx));
  rtc_turn_gather_set_server_addresses(g, now, 0, &server, 1);
  CHECK(rtc_turn_gather_poll_transmit(g, &tx));
  rtc_stun_msg_t m;
  CHECK_EQ_INT(rtc_stun_parse(tx.data, tx.len, &m), 0);
  CHECK_EQ_INT(m.method, RTC_STUN_BINDING);
  CHECK_EQ_INT(m.cls, RTC_STUN_REQUEST);
  CHECK_EQ_INT(rtc_stun_check_fingerprint(tx.data, tx.len, &m), 0);
  CHECK(rtc_addr_equal(&tx.local, &local));
  CHECK_EQ_INT(rtc_addr_port(&tx.remote), 34790); /* the URL's port */
  uint8_t resp[sizeof(coturn_binding)];
  rtc_transmit_t req = tx;
  uint8_t reqbytes[128];
  memcpy(reqbytes, tx.data, tx.len);
  req.data = reqbytes;
  CHECK(!rtc_turn_gather_poll_transmit(g, &tx)); /* one socket, one address: one request */

  /* A datagram from elsewhere, or with another transaction id, is not ours. */
  answer_for(&req, resp);
  rtc_addr_t other = addr("127.0.0.1", 9999), srv = addr("127.0.0.1", 34790);
  CHECK(!rtc_turn_gather_handle_datagram(g, now, &local, &other, resp, sizeof(resp)));
  resp[19] ^= 1;
  CHECK(!rtc_turn_gather_handle_datagram(g, now, &local, &srv, resp, sizeof(resp)));
  resp[19] ^= 1;
  CHECK(rtc_turn_gather_handle_datagram(g, now + 5000, &local, &srv, resp, sizeof(resp)));
  rtc_turn_gather_event_t ev;
  CHECK(rtc_turn_gather_poll_event(g, &ev));
  CHECK_EQ_INT(ev.type, RTC_TURN_GATHER_SRFLX);
  CHECK(rtc_addr_equal(&ev.base, &local));
  rtc_addr_t want = addr("127.0.0.1", 40000);
  CHECK(rtc_addr_equal(&ev.mapped, &want));
  CHECK(!rtc_turn_gather_poll_event(g, &ev));
  CHECK(rtc_turn_gather_is_done(g));
  CHECK_EQ_INT(rtc_turn_gather_poll_timeout(g) == RTC_NEVER, 1);
  /* The answer to a retransmission is still ours, and changes nothing. */
  CHECK(rtc_turn_gather_handle_datagram(g, now + 6000, &local, &srv, resp, sizeof(resp)));
  CHECK(!rtc_turn_gather_poll_event(g, &ev));
  rtc_turn_gather_destroy(g);
}

static void test_redundant_and_families(void) {
  rtc_turn_gather_t *g = rtc_turn_gather_create();
  CHECK_EQ_INT(rtc_turn_gather_add_server(g, "stun:127.0.0.1:34790", NULL, NULL, NULL, 0), 0);
  rtc_turn_gather_start(g, 0);
  rtc_addr_t local = addr("127.0.0.1", 40000), v6 = addr("::1", 40000);
  rtc_addr_t srv = addr("127.0.0.1", 0);
  rtc_turn_gather_add_local(g, 0, &local);
  rtc_turn_gather_add_local(g, 0, &v6); /* no IPv6 server address: no request */
  rtc_turn_gather_set_server_addresses(g, 0, 0, &srv, 1);
  rtc_transmit_t tx;
  CHECK(rtc_turn_gather_poll_transmit(g, &tx));
  uint8_t reqbytes[128];
  memcpy(reqbytes, tx.data, tx.len);
  tx.data = reqbytes;
  CHECK(!rtc_turn_gather_poll_transmit(g, &tx)); /* none from the IPv6 socket */
  uint8_t resp[sizeof(coturn_binding)];
  rtc_transmit_t req = {.data = reqbytes};
  answer_for(&req, resp);
  rtc_addr_t from = addr("127.0.0.1", 34790);
  CHECK(rtc_turn_gather_handle_datagram(g, 0, &local, &from, resp, sizeof(resp)));
  rtc_turn_gather_event_t ev;
  CHECK(!rtc_turn_gather_poll_event(g, &ev)); /* mapped == base: redundant (RFC 8445 5.1.3) */
  CHECK(rtc_turn_gather_is_done(g));
  rtc_turn_gather_destroy(g);
}

static void test_timeout_701(void) {
  rtc_turn_gather_t *g = rtc_turn_gather_create();
  CHECK_EQ_INT(rtc_turn_gather_add_server(g, "stun:192.0.2.1", NULL, NULL, NULL, 0), 0);
  uint64_t now = 0;
  rtc_turn_gather_start(g, now);
  rtc_addr_t local = addr("10.0.0.2", 5000), srv = addr("192.0.2.1", 0);
  rtc_turn_gather_add_local(g, now, &local);
  rtc_turn_gather_set_server_addresses(g, now, 0, &srv, 1);
  rtc_transmit_t tx;
  int sends = 0;
  rtc_turn_gather_event_t ev;
  while (rtc_turn_gather_poll_transmit(g, &tx))
    sends++;
  for (int i = 0; i < 100 && !rtc_turn_gather_is_done(g); i++) {
    uint64_t d = rtc_turn_gather_poll_timeout(g);
    CHECK(d != RTC_NEVER && d > now);
    now = d;
    rtc_turn_gather_handle_timeout(g, now);
    while (rtc_turn_gather_poll_transmit(g, &tx))
      sends++;
  }
  CHECK_EQ_INT(sends, 6);
  CHECK(now < RTC_MS(8000)); /* gathering is not held for RFC 8489's 39.5 s */
  CHECK(rtc_turn_gather_poll_event(g, &ev));
  CHECK_EQ_INT(ev.type, RTC_TURN_GATHER_ERROR);
  CHECK_EQ_INT(ev.code, 701);
  CHECK(rtc_addr_equal(&ev.base, &local));
  CHECK_STR(rtc_turn_gather_server_url_text(g, ev.server), "stun:192.0.2.1");
  rtc_turn_gather_destroy(g);
}

static void test_error_response_and_dns(void) {
  rtc_turn_gather_t *g = rtc_turn_gather_create();
  CHECK_EQ_INT(rtc_turn_gather_add_server(g, "stun:a.test", NULL, NULL, NULL, 0), 0);
  CHECK_EQ_INT(rtc_turn_gather_add_server(g, "turn:b.test", "u", "p", NULL, 0), 1);
  rtc_turn_gather_start(g, 0);
  rtc_addr_t local = addr("10.0.0.2", 5000), srv = addr("10.0.0.9", 0);
  rtc_turn_gather_add_local(g, 0, &local);
  rtc_turn_gather_set_server_addresses(g, 0, 0, NULL, 0); /* a.test did not resolve */
  rtc_turn_gather_event_t ev;
  CHECK(rtc_turn_gather_poll_event(g, &ev));
  CHECK_EQ_INT(ev.code, 701);
  CHECK_EQ_INT(ev.server, 0);
  CHECK_EQ_INT(rtc_addr_family(&ev.base), 0);
  CHECK(!rtc_turn_gather_is_done(g));
  rtc_turn_gather_set_server_addresses(g, 0, 1, &srv, 1);
  rtc_transmit_t tx;
  CHECK(rtc_turn_gather_poll_transmit(g, &tx));
  /* A 400 answer: an error event with the server's code. */
  uint8_t buf[128], tid[RTC_STUN_TID_LEN];
  memcpy(tid, tx.data + 8, sizeof(tid));
  rtc_stun_writer_t w;
  rtc_stun_writer_init(&w, buf, sizeof(buf), RTC_STUN_BINDING | RTC_STUN_ERROR, tid);
  rtc_stun_put_error(&w, 400, "Bad Request");
  int n = rtc_stun_writer_finish(&w);
  CHECK(n > 0);
  rtc_addr_t from = addr("10.0.0.9", 3478);
  CHECK(rtc_turn_gather_handle_datagram(g, 0, &local, &from, buf, (size_t)n));
  CHECK(rtc_turn_gather_poll_event(g, &ev));
  CHECK_EQ_INT(ev.type, RTC_TURN_GATHER_ERROR);
  CHECK_EQ_INT(ev.code, 400);
  CHECK_EQ_INT(ev.server, 1);
  CHECK(rtc_turn_gather_is_done(g));
  /* A truncated message from the server is not STUN: left to the caller. */
  CHECK(!rtc_turn_gather_handle_datagram(g, 0, &local, &from, buf, 10));
  rtc_turn_gather_destroy(g);
}

static void test_refusals(void) {
  rtc_turn_gather_t *g = rtc_turn_gather_create();
  char err[128];
  CHECK_EQ_INT(rtc_turn_gather_add_server(g, "turn:x", NULL, NULL, err, sizeof(err)), RTC_EINVAL);
  CHECK(strstr(err, "username") != NULL);
  CHECK_EQ_INT(rtc_turn_gather_add_server(g, "ftp:x", NULL, NULL, err, sizeof(err)), RTC_EPARSE);
  for (int i = 0; i < RTC_TURN_MAX_SERVERS; i++)
    CHECK_EQ_INT(rtc_turn_gather_add_server(g, "stun:x", NULL, NULL, NULL, 0), i);
  CHECK_EQ_INT(rtc_turn_gather_add_server(g, "stun:x", NULL, NULL, err, sizeof(err)), RTC_ELIMIT);
  rtc_turn_gather_destroy(g);
}

int main(void) {
  RUN_TEST(test_srflx_from_coturn);
  RUN_TEST(test_redundant_and_families);
  RUN_TEST(test_timeout_701);
  RUN_TEST(test_error_response_and_dns);
  RUN_TEST(test_refusals);
  TEST_MAIN_END();
}
