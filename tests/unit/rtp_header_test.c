/* RTP header codec (RFC 3550 5.1) and header extensions (RFC 8285), sequence and
 * timestamp unwrapping. Captured packets from tests/fixtures/rtp (GStreamer, ffmpeg). */
#include <stdlib.h>

#include "base/rtc_err.h"
#include "rtc_test.h"
#include "rtp/rtc_rtp.h"

static uint8_t *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *b = malloc((size_t)n);
  if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
    free(b);
    b = NULL;
  }
  fclose(f);
  *len = (size_t)n;
  return b;
}

/* First packet of vp8-gst.rtp: 80 60 4f32 19b07a2c 06b7be05, then the VP8 descriptor
 * 90 80 b3fa (X S, I, 15-bit picture id 0x33fa) and a keyframe (9d 01 2a start code). */
static void test_parse_captured_vp8(void) {
  size_t n;
  uint8_t *f = read_file("tests/fixtures/rtp/vp8-gst.rtp", &n);
  CHECK(f != NULL);
  if (!f) return;
  size_t len = (size_t)(f[0] << 8 | f[1]);
  CHECK_EQ_INT(len, 1200);
  rtc_rtp_header_t h;
  CHECK_EQ_INT(rtc_rtp_parse(f + 2, len, &h), 0);
  CHECK_EQ_INT(h.pt, 96);
  CHECK(!h.marker);
  CHECK_EQ_INT(h.seq, 0x4f32);
  CHECK_EQ_INT(h.ts, 0x19b07a2c);
  CHECK_EQ_INT(h.ssrc, 0x06b7be05);
  CHECK_EQ_INT(h.csrc_count, 0);
  CHECK(!h.has_ext);
  CHECK_EQ_INT(h.header_len, 12);
  CHECK_EQ_INT(h.payload_len, 1188);
  CHECK_EQ_INT(h.payload[0], 0x90);
  CHECK(!rtc_rtp_is_rtcp(f + 2, len));
  /* Every packet of every capture parses, and writing its header back gives the same
   * bytes. */
  const char *caps[] = {"vp8-gst",     "vp8-ffmpeg", "vp9-gst",    "h264-gst",
                        "h264-ffmpeg", "opus-gst",   "opus-ffmpeg"};
  for (size_t c = 0; c < sizeof caps / sizeof *caps; c++) {
    char path[128];
    snprintf(path, sizeof path, "tests/fixtures/rtp/%s.rtp", caps[c]);
    size_t fl;
    uint8_t *b = read_file(path, &fl);
    CHECK(b != NULL);
    if (!b) continue;
    int count = 0, bad = 0;
    for (size_t off = 0; off + 2 <= fl;) {
      size_t pl = (size_t)(b[off] << 8 | b[off + 1]);
      off += 2;
      if (off + pl > fl) break;
      rtc_rtp_header_t p;
      uint8_t out[1600];
      if (rtc_rtp_parse(b + off, pl, &p) != 0)
        bad++;
      else if (rtc_rtp_write(out, sizeof out, &p, p.payload, p.payload_len) != (int)pl ||
               memcmp(out, b + off, pl) != 0)
        bad++;
      count++;
      off += pl;
    }
    CHECK(count >= 60);
    CHECK_EQ_INT(bad, 0);
    free(b);
  }
  free(f);
}

/* RFC 8285 section 4.2 one-byte form: two elements, id 1 len 1 and id 3 len 3 (abs-send-
 * time-like), padded with a zero byte, plus one CSRC and 4 bytes of padding. */
