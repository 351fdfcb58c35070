/* Ogg Opus reader and writer with the real clip (ffmpeg/libopus, 48 kHz mono,
 * 20 ms packets; figures cross-checked with ffprobe -show_packets): packets, pts
 * from granules, pre-skip, end trimming; the writer's pages read back identical and
 * decoded cleanly by ffmpeg; gaps kept; a killed recording playable up to its last
 * flush; TOC durations (RFC 6716 §3.1). */
#include <stdlib.h>

#include "base/rtc_err.h"
#include "media/rtc_media_ogg.h"
#include "media_test_util.h"
#include "rtc_test.h"

static void test_toc_durations(void) {
  /* config 1 (SILK NB 20 ms), code 0: one frame. */
  uint8_t silk20[] = {0x08, 0};
  CHECK_EQ_INT(rtc_media_opus_packet_duration(silk20, 2), 960);
  /* config 3 (SILK NB 60 ms). */
  uint8_t silk60[] = {0x18};
  CHECK_EQ_INT(rtc_media_opus_packet_duration(silk60, 1), 2880);
  /* config 13 (hybrid SWB 20 ms), code 2 (two frames of different sizes). */
  uint8_t hyb[] = {(13 << 3) | 2, 1, 0};
  CHECK_EQ_INT(rtc_media_opus_packet_duration(hyb, 3), 1920);
  /* config 16 (CELT NB 2.5 ms), code 3 with 6 frames. */
  uint8_t celt[] = {(16 << 3) | 3, 6};
  CHECK_EQ_INT(rtc_media_opus_packet_duration(celt, 2), 720);
  /* config 31 (CELT FB 20 ms), code 3 with 7 frames = 140 ms: too long. */
  uint8_t toolong[] = {(31 << 3) | 3, 7};
  CHECK_EQ_INT(rtc_media_opus_packet_duration(toolong, 2), 0);
  /* code 3 with 0 frames, code 3 without its count byte, code 1 with odd halves. */
  uint8_t zero[] = {(31 << 3) | 3, 0}, nocount[] = {(31 << 3) | 3}, odd[] = {(31 << 3) | 1, 1};
  CHECK_EQ_INT(rtc_media_opus_packet_duration(zero, 2), 0);
  CHECK_EQ_INT(rtc_media_opus_packet_duration(nocount, 1), 0);
  CHECK_EQ_INT(rtc_media_opus_packet_duration(odd, 2), 0);
  CHECK_EQ_INT(rtc_media_opus_packet_duration(NULL, 0), 0);
}

static void test_read_clip(void) {
  size_t len;
  uint8_t *p = media_load("opus.ogg", &len);
  if (!p) {
    CHECK(0);
    return;
  }
  rtc_media_ogg_reader_t *r = NULL;
  CHECK_EQ_INT(rtc_media_ogg_open(p, len, &r), 0);
  free(p); /* the reader keeps its own copy */
  if (!r) return;
  const rtc_media_ogg_info_t *in = rtc_media_ogg_info(r);
  CHECK_EQ_INT(in->channels, 1);
  CHECK_EQ_INT(in->pre_skip, 312);
  CHECK_EQ_INT(in->input_rate, 48000);
  CHECK_EQ_INT(in->mapping_family, 0);
  CHECK_STR(in->vendor, "Lavf59.27.100");
  CHECK_EQ_INT(in->packets, 101);
  CHECK_EQ_INT(in->end_granule, 96312);
  CHECK_EQ_INT(in->holes, 0);
  CHECK(!in->truncated);
  rtc_media_track_t t = rtc_media_ogg_track(r);
  CHECK_EQ_INT(t.tb_num, 1);
  CHECK_EQ_INT(t.tb_den, 48000);
  size_t total = 0;
  for (size_t i = 0; i < t.count; i++) {
    rtc_media_frame_t f;
    CHECK_EQ_INT(rtc_media_ogg_frame(r, i, &f), 0);
    /* ffprobe: pts (after pre-skip) -312 + 960 i */
    CHECK_EQ_INT(f.pts, 960 * i);
    CHECK_EQ_INT(f.duration, i == 100 ? 312 : 960); /* the last page trims the end */
    CHECK(f.keyframe);
    total += f.len;
  }
  CHECK_EQ_INT(total, 9965);
  CHECK_EQ_INT(t.frames[0].len, 115);
  CHECK_EQ_INT(t.frames[100].len, 157);
  rtc_media_ogg_close(r);
}

