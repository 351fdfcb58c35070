#include "base/rtc_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rtc_err.h"

/* The macro's gate is the highest level any module logs at, so a module at debug
 * while the rest stay at warn costs the others one comparison, as before; the
 * per-module check runs only for lines that pass the gate. */
int rtc__log_level = RTC_LOG_WARN;
static int log_default = RTC_LOG_WARN;
#define LOG_MODULES 32
static struct {
  char name[16];
  int level;
} log_modules[LOG_MODULES];
static int log_nmodules;
static rtc_log_sink_cb log_sink;
static void *log_sink_ud;

static void log_update_gate(void) {
  int max = log_default;
  for (int i = 0; i < log_nmodules; i++)
    if (log_modules[i].level > max) max = log_modules[i].level;
  rtc__log_level = max;
}

void rtc_log_set_level(rtc_log_level_t level) {
  log_default = (int)level;
  log_update_gate();
}

int rtc_log_set_module_level(const char *module, int level) {
  int i;
  for (i = 0; i < log_nmodules; i++)
    if (strcmp(log_modules[i].name, module) == 0) break;
  if (level < 0) {
    if (i < log_nmodules) log_modules[i] = log_modules[--log_nmodules];
    log_update_gate();
    return 0;
  }
  if (i == log_nmodules) {
    if (log_nmodules == LOG_MODULES) return RTC_ELIMIT;
    snprintf(log_modules[i].name, sizeof log_modules[i].name, "%s", module);
    log_nmodules++;
  }
  log_modules[i].level = level;
  log_update_gate();
  return 0;
}

void rtc_log_clear_module_levels(void) {
  log_nmodules = 0;
  log_update_gate();
}

static int log_level_of(const char *module) {
  for (int i = 0; i < log_nmodules; i++)
    if (module && strncmp(log_modules[i].name, module, sizeof log_modules[i].name) == 0)
      return log_modules[i].level;
  return log_default;
}

void rtc_log_set_sink(rtc_log_sink_cb cb, void *ud) {
  log_sink = cb;
  log_sink_ud = ud;
}

void rtc__log_write(rtc_log_level_t level, const char *module, const char *fmt, ...) {
  static const char *names[] = {"error", "warn", "info", "debug", "trace"};
  if ((int)level > log_level_of(module)) return;
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
