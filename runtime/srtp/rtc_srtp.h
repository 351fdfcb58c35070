/* SRTP/SRTCP sessions (RFC 3711, RFC 7714 for GCM) over libsrtp2, keyed from the
 * DTLS-SRTP exported keying material (RFC 5764 §4.2). Pure functions, no I/O, no
 * clock: protect/unprotect work in place on the caller's buffer.
 *
 * One rtc_srtp_t is one direction pair for one DTLS transport: an outbound context
 * keyed with OUR write key (client_write_* if we are the DTLS client) and an inbound
 * context keyed with the PEER's write key. Both use libsrtp's wildcard SSRC
 * templates (ssrc_any_outbound / ssrc_any_inbound): a new SSRC (a new track, RTX,
 * a simulcast layer) needs no call; libsrtp clones the template on first use (for
 * inbound only after that packet authenticated, so forged SSRCs do not grow it).
 *
 * Replay: a 1024-packet window by default (NACK/RTX answers arrive up to ~1 s
 * late); allow_repeat_tx is on by default so that a retransmission with the same
 * sequence number and the same payload protects again (libsrtp otherwise refuses a
 * second protect of one index).
 *
 * Profiles: what DTLS can negotiate here is decided by mbedTLS 2.28, which knows only
 * the AES_CM profiles (it has no GCM profile ids), so in practice
 * RTC_SRTP_AES128_CM_SHA1_80 (and _32). The GCM profiles (RFC 7714) work in this
 * module (Debian 12's libsrtp2 2.5.0 has GCM: the unit test checks libsrtp's GCM
 * vector) for a future DTLS stack or other keying, but DTLS will not produce them
 * today. A libsrtp2 built without GCM makes create return RTC_ENOTSUP for them
 * (rtc_srtp_profile_supported tells in advance).
 *
 * Crypto: rtc_srtp_init replaces libsrtp's AES and HMAC-SHA1 (NSS in Debian's build,
 * which allocates on every packet) with ours on libcrypto (rtc_srtp_crypto.h);
 * environment RTC_SRTP_NATIVE=0 keeps libsrtp's own.
 *
 * Never logs keys. Not thread-safe (nothing here is). */
#ifndef RTC_SRTP_H
#define RTC_SRTP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* IANA "DTLS-SRTP Protection Profiles" ids (RFC 5764 §4.1.2, RFC 7714 §14.2),
 * the same numbers rtc_dtls_srtp_keys_t.profile carries. */
typedef enum rtc_srtp_profile {
  RTC_SRTP_AES128_CM_SHA1_80 = 0x0001,
  RTC_SRTP_AES128_CM_SHA1_32 = 0x0002,
  RTC_SRTP_AEAD_AES_128_GCM = 0x0007,
  RTC_SRTP_AEAD_AES_256_GCM = 0x0008,
} rtc_srtp_profile_t;

/* The most any profile appends: GCM's 16-byte tag plus the 4-byte SRTCP index.
 * A buffer with len + RTC_SRTP_MAX_TRAILER bytes of room fits every profile. */
#define RTC_SRTP_MAX_TRAILER 20
#define RTC_SRTP_DEFAULT_REPLAY_WINDOW 1024

typedef struct rtc_srtp rtc_srtp_t;

/* Keying material split as RFC 5764 §4.2 lays it out, plus our DTLS role. Pointers
 * are borrowed for the create call only (the session keeps libsrtp's expanded keys,
 * never these bytes). */
typedef struct rtc_srtp_config {
  uint16_t profile; /* rtc_srtp_profile_t */
  bool is_client;   /* our DTLS role: the client writes with client_write_key */
  const uint8_t *client_key, *server_key;
  const uint8_t *client_salt, *server_salt;
  size_t key_len, salt_len; /* must match the profile (16/14, 16/12, 32/12) */
  uint32_t replay_window;   /* packets; 0: 1024. libsrtp accepts 64..32767 */
  bool no_repeat_tx;        /* false (default): allow_repeat_tx on */
} rtc_srtp_config_t;

/* Counters since create. "bad" is a packet too short or malformed to be SRTP. */
typedef struct rtc_srtp_stats {
  uint64_t rtp_protected, rtcp_protected;
  uint64_t rtp_unprotected, rtcp_unprotected;
  uint64_t auth_fail;    /* tag mismatch: tampered, wrong key, or not for us */
  uint64_t replay_old;   /* index older than the replay window */
  uint64_t replay_fail;  /* index inside the window and already seen */
  uint64_t bad;          /* too short / not RTP or RTCP / parse error */
  uint64_t protect_fail; /* protect refused (e.g. no room, index exhausted) */
} rtc_srtp_stats_t;

