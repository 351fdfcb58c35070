// libFuzzer target for what the MP4 recorder reads from a remote peer's frames: the
// H.264 SPS size parser, the VP9 keyframe header reader, the AV1 OBU walker and sequence
// header reader (rtc_record_codec), then the fragmented MP4 muxer fed the input as frames
// of an H.264, a VP9, an Opus and an AV1 track (Annex-B splitting, Opus TOC durations,
// AV1 temporal delimiters dropped, fragment cuts), its output walked box by box:
// every box inside its parent, every trun's data inside the mdat after its moof, the
// duration patches inside the file.
//
// Input: byte 0 picks what runs; then records of [track (1 byte), time step in ms (1 byte),
// keyframe (1 byte), length (1 byte), bytes].
//
// Build: see tests/fuzz/build.sh (make fuzz); seeds: tests/fuzz/corpus/fuzz_record_mp4.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "record/rtc_record_codec.h"
#include "record/rtc_record_mp4.h"

static uint32_t be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int container(const uint8_t *t) {
  static const char *c[] = {"moov", "trak", "mdia", "minf", "stbl", "mvex",
                            "moof", "traf", "dinf", "mfra", NULL};
  for (int i = 0; c[i]; i++)
    if (!memcmp(t, c[i], 4)) return 1;
  return 0;
}

static void walk(const uint8_t *d, size_t off, size_t end) {
  while (off < end) {
    if (end - off < 8) abort();
    size_t size = be32(d + off);
    if (size < 8 || size > end - off) abort();
    if (container(d + off + 4)) walk(d, off + 8, off + size);
    off += size;
  }
}

/* Every moof's truns point into the mdat right after it, tiling it. */
static void check_fragments(const uint8_t *d, size_t len) {
  for (size_t off = 0; off < len; off += be32(d + off)) {
    if (memcmp(d + off + 4, "moof", 4)) continue;
    size_t moof = off, moof_end = off + be32(d + off);
    if (moof_end + 8 > len || memcmp(d + moof_end + 4, "mdat", 4)) abort();
    size_t data = moof_end + 8, data_end = moof_end + be32(d + moof_end);
    for (size_t t = moof + 8; t < moof_end; t += be32(d + t)) {
      if (memcmp(d + t + 4, "traf", 4)) continue;
      size_t traf_end = t + be32(d + t);
      for (size_t b = t + 8; b < traf_end; b += be32(d + b)) {
        if (memcmp(d + b + 4, "trun", 4)) continue;
        uint32_t flags = be32(d + b + 8) & 0xffffff, n = be32(d + b + 12);
        size_t per = (flags & 0x400) ? 12 : 8, at = moof + be32(d + b + 16);
        if (at != data) abort();
        for (uint32_t k = 0; k < n; k++) {
          if (be32(d + b + 20 + per * k) == 0) abort(); /* a zero duration */
          data += be32(d + b + 20 + per * k + 4);
        }
      }
    }
    if (data != data_end) abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  uint16_t w, h;
  rtc_record_codec_vp9_t v;
  if (data[0] & 1) {
    rtc_record_codec_h264_size(data + 1, size - 1, &w, &h);
    rtc_record_codec_vp9_info(data + 1, size - 1, &v);
    rtc_record_codec_av1_t a;
    if (rtc_record_codec_av1_info(data + 1, size - 1, &a) &&
        (a.seq < data + 1 || a.seq + a.seq_len > data + size))
      abort();
    if (rtc_record_codec_av1_size(data + 1, size - 1) > size - 1) abort();
    return 0;
  }
  static const uint8_t avcc[] = {1,    0x42, 0xc0, 0x1e, 0xff, 0xe1, 0, 4,
                                 0x67, 0x42, 0xc0, 0x1e, 1,    0,    1, 0x68};
  /* the fixture av1.ivf's sequence header OBU (libaom, 320x240) */
  static const uint8_t seq[] = {0x0a, 0x0b, 0x00, 0x00, 0x00, 0x04, 0x3c,
                                0xff, 0xbc, 0xda, 0xf9, 0x00, 0x40};
  rtc_record_codec_av1_t av1 = {
      .width = 320, .height = 240, .ss_x = 1, .ss_y = 1, .seq = seq, .seq_len = sizeof seq};
  rtc_record_mp4_track_t tr[4] = {
      {.codec = RTC_MEDIA_CODEC_H264,
       .width = 320,
       .height = 240,
       .codec_private = avcc,
       .codec_private_len = sizeof avcc},
      {.codec = RTC_MEDIA_CODEC_VP9},
      {.codec = RTC_MEDIA_CODEC_OPUS, .channels = 2, .pre_skip = 312},
      {.codec = RTC_MEDIA_CODEC_AV1, .width = 320, .height = 240, .av1 = &av1}};
  rtc_record_mp4_t *m = NULL;
  if (rtc_record_mp4_create(tr, 4, 200, &m) != 0) abort();
  int64_t t_us[4] = {0, 0, 0, 0};
  size_t off = 1;
  while (off + 4 <= size) {
    unsigned track = data[off] % 5; /* 0: a bad track number, refused */
    int64_t step = (int64_t)data[off + 1] * 1000;
    if (data[off + 1] == 255) step = -5000; /* backwards: refused */
    bool key = data[off + 2] & 1;
    size_t len = data[off + 3];
    off += 4;
    if (len > size - off) len = size - off;
    int64_t t = track ? t_us[track - 1] + step : 0;
    int rc = rtc_record_mp4_write(m, track, data + off, len, t, key);
    if (rc == 0) t_us[track - 1] = t;
    off += len;
  }
  if (rtc_record_mp4_finish(m) != 0) abort();
  const uint8_t *out;
  size_t n = rtc_media_out_peek(rtc_record_mp4_out(m), &out);
  if (n != rtc_record_mp4_size(m)) abort();
  walk(out, 0, n);
  check_fragments(out, n);
  size_t np;
  const rtc_record_webm_patch_t *pt = rtc_record_mp4_patches(m, &np);
  for (size_t i = 0; i < np; i++)
    if (pt[i].offset + pt[i].len > n || pt[i].len > 8) abort();
  rtc_record_mp4_destroy(m);
  return 0;
}
