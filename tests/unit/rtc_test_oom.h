/* The C-side allocator hook of the out-of-memory tests (pc_oom_test, lua_oom_test),
 * included by one test file each. The binary is linked with
 * -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free,--wrap=strdup,--wrap=strndup
 * (Makefile), so every such call in librtc.a, the bindings and the test itself comes here;
 * libraries (mbedTLS, usrsctp, libsrtp2, LuaJIT) keep the real ones.
 *
 * Two things: the allocation numbered rtc_test_oom_fail_at fails (-1: none), and the
 * blocks handed out are kept in a set, so rtc_test_oom_live is the number our code holds.
 * The set is XOR-masked, so that LeakSanitizer and valgrind, which scan memory for
 * pointers, do not count it as a reference: a lost block is reported by them too. */
#ifndef RTC_TEST_OOM_H
#define RTC_TEST_OOM_H
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);

static long rtc_test_oom_count;        /* allocations so far */
static long rtc_test_oom_fail_at = -1; /* the allocation number that fails (-1: none) */
static long rtc_test_oom_failed;       /* how many failed */
static long rtc_test_oom_live;         /* blocks our code holds */

#define RTC_TEST_OOM_BITS 20
#define RTC_TEST_OOM_SIZE (1u << RTC_TEST_OOM_BITS)
#define RTC_TEST_OOM_MASK ((uintptr_t)0xA5A5A5A5A5A5A5A5ull)
static uintptr_t rtc_test_oom_slots[RTC_TEST_OOM_SIZE]; /* open addressing; 1: a tombstone */

static uint32_t rtc_test_oom_hash(void *p) {
  uint64_t x = (uint64_t)(uintptr_t)p * 0x9E3779B97F4A7C15ull;
  return (uint32_t)(x >> (64 - RTC_TEST_OOM_BITS));
}

static void rtc_test_oom_add(void *p) {
  if (!p) return;
  for (uint32_t i = rtc_test_oom_hash(p);; i = (i + 1) & (RTC_TEST_OOM_SIZE - 1))
    if (rtc_test_oom_slots[i] <= 1) {
      rtc_test_oom_slots[i] = (uintptr_t)p ^ RTC_TEST_OOM_MASK;
      rtc_test_oom_live++;
      return;
    }
}

static void rtc_test_oom_del(void *p) {
  if (!p) return;
  for (uint32_t i = rtc_test_oom_hash(p); rtc_test_oom_slots[i];
       i = (i + 1) & (RTC_TEST_OOM_SIZE - 1))
    if (rtc_test_oom_slots[i] == ((uintptr_t)p ^ RTC_TEST_OOM_MASK)) {
      rtc_test_oom_slots[i] = 1;
      rtc_test_oom_live--;
      return;
    }
  /* not ours: a library's block freed by our code */
}

static bool rtc_test_oom_now(void) {
  if (rtc_test_oom_count++ == rtc_test_oom_fail_at) {
    rtc_test_oom_failed++;
    return true;
  }
  return false;
}

void *__wrap_malloc(size_t n) {
  if (rtc_test_oom_now()) return NULL;
  void *p = __real_malloc(n);
  rtc_test_oom_add(p);
  return p;
}
void *__wrap_calloc(size_t n, size_t m) {
  if (rtc_test_oom_now()) return NULL;
  void *p = __real_calloc(n, m);
  rtc_test_oom_add(p);
  return p;
}
void *__wrap_realloc(void *old, size_t n) {
  if (rtc_test_oom_now()) return NULL;
  void *p = __real_realloc(old, n);
  if (p || n == 0) rtc_test_oom_del(old);
  rtc_test_oom_add(p);
  return p;
}
void __wrap_free(void *p) {
  rtc_test_oom_del(p);
  __real_free(p);
}
char *__wrap_strdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *p = __wrap_malloc(n);
  if (p) memcpy(p, s, n);
  return p;
}
char *__wrap_strndup(const char *s, size_t max) {
  size_t n = strnlen(s, max);
  char *p = __wrap_malloc(n + 1);
  if (p) {
    memcpy(p, s, n);
    p[n] = '\0';
  }
  return p;
}

#endif
