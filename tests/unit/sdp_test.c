/* SDP module: real SDPs from nine implementations (tests/fixtures/sdp, see its
 * README for each file's quirks), malformed input, limits, the builder, and the
 * round trip parse(serialize(parse(x))) == parse(x). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rtc_err.h"
#include "rtc_test.h"
#include "rtc_test_sdp.h"
#include "sdp/rtc_sdp.h"
#include "sdp/rtc_sdp_internal.h"

static int parse_str(const char *text, rtc_sdp_t **out, char *err, size_t errlen) {
  return rtc_sdp_parse(text, strlen(text), out, err, errlen);
}

/* Every fixture parses, and its canonical form parses back to the same fields,
 * and serializing that again gives the same bytes. */
static void test_all_fixtures_parse_and_round_trip(void) {
  DIR *d = opendir(RTC_TEST_FIXTURES);
  int n = 0;
  CHECK(d != NULL);
  if (!d) return;
  for (struct dirent *e; (e = readdir(d));) {
    size_t l = strlen(e->d_name);
    if (l < 5 || strcmp(e->d_name + l - 4, ".sdp") != 0) continue;
    rtc_sdp_t *a = parse_fixture(e->d_name), *b = NULL;
    if (!a) continue;
    n++;
    CHECK(a->n_media >= 1);
    char *t1 = rtc_sdp_serialize(a);
    CHECK(t1 != NULL);
    char err[256];
    int r = t1 ? parse_str(t1, &b, err, sizeof(err)) : -1;
    CHECK_EQ_INT(r, 0);
    if (b) {
      const char *diff = rtc__sdp_diff(a, b);
      if (diff) fprintf(stderr, "  %s: round trip differs in %s\n", e->d_name, diff);
      CHECK(diff == NULL);
      char *t2 = rtc_sdp_serialize(b);
      CHECK(t2 && strcmp(t1, t2) == 0);
      free(t2);
    }
    /* Canonical output: CRLF everywhere, never a bare LF. */
    for (const char *p = t1; p && (p = strchr(p, '\n')); p++)
      CHECK(p > t1 && p[-1] == '\r');
    free(t1);
    rtc_sdp_free(a);
    rtc_sdp_free(b);
  }
  closedir(d);
  CHECK_EQ_INT(n, 29);
}

static void test_chromium_offer_datachannel(void) {
  rtc_sdp_t *s = parse_fixture("chromium-156-offer-datachannel.sdp");
  if (!s) return;
  CHECK_STR(s->origin_username, "-");
  CHECK_STR(s->session_id, "883693057225553067");
  CHECK_STR(s->session_version, "2");
  CHECK_STR(s->origin_addr, "127.0.0.1");
  CHECK_STR(s->session_name, "-");
  CHECK(s->has_bundle_group);
  CHECK_EQ_INT(s->n_bundle_mids, 1);
  CHECK_STR(s->bundle_mids[0], "0");
  CHECK_EQ_INT(s->n_attrs, 2);
  CHECK_STR(s->attrs[0].name, "extmap-allow-mixed");
  CHECK(s->attrs[0].value == NULL);
  CHECK_STR(s->attrs[1].name, "msid-semantic");
  CHECK_STR(s->attrs[1].value, " WMS");
  CHECK_EQ_INT(s->n_media, 1);
  rtc_sdp_media_t *m = &s->media[0];
  CHECK_STR(m->type, "application");
  CHECK_EQ_INT(m->port, 43291);
  CHECK_EQ_INT(m->port_count, 1);
  CHECK_STR(m->proto, "UDP/DTLS/SCTP");
  CHECK_EQ_INT(m->n_fmts, 1);
  CHECK_STR(m->fmts[0], "webrtc-datachannel");
  CHECK_STR(m->conn_addr, "127.0.0.1");
  CHECK_STR(m->conn_addrtype, "IP4");
  CHECK_STR(m->mid, "0");
  CHECK_STR(m->ice_ufrag, "lXRe");
  CHECK_STR(m->ice_pwd, "zkZ2DSK0t2GwriB8a7skk5wy");
  CHECK_STR(m->ice_options, "trickle");
  CHECK_EQ_INT(m->n_candidates, 8);
  CHECK_STR(m->candidates[0],
            "3800721614 1 udp 2122194687 127.0.0.1 43291 typ host generation 0 network-id 3 "
            "network-cost 50");
  CHECK_EQ_INT(m->sctp_port, 5000);
  CHECK_EQ_INT(m->max_message_size, 262144);
  CHECK_EQ_INT(m->setup, RTC_SDP_SETUP_ACTPASS);
  CHECK_STR(m->fingerprint_alg, "sha-256");
  CHECK_STR(m->fingerprint, "C1:7D:64:B1:7A:CC:BA:96:82:EA:AA:62:F2:DE:9C:A0:A1:E1:5A:DA:EE:56:54:"
                            "88:71:E7:12:2C:22:E9:8E:A8");
  CHECK_EQ_INT(m->direction, RTC_SDP_DIR_NONE);
  CHECK(!m->end_of_candidates);
  CHECK(!m->ice_lite);
  CHECK_EQ_INT(m->n_attrs, 0);
  CHECK_EQ_INT(rtc_sdp_find_mid(s, "0"), 0);
  CHECK_EQ_INT(rtc_sdp_find_mid(s, "1"), -1);
  rtc_sdp_free(s);
}

