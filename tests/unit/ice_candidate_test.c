/* ICE candidate lines (RFC 8839 5.1): every a=candidate of the captured SDP fixtures,
 * the extension forms of each browser/library, formatting, malformed lines. */
#include <dirent.h>
#include <stdlib.h>

#include "base/rtc_err.h"
#include "ice/rtc_ice_candidate.h"
#include "rtc_test.h"

static void test_fixtures_all_parse(void) {
  DIR *d = opendir(RTC_TEST_FIXTURES);
  CHECK(d != NULL);
  if (!d) return;
  int lines = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    size_t n = strlen(e->d_name);
    if (n < 4 || strcmp(e->d_name + n - 4, ".sdp") != 0) continue;
    char path[512], line[2048];
    snprintf(path, sizeof path, "%s/%s", RTC_TEST_FIXTURES, e->d_name);
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    if (!f) continue;
    while (fgets(line, sizeof line, f)) {
      if (strncmp(line, "a=candidate:", 12) != 0) continue;
      rtc_ice_candidate_t c, c2;
      char out[1024];
      int r = rtc_ice_candidate_parse(line + 2, &c);
      if (r != 0) fprintf(stderr, "  cannot parse %s: %s", e->d_name, line);
      CHECK_EQ_INT(r, 0);
      /* Format, reparse: same candidate. */
      CHECK(rtc_ice_candidate_format(&c, true, out, sizeof out) > 0);
      CHECK_EQ_INT(rtc_ice_candidate_parse(out, &c2), 0);
      CHECK_STR(c2.foundation, c.foundation);
      CHECK_STR(c2.address, c.address);
      CHECK(c2.port == c.port && c2.priority == c.priority && c2.type == c.type &&
            c2.transport == c.transport && c2.component == c.component);
      lines++;
    }
    fclose(f);
  }
  closedir(d);
  printf("  %d candidate lines parsed\n", lines);
  CHECK(lines > 20);
}

static void test_chromium(void) {
  rtc_ice_candidate_t c;
  CHECK_EQ_INT(rtc_ice_candidate_parse("candidate:1508095494 1 udp 2122194687 127.0.0.1 53380 typ "
                                       "host generation 1 network-id 3 network-cost 50",
                                       &c),
               0);
  CHECK_STR(c.foundation, "1508095494");
  CHECK_EQ_INT(c.component, 1);
  CHECK_EQ_INT(c.transport, RTC_ICE_UDP);
  CHECK(c.priority == 2122194687u);
  CHECK(c.address_is_ip);
  CHECK_EQ_INT(rtc_addr_port(&c.addr), 53380);
  CHECK_EQ_INT(c.type, RTC_ICE_CAND_HOST);
  CHECK_EQ_INT(c.generation, 1);
  char out[512];
  CHECK(rtc_ice_candidate_format(&c, true, out, sizeof out) > 0);
  CHECK_STR(out, "candidate:1508095494 1 udp 2122194687 127.0.0.1 53380 typ host generation 1");
  CHECK(rtc_ice_candidate_format(&c, false, out, sizeof out) > 0);
  CHECK_STR(out, "1508095494 1 udp 2122194687 127.0.0.1 53380 typ host generation 1");
  CHECK_EQ_INT(rtc_ice_candidate_format(&c, true, out, 20), RTC_ETOOBIG);
}

