/* sctp: two associations wired together in memory through their transmit queues,
 * usrsctp's global timers driven by a fake clock. usrsctp is process-global, so
 * both ends live in this one process. */
#include <dirent.h>
#include <malloc.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

#include "base/rtc_err.h"
#include "base/rtc_time.h"
#include "rtc_test.h"
#include "sctp/rtc_sctp.h"
#include "sctp/rtc_sctp_dcep.h"
#include "sctp/rtc_sctp_internal.h"

static uint64_t now_us = 1000000;

/* usrsctp reads gettimeofday() for its RTT samples and to decide which chunks a T3
 * timeout may resend (only those sent longer than an RTO ago), while these tests drive
 * its timers on now_us, which runs far ahead of the machine's clock. With the machine's
 * time, a loaded machine made usrsctp measure long RTTs and then find every unacked
 * chunk "sent too recently" at each T3 timeout, for the rest of the test: A kept 3
 * chunks unacked with its RTO at the 10 s ceiling, B held 2 after the gap, and only
 * 1997 of 2000 messages arrived (test_lossy_wire, 2-6 runs in 30 with six at once).
 * A definition in the executable takes the place of libc's for libusrsctp.so, as in
 * tests/sim/sim_hooks.c, so usrsctp sees the test's clock. */
int gettimeofday(struct timeval *restrict tv, void *restrict tz) {
  (void)tz;
  uint64_t t = 1767225600ull * 1000000ull + now_us; /* 2026-01-01 + the test clock */
  tv->tv_sec = (time_t)(t / 1000000u);
  tv->tv_usec = (suseconds_t)(t % 1000000u);
  return 0;
}

/* What one side saw. */
typedef struct side {
  rtc_sctp_t *s;
  int connected, disconnected, remote_open, open, closed, low, errors, messages;
  uint16_t last_stream;
  char label[64], protocol[64];
  bool ordered;
  int max_retransmits, max_packet_life_time;
  bool last_binary;
  size_t last_len;
  uint8_t *last_data;
  /* ordered-sequence check */
  uint32_t next_seq;
  int seq_errors;
  size_t bytes;
  int closed_on[1024];
  int open_on[1024];
  int remote_open_on[1024];
} side_t;

static void side_event(side_t *sd, const rtc_sctp_event_t *ev) {
  switch (ev->type) {
  case RTC_SCTP_EVENT_CONNECTED: sd->connected++; break;
  case RTC_SCTP_EVENT_DISCONNECTED: sd->disconnected++; break;
  case RTC_SCTP_EVENT_CHANNEL_REMOTE_OPEN:
    sd->remote_open++;
    sd->last_stream = ev->stream;
    snprintf(sd->label, sizeof sd->label, "%s", ev->label);
    snprintf(sd->protocol, sizeof sd->protocol, "%s", ev->protocol);
    sd->ordered = ev->ordered;
    sd->max_retransmits = ev->max_retransmits;
    sd->max_packet_life_time = ev->max_packet_life_time;
    if (ev->stream < 1024) sd->remote_open_on[ev->stream]++;
    break;
  case RTC_SCTP_EVENT_CHANNEL_OPEN:
    sd->open++;
    if (ev->stream < 1024) sd->open_on[ev->stream]++;
    break;
  case RTC_SCTP_EVENT_MESSAGE:
    sd->messages++;
    sd->last_stream = ev->stream;
    sd->last_binary = ev->binary;
    sd->last_len = ev->len;
    sd->bytes += ev->len;
    free(sd->last_data);
    sd->last_data = NULL;
    if (ev->len <= 300000) {
      sd->last_data = malloc(ev->len + 1);
      memcpy(sd->last_data, ev->data, ev->len);
    }
    if (ev->len >= 4 && ev->len < 64) {
      uint32_t seq;
      memcpy(&seq, ev->data, 4);
      if (seq != sd->next_seq) sd->seq_errors++;
      sd->next_seq = seq + 1;
    }
    break;
  case RTC_SCTP_EVENT_CHANNEL_CLOSED:
    sd->closed++;
    if (ev->stream < 1024) sd->closed_on[ev->stream]++;
    break;
  case RTC_SCTP_EVENT_BUFFERED_LOW: sd->low++; break;
  case RTC_SCTP_EVENT_CHANNEL_ERROR: sd->errors++; break;
  }
}

/* Test hook: the second side of pump_once never sends a RE-CONFIG chunk (RFC 6525:
 * type 130), as a peer that ignores stream resets. Its packets holding one are lost. */
static bool b_ignores_resets;
static bool has_reconfig(const uint8_t *p, size_t len) {
  for (size_t off = 12; off + 4 <= len;) { /* chunks after the 12-byte common header */
    size_t clen = (size_t)p[off + 2] << 8 | p[off + 3];
    if (p[off] == 130) return true;
    if (clen < 4) break;
    off += (clen + 3) & ~(size_t)3;
  }
  return false;
}

/* Moves packets both ways and drains events; returns how much happened. */
/* test_wire_ports: the SCTP ports a's packets carry on the wire, checked when set. */
static uint16_t wire_src, wire_dst;
static int wire_checked, wire_wrong;

static int pump_once(side_t *a, side_t *b) {
  int moved = 0;
  const uint8_t *p;
  size_t len;
  rtc_sctp_event_t ev;
  while (rtc_sctp_poll_transmit(a->s, &p, &len)) {
    if (wire_src && len >= 12) {
      wire_checked++;
      if ((p[0] << 8 | p[1]) != wire_src || (p[2] << 8 | p[3]) != wire_dst) wire_wrong++;
    }
    rtc_sctp_handle_packet(b->s, p, len);
    moved++;
  }
  while (rtc_sctp_poll_transmit(b->s, &p, &len)) {
    if (!(b_ignores_resets && has_reconfig(p, len))) rtc_sctp_handle_packet(a->s, p, len);
    moved++;
  }
  while (rtc_sctp_poll_event(a->s, &ev))
    side_event(a, &ev), moved++;
  while (rtc_sctp_poll_event(b->s, &ev))
    side_event(b, &ev), moved++;
  return moved;
}

