/* AES-GCM through libcrypto's EVP interface (see rtc_dtls_gcm.h). Each context is
 * keyed once; a record only sets its nonce, so the per-record cost is the cipher. */
#include "dtls/rtc_dtls_gcm.h"

#include <openssl/evp.h>
#include <string.h>

bool rtc__gcm_supported(void) { return true; }

static int gcm_init(rtc__gcm_t *g, const uint8_t *key, size_t key_len, bool seal, bool open) {
  const EVP_CIPHER *c = key_len == 16   ? EVP_aes_128_gcm()
                        : key_len == 32 ? EVP_aes_256_gcm()
                                        : NULL;
  memset(g, 0, sizeof(*g));
  if (!c) return -1;
  EVP_CIPHER_CTX *enc = seal ? EVP_CIPHER_CTX_new() : NULL;
  EVP_CIPHER_CTX *dec = open ? EVP_CIPHER_CTX_new() : NULL;
  g->enc = enc;
  g->dec = dec;
  if ((seal && (!enc || EVP_EncryptInit_ex(enc, c, NULL, key, NULL) != 1)) ||
      (open && (!dec || EVP_DecryptInit_ex(dec, c, NULL, key, NULL) != 1))) {
    rtc__gcm_wipe(g);
    return -1;
  }
  return 0;
}

int rtc__gcm_init(rtc__gcm_t *g, const uint8_t *key, size_t key_len) {
  return gcm_init(g, key, key_len, true, true);
}

int rtc__gcm_init_one(rtc__gcm_t *g, const uint8_t *key, size_t key_len, bool seal) {
  return gcm_init(g, key, key_len, seal, !seal);
}

void rtc__gcm_seal(const rtc__gcm_t *g, const uint8_t iv[12], const uint8_t *aad, size_t aad_len,
                   const uint8_t *in, size_t len, uint8_t *out, uint8_t tag[16]) {
  EVP_CIPHER_CTX *c = g->enc;
  int n = 0;
  if (!c) {
    memset(tag, 0, 16);
    return;
  }
  /* Failures here are impossible for a keyed context short of memory corruption;
   * a zero tag then makes the peer drop the record rather than accept garbage. */
  if (EVP_EncryptInit_ex(c, NULL, NULL, NULL, iv) != 1 ||
      (aad_len && EVP_EncryptUpdate(c, NULL, &n, aad, (int)aad_len) != 1) ||
      (len && EVP_EncryptUpdate(c, out, &n, in, (int)len) != 1) ||
      EVP_EncryptFinal_ex(c, out + len, &n) != 1 ||
      EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag) != 1)
    memset(tag, 0, 16);
}

int rtc__gcm_open(const rtc__gcm_t *g, const uint8_t iv[12], const uint8_t *aad, size_t aad_len,
                  const uint8_t *in, size_t len, uint8_t *out, const uint8_t tag[16]) {
  EVP_CIPHER_CTX *c = g->dec;
  int n = 0;
  uint8_t t[16];
  if (!c) return -1;
  memcpy(t, tag, 16);
  if (EVP_DecryptInit_ex(c, NULL, NULL, NULL, iv) != 1 ||
      (aad_len && EVP_DecryptUpdate(c, NULL, &n, aad, (int)aad_len) != 1) ||
      (len && EVP_DecryptUpdate(c, out, &n, in, (int)len) != 1) ||
      EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, t) != 1)
    return -1;
  return EVP_DecryptFinal_ex(c, out + len, &n) == 1 ? 0 : -1;
}

void rtc__gcm_wipe(rtc__gcm_t *g) {
  EVP_CIPHER_CTX_free(g->enc); /* frees the key schedule cleansed */
  EVP_CIPHER_CTX_free(g->dec);
  g->enc = g->dec = NULL;
}
