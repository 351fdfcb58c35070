/* rtc_dtls_gcm (libcrypto AES-GCM for DTLS records) against mbedTLS's reference GCM, and the
 * NIST GCM test case 4 vector (McGrew and Viega, "The Galois/Counter Mode of
 * Operation", test case 4: AES-128, 60-byte plaintext, 20-byte AAD). */
#include <mbedtls/gcm.h>
#include <stdlib.h>

#include "dtls/rtc_dtls_gcm.h"
#include "rtc_test.h"

static void hex(const char *s, uint8_t *out) {
  for (size_t i = 0; s[2 * i]; i++) {
    unsigned v;
    sscanf(s + 2 * i, "%2x", &v);
    out[i] = (uint8_t)v;
  }
}

static void test_vector_case4(void) {
  if (!rtc__gcm_supported()) return;
  uint8_t key[16], iv[12], aad[20], pt[60], ct[60], tag[16], out[60], t[16];
  hex("feffe9928665731c6d6a8f9467308308", key);
  hex("cafebabefacedbaddecaf888", iv);
  hex("feedfacedeadbeeffeedfacedeadbeefabaddad2", aad);
  hex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
      "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
      pt);
  hex("42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
      "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
      ct);
  hex("5bc94fbc3221a5db94fae95ae7121a47", tag);
  rtc__gcm_t g;
  CHECK_EQ_INT(rtc__gcm_init(&g, key, 16), 0);
  rtc__gcm_seal(&g, iv, aad, sizeof aad, pt, sizeof pt, out, t);
  CHECK(memcmp(out, ct, sizeof ct) == 0);
  CHECK(memcmp(t, tag, 16) == 0);
  CHECK_EQ_INT(rtc__gcm_open(&g, iv, aad, sizeof aad, ct, sizeof ct, out, tag), 0);
  CHECK(memcmp(out, pt, sizeof pt) == 0);
  tag[3] ^= 1;
  CHECK_EQ_INT(rtc__gcm_open(&g, iv, aad, sizeof aad, ct, sizeof ct, out, tag), -1);
  rtc__gcm_wipe(&g);
}

/* Every length from 0 to 1300 (all tails, the 4-block path) and both key sizes,
 * with a DTLS-shaped 13-byte AAD, sealed by us and by mbedTLS. */
static void test_against_mbedtls(void) {
  if (!rtc__gcm_supported()) return;
  srand(7);
  static uint8_t pt[1300], ct[1300], ref[1300], back[1300];
  for (size_t i = 0; i < sizeof pt; i++)
    pt[i] = (uint8_t)rand();
  int bad = 0;
  for (size_t klen = 16; klen <= 32; klen += 16) {
    uint8_t key[32], iv[12], aad[13], tag[16], rtag[16];
    for (size_t i = 0; i < sizeof key; i++)
      key[i] = (uint8_t)rand();
    rtc__gcm_t g;
    CHECK_EQ_INT(rtc__gcm_init(&g, key, klen), 0);
    mbedtls_gcm_context m;
    mbedtls_gcm_init(&m);
    CHECK_EQ_INT(mbedtls_gcm_setkey(&m, MBEDTLS_CIPHER_ID_AES, key, (unsigned)klen * 8), 0);
    for (size_t len = 0; len <= sizeof pt; len++) {
      for (size_t i = 0; i < sizeof iv; i++)
        iv[i] = (uint8_t)rand();
      for (size_t i = 0; i < sizeof aad; i++)
        aad[i] = (uint8_t)rand();
      rtc__gcm_seal(&g, iv, aad, sizeof aad, pt, len, ct, tag);
      mbedtls_gcm_crypt_and_tag(&m, MBEDTLS_GCM_ENCRYPT, len, iv, sizeof iv, aad, sizeof aad, pt,
                                ref, 16, rtag);
      if (memcmp(ct, ref, len) != 0 || memcmp(tag, rtag, 16) != 0) bad++;
      /* in place, as the DTLS receive path does */
      memcpy(back, ct, len);
      if (rtc__gcm_open(&g, iv, aad, sizeof aad, back, len, back, tag) != 0 ||
          memcmp(back, pt, len) != 0)
        bad++;
      aad[0] ^= 0x80; /* any change to the header must fail */
      if (rtc__gcm_open(&g, iv, aad, sizeof aad, ct, len, back, tag) == 0) bad++;
    }
    mbedtls_gcm_free(&m);
    rtc__gcm_wipe(&g);
  }
  CHECK_EQ_INT(bad, 0);
}

static void test_bad_key_length(void) {
  rtc__gcm_t g;
  uint8_t key[24] = {0};
  CHECK_EQ_INT(rtc__gcm_init(&g, key, 24), -1);
}

int main(void) {
  if (!rtc__gcm_supported()) printf("# no fast AES-GCM: vector tests skipped\n");
  RUN_TEST(test_vector_case4);
  RUN_TEST(test_against_mbedtls);
  RUN_TEST(test_bad_key_length);
  TEST_MAIN_END();
}
