/* STUN for TURN (RFC 8656) and long-term credentials (RFC 8489 9.2), on an exchange
 * captured from coturn 4.6.1 (users u:p, realm "test"): the 401 challenge, our
 * authenticated Allocate rebuilt byte for byte, and the success response whose
 * MESSAGE-INTEGRITY coturn computed with the key we derive. */
#include <string.h>

#include "base/rtc_err.h"
#include "coturn_dual_captures.h"
#include "ice/rtc_stun.h"
#include "rtc_test.h"

/* Allocate error response 401: ERROR-CODE 401 "Unauthorized", NONCE, REALM "test",
 * SOFTWARE. */
static const uint8_t coturn_401[] = {
    0x01, 0x13, 0x00, 0x48, 0x21, 0x12, 0xa4, 0x42, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c,
    0x1d, 0x1e, 0x1f, 0x20, 0x00, 0x09, 0x00, 0x10, 0x00, 0x00, 0x04, 0x01, 0x55, 0x6e, 0x61, 0x75,
    0x74, 0x68, 0x6f, 0x72, 0x69, 0x7a, 0x65, 0x64, 0x00, 0x15, 0x00, 0x10, 0x32, 0x63, 0x62, 0x39,
    0x65, 0x64, 0x64, 0x30, 0x37, 0x39, 0x36, 0x32, 0x30, 0x61, 0x39, 0x62, 0x00, 0x14, 0x00, 0x04,
    0x74, 0x65, 0x73, 0x74, 0x80, 0x22, 0x00, 0x14, 0x43, 0x6f, 0x74, 0x75, 0x72, 0x6e, 0x2d, 0x34,
    0x2e, 0x36, 0x2e, 0x31, 0x20, 0x27, 0x47, 0x6f, 0x72, 0x73, 0x74, 0x27,
};

/* Allocate request (tid 29..34): REQUESTED-TRANSPORT UDP (17), USERNAME "u", REALM
 * "test", NONCE "630ada882312afad", MESSAGE-INTEGRITY with MD5("u:test:p"); coturn
 * accepted it. */
static const uint8_t allocate_auth[] = {
    0x00, 0x03, 0x00, 0x44, 0x21, 0x12, 0xa4, 0x42, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f,
    0x30, 0x31, 0x32, 0x33, 0x34, 0x00, 0x19, 0x00, 0x04, 0x11, 0x00, 0x00, 0x00, 0x00, 0x06,
    0x00, 0x01, 0x75, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x04, 0x74, 0x65, 0x73, 0x74, 0x00,
    0x15, 0x00, 0x10, 0x36, 0x33, 0x30, 0x61, 0x64, 0x61, 0x38, 0x38, 0x32, 0x33, 0x31, 0x32,
    0x61, 0x66, 0x61, 0x64, 0x00, 0x08, 0x00, 0x14, 0x21, 0x62, 0x60, 0x3d, 0xd4, 0xbf, 0x53,
    0x74, 0xb0, 0x88, 0x9a, 0x10, 0xa0, 0xa5, 0xc4, 0x05, 0x46, 0x77, 0x67, 0x69,
};

/* Allocate success: XOR-RELAYED-ADDRESS 127.0.0.1:59801, XOR-MAPPED-ADDRESS
 * 127.0.0.1:40001, LIFETIME 600, SOFTWARE, MESSAGE-INTEGRITY. */
static const uint8_t coturn_allocated[] = {
    0x01, 0x03, 0x00, 0x50, 0x21, 0x12, 0xa4, 0x42, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f,
    0x30, 0x31, 0x32, 0x33, 0x34, 0x00, 0x16, 0x00, 0x08, 0x00, 0x01, 0xc8, 0x8b, 0x5e, 0x12,
    0xa4, 0x43, 0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xbd, 0x53, 0x5e, 0x12, 0xa4, 0x43, 0x00,
    0x0d, 0x00, 0x04, 0x00, 0x00, 0x02, 0x58, 0x80, 0x22, 0x00, 0x14, 0x43, 0x6f, 0x74, 0x75,
    0x72, 0x6e, 0x2d, 0x34, 0x2e, 0x36, 0x2e, 0x31, 0x20, 0x27, 0x47, 0x6f, 0x72, 0x73, 0x74,
    0x27, 0x00, 0x08, 0x00, 0x14, 0xc3, 0xfd, 0xcf, 0xb8, 0xac, 0xfa, 0x02, 0x87, 0x3b, 0x0b,
    0x81, 0x50, 0xae, 0x35, 0x0b, 0xcd, 0x5c, 0xcc, 0xb0, 0xed,
};

