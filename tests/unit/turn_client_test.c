/* The TURN client (RFC 8656) on a fake clock: the captured coturn 401 challenge drives
 * it to an authenticated Allocate (checked with the long-term key), then answers built
 * here the way coturn builds them (same attributes, MESSAGE-INTEGRITY with the same
 * key) walk it through allocation, 438 stale nonce, refresh, permissions, channels,
 * Send/Data indications, ChannelData, deallocation, and the failures. */
#define _GNU_SOURCE /* memmem */
#include <string.h>

#include "base/rtc_bytes.h"
#include "base/rtc_err.h"
#include "base/rtc_random.h"
#include "base/rtc_time.h"
#include "coturn_dual_captures.h"
#include "ice/rtc_stun.h"
#include "rtc_test.h"
#include "turn/rtc_turn_chan.h"
#include "turn/rtc_turn_client.h"

/* coturn 4.6.1's Allocate 401 (users u:p, realm "test"), captured: ERROR-CODE 401
 * "Unauthorized", NONCE "2cb9edd079620a9b", REALM "test", SOFTWARE. Its transaction id
 * (bytes 8..19) is patched to the request's: a 401 carries no integrity over it. */
static const uint8_t coturn_401[] = {
    0x01, 0x13, 0x00, 0x48, 0x21, 0x12, 0xa4, 0x42, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c,
    0x1d, 0x1e, 0x1f, 0x20, 0x00, 0x09, 0x00, 0x10, 0x00, 0x00, 0x04, 0x01, 0x55, 0x6e, 0x61, 0x75,
    0x74, 0x68, 0x6f, 0x72, 0x69, 0x7a, 0x65, 0x64, 0x00, 0x15, 0x00, 0x10, 0x32, 0x63, 0x62, 0x39,
    0x65, 0x64, 0x64, 0x30, 0x37, 0x39, 0x36, 0x32, 0x30, 0x61, 0x39, 0x62, 0x00, 0x14, 0x00, 0x04,
    0x74, 0x65, 0x73, 0x74, 0x80, 0x22, 0x00, 0x14, 0x43, 0x6f, 0x74, 0x75, 0x72, 0x6e, 0x2d, 0x34,
    0x2e, 0x36, 0x2e, 0x31, 0x20, 0x27, 0x47, 0x6f, 0x72, 0x73, 0x74, 0x27,
};

/* Captured from coturn 4.6.1 relaying between two luartc peers (tests/net): a peer's
 * ICE Binding request (USERNAME, PRIORITY, ICE-CONTROLLED, MESSAGE-INTEGRITY,
 * FINGERPRINT) coming back on channel 0x4000, and coturn's ChannelBind success
 * (SOFTWARE, MESSAGE-INTEGRITY, FINGERPRINT). */
static const uint8_t coturn_channel_data[] = {
    0x40, 0x00, 0x00, 0x60, 0x00, 0x01, 0x00, 0x4c, 0x21, 0x12, 0xa4, 0x42, 0x4e, 0x38, 0x11, 0x5c,
    0xc0, 0x96, 0x8a, 0xfc, 0xce, 0xa3, 0xf9, 0x0f, 0x00, 0x06, 0x00, 0x11, 0x2f, 0x68, 0x72, 0x6c,
    0x58, 0x52, 0x2f, 0x53, 0x3a, 0x58, 0x41, 0x30, 0x44, 0x32, 0x69, 0x36, 0x58, 0x00, 0x00, 0x00,
    0x00, 0x24, 0x00, 0x04, 0x6e, 0x7f, 0xff, 0xff, 0x80, 0x29, 0x00, 0x08, 0x45, 0xa1, 0x42, 0xb9,
    0xb8, 0xb4, 0x53, 0x0c, 0x00, 0x08, 0x00, 0x14, 0x00, 0x99, 0xff, 0x8e, 0x1b, 0x97, 0x24, 0xfa,
    0x02, 0x8a, 0x25, 0xc9, 0x0e, 0x0e, 0x3e, 0x16, 0x3a, 0x18, 0x7e, 0x3e, 0x80, 0x28, 0x00, 0x04,
    0xc7, 0xdc, 0xdf, 0x9f,
};
static const uint8_t coturn_channel_bind_ok[] = {
    0x01, 0x09, 0x00, 0x38, 0x21, 0x12, 0xa4, 0x42, 0x61, 0xcc, 0xe3, 0x82, 0xa5, 0x11, 0xbf, 0x84,
    0x92, 0x81, 0xac, 0x91, 0x80, 0x22, 0x00, 0x14, 0x43, 0x6f, 0x74, 0x75, 0x72, 0x6e, 0x2d, 0x34,
    0x2e, 0x36, 0x2e, 0x31, 0x20, 0x27, 0x47, 0x6f, 0x72, 0x73, 0x74, 0x27, 0x00, 0x08, 0x00, 0x14,
    0x8b, 0x39, 0x5d, 0x5c, 0x7a, 0x4a, 0x94, 0x9d, 0x6e, 0xa5, 0x3f, 0x86, 0x8b, 0x13, 0x19, 0x4d,
    0xea, 0xe4, 0x54, 0x91, 0x80, 0x28, 0x00, 0x04, 0x74, 0x75, 0x28, 0x2c,
};

