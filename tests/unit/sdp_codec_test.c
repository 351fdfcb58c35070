/* Codec capabilities and negotiation (runtime/sdp/rtc_sdp_codec.h): our offers,
 * answers to every offer fixture (tests/fixtures/sdp), every answer fixture
 * applied to a luartc offer, H.264 profile matching, RTX/apt, rtcp-fb
 * intersection, preferences, per-m-line extension ids (aiortc), the session's
 * PT space. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/rtc_err.h"
#include "rtc_test.h"
#include "rtc_test_sdp.h"
#include "sdp/rtc_sdp.h"
#include "sdp/rtc_sdp_codec.h"
#include "sdp/rtc_sdp_rtp.h"

static rtc_sdp_t *parse_text(const char *text) {
  rtc_sdp_t *s = NULL;
  char err[256];
  int r = rtc_sdp_parse(text, strlen(text), &s, err, sizeof(err));
  if (r) fprintf(stderr, "  %s\n", err);
  CHECK_EQ_INT(r, 0);
  return s;
}

static rtc_sdp_rtp_t *view_of(const rtc_sdp_t *s, size_t i) {
  rtc_sdp_rtp_t *v = NULL;
  char err[256];
  if (!s || i >= s->n_media) return NULL;
  int r = rtc_sdp_rtp_parse(&s->media[i], &v, err, sizeof(err));
  if (r) fprintf(stderr, "  m-section %zu: %s\n", i, err);
  CHECK_EQ_INT(r, 0);
  return v;
}

static rtc_sdp_kind_t kind_of(const rtc_sdp_media_t *m) {
  return strcmp(m->type, "audio") == 0 ? RTC_SDP_AUDIO : RTC_SDP_VIDEO;
}

static bool is_av(const rtc_sdp_media_t *m) {
  return strcmp(m->type, "audio") == 0 || strcmp(m->type, "video") == 0;
}

static const rtc_sdp_codec_t *by_pt(const rtc_sdp_codec_set_t *set, uint8_t pt) {
  return rtc_sdp_codec_find(set, pt);
}

static rtc_sdp_codec_cap_t cap(const char *mime, uint32_t clock, uint8_t ch, const char *fmtp) {
  rtc_sdp_codec_cap_t c;
  memset(&c, 0, sizeof(c));
  snprintf(c.mime_type, sizeof(c.mime_type), "%s", mime);
  c.clock_rate = clock;
  c.channels = ch;
  snprintf(c.sdp_fmtp_line, sizeof(c.sdp_fmtp_line), "%s", fmtp ? fmtp : "");
  return c;
}

/* Writes a set into an m-section, serializes, parses, and checks that the view
 * holds the same PTs, names and fmtp: what we write is what peers read. */
static void check_written(const rtc_sdp_codec_set_t *set) {
  rtc_sdp_t *s = rtc_sdp_new();
  rtc_sdp_media_t *m = rtc_sdp_add_media(s, set->kind == RTC_SDP_AUDIO ? "audio" : "video", 9,
                                         "UDP/TLS/RTP/SAVPF", "0");
  CHECK(m != NULL);
  CHECK_EQ_INT(rtc_sdp_codec_write(m, set), 0);
  char *text = rtc_sdp_serialize(s);
  rtc_sdp_t *back = text ? parse_text(text) : NULL;
  rtc_sdp_rtp_t *v = view_of(back, 0);
  if (v) {
    CHECK_EQ_INT(v->n_codecs, set->n_codecs);
    for (size_t i = 0; i < set->n_codecs && i < v->n_codecs; i++) {
      const rtc_sdp_codec_t *c = &set->codecs[i];
      CHECK_EQ_INT(v->codecs[i].pt, c->pt);
      CHECK_STR(v->codecs[i].name, c->name);
      CHECK_EQ_INT(v->codecs[i].clock_rate, c->clock_rate);
      CHECK_STR(v->codecs[i].fmtp ? v->codecs[i].fmtp : "", c->fmtp);
      CHECK_EQ_INT(v->codecs[i].n_fb, (size_t)__builtin_popcount(c->fb));
    }
    CHECK_EQ_INT(v->n_extmaps, set->n_exts);
    CHECK(v->rtcp_mux);
    CHECK_EQ_INT(v->rtcp_rsize, set->rtcp_rsize);
  }
  rtc_sdp_rtp_free(v);
  rtc_sdp_free(back);
  free(text);
  rtc_sdp_free(s);
}

static void test_capabilities(void) {
  rtc_sdp_codec_cap_t caps[16];
  const char *uris[8];
  size_t n = rtc_sdp_codec_capabilities(RTC_SDP_AUDIO, caps, 16);
  CHECK_EQ_INT(n, 5);
  CHECK_STR(caps[0].mime_type, "audio/opus");
  CHECK_EQ_INT(caps[0].clock_rate, 48000);
  CHECK_EQ_INT(caps[0].channels, 2);
  CHECK_STR(caps[0].sdp_fmtp_line, "minptime=10;useinbandfec=1");
  CHECK_STR(caps[1].mime_type, "audio/PCMU");
  CHECK_EQ_INT(caps[1].channels, 1);
  CHECK_STR(caps[1].sdp_fmtp_line, "");
  n = rtc_sdp_codec_capabilities(RTC_SDP_VIDEO, caps, 16);
  CHECK_EQ_INT(n, 6);
  CHECK_STR(caps[0].mime_type, "video/VP8");
  CHECK_EQ_INT(caps[0].channels, 0);
  CHECK_STR(caps[1].sdp_fmtp_line, "profile-id=0");
  CHECK_STR(caps[2].sdp_fmtp_line,
            "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f");
  CHECK_STR(caps[4].mime_type, "video/AV1");
  CHECK_STR(caps[5].mime_type, "video/rtx");
  CHECK_EQ_INT(rtc_sdp_codec_capabilities(RTC_SDP_VIDEO, caps, 2), 6); /* count beyond max */
  CHECK_EQ_INT(rtc_sdp_codec_header_extensions(RTC_SDP_AUDIO, uris, 8), 4);
  CHECK_STR(uris[0], "urn:ietf:params:rtp-hdrext:ssrc-audio-level");
  CHECK_EQ_INT(rtc_sdp_codec_header_extensions(RTC_SDP_VIDEO, uris, 8), 5);
  CHECK_STR(uris[3], "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id");
  CHECK_STR(uris[4], "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id");
}

