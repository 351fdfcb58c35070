/* RTP packets (RFC 3550 section 5.1) and their header extensions (RFC 8285): a pure
 * codec, no state, no allocation. Parsing borrows from the caller's buffer; writing goes
 * into a caller buffer. Sequence-number and timestamp wrap arithmetic lives here too.
 *
 * The rest of the module (all headers in runtime/rtp/):
 *   rtc_rtp.h        this file: RTP header parse/write, extensions, seq/ts arithmetic
 *   rtc_rtcp.h       RTCP compound iteration, parsing and builders (SR RR SDES BYE NACK
 *                    PLI FIR REMB TWCC)
 *   rtc_rtp_codec.h  payloaders (frame -> packet payloads) and depayloaders
 *                    (packets -> frames) for VP8 VP9 AV1 H.264 Opus PCMU PCMA
 *   rtc_rtp_recv.h   one received SSRC: reorder buffer, frames, NACK list, RR stats, SR
 *   rtc_rtp_send.h   one sent SSRC: sequence numbers, history for RTX, SR data, RTT */
#ifndef RTC_RTP_H
#define RTC_RTP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RTC_RTP_VERSION 2
#define RTC_RTP_FIXED_HEADER 12 /* bytes before the CSRC list */
#define RTC_RTP_MAX_CSRC 15     /* the CC field has four bits */
/* Extensions kept per packet. RFC 8285 allows up to 14 one-byte or 255 two-byte
 * elements; WebRTC sends fewer than 8. Elements beyond this are skipped, not an error. */
#define RTC_RTP_MAX_EXT 16
/* RFC 8285 section 4.2 and 4.3: the "defined by profile" values of the two forms. */
#define RTC_RTP_EXT_PROFILE_ONE_BYTE 0xBEDE
#define RTC_RTP_EXT_PROFILE_TWO_BYTE 0x1000 /* 0x100 << 4; low four bits are appbits */

/* One header extension element. data is borrowed from the parsed packet (or, when
 * writing, from the caller) and holds len bytes: 1..16 in the one-byte form, 0..255 in
 * the two-byte form. */
typedef struct rtc_rtp_ext {
  uint8_t id; /* 1..14 (one-byte form) or 1..255 (two-byte form) */
  uint8_t len;
  const uint8_t *data;
} rtc_rtp_ext_t;

typedef struct rtc_rtp_header {
  bool marker;
  uint8_t pt; /* payload type, 7 bits */
  uint16_t seq;
  uint32_t ts;
  uint32_t ssrc;
  uint8_t csrc_count;
  uint32_t csrc[RTC_RTP_MAX_CSRC];
  /* Header extension block (X bit). has_ext is set even when no element was
   * recognised; ext_profile is the 16-bit "defined by profile" field. An unknown profile
   * is kept raw (ext_block/ext_block_len) with ext_count 0. */
  bool has_ext;
  uint16_t ext_profile;
  const uint8_t *ext_block; /* borrowed: the extension body after its 4-byte header */
  size_t ext_block_len;
  uint8_t ext_count;
  rtc_rtp_ext_t ext[RTC_RTP_MAX_EXT];
  /* Writing: force the two-byte form even when every element fits the one-byte form.
   * Parsing: set when the packet used the two-byte form. */
  bool ext_two_byte;
  /* Where the payload is (parse output only): payload excludes the padding. */
  size_t header_len;
  const uint8_t *payload;
  size_t payload_len;
  uint8_t padding_len; /* P bit: bytes of padding after the payload, 0 when none */
} rtc_rtp_header_t;

/* Parses one RTP packet (already SRTP-unprotected). Fills *out; pointers borrow from p.
 * RTC_EPARSE when: shorter than 12 bytes, version != 2, the CSRC list or extension block
 * runs past the end, or padding is 0 / longer than what follows the header. A one- or
 * two-byte extension element that runs past its block is RTC_EPARSE as well.
 * No RTP/RTCP demux here: call rtc_rtp_is_rtcp first on a muxed port. */
int rtc_rtp_parse(const uint8_t *p, size_t len, rtc_rtp_header_t *out);

/* RFC 5761 section 4: on a muxed port, a packet whose second byte (M+PT) is 192..223
 * is RTCP (payload types 64..95 are avoided by RTP for this reason). */
bool rtc_rtp_is_rtcp(const uint8_t *p, size_t len);

