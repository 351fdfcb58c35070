/* runtime/base/rtc_heap: order under random inserts, key changes and removals in the
 * middle, checked against a brute-force minimum after every step. */
#include <stdlib.h>

#include "base/rtc_heap.h"
#include "rtc_test.h"

#define N 500

static rtc_heap_node_t nodes[N];

static rtc_heap_node_t *brute_min(void) {
  rtc_heap_node_t *m = NULL;
  for (int i = 0; i < N; i++)
    if (rtc_heap_contains(&nodes[i]) && (!m || nodes[i].key < m->key)) m = &nodes[i];
  return m;
}

static int heap_valid(const rtc_heap_t *h) {
  for (uint32_t i = 0; i < h->n; i++) {
    if (h->v[i]->pos != i + 1) return 0;
    if (i > 0 && h->v[(i - 1) / 2]->key > h->v[i]->key) return 0;
  }
  return 1;
}

static void test_random_operations(void) {
  rtc_heap_t h = RTC_HEAP_INIT;
  srand(12);
  int bad = 0;
  for (int step = 0; step < 20000; step++) {
    rtc_heap_node_t *x = &nodes[rand() % N];
    int op = rand() % 4;
    if (op < 3)
      CHECK_EQ_INT(rtc_heap_set(&h, x, (uint64_t)(rand() % 1000)), 0);
    else
      rtc_heap_remove(&h, x);
    rtc_heap_node_t *m = rtc_heap_min(&h), *b = brute_min();
    if ((m == NULL) != (b == NULL) || (m && m->key != b->key) || !heap_valid(&h)) bad++;
  }
  CHECK_EQ_INT(bad, 0);
  /* Draining in order. */
  uint64_t last = 0;
  while (rtc_heap_min(&h)) {
    rtc_heap_node_t *m = rtc_heap_min(&h);
    CHECK(m->key >= last);
    last = m->key;
    rtc_heap_remove(&h, m);
    CHECK(!rtc_heap_contains(m));
  }
  CHECK_EQ_INT(h.n, 0);
  rtc_heap_free(&h);
}

static void test_remove_absent_and_last(void) {
  rtc_heap_t h = RTC_HEAP_INIT;
  rtc_heap_node_t a = {0, 0}, b = {0, 0};
  rtc_heap_remove(&h, &a); /* not in it: nothing */
  CHECK_EQ_INT(rtc_heap_set(&h, &a, 5), 0);
  CHECK_EQ_INT(rtc_heap_set(&h, &b, 3), 0);
  CHECK(rtc_heap_min(&h) == &b);
  rtc_heap_remove(&h, &a); /* the last slot */
  CHECK(rtc_heap_min(&h) == &b);
  CHECK_EQ_INT(rtc_heap_set(&h, &b, 9), 0); /* moving the only node */
  CHECK(rtc_heap_min(&h) == &b && b.key == 9);
  rtc_heap_free(&h);
}

int main(void) {
  RUN_TEST(test_random_operations);
  RUN_TEST(test_remove_absent_and_last);
  TEST_MAIN_END();
}
