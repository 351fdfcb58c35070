/* IVF reader and writer with the real clips (ffmpeg/libvpx made them; figures
 * cross-checked with ffprobe -show_packets): counts, sizes, timestamps, keyframes;
 * the writer's output byte-identical to the file and decoded cleanly by ffmpeg;
 * cut and hostile files. */
#include <stdlib.h>

#include "base/rtc_err.h"
#include "media/rtc_media_internal.h"
#include "media/rtc_media_ivf.h"
#include "media_test_util.h"
#include "rtc_test.h"

typedef struct clip {
  const char *name, *fourcc;
  rtc_media_codec_t codec;
  size_t first_len, last_len, total;
} clip_t;

/* ffprobe -show_packets: 60 packets, pts 0..59 in 1/30, keyframes 0 and 30. */
static const clip_t clips[] = {
    {"vp8.ivf", "VP80", RTC_MEDIA_CODEC_VP8, 4626, 649, 47039},
    {"vp9.ivf", "VP90", RTC_MEDIA_CODEC_VP9, 5576, 789, 41349},
};

static void test_read_clips(void) {
  for (size_t c = 0; c < 2; c++) {
    size_t len;
    uint8_t *p = media_load(clips[c].name, &len);
    CHECK(p != NULL);
    if (!p) continue;
    rtc_media_ivf_reader_t *r = NULL;
    CHECK_EQ_INT(rtc_media_ivf_open(p, len, &r), 0);
    if (!r) {
      free(p);
      continue;
    }
    const rtc_media_ivf_info_t *in = rtc_media_ivf_info(r);
    CHECK_EQ_INT(in->codec, clips[c].codec);
    CHECK_STR(in->fourcc, clips[c].fourcc);
    CHECK_EQ_INT(in->width, 320);
    CHECK_EQ_INT(in->height, 240);
    CHECK_EQ_INT(in->tb_num, 1);
    CHECK_EQ_INT(in->tb_den, 30);
    CHECK_EQ_INT(in->frames, 60);
    CHECK_EQ_INT(in->header_frames, 60);
    CHECK(!in->truncated);
    rtc_media_track_t t = rtc_media_ivf_track(r);
    CHECK_EQ_INT(t.count, 60);
    size_t total = 0, keys = 0;
    for (size_t i = 0; i < t.count; i++) {
      rtc_media_frame_t f;
      CHECK_EQ_INT(rtc_media_ivf_frame(r, i, &f), 0);
      CHECK_EQ_INT(f.pts, i);
      CHECK_EQ_INT(f.duration, 1);
      CHECK_EQ_INT(f.keyframe, i == 0 || i == 30);
      keys += f.keyframe;
      total += f.len;
    }
    CHECK_EQ_INT(keys, 2);
    CHECK_EQ_INT(total, clips[c].total);
    CHECK_EQ_INT(t.frames[0].len, clips[c].first_len);
    CHECK_EQ_INT(t.frames[59].len, clips[c].last_len);
    rtc_media_frame_t f;
    CHECK_EQ_INT(rtc_media_ivf_frame(r, 60, &f), RTC_ENOTFOUND);
    rtc_media_ivf_close(r);
    free(p);
  }
}

/* reader -> writer -> bytes: identical to the file once the final header (frame
 * count) is put back; the bytes read back give identical frames; ffmpeg decodes
 * them with nothing to say. */
