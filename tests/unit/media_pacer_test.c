/* The pacer on a virtual clock with the real clips' indexes: 10 simulated minutes
 * looping VP8 (30 fps) and Opus (20 ms) with irregular poll times, every frame due
 * exactly at start + pts (no drift), output timestamps continuous across loops;
 * keyframe requests; a late caller; the end of a non-looping track. */
#include <stdlib.h>

#include "base/rtc_err.h"
#include "base/rtc_time.h"
#include "media/rtc_media_ivf.h"
#include "media/rtc_media_ogg.h"
#include "media/rtc_media_pacer.h"
#include "media_test_util.h"
#include "rtc_test.h"

static uint32_t rng = 12345;
static uint32_t next_rand(void) {
  rng = rng * 1103515245u + 12345u;
  return rng >> 8;
}

typedef struct run_result {
  uint64_t frames, max_late_us, last_pts, loops;
  int bad_due, bad_pts, bad_index;
} run_result_t;

/* Polls like an event loop would: sleep until the deadline (or a random earlier
 * wake-up), plus a scheduling delay of 0..3 ms. */
static run_result_t run(rtc_media_pacer_t *p, uint64_t start, uint64_t until, uint32_t tb_num,
                        uint32_t tb_den, size_t count) {
  run_result_t rr = {0};
  uint64_t now = start, expect_pts = 0;
  size_t expect_index = 0;
  bool first = true, last_round = false;
  for (;;) {
    rtc_media_due_t d;
    while (rtc_media_pacer_poll(p, now, &d)) {
      rr.frames++;
      /* absolute schedule: exactly start + pts in microseconds (floor) */
      uint64_t want = start + (uint64_t)((unsigned __int128)d.pts * tb_num * 1000000u / tb_den);
      if (d.due_us != want) rr.bad_due++;
      if (d.index != expect_index) rr.bad_index++;
      if (!first && d.pts != expect_pts) rr.bad_pts++;
      if (now - d.due_us > rr.max_late_us) rr.max_late_us = now - d.due_us;
      expect_index = (d.index + 1) % count;
      expect_pts = d.pts + 1;
      first = false;
      rr.last_pts = d.pts;
      rr.loops = d.loop;
    }
    uint64_t dl = rtc_media_pacer_deadline(p);
    if (dl == RTC_NEVER || last_round) break;
    uint64_t wake = dl;
    if (next_rand() % 4 == 0 && dl > now + 1000) wake = now + 1 + next_rand() % (dl - now);
    now = wake + next_rand() % 3000;
    if (now >= until) { /* a last look exactly at the end of the run */
      now = until;
      last_round = true;
    }
  }
  return rr;
}

static void test_ten_minutes_vp8_no_drift(void) {
  rtc_media_ivf_reader_t *r = NULL;
  CHECK_EQ_INT(rtc_media_ivf_open_file(MEDIA_FIXTURES "vp8.ivf", &r), 0);
  if (!r) return;
  rtc_media_track_t t = rtc_media_ivf_track(r);
  rtc_media_pacer_t p;
  const uint64_t start = 5000000, ten_min = RTC_MS(600000);
  CHECK_EQ_INT(rtc_media_pacer_init(&p, &t, start, true), 0);
  run_result_t rr = run(&p, start, start + ten_min, 1, 30, t.count);
  printf("  vp8 loop, 10 min virtual: %llu frames, %llu passes, last pts %llu, max late %llu us\n",
         (unsigned long long)rr.frames, (unsigned long long)rr.loops,
         (unsigned long long)rr.last_pts, (unsigned long long)rr.max_late_us);
  /* pts 0..18000 are due within 10 min (18000 / 30 = 600 s exactly) */
  CHECK_EQ_INT(rr.frames, 18001);
  CHECK_EQ_INT(rr.last_pts, 18000);
  CHECK_EQ_INT(rr.loops, 300);
  CHECK_EQ_INT(rr.bad_due, 0);
  CHECK_EQ_INT(rr.bad_index, 0);
  CHECK_EQ_INT(rr.bad_pts, 0);
  CHECK(rr.max_late_us < 3000); /* only the simulated scheduling delay */
  /* The frame after: due 1/30 s after the 10 minutes, to the microsecond. */
  CHECK_EQ_INT(rtc_media_pacer_deadline(&p), start + ten_min + 33333);
  rtc_media_ivf_close(r);
}