/* Pumps until cond (or idle for idle_ms of virtual time). */
static void pump(side_t *a, side_t *b, bool (*cond)(side_t *, side_t *), int max_ms) {
  uint64_t end = now_us + RTC_MS(max_ms);
  while (now_us < end) {
    while (pump_once(a, b)) {
      if (cond && cond(a, b)) return;
    }
    if (cond && cond(a, b)) return;
    now_us += 1000;
    rtc_sctp_global_handle_timeout(now_us);
  }
}

static bool both_connected(side_t *a, side_t *b) { return a->connected && b->connected; }

static uint16_t pair_streams; /* config.max_streams for pair_up; 0 = default */
static uint16_t pair_port_a, pair_port_b; /* a=sctp-port of each side; 0 = 5000 */

static void pair_up(side_t *a, side_t *b, size_t mms) {
  memset(a, 0, sizeof *a);
  memset(b, 0, sizeof *b);
  rtc_sctp_config_t ca = {.local_port = 5000,
                          .remote_port = 5000,
                          .dtls_client = true,
                          .remote_max_message_size = mms,
                          .local_max_message_size = mms};
  ca.max_streams = pair_streams;
  rtc_sctp_config_t cb = ca;
  cb.dtls_client = false;
  if (pair_port_a) ca.local_port = cb.remote_port = pair_port_a;
  if (pair_port_b) cb.local_port = ca.remote_port = pair_port_b;
  a->s = rtc_sctp_create(&ca);
  b->s = rtc_sctp_create(&cb);
  CHECK(a->s && b->s);
  if (!a->s || !b->s) return;
  CHECK_EQ_INT(rtc_sctp_start(a->s), 0);
  CHECK_EQ_INT(rtc_sctp_start(b->s), 0);
  pump(a, b, both_connected, 5000);
  CHECK_EQ_INT(a->connected, 1);
  CHECK_EQ_INT(b->connected, 1);
}

static void pair_down(side_t *a, side_t *b) {
  rtc_sctp_destroy(a->s);
  rtc_sctp_destroy(b->s);
  free(a->last_data);
  free(b->last_data);
  a->s = b->s = NULL;
  a->last_data = b->last_data = NULL;
}

static side_t A, B;

static void test_dcep_roundtrip_shape(void) {
  /* OPEN for label "chat", protocol "x", reliable ordered (RFC 8832 5.1). */
  rtc_sctp_dcep_open_t o = {.channel_type = 0,
                            .priority = 256,
                            .reliability = 0,
                            .label = (const uint8_t *)"chat",
                            .label_len = 4,
                            .protocol = (const uint8_t *)"x",
                            .protocol_len = 1};
  uint8_t buf[32];
  int n = rtc_sctp_dcep_write_open(buf, sizeof buf, &o);
  CHECK_EQ_INT(n, 17);
  static const uint8_t want[] = {0x03, 0x00, 0x01, 0x00, 0,   0,   0,   0,  0,
                                 4,    0,    1,    'c',  'h', 'a', 't', 'x'};
  CHECK(memcmp(buf, want, sizeof want) == 0);
}

static bool opened_both(side_t *a, side_t *b) { return a->open >= 1 && b->remote_open >= 1; }

static void test_connect_and_open(void) {
  pair_up(&A, &B, 0);
  CHECK(rtc_sctp_is_connected(A.s));
  rtc_sctp_channel_params_t p = {.label = "chat",
                                 .protocol = "proto/1",
                                 .ordered = true,
                                 .max_retransmits = -1,
                                 .max_packet_life_time = -1};
  uint16_t sid = 999;
  CHECK_EQ_INT(rtc_sctp_channel_open(A.s, &p, false, -1, &sid), 0);
  CHECK_EQ_INT(sid % 2, 0); /* DTLS client: even */
  pump(&A, &B, opened_both, 2000);
  CHECK_EQ_INT(A.open, 1);
  CHECK_EQ_INT(B.remote_open, 1);
  CHECK_EQ_INT(B.last_stream, sid);
  CHECK_STR(B.label, "chat");
  CHECK_STR(B.protocol, "proto/1");
  CHECK(B.ordered);
  CHECK_EQ_INT(B.max_retransmits, -1);
  CHECK_EQ_INT(B.max_packet_life_time, -1);
  /* From the other side, partially reliable, unordered, timed. */
  rtc_sctp_channel_params_t q = {.label = "",
                                 .protocol = NULL,
                                 .ordered = false,
                                 .max_retransmits = -1,
                                 .max_packet_life_time = 3000};
  uint16_t sid2 = 0;
  CHECK_EQ_INT(rtc_sctp_channel_open(B.s, &q, false, -1, &sid2), 0);
  CHECK_EQ_INT(sid2 % 2, 1);
  pump(&A, &B, NULL, 300);
  CHECK_EQ_INT(B.open, 1);
  CHECK_EQ_INT(A.remote_open, 1);
  CHECK_STR(A.label, "");
  CHECK_STR(A.protocol, "");
  CHECK(!A.ordered);
  CHECK_EQ_INT(A.max_packet_life_time, 3000);
  /* An OPEN for a stream of our own parity from the peer, or bad ids, are refused. */
  rtc_sctp_channel_params_t r = {
      .label = "bad", .ordered = true, .max_retransmits = -1, .max_packet_life_time = -1};
  CHECK_EQ_INT(rtc_sctp_channel_open(A.s, &r, false, 1, NULL), RTC_EINVAL);   /* odd: B's */
  CHECK_EQ_INT(rtc_sctp_channel_open(A.s, &r, false, sid, NULL), RTC_EINVAL); /* taken */
  CHECK_EQ_INT(rtc_sctp_channel_open(A.s, &r, true, -1, NULL), RTC_EINVAL);
  pair_down(&A, &B);
}

static uint16_t open_pair_channel(side_t *a, side_t *b, bool ordered, int rexmit) {
  rtc_sctp_channel_params_t p = {
      .label = "c", .ordered = ordered, .max_retransmits = rexmit, .max_packet_life_time = -1};
  uint16_t sid = 0;
  int before = a->open;
  CHECK_EQ_INT(rtc_sctp_channel_open(a->s, &p, false, -1, &sid), 0);
  uint64_t end = now_us + RTC_MS(2000);
  while (a->open == before && now_us < end)
    pump(a, b, NULL, 10);
  CHECK_EQ_INT(a->open, before + 1);
  return sid;
}

