/* Counting the process's malloc/calloc/realloc calls (and free, for balance checks),
 * libraries included (mbedTLS, libsrtp, NSS, libcrypto), by defining them in front of
 * glibc's: for tests that show a path allocates nothing. Not under ASan, which owns
 * the allocator: there ALLOC_COUNTED is 0 and the counters stay 0, so checks go
 * `if (ALLOC_COUNTED) CHECK(...)`. Include it in one test file only (it defines the
 * allocator for the whole program). */
#ifndef RTC_TEST_ALLOC_COUNT_H
#define RTC_TEST_ALLOC_COUNT_H

#include <stddef.h>

#if defined(__SANITIZE_ADDRESS__)
#define ALLOC_COUNTED 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ALLOC_COUNTED 0
#endif
#endif

static long alloc_calls __attribute__((unused)), free_calls __attribute__((unused));

#ifndef ALLOC_COUNTED
#define ALLOC_COUNTED 1
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);
void *malloc(size_t n) {
  alloc_calls++;
  return __libc_malloc(n);
}
void *calloc(size_t n, size_t size) {
  alloc_calls++;
  return __libc_calloc(n, size);
}
void *realloc(void *p, size_t n) {
  alloc_calls++;
  return __libc_realloc(p, n);
}
void free(void *p) {
  if (p) free_calls++;
  __libc_free(p);
}
#endif

#endif
