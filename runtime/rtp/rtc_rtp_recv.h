/* The receive side of one media SSRC (sans-IO): a bounded reorder buffer keyed by
 * extended sequence number, frame assembly on top (rtc_rtp_codec.h depayloaders), loss
 * detection producing NACK lists (RFC 4585) with a retry limit and RTT pacing, RTX
 * unwrapping (RFC 4588), RFC 3550 statistics (jitter, cumulative and fraction lost) for
 * receiver reports, and the last SR (LSR/DLSR for RTT, NTP<->RTP mapping for A/V sync).
 *
 * Driving it (str0m-style): after each handle_* call, drain poll_frame; send what
 * poll_nack / poll_keyframe_request ask for; call handle_timeout at poll_timeout.
 * Memory: everything is allocated in create (reorder_slots * max_packet + max_frame);
 * nothing per packet. Time is always now_us from the caller (monotonic microseconds). */
#ifndef RTC_RTP_RECV_H
#define RTC_RTP_RECV_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rtp/rtc_rtcp.h"
#include "rtp/rtc_rtp.h"
#include "rtp/rtc_rtp_codec.h"

typedef struct rtc_rtp_recv_config {
  uint32_t ssrc;         /* the media SSRC */
  rtc_rtp_codec_t codec; /* depayloader to run */
  uint32_t clock_rate;   /* 0: the codec's (rtc_rtp_codec_clock_rate) */
  bool has_rtx;          /* RFC 4588 retransmissions arrive on rtx_ssrc with rtx_pt */
  uint32_t rtx_ssrc;
  uint8_t rtx_pt;
  bool nack;                 /* produce NACK lists (a=rtcp-fb:PT nack) */
  size_t reorder_slots;      /* packets held; rounded up to a power of two; 0 = 512 */
  size_t max_packet;         /* largest payload kept; 0 = 1500 */
  size_t max_frame;          /* largest rebuilt frame; 0 = 1 MiB */
  uint64_t max_wait_us;      /* how long a gap holds later packets back before the
                                missing ones are given up; 0 = 300 ms video, 60 ms audio.
                                Grown to 2*RTT + 20 ms when NACK is on. */
  uint32_t nack_max_retries; /* per missing packet; 0 = 10 */
} rtc_rtp_recv_config_t;

typedef struct rtc_rtp_recv rtc_rtp_recv_t;

/* Copies cfg. NULL on out of memory or an invalid codec. */
rtc_rtp_recv_t *rtc_rtp_recv_create(const rtc_rtp_recv_config_t *cfg);
void rtc_rtp_recv_destroy(rtc_rtp_recv_t *r);
/* The RTX SSRC learnt later (unsignalled: a simulcast layer's first RTX packet), kept
 * with what the receiver holds: a receiver made anew would lose the very frame whose
 * repair announced the SSRC. rtx_pt as in the config. */
void rtc_rtp_recv_set_rtx(rtc_rtp_recv_t *r, uint32_t rtx_ssrc, uint8_t rtx_pt);

/* Hands in one parsed RTP packet (SRTP already removed) of cfg.ssrc, or of cfg.rtx_ssrc
 * (then its first two payload bytes are the original sequence number: RFC 4588
 * section 4). The payload is copied. Returns 0 when taken (also for a duplicate or a
 * packet too old for the buffer: counted and dropped), RTC_EINVAL for another SSRC,
 * RTC_EPARSE for a 1-byte RTX payload or a payload above max_packet (counted as
 * malformed). An RTX packet without payload (a padding-only bandwidth probe) is ignored. */
int rtc_rtp_recv_handle_packet(rtc_rtp_recv_t *r, uint64_t now_us, const rtc_rtp_header_t *h);
/* The same, with the time the packet arrived (<= now_us: the socket's receive timestamp)
 * for the RFC 3550 interarrival jitter, which the time it was read would inflate by the
 * loop's delays. */
int rtc_rtp_recv_handle_packet_at(rtc_rtp_recv_t *r, uint64_t now_us, uint64_t arrival_us,
                                  const rtc_rtp_header_t *h);

/* A packet of the same SSRC in another payload format that is no media of ours (an
 * RFC 4733 telephone-event: it shares the audio's SSRC and sequence numbers). It takes
 * its place in the sequence, so it is neither a gap to wait for nor a loss, and is
 * counted as received; no frame comes of it. RTC_EINVAL for another SSRC. */
int rtc_rtp_recv_handle_other(rtc_rtp_recv_t *r, uint64_t now_us, const rtc_rtp_header_t *h);

