/* Payloaders: every clip frame payloaded at several MTUs and depayloaded again comes back
 * byte for byte (H.264 NAL by NAL); AV1 temporal units built by hand after the AV1 spec
 * (section 5 OBUs) and the AOM RTP spec; descriptors checked field by field. */
#include <stdbool.h>

#include "base/rtc_err.h"
#include "rtc_test.h"
#include "rtp/rtc_rtp.h"
#include "rtp/rtc_rtp_codec.h"
#include "rtp_test_fixture.h"

static bool nals_equal(const uint8_t *a, size_t al, const uint8_t *b, size_t bl) {
  static const uint8_t *na[256], *nb[256];
  static size_t la[256], lb[256];
  int ka = fix_nals(a, al, na, la, 256), kb = fix_nals(b, bl, nb, lb, 256);
  if (ka != kb) return false;
  for (int i = 0; i < ka; i++)
    if (la[i] != lb[i] || memcmp(na[i], nb[i], la[i]) != 0) return false;
  return true;
}

typedef struct rt_stats {
  int packets, frames, mismatches, keyframes, max_len;
} rt_stats_t;

/* Payloads each frame into RTP packets (through rtc_rtp_write, so the header is real),
 * parses them back, depayloads, compares. */
static void round_trip(rtc_rtp_codec_t codec, size_t mtu, const uint8_t *const *frames,
                       const size_t *lens, int n, const uint8_t *const *want,
                       const size_t *want_lens, rt_stats_t *st) {
  memset(st, 0, sizeof *st);
  rtc_rtp_payloader_t pl;
  CHECK_EQ_INT(rtc_rtp_payloader_init(&pl, codec, mtu), 0);
  rtc_rtp_depayloader_t *d = rtc_rtp_depayloader_create(codec, 0);
  uint16_t seq = 65500; /* wraps during the clip */
  static uint8_t pay[2000], pkt[2100];
  for (int i = 0; i < n; i++) {
    CHECK_EQ_INT(rtc_rtp_payloader_set_frame(&pl, frames[i], lens[i], false), 0);
    bool marker, last_marker = false;
    int k, got = 0;
    while ((k = rtc_rtp_payloader_next(&pl, pay, sizeof pay, &marker)) > 0) {
      last_marker = marker;
      CHECK(k <= (int)mtu);
      if (k > st->max_len) st->max_len = k;
      rtc_rtp_header_t h = {
          .pt = 96, .seq = seq++, .ts = 3000u * (uint32_t)i, .ssrc = 1, .marker = marker};
      int pn = rtc_rtp_write(pkt, sizeof pkt, &h, pay, (size_t)k);
      rtc_rtp_header_t p;
      CHECK_EQ_INT(rtc_rtp_parse(pkt, (size_t)pn, &p), 0);
      rtc_rtp_frame_t f;
      int rc = rtc_rtp_depayloader_push(d, (int64_t)st->packets + 100, &p, &f);
      st->packets++;
      CHECK_EQ_INT(rc & RTC_RTP_DEPAY_DROPPED, 0);
      if (rc & RTC_RTP_DEPAY_FRAME) {
        got++;
        st->frames++;
        st->keyframes += f.keyframe;
        const uint8_t *w = want ? want[i] : frames[i];
        size_t wl = want ? want_lens[i] : lens[i];
        bool same = codec == RTC_RTP_CODEC_H264 ? nals_equal(f.data, f.len, w, wl)
                                                : (f.len == wl && memcmp(f.data, w, wl) == 0);
        if (!same) {
          st->mismatches++;
          fprintf(stderr, "  frame %d: %zu bytes back, %zu expected\n", i, f.len, wl);
        }
      }
    }
    CHECK_EQ_INT(k, 0);
    CHECK_EQ_INT(got, 1);
    if (rtc_rtp_codec_is_video(codec)) CHECK(last_marker);
  }
  rtc_rtp_depayloader_destroy(d);
}

static void clip_round_trip(rtc_rtp_codec_t codec, const char *clipname, int keys) {
  fix_list_t c;
  int n = codec == RTC_RTP_CODEC_OPUS   ? fix_ogg_opus(clipname, &c)
          : codec == RTC_RTP_CODEC_H264 ? fix_h264_aus(clipname, &c)
                                        : fix_ivf(clipname, &c);
  CHECK(n >= 60);
  const size_t mtus[] = {1200, 300, 100};
  for (size_t m = 0; m < 3; m++) {
    rt_stats_t st;
    round_trip(codec, mtus[m], c.p, c.len, n, NULL, NULL, &st);
    CHECK_EQ_INT(st.frames, n);
    CHECK_EQ_INT(st.mismatches, 0);
    CHECK_EQ_INT(st.keyframes, keys < 0 ? n : keys);
    CHECK(st.packets >= n);
    if (codec != RTC_RTP_CODEC_OPUS) CHECK(st.max_len == (int)mtus[m]); /* fills packets */
  }
  fix_free(&c);
}

