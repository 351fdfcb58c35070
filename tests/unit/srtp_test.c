/* SRTP sessions: known answers (libsrtp's RFC 3711 vectors, fed through our
 * client/server key split), keys from a real in-memory DTLS handshake, round trips
 * both ways for RTP and RTCP, tampering, replay, wrong keys, retransmissions,
 * buffer room and malformed packets. */
#include <stdint.h>
#include <stdlib.h>

#include "base/rtc_err.h"
#include "base/rtc_time.h"
#include "dtls/rtc_dtls.h"
#include "rtc_test.h"
#include "srtp/rtc_srtp.h"
#include "srtp/rtc_srtp_crypto.h"

/* RFC 3711 Appendix B.3 master key and salt; libsrtp's srtp_driver.c (srtp_validate)
 * protects the packets below with them (default policy = AES128_CM_SHA1_80). */
static const uint8_t kat_key[16] = {0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0,
                                    0xd6, 0x4f, 0xa3, 0x2c, 0x06, 0xde, 0x41, 0x39};
static const uint8_t kat_salt[14] = {0x0e, 0xc6, 0x75, 0xad, 0x49, 0x8a, 0xfe,
                                     0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6};
/* V=2 PT=15 seq=0x1234 ts=0xdecafbad SSRC=0xcafebabe, 16 bytes of 0xab payload. */
static const uint8_t kat_rtp[28] = {0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe,
                                    0xba, 0xbe, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
                                    0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab};
/* Encrypted payload then the 80-bit HMAC-SHA1 tag (b7 8d .. bb). */
static const uint8_t kat_srtp[38] = {0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe,
                                     0xba, 0xbe, 0x4e, 0x55, 0xdc, 0x4c, 0xe7, 0x99, 0x78, 0xd8,
                                     0x8c, 0xa4, 0xd2, 0x15, 0x94, 0x9d, 0x24, 0x02, 0xb7, 0x8d,
                                     0x6a, 0xcc, 0x99, 0xea, 0x17, 0x9b, 0x8d, 0xbb};
/* An SR header (PT 200, length 11, SSRC 0xcafebabe) and 16 bytes of 0xab. */
static const uint8_t kat_rtcp[24] = {0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe,
                                     0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
                                     0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab};
/* Encrypted body, E=1 + SRTCP index 1 (80 00 00 01), then the 80-bit tag. */
static const uint8_t kat_srtcp[38] = {0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe, 0x71, 0x28,
                                      0x03, 0x5b, 0xe4, 0x87, 0xb9, 0xbd, 0xbe, 0xf8, 0x90, 0x41,
                                      0xf9, 0x77, 0xa5, 0xa8, 0x80, 0x00, 0x00, 0x01, 0x99, 0x3e,
                                      0x08, 0xcd, 0x54, 0xd6, 0xc1, 0x23, 0x07, 0x98};

