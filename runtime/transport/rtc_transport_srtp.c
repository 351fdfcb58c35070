/* SRTP (RFC 3711) for one transport: an inbound and an outbound libsrtp2 session,
 * keyed from the DTLS-SRTP export (RFC 5764 4.2: the DTLS client writes with the
 * client key, the server with the server key). libsrtp2 is pure functions over
 * memory, so this is sans-IO as it stands. */
#include <srtp2/srtp.h>
#include <stdlib.h>
#include <string.h>

#include "base/rtc_err.h"
#include "base/rtc_log.h"
#include "transport/rtc_transport_internal.h"

struct rtc_transport_srtp {
  srtp_t in, out;
};

static bool srtp_lib_ready(void) {
  static int state; /* 0 untried, 1 ok, -1 failed */
  if (state == 0) state = srtp_init() == srtp_err_status_ok ? 1 : -1;
  return state == 1;
}

static int srtp_session(srtp_t *s, srtp_profile_t profile, const uint8_t *key, size_t key_len,
                        const uint8_t *salt, size_t salt_len, bool inbound) {
  uint8_t master[64];
  srtp_policy_t pol;
  memset(&pol, 0, sizeof(pol));
  if (srtp_crypto_policy_set_from_profile_for_rtp(&pol.rtp, profile) != srtp_err_status_ok ||
      srtp_crypto_policy_set_from_profile_for_rtcp(&pol.rtcp, profile) != srtp_err_status_ok)
    return RTC_ENOTSUP;
  memcpy(master, key, key_len);
  memcpy(master + key_len, salt, salt_len);
  pol.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
  pol.key = master;
  /* Room for NACK-driven retransmissions arriving late (libwebrtc uses the same). */
  pol.window_size = 1024;
  pol.allow_repeat_tx = true; /* RTX resends under the original SSRC are not needed, but
                                 a paced duplicate must not fail the session */
  srtp_err_status_t st = srtp_create(s, &pol);
  memset(master, 0, sizeof(master));
  return st == srtp_err_status_ok ? 0 : RTC_ECRYPTO;
}

int rtc__transport_srtp_key(rtc_transport_t *t) {
  if (t->srtp || !t->dtls || !srtp_lib_ready()) return t->srtp ? 0 : RTC_ESTATE;
  rtc_dtls_srtp_keys_t k;
  int r = rtc_dtls_get_srtp_keys(t->dtls, &k);
  if (r < 0) return r; /* the peer negotiated no DTLS-SRTP profile: data channels only */
  srtp_profile_t profile =
      k.profile == 7 ? srtp_profile_aead_aes_128_gcm : srtp_profile_aes128_cm_sha1_80;
  rtc_transport_srtp_t *s = calloc(1, sizeof(*s));
  if (!s) return RTC_ENOMEM;
  bool client = t->role == RTC_DTLS_ROLE_CLIENT;
  const uint8_t *lk = client ? k.client_key : k.server_key;
  const uint8_t *ls = client ? k.client_salt : k.server_salt;
  const uint8_t *rk = client ? k.server_key : k.client_key;
  const uint8_t *rs = client ? k.server_salt : k.client_salt;
  r = srtp_session(&s->out, profile, lk, k.key_len, ls, k.salt_len, false);
  if (r == 0) r = srtp_session(&s->in, profile, rk, k.key_len, rs, k.salt_len, true);
  memset(&k, 0, sizeof(k));
  if (r < 0) {
    if (s->out) srtp_dealloc(s->out);
    if (s->in) srtp_dealloc(s->in);
    free(s);
    return r;
  }
  t->srtp = s;
  RTC_LOG(RTC_LOG_DEBUG, "transport", "pc %u: SRTP keyed (profile %d)", t->log_id, (int)profile);
  return 0;
}

void rtc__transport_srtp_free(rtc_transport_t *t) {
  if (!t->srtp) return;
  srtp_dealloc(t->srtp->in);
  srtp_dealloc(t->srtp->out);
  free(t->srtp);
  t->srtp = NULL;
}

int rtc__transport_srtp_protect(rtc_transport_t *t, bool rtcp, uint8_t *p, size_t *len,
                                size_t cap) {
  if (!t->srtp) return RTC_ESTATE;
  if (*len + SRTP_MAX_TRAILER_LEN > cap) return RTC_ETOOBIG;
  int n = (int)*len;
  srtp_err_status_t st = rtcp ? srtp_protect_rtcp(t->srtp->out, p, &n)
                              : srtp_protect(t->srtp->out, p, &n);
  if (st != srtp_err_status_ok) return RTC_ECRYPTO;
  *len = (size_t)n;
  return 0;
}

int rtc__transport_srtp_unprotect(rtc_transport_t *t, bool rtcp, uint8_t *p, size_t *len) {
  if (!t->srtp) return RTC_ESTATE;
  int n = (int)*len;
  srtp_err_status_t st = rtcp ? srtp_unprotect_rtcp(t->srtp->in, p, &n)
                              : srtp_unprotect(t->srtp->in, p, &n);
  if (st != srtp_err_status_ok) return st == srtp_err_status_auth_fail ? RTC_EAUTH : RTC_ECRYPTO;
  *len = (size_t)n;
  return 0;
}
