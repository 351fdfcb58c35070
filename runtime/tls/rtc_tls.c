/* The TLS stream: mbedTLS with memory BIO callbacks (see rtc_tls.h). */
#include "tls/rtc_tls.h"

#include <mbedtls/error.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rtc_err.h"
#include "base/rtc_log.h"
#include "base/rtc_random.h"

#define TLS_SYSTEM_CA "/etc/ssl/certs/ca-certificates.crt"
/* Bytes a peer may make us hold undelivered (the owner drains plaintext after each
 * input; this bounds a peer that writes faster than we read). */
#define TLS_MAX_BUFFERED (16u << 20)

struct rtc_tls_config {
  int refs;
  mbedtls_ssl_config conf;
  mbedtls_x509_crt ca;
  mbedtls_x509_crt own;
  mbedtls_pk_context key;
};

typedef struct tls_buf {
  uint8_t *p;
  size_t off, len, cap; /* valid bytes are p[off .. off+len) */
} tls_buf_t;

struct rtc_tls {
  rtc_tls_config_t *cfg;
  mbedtls_ssl_context ssl;
  tls_buf_t in, out, plain, early;
  bool established, dead, peer_closed;
  char err[160];
};

static int tls_rng(void *ud, unsigned char *out, size_t len) {
  (void)ud;
  rtc_random_bytes(out, len);
  return 0;
}

static int buf_append(tls_buf_t *b, const uint8_t *p, size_t len) {
  if (len == 0) return 0;
  if (b->len + len > TLS_MAX_BUFFERED) return RTC_ELIMIT;
  if (b->off + b->len + len > b->cap) {
    if (b->off) { /* compact first */
      memmove(b->p, b->p + b->off, b->len);
      b->off = 0;
    }
    if (b->len + len > b->cap) {
      size_t cap = b->cap ? b->cap : 4096;
      while (cap < b->len + len)
        cap *= 2;
      uint8_t *np = realloc(b->p, cap);
      if (!np) return RTC_ENOMEM;
      b->p = np;
      b->cap = cap;
    }
  }
  memcpy(b->p + b->off + b->len, p, len);
  b->len += len;
  return 0;
}

static void buf_consume(tls_buf_t *b, size_t n) {
  if (n > b->len) n = b->len;
  b->off += n;
  b->len -= n;
  if (b->len == 0) b->off = 0;
}

static void buf_free(tls_buf_t *b) {
  free(b->p);
  memset(b, 0, sizeof *b);
}

static void set_mbed_err(char *err, size_t errlen, const char *what, int rc) {
  char m[120];
  mbedtls_strerror(rc, m, sizeof m);
  snprintf(err, errlen, "%s: %s (-0x%04x)", what, m, (unsigned)-rc);
}

