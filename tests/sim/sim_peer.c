/* The test application around each pc: signaling over a delayed in-order
 * channel (trickle or whole descriptions), channels that send numbered,
 * self-checking messages, and the invariants every event is checked against. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rtc_err.h"
#include "base/rtc_time.h"
#include "ice/rtc_ice_agent.h"
#include "sctp/rtc_sctp.h"
#include "sim.h"

#define SIM_HDR 12u

sim_inject_t sim_inject;
const char *const sim_inject_names[SIM_INJECT_N] = {"none", "dup", "swap", "lose", "state",
                                                    "after-close"};
#define SIM_SPIN_LIMIT 200000u

void sim_fail(sim_t *s, const char *fmt, ...) {
  if (s->failed) return;
  s->failed = true;
  va_list ap;
  va_start(ap, fmt);
  int n = snprintf(s->why, sizeof(s->why), "t=%.3f ", (double)s->now / 1e6);
  vsnprintf(s->why + n, sizeof(s->why) - (size_t)n, fmt, ap);
  va_end(ap);
  if (s->trace) printf("%12.6f FAIL %s\n", (double)s->now / 1e6, s->why);
}

void sim_trace(sim_t *s, const char *fmt, ...) {
  if (!s->trace) return;
  va_list ap;
  va_start(ap, fmt);
  printf("%12.6f ", (double)s->now / 1e6);
  vprintf(fmt, ap);
  printf("\n");
  va_end(ap);
}

void sim_init(sim_t *s, uint64_t seed, const char *scenario, bool trace) {
  memset(s, 0, sizeof(*s));
  s->seed = seed;
  s->scenario = scenario;
  s->trace = trace;
  s->now = 1000000;
  sim_clock_us = &s->now;
  sim_rng_seed(&s->app, seed, 2);
  sim_net_init(&s->net, seed, &s->now, trace);
  s->sig_delay_us = RTC_MS(sim_rng_range(&s->app, 5, 150));
}

void sim_free(sim_t *s) {
  for (int i = 0; i < s->n_peers; i++) {
    sim_peer_t *p = &s->peers[i];
    for (int c = 0; c < p->n_chans; c++)
      rtc_dc_unref(p->chans[c].dc);
    rtc_pc_destroy(p->pc);
    p->pc = NULL;
  }
  for (int i = 0; i < s->n_flows; i++)
    free(s->flows[i].seen);
  while (s->sig_head) {
    sim_sig_t *g = s->sig_head;
    s->sig_head = g->next;
    free(g->text);
    free(g->mid);
    free(g);
  }
  sim_net_free(&s->net);
}

sim_peer_t *sim_add_peer(sim_t *s, char name, const char *ip, uint16_t port, bool trickle) {
  sim_peer_t *p = &s->peers[s->n_peers];
  memset(p, 0, sizeof(*p));
  p->idx = s->n_peers++;
  p->name = name;
  p->node = sim_net_add_node(&s->net, name, ip, port);
  p->trickle = trickle;
  p->pc = rtc_pc_create(NULL, s->now);
  p->conn_state = RTC_CONNECTION_NEW;
  p->ice_state = RTC_ICE_NEW;
  p->sig_state = RTC_SIGNALING_STABLE;
  p->gather_state = RTC_GATHERING_NEW;
  p->high_water = 1 << 20;
  if (!p->pc) sim_fail(s, "%c: rtc_pc_create failed", name);
  return p;
}

/* ---- signaling ---- */

static void sig_send(sim_t *s, sim_peer_t *from, int kind, const char *text, const char *mid,
                     int mline) {
  sim_sig_t *g = calloc(1, sizeof(*g));
  if (!g) abort();
  g->at = s->now + s->sig_delay_us;
  g->to = 1 - from->idx;
  g->kind = kind;
  g->text = text ? strdup(text) : NULL;
  g->mid = mid ? strdup(mid) : NULL;
  g->mline = mline;
  sim_sig_t **pp = &s->sig_head; /* FIFO: same delay, so append in time order */
  while (*pp && (*pp)->at <= g->at)
    pp = &(*pp)->next;
  g->next = *pp;
  *pp = g;
  static const char *kinds[] = {"offer", "answer", "candidate", "end-of-candidates"};
  sim_trace(s, "sig %c->%c %s%s%s", from->name, s->peers[g->to].name, kinds[kind],
            kind == 2 ? " " : "", kind == 2 ? text : "");
}

