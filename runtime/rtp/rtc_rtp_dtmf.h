/* RFC 4733 telephone-events (DTMF) in RTP: the 4-byte payload, the tones a W3C
 * RTCDTMFSender takes, and the receive side's rule for reporting each event once.
 * Pure functions and a small state; no clock, no sockets. */
#ifndef RTC_RTP_DTMF_H
#define RTC_RTP_DTMF_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* RFC 4733 2.3: event, E(nd) bit, volume (0..63, -dBm0), duration in timestamp units. */
typedef struct rtc_rtp_dtmf {
  uint8_t event; /* 0-9, 10 '*', 11 '#', 12-15 'A'-'D' (RFC 4733 3.2) */
  bool end;
  uint8_t volume;
  uint16_t duration;
} rtc_rtp_dtmf_t;

#define RTC_RTP_DTMF_LEN 4

/* '0'-'9', '*', '#', 'A'-'D' (case-insensitive) -> the event code, else -1. */
int rtc_rtp_dtmf_code(char tone);
/* The tone of an event code 0..15, else 0. */
char rtc_rtp_dtmf_tone(int code);

/* Reads the first event of a payload (p, len): 0, or RTC_EPARSE when len < 4 or the
 * event is above 15 (not DTMF: 3.2 leaves other events to other registries). The
 * reserved bit is ignored (2.3.3). */
int rtc_rtp_dtmf_parse(const uint8_t *p, size_t len, rtc_rtp_dtmf_t *out);
void rtc_rtp_dtmf_write(uint8_t out[RTC_RTP_DTMF_LEN], const rtc_rtp_dtmf_t *ev);

/* The receive side: an event's packets share its start timestamp (2.5.2); it is sent
 * again and again with a growing duration, and its end three times. Each event is
 * reported once: on the first packet with the end bit for a timestamp not reported yet.
 * An event longer than 0xFFFF units goes on in segments (2.5.2.3: the next one's
 * timestamp is the last one's plus 0xFFFF); their durations add up. An event whose end
 * was lost is reported when the next one starts, with the last duration seen. */
typedef struct rtc_rtp_dtmf_report {
  uint8_t event;
  uint32_t duration; /* timestamp units, all segments */
} rtc_rtp_dtmf_report_t;

typedef struct rtc_rtp_dtmf_rx {
  bool have;         /* an event seen */
  bool done;         /* it was reported */
  uint32_t ts;       /* its (segment's) timestamp */
  uint32_t base;     /* the duration of its earlier segments */
  rtc_rtp_dtmf_t ev; /* its last packet */
} rtc_rtp_dtmf_rx_t;

/* Hands in one event packet's timestamp and payload; fills out[0..1] with the events to
 * report now (at most 2: an unfinished one and the one ending) and returns how many. */
size_t rtc_rtp_dtmf_rx_handle(rtc_rtp_dtmf_rx_t *rx, uint32_t ts, const rtc_rtp_dtmf_t *ev,
                              rtc_rtp_dtmf_report_t out[2]);

#endif
