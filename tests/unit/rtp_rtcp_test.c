/* RTCP: compound iteration, parsing of hand-built packets commented byte by byte after
 * the RFC figures, builders parsed back. */
#include <stdlib.h>

#include "base/rtc_err.h"
#include "rtc_test.h"
#include "rtp/rtc_rtcp.h"
#include "rtp/rtc_rtp_twcc.h"

/* A compound as browsers send it: SR with one report block, SDES CNAME, then (RFC 5506
 * would allow it alone) a PLI. */
/* clang-format off */
static const uint8_t compound[] = {
    /* SR (RFC 3550 6.4.1): V=2 P=0 RC=1, PT=200, length 12 words */
    0x81, 0xc8, 0x00, 0x0c,
    0x11, 0x22, 0x33, 0x44, /* SSRC of sender */
    0xe8, 0x9a, 0x3c, 0x10, 0x80, 0x00, 0x00, 0x00, /* NTP 0xe89a3c10.80000000 */
    0x00, 0x01, 0x5f, 0x90, /* RTP timestamp 90000 */
    0x00, 0x00, 0x00, 0x64, /* packet count 100 */
    0x00, 0x01, 0x86, 0xa0, /* octet count 100000 */
    0xaa, 0xbb, 0xcc, 0xdd, /* report block: SSRC_1 */
    0x19, 0xff, 0xff, 0xfe, /* fraction lost 25/256, cumulative lost -2 (24-bit) */
    0x00, 0x01, 0x00, 0x10, /* extended highest seq: cycles 1, seq 16 */
    0x00, 0x00, 0x00, 0x2a, /* jitter 42 */
    0x3c, 0x10, 0x40, 0x00, /* LSR */
    0x00, 0x01, 0x00, 0x00, /* DLSR 1 s */
    /* SDES (6.5): SC=1, PT=202, length 6 words */
    0x81, 0xca, 0x00, 0x06,
    0x11, 0x22, 0x33, 0x44, /* chunk SSRC */
    0x01, 0x10, 'u', 's', 'e', 'r', '@', 'e', 'x', 'a', 'm', 'p', 'l', 'e', '.', 'c', 'o', 'm',
    0x00, 0x00, /* end of items + padding to the word */
    /* PLI (RFC 4585 6.3.1): FMT=1, PT=206, length 2 */
    0x81, 0xce, 0x00, 0x02,
    0x11, 0x22, 0x33, 0x44, /* packet sender */
    0xaa, 0xbb, 0xcc, 0xdd, /* media source */
};
/* clang-format on */

