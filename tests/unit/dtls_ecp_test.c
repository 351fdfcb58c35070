/* rtc_dtls_ecp: mbedTLS's point multiplications on libcrypto. Every result is
 * compared with mbedTLS's own code (the path switched off), X25519 against RFC 7748
 * section 6.1's vector, and the path is shown to be the one libmbedcrypto calls
 * (the counters move when mbedTLS's public ECDH/ECDSA functions run). */
#include <mbedtls/ecdh.h>
#include <mbedtls/ecdsa.h>
#include <stdlib.h>

#include "dtls/rtc_dtls_ecp.h"
#include "dtls/rtc_dtls_internal.h"
#include "rtc_test.h"

static void hex(const char *s, uint8_t *out) {
  for (size_t i = 0; s[2 * i]; i++) {
    unsigned v;
    sscanf(s + 2 * i, "%2x", &v);
    out[i] = (uint8_t)v;
  }
}

static uint64_t fast_ops(void) {
  rtc__dtls_ecp_stats_t st;
  rtc__dtls_ecp_get_stats(&st);
  return st.fast;
}

static void test_active(void) {
  /* The unit tests link librtc.a like the runner: libmbedcrypto's calls reach us. */
  CHECK(rtc__dtls_ecp_active());
}

/* R = m*P with the fast path, then with mbedTLS's own: the same point. */
static void check_mul_both(mbedtls_ecp_group *grp, const mbedtls_mpi *m,
                           const mbedtls_ecp_point *P) {
  mbedtls_ecp_point r1, r2;
  mbedtls_ecp_point_init(&r1);
  mbedtls_ecp_point_init(&r2);
  uint64_t before = fast_ops();
  CHECK_EQ_INT(mbedtls_ecp_mul(grp, &r1, m, P, mbedtls_ctr_drbg_random, rtc__dtls_drbg()), 0);
  CHECK(fast_ops() == before + 1);
  rtc__dtls_ecp_set_enabled(false);
  CHECK_EQ_INT(mbedtls_ecp_mul(grp, &r2, m, P, mbedtls_ctr_drbg_random, rtc__dtls_drbg()), 0);
  rtc__dtls_ecp_set_enabled(true);
  CHECK(fast_ops() == before + 1);
  CHECK_EQ_INT(mbedtls_mpi_cmp_mpi(&r1.X, &r2.X), 0);
  if (grp->id == MBEDTLS_ECP_DP_SECP256R1) CHECK_EQ_INT(mbedtls_ecp_point_cmp(&r1, &r2), 0);
  mbedtls_ecp_point_free(&r1);
  mbedtls_ecp_point_free(&r2);
}

static void test_p256_mul_matches_mbedtls(void) {
  mbedtls_ecp_group grp;
  mbedtls_ecp_keypair k;
  mbedtls_ecp_group_init(&grp);
  mbedtls_ecp_keypair_init(&k);
  CHECK_EQ_INT(mbedtls_ecp_group_load(&grp, MBEDTLS_ECP_DP_SECP256R1), 0);
  for (int i = 0; i < 8; i++) {
    /* a random key: m*G (key generation, signing), then m*Q for another point */
    CHECK_EQ_INT(
        mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, &k, mbedtls_ctr_drbg_random, rtc__dtls_drbg()),
        0);
    check_mul_both(&grp, &k.d, &grp.G);
    check_mul_both(&grp, &k.d, &k.Q);
  }
  /* edge scalars: 1 and n-1 (n-1 times G is -G) */
  mbedtls_mpi m;
  mbedtls_mpi_init(&m);
  CHECK_EQ_INT(mbedtls_mpi_lset(&m, 1), 0);
  check_mul_both(&grp, &m, &grp.G);
  check_mul_both(&grp, &m, &k.Q);
  CHECK_EQ_INT(mbedtls_mpi_sub_int(&m, &grp.N, 1), 0);
  check_mul_both(&grp, &m, &grp.G);
  check_mul_both(&grp, &m, &k.Q);
  /* invalid inputs give mbedTLS's errors: scalar 0 or >= n, a point off the curve */
  mbedtls_ecp_point r, bad;
  mbedtls_ecp_point_init(&r);
  mbedtls_ecp_point_init(&bad);
  CHECK_EQ_INT(mbedtls_mpi_lset(&m, 0), 0);
  CHECK_EQ_INT(mbedtls_ecp_mul(&grp, &r, &m, &grp.G, NULL, NULL), MBEDTLS_ERR_ECP_INVALID_KEY);
  CHECK_EQ_INT(mbedtls_ecp_mul(&grp, &r, &grp.N, &grp.G, NULL, NULL), MBEDTLS_ERR_ECP_INVALID_KEY);
  CHECK_EQ_INT(mbedtls_ecp_copy(&bad, &k.Q), 0);
  CHECK_EQ_INT(mbedtls_mpi_add_int(&bad.Y, &bad.Y, 1), 0);
  CHECK_EQ_INT(mbedtls_ecp_mul(&grp, &r, &k.d, &bad, NULL, NULL), MBEDTLS_ERR_ECP_INVALID_KEY);
  mbedtls_ecp_point_free(&r);
  mbedtls_ecp_point_free(&bad);
  mbedtls_mpi_free(&m);
  mbedtls_ecp_keypair_free(&k);
  mbedtls_ecp_group_free(&grp);
}

