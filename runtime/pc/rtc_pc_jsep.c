/* JSEP (RFC 8829) state: setLocalDescription / setRemoteDescription, rollback, the
 * remote transport parameters taken from the BUNDLE tag, trickled candidates.
 * Building offers and answers: rtc_pc_offer.c, rtc_pc_answer.c; the descriptions
 * and m-line rules: rtc_pc_sdesc.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/rtc_err.h"
#include "base/rtc_log.h"
#include "ice/rtc_ice_candidate.h"
#include "ice/rtc_mdns.h"
#include "pc/rtc_pc_media_internal.h"
#include "pc/rtc_pc_names.h"

static void set_signaling(rtc_pc_t *pc, rtc_signaling_state_t st) {
  if (pc->signaling == st) return;
  pc->signaling = st;
  rtc__pc_event_state(pc, RTC_PC_EVENT_SIGNALING_STATE, (int)st);
}

static const char *type_name(rtc_sdp_type_t t) {
  switch (t) {
  case RTC_SDP_OFFER: return "offer";
  case RTC_SDP_PRANSWER: return "pranswer";
  case RTC_SDP_ANSWER: return "answer";
  default: return "rollback";
  }
}

static int parse_desc(rtc_pc_t *pc, const char *what, const char *sdp, rtc_sdp_t **out) {
  char err[256];
  if (!sdp || !*sdp) return rtc__pc_fail(pc, RTC_EINVAL, "%s: empty SDP", what);
  int r = rtc_sdp_parse(sdp, strlen(sdp), out, err, sizeof(err));
  if (r < 0) return rtc__pc_fail(pc, r, "%s: malformed SDP: %s", what, err);
  return 0;
}

/* Checks what we need from a remote description's transport m-line. */
static int check_remote(rtc_pc_t *pc, const rtc_sdp_t *s, rtc_sdp_type_t type) {
  const rtc_sdp_t *local = rtc__pc_local_sdp(pc);
  if ((type == RTC_SDP_ANSWER || type == RTC_SDP_PRANSWER) && local && s->n_media != local->n_media)
    return rtc__pc_fail(pc, RTC_EINVAL,
                        "setRemoteDescription: the answer has %zu m-lines, the offer had %zu",
                        s->n_media, local->n_media);
  for (size_t i = 0; i < s->n_media; i++) {
    const rtc_sdp_media_t *m = &s->media[i];
    if (!rtc__pc_mline_accepted(m)) continue;
    if (!m->mid)
      return rtc__pc_fail(pc, RTC_EINVAL, "setRemoteDescription: m-line %zu has no a=mid", i);
    if (local && (type == RTC_SDP_ANSWER || type == RTC_SDP_PRANSWER) && local->media[i].mid &&
        strcmp(local->media[i].mid, m->mid) != 0)
      return rtc__pc_fail(pc, RTC_EINVAL,
                          "setRemoteDescription: m-line %zu has mid '%s', the offer had '%s'", i,
                          m->mid, local->media[i].mid);
    /* An answer's RTP m-section is applied through its view (codecs, extensions,
     * a=rid, a=simulcast): one the view cannot hold (more a=rid or a=ssrc lines than
     * its bounds, an extension id mapped twice) would be taken and then never applied
     * (the transceiver left unnegotiated, sending nothing): refused here instead. */
    bool rtp = (strcmp(m->type, "audio") == 0 || strcmp(m->type, "video") == 0) && m->proto &&
               strstr(m->proto, "RTP/");
    if (rtp && (type == RTC_SDP_ANSWER || type == RTC_SDP_PRANSWER)) {
      char why[160] = "";
      rtc_sdp_rtp_t *v = NULL;
      int r = rtc_sdp_rtp_parse(m, &v, why, sizeof(why));
      rtc_sdp_rtp_free(v);
      if (r < 0) return rtc__pc_fail(pc, r, "setRemoteDescription: m-line %zu: %s", i, why);
    }
  }
  /* RFC 8829 5.2.2 / 5.3.2: a subsequent offer keeps every m-line, in order, with its mid. */
  const rtc_sdp_t *cur = pc->current_local.sdp;
  if (type == RTC_SDP_OFFER && cur) {
    if (s->n_media < cur->n_media)
      return rtc__pc_fail(pc, RTC_EINVAL,
                          "setRemoteDescription: the offer has %zu m-lines, the session has %zu",
                          s->n_media, cur->n_media);
    /* A rejected m-line may be recycled under a new mid (RFC 8829 5.2.2). */
    for (size_t i = 0; i < cur->n_media; i++)
      if (cur->media[i].mid && s->media[i].mid && strcmp(cur->media[i].mid, s->media[i].mid) != 0 &&
          rtc__pc_mline_accepted(&cur->media[i]))
        return rtc__pc_fail(pc, RTC_EINVAL,
                            "setRemoteDescription: m-line %zu changed its mid from '%s' to '%s'", i,
                            cur->media[i].mid, s->media[i].mid);
  }
  int tm = rtc__pc_transport_mline(s);
  if (tm < 0) return 0;
  const rtc_sdp_media_t *m = &s->media[tm];
  if (!m->ice_ufrag || !m->ice_pwd)
    return rtc__pc_fail(pc, RTC_EINVAL,
                        "setRemoteDescription: m-line %d has no a=ice-ufrag/a=ice-pwd", tm);
  if (strlen(m->ice_ufrag) < 4 || strlen(m->ice_pwd) < 22 || strlen(m->ice_ufrag) > 256 ||
      strlen(m->ice_pwd) > 256)
    return rtc__pc_fail(
        pc, RTC_EINVAL,
        "setRemoteDescription: ice-ufrag must be 4..256 and ice-pwd 22..256 characters (RFC 8839)");
  if (!m->fingerprint || !m->fingerprint_alg)
    return rtc__pc_fail(pc, RTC_EINVAL, "setRemoteDescription: m-line %d has no a=fingerprint", tm);
  switch (rtc_transport_check_fingerprint(pc->transport, m->fingerprint_alg, m->fingerprint)) {
  case 0: break;
  case RTC_EINVAL:
    return rtc__pc_fail(pc, RTC_EINVAL,
                        "setRemoteDescription: a=fingerprint is not %s hex bytes separated by ':'",
                        m->fingerprint_alg);
  default:
    if (rtc_transport_dtls_state(pc->transport) != RTC_DTLS_NEW)
      return rtc__pc_fail(pc, RTC_ENOTSUP,
                          "setRemoteDescription: the peer changed its DTLS fingerprint; a new "
                          "DTLS association on a live session is not supported");
    return rtc__pc_fail(pc, RTC_ENOTSUP,
                        "setRemoteDescription: unsupported fingerprint algorithm '%s'",
                        m->fingerprint_alg);
  }
  if (type != RTC_SDP_OFFER && m->setup == RTC_SDP_SETUP_ACTPASS)
    return rtc__pc_fail(pc, RTC_EINVAL,
                        "setRemoteDescription: an answer cannot use a=setup:actpass");
  return 0;
}

