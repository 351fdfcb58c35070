/* mDNS codec: a query byte by byte, responses written as Chromium's mDNS responder
 * sends them (RFC 6762, RFC 1035 4.1), malformed and hostile input. */
#include <stdlib.h>

#include "base/rtc_addr.h"
#include "base/rtc_err.h"
#include "ice/rtc_mdns.h"
#include "rtc_test.h"

/* Chromium's obfuscated host candidate: a random UUID v4 under .local. */
#define UUID "1f4c3b2a-8d9e-4f01-a2b3-c4d5e6f70819"
static const char *NAME = UUID ".local";

/* Messages are string literals so that labels read as text; the literal's own
 * NUL is not part of the message, hence MLEN. */
#define MLEN(m) (sizeof(m) - 1)
#define P(m) ((const uint8_t *)(m))

/* The question Chromium itself sends to resolve a peer's candidate. */
static const char query_a[] = "\x00\x00"  /* ID 0 (RFC 6762 18.1) */
                              "\x00\x00"  /* flags: QR=0 query, opcode 0, no AA/TC/RD */
                              "\x00\x01"  /* QDCOUNT 1 */
                              "\x00\x00"  /* ANCOUNT 0 */
                              "\x00\x00"  /* NSCOUNT 0 */
                              "\x00\x00"  /* ARCOUNT 0 */
                              "\x24" UUID /* label, 36 bytes */
                              "\x05local" /* label, 5 bytes */
                              "\x00"      /* root */
                              "\x00\x01"  /* QTYPE A */
                              "\x00\x01"; /* QCLASS IN, unicast-response bit clear (QM) */

/* Chromium's answer (MdnsResponder): id 0, QR + AA, no question, one A record with
 * the cache-flush bit, TTL 120 s. */
static const char resp_a[] = "\x00\x00"          /* ID 0 */
                             "\x84\x00"          /* QR=1 response, AA=1 */
                             "\x00\x00"          /* QDCOUNT 0 */
                             "\x00\x01"          /* ANCOUNT 1 */
                             "\x00\x00"          /* NSCOUNT 0 */
                             "\x00\x00"          /* ARCOUNT 0 */
                             "\x24" UUID         /* owner: label, 36 bytes */
                             "\x05local"         /* label, 5 bytes */
                             "\x00"              /* root */
                             "\x00\x01"          /* TYPE A */
                             "\x80\x01"          /* CLASS IN | cache-flush (RFC 6762 10.2) */
                             "\x00\x00\x00\x78"  /* TTL 120 */
                             "\x00\x04"          /* RDLENGTH 4 */
                             "\xc0\xa8\x01\x17"; /* 192.168.1.23 */

/* The same answer after the question (as a unicast reply or a legacy responder
 * writes it): the owner name is a pointer to the question's name at offset 12. */
static const char resp_ptr[] = "\x12\x34"          /* ID 0x1234: accepted */
                               "\x84\x00"          /* QR=1, AA=1 */
                               "\x00\x01"          /* QDCOUNT 1 */
                               "\x00\x01"          /* ANCOUNT 1 */
                               "\x00\x00"          /* NSCOUNT 0 */
                               "\x00\x00"          /* ARCOUNT 0 */
                               "\x24" UUID         /* offset 12: question name */
                               "\x05local"         /* */
                               "\x00"              /* root */
                               "\x00\x01"          /* QTYPE A */
                               "\x00\x01"          /* QCLASS IN */
                               "\xc0\x0c"          /* owner: pointer to offset 12 */
                               "\x00\x01"          /* TYPE A */
                               "\x80\x01"          /* CLASS IN | cache-flush */
                               "\x00\x00\x00\x78"  /* TTL 120 */
                               "\x00\x04"          /* RDLENGTH 4 */
                               "\x0a\x00\x00\x05"; /* 10.0.0.5 */

/* An AAAA answer (Chromium sends one when the candidate is IPv6). */
static const char resp_aaaa[] = "\x00\x00"                          /* ID 0 */
                                "\x84\x00"                          /* QR=1, AA=1 */
                                "\x00\x00"                          /* QDCOUNT 0 */
                                "\x00\x01"                          /* ANCOUNT 1 */
                                "\x00\x00"                          /* NSCOUNT 0 */
                                "\x00\x00"                          /* ARCOUNT 0 */
                                "\x24" UUID                         /* owner */
                                "\x05local"                         /* */
                                "\x00"                              /* root */
                                "\x00\x1c"                          /* TYPE AAAA */
                                "\x80\x01"                          /* CLASS IN | cache-flush */
                                "\x00\x00\x00\x78"                  /* TTL 120 */
                                "\x00\x10"                          /* RDLENGTH 16 */
                                "\x20\x01\x0d\xb8\x00\x00\x00\x00"  /* 2001:db8:: */
                                "\x00\x00\x00\x00\x00\x00\x00\x2a"; /* ...:2a */

/* The answer is another host's; ours is in the additional section, its owner
 * name compressed as "<uuid>" + pointer to the "local" of the first record. */