static void send_seq(side_t *from, uint16_t sid, uint32_t seq) {
  uint8_t m[16];
  memcpy(m, &seq, 4);
  memset(m + 4, 'x', sizeof m - 4);
  CHECK_EQ_INT(rtc_sctp_channel_send(from->s, sid, true, m, sizeof m), 0);
}

static void test_ordered_10000(void) {
  pair_up(&A, &B, 0);
  uint16_t sa = open_pair_channel(&A, &B, true, -1);
  uint16_t sb = open_pair_channel(&B, &A, true, -1);
  for (uint32_t i = 0; i < 10000; i++) {
    send_seq(&A, sa, i);
    send_seq(&B, sb, i);
    if (i % 100 == 99) pump_once(&A, &B);
  }
  uint64_t end = now_us + RTC_MS(20000);
  while ((A.messages < 10000 || B.messages < 10000) && now_us < end)
    pump(&A, &B, NULL, 10);
  CHECK_EQ_INT(A.messages, 10000);
  CHECK_EQ_INT(B.messages, 10000);
  CHECK_EQ_INT(A.seq_errors, 0);
  CHECK_EQ_INT(B.seq_errors, 0);
  CHECK_EQ_INT(rtc_sctp_channel_buffered_amount(A.s, sa), 0);
  rtc_sctp_stats_t st;
  rtc_sctp_get_stats(B.s, &st);
  CHECK_EQ_INT(st.messages_received, 10000);
  CHECK_EQ_INT(st.packets_dropped, 0);
  pair_down(&A, &B);
}

static void test_big_and_too_big(void) {
  pair_up(&A, &B, 262144);
  uint16_t sa = open_pair_channel(&A, &B, true, -1);
  uint8_t *big = malloc(262145);
  for (size_t i = 0; i < 262145; i++)
    big[i] = (uint8_t)(i * 7);
  CHECK_EQ_INT(rtc_sctp_channel_send(A.s, sa, true, big, 262144), 0);
  CHECK_EQ_INT(rtc_sctp_channel_send(A.s, sa, true, big, 262145), RTC_ETOOBIG);
  uint64_t end = now_us + RTC_MS(5000);
  while (B.messages < 1 && now_us < end)
    pump(&A, &B, NULL, 10);
  CHECK_EQ_INT(B.messages, 1);
  CHECK_EQ_INT(B.last_len, 262144);
  CHECK(B.last_data && memcmp(B.last_data, big, 262144) == 0);
  CHECK(B.last_binary);
  /* Our receive limit is enforced too: B accepts 262144 only, a peer that ignores our
   * a=max-message-size gets its message dropped and counted. */
  rtc_sctp_stats_t st0, st1;
  rtc_sctp_get_stats(B.s, &st0);
  CHECK_EQ_INT(rtc__sctp_send_raw(A.s, sa, RTC_SCTP_PPID_BINARY, big, 262145), 0);
  CHECK_EQ_INT(rtc_sctp_channel_send(A.s, sa, false, (const uint8_t *)"after", 5), 0);
  end = now_us + RTC_MS(5000);
  while (B.messages < 2 && now_us < end)
    pump(&A, &B, NULL, 10);
  rtc_sctp_get_stats(B.s, &st1);
  CHECK_EQ_INT(st1.packets_dropped, st0.packets_dropped + 1);
  CHECK_EQ_INT(B.errors, 1);
  CHECK_EQ_INT(B.messages, 2);
  CHECK_EQ_INT(B.last_len, 5);
  free(big);
  pair_down(&A, &B);
}

/* Messages of every size class around the receive block's adoption threshold
 * (rtc__sctp_ev_push_message: 4 KiB and up become their event without a copy,
 * smaller ones are copied) arrive whole and in order; an event taken over with
 * rtc_sctp_take_event keeps its bytes after later polls, and is the caller's to
 * free. */
static void test_message_sizes_and_take(void) {
  pair_up(&A, &B, 262144);
  uint16_t sa = open_pair_channel(&A, &B, true, -1);
  static const size_t sizes[] = {1, 100, 4095, 4096, 4097, 20000, 65535, 65536, 100000};
  enum { N = sizeof sizes / sizeof sizes[0] };
  static uint8_t msg[100000];
  for (size_t k = 0; k < N; k++) {
    for (size_t i = 0; i < sizes[k]; i++)
      msg[i] = (uint8_t)(i * 13 + k);
    CHECK_EQ_INT(rtc_sctp_channel_send(A.s, sa, true, msg, sizes[k]), 0);
  }
  void *kept[N] = {0};
  const uint8_t *kept_data[N] = {0};
  size_t got = 0, bad = 0;
  uint64_t end = now_us + RTC_MS(5000);
  while (got < N && now_us < end) {
    const uint8_t *p;
    size_t len;
    while (rtc_sctp_poll_transmit(A.s, &p, &len))
      rtc_sctp_handle_packet(B.s, p, len);
    while (rtc_sctp_poll_transmit(B.s, &p, &len))
      rtc_sctp_handle_packet(A.s, p, len);
    rtc_sctp_event_t ev;
    while (rtc_sctp_poll_event(A.s, &ev))
      ;
    while (got < N && rtc_sctp_poll_event(B.s, &ev)) {
      if (ev.type != RTC_SCTP_EVENT_MESSAGE) continue;
      if (ev.len != sizes[got]) bad++;
      for (size_t i = 0; i < ev.len && i < sizes[got]; i++)
        if (ev.data[i] != (uint8_t)(i * 13 + got)) {
          bad++;
          break;
        }
      if (got % 2 == 0) { /* every other one taken over */
        kept[got] = rtc_sctp_take_event(B.s);
        kept_data[got] = ev.data;
        CHECK(kept[got] != NULL);
      }
      got++;
    }
    now_us += 1000;
    rtc_sctp_global_handle_timeout(now_us);
  }
  CHECK_EQ_INT(got, N);
  CHECK_EQ_INT(bad, 0);
  for (size_t k = 0; k < N; k += 2) {
    size_t wrong = 0;
    for (size_t i = 0; kept_data[k] && i < sizes[k]; i++)
      if (kept_data[k][i] != (uint8_t)(i * 13 + k)) wrong++;
    CHECK_EQ_INT(wrong, 0);
    free(kept[k]);
  }
  pair_down(&A, &B);
}

