/* DTLS: two rtc_dtls_t wired together in memory on a fake clock (no sockets,
 * no sleeping): handshake, data, fingerprint checks, loss, fragmented and
 * early ClientHellos, close_notify, garbage. */
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <mbedtls/ssl.h>

#include "base/rtc_bytes.h"
#include "base/rtc_err.h"
#include "base/rtc_time.h"
#include "dtls/rtc_dtls.h"
#include "dtls/rtc_dtls_internal.h"
#include "dtls/rtc_dtls_reassembly.h"
#include "rtc_test.h"

static rtc_dtls_cert_t *cert_c, *cert_s; /* client's and server's identities */
static uint64_t now_us;

typedef struct side {
  rtc_dtls_t *d;
  int connected, closed, failed, data_n;
  char reason[160];
  uint8_t data[2048];
  size_t data_len;
  int sent; /* datagrams sent so far */
  int alert_received, alert_sent; /* from the FAILED event */
} side_t;

/* Decides the fate of the n-th datagram from side `from` (0 client, 1 server):
 * return false to drop it. It may also deliver it itself (and return false). */
typedef bool (*filter_cb)(int from, int n, const uint8_t *p, size_t len, side_t *dst, void *ud);

static void drain(side_t *s) {
  rtc_dtls_event_t ev;
  while (rtc_dtls_poll_event(s->d, &ev)) {
    switch (ev.type) {
    case RTC_DTLS_EVENT_CONNECTED: s->connected++; break;
    case RTC_DTLS_EVENT_CLOSED: s->closed++; break;
    case RTC_DTLS_EVENT_FAILED:
      s->failed++;
      snprintf(s->reason, sizeof s->reason, "%s", ev.reason ? ev.reason : "");
      s->alert_received = ev.alert_received;
      s->alert_sent = ev.alert_sent;
      break;
    case RTC_DTLS_EVENT_DATA:
      s->data_n++;
      s->data_len = ev.len < sizeof s->data ? ev.len : sizeof s->data;
      memcpy(s->data, ev.data, s->data_len);
      break;
    }
  }
}

static void side_init(side_t *s, rtc_dtls_cert_t *cert) {
  memset(s, 0, sizeof *s);
  rtc_dtls_config_t cfg = {.cert = cert};
  s->d = rtc_dtls_create(&cfg);
}

static void side_free(side_t *s) {
  rtc_dtls_destroy(s->d);
  s->d = NULL;
}

/* Moves datagrams both ways, firing timers when the wire is idle, until
 * nothing moves and no timer is due, or `limit_us` of simulated time. */
static void pump(side_t *s[2], filter_cb f, void *ud, uint64_t limit_us) {
  uint64_t end = now_us + limit_us;
  for (int iter = 0; iter < 100000; iter++) {
    int moved = 0;
    for (int i = 0; i < 2; i++) {
      const uint8_t *p;
      size_t len;
      while (rtc_dtls_poll_transmit(s[i]->d, &p, &len)) {
        int n = s[i]->sent++;
        moved++;
        if (f && !f(i, n, p, len, s[1 - i], ud)) continue;
        rtc_dtls_handle_datagram(s[1 - i]->d, now_us, p, len);
      }
    }
    drain(s[0]);
    drain(s[1]);
    if (moved) continue;
    uint64_t t = rtc_time_min(rtc_dtls_poll_timeout(s[0]->d), rtc_dtls_poll_timeout(s[1]->d));
    if (t == RTC_NEVER || t > end) break;
    if (t > now_us) now_us = t;
    for (int i = 0; i < 2; i++)
      if (rtc_dtls_poll_timeout(s[i]->d) <= now_us) rtc_dtls_handle_timeout(s[i]->d, now_us);
  }
}

static int start_pair(side_t *c, side_t *s, const char *fp_of_s, const char *fp_of_c) {
  int r = rtc_dtls_start(s->d, now_us, RTC_DTLS_ROLE_SERVER, "sha-256",
                         fp_of_c ? fp_of_c : rtc_dtls_cert_fingerprint(cert_c));
  r |= rtc_dtls_start(c->d, now_us, RTC_DTLS_ROLE_CLIENT, "sha-256",
                      fp_of_s ? fp_of_s : rtc_dtls_cert_fingerprint(cert_s));
  return r;
}

static double cpu_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void test_handshake_and_keys(void) {
  side_t c, s, *pair[2] = {&c, &s};
  side_init(&c, cert_c);
  side_init(&s, cert_s);
  CHECK(c.d && s.d);
  CHECK_EQ_INT(rtc_dtls_state(c.d), RTC_DTLS_NEW);
  now_us = 1000000;
  uint64_t t0 = now_us;
  double cpu0 = cpu_ms();
  CHECK_EQ_INT(start_pair(&c, &s, NULL, NULL), 0);
  CHECK_EQ_INT(rtc_dtls_state(c.d), RTC_DTLS_CONNECTING);
  pump(pair, NULL, NULL, RTC_MS(10000));
  double cpu1 = cpu_ms();
  printf("  handshake: %llu us simulated, %.2f ms CPU (both sides), %d+%d datagrams\n",
         (unsigned long long)(now_us - t0), cpu1 - cpu0, c.sent, s.sent);
  CHECK_EQ_INT(c.connected, 1);
  CHECK_EQ_INT(s.connected, 1);
  CHECK_EQ_INT(c.failed + s.failed, 0);
  CHECK_EQ_INT(rtc_dtls_state(c.d), RTC_DTLS_CONNECTED);
  CHECK_EQ_INT(rtc_dtls_state(s.d), RTC_DTLS_CONNECTED);
  CHECK_EQ_INT(now_us - t0, 0); /* no loss: no timer fired */
  CHECK(rtc_dtls_poll_timeout(c.d) == RTC_NEVER);
  CHECK(rtc_dtls_poll_timeout(s.d) == RTC_NEVER);

  rtc_dtls_srtp_keys_t kc, ks;
  CHECK_EQ_INT(rtc_dtls_get_srtp_keys(c.d, &kc), 0);
  CHECK_EQ_INT(rtc_dtls_get_srtp_keys(s.d, &ks), 0);
  CHECK_EQ_INT(kc.profile, 1);
  CHECK_EQ_INT(kc.key_len, 16);
  CHECK_EQ_INT(kc.salt_len, 14);
  CHECK(memcmp(&kc, &ks, sizeof kc) == 0);
  CHECK(memcmp(kc.client_key, kc.server_key, 16) != 0);
  side_free(&c);
  side_free(&s);
}

