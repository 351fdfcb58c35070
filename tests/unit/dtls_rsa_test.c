/* DTLS with RSA certificates (issue 16): luartc's DTLS against itself for every
 * role x certificate-type combination, and against OpenSSL's DTLS (the stack
 * GStreamer's webrtcbin and most gateways use) holding an RSA certificate that
 * libcrypto makes at test time. In memory, no sockets. Checks the suite chosen,
 * that AES-GCM suites keep luartc's fast record path, that the DTLS-SRTP keys
 * agree with OpenSSL's exporter, and that a fingerprint mismatch still fails. */
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "base/rtc_err.h"
#include "base/rtc_time.h"
#include "dtls/rtc_dtls.h"
#include "dtls/rtc_dtls_internal.h"
#include "rtc_test.h"

static rtc_dtls_cert_t *cert_ec, *cert_rsa; /* luartc's identities */
static uint64_t now_us = 1000000;

/* ---- luartc side ------------------------------------------------------------ */

typedef struct side {
  rtc_dtls_t *d;
  int connected, failed, data_n;
  char reason[160];
  char data[256];
} side_t;

static void drain(side_t *s) {
  rtc_dtls_event_t ev;
  while (rtc_dtls_poll_event(s->d, &ev)) {
    if (ev.type == RTC_DTLS_EVENT_CONNECTED) s->connected++;
    if (ev.type == RTC_DTLS_EVENT_FAILED) {
      s->failed++;
      snprintf(s->reason, sizeof s->reason, "%s", ev.reason ? ev.reason : "");
    }
    if (ev.type == RTC_DTLS_EVENT_DATA) {
      s->data_n++;
      size_t n = ev.len < sizeof s->data - 1 ? ev.len : sizeof s->data - 1;
      memcpy(s->data, ev.data, n);
      s->data[n] = '\0';
    }
  }
}

static void side_init(side_t *s, rtc_dtls_cert_t *cert) {
  memset(s, 0, sizeof *s);
  rtc_dtls_config_t cfg = {.cert = cert};
  s->d = rtc_dtls_create(&cfg);
}

/* Both luartc sides, moving datagrams and firing timers on the fake clock. */
static void pump2(side_t *a, side_t *b) {
  side_t *s[2] = {a, b};
  for (int iter = 0; iter < 10000; iter++) {
    int moved = 0;
    for (int i = 0; i < 2; i++) {
      const uint8_t *p;
      size_t len;
      while (rtc_dtls_poll_transmit(s[i]->d, &p, &len)) {
        moved++;
        rtc_dtls_handle_datagram(s[1 - i]->d, now_us, p, len);
      }
    }
    drain(a);
    drain(b);
    if (moved) continue;
    uint64_t t = rtc_time_min(rtc_dtls_poll_timeout(a->d), rtc_dtls_poll_timeout(b->d));
    if (t == RTC_NEVER || t > now_us + RTC_MS(30000)) break;
    if (t > now_us) now_us = t;
    for (int i = 0; i < 2; i++)
      if (rtc_dtls_poll_timeout(s[i]->d) <= now_us) rtc_dtls_handle_timeout(s[i]->d, now_us);
  }
}

/* ---- the OpenSSL peer --------------------------------------------------------- */

typedef struct ossl {
  EVP_PKEY *key;
  X509 *crt;
  char fp[32 * 3]; /* "AB:CD:.." sha-256 */
  SSL_CTX *ctx;
  SSL *ssl;
  BIO *rb, *wb; /* memory BIOs: what it reads, what it wrote */
  int hs_done, hs_err;
  char data[256];
  int data_n;
} ossl_t;

static void fp_of_der(const unsigned char *der, size_t len, char out[32 * 3]) {
  static const char hex[] = "0123456789ABCDEF";
  unsigned char md[32];
  unsigned int mdlen = 0;
  EVP_Digest(der, len, md, &mdlen, EVP_sha256(), NULL);
  for (int i = 0; i < 32; i++) {
    out[i * 3] = hex[md[i] >> 4];
    out[i * 3 + 1] = hex[md[i] & 15];
    out[i * 3 + 2] = i == 31 ? '\0' : ':';
  }
}