static void test_offer_defaults_and_write(void) {
  rtc_sdp_codec_space_t sp;
  rtc_sdp_codec_set_t a, v;
  rtc_sdp_codec_space_init(&sp);
  CHECK_EQ_INT(rtc_sdp_codec_offer(&sp, RTC_SDP_AUDIO, NULL, 0, &a), 0);
  CHECK_EQ_INT(rtc_sdp_codec_offer(&sp, RTC_SDP_VIDEO, NULL, 0, &v), 0);
  static const uint8_t apts[] = {111, 0, 8, 110, 126};
  CHECK_EQ_INT(a.n_codecs, 5);
  for (size_t i = 0; i < 5 && i < a.n_codecs; i++)
    CHECK_EQ_INT(a.codecs[i].pt, apts[i]);
  CHECK_STR(a.codecs[0].name, "opus");
  CHECK_EQ_INT(a.codecs[0].channels, 2);
  CHECK_EQ_INT(a.codecs[0].fb, RTC_SDP_FB_TRANSPORT_CC);
  CHECK_EQ_INT(a.n_exts, 4);
  CHECK_EQ_INT(rtc_sdp_codec_ext_id(&a, RTC_SDP_EXT_AUDIO_LEVEL), 1);
  CHECK_EQ_INT(rtc_sdp_codec_ext_id(&a, RTC_SDP_EXT_MID), 4);
  CHECK(a.rtcp_rsize);
  static const uint8_t vpts[] = {96, 97, 98, 99, 108, 109, 102, 103, 45, 46};
  CHECK_EQ_INT(v.n_codecs, 10);
  for (size_t i = 0; i < 10 && i < v.n_codecs; i++)
    CHECK_EQ_INT(v.codecs[i].pt, vpts[i]);
  CHECK_EQ_INT(v.codecs[1].id, RTC_SDP_CODEC_RTX);
  CHECK_EQ_INT(v.codecs[1].apt, 96);
  CHECK_STR(v.codecs[1].fmtp, "apt=96");
  CHECK_EQ_INT(v.codecs[4].h264_profile_level_id, 0x42e01f);
  CHECK_EQ_INT(v.codecs[0].fb, RTC_SDP_FB_NACK | RTC_SDP_FB_NACK_PLI | RTC_SDP_FB_CCM_FIR |
                                   RTC_SDP_FB_GOOG_REMB | RTC_SDP_FB_TRANSPORT_CC);
  CHECK_EQ_INT(rtc_sdp_codec_ext_id(&v, RTC_SDP_EXT_MID), 4);
  CHECK_EQ_INT(rtc_sdp_codec_ext_id(&v, RTC_SDP_EXT_RID), 10);
  CHECK_EQ_INT(rtc_sdp_codec_ext_id(&v, RTC_SDP_EXT_AUDIO_LEVEL), 0);
  /* One PT space: no PT means two things across the two m-lines. */
  for (size_t i = 0; i < a.n_codecs; i++)
    CHECK(by_pt(&v, a.codecs[i].pt) == NULL);
  /* An offer made again from the same space gives the same numbers (JSEP 5.2.2). */
  rtc_sdp_codec_set_t v2;
  CHECK_EQ_INT(rtc_sdp_codec_offer(&sp, RTC_SDP_VIDEO, NULL, 0, &v2), 0);
  CHECK(memcmp(&v, &v2, sizeof(v)) == 0);
  CHECK(rtc_sdp_codec_primary(&v) == &v.codecs[0]);
  CHECK(rtc_sdp_codec_rtx_for(&v, 108) == &v.codecs[5]);
  CHECK(rtc_sdp_codec_find(&v, 45) == &v.codecs[8]);
  CHECK(rtc_sdp_codec_find(&v, 111) == NULL);
  check_written(&a);
  check_written(&v);
  CHECK_EQ_INT(rtc_sdp_codec_offer(&sp, (rtc_sdp_kind_t)7, NULL, 0, &v2), RTC_EINVAL);
}

