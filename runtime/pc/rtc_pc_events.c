/* The pc's event queue: events are queued while input is processed and drained by
 * the owner afterwards (never a callback from the middle of processing). */
#include <stdlib.h>
#include <string.h>

#include "base/rtc_log.h"
#include "pc/rtc_pc_internal.h"
#include "pc/rtc_pc_media.h"

/* Every received frame (and, when asked for, RTP packet) reaches the owner as an
 * event with a copy of its payload: a node and a buffer per frame was all that B5's
 * media path still allocated (bench/PROFILE.md, "B5: allocations"). A drained node
 * with a payload buffer goes to the pc's spare list instead, buffer and all, for the
 * next push_copy. Bounded: RTC__PC_EVENT_SPARE nodes, RTC__PC_EVENT_SPARE_BYTES of
 * buffers; freed with the pc. Nodes without one (state changes, data channel
 * messages, which own their block) are freed as before: a data-only pc keeps
 * nothing (B3). */
#if defined(__SANITIZE_ADDRESS__) /* ASan sees every use of a drained event */
#define RTC__PC_EVENT_REUSE false
#else
#define RTC__PC_EVENT_REUSE true
#endif
#define RTC__PC_EVENT_SPARE 8
#define RTC__PC_EVENT_SPARE_BYTES (128u * 1024)
/* Payload buffers are at least this big and a multiple of it, so that a node fits
 * the varying frames of a stream after a few of them. */
#define RTC__PC_EVENT_BUF_STEP 4096u

static void event_node_free(rtc_pc_t *pc, rtc_pc_event_node_t *n) {
  if (!n) return;
  rtc_dc_unref(n->ev.dc);
  rtc_tr_unref(n->ev.tr);
  free(n->owned_text);
  free(n->owned_mid);
  free(n->owned_data);
  free(n->owned_extra);
  if (RTC__PC_EVENT_REUSE && n->buf && pc->n_ev_spare < RTC__PC_EVENT_SPARE &&
      n->buf_cap <= RTC__PC_EVENT_SPARE_BYTES - pc->ev_spare_bytes) {
    n->next = pc->ev_spare;
    pc->ev_spare = n;
    pc->n_ev_spare++;
    pc->ev_spare_bytes += n->buf_cap;
    return;
  }
  free(n->buf);
  free(n);
}

/* A clean node (not queued): a spare one, with its buffer, or a new one. */
static rtc_pc_event_node_t *event_node_get(rtc_pc_t *pc) {
  rtc_pc_event_node_t *n = pc->ev_spare;
  if (!n) return calloc(1, sizeof(*n));
  pc->ev_spare = n->next;
  pc->n_ev_spare--;
  pc->ev_spare_bytes -= n->buf_cap;
  uint8_t *buf = n->buf;
  size_t cap = n->buf_cap;
  memset(n, 0, sizeof(*n));
  n->buf = buf;
  n->buf_cap = cap;
  return n;
}

static void event_lost(rtc_pc_t *pc, rtc_pc_event_type_t type) {
  pc->events_dropped++;
  RTC_LOG(RTC_LOG_ERROR, "pc", "pc %u: out of memory, event %d lost", pc->id, (int)type);
}

static void event_queue(rtc_pc_t *pc, rtc_pc_event_node_t *n, rtc_pc_event_type_t type) {
  n->ev.type = type;
  n->ev.mline_index = -1;
  if (pc->ev_tail)
    pc->ev_tail->next = n;
  else
    pc->ev_head = n;
  pc->ev_tail = n;
  pc->n_events++;
  n->with_prev = pc->ev_task && pc->ev_task_n++ > 0;
}

/* W3C: an ICE or DTLS transport's state change sets the transport's state,
 * iceConnectionState and connectionState in one task, then fires the events one by one,
 * so every handler of the change reads all the new states (in oniceconnectionstatechange
 * "checking", connectionState is already "connecting"). The events of one change are
 * grouped here, and handing out the first one shows the states of the whole group. */