/* Adds one remote candidate (SDP or trickled) to the ICE agent. FQDN (mDNS) candidates
 * wait for their name; TCP ones are skipped when ICE-TCP is off (the agent takes
 * RFC 6544 active/passive ones, and skips simultaneous-open). */
int rtc__pc_add_remote_candidate(rtc_pc_t *pc, const char *value, bool strict) {
  rtc_ice_candidate_t c;
  if (rtc_ice_candidate_parse(value, &c) < 0) {
    if (strict)
      return rtc__pc_fail(pc, RTC_EINVAL, "addIceCandidate: malformed candidate '%.80s'", value);
    return 0;
  }
  if (c.component != 1) return 0; /* RTCP component: rtcp-mux makes it useless */
  if (c.transport != RTC_ICE_UDP && pc->cfg.ice_tcp_off) return 0;
  /* maxRemoteCandidates: a peer (or signaling) flooding candidates gets a clear error
   * once the ICE generation holds that many; the checks go on with those it has. */
  if (pc->n_remote_cands >= pc->cfg.max_remote_candidates) {
    if (!strict) return 0;
    return rtc__pc_fail(pc, RTC_ELIMIT, "addIceCandidate: more than maxRemoteCandidates (%u)",
                        (unsigned)pc->cfg.max_remote_candidates);
  }
  pc->n_remote_cands++;
  if (!c.address_is_ip) {
    if (rtc_mdns_is_local_name(c.address)) rtc__pc_mdns_want(pc, &c);
    return 0;
  }
  int r = rtc_transport_add_remote_candidate(pc->transport, pc->now_us, &c);
  if (r < 0 && r != RTC_ENOTSUP && r != RTC_ELIMIT && strict)
    return rtc__pc_fail(pc, r, "addIceCandidate: %s", rtc_strerror(r));
  return 0;
}