static void test_data_both_ways(void) {
  side_t c, s, *pair[2] = {&c, &s};
  side_init(&c, cert_c);
  side_init(&s, cert_s);
  CHECK_EQ_INT(rtc_dtls_send(c.d, (const uint8_t *)"x", 1), RTC_ESTATE);
  CHECK_EQ_INT(start_pair(&c, &s, NULL, NULL), 0);
  rtc_dtls_srtp_keys_t k;
  CHECK_EQ_INT(rtc_dtls_get_srtp_keys(c.d, &k), RTC_ESTATE);
  pump(pair, NULL, NULL, RTC_MS(10000));
  CHECK_EQ_INT(rtc_dtls_send(c.d, (const uint8_t *)"hello server", 12), 0);
  pump(pair, NULL, NULL, RTC_MS(10000));
  CHECK_EQ_INT(s.data_n, 1);
  CHECK(s.data_len == 12 && memcmp(s.data, "hello server", 12) == 0);
  CHECK_EQ_INT(rtc_dtls_send(s.d, (const uint8_t *)"hello client", 12), 0);
  /* Bigger than the MTU: one record, IP fragments it. */
  static uint8_t big[1500];
  for (size_t i = 0; i < sizeof big; i++)
    big[i] = (uint8_t)i;
  CHECK_EQ_INT(rtc_dtls_send(s.d, big, sizeof big), 0);
  pump(pair, NULL, NULL, RTC_MS(10000));
  CHECK_EQ_INT(c.data_n, 2);
  CHECK(c.data_len == sizeof big && memcmp(c.data, big, sizeof big) == 0);
  static uint8_t huge[16385];
  CHECK_EQ_INT(rtc_dtls_send(s.d, huge, sizeof huge), RTC_ETOOBIG);
  side_free(&c);
  side_free(&s);
}

static const char *wrong_fp =
    "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:"
    "EE:FF";

/* The client checks the server's certificate and refuses it. */
static void test_fp_mismatch_client_checks(void) {
  side_t c, s, *pair[2] = {&c, &s};
  side_init(&c, cert_c);
  side_init(&s, cert_s);
  CHECK_EQ_INT(start_pair(&c, &s, wrong_fp, NULL), 0);
  pump(pair, NULL, NULL, RTC_MS(20000));
  CHECK_EQ_INT(c.failed, 1);
  CHECK_STR(c.reason, "fingerprint mismatch");
  CHECK_EQ_INT(c.connected, 0);
  CHECK_EQ_INT(rtc_dtls_state(c.d), RTC_DTLS_FAILED);
  /* The server never completes: the client stopped before its Finished. */
  CHECK_EQ_INT(s.connected, 0);
  CHECK_EQ_INT(rtc_dtls_send(c.d, (const uint8_t *)"x", 1), RTC_ESTATE);
  CHECK_EQ_INT(c.data_n + s.data_n, 0);
  printf("  server after the client's alert: failed=%d (%s)\n", s.failed, s.reason);
  /* W3C RTCError sentAlert / receivedAlert: mbedTLS refuses a certificate its verify
   * callback failed with access_denied (49), seen in the plaintext alert it sends. */
  CHECK_EQ_INT(c.alert_sent, 49);
  CHECK_EQ_INT(c.alert_received, -1);
  CHECK_EQ_INT(s.failed, 1);
  CHECK_EQ_INT(s.alert_received, 49);
  CHECK_EQ_INT(s.alert_sent, -1);
  side_free(&c);
  side_free(&s);
}

/* The server checks the client's certificate and refuses it. */
static void test_fp_mismatch_server_checks(void) {
  side_t c, s, *pair[2] = {&c, &s};
  side_init(&c, cert_c);
  side_init(&s, cert_s);
  /* Lowercase on the client side: fingerprints compare case-insensitively. */
  char lower[100];
  snprintf(lower, sizeof lower, "%s", rtc_dtls_cert_fingerprint(cert_s));
  for (char *q = lower; *q; q++)
    if (*q >= 'A' && *q <= 'F') *q = (char)(*q - 'A' + 'a');
  CHECK_EQ_INT(start_pair(&c, &s, lower, wrong_fp), 0);
  pump(pair, NULL, NULL, RTC_MS(20000));
  CHECK_EQ_INT(s.failed, 1);
  CHECK_STR(s.reason, "fingerprint mismatch");
  CHECK_EQ_INT(s.connected, 0);
  CHECK_EQ_INT(c.connected, 0);
  CHECK_EQ_INT(s.alert_sent, 49);
  CHECK_EQ_INT(c.alert_received, 49);
  if (c.connected) rtc_dtls_send(c.d, (const uint8_t *)"secret", 6);
  pump(pair, NULL, NULL, RTC_MS(20000));
  CHECK_EQ_INT(c.data_n + s.data_n, 0);
  side_free(&c);
  side_free(&s);
}

static void test_bad_fingerprint_args(void) {
  side_t c;
  side_init(&c, cert_c);
  CHECK_EQ_INT(rtc_dtls_start(c.d, 0, RTC_DTLS_ROLE_CLIENT, "md5", wrong_fp), RTC_ENOTSUP);
  CHECK_EQ_INT(rtc_dtls_start(c.d, 0, RTC_DTLS_ROLE_CLIENT, "sha-256", "00:11"), RTC_EINVAL);
  CHECK_EQ_INT(rtc_dtls_start(c.d, 0, RTC_DTLS_ROLE_CLIENT, "sha-256", "zz"), RTC_EINVAL);
  CHECK_EQ_INT(rtc_dtls_start(c.d, 0, RTC_DTLS_ROLE_CLIENT, "SHA-256", wrong_fp), 0);
  CHECK_EQ_INT(rtc_dtls_start(c.d, 0, RTC_DTLS_ROLE_CLIENT, "sha-256", wrong_fp), RTC_ESTATE);
  side_free(&c);
  rtc_dtls_config_t none = {0};
  CHECK(rtc_dtls_create(&none) == NULL);
  rtc_dtls_destroy(NULL);
}

static bool drop_first_client(int from, int n, const uint8_t *p, size_t len, side_t *dst,
                              void *ud) {
  return !(from == 0 && n == 0);
}

static bool drop_first_server_flight(int from, int n, const uint8_t *p, size_t len, side_t *dst,
                                     void *ud) {
  int *first_flight = ud;
  if (from == 1 && n < *first_flight) return false;
  return true;
}