static void test_empty_messages(void) {
  pair_up(&A, &B, 0);
  uint16_t sa = open_pair_channel(&A, &B, true, -1);
  CHECK_EQ_INT(rtc_sctp_channel_send(A.s, sa, false, NULL, 0), 0);
  pump(&A, &B, NULL, 100);
  CHECK_EQ_INT(B.messages, 1);
  CHECK_EQ_INT(B.last_len, 0);
  CHECK(!B.last_binary);
  CHECK_EQ_INT(rtc_sctp_channel_send(A.s, sa, true, (const uint8_t *)"", 0), 0);
  pump(&A, &B, NULL, 100);
  CHECK_EQ_INT(B.messages, 2);
  CHECK_EQ_INT(B.last_len, 0);
  CHECK(B.last_binary);
  pair_down(&A, &B);
}

static void test_unordered_unreliable(void) {
  pair_up(&A, &B, 0);
  uint16_t sa = open_pair_channel(&A, &B, false, 0);
  CHECK_EQ_INT(B.max_retransmits, 0);
  CHECK(!B.ordered);
  for (int i = 0; i < 1000; i++) {
    uint8_t m[100];
    memset(m, i & 0xff, sizeof m);
    CHECK_EQ_INT(rtc_sctp_channel_send(A.s, sa, true, m, sizeof m), 0);
    if (i % 50 == 0) pump_once(&A, &B);
  }
  uint64_t end = now_us + RTC_MS(5000);
  while (B.messages < 1000 && now_us < end)
    pump(&A, &B, NULL, 10);
  CHECK_EQ_INT(B.messages, 1000); /* no loss in memory */
  pair_down(&A, &B);
}

static void test_100_channels(void) {
  pair_up(&A, &B, 0);
  uint16_t ids[100];
  rtc_sctp_channel_params_t p = {
      .label = "many", .ordered = true, .max_retransmits = -1, .max_packet_life_time = -1};
  for (int i = 0; i < 100; i++)
    CHECK_EQ_INT(rtc_sctp_channel_open(A.s, &p, false, -1, &ids[i]), 0);
  for (int i = 0; i < 100; i++)
    CHECK_EQ_INT(rtc_sctp_channel_send(A.s, ids[i], false, (const uint8_t *)"hello", 5), 0);
  pump(&A, &B, NULL, 500);
  CHECK_EQ_INT(A.open, 100);
  CHECK_EQ_INT(B.remote_open, 100);
  CHECK_EQ_INT(B.messages, 100);
  int distinct = 0;
  for (int i = 0; i < 100; i++)
    distinct += B.remote_open_on[ids[i]] == 1;
  CHECK_EQ_INT(distinct, 100);
  /* Close them all from A: both sides see 100 CLOSED. */
  for (int i = 0; i < 100; i++)
    CHECK_EQ_INT(rtc_sctp_channel_close(A.s, ids[i]), 0);
  pump(&A, &B, NULL, 2000);
  CHECK_EQ_INT(A.closed, 100);
  CHECK_EQ_INT(B.closed, 100);
  pair_down(&A, &B);
}

static void test_negotiated(void) {
  memset(&A, 0, sizeof A);
  memset(&B, 0, sizeof B);
  rtc_sctp_config_t ca = {.local_port = 5000,
                          .remote_port = 5000,
                          .dtls_client = true,
                          .local_max_message_size = 65536,
                          .remote_max_message_size = 65536};
  rtc_sctp_config_t cb = ca;
  cb.dtls_client = false;
  A.s = rtc_sctp_create(&ca);
  B.s = rtc_sctp_create(&cb);
  rtc_sctp_channel_params_t p = {
      .label = "neg", .ordered = true, .max_retransmits = -1, .max_packet_life_time = -1};
  /* Opened before the association is up, with any parity. */
  CHECK_EQ_INT(rtc_sctp_channel_open(A.s, &p, true, 7, NULL), 0);
  CHECK_EQ_INT(rtc_sctp_channel_open(B.s, &p, true, 7, NULL), 0);
  CHECK_EQ_INT(rtc_sctp_channel_open(A.s, &p, true, 7, NULL), RTC_EINVAL); /* taken */
  /* And a DCEP channel opened before CONNECTED: its OPEN waits for the association. */
  uint16_t early = 0;
  CHECK_EQ_INT(rtc_sctp_channel_open(A.s, &p, false, -1, &early), 0);
  CHECK_EQ_INT(rtc_sctp_channel_send(A.s, early, false, (const uint8_t *)"early", 5), 0);
  rtc_sctp_start(A.s);
  rtc_sctp_start(B.s);
  pump(&A, &B, NULL, 1000);
  CHECK_EQ_INT(A.connected, 1);
  CHECK_EQ_INT(A.open_on[7], 1);
  CHECK_EQ_INT(B.open_on[7], 1);
  CHECK_EQ_INT(A.open_on[early], 1);
  CHECK_EQ_INT(B.remote_open_on[early], 1);
  CHECK_EQ_INT(B.messages, 1); /* "early" */
  CHECK_EQ_INT(rtc_sctp_channel_send(A.s, 7, false, (const uint8_t *)"neg", 3), 0);
  CHECK_EQ_INT(rtc_sctp_channel_send(B.s, 7, true, (const uint8_t *)"gen", 3), 0);
  pump(&A, &B, NULL, 200);
  CHECK_EQ_INT(B.messages, 2);
  CHECK_EQ_INT(B.last_stream, 7);
  CHECK_EQ_INT(A.messages, 1);
  CHECK(A.last_binary);
  pair_down(&A, &B);
}