static void test_chromium_offer_audio_video(void) {
  rtc_sdp_t *s = parse_fixture("chromium-156-offer-audio-video-datachannel.sdp");
  if (!s) return;
  CHECK_EQ_INT(s->n_media, 3);
  CHECK_EQ_INT(s->n_bundle_mids, 3);
  CHECK_STR(s->bundle_mids[2], "2");
  if (s->n_media == 3) {
    CHECK_STR(s->media[0].type, "audio");
    CHECK_STR(s->media[0].proto, "UDP/TLS/RTP/SAVPF");
    CHECK_STR(s->media[0].fmts[0], "111");
    CHECK(s->media[0].rtcp_mux);
    CHECK_EQ_INT(s->media[0].direction, RTC_SDP_DIR_SENDRECV);
    CHECK_EQ_INT(s->media[0].n_candidates, 8);
    CHECK_EQ_INT(s->media[0].sctp_port, -1);
    const rtc_sdp_attr_t *a = rtc_sdp_find_attr(s->media[0].attrs, s->media[0].n_attrs, "rtpmap");
    CHECK(a && strcmp(a->value, "111 opus/48000/2") == 0);
    CHECK(rtc_sdp_find_attr(s->media[0].attrs, s->media[0].n_attrs, "rtcp-rsize") != NULL);
    CHECK(rtc_sdp_find_attr(s->media[0].attrs, s->media[0].n_attrs, "nope") == NULL);
    CHECK_STR(s->media[1].type, "video");
    CHECK_STR(s->media[2].mid, "2");
    CHECK_EQ_INT(rtc_sdp_find_mid(s, "1"), 1);
  }
  rtc_sdp_free(s);
}

static void test_aiortc_old_datachannel_syntax(void) {
  rtc_sdp_t *s = parse_fixture("aiortc-1.4-offer-datachannel.sdp");
  if (!s) return;
  CHECK_EQ_INT(s->n_media, 1);
  rtc_sdp_media_t *m = &s->media[0];
  CHECK_STR(m->proto, "DTLS/SCTP");
  CHECK_STR(m->fmts[0], "5000");
  CHECK_EQ_INT(m->sctp_port, 5000);
  CHECK_EQ_INT(m->max_message_size, 65536);
  CHECK(m->end_of_candidates);
  CHECK_EQ_INT(m->n_candidates, 2);
  CHECK(m->ice_options == NULL);
  CHECK_STR(m->ice_ufrag, "DmAw");
  CHECK_EQ_INT(m->setup, RTC_SDP_SETUP_ACTPASS);
  /* The sctpmap became sctp_port: it is not kept twice. */
  CHECK(rtc_sdp_find_attr(m->attrs, m->n_attrs, "sctpmap") == NULL);
  char *t = rtc_sdp_serialize(s);
  CHECK(t && strstr(t, "\r\na=sctpmap:5000 webrtc-datachannel 65535\r\n"));
  CHECK(t && !strstr(t, "a=sctp-port"));
  free(t);
  rtc_sdp_free(s);

  s = parse_fixture("aiortc-1.4-offer-audio-video-datachannel.sdp");
  if (!s) return;
  CHECK_EQ_INT(s->n_media, 3);
  if (s->n_media == 3) {
    CHECK_EQ_INT(s->media[2].sctp_port, 5000);
    /* One ICE transport per m-line. */
    CHECK(strcmp(s->media[0].ice_ufrag, s->media[1].ice_ufrag) != 0);
  }
  rtc_sdp_free(s);
}

