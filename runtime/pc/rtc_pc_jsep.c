/* JSEP (RFC 8829): offers, answers, the signaling state machine, trickled
 * candidates. One bundled transport carries everything; audio/video m-lines are
 * answered as rejected (port 0) until media lands. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/rtc_err.h"
#include "base/rtc_log.h"
#include "ice/rtc_ice_candidate.h"
#include "ice/rtc_mdns.h"
#include "pc/rtc_pc_internal.h"

void rtc__pc_desc_clear(rtc_pc_desc_t *d) {
  rtc_sdp_free(d->sdp);
  free(d->text);
  d->sdp = NULL;
  d->text = NULL;
}

static void desc_move(rtc_pc_desc_t *dst, rtc_pc_desc_t *src) {
  rtc__pc_desc_clear(dst);
  *dst = *src;
  memset(src, 0, sizeof(*src));
}

const rtc_sdp_t *rtc__pc_remote_sdp(const rtc_pc_t *pc) {
  return pc->pending_remote.sdp ? pc->pending_remote.sdp : pc->current_remote.sdp;
}

const rtc_sdp_t *rtc__pc_local_sdp(const rtc_pc_t *pc) {
  return pc->pending_local.sdp ? pc->pending_local.sdp : pc->current_local.sdp;
}

static const char *desc_text(const rtc_pc_desc_t *cd, rtc_sdp_type_t *type) {
  rtc_pc_desc_t *d = (rtc_pc_desc_t *)cd; /* the text is a cache */
  if (!d->sdp) return NULL;
  if (!d->text) d->text = rtc_sdp_serialize(d->sdp);
  if (type) *type = d->type;
  return d->text;
}

const char *rtc_pc_local_description(const rtc_pc_t *pc, rtc_sdp_type_t *type) {
  return desc_text(pc->pending_local.sdp ? &pc->pending_local : &pc->current_local, type);
}
const char *rtc_pc_remote_description(const rtc_pc_t *pc, rtc_sdp_type_t *type) {
  return desc_text(pc->pending_remote.sdp ? &pc->pending_remote : &pc->current_remote, type);
}
const char *rtc_pc_pending_local_description(const rtc_pc_t *pc, rtc_sdp_type_t *type) {
  return desc_text(&pc->pending_local, type);
}
const char *rtc_pc_pending_remote_description(const rtc_pc_t *pc, rtc_sdp_type_t *type) {
  return desc_text(&pc->pending_remote, type);
}
const char *rtc_pc_current_local_description(const rtc_pc_t *pc, rtc_sdp_type_t *type) {
  return desc_text(&pc->current_local, type);
}
const char *rtc_pc_current_remote_description(const rtc_pc_t *pc, rtc_sdp_type_t *type) {
  return desc_text(&pc->current_remote, type);
}

int rtc_pc_can_trickle(const rtc_pc_t *pc) {
  const rtc_sdp_t *r = rtc__pc_remote_sdp(pc);
  if (!r) return -1;
  for (size_t i = 0; i < r->n_media; i++)
    if (r->media[i].ice_options && strstr(r->media[i].ice_options, "trickle")) return 1;
  return 0;
}

static bool is_sctp_proto(const char *proto) { return proto && strstr(proto, "SCTP") != NULL; }

static bool media_accepted(const rtc_sdp_media_t *m) { return m->port != 0 || m->bundle_only; }

/* The m-line that carries data channels: the first accepted application m-line. */
static int find_app_mline(const rtc_sdp_t *s) {
  for (size_t i = 0; i < s->n_media; i++) {
    const rtc_sdp_media_t *m = &s->media[i];
    if (strcmp(m->type, "application") == 0 && is_sctp_proto(m->proto) && media_accepted(m))
      return (int)i;
  }
  return -1;
}

static void set_origin(rtc_pc_t *pc, rtc_sdp_t *s) {
  char num[32];
  rtc_sdp_set_str(&s->origin_username, "-");
  snprintf(num, sizeof(num), "%llu", (unsigned long long)pc->session_id);
  rtc_sdp_set_str(&s->session_id, num);
  snprintf(num, sizeof(num), "%llu", (unsigned long long)pc->session_version++);
  rtc_sdp_set_str(&s->session_version, num);
  rtc_sdp_set_str(&s->origin_nettype, "IN");
  rtc_sdp_set_str(&s->origin_addrtype, "IP4");
  rtc_sdp_set_str(&s->origin_addr, "127.0.0.1");
  rtc_sdp_set_str(&s->session_name, "-");
}

