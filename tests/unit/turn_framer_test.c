/* TURN stream framing (RFC 8656 12.5): the captured coturn 401 and padded ChannelData
 * back to back, fed one byte at a time and all at once; garbage breaks the stream. */
#include <string.h>

#include "base/rtc_err.h"
#include "rtc_test.h"
#include "turn/rtc_turn_framer.h"

/* coturn 4.6.1's Allocate 401 (ERROR-CODE, NONCE, REALM "test", SOFTWARE), captured. */
static const uint8_t coturn_401[] = {
    0x01, 0x13, 0x00, 0x48, 0x21, 0x12, 0xa4, 0x42, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c,
    0x1d, 0x1e, 0x1f, 0x20, 0x00, 0x09, 0x00, 0x10, 0x00, 0x00, 0x04, 0x01, 0x55, 0x6e, 0x61, 0x75,
    0x74, 0x68, 0x6f, 0x72, 0x69, 0x7a, 0x65, 0x64, 0x00, 0x15, 0x00, 0x10, 0x32, 0x63, 0x62, 0x39,
    0x65, 0x64, 0x64, 0x30, 0x37, 0x39, 0x36, 0x32, 0x30, 0x61, 0x39, 0x62, 0x00, 0x14, 0x00, 0x04,
    0x74, 0x65, 0x73, 0x74, 0x80, 0x22, 0x00, 0x14, 0x43, 0x6f, 0x74, 0x75, 0x72, 0x6e, 0x2d, 0x34,
    0x2e, 0x36, 0x2e, 0x31, 0x20, 0x27, 0x47, 0x6f, 0x72, 0x73, 0x74, 0x27,
};

static size_t stream(uint8_t *out) {
  size_t n = 0;
  memcpy(out, coturn_401, sizeof(coturn_401));
  n += sizeof(coturn_401);
  /* ChannelData 0x4001 with 5 bytes, padded to 12 on a stream. */
  memcpy(out + n, "\x40\x01\x00\x05hello\0\0\0", 12);
  n += 12;
  memcpy(out + n, "\x40\x02\x00\x00", 4); /* empty ChannelData */
  n += 4;
  return n;
}

static void check_messages(const uint8_t *m[3], const size_t l[3]) {
  CHECK_EQ_INT(l[0], sizeof(coturn_401));
  CHECK(memcmp(m[0], coturn_401, sizeof(coturn_401)) == 0);
  CHECK_EQ_INT(l[1], 9);
  CHECK(memcmp(m[1], "\x40\x01\x00\x05hello", 9) == 0);
  CHECK_EQ_INT(l[2], 4);
}

static void test_byte_by_byte(void) {
  uint8_t s[256];
  size_t n = stream(s);
  rtc_turn_framer_t *f = rtc_turn_framer_create();
  const uint8_t *m[3];
  size_t l[3], got = 0;
  uint8_t copy[3][128];
  for (size_t i = 0; i < n; i++) {
    CHECK_EQ_INT(rtc_turn_framer_push(f, s + i, 1), 1);
    const uint8_t *p;
    size_t len;
    while (rtc_turn_framer_next(f, &p, &len) == 1 && got < 3) {
      memcpy(copy[got], p, len); /* borrowed until the next push */
      m[got] = copy[got];
      l[got++] = len;
    }
  }
  CHECK_EQ_INT(got, 3);
  if (got == 3) check_messages(m, l);
  rtc_turn_framer_destroy(f);
}

static void test_all_at_once_then_garbage(void) {
  uint8_t s[256];
  size_t n = stream(s);
  rtc_turn_framer_t *f = rtc_turn_framer_create();
  CHECK_EQ_INT(rtc_turn_framer_push(f, s, n), n);
  const uint8_t *m[3];
  size_t l[3];
  for (int i = 0; i < 3; i++)
    CHECK_EQ_INT(rtc_turn_framer_next(f, &m[i], &l[i]), 1);
  check_messages(m, l);
  const uint8_t *p;
  size_t len;
  CHECK_EQ_INT(rtc_turn_framer_next(f, &p, &len), 0);
  rtc_turn_framer_push(f, (const uint8_t *)"\x80\x00\x00\x00", 4); /* RTP-like: not TURN */
  CHECK_EQ_INT(rtc_turn_framer_next(f, &p, &len), RTC_EPARSE);
  rtc_turn_framer_destroy(f);
}

static void test_full_buffer_takes_less(void) {
  rtc_turn_framer_t *f = rtc_turn_framer_create();
  static uint8_t big[RTC_TURN_FRAMER_MAX + 100];
  memset(big, 0, sizeof(big));
  big[0] = 0x40; /* ChannelData of 65535 bytes: 65540 on the wire */
  big[2] = 0xff;
  big[3] = 0xff;
  size_t took = rtc_turn_framer_push(f, big, sizeof(big));
  CHECK_EQ_INT(took, RTC_TURN_FRAMER_MAX);
  const uint8_t *p;
  size_t len;
  CHECK_EQ_INT(rtc_turn_framer_next(f, &p, &len), 1);
  CHECK_EQ_INT(len, 65539);
  rtc_turn_framer_destroy(f);
}

int main(void) {
  RUN_TEST(test_byte_by_byte);
  RUN_TEST(test_all_at_once_then_garbage);
  RUN_TEST(test_full_buffer_takes_less);
  TEST_MAIN_END();
}
