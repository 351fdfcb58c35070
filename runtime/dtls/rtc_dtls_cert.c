/* DTLS certificates: ECDSA P-256 or RSA key, self-signed X.509 v3, SHA-256 fingerprint
 * (RFC 8122 section 5 form "AB:CD:..."), PEM import/export. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/ecp.h>
#include <mbedtls/pem.h>
#include <mbedtls/rsa.h>
#include <mbedtls/sha256.h>

#include "base/rtc_err.h"
#include "base/rtc_log.h"
#include "base/rtc_random.h"
#include "dtls/rtc_dtls_internal.h"

struct rtc_dtls_cert {
  int refs;
  mbedtls_x509_crt crt;
  mbedtls_pk_context key;
  int64_t expires; /* seconds since the epoch */
  char fingerprint[32 * 3];
};

/* ---- the process-wide DRBG ---------------------------------------------- */

static mbedtls_ctr_drbg_context cert_drbg;
static int cert_drbg_state; /* 0 not yet, 1 ready, -1 failed */

/* mbedTLS entropy source: the kernel through rtc_random_bytes (getrandom),
 * instead of mbedtls_entropy_context and its own polling. */
static int cert_entropy(void *ctx, unsigned char *out, size_t len) {
  (void)ctx;
  rtc_random_bytes(out, len);
  return 0;
}

mbedtls_ctr_drbg_context *rtc__dtls_drbg(void) {
  static const unsigned char pers[] = "luartc-dtls";
  if (cert_drbg_state == 0) {
    mbedtls_ctr_drbg_init(&cert_drbg);
    if (mbedtls_ctr_drbg_seed(&cert_drbg, cert_entropy, NULL, pers, sizeof pers - 1) == 0) {
      cert_drbg_state = 1;
    } else {
      RTC_LOG(RTC_LOG_ERROR, "dtls", "ctr_drbg seed failed");
      mbedtls_ctr_drbg_free(&cert_drbg);
      cert_drbg_state = -1;
    }
  }
  return cert_drbg_state == 1 ? &cert_drbg : NULL;
}

/* ---- helpers -------------------------------------------------------------- */

static rtc_dtls_cert_t *cert_alloc(void) {
  rtc_dtls_cert_t *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  c->refs = 1;
  mbedtls_x509_crt_init(&c->crt);
  mbedtls_pk_init(&c->key);
  return c;
}

static void cert_free(rtc_dtls_cert_t *c) {
  if (!c) return;
  mbedtls_x509_crt_free(&c->crt);
  mbedtls_pk_free(&c->key);
  free(c);
}

static void cert_set_fingerprint(rtc_dtls_cert_t *c) {
  static const char hex[] = "0123456789ABCDEF";
  unsigned char md[32];
  mbedtls_sha256_ret(c->crt.raw.p, c->crt.raw.len, md, 0);
  for (size_t i = 0; i < 32; i++) {
    c->fingerprint[i * 3] = hex[md[i] >> 4];
    c->fingerprint[i * 3 + 1] = hex[md[i] & 15];
    c->fingerprint[i * 3 + 2] = i == 31 ? '\0' : ':';
  }
}

static int64_t cert_time_to_epoch(const mbedtls_x509_time *t) {
  struct tm tm;
  memset(&tm, 0, sizeof tm);
  tm.tm_year = t->year - 1900;
  tm.tm_mon = t->mon - 1;
  tm.tm_mday = t->day;
  tm.tm_hour = t->hour;
  tm.tm_min = t->min;
  tm.tm_sec = t->sec;
  return (int64_t)timegm(&tm);
}

static void cert_fmt_time(char out[16], time_t t) {
  struct tm tm;
  gmtime_r(&t, &tm);
  /* strftime, not snprintf: fixed width "YYYYMMDDhhmmss" as mbedTLS wants. */
  strftime(out, 16, "%Y%m%d%H%M%S", &tm);
}

/* ---- API ------------------------------------------------------------------ */

