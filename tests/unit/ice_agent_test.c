/* Two ICE agents wired together in memory on a fake clock: connection, loss, role
 * conflict, late candidates, checks before credentials, peer-reflexive discovery,
 * wrong passwords, consent loss and recovery, a peer whose datagrams come from an
 * address it did not signal (issue 16), failed -> checking -> connected. */
#include <stdlib.h>

#include "base/rtc_err.h"
#include "base/rtc_time.h"
#include "ice/rtc_ice_agent.h"
#include "ice/rtc_ice_internal.h" /* the switching constants */
#include "ice/rtc_stun.h"
#include "rtc_test.h"

typedef struct net {
  rtc_ice_agent_t *a[2];
  rtc_addr_t addr[2];
  rtc_addr_t extra[2]; /* a second reachable address per agent (family 0: none) */
  /* Where an agent's datagrams appear to come from (family 0: the socket's address):
   * a socket bound to the wildcard address on a host with several addresses. */
  rtc_addr_t seen_as[2];
  uint64_t now;
  int drop_every; /* drop every Nth datagram (0: none) */
  bool blocked;   /* drop everything */
  bool mute[2];   /* drop what this agent sends */
  uint64_t mute_responses_until[2]; /* drop this agent's success responses until then */
  /* The direct path (addr[0] <-> addr[1]) is cut: both ways, or from this agent only. */
  bool cut_direct, cut_from[2];
  rtc_addr_t slow;  /* datagrams from or to this address take slow_us more (one way) */
  uint64_t slow_us;
  int sent, dropped;
  uint64_t latency_us; /* one-way delay; 0: delivered at once */
  struct {
    int to;
    rtc_addr_t local, from;
    uint64_t at;
    size_t len;
    uint8_t data[700];
  } wire[256];
  int n_wire;
  rtc_ice_state_t state[2];
  int selected_events[2];
  uint64_t connected_at[2], failed_at[2];
  char history[2][32]; /* every state an agent went through, one letter each */
} net_t;

static const char *PWD[2] = {"passwordOfAgentA0123456", "passwordOfAgentB0123456"};
static const char *UFRAG[2] = {"ufrA", "ufrB"};

static void drain_events(net_t *n) {
  for (int i = 0; i < 2; i++) {
    rtc_ice_event_t ev;
    while (rtc_ice_agent_poll_event(n->a[i], &ev)) {
      if (ev.type == RTC_ICE_EVENT_STATE) {
        n->state[i] = ev.state;
        size_t hl = strlen(n->history[i]);
        if (hl + 1 < sizeof n->history[i]) n->history[i][hl] = "nhcCfdx"[ev.state];
        if (ev.state == RTC_ICE_CONNECTED && n->connected_at[i] == RTC_NEVER)
          n->connected_at[i] = n->now;
        if (ev.state == RTC_ICE_FAILED && n->failed_at[i] == RTC_NEVER) n->failed_at[i] = n->now;
      } else {
        n->selected_events[i]++;
      }
    }
  }
}

static void pump(net_t *n) {
  bool any = true;
  while (any) {
    any = false;
    for (int i = 0; i < 2; i++) {
      rtc_transmit_t t;
      while (rtc_ice_agent_poll_transmit(n->a[i], &t)) {
        any = true;
        n->sent++;
        bool response = t.len >= 2 && t.data[0] == 0x01 && t.data[1] == 0x01;
        if (n->blocked || n->mute[i] || (n->drop_every && n->sent % n->drop_every == 0) ||
            (response && n->now < n->mute_responses_until[i])) {
          n->dropped++;
          continue;
        }
        int j = 1 - i;
        bool direct = rtc_addr_equal(&t.local, &n->addr[i]) && rtc_addr_equal(&t.remote, &n->addr[j]);
        if (direct && (n->cut_direct || n->cut_from[i])) {
          n->dropped++;
          continue;
        }
        const rtc_addr_t *src = rtc_addr_family(&n->seen_as[i]) ? &n->seen_as[i] : &t.local;
        CHECK(rtc_addr_equal(&t.local, &n->addr[i]) || rtc_addr_equal(&t.local, &n->extra[i]));
        if (!rtc_addr_equal(&t.remote, &n->addr[j]) && !rtc_addr_equal(&t.remote, &n->extra[j]))
          continue; /* nobody there */
        uint64_t delay = n->latency_us;
        if (rtc_addr_family(&n->slow) &&
            (rtc_addr_equal(&t.local, &n->slow) || rtc_addr_equal(&t.remote, &n->slow)))
          delay += n->slow_us;
        if (delay && n->n_wire < 256 && t.len <= sizeof n->wire[0].data) {
          n->wire[n->n_wire].to = j;
          n->wire[n->n_wire].local = t.remote;
          n->wire[n->n_wire].from = *src;
          n->wire[n->n_wire].at = n->now + delay;
          n->wire[n->n_wire].len = t.len;
          memcpy(n->wire[n->n_wire].data, t.data, t.len);
          n->n_wire++;
          continue;
        }
        rtc_ice_agent_handle_datagram(n->a[j], n->now, &t.remote, src, t.data, t.len);
      }
    }
    /* Datagrams whose delay has elapsed (in sending order). */
    for (int k = 0; k < n->n_wire; k++) {
      if (n->wire[k].at > n->now) continue;
      rtc_ice_agent_handle_datagram(n->a[n->wire[k].to], n->now, &n->wire[k].local,
                                    &n->wire[k].from, n->wire[k].data, n->wire[k].len);
      memmove(&n->wire[k], &n->wire[k + 1], (size_t)(n->n_wire - k - 1) * sizeof n->wire[0]);
      n->n_wire--;
      k--;
      any = true;
    }
  }
  drain_events(n);
}

static uint64_t wire_deadline(const net_t *n) {
  uint64_t d = RTC_NEVER;
  for (int k = 0; k < n->n_wire; k++)
    d = rtc_time_min(d, n->wire[k].at);
  return d;
}

/* Runs the two agents until the fake clock reaches `until`. */
static void run_until(net_t *n, uint64_t until) {
  for (int guard = 0; guard < 1000000; guard++) {
    pump(n);
    uint64_t d =
        rtc_time_min(rtc_ice_agent_poll_timeout(n->a[0]), rtc_ice_agent_poll_timeout(n->a[1]));
    d = rtc_time_min(d, wire_deadline(n));
    if (d > until) break;
    if (d > n->now) n->now = d;
    for (int i = 0; i < 2; i++)
      if (rtc_ice_agent_poll_timeout(n->a[i]) <= n->now)
        rtc_ice_agent_handle_timeout(n->a[i], n->now);
  }
  pump(n);
  if (until > n->now) n->now = until;
}

static bool both(const net_t *n, rtc_ice_state_t s) { return n->state[0] == s && n->state[1] == s; }

static bool is_up(rtc_ice_state_t s) { return s == RTC_ICE_CONNECTED || s == RTC_ICE_COMPLETED; }

static void run_until_connected(net_t *n, uint64_t limit) {
  while (n->now < limit && !(is_up(n->state[0]) && is_up(n->state[1])))
    run_until(n, n->now + 1000);
}

static rtc_ice_candidate_t cand[2];

/* flags: which steps to do at set-up. */
enum { CREDS_A = 1, CREDS_B = 2, CAND_A = 4, CAND_B = 8, ALL = 15 };

