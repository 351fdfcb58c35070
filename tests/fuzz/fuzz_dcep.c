/* libFuzzer target: the DCEP parser (RFC 8832) on arbitrary bytes, and a
 * parse -> write -> parse round trip on whatever it accepts. */
#include <stdlib.h>
#include <string.h>

#include "sctp/rtc_sctp_dcep.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  rtc_sctp_dcep_open_t o, o2;
  (void)rtc_sctp_dcep_type(data, size);
  (void)rtc_sctp_dcep_parse_ack(data, size);
  if (rtc_sctp_dcep_parse_open(data, size, &o) != 0) return 0;
  /* What parsed lies inside the input. */
  if (o.label < data || o.label + o.label_len > data + size) abort();
  if (o.protocol < data || o.protocol + o.protocol_len > data + size) abort();
  size_t n = RTC_SCTP_DCEP_OPEN_HEADER + (size_t)o.label_len + o.protocol_len;
  uint8_t *buf = malloc(n);
  if (!buf) return 0;
  if (rtc_sctp_dcep_write_open(buf, n, &o) != (int)n) abort();
  if (rtc_sctp_dcep_parse_open(buf, n, &o2) != 0) abort();
  if (o2.channel_type != o.channel_type || o2.priority != o.priority ||
      o2.reliability != o.reliability || o2.label_len != o.label_len ||
      o2.protocol_len != o.protocol_len || memcmp(o2.label, o.label, o.label_len) != 0 ||
      memcmp(o2.protocol, o.protocol, o.protocol_len) != 0)
    abort();
  free(buf);
  return 0;
}