static void send_local_desc(sim_t *s, sim_peer_t *p) {
  rtc_sdp_type_t type;
  const char *sdp = rtc_pc_local_description(p->pc, &type);
  if (!sdp) return sim_fail(s, "%c: no local description to send", p->name);
  sig_send(s, p, type == RTC_SDP_OFFER ? 0 : 1, sdp, NULL, -1);
}

/* Sends the local description now (trickle) or once gathering is complete. */
static void ship_desc(sim_t *s, sim_peer_t *p) {
  if (p->trickle || rtc_pc_gathering_state(p->pc) == RTC_GATHERING_COMPLETE)
    send_local_desc(s, p);
  else
    p->send_desc_when_gathered = true;
}

void sim_negotiate(sim_t *s, sim_peer_t *p, bool ice_restart) {
  if (!p->pc || s->failed) return;
  char *offer = NULL;
  int r = rtc_pc_create_offer(p->pc, ice_restart, &offer);
  if (r == 0) r = rtc_pc_set_local_description(p->pc, RTC_SDP_OFFER, offer);
  free(offer);
  if (r) return sim_fail(s, "%c: offer: %s", p->name, rtc_pc_error(p->pc));
  sim_trace(s, "app %c: offer%s", p->name, ice_restart ? " (ICE restart)" : "");
  ship_desc(s, p);
}

static void sig_deliver(sim_t *s, sim_sig_t *g) {
  sim_peer_t *p = &s->peers[g->to];
  if (!p->pc || p->app_closed) return;
  int r = 0;
  switch (g->kind) {
  case 0:
    r = rtc_pc_set_remote_description(p->pc, RTC_SDP_OFFER, g->text);
    if (r) break;
    r = rtc_pc_set_local_description(p->pc, RTC_SDP_ANSWER, NULL);
    if (r) break;
    ship_desc(s, p);
    break;
  case 1: r = rtc_pc_set_remote_description(p->pc, RTC_SDP_ANSWER, g->text); break;
  case 2: r = rtc_pc_add_ice_candidate(p->pc, g->text, g->mid, g->mline); break;
  case 3: r = rtc_pc_add_ice_candidate(p->pc, NULL, g->mid, g->mline); break;
  }
  if (r) sim_fail(s, "%c: signaling kind %d: %s", p->name, g->kind, rtc_pc_error(p->pc));
}

/* ---- flows: numbered, self-describing messages ---- */

static uint8_t flow_byte(uint32_t tag, uint32_t seq, size_t i) {
  return (uint8_t)(seq * 131u + (uint32_t)i * 7u + tag * 29u);
}

static void put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}
static uint32_t get32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int sim_add_flow(sim_t *s, sim_peer_t *p, sim_chan_t *c, const char *label, bool reliable,
                 bool ordered, uint64_t total, size_t msg_min, size_t msg_max) {
  if (s->n_flows >= SIM_MAX_FLOWS) return -1;
  int k = s->n_flows++;
  sim_flow_t *f = &s->flows[k];
  memset(f, 0, sizeof(*f));
  snprintf(f->label, sizeof(f->label), "%s", label);
  f->sender = p->idx;
  f->reliable = reliable;
  f->ordered = ordered;
  f->total = total;
  f->last_seq = -1;
  f->msg_min = msg_min < SIM_HDR ? SIM_HDR : msg_min;
  f->msg_max = msg_max < f->msg_min ? f->msg_min : msg_max;
  f->seen_cap = (size_t)(total / f->msg_min) + 64;
  f->seen = calloc(f->seen_cap / 8 + 1, 1);
  if (c) c->out_flow = k;
  return k;
}

static sim_chan_t *chan_add(sim_peer_t *p, rtc_dc_t *dc) {
  if (p->n_chans >= SIM_MAX_CHANNELS) return NULL;
  sim_chan_t *c = &p->chans[p->n_chans++];
  memset(c, 0, sizeof(*c));
  c->dc = dc;
  c->out_flow = -1;
  return c;
}