static const uint8_t other_key[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
static const uint8_t other_salt[14] = {9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9};

/* A session whose client side writes with the RFC key. */
static rtc_srtp_t *kat_session(uint16_t profile, bool is_client) {
  rtc_srtp_config_t cfg = {.profile = profile,
                           .is_client = is_client,
                           .client_key = kat_key,
                           .client_salt = kat_salt,
                           .server_key = other_key,
                           .server_salt = other_salt,
                           .key_len = 16,
                           .salt_len = 14};
  rtc_srtp_t *s = NULL;
  CHECK_EQ_INT(rtc_srtp_create(&cfg, &s), 0);
  return s;
}

static void test_known_answer_aes_cm_80(void) {
  rtc_srtp_t *c = kat_session(RTC_SRTP_AES128_CM_SHA1_80, true);
  rtc_srtp_t *s = kat_session(RTC_SRTP_AES128_CM_SHA1_80, false);
  if (!c || !s) goto out;
  uint8_t buf[64];
  size_t n;
  memcpy(buf, kat_rtp, sizeof kat_rtp);
  CHECK_EQ_INT(rtc_srtp_protect_rtp(c, buf, sizeof kat_rtp, sizeof buf, &n), 0);
  CHECK_EQ_INT(n, sizeof kat_srtp);
  CHECK(memcmp(buf, kat_srtp, sizeof kat_srtp) == 0);
  memcpy(buf, kat_rtcp, sizeof kat_rtcp);
  CHECK_EQ_INT(rtc_srtp_protect_rtcp(c, buf, sizeof kat_rtcp, sizeof buf, &n), 0);
  CHECK_EQ_INT(n, sizeof kat_srtcp);
  CHECK(memcmp(buf, kat_srtcp, sizeof kat_srtcp) == 0);
  /* The server reads what the client wrote: the vectors decrypt with the client key. */
  memcpy(buf, kat_srtp, sizeof kat_srtp);
  CHECK_EQ_INT(rtc_srtp_unprotect_rtp(s, buf, sizeof kat_srtp, &n), 0);
  CHECK_EQ_INT(n, sizeof kat_rtp);
  CHECK(memcmp(buf, kat_rtp, sizeof kat_rtp) == 0);
  memcpy(buf, kat_srtcp, sizeof kat_srtcp);
  CHECK_EQ_INT(rtc_srtp_unprotect_rtcp(s, buf, sizeof kat_srtcp, &n), 0);
  CHECK_EQ_INT(n, sizeof kat_rtcp);
  CHECK(memcmp(buf, kat_rtcp, sizeof kat_rtcp) == 0);
  /* The client must NOT accept its own packets: its inbound key is the server's. */
  memcpy(buf, kat_srtp, sizeof kat_srtp);
  CHECK_EQ_INT(rtc_srtp_unprotect_rtp(c, buf, sizeof kat_srtp, &n), RTC_EAUTH);
  rtc_srtp_stats_t st;
  rtc_srtp_get_stats(s, &st);
  CHECK_EQ_INT(st.rtp_unprotected, 1);
  CHECK_EQ_INT(st.rtcp_unprotected, 1);
out:
  rtc_srtp_destroy(c);
  rtc_srtp_destroy(s);
}

/* _32 truncates the RTP tag to its first 32 bits (the same HMAC); SRTCP stays 80. */
static void test_known_answer_aes_cm_32(void) {
  rtc_srtp_t *c = kat_session(RTC_SRTP_AES128_CM_SHA1_32, true);
  rtc_srtp_t *s = kat_session(RTC_SRTP_AES128_CM_SHA1_32, false);
  if (!c || !s) goto out;
  CHECK_EQ_INT(rtc_srtp_rtp_trailer(RTC_SRTP_AES128_CM_SHA1_32), 4);
  CHECK_EQ_INT(rtc_srtp_rtcp_trailer(RTC_SRTP_AES128_CM_SHA1_32), 14);
  uint8_t buf[64];
  size_t n;
  memcpy(buf, kat_rtp, sizeof kat_rtp);
  CHECK_EQ_INT(rtc_srtp_protect_rtp(c, buf, sizeof kat_rtp, 32, &n), 0);
  CHECK_EQ_INT(n, 32);
  CHECK(memcmp(buf, kat_srtp, 32) == 0);
  CHECK_EQ_INT(rtc_srtp_unprotect_rtp(s, buf, n, &n), 0);
  CHECK(n == sizeof kat_rtp && memcmp(buf, kat_rtp, n) == 0);
  memcpy(buf, kat_rtcp, sizeof kat_rtcp);
  CHECK_EQ_INT(rtc_srtp_protect_rtcp(c, buf, sizeof kat_rtcp, sizeof buf, &n), 0);
  CHECK_EQ_INT(n, sizeof kat_srtcp);
  CHECK(memcmp(buf, kat_srtcp, sizeof kat_srtcp) == 0);
out:
  rtc_srtp_destroy(c);
  rtc_srtp_destroy(s);
}

/* RFC 7714 GCM: libsrtp's srtp_validate_gcm vector when this libsrtp2 has GCM,
 * else the profile is refused with ENOTSUP (Debian 12's build has no GCM). */
static void test_gcm_known_answer_or_unsupported(void) {
  static const uint8_t key[16] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                                  0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f};
  static const uint8_t salt[12] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5,
                                   0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab};
  static const uint8_t want[44] = {
      0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe, 0xc5, 0x00, 0x2e,
      0xde, 0x04, 0xcf, 0xdd, 0x2e, 0xb9, 0x11, 0x59, 0xe0, 0x88, 0x0a, 0xa0, 0x6e, 0xd2, 0x97,
      0x68, 0x26, 0xf7, 0x96, 0xb2, 0x01, 0xdf, 0x31, 0x31, 0xa1, 0x27, 0xe8, 0xa3, 0x92};
  rtc_srtp_config_t cfg = {.profile = RTC_SRTP_AEAD_AES_128_GCM,
                           .is_client = true,
                           .client_key = key,
                           .client_salt = salt,
                           .server_key = key,
                           .server_salt = salt,
                           .key_len = 16,
                           .salt_len = 12};
  CHECK_EQ_INT(rtc_srtp_rtp_trailer(RTC_SRTP_AEAD_AES_128_GCM), 16);
  CHECK_EQ_INT(rtc_srtp_rtcp_trailer(RTC_SRTP_AEAD_AES_256_GCM), RTC_SRTP_MAX_TRAILER);
  rtc_srtp_t *c = NULL;
  int r = rtc_srtp_create(&cfg, &c);
  bool sup = rtc_srtp_profile_supported(RTC_SRTP_AEAD_AES_128_GCM);
  printf("  %s: AES-GCM %s\n", rtc_srtp_library_version(),
         sup ? "supported" : "not built in (ENOTSUP)");
  if (!sup) {
    CHECK_EQ_INT(r, RTC_ENOTSUP);
    CHECK(c == NULL);
    return;
  }
  CHECK_EQ_INT(r, 0);
  uint8_t buf[64];
  size_t n;
  memcpy(buf, kat_rtp, sizeof kat_rtp);
  CHECK_EQ_INT(rtc_srtp_protect_rtp(c, buf, sizeof kat_rtp, sizeof buf, &n), 0);
  CHECK(n == sizeof want && memcmp(buf, want, n) == 0);
  rtc_srtp_destroy(c);
}