/* ICE, DTLS and SCTP attributes of our transport m-line. */
/* ice: the agent whose credentials go out (a restart offer's new agent, else ours). */
static int fill_transport(rtc_pc_t *pc, rtc_ice_agent_t *ice, rtc_sdp_media_t *m,
                          rtc_sdp_setup_t setup) {
  char mms[24];
  int r = 0;
  r |= rtc_sdp_set_str(&m->conn_addr, "0.0.0.0");
  r |= rtc_sdp_set_str(&m->conn_addrtype, "IP4");
  r |= rtc_sdp_set_str(&m->ice_ufrag, rtc_ice_agent_local_ufrag(ice));
  r |= rtc_sdp_set_str(&m->ice_pwd, rtc_ice_agent_local_pwd(ice));
  r |= rtc_sdp_set_str(&m->ice_options, "trickle");
  r |= rtc_sdp_set_str(&m->fingerprint_alg, "sha-256");
  r |= rtc_sdp_set_str(&m->fingerprint, rtc_dtls_cert_fingerprint(pc->cert));
  m->setup = setup;
  m->sctp_port = RTC_PC_SCTP_PORT;
  snprintf(mms, sizeof(mms), "%zu", pc->cfg.max_message_size);
  m->max_message_size = (int64_t)pc->cfg.max_message_size;
  if (ice != pc->ice) return r ? RTC_ENOMEM : 0; /* a restart offers no old candidates */
  for (size_t i = 0; i < pc->n_local_cands && r == 0; i++)
    r |= rtc_sdp_media_add_candidate(m, pc->local_cands[i]);
  m->end_of_candidates = pc->local_gather_done;
  return r ? RTC_ENOMEM : 0;
}

/* An m-line we do not use: kept in place (m-lines never disappear), port 0. */
static int add_rejected(rtc_sdp_t *s, const rtc_sdp_media_t *src) {
  rtc_sdp_media_t *m =
      rtc_sdp_add_media(s, src->type, 0, src->proto, src->n_fmts ? src->fmts[0] : "0");
  if (!m) return RTC_ENOMEM;
  if (rtc_sdp_set_str(&m->conn_addr, "0.0.0.0") || rtc_sdp_set_str(&m->conn_addrtype, "IP4"))
    return RTC_ENOMEM;
  if (src->mid && rtc_sdp_set_str(&m->mid, src->mid)) return RTC_ENOMEM;
  m->direction = RTC_SDP_DIR_INACTIVE;
  return 0;
}

static int add_bundle(rtc_sdp_t *s, const char *mid) {
  if (s->n_bundle_mids >= RTC_SDP_MAX_MEDIA) return RTC_ELIMIT;
  s->bundle_mids[s->n_bundle_mids] = strdup(mid);
  if (!s->bundle_mids[s->n_bundle_mids]) return RTC_ENOMEM;
  s->n_bundle_mids++;
  s->has_bundle_group = true;
  return 0;
}

static bool mid_used(const rtc_sdp_t *s, const char *mid) { return rtc_sdp_find_mid(s, mid) >= 0; }

/* Serializes a built description (consumed) unless building failed. */
static int finish_description(rtc_pc_t *pc, const char *what, rtc_sdp_t *s, int err,
                              char **sdp_out) {
  if (!err) {
    *sdp_out = rtc_sdp_serialize(s);
    if (!*sdp_out) err = RTC_ENOMEM;
  }
  rtc_sdp_free(s);
  return err ? rtc__pc_fail(pc, err, "%s: %s", what, rtc_strerror(err)) : 0;
}