static void test_one_byte_ext_csrc_padding(void) {
  /* clang-format off */
  const uint8_t pkt[] = {
      0xb1, 0xe0, 0x12, 0x34, 0, 0, 0x10, 0x00, 0xde, 0xad, 0xbe, 0xef, /* P X CC=1, M */
      0x01, 0x02, 0x03, 0x04,                                           /* CSRC */
      0xbe, 0xde, 0x00, 0x02,                                           /* 2 words */
      0x10, 0xaa,                                                       /* id 1, len 1 */
      0x32, 0x01, 0x02, 0x03,                                           /* id 3, len 3 */
      0x00, 0x00,                                                       /* padding */
      'h',  'i',                                                        /* payload */
      0x00, 0x00, 0x00, 0x04};                                          /* RTP padding */
  /* clang-format on */
  rtc_rtp_header_t h;
  CHECK_EQ_INT(rtc_rtp_parse(pkt, sizeof pkt, &h), 0);
  CHECK(h.marker);
  CHECK_EQ_INT(h.pt, 96);
  CHECK_EQ_INT(h.csrc_count, 1);
  CHECK_EQ_INT(h.csrc[0], 0x01020304);
  CHECK(h.has_ext);
  CHECK(!h.ext_two_byte);
  CHECK_EQ_INT(h.ext_count, 2);
  const rtc_rtp_ext_t *e = rtc_rtp_get_ext(&h, 3);
  CHECK(e && e->len == 3 && e->data[2] == 0x03);
  e = rtc_rtp_get_ext(&h, 1);
  CHECK(e && e->len == 1 && e->data[0] == 0xaa);
  CHECK(rtc_rtp_get_ext(&h, 2) == NULL);
  CHECK_EQ_INT(h.padding_len, 4);
  CHECK_EQ_INT(h.payload_len, 2);
  CHECK(memcmp(h.payload, "hi", 2) == 0);
  uint8_t out[64];
  CHECK_EQ_INT(rtc_rtp_write(out, sizeof out, &h, h.payload, h.payload_len), (int)sizeof pkt);
  CHECK(memcmp(out, pkt, sizeof pkt) == 0);
  /* Too small an output */
  CHECK_EQ_INT(rtc_rtp_write(out, 20, &h, h.payload, h.payload_len), RTC_ETOOBIG);
}

/* RFC 8285 section 4.3 two-byte form (0x100 + appbits): id 5 with 0 bytes, id 20 with
 * 2 bytes. Writing an id > 14 or an empty element selects the two-byte form. */
static void test_two_byte_ext(void) {
  rtc_rtp_header_t w;
  memset(&w, 0, sizeof w);
  w.pt = 111;
  w.seq = 65535;
  w.ts = 0xffffffff;
  w.ssrc = 42;
  const uint8_t two[2] = {0x12, 0x34};
  CHECK_EQ_INT(rtc_rtp_add_ext(&w, 5, NULL, 0), 0);
  CHECK_EQ_INT(rtc_rtp_add_ext(&w, 20, two, 2), 0);
  CHECK_EQ_INT(rtc_rtp_add_ext(&w, 0, two, 2), RTC_EINVAL);
  CHECK_EQ_INT(rtc_rtp_header_size(&w), 12 + 4 + 8);
  uint8_t out[64];
  int n = rtc_rtp_write(out, sizeof out, &w, (const uint8_t *)"x", 1);
  CHECK_EQ_INT(n, 25);
  /* clang-format off */
  const uint8_t want[] = {0x90, 111, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 42,
                          0x10, 0x00, 0x00, 0x02, 5, 0, 20, 2, 0x12, 0x34, 0, 0, 'x'};
  /* clang-format on */
  CHECK(memcmp(out, want, sizeof want) == 0);
  rtc_rtp_header_t h;
  CHECK_EQ_INT(rtc_rtp_parse(out, (size_t)n, &h), 0);
  CHECK(h.ext_two_byte);
  CHECK_EQ_INT(h.ext_count, 2);
  CHECK(rtc_rtp_get_ext(&h, 5) && rtc_rtp_get_ext(&h, 5)->len == 0);
  CHECK(rtc_rtp_get_ext(&h, 20) && rtc_rtp_get_ext(&h, 20)->data[1] == 0x34);
  /* The same ids fitting one-byte go out one-byte unless forced */
  rtc_rtp_header_t o;
  memset(&o, 0, sizeof o);
  rtc_rtp_add_ext(&o, 14, two, 2);
  CHECK_EQ_INT(rtc_rtp_write_header(out, sizeof out, &o), 20);
  CHECK_EQ_INT(out[12], 0xbe);
  CHECK_EQ_INT(out[16], 0xe1);
  o.ext_two_byte = true;
  CHECK_EQ_INT(rtc_rtp_write_header(out, sizeof out, &o), 20);
  CHECK_EQ_INT(out[12], 0x10);
  CHECK_EQ_INT(out[16], 14);
}