typedef struct fixture {
  rtc_turn_client_t *c;
  rtc_addr_t local, server, relayed, mapped, peer;
  uint8_t key[16];
  uint64_t now;
  uint8_t last[1500];
  size_t last_len;
  rtc_stun_msg_t m; /* the last request, parsed */
} fixture_t;

static bool next_request(fixture_t *f) {
  rtc_transmit_t tx;
  if (!rtc_turn_client_poll_transmit(f->c, &tx)) return false;
  CHECK(rtc_addr_equal(&tx.local, &f->local));
  CHECK(rtc_addr_equal(&tx.remote, &f->server));
  memcpy(f->last, tx.data, tx.len);
  f->last_len = tx.len;
  CHECK_EQ_INT(rtc_stun_parse(f->last, f->last_len, &f->m), 0);
  CHECK_EQ_INT(rtc_stun_check_fingerprint(f->last, f->last_len, &f->m), 0);
  return true;
}

static rtc_turn_client_input_t feed(fixture_t *f, const uint8_t *p, size_t n) {
  rtc_addr_t peer;
  const uint8_t *d;
  size_t dl;
  return rtc_turn_client_handle_datagram(f->c, f->now, &f->server, p, n, &peer, &d, &dl);
}

/* A success response to the last request, as coturn writes it. */
static size_t success(fixture_t *f, uint8_t *buf, uint32_t lifetime, bool with_mi) {
  rtc_stun_writer_t w;
  rtc_stun_writer_init(&w, buf, 512, f->m.method | RTC_STUN_SUCCESS, f->m.tid);
  if (f->m.method == RTC_STUN_ALLOCATE) {
    rtc_stun_put_addr(&w, RTC_STUN_ATTR_XOR_RELAYED_ADDRESS, &f->relayed, true);
    rtc_stun_put_addr(&w, RTC_STUN_ATTR_XOR_MAPPED_ADDRESS, &f->mapped, true);
  }
  if (f->m.method == RTC_STUN_ALLOCATE || f->m.method == RTC_STUN_REFRESH)
    rtc_stun_put_u32(&w, RTC_STUN_ATTR_LIFETIME, lifetime);
  rtc_stun_put_string(&w, RTC_STUN_ATTR_SOFTWARE, "Coturn-4.6.1 'Gorst'");
  if (with_mi) rtc_stun_put_integrity(&w, f->key, 16);
  rtc_stun_put_fingerprint(&w);
  return (size_t)rtc_stun_writer_finish(&w);
}

static size_t error(fixture_t *f, uint8_t *buf, uint16_t code, const char *nonce) {
  rtc_stun_writer_t w;
  rtc_stun_writer_init(&w, buf, 512, f->m.method | RTC_STUN_ERROR, f->m.tid);
  rtc_stun_put_error(&w, code, code == 438 ? "Stale Nonce" : "Error");
  if (nonce) {
    rtc_stun_put_string(&w, RTC_STUN_ATTR_NONCE, nonce);
    rtc_stun_put_string(&w, RTC_STUN_ATTR_REALM, "test");
  }
  return (size_t)rtc_stun_writer_finish(&w);
}

static void setup(fixture_t *f, const char *password) {
  memset(f, 0, sizeof(*f));
  rtc_addr_set(&f->local, "10.98.1.2", 40001);
  rtc_addr_set(&f->server, "10.98.0.2", 3478);
  rtc_addr_set(&f->relayed, "10.98.0.2", 49200);
  rtc_addr_set(&f->mapped, "10.98.0.11", 40001);
  rtc_addr_set(&f->peer, "10.98.0.12", 5000);
  rtc_stun_long_term_key("u", "test", "p", f->key);
  f->now = 1000000;
  rtc_turn_client_config_t cfg = {.username = "u", .password = password};
  cfg.local = f->local;
  cfg.server = f->server;
  f->c = rtc_turn_client_create(&cfg, f->now);
}