/* A gathers on ip_a, B on 127.0.0.1. */
static void net_init_at(net_t *n, bool a_controlling, bool b_controlling, int flags,
                        const char *ip_a) {
  memset(n, 0, sizeof *n);
  n->connected_at[0] = n->connected_at[1] = RTC_NEVER;
  n->failed_at[0] = n->failed_at[1] = RTC_NEVER;
  n->now = 1000000;
  for (int i = 0; i < 2; i++) {
    rtc_ice_config_t cfg = {.controlling = i == 0 ? a_controlling : b_controlling,
                            .local_ufrag = UFRAG[i],
                            .local_pwd = PWD[i]};
    n->a[i] = rtc_ice_agent_create(&cfg, n->now);
    rtc_addr_set(&n->addr[i], i == 0 ? ip_a : "127.0.0.1", (uint16_t)(10000 + i));
    CHECK_EQ_INT(rtc_ice_agent_add_local_host(n->a[i], &n->addr[i], &cand[i]), 0);
  }
  /* flag CREDS_A: A learns B's credentials; CAND_A: A learns B's candidate. */
  if (flags & CREDS_A)
    CHECK_EQ_INT(rtc_ice_agent_set_remote_credentials(n->a[0], UFRAG[1], PWD[1]), 0);
  if (flags & CREDS_B)
    CHECK_EQ_INT(rtc_ice_agent_set_remote_credentials(n->a[1], UFRAG[0], PWD[0]), 0);
  if (flags & CAND_A) CHECK_EQ_INT(rtc_ice_agent_add_remote_candidate(n->a[0], &cand[1]), 0);
  if (flags & CAND_B) CHECK_EQ_INT(rtc_ice_agent_add_remote_candidate(n->a[1], &cand[0]), 0);
}

static void net_init(net_t *n, bool a_controlling, bool b_controlling, int flags) {
  net_init_at(n, a_controlling, b_controlling, flags, "127.0.0.1");
}

static void net_free(net_t *n) {
  rtc_ice_agent_destroy(n->a[0]);
  rtc_ice_agent_destroy(n->a[1]);
}

static void check_same_pair(net_t *n) {
  rtc_addr_t l0, r0, l1, r1;
  CHECK(rtc_ice_agent_get_selected(n->a[0], &l0, &r0));
  CHECK(rtc_ice_agent_get_selected(n->a[1], &l1, &r1));
  CHECK(rtc_addr_equal(&l0, &r1) && rtc_addr_equal(&r0, &l1));
  CHECK(rtc_ice_agent_is_valid_pair(n->a[0], &l0, &r0));
  CHECK(rtc_ice_agent_is_valid_pair(n->a[1], &l1, &r1));
  CHECK(n->selected_events[0] >= 1 && n->selected_events[1] >= 1);
}

static void test_host_priority_and_foundation(void) {
  rtc_ice_agent_t *a = rtc_ice_agent_create(NULL, 0);
  rtc_addr_t v4, v4b, v6;
  rtc_ice_candidate_t c4, c4b, c6;
  rtc_addr_set(&v4, "192.0.2.1", 5000);
  rtc_addr_set(&v4b, "192.0.2.1", 5001);
  rtc_addr_set(&v6, "2001:db8::1", 5000);
  CHECK_EQ_INT(rtc_ice_agent_add_local_host(a, &v4, &c4), 0);
  CHECK_EQ_INT(rtc_ice_agent_add_local_host(a, &v4b, &c4b), 0);
  CHECK_EQ_INT(rtc_ice_agent_add_local_host(a, &v6, &c6), 0);
  CHECK_EQ_INT(c4.priority >> 24, 126);
  CHECK_EQ_INT(c4.priority & 0xFF, 255);
  CHECK(c6.priority > c4.priority);
  CHECK(c4.priority > c4b.priority);
  CHECK_STR(c4.foundation, c4b.foundation); /* same base IP and type */
  CHECK(strcmp(c4.foundation, c6.foundation) != 0);
  CHECK(strlen(rtc_ice_agent_local_ufrag(a)) >= 4);
  CHECK(strlen(rtc_ice_agent_local_pwd(a)) >= 22);
  CHECK_EQ_INT(rtc_ice_agent_set_remote_credentials(a, "abc", "0123456789012345678901"),
               RTC_EINVAL);
  CHECK_EQ_INT(rtc_ice_agent_set_remote_credentials(a, "abcd", "short"), RTC_EINVAL);
  rtc_ice_candidate_t tcp = c4;
  tcp.transport = RTC_ICE_TCP;
  CHECK_EQ_INT(rtc_ice_agent_add_remote_candidate(a, &tcp), RTC_ENOTSUP);
  rtc_ice_candidate_t mdns = c4;
  mdns.address_is_ip = false;
  CHECK_EQ_INT(rtc_ice_agent_add_remote_candidate(a, &mdns), RTC_ENOTSUP);
  /* Remote table is bounded. */
  int r = 0;
  for (int i = 0; i < RTC_ICE_MAX_REMOTE + 5 && r == 0; i++) {
    rtc_ice_candidate_t c = c4;
    rtc_addr_set_port(&c.addr, (uint16_t)(20000 + i));
    r = rtc_ice_agent_add_remote_candidate(a, &c);
  }
  CHECK_EQ_INT(r, RTC_ELIMIT);
  CHECK_EQ_INT(rtc_ice_agent_state(a), RTC_ICE_NEW);
  rtc_ice_agent_close(a);
  CHECK_EQ_INT(rtc_ice_agent_state(a), RTC_ICE_CLOSED);
  CHECK(rtc_ice_agent_poll_timeout(a) == RTC_NEVER);
  rtc_ice_agent_destroy(a);
  rtc_ice_agent_destroy(NULL);
}

static void test_connect_fast(void) {
  net_t n;
  net_init(&n, true, false, ALL);
  uint64_t t0 = n.now;
  run_until_connected(&n, t0 + RTC_MS(1000));
  CHECK(is_up(n.state[0]) && is_up(n.state[1]));
  check_same_pair(&n);
  uint64_t t = (n.connected_at[0] > n.connected_at[1] ? n.connected_at[0] : n.connected_at[1]) - t0;
  printf("  connected after %.3f ms on the fake clock (%d datagrams)\n", (double)t / 1000.0,
         n.sent);
  CHECK(t < RTC_MS(5));
  CHECK(rtc_ice_agent_is_controlling(n.a[0]) && !rtc_ice_agent_is_controlling(n.a[1]));
  /* Completed once both sides say gathering is done. */
  for (int i = 0; i < 2; i++) {
    rtc_ice_agent_set_local_gathering_done(n.a[i]);
    rtc_ice_agent_set_remote_gathering_done(n.a[i]);
  }
  run_until(&n, n.now + RTC_MS(10));
  CHECK(both(&n, RTC_ICE_COMPLETED));
  /* Stays up for a minute of consent checks. */
  run_until(&n, n.now + RTC_MS(60000));
  CHECK(both(&n, RTC_ICE_COMPLETED));
  rtc_ice_stats_t st;
  rtc_ice_agent_get_stats(n.a[0], &st);
  CHECK(st.checks_sent >= 10 && st.responses_received >= 10 && st.stun_dropped == 0);
  net_free(&n);
}

