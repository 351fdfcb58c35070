/* ClientHello reassembly, see rtc_dtls_reassembly.h. Record and handshake
 * layouts: RFC 6347 4.1 (record: type, version, epoch, sequence_number(48),
 * length) and 4.2.2 (handshake: msg_type, length(24), message_seq,
 * fragment_offset(24), fragment_length(24)). */
#include "dtls/rtc_dtls_reassembly.h"

#include <stdlib.h>
#include <string.h>

#include "base/rtc_bytes.h"
#include "base/rtc_log.h"

#define REC_HDR 13
#define HS_HDR 12
#define CT_HANDSHAKE 22
#define HS_CLIENT_HELLO 1

void rtc_dtls_reasm_init(rtc_dtls_reasm_t *r) { memset(r, 0, sizeof *r); }

void rtc_dtls_reasm_close(rtc_dtls_reasm_t *r) {
  free(r->msg);
  free(r->have);
  r->msg = r->have = NULL;
}

static uint64_t reasm_rec_seq(const uint8_t *rec) {
  return ((uint64_t)rtc_rd16(rec + 5) << 32) | rtc_rd32(rec + 7);
}

/* Adds one fragment; returns false when it is inconsistent with what we have. */
static bool reasm_add(rtc_dtls_reasm_t *r, const uint8_t *rec, const uint8_t *hs, uint32_t length,
                      uint16_t msg_seq, uint32_t off, uint32_t flen) {
  if (!r->started) {
    r->msg = malloc(REC_HDR + HS_HDR + (size_t)length);
    r->have = calloc(1, (length + 7) / 8 + 1);
    if (!r->msg || !r->have) {
      rtc_dtls_reasm_close(r);
      return false;
    }
    r->started = true;
    r->length = length;
    r->msg_seq = msg_seq;
    r->received = 0;
    r->first_rec_seq = reasm_rec_seq(rec);
    /* Record header: the version of the first fragment's record, epoch 0. */
    r->msg[0] = CT_HANDSHAKE;
    r->msg[1] = rec[1];
    r->msg[2] = rec[2];
    rtc_wr16(r->msg + 11, (uint16_t)(HS_HDR + length));
    uint8_t *h = r->msg + REC_HDR;
    h[0] = HS_CLIENT_HELLO;
    rtc_wr24(h + 1, length);
    rtc_wr16(h + 4, msg_seq);
    rtc_wr24(h + 6, 0);
    rtc_wr24(h + 9, length);
  }
  uint64_t seq = reasm_rec_seq(rec);
  if (seq < r->first_rec_seq) r->first_rec_seq = seq;
  /* Bytes already present win over a retransmission's (they must be equal). */
  uint8_t *body = r->msg + REC_HDR + HS_HDR;
  for (uint32_t i = off; i < off + flen; i++) {
    if (r->have[i >> 3] & (1u << (i & 7))) continue;
    r->have[i >> 3] |= (uint8_t)(1u << (i & 7));
    body[i] = hs[HS_HDR + (i - off)];
    r->received++;
  }
  return true;
}

rtc_dtls_reasm_result_t rtc_dtls_reasm_feed(rtc_dtls_reasm_t *r, const uint8_t *p, size_t len,
                                            const uint8_t **out, size_t *out_len) {
  if (r->done) return RTC_DTLS_REASM_PASS;
  bool any_fragment = false;
  size_t pos = 0;
  while (len - pos >= REC_HDR) {
    const uint8_t *rec = p + pos;
    size_t rlen = rtc_rd16(rec + 11);
    if (rlen > len - pos - REC_HDR) break; /* truncated: mbedTLS drops it too */
    pos += REC_HDR + rlen;
    if (rec[0] != CT_HANDSHAKE || rtc_rd16(rec + 3) != 0 || rlen < HS_HDR) continue;
    const uint8_t *hs = rec + REC_HDR;
    if (hs[0] != HS_CLIENT_HELLO) continue;
    uint32_t length = rtc_rd24(hs + 1), off = rtc_rd24(hs + 6), flen = rtc_rd24(hs + 9);
    uint16_t msg_seq = rtc_rd16(hs + 4);
    if (off == 0 && flen == length && flen <= rlen - HS_HDR) {
      /* A whole ClientHello: mbedTLS reads it itself, and whatever fragments
       * we were collecting (perhaps forged) are moot. */
      rtc_dtls_reasm_close(r);
      r->started = false;
      r->done = true;
      return RTC_DTLS_REASM_PASS;
    }
    any_fragment = true;
    if (length > RTC_DTLS_REASM_MAX_BODY || flen > rlen - HS_HDR || off > length ||
        flen > length - off || flen == 0) {
      r->dropped++;
      continue;
    }
    if (r->started && (length != r->length || msg_seq != r->msg_seq)) {
      /* Inconsistent with what we hold: start over from this fragment, so a
       * stray or forged fragment cannot block the real ClientHello forever
       * (the client's retransmission repairs it). */
      r->dropped++;
      rtc_dtls_reasm_close(r);
      r->started = false;
    }
    if (!reasm_add(r, rec, hs, length, msg_seq, off, flen)) {
      r->dropped++;
      continue;
    }
    if (r->received == r->length) {
      rtc_wr16(r->msg + 3, 0);
      rtc_wr16(r->msg + 5, (uint16_t)(r->first_rec_seq >> 32));
      rtc_wr32(r->msg + 7, (uint32_t)r->first_rec_seq);
      r->done = true;
      free(r->have);
      r->have = NULL;
      *out = r->msg;
      *out_len = REC_HDR + HS_HDR + (size_t)r->length;
      RTC_LOG(RTC_LOG_DEBUG, "dtls", "ClientHello of %u bytes reassembled", (unsigned)r->length);
      return RTC_DTLS_REASM_READY;
    }
  }
  /* Other records around ClientHello fragments are dropped: before it has a
   * ClientHello, the server has no use for anything else. */
  return any_fragment ? RTC_DTLS_REASM_HELD : RTC_DTLS_REASM_PASS;
}
