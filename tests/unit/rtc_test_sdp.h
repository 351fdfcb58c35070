/* Shared by the SDP tests: a fixture file read whole and parsed, failures reported
 * through the test macros of rtc_test.h (include that first). */
#ifndef RTC_TEST_SDP_H
#define RTC_TEST_SDP_H
#include <stdio.h>
#include <stdlib.h>

#include "sdp/rtc_sdp.h"

/* The whole file, NUL-terminated (malloc'd), its length in *len; NULL when unreadable. */
static inline char *rtc_test_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  char *buf = NULL;
  if (!f) return NULL;
  if (fseek(f, 0, SEEK_END) == 0) {
    long n = ftell(f);
    rewind(f);
    if (n >= 0 && (buf = malloc((size_t)n + 1))) {
      *len = fread(buf, 1, (size_t)n, f);
      buf[*len] = '\0';
    }
  }
  fclose(f);
  return buf;
}

/* tests/fixtures/sdp/<name> parsed; a failure is a failed check (and NULL). */
static inline rtc_sdp_t *parse_fixture(const char *name) {
  char path[512], err[256];
  size_t len = 0;
  rtc_sdp_t *s = NULL;
  snprintf(path, sizeof(path), "%s/%s", RTC_TEST_FIXTURES, name);
  char *text = rtc_test_read_file(path, &len);
  CHECK(text != NULL);
  if (!text) return NULL;
  int r = rtc_sdp_parse(text, len, &s, err, sizeof(err));
  if (r) fprintf(stderr, "  %s: %s\n", name, err);
  CHECK_EQ_INT(r, 0);
  free(text);
  return s;
}

#endif