static void test_loss_recovers(void) {
  side_t c, s, *pair[2] = {&c, &s};
  side_init(&c, cert_c);
  side_init(&s, cert_s);
  now_us = 5000000;
  uint64_t t0 = now_us;
  CHECK_EQ_INT(start_pair(&c, &s, NULL, NULL), 0);
  pump(pair, drop_first_client, NULL, RTC_MS(10000));
  printf("  ClientHello lost: connected after %llu ms simulated\n",
         (unsigned long long)((now_us - t0) / 1000));
  CHECK_EQ_INT(c.connected, 1);
  CHECK_EQ_INT(s.connected, 1);
  /* The default initial RTO is 100 ms: recovered at the first retransmission. */
  CHECK_EQ_INT(now_us - t0, RTC_MS(100));
  side_free(&c);
  side_free(&s);

  /* The server's whole first flight lost (it is 1 datagram at MTU 1200). */
  side_init(&c, cert_c);
  side_init(&s, cert_s);
  rtc_dtls_set_rto(c.d, 40);
  rtc_dtls_set_rto(s.d, 40);
  t0 = now_us;
  int ff = 1;
  CHECK_EQ_INT(start_pair(&c, &s, NULL, NULL), 0);
  pump(pair, drop_first_server_flight, &ff, RTC_MS(10000));
  printf("  server flight lost, rto 40 ms: connected after %llu ms simulated\n",
         (unsigned long long)((now_us - t0) / 1000));
  CHECK_EQ_INT(c.connected, 1);
  CHECK_EQ_INT(s.connected, 1);
  CHECK(now_us - t0 <= RTC_MS(40));
  side_free(&c);
  side_free(&s);

  /* An RTO from an ICE round trip measured through losses (seconds) is held to 3 s,
   * as libwebrtc holds its initial DTLS timeout: a lost ClientHello cost 6.3 s. */
  side_init(&c, cert_c);
  side_init(&s, cert_s);
  rtc_dtls_set_rto(c.d, 6300);
  rtc_dtls_set_rto(s.d, 6300);
  t0 = now_us;
  CHECK_EQ_INT(start_pair(&c, &s, NULL, NULL), 0);
  pump(pair, drop_first_client, NULL, RTC_MS(20000));
  printf("  ClientHello lost, rto 6300 ms asked: connected after %llu ms simulated\n",
         (unsigned long long)((now_us - t0) / 1000));
  CHECK_EQ_INT(c.connected, 1);
  CHECK_EQ_INT(now_us - t0, RTC_MS(3000));
  side_free(&c);
  side_free(&s);
}

static bool drop_server_finished(int from, int n, const uint8_t *p, size_t len, side_t *dst,
                                 void *ud) {
  return !(from == 1 && n == 1);
}

/* The server's last flight (ChangeCipherSpec, Finished) is lost: the server is
 * already connected; the client retransmits its flight and the server must
 * answer it again (RFC 6347 4.2.4). */
static void test_last_flight_lost(void) {
  side_t c, s, *pair[2] = {&c, &s};
  side_init(&c, cert_c);
  side_init(&s, cert_s);
  uint64_t t0 = now_us;
  CHECK_EQ_INT(start_pair(&c, &s, NULL, NULL), 0);
  pump(pair, drop_server_finished, NULL, RTC_MS(10000));
  printf("  server Finished lost: client connected after %llu ms simulated\n",
         (unsigned long long)((now_us - t0) / 1000));
  CHECK_EQ_INT(c.connected, 1);
  CHECK_EQ_INT(s.connected, 1);
  /* the server resent its last flight as it kept it (dtls_keep_flight): mbedTLS
   * was already freed when the client's retransmission came */
  CHECK(rtc__dtls_lean(s.d) && rtc__dtls_lean(c.d));
  CHECK_EQ_INT(rtc__dtls_flight_resends(s.d), 1);
  CHECK_EQ_INT(c.failed + s.failed, 0);
  CHECK(rtc_dtls_poll_timeout(c.d) == RTC_NEVER);
  CHECK(rtc_dtls_poll_timeout(s.d) == RTC_NEVER);
  CHECK_EQ_INT(rtc_dtls_send(c.d, (const uint8_t *)"ping", 4), 0);
  CHECK_EQ_INT(rtc_dtls_send(s.d, (const uint8_t *)"pong", 4), 0);
  pump(pair, NULL, NULL, RTC_MS(1000));
  CHECK_EQ_INT(c.data_n, 1);
  CHECK_EQ_INT(s.data_n, 1);
  side_free(&c);
  side_free(&s);
}

static bool drop_all(int from, int n, const uint8_t *p, size_t len, side_t *dst, void *ud) {
  return false;
}

/* Nobody answers: the client retransmits its ClientHello with the RTO doubling from
 * 100 ms up to 60 s (RFC 6347 4.2.4.1), and gives up only after 12 timeouts in a row
 * (BoringSSL's count), ~282 s: not after the ~6 s (default) or ~16 s (the transport's
 * 8 s cap) it took when mbedTLS's hs_timeout_max was both the cap and the give-up. */
static void test_handshake_timeout(void) {
  side_t c, s, *pair[2] = {&c, &s};
  side_init(&c, cert_c);
  side_init(&s, cert_s);
  uint64_t t0 = now_us;
  CHECK_EQ_INT(start_pair(&c, &s, NULL, NULL), 0);
  pump(pair, drop_all, NULL, RTC_MS(200000));
  printf("  no answer: still trying after 200 s simulated (%d ClientHellos)\n", c.sent);
  CHECK_EQ_INT(c.failed, 0);
  CHECK_EQ_INT(rtc_dtls_state(c.d), RTC_DTLS_CONNECTING);
  pump(pair, drop_all, NULL, RTC_MS(600000));
  printf("  no answer: client gave up after %llu ms simulated (%d ClientHellos)\n",
         (unsigned long long)((now_us - t0) / 1000), c.sent);
  CHECK_EQ_INT(c.failed, 1);
  CHECK_STR(c.reason, "handshake timeout");
  /* 100 ms .. 51.2 s (10 timers), then three of 60 s: the 13th timeout gives up. */
  CHECK_EQ_INT((now_us - t0) / 1000, 102300 + 3 * 60000);
  CHECK_EQ_INT(c.sent, 14); /* the ClientHello, 12 retransmissions, the alert */
  CHECK(rtc_dtls_poll_timeout(c.d) == RTC_NEVER);
  side_free(&c);
  side_free(&s);
}

/* Drops the server's datagrams after its first flight while *ud (a count) lasts: its
 * Finished, and the copies it sends again when the client retransmits (lossy seeds
 * 1871 and 291 of tests/sim: the server connected, its last flight lost again and
 * again). */
static bool drop_server_last_flights(int from, int n, const uint8_t *p, size_t len, side_t *dst,
                                     void *ud) {
  int *left = ud;
  if (from != 1 || n == 0 || *left == 0) return true;
  (*left)--;
  return false;
}

/* The server's last flight lost 9 times: the client, connected to nobody for a
 * while, keeps retransmitting its flight with backoff and connects at the 10th. It
 * gave up after ~16 s in the transport's setting (max RTO 8 s) or ~6 s by default,
 * and the server answered only 8 retransmissions. */
