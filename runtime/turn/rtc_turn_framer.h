/* Message boundaries on a TCP or TLS stream to a TURN server (RFC 8656 12.5): STUN
 * messages (20-byte header with their length) and ChannelData (4-byte header with
 * its length, padded to a multiple of 4 on streams) follow one another with nothing
 * in between. Bytes in, whole messages out; sans-IO, one buffer allocated at
 * creation. */
#ifndef RTC_TURN_FRAMER_H
#define RTC_TURN_FRAMER_H
#include <stddef.h>
#include <stdint.h>

/* The largest message: a STUN message of 65532 bytes after its header (ChannelData
 * is at most 4 + 65536 padded). */
#define RTC_TURN_FRAMER_MAX (20 + 65532)

typedef struct rtc_turn_framer rtc_turn_framer_t;

rtc_turn_framer_t *rtc_turn_framer_create(void); /* NULL: no memory */
void rtc_turn_framer_destroy(rtc_turn_framer_t *f);
/* Appends stream bytes; returns how many were taken (less than len when the buffer is
 * full: take messages out with next, then push the rest). */
size_t rtc_turn_framer_push(rtc_turn_framer_t *f, const uint8_t *p, size_t len);
/* The next whole message (*msg borrowed until the next push/next call): 1, or 0 when
 * more bytes are needed, or RTC_EPARSE when the stream is neither STUN nor ChannelData
 * (it cannot be resynchronised: the connection is broken). */
int rtc_turn_framer_next(rtc_turn_framer_t *f, const uint8_t **msg, size_t *len);

#endif
