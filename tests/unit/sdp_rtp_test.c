/* Typed RTP attributes (runtime/sdp/rtc_sdp_rtp.h): every audio/video m-line of
 * the real SDPs in tests/fixtures/sdp gives a view, with values spot-checked per
 * implementation; malformed attributes fail naming the line; the writers produce
 * text that parses back to the same view. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rtc_err.h"
#include "rtc_test.h"
#include "rtc_test_sdp.h"
#include "sdp/rtc_sdp.h"
#include "sdp/rtc_sdp_rtp.h"

/* The view of m-section i of a fixture (NULL on failure, reported). */
static rtc_sdp_rtp_t *view_of(const rtc_sdp_t *s, size_t i) {
  rtc_sdp_rtp_t *v = NULL;
  char err[256];
  if (!s || i >= s->n_media) return NULL;
  int r = rtc_sdp_rtp_parse(&s->media[i], &v, err, sizeof(err));
  if (r) fprintf(stderr, "  m-section %zu: %s\n", i, err);
  CHECK_EQ_INT(r, 0);
  return v;
}

static const rtc_sdp_rtp_codec_t *codec(const rtc_sdp_rtp_t *v, uint8_t pt) {
  const rtc_sdp_rtp_codec_t *c = rtc_sdp_rtp_find_codec(v, pt);
  CHECK(c != NULL);
  return c;
}

/* Every audio/video m-line of every fixture: a view in which every payload type
 * of the m= line has a name and a clock rate, and every rtx names its apt. */
static void test_every_fixture_media_line(void) {
  DIR *d = opendir(RTC_TEST_FIXTURES);
  int lines = 0, codecs = 0;
  CHECK(d != NULL);
  if (!d) return;
  for (struct dirent *e; (e = readdir(d));) {
    size_t l = strlen(e->d_name);
    if (l < 5 || strcmp(e->d_name + l - 4, ".sdp") != 0) continue;
    rtc_sdp_t *s = parse_fixture(e->d_name);
    for (size_t i = 0; s && i < s->n_media; i++) {
      const rtc_sdp_media_t *m = &s->media[i];
      if (strcmp(m->type, "audio") != 0 && strcmp(m->type, "video") != 0) continue;
      rtc_sdp_rtp_t *v = view_of(s, i);
      if (!v) {
        fprintf(stderr, "  in %s\n", e->d_name);
        continue;
      }
      lines++;
      CHECK_EQ_INT(v->n_codecs, m->n_fmts);
      CHECK(v->rtcp_mux);
      for (size_t k = 0; k < v->n_codecs; k++) {
        const rtc_sdp_rtp_codec_t *c = &v->codecs[k];
        codecs++;
        CHECK(c->name[0] != '\0');
        CHECK(c->clock_rate >= 8000);
        if (strcasecmp(c->name, "rtx") == 0) {
          const char *apt = rtc_sdp_rtp_codec_param(c, "apt");
          CHECK(apt != NULL);
          CHECK(apt && rtc_sdp_rtp_find_codec(v, (uint8_t)atoi(apt)) != NULL);
        }
      }
      for (size_t k = 0; k < v->n_extmaps; k++)
        CHECK(v->extmaps[k].id >= 1 && v->extmaps[k].id <= 14);
      rtc_sdp_rtp_free(v);
    }
    rtc_sdp_free(s);
  }
  closedir(d);
  /* 29 fixtures: 20 carry one audio and one video m-line. */
  CHECK_EQ_INT(lines, 40);
  printf("  %d audio/video m-lines, %d payload types\n", lines, codecs);
}