static void test_last_flight_lost_many_times(void) {
  side_t c, s, *pair[2] = {&c, &s};
  side_init(&c, cert_c);
  side_init(&s, cert_s);
  uint64_t t0 = now_us;
  int left = 10; /* the Finished and 9 copies */
  CHECK_EQ_INT(start_pair(&c, &s, NULL, NULL), 0);
  pump(pair, drop_server_last_flights, &left, RTC_MS(600000));
  printf("  server Finished lost 10 times: client connected after %llu ms simulated\n",
         (unsigned long long)((now_us - t0) / 1000));
  CHECK_EQ_INT(s.connected, 1);
  CHECK_EQ_INT(c.connected, 1);
  CHECK_EQ_INT(c.failed + s.failed, 0);
  CHECK_EQ_INT(rtc__dtls_flight_resends(s.d), 10);
  /* 100 ms doubling: the 10th retransmission (after 10 timers, 0.1 .. 51.2 s) answered. */
  CHECK_EQ_INT((now_us - t0) / 1000, 102300);
  side_free(&c);
  side_free(&s);
}

/* The client gives up while the server already completed (its last flight never
 * arrives): the client's fatal alert goes out under the new epoch's keys, so the
 * server fails too instead of staying connected to a peer that has given up. */
static void test_give_up_alerts_server(void) {
  side_t c, s, *pair[2] = {&c, &s};
  side_init(&c, cert_c);
  side_init(&s, cert_s);
  int left = 1000;
  CHECK_EQ_INT(start_pair(&c, &s, NULL, NULL), 0);
  pump(pair, drop_server_last_flights, &left, RTC_MS(600000));
  CHECK_EQ_INT(s.connected, 1);
  CHECK_EQ_INT(c.connected, 0);
  CHECK_EQ_INT(c.failed, 1);
  CHECK_STR(c.reason, "handshake timeout");
  CHECK_EQ_INT(s.failed, 1);
  CHECK_STR(s.reason, "fatal alert received (-0x7780 SSL - A fatal alert message was received from our peer)");
  CHECK_EQ_INT(rtc_dtls_state(s.d), RTC_DTLS_FAILED);
  /* the give-up alert went under the new keys (ours, not read back): handshake_failure */
  CHECK_EQ_INT(c.alert_sent, 40);
  CHECK_EQ_INT(s.alert_received, 40); /* read by the lean record path */
  side_free(&c);
  side_free(&s);
}

/* Re-fragments a datagram holding one ClientHello record into `n` records of
 * handshake fragments (RFC 6347 4.2.3), written to out[i]/out_len[i], in the
 * order given by `order` (fragment i carries piece order[i]); a piece may
 * overlap the previous one by `overlap` bytes. Record sequence numbers follow
 * the pieces. Returns false if p is not a whole ClientHello. */
static bool refragment(const uint8_t *p, size_t len, int n, const int *order, size_t overlap,
                       uint8_t out[][2048], size_t *out_len) {
  if (len < 25 || p[0] != 22 || p[13] != 1) return false;
  uint32_t length = rtc_rd24(p + 14);
  if (rtc_rd24(p + 19) != 0 || rtc_rd24(p + 22) != length || 25 + length > len) return false;
  const uint8_t *body = p + 25;
  uint64_t seq0 = ((uint64_t)rtc_rd16(p + 5) << 32) | rtc_rd32(p + 7);
  for (int i = 0; i < n; i++) {
    int k = order ? order[i] : i;
    uint32_t off = length * (uint32_t)k / (uint32_t)n,
             end = length * (uint32_t)(k + 1) / (uint32_t)n;
    if (off >= overlap) off -= (uint32_t)overlap;
    uint32_t flen = end - off;
    uint8_t *r = out[i];
    memcpy(r, p, 13);
    uint64_t seq = seq0 + (uint64_t)k;
    rtc_wr16(r + 5, (uint16_t)(seq >> 32));
    rtc_wr32(r + 7, (uint32_t)seq);
    rtc_wr16(r + 11, (uint16_t)(12 + flen));
    memcpy(r + 13, p + 13, 6); /* msg_type, length, message_seq */
    rtc_wr24(r + 19, off);
    rtc_wr24(r + 22, flen);
    memcpy(r + 25, body + off, flen);
    out_len[i] = 25 + flen;
  }
  return true;
}

typedef struct frag_plan {
  int n;
  const int *order;
  size_t overlap;
  int dup_first; /* deliver the first fragment twice */
  bool done;
  bool early_output; /* the server answered before it had the whole ClientHello */
} frag_plan_t;

/* Replaces the client's first datagram (its ClientHello) with fragments, one
 * per datagram. */
static bool fragment_client_hello(int from, int n, const uint8_t *p, size_t len, side_t *dst,
                                  void *ud) {
  frag_plan_t *plan = ud;
  if (from != 0 || n != 0) return true;
  static uint8_t frags[8][2048];
  size_t flen[8];
  if (!refragment(p, len, plan->n, plan->order, plan->overlap, frags, flen)) return true;
  for (int i = 0; i < plan->n; i++) {
    rtc_dtls_handle_datagram(dst->d, now_us, frags[i], flen[i]);
    if (i == 0 && plan->dup_first) rtc_dtls_handle_datagram(dst->d, now_us, frags[i], flen[i]);
    /* Nothing may come out before the whole ClientHello is in. */
    if (i < plan->n - 1) {
      const uint8_t *q;
      size_t ql;
      if (rtc_dtls_poll_transmit(dst->d, &q, &ql)) plan->early_output = true;
    }
  }
  plan->done = true;
  return false;
}

static void test_fragmented_client_hello(void) {
  side_t c, s, *pair[2] = {&c, &s};
  side_init(&c, cert_c);
  side_init(&s, cert_s);
  uint64_t t0 = now_us;
  frag_plan_t plan = {.n = 3};
  CHECK_EQ_INT(start_pair(&c, &s, NULL, NULL), 0);
  pump(pair, fragment_client_hello, &plan, RTC_MS(10000));
  CHECK(plan.done);
  CHECK(!plan.early_output);
  CHECK_EQ_INT(c.connected, 1);
  CHECK_EQ_INT(s.connected, 1);
  CHECK_EQ_INT(now_us - t0, 0); /* reassembled at once, no retransmission needed */
  rtc_dtls_srtp_keys_t kc, ks;
  CHECK_EQ_INT(rtc_dtls_get_srtp_keys(c.d, &kc), 0);
  CHECK_EQ_INT(rtc_dtls_get_srtp_keys(s.d, &ks), 0);
  CHECK(memcmp(&kc, &ks, sizeof kc) == 0);
  side_free(&c);
  side_free(&s);
}

