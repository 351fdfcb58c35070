/* Data channels (RFC 8831) on one association: per-channel send queues pushed
 * into usrsctp round robin, DCEP (RFC 8832) open/ack, graceful close by stream
 * reset (RFC 8831 section 6.7, RFC 6525). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <usrsctp.h>

#include "base/rtc_err.h"
#include "base/rtc_log.h"
#include "sctp/rtc_sctp.h"
#include "sctp/rtc_sctp_dcep.h"
#include "sctp/rtc_sctp_internal.h"

/* ---------- channels ---------- */

/* O(1): a pc may hold up to 65535 channels, and the id search in channel_open and
 * every received message look channels up. */
rtc__sctp_chan_t *rtc__sctp_chan_find(const rtc_sctp_t *s, uint16_t stream) {
  return stream < s->n_by_id ? s->by_id[stream] : NULL;
}

static bool stream_is_ours(const rtc_sctp_t *s, uint16_t stream);

static void chan_free(rtc__sctp_chan_t *c) {
  rtc__sctp_msg_t *m = c->head;
  while (m) {
    rtc__sctp_msg_t *n = m->next;
    free(m);
    m = n;
  }
  free(c);
}

void rtc__sctp_chan_remove(rtc_sctp_t *s, rtc__sctp_chan_t *c) {
  for (unsigned i = 0; i < s->nchans; i++) {
    if (s->chans[i] != c) continue;
    s->chans[i] = s->chans[--s->nchans];
    break;
  }
  if (c->stream < s->n_by_id && s->by_id[c->stream] == c) s->by_id[c->stream] = NULL;
  if (stream_is_ours(s, c->stream)) s->n_own--;
  chan_free(c);
}

/* The id -> channel table covers the ids in use, grown by doubling up to
 * max_streams: 1024 pointers per pc were 8 KiB for a channel or two (issue 12, B3). */
static bool by_id_cover(rtc_sctp_t *s, uint16_t stream) {
  if (stream < s->n_by_id) return true;
  unsigned n = s->n_by_id ? s->n_by_id : 16;
  while (n <= stream) n *= 2;
  if (n > s->max_streams) n = s->max_streams;
  rtc__sctp_chan_t **nb = realloc(s->by_id, n * sizeof *nb);
  if (!nb) return false;
  memset(nb + s->n_by_id, 0, (n - s->n_by_id) * sizeof *nb);
  s->by_id = nb;
  s->n_by_id = n;
  return true;
}

static rtc__sctp_chan_t *chan_new(rtc_sctp_t *s, uint16_t stream) {
  if (s->nchans >= s->max_streams || stream >= s->max_streams) return NULL;
  if (!by_id_cover(s, stream) || s->by_id[stream]) return NULL;
  if (s->nchans == s->capchans) {
    unsigned n = s->capchans ? s->capchans * 2 : 4;
    rtc__sctp_chan_t **nc = realloc(s->chans, n * sizeof *nc);
    if (!nc) return NULL;
    s->chans = nc;
    s->capchans = n;
  }
  rtc__sctp_chan_t *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  c->stream = stream;
  c->ordered = true;
  c->max_retransmits = -1;
  c->max_packet_life_time = -1;
  s->chans[s->nchans++] = c;
  s->by_id[stream] = c;
  if (stream_is_ours(s, stream)) s->n_own++;
  return c;
}

static int chan_enqueue(rtc__sctp_chan_t *c, uint32_t ppid, bool control, const uint8_t *p,
                        size_t len, bool at_head) {
  rtc__sctp_msg_t *m = malloc(sizeof *m + len);
  if (!m) return RTC_ENOMEM;
  m->next = NULL;
  m->ppid = ppid;
  m->control = control;
  m->len = len;
  if (len) memcpy(m->data, p, len);
  if (at_head) {
    m->next = c->head;
    c->head = m;
    if (!c->tail) c->tail = m;
  } else {
    if (c->tail)
      c->tail->next = m;
    else
      c->head = m;
    c->tail = m;
  }
  if (!control) c->buffered += len;
  return 0;
}

/* ---------- sending ---------- */