static void test_chromium_offer(void) {
  rtc_sdp_t *s = parse_fixture("chromium-156-offer-audio-video-datachannel.sdp");
  rtc_sdp_rtp_t *a = view_of(s, 0), *v = view_of(s, 1);
  if (!a || !v) goto out;
  /* a=rtpmap:111 opus/48000/2, a=fmtp:111 minptime=10;useinbandfec=1 */
  CHECK_EQ_INT(a->n_codecs, 8);
  const rtc_sdp_rtp_codec_t *c = &a->codecs[0];
  CHECK_EQ_INT(c->pt, 111);
  CHECK_STR(c->name, "opus");
  CHECK_EQ_INT(c->clock_rate, 48000);
  CHECK_EQ_INT(c->channels, 2);
  CHECK_STR(c->fmtp, "minptime=10;useinbandfec=1");
  CHECK_EQ_INT(c->n_params, 2);
  CHECK_STR(c->params[0].key, "minptime");
  CHECK_STR(c->params[0].value, "10");
  CHECK_STR(rtc_sdp_rtp_codec_param(c, "useinbandfec"), "1");
  CHECK(rtc_sdp_rtp_codec_has_fb(c, "transport-cc", NULL));
  CHECK(!rtc_sdp_rtp_codec_has_fb(c, "nack", NULL));
  /* a=fmtp:63 111/111: a token without '=' */
  c = codec(a, 63);
  CHECK_STR(c->name, "red");
  CHECK_EQ_INT(c->n_params, 1);
  CHECK_STR(c->params[0].key, "111/111");
  CHECK(c->params[0].value == NULL);
  CHECK_EQ_INT(codec(a, 9)->channels, 0); /* a=rtpmap:9 G722/8000 */
  CHECK_EQ_INT(codec(a, 126)->clock_rate, 8000);
  CHECK_EQ_INT(a->n_extmaps, 4);
  CHECK_EQ_INT(rtc_sdp_rtp_find_extmap(a, "urn:ietf:params:rtp-hdrext:ssrc-audio-level"), 1);
  CHECK_EQ_INT(rtc_sdp_rtp_find_extmap(a, "urn:ietf:params:rtp-hdrext:sdes:mid"), 4);
  CHECK(a->rtcp_rsize);
  CHECK_EQ_INT(a->n_msids, 1);
  CHECK_STR(a->msids[0].stream_id, "44c9d9af-de05-4fd3-bb15-ad2bc09f23cf");
  CHECK_STR(a->msids[0].track_id, "c0178680-b74f-42e7-adcc-332bcf3d1f01");
  CHECK_EQ_INT(a->n_ssrcs, 2);
  CHECK_EQ_INT(a->ssrcs[0].ssrc, 908919030);
  CHECK_STR(rtc_sdp_rtp_ssrc_attr(a, 908919030, "cname"), "nc5FaHW3zYfjqwvP");

  /* Video: 23 payload types, VP8 96 with its five feedbacks, rtx 97 apt=96. */
  CHECK_EQ_INT(v->n_codecs, 23);
  c = codec(v, 96);
  CHECK_STR(c->name, "VP8");
  CHECK_EQ_INT(c->clock_rate, 90000);
  CHECK_EQ_INT(c->channels, 0);
  CHECK(c->fmtp == NULL);
  CHECK_EQ_INT(c->n_fb, 5);
  CHECK(rtc_sdp_rtp_codec_has_fb(c, "goog-remb", NULL));
  CHECK(rtc_sdp_rtp_codec_has_fb(c, "nack", NULL));
  CHECK(rtc_sdp_rtp_codec_has_fb(c, "nack", "pli"));
  CHECK(rtc_sdp_rtp_codec_has_fb(c, "ccm", "fir"));
  CHECK(!rtc_sdp_rtp_codec_has_fb(c, "ccm", NULL));
  CHECK_STR(rtc_sdp_rtp_codec_param(codec(v, 97), "apt"), "96");
  c = codec(v, 102);
  CHECK_STR(c->name, "H264");
  CHECK_EQ_INT(c->n_params, 3);
  CHECK_STR(c->params[0].key, "level-asymmetry-allowed");
  CHECK_STR(c->params[2].value, "42001f");
  CHECK_STR(rtc_sdp_rtp_codec_param(codec(v, 98), "profile-id"), "0");
  CHECK_STR(rtc_sdp_rtp_codec_param(codec(v, 45), "level-idx"), "5");
  CHECK_EQ_INT(rtc_sdp_rtp_find_extmap(v, "urn:ietf:params:rtp-hdrext:toffset"), 14);
  CHECK_EQ_INT(rtc_sdp_rtp_find_extmap(v, "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"), 10);
  CHECK_EQ_INT(v->n_groups, 1);
  CHECK_STR(v->groups[0].semantics, "FID");
  CHECK_EQ_INT(v->groups[0].n_ssrcs, 2);
  CHECK_EQ_INT(v->groups[0].ssrcs[0], 975089282u);
  CHECK_EQ_INT(v->groups[0].ssrcs[1], 3850311110u);
  CHECK_STR(rtc_sdp_rtp_ssrc_attr(v, 3850311110u, "msid"),
            "44c9d9af-de05-4fd3-bb15-ad2bc09f23cf 95b0cae2-0d5c-44d0-94e5-c02f4a1a7b9c");
out:
  rtc_sdp_rtp_free(a);
  rtc_sdp_rtp_free(v);
  rtc_sdp_free(s);
}