static void test_offer_preferences(void) {
  rtc_sdp_codec_set_t v;
  rtc_sdp_codec_cap_t p[3];
  char err[256];
  p[0] = cap("video/H264", 90000, 0,
             "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f");
  p[1] = cap("video/vp8", 90000, 0, NULL); /* mimeType compares case-insensitively */
  CHECK_EQ_INT(rtc_sdp_codec_check_prefs(RTC_SDP_VIDEO, p, 2, err, sizeof(err)), 0);
  CHECK_EQ_INT(rtc_sdp_codec_offer(NULL, RTC_SDP_VIDEO, p, 2, &v), 0);
  CHECK_EQ_INT(v.n_codecs, 2); /* no video/rtx in the preferences: no RTX */
  CHECK_EQ_INT(v.codecs[0].pt, 102);
  CHECK_EQ_INT(v.codecs[1].pt, 96);
  p[2] = cap("video/rtx", 90000, 0, NULL);
  CHECK_EQ_INT(rtc_sdp_codec_offer(NULL, RTC_SDP_VIDEO, p, 3, &v), 0);
  CHECK_EQ_INT(v.n_codecs, 4);
  CHECK_EQ_INT(v.codecs[1].apt, 102);
  CHECK_EQ_INT(v.codecs[3].apt, 96);
  /* Errors: unknown codec, RTX only, wrong kind. */
  p[0] = cap("video/H265", 90000, 0, NULL);
  CHECK_EQ_INT(rtc_sdp_codec_check_prefs(RTC_SDP_VIDEO, p, 1, err, sizeof(err)), RTC_EINVAL);
  CHECK(strstr(err, "video/H265") != NULL);
  CHECK_EQ_INT(rtc_sdp_codec_check_prefs(RTC_SDP_VIDEO, &p[2], 1, err, sizeof(err)), RTC_EINVAL);
  CHECK(strstr(err, "only RTX") != NULL);
  p[0] = cap("audio/opus", 48000, 2, "minptime=10;useinbandfec=1");
  CHECK_EQ_INT(rtc_sdp_codec_check_prefs(RTC_SDP_VIDEO, p, 1, err, sizeof(err)), RTC_EINVAL);
  CHECK_EQ_INT(rtc_sdp_codec_check_prefs(RTC_SDP_AUDIO, p, 1, err, sizeof(err)), 0);
  p[0] = cap("audio/opus", 48000, 2, "stereo=1"); /* sdpFmtpLine must match too */
  CHECK_EQ_INT(rtc_sdp_codec_check_prefs(RTC_SDP_AUDIO, p, 1, err, sizeof(err)), RTC_EINVAL);
  CHECK_EQ_INT(rtc_sdp_codec_offer(NULL, RTC_SDP_AUDIO, p, 1, &v), RTC_ENOTFOUND);
  CHECK_EQ_INT(rtc_sdp_codec_check_prefs(RTC_SDP_AUDIO, NULL, 0, err, sizeof(err)), 0);
  /* W3C codec dictionary match: a member absent on one side only is a mismatch. */
  p[0] = cap("video/H264", 90000, 0, NULL);
  CHECK_EQ_INT(rtc_sdp_codec_check_prefs(RTC_SDP_VIDEO, p, 1, err, sizeof(err)), RTC_EINVAL);
  p[0] = cap("audio/PCMU", 8000, 0, NULL);
  CHECK_EQ_INT(rtc_sdp_codec_check_prefs(RTC_SDP_AUDIO, p, 1, err, sizeof(err)), RTC_EINVAL);
  p[0] = cap("audio/pcmu", 8000, 1, NULL);
  CHECK_EQ_INT(rtc_sdp_codec_check_prefs(RTC_SDP_AUDIO, p, 1, err, sizeof(err)), 0);
  p[0] = cap("video/rtx", 0, 0, NULL);
  p[1] = cap("video/VP8", 90000, 0, NULL);
  CHECK_EQ_INT(rtc_sdp_codec_check_prefs(RTC_SDP_VIDEO, p, 2, err, sizeof(err)), RTC_EINVAL);
}

/* Answer every audio/video m-line of every offer fixture: Opus for audio, a
 * video codec we have, all with the offer's PTs, RTX only with its apt. */
static void test_answer_every_offer_fixture(void) {
  DIR *d = opendir(RTC_TEST_FIXTURES);
  int lines = 0;
  CHECK(d != NULL);
  if (!d) return;
  for (struct dirent *e; (e = readdir(d));) {
    if (!strstr(e->d_name, "offer-audio-video") && !strstr(e->d_name, "reoffer")) continue;
    rtc_sdp_t *s = parse_fixture(e->d_name);
    rtc_sdp_codec_space_t sp;
    rtc_sdp_codec_space_init(&sp);
    for (size_t i = 0; s && i < s->n_media; i++) {
      if (!is_av(&s->media[i])) continue;
      rtc_sdp_rtp_t *v = view_of(s, i);
      rtc_sdp_codec_set_t ans;
      char err[128];
      if (!v) continue;
      lines++;
      int r = rtc_sdp_codec_answer(&sp, kind_of(&s->media[i]), v, NULL, 0, &ans, err, sizeof(err));
      if (r) fprintf(stderr, "  %s m%zu: %s\n", e->d_name, i, err);
      CHECK_EQ_INT(r, 0);
      const rtc_sdp_codec_t *p = rtc_sdp_codec_primary(&ans);
      CHECK(p != NULL);
      if (p && kind_of(&s->media[i]) == RTC_SDP_AUDIO) CHECK_EQ_INT(p->id, RTC_SDP_CODEC_OPUS);
      if (p && kind_of(&s->media[i]) == RTC_SDP_VIDEO) CHECK_EQ_INT(p->id, RTC_SDP_CODEC_VP8);
      /* The offer's first codec is what every one of these offers prefers. */
      if (p) CHECK_EQ_INT(p->pt, v->codecs[0].pt);
      for (size_t k = 0; k < ans.n_codecs; k++) {
        CHECK(rtc_sdp_rtp_find_codec(v, ans.codecs[k].pt) != NULL);
        if (ans.codecs[k].id == RTC_SDP_CODEC_RTX) CHECK(by_pt(&ans, ans.codecs[k].apt) != NULL);
      }
      check_written(&ans);
      rtc_sdp_rtp_free(v);
    }
    rtc_sdp_free(s);
  }
  closedir(d);
  CHECK_EQ_INT(lines, 22); /* 9 offers + 2 re-offers, 2 m-lines each */
}

