/* TURN ChannelData framing (RFC 8656 12.4/12.5): datagram and stream forms, bounds. */
#include <string.h>

#include "base/rtc_err.h"
#include "rtc_test.h"
#include "turn/rtc_turn_chan.h"

static void test_datagram(void) {
  uint8_t buf[16];
  int n = rtc_turn_channel_data_write(buf, sizeof(buf), 0x4001, (const uint8_t *)"abcde", 5, false);
  CHECK_EQ_INT(n, 9);
  const uint8_t want[] = {0x40, 0x01, 0x00, 0x05, 'a', 'b', 'c', 'd', 'e'};
  CHECK(memcmp(buf, want, sizeof(want)) == 0);
  uint16_t ch;
  const uint8_t *d;
  size_t dl;
  CHECK_EQ_INT(rtc_turn_channel_data_parse(buf, (size_t)n, &ch, &d, &dl), 0);
  CHECK_EQ_INT(ch, 0x4001);
  CHECK_EQ_INT(dl, 5);
  CHECK(memcmp(d, "abcde", 5) == 0);
  CHECK_EQ_INT(rtc_turn_channel_data_parse(buf, 8, &ch, &d, &dl), RTC_EPARSE); /* truncated */
  CHECK_EQ_INT(rtc_turn_channel_data_wire_len(buf, 2, false), RTC_EAGAIN);
  CHECK_EQ_INT(rtc_turn_channel_data_wire_len(buf, 4, false), 9);
}

static void test_stream_padding(void) {
  uint8_t buf[16];
  memset(buf, 0xAA, sizeof(buf));
  int n = rtc_turn_channel_data_write(buf, sizeof(buf), 0x4FFF, (const uint8_t *)"abcde", 5, true);
  CHECK_EQ_INT(n, 12);
  CHECK(buf[9] == 0 && buf[10] == 0 && buf[11] == 0);
  CHECK_EQ_INT(rtc_turn_channel_data_wire_len(buf, 4, true), 12);
  uint16_t ch;
  const uint8_t *d;
  size_t dl;
  CHECK_EQ_INT(rtc_turn_channel_data_parse(buf, (size_t)n, &ch, &d, &dl), 0);
  CHECK_EQ_INT(dl, 5); /* padding is not data */
}

static void test_refusals(void) {
  uint8_t buf[8];
  CHECK_EQ_INT(rtc_turn_channel_data_write(buf, sizeof(buf), 0x3FFF, NULL, 0, false), RTC_EINVAL);
  CHECK_EQ_INT(rtc_turn_channel_data_write(buf, sizeof(buf), 0x5000, NULL, 0, false), RTC_EINVAL);
  CHECK_EQ_INT(
      rtc_turn_channel_data_write(buf, sizeof(buf), 0x4000, (const uint8_t *)"abcde", 5, false),
      RTC_ETOOBIG);
  const uint8_t stun[] = {0x00, 0x01, 0x00, 0x00};
  uint16_t ch;
  const uint8_t *d;
  size_t dl;
  CHECK_EQ_INT(rtc_turn_channel_data_parse(stun, sizeof(stun), &ch, &d, &dl), RTC_EPARSE);
  CHECK_EQ_INT(rtc_turn_channel_data_wire_len(stun, sizeof(stun), false), RTC_EPARSE);
}

int main(void) {
  RUN_TEST(test_datagram);
  RUN_TEST(test_stream_padding);
  RUN_TEST(test_refusals);
  TEST_MAIN_END();
}