static const char resp_additional[] = "\x00\x00"          /* ID 0 */
                                      "\x84\x00"          /* QR=1, AA=1 */
                                      "\x00\x00"          /* QDCOUNT 0 */
                                      "\x00\x01"          /* ANCOUNT 1 */
                                      "\x00\x00"          /* NSCOUNT 0 */
                                      "\x00\x01"          /* ARCOUNT 1 */
                                      "\x05other"         /* offset 12: answer owner "other" */
                                      "\x05local"         /* offset 18: "local" */
                                      "\x00"              /* root */
                                      "\x00\x01"          /* TYPE A */
                                      "\x80\x01"          /* CLASS IN | cache-flush */
                                      "\x00\x00\x00\x78"  /* TTL 120 */
                                      "\x00\x04"          /* RDLENGTH 4 */
                                      "\xc0\xa8\x01\x63"  /* 192.168.1.99 */
                                      "\x24" UUID         /* additional owner: label, 36 bytes */
                                      "\xc0\x12"          /* pointer to "local" at offset 18 */
                                      "\x00\x01"          /* TYPE A */
                                      "\x80\x01"          /* CLASS IN | cache-flush */
                                      "\x00\x00\x00\x78"  /* TTL 120 */
                                      "\x00\x04"          /* RDLENGTH 4 */
                                      "\xc0\xa8\x01\x2a"; /* 192.168.1.42 */

/* The same record but in the authority section (a probe's proposed record, RFC
 * 6762 8.2): not an answer. */
static const char resp_authority[] = "\x00\x00"          /* ID 0 */
                                     "\x84\x00"          /* QR=1, AA=1 */
                                     "\x00\x00"          /* QDCOUNT 0 */
                                     "\x00\x00"          /* ANCOUNT 0 */
                                     "\x00\x01"          /* NSCOUNT 1 */
                                     "\x00\x00"          /* ARCOUNT 0 */
                                     "\x24" UUID         /* owner */
                                     "\x05local"         /* */
                                     "\x00"              /* root */
                                     "\x00\x01"          /* TYPE A */
                                     "\x00\x01"          /* CLASS IN */
                                     "\x00\x00\x00\x78"  /* TTL 120 */
                                     "\x00\x04"          /* RDLENGTH 4 */
                                     "\xc0\xa8\x01\x17"; /* 192.168.1.23 */

/* Captured from avahi-daemon 0.8 (host-name set to a UUID, in a private network
 * namespace) answering rtc_mdns_build_query's AAAA question by multicast:
 * laid out exactly as Chromium's responder. */
#define AVAHI_UUID "8a1b2c3d-4e5f-4a6b-9c7d-0e1f2a3b4c5d"
static const char avahi_aaaa[] = "\x00\x00"                          /* ID 0 */
                                 "\x84\x00"                          /* QR=1, AA=1 */
                                 "\x00\x00"                          /* QDCOUNT 0 */
                                 "\x00\x01"                          /* ANCOUNT 1 */
                                 "\x00\x00"                          /* NSCOUNT 0 */
                                 "\x00\x00"                          /* ARCOUNT 0 */
                                 "\x24" AVAHI_UUID                   /* owner: label, 36 bytes */
                                 "\x05local"                         /* */
                                 "\x00"                              /* root */
                                 "\x00\x1c"                          /* TYPE AAAA */
                                 "\x80\x01"                          /* CLASS IN | cache-flush */
                                 "\x00\x00\x00\x78"                  /* TTL 120 */
                                 "\x00\x10"                          /* RDLENGTH 16 */
                                 "\xfe\x80\x00\x00\x00\x00\x00\x00"  /* fe80:: */
                                 "\xa8\x72\x92\xff\xfe\xda\x5d\x2e"; /* a872:92ff:feda:5d2e */

/* The same avahi answering the A question sent from an ephemeral port: a legacy
 * unicast reply (RFC 6762 6.7): the question echoed, the owner a pointer to it,
 * no cache-flush bit, TTL capped at 10 s. */
static const char avahi_legacy[] = "\x00\x00"          /* ID echoed (ours is 0) */
                                   "\x84\x00"          /* QR=1, AA=1 */
                                   "\x00\x01"          /* QDCOUNT 1 */
                                   "\x00\x01"          /* ANCOUNT 1 */
                                   "\x00\x00"          /* NSCOUNT 0 */
                                   "\x00\x00"          /* ARCOUNT 0 */
                                   "\x24" AVAHI_UUID   /* offset 12: question name */
                                   "\x05local"         /* */
                                   "\x00"              /* root */
                                   "\x00\x01"          /* QTYPE A */
                                   "\x00\x01"          /* QCLASS IN */
                                   "\xc0\x0c"          /* owner: pointer to 12 */
                                   "\x00\x01"          /* TYPE A */
                                   "\x00\x01"          /* CLASS IN */
                                   "\x00\x00\x00\x0a"  /* TTL 10 */
                                   "\x00\x04"          /* RDLENGTH 4 */
                                   "\x0a\x4d\x00\x02"; /* 10.77.0.2 */

static void check_addr(const rtc_addr_t *a, int family, const char *ip) {
  char s[RTC_ADDR_STRLEN];
  CHECK_EQ_INT(rtc_addr_family(a), family);
  CHECK_EQ_INT(rtc_addr_to_string(a, s, sizeof s), 0);
  CHECK_STR(s, ip);
  CHECK_EQ_INT(rtc_addr_port(a), 0);
}