static int write_all(rtc_media_ogg_writer_t *w, rtc_media_ogg_reader_t *r, uint64_t gap_at,
                     uint64_t gap, uint8_t **mem, size_t *mem_len) {
  rtc_media_track_t t = rtc_media_ogg_track(r);
  for (size_t i = 0; i < t.count; i++) {
    rtc_media_frame_t f;
    rtc_media_ogg_frame(r, i, &f);
    int e = rtc_media_ogg_writer_write(w, f.data, f.len, f.pts + (i >= gap_at ? gap : 0));
    if (e) return e;
    if (i % 5 == 0) media_drain(rtc_media_ogg_writer_out(w), NULL, mem, mem_len);
  }
  return 0;
}

static void test_writer_round_trip(void) {
  rtc_media_ogg_reader_t *r = NULL;
  CHECK_EQ_INT(rtc_media_ogg_open_file(MEDIA_FIXTURES "opus.ogg", &r), 0);
  if (!r) return;
  rtc_media_ogg_writer_config_t cfg = {.channels = 1, .pre_skip = 312};
  rtc_media_ogg_writer_t *w = NULL;
  CHECK_EQ_INT(rtc_media_ogg_writer_create(&cfg, &w), 0);
  uint8_t *mem = NULL;
  size_t mem_len = 0;
  CHECK_EQ_INT(write_all(w, r, SIZE_MAX, 0, &mem, &mem_len), 0);
  CHECK_EQ_INT(rtc_media_ogg_writer_finish(w), 0);
  CHECK_EQ_INT(rtc_media_ogg_writer_finish(w), 0);
  media_drain(rtc_media_ogg_writer_out(w), NULL, &mem, &mem_len);
  uint8_t x[3] = {0x08, 1, 2};
  CHECK_EQ_INT(rtc_media_ogg_writer_write(w, x, 3, 1000000), RTC_ESTATE);

  rtc_media_ogg_reader_t *r2 = NULL;
  CHECK_EQ_INT(rtc_media_ogg_open(mem, mem_len, &r2), 0);
  if (r2) {
    const rtc_media_ogg_info_t *in = rtc_media_ogg_info(r2);
    CHECK_EQ_INT(in->channels, 1);
    CHECK_EQ_INT(in->pre_skip, 312);
    CHECK_STR(in->vendor, "luartc");
    CHECK_EQ_INT(in->packets, 101);
    /* No end trimming is written: the last packet plays whole. */
    CHECK_EQ_INT(in->end_granule, 101 * 960);
    for (size_t i = 0; i < 101; i++) {
      rtc_media_frame_t a, b;
      rtc_media_ogg_frame(r, i, &a);
      rtc_media_ogg_frame(r2, i, &b);
      CHECK(a.len == b.len && a.pts == b.pts && memcmp(a.data, b.data, a.len) == 0);
      if (i < 100) CHECK_EQ_INT(b.duration, a.duration);
    }
  }
  char path[128];
  media_tmp_path(path, sizeof path, "rt.ogg");
  CHECK_EQ_INT(media_write_file(path, mem, mem_len), 0);
  CHECK_EQ_INT(media_ffmpeg_clean(path), 0);
  CHECK_EQ_INT(media_ffprobe_frames(path), 101);
  unlink(path);
  rtc_media_ogg_close(r2);
  rtc_media_ogg_writer_destroy(w);
  rtc_media_ogg_close(r);
  free(mem);
}

/* A 3 s hole after packet 40 (a muted sender, lost packets): the granules keep it,
 * so the reader puts the later packets 3 s later, and ffmpeg still decodes it all. */
