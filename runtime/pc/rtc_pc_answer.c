/* JSEP createAnswer (RFC 8829 5.3): every offered m-line answered in place; what we
 * take joins our BUNDLE group (RFC 8843 7.3), whose first m-line is our tag. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rtc_err.h"
#include "pc/rtc_pc_media_internal.h"

/* RFC 8842 5.3: an answerer to actpass takes active (DTLS client), as browsers do.
 * Once DTLS roles are set they stay (RFC 8842 5.5): a re-offer's actpass is answered
 * with the role we have, or the peer refuses the answer. */
static rtc_sdp_setup_t answer_setup(const rtc_pc_t *pc, rtc_sdp_setup_t offered) {
  rtc_dtls_role_t role;
  if (rtc_transport_dtls_role(pc->transport, &role))
    return role == RTC_DTLS_ROLE_CLIENT ? RTC_SDP_SETUP_ACTIVE : RTC_SDP_SETUP_PASSIVE;
  return offered == RTC_SDP_SETUP_ACTIVE ? RTC_SDP_SETUP_PASSIVE : RTC_SDP_SETUP_ACTIVE;
}

/* We run one transport: an offered m-line outside the BUNDLE group that carries it
 * (or, without a group, any but that m-line) is rejected. */
static bool usable(const rtc_sdp_t *offer, size_t i, int transport) {
  if (!rtc__pc_mline_accepted(&offer->media[i]) || transport < 0) return false;
  if ((int)i == transport) return true;
  return rtc__pc_in_bundle(offer, (size_t)transport) && rtc__pc_in_bundle(offer, i);
}

static int answer_application(rtc_pc_t *pc, rtc_sdp_t *s, const rtc_sdp_t *offer,
                              const rtc_sdp_media_t *om) {
  bool old_syntax = strcmp(om->proto, "DTLS/SCTP") == 0;
  rtc_sdp_media_t *m =
      rtc_sdp_add_media(s, "application", 9, om->proto, old_syntax ? "5000" : "webrtc-datachannel");
  if (!m || (om->mid && rtc_sdp_set_str(&m->mid, om->mid))) return RTC_ENOMEM;
  int err = rtc__pc_fill_transport(pc, rtc_transport_ice(pc->transport), m,
                                   answer_setup(pc, om->setup), s->n_bundle_mids == 0);
  if (!err && offer->has_bundle_group && om->mid) err = rtc__pc_add_bundle(s, om->mid);
  return err;
}

int rtc_pc_create_answer(rtc_pc_t *pc, char **sdp_out) {
  *sdp_out = NULL;
  if (pc->closed) return rtc__pc_fail(pc, RTC_ESTATE, "createAnswer: the connection is closed");
  if (pc->signaling != RTC_SIGNALING_HAVE_REMOTE_OFFER &&
      pc->signaling != RTC_SIGNALING_HAVE_LOCAL_PRANSWER)
    return rtc__pc_fail(
        pc, RTC_ESTATE,
        "createAnswer: no remote offer to answer (signalingState is not have-remote-offer)");
  const rtc_sdp_t *offer = pc->pending_remote.sdp;
  rtc_sdp_t *s = rtc_sdp_new();
  if (!s) return rtc__pc_fail(pc, RTC_ENOMEM, "createAnswer: out of memory");
  rtc__pc_set_origin(pc, s);
  int transport = rtc__pc_transport_mline(offer);
  int app = rtc__pc_app_mline(offer);
  int err = 0;
  for (size_t i = 0; i < offer->n_media && !err; i++) {
    const rtc_sdp_media_t *om = &offer->media[i];
    if ((int)i == app && usable(offer, i, transport))
      err = answer_application(pc, s, offer, om);
    else if (strcmp(om->type, "audio") == 0 || strcmp(om->type, "video") == 0)
      err = rtc__pc_answer_media(pc, s, offer, i, usable(offer, i, transport));
    else
      err = rtc__pc_add_rejected(s, om);
  }
  return rtc__pc_finish_description(pc, "createAnswer", s, err, sdp_out);
}