bool rtc__pc_state_task_begin(rtc_pc_t *pc) {
  if (pc->ev_task) return false;
  pc->ev_task = true;
  pc->ev_task_n = 0;
  return true;
}

void rtc__pc_state_task_end(rtc_pc_t *pc, bool begun) {
  if (begun) pc->ev_task = false;
}

/* Returns NULL when the node cannot be allocated: the event is lost, counted in
 * events_dropped (rtc_pc_get_stats) and logged; every caller checks. */
rtc_pc_event_node_t *rtc__pc_event_push(rtc_pc_t *pc, rtc_pc_event_type_t type) {
  rtc_pc_event_node_t *n = event_node_get(pc);
  if (!n) {
    event_lost(pc, type);
    return NULL;
  }
  event_queue(pc, n, type);
  return n;
}

rtc_pc_event_node_t *rtc__pc_event_push_copy(rtc_pc_t *pc, rtc_pc_event_type_t type,
                                             const void *data, size_t len) {
  rtc_pc_event_node_t *n = event_node_get(pc);
  if (n && n->buf_cap < (len ? len : 1)) {
    /* Grown, not resized: the old bytes are not needed. */
    free(n->buf);
    n->buf_cap = (len + RTC__PC_EVENT_BUF_STEP) / RTC__PC_EVENT_BUF_STEP * RTC__PC_EVENT_BUF_STEP;
    n->buf = malloc(n->buf_cap);
    if (!n->buf) n->buf_cap = 0;
  }
  if (!n || !n->buf) {
    event_node_free(pc, n);
    event_lost(pc, type);
    return NULL;
  }
  memcpy(n->buf, data, len);
  event_queue(pc, n, type);
  n->ev.data = n->buf;
  n->ev.len = len;
  return n;
}

rtc_pc_event_node_t *rtc__pc_event_push_owned(rtc_pc_t *pc, rtc_pc_event_type_t type, void *block,
                                              const void *data, size_t len) {
  if (!block) return rtc__pc_event_push_copy(pc, type, data, len);
  rtc_pc_event_node_t *n = rtc__pc_event_push(pc, type);
  if (!n) {
    free(block);
    return NULL;
  }
  n->owned_data = block;
  n->ev.data = data;
  n->ev.len = len;
  return n;
}

void rtc__pc_event_state(rtc_pc_t *pc, rtc_pc_event_type_t type, int state) {
  rtc_pc_event_node_t *n = rtc__pc_event_push(pc, type);
  if (n) n->ev.state = state;
}

void rtc__pc_event_cancel(rtc_pc_t *pc, rtc_pc_event_node_t *n) {
  rtc_pc_event_node_t **pp = &pc->ev_head, *prev = NULL;
  while (*pp && *pp != n) {
    prev = *pp;
    pp = &(*pp)->next;
  }
  if (!*pp) return; /* not queued: a caller bug, but never a double free */
  *pp = n->next;
  if (pc->ev_tail == n) pc->ev_tail = prev;
  if (pc->op_mark == n) pc->op_mark = prev;
  pc->n_events--;
  pc->events_dropped++;
  RTC_LOG(RTC_LOG_ERROR, "pc", "pc %u: out of memory, event %d lost", pc->id, (int)n->ev.type);
  event_node_free(pc, n);
}

void rtc__pc_event_dc(rtc_pc_t *pc, rtc_pc_event_type_t type, rtc_dc_t *dc) {
  rtc_pc_event_node_t *n = rtc__pc_event_push(pc, type);
  if (!n) return;
  n->ev.dc = rtc_dc_ref(dc); /* the event keeps the channel alive until drained */
  if (type == RTC_PC_EVENT_DC_OPEN) pc->dcs_opened++;
  if (type == RTC_PC_EVENT_DC_CLOSE) pc->dcs_closed++;
}

