/* DCEP codec (RFC 8832 section 5). */
#include "sctp/rtc_sctp_dcep.h"

#include <string.h>

#include "base/rtc_bytes.h"
#include "base/rtc_err.h"

int rtc_sctp_dcep_type(const uint8_t *p, size_t len) {
  if (!p || len < 1) return RTC_EPARSE;
  return p[0];
}

static int dcep_valid_channel_type(uint8_t t) {
  switch (t & ~RTC_SCTP_DCEP_UNORDERED) {
  case RTC_SCTP_DCEP_RELIABLE:
  case RTC_SCTP_DCEP_REXMIT:
  case RTC_SCTP_DCEP_TIMED: return 1;
  default: return 0;
  }
}

int rtc_sctp_dcep_parse_open(const uint8_t *p, size_t len, rtc_sctp_dcep_open_t *out) {
  /* RFC 8832 section 5.1:
   *  0: Message Type (0x03)  1: Channel Type  2-3: Priority  4-7: Reliability Parameter
   *  8-9: Label Length  10-11: Protocol Length  12-: Label, then Protocol (no padding) */
  if (!p || len < RTC_SCTP_DCEP_OPEN_HEADER || p[0] != RTC_SCTP_DCEP_OPEN) return RTC_EPARSE;
  if (!dcep_valid_channel_type(p[1])) return RTC_EPARSE;
  uint16_t ll = rtc_rd16(p + 8), pl = rtc_rd16(p + 10);
  if ((size_t)ll + pl > len - RTC_SCTP_DCEP_OPEN_HEADER) return RTC_EPARSE;
  const uint8_t *label = p + RTC_SCTP_DCEP_OPEN_HEADER, *proto = label + ll;
  if ((ll && memchr(label, 0, ll)) || (pl && memchr(proto, 0, pl))) return RTC_EPARSE;
  out->channel_type = p[1];
  out->priority = rtc_rd16(p + 2);
  out->reliability = rtc_rd32(p + 4);
  out->label = label;
  out->label_len = ll;
  out->protocol = proto;
  out->protocol_len = pl;
  return 0;
}

int rtc_sctp_dcep_write_open(uint8_t *out, size_t cap, const rtc_sctp_dcep_open_t *o) {
  size_t n = RTC_SCTP_DCEP_OPEN_HEADER + (size_t)o->label_len + o->protocol_len;
  if (!out || cap < n) return RTC_EINVAL;
  out[0] = RTC_SCTP_DCEP_OPEN;
  out[1] = o->channel_type;
  rtc_wr16(out + 2, o->priority);
  rtc_wr32(out + 4, o->reliability);
  rtc_wr16(out + 8, o->label_len);
  rtc_wr16(out + 10, o->protocol_len);
  if (o->label_len) memcpy(out + RTC_SCTP_DCEP_OPEN_HEADER, o->label, o->label_len);
  if (o->protocol_len)
    memcpy(out + RTC_SCTP_DCEP_OPEN_HEADER + o->label_len, o->protocol, o->protocol_len);
  return (int)n;
}

int rtc_sctp_dcep_parse_ack(const uint8_t *p, size_t len) {
  return (p && len >= 1 && p[0] == RTC_SCTP_DCEP_ACK) ? 0 : RTC_EPARSE;
}