/* Allocate without credentials -> coturn's 401 -> Allocate with them (returns true). */
static bool challenge(fixture_t *f) {
  CHECK(next_request(f));
  CHECK_EQ_INT(f->m.method, RTC_STUN_ALLOCATE);
  CHECK(!f->m.has_integrity && !f->m.has_username);
  /* RFC 8656 18.13: REQUESTED-TRANSPORT UDP. */
  CHECK(memmem(f->last, f->last_len, "\x00\x19\x00\x04\x11\x00\x00\x00", 8) != NULL);
  uint8_t r[sizeof(coturn_401)];
  memcpy(r, coturn_401, sizeof(r));
  memcpy(r + 8, f->m.tid, RTC_STUN_TID_LEN);
  CHECK_EQ_INT(feed(f, r, sizeof(r)), RTC_TURN_CLIENT_CONSUMED);
  if (!next_request(f)) return false;
  CHECK_EQ_INT(f->m.method, RTC_STUN_ALLOCATE);
  CHECK(f->m.has_username && strcmp(f->m.username, "u") == 0);
  CHECK(f->m.has_realm && strcmp(f->m.realm, "test") == 0);
  CHECK(f->m.has_nonce && strcmp(f->m.nonce, "2cb9edd079620a9b") == 0);
  return true;
}

static void allocate(fixture_t *f) {
  CHECK(challenge(f));
  CHECK_EQ_INT(rtc_stun_check_integrity(f->last, f->last_len, &f->m, f->key, 16), 0);
  uint8_t r[512];
  size_t n = success(f, r, 600, true);
  CHECK_EQ_INT(feed(f, r, n), RTC_TURN_CLIENT_CONSUMED);
  rtc_turn_client_event_t ev;
  CHECK(rtc_turn_client_poll_event(f->c, &ev));
  CHECK_EQ_INT(ev.type, RTC_TURN_CLIENT_EVENT_ALLOCATED);
  CHECK(rtc_addr_equal(&ev.relayed, &f->relayed));
  CHECK(rtc_addr_equal(&ev.mapped, &f->mapped));
  CHECK_EQ_INT(ev.lifetime_s, 600);
  CHECK_EQ_INT(rtc_turn_client_state(f->c), RTC_TURN_CLIENT_ALLOCATED);
}

static void test_allocate_with_coturn_challenge(void) {
  fixture_t f;
  setup(&f, "p");
  allocate(&f);
  /* Nothing else to send; the next deadline is the refresh, a minute before expiry. */
  CHECK(!next_request(&f));
  CHECK(rtc_turn_client_poll_timeout(f.c) == f.now + RTC_MS(540000));
  rtc_turn_client_destroy(f.c);
}

static void test_forged_success_is_dropped(void) {
  fixture_t f;
  setup(&f, "p");
  CHECK(challenge(&f));
  uint8_t r[512];
  size_t n = success(&f, r, 600, false); /* no MESSAGE-INTEGRITY */
  CHECK_EQ_INT(feed(&f, r, n), RTC_TURN_CLIENT_CONSUMED);
  CHECK_EQ_INT(rtc_turn_client_state(f.c), RTC_TURN_CLIENT_ALLOCATING);
  n = success(&f, r, 600, true);
  r[30] ^= 1; /* the relayed address altered: the integrity no longer matches */
  CHECK_EQ_INT(feed(&f, r, n), RTC_TURN_CLIENT_CONSUMED);
  CHECK_EQ_INT(rtc_turn_client_state(f.c), RTC_TURN_CLIENT_ALLOCATING);
  rtc_turn_client_stats_t st;
  rtc_turn_client_get_stats(f.c, &st);
  CHECK_EQ_INT(st.dropped, 2);
  rtc_turn_client_destroy(f.c);
}

static void test_bad_credentials_fail_with_401(void) {
  fixture_t f;
  setup(&f, "wrong");
  CHECK(challenge(&f));
  uint8_t r[512];
  size_t n = error(&f, r, 401, "2cb9edd079620a9c");
  CHECK_EQ_INT(feed(&f, r, n), RTC_TURN_CLIENT_CONSUMED);
  rtc_turn_client_event_t ev;
  CHECK(rtc_turn_client_poll_event(f.c, &ev));
  CHECK_EQ_INT(ev.type, RTC_TURN_CLIENT_EVENT_FAILED);
  CHECK_EQ_INT(ev.code, 401);
  CHECK(!next_request(&f)); /* no loop of retries */
  CHECK(rtc_turn_client_poll_timeout(f.c) == RTC_NEVER);
  rtc_turn_client_destroy(f.c);
}

static void test_unreachable_server_gives_701(void) {
  fixture_t f;
  setup(&f, "p");
  int sends = 0;
  while (next_request(&f))
    sends++;
  for (int i = 0; i < 20 && rtc_turn_client_poll_timeout(f.c) != RTC_NEVER; i++) {
    f.now = rtc_turn_client_poll_timeout(f.c);
    rtc_turn_client_handle_timeout(f.c, f.now);
    while (next_request(&f))
      sends++;
  }
  CHECK_EQ_INT(sends, RTC_TURN_CLIENT_TRIES);
  CHECK(f.now - 1000000 < RTC_MS(8000));
  rtc_turn_client_event_t ev;
  CHECK(rtc_turn_client_poll_event(f.c, &ev));
  CHECK_EQ_INT(ev.type, RTC_TURN_CLIENT_EVENT_FAILED);
  CHECK_EQ_INT(ev.code, 701);
  rtc_turn_client_destroy(f.c);
}

