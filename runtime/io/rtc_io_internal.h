#ifndef RTC_IO_INTERNAL_H
#define RTC_IO_INTERNAL_H
#include <stdint.h>
#include <uv.h>

/* Arms the process-wide usrsctp timer on this loop if associations exist. */
void rtc__io_sctp_timer_arm(uv_loop_t *loop);
void rtc__io_peers_after_sctp_tick(uint64_t now_us);

#endif