static void test_vp8_round_trip(void) { clip_round_trip(RTC_RTP_CODEC_VP8, "vp8.ivf", 2); }
static void test_vp9_round_trip(void) { clip_round_trip(RTC_RTP_CODEC_VP9, "vp9.ivf", 2); }
static void test_h264_round_trip(void) { clip_round_trip(RTC_RTP_CODEC_H264, "h264.h264", 2); }

static void test_opus_g711(void) {
  fix_list_t c;
  int n = fix_ogg_opus("opus.ogg", &c);
  rt_stats_t st;
  round_trip(RTC_RTP_CODEC_OPUS, 1200, c.p, c.len, n, NULL, NULL, &st);
  CHECK_EQ_INT(st.frames, n);
  CHECK_EQ_INT(st.packets, n);
  CHECK_EQ_INT(st.mismatches, 0);
  rtc_rtp_payloader_t pl;
  rtc_rtp_payloader_init(&pl, RTC_RTP_CODEC_OPUS, 100);
  CHECK_EQ_INT(rtc_rtp_payloader_set_frame(&pl, c.p[0], 101, false), RTC_ETOOBIG);
  fix_free(&c);
  /* G.711: 20 ms = 160 samples per packet (RFC 3551 section 4.5) */
  static uint8_t pcm[5][160];
  const uint8_t *fr[5];
  size_t fl[5];
  for (int i = 0; i < 5; i++) {
    for (int k = 0; k < 160; k++)
      pcm[i][k] = (uint8_t)(i * 31 + k);
    fr[i] = pcm[i];
    fl[i] = 160;
  }
  round_trip(RTC_RTP_CODEC_PCMU, 200, fr, fl, 5, NULL, NULL, &st);
  CHECK_EQ_INT(st.frames, 5);
  CHECK_EQ_INT(st.mismatches, 0);
  round_trip(RTC_RTP_CODEC_PCMA, 200, fr, fl, 5, NULL, NULL, &st);
  CHECK_EQ_INT(st.frames, 5);
  CHECK_EQ_INT(rtc_rtp_codec_clock_rate(RTC_RTP_CODEC_PCMA), 8000);
  CHECK_STR(rtc_rtp_codec_name(RTC_RTP_CODEC_OPUS), "opus");
}

/* Descriptors as sent: VP8 X/S/I with a 15-bit picture id that advances per frame; VP9
 * non-flexible with the keyframe's size in the scalability structure; flexible mode. */
