/* One DTLS connection's state, shared by the files that drive it: rtc_dtls.c (the
 * handshake on mbedTLS, the API), rtc_dtls_record.c (application records on our own
 * AES-GCM, and lean mode once mbedTLS is freed), rtc_dtls_keys.c (the keying material
 * a handshake yields: SRTP keys, the record keys) and rtc_dtls_queue.c (what goes to
 * the owner: datagrams, events, the buffers they live in). Not for other modules. */
#ifndef RTC_DTLS_CONN_H
#define RTC_DTLS_CONN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mbedtls/ssl.h>

#include "base/rtc_ring.h"
#include "dtls/rtc_dtls.h"
#include "dtls/rtc_dtls_gcm.h"
#include "dtls/rtc_dtls_reassembly.h"

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
 * flight once mbedTLS is gone (rtc__dtls_record_go_lean). The client retransmits up
 * to DTLS_MAX_TIMEOUTS (12) times, and a browser's BoringSSL as many: answering fewer
 * would leave it to give up on a server that is connected (8 did, at 29% loss). Each
 * answer is one datagram for one authenticated record of the new epoch, so the bound
 * is against a broken peer, not an amplification. */
#define DTLS_FLIGHT_RESENDS 32
#define DTLS_FLIGHT_MAX 4 /* datagrams kept of that flight (mbedTLS sends 1) */

typedef struct rtc__dtls_buf {
  uint8_t *p;
  size_t len;
} rtc__dtls_buf_t;

typedef struct rtc__dtls_tls {
  mbedtls_ssl_config conf;
  mbedtls_ssl_context ssl;
} rtc__dtls_tls_t;

typedef struct rtc__dtls_ev {
  rtc_dtls_event_type_t type;
  uint8_t *data;
  size_t len;
} rtc__dtls_ev_t;

struct rtc_dtls {
  rtc_dtls_cert_t *cert;
  rtc_dtls_state_t state;
  rtc_dtls_role_t role;
  char suite[64]; /* IANA name of the negotiated suite, once connected */
  uint32_t rto_ms, max_rto_ms;
  uint32_t hs_timeouts; /* in a row, without input from the peer (DTLS_MAX_TIMEOUTS) */
  bool in_timeout;      /* mbedTLS runs on our timer (dtls_set_timer) */
  uint16_t mtu;
  uint64_t now_us;

  /* mbedTLS timer on our clock: started at the now_us of set_timer. */
  uint64_t timer_start_us;
  uint32_t timer_int_ms, timer_fin_ms;

  /* mbedTLS, until the handshake is over on the fast path (rtc__dtls_record_go_lean): one
   * config per connection (a few hundred bytes of pointers: each connection has
   * its own certificate, RTO and callback contexts) and the SSL context. */
  struct rtc__dtls_tls *tls;

  /* The peer's fingerprint from SDP. */
  mbedtls_md_type_t fp_md;
  uint8_t fp[64];
  size_t fp_len;
  bool fp_ok;       /* the peer's certificate matched */
  bool fp_mismatch; /* a certificate was seen and did not match */
  /* The peer's certificate (DER), copied at connected: the SSL context that holds it
   * is freed on the fast path (W3C RTCDtlsTransport.getRemoteCertificates). */
  uint8_t *peer_der;
  size_t peer_der_len;

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

  rtc__dtls_buf_t early[DTLS_EARLY_MAX];
  size_t early_n, early_bytes;

  rtc__dtls_buf_t *out; /* ring of out_cap (<= DTLS_OUT_MAX) */
  size_t out_head, out_n, out_cap;
  uint8_t *out_borrowed;

  rtc__dtls_ev_t *ev; /* ring of ev_cap (<= DTLS_EV_MAX) */
  size_t ev_head, ev_n, ev_cap;
  uint8_t *ev_borrowed;
  char reason[128];
  /* The fatal alerts (RFC 5246 7.2) that ended the connection, -1 when none: W3C
   * RTCError receivedAlert / sentAlert of the transport's error event. */
  int alert_rx, alert_tx;

  rtc_dtls_reasm_t reasm;
  uint32_t dropped_in, dropped_out, dropped_ev;

