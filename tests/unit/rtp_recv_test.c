/* Receive and send sides wired in memory on a virtual clock: captured packets shuffled
 * through the reorder buffer, losses repaired by NACK -> RTX, losses given up, receiver
 * report figures (RFC 3550 A.3, A.8), SR -> RR round-trip time, NTP<->RTP mapping. */
#include <stdbool.h>

#include "base/rtc_err.h"
#include "base/rtc_time.h"
#include "rtc_test.h"
#include "rtp/rtc_rtcp.h"
#include "rtp/rtc_rtp.h"
#include "rtp/rtc_rtp_codec.h"
#include "rtp/rtc_rtp_recv.h"
#include "rtp/rtc_rtp_send.h"
#include "rtp_test_fixture.h"

static uint32_t lcg = 12345;
static uint32_t rnd(void) {
  lcg = lcg * 1103515245u + 12345u;
  return lcg >> 8;
}

/* Captured VP8/VP9/H.264/Opus packets in a shuffled order (each moved by up to 8
 * places): the reorder buffer gives the depayloader order back, every frame arrives
 * intact, nothing is dropped. */
static void shuffled(rtc_rtp_codec_t codec, const char *cap, const char *clipname) {
  fix_list_t pk, clip;
  fix_packets(cap, &pk);
  int nc = codec == RTC_RTP_CODEC_OPUS   ? fix_ogg_opus(clipname, &clip)
           : codec == RTC_RTP_CODEC_H264 ? fix_h264_aus(clipname, &clip)
                                         : fix_ivf(clipname, &clip);
  int order[FIX_MAX];
  for (int i = 0; i < pk.n; i++)
    order[i] = i;
  for (int i = 0; i + 1 < pk.n; i++) {
    int j = i + (int)(rnd() % 9);
    if (j >= pk.n) j = pk.n - 1;
    int t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  rtc_rtp_header_t h0;
  rtc_rtp_parse(pk.p[0], pk.len[0], &h0);
  rtc_rtp_recv_config_t cfg = {.ssrc = h0.ssrc, .codec = codec, .nack = true};
  rtc_rtp_recv_t *r = rtc_rtp_recv_create(&cfg);
  CHECK(r != NULL);
  uint64_t now = 1000000;
  int frames = 0, bad = 0, moved = 0, fi = 0;
  for (int i = 0; i < pk.n; i++) {
    moved += order[i] != i;
    rtc_rtp_header_t h;
    CHECK_EQ_INT(rtc_rtp_parse(pk.p[order[i]], pk.len[order[i]], &h), 0);
    now += 2000;
    CHECK_EQ_INT(rtc_rtp_recv_handle_packet(r, now, &h), 0);
    rtc_rtp_recv_handle_timeout(r, now);
    rtc_rtp_frame_t f;
    while (rtc_rtp_recv_poll_frame(r, &f)) {
      /* GStreamer sent Opus's Ogg headers as packets: not clip frames */
      if (codec == RTC_RTP_CODEC_OPUS && f.len >= 8 && memcmp(f.data, "Opus", 4) == 0) continue;
      frames++;
      if (codec == RTC_RTP_CODEC_H264) {
        /* compare the slice NALs only (parameter sets are repeated by the payloader) */
        const uint8_t *a[64], *b[64];
        size_t al[64], bl[64];
        int ka = fix_nals(f.data, f.len, a, al, 64),
            kb = fix_nals(clip.p[fi], clip.len[fi], b, bl, 64);
        const uint8_t *la = a[ka - 1], *lb = b[kb - 1];
        bad += !(al[ka - 1] == bl[kb - 1] && memcmp(la, lb, al[ka - 1]) == 0);
      } else {
        bad += !(f.len == clip.len[fi] && memcmp(f.data, clip.p[fi], f.len) == 0);
      }
      fi++;
    }
  }
  CHECK(moved > pk.n / 2);
  CHECK_EQ_INT(frames, nc);
  CHECK_EQ_INT(bad, 0);
  rtc_rtp_recv_stats_t st;
  rtc_rtp_recv_get_stats(r, &st);
  CHECK_EQ_INT(st.frames_dropped, 0);
  CHECK_EQ_INT(st.packets_lost, 0);
  CHECK_EQ_INT(st.cumulative_lost, 0);
  rtc_rtp_recv_destroy(r);
  fix_free(&pk);
  fix_free(&clip);
}

static void test_shuffled_vp8(void) { shuffled(RTC_RTP_CODEC_VP8, "vp8-gst.rtp", "vp8.ivf"); }
static void test_shuffled_vp8_ffmpeg(void) {
  shuffled(RTC_RTP_CODEC_VP8, "vp8-ffmpeg.rtp", "vp8.ivf");
}
static void test_shuffled_vp9(void) { shuffled(RTC_RTP_CODEC_VP9, "vp9-gst.rtp", "vp9.ivf"); }
static void test_shuffled_h264(void) {
  shuffled(RTC_RTP_CODEC_H264, "h264-ffmpeg.rtp", "h264.h264");
}
static void test_shuffled_opus(void) { shuffled(RTC_RTP_CODEC_OPUS, "opus-gst.rtp", "opus.ogg"); }

/* --- A sender and a receiver on a link that drops packets --- */

typedef struct link {
  rtc_rtp_send_t *s;
  rtc_rtp_recv_t *r;
  uint64_t now;
  int sent, dropped, rtx_sent, nack_rtcp, pli;
  bool answer_nacks;
} link_t;

static void deliver(link_t *l, const uint8_t *pkt, int n, bool drop) {
  if (drop) {
    l->dropped++;
    return;
  }
  rtc_rtp_header_t h;
  CHECK_EQ_INT(rtc_rtp_parse(pkt, (size_t)n, &h), 0);
  CHECK_EQ_INT(rtc_rtp_recv_handle_packet(l->r, l->now, &h), 0);
}

/* Receiver -> NACK RTCP -> sender -> RTX -> receiver. */
static void nack_round(link_t *l) {
  uint16_t seqs[64];
  size_t n = rtc_rtp_recv_poll_nack(l->r, l->now, seqs, 64);
  if (n == 0) return;
  uint8_t rtcp[512];
  int rn = rtc_rtcp_write_nack(rtcp, sizeof rtcp, 0x1111, 0xabc, seqs, n);
  CHECK(rn > 0);
  l->nack_rtcp++;
  if (!l->answer_nacks) return;
  rtc_rtcp_msg_t m;
  CHECK_EQ_INT(rtc_rtcp_parse(rtcp, (size_t)rn, &m), 0);
  uint16_t got[64];
  size_t k = rtc_rtcp_nack_expand(&m.u.nack, got, 64);
  CHECK_EQ_INT(k, n);
  for (size_t i = 0; i < k; i++) {
    uint8_t pkt[1600];
    int pn = rtc_rtp_send_rtx(l->s, l->now, got[i], pkt, sizeof pkt);
    if (pn > 0) {
      l->rtx_sent++;
      deliver(l, pkt, pn, false);
    }
  }
}

static void link_run(link_t *l, const fix_list_t *clip, int drop_every, int *frames, int *bad,
                     int *keys) {
  rtc_rtp_payloader_t pl;
  rtc_rtp_payloader_init(&pl, RTC_RTP_CODEC_VP8, 1000);
  *frames = *bad = *keys = 0;
  int fi = 0;
  for (int i = 0; i < clip->n; i++) {
    rtc_rtp_payloader_set_frame(&pl, clip->p[i], clip->len[i], false);
    uint8_t pay[1000], pkt[1600];
    bool m;
    int k;
    while ((k = rtc_rtp_payloader_next(&pl, pay, sizeof pay, &m)) > 0) {
      rtc_rtp_header_t h = {.ts = 3000u * (uint32_t)i, .marker = m};
      int n = rtc_rtp_send_packet(l->s, l->now, &h, pay, (size_t)k, pkt, sizeof pkt);
      CHECK(n > 0);
      l->sent++;
      deliver(l, pkt, n, drop_every && l->sent % drop_every == 0);
      l->now += RTC_MS(3);
      nack_round(l);
      rtc_rtp_recv_handle_timeout(l->r, l->now);
      if (rtc_rtp_recv_poll_keyframe_request(l->r, l->now)) l->pli++;
      rtc_rtp_frame_t f;
      while (rtc_rtp_recv_poll_frame(l->r, &f)) {
        (*frames)++;
        *keys += f.keyframe;
        while (fi < clip->n && f.ts != 3000u * (uint32_t)fi)
          fi++;
        *bad +=
            !(fi < clip->n && f.len == clip->len[fi] && memcmp(f.data, clip->p[fi], f.len) == 0);
      }
    }
    l->now += RTC_MS(30);
  }
  /* let the tail settle */
  for (int t = 0; t < 100; t++) {
    l->now += RTC_MS(10);
    nack_round(l);
    rtc_rtp_recv_handle_timeout(l->r, l->now);
    rtc_rtp_frame_t f;
    while (rtc_rtp_recv_poll_frame(l->r, &f))
      (*frames)++;
  }
}

static void test_nack_rtx_repairs(void) {
  fix_list_t clip;
  CHECK_EQ_INT(fix_ivf("vp8.ivf", &clip), 60);
  rtc_rtp_send_config_t sc = {.ssrc = 0xabc,
                              .pt = 96,
                              .clock_rate = 90000,
                              .first_seq = 65000,
                              .has_rtx = true,
                              .rtx_ssrc = 0xdef,
                              .rtx_pt = 97,
                              .rtx_first_seq = 500};
  rtc_rtp_recv_config_t rc = {.ssrc = 0xabc,
                              .codec = RTC_RTP_CODEC_VP8,
                              .nack = true,
                              .has_rtx = true,
                              .rtx_ssrc = 0xdef,
                              .rtx_pt = 97};
  link_t l = {.s = rtc_rtp_send_create(&sc),
              .r = rtc_rtp_recv_create(&rc),
              .now = 5000000,
              .answer_nacks = true};
  rtc_rtp_recv_set_rtt(l.r, RTC_MS(10));
  int frames, bad, keys;
  link_run(&l, &clip, 7, &frames, &bad, &keys);
  CHECK(l.dropped >= 8);
  CHECK_EQ_INT(frames, 60); /* every frame, repaired */
  CHECK_EQ_INT(bad, 0);
  CHECK_EQ_INT(keys, 2);
  CHECK_EQ_INT(l.rtx_sent, l.dropped);
  rtc_rtp_recv_stats_t rs;
  rtc_rtp_recv_get_stats(l.r, &rs);
  CHECK_EQ_INT(rs.rtx_packets, l.dropped);
  CHECK_EQ_INT(rs.frames_dropped, 0);
  CHECK_EQ_INT(rs.packets_lost, 0);
  CHECK_EQ_INT(rs.cumulative_lost, 0);
  CHECK_EQ_INT(rs.nacks_sent, l.dropped);
  CHECK_EQ_INT(l.pli, 0);
  CHECK(!rtc_rtp_recv_poll_keyframe_request(l.r, l.now));
  rtc_rtp_send_stats_t ss;
  rtc_rtp_send_get_stats(l.s, &ss);
  CHECK_EQ_INT(ss.rtx_packets, l.dropped);
  CHECK_EQ_INT(ss.packets, l.sent);
  CHECK_EQ_INT(ss.next_seq, (uint16_t)(65000 + l.sent)); /* wrapped */
  rtc_rtp_send_destroy(l.s);
  rtc_rtp_recv_destroy(l.r);
  fix_free(&clip);
}

/* Nobody answers: each missing packet is NACKed nack_max_retries times at most, once per
 * RTT; after the wait it is given up, its frame dropped and counted, a keyframe asked
 * for (rate-limited), and the stream goes on. */
static void test_loss_given_up(void) {
  fix_list_t clip;
  fix_ivf("vp8.ivf", &clip);
  rtc_rtp_send_config_t sc = {.ssrc = 0xabc, .pt = 96, .clock_rate = 90000};
  rtc_rtp_recv_config_t rc = {.ssrc = 0xabc,
                              .codec = RTC_RTP_CODEC_VP8,
                              .nack = true,
                              .nack_max_retries = 3,
                              .max_wait_us = RTC_MS(200)};
  link_t l = {.s = rtc_rtp_send_create(&sc), .r = rtc_rtp_recv_create(&rc), .now = 5000000};
  rtc_rtp_recv_set_rtt(l.r, RTC_MS(30));
  int frames, bad, keys;
  link_run(&l, &clip, 11, &frames, &bad, &keys);
  rtc_rtp_recv_stats_t rs;
  rtc_rtp_recv_get_stats(l.r, &rs);
  CHECK(l.dropped >= 5);
  CHECK_EQ_INT(rs.packets_lost, l.dropped);
  CHECK(rs.frames_dropped > 0);
  CHECK_EQ_INT(bad, 0);
  CHECK(frames < 60 && frames > 30);
  /* 3 tries each: the wait (200 ms) outlasts 3 RTTs */
  CHECK_EQ_INT(rs.nacks_sent, 3 * l.dropped);
  CHECK_EQ_INT(rs.cumulative_lost, l.dropped);
  CHECK(l.pli > 0);
  CHECK_EQ_INT(rs.keyframe_requests, l.pli);
  rtc_rtp_recv_destroy(l.r);
  rtc_rtp_send_destroy(l.s);
  fix_free(&clip);
}

/* With an RTT under the 5 ms NACK pace (a LAN), the retry deadline poll_timeout gives is
 * when poll_nack sends it, never before: a deadline announced earlier stays in the past
 * (the io loop spun for the difference). Found by fuzz_pc_session. */
static void test_nack_deadline_matches_pace(void) {
  rtc_rtp_recv_config_t rc = {.ssrc = 1, .codec = RTC_RTP_CODEC_VP8, .nack = true,
                              .nack_max_retries = 5, .max_wait_us = RTC_MS(500)};
  rtc_rtp_recv_t *r = rtc_rtp_recv_create(&rc);
  rtc_rtp_recv_set_rtt(r, RTC_MS(1));
  uint8_t pl[] = {0x90, 0x80, 0x80, 0x01, 0x11, 0x22};
  uint64_t now = 1000000;
  rtc_rtp_header_t h = {.ssrc = 1, .seq = 10, .ts = 100, .payload = pl, .payload_len = 6};
  CHECK_EQ_INT(rtc_rtp_recv_handle_packet(r, now, &h), 0);
  h.seq = 12; /* 11 is missing */
  CHECK_EQ_INT(rtc_rtp_recv_handle_packet(r, now, &h), 0);
  uint16_t seqs[8];
  int nacks = 0, idle = 0;
  for (int step = 0; step < 200; step++) { /* the io loop: sleep to the deadline, handle */
    uint64_t due = rtc_rtp_recv_poll_timeout(r);
    if (due == RTC_NEVER) break;
    if (due > now) now = due;
    rtc_rtp_recv_handle_timeout(r, now);
    size_t n = rtc_rtp_recv_poll_nack(r, now, seqs, 8);
    nacks += (int)n;
    idle += n == 0 && rtc_rtp_recv_poll_timeout(r) <= now; /* due, and nothing to do */
  }
  CHECK_EQ_INT(idle, 0);
  CHECK_EQ_INT(nacks, 5);
  rtc_rtp_recv_destroy(r);
}

/* Keyframe requests: after a dropped frame, at most once per max(RTT, 250 ms), until a
 * keyframe arrives. */
static void test_keyframe_request(void) {
  rtc_rtp_recv_config_t rc = {.ssrc = 1, .codec = RTC_RTP_CODEC_VP8, .max_wait_us = RTC_MS(50)};
  rtc_rtp_recv_t *r = rtc_rtp_recv_create(&rc);
  /* frame 1: two packets, the second lost; frame 2: one packet (inter) */
  uint8_t p1[] = {0x90, 0x80, 0x80, 0x01, 0x11, 0x22}; /* S, PID 0, P bit 1: inter */
  uint8_t p3[] = {0x90, 0x80, 0x80, 0x02, 0x11, 0x33};
  rtc_rtp_header_t h = {.ssrc = 1, .seq = 10, .ts = 100, .payload = p1, .payload_len = 6};
  CHECK_EQ_INT(rtc_rtp_recv_handle_packet(r, 1000, &h), 0);
  h = (rtc_rtp_header_t){
      .ssrc = 1, .seq = 12, .ts = 200, .marker = true, .payload = p3, .payload_len = 6};
  CHECK_EQ_INT(rtc_rtp_recv_handle_packet(r, 2000, &h), 0);
  rtc_rtp_frame_t f;
  CHECK(!rtc_rtp_recv_poll_frame(r, &f)); /* startup: earlier packets may still come */
  CHECK_EQ_INT(rtc_rtp_recv_poll_timeout(r), 1000 + RTC_MS(50));
  rtc_rtp_recv_handle_timeout(r, 2000 + RTC_MS(49));
  CHECK(!rtc_rtp_recv_poll_frame(r, &f)); /* waiting for 11 */
  CHECK_EQ_INT(rtc_rtp_recv_poll_timeout(r), 2000 + RTC_MS(50));
  rtc_rtp_recv_handle_timeout(r, 2000 + RTC_MS(50));
  CHECK(rtc_rtp_recv_poll_frame(r, &f)); /* frame 2 (its own start: S bit) */
  CHECK_EQ_INT(f.ts, 200);
  CHECK(!f.keyframe);
  CHECK(rtc_rtp_recv_poll_keyframe_request(r, RTC_MS(100)));
  CHECK(!rtc_rtp_recv_poll_keyframe_request(r, RTC_MS(200)));
  CHECK(rtc_rtp_recv_poll_keyframe_request(r, RTC_MS(351)));
  /* a keyframe ends the requests */
  uint8_t k[] = {0x90, 0x80, 0x80, 0x03, 0x10, 0x00}; /* P bit 0 */
  h = (rtc_rtp_header_t){
      .ssrc = 1, .seq = 13, .ts = 300, .marker = true, .payload = k, .payload_len = 6};
  CHECK_EQ_INT(rtc_rtp_recv_handle_packet(r, RTC_MS(400), &h), 0);
  CHECK(rtc_rtp_recv_poll_frame(r, &f));
  CHECK(f.keyframe);
  CHECK(!rtc_rtp_recv_poll_keyframe_request(r, RTC_MS(2000)));
  /* an SSRC that is not ours */
  h.ssrc = 2;
  CHECK_EQ_INT(rtc_rtp_recv_handle_packet(r, RTC_MS(400), &h), RTC_EINVAL);
  rtc_rtp_recv_stats_t st;
  rtc_rtp_recv_get_stats(r, &st);
  CHECK_EQ_INT(st.frames_dropped, 1);
  CHECK_EQ_INT(st.packets_lost, 1);
  CHECK_EQ_INT(st.keyframe_requests, 2);
  rtc_rtp_recv_destroy(r);
}

/* RFC 3550 A.3 and A.8 figures in the report block. */
static void test_report_block(void) {
  rtc_rtp_recv_config_t rc = {.ssrc = 7, .codec = RTC_RTP_CODEC_OPUS};
  rtc_rtp_recv_t *r = rtc_rtp_recv_create(&rc);
  rtc_rtcp_rb_t rb;
  CHECK(!rtc_rtp_recv_report_block(r, 0, &rb));
  uint8_t pay[10] = {1};
  uint64_t now = 10000000;
  /* 200 packets of 20 ms from seq 65436 (wraps after 100), every 10th lost: 20 lost */
  for (int i = 0; i < 200; i++) {
    now += RTC_MS(20);
    if (i % 10 == 9) continue;
    rtc_rtp_header_t h = {.ssrc = 7,
                          .seq = (uint16_t)(65436 + i),
                          .ts = 960u * (uint32_t)i,
                          .payload = pay,
                          .payload_len = 10};
    CHECK_EQ_INT(rtc_rtp_recv_handle_packet(r, now, &h), 0);
    rtc_rtp_recv_handle_timeout(r, now);
    rtc_rtp_frame_t f;
    while (rtc_rtp_recv_poll_frame(r, &f)) {
    }
  }
  CHECK(rtc_rtp_recv_report_block(r, now, &rb));
  CHECK_EQ_INT(rb.ssrc, 7);
  CHECK_EQ_INT(rb.cumulative_lost, 19); /* the 200th (i = 199) is lost at the tail: unseen */
  CHECK_EQ_INT(rb.ext_highest_seq, 0x10000 + (uint16_t)(65436 + 198));
  CHECK_EQ_INT(rb.fraction_lost, 19 * 256 / 199);
  CHECK_EQ_INT(rb.jitter, 0); /* perfectly paced */
  CHECK_EQ_INT(rb.lsr, 0);
  /* next interval: 10 packets, none lost, with 5 ms of jitter on every other one */
  for (int i = 200; i < 210; i++) {
    now += RTC_MS(20);
    rtc_rtp_header_t h = {.ssrc = 7,
                          .seq = (uint16_t)(65436 + i),
                          .ts = 960u * (uint32_t)i,
                          .payload = pay,
                          .payload_len = 10};
    CHECK_EQ_INT(rtc_rtp_recv_handle_packet(r, now + (i % 2) * RTC_MS(5), &h), 0);
  }
  CHECK(rtc_rtp_recv_report_block(r, now, &rb));
  CHECK_EQ_INT(rb.fraction_lost, 256 / 11); /* the 200th, lost, now counts: 1 of 11 */
  CHECK_EQ_INT(rb.cumulative_lost, 20);
  CHECK(rb.jitter > 0 && rb.jitter < 240); /* 5 ms = 240 units at 48 kHz, averaged /16 */
  rtc_rtp_recv_stats_t st;
  rtc_rtp_recv_get_stats(r, &st);
  CHECK(st.jitter_s > 0 && st.jitter_s < 0.005);
  rtc_rtp_recv_destroy(r);
}

/* Packets 20 ms apart read in bursts of five (a busy loop, a recvmmsg batch): jitter
 * from the read times is large; from their arrival times (handle_packet_at) it is 0. */
static void test_jitter_from_arrival(void) {
  rtc_rtp_recv_config_t rc = {.ssrc = 7, .codec = RTC_RTP_CODEC_OPUS};
  rtc_rtp_recv_t *at = rtc_rtp_recv_create(&rc), *read = rtc_rtp_recv_create(&rc);
  uint8_t pay[10] = {1};
  uint64_t t0 = 10000000;
  for (int i = 0; i < 100; i++) {
    uint64_t arrived = t0 + (uint64_t)i * RTC_MS(20), read_at = t0 + (uint64_t)(i / 5 + 1) * RTC_MS(100);
    rtc_rtp_header_t h = {.ssrc = 7, .seq = (uint16_t)i, .ts = 960u * (uint32_t)i, .payload = pay, .payload_len = 10};
    CHECK_EQ_INT(rtc_rtp_recv_handle_packet_at(at, read_at, arrived, &h), 0);
    CHECK_EQ_INT(rtc_rtp_recv_handle_packet(read, read_at, &h), 0);
  }
  rtc_rtp_recv_stats_t sa, sr;
  rtc_rtp_recv_get_stats(at, &sa);
  rtc_rtp_recv_get_stats(read, &sr);
  CHECK(sa.jitter_s < 0.0001);
  CHECK(sr.jitter_s > 0.02);
  rtc_rtp_recv_destroy(at);
  rtc_rtp_recv_destroy(read);
}

/* SR from the sender, RR from the receiver 50 ms later, 15 ms each way: RTT 30 ms. */
static void test_sr_rtt_and_ntp(void) {
  rtc_rtp_send_config_t sc = {.ssrc = 0x55, .pt = 111, .clock_rate = 48000, .first_seq = 1};
  rtc_rtp_send_t *s = rtc_rtp_send_create(&sc);
  rtc_rtp_recv_config_t rc = {.ssrc = 0x55, .codec = RTC_RTP_CODEC_OPUS};
  rtc_rtp_recv_t *r = rtc_rtp_recv_create(&rc);
  rtc_rtcp_sr_t sr;
  uint64_t t = 50000000;
  CHECK(!rtc_rtp_send_sr(s, t, 0, &sr)); /* nothing sent yet */
  uint8_t pay[3] = {1, 2, 3}, pkt[100];
  rtc_rtp_header_t h = {.ts = 48000};
  int n = rtc_rtp_send_packet(s, t, &h, pay, 3, pkt, sizeof pkt);
  CHECK_EQ_INT(n, 15);
  CHECK_EQ_INT(h.seq, 1);
  rtc_rtp_header_t p;
  rtc_rtp_parse(pkt, (size_t)n, &p);
  rtc_rtp_recv_handle_packet(r, t + RTC_MS(15), &p);
  /* SR 100 ms after the packet: RTP ts advanced by 4800; NTP 0x1000.80000000 */
  uint64_t ntp = (uint64_t)0x1000 << 32 | 0x80000000u;
  CHECK(rtc_rtp_send_sr(s, t + RTC_MS(100), ntp, &sr));
  CHECK_EQ_INT(sr.rtp_ts, 48000 + 4800);
  CHECK_EQ_INT(sr.packet_count, 1);
  CHECK_EQ_INT(sr.octet_count, 3);
  {
    /* A frame sent 40 ms after its capture instant (a late timer): the SR extrapolates
     * from the capture, as libwebrtc does, not from the late send. */
    rtc_rtcp_sr_t late;
    rtc_rtp_header_t h2 = {.ts = 48000 + 960};
    CHECK(rtc_rtp_send_packet(s, t + RTC_MS(60), &h2, pay, 3, pkt, sizeof pkt) > 0);
    CHECK(rtc_rtp_send_sr(s, t + RTC_MS(100), ntp, &late));
    CHECK_EQ_INT(late.rtp_ts, 48000 + 960 + 1920); /* from the send: 40 ms short */
    rtc_rtp_send_set_capture(s, 48000 + 960, t + RTC_MS(20));
    CHECK(rtc_rtp_send_sr(s, t + RTC_MS(100), ntp, &late));
    CHECK_EQ_INT(late.rtp_ts, 48000 + 4800); /* the same clock as the first frame's */
    rtc_rtp_send_set_capture(s, 48000, t); /* back to the first frame for what follows */
  }
  uint8_t buf[200];
  int sn = rtc_rtcp_write_sr(buf, sizeof buf, &sr);
  rtc_rtcp_msg_t m;
  CHECK_EQ_INT(rtc_rtcp_parse(buf, (size_t)sn, &m), 0);
  CHECK_EQ_INT(rtc_rtp_recv_handle_sr(r, t + RTC_MS(115), &m.u.sr), 0);
  /* NTP <-> RTP: ts + 24000 is half a second after the SR instant */
  uint64_t back;
  CHECK(rtc_rtp_recv_rtp_to_ntp(r, sr.rtp_ts + 24000, &back));
  CHECK(back == ntp + 0x80000000u);
  CHECK(rtc_rtp_recv_rtp_to_ntp(r, sr.rtp_ts - 48000, &back));
  CHECK(back == ntp - ((uint64_t)1 << 32));
  rtc_rtcp_rb_t rb;
  CHECK(rtc_rtp_recv_report_block(r, t + RTC_MS(165), &rb));
  CHECK_EQ_INT(rb.lsr, 0x10008000);
  CHECK_EQ_INT(rb.dlsr, 50 * 65536 / 1000);
  CHECK_EQ_INT(rtc_rtp_send_handle_report_block(s, t + RTC_MS(180), &rb), 0);
  uint64_t rtt = rtc_rtp_send_rtt_us(s);
  CHECK(rtt >= RTC_MS(30) && rtt <= RTC_MS(30) + 20);
  rb.lsr = 0x12345678;
  CHECK_EQ_INT(rtc_rtp_send_handle_report_block(s, t, &rb), RTC_ENOTFOUND);
  rb.ssrc = 9;
  CHECK_EQ_INT(rtc_rtp_send_handle_report_block(s, t, &rb), RTC_EINVAL);
  rtc_rtp_send_destroy(s);
  rtc_rtp_recv_destroy(r);
}

/* RFC 4588 section 4: the RTX packet carries the original header (extensions, marker,
 * timestamp) under the RTX SSRC/PT/sequence, the OSN first in the payload. */
static void test_rtx_format(void) {
  rtc_rtp_send_config_t sc = {.ssrc = 0x10,
                              .pt = 96,
                              .clock_rate = 90000,
                              .first_seq = 7,
                              .has_rtx = true,
                              .rtx_ssrc = 0x20,
                              .rtx_pt = 97,
                              .rtx_first_seq = 300,
                              .history_slots = 4};
  rtc_rtp_send_t *s = rtc_rtp_send_create(&sc);
  uint8_t pkt[200], rtx[200];
  const uint8_t mid[1] = {'0'};
  for (int i = 0; i < 6; i++) {
    rtc_rtp_header_t h = {.ts = 1000u + (uint32_t)i, .marker = i == 0};
    rtc_rtp_add_ext(&h, 3, mid, 1);
    uint8_t pay[4] = {(uint8_t)i, 2, 3, 4};
    CHECK(rtc_rtp_send_packet(s, 100, &h, pay, 4, pkt, sizeof pkt) > 0);
  }
  /* history of 4: seq 7 and 8 are gone */
  CHECK_EQ_INT(rtc_rtp_send_rtx(s, 200, 7, rtx, sizeof rtx), RTC_ENOTFOUND);
  int n = rtc_rtp_send_rtx(s, 200, 10, rtx, sizeof rtx);
  CHECK(n > 0);
  rtc_rtp_header_t h;
  CHECK_EQ_INT(rtc_rtp_parse(rtx, (size_t)n, &h), 0);
  CHECK_EQ_INT(h.ssrc, 0x20);
  CHECK_EQ_INT(h.pt, 97);
  CHECK_EQ_INT(h.seq, 300);
  CHECK_EQ_INT(h.ts, 1003);
  CHECK(rtc_rtp_get_ext(&h, 3) && rtc_rtp_get_ext(&h, 3)->data[0] == '0');
  CHECK_EQ_INT(h.payload_len, 6);
  CHECK(h.payload[0] == 0 && h.payload[1] == 10 && h.payload[2] == 3);
  /* a fresh per-send value (transport-wide seq) stamped into the retransmission */
  const uint8_t m2[1] = {'7'};
  CHECK_EQ_INT(rtc_rtp_rewrite_ext(rtx, (size_t)n, 3, m2, 1), 0);
  CHECK_EQ_INT(rtc_rtp_parse(rtx, (size_t)n, &h), 0);
  CHECK(rtc_rtp_get_ext(&h, 3)->data[0] == '7');
  const uint8_t two[2] = {1, 2};
  CHECK_EQ_INT(rtc_rtp_rewrite_ext(rtx, (size_t)n, 3, two, 2), RTC_ENOTFOUND);
  CHECK_EQ_INT(rtc_rtp_rewrite_ext(rtx, (size_t)n, 4, m2, 1), RTC_ENOTFOUND);
  CHECK_EQ_INT(rtc_rtp_rewrite_ext(rtx, 5, 3, m2, 1), RTC_EPARSE);
  /* a second NACK within the pacing interval is not answered; later it is */
  CHECK_EQ_INT(rtc_rtp_send_rtx(s, 300, 10, rtx, sizeof rtx), RTC_EAGAIN);
  n = rtc_rtp_send_rtx(s, 200 + RTC_MS(11), 10, rtx, sizeof rtx);
  CHECK(n > 0);
  rtc_rtp_parse(rtx, (size_t)n, &h);
  CHECK_EQ_INT(h.seq, 301);
  CHECK_EQ_INT(rtc_rtp_send_rtx(s, RTC_MS(100), 11, rtx, 10), RTC_ETOOBIG);
  rtc_rtp_send_stats_t st;
  rtc_rtp_send_get_stats(s, &st);
  CHECK_EQ_INT(st.rtx_packets, 2);
  CHECK_EQ_INT(st.nack_missed, 1);
  /* The receiver turns it back into seq 10 */
  rtc_rtp_recv_config_t rc = {
      .ssrc = 0x10, .codec = RTC_RTP_CODEC_OPUS, .has_rtx = true, .rtx_ssrc = 0x20, .rtx_pt = 97};
  rtc_rtp_recv_t *r = rtc_rtp_recv_create(&rc);
  rtc_rtp_header_t o = {.ssrc = 0x10, .seq = 9, .ts = 1002, .payload = rtx, .payload_len = 4};
  rtc_rtp_recv_handle_packet(r, 1, &o);
  o.seq = 11;
  rtc_rtp_recv_handle_packet(r, 2, &o);
  rtc_rtp_recv_handle_timeout(r, RTC_MS(60)); /* startup over, 10 still awaited */
  rtc_rtp_frame_t f;
  CHECK(rtc_rtp_recv_poll_frame(r, &f));
  CHECK(!rtc_rtp_recv_poll_frame(r, &f));
  CHECK_EQ_INT(rtc_rtp_recv_handle_packet(r, 3, &h), 0);
  CHECK(rtc_rtp_recv_poll_frame(r, &f));
  CHECK_EQ_INT(f.ts, 1003);
  CHECK(f.len == 4 && f.data[0] == 3);
  CHECK(rtc_rtp_recv_poll_frame(r, &f));
  rtc_rtp_recv_stats_t rs;
  rtc_rtp_recv_get_stats(r, &rs);
  CHECK_EQ_INT(rs.rtx_packets, 1);
  /* RTX shorter than the OSN */
  h.payload_len = 1;
  CHECK_EQ_INT(rtc_rtp_recv_handle_packet(r, 4, &h), RTC_EPARSE);
  rtc_rtp_recv_destroy(r);
  rtc_rtp_send_destroy(s);
}

/* A simulcast layer's retransmission carries repaired-rtp-stream-id (RFC 8852 3.2):
 * the rid element is resent under the rrid id, the mid untouched; without an rrid id
 * the rid is left out rather than naming the RTX stream as the layer. */
static void test_rtx_repaired_rid(void) {
  for (int with_rrid = 0; with_rrid < 2; with_rrid++) {
    rtc_rtp_send_config_t sc = {.ssrc = 0x10, .pt = 96, .clock_rate = 90000, .first_seq = 7,
                                .has_rtx = true, .rtx_ssrc = 0x20, .rtx_pt = 97,
                                .history_slots = 4, .rid_ext = 10,
                                .rrid_ext = with_rrid ? 11 : 0};
    rtc_rtp_send_t *s = rtc_rtp_send_create(&sc);
    uint8_t pkt[200], rtx[200];
    rtc_rtp_header_t h = {.ts = 1000};
    rtc_rtp_add_ext(&h, 4, (const uint8_t *)"0", 1);
    rtc_rtp_add_ext(&h, 10, (const uint8_t *)"hi", 2);
    uint8_t pay[4] = {1, 2, 3, 4};
    CHECK(rtc_rtp_send_packet(s, 100, &h, pay, 4, pkt, sizeof pkt) > 0);
    int n = rtc_rtp_send_rtx(s, 200, 7, rtx, sizeof rtx);
    CHECK(n > 0);
    rtc_rtp_header_t r;
    CHECK_EQ_INT(rtc_rtp_parse(rtx, (size_t)n, &r), 0);
    CHECK(rtc_rtp_get_ext(&r, 4) && rtc_rtp_get_ext(&r, 4)->data[0] == '0');
    CHECK(rtc_rtp_get_ext(&r, 10) == NULL);
    const rtc_rtp_ext_t *e = rtc_rtp_get_ext(&r, 11);
    if (with_rrid) {
      CHECK(e && e->len == 2 && memcmp(e->data, "hi", 2) == 0);
    } else {
      CHECK(e == NULL);
    }
    rtc_rtp_send_destroy(s);
  }
}

int main(void) {
  RUN_TEST(test_shuffled_vp8);
  RUN_TEST(test_shuffled_vp8_ffmpeg);
  RUN_TEST(test_shuffled_vp9);
  RUN_TEST(test_shuffled_h264);
  RUN_TEST(test_shuffled_opus);
  RUN_TEST(test_nack_rtx_repairs);
  RUN_TEST(test_loss_given_up);
  RUN_TEST(test_nack_deadline_matches_pace);
  RUN_TEST(test_keyframe_request);
  RUN_TEST(test_report_block);
  RUN_TEST(test_jitter_from_arrival);
  RUN_TEST(test_sr_rtt_and_ntp);
  RUN_TEST(test_rtx_format);
  RUN_TEST(test_rtx_repaired_rid);
  TEST_MAIN_END();
}
