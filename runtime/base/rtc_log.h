/* Logging: the level is checked before anything is formatted. Lines carry the
 * module and, where there is one, the connection id. Never log keys, ICE
 * passwords or payloads. The sink is settable (the Lua binding routes it to Lua). */
#ifndef RTC_BASE_LOG_H
#define RTC_BASE_LOG_H
#include <stdarg.h>

typedef enum rtc_log_level {
  RTC_LOG_ERROR = 0,
  RTC_LOG_WARN = 1,
  RTC_LOG_INFO = 2,
  RTC_LOG_DEBUG = 3,
  RTC_LOG_TRACE = 4,
} rtc_log_level_t;

typedef void (*rtc_log_sink_cb)(rtc_log_level_t level, const char *module, const char *line,
                                void *ud);

extern int rtc__log_level; /* read by the macro: the highest level of any module */

/* The level of every module without a level of its own. */
void rtc_log_set_level(rtc_log_level_t level);
/* A module's own level ("ice", "dtls", ...; at most 32 modules have one); a negative
 * level drops the module's own level. Returns 0, or RTC_ELIMIT when the table is full. */
int rtc_log_set_module_level(const char *module, int level);
/* Drops every module's own level. */
void rtc_log_clear_module_levels(void);
/* NULL restores the default sink (stderr). */
void rtc_log_set_sink(rtc_log_sink_cb cb, void *ud);
void rtc__log_write(rtc_log_level_t level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define RTC_LOG(level, module, ...)                                                                \
  do {                                                                                             \
    if ((int)(level) <= rtc__log_level) rtc__log_write((level), (module), __VA_ARGS__);            \
  } while (0)

#endif