int rtc_pc_create_offer(rtc_pc_t *pc, bool ice_restart, char **sdp_out) {
  *sdp_out = NULL;
  if (pc->closed) return rtc__pc_fail(pc, RTC_ESTATE, "createOffer: the connection is closed");
  if (ice_restart && !pc->ice_next && pc->have_application) {
    /* RFC 8445 9: new credentials; the new agent takes over at setLocalDescription. */
    rtc_ice_config_t icfg = {.controlling = true};
    pc->ice_next = rtc_ice_agent_create(&icfg, pc->now_us);
    if (!pc->ice_next) return rtc__pc_fail(pc, RTC_ENOMEM, "createOffer: out of memory");
  }
  rtc_ice_agent_t *offer_ice = pc->ice_next ? pc->ice_next : pc->ice;
  rtc_sdp_t *s = rtc_sdp_new();
  if (!s) return rtc__pc_fail(pc, RTC_ENOMEM, "createOffer: out of memory");
  set_origin(pc, s);
  int err = 0;
  bool have_app = false;
  /* Subsequent offers keep every m-line of the current negotiation, in order. */
  const rtc_sdp_t *prev = pc->current_local.sdp;
  for (size_t i = 0; prev && i < prev->n_media && !err; i++) {
    const rtc_sdp_media_t *pm = &prev->media[i];
    if (!have_app && strcmp(pm->type, "application") == 0 && is_sctp_proto(pm->proto) &&
        media_accepted(pm)) {
      rtc_sdp_media_t *m =
          rtc_sdp_add_media(s, "application", 9, "UDP/DTLS/SCTP", "webrtc-datachannel");
      err = !m || rtc_sdp_set_str(&m->mid, pm->mid ? pm->mid : "0")
                ? RTC_ENOMEM
                : fill_transport(pc, offer_ice, m, RTC_SDP_SETUP_ACTPASS);
      if (!err) err = add_bundle(s, m->mid);
      have_app = true;
    } else {
      err = add_rejected(s, pm);
    }
  }
  if (!err && !have_app && (pc->n_dcs > 0 || pc->have_application)) {
    char mid[16];
    for (int k = 0;; k++) {
      snprintf(mid, sizeof(mid), "%d", k);
      if (!mid_used(s, mid)) break;
    }
    rtc_sdp_media_t *m =
        rtc_sdp_add_media(s, "application", 9, "UDP/DTLS/SCTP", "webrtc-datachannel");
    err = !m || rtc_sdp_set_str(&m->mid, mid)
              ? RTC_ENOMEM
              : fill_transport(pc, offer_ice, m, RTC_SDP_SETUP_ACTPASS);
    if (!err) err = add_bundle(s, mid);
  }
  return finish_description(pc, "createOffer", s, err, sdp_out);
}

/* RFC 8842 5.3: an answerer to actpass takes active (DTLS client), as browsers do. */
static rtc_sdp_setup_t answer_setup(rtc_sdp_setup_t offered) {
  return offered == RTC_SDP_SETUP_ACTIVE ? RTC_SDP_SETUP_PASSIVE : RTC_SDP_SETUP_ACTIVE;
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
  set_origin(pc, s);
  int app = find_app_mline(offer);
  int err = 0;
  for (size_t i = 0; i < offer->n_media && !err; i++) {
    const rtc_sdp_media_t *om = &offer->media[i];
    if ((int)i != app) {
      err = add_rejected(s, om);
      continue;
    }
    bool old_syntax = strcmp(om->proto, "DTLS/SCTP") == 0;
    rtc_sdp_media_t *m = rtc_sdp_add_media(s, "application", 9, om->proto,
                                           old_syntax ? "5000" : "webrtc-datachannel");
    if (!m || (om->mid && rtc_sdp_set_str(&m->mid, om->mid))) {
      err = RTC_ENOMEM;
      break;
    }
    /* Once DTLS roles are set they stay (RFC 8842 5.5): a re-offer's actpass is
     * answered with the role we have, or the peer refuses the answer. */
    rtc_sdp_setup_t setup = answer_setup(om->setup);
    if (pc->dtls_role_known)
      setup = pc->dtls_role == RTC_DTLS_ROLE_CLIENT ? RTC_SDP_SETUP_ACTIVE : RTC_SDP_SETUP_PASSIVE;
    err = fill_transport(pc, pc->ice, m, setup);
    if (!err && offer->has_bundle_group && om->mid) err = add_bundle(s, om->mid);
  }
  return finish_description(pc, "createAnswer", s, err, sdp_out);
}

static const char *const signaling_names[] = {"stable",
                                              "have-local-offer",
                                              "have-remote-offer",
                                              "have-local-pranswer",
                                              "have-remote-pranswer",
                                              "closed"};