static void test_profile_table(void) {
  size_t k, s;
  CHECK_EQ_INT(rtc_srtp_profile_lengths(RTC_SRTP_AES128_CM_SHA1_80, &k, &s), 0);
  CHECK(k == 16 && s == 14);
  CHECK_EQ_INT(rtc_srtp_profile_lengths(RTC_SRTP_AEAD_AES_256_GCM, &k, &s), 0);
  CHECK(k == 32 && s == 12);
  CHECK_EQ_INT(rtc_srtp_profile_lengths(99, &k, &s), RTC_EINVAL);
  CHECK_STR(rtc_srtp_profile_name(1), "SRTP_AES128_CM_HMAC_SHA1_80");
  CHECK(rtc_srtp_profile_supported(RTC_SRTP_AES128_CM_SHA1_80));
  CHECK(rtc_srtp_profile_supported(RTC_SRTP_AES128_CM_SHA1_32));
  CHECK(!rtc_srtp_profile_supported(5));
  rtc_srtp_config_t cfg = {.profile = 1,
                           .client_key = kat_key,
                           .client_salt = kat_salt,
                           .server_key = other_key,
                           .server_salt = other_salt,
                           .key_len = 16,
                           .salt_len = 12}; /* wrong salt length for the profile */
  rtc_srtp_t *x = NULL;
  CHECK_EQ_INT(rtc_srtp_create(&cfg, &x), RTC_EINVAL);
  cfg.salt_len = 14;
  cfg.replay_window = 32; /* libsrtp needs >= 64 */
  CHECK_EQ_INT(rtc_srtp_create(&cfg, &x), RTC_EINVAL);
  cfg.replay_window = 0;
  cfg.profile = 3;
  CHECK_EQ_INT(rtc_srtp_create(&cfg, &x), RTC_ENOTSUP);
  CHECK(x == NULL);
  CHECK_EQ_INT(rtc_srtp_create(NULL, &x), RTC_EINVAL);
  CHECK_STR(rtc_err_name(RTC_EREPLAY), "EREPLAY");
}

/* ---- keys from a real DTLS handshake ---- */

static uint64_t now_us;