static void test_fragmented_client_hello_out_of_order(void) {
  static const int order[5] = {3, 0, 4, 2, 1};
  side_t c, s, *pair[2] = {&c, &s};
  side_init(&c, cert_c);
  side_init(&s, cert_s);
  uint64_t t0 = now_us;
  frag_plan_t plan = {.n = 5, .order = order, .overlap = 7, .dup_first = 1};
  CHECK_EQ_INT(start_pair(&c, &s, NULL, NULL), 0);
  pump(pair, fragment_client_hello, &plan, RTC_MS(10000));
  CHECK(plan.done);
  CHECK(!plan.early_output);
  CHECK_EQ_INT(c.connected, 1);
  CHECK_EQ_INT(s.connected, 1);
  CHECK_EQ_INT(now_us - t0, 0);
  CHECK_EQ_INT(rtc_dtls_send(c.d, (const uint8_t *)"after frag", 10), 0);
  pump(pair, NULL, NULL, RTC_MS(1000));
  CHECK_EQ_INT(s.data_n, 1);
  side_free(&c);
  side_free(&s);
}

/* The reassembler alone: bounds and inconsistencies. */
static void test_reassembler_direct(void) {
  rtc_dtls_reasm_t r;
  const uint8_t *out = NULL;
  size_t out_len = 0;
  uint8_t rec[64];
  memset(rec, 0, sizeof rec);
  rec[0] = 22;
  rec[1] = 0xfe;
  rec[2] = 0xfd;
  /* Fragment of a ClientHello of length 20: offset 0, 10 bytes. */
  rtc_wr16(rec + 11, 12 + 10);
  rec[13] = 1;
  rtc_wr24(rec + 14, 20);
  rtc_wr24(rec + 19, 0);
  rtc_wr24(rec + 22, 10);
  memset(rec + 25, 0xAA, 10);

  rtc_dtls_reasm_init(&r);
  CHECK_EQ_INT(rtc_dtls_reasm_feed(&r, rec, 35, &out, &out_len), RTC_DTLS_REASM_HELD);
  /* A fragment claiming a different total length replaces what we had... */
  uint8_t bad[64];
  memcpy(bad, rec, sizeof bad);
  rtc_wr24(bad + 14, 21);
  rtc_wr24(bad + 19, 10);
  CHECK_EQ_INT(rtc_dtls_reasm_feed(&r, bad, 35, &out, &out_len), RTC_DTLS_REASM_HELD);
  CHECK_EQ_INT(r.dropped, 1);
  CHECK_EQ_INT(r.length, 21); /* ... by starting over from it */
  CHECK_EQ_INT(rtc_dtls_reasm_feed(&r, rec, 35, &out, &out_len), RTC_DTLS_REASM_HELD);
  CHECK_EQ_INT(r.dropped, 2);
  CHECK_EQ_INT(r.length, 20);
  r.dropped = 1;
  /* Past the end. */
  rtc_wr24(bad + 14, 20);
  rtc_wr24(bad + 19, 15);
  CHECK_EQ_INT(rtc_dtls_reasm_feed(&r, bad, 35, &out, &out_len), RTC_DTLS_REASM_HELD);
  CHECK_EQ_INT(r.dropped, 2);
  /* fragment_length larger than the record. */
  rtc_wr24(bad + 19, 10);
  rtc_wr24(bad + 22, 30);
  CHECK_EQ_INT(rtc_dtls_reasm_feed(&r, bad, 35, &out, &out_len), RTC_DTLS_REASM_HELD);
  CHECK_EQ_INT(r.dropped, 3);
  /* Not a handshake record: passed on. */
  bad[0] = 23;
  CHECK_EQ_INT(rtc_dtls_reasm_feed(&r, bad, 35, &out, &out_len), RTC_DTLS_REASM_PASS);
  /* Truncated record: nothing read. */
  CHECK_EQ_INT(rtc_dtls_reasm_feed(&r, rec, 30, &out, &out_len), RTC_DTLS_REASM_PASS);
  /* The second half, record seq 5: complete. */
  rtc_wr24(rec + 19, 10);
  rec[10] = 5;
  memset(rec + 25, 0xBB, 10);
  CHECK_EQ_INT(rtc_dtls_reasm_feed(&r, rec, 35, &out, &out_len), RTC_DTLS_REASM_READY);
  CHECK_EQ_INT(out_len, 13 + 12 + 20);
  CHECK_EQ_INT(rtc_rd16(out + 11), 32);
  CHECK_EQ_INT(rtc_rd24(out + 19), 0);
  CHECK_EQ_INT(rtc_rd24(out + 22), 20);
  CHECK_EQ_INT(out[10], 0); /* the lowest record sequence number */
  CHECK(out[25] == 0xAA && out[34] == 0xAA && out[35] == 0xBB && out[44] == 0xBB);
  CHECK(rtc_dtls_reasm_done(&r));
  CHECK_EQ_INT(rtc_dtls_reasm_feed(&r, rec, 35, &out, &out_len), RTC_DTLS_REASM_PASS);
  rtc_dtls_reasm_close(&r);

  /* Too large a ClientHello is refused before anything is allocated. */
  rtc_dtls_reasm_init(&r);
  rtc_wr24(rec + 14, RTC_DTLS_REASM_MAX_BODY + 1);
  rtc_wr24(rec + 19, 0);
  CHECK_EQ_INT(rtc_dtls_reasm_feed(&r, rec, 35, &out, &out_len), RTC_DTLS_REASM_HELD);
  CHECK(r.msg == NULL);
  rtc_dtls_reasm_close(&r);
}

typedef struct early_plan {
  rtc_dtls_t *server;
  bool done;
} early_plan_t;