/* 20 ms each way: connected in about two round trips, RTT measured. */
static void test_latency_and_rtt(void) {
  net_t n;
  net_init(&n, true, false, ALL);
  n.latency_us = RTC_MS(20);
  uint64_t t0 = n.now;
  run_until_connected(&n, n.now + RTC_MS(2000));
  CHECK(is_up(n.state[0]) && is_up(n.state[1]));
  check_same_pair(&n);
  printf("  connected after %.1f / %.1f ms with 40 ms RTT, rtt_ms %u / %u\n",
         (double)(n.connected_at[0] - t0) / 1000.0, (double)(n.connected_at[1] - t0) / 1000.0,
         rtc_ice_agent_rtt_ms(n.a[0]), rtc_ice_agent_rtt_ms(n.a[1]));
  CHECK(n.connected_at[0] - t0 <= RTC_MS(81) && n.connected_at[1] - t0 <= RTC_MS(101));
  CHECK_EQ_INT(rtc_ice_agent_rtt_ms(n.a[0]), 40);
  run_until(&n, n.now + RTC_MS(20000));
  CHECK(is_up(n.state[0]) && is_up(n.state[1]));
  CHECK_EQ_INT(rtc_ice_agent_rtt_ms(n.a[1]), 40);
  net_free(&n);
  /* 300 ms RTT, longer than the initial RTO: still connects, RTT converges. */
  net_init(&n, true, false, ALL);
  n.latency_us = RTC_MS(150);
  run_until_connected(&n, n.now + RTC_MS(5000));
  CHECK(is_up(n.state[0]) && is_up(n.state[1]));
  run_until(&n, n.now + RTC_MS(60000));
  CHECK(is_up(n.state[0]) && is_up(n.state[1]));
  printf("  300 ms path: rtt_ms %u / %u\n", rtc_ice_agent_rtt_ms(n.a[0]),
         rtc_ice_agent_rtt_ms(n.a[1]));
  CHECK(rtc_ice_agent_rtt_ms(n.a[0]) >= 300 && rtc_ice_agent_rtt_ms(n.a[0]) <= 400);
  net_free(&n);
}

static void test_packet_loss(void) {
  net_t n;
  net_init(&n, true, false, ALL);
  n.drop_every = 3;
  run_until_connected(&n, n.now + RTC_MS(10000));
  CHECK(is_up(n.state[0]) && is_up(n.state[1]));
  check_same_pair(&n);
  run_until(&n, n.now + RTC_MS(60000));
  CHECK(is_up(n.state[0]) && is_up(n.state[1]));
  printf("  %d of %d datagrams dropped\n", n.dropped, n.sent);
  net_free(&n);
}

static void test_role_conflict(void) {
  for (int both_controlling = 1; both_controlling >= 0; both_controlling--) {
    net_t n;
    net_init(&n, both_controlling, both_controlling, ALL);
    run_until_connected(&n, n.now + RTC_MS(2000));
    CHECK(is_up(n.state[0]) && is_up(n.state[1]));
    check_same_pair(&n);
    CHECK(rtc_ice_agent_is_controlling(n.a[0]) != rtc_ice_agent_is_controlling(n.a[1]));
    net_free(&n);
  }
}

static void test_late_candidates(void) {
  net_t n;
  net_init(&n, true, false, CREDS_A | CREDS_B);
  run_until(&n, n.now + RTC_MS(200));
  CHECK(both(&n, 0) && n.sent == 0); /* nothing to check yet: still new */
  uint64_t t0 = n.now;
  CHECK_EQ_INT(rtc_ice_agent_add_remote_candidate(n.a[1], &cand[0]), 0);
  CHECK_EQ_INT(rtc_ice_agent_add_remote_candidate(n.a[0], &cand[1]), 0);
  CHECK_EQ_INT(rtc_ice_agent_add_remote_candidate(n.a[0], &cand[1]), 0); /* duplicate */
  run_until_connected(&n, n.now + RTC_MS(1000));
  CHECK(is_up(n.state[0]) && is_up(n.state[1]));
  CHECK(n.connected_at[1] - t0 < RTC_MS(5));
  check_same_pair(&n);
  net_free(&n);
}

static void test_check_before_credentials(void) {
  net_t n;
  /* B (controlled) knows neither A's credentials nor A's candidate yet. */
  net_init(&n, true, false, CREDS_A | CAND_A);
  run_until(&n, n.now + RTC_MS(50));
  CHECK_EQ_INT(n.state[1], RTC_ICE_NEW);
  rtc_ice_stats_t st;
  rtc_ice_agent_get_stats(n.a[1], &st);
  CHECK(st.checks_received >= 1);
  CHECK_EQ_INT(rtc_ice_agent_set_remote_credentials(n.a[1], UFRAG[0], PWD[0]), 0);
  run_until_connected(&n, n.now + RTC_MS(2000));
  CHECK(is_up(n.state[0]) && is_up(n.state[1]));
  check_same_pair(&n);
  /* The signalled candidate arriving late upgrades the peer-reflexive one, which then
   * shows as signalled (W3C getRemoteCandidates, remote-candidate stats). */
  rtc_ice_candidate_t shown;
  CHECK_EQ_INT((int)rtc_ice_agent_n_candidates(n.a[1], true), 1);
  CHECK(rtc_ice_agent_candidate(n.a[1], true, 0, &shown) && shown.type == RTC_ICE_CAND_PRFLX);
  CHECK_EQ_INT(rtc_ice_agent_add_remote_candidate(n.a[1], &cand[0]), 0);
  CHECK_EQ_INT((int)rtc_ice_agent_n_candidates(n.a[1], true), 1);
  CHECK(rtc_ice_agent_candidate(n.a[1], true, 0, &shown) && shown.type == cand[0].type);
  CHECK(strcmp(shown.foundation, cand[0].foundation) == 0 && shown.priority == cand[0].priority);
  net_free(&n);
}

static void test_peer_reflexive(void) {
  net_t n;
  /* B never learns A's candidate: it discovers A from A's checks. */
  net_init(&n, true, false, CREDS_A | CREDS_B | CAND_A);
  run_until_connected(&n, n.now + RTC_MS(1000));
  CHECK(is_up(n.state[0]) && is_up(n.state[1]));
  check_same_pair(&n);
  net_free(&n);
  /* Same with the controlled side the only one knowing a candidate. */
  net_init(&n, true, false, CREDS_A | CREDS_B | CAND_B);
  run_until_connected(&n, n.now + RTC_MS(1000));
  CHECK(is_up(n.state[0]) && is_up(n.state[1]));
  check_same_pair(&n);
  net_free(&n);
}

static void test_wrong_password(void) {
  net_t n;
  net_init(&n, true, false, CAND_A | CAND_B);
  CHECK_EQ_INT(rtc_ice_agent_set_remote_credentials(n.a[0], UFRAG[1], "wrongwrongwrongwrong0123"),
               0);
  CHECK_EQ_INT(rtc_ice_agent_set_remote_credentials(n.a[1], UFRAG[0], "wrongwrongwrongwrong4567"),
               0);
  rtc_ice_agent_set_remote_gathering_done(n.a[0]);
  rtc_ice_agent_set_remote_gathering_done(n.a[1]);
  uint64_t t0 = n.now;
  run_until(&n, n.now + RTC_MS(20000));
  CHECK(n.connected_at[0] == RTC_NEVER && n.connected_at[1] == RTC_NEVER);
  CHECK(both(&n, RTC_ICE_FAILED));
  CHECK_EQ_INT(rtc_ice_agent_poll_timeout(n.a[0]), RTC_NEVER);
  rtc_ice_stats_t st;
  rtc_ice_agent_get_stats(n.a[0], &st);
  CHECK(st.stun_dropped > 0);
  printf("  failed after %.1f s / %.1f s\n", (double)(n.failed_at[0] - t0) / 1e6,
         (double)(n.failed_at[1] - t0) / 1e6);
  /* Every pair failed after ~6.3 s of retransmissions; failed once the grace period
   * the peer gets to reach us has run out. */
  for (int i = 0; i < 2; i++)
    CHECK(n.failed_at[i] - t0 >= RTC_MS(RTC_ICE_FAILED_GRACE_MS) &&
          n.failed_at[i] - t0 < RTC_MS(RTC_ICE_FAILED_GRACE_MS + 100));
  net_free(&n);
  /* Without end-of-candidates: failed at the failed timeout. */
  net_init(&n, true, false, CAND_A | CAND_B);
  rtc_ice_agent_set_remote_credentials(n.a[0], UFRAG[1], "wrongwrongwrongwrong0123");
  rtc_ice_agent_set_remote_credentials(n.a[1], UFRAG[0], "wrongwrongwrongwrong4567");
  run_until(&n, n.now + RTC_MS(25000));
  CHECK(both(&n, RTC_ICE_CHECKING));
  run_until(&n, n.now + RTC_MS(6000));
  CHECK(both(&n, RTC_ICE_FAILED));
  net_free(&n);
}

