/* Our host candidates under mDNS names (draft-ietf-mmusic-mdns-ice-candidates 3.1): the
 * transport signals names, never the addresses, and answers queries for them; a pc pair
 * in memory connects through the name, the query and the answer passed by hand. */
#include <stdlib.h>
#include <string.h>

#include "base/rtc_err.h"
#include "base/rtc_time.h"
#include "ice/rtc_mdns.h"
#include "pc/rtc_pc.h"
#include "rtc_test.h"
#include "rtc_test_pair.h"
#include "sctp/rtc_sctp.h"
#include "transport/rtc_transport.h"

static uint64_t now_us = 1000000;

/* "<foundation> 1 udp <prio> <address> <port> typ ..." -> address */
static void cand_address(const char *text, char *out, size_t cap) {
  const char *p = text;
  for (int field = 0; field < 4 && p; field++) {
    p = strchr(p, ' ');
    if (p) p++;
  }
  size_t n = p ? strcspn(p, " ") : 0;
  snprintf(out, cap, "%.*s", (int)n, p ? p : "");
}

static rtc_transport_t *transport_new(void) {
  rtc_transport_config_t cfg = {.cert = rtc_dtls_cert_default(), .controlling = true};
  return rtc_transport_create(&cfg, now_us);
}

static void test_names_not_addresses(void) {
  rtc_transport_t *t = transport_new();
  CHECK(t != NULL);
  CHECK_EQ_INT(rtc_transport_set_mdns(t, true), 0);
  rtc_addr_t udp, tcp, v6, base, mapped;
  rtc_addr_set(&udp, "192.168.7.9", 40000);
  rtc_addr_set(&tcp, "192.168.7.9", 40001);
  rtc_addr_set_tcp(&tcp, true);
  rtc_addr_set(&v6, "fd00::9", 40002);
  char text[512], name1[300], name2[300], name3[300];
  CHECK_EQ_INT(rtc_transport_add_local_address(t, now_us, &udp, text, sizeof text), 0);
  CHECK(strstr(text, "192.168") == NULL);
  cand_address(text, name1, sizeof name1);
  CHECK_EQ_INT(strlen(name1), RTC_MDNS_UUID_NAME_LEN);
  CHECK(rtc_mdns_is_local_name(name1));
  CHECK(strstr(text, " 40000 typ host") != NULL);
  /* One name per IP: the TCP candidate on the same address shares it (Chromium). */
  CHECK_EQ_INT(rtc_transport_add_local_address(t, now_us, &tcp, text, sizeof text), 0);
  cand_address(text, name2, sizeof name2);
  CHECK_STR(name2, name1);
  CHECK_EQ_INT(rtc_transport_add_local_address(t, now_us, &v6, text, sizeof text), 0);
  cand_address(text, name3, sizeof name3);
  CHECK(strcmp(name3, name1) != 0 && rtc_mdns_is_local_name(name3));
  /* A server-reflexive candidate: its public address is no secret, its base is. */
  rtc_addr_set(&base, "192.168.7.9", 40000);
  rtc_addr_set(&mapped, "203.0.113.5", 61000);
  CHECK_EQ_INT(rtc_transport_add_local_srflx(t, now_us, &base, &mapped, text, sizeof text), 0);
  CHECK(strstr(text, "203.0.113.5 61000 typ srflx raddr 0.0.0.0 rport 0") != NULL);
  CHECK(strstr(text, "192.168") == NULL);

  /* The responder: A for the IPv4 name, AAAA for the IPv6 one, nothing else. */
  uint8_t q[300], out[512];
  rtc_addr_t got;
  int qn = rtc_mdns_build_query(name1, RTC_MDNS_TYPE_A, q, sizeof q);
  int n = rtc_transport_mdns_answer(t, q, (size_t)qn, false, out, sizeof out);
  CHECK(n > 0);
  CHECK_EQ_INT(rtc_mdns_parse_response(out, (size_t)n, name1, &got), 1);
  CHECK(rtc_addr_family(&got) == AF_INET && got.u.in4.sin_addr.s_addr == udp.u.in4.sin_addr.s_addr);
  qn = rtc_mdns_build_query(name1, RTC_MDNS_TYPE_AAAA, q, sizeof q);
  CHECK_EQ_INT(rtc_transport_mdns_answer(t, q, (size_t)qn, false, out, sizeof out), 0);
  qn = rtc_mdns_build_query(name3, RTC_MDNS_TYPE_AAAA, q, sizeof q);
  n = rtc_transport_mdns_answer(t, q, (size_t)qn, false, out, sizeof out);
  CHECK(n > 0);
  CHECK_EQ_INT(rtc_mdns_parse_response(out, (size_t)n, name3, &got), 1);
  CHECK_EQ_INT(rtc_addr_family(&got), AF_INET6);
  qn = rtc_mdns_build_query("0a1b2c3d-0000-4000-8000-000000000000.local", RTC_MDNS_TYPE_A, q,
                            sizeof q);
  CHECK_EQ_INT(rtc_transport_mdns_answer(t, q, (size_t)qn, false, out, sizeof out), 0);
  CHECK(rtc_transport_mdns_answer(t, q, 13, false, out, sizeof out) < 0); /* truncated */
  rtc_transport_destroy(t);
}

