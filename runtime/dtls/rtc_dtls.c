/* DTLS 1.2 over mbedTLS 2.28 with in-memory I/O, sans-IO (see rtc_dtls.h): the
 * handshake on mbedTLS and the API. Application records once connected, and lean
 * mode: rtc_dtls_record.c; keying material: rtc_dtls_keys.c; the queues to the owner:
 * rtc_dtls_queue.c. */
#include "dtls/rtc_dtls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <mbedtls/md.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_internal.h>

#include "base/rtc_err.h"
#include "base/rtc_log.h"
#include "base/rtc_time.h"
#include "dtls/rtc_dtls_conn.h"
#include "dtls/rtc_dtls_ecp.h"
#include "dtls/rtc_dtls_internal.h"

#define DTLS_DEFAULT_RTO_MS 100
/* RFC 6347 4.2.4.1: the retransmission timer doubles "up to no less than the RFC 6298
 * maximum of 60 seconds"; BoringSSL (browsers) caps it at 60 s too. */
#define DTLS_DEFAULT_MAX_RTO_MS 60000
/* The initial RTO the owner derives from its ICE round trip is held to this, as
 * libwebrtc clamps its initial DTLS timeout to 50..3000 ms (dtls_transport.cc): an
 * ICE RTT measured through lost checks can be seconds (a retransmitted check's answer
 * is only an upper bound), and starting from it cost tests/sim seed 856 (connect_lossy)
 * a first retransmission 6.3 s after a lost flight, then 12.6, 25 s... */
#define DTLS_MAX_INITIAL_RTO_MS 3000
#define DTLS_DEFAULT_MTU 1200
/* Timeouts of one flight before the handshake gives up: BoringSSL's DTLS1_MAX_TIMEOUTS.
 * With the RTO doubling to its cap that is minutes (~3.5 min from 100 ms to 60 s), so
 * in practice ICE decides first: a handshake fails on an alert, or because the pc's ICE
 * transport failed, not on a clock of its own. */
#define DTLS_MAX_TIMEOUTS 12
/* mbedTLS 2.28 has one knob for two things: hs_timeout_max is the RTO's cap and its
 * give-up (it fails once a doubled RTO would pass it). It gets this, never reached:
 * dtls_set_timer holds the RTO at max_rto_ms and we count the timeouts ourselves. */
#define DTLS_MBEDTLS_NEVER_MS 0x40000000u

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

/* mbedTLS reads into a buffer of this size at most: one record. Static since
 * there are no threads and the bytes are copied into the event at once. */
static uint8_t dtls_read_buf[16384];

/* ---- mbedTLS callbacks -------------------------------------------------------- */

/* The fatal alert mbedTLS sends on its own (a bad certificate, a decode error): the
 * plaintext alert records of epoch 0 in a datagram it sends. One sent under later keys
 * cannot be read; those are ours (dtls_send_fatal). */
static void dtls_note_sent_alert(rtc_dtls_t *d, const unsigned char *p, size_t len) {
  while (d->alert_tx < 0 && len >= 13) {
    size_t rl = (size_t)p[11] << 8 | p[12];
    if (13 + rl > len) return;
    if (p[0] == MBEDTLS_SSL_MSG_ALERT && p[3] == 0 && p[4] == 0 && rl == 2 &&
        p[13] == MBEDTLS_SSL_ALERT_LEVEL_FATAL)
      d->alert_tx = p[14];
    p += 13 + rl;
    len -= 13 + rl;
  }
}

static void dtls_send_fatal(rtc_dtls_t *d, unsigned char desc) {
  if (d->alert_tx < 0) d->alert_tx = desc;
  mbedtls_ssl_send_alert_message(&d->tls->ssl, MBEDTLS_SSL_ALERT_LEVEL_FATAL, desc);
}

/* The alert mbedTLS just reported as MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE: it leaves the
 * record in in_msg. */
static void dtls_note_received_alert(rtc_dtls_t *d) {
  const mbedtls_ssl_context *ssl = &d->tls->ssl;
  if (d->alert_rx < 0 && ssl->in_msg && ssl->in_msglen >= 2) d->alert_rx = ssl->in_msg[1];
}

