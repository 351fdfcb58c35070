// libFuzzer target for the SDP module: parse, serialize, parse again. Whatever
// parses must serialize, and the canonical text must parse back to the same
// fields (the property tests/unit/sdp_test.c checks on the real fixtures).
// Malformed input must fail with RTC_EPARSE or RTC_ELIMIT and a "line N:" message.
//
// Build (from the repository root):
//   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iruntime -o fuzz_sdp \
//     tests/fuzz/fuzz_sdp.c runtime/base/*.c runtime/sdp/*.c -lm
// Run with the fixtures as seed corpus:
//   ./fuzz_sdp -max_total_time=60 corpus/ tests/fixtures/sdp/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/rtc_err.h"
#include "sdp/rtc_sdp.h"
#include "sdp/rtc_sdp_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  rtc_sdp_t *a = NULL, *b = NULL;
  char err[256];
  int r = rtc_sdp_parse((const char *)data, size, &a, err, sizeof(err));
  if (r != 0) {
    /* A failure always explains itself, naming the line. */
    if (a || (r != RTC_EPARSE && r != RTC_ELIMIT) || strncmp(err, "line ", 5) != 0) abort();
    return 0;
  }
  char *text = rtc_sdp_serialize(a);
  if (!text) abort();
  r = rtc_sdp_parse(text, strlen(text), &b, err, sizeof(err));
  if (r != 0 || rtc__sdp_diff(a, b) != NULL) abort();
  char *text2 = rtc_sdp_serialize(b);
  if (!text2 || strcmp(text, text2) != 0) abort();
  free(text2);
  free(text);
  rtc_sdp_free(a);
  rtc_sdp_free(b);
  return 0;
}
