/* JSEP createOffer (RFC 8829 5.2): the m-lines of the current negotiation in order,
 * then the ones the application added; one BUNDLE group tagged by the first. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rtc_err.h"
#include "pc/rtc_pc_media_internal.h"

static bool mid_used(const rtc_sdp_t *s, const char *mid) { return rtc_sdp_find_mid(s, mid) >= 0; }

static int add_application(rtc_pc_t *pc, rtc_sdp_t *s, rtc_ice_agent_t *ice, const char *mid) {
  rtc_sdp_media_t *m =
      rtc_sdp_add_media(s, "application", 9, "UDP/DTLS/SCTP", "webrtc-datachannel");
  if (!m || rtc_sdp_set_str(&m->mid, mid)) return RTC_ENOMEM;
  /* The first bundled m-line is the tag and carries the candidates. */
  int err = rtc__pc_fill_transport(pc, ice, m, RTC_SDP_SETUP_ACTPASS, s->n_bundle_mids == 0);
  return err ? err : rtc__pc_add_bundle(s, mid);
}

int rtc_pc_create_offer(rtc_pc_t *pc, bool ice_restart, char **sdp_out) {
  *sdp_out = NULL;
  if (pc->closed) return rtc__pc_fail(pc, RTC_ESTATE, "createOffer: the connection is closed");
  if (pc->ice_replace_ufrag) ice_restart = true; /* restartIce() */
  if (ice_restart && pc->have_transport &&
      rtc_transport_restart_prepare(pc->transport, pc->now_us) < 0)
    return rtc__pc_fail(pc, RTC_ENOMEM, "createOffer: out of memory");
  rtc_ice_agent_t *offer_ice = rtc_transport_next_ice(pc->transport);
  if (!offer_ice) offer_ice = rtc_transport_ice(pc->transport);
  rtc_sdp_t *s = rtc_sdp_new();
  if (!s) return rtc__pc_fail(pc, RTC_ENOMEM, "createOffer: out of memory");
  rtc__pc_set_origin(pc, s);
  int err = 0;
  bool have_app = false;
  /* Subsequent offers keep every m-line of the current negotiation, in order. */
  const rtc_sdp_t *prev = pc->current_local.sdp;
  for (size_t i = 0; prev && i < prev->n_media && !err; i++) {
    const rtc_sdp_media_t *pm = &prev->media[i];
    if (!have_app && rtc__pc_is_sctp_mline(pm) && rtc__pc_mline_accepted(pm)) {
      err = add_application(pc, s, offer_ice, pm->mid ? pm->mid : "0");
      have_app = true;
    } else if (strcmp(pm->type, "audio") == 0 || strcmp(pm->type, "video") == 0) {
      err = rtc__pc_offer_media(pc, s, offer_ice, prev, i);
    } else {
      err = rtc__pc_add_rejected(s, pm);
    }
  }
  /* New transceivers, then a new data m-line (the order browsers use for addTrack
   * followed by createDataChannel). */
  if (!err) err = rtc__pc_offer_new_media(pc, s, offer_ice);
  if (!err && !have_app && (pc->n_dcs > 0 || pc->have_application)) {
    char mid[16];
    for (int k = 0;; k++) {
      snprintf(mid, sizeof(mid), "%d", k);
      if (!mid_used(s, mid)) break;
    }
    err = add_application(pc, s, offer_ice, mid);
  }
  return rtc__pc_finish_description(pc, "createOffer", s, err, sdp_out);
}
