/* DTLS 1.2 over mbedTLS 2.28 with in-memory I/O, sans-IO (see rtc_dtls.h). */
#include "dtls/rtc_dtls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <mbedtls/error.h>
#include <mbedtls/md.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_internal.h>

#include "base/rtc_err.h"
#include "base/rtc_log.h"
#include "base/rtc_time.h"
#include "dtls/rtc_dtls_ecp.h"
#include "dtls/rtc_dtls_gcm.h"
#include "dtls/rtc_dtls_internal.h"
#include "base/rtc_ring.h"
#include "dtls/rtc_dtls_reassembly.h"

#define DTLS_DEFAULT_RTO_MS 100
#define DTLS_DEFAULT_MAX_RTO_MS 3000
#define DTLS_DEFAULT_MTU 1200
/* Bounds on what a peer (or a stalled owner) can make us hold. */
#define DTLS_EARLY_MAX 16
#define DTLS_EARLY_MAX_BYTES (64 * 1024)
/* 256, not 64: the io layer now flushes once per batch of up to 20 received
 * datagrams (recvmmsg), and the SACKs in a batch may release that many packets. */
#define DTLS_OUT_MAX 256
/* DTLS 1.2 record header (RFC 6347 4.1) and AES-GCM's explicit nonce and tag
 * (RFC 5288 3). */
#define DTLS_HDR 13
#define DTLS_GCM_NONCE 8
#define DTLS_GCM_TAG 16
#define DTLS_EV_MAX 64
/* The out and event rings start this small and double up to their bound as they
 * fill (base/rtc_ring.h): at rest a few entries, not 5.6 KiB (issue 12, B3). */
#define DTLS_RING_FIRST 8
/* Times the server answers a retransmitted client Finished with its saved last
 * flight once mbedTLS is gone (dtls_go_lean): mbedTLS's own bound is its
 * handshake timeout; ours only has to outlast a few losses of flight 6. */
#define DTLS_FLIGHT_RESENDS 8
#define DTLS_FLIGHT_MAX 4 /* datagrams kept of that flight (mbedTLS sends 1) */

typedef struct dtls_buf {
  uint8_t *p;
  size_t len;
} dtls_buf_t;

typedef struct dtls_tls {
  mbedtls_ssl_config conf;
  mbedtls_ssl_context ssl;
} dtls_tls_t;

typedef struct dtls_ev {
  rtc_dtls_event_type_t type;
  uint8_t *data;
  size_t len;
} dtls_ev_t;

struct rtc_dtls {
  rtc_dtls_cert_t *cert;
  rtc_dtls_state_t state;
  rtc_dtls_role_t role;
  char suite[64]; /* IANA name of the negotiated suite, once connected */
  uint32_t rto_ms, max_rto_ms;
  uint16_t mtu;
  uint64_t now_us;

  /* mbedTLS timer on our clock: started at the now_us of set_timer. */
  uint64_t timer_start_us;
  uint32_t timer_int_ms, timer_fin_ms;

  /* mbedTLS, until the handshake is over on the fast path (dtls_go_lean): one
   * config per connection (a few hundred bytes of pointers: each connection has
   * its own certificate, RTO and callback contexts) and the SSL context. */
  struct dtls_tls *tls;

  /* The peer's fingerprint from SDP. */
  mbedtls_md_type_t fp_md;
  uint8_t fp[64];
  size_t fp_len;
  bool fp_ok;       /* the peer's certificate matched */
  bool fp_mismatch; /* a certificate was seen and did not match */

  /* Keying material captured during the handshake (RFC 5764 4.2). */
  bool have_master;
  mbedtls_tls_prf_types prf;
  uint8_t master[48];
  uint8_t randoms[64]; /* client_random + server_random */
  bool have_keys;
  rtc_dtls_srtp_keys_t keys;

  /* The datagram mbedTLS is reading, for the recv callback. */
  const uint8_t *in_p;
  size_t in_len;

  dtls_buf_t early[DTLS_EARLY_MAX];
  size_t early_n, early_bytes;

  dtls_buf_t *out; /* ring of out_cap (<= DTLS_OUT_MAX) */
  size_t out_head, out_n, out_cap;
  uint8_t *out_borrowed;

  dtls_ev_t *ev; /* ring of ev_cap (<= DTLS_EV_MAX) */
  size_t ev_head, ev_n, ev_cap;
  uint8_t *ev_borrowed;
  char reason[128];

  rtc_dtls_reasm_t reasm;
  uint32_t dropped_in, dropped_out, dropped_ev;

  /* Application records with our own AES-GCM (rtc_dtls_gcm.c) once connected with
   * an AES-GCM suite: mbedTLS's GCM was ~37% of a bulk channel's CPU. mbedTLS still
   * does everything else (handshake, retransmitted flights, alerts, close_notify)
   * and shares with us its outgoing record counter (so no nonce is ever used twice)
   * and its replay window. kb: the key block, kept from the export callback until
   * the handshake ends. */
  bool fast;
  /* mbedTLS freed (dtls_go_lean): its record counter, epoch and replay window
   * continue here, and the server keeps its last flight to resend it. */
  bool lean;
  uint8_t out_ctr[8];
  uint16_t in_epoch;
  uint64_t in_window_top, in_window;
  dtls_buf_t flight[DTLS_FLIGHT_MAX];
  uint8_t flight_n, flight_resends;
  rtc__gcm_t gcm_enc, gcm_dec;
  uint8_t iv_enc[4], iv_dec[4];
  bool have_kb;
  size_t kb_keylen;
  uint8_t kb[2 * 32 + 2 * 4];
};