static void test_early_client_hello(void) {
  side_t c, s, *pair[2] = {&c, &s};
  side_init(&c, cert_c);
  side_init(&s, cert_s);
  /* The client starts first; its ClientHello reaches the server before the
   * server knows its role (the answer's SDP not applied yet). */
  CHECK_EQ_INT(rtc_dtls_start(c.d, now_us, RTC_DTLS_ROLE_CLIENT, "sha-256",
                              rtc_dtls_cert_fingerprint(cert_s)),
               0);
  const uint8_t *p;
  size_t len;
  int n = 0;
  while (rtc_dtls_poll_transmit(c.d, &p, &len)) {
    CHECK_EQ_INT(rtc_dtls_handle_datagram(s.d, now_us, p, len), 0);
    n++;
  }
  CHECK_EQ_INT(n, 1);
  CHECK_EQ_INT(rtc_dtls_state(s.d), RTC_DTLS_NEW);
  CHECK(!rtc_dtls_poll_transmit(s.d, &p, &len));
  uint64_t t0 = now_us;
  CHECK_EQ_INT(rtc_dtls_start(s.d, now_us, RTC_DTLS_ROLE_SERVER, "sha-256",
                              rtc_dtls_cert_fingerprint(cert_c)),
               0);
  pump(pair, NULL, NULL, RTC_MS(10000));
  CHECK_EQ_INT(c.connected, 1);
  CHECK_EQ_INT(s.connected, 1);
  CHECK_EQ_INT(now_us - t0, 0); /* answered at start, not after a retransmission */
  side_free(&c);
  side_free(&s);

  /* The early queue is bounded. */
  side_init(&s, cert_s);
  uint8_t junk[5000];
  memset(junk, 0, sizeof junk);
  junk[0] = 22;
  for (int i = 0; i < 100; i++)
    CHECK_EQ_INT(rtc_dtls_handle_datagram(s.d, now_us, junk, sizeof junk), 0);
  side_free(&s);
}

static void test_close_notify(void) {
  side_t c, s, *pair[2] = {&c, &s};
  side_init(&c, cert_c);
  side_init(&s, cert_s);
  CHECK_EQ_INT(start_pair(&c, &s, NULL, NULL), 0);
  pump(pair, NULL, NULL, RTC_MS(10000));
  CHECK_EQ_INT(s.connected, 1);
  CHECK(rtc__dtls_lean(s.d) && rtc__dtls_lean(c.d)); /* close_notify without mbedTLS */
  rtc_dtls_close(c.d);
  CHECK_EQ_INT(rtc_dtls_state(c.d), RTC_DTLS_CLOSED);
  pump(pair, NULL, NULL, RTC_MS(10000));
  CHECK_EQ_INT(s.closed, 1);
  CHECK_EQ_INT(s.failed, 0);
  CHECK_EQ_INT(rtc_dtls_state(s.d), RTC_DTLS_CLOSED);
  CHECK_EQ_INT(rtc_dtls_send(s.d, (const uint8_t *)"x", 1), RTC_ESTATE);
  side_free(&c);
  side_free(&s);
}

/* After the handshake mbedTLS is gone (dtls_go_lean): forged records of every
 * type, epoch and size are dropped, and the connection goes on; the server
 * closes this time. */
static void test_forged_records_when_lean(void) {
  side_t c, s, *pair[2] = {&c, &s};
  side_init(&c, cert_c);
  side_init(&s, cert_s);
  CHECK_EQ_INT(start_pair(&c, &s, NULL, NULL), 0);
  pump(pair, NULL, NULL, RTC_MS(10000));
  CHECK(rtc__dtls_lean(s.d) && rtc__dtls_lean(c.d));
  static uint8_t big[5000];
  const uint8_t types[] = {20, 21, 22, 23};
  for (size_t t = 0; t < sizeof types; t++)
    for (uint16_t epoch = 0; epoch < 3; epoch++)
      for (size_t len = 1000; len <= 4900; len += 1300) {
        memset(big, 0xa5, len);
        big[0] = types[t];
        big[1] = 0xfe;
        big[2] = 0xfd;
        rtc_wr16(big + 3, epoch);
        memset(big + 5, 0, 6);
        big[10] = (uint8_t)(len + t);
        rtc_wr16(big + 11, (uint16_t)(len - 13));
        CHECK_EQ_INT(rtc_dtls_handle_datagram(s.d, now_us, big, len), 0);
        CHECK_EQ_INT(rtc_dtls_handle_datagram(c.d, now_us, big, len), 0);
      }
  drain(&c);
  drain(&s);
  CHECK_EQ_INT(c.failed + s.failed, 0);
  CHECK_EQ_INT(rtc_dtls_send(c.d, (const uint8_t *)"ping", 4), 0);
  CHECK_EQ_INT(rtc_dtls_send(s.d, (const uint8_t *)"pong", 4), 0);
  pump(pair, NULL, NULL, RTC_MS(1000));
  CHECK_EQ_INT(c.data_n, 1);
  CHECK_EQ_INT(s.data_n, 1);
  rtc_dtls_close(s.d);
  pump(pair, NULL, NULL, RTC_MS(1000));
  CHECK_EQ_INT(c.closed, 1);
  CHECK_EQ_INT(c.failed, 0);
  side_free(&c);
  side_free(&s);
}

static uint32_t lcg = 12345;
static uint8_t rnd8(void) {
  lcg = lcg * 1103515245u + 12345u;
  return (uint8_t)(lcg >> 16);
}

static void send_garbage(rtc_dtls_t *d) {
  uint8_t g[300];
  for (int k = 0; k < 200; k++) {
    size_t len = rnd8() % sizeof g;
    for (size_t i = 0; i < len; i++)
      g[i] = rnd8();
    if (len) g[0] = (uint8_t)(20 + rnd8() % 4); /* look like DTLS */
    if (len > 13) {
      g[3] = 0; /* epoch 0 */
      g[4] = rnd8() & 1;
      rtc_wr16(g + 11, (uint16_t)(len - 13 + (rnd8() % 3) - 1));
      if (k & 1) {
        g[0] = 22;
        g[13] = 1; /* a ClientHello "fragment" */
      }
    }
    CHECK_EQ_INT(rtc_dtls_handle_datagram(d, now_us, g, len), 0);
  }
  CHECK_EQ_INT(rtc_dtls_handle_datagram(d, now_us, NULL, 0), 0);
}

static void test_garbage_ignored(void) {
  side_t c, s, *pair[2] = {&c, &s};
  side_init(&c, cert_c);
  side_init(&s, cert_s);
  /* Before start (queued), then before the real ClientHello (the server's
   * reassembler sees forged fragments first), then once connected. */
  send_garbage(s.d);
  CHECK_EQ_INT(rtc_dtls_start(s.d, now_us, RTC_DTLS_ROLE_SERVER, "sha-256",
                              rtc_dtls_cert_fingerprint(cert_c)),
               0);
  send_garbage(s.d);
  CHECK_EQ_INT(rtc_dtls_start(c.d, now_us, RTC_DTLS_ROLE_CLIENT, "sha-256",
                              rtc_dtls_cert_fingerprint(cert_s)),
               0);
  send_garbage(c.d);
  pump(pair, NULL, NULL, RTC_MS(10000));
  if (c.failed || s.failed) printf("  client: %s / server: %s\n", c.reason, s.reason);
  CHECK_EQ_INT(c.connected, 1);
  CHECK_EQ_INT(s.connected, 1);
  send_garbage(c.d);
  send_garbage(s.d);
  pump(pair, NULL, NULL, RTC_MS(10000));
  CHECK_EQ_INT(c.failed + s.failed, 0);
  CHECK_EQ_INT(rtc_dtls_send(c.d, (const uint8_t *)"still here", 10), 0);
  pump(pair, NULL, NULL, RTC_MS(1000));
  CHECK_EQ_INT(s.data_n, 1);
  CHECK_EQ_INT(c.data_n, 0);
  side_free(&c);
  side_free(&s);
}