int sim_open_channel(sim_t *s, sim_peer_t *p, const rtc_dc_init_t *init, uint64_t total,
                     size_t msg_min, size_t msg_max) {
  rtc_dc_t *dc = rtc_pc_create_data_channel(p->pc, init);
  if (!dc) {
    sim_fail(s, "%c: createDataChannel: %s", p->name, rtc_pc_error(p->pc));
    return -1;
  }
  sim_chan_t *c = chan_add(p, dc);
  if (!c) return -1;
  bool reliable = init->max_retransmits < 0 && init->max_packet_life_time < 0;
  return sim_add_flow(s, p, c, init->label, reliable, init->ordered, total, msg_min, msg_max);
}

sim_chan_t *sim_find_chan(sim_peer_t *p, const char *label) {
  for (int i = 0; i < p->n_chans; i++)
    if (p->chans[i].dc && strcmp(rtc_dc_label(p->chans[i].dc), label) == 0) return &p->chans[i];
  return NULL;
}

static sim_chan_t *chan_of(sim_peer_t *p, rtc_dc_t *dc) {
  for (int i = 0; i < p->n_chans; i++)
    if (p->chans[i].dc == dc) return &p->chans[i];
  return NULL;
}

static void flow_pump(sim_t *s, sim_peer_t *p, sim_chan_t *c) {
  if (c->out_flow < 0 || !c->opened || c->closing || c->closed || p->app_closed) return;
  sim_flow_t *f = &s->flows[c->out_flow];
  static uint8_t buf[1 << 18];
  while (!f->stop && f->sent_bytes < f->total && rtc_dc_buffered_amount(c->dc) < p->high_water) {
    size_t len = (size_t)sim_rng_range(&s->app, f->msg_min, f->msg_max);
    if (len > f->total - f->sent_bytes) len = (size_t)(f->total - f->sent_bytes);
    if (len < SIM_HDR) len = SIM_HDR;
    uint32_t seq = f->sent_msgs;
    put32(buf, (uint32_t)c->out_flow);
    put32(buf + 4, seq);
    put32(buf + 8, (uint32_t)len);
    for (size_t i = SIM_HDR; i < len; i++)
      buf[i] = flow_byte((uint32_t)c->out_flow, seq, i);
    int r = rtc_dc_send(c->dc, true, buf, len);
    if (r == RTC_ESTATE) { /* closed under us: the flow ends here */
      f->stop = true;
      break;
    }
    if (r) return sim_fail(s, "%c: send on %s: %s", p->name, f->label, rtc_dc_error(c->dc));
    f->sent_msgs++;
    f->sent_bytes += len;
  }
}

static void flow_receive(sim_t *s, sim_peer_t *p, sim_chan_t *c, const rtc_pc_event_t *ev) {
  const char *label = rtc_dc_label(c->dc);
  if (ev->len < SIM_HDR) return sim_fail(s, "%c: %s: short message (%zu)", p->name, label, ev->len);
  uint32_t k = get32(ev->data), seq = get32(ev->data + 4), len = get32(ev->data + 8);
  if (k >= (uint32_t)s->n_flows || s->flows[k].sender == p->idx ||
      strcmp(s->flows[k].label, label) != 0)
    return sim_fail(s, "%c: %s: message of flow %u on the wrong channel", p->name, label, k);
  sim_flow_t *f = &s->flows[k];
  if (len != ev->len) return sim_fail(s, "%c: %s: seq %u length %zu, header says %u", p->name, label, seq, ev->len, len);
  for (size_t i = SIM_HDR; i < ev->len; i++)
    if (ev->data[i] != flow_byte(k, seq, i))
      return sim_fail(s, "%c: %s: seq %u corrupt at byte %zu", p->name, label, seq, i);
  if (seq >= f->sent_msgs) return sim_fail(s, "%c: %s: seq %u was never sent", p->name, label, seq);
  if (seq < f->seen_cap) {
    if (f->seen[seq / 8] & (1u << (seq % 8)))
      return sim_fail(s, "%c: %s: seq %u delivered twice", p->name, label, seq);
    f->seen[seq / 8] |= (uint8_t)(1u << (seq % 8));
  }
  if (f->ordered && (int64_t)seq <= f->last_seq)
    return sim_fail(s, "%c: %s: seq %u after %lld on an ordered channel", p->name, label, seq, (long long)f->last_seq);
  if (f->ordered && f->reliable && (int64_t)seq != f->last_seq + 1)
    return sim_fail(s, "%c: %s: seq %u after %lld: a gap on a reliable ordered channel", p->name, label, seq, (long long)f->last_seq);
  if ((int64_t)seq > f->last_seq) f->last_seq = seq;
  f->recv_msgs++;
  f->recv_bytes += ev->len;
}

