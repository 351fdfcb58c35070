/* P-256 and X25519 point multiplications for mbedTLS on libcrypto (see
 * rtc_dtls_ecp.h for how and why). The two mbedtls_* functions defined here are the
 * project's only non-rtc_ external names, on purpose: they replace mbedTLS's own for
 * the whole process, with the same contract. */
#define _GNU_SOURCE
#include "dtls/rtc_dtls_ecp.h"

#include <dlfcn.h>
#include <string.h>

#include <mbedtls/ecp.h>
#include <mbedtls/platform_util.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>

typedef int (*ecp_mul_fn)(mbedtls_ecp_group *, mbedtls_ecp_point *, const mbedtls_mpi *,
                          const mbedtls_ecp_point *, int (*)(void *, unsigned char *, size_t),
                          void *, mbedtls_ecp_restart_ctx *);
typedef int (*ecp_muladd_fn)(mbedtls_ecp_group *, mbedtls_ecp_point *, const mbedtls_mpi *,
                             const mbedtls_ecp_point *, const mbedtls_mpi *,
                             const mbedtls_ecp_point *, mbedtls_ecp_restart_ctx *);

/* No threads in the core: process-wide state without locks. */
static ecp_mul_fn ecp_real_mul;
static ecp_muladd_fn ecp_real_muladd;
static EC_GROUP *ecp_p256; /* libcrypto's P-256 (nistz256 on x86-64), made once */
static BN_CTX *ecp_bn;
static bool ecp_disabled;
static int ecp_p256_state; /* 0 not tried, 1 ready, -1 unavailable */
static rtc__dtls_ecp_stats_t ecp_stats;

static bool ecp_resolve(void) {
  if (!ecp_real_mul) ecp_real_mul = (ecp_mul_fn)dlsym(RTLD_NEXT, "mbedtls_ecp_mul_restartable");
  if (!ecp_real_muladd)
    ecp_real_muladd = (ecp_muladd_fn)dlsym(RTLD_NEXT, "mbedtls_ecp_muladd_restartable");
  return ecp_real_mul && ecp_real_muladd;
}

static bool ecp_p256_ready(void) {
  if (ecp_p256_state == 0) {
    ecp_p256 = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
    ecp_bn = BN_CTX_secure_new();
    ecp_p256_state = ecp_p256 && ecp_bn ? 1 : -1;
  }
  return ecp_p256_state == 1;
}

/* ---- P-256 ---------------------------------------------------------------------- */

/* mbedTLS point (affine, Z = 1) -> libcrypto point, through the uncompressed
 * encoding; libcrypto checks that it is on the curve. */
static EC_POINT *ecp_p256_point_in(const mbedtls_ecp_group *grp, const mbedtls_ecp_point *P) {
  uint8_t buf[65];
  size_t n = 0;
  if (mbedtls_mpi_cmp_int(&P->Z, 1) != 0) return NULL; /* infinity or not normalized */
  if (mbedtls_ecp_point_write_binary(grp, P, MBEDTLS_ECP_PF_UNCOMPRESSED, &n, buf, sizeof buf) !=
      0)
    return NULL;
  EC_POINT *q = EC_POINT_new(ecp_p256);
  if (q && EC_POINT_oct2point(ecp_p256, q, buf, n, ecp_bn) != 1) {
    EC_POINT_free(q);
    q = NULL;
  }
  return q;
}

static int ecp_p256_point_out(const mbedtls_ecp_group *grp, const EC_POINT *r,
                              mbedtls_ecp_point *R) {
  uint8_t buf[65];
  size_t n = EC_POINT_point2oct(ecp_p256, r, POINT_CONVERSION_UNCOMPRESSED, buf, sizeof buf,
                                ecp_bn);
  /* The point at infinity encodes as one zero byte, which mbedTLS reads as such. */
  if (n == 0) return -1;
  return mbedtls_ecp_point_read_binary(grp, R, buf, n) == 0 ? 0 : -1;
}

/* A non-negative scalar of at most 32 bytes as a BIGNUM; flagged constant-time
 * (it may be a private key or an ECDSA nonce). */