static void test_consent_loss_and_recovery(void) {
  net_t n;
  net_init(&n, true, false, ALL);
  run_until_connected(&n, n.now + RTC_MS(1000));
  CHECK(is_up(n.state[0]) && is_up(n.state[1]));
  CHECK(rtc_ice_agent_rtt_ms(n.a[0]) <= 1);
  /* Blocked for 8 s: disconnected, then back when responses return. */
  n.blocked = true;
  run_until(&n, n.now + RTC_MS(1900));
  CHECK(is_up(n.state[0]) && is_up(n.state[1]));
  run_until(&n, n.now + RTC_MS(6100));
  CHECK(both(&n, RTC_ICE_DISCONNECTED));
  n.blocked = false;
  run_until(&n, n.now + RTC_MS(3000));
  CHECK(is_up(n.state[0]) && is_up(n.state[1]));
  /* Blocked for good: disconnected, then failed 30 s after the last response. */
  n.blocked = true;
  uint64_t t0 = n.now;
  run_until(&n, t0 + RTC_MS(7000));
  CHECK(both(&n, RTC_ICE_DISCONNECTED));
  run_until(&n, t0 + RTC_MS(25000));
  CHECK(both(&n, RTC_ICE_DISCONNECTED));
  run_until(&n, t0 + RTC_MS(31000));
  CHECK(both(&n, RTC_ICE_FAILED));
  net_free(&n);
}

/* A has IPv4 and IPv6 loopback; B has IPv4 only and also signals an unreachable
 * address with a higher priority. Pairs are formed per family; the dead pair does
 * not delay the connection. */
static void test_multiple_candidates(void) {
  net_t n;
  net_init(&n, true, false, CREDS_A | CREDS_B);
  rtc_ice_candidate_t c6, dead;
  rtc_addr_set(&n.extra[0], "::1", 10000);
  CHECK_EQ_INT(rtc_ice_agent_add_local_host(n.a[0], &n.extra[0], &c6), 0);
  CHECK(c6.priority > cand[0].priority);
  dead = cand[1];
  rtc_addr_set(&dead.addr, "192.0.2.55", 9);
  dead.priority = cand[1].priority + 1000;
  CHECK_EQ_INT(rtc_ice_agent_add_remote_candidate(n.a[0], &dead), 0);
  CHECK_EQ_INT(rtc_ice_agent_add_remote_candidate(n.a[0], &cand[1]), 0);
  CHECK_EQ_INT(rtc_ice_agent_add_remote_candidate(n.a[1], &c6), 0);
  CHECK_EQ_INT(rtc_ice_agent_add_remote_candidate(n.a[1], &cand[0]), 0);
  uint64_t t0 = n.now;
  run_until_connected(&n, n.now + RTC_MS(1000));
  CHECK(is_up(n.state[0]) && is_up(n.state[1]));
  check_same_pair(&n);
  CHECK(n.connected_at[0] - t0 < RTC_MS(5) && n.connected_at[1] - t0 < RTC_MS(5));
  rtc_addr_t l, r;
  rtc_ice_agent_get_selected(n.a[0], &l, &r);
  CHECK(rtc_addr_equal(&l, &n.addr[0]) && rtc_addr_equal(&r, &n.addr[1]));
  CHECK(!rtc_ice_agent_is_valid_pair(n.a[0], &n.addr[0], &dead.addr));
  /* Gathering done: completed once the dead pair's retransmissions stop. */
  for (int i = 0; i < 2; i++) {
    rtc_ice_agent_set_local_gathering_done(n.a[i]);
    rtc_ice_agent_set_remote_gathering_done(n.a[i]);
  }
  run_until(&n, n.now + RTC_MS(10000));
  if (!both(&n, RTC_ICE_COMPLETED)) fprintf(stderr, "  states %d %d\n", n.state[0], n.state[1]);
  CHECK(both(&n, RTC_ICE_COMPLETED));
  net_free(&n);
}

static void test_hostile_input(void) {
  net_t n;
  net_init(&n, true, false, ALL);
  rtc_addr_t evil;
  rtc_addr_set(&evil, "127.0.0.1", 6666);
  uint8_t junk[64] = {0};
  rtc_ice_agent_handle_datagram(n.a[1], n.now, &n.addr[1], &evil, junk, sizeof junk);
  /* A well-formed check with the wrong password, one with a username that is not
   * ours, one without MESSAGE-INTEGRITY: no state, no pair, and no answer at all
   * (an answer would reflect traffic at whoever the source address names). */
  uint8_t buf[256], tid[12] = {1};
  const char *users[] = {"ufrB:ufrA", "someone:ufrA", "ufrB:ufrA"};
  for (int u = 0; u < 3; u++) {
    rtc_stun_writer_t w;
    rtc_stun_writer_init(&w, buf, sizeof buf, RTC_STUN_BINDING, tid);
    rtc_stun_put_string(&w, RTC_STUN_ATTR_USERNAME, users[u]);
    rtc_stun_put_u32(&w, RTC_STUN_ATTR_PRIORITY, 1000);
    rtc_stun_put_u64(&w, RTC_STUN_ATTR_ICE_CONTROLLING, 1);
    if (u < 2) rtc_stun_put_integrity(&w, (const uint8_t *)"nope", 4);
    rtc_stun_put_fingerprint(&w);
    int len = rtc_stun_writer_finish(&w);
    rtc_ice_agent_handle_datagram(n.a[1], n.now, &n.addr[1], &evil, buf, (size_t)len);
    /* The same without FINGERPRINT: not ICE at all. */
    if (u == 0) rtc_ice_agent_handle_datagram(n.a[1], n.now, &n.addr[1], &evil, buf, (size_t)len - 8);
  }
  rtc_ice_stats_t st;
  rtc_ice_agent_get_stats(n.a[1], &st);
  CHECK_EQ_INT(st.stun_dropped, 5);
  CHECK_EQ_INT(st.stun_unauthenticated, 3);
  CHECK(!rtc_ice_agent_is_valid_pair(n.a[1], &n.addr[1], &evil));
  /* B sends its own first check, nothing to the attacker. */
  rtc_transmit_t t;
  int to_evil = 0, sent = 0;
  while (rtc_ice_agent_poll_transmit(n.a[1], &t)) {
    sent++;
    if (rtc_addr_equal(&t.remote, &evil)) to_evil++;
  }
  CHECK_EQ_INT(to_evil, 0);
  CHECK(sent > 0);
  run_until_connected(&n, n.now + RTC_MS(1000));
  CHECK(is_up(n.state[0]) && is_up(n.state[1]));
  /* Random datagrams never crash a connected agent. */
  srand(3);
  for (int i = 0; i < 5000; i++) {
    uint8_t g[128];
    size_t gl = 20 + (size_t)(rand() % 100);
    for (size_t k = 0; k < gl; k++)
      g[k] = (uint8_t)rand();
    g[0] &= 0x01;
    g[2] = 0;
    g[3] = (uint8_t)((gl - 20) & ~3u);
    g[4] = 0x21, g[5] = 0x12, g[6] = 0xa4, g[7] = 0x42;
    rtc_ice_agent_handle_datagram(n.a[0], n.now, &n.addr[0], &n.addr[1], g, 20 + g[3]);
  }
  run_until(&n, n.now + RTC_MS(100));
  CHECK(is_up(n.state[0]) && is_up(n.state[1]));
  net_free(&n);
}