static void test_tcp_mdns_srflx_ufrag(void) {
  rtc_ice_candidate_t c;
  char out[512];
  CHECK_EQ_INT(rtc_ice_candidate_parse("171278405 1 tcp 1518288127 ::1 9 typ host tcptype active "
                                       "generation 1 network-id 4 network-cost 50",
                                       &c),
               0);
  CHECK_EQ_INT(c.transport, RTC_ICE_TCP);
  CHECK_STR(c.tcptype, "active");
  CHECK_EQ_INT(c.port, 9);
  CHECK(rtc_ice_candidate_format(&c, false, out, sizeof out) > 0);
  CHECK_STR(out, "171278405 1 tcp 1518288127 ::1 9 typ host tcptype active generation 1");

  CHECK_EQ_INT(rtc_ice_candidate_parse("candidate:1981209566 1 udp 2113937151 "
                                       "1c9561a2-0241-4e19-bd6a-a67bc49f984b.local 40620 typ host "
                                       "generation 0 network-cost 999",
                                       &c),
               0);
  CHECK(!c.address_is_ip);
  CHECK_STR(c.address, "1c9561a2-0241-4e19-bd6a-a67bc49f984b.local");

  CHECK_EQ_INT(rtc_ice_candidate_parse("candidate:842163049 1 udp 1677729535 203.0.113.7 61000 typ "
                                       "srflx raddr 192.168.1.20 rport 50000 generation 0 ufrag "
                                       "xyzW network-cost 999",
                                       &c),
               0);
  CHECK_EQ_INT(c.type, RTC_ICE_CAND_SRFLX);
  CHECK_STR(c.raddr, "192.168.1.20");
  CHECK_EQ_INT(c.rport, 50000);
  CHECK_STR(c.ufrag, "xyzW");
  CHECK(rtc_ice_candidate_format(&c, true, out, sizeof out) > 0);
  CHECK_STR(out, "candidate:842163049 1 udp 1677729535 203.0.113.7 61000 typ srflx raddr "
                 "192.168.1.20 rport 50000 generation 0 ufrag xyzW");

  /* aiortc: 32-hex foundation, upper-case transport, no extensions. */
  CHECK_EQ_INT(
      rtc_ice_candidate_parse("candidate:2f0ec4ac1e4b2b0c9e3b1f5a6d7c8e9f 1 UDP 2130706431 "
                              "192.0.2.2 37640 typ host",
                              &c),
      0);
  CHECK_EQ_INT(strlen(c.foundation), 32);
  CHECK_EQ_INT(c.transport, RTC_ICE_UDP);
  /* werift: "ufrag" extension. */
  CHECK_EQ_INT(rtc_ice_candidate_parse("candidate:0 1 udp 2130706431 127.0.0.1 51000 typ host "
                                       "ufrag 1a2b",
                                       &c),
               0);
  CHECK_STR(c.ufrag, "1a2b");
}

static void test_malformed(void) {
  rtc_ice_candidate_t c;
  static const char *bad[] = {
      "",
      "candidate:",
      "candidate:1 1 udp 1 1.2.3.4 5 typ",
      "candidate:1 1 udp 1 1.2.3.4 5 typo host",
      "candidate:1 1 sctp 1 1.2.3.4 5 typ host",
      "candidate:1 1 udp x 1.2.3.4 5 typ host",
      "candidate:1 1 udp 1 1.2.3.4 70000 typ host",
      "candidate:1 0 udp 1 1.2.3.4 5 typ host",
      "candidate:1 1 udp 99999999999 1.2.3.4 5 typ host",
      "candidate:1 1 udp 1 1.2.3.4 5 typ bogus",
      "candidate:1 1 udp 1 1.2.3.4 5 typ host generation",
      "candidate:f*o 1 udp 1 1.2.3.4 5 typ host",
      "candidate:123456789012345678901234567890123 1 udp 1 1.2.3.4 5 typ host",
      "candidate:1 1 udp 1 1.2.3.4 5 typ srflx raddr 1.2.3.4 rport -1",
      NULL,
  };
  for (int i = 0; bad[i]; i++) {
    int r = rtc_ice_candidate_parse(bad[i], &c);
    if (r != RTC_EPARSE) fprintf(stderr, "  accepted: '%s'\n", bad[i]);
    CHECK_EQ_INT(r, RTC_EPARSE);
  }
  CHECK_EQ_INT(rtc_ice_candidate_parse(NULL, &c), RTC_EPARSE);
  char big[4096];
  memset(big, 'a', sizeof big - 1);
  big[sizeof big - 1] = 0;
  CHECK_EQ_INT(rtc_ice_candidate_parse(big, &c), RTC_EPARSE);
}

int main(void) {
  RUN_TEST(test_fixtures_all_parse);
  RUN_TEST(test_chromium);
  RUN_TEST(test_tcp_mdns_srflx_ufrag);
  RUN_TEST(test_malformed);
  TEST_MAIN_END();
}
