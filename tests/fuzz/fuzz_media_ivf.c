// libFuzzer target for the IVF reader: index any bytes, read every frame (inside
// the input), write what was read with the IVF writer and read it back identical,
// and pace the track with keyframe requests.
//
// Build: see tests/fuzz/build.sh (make fuzz); seeds: tests/fixtures/media.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "media/rtc_media_ivf.h"
#include "media/rtc_media_pacer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  rtc_media_ivf_reader_t *r = NULL;
  if (rtc_media_ivf_open(data, size, &r) != 0) return 0;
  const rtc_media_ivf_info_t *in = rtc_media_ivf_info(r);
  rtc_media_ivf_writer_t *w = NULL;
  if (rtc_media_ivf_writer_create(in->fourcc, in->width, in->height, in->tb_num, in->tb_den, &w))
    abort();
  size_t written = 0;
  for (size_t i = 0; i < in->frames; i++) {
    rtc_media_frame_t f;
    if (rtc_media_ivf_frame(r, i, &f) != 0) abort();
    if (f.data < data || f.data + f.len > data + size) abort();
    if (f.len && rtc_media_ivf_writer_write(w, f.data, f.len, f.pts) == 0) written++;
  }
  const uint8_t *out;
  size_t out_len = rtc_media_out_peek(rtc_media_ivf_writer_out(w), &out);
  rtc_media_ivf_reader_t *r2 = NULL;
  if (rtc_media_ivf_open(out, out_len, &r2) != 0) abort();
  if (rtc_media_ivf_info(r2)->frames != written) abort();
  for (size_t i = 0, j = 0; i < in->frames; i++) {
    rtc_media_frame_t a, b;
    rtc_media_ivf_frame(r, i, &a);
    if (!a.len) continue;
    if (rtc_media_ivf_frame(r2, j++, &b) != 0) abort();
    if (a.len != b.len || a.pts != b.pts || memcmp(a.data, b.data, a.len) != 0) abort();
  }
  rtc_media_track_t t = rtc_media_ivf_track(r);
  rtc_media_pacer_t p;
  if (rtc_media_pacer_init(&p, &t, 0, size & 1) == 0) {
    rtc_media_due_t d;
    uint64_t now = 0;
    long polls = 0;
    for (int k = 0; k < 200 && polls < 100000; k++) {
      while (polls++ < 100000 && rtc_media_pacer_poll(&p, now, &d))
        if (d.index >= t.count || d.due_us > now) abort();
      if (k % 17 == 3) rtc_media_pacer_request_keyframe(&p);
      uint64_t dl = rtc_media_pacer_deadline(&p);
      if (dl == UINT64_MAX) break;
      now = dl > now ? dl : now + 1;
    }
  }
  rtc_media_ivf_close(r2);
  rtc_media_ivf_writer_destroy(w);
  rtc_media_ivf_close(r);
  return 0;
}