/* Takes the remote transport parameters (ICE credentials, candidates, fingerprint) of
 * the BUNDLE tag of a remote description (the SCTP ones: apply_remote_sctp). */
static void apply_remote_transport(rtc_pc_t *pc, const rtc_sdp_t *s) {
  int tm = rtc__pc_transport_mline(s);
  pc->remote_ice_lite = s->ice_lite;
  if (tm < 0) return;
  const rtc_sdp_media_t *m = &s->media[tm];
  free(pc->transport_mid);
  pc->transport_mid = strdup(m->mid);
  pc->transport_mline = tm;
  /* 1: the peer restarts ICE; its names are resolved again for the new agent. */
  if (rtc_transport_set_remote_credentials(pc->transport, pc->now_us, m->ice_ufrag, m->ice_pwd) ==
      1) {
    pc->n_mdns = 0;
    pc->n_remote_cands = 0; /* a new ICE generation */
  }
  /* Candidates of every bundled m-line share the one transport. */
  for (size_t k = 0; k < s->n_media; k++) {
    if (k != (size_t)tm && !(rtc__pc_in_bundle(s, k) && rtc__pc_in_bundle(s, (size_t)tm))) continue;
    for (size_t i = 0; i < s->media[k].n_candidates; i++)
      rtc__pc_add_remote_candidate(pc, s->media[k].candidates[i], false);
  }
  if (m->end_of_candidates) rtc_transport_set_remote_gathering_done(pc->transport, pc->now_us);
  rtc_transport_set_remote_fingerprint(pc->transport, m->fingerprint_alg, m->fingerprint);
}

/* The peer's SCTP parameters from its answer or pranswer, or from its offer once we
 * answered it: W3C "update the data max message size" is a step of applying an answer,
 * so an offer that is rolled back leaves the current description's in force. */
static void apply_remote_sctp(rtc_pc_t *pc, const rtc_sdp_t *s) {
  int app = rtc__pc_app_mline(s);
  if (app < 0) return;
  const rtc_sdp_media_t *am = &s->media[app];
  pc->remote_sctp_port = am->sctp_port > 0 ? am->sctp_port : RTC_PC_SCTP_PORT;
  /* RFC 8841 6.1: no a=max-message-size means 64 KiB; 0 means no limit. */
  pc->remote_mms =
      am->max_message_size < 0 ? RTC_PC_RFC8841_DEFAULT_MMS : (size_t)am->max_message_size;
  /* A renegotiation may change it: the association made with the first one follows. */
  if (pc->sctp) rtc_sctp_set_remote_max_message_size(pc->sctp, pc->remote_mms);
}

static void set_local_transport(rtc_pc_t *pc, const rtc_sdp_t *local, int idx) {
  free(pc->transport_local_mid);
  pc->transport_local_mid = strdup(local->media[idx].mid ? local->media[idx].mid : "0");
  pc->transport_local_mline = idx;
}

