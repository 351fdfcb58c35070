/* Application records on our own AES-GCM (rtc_dtls_gcm.c) once connected with an
 * AES-GCM suite, and lean mode: once the handshake is over mbedTLS is freed and the
 * alerts, close_notify and the server's last flight are handled here too. */
#include <stdlib.h>
#include <string.h>

#include <mbedtls/platform_util.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_internal.h>

#include "base/rtc_err.h"
#include "dtls/rtc_dtls_conn.h"
#include "dtls/rtc_dtls_internal.h"

void rtc__dtls_record_setup(rtc_dtls_t *d) {
#if defined(MBEDTLS_SSL_DTLS_ANTI_REPLAY)
  mbedtls_ssl_context *ssl = &d->tls->ssl;
  int suite = ssl->session ? ssl->session->ciphersuite : 0;
  size_t kl = d->kb_keylen;
  /* The record format does not depend on the certificate type: ECDSA and RSA
   * suites with the same cipher share the fast path. Others stay with mbedTLS. */
  bool gcm = ((suite == MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 ||
               suite == MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256) &&
              kl == 16) ||
             ((suite == MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 ||
               suite == MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) &&
              kl == 32);
  if (d->have_kb && gcm && ssl->conf->anti_replay == MBEDTLS_SSL_ANTI_REPLAY_ENABLED) {
    bool client = d->role == RTC_DTLS_ROLE_CLIENT;
    const uint8_t *ck = d->kb, *sk = d->kb + kl, *civ = d->kb + 2 * kl, *siv = civ + 4;
    if (rtc__gcm_init_one(&d->gcm_enc, client ? ck : sk, kl, true) == 0 &&
        rtc__gcm_init_one(&d->gcm_dec, client ? sk : ck, kl, false) == 0) {
      memcpy(d->iv_enc, client ? civ : siv, 4);
      memcpy(d->iv_dec, client ? siv : civ, 4);
      d->fast = true;
    }
  }
#endif
  mbedtls_platform_zeroize(d->kb, sizeof d->kb);
  d->have_kb = false;
}

/* The record state the fast path shares: mbedTLS's own fields while it lives (it
 * may still send an alert or read a record), ours once it is gone. */
static uint8_t *dtls_out_ctr(rtc_dtls_t *d) {
  return d->lean ? d->out_ctr : d->tls->ssl.cur_out_ctr;
}
static uint16_t dtls_in_epoch(const rtc_dtls_t *d) {
  return d->lean ? d->in_epoch : d->tls->ssl.in_epoch;
}
static uint64_t *dtls_window_top(rtc_dtls_t *d) {
  return d->lean ? &d->in_window_top : &d->tls->ssl.in_window_top;
}
static uint64_t *dtls_window(rtc_dtls_t *d) {
  return d->lean ? &d->in_window : &d->tls->ssl.in_window;
}

/* mbedtls_ssl_write's record, built here: header, explicit nonce = the record
 * counter (as mbedTLS does), AAD = counter | type | version | plaintext length
 * (RFC 5246 6.2.3.3). The counter is mbedTLS's own, advanced as it would. */
int rtc__dtls_record_seal(rtc_dtls_t *d, uint8_t type, const uint8_t *p, size_t len) {
  unsigned char *ctr = dtls_out_ctr(d);
  bool last = true; /* the 48-bit sequence number must not wrap (RFC 6347 4.1) */
  for (int i = 2; i < 8; i++)
    if (ctr[i] != 0xff) last = false;
  if (last) return RTC_EIO;
  if (!rtc__dtls_out_room(d)) { /* as dtls_bio_send: dropped, SCTP retransmits */
    d->dropped_out++;
    return 0;
  }
  size_t n = DTLS_HDR + DTLS_GCM_NONCE + len + DTLS_GCM_TAG;
  uint8_t *r = rtc__dtls_mem_get(n);
  if (!r) return RTC_ENOMEM;
  size_t body = n - DTLS_HDR;
  r[0] = type;
  r[1] = 0xfe; /* DTLS 1.2 */
  r[2] = 0xfd;
  memcpy(r + 3, ctr, 8);
  r[11] = (uint8_t)(body >> 8);
  r[12] = (uint8_t)body;
  memcpy(r + DTLS_HDR, ctr, 8);
  uint8_t iv[12], aad[13];
  memcpy(iv, d->iv_enc, 4);
  memcpy(iv + 4, ctr, 8);
  memcpy(aad, r + 3, 8);
  memcpy(aad + 8, r, 3);
  aad[11] = (uint8_t)(len >> 8);
  aad[12] = (uint8_t)len;
  uint8_t *ct = r + DTLS_HDR + DTLS_GCM_NONCE;
  rtc__gcm_seal(&d->gcm_enc, iv, aad, sizeof aad, p, len, ct, ct + len);
  for (int i = 7; i >= 2; i--)
    if (++ctr[i] != 0) break;
  rtc__dtls_buf_t *b = &d->out[(d->out_head + d->out_n) % d->out_cap];
  b->p = r;
  b->len = n;
  d->out_n++;
  return 0;
}