static void test_ten_minutes_opus_no_drift(void) {
  rtc_media_ogg_reader_t *r = NULL;
  CHECK_EQ_INT(rtc_media_ogg_open_file(MEDIA_FIXTURES "opus.ogg", &r), 0);
  if (!r) return;
  rtc_media_track_t t = rtc_media_ogg_track(r);
  rtc_media_pacer_t p;
  const uint64_t start = 777, ten_min = RTC_MS(600000);
  CHECK_EQ_INT(rtc_media_pacer_init(&p, &t, start, true), 0);
  uint64_t now = start, frames = 0, prev_pts = 0, bad = 0, max_late = 0;
  rtc_media_due_t d;
  while (now <= start + ten_min) {
    while (rtc_media_pacer_poll(&p, now, &d)) {
      uint64_t want = start + d.pts * 1000000u / 48000u;
      if (d.due_us != want) bad++;
      /* pts continue: each packet starts where the one before ended (960), and a
       * pass starts where the previous one ended (the trimmed 312-sample packet). */
      if (frames && d.pts != prev_pts + (d.index == 0 ? 312 : 960)) bad++;
      if (now - d.due_us > max_late) max_late = now - d.due_us;
      prev_pts = d.pts;
      frames++;
    }
    now = rtc_media_pacer_deadline(&p) + next_rand() % 5000;
  }
  /* One pass is 96312 samples: 6.0 passes... count the packets with pts <= 10 min. */
  uint64_t limit = 600 * 48000, expect = 0;
  for (uint64_t base = 0; base <= limit; base += 96312)
    for (size_t i = 0; i < t.count && base + t.frames[i].pts <= limit; i++)
      expect++;
  printf("  opus loop, 10 min virtual: %llu packets, max late %llu us\n",
         (unsigned long long)frames, (unsigned long long)max_late);
  CHECK_EQ_INT(frames, expect);
  CHECK_EQ_INT(bad, 0);
  CHECK(max_late < 5000);
  rtc_media_ogg_close(r);
}

static void test_keyframe_request(void) {
  rtc_media_ivf_reader_t *r = NULL;
  CHECK_EQ_INT(rtc_media_ivf_open_file(MEDIA_FIXTURES "vp8.ivf", &r), 0);
  if (!r) return;
  rtc_media_track_t t = rtc_media_ivf_track(r);
  rtc_media_pacer_t p;
  rtc_media_due_t d;
  CHECK_EQ_INT(rtc_media_pacer_init(&p, &t, 0, false), 0);
  CHECK(rtc_media_pacer_request_keyframe(&p)); /* frame 0 is one already */
  for (int i = 0; i < 5; i++)
    CHECK(rtc_media_pacer_poll(&p, RTC_MS(1000), &d));
  CHECK_EQ_INT(d.index, 4);
  /* PLI after frame 4: frame 30 (the next keyframe) takes frame 5's slot. */
  CHECK(rtc_media_pacer_request_keyframe(&p));
  CHECK_EQ_INT(rtc_media_pacer_deadline(&p), 5 * 1000000 / 30);
  CHECK(rtc_media_pacer_poll(&p, RTC_MS(1000), &d));
  CHECK_EQ_INT(d.index, 30);
  CHECK_EQ_INT(d.pts, 5);
  CHECK(d.keyframe);
  CHECK(rtc_media_pacer_poll(&p, RTC_MS(1000), &d));
  CHECK_EQ_INT(d.index, 31);
  CHECK_EQ_INT(d.pts, 6);
  /* No keyframe ahead and no loop: refused, nothing changes. */
  CHECK(!rtc_media_pacer_request_keyframe(&p));
  CHECK(rtc_media_pacer_poll(&p, RTC_MS(1000), &d));
  CHECK_EQ_INT(d.index, 32);
  /* To the end: 28 more frames (32..59), then done. */
  int n = 0;
  while (rtc_media_pacer_poll(&p, RTC_MS(100000), &d))
    n++;
  CHECK_EQ_INT(n, 27);
  CHECK_EQ_INT(d.index, 59);
  CHECK_EQ_INT(d.pts, 59 - 25);
  CHECK(rtc_media_pacer_done(&p));
  CHECK(rtc_media_pacer_deadline(&p) == RTC_NEVER);
  CHECK(!rtc_media_pacer_request_keyframe(&p));

  /* Looping: a request after the last keyframe wraps to frame 0, next pass. */
  CHECK_EQ_INT(rtc_media_pacer_init(&p, &t, 0, true), 0);
  for (int i = 0; i < 41; i++)
    CHECK(rtc_media_pacer_poll(&p, RTC_MS(10000), &d));
  CHECK_EQ_INT(d.index, 40);
  CHECK(rtc_media_pacer_request_keyframe(&p));
  CHECK(rtc_media_pacer_poll(&p, RTC_MS(10000), &d));
  CHECK_EQ_INT(d.index, 0);
  CHECK_EQ_INT(d.pts, 41);
  CHECK_EQ_INT(d.loop, 1);
  CHECK(d.keyframe);
  rtc_media_ivf_close(r);
}

