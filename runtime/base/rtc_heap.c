/* Binary min-heap (see rtc_heap.h). Each node knows its index, so a key change or a
 * removal in the middle is a sift from where the node is, without a search. */
#include "base/rtc_heap.h"

#include <stdlib.h>

#include "base/rtc_err.h"

static void heap_place(rtc_heap_t *h, uint32_t i, rtc_heap_node_t *node) {
  h->v[i] = node;
  node->pos = i + 1;
}

static void heap_up(rtc_heap_t *h, uint32_t i) {
  rtc_heap_node_t *node = h->v[i];
  while (i > 0) {
    uint32_t parent = (i - 1) / 2;
    if (h->v[parent]->key <= node->key) break;
    heap_place(h, i, h->v[parent]);
    i = parent;
  }
  heap_place(h, i, node);
}

static void heap_down(rtc_heap_t *h, uint32_t i) {
  rtc_heap_node_t *node = h->v[i];
  for (;;) {
    uint32_t c = 2 * i + 1;
    if (c >= h->n) break;
    if (c + 1 < h->n && h->v[c + 1]->key < h->v[c]->key) c++;
    if (node->key <= h->v[c]->key) break;
    heap_place(h, i, h->v[c]);
    i = c;
  }
  heap_place(h, i, node);
}

int rtc_heap_set(rtc_heap_t *h, rtc_heap_node_t *node, uint64_t key) {
  if (node->pos) {
    uint64_t old = node->key;
    node->key = key;
    if (key < old)
      heap_up(h, node->pos - 1);
    else if (key > old)
      heap_down(h, node->pos - 1);
    return 0;
  }
  if (h->n == h->cap) {
    uint32_t cap = h->cap ? h->cap * 2 : 64;
    rtc_heap_node_t **v = realloc(h->v, cap * sizeof *v);
    if (!v) return RTC_ENOMEM;
    h->v = v;
    h->cap = cap;
  }
  node->key = key;
  heap_place(h, h->n++, node);
  heap_up(h, h->n - 1);
  return 0;
}

void rtc_heap_remove(rtc_heap_t *h, rtc_heap_node_t *node) {
  if (!node->pos) return;
  uint32_t i = node->pos - 1;
  node->pos = 0;
  rtc_heap_node_t *last = h->v[--h->n];
  if (last == node) return;
  heap_place(h, i, last);
  /* The moved node may belong above or below its new place. */
  if (i > 0 && h->v[(i - 1) / 2]->key > last->key)
    heap_up(h, i);
  else
    heap_down(h, i);
}

void rtc_heap_free(rtc_heap_t *h) {
  free(h->v);
  h->v = NULL;
  h->n = h->cap = 0;
}