/* Issue 16: A's socket is bound to the wildcard address of a host with two addresses.
 * Its candidate names 10.99.0.1 while the kernel sends its datagrams to our 127.0.0.1
 * from 127.0.0.1. B's check to A's candidate is answered from 127.0.0.1: non-symmetric,
 * the pair fails (RFC 8445 7.2.5.2.1) and the remote end-of-candidates leaves nothing
 * else to check. A's own checks (from 127.0.0.1, a peer-reflexive candidate for B)
 * must still connect B when they come, however late. */
static void wildcard_peer(net_t *n, bool a_controlling, int flags) {
  net_init_at(n, a_controlling, !a_controlling, flags, "10.99.0.1");
  rtc_addr_set(&n->extra[0], "127.0.0.1", 10000);
  n->seen_as[0] = n->extra[0];
}

static void check_wildcard_pair(net_t *n) {
  rtc_addr_t l, r;
  CHECK(rtc_ice_agent_get_selected(n->a[1], &l, &r));
  CHECK(rtc_addr_equal(&l, &n->addr[1]) && rtc_addr_equal(&r, &n->seen_as[0]));
  CHECK(rtc_ice_agent_is_valid_pair(n->a[1], &l, &r));
  CHECK(rtc_ice_agent_get_selected(n->a[0], &l, &r));
  CHECK(rtc_addr_equal(&l, &n->addr[0]) && rtc_addr_equal(&r, &n->addr[1]));
}

/* B answers A's offer (end-of-candidates in it, or trickled just after) and its only
 * pair fails at once. A gets the answer a little later (300 ms) or after B's grace
 * period has run out, and only then checks. */
static void test_wildcard_offerer(void) {
  const uint32_t answer_ms[2] = {300, RTC_ICE_FAILED_GRACE_MS + 2000};
  for (int trickle = 0; trickle < 2; trickle++) {
    for (int k = 0; k < 2; k++) {
      net_t n;
      wildcard_peer(&n, true, CREDS_B | CAND_B);
      uint64_t t0 = n.now;
      if (!trickle) rtc_ice_agent_set_remote_gathering_done(n.a[1]);
      run_until(&n, t0 + RTC_MS(50));
      rtc_ice_stats_t st;
      rtc_ice_agent_get_stats(n.a[1], &st);
      CHECK(st.checks_sent == 1 && st.responses_received == 1); /* the pair failed */
      if (trickle) rtc_ice_agent_set_remote_gathering_done(n.a[1]);
      run_until(&n, t0 + RTC_MS(answer_ms[k]));
      CHECK_EQ_INT(n.state[1], k == 0 ? RTC_ICE_CHECKING : RTC_ICE_FAILED);
      if (k == 1) {
        /* Not failed before the peer had its fair chance, nor much later. */
        CHECK(n.failed_at[1] - t0 >= RTC_MS(RTC_ICE_FAILED_GRACE_MS));
        CHECK(n.failed_at[1] - t0 <= RTC_MS(RTC_ICE_FAILED_GRACE_MS + 100));
        CHECK_EQ_INT(rtc_ice_agent_poll_timeout(n.a[1]), RTC_NEVER);
      }
      /* The answer reaches A. */
      uint64_t t1 = n.now;
      CHECK_EQ_INT(rtc_ice_agent_set_remote_credentials(n.a[0], UFRAG[1], PWD[1]), 0);
      CHECK_EQ_INT(rtc_ice_agent_add_remote_candidate(n.a[0], &cand[1]), 0);
      rtc_ice_agent_set_remote_gathering_done(n.a[0]);
      run_until_connected(&n, t1 + RTC_MS(1000));
      printf("  %s, answer after %u ms: B went %s, connected %.3f ms after A got the answer\n",
             trickle ? "trickle" : "non-trickle", answer_ms[k], n.history[1],
             (double)(n.connected_at[1] - t1) / 1000.0);
      CHECK(is_up(n.state[0]) && is_up(n.state[1]));
      CHECK(n.connected_at[1] - t1 < RTC_MS(5));
      CHECK_STR(n.history[1], k == 0 ? "hc" : "hfhc");
      check_wildcard_pair(&n);
      run_until(&n, n.now + RTC_MS(30000));
      CHECK(is_up(n.state[0]) && is_up(n.state[1]));
      net_free(&n);
    }
  }
}

/* B offers (controlling). A answers with its candidate and end-of-candidates but has
 * none of B's yet (they trickle later): B's check reaches A first, A answers it from
 * 127.0.0.1 and sends its triggered check right behind the response. B's pair fails a
 * moment before A's check arrives. */
static void test_wildcard_answerer(void) {
  for (int trickle = 0; trickle < 2; trickle++) {
    net_t n;
    wildcard_peer(&n, false, CREDS_A | CREDS_B | CAND_B);
    uint64_t t0 = n.now;
    if (!trickle) rtc_ice_agent_set_remote_gathering_done(n.a[1]);
    run_until(&n, t0 + RTC_MS(20));
    if (trickle) rtc_ice_agent_set_remote_gathering_done(n.a[1]);
    CHECK_EQ_INT(rtc_ice_agent_add_remote_candidate(n.a[0], &cand[1]), 0);
    rtc_ice_agent_set_remote_gathering_done(n.a[0]);
    run_until_connected(&n, t0 + RTC_MS(1000));
    printf("  %s: B went %s, connected after %.3f ms\n", trickle ? "trickle" : "non-trickle",
           n.history[1], (double)(n.connected_at[1] - t0) / 1000.0);
    CHECK(is_up(n.state[0]) && is_up(n.state[1]));
    CHECK(n.connected_at[1] - t0 < RTC_MS(5));
    CHECK_STR(n.history[1], "hc");
    CHECK(rtc_ice_agent_is_controlling(n.a[1]) && !rtc_ice_agent_is_controlling(n.a[0]));
    check_wildcard_pair(&n);
    run_until(&n, n.now + RTC_MS(30000));
    CHECK(is_up(n.state[0]) && is_up(n.state[1]));
    net_free(&n);
  }
}

/* RFC 8445 7.3.1.4: a check on a pair that failed (here: every check timed out, as A
 * was not answering yet) triggers a check on it again, even after B went failed. */
static void test_failed_pair_revived(void) {
  net_t n;
  net_init(&n, true, false, CREDS_B | CAND_B);
  rtc_ice_agent_set_remote_gathering_done(n.a[1]);
  n.mute[0] = true;
  uint64_t t0 = n.now;
  run_until(&n, t0 + RTC_MS(RTC_ICE_FAILED_GRACE_MS + 5000));
  CHECK_EQ_INT(n.state[1], RTC_ICE_FAILED);
  n.mute[0] = false;
  CHECK_EQ_INT(rtc_ice_agent_set_remote_credentials(n.a[0], UFRAG[1], PWD[1]), 0);
  CHECK_EQ_INT(rtc_ice_agent_add_remote_candidate(n.a[0], &cand[1]), 0);
  uint64_t t1 = n.now;
  run_until_connected(&n, t1 + RTC_MS(1000));
  CHECK(is_up(n.state[0]) && is_up(n.state[1]));
  CHECK(n.connected_at[1] - t1 < RTC_MS(5));
  CHECK_STR(n.history[1], "hfhc");
  check_same_pair(&n);
  net_free(&n);
}

/* Seed 351 of tests/sim: the controlled agent's check succeeds at once, but every
 * answer to the controlling agent's checks is lost for 7 s, so its one transaction on
 * the pair fails (7 tries, ~6.3 s). The controlled agent, waiting for a nomination,
 * checks its working pair again every second; those checks trigger the controlling
 * agent's check again (RFC 8445 7.3.1.4), it succeeds once answers pass, and both
 * connect. Before, nothing came after the first check: the controlling agent went
 * failed at the 10 s grace and the controlled one 20 s later. */