static BIGNUM *ecp_p256_scalar(const mbedtls_mpi *m) {
  uint8_t buf[32];
  if (m->s < 0 || mbedtls_mpi_size(m) > sizeof buf) return NULL;
  if (mbedtls_mpi_write_binary(m, buf, sizeof buf) != 0) return NULL;
  BIGNUM *b = BN_secure_new();
  if (b && !BN_bin2bn(buf, sizeof buf, b)) {
    BN_free(b);
    b = NULL;
  }
  if (b) BN_set_flags(b, BN_FLG_CONSTTIME);
  mbedtls_platform_zeroize(buf, sizeof buf);
  return b;
}

static bool ecp_is_generator(const mbedtls_ecp_group *grp, const mbedtls_ecp_point *P) {
  return mbedtls_ecp_point_cmp(P, &grp->G) == 0;
}

/* R = m*P + n*Q with m, P optional (then R = n*Q) and P the generator: 0 or -1
 * (not done: the caller falls back to mbedTLS). */
static int ecp_p256_mul(const mbedtls_ecp_group *grp, mbedtls_ecp_point *R, const mbedtls_mpi *m,
                        const mbedtls_mpi *n, const mbedtls_ecp_point *Q) {
  int ret = -1;
  BIGNUM *bm = NULL, *bn = NULL;
  EC_POINT *q = NULL, *r = EC_POINT_new(ecp_p256);
  if (!r) goto done;
  if (m && !(bm = ecp_p256_scalar(m))) goto done;
  if (Q && (!(bn = ecp_p256_scalar(n)) || !(q = ecp_p256_point_in(grp, Q)))) goto done;
  if (EC_POINT_mul(ecp_p256, r, bm, q, bn, ecp_bn) != 1) goto done;
  ret = ecp_p256_point_out(grp, r, R);
done:
  BN_clear_free(bm);
  BN_clear_free(bn);
  EC_POINT_free(q);
  EC_POINT_clear_free(r);
  return ret;
}

/* ---- X25519 (RFC 7748) -------------------------------------------------------------- */

/* R.X = X25519(m, P.X). mbedTLS's checks before this one made m a clamped scalar
 * (bits 0-2 clear, bit 254 the highest set) and P.X at most 32 bytes; a u with bit
 * 255 set is left to mbedTLS (RFC 7748 masks it, mbedTLS would not). */
static int ecp_x25519_mul(const mbedtls_ecp_group *grp, mbedtls_ecp_point *R,
                          const mbedtls_mpi *m, const mbedtls_ecp_point *P) {
  uint8_t k[32], u[32], out[32];
  size_t out_len = sizeof out;
  int ret = -1;
  EVP_PKEY *priv = NULL, *peer = NULL;
  EVP_PKEY_CTX *ctx = NULL;
  bool base = mbedtls_mpi_cmp_mpi(&P->X, &grp->G.X) == 0;
  if (mbedtls_mpi_write_binary_le(m, k, sizeof k) != 0 ||
      mbedtls_mpi_write_binary_le(&P->X, u, sizeof u) != 0 || (u[31] & 0x80))
    goto done;
  priv = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, k, sizeof k);
  if (!priv) goto done;
  if (base) { /* key generation: the public key is X25519(k, 9) */
    if (EVP_PKEY_get_raw_public_key(priv, out, &out_len) != 1) goto done;
  } else {
    peer = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, u, sizeof u);
    ctx = peer ? EVP_PKEY_CTX_new(priv, NULL) : NULL;
    /* Fails on an all-zero result (a low-order u): mbedTLS then decides. */
    if (!ctx || EVP_PKEY_derive_init(ctx) != 1 || EVP_PKEY_derive_set_peer(ctx, peer) != 1 ||
        EVP_PKEY_derive(ctx, out, &out_len) != 1 || out_len != sizeof out)
      goto done;
  }
  if (mbedtls_mpi_read_binary_le(&R->X, out, sizeof out) != 0 || mbedtls_mpi_lset(&R->Z, 1) != 0)
    goto done;
  mbedtls_mpi_free(&R->Y); /* as mbedTLS leaves it: Montgomery points have no Y */
  ret = 0;