static void test_query_bytes(void) {
  uint8_t out[512];
  int n = rtc_mdns_build_query(NAME, RTC_MDNS_TYPE_A, out, sizeof out);
  CHECK_EQ_INT(n, MLEN(query_a));
  CHECK_EQ_INT(n, 60);
  CHECK(n == (int)MLEN(query_a) && memcmp(out, query_a, MLEN(query_a)) == 0);
  /* A trailing dot and upper case ".LOCAL" are accepted; the name is sent as given. */
  n = rtc_mdns_build_query(UUID ".LOCAL.", RTC_MDNS_TYPE_AAAA, out, sizeof out);
  CHECK_EQ_INT(n, 60);
  CHECK(memcmp(out, query_a, 12 + 37) == 0);           /* header + uuid label */
  CHECK(memcmp(out + 49, "\x05LOCAL\x00", 7) == 0);    /* case kept on the wire */
  CHECK(memcmp(out + 56, "\x00\x1c\x00\x01", 4) == 0); /* QTYPE AAAA, QCLASS IN */
}

static void test_query_errors(void) {
  uint8_t out[512];
  char name[300];
  CHECK_EQ_INT(rtc_mdns_build_query(NAME, RTC_MDNS_TYPE_A, out, 59), RTC_ETOOBIG);
  CHECK_EQ_INT(rtc_mdns_build_query(NAME, RTC_MDNS_TYPE_A, out, 60), 60);
  CHECK_EQ_INT(rtc_mdns_build_query(NAME, 5, out, sizeof out), RTC_EINVAL); /* CNAME */
  CHECK_EQ_INT(rtc_mdns_build_query(NULL, RTC_MDNS_TYPE_A, out, sizeof out), RTC_EINVAL);
  CHECK_EQ_INT(rtc_mdns_build_query(NAME, RTC_MDNS_TYPE_A, NULL, 0), RTC_EINVAL);
  const char *bad[] = {
      "",         ".",        "local",     "local.", "example.com", "host.localhost",
      "a..local", ".a.local", "a.local..", "a.loca", "192.168.1.1"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int r = rtc_mdns_build_query(bad[i], RTC_MDNS_TYPE_A, out, sizeof out);
    if (r != RTC_EINVAL) fprintf(stderr, "  bad name \"%s\" -> %d\n", bad[i], r);
    CHECK_EQ_INT(r, RTC_EINVAL);
  }
  /* Label of 63 bytes: fine; 64: not. */
  memset(name, 'a', 63);
  strcpy(name + 63, ".local");
  CHECK_EQ_INT(rtc_mdns_build_query(name, RTC_MDNS_TYPE_A, out, sizeof out), 12 + 71 + 4);
  memset(name, 'a', 64);
  strcpy(name + 64, ".local");
  CHECK_EQ_INT(rtc_mdns_build_query(name, RTC_MDNS_TYPE_A, out, sizeof out), RTC_EINVAL);
  /* 63.63.63.55.local is 4*64 - 8 + 6 + 1 = 255 bytes on the wire: the limit. */
  memset(name, 'b', sizeof name);
  name[63] = name[127] = name[191] = '.';
  strcpy(name + 247, ".local");
  CHECK_EQ_INT(rtc_mdns_build_query(name, RTC_MDNS_TYPE_A, out, sizeof out), 12 + 255 + 4);
  memset(name, 'b', sizeof name);
  name[63] = name[127] = name[191] = '.';
  strcpy(name + 248, ".local"); /* 256 */
  CHECK_EQ_INT(rtc_mdns_build_query(name, RTC_MDNS_TYPE_A, out, sizeof out), RTC_EINVAL);
}

static void test_response_a(void) {
  rtc_addr_t a;
  CHECK_EQ_INT(rtc_mdns_parse_response(P(resp_a), MLEN(resp_a), NAME, &a), 1);
  check_addr(&a, AF_INET, "192.168.1.23");
  /* Case-insensitive, trailing dot optional. */
  memset(&a, 0, sizeof a);
  CHECK_EQ_INT(rtc_mdns_parse_response(P(resp_a), MLEN(resp_a),
                                       "1F4C3B2A-8D9E-4F01-A2B3-C4D5E6F70819.Local.", &a),
               1);
  check_addr(&a, AF_INET, "192.168.1.23");
}

static void test_response_compressed(void) {
  rtc_addr_t a;
  CHECK_EQ_INT(rtc_mdns_parse_response(P(resp_ptr), MLEN(resp_ptr), NAME, &a), 1);
  check_addr(&a, AF_INET, "10.0.0.5");
}

static void test_response_aaaa(void) {
  rtc_addr_t a;
  CHECK_EQ_INT(rtc_mdns_parse_response(P(resp_aaaa), MLEN(resp_aaaa), NAME, &a), 1);
  check_addr(&a, AF_INET6, "2001:db8::2a");
}

static void test_response_additional(void) {
  rtc_addr_t a;
  CHECK_EQ_INT(rtc_mdns_parse_response(P(resp_additional), MLEN(resp_additional), NAME, &a), 1);
  check_addr(&a, AF_INET, "192.168.1.42");
  /* The answer section's own name resolves too, to its own address. */
  CHECK_EQ_INT(
      rtc_mdns_parse_response(P(resp_additional), MLEN(resp_additional), "other.local", &a), 1);
  check_addr(&a, AF_INET, "192.168.1.99");
}