/* A caller that wakes up late gets every overdue frame at once, in order, with its
 * true due time; nothing is skipped and the schedule does not move. */
static void test_late_caller_and_errors(void) {
  rtc_media_ivf_reader_t *r = NULL;
  CHECK_EQ_INT(rtc_media_ivf_open_file(MEDIA_FIXTURES "vp9.ivf", &r), 0);
  if (!r) return;
  rtc_media_track_t t = rtc_media_ivf_track(r);
  rtc_media_pacer_t p;
  rtc_media_due_t d;
  CHECK_EQ_INT(rtc_media_pacer_init(&p, &t, 1000000, false), 0);
  CHECK(!rtc_media_pacer_poll(&p, 999999, &d)); /* before the start */
  CHECK_EQ_INT(rtc_media_pacer_deadline(&p), 1000000);
  int n = 0;
  while (rtc_media_pacer_poll(&p, 2000000, &d))
    n++;
  CHECK_EQ_INT(n, 31); /* pts 0..30 are due by start + 1 s */
  CHECK_EQ_INT(d.due_us, 2000000);
  CHECK_EQ_INT(rtc_media_pacer_deadline(&p), 1000000 + 31 * 1000000 / 30);
  rtc_media_track_t empty = t;
  empty.count = 0;
  CHECK_EQ_INT(rtc_media_pacer_init(&p, &empty, 0, true), RTC_EINVAL);
  empty = t;
  empty.tb_den = 0;
  CHECK_EQ_INT(rtc_media_pacer_init(&p, &empty, 0, true), RTC_EINVAL);
  /* A one-frame track with no duration still advances when looping. */
  rtc_media_frame_info_t one = {.pts = 7, .duration = 0, .keyframe = true};
  rtc_media_track_t single = {.frames = &one, .count = 1, .tb_num = 1, .tb_den = 10};
  CHECK_EQ_INT(rtc_media_pacer_init(&p, &single, 0, true), 0);
  n = 0;
  while (rtc_media_pacer_poll(&p, 1000000, &d))
    n++;
  CHECK_EQ_INT(n, 11); /* 10 per second: pts 0..10 */
  /* pts near the end of time, looping: the schedule saturates and stops instead of
   * wrapping around to "everything due" forever (fuzz_media_ivf found the spin). */
  rtc_media_frame_info_t two[2] = {{.pts = 0, .duration = 1},
                                   {.pts = UINT64_MAX - 5, .duration = 1}};
  rtc_media_track_t edge = {.frames = two, .count = 2, .tb_num = 1, .tb_den = 1000000};
  CHECK_EQ_INT(rtc_media_pacer_init(&p, &edge, 0, true), 0);
  n = 0;
  while (n < 1000 && rtc_media_pacer_poll(&p, UINT64_MAX - 1, &d))
    n++;
  CHECK_EQ_INT(n, 3);
  CHECK(rtc_media_pacer_deadline(&p) == RTC_NEVER);
  rtc_media_ivf_close(r);
}

int main(void) {
  RUN_TEST(test_ten_minutes_vp8_no_drift);
  RUN_TEST(test_ten_minutes_opus_no_drift);
  RUN_TEST(test_keyframe_request);
  RUN_TEST(test_late_caller_and_errors);
  TEST_MAIN_END();
}