/* 0 sent, RTC_EAGAIN usrsctp full, other < 0: the message can never go. */
static int sctp_sendv_msg(rtc_sctp_t *s, rtc__sctp_chan_t *c, uint32_t ppid, bool control,
                          const uint8_t *p, size_t len) {
  struct sctp_sendv_spa spa;
  memset(&spa, 0, sizeof spa);
  spa.sendv_flags = SCTP_SEND_SNDINFO_VALID;
  spa.sendv_sndinfo.snd_sid = c->stream;
  spa.sendv_sndinfo.snd_ppid = htonl(ppid);
  if (!control) {
    /* RFC 8832 section 6: until the ACK arrives, the opener sends ordered, so that
     * the OPEN is delivered before any data. */
    if (!c->ordered && c->acked) spa.sendv_sndinfo.snd_flags |= SCTP_UNORDERED;
    if (c->max_retransmits >= 0) {
      spa.sendv_flags |= SCTP_SEND_PRINFO_VALID;
      spa.sendv_prinfo.pr_policy = SCTP_PR_SCTP_RTX;
      spa.sendv_prinfo.pr_value = (uint32_t)c->max_retransmits;
    } else if (c->max_packet_life_time >= 0) {
      spa.sendv_flags |= SCTP_SEND_PRINFO_VALID;
      spa.sendv_prinfo.pr_policy = SCTP_PR_SCTP_TTL;
      spa.sendv_prinfo.pr_value = (uint32_t)c->max_packet_life_time;
    }
  }
  /* RFC 8831 section 6.6: an empty message is sent as one byte with the EMPTY PPID. */
  static const uint8_t zero = 0;
  if (len == 0) {
    p = &zero;
    len = 1;
  }
  ssize_t r = usrsctp_sendv(s->sock, p, len, NULL, 0, &spa, sizeof spa, SCTP_SENDV_SPA, 0);
  if (r >= 0) return 0;
  if (errno == EWOULDBLOCK || errno == EAGAIN || errno == ENOBUFS) return RTC_EAGAIN;
  int err = errno;
  RTC_LOG(RTC_LOG_DEBUG, "sctp", "sendv on stream %u failed: %s", c->stream, strerror(err));
  return err == EMSGSIZE ? RTC_ETOOBIG : RTC_EIO;
}

static uint32_t data_ppid(bool binary, size_t len) {
  if (binary) return len ? RTC_SCTP_PPID_BINARY : RTC_SCTP_PPID_BINARY_EMPTY;
  return len ? RTC_SCTP_PPID_STRING : RTC_SCTP_PPID_STRING_EMPTY;
}

static void chan_check_low(rtc_sctp_t *s, rtc__sctp_chan_t *c, size_t before) {
  /* W3C bufferedamountlow: fires when the amount crosses the threshold downward. */
  if (before > c->low_threshold && c->buffered <= c->low_threshold)
    rtc__sctp_ev_simple(s, RTC_SCTP_EVENT_BUFFERED_LOW, c->stream, NULL);
}

/* Sends the head of c's queue. true: something was sent. */
static bool chan_send_one(rtc_sctp_t *s, rtc__sctp_chan_t *c) {
  rtc__sctp_msg_t *m = c->head;
  if (!m || s->blocked) return false;
  int r = sctp_sendv_msg(s, c, m->ppid, m->control, m->data, m->len);
  if (r == RTC_EAGAIN) {
    s->blocked = true;
    return false;
  }
  c->head = m->next;
  if (!c->head) c->tail = NULL;
  size_t before = c->buffered;
  if (!m->control) {
    c->buffered -= m->len;
    if (r == 0) {
      s->stats.messages_sent++;
      s->stats.bytes_sent += m->len;
    } else {
      rtc__sctp_ev_simple(s, RTC_SCTP_EVENT_CHANNEL_ERROR, c->stream, "send failed");
    }
  }
  bool control = m->control;
  free(m);
  if (!control) chan_check_low(s, c, before);
  return true;
}

static void sctp_do_resets(rtc_sctp_t *s);

/* Pushes queued messages into usrsctp, one message per channel per round (round
 * robin, so that one busy channel cannot starve the others), until usrsctp is full. */