static void test_401_challenge(void) {
  rtc_stun_msg_t m;
  CHECK_EQ_INT(rtc_stun_parse(coturn_401, sizeof(coturn_401), &m), 0);
  CHECK_EQ_INT(m.method, RTC_STUN_ALLOCATE);
  CHECK_EQ_INT(m.cls, RTC_STUN_ERROR);
  CHECK_EQ_INT(m.error_code, 401);
  CHECK(m.has_realm && m.has_nonce);
  CHECK_STR(m.realm, "test");
  CHECK_STR(m.nonce, "2cb9edd079620a9b");
  CHECK(!m.has_integrity);
  CHECK_EQ_INT(m.unknown_required, 0);
}

static void test_build_authenticated_allocate(void) {
  uint8_t key[16], buf[256];
  CHECK_EQ_INT(rtc_stun_long_term_key("u", "test", "p", key), 0);
  rtc_stun_writer_t w;
  rtc_stun_writer_init(&w, buf, sizeof(buf), RTC_STUN_ALLOCATE | RTC_STUN_REQUEST,
                       allocate_auth + 8);
  const uint8_t udp[4] = {17, 0, 0, 0};
  rtc_stun_put_attr(&w, RTC_STUN_ATTR_REQUESTED_TRANSPORT, udp, 4);
  rtc_stun_put_string(&w, RTC_STUN_ATTR_USERNAME, "u");
  rtc_stun_put_string(&w, RTC_STUN_ATTR_REALM, "test");
  rtc_stun_put_string(&w, RTC_STUN_ATTR_NONCE, "630ada882312afad");
  rtc_stun_put_integrity(&w, key, sizeof(key));
  int n = rtc_stun_writer_finish(&w);
  CHECK_EQ_INT(n, (int)sizeof(allocate_auth));
  CHECK(memcmp(buf, allocate_auth, sizeof(allocate_auth)) == 0);
}

static void test_allocate_success(void) {
  rtc_stun_msg_t m;
  uint8_t key[16], bad[16];
  CHECK_EQ_INT(rtc_stun_parse(coturn_allocated, sizeof(coturn_allocated), &m), 0);
  CHECK_EQ_INT(m.method, RTC_STUN_ALLOCATE);
  CHECK_EQ_INT(m.cls, RTC_STUN_SUCCESS);
  CHECK_EQ_INT(rtc_stun_long_term_key("u", "test", "p", key), 0);
  CHECK_EQ_INT(rtc_stun_check_integrity(coturn_allocated, sizeof(coturn_allocated), &m, key, 16),
               0);
  CHECK_EQ_INT(rtc_stun_long_term_key("u", "test", "wrong", bad), 0);
  CHECK_EQ_INT(rtc_stun_check_integrity(coturn_allocated, sizeof(coturn_allocated), &m, bad, 16),
               RTC_EAUTH);
  rtc_addr_t relayed, mapped;
  CHECK_EQ_INT(rtc_addr_set(&relayed, "127.0.0.1", 59801), 0);
  CHECK_EQ_INT(rtc_addr_set(&mapped, "127.0.0.1", 40001), 0);
  CHECK(m.has_xor_relayed && rtc_addr_equal(&m.xor_relayed, &relayed));
  CHECK(m.has_xor_mapped && rtc_addr_equal(&m.xor_mapped, &mapped));
  CHECK(m.has_lifetime);
  CHECK_EQ_INT(m.lifetime_s, 600);
}