static void test_controlled_rechecks_until_nominated(void) {
  net_t n;
  net_init(&n, true, false, ALL);
  rtc_ice_agent_set_remote_gathering_done(n.a[0]);
  rtc_ice_agent_set_remote_gathering_done(n.a[1]);
  uint64_t t0 = n.now;
  n.mute_responses_until[1] = t0 + RTC_MS(7000);
  run_until_connected(&n, t0 + RTC_MS(40000));
  printf("  controlling side's checks unanswered for 7 s: connected after %.2f s / %.2f s\n",
         (n.connected_at[0] - t0) / 1e6, (n.connected_at[1] - t0) / 1e6);
  CHECK(is_up(n.state[0]) && is_up(n.state[1]));
  CHECK(n.connected_at[0] - t0 < RTC_MS(9000) && n.connected_at[1] - t0 < RTC_MS(9000));
  CHECK(n.connected_at[0] - t0 > RTC_MS(7000));
  CHECK_STR(n.history[0], "hc");
  CHECK_STR(n.history[1], "hc");
  check_same_pair(&n);
  net_free(&n);
}

/* The same, but the path dies altogether after 1.5 s: both agents fail, close
 * together and in bounded time. The controlled agent's pair worked, but its re-checks
 * go unanswered (RTC_ICE_DEAD_STREAK transactions), so it no longer waits the whole
 * 30 s failed timeout for a nomination that cannot come. */
static void test_dead_path_both_fail(void) {
  net_t n;
  net_init(&n, true, false, ALL);
  rtc_ice_agent_set_remote_gathering_done(n.a[0]);
  rtc_ice_agent_set_remote_gathering_done(n.a[1]);
  uint64_t t0 = n.now;
  n.mute_responses_until[1] = RTC_NEVER;
  run_until(&n, t0 + RTC_MS(1500));
  n.blocked = true;
  run_until(&n, t0 + RTC_MS(40000));
  printf("  path dead after 1.5 s: failed after %.2f s (controlling) / %.2f s (controlled)\n",
         (n.failed_at[0] - t0) / 1e6, (n.failed_at[1] - t0) / 1e6);
  CHECK(both(&n, RTC_ICE_FAILED));
  CHECK(n.failed_at[0] - t0 <= RTC_MS(RTC_ICE_FAILED_GRACE_MS + 1000));
  CHECK(n.failed_at[1] - t0 <= RTC_MS(20000));
  CHECK(n.failed_at[1] - n.failed_at[0] <= RTC_MS(10000));
  net_free(&n);
}

/* Pair switching: each agent has its host address (addr, the direct path) and a relayed
 * candidate (extra, lower priority: a TURN allocation; the harness routes it like any
 * address). Returns the priority-ordered candidates in `relay`. */
static void net_init_relay(net_t *n, bool a_controlling) {
  rtc_ice_candidate_t relay[2];
  net_init(n, a_controlling, !a_controlling, ALL);
  for (int i = 0; i < 2; i++) {
    rtc_addr_set(&n->extra[i], i == 0 ? "127.0.0.2" : "127.0.0.3", (uint16_t)(20000 + i));
    CHECK_EQ_INT(rtc_ice_agent_add_local_relay(n->a[i], &n->extra[i], &n->addr[i], &relay[i]), 0);
    CHECK(relay[i].priority < cand[i].priority);
  }
  for (int i = 0; i < 2; i++)
    CHECK_EQ_INT(rtc_ice_agent_add_remote_candidate(n->a[i], &relay[1 - i]), 0);
}

static bool on_direct(net_t *n, int i) {
  rtc_addr_t l, r;
  return rtc_ice_agent_get_selected(n->a[i], &l, &r) && rtc_addr_equal(&l, &n->addr[i]) &&
         rtc_addr_equal(&r, &n->addr[1 - i]);
}

/* Runs in 10 ms steps until pred holds for both agents (or limit); returns the time. */
static uint64_t run_until_both(net_t *n, bool (*pred)(net_t *, int), uint64_t limit) {
  while (n->now < limit && !(pred(n, 0) && pred(n, 1)))
    run_until(n, n->now + RTC_MS(10));
  return n->now;
}
static bool off_direct(net_t *n, int i) { return !on_direct(n, i); }

/* rtc_ice_agent_pair_info (W3C candidate-pair stats): one pair is selected, the one
 * get_selected names, its candidates are the agent's, and it counted its checks. */
static void check_pair_info(net_t *n, int i) {
  rtc_addr_t l, r;
  CHECK(rtc_ice_agent_get_selected(n->a[i], &l, &r));
  int selected = 0;
  for (size_t k = 0; k < rtc_ice_agent_n_pairs(n->a[i]); k++) {
    rtc_ice_pair_info_t pi;
    rtc_ice_candidate_t lc, rc;
    CHECK(rtc_ice_agent_pair_info(n->a[i], k, &pi));
    CHECK(rtc_ice_agent_candidate(n->a[i], false, pi.local, &lc));
    CHECK(rtc_ice_agent_candidate(n->a[i], true, pi.remote, &rc));
    if (!pi.selected) continue;
    selected++;
    CHECK(rtc_addr_equal(&lc.addr, &l) && rtc_addr_equal(&rc.addr, &r));
    CHECK(pi.state == RTC_ICE_PAIR_SUCCEEDED && pi.nominated);
    CHECK(pi.requests_sent > 0 && pi.responses_received > 0);
  }
  CHECK_EQ_INT(selected, 1);
}

/* Direct + relay; the direct path dies (no ICE restart): the controlling agent nominates
 * a relayed pair within ~3 s, the controlled one follows, ICE never leaves `connected`;
 * the direct path comes back: both move back to it, once, after the hysteresis. */
static void switch_case(bool a_controlling) {
  net_t n;
  net_init_relay(&n, a_controlling);
  run_until_connected(&n, n.now + RTC_MS(1000));
  CHECK(on_direct(&n, 0) && on_direct(&n, 1));
  run_until(&n, n.now + RTC_MS(8000)); /* backups checked and probed */
  CHECK(on_direct(&n, 0) && on_direct(&n, 1));
  CHECK_EQ_INT((int)rtc_ice_agent_selected_changes(n.a[0]), 1);
  int events0 = n.selected_events[0];
  uint64_t t_cut = n.now;
  n.cut_direct = true;
  uint64_t t_sw = run_until_both(&n, off_direct, t_cut + RTC_MS(10000));
  CHECK(off_direct(&n, 0) && off_direct(&n, 1));
  fprintf(stderr, "  switch %s: off the direct path %.2f s after the cut\n",
          a_controlling ? "(A controlling)" : "(B controlling)", (t_sw - t_cut) / 1e6);
  /* Weak 2.5 s after the last thing that arrived (up to a consent period before the cut),
   * decided within a round (<= 0.9 s), nominated within a round trip. */
  CHECK(t_sw - t_cut <= RTC_MS(4000));
  run_until(&n, n.now + RTC_MS(500));
  check_same_pair(&n);
  CHECK(is_up(n.state[0]) && is_up(n.state[1]));
  /* Never disconnected: the switch came before the 5 s point. */
  CHECK(strchr(n.history[0], 'd') == NULL && strchr(n.history[1], 'd') == NULL);
  CHECK_EQ_INT(n.selected_events[0], events0 + 1);
  check_pair_info(&n, 0);
  check_pair_info(&n, 1);
  /* The best surviving pair was taken: no relayed pair of higher priority answers. */
  rtc_addr_t l, r;
  rtc_ice_agent_get_selected(n.a[0], &l, &r);
  CHECK(!rtc_addr_equal(&l, &n.extra[0]) || !rtc_addr_equal(&r, &n.extra[1])); /* not relay-relay */
  /* Stays put while the direct path is down (no flapping). */
  run_until(&n, n.now + RTC_MS(20000));
  CHECK(off_direct(&n, 0) && off_direct(&n, 1));
  CHECK_EQ_INT((int)rtc_ice_agent_selected_changes(n.a[0]), 2);
  /* Back: on the direct pair again after RTC_ICE_UPGRADE_STABLE_MS, once. */
  uint64_t t_back = n.now;
  n.cut_direct = false;
  uint64_t t_up = run_until_both(&n, on_direct, t_back + RTC_MS(15000));
  CHECK(on_direct(&n, 0) && on_direct(&n, 1));
  fprintf(stderr, "  back on the direct path %.2f s after it returned\n", (t_up - t_back) / 1e6);
  CHECK(t_up - t_back >= RTC_MS(RTC_ICE_UPGRADE_STABLE_MS) && t_up - t_back <= RTC_MS(9000));
  run_until(&n, n.now + RTC_MS(20000));
  CHECK(on_direct(&n, 0) && on_direct(&n, 1));
  CHECK_EQ_INT((int)rtc_ice_agent_selected_changes(n.a[0]), 3);
  CHECK_EQ_INT((int)rtc_ice_agent_selected_changes(n.a[1]), 3);
  CHECK(is_up(n.state[0]) && is_up(n.state[1]));
  net_free(&n);
}