static void pump(rtc_dtls_t *d[2]) {
  for (int iter = 0; iter < 10000; iter++) {
    int moved = 0;
    for (int i = 0; i < 2; i++) {
      const uint8_t *p;
      size_t len;
      while (rtc_dtls_poll_transmit(d[i], &p, &len)) {
        moved++;
        rtc_dtls_handle_datagram(d[1 - i], now_us, p, len);
      }
      rtc_dtls_event_t ev;
      while (rtc_dtls_poll_event(d[i], &ev)) {
      }
    }
    if (moved) continue;
    uint64_t t = rtc_time_min(rtc_dtls_poll_timeout(d[0]), rtc_dtls_poll_timeout(d[1]));
    if (t == RTC_NEVER || t > RTC_MS(20000)) break;
    if (t > now_us) now_us = t;
    for (int i = 0; i < 2; i++)
      if (rtc_dtls_poll_timeout(d[i]) <= now_us) rtc_dtls_handle_timeout(d[i], now_us);
  }
}

/* Runs a DTLS handshake and makes each side's SRTP session from its own export. */
static bool dtls_pair(rtc_srtp_t **cli, rtc_srtp_t **srv) {
  rtc_dtls_cert_t *cc = NULL, *cs = NULL;
  rtc_dtls_t *d[2] = {NULL, NULL};
  bool ok = false;
  *cli = *srv = NULL;
  if (rtc_dtls_cert_generate(&cc) != 0 || rtc_dtls_cert_generate(&cs) != 0) goto out;
  rtc_dtls_config_t c1 = {.cert = cc}, c2 = {.cert = cs};
  d[0] = rtc_dtls_create(&c1);
  d[1] = rtc_dtls_create(&c2);
  if (!d[0] || !d[1]) goto out;
  now_us = 1000000;
  rtc_dtls_start(d[1], now_us, RTC_DTLS_ROLE_SERVER, "sha-256", rtc_dtls_cert_fingerprint(cc));
  rtc_dtls_start(d[0], now_us, RTC_DTLS_ROLE_CLIENT, "sha-256", rtc_dtls_cert_fingerprint(cs));
  pump(d);
  rtc_dtls_srtp_keys_t kc, ks;
  if (rtc_dtls_get_srtp_keys(d[0], &kc) != 0 || rtc_dtls_get_srtp_keys(d[1], &ks) != 0) goto out;
  CHECK_EQ_INT(kc.profile, RTC_SRTP_AES128_CM_SHA1_80);
  CHECK_EQ_INT(rtc_srtp_create_from_dtls(&kc, true, cli), 0);
  CHECK_EQ_INT(rtc_srtp_create_from_dtls(&ks, false, srv), 0);
  ok = *cli && *srv;
out:
  rtc_dtls_destroy(d[0]);
  rtc_dtls_destroy(d[1]);
  rtc_dtls_cert_unref(cc);
  rtc_dtls_cert_unref(cs);
  return ok;
}

static size_t make_rtp(uint8_t *b, uint16_t seq, uint32_t ssrc, size_t payload) {
  b[0] = 0x80;
  b[1] = 96;
  b[2] = seq >> 8;
  b[3] = seq & 0xff;
  b[4] = 0, b[5] = 0, b[6] = seq >> 8, b[7] = seq & 0xff; /* timestamp */
  b[8] = ssrc >> 24, b[9] = ssrc >> 16, b[10] = ssrc >> 8, b[11] = ssrc & 0xff;
  for (size_t i = 0; i < payload; i++)
    b[12 + i] = (uint8_t)(i * 7 + seq);
  return 12 + payload;
}

static size_t make_rtcp_rr(uint8_t *b, uint32_t ssrc) {
  /* RR (PT 201) with no report blocks: length 1 (two words). */
  b[0] = 0x80, b[1] = 201, b[2] = 0, b[3] = 1;
  b[4] = ssrc >> 24, b[5] = ssrc >> 16, b[6] = ssrc >> 8, b[7] = ssrc & 0xff;
  return 8;
}