static void test_answer_chromium_offer(void) {
  rtc_sdp_t *s = parse_fixture("chromium-156-offer-audio-video-datachannel.sdp");
  rtc_sdp_rtp_t *a = view_of(s, 0), *v = view_of(s, 1);
  rtc_sdp_codec_set_t ans;
  char err[128];
  if (!a || !v) goto out;
  CHECK_EQ_INT(rtc_sdp_codec_answer(NULL, RTC_SDP_AUDIO, a, NULL, 0, &ans, err, sizeof(err)), 0);
  /* opus 111, PCMU, PCMA, telephone-event 110/126; not red 63, G722 9, CN 13. */
  static const uint8_t apts[] = {111, 0, 8, 110, 126};
  CHECK_EQ_INT(ans.n_codecs, 5);
  for (size_t i = 0; i < 5 && i < ans.n_codecs; i++)
    CHECK_EQ_INT(ans.codecs[i].pt, apts[i]);
  CHECK_EQ_INT(ans.codecs[0].fb, RTC_SDP_FB_TRANSPORT_CC);
  CHECK_STR(ans.codecs[0].fmtp, "minptime=10;useinbandfec=1");
  CHECK_STR(ans.codecs[0].remote_fmtp, "minptime=10;useinbandfec=1");
  CHECK_EQ_INT(ans.n_exts, 4);
  CHECK_EQ_INT(rtc_sdp_codec_ext_id(&ans, RTC_SDP_EXT_AUDIO_LEVEL), 1);
  CHECK_EQ_INT(rtc_sdp_codec_ext_id(&ans, RTC_SDP_EXT_TWCC), 3);
  CHECK(ans.rtcp_rsize);

  CHECK_EQ_INT(rtc_sdp_codec_answer(NULL, RTC_SDP_VIDEO, v, NULL, 0, &ans, err, sizeof(err)), 0);
  /* VP8 96/97; H264 42001f pm1 102/103 and 42e01f pm1 108/109 (pm0 104/114 and
   * Main 116/39 refused); AV1 45/46; VP9 profile 0 98/99 (profile 2 100 refused);
   * red 118, ulpfec 120 refused with their RTX. */
  static const uint8_t vpts[] = {96, 97, 102, 103, 108, 109, 45, 46, 98, 99};
  CHECK_EQ_INT(ans.n_codecs, 10);
  for (size_t i = 0; i < 10 && i < ans.n_codecs; i++)
    CHECK_EQ_INT(ans.codecs[i].pt, vpts[i]);
  const rtc_sdp_codec_t *h = by_pt(&ans, 102);
  CHECK(h && h->h264_profile_level_id == 0x42001f && h->h264_remote_profile_level_id == 0x42001f);
  CHECK(h && strcmp(h->fmtp,
                    "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f") == 0);
  CHECK(by_pt(&ans, 98) && strcmp(by_pt(&ans, 98)->remote_fmtp, "profile-id=0") == 0);
  CHECK_EQ_INT(ans.codecs[0].fb, RTC_SDP_FB_NACK | RTC_SDP_FB_NACK_PLI | RTC_SDP_FB_CCM_FIR |
                                     RTC_SDP_FB_GOOG_REMB | RTC_SDP_FB_TRANSPORT_CC);
  CHECK_EQ_INT(ans.codecs[1].fb, 0);
  /* toffset, orientation, playout-delay, ... left out; ours with Chrome's ids. */
  CHECK_EQ_INT(ans.n_exts, 5);
  CHECK_EQ_INT(rtc_sdp_codec_ext_id(&ans, RTC_SDP_EXT_ABS_SEND_TIME), 2);
  CHECK_EQ_INT(rtc_sdp_codec_ext_id(&ans, RTC_SDP_EXT_RID), 10);
  CHECK_EQ_INT(rtc_sdp_codec_ext_id(&ans, RTC_SDP_EXT_RRID), 11);

  /* Preferences reorder (W3C setCodecPreferences on the answerer). */
  rtc_sdp_codec_cap_t p[3] = {
      cap("video/H264", 90000, 0,
          "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"),
      cap("video/VP8", 90000, 0, NULL), cap("video/rtx", 90000, 0, NULL)};
  CHECK_EQ_INT(rtc_sdp_codec_answer(NULL, RTC_SDP_VIDEO, v, p, 3, &ans, err, sizeof(err)), 0);
  CHECK_EQ_INT(ans.n_codecs, 4);
  CHECK(ans.n_codecs == 4 && ans.codecs[0].pt == 108 && ans.codecs[1].pt == 109 &&
        ans.codecs[2].pt == 96 && ans.codecs[3].pt == 97);
  CHECK_EQ_INT(rtc_sdp_codec_answer(NULL, RTC_SDP_VIDEO, v, p, 2, &ans, err, sizeof(err)), 0);
  CHECK_EQ_INT(ans.n_codecs, 2); /* no RTX without video/rtx */
out:
  rtc_sdp_rtp_free(a);
  rtc_sdp_rtp_free(v);
  rtc_sdp_free(s);
}

/* aiortc 1.4 maps extension id 2 to ssrc-audio-level on audio and to
 * abs-send-time on video: answered per m-line, without error. */
