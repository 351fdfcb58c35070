#ifndef RTC_IO_INTERNAL_H
#define RTC_IO_INTERNAL_H
#include <stdint.h>
#include <uv.h>

/* Arms the process-wide usrsctp timer on this loop if associations exist. */
void rtc__io_sctp_timer_arm(uv_loop_t *loop);
void rtc__io_peers_after_sctp_tick(uint64_t now_us);
/* mDNS (rtc_io_mdns.c): ask for a name; answers go to rtc__io_peers_mdns_answer. */
void rtc__io_mdns_query(uv_loop_t *loop, const char *name);
void rtc__io_peers_mdns_answer(const uint8_t *p, size_t len);

#endif