static void test_compound(void) {
  rtc_rtcp_iter_t it = {.p = compound, .len = sizeof compound};
  const uint8_t *p;
  size_t n;
  rtc_rtcp_msg_t m;
  CHECK_EQ_INT(rtc_rtcp_iter_next(&it, &p, &n), 1);
  CHECK_EQ_INT(n, 52);
  CHECK_EQ_INT(rtc_rtcp_parse(p, n, &m), 0);
  CHECK_EQ_INT(m.kind, RTC_RTCP_KIND_SR);
  CHECK_EQ_INT(m.u.sr.ssrc, 0x11223344);
  CHECK(m.u.sr.ntp == 0xe89a3c1080000000ull);
  CHECK_EQ_INT(m.u.sr.rtp_ts, 90000);
  CHECK_EQ_INT(m.u.sr.packet_count, 100);
  CHECK_EQ_INT(m.u.sr.octet_count, 100000);
  CHECK_EQ_INT(m.u.sr.rb_count, 1);
  CHECK_EQ_INT(m.u.sr.rb[0].ssrc, 0xaabbccdd);
  CHECK_EQ_INT(m.u.sr.rb[0].fraction_lost, 25);
  CHECK_EQ_INT(m.u.sr.rb[0].cumulative_lost, -2);
  CHECK_EQ_INT(m.u.sr.rb[0].ext_highest_seq, 0x10010);
  CHECK_EQ_INT(m.u.sr.rb[0].jitter, 42);
  CHECK_EQ_INT(m.u.sr.rb[0].lsr, 0x3c104000);
  CHECK_EQ_INT(m.u.sr.rb[0].dlsr, 65536);
  /* writing it back gives the same bytes */
  uint8_t out[64];
  CHECK_EQ_INT(rtc_rtcp_write_sr(out, sizeof out, &m.u.sr), 52);
  CHECK(memcmp(out, compound, 52) == 0);
  CHECK_EQ_INT(rtc_rtcp_write_sr(out, 51, &m.u.sr), RTC_ETOOBIG);

  CHECK_EQ_INT(rtc_rtcp_iter_next(&it, &p, &n), 1);
  CHECK_EQ_INT(rtc_rtcp_parse(p, n, &m), 0);
  CHECK_EQ_INT(m.kind, RTC_RTCP_KIND_SDES);
  CHECK_EQ_INT(m.u.sdes.count, 1);
  CHECK_EQ_INT(m.u.sdes.chunk[0].ssrc, 0x11223344);
  CHECK_EQ_INT(m.u.sdes.chunk[0].cname_len, 16);
  CHECK(memcmp(m.u.sdes.chunk[0].cname, "user@example.com", 16) == 0);
  CHECK_EQ_INT(rtc_rtcp_write_sdes_cname(out, sizeof out, 0x11223344, "user@example.com"), 28);
  CHECK(memcmp(out, compound + 52, 28) == 0);

  CHECK_EQ_INT(rtc_rtcp_iter_next(&it, &p, &n), 1);
  CHECK_EQ_INT(rtc_rtcp_parse(p, n, &m), 0);
  CHECK_EQ_INT(m.kind, RTC_RTCP_KIND_PLI);
  CHECK_EQ_INT(m.u.pli.sender_ssrc, 0x11223344);
  CHECK_EQ_INT(m.u.pli.media_ssrc, 0xaabbccdd);
  CHECK_EQ_INT(rtc_rtcp_write_pli(out, sizeof out, 0x11223344, 0xaabbccdd), 12);
  CHECK(memcmp(out, compound + 80, 12) == 0);
  CHECK_EQ_INT(rtc_rtcp_iter_next(&it, &p, &n), 0);

  /* Truncated compound: the walk stops with an error after the good packets */
  rtc_rtcp_iter_t t2 = {.p = compound, .len = sizeof compound - 1};
  CHECK_EQ_INT(rtc_rtcp_iter_next(&t2, &p, &n), 1);
  CHECK_EQ_INT(rtc_rtcp_iter_next(&t2, &p, &n), 1);
  CHECK_EQ_INT(rtc_rtcp_iter_next(&t2, &p, &n), RTC_EPARSE);
  /* SR claiming 2 report blocks in a 1-block length */
  uint8_t bad[52];
  memcpy(bad, compound, 52);
  bad[0] = 0x82;
  CHECK_EQ_INT(rtc_rtcp_parse(bad, 52, &m), RTC_EPARSE);
  bad[0] = 0x40;
  rtc_rtcp_iter_t t3 = {.p = bad, .len = 52};
  CHECK_EQ_INT(rtc_rtcp_iter_next(&t3, &p, &n), RTC_EPARSE);
}

