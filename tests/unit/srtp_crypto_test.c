/* libsrtp2 with luartc's transforms (runtime/srtp/rtc_srtp_crypto.c) against libsrtp2
 * as Debian ships it (NSS): the RFC vectors through libsrtp's cipher and auth API;
 * the same packets protected by both, byte for byte, and each side unprotecting the
 * other's; no allocation per packet afterwards, where libsrtp's NSS back-end
 * allocates on every packet.
 *
 * The NSS contexts are made and used before our types are registered (rtc_srtp_init
 * with RTC_SRTP_NATIVE=0 leaves libsrtp's own; then rtc__srtp_crypto_register as
 * rtc_srtp_init does by default, which srtp_test checks): a context keeps the types
 * it was made with, so they stay NSS's for the whole run. */
#include <stdint.h>
#include <stdlib.h>

#include <srtp2/srtp.h>

#include "base/rtc_err.h"
#include "rtc_test.h"
#include "srtp/rtc_srtp.h"
#include "srtp/rtc_srtp_crypto.h"

#include "rtc_test_alloc_count.h"

/* ---- A deterministic corpus: RTP with CSRCs or a header extension or neither, payloads
 * of 0..1199 bytes, two SSRCs, sequence numbers across the 16-bit wrap; RTCP SRs. */

#define NPKT 160
#define ROOM 1300
enum { P_CM80, P_CM32, P_GCM128, P_GCM256, NPROF };
static const char *prof_name[NPROF] = {"AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32",
                                       "AEAD_AES_128_GCM", "AEAD_AES_256_GCM"};

static uint32_t rng = 0x9e3779b9;
static uint8_t rnd8(void) {
  rng ^= rng << 13;
  rng ^= rng >> 17;
  rng ^= rng << 5;
  return (uint8_t)rng;
}

static uint8_t plain_rtp[NPKT][ROOM], plain_rtcp[NPKT][ROOM];
static int plain_rtp_len[NPKT], plain_rtcp_len[NPKT];
static uint8_t nss_rtp[NPROF][NPKT][ROOM], nss_rtcp[NPROF][NPKT][ROOM];
static int nss_rtp_len[NPROF][NPKT], nss_rtcp_len[NPROF][NPKT];
static uint8_t master[NPROF][46];
static srtp_t nss_rx[NPROF];
static long nss_allocs_per_packet10; /* x10, measured before registration */

static void make_corpus(void) {
  for (int i = 0; i < NPKT; i++) {
    uint8_t *p = plain_rtp[i];
    int n = 0;
    int shape = i % 3; /* plain, 2 CSRCs, one-byte header extension (RFC 8285) */
    p[n++] = (uint8_t)(0x80 | (shape == 1 ? 2 : 0) | (shape == 2 ? 0x10 : 0));
    p[n++] = 96;
    uint16_t seq = (uint16_t)(65500 + i / 2); /* wraps past 65535 halfway */
    p[n++] = (uint8_t)(seq >> 8);
    p[n++] = (uint8_t)seq;
    for (int k = 0; k < 4; k++) p[n++] = rnd8(); /* timestamp */
    uint32_t ssrc = i % 2 ? 0x11223344 : 0xcafebabe;
    for (int k = 3; k >= 0; k--) p[n++] = (uint8_t)(ssrc >> (8 * k));
    if (shape == 1)
      for (int k = 0; k < 8; k++) p[n++] = rnd8();
    if (shape == 2) {
      static const uint8_t ext[8] = {0xbe, 0xde, 0x00, 0x01, 0x10, 0xaa, 0xbb, 0x00};
      memcpy(p + n, ext, sizeof ext);
      n += sizeof ext;
    }
    int payload = (i * 7919) % 1200;
    for (int k = 0; k < payload; k++) p[n++] = rnd8();
    plain_rtp_len[i] = n;

    uint8_t *r = plain_rtcp[i];
    int body = 20 + 4 * (i % 50); /* SR sender info and some report blocks' worth */
    r[0] = 0x80;
    r[1] = 200;
    r[2] = (uint8_t)(((8 + body) / 4 - 1) >> 8);
    r[3] = (uint8_t)((8 + body) / 4 - 1);
    for (int k = 0; k < 4; k++) r[4 + k] = (uint8_t)(ssrc >> (8 * (3 - k)));
    for (int k = 0; k < body; k++) r[8 + k] = rnd8();
    plain_rtcp_len[i] = 8 + body;
  }
  for (int p = 0; p < NPROF; p++)
    for (int k = 0; k < 46; k++) master[p][k] = rnd8();
}