/* Browsers negotiate ECDHE-ECDSA with AES-GCM (RFC 8827 6.5), but peers with RSA
 * certificates are still met (GStreamer's webrtcbin, gateways, older stacks):
 * ECDHE-RSA is offered too. AES-GCM first (our own fast record path covers it),
 * then ChaCha20 and, last, AES-CBC for stacks without AEAD (both through mbedTLS).
 * One list for both roles: a server only picks the suites its own key can sign,
 * and the client's certificate type is independent of the suite. */
static const int dtls_ciphersuites[] = {
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
#if defined(MBEDTLS_CHACHAPOLY_C)
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
#endif
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
    0,
};

/* ECDHE groups, the first one preferred (an mbedTLS server picks by its own order).
 * With mbedTLS's own code X25519 is a little cheaper than P-256; with the libcrypto
 * path (rtc_dtls_ecp.h) P-256 is: ~55 us a key exchange against ~110 us for X25519,
 * whose OpenSSL 3 EVP key import costs more than its multiplication. */
static const mbedtls_ecp_group_id dtls_curves_mbedtls[] = {
#if defined(MBEDTLS_ECP_DP_CURVE25519_ENABLED)
    MBEDTLS_ECP_DP_CURVE25519,
#endif
    MBEDTLS_ECP_DP_SECP256R1,
    MBEDTLS_ECP_DP_NONE,
};
static const mbedtls_ecp_group_id dtls_curves_libcrypto[] = {
    MBEDTLS_ECP_DP_SECP256R1,
#if defined(MBEDTLS_ECP_DP_CURVE25519_ENABLED)
    MBEDTLS_ECP_DP_CURVE25519,
#endif
    MBEDTLS_ECP_DP_NONE,
};

/* mbedTLS 2.28 has no SRTP_AEAD_AES_128_GCM (RFC 7714) profile value, so only
 * SRTP_AES128_CM_HMAC_SHA1_80, which every WebRTC endpoint supports. */
static const mbedtls_ssl_srtp_profile dtls_srtp_profiles[] = {
    MBEDTLS_TLS_SRTP_AES128_CM_HMAC_SHA1_80,
    MBEDTLS_TLS_SRTP_UNSET,
};

/* mbedTLS reads into a buffer of this size at most: one record. Static since
 * there are no threads and the bytes are copied into the event at once. */
static uint8_t dtls_read_buf[16384];

/* Record and event buffers. A bulk channel allocates two per packet (the sealed
 * record, the opened payload), ~1.2 KB each: above glibc's tcache sizes, so each
 * malloc/free went through its slow path (~6% of B2a's CPU). Buffers up to
 * DTLS_MEM_CLASS bytes come from a small process-wide free list instead (no
 * threads); a header before the bytes keeps the capacity. */
#define DTLS_MEM_CLASS 1536
#if defined(__SANITIZE_ADDRESS__) /* ASan sees every use after free */
#define DTLS_MEM_KEEP 0
#else
#define DTLS_MEM_KEEP 128 /* at most this many idle buffers kept (~200 KB) */
#endif
#define DTLS_MEM_HDR 16 /* keeps the bytes 16-byte aligned */

typedef union dtls_mem {
  union dtls_mem *next; /* while idle */
  size_t cap;           /* while in use */
  uint8_t align[DTLS_MEM_HDR];
} dtls_mem_t;

static dtls_mem_t *dtls_mem_idle;
static unsigned dtls_mem_idle_n;

static uint8_t *dtls_mem_get(size_t len) {
  dtls_mem_t *m;
  if (len <= DTLS_MEM_CLASS && dtls_mem_idle) {
    m = dtls_mem_idle;
    dtls_mem_idle = m->next;
    dtls_mem_idle_n--;
  } else {
    size_t cap = len <= DTLS_MEM_CLASS ? DTLS_MEM_CLASS : len;
    m = malloc(DTLS_MEM_HDR + cap);
    if (!m) return NULL;
  }
  m->cap = len <= DTLS_MEM_CLASS ? DTLS_MEM_CLASS : len;
  return (uint8_t *)m + DTLS_MEM_HDR;
}

static void dtls_mem_put(uint8_t *p) {
  if (!p) return;
  dtls_mem_t *m = (dtls_mem_t *)(p - DTLS_MEM_HDR);
  if (m->cap != DTLS_MEM_CLASS || (int)dtls_mem_idle_n >= DTLS_MEM_KEEP) {
    free(m);
    return;
  }
  m->next = dtls_mem_idle;
  dtls_mem_idle = m;
  dtls_mem_idle_n++;
}

/* ---- queues ----------------------------------------------------------------- */

static bool out_room(rtc_dtls_t *d) {
  return rtc_ring_room((void **)&d->out, &d->out_cap, &d->out_head, d->out_n, sizeof *d->out,
                       DTLS_RING_FIRST, DTLS_OUT_MAX);
}

static bool ev_room(rtc_dtls_t *d) {
  return rtc_ring_room((void **)&d->ev, &d->ev_cap, &d->ev_head, d->ev_n, sizeof *d->ev,
                       DTLS_RING_FIRST, DTLS_EV_MAX);
}

static void dtls_push_event(rtc_dtls_t *d, rtc_dtls_event_type_t type, const uint8_t *p,
                            size_t len) {
  if (!ev_room(d)) {
    d->dropped_ev++;
    return;
  }
  uint8_t *copy = NULL;
  if (len) {
    copy = dtls_mem_get(len);
    if (!copy) {
      d->dropped_ev++;
      return;
    }
    memcpy(copy, p, len);
  }
  dtls_ev_t *e = &d->ev[(d->ev_head + d->ev_n) % d->ev_cap];
  e->type = type;
  e->data = copy;
  e->len = len;
  d->ev_n++;
}

