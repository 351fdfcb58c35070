/* libsrtp2 cipher and auth types on libcrypto: see rtc_srtp_crypto.h. */
/* SHA1_Init/Update/Final are deprecated in OpenSSL 3 but kept: a SHA_CTX is a plain
 * struct, so the keyed HMAC states copy with '=' (EVP_MAC and HMAC_CTX allocate on
 * every re-init in 3.0: two calls a packet, measured). */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "srtp/rtc_srtp_crypto.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "base/rtc_err.h"

/* ---- AES-ICM (RFC 3711 §4.1.1): AES-CTR whose first counter block is
 * (salt || 0x0000) XOR the IV libsrtp passes (SSRC and packet index for a packet,
 * the label for key derivation). libsrtp's 'key' is the AES key then the 14-byte
 * salt. The low 16 bits count blocks; an SRTP packet never carries 2^16 blocks, so
 * OpenSSL's 128-bit counter increments the same way. */

typedef struct rtc_srtp_icm {
  srtp_cipher_t c; /* what libsrtp holds; c.state points back here */
  EVP_CIPHER_CTX *ctx;
  const EVP_CIPHER *evp;
  int aes_len;
  uint8_t salt[16]; /* salt, then two zero bytes */
} rtc_srtp_icm_t;

static srtp_err_status_t rtc_srtp_icm_alloc(srtp_cipher_pointer_t *cp, int key_len,
                                        const srtp_cipher_type_t *type) {
  int aes_len = key_len - SRTP_SALT_LEN;
  if (!cp || aes_len != (type->id == SRTP_AES_ICM_128 ? 16 : 32)) return srtp_err_status_bad_param;
  rtc_srtp_icm_t *s = calloc(1, sizeof *s);
  if (!s) return srtp_err_status_alloc_fail;
  s->ctx = EVP_CIPHER_CTX_new();
  if (!s->ctx) {
    free(s);
    return srtp_err_status_alloc_fail;
  }
  s->evp = aes_len == 16 ? EVP_aes_128_ctr() : EVP_aes_256_ctr();
  s->aes_len = aes_len;
  s->c.type = type;
  s->c.state = s;
  s->c.key_len = key_len;
  s->c.algorithm = type->id;
  *cp = &s->c;
  return srtp_err_status_ok;
}

static srtp_err_status_t rtc_srtp_icm_alloc_128(srtp_cipher_pointer_t *cp, int key_len, int tag_len) {
  return rtc_srtp_icm_alloc(cp, key_len, &rtc__srtp_aes_icm_128);
}

static srtp_err_status_t rtc_srtp_icm_alloc_256(srtp_cipher_pointer_t *cp, int key_len, int tag_len) {
  return rtc_srtp_icm_alloc(cp, key_len, &rtc__srtp_aes_icm_256);
}

static srtp_err_status_t rtc_srtp_icm_dealloc(srtp_cipher_pointer_t cp) {
  if (!cp) return srtp_err_status_bad_param;
  rtc_srtp_icm_t *s = cp->state;
  EVP_CIPHER_CTX_free(s->ctx); /* cleanses the key schedule */
  OPENSSL_cleanse(s, sizeof *s);
  free(s);
  return srtp_err_status_ok;
}

static srtp_err_status_t rtc_srtp_icm_init(void *state, const uint8_t *key) {
  rtc_srtp_icm_t *s = state;
  memset(s->salt, 0, sizeof s->salt);
  memcpy(s->salt, key + s->aes_len, SRTP_SALT_LEN);
  if (EVP_EncryptInit_ex(s->ctx, s->evp, NULL, key, NULL) != 1) return srtp_err_status_init_fail;
  return srtp_err_status_ok;
}