static void test_aiortc_extmap_per_mline(void) {
  rtc_sdp_t *s = parse_fixture("aiortc-1.4-offer-audio-video-datachannel.sdp");
  rtc_sdp_rtp_t *a = view_of(s, 0), *v = view_of(s, 1);
  rtc_sdp_codec_space_t sp;
  rtc_sdp_codec_set_t aa, va, vo;
  char err[128];
  rtc_sdp_codec_space_init(&sp);
  if (!a || !v) goto out;
  CHECK_EQ_INT(rtc_sdp_codec_answer(&sp, RTC_SDP_AUDIO, a, NULL, 0, &aa, err, sizeof(err)), 0);
  CHECK_EQ_INT(rtc_sdp_codec_answer(&sp, RTC_SDP_VIDEO, v, NULL, 0, &va, err, sizeof(err)), 0);
  CHECK_EQ_INT(rtc_sdp_codec_ext_id(&aa, RTC_SDP_EXT_MID), 1);
  CHECK_EQ_INT(rtc_sdp_codec_ext_id(&aa, RTC_SDP_EXT_AUDIO_LEVEL), 2);
  CHECK_EQ_INT(rtc_sdp_codec_ext_id(&va, RTC_SDP_EXT_MID), 1);
  CHECK_EQ_INT(rtc_sdp_codec_ext_id(&va, RTC_SDP_EXT_ABS_SEND_TIME), 2);
  CHECK_EQ_INT(sp.ext[2], RTC_SDP_EXT_AUDIO_LEVEL); /* the first meaning is kept */
  /* opus 96 (aiortc's number), PCMU, PCMA; VP8 97 + rtx 98, H264 99 (42001f)
   * + rtx 100, H264 101 (42e01f) + rtx 102. */
  CHECK_EQ_INT(aa.n_codecs, 3);
  CHECK_EQ_INT(aa.codecs[0].pt, 96);
  CHECK_EQ_INT(aa.codecs[0].id, RTC_SDP_CODEC_OPUS);
  CHECK_EQ_INT(va.n_codecs, 6);
  CHECK(by_pt(&va, 101) && by_pt(&va, 101)->h264_profile_level_id == 0x42e01f);
  CHECK(by_pt(&va, 102) && by_pt(&va, 102)->apt == 101);
  CHECK_EQ_INT(va.codecs[0].fb, RTC_SDP_FB_NACK | RTC_SDP_FB_NACK_PLI | RTC_SDP_FB_GOOG_REMB);
  CHECK(!va.rtcp_rsize); /* aiortc offers no rtcp-rsize */
  /* A later offer of ours in that session keeps off aiortc's numbers: 96 is
   * opus there, so our VP8 goes elsewhere; its extension ids follow the space. */
  CHECK_EQ_INT(rtc_sdp_codec_offer(&sp, RTC_SDP_VIDEO, NULL, 0, &vo), 0);
  CHECK(by_pt(&vo, 96) == NULL);
  CHECK_EQ_INT(vo.codecs[0].id, RTC_SDP_CODEC_VP8);
  CHECK_EQ_INT(vo.codecs[0].pt, 97); /* VP8 was negotiated at 97: reused */
  CHECK_EQ_INT(rtc_sdp_codec_ext_id(&vo, RTC_SDP_EXT_MID), 1);
  CHECK(rtc_sdp_codec_ext_id(&vo, RTC_SDP_EXT_ABS_SEND_TIME) != 2);
  for (size_t i = 0; i < vo.n_codecs; i++)
    for (size_t k = i + 1; k < vo.n_codecs; k++)
      CHECK(vo.codecs[i].pt != vo.codecs[k].pt);
out:
  rtc_sdp_rtp_free(a);
  rtc_sdp_rtp_free(v);
  rtc_sdp_free(s);
}

/* Every answer fixture (each answered Chromium's offer) applied to a luartc
 * offer: Opus and VP8 to send with, the answer's PTs, extensions we offered. */
static void test_apply_every_answer_fixture(void) {
  DIR *d = opendir(RTC_TEST_FIXTURES);
  int lines = 0;
  CHECK(d != NULL);
  if (!d) return;
  rtc_sdp_codec_set_t offer[2];
  CHECK_EQ_INT(rtc_sdp_codec_offer(NULL, RTC_SDP_AUDIO, NULL, 0, &offer[0]), 0);
  CHECK_EQ_INT(rtc_sdp_codec_offer(NULL, RTC_SDP_VIDEO, NULL, 0, &offer[1]), 0);
  for (struct dirent *e; (e = readdir(d));) {
    if (!strstr(e->d_name, "-answer-")) continue;
    rtc_sdp_t *s = parse_fixture(e->d_name);
    for (size_t i = 0; s && i < s->n_media; i++) {
      if (!is_av(&s->media[i])) continue;
      rtc_sdp_rtp_t *v = view_of(s, i);
      rtc_sdp_codec_set_t send;
      char err[128];
      if (!v) continue;
      lines++;
      const rtc_sdp_codec_set_t *o = &offer[kind_of(&s->media[i])];
      int r = rtc_sdp_codec_apply_answer(NULL, o, v, &send, err, sizeof(err));
      if (r) fprintf(stderr, "  %s m%zu: %s\n", e->d_name, i, err);
      CHECK_EQ_INT(r, 0);
      const rtc_sdp_codec_t *p = rtc_sdp_codec_primary(&send);
      CHECK(p != NULL);
      if (p) {
        CHECK_EQ_INT(p->id, o->kind == RTC_SDP_AUDIO ? RTC_SDP_CODEC_OPUS : RTC_SDP_CODEC_VP8);
        CHECK_EQ_INT(p->pt, o->kind == RTC_SDP_AUDIO ? 111 : 96);
      }
      for (size_t k = 0; k < send.n_codecs; k++) {
        CHECK(rtc_sdp_rtp_find_codec(v, send.codecs[k].pt) != NULL);
        if (send.codecs[k].id == RTC_SDP_CODEC_RTX) CHECK(by_pt(&send, send.codecs[k].apt));
      }
      for (size_t k = 0; k < send.n_exts; k++) {
        CHECK(rtc_sdp_codec_ext_id(o, send.exts[k].ext) != 0);
        CHECK_EQ_INT(rtc_sdp_rtp_find_extmap(v, send.exts[k].uri), send.exts[k].id);
      }
      rtc_sdp_rtp_free(v);
    }
    rtc_sdp_free(s);
  }
  closedir(d);
  CHECK_EQ_INT(lines, 18); /* 9 answers, 2 m-lines each */

  /* Spot checks: Firefox answers VP8 96 + rtx 97, not H264; Janus's VP8 has
   * rtx 97; Pion answers only transport-cc as extension. */
  rtc_sdp_t *s = parse_fixture("firefox-153-answer-audio-video-datachannel.sdp");
  rtc_sdp_rtp_t *v = view_of(s, 1);
  rtc_sdp_codec_set_t send;
  if (v) {
    CHECK_EQ_INT(rtc_sdp_codec_apply_answer(NULL, &offer[1], v, &send, NULL, 0), 0);
    CHECK(by_pt(&send, 97) && by_pt(&send, 97)->apt == 96);
    for (size_t k = 0; k < send.n_codecs; k++)
      CHECK(send.codecs[k].id != RTC_SDP_CODEC_H264);
    CHECK_EQ_INT(rtc_sdp_codec_ext_id(&send, RTC_SDP_EXT_MID), 4);
    CHECK_EQ_INT(rtc_sdp_codec_ext_id(&send, RTC_SDP_EXT_RID), 0);
  }
  rtc_sdp_rtp_free(v);
  rtc_sdp_free(s);
  s = parse_fixture("pion-3.1-answer-audio-video-datachannel.sdp");
  v = view_of(s, 0);
  if (v) {
    CHECK_EQ_INT(rtc_sdp_codec_apply_answer(NULL, &offer[0], v, &send, NULL, 0), 0);
    CHECK_EQ_INT(send.n_exts, 1);
    CHECK_EQ_INT(rtc_sdp_codec_ext_id(&send, RTC_SDP_EXT_TWCC), 3);
    CHECK_EQ_INT(send.n_codecs, 3); /* opus, PCMU, PCMA (G722 we did not offer) */
  }
  rtc_sdp_rtp_free(v);
  rtc_sdp_free(s);
  /* werift answered Chromium's H264 PTs: 102 is 42001f there (ours: 102 too),
   * 108 is 42e01f (ours 108): matched by codec, sent under the answer's PT. */
  s = parse_fixture("werift-0.24-answer-audio-video-datachannel.sdp");
  v = view_of(s, 1);
  if (v) {
    CHECK_EQ_INT(rtc_sdp_codec_apply_answer(NULL, &offer[1], v, &send, NULL, 0), 0);
    CHECK(by_pt(&send, 102) && by_pt(&send, 102)->h264_remote_profile_level_id == 0x42001f);
    CHECK(by_pt(&send, 108) && by_pt(&send, 108)->h264_remote_profile_level_id == 0x42e01f);
    CHECK(by_pt(&send, 104) == NULL);                /* packetization-mode 0 */
    CHECK(rtc_sdp_codec_rtx_for(&send, 96) == NULL); /* werift answered no RTX */
  }
  rtc_sdp_rtp_free(v);
  rtc_sdp_free(s);
}