static void test_rr_bye_padding(void) {
  /* clang-format off */
  const uint8_t pkt[] = {
      0x80, 0xc9, 0x00, 0x01, 0x01, 0x02, 0x03, 0x04, /* empty RR */
      /* BYE with padding (P=1), SC=1, reason "gone", 2 pad bytes after ... */
      0xa1, 0xcb, 0x00, 0x03, 0x01, 0x02, 0x03, 0x04, 0x04, 'g', 'o', 'n', 'e', 0, 0, 3};
  /* clang-format on */
  rtc_rtcp_iter_t it = {.p = pkt, .len = sizeof pkt};
  const uint8_t *p;
  size_t n;
  rtc_rtcp_msg_t m;
  CHECK_EQ_INT(rtc_rtcp_iter_next(&it, &p, &n), 1);
  CHECK_EQ_INT(rtc_rtcp_parse(p, n, &m), 0);
  CHECK_EQ_INT(m.kind, RTC_RTCP_KIND_RR);
  CHECK_EQ_INT(m.u.rr.rb_count, 0);
  CHECK_EQ_INT(m.u.rr.ssrc, 0x01020304);
  uint8_t out[64];
  CHECK_EQ_INT(rtc_rtcp_write_rr(out, sizeof out, &m.u.rr), 8);
  CHECK(memcmp(out, pkt, 8) == 0);
  CHECK_EQ_INT(rtc_rtcp_iter_next(&it, &p, &n), 1);
  CHECK_EQ_INT(rtc_rtcp_parse(p, n, &m), 0);
  CHECK_EQ_INT(m.kind, RTC_RTCP_KIND_BYE);
  CHECK_EQ_INT(m.u.bye.count, 1);
  CHECK_EQ_INT(m.u.bye.ssrc[0], 0x01020304);
  CHECK_EQ_INT(m.u.bye.reason_len, 4);
  CHECK(m.u.bye.reason && memcmp(m.u.bye.reason, "gone", 4) == 0);
  int w = rtc_rtcp_write_bye(out, sizeof out, 0x01020304, "gone");
  CHECK_EQ_INT(w, 16);
  CHECK_EQ_INT(rtc_rtcp_parse(out, (size_t)w, &m), 0);
  CHECK_EQ_INT(m.u.bye.reason_len, 4);
}

/* RFC 4585 6.2.1: PID 100, BLP 0x8005 = lost 100, 101, 103, 116. */
static void test_nack(void) {
  const uint8_t pkt[] = {0x81, 0xcd, 0x00, 0x03, 0, 0, 0, 1, 0, 0, 0, 2, 0x00, 0x64, 0x80, 0x05};
  rtc_rtcp_msg_t m;
  CHECK_EQ_INT(rtc_rtcp_parse(pkt, sizeof pkt, &m), 0);
  CHECK_EQ_INT(m.kind, RTC_RTCP_KIND_NACK);
  CHECK_EQ_INT(m.u.nack.media_ssrc, 2);
  uint16_t s[32];
  CHECK_EQ_INT(rtc_rtcp_nack_expand(&m.u.nack, s, 32), 4);
  CHECK(s[0] == 100 && s[1] == 101 && s[2] == 103 && s[3] == 116);
  CHECK_EQ_INT(rtc_rtcp_nack_expand(&m.u.nack, s, 2), 4); /* bounded writes, full count */
  uint8_t out[64];
  const uint16_t in[] = {100, 101, 103, 116};
  CHECK_EQ_INT(rtc_rtcp_write_nack(out, sizeof out, 1, 2, in, 4), 16);
  CHECK(memcmp(out, pkt, 16) == 0);
  /* across the wrap and needing two pairs */
  const uint16_t wrap[] = {65534, 65535, 0, 20, 21};
  int n = rtc_rtcp_write_nack(out, sizeof out, 1, 2, wrap, 5);
  CHECK_EQ_INT(n, 20);
  CHECK_EQ_INT(rtc_rtcp_parse(out, (size_t)n, &m), 0);
  CHECK_EQ_INT(rtc_rtcp_nack_expand(&m.u.nack, s, 32), 5);
  CHECK(s[0] == 65534 && s[1] == 65535 && s[2] == 0 && s[3] == 20 && s[4] == 21);
  CHECK_EQ_INT(rtc_rtcp_write_nack(out, 16, 1, 2, wrap, 5), RTC_ETOOBIG);
}

