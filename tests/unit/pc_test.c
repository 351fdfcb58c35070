/* Two peer connections wired together in memory on a virtual clock: the whole
 * stack (JSEP, ICE, DTLS, SCTP, data channels) without a socket, in milliseconds. */
#include <stdlib.h>
#include <string.h>

#include "base/rtc_err.h"
#include "base/rtc_time.h"
#include "pc/rtc_pc.h"
#include "rtc_test.h"
#include "rtc_test_pair.h"
#include "sctp/rtc_sctp.h"

typedef struct side {
  rtc_pc_t *pc;
  rtc_addr_t addr;
  int opens, closes, datachannels, messages, failed, connected;
  uint64_t failed_at;
  char last_msg[256];
  bool last_binary;
  rtc_dc_t *remote_dc;
  char *cands[16];
  int n_cands;
  bool end_of_cands;
} side_t;

static uint64_t now_us = 1000000;

static void side_init(side_t *s, const char *ip, uint16_t port) {
  memset(s, 0, sizeof(*s));
  s->pc = rtc_pc_create(NULL, now_us);
  rtc_addr_set(&s->addr, ip, port);
}

static void side_free(side_t *s) {
  rtc_dc_unref(s->remote_dc);
  for (int i = 0; i < s->n_cands; i++)
    free(s->cands[i]);
  rtc_pc_destroy(s->pc);
}

static void drain_events(side_t *s) {
  rtc_pc_event_t ev;
  while (rtc_pc_poll_event(s->pc, &ev)) {
    switch (ev.type) {
    case RTC_PC_EVENT_ICE_CANDIDATE:
      if (ev.candidate && s->n_cands < 16) s->cands[s->n_cands++] = strdup(ev.candidate);
      if (!ev.candidate) s->end_of_cands = true;
      break;
    case RTC_PC_EVENT_CONNECTION_STATE:
      if (ev.state == RTC_CONNECTION_FAILED && !s->failed++) s->failed_at = now_us;
      if (ev.state == RTC_CONNECTION_CONNECTED) s->connected++;
      break;
    case RTC_PC_EVENT_DATACHANNEL:
      s->datachannels++;
      rtc_dc_unref(s->remote_dc);
      s->remote_dc = ev.dc; /* the event's reference is ours */
      break;
    case RTC_PC_EVENT_DC_OPEN: s->opens++; break;
    case RTC_PC_EVENT_DC_CLOSE: s->closes++; break;
    case RTC_PC_EVENT_DC_MESSAGE:
      s->messages++;
      s->last_binary = ev.binary;
      snprintf(s->last_msg, sizeof(s->last_msg), "%.*s", (int)ev.len, (const char *)ev.data);
      break;
    default: break;
    }
  }
}

/* When set, decides the fate of each datagram (false: lost); from: 0 for a, 1 for b. */
static bool (*run_filter)(int from, const uint8_t *p, size_t len);

static void drain_side(void *ctx, int i) { drain_events(((side_t **)ctx)[i]); }

static bool run_filter_cb(void *ctx, int from, const uint8_t *p, size_t len) {
  (void)ctx;
  return run_filter(from, p, len);
}

/* Moves datagrams between the two until quiet, advancing the virtual clock. */
static void run(side_t *a, side_t *b, uint64_t duration_us) {
  side_t *sides[2] = {a, b};
  rtc_test_pair_t p = {{a->pc, b->pc}, {&a->addr, &b->addr}, &now_us, drain_side,
                       run_filter ? run_filter_cb : NULL, sides};
  rtc_test_pair_run(&p, duration_us);
}

static void gather(side_t *s) { rtc_test_pair_gather(s->pc, &s->addr); }

static void negotiate(side_t *a, side_t *b, bool tamper_fingerprint) {
  char *offer = NULL, *answer = NULL;
  CHECK_EQ_INT(rtc_pc_create_offer(a->pc, false, &offer), 0);
  CHECK_EQ_INT(rtc_pc_set_local_description(a->pc, RTC_SDP_OFFER, offer), 0);
  CHECK_EQ_INT(rtc_pc_set_remote_description(b->pc, RTC_SDP_OFFER, offer), 0);
  CHECK_EQ_INT(rtc_pc_create_answer(b->pc, &answer), 0);
  CHECK_EQ_INT(rtc_pc_set_local_description(b->pc, RTC_SDP_ANSWER, answer), 0);
  if (tamper_fingerprint) {
    char *fp = strstr(answer, "a=fingerprint:sha-256 ");
    if (fp) fp[22] = fp[22] == 'A' ? 'B' : 'A';
  }
  CHECK_EQ_INT(rtc_pc_set_remote_description(a->pc, RTC_SDP_ANSWER, answer), 0);
  free(offer);
  free(answer);
  /* trickle */
  gather(a);
  gather(b);
  drain_events(a);
  drain_events(b);
  for (int i = 0; i < a->n_cands; i++)
    CHECK_EQ_INT(rtc_pc_add_ice_candidate(b->pc, a->cands[i], "0", 0), 0);
  for (int i = 0; i < b->n_cands; i++)
    CHECK_EQ_INT(rtc_pc_add_ice_candidate(a->pc, b->cands[i], "0", 0), 0);
  CHECK(a->end_of_cands && b->end_of_cands);
}