#define HEAD "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"

/* Answers one synthetic video m-section; returns the result code. */
static int answer_text(const char *media, rtc_sdp_kind_t kind, rtc_sdp_codec_set_t *out, char *err,
                       size_t errlen) {
  char text[2048];
  snprintf(text, sizeof(text), HEAD "%s", media);
  rtc_sdp_t *s = parse_text(text);
  rtc_sdp_rtp_t *v = view_of(s, 0);
  int r = v ? rtc_sdp_codec_answer(NULL, kind, v, NULL, 0, out, err, errlen) : -100;
  rtc_sdp_rtp_free(v);
  rtc_sdp_free(s);
  return r;
}

static void test_h264_profiles(void) {
  uint32_t x = 0;
  CHECK(rtc_sdp_h264_parse_plid("42e01f", &x) && x == 0x42e01f);
  CHECK(rtc_sdp_h264_parse_plid("42E01F", &x) && x == 0x42e01f);
  CHECK(!rtc_sdp_h264_parse_plid("42e01", &x));
  CHECK(!rtc_sdp_h264_parse_plid("42e01fa", &x));
  CHECK(!rtc_sdp_h264_parse_plid("42g01f", &x));
  /* Constrained Baseline spelled three ways (H.264 A.2.1.1), levels aside. */
  CHECK(rtc_sdp_h264_same_profile(0x42e01f, 0x42c034));
  CHECK(rtc_sdp_h264_same_profile(0x42e01f, 0x4d801f));
  CHECK(rtc_sdp_h264_same_profile(0x42e01f, 0x58c01f));
  CHECK(!rtc_sdp_h264_same_profile(0x42e01f, 0x42001f)); /* Baseline */
  CHECK(rtc_sdp_h264_same_profile(0x42001f, 0x42200b));  /* Baseline + set2 */
  CHECK(!rtc_sdp_h264_same_profile(0x42e01f, 0x4d001f)); /* Main */
  CHECK(!rtc_sdp_h264_same_profile(0x640c1f, 0x64001f)); /* Constrained High vs High */
  CHECK(!rtc_sdp_h264_same_profile(0x42e01f, 0x42e11f)); /* reserved bits set: no profile */
  CHECK(!rtc_sdp_h264_same_profile(0x000000, 0x000000));

  static const struct {
    const char *fmtp;
    uint32_t answer; /* our profile-level-id, 0 = not taken */
  } cases[] = {
      /* Level asymmetry on both sides: we state our own level. */
      {"level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e034", 0x42e01f},
      {"level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e00b", 0x42e01f},
      /* Without it: the lower of the two levels (RFC 6184 8.2.2). */
      {"packetization-mode=1;profile-level-id=42e00b", 0x42e00b},
      {"packetization-mode=1;profile-level-id=42e034", 0x42e01f},
      /* Same profile in another spelling: the offerer's profile bytes stay. */
      {"packetization-mode=1;profile-level-id=4d8015", 0x4d8015},
      /* Level 1b (level_idc 11 + constraint_set3) is below 1.1 and 3.1. */
      {"packetization-mode=1;profile-level-id=42f00b", 0x42f00b},
      /* No profile-level-id: Baseline level 1 (42000a) by default. */
      {"packetization-mode=1", 0x42000a},
      /* Refused: packetization-mode 0 (default) or 2, Main, High, garbage. */
      {"profile-level-id=42e01f", 0},
      {"packetization-mode=2;profile-level-id=42e01f", 0},
      {"packetization-mode=1;profile-level-id=4d001f", 0},
      {"packetization-mode=1;profile-level-id=640c1f", 0},
      {"packetization-mode=1;profile-level-id=zz", 0},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char media[512], err[128];
    rtc_sdp_codec_set_t ans;
    snprintf(media, sizeof(media),
             "m=video 9 UDP/TLS/RTP/SAVPF 100 101\r\na=rtpmap:100 H264/90000\r\n"
             "a=fmtp:100 %s\r\na=rtpmap:101 rtx/90000\r\na=fmtp:101 apt=100\r\n",
             cases[i].fmtp);
    int r = answer_text(media, RTC_SDP_VIDEO, &ans, err, sizeof(err));
    if (!cases[i].answer) {
      CHECK_EQ_INT(r, RTC_ENOTFOUND);
      CHECK_STR(err, "no video codec in common");
      continue;
    }
    CHECK_EQ_INT(r, 0);
    if (r) continue;
    CHECK_EQ_INT(ans.n_codecs, 2); /* the RTX survives with its H.264 */
    CHECK_EQ_INT(ans.codecs[0].h264_profile_level_id, cases[i].answer);
    char want[128];
    snprintf(want, sizeof(want),
             "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=%06x",
             cases[i].answer);
    CHECK_STR(ans.codecs[0].fmtp, want);
  }
}

