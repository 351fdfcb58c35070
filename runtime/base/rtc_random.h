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

#endif
