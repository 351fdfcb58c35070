/* RFC 4733 telephone-events: the payload read and written, tones, and the receive
 * rule (each event once) on what Chromium 156's RTCDTMFSender sent to luartc. */
#include <stdlib.h>

#include "base/rtc_err.h"
#include "rtp/rtc_rtp_dtmf.h"
#include "rtc_test.h"

/* Captured in the chromium/dtmf-peer-sends interop run (insertDTMF('159#*D', 120, 80)):
 * payload type 126 (telephone-event/8000 beside Opus), each event's end sent three
 * times with the marker set, timestamps on the 48 kHz Opus timeline, duration 960
 * (120 ms at 8 kHz), volume 10. No update packets came before the ends. */
static const struct {
  uint32_t ts;
  const char *payload;
} chromium[] = {
    {2315443961u, "\x01\x8a\x03\xc0"}, {2315443961u, "\x01\x8a\x03\xc0"},
    {2315443961u, "\x01\x8a\x03\xc0"}, {2315457401u, "\x05\x8a\x03\xc0"},
    {2315457401u, "\x05\x8a\x03\xc0"}, {2315457401u, "\x05\x8a\x03\xc0"},
    {2315470841u, "\x09\x8a\x03\xc0"}, {2315470841u, "\x09\x8a\x03\xc0"},
    {2315470841u, "\x09\x8a\x03\xc0"}, {2315484281u, "\x0b\x8a\x03\xc0"},
    {2315484281u, "\x0b\x8a\x03\xc0"}, {2315484281u, "\x0b\x8a\x03\xc0"},
    {2315498681u, "\x0a\x8a\x03\xc0"}, {2315498681u, "\x0a\x8a\x03\xc0"},
    {2315498681u, "\x0a\x8a\x03\xc0"}, {2315512121u, "\x0f\x8a\x03\xc0"},
    {2315512121u, "\x0f\x8a\x03\xc0"}, {2315512121u, "\x0f\x8a\x03\xc0"},
};

static void test_chromium_events(void) {
  rtc_rtp_dtmf_rx_t rx = {0};
  char heard[16] = "";
  size_t nh = 0;
  for (size_t i = 0; i < sizeof chromium / sizeof chromium[0]; i++) {
    rtc_rtp_dtmf_t ev;
    CHECK_EQ_INT(rtc_rtp_dtmf_parse((const uint8_t *)chromium[i].payload, 4, &ev), 0);
    CHECK(ev.end);
    CHECK_EQ_INT(ev.volume, 10);
    CHECK_EQ_INT(ev.duration, 960);
    rtc_rtp_dtmf_report_t out[2];
    size_t n = rtc_rtp_dtmf_rx_handle(&rx, chromium[i].ts, &ev, out);
    CHECK_EQ_INT(n, i % 3 == 0 ? 1 : 0); /* the first end of each event, once */
    for (size_t k = 0; k < n && nh < 15; k++) {
      heard[nh++] = rtc_rtp_dtmf_tone(out[k].event);
      CHECK_EQ_INT(out[k].duration, 960);
    }
  }
  heard[nh] = 0;
  CHECK_STR(heard, "159#*D");
}

static void test_payload(void) {
  rtc_rtp_dtmf_t ev = {.event = 11, .end = true, .volume = 63, .duration = 0xFFFF}, back;
  uint8_t p[4];
  rtc_rtp_dtmf_write(p, &ev);
  CHECK(p[0] == 11 && p[1] == 0xBF && p[2] == 0xFF && p[3] == 0xFF);
  CHECK_EQ_INT(rtc_rtp_dtmf_parse(p, 4, &back), 0);
  CHECK(back.event == 11 && back.end && back.volume == 63 && back.duration == 0xFFFF);
  p[1] = 0x4A; /* the reserved bit is ignored (2.3.3) */
  CHECK_EQ_INT(rtc_rtp_dtmf_parse(p, 4, &back), 0);
  CHECK(!back.end && back.volume == 10);
  CHECK_EQ_INT(rtc_rtp_dtmf_parse(p, 3, &back), RTC_EPARSE);
  CHECK_EQ_INT(rtc_rtp_dtmf_parse(NULL, 4, &back), RTC_EPARSE);
  p[0] = 16; /* flash, not DTMF (RFC 4734) */
  CHECK_EQ_INT(rtc_rtp_dtmf_parse(p, 4, &back), RTC_EPARSE);
  uint8_t two[8] = {1, 0x0a, 0, 160, 2, 0x8a, 1, 64}; /* more than one event: the first */
  CHECK_EQ_INT(rtc_rtp_dtmf_parse(two, 8, &back), 0);
  CHECK_EQ_INT(back.event, 1);
}

