/* SRTP sessions over libsrtp2: see rtc_srtp.h for the contract. */
#include "srtp/rtc_srtp.h"

#include <arpa/inet.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <srtp2/srtp.h>

#include "base/rtc_err.h"
#include "base/rtc_log.h"
#include "dtls/rtc_dtls.h"
#include "srtp/rtc_srtp_crypto.h"

struct rtc_srtp {
  srtp_t tx, rx; /* libsrtp allows one wildcard template per srtp_t: one per direction */
  uint16_t profile;
  size_t rtp_trailer, rtcp_trailer;
  rtc_srtp_stats_t stats;
};

static bool srtp_inited;
/* Only without our own transforms (RTC_SRTP_NATIVE=0, or libsrtp refused them):
 * Debian's libsrtp2 does its AES through NSS: every cipher context opens an NSS
 * context (NSS_InitContext), and closing the last one shuts NSS down, unloading
 * its modules. With no session alive in between, each new connection paid the
 * whole NSS start (dlopen of softokn, ~3.5 ms) and stop (~0.5 ms). One idle
 * session held for the process keeps NSS up: a session then costs ~0.05 ms. */
static srtp_t srtp_keeper;

/* One row per profile: lengths (RFC 5764 §4.1.2, RFC 7714 §12) and libsrtp's
 * policy setters. Note SRTP_AES128_CM_HMAC_SHA1_32 keeps an 80-bit tag for SRTCP
 * (RFC 5764 §4.1.2: "SRTCP auth tag length 80"). */
typedef struct srtp_profile_info {
  uint16_t id;
  const char *name;
  size_t key_len, salt_len, rtp_tag, rtcp_tag;
  void (*set_rtp)(srtp_crypto_policy_t *);
  void (*set_rtcp)(srtp_crypto_policy_t *);
} srtp_profile_info_t;

static void srtp_set_cm80(srtp_crypto_policy_t *p) {
  srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(p);
}

static const srtp_profile_info_t srtp_profiles[] = {
    {RTC_SRTP_AES128_CM_SHA1_80, "SRTP_AES128_CM_HMAC_SHA1_80", 16, 14, 10, 10, srtp_set_cm80,
     srtp_set_cm80},
    {RTC_SRTP_AES128_CM_SHA1_32, "SRTP_AES128_CM_HMAC_SHA1_32", 16, 14, 4, 10,
     srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32, srtp_set_cm80},
    {RTC_SRTP_AEAD_AES_128_GCM, "SRTP_AEAD_AES_128_GCM", 16, 12, 16, 16,
     srtp_crypto_policy_set_aes_gcm_128_16_auth, srtp_crypto_policy_set_aes_gcm_128_16_auth},
    {RTC_SRTP_AEAD_AES_256_GCM, "SRTP_AEAD_AES_256_GCM", 32, 12, 16, 16,
     srtp_crypto_policy_set_aes_gcm_256_16_auth, srtp_crypto_policy_set_aes_gcm_256_16_auth},
};

static const srtp_profile_info_t *srtp_profile_find(uint16_t id) {
  for (size_t i = 0; i < sizeof srtp_profiles / sizeof srtp_profiles[0]; i++)
    if (srtp_profiles[i].id == id) return &srtp_profiles[i];
  return NULL;
}

int rtc_srtp_profile_lengths(uint16_t profile, size_t *key_len, size_t *salt_len) {
  const srtp_profile_info_t *pi = srtp_profile_find(profile);
  if (key_len) *key_len = pi ? pi->key_len : 0;
  if (salt_len) *salt_len = pi ? pi->salt_len : 0;
  return pi ? 0 : RTC_EINVAL;
}

size_t rtc_srtp_rtp_trailer(uint16_t profile) {
  const srtp_profile_info_t *pi = srtp_profile_find(profile);
  return pi ? pi->rtp_tag : 0;
}

/* RFC 3711 §3.4: SRTCP appends the E flag and 31-bit index (4 bytes) before the tag. */
size_t rtc_srtp_rtcp_trailer(uint16_t profile) {
  const srtp_profile_info_t *pi = srtp_profile_find(profile);
  return pi ? pi->rtcp_tag + 4 : 0;
}

const char *rtc_srtp_profile_name(uint16_t profile) {
  const srtp_profile_info_t *pi = srtp_profile_find(profile);
  return pi ? pi->name : "unknown";
}