static void test_close_both_sides(void) {
  pair_up(&A, &B, 0);
  uint16_t sa = open_pair_channel(&A, &B, true, -1);
  uint16_t sb = open_pair_channel(&B, &A, true, -1);
  /* Close with data still queued: it is delivered first (graceful). */
  CHECK_EQ_INT(rtc_sctp_channel_send(A.s, sa, false, (const uint8_t *)"bye", 3), 0);
  CHECK_EQ_INT(rtc_sctp_channel_close(A.s, sa), 0);
  CHECK_EQ_INT(rtc_sctp_channel_send(A.s, sa, false, (const uint8_t *)"x", 1), RTC_ESTATE);
  pump(&A, &B, NULL, 500);
  CHECK_EQ_INT(B.messages, 1);
  CHECK_EQ_INT(A.closed_on[sa], 1);
  CHECK_EQ_INT(B.closed_on[sa], 1);
  /* The other side closes its own. */
  CHECK_EQ_INT(rtc_sctp_channel_close(B.s, sb), 0);
  pump(&A, &B, NULL, 500);
  CHECK_EQ_INT(A.closed_on[sb], 1);
  CHECK_EQ_INT(B.closed_on[sb], 1);
  /* The id can be used again once both directions are reset. */
  uint16_t again = open_pair_channel(&A, &B, true, -1);
  (void)again;
  CHECK_EQ_INT(A.closed, 2);
  pair_down(&A, &B);
}

/* A peer that never answers a stream reset (its RE-CONFIG chunks never arrive): our
 * closing channel is closed after RTC__SCTP_RESET_TIMEOUT_US anyway, and its stream
 * released, instead of staying "closing" for ever. */
static void test_reset_never_answered(void) {
  pair_up(&A, &B, 0);
  uint16_t sa = open_pair_channel(&A, &B, true, -1);
  uint16_t sa2 = open_pair_channel(&A, &B, true, -1);
  b_ignores_resets = true;
  CHECK_EQ_INT(rtc_sctp_channel_close(A.s, sa), 0);
  pump(&A, &B, NULL, 3000);
  CHECK_EQ_INT(A.closed_on[sa], 0); /* still waiting for the peer */
  CHECK(rtc__sctp_chan_find(A.s, sa) != NULL);
  pump(&A, &B, NULL, 4000);
  CHECK_EQ_INT(A.closed_on[sa], 1);
  CHECK(rtc__sctp_chan_find(A.s, sa) == NULL); /* the stream is released */
  rtc_sctp_stats_t st;
  rtc_sctp_get_stats(A.s, &st);
  CHECK_EQ_INT(st.resets_timed_out, 1);
  /* The association and the other channel carry on. */
  CHECK(rtc_sctp_is_connected(A.s));
  int before = B.messages;
  CHECK_EQ_INT(rtc_sctp_channel_send(A.s, sa2, false, (const uint8_t *)"still here", 10), 0);
  pump(&A, &B, NULL, 200);
  CHECK_EQ_INT(B.messages, before + 1);
  b_ignores_resets = false;
  pair_down(&A, &B);
}

/* The peer vanishes (its packets stop): usrsctp gives up after its retransmissions
 * and we report every channel closed and the association DISCONNECTED. */
static void test_peer_lost(void) {
  pair_up(&A, &B, 0);
  uint16_t sb = open_pair_channel(&B, &A, true, -1);
  rtc_sctp_destroy(A.s);
  A.s = NULL;
  CHECK_EQ_INT(rtc_sctp_channel_send(B.s, sb, false, (const uint8_t *)"anyone?", 7), 0);
  uint64_t end = now_us + RTC_MS(300000);
  rtc_sctp_event_t ev;
  const uint8_t *p;
  size_t len;
  while (!B.disconnected && now_us < end) {
    while (rtc_sctp_poll_transmit(B.s, &p, &len)) {
    }
    while (rtc_sctp_poll_event(B.s, &ev))
      side_event(&B, &ev);
    now_us += 10000;
    rtc_sctp_global_handle_timeout(now_us);
  }
  CHECK_EQ_INT(B.disconnected, 1);
  CHECK_EQ_INT(B.closed_on[sb], 1);
  CHECK(!rtc_sctp_is_connected(B.s));
  CHECK_EQ_INT(rtc_sctp_channel_send(B.s, sb, false, (const uint8_t *)"x", 1), RTC_ESTATE);
  printf("  peer loss detected after %.1f s (virtual)\n",
         (double)(now_us - (end - RTC_MS(300000))) / 1e6);
  pair_down(&A, &B);
}

static void test_buffered_amount(void) {
  pair_up(&A, &B, 262144);
  uint16_t sa = open_pair_channel(&A, &B, true, -1);
  rtc_sctp_channel_set_low_threshold(A.s, sa, 65536);
  static uint8_t m[65536];
  /* Without pumping, usrsctp takes ~1 MiB (its send space) and the rest waits here. */
  for (int i = 0; i < 64; i++)
    CHECK_EQ_INT(rtc_sctp_channel_send(A.s, sa, true, m, sizeof m), 0);
  size_t ba = rtc_sctp_channel_buffered_amount(A.s, sa);
  /* The queue is bounded: 16 MiB, then RTC_EAGAIN until it drains. */
  int queued = 64;
  while (queued < 1000 && rtc_sctp_channel_send(A.s, sa, true, m, sizeof m) == 0)
    queued++;
  CHECK_EQ_INT(rtc_sctp_channel_send(A.s, sa, true, m, sizeof m), RTC_EAGAIN);
  CHECK(rtc_sctp_channel_buffered_amount(A.s, sa) <= 16u * 1024 * 1024);
  printf("  buffered after 4 MiB without pumping: %zu\n", ba);
  CHECK(ba > 65536 && ba <= 64u * 65536);
  uint64_t end = now_us + RTC_MS(20000);
  while (B.messages < queued && now_us < end)
    pump(&A, &B, NULL, 10);
  CHECK_EQ_INT(B.messages, queued);
  CHECK_EQ_INT(rtc_sctp_channel_buffered_amount(A.s, sa), 0);
  CHECK_EQ_INT(A.low, 1); /* crossed downward once */
  /* Below the threshold already: sending and draining does not fire again. */
  CHECK_EQ_INT(rtc_sctp_channel_send(A.s, sa, true, m, 100), 0);
  pump(&A, &B, NULL, 100);
  CHECK_EQ_INT(A.low, 1);
  pair_down(&A, &B);
}