/* After an answer (local or remote) completes a negotiation: the transport runs when
 * both sides kept a transport m-line (DTLS starts, with or without data channels);
 * SCTP runs when both kept the data m-line. */
static void negotiation_done(rtc_pc_t *pc, const rtc_sdp_t *local, const rtc_sdp_t *remote,
                             bool remote_is_answer) {
  rtc_transport_restart_commit(pc->transport);
  apply_remote_sctp(pc, remote);
  int lt = rtc__pc_transport_mline(local), rt = rtc__pc_transport_mline(remote);
  if (lt >= 0 && rt >= 0) {
    if (!rtc_transport_dtls_role(pc->transport, NULL)) {
      rtc_sdp_setup_t ours = local->media[lt].setup;
      if (ours == RTC_SDP_SETUP_ACTPASS || ours == RTC_SDP_SETUP_NONE)
        ours = remote->media[rt].setup == RTC_SDP_SETUP_ACTIVE ? RTC_SDP_SETUP_PASSIVE
                                                               : RTC_SDP_SETUP_ACTIVE;
      rtc_transport_start_dtls(pc->transport, pc->now_us,
                               ours == RTC_SDP_SETUP_ACTIVE ? RTC_DTLS_ROLE_CLIENT
                                                            : RTC_DTLS_ROLE_SERVER);
    }
    pc->have_transport = true;
    set_local_transport(pc, local, lt);
  }
  int app = rtc__pc_app_mline(remote);
  if (lt >= 0 && rt >= 0 && app >= 0 && app < (int)local->n_media &&
      rtc__pc_mline_accepted(&local->media[app]))
    pc->have_application = true;
  else if (pc->have_application)
    rtc__pc_sctp_end(pc); /* W3C: an answer that closes the association */
  rtc__pc_media_negotiated(pc, local, remote, remote_is_answer);
  pc->negotiation_needed_fired = false;
  /* W3C: restartIce() is done once a negotiation completes with other local
   * credentials (our restart offer answered, or our answer to the peer's restart). */
  if (pc->ice_replace_ufrag &&
      strcmp(pc->ice_replace_ufrag, rtc_ice_agent_local_ufrag(rtc_transport_ice(pc->transport)))) {
    free(pc->ice_replace_ufrag);
    pc->ice_replace_ufrag = NULL;
  }
}

void rtc__pc_update_negotiation_needed(rtc_pc_t *pc) {
  if (pc->closed || pc->signaling != RTC_SIGNALING_STABLE) return;
  bool needed = (pc->n_dcs > 0 && !pc->have_application) || pc->ice_replace_ufrag ||
                rtc__pc_media_needs_negotiation(pc);
  if (needed && !pc->negotiation_needed_fired) {
    pc->negotiation_needed_fired = true;
    rtc__pc_event_push(pc, RTC_PC_EVENT_NEGOTIATION_NEEDED);
  }
}

int rtc_pc_restart_ice(rtc_pc_t *pc) {
  /* W3C: the credentials of the current and pending local descriptions; with neither,
   * there is nothing to replace (the first offer has fresh ones anyway). */
  if (pc->closed || !rtc__pc_local_sdp(pc)) return 0;
  const char *ufrag = rtc_ice_agent_local_ufrag(rtc_transport_ice(pc->transport));
  if (!pc->ice_replace_ufrag || strcmp(pc->ice_replace_ufrag, ufrag)) {
    char *copy = strdup(ufrag);
    if (!copy) return rtc__pc_fail(pc, RTC_ENOMEM, "restartIce: out of memory");
    free(pc->ice_replace_ufrag);
    pc->ice_replace_ufrag = copy;
  }
  rtc__pc_update_negotiation_needed(pc);
  return 0;
}

