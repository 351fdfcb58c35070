/* H.264 Annex-B reader with the real clip (x264, constrained baseline, 60 AUs,
 * IDR at 0 and 30 per ffprobe -show_packets) and hand-made NAL sequences: access
 * unit splitting (AUD, first_mb_in_slice, SEI/SPS/PPS after slices), keyframes,
 * SPS/PPS put before an IDR lacking them (ffmpeg decodes from there; without it,
 * it cannot), frame rates. */
#include <stdlib.h>

#include "base/rtc_err.h"
#include "media/rtc_media_h264.h"
#include "media_test_util.h"
#include "rtc_test.h"

static void test_read_clip(void) {
  size_t len;
  uint8_t *p = media_load("h264.h264", &len);
  if (!p) {
    CHECK(0);
    return;
  }
  rtc_media_h264_reader_t *r = NULL;
  CHECK_EQ_INT(rtc_media_h264_open(p, len, 0, 0, &r), 0);
  if (!r) {
    free(p);
    return;
  }
  const rtc_media_h264_info_t *in = rtc_media_h264_info(r);
  CHECK_EQ_INT(in->frames, 60);
  CHECK_EQ_INT(in->keyframes, 2);
  CHECK_EQ_INT(in->nals, 65); /* 60 slices, SPS+PPS+SEI, SPS+PPS again at 30 */
  CHECK_EQ_INT(in->idr_fixed, 0);
  CHECK_EQ_INT(in->profile_idc, 66); /* constrained baseline: 66 with constraint_set0/1 */
  CHECK_EQ_INT(in->constraint_flags, 0xc0);
  CHECK_EQ_INT(in->level_idc, 20);
  rtc_media_track_t t = rtc_media_h264_track(r);
  CHECK_EQ_INT(t.tb_num, 1);
  CHECK_EQ_INT(t.tb_den, 30);
  size_t total = 0;
  for (size_t i = 0; i < t.count; i++) {
    rtc_media_frame_t f;
    CHECK_EQ_INT(rtc_media_h264_frame(r, i, &f), 0);
    CHECK_EQ_INT(f.pts, i);
    CHECK_EQ_INT(f.keyframe, i == 0 || i == 30);
    CHECK(f.data == p + t.frames[i].offset); /* nothing to add: the file's own bytes */
    total += f.len;
  }
  CHECK_EQ_INT(total, len); /* every byte in exactly one AU */
  CHECK_EQ_INT(t.frames[0].len, 3829);
  CHECK_EQ_INT(t.frames[1].len, 238);
  CHECK_EQ_INT(t.frames[30].len, 5559);
  rtc_media_h264_close(r);
  CHECK_EQ_INT(rtc_media_h264_open(p, len, 25, 1, &r), 0);
  if (r) CHECK_EQ_INT(rtc_media_h264_track(r).tb_den, 25);
  rtc_media_h264_close(r);
  CHECK_EQ_INT(rtc_media_h264_open(p, len, 30000, 1001, &r), 0);
  if (r) {
    CHECK_EQ_INT(rtc_media_h264_track(r).tb_num, 1001);
    CHECK_EQ_INT(rtc_media_h264_track(r).tb_den, 30000);
  }
  rtc_media_h264_close(r);
  CHECK_EQ_INT(rtc_media_h264_open(p, len, 30, 0, &r), RTC_EINVAL);
  free(p);
}

/* The clip with the SPS and PPS taken out of the second IDR (the first 36 bytes of
 * AU 30: "00 00 00 01 67 .." and "00 00 00 01 68 .."): the reader puts them back,
 * so AU 30 comes out byte for byte as x264 wrote it, and a decoder starting there
 * works. The raw AUs from there are not decodable (the test can fail). */
