/* Our SCTP CRC32c (SSE4.2, rtc_sctp_global.c) against usrsctp's software one, and
 * RFC 3720 B.4's CRC32c vector (32 bytes of zeros -> 0x8a9136aa). */
#include <stdlib.h>
#include <usrsctp.h>

#include "rtc_test.h"
#include "sctp/rtc_sctp.h"
#include "sctp/rtc_sctp_internal.h"

static void test_rfc3720_vector(void) {
  CHECK_EQ_INT(rtc_sctp_global_init(), 0);
  uint8_t zeros[32] = {0};
  CHECK_EQ_INT(rtc__sctp_crc32c(zeros, sizeof zeros), 0x8a9136aa);
}

static void test_same_as_usrsctp(void) {
  CHECK_EQ_INT(rtc_sctp_global_init(), 0);
  static uint8_t pkt[1300];
  srand(3);
  int bad = 0;
  for (size_t len = 12; len <= sizeof pkt; len++) {
    for (size_t i = 0; i < len; i++)
      pkt[i] = (uint8_t)rand();
    if (rtc__sctp_crc32c(pkt, len) != usrsctp_crc32c(pkt, len)) bad++;
    /* filled in place: the checksum field is zero while it is computed */
    rtc__sctp_fill_crc32c(pkt, len);
    uint32_t stored;
    memcpy(&stored, pkt + 8, 4);
    memset(pkt + 8, 0, 4);
    if (stored != usrsctp_crc32c(pkt, len)) bad++;
  }
  CHECK_EQ_INT(bad, 0);
}

int main(void) {
  RUN_TEST(test_rfc3720_vector);
  RUN_TEST(test_same_as_usrsctp);
  if (!rtc__sctp_own_crc32c) printf("# no SSE4.2: usrsctp's own CRC in use\n");
  TEST_MAIN_END();
}
