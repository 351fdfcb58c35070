/* The pc's receive limit (config.max_receive_buffer): two pcs wired in memory on a
 * virtual clock, and an application on b that stops taking its events (a slow or
 * stuck script). b then holds at most the limit plus one message of undelivered
 * data, stops reading SCTP so a's sender waits (its bufferedAmount grows), and once
 * the application drains again every message arrives, in order, none lost. */
#include <stdlib.h>
#include <string.h>

#include "base/rtc_err.h"
#include "base/rtc_time.h"
#include "pc/rtc_pc.h"
#include "pc/rtc_pc_internal.h"
#include "rtc_test.h"
#include "rtc_test_pair.h"
#include "sctp/rtc_sctp.h"

typedef struct side {
  rtc_pc_t *pc;
  rtc_addr_t addr;
  bool draining; /* the application takes its events */
  int opens, datachannels, messages, order_errors;
  size_t max_queued;
  rtc_dc_t *remote_dc;
  char *cands[16];
  int n_cands;
} side_t;

static uint64_t now_us = 1000000;

static void side_init(side_t *s, const char *ip, uint16_t port, size_t max_receive_buffer) {
  memset(s, 0, sizeof(*s));
  rtc_pc_config_t cfg = {.max_receive_buffer = max_receive_buffer};
  s->pc = rtc_pc_create(&cfg, now_us);
  rtc_addr_set(&s->addr, ip, port);
  s->draining = true;
}

static void side_free(side_t *s) {
  rtc_dc_unref(s->remote_dc);
  for (int i = 0; i < s->n_cands; i++)
    free(s->cands[i]);
  rtc_pc_destroy(s->pc);
}

static void drain_events(side_t *s) {
  if (s->pc->ev_bytes > s->max_queued) s->max_queued = s->pc->ev_bytes;
  if (!s->draining) return;
  rtc_pc_event_t ev;
  while (rtc_pc_poll_event(s->pc, &ev)) {
    switch (ev.type) {
    case RTC_PC_EVENT_ICE_CANDIDATE:
      if (ev.candidate && s->n_cands < 16) s->cands[s->n_cands++] = strdup(ev.candidate);
      break;
    case RTC_PC_EVENT_DATACHANNEL:
      s->datachannels++;
      rtc_dc_unref(s->remote_dc);
      s->remote_dc = ev.dc; /* the event's reference is ours */
      break;
    case RTC_PC_EVENT_DC_OPEN: s->opens++; break;
    case RTC_PC_EVENT_DC_MESSAGE:
      if (ev.len < 4 || ev.data[0] != (uint8_t)s->messages) s->order_errors++;
      s->messages++;
      break;
    default: break;
    }
  }
}

static void drain_side(void *ctx, int i) { drain_events(((side_t **)ctx)[i]); }

static void run(side_t *a, side_t *b, uint64_t duration_us) {
  side_t *sides[2] = {a, b};
  rtc_test_pair_t p = {{a->pc, b->pc}, {&a->addr, &b->addr}, &now_us, drain_side, NULL, sides};
  rtc_test_pair_run(&p, duration_us);
}

static void gather(side_t *s) { rtc_test_pair_gather(s->pc, &s->addr); }

static void connect_pair(side_t *a, side_t *b) {
  char *offer = NULL, *answer = NULL;
  CHECK_EQ_INT(rtc_pc_create_offer(a->pc, false, &offer), 0);
  CHECK_EQ_INT(rtc_pc_set_local_description(a->pc, RTC_SDP_OFFER, offer), 0);
  CHECK_EQ_INT(rtc_pc_set_remote_description(b->pc, RTC_SDP_OFFER, offer), 0);
  CHECK_EQ_INT(rtc_pc_create_answer(b->pc, &answer), 0);
  CHECK_EQ_INT(rtc_pc_set_local_description(b->pc, RTC_SDP_ANSWER, answer), 0);
  CHECK_EQ_INT(rtc_pc_set_remote_description(a->pc, RTC_SDP_ANSWER, answer), 0);
  free(offer);
  free(answer);
  gather(a);
  gather(b);
  drain_events(a);
  drain_events(b);
  for (int i = 0; i < a->n_cands; i++)
    CHECK_EQ_INT(rtc_pc_add_ice_candidate(b->pc, a->cands[i], "0", 0), 0);
  for (int i = 0; i < b->n_cands; i++)
    CHECK_EQ_INT(rtc_pc_add_ice_candidate(a->pc, b->cands[i], "0", 0), 0);
}

static void test_receive_buffer_bounds_a_stuck_application(void) {
  enum { LIMIT = 256 * 1024, MSG = 32 * 1024, N = 200 };
  side_t a, b;
  side_init(&a, "10.0.0.1", 1000, 0);
  side_init(&b, "10.0.0.2", 2000, LIMIT);
  CHECK_EQ_INT(rtc_pc_config(b.pc)->max_receive_buffer, LIMIT);
  CHECK_EQ_INT(rtc_pc_config(a.pc)->max_receive_buffer, 8 * 1024 * 1024); /* the default */
  rtc_dc_init_t init;
  rtc_dc_init_defaults(&init);
  init.label = "bulk";
  rtc_dc_t *dc = rtc_pc_create_data_channel(a.pc, &init);
  connect_pair(&a, &b);
  run(&a, &b, RTC_MS(300));
  CHECK_EQ_INT(b.datachannels, 1);
  b.draining = false; /* the script on b stops taking events */
  static uint8_t msg[MSG];
  int sent = 0;
  for (int i = 0; i < N; i++) {
    msg[0] = (uint8_t)i;
    if (rtc_dc_send(dc, true, msg, MSG) == 0) sent++;
  }
  CHECK_EQ_INT(sent, N); /* 6.4 MB: within a's send buffer limit */
  run(&a, &b, RTC_MS(2000));
  printf("  a stuck application: %zu bytes queued at most (limit %d), %zu still buffered at the sender\n",
         b.max_queued, LIMIT, rtc_dc_buffered_amount(dc));
  CHECK(b.max_queued <= LIMIT + MSG + 64 * 1024); /* the limit, one message, one read */
  CHECK(rtc_dc_buffered_amount(dc) > 0);          /* the sender waits */
  CHECK_EQ_INT(b.messages, 0);
  b.draining = true;
  for (int i = 0; i < 50 && b.messages < N; i++)
    run(&a, &b, RTC_MS(200));
  CHECK_EQ_INT(b.messages, N);
  CHECK_EQ_INT(b.order_errors, 0);
  CHECK_EQ_INT(rtc_dc_buffered_amount(dc), 0);
  rtc_dc_unref(dc);
  side_free(&a);
  side_free(&b);
}

int main(void) {
  RUN_TEST(test_receive_buffer_bounds_a_stuck_application);
  TEST_MAIN_END();
}