static void test_idr_gets_parameter_sets(void) {
  size_t len;
  uint8_t *p = media_load("h264.h264", &len);
  if (!p) {
    CHECK(0);
    return;
  }
  const size_t au30 = 16931, ps_len = 36;
  CHECK(p[au30 + 4] == 0x67 && p[au30 + 32] == 0x68 && p[au30 + 39] == 0x65);
  uint8_t *q = malloc(len);
  memcpy(q, p, au30);
  memcpy(q + au30, p + au30 + ps_len, len - au30 - ps_len);
  size_t qlen = len - ps_len;
  rtc_media_h264_reader_t *r = NULL;
  CHECK_EQ_INT(rtc_media_h264_open(q, qlen, 0, 0, &r), 0);
  if (!r) goto out;
  CHECK_EQ_INT(rtc_media_h264_info(r)->frames, 60);
  CHECK_EQ_INT(rtc_media_h264_info(r)->idr_fixed, 1);
  rtc_media_frame_t f;
  CHECK_EQ_INT(rtc_media_h264_frame(r, 30, &f), 0);
  CHECK(f.keyframe);
  CHECK(f.len == 5559 && memcmp(f.data, p + au30, f.len) == 0);
  char fixed[128], raw[128];
  media_tmp_path(fixed, sizeof fixed, "from-idr.h264");
  media_tmp_path(raw, sizeof raw, "from-idr-raw.h264");
  FILE *a = fopen(fixed, "wb"), *b = fopen(raw, "wb");
  rtc_media_track_t t = rtc_media_h264_track(r);
  for (size_t i = 30; i < 60; i++) {
    rtc_media_h264_frame(r, i, &f);
    fwrite(f.data, 1, f.len, a);
    fwrite(q + t.frames[i].offset, 1, t.frames[i].len, b);
  }
  fclose(a);
  fclose(b);
  CHECK_EQ_INT(media_ffmpeg_clean(fixed), 0);
  CHECK_EQ_INT(media_ffprobe_frames(fixed), 30);
  CHECK(media_ffmpeg_run(raw, 1) != 0); /* "non-existing PPS 0 referenced" */
  unlink(fixed);
  unlink(raw);
out:
  rtc_media_h264_close(r);
  free(q);
  free(p);
}

/* Hand-made NAL units (slice payloads hold just first_mb_in_slice as ue(v)). */
static size_t put_nal(uint8_t *b, size_t n, const uint8_t *nal, size_t len, bool four) {
  if (four) b[n++] = 0;
  b[n++] = 0, b[n++] = 0, b[n++] = 1;
  memcpy(b + n, nal, len);
  return n + len;
}