static void test_connect_and_echo(void) {
  side_t a, b;
  side_init(&a, "10.0.0.1", 1000);
  side_init(&b, "10.0.0.2", 2000);
  rtc_dc_init_t init;
  rtc_dc_init_defaults(&init);
  init.label = "chat";
  rtc_dc_t *dc = rtc_pc_create_data_channel(a.pc, &init);
  CHECK(dc != NULL);
  uint64_t t0 = now_us;
  negotiate(&a, &b, false);
  run(&a, &b, RTC_MS(200));
  CHECK_EQ_INT(rtc_pc_connection_state(a.pc), RTC_CONNECTION_CONNECTED);
  CHECK_EQ_INT(rtc_pc_connection_state(b.pc), RTC_CONNECTION_CONNECTED);
  CHECK_EQ_INT(a.opens, 1);
  CHECK_EQ_INT(b.datachannels, 1);
  CHECK(b.remote_dc && strcmp(rtc_dc_label(b.remote_dc), "chat") == 0);
  CHECK_EQ_INT(rtc_dc_send(dc, false, (const uint8_t *)"hello", 5), 0);
  run(&a, &b, RTC_MS(50));
  CHECK_EQ_INT(b.messages, 1);
  CHECK_STR(b.last_msg, "hello");
  if (b.remote_dc) rtc_dc_send(b.remote_dc, true, (const uint8_t *)"echo", 4);
  run(&a, &b, RTC_MS(50));
  CHECK_EQ_INT(a.messages, 1);
  CHECK_STR(a.last_msg, "echo");
  CHECK(a.last_binary);
  printf("  virtual time to open + echo: %.1f ms\n", (now_us - t0) / 1000.0);
  rtc_dc_close(dc);
  run(&a, &b, RTC_MS(500));
  CHECK_EQ_INT(a.closes, 1);
  CHECK_EQ_INT(b.closes, 1);
  rtc_dc_unref(dc);
  rtc_pc_close(a.pc);
  run(&a, &b, RTC_MS(50));
  side_free(&a);
  side_free(&b);
}

static void test_fingerprint_mismatch(void) {
  side_t a, b;
  side_init(&a, "10.0.0.1", 1001);
  side_init(&b, "10.0.0.2", 2001);
  rtc_dc_t *dc = rtc_pc_create_data_channel(a.pc, NULL);
  negotiate(&a, &b, true);
  run(&a, &b, RTC_MS(3000));
  CHECK_EQ_INT(rtc_pc_connection_state(a.pc), RTC_CONNECTION_FAILED);
  CHECK_EQ_INT(a.opens, 0);
  CHECK_EQ_INT(b.messages + a.messages, 0);
  rtc_dc_unref(dc);
  side_free(&a);
  side_free(&b);
}

/* Only the first DTLS datagram from a (the offerer: DTLS server, its first flight)
 * and the first two from b (client: ClientHello, its Finished flight) get through:
 * the server completes, the client never hears its Finished, and later nothing
 * DTLS arrives either way (so the client's alert when it gives up is lost too). */
static int dtls_from[2];
static bool lose_dtls_after_flights(int from, const uint8_t *p, size_t len) {
  if (len == 0 || p[0] < 20 || p[0] > 63) return true;
  return ++dtls_from[from] <= (from == 0 ? 1 : 2);
}

/* A DTLS client that gives up while the server completed (tests/sim seeds 1871,
 * 291): the client's pc withdraws ICE consent, so the server's pc, connected to
 * nobody, fails once consent expires (~30 s) instead of staying connected forever;
 * and the client keeps retransmitting for minutes first (it gave up after ~16 s). */