static void test_switch_a_controlling(void) { switch_case(true); }
static void test_switch_b_controlling(void) { switch_case(false); }

/* One-way loss on the direct path (the controlled agent's datagrams to the controlling
 * one are lost; the controlling agent's checks still reach it): the controlling agent
 * moves, and the controlled one follows once its own checks go unanswered. */
static void test_switch_one_way(void) {
  net_t n;
  net_init_relay(&n, true);
  run_until_connected(&n, n.now + RTC_MS(1000));
  run_until(&n, n.now + RTC_MS(8000));
  CHECK(on_direct(&n, 0) && on_direct(&n, 1));
  uint64_t t_cut = n.now;
  n.cut_from[1] = true;
  uint64_t t_sw = run_until_both(&n, off_direct, t_cut + RTC_MS(15000));
  CHECK(off_direct(&n, 0) && off_direct(&n, 1));
  fprintf(stderr, "  one-way: both off the direct path %.2f s after the cut\n", (t_sw - t_cut) / 1e6);
  run_until(&n, n.now + RTC_MS(500));
  check_same_pair(&n);
  CHECK(is_up(n.state[0]) && is_up(n.state[1]));
  net_free(&n);
}

/* Without a backup nothing moves: the cut ends in disconnected, as before. */
static void test_no_backup_no_switch(void) {
  net_t n;
  net_init(&n, true, false, ALL);
  run_until_connected(&n, n.now + RTC_MS(1000));
  n.cut_direct = true;
  run_until(&n, n.now + RTC_MS(7000));
  CHECK(both(&n, RTC_ICE_DISCONNECTED));
  CHECK(on_direct(&n, 0) && on_direct(&n, 1));
  n.cut_direct = false;
  run_until(&n, n.now + RTC_MS(3000));
  CHECK(is_up(n.state[0]) && is_up(n.state[1]));
  CHECK_EQ_INT((int)rtc_ice_agent_selected_changes(n.a[0]), 1);
  net_free(&n);
}

/* The controlled agent ignores a nomination of a lower pair while its selected pair
 * works (a peer that nominates everything, as libwebrtc's aggressive mode does). */
static void test_controlled_keeps_working_pair(void) {
  net_t n;
  net_init_relay(&n, true);
  run_until_connected(&n, n.now + RTC_MS(1000));
  run_until(&n, n.now + RTC_MS(3000));
  CHECK(on_direct(&n, 1));
  /* A check with USE-CANDIDATE from A's relayed address to B's host, by hand. */
  uint8_t buf[600], tid[RTC_STUN_TID_LEN] = {9, 9, 9};
  rtc_stun_writer_t w;
  rtc_stun_writer_init(&w, buf, sizeof buf, RTC_STUN_BINDING | RTC_STUN_REQUEST, tid);
  rtc_stun_put_string(&w, RTC_STUN_ATTR_USERNAME, "ufrB:ufrA");
  rtc_stun_put_u32(&w, RTC_STUN_ATTR_PRIORITY, 1000);
  rtc_stun_put_u64(&w, RTC_STUN_ATTR_ICE_CONTROLLING, ~0ull);
  rtc_stun_put_attr(&w, RTC_STUN_ATTR_USE_CANDIDATE, NULL, 0);
  rtc_stun_put_integrity(&w, (const uint8_t *)PWD[1], strlen(PWD[1]));
  rtc_stun_put_fingerprint(&w);
  int len = rtc_stun_writer_finish(&w);
  CHECK(len > 0);
  rtc_ice_agent_handle_datagram(n.a[1], n.now, &n.addr[1], &n.extra[0], buf, (size_t)len);
  run_until(&n, n.now + RTC_MS(2000));
  CHECK(on_direct(&n, 1));
  CHECK_EQ_INT((int)rtc_ice_agent_selected_changes(n.a[1]), 1);
  net_free(&n);
}

/* A lower pair that answers first does not win (what keeps an ICE-TCP or relayed pair
 * from taking over just by being quicker after a cut): B has a second, slow host
 * address (150 ms each way), A a fast relayed candidate. The direct path dies; the
 * probe round is decided by priority, so A moves to B's slow host address, not to the
 * relay that answered 300 ms earlier. */
static void test_switch_prefers_priority_over_speed(void) {
  net_t n;
  net_init(&n, true, false, ALL);
  rtc_ice_candidate_t relay, second;
  rtc_addr_set(&n.extra[0], "127.0.0.2", 20000);
  CHECK_EQ_INT(rtc_ice_agent_add_local_relay(n.a[0], &n.extra[0], &n.addr[0], &relay), 0);
  rtc_addr_set(&n.extra[1], "127.0.0.3", 20001);
  CHECK_EQ_INT(rtc_ice_agent_add_local_host(n.a[1], &n.extra[1], &second), 0);
  CHECK(second.priority > relay.priority);
  CHECK_EQ_INT(rtc_ice_agent_add_remote_candidate(n.a[1], &relay), 0);
  CHECK_EQ_INT(rtc_ice_agent_add_remote_candidate(n.a[0], &second), 0);
  n.slow = n.extra[1];
  n.slow_us = RTC_MS(150);
  run_until_connected(&n, n.now + RTC_MS(1000));
  run_until(&n, n.now + RTC_MS(8000));
  CHECK(on_direct(&n, 0) && on_direct(&n, 1));
  uint64_t t_cut = n.now;
  n.cut_direct = true;
  run_until_both(&n, off_direct, t_cut + RTC_MS(10000));
  run_until(&n, n.now + RTC_MS(1000));
  rtc_addr_t l, r;
  CHECK(rtc_ice_agent_get_selected(n.a[0], &l, &r));
  CHECK(rtc_addr_equal(&l, &n.addr[0]) && rtc_addr_equal(&r, &n.extra[1]));
  check_same_pair(&n);
  CHECK_EQ_INT((int)rtc_ice_agent_selected_changes(n.a[0]), 2);
  net_free(&n);
}

/* Every socket failed to bind (an address the host lacks, the descriptor limit):
 * gathering ends with no local candidate. The agent must not stay `new` for good: with
 * the peer's end-of-candidates it fails at once (no peer can reach it, so no grace),
 * without it at the failed timeout; it never sends anything. */
