#include "base/rtc_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rtc__log_level = RTC_LOG_WARN;
static rtc_log_sink_cb log_sink;
static void *log_sink_ud;

void rtc_log_set_level(rtc_log_level_t level) { rtc__log_level = (int)level; }

void rtc_log_set_sink(rtc_log_sink_cb cb, void *ud) {
  log_sink = cb;
  log_sink_ud = ud;
}

void rtc__log_write(rtc_log_level_t level, const char *module, const char *fmt, ...) {
  static const char *names[] = {"error", "warn", "info", "debug", "trace"};
  char line[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof(line), fmt, ap);
  va_end(ap);
  if (log_sink) {
    log_sink(level, module, line, log_sink_ud);
    return;
  }
  fprintf(stderr, "luartc %s [%s] %s\n", names[level <= RTC_LOG_TRACE ? level : 0], module, line);
}