static void test_garbage_dcep(void) {
  pair_up(&A, &B, 0);
  uint16_t sa = open_pair_channel(&A, &B, true, -1);
  rtc_sctp_stats_t st0, st1;
  rtc_sctp_get_stats(B.s, &st0);
  static const uint8_t junk1[] = {0x03, 0x00};                               /* truncated OPEN */
  static const uint8_t junk2[] = {0x03, 0x7f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}; /* bad type */
  static const uint8_t junk3[] = {0x03, 0x00, 0,    0,    0, 0,
                                  0,    0,    0xff, 0xff, 0, 0}; /* label overrun */
  static const uint8_t junk4[] = {0x42};                         /* unknown type */
  static const uint8_t open_ok[] = {0x03, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 'z'};
  CHECK_EQ_INT(rtc__sctp_send_raw(A.s, 20, RTC_SCTP_PPID_DCEP, junk1, sizeof junk1), 0);
  CHECK_EQ_INT(rtc__sctp_send_raw(A.s, 22, RTC_SCTP_PPID_DCEP, junk2, sizeof junk2), 0);
  CHECK_EQ_INT(rtc__sctp_send_raw(A.s, 24, RTC_SCTP_PPID_DCEP, junk3, sizeof junk3), 0);
  CHECK_EQ_INT(rtc__sctp_send_raw(A.s, sa, RTC_SCTP_PPID_DCEP, junk4, sizeof junk4), 0);
  /* A valid OPEN on B's own parity (odd) and one on a taken id: refused. */
  CHECK_EQ_INT(rtc__sctp_send_raw(A.s, 31, RTC_SCTP_PPID_DCEP, open_ok, sizeof open_ok), 0);
  CHECK_EQ_INT(rtc__sctp_send_raw(A.s, sa, RTC_SCTP_PPID_DCEP, open_ok, sizeof open_ok), 0);
  /* Data on a stream with no channel, and an unknown PPID. */
  CHECK_EQ_INT(rtc__sctp_send_raw(A.s, 40, RTC_SCTP_PPID_STRING, (const uint8_t *)"?", 1), 0);
  CHECK_EQ_INT(rtc__sctp_send_raw(A.s, sa, 99, (const uint8_t *)"?", 1), 0);
  CHECK_EQ_INT(rtc_sctp_channel_send(A.s, sa, false, (const uint8_t *)"fine", 4), 0);
  pump(&A, &B, NULL, 300);
  rtc_sctp_get_stats(B.s, &st1);
  CHECK_EQ_INT(st1.packets_dropped - st0.packets_dropped, 8);
  CHECK_EQ_INT(B.remote_open, 1);
  CHECK_EQ_INT(B.messages, 1);
  CHECK(rtc_sctp_is_connected(B.s));
  pair_down(&A, &B);
}

/* Moves packets both ways and A's events, never B's; then 1 ms passes. */
static void wire_only(side_t *a, side_t *b) {
  const uint8_t *p;
  size_t len;
  int moved = 1;
  while (moved) {
    moved = 0;
    while (rtc_sctp_poll_transmit(a->s, &p, &len))
      rtc_sctp_handle_packet(b->s, p, len), moved = 1;
    while (rtc_sctp_poll_transmit(b->s, &p, &len))
      rtc_sctp_handle_packet(a->s, p, len), moved = 1;
  }
  rtc_sctp_event_t ev;
  while (rtc_sctp_poll_event(a->s, &ev))
    side_event(a, &ev);
  now_us += 1000;
  rtc_sctp_global_handle_timeout(now_us);
}

/* The owner stops polling B's events: B stops reading, its receive window closes,
 * A's data waits in A's queue (no loss), and everything flows once B polls again. */
static void test_backpressure(void) {
  pair_up(&A, &B, 262144);
  uint16_t sa = open_pair_channel(&A, &B, true, -1);
  static uint8_t m[65536];
  enum { N = 200 }; /* 12.5 MiB */
  for (int i = 0; i < N; i++) {
    memset(m, i, sizeof m);
    CHECK_EQ_INT(rtc_sctp_channel_send(A.s, sa, true, m, sizeof m), 0);
  }
  /* Move packets both ways for 5 s of virtual time without polling B's events. */
  for (int t = 0; t < 5000; t++)
    wire_only(&A, &B);
  size_t stuck = rtc_sctp_channel_buffered_amount(A.s, sa);
  printf("  with B not polling: %zu bytes still queued at A\n", stuck);
  CHECK(stuck > 0);
  /* Now B polls; verify every message, in order, intact. */
  int ok = 0, got = 0;
  uint64_t end = now_us + RTC_MS(30000);
  while (got < N && now_us < end) {
    rtc_sctp_event_t ev;
    while (rtc_sctp_poll_event(B.s, &ev)) {
      if (ev.type != RTC_SCTP_EVENT_MESSAGE) continue;
      if (ev.len == sizeof m && ev.data[0] == (uint8_t)got && ev.data[65535] == (uint8_t)got) ok++;
      got++;
    }
    wire_only(&A, &B);
  }
  CHECK_EQ_INT(got, N);
  CHECK_EQ_INT(ok, N);
  rtc_sctp_stats_t st;
  rtc_sctp_get_stats(B.s, &st);
  CHECK_EQ_INT(st.packets_dropped, 0);
  pair_down(&A, &B);
}

static double wall_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_throughput(void) {
  pair_up(&A, &B, 262144);
  uint16_t sa = open_pair_channel(&A, &B, true, -1);
  static uint8_t m[65536];
  const int total = 1024; /* 64 MiB */
  int sent = 0;
  double t0 = wall_s();
  uint64_t end = now_us + RTC_MS(600000);
  while (B.messages < total && now_us < end) {
    while (sent < total && rtc_sctp_channel_buffered_amount(A.s, sa) < 4 * sizeof m) {
      CHECK_EQ_INT(rtc_sctp_channel_send(A.s, sa, true, m, sizeof m), 0);
      sent++;
    }
    if (!pump_once(&A, &B)) {
      now_us += 1000;
      rtc_sctp_global_handle_timeout(now_us);
    }
  }
  double dt = wall_s() - t0;
  CHECK_EQ_INT(B.messages, total);
  printf("  throughput in memory: %.1f MB/s (64 MiB of 64 KiB messages in %.2f s wall)\n",
         total * 65536.0 / 1e6 / dt, dt);
  pair_down(&A, &B);
}