static void test_descriptors(void) {
  fix_list_t c;
  fix_ivf("vp8.ivf", &c);
  rtc_rtp_payloader_t pl;
  uint8_t out[1200];
  bool m;
  rtc_rtp_payloader_init(&pl, RTC_RTP_CODEC_VP8, 1200);
  rtc_rtp_payloader_set_frame(&pl, c.p[0], c.len[0], false);
  int n = rtc_rtp_payloader_next(&pl, out, sizeof out, &m);
  CHECK(n > 4);
  CHECK_EQ_INT(out[0], 0x90); /* X, S, PID 0 */
  CHECK_EQ_INT(out[1], 0x80); /* I */
  uint16_t pid = (uint16_t)((out[2] << 8 | out[3]) & 0x7fff);
  CHECK(out[2] & 0x80);
  while (rtc_rtp_payloader_next(&pl, out, sizeof out, &m) > 0)
    CHECK_EQ_INT(out[0], 0x80);
  rtc_rtp_payloader_set_frame(&pl, c.p[1], c.len[1], false);
  rtc_rtp_payloader_next(&pl, out, sizeof out, &m);
  CHECK_EQ_INT((out[2] << 8 | out[3]) & 0x7fff, (pid + 1) & 0x7fff);
  fix_free(&c);

  fix_ivf("vp9.ivf", &c);
  rtc_rtp_payloader_init(&pl, RTC_RTP_CODEC_VP9, 1200);
  rtc_rtp_payloader_set_frame(&pl, c.p[0], c.len[0], false);
  n = rtc_rtp_payloader_next(&pl, out, sizeof out, &m);
  /* I=1 P=0 L=0 F=0 B=1 E=? V=1: 0x8a (+0x04 when one packet holds the frame) */
  CHECK_EQ_INT(out[0] & ~0x04, 0x8a);
  CHECK_EQ_INT(out[3], 0x10); /* N_S=0, Y=1, G=0 */
  CHECK_EQ_INT(out[4] << 8 | out[5], 320);
  CHECK_EQ_INT(out[6] << 8 | out[7], 240);
  rtc_rtp_payloader_set_frame(&pl, c.p[1], c.len[1], false);
  rtc_rtp_payloader_next(&pl, out, sizeof out, &m);
  CHECK_EQ_INT(out[0] & 0xfa, 0xc8); /* I P B, no V */
  fix_free(&c);

  /* flexible mode round trip at a small MTU */
  fix_ivf("vp9.ivf", &c);
  rtc_rtp_payloader_init(&pl, RTC_RTP_CODEC_VP9, 200);
  rtc_rtp_payloader_set_vp9_flexible(&pl, true);
  rtc_rtp_depayloader_t *d = rtc_rtp_depayloader_create(RTC_RTP_CODEC_VP9, 0);
  int64_t seq = 1;
  int frames = 0, bad = 0;
  for (int i = 0; i < c.n; i++) {
    rtc_rtp_payloader_set_frame(&pl, c.p[i], c.len[i], false);
    while ((n = rtc_rtp_payloader_next(&pl, out, sizeof out, &m)) > 0) {
      CHECK(out[0] & 0x10);
      CHECK(!(out[0] & 0x02) || !(out[0] & 0x40)); /* SS only on keyframes */
      rtc_rtp_header_t h = {
          .marker = m, .ts = (uint32_t)i, .payload = out, .payload_len = (size_t)n};
      rtc_rtp_frame_t f;
      if (rtc_rtp_depayloader_push(d, seq++, &h, &f) & RTC_RTP_DEPAY_FRAME) {
        frames++;
        bad += f.len != c.len[i] || memcmp(f.data, c.p[i], f.len) != 0;
        CHECK(f.picture_id >= 0);
      }
    }
  }
  CHECK_EQ_INT(frames, c.n);
  CHECK_EQ_INT(bad, 0);
  rtc_rtp_depayloader_destroy(d);
  fix_free(&c);
}

/* H.264: parameter sets are put in front of an IDR access unit that comes without them
 * (payloader side, after they were seen once), and the depayloader does the same. */
static void test_h264_param_sets(void) {
  fix_list_t c;
  int n = fix_h264_aus("h264.h264", &c);
  CHECK(n == 60);
  /* find the second IDR access unit and strip its SPS/PPS */
  static uint8_t au[65536];
  int idr2 = -1;
  for (int i = 1; i < n && idr2 < 0; i++) {
    const uint8_t *nal[64];
    size_t nl[64];
    int k = fix_nals(c.p[i], c.len[i], nal, nl, 64);
    for (int j = 0; j < k; j++)
      if ((nal[j][0] & 0x1f) == 5) idr2 = i;
  }
  CHECK(idr2 > 0);
  if (idr2 < 0) return;
  size_t al = 0;
  {
    const uint8_t *nal[64];
    size_t nl[64];
    int k = fix_nals(c.p[idr2], c.len[idr2], nal, nl, 64);
    for (int j = 0; j < k; j++) {
      uint8_t t = nal[j][0] & 0x1f;
      if (t == 7 || t == 8) continue;
      memcpy(au + al, "\0\0\0\1", 4);
      memcpy(au + al + 4, nal[j], nl[j]);
      al += 4 + nl[j];
    }
  }
  const uint8_t *frames[2] = {c.p[0], au};
  size_t lens[2] = {c.len[0], al};
  const uint8_t *want[2] = {c.p[0], c.p[idr2]}; /* SPS/PPS come back */
  size_t wl[2] = {c.len[0], c.len[idr2]};
  rt_stats_t st;
  round_trip(RTC_RTP_CODEC_H264, 1200, frames, lens, 2, want, wl, &st);
  CHECK_EQ_INT(st.frames, 2);
  CHECK_EQ_INT(st.mismatches, 0);
  CHECK_EQ_INT(st.keyframes, 2);
  /* Depayloader alone: feed the first AU, then the stripped IDR as single NAL packets */
  rtc_rtp_depayloader_t *d = rtc_rtp_depayloader_create(RTC_RTP_CODEC_H264, 0);
  rtc_rtp_payloader_t pl;
  rtc_rtp_payloader_init(&pl, RTC_RTP_CODEC_H264, 1200);
  int64_t seq = 10;
  uint8_t out[1200];
  bool m;
  int k;
  rtc_rtp_frame_t f;
  int got = 0;
  rtc_rtp_payloader_set_frame(&pl, c.p[0], c.len[0], false);
  while ((k = rtc_rtp_payloader_next(&pl, out, sizeof out, &m)) > 0) {
    rtc_rtp_header_t h = {.marker = m, .ts = 1, .payload = out, .payload_len = (size_t)k};
    got += (rtc_rtp_depayloader_push(d, seq++, &h, &f) & RTC_RTP_DEPAY_FRAME) != 0;
  }
  /* a fresh payloader has no parameter sets to inject */
  rtc_rtp_payloader_init(&pl, RTC_RTP_CODEC_H264, 1200);
  rtc_rtp_payloader_set_frame(&pl, au, al, false);
  while ((k = rtc_rtp_payloader_next(&pl, out, sizeof out, &m)) > 0) {
    CHECK((out[0] & 0x1f) != 24 || (out[3] & 0x1f) != 7);
    rtc_rtp_header_t h = {.marker = m, .ts = 2, .payload = out, .payload_len = (size_t)k};
    if (rtc_rtp_depayloader_push(d, seq++, &h, &f) & RTC_RTP_DEPAY_FRAME) {
      got++;
      CHECK(f.keyframe);
      CHECK(nals_equal(f.data, f.len, c.p[idr2], c.len[idr2]));
    }
  }
  CHECK_EQ_INT(got, 2);
  rtc_rtp_depayloader_destroy(d);
  fix_free(&c);
}