static void dtls_fail(rtc_dtls_t *d, const char *reason, int ret) {
  if (d->state == RTC_DTLS_FAILED || d->state == RTC_DTLS_CLOSED) return;
  if (ret) {
    char e[80];
    mbedtls_strerror(ret, e, sizeof e);
    snprintf(d->reason, sizeof d->reason, "%s (-0x%04x %s)", reason, (unsigned)-ret, e);
  } else {
    snprintf(d->reason, sizeof d->reason, "%s", reason);
  }
  RTC_LOG(RTC_LOG_INFO, "dtls", "failed: %s", d->reason);
  d->state = RTC_DTLS_FAILED;
  d->timer_fin_ms = 0;
  dtls_push_event(d, RTC_DTLS_EVENT_FAILED, NULL, 0);
}

/* ---- mbedTLS callbacks -------------------------------------------------------- */

static int dtls_bio_send(void *ctx, const unsigned char *buf, size_t len) {
  rtc_dtls_t *d = ctx;
  /* A full queue drops like a full socket buffer would: DTLS retransmits. */
  uint8_t *copy = out_room(d) ? dtls_mem_get(len ? len : 1) : NULL;
  if (!copy) {
    d->dropped_out++;
    return (int)len;
  }
  memcpy(copy, buf, len);
  dtls_buf_t *b = &d->out[(d->out_head + d->out_n) % d->out_cap];
  b->p = copy;
  b->len = len;
  d->out_n++;
  return (int)len;
}

static int dtls_bio_recv(void *ctx, unsigned char *buf, size_t len) {
  rtc_dtls_t *d = ctx;
  if (!d->in_p) return MBEDTLS_ERR_SSL_WANT_READ;
  size_t n = d->in_len < len ? d->in_len : len;
  memcpy(buf, d->in_p, n);
  d->in_p = NULL;
  d->in_len = 0;
  return (int)n;
}

static void dtls_set_timer(void *ctx, uint32_t int_ms, uint32_t fin_ms) {
  rtc_dtls_t *d = ctx;
  d->timer_start_us = d->now_us;
  d->timer_int_ms = int_ms;
  d->timer_fin_ms = fin_ms;
}

static int dtls_get_timer(void *ctx) {
  rtc_dtls_t *d = ctx;
  if (d->timer_fin_ms == 0) return -1;
  uint64_t el = d->now_us > d->timer_start_us ? d->now_us - d->timer_start_us : 0;
  if (el >= RTC_MS(d->timer_fin_ms)) return 2;
  if (el >= RTC_MS(d->timer_int_ms)) return 1;
  return 0;
}

static bool dtls_fp_matches(const rtc_dtls_t *d, const uint8_t *der, size_t len) {
  const mbedtls_md_info_t *md = mbedtls_md_info_from_type(d->fp_md);
  uint8_t h[64];
  if (!md || mbedtls_md_get_size(md) != d->fp_len) return false;
  if (mbedtls_md(md, der, len, h) != 0) return false;
  /* Not secret, but compare in constant time anyway. */
  uint8_t diff = 0;
  for (size_t i = 0; i < d->fp_len; i++)
    diff |= (uint8_t)(h[i] ^ d->fp[i]);
  return diff == 0;
}

/* WebRTC certificates are self-signed: trust comes from the SDP fingerprint
 * (RFC 8842 5, RFC 8122 5), so the chain errors are cleared and the leaf's
 * digest decides. A mismatch aborts the handshake with an alert: the error is
 * not one that VERIFY_OPTIONAL ignores. */
static int dtls_verify(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags) {
  rtc_dtls_t *d = ctx;
  if (depth != 0) {
    *flags = 0;
    return 0;
  }
  if (dtls_fp_matches(d, crt->raw.p, crt->raw.len)) {
    d->fp_ok = true;
    *flags = 0;
    return 0;
  }
  d->fp_mismatch = true;
  *flags |= MBEDTLS_X509_BADCERT_NOT_TRUSTED;
  return MBEDTLS_ERR_X509_FATAL_ERROR;
}

static int dtls_export_keys(void *ctx, const unsigned char *ms, const unsigned char *kb,
                            size_t maclen, size_t keylen, size_t ivlen,
                            const unsigned char client_random[32],
                            const unsigned char server_random[32], mbedtls_tls_prf_types prf) {
  rtc_dtls_t *d = ctx;
  memcpy(d->master, ms, 48);
  memcpy(d->randoms, client_random, 32);
  memcpy(d->randoms + 32, server_random, 32);
  d->prf = prf;
  d->have_master = true;
  /* AEAD suites: no MAC keys, 4-byte implicit IVs (RFC 5288 3). Layout (RFC 5246
   * 6.3): client key, server key, client IV, server IV. */
  if (maclen == 0 && (keylen == 16 || keylen == 32) && ivlen == 4) {
    memcpy(d->kb, kb, 2 * keylen + 2 * ivlen);
    d->kb_keylen = keylen;
    d->have_kb = true;
  }
  return 0;
}

/* ---- application records on the fast path ------------------------------------ */