static void test_firefox_offer(void) {
  rtc_sdp_t *s = parse_fixture("firefox-153-offer-audio-video-datachannel.sdp");
  rtc_sdp_rtp_t *a = view_of(s, 0), *v = view_of(s, 1);
  if (!a || !v) goto out;
  const rtc_sdp_rtp_codec_t *c = &a->codecs[0];
  CHECK_EQ_INT(c->pt, 109);
  CHECK_STR(c->name, "opus");
  CHECK_STR(rtc_sdp_rtp_codec_param(c, "stereo"), "1");
  CHECK_STR(rtc_sdp_rtp_codec_param(c, "maxplaybackrate"), "48000");
  CHECK_EQ_INT(codec(a, 9)->channels, 1); /* G722/8000/1 */
  CHECK_STR(codec(a, 101)->params[0].key, "0-15");
  /* a=extmap:2/recvonly urn:ietf:params:rtp-hdrext:csrc-audio-level */
  int found = 0;
  for (size_t i = 0; i < a->n_extmaps; i++)
    if (a->extmaps[i].id == 2) {
      found = 1;
      CHECK_EQ_INT(a->extmaps[i].direction, RTC_SDP_DIR_RECVONLY);
      CHECK_STR(a->extmaps[i].uri, "urn:ietf:params:rtp-hdrext:csrc-audio-level");
    }
  CHECK(found);
  CHECK(a->extmap_allow_mixed);
  CHECK(!a->rtcp_rsize); /* rtcp-rsize on video only */
  CHECK(v->rtcp_rsize);
  c = codec(v, 120);
  CHECK_STR(c->name, "VP8");
  CHECK_STR(rtc_sdp_rtp_codec_param(c, "max-fs"), "12288");
  CHECK_STR(rtc_sdp_rtp_codec_param(codec(v, 124), "apt"), "120");
  CHECK_EQ_INT(v->n_groups, 1);
  CHECK(v->msids[0].stream_id[0] == '{');
out:
  rtc_sdp_rtp_free(a);
  rtc_sdp_rtp_free(v);
  rtc_sdp_free(s);
}

/* Quirks: GStreamer's "OPUS/48000" without channels, werift's upper-case OPUS,
 * aiortc's extmap id 2 meaning two things, Pion's legacy ssrc attributes. */