static void test_access_unit_rules(void) {
  static const uint8_t aud[] = {0x09, 0xf0};
  static const uint8_t sps[] = {0x67, 0x42, 0xc0, 0x14, 0xd9, 0x01};
  static const uint8_t pps[] = {0x68, 0xcb, 0x8c, 0xb2};
  static const uint8_t sei[] = {0x06, 0x05, 0x01, 0x00, 0x80};
  static const uint8_t idr_mb0[] = {0x65, 0x88, 0x80}; /* ue '1' = 0 */
  static const uint8_t idr_mb1[] = {0x65, 0x40, 0x80}; /* ue '010' = 1 */
  static const uint8_t p_mb0[] = {0x41, 0x9a, 0x01};
  static const uint8_t p_mb1[] = {0x41, 0x40, 0x02};
  /* first_mb with an emulation prevention byte: 00 00 03 01 ff.. -> huge, not 0. */
  static const uint8_t p_ep[] = {0x41, 0x00, 0x00, 0x03, 0x01, 0xff, 0xff, 0xff};
  uint8_t b[256];
  size_t n = 0;
  /* AU 0: AUD SPS PPS IDR(slice 0) IDR(slice 1) */
  n = put_nal(b, n, aud, sizeof aud, true);
  n = put_nal(b, n, sps, sizeof sps, true);
  n = put_nal(b, n, pps, sizeof pps, true);
  n = put_nal(b, n, idr_mb0, sizeof idr_mb0, false);
  n = put_nal(b, n, idr_mb1, sizeof idr_mb1, false);
  size_t au1 = n;
  /* AU 1: AUD P(0) P(1) P(ep) */
  n = put_nal(b, n, aud, sizeof aud, true);
  n = put_nal(b, n, p_mb0, sizeof p_mb0, false);
  n = put_nal(b, n, p_mb1, sizeof p_mb1, false);
  n = put_nal(b, n, p_ep, sizeof p_ep, false);
  size_t au2 = n;
  /* AU 2: P(0) with no delimiter: first_mb 0 after a slice starts it */
  n = put_nal(b, n, p_mb0, sizeof p_mb0, true);
  size_t au3 = n;
  /* AU 3: SEI then IDR(0) without SPS/PPS: the SEI after a slice starts it */
  n = put_nal(b, n, sei, sizeof sei, false);
  n = put_nal(b, n, idr_mb0, sizeof idr_mb0, false);
  b[n++] = 0; /* trailing_zero_8bits */
  b[n++] = 0;
  rtc_media_h264_reader_t *r = NULL;
  CHECK_EQ_INT(rtc_media_h264_open(b, n, 0, 0, &r), 0);
  if (!r) return;
  rtc_media_track_t t = rtc_media_h264_track(r);
  CHECK_EQ_INT(t.count, 4);
  if (t.count == 4) {
    CHECK_EQ_INT(t.frames[0].offset, 0);
    CHECK_EQ_INT(t.frames[1].offset, au1);
    CHECK_EQ_INT(t.frames[2].offset, au2);
    CHECK_EQ_INT(t.frames[3].offset, au3);
    CHECK_EQ_INT(t.frames[3].offset + t.frames[3].len, n);
    CHECK(t.frames[0].keyframe && !t.frames[1].keyframe && !t.frames[2].keyframe &&
          t.frames[3].keyframe);
    rtc_media_frame_t f;
    rtc_media_h264_frame(r, 3, &f);
    /* 00 00 00 01 SPS 00 00 00 01 PPS, then the AU as stored */
    uint8_t want[128];
    size_t w = put_nal(want, 0, sps, sizeof sps, true);
    w = put_nal(want, w, pps, sizeof pps, true);
    memcpy(want + w, b + au3, n - au3);
    w += n - au3;
    CHECK(f.len == w && memcmp(f.data, want, w) == 0);
  }
  rtc_media_h264_close(r);
  /* An IDR after an AUD but no parameter sets before it: they go after the AUD. */
  uint8_t c[128];
  size_t m = 0;
  m = put_nal(c, m, aud, sizeof aud, true);
  size_t aud_end = m;
  m = put_nal(c, m, idr_mb0, sizeof idr_mb0, false);
  m = put_nal(c, m, sps, sizeof sps, true); /* trailing parameter sets only */
  m = put_nal(c, m, pps, sizeof pps, true);
  CHECK_EQ_INT(rtc_media_h264_open(c, m, 0, 0, &r), 0);
  if (r) {
    rtc_media_frame_t f;
    CHECK_EQ_INT(rtc_media_h264_track(r).count, 1);
    rtc_media_h264_frame(r, 0, &f);
    CHECK(f.len > aud_end && memcmp(f.data, c, aud_end) == 0);
    CHECK(f.data[aud_end + 4] == 0x67);
  }
  rtc_media_h264_close(r);
  /* No start code / no slice at all. */
  CHECK_EQ_INT(rtc_media_h264_open((const uint8_t *)"garbage!", 8, 0, 0, &r), RTC_EPARSE);
  size_t k = put_nal(c, 0, sps, sizeof sps, true);
  CHECK_EQ_INT(rtc_media_h264_open(c, k, 0, 0, &r), RTC_EPARSE);
  /* next_nal walks NALs without start codes or trailing zeros. */
  size_t off = 0, cnt = 0, nl;
  const uint8_t *nal;
  while (rtc_media_h264_next_nal(b, n, &off, &nal, &nl)) {
    cnt++;
    CHECK(nl > 0 && nal[nl - 1] != 0);
  }
  CHECK_EQ_INT(cnt, 12);
}

int main(void) {
  RUN_TEST(test_read_clip);
  RUN_TEST(test_idr_gets_parameter_sets);
  RUN_TEST(test_access_unit_rules);
  TEST_MAIN_END();
}
