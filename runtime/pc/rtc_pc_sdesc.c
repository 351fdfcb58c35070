/* Session descriptions as the pc keeps them: the four W3C descriptions, their text,
 * the m-line rules every JSEP step shares (which m-line is accepted, which one
 * carries the BUNDLE transport) and the transport attributes of our m-lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rtc_err.h"
#include "pc/rtc_pc_internal.h"

void rtc__pc_desc_clear(rtc_pc_desc_t *d) {
  rtc_sdp_free(d->sdp);
  free(d->text);
  d->sdp = NULL;
  d->text = NULL;
}

void rtc__pc_desc_move(rtc_pc_desc_t *dst, rtc_pc_desc_t *src) {
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

/* ---- m-line rules ---- */

bool rtc__pc_is_sctp_mline(const rtc_sdp_media_t *m) {
  return strcmp(m->type, "application") == 0 && m->proto && strstr(m->proto, "SCTP") != NULL;
}

bool rtc__pc_mline_accepted(const rtc_sdp_media_t *m) { return m->port != 0 || m->bundle_only; }

int rtc__pc_app_mline(const rtc_sdp_t *s) {
  for (size_t i = 0; i < s->n_media; i++)
    if (rtc__pc_is_sctp_mline(&s->media[i]) && rtc__pc_mline_accepted(&s->media[i])) return (int)i;
  return -1;
}

bool rtc__pc_in_bundle(const rtc_sdp_t *s, size_t idx) {
  const char *mid = s->media[idx].mid;
  if (!s->has_bundle_group || !mid) return false;
  for (size_t i = 0; i < s->n_bundle_mids; i++)
    if (strcmp(s->bundle_mids[i], mid) == 0) return true;
  return false;
}

/* RFC 8843 7.2.1 / 7.3.1: the BUNDLE group's transport is the tagged m-line's: the
 * first mid of the group whose m-line has a port (bundle-only ones have none).
 * Without a group (or an unusable one): the first accepted m-line. */
int rtc__pc_transport_mline(const rtc_sdp_t *s) {
  for (size_t i = 0; s->has_bundle_group && i < s->n_bundle_mids; i++) {
    int idx = rtc_sdp_find_mid(s, s->bundle_mids[i]);
    if (idx >= 0 && s->media[idx].port != 0) return idx;
  }
  for (size_t i = 0; s->has_bundle_group && i < s->n_bundle_mids; i++) {
    int idx = rtc_sdp_find_mid(s, s->bundle_mids[i]);
    if (idx >= 0 && rtc__pc_mline_accepted(&s->media[idx])) return idx;
  }
  for (size_t i = 0; i < s->n_media; i++)
    if (rtc__pc_mline_accepted(&s->media[i])) return (int)i;
  return -1;
}

/* ---- building our descriptions ---- */

void rtc__pc_set_origin(rtc_pc_t *pc, rtc_sdp_t *s) {
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

/* ICE and DTLS attributes of one of our m-lines (every bundled m-line carries the same
 * credentials, RFC 8843 7.1.3); candidates go on the transport m-line only.
 * ice: the agent whose credentials go out (a restart offer's new agent, else ours). */
int rtc__pc_fill_transport(rtc_pc_t *pc, rtc_ice_agent_t *ice, rtc_sdp_media_t *m,
                           rtc_sdp_setup_t setup, bool with_candidates) {
  int r = 0;
  r |= rtc_sdp_set_str(&m->conn_addr, "0.0.0.0");
  r |= rtc_sdp_set_str(&m->conn_addrtype, "IP4");
  r |= rtc_sdp_set_str(&m->ice_ufrag, rtc_ice_agent_local_ufrag(ice));
  r |= rtc_sdp_set_str(&m->ice_pwd, rtc_ice_agent_local_pwd(ice));
  r |= rtc_sdp_set_str(&m->ice_options, "trickle");
  r |= rtc_sdp_set_str(&m->fingerprint_alg, "sha-256");
  r |= rtc_sdp_set_str(&m->fingerprint, rtc_dtls_cert_fingerprint(pc->cert));
  m->setup = setup;
  if (rtc__pc_is_sctp_mline(m)) {
    m->sctp_port = RTC_PC_SCTP_PORT;
    m->max_message_size = (int64_t)pc->cfg.max_message_size;
  }
  /* A restart offer carries no old candidates. */
  if (!with_candidates || ice != rtc_transport_ice(pc->transport)) return r ? RTC_ENOMEM : 0;
  const char *const *cands;
  size_t n = rtc_transport_local_candidates(pc->transport, &cands);
  for (size_t i = 0; i < n && r == 0; i++)
    r |= rtc_sdp_media_add_candidate(m, cands[i]);
  m->end_of_candidates = rtc_transport_local_gathering_done(pc->transport);
  return r ? RTC_ENOMEM : 0;
}

/* An m-line we do not use: kept in place (m-lines never disappear), port 0. */
int rtc__pc_add_rejected(rtc_sdp_t *s, const rtc_sdp_media_t *src) {
  rtc_sdp_media_t *m =
      rtc_sdp_add_media(s, src->type, 0, src->proto, src->n_fmts ? src->fmts[0] : "0");
  if (!m) return RTC_ENOMEM;
  if (rtc_sdp_set_str(&m->conn_addr, "0.0.0.0") || rtc_sdp_set_str(&m->conn_addrtype, "IP4"))
    return RTC_ENOMEM;
  if (src->mid && rtc_sdp_set_str(&m->mid, src->mid)) return RTC_ENOMEM;
  m->direction = RTC_SDP_DIR_INACTIVE;
  return 0;
}

int rtc__pc_add_bundle(rtc_sdp_t *s, const char *mid) {
  if (s->n_bundle_mids >= RTC_SDP_MAX_MEDIA) return RTC_ELIMIT;
  s->bundle_mids[s->n_bundle_mids] = strdup(mid);
  if (!s->bundle_mids[s->n_bundle_mids]) return RTC_ENOMEM;
  s->n_bundle_mids++;
  s->has_bundle_group = true;
  return 0;
}

/* Serializes a built description (consumed) unless building failed. */
int rtc__pc_finish_description(rtc_pc_t *pc, const char *what, rtc_sdp_t *s, int err,
                               char **sdp_out) {
  /* RFC 8830's session-level semantic line, as Firefox ("WMS *") and Chromium write it:
   * libwebrtc reads a description without it and without a=msid as signaling no msid
   * and puts its tracks into a stream "default"; old versions ignored a=msid without it. */
  if (!err && !rtc_sdp_find_attr(s->attrs, s->n_attrs, "msid-semantic"))
    err = rtc_sdp_add_attr(&s->attrs, &s->n_attrs, "msid-semantic", "WMS *");
  if (!err) {
    *sdp_out = rtc_sdp_serialize(s);
    if (!*sdp_out) err = RTC_ENOMEM;
  }
  rtc_sdp_free(s);
  return err ? rtc__pc_fail(pc, err, "%s: %s", what, rtc_strerror(err)) : 0;
}

/* ---- our candidates in our descriptions ---- */

/* Local candidates go into the local descriptions too (W3C: localDescription shows
 * the candidates gathered so far), on the transport m-line. */
void rtc__pc_local_add_candidate(rtc_pc_t *pc, const char *value) {
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