static srtp_err_status_t rtc_srtp_icm_set_iv(void *state, uint8_t *iv, srtp_cipher_direction_t dir) {
  rtc_srtp_icm_t *s = state;
  uint8_t counter[16];
  for (int i = 0; i < 16; i++) counter[i] = s->salt[i] ^ iv[i];
  /* Only the IV: the key schedule stays, nothing is allocated (OpenSSL 3.0 measured). */
  if (EVP_EncryptInit_ex(s->ctx, NULL, NULL, NULL, counter) != 1) return srtp_err_status_cipher_fail;
  return srtp_err_status_ok;
}

/* Encryption and decryption are the same XOR of the keystream; successive calls
 * continue it (libsrtp's header-extension encryption draws it piecewise). */
static srtp_err_status_t rtc_srtp_icm_crypt(void *state, uint8_t *buf, unsigned int *len) {
  rtc_srtp_icm_t *s = state;
  int n;
  if (*len == 0) return srtp_err_status_ok;
  if (*len > INT_MAX) return srtp_err_status_bad_param;
  if (EVP_EncryptUpdate(s->ctx, buf, &n, buf, (int)*len) != 1 || (unsigned)n != *len)
    return srtp_err_status_cipher_fail;
  return srtp_err_status_ok;
}

/* ---- AES-GCM (RFC 7714): libsrtp computes the 12-byte IV (salt XOR SSRC/ROC/SEQ),
 * passes the AAD (possibly in two pieces for SRTCP), then encrypts and asks for the
 * tag, or decrypts a buffer that ends with the tag. Its 'key' is the AES key then
 * the 12-byte salt, which only libsrtp uses. */

typedef struct rtc_srtp_gcm {
  srtp_cipher_t c;
  EVP_CIPHER_CTX *ctx; /* one context both ways: GCM's key schedule is the same */
  const EVP_CIPHER *evp;
  int tag_len;
  srtp_cipher_direction_t dir;
} rtc_srtp_gcm_t;

static srtp_err_status_t rtc_srtp_gcm_alloc(srtp_cipher_pointer_t *cp, int key_len, int tag_len,
                                        const srtp_cipher_type_t *type) {
  int aes_len = type->id == SRTP_AES_GCM_128 ? 16 : 32;
  if (!cp || key_len != aes_len + SRTP_AEAD_SALT_LEN || (tag_len != 8 && tag_len != 16))
    return srtp_err_status_bad_param;
  rtc_srtp_gcm_t *s = calloc(1, sizeof *s);
  if (!s) return srtp_err_status_alloc_fail;
  s->ctx = EVP_CIPHER_CTX_new();
  if (!s->ctx) {
    free(s);
    return srtp_err_status_alloc_fail;
  }
  s->evp = aes_len == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm();
  s->tag_len = tag_len;
  s->dir = srtp_direction_any;
  s->c.type = type;
  s->c.state = s;
  s->c.key_len = key_len;
  s->c.algorithm = type->id;
  *cp = &s->c;
  return srtp_err_status_ok;
}

static srtp_err_status_t rtc_srtp_gcm_alloc_128(srtp_cipher_pointer_t *cp, int key_len, int tag_len) {
  return rtc_srtp_gcm_alloc(cp, key_len, tag_len, &rtc__srtp_aes_gcm_128);
}

static srtp_err_status_t rtc_srtp_gcm_alloc_256(srtp_cipher_pointer_t *cp, int key_len, int tag_len) {
  return rtc_srtp_gcm_alloc(cp, key_len, tag_len, &rtc__srtp_aes_gcm_256);
}

static srtp_err_status_t rtc_srtp_gcm_dealloc(srtp_cipher_pointer_t cp) {
  if (!cp) return srtp_err_status_bad_param;
  rtc_srtp_gcm_t *s = cp->state;
  EVP_CIPHER_CTX_free(s->ctx);
  OPENSSL_cleanse(s, sizeof *s);
  free(s);
  return srtp_err_status_ok;
}

static srtp_err_status_t rtc_srtp_gcm_init(void *state, const uint8_t *key) {
  rtc_srtp_gcm_t *s = state;
  s->dir = srtp_direction_any;
  if (EVP_CipherInit_ex(s->ctx, s->evp, NULL, key, NULL, 1) != 1) return srtp_err_status_init_fail;
  return srtp_err_status_ok;
}