static void memory_per_association(uint16_t streams) {
  enum { N = 100 };
  static side_t as[N], bs[N];
  pair_streams = streams;
  malloc_trim(0);
  struct mallinfo2 m0 = mallinfo2();
  for (int i = 0; i < N; i++)
    pair_up(&as[i], &bs[i], 262144);
  /* Let delayed SACKs and the like settle. */
  for (int i = 0; i < N; i++)
    pump(&as[i], &bs[i], NULL, 50);
  struct mallinfo2 m1 = mallinfo2();
  int up = 0;
  for (int i = 0; i < N; i++)
    up += as[i].connected && bs[i].connected;
  CHECK_EQ_INT(up, N);
  printf("  memory per idle association, %u streams: %zu bytes (heap in use, %d pairs)\n",
         streams ? streams : RTC_SCTP_MAX_CHANNELS, (m1.uordblks - m0.uordblks) / (2 * N), N);
  for (int i = 0; i < N; i++)
    pair_down(&as[i], &bs[i]);
  struct mallinfo2 m2 = mallinfo2();
  printf("  heap after destroying them: %+ld bytes vs before\n",
         (long)m2.uordblks - (long)m0.uordblks);
  pair_streams = 0;
}

static void test_memory_per_association(void) {
  memory_per_association(0);
  memory_per_association(256);
  memory_per_association(64);
}

/* Streams: ids must stay below what both ends negotiated. */
static void test_max_streams(void) {
  memset(&A, 0, sizeof A);
  memset(&B, 0, sizeof B);
  rtc_sctp_config_t ca = {.dtls_client = true, .max_streams = 1024};
  rtc_sctp_config_t cb = {.dtls_client = false, .max_streams = 16};
  A.s = rtc_sctp_create(&ca);
  B.s = rtc_sctp_create(&cb);
  rtc_sctp_channel_params_t p = {
      .label = "x", .ordered = true, .max_retransmits = -1, .max_packet_life_time = -1};
  CHECK_EQ_INT(rtc_sctp_channel_open(B.s, &p, true, 16, NULL), RTC_EINVAL);
  CHECK_EQ_INT(rtc_sctp_channel_open(A.s, &p, true, 100, NULL), 0); /* not known yet */
  CHECK_EQ_INT(rtc_sctp_channel_open(A.s, &p, true, 10, NULL), 0);
  rtc_sctp_start(A.s);
  rtc_sctp_start(B.s);
  pump(&A, &B, NULL, 500);
  CHECK_EQ_INT(A.connected, 1);
  CHECK_EQ_INT(A.errors, 1); /* id 100 refused once the counts were known */
  CHECK_EQ_INT(A.closed_on[100], 1);
  CHECK_EQ_INT(A.open_on[10], 1);
  CHECK_EQ_INT(rtc_sctp_channel_open(A.s, &p, true, 20, NULL), RTC_EINVAL);
  pair_down(&A, &B);
}

/* A lossy, reordering wire: ~5% loss, adjacent swaps, 20 ms one-way delay, driven
 * only by the fake clock. SCTP's retransmissions run on usrsctp's global timers. */
typedef struct wire_pkt {
  uint64_t at;
  size_t len;
  uint8_t *p;
  int to; /* 0: to A, 1: to B */
} wire_pkt_t;

static uint32_t lcg_state = 12345;
static uint32_t lcg(void) { return lcg_state = lcg_state * 1103515245u + 12345u; }

static void test_lossy_wire(void) {
  pair_up(&A, &B, 0);
  uint16_t sa = open_pair_channel(&A, &B, true, -1);
  enum { MAXW = 4096, N = 2000 };
  static wire_pkt_t w[MAXW];
  int nw = 0, dropped = 0;
  int sent = 0;
  uint64_t end = now_us + RTC_MS(120000);
  side_t *sides[2] = {&A, &B};
  while (B.messages < N && now_us < end) {
    while (sent < N && rtc_sctp_channel_buffered_amount(A.s, sa) < 2000)
      send_seq(&A, sa, (uint32_t)sent++);
    for (int from = 0; from < 2; from++) {
      const uint8_t *p;
      size_t len;
      while (rtc_sctp_poll_transmit(sides[from]->s, &p, &len)) {
        if (lcg() % 100 < 5 || nw == MAXW) {
          dropped++;
          continue;
        }
        w[nw].at = now_us + 20000 + (lcg() % 4) * 1000; /* jitter reorders */
        w[nw].len = len;
        w[nw].p = malloc(len);
        memcpy(w[nw].p, p, len);
        w[nw].to = !from;
        nw++;
      }
    }
    for (int i = 0; i < nw;) {
      if (w[i].at <= now_us) {
        rtc_sctp_handle_packet(sides[w[i].to]->s, w[i].p, w[i].len);
        free(w[i].p);
        w[i] = w[--nw];
      } else {
        i++;
      }
    }
    rtc_sctp_event_t ev;
    while (rtc_sctp_poll_event(A.s, &ev))
      side_event(&A, &ev);
    while (rtc_sctp_poll_event(B.s, &ev))
      side_event(&B, &ev);
    now_us += 1000;
    rtc_sctp_global_handle_timeout(now_us);
  }
  for (int i = 0; i < nw; i++)
    free(w[i].p);
  CHECK_EQ_INT(B.messages, N);
  CHECK_EQ_INT(B.seq_errors, 0);
  CHECK(dropped > 0);
  printf("  lossy wire: %d messages in order, %d packets dropped\n", B.messages, dropped);
  pair_down(&A, &B);
}

static void test_timeouts(void) {
  CHECK_EQ_INT(rtc_sctp_global_init(), 0);
  CHECK(rtc_sctp_global_poll_timeout(now_us) == RTC_NEVER);
  pair_up(&A, &B, 0);
  uint64_t t = rtc_sctp_global_poll_timeout(now_us);
  CHECK(t != RTC_NEVER && t <= now_us + 10000);
  pair_down(&A, &B);
  CHECK(rtc_sctp_global_poll_timeout(now_us) == RTC_NEVER);
}

/* Inside usrsctp each association has ports of its own (rtc_sctp_port.c: binding and
 * finding an endpoint walked every association on port 5000); the wire carries the
 * announced ones, equal or not. */
