/* STUN codec: RFC 5769 test vectors byte by byte, round trips, hostile input. */
#include <stdlib.h>

#include <mbedtls/md.h>

#include "base/rtc_err.h"
#include "ice/rtc_stun.h"
#include "rtc_test.h"

#include "rtc_test_alloc_count.h"

static const char *PWD = "VOkJxbRl1RmTxUk/WvJxBt";

/* RFC 5769 2.1: sample request (short-term credentials). */
static const uint8_t req[] = {
    0x00, 0x01, 0x00, 0x58,                         /* Binding request, length 88 */
    0x21, 0x12, 0xa4, 0x42,                         /* magic cookie */
    0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, /* transaction id */
    0xfa, 0x87, 0xdf, 0xae,                         /* */
    0x80, 0x22, 0x00, 0x10,                         /* SOFTWARE, 16 bytes */
    0x53, 0x54, 0x55, 0x4e, 0x20, 0x74, 0x65, 0x73, /* "STUN test client" */
    0x74, 0x20, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, /* */
    0x00, 0x24, 0x00, 0x04,                         /* PRIORITY */
    0x6e, 0x00, 0x01, 0xff,                         /* 0x6e0001ff */
    0x80, 0x29, 0x00, 0x08,                         /* ICE-CONTROLLED */
    0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36, /* tie-breaker */
    0x00, 0x06, 0x00, 0x09,                         /* USERNAME, 9 bytes */
    0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76, /* "evtj:h6v" */
    0x59, 0x20, 0x20, 0x20,                         /* "Y" + 3 padding bytes */
    0x00, 0x08, 0x00, 0x14,                         /* MESSAGE-INTEGRITY */
    0x9a, 0xea, 0xa7, 0x0c, 0xbf, 0xd8, 0xcb, 0x56, /* HMAC-SHA1 */
    0x78, 0x1e, 0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49, /* */
    0xc1, 0xb5, 0x71, 0xa2,                         /* */
    0x80, 0x28, 0x00, 0x04,                         /* FINGERPRINT */
    0xe5, 0x7a, 0x3b, 0xcf,                         /* CRC-32 ^ 0x5354554e */
};

/* RFC 5769 2.2: sample IPv4 response. */
static const uint8_t resp4[] = {
    0x01, 0x01, 0x00, 0x3c,                         /* Binding success, length 60 */
    0x21, 0x12, 0xa4, 0x42,                         /* magic cookie */
    0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, /* transaction id */
    0xfa, 0x87, 0xdf, 0xae,                         /* */
    0x80, 0x22, 0x00, 0x0b,                         /* SOFTWARE, 11 bytes */
    0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63, /* "test vec" */
    0x74, 0x6f, 0x72, 0x20,                         /* "tor" + padding */
    0x00, 0x20, 0x00, 0x08,                         /* XOR-MAPPED-ADDRESS */
    0x00, 0x01, 0xa1, 0x47,                         /* IPv4, port 32853 ^ 0x2112 */
    0xe1, 0x12, 0xa6, 0x43,                         /* 192.0.2.1 ^ cookie */
    0x00, 0x08, 0x00, 0x14,                         /* MESSAGE-INTEGRITY */
    0x2b, 0x91, 0xf5, 0x99, 0xfd, 0x9e, 0x90, 0xc3, /* HMAC-SHA1 */
    0x8c, 0x74, 0x89, 0xf9, 0x2a, 0xf9, 0xba, 0x53, /* */
    0xf0, 0x6b, 0xe7, 0xd7,                         /* */
    0x80, 0x28, 0x00, 0x04,                         /* FINGERPRINT */
    0xc0, 0x7d, 0x4c, 0x96,                         /* */
};

