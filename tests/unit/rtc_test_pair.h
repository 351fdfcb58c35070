/* Two peer connections wired back to back in memory, on a virtual clock: the loop the pc
 * tests share. Each test keeps its own side state and event handling; this moves the
 * datagrams and the time. */
#ifndef RTC_TEST_PAIR_H
#define RTC_TEST_PAIR_H
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "base/rtc_time.h"
#include "pc/rtc_pc.h"
#include "sctp/rtc_sctp.h"

typedef struct rtc_test_pair {
  rtc_pc_t *pc[2];
  rtc_addr_t *addr[2];
  uint64_t *now_us;
  /* Called after each side's datagrams have moved, to take its events (side 0 or 1). */
  void (*drain)(void *ctx, int side);
  /* When set, decides the fate of each datagram (false: lost); from: 0 or 1. */
  bool (*filter)(void *ctx, int from, const uint8_t *p, size_t len);
  void *ctx;
} rtc_test_pair_t;

/* The io layer's part of gathering: one host address, then done. */
static inline void rtc_test_pair_gather(rtc_pc_t *pc, const rtc_addr_t *addr) {
  if (!rtc_pc_poll_gather(pc)) return;
  rtc_pc_add_local_address(pc, addr);
  rtc_pc_set_gathering_done(pc);
}

/* Moves datagrams between the two until quiet, then jumps the clock to the next timer,
 * for duration_us of virtual time. Datagrams to any other address are lost. */
static inline void rtc_test_pair_run(rtc_test_pair_t *p, uint64_t duration_us) {
  uint64_t *now = p->now_us, end = *now + duration_us;
  static uint8_t copy[65536]; /* handle_datagram may decrypt in place */
  while (*now < end) {
    bool moved = false;
    for (int i = 0; i < 2; i++) {
      rtc_test_pair_gather(p->pc[i], p->addr[i]);
      rtc_transmit_t tx;
      while (rtc_pc_poll_transmit(p->pc[i], &tx)) {
        int to = 1 - i;
        if (!rtc_addr_equal(&tx.remote, p->addr[to])) continue;
        if (p->filter && !p->filter(p->ctx, i, tx.data, tx.len)) continue;
        memcpy(copy, tx.data, tx.len);
        rtc_pc_handle_datagram(p->pc[to], *now, p->addr[to], p->addr[i], copy, tx.len);
        moved = true;
      }
      if (p->drain) p->drain(p->ctx, i);
    }
    if (moved) continue;
    uint64_t next = rtc_time_min(rtc_pc_poll_timeout(p->pc[0]), rtc_pc_poll_timeout(p->pc[1]));
    next = rtc_time_min(next, rtc_sctp_global_poll_timeout(*now));
    if (next == RTC_NEVER || next > end) next = end;
    if (next > *now) *now = next;
    rtc_sctp_global_handle_timeout(*now);
    rtc_pc_handle_timeout(p->pc[0], *now);
    rtc_pc_handle_timeout(p->pc[1], *now);
  }
}

#endif