/* rtcp-fb intersected, RTX dropped with its refused apt, no codec in common. */
static void test_fb_rtx_and_refusals(void) {
  rtc_sdp_codec_set_t ans;
  char err[128];
  int r = answer_text("m=video 9 UDP/TLS/RTP/SAVPF 96 97 100 101\r\n"
                      "a=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 nack\r\na=rtcp-fb:96 ccm fir\r\n"
                      "a=rtcp-fb:96 goog-lntf\r\na=rtcp-fb:96 ccm tmmbr\r\n"
                      "a=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n"
                      "a=rtpmap:100 H264/90000\r\na=fmtp:100 profile-level-id=42e01f\r\n"
                      "a=rtpmap:101 rtx/90000\r\na=fmtp:101 apt=100\r\n",
                      RTC_SDP_VIDEO, &ans, err, sizeof(err));
  CHECK_EQ_INT(r, 0);
  CHECK_EQ_INT(ans.n_codecs, 2);
  CHECK_EQ_INT(ans.codecs[0].fb, RTC_SDP_FB_NACK | RTC_SDP_FB_CCM_FIR);
  CHECK_EQ_INT(ans.codecs[1].apt, 96);
  CHECK(!ans.rtcp_rsize);
  CHECK_EQ_INT(ans.n_exts, 0);
  /* An RTX whose apt names a PT not on the line, or no apt at all: dropped. */
  r = answer_text("m=video 9 UDP/TLS/RTP/SAVPF 96 97 98\r\na=rtpmap:96 VP8/90000\r\n"
                  "a=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=95\r\na=rtpmap:98 rtx/90000\r\n",
                  RTC_SDP_VIDEO, &ans, err, sizeof(err));
  CHECK_EQ_INT(r, 0);
  CHECK_EQ_INT(ans.n_codecs, 1);
  /* Audio: no common codec (G722, red) -> refused with a reason. */
  r = answer_text("m=audio 9 UDP/TLS/RTP/SAVPF 9 63\r\na=rtpmap:63 red/48000/2\r\n", RTC_SDP_AUDIO,
                  &ans, err, sizeof(err));
  CHECK_EQ_INT(r, RTC_ENOTFOUND);
  CHECK_STR(err, "no audio codec in common");
  /* Opus must be stereo-capable 48000 (RFC 7587); opus/48000/1 is not Opus. */
  r = answer_text("m=audio 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 opus/48000/1\r\n", RTC_SDP_AUDIO,
                  &ans, err, sizeof(err));
  CHECK_EQ_INT(r, RTC_ENOTFOUND);
  /* A VP9 of profile 2 or an AV1 of profile 1: refused. */
  r = answer_text("m=video 9 UDP/TLS/RTP/SAVPF 98 45\r\na=rtpmap:98 VP9/90000\r\n"
                  "a=fmtp:98 profile-id=2\r\na=rtpmap:45 AV1/90000\r\na=fmtp:45 profile=1\r\n",
                  RTC_SDP_VIDEO, &ans, err, sizeof(err));
  CHECK_EQ_INT(r, RTC_ENOTFOUND);
  /* Extension direction mirrored, ids above 14 left out. */
  r = answer_text("m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n"
                  "a=extmap:5/sendonly urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
                  "a=extmap:20 urn:ietf:params:rtp-hdrext:sdes:mid\r\n",
                  RTC_SDP_AUDIO, &ans, err, sizeof(err));
  CHECK_EQ_INT(r, 0);
  CHECK_EQ_INT(ans.n_exts, 1);
  CHECK_EQ_INT(ans.exts[0].id, 5);
  CHECK_EQ_INT(ans.exts[0].direction, RTC_SDP_DIR_RECVONLY);
  CHECK_EQ_INT(rtc_sdp_codec_answer(NULL, RTC_SDP_AUDIO, NULL, NULL, 0, &ans, NULL, 0), RTC_EINVAL);
}

/* An answer that uses other PTs than our offer (against JSEP, seen in the wild):
 * matched by codec; an answer with nothing we offered is refused. */