static void test_dtls_failure_ends_peer(void) {
  side_t a, b;
  side_init(&a, "10.0.0.1", 1003);
  side_init(&b, "10.0.0.2", 2003);
  rtc_dc_t *dc = rtc_pc_create_data_channel(a.pc, NULL);
  dtls_from[0] = dtls_from[1] = 0;
  run_filter = lose_dtls_after_flights;
  uint64_t t0 = now_us;
  negotiate(&a, &b, false);
  run(&a, &b, RTC_MS(1000));
  CHECK_EQ_INT(rtc_pc_connection_state(a.pc), RTC_CONNECTION_CONNECTED);
  CHECK_EQ_INT(rtc_pc_connection_state(b.pc), RTC_CONNECTION_CONNECTING);
  run(&a, &b, RTC_MS(200000));
  CHECK_EQ_INT(rtc_pc_connection_state(b.pc), RTC_CONNECTION_CONNECTING);
  CHECK_EQ_INT(b.failed, 0);
  run(&a, &b, RTC_MS(200000));
  printf("  client gave up after %.1f s, the server's pc failed %.1f s later\n",
         (b.failed_at - t0) / 1e6, ((double)a.failed_at - (double)b.failed_at) / 1e6);
  CHECK_EQ_INT(b.failed, 1);
  CHECK_EQ_INT(a.failed, 1);
  CHECK_EQ_INT(rtc_pc_connection_state(a.pc), RTC_CONNECTION_FAILED);
  CHECK(a.failed_at > b.failed_at && a.failed_at - b.failed_at <= RTC_MS(35000));
  CHECK(b.failed_at - t0 > RTC_MS(200000));
  run_filter = NULL;
  rtc_dc_unref(dc);
  side_free(&a);
  side_free(&b);
}

static void test_errors_leave_pc_usable(void) {
  side_t a;
  side_init(&a, "10.0.0.1", 1002);
  CHECK(rtc_pc_set_remote_description(a.pc, RTC_SDP_OFFER, "v=0\r\nthis is not sdp\r\n") < 0);
  CHECK(strstr(rtc_pc_error(a.pc), "malformed SDP") != NULL);
  CHECK(rtc_pc_set_remote_description(a.pc, RTC_SDP_ANSWER, "v=0\r\n") == RTC_ESTATE);
  CHECK(strstr(rtc_pc_error(a.pc), "state stable") != NULL);
  CHECK(rtc_pc_add_ice_candidate(a.pc, "candidate:1 1 udp 1 1.2.3.4 5 typ host", "0", 0) ==
        RTC_ESTATE);
  CHECK_EQ_INT(rtc_pc_signaling_state(a.pc), RTC_SIGNALING_STABLE);
  char *offer = NULL;
  CHECK_EQ_INT(rtc_pc_create_offer(a.pc, false, &offer), 0);
  free(offer);
  side_free(&a);
}

static void test_fixture_offers_answered(void) {
  const char *files[] = {"chromium-156-offer-datachannel.sdp",
                         "firefox-153-offer-datachannel.sdp",
                         "aiortc-1.4-offer-datachannel.sdp",
                         "gstreamer-1.22-offer-datachannel.sdp",
                         "pion-3.1-offer-datachannel.sdp",
                         "werift-0.24-offer-datachannel.sdp",
                         "libwebrtc-m106-offer-datachannel.sdp",
                         "libdatachannel-0.24-offer-datachannel.sdp",
                         "chromium-156-offer-audio-video-datachannel.sdp",
                         "firefox-153-offer-audio-video-datachannel.sdp",
                         "aiortc-1.4-offer-audio-video-datachannel.sdp",
                         "gstreamer-1.22-offer-audio-video-datachannel.sdp",
                         "chromium-156-offer-datachannel-mdns.sdp"};
  for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
    char path[256];
    snprintf(path, sizeof(path), RTC_TEST_FIXTURES "/%s", files[i]);
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    if (!f) continue;
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = 0;
    fclose(f);
    rtc_pc_t *pc = rtc_pc_create(NULL, now_us);
    int r = rtc_pc_set_remote_description(pc, RTC_SDP_OFFER, buf);
    if (r != 0) fprintf(stderr, "  %s: %s\n", files[i], rtc_pc_error(pc));
    CHECK_EQ_INT(r, 0);
    char *answer = NULL;
    CHECK_EQ_INT(rtc_pc_create_answer(pc, &answer), 0);
    CHECK(answer && strstr(answer, "a=setup:active") != NULL);
    CHECK(answer && strstr(answer, "m=application 9 ") != NULL);
    CHECK_EQ_INT(rtc_pc_set_local_description(pc, RTC_SDP_ANSWER, answer), 0);
    free(answer);
    rtc_pc_destroy(pc);
  }
}