int rtc_tls_config_create(rtc_tls_config_t **out, const rtc_tls_config_opts_t *o, char *err,
                          size_t errlen) {
  *out = NULL;
  if (errlen) err[0] = 0;
  rtc_tls_config_t *c = calloc(1, sizeof *c);
  if (!c) return RTC_ENOMEM;
  c->refs = 1;
  mbedtls_ssl_config_init(&c->conf);
  mbedtls_x509_crt_init(&c->ca);
  mbedtls_x509_crt_init(&c->own);
  mbedtls_pk_init(&c->key);
  int rc = mbedtls_ssl_config_defaults(&c->conf,
                                       o->server ? MBEDTLS_SSL_IS_SERVER : MBEDTLS_SSL_IS_CLIENT,
                                       MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
  if (rc) {
    set_mbed_err(err, errlen, "config", rc);
    goto fail;
  }
  mbedtls_ssl_conf_rng(&c->conf, tls_rng, NULL);
  mbedtls_ssl_conf_min_version(&c->conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
  if (o->server) {
    if (!o->cert_pem || !o->key_pem) {
      snprintf(err, errlen, "a server needs cert and key (PEM)");
      rc = RTC_EINVAL;
      goto fail_rc;
    }
    rc = mbedtls_x509_crt_parse(&c->own, (const unsigned char *)o->cert_pem,
                                strlen(o->cert_pem) + 1);
    if (rc) {
      set_mbed_err(err, errlen, "cert", rc);
      goto fail;
    }
    rc = mbedtls_pk_parse_key(&c->key, (const unsigned char *)o->key_pem, strlen(o->key_pem) + 1,
                              NULL, 0);
    if (rc) {
      set_mbed_err(err, errlen, "key", rc);
      goto fail;
    }
    rc = mbedtls_ssl_conf_own_cert(&c->conf, &c->own, &c->key);
    if (rc) {
      set_mbed_err(err, errlen, "cert and key", rc);
      goto fail;
    }
    mbedtls_ssl_conf_authmode(&c->conf, MBEDTLS_SSL_VERIFY_NONE); /* no client certificates */
  } else if (o->no_verify) {
    mbedtls_ssl_conf_authmode(&c->conf, MBEDTLS_SSL_VERIFY_NONE);
  } else {
    if (o->ca_pem)
      rc = mbedtls_x509_crt_parse(&c->ca, (const unsigned char *)o->ca_pem, strlen(o->ca_pem) + 1);
    else
      rc = mbedtls_x509_crt_parse_file(&c->ca, o->ca_file ? o->ca_file : TLS_SYSTEM_CA);
    /* A bundle may hold a few certificates mbedTLS cannot parse (rc > 0 counts them):
     * fine as long as some loaded. */
    if (rc < 0 || c->ca.version == 0) {
      set_mbed_err(err, errlen, o->ca_pem ? "ca" : (o->ca_file ? o->ca_file : TLS_SYSTEM_CA),
                   rc < 0 ? rc : MBEDTLS_ERR_X509_INVALID_FORMAT);
      goto fail;
    }
    mbedtls_ssl_conf_ca_chain(&c->conf, &c->ca, NULL);
    mbedtls_ssl_conf_authmode(&c->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
  }
  *out = c;
  return 0;
fail:
  rc = RTC_ECRYPTO;
fail_rc:
  c->refs = 1;
  rtc_tls_config_release(c);
  return rc;
}

void rtc_tls_config_release(rtc_tls_config_t *c) {
  if (!c || --c->refs > 0) return;
  mbedtls_ssl_config_free(&c->conf);
  mbedtls_x509_crt_free(&c->ca);
  mbedtls_x509_crt_free(&c->own);
  mbedtls_pk_free(&c->key);
  free(c);
}

static int bio_send(void *ud, const unsigned char *p, size_t len) {
  rtc_tls_t *t = ud;
  if (buf_append(&t->out, p, len) < 0) return MBEDTLS_ERR_SSL_ALLOC_FAILED;
  return (int)len;
}

static int bio_recv(void *ud, unsigned char *p, size_t len) {
  rtc_tls_t *t = ud;
  if (t->in.len == 0) return MBEDTLS_ERR_SSL_WANT_READ;
  size_t n = len < t->in.len ? len : t->in.len;
  memcpy(p, t->in.p + t->in.off, n);
  buf_consume(&t->in, n);
  return (int)n;
}

static int fail(rtc_tls_t *t, const char *what, int rc) {
  t->dead = true;
  if (rc == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) {
    char info[120] = "";
    mbedtls_x509_crt_verify_info(info, sizeof info, "", mbedtls_ssl_get_verify_result(&t->ssl));
    size_t n = strlen(info);
    while (n && (info[n - 1] == '\n' || info[n - 1] == ' '))
      info[--n] = 0;
    snprintf(t->err, sizeof t->err, "%s: certificate verification failed: %s", what, info);
  } else {
    set_mbed_err(t->err, sizeof t->err, what, rc);
  }
  RTC_LOG(RTC_LOG_DEBUG, "tls", "%s", t->err);
  return RTC_ECRYPTO;
}

int rtc_tls_create(rtc_tls_t **out, rtc_tls_config_t *cfg, const char *hostname) {
  *out = NULL;
  rtc_tls_t *t = calloc(1, sizeof *t);
  if (!t) return RTC_ENOMEM;
  t->cfg = cfg;
  cfg->refs++;
  mbedtls_ssl_init(&t->ssl);
  int rc = mbedtls_ssl_setup(&t->ssl, &cfg->conf);
  if (rc == 0 && hostname) rc = mbedtls_ssl_set_hostname(&t->ssl, hostname);
  if (rc) {
    rtc_tls_destroy(t);
    return RTC_ECRYPTO;
  }
  mbedtls_ssl_set_bio(&t->ssl, t, bio_send, bio_recv, NULL);
  if (cfg->conf.endpoint == MBEDTLS_SSL_IS_CLIENT) {
    rc = rtc_tls_handle_input(t, NULL, 0); /* queues the ClientHello */
    if (rc < 0) {
      rtc_tls_destroy(t);
      return rc;
    }
  }
  *out = t;
  return 0;
}

void rtc_tls_destroy(rtc_tls_t *t) {
  if (!t) return;
  mbedtls_ssl_free(&t->ssl);
  rtc_tls_config_release(t->cfg);
  buf_free(&t->in);
  buf_free(&t->out);
  buf_free(&t->plain);
  buf_free(&t->early);
  free(t);
}

/* Encrypts what sits in early (after the handshake) as records. */
static int flush_early(rtc_tls_t *t) {
  while (t->early.len) {
    int n = mbedtls_ssl_write(&t->ssl, t->early.p + t->early.off, t->early.len);
    if (n < 0) return fail(t, "write", n);
    buf_consume(&t->early, (size_t)n);
  }
  return 0;
}

int rtc_tls_handle_input(rtc_tls_t *t, const uint8_t *p, size_t len) {
  if (t->dead) return RTC_ECLOSED;
  int rc = buf_append(&t->in, p, len);
  if (rc < 0) {
    t->dead = true;
    snprintf(t->err, sizeof t->err, "too much buffered input");
    return rc;
  }
  if (!t->established) {
    rc = mbedtls_ssl_handshake(&t->ssl);
    if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE) return 0;
    if (rc) return fail(t, "handshake", rc);
    t->established = true;
    RTC_LOG(RTC_LOG_DEBUG, "tls", "established %s", mbedtls_ssl_get_ciphersuite(&t->ssl));
    if ((rc = flush_early(t)) < 0) return rc;
  }
  uint8_t chunk[4096];
  for (;;) {
    int n = mbedtls_ssl_read(&t->ssl, chunk, sizeof chunk);
    if (n > 0) {
      if ((rc = buf_append(&t->plain, chunk, (size_t)n)) < 0) {
        t->dead = true;
        snprintf(t->err, sizeof t->err, "too much undelivered plaintext");
        return rc;
      }
      continue;
    }
    if (n == MBEDTLS_ERR_SSL_WANT_READ || n == MBEDTLS_ERR_SSL_WANT_WRITE) return 0;
    if (n == 0 || n == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
      t->peer_closed = true;
      return 0;
    }
    return fail(t, "read", n);
  }
}

int rtc_tls_write(rtc_tls_t *t, const uint8_t *p, size_t len) {
  if (t->dead) return RTC_ECLOSED;
  if (!t->established) return buf_append(&t->early, p, len);
  while (len) {
    int n = mbedtls_ssl_write(&t->ssl, p, len);
    if (n < 0) return fail(t, "write", n);
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

size_t rtc_tls_read(rtc_tls_t *t, uint8_t *buf, size_t cap) {
  size_t n = cap < t->plain.len ? cap : t->plain.len;
  memcpy(buf, t->plain.p + t->plain.off, n);
  buf_consume(&t->plain, n);
  return n;
}

size_t rtc_tls_pending_plaintext(const rtc_tls_t *t) { return t->plain.len; }

bool rtc_tls_poll_transmit(rtc_tls_t *t, const uint8_t **p, size_t *len) {
  if (t->out.len == 0) return false;
  *p = t->out.p + t->out.off;
  *len = t->out.len;
  return true;
}

void rtc_tls_consume_transmit(rtc_tls_t *t, size_t len) { buf_consume(&t->out, len); }

int rtc_tls_close(rtc_tls_t *t) {
  if (t->dead || !t->established) return 0;
  int rc = mbedtls_ssl_close_notify(&t->ssl);
  return rc < 0 && rc != MBEDTLS_ERR_SSL_WANT_WRITE ? fail(t, "close", rc) : 0;
}

bool rtc_tls_is_established(const rtc_tls_t *t) { return t->established; }
bool rtc_tls_peer_closed(const rtc_tls_t *t) { return t->peer_closed; }
const char *rtc_tls_error(const rtc_tls_t *t) { return t->err; }
