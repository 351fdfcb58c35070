/* Depayloaders against real captures: GStreamer's and ffmpeg's payloaders sent vp8.ivf,
 * vp9.ivf, h264.h264 and opus.ogg over loopback (tests/fixtures/rtp/README.md); we rebuild
 * the frames in order and with packets dropped, and compare them byte for byte with the
 * clip. */
#include <stdbool.h>

#include "base/rtc_err.h"
#include "rtc_test.h"
#include "rtp/rtc_rtp.h"
#include "rtp/rtc_rtp_codec.h"
#include "rtp_test_fixture.h"

/* H.264: the payloaders repeat SPS/PPS (GStreamer's STAP-A carries them twice) and we
 * put them before an IDR that lacks them, so compare access units NAL by NAL with the
 * parameter sets left out, and check them apart. */
static bool h264_same_au(const uint8_t *a, size_t al, const uint8_t *b, size_t bl) {
  static const uint8_t *na[256], *nb[256];
  static size_t la[256], lb[256];
  int ka = fix_nals(a, al, na, la, 256), kb = fix_nals(b, bl, nb, lb, 256);
  int i = 0, j = 0;
  for (;;) {
    while (i < ka && ((na[i][0] & 0x1f) == 7 || (na[i][0] & 0x1f) == 8))
      i++;
    while (j < kb && ((nb[j][0] & 0x1f) == 7 || (nb[j][0] & 0x1f) == 8))
      j++;
    if (i == ka || j == kb) return i == ka && j == kb;
    if (la[i] != lb[j] || memcmp(na[i], nb[j], la[i]) != 0) return false;
    i++, j++;
  }
}

/* Every IDR access unit we emit carries an SPS and a PPS before the IDR slice. */
static bool h264_idr_has_params(const uint8_t *a, size_t al) {
  static const uint8_t *na[256];
  static size_t la[256];
  int k = fix_nals(a, al, na, la, 256);
  bool sps = false, pps = false;
  for (int i = 0; i < k; i++) {
    uint8_t t = na[i][0] & 0x1f;
    if (t == 7) sps = true;
    if (t == 8) pps = true;
    if (t == 5) return sps && pps;
  }
  return true;
}

typedef struct run {
  int frames, keyframes, mismatches, dropped_flags;
  int frame_index_of_ts[FIX_MAX];
} run_t;

/* Feeds the capture's packets (skipping those with drop[i]) in order and compares each
 * frame with the clip frame of the same timestamp (the n-th distinct timestamp is the
 * n-th frame). */
static void feed(rtc_rtp_codec_t codec, const fix_list_t *pk, const fix_list_t *clip,
                 const bool *drop, run_t *r, rtc_rtp_depayloader_stats_t *st) {
  memset(r, 0, sizeof *r);
  rtc_rtp_depayloader_t *d = rtc_rtp_depayloader_create(codec, 0);
  CHECK(d != NULL);
  if (!d) return;
  rtc_rtp_seq_unwrapper_t u = {0};
  int markers = 0, audio = 0;
  for (int i = 0; i < pk->n; i++) {
    rtc_rtp_header_t h;
    CHECK_EQ_INT(rtc_rtp_parse(pk->p[i], pk->len[i], &h), 0);
    /* GStreamer's capture starts with the Ogg header packets sent as RTP (a capture
     * artifact, RFC 7587 does not carry them): not frames of the clip. */
    if (codec == RTC_RTP_CODEC_OPUS && h.payload_len >= 8 &&
        (memcmp(h.payload, "OpusHead", 8) == 0 || memcmp(h.payload, "OpusTags", 8) == 0)) {
      r->frame_index_of_ts[i] = -1;
      (void)rtc_rtp_seq_unwrap(&u, h.seq);
      continue;
    }
    /* The n-th frame ends at the n-th marker (GStreamer's H.264 capture has one timestamp
     * for every frame, so timestamps cannot tell frames apart); audio: one per packet. */
    int fi = codec == RTC_RTP_CODEC_OPUS ? audio++ : markers;
    if (codec != RTC_RTP_CODEC_OPUS && h.marker) markers++;
    r->frame_index_of_ts[i] = fi;
    if (drop && drop[i]) {
      (void)rtc_rtp_seq_unwrap(&u, h.seq);
      continue;
    }
    rtc_rtp_frame_t f;
    int rc = rtc_rtp_depayloader_push(d, rtc_rtp_seq_unwrap(&u, h.seq), &h, &f);
    CHECK(rc >= 0);
    if (rc & RTC_RTP_DEPAY_DROPPED) r->dropped_flags++;
    if (!(rc & RTC_RTP_DEPAY_FRAME)) continue;
    r->frames++;
    r->keyframes += f.keyframe;
    CHECK_EQ_INT(f.ts, h.ts);
    bool same = false;
    if (fi < clip->n) {
      if (codec == RTC_RTP_CODEC_H264)
        same = h264_same_au(f.data, f.len, clip->p[fi], clip->len[fi]) &&
               h264_idr_has_params(f.data, f.len);
      else
        same = f.len == clip->len[fi] && memcmp(f.data, clip->p[fi], f.len) == 0;
    }
    if (!same) {
      r->mismatches++;
      fprintf(stderr, "  frame %d (ts %u) differs: %zu bytes vs %zu\n", fi, h.ts, f.len,
              fi < clip->n ? clip->len[fi] : 0);
    }
  }
  rtc_rtp_depayloader_get_stats(d, st);
  rtc_rtp_depayloader_destroy(d);
}