/* RFC 5104 4.3.1.1 FIR and the REMB draft's packet. */
static void test_fir_remb(void) {
  uint8_t out[64];
  rtc_rtcp_msg_t m;
  int n = rtc_rtcp_write_fir(out, sizeof out, 7, 0xabcdef01, 9);
  CHECK_EQ_INT(n, 20);
  /* clang-format off */
  const uint8_t fir[] = {0x84, 0xce, 0x00, 0x04, 0, 0, 0, 7, 0, 0, 0, 0,
                         0xab, 0xcd, 0xef, 0x01, 9, 0, 0, 0};
  /* clang-format on */
  CHECK(memcmp(out, fir, 20) == 0);
  CHECK_EQ_INT(rtc_rtcp_parse(out, (size_t)n, &m), 0);
  CHECK_EQ_INT(m.kind, RTC_RTCP_KIND_FIR);
  CHECK_EQ_INT(m.u.fir.n, 1);
  CHECK_EQ_INT(m.u.fir.fci[4], 9);
  /* REMB: 'R' 'E' 'M' 'B', 1 SSRC, exp 3 mantissa 125000 = 1 Mbit/s */
  /* clang-format off */
  const uint8_t remb[] = {0x8f, 0xce, 0x00, 0x05, 0, 0, 0, 7, 0, 0, 0, 0, 'R', 'E', 'M', 'B',
                          0x01, 0x0d, 0xe8, 0x48, 0x12, 0x34, 0x56, 0x78};
  /* clang-format on */
  CHECK_EQ_INT(rtc_rtcp_parse(remb, sizeof remb, &m), 0);
  CHECK_EQ_INT(m.kind, RTC_RTCP_KIND_REMB);
  CHECK_EQ_INT(m.u.remb.n_ssrc, 1);
  CHECK_EQ_INT(m.u.remb.bitrate_bps, (uint64_t)0x1e848 << 3);
  const uint32_t ss = 0x12345678;
  n = rtc_rtcp_write_remb(out, sizeof out, 7, 1000000, &ss, 1);
  CHECK_EQ_INT(n, 24);
  CHECK_EQ_INT(rtc_rtcp_parse(out, (size_t)n, &m), 0);
  CHECK_EQ_INT(m.u.remb.bitrate_bps, 1000000);
  /* FIR FCI not a multiple of 8 */
  const uint8_t badfir[] = {0x84, 0xce, 0x00, 0x03, 0, 0, 0, 7, 0, 0, 0, 0, 1, 2, 3, 4};
  CHECK_EQ_INT(rtc_rtcp_parse(badfir, sizeof badfir, &m), RTC_EPARSE);
}

/* transport-wide-cc-extensions-01 section 3.1: base 1000, 10 packets: 0 1 received (small
 * deltas), 2 lost, 3 received with a large negative delta, 4..9 received small. A hand-
 * written feedback: two-bit vector chunk (7 symbols) + run-length chunk of 3 small. */
static void test_twcc_parse(void) {
  /* clang-format off */
  const uint8_t pkt[] = {
      0x8f, 0xcd, 0x00, 0x08,             /* FMT 15, RTPFB, length 8 words */
      0, 0, 0, 1, 0, 0, 0, 2,             /* sender, media */
      0x03, 0xe8, 0x00, 0x0a,             /* base seq 1000, status count 10 */
      0x00, 0x00, 0x10, 0x05,             /* reference time 16 (x64 ms), fb count 5 */
      0xd4, 0x95,                         /* 1 1 | 01 01 00 10 01 01 01 */
      0x20, 0x03,                         /* 0 01 | run of 3 */
      0x04, 0x08, 0xff, 0xf0, 0x01, 0x02, /* deltas: 4, 8, -16 (large), 1, 2 */
      0x03, 0x04, 0x05, 0x06, 0, 0};      /* 3, 4, 5, 6, zero padding */
  /* clang-format on */
  rtc_rtcp_msg_t m;
  CHECK_EQ_INT(rtc_rtcp_parse(pkt, sizeof pkt, &m), 0);
  CHECK_EQ_INT(m.kind, RTC_RTCP_KIND_TWCC);
  CHECK_EQ_INT(m.u.twcc.base_seq, 1000);
  CHECK_EQ_INT(m.u.twcc.status_count, 10);
  CHECK_EQ_INT(m.u.twcc.ref_time, 16);
  CHECK_EQ_INT(m.u.twcc.fb_count, 5);
  rtc_rtcp_twcc_pkt_t p[16];
  CHECK_EQ_INT(rtc_rtcp_twcc_expand(&m.u.twcc, p, 16), 10);
  CHECK(p[0].received && p[0].delta_us == 1000);
  CHECK(p[1].received && p[1].delta_us == 2000);
  CHECK(!p[2].received);
  CHECK(p[3].received && p[3].delta_us == -4000);
  CHECK(p[9].received && p[9].delta_us == 1500 && p[9].seq == 1009);
  /* deltas cut short (a packet of 28 bytes: chunks and 4 delta bytes) */
  CHECK_EQ_INT(rtc_rtcp_parse(pkt, 28, &m), 0);
  CHECK_EQ_INT(rtc_rtcp_twcc_expand(&m.u.twcc, p, 16), RTC_EPARSE);
}