static void test_refresh_and_stale_nonce(void) {
  fixture_t f;
  setup(&f, "p");
  allocate(&f);
  f.now = rtc_turn_client_poll_timeout(f.c);
  rtc_turn_client_handle_timeout(f.c, f.now);
  CHECK(next_request(&f));
  CHECK_EQ_INT(f.m.method, RTC_STUN_REFRESH);
  CHECK(f.m.has_lifetime && f.m.lifetime_s == 600);
  /* RFC 8489 9.2.4: the nonce expired: 438 with a new one; the client retries. */
  uint8_t r[512];
  size_t n = error(&f, r, 438, "fresh-nonce-0001");
  CHECK_EQ_INT(feed(&f, r, n), RTC_TURN_CLIENT_CONSUMED);
  CHECK(next_request(&f));
  CHECK_EQ_INT(f.m.method, RTC_STUN_REFRESH);
  CHECK_STR(f.m.nonce, "fresh-nonce-0001");
  CHECK_EQ_INT(rtc_stun_check_integrity(f.last, f.last_len, &f.m, f.key, 16), 0);
  n = success(&f, r, 300, true);
  CHECK_EQ_INT(feed(&f, r, n), RTC_TURN_CLIENT_CONSUMED);
  CHECK_EQ_INT(rtc_turn_client_state(f.c), RTC_TURN_CLIENT_ALLOCATED);
  CHECK(rtc_turn_client_poll_timeout(f.c) == f.now + RTC_MS(240000));
  rtc_turn_client_stats_t st;
  rtc_turn_client_get_stats(f.c, &st);
  CHECK_EQ_INT(st.refreshes, 1);
  rtc_turn_client_destroy(f.c);
}

static void test_peer_send_indication_then_channel(void) {
  fixture_t f;
  setup(&f, "p");
  allocate(&f);
  rtc_transmit_t out;
  CHECK_EQ_INT(rtc_turn_client_wrap(f.c, f.now, &f.peer, (const uint8_t *)"ping", 4, &out), 0);
  /* No channel yet: a Send indication with XOR-PEER-ADDRESS and DATA. */
  rtc_stun_msg_t m;
  CHECK_EQ_INT(rtc_stun_parse(out.data, out.len, &m), 0);
  CHECK_EQ_INT(m.method, RTC_STUN_SEND);
  CHECK_EQ_INT(m.cls, RTC_STUN_INDICATION);
  CHECK(m.has_xor_peer && rtc_addr_equal(&m.xor_peer, &f.peer));
  CHECK(m.has_data && m.data_len == 4 && memcmp(out.data + m.data_off, "ping", 4) == 0);
  /* ... and CreatePermission + ChannelBind for the new peer. */
  uint8_t r[512];
  bool perm = false, chan = false;
  for (int i = 0; i < 2; i++) {
    CHECK(next_request(&f));
    CHECK(f.m.has_xor_peer && rtc_addr_equal(&f.m.xor_peer, &f.peer));
    CHECK_EQ_INT(rtc_stun_check_integrity(f.last, f.last_len, &f.m, f.key, 16), 0);
    if (f.m.method == RTC_STUN_CREATE_PERMISSION) perm = true;
    if (f.m.method == RTC_STUN_CHANNEL_BIND) {
      chan = true;
      CHECK(f.m.has_channel && f.m.channel == 0x4000);
    }
    size_t n = success(&f, r, 0, true);
    CHECK_EQ_INT(feed(&f, r, n), RTC_TURN_CLIENT_CONSUMED);
  }
  CHECK(perm && chan);
  /* Bound: ChannelData from now on. */
  CHECK_EQ_INT(rtc_turn_client_wrap(f.c, f.now, &f.peer, (const uint8_t *)"pong!", 5, &out), 0);
  CHECK_EQ_INT(out.len, 9);
  CHECK(memcmp(out.data, "\x40\x00\x00\x05pong!", 9) == 0);
  /* Incoming ChannelData and Data indications come out as the peer's datagrams. */
  rtc_addr_t from;
  const uint8_t *d;
  size_t dl;
  CHECK_EQ_INT(rtc_turn_client_handle_datagram(f.c, f.now, &f.server,
                                               (const uint8_t *)"\x40\x00\x00\x03" "abc\0", 8,
                                               &from, &d, &dl),
               RTC_TURN_CLIENT_DATA);
  CHECK(rtc_addr_equal(&from, &f.peer) && dl == 3 && memcmp(d, "abc", 3) == 0);
  uint8_t ind[128], tid[RTC_STUN_TID_LEN] = {9};
  rtc_stun_writer_t w;
  rtc_stun_writer_init(&w, ind, sizeof(ind), RTC_STUN_DATA | RTC_STUN_INDICATION, tid);
  rtc_stun_put_addr(&w, RTC_STUN_ATTR_XOR_PEER_ADDRESS, &f.peer, true);
  rtc_stun_put_attr(&w, RTC_STUN_ATTR_DATA, "xyz", 3);
  int n = rtc_stun_writer_finish(&w);
  CHECK_EQ_INT(rtc_turn_client_handle_datagram(f.c, f.now, &f.server, ind, (size_t)n, &from, &d,
                                               &dl),
               RTC_TURN_CLIENT_DATA);
  CHECK(rtc_addr_equal(&from, &f.peer) && dl == 3 && memcmp(d, "xyz", 3) == 0);
  /* The captured ChannelData: a 96-byte STUN Binding request from the peer. */
  CHECK_EQ_INT(rtc_turn_client_handle_datagram(f.c, f.now, &f.server, coturn_channel_data,
                                               sizeof(coturn_channel_data), &from, &d, &dl),
               RTC_TURN_CLIENT_DATA);
  CHECK(rtc_addr_equal(&from, &f.peer) && dl == 96 && rtc_stun_is_stun(d, dl));
  /* An unbound channel number and a datagram from elsewhere. */
  CHECK_EQ_INT(rtc_turn_client_handle_datagram(f.c, f.now, &f.server,
                                               (const uint8_t *)"\x40\x05\x00\x01x", 5, &from, &d,
                                               &dl),
               RTC_TURN_CLIENT_CONSUMED);
  CHECK_EQ_INT(rtc_turn_client_handle_datagram(f.c, f.now, &f.peer, ind, (size_t)n, &from, &d, &dl),
               RTC_TURN_CLIENT_NOT_MINE);
  /* 4 minutes later both are refreshed. */
  f.now += RTC_MS(240000);
  rtc_turn_client_handle_timeout(f.c, f.now);
  int refreshes = 0;
  while (next_request(&f))
    refreshes += f.m.method == RTC_STUN_CREATE_PERMISSION || f.m.method == RTC_STUN_CHANNEL_BIND;
  CHECK_EQ_INT(refreshes, 2);
  rtc_turn_client_stats_t st;
  rtc_turn_client_get_stats(f.c, &st);
  CHECK_EQ_INT(st.send_indications_sent, 1);
  CHECK_EQ_INT(st.channel_data_sent, 1);
  CHECK_EQ_INT(st.permissions, 1);
  CHECK_EQ_INT(st.channels, 1);
  rtc_turn_client_destroy(f.c);
}