static void test_no_local_candidates(void) {
  for (int eoc = 0; eoc < 2; eoc++) {
    uint64_t now = 1000000, t0 = now;
    rtc_ice_config_t cb = {.controlling = false, .local_ufrag = UFRAG[1], .local_pwd = PWD[1]};
    rtc_ice_agent_t *b = rtc_ice_agent_create(&cb, now);
    rtc_addr_t ab;
    rtc_addr_set(&ab, "127.0.0.1", 10001);
    rtc_ice_candidate_t cand_b;
    CHECK_EQ_INT(rtc_ice_agent_add_local_host(b, &ab, &cand_b), 0);
    rtc_ice_config_t ca = {.controlling = true, .local_ufrag = UFRAG[0], .local_pwd = PWD[0]};
    rtc_ice_agent_t *a = rtc_ice_agent_create(&ca, now);
    CHECK_EQ_INT(rtc_ice_agent_set_remote_credentials(a, UFRAG[1], PWD[1]), 0);
    CHECK_EQ_INT(rtc_ice_agent_add_remote_candidate(a, &cand_b), 0);
    rtc_ice_agent_handle_timeout(a, now);
    rtc_ice_state_t st = RTC_ICE_NEW;
    uint64_t failed_at = RTC_NEVER;
    char history[8] = "";
    int sent = 0;
    bool gathered = false;
    while (now < t0 + RTC_MS(40000) && failed_at == RTC_NEVER) {
      if (!gathered && now >= t0 + RTC_MS(100)) { /* gathering ends empty */
        rtc_ice_agent_set_local_gathering_done(a);
        if (eoc) rtc_ice_agent_set_remote_gathering_done(a);
        gathered = true;
      }
      uint64_t d = rtc_ice_agent_poll_timeout(a);
      if (d <= now) rtc_ice_agent_handle_timeout(a, now);
      rtc_transmit_t t;
      while (rtc_ice_agent_poll_transmit(a, &t)) sent++;
      rtc_ice_event_t ev;
      while (rtc_ice_agent_poll_event(a, &ev)) {
        if (ev.type != RTC_ICE_EVENT_STATE) continue;
        st = ev.state;
        size_t hl = strlen(history);
        if (hl + 1 < sizeof history) history[hl] = "nhcCfdx"[ev.state];
        if (st == RTC_ICE_FAILED) failed_at = now;
      }
      uint64_t next = gathered ? rtc_ice_agent_poll_timeout(a) : t0 + RTC_MS(100);
      if (next == RTC_NEVER) break;
      now = next > now ? next : now + 1;
    }
    printf("  %s end-of-candidates: %s after %.1f s\n", eoc ? "with" : "without", history,
           failed_at == RTC_NEVER ? -1.0 : (double)(failed_at - t0) / 1e6);
    CHECK_EQ_INT(st, RTC_ICE_FAILED);
    CHECK(strcmp(history, "hf") == 0);
    CHECK_EQ_INT(sent, 0);
    if (eoc) CHECK(failed_at - t0 <= RTC_MS(100));
    else CHECK(failed_at - t0 >= RTC_MS(30000) && failed_at - t0 <= RTC_MS(30200));
    CHECK_EQ_INT(rtc_ice_agent_poll_timeout(a), RTC_NEVER);
    rtc_ice_agent_destroy(a);
    rtc_ice_agent_destroy(b);
  }
}

/* The peer sent end-of-candidates and no candidate we can pair with (say, only mDNS
 * names that never resolved): the agent goes `checking` and, unless the peer's own
 * checks reach it (a peer-reflexive pair), `failed` once the grace period is over. */
static void test_end_of_candidates_without_candidates(void) {
  for (int peer_checks = 0; peer_checks < 2; peer_checks++) {
    net_t n;
    net_init(&n, true, false, CREDS_A | CREDS_B | (peer_checks ? CAND_B : 0));
    rtc_ice_agent_set_local_gathering_done(n.a[0]);
    rtc_ice_agent_set_remote_gathering_done(n.a[0]);
    uint64_t t0 = n.now;
    run_until(&n, n.now + RTC_MS(RTC_ICE_FAILED_GRACE_MS + 2000));
    printf("  %s: A went %s\n", peer_checks ? "the peer checks us" : "the peer is silent",
           n.history[0]);
    if (peer_checks) {
      CHECK(is_up(n.state[0]) && is_up(n.state[1]));
    } else {
      CHECK(strcmp(n.history[0], "hf") == 0);
      CHECK(n.failed_at[0] - t0 >= RTC_MS(RTC_ICE_FAILED_GRACE_MS) &&
            n.failed_at[0] - t0 <= RTC_MS(RTC_ICE_FAILED_GRACE_MS + 100));
    }
    net_free(&n);
  }
}

/* W3C RTCIceCandidatePairStats: requestsSent counts checks, not their retransmissions;
 * requestsReceived counts those (the receiver cannot tell them apart). Nothing
 * arrives: A's one check on its one pair is resent several times, and the pair read
 * requestsSent 5 after 3 s (the check and its 4 retransmissions). */
static void test_pair_requests_sent_without_retransmissions(void) {
  net_t n;
  net_init(&n, true, false, ALL);
  n.blocked = true;
  run_until(&n, n.now + RTC_MS(3000));
  rtc_ice_stats_t st;
  rtc_ice_agent_get_stats(n.a[0], &st);
  CHECK(st.checks_sent >= 3); /* retransmitted */
  CHECK_EQ_INT((int)rtc_ice_agent_n_pairs(n.a[0]), 1);
  rtc_ice_pair_info_t pi;
  CHECK(rtc_ice_agent_pair_info(n.a[0], 0, &pi));
  CHECK_EQ_INT((int)pi.requests_sent, 1);
  CHECK_EQ_INT((int)pi.responses_received, 0);
  net_free(&n);
  /* Only A's datagrams are lost: B resends its checks, and A counts every one. */
  net_init(&n, true, false, ALL);
  n.mute[0] = true;
  run_until(&n, n.now + RTC_MS(3000));
  rtc_ice_agent_get_stats(n.a[1], &st);
  CHECK(st.checks_sent >= 3);
  CHECK(rtc_ice_agent_pair_info(n.a[0], 0, &pi));
  CHECK_EQ_INT((int)pi.requests_received, (int)st.checks_sent);
  CHECK(rtc_ice_agent_pair_info(n.a[1], 0, &pi));
  CHECK(pi.requests_sent < st.checks_sent);
  net_free(&n);
}

int main(void) {
  RUN_TEST(test_host_priority_and_foundation);
  RUN_TEST(test_connect_fast);
  RUN_TEST(test_latency_and_rtt);
  RUN_TEST(test_packet_loss);
  RUN_TEST(test_role_conflict);
  RUN_TEST(test_late_candidates);
  RUN_TEST(test_check_before_credentials);
  RUN_TEST(test_peer_reflexive);
  RUN_TEST(test_wrong_password);
  RUN_TEST(test_no_local_candidates);
  RUN_TEST(test_end_of_candidates_without_candidates);
  RUN_TEST(test_consent_loss_and_recovery);
  RUN_TEST(test_multiple_candidates);
  RUN_TEST(test_hostile_input);
  RUN_TEST(test_wildcard_offerer);
  RUN_TEST(test_wildcard_answerer);
  RUN_TEST(test_failed_pair_revived);
  RUN_TEST(test_controlled_rechecks_until_nominated);
  RUN_TEST(test_dead_path_both_fail);
  RUN_TEST(test_switch_a_controlling);
  RUN_TEST(test_switch_b_controlling);
  RUN_TEST(test_switch_one_way);
  RUN_TEST(test_no_backup_no_switch);
  RUN_TEST(test_controlled_keeps_working_pair);
  RUN_TEST(test_switch_prefers_priority_over_speed);
  RUN_TEST(test_pair_requests_sent_without_retransmissions);
  TEST_MAIN_END();
}