static void set_signaling(rtc_pc_t *pc, rtc_signaling_state_t st) {
  if (pc->signaling == st) return;
  pc->signaling = st;
  rtc__pc_event_push(pc, RTC_PC_EVENT_SIGNALING_STATE)->ev.state = (int)st;
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

/* RFC 8122: "AB:CD:..." with exactly the digest's length in bytes. */
static bool fingerprint_well_formed(const char *fp, size_t bytes) {
  for (size_t i = 0; i < bytes; i++) {
    const char *b = fp + 3 * i;
    if (!isxdigit((unsigned char)b[0]) || !isxdigit((unsigned char)b[1])) return false;
    if (b[2] != (i + 1 < bytes ? ':' : '\0')) return false;
  }
  return true;
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
    if (!media_accepted(m)) continue;
    if (!m->mid)
      return rtc__pc_fail(pc, RTC_EINVAL, "setRemoteDescription: m-line %zu has no a=mid", i);
    if (local && (type == RTC_SDP_ANSWER || type == RTC_SDP_PRANSWER) && local->media[i].mid &&
        strcmp(local->media[i].mid, m->mid) != 0)
      return rtc__pc_fail(pc, RTC_EINVAL,
                          "setRemoteDescription: m-line %zu has mid '%s', the offer had '%s'", i,
                          m->mid, local->media[i].mid);
  }
  /* RFC 8829 5.2.2 / 5.3.2: a subsequent offer keeps every m-line, in order, with its mid. */
  const rtc_sdp_t *cur = pc->current_local.sdp;
  if (type == RTC_SDP_OFFER && cur) {
    if (s->n_media < cur->n_media)
      return rtc__pc_fail(pc, RTC_EINVAL,
                          "setRemoteDescription: the offer has %zu m-lines, the session has %zu",
                          s->n_media, cur->n_media);
    for (size_t i = 0; i < cur->n_media; i++)
      if (cur->media[i].mid && s->media[i].mid && strcmp(cur->media[i].mid, s->media[i].mid) != 0)
        return rtc__pc_fail(pc, RTC_EINVAL,
                            "setRemoteDescription: m-line %zu changed its mid from '%s' to '%s'", i,
                            cur->media[i].mid, s->media[i].mid);
  }
  int app = find_app_mline(s);
  if (app < 0) return 0;
  const rtc_sdp_media_t *m = &s->media[app];
  if (!m->ice_ufrag || !m->ice_pwd)
    return rtc__pc_fail(pc, RTC_EINVAL,
                        "setRemoteDescription: m-line %d has no a=ice-ufrag/a=ice-pwd", app);
  if (strlen(m->ice_ufrag) < 4 || strlen(m->ice_pwd) < 22 || strlen(m->ice_ufrag) > 256 ||
      strlen(m->ice_pwd) > 256)
    return rtc__pc_fail(
        pc, RTC_EINVAL,
        "setRemoteDescription: ice-ufrag must be 4..256 and ice-pwd 22..256 characters (RFC 8839)");
  if (!m->fingerprint || !m->fingerprint_alg)
    return rtc__pc_fail(pc, RTC_EINVAL, "setRemoteDescription: m-line %d has no a=fingerprint",
                        app);
  if (strcmp(m->fingerprint_alg, "sha-256") && strcmp(m->fingerprint_alg, "sha-1") &&
      strcmp(m->fingerprint_alg, "sha-384") && strcmp(m->fingerprint_alg, "sha-512"))
    return rtc__pc_fail(pc, RTC_ENOTSUP,
                        "setRemoteDescription: unsupported fingerprint algorithm '%s'",
                        m->fingerprint_alg);
  size_t want = !strcmp(m->fingerprint_alg, "sha-1")     ? 20
                : !strcmp(m->fingerprint_alg, "sha-256") ? 32
                : !strcmp(m->fingerprint_alg, "sha-384") ? 48
                                                         : 64;
  if (!fingerprint_well_formed(m->fingerprint, want))
    return rtc__pc_fail(pc, RTC_EINVAL,
                        "setRemoteDescription: a=fingerprint is not %zu hex bytes separated by ':'",
                        want);
  /* A new fingerprint means a new DTLS association (RFC 8842 5.5); we keep one. */
  if (pc->dtls_started && pc->remote_fp && strcasecmp(pc->remote_fp, m->fingerprint) != 0)
    return rtc__pc_fail(pc, RTC_ENOTSUP,
                        "setRemoteDescription: the peer changed its DTLS fingerprint; a new DTLS "
                        "association on a live session is not supported");
  if (type != RTC_SDP_OFFER && m->setup == RTC_SDP_SETUP_ACTPASS)
    return rtc__pc_fail(pc, RTC_EINVAL,
                        "setRemoteDescription: an answer cannot use a=setup:actpass");
  return 0;
}