static void set_policy(srtp_policy_t *pol, int prof, srtp_ssrc_type_t dir) {
  memset(pol, 0, sizeof *pol);
  switch (prof) {
  case P_CM80:
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol->rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol->rtcp);
    break;
  case P_CM32:
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&pol->rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol->rtcp);
    break;
  case P_GCM128:
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol->rtp);
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol->rtcp);
    break;
  default:
    srtp_crypto_policy_set_aes_gcm_256_16_auth(&pol->rtp);
    srtp_crypto_policy_set_aes_gcm_256_16_auth(&pol->rtcp);
    break;
  }
  pol->ssrc.type = dir;
  pol->key = master[prof];
  pol->window_size = 1024;
  pol->allow_repeat_tx = 1;
}

static srtp_t make_ctx(int prof, srtp_ssrc_type_t dir) {
  srtp_policy_t pol;
  set_policy(&pol, prof, dir);
  srtp_t ctx = NULL;
  if (srtp_create(&ctx, &pol) != srtp_err_status_ok) return NULL;
  return ctx;
}

/* Protects the corpus with tx into out[]; false on any error. */
static bool protect_all(srtp_t tx, uint8_t (*rtp)[ROOM], int *rtp_len, uint8_t (*rtcp)[ROOM],
                        int *rtcp_len) {
  for (int i = 0; i < NPKT; i++) {
    memcpy(rtp[i], plain_rtp[i], (size_t)plain_rtp_len[i]);
    rtp_len[i] = plain_rtp_len[i];
    if (srtp_protect(tx, rtp[i], &rtp_len[i]) != srtp_err_status_ok) return false;
    memcpy(rtcp[i], plain_rtcp[i], (size_t)plain_rtcp_len[i]);
    rtcp_len[i] = plain_rtcp_len[i];
    if (srtp_protect_rtcp(tx, rtcp[i], &rtcp_len[i]) != srtp_err_status_ok) return false;
  }
  return true;
}

/* Before our types exist: libsrtp on NSS protects the corpus; its receivers are kept. */
static bool nss_setup(void) {
  setenv("RTC_SRTP_NATIVE", "0", 1);
  if (rtc_srtp_init() != 0 || rtc__srtp_crypto_active()) return false;
  make_corpus();
  for (int p = 0; p < NPROF; p++) {
    srtp_t tx = make_ctx(p, ssrc_any_outbound);
    nss_rx[p] = make_ctx(p, ssrc_any_inbound);
    if (!tx || !nss_rx[p]) return false;
    long before = alloc_calls;
    if (!protect_all(tx, nss_rtp[p], nss_rtp_len[p], nss_rtcp[p], nss_rtcp_len[p])) return false;
    if (p == P_CM80) nss_allocs_per_packet10 = (alloc_calls - before) * 10 / (2 * NPKT);
    srtp_dealloc(tx);
  }
  return true;
}

static void test_registered(void) {
  CHECK_EQ_INT(rtc__srtp_crypto_register(), 0);
  CHECK(rtc__srtp_crypto_active());
}

/* Each type passes its own vectors (the ones libsrtp ran when it accepted it). */
static void test_rfc_vectors(void) {
  CHECK_EQ_INT(srtp_cipher_type_self_test(&rtc__srtp_aes_icm_128), srtp_err_status_ok);
  CHECK_EQ_INT(srtp_cipher_type_self_test(&rtc__srtp_aes_icm_256), srtp_err_status_ok);
  CHECK_EQ_INT(srtp_cipher_type_self_test(&rtc__srtp_aes_gcm_128), srtp_err_status_ok);
  CHECK_EQ_INT(srtp_cipher_type_self_test(&rtc__srtp_aes_gcm_256), srtp_err_status_ok);
  CHECK_EQ_INT(srtp_auth_type_self_test(&rtc__srtp_hmac_sha1), srtp_err_status_ok);
}