static srtp_err_status_t rtc_srtp_gcm_set_iv(void *state, uint8_t *iv, srtp_cipher_direction_t dir) {
  rtc_srtp_gcm_t *s = state;
  if (dir != srtp_direction_encrypt && dir != srtp_direction_decrypt)
    return srtp_err_status_bad_param;
  s->dir = dir;
  if (EVP_CipherInit_ex(s->ctx, NULL, NULL, NULL, iv, dir == srtp_direction_encrypt) != 1)
    return srtp_err_status_cipher_fail;
  return srtp_err_status_ok;
}

static srtp_err_status_t rtc_srtp_gcm_set_aad(void *state, const uint8_t *aad, uint32_t len) {
  rtc_srtp_gcm_t *s = state;
  int n;
  if (s->dir == srtp_direction_any) return srtp_err_status_bad_param;
  if (len == 0) return srtp_err_status_ok;
  if (len > INT_MAX || EVP_CipherUpdate(s->ctx, NULL, &n, aad, (int)len) != 1)
    return srtp_err_status_algo_fail;
  return srtp_err_status_ok;
}

static srtp_err_status_t rtc_srtp_gcm_encrypt(void *state, uint8_t *buf, unsigned int *len) {
  rtc_srtp_gcm_t *s = state;
  int n;
  if (s->dir != srtp_direction_encrypt) return srtp_err_status_bad_param;
  if (*len == 0) return srtp_err_status_ok; /* SRTCP without encryption: tag only */
  if (*len > INT_MAX || EVP_CipherUpdate(s->ctx, buf, &n, buf, (int)*len) != 1 ||
      (unsigned)n != *len)
    return srtp_err_status_cipher_fail;
  return srtp_err_status_ok;
}

static srtp_err_status_t rtc_srtp_gcm_get_tag(void *state, uint8_t *tag, uint32_t *len) {
  rtc_srtp_gcm_t *s = state;
  uint8_t none[16];
  int n;
  if (s->dir != srtp_direction_encrypt) return srtp_err_status_bad_param;
  if (EVP_CipherFinal_ex(s->ctx, none, &n) != 1 ||
      EVP_CIPHER_CTX_ctrl(s->ctx, EVP_CTRL_GCM_GET_TAG, s->tag_len, tag) != 1)
    return srtp_err_status_algo_fail;
  *len = (uint32_t)s->tag_len;
  return srtp_err_status_ok;
}

/* buf holds the ciphertext then the tag; on success *len drops the tag. */
static srtp_err_status_t rtc_srtp_gcm_decrypt(void *state, uint8_t *buf, unsigned int *len) {
  rtc_srtp_gcm_t *s = state;
  uint8_t tag[16], none[16];
  int n;
  if (s->dir != srtp_direction_decrypt || *len < (unsigned)s->tag_len || *len > INT_MAX)
    return srtp_err_status_bad_param;
  int data_len = (int)*len - s->tag_len;
  memcpy(tag, buf + data_len, (size_t)s->tag_len);
  if (EVP_CIPHER_CTX_ctrl(s->ctx, EVP_CTRL_GCM_SET_TAG, s->tag_len, tag) != 1 ||
      (data_len && EVP_CipherUpdate(s->ctx, buf, &n, buf, data_len) != 1))
    return srtp_err_status_cipher_fail;
  if (EVP_CipherFinal_ex(s->ctx, none, &n) != 1) return srtp_err_status_auth_fail;
  *len = (unsigned)data_len;
  return srtp_err_status_ok;
}

/* ---- HMAC-SHA1 (RFC 2104): the inner and outer states after the padded key are
 * computed once in init; a packet starts from a copy of the inner one. */

typedef struct rtc_srtp_hmac {
  srtp_auth_t a;
  SHA_CTX inner, outer, run;
} rtc_srtp_hmac_t;

