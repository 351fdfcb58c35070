/* sctp against a hostile peer, both associations in memory on a fake clock: a peer
 * that streams one 1 GiB message (SCTP_EXPLICIT_EOR pieces, ignoring our
 * a=max-message-size) must cost the receiver no more than its limit: the pieces are
 * dropped as they come, the channel is closed at once, the heap stays flat, and
 * another channel of the association still delivers. */
#include <malloc.h>
#include <stdlib.h>

#include "base/rtc_err.h"
#include "base/rtc_time.h"
#include "rtc_test.h"
#include "sctp/rtc_sctp.h"
#include "sctp/rtc_sctp_dcep.h"
#include "sctp/rtc_sctp_internal.h"

static uint64_t now_us = 1000000;

typedef struct side {
  rtc_sctp_t *s;
  int connected, remote_open, open, errors, messages;
  size_t last_len;
} side_t;

static void side_event(side_t *sd, const rtc_sctp_event_t *ev) {
  switch (ev->type) {
  case RTC_SCTP_EVENT_CONNECTED: sd->connected++; break;
  case RTC_SCTP_EVENT_CHANNEL_REMOTE_OPEN: sd->remote_open++; break;
  case RTC_SCTP_EVENT_CHANNEL_OPEN: sd->open++; break;
  case RTC_SCTP_EVENT_MESSAGE:
    sd->messages++;
    sd->last_len = ev->len;
    break;
  case RTC_SCTP_EVENT_CHANNEL_ERROR: sd->errors++; break;
  default: break;
  }
}

static int pump_once(side_t *a, side_t *b) {
  int moved = 0;
  const uint8_t *p;
  size_t len;
  rtc_sctp_event_t ev;
  while (rtc_sctp_poll_transmit(a->s, &p, &len))
    rtc_sctp_handle_packet(b->s, p, len), moved++;
  while (rtc_sctp_poll_transmit(b->s, &p, &len))
    rtc_sctp_handle_packet(a->s, p, len), moved++;
  while (rtc_sctp_poll_event(a->s, &ev))
    side_event(a, &ev), moved++;
  while (rtc_sctp_poll_event(b->s, &ev))
    side_event(b, &ev), moved++;
  return moved;
}

static void tick(void) {
  now_us += 1000;
  rtc_sctp_global_handle_timeout(now_us);
}

static void pump_until(side_t *a, side_t *b, bool (*cond)(side_t *, side_t *), int max_ms) {
  uint64_t end = now_us + RTC_MS(max_ms);
  while (now_us < end && !cond(a, b)) {
    while (pump_once(a, b) && !cond(a, b)) {
    }
    tick();
  }
}

static bool connected(side_t *a, side_t *b) { return a->connected && b->connected; }
static bool opened(side_t *a, side_t *b) { return a->open >= 2 && b->remote_open >= 2; }
static bool got_message(side_t *a, side_t *b) { return b->messages >= 1; }

static void test_one_gib_message(void) {
  static side_t A, B; /* A the hostile sender, B us */
  rtc_sctp_config_t ca = {.dtls_client = true, .local_max_message_size = 1u << 30};
  rtc_sctp_config_t cb = {.dtls_client = false, .local_max_message_size = 65536};
  A.s = rtc_sctp_create(&ca);
  B.s = rtc_sctp_create(&cb);
  CHECK(A.s && B.s);
  if (!A.s || !B.s) return;
  rtc_sctp_start(A.s);
  rtc_sctp_start(B.s);
  pump_until(&A, &B, connected, 5000);
  rtc_sctp_channel_params_t p = {
      .label = "x", .ordered = true, .max_retransmits = -1, .max_packet_life_time = -1};
  uint16_t victim = 0, other = 0;
  CHECK_EQ_INT(rtc_sctp_channel_open(A.s, &p, false, -1, &victim), 0);
  CHECK_EQ_INT(rtc_sctp_channel_open(A.s, &p, false, -1, &other), 0);
  pump_until(&A, &B, opened, 5000);
  CHECK(opened(&A, &B));
  /* The hostile side forgets the channel: it will ignore our close (stream reset)
   * and go on sending, as an attacker would. */
  rtc__sctp_chan_remove(A.s, rtc__sctp_chan_find(A.s, victim));

  malloc_trim(0);
  size_t base = mallinfo2().uordblks, peak = base;
  enum { PIECE = 65536 };
  static uint8_t piece[PIECE];
  memset(piece, 'g', sizeof piece);
  const uint64_t total = 1ull << 30;
  uint64_t sent = 0;
  int idle = 0;
  while (sent < total && idle < 2000) {
    size_t n = total - sent < PIECE ? (size_t)(total - sent) : PIECE;
    int r = rtc__sctp_send_raw_piece(A.s, victim, RTC_SCTP_PPID_BINARY, piece, n, sent + n == total);
    if (r > 0) {
      sent += (uint64_t)r;
      idle = 0;
      continue;
    }
    CHECK(r == RTC_EAGAIN);
    if (!pump_once(&A, &B)) tick(), idle++;
    size_t used = mallinfo2().uordblks;
    if (used > peak) peak = used;
  }
  for (int i = 0; i < 200; i++)
    if (!pump_once(&A, &B)) tick();
  if (sent != total) printf("  stalled at %llu bytes\n", (unsigned long long)sent);
  CHECK(sent == total);
  printf("  1 GiB streamed at a 64 KiB limit: heap peak %+ld KiB over the start\n",
         (long)(peak - base) / 1024);
  /* Both usrsctp buffers (1 MiB each) and our 64 KiB: the message itself never. */
  CHECK(peak - base < 8u * 1024 * 1024);
  CHECK(B.s->rx_cap <= 65536);
  CHECK_EQ_INT(B.messages, 0);
  CHECK_EQ_INT(B.errors, 1);
  /* Our close went out as soon as the limit was passed (it completes when the peer
   * resets its side; this one never does). */
  rtc__sctp_chan_t *vc = rtc__sctp_chan_find(B.s, victim);
  CHECK(vc && vc->reset_sent);
  rtc_sctp_stats_t st;
  rtc_sctp_get_stats(B.s, &st);
  CHECK_EQ_INT(st.packets_dropped, 1);
  /* The association and its other channel go on. */
  CHECK_EQ_INT(rtc__sctp_send_raw_piece(A.s, other, RTC_SCTP_PPID_STRING, (const uint8_t *)"ok", 2, true), 2);
  pump_until(&A, &B, got_message, 5000);
  CHECK_EQ_INT(B.messages, 1);
  CHECK_EQ_INT(B.last_len, 2);
  rtc_sctp_destroy(A.s);
  rtc_sctp_destroy(B.s);
}

int main(void) {
  RUN_TEST(test_one_gib_message);
  TEST_MAIN_END();
}