/* muladd (ECDSA verification): m*G + n*Q, including a sum at infinity. */
static void test_p256_muladd_matches_mbedtls(void) {
  mbedtls_ecp_group grp;
  mbedtls_ecp_keypair k;
  mbedtls_mpi m, n;
  mbedtls_ecp_point r1, r2;
  mbedtls_ecp_group_init(&grp);
  mbedtls_ecp_keypair_init(&k);
  mbedtls_mpi_init(&m);
  mbedtls_mpi_init(&n);
  mbedtls_ecp_point_init(&r1);
  mbedtls_ecp_point_init(&r2);
  CHECK_EQ_INT(mbedtls_ecp_group_load(&grp, MBEDTLS_ECP_DP_SECP256R1), 0);
  for (int i = 0; i < 6; i++) {
    CHECK_EQ_INT(
        mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, &k, mbedtls_ctr_drbg_random, rtc__dtls_drbg()),
        0);
    CHECK_EQ_INT(mbedtls_mpi_lset(&m, 12345 + i), 0);
    CHECK_EQ_INT(mbedtls_mpi_copy(&n, &k.d), 0);
    if (i == 5) { /* Q = d*G, m = n - d, n = 1: m*G + Q = infinity */
      CHECK_EQ_INT(mbedtls_mpi_sub_mpi(&m, &grp.N, &k.d), 0);
      CHECK_EQ_INT(mbedtls_mpi_lset(&n, 1), 0);
    }
    uint64_t before = fast_ops();
    CHECK_EQ_INT(mbedtls_ecp_muladd(&grp, &r1, &m, &grp.G, &n, &k.Q), 0);
    CHECK(fast_ops() == before + 1);
    rtc__dtls_ecp_set_enabled(false);
    CHECK_EQ_INT(mbedtls_ecp_muladd(&grp, &r2, &m, &grp.G, &n, &k.Q), 0);
    rtc__dtls_ecp_set_enabled(true);
    CHECK_EQ_INT(mbedtls_ecp_point_cmp(&r1, &r2), 0);
    if (i == 5) CHECK(mbedtls_ecp_is_zero(&r1));
  }
  mbedtls_ecp_point_free(&r1);
  mbedtls_ecp_point_free(&r2);
  mbedtls_mpi_free(&m);
  mbedtls_mpi_free(&n);
  mbedtls_ecp_keypair_free(&k);
  mbedtls_ecp_group_free(&grp);
}

/* RFC 7748 section 6.1: Alice's and Bob's keys and their shared secret. */
static void test_x25519_rfc7748(void) {
  uint8_t a_priv[32], a_pub[32], b_pub[32], shared[32], out[32];
  hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", a_priv);
  hex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a", a_pub);
  hex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f", b_pub);
  hex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742", shared);
  mbedtls_ecp_keypair k;
  mbedtls_ecp_point q, r;
  mbedtls_ecp_keypair_init(&k);
  mbedtls_ecp_point_init(&q);
  mbedtls_ecp_point_init(&r);
  CHECK_EQ_INT(mbedtls_ecp_read_key(MBEDTLS_ECP_DP_CURVE25519, &k, a_priv, 32), 0);
  uint64_t before = fast_ops();
  CHECK_EQ_INT(mbedtls_ecp_mul(&k.grp, &r, &k.d, &k.grp.G, NULL, NULL), 0);
  CHECK(fast_ops() == before + 1);
  CHECK_EQ_INT(mbedtls_mpi_write_binary_le(&r.X, out, 32), 0);
  CHECK(memcmp(out, a_pub, 32) == 0);
  CHECK_EQ_INT(mbedtls_ecp_point_read_binary(&k.grp, &q, b_pub, 32), 0);
  CHECK_EQ_INT(mbedtls_ecp_mul(&k.grp, &r, &k.d, &q, NULL, NULL), 0);
  CHECK(fast_ops() == before + 2);
  CHECK_EQ_INT(mbedtls_mpi_write_binary_le(&r.X, out, 32), 0);
  CHECK(memcmp(out, shared, 32) == 0);
  /* and mbedTLS's own code agrees */
  check_mul_both(&k.grp, &k.d, &q);
  mbedtls_ecp_point_free(&q);
  mbedtls_ecp_point_free(&r);
  mbedtls_ecp_keypair_free(&k);
}

/* The public ECDH and ECDSA functions, as the handshake uses them, on both curves:
 * both sides agree, signatures made by one path verify with the other, a
 * tampered hash fails. */
