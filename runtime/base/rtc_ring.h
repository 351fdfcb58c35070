/* Growing ring buffers: queues that hold a few entries at rest and need room for
 * many only in bursts start small and double up to their bound (issue 12, B3: the
 * fixed rings of every pc's DTLS and ICE queues were ~8 KiB). */
#ifndef RTC_RING_H
#define RTC_RING_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Room for one more entry in the ring *ring of *cap entries of `size` bytes, holding
 * n from index *head: when full, a ring twice as large (`first` entries the first
 * time, never more than max) takes the entries in order from index 0. False when the
 * ring is at max or out of memory: the caller does what it does when full. */
static inline bool rtc_ring_room(void **ring, size_t *cap, size_t *head, size_t n, size_t size,
                                 size_t first, size_t max) {
  if (n < *cap) return true;
  if (*cap >= max) return false;
  size_t ncap = *cap ? *cap * 2 : first;
  if (ncap > max) ncap = max;
  uint8_t *nr = malloc(ncap * size);
  if (!nr) return false;
  for (size_t i = 0; i < n; i++)
    memcpy(nr + i * size, (uint8_t *)*ring + ((*head + i) % *cap) * size, size);
  free(*ring);
  *ring = nr;
  *cap = ncap;
  *head = 0;
  return true;
}

#endif