static void test_gap_kept(void) {
  rtc_media_ogg_reader_t *r = NULL;
  CHECK_EQ_INT(rtc_media_ogg_open_file(MEDIA_FIXTURES "opus.ogg", &r), 0);
  if (!r) return;
  rtc_media_ogg_writer_config_t cfg = {.channels = 1};
  rtc_media_ogg_writer_t *w = NULL;
  CHECK_EQ_INT(rtc_media_ogg_writer_create(&cfg, &w), 0);
  uint8_t *mem = NULL;
  size_t mem_len = 0;
  CHECK_EQ_INT(write_all(w, r, 40, 3 * 48000, &mem, &mem_len), 0);
  CHECK_EQ_INT(rtc_media_ogg_writer_finish(w), 0);
  media_drain(rtc_media_ogg_writer_out(w), NULL, &mem, &mem_len);
  rtc_media_ogg_reader_t *r2 = NULL;
  CHECK_EQ_INT(rtc_media_ogg_open(mem, mem_len, &r2), 0);
  if (r2) {
    rtc_media_track_t t = rtc_media_ogg_track(r2);
    CHECK_EQ_INT(t.count, 101);
    CHECK_EQ_INT(t.frames[39].pts, 39 * 960);
    CHECK_EQ_INT(t.frames[40].pts, 40 * 960 + 3 * 48000);
    CHECK_EQ_INT(t.frames[100].pts, 100 * 960 + 3 * 48000);
    CHECK_EQ_INT(rtc_media_ogg_info(r2)->end_granule, 101 * 960 + 3 * 48000);
  }
  char path[128];
  media_tmp_path(path, sizeof path, "gap.ogg");
  media_write_file(path, mem, mem_len);
  CHECK_EQ_INT(media_ffmpeg_clean(path), 0);
  unlink(path);
  /* A pts going back in time is moved up to the end of the previous packet. */
  rtc_media_ogg_writer_t *w2 = NULL;
  rtc_media_ogg_writer_create(&cfg, &w2);
  rtc_media_frame_t f;
  rtc_media_ogg_frame(r, 0, &f);
  CHECK_EQ_INT(rtc_media_ogg_writer_write(w2, f.data, f.len, 5000), 0);
  CHECK_EQ_INT(rtc_media_ogg_writer_write(w2, f.data, f.len, 100), 0);
  rtc_media_ogg_writer_finish(w2);
  uint8_t *m2 = NULL;
  size_t m2_len = 0;
  media_drain(rtc_media_ogg_writer_out(w2), NULL, &m2, &m2_len);
  rtc_media_ogg_reader_t *r3 = NULL;
  CHECK_EQ_INT(rtc_media_ogg_open(m2, m2_len, &r3), 0);
  if (r3) {
    rtc_media_track_t t = rtc_media_ogg_track(r3);
    CHECK_EQ_INT(t.count, 2);
    CHECK_EQ_INT(t.frames[0].pts, 5000);
    CHECK_EQ_INT(t.frames[1].pts, 5960);
  }
  uint8_t bad[2] = {(31 << 3) | 3, 0};
  CHECK_EQ_INT(rtc_media_ogg_writer_write(w2, bad, 2, 0), RTC_ESTATE);
  rtc_media_ogg_writer_t *w3 = NULL;
  rtc_media_ogg_writer_create(NULL, &w3);
  CHECK_EQ_INT(rtc_media_ogg_writer_write(w3, bad, 2, 0), RTC_EINVAL);
  rtc_media_ogg_writer_destroy(w3);
  rtc_media_ogg_close(r3);
  rtc_media_ogg_writer_destroy(w2);
  free(m2);
  rtc_media_ogg_close(r2);
  rtc_media_ogg_writer_destroy(w);
  rtc_media_ogg_close(r);
  free(mem);
}

/* 10 s of audio written, never finished (the process was killed): what the writer
 * had handed out plays up to its last flush, which is at most ~1 s behind. */