static srtp_err_status_t rtc_srtp_hmac_alloc(srtp_auth_pointer_t *ap, int key_len, int out_len) {
  /* SRTP's auth key is 160 bits (RFC 3711 §8.2); longer keys would need hashing. */
  if (!ap || key_len < 0 || key_len > SHA_DIGEST_LENGTH || out_len < 0 ||
      out_len > SHA_DIGEST_LENGTH)
    return srtp_err_status_bad_param;
  rtc_srtp_hmac_t *s = calloc(1, sizeof *s);
  if (!s) return srtp_err_status_alloc_fail;
  s->a.type = &rtc__srtp_hmac_sha1;
  s->a.state = s;
  s->a.out_len = out_len;
  s->a.key_len = key_len;
  s->a.prefix_len = 0;
  *ap = &s->a;
  return srtp_err_status_ok;
}

static srtp_err_status_t rtc_srtp_hmac_dealloc(srtp_auth_pointer_t ap) {
  if (!ap) return srtp_err_status_bad_param;
  rtc_srtp_hmac_t *s = ap->state;
  OPENSSL_cleanse(s, sizeof *s);
  free(s);
  return srtp_err_status_ok;
}

static srtp_err_status_t rtc_srtp_hmac_init(void *state, const uint8_t *key, int key_len) {
  rtc_srtp_hmac_t *s = state;
  uint8_t pad[SHA_CBLOCK];
  if (key_len < 0 || key_len > SHA_DIGEST_LENGTH) return srtp_err_status_bad_param;
  memset(pad, 0x36, sizeof pad);
  for (int i = 0; i < key_len; i++) pad[i] ^= key[i];
  SHA1_Init(&s->inner);
  SHA1_Update(&s->inner, pad, sizeof pad);
  memset(pad, 0x5c, sizeof pad);
  for (int i = 0; i < key_len; i++) pad[i] ^= key[i];
  SHA1_Init(&s->outer);
  SHA1_Update(&s->outer, pad, sizeof pad);
  OPENSSL_cleanse(pad, sizeof pad);
  s->run = s->inner; /* libsrtp's self-test computes without a start */
  return srtp_err_status_ok;
}

static srtp_err_status_t rtc_srtp_hmac_start(void *state) {
  rtc_srtp_hmac_t *s = state;
  s->run = s->inner;
  return srtp_err_status_ok;
}

static srtp_err_status_t rtc_srtp_hmac_update(void *state, const uint8_t *buf, int len) {
  rtc_srtp_hmac_t *s = state;
  if (len < 0) return srtp_err_status_bad_param;
  SHA1_Update(&s->run, buf, (size_t)len);
  return srtp_err_status_ok;
}

static srtp_err_status_t rtc_srtp_hmac_compute(void *state, const uint8_t *buf, int len, int tag_len,
                                           uint8_t *tag) {
  rtc_srtp_hmac_t *s = state;
  uint8_t h[SHA_DIGEST_LENGTH];
  if (len < 0 || tag_len < 0 || tag_len > SHA_DIGEST_LENGTH) return srtp_err_status_bad_param;
  SHA1_Update(&s->run, buf, (size_t)len);
  SHA1_Final(h, &s->run);
  s->run = s->outer;
  SHA1_Update(&s->run, h, sizeof h);
  SHA1_Final(h, &s->run);
  memcpy(tag, h, (size_t)tag_len);
  OPENSSL_cleanse(h, sizeof h);
  return srtp_err_status_ok;
}

/* ---- Test vectors libsrtp checks a type against when it is registered. */

/* RFC 3711 Appendix B.2: session key, then the session salt. */
static const uint8_t icm128_key[30] = {
    0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f,
    0x3c, 0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd};