static void test_quirks(void) {
  rtc_sdp_t *s = parse_fixture("gstreamer-1.22-offer-audio-video-datachannel.sdp");
  rtc_sdp_rtp_t *v = view_of(s, 0);
  if (v) {
    CHECK_STR(v->codecs[0].name, "OPUS");
    CHECK_EQ_INT(v->codecs[0].channels, 0);
    CHECK_EQ_INT(v->n_extmaps, 0);
    CHECK(v->rtcp_rsize);
  }
  rtc_sdp_rtp_free(v);
  rtc_sdp_free(s);

  s = parse_fixture("werift-0.24-offer-audio-video-datachannel.sdp");
  v = view_of(s, 0);
  if (v) {
    CHECK_EQ_INT(v->codecs[0].pt, 96);
    CHECK_STR(v->codecs[0].name, "OPUS");
    CHECK_EQ_INT(v->codecs[0].channels, 2);
    CHECK_EQ_INT(v->n_msids, 0);
    CHECK(v->n_ssrcs >= 1 && strcmp(v->ssrcs[0].attr, "cname") == 0);
  }
  rtc_sdp_rtp_free(v);
  rtc_sdp_free(s);

  s = parse_fixture("aiortc-1.4-offer-audio-video-datachannel.sdp");
  rtc_sdp_rtp_t *a = view_of(s, 0);
  v = view_of(s, 1);
  if (a && v) {
    CHECK_EQ_INT(rtc_sdp_rtp_find_extmap(a, "urn:ietf:params:rtp-hdrext:ssrc-audio-level"), 2);
    CHECK_EQ_INT(
        rtc_sdp_rtp_find_extmap(v, "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"),
        2);
    CHECK_STR(a->codecs[0].name, "opus");
    CHECK_EQ_INT(a->codecs[0].pt, 96);
    CHECK_STR(codec(a, 0)->name, "PCMU");
    CHECK_STR(rtc_sdp_rtp_codec_param(codec(v, 101), "profile-level-id"), "42e01f");
  }
  rtc_sdp_rtp_free(a);
  rtc_sdp_rtp_free(v);
  rtc_sdp_free(s);

  s = parse_fixture("pion-3.1-offer-audio-video-datachannel.sdp");
  v = view_of(s, 1);
  if (v) {
    CHECK_EQ_INT(v->n_extmaps, 1);
    CHECK_EQ_INT(v->extmaps[0].id, 1);
    int mslabel = 0;
    for (size_t i = 0; i < v->n_ssrcs; i++)
      mslabel += strcmp(v->ssrcs[i].attr, "mslabel") == 0;
    CHECK(mslabel >= 1);
  }
  rtc_sdp_rtp_free(v);
  rtc_sdp_free(s);
}

#define HEAD "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"

static rtc_sdp_t *parse_text(const char *text, int want, const char *want_err) {
  rtc_sdp_t *s = NULL;
  char err[256] = "";
  int r = rtc_sdp_parse(text, strlen(text), &s, err, sizeof(err));
  CHECK_EQ_INT(r, want);
  if (want_err) {
    if (!strstr(err, want_err)) fprintf(stderr, "  got error \"%s\"\n", err);
    CHECK(strstr(err, want_err) != NULL);
  }
  return s;
}

/* Static payload types need no rtpmap (RFC 3551 6); rid and simulcast. */
static void test_static_pts_rid_simulcast(void) {
  rtc_sdp_t *s = parse_text(HEAD "m=audio 9 RTP/AVP 0 8 9\r\n"
                                 "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n"
                                 "a=rtpmap:96 VP8/90000\r\na=rtpmap:97 VP8/90000\r\n"
                                 "a=rtcp-fb:* nack\r\na=rtcp-fb:96 nack pli\r\n"
                                 "a=rid:hi send pt=96;max-width=1280\r\na=rid:lo send\r\n"
                                 "a=simulcast:send hi;~lo recv r0\r\n"
                                 "a=extmap:3/sendonly urn:x extra attrs\r\n",
                            0, NULL);
  rtc_sdp_rtp_t *a = view_of(s, 0), *v = view_of(s, 1);
  if (a && v) {
    CHECK_STR(a->codecs[0].name, "PCMU");
    CHECK_EQ_INT(a->codecs[0].clock_rate, 8000);
    CHECK(!a->codecs[0].has_rtpmap);
    CHECK_STR(a->codecs[1].name, "PCMA");
    CHECK_STR(a->codecs[2].name, "G722");
    CHECK(!a->rtcp_mux);
    CHECK_EQ_INT(v->codecs[0].n_fb, 2); /* "*" nack, then its own nack pli, as written */
    CHECK_STR(v->codecs[0].fb[0].type, "nack");
    CHECK(v->codecs[0].fb[0].subtype == NULL);
    CHECK_STR(v->codecs[0].fb[1].subtype, "pli");
    CHECK_EQ_INT(v->codecs[1].n_fb, 1);
    CHECK_EQ_INT(v->n_rids, 2);
    CHECK_STR(v->rids[0].id, "hi");
    CHECK(v->rids[0].send);
    CHECK_STR(v->rids[0].params, "pt=96;max-width=1280");
    CHECK(v->rids[1].params == NULL);
    CHECK_STR(v->simulcast, "send hi;~lo recv r0");
    CHECK_STR(v->simulcast_send, "hi;~lo");
    CHECK_STR(v->simulcast_recv, "r0");
    CHECK_EQ_INT(v->extmaps[0].direction, RTC_SDP_DIR_SENDONLY);
    CHECK_STR(v->extmaps[0].ext_attrs, "extra attrs");
  }
  rtc_sdp_rtp_free(a);
  rtc_sdp_rtp_free(v);
  rtc_sdp_free(s);
}