/* The extension element with this id, or NULL. */
const rtc_rtp_ext_t *rtc_rtp_get_ext(const rtc_rtp_header_t *h, uint8_t id);

/* Appends an extension element to h (for writing). data is borrowed until the header is
 * written. RTC_ELIMIT when h already holds RTC_RTP_MAX_EXT; RTC_EINVAL for id 0 (padding
 * in both forms: RFC 8285 sections 4.2 and 4.3). */
int rtc_rtp_add_ext(rtc_rtp_header_t *h, uint8_t id, const uint8_t *data, uint8_t len);

/* Bytes rtc_rtp_write_header would write for h (fixed header, CSRCs, extension block
 * padded to 32 bits). */
size_t rtc_rtp_header_size(const rtc_rtp_header_t *h);

/* Writes the header of h (V=2, P from padding_len, X when ext_count > 0 or has_ext with
 * a raw block, CC from csrc_count) into out. Extensions use the one-byte form when every
 * element has id 1..14 and len 1..16 and ext_two_byte is false, else the two-byte form.
 * Returns the header length, RTC_ETOOBIG when cap is too small, RTC_EINVAL for an element
 * no form can carry or csrc_count > 15. header_len/payload fields of h are ignored. */
int rtc_rtp_write_header(uint8_t *out, size_t cap, const rtc_rtp_header_t *h);

/* Writes a whole packet: header, payload (may be NULL when payload_len is 0) and
 * h->padding_len bytes of padding (RFC 3550: zeros, the last byte the count). Returns the
 * packet length or RTC_ETOOBIG. payload may not overlap out. */
int rtc_rtp_write(uint8_t *out, size_t cap, const rtc_rtp_header_t *h, const uint8_t *payload,
                  size_t payload_len);

/* Overwrites, in a written packet, the data of the extension element `id` with n bytes
 * (same length as the element has). For per-send values such as a fresh transport-wide
 * sequence number or abs-send-time on a retransmission from rtc_rtp_send_rtx. 0, or
 * RTC_ENOTFOUND when the packet has no such element or its length differs, RTC_EPARSE
 * when pkt does not parse. */
int rtc_rtp_rewrite_ext(uint8_t *pkt, size_t len, uint8_t id, const uint8_t *data, uint8_t n);

/* --- Sequence numbers and timestamps (RFC 3550 appendix A.1, RFC 1982 serial numbers) ---
 * a is "newer" than b when the forward distance from b to a is below half the space. */
static inline int16_t rtc_rtp_seq_diff(uint16_t a, uint16_t b) {
  return (int16_t)(uint16_t)(a - b);
}
static inline bool rtc_rtp_seq_newer(uint16_t a, uint16_t b) { return rtc_rtp_seq_diff(a, b) > 0; }
static inline int32_t rtc_rtp_ts_diff(uint32_t a, uint32_t b) { return (int32_t)(uint32_t)(a - b); }
static inline bool rtc_rtp_ts_newer(uint32_t a, uint32_t b) { return rtc_rtp_ts_diff(a, b) > 0; }

/* Unwraps 16-bit sequence numbers into a 64-bit extended sequence: the first value seen
 * maps to RTC_RTP_EXT_SEQ_BASE + seq, so that packets older than the first still map to
 * positive numbers. Each later value maps to the
 * extended number closest to the newest seen so far (reordered packets map back, never
 * forward). Zero-initialise the struct before use. */
#define RTC_RTP_EXT_SEQ_BASE ((int64_t)1 << 32)
typedef struct rtc_rtp_seq_unwrapper {
  bool started;
  int64_t highest; /* newest extended sequence number seen */
} rtc_rtp_seq_unwrapper_t;
int64_t rtc_rtp_seq_unwrap(rtc_rtp_seq_unwrapper_t *u, uint16_t seq);
/* The same mapping without updating the newest value (for a look-ahead). */
int64_t rtc_rtp_seq_unwrap_peek(const rtc_rtp_seq_unwrapper_t *u, uint16_t seq);

/* Unwraps 32-bit RTP timestamps the same way: the first value maps to
 * RTC_RTP_EXT_TS_BASE + ts. */
#define RTC_RTP_EXT_TS_BASE ((int64_t)1 << 40)
typedef struct rtc_rtp_ts_unwrapper {
  bool started;
  int64_t highest;
} rtc_rtp_ts_unwrapper_t;
int64_t rtc_rtp_ts_unwrap(rtc_rtp_ts_unwrapper_t *u, uint32_t ts);

#endif
