/* The send side of one media SSRC (sans-IO): sequence numbers, a history ring of sent
 * packets answering NACKs with RTX (RFC 4588), the counts and timestamps of a sender
 * report (RFC 3550 section 6.4.1), and RTT from the peer's report blocks (LSR/DLSR).
 *
 * Memory: the history ring (history_slots * max_packet) is allocated in create; nothing
 * per packet. Time is now_us from the caller; NTP time, when needed, comes in too. */
#ifndef RTC_RTP_SEND_H
#define RTC_RTP_SEND_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rtp/rtc_rtcp.h"
#include "rtp/rtc_rtp.h"

typedef struct rtc_rtp_send_config {
  uint32_t ssrc;
  uint8_t pt;
  uint32_t clock_rate; /* for the SR's RTP timestamp; 90000 video, 48000 Opus */
  uint16_t first_seq;  /* RFC 3550: random; the caller draws it (rtc_random_u32) */
  bool has_rtx;        /* answer NACKs on rtx_ssrc/rtx_pt (a=ssrc-group:FID, apt=pt) */
  uint32_t rtx_ssrc;
  uint8_t rtx_pt;
  uint16_t rtx_first_seq;
  size_t history_slots; /* sent packets kept; rounded up to a power of two; 0 = 512;
                           audio without NACK may use 1 */
  size_t max_packet;    /* largest RTP packet; 0 = 1500 */
  /* A simulcast layer's RTX (RFC 8852 3.2): the element with id rid_ext (its
   * rtp-stream-id) is resent as repaired-rtp-stream-id with id rrid_ext, or dropped
   * when rrid_ext is 0. rid_ext 0: extensions resent as sent. */
  uint8_t rid_ext, rrid_ext;
} rtc_rtp_send_config_t;

typedef struct rtc_rtp_send rtc_rtp_send_t;

/* Copies cfg. NULL on out of memory. */
rtc_rtp_send_t *rtc_rtp_send_create(const rtc_rtp_send_config_t *cfg);
void rtc_rtp_send_destroy(rtc_rtp_send_t *s);

/* Writes the next RTP packet into out: h gives ts, marker, CSRCs and extensions (its
 * ssrc, pt and seq are overwritten with ours: h is updated so the caller sees the seq);
 * payload is copied after the header. The packet is kept in the history for RTX.
 * Returns the packet length, RTC_ETOOBIG when it exceeds cap or max_packet. */
/* The instant of the caller's clock that RTP timestamp ts stands for (a frame's capture
 * time): SRs extrapolate from it instead of from the last packet's send time. */
void rtc_rtp_send_set_capture(rtc_rtp_send_t *s, uint32_t ts, uint64_t capture_us);
int rtc_rtp_send_packet(rtc_rtp_send_t *s, uint64_t now_us, rtc_rtp_header_t *h,
                        const uint8_t *payload, size_t payload_len, uint8_t *out, size_t cap);

/* A packet of another payload format on the same SSRC and sequence (an RFC 4733
 * event on the audio stream): pt is written as given, the packet is kept for RTX and
 * counted; h->ts is the event's and does not move the SR's clock anchor. */
int rtc_rtp_send_event_packet(rtc_rtp_send_t *s, rtc_rtp_header_t *h, uint8_t pt,
                              const uint8_t *payload, size_t payload_len, uint8_t *out, size_t cap);
/* The RTP timestamp of instant now_us, extrapolated from the last media packet (or
 * capture time) with the clock rate: where an event that starts now begins. */
uint32_t rtc_rtp_send_ts_at(const rtc_rtp_send_t *s, uint64_t now_us);

/* Answers a NACK for seq: writes the retransmission into out and returns its length.
 * With RTX: header as sent (CSRCs, extensions, marker, ts; the rid as repaired rid, see
 * rid_ext) but rtx_ssrc, rtx_pt and the next RTX sequence number, payload = original seq (2 bytes) + original payload.
 * Without RTX: the original packet unchanged (RFC 4585 in-stream repair).
 * RTC_ENOTFOUND when seq left the history, RTC_EAGAIN when it was resent less than one
 * RTT ago (duplicate NACKs), RTC_ETOOBIG when cap is too small. */
int rtc_rtp_send_rtx(rtc_rtp_send_t *s, uint64_t now_us, uint16_t seq, uint8_t *out, size_t cap);

/* Fills the sender-info part of an SR (ssrc, ntp = ntp_now, the RTP timestamp matching
 * now_us extrapolated from the last packet sent, packet and octet counts; rb_count = 0)
 * and remembers when it was made, to compute RTT from the report blocks that answer it.
 * Add report blocks, then rtc_rtcp_write_sr. False (nothing filled) before any packet:
 * RFC 3550 sends an RR then. */
bool rtc_rtp_send_sr(rtc_rtp_send_t *s, uint64_t now_us, uint64_t ntp_now, rtc_rtcp_sr_t *out);

/* A report block about our SSRC from the peer's SR/RR: updates RTT (now - time of the SR
 * named by LSR - DLSR) and the remote loss/jitter figures. RTC_EINVAL when rb->ssrc is
 * not ours; RTC_ENOTFOUND when LSR is 0 or names no SR we remember (stats still kept). */
int rtc_rtp_send_handle_report_block(rtc_rtp_send_t *s, uint64_t now_us, const rtc_rtcp_rb_t *rb);

/* Last RTT measured, 0 before the first. */
uint64_t rtc_rtp_send_rtt_us(const rtc_rtp_send_t *s);

typedef struct rtc_rtp_send_stats {
  uint64_t packets;      /* media packets sent (not RTX) */
  uint64_t bytes;        /* their payload bytes (the SR octet count) */
  uint64_t rtx_packets;  /* retransmissions written */
  uint64_t rtx_bytes;    /* their payload bytes (OSN included) */
  uint64_t nack_missed;  /* NACKed packets no longer in the history */
  uint64_t rtt_us;       /* 0 before the first measurement */
  uint8_t fraction_lost; /* from the last report block, 1/256 */
  int32_t cumulative_lost;
  uint32_t jitter; /* RTP units, from the last report block */
  uint16_t next_seq, next_rtx_seq; /* where a sender for the same SSRCs goes on */
} rtc_rtp_send_stats_t;
void rtc_rtp_send_get_stats(const rtc_rtp_send_t *s, rtc_rtp_send_stats_t *out);

#endif
