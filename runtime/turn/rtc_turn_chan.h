/* TURN ChannelData messages (RFC 8656 12.4): a 4-byte header (channel number
 * 0x4000..0x4FFF, data length) then the data; over TCP/TLS padded to a multiple of 4
 * (RFC 8656 12.5). Demultiplexed from STUN by the first byte (RFC 7983: 64..79).
 * Pure functions on caller memory. */
#ifndef RTC_TURN_CHAN_H
#define RTC_TURN_CHAN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RTC_TURN_CHANNEL_MIN 0x4000
#define RTC_TURN_CHANNEL_MAX 0x4FFF
#define RTC_TURN_CHANNEL_HEADER 4

static inline bool rtc_turn_is_channel_data(const uint8_t *p, size_t len) {
  return len >= RTC_TURN_CHANNEL_HEADER && p[0] >= 0x40 && p[0] <= 0x4F;
}
/* The message's total length on the wire (with padding when stream), or RTC_EAGAIN
 * when fewer than 4 bytes are there, RTC_EPARSE when it is not ChannelData. */
int rtc_turn_channel_data_wire_len(const uint8_t *p, size_t len, bool stream);
/* RTC_EPARSE when not ChannelData or when the length field exceeds len (a datagram
 * may carry padding after the data: it is ignored). */
int rtc_turn_channel_data_parse(const uint8_t *p, size_t len, uint16_t *channel,
                                const uint8_t **data, size_t *data_len);
/* Writes header + data (+ zero padding when stream) to out; returns the length,
 * RTC_EINVAL for a channel outside 0x4000..0x4FFF, RTC_ETOOBIG when it does not fit. */
int rtc_turn_channel_data_write(uint8_t *out, size_t cap, uint16_t channel, const uint8_t *data,
                                size_t len, bool stream);

#endif