static void test_tones(void) {
  const char *all = "0123456789*#ABCD";
  for (int i = 0; i < 16; i++) {
    CHECK_EQ_INT(rtc_rtp_dtmf_code(all[i]), i);
    CHECK_EQ_INT(rtc_rtp_dtmf_tone(i), all[i]);
  }
  CHECK_EQ_INT(rtc_rtp_dtmf_code('a'), 12);
  CHECK_EQ_INT(rtc_rtp_dtmf_code(','), -1);
  CHECK_EQ_INT(rtc_rtp_dtmf_code('E'), -1);
  CHECK_EQ_INT(rtc_rtp_dtmf_code(0), -1);
  CHECK_EQ_INT(rtc_rtp_dtmf_tone(16), 0);
  CHECK_EQ_INT(rtc_rtp_dtmf_tone(-1), 0);
}

static size_t feed(rtc_rtp_dtmf_rx_t *rx, uint32_t ts, int event, bool end, uint16_t duration,
                   rtc_rtp_dtmf_report_t out[2]) {
  rtc_rtp_dtmf_t ev = {.event = (uint8_t)event, .end = end, .volume = 10, .duration = duration};
  return rtc_rtp_dtmf_rx_handle(rx, ts, &ev, out);
}

static void test_rx_rules(void) {
  rtc_rtp_dtmf_rx_t rx = {0};
  rtc_rtp_dtmf_report_t out[2];
  /* updates, then the end: reported at the end with its duration */
  CHECK_EQ_INT(feed(&rx, 1000, 3, false, 0, out), 0);
  CHECK_EQ_INT(feed(&rx, 1000, 3, false, 960, out), 0);
  CHECK_EQ_INT(feed(&rx, 1000, 3, false, 480, out), 0); /* reordered update: kept longest */
  CHECK_EQ_INT(feed(&rx, 1000, 3, true, 1920, out), 1);
  CHECK(out[0].event == 3 && out[0].duration == 1920);
  CHECK_EQ_INT(feed(&rx, 1000, 3, true, 1920, out), 0); /* repeated end */
  /* an event whose end was lost: reported when the next one starts */
  CHECK_EQ_INT(feed(&rx, 5000, 4, false, 960, out), 0);
  CHECK_EQ_INT(feed(&rx, 9000, 5, true, 960, out), 2);
  CHECK(out[0].event == 4 && out[0].duration == 960 && out[1].event == 5);
  /* a late packet of an older event: dropped */
  CHECK_EQ_INT(feed(&rx, 5000, 4, true, 960, out), 0);
  /* a long event in two segments (2.5.2.3): one report, the durations added */
  CHECK_EQ_INT(feed(&rx, 20000, 7, false, 0xFFFF, out), 0);
  CHECK_EQ_INT(feed(&rx, 20000u + 0xFFFF, 7, false, 1000, out), 0);
  CHECK_EQ_INT(feed(&rx, 20000u + 0xFFFF, 7, true, 2000, out), 1);
  CHECK(out[0].event == 7 && out[0].duration == 0xFFFFu + 2000);
  /* timestamps wrap */
  rtc_rtp_dtmf_rx_t w = {0};
  CHECK_EQ_INT(feed(&w, 0xFFFFFF00u, 1, true, 800, out), 1);
  CHECK_EQ_INT(feed(&w, 0x100, 2, true, 800, out), 1);
  CHECK_EQ_INT(out[0].event, 2);
}

int main(void) {
  RUN_TEST(test_chromium_events);
  RUN_TEST(test_payload);
  RUN_TEST(test_tones);
  RUN_TEST(test_rx_rules);
  TEST_MAIN_END();
}