/* Adds one remote candidate (SDP or trickled) to the ICE agent. FQDN (mDNS) and TCP
 * candidates are skipped: the peer's checks teach us its address as peer-reflexive. */
static int add_remote_candidate(rtc_pc_t *pc, const char *value, bool strict) {
  rtc_ice_candidate_t c;
  if (rtc_ice_candidate_parse(value, &c) < 0) {
    if (strict)
      return rtc__pc_fail(pc, RTC_EINVAL, "addIceCandidate: malformed candidate '%.80s'", value);
    return 0;
  }
  if (c.component != 1) return 0; /* RTCP component: rtcp-mux makes it useless */
  if (c.ufrag[0] && pc->remote_ufrag && strcmp(c.ufrag, pc->remote_ufrag) != 0) return 0;
  if (c.transport != RTC_ICE_UDP) return 0;
  if (!c.address_is_ip) {
    if (rtc_mdns_is_local_name(c.address)) rtc__pc_mdns_want(pc, &c);
    return 0;
  }
  int r = rtc_ice_agent_add_remote_candidate(pc->ice, &c);
  if (r < 0 && r != RTC_ENOTSUP && r != RTC_ELIMIT && strict)
    return rtc__pc_fail(pc, r, "addIceCandidate: %s", rtc_strerror(r));
  return 0;
}

/* Takes the remote transport parameters (ICE credentials, fingerprint, setup, SCTP)
 * of the data m-line of a remote description. */
static void apply_remote_transport(rtc_pc_t *pc, const rtc_sdp_t *s) {
  int app = find_app_mline(s);
  pc->remote_ice_lite = s->ice_lite;
  if (app < 0) return;
  const rtc_sdp_media_t *m = &s->media[app];
  free(pc->transport_mid);
  pc->transport_mid = strdup(m->mid);
  pc->transport_mline = app;
  if (pc->remote_ufrag && strcmp(pc->remote_ufrag, m->ice_ufrag) != 0) {
    /* The peer restarts ICE (RFC 8445 9): we answer with new credentials too, from a
     * new agent in the same role; DTLS and SCTP go on over its pairs. */
    RTC_LOG(RTC_LOG_INFO, "pc", "pc %u: ICE restart by the peer", pc->id);
    rtc_ice_config_t icfg = {.controlling = rtc_ice_agent_is_controlling(pc->ice)};
    rtc_ice_agent_t *next = rtc_ice_agent_create(&icfg, pc->now_us);
    if (next) rtc__pc_ice_replace(pc, next);
  }
  if (!pc->remote_ufrag || strcmp(pc->remote_ufrag, m->ice_ufrag) != 0) {
    free(pc->remote_ufrag);
    pc->remote_ufrag = strdup(m->ice_ufrag);
    rtc_ice_agent_set_remote_credentials(pc->ice, m->ice_ufrag, m->ice_pwd);
  }
  for (size_t i = 0; i < m->n_candidates; i++)
    add_remote_candidate(pc, m->candidates[i], false);
  if (m->end_of_candidates) rtc_ice_agent_set_remote_gathering_done(pc->ice);
  free(pc->remote_fp_alg);
  free(pc->remote_fp);
  pc->remote_fp_alg = strdup(m->fingerprint_alg);
  pc->remote_fp = strdup(m->fingerprint);
  pc->remote_sctp_port = m->sctp_port > 0 ? m->sctp_port : RTC_PC_SCTP_PORT;
  /* RFC 8841 6.1: no a=max-message-size means 64 KiB; 0 means no limit. */
  pc->remote_mms =
      m->max_message_size < 0 ? RTC_PC_RFC8841_DEFAULT_MMS : (size_t)m->max_message_size;
}

