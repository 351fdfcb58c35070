// libFuzzer target for the pc's media input after SRTP (rtc__pc_rtp_input and
// rtc__pc_rtcp_input: demux by MID/SSRC/PT, the rtp receive side, RTCP SR/RR/NACK/
// PLI/FIR handling). A pc that added audio + video transceivers has answered a real
// Chromium audio/video offer (both sendrecv); the fuzz input is a series of packets
// (1 byte: bit 0 = RTCP, 2-byte big-endian length, the bytes), the virtual clock moving
// 5 ms between them. Nothing may crash or leak.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc/rtc_pc_media_internal.h"

static char *offer_text;

static void load_offer(void) {
  FILE *f = fopen("tests/fixtures/sdp/chromium-156-offer-audio-video-datachannel.sdp", "rb");
  if (!f) abort();
  offer_text = calloc(1, 65536);
  fread(offer_text, 1, 65535, f);
  fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!offer_text) load_offer();
  uint64_t now = 1000000;
  rtc_pc_t *pc = rtc_pc_create(NULL, now);
  if (!pc) return 0;
  rtc_tr_init_t ai, vi;
  rtc_tr_init_defaults(&ai, RTC_MEDIA_AUDIO);
  rtc_tr_init_defaults(&vi, RTC_MEDIA_VIDEO);
  rtc_tr_t *a = rtc_pc_add_transceiver(pc, &ai), *v = rtc_pc_add_transceiver(pc, &vi);
  char *answer = NULL;
  if (!a || !v || rtc_pc_set_remote_description(pc, RTC_SDP_OFFER, offer_text) != 0 ||
      rtc_pc_create_answer(pc, &answer) != 0 ||
      rtc_pc_set_local_description(pc, RTC_SDP_ANSWER, answer) != 0)
    abort();
  free(answer);
  rtc_tr_set_frame_events(v, true);
  rtc_tr_set_rtp_events(a, true);
  while (size >= 3) {
    bool rtcp = data[0] & 1;
    size_t len = ((size_t)data[1] << 8) | data[2];
    data += 3;
    size -= 3;
    if (len > size) len = size;
    pc->now_us = now;
    if (rtcp)
      rtc__pc_rtcp_input(pc, data, len);
    else
      rtc__pc_rtp_input(pc, data, len);
    data += len;
    size -= len;
    now += 5000;
    rtc_pc_handle_timeout(pc, now);
    rtc_transmit_t tx;
    while (rtc_pc_poll_transmit(pc, &tx)) {
    }
    rtc_pc_event_t ev;
    while (rtc_pc_poll_event(pc, &ev)) {
    }
  }
  rtc_tr_unref(a);
  rtc_tr_unref(v);
  rtc_pc_destroy(pc);
  return 0;
}