static void test_close_deallocates(void) {
  fixture_t f;
  setup(&f, "p");
  allocate(&f);
  rtc_turn_client_close(f.c, f.now);
  CHECK(next_request(&f));
  CHECK_EQ_INT(f.m.method, RTC_STUN_REFRESH);
  CHECK(f.m.has_lifetime && f.m.lifetime_s == 0);
  CHECK_EQ_INT(rtc_stun_check_integrity(f.last, f.last_len, &f.m, f.key, 16), 0);
  CHECK(!next_request(&f));
  CHECK(rtc_turn_client_poll_timeout(f.c) == RTC_NEVER);
  rtc_transmit_t out;
  CHECK_EQ_INT(rtc_turn_client_wrap(f.c, f.now, &f.peer, (const uint8_t *)"x", 1, &out),
               RTC_ESTATE);
  rtc_turn_client_destroy(f.c);
}

static void test_captured_channel_bind_success(void) {
  rtc_stun_msg_t m;
  CHECK_EQ_INT(rtc_stun_parse(coturn_channel_bind_ok, sizeof(coturn_channel_bind_ok), &m), 0);
  CHECK_EQ_INT(m.method, RTC_STUN_CHANNEL_BIND);
  CHECK_EQ_INT(m.cls, RTC_STUN_SUCCESS);
  CHECK(m.has_integrity);
  CHECK_EQ_INT(rtc_stun_check_fingerprint(coturn_channel_bind_ok, sizeof(coturn_channel_bind_ok), &m),
               0);
  /* Not an answer to any request of a client: it is not taken for one. */
  fixture_t f;
  setup(&f, "p");
  allocate(&f);
  CHECK_EQ_INT(feed(&f, coturn_channel_bind_ok, sizeof(coturn_channel_bind_ok)),
               RTC_TURN_CLIENT_NOT_MINE);
  rtc_turn_client_destroy(f.c);
}

/* ---- address families (RFC 8656 7.1, 18.10-18.12) on captured coturn answers ---- */

/* Every transaction id the client draws is the captures' (21 22 .. 2c), so requests
 * are answered one at a time: the id alone does not tell them apart. */