static void test_off_keeps_addresses(void) {
  rtc_transport_t *t = transport_new();
  rtc_addr_t udp;
  rtc_addr_set(&udp, "192.168.7.9", 40000);
  char text[512];
  CHECK_EQ_INT(rtc_transport_add_local_address(t, now_us, &udp, text, sizeof text), 0);
  CHECK(strstr(text, " 192.168.7.9 40000 typ host") != NULL);
  uint8_t q[300], out[512];
  int qn = rtc_mdns_build_query("0a1b2c3d-0000-4000-8000-000000000000.local", RTC_MDNS_TYPE_A, q,
                                sizeof q);
  CHECK_EQ_INT(rtc_transport_mdns_answer(t, q, (size_t)qn, false, out, sizeof out), 0);
  rtc_transport_destroy(t);
}

/* ---- a pc pair: a announces names, b resolves them through a's answers ---- */

typedef struct side {
  rtc_pc_t *pc;
  rtc_addr_t addr;
  char *cands[16];
  int n_cands;
} side_t;

static void drain(side_t *s) {
  rtc_pc_event_t ev;
  while (rtc_pc_poll_event(s->pc, &ev)) {
    if (ev.type == RTC_PC_EVENT_ICE_CANDIDATE && ev.candidate && s->n_cands < 16)
      s->cands[s->n_cands++] = strdup(ev.candidate);
    if (ev.type == RTC_PC_EVENT_DATACHANNEL) rtc_dc_unref(ev.dc); /* the event's reference */
  }
}

typedef struct run_ctx {
  side_t *sides[2];
  int b_sent;
} run_ctx_t;

static void drain_side(void *ctx, int i) { drain(((run_ctx_t *)ctx)->sides[i]); }

static bool count_from_b(void *ctx, int from, const uint8_t *p, size_t len) {
  (void)p, (void)len;
  if (from == 1) ((run_ctx_t *)ctx)->b_sent++;
  return true;
}

/* Returns how many datagrams b sent to a's address. */
static int run(side_t *a, side_t *b, uint64_t duration_us) {
  run_ctx_t c = {{a, b}, 0};
  rtc_test_pair_t p = {{a->pc, b->pc}, {&a->addr, &b->addr}, &now_us, drain_side, count_from_b, &c};
  rtc_test_pair_run(&p, duration_us);
  return c.b_sent;
}

static void gather(side_t *s) { rtc_test_pair_gather(s->pc, &s->addr); }