static void test_apply_renumbered_answer(void) {
  rtc_sdp_codec_set_t offer, send;
  char err[128];
  CHECK_EQ_INT(rtc_sdp_codec_offer(NULL, RTC_SDP_VIDEO, NULL, 0, &offer), 0);
  rtc_sdp_t *s = parse_text(HEAD "m=video 9 UDP/TLS/RTP/SAVPF 120 121 122\r\n"
                                 "a=rtpmap:120 VP8/90000\r\na=rtcp-fb:120 nack pli\r\n"
                                 "a=rtpmap:121 rtx/90000\r\na=fmtp:121 apt=120\r\n"
                                 "a=rtpmap:122 H264/90000\r\n"
                                 "a=fmtp:122 packetization-mode=1;profile-level-id=42e015\r\n"
                                 "a=rtcp-rsize\r\n");
  rtc_sdp_rtp_t *v = view_of(s, 0);
  if (v) {
    CHECK_EQ_INT(rtc_sdp_codec_apply_answer(NULL, &offer, v, &send, err, sizeof(err)), 0);
    CHECK_EQ_INT(send.n_codecs, 3);
    CHECK_EQ_INT(send.codecs[0].pt, 120);
    CHECK_EQ_INT(send.codecs[0].fb, RTC_SDP_FB_NACK_PLI);
    CHECK_EQ_INT(send.codecs[1].pt, 121);
    CHECK_EQ_INT(send.codecs[1].apt, 120);
    CHECK_EQ_INT(send.codecs[2].h264_remote_profile_level_id, 0x42e015);
    CHECK(send.rtcp_rsize);
  }
  rtc_sdp_rtp_free(v);
  rtc_sdp_free(s);
  s = parse_text(HEAD "m=video 9 UDP/TLS/RTP/SAVPF 100\r\na=rtpmap:100 H265/90000\r\n");
  v = view_of(s, 0);
  if (v) {
    CHECK_EQ_INT(rtc_sdp_codec_apply_answer(NULL, &offer, v, &send, err, sizeof(err)),
                 RTC_ENOTFOUND);
    CHECK_STR(err, "no video codec in common");
  }
  rtc_sdp_rtp_free(v);
  rtc_sdp_free(s);
}

/* The view of a set as written into an m-section (the SDP a peer reads). */
static rtc_sdp_rtp_t *written_view(const rtc_sdp_codec_set_t *set, rtc_sdp_t **keep) {
  rtc_sdp_t *s = rtc_sdp_new();
  rtc_sdp_media_t *m = rtc_sdp_add_media(s, set->kind == RTC_SDP_AUDIO ? "audio" : "video", 9,
                                         "UDP/TLS/RTP/SAVPF", "0");
  CHECK(m && rtc_sdp_codec_write(m, set) == 0);
  char *text = rtc_sdp_serialize(s);
  rtc_sdp_free(s);
  *keep = text ? parse_text(text) : NULL;
  free(text);
  return view_of(*keep, 0);
}

/* luartc offers, luartc answers (with preferences on the answerer), the offerer
 * applies the answer: both ends agree on PTs, RTX, feedback and extension ids. */
static void test_luartc_to_luartc(void) {
  rtc_sdp_codec_space_t sa, sb;
  rtc_sdp_codec_set_t offer, answer, send;
  rtc_sdp_codec_cap_t p[2] = {
      cap("video/H264", 90000, 0,
          "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"),
      cap("video/rtx", 90000, 0, NULL)};
  rtc_sdp_codec_space_init(&sa);
  rtc_sdp_codec_space_init(&sb);
  for (int kind = RTC_SDP_AUDIO; kind <= RTC_SDP_VIDEO; kind++) {
    rtc_sdp_t *so = NULL, *sn = NULL;
    CHECK_EQ_INT(rtc_sdp_codec_offer(&sa, (rtc_sdp_kind_t)kind, NULL, 0, &offer), 0);
    rtc_sdp_rtp_t *ov = written_view(&offer, &so);
    bool video = kind == RTC_SDP_VIDEO;
    CHECK(ov && rtc_sdp_codec_answer(&sb, (rtc_sdp_kind_t)kind, ov, video ? p : NULL, video ? 2 : 0,
                                     &answer, NULL, 0) == 0);
    rtc_sdp_rtp_t *av = written_view(&answer, &sn);
    CHECK(av && rtc_sdp_codec_apply_answer(&sa, &offer, av, &send, NULL, 0) == 0);
    const rtc_sdp_codec_t *c = rtc_sdp_codec_primary(&send);
    CHECK(c != NULL);
    if (c && !video) {
      CHECK_EQ_INT(c->id, RTC_SDP_CODEC_OPUS);
      CHECK_EQ_INT(c->pt, 111);
      CHECK_EQ_INT(send.n_codecs, 5);
    }
    if (c && video) {
      /* Only what the answerer preferred: H.264 Constrained Baseline + its RTX. */
      CHECK_EQ_INT(send.n_codecs, 2);
      CHECK_EQ_INT(c->id, RTC_SDP_CODEC_H264);
      CHECK_EQ_INT(c->pt, 108);
      CHECK_EQ_INT(c->h264_remote_profile_level_id, 0x42e01f);
      CHECK_EQ_INT(c->fb, offer.codecs[4].fb);
      CHECK(rtc_sdp_codec_rtx_for(&send, 108) && rtc_sdp_codec_rtx_for(&send, 108)->pt == 109);
    }
    CHECK_EQ_INT(send.n_exts, offer.n_exts);
    for (size_t i = 0; i < send.n_exts; i++)
      CHECK_EQ_INT(send.exts[i].id, rtc_sdp_codec_ext_id(&offer, send.exts[i].ext));
    CHECK(send.rtcp_rsize);
    /* Both spaces hold the same meaning for every PT used. */
    for (size_t i = 0; i < send.n_codecs; i++)
      CHECK_EQ_INT(sa.pt[send.codecs[i].pt].id, sb.pt[send.codecs[i].pt].id);
    rtc_sdp_rtp_free(ov);
    rtc_sdp_rtp_free(av);
    rtc_sdp_free(so);
    rtc_sdp_free(sn);
  }
}

int main(void) {
  RUN_TEST(test_capabilities);
  RUN_TEST(test_offer_defaults_and_write);
  RUN_TEST(test_offer_preferences);
  RUN_TEST(test_answer_every_offer_fixture);
  RUN_TEST(test_answer_chromium_offer);
  RUN_TEST(test_aiortc_extmap_per_mline);
  RUN_TEST(test_apply_every_answer_fixture);
  RUN_TEST(test_h264_profiles);
  RUN_TEST(test_fb_rtx_and_refusals);
  RUN_TEST(test_apply_renumbered_answer);
  RUN_TEST(test_luartc_to_luartc);
  TEST_MAIN_END();
}