static void test_ecdh_ecdsa_through_mbedtls(void) {
  const mbedtls_ecp_group_id curves[] = {MBEDTLS_ECP_DP_SECP256R1, MBEDTLS_ECP_DP_CURVE25519};
  for (size_t c = 0; c < 2; c++) {
    mbedtls_ecdh_context a, b;
    uint8_t buf[100], s1[32], s2[32];
    size_t ol = 0, l1 = 0, l2 = 0;
    mbedtls_ecdh_init(&a);
    mbedtls_ecdh_init(&b);
    CHECK_EQ_INT(mbedtls_ecdh_setup(&a, curves[c]), 0);
    CHECK_EQ_INT(mbedtls_ecdh_setup(&b, curves[c]), 0);
    uint64_t before = fast_ops();
    CHECK_EQ_INT(mbedtls_ecdh_make_public(&a, &ol, buf, sizeof buf, mbedtls_ctr_drbg_random,
                                          rtc__dtls_drbg()),
                 0);
    CHECK_EQ_INT(mbedtls_ecdh_read_public(&b, buf, ol), 0);
    rtc__dtls_ecp_set_enabled(false); /* b's key and secret on mbedTLS's own code */
    CHECK_EQ_INT(mbedtls_ecdh_make_public(&b, &ol, buf, sizeof buf, mbedtls_ctr_drbg_random,
                                          rtc__dtls_drbg()),
                 0);
    CHECK_EQ_INT(mbedtls_ecdh_calc_secret(&b, &l2, s2, sizeof s2, mbedtls_ctr_drbg_random,
                                          rtc__dtls_drbg()),
                 0);
    rtc__dtls_ecp_set_enabled(true);
    CHECK_EQ_INT(mbedtls_ecdh_read_public(&a, buf, ol), 0);
    CHECK_EQ_INT(mbedtls_ecdh_calc_secret(&a, &l1, s1, sizeof s1, mbedtls_ctr_drbg_random,
                                          rtc__dtls_drbg()),
                 0);
    CHECK(fast_ops() == before + 2);
    CHECK(l1 == 32 && l1 == l2 && memcmp(s1, s2, l1) == 0);
    mbedtls_ecdh_free(&a);
    mbedtls_ecdh_free(&b);
  }

  mbedtls_ecdsa_context k;
  mbedtls_ecdsa_init(&k);
  CHECK_EQ_INT(mbedtls_ecdsa_genkey(&k, MBEDTLS_ECP_DP_SECP256R1, mbedtls_ctr_drbg_random,
                                    rtc__dtls_drbg()),
               0);
  uint8_t h[32], sig[MBEDTLS_ECDSA_MAX_LEN];
  size_t sl = 0;
  for (int i = 0; i < 32; i++)
    h[i] = (uint8_t)(i * 7);
  for (int fast_sign = 0; fast_sign < 2; fast_sign++) {
    rtc__dtls_ecp_set_enabled(fast_sign);
    CHECK_EQ_INT(mbedtls_ecdsa_write_signature(&k, MBEDTLS_MD_SHA256, h, 32, sig, &sl,
                                               mbedtls_ctr_drbg_random, rtc__dtls_drbg()),
                 0);
    rtc__dtls_ecp_set_enabled(!fast_sign);
    CHECK_EQ_INT(mbedtls_ecdsa_read_signature(&k, h, 32, sig, sl), 0);
    h[0] ^= 1;
    CHECK_EQ_INT(mbedtls_ecdsa_read_signature(&k, h, 32, sig, sl), MBEDTLS_ERR_ECP_VERIFY_FAILED);
    h[0] ^= 1;
  }
  rtc__dtls_ecp_set_enabled(true);
  mbedtls_ecdsa_free(&k);
}

/* Curves the path does not cover still work, through mbedTLS's own code. */
static void test_other_curve_falls_back(void) {
  mbedtls_ecdsa_context k;
  mbedtls_ecdsa_init(&k);
  rtc__dtls_ecp_stats_t st0, st1;
  rtc__dtls_ecp_get_stats(&st0);
  CHECK_EQ_INT(mbedtls_ecdsa_genkey(&k, MBEDTLS_ECP_DP_SECP384R1, mbedtls_ctr_drbg_random,
                                    rtc__dtls_drbg()),
               0);
  rtc__dtls_ecp_get_stats(&st1);
  CHECK(st1.fast == st0.fast);
  CHECK(st1.fallback == st0.fallback + 1);
  CHECK_EQ_INT(mbedtls_ecp_check_pub_priv(&k, &k), 0);
  mbedtls_ecdsa_free(&k);
}

int main(void) {
  RUN_TEST(test_active);
  RUN_TEST(test_p256_mul_matches_mbedtls);
  RUN_TEST(test_p256_muladd_matches_mbedtls);
  RUN_TEST(test_x25519_rfc7748);
  RUN_TEST(test_ecdh_ecdsa_through_mbedtls);
  RUN_TEST(test_other_curve_falls_back);
  TEST_MAIN_END();
}