/* c->key: a new key of the kind asked for. */
static int cert_gen_key(rtc_dtls_cert_t *c, rtc_dtls_cert_kind_t kind, unsigned rsa_bits,
                        mbedtls_ctr_drbg_context *drbg) {
  if (kind == RTC_DTLS_CERT_RSA) {
    if (mbedtls_pk_setup(&c->key, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA)) != 0) return -1;
    /* 65537: the one exponent WebRTC stacks generate and W3C examples use. */
    return mbedtls_rsa_gen_key(mbedtls_pk_rsa(c->key), mbedtls_ctr_drbg_random, drbg, rsa_bits,
                               65537) == 0
               ? 0
               : -1;
  }
  if (mbedtls_pk_setup(&c->key, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) != 0) return -1;
  return mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(c->key),
                             mbedtls_ctr_drbg_random, drbg) == 0
             ? 0
             : -1;
}

int rtc_dtls_cert_generate(rtc_dtls_cert_t **out) {
  return rtc_dtls_cert_generate_kind(RTC_DTLS_CERT_ECDSA_P256, 0, out);
}

int rtc_dtls_cert_generate_kind(rtc_dtls_cert_kind_t kind, unsigned rsa_bits,
                                rtc_dtls_cert_t **out) {
  int err = RTC_ECRYPTO;
  rtc_dtls_cert_t *c = NULL;
  mbedtls_x509write_cert w;
  mbedtls_mpi serial;
  unsigned char *der = NULL;
  const size_t der_cap = 4096; /* a 4096-bit RSA certificate is ~1.3 KB */
  if (!out) return RTC_EINVAL;
  *out = NULL;
  if (kind != RTC_DTLS_CERT_ECDSA_P256 && kind != RTC_DTLS_CERT_RSA) return RTC_EINVAL;
  if (kind == RTC_DTLS_CERT_RSA && rsa_bits == 0) rsa_bits = 2048;
  if (kind == RTC_DTLS_CERT_RSA && (rsa_bits < 1024 || rsa_bits > 4096 || rsa_bits % 2))
    return RTC_EINVAL;
  mbedtls_x509write_crt_init(&w);
  mbedtls_mpi_init(&serial);

  mbedtls_ctr_drbg_context *drbg = rtc__dtls_drbg();
  if (!drbg) goto fail;
  c = cert_alloc();
  der = malloc(der_cap);
  if (!c || !der) {
    err = RTC_ENOMEM;
    goto fail;
  }
  if (cert_gen_key(c, kind, rsa_bits, drbg) != 0) goto fail;

  /* A random positive serial of 16 bytes (RFC 5280 4.1.2.2: at most 20 octets). */
  unsigned char sb[16];
  rtc_random_bytes(sb, sizeof sb);
  sb[0] = (unsigned char)((sb[0] & 0x7f) | 0x01);
  if (mbedtls_mpi_read_binary(&serial, sb, sizeof sb) != 0) goto fail;

  /* The certificate's validity needs the wall clock: certificates are not a
   * protocol state machine, and the header's contract has no time argument. */
  time_t now = time(NULL);
  char from[16], to[16];
  cert_fmt_time(from, now - 30 * 86400);
  cert_fmt_time(to, now + 365 * 86400);

  mbedtls_x509write_crt_set_version(&w, MBEDTLS_X509_CRT_VERSION_3);
  mbedtls_x509write_crt_set_md_alg(&w, MBEDTLS_MD_SHA256);
  mbedtls_x509write_crt_set_subject_key(&w, &c->key);
  mbedtls_x509write_crt_set_issuer_key(&w, &c->key);
  if (mbedtls_x509write_crt_set_subject_name(&w, "CN=luartc") != 0 ||
      mbedtls_x509write_crt_set_issuer_name(&w, "CN=luartc") != 0 ||
      mbedtls_x509write_crt_set_serial(&w, &serial) != 0 ||
      mbedtls_x509write_crt_set_validity(&w, from, to) != 0)
    goto fail;
  /* mbedtls writes the DER at the end of the buffer. */
  int n = mbedtls_x509write_crt_der(&w, der, der_cap, mbedtls_ctr_drbg_random, drbg);
  if (n <= 0) goto fail;
  if (mbedtls_x509_crt_parse_der(&c->crt, der + der_cap - (size_t)n, (size_t)n) != 0) goto fail;
  c->expires = cert_time_to_epoch(&c->crt.valid_to);
  cert_set_fingerprint(c);
  *out = c;
  c = NULL;
  err = 0;
fail:
  if (err) RTC_LOG(RTC_LOG_ERROR, "dtls", "certificate generation failed");
  cert_free(c);
  free(der);
  mbedtls_mpi_free(&serial);
  mbedtls_x509write_crt_free(&w);
  return err;
}