static void start_gathering(rtc_pc_t *pc, const rtc_sdp_t *local) {
  int tm = rtc__pc_transport_mline(local);
  if (pc->gather_started || tm < 0) return;
  pc->gather_started = true;
  pc->want_gather = true;
  if (!pc->transport_local_mid) set_local_transport(pc, local, tm);
  pc->gathering = RTC_GATHERING_GATHERING;
  rtc__pc_event_state(pc, RTC_PC_EVENT_ICE_GATHERING_STATE, RTC_GATHERING_GATHERING);
}

/* W3C rollback, from either setLocalDescription or setRemoteDescription: the pending
 * offer (ours or the peer's) is dropped and the state returns to stable. */
static int rollback(rtc_pc_t *pc, const char *what) {
  if (pc->signaling == RTC_SIGNALING_HAVE_LOCAL_OFFER) {
    rtc__pc_desc_clear(&pc->pending_local);
  } else if (pc->signaling == RTC_SIGNALING_HAVE_REMOTE_OFFER) {
    rtc__pc_desc_clear(&pc->pending_remote);
  } else {
    return rtc__pc_fail(pc, RTC_ESTATE, "%s: nothing to roll back in state %s", what,
                        rtc_pc_signaling_names[pc->signaling]);
  }
  rtc_transport_restart_rollback(pc->transport);
  rtc__pc_media_rollback(pc);
  set_signaling(pc, RTC_SIGNALING_STABLE);
  return 0;
}

int rtc_pc_set_local_description(rtc_pc_t *pc, rtc_sdp_type_t type, const char *sdp) {
  const char *what = "setLocalDescription";
  if (pc->closed) return rtc__pc_fail(pc, RTC_ESTATE, "%s: the connection is closed", what);
  char *implicit = NULL;
  if (type == RTC_SDP_ROLLBACK) return rollback(pc, what);
  if (!sdp || !*sdp) {
    bool answering = pc->signaling == RTC_SIGNALING_HAVE_REMOTE_OFFER ||
                     pc->signaling == RTC_SIGNALING_HAVE_LOCAL_PRANSWER;
    int r =
        answering ? rtc_pc_create_answer(pc, &implicit) : rtc_pc_create_offer(pc, false, &implicit);
    if (r < 0) return r;
    type = answering ? RTC_SDP_ANSWER : RTC_SDP_OFFER;
    sdp = implicit;
  }
  int r = 0;
  rtc_sdp_t *s = NULL;
  bool offer = type == RTC_SDP_OFFER;
  if (offer && pc->signaling != RTC_SIGNALING_STABLE &&
      pc->signaling != RTC_SIGNALING_HAVE_LOCAL_OFFER) {
    r = rtc__pc_fail(pc, RTC_ESTATE, "%s: cannot set a local offer in state %s", what,
                     rtc_pc_signaling_names[pc->signaling]);
    goto out;
  }
  if (!offer && pc->signaling != RTC_SIGNALING_HAVE_REMOTE_OFFER &&
      pc->signaling != RTC_SIGNALING_HAVE_LOCAL_PRANSWER) {
    r = rtc__pc_fail(pc, RTC_ESTATE, "%s: cannot set a local %s in state %s", what, type_name(type),
                     rtc_pc_signaling_names[pc->signaling]);
    goto out;
  }
  if ((r = parse_desc(pc, what, sdp, &s)) < 0) goto out;
  int tm = rtc__pc_transport_mline(s);
  rtc_ice_agent_t *next = rtc_transport_next_ice(pc->transport);
  if (tm >= 0 && offer && next && s->media[tm].ice_ufrag &&
      strcmp(s->media[tm].ice_ufrag, rtc_ice_agent_local_ufrag(next)) == 0) {
    rtc_transport_restart_apply(pc->transport, pc->now_us);
    pc->n_mdns = 0; /* the peer signals its candidates again for the new agent */
  }
  if (tm >= 0 && (!s->media[tm].ice_ufrag ||
                  strcmp(s->media[tm].ice_ufrag,
                         rtc_ice_agent_local_ufrag(rtc_transport_ice(pc->transport))) != 0)) {
    r = rtc__pc_fail(pc, RTC_EINVAL,
                     "%s: the ICE credentials differ from the ones createOffer/createAnswer made",
                     what);
    goto out;
  }
  rtc_pc_desc_t d = {.type = type, .sdp = s};
  s = NULL;
  if (offer) {
    rtc__pc_desc_move(&pc->pending_local, &d);
    rtc_transport_set_controlling(pc->transport, !pc->remote_ice_lite);
    pc->is_offerer = true;
    set_signaling(pc, RTC_SIGNALING_HAVE_LOCAL_OFFER);
  } else if (type == RTC_SDP_PRANSWER) {
    rtc__pc_desc_move(&pc->pending_local, &d);
    set_signaling(pc, RTC_SIGNALING_HAVE_LOCAL_PRANSWER);
  } else {
    rtc__pc_desc_move(&pc->current_local, &d);
    rtc__pc_desc_clear(&pc->pending_local);
    rtc__pc_desc_move(&pc->current_remote, &pc->pending_remote);
    negotiation_done(pc, pc->current_local.sdp, pc->current_remote.sdp, false);
    set_signaling(pc, RTC_SIGNALING_STABLE);
  }
  start_gathering(pc, rtc__pc_local_sdp(pc));
  rtc__pc_regather(pc);
  rtc__pc_transport_apply(pc);
  rtc__pc_update_negotiation_needed(pc);
out:
  rtc_sdp_free(s);
  free(implicit);
  return r;
}