static void dtls_fast_setup(rtc_dtls_t *d) {
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
static uint8_t *dtls_out_ctr(rtc_dtls_t *d) { return d->lean ? d->out_ctr : d->tls->ssl.cur_out_ctr; }
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
static int dtls_fast_seal(rtc_dtls_t *d, uint8_t type, const uint8_t *p, size_t len) {
  unsigned char *ctr = dtls_out_ctr(d);
  bool last = true; /* the 48-bit sequence number must not wrap (RFC 6347 4.1) */
  for (int i = 2; i < 8; i++)
    if (ctr[i] != 0xff) last = false;
  if (last) return RTC_EIO;
  if (!out_room(d)) { /* as dtls_bio_send: dropped, SCTP retransmits */
    d->dropped_out++;
    return 0;
  }
  size_t n = DTLS_HDR + DTLS_GCM_NONCE + len + DTLS_GCM_TAG;
  uint8_t *r = dtls_mem_get(n);
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
  dtls_buf_t *b = &d->out[(d->out_head + d->out_n) % d->out_cap];
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
  uint8_t *out = dtls_mem_get(len ? len : 1);
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
    dtls_mem_put(out); /* RFC 6347 4.1.2.1: invalid records are silently discarded */
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

static void dtls_flight_free(rtc_dtls_t *d) {
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
      dtls_fail(d, "fatal alert received", MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE);
    } else if (m[1] == MBEDTLS_SSL_ALERT_MSG_CLOSE_NOTIFY) {
      d->state = RTC_DTLS_CLOSED;
      dtls_push_event(d, RTC_DTLS_EVENT_CLOSED, NULL, 0);
    }
  } else if (p[0] == MBEDTLS_SSL_MSG_HANDSHAKE && d->flight_n &&
             d->flight_resends < DTLS_FLIGHT_RESENDS) {
    d->flight_resends++;
    for (size_t i = 0; i < d->flight_n; i++)
      dtls_bio_send(d, d->flight[i].p, d->flight[i].len);
  } else {
    d->dropped_in++;
  }
  dtls_mem_put(m);
}

static void dtls_feed(rtc_dtls_t *d, const uint8_t *p, size_t len);

/* A datagram once connected on the fast path: each record in turn, application
 * records of the current epoch here, anything else (alerts, a retransmitted
 * flight) to mbedTLS one record at a time, or once it is gone, to
 * dtls_lean_record. */
static void dtls_fast_input(rtc_dtls_t *d, const uint8_t *p, size_t len) {
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
      else if (!ev_room(d))
        d->dropped_ev++;
      else
        m = dtls_open(d, p, rl, false, &n);
      if (m) {
        /* The peer sent data: it has our Finished, the flight is not needed. */
        if (d->flight_n) dtls_flight_free(d);
        dtls_ev_t *e = &d->ev[(d->ev_head + d->ev_n) % d->ev_cap];
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
      dtls_feed(d, p, rl);
    }
    p += rl;
    len -= rl;
  }
  if (len) d->dropped_in++;
}

/* ---- handshake completion ------------------------------------------------------ */

static void dtls_derive_srtp(rtc_dtls_t *d) {
  mbedtls_dtls_srtp_info info;
  mbedtls_ssl_get_dtls_srtp_negotiation_result(&d->tls->ssl, &info);
  if (info.chosen_dtls_srtp_profile == MBEDTLS_TLS_SRTP_UNSET || !d->have_master) return;
  /* RFC 5764 4.2: keying material = PRF(master_secret, "EXTRACTOR-dtls_srtp",
   * client_random + server_random), split as client key, server key, client
   * salt, server salt. AES128_CM_HMAC_SHA1_80: 16-byte keys, 14-byte salts. */
  const size_t kl = 16, sl = 14;
  uint8_t km[2 * (16 + 14)];
  if (mbedtls_ssl_tls_prf(d->prf, d->master, 48, "EXTRACTOR-dtls_srtp", d->randoms, 64, km,
                          sizeof km) != 0)
    return;
  memset(&d->keys, 0, sizeof d->keys);
  d->keys.profile = info.chosen_dtls_srtp_profile;
  d->keys.key_len = kl;
  d->keys.salt_len = sl;
  memcpy(d->keys.client_key, km, kl);
  memcpy(d->keys.server_key, km + kl, kl);
  memcpy(d->keys.client_salt, km + 2 * kl, sl);
  memcpy(d->keys.server_salt, km + 2 * kl + sl, sl);
  mbedtls_platform_zeroize(km, sizeof km);
  d->have_keys = true;
}

static void dtls_keep_flight(rtc_dtls_t *d, size_t out_before);
static void dtls_go_lean(rtc_dtls_t *d);

static void dtls_handshake_done(rtc_dtls_t *d, size_t out_before) {
  /* Belt and braces: the verify callback may not have run (a client that sent
   * no certificate), and then VERIFY_OPTIONAL lets the handshake finish. */
  const mbedtls_x509_crt *peer = mbedtls_ssl_get_peer_cert(&d->tls->ssl);
  if (!peer || !d->fp_ok || !dtls_fp_matches(d, peer->raw.p, peer->raw.len)) {
    mbedtls_ssl_send_alert_message(&d->tls->ssl, MBEDTLS_SSL_ALERT_LEVEL_FATAL,
                                   MBEDTLS_SSL_ALERT_MSG_BAD_CERT);
    dtls_fail(d, peer ? "fingerprint mismatch" : "no peer certificate", 0);
    return;
  }
  dtls_derive_srtp(d);
  mbedtls_platform_zeroize(d->master, sizeof d->master);
  d->have_master = false;
  d->state = RTC_DTLS_CONNECTED;
  dtls_fast_setup(d);
  dtls_keep_flight(d, out_before);
  /* mbedTLS spells the IANA name with '-' */
  snprintf(d->suite, sizeof d->suite, "%s", mbedtls_ssl_get_ciphersuite(&d->tls->ssl));
  for (char *c = d->suite; *c; c++)
    if (*c == '-') *c = '_';
  /* The MTU only shapes handshake flights; an application record is one record
   * of up to 16384 bytes (the owner's choice, e.g. SCTP's own MTU). */
  mbedtls_ssl_set_mtu(&d->tls->ssl, 0);
  /* Once per connection: which suite and certificate types met (interop runs
   * read it). */
  RTC_LOG(RTC_LOG_INFO, "dtls", "connected as %s, %s (%s records), peer key %s, srtp profile %u",
          d->role == RTC_DTLS_ROLE_CLIENT ? "client" : "server",
          d->suite, d->fast ? "fast" : "mbedTLS",
          mbedtls_pk_get_name(&peer->pk), (unsigned)d->keys.profile);
  dtls_push_event(d, RTC_DTLS_EVENT_CONNECTED, NULL, 0);
}

