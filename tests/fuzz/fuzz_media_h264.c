// libFuzzer target for the H.264 Annex-B reader: split any bytes into access units,
// read each (SPS/PPS insertion included): every AU inside the input or the reader's
// buffer, sizes adding up; walk NAL units; pace with keyframe requests.
//
// Build: see tests/fuzz/build.sh (make fuzz); seeds: tests/fixtures/media.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "media/rtc_media_h264.h"
#include "media/rtc_media_pacer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  size_t off = 0, nl, nals = 0;
  const uint8_t *nal;
  while (rtc_media_h264_next_nal(data, size, &off, &nal, &nl)) {
    if (nal < data || nal + nl > data + size) abort();
    if (++nals > size) abort();
  }
  rtc_media_h264_reader_t *r = NULL;
  if (rtc_media_h264_open(data, size, 30, 1, &r) != 0) return 0;
  rtc_media_track_t t = rtc_media_h264_track(r);
  size_t total = 0;
  for (size_t i = 0; i < t.count; i++) {
    rtc_media_frame_t f;
    if (rtc_media_h264_frame(r, i, &f) != 0) abort();
    if (f.len < t.frames[i].len) abort();
    if (!f.keyframe && f.len != t.frames[i].len) abort();
    if (f.len) (void)(volatile uint8_t)f.data[f.len - 1]; /* readable */
    if (t.frames[i].offset + t.frames[i].len > size) abort();
    total += t.frames[i].len;
  }
  if (total > size) abort();
  rtc_media_pacer_t p;
  if (rtc_media_pacer_init(&p, &t, 0, true) != 0) abort();
  rtc_media_due_t d;
  for (int k = 0; k < 100; k++) {
    if (!rtc_media_pacer_poll(&p, (uint64_t)k * 40000, &d)) continue;
    if (k % 9 == 4 && rtc_media_pacer_request_keyframe(&p)) {
      if (!rtc_media_pacer_poll(&p, UINT64_MAX - 1, &d) || !d.keyframe) abort();
    }
  }
  rtc_media_h264_close(r);
  return 0;
}