static void test_response_avahi(void) {
  rtc_addr_t a;
  CHECK_EQ_INT(MLEN(avahi_aaaa), 82);
  CHECK_EQ_INT(rtc_mdns_parse_response(P(avahi_aaaa), MLEN(avahi_aaaa), AVAHI_UUID ".local", &a),
               1);
  check_addr(&a, AF_INET6, "fe80::a872:92ff:feda:5d2e");
  CHECK_EQ_INT(MLEN(avahi_legacy), 76);
  CHECK_EQ_INT(
      rtc_mdns_parse_response(P(avahi_legacy), MLEN(avahi_legacy), AVAHI_UUID ".local.", &a), 1);
  check_addr(&a, AF_INET, "10.77.0.2");
  CHECK_EQ_INT(rtc_mdns_parse_response(P(avahi_legacy), MLEN(avahi_legacy), NAME, &a), 0);
}

static void test_response_no_match(void) {
  rtc_addr_t a;
  memset(&a, 0x5a, sizeof a);
  const rtc_addr_t before = a;
  CHECK_EQ_INT(rtc_mdns_parse_response(P(resp_a), MLEN(resp_a), "other.local", &a), 0);
  /* A suffix or a prefix of the name is another name. */
  CHECK_EQ_INT(rtc_mdns_parse_response(P(resp_a), MLEN(resp_a), "local", &a), 0);
  CHECK_EQ_INT(rtc_mdns_parse_response(P(resp_a), MLEN(resp_a), "x." UUID ".local", &a), 0);
  CHECK_EQ_INT(rtc_mdns_parse_response(P(resp_a), MLEN(resp_a), UUID, &a), 0);
  /* Authority section records are not answers. */
  CHECK_EQ_INT(rtc_mdns_parse_response(P(resp_authority), MLEN(resp_authority), NAME, &a), 0);
  CHECK(memcmp(&a, &before, sizeof a) == 0); /* untouched */
}

static void test_response_ignored(void) {
  rtc_addr_t a;
  uint8_t m[sizeof resp_a];
  /* Our own query, looped back: QR clear. */
  CHECK_EQ_INT(rtc_mdns_parse_response(P(query_a), MLEN(query_a), NAME, &a), 0);
  /* rcode 3 (RFC 6762 18.11: silently ignored). */
  memcpy(m, resp_a, MLEN(resp_a));
  m[3] = 0x03;
  CHECK_EQ_INT(rtc_mdns_parse_response(m, MLEN(resp_a), NAME, &a), 0);
  /* opcode 1 (18.3). */
  memcpy(m, resp_a, MLEN(resp_a));
  m[2] = 0x84 | 0x08;
  CHECK_EQ_INT(rtc_mdns_parse_response(m, MLEN(resp_a), NAME, &a), 0);
  /* TTL 0: a goodbye (RFC 6762 10.1), the address is going away. */
  memcpy(m, resp_a, MLEN(resp_a));
  memset(m + MLEN(resp_a) - 10, 0, 4);
  CHECK_EQ_INT(rtc_mdns_parse_response(m, MLEN(resp_a), NAME, &a), 0);
  /* CLASS CHAOS (3), cache-flush set: not IN. */
  memcpy(m, resp_a, MLEN(resp_a));
  m[MLEN(resp_a) - 11] = 0x03;
  CHECK_EQ_INT(rtc_mdns_parse_response(m, MLEN(resp_a), NAME, &a), 0);
  /* TC bit and a nonzero id are fine. */
  memcpy(m, resp_a, MLEN(resp_a));
  m[0] = 0xbe, m[1] = 0xef, m[2] = 0x86;
  CHECK_EQ_INT(rtc_mdns_parse_response(m, MLEN(resp_a), NAME, &a), 1);
}

static void test_malformed_truncated(void) {
  rtc_addr_t a;
  /* Every strict prefix of every response: header or record cut short. */
  const struct {
    const char *m;
    size_t n;
  } all[] = {{resp_a, MLEN(resp_a)},
             {resp_ptr, MLEN(resp_ptr)},
             {resp_aaaa, MLEN(resp_aaaa)},
             {resp_additional, MLEN(resp_additional)},
             {resp_authority, MLEN(resp_authority)},
             {avahi_aaaa, MLEN(avahi_aaaa)},
             {avahi_legacy, MLEN(avahi_legacy)}};
  for (size_t k = 0; k < sizeof all / sizeof all[0]; k++) {
    for (size_t n = 0; n < all[k].n; n++) {
      /* A copy of exactly n bytes so that ASan sees any read past the end. */
      uint8_t *m = malloc(n ? n : 1);
      memcpy(m, all[k].m, n);
      int r = rtc_mdns_parse_response(m, n, NAME, &a);
      if (r != RTC_EPARSE) fprintf(stderr, "  msg %zu cut at %zu -> %d\n", k, n, r);
      CHECK_EQ_INT(r, RTC_EPARSE);
      free(m);
    }
  }
  CHECK_EQ_INT(rtc_mdns_parse_response(P(resp_a), 11, NAME, &a), RTC_EPARSE);
  /* RDLENGTH 5 for an A record of our name. */
  static const char bad_rdlen[] = "\x00\x00\x84\x00\x00\x00\x00\x01\x00\x00\x00\x00" /* 1 answer */
                                  "\x24" UUID "\x05local"
                                  "\x00"                             /* owner */
                                  "\x00\x01\x80\x01\x00\x00\x00\x78" /* A, IN|flush, TTL 120 */
                                  "\x00\x05"                         /* RDLENGTH 5 */
                                  "\xc0\xa8\x01\x17\x00";
  CHECK_EQ_INT(rtc_mdns_parse_response(P(bad_rdlen), MLEN(bad_rdlen), NAME, &a), RTC_EPARSE);
  /* RDLENGTH past the end. */
  uint8_t m[sizeof resp_a];
  memcpy(m, resp_a, MLEN(resp_a));
  m[MLEN(resp_a) - 5] = 0x05;
  CHECK_EQ_INT(rtc_mdns_parse_response(m, MLEN(resp_a), NAME, &a), RTC_EPARSE);
}