static void test_firefox_session_fallbacks(void) {
  rtc_sdp_t *s = parse_fixture("firefox-153-offer-datachannel.sdp");
  if (!s) return;
  CHECK_STR(s->origin_username, "mozilla...THIS_IS_SDPARTA-99.0");
  CHECK_EQ_INT(s->n_media, 1);
  rtc_sdp_media_t *m = &s->media[0];
  /* Session-level a=fingerprint and a=ice-options copied into the m-section. */
  CHECK_STR(m->fingerprint_alg, "sha-256");
  CHECK_STR(m->fingerprint, "41:82:0F:27:06:A0:86:DC:57:B6:A0:41:E1:99:E9:67:0D:98:D6:14:F7:07:E2:"
                            "9B:E3:93:C0:6B:A6:E3:07:4B");
  CHECK_STR(m->ice_options, "trickle");
  CHECK_EQ_INT(m->direction, RTC_SDP_DIR_SENDRECV);
  CHECK_EQ_INT(m->max_message_size, 1073741823);
  CHECK_EQ_INT(m->sctp_port, 5000);
  CHECK(m->end_of_candidates);
  CHECK_STR(m->conn_addr, "192.0.2.2");
  /* The fallbacks are consumed, the rest of the session attributes kept. */
  CHECK(rtc_sdp_find_attr(s->attrs, s->n_attrs, "fingerprint") == NULL);
  CHECK(rtc_sdp_find_attr(s->attrs, s->n_attrs, "msid-semantic") != NULL);
  rtc_sdp_free(s);

  s = parse_fixture("firefox-153-offer-audio-video-datachannel.sdp");
  if (!s) return;
  CHECK_EQ_INT(s->n_media, 3);
  for (size_t i = 0; i < s->n_media; i++)
    CHECK(s->media[i].fingerprint != NULL);
  if (s->n_media == 3) CHECK_STR(s->media[0].fmts[0], "109");
  rtc_sdp_free(s);
}

static void test_gstreamer_bundle_only(void) {
  rtc_sdp_t *s = parse_fixture("gstreamer-1.22-offer-audio-video-datachannel.sdp");
  if (!s) return;
  CHECK_EQ_INT(s->n_media, 3);
  CHECK_EQ_INT(s->n_bundle_mids, 3);
  CHECK_STR(s->bundle_mids[0], "audio0");
  if (s->n_media == 3) {
    CHECK(!s->media[0].bundle_only);
    CHECK_EQ_INT(s->media[0].port, 9);
    CHECK(s->media[0].rtcp_mux_only);
    CHECK(s->media[0].rtcp_mux);
    CHECK(s->media[1].bundle_only);
    CHECK_EQ_INT(s->media[1].port, 0);
    CHECK(s->media[2].bundle_only);
    CHECK_EQ_INT(s->media[2].port, 0);
    CHECK_STR(s->media[2].mid, "application2");
    CHECK_EQ_INT(s->media[2].sctp_port, 5000);
    CHECK_EQ_INT(s->media[2].max_message_size, -1);
    CHECK_EQ_INT(s->media[1].n_candidates, 0);
  }
  rtc_sdp_free(s);

  s = parse_fixture("gstreamer-1.22-offer-datachannel.sdp");
  if (!s) return;
  CHECK_STR(s->media[0].mid, "application0");
  CHECK_STR(s->media[0].ice_options, "trickle"); /* session-level ice-options */
  CHECK_EQ_INT(s->media[0].n_candidates, 9);
  rtc_sdp_free(s);
}

static void test_pion_and_libdatachannel(void) {
  rtc_sdp_t *s = parse_fixture("pion-3.1-offer-datachannel.sdp");
  if (!s) return;
  CHECK_EQ_INT(s->media[0].max_message_size, -1);
  CHECK_EQ_INT(s->media[0].sctp_port, 5000);
  CHECK(s->media[0].fingerprint != NULL); /* session-level fingerprint */
  CHECK(s->media[0].end_of_candidates);
  rtc_sdp_free(s);

  s = parse_fixture("libdatachannel-0.24-offer-audio-video-datachannel.sdp");
  if (!s) return;
  CHECK(s->has_bundle_group);
  CHECK_EQ_INT(s->n_bundle_mids, 3);
  CHECK_STR(s->bundle_mids[0], "audio");
  CHECK_STR(s->bundle_mids[1], "video");
  CHECK_STR(s->bundle_mids[2], "0");
  /* The second group is not BUNDLE: kept as an attribute. */
  const rtc_sdp_attr_t *g = rtc_sdp_find_attr(s->attrs, s->n_attrs, "group");
  CHECK(g && strcmp(g->value, "LS audio video") == 0);
  CHECK_EQ_INT(rtc_sdp_find_mid(s, "video"), 1);
  CHECK_EQ_INT(rtc_sdp_find_mid(s, "0"), 2);
  rtc_sdp_free(s);

  s = parse_fixture("libdatachannel-0.24-offer-datachannel.sdp");
  if (!s) return;
  CHECK_STR(s->media[0].ice_options, "ice2,trickle");
  CHECK_STR(s->origin_username, "rtc");
  rtc_sdp_free(s);
}

