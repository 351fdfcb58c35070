/* rtc_io_udp_recv: datagrams read late (the loop busy, a recvmmsg batch) keep the time
 * they arrived, not the time they were read; and the clock conversion's bounds. Real
 * sockets on 127.0.0.1. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "io/rtc_io.h"
#include "io/rtc_io_udp_recv.h"
#include "rtc_test.h"

#define N 10

typedef struct got {
  int n, batches;
  uint64_t at[N + 4];
  size_t len[N + 4];
} got_t;

static void on_datagram(void *ctx, const uint8_t *p, size_t len, const struct sockaddr *from,
                        uint64_t arrival_us) {
  got_t *g = ctx;
  (void)p, (void)from;
  if (g->n < N + 4) {
    g->len[g->n] = len;
    g->at[g->n] = arrival_us;
  }
  g->n++;
}

static void on_batch(void *ctx) { ((got_t *)ctx)->batches++; }

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static void closed(uv_handle_t *h) { (void)h; }

/* N datagrams sent 5 ms apart while nobody reads; read together 100 ms after the
 * first. Their arrival times keep the 5 ms spacing and lie before the read. */
static void test_late_read_keeps_arrival(void) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  uv_udp_t rx, tx;
  uv_udp_init(&loop, &rx);
  uv_udp_init(&loop, &tx);
  struct sockaddr_in a;
  uv_ip4_addr("127.0.0.1", 0, &a);
  CHECK_EQ_INT(uv_udp_bind(&rx, (const struct sockaddr *)&a, 0), 0);
  struct sockaddr_storage bound;
  int blen = sizeof bound;
  uv_udp_getsockname(&rx, (struct sockaddr *)&bound, &blen);
  got_t g;
  memset(&g, 0, sizeof g);
  rtc_io_udp_recv_t r;
  memset(&r, 0, sizeof r);
  CHECK_EQ_INT(rtc_io_udp_recv_start(&r, &loop, &rx, on_datagram, on_batch, &g), 0);
  /* Linux turns receive timestamps on for the whole stack from a work queue the first
   * time a socket asks: datagrams in the first moments are stamped when read. */
  sleep_ms(50);
  uint64_t sent[N];
  for (int i = 0; i < N; i++) {
    uint8_t b[100];
    memset(b, i, sizeof b);
    uv_buf_t buf = uv_buf_init((char *)b, (unsigned)(10 + i));
    sent[i] = rtc_io_now_us();
    CHECK_EQ_INT(uv_udp_try_send(&tx, &buf, 1, (const struct sockaddr *)&bound), 10 + i);
    sleep_ms(5);
  }
  sleep_ms(100 - 5 * N);
  uint64_t before_read = rtc_io_now_us();
  uv_run(&loop, UV_RUN_NOWAIT);
  CHECK_EQ_INT(g.n, N);
  CHECK(g.batches >= 1);
  for (int i = 0; i < N && i < g.n; i++) {
    CHECK_EQ_INT(g.len[i], 10 + i);
    /* within 2 ms of the send (loopback delivers at once), long before the read */
    CHECK(g.at[i] + 2000 >= sent[i] && g.at[i] <= sent[i] + 2000);
    CHECK(g.at[i] + 40000 < before_read);
  }
  for (int i = 1; i < N && i < g.n; i++) CHECK(g.at[i] - g.at[i - 1] >= 4000); /* the spacing */
  rtc_io_udp_recv_close(&r, closed);
  uv_close((uv_handle_t *)&rx, closed);
  uv_close((uv_handle_t *)&tx, closed);
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

static void test_arrival_bounds(void) {
  /* read 3 ms after the kernel stamped it */
  CHECK_EQ_INT(rtc_io_udp_arrival(5000000, 1700000000003000LL, 1700000000000000LL), 4997000);
  CHECK_EQ_INT(rtc_io_udp_arrival(5000000, 1700000000000000LL, 1700000000000000LL), 5000000);
  /* no stamp, a stamp from the future (the clock stepped), an implausible wait */
  CHECK_EQ_INT(rtc_io_udp_arrival(5000000, 1700000000000000LL, 0), 5000000);
  CHECK_EQ_INT(rtc_io_udp_arrival(5000000, 1700000000000000LL, 1700000000001000LL), 5000000);
  CHECK_EQ_INT(rtc_io_udp_arrival(50000000, 1700000020000000LL, 1700000000000000LL), 50000000);
  /* never before the clock's start */
  CHECK_EQ_INT(rtc_io_udp_arrival(1000, 1700000000005000LL, 1700000000000000LL), 1000);
}

int main(void) {
  RUN_TEST(test_late_read_keeps_arrival);
  RUN_TEST(test_arrival_bounds);
  TEST_MAIN_END();
}
