/* The W3C enum strings of the pc: tables in step with their enums. */
#include <string.h>

#include "pc/rtc_pc.h"
#include "pc/rtc_pc_media.h"
#include "pc/rtc_pc_names.h"
#include "rtc_test.h"

static void test_names(void) {
  CHECK_STR(rtc_pc_name(rtc_pc_signaling_names, RTC_SIGNALING_HAVE_REMOTE_PRANSWER),
            "have-remote-pranswer");
  CHECK_STR(rtc_pc_name(rtc_pc_connection_names, RTC_CONNECTION_DISCONNECTED), "disconnected");
  CHECK_STR(rtc_pc_name(rtc_pc_direction_names, RTC_TR_RECVONLY), "recvonly");
  CHECK_STR(rtc_pc_name(rtc_pc_kind_names, 7), "unknown");
  CHECK_STR(rtc_pc_name(rtc_pc_kind_names, -1), "unknown");
  CHECK_EQ_INT(rtc_pc_name_find(rtc_pc_sdp_type_names, "rollback"), RTC_SDP_ROLLBACK);
  CHECK_EQ_INT(rtc_pc_name_find(rtc_pc_direction_names, "sendonly"), RTC_TR_SENDONLY);
  CHECK_EQ_INT(rtc_pc_name_find(rtc_pc_direction_names, "bogus"), -1);
  CHECK_EQ_INT(rtc_pc_name_find(rtc_pc_direction_names, NULL), -1);
}

int main(void) {
  RUN_TEST(test_names);
  TEST_MAIN_END();
}