/* A whole but malformed ClientHello reaching the server before the real one
 * is dropped without an alert (which would kill the real client). */
static void test_malformed_client_hello_dropped(void) {
  side_t c, s, *pair[2] = {&c, &s};
  side_init(&c, cert_c);
  side_init(&s, cert_s);
  CHECK_EQ_INT(rtc_dtls_start(s.d, now_us, RTC_DTLS_ROLE_SERVER, "sha-256",
                              rtc_dtls_cert_fingerprint(cert_c)),
               0);
  uint8_t ch[13 + 12 + 40];
  memset(ch, 0x5a, sizeof ch);
  ch[0] = 22;
  ch[1] = 0xfe;
  ch[2] = 0xfd;
  rtc_wr16(ch + 3, 0);
  rtc_wr16(ch + 11, 12 + 40);
  ch[13] = 1;
  rtc_wr24(ch + 14, 40);
  rtc_wr16(ch + 17, 0);
  rtc_wr24(ch + 19, 0);
  rtc_wr24(ch + 22, 40);
  CHECK_EQ_INT(rtc_dtls_handle_datagram(s.d, now_us, ch, sizeof ch), 0);
  CHECK_EQ_INT(rtc_dtls_state(s.d), RTC_DTLS_CONNECTING);
  const uint8_t *p;
  size_t len;
  CHECK(!rtc_dtls_poll_transmit(s.d, &p, &len)); /* no alert */
  CHECK_EQ_INT(rtc_dtls_start(c.d, now_us, RTC_DTLS_ROLE_CLIENT, "sha-256",
                              rtc_dtls_cert_fingerprint(cert_s)),
               0);
  pump(pair, NULL, NULL, RTC_MS(10000));
  CHECK_EQ_INT(c.connected, 1);
  CHECK_EQ_INT(s.connected, 1);
  side_free(&c);
  side_free(&s);
}

/* A bare mbedTLS client with no certificate of its own: our server must
 * refuse it before sending its Finished (RFC 8842 5: both sides present one). */
typedef struct raw_io {
  uint8_t buf[8][2048];
  size_t len[8];
  int n, r;
} raw_io_t;
static raw_io_t raw_io;
static uint64_t raw_now_ms_base;
typedef struct raw_fwd {
  rtc_dtls_t *server;
  int sent;
  size_t max_len;
  bool fragment, fragmented;
} raw_fwd_t;
static raw_fwd_t raw_fwd;
static bool refragment(const uint8_t *p, size_t len, int n, const int *order, size_t overlap,
                       uint8_t out[][2048], size_t *out_len);
static int raw_send(void *ctx, const unsigned char *b, size_t len) {
  raw_fwd_t *f = ctx;
  f->sent++;
  if (len > f->max_len) f->max_len = len;
  static uint8_t frags[3][2048];
  size_t flen[3];
  /* mbedTLS never fragments its own ClientHello (it knows mbedTLS servers
   * cannot take it): split it in 3 datagrams as a browser would. */
  if (f->fragment && f->sent == 1 && refragment(b, len, 3, NULL, 0, frags, flen)) {
    for (int i = 0; i < 3; i++)
      rtc_dtls_handle_datagram(f->server, now_us, frags[i], flen[i]);
    f->fragmented = true;
    return (int)len;
  }
  rtc_dtls_handle_datagram(f->server, now_us, b, len);
  return (int)len;
}
static int raw_recv(void *ctx, unsigned char *b, size_t len) {
  raw_io_t *io = &raw_io;
  if (io->r == io->n) return MBEDTLS_ERR_SSL_WANT_READ;
  size_t n = io->len[io->r] < len ? io->len[io->r] : len;
  memcpy(b, io->buf[io->r], n);
  io->r++;
  return (int)n;
}
static int raw_rng(void *ctx, unsigned char *out, size_t len) {
  for (size_t i = 0; i < len; i++)
    out[i] = rnd8();
  return 0;
}
static void raw_set_timer(void *ctx, uint32_t i, uint32_t f) { raw_now_ms_base = f; }
static int raw_get_timer(void *ctx) { return raw_now_ms_base ? 0 : -1; }
static int raw_verify(void *ctx, mbedtls_x509_crt *c, int depth, uint32_t *flags) {
  *flags = 0;
  return 0;
}

static void test_client_without_certificate_refused(void) {
  side_t s;
  side_init(&s, cert_s);
  CHECK_EQ_INT(rtc_dtls_start(s.d, now_us, RTC_DTLS_ROLE_SERVER, "sha-256",
                              rtc_dtls_cert_fingerprint(cert_c)),
               0);
  mbedtls_ssl_config conf;
  mbedtls_ssl_context ssl;
  raw_io_t *io = &raw_io;
  memset(io, 0, sizeof *io);
  mbedtls_ssl_config_init(&conf);
  mbedtls_ssl_init(&ssl);
  CHECK_EQ_INT(mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_CLIENT,
                                           MBEDTLS_SSL_TRANSPORT_DATAGRAM,
                                           MBEDTLS_SSL_PRESET_DEFAULT),
               0);
  mbedtls_ssl_conf_rng(&conf, raw_rng, NULL);
  mbedtls_ssl_conf_authmode(&conf, MBEDTLS_SSL_VERIFY_OPTIONAL);
  mbedtls_ssl_conf_verify(&conf, raw_verify, NULL);
  CHECK_EQ_INT(mbedtls_ssl_setup(&ssl, &conf), 0);
  memset(&raw_fwd, 0, sizeof raw_fwd);
  raw_fwd.server = s.d;
  mbedtls_ssl_set_bio(&ssl, &raw_fwd, raw_send, raw_recv, NULL);
  mbedtls_ssl_set_timer_cb(&ssl, NULL, raw_set_timer, raw_get_timer);
  int ret = 0;
  for (int round = 0; round < 10; round++) {
    ret = mbedtls_ssl_handshake(&ssl);
    const uint8_t *p;
    size_t len;
    while (rtc_dtls_poll_transmit(s.d, &p, &len) && io->n < 8) {
      memcpy(io->buf[io->n], p, len < 2048 ? len : 2048);
      io->len[io->n++] = len < 2048 ? len : 2048;
    }
    drain(&s);
    if (ret != MBEDTLS_ERR_SSL_WANT_READ) break;
  }
  CHECK(ret != 0); /* the bare client never completes: no Finished from us */
  CHECK(ssl.state != MBEDTLS_SSL_HANDSHAKE_OVER);
  CHECK_EQ_INT(s.failed, 1);
  CHECK_STR(s.reason, "no peer certificate");
  CHECK_EQ_INT(s.connected, 0);
  mbedtls_ssl_free(&ssl);
  mbedtls_ssl_config_free(&conf);
  side_free(&s);
}

