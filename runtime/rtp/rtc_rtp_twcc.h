/* Receive side of transport-wide congestion control
 * (draft-holmer-rmcat-transport-wide-cc-extensions-01): records the arrival time of each
 * transport-wide sequence number (the header extension, one counter over every SSRC of
 * the transport) and builds the RTPFB feedback the sender's bandwidth estimator needs.
 * Sans-IO, a fixed ring allocated in create, nothing per packet. */
#ifndef RTC_RTP_TWCC_H
#define RTC_RTP_TWCC_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct rtc_rtp_twcc rtc_rtp_twcc_t;

/* slots: arrivals kept, rounded up to a power of two; 0 = 1024. NULL on out of memory. */
rtc_rtp_twcc_t *rtc_rtp_twcc_create(size_t slots);
void rtc_rtp_twcc_destroy(rtc_rtp_twcc_t *t);

/* A packet carrying transport-wide sequence number seq arrived at now_us (> 0). A packet
 * older than what was already reported, or a duplicate, is ignored; a jump beyond the
 * ring gives up the oldest unreported entries. */
void rtc_rtp_twcc_record(rtc_rtp_twcc_t *t, uint64_t now_us, uint16_t seq);

/* True when arrivals wait to be reported. */
bool rtc_rtp_twcc_has_pending(const rtc_rtp_twcc_t *t);

/* Writes one feedback packet for the arrivals recorded since the last one (from the first
 * received one; losses in between are reported as not received) and marks them reported.
 * libwebrtc sends one about every 100 ms; call again while has_pending (a feedback ends
 * early at 1024 packets or an 8 s gap). Returns the length, 0 when nothing is pending,
 * RTC_ETOOBIG when cap is too small (nothing marked). media_ssrc: any of the media SSRCs
 * (libwebrtc puts the first one's). */
int rtc_rtp_twcc_write_feedback(rtc_rtp_twcc_t *t, uint8_t *out, size_t cap, uint32_t sender_ssrc,
                                uint32_t media_ssrc);

#endif