static uint64_t dtls_seq48(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 0; i < 6; i++)
    v = v << 8 | p[i];
  return v;
}

/* One record of the current epoch: decrypt, check and update the replay window
 * exactly as mbedtls_ssl_dtls_replay_check/_update do (same fields while mbedTLS
 * lives, so that both paths share it). The plaintext in a dtls_mem buffer (*len
 * may be 0), or NULL: replayed, forged, or no memory (counted). replay_ok: a
 * record seen before is still opened (a retransmitted Finished). */
static uint8_t *dtls_open(rtc_dtls_t *d, const uint8_t *p, size_t rl, bool replay_ok,
                          size_t *plen) {
  uint64_t seq = dtls_seq48(p + 5);
  uint64_t *topp = dtls_window_top(d), *win = dtls_window(d), top = *topp;
  bool seen = seq <= top && (top - seq >= 64 || (*win >> (top - seq)) & 1);
  if (seen && !replay_ok) {
    d->dropped_in++; /* replayed or too old */
    return NULL;
  }
  size_t len = rl - DTLS_HDR - DTLS_GCM_NONCE - DTLS_GCM_TAG;
  uint8_t *out = rtc__dtls_mem_get(len ? len : 1);
  if (!out) {
    d->dropped_ev++;
    return NULL;
  }
  uint8_t iv[12], aad[13];
  memcpy(iv, d->iv_dec, 4);
  memcpy(iv + 4, p + DTLS_HDR, 8);
  memcpy(aad, p + 3, 8);
  memcpy(aad + 8, p, 3);
  aad[11] = (uint8_t)(len >> 8);
  aad[12] = (uint8_t)len;
  const uint8_t *ct = p + DTLS_HDR + DTLS_GCM_NONCE;
  if (rtc__gcm_open(&d->gcm_dec, iv, aad, sizeof aad, ct, len, out, ct + len) != 0) {
    rtc__dtls_mem_put(out); /* RFC 6347 4.1.2.1: invalid records are silently discarded */
    d->dropped_in++;
    return NULL;
  }
  if (seq > top) {
    uint64_t shift = seq - top;
    *win = shift >= 64 ? 1 : (*win << shift) | 1;
    *topp = seq;
  } else if (top - seq < 64) {
    *win |= (uint64_t)1 << (top - seq);
  }
  *plen = len;
  return out;
}

void rtc__dtls_record_flight_free(rtc_dtls_t *d) {
  for (size_t i = 0; i < d->flight_n; i++)
    free(d->flight[i].p);
  d->flight_n = 0;
}

/* Once mbedTLS is gone, the records it read after the handshake: an alert ends
 * the connection as mbedtls_ssl_read would; the client's Finished again means
 * our last flight was lost, and it goes out again as it was sent (a copy is to
 * the client what a duplicated datagram would be; RFC 6347 4.2.4). */
static void dtls_lean_record(rtc_dtls_t *d, const uint8_t *p, size_t rl) {
  size_t len = 0;
  uint8_t *m = dtls_open(d, p, rl, p[0] == MBEDTLS_SSL_MSG_HANDSHAKE, &len);
  if (!m) return;
  if (p[0] == MBEDTLS_SSL_MSG_ALERT && len == 2) {
    if (m[0] == MBEDTLS_SSL_ALERT_LEVEL_FATAL) {
      if (d->alert_rx < 0) d->alert_rx = m[1];
      rtc__dtls_fail(d, "fatal alert received", MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE);
    } else if (m[1] == MBEDTLS_SSL_ALERT_MSG_CLOSE_NOTIFY) {
      d->state = RTC_DTLS_CLOSED;
      rtc__dtls_push_event(d, RTC_DTLS_EVENT_CLOSED, NULL, 0);
    }
  } else if (p[0] == MBEDTLS_SSL_MSG_HANDSHAKE && d->flight_n &&
             d->flight_resends < DTLS_FLIGHT_RESENDS) {
    d->flight_resends++;
    for (size_t i = 0; i < d->flight_n; i++)
      rtc__dtls_push_datagram(d, d->flight[i].p, d->flight[i].len);
  } else {
    d->dropped_in++;
  }
  rtc__dtls_mem_put(m);
}

/* A datagram once connected on the fast path: each record in turn, application
 * records of the current epoch here, anything else (alerts, a retransmitted
 * flight) to mbedTLS one record at a time, or once it is gone, to
 * dtls_lean_record. */
