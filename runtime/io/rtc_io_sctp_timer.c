/* usrsctp keeps one timer wheel for the whole process (no threads: we advance it).
 * One uv timer drives it while associations exist; it is unreferenced so that it
 * never keeps the loop alive by itself. */
#include "base/rtc_time.h"
#include "io/rtc_io.h"
#include "io/rtc_io_internal.h"
#include "sctp/rtc_sctp.h"

static uv_timer_t sctp_timer;
static uv_loop_t *sctp_timer_loop;

static void sctp_on_timer(uv_timer_t *t) {
  uint64_t now = rtc_io_now_us();
  rtc_sctp_global_handle_timeout(now);
  rtc__io_peers_after_sctp_tick(now);
  rtc__io_sctp_timer_arm(t->loop);
}

void rtc__io_sctp_timer_arm(uv_loop_t *loop) {
  if (!sctp_timer_loop) {
    sctp_timer_loop = loop;
    uv_timer_init(loop, &sctp_timer);
    uv_unref((uv_handle_t *)&sctp_timer);
  }
  if (loop != sctp_timer_loop) return; /* one loop per process (ARCHITECTURE.md) */
  uint64_t now = rtc_io_now_us();
  uint64_t next = rtc_sctp_global_poll_timeout(now);
  if (next == RTC_NEVER) {
    uv_timer_stop(&sctp_timer);
    return;
  }
  if (uv_is_active((uv_handle_t *)&sctp_timer)) return;
  uv_timer_start(&sctp_timer, sctp_on_timer, next > now ? (next - now + 999) / 1000 : 0, 0);
}