static void connect_pair(side_t *a, side_t *b, const char *ipa, const char *ipb, uint16_t port,
                         rtc_dc_t **dc) {
  side_init(a, ipa, port);
  side_init(b, ipb, (uint16_t)(port + 1000));
  *dc = rtc_pc_create_data_channel(a->pc, NULL);
  negotiate(a, b, false);
  run(a, b, RTC_MS(300));
  CHECK_EQ_INT(rtc_pc_connection_state(a->pc), RTC_CONNECTION_CONNECTED);
}

/* Counts what a (from 0) sends while the path is cut: everything is lost. */
static int cut_sent[2];
static bool cut_all(int from, const uint8_t *p, size_t len) {
  cut_sent[from]++;
  return false;
}

/* RFC 7675 5.1: once consent expired (ICE failed) nothing more goes out on the pair.
 * A message sent into the cut keeps SCTP retransmitting (RTO doubling to 60 s), and the
 * DTLS/SCTP datagrams kept going to the dead pair for as long as the pc lived. */
static void test_nothing_sent_after_consent_expired(void) {
  side_t a, b;
  rtc_dc_t *dc;
  connect_pair(&a, &b, "10.0.0.1", "10.0.0.2", 1004, &dc);
  run(&a, &b, RTC_MS(500));
  CHECK_EQ_INT(a.opens, 1);
  cut_sent[0] = cut_sent[1] = 0;
  run_filter = cut_all;
  CHECK_EQ_INT(rtc_dc_send(dc, false, (const uint8_t *)"into the cut", 12), 0);
  run(&a, &b, RTC_MS(40000));
  CHECK_EQ_INT(rtc_pc_connection_state(a.pc), RTC_CONNECTION_FAILED);
  int at_failed = cut_sent[0];
  run(&a, &b, RTC_MS(300000));
  printf("  a sent %d datagrams into the cut before failed, %d after\n", at_failed,
         cut_sent[0] - at_failed);
  CHECK(at_failed > 0);
  CHECK_EQ_INT(cut_sent[0] - at_failed, 0);
  run_filter = NULL;
  rtc_dc_unref(dc);
  side_free(&a);
  side_free(&b);
}

/* A prepared ICE-restart offer that is never applied (glare) must not leak into
 * answers: the answer carries the live agent's credentials. */
static void test_unused_restart_offer_does_not_break_answers(void) {
  side_t a, b;
  rtc_dc_t *dc;
  connect_pair(&a, &b, "10.0.1.1", "10.0.1.2", 1100, &dc);
  char *unused = NULL, *offer = NULL;
  CHECK_EQ_INT(rtc_pc_create_offer(b.pc, true, &unused), 0);
  free(unused);
  CHECK_EQ_INT(rtc_pc_create_offer(a.pc, false, &offer), 0);
  CHECK_EQ_INT(rtc_pc_set_local_description(a.pc, RTC_SDP_OFFER, offer), 0);
  CHECK_EQ_INT(rtc_pc_set_remote_description(b.pc, RTC_SDP_OFFER, offer), 0);
  CHECK_EQ_INT(rtc_pc_set_local_description(b.pc, RTC_SDP_ANSWER, NULL), 0);
  CHECK_EQ_INT(rtc_pc_signaling_state(b.pc), RTC_SIGNALING_STABLE);
  free(offer);
  rtc_dc_unref(dc);
  side_free(&a);
  side_free(&b);
}

/* An ICE-restart offer rolled back leaves the connection as it was. */
static void test_ice_restart_rollback_keeps_connection(void) {
  side_t a, b;
  rtc_dc_t *dc;
  connect_pair(&a, &b, "10.0.2.1", "10.0.2.2", 1200, &dc);
  char *offer = NULL;
  CHECK_EQ_INT(rtc_pc_create_offer(b.pc, true, &offer), 0);
  CHECK_EQ_INT(rtc_pc_set_local_description(b.pc, RTC_SDP_OFFER, offer), 0);
  CHECK_EQ_INT(rtc_pc_set_local_description(b.pc, RTC_SDP_ROLLBACK, NULL), 0);
  free(offer);
  run(&a, &b, RTC_MS(60000));
  CHECK_EQ_INT(rtc_pc_connection_state(a.pc), RTC_CONNECTION_CONNECTED);
  CHECK_EQ_INT(rtc_pc_connection_state(b.pc), RTC_CONNECTION_CONNECTED);
  rtc_dc_unref(dc);
  side_free(&a);
  side_free(&b);
}