static void test_writer_round_trip(void) {
  for (size_t c = 0; c < 2; c++) {
    size_t len;
    uint8_t *p = media_load(clips[c].name, &len);
    if (!p) {
      CHECK(0);
      continue;
    }
    rtc_media_ivf_reader_t *r = NULL;
    CHECK_EQ_INT(rtc_media_ivf_open(p, len, &r), 0);
    const rtc_media_ivf_info_t *in = rtc_media_ivf_info(r);
    rtc_media_ivf_writer_t *w = NULL;
    CHECK_EQ_INT(
        rtc_media_ivf_writer_create(in->fourcc, in->width, in->height, in->tb_num, in->tb_den, &w),
        0);
    uint8_t *mem = NULL;
    size_t mem_len = 0;
    for (size_t i = 0; i < in->frames; i++) {
      rtc_media_frame_t f;
      rtc_media_ivf_frame(r, i, &f);
      CHECK_EQ_INT(rtc_media_ivf_writer_write(w, f.data, f.len, f.pts), 0);
      if (i % 7 == 0) media_drain(rtc_media_ivf_writer_out(w), NULL, &mem, &mem_len);
    }
    media_drain(rtc_media_ivf_writer_out(w), NULL, &mem, &mem_len);
    CHECK_EQ_INT(rtc_media_ivf_writer_frames(w), 60);
    CHECK_EQ_INT(mem_len, len);
    CHECK(mem_len >= 32 && rtc__rd32le(mem + 24) == 0); /* streamed: count unknown */
    rtc_media_ivf_writer_final_header(w, mem);
    CHECK(mem_len == len && memcmp(mem, p, len) == 0);

    rtc_media_ivf_reader_t *r2 = NULL;
    CHECK_EQ_INT(rtc_media_ivf_open(mem, mem_len, &r2), 0);
    if (r2) {
      CHECK_EQ_INT(rtc_media_ivf_info(r2)->frames, 60);
      for (size_t i = 0; i < 60; i++) {
        rtc_media_frame_t a, b;
        rtc_media_ivf_frame(r, i, &a);
        rtc_media_ivf_frame(r2, i, &b);
        CHECK(a.len == b.len && a.pts == b.pts && a.keyframe == b.keyframe &&
              memcmp(a.data, b.data, a.len) == 0);
      }
    }
    char path[128];
    media_tmp_path(path, sizeof path, clips[c].name);
    CHECK_EQ_INT(media_write_file(path, mem, mem_len), 0);
    CHECK_EQ_INT(media_ffmpeg_clean(path), 0);
    CHECK_EQ_INT(media_ffprobe_frames(path), 60);
    unlink(path);
    rtc_media_ivf_close(r2);
    rtc_media_ivf_writer_destroy(w);
    rtc_media_ivf_close(r);
    free(mem);
    free(p);
  }
}

/* RTP-style timestamps (1/90000) written by a recorder: gaps and all, read back. */
static void test_writer_90k_timestamps(void) {
  size_t len;
  uint8_t *p = media_load("vp8.ivf", &len);
  if (!p) {
    CHECK(0);
    return;
  }
  rtc_media_ivf_reader_t *r = NULL;
  rtc_media_ivf_open(p, len, &r);
  rtc_media_ivf_writer_t *w = NULL;
  CHECK_EQ_INT(rtc_media_ivf_writer_create("VP80", 320, 240, 1, 90000, &w), 0);
  uint8_t *mem = NULL;
  size_t mem_len = 0;
  for (size_t i = 0; i < 60; i++) {
    rtc_media_frame_t f;
    rtc_media_ivf_frame(r, i, &f);
    uint64_t ts = 123456 + i * 3000 + (i >= 40 ? 30000 : 0); /* a third of a second lost */
    CHECK_EQ_INT(rtc_media_ivf_writer_write(w, f.data, f.len, ts), 0);
  }
  media_drain(rtc_media_ivf_writer_out(w), NULL, &mem, &mem_len);
  rtc_media_ivf_reader_t *r2 = NULL;
  CHECK_EQ_INT(rtc_media_ivf_open(mem, mem_len, &r2), 0);
  if (r2) {
    rtc_media_track_t t = rtc_media_ivf_track(r2);
    CHECK_EQ_INT(t.tb_den, 90000);
    CHECK_EQ_INT(t.frames[0].pts, 123456);
    CHECK_EQ_INT(t.frames[39].duration, 33000); /* the gap belongs to the frame before it */
    CHECK_EQ_INT(t.frames[40].pts, 123456 + 40 * 3000 + 30000);
    CHECK_EQ_INT(t.frames[59].duration, 3000);
  }
  char path[128];
  media_tmp_path(path, sizeof path, "90k.ivf");
  media_write_file(path, mem, mem_len);
  CHECK_EQ_INT(media_ffmpeg_clean(path), 0);
  unlink(path);
  rtc_media_ivf_close(r2);
  rtc_media_ivf_writer_destroy(w);
  rtc_media_ivf_close(r);
  free(mem);
  free(p);
}