/* After an answer (local or remote) completes a negotiation. */
static void negotiation_done(rtc_pc_t *pc, const rtc_sdp_t *local, const rtc_sdp_t *remote) {
  rtc__pc_ice_commit(pc);
  int app = find_app_mline(remote);
  bool accepted = app >= 0 && app < (int)local->n_media && media_accepted(&local->media[app]);
  if (accepted && !pc->dtls_role_known) {
    rtc_sdp_setup_t ours = local->media[app].setup;
    if (ours == RTC_SDP_SETUP_ACTPASS || ours == RTC_SDP_SETUP_NONE)
      ours = remote->media[app].setup == RTC_SDP_SETUP_ACTIVE ? RTC_SDP_SETUP_PASSIVE
                                                              : RTC_SDP_SETUP_ACTIVE;
    pc->dtls_role = ours == RTC_SDP_SETUP_ACTIVE ? RTC_DTLS_ROLE_CLIENT : RTC_DTLS_ROLE_SERVER;
    pc->dtls_role_known = true;
  }
  if (accepted) {
    pc->have_application = true;
    free(pc->transport_local_mid);
    pc->transport_local_mid = strdup(local->media[app].mid ? local->media[app].mid : "0");
    pc->transport_local_mline = app;
  }
  pc->negotiation_needed_fired = false;
}

void rtc__pc_update_negotiation_needed(rtc_pc_t *pc) {
  if (pc->closed || pc->signaling != RTC_SIGNALING_STABLE) return;
  bool needed = pc->n_dcs > 0 && !pc->have_application;
  if (needed && !pc->negotiation_needed_fired) {
    pc->negotiation_needed_fired = true;
    rtc__pc_event_push(pc, RTC_PC_EVENT_NEGOTIATION_NEEDED);
  }
}

static void start_gathering(rtc_pc_t *pc, const rtc_sdp_t *local) {
  if (pc->gather_started || find_app_mline(local) < 0) return;
  pc->gather_started = true;
  pc->want_gather = true;
  if (!pc->transport_local_mid) {
    int app = find_app_mline(local);
    pc->transport_local_mid = strdup(local->media[app].mid ? local->media[app].mid : "0");
    pc->transport_local_mline = app;
  }
  pc->gathering = RTC_GATHERING_GATHERING;
  rtc__pc_event_push(pc, RTC_PC_EVENT_ICE_GATHERING_STATE)->ev.state = RTC_GATHERING_GATHERING;
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
                        signaling_names[pc->signaling]);
  }
  rtc__pc_ice_rollback(pc);
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
                     signaling_names[pc->signaling]);
    goto out;
  }
  if (!offer && pc->signaling != RTC_SIGNALING_HAVE_REMOTE_OFFER &&
      pc->signaling != RTC_SIGNALING_HAVE_LOCAL_PRANSWER) {
    r = rtc__pc_fail(pc, RTC_ESTATE, "%s: cannot set a local %s in state %s", what, type_name(type),
                     signaling_names[pc->signaling]);
    goto out;
  }
  if ((r = parse_desc(pc, what, sdp, &s)) < 0) goto out;
  int app = find_app_mline(s);
  if (app >= 0 && offer && pc->ice_next && s->media[app].ice_ufrag &&
      strcmp(s->media[app].ice_ufrag, rtc_ice_agent_local_ufrag(pc->ice_next)) == 0) {
    rtc_ice_agent_t *next = pc->ice_next;
    pc->ice_next = NULL;
    rtc__pc_ice_replace(pc, next);
  }
  if (app >= 0 && (!s->media[app].ice_ufrag ||
                   strcmp(s->media[app].ice_ufrag, rtc_ice_agent_local_ufrag(pc->ice)) != 0)) {
    r = rtc__pc_fail(pc, RTC_EINVAL,
                     "%s: the ICE credentials differ from the ones createOffer/createAnswer made",
                     what);
    goto out;
  }
  rtc_pc_desc_t d = {.type = type, .sdp = s};
  s = NULL;
  if (offer) {
    desc_move(&pc->pending_local, &d);
    rtc_ice_agent_set_controlling(pc->ice, !pc->remote_ice_lite);
    pc->is_offerer = true;
    set_signaling(pc, RTC_SIGNALING_HAVE_LOCAL_OFFER);
  } else if (type == RTC_SDP_PRANSWER) {
    desc_move(&pc->pending_local, &d);
    set_signaling(pc, RTC_SIGNALING_HAVE_LOCAL_PRANSWER);
  } else {
    desc_move(&pc->current_local, &d);
    rtc__pc_desc_clear(&pc->pending_local);
    desc_move(&pc->current_remote, &pc->pending_remote);
    negotiation_done(pc, pc->current_local.sdp, pc->current_remote.sdp);
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
  bool offer = type == RTC_SDP_OFFER;
  /* Glare: W3C setRemoteDescription rolls our pending offer back implicitly (what
   * "perfect negotiation" relies on) once the remote offer is known to be valid. */
  bool implicit_rollback = offer && pc->signaling == RTC_SIGNALING_HAVE_LOCAL_OFFER;
  if (offer && !implicit_rollback && pc->signaling != RTC_SIGNALING_STABLE &&
      pc->signaling != RTC_SIGNALING_HAVE_REMOTE_OFFER)
    return rtc__pc_fail(pc, RTC_ESTATE, "%s: cannot set a remote offer in state %s", what,
                        signaling_names[pc->signaling]);
  if (!offer && pc->signaling != RTC_SIGNALING_HAVE_LOCAL_OFFER &&
      pc->signaling != RTC_SIGNALING_HAVE_REMOTE_PRANSWER)
    return rtc__pc_fail(pc, RTC_ESTATE, "%s: cannot set a remote %s in state %s", what,
                        type_name(type), signaling_names[pc->signaling]);
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
    desc_move(&pc->pending_remote, &d);
    if (!pc->have_application) {
      /* JSEP 5.10: the answerer is controlled, unless the offerer is ICE lite. */
      rtc_ice_agent_set_controlling(pc->ice, pc->pending_remote.sdp->ice_lite);
      pc->is_offerer = false;
    }
    apply_remote_transport(pc, pc->pending_remote.sdp);
    set_signaling(pc, RTC_SIGNALING_HAVE_REMOTE_OFFER);
  } else if (type == RTC_SDP_PRANSWER) {
    desc_move(&pc->pending_remote, &d);
    apply_remote_transport(pc, pc->pending_remote.sdp);
    set_signaling(pc, RTC_SIGNALING_HAVE_REMOTE_PRANSWER);
  } else {
    desc_move(&pc->current_remote, &d);
    rtc__pc_desc_clear(&pc->pending_remote);
    desc_move(&pc->current_local, &pc->pending_local);
    if (pc->current_remote.sdp->ice_lite) rtc_ice_agent_set_controlling(pc->ice, true);
    apply_remote_transport(pc, pc->current_remote.sdp);
    negotiation_done(pc, pc->current_local.sdp, pc->current_remote.sdp);
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
    rtc_ice_agent_set_remote_gathering_done(pc->ice);
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
  int r = add_remote_candidate(pc, value, true);
  if (r < 0) return r;
  if (remote->media[idx].n_candidates < RTC_SDP_MAX_CANDIDATES) {
    rtc_sdp_media_add_candidate(&remote->media[idx], value);
    free(rd->text);
    rd->text = NULL;
  }
  return 0;
}

