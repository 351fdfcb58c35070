#include "base/rtc_random.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>

static rtc_random_source_cb random_source;
static void *random_source_ud;

void rtc_random_set_source(rtc_random_source_cb fn, void *ud) {
  random_source = fn;
  random_source_ud = ud;
}

void rtc_random_bytes(void *buf, size_t len) {
  if (random_source) {
    random_source(random_source_ud, buf, len);
    return;
  }
  unsigned char *p = buf;
  while (len > 0) {
    ssize_t n = getrandom(p, len, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      abort(); /* no randomness means no security: never go on without it */
    }
    p += n;
    len -= (size_t)n;
  }
}

uint32_t rtc_random_u32(void) {
  uint32_t v;
  rtc_random_bytes(&v, sizeof(v));
  return v;
}

uint64_t rtc_random_u64(void) {
  uint64_t v;
  rtc_random_bytes(&v, sizeof(v));
  return v;
}

void rtc_random_ice_string(char *out, size_t len) {
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  unsigned char raw[256];
  size_t i = 0;
  while (i < len) {
    size_t n = len - i < sizeof(raw) ? len - i : sizeof(raw);
    rtc_random_bytes(raw, n);
    for (size_t k = 0; k < n; k++)
      out[i + k] = alphabet[raw[k] & 63];
    i += n;
  }
  out[len] = '\0';
}
