/* DTLS certificates: generation, fingerprint form (RFC 8122 5), the shared
 * default certificate, PEM round trip. */
#include <ctype.h>
#include <stdlib.h>
#include <time.h>

#include "base/rtc_err.h"
#include "dtls/rtc_dtls_cert.h"
#include "rtc_test.h"

static int fp_well_formed(const char *fp) {
  /* 32 bytes of SHA-256: "AB:" x 31 + "AB" = 95 characters, uppercase hex. */
  if (!fp || strlen(fp) != 95) return 0;
  for (int i = 0; i < 95; i++) {
    if (i % 3 == 2) {
      if (fp[i] != ':') return 0;
    } else if (!isxdigit((unsigned char)fp[i]) || islower((unsigned char)fp[i])) {
      return 0;
    }
  }
  return 1;
}

static void test_generate(void) {
  rtc_dtls_cert_t *a = NULL, *b = NULL;
  CHECK_EQ_INT(rtc_dtls_cert_generate(&a), 0);
  CHECK_EQ_INT(rtc_dtls_cert_generate(&b), 0);
  CHECK(a && b);
  if (!a || !b) return;
  CHECK(fp_well_formed(rtc_dtls_cert_fingerprint(a)));
  /* Two keys, two certificates, two fingerprints. */
  CHECK(strcmp(rtc_dtls_cert_fingerprint(a), rtc_dtls_cert_fingerprint(b)) != 0);
  int64_t now = (int64_t)time(NULL), exp = rtc_dtls_cert_expires(a);
  CHECK(exp > now + 364 * 86400 && exp < now + 366 * 86400);
  rtc_dtls_cert_unref(a);
  rtc_dtls_cert_unref(b);
  rtc_dtls_cert_unref(NULL);
}

static void test_default_shared(void) {
  rtc_dtls_cert_t *a = rtc_dtls_cert_default(), *b = rtc_dtls_cert_default();
  CHECK(a != NULL);
  CHECK(a == b);
  CHECK(fp_well_formed(rtc_dtls_cert_fingerprint(a)));
  rtc_dtls_cert_unref(a);
  rtc_dtls_cert_unref(b);
  /* The process keeps its own reference: still usable. */
  rtc_dtls_cert_t *c = rtc_dtls_cert_default();
  CHECK(c == a);
  CHECK(fp_well_formed(rtc_dtls_cert_fingerprint(c)));
  rtc_dtls_cert_unref(c);
}

static void test_ref(void) {
  rtc_dtls_cert_t *a = NULL;
  CHECK_EQ_INT(rtc_dtls_cert_generate(&a), 0);
  CHECK(rtc_dtls_cert_ref(a) == a);
  rtc_dtls_cert_unref(a);
  CHECK(fp_well_formed(rtc_dtls_cert_fingerprint(a))); /* one reference left */
  rtc_dtls_cert_unref(a);
}

static void test_pem_round_trip(void) {
  rtc_dtls_cert_t *a = NULL, *b = NULL;
  char *cp = NULL, *kp = NULL;
  CHECK_EQ_INT(rtc_dtls_cert_generate(&a), 0);
  CHECK_EQ_INT(rtc_dtls_cert_to_pem(a, &cp, &kp), 0);
  CHECK(cp && strstr(cp, "-----BEGIN CERTIFICATE-----") == cp);
  CHECK(kp && strstr(kp, "PRIVATE KEY-----") != NULL);
  CHECK_EQ_INT(rtc_dtls_cert_from_pem(cp, kp, &b), 0);
  CHECK(b != NULL);
  if (b) {
    CHECK_STR(rtc_dtls_cert_fingerprint(b), rtc_dtls_cert_fingerprint(a));
    CHECK_EQ_INT(rtc_dtls_cert_expires(b), rtc_dtls_cert_expires(a));
  }
  rtc_dtls_cert_unref(b);
  free(cp);
  free(kp);
  rtc_dtls_cert_unref(a);
}

static void test_pem_errors(void) {
  rtc_dtls_cert_t *a = NULL, *b = NULL, *x = (rtc_dtls_cert_t *)1;
  char *ca = NULL, *ka = NULL, *cb = NULL, *kb = NULL;
  CHECK_EQ_INT(rtc_dtls_cert_generate(&a), 0);
  CHECK_EQ_INT(rtc_dtls_cert_generate(&b), 0);
  CHECK_EQ_INT(rtc_dtls_cert_to_pem(a, &ca, &ka), 0);
  CHECK_EQ_INT(rtc_dtls_cert_to_pem(b, &cb, &kb), 0);
  /* The key of another certificate. */
  CHECK_EQ_INT(rtc_dtls_cert_from_pem(ca, kb, &x), RTC_EINVAL);
  CHECK(x == NULL);
  CHECK_EQ_INT(rtc_dtls_cert_from_pem("garbage", ka, &x), RTC_EINVAL);
  CHECK_EQ_INT(rtc_dtls_cert_from_pem(ca, "garbage", &x), RTC_EINVAL);
  CHECK_EQ_INT(rtc_dtls_cert_from_pem(NULL, ka, &x), RTC_EINVAL);
  /* Truncated certificate. */
  ca[strlen(ca) / 2] = '\0';
  CHECK_EQ_INT(rtc_dtls_cert_from_pem(ca, ka, &x), RTC_EINVAL);
  free(ca);
  free(ka);
  free(cb);
  free(kb);
  rtc_dtls_cert_unref(a);
  rtc_dtls_cert_unref(b);
}

int main(void) {
  RUN_TEST(test_generate);
  RUN_TEST(test_default_shared);
  RUN_TEST(test_ref);
  RUN_TEST(test_pem_round_trip);
  RUN_TEST(test_pem_errors);
  TEST_MAIN_END();
}