/* A ClientHello larger than the MTU from another DTLS stack: a bare mbedTLS
 * client (with our client certificate) offering a long ALPN list (standing in
 * for browsers' post-quantum key shares), its ClientHello split into three
 * fragments of ~900 bytes in three datagrams. */
static void test_large_client_hello_from_mbedtls(void) {
  side_t s;
  side_init(&s, cert_s);
  CHECK_EQ_INT(rtc_dtls_start(s.d, now_us, RTC_DTLS_ROLE_SERVER, "sha-256",
                              rtc_dtls_cert_fingerprint(cert_c)),
               0);
  static char names[24][101];
  static const char *alpn[25];
  for (int i = 0; i < 24; i++) {
    memset(names[i], 'a' + i, 100);
    names[i][100] = '\0';
    alpn[i] = names[i];
  }
  alpn[24] = NULL;
  mbedtls_ssl_config conf;
  mbedtls_ssl_context ssl;
  raw_io_t *io = &raw_io;
  memset(io, 0, sizeof *io);
  mbedtls_ssl_config_init(&conf);
  mbedtls_ssl_init(&ssl);
  CHECK_EQ_INT(mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_CLIENT,
                                           MBEDTLS_SSL_TRANSPORT_DATAGRAM,
                                           MBEDTLS_SSL_PRESET_DEFAULT),
               0);
  mbedtls_ssl_conf_rng(&conf, raw_rng, NULL);
  mbedtls_ssl_conf_authmode(&conf, MBEDTLS_SSL_VERIFY_OPTIONAL);
  mbedtls_ssl_conf_verify(&conf, raw_verify, NULL);
  CHECK_EQ_INT(mbedtls_ssl_conf_alpn_protocols(&conf, alpn), 0);
  CHECK_EQ_INT(
      mbedtls_ssl_conf_own_cert(&conf, rtc__dtls_cert_crt(cert_c), rtc__dtls_cert_key(cert_c)), 0);
  CHECK_EQ_INT(mbedtls_ssl_setup(&ssl, &conf), 0);
  mbedtls_ssl_set_mtu(&ssl, 1200);
  mbedtls_ssl_set_bio(&ssl, &raw_fwd, raw_send, raw_recv, NULL);
  mbedtls_ssl_set_timer_cb(&ssl, NULL, raw_set_timer, raw_get_timer);
  memset(&raw_fwd, 0, sizeof raw_fwd);
  raw_fwd.server = s.d;
  raw_fwd.fragment = true;
  int ret = 0;
  for (int round = 0; round < 10; round++) {
    ret = mbedtls_ssl_handshake(&ssl);
    const uint8_t *p;
    size_t len;
    while (rtc_dtls_poll_transmit(s.d, &p, &len) && io->n < 8) {
      memcpy(io->buf[io->n], p, len < 2048 ? len : 2048);
      io->len[io->n++] = len < 2048 ? len : 2048;
    }
    drain(&s);
    if (ret != MBEDTLS_ERR_SSL_WANT_READ) break;
  }
  printf("  bare mbedTLS client: ClientHello of %zu bytes in 3 fragments\n", raw_fwd.max_len);
  CHECK(raw_fwd.fragmented);
  CHECK(raw_fwd.max_len > 2000);
  CHECK_EQ_INT(ret, 0);
  CHECK_EQ_INT(s.connected, 1);
  CHECK_EQ_INT(s.failed, 0);
  mbedtls_ssl_free(&ssl);
  mbedtls_ssl_config_free(&conf);
  side_free(&s);
}

static void test_many_connections_one_cert(void) {
  /* The default certificate shared by several connections at once. */
  rtc_dtls_cert_t *def = rtc_dtls_cert_default();
  CHECK(def != NULL);
  side_t c[4], s[4];
  for (int i = 0; i < 4; i++) {
    side_init(&c[i], def);
    side_init(&s[i], def);
    CHECK_EQ_INT(rtc_dtls_start(s[i].d, now_us, RTC_DTLS_ROLE_SERVER, "sha-256",
                                rtc_dtls_cert_fingerprint(def)),
                 0);
    CHECK_EQ_INT(rtc_dtls_start(c[i].d, now_us, RTC_DTLS_ROLE_CLIENT, "sha-256",
                                rtc_dtls_cert_fingerprint(def)),
                 0);
  }
  for (int i = 0; i < 4; i++) {
    side_t *pair[2] = {&c[i], &s[i]};
    pump(pair, NULL, NULL, RTC_MS(10000));
    CHECK_EQ_INT(c[i].connected + s[i].connected, 2);
  }
  for (int i = 0; i < 4; i++) {
    side_free(&c[i]);
    side_free(&s[i]);
  }
  rtc_dtls_cert_unref(def);
}

int main(void) {
  if (rtc_dtls_cert_generate(&cert_c) != 0 || rtc_dtls_cert_generate(&cert_s) != 0) {
    fprintf(stderr, "certificate generation failed\n");
    return 1;
  }
  RUN_TEST(test_handshake_and_keys);
  RUN_TEST(test_data_both_ways);
  RUN_TEST(test_fp_mismatch_client_checks);
  RUN_TEST(test_fp_mismatch_server_checks);
  RUN_TEST(test_bad_fingerprint_args);
  RUN_TEST(test_loss_recovers);
  RUN_TEST(test_last_flight_lost);
  RUN_TEST(test_handshake_timeout);
  RUN_TEST(test_last_flight_lost_many_times);
  RUN_TEST(test_give_up_alerts_server);
  RUN_TEST(test_fragmented_client_hello);
  RUN_TEST(test_fragmented_client_hello_out_of_order);
  RUN_TEST(test_reassembler_direct);
  RUN_TEST(test_early_client_hello);
  RUN_TEST(test_close_notify);
  RUN_TEST(test_forged_records_when_lean);
  RUN_TEST(test_garbage_ignored);
  RUN_TEST(test_malformed_client_hello_dropped);
  RUN_TEST(test_client_without_certificate_refused);
  RUN_TEST(test_large_client_hello_from_mbedtls);
  RUN_TEST(test_many_connections_one_cert);
  rtc_dtls_cert_unref(cert_c);
  rtc_dtls_cert_unref(cert_s);
  TEST_MAIN_END();
}