/* RFC 6188 §7.1 (AES-256 counter mode): key, then the same salt. */
static const uint8_t icm256_key[46] = {
    0x57, 0xf8, 0x2f, 0xe3, 0x61, 0x3f, 0xd1, 0x70, 0xa8, 0x5e, 0xc9, 0x3c, 0x40, 0xb1, 0xf0, 0x92,
    0x2e, 0xc4, 0xcb, 0x0d, 0xc0, 0x25, 0xb5, 0x82, 0x72, 0x14, 0x7c, 0xc4, 0x38, 0x94, 0x4a, 0x98,
    0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd};
static uint8_t icm_zero_iv[16]; /* ROC, SEQ and SSRC 0: the counter is salt || 0000 */
static const uint8_t icm_zero_text[48];
/* The keystream of the first three counter blocks, as the RFCs list it. */
static const uint8_t icm128_stream[48] = {
    0xe0, 0x3e, 0xad, 0x09, 0x35, 0xc9, 0x5e, 0x80, 0xe1, 0x66, 0xb1, 0x6d, 0xd9, 0x2b, 0x4e, 0xb4,
    0xd2, 0x35, 0x13, 0x16, 0x2b, 0x02, 0xd0, 0xf7, 0x2a, 0x43, 0xa2, 0xfe, 0x4a, 0x5f, 0x97, 0xab,
    0x41, 0xe9, 0x5b, 0x3b, 0xb0, 0xa2, 0xe8, 0xdd, 0x47, 0x79, 0x01, 0xe4, 0xfc, 0xa8, 0x94, 0xc0};
static const uint8_t icm256_stream[48] = {
    0x92, 0xbd, 0xd2, 0x8a, 0x93, 0xc3, 0xf5, 0x25, 0x11, 0xc6, 0x77, 0xd0, 0x8b, 0x55, 0x15, 0xa4,
    0x9d, 0xa7, 0x1b, 0x23, 0x78, 0xa8, 0x54, 0xf6, 0x70, 0x50, 0x75, 0x6d, 0xed, 0x16, 0x5b, 0xac,
    0x63, 0xc4, 0x86, 0x8b, 0x70, 0x96, 0xd8, 0x84, 0x21, 0xb5, 0x63, 0xb8, 0xc9, 0x4c, 0x9a, 0x31};

static const srtp_cipher_test_case_t icm128_test = {
    .key_length_octets = 30,
    .key = icm128_key,
    .idx = icm_zero_iv,
    .plaintext_length_octets = 48,
    .plaintext = icm_zero_text,
    .ciphertext_length_octets = 48,
    .ciphertext = icm128_stream,
};
static const srtp_cipher_test_case_t icm256_test = {
    .key_length_octets = 46,
    .key = icm256_key,
    .idx = icm_zero_iv,
    .plaintext_length_octets = 48,
    .plaintext = icm_zero_text,
    .ciphertext_length_octets = 48,
    .ciphertext = icm256_stream,
};

/* RFC 7714 §16.1.1: session key 00..0f and salt "Quid pro quo"; the IV for SSRC
 * 0x5501a0b2, ROC 0, SEQ 0xf17b; the RTP header as AAD; "Gallia est omnis divisa in
 * partes tres" encrypted, then the 16-byte tag. */
static const uint8_t gcm128_key[28] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09,
                                       0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x51, 0x75, 0x69, 0x64,
                                       0x20, 0x70, 0x72, 0x6f, 0x20, 0x71, 0x75, 0x6f};
static uint8_t gcm128_iv[16] = {0x51, 0x75, 0x3c, 0x65, 0x80, 0xc2, 0x72, 0x6f, 0x20, 0x71, 0x84, 0x14};
static const uint8_t gcm128_aad[12] = {0x80, 0x40, 0xf1, 0x7b, 0x80, 0x41,
                                       0xf8, 0xd3, 0x55, 0x01, 0xa0, 0xb2};