static void test_malformed_pointers(void) {
  rtc_addr_t a;
  static const char self_loop[] = "\x00\x00\x84\x00\x00\x00\x00\x01\x00\x00\x00\x00" /* 1 answer */
                                  "\xc0\x0c" /* offset 12: pointer to itself */
                                  "\x00\x01\x80\x01\x00\x00\x00\x78\x00\x04\xc0\xa8\x01\x17";
  CHECK_EQ_INT(rtc_mdns_parse_response(P(self_loop), MLEN(self_loop), NAME, &a), RTC_EPARSE);
  static const char two_loop[] = "\x00\x00\x84\x00\x00\x00\x00\x01\x00\x00\x00\x00"
                                 "\x01"
                                 "a"
                                 "\xc0\x10" /* 12: "a", pointer to 16 */
                                 "\x01"
                                 "b"
                                 "\xc0\x0c" /* 16: "b", pointer to 12 */
                                 "\x00\x01\x80\x01\x00\x00\x00\x78\x00\x04\xc0\xa8\x01\x17";
  /* The answer starts at 12: a -> b -> a -> ... grows past 255 bytes or 64 jumps. */
  CHECK_EQ_INT(rtc_mdns_parse_response(P(two_loop), MLEN(two_loop), NAME, &a), RTC_EPARSE);
  /* Pure pointer chains without labels: stopped by the jump limit. */
  static const char ptr_ptr[] = "\x00\x00\x84\x00\x00\x00\x00\x01\x00\x00\x00\x00"
                                "\xc0\x0e"  /* 12 -> 14 */
                                "\xc0\x0c"; /* 14 -> 12 */
  CHECK_EQ_INT(rtc_mdns_parse_response(P(ptr_ptr), MLEN(ptr_ptr), NAME, &a), RTC_EPARSE);
  static const char past_end[] = "\x00\x00\x84\x00\x00\x00\x00\x01\x00\x00\x00\x00"
                                 "\xc0\xff" /* pointer to 255: outside the message */
                                 "\x00\x01\x80\x01\x00\x00\x00\x78\x00\x04\xc0\xa8\x01\x17";
  CHECK_EQ_INT(rtc_mdns_parse_response(P(past_end), MLEN(past_end), NAME, &a), RTC_EPARSE);
  /* Pointer to exactly len (one past the last byte). */
  static const char at_end[] = "\x00\x00\x84\x00\x00\x00\x00\x01\x00\x00\x00\x00"
                               "\xc0\x1c" /* 28 == len */
                               "\x00\x01\x80\x01\x00\x00\x00\x78\x00\x04\xc0\xa8\x01\x17";
  CHECK_EQ_INT(MLEN(at_end), 28);
  CHECK_EQ_INT(rtc_mdns_parse_response(P(at_end), MLEN(at_end), NAME, &a), RTC_EPARSE);
  /* A pointer cut in half at the end of the message. */
  static const char half[] = "\x00\x00\x84\x00\x00\x00\x00\x01\x00\x00\x00\x00"
                             "\xc0";
  CHECK_EQ_INT(rtc_mdns_parse_response(P(half), MLEN(half), NAME, &a), RTC_EPARSE);
}