/* A recording killed mid-frame opens with the frames before the cut. */
static void test_cut_and_hostile(void) {
  size_t len;
  uint8_t *p = media_load("vp8.ivf", &len);
  if (!p) {
    CHECK(0);
    return;
  }
  rtc_media_ivf_reader_t *r = NULL;
  CHECK_EQ_INT(rtc_media_ivf_open(p, len - 100, &r), 0);
  if (r) {
    CHECK_EQ_INT(rtc_media_ivf_info(r)->frames, 59);
    CHECK(rtc_media_ivf_info(r)->truncated);
  }
  rtc_media_ivf_close(r);
  CHECK_EQ_INT(rtc_media_ivf_open(p, 32 + 5, &r), 0); /* a cut frame header */
  if (r) CHECK_EQ_INT(rtc_media_ivf_info(r)->frames, 0);
  rtc_media_ivf_close(r);
  CHECK_EQ_INT(rtc_media_ivf_open(p, 31, &r), RTC_EPARSE);
  CHECK(r == NULL);
  uint8_t *q = malloc(len);
  memcpy(q, p, len);
  q[0] = 'X';
  CHECK_EQ_INT(rtc_media_ivf_open(q, len, &r), RTC_EPARSE);
  memcpy(q, p, len);
  q[16] = q[17] = q[18] = q[19] = 0; /* timebase 0 */
  CHECK_EQ_INT(rtc_media_ivf_open(q, len, &r), RTC_EPARSE);
  memcpy(q, p, len);
  q[6] = 0xff; /* header length past the end */
  q[7] = 0xff;
  CHECK_EQ_INT(rtc_media_ivf_open(q, len, &r), RTC_EPARSE);
  memcpy(q, p, len);
  q[32 + 3] = 0x7f; /* a frame of 2 GiB */
  CHECK_EQ_INT(rtc_media_ivf_open(q, len, &r), RTC_EPARSE);
  memcpy(q, p, len);
  q[32 + 12 + 4626 + 3] = 0x7f; /* the same on the second frame (fuzz_media_ivf found it) */
  CHECK_EQ_INT(rtc_media_ivf_open(q, len, &r), RTC_EPARSE);
  CHECK(r == NULL);
  CHECK_EQ_INT(rtc_media_ivf_open_file("/nonexistent/x.ivf", &r), RTC_EIO);
  CHECK_EQ_INT(rtc_media_ivf_open_file(MEDIA_FIXTURES "vp9.ivf", &r), 0);
  if (r) CHECK_EQ_INT(rtc_media_ivf_info(r)->frames, 60);
  rtc_media_ivf_close(r);
  rtc_media_ivf_writer_t *w = NULL;
  CHECK_EQ_INT(rtc_media_ivf_writer_create("VP80", 1, 1, 0, 30, &w), RTC_EINVAL);
  free(q);
  free(p);
}

/* Keyframe detection on hand-made headers. */
static void test_keyframe_bits(void) {
  /* VP9 profile 0: frame_marker 10, profile 00, show_existing 0, frame_type 0/1. */
  uint8_t vp9_key[] = {0x82}, vp9_inter[] = {0x86}, vp9_show_existing[] = {0x88};
  CHECK(rtc_media_ivf_is_keyframe(RTC_MEDIA_CODEC_VP9, vp9_key, 1));
  CHECK(!rtc_media_ivf_is_keyframe(RTC_MEDIA_CODEC_VP9, vp9_inter, 1));
  CHECK(!rtc_media_ivf_is_keyframe(RTC_MEDIA_CODEC_VP9, vp9_show_existing, 1));
  /* profile 3 (both profile bits, reserved 0): frame_type one bit later. */
  uint8_t vp9_p3_key[] = {0xb0}, vp9_p3_inter[] = {0xb2};
  CHECK(rtc_media_ivf_is_keyframe(RTC_MEDIA_CODEC_VP9, vp9_p3_key, 1));
  CHECK(!rtc_media_ivf_is_keyframe(RTC_MEDIA_CODEC_VP9, vp9_p3_inter, 1));
  uint8_t vp8_key[] = {0x50}, vp8_inter[] = {0x51};
  CHECK(rtc_media_ivf_is_keyframe(RTC_MEDIA_CODEC_VP8, vp8_key, 1));
  CHECK(!rtc_media_ivf_is_keyframe(RTC_MEDIA_CODEC_VP8, vp8_inter, 1));
  /* AV1: temporal delimiter (type 2, has_size, size 0), then a sequence header
   * (type 1) of 2 bytes / then a frame OBU (type 6) only. */
  uint8_t av1_key[] = {0x12, 0x00, 0x0a, 0x02, 0x00, 0x00};
  uint8_t av1_inter[] = {0x12, 0x00, 0x32, 0x01, 0x00};
  uint8_t av1_bad[] = {0x12, 0xff}; /* leb128 running off the end */
  CHECK(rtc_media_ivf_is_keyframe(RTC_MEDIA_CODEC_AV1, av1_key, sizeof av1_key));
  CHECK(!rtc_media_ivf_is_keyframe(RTC_MEDIA_CODEC_AV1, av1_inter, sizeof av1_inter));
  CHECK(!rtc_media_ivf_is_keyframe(RTC_MEDIA_CODEC_AV1, av1_bad, sizeof av1_bad));
  CHECK_STR(rtc_media_codec_name(RTC_MEDIA_CODEC_AV1), "AV1");
}

int main(void) {
  RUN_TEST(test_read_clips);
  RUN_TEST(test_writer_round_trip);
  RUN_TEST(test_writer_90k_timestamps);
  RUN_TEST(test_cut_and_hostile);
  RUN_TEST(test_keyframe_bits);
  TEST_MAIN_END();
}