/* One-time libsrtp initialisation; called by rtc_srtp_create as well, so calling it
 * is optional (the peer connection may call it at startup to fail early).
 * 0 or RTC_ECRYPTO. Idempotent. */
int rtc_srtp_init(void);

/* Whether this build can create sessions for the profile (key derivation and the
 * cipher are present in the linked libsrtp2). */
bool rtc_srtp_profile_supported(uint16_t profile);
/* Key and salt lengths of the profile in bytes; 0 and RTC_EINVAL for an unknown one. */
int rtc_srtp_profile_lengths(uint16_t profile, size_t *key_len, size_t *salt_len);
/* Bytes protect appends to an RTP / an RTCP packet under the profile (10/4/16 for
 * RTP; +4 for the SRTCP E-bit and index). 0 for an unknown profile. */
size_t rtc_srtp_rtp_trailer(uint16_t profile);
size_t rtc_srtp_rtcp_trailer(uint16_t profile);
/* Name for logs/stats: "SRTP_AES128_CM_HMAC_SHA1_80" etc.; "unknown". Static. */
const char *rtc_srtp_profile_name(uint16_t profile);

/* Creates the session pair. 0 and *out, or RTC_EINVAL (NULL, lengths do not match
 * the profile, window out of range), RTC_ENOTSUP (profile unknown or not built into
 * libsrtp2), RTC_ENOMEM, RTC_ECRYPTO. */
int rtc_srtp_create(const rtc_srtp_config_t *cfg, rtc_srtp_t **out);

/* The same from what rtc_dtls_get_srtp_keys returned (rtc_dtls_srtp_keys_t, declared
 * in dtls/rtc_dtls.h; it is not included here so srtp does not depend on dtls) and
 * our role (true: DTLS client / a=setup:active). Default window and repeat_tx. */
struct rtc_dtls_srtp_keys;
int rtc_srtp_create_from_dtls(const struct rtc_dtls_srtp_keys *keys, bool is_client,
                              rtc_srtp_t **out);

void rtc_srtp_destroy(rtc_srtp_t *s); /* NULL is fine; wipes key schedules */

uint16_t rtc_srtp_profile(const rtc_srtp_t *s);

/* Protects the RTP (RTCP) packet in buf[0..len) in place; the result is *out_len
 * bytes (len + trailer). cap is the size of buf: it must be at least len plus
 * rtc_srtp_rtp_trailer (rtcp_trailer), else RTC_ETOOBIG and buf is untouched.
 * Errors: RTC_EINVAL (NULL, len < 12 for RTP / < 8 for RTCP), RTC_ETOOBIG,
 * RTC_ECRYPTO (libsrtp refused: e.g. a repeated index with no_repeat_tx, key usage
 * limit). A failure counts protect_fail. */
int rtc_srtp_protect_rtp(rtc_srtp_t *s, uint8_t *buf, size_t len, size_t cap, size_t *out_len);
int rtc_srtp_protect_rtcp(rtc_srtp_t *s, uint8_t *buf, size_t len, size_t cap, size_t *out_len);

/* Verifies and decrypts the SRTP (SRTCP) packet in buf[0..len) in place; the
 * plaintext is *out_len bytes. Errors (each counted in the stats; the caller drops
 * the packet, nothing else changes):
 *   RTC_EAUTH    the tag does not verify (tampered, wrong key, another sender)
 *   RTC_EREPLAY  replayed (replay_fail) or older than the window (replay_old)
 *   RTC_EPARSE   too short or malformed (bad)
 *   RTC_ECRYPTO  any other libsrtp failure (counted as bad) */
int rtc_srtp_unprotect_rtp(rtc_srtp_t *s, uint8_t *buf, size_t len, size_t *out_len);
int rtc_srtp_unprotect_rtcp(rtc_srtp_t *s, uint8_t *buf, size_t len, size_t *out_len);

/* Drops the per-SSRC state of an SSRC we no longer send (outbound) or receive
 * (inbound), e.g. a removed track; the template recreates it if it comes back.
 * 0 or RTC_ENOTFOUND. */
int rtc_srtp_remove_ssrc(rtc_srtp_t *s, uint32_t ssrc, bool outbound);

void rtc_srtp_get_stats(const rtc_srtp_t *s, rtc_srtp_stats_t *out);

/* libsrtp2's version string, e.g. "libsrtp2 2.5.0" (for logs and reports). Static. */
const char *rtc_srtp_library_version(void);

#endif
