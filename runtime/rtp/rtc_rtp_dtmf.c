/* RFC 4733 telephone-event payloads (DTMF). */
#include "rtp/rtc_rtp_dtmf.h"

#include <string.h>

#include "base/rtc_bytes.h"
#include "base/rtc_err.h"

static const char dtmf_tones[] = "0123456789*#ABCD";

int rtc_rtp_dtmf_code(char tone) {
  if (tone >= 'a' && tone <= 'd') tone = (char)(tone - 'a' + 'A');
  const char *p = tone ? strchr(dtmf_tones, tone) : NULL;
  return p ? (int)(p - dtmf_tones) : -1;
}

char rtc_rtp_dtmf_tone(int code) { return code >= 0 && code < 16 ? dtmf_tones[code] : 0; }

int rtc_rtp_dtmf_parse(const uint8_t *p, size_t len, rtc_rtp_dtmf_t *out) {
  if (!p || len < RTC_RTP_DTMF_LEN || p[0] > 15) return RTC_EPARSE;
  out->event = p[0];
  out->end = (p[1] & 0x80) != 0;
  out->volume = p[1] & 0x3F;
  out->duration = rtc_rd16(p + 2);
  return 0;
}

void rtc_rtp_dtmf_write(uint8_t out[RTC_RTP_DTMF_LEN], const rtc_rtp_dtmf_t *ev) {
  out[0] = ev->event;
  out[1] = (uint8_t)((ev->end ? 0x80 : 0) | (ev->volume & 0x3F));
  rtc_wr16(out + 2, ev->duration);
}

static rtc_rtp_dtmf_report_t dtmf_report(const rtc_rtp_dtmf_rx_t *rx) {
  rtc_rtp_dtmf_report_t r = {.event = rx->ev.event, .duration = rx->base + rx->ev.duration};
  return r;
}

size_t rtc_rtp_dtmf_rx_handle(rtc_rtp_dtmf_rx_t *rx, uint32_t ts, const rtc_rtp_dtmf_t *ev,
                              rtc_rtp_dtmf_report_t out[2]) {
  size_t n = 0;
  if (rx->have && rx->ts == ts) {
    if (rx->done) return 0; /* a repeated end, or a late packet of a reported event */
    if (ev->duration >= rx->ev.duration || ev->end) rx->ev = *ev;
  } else if (rx->have && !rx->done && ev->event == rx->ev.event && rx->ev.duration == 0xFFFF &&
             ts == rx->ts + 0xFFFFu) {
    rx->base += 0xFFFF; /* the next segment of a long event */
    rx->ts = ts;
    rx->ev = *ev;
  } else {
    /* A new event (2.5.2.1: a new timestamp). The previous one, if its end was lost,
     * is over now. A packet older than the current event's (reordered) is dropped. */
    if (rx->have && (int32_t)(ts - rx->ts) < 0) return 0;
    if (rx->have && !rx->done) out[n++] = dtmf_report(rx);
    rx->have = true;
    rx->done = false;
    rx->ts = ts;
    rx->base = 0;
    rx->ev = *ev;
  }
  if (rx->ev.end) {
    rx->done = true;
    out[n++] = dtmf_report(rx);
  }
  return n;
}
