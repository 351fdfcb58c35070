// libFuzzer target for the mDNS codec: the response parser and the responder's
// query reader on arbitrary bytes (looking for a Chromium-style name, a short name
// and the root-adjacent "local" name), then the input as a name for build_query and
// build_answer, whose output must round-trip through the parsers. Nothing may crash
// or read out of bounds; results stay in the documented set.
//
// Build (from the repository root):
//   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iruntime -o fuzz_mdns \
//     tests/fuzz/fuzz_mdns.c runtime/base/*.c runtime/ice/rtc_mdns.c
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/rtc_addr.h"
#include "base/rtc_err.h"
#include "ice/rtc_mdns.h"

static void check_query(const uint8_t *d, size_t n, const char *name) {
  bool qu = false;
  int r = rtc_mdns_query_asks(d, n, name, &qu);
  if (r != RTC_EPARSE && (r < 0 || r > 3)) abort();
  if (qu && r <= 0) abort();
}

static void check_parse(const uint8_t *d, size_t n, const char *name) {
  rtc_addr_t a;
  memset(&a, 0, sizeof a);
  int r = rtc_mdns_parse_response(d, n, name, &a);
  if (r != 0 && r != 1 && r != RTC_EPARSE) abort();
  if (r == 1) {
    if (rtc_addr_family(&a) != AF_INET && rtc_addr_family(&a) != AF_INET6) abort();
    if (rtc_addr_port(&a) != 0) abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  /* A copy of exactly n bytes: libFuzzer's buffer already is, but keep it explicit. */
  uint8_t *m = malloc(n ? n : 1);
  if (!m) return 0;
  memcpy(m, d, n);
  check_parse(m, n, "1f4c3b2a-8d9e-4f01-a2b3-c4d5e6f70819.local");
  check_parse(m, n, "a.local");
  check_parse(m, n, "A.LOCAL.");
  check_query(m, n, "1f4c3b2a-8d9e-4f01-a2b3-c4d5e6f70819.local");
  check_query(m, n, "a.local");
  free(m);

  /* The input as a name. */
  char name[300];
  size_t k = n < sizeof name - 1 ? n : sizeof name - 1;
  memcpy(name, d, k);
  name[k] = 0;
  (void)rtc_mdns_is_local_name(name);
  uint8_t q[512];
  int qn = rtc_mdns_build_query(name, RTC_MDNS_TYPE_A, q, sizeof q - 16);
  if (qn == RTC_EINVAL || qn == RTC_ETOOBIG) return 0;
  if (qn < 12 + 2 + 4 || qn > 12 + 255 + 4) abort();
  if (!rtc_mdns_is_local_name(name)) abort(); /* build_query is the stricter check */
  rtc_addr_t a;
  if (rtc_mdns_parse_response(q, (size_t)qn, name, &a) != 0) abort(); /* a query: QR clear */
  q[2] = 0x84;                                                        /* QR, AA */
  q[7] = 1;                                                           /* ANCOUNT 1 */
  memcpy(q + qn, "\xc0\x0c\x00\x01\x80\x01\x00\x00\x00\x78\x00\x04\x0a\x01\x02\x03", 16);
  if (rtc_mdns_parse_response(q, (size_t)qn + 16, name, &a) != 1) abort();
  if (rtc_addr_family(&a) != AF_INET || a.u.in4.sin_addr.s_addr != htonl(0x0a010203)) abort();
  /* The query asks for the name; our answer to it (both forms) is read back. */
  if (rtc_mdns_query_asks(q, (size_t)qn, name, NULL) != 0) abort(); /* a response now */
  q[2] = 0;
  q[7] = 0;
  if (rtc_mdns_query_asks(q, (size_t)qn, name, NULL) != 1) abort();
  uint8_t ans[600];
  for (int legacy = 0; legacy < 2; legacy++) {
    int an = rtc_mdns_build_answer(name, &a, 120, legacy, 7, ans, sizeof ans);
    if (an <= 0) abort();
    rtc_addr_t b;
    if (rtc_mdns_parse_response(ans, (size_t)an, name, &b) != 1 || !rtc_addr_equal(&a, &b)) abort();
  }
  return 0;
}
