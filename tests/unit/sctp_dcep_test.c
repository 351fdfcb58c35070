/* DCEP codec (RFC 8832 section 5), byte by byte. */
#include "base/rtc_err.h"
#include "rtc_test.h"
#include "sctp/rtc_sctp_dcep.h"

/* DATA_CHANNEL_OPEN, RFC 8832 5.1 layout, as Chromium sends for
 * createDataChannel("chat", {ordered:false, maxRetransmits:3, protocol:"json"}). */
static const uint8_t open_rexmit_unordered[] = {
    0x03,                   /* Message Type: DATA_CHANNEL_OPEN */
    0x81,                   /* Channel Type: PARTIAL_RELIABLE_REXMIT_UNORDERED */
    0x01, 0x00,             /* Priority: 256 */
    0x00, 0x00, 0x00, 0x03, /* Reliability Parameter: 3 retransmissions */
    0x00, 0x04,             /* Label Length */
    0x00, 0x04,             /* Protocol Length */
    'c',  'h',  'a',  't',  /* Label */
    'j',  's',  'o',  'n',  /* Protocol */
};

static void test_parse_open(void) {
  rtc_sctp_dcep_open_t o;
  CHECK_EQ_INT(rtc_sctp_dcep_type(open_rexmit_unordered, sizeof open_rexmit_unordered),
               RTC_SCTP_DCEP_OPEN);
  CHECK_EQ_INT(rtc_sctp_dcep_parse_open(open_rexmit_unordered, sizeof open_rexmit_unordered, &o),
               0);
  CHECK_EQ_INT(o.channel_type, RTC_SCTP_DCEP_UNORDERED | RTC_SCTP_DCEP_REXMIT);
  CHECK_EQ_INT(o.priority, 256);
  CHECK_EQ_INT(o.reliability, 3);
  CHECK_EQ_INT(o.label_len, 4);
  CHECK(memcmp(o.label, "chat", 4) == 0);
  CHECK_EQ_INT(o.protocol_len, 4);
  CHECK(memcmp(o.protocol, "json", 4) == 0);
}

static void test_write_open_roundtrip(void) {
  rtc_sctp_dcep_open_t o = {.channel_type = 0x81,
                            .priority = 256,
                            .reliability = 3,
                            .label = (const uint8_t *)"chat",
                            .label_len = 4,
                            .protocol = (const uint8_t *)"json",
                            .protocol_len = 4};
  uint8_t buf[64];
  CHECK_EQ_INT(rtc_sctp_dcep_write_open(buf, sizeof buf, &o), (int)sizeof open_rexmit_unordered);
  CHECK(memcmp(buf, open_rexmit_unordered, sizeof open_rexmit_unordered) == 0);
  CHECK_EQ_INT(rtc_sctp_dcep_write_open(buf, 19, &o), RTC_EINVAL); /* one byte short */
  /* Empty label and protocol: the 12-byte header alone. */
  rtc_sctp_dcep_open_t e = {.channel_type = 0x00, .priority = 0};
  CHECK_EQ_INT(rtc_sctp_dcep_write_open(buf, sizeof buf, &e), 12);
  rtc_sctp_dcep_open_t back;
  CHECK_EQ_INT(rtc_sctp_dcep_parse_open(buf, 12, &back), 0);
  CHECK_EQ_INT(back.label_len, 0);
  CHECK_EQ_INT(back.protocol_len, 0);
}

static void test_parse_open_malformed(void) {
  rtc_sctp_dcep_open_t o;
  uint8_t b[sizeof open_rexmit_unordered];
  /* Every truncation is refused. */
  for (size_t n = 0; n < sizeof open_rexmit_unordered; n++)
    CHECK_EQ_INT(rtc_sctp_dcep_parse_open(open_rexmit_unordered, n, &o), RTC_EPARSE);
  CHECK_EQ_INT(rtc_sctp_dcep_parse_open(NULL, 20, &o), RTC_EPARSE);
  /* Unknown channel types (RFC 8832 8.2.2 lists 0x00-0x02, 0x80-0x82). */
  static const uint8_t bad_types[] = {0x03, 0x7f, 0x83, 0xff, 0x40};
  for (size_t i = 0; i < sizeof bad_types; i++) {
    memcpy(b, open_rexmit_unordered, sizeof b);
    b[1] = bad_types[i];
    CHECK_EQ_INT(rtc_sctp_dcep_parse_open(b, sizeof b, &o), RTC_EPARSE);
  }
  /* Lengths running past the end (protocol length 0xffff; label 0x0100). */
  memcpy(b, open_rexmit_unordered, sizeof b);
  b[10] = 0xff, b[11] = 0xff;
  CHECK_EQ_INT(rtc_sctp_dcep_parse_open(b, sizeof b, &o), RTC_EPARSE);
  memcpy(b, open_rexmit_unordered, sizeof b);
  b[8] = 0x01;
  CHECK_EQ_INT(rtc_sctp_dcep_parse_open(b, sizeof b, &o), RTC_EPARSE);
  /* A NUL inside the label. */
  memcpy(b, open_rexmit_unordered, sizeof b);
  b[13] = 0;
  CHECK_EQ_INT(rtc_sctp_dcep_parse_open(b, sizeof b, &o), RTC_EPARSE);
  /* Not an OPEN at all. */
  memcpy(b, open_rexmit_unordered, sizeof b);
  b[0] = RTC_SCTP_DCEP_ACK;
  CHECK_EQ_INT(rtc_sctp_dcep_parse_open(b, sizeof b, &o), RTC_EPARSE);
  /* Trailing bytes are tolerated. */
  uint8_t longer[sizeof open_rexmit_unordered + 3];
  memcpy(longer, open_rexmit_unordered, sizeof open_rexmit_unordered);
  CHECK_EQ_INT(rtc_sctp_dcep_parse_open(longer, sizeof longer, &o), 0);
}

static void test_ack(void) {
  static const uint8_t ack[] = {0x02}; /* DATA_CHANNEL_ACK, RFC 8832 5.2 */
  CHECK_EQ_INT(rtc_sctp_dcep_parse_ack(ack, 1), 0);
  CHECK_EQ_INT(rtc_sctp_dcep_type(ack, 1), RTC_SCTP_DCEP_ACK);
  CHECK_EQ_INT(rtc_sctp_dcep_parse_ack(ack, 0), RTC_EPARSE);
  CHECK_EQ_INT(rtc_sctp_dcep_parse_ack(open_rexmit_unordered, 1), RTC_EPARSE);
  CHECK_EQ_INT(rtc_sctp_dcep_type(ack, 0), RTC_EPARSE);
}

int main(void) {
  RUN_TEST(test_parse_open);
  RUN_TEST(test_write_open_roundtrip);
  RUN_TEST(test_parse_open_malformed);
  RUN_TEST(test_ack);
  TEST_MAIN_END();
}