static void test_malformed_labels(void) {
  rtc_addr_t a;
  uint8_t m[512];
  size_t n = 0;
  /* Label of 64 bytes (0x40: the reserved extended label type). */
  memcpy(m, "\x00\x00\x84\x00\x00\x00\x00\x01\x00\x00\x00\x00", 12);
  n = 12;
  m[n++] = 64;
  memset(m + n, 'a', 64);
  n += 64;
  memcpy(m + n, "\x05local\x00\x00\x01\x80\x01\x00\x00\x00\x78\x00\x04\xc0\xa8\x01\x17", 21);
  n += 21;
  CHECK_EQ_INT(rtc_mdns_parse_response(m, n, NAME, &a), RTC_EPARSE);
  /* 0x80 label type. */
  m[12] = 0x80;
  CHECK_EQ_INT(rtc_mdns_parse_response(m, n, NAME, &a), RTC_EPARSE);
  /* Same with a 63-byte label: well formed, another name. */
  n = 12;
  m[n++] = 63;
  memset(m + n, 'a', 63);
  n += 63;
  memcpy(m + n, "\x05local\x00\x00\x01\x80\x01\x00\x00\x00\x78\x00\x04\xc0\xa8\x01\x17", 21);
  n += 21;
  CHECK_EQ_INT(rtc_mdns_parse_response(m, n, NAME, &a), 0);
  /* Name of 63.63.63.55.local: 255 bytes, the limit; matched. 56: too long. */
  char name[300];
  for (int extra = 0; extra < 2; extra++) {
    n = 12;
    for (int l = 0; l < 4; l++) {
      size_t ll = l < 3 ? 63 : 55 + (size_t)extra;
      m[n++] = (uint8_t)ll;
      memset(m + n, 'b', ll);
      n += ll;
    }
    memcpy(m + n, "\x05local\x00\x00\x01\x80\x01\x00\x00\x00\x78\x00\x04\xc0\xa8\x01\x17", 21);
    n += 21;
    memset(name, 'b', sizeof name);
    name[63] = name[127] = name[191] = '.';
    strcpy(name + 247 + extra, ".local");
    int r = rtc_mdns_parse_response(m, n, name, &a);
    CHECK_EQ_INT(r, extra ? RTC_EINVAL : 1); /* the 256-byte name is not a name */
    r = rtc_mdns_parse_response(m, n, NAME, &a);
    CHECK_EQ_INT(r, extra ? RTC_EPARSE : 0);
  }
  /* A long name via a pointer: 4 x 63-byte labels in a question, then an answer
   * that adds a label in front and points into it: 1+1 + 4*64 + 1 > 255. */
  n = 0;
  memcpy(m, "\x00\x00\x84\x00\x00\x01\x00\x01\x00\x00\x00\x00", 12);
  n = 12;
  for (int l = 0; l < 3; l++) {
    m[n++] = 63;
    memset(m + n, 'c', 63);
    n += 63;
  }
  m[n++] = 60;
  memset(m + n, 'c', 60);
  n += 60;
  m[n++] = 0;                           /* question name: 3*64 + 61 + 1 = 254 bytes */
  memcpy(m + n, "\x00\x01\x00\x01", 4); /* QTYPE A, QCLASS IN */
  n += 4;
  memcpy(m + n, "\x01x\xc0\x0c", 4); /* answer owner "x" + pointer: 256 bytes */
  n += 4;
  memcpy(m + n, "\x00\x01\x80\x01\x00\x00\x00\x78\x00\x04\xc0\xa8\x01\x17", 14);
  n += 14;
  CHECK_EQ_INT(rtc_mdns_parse_response(m, n, NAME, &a), RTC_EPARSE);
}

static void test_bad_args(void) {
  rtc_addr_t a;
  CHECK_EQ_INT(rtc_mdns_parse_response(NULL, 0, NAME, &a), RTC_EINVAL);
  CHECK_EQ_INT(rtc_mdns_parse_response(P(resp_a), MLEN(resp_a), NULL, &a), RTC_EINVAL);
  CHECK_EQ_INT(rtc_mdns_parse_response(P(resp_a), MLEN(resp_a), NAME, NULL), RTC_EINVAL);
  CHECK_EQ_INT(rtc_mdns_parse_response(P(resp_a), MLEN(resp_a), "", &a), RTC_EINVAL);
  CHECK_EQ_INT(rtc_mdns_parse_response(P(resp_a), MLEN(resp_a), "a..local", &a), RTC_EINVAL);
}

static void test_is_local_name(void) {
  CHECK(rtc_mdns_is_local_name(NAME));
  CHECK(rtc_mdns_is_local_name(UUID ".local."));
  CHECK(rtc_mdns_is_local_name("Host.LOCAL"));
  CHECK(rtc_mdns_is_local_name("a.b.local"));
  CHECK(!rtc_mdns_is_local_name(NULL));
  CHECK(!rtc_mdns_is_local_name(""));
  CHECK(!rtc_mdns_is_local_name("local"));
  CHECK(!rtc_mdns_is_local_name(".local"));
  CHECK(!rtc_mdns_is_local_name("a..local"));
  CHECK(!rtc_mdns_is_local_name("a.local.."));
  CHECK(!rtc_mdns_is_local_name("host.localhost"));
  CHECK(!rtc_mdns_is_local_name("hostlocal"));
  CHECK(!rtc_mdns_is_local_name("192.168.1.23"));
  CHECK(!rtc_mdns_is_local_name("fe80::1"));
}

/* What build_query writes, a responder built from it answers, and parse finds. */
static void test_round_trip(void) {
  uint8_t m[512];
  rtc_addr_t a;
  int n = rtc_mdns_build_query(NAME, RTC_MDNS_TYPE_A, m, sizeof m);
  CHECK(n > 0);
  m[2] = 0x84;                            /* now a response */
  m[4] = 0, m[5] = 1, m[6] = 0, m[7] = 1; /* QD 1, AN 1 */
  memcpy(m + n, "\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x0a\x00\x04\x7f\x00\x00\x01", 16);
  CHECK_EQ_INT(rtc_mdns_parse_response(m, (size_t)n + 16, NAME, &a), 1);
  check_addr(&a, AF_INET, "127.0.0.1");
}