void rtc__sctp_flush(rtc_sctp_t *s) {
  if (!s->connected || !s->sock) return;
  s->blocked = false;
  bool progress = true;
  while (progress && !s->blocked && s->nchans) {
    progress = false;
    for (unsigned k = 0; k < s->nchans && !s->blocked; k++) {
      unsigned i = (s->rr + k) % s->nchans;
      if (chan_send_one(s, s->chans[i])) progress = true;
    }
    s->rr = s->nchans ? (s->rr + 1) % s->nchans : 0;
  }
  for (unsigned i = 0; i < s->nchans; i++) {
    rtc__sctp_chan_t *c = s->chans[i];
    if (c->state == RTC__SCTP_CHAN_CLOSING && !c->head) s->reset_wanted = true;
  }
  if (s->reset_wanted) sctp_do_resets(s);
}

/* RFC 8831 section 6.7: closing = resetting our outgoing stream (RFC 6525). usrsctp
 * sends the request once the stream's queued data is out, and allows one request
 * in flight: batch all streams, retry on EALREADY/EBUSY at the next event. */
static void sctp_do_resets(rtc_sctp_t *s) {
  s->reset_wanted = false;
  if (!s->connected) return;
  uint16_t list[64];
  unsigned n = 0;
  for (unsigned i = 0; i < s->nchans && n < 64; i++) {
    rtc__sctp_chan_t *c = s->chans[i];
    if (c->state == RTC__SCTP_CHAN_CLOSING && !c->head && !c->reset_sent) list[n++] = c->stream;
  }
  if (!n) return;
  size_t sz = sizeof(struct sctp_reset_streams) + n * sizeof(uint16_t);
  struct sctp_reset_streams *srs = calloc(1, sz);
  if (!srs) return;
  srs->srs_flags = SCTP_STREAM_RESET_OUTGOING;
  srs->srs_number_streams = (uint16_t)n;
  memcpy(srs->srs_stream_list, list, n * sizeof(uint16_t));
  int r = usrsctp_setsockopt(s->sock, IPPROTO_SCTP, SCTP_RESET_STREAMS, srs, (socklen_t)sz);
  int err = errno;
  free(srs);
  if (r < 0) {
    /* EALREADY/EBUSY: one in flight; others (ENOTSUP) also retry, harmlessly. */
    RTC_LOG(RTC_LOG_DEBUG, "sctp", "stream reset deferred: %s", strerror(err));
    s->reset_wanted = true;
    rtc__sctp_watch(s);
    return;
  }
  for (unsigned i = 0; i < s->nchans; i++) {
    rtc__sctp_chan_t *c = s->chans[i];
    for (unsigned j = 0; j < n; j++)
      if (c->stream == list[j]) {
        c->reset_sent = true;
        c->state = RTC__SCTP_CHAN_RESETTING;
        rtc__sctp_watch(s);
      }
  }
  if (n == 64) s->reset_wanted = true; /* more to do after this one completes */
}

/* ---------- receiving ---------- */

void rtc__sctp_chan_emit_open(rtc_sctp_t *s, rtc__sctp_chan_t *c) {
  if (c->open_emitted) return;
  c->open_emitted = true;
  rtc__sctp_ev_simple(s, RTC_SCTP_EVENT_CHANNEL_OPEN, c->stream, NULL);
}

static bool stream_is_ours(const rtc_sctp_t *s, uint16_t stream) {
  /* RFC 8832 section 6: the DTLS client uses even ids, the server odd. */
  return (stream % 2 == 0) == s->cfg.dtls_client;
}

