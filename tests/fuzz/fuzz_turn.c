// libFuzzer target for the ICE-server side of gathering: the first bytes pick an ICE
// server URL (parsed by rtc_turn_url_parse), the rest are datagrams "from the server"
// handed to a gatherer with requests in flight, with timeouts in between. Nothing may
// crash or read out of bounds; the gatherer must stay consistent (done eventually).
// The same datagrams go to a TURN client (RFC 8656) with a request in flight (its
// transaction id patched in), with a peer and wraps in between: it must never hand
// out data outside the datagram, and end idle or allocated. The client asks for the
// relayed address family the input's length picks (IPv4, IPv6 or both: RFC 8656
// REQUESTED-/ADDITIONAL-ADDRESS-FAMILY, ADDRESS-ERROR-CODE, two XOR-RELAYED-ADDRESSes),
// with an IPv4 and an IPv6 peer.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/rtc_err.h"
#include "base/rtc_time.h"
#include "ice/rtc_stun.h"
#include "turn/rtc_turn_chan.h"
#include "turn/rtc_turn_client.h"
#include "turn/rtc_turn_framer.h"
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

  /* The same bytes as a TCP/TLS stream from a TURN server (RFC 8656 12.5). */
  rtc_turn_framer_t *fr = rtc_turn_framer_create();
  if (!fr) return 0;
  for (size_t off = 0; off < size;) {
    size_t step = 1 + data[off] % 97;
    if (step > size - off) step = size - off;
    off += rtc_turn_framer_push(fr, data + off, step);
    const uint8_t *m;
    size_t ml;
    int r;
    while ((r = rtc_turn_framer_next(fr, &m, &ml)) == 1)
      if (ml < 4 || ml > RTC_TURN_FRAMER_MAX) abort();
    if (r < 0) break;
  }
  rtc_turn_framer_destroy(fr);

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
  rtc_turn_client_config_t cc = {.username = "u", .password = "p",
                                 .family = (rtc_turn_family_t)(size % 3)};
  cc.local = local;
  cc.server = s1;
  rtc_turn_client_t *c = rtc_turn_client_create(&cc, now);
  if (!c) {
    rtc_turn_gather_destroy(g);
    return 0;
  }
  rtc_addr_t peer, peer6;
  rtc_addr_set(&peer, "198.51.100.7", 9);
  rtc_addr_set(&peer6, "2001:db8::7", 9);
  uint8_t ctid[RTC_STUN_TID_LEN] = {0};
  while (rtc_turn_client_poll_transmit(c, &tx))
    memcpy(ctid, tx.data + 8, RTC_STUN_TID_LEN);
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
    if (n >= 20 && (buf[0] & 1)) memcpy(buf + 8, ctid, RTC_STUN_TID_LEN);
    rtc_addr_t from;
    const uint8_t *d = NULL;
    size_t dl = 0;
    if (rtc_turn_client_handle_datagram(c, now, &s1, buf, n, &from, &d, &dl) ==
            RTC_TURN_CLIENT_DATA &&
        (d < buf || d + dl > buf + n))
      abort();
    rtc_turn_client_add_peer(c, now, &peer);
    rtc_turn_client_add_peer(c, now, &peer6);
    rtc_transmit_t w;
    (void)rtc_turn_client_wrap(c, now, &peer, buf, n, &w);
    (void)rtc_turn_client_wrap(c, now, &peer6, buf, n, &w);
    /* A relayed address of each family at most, never a stand-in. */
    const rtc_addr_t *r4 = rtc_turn_client_relayed_for(c, AF_INET);
    const rtc_addr_t *r6 = rtc_turn_client_relayed_for(c, AF_INET6);
    if ((r4 && !rtc_turn_client_is_relayed(c, r4)) || (r6 && !rtc_turn_client_is_relayed(c, r6)) ||
        (r4 && r6 && r4 == r6))
      abort();
    rtc_turn_client_handle_timeout(c, now);
    rtc_turn_client_event_t cev;
    while (rtc_turn_client_poll_event(c, &cev)) {
    }
    while (rtc_turn_client_poll_transmit(c, &tx))
      memcpy(ctid, tx.data + 8, RTC_STUN_TID_LEN);
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
  rtc_turn_client_state_t st = rtc_turn_client_state(c);
  if (st == RTC_TURN_CLIENT_ALLOCATING && rtc_turn_client_poll_timeout(c) == RTC_NEVER) abort();
  rtc_turn_client_close(c, now);
  if (rtc_turn_client_poll_timeout(c) != RTC_NEVER) abort();
  rtc_turn_client_destroy(c);
  return 0;
}
