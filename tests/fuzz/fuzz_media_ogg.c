// libFuzzer target for the Ogg Opus reader: read any bytes through libogg and our
// OpusHead/granule logic, check every packet, write the packets the writer accepts
// and read them back identical (same bytes, pts never earlier).
//
// Build: see tests/fuzz/build.sh (make fuzz); seeds: tests/fixtures/media.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "media/rtc_media_ogg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  rtc_media_ogg_reader_t *r = NULL;
  if (rtc_media_ogg_open(data, size, &r) != 0) return 0;
  const rtc_media_ogg_info_t *in = rtc_media_ogg_info(r);
  rtc_media_ogg_writer_config_t cfg = {.channels = in->channels <= 2 ? in->channels : 2,
                                       .pre_skip = in->pre_skip};
  rtc_media_ogg_writer_t *w = NULL;
  if (rtc_media_ogg_writer_create(&cfg, &w) != 0) abort();
  size_t accepted = 0;
  for (size_t i = 0; i < in->packets; i++) {
    rtc_media_frame_t f;
    if (rtc_media_ogg_frame(r, i, &f) != 0) abort();
    if (f.duration > 5760) abort();
    if (rtc_media_ogg_writer_write(w, f.data, f.len, f.pts) == 0) accepted++;
  }
  if (rtc_media_ogg_writer_finish(w) != 0) abort();
  const uint8_t *out;
  size_t out_len = rtc_media_out_peek(rtc_media_ogg_writer_out(w), &out);
  rtc_media_ogg_reader_t *r2 = NULL;
  if (rtc_media_ogg_open(out, out_len, &r2) != 0) abort();
  if (rtc_media_ogg_info(r2)->packets != accepted) abort();
  uint64_t last = 0;
  for (size_t i = 0, j = 0; i < in->packets; i++) {
    rtc_media_frame_t a, b;
    rtc_media_ogg_frame(r, i, &a);
    if (rtc_media_opus_packet_duration(a.data, a.len) == 0 || a.len > 65536) continue;
    if (rtc_media_ogg_frame(r2, j++, &b) != 0) abort();
    if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0) abort();
    if (b.pts < last) abort(); /* written granules never go back */
    last = b.pts;
  }
  rtc_media_ogg_close(r2);
  rtc_media_ogg_writer_destroy(w);
  rtc_media_ogg_close(r);
  return 0;
}
