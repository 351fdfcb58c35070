/* libFuzzer target: the server-side ClientHello reassembler. The input is a
 * sequence of datagrams, each prefixed by a 2-byte length. Checks that a
 * READY output is one well-formed record holding an unfragmented ClientHello.
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iruntime \
 *     tests/fuzz/fuzz_dtls_reassembly.c runtime/dtls/rtc_dtls_reassembly.c runtime/base/rtc_log.c
 */
#include <stdint.h>
#include <stdlib.h>

#include "base/rtc_bytes.h"
#include "dtls/rtc_dtls_reassembly.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  rtc_dtls_reasm_t r;
  rtc_dtls_reasm_init(&r);
  size_t pos = 0;
  while (size - pos >= 2) {
    size_t len = rtc_rd16(data + pos);
    pos += 2;
    if (len > size - pos) len = size - pos;
    const uint8_t *out = NULL;
    size_t out_len = 0;
    rtc_dtls_reasm_result_t res = rtc_dtls_reasm_feed(&r, data + pos, len, &out, &out_len);
    if (res == RTC_DTLS_REASM_READY) {
      uint32_t length = rtc_rd24(out + 14);
      if (out_len != 25 + (size_t)length || out[0] != 22 || out[13] != 1 ||
          rtc_rd16(out + 3) != 0 || rtc_rd16(out + 11) != 12 + length || rtc_rd24(out + 19) != 0 ||
          rtc_rd24(out + 22) != length || length > RTC_DTLS_REASM_MAX_BODY)
        abort();
      volatile uint8_t sink = 0;
      for (size_t i = 0; i < out_len; i++)
        sink ^= out[i]; /* all bytes readable */
      (void)sink;
    }
    pos += len;
  }
  rtc_dtls_reasm_close(&r);
  return 0;
}