static void capture_tids(void *ud, void *buf, size_t len) {
  (void)ud;
  for (size_t i = 0; i < len; i++)
    ((uint8_t *)buf)[i] = (uint8_t)(COTURN_CAPTURE_TID0 + i % RTC_STUN_TID_LEN);
}

static void setup_family(fixture_t *f, rtc_turn_family_t family, bool v6_transport) {
  memset(f, 0, sizeof(*f));
  rtc_addr_set(&f->local, v6_transport ? "fd00:97::11" : "10.97.0.11", 40001);
  rtc_addr_set(&f->server, v6_transport ? "fd00:97::2" : "10.97.0.2", 3478);
  rtc_stun_long_term_key("u", "test", "p", f->key);
  f->now = 1000000;
  rtc_random_set_source(capture_tids, NULL);
  rtc_turn_client_config_t cfg = {.username = "u", .password = "p", .family = family};
  cfg.local = f->local;
  cfg.server = f->server;
  f->c = rtc_turn_client_create(&cfg, f->now);
}

static bool has_attr(const fixture_t *f, uint16_t type, uint8_t family) {
  uint8_t a[8] = {(uint8_t)(type >> 8), (uint8_t)type, 0, 4, family, 0, 0, 0};
  return memmem(f->last, f->last_len, a, sizeof(a)) != NULL;
}

static void check_ip(const rtc_addr_t *a, const char *ip, uint16_t port) {
  rtc_addr_t want;
  rtc_addr_set(&want, ip, port);
  CHECK(rtc_addr_equal(a, &want));
}

/* A dual request (both codepoints, in the unauthenticated Allocate and the
 * authenticated one); coturn's answer gives an IPv4 and an IPv6 relayed address; each
 * peer goes through the relayed address of its family, with CreatePermission and
 * ChannelBind carrying IPv6 XOR-PEER-ADDRESSes for an IPv6 peer. */
static void test_dual_allocation_from_coturn(void) {
  for (int v6t = 0; v6t < 2; v6t++) {
    fixture_t f;
    setup_family(&f, RTC_TURN_FAMILY_DUAL, v6t);
    CHECK(next_request(&f));
    CHECK(has_attr(&f, RTC_STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY, 2));
    CHECK(has_attr(&f, RTC_STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY_DRAFT, 2));
    CHECK(!has_attr(&f, RTC_STUN_ATTR_REQUESTED_ADDRESS_FAMILY, 2));
    uint8_t r[sizeof(coturn_401)];
    memcpy(r, coturn_401, sizeof(r));
    memcpy(r + 8, f.m.tid, RTC_STUN_TID_LEN);
    CHECK_EQ_INT(feed(&f, r, sizeof(r)), RTC_TURN_CLIENT_CONSUMED);
    CHECK(next_request(&f));
    CHECK(f.m.has_integrity && has_attr(&f, RTC_STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY, 2));
    const uint8_t *cap = v6t ? coturn_dual_v6 : coturn_dual_v4;
    size_t capn = v6t ? sizeof(coturn_dual_v6) : sizeof(coturn_dual_v4);
    CHECK_EQ_INT(feed(&f, cap, capn), RTC_TURN_CLIENT_CONSUMED);
    rtc_turn_client_event_t ev;
    CHECK(rtc_turn_client_poll_event(f.c, &ev));
    CHECK_EQ_INT(ev.type, RTC_TURN_CLIENT_EVENT_ALLOCATED);
    check_ip(&ev.relayed, "10.97.0.2", v6t ? 49249 : 49731);
    check_ip(&ev.relayed2, "fd00:97::2", v6t ? 49541 : 49747);
    check_ip(&ev.mapped, v6t ? "fd00:97::2" : "10.97.0.2", v6t ? 58664 : 53901);
    CHECK_EQ_INT(ev.code, 0);
    CHECK(rtc_turn_client_relayed_for(f.c, AF_INET6) == rtc_turn_client_relayed2(f.c));
    CHECK(rtc_turn_client_relayed_for(f.c, AF_INET) == rtc_turn_client_relayed(f.c));
    CHECK(rtc_turn_client_is_relayed(f.c, &ev.relayed2));
    /* Peers of both families. */
    rtc_addr_t p4, p6;
    rtc_addr_set(&p4, "10.97.0.12", 5000);
    rtc_addr_set(&p6, "fd00:97::12", 5002);
    rtc_transmit_t out;
    CHECK_EQ_INT(rtc_turn_client_wrap(f.c, f.now, &p6, (const uint8_t *)"six", 3, &out), 0);
    rtc_stun_msg_t m;
    CHECK_EQ_INT(rtc_stun_parse(out.data, out.len, &m), 0);
    CHECK(m.has_xor_peer && rtc_addr_equal(&m.xor_peer, &p6));
    CHECK_EQ_INT(rtc_turn_client_wrap(f.c, f.now, &p4, (const uint8_t *)"four", 4, &out), 0);
    int v6_requests = 0;
    uint8_t ok[512];
    while (next_request(&f)) {
      CHECK(f.m.has_xor_peer);
      v6_requests += rtc_addr_family(&f.m.xor_peer) == AF_INET6;
      CHECK_EQ_INT(rtc_stun_check_integrity(f.last, f.last_len, &f.m, f.key, 16), 0);
      size_t n = success(&f, ok, 0, true);
      CHECK_EQ_INT(feed(&f, ok, n), RTC_TURN_CLIENT_CONSUMED);
    }
    CHECK_EQ_INT(v6_requests, 2); /* CreatePermission and ChannelBind */
    rtc_turn_client_stats_t st;
    rtc_turn_client_get_stats(f.c, &st);
    CHECK_EQ_INT(st.channels, 2);
    /* The IPv6 peer's channel: its ChannelData comes out as from that peer. */
    CHECK_EQ_INT(rtc_turn_client_wrap(f.c, f.now, &p6, (const uint8_t *)"6", 1, &out), 0);
    CHECK(out.len == 5 && out.data[0] == 0x40);
    uint8_t cd[8] = {out.data[0], out.data[1], 0, 2, 'o', 'k', 0, 0};
    rtc_addr_t from;
    const uint8_t *d;
    size_t dl;
    CHECK_EQ_INT(rtc_turn_client_handle_datagram(f.c, f.now, &f.server, cd, 8, &from, &d, &dl),
                 RTC_TURN_CLIENT_DATA);
    CHECK(rtc_addr_equal(&from, &p6) && dl == 2);
    rtc_turn_client_destroy(f.c);
    rtc_random_set_source(NULL, NULL);
  }
}