static void test_twcc_build(void) {
  /* 40 packets from seq 65530 (wraps), 1 ms apart, every 5th lost, one late jump of 70 ms
   * (large delta) and one reordered arrival (negative delta). */
  int64_t at[40];
  for (int i = 0; i < 40; i++)
    at[i] = 5000000 + 1000 * i;
  for (int i = 5; i < 40; i += 5)
    at[i] = -1;
  for (int i = 20; i < 40; i++)
    if (at[i] >= 0) at[i] += 70000;
  at[31] = at[30 - 1] - 3000;
  uint8_t out[512];
  size_t nw;
  int n = rtc_rtcp_write_twcc(out, sizeof out, 1, 2, 7, 65530, at, 40, &nw);
  CHECK(n > 20);
  CHECK_EQ_INT(n % 4, 0);
  CHECK_EQ_INT(nw, 40);
  rtc_rtcp_iter_t it = {.p = out, .len = (size_t)n};
  const uint8_t *pp;
  size_t pl;
  CHECK_EQ_INT(rtc_rtcp_iter_next(&it, &pp, &pl), 1);
  rtc_rtcp_msg_t m;
  CHECK_EQ_INT(rtc_rtcp_parse(pp, pl, &m), 0);
  CHECK_EQ_INT(m.kind, RTC_RTCP_KIND_TWCC);
  CHECK_EQ_INT(m.u.twcc.fb_count, 7);
  rtc_rtcp_twcc_pkt_t p[64];
  CHECK_EQ_INT(rtc_rtcp_twcc_expand(&m.u.twcc, p, 64), 40);
  int64_t t = (int64_t)m.u.twcc.ref_time * 64000;
  for (int i = 0; i < 40; i++) {
    CHECK_EQ_INT(p[i].seq, (uint16_t)(65530 + i));
    CHECK_EQ_INT(p[i].received, at[i] >= 0);
    if (!p[i].received) continue;
    t += p[i].delta_us;
    CHECK_EQ_INT(t, at[i]); /* exact: all times are multiples of 250 us */
  }
  /* A gap larger than the 16-bit range (8.19 s) ends the feedback early */
  int64_t far[3] = {1000000, 1001000, 1000000 + 9000000};
  n = rtc_rtcp_write_twcc(out, sizeof out, 1, 2, 0, 5, far, 3, &nw);
  CHECK(n > 0);
  CHECK_EQ_INT(nw, 2);
  CHECK_EQ_INT(rtc_rtcp_write_twcc(out, 20, 1, 2, 0, 5, far, 3, &nw), RTC_ETOOBIG);
}

/* The receive-side recorder: arrivals out of order, across the 16-bit wrap, with losses,
 * duplicates and a late packet already reported; two feedbacks in a row. */