static void test_line_endings_and_whitespace(void) {
  const char *lf = "v=0\no=- 1 2 IN IP4 0.0.0.0\ns=-\nt=0 0\nm=application 9 UDP/DTLS/SCTP "
                   "webrtc-datachannel\na=mid:0  \t\na=sctp-port:5000";
  const char *crlf = "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=application 9 "
                     "UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:0 \r\n\r\na=sctp-port:5000\r\n";
  rtc_sdp_t *a = NULL, *b = NULL;
  char err[128];
  CHECK_EQ_INT(parse_str(lf, &a, err, sizeof(err)), 0);
  CHECK_EQ_INT(parse_str(crlf, &b, err, sizeof(err)), 0);
  if (a && b) {
    CHECK(rtc__sdp_diff(a, b) == NULL);
    CHECK_STR(a->media[0].mid, "0");
    CHECK_EQ_INT(a->media[0].sctp_port, 5000);
  }
  rtc_sdp_free(a);
  rtc_sdp_free(b);

  /* Not NUL-terminated: the length bounds the text. */
  char buf[64] = "v=0\no=- 1 2 IN IP4 0.0.0.0\ns=x\nXXXXXXXX";
  CHECK_EQ_INT(rtc_sdp_parse(buf, strlen(buf) - 9, &a, err, sizeof(err)), 0);
  if (a) CHECK_STR(a->session_name, "x");
  rtc_sdp_free(a);
}

static void test_other_line_types_accepted(void) {
  const char *t = "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\ni=info\r\nu=http://x/\r\n"
                  "e=a@b.c\r\np=+1 555\r\nc=IN IP6 ::1\r\nb=AS:100\r\nt=0 0\r\nr=7d 1h 0 25h\r\n"
                  "z=2882844526 -1h\r\nk=prompt\r\na=ice-lite\r\na=ice-ufrag:U\r\na=ice-pwd:P\r\n"
                  "a=setup:passive\r\na=recvonly\r\nm=audio 5004/2 RTP/AVP 0 8\r\ni=m\r\n"
                  "b=AS:64\r\nk=clear:x\r\na=setup:active\r\nm=video 0 RTP/AVP 31\r\n";
  rtc_sdp_t *s = NULL;
  char err[128];
  CHECK_EQ_INT(parse_str(t, &s, err, sizeof(err)), 0);
  if (!s) return;
  CHECK_STR(s->conn_addr, "::1");
  CHECK_STR(s->conn_addrtype, "IP6");
  CHECK(s->ice_lite);
  CHECK_EQ_INT(s->n_attrs, 0);
  CHECK_EQ_INT(s->n_media, 2);
  CHECK_EQ_INT(s->media[0].port, 5004);
  CHECK_EQ_INT(s->media[0].port_count, 2);
  CHECK_EQ_INT(s->media[0].n_fmts, 2);
  CHECK_EQ_INT(s->media[0].setup, RTC_SDP_SETUP_ACTIVE);     /* own value wins */
  CHECK_EQ_INT(s->media[1].setup, RTC_SDP_SETUP_PASSIVE);    /* session fallback */
  CHECK_EQ_INT(s->media[1].direction, RTC_SDP_DIR_RECVONLY); /* RFC 8866 6.7 */
  CHECK_STR(s->media[1].ice_ufrag, "U");
  CHECK_STR(s->media[1].ice_pwd, "P");
  CHECK(s->media[0].ice_lite && s->media[1].ice_lite);
  char *out = rtc_sdp_serialize(s);
  CHECK(out &&
        strstr(out, "\r\nc=IN IP6 ::1\r\nt=0 0\r\na=ice-lite\r\nm=audio 5004/2 RTP/AVP 0 8\r\n"));
  rtc_sdp_t *b = NULL;
  CHECK_EQ_INT(out ? parse_str(out, &b, err, sizeof(err)) : -1, 0);
  if (b) CHECK(rtc__sdp_diff(s, b) == NULL);
  rtc_sdp_free(b);
  free(out);
  rtc_sdp_free(s);
}

static void expect_parse_error(const char *text, int code, const char *msg) {
  rtc_sdp_t *s = (rtc_sdp_t *)1;
  char err[160];
  int r = parse_str(text, &s, err, sizeof(err));
  CHECK_EQ_INT(r, code);
  CHECK(s == NULL);
  if (!strstr(err, msg)) fprintf(stderr, "  message \"%s\" lacks \"%s\"\n", err, msg);
  CHECK(strstr(err, msg) != NULL);
}