/* readyState never goes back (a late open after close() stays closing/closed). */
static void dc_show(rtc_dc_t *dc, rtc_dc_state_t st) {
  if (dc && dc->shown_state < st) dc->shown_state = st;
}

static void event_append(rtc_pc_t *pc, rtc_pc_event_node_t *n) {
  n->next = NULL;
  if (pc->ev_tail)
    pc->ev_tail->next = n;
  else
    pc->ev_head = n;
  pc->ev_tail = n;
}

void rtc_pc_mark_operation(rtc_pc_t *pc) {
  pc->op_mark = pc->ev_tail;
  pc->op_marked = true;
}

void rtc_pc_queue_result(rtc_pc_t *pc, int token) {
  /* Nothing polls between the mark and here, so op_mark is still in the queue. */
  rtc_pc_event_node_t *first = NULL;
  if (pc->op_marked) first = pc->op_mark ? pc->op_mark->next : pc->ev_head;
  if (first) { /* detach what the call queued, then put it back in W3C order */
    pc->ev_tail = pc->op_mark;
    if (pc->op_mark)
      pc->op_mark->next = NULL;
    else
      pc->ev_head = NULL;
  }
  pc->op_mark = NULL;
  pc->op_marked = false;
  rtc_pc_event_node_t *rest = NULL, **rest_tail = &rest, *next;
  for (rtc_pc_event_node_t *n = first; n; n = next) {
    next = n->next;
    n->next = NULL;
    if (n->ev.type == RTC_PC_EVENT_SIGNALING_STATE) {
      event_append(pc, n);
    } else {
      *rest_tail = n;
      rest_tail = &n->next;
    }
  }
  rtc_pc_event_node_t *r = rtc__pc_event_push(pc, RTC_PC_EVENT_RESULT);
  if (r) r->ev.state = token; /* lost on OOM: counted, the operation never completes */
  for (rtc_pc_event_node_t *n = rest; n; n = next) {
    next = n->next;
    event_append(pc, n);
  }
}

/* Queued before the application closed something, no longer for it: W3C discards a
 * message unless its channel is open ("receive a message", step 2: dc:close() and
 * pc:close() inside a handler stop delivery at once), and a closed pc fires no state,
 * candidate or media event (a late "connected" would show through the attributes). */
static bool event_stale(const rtc_pc_t *pc, const rtc_pc_event_node_t *n) {
  switch (n->ev.type) {
  case RTC_PC_EVENT_DC_MESSAGE: return n->ev.dc && n->ev.dc->shown_state != RTC_DC_OPEN;
  case RTC_PC_EVENT_ICE_CANDIDATE:
  case RTC_PC_EVENT_ICE_CANDIDATE_ERROR:
  case RTC_PC_EVENT_ICE_GATHERING_STATE:
  case RTC_PC_EVENT_ICE_CONNECTION_STATE:
  case RTC_PC_EVENT_CONNECTION_STATE:
  case RTC_PC_EVENT_SIGNALING_STATE:
  case RTC_PC_EVENT_NEGOTIATION_NEEDED:
  case RTC_PC_EVENT_DC_BUFFERED_AMOUNT_LOW:
  case RTC_PC_EVENT_TRACK_FRAME:
  case RTC_PC_EVENT_TRACK_RTP:
  case RTC_PC_EVENT_TRACK_MUTE:
  case RTC_PC_EVENT_TRACK_REMOVED:
  case RTC_PC_EVENT_TRACK_STREAMS:
  case RTC_PC_EVENT_SELECTED_PAIR:
  case RTC_PC_EVENT_DTLS_STATE:
  case RTC_PC_EVENT_DTLS_ERROR:
  case RTC_PC_EVENT_SCTP_STATE:
  case RTC_PC_EVENT_KEYFRAME_REQUEST: return pc->closed;
  default: return false;
  }
}