/* One direction: a wildcard policy keyed with key||salt (libsrtp's layout). */
static int srtp_make_ctx(srtp_t *out, const srtp_profile_info_t *pi, const uint8_t *key,
                         const uint8_t *salt, srtp_ssrc_type_t dir, unsigned long window,
                         int repeat_tx) {
  uint8_t master[32 + 14];
  srtp_policy_t pol;
  memset(&pol, 0, sizeof pol);
  pi->set_rtp(&pol.rtp);
  pi->set_rtcp(&pol.rtcp);
  memcpy(master, key, pi->key_len);
  memcpy(master + pi->key_len, salt, pi->salt_len);
  pol.ssrc.type = dir;
  pol.key = master;
  pol.window_size = window;
  pol.allow_repeat_tx = repeat_tx;
  pol.next = NULL;
  srtp_err_status_t st = srtp_create(out, &pol);
  memset(master, 0, sizeof master); /* libsrtp keeps only the derived session keys */
  if (st == srtp_err_status_ok) return 0;
  *out = NULL;
  if (st == srtp_err_status_alloc_fail) return RTC_ENOMEM;
  /* An unknown cipher (GCM in a build without it) fails as bad_param/cipher_fail. */
  if (st == srtp_err_status_bad_param || st == srtp_err_status_cipher_fail ||
      st == srtp_err_status_no_such_op)
    return RTC_ENOTSUP;
  return RTC_ECRYPTO;
}

int rtc_srtp_init(void) {
  if (srtp_inited) return 0;
  if (srtp_init() != srtp_err_status_ok) return RTC_ECRYPTO;
  srtp_inited = true;
  /* libsrtp's per-packet crypto on libcrypto instead of Debian's NSS build (no
   * allocation per packet: rtc_srtp_crypto.h). RTC_SRTP_NATIVE=0 keeps libsrtp's
   * own, to compare. If libsrtp refuses a type it keeps its own for that one. */
  const char *native = getenv("RTC_SRTP_NATIVE");
  if (!(native && strcmp(native, "0") == 0)) {
    if (rtc__srtp_crypto_register() == 0) return 0;
    RTC_LOG(RTC_LOG_WARN, "srtp", "libsrtp refused some of luartc's ciphers: its own serve them");
  }
  static const uint8_t zero[32];
  if (srtp_make_ctx(&srtp_keeper, srtp_profile_find(RTC_SRTP_AES128_CM_SHA1_80), zero, zero,
                    ssrc_any_outbound, 1024, 1) != 0)
    srtp_keeper = NULL; /* only slower */
  return 0;
}

bool rtc_srtp_profile_supported(uint16_t profile) {
  const srtp_profile_info_t *pi = srtp_profile_find(profile);
  if (!pi || rtc_srtp_init() != 0) return false;
  static const uint8_t zero[32];
  srtp_t ctx;
  if (srtp_make_ctx(&ctx, pi, zero, zero, ssrc_any_outbound, 1024, 1) != 0) return false;
  srtp_dealloc(ctx);
  return true;
}

int rtc_srtp_create(const rtc_srtp_config_t *cfg, rtc_srtp_t **out) {
  if (out) *out = NULL;
  if (!cfg || !out || !cfg->client_key || !cfg->server_key || !cfg->client_salt ||
      !cfg->server_salt)
    return RTC_EINVAL;
  const srtp_profile_info_t *pi = srtp_profile_find(cfg->profile);
  if (!pi) return RTC_ENOTSUP;
  if (cfg->key_len != pi->key_len || cfg->salt_len != pi->salt_len) return RTC_EINVAL;
  /* libsrtp's window bounds (srtp_rdbx_init): at least 64, below 0x8000. */
  uint32_t window = cfg->replay_window ? cfg->replay_window : RTC_SRTP_DEFAULT_REPLAY_WINDOW;
  if (window < 64 || window >= 0x8000) return RTC_EINVAL;
  int err = rtc_srtp_init();
  if (err) return err;

  rtc_srtp_t *s = calloc(1, sizeof *s);
  if (!s) return RTC_ENOMEM;
  s->profile = cfg->profile;
  s->rtp_trailer = pi->rtp_tag;
  s->rtcp_trailer = pi->rtcp_tag + 4;
  const uint8_t *our_key = cfg->is_client ? cfg->client_key : cfg->server_key;
  const uint8_t *our_salt = cfg->is_client ? cfg->client_salt : cfg->server_salt;
  const uint8_t *peer_key = cfg->is_client ? cfg->server_key : cfg->client_key;
  const uint8_t *peer_salt = cfg->is_client ? cfg->server_salt : cfg->client_salt;
  int repeat = cfg->no_repeat_tx ? 0 : 1;
  err = srtp_make_ctx(&s->tx, pi, our_key, our_salt, ssrc_any_outbound, window, repeat);
  if (err) goto fail;
  err = srtp_make_ctx(&s->rx, pi, peer_key, peer_salt, ssrc_any_inbound, window, repeat);
  if (err) goto fail;
  *out = s;
  return 0;
fail:
  rtc_srtp_destroy(s);
  return err;
}

int rtc_srtp_create_from_dtls(const struct rtc_dtls_srtp_keys *k, bool is_client,
                              rtc_srtp_t **out) {
  if (out) *out = NULL;
  if (!k) return RTC_EINVAL;
  rtc_srtp_config_t cfg = {
      .profile = k->profile,
      .is_client = is_client,
      .client_key = k->client_key,
      .server_key = k->server_key,
      .client_salt = k->client_salt,
      .server_salt = k->server_salt,
      .key_len = k->key_len,
      .salt_len = k->salt_len,
  };
  return rtc_srtp_create(&cfg, out);
}

