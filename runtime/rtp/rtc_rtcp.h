/* RTCP (RFC 3550 section 6, RFC 4585 feedback, RFC 5104 FIR, RFC 5506 reduced size,
 * draft-alvestrand-rmcat-remb REMB, draft-holmer-rmcat-transport-wide-cc-extensions-01
 * TWCC): a pure codec, no state, no allocation.
 *
 * Reading: walk a compound (or RFC 5506 reduced-size, i.e. single) packet with
 * rtc_rtcp_iter_next, then parse each packet with rtc_rtcp_parse. Every pointer in a
 * parsed message borrows from the caller's buffer. A malformed packet inside a compound
 * stops the walk (RTC_EPARSE): the packets before it were good and may be used.
 *
 * Writing: every builder writes one RTCP packet into (out, cap) and returns its length
 * (a multiple of 4), or RTC_ETOOBIG when cap is too small, or RTC_EINVAL for values the
 * format cannot carry. Concatenate builder outputs to make a compound packet. */
#ifndef RTC_RTCP_H
#define RTC_RTCP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Packet types (RFC 3550 section 12.1, RFC 4585 section 6.1). */
#define RTC_RTCP_SR 200
#define RTC_RTCP_RR 201
#define RTC_RTCP_SDES 202
#define RTC_RTCP_BYE 203
#define RTC_RTCP_APP 204
#define RTC_RTCP_RTPFB 205
#define RTC_RTCP_PSFB 206
#define RTC_RTCP_XR 207
/* Feedback message types (FMT). */
#define RTC_RTCP_FMT_NACK 1  /* RTPFB, RFC 4585 section 6.2.1 */
#define RTC_RTCP_FMT_TWCC 15 /* RTPFB, transport-wide-cc-extensions-01 section 3.1 */
#define RTC_RTCP_FMT_PLI 1   /* PSFB, RFC 4585 section 6.3.1 */
#define RTC_RTCP_FMT_FIR 4   /* PSFB, RFC 5104 section 4.3.1 */
#define RTC_RTCP_FMT_AFB 15  /* PSFB application layer feedback: REMB when "REMB" */

#define RTC_RTCP_MAX_RB 31    /* report blocks per SR/RR (5-bit count) */
#define RTC_RTCP_MAX_SDES 31  /* chunks per SDES */
#define RTC_RTCP_MAX_BYE 31   /* SSRCs per BYE */
#define RTC_RTCP_MAX_REMB 255 /* SSRCs in a REMB (8-bit count) */

/* Walks a compound packet. Zero-initialise, set p/len, then call next until it returns 0. */
typedef struct rtc_rtcp_iter {
  const uint8_t *p;
  size_t len;
  size_t off;
} rtc_rtcp_iter_t;

/* Next packet of the compound: *pkt and *pkt_len borrow one whole RTCP packet (header
 * included). Returns 1 when one was found, 0 at the end, RTC_EPARSE when the next packet
 * has version != 2, a length running past the buffer or padding that does not fit. */
int rtc_rtcp_iter_next(rtc_rtcp_iter_t *it, const uint8_t **pkt, size_t *pkt_len);

/* RFC 3550 section 6.4.1 report block. cumulative_lost is the signed 24-bit field. */
typedef struct rtc_rtcp_rb {
  uint32_t ssrc;
  uint8_t fraction_lost; /* lost / expected since the last report, in 1/256 */
  int32_t cumulative_lost;
  uint32_t ext_highest_seq;
  uint32_t jitter; /* RTP timestamp units */
  uint32_t lsr;    /* middle 32 bits of the NTP time of the last SR received, 0 if none */
  uint32_t dlsr;   /* delay since that SR, in 1/65536 s */
} rtc_rtcp_rb_t;

typedef struct rtc_rtcp_sr {
  uint32_t ssrc;
  uint64_t ntp; /* NTP timestamp, 32.32 fixed point */
  uint32_t rtp_ts;
  uint32_t packet_count;
  uint32_t octet_count;
  uint8_t rb_count;
  rtc_rtcp_rb_t rb[RTC_RTCP_MAX_RB];
} rtc_rtcp_sr_t;