int rtc_pc_set_remote_description(rtc_pc_t *pc, rtc_sdp_type_t type, const char *sdp) {
  const char *what = "setRemoteDescription";
  if (pc->closed) return rtc__pc_fail(pc, RTC_ESTATE, "%s: the connection is closed", what);
  if (type == RTC_SDP_ROLLBACK) return rollback(pc, what);
  /* Before parsing: a peer's description is bounded like everything it sends. */
  size_t sdp_len = sdp ? strlen(sdp) : 0;
  if (sdp_len > pc->cfg.max_sdp_size)
    return rtc__pc_fail(pc, RTC_ELIMIT, "%s: SDP of %zu bytes, above maxSdpSize (%zu)", what,
                        sdp_len, pc->cfg.max_sdp_size);
  bool offer = type == RTC_SDP_OFFER;
  /* Glare: W3C setRemoteDescription rolls our pending offer back implicitly (what
   * "perfect negotiation" relies on) once the remote offer is known to be valid. */
  bool implicit_rollback = offer && pc->signaling == RTC_SIGNALING_HAVE_LOCAL_OFFER;
  if (offer && !implicit_rollback && pc->signaling != RTC_SIGNALING_STABLE &&
      pc->signaling != RTC_SIGNALING_HAVE_REMOTE_OFFER)
    return rtc__pc_fail(pc, RTC_ESTATE, "%s: cannot set a remote offer in state %s", what,
                        rtc_pc_signaling_names[pc->signaling]);
  if (!offer && pc->signaling != RTC_SIGNALING_HAVE_LOCAL_OFFER &&
      pc->signaling != RTC_SIGNALING_HAVE_REMOTE_PRANSWER)
    return rtc__pc_fail(pc, RTC_ESTATE, "%s: cannot set a remote %s in state %s", what,
                        type_name(type), rtc_pc_signaling_names[pc->signaling]);
  rtc_sdp_t *s = NULL;
  int r = parse_desc(pc, what, sdp, &s);
  if (r < 0) return r;
  if ((r = check_remote(pc, s, type)) < 0) {
    rtc_sdp_free(s);
    return r;
  }
  if (implicit_rollback) rollback(pc, what);
  rtc_pc_desc_t d = {.type = type, .sdp = s};
  if (offer) {
    rtc__pc_desc_move(&pc->pending_remote, &d);
    if (!pc->have_transport) {
      /* JSEP 5.10: the answerer is controlled, unless the offerer is ICE lite. */
      rtc_transport_set_controlling(pc->transport, pc->pending_remote.sdp->ice_lite);
      pc->is_offerer = false;
    }
    apply_remote_transport(pc, pc->pending_remote.sdp);
    rtc__pc_media_remote_offer(pc, pc->pending_remote.sdp);
    set_signaling(pc, RTC_SIGNALING_HAVE_REMOTE_OFFER);
  } else if (type == RTC_SDP_PRANSWER) {
    rtc__pc_desc_move(&pc->pending_remote, &d);
    apply_remote_transport(pc, pc->pending_remote.sdp);
    apply_remote_sctp(pc, pc->pending_remote.sdp);
    set_signaling(pc, RTC_SIGNALING_HAVE_REMOTE_PRANSWER);
  } else {
    rtc__pc_desc_move(&pc->current_remote, &d);
    rtc__pc_desc_clear(&pc->pending_remote);
    rtc__pc_desc_move(&pc->current_local, &pc->pending_local);
    if (pc->current_remote.sdp->ice_lite) rtc_transport_set_controlling(pc->transport, true);
    apply_remote_transport(pc, pc->current_remote.sdp);
    negotiation_done(pc, pc->current_local.sdp, pc->current_remote.sdp, true);
    set_signaling(pc, RTC_SIGNALING_STABLE);
  }
  rtc__pc_transport_apply(pc);
  rtc__pc_update_negotiation_needed(pc);
  return 0;
}