/* coturn relaying IPv4 only: the dual request is half granted (ADDRESS-ERROR-CODE
 * 440 for IPv6): one relayed address, said why; IPv6 peers are refused. */
static void test_dual_half_granted(void) {
  fixture_t f;
  setup_family(&f, RTC_TURN_FAMILY_DUAL, false);
  CHECK(challenge(&f));
  CHECK_EQ_INT(feed(&f, coturn_dual_no_v6, sizeof(coturn_dual_no_v6)), RTC_TURN_CLIENT_CONSUMED);
  rtc_turn_client_event_t ev;
  CHECK(rtc_turn_client_poll_event(f.c, &ev));
  CHECK_EQ_INT(ev.type, RTC_TURN_CLIENT_EVENT_ALLOCATED);
  check_ip(&ev.relayed, "10.97.0.2", 51654);
  CHECK_EQ_INT(rtc_addr_family(&ev.relayed2), 0);
  CHECK_EQ_INT(ev.code, 440);
  CHECK(strstr(ev.text, "IPv6") != NULL);
  CHECK(rtc_turn_client_relayed_for(f.c, AF_INET6) == NULL);
  rtc_addr_t p6;
  rtc_addr_set(&p6, "fd00:97::12", 5002);
  rtc_transmit_t out;
  CHECK_EQ_INT(rtc_turn_client_wrap(f.c, f.now, &p6, (const uint8_t *)"x", 1, &out), RTC_EINVAL);
  rtc_turn_client_add_peer(f.c, f.now, &p6);
  CHECK(!next_request(&f)); /* no permission asked for a peer the relay cannot reach */
  rtc_turn_client_destroy(f.c);
  rtc_random_set_source(NULL, NULL);
}

/* ... and relaying IPv6 only (over IPv6): the IPv6 relayed address alone, said why;
 * IPv4 peers are refused, IPv6 ones go through it. */
static void test_dual_half_granted_ipv6_only(void) {
  fixture_t f;
  setup_family(&f, RTC_TURN_FAMILY_DUAL, true);
  CHECK(challenge(&f));
  CHECK_EQ_INT(feed(&f, coturn_dual_no_v4, sizeof(coturn_dual_no_v4)), RTC_TURN_CLIENT_CONSUMED);
  rtc_turn_client_event_t ev;
  CHECK(rtc_turn_client_poll_event(f.c, &ev));
  CHECK_EQ_INT(ev.type, RTC_TURN_CLIENT_EVENT_ALLOCATED);
  check_ip(&ev.relayed, "fd00:97::2", 52012);
  CHECK_EQ_INT(rtc_addr_family(&ev.relayed2), 0);
  CHECK_EQ_INT(ev.code, 440);
  CHECK(strstr(ev.text, "IPv4") != NULL);
  rtc_addr_t p4, p6;
  rtc_addr_set(&p4, "10.97.0.12", 5000);
  rtc_addr_set(&p6, "fd00:97::12", 5002);
  rtc_transmit_t out;
  CHECK_EQ_INT(rtc_turn_client_wrap(f.c, f.now, &p4, (const uint8_t *)"x", 1, &out), RTC_EINVAL);
  CHECK_EQ_INT(rtc_turn_client_wrap(f.c, f.now, &p6, (const uint8_t *)"x", 1, &out), 0);
  CHECK(next_request(&f) && f.m.has_xor_peer && rtc_addr_equal(&f.m.xor_peer, &p6));
  rtc_turn_client_destroy(f.c);
  rtc_random_set_source(NULL, NULL);
}