static void test_dtls_keys_round_trip(void) {
  rtc_srtp_t *c, *s;
  CHECK(dtls_pair(&c, &s));
  if (!c || !s) goto out;
  uint8_t buf[1500], ref[1500];
  size_t n, m;
  /* Both directions, three SSRCs each (added on the fly), RTP and RTCP. */
  for (int dir = 0; dir < 2; dir++) {
    rtc_srtp_t *tx = dir ? s : c, *rx = dir ? c : s;
    for (uint32_t k = 0; k < 3; k++) {
      uint32_t ssrc = 0x1000 + k + 100 * (uint32_t)dir;
      for (uint16_t seq = 65530; seq != 10; seq++) { /* across the 16-bit wrap (ROC) */
        n = make_rtp(buf, seq, ssrc, 1000);
        memcpy(ref, buf, n);
        CHECK_EQ_INT(rtc_srtp_protect_rtp(tx, buf, n, sizeof buf, &m), 0);
        CHECK_EQ_INT(m, n + 10);
        CHECK(memcmp(buf + 12, ref + 12, 16) != 0); /* payload encrypted */
        CHECK_EQ_INT(rtc_srtp_unprotect_rtp(rx, buf, m, &m), 0);
        CHECK(m == n && memcmp(buf, ref, n) == 0);
      }
      n = make_rtcp_rr(buf, ssrc);
      memcpy(ref, buf, n);
      CHECK_EQ_INT(rtc_srtp_protect_rtcp(tx, buf, n, sizeof buf, &m), 0);
      CHECK_EQ_INT(m, n + 14);
      CHECK_EQ_INT(rtc_srtp_unprotect_rtcp(rx, buf, m, &m), 0);
      CHECK(m == n && memcmp(buf, ref, n) == 0);
    }
  }
  rtc_srtp_stats_t st;
  rtc_srtp_get_stats(s, &st);
  CHECK_EQ_INT(st.rtp_unprotected, 3 * 16);
  CHECK_EQ_INT(st.rtcp_unprotected, 3);
  CHECK_EQ_INT(st.rtp_protected, 3 * 16);
  CHECK_EQ_INT(st.auth_fail + st.replay_fail + st.replay_old + st.bad, 0);
  CHECK_EQ_INT(rtc_srtp_remove_ssrc(s, 0x1000, false), 0);
  CHECK_EQ_INT(rtc_srtp_remove_ssrc(s, 0x1000, false), RTC_ENOTFOUND);
out:
  rtc_srtp_destroy(c);
  rtc_srtp_destroy(s);
}

static void test_tamper_is_auth_error(void) {
  rtc_srtp_t *c = kat_session(1, true), *s = kat_session(1, false);
  if (!c || !s) goto out;
  uint8_t buf[256], keep[256];
  size_t n, m;
  n = make_rtp(buf, 7, 0x42, 100);
  CHECK_EQ_INT(rtc_srtp_protect_rtp(c, buf, n, sizeof buf, &m), 0);
  memcpy(keep, buf, m);
  buf[20] ^= 1; /* one bit of payload */
  size_t out_n;
  CHECK_EQ_INT(rtc_srtp_unprotect_rtp(s, buf, m, &out_n), RTC_EAUTH);
  memcpy(buf, keep, m);
  buf[m - 1] ^= 0x80; /* one bit of tag */
  CHECK_EQ_INT(rtc_srtp_unprotect_rtp(s, buf, m, &out_n), RTC_EAUTH);
  memcpy(buf, keep, m);
  buf[3] ^= 1; /* the sequence number (authenticated header) */
  CHECK_EQ_INT(rtc_srtp_unprotect_rtp(s, buf, m, &out_n), RTC_EAUTH);
  /* Nothing lost: the genuine packet still goes through afterwards. */
  memcpy(buf, keep, m);
  CHECK_EQ_INT(rtc_srtp_unprotect_rtp(s, buf, m, &out_n), 0);
  CHECK_EQ_INT(out_n, n);
  /* RTCP: a flipped bit in the body. */
  n = make_rtcp_rr(buf, 0x42);
  CHECK_EQ_INT(rtc_srtp_protect_rtcp(c, buf, n, sizeof buf, &m), 0);
  buf[5] ^= 4;
  CHECK_EQ_INT(rtc_srtp_unprotect_rtcp(s, buf, m, &out_n), RTC_EAUTH);
  rtc_srtp_stats_t st;
  rtc_srtp_get_stats(s, &st);
  CHECK_EQ_INT(st.auth_fail, 4);
  CHECK_EQ_INT(st.rtp_unprotected, 1);
out:
  rtc_srtp_destroy(c);
  rtc_srtp_destroy(s);
}

