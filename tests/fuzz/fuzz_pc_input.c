// libFuzzer target for rtc_pc_handle_datagram: a peer connection that has answered
// a real Chromium offer receives the fuzz input as a series of datagrams
// (2-byte big-endian length prefix each) from the offer's first candidate, with the
// virtual clock moving 10 ms between datagrams. Nothing may crash or leak.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc/rtc_pc.h"

static char *offer_text;

static void load_offer(void) {
  FILE *f = fopen("tests/fixtures/sdp/chromium-156-offer-datachannel.sdp", "rb");
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
  char *answer = NULL;
  if (rtc_pc_set_remote_description(pc, RTC_SDP_OFFER, offer_text) != 0 ||
      rtc_pc_create_answer(pc, &answer) != 0 ||
      rtc_pc_set_local_description(pc, RTC_SDP_ANSWER, answer) != 0)
    abort();
  free(answer);
  rtc_addr_t local, from;
  rtc_addr_set(&local, "127.0.0.1", 40000);
  rtc_addr_set(&from, "127.0.0.1", 43291);
  if (rtc_pc_poll_gather(pc)) {
    rtc_pc_add_local_address(pc, &local);
    rtc_pc_set_gathering_done(pc);
  }
  while (size >= 2) {
    size_t len = ((size_t)data[0] << 8) | data[1];
    data += 2;
    size -= 2;
    if (len > size) len = size;
    rtc_pc_handle_datagram(pc, now, &local, &from, data, len);
    data += len;
    size -= len;
    now += 10000;
    rtc_pc_handle_timeout(pc, now);
    rtc_transmit_t tx;
    while (rtc_pc_poll_transmit(pc, &tx)) {
    }
    rtc_pc_event_t ev;
    while (rtc_pc_poll_event(pc, &ev)) {
    }
  }
  rtc_pc_destroy(pc);
  return 0;
}
