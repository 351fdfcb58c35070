/* Error codes of the whole core: 0 is success, a negative RTC_E* is failure.
 * One X-macro table gives each code its name and message (as libuv does). */
#ifndef RTC_BASE_ERR_H
#define RTC_BASE_ERR_H

#define RTC_ERRNO_MAP(X)                                                                           \
  X(EINVAL, -1, "invalid argument")                                                                \
  X(ENOMEM, -2, "out of memory")                                                                   \
  X(ESTATE, -3, "operation not allowed in the current state")                                      \
  X(EPARSE, -4, "malformed input")                                                                 \
  X(EAGAIN, -5, "resource temporarily unavailable, try again later")                               \
  X(ETOOBIG, -6, "message too large")                                                              \
  X(EIO, -7, "input/output error")                                                                 \
  X(ECRYPTO, -8, "cryptographic failure")                                                          \
  X(ECLOSED, -9, "object is closed")                                                               \
  X(ENOTSUP, -10, "not supported")                                                                 \
  X(ELIMIT, -11, "limit reached")                                                                  \
  X(EAUTH, -12, "authentication failed")                                                           \
  X(ENOTFOUND, -13, "not found")                                                                   \
  X(EREPLAY, -14, "replayed or too old packet")

typedef enum rtc_errno {
  RTC_OK = 0,
#define RTC__ERR_ENUM(name, val, msg) RTC_##name = (val),
  RTC_ERRNO_MAP(RTC__ERR_ENUM)
#undef RTC__ERR_ENUM
} rtc_errno_t;

/* "EINVAL" etc.; "UNKNOWN" for a code outside the table. Static strings. */
const char *rtc_err_name(int err);
/* Human-readable message. Static strings. */
const char *rtc_strerror(int err);

#endif
