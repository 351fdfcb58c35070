// libFuzzer target for the STUN codec and the ICE agent's input path: parse,
// verify integrity and fingerprint, re-encode what parsed, then hand the bytes to
// an ICE agent that has credentials and a pair (requests and responses paths).
// Nothing may crash or read out of bounds; the agent must stay usable.
//
// Build (from the repository root):
//   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=gnu11 -Iruntime -o fuzz_stun \
//     tests/fuzz/fuzz_stun.c runtime/base/*.c runtime/ice/*.c -lmbedtls -lmbedx509 -lmbedcrypto -lm
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/rtc_err.h"
#include "ice/rtc_ice_agent.h"
#include "ice/rtc_stun.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  rtc_stun_msg_t m;
  if (rtc_stun_parse(data, size, &m) == 0) {
    (void)rtc_stun_check_integrity(data, size, &m, (const uint8_t *)"pwd", 3);
    (void)rtc_stun_check_fingerprint(data, size, &m);
    if (m.has_username && strlen(m.username) > RTC_STUN_MAX_USERNAME) abort();
    /* What we parsed, we can write and parse back. */
    uint8_t buf[1024];
    rtc_stun_writer_t w;
    rtc_stun_writer_init(&w, buf, sizeof buf, m.type, m.tid);
    if (m.has_username) rtc_stun_put_string(&w, RTC_STUN_ATTR_USERNAME, m.username);
    if (m.has_xor_mapped)
      rtc_stun_put_addr(&w, RTC_STUN_ATTR_XOR_MAPPED_ADDRESS, &m.xor_mapped, true);
    if (m.has_priority) rtc_stun_put_u32(&w, RTC_STUN_ATTR_PRIORITY, m.priority);
    rtc_stun_put_integrity(&w, (const uint8_t *)"pwd", 3);
    rtc_stun_put_fingerprint(&w);
    int n = rtc_stun_writer_finish(&w);
    rtc_stun_msg_t m2;
    if (n < 0 || rtc_stun_parse(buf, (size_t)n, &m2) != 0) abort();
    if (rtc_stun_check_integrity(buf, (size_t)n, &m2, (const uint8_t *)"pwd", 3) != 0) abort();
    if (rtc_stun_check_fingerprint(buf, (size_t)n, &m2) != 0) abort();
    if (m.has_xor_mapped && !rtc_addr_equal(&m.xor_mapped, &m2.xor_mapped)) abort();
  }

  rtc_ice_config_t cfg = {
      .controlling = size & 1, .local_ufrag = "ufrA", .local_pwd = "passwordOfAgentA0123456"};
  rtc_ice_agent_t *ice = rtc_ice_agent_create(&cfg, 1000);
  if (!ice) return 0;
  rtc_addr_t local, remote;
  rtc_ice_candidate_t c;
  rtc_addr_set(&local, "127.0.0.1", 10000);
  rtc_addr_set(&remote, "127.0.0.1", 10001);
  rtc_ice_agent_add_local_host(ice, &local, NULL);
  rtc_ice_agent_set_remote_credentials(ice, "ufrB", "passwordOfAgentB0123456");
  memset(&c, 0, sizeof c);
  c.component = 1;
  c.priority = 1000;
  c.address_is_ip = true;
  c.addr = remote;
  rtc_ice_agent_add_remote_candidate(ice, &c);
  rtc_ice_agent_handle_timeout(ice, 2000);
  rtc_ice_agent_handle_datagram(ice, 3000, &local, &remote, data, size);
  rtc_transmit_t t;
  while (rtc_ice_agent_poll_transmit(ice, &t))
    if (t.len == 0 || t.len > 1500) abort();
  /* The fuzzer cannot forge HMACs: re-sign what it wrote so that the authenticated
   * paths (roles, tie-breakers, peer-reflexive sources, nomination) see its values. */
  if (rtc_stun_parse(data, size, &m) == 0) {
    uint8_t buf[1024];
    rtc_stun_writer_t w;
    rtc_stun_writer_init(&w, buf, sizeof buf, m.type, m.tid);
    rtc_stun_put_string(&w, RTC_STUN_ATTR_USERNAME, "ufrA:ufrB");
    if (m.has_priority) rtc_stun_put_u32(&w, RTC_STUN_ATTR_PRIORITY, m.priority);
    if (m.has_controlling) rtc_stun_put_u64(&w, RTC_STUN_ATTR_ICE_CONTROLLING, m.tie_breaker);
    if (m.has_controlled) rtc_stun_put_u64(&w, RTC_STUN_ATTR_ICE_CONTROLLED, m.tie_breaker);
    if (m.use_candidate) rtc_stun_put_attr(&w, RTC_STUN_ATTR_USE_CANDIDATE, NULL, 0);
    if (m.error_code) rtc_stun_put_error(&w, m.error_code, "x");
    const char *pwd =
        m.cls == RTC_STUN_REQUEST ? "passwordOfAgentA0123456" : "passwordOfAgentB0123456";
    rtc_stun_put_integrity(&w, (const uint8_t *)pwd, strlen(pwd));
    rtc_stun_put_fingerprint(&w);
    int n = rtc_stun_writer_finish(&w);
    const rtc_addr_t *from = m.has_xor_mapped ? &m.xor_mapped : &remote;
    for (int k = 0; n > 0 && k < 3; k++) {
      rtc_ice_agent_handle_datagram(ice, 4000 + (uint64_t)k, &local, from, buf, (size_t)n);
      while (rtc_ice_agent_poll_transmit(ice, &t))
        if (t.len == 0 || t.len > 1500) abort();
    }
  }
  rtc_ice_agent_handle_timeout(ice, 10000000);
  rtc_ice_agent_destroy(ice);
  return 0;
}
