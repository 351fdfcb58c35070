/* Shared between the SDP module's files; not part of the public API. */
#ifndef RTC_SDP_INTERNAL_H
#define RTC_SDP_INTERNAL_H
#include <stddef.h>

#include "sdp/rtc_sdp.h"

/* Appends a zeroed m-section (port_count 1, sctp_port and max_message_size -1);
 * NULL at RTC_SDP_MAX_MEDIA or on allocation failure. Invalidates earlier
 * pointers into sdp->media. */
rtc_sdp_media_t *rtc__sdp_media_append(rtc_sdp_t *sdp);
/* Appends a copy of fmt[0..len) to m->fmts: RTC_ELIMIT, RTC_ENOMEM. */
int rtc__sdp_media_add_fmt(rtc_sdp_media_t *m, const char *fmt, size_t len);
/* Frees everything an m-section owns and zeroes it. */
void rtc__sdp_media_clear(rtc_sdp_media_t *m);

/* Field-by-field comparison for tests and the fuzzer: NULL when a and b hold
 * the same values, else the name of the first field that differs (static). */
const char *rtc__sdp_diff(const rtc_sdp_t *a, const rtc_sdp_t *b);

#endif