static void test_wire_ports(void) {
  static const uint16_t ports[][2] = {{5000, 5000}, {5000, 6001}};
  for (size_t i = 0; i < sizeof ports / sizeof ports[0]; i++) {
    pair_port_a = ports[i][0];
    pair_port_b = ports[i][1];
    wire_src = pair_port_a;
    wire_dst = pair_port_b;
    wire_checked = wire_wrong = 0;
    pair_up(&A, &B, 0);
    uint16_t sid = open_pair_channel(&A, &B, true, -1);
    send_seq(&A, sid, 0);
    pump(&A, &B, NULL, 50);
    CHECK_EQ_INT(B.messages, 1);
    CHECK(wire_checked >= 3);
    CHECK_EQ_INT(wire_wrong, 0);
    if (rtc__sctp_own_crc32c) CHECK(A.s->port && B.s->port && A.s->port != B.s->port);
    pair_down(&A, &B);
  }
  pair_port_a = pair_port_b = 0;
  wire_src = wire_dst = 0;
}

/* The threads of this process (/proc/self/task), or -1. */
static int task_count(void) {
  DIR *d = opendir("/proc/self/task");
  if (!d) return -1;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)))
    if (e->d_name[0] != '.') n++;
  closedir(d);
  return n;
}

/* No thread in the core: usrsctp_init_nothreads still starts "SCTP iterator", which
 * rtc_sctp_global_init joins (rtc_sctp_iterator.c). A pair connects, sends, closes
 * with one thread at every step; then a pair with AF_CONN addresses of their own (the
 * path without port pairs) is destroyed, which deregisters the addresses: usrsctp's
 * ADDR_WQ timer then queues their removal for the iterator, and our loop must run it. */
static int max_tasks;
static bool count_tasks(side_t *a, side_t *b) {
  int n = task_count();
  if (n > max_tasks) max_tasks = n;
  return false;
}

static void test_one_thread(void) {
  CHECK(rtc__sctp_iterator_is_ours());
  CHECK_EQ_INT(task_count(), 1);
  max_tasks = 0;
  for (int own_addr = 0; own_addr < 2; own_addr++) {
    bool saved = rtc__sctp_own_crc32c;
    /* Without our CRC no port pair is given: each side registers an address. The two
     * ends are in this process, with usrsctp's checksum check off: no CRC is needed. */
    if (own_addr) rtc__sctp_own_crc32c = false;
    pair_up(&A, &B, 0);
    rtc__sctp_own_crc32c = saved;
    if (!A.s || !B.s) return;
    if (own_addr) CHECK(A.s->port == 0 && B.s->port == 0);
    uint16_t sid = open_pair_channel(&A, &B, true, -1);
    for (uint32_t i = 0; i < 100; i++)
      send_seq(&A, sid, i);
    pump(&A, &B, count_tasks, 200);
    CHECK_EQ_INT(B.messages, 100);
    CHECK_EQ_INT(rtc_sctp_channel_close(A.s, sid), 0);
    pump(&A, &B, count_tasks, 200);
    CHECK_EQ_INT(B.closed_on[sid], 1);
    uint32_t runs = rtc__sctp_iterator_runs();
    /* A third association keeps the timers ticking after the pair is gone. */
    rtc_sctp_config_t c = {.local_port = 5000, .remote_port = 5000};
    rtc_sctp_t *keep = rtc_sctp_create(&c);
    CHECK(keep != NULL);
    pair_down(&A, &B);
    for (int ms = 0; ms < 100; ms++) {
      now_us += 1000;
      rtc_sctp_global_handle_timeout(now_us);
      count_tasks(NULL, NULL);
    }
    rtc_sctp_destroy(keep);
    CHECK(!rtc__sctp_iterator_pending());
    if (own_addr) CHECK(rtc__sctp_iterator_runs() > runs);
    printf("  %s: iterator runs %u -> %u, threads at most %d\n",
           own_addr ? "own addresses" : "port pairs", runs, rtc__sctp_iterator_runs(),
           max_tasks);
  }
  CHECK_EQ_INT(max_tasks, 1);
  CHECK_EQ_INT(task_count(), 1);
}

/* Creating an association (its bind) costs the same with thousands of others: when
 * all were bound to port 5000 the 3rd thousand's median took ~3x the 1st's. Medians:
 * the machine may be loaded. */
static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static void test_bind_does_not_grow(void) {
  enum { N = 3000 };
  static rtc_sctp_t *all[N];
  static double dt[N];
  rtc_sctp_config_t c = {.local_port = 5000, .remote_port = 5000};
  for (int i = 0; i < N; i++) {
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    all[i] = rtc_sctp_create(&c);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    dt[i] = (double)(t1.tv_sec - t0.tv_sec) * 1e6 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e3;
    CHECK(all[i] != NULL);
  }
  for (int i = 0; i < N; i++)
    rtc_sctp_destroy(all[i]);
  qsort(dt, 1000, sizeof dt[0], cmp_double);
  qsort(dt + 2000, 1000, sizeof dt[0], cmp_double);
  double first = dt[500], third = dt[2500];
  printf("  create, median of the 1st / 3rd thousand: %.1f / %.1f us\n", first, third);
  if (rtc__sctp_own_crc32c) CHECK(third < 1.8 * first + 2.0);
}

int main(void) {
  rtc_sctp_global_init();
  RUN_TEST(test_dcep_roundtrip_shape);
  RUN_TEST(test_timeouts);
  RUN_TEST(test_one_thread);
  RUN_TEST(test_connect_and_open);
  RUN_TEST(test_wire_ports);
  RUN_TEST(test_bind_does_not_grow);
  RUN_TEST(test_ordered_10000);
  RUN_TEST(test_big_and_too_big);
  RUN_TEST(test_message_sizes_and_take);
  RUN_TEST(test_empty_messages);
  RUN_TEST(test_unordered_unreliable);
  RUN_TEST(test_100_channels);
  RUN_TEST(test_negotiated);
  RUN_TEST(test_close_both_sides);
  RUN_TEST(test_buffered_amount);
  RUN_TEST(test_garbage_dcep);
  RUN_TEST(test_peer_lost);
  RUN_TEST(test_reset_never_answered);
  RUN_TEST(test_lossy_wire);
  RUN_TEST(test_backpressure);
  RUN_TEST(test_throughput);
  RUN_TEST(test_max_streams);
  RUN_TEST(test_memory_per_association);
  CHECK_EQ_INT(task_count(), 1); /* still one after every test above */
  TEST_MAIN_END();
}