static void handle_dcep_open(rtc_sctp_t *s, uint16_t stream, const uint8_t *p, size_t len) {
  rtc_sctp_dcep_open_t o;
  if (rtc_sctp_dcep_parse_open(p, len, &o) < 0 || stream_is_ours(s, stream) ||
      rtc__sctp_chan_find(s, stream)) {
    s->stats.packets_dropped++;
    RTC_LOG(RTC_LOG_DEBUG, "sctp", "DCEP OPEN on stream %u refused", stream);
    return;
  }
  rtc__sctp_chan_t *c = chan_new(s, stream);
  if (!c) {
    s->stats.packets_dropped++;
    return;
  }
  c->state = RTC__SCTP_CHAN_OPEN;
  c->acked = true; /* we are the responder: our data follows our ACK in order */
  c->open_emitted = true;
  c->ordered = !(o.channel_type & RTC_SCTP_DCEP_UNORDERED);
  uint32_t rel = o.reliability > 65535 ? 65535 : o.reliability;
  switch (o.channel_type & ~RTC_SCTP_DCEP_UNORDERED) {
  case RTC_SCTP_DCEP_REXMIT: c->max_retransmits = (int)rel; break;
  case RTC_SCTP_DCEP_TIMED: c->max_packet_life_time = (int)rel; break;
  default: break;
  }
  static const uint8_t ack = RTC_SCTP_DCEP_ACK;
  chan_enqueue(c, RTC_SCTP_PPID_DCEP, true, &ack, 1, true);
  rtc__sctp_ev_t *e = rtc__sctp_ev_push(s, RTC_SCTP_EVENT_CHANNEL_REMOTE_OPEN, stream,
                                        (size_t)o.label_len + o.protocol_len + 2);
  if (!e) return;
  memcpy(e->strings, o.label, o.label_len);
  e->strings[o.label_len] = 0;
  memcpy(e->strings + o.label_len + 1, o.protocol, o.protocol_len);
  e->strings[o.label_len + 1 + o.protocol_len] = 0;
  e->ev.label = e->strings;
  e->ev.protocol = e->strings + o.label_len + 1;
  e->ev.ordered = c->ordered;
  e->ev.max_retransmits = c->max_retransmits;
  e->ev.max_packet_life_time = c->max_packet_life_time;
}

void rtc__sctp_handle_message(rtc_sctp_t *s, uint16_t stream, uint32_t ppid, const uint8_t *p,
                              size_t len) {
  rtc__sctp_chan_t *c = rtc__sctp_chan_find(s, stream);
  if (ppid == RTC_SCTP_PPID_DCEP) {
    int t = rtc_sctp_dcep_type(p, len);
    if (t == RTC_SCTP_DCEP_OPEN) {
      handle_dcep_open(s, stream, p, len);
    } else if (t == RTC_SCTP_DCEP_ACK && c && c->local && !c->negotiated) {
      c->acked = true;
      if (c->state == RTC__SCTP_CHAN_OPENING) c->state = RTC__SCTP_CHAN_OPEN;
      rtc__sctp_chan_emit_open(s, c);
    } else {
      s->stats.packets_dropped++;
      RTC_LOG(RTC_LOG_DEBUG, "sctp", "DCEP message type %d on stream %u dropped", t, stream);
    }
    return;
  }
  bool binary;
  switch (ppid) {
  case RTC_SCTP_PPID_STRING: binary = false; break;
  case RTC_SCTP_PPID_BINARY: binary = true; break;
  case RTC_SCTP_PPID_STRING_EMPTY: binary = false, len = 0; break;
  case RTC_SCTP_PPID_BINARY_EMPTY: binary = true, len = 0; break;
  /* Deprecated partial PPIDs 52/54 (RFC 8831 section 8) are not supported. */
  default: s->stats.packets_dropped++; return;
  }
  if (!c || c->reset_in) {
    s->stats.packets_dropped++;
    return;
  }
  if (c->state == RTC__SCTP_CHAN_OPENING) {
    /* RFC 8832 section 6: data on the stream before the ACK implies it. */
    c->acked = true;
    c->state = RTC__SCTP_CHAN_OPEN;
    rtc__sctp_chan_emit_open(s, c);
  }
  rtc__sctp_ev_t *e = rtc__sctp_ev_push_message(s, stream, p, len);
  if (!e) return;
  e->ev.binary = binary;
  e->ev.data = (const uint8_t *)e->strings;
  e->ev.len = len;
  s->stats.messages_received++;
  s->stats.bytes_received += len;
}

void rtc__sctp_chan_close_now(rtc_sctp_t *s, rtc__sctp_chan_t *c) {
  if (!c->closed_emitted) rtc__sctp_ev_simple(s, RTC_SCTP_EVENT_CHANNEL_CLOSED, c->stream, NULL);
  rtc__sctp_chan_remove(s, c);
}

/* ---------- channel API ---------- */

