/* AES-GCM (NIST SP 800-38D) for DTLS application records after the handshake,
 * through OpenSSL's libcrypto. mbedTLS 2.28 computes GCM one 16-byte block per
 * function call (mbedtls_aesni_gcm_mult + mbedtls_cipher_update): ~37% of a bulk
 * data channel's CPU. libcrypto's stitched AES-NI/PCLMUL/AVX code is several times
 * faster, and a well-kept library rather than crypto of our own.
 * Only the 12-byte IV of TLS (RFC 5288) and 16-byte tags. Internal to dtls/. */
#ifndef RTC_DTLS_GCM_H
#define RTC_DTLS_GCM_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct rtc__gcm {
  void *enc, *dec; /* EVP_CIPHER_CTX, keyed once; each record only sets its IV */
} rtc__gcm_t;

/* Whether the fast path can be used (libcrypto has AES-GCM). */
bool rtc__gcm_supported(void);
/* key_len 16 or 32. 0, or -1 (unsupported key length or allocation failure).
 * Call rtc__gcm_wipe on a zeroed or initialised object to release it. */
int rtc__gcm_init(rtc__gcm_t *g, const uint8_t *key, size_t key_len);
/* One direction only (seal, or open): each keyed EVP context is ~1.1 KB, and a
 * DTLS connection seals with one key and opens with the other. */
int rtc__gcm_init_one(rtc__gcm_t *g, const uint8_t *key, size_t key_len, bool seal);
/* out may equal in. Writes len bytes to out and 16 to tag. */
void rtc__gcm_seal(const rtc__gcm_t *g, const uint8_t iv[12], const uint8_t *aad, size_t aad_len,
                   const uint8_t *in, size_t len, uint8_t *out, uint8_t tag[16]);
/* 0 and the plaintext in out, or -1 (tag mismatch; out is then garbage). */
int rtc__gcm_open(const rtc__gcm_t *g, const uint8_t iv[12], const uint8_t *aad, size_t aad_len,
                  const uint8_t *in, size_t len, uint8_t *out, const uint8_t tag[16]);
void rtc__gcm_wipe(rtc__gcm_t *g);

#endif