static int dtls_bio_send(void *ctx, const unsigned char *buf, size_t len) {
  dtls_note_sent_alert(ctx, buf, len);
  rtc__dtls_push_datagram(ctx, buf, len);
  return (int)len; /* even when dropped: as a lost datagram, DTLS retransmits */
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
  mbedtls_ssl_handshake_params *hs = d->tls ? d->tls->ssl.handshake : NULL;
  if (hs && fin_ms) {
    /* Armed by input (the peer answered with its flight, or resent one), not by our
     * timer: the peer is there, the timeouts count from zero again. */
    if (!d->in_timeout) d->hs_timeouts = 0;
    if (hs->retransmit_timeout > d->max_rto_ms) hs->retransmit_timeout = d->max_rto_ms;
    if (fin_ms > d->max_rto_ms) {
      fin_ms = d->max_rto_ms;
      int_ms = fin_ms / 4; /* as mbedtls_ssl_set_timer splits it */
    }
  }
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

/* ---- handshake completion ------------------------------------------------------ */

static void dtls_handshake_done(rtc_dtls_t *d, size_t out_before) {
  /* Belt and braces: the verify callback may not have run (a client that sent
   * no certificate), and then VERIFY_OPTIONAL lets the handshake finish. */
  const mbedtls_x509_crt *peer = mbedtls_ssl_get_peer_cert(&d->tls->ssl);
  if (!peer || !d->fp_ok || !dtls_fp_matches(d, peer->raw.p, peer->raw.len)) {
    dtls_send_fatal(d, MBEDTLS_SSL_ALERT_MSG_BAD_CERT);
    rtc__dtls_fail(d, peer ? "fingerprint mismatch" : "no peer certificate", 0);
    return;
  }
  d->peer_der = malloc(peer->raw.len);
  if (d->peer_der) { /* without memory the certificate is just not shown */
    memcpy(d->peer_der, peer->raw.p, peer->raw.len);
    d->peer_der_len = peer->raw.len;
  }
  rtc__dtls_keys_derive_srtp(d);
  mbedtls_platform_zeroize(d->master, sizeof d->master);
  d->have_master = false;
  d->state = RTC_DTLS_CONNECTED;
  rtc__dtls_record_setup(d);
  rtc__dtls_record_keep_flight(d, out_before);
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
  rtc__dtls_push_event(d, RTC_DTLS_EVENT_CONNECTED, NULL, 0);
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
    rtc__dtls_mem_put(d->out[(d->out_head + d->out_n) % d->out_cap].p);
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
      dtls_send_fatal(d, MBEDTLS_SSL_ALERT_MSG_HANDSHAKE_FAILURE);
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
      rtc__dtls_fail(d, "fingerprint mismatch", 0);
    } else if (ret == DTLS_ERR_NO_PEER_CERT) {
      rtc__dtls_fail(d, "no peer certificate", 0);
    } else if (ret == MBEDTLS_ERR_SSL_TIMEOUT) {
      rtc__dtls_fail(d, "handshake timeout", 0);
    } else if (ret == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE) {
      dtls_note_received_alert(d);
      rtc__dtls_fail(d, "fatal alert received", ret);
    } else {
      rtc__dtls_fail(d, "handshake failed", ret);
    }
  }
  while (d->state == RTC_DTLS_CONNECTED) {
    ret = mbedtls_ssl_read(&d->tls->ssl, dtls_read_buf, sizeof dtls_read_buf);
    if (ret > 0) {
      rtc__dtls_push_event(d, RTC_DTLS_EVENT_DATA, dtls_read_buf, (size_t)ret);
    } else if (ret == 0 || ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
      d->state = RTC_DTLS_CLOSED;
      d->timer_fin_ms = 0;
      rtc__dtls_push_event(d, RTC_DTLS_EVENT_CLOSED, NULL, 0);
    } else if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE ||
               ret == MBEDTLS_ERR_SSL_TIMEOUT || ret == MBEDTLS_ERR_SSL_CLIENT_RECONNECT) {
      break;
    } else if (ret == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE) {
      dtls_note_received_alert(d);
      rtc__dtls_fail(d, "fatal alert received", ret);
    } else {
      rtc__dtls_fail(d, "read failed", ret);
    }
  }
  if (d->state == RTC_DTLS_CONNECTED) rtc__dtls_record_go_lean(d);
}