/* ---- the W3C state machines ---- */

/* RTCPeerConnectionState: an aggregate, so most moves are possible; what never
 * happens is going back to new, leaving closed, a repeated state, or leaving
 * failed other than by an ICE restart (to connecting or connected). */
static bool conn_move_ok(int from, int to) {
  if (from == to || to == RTC_CONNECTION_NEW || from == RTC_CONNECTION_CLOSED) return false;
  if (from == RTC_CONNECTION_FAILED)
    return to == RTC_CONNECTION_CONNECTING || to == RTC_CONNECTION_CONNECTED ||
           to == RTC_CONNECTION_CLOSED;
  return true;
}

/* RTCIceTransportState (webrtc-pc 5.6): new -> checking -> connected -> completed;
 * connected/completed <-> disconnected; checking/disconnected -> failed; an ICE
 * restart takes any state back to checking (or new); closed is final. */
static bool ice_move_ok(int from, int to) {
  if (from == to || from == RTC_ICE_CLOSED) return false;
  switch (to) {
  case RTC_ICE_NEW: return true; /* restart before candidates */
  case RTC_ICE_CHECKING: return true;
  case RTC_ICE_CONNECTED:
    return from == RTC_ICE_CHECKING || from == RTC_ICE_DISCONNECTED ||
           from == RTC_ICE_COMPLETED || from == RTC_ICE_NEW || from == RTC_ICE_FAILED;
  case RTC_ICE_COMPLETED: return from == RTC_ICE_CONNECTED || from == RTC_ICE_CHECKING;
  case RTC_ICE_DISCONNECTED:
    return from == RTC_ICE_CONNECTED || from == RTC_ICE_COMPLETED || from == RTC_ICE_CHECKING;
  case RTC_ICE_FAILED: return from == RTC_ICE_CHECKING || from == RTC_ICE_DISCONNECTED;
  case RTC_ICE_CLOSED: return true;
  }
  return false;
}

/* RTCSignalingState (JSEP 3.2, webrtc-pc 4.3.1). */
static bool sig_move_ok(int from, int to) {
  switch (from) {
  case RTC_SIGNALING_STABLE:
    return to == RTC_SIGNALING_HAVE_LOCAL_OFFER || to == RTC_SIGNALING_HAVE_REMOTE_OFFER ||
           to == RTC_SIGNALING_CLOSED;
  case RTC_SIGNALING_HAVE_LOCAL_OFFER:
    return to == RTC_SIGNALING_STABLE || to == RTC_SIGNALING_HAVE_REMOTE_PRANSWER ||
           to == RTC_SIGNALING_HAVE_REMOTE_OFFER /* implicit rollback */ ||
           to == RTC_SIGNALING_CLOSED;
  case RTC_SIGNALING_HAVE_REMOTE_OFFER:
    return to == RTC_SIGNALING_STABLE || to == RTC_SIGNALING_HAVE_LOCAL_PRANSWER ||
           to == RTC_SIGNALING_CLOSED;
  case RTC_SIGNALING_HAVE_LOCAL_PRANSWER:
  case RTC_SIGNALING_HAVE_REMOTE_PRANSWER:
    return to == RTC_SIGNALING_STABLE || to == from || to == RTC_SIGNALING_CLOSED;
  }
  return false;
}