/* ---- AV1 ---- */

static size_t leb(uint8_t *p, size_t v) {
  size_t n = 0;
  do {
    p[n] = (uint8_t)(v & 0x7f);
    v >>= 7;
    if (v) p[n] |= 0x80;
    n++;
  } while (v);
  return n;
}

/* One OBU in the low-overhead format: header (type, extension flag, has_size_field),
 * optional extension byte, LEB128 size, payload. */
static size_t obu(uint8_t *p, int type, bool ext, bool with_size, const uint8_t *data, size_t n) {
  size_t o = 0;
  p[o++] = (uint8_t)(type << 3 | (ext ? 0x04 : 0) | (with_size ? 0x02 : 0));
  if (ext) p[o++] = 0x28; /* temporal_id 1, spatial_id 1 */
  if (with_size) o += leb(p + o, n);
  memcpy(p + o, data, n);
  return o + n;
}

static void test_av1_round_trip(void) {
  static uint8_t tu[6][8000], norm[6][8000], payload[5000];
  size_t tl[6], nl[6];
  for (size_t i = 0; i < sizeof payload; i++)
    payload[i] = (uint8_t)(i * 7 + 3);
  const uint8_t td[2] = {0x12, 0x00};
  for (int f = 0; f < 6; f++) {
    size_t o = 0, q = 0;
    /* temporal delimiter first (section 7.5), as in IVF */
    memcpy(tu[f], td, 2);
    memcpy(norm[f], td, 2);
    o = q = 2;
    if (f == 0 || f == 3) { /* keyframe: sequence header + frame */
      o += obu(tu[f] + o, 1, false, true, payload + 100, 12);
      q += obu(norm[f] + q, 1, false, true, payload + 100, 12);
    }
    size_t big = f == 0 ? 4000 : 300 + 200 * (size_t)f; /* 4000: 2-byte LEB and fragments */
    o += obu(tu[f] + o, 6, f == 2, true, payload + f, big);
    q += obu(norm[f] + q, 6, f == 2, true, payload + f, big);
    if (f == 4) { /* metadata, then a padding OBU whose size field is omitted (last) */
      o += obu(tu[f] + o, 5, false, true, payload, 3);
      q += obu(norm[f] + q, 5, false, true, payload, 3);
      o += obu(tu[f] + o, 15, false, false, payload, 5);
      q += obu(norm[f] + q, 15, false, true, payload, 5);
    }
    if (f == 5) { /* a tile list OBU is not sent (RTP spec section 5) */
      o += obu(tu[f] + o, 8, false, true, payload, 9);
    }
    tl[f] = o;
    nl[f] = q;
  }
  const uint8_t *fp[6], *wp[6];
  for (int f = 0; f < 6; f++)
    fp[f] = tu[f], wp[f] = norm[f];
  const size_t mtus[] = {1200, 129, 40};
  for (int m = 0; m < 3; m++) {
    rt_stats_t st;
    round_trip(RTC_RTP_CODEC_AV1, mtus[m], fp, tl, 6, wp, nl, &st);
    CHECK_EQ_INT(st.frames, 6);
    CHECK_EQ_INT(st.mismatches, 0);
    CHECK_EQ_INT(st.keyframes, 2);
  }
  /* Aggregation header of the keyframe's first packet: Z=0 Y=1 W=0 N=1, then the
   * sequence header element (length 13: header + 12 bytes, size field cleared). */
  rtc_rtp_payloader_t pl;
  uint8_t out[1200];
  bool mk;
  rtc_rtp_payloader_init(&pl, RTC_RTP_CODEC_AV1, 1200);
  CHECK_EQ_INT(rtc_rtp_payloader_set_frame(&pl, tu[0], tl[0], false), 0);
  int n = rtc_rtp_payloader_next(&pl, out, sizeof out, &mk);
  CHECK_EQ_INT(n, 1200);
  CHECK_EQ_INT(out[0], 0x48);
  CHECK_EQ_INT(out[1], 13);
  CHECK_EQ_INT(out[2], 1 << 3);
  n = rtc_rtp_payloader_next(&pl, out, sizeof out, &mk);
  CHECK_EQ_INT(out[0] & 0xc8, 0xc0); /* Z=1 Y=1 N=0: middle fragment */
  /* Malformed TU: an OBU size running past the end */
  uint8_t bad[4] = {0x32, 0x09, 1, 2};
  CHECK_EQ_INT(rtc_rtp_payloader_set_frame(&pl, bad, 4, false), RTC_EPARSE);
  /* A W=2 packet from another sender: 2 elements, the last without length */
  rtc_rtp_depayloader_t *d = rtc_rtp_depayloader_create(RTC_RTP_CODEC_AV1, 0);
  const uint8_t pkt[] = {0x28, 3, 0x08, 0xaa, 0xbb, 0x30, 1, 2, 3};
  rtc_rtp_header_t h = {.marker = true, .ts = 9, .payload = pkt, .payload_len = sizeof pkt};
  rtc_rtp_frame_t f;
  CHECK_EQ_INT(rtc_rtp_depayloader_push(d, 1, &h, &f), RTC_RTP_DEPAY_FRAME);
  const uint8_t want[] = {0x12, 0, 0x0a, 2, 0xaa, 0xbb, 0x32, 3, 1, 2, 3};
  CHECK_EQ_INT(f.len, sizeof want);
  CHECK(f.len == sizeof want && memcmp(f.data, want, sizeof want) == 0);
  CHECK(f.keyframe);
  /* Y=1 on the marker packet: the fragment never ends: dropped */
  const uint8_t pk2[] = {0x40, 3, 0x30, 1, 2};
  rtc_rtp_header_t h2 = {.marker = true, .ts = 10, .payload = pk2, .payload_len = sizeof pk2};
  CHECK_EQ_INT(rtc_rtp_depayloader_push(d, 2, &h2, &f), RTC_RTP_DEPAY_DROPPED);
  rtc_rtp_depayloader_destroy(d);
}

