/* Field-by-field comparison of two parsed descriptions, for the round-trip
 * checks of the unit tests and the fuzzer (parse(serialize(parse(x))) must equal
 * parse(x)). */
#include <string.h>

#include "sdp/rtc_sdp.h"
#include "sdp/rtc_sdp_internal.h"

static bool sdp_str_eq(const char *a, const char *b) {
  return a == b || (a && b && strcmp(a, b) == 0);
}

static bool sdp_attrs_eq(const rtc_sdp_attr_t *a, size_t na, const rtc_sdp_attr_t *b, size_t nb) {
  if (na != nb) return false;
  for (size_t i = 0; i < na; i++)
    if (!sdp_str_eq(a[i].name, b[i].name) || !sdp_str_eq(a[i].value, b[i].value)) return false;
  return true;
}

#define SDP_CMP_STR(f)                                                                             \
  do {                                                                                             \
    if (!sdp_str_eq(a->f, b->f)) return #f;                                                        \
  } while (0)
#define SDP_CMP_VAL(f)                                                                             \
  do {                                                                                             \
    if (a->f != b->f) return #f;                                                                   \
  } while (0)

static const char *sdp_media_diff(const rtc_sdp_media_t *a, const rtc_sdp_media_t *b) {
  SDP_CMP_STR(type);
  SDP_CMP_VAL(port);
  SDP_CMP_VAL(port_count);
  SDP_CMP_STR(proto);
  SDP_CMP_VAL(n_fmts);
  for (size_t i = 0; i < a->n_fmts; i++)
    SDP_CMP_STR(fmts[i]);
  SDP_CMP_STR(conn_addr);
  SDP_CMP_STR(conn_addrtype);
  SDP_CMP_STR(mid);
  SDP_CMP_STR(ice_ufrag);
  SDP_CMP_STR(ice_pwd);
  SDP_CMP_STR(ice_options);
  SDP_CMP_VAL(ice_lite);
  SDP_CMP_STR(fingerprint_alg);
  SDP_CMP_STR(fingerprint);
  SDP_CMP_VAL(setup);
  SDP_CMP_VAL(direction);
  SDP_CMP_VAL(rtcp_mux);
  SDP_CMP_VAL(rtcp_mux_only);
  SDP_CMP_VAL(bundle_only);
  SDP_CMP_VAL(sctp_port);
  SDP_CMP_VAL(max_message_size);
  SDP_CMP_VAL(end_of_candidates);
  SDP_CMP_VAL(n_candidates);
  for (size_t i = 0; i < a->n_candidates; i++)
    SDP_CMP_STR(candidates[i]);
  if (!sdp_attrs_eq(a->attrs, a->n_attrs, b->attrs, b->n_attrs)) return "media attrs";
  return NULL;
}

const char *rtc__sdp_diff(const rtc_sdp_t *a, const rtc_sdp_t *b) {
  SDP_CMP_STR(origin_username);
  SDP_CMP_STR(session_id);
  SDP_CMP_STR(session_version);
  SDP_CMP_STR(origin_nettype);
  SDP_CMP_STR(origin_addrtype);
  SDP_CMP_STR(origin_addr);
  SDP_CMP_STR(session_name);
  SDP_CMP_STR(conn_addr);
  SDP_CMP_STR(conn_addrtype);
  SDP_CMP_VAL(has_bundle_group);
  SDP_CMP_VAL(n_bundle_mids);
  for (size_t i = 0; i < a->n_bundle_mids; i++)
    SDP_CMP_STR(bundle_mids[i]);
  SDP_CMP_VAL(ice_lite);
  if (!sdp_attrs_eq(a->attrs, a->n_attrs, b->attrs, b->n_attrs)) return "session attrs";
  SDP_CMP_VAL(n_media);
  for (size_t i = 0; i < a->n_media; i++) {
    const char *d = sdp_media_diff(&a->media[i], &b->media[i]);
    if (d) return d;
  }
  return NULL;
}
