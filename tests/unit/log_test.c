/* runtime/base/rtc_log: the default level, per-module levels, the macro's gate. */
#include <string.h>

#include "base/rtc_err.h"
#include "base/rtc_log.h"
#include "rtc_test.h"

static int lines;
static char last_module[16];

static void sink(rtc_log_level_t level, const char *module, const char *line, void *ud) {
  (void)level, (void)line, (void)ud;
  lines++;
  snprintf(last_module, sizeof last_module, "%s", module);
}

static void test_module_levels(void) {
  rtc_log_set_sink(sink, NULL);
  rtc_log_set_level(RTC_LOG_WARN);
  lines = 0;
  RTC_LOG(RTC_LOG_DEBUG, "ice", "hidden");
  CHECK_EQ_INT(lines, 0);
  CHECK_EQ_INT(rtc_log_set_module_level("ice", RTC_LOG_DEBUG), 0);
  CHECK_EQ_INT(rtc__log_level, RTC_LOG_DEBUG); /* the gate opens for the loudest module */
  RTC_LOG(RTC_LOG_DEBUG, "ice", "shown");
  RTC_LOG(RTC_LOG_DEBUG, "dtls", "still hidden");
  RTC_LOG(RTC_LOG_TRACE, "ice", "above ice's level");
  RTC_LOG(RTC_LOG_WARN, "dtls", "the default level still shows");
  CHECK_EQ_INT(lines, 2);
  CHECK_STR(last_module, "dtls");
  /* a module quieter than the default */
  CHECK_EQ_INT(rtc_log_set_module_level("sctp", RTC_LOG_ERROR), 0);
  RTC_LOG(RTC_LOG_WARN, "sctp", "silenced");
  CHECK_EQ_INT(lines, 2);
  /* dropping the levels closes the gate again */
  CHECK_EQ_INT(rtc_log_set_module_level("ice", -1), 0);
  CHECK_EQ_INT(rtc__log_level, RTC_LOG_WARN);
  rtc_log_clear_module_levels();
  RTC_LOG(RTC_LOG_WARN, "sctp", "back to the default");
  CHECK_EQ_INT(lines, 3);
  rtc_log_set_sink(NULL, NULL);
}

static void test_table_is_bounded(void) {
  char name[16];
  int rc = 0;
  for (int i = 0; i < 40 && rc == 0; i++) {
    snprintf(name, sizeof name, "m%d", i);
    rc = rtc_log_set_module_level(name, RTC_LOG_INFO);
  }
  CHECK_EQ_INT(rc, RTC_ELIMIT);
  rtc_log_clear_module_levels();
  CHECK_EQ_INT(rtc_log_set_module_level("again", RTC_LOG_INFO), 0);
  rtc_log_clear_module_levels();
}

int main(void) {
  RUN_TEST(test_module_levels);
  RUN_TEST(test_table_is_bounded);
  TEST_MAIN_END();
}