/* A server that has not accepted a ClientHello yet has lost nothing when it
 * reads a malformed one (a stray or forged datagram): it is dropped, mbedTLS
 * is reset and the real ClientHello still works. Errors that mean "no common
 * parameters" are real failures and still fail the handshake. */
static bool dtls_drop_bad_client_hello(rtc_dtls_t *d, int ret, size_t out_before) {
  if (d->role != RTC_DTLS_ROLE_SERVER || d->tls->ssl.state > MBEDTLS_SSL_CLIENT_HELLO) return false;
  if (ret != MBEDTLS_ERR_SSL_BAD_HS_CLIENT_HELLO && ret != MBEDTLS_ERR_SSL_INVALID_RECORD &&
      ret != MBEDTLS_ERR_SSL_UNEXPECTED_MESSAGE && ret != MBEDTLS_ERR_SSL_UNEXPECTED_RECORD &&
      ret != MBEDTLS_ERR_SSL_FEATURE_UNAVAILABLE && ret != MBEDTLS_ERR_SSL_BAD_INPUT_DATA &&
      ret != MBEDTLS_ERR_SSL_INVALID_MAC)
    return false;
  if (mbedtls_ssl_session_reset(&d->tls->ssl) != 0) return false;
  /* The alert mbedTLS queued would reach the real client and kill it. */
  while (d->out_n > out_before) {
    d->out_n--;
    dtls_mem_put(d->out[(d->out_head + d->out_n) % d->out_cap].p);
  }
  rtc_dtls_reasm_close(&d->reasm);
  rtc_dtls_reasm_init(&d->reasm);
  d->timer_fin_ms = 0;
  d->dropped_in++;
  RTC_LOG(RTC_LOG_DEBUG, "dtls", "malformed ClientHello dropped (-0x%04x)", (unsigned)-ret);
  return true;
}

/* mbedtls_ssl_handshake() step by step (that is all it does in 2.28), so that
 * a peer which sent no certificate is refused before our Finished goes out:
 * VERIFY_OPTIONAL (needed for self-signed certificates on any curve) would
 * otherwise let the handshake complete without one (RFC 8842 5 requires it). */
#define DTLS_ERR_NO_PEER_CERT (-0x7fff)
static int dtls_handshake(rtc_dtls_t *d) {
  const int cert_state = d->role == RTC_DTLS_ROLE_SERVER ? MBEDTLS_SSL_CLIENT_CERTIFICATE
                                                         : MBEDTLS_SSL_SERVER_CERTIFICATE;
  int ret = 0;
  while (d->tls->ssl.state != MBEDTLS_SSL_HANDSHAKE_OVER) {
    if ((ret = mbedtls_ssl_handshake_step(&d->tls->ssl)) != 0) break;
    if (d->tls->ssl.state > cert_state && !d->fp_ok) {
      mbedtls_ssl_send_alert_message(&d->tls->ssl, MBEDTLS_SSL_ALERT_LEVEL_FATAL,
                                     MBEDTLS_SSL_ALERT_MSG_HANDSHAKE_FAILURE);
      return DTLS_ERR_NO_PEER_CERT;
    }
  }
  return ret;
}

