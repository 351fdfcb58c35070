/* A binary min-heap of deadlines, intrusive: the caller embeds an rtc_heap_node_t in
 * its object, so that a process with thousands of connections keeps ONE ordered
 * structure of their next deadlines (the io layer arms one uv timer at the
 * earliest) instead of walking every connection. Set, remove: O(log n); the
 * earliest: O(1). Nodes are borrowed: the heap never frees them. */
#ifndef RTC_BASE_HEAP_H
#define RTC_BASE_HEAP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct rtc_heap_node {
  uint64_t key; /* the deadline, microseconds */
  uint32_t pos; /* 1 + index in the heap; 0 = not in it */
} rtc_heap_node_t;

typedef struct rtc_heap {
  rtc_heap_node_t **v;
  uint32_t n, cap;
} rtc_heap_t;

#define RTC_HEAP_INIT {NULL, 0, 0}

/* Inserts the node or moves it to its new key. 0, or RTC_ENOMEM (the node then
 * stays out of the heap). Grows the array by doubling: no allocation once it has
 * held as many nodes as it holds now. */
int rtc_heap_set(rtc_heap_t *h, rtc_heap_node_t *node, uint64_t key);
/* Takes the node out; nothing if it is not in the heap. */
void rtc_heap_remove(rtc_heap_t *h, rtc_heap_node_t *node);
/* The node with the smallest key, NULL when empty. */
static inline rtc_heap_node_t *rtc_heap_min(const rtc_heap_t *h) { return h->n ? h->v[0] : NULL; }
static inline bool rtc_heap_contains(const rtc_heap_node_t *node) { return node->pos != 0; }
/* Frees the array (not the nodes). */
void rtc_heap_free(rtc_heap_t *h);

#endif