/* A self-signed RSA-2048 certificate made by libcrypto, as webrtcbin's
 * GstDtlsCertificate does. */
static int ossl_make_cert(ossl_t *o) {
  o->key = EVP_RSA_gen(2048);
  o->crt = X509_new();
  if (!o->key || !o->crt) return -1;
  X509_set_version(o->crt, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(o->crt), 4242);
  X509_gmtime_adj(X509_getm_notBefore(o->crt), -86400);
  X509_gmtime_adj(X509_getm_notAfter(o->crt), 30 * 86400);
  X509_set_pubkey(o->crt, o->key);
  X509_NAME *n = X509_get_subject_name(o->crt);
  X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"openssl-peer", -1, -1,
                             0);
  X509_set_issuer_name(o->crt, n);
  if (!X509_sign(o->crt, o->key, EVP_sha256())) return -1;
  unsigned char *der = NULL;
  int len = i2d_X509(o->crt, &der);
  if (len <= 0) return -1;
  fp_of_der(der, (size_t)len, o->fp);
  OPENSSL_free(der);
  return 0;
}

/* Self-signed: the peer accepts any certificate here; luartc is the side under
 * test and checks the fingerprint. */
static int ossl_verify(int ok, X509_STORE_CTX *ctx) {
  (void)ok, (void)ctx;
  return 1;
}

static int ossl_start(ossl_t *o, bool server, const char *ciphers) {
  o->ctx = SSL_CTX_new(DTLS_method());
  if (!o->ctx) return -1;
  SSL_CTX_set_min_proto_version(o->ctx, DTLS1_2_VERSION);
  SSL_CTX_set_max_proto_version(o->ctx, DTLS1_2_VERSION);
  if (SSL_CTX_use_certificate(o->ctx, o->crt) != 1 || SSL_CTX_use_PrivateKey(o->ctx, o->key) != 1)
    return -1;
  SSL_CTX_set_verify(o->ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, ossl_verify);
  if (SSL_CTX_set_cipher_list(o->ctx, ciphers) != 1) return -1;
  /* tls_use_srtp returns 0 on success */
  if (SSL_CTX_set_tlsext_use_srtp(o->ctx, "SRTP_AES128_CM_SHA1_80") != 0) return -1;
  o->ssl = SSL_new(o->ctx);
  o->rb = BIO_new(BIO_s_mem());
  o->wb = BIO_new(BIO_s_mem());
  if (!o->ssl || !o->rb || !o->wb) return -1;
  BIO_set_mem_eof_return(o->rb, -1);
  BIO_set_mem_eof_return(o->wb, -1);
  SSL_set_bio(o->ssl, o->rb, o->wb);
  SSL_set_options(o->ssl, SSL_OP_NO_QUERY_MTU);
  SSL_set_mtu(o->ssl, 1200);
  if (server)
    SSL_set_accept_state(o->ssl);
  else
    SSL_set_connect_state(o->ssl);
  return 0;
}

static void ossl_step(ossl_t *o) {
  if (!o->hs_done && !o->hs_err) {
    int r = SSL_do_handshake(o->ssl);
    if (r == 1) {
      o->hs_done = 1;
    } else {
      int e = SSL_get_error(o->ssl, r);
      if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) o->hs_err = e ? e : -1;
    }
  }
  if (o->hs_done) {
    char buf[256];
    int n;
    while ((n = SSL_read(o->ssl, buf, sizeof buf - 1)) > 0) {
      buf[n] = '\0';
      memcpy(o->data, buf, (size_t)n + 1);
      o->data_n++;
    }
  }
}

static void ossl_free(ossl_t *o) {
  SSL_free(o->ssl); /* frees both BIOs */
  SSL_CTX_free(o->ctx);
  X509_free(o->crt);
  EVP_PKEY_free(o->key);
  memset(o, 0, sizeof *o);
}