typedef struct rtc_rtcp_rr {
  uint32_t ssrc;
  uint8_t rb_count;
  rtc_rtcp_rb_t rb[RTC_RTCP_MAX_RB];
} rtc_rtcp_rr_t;

/* SDES: for each chunk its SSRC and CNAME (NULL/0 when the chunk has none). Other items
 * are skipped. cname borrows from the buffer and is NOT NUL-terminated. */
typedef struct rtc_rtcp_sdes {
  uint8_t count;
  struct {
    uint32_t ssrc;
    const uint8_t *cname;
    uint8_t cname_len;
  } chunk[RTC_RTCP_MAX_SDES];
} rtc_rtcp_sdes_t;

typedef struct rtc_rtcp_bye {
  uint8_t count;
  uint32_t ssrc[RTC_RTCP_MAX_BYE];
  const uint8_t *reason; /* borrowed, not NUL-terminated; NULL when absent */
  uint8_t reason_len;
} rtc_rtcp_bye_t;

/* Generic NACK: the FCI is kept raw (n_fci pairs of PID/BLP). Expand it with
 * rtc_rtcp_nack_expand. */
typedef struct rtc_rtcp_nack {
  uint32_t sender_ssrc, media_ssrc;
  const uint8_t *fci;
  size_t n_fci;
} rtc_rtcp_nack_t;

typedef struct rtc_rtcp_pli {
  uint32_t sender_ssrc, media_ssrc;
} rtc_rtcp_pli_t;

/* FIR: n entries of (SSRC, command sequence number), raw: entry i is at fci + 8*i,
 * SSRC in bytes 0..3, seq nr in byte 4. media_ssrc of the common header is 0 (RFC 5104). */
typedef struct rtc_rtcp_fir {
  uint32_t sender_ssrc;
  const uint8_t *fci;
  size_t n;
} rtc_rtcp_fir_t;

typedef struct rtc_rtcp_remb {
  uint32_t sender_ssrc;
  uint64_t bitrate_bps; /* mantissa << exponent */
  uint8_t n_ssrc;
  const uint8_t *ssrcs; /* n_ssrc big-endian 32-bit values, borrowed */
} rtc_rtcp_remb_t;

/* Transport-wide CC feedback, header fields; the packet chunks and deltas are kept raw
 * and expanded with rtc_rtcp_twcc_expand. */
typedef struct rtc_rtcp_twcc {
  uint32_t sender_ssrc, media_ssrc;
  uint16_t base_seq;
  uint16_t status_count;
  int32_t ref_time; /* signed 24-bit, multiples of 64 ms */
  uint8_t fb_count;
  const uint8_t *body; /* packet chunks then receive deltas */
  size_t body_len;
} rtc_rtcp_twcc_t;

typedef enum rtc_rtcp_kind {
  RTC_RTCP_KIND_OTHER = 0, /* a valid packet we do not interpret (APP, XR, other FB) */
  RTC_RTCP_KIND_SR,
  RTC_RTCP_KIND_RR,
  RTC_RTCP_KIND_SDES,
  RTC_RTCP_KIND_BYE,
  RTC_RTCP_KIND_NACK,
  RTC_RTCP_KIND_PLI,
  RTC_RTCP_KIND_FIR,
  RTC_RTCP_KIND_REMB,
  RTC_RTCP_KIND_TWCC,
} rtc_rtcp_kind_t;

/* One parsed RTCP packet. About 1 KB: fine on the stack, not meant to be stored. */
typedef struct rtc_rtcp_msg {
  rtc_rtcp_kind_t kind;
  uint8_t pt, fmt; /* from the common header (fmt = the 5-bit count/FMT field) */
  union {
    rtc_rtcp_sr_t sr;
    rtc_rtcp_rr_t rr;
    rtc_rtcp_sdes_t sdes;
    rtc_rtcp_bye_t bye;
    rtc_rtcp_nack_t nack;
    rtc_rtcp_pli_t pli;
    rtc_rtcp_fir_t fir;
    rtc_rtcp_remb_t remb;
    rtc_rtcp_twcc_t twcc;
  } u;
} rtc_rtcp_msg_t;