#define HDR "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"

static void test_malformed(void) {
  expect_parse_error("", RTC_EPARSE, "line 1: empty SDP");
  expect_parse_error("\r\n\r\n", RTC_EPARSE, "line 1: empty SDP");
  expect_parse_error("o=- 1 2 IN IP4 0.0.0.0\r\n", RTC_EPARSE,
                     "line 1: the first line must be v=0");
  expect_parse_error("v=1\r\n", RTC_EPARSE, "line 1: the first line must be v=0");
  expect_parse_error("v=0\r\ns=-\r\nt=0 0\r\n", RTC_EPARSE, "line 3: missing o= line");
  expect_parse_error("v=0\r\no=- 1 2 IN IP4\r\n", RTC_EPARSE, "line 2: o= line needs 6 fields");
  expect_parse_error(HDR "hello\r\n", RTC_EPARSE, "line 5: expected a line of the form");
  expect_parse_error(HDR "A=b\r\n", RTC_EPARSE, "line 5: expected a line of the form");
  expect_parse_error(HDR "m=audio 9 RTP/AVP\r\n", RTC_EPARSE,
                     "line 5: m= line needs at least 4 fields");
  expect_parse_error(HDR "m=audio\r\n", RTC_EPARSE, "line 5: m= line needs at least 4 fields");
  expect_parse_error(HDR "m=audio 70000 RTP/AVP 0\r\n", RTC_EPARSE, "line 5: bad port \"70000\"");
  expect_parse_error(HDR "m=audio -1 RTP/AVP 0\r\n", RTC_EPARSE, "line 5: bad port");
  expect_parse_error(HDR "m=audio 9/0 RTP/AVP 0\r\n", RTC_EPARSE, "line 5: bad port count");
  expect_parse_error(HDR "c=IN IP4\r\n", RTC_EPARSE, "line 5: c= line needs 3 fields");
  expect_parse_error(HDR "a=\r\n", RTC_EPARSE, "line 5: attribute without a name");
  expect_parse_error(HDR "a=setup:sideways\r\n", RTC_EPARSE, "line 5: bad a=setup value");
  expect_parse_error(HDR "a=fingerprint:sha-256\r\n", RTC_EPARSE, "line 5: a=fingerprint needs");
  expect_parse_error(HDR "m=application 9 UDP/DTLS/SCTP x\r\na=sctp-port:65536\r\n", RTC_EPARSE,
                     "line 6: bad a=sctp-port value");
  expect_parse_error(HDR "m=application 9 DTLS/SCTP 5000\r\na=sctpmap:abc webrtc-datachannel\r\n",
                     RTC_EPARSE, "line 6: bad a=sctpmap port");
  expect_parse_error(HDR "m=application 9 UDP/DTLS/SCTP x\r\na=max-message-size:-5\r\n", RTC_EPARSE,
                     "line 6: bad a=max-message-size");
  expect_parse_error(
      HDR "m=application 9 UDP/DTLS/SCTP x\r\na=max-message-size:99999999999999999999\r\n",
      RTC_EPARSE, "line 6: bad a=max-message-size");
  expect_parse_error(HDR "m=audio 9 RTP/AVP 0\r\na=candidate\r\n", RTC_EPARSE,
                     "line 6: a=candidate needs a value");
  expect_parse_error(HDR "m=audio 9 RTP/AVP 0\r\na=mid\r\n", RTC_EPARSE,
                     "line 6: a=mid needs a value");
  expect_parse_error(HDR "a=x-foo:a\rb\r\n", RTC_EPARSE, "line 5: CR inside a line");
  expect_parse_error(HDR "v=0\r\n", RTC_EPARSE, "line 5: more than one v= line");
  expect_parse_error(HDR "o=- 1 2 IN IP4 0.0.0.0\r\n", RTC_EPARSE, "line 5: more than one o= line");

  /* A NUL byte inside the given length. */
  rtc_sdp_t *s = NULL;
  char err[128];
  const char nul[] = "v=0\no=- 1 2 IN IP4 0.0.0.0\ns=a\0b\n";
  CHECK_EQ_INT(rtc_sdp_parse(nul, sizeof(nul) - 1, &s, err, sizeof(err)), RTC_EPARSE);
  CHECK(strstr(err, "line 3: NUL byte") != NULL);
  /* err may be NULL; a tiny buffer is truncated, not overrun. */
  CHECK_EQ_INT(parse_str("x", &s, NULL, 0), RTC_EPARSE);
  char tiny[6];
  CHECK_EQ_INT(parse_str("x", &s, tiny, sizeof(tiny)), RTC_EPARSE);
  CHECK_STR(tiny, "line ");
  CHECK_EQ_INT(rtc_sdp_parse("v=0", 3, NULL, err, sizeof(err)), RTC_EINVAL);
}