/* An ICE restart applied by both sides: new credentials, the channel carries on. */
static void test_ice_restart_keeps_channel(void) {
  side_t a, b;
  rtc_dc_t *dc;
  connect_pair(&a, &b, "10.0.3.1", "10.0.3.2", 1300, &dc);
  char *offer = NULL, *answer = NULL;
  CHECK_EQ_INT(rtc_pc_create_offer(a.pc, true, &offer), 0);
  CHECK_EQ_INT(rtc_pc_set_local_description(a.pc, RTC_SDP_OFFER, offer), 0);
  CHECK_EQ_INT(rtc_pc_set_remote_description(b.pc, RTC_SDP_OFFER, offer), 0);
  CHECK_EQ_INT(rtc_pc_create_answer(b.pc, &answer), 0);
  CHECK_EQ_INT(rtc_pc_set_local_description(b.pc, RTC_SDP_ANSWER, answer), 0);
  CHECK_EQ_INT(rtc_pc_set_remote_description(a.pc, RTC_SDP_ANSWER, answer), 0);
  free(offer);
  free(answer);
  run(&a, &b, RTC_MS(100)); /* new candidates come as events */
  for (int i = 0; i < a.n_cands; i++)
    rtc_pc_add_ice_candidate(b.pc, a.cands[i], "0", 0);
  for (int i = 0; i < b.n_cands; i++)
    rtc_pc_add_ice_candidate(a.pc, b.cands[i], "0", 0);
  run(&a, &b, RTC_MS(40000)); /* past the old agent's consent lifetime */
  CHECK_EQ_INT(rtc_pc_connection_state(a.pc), RTC_CONNECTION_CONNECTED);
  b.messages = 0;
  CHECK_EQ_INT(rtc_dc_send(dc, false, (const uint8_t *)"after", 5), 0);
  run(&a, &b, RTC_MS(100));
  CHECK_EQ_INT(b.messages, 1);
  rtc_dc_unref(dc);
  side_free(&a);
  side_free(&b);
}

/* Channels made before the DTLS role is known: negotiated ids are kept, in-band
 * channels take other ids. */
static void test_negotiated_id_not_taken(void) {
  side_t a, b;
  side_init(&a, "10.0.4.1", 1400);
  side_init(&b, "10.0.4.2", 2400);
  rtc_dc_init_t ni;
  rtc_dc_init_defaults(&ni);
  ni.negotiated = true;
  ni.id = 1; /* the odd ids are A's in-band ids here (A ends up DTLS server) */
  rtc_dc_t *neg = rtc_pc_create_data_channel(a.pc, &ni);
  rtc_dc_t *inb = rtc_pc_create_data_channel(a.pc, NULL);
  negotiate(&a, &b, false);
  run(&a, &b, RTC_MS(300));
  CHECK_EQ_INT(rtc_dc_id(neg), 1);
  CHECK_EQ_INT(rtc_dc_ready_state(neg), RTC_DC_OPEN);
  CHECK(rtc_dc_id(inb) != 1);
  CHECK_EQ_INT(rtc_dc_ready_state(inb), RTC_DC_OPEN);
  rtc_dc_unref(neg);
  rtc_dc_unref(inb);
  side_free(&a);
  side_free(&b);
}

/* A fingerprint that is not hex is refused at setRemoteDescription (not a pc that
 * hangs in connecting). */
static void test_malformed_fingerprint_refused(void) {
  side_t a, b;
  side_init(&a, "10.0.5.1", 1500);
  side_init(&b, "10.0.5.2", 2500);
  rtc_dc_t *dc = rtc_pc_create_data_channel(a.pc, NULL);
  char *offer = NULL, *answer = NULL;
  CHECK_EQ_INT(rtc_pc_create_offer(a.pc, false, &offer), 0);
  CHECK_EQ_INT(rtc_pc_set_local_description(a.pc, RTC_SDP_OFFER, offer), 0);
  CHECK_EQ_INT(rtc_pc_set_remote_description(b.pc, RTC_SDP_OFFER, offer), 0);
  CHECK_EQ_INT(rtc_pc_create_answer(b.pc, &answer), 0);
  char *fp = strstr(answer, "a=fingerprint:sha-256 ");
  if (fp) fp[22] = 'Z';
  CHECK_EQ_INT(rtc_pc_set_remote_description(a.pc, RTC_SDP_ANSWER, answer), RTC_EINVAL);
  CHECK(strstr(rtc_pc_error(a.pc), "fingerprint") != NULL);
  CHECK_EQ_INT(rtc_pc_signaling_state(a.pc), RTC_SIGNALING_HAVE_LOCAL_OFFER);
  free(offer);
  free(answer);
  rtc_dc_unref(dc);
  side_free(&a);
  side_free(&b);
}