/* luartc <-> OpenSSL. OpenSSL's memory BIO joins the datagrams it wrote, so
 * its output is cut back into records (one record per datagram is valid DTLS). */
static void pump_ossl(side_t *s, ossl_t *o) {
  for (int iter = 0; iter < 1000; iter++) {
    int moved = 0;
    const uint8_t *p;
    size_t len;
    while (rtc_dtls_poll_transmit(s->d, &p, &len)) {
      moved++;
      BIO_write(o->rb, p, (int)len);
      ossl_step(o);
    }
    ossl_step(o);
    static uint8_t buf[65536];
    int n = BIO_read(o->wb, buf, sizeof buf);
    for (int off = 0; n > 0 && off + 13 <= n;) {
      size_t rl = 13 + ((size_t)buf[off + 11] << 8 | buf[off + 12]);
      if (off + (int)rl > n) break;
      rtc_dtls_handle_datagram(s->d, now_us, buf + off, rl);
      off += (int)rl;
      moved++;
    }
    drain(s);
    if (!moved) break;
  }
}

/* ---- tests ----------------------------------------------------------------------- */

static const char *kind_name(rtc_dtls_cert_t *c) {
  return rtc_dtls_cert_kind(c) == RTC_DTLS_CERT_RSA ? "RSA" : "ECDSA";
}

static void test_rsa_cert_generate(void) {
  CHECK(cert_rsa != NULL);
  CHECK_EQ_INT(rtc_dtls_cert_kind(cert_rsa), RTC_DTLS_CERT_RSA);
  CHECK_EQ_INT(rtc_dtls_cert_kind(cert_ec), RTC_DTLS_CERT_ECDSA_P256);
  CHECK_EQ_INT(strlen(rtc_dtls_cert_fingerprint(cert_rsa)), 95);
  /* PEM round trip keeps the fingerprint and the key type */
  char *cp = NULL, *kp = NULL;
  CHECK_EQ_INT(rtc_dtls_cert_to_pem(cert_rsa, &cp, &kp), 0);
  CHECK(cp && strstr(cp, "BEGIN CERTIFICATE"));
  CHECK(kp && strstr(kp, "RSA PRIVATE KEY"));
  rtc_dtls_cert_t *back = NULL;
  CHECK_EQ_INT(rtc_dtls_cert_from_pem(cp, kp, &back), 0);
  CHECK_STR(rtc_dtls_cert_fingerprint(back), rtc_dtls_cert_fingerprint(cert_rsa));
  CHECK_EQ_INT(rtc_dtls_cert_kind(back), RTC_DTLS_CERT_RSA);
  rtc_dtls_cert_unref(back);
  free(cp);
  free(kp);
  rtc_dtls_cert_t *bad = (rtc_dtls_cert_t *)1;
  CHECK_EQ_INT(rtc_dtls_cert_generate_kind(RTC_DTLS_CERT_RSA, 512, &bad), RTC_EINVAL);
  CHECK(bad == NULL);
  CHECK_EQ_INT(rtc_dtls_cert_generate_kind(RTC_DTLS_CERT_RSA, 8192, &bad), RTC_EINVAL);
  CHECK_EQ_INT(rtc_dtls_cert_generate_kind((rtc_dtls_cert_kind_t)7, 0, &bad), RTC_EINVAL);
}

/* luartc client and server, each with an ECDSA or an RSA certificate: the suite
 * follows the server's key, the record path stays the fast AES-GCM one. */