static void test_malformed(void) {
  uint8_t p[40] = {0x80, 96};
  rtc_rtp_header_t h;
  CHECK_EQ_INT(rtc_rtp_parse(p, 11, &h), RTC_EPARSE);
  CHECK_EQ_INT(rtc_rtp_parse(p, 12, &h), 0);
  p[0] = 0x40; /* version 1 */
  CHECK_EQ_INT(rtc_rtp_parse(p, 12, &h), RTC_EPARSE);
  p[0] = 0x8f; /* 15 CSRCs: 72 bytes needed */
  CHECK_EQ_INT(rtc_rtp_parse(p, 40, &h), RTC_EPARSE);
  p[0] = 0x90; /* X, block length 8 words */
  p[12] = 0xbe, p[13] = 0xde, p[14] = 0, p[15] = 8;
  CHECK_EQ_INT(rtc_rtp_parse(p, 40, &h), RTC_EPARSE);
  p[15] = 1; /* one word: element id 1 len 16 runs past it */
  p[16] = 0x1f;
  CHECK_EQ_INT(rtc_rtp_parse(p, 40, &h), RTC_EPARSE);
  p[16] = 0xf0; /* id 15 stops processing: fine */
  CHECK_EQ_INT(rtc_rtp_parse(p, 40, &h), 0);
  CHECK_EQ_INT(h.ext_count, 0);
  p[0] = 0xa0; /* padding count 0 */
  p[39] = 0;
  CHECK_EQ_INT(rtc_rtp_parse(p, 40, &h), RTC_EPARSE);
  p[39] = 29; /* more than follows the header */
  CHECK_EQ_INT(rtc_rtp_parse(p, 40, &h), RTC_EPARSE);
  p[39] = 28;
  CHECK_EQ_INT(rtc_rtp_parse(p, 40, &h), 0);
  CHECK_EQ_INT(h.payload_len, 0);
  const uint8_t rr[] = {0x80, 201, 0, 1, 0, 0, 0, 1};
  CHECK(rtc_rtp_is_rtcp(rr, sizeof rr));
}

static void test_seq_unwrap(void) {
  CHECK(rtc_rtp_seq_newer(1, 65535));
  CHECK(!rtc_rtp_seq_newer(65535, 1));
  CHECK_EQ_INT(rtc_rtp_seq_diff(2, 65534), 4);
  CHECK(rtc_rtp_ts_newer(5, 0xfffffff0u));
  rtc_rtp_seq_unwrapper_t u = {0};
  int64_t b = RTC_RTP_EXT_SEQ_BASE;
  CHECK_EQ_INT(rtc_rtp_seq_unwrap(&u, 65534), b + 65534);
  CHECK_EQ_INT(rtc_rtp_seq_unwrap(&u, 1), b + 65537);     /* wrapped forward */
  CHECK_EQ_INT(rtc_rtp_seq_unwrap(&u, 65535), b + 65535); /* reordered, before the wrap */
  CHECK_EQ_INT(u.highest, b + 65537);
  CHECK_EQ_INT(rtc_rtp_seq_unwrap(&u, 0), b + 65536);
  /* Walk three full wraps by 1000 */
  int64_t e = 0;
  for (uint32_t i = 0; i < 200; i++)
    e = rtc_rtp_seq_unwrap(&u, (uint16_t)(1 + 1000 * i));
  CHECK_EQ_INT(e, b + 65537 + 199000);
  rtc_rtp_ts_unwrapper_t t = {0};
  int64_t tb = RTC_RTP_EXT_TS_BASE;
  CHECK_EQ_INT(rtc_rtp_ts_unwrap(&t, 0xffffff00u), tb + 0xffffff00u);
  CHECK_EQ_INT(rtc_rtp_ts_unwrap(&t, 0x100), tb + 0x100000100ll);
  CHECK_EQ_INT(rtc_rtp_ts_unwrap(&t, 0xfffffff0u), tb + 0xfffffff0u);
}

int main(void) {
  RUN_TEST(test_parse_captured_vp8);
  RUN_TEST(test_one_byte_ext_csrc_padding);
  RUN_TEST(test_two_byte_ext);
  RUN_TEST(test_malformed);
  RUN_TEST(test_seq_unwrap);
  TEST_MAIN_END();
}
