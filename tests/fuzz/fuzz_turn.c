// libFuzzer target for the ICE-server side of gathering: the first bytes pick an ICE
// server URL (parsed by rtc_turn_url_parse), the rest are datagrams "from the server"
// handed to a gatherer with requests in flight, with timeouts in between. Nothing may
// crash or read out of bounds; the gatherer must stay consistent (done eventually).
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/rtc_err.h"
#include "base/rtc_time.h"
#include "ice/rtc_stun.h"
#include "turn/rtc_turn_chan.h"
#include "turn/rtc_turn_gather.h"
#include "turn/rtc_turn_url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* URL: up to the first NUL (at most 300 bytes). */
  size_t ul = 0;
  while (ul < size && ul < 300 && data[ul])
    ul++;
  char url[301];
  memcpy(url, data, ul);
  url[ul] = 0;
  rtc_turn_url_t u;
  (void)rtc_turn_url_parse(url, &u, NULL, 0);
  data += ul < size ? ul + 1 : ul;
  size -= ul < size ? ul + 1 : ul;

  rtc_turn_gather_t *g = rtc_turn_gather_create();
  if (!g) return 0;
  rtc_turn_gather_add_server(g, "stun:192.0.2.1:3478", NULL, NULL, NULL, 0);
  rtc_turn_gather_add_server(g, "turn:192.0.2.2:3478", "u", "p", NULL, 0);
  rtc_addr_t local, s1, s2;
  rtc_addr_set(&local, "10.0.0.2", 5000);
  rtc_addr_set(&s1, "192.0.2.1", 0);
  rtc_addr_set(&s2, "192.0.2.2", 0);
  uint64_t now = 1000;
  rtc_turn_gather_start(g, now);
  rtc_turn_gather_add_local(g, now, &local);
  rtc_turn_gather_set_server_addresses(g, now, 0, &s1, 1);
  rtc_turn_gather_set_server_addresses(g, now, 1, &s2, 1);
  uint8_t tids[8][RTC_STUN_TID_LEN];
  int ntid = 0;
  rtc_transmit_t tx;
  while (rtc_turn_gather_poll_transmit(g, &tx))
    if (ntid < 8) memcpy(tids[ntid++], tx.data + 8, RTC_STUN_TID_LEN);
  rtc_addr_set(&s1, "192.0.2.1", 3478);
  /* Datagrams: [len hi][len lo][bytes]; the transaction id of a request is patched in
   * when the datagram is long enough, so responses reach the parser. */
  while (size >= 2) {
    size_t n = ((size_t)data[0] << 8 | data[1]) % 1500;
    data += 2;
    size -= 2;
    if (n > size) n = size;
    uint8_t buf[1500];
    memcpy(buf, data, n);
    uint16_t ch;
    const uint8_t *cd;
    size_t cl;
    if (rtc_turn_channel_data_parse(buf, n, &ch, &cd, &cl) == 0 && cd + cl > buf + n) abort();
    if (n >= 20 && ntid) memcpy(buf + 8, tids[buf[0] % ntid], RTC_STUN_TID_LEN);
    rtc_turn_gather_handle_datagram(g, now, &local, &s1, buf, n);
    data += n;
    size -= n;
    now += 300000;
    rtc_turn_gather_handle_timeout(g, now);
    rtc_turn_gather_event_t ev;
    while (rtc_turn_gather_poll_event(g, &ev)) {
    }
    while (rtc_turn_gather_poll_transmit(g, &tx)) {
    }
  }
  /* Every transaction ends within its retransmission budget. */
  for (int i = 0; i < 64 && !rtc_turn_gather_is_done(g); i++) {
    uint64_t d = rtc_turn_gather_poll_timeout(g);
    if (d == RTC_NEVER) abort();
    rtc_turn_gather_handle_timeout(g, d);
  }
  if (!rtc_turn_gather_is_done(g)) abort();
  rtc_turn_gather_destroy(g);
  return 0;
}