/* Runs mbedTLS on whatever input is set (possibly none: a timer). */
static void dtls_drive(rtc_dtls_t *d) {
  int ret;
  if (d->lean) return;
  if (d->state == RTC_DTLS_CONNECTING) {
    size_t out_before = d->out_n;
    ret = dtls_handshake(d);
    if (ret == 0) {
      dtls_handshake_done(d, out_before);
    } else if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE) {
      return;
    } else if (dtls_drop_bad_client_hello(d, ret, out_before)) {
      return;
    } else if (d->fp_mismatch) {
      dtls_fail(d, "fingerprint mismatch", 0);
    } else if (ret == DTLS_ERR_NO_PEER_CERT) {
      dtls_fail(d, "no peer certificate", 0);
    } else if (ret == MBEDTLS_ERR_SSL_TIMEOUT) {
      dtls_fail(d, "handshake timeout", 0);
    } else if (ret == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE) {
      dtls_fail(d, "fatal alert received", ret);
    } else {
      dtls_fail(d, "handshake failed", ret);
    }
  }
  while (d->state == RTC_DTLS_CONNECTED) {
    ret = mbedtls_ssl_read(&d->tls->ssl, dtls_read_buf, sizeof dtls_read_buf);
    if (ret > 0) {
      dtls_push_event(d, RTC_DTLS_EVENT_DATA, dtls_read_buf, (size_t)ret);
    } else if (ret == 0 || ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
      d->state = RTC_DTLS_CLOSED;
      d->timer_fin_ms = 0;
      dtls_push_event(d, RTC_DTLS_EVENT_CLOSED, NULL, 0);
    } else if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE ||
               ret == MBEDTLS_ERR_SSL_TIMEOUT || ret == MBEDTLS_ERR_SSL_CLIENT_RECONNECT) {
      break;
    } else if (ret == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE) {
      dtls_fail(d, "fatal alert received", ret);
    } else {
      dtls_fail(d, "read failed", ret);
    }
  }
  if (d->state == RTC_DTLS_CONNECTED) dtls_go_lean(d);
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
static void dtls_go_lean(rtc_dtls_t *d) {
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
static void dtls_keep_flight(rtc_dtls_t *d, size_t out_before) {
  if (d->role != RTC_DTLS_ROLE_SERVER || !d->fast) return;
  for (size_t i = out_before; i < d->out_n && d->flight_n < DTLS_FLIGHT_MAX; i++) {
    const dtls_buf_t *b = &d->out[(d->out_head + i) % d->out_cap];
    uint8_t *copy = malloc(b->len);
    if (!copy) {
      dtls_flight_free(d);
      return;
    }
    memcpy(copy, b->p, b->len);
    d->flight[d->flight_n].p = copy;
    d->flight[d->flight_n].len = b->len;
    d->flight_n++;
  }
}

static void dtls_feed(rtc_dtls_t *d, const uint8_t *p, size_t len) {
  d->in_p = p;
  d->in_len = len;
  dtls_drive(d);
  d->in_p = NULL;
  d->in_len = 0;
}

/* ---- API ----------------------------------------------------------------------- */

rtc_dtls_t *rtc_dtls_create(const rtc_dtls_config_t *cfg) {
  rtc_dtls_t *d = NULL;
  if (!cfg || !cfg->cert) goto fail;
  d = calloc(1, sizeof *d);
  if (!d) goto fail;
  d->tls = calloc(1, sizeof *d->tls);
  if (!d->tls) goto fail;
  mbedtls_ssl_config_init(&d->tls->conf);
  mbedtls_ssl_init(&d->tls->ssl);
  rtc_dtls_reasm_init(&d->reasm);
  d->cert = rtc_dtls_cert_ref(cfg->cert);
  d->state = RTC_DTLS_NEW;
  d->rto_ms = cfg->initial_rto_ms ? cfg->initial_rto_ms : DTLS_DEFAULT_RTO_MS;
  d->max_rto_ms = cfg->max_rto_ms ? cfg->max_rto_ms : DTLS_DEFAULT_MAX_RTO_MS;
  if (d->max_rto_ms < d->rto_ms) d->max_rto_ms = d->rto_ms;
  d->mtu = cfg->mtu ? cfg->mtu : DTLS_DEFAULT_MTU;
  if (!rtc__dtls_drbg()) goto fail;
  /* Once per process: whether the handshake's curve math runs on libcrypto
   * (rtc_dtls_ecp.h); this call also links that file into every binary. */
  static bool ecp_logged;
  if (!ecp_logged) {
    ecp_logged = true;
    if (!rtc__dtls_ecp_active())
      RTC_LOG(RTC_LOG_INFO, "dtls", "elliptic curves on mbedTLS's own code (slower setup)");
  }
  return d;
fail:
  rtc_dtls_destroy(d);
  return NULL;
}

void rtc_dtls_destroy(rtc_dtls_t *d) {
  if (!d) return;
  if (d->tls) {
    mbedtls_ssl_free(&d->tls->ssl);
    mbedtls_ssl_config_free(&d->tls->conf);
    free(d->tls);
  }
  dtls_flight_free(d);
  rtc_dtls_reasm_close(&d->reasm);
  for (size_t i = 0; i < d->early_n; i++)
    free(d->early[i].p);
  for (size_t i = 0; i < d->out_n; i++)
    dtls_mem_put(d->out[(d->out_head + i) % d->out_cap].p);
  dtls_mem_put(d->out_borrowed);
  for (size_t i = 0; i < d->ev_n; i++)
    dtls_mem_put(d->ev[(d->ev_head + i) % d->ev_cap].data);
  dtls_mem_put(d->ev_borrowed);
  free(d->out);
  free(d->ev);
  mbedtls_platform_zeroize(d->master, sizeof d->master);
  mbedtls_platform_zeroize(&d->keys, sizeof d->keys);
  mbedtls_platform_zeroize(d->kb, sizeof d->kb);
  rtc__gcm_wipe(&d->gcm_enc);
  rtc__gcm_wipe(&d->gcm_dec);
  rtc_dtls_cert_unref(d->cert);
  free(d);
}

static int dtls_hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* "AB:CD:..." -> bytes; RFC 8122 5: uppercase in SDP, compared case-insensitively. */
static int dtls_parse_fp(rtc_dtls_t *d, const char *alg, const char *fp) {
  static const struct {
    const char *name;
    mbedtls_md_type_t md;
  } algs[] = {{"sha-1", MBEDTLS_MD_SHA1},
              {"sha-224", MBEDTLS_MD_SHA224},
              {"sha-256", MBEDTLS_MD_SHA256},
              {"sha-384", MBEDTLS_MD_SHA384},
              {"sha-512", MBEDTLS_MD_SHA512}};
  d->fp_md = MBEDTLS_MD_NONE;
  for (size_t i = 0; i < sizeof algs / sizeof algs[0]; i++)
    if (strcasecmp(alg, algs[i].name) == 0) d->fp_md = algs[i].md;
  const mbedtls_md_info_t *md = mbedtls_md_info_from_type(d->fp_md);
  if (!md) return RTC_ENOTSUP;
  size_t n = 0;
  const char *s = fp;
  while (*s) {
    int hi = dtls_hexval(s[0]), lo = hi >= 0 ? dtls_hexval(s[1]) : -1;
    if (hi < 0 || lo < 0 || n == sizeof d->fp) return RTC_EINVAL;
    d->fp[n++] = (uint8_t)(hi << 4 | lo);
    s += 2;
    if (*s == ':')
      s++;
    else if (*s)
      return RTC_EINVAL;
  }
  if (n != mbedtls_md_get_size(md)) return RTC_EINVAL;
  d->fp_len = n;
  return 0;
}

int rtc_dtls_start(rtc_dtls_t *d, uint64_t now_us, rtc_dtls_role_t role, const char *fp_alg,
                   const char *fingerprint) {
  int err = RTC_EINVAL;
  if (!d || !fp_alg || !fingerprint) return RTC_EINVAL;
  if (d->state != RTC_DTLS_NEW) return RTC_ESTATE;
  d->now_us = now_us;
  d->role = role;
  if ((err = dtls_parse_fp(d, fp_alg, fingerprint)) != 0) goto fail;
  err = RTC_ECRYPTO;
  mbedtls_ssl_config *c = &d->tls->conf;
  if (mbedtls_ssl_config_defaults(
          c, role == RTC_DTLS_ROLE_SERVER ? MBEDTLS_SSL_IS_SERVER : MBEDTLS_SSL_IS_CLIENT,
          MBEDTLS_SSL_TRANSPORT_DATAGRAM, MBEDTLS_SSL_PRESET_DEFAULT) != 0)
    goto fail;
  /* DTLS 1.2 only (RFC 8827 6.5). */
  mbedtls_ssl_conf_min_version(c, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
  mbedtls_ssl_conf_max_version(c, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
  mbedtls_ssl_conf_rng(c, mbedtls_ctr_drbg_random, rtc__dtls_drbg());
  mbedtls_ssl_conf_ciphersuites(c, dtls_ciphersuites);
  mbedtls_ssl_conf_curves(c, rtc__dtls_ecp_active() ? dtls_curves_libcrypto : dtls_curves_mbedtls);
  /* Both sides must present a certificate (RFC 8842 5); OPTIONAL + our verify
   * callback because it is self-signed and checked against the fingerprint. */
  mbedtls_ssl_conf_authmode(c, MBEDTLS_SSL_VERIFY_OPTIONAL);
  if (mbedtls_ssl_conf_own_cert(c, rtc__dtls_cert_crt(d->cert), rtc__dtls_cert_key(d->cert)) != 0)
    goto fail;
  mbedtls_ssl_conf_handshake_timeout(c, d->rto_ms, d->max_rto_ms);
  mbedtls_ssl_conf_export_keys_ext_cb(c, dtls_export_keys, d);
  if (mbedtls_ssl_conf_dtls_srtp_protection_profiles(c, dtls_srtp_profiles) != 0) goto fail;
  /* No HelloVerifyRequest: ICE connectivity checks already proved the peer's
   * address (RFC 8842 does not require cookies; browsers do not use them). */
  if (role == RTC_DTLS_ROLE_SERVER) mbedtls_ssl_conf_dtls_cookies(c, NULL, NULL, NULL);

  if (mbedtls_ssl_setup(&d->tls->ssl, c) != 0) goto fail;
  mbedtls_ssl_set_bio(&d->tls->ssl, d, dtls_bio_send, dtls_bio_recv, NULL);
  mbedtls_ssl_set_timer_cb(&d->tls->ssl, d, dtls_set_timer, dtls_get_timer);
  mbedtls_ssl_set_verify(&d->tls->ssl, dtls_verify, d);
  mbedtls_ssl_set_mtu(&d->tls->ssl, d->mtu);

  d->state = RTC_DTLS_CONNECTING;
  dtls_drive(d); /* the client sends its ClientHello now */
  /* Datagrams that came before start, in arrival order. */
  for (size_t i = 0; i < d->early_n; i++) {
    if (d->state == RTC_DTLS_CONNECTING || d->state == RTC_DTLS_CONNECTED)
      rtc_dtls_handle_datagram(d, now_us, d->early[i].p, d->early[i].len);
    free(d->early[i].p);
  }
  d->early_n = d->early_bytes = 0;
  return 0;
fail:
  RTC_LOG(RTC_LOG_WARN, "dtls", "start failed: %s", rtc_err_name(err));
  return err;
}

void rtc_dtls_set_rto(rtc_dtls_t *d, uint32_t initial_rto_ms) {
  if (!d || !initial_rto_ms) return;
  d->rto_ms = initial_rto_ms;
  if (d->max_rto_ms < d->rto_ms) d->max_rto_ms = d->rto_ms;
  if (d->state == RTC_DTLS_NEW || !d->tls) return;
  mbedtls_ssl_conf_handshake_timeout(&d->tls->conf, d->rto_ms, d->max_rto_ms);
  /* The running handshake copied hs_timeout_min at setup; update it too (the
   * field is public in 2.28's ssl_internal.h). */
  if (d->tls->ssl.handshake) d->tls->ssl.handshake->retransmit_timeout = d->rto_ms;
}

int rtc_dtls_handle_datagram(rtc_dtls_t *d, uint64_t now_us, const uint8_t *p, size_t len) {
  if (!d || (!p && len)) return RTC_EINVAL;
  d->now_us = now_us;
  /* RFC 7983: DTLS records start with 20..63; a record header is 13 bytes. */
  if (len < 13 || p[0] < 20 || p[0] > 63) {
    d->dropped_in++;
    return 0;
  }
  if (d->state == RTC_DTLS_NEW) {
    if (d->early_n == DTLS_EARLY_MAX || d->early_bytes + len > DTLS_EARLY_MAX_BYTES) {
      d->dropped_in++;
      return 0;
    }
    uint8_t *copy = malloc(len);
    if (!copy) return RTC_ENOMEM;
    memcpy(copy, p, len);
    d->early[d->early_n].p = copy;
    d->early[d->early_n].len = len;
    d->early_n++;
    d->early_bytes += len;
    return 0;
  }
  if (d->state != RTC_DTLS_CONNECTING && d->state != RTC_DTLS_CONNECTED) {
    d->dropped_in++;
    return 0;
  }
  if (d->fast && d->state == RTC_DTLS_CONNECTED) {
    dtls_fast_input(d, p, len);
    return 0;
  }
  if (d->role == RTC_DTLS_ROLE_SERVER && !rtc_dtls_reasm_done(&d->reasm)) {
    const uint8_t *ch = NULL;
    size_t ch_len = 0;
    switch (rtc_dtls_reasm_feed(&d->reasm, p, len, &ch, &ch_len)) {
    case RTC_DTLS_REASM_HELD: return 0;
    case RTC_DTLS_REASM_READY:
      p = ch;
      len = ch_len;
      break;
    case RTC_DTLS_REASM_PASS:
      /* No ClientHello in it: before one, the server has no use for it, and
       * mbedTLS 2.28 would take anything else as a fatal error. */
      if (!rtc_dtls_reasm_done(&d->reasm)) {
        d->dropped_in++;
        return 0;
      }
      break;
    }
  }
  dtls_feed(d, p, len);
  return 0;
}

int rtc_dtls_handle_timeout(rtc_dtls_t *d, uint64_t now_us) {
  if (!d) return RTC_EINVAL;
  d->now_us = now_us;
  if (d->state != RTC_DTLS_CONNECTING && d->state != RTC_DTLS_CONNECTED) return 0;
  if (dtls_get_timer(d) != 2) return 0;
  dtls_drive(d);
  /* A timer mbedTLS left armed after the handshake would spin the owner's loop. */
  if (d->state == RTC_DTLS_CONNECTED && dtls_get_timer(d) == 2) d->timer_fin_ms = 0;
  return 0;
}

uint64_t rtc_dtls_poll_timeout(const rtc_dtls_t *d) {
  if (!d || d->timer_fin_ms == 0) return RTC_NEVER;
  if (d->state != RTC_DTLS_CONNECTING && d->state != RTC_DTLS_CONNECTED) return RTC_NEVER;
  return d->timer_start_us + RTC_MS(d->timer_fin_ms);
}

bool rtc_dtls_poll_transmit(rtc_dtls_t *d, const uint8_t **p, size_t *len) {
  if (!d) return false;
  dtls_mem_put(d->out_borrowed);
  d->out_borrowed = NULL;
  if (d->out_n == 0) return false;
  dtls_buf_t *b = &d->out[d->out_head];
  d->out_head = (d->out_head + 1) % d->out_cap;
  d->out_n--;
  d->out_borrowed = b->p;
  *p = b->p;
  *len = b->len;
  return true;
}

bool rtc_dtls_poll_event(rtc_dtls_t *d, rtc_dtls_event_t *out) {
  if (!d) return false;
  dtls_mem_put(d->ev_borrowed);
  d->ev_borrowed = NULL;
  if (d->ev_n == 0) return false;
  dtls_ev_t *e = &d->ev[d->ev_head];
  d->ev_head = (d->ev_head + 1) % d->ev_cap;
  d->ev_n--;
  d->ev_borrowed = e->data;
  memset(out, 0, sizeof *out);
  out->type = e->type;
  out->data = e->data;
  out->len = e->len;
  out->reason = e->type == RTC_DTLS_EVENT_FAILED ? d->reason : NULL;
  return true;
}

int rtc_dtls_send(rtc_dtls_t *d, const uint8_t *p, size_t len) {
  if (!d || (!p && len)) return RTC_EINVAL;
  if (d->state != RTC_DTLS_CONNECTED) return RTC_ESTATE;
  if (len > 16384) return RTC_ETOOBIG;
  if (d->fast) return dtls_fast_seal(d, MBEDTLS_SSL_MSG_APPLICATION_DATA, p, len);
  int ret = mbedtls_ssl_write(&d->tls->ssl, p, len);
  if (ret >= 0) return 0;
  if (ret == MBEDTLS_ERR_SSL_WANT_WRITE || ret == MBEDTLS_ERR_SSL_WANT_READ) return RTC_EAGAIN;
  if (ret == MBEDTLS_ERR_SSL_BAD_INPUT_DATA) return RTC_ETOOBIG;
  dtls_fail(d, "write failed", ret);
  return RTC_EIO;
}

void rtc_dtls_close(rtc_dtls_t *d) {
  if (!d) return;
  static const uint8_t close_notify[2] = {MBEDTLS_SSL_ALERT_LEVEL_WARNING,
                                          MBEDTLS_SSL_ALERT_MSG_CLOSE_NOTIFY};
  if (d->state == RTC_DTLS_CONNECTED && d->lean)
    dtls_fast_seal(d, MBEDTLS_SSL_MSG_ALERT, close_notify, sizeof close_notify);
  else if (d->state == RTC_DTLS_CONNECTED)
    mbedtls_ssl_close_notify(&d->tls->ssl);
  if (d->state != RTC_DTLS_FAILED) d->state = RTC_DTLS_CLOSED;
  d->timer_fin_ms = 0;
}

rtc_dtls_state_t rtc_dtls_state(const rtc_dtls_t *d) { return d ? d->state : RTC_DTLS_FAILED; }

const char *rtc_dtls_cipher_suite(const rtc_dtls_t *d) {
  if (!d || (d->state != RTC_DTLS_CONNECTED && d->state != RTC_DTLS_CLOSED) || !d->suite[0])
    return NULL;
  return d->suite;
}

int rtc_dtls_get_role(const rtc_dtls_t *d) {
  return d && d->state != RTC_DTLS_NEW ? (int)d->role : -1;
}

bool rtc__dtls_fast(const rtc_dtls_t *d) { return d && d->fast; }
bool rtc__dtls_lean(const rtc_dtls_t *d) { return d && d->lean; }
unsigned rtc__dtls_flight_resends(const rtc_dtls_t *d) { return d ? d->flight_resends : 0; }

int rtc_dtls_get_srtp_keys(const rtc_dtls_t *d, rtc_dtls_srtp_keys_t *out) {
  if (!d || !out) return RTC_EINVAL;
  if (d->state != RTC_DTLS_CONNECTED && d->state != RTC_DTLS_CLOSED) return RTC_ESTATE;
  if (!d->have_keys) return RTC_ENOTFOUND;
  *out = d->keys;
  return 0;
}