static void test_replay_and_window(void) {
  rtc_srtp_t *c = kat_session(1, true), *s = kat_session(1, false);
  if (!c || !s) goto out;
  static uint8_t pk[1200][64];
  static size_t pl[1200];
  for (int i = 0; i < 1200; i++) {
    size_t n = make_rtp(pk[i], (uint16_t)(1000 + i), 0x77, 20);
    CHECK_EQ_INT(rtc_srtp_protect_rtp(c, pk[i], n, sizeof pk[i], &pl[i]), 0);
  }
  uint8_t buf[64];
  size_t n;
#define DELIVER(i) (memcpy(buf, pk[i], pl[i]), rtc_srtp_unprotect_rtp(s, buf, pl[i], &n))
  CHECK_EQ_INT(DELIVER(0), 0);
  CHECK_EQ_INT(DELIVER(0), RTC_EREPLAY); /* the same packet again */
  CHECK_EQ_INT(DELIVER(1150), 0);
  /* 1000 packets behind the newest: a NACK answer inside the 1024 window is fine
   * (libsrtp's default 128 would call it old). */
  CHECK_EQ_INT(DELIVER(150), 0);
  CHECK_EQ_INT(DELIVER(150), RTC_EREPLAY);
  CHECK_EQ_INT(DELIVER(100), RTC_EREPLAY); /* 1050 behind: older than the window */
  rtc_srtp_stats_t st;
  rtc_srtp_get_stats(s, &st);
  CHECK_EQ_INT(st.replay_fail, 2);
  CHECK_EQ_INT(st.replay_old, 1);
  CHECK_EQ_INT(st.rtp_unprotected, 3);
#undef DELIVER
out:
  rtc_srtp_destroy(c);
  rtc_srtp_destroy(s);
}

static void test_wrong_key_fails(void) {
  rtc_srtp_t *c = kat_session(1, true);
  /* The receiver believes the client wrote with other_key. */
  rtc_srtp_config_t cfg = {.profile = 1,
                           .is_client = false,
                           .client_key = other_key,
                           .client_salt = kat_salt,
                           .server_key = kat_key,
                           .server_salt = other_salt,
                           .key_len = 16,
                           .salt_len = 14};
  rtc_srtp_t *s = NULL;
  CHECK_EQ_INT(rtc_srtp_create(&cfg, &s), 0);
  /* Same roles on both ends (both think they are the client): also no match. */
  rtc_srtp_t *c2 = kat_session(1, true);
  if (!c || !s || !c2) goto out;
  uint8_t buf[256];
  size_t n = make_rtp(buf, 1, 0x99, 50), m;
  CHECK_EQ_INT(rtc_srtp_protect_rtp(c, buf, n, sizeof buf, &m), 0);
  uint8_t copy[256];
  memcpy(copy, buf, m);
  CHECK_EQ_INT(rtc_srtp_unprotect_rtp(s, buf, m, &n), RTC_EAUTH);
  CHECK_EQ_INT(rtc_srtp_unprotect_rtp(c2, copy, m, &n), RTC_EAUTH);
out:
  rtc_srtp_destroy(c);
  rtc_srtp_destroy(c2);
  rtc_srtp_destroy(s);
}

/* RTX/NACK answers resend the same sequence number: allowed by default and gives
 * the same bytes; refused with no_repeat_tx. */
