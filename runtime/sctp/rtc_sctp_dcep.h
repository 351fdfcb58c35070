/* DCEP, the Data Channel Establishment Protocol (RFC 8832): the two control
 * messages sent with PPID 50 on a channel's stream. Pure codec, no state. */
#ifndef RTC_SCTP_DCEP_H
#define RTC_SCTP_DCEP_H
#include <stddef.h>
#include <stdint.h>

/* SCTP payload protocol identifiers (RFC 8831 section 8, RFC 8832 section 8.1). */
#define RTC_SCTP_PPID_DCEP 50
#define RTC_SCTP_PPID_STRING 51
#define RTC_SCTP_PPID_BINARY 53
#define RTC_SCTP_PPID_STRING_EMPTY 56
#define RTC_SCTP_PPID_BINARY_EMPTY 57

/* Message types (RFC 8832 section 8.2.1). */
#define RTC_SCTP_DCEP_ACK 0x02
#define RTC_SCTP_DCEP_OPEN 0x03

/* Channel types (RFC 8832 section 5.1); bit 0x80 = unordered. */
#define RTC_SCTP_DCEP_RELIABLE 0x00
#define RTC_SCTP_DCEP_REXMIT 0x01
#define RTC_SCTP_DCEP_TIMED 0x02
#define RTC_SCTP_DCEP_UNORDERED 0x80

#define RTC_SCTP_DCEP_OPEN_HEADER 12 /* bytes before label and protocol */

typedef struct rtc_sctp_dcep_open {
  uint8_t channel_type;
  uint16_t priority;
  uint32_t reliability; /* retransmissions or lifetime ms, by channel_type */
  const uint8_t *label; /* borrowed from the parsed buffer, NOT NUL-terminated */
  uint16_t label_len;
  const uint8_t *protocol;
  uint16_t protocol_len;
} rtc_sctp_dcep_open_t;

/* Message type of a DCEP message (first byte); RTC_EPARSE when empty. */
int rtc_sctp_dcep_type(const uint8_t *p, size_t len);
/* Parses a DATA_CHANNEL_OPEN. RTC_EPARSE when truncated, of an unknown channel
 * type, or when label/protocol hold a NUL byte (we hand them on as C strings).
 * Trailing bytes after the protocol are ignored (RFC 8832 gives no rule; be liberal). */
int rtc_sctp_dcep_parse_open(const uint8_t *p, size_t len, rtc_sctp_dcep_open_t *out);
/* Serialises an OPEN into out; returns its length, or RTC_EINVAL when cap is too small. */
int rtc_sctp_dcep_write_open(uint8_t *out, size_t cap, const rtc_sctp_dcep_open_t *o);
/* Parses an ACK (RFC 8832 section 5.2: one byte). 0 or RTC_EPARSE. */
int rtc_sctp_dcep_parse_ack(const uint8_t *p, size_t len);

#endif