static void test_pc_pair_resolves_name(void) {
  rtc_pc_config_t cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.mdns_host_candidates = true;
  side_t a = {0}, b = {0};
  a.pc = rtc_pc_create(&cfg, now_us);
  b.pc = rtc_pc_create(NULL, now_us);
  rtc_addr_set(&a.addr, "10.0.0.1", 1000);
  rtc_addr_set(&b.addr, "10.0.0.2", 2000);
  CHECK_EQ_INT(rtc_pc_use_mdns_names(a.pc), 0); /* the io layer's part: a responder listens */
  rtc_dc_init_t init;
  rtc_dc_init_defaults(&init);
  init.label = "x";
  rtc_dc_t *dc = rtc_pc_create_data_channel(a.pc, &init);
  char *offer = NULL, *answer = NULL;
  CHECK_EQ_INT(rtc_pc_create_offer(a.pc, false, &offer), 0);
  CHECK_EQ_INT(rtc_pc_set_local_description(a.pc, RTC_SDP_OFFER, offer), 0);
  gather(&a);
  drain(&a);
  CHECK_EQ_INT(a.n_cands, 1);
  const char *local = rtc_pc_local_description(a.pc, NULL);
  CHECK(local != NULL);
  /* Neither the trickled candidate nor the description names the address. */
  CHECK(a.n_cands && strstr(a.cands[0], ".local 1000 typ host"));
  CHECK(local && !strstr(local, "10.0.0.1") && strstr(local, ".local 1000 typ host"));
  CHECK_EQ_INT(rtc_pc_set_remote_description(b.pc, RTC_SDP_OFFER, offer), 0);
  CHECK_EQ_INT(rtc_pc_create_answer(b.pc, &answer), 0);
  CHECK_EQ_INT(rtc_pc_set_local_description(b.pc, RTC_SDP_ANSWER, answer), 0);
  CHECK_EQ_INT(rtc_pc_set_remote_description(a.pc, RTC_SDP_ANSWER, answer), 0);
  for (int i = 0; i < a.n_cands; i++)
    CHECK_EQ_INT(rtc_pc_add_ice_candidate(b.pc, a.cands[i], "0", 0), 0);
  /* b's candidates stay with b: a cannot check b before b knows a's address, so the
   * only way in is b resolving the name. */
  const char *name = NULL;
  CHECK(rtc_pc_poll_resolve(b.pc, &name) && name);
  uint8_t q[300], out[512];
  int qn = rtc_mdns_build_query(name, RTC_MDNS_TYPE_A, q, sizeof q);
  CHECK_EQ_INT(rtc_pc_mdns_answer(b.pc, q, (size_t)qn, false, out, sizeof out), 0); /* not b's */
  int n = rtc_pc_mdns_answer(a.pc, q, (size_t)qn, false, out, sizeof out);
  CHECK(n > 0);
  CHECK(rtc_pc_handle_mdns_response(b.pc, out, (size_t)n));
  int b_sent = run(&a, &b, RTC_MS(500));
  CHECK(b_sent > 0);
  CHECK_EQ_INT(rtc_pc_connection_state(a.pc), RTC_CONNECTION_CONNECTED);
  CHECK_EQ_INT(rtc_pc_connection_state(b.pc), RTC_CONNECTION_CONNECTED);
  rtc_pc_stats_t st;
  rtc_pc_get_stats(b.pc, &st);
  CHECK(st.has_pair && rtc_addr_equal(&st.pair_remote, &a.addr));
  free(offer);
  free(answer);
  rtc_dc_unref(dc);
  rtc_pc_close(a.pc);
  rtc_pc_close(b.pc);
  CHECK_EQ_INT(rtc_pc_mdns_answer(a.pc, q, (size_t)qn, false, out, sizeof out), 0); /* closed */
  for (int i = 0; i < a.n_cands; i++)
    free(a.cands[i]);
  for (int i = 0; i < b.n_cands; i++)
    free(b.cands[i]);
  rtc_pc_destroy(a.pc);
  rtc_pc_destroy(b.pc);
}

int main(void) {
  RUN_TEST(test_names_not_addresses);
  RUN_TEST(test_off_keeps_addresses);
  RUN_TEST(test_pc_pair_resolves_name);
  TEST_MAIN_END();
}
