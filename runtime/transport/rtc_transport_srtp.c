/* SRTP for one transport: the srtp/ session pair keyed from the DTLS-SRTP export
 * (RFC 5764 4.2) when the handshake completes. */
#include <string.h>

#include "base/rtc_err.h"
#include "base/rtc_log.h"
#include "srtp/rtc_srtp.h"
#include "transport/rtc_transport_internal.h"

void rtc__transport_srtp_agreed(rtc_transport_t *t) {
  rtc_dtls_srtp_keys_t k;
  /* No DTLS-SRTP profile: data channels only. */
  t->srtp_keyable = rtc_dtls_get_srtp_keys(t->dtls, &k) == 0;
  explicit_bzero(&k, sizeof k);
}

void rtc__transport_srtp_need(rtc_transport_t *t) {
  if (t->srtp || !t->srtp_keyable) return;
  t->srtp_keyable = false; /* one attempt: a failure is logged once */
  rtc_dtls_srtp_keys_t k;
  int r = rtc_dtls_get_srtp_keys(t->dtls, &k);
  if (r < 0) return;
  r = rtc_srtp_create_from_dtls(&k, t->role == RTC_DTLS_ROLE_CLIENT, &t->srtp);
  uint16_t profile = k.profile;
  explicit_bzero(&k, sizeof k);
  if (r < 0)
    RTC_LOG(RTC_LOG_WARN, "transport", "pc %u: SRTP could not be keyed: %s", t->log_id,
            rtc_strerror(r));
  else
    RTC_LOG(RTC_LOG_DEBUG, "transport", "pc %u: SRTP keyed (%s)", t->log_id,
            rtc_srtp_profile_name(profile));
}

void rtc__transport_srtp_free(rtc_transport_t *t) {
  rtc_srtp_destroy(t->srtp);
  t->srtp = NULL;
}