static void test_turn_attributes_round_trip(void) {
  /* Send indication: XOR-PEER-ADDRESS + DATA; ChannelBind: CHANNEL-NUMBER. */
  uint8_t buf[256], tid[RTC_STUN_TID_LEN] = {1, 2, 3};
  rtc_addr_t peer;
  CHECK_EQ_INT(rtc_addr_set(&peer, "2001:db8::7", 5000), 0);
  rtc_stun_writer_t w;
  rtc_stun_writer_init(&w, buf, sizeof(buf), RTC_STUN_SEND | RTC_STUN_INDICATION, tid);
  rtc_stun_put_addr(&w, RTC_STUN_ATTR_XOR_PEER_ADDRESS, &peer, true);
  rtc_stun_put_attr(&w, RTC_STUN_ATTR_DATA, "hello", 5);
  rtc_stun_put_u32(&w, RTC_STUN_ATTR_CHANNEL_NUMBER, 0x40000000u);
  int n = rtc_stun_writer_finish(&w);
  CHECK(n > 0);
  rtc_stun_msg_t m;
  CHECK_EQ_INT(rtc_stun_parse(buf, (size_t)n, &m), 0);
  CHECK_EQ_INT(m.method, RTC_STUN_SEND);
  CHECK_EQ_INT(m.cls, RTC_STUN_INDICATION);
  CHECK(m.has_xor_peer && rtc_addr_equal(&m.xor_peer, &peer));
  CHECK(m.has_data);
  CHECK_EQ_INT(m.data_len, 5);
  CHECK(memcmp(buf + m.data_off, "hello", 5) == 0);
  CHECK(m.has_channel);
  CHECK_EQ_INT(m.channel, 0x4000);
  /* A REALM over 255 bytes does not parse. */
  char longrealm[300];
  memset(longrealm, 'r', sizeof(longrealm) - 1);
  longrealm[sizeof(longrealm) - 1] = 0;
  rtc_stun_writer_init(&w, buf, sizeof(buf), RTC_STUN_ALLOCATE | RTC_STUN_ERROR, tid);
  rtc_stun_put_string(&w, RTC_STUN_ATTR_REALM, longrealm);
  CHECK_EQ_INT(rtc_stun_writer_finish(&w), RTC_ETOOBIG); /* does not even fit 256 */
  uint8_t big[400];
  rtc_stun_writer_init(&w, big, sizeof(big), RTC_STUN_ALLOCATE | RTC_STUN_ERROR, tid);
  rtc_stun_put_string(&w, RTC_STUN_ATTR_REALM, longrealm);
  n = rtc_stun_writer_finish(&w);
  CHECK(n > 0);
  CHECK_EQ_INT(rtc_stun_parse(big, (size_t)n, &m), RTC_EPARSE);
}

static void check_addr(const rtc_addr_t *a, const char *ip, uint16_t port) {
  rtc_addr_t want;
  CHECK_EQ_INT(rtc_addr_set(&want, ip, port), 0);
  CHECK(rtc_addr_equal(a, &want));
}

/* RFC 8656 7.3 dual allocation, as coturn answers it: two XOR-RELAYED-ADDRESS, one
 * per family, the IPv6 one XORed with the cookie and the transaction id (RFC 8489
 * 14.2); coturn's MESSAGE-INTEGRITY checks with our key. */
static void test_coturn_dual_allocation(void) {
  uint8_t key[16];
  CHECK_EQ_INT(rtc_stun_long_term_key("u", "test", "p", key), 0);
  rtc_stun_msg_t m;
  CHECK_EQ_INT(rtc_stun_parse(coturn_dual_v4, sizeof(coturn_dual_v4), &m), 0);
  CHECK_EQ_INT(m.method, RTC_STUN_ALLOCATE);
  CHECK_EQ_INT(m.cls, RTC_STUN_SUCCESS);
  CHECK(m.has_xor_relayed && m.has_xor_relayed2);
  check_addr(&m.xor_relayed, "10.97.0.2", 49731);
  check_addr(&m.xor_relayed2, "fd00:97::2", 49747);
  check_addr(&m.xor_mapped, "10.97.0.2", 53901);
  CHECK_EQ_INT(m.address_error_code, 0);
  CHECK_EQ_INT(rtc_stun_check_integrity(coturn_dual_v4, sizeof(coturn_dual_v4), &m, key, 16), 0);
  CHECK_EQ_INT(rtc_stun_check_fingerprint(coturn_dual_v4, sizeof(coturn_dual_v4), &m), 0);
  /* Over IPv6: the mapped address is IPv6 too. */
  CHECK_EQ_INT(rtc_stun_parse(coturn_dual_v6, sizeof(coturn_dual_v6), &m), 0);
  check_addr(&m.xor_relayed, "10.97.0.2", 49249);
  check_addr(&m.xor_relayed2, "fd00:97::2", 49541);
  check_addr(&m.xor_mapped, "fd00:97::2", 58664);
  CHECK_EQ_INT(rtc_stun_check_integrity(coturn_dual_v6, sizeof(coturn_dual_v6), &m, key, 16), 0);
}

