/* DTLS certificates: ECDSA P-256 (or RSA on request), self-signed, with their SHA-256 fingerprint for
 * SDP (RFC 8122 form "AB:CD:..."). Reference-counted: by default one certificate
 * per process is made once and shared by every connection (bots open hundreds;
 * key generation costs milliseconds each). */
#ifndef RTC_DTLS_CERT_H
#define RTC_DTLS_CERT_H
#include <stddef.h>
#include <stdint.h>

typedef struct rtc_dtls_cert rtc_dtls_cert_t;

/* A new key pair and certificate (CN "luartc", valid 30 days back to 1 year ahead).
 * Returns 0 and *out with one reference, or RTC_ECRYPTO/RTC_ENOMEM. */
int rtc_dtls_cert_generate(rtc_dtls_cert_t **out);
/* The key types of W3C generateCertificate: ECDSA P-256, or RSASSA-PKCS1-v1_5
 * with a modulus of rsa_bits (even, 1024..4096; 0 means 2048) and the exponent
 * 65537, signed with SHA-256. RSA key generation takes from tens of
 * milliseconds to seconds. RTC_EINVAL on a bad kind or size. */
typedef enum rtc_dtls_cert_kind {
  RTC_DTLS_CERT_ECDSA_P256 = 0,
  RTC_DTLS_CERT_RSA = 1,
} rtc_dtls_cert_kind_t;
int rtc_dtls_cert_generate_kind(rtc_dtls_cert_kind_t kind, unsigned rsa_bits,
                                rtc_dtls_cert_t **out);
/* The certificate's key type: RTC_DTLS_CERT_ECDSA_P256 or RTC_DTLS_CERT_RSA
 * (an imported certificate on another curve also reads as ECDSA). */
rtc_dtls_cert_kind_t rtc_dtls_cert_kind(const rtc_dtls_cert_t *c);
/* The process-wide shared certificate, generated on first use; a new reference
 * (unref it when done). NULL only when generation failed. */
rtc_dtls_cert_t *rtc_dtls_cert_default(void);
rtc_dtls_cert_t *rtc_dtls_cert_ref(rtc_dtls_cert_t *c);
void rtc_dtls_cert_unref(rtc_dtls_cert_t *c); /* NULL is fine */
/* "AB:CD:..." (uppercase hex, colon-separated) of the DER certificate, sha-256. */
const char *rtc_dtls_cert_fingerprint(const rtc_dtls_cert_t *c);
/* Expiry as seconds since the epoch (RTCCertificate.expires is ms). */
int64_t rtc_dtls_cert_expires(const rtc_dtls_cert_t *c);
/* PEM export of certificate and private key, and import, so a script can keep its
 * identity across runs. Export returns malloc'd strings. */
int rtc_dtls_cert_to_pem(const rtc_dtls_cert_t *c, char **cert_pem, char **key_pem);
int rtc_dtls_cert_from_pem(const char *cert_pem, const char *key_pem, rtc_dtls_cert_t **out);

#endif