/* RFC 7714 §17.1: the SRTCP packet (SSRC 0x4d617273, index 0x5d4): IV = salt XOR
 * (00 00 SSRC 00 00 index), AAD = the 8-byte header then E || index (80 00 05 d4). */
static const uint8_t rtcp_key[28] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09,
                                     0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x51, 0x75, 0x69, 0x64,
                                     0x20, 0x70, 0x72, 0x6f, 0x20, 0x71, 0x75, 0x6f};
static uint8_t rtcp_iv[16] = {0x51, 0x75, 0x24, 0x05, 0x52, 0x03, 0x72, 0x6f, 0x20, 0x71, 0x70, 0xbb};
static const uint8_t rtcp_aad[12] = {0x81, 0xc8, 0x00, 0x0d, 0x4d, 0x61,
                                     0x72, 0x73, 0x80, 0x00, 0x05, 0xd4};
static const uint8_t rtcp_plain[44] = {
    0x4e, 0x54, 0x50, 0x31, 0x4e, 0x54, 0x50, 0x32, 0x52, 0x54, 0x50, 0x20, 0x00, 0x00, 0x04,
    0x2a, 0x00, 0x00, 0xe9, 0x30, 0x4c, 0x75, 0x6e, 0x61, 0xde, 0xad, 0xbe, 0xef, 0xde, 0xad,
    0xbe, 0xef, 0xde, 0xad, 0xbe, 0xef, 0xde, 0xad, 0xbe, 0xef, 0xde, 0xad, 0xbe, 0xef};
static uint8_t rtcp_cipher[60] = {
    0x63, 0xe9, 0x48, 0x85, 0xdc, 0xda, 0xb6, 0x7c, 0xa7, 0x27, 0xd7, 0x66, 0x2f, 0x6b, 0x7e,
    0x99, 0x7f, 0xf5, 0xc0, 0xf7, 0x6c, 0x06, 0xf3, 0x2d, 0xc6, 0x76, 0xa5, 0xf1, 0x73, 0x0d,
    0x6f, 0xda, 0x4c, 0xe0, 0x9b, 0x46, 0x86, 0x30, 0x3d, 0xed, 0x0b, 0xb9, 0x27, 0x5b, 0xc8,
    0x4a, 0xa4, 0x58, 0x96, 0xcf, 0x4d, 0x2f, 0xc5, 0xab, 0xf8, 0x72, 0x45, 0xd9, 0xea, 0xde};

static void test_rfc7714_srtcp_vector(void) {
  srtp_cipher_test_case_t tc = {
      .key_length_octets = 28,
      .key = rtcp_key,
      .idx = rtcp_iv,
      .plaintext_length_octets = 44,
      .plaintext = rtcp_plain,
      .ciphertext_length_octets = 60,
      .ciphertext = rtcp_cipher,
      .aad_length_octets = 12,
      .aad = rtcp_aad,
      .tag_length_octets = 16,
  };
  CHECK_EQ_INT(srtp_cipher_type_test(&rtc__srtp_aes_gcm_128, &tc), srtp_err_status_ok);
  /* One bit off in the tag: the same harness fails. */
  rtcp_cipher[59] ^= 1;
  CHECK(srtp_cipher_type_test(&rtc__srtp_aes_gcm_128, &tc) != srtp_err_status_ok);
  rtcp_cipher[59] ^= 1;
}

static uint8_t our_rtp[NPKT][ROOM], our_rtcp[NPKT][ROOM];
static int our_rtp_len[NPKT], our_rtcp_len[NPKT];

/* Same master key, same packets: the same bytes as libsrtp on NSS; NSS's receiver takes
 * ours, ours takes NSS's, and ours refuses a flipped bit. */
