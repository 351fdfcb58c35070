/* The only place that touches libuv. An rtc_io_peer owns one sans-IO rtc_pc_t and
 * drives it on a uv loop: binds its UDP sockets when it asks for candidates,
 * sends what it transmits, keeps its next deadline in the one timer heap of all
 * peers (one uv timer for the process), and tells the
 * owner (the Lua binding) when events are ready to be drained with
 * rtc_pc_poll_event: always from a fresh loop callback, never from inside an
 * API call, so handlers may call back into the pc.
 *
 * Lifetime: rtc_io_peer_destroy closes the handles; the memory (and the pc) is
 * released in the last close callback (as libuv requires). */
#ifndef RTC_IO_H
#define RTC_IO_H
#include <uv.h>

#include "pc/rtc_pc.h"

typedef struct rtc_io_peer rtc_io_peer_t;

/* Called on the loop when rtc_pc_poll_event has something. */
typedef void (*rtc_io_events_cb)(rtc_io_peer_t *peer, void *ud);

/* NULL on failure (rtc_pc_create failed). The config is copied by the pc. */
rtc_io_peer_t *rtc_io_peer_create(uv_loop_t *loop, const rtc_pc_config_t *cfg, rtc_io_events_cb cb,
                                  void *ud);
rtc_pc_t *rtc_io_peer_pc(rtc_io_peer_t *peer);
/* Call after every API call on the pc: gathers if asked, sends, re-arms the timer,
 * and schedules event delivery for the next loop iteration. */
void rtc_io_peer_kick(rtc_io_peer_t *peer);
/* Whether the peer keeps the loop alive (live transport or pending events). */
bool rtc_io_peer_is_active(const rtc_io_peer_t *peer);
void rtc_io_peer_destroy(rtc_io_peer_t *peer);
/* Shared UDP sockets open (udpMux), and the datagrams they dropped because no pc
 * on them had talked to the sender (and it was no STUN request naming one). */
void rtc_io_mux_stats(unsigned *sockets, uint64_t *dropped);
/* Monotonic microseconds from the loop clock (uv_hrtime). */
uint64_t rtc_io_now_us(void);

#endif
