/* The pc's event queue as the application sees it: an operation's result takes its
 * place among the events (W3C operations chain), and state attributes show the state
 * of the last event handed out. */
#include <stdlib.h>
#include <string.h>

#include "base/rtc_addr.h"
#include "pc/rtc_pc.h"
#include "pc/rtc_pc_internal.h"
#include "rtc_test.h"

#include "rtc_test_alloc_count.h"

static uint64_t now_us = 1000000;

/* Polls every queued event into types[] (at most max); returns how many. */
static int drain(rtc_pc_t *pc, int *types, int *states, int max) {
  rtc_pc_event_t ev;
  int n = 0;
  while (rtc_pc_poll_event(pc, &ev)) {
    if (n < max) {
      types[n] = ev.type;
      states[n] = ev.state;
    }
    n++;
    if (ev.type == RTC_PC_EVENT_DATACHANNEL) rtc_dc_unref(ev.dc);
  }
  return n;
}

static void test_result_after_signaling_before_gathering(void) {
  rtc_pc_t *pc = rtc_pc_create(NULL, now_us);
  rtc_dc_t *dc = rtc_pc_create_data_channel(pc, &(rtc_dc_init_t){.label = "x", .ordered = true,
                                                                  .max_retransmits = -1,
                                                                  .max_packet_life_time = -1,
                                                                  .id = -1});
  CHECK(dc != NULL);
  /* negotiationneeded was queued before the operation: it stays first. */
  rtc_pc_mark_operation(pc);
  CHECK_EQ_INT(rtc_pc_set_local_description(pc, RTC_SDP_OFFER, NULL), 0);
  rtc_pc_queue_result(pc, 7);
  /* What the io layer does after the call: gathers. */
  CHECK(rtc_pc_poll_gather(pc));
  rtc_addr_t a;
  rtc_addr_set(&a, "127.0.0.1", 40000);
  rtc_pc_add_local_address(pc, &a);
  rtc_pc_set_gathering_done(pc);
  int types[16], states[16];
  int n = drain(pc, types, states, 16);
  CHECK(n >= 7);
  CHECK_EQ_INT(types[0], RTC_PC_EVENT_NEGOTIATION_NEEDED);
  CHECK_EQ_INT(types[1], RTC_PC_EVENT_SIGNALING_STATE);
  CHECK_EQ_INT(states[1], RTC_SIGNALING_HAVE_LOCAL_OFFER);
  CHECK_EQ_INT(types[2], RTC_PC_EVENT_RESULT);
  CHECK_EQ_INT(states[2], 7);
  CHECK_EQ_INT(types[3], RTC_PC_EVENT_ICE_GATHERING_STATE);
  CHECK_EQ_INT(states[3], RTC_GATHERING_GATHERING);
  CHECK_EQ_INT(types[4], RTC_PC_EVENT_ICE_CANDIDATE);
  rtc_dc_unref(dc);
  rtc_pc_destroy(pc);
}

static void test_results_in_call_order(void) {
  rtc_pc_t *pc = rtc_pc_create(NULL, now_us);
  char *sdp = NULL;
  rtc_pc_mark_operation(pc);
  CHECK_EQ_INT(rtc_pc_create_offer(pc, false, &sdp), 0);
  rtc_pc_queue_result(pc, 1);
  free(sdp);
  rtc_pc_mark_operation(pc); /* a failing call answers in its place too */
  CHECK(rtc_pc_set_remote_description(pc, RTC_SDP_ANSWER, "garbage") < 0);
  rtc_pc_queue_result(pc, 2);
  rtc_pc_queue_result(pc, 3); /* without a mark: simply last */
  int types[8], states[8];
  int n = drain(pc, types, states, 8);
  CHECK_EQ_INT(n, 3);
  CHECK_EQ_INT(states[0], 1);
  CHECK_EQ_INT(states[1], 2);
  CHECK_EQ_INT(states[2], 3);
  CHECK_EQ_INT(types[2], RTC_PC_EVENT_RESULT);
  rtc_pc_destroy(pc);
}

/* Frame events (a copy of each frame for the application) reuse drained nodes and
 * their buffers: after the first few, no allocation per frame (B5's steady state made
 * two). The payload is each frame's own, the spare list stays within its bounds, and
 * rtc_pc_destroy frees it (every allocation freed). */
static void test_frame_events_reuse_nodes(void) {
  long a0 = alloc_calls, f0 = free_calls;
  rtc_pc_t *pc = rtc_pc_create(NULL, now_us);
  CHECK(pc != NULL);
  if (!pc) return;
  rtc_pc_event_t ev;
  while (rtc_pc_poll_event(pc, &ev)) {
  }
  static uint8_t frame[40000];
  long warm = 0;
  int bad = 0;
  for (int i = 0; i < 400; i++) {
    /* Bursts of 1-4 frames of varying size (a keyframe now and then), drained. */
    int burst = 1 + i % 4;
    for (int j = 0; j < burst; j++) {
      size_t len =
          (i % 50 == 0 && j == 0) ? sizeof frame : 500 + (size_t)((i * 37 + j * 911) % 7000);
      memset(frame, (uint8_t)(i + j), len);
      CHECK(rtc__pc_event_push_copy(pc, RTC_PC_EVENT_TRACK_FRAME, frame, len) != NULL);
    }
    for (int j = 0; j < burst; j++) {
      if (!rtc_pc_poll_event(pc, &ev) || ev.type != RTC_PC_EVENT_TRACK_FRAME || !ev.data ||
          ev.data[0] != (uint8_t)(i + j) || ev.data[ev.len - 1] != (uint8_t)(i + j))
        bad++;
    }
    CHECK(pc->n_ev_spare <= 8 && pc->ev_spare_bytes <= 128 * 1024);
    if (i == 99) warm = alloc_calls;
  }
  long steady = alloc_calls - warm; /* 300 rounds, 750 frames, 6 keyframes */
  printf("  frame events: %ld allocations for the last 750 frames, %u spare nodes, %zu bytes\n",
         steady, pc->n_ev_spare, pc->ev_spare_bytes);
  CHECK_EQ_INT(bad, 0);
  if (ALLOC_COUNTED) CHECK(steady <= 6); /* at most a grown buffer per keyframe */
  rtc_pc_destroy(pc);
  if (ALLOC_COUNTED) CHECK_EQ_INT(alloc_calls - a0, free_calls - f0);
}

int main(void) {
  RUN_TEST(test_result_after_signaling_before_gathering);
  RUN_TEST(test_results_in_call_order);
  RUN_TEST(test_frame_events_reuse_nodes);
  TEST_MAIN_END();
}
