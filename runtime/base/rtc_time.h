/* Time in the core is always an input: microseconds on a monotonic clock that the
 * io layer (or a test's fake clock) passes in. Nothing under runtime/ except io/
 * reads a clock. */
#ifndef RTC_BASE_TIME_H
#define RTC_BASE_TIME_H
#include <stdint.h>

/* A deadline that never comes: what poll_timeout returns when a layer is idle. */
#define RTC_NEVER UINT64_MAX
#define RTC_MS(x) ((uint64_t)(x)*1000u)

static inline uint64_t rtc_time_min(uint64_t a, uint64_t b) { return a < b ? a : b; }

#endif