/* The responder side: which questions a query asks about our name. */
static void test_query_asks(void) {
  bool qu = true;
  CHECK_EQ_INT(rtc_mdns_query_asks(P(query_a), MLEN(query_a), NAME, &qu), 1);
  CHECK(!qu);
  CHECK_EQ_INT(rtc_mdns_query_asks(P(query_a), MLEN(query_a), UUID ".LOCAL.", NULL), 1);
  CHECK_EQ_INT(rtc_mdns_query_asks(P(query_a), MLEN(query_a), "other.local", NULL), 0);
  /* A response is no query (avahi's and Chromium's answers reach the responder too). */
  CHECK_EQ_INT(rtc_mdns_query_asks(P(resp_a), MLEN(resp_a), NAME, NULL), 0);
  CHECK_EQ_INT(rtc_mdns_query_asks(P(resp_ptr), MLEN(resp_ptr), NAME, NULL), 0);
  char m[sizeof query_a];
  memcpy(m, query_a, sizeof m);
  m[MLEN(query_a) - 3] = 28; /* AAAA */
  CHECK_EQ_INT(rtc_mdns_query_asks(P(m), MLEN(query_a), NAME, NULL), 2);
  m[MLEN(query_a) - 3] = (char)255; /* ANY */
  CHECK_EQ_INT(rtc_mdns_query_asks(P(m), MLEN(query_a), NAME, NULL), 3);
  m[MLEN(query_a) - 3] = 16; /* TXT: not ours to answer */
  CHECK_EQ_INT(rtc_mdns_query_asks(P(m), MLEN(query_a), NAME, NULL), 0);
  m[MLEN(query_a) - 3] = 1;
  m[MLEN(query_a) - 2] = (char)0x80; /* QU: unicast response asked */
  CHECK_EQ_INT(rtc_mdns_query_asks(P(m), MLEN(query_a), NAME, &qu), 1);
  CHECK(qu);
  m[MLEN(query_a) - 1] = 3; /* class CH */
  CHECK_EQ_INT(rtc_mdns_query_asks(P(m), MLEN(query_a), NAME, NULL), 0);
  memcpy(m, query_a, sizeof m);
  m[2] = 0x28; /* opcode 5 (UPDATE): ignored (RFC 6762 18.3) */
  CHECK_EQ_INT(rtc_mdns_query_asks(P(m), MLEN(query_a), NAME, NULL), 0);
  /* Two questions, ours second, its name a pointer into the first one's labels. */
  static const char two[] = "\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00"
                            "\x03"
                            "abc"
                            "\x24" UUID "\x05local\x00\x00\x01\x00\x01" /* abc.<uuid>.local */
                            "\xc0\x10\x00\x1c\x00\x01"; /* offset 16: <uuid>.local AAAA */
  CHECK_EQ_INT(rtc_mdns_query_asks(P(two), MLEN(two), NAME, NULL), 2);
  /* Found by fuzz_mdns (tests/fuzz/regressions/fuzz_mdns): our question with the QU bit,
   * then a truncated one. The query is malformed, so *qu is false, not half-written. */
  static const char qu_then_bad[] = "\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00"
                                    "\x24" UUID "\x05local\x00\x00\x01\x80\x01"
                                    "\x03"
                                    "ab";
  qu = true;
  CHECK_EQ_INT(rtc_mdns_query_asks(P(qu_then_bad), MLEN(qu_then_bad), NAME, &qu), RTC_EPARSE);
  CHECK(!qu);
  /* Truncated anywhere inside the question: malformed, never a match. */
  for (size_t n = 12; n < MLEN(query_a); n++)
    CHECK_EQ_INT(rtc_mdns_query_asks(P(query_a), n, NAME, NULL), RTC_EPARSE);
  CHECK_EQ_INT(rtc_mdns_query_asks(P(query_a), 11, NAME, NULL), RTC_EPARSE);
  CHECK_EQ_INT(rtc_mdns_query_asks(NULL, 0, NAME, NULL), RTC_EINVAL);
  CHECK_EQ_INT(rtc_mdns_query_asks(P(query_a), MLEN(query_a), "a..local", NULL), RTC_EINVAL);
}

/* Captured from Chromium 156 (chromium-mdns interop run, mdns-luartc-names): its
 * query for luartc's name, and its answer for its own name: the A record, then an
 * NSEC record (the name uncompressed, next name a pointer to itself, type bitmap A). */
#define OURS "6859c256-be41-4161-a70c-4e591103cc28"
static const char chromium_query[] = "\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00"
                                     "\x24" OURS "\x05local\x00\x00\x01\x00\x01";
#define THEIRS "5661698a-b091-48b0-a664-7cbc73cc3af4"
static const char chromium_answer[] =
    "\x00\x00\x84\x00\x00\x00\x00\x01\x00\x00\x00\x01"
    "\x24" THEIRS "\x05local\x00"
    "\x00\x01\x80\x01\x00\x00\x00\x78\x00\x04\x0a\x63\x00\x01"
    "\x24" THEIRS "\x05local\x00"
    "\x00\x2f\x80\x01\x00\x00\x00\x78\x00\x05\xc0\x46\x00\x01\x40";

static void test_chromium_capture(void) {
  bool qu = true;
  CHECK_EQ_INT(rtc_mdns_query_asks(P(chromium_query), MLEN(chromium_query), OURS ".local", &qu), 1);
  CHECK(!qu);
  rtc_addr_t a;
  CHECK_EQ_INT(
      rtc_mdns_parse_response(P(chromium_answer), MLEN(chromium_answer), THEIRS ".local", &a), 1);
  check_addr(&a, AF_INET, "10.99.0.1");
  CHECK_EQ_INT(
      rtc_mdns_query_asks(P(chromium_answer), MLEN(chromium_answer), THEIRS ".local", NULL), 0);
}