/* Glare, W3C "perfect negotiation": both offer; the polite side's setRemoteDescription
 * rolls its own offer back implicitly, answers, and the connection comes up. */
static void test_glare_implicit_rollback(void) {
  side_t a, b;
  side_init(&a, "10.0.6.1", 1600);
  side_init(&b, "10.0.6.2", 2600);
  rtc_dc_t *da = rtc_pc_create_data_channel(a.pc, NULL);
  rtc_dc_t *db = rtc_pc_create_data_channel(b.pc, NULL);
  char *oa = NULL, *ob = NULL, *answer = NULL;
  CHECK_EQ_INT(rtc_pc_set_local_description(a.pc, RTC_SDP_OFFER, NULL), 0);
  CHECK_EQ_INT(rtc_pc_set_local_description(b.pc, RTC_SDP_OFFER, NULL), 0);
  oa = strdup(rtc_pc_local_description(a.pc, NULL));
  ob = strdup(rtc_pc_local_description(b.pc, NULL));
  /* The impolite side ignores the colliding offer; the polite one takes A's. */
  CHECK_EQ_INT(rtc_pc_set_remote_description(b.pc, RTC_SDP_OFFER, oa), 0);
  CHECK_EQ_INT(rtc_pc_signaling_state(b.pc), RTC_SIGNALING_HAVE_REMOTE_OFFER);
  CHECK_EQ_INT(rtc_pc_create_answer(b.pc, &answer), 0);
  CHECK_EQ_INT(rtc_pc_set_local_description(b.pc, RTC_SDP_ANSWER, answer), 0);
  CHECK_EQ_INT(rtc_pc_set_remote_description(a.pc, RTC_SDP_ANSWER, answer), 0);
  gather(&a);
  gather(&b);
  drain_events(&a);
  drain_events(&b);
  for (int i = 0; i < a.n_cands; i++)
    rtc_pc_add_ice_candidate(b.pc, a.cands[i], "0", 0);
  for (int i = 0; i < b.n_cands; i++)
    rtc_pc_add_ice_candidate(a.pc, b.cands[i], "0", 0);
  run(&a, &b, RTC_MS(300));
  CHECK_EQ_INT(rtc_pc_connection_state(a.pc), RTC_CONNECTION_CONNECTED);
  CHECK_EQ_INT(rtc_dc_ready_state(da), RTC_DC_OPEN);
  CHECK_EQ_INT(rtc_dc_ready_state(db), RTC_DC_OPEN);
  free(oa);
  free(ob);
  free(answer);
  rtc_dc_unref(da);
  rtc_dc_unref(db);
  side_free(&a);
  side_free(&b);
}

/* setLocalDescription(rollback) undoes a remote offer too (W3C). */
static void test_rollback_remote_offer(void) {
  side_t a, b;
  side_init(&a, "10.0.7.1", 1700);
  side_init(&b, "10.0.7.2", 2700);
  rtc_dc_t *da = rtc_pc_create_data_channel(a.pc, NULL);
  char *offer = NULL;
  CHECK_EQ_INT(rtc_pc_create_offer(a.pc, false, &offer), 0);
  CHECK_EQ_INT(rtc_pc_set_remote_description(b.pc, RTC_SDP_OFFER, offer), 0);
  CHECK_EQ_INT(rtc_pc_set_local_description(b.pc, RTC_SDP_ROLLBACK, NULL), 0);
  CHECK_EQ_INT(rtc_pc_signaling_state(b.pc), RTC_SIGNALING_STABLE);
  CHECK(rtc_pc_remote_description(b.pc, NULL) == NULL);
  CHECK_EQ_INT(rtc_pc_set_local_description(b.pc, RTC_SDP_ROLLBACK, NULL), RTC_ESTATE);
  free(offer);
  rtc_dc_unref(da);
  side_free(&a);
  side_free(&b);
}