void rtc__dtls_feed(rtc_dtls_t *d, const uint8_t *p, size_t len) {
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
  d->alert_rx = d->alert_tx = -1;
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

bool rtc_dtls_peer_certificate(const rtc_dtls_t *d, const uint8_t **der, size_t *len) {
  if (!d->peer_der) return false;
  *der = d->peer_der;
  *len = d->peer_der_len;
  return true;
}

void rtc_dtls_destroy(rtc_dtls_t *d) {
  if (!d) return;
  free(d->peer_der);
  if (d->tls) {
    mbedtls_ssl_free(&d->tls->ssl);
    mbedtls_ssl_config_free(&d->tls->conf);
    free(d->tls);
  }
  rtc__dtls_record_flight_free(d);
  rtc_dtls_reasm_close(&d->reasm);
  for (size_t i = 0; i < d->early_n; i++)
    free(d->early[i].p);
  for (size_t i = 0; i < d->out_n; i++)
    rtc__dtls_mem_put(d->out[(d->out_head + i) % d->out_cap].p);
  rtc__dtls_mem_put(d->out_borrowed);
  for (size_t i = 0; i < d->ev_n; i++)
    rtc__dtls_mem_put(d->ev[(d->ev_head + i) % d->ev_cap].data);
  rtc__dtls_mem_put(d->ev_borrowed);
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
  mbedtls_ssl_conf_handshake_timeout(c, d->rto_ms, DTLS_MBEDTLS_NEVER_MS);
  if (rtc__dtls_keys_conf(d, c) != 0) goto fail;
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
  d->rto_ms = initial_rto_ms < DTLS_MAX_INITIAL_RTO_MS ? initial_rto_ms : DTLS_MAX_INITIAL_RTO_MS;
  if (d->max_rto_ms < d->rto_ms) d->max_rto_ms = d->rto_ms;
  if (d->state == RTC_DTLS_NEW || !d->tls) return;
  mbedtls_ssl_conf_handshake_timeout(&d->tls->conf, d->rto_ms, DTLS_MBEDTLS_NEVER_MS);
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
    rtc__dtls_record_input(d, p, len);
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
  rtc__dtls_feed(d, p, len);
  return 0;
}

int rtc_dtls_handle_timeout(rtc_dtls_t *d, uint64_t now_us) {
  if (!d) return RTC_EINVAL;
  d->now_us = now_us;
  if (d->state != RTC_DTLS_CONNECTING && d->state != RTC_DTLS_CONNECTED) return 0;
  if (dtls_get_timer(d) != 2) return 0;
  if (d->state == RTC_DTLS_CONNECTING && !d->lean && ++d->hs_timeouts > DTLS_MAX_TIMEOUTS) {
    /* Our Finished may have gone out under the new keys (a client at flight 5): the
     * alert goes under them too, so a server that completed learns it at once
     * instead of staying connected to nobody. */
    dtls_send_fatal(d, MBEDTLS_SSL_ALERT_MSG_HANDSHAKE_FAILURE);
    rtc__dtls_fail(d, "handshake timeout", 0);
    return 0;
  }
  d->in_timeout = true;
  dtls_drive(d);
  d->in_timeout = false;
  /* A timer mbedTLS left armed after the handshake would spin the owner's loop. */
  if (d->state == RTC_DTLS_CONNECTED && dtls_get_timer(d) == 2) d->timer_fin_ms = 0;
  return 0;
}

uint64_t rtc_dtls_poll_timeout(const rtc_dtls_t *d) {
  if (!d || d->timer_fin_ms == 0) return RTC_NEVER;
  if (d->state != RTC_DTLS_CONNECTING && d->state != RTC_DTLS_CONNECTED) return RTC_NEVER;
  return d->timer_start_us + RTC_MS(d->timer_fin_ms);
}

int rtc_dtls_send(rtc_dtls_t *d, const uint8_t *p, size_t len) {
  if (!d || (!p && len)) return RTC_EINVAL;
  if (d->state != RTC_DTLS_CONNECTED) return RTC_ESTATE;
  if (len > 16384) return RTC_ETOOBIG;
  if (d->fast) return rtc__dtls_record_seal(d, MBEDTLS_SSL_MSG_APPLICATION_DATA, p, len);
  int ret = mbedtls_ssl_write(&d->tls->ssl, p, len);
  if (ret >= 0) return 0;
  if (ret == MBEDTLS_ERR_SSL_WANT_WRITE || ret == MBEDTLS_ERR_SSL_WANT_READ) return RTC_EAGAIN;
  if (ret == MBEDTLS_ERR_SSL_BAD_INPUT_DATA) return RTC_ETOOBIG;
  rtc__dtls_fail(d, "write failed", ret);
  return RTC_EIO;
}

void rtc_dtls_close(rtc_dtls_t *d) {
  if (!d) return;
  static const uint8_t close_notify[2] = {MBEDTLS_SSL_ALERT_LEVEL_WARNING,
                                          MBEDTLS_SSL_ALERT_MSG_CLOSE_NOTIFY};
  if (d->state == RTC_DTLS_CONNECTED && d->lean)
    rtc__dtls_record_seal(d, MBEDTLS_SSL_MSG_ALERT, close_notify, sizeof close_notify);
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