/* Builds a text with `count` copies of `line` after a header. */
static char *repeat(const char *head, const char *line, int count) {
  size_t hl = strlen(head), ll = strlen(line);
  char *t = malloc(hl + ll * (size_t)count + 1);
  if (!t) return NULL;
  memcpy(t, head, hl);
  for (int i = 0; i < count; i++)
    memcpy(t + hl + ll * (size_t)i, line, ll);
  t[hl + ll * (size_t)count] = '\0';
  return t;
}

static void check_limit(const char *head, const char *line, int ok_count, const char *msg) {
  rtc_sdp_t *s = NULL;
  char err[160];
  char *t = repeat(head, line, ok_count);
  CHECK_EQ_INT(t ? parse_str(t, &s, err, sizeof(err)) : -1, 0);
  rtc_sdp_free(s);
  free(t);
  t = repeat(head, line, ok_count + 1);
  CHECK_EQ_INT(t ? parse_str(t, &s, err, sizeof(err)) : -1, RTC_ELIMIT);
  if (!strstr(err, msg)) fprintf(stderr, "  message \"%s\" lacks \"%s\"\n", err, msg);
  CHECK(strstr(err, msg) != NULL);
  free(t);
}

static void test_limits(void) {
  check_limit(HDR, "m=audio 9 RTP/AVP 0\r\n", RTC_SDP_MAX_MEDIA, "more than 64 m-sections");
  check_limit(HDR "m=audio 9 RTP/AVP 0\r\n", "a=x-foo:bar\r\n", RTC_SDP_MAX_ATTRS,
              "more than 256 attributes");
  check_limit(HDR, "a=x-foo:bar\r\n", RTC_SDP_MAX_ATTRS, "more than 256 attributes");
  check_limit(HDR "m=audio 9 RTP/AVP 0\r\n", "a=candidate:1 1 udp 1 1.2.3.4 5 typ host\r\n",
              RTC_SDP_MAX_CANDIDATES, "more than 64 candidates");
  /* 64 formats fit, 65 do not. */
  char line[512] = HDR "m=audio 9 RTP/AVP";
  for (int i = 0; i < RTC_SDP_MAX_FMTS; i++)
    snprintf(line + strlen(line), sizeof(line) - strlen(line), " %d", i);
  rtc_sdp_t *s = NULL;
  char err[160];
  CHECK_EQ_INT(parse_str(line, &s, err, sizeof(err)), 0);
  if (s) CHECK_EQ_INT(s->media[0].n_fmts, RTC_SDP_MAX_FMTS);
  rtc_sdp_free(s);
  strcat(line, " 99");
  CHECK_EQ_INT(parse_str(line, &s, err, sizeof(err)), RTC_ELIMIT);
  CHECK(strstr(err, "line 5: more than 64 formats") != NULL);
  /* BUNDLE group with 65 mids. */
  char grp[1024] = HDR "a=group:BUNDLE";
  for (int i = 0; i <= RTC_SDP_MAX_MEDIA; i++)
    snprintf(grp + strlen(grp), sizeof(grp) - strlen(grp), " m%d", i);
  CHECK_EQ_INT(parse_str(grp, &s, err, sizeof(err)), RTC_ELIMIT);
  CHECK(strstr(err, "line 5: more than 64 mids") != NULL);
}