static const char *conn_name(int s) {
  static const char *n[] = {"new", "connecting", "connected", "disconnected", "failed", "closed"};
  return s >= 0 && s < 6 ? n[s] : "?";
}
static const char *ice_name(int s) {
  static const char *n[] = {"new",    "checking",     "connected", "completed",
                            "failed", "disconnected", "closed"};
  return s >= 0 && s < 7 ? n[s] : "?";
}

static void handle_event(sim_t *s, sim_peer_t *p, const rtc_pc_event_t *ev) {
  char nm = p->name;
  if (p->app_closed && ev->type != RTC_PC_EVENT_DC_CLOSE && ev->type != RTC_PC_EVENT_DC_CLOSING)
    return sim_fail(s, "%c: event %d after close()", nm, ev->type);
  sim_chan_t *c = ev->dc ? chan_of(p, ev->dc) : NULL;
  switch (ev->type) {
  case RTC_PC_EVENT_ICE_CANDIDATE:
    sim_trace(s, "ev %c candidate %s", nm, ev->candidate ? ev->candidate : "(end)");
    if (p->trickle) sig_send(s, p, ev->candidate ? 2 : 3, ev->candidate, ev->mid, ev->mline_index);
    break;
  case RTC_PC_EVENT_ICE_GATHERING_STATE:
    if (ev->state == p->gather_state)
      return sim_fail(s, "%c: gathering state %d repeated", nm, ev->state);
    p->gather_state = ev->state;
    if (ev->state == RTC_GATHERING_COMPLETE && p->send_desc_when_gathered) {
      p->send_desc_when_gathered = false;
      send_local_desc(s, p);
    }
    break;
  case RTC_PC_EVENT_ICE_CONNECTION_STATE:
    sim_trace(s, "ev %c ice %s", nm, ice_name(ev->state));
    if (!ice_move_ok(p->ice_state, ev->state))
      return sim_fail(s, "%c: ICE state %s -> %s", nm, ice_name(p->ice_state), ice_name(ev->state));
    p->ice_state = ev->state;
    break;
  case RTC_PC_EVENT_CONNECTION_STATE:
    sim_trace(s, "ev %c connection %s", nm, conn_name(ev->state));
    if (!conn_move_ok(p->conn_state, ev->state))
      return sim_fail(s, "%c: connection state %s -> %s", nm, conn_name(p->conn_state),
                      conn_name(ev->state));
    p->conn_state = ev->state;
    if (sim_inject == SIM_INJECT_STATE && ev->state == RTC_CONNECTION_CONNECTED) {
      rtc_pc_event_t bogus = *ev;
      bogus.state = RTC_CONNECTION_NEW;
      handle_event(s, p, &bogus);
    }
    if (ev->state == RTC_CONNECTION_CONNECTED) {
      p->ever_connected = true;
      p->n_connected++;
      p->t_connected = s->now;
    } else if (ev->state == RTC_CONNECTION_DISCONNECTED) {
      p->n_disconnected++;
      p->t_disconnected = s->now;
    } else if (ev->state == RTC_CONNECTION_FAILED) {
      p->n_failed++;
      p->t_failed = s->now;
    }
    break;
  case RTC_PC_EVENT_SIGNALING_STATE:
    if (!sig_move_ok(p->sig_state, ev->state))
      return sim_fail(s, "%c: signaling state %d -> %d", nm, p->sig_state, ev->state);
    p->sig_state = ev->state;
    break;
  case RTC_PC_EVENT_DATACHANNEL:
    if (c) return sim_fail(s, "%c: datachannel event for a channel it knows", nm);
    if (!(c = chan_add(p, ev->dc))) return sim_fail(s, "%c: too many channels", nm);
    sim_trace(s, "ev %c datachannel %s id %d", nm, rtc_dc_label(ev->dc), rtc_dc_id(ev->dc));
    for (int i = 0; i < p->n_chans - 1; i++)
      if (p->chans[i].dc && !p->chans[i].closed && rtc_dc_id(p->chans[i].dc) == rtc_dc_id(ev->dc))
        return sim_fail(s, "%c: two open channels with id %d", nm, rtc_dc_id(ev->dc));
    break;
  case RTC_PC_EVENT_DC_OPEN:
    if (!c) return sim_fail(s, "%c: open for an unknown channel", nm);
    if (c->opened || c->closed) return sim_fail(s, "%c: %s opened twice or after close", nm, rtc_dc_label(c->dc));
    c->opened = true;
    sim_trace(s, "ev %c open %s", nm, rtc_dc_label(c->dc));
    break;
  case RTC_PC_EVENT_DC_MESSAGE:
    if (!c) return sim_fail(s, "%c: message on an unknown channel", nm);
    if (!c->opened || c->closed)
      return sim_fail(s, "%c: %s: message while %s", nm, rtc_dc_label(c->dc), c->closed ? "closed" : "not open");
    if (sim_inject == SIM_INJECT_NONE) {
      flow_receive(s, p, c, ev);
    } else { /* checker self-test: the k-th message overall is mishandled */
      static int nth;
      static uint8_t held[1 << 18];
      static rtc_pc_event_t held_ev;
      nth++;
      if (sim_inject == SIM_INJECT_DUP && nth == 3) flow_receive(s, p, c, ev);
      if (sim_inject == SIM_INJECT_LOSE && nth == 3) break;
      if (sim_inject == SIM_INJECT_SWAP && nth == 3 && ev->len <= sizeof(held)) {
        memcpy(held, ev->data, ev->len);
        held_ev = *ev;
        held_ev.data = held;
        break;
      }
      if (!s->failed) flow_receive(s, p, c, ev);
      if (sim_inject == SIM_INJECT_SWAP && nth == 4 && !s->failed) flow_receive(s, p, c, &held_ev);
    }
    break;
  case RTC_PC_EVENT_DC_CLOSING:
    if (!c) return sim_fail(s, "%c: closing for an unknown channel", nm);
    if (c->closed) return sim_fail(s, "%c: %s closing after close", nm, rtc_dc_label(c->dc));
    c->closing = true;
    break;
  case RTC_PC_EVENT_DC_CLOSE:
    if (!c) return sim_fail(s, "%c: close for an unknown channel", nm);
    if (c->closed) return sim_fail(s, "%c: %s closed twice", nm, rtc_dc_label(c->dc));
    c->closed = true;
    sim_trace(s, "ev %c close %s", nm, rtc_dc_label(c->dc));
    if (c->out_flow >= 0) s->flows[c->out_flow].stop = true;
    break;
  case RTC_PC_EVENT_DC_BUFFERED_AMOUNT_LOW: break;
  case RTC_PC_EVENT_DC_ERROR:
    sim_trace(s, "ev %c dc error %s", nm, ev->text ? ev->text : "");
    break;
  case RTC_PC_EVENT_NEGOTIATION_NEEDED: break;
  case RTC_PC_EVENT_ICE_CANDIDATE_ERROR: break;
  default: break; /* RESULT (we never queue one), media events (no media here yet) */
  }
  if (s->on_event && !s->failed) s->on_event(s, p, ev);
}

