/* What makes a run replayable from its seed. The core takes time as input, but
 * three things under it read the machine:
 *  - rtc_random (ICE credentials, tie-breakers, SCTP ports, mbedTLS's DRBG seed)
 *    reads getrandom: runtime/base's test hook draws from the seed instead;
 *  - usrsctp takes its random numbers (initial TSN, verification tags, cookie
 *    secret) from its own read_random() and its RTT/cookie timestamps from
 *    gettimeofday(); it has no API for either, but both are called through the
 *    PLT of libusrsctp.so, so definitions here take their place for this binary
 *    only (checked at start: sim_hooks_check);
 *  - mbedTLS reads time() for the ClientHello's gmt_unix_time and we read it for
 *    certificate validity dates: time() here returns the virtual clock.
 * What stays the machine's: nothing we know of that changes behaviour. The bytes
 * of a run are the same too, except where the address layout leaks in (none seen). */
#include <stdint.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "base/rtc_random.h"
#include "sim.h"

#define SIM_EPOCH_S 1767225600ull /* 2026-01-01: a fixed wall clock for the virtual one */

uint64_t *sim_clock_us;
static sim_rng_t hooks_rt_rng;  /* rtc_random */
static sim_rng_t hooks_sctp_rng; /* usrsctp's read_random */

static void hooks_fill(sim_rng_t *r, void *buf, size_t len) {
  uint8_t *p = buf;
  while (len) {
    uint64_t v = sim_rng_next(r);
    size_t n = len < 8 ? len : 8;
    memcpy(p, &v, n);
    p += n;
    len -= n;
  }
}

static void hooks_random_source(void *ud, void *buf, size_t len) { hooks_fill(ud, buf, len); }

void sim_hooks_seed(uint64_t seed) {
  sim_rng_seed(&hooks_rt_rng, seed, 3);
  sim_rng_seed(&hooks_sctp_rng, seed, 4);
  rtc_random_set_source(hooks_random_source, &hooks_rt_rng);
}

static uint64_t hooks_now_us(void) {
  return SIM_EPOCH_S * 1000000ull + (sim_clock_us ? *sim_clock_us : 0);
}

/* usrsctp (user_environment.c): int read_random(void *buf, int count). */
int read_random(void *buf, int count);
int read_random(void *buf, int count) {
  if (count > 0) hooks_fill(&hooks_sctp_rng, buf, (size_t)count);
  return count;
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz) {
  uint64_t t = hooks_now_us();
  tv->tv_sec = (time_t)(t / 1000000u); /* glibc declares tv nonnull */
  tv->tv_usec = (suseconds_t)(t % 1000000u);
  return 0;
}

time_t time(time_t *out) {
  time_t t = (time_t)(hooks_now_us() / 1000000u);
  if (out) *out = t;
  return t;
}