/* What the attributes show once the event is handed to the app. */
static void event_show(rtc_pc_t *pc, const rtc_pc_event_node_t *n) {
  switch (n->ev.type) {
  case RTC_PC_EVENT_ICE_CONNECTION_STATE: pc->shown_ice_state = (rtc_ice_state_t)n->ev.state; break;
  case RTC_PC_EVENT_CONNECTION_STATE:
    pc->shown_conn_state = (rtc_connection_state_t)n->ev.state;
    break;
  case RTC_PC_EVENT_ICE_GATHERING_STATE:
    pc->shown_gathering = (rtc_gathering_state_t)n->ev.state;
    break;
  case RTC_PC_EVENT_SIGNALING_STATE:
    pc->shown_signaling = (rtc_signaling_state_t)n->ev.state;
    break;
  case RTC_PC_EVENT_DTLS_STATE: pc->shown_dtls_state = (rtc_dtls_state_t)n->ev.state; break;
  /* W3C: the state is failed when error fires, statechange follows. */
  case RTC_PC_EVENT_DTLS_ERROR: pc->shown_dtls_state = RTC_DTLS_FAILED; break;
  case RTC_PC_EVENT_SCTP_STATE: pc->shown_sctp_state = (rtc_pc_sctp_state_t)n->ev.state; break;
  /* W3C "announce the channel": readyState is open when datachannel fires. */
  case RTC_PC_EVENT_DATACHANNEL:
  case RTC_PC_EVENT_DC_OPEN: dc_show(n->ev.dc, RTC_DC_OPEN); break;
  case RTC_PC_EVENT_DC_CLOSING: dc_show(n->ev.dc, RTC_DC_CLOSING); break;
  case RTC_PC_EVENT_DC_CLOSE: dc_show(n->ev.dc, RTC_DC_CLOSED); break;
  default: break;
  }
}

bool rtc_pc_poll_event(rtc_pc_t *pc, rtc_pc_event_t *out) {
  event_node_free(pc, pc->ev_lent);
  pc->ev_lent = NULL;
  rtc_pc_event_node_t *n;
  for (;;) {
    n = pc->ev_head;
    if (!n) return false;
    pc->ev_head = n->next;
    if (!pc->ev_head) pc->ev_tail = NULL;
    pc->n_events--;
    if (n->ev.type == RTC_PC_EVENT_DC_MESSAGE || n->ev.type == RTC_PC_EVENT_TRACK_FRAME ||
        n->ev.type == RTC_PC_EVENT_TRACK_RTP) {
      bool was_full = pc->ev_bytes >= pc->cfg.max_receive_buffer;
      pc->ev_bytes -= n->ev.len;
      /* The application caught up: read SCTP again (its window reopens). */
      if (was_full && pc->ev_bytes < pc->cfg.max_receive_buffer) rtc__pc_pump(pc);
    }
    if (!event_stale(pc, n)) break;
    event_node_free(pc, n);
  }
  pc->ev_lent = n;
  *out = n->ev;
  event_show(pc, n);
  for (rtc_pc_event_node_t *m = n->next; m && m->with_prev; m = m->next)
    event_show(pc, m);
  return true;
}

void rtc__pc_events_free(rtc_pc_t *pc) {
  event_node_free(pc, pc->ev_lent);
  pc->ev_lent = NULL;
  while (pc->ev_head) {
    rtc_pc_event_node_t *n = pc->ev_head;
    pc->ev_head = n->next;
    if (n->ev.dc) n->ev.dc->shown_state = n->ev.dc->state; /* never delivered now */
    event_node_free(pc, n);
  }
  pc->ev_tail = NULL;
  pc->n_events = 0;
  pc->ev_bytes = 0;
  while (pc->ev_spare) {
    rtc_pc_event_node_t *n = pc->ev_spare;
    pc->ev_spare = n->next;
    free(n->buf);
    free(n);
  }
  pc->n_ev_spare = 0;
  pc->ev_spare_bytes = 0;
}