int rtc_sctp_channel_open(rtc_sctp_t *s, const rtc_sctp_channel_params_t *params, bool negotiated,
                          int stream, uint16_t *stream_out) {
  if (!s || !params) return RTC_EINVAL;
  if (s->disconnected) return RTC_ESTATE; /* the association is gone for good */
  if (negotiated && stream < 0) return RTC_EINVAL;
  if (stream >= s->max_streams) return RTC_EINVAL; /* beyond the streams we negotiate */
  if (s->nchans >= s->max_streams) return RTC_ELIMIT;
  if (stream < 0) {
    /* Next free id of our parity (RFC 8832 section 6); none left: say so at once
     * rather than search (ids of our parity below max_streams: half, rounded by it). */
    unsigned own_ids = (s->max_streams + (s->cfg.dtls_client ? 1u : 0u)) / 2u;
    if (s->n_own >= own_ids) return RTC_ELIMIT;
    unsigned tries = 0;
    while (rtc__sctp_chan_find(s, s->next_stream) && tries++ < s->max_streams / 2u) {
      s->next_stream += 2;
      if (s->next_stream >= s->max_streams) s->next_stream = s->cfg.dtls_client ? 0 : 1;
    }
    if (rtc__sctp_chan_find(s, s->next_stream)) return RTC_ELIMIT;
    stream = s->next_stream;
    s->next_stream += 2;
    if (s->next_stream >= s->max_streams) s->next_stream = s->cfg.dtls_client ? 0 : 1;
  } else if (rtc__sctp_chan_find(s, (uint16_t)stream)) {
    return RTC_EINVAL;
  } else if (!negotiated && !stream_is_ours(s, (uint16_t)stream)) {
    return RTC_EINVAL; /* a DCEP OPEN on the peer's parity would collide with theirs */
  }
  const char *label = params->label ? params->label : "";
  const char *proto = params->protocol ? params->protocol : "";
  size_t ll = strlen(label), pl = strlen(proto);
  if (ll > 65535 || pl > 65535) return RTC_EINVAL;
  rtc__sctp_chan_t *c = chan_new(s, (uint16_t)stream);
  if (!c) return RTC_ENOMEM;
  c->local = true;
  c->negotiated = negotiated;
  c->ordered = params->ordered;
  c->max_retransmits = params->max_retransmits > 65535 ? 65535 : params->max_retransmits;
  c->max_packet_life_time =
      params->max_packet_life_time > 65535 ? 65535 : params->max_packet_life_time;
  if (negotiated) {
    c->state = RTC__SCTP_CHAN_OPEN;
    c->acked = true;
    if (s->connected) rtc__sctp_chan_emit_open(s, c);
  } else {
    c->state = RTC__SCTP_CHAN_OPENING;
    rtc_sctp_dcep_open_t o = {.priority = params->priority ? params->priority : 256,
                              .label = (const uint8_t *)label,
                              .label_len = (uint16_t)ll,
                              .protocol = (const uint8_t *)proto,
                              .protocol_len = (uint16_t)pl};
    o.channel_type = c->ordered ? 0 : RTC_SCTP_DCEP_UNORDERED;
    if (c->max_retransmits >= 0) {
      o.channel_type |= RTC_SCTP_DCEP_REXMIT;
      o.reliability = (uint32_t)c->max_retransmits;
    } else if (c->max_packet_life_time >= 0) {
      o.channel_type |= RTC_SCTP_DCEP_TIMED;
      o.reliability = (uint32_t)c->max_packet_life_time;
    }
    size_t n = RTC_SCTP_DCEP_OPEN_HEADER + ll + pl;
    uint8_t *buf = malloc(n);
    if (!buf || rtc_sctp_dcep_write_open(buf, n, &o) < 0 ||
        chan_enqueue(c, RTC_SCTP_PPID_DCEP, true, buf, n, false) < 0) {
      free(buf);
      rtc__sctp_chan_remove(s, c);
      return RTC_ENOMEM;
    }
    free(buf);
  }
  if (stream_out) *stream_out = (uint16_t)stream;
  if (s->connected && !s->in_drain) rtc__sctp_flush(s);
  return 0;
}