/* Our answer is Chromium's: the same header and A record (resp_a, chromium_answer),
 * then an NSEC record for the same name with the same bitmap. */
static void test_build_answer(void) {
  uint8_t m[512];
  rtc_addr_t a, got;
  rtc_addr_set(&a, "192.168.1.23", 0);
  int n = rtc_mdns_build_answer(NAME, &a, 120, false, 0x1234, m, sizeof m);
  size_t rec = MLEN(resp_a);
  CHECK_EQ_INT(n, (int)rec + 2 + 10 + 5);
  CHECK(memcmp(m, resp_a, 10) == 0 && m[10] == 0 && m[11] == 1); /* ARCOUNT 1 */
  CHECK(memcmp(m + 12, resp_a + 12, rec - 12) == 0);
  CHECK(memcmp(m + rec, "\xc0\x0c\x00\x2f\x80\x01\x00\x00\x00\x78\x00\x05\xc0\x0c\x00\x01\x40",
               17) == 0);
  CHECK_EQ_INT(rtc_mdns_parse_response(m, (size_t)n, NAME, &got), 1);
  check_addr(&got, AF_INET, "192.168.1.23");
  CHECK_EQ_INT(rtc_mdns_build_answer(NAME, &a, 120, false, 0, m, (size_t)n - 1), RTC_ETOOBIG);
  /* Legacy unicast (RFC 6762 6.7): the id echoed, the question repeated, TTL <= 10,
   * no cache-flush bit; a plain resolver (our own parser) reads it. */
  n = rtc_mdns_build_answer(NAME, &a, 120, true, 0x1234, m, sizeof m);
  CHECK(n > 0);
  CHECK(m[0] == 0x12 && m[1] == 0x34 && m[5] == 1 && m[7] == 1);
  CHECK(memcmp(m + 12, query_a + 12, MLEN(query_a) - 12) == 0);
  CHECK(m[n - 12] == 0 && m[n - 11] == 1); /* class IN, no cache-flush */
  CHECK(m[n - 8] == 0 && m[n - 7] == 10);  /* TTL 10 */
  CHECK_EQ_INT(rtc_mdns_parse_response(m, (size_t)n, NAME, &got), 1);
  check_addr(&got, AF_INET, "192.168.1.23");
  rtc_addr_set(&a, "fd00::17", 0);
  n = rtc_mdns_build_answer(NAME, &a, 120, false, 0, m, sizeof m);
  CHECK(n > 0 && m[n - 26 - 20] == 0 && m[n - 25 - 20] == 28);   /* AAAA, then NSEC */
  CHECK(n > 0 && memcmp(m + n - 4, "\x00\x00\x00\x08", 4) == 0); /* bit 28 */
  CHECK_EQ_INT(rtc_mdns_parse_response(m, (size_t)n, NAME, &got), 1);
  check_addr(&got, AF_INET6, "fd00::17");
  CHECK_EQ_INT(rtc_mdns_build_answer("host.example", &a, 120, false, 0, m, sizeof m), RTC_EINVAL);
  CHECK_EQ_INT(rtc_mdns_build_answer(NULL, &a, 120, false, 0, m, sizeof m), RTC_EINVAL);
  memset(&a, 0, sizeof a);
  CHECK_EQ_INT(rtc_mdns_build_answer(NAME, &a, 120, false, 0, m, sizeof m), RTC_EINVAL);
}

static void test_random_name(void) {
  char a[RTC_MDNS_UUID_NAME_LEN + 1], b[RTC_MDNS_UUID_NAME_LEN + 1];
  rtc_mdns_random_name(a);
  rtc_mdns_random_name(b);
  CHECK_EQ_INT(strlen(a), RTC_MDNS_UUID_NAME_LEN);
  CHECK(strcmp(a, b) != 0);
  CHECK(a[8] == '-' && a[13] == '-' && a[18] == '-' && a[23] == '-');
  CHECK(a[14] == '4');                                                 /* version 4 */
  CHECK(a[19] == '8' || a[19] == '9' || a[19] == 'a' || a[19] == 'b'); /* variant 10 */
  CHECK(strcmp(a + 36, ".local") == 0);
  uint8_t q[128];
  CHECK(rtc_mdns_build_query(a, RTC_MDNS_TYPE_A, q, sizeof q) > 0);
}

int main(void) {
  RUN_TEST(test_query_asks);
  RUN_TEST(test_chromium_capture);
  RUN_TEST(test_build_answer);
  RUN_TEST(test_random_name);
  RUN_TEST(test_query_bytes);
  RUN_TEST(test_query_errors);
  RUN_TEST(test_response_a);
  RUN_TEST(test_response_compressed);
  RUN_TEST(test_response_aaaa);
  RUN_TEST(test_response_additional);
  RUN_TEST(test_response_avahi);
  RUN_TEST(test_response_no_match);
  RUN_TEST(test_response_ignored);
  RUN_TEST(test_malformed_truncated);
  RUN_TEST(test_malformed_pointers);
  RUN_TEST(test_malformed_labels);
  RUN_TEST(test_bad_args);
  RUN_TEST(test_is_local_name);
  RUN_TEST(test_round_trip);
  TEST_MAIN_END();
}