static void test_duplicates_and_oddities(void) {
  const char *t = HDR "a=group:BUNDLE a b\r\na=group:BUNDLE c\r\na=fingerprint:SHA-1 ab:cd\r\n"
                      "a=fingerprint:sha-256 ef\r\n"
                      "m=audio 9 RTP/AVP 0\r\na=mid:a\r\na=mid:z\r\na=sendonly\r\na=inactive\r\n"
                      "a=fingerprint:SHA-256 0a:0B\r\na=sctp-port:5000\r\n"
                      "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:b\r\n"
                      "a=sctpmap:5000 webrtc-datachannel 1024\r\na=sctp-port:6000\r\n"
                      "a=max-message-size:0\r\na=end-of-candidates\r\n";
  rtc_sdp_t *s = NULL, *b = NULL;
  char err[160];
  CHECK_EQ_INT(parse_str(t, &s, err, sizeof(err)), 0);
  if (!s) return;
  CHECK_EQ_INT(s->n_bundle_mids, 2);
  CHECK_EQ_INT(s->n_attrs, 1); /* the second BUNDLE group */
  CHECK_STR(s->attrs[0].value, "BUNDLE c");
  rtc_sdp_media_t *m = &s->media[0];
  CHECK_STR(m->mid, "a");
  CHECK_EQ_INT(m->direction, RTC_SDP_DIR_SENDONLY);
  CHECK_STR(m->fingerprint_alg, "sha-256");
  CHECK_STR(m->fingerprint, "0A:0B");
  CHECK_EQ_INT(m->sctp_port, -1); /* not an SCTP m-line: a=sctp-port is kept as is */
  CHECK(rtc_sdp_find_attr(m->attrs, m->n_attrs, "sctp-port") != NULL);
  CHECK(rtc_sdp_find_attr(m->attrs, m->n_attrs, "mid") != NULL);
  CHECK_STR(s->media[1].fingerprint_alg, "sha-1"); /* session fallback */
  CHECK_STR(s->media[1].fingerprint, "AB:CD");
  CHECK_EQ_INT(s->media[1].sctp_port, 5000);
  CHECK_EQ_INT(s->media[1].max_message_size, 0);
  CHECK(s->media[1].end_of_candidates);
  char *out = rtc_sdp_serialize(s);
  CHECK_EQ_INT(out ? parse_str(out, &b, err, sizeof(err)) : -1, 0);
  if (b) CHECK(rtc__sdp_diff(s, b) == NULL);
  free(out);
  rtc_sdp_free(b);
  rtc_sdp_free(s);
}