/* A subsequent offer may not drop m-lines, change mids or the DTLS fingerprint. */
static void test_subsequent_offer_checked(void) {
  side_t a, b;
  rtc_dc_t *dc;
  connect_pair(&a, &b, "10.0.8.1", "10.0.8.2", 1800, &dc);
  char *offer = NULL;
  CHECK_EQ_INT(rtc_pc_create_offer(a.pc, false, &offer), 0);
  char *mid = strstr(offer, "a=mid:0");
  if (mid) mid[6] = '7';
  CHECK_EQ_INT(rtc_pc_set_remote_description(b.pc, RTC_SDP_OFFER, offer), RTC_EINVAL);
  CHECK(strstr(rtc_pc_error(b.pc), "changed its mid") != NULL);
  if (mid) mid[6] = '0';
  char *fp = strstr(offer, "a=fingerprint:sha-256 ");
  if (fp) fp[22] = fp[22] == 'A' ? 'B' : 'A';
  CHECK_EQ_INT(rtc_pc_set_remote_description(b.pc, RTC_SDP_OFFER, offer), RTC_ENOTSUP);
  CHECK_EQ_INT(rtc_pc_signaling_state(b.pc), RTC_SIGNALING_STABLE);
  run(&a, &b, RTC_MS(100));
  CHECK_EQ_INT(rtc_pc_connection_state(b.pc), RTC_CONNECTION_CONNECTED);
  free(offer);
  rtc_dc_unref(dc);
  side_free(&a);
  side_free(&b);
}

/* An answerer that sets the peer's complete offer (its candidates and
 * end-of-candidates) and answers only later, e.g. after a user accepted the call:
 * until it gathers it has no pair, which is no failure of its checks. ICE went
 * `failed` 10 s after setRemoteDescription (the no-pair grace counted from there)
 * and the call never connected. */
static void test_late_answer_to_complete_offer(void) {
  side_t a, b;
  side_init(&a, "10.0.0.1", 1000);
  side_init(&b, "10.0.0.2", 2000);
  rtc_dc_init_t init;
  rtc_dc_init_defaults(&init);
  init.label = "late";
  rtc_dc_t *dc = rtc_pc_create_data_channel(a.pc, &init);
  CHECK(dc != NULL);
  char *offer = NULL, *answer = NULL;
  CHECK_EQ_INT(rtc_pc_create_offer(a.pc, false, &offer), 0);
  CHECK_EQ_INT(rtc_pc_set_local_description(a.pc, RTC_SDP_OFFER, offer), 0);
  free(offer);
  gather(&a);
  drain_events(&a);
  CHECK(a.end_of_cands);
  /* The offer as sent without trickle: with a's candidates and end-of-candidates. */
  rtc_sdp_type_t type;
  const char *full = rtc_pc_local_description(a.pc, &type);
  CHECK(full && strstr(full, "a=candidate:") && strstr(full, "a=end-of-candidates"));
  CHECK_EQ_INT(rtc_pc_set_remote_description(b.pc, RTC_SDP_OFFER, full), 0);
  run(&a, &b, RTC_MS(15000)); /* the user takes 15 s to answer */
  CHECK_EQ_INT(b.failed, 0);
  CHECK_EQ_INT(rtc_pc_create_answer(b.pc, &answer), 0);
  CHECK_EQ_INT(rtc_pc_set_local_description(b.pc, RTC_SDP_ANSWER, answer), 0);
  CHECK_EQ_INT(rtc_pc_set_remote_description(a.pc, RTC_SDP_ANSWER, answer), 0);
  free(answer);
  gather(&b);
  drain_events(&b);
  for (int i = 0; i < b.n_cands; i++)
    CHECK_EQ_INT(rtc_pc_add_ice_candidate(a.pc, b.cands[i], "0", 0), 0);
  run(&a, &b, RTC_MS(500));
  CHECK_EQ_INT(b.failed, 0);
  CHECK_EQ_INT(rtc_pc_connection_state(a.pc), RTC_CONNECTION_CONNECTED);
  CHECK_EQ_INT(rtc_pc_connection_state(b.pc), RTC_CONNECTION_CONNECTED);
  CHECK_EQ_INT(a.opens, 1);
  rtc_dc_unref(dc);
  side_free(&a);
  side_free(&b);
}

/* Drops the a=max-message-size line from an SDP (the peer then announces none:
 * 64 KiB, RFC 8841 6.1). */
static void drop_mms(char *sdp) {
  char *l = strstr(sdp, "a=max-message-size:");
  if (!l) return;
  char *e = strstr(l, "\r\n");
  memmove(l, e + 2, strlen(e + 2) + 1);
}

/* The peer's a=max-message-size changes in a renegotiation (its first answer had
 * none: 64 KiB; the next says 256 KiB): pc.sctp.maxMessageSize and dc:send follow
 * the new value. dc:send refused 100,000 bytes with RTC_ETOOBIG ("exceeds the
 * peer's max-message-size") while maxMessageSize read 262144: the SCTP association
 * kept the value it was made with. */
