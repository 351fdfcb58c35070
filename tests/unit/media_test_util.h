/* Helpers for the media tests: fixtures, temp files, and ffmpeg as the independent
 * decoder that judges what our writers produce. */
#ifndef MEDIA_TEST_UTIL_H
#define MEDIA_TEST_UTIL_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "media/rtc_media.h"

#define MEDIA_FIXTURES "tests/fixtures/media/"

static inline uint8_t *media_load(const char *name, size_t *len) {
  char path[256];
  snprintf(path, sizeof path, MEDIA_FIXTURES "%s", name);
  uint8_t *p = NULL;
  if (rtc_media_load_file(path, 0, &p, len) != 0) {
    fprintf(stderr, "  cannot read %s (run from the repository root)\n", path);
    return NULL;
  }
  return p;
}

/* Writes everything the writer queued (in uneven chunks, as a non-blocking sink
 * would) to f. */
static inline void media_drain(rtc_media_out_t *o, FILE *f, uint8_t **mem, size_t *mem_len) {
  const uint8_t *p;
  size_t n;
  size_t chunk = 1;
  while ((n = rtc_media_out_peek(o, &p)) > 0) {
    if (n > chunk) n = chunk;
    if (f) fwrite(p, 1, n, f);
    if (mem) {
      *mem = realloc(*mem, *mem_len + n);
      memcpy(*mem + *mem_len, p, n);
      *mem_len += n;
    }
    rtc_media_out_consume(o, n);
    chunk = chunk * 3 + 7;
  }
}

static inline int media_write_file(const char *path, const uint8_t *p, size_t len) {
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  size_t w = fwrite(p, 1, len, f);
  return fclose(f) == 0 && w == len ? 0 : -1;
}

/* Runs `ffmpeg -v error -i path -f null -`: 0 when it exits 0 and prints nothing.
 * What it printed goes to stderr. */
static inline int media_ffmpeg_run(const char *path, int quiet) {
  char cmd[512];
  snprintf(cmd, sizeof cmd, "ffmpeg -nostdin -v error -i '%s' -f null - 2>&1", path);
  FILE *pp = popen(cmd, "r");
  if (!pp) return -1;
  char line[512];
  int printed = 0;
  while (fgets(line, sizeof line, pp)) {
    if (!quiet) fprintf(stderr, "  ffmpeg: %s", line);
    printed++;
  }
  int rc = pclose(pp);
  if (rc != 0 && !quiet)
    fprintf(stderr, "  ffmpeg exit status %d (is ffmpeg installed? tools/deps.sh)\n", rc);
  return rc == 0 && printed == 0 ? 0 : -1;
}

static inline int media_ffmpeg_clean(const char *path) { return media_ffmpeg_run(path, 0); }

/* Frames ffmpeg decodes from path (ffprobe -count_frames), -1 on error. */
static inline long media_ffprobe_frames(const char *path) {
  char cmd[512];
  snprintf(cmd, sizeof cmd,
           "ffprobe -v error -count_frames -select_streams 0 -show_entries "
           "stream=nb_read_frames -of csv=p=0 '%s' 2>/dev/null",
           path);
  FILE *pp = popen(cmd, "r");
  if (!pp) return -1;
  long n = -1;
  if (fscanf(pp, "%ld", &n) != 1) n = -1;
  pclose(pp);
  return n;
}

static inline void media_tmp_path(char *buf, size_t cap, const char *suffix) {
  snprintf(buf, cap, "/tmp/luartc-media-%d-%s", (int)getpid(), suffix);
}

#endif
