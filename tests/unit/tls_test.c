/* runtime/tls: a client and a server stream wired together in memory (no sockets):
 * handshake, data both ways (early writes kept until the handshake is done),
 * certificate verification against the right and the wrong CA, garbage input. */
#include <stdlib.h>
#include <string.h>

#include "base/rtc_err.h"
#include "dtls/rtc_dtls_cert.h"
#include "rtc_test.h"
#include "tls/rtc_tls.h"

static char *cert_pem, *key_pem;

/* Moves every queued byte between the two streams until both are quiet. */
static int pump(rtc_tls_t *a, rtc_tls_t *b) {
  for (int round = 0; round < 50; round++) {
    bool moved = false;
    const uint8_t *p;
    size_t len;
    if (rtc_tls_poll_transmit(a, &p, &len)) {
      int rc = rtc_tls_handle_input(b, p, len);
      rtc_tls_consume_transmit(a, len);
      if (rc < 0) return rc;
      moved = true;
    }
    if (rtc_tls_poll_transmit(b, &p, &len)) {
      int rc = rtc_tls_handle_input(a, p, len);
      rtc_tls_consume_transmit(b, len);
      if (rc < 0) return rc;
      moved = true;
    }
    if (!moved) return 0;
  }
  return RTC_ELIMIT;
}

static void make_pair(const rtc_tls_config_opts_t *copt, rtc_tls_t **c, rtc_tls_t **s) {
  rtc_tls_config_t *cc, *sc;
  char err[200];
  rtc_tls_config_opts_t so = {.server = true, .cert_pem = cert_pem, .key_pem = key_pem};
  CHECK_EQ_INT(rtc_tls_config_create(&sc, &so, err, sizeof err), 0);
  CHECK_EQ_INT(rtc_tls_config_create(&cc, copt, err, sizeof err), 0);
  CHECK_EQ_INT(rtc_tls_create(s, sc, NULL), 0);
  CHECK_EQ_INT(rtc_tls_create(c, cc, NULL), 0);
  rtc_tls_config_release(sc); /* the streams hold their own references */
  rtc_tls_config_release(cc);
}

static void test_handshake_and_data(void) {
  rtc_tls_config_opts_t co = {.ca_pem = cert_pem};
  rtc_tls_t *c, *s;
  make_pair(&co, &c, &s);
  CHECK_EQ_INT(rtc_tls_write(c, (const uint8_t *)"early", 5), 0); /* before the handshake */
  CHECK_EQ_INT(pump(c, s), 0);
  CHECK(rtc_tls_is_established(c));
  CHECK(rtc_tls_is_established(s));
  uint8_t buf[64];
  CHECK_EQ_INT(rtc_tls_read(s, buf, sizeof buf), 5);
  CHECK(memcmp(buf, "early", 5) == 0);
  /* 100 KB from the server: several records */
  size_t n = 100000;
  uint8_t *big = malloc(n), *got = malloc(n);
  for (size_t i = 0; i < n; i++)
    big[i] = (uint8_t)(i * 7);
  CHECK_EQ_INT(rtc_tls_write(s, big, n), 0);
  CHECK_EQ_INT(pump(c, s), 0);
  CHECK_EQ_INT(rtc_tls_pending_plaintext(c), n);
  CHECK_EQ_INT(rtc_tls_read(c, got, n), n);
  CHECK(memcmp(big, got, n) == 0);
  CHECK_EQ_INT(rtc_tls_close(c), 0);
  CHECK_EQ_INT(pump(c, s), 0);
  CHECK(rtc_tls_peer_closed(s));
  free(big);
  free(got);
  rtc_tls_destroy(c);
  rtc_tls_destroy(s);
}

static void test_wrong_ca_fails(void) {
  rtc_dtls_cert_t *other;
  CHECK_EQ_INT(rtc_dtls_cert_generate(&other), 0);
  char *ocert, *okey;
  CHECK_EQ_INT(rtc_dtls_cert_to_pem(other, &ocert, &okey), 0);
  rtc_tls_config_opts_t co = {.ca_pem = ocert};
  rtc_tls_t *c, *s;
  make_pair(&co, &c, &s);
  CHECK(pump(c, s) < 0);
  CHECK(!rtc_tls_is_established(c));
  CHECK(strstr(rtc_tls_error(c), "certificate verification failed") != NULL);
  /* a dead stream refuses more input */
  CHECK_EQ_INT(rtc_tls_handle_input(c, (const uint8_t *)"x", 1), RTC_ECLOSED);
  rtc_tls_destroy(c);
  rtc_tls_destroy(s);
  free(ocert);
  free(okey);
  rtc_dtls_cert_unref(other);
}

static void test_garbage_and_bad_config(void) {
  rtc_tls_config_opts_t so = {.server = true, .cert_pem = cert_pem, .key_pem = key_pem};
  rtc_tls_config_t *sc;
  char err[200];
  CHECK_EQ_INT(rtc_tls_config_create(&sc, &so, err, sizeof err), 0);
  rtc_tls_t *s;
  CHECK_EQ_INT(rtc_tls_create(&s, sc, NULL), 0);
  /* an HTTP request where a ClientHello belongs */
  const char *junk = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  CHECK(rtc_tls_handle_input(s, (const uint8_t *)junk, strlen(junk)) < 0);
  CHECK(rtc_tls_error(s)[0] != 0);
  rtc_tls_destroy(s);
  rtc_tls_config_release(sc);
  rtc_tls_config_opts_t bad = {.server = true, .cert_pem = "not a pem", .key_pem = key_pem};
  CHECK(rtc_tls_config_create(&sc, &bad, err, sizeof err) < 0);
  CHECK(sc == NULL);
  CHECK(strstr(err, "cert") != NULL);
  rtc_tls_config_opts_t nofile = {.ca_file = "/nonexistent/ca.pem"};
  CHECK(rtc_tls_config_create(&sc, &nofile, err, sizeof err) < 0);
}

int main(void) {
  rtc_dtls_cert_t *cert;
  if (rtc_dtls_cert_generate(&cert) || rtc_dtls_cert_to_pem(cert, &cert_pem, &key_pem)) return 1;
  RUN_TEST(test_handshake_and_data);
  RUN_TEST(test_wrong_ca_fails);
  RUN_TEST(test_garbage_and_bad_config);
  free(cert_pem);
  free(key_pem);
  rtc_dtls_cert_unref(cert);
  TEST_MAIN_END();
}
