// libFuzzer target for ICE candidate lines (RFC 8839 5.1): whatever parses must
// format, and the formatted text must parse back to the same candidate.
//
// Build (from the repository root):
//   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=gnu11 -Iruntime -o fuzz_ice_candidate \
//     tests/fuzz/fuzz_ice_candidate.c runtime/base/*.c runtime/ice/rtc_ice_candidate.c -lm
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/rtc_err.h"
#include "ice/rtc_ice_candidate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char text[2048];
  if (size >= sizeof text) return 0;
  memcpy(text, data, size);
  text[size] = 0;
  rtc_ice_candidate_t a, b;
  int r = rtc_ice_candidate_parse(text, &a);
  if (r != 0) {
    if (r != RTC_EPARSE) abort();
    return 0;
  }
  char out[1024];
  int n = rtc_ice_candidate_format(&a, true, out, sizeof out);
  if (n < 0) abort();
  if (rtc_ice_candidate_parse(out, &b) != 0) abort();
  if (strcmp(a.foundation, b.foundation) || strcmp(a.address, b.address) || a.port != b.port ||
      a.priority != b.priority || a.type != b.type || a.transport != b.transport ||
      a.component != b.component || a.generation != b.generation || a.rport != b.rport ||
      strcmp(a.raddr, b.raddr) || strcmp(a.tcptype, b.tcptype) || strcmp(a.ufrag, b.ufrag) ||
      a.address_is_ip != b.address_is_ip)
    abort();
  return 0;
}
