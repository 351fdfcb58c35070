/* Shared between the dtls files only: the process-wide DRBG and the mbedTLS
 * objects behind a certificate. */
#ifndef RTC_DTLS_INTERNAL_H
#define RTC_DTLS_INTERNAL_H
#include <stdbool.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#include "dtls/rtc_dtls_cert.h"

/* One CTR-DRBG per process, seeded once from rtc_random_bytes (getrandom) on
 * first use; NULL if seeding failed. No threads in the core, so no lock. */
mbedtls_ctr_drbg_context *rtc__dtls_drbg(void);
mbedtls_x509_crt *rtc__dtls_cert_crt(rtc_dtls_cert_t *c);
mbedtls_pk_context *rtc__dtls_cert_key(rtc_dtls_cert_t *c);
/* Application records go through rtc_dtls_gcm (tests check the path taken). */
struct rtc_dtls;
bool rtc__dtls_fast(const struct rtc_dtls *d);
/* mbedTLS was freed after the handshake (the fast path does everything). */
bool rtc__dtls_lean(const struct rtc_dtls *d);
/* Times the server resent its kept last flight without mbedTLS. */
unsigned rtc__dtls_flight_resends(const struct rtc_dtls *d);

#endif