static void service(sim_t *s, sim_peer_t *p) {
  if (!p->pc) return;
  if (rtc_pc_poll_gather(p->pc)) {
    rtc_pc_add_local_address(p->pc, &s->net.nodes[p->node].local);
    rtc_pc_set_gathering_done(p->pc);
  }
  for (int round = 0; round < 1000 && !s->failed; round++) {
    bool any = false;
    rtc_transmit_t tx;
    while (p->pc && rtc_pc_poll_transmit(p->pc, &tx)) {
      sim_net_send(&s->net, p->node, &tx);
      any = true;
    }
    rtc_pc_event_t ev;
    while (p->pc && !s->failed && rtc_pc_poll_event(p->pc, &ev)) {
      handle_event(s, p, &ev);
      any = true;
    }
    for (int i = 0; i < p->n_chans && !s->failed; i++)
      flow_pump(s, p, &p->chans[i]);
    if (!any) break;
  }
}

void sim_close_pc(sim_t *s, sim_peer_t *p) {
  sim_trace(s, "app %c: close()", p->name);
  p->app_closed = true;
  rtc_pc_close(p->pc);
  service(s, p);
  if (sim_inject == SIM_INJECT_AFTER_CLOSE) {
    rtc_pc_event_t bogus = {.type = RTC_PC_EVENT_CONNECTION_STATE, .state = RTC_CONNECTION_FAILED};
    handle_event(s, p, &bogus);
  }
}