static const uint8_t gcm128_plain[38] = "Gallia est omnis divisa in partes tres";
static const uint8_t gcm128_cipher[54] = {
    0xf2, 0x4d, 0xe3, 0xa3, 0xfb, 0x34, 0xde, 0x6c, 0xac, 0xba, 0x86, 0x1c, 0x9d, 0x7e,
    0x4b, 0xca, 0xbe, 0x63, 0x3b, 0xd5, 0x0d, 0x29, 0x4e, 0x6f, 0x42, 0xa5, 0xf4, 0x7a,
    0x51, 0xc7, 0xd1, 0x9b, 0x36, 0xde, 0x3a, 0xdf, 0x88, 0x33, 0x89, 0x9d, 0x7f, 0x27,
    0xbe, 0xb1, 0x6a, 0x91, 0x52, 0xcf, 0x76, 0x5e, 0xe4, 0x39, 0x0c, 0xce};
static const srtp_cipher_test_case_t gcm128_test = {
    .key_length_octets = 28,
    .key = gcm128_key,
    .idx = gcm128_iv,
    .plaintext_length_octets = 38,
    .plaintext = gcm128_plain,
    .ciphertext_length_octets = 54,
    .ciphertext = gcm128_cipher,
    .aad_length_octets = 12,
    .aad = gcm128_aad,
    .tag_length_octets = 16,
};

/* McGrew & Viega's GCM test case 14: 256-bit zero key, zero IV, no AAD, one zero
 * block; then a zero salt for libsrtp's key layout. */
static const uint8_t gcm256_key[44];
static uint8_t gcm256_iv[16];
static const uint8_t gcm256_plain[16];
static const uint8_t gcm256_cipher[32] = {
    0xce, 0xa7, 0x40, 0x3d, 0x4d, 0x60, 0x6b, 0x6e, 0x07, 0x4e, 0xc5, 0xd3, 0xba, 0xf3, 0x9d, 0x18,
    0xd0, 0xd1, 0xc8, 0xa7, 0x99, 0x99, 0x6b, 0xf0, 0x26, 0x5b, 0x98, 0xb5, 0xd4, 0x8a, 0xb9, 0x19};
static const srtp_cipher_test_case_t gcm256_test = {
    .key_length_octets = 44,
    .key = gcm256_key,
    .idx = gcm256_iv,
    .plaintext_length_octets = 16,
    .plaintext = gcm256_plain,
    .ciphertext_length_octets = 32,
    .ciphertext = gcm256_cipher,
    .tag_length_octets = 16,
};

/* RFC 2202 §3, test cases 1 and 2. */
static const uint8_t hmac1_key[20] = {0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
                                      0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b};
static const uint8_t hmac1_tag[20] = {0xb6, 0x17, 0x31, 0x86, 0x55, 0x05, 0x72, 0x64, 0xe2, 0x8b,
                                      0xc0, 0xb6, 0xfb, 0x37, 0x8c, 0x8e, 0xf1, 0x46, 0xbe, 0x00};
static const uint8_t hmac2_tag[20] = {0xef, 0xfc, 0xdf, 0x6a, 0xe5, 0xeb, 0x2f, 0xa2, 0xd2, 0x74,
                                      0x16, 0xd5, 0xf1, 0x84, 0xdf, 0x9c, 0x25, 0x9a, 0x7c, 0x79};
static const srtp_auth_test_case_t hmac2_test = {
    .key_length_octets = 4,
    .key = (const uint8_t *)"Jefe",
    .data_length_octets = 28,
    .data = (const uint8_t *)"what do ya want for nothing?",
    .tag_length_octets = 20,
    .tag = hmac2_tag,
};
static const srtp_auth_test_case_t hmac1_test = {
    .key_length_octets = 20,
    .key = hmac1_key,
    .data_length_octets = 8,
    .data = (const uint8_t *)"Hi There",
    .tag_length_octets = 20,
    .tag = hmac1_tag,
    .next_test_case = &hmac2_test,
};

/* ---- The types. */

