// libFuzzer target for the SDP media layer: parse, then the typed RTP view of
// every m-section (runtime/sdp/rtc_sdp_rtp.h), then negotiation over it
// (runtime/sdp/rtc_sdp_codec.h): answer it as an offer, apply it as an answer
// to our offer, all in one session space. A view either builds or fails with
// RTC_EPARSE/RTC_ELIMIT and a message; a negotiated set only holds PTs of the
// view, RTX only with its apt, and what we write of it parses back.
//
// Build: bash tests/fuzz/build.sh (seeds: tests/fixtures/sdp).
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/rtc_err.h"
#include "sdp/rtc_sdp.h"
#include "sdp/rtc_sdp_codec.h"
#include "sdp/rtc_sdp_rtp.h"

static void check_set(const rtc_sdp_codec_set_t *set, const rtc_sdp_rtp_t *v) {
  if (!set->n_codecs || set->n_codecs > RTC_SDP_CODEC_MAX || set->n_exts > RTC_SDP_EXT_MAX) abort();
  for (size_t i = 0; i < set->n_codecs; i++) {
    const rtc_sdp_codec_t *c = &set->codecs[i];
    if (!rtc_sdp_rtp_find_codec(v, c->pt)) abort();
    if (c->id == RTC_SDP_CODEC_RTX) {
      bool found = false;
      for (size_t k = 0; k < set->n_codecs; k++)
        found |= set->codecs[k].pt == c->apt && set->codecs[k].id != RTC_SDP_CODEC_RTX;
      if (!found) abort();
    }
  }
  for (size_t i = 0; i < set->n_exts; i++)
    if (set->exts[i].id < 1 || set->exts[i].id > 14) abort();
  /* What we would write parses back to a view with the same PTs. */
  rtc_sdp_t *w = rtc_sdp_new();
  rtc_sdp_media_t *m = w ? rtc_sdp_add_media(w, "video", 9, "UDP/TLS/RTP/SAVPF", "0") : NULL;
  if (!m || rtc_sdp_codec_write(m, set) != 0) abort();
  char *text = rtc_sdp_serialize(w), err[256];
  rtc_sdp_t *back = NULL;
  rtc_sdp_rtp_t *bv = NULL;
  if (!text || rtc_sdp_parse(text, strlen(text), &back, err, sizeof(err)) != 0) abort();
  if (rtc_sdp_rtp_parse(&back->media[0], &bv, err, sizeof(err)) != 0) abort();
  if (bv->n_codecs != set->n_codecs) abort();
  rtc_sdp_rtp_free(bv);
  rtc_sdp_free(back);
  free(text);
  rtc_sdp_free(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static rtc_sdp_codec_space_t space;
  static rtc_sdp_codec_set_t ours, set;
  rtc_sdp_t *s = NULL;
  char err[256];
  if (rtc_sdp_parse((const char *)data, size, &s, err, sizeof(err)) != 0) return 0;
  rtc_sdp_codec_space_init(&space);
  for (size_t i = 0; i < s->n_media; i++) {
    rtc_sdp_rtp_t *v = NULL;
    err[0] = '\0';
    int r = rtc_sdp_rtp_parse(&s->media[i], &v, err, sizeof(err));
    if (r) {
      if (v || (r != RTC_EPARSE && r != RTC_ELIMIT) || !err[0]) abort();
      continue;
    }
    if (v->n_codecs > s->media[i].n_fmts || v->n_extmaps > RTC_SDP_RTP_MAX_EXTMAPS) abort();
    for (size_t k = 0; k < v->n_codecs; k++) {
      if (v->codecs[k].pt > 127 || !v->codecs[k].name || v->codecs[k].n_fb > RTC_SDP_RTP_MAX_FB)
        abort();
      for (size_t j = 0; j < v->codecs[k].n_params; j++)
        if (!v->codecs[k].params[j].key) abort();
    }
    for (int kind = RTC_SDP_AUDIO; kind <= RTC_SDP_VIDEO; kind++) {
      r = rtc_sdp_codec_answer(&space, (rtc_sdp_kind_t)kind, v, NULL, 0, &set, err, sizeof(err));
      if (r == 0)
        check_set(&set, v);
      else if (r != RTC_ENOTFOUND)
        abort();
      /* Many m-sections can fill the session's PT space: then offers fail. */
      r = rtc_sdp_codec_offer(&space, (rtc_sdp_kind_t)kind, NULL, 0, &ours);
      if (r == RTC_ELIMIT) continue;
      if (r != 0) abort();
      r = rtc_sdp_codec_apply_answer(&space, &ours, v, &set, err, sizeof(err));
      if (r == 0)
        check_set(&set, v);
      else if (r != RTC_ENOTFOUND)
        abort();
    }
    rtc_sdp_rtp_free(v);
  }
  rtc_sdp_free(s);
  return 0;
}