/* Next complete frame in order, if any: true and *out filled (data owned by r, valid until
 * the next call on r). Frames with a missing packet are dropped and counted, never
 * returned; a drop arms poll_keyframe_request. Drain it after every handle_* call: the
 * ring holds reorder_slots packets, and a packet that lands beyond it gives up (and
 * drops) what is still waiting in front.
 * Startup: the first packets are held min(50 ms, wait) so that earlier packets overtaken
 * on the way can still be put in front; handle_timeout at poll_timeout ends the hold. */
bool rtc_rtp_recv_poll_frame(rtc_rtp_recv_t *r, rtc_rtp_frame_t *out);

/* Gives up on gaps older than the wait (so that later frames can go out); call it at
 * rtc_rtp_recv_poll_timeout. Then drain poll_frame. */
void rtc_rtp_recv_handle_timeout(rtc_rtp_recv_t *r, uint64_t now_us);
/* When handle_timeout or poll_nack has something to do next; RTC_NEVER when nothing. */
uint64_t rtc_rtp_recv_poll_timeout(const rtc_rtp_recv_t *r);

/* Sequence numbers to NACK now (RFC 4585 generic NACK): missing packets that have not
 * been asked for yet, or were asked for more than one RTT ago, up to nack_max_retries
 * times each. Writes at most cap and returns the count; 0 when NACK is off. Build the
 * RTCP with rtc_rtcp_write_nack(.., media_ssrc = cfg.ssrc, seqs, n). */
size_t rtc_rtp_recv_poll_nack(rtc_rtp_recv_t *r, uint64_t now_us, uint16_t *seqs, size_t cap);

/* True when a frame was dropped (or none decodable arrived yet for video) and no keyframe
 * came since, at most once per max(RTT, 250 ms): send a PLI (or FIR). */
bool rtc_rtp_recv_poll_keyframe_request(rtc_rtp_recv_t *r, uint64_t now_us);

/* The round-trip time the peer connection measured (rtc_rtp_send RTT of the same peer);
 * it paces NACK retries and keyframe requests. Default 100 ms. */
void rtc_rtp_recv_set_rtt(rtc_rtp_recv_t *r, uint64_t rtt_us);

/* An SR from this SSRC (RFC 3550 section 6.4.1): kept for LSR/DLSR and the NTP<->RTP
 * mapping. RTC_EINVAL when sr->ssrc is not cfg.ssrc. */
int rtc_rtp_recv_handle_sr(rtc_rtp_recv_t *r, uint64_t now_us, const rtc_rtcp_sr_t *sr);

/* Fills a report block for our RR/SR about this SSRC (RFC 3550 section 6.4.1 and A.3):
 * fraction lost since the previous call, cumulative lost, extended highest sequence,
 * interarrival jitter, LSR/DLSR. False (and nothing filled) before the first packet. */
bool rtc_rtp_recv_report_block(rtc_rtp_recv_t *r, uint64_t now_us, rtc_rtcp_rb_t *out);

/* NTP time (32.32) at which RTP timestamp ts was sampled, from the last SR; false
 * before any SR. For A/V sync across SSRCs of the same CNAME. */
bool rtc_rtp_recv_rtp_to_ntp(const rtc_rtp_recv_t *r, uint32_t ts, uint64_t *ntp);

typedef struct rtc_rtp_recv_stats {
  uint64_t packets;        /* accepted media packets (RTX included, duplicates not) */
  uint64_t bytes;          /* their payload bytes */
  uint64_t duplicates;     /* dropped: already held or delivered */
  uint64_t too_old;        /* dropped: older than what the buffer still waits for */
  uint64_t malformed;      /* dropped: RTX without OSN, payload too large, bad payload */
  uint64_t rtx_packets;    /* RTX packets that repaired a loss */
  uint64_t nacks_sent;     /* sequence numbers handed out by poll_nack (retries counted) */
  uint64_t packets_lost;   /* given up (never arrived within the wait) */
  int64_t cumulative_lost; /* RFC 3550: expected - received, may be negative */
  uint64_t frames;
  uint64_t frames_dropped;
  uint64_t keyframes;
  uint64_t keyframe_requests;
  double jitter_s; /* RFC 3550 interarrival jitter in seconds */
} rtc_rtp_recv_stats_t;
void rtc_rtp_recv_get_stats(const rtc_rtp_recv_t *r, rtc_rtp_recv_stats_t *out);

#endif
