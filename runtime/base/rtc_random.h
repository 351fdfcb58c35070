/* Randomness for ICE credentials, tie-breakers, SSRCs, ids: from the kernel
 * (getrandom), which never blocks after boot and needs no state to seed. */
#ifndef RTC_BASE_RANDOM_H
#define RTC_BASE_RANDOM_H
#include <stddef.h>
#include <stdint.h>

void rtc_random_bytes(void *buf, size_t len);
uint32_t rtc_random_u32(void);
uint64_t rtc_random_u64(void);
/* len characters from the ICE alphabet (RFC 8839 ice-char: ALPHA / DIGIT / "+" / "/"),
 * NUL-terminated: out must hold len + 1 bytes. */
void rtc_random_ice_string(char *out, size_t len);

/* Tests only: draw from fn instead of the kernel, so that a simulation replays the
 * same credentials, tie-breakers and DTLS randoms from its seed (tests/sim). NULL
 * restores getrandom. A program that serves real peers never calls this. */
typedef void (*rtc_random_source_cb)(void *ud, void *buf, size_t len);
void rtc_random_set_source(rtc_random_source_cb fn, void *ud);

#endif