static void check_capture(rtc_rtp_codec_t codec, const char *cap, const char *clipname,
                          int want_frames, int want_keys) {
  fix_list_t pk, clip;
  int np = fix_packets(cap, &pk);
  int nc = codec == RTC_RTP_CODEC_OPUS   ? fix_ogg_opus(clipname, &clip)
           : codec == RTC_RTP_CODEC_H264 ? fix_h264_aus(clipname, &clip)
                                         : fix_ivf(clipname, &clip);
  CHECK(np > 0);
  CHECK_EQ_INT(nc, want_frames);
  if (np <= 0 || nc <= 0) goto out;
  run_t r;
  rtc_rtp_depayloader_stats_t st;
  /* 1. in order: every frame, identical */
  feed(codec, &pk, &clip, NULL, &r, &st);
  CHECK_EQ_INT(r.frames, want_frames);
  CHECK_EQ_INT(r.keyframes, want_keys);
  CHECK_EQ_INT(r.mismatches, 0);
  CHECK_EQ_INT(st.frames_dropped, 0);
  CHECK_EQ_INT(st.malformed, 0);
  /* 2. drop one packet in every 7 (from the 3rd): frames that lost one are dropped and
   * reported, every frame emitted is still identical to the clip, and the frames that
   * kept all their packets come out (after a loss a frame needs a clear start). */
  bool drop[FIX_MAX] = {0};
  for (int i = 2; i < pk.n; i += 7)
    drop[i] = true;
  feed(codec, &pk, &clip, drop, &r, &st);
  int lost_frames = 0;
  for (int fi = 0; fi < nc; fi++) {
    bool hit = false;
    for (int i = 0; i < pk.n; i++)
      if (drop[i] && r.frame_index_of_ts[i] == fi) hit = true;
    lost_frames += hit;
  }
  CHECK_EQ_INT(r.mismatches, 0);
  CHECK(lost_frames > 0);
  /* a frame whose every packet was lost is not seen at all: the depayloader reports the
   * frames it saw a part of */
  CHECK(st.frames_dropped <= (uint64_t)lost_frames);
  if (codec != RTC_RTP_CODEC_OPUS) CHECK(r.dropped_flags > 0 && st.frames_dropped > 0);
  /* for these clips every frame without a lost packet is recovered */
  CHECK_EQ_INT(r.frames, want_frames - lost_frames);
out:
  fix_free(&pk);
  fix_free(&clip);
}

static void test_vp8_gst(void) {
  check_capture(RTC_RTP_CODEC_VP8, "vp8-gst.rtp", "vp8.ivf", 60, 2);
}
static void test_vp8_ffmpeg(void) {
  check_capture(RTC_RTP_CODEC_VP8, "vp8-ffmpeg.rtp", "vp8.ivf", 60, 2);
}
static void test_vp9_gst(void) {
  check_capture(RTC_RTP_CODEC_VP9, "vp9-gst.rtp", "vp9.ivf", 60, 2);
}
static void test_h264_gst(void) {
  check_capture(RTC_RTP_CODEC_H264, "h264-gst.rtp", "h264.h264", 60, 2);
}
static void test_h264_ffmpeg(void) {
  check_capture(RTC_RTP_CODEC_H264, "h264-ffmpeg.rtp", "h264.h264", 60, 2);
}
static void test_opus_gst(void) {
  fix_list_t c;
  int n = fix_ogg_opus("opus.ogg", &c);
  fix_free(&c);
  check_capture(RTC_RTP_CODEC_OPUS, "opus-gst.rtp", "opus.ogg", n, n);
}
static void test_opus_ffmpeg(void) {
  fix_list_t c;
  int n = fix_ogg_opus("opus.ogg", &c);
  fix_free(&c);
  CHECK(n >= 95 && n <= 105);
  check_capture(RTC_RTP_CODEC_OPUS, "opus-ffmpeg.rtp", "opus.ogg", n, n);
}

int main(void) {
  RUN_TEST(test_vp8_gst);
  RUN_TEST(test_vp8_ffmpeg);
  RUN_TEST(test_vp9_gst);
  RUN_TEST(test_h264_gst);
  RUN_TEST(test_h264_ffmpeg);
  RUN_TEST(test_opus_gst);
  RUN_TEST(test_opus_ffmpeg);
  TEST_MAIN_END();
}
