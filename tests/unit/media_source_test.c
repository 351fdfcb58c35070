/* The file source picks the reader by content: the four real clips open with the
 * right codec and frame counts (from memory, freed at once, and from files), a
 * pacer runs over each, and unknown bytes are refused. */
#include <stdlib.h>

#include "base/rtc_err.h"
#include "base/rtc_time.h"
#include "media/rtc_media_pacer.h"
#include "media/rtc_media_source.h"
#include "media_test_util.h"
#include "rtc_test.h"

static void test_clips(void) {
  static const struct {
    const char *name;
    rtc_media_codec_t codec;
    size_t frames;
    bool audio;
  } want[] = {{"vp8.ivf", RTC_MEDIA_CODEC_VP8, 60, false},
              {"vp9.ivf", RTC_MEDIA_CODEC_VP9, 60, false},
              {"h264.h264", RTC_MEDIA_CODEC_H264, 60, false},
              {"opus.ogg", RTC_MEDIA_CODEC_OPUS, 101, true}};
  for (size_t c = 0; c < 4; c++) {
    size_t len;
    uint8_t *p = media_load(want[c].name, &len);
    if (!p) {
      CHECK(0);
      continue;
    }
    rtc_media_source_t *s = NULL;
    CHECK_EQ_INT(rtc_media_source_open(p, len, 0, 0, &s), 0);
    memset(p, 0xee, len); /* the source has its own copy */
    free(p);
    if (!s) continue;
    CHECK_EQ_INT(rtc_media_source_codec(s), want[c].codec);
    CHECK_EQ_INT(rtc_media_source_is_audio(s), want[c].audio);
    rtc_media_track_t t = rtc_media_source_track(s);
    CHECK_EQ_INT(t.count, want[c].frames);
    uint16_t w, h;
    rtc_media_source_video_size(s, &w, &h);
    CHECK_EQ_INT(w, c < 2 ? 320 : 0);
    CHECK_EQ_INT(rtc_media_source_channels(s), want[c].audio ? 1 : 0);
    /* Two seconds of pacing: every frame once, data readable and intact. */
    rtc_media_pacer_t pc;
    CHECK_EQ_INT(rtc_media_pacer_init(&pc, &t, 0, false), 0);
    rtc_media_due_t d;
    size_t n = 0, keys = 0;
    while (rtc_media_pacer_poll(&pc, RTC_MS(3000), &d)) {
      rtc_media_frame_t f;
      CHECK_EQ_INT(rtc_media_source_frame(s, d.index, &f), 0);
      CHECK(f.len > 0 && f.data[0] != 0xee);
      keys += f.keyframe;
      n++;
    }
    CHECK_EQ_INT(n, want[c].frames);
    CHECK_EQ_INT(keys, want[c].audio ? 101 : 2);
    rtc_media_frame_t f;
    CHECK_EQ_INT(rtc_media_source_frame(s, n, &f), RTC_ENOTFOUND);
    rtc_media_source_close(s);
    char path[256];
    snprintf(path, sizeof path, MEDIA_FIXTURES "%s", want[c].name);
    CHECK_EQ_INT(rtc_media_source_open_file(path, 0, 0, &s), 0);
    CHECK_EQ_INT(rtc_media_source_codec(s), want[c].codec);
    rtc_media_source_close(s);
  }
}

static void test_refused(void) {
  rtc_media_source_t *s = NULL;
  CHECK_EQ_INT(rtc_media_source_open((const uint8_t *)"not media at all", 16, 0, 0, &s),
               RTC_EPARSE);
  CHECK(s == NULL);
  CHECK_EQ_INT(rtc_media_source_open((const uint8_t *)"OggS", 4, 0, 0, &s), RTC_EPARSE);
  CHECK_EQ_INT(rtc_media_source_open((const uint8_t *)"DKIF", 4, 0, 0, &s), RTC_EPARSE);
  CHECK_EQ_INT(rtc_media_source_open(NULL, 0, 0, 0, &s), RTC_EPARSE);
  CHECK_EQ_INT(rtc_media_source_open_file("/nonexistent.ivf", 0, 0, &s), RTC_EIO);
  rtc_media_source_close(NULL);
}

int main(void) {
  RUN_TEST(test_clips);
  RUN_TEST(test_refused);
  TEST_MAIN_END();
}