/* RFC 5769 2.3: sample IPv6 response. */
static const uint8_t resp6[] = {
    0x01, 0x01, 0x00, 0x48,                         /* Binding success, length 72 */
    0x21, 0x12, 0xa4, 0x42,                         /* magic cookie */
    0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, /* transaction id */
    0xfa, 0x87, 0xdf, 0xae,                         /* */
    0x80, 0x22, 0x00, 0x0b,                         /* SOFTWARE */
    0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63, /* "test vec" */
    0x74, 0x6f, 0x72, 0x20,                         /* "tor" + padding */
    0x00, 0x20, 0x00, 0x14,                         /* XOR-MAPPED-ADDRESS, 20 bytes */
    0x00, 0x02, 0xa1, 0x47,                         /* IPv6, port 32853 ^ 0x2112 */
    0x01, 0x13, 0xa9, 0xfa, 0xa5, 0xd3, 0xf1, 0x79, /* 2001:db8:1234:5678:11:2233:4455:6677 */
    0xbc, 0x25, 0xf4, 0xb5, 0xbe, 0xd2, 0xb9, 0xd9, /*   ^ cookie + transaction id */
    0x00, 0x08, 0x00, 0x14,                         /* MESSAGE-INTEGRITY */
    0xa3, 0x82, 0x95, 0x4e, 0x4b, 0xe6, 0x7b, 0xf1, /* HMAC-SHA1 */
    0x17, 0x84, 0xc9, 0x7c, 0x82, 0x92, 0xc2, 0x75, /* */
    0xbf, 0xe3, 0xed, 0x41,                         /* */
    0x80, 0x28, 0x00, 0x04,                         /* FINGERPRINT */
    0xc8, 0xfb, 0x0b, 0x4c,                         /* */
};

static int check_pwd(const uint8_t *p, size_t len, const rtc_stun_msg_t *m, const char *pwd) {
  return rtc_stun_check_integrity(p, len, m, (const uint8_t *)pwd, strlen(pwd));
}

static void test_crc32(void) {
  CHECK(rtc_stun_crc32((const uint8_t *)"123456789", 9) == 0xCBF43926u);
}

static void test_rfc5769_request(void) {
  rtc_stun_msg_t m;
  CHECK_EQ_INT(rtc_stun_parse(req, sizeof req, &m), 0);
  CHECK_EQ_INT(m.method, RTC_STUN_BINDING);
  CHECK_EQ_INT(m.cls, RTC_STUN_REQUEST);
  CHECK(memcmp(m.tid, req + 8, 12) == 0);
  CHECK_STR(m.username, "evtj:h6vY");
  CHECK(m.has_priority && m.priority == 0x6e0001ffu);
  CHECK(m.has_controlled && !m.has_controlling);
  CHECK(m.tie_breaker == 0x932ff9b151263b36ull);
  CHECK_EQ_INT(check_pwd(req, sizeof req, &m, PWD), 0);
  CHECK_EQ_INT(check_pwd(req, sizeof req, &m, "VOkJxbRl1RmTxUk/WvJxB"), RTC_EAUTH);
  CHECK_EQ_INT(rtc_stun_check_fingerprint(req, sizeof req, &m), 0);
  /* One flipped bit in the body breaks both. */
  uint8_t bad[sizeof req];
  memcpy(bad, req, sizeof req);
  bad[30] ^= 1;
  CHECK_EQ_INT(rtc_stun_parse(bad, sizeof bad, &m), 0);
  CHECK_EQ_INT(check_pwd(bad, sizeof bad, &m, PWD), RTC_EAUTH);
  CHECK_EQ_INT(rtc_stun_check_fingerprint(bad, sizeof bad, &m), RTC_EAUTH);
}

static void test_rfc5769_ipv4_response(void) {
  rtc_stun_msg_t m;
  char ip[64];
  CHECK_EQ_INT(rtc_stun_parse(resp4, sizeof resp4, &m), 0);
  CHECK_EQ_INT(m.cls, RTC_STUN_SUCCESS);
  CHECK(m.has_xor_mapped);
  rtc_addr_to_string(&m.xor_mapped, ip, sizeof ip);
  CHECK_STR(ip, "192.0.2.1");
  CHECK_EQ_INT(rtc_addr_port(&m.xor_mapped), 32853);
  CHECK_EQ_INT(check_pwd(resp4, sizeof resp4, &m, PWD), 0);
  CHECK_EQ_INT(rtc_stun_check_fingerprint(resp4, sizeof resp4, &m), 0);
}