static void check_profile(int p) {
  srtp_t tx = make_ctx(p, ssrc_any_outbound), rx = make_ctx(p, ssrc_any_inbound);
  CHECK(tx && rx);
  if (!tx || !rx) goto out;
  CHECK(protect_all(tx, our_rtp, our_rtp_len, our_rtcp, our_rtcp_len));
  int rtp_same = 0, rtcp_same = 0, nss_took = 0, we_took = 0, refused = 0;
  for (int i = 0; i < NPKT; i++) {
    rtp_same += our_rtp_len[i] == nss_rtp_len[p][i] &&
                memcmp(our_rtp[i], nss_rtp[p][i], (size_t)our_rtp_len[i]) == 0;
    rtcp_same += our_rtcp_len[i] == nss_rtcp_len[p][i] &&
                 memcmp(our_rtcp[i], nss_rtcp[p][i], (size_t)our_rtcp_len[i]) == 0;
    uint8_t buf[ROOM];
    int n = our_rtp_len[i];
    memcpy(buf, our_rtp[i], (size_t)n);
    nss_took += srtp_unprotect(nss_rx[p], buf, &n) == srtp_err_status_ok &&
                n == plain_rtp_len[i] && memcmp(buf, plain_rtp[i], (size_t)n) == 0;
    n = our_rtcp_len[i];
    memcpy(buf, our_rtcp[i], (size_t)n);
    nss_took += srtp_unprotect_rtcp(nss_rx[p], buf, &n) == srtp_err_status_ok &&
                n == plain_rtcp_len[i] && memcmp(buf, plain_rtcp[i], (size_t)n) == 0;
    /* Ours on NSS's packets, each first with one bit flipped in the last byte. */
    n = nss_rtp_len[p][i];
    memcpy(buf, nss_rtp[p][i], (size_t)n);
    buf[n - 1] ^= 0x01;
    refused += srtp_unprotect(rx, buf, &n) == srtp_err_status_auth_fail;
    n = nss_rtp_len[p][i];
    memcpy(buf, nss_rtp[p][i], (size_t)n);
    we_took += srtp_unprotect(rx, buf, &n) == srtp_err_status_ok && n == plain_rtp_len[i] &&
               memcmp(buf, plain_rtp[i], (size_t)n) == 0;
    n = nss_rtcp_len[p][i];
    memcpy(buf, nss_rtcp[p][i], (size_t)n);
    buf[8] ^= 0x80; /* the first encrypted byte (GCM's SRTCP ends with the index) */
    refused += srtp_unprotect_rtcp(rx, buf, &n) == srtp_err_status_auth_fail;
    n = nss_rtcp_len[p][i];
    memcpy(buf, nss_rtcp[p][i], (size_t)n);
    we_took += srtp_unprotect_rtcp(rx, buf, &n) == srtp_err_status_ok &&
               n == plain_rtcp_len[i] && memcmp(buf, plain_rtcp[i], (size_t)n) == 0;
  }
  printf("  %s: %d/%d RTP and %d/%d RTCP identical to NSS's\n", prof_name[p], rtp_same, NPKT,
         rtcp_same, NPKT);
  CHECK_EQ_INT(rtp_same, NPKT);
  CHECK_EQ_INT(rtcp_same, NPKT);
  CHECK_EQ_INT(nss_took, 2 * NPKT);
  CHECK_EQ_INT(we_took, 2 * NPKT);
  CHECK_EQ_INT(refused, 2 * NPKT);
out:
  if (tx) srtp_dealloc(tx);
  if (rx) srtp_dealloc(rx);
}

static void test_same_bytes_cm80(void) { check_profile(P_CM80); }
static void test_same_bytes_cm32(void) { check_profile(P_CM32); }
static void test_same_bytes_gcm128(void) { check_profile(P_GCM128); }
static void test_same_bytes_gcm256(void) { check_profile(P_GCM256); }

