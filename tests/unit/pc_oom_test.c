/* Out of memory anywhere in the core: two peer connections connect in memory, open a
 * channel, exchange messages and close, while the Nth allocation made by luartc's own
 * code fails, for every N over the sequence (a stride past the first few hundred; every
 * N with RTC_OOM_ALL=1). Nothing may crash (ASan in make asan-test), and after teardown
 * every block our code allocated is freed again: the same live count as a clean run.
 *
 * The failing allocator and the block count: rtc_test_oom.h. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/rtc_err.h"
#include "base/rtc_log.h"
#include "base/rtc_time.h"
#include "pc/rtc_pc.h"
#include "rtc_test.h"
#include "rtc_test_pair.h"
#include "rtc_test_oom.h"
#include "sctp/rtc_sctp.h"

/* ---- two sides in memory (as pc_test.c), tolerant of every failure ---- */

typedef struct side {
  rtc_pc_t *pc;
  rtc_addr_t addr;
  int messages, opens;
  rtc_dc_t *remote_dc;
  char cands[8][256];
  int n_cands;
} side_t;

static uint64_t now_us = 1000000;

static void drain(side_t *s) {
  rtc_pc_event_t ev;
  while (rtc_pc_poll_event(s->pc, &ev)) {
    switch (ev.type) {
    case RTC_PC_EVENT_ICE_CANDIDATE:
      if (ev.candidate && s->n_cands < 8)
        snprintf(s->cands[s->n_cands++], sizeof s->cands[0], "%s", ev.candidate);
      break;
    case RTC_PC_EVENT_DATACHANNEL:
      rtc_dc_unref(s->remote_dc);
      s->remote_dc = ev.dc; /* the event's reference is ours */
      break;
    case RTC_PC_EVENT_DC_OPEN: s->opens++; break;
    case RTC_PC_EVENT_DC_MESSAGE:
      if (!ev.dc || (ev.len && !ev.data)) abort(); /* a half-built event reached us */
      s->messages++;
      break;
    default: break;
    }
  }
}

static void drain_side(void *ctx, int i) { drain(((side_t **)ctx)[i]); }

static void run(side_t *a, side_t *b, uint64_t duration_us) {
  side_t *sides[2] = {a, b};
  rtc_test_pair_t p = {{a->pc, b->pc}, {&a->addr, &b->addr}, &now_us, drain_side, NULL, sides};
  rtc_test_pair_run(&p, duration_us);
}

static void gather(side_t *s) { rtc_test_pair_gather(s->pc, &s->addr); }

typedef struct outcome {
  bool connected;
  int messages;
  uint64_t dropped;
} outcome_t;

/* The whole sequence; any step may fail with an error (never crash). */
static outcome_t sequence(void) {
  outcome_t o = {0};
  side_t a = {0}, b = {0};
  rtc_addr_set(&a.addr, "10.0.0.1", 1000);
  rtc_addr_set(&b.addr, "10.0.0.2", 2000);
  a.pc = rtc_pc_create(NULL, now_us);
  b.pc = rtc_pc_create(NULL, now_us);
  rtc_dc_t *dc = NULL;
  char *offer = NULL, *answer = NULL;
  if (!a.pc || !b.pc) goto done;
  rtc_dc_init_t init;
  rtc_dc_init_defaults(&init);
  init.label = "chat";
  dc = rtc_pc_create_data_channel(a.pc, &init);
  if (!dc || rtc_pc_create_offer(a.pc, false, &offer) != 0 ||
      rtc_pc_set_local_description(a.pc, RTC_SDP_OFFER, offer) != 0 ||
      rtc_pc_set_remote_description(b.pc, RTC_SDP_OFFER, offer) != 0 ||
      rtc_pc_create_answer(b.pc, &answer) != 0 ||
      rtc_pc_set_local_description(b.pc, RTC_SDP_ANSWER, answer) != 0 ||
      rtc_pc_set_remote_description(a.pc, RTC_SDP_ANSWER, answer) != 0)
    goto done;
  gather(&a);
  gather(&b);
  drain(&a);
  drain(&b);
  for (int i = 0; i < a.n_cands; i++)
    rtc_pc_add_ice_candidate(b.pc, a.cands[i], "0", 0);
  for (int i = 0; i < b.n_cands; i++)
    rtc_pc_add_ice_candidate(a.pc, b.cands[i], "0", 0);
  run(&a, &b, RTC_MS(300));
  for (int i = 0; i < 5; i++) {
    rtc_dc_send(dc, false, (const uint8_t *)"hello", 5);
    if (b.remote_dc) rtc_dc_send(b.remote_dc, true, (const uint8_t *)"echo", 4);
    run(&a, &b, RTC_MS(20));
  }
  rtc_dc_close(dc);
  run(&a, &b, RTC_MS(100));
  o.connected = rtc_pc_connection_state(a.pc) == RTC_CONNECTION_CONNECTED;
  o.messages = a.messages + b.messages;
  rtc_pc_close(a.pc);
  run(&a, &b, RTC_MS(50));
done:;
  rtc_pc_stats_t st;
  if (a.pc) rtc_pc_get_stats(a.pc, &st), o.dropped += st.events_dropped;
  if (b.pc) rtc_pc_get_stats(b.pc, &st), o.dropped += st.events_dropped;
  free(offer);
  free(answer);
  rtc_dc_unref(dc);
  rtc_dc_unref(b.remote_dc);
  rtc_pc_destroy(a.pc);
  rtc_pc_destroy(b.pc);
  return o;
}

static void quiet(rtc_log_level_t level, const char *module, const char *line, void *ud) {}

static void test_every_allocation_may_fail(void) {
  rtc_log_set_sink(quiet, NULL); /* thousands of "out of memory" lines otherwise */
  rtc_test_oom_fail_at = -1;
  outcome_t clean = sequence(); /* warms the process-wide state (usrsctp, certificates) */
  CHECK(clean.connected);
  CHECK_EQ_INT(clean.messages, 10);
  CHECK_EQ_INT(clean.dropped, 0);
  long base = rtc_test_oom_live;
  rtc_test_oom_count = 0;
  sequence();
  long total = rtc_test_oom_count;
  CHECK_EQ_INT(rtc_test_oom_live, base);
  bool all = getenv("RTC_OOM_ALL") != NULL;
  long runs = 0, leaks = 0, connected = 0, dropped_runs = 0;
  for (long n = 0; n < total; n += (all || n < 300) ? 1 : 7) {
    rtc_test_oom_count = 0;
    rtc_test_oom_failed = 0;
    rtc_test_oom_fail_at = n;
    outcome_t o = sequence();
    rtc_test_oom_fail_at = -1;
    runs++;
    if (o.connected) connected++;
    if (o.dropped) dropped_runs++;
    if (rtc_test_oom_live != base) {
      if (leaks++ < 5)
        fprintf(stderr, "  allocation %ld failing leaves %ld block(s)\n", n, rtc_test_oom_live - base);
      base = rtc_test_oom_live; /* report each leaking N once */
    }
  }
  printf("  %ld allocations in a clean sequence; %ld runs with one failing: %ld connected "
         "anyway, %ld dropped an event (counted), %ld leaked\n",
         total, runs, connected, dropped_runs, leaks);
  CHECK(total > 100);
  CHECK_EQ_INT(leaks, 0);
  CHECK(dropped_runs > 0); /* the event queue's out-of-memory path was exercised */
  rtc_log_set_sink(NULL, NULL);
}

int main(void) {
  RUN_TEST(test_every_allocation_may_fail);
  TEST_MAIN_END();
}
