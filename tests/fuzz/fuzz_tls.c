/* runtime/tls: fuzzer bytes as what a client sends a server (records, handshake
 * messages), split at a fuzzer-chosen point. Must never crash or leak. */
#include <stdint.h>
#include <stdlib.h>

#include "dtls/rtc_dtls_cert.h"
#include "tls/rtc_tls.h"

static rtc_tls_config_t *cfg;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!cfg) {
    rtc_dtls_cert_t *cert;
    char *c, *k, err[200];
    if (rtc_dtls_cert_generate(&cert) || rtc_dtls_cert_to_pem(cert, &c, &k)) abort();
    rtc_tls_config_opts_t o = {.server = true, .cert_pem = c, .key_pem = k};
    if (rtc_tls_config_create(&cfg, &o, err, sizeof err)) abort();
    free(c);
    free(k);
    rtc_dtls_cert_unref(cert);
  }
  rtc_tls_t *t;
  if (rtc_tls_create(&t, cfg, NULL)) return 0;
  size_t cut = size ? data[0] % (size + 1) : 0;
  if (rtc_tls_handle_input(t, data, cut) == 0) rtc_tls_handle_input(t, data + cut, size - cut);
  const uint8_t *p;
  size_t len;
  while (rtc_tls_poll_transmit(t, &p, &len))
    rtc_tls_consume_transmit(t, len);
  rtc_tls_destroy(t);
  return 0;
}
