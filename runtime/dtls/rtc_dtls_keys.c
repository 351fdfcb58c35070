/* The keying material a DTLS handshake yields: mbedTLS's key export gives the master
 * secret, from which the SRTP keys are derived (RFC 5764 4.2), and on AEAD suites the
 * record key block, which rtc_dtls_record.c takes for its own AES-GCM. */
#include <string.h>

#include <mbedtls/platform_util.h>
#include <mbedtls/ssl.h>

#include "base/rtc_err.h"
#include "dtls/rtc_dtls_conn.h"

/* mbedTLS 2.28 has no SRTP_AEAD_AES_128_GCM (RFC 7714) profile value, so only
 * SRTP_AES128_CM_HMAC_SHA1_80, which every WebRTC endpoint supports. */
static const mbedtls_ssl_srtp_profile dtls_srtp_profiles[] = {
    MBEDTLS_TLS_SRTP_AES128_CM_HMAC_SHA1_80,
    MBEDTLS_TLS_SRTP_UNSET,
};

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

int rtc__dtls_keys_conf(rtc_dtls_t *d, mbedtls_ssl_config *c) {
  mbedtls_ssl_conf_export_keys_ext_cb(c, dtls_export_keys, d);
  return mbedtls_ssl_conf_dtls_srtp_protection_profiles(c, dtls_srtp_profiles);
}

void rtc__dtls_keys_derive_srtp(rtc_dtls_t *d) {
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

int rtc_dtls_get_srtp_keys(const rtc_dtls_t *d, rtc_dtls_srtp_keys_t *out) {
  if (!d || !out) return RTC_EINVAL;
  if (d->state != RTC_DTLS_CONNECTED && d->state != RTC_DTLS_CLOSED) return RTC_ESTATE;
  if (!d->have_keys) return RTC_ENOTFOUND;
  *out = d->keys;
  return 0;
}