static rtc_dtls_cert_t *cert_default;

rtc_dtls_cert_t *rtc_dtls_cert_default(void) {
  /* Made once per process; the static keeps one reference forever, so the
   * object outlives every connection. */
  if (!cert_default && rtc_dtls_cert_generate(&cert_default) != 0) cert_default = NULL;
  return cert_default ? rtc_dtls_cert_ref(cert_default) : NULL;
}

rtc_dtls_cert_t *rtc_dtls_cert_ref(rtc_dtls_cert_t *c) {
  if (c) c->refs++;
  return c;
}

void rtc_dtls_cert_unref(rtc_dtls_cert_t *c) {
  if (c && --c->refs == 0) cert_free(c);
}

const char *rtc_dtls_cert_fingerprint(const rtc_dtls_cert_t *c) {
  return c ? c->fingerprint : NULL;
}

int64_t rtc_dtls_cert_expires(const rtc_dtls_cert_t *c) { return c ? c->expires : 0; }

rtc_dtls_cert_kind_t rtc_dtls_cert_kind(const rtc_dtls_cert_t *c) {
  return c && mbedtls_pk_get_type(&c->key) == MBEDTLS_PK_RSA ? RTC_DTLS_CERT_RSA
                                                               : RTC_DTLS_CERT_ECDSA_P256;
}

mbedtls_x509_crt *rtc__dtls_cert_crt(rtc_dtls_cert_t *c) { return &c->crt; }
mbedtls_pk_context *rtc__dtls_cert_key(rtc_dtls_cert_t *c) { return &c->key; }

int rtc_dtls_cert_to_pem(const rtc_dtls_cert_t *c, char **cert_pem, char **key_pem) {
  int err = RTC_ENOMEM;
  const size_t cap = 4096;
  char *cp = NULL, *kp = NULL;
  size_t olen = 0;
  if (!c || !cert_pem || !key_pem) return RTC_EINVAL;
  *cert_pem = *key_pem = NULL;
  cp = malloc(cap);
  kp = malloc(cap);
  if (!cp || !kp) goto fail;
  err = RTC_ECRYPTO;
  if (mbedtls_pem_write_buffer("-----BEGIN CERTIFICATE-----\n", "-----END CERTIFICATE-----\n",
                               c->crt.raw.p, c->crt.raw.len, (unsigned char *)cp, cap, &olen) != 0)
    goto fail;
  /* mbedtls_pk_write_key_pem takes a non-const context but does not change it. */
  if (mbedtls_pk_write_key_pem((mbedtls_pk_context *)&c->key, (unsigned char *)kp, cap) != 0)
    goto fail;
  *cert_pem = cp;
  *key_pem = kp;
  return 0;
fail:
  free(cp);
  free(kp);
  return err;
}

int rtc_dtls_cert_from_pem(const char *cert_pem, const char *key_pem, rtc_dtls_cert_t **out) {
  int err = RTC_EINVAL;
  rtc_dtls_cert_t *c = NULL;
  if (!out) return RTC_EINVAL;
  *out = NULL;
  if (!cert_pem || !key_pem) goto fail;
  c = cert_alloc();
  if (!c) {
    err = RTC_ENOMEM;
    goto fail;
  }
  /* PEM parsing needs the terminating NUL counted in the length. */
  if (mbedtls_x509_crt_parse(&c->crt, (const unsigned char *)cert_pem, strlen(cert_pem) + 1) != 0 ||
      mbedtls_pk_parse_key(&c->key, (const unsigned char *)key_pem, strlen(key_pem) + 1, NULL, 0) !=
          0)
    goto fail;
  /* The key must belong to the certificate, or every handshake would fail later. */
  if (mbedtls_pk_check_pair(&c->crt.pk, &c->key) != 0) goto fail;
  c->expires = cert_time_to_epoch(&c->crt.valid_to);
  cert_set_fingerprint(c);
  *out = c;
  c = NULL;
  err = 0;
fail:
  cert_free(c);
  return err;
}