void rtc_srtp_destroy(rtc_srtp_t *s) {
  if (!s) return;
  if (s->tx) srtp_dealloc(s->tx); /* libsrtp zeroes its key material on dealloc */
  if (s->rx) srtp_dealloc(s->rx);
  free(s);
}

uint16_t rtc_srtp_profile(const rtc_srtp_t *s) { return s ? s->profile : 0; }

static int srtp_protect_any(rtc_srtp_t *s, uint8_t *buf, size_t len, size_t cap, size_t *out_len,
                            bool rtcp) {
  if (out_len) *out_len = 0;
  if (!s || !buf || !out_len) return RTC_EINVAL;
  size_t trailer = rtcp ? s->rtcp_trailer : s->rtp_trailer;
  if (len < (rtcp ? 8u : 12u)) {
    s->stats.protect_fail++;
    return RTC_EINVAL;
  }
  if (len > (size_t)INT_MAX - trailer || cap < len + trailer) {
    s->stats.protect_fail++;
    return RTC_ETOOBIG;
  }
  int n = (int)len;
  srtp_err_status_t st = rtcp ? srtp_protect_rtcp(s->tx, buf, &n) : srtp_protect(s->tx, buf, &n);
  if (st != srtp_err_status_ok || n < 0 || (size_t)n > cap) {
    s->stats.protect_fail++;
    return st == srtp_err_status_bad_param || st == srtp_err_status_parse_err ? RTC_EINVAL
                                                                              : RTC_ECRYPTO;
  }
  if (rtcp)
    s->stats.rtcp_protected++;
  else
    s->stats.rtp_protected++;
  *out_len = (size_t)n;
  return 0;
}

int rtc_srtp_protect_rtp(rtc_srtp_t *s, uint8_t *buf, size_t len, size_t cap, size_t *out_len) {
  return srtp_protect_any(s, buf, len, cap, out_len, false);
}

int rtc_srtp_protect_rtcp(rtc_srtp_t *s, uint8_t *buf, size_t len, size_t cap, size_t *out_len) {
  return srtp_protect_any(s, buf, len, cap, out_len, true);
}

static int srtp_unprotect_any(rtc_srtp_t *s, uint8_t *buf, size_t len, size_t *out_len, bool rtcp) {
  if (out_len) *out_len = 0;
  if (!s || !buf || !out_len) return RTC_EINVAL;
  /* Shorter than a header plus the trailer cannot be SRTP: do not bother libsrtp. */
  size_t min = rtcp ? 8 + s->rtcp_trailer : 12 + s->rtp_trailer;
  if (len < min || len > INT_MAX || (buf[0] >> 6) != 2) {
    s->stats.bad++;
    return RTC_EPARSE;
  }
  int n = (int)len;
  srtp_err_status_t st =
      rtcp ? srtp_unprotect_rtcp(s->rx, buf, &n) : srtp_unprotect(s->rx, buf, &n);
  switch (st) {
  case srtp_err_status_ok:
    if (n < 0 || (size_t)n > len) break;
    if (rtcp)
      s->stats.rtcp_unprotected++;
    else
      s->stats.rtp_unprotected++;
    *out_len = (size_t)n;
    return 0;
  case srtp_err_status_auth_fail: s->stats.auth_fail++; return RTC_EAUTH;
  case srtp_err_status_replay_fail: s->stats.replay_fail++; return RTC_EREPLAY;
  case srtp_err_status_replay_old: s->stats.replay_old++; return RTC_EREPLAY;
  case srtp_err_status_bad_param:
  case srtp_err_status_parse_err: s->stats.bad++; return RTC_EPARSE;
  default: break;
  }
  s->stats.bad++;
  return RTC_ECRYPTO;
}

int rtc_srtp_unprotect_rtp(rtc_srtp_t *s, uint8_t *buf, size_t len, size_t *out_len) {
  return srtp_unprotect_any(s, buf, len, out_len, false);
}

int rtc_srtp_unprotect_rtcp(rtc_srtp_t *s, uint8_t *buf, size_t len, size_t *out_len) {
  return srtp_unprotect_any(s, buf, len, out_len, true);
}

int rtc_srtp_remove_ssrc(rtc_srtp_t *s, uint32_t ssrc, bool outbound) {
  if (!s) return RTC_EINVAL;
  /* libsrtp looks streams up by the SSRC as it sits in the packet (network order). */
  srtp_err_status_t st = srtp_remove_stream(outbound ? s->tx : s->rx, htonl(ssrc));
  return st == srtp_err_status_ok ? 0 : RTC_ENOTFOUND;
}

void rtc_srtp_get_stats(const rtc_srtp_t *s, rtc_srtp_stats_t *out) {
  if (!out) return;
  if (!s) {
    memset(out, 0, sizeof *out);
    return;
  }
  *out = s->stats;
}

const char *rtc_srtp_library_version(void) { return srtp_get_version_string(); }