const srtp_cipher_type_t rtc__srtp_aes_icm_128 = {
    .alloc = rtc_srtp_icm_alloc_128,
    .dealloc = rtc_srtp_icm_dealloc,
    .init = rtc_srtp_icm_init,
    .encrypt = rtc_srtp_icm_crypt,
    .decrypt = rtc_srtp_icm_crypt,
    .set_iv = rtc_srtp_icm_set_iv,
    .description = "AES-128 counter mode (luartc, libcrypto)",
    .test_data = &icm128_test,
    .id = SRTP_AES_ICM_128,
};
const srtp_cipher_type_t rtc__srtp_aes_icm_256 = {
    .alloc = rtc_srtp_icm_alloc_256,
    .dealloc = rtc_srtp_icm_dealloc,
    .init = rtc_srtp_icm_init,
    .encrypt = rtc_srtp_icm_crypt,
    .decrypt = rtc_srtp_icm_crypt,
    .set_iv = rtc_srtp_icm_set_iv,
    .description = "AES-256 counter mode (luartc, libcrypto)",
    .test_data = &icm256_test,
    .id = SRTP_AES_ICM_256,
};
const srtp_cipher_type_t rtc__srtp_aes_gcm_128 = {
    .alloc = rtc_srtp_gcm_alloc_128,
    .dealloc = rtc_srtp_gcm_dealloc,
    .init = rtc_srtp_gcm_init,
    .set_aad = rtc_srtp_gcm_set_aad,
    .encrypt = rtc_srtp_gcm_encrypt,
    .decrypt = rtc_srtp_gcm_decrypt,
    .set_iv = rtc_srtp_gcm_set_iv,
    .get_tag = rtc_srtp_gcm_get_tag,
    .description = "AES-128 GCM (luartc, libcrypto)",
    .test_data = &gcm128_test,
    .id = SRTP_AES_GCM_128,
};
const srtp_cipher_type_t rtc__srtp_aes_gcm_256 = {
    .alloc = rtc_srtp_gcm_alloc_256,
    .dealloc = rtc_srtp_gcm_dealloc,
    .init = rtc_srtp_gcm_init,
    .set_aad = rtc_srtp_gcm_set_aad,
    .encrypt = rtc_srtp_gcm_encrypt,
    .decrypt = rtc_srtp_gcm_decrypt,
    .set_iv = rtc_srtp_gcm_set_iv,
    .get_tag = rtc_srtp_gcm_get_tag,
    .description = "AES-256 GCM (luartc, libcrypto)",
    .test_data = &gcm256_test,
    .id = SRTP_AES_GCM_256,
};
const srtp_auth_type_t rtc__srtp_hmac_sha1 = {
    .alloc = rtc_srtp_hmac_alloc,
    .dealloc = rtc_srtp_hmac_dealloc,
    .init = rtc_srtp_hmac_init,
    .compute = rtc_srtp_hmac_compute,
    .update = rtc_srtp_hmac_update,
    .start = rtc_srtp_hmac_start,
    .description = "HMAC-SHA1 (luartc, libcrypto)",
    .test_data = &hmac1_test,
    .id = SRTP_HMAC_SHA1,
};

static bool srtp_crypto_all;

int rtc__srtp_crypto_register(void) {
  static const srtp_cipher_type_t *const ciphers[] = {
      &rtc__srtp_aes_icm_128, &rtc__srtp_aes_icm_256, &rtc__srtp_aes_gcm_128,
      &rtc__srtp_aes_gcm_256};
  bool all = true;
  for (size_t i = 0; i < sizeof ciphers / sizeof ciphers[0]; i++)
    if (srtp_replace_cipher_type(ciphers[i], ciphers[i]->id) != srtp_err_status_ok) all = false;
  if (srtp_replace_auth_type(&rtc__srtp_hmac_sha1, SRTP_HMAC_SHA1) != srtp_err_status_ok)
    all = false;
  srtp_crypto_all = all;
  return all ? 0 : RTC_ECRYPTO;
}

bool rtc__srtp_crypto_active(void) { return srtp_crypto_all; }
