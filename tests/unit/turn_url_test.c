/* ICE server URLs (RFC 7064 / RFC 7065): defaults, IPv6, transports, refusals. */
#include <string.h>

#include "base/rtc_err.h"
#include "rtc_test.h"
#include "turn/rtc_turn_url.h"

static void test_defaults(void) {
  rtc_turn_url_t u;
  CHECK_EQ_INT(rtc_turn_url_parse("stun:stun.example.org", &u, NULL, 0), 0);
  CHECK_EQ_INT(u.scheme, RTC_TURN_SCHEME_STUN);
  CHECK_EQ_INT(u.proto, RTC_TURN_PROTO_UDP);
  CHECK_STR(u.host, "stun.example.org");
  CHECK_EQ_INT(u.port, 3478);
  CHECK_EQ_INT(rtc_turn_url_parse("turns:t.example.org", &u, NULL, 0), 0);
  CHECK_EQ_INT(u.scheme, RTC_TURN_SCHEME_TURNS);
  CHECK_EQ_INT(u.proto, RTC_TURN_PROTO_TLS);
  CHECK_EQ_INT(u.port, 5349); /* RFC 7065 3.2 */
  CHECK_EQ_INT(rtc_turn_url_parse("STUN:1.2.3.4:19302", &u, NULL, 0), 0);
  CHECK_STR(u.host, "1.2.3.4");
  CHECK_EQ_INT(u.port, 19302);
}

static void test_turn_transport(void) {
  rtc_turn_url_t u;
  CHECK_EQ_INT(rtc_turn_url_parse("turn:10.0.0.1:3478?transport=tcp", &u, NULL, 0), 0);
  CHECK_EQ_INT(u.proto, RTC_TURN_PROTO_TCP);
  CHECK(rtc_turn_url_is_turn(&u));
  CHECK_EQ_INT(rtc_turn_url_parse("turn:[2001:db8::1]:5000?transport=udp", &u, NULL, 0), 0);
  CHECK_STR(u.host, "2001:db8::1");
  CHECK_EQ_INT(u.port, 5000);
  CHECK_EQ_INT(u.proto, RTC_TURN_PROTO_UDP);
  CHECK_EQ_INT(rtc_turn_url_parse("turns:x:443?transport=tcp", &u, NULL, 0), 0);
  CHECK_EQ_INT(u.proto, RTC_TURN_PROTO_TLS);
}

static void test_refused(void) {
  rtc_turn_url_t u;
  char err[128];
  const char *bad[] = {"http://x",
                       "stun:",
                       "stun::3478",
                       "stun:x:0",
                       "stun:x:65536",
                       "stun:x:12ab",
                       "stun:x?transport=udp",
                       "turn:x?transport=sctp",
                       "turns:x?transport=udp",
                       "turn:[::1",
                       "turn:u@x",
                       "stun:x/path",
                       NULL};
  for (int i = 0; bad[i]; i++) {
    err[0] = 0;
    CHECK_EQ_INT(rtc_turn_url_parse(bad[i], &u, err, sizeof(err)), RTC_EPARSE);
    CHECK(err[0] != 0);
  }
  CHECK_EQ_INT(rtc_turn_url_parse(NULL, &u, NULL, 0), RTC_EPARSE);
}

int main(void) {
  RUN_TEST(test_defaults);
  RUN_TEST(test_turn_transport);
  RUN_TEST(test_refused);
  TEST_MAIN_END();
}