/* Through luartc's own API: after the first packet of an SSRC (libsrtp clones its
 * stream then), protect + unprotect of RTP and RTCP allocate nothing. */
static void check_no_alloc(uint16_t profile) {
  size_t key_len = 0, salt_len = 0;
  CHECK_EQ_INT(rtc_srtp_profile_lengths(profile, &key_len, &salt_len), 0);
  rtc_srtp_config_t cfg = {.profile = profile,
                           .client_key = master[0],
                           .server_key = master[1],
                           .client_salt = master[2],
                           .server_salt = master[3],
                           .key_len = key_len,
                           .salt_len = salt_len};
  rtc_srtp_t *c = NULL, *s = NULL;
  cfg.is_client = true;
  CHECK_EQ_INT(rtc_srtp_create(&cfg, &c), 0);
  cfg.is_client = false;
  CHECK_EQ_INT(rtc_srtp_create(&cfg, &s), 0);
  if (!c || !s) goto out;
  long counted = 0, packets = 0;
  int bad = 0;
  for (int round = 0; round < 2; round++) {
    long before = alloc_calls;
    for (int i = 0; i < NPKT; i++) {
      uint8_t buf[ROOM + 64];
      size_t n = 0, m = 0;
      memcpy(buf, plain_rtp[i], (size_t)plain_rtp_len[i]);
      int seq = round * NPKT + i; /* a fresh index each round: no replay */
      buf[2] = (uint8_t)(seq >> 8);
      buf[3] = (uint8_t)seq;
      bad += rtc_srtp_protect_rtp(c, buf, (size_t)plain_rtp_len[i], sizeof buf, &n) != 0;
      bad += rtc_srtp_unprotect_rtp(s, buf, n, &m) != 0;
      memcpy(buf, plain_rtcp[i], (size_t)plain_rtcp_len[i]);
      bad += rtc_srtp_protect_rtcp(c, buf, (size_t)plain_rtcp_len[i], sizeof buf, &n) != 0;
      bad += rtc_srtp_unprotect_rtcp(s, buf, n, &m) != 0;
    }
    if (round == 1) { /* round 0 met both SSRCs for the first time */
      counted = alloc_calls - before;
      packets = 2 * NPKT;
    }
  }
  CHECK_EQ_INT(bad, 0);
  printf("  %s: %ld allocations for %ld protect+unprotect (libsrtp on NSS: %ld.%ld per protect)\n",
         rtc_srtp_profile_name(profile), counted, packets, nss_allocs_per_packet10 / 10,
         nss_allocs_per_packet10 % 10);
  CHECK_EQ_INT(counted, 0);
out:
  rtc_srtp_destroy(c);
  rtc_srtp_destroy(s);
}

static void test_no_allocation_per_packet(void) {
  if (!ALLOC_COUNTED) {
    printf("  (not counted under ASan)\n");
    return;
  }
  /* The counter sees allocations inside the shared libraries: NSS's, per packet. */
  CHECK(nss_allocs_per_packet10 >= 10);
  check_no_alloc(RTC_SRTP_AES128_CM_SHA1_80);
  check_no_alloc(RTC_SRTP_AES128_CM_SHA1_32);
  check_no_alloc(RTC_SRTP_AEAD_AES_128_GCM);
  check_no_alloc(RTC_SRTP_AEAD_AES_256_GCM);
}

int main(void) {
  if (!nss_setup()) {
    printf("  libsrtp on NSS could not protect the corpus\n");
    printf("RESULT passed=0 failed=1\n");
    return 1;
  }
  RUN_TEST(test_registered);
  RUN_TEST(test_rfc_vectors);
  RUN_TEST(test_rfc7714_srtcp_vector);
  RUN_TEST(test_same_bytes_cm80);
  RUN_TEST(test_same_bytes_cm32);
  RUN_TEST(test_same_bytes_gcm128);
  RUN_TEST(test_same_bytes_gcm256);
  RUN_TEST(test_no_allocation_per_packet);
  for (int p = 0; p < NPROF; p++) srtp_dealloc(nss_rx[p]);
  TEST_MAIN_END();
}