static void test_matrix_luartc_both_sides(void) {
  rtc_dtls_cert_t *certs[2] = {cert_ec, cert_rsa};
  for (int ci = 0; ci < 2; ci++) {
    for (int si = 0; si < 2; si++) {
      side_t c, s;
      side_init(&c, certs[ci]);
      side_init(&s, certs[si]);
      CHECK_EQ_INT(rtc_dtls_start(s.d, now_us, RTC_DTLS_ROLE_SERVER, "sha-256",
                                  rtc_dtls_cert_fingerprint(certs[ci])),
                   0);
      CHECK_EQ_INT(rtc_dtls_start(c.d, now_us, RTC_DTLS_ROLE_CLIENT, "sha-256",
                                  rtc_dtls_cert_fingerprint(certs[si])),
                   0);
      pump2(&c, &s);
      const char *suite = rtc_dtls_cipher_suite(c.d);
      printf("  client %s, server %s: %s (%s)\n", kind_name(certs[ci]), kind_name(certs[si]),
             suite ? suite : c.reason, rtc__dtls_fast(c.d) ? "fast records" : "mbedTLS records");
      CHECK_EQ_INT(c.connected, 1);
      CHECK_EQ_INT(s.connected, 1);
      CHECK_STR(suite, si ? "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
                          : "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
      CHECK_STR(rtc_dtls_cipher_suite(s.d), suite);
      CHECK(rtc__dtls_fast(c.d) && rtc__dtls_fast(s.d));
      CHECK_EQ_INT(rtc_dtls_send(c.d, (const uint8_t *)"ping", 4), 0);
      CHECK_EQ_INT(rtc_dtls_send(s.d, (const uint8_t *)"pong", 4), 0);
      pump2(&c, &s);
      CHECK_STR(s.data, "ping");
      CHECK_STR(c.data, "pong");
      rtc_dtls_srtp_keys_t kc, ks;
      CHECK_EQ_INT(rtc_dtls_get_srtp_keys(c.d, &kc), 0);
      CHECK_EQ_INT(rtc_dtls_get_srtp_keys(s.d, &ks), 0);
      CHECK(memcmp(&kc, &ks, sizeof kc) == 0);
      rtc_dtls_destroy(c.d);
      rtc_dtls_destroy(s.d);
    }
  }
}

/* Each side refuses an RSA certificate that is not the one its SDP announced. */
static void test_rsa_fingerprint_mismatch(void) {
  for (int checker = 0; checker < 2; checker++) { /* 0: the client checks, 1: the server */
    side_t c, s;
    side_init(&c, checker == 0 ? cert_ec : cert_rsa);
    side_init(&s, checker == 0 ? cert_rsa : cert_ec);
    const char *wrong = rtc_dtls_cert_fingerprint(cert_ec); /* not the RSA side's */
    const char *good_of_s = rtc_dtls_cert_fingerprint(checker == 0 ? cert_rsa : cert_ec);
    const char *good_of_c = rtc_dtls_cert_fingerprint(checker == 0 ? cert_ec : cert_rsa);
    CHECK_EQ_INT(rtc_dtls_start(s.d, now_us, RTC_DTLS_ROLE_SERVER, "sha-256",
                                checker == 1 ? wrong : good_of_c),
                 0);
    CHECK_EQ_INT(rtc_dtls_start(c.d, now_us, RTC_DTLS_ROLE_CLIENT, "sha-256",
                                checker == 0 ? wrong : good_of_s),
                 0);
    pump2(&c, &s);
    side_t *chk = checker == 0 ? &c : &s;
    CHECK_EQ_INT(chk->connected, 0);
    CHECK_EQ_INT(chk->failed, 1);
    CHECK_STR(chk->reason, "fingerprint mismatch");
    CHECK_EQ_INT(chk->data_n, 0);
    CHECK(rtc_dtls_cipher_suite(chk->d) == NULL);
    rtc_dtls_destroy(c.d);
    rtc_dtls_destroy(s.d);
  }
}

/* One luartc <-> OpenSSL handshake; returns the suite luartc negotiated (NULL on
 * failure, reason in *why). */
static const char *run_ossl(rtc_dtls_role_t role, rtc_dtls_cert_t *mine, const char *ciphers,
                            bool wrong_fp, bool *fast, char *why, size_t whylen) {
  static char suite[96];
  ossl_t o;
  memset(&o, 0, sizeof o);
  side_t s;
  side_init(&s, mine);
  suite[0] = '\0';
  *fast = false;
  why[0] = '\0';
  CHECK_EQ_INT(ossl_make_cert(&o), 0);
  CHECK_EQ_INT(ossl_start(&o, role == RTC_DTLS_ROLE_CLIENT, ciphers), 0);
  CHECK_EQ_INT(rtc_dtls_start(s.d, now_us, role, "sha-256",
                              wrong_fp ? rtc_dtls_cert_fingerprint(cert_ec) : o.fp),
               0);
  ossl_step(&o); /* an OpenSSL client sends its ClientHello */
  pump_ossl(&s, &o);
  const char *r = NULL;
  if (s.connected == 1 && o.hs_done) {
    snprintf(suite, sizeof suite, "%s", rtc_dtls_cipher_suite(s.d));
    *fast = rtc__dtls_fast(s.d);
    r = suite;
    /* OpenSSL holds luartc's certificate (the one its fingerprint names) */
    X509 *peer = SSL_get0_peer_certificate(o.ssl);
    CHECK(peer != NULL);
    if (peer) {
      unsigned char *der = NULL;
      int len = i2d_X509(peer, &der);
      char fp[32 * 3];
      fp_of_der(der, (size_t)len, fp);
      OPENSSL_free(der);
      CHECK_STR(fp, rtc_dtls_cert_fingerprint(mine));
    }
    /* same suite on both ends, application data both ways */
    const SSL_CIPHER *oc = SSL_get_current_cipher(o.ssl);
    printf("  luartc %s (%s cert) <-> OpenSSL (RSA cert, \"%s\"): %s / OpenSSL %s, %s records\n",
           role == RTC_DTLS_ROLE_CLIENT ? "client" : "server", kind_name(mine), ciphers, suite,
           oc ? SSL_CIPHER_get_name(oc) : "?", *fast ? "fast" : "mbedTLS");
    CHECK_EQ_INT(rtc_dtls_send(s.d, (const uint8_t *)"from luartc", 11), 0);
    CHECK_EQ_INT(SSL_write(o.ssl, "from openssl", 12), 12);
    pump_ossl(&s, &o);
    CHECK_STR(o.data, "from luartc");
    CHECK_STR(s.data, "from openssl");
    /* DTLS-SRTP: both ends export the same keying material (RFC 5764 4.2) */
    const SRTP_PROTECTION_PROFILE *pp = SSL_get_selected_srtp_profile(o.ssl);
    CHECK(pp && pp->id == SRTP_AES128_CM_SHA1_80);
    rtc_dtls_srtp_keys_t k;
    uint8_t km[60];
    CHECK_EQ_INT(rtc_dtls_get_srtp_keys(s.d, &k), 0);
    CHECK_EQ_INT(SSL_export_keying_material(o.ssl, km, sizeof km, "EXTRACTOR-dtls_srtp", 19, NULL,
                                            0, 0),
                 1);
    CHECK(memcmp(k.client_key, km, 16) == 0 && memcmp(k.server_key, km + 16, 16) == 0);
    CHECK(memcmp(k.client_salt, km + 32, 14) == 0 && memcmp(k.server_salt, km + 46, 14) == 0);
    /* close_notify, from our record path once mbedTLS is freed (dtls_go_lean):
     * OpenSSL's reaches us as the client, ours reaches OpenSSL as the server */
    CHECK(rtc__dtls_lean(s.d) == *fast);
    if (role == RTC_DTLS_ROLE_CLIENT) {
      SSL_shutdown(o.ssl);
      pump_ossl(&s, &o);
      CHECK_EQ_INT(rtc_dtls_state(s.d), RTC_DTLS_CLOSED);
    } else {
      rtc_dtls_close(s.d);
      pump_ossl(&s, &o);
      CHECK(SSL_get_shutdown(o.ssl) & SSL_RECEIVED_SHUTDOWN);
    }
  } else {
    snprintf(why, whylen, "%s (OpenSSL %s)", s.failed ? s.reason : "no progress",
             o.hs_err ? ERR_reason_error_string(ERR_peek_last_error()) : "waiting");
  }
  ERR_clear_error();
  rtc_dtls_destroy(s.d);
  ossl_free(&o);
  return r;
}

/* Every role x luartc certificate type against OpenSSL holding an RSA
 * certificate with its default suites. The case issue 16 is about: luartc as
 * the client (its answers say a=setup:active) offered only ECDHE-ECDSA, and an
 * RSA server answered "no shared cipher". */
static void test_openssl_rsa_peer_every_role(void) {
  rtc_dtls_cert_t *certs[2] = {cert_ec, cert_rsa};
  for (int role = 0; role < 2; role++) {
    for (int ci = 0; ci < 2; ci++) {
      char why[256];
      bool fast;
      rtc_dtls_role_t r = role ? RTC_DTLS_ROLE_SERVER : RTC_DTLS_ROLE_CLIENT;
      const char *suite = run_ossl(r, certs[ci], "DEFAULT", false, &fast, why, sizeof why);
      if (!suite)
        fprintf(stderr, "  luartc %s (%s cert) vs OpenSSL RSA: %s\n", role ? "server" : "client",
                kind_name(certs[ci]), why);
      CHECK(suite != NULL);
      /* the server's key decides the suite; AES-128-GCM first; fast records */
      bool rsa_server = r == RTC_DTLS_ROLE_CLIENT || certs[ci] == cert_rsa;
      CHECK_STR(suite, rsa_server ? "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
                                  : "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
      CHECK(fast);
    }
  }
}

/* Peers that allow only one suite: AES-256-GCM (SHA-384 PRF) keeps the fast
 * path; ChaCha20 and AES-CBC fall back to mbedTLS's records. */
static void test_openssl_rsa_peer_each_suite(void) {
  static const struct {
    const char *ossl, *mine;
    bool fast;
  } cases[] = {
      {"ECDHE-RSA-AES256-GCM-SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", true},
      {"ECDHE-RSA-CHACHA20-POLY1305", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", false},
      {"ECDHE-RSA-AES128-SHA", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", false},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    for (int role = 0; role < 2; role++) {
      char why[256];
      bool fast;
      rtc_dtls_role_t r = role ? RTC_DTLS_ROLE_SERVER : RTC_DTLS_ROLE_CLIENT;
      /* as the server luartc needs an RSA key for an ECDHE-RSA suite */
      const char *suite = run_ossl(r, cert_rsa, cases[i].ossl, false, &fast, why, sizeof why);
      if (!suite) fprintf(stderr, "  %s as %d: %s\n", cases[i].ossl, role, why);
      CHECK_STR(suite, cases[i].mine);
      CHECK(fast == cases[i].fast);
    }
  }
}

/* The fingerprint check holds for an RSA peer of another stack, in both roles. */
static void test_openssl_rsa_fingerprint_mismatch(void) {
  for (int role = 0; role < 2; role++) {
    char why[256];
    bool fast;
    rtc_dtls_role_t r = role ? RTC_DTLS_ROLE_SERVER : RTC_DTLS_ROLE_CLIENT;
    const char *suite = run_ossl(r, cert_ec, "DEFAULT", true, &fast, why, sizeof why);
    CHECK(suite == NULL);
    CHECK(strncmp(why, "fingerprint mismatch", 20) == 0);
  }
}

/* OpenSSL's DTLS retransmission timer, short so that the test does not wait a second
 * of real time: 10 ms, doubled on each retransmission. */
static unsigned int ossl_short_timer(SSL *ssl, unsigned int timer_us) {
  (void)ssl;
  return timer_us ? 2 * timer_us : 10000;
}

/* luartc as the server, OpenSSL as the client, the server's last flight (ChangeCipherSpec,
 * Finished) lost: luartc has already freed mbedTLS (dtls_go_lean) when OpenSSL
 * retransmits its flight, and answers from the flight it kept; another stack's client
 * must accept it and finish (RFC 6347 4.2.4). */
static void test_openssl_client_after_lost_last_flight(void) {
  ossl_t o;
  memset(&o, 0, sizeof o);
  side_t s;
  side_init(&s, cert_ec);
  CHECK_EQ_INT(ossl_make_cert(&o), 0);
  CHECK_EQ_INT(ossl_start(&o, false, "DEFAULT"), 0);
  DTLS_set_timer_cb(o.ssl, ossl_short_timer);
  CHECK_EQ_INT(rtc_dtls_start(s.d, now_us, RTC_DTLS_ROLE_SERVER, "sha-256", o.fp), 0);
  ossl_step(&o); /* ClientHello */
  int dropped = 0;
  bool dropping = false;
  for (int iter = 0; iter < 400 && !o.hs_done; iter++) {
    const uint8_t *p;
    size_t len;
    /* What luartc queued once connected is its last flight: lost. */
    if (s.connected && !dropping && !dropped) dropping = true;
    while (rtc_dtls_poll_transmit(s.d, &p, &len)) {
      if (dropping) {
        dropped++;
        continue;
      }
      BIO_write(o.rb, p, (int)len);
      ossl_step(&o);
    }
    dropping = false;
    ossl_step(&o);
    if (dropped && !o.hs_done) {
      usleep(5000);
      DTLSv1_handle_timeout(o.ssl); /* OpenSSL resends its flight once its timer ran out */
    }
    static uint8_t buf[65536];
    int n = BIO_read(o.wb, buf, sizeof buf);
    for (int off = 0; n > 0 && off + 13 <= n;) {
      size_t rl = 13 + ((size_t)buf[off + 11] << 8 | buf[off + 12]);
      if (off + (int)rl > n) break;
      rtc_dtls_handle_datagram(s.d, now_us, buf + off, rl);
      off += (int)rl;
    }
    drain(&s);
  }
  printf("  luartc server, last flight lost (%d datagrams): OpenSSL client %s, %u resends\n",
         dropped, o.hs_done ? "connected" : "not connected", rtc__dtls_flight_resends(s.d));
  CHECK(dropped > 0);
  CHECK_EQ_INT(s.connected, 1);
  CHECK(o.hs_done);
  CHECK(rtc__dtls_lean(s.d));
  CHECK(rtc__dtls_flight_resends(s.d) >= 1);
  /* and the connection carries data both ways */
  CHECK_EQ_INT(rtc_dtls_send(s.d, (const uint8_t *)"from luartc", 11), 0);
  CHECK_EQ_INT(SSL_write(o.ssl, "from openssl", 12), 12);
  pump_ossl(&s, &o);
  CHECK_STR(o.data, "from luartc");
  CHECK_STR(s.data, "from openssl");
  ERR_clear_error();
  rtc_dtls_destroy(s.d);
  ossl_free(&o);
}

int main(void) {
  cert_ec = rtc_dtls_cert_default();
  CHECK_EQ_INT(rtc_dtls_cert_generate_kind(RTC_DTLS_CERT_RSA, 2048, &cert_rsa), 0);
  if (!cert_ec || !cert_rsa) {
    fprintf(stderr, "no certificates\n");
    return 1;
  }
  RUN_TEST(test_rsa_cert_generate);
  RUN_TEST(test_matrix_luartc_both_sides);
  RUN_TEST(test_rsa_fingerprint_mismatch);
  RUN_TEST(test_openssl_rsa_peer_every_role);
  RUN_TEST(test_openssl_rsa_peer_each_suite);
  RUN_TEST(test_openssl_rsa_fingerprint_mismatch);
  RUN_TEST(test_openssl_client_after_lost_last_flight);
  rtc_dtls_cert_unref(cert_ec);
  rtc_dtls_cert_unref(cert_rsa);
  TEST_MAIN_END();
}