void rtc__dtls_record_input(rtc_dtls_t *d, const uint8_t *p, size_t len) {
  while (len >= DTLS_HDR && d->state == RTC_DTLS_CONNECTED) {
    size_t rl = DTLS_HDR + ((size_t)p[11] << 8 | p[12]);
    if (rl > len) break; /* truncated: dropped, as mbedTLS does */
    uint16_t epoch = (uint16_t)(p[3] << 8 | p[4]);
    bool ours = p[1] == 0xfe && p[2] == 0xfd && epoch == dtls_in_epoch(d) &&
                rl >= DTLS_HDR + DTLS_GCM_NONCE + DTLS_GCM_TAG;
    if (ours && p[0] == MBEDTLS_SSL_MSG_APPLICATION_DATA) {
      size_t n = 0;
      uint8_t *m = NULL;
      if (rl == DTLS_HDR + DTLS_GCM_NONCE + DTLS_GCM_TAG)
        ; /* empty records carry nothing */
      else if (!rtc__dtls_ev_room(d))
        d->dropped_ev++;
      else
        m = dtls_open(d, p, rl, false, &n);
      if (m) {
        /* The peer sent data: it has our Finished, the flight is not needed. */
        if (d->flight_n) rtc__dtls_record_flight_free(d);
        rtc__dtls_ev_t *e = &d->ev[(d->ev_head + d->ev_n) % d->ev_cap];
        e->type = RTC_DTLS_EVENT_DATA;
        e->data = m;
        e->len = n;
        d->ev_n++;
      }
    } else if (d->lean) {
      if (ours)
        dtls_lean_record(d, p, rl);
      else
        d->dropped_in++; /* another epoch's records: an old flight, or forged */
    } else {
      rtc__dtls_feed(d, p, rl);
    }
    p += rl;
    len -= rl;
  }
  if (len) d->dropped_in++;
}

/* mbedTLS 2.28 (Debian's build, no MBEDTLS_SSL_VARIABLE_BUFFER_LENGTH) keeps two
 * ~16.7 KB record buffers, the session (with the peer's certificate), the record
 * transforms and, on the server, the handshake with its last flight: ~15-40 KB per
 * peer connection (B3, bench/PROFILE.md). Once the handshake is over on the fast
 * path nothing needs it: application records are ours, and so can be the rest
 * (dtls_lean_record, rtc_dtls_close): alerts and close_notify are records of the
 * same epoch and keys, and the server's last flight (ChangeCipherSpec + Finished,
 * the only one a peer can ask again, RFC 6347 4.2.4) is kept as it was sent. So
 * mbedTLS is freed once it holds nothing unread or unsent, its record counter,
 * epoch and replay window copied first. */
void rtc__dtls_record_go_lean(rtc_dtls_t *d) {
  mbedtls_ssl_context *ssl = &d->tls->ssl;
  if (d->lean || !d->fast) return;
  /* Only with nothing buffered: no record half read, no output unflushed. */
  if (ssl->in_offt || ssl->out_left || ssl->keep_current_message) return;
  if (ssl->in_left && ssl->next_record_offset != ssl->in_left) return;
  memcpy(d->out_ctr, ssl->cur_out_ctr, 8);
  d->in_epoch = ssl->in_epoch;
  d->in_window_top = ssl->in_window_top;
  d->in_window = ssl->in_window;
  d->lean = true;
  d->timer_fin_ms = 0;
  mbedtls_ssl_free(ssl);
  mbedtls_ssl_config_free(&d->tls->conf);
  free(d->tls);
  d->tls = NULL;
}

/* The server's last flight: the datagrams queued since out_before by the drive
 * that ended the handshake, kept for dtls_lean_record. On allocation failure the
 * flight is not kept (a lost flight 6 then times the client out, as a lost
 * network would). */
void rtc__dtls_record_keep_flight(rtc_dtls_t *d, size_t out_before) {
  if (d->role != RTC_DTLS_ROLE_SERVER || !d->fast) return;
  for (size_t i = out_before; i < d->out_n && d->flight_n < DTLS_FLIGHT_MAX; i++) {
    const rtc__dtls_buf_t *b = &d->out[(d->out_head + i) % d->out_cap];
    uint8_t *copy = malloc(b->len);
    if (!copy) {
      rtc__dtls_record_flight_free(d);
      return;
    }
    memcpy(copy, b->p, b->len);
    d->flight[d->flight_n].p = copy;
    d->flight[d->flight_n].len = b->len;
    d->flight_n++;
  }
}

bool rtc__dtls_fast(const rtc_dtls_t *d) { return d && d->fast; }
bool rtc__dtls_lean(const rtc_dtls_t *d) { return d && d->lean; }
unsigned rtc__dtls_flight_resends(const rtc_dtls_t *d) { return d ? d->flight_resends : 0; }
