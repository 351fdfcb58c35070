/* A minimal unit-test harness: CHECK records a failure and goes on; each binary
 * prints one "RESULT passed=N failed=M" line that tests/run_unit.sh sums. */
#ifndef RTC_TEST_H
#define RTC_TEST_H
#include <stdio.h>
#include <string.h>

static int rtc_test_passed, rtc_test_failed, rtc_test_cur_failed;
static const char *rtc_test_cur;

#define CHECK(cond)                                                                                \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      fprintf(stderr, "  FAIL %s:%d in %s: %s\n", __FILE__, __LINE__, rtc_test_cur, #cond);        \
      rtc_test_cur_failed = 1;                                                                     \
    }                                                                                              \
  } while (0)
#define CHECK_EQ_INT(a, b)                                                                         \
  do {                                                                                             \
    long long _a = (long long)(a), _b = (long long)(b);                                            \
    if (_a != _b) {                                                                                \
      fprintf(stderr, "  FAIL %s:%d in %s: %s == %s (%lld != %lld)\n", __FILE__, __LINE__,         \
              rtc_test_cur, #a, #b, _a, _b);                                                       \
      rtc_test_cur_failed = 1;                                                                     \
    }                                                                                              \
  } while (0)
#define CHECK_STR(a, b)                                                                            \
  do {                                                                                             \
    const char *_a = (a), *_b = (b);                                                               \
    if (!_a || !_b || strcmp(_a, _b) != 0) {                                                       \
      fprintf(stderr, "  FAIL %s:%d in %s: %s == \"%s\" (got \"%s\")\n", __FILE__, __LINE__,       \
              rtc_test_cur, #a, _b ? _b : "(null)", _a ? _a : "(null)");                           \
      rtc_test_cur_failed = 1;                                                                     \
    }                                                                                              \
  } while (0)

#define RUN_TEST(fn)                                                                               \
  do {                                                                                             \
    rtc_test_cur = #fn;                                                                            \
    rtc_test_cur_failed = 0;                                                                       \
    fn();                                                                                          \
    if (rtc_test_cur_failed) {                                                                     \
      rtc_test_failed++;                                                                           \
      fprintf(stderr, "not ok %s\n", #fn);                                                         \
    } else {                                                                                       \
      rtc_test_passed++;                                                                           \
      printf("ok %s\n", #fn);                                                                      \
    }                                                                                              \
  } while (0)

#define TEST_MAIN_END()                                                                            \
  do {                                                                                             \
    printf("RESULT passed=%d failed=%d\n", rtc_test_passed, rtc_test_failed);                      \
    return rtc_test_failed ? 1 : 0;                                                                \
  } while (0)

/* Real SDP captured from nine implementations (copied from shared/fixtures), relative to the
 * repository root. */
#ifndef RTC_TEST_FIXTURES
#define RTC_TEST_FIXTURES "tests/fixtures/sdp"
#endif

#endif