static void test_twcc_recorder(void) {
  rtc_rtp_twcc_t *t = rtc_rtp_twcc_create(64);
  uint8_t out[512];
  CHECK(!rtc_rtp_twcc_has_pending(t));
  CHECK_EQ_INT(rtc_rtp_twcc_write_feedback(t, out, sizeof out, 1, 2), 0);
  /* seqs 65530..65545 (wrapping), arrival 1 ms apart from 2 s; 65533 and 0 lost; 65535
   * and 1 swapped; 65540 duplicated */
  int64_t want[16];
  for (int i = 0; i < 16; i++)
    want[i] = 2000000 + 1000 * i;
  want[3] = want[6] = -1;
  int order[16] = {0, 1, 2, 3, 4, 7, 6, 5, 8, 9, 10, 11, 12, 13, 14, 15};
  for (int k = 0; k < 16; k++) {
    int i = order[k];
    if (want[i] >= 0) rtc_rtp_twcc_record(t, (uint64_t)want[i], (uint16_t)(65530 + i));
  }
  rtc_rtp_twcc_record(t, 9999999, (uint16_t)(65530 + 10)); /* duplicate: ignored */
  CHECK(rtc_rtp_twcc_has_pending(t));
  int n = rtc_rtp_twcc_write_feedback(t, out, sizeof out, 1, 2);
  CHECK(n > 20);
  CHECK(!rtc_rtp_twcc_has_pending(t));
  rtc_rtcp_msg_t m;
  CHECK_EQ_INT(rtc_rtcp_parse(out, (size_t)n, &m), 0);
  CHECK_EQ_INT(m.kind, RTC_RTCP_KIND_TWCC);
  CHECK_EQ_INT(m.u.twcc.base_seq, 65530);
  CHECK_EQ_INT(m.u.twcc.status_count, 16);
  CHECK_EQ_INT(m.u.twcc.fb_count, 0);
  rtc_rtcp_twcc_pkt_t p[32];
  CHECK_EQ_INT(rtc_rtcp_twcc_expand(&m.u.twcc, p, 32), 16);
  int64_t at = (int64_t)m.u.twcc.ref_time * 64000;
  for (int i = 0; i < 16; i++) {
    CHECK_EQ_INT(p[i].received, want[i] >= 0);
    if (!p[i].received) continue;
    at += p[i].delta_us;
    CHECK_EQ_INT(at, want[i]);
  }
  /* late arrival of a reported-lost packet: ignored; new ones make a second feedback */
  rtc_rtp_twcc_record(t, 2100000, (uint16_t)(65530 + 3));
  CHECK(!rtc_rtp_twcc_has_pending(t));
  rtc_rtp_twcc_record(t, 2200000, 10);
  n = rtc_rtp_twcc_write_feedback(t, out, sizeof out, 1, 2);
  CHECK_EQ_INT(rtc_rtcp_parse(out, (size_t)n, &m), 0);
  CHECK_EQ_INT(m.u.twcc.base_seq, 10); /* 0..9 lost before it: not reported twice */
  CHECK_EQ_INT(m.u.twcc.status_count, 1);
  CHECK_EQ_INT(m.u.twcc.fb_count, 1);
  CHECK_EQ_INT(rtc_rtp_twcc_write_feedback(t, out, 10, 1, 2), 0);
  /* a jump beyond the ring gives up the oldest */
  rtc_rtp_twcc_record(t, 2300000, 20);
  rtc_rtp_twcc_record(t, 2400000, 200);
  n = rtc_rtp_twcc_write_feedback(t, out, sizeof out, 1, 2);
  CHECK_EQ_INT(rtc_rtcp_parse(out, (size_t)n, &m), 0);
  CHECK_EQ_INT(m.u.twcc.base_seq, 200);
  rtc_rtp_twcc_destroy(t);
}

int main(void) {
  RUN_TEST(test_compound);
  RUN_TEST(test_rr_bye_padding);
  RUN_TEST(test_nack);
  RUN_TEST(test_fir_remb);
  RUN_TEST(test_twcc_parse);
  RUN_TEST(test_twcc_build);
  RUN_TEST(test_twcc_recorder);
  TEST_MAIN_END();
}