int rtc_pc_add_ice_candidate(rtc_pc_t *pc, const char *candidate, const char *mid,
                             int mline_index) {
  const char *what = "addIceCandidate";
  if (pc->closed) return rtc__pc_fail(pc, RTC_ESTATE, "%s: the connection is closed", what);
  rtc_pc_desc_t *rd = pc->pending_remote.sdp ? &pc->pending_remote : &pc->current_remote;
  rtc_sdp_t *remote = rd->sdp;
  if (!remote) return rtc__pc_fail(pc, RTC_ESTATE, "%s: no remote description yet", what);
  if (!candidate || !*candidate) {
    rtc_transport_set_remote_gathering_done(pc->transport, pc->now_us);
    return 0;
  }
  int idx = -1;
  if (mid && *mid) {
    idx = rtc_sdp_find_mid(remote, mid);
    if (idx < 0) return rtc__pc_fail(pc, RTC_EINVAL, "%s: unknown sdpMid '%s'", what, mid);
  } else if (mline_index >= 0) {
    if ((size_t)mline_index >= remote->n_media)
      return rtc__pc_fail(pc, RTC_EINVAL, "%s: sdpMLineIndex %d out of range", what, mline_index);
    idx = mline_index;
  } else {
    return rtc__pc_fail(pc, RTC_EINVAL, "%s: sdpMid and sdpMLineIndex are both null", what);
  }
  const char *value = strncmp(candidate, "candidate:", 10) == 0 ? candidate + 10 : candidate;
  rtc_ice_candidate_t c;
  if (rtc_ice_candidate_parse(value, &c) < 0)
    return rtc__pc_fail(pc, RTC_EINVAL, "%s: malformed candidate '%.100s'", what, candidate);
  /* Candidates for an m-line we rejected are accepted and unused (W3C). Bundled m-lines
   * share our one transport. */
  int r = rtc__pc_add_remote_candidate(pc, value, true);
  if (r < 0) return r;
  if (remote->media[idx].n_candidates < RTC_SDP_MAX_CANDIDATES) {
    rtc_sdp_media_add_candidate(&remote->media[idx], value);
    free(rd->text);
    rd->text = NULL;
  }
  return 0;
}
