/* The DTLS handshake's elliptic-curve point multiplications on libcrypto.
 *
 * mbedTLS 2.28 stays the TLS stack, but its generic-bignum P-256 and X25519 were
 * ~80% of a connection's setup CPU (bench/PROFILE.md): ~0.5-1.5 ms per operation
 * against ~20-80 us for libcrypto's (OpenSSL 3, already linked for AES-GCM).
 * Every ECDH and ECDSA operation of mbedTLS reaches the curve through two exported
 * functions of its ecp.c, mbedtls_ecp_mul_restartable and
 * mbedtls_ecp_muladd_restartable, called through libmbedcrypto's PLT (Debian builds
 * it without -Bsymbolic or hidden visibility). rtc_dtls_ecp.c defines both: the
 * dynamic linker binds libmbedcrypto's calls to ours (the luartc runner and the unit
 * tests export them, and rtc.so precedes libmbedcrypto in its own lookup scope when
 * Lua loads it). P-256 and X25519 go to libcrypto; anything else (other curves,
 * restartable contexts, inputs our path does not cover) to the library's own code,
 * found with dlsym(RTLD_NEXT). mbedTLS's argument checks run first, so the
 * results and error codes are mbedTLS's.
 *
 * Secret scalars: libcrypto's P-256 (nistz256) and X25519 are constant-time. */
#ifndef RTC_DTLS_ECP_H
#define RTC_DTLS_ECP_H
#include <stdbool.h>
#include <stdint.h>

typedef struct rtc__dtls_ecp_stats {
  uint64_t fast;     /* operations done by libcrypto */
  uint64_t fallback; /* operations handed to mbedTLS's own code */
} rtc__dtls_ecp_stats_t;

/* true if libmbedcrypto's calls reach this file (false when something bound them
 * before us, e.g. another module loaded libmbedcrypto first with RTLD_GLOBAL off
 * and BIND_NOW: then everything still works, at mbedTLS's speed). Cheap: it runs
 * one P-256 multiplication through mbedtls_ecp_mul the first time. */
bool rtc__dtls_ecp_active(void);
void rtc__dtls_ecp_get_stats(rtc__dtls_ecp_stats_t *out);
/* Tests: false sends every operation to mbedTLS's own code (to compare results). */
void rtc__dtls_ecp_set_enabled(bool on);

#endif