static void test_builder_and_serialize(void) {
  rtc_sdp_t *s = rtc_sdp_new();
  CHECK(s != NULL);
  if (!s) return;
  CHECK_EQ_INT(rtc_sdp_set_str(&s->session_id, "123"), 0);
  CHECK_EQ_INT(rtc_sdp_set_str(&s->session_id, "4567"), 0); /* replaces */
  CHECK_STR(s->session_id, "4567");
  CHECK_EQ_INT(rtc_sdp_set_str(&s->session_name, "bad\r\na=x"), RTC_EINVAL);
  CHECK(s->session_name == NULL);
  s->bundle_mids[0] = strdup("0");
  s->n_bundle_mids = 1;
  s->has_bundle_group = true;
  CHECK_EQ_INT(rtc_sdp_add_attr(&s->attrs, &s->n_attrs, "msid-semantic", " WMS"), 0);
  CHECK_EQ_INT(rtc_sdp_add_attr(&s->attrs, &s->n_attrs, "extmap-allow-mixed", NULL), 0);
  CHECK_EQ_INT(rtc_sdp_add_attr(&s->attrs, &s->n_attrs, "", "x"), RTC_EINVAL);
  CHECK(rtc_sdp_add_media(s, "audio", 9, "RTP/AVP", "") == NULL);
  CHECK(rtc_sdp_add_media(s, "audio", 9, "RTP/AVP", NULL) == NULL);
  CHECK_EQ_INT(s->n_media, 0);
  rtc_sdp_media_t *a = rtc_sdp_add_media(s, "audio", 0, "UDP/TLS/RTP/SAVPF", "111 0");
  CHECK(a && a->n_fmts == 2 && a->sctp_port == -1 && a->max_message_size == -1);
  if (a) {
    rtc_sdp_set_str(&a->mid, "a");
    a->direction = RTC_SDP_DIR_INACTIVE;
  }
  rtc_sdp_media_t *m =
      rtc_sdp_add_media(s, "application", 9, "UDP/DTLS/SCTP", "webrtc-datachannel");
  CHECK(m != NULL);
  if (!m) goto done;
  rtc_sdp_set_str(&m->conn_addr, "0.0.0.0");
  rtc_sdp_set_str(&m->conn_addrtype, "IP4");
  rtc_sdp_set_str(&m->mid, "0");
  rtc_sdp_set_str(&m->ice_ufrag, "uf");
  rtc_sdp_set_str(&m->ice_pwd, "pw");
  rtc_sdp_set_str(&m->ice_options, "trickle");
  rtc_sdp_set_str(&m->fingerprint_alg, "sha-256");
  rtc_sdp_set_str(&m->fingerprint, "AA:BB");
  m->setup = RTC_SDP_SETUP_ACTPASS;
  m->direction = RTC_SDP_DIR_SENDRECV;
  m->rtcp_mux = m->rtcp_mux_only = m->bundle_only = true;
  m->sctp_port = 5000;
  m->max_message_size = 262144;
  CHECK_EQ_INT(rtc_sdp_add_attr(&m->attrs, &m->n_attrs, "x-custom", "1"), 0);
  CHECK_EQ_INT(rtc_sdp_media_add_candidate(m, "1 1 udp 2130706431 192.0.2.1 5000 typ host"), 0);
  CHECK_EQ_INT(rtc_sdp_media_add_candidate(m, "a\nb"), RTC_EINVAL);
  m->end_of_candidates = true;
  char *out = rtc_sdp_serialize(s);
  const char *want =
      "v=0\r\no=- 4567 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
      "a=group:BUNDLE 0\r\na=msid-semantic: WMS\r\na=extmap-allow-mixed\r\n"
      "m=audio 0 UDP/TLS/RTP/SAVPF 111 0\r\na=mid:a\r\na=inactive\r\n"
      "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n"
      "a=mid:0\r\na=ice-ufrag:uf\r\na=ice-pwd:pw\r\na=ice-options:trickle\r\n"
      "a=fingerprint:sha-256 AA:BB\r\na=setup:actpass\r\na=sendrecv\r\na=rtcp-mux\r\n"
      "a=rtcp-mux-only\r\na=bundle-only\r\na=sctp-port:5000\r\na=max-message-size:262144\r\n"
      "a=x-custom:1\r\na=candidate:1 1 udp 2130706431 192.0.2.1 5000 typ host\r\n"
      "a=end-of-candidates\r\n";
  CHECK_STR(out, want);
  rtc_sdp_t *b = NULL;
  char err[128];
  CHECK_EQ_INT(out ? parse_str(out, &b, err, sizeof(err)) : -1, 0);
  if (b) {
    CHECK_EQ_INT(rtc_sdp_find_mid(b, "0"), 1);
    CHECK_EQ_INT(b->media[1].n_candidates, 1);
    char *out2 = rtc_sdp_serialize(b);
    CHECK_STR(out2, want);
    free(out2);
  }
  rtc_sdp_free(b);
  free(out);
  /* Old syntax: a=sctpmap instead of a=sctp-port. */
  rtc_sdp_media_t *o = rtc_sdp_add_media(s, "application", 9, "DTLS/SCTP", "5000");
  if (o) o->sctp_port = 5000;
  out = rtc_sdp_serialize(s);
  CHECK(
      out &&
      strstr(out, "m=application 9 DTLS/SCTP 5000\r\na=sctpmap:5000 webrtc-datachannel 65535\r\n"));
  free(out);
  /* Limits of the builders. */
  for (int i = 0; i < RTC_SDP_MAX_CANDIDATES; i++)
    rtc_sdp_media_add_candidate(&s->media[0], "x");
  CHECK_EQ_INT(rtc_sdp_media_add_candidate(&s->media[0], "x"), RTC_ELIMIT);
  while (s->n_media < RTC_SDP_MAX_MEDIA)
    CHECK(rtc_sdp_add_media(s, "audio", 0, "RTP/AVP", "0"));
  CHECK(rtc_sdp_add_media(s, "audio", 0, "RTP/AVP", "0") == NULL);
  while (s->n_attrs < RTC_SDP_MAX_ATTRS)
    rtc_sdp_add_attr(&s->attrs, &s->n_attrs, "x", "y");
  CHECK_EQ_INT(rtc_sdp_add_attr(&s->attrs, &s->n_attrs, "x", "y"), RTC_ELIMIT);
done:
  rtc_sdp_free(s);
  rtc_sdp_free(NULL);
  CHECK(rtc_sdp_find_attr(NULL, 0, "x") == NULL);
  CHECK_EQ_INT(rtc_sdp_find_mid(NULL, "x"), -1);
}

int main(void) {
  RUN_TEST(test_all_fixtures_parse_and_round_trip);
  RUN_TEST(test_chromium_offer_datachannel);
  RUN_TEST(test_chromium_offer_audio_video);
  RUN_TEST(test_aiortc_old_datachannel_syntax);
  RUN_TEST(test_firefox_session_fallbacks);
  RUN_TEST(test_gstreamer_bundle_only);
  RUN_TEST(test_pion_and_libdatachannel);
  RUN_TEST(test_line_endings_and_whitespace);
  RUN_TEST(test_other_line_types_accepted);
  RUN_TEST(test_malformed);
  RUN_TEST(test_limits);
  RUN_TEST(test_duplicates_and_oddities);
  RUN_TEST(test_builder_and_serialize);
  TEST_MAIN_END();
}