int rtc_sctp_channel_send(rtc_sctp_t *s, uint16_t stream, bool binary, const uint8_t *p,
                          size_t len) {
  if (!s || (len && !p)) return RTC_EINVAL;
  rtc__sctp_chan_t *c = rtc__sctp_chan_find(s, stream);
  if (!c || c->state == RTC__SCTP_CHAN_CLOSING || c->state == RTC__SCTP_CHAN_RESETTING ||
      s->disconnected)
    return RTC_ESTATE;
  if (s->cfg.remote_max_message_size && len > s->cfg.remote_max_message_size) return RTC_ETOOBIG;
  if (len > RTC__SCTP_SNDBUF) return RTC_ETOOBIG; /* usrsctp would refuse it (EMSGSIZE) */
  /* Our queue is bounded too (Chrome closes a channel past 16 MiB buffered): the
   * application must wait for BUFFERED_LOW. */
  if (c->buffered + len > s->cfg.max_buffered) return RTC_EAGAIN;
  uint32_t ppid = data_ppid(binary, len);
  /* Fast path: nothing queued ahead of it, hand it to usrsctp without a copy. */
  if (!c->head && s->connected && !s->blocked && !s->in_drain) {
    int r = sctp_sendv_msg(s, c, ppid, false, p, len);
    if (r == 0) {
      s->stats.messages_sent++;
      s->stats.bytes_sent += len;
      return 0;
    }
    if (r != RTC_EAGAIN) return r;
    s->blocked = true;
  }
  return chan_enqueue(c, ppid, false, p, len, false);
}

int rtc_sctp_channel_close(rtc_sctp_t *s, uint16_t stream) {
  if (!s) return RTC_EINVAL;
  rtc__sctp_chan_t *c = rtc__sctp_chan_find(s, stream);
  if (!c) return RTC_ENOTFOUND;
  if (c->state == RTC__SCTP_CHAN_CLOSING || c->state == RTC__SCTP_CHAN_RESETTING) return 0;
  if (!s->connected) {
    /* Never reached the peer: nothing to reset. */
    rtc__sctp_chan_close_now(s, c);
    return 0;
  }
  c->state = RTC__SCTP_CHAN_CLOSING;
  rtc__sctp_watch(s);
  if (!s->in_drain)
    rtc__sctp_flush(s);
  else
    s->reset_wanted = true;
  return 0;
}

size_t rtc_sctp_channel_buffered_amount(const rtc_sctp_t *s, uint16_t stream) {
  const rtc__sctp_chan_t *c = s ? rtc__sctp_chan_find(s, stream) : NULL;
  return c ? c->buffered : 0;
}

void rtc_sctp_channel_set_low_threshold(rtc_sctp_t *s, uint16_t stream, size_t threshold) {
  rtc__sctp_chan_t *c = s ? rtc__sctp_chan_find(s, stream) : NULL;
  if (c) c->low_threshold = threshold;
}

void rtc_sctp_get_stats(const rtc_sctp_t *s, rtc_sctp_stats_t *out) {
  if (s)
    *out = s->stats;
  else
    memset(out, 0, sizeof *out);
}

int rtc__sctp_send_raw(rtc_sctp_t *s, uint16_t stream, uint32_t ppid, const uint8_t *p,
                       size_t len) {
  if (!s || !s->connected || !len) return RTC_ESTATE;
  struct sctp_sndinfo si = {.snd_sid = stream, .snd_ppid = htonl(ppid)};
  ssize_t r = usrsctp_sendv(s->sock, p, len, NULL, 0, &si, sizeof si, SCTP_SENDV_SNDINFO, 0);
  return r < 0 ? RTC_EIO : 0;
}

int rtc__sctp_send_raw_piece(rtc_sctp_t *s, uint16_t stream, uint32_t ppid, const uint8_t *p,
                             size_t len, bool eor) {
  if (!s || !s->connected || !len) return RTC_ESTATE;
  static const int on = 1;
  if (usrsctp_setsockopt(s->sock, IPPROTO_SCTP, SCTP_EXPLICIT_EOR, &on, sizeof on) < 0)
    return RTC_EIO;
  struct sctp_sndinfo si = {.snd_sid = stream, .snd_ppid = htonl(ppid)};
  if (eor) si.snd_flags = SCTP_EOR;
  ssize_t r = usrsctp_sendv(s->sock, p, len, NULL, 0, &si, sizeof si, SCTP_SENDV_SNDINFO, 0);
  if (r < 0) return errno == EWOULDBLOCK || errno == EAGAIN ? RTC_EAGAIN : RTC_EIO;
  return r > 0 ? (int)r : RTC_EAGAIN; /* 0: nothing taken, the buffer is full */
}
