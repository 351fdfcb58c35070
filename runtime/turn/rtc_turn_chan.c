/* TURN ChannelData framing (RFC 8656 12.4 / 12.5). */
#include "turn/rtc_turn_chan.h"

#include <string.h>

#include "base/rtc_bytes.h"
#include "base/rtc_err.h"

int rtc_turn_channel_data_wire_len(const uint8_t *p, size_t len, bool stream) {
  if (len < RTC_TURN_CHANNEL_HEADER) return RTC_EAGAIN;
  if (p[0] < 0x40 || p[0] > 0x4F) return RTC_EPARSE;
  size_t n = RTC_TURN_CHANNEL_HEADER + rtc_rd16(p + 2);
  if (stream) n = (n + 3) & ~(size_t)3;
  return (int)n;
}

int rtc_turn_channel_data_parse(const uint8_t *p, size_t len, uint16_t *channel,
                                const uint8_t **data, size_t *data_len) {
  if (!p || !rtc_turn_is_channel_data(p, len)) return RTC_EPARSE;
  size_t n = rtc_rd16(p + 2);
  if (n > len - RTC_TURN_CHANNEL_HEADER) return RTC_EPARSE;
  *channel = rtc_rd16(p);
  *data = p + RTC_TURN_CHANNEL_HEADER;
  *data_len = n;
  return 0;
}

int rtc_turn_channel_data_write(uint8_t *out, size_t cap, uint16_t channel, const uint8_t *data,
                                size_t len, bool stream) {
  if (channel < RTC_TURN_CHANNEL_MIN || channel > RTC_TURN_CHANNEL_MAX) return RTC_EINVAL;
  if (len > 0xFFFF) return RTC_ETOOBIG;
  size_t total = RTC_TURN_CHANNEL_HEADER + len;
  size_t wire = stream ? (total + 3) & ~(size_t)3 : total;
  if (wire > cap) return RTC_ETOOBIG;
  rtc_wr16(out, channel);
  rtc_wr16(out + 2, (uint16_t)len);
  if (len) memcpy(out + RTC_TURN_CHANNEL_HEADER, data, len);
  memset(out + total, 0, wire - total);
  return (int)wire;
}