  /* Application records with our own AES-GCM (rtc_dtls_gcm.c) once connected with
   * an AES-GCM suite: mbedTLS's GCM was ~37% of a bulk channel's CPU. mbedTLS still
   * does everything else (handshake, retransmitted flights, alerts, close_notify)
   * and shares with us its outgoing record counter (so no nonce is ever used twice)
   * and its replay window. kb: the key block, kept from the export callback until
   * the handshake ends. */
  bool fast;
  /* mbedTLS freed (rtc__dtls_record_go_lean): its record counter, epoch and replay window
   * continue here, and the server keeps its last flight to resend it. */
  bool lean;
  uint8_t out_ctr[8];
  uint16_t in_epoch;
  uint64_t in_window_top, in_window;
  rtc__dtls_buf_t flight[DTLS_FLIGHT_MAX];
  uint8_t flight_n, flight_resends;
  rtc__gcm_t gcm_enc, gcm_dec;
  uint8_t iv_enc[4], iv_dec[4];
  bool have_kb;
  size_t kb_keylen;
  uint8_t kb[2 * 32 + 2 * 4];
};

/* ---- rtc_dtls_queue.c: datagrams and events for the owner --------------------- */

static inline bool rtc__dtls_out_room(rtc_dtls_t *d) {
  return rtc_ring_room((void **)&d->out, &d->out_cap, &d->out_head, d->out_n, sizeof *d->out,
                       DTLS_RING_FIRST, DTLS_OUT_MAX);
}

static inline bool rtc__dtls_ev_room(rtc_dtls_t *d) {
  return rtc_ring_room((void **)&d->ev, &d->ev_cap, &d->ev_head, d->ev_n, sizeof *d->ev,
                       DTLS_RING_FIRST, DTLS_EV_MAX);
}

/* Buffers for records and event payloads (a small free list for the common size). */
uint8_t *rtc__dtls_mem_get(size_t len);
void rtc__dtls_mem_put(uint8_t *p);
/* A copy of p queued for the owner; dropped and counted when the queue is full or
 * memory is short (DTLS and SCTP retransmit). */
void rtc__dtls_push_datagram(rtc_dtls_t *d, const uint8_t *p, size_t len);
void rtc__dtls_push_event(rtc_dtls_t *d, rtc_dtls_event_type_t type, const uint8_t *p, size_t len);
/* FAILED with reason (and mbedTLS's error ret, if not 0), once. */
void rtc__dtls_fail(rtc_dtls_t *d, const char *reason, int ret);

/* ---- rtc_dtls.c: the handshake on mbedTLS -------------------------------------- */

/* One datagram (or record) to mbedTLS, then whatever it does with it. */
void rtc__dtls_feed(rtc_dtls_t *d, const uint8_t *p, size_t len);

/* ---- rtc_dtls_record.c: application records, lean mode ------------------------- */

/* At the handshake's end: our AES-GCM takes application records when the suite
 * allows (d->fast); the key block is wiped either way. */
void rtc__dtls_record_setup(rtc_dtls_t *d);
/* One record of the given content type with p as plaintext, queued. */
int rtc__dtls_record_seal(rtc_dtls_t *d, uint8_t type, const uint8_t *p, size_t len);
/* A datagram once connected on the fast path. */
void rtc__dtls_record_input(rtc_dtls_t *d, const uint8_t *p, size_t len);
/* Frees mbedTLS once it holds nothing unread or unsent (d->lean). */
void rtc__dtls_record_go_lean(rtc_dtls_t *d);
/* The server keeps its last flight (queued since out_before) to resend it. */
void rtc__dtls_record_keep_flight(rtc_dtls_t *d, size_t out_before);
void rtc__dtls_record_flight_free(rtc_dtls_t *d);

/* ---- rtc_dtls_keys.c: keying material ------------------------------------------ */

/* Asks mbedTLS for the SRTP profiles we offer and for its key export. */
int rtc__dtls_keys_conf(rtc_dtls_t *d, mbedtls_ssl_config *c);
/* RFC 5764 4.2: the SRTP keys from the master secret (d->have_keys). */
void rtc__dtls_keys_derive_srtp(rtc_dtls_t *d);

#endif