/* A malformed typed attribute fails rtc_sdp_parse naming the line; on a
 * non-RTP m-line the same text is just kept. */
static void test_malformed_lines(void) {
  static const struct {
    const char *attr, *err;
  } cases[] = {
      {"a=rtpmap:96 VP8", "line 6: a=rtpmap:96 VP8: needs <name>/<clock rate>"},
      {"a=rtpmap:96", "line 6: a=rtpmap:96: needs <pt> <name>/<clock rate>"},
      {"a=rtpmap:128 VP8/90000", "payload type must be 0..127"},
      {"a=rtpmap:96 VP8/0", "bad clock rate"},
      {"a=rtpmap:96 opus/48000/x", "bad channel count"},
      {"a=rtpmap", "a=rtpmap: needs a value"},
      {"a=fmtp:x apt=96", "payload type must be 0..127"},
      {"a=fmtp:96 =1", "parameter without a name"},
      {"a=rtcp-fb:96", "needs <pt> <type>"},
      {"a=extmap:0 urn:x", "id must be 1..255"},
      {"a=extmap:256 urn:x", "id must be 1..255"},
      {"a=extmap:1/sideways urn:x", "bad direction"},
      {"a=extmap:1", "needs <id> <uri>"},
      {"a=ssrc:abc cname:x", "needs a 32-bit SSRC"},
      {"a=ssrc:4294967296 cname:x", "needs a 32-bit SSRC"},
      {"a=ssrc:1", "needs <ssrc> <attribute>"},
      {"a=ssrc-group:FID", "needs at least one SSRC"},
      {"a=ssrc-group:FID 1 x", "bad SSRC"},
      {"a=msid:a b c", "more than two fields"},
      {"a=rid:1 both", "direction must be send or recv"},
      {"a=simulcast:up a", "bad or repeated direction"},
      {"a=simulcast:send", "needs send|recv <rid list>"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char text[512];
    snprintf(text, sizeof(text), HEAD "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n%s\r\n", cases[i].attr);
    rtc_sdp_t *s = parse_text(text, RTC_EPARSE, cases[i].err);
    CHECK(s == NULL);
    snprintf(text, sizeof(text), HEAD "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n%s\r\n",
             cases[i].attr);
    s = parse_text(text, 0, NULL);
    rtc_sdp_free(s);
  }
}

/* What only the whole section shows: the view function says it precisely. */
static void test_view_errors(void) {
  static const struct {
    const char *body, *err;
    int code;
  } cases[] = {
      {"m=video 9 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\na=rtpmap:96 VP9/90000\r\n",
       "a=rtpmap:96 VP9/90000: payload type 96 has a second a=rtpmap", RTC_EPARSE},
      {"m=video 9 RTP/AVP 96\r\na=fmtp:96 a=1\r\na=fmtp:96 b=2\r\n", "second a=fmtp", RTC_EPARSE},
      {"m=video 9 RTP/AVP 96 webrtc\r\n", "m=video format \"webrtc\" is not an RTP payload type",
       RTC_EPARSE},
      {"m=video 9 RTP/AVP 96\r\na=extmap:1 urn:a\r\na=extmap:1 urn:b\r\n", "id 1 is mapped twice",
       RTC_EPARSE},
      {"m=video 9 RTP/AVP 96\r\na=fmtp:96 a;b;c;d;e;f;g;h;i;j;k;l;m;n;o;p;q\r\n",
       "more than 16 parameters", RTC_ELIMIT},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char text[512], err[256] = "";
    snprintf(text, sizeof(text), HEAD "%s", cases[i].body);
    rtc_sdp_t *s = parse_text(text, 0, NULL);
    rtc_sdp_rtp_t *v = NULL;
    if (!s) continue;
    CHECK_EQ_INT(rtc_sdp_rtp_parse(&s->media[0], &v, err, sizeof(err)), cases[i].code);
    CHECK(v == NULL);
    if (!strstr(err, cases[i].err)) fprintf(stderr, "  got error \"%s\"\n", err);
    CHECK(strstr(err, cases[i].err) != NULL);
    rtc_sdp_free(s);
  }
  CHECK_EQ_INT(rtc_sdp_rtp_parse(NULL, NULL, NULL, 0), RTC_EINVAL);
  /* Attributes of a payload type not on the m= line are ignored (RFC 8866 6.6). */
  rtc_sdp_t *s = parse_text(HEAD "m=video 9 RTP/AVP 96\r\na=rtpmap:97 VP9/90000\r\n"
                                 "a=rtpmap:96 VP8/90000\r\na=fmtp:97 x=1\r\na=rtcp-fb:97 nack\r\n",
                            0, NULL);
  rtc_sdp_rtp_t *v = view_of(s, 0);
  CHECK(v && v->n_codecs == 1 && v->codecs[0].n_fb == 0 && !v->codecs[0].fmtp);
  rtc_sdp_rtp_free(v);
  rtc_sdp_free(s);
}

/* Writers: build an m-section, serialize, parse, view: the same values. */
static void test_writers_round_trip(void) {
  rtc_sdp_t *s = rtc_sdp_new();
  rtc_sdp_media_t *m = rtc_sdp_add_media(s, "video", 9, "UDP/TLS/RTP/SAVPF", "0");
  const uint8_t pts[] = {96, 97};
  const uint32_t fid[] = {1111, 2222};
  CHECK(m != NULL);
  if (!m) goto out;
  m->rtcp_mux = true;
  CHECK_EQ_INT(rtc_sdp_rtp_set_pts(m, pts, 2), 0);
  CHECK_EQ_INT(rtc_sdp_rtp_add_rtpmap(m, 96, "VP8", 90000, 0), 0);
  CHECK_EQ_INT(rtc_sdp_rtp_add_rtcp_fb(m, 96, "nack", "pli"), 0);
  CHECK_EQ_INT(rtc_sdp_rtp_add_rtcp_fb(m, -1, "transport-cc", NULL), 0);
  CHECK_EQ_INT(rtc_sdp_rtp_add_rtpmap(m, 97, "rtx", 90000, 0), 0);
  CHECK_EQ_INT(rtc_sdp_rtp_add_fmtp(m, 97, "apt=96"), 0);
  CHECK_EQ_INT(
      rtc_sdp_rtp_add_extmap(m, 4, RTC_SDP_DIR_NONE, "urn:ietf:params:rtp-hdrext:sdes:mid", NULL),
      0);
  CHECK_EQ_INT(rtc_sdp_rtp_add_extmap(m, 12, RTC_SDP_DIR_RECVONLY, "urn:x", "a b"), 0);
  CHECK_EQ_INT(rtc_sdp_rtp_add_msid(m, NULL, "track-1"), 0);
  CHECK_EQ_INT(rtc_sdp_rtp_add_ssrc_group(m, "FID", fid, 2), 0);
  CHECK_EQ_INT(rtc_sdp_rtp_add_ssrc(m, 1111, "cname", "luartc"), 0);
  CHECK_EQ_INT(rtc_sdp_rtp_add_ssrc(m, 2222, "cname", "luartc"), 0);
  CHECK_EQ_INT(rtc_sdp_rtp_add_rid(m, "hi", true, NULL), 0);
  CHECK_EQ_INT(rtc_sdp_rtp_add_simulcast(m, "send hi"), 0);
  CHECK_EQ_INT(rtc_sdp_rtp_add_flag(m, "rtcp-rsize"), 0);
  /* Refused: what would not parse back. */
  CHECK_EQ_INT(rtc_sdp_rtp_add_rtpmap(m, 128, "VP8", 90000, 0), RTC_EINVAL);
  CHECK_EQ_INT(rtc_sdp_rtp_add_rtpmap(m, 96, "V P8", 90000, 0), RTC_EINVAL);
  CHECK_EQ_INT(rtc_sdp_rtp_add_rtpmap(m, 96, "VP8/1", 90000, 0), RTC_EINVAL);
  CHECK_EQ_INT(rtc_sdp_rtp_add_rtpmap(m, 96, "VP8", 0, 0), RTC_EINVAL);
  CHECK_EQ_INT(rtc_sdp_rtp_add_fmtp(m, 96, "a=1\r\na=x"), RTC_EINVAL);
  CHECK_EQ_INT(rtc_sdp_rtp_add_fmtp(m, 96, " "), RTC_EINVAL);
  CHECK_EQ_INT(rtc_sdp_rtp_add_extmap(m, 0, RTC_SDP_DIR_NONE, "urn:x", NULL), RTC_EINVAL);
  CHECK_EQ_INT(rtc_sdp_rtp_add_extmap(m, 1, RTC_SDP_DIR_NONE, "urn x", NULL), RTC_EINVAL);
  CHECK_EQ_INT(rtc_sdp_rtp_add_ssrc(m, 1, "cn:ame", "x"), RTC_EINVAL);
  CHECK_EQ_INT(rtc_sdp_rtp_add_ssrc_group(m, "FID", fid, 0), RTC_EINVAL);
  CHECK_EQ_INT(rtc_sdp_rtp_add_msid(m, "a b", NULL), RTC_EINVAL);
  CHECK_EQ_INT(rtc_sdp_rtp_add_simulcast(m, "sideways a"), RTC_EINVAL);
  CHECK_EQ_INT(rtc_sdp_rtp_set_pts(m, (const uint8_t[]){200}, 1), RTC_EINVAL);

  char *text = rtc_sdp_serialize(s);
  CHECK(text && strstr(text, "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n"));
  CHECK(text && strstr(text, "a=extmap:12/recvonly urn:x a b\r\n"));
  CHECK(text && strstr(text, "a=rtcp-fb:* transport-cc\r\n"));
  CHECK(text && strstr(text, "a=msid:- track-1\r\n"));
  rtc_sdp_t *back = text ? parse_text(text, 0, NULL) : NULL;
  rtc_sdp_rtp_t *v = view_of(back, 0);
  if (v) {
    CHECK_EQ_INT(v->n_codecs, 2);
    CHECK_STR(v->codecs[0].name, "VP8");
    CHECK_EQ_INT(v->codecs[0].n_fb, 2);
    CHECK(rtc_sdp_rtp_codec_has_fb(&v->codecs[0], "nack", "pli"));
    CHECK(rtc_sdp_rtp_codec_has_fb(&v->codecs[1], "transport-cc", NULL));
    CHECK_STR(rtc_sdp_rtp_codec_param(&v->codecs[1], "apt"), "96");
    CHECK_EQ_INT(v->n_extmaps, 2);
    CHECK_EQ_INT(v->extmaps[1].id, 12);
    CHECK_EQ_INT(v->extmaps[1].direction, RTC_SDP_DIR_RECVONLY);
    CHECK_STR(v->msids[0].stream_id, "-");
    CHECK_STR(v->msids[0].track_id, "track-1");
    CHECK_EQ_INT(v->groups[0].ssrcs[1], 2222);
    CHECK_STR(rtc_sdp_rtp_ssrc_attr(v, 2222, "cname"), "luartc");
    CHECK_STR(v->rids[0].id, "hi");
    CHECK_STR(v->simulcast_send, "hi");
    CHECK(v->rtcp_rsize);
    CHECK(v->rtcp_mux);
  }
  rtc_sdp_rtp_free(v);
  rtc_sdp_free(back);
  free(text);
out:
  rtc_sdp_free(s);
}

int main(void) {
  RUN_TEST(test_every_fixture_media_line);
  RUN_TEST(test_chromium_offer);
  RUN_TEST(test_firefox_offer);
  RUN_TEST(test_quirks);
  RUN_TEST(test_static_pts_rid_simulcast);
  RUN_TEST(test_malformed_lines);
  RUN_TEST(test_view_errors);
  RUN_TEST(test_writers_round_trip);
  TEST_MAIN_END();
}