/* Local candidates go into the local descriptions too (W3C: localDescription shows
 * the candidates gathered so far). */
void rtc__pc_local_add_candidate(rtc_pc_t *pc, const char *value) {
  if (pc->n_local_cands >= RTC_ICE_MAX_LOCAL) return;
  char *v = strdup(value);
  if (!v) return;
  pc->local_cands[pc->n_local_cands++] = v;
  rtc_pc_desc_t *ds[] = {&pc->pending_local, &pc->current_local};
  for (size_t i = 0; i < 2; i++) {
    rtc_sdp_t *s = ds[i]->sdp;
    if (!s || pc->transport_local_mline < 0 || (size_t)pc->transport_local_mline >= s->n_media)
      continue;
    rtc_sdp_media_add_candidate(&s->media[pc->transport_local_mline], value);
    free(ds[i]->text);
    ds[i]->text = NULL;
  }
}

void rtc__pc_local_end_of_candidates(rtc_pc_t *pc) {
  pc->local_gather_done = true;
  rtc_pc_desc_t *ds[] = {&pc->pending_local, &pc->current_local};
  for (size_t i = 0; i < 2; i++) {
    rtc_sdp_t *s = ds[i]->sdp;
    if (!s || pc->transport_local_mline < 0 || (size_t)pc->transport_local_mline >= s->n_media)
      continue;
    s->media[pc->transport_local_mline].end_of_candidates = true;
    free(ds[i]->text);
    ds[i]->text = NULL;
  }
}