bool sim_flows_complete(sim_t *s) {
  for (int i = 0; i < s->n_flows; i++) {
    sim_flow_t *f = &s->flows[i];
    if (f->reliable && !f->stop && (f->sent_bytes < f->total || f->recv_bytes < f->sent_bytes))
      return false;
  }
  return true;
}

void sim_check_flows(sim_t *s, bool require_complete) {
  for (int i = 0; i < s->n_flows && !s->failed; i++) {
    sim_flow_t *f = &s->flows[i];
    if (f->recv_bytes > f->sent_bytes)
      sim_fail(s, "%s: %llu bytes delivered, only %llu sent", f->label,
               (unsigned long long)f->recv_bytes, (unsigned long long)f->sent_bytes);
    else if (f->reliable && require_complete &&
             (f->recv_bytes != f->sent_bytes || (!f->stop && f->sent_bytes < f->total)))
      sim_fail(s, "%s (from %c): %llu of %llu bytes sent, %llu delivered", f->label,
               s->peers[f->sender].name, (unsigned long long)f->sent_bytes,
               (unsigned long long)f->total, (unsigned long long)f->recv_bytes);
  }
}

bool sim_run(sim_t *s, uint64_t until, bool (*done)(sim_t *s)) {
  uint64_t last_now = s->now;
  for (;;) {
    for (int i = 0; i < s->n_peers; i++)
      service(s, &s->peers[i]);
    if (s->failed) return false;
    if (done && done(s)) return true;
    if (s->now >= until) return false;
    uint64_t next = until;
    next = rtc_time_min(next, sim_net_next(&s->net));
    if (s->sig_head) next = rtc_time_min(next, s->sig_head->at);
    for (int i = 0; i < s->n_peers; i++)
      if (s->peers[i].pc) next = rtc_time_min(next, rtc_pc_poll_timeout(s->peers[i].pc));
    uint64_t sctp_due = rtc_sctp_global_poll_timeout(s->now);
    next = rtc_time_min(next, sctp_due);
    if (next > s->now) s->now = next;
    if (s->now == last_now) {
      if (++s->spin > SIM_SPIN_LIMIT) {
        sim_fail(s, "busy loop: the clock does not move");
        return false;
      }
    } else {
      s->spin = 0;
      last_now = s->now;
    }
    while (s->sig_head && s->sig_head->at <= s->now) {
      sim_sig_t *g = s->sig_head;
      int to = g->to;
      s->sig_head = g->next;
      sig_deliver(s, g);
      free(g->text);
      free(g->mid);
      free(g);
      service(s, &s->peers[to]);
    }
    sim_pkt_t *pk;
    while ((pk = sim_net_pop(&s->net, s->now)) != NULL) {
      sim_peer_t *p = NULL;
      for (int i = 0; i < s->n_peers; i++)
        if (s->peers[i].node == pk->to) p = &s->peers[i];
      /* The datagram reaches the socket it was sent to, if that still exists. */
      if (p && p->pc && rtc_addr_equal(&pk->dst, &s->net.nodes[pk->to].local)) {
        if (s->net.trace)
          printf("%12.6f net %c->%c deliver %zu\n", (double)s->now / 1e6,
                 s->net.nodes[pk->from].name, p->name, pk->len);
        rtc_pc_handle_datagram(p->pc, s->now, &pk->dst, &pk->src, pk->data, pk->len);
        service(s, p);
      }
      free(pk->data);
      free(pk);
    }
    bool ticked = sctp_due <= s->now;
    if (ticked) rtc_sctp_global_handle_timeout(s->now);
    for (int i = 0; i < s->n_peers; i++) {
      sim_peer_t *p = &s->peers[i];
      if (p->pc && (ticked || rtc_pc_poll_timeout(p->pc) <= s->now))
        rtc_pc_handle_timeout(p->pc, s->now);
    }
  }
}