/* Parses one RTCP packet as returned by rtc_rtcp_iter_next. 0 on success (kind OTHER for
 * types we do not interpret), RTC_EPARSE when the body is shorter than its type needs
 * (report blocks, SDES items, FCI...). */
int rtc_rtcp_parse(const uint8_t *pkt, size_t len, rtc_rtcp_msg_t *out);

/* Expands a generic NACK's FCI into sequence numbers (PID, then PID+i+1 for each set BLP
 * bit i). Writes at most cap values; returns how many the FCI holds (may exceed cap). */
size_t rtc_rtcp_nack_expand(const rtc_rtcp_nack_t *n, uint16_t *seqs, size_t cap);

/* One packet of a TWCC feedback. */
typedef struct rtc_rtcp_twcc_pkt {
  uint16_t seq;
  bool received;
  int64_t delta_us; /* receive delta to the previous received packet (the first: to
                       ref_time * 64 ms), 250 us resolution; 0 when not received */
} rtc_rtcp_twcc_pkt_t;

/* Expands TWCC feedback: status_count entries from base_seq on. Writes at most cap
 * entries and returns the number written, or RTC_EPARSE when chunks or deltas run past
 * the packet. Absolute receive time of packet k = ref_time * 64000 + sum of delta_us of
 * received packets up to k. */
int rtc_rtcp_twcc_expand(const rtc_rtcp_twcc_t *t, rtc_rtcp_twcc_pkt_t *out, size_t cap);

/* --- Builders --- */

/* SR with sr->rb_count report blocks. */
int rtc_rtcp_write_sr(uint8_t *out, size_t cap, const rtc_rtcp_sr_t *sr);
/* RR with rr->rb_count report blocks (0 is valid: RFC 3550 empty RR). */
int rtc_rtcp_write_rr(uint8_t *out, size_t cap, const rtc_rtcp_rr_t *rr);
/* SDES with one chunk: the CNAME of ssrc (1..255 bytes). */
int rtc_rtcp_write_sdes_cname(uint8_t *out, size_t cap, uint32_t ssrc, const char *cname);
/* BYE for one SSRC, with an optional reason (NULL for none). */
int rtc_rtcp_write_bye(uint8_t *out, size_t cap, uint32_t ssrc, const char *reason);
/* Generic NACK for n sequence numbers (duplicates allowed): each number joins the first
 * PID/BLP pair that covers it or opens a new one, so ascending input (what
 * rtc_rtp_recv_poll_nack gives) packs into the fewest pairs. */
int rtc_rtcp_write_nack(uint8_t *out, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                        const uint16_t *seqs, size_t n);
int rtc_rtcp_write_pli(uint8_t *out, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc);
/* FIR asking media_ssrc for a keyframe; seq_nr increments per new request (RFC 5104
 * section 4.3.1.1), the caller keeps it. */
int rtc_rtcp_write_fir(uint8_t *out, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                       uint8_t seq_nr);
/* REMB for n_ssrc SSRCs (not required by the brief to be sent; provided for tests). */
int rtc_rtcp_write_remb(uint8_t *out, size_t cap, uint32_t sender_ssrc, uint64_t bitrate_bps,
                        const uint32_t *ssrcs, uint8_t n_ssrc);
/* TWCC feedback for `count` consecutive transport sequence numbers from base_seq.
 * arrival_us[i] is the receive time of base_seq + i on the caller's clock (>= 0), or a
 * negative value when not received; the first entry must be received (RTC_EINVAL).
 * Deltas are rounded to 250 us. The feedback ends early at a delta beyond the 16-bit
 * signed range, after 1024 packets, and before trailing lost packets: *n_written says how
 * many were covered (the caller starts the next feedback at base_seq + *n_written).
 * Reference time = the first arrival in 64 ms units (24 bits, wraps). */
int rtc_rtcp_write_twcc(uint8_t *out, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                        uint8_t fb_count, uint16_t base_seq, const int64_t *arrival_us,
                        size_t count, size_t *n_written);

/* NTP helpers. The core never reads a wall clock: the caller passes NTP time in. */
static inline uint32_t rtc_rtcp_ntp_mid32(uint64_t ntp) { return (uint32_t)(ntp >> 16); }

#endif