static void test_rfc5769_ipv6_response(void) {
  rtc_stun_msg_t m;
  char ip[64];
  CHECK_EQ_INT(rtc_stun_parse(resp6, sizeof resp6, &m), 0);
  CHECK_EQ_INT(m.cls, RTC_STUN_SUCCESS);
  CHECK(m.has_xor_mapped);
  rtc_addr_to_string(&m.xor_mapped, ip, sizeof ip);
  CHECK_STR(ip, "2001:db8:1234:5678:11:2233:4455:6677");
  CHECK_EQ_INT(rtc_addr_port(&m.xor_mapped), 32853);
  CHECK_EQ_INT(check_pwd(resp6, sizeof resp6, &m, PWD), 0);
  CHECK_EQ_INT(rtc_stun_check_fingerprint(resp6, sizeof resp6, &m), 0);
}

/* Rebuilding the IPv4 response with our writer reproduces its XOR-MAPPED-ADDRESS
 * bytes, and the IPv6 one its address; integrity and fingerprint verify. */
static void test_build_roundtrip(void) {
  uint8_t buf[256];
  rtc_stun_writer_t w;
  rtc_addr_t a;
  rtc_stun_msg_t m;
  rtc_addr_set(&a, "192.0.2.1", 32853);
  rtc_stun_writer_init(&w, buf, sizeof buf, RTC_STUN_BINDING | RTC_STUN_SUCCESS, resp4 + 8);
  rtc_stun_put_string(&w, RTC_STUN_ATTR_SOFTWARE, "test vector");
  rtc_stun_put_addr(&w, RTC_STUN_ATTR_XOR_MAPPED_ADDRESS, &a, true);
  CHECK(memcmp(buf + 20 + 16, resp4 + 20 + 16, 12) == 0);
  rtc_stun_put_integrity(&w, (const uint8_t *)PWD, strlen(PWD));
  rtc_stun_put_fingerprint(&w);
  int n = rtc_stun_writer_finish(&w);
  CHECK_EQ_INT(n, (int)sizeof resp4);
  /* The RFC pads SOFTWARE with spaces, we with zeros: compare everything else. */
  CHECK(memcmp(buf, resp4, 20 + 4 + 11) == 0);
  CHECK(memcmp(buf + 40, resp4 + 40, 12) == 0);
  CHECK_EQ_INT(rtc_stun_parse(buf, (size_t)n, &m), 0);
  CHECK_EQ_INT(check_pwd(buf, (size_t)n, &m, PWD), 0);
  CHECK_EQ_INT(rtc_stun_check_fingerprint(buf, (size_t)n, &m), 0);

  rtc_addr_set(&a, "2001:db8:1234:5678:11:2233:4455:6677", 32853);
  rtc_stun_writer_init(&w, buf, sizeof buf, RTC_STUN_BINDING | RTC_STUN_SUCCESS, resp6 + 8);
  rtc_stun_put_string(&w, RTC_STUN_ATTR_SOFTWARE, "test vector");
  rtc_stun_put_addr(&w, RTC_STUN_ATTR_XOR_MAPPED_ADDRESS, &a, true);
  CHECK(memcmp(buf + 36, resp6 + 36, 24) == 0);

  /* Request with every ICE attribute. */
  uint8_t tid[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  rtc_stun_writer_init(&w, buf, sizeof buf, RTC_STUN_BINDING, tid);
  rtc_stun_put_string(&w, RTC_STUN_ATTR_USERNAME, "abcd:efg");
  rtc_stun_put_u32(&w, RTC_STUN_ATTR_PRIORITY, 12345);
  rtc_stun_put_attr(&w, RTC_STUN_ATTR_USE_CANDIDATE, NULL, 0);
  rtc_stun_put_u64(&w, RTC_STUN_ATTR_ICE_CONTROLLING, 0x0102030405060708ull);
  rtc_stun_put_addr(&w, RTC_STUN_ATTR_MAPPED_ADDRESS, &a, false);
  rtc_stun_put_error(&w, 487, "Role Conflict");
  rtc_stun_put_integrity(&w, (const uint8_t *)"pw", 2);
  rtc_stun_put_fingerprint(&w);
  n = rtc_stun_writer_finish(&w);
  CHECK(n > 0);
  CHECK_EQ_INT(rtc_stun_parse(buf, (size_t)n, &m), 0);
  CHECK_STR(m.username, "abcd:efg");
  CHECK_EQ_INT(m.priority, 12345);
  CHECK(m.use_candidate && m.has_controlling && m.tie_breaker == 0x0102030405060708ull);
  CHECK(m.has_mapped && rtc_addr_equal(&m.mapped, &a));
  CHECK_EQ_INT(m.error_code, 487);
  CHECK_EQ_INT(check_pwd(buf, (size_t)n, &m, "pw"), 0);
  CHECK_EQ_INT(rtc_stun_check_fingerprint(buf, (size_t)n, &m), 0);

  /* Too small a buffer is reported, never overrun. */
  rtc_stun_writer_init(&w, buf, 30, RTC_STUN_BINDING, tid);
  rtc_stun_put_string(&w, RTC_STUN_ATTR_USERNAME, "abcd:efghijkl");
  CHECK_EQ_INT(rtc_stun_writer_finish(&w), RTC_ETOOBIG);
}

/* A prepared key (rtc_stun_key_t) gives mbedTLS's HMAC-SHA1 for short keys and for
 * keys longer than SHA-1's block (ICE passwords may have 256 characters: RFC 2104 hashes
 * them first), agrees with the one-shot API, tells keys apart after a re-init (an ICE
 * restart's new password), and allocates nothing per message. */
static void test_prepared_key(void) {
  static const size_t lens[] = {0, 2, 22, 64, 65, 256};
  uint8_t key[256];
  for (size_t i = 0; i < sizeof key; i++)
    key[i] = (uint8_t)(i * 7 + 3);
  uint8_t tid[12] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2};
  for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
    size_t kl = lens[li];
    rtc_stun_key_t k;
    rtc_stun_key_init(&k, key, kl);
    uint8_t buf[128];
    rtc_stun_writer_t w;
    rtc_stun_writer_init(&w, buf, sizeof buf, RTC_STUN_BINDING, tid);
    rtc_stun_put_string(&w, RTC_STUN_ATTR_USERNAME, "abcd:efgh");
    rtc_stun_put_integrity_keyed(&w, &k);
    int n = rtc_stun_writer_finish(&w);
    CHECK(n > 0);
    if (n <= 0) return;
    /* The reference: mbedTLS's HMAC over the message up to MESSAGE-INTEGRITY (its
     * header length already counts the attribute). */
    size_t mi = (size_t)n - 24;
    uint8_t want[20];
    CHECK_EQ_INT(
        mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA1), key, kl, buf, mi, want), 0);
    CHECK(memcmp(buf + mi + 4, want, 20) == 0);
    rtc_stun_msg_t m;
    CHECK_EQ_INT(rtc_stun_parse(buf, (size_t)n, &m), 0);
    CHECK_EQ_INT(rtc_stun_check_integrity_keyed(buf, (size_t)n, &m, &k), 0);
    CHECK_EQ_INT(rtc_stun_check_integrity(buf, (size_t)n, &m, key, kl), 0);
    /* Another password (one byte changed, or a byte longer) fails. */
    rtc_stun_key_t other;
    key[0] ^= 1;
    rtc_stun_key_init(&other, key, kl ? kl : 1);
    key[0] ^= 1;
    CHECK_EQ_INT(rtc_stun_check_integrity_keyed(buf, (size_t)n, &m, &other), RTC_EAUTH);
    /* No allocation per message, signed or checked. */
    long before = alloc_calls;
    for (int i = 0; i < 100; i++) {
      rtc_stun_writer_init(&w, buf, sizeof buf, RTC_STUN_BINDING, tid);
      rtc_stun_put_string(&w, RTC_STUN_ATTR_USERNAME, "abcd:efgh");
      rtc_stun_put_integrity_keyed(&w, &k);
      rtc_stun_put_integrity(&w, key, kl); /* the one-shot API too (a second MI: counted only) */
      (void)rtc_stun_check_integrity_keyed(buf, (size_t)n, &m, &k);
      (void)rtc_stun_check_integrity(buf, (size_t)n, &m, key, kl);
    }
    if (ALLOC_COUNTED) CHECK_EQ_INT(alloc_calls - before, 0);
    rtc_stun_key_wipe(&k);
    rtc_stun_key_wipe(&other);
  }
}

