/* ClientHello reassembly in front of mbedTLS (server role).
 *
 * mbedTLS 2.28 as a DTLS server refuses a ClientHello split over several
 * handshake fragments ("ClientHello fragmentation not supported"), while
 * browsers' ClientHellos (post-quantum key shares) are larger than one MTU and
 * arrive as fragments in several datagrams (RFC 6347 4.2.3). This collects the
 * epoch-0 ClientHello fragments (duplicates, overlaps, any order) and, once
 * complete, synthesizes ONE record holding the unfragmented ClientHello
 * (fragment_offset 0, fragment_length = length). mbedTLS hashes that handshake
 * header + body into the transcript, which is exactly what RFC 6347 4.2.6
 * requires (the hash covers the message as if it had not been fragmented).
 *
 * Caller-owned memory: init/close. Memory held: at most one ClientHello. */
#ifndef RTC_DTLS_REASSEMBLY_H
#define RTC_DTLS_REASSEMBLY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest ClientHello body accepted: it must fit one record of mbedTLS's input
 * buffer (16384 bytes of content, the 12-byte handshake header included). */
#define RTC_DTLS_REASM_MAX_BODY (16384 - 12)

typedef enum rtc_dtls_reasm_result {
  RTC_DTLS_REASM_PASS = 0, /* no ClientHello fragment: hand the datagram on unchanged */
  RTC_DTLS_REASM_HELD,     /* fragments kept (or dropped); nothing to hand on */
  RTC_DTLS_REASM_READY,    /* *out: a one-record datagram with the whole ClientHello */
} rtc_dtls_reasm_result_t;

typedef struct rtc_dtls_reasm {
  uint8_t *msg;      /* the whole record being built: 13 + 12 + length bytes */
  uint8_t *have;     /* bitmap of body bytes received */
  uint32_t length;   /* ClientHello body length, from the first fragment */
  uint32_t received; /* body bytes received so far */
  uint16_t msg_seq;
  uint64_t first_rec_seq; /* lowest record sequence number among the fragments */
  bool started, done;
  uint32_t dropped; /* malformed or inconsistent records */
} rtc_dtls_reasm_t;

void rtc_dtls_reasm_init(rtc_dtls_reasm_t *r);
void rtc_dtls_reasm_close(rtc_dtls_reasm_t *r);
/* Feeds one datagram. On READY, *out and *out_len point into r, valid until the
 * next call or close; after READY (or after a PASS with a whole ClientHello)
 * the reassembler is done and every later datagram is PASS. */
rtc_dtls_reasm_result_t rtc_dtls_reasm_feed(rtc_dtls_reasm_t *r, const uint8_t *p, size_t len,
                                            const uint8_t **out, size_t *out_len);
static inline bool rtc_dtls_reasm_done(const rtc_dtls_reasm_t *r) { return r->done; }

#endif