/* A frame larger than the depayloader's bound is dropped and counted, never truncated. */
static void test_frame_too_big(void) {
  rtc_rtp_depayloader_t *d = rtc_rtp_depayloader_create(RTC_RTP_CODEC_VP8, 1000);
  static uint8_t frame[3000], out[1200];
  memset(frame, 0x11, sizeof frame);
  rtc_rtp_payloader_t pl;
  rtc_rtp_payloader_init(&pl, RTC_RTP_CODEC_VP8, 600);
  int64_t seq = 1;
  int res = 0, n;
  bool m;
  for (int f = 0; f < 2; f++) {
    rtc_rtp_payloader_set_frame(&pl, frame, f == 0 ? sizeof frame : 500, false);
    while ((n = rtc_rtp_payloader_next(&pl, out, sizeof out, &m)) > 0) {
      rtc_rtp_header_t h = {
          .marker = m, .ts = (uint32_t)f, .payload = out, .payload_len = (size_t)n};
      rtc_rtp_frame_t fr;
      res |= rtc_rtp_depayloader_push(d, seq++, &h, &fr);
    }
  }
  rtc_rtp_depayloader_stats_t st;
  rtc_rtp_depayloader_get_stats(d, &st);
  CHECK_EQ_INT(st.frames_too_big, 1);
  CHECK_EQ_INT(st.frames, 1);
  CHECK(res & RTC_RTP_DEPAY_DROPPED);
  rtc_rtp_depayloader_destroy(d);
}

int main(void) {
  RUN_TEST(test_vp8_round_trip);
  RUN_TEST(test_vp9_round_trip);
  RUN_TEST(test_h264_round_trip);
  RUN_TEST(test_opus_g711);
  RUN_TEST(test_descriptors);
  RUN_TEST(test_h264_param_sets);
  RUN_TEST(test_av1_round_trip);
  RUN_TEST(test_frame_too_big);
  TEST_MAIN_END();
}