static void test_max_message_size_renegotiated(void) {
  side_t a, b;
  side_init(&a, "10.0.9.1", 1900);
  side_init(&b, "10.0.9.2", 2900);
  rtc_dc_t *dc = rtc_pc_create_data_channel(a.pc, NULL);
  CHECK(dc != NULL);
  char *offer = NULL, *answer = NULL;
  CHECK_EQ_INT(rtc_pc_create_offer(a.pc, false, &offer), 0);
  CHECK_EQ_INT(rtc_pc_set_local_description(a.pc, RTC_SDP_OFFER, offer), 0);
  CHECK_EQ_INT(rtc_pc_set_remote_description(b.pc, RTC_SDP_OFFER, offer), 0);
  CHECK_EQ_INT(rtc_pc_create_answer(b.pc, &answer), 0);
  CHECK_EQ_INT(rtc_pc_set_local_description(b.pc, RTC_SDP_ANSWER, answer), 0);
  drop_mms(answer);
  CHECK_EQ_INT(rtc_pc_set_remote_description(a.pc, RTC_SDP_ANSWER, answer), 0);
  free(offer);
  free(answer);
  gather(&a);
  gather(&b);
  drain_events(&a);
  drain_events(&b);
  for (int i = 0; i < a.n_cands; i++)
    CHECK_EQ_INT(rtc_pc_add_ice_candidate(b.pc, a.cands[i], "0", 0), 0);
  for (int i = 0; i < b.n_cands; i++)
    CHECK_EQ_INT(rtc_pc_add_ice_candidate(a.pc, b.cands[i], "0", 0), 0);
  run(&a, &b, RTC_MS(300));
  CHECK_EQ_INT(a.opens, 1);
  rtc_pc_sctp_info_t si;
  rtc_pc_sctp_info(a.pc, &si);
  CHECK_EQ_INT((int)si.max_message_size, 65536);
  static uint8_t big[100000];
  memset(big, 'x', sizeof big);
  CHECK_EQ_INT(rtc_dc_send(dc, true, big, sizeof big), RTC_ETOOBIG);
  /* Renegotiation: b's answer as written this time. */
  CHECK_EQ_INT(rtc_pc_create_offer(a.pc, false, &offer), 0);
  CHECK_EQ_INT(rtc_pc_set_local_description(a.pc, RTC_SDP_OFFER, offer), 0);
  CHECK_EQ_INT(rtc_pc_set_remote_description(b.pc, RTC_SDP_OFFER, offer), 0);
  CHECK_EQ_INT(rtc_pc_create_answer(b.pc, &answer), 0);
  CHECK_EQ_INT(rtc_pc_set_local_description(b.pc, RTC_SDP_ANSWER, answer), 0);
  CHECK_EQ_INT(rtc_pc_set_remote_description(a.pc, RTC_SDP_ANSWER, answer), 0);
  free(offer);
  free(answer);
  rtc_pc_sctp_info(a.pc, &si);
  CHECK_EQ_INT((int)si.max_message_size, 262144);
  CHECK_EQ_INT(rtc_dc_send(dc, true, big, sizeof big), 0);
  run(&a, &b, RTC_MS(300));
  CHECK_EQ_INT(b.messages, 1);
  rtc_dc_unref(dc);
  side_free(&a);
  side_free(&b);
}

int main(void) {
  RUN_TEST(test_errors_leave_pc_usable);
  RUN_TEST(test_fixture_offers_answered);
  RUN_TEST(test_connect_and_echo);
  RUN_TEST(test_fingerprint_mismatch);
  RUN_TEST(test_dtls_failure_ends_peer);
  RUN_TEST(test_nothing_sent_after_consent_expired);
  RUN_TEST(test_unused_restart_offer_does_not_break_answers);
  RUN_TEST(test_ice_restart_rollback_keeps_connection);
  RUN_TEST(test_ice_restart_keeps_channel);
  RUN_TEST(test_negotiated_id_not_taken);
  RUN_TEST(test_malformed_fingerprint_refused);
  RUN_TEST(test_glare_implicit_rollback);
  RUN_TEST(test_rollback_remote_offer);
  RUN_TEST(test_subsequent_offer_checked);
  RUN_TEST(test_late_answer_to_complete_offer);
  RUN_TEST(test_max_message_size_renegotiated);
  TEST_MAIN_END();
}
