/* SRTP's per-packet transforms for libsrtp2's crypto kernel, on OpenSSL's libcrypto.
 *
 * Why: Debian's libsrtp2 is built on NSS, whose cipher and HMAC back-ends create and
 * free PK11 contexts for every srtp_protect/srtp_unprotect (~30 malloc/calloc a
 * packet, bench/PROFILE.md "B5"). libsrtp2 stays our SRTP library (replay window,
 * key derivation, stream templates, the packet formats); only the primitives change,
 * through its documented srtp_replace_cipher_type / srtp_replace_auth_type. Each
 * cipher or HMAC object here owns a context keyed once (alloc/init, i.e. when a
 * stream is created); a packet only sets the IV or resets a copied SHA-1 state:
 * no allocation per packet.
 *
 * Registered: AES-ICM-128 and -256 (RFC 3711 §4.1.1 counter mode; the 256 one is only
 * the key derivation of the GCM-256 profile), AES-GCM-128 and -256 (RFC 7714) with
 * 8- or 16-byte tags, HMAC-SHA1 (RFC 2104, RFC 3711 §4.2.1). libsrtp runs each type's
 * own test vectors (RFC 3711 B.2, RFC 6188 §7, RFC 7714 §16.1, GCM test case 14,
 * RFC 2202) and the vectors of the type it replaces before it accepts it.
 * Internal to srtp/. */
#ifndef RTC_SRTP_CRYPTO_H
#define RTC_SRTP_CRYPTO_H
#include <stdbool.h>

#include <srtp2/auth.h>
#include <srtp2/cipher.h>

/* After srtp_init(). 0, or RTC_ECRYPTO if libsrtp refused one of the types (each
 * type registers or not on its own; libsrtp keeps its own for a refused one). */
int rtc__srtp_crypto_register(void);
/* Whether every type above is registered. */
bool rtc__srtp_crypto_active(void);

extern const srtp_cipher_type_t rtc__srtp_aes_icm_128, rtc__srtp_aes_icm_256;
extern const srtp_cipher_type_t rtc__srtp_aes_gcm_128, rtc__srtp_aes_gcm_256;
extern const srtp_auth_type_t rtc__srtp_hmac_sha1;

#endif