/* REQUESTED-ADDRESS-FAMILY IPv6 to a server without IPv6: coturn's 440 fails the
 * allocation (once, no retry loop). */
static void test_ipv6_refused_with_440(void) {
  fixture_t f;
  setup_family(&f, RTC_TURN_FAMILY_IPV6, false);
  CHECK(next_request(&f));
  CHECK(has_attr(&f, RTC_STUN_ATTR_REQUESTED_ADDRESS_FAMILY, 2));
  CHECK(!has_attr(&f, RTC_STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY, 2));
  uint8_t r[sizeof(coturn_401)];
  memcpy(r, coturn_401, sizeof(r));
  memcpy(r + 8, f.m.tid, RTC_STUN_TID_LEN);
  CHECK_EQ_INT(feed(&f, r, sizeof(r)), RTC_TURN_CLIENT_CONSUMED);
  CHECK(next_request(&f));
  CHECK(has_attr(&f, RTC_STUN_ATTR_REQUESTED_ADDRESS_FAMILY, 2));
  CHECK_EQ_INT(feed(&f, coturn_440, sizeof(coturn_440)), RTC_TURN_CLIENT_CONSUMED);
  rtc_turn_client_event_t ev;
  CHECK(rtc_turn_client_poll_event(f.c, &ev));
  CHECK_EQ_INT(ev.type, RTC_TURN_CLIENT_EVENT_FAILED);
  CHECK_EQ_INT(ev.code, 440);
  CHECK(!next_request(&f));
  CHECK_EQ_INT(rtc_turn_client_state(f.c), RTC_TURN_CLIENT_FAILED);
  rtc_turn_client_destroy(f.c);
  rtc_random_set_source(NULL, NULL);
}

/* A dual request refused as a whole (440, or 420/400 from a server that knows one
 * of the attributes but not dual allocations): asked again for IPv4 alone, without
 * the family attributes, and allocated. */
static void test_dual_refused_falls_back_to_ipv4(void) {
  static const uint16_t codes[] = {440, 420, 400};
  for (size_t k = 0; k < 3; k++) {
    fixture_t f;
    setup(&f, "p");
    rtc_turn_client_destroy(f.c);
    rtc_turn_client_config_t cfg = {.username = "u", .password = "p", .family = RTC_TURN_FAMILY_DUAL};
    cfg.local = f.local;
    cfg.server = f.server;
    f.c = rtc_turn_client_create(&cfg, f.now);
    CHECK(challenge(&f));
    CHECK(has_attr(&f, RTC_STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY, 2));
    uint8_t r[512];
    size_t n = error(&f, r, codes[k], NULL);
    CHECK_EQ_INT(feed(&f, r, n), RTC_TURN_CLIENT_CONSUMED);
    CHECK(next_request(&f));
    CHECK_EQ_INT(f.m.method, RTC_STUN_ALLOCATE);
    CHECK(f.m.has_integrity);
    CHECK(!has_attr(&f, RTC_STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY, 2));
    CHECK(!has_attr(&f, RTC_STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY_DRAFT, 2));
    n = success(&f, r, 600, true);
    CHECK_EQ_INT(feed(&f, r, n), RTC_TURN_CLIENT_CONSUMED);
    CHECK_EQ_INT(rtc_turn_client_state(f.c), RTC_TURN_CLIENT_ALLOCATED);
    rtc_turn_client_destroy(f.c);
  }
}

int main(void) {
  RUN_TEST(test_captured_channel_bind_success);
  RUN_TEST(test_allocate_with_coturn_challenge);
  RUN_TEST(test_forged_success_is_dropped);
  RUN_TEST(test_bad_credentials_fail_with_401);
  RUN_TEST(test_unreachable_server_gives_701);
  RUN_TEST(test_refresh_and_stale_nonce);
  RUN_TEST(test_peer_send_indication_then_channel);
  RUN_TEST(test_close_deallocates);
  RUN_TEST(test_dual_allocation_from_coturn);
  RUN_TEST(test_dual_half_granted);
  RUN_TEST(test_dual_half_granted_ipv6_only);
  RUN_TEST(test_ipv6_refused_with_440);
  RUN_TEST(test_dual_refused_falls_back_to_ipv4);
  TEST_MAIN_END();
}