static void test_repeat_tx(void) {
  rtc_srtp_t *c = kat_session(1, true);
  rtc_srtp_config_t cfg = {.profile = 1,
                           .is_client = true,
                           .client_key = kat_key,
                           .client_salt = kat_salt,
                           .server_key = other_key,
                           .server_salt = other_salt,
                           .key_len = 16,
                           .salt_len = 14,
                           .no_repeat_tx = true};
  rtc_srtp_t *strict = NULL;
  CHECK_EQ_INT(rtc_srtp_create(&cfg, &strict), 0);
  if (!c || !strict) goto out;
  uint8_t a[128], b[128];
  size_t n = make_rtp(a, 5, 0x55, 40), ma, mb;
  memcpy(b, a, n);
  CHECK_EQ_INT(rtc_srtp_protect_rtp(c, a, n, sizeof a, &ma), 0);
  CHECK_EQ_INT(rtc_srtp_protect_rtp(c, b, n, sizeof b, &mb), 0);
  CHECK(ma == mb && memcmp(a, b, ma) == 0);
  n = make_rtp(a, 5, 0x55, 40);
  memcpy(b, a, n);
  CHECK_EQ_INT(rtc_srtp_protect_rtp(strict, a, n, sizeof a, &ma), 0);
  CHECK(rtc_srtp_protect_rtp(strict, b, n, sizeof b, &mb) < 0);
  rtc_srtp_stats_t st;
  rtc_srtp_get_stats(strict, &st);
  CHECK_EQ_INT(st.protect_fail, 1);
out:
  rtc_srtp_destroy(c);
  rtc_srtp_destroy(strict);
}

static void test_room_and_malformed(void) {
  rtc_srtp_t *c = kat_session(1, true), *s = kat_session(1, false);
  if (!c || !s) goto out;
  uint8_t buf[64], ref[64];
  size_t n = make_rtp(buf, 1, 1, 20), m;
  memcpy(ref, buf, n);
  CHECK_EQ_INT(rtc_srtp_protect_rtp(c, buf, n, n + 9, &m), RTC_ETOOBIG);
  CHECK(memcmp(buf, ref, n) == 0); /* untouched */
  CHECK_EQ_INT(rtc_srtp_protect_rtp(c, buf, 11, sizeof buf, &m), RTC_EINVAL);
  CHECK_EQ_INT(rtc_srtp_protect_rtcp(c, buf, 7, sizeof buf, &m), RTC_EINVAL);
  CHECK_EQ_INT(rtc_srtp_unprotect_rtp(s, buf, 21, &m), RTC_EPARSE); /* < 12 + tag */
  CHECK_EQ_INT(rtc_srtp_unprotect_rtcp(s, buf, 21, &m), RTC_EPARSE);
  memset(buf, 0, sizeof buf); /* version 0 */
  CHECK_EQ_INT(rtc_srtp_unprotect_rtp(s, buf, 40, &m), RTC_EPARSE);
  /* RTP header claiming 15 CSRCs and an extension past the end. */
  buf[0] = 0x9f;
  CHECK(rtc_srtp_unprotect_rtp(s, buf, 40, &m) < 0);
  rtc_srtp_stats_t st;
  rtc_srtp_get_stats(c, &st);
  CHECK_EQ_INT(st.protect_fail, 3);
  rtc_srtp_get_stats(s, &st);
  CHECK_EQ_INT(st.bad + st.auth_fail, 4);
  CHECK_EQ_INT(st.rtp_unprotected, 0);
out:
  rtc_srtp_destroy(c);
  rtc_srtp_destroy(s);
}

int main(void) {
  CHECK_EQ_INT(rtc_srtp_init(), 0);
  CHECK_EQ_INT(rtc_srtp_init(), 0);
  /* Our transforms replace libsrtp's (NSS's) unless told not to (srtp_crypto_test). */
  const char *native = getenv("RTC_SRTP_NATIVE");
  CHECK(rtc__srtp_crypto_active() == !(native && strcmp(native, "0") == 0));
  RUN_TEST(test_profile_table);
  RUN_TEST(test_known_answer_aes_cm_80);
  RUN_TEST(test_known_answer_aes_cm_32);
  RUN_TEST(test_gcm_known_answer_or_unsupported);
  RUN_TEST(test_dtls_keys_round_trip);
  RUN_TEST(test_tamper_is_auth_error);
  RUN_TEST(test_replay_and_window);
  RUN_TEST(test_wrong_key_fails);
  RUN_TEST(test_repeat_tx);
  RUN_TEST(test_room_and_malformed);
  TEST_MAIN_END();
}