static void test_killed_recording(void) {
  rtc_media_ogg_reader_t *r = NULL;
  CHECK_EQ_INT(rtc_media_ogg_open_file(MEDIA_FIXTURES "opus.ogg", &r), 0);
  if (!r) return;
  rtc_media_ogg_writer_config_t cfg = {.channels = 1};
  rtc_media_ogg_writer_t *w = NULL;
  CHECK_EQ_INT(rtc_media_ogg_writer_create(&cfg, &w), 0);
  uint8_t *mem = NULL;
  size_t mem_len = 0;
  size_t n = 0, pages_seen = 0;
  uint64_t pts = 0, max_behind = 0;
  for (int pass = 0; pass < 5; pass++) {
    for (size_t i = 0; i < 100; i++, n++) {
      rtc_media_frame_t f;
      rtc_media_ogg_frame(r, i, &f);
      CHECK_EQ_INT(rtc_media_ogg_writer_write(w, f.data, f.len, pts), 0);
      pts += 960;
      media_drain(rtc_media_ogg_writer_out(w), NULL, &mem, &mem_len);
      /* How far behind the written audio is what a reader can already play? */
      rtc_media_ogg_reader_t *partial = NULL;
      if (n % 25 == 24 && rtc_media_ogg_open(mem, mem_len, &partial) == 0) {
        uint64_t end = rtc_media_ogg_info(partial)->end_granule;
        uint64_t behind = pts - end;
        if (behind > max_behind) max_behind = behind;
        pages_seen = rtc_media_ogg_info(partial)->packets;
        rtc_media_ogg_close(partial);
      }
    }
  }
  printf("  unfinished recording of %.1f s: %zu packets readable, at most %.2f s behind\n",
         pts / 48000.0, pages_seen, max_behind / 48000.0);
  /* flushed every second (+ the held packet and the one being written) */
  CHECK(max_behind <= 48000 + 2 * 960);
  CHECK(pages_seen >= 400);
  char path[128];
  media_tmp_path(path, sizeof path, "killed.ogg");
  media_write_file(path, mem, mem_len);
  long frames = media_ffprobe_frames(path);
  CHECK(frames >= 400 && frames <= 500);
  unlink(path);
  /* flush() pushes everything but the held packet out at once. */
  CHECK_EQ_INT(rtc_media_ogg_writer_flush(w), 0);
  media_drain(rtc_media_ogg_writer_out(w), NULL, &mem, &mem_len);
  rtc_media_ogg_reader_t *r2 = NULL;
  CHECK_EQ_INT(rtc_media_ogg_open(mem, mem_len, &r2), 0);
  if (r2) CHECK_EQ_INT(rtc_media_ogg_info(r2)->packets, 499);
  rtc_media_ogg_close(r2);
  rtc_media_ogg_writer_destroy(w);
  rtc_media_ogg_close(r);
  free(mem);
}

static void test_cut_and_hostile(void) {
  size_t len;
  uint8_t *p = media_load("opus.ogg", &len);
  if (!p) {
    CHECK(0);
    return;
  }
  rtc_media_ogg_reader_t *r = NULL;
  CHECK_EQ_INT(rtc_media_ogg_open(p, len * 6 / 10, &r), 0);
  if (r) {
    CHECK(rtc_media_ogg_info(r)->truncated);
    CHECK(rtc_media_ogg_info(r)->packets > 40 && rtc_media_ogg_info(r)->packets < 70);
    /* The packets of complete pages keep their true times. */
    CHECK_EQ_INT(rtc_media_ogg_track(r).frames[10].pts, 9600);
  }
  rtc_media_ogg_close(r);
  CHECK_EQ_INT(rtc_media_ogg_open(p, 20, &r), RTC_EPARSE);
  CHECK_EQ_INT(rtc_media_ogg_open((const uint8_t *)"hello", 5, &r), RTC_EPARSE);
  CHECK_EQ_INT(rtc_media_ogg_open(NULL, 0, &r), RTC_EPARSE);
  /* A page in the middle removed: libogg reports a hole, reading goes on. */
  size_t cut_from = 0, cut_to = 0, pages = 0;
  for (size_t i = 0; i + 4 <= len; i++)
    if (!memcmp(p + i, "OggS", 4)) {
      pages++;
      if (pages == 4) cut_from = i;
      if (pages == 5) cut_to = i;
    }
  CHECK(cut_to > cut_from);
  uint8_t *q = malloc(len);
  memcpy(q, p, cut_from);
  memcpy(q + cut_from, p + cut_to, len - cut_to);
  CHECK_EQ_INT(rtc_media_ogg_open(q, cut_from + len - cut_to, &r), 0);
  if (r) {
    CHECK_EQ_INT(rtc_media_ogg_info(r)->holes, 1);
    CHECK(rtc_media_ogg_info(r)->packets < 101);
    rtc_media_track_t t = rtc_media_ogg_track(r);
    /* Times still come from the granules: the last page's packets end where the
     * stream ends (after a hole, the end trim cannot be told from a lost packet, so
     * they may sit up to one packet early). */
    uint64_t last = t.frames[t.count - 1].pts;
    CHECK(last <= 96000 && last + 960 > 96000);
    for (size_t i = 1; i < t.count; i++)
      CHECK(t.frames[i].pts > t.frames[i - 1].pts);
  }
  rtc_media_ogg_close(r);
  free(q);
  free(p);
}

int main(void) {
  RUN_TEST(test_toc_durations);
  RUN_TEST(test_read_clip);
  RUN_TEST(test_writer_round_trip);
  RUN_TEST(test_gap_kept);
  RUN_TEST(test_killed_recording);
  RUN_TEST(test_cut_and_hostile);
  TEST_MAIN_END();
}
