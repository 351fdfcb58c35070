#include "base/rtc_err.h"

const char *rtc_err_name(int err) {
  switch (err) {
  case RTC_OK: return "OK";
#define RTC__ERR_NAME(name, val, msg)                                                              \
  case (val): return #name;
    RTC_ERRNO_MAP(RTC__ERR_NAME)
#undef RTC__ERR_NAME
  }
  return "UNKNOWN";
}

const char *rtc_strerror(int err) {
  switch (err) {
  case RTC_OK: return "success";
#define RTC__ERR_MSG(name, val, msg)                                                               \
  case (val): return msg;
    RTC_ERRNO_MAP(RTC__ERR_MSG)
#undef RTC__ERR_MSG
  }
  return "unknown error";
}
