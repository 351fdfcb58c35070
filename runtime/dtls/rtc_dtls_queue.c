/* What a DTLS connection hands its owner: datagrams to send and events, in rings
 * that grow to a bound, and the buffers both live in (see rtc_dtls_conn.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/error.h>

#include "base/rtc_log.h"
#include "dtls/rtc_dtls_conn.h"

/* Record and event buffers. A bulk channel allocates two per packet (the sealed
 * record, the opened payload), ~1.2 KB each: above glibc's tcache sizes, so each
 * malloc/free went through its slow path (~6% of B2a's CPU). Buffers up to
 * DTLS_MEM_CLASS bytes come from a small process-wide free list instead (no
 * threads); a header before the bytes keeps the capacity. */
#define DTLS_MEM_CLASS 1536
#if defined(__SANITIZE_ADDRESS__) /* ASan sees every use after free */
#define DTLS_MEM_KEEP 0
#else
#define DTLS_MEM_KEEP 128 /* at most this many idle buffers kept (~200 KB) */
#endif
#define DTLS_MEM_HDR 16 /* keeps the bytes 16-byte aligned */

typedef union dtls_mem {
  union dtls_mem *next; /* while idle */
  size_t cap;           /* while in use */
  uint8_t align[DTLS_MEM_HDR];
} dtls_mem_t;

static dtls_mem_t *dtls_mem_idle;
static unsigned dtls_mem_idle_n;

uint8_t *rtc__dtls_mem_get(size_t len) {
  dtls_mem_t *m;
  if (len <= DTLS_MEM_CLASS && dtls_mem_idle) {
    m = dtls_mem_idle;
    dtls_mem_idle = m->next;
    dtls_mem_idle_n--;
  } else {
    size_t cap = len <= DTLS_MEM_CLASS ? DTLS_MEM_CLASS : len;
    m = malloc(DTLS_MEM_HDR + cap);
    if (!m) return NULL;
  }
  m->cap = len <= DTLS_MEM_CLASS ? DTLS_MEM_CLASS : len;
  return (uint8_t *)m + DTLS_MEM_HDR;
}

void rtc__dtls_mem_put(uint8_t *p) {
  if (!p) return;
  dtls_mem_t *m = (dtls_mem_t *)(p - DTLS_MEM_HDR);
  if (m->cap != DTLS_MEM_CLASS || (int)dtls_mem_idle_n >= DTLS_MEM_KEEP) {
    free(m);
    return;
  }
  m->next = dtls_mem_idle;
  dtls_mem_idle = m;
  dtls_mem_idle_n++;
}

void rtc__dtls_push_datagram(rtc_dtls_t *d, const uint8_t *p, size_t len) {
  /* A full queue drops like a full socket buffer would: DTLS retransmits. */
  uint8_t *copy = rtc__dtls_out_room(d) ? rtc__dtls_mem_get(len ? len : 1) : NULL;
  if (!copy) {
    d->dropped_out++;
    return;
  }
  memcpy(copy, p, len);
  rtc__dtls_buf_t *b = &d->out[(d->out_head + d->out_n) % d->out_cap];
  b->p = copy;
  b->len = len;
  d->out_n++;
}

void rtc__dtls_push_event(rtc_dtls_t *d, rtc_dtls_event_type_t type, const uint8_t *p, size_t len) {
  if (!rtc__dtls_ev_room(d)) {
    d->dropped_ev++;
    return;
  }
  uint8_t *copy = NULL;
  if (len) {
    copy = rtc__dtls_mem_get(len);
    if (!copy) {
      d->dropped_ev++;
      return;
    }
    memcpy(copy, p, len);
  }
  rtc__dtls_ev_t *e = &d->ev[(d->ev_head + d->ev_n) % d->ev_cap];
  e->type = type;
  e->data = copy;
  e->len = len;
  d->ev_n++;
}

void rtc__dtls_fail(rtc_dtls_t *d, const char *reason, int ret) {
  if (d->state == RTC_DTLS_FAILED || d->state == RTC_DTLS_CLOSED) return;
  if (ret) {
    char e[80];
    mbedtls_strerror(ret, e, sizeof e);
    snprintf(d->reason, sizeof d->reason, "%s (-0x%04x %s)", reason, (unsigned)-ret, e);
  } else {
    snprintf(d->reason, sizeof d->reason, "%s", reason);
  }
  RTC_LOG(RTC_LOG_INFO, "dtls", "failed: %s", d->reason);
  d->state = RTC_DTLS_FAILED;
  d->timer_fin_ms = 0;
  rtc__dtls_push_event(d, RTC_DTLS_EVENT_FAILED, NULL, 0);
}

bool rtc_dtls_poll_transmit(rtc_dtls_t *d, const uint8_t **p, size_t *len) {
  if (!d) return false;
  rtc__dtls_mem_put(d->out_borrowed);
  d->out_borrowed = NULL;
  if (d->out_n == 0) return false;
  rtc__dtls_buf_t *b = &d->out[d->out_head];
  d->out_head = (d->out_head + 1) % d->out_cap;
  d->out_n--;
  d->out_borrowed = b->p;
  *p = b->p;
  *len = b->len;
  return true;
}

bool rtc_dtls_poll_event(rtc_dtls_t *d, rtc_dtls_event_t *out) {
  if (!d) return false;
  rtc__dtls_mem_put(d->ev_borrowed);
  d->ev_borrowed = NULL;
  if (d->ev_n == 0) return false;
  rtc__dtls_ev_t *e = &d->ev[d->ev_head];
  d->ev_head = (d->ev_head + 1) % d->ev_cap;
  d->ev_n--;
  d->ev_borrowed = e->data;
  memset(out, 0, sizeof *out);
  out->type = e->type;
  out->data = e->data;
  out->len = e->len;
  out->reason = e->type == RTC_DTLS_EVENT_FAILED ? d->reason : NULL;
  out->alert_received = e->type == RTC_DTLS_EVENT_FAILED ? d->alert_rx : -1;
  out->alert_sent = e->type == RTC_DTLS_EVENT_FAILED ? d->alert_tx : -1;
  return true;
}