done:
  EVP_PKEY_CTX_free(ctx);
  EVP_PKEY_free(peer);
  EVP_PKEY_free(priv);
  mbedtls_platform_zeroize(k, sizeof k);
  mbedtls_platform_zeroize(out, sizeof out);
  return ret;
}

/* ---- the two functions libmbedcrypto calls ---------------------------------------- */

int mbedtls_ecp_mul_restartable(mbedtls_ecp_group *grp, mbedtls_ecp_point *R,
                                const mbedtls_mpi *m, const mbedtls_ecp_point *P,
                                int (*f_rng)(void *, unsigned char *, size_t), void *p_rng,
                                mbedtls_ecp_restart_ctx *rs_ctx) {
  if (!ecp_resolve()) return MBEDTLS_ERR_ECP_FEATURE_UNAVAILABLE;
  if (!ecp_disabled && grp && R && m && P && !rs_ctx &&
      (grp->id == MBEDTLS_ECP_DP_SECP256R1 || grp->id == MBEDTLS_ECP_DP_CURVE25519)) {
    /* mbedTLS's own checks first: same errors for bad keys and points. */
    int ret = mbedtls_ecp_check_privkey(grp, m);
    if (ret == 0) ret = mbedtls_ecp_check_pubkey(grp, P);
    if (ret != 0) return ret;
    int r = -1;
    if (grp->id == MBEDTLS_ECP_DP_CURVE25519)
      r = ecp_x25519_mul(grp, R, m, P);
    else if (ecp_p256_ready())
      r = ecp_is_generator(grp, P) ? ecp_p256_mul(grp, R, m, NULL, NULL)
                                   : ecp_p256_mul(grp, R, NULL, m, P);
    if (r == 0) {
      ecp_stats.fast++;
      return 0;
    }
  }
  ecp_stats.fallback++;
  return ecp_real_mul(grp, R, m, P, f_rng, p_rng, rs_ctx);
}

/* ECDSA verification: R = m*G + n*Q. Other P than the generator go to mbedTLS. */
int mbedtls_ecp_muladd_restartable(mbedtls_ecp_group *grp, mbedtls_ecp_point *R,
                                   const mbedtls_mpi *m, const mbedtls_ecp_point *P,
                                   const mbedtls_mpi *n, const mbedtls_ecp_point *Q,
                                   mbedtls_ecp_restart_ctx *rs_ctx) {
  if (!ecp_resolve()) return MBEDTLS_ERR_ECP_FEATURE_UNAVAILABLE;
  if (!ecp_disabled && grp && R && m && P && n && Q && !rs_ctx &&
      grp->id == MBEDTLS_ECP_DP_SECP256R1 && ecp_is_generator(grp, P) && ecp_p256_ready() &&
      ecp_p256_mul(grp, R, m, n, Q) == 0) {
    ecp_stats.fast++;
    return 0;
  }
  ecp_stats.fallback++;
  return ecp_real_muladd(grp, R, m, P, n, Q, rs_ctx);
}

/* ---- state --------------------------------------------------------------------------- */

bool rtc__dtls_ecp_active(void) {
  static int active = -1;
  if (ecp_disabled) return false;
  if (active < 0) {
    /* Through libmbedcrypto's exported entry point: only a bound PLT reaches us. */
    mbedtls_ecp_group grp;
    mbedtls_ecp_point R;
    mbedtls_mpi m;
    mbedtls_ecp_group_init(&grp);
    mbedtls_ecp_point_init(&R);
    mbedtls_mpi_init(&m);
    uint64_t before = ecp_stats.fast;
    active = mbedtls_ecp_group_load(&grp, MBEDTLS_ECP_DP_SECP256R1) == 0 &&
             mbedtls_mpi_lset(&m, 2) == 0 &&
             mbedtls_ecp_mul(&grp, &R, &m, &grp.G, NULL, NULL) == 0 && ecp_stats.fast > before;
    mbedtls_mpi_free(&m);
    mbedtls_ecp_point_free(&R);
    mbedtls_ecp_group_free(&grp);
  }
  return active == 1;
}

void rtc__dtls_ecp_get_stats(rtc__dtls_ecp_stats_t *out) {
  if (out) *out = ecp_stats;
}

void rtc__dtls_ecp_set_enabled(bool on) { ecp_disabled = !on; }