static void test_truncated_and_garbage(void) {
  rtc_stun_msg_t m;
  /* Every truncation of a valid message is refused (the header length disagrees). */
  for (size_t n = 0; n < sizeof req; n++)
    CHECK_EQ_INT(rtc_stun_parse(req, n, &m), RTC_EPARSE);
  uint8_t b[sizeof req];
  /* Wrong cookie. */
  memcpy(b, req, sizeof req);
  b[4] = 0;
  CHECK_EQ_INT(rtc_stun_parse(b, sizeof b, &m), RTC_EPARSE);
  /* First two bits set (RTP/DTLS-like). */
  memcpy(b, req, sizeof req);
  b[0] = 0x80;
  CHECK_EQ_INT(rtc_stun_parse(b, sizeof b, &m), RTC_EPARSE);
  /* An attribute length running past the end. */
  memcpy(b, req, sizeof req);
  b[22] = 0x01;
  CHECK_EQ_INT(rtc_stun_parse(b, sizeof b, &m), RTC_EPARSE);
  /* PRIORITY of the wrong size. */
  memcpy(b, req, sizeof req);
  b[43] = 0x08;
  CHECK_EQ_INT(rtc_stun_parse(b, sizeof b, &m), RTC_EPARSE);
  /* Attribute after FINGERPRINT. */
  static const uint8_t after_fp[] = {
      0x00, 0x01, 0x00, 0x0c, 0x21, 0x12, 0xa4, 0x42, 1, 2, 3, 4, 5,    6,    7,    8,
      9,    10,   11,   12,   0x80, 0x28, 0x00, 0x04, 0, 0, 0, 0, 0x00, 0x25, 0x00, 0x00};
  CHECK_EQ_INT(rtc_stun_parse(after_fp, sizeof after_fp, &m), RTC_EPARSE);
  /* A bad XOR-MAPPED-ADDRESS family. */
  uint8_t r4[sizeof resp4];
  memcpy(r4, resp4, sizeof r4);
  r4[41] = 0x03;
  CHECK_EQ_INT(rtc_stun_parse(r4, sizeof r4, &m), RTC_EPARSE);
  /* No integrity / fingerprint at all: checks refuse, never read out of bounds. */
  static const uint8_t bare[] = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42, 1,  2,
                                 3,    4,    5,    6,    7,    8,    9,    10,   11, 12};
  CHECK_EQ_INT(rtc_stun_parse(bare, sizeof bare, &m), 0);
  CHECK_EQ_INT(check_pwd(bare, sizeof bare, &m, PWD), RTC_EAUTH);
  CHECK_EQ_INT(rtc_stun_check_fingerprint(bare, sizeof bare, &m), RTC_EAUTH);
  CHECK_EQ_INT(rtc_stun_parse(NULL, 0, &m), RTC_EPARSE);
  /* Random garbage never crashes. */
  srand(7);
  for (int i = 0; i < 20000; i++) {
    uint8_t g[64];
    size_t n = (size_t)(rand() % 64);
    for (size_t k = 0; k < n; k++)
      g[k] = (uint8_t)rand();
    if (n >= 20 && (i & 1)) {
      g[0] &= 0x3f;
      g[2] = 0;
      g[3] = (uint8_t)((n - 20) & ~3u);
      g[4] = 0x21, g[5] = 0x12, g[6] = 0xa4, g[7] = 0x42;
      n = 20 + g[3];
    }
    if (rtc_stun_parse(g, n, &m) == 0) {
      (void)check_pwd(g, n, &m, PWD);
      (void)rtc_stun_check_fingerprint(g, n, &m);
    }
  }
}

int main(void) {
  RUN_TEST(test_crc32);
  RUN_TEST(test_rfc5769_request);
  RUN_TEST(test_rfc5769_ipv4_response);
  RUN_TEST(test_rfc5769_ipv6_response);
  RUN_TEST(test_build_roundtrip);
  RUN_TEST(test_truncated_and_garbage);
  RUN_TEST(test_prepared_key);
  TEST_MAIN_END();
}