/* A server that relays IPv4 only: coturn's 0.0.0.0:0 stand-in is no relayed address,
 * and ADDRESS-ERROR-CODE (its draft codepoint) names IPv6 with 440. REQUESTED-ADDRESS-
 * FAMILY IPv6 to it: an error response 440. */
static void test_coturn_address_family_errors(void) {
  rtc_stun_msg_t m;
  CHECK_EQ_INT(rtc_stun_parse(coturn_dual_no_v6, sizeof(coturn_dual_no_v6), &m), 0);
  CHECK(m.has_xor_relayed && !m.has_xor_relayed2);
  check_addr(&m.xor_relayed, "10.97.0.2", 51654);
  CHECK_EQ_INT(m.address_error_family, AF_INET6);
  CHECK_EQ_INT(m.address_error_code, 440);
  CHECK_EQ_INT(m.unknown_required, 0);
  /* Relaying IPv6 only: the stand-in comes first; the IPv6 address is the relayed one. */
  CHECK_EQ_INT(rtc_stun_parse(coturn_dual_no_v4, sizeof(coturn_dual_no_v4), &m), 0);
  CHECK(m.has_xor_relayed && !m.has_xor_relayed2);
  check_addr(&m.xor_relayed, "fd00:97::2", 52012);
  check_addr(&m.xor_mapped, "fd00:97::2", 42443);
  CHECK_EQ_INT(m.address_error_family, AF_INET);
  CHECK_EQ_INT(m.address_error_code, 440);
  CHECK_EQ_INT(rtc_stun_parse(coturn_440, sizeof(coturn_440), &m), 0);
  CHECK_EQ_INT(m.cls, RTC_STUN_ERROR);
  CHECK_EQ_INT(m.error_code, 440);
  CHECK(!m.has_xor_relayed);
  /* A malformed ADDRESS-ERROR-CODE (family 3) makes the message malformed. */
  uint8_t bad[sizeof(coturn_dual_no_v6)];
  memcpy(bad, coturn_dual_no_v6, sizeof(bad));
  CHECK_EQ_INT(bad[64], 0x80);
  CHECK_EQ_INT(bad[65], 0x33);
  bad[68] = 3;
  CHECK_EQ_INT(rtc_stun_parse(bad, sizeof(bad), &m), RTC_EPARSE);
}

/* What we write: the family attributes, and an IPv6 XOR-PEER-ADDRESS read back. */
static void test_family_attributes_round_trip(void) {
  uint8_t buf[256], tid[RTC_STUN_TID_LEN] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  const uint8_t v6[4] = {2, 0, 0, 0};
  rtc_addr_t peer;
  rtc_addr_set(&peer, "2001:db8:1234:5678:11:2233:4455:6677", 32853);
  rtc_stun_writer_t w;
  rtc_stun_writer_init(&w, buf, sizeof(buf), RTC_STUN_CREATE_PERMISSION | RTC_STUN_REQUEST, tid);
  rtc_stun_put_attr(&w, RTC_STUN_ATTR_REQUESTED_ADDRESS_FAMILY, v6, 4);
  rtc_stun_put_attr(&w, RTC_STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY, v6, 4);
  rtc_stun_put_addr(&w, RTC_STUN_ATTR_XOR_PEER_ADDRESS, &peer, true);
  int n = rtc_stun_writer_finish(&w);
  CHECK(n > 0);
  rtc_stun_msg_t m;
  CHECK_EQ_INT(rtc_stun_parse(buf, (size_t)n, &m), 0);
  CHECK(m.has_xor_peer && rtc_addr_equal(&m.xor_peer, &peer));
  /* REQUESTED-ADDRESS-FAMILY is comprehension-required and not ours to act on (a
   * server's): counted as such; ADDITIONAL-ADDRESS-FAMILY is optional. */
  CHECK_EQ_INT(m.unknown_required, 1);
}

int main(void) {
  RUN_TEST(test_401_challenge);
  RUN_TEST(test_build_authenticated_allocate);
  RUN_TEST(test_allocate_success);
  RUN_TEST(test_turn_attributes_round_trip);
  RUN_TEST(test_coturn_dual_allocation);
  RUN_TEST(test_coturn_address_family_errors);
  RUN_TEST(test_family_attributes_round_trip);
  TEST_MAIN_END();
}
