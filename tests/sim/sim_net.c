/* Links between nodes and the datagrams in flight (a min-heap on delivery time,
 * ties broken by send order so the same seed delivers in the same order). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rtc_time.h"
#include "sim.h"

/* The MTU counts the IP and UDP headers: IPv4 20 + 8, IPv6 40 + 8. */
#define SIM_IP_UDP_HDR(a) (rtc_addr_family(a) == AF_INET6 ? 48u : 28u)

void sim_net_init(sim_net_t *n, uint64_t seed, uint64_t *now, bool trace) {
  memset(n, 0, sizeof(*n));
  sim_rng_seed(&n->rng, seed, 1);
  n->now = now;
  n->trace = trace;
}

void sim_net_free(sim_net_t *n) {
  for (size_t i = 0; i < n->n_heap; i++) {
    free(n->heap[i]->data);
    free(n->heap[i]);
  }
  free(n->heap);
  n->heap = NULL;
  n->n_heap = 0;
}

int sim_net_add_node(sim_net_t *n, char name, const char *ip, uint16_t port) {
  if (n->n_nodes >= SIM_MAX_NODES) return -1;
  sim_node_t *nd = &n->nodes[n->n_nodes];
  memset(nd, 0, sizeof(*nd));
  nd->name = name;
  rtc_addr_set(&nd->local, ip, port);
  nd->pub = nd->local;
  return n->n_nodes++;
}

void sim_net_set_links(sim_net_t *n, const sim_link_cfg_t *cfg) {
  for (int i = 0; i < SIM_MAX_NODES; i++)
    for (int j = 0; j < SIM_MAX_NODES; j++) {
      memset(&n->links[i][j], 0, sizeof(sim_link_t));
      n->links[i][j].cfg = *cfg;
    }
}

void sim_net_rebind(sim_net_t *n, int node, uint16_t new_port) {
  rtc_addr_set_port(&n->nodes[node].pub, new_port);
}

static bool net_earlier(const sim_pkt_t *a, const sim_pkt_t *b) {
  return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

static void net_push(sim_net_t *n, sim_pkt_t *p) {
  if (n->n_heap == n->cap_heap) {
    n->cap_heap = n->cap_heap ? n->cap_heap * 2 : 256;
    n->heap = realloc(n->heap, n->cap_heap * sizeof(*n->heap));
    if (!n->heap) abort();
  }
  size_t i = n->n_heap++;
  while (i > 0) {
    size_t up = (i - 1) / 2;
    if (!net_earlier(p, n->heap[up])) break;
    n->heap[i] = n->heap[up];
    i = up;
  }
  n->heap[i] = p;
}

static sim_pkt_t *net_pop_min(sim_net_t *n) {
  sim_pkt_t *top = n->heap[0], *last = n->heap[--n->n_heap];
  size_t i = 0;
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= n->n_heap) break;
    if (c + 1 < n->n_heap && net_earlier(n->heap[c + 1], n->heap[c])) c++;
    if (!net_earlier(n->heap[c], last)) break;
    n->heap[i] = n->heap[c];
    i = c;
  }
  if (n->n_heap) n->heap[i] = last;
  return top;
}

uint64_t sim_net_next(const sim_net_t *n) { return n->n_heap ? n->heap[0]->at : RTC_NEVER; }

sim_pkt_t *sim_net_pop(sim_net_t *n, uint64_t now) {
  if (!n->n_heap || n->heap[0]->at > now) return NULL;
  n->delivered++;
  return net_pop_min(n);
}

/* What a datagram is, for the trace (RFC 7983 demultiplexing). */
static const char *net_kind(const uint8_t *p, size_t len) {
  if (!len) return "empty";
  if (p[0] <= 3) return "stun";
  if (p[0] >= 20 && p[0] <= 63) return p[0] == 23 ? "dtls-app" : "dtls-hs";
  if (p[0] >= 128 && p[0] <= 191) return "rtp";
  return "other";
}

static void net_trace(sim_net_t *n, const char *what, int from, int to, size_t len,
                      const uint8_t *p, uint64_t at) {
  if (!n->trace) return;
  char *extra = "";
  char buf[48];
  if (at) {
    snprintf(buf, sizeof(buf), " arrives=%.6f", (double)at / 1e6);
    extra = buf;
  }
  printf("%12.6f net %c->%c %-8s %-9s %5zu%s\n", (double)*n->now / 1e6, n->nodes[from].name,
         to >= 0 ? n->nodes[to].name : '?', net_kind(p, len), what, len, extra);
}

static bool net_lost(sim_net_t *n, sim_link_t *l) {
  if (l->cfg.burst_enter > 0) {
    if (l->bad) {
      if (sim_rng_chance(&n->rng, l->cfg.burst_exit)) l->bad = false;
    } else if (sim_rng_chance(&n->rng, l->cfg.burst_enter)) {
      l->bad = true;
    }
    if (l->bad && sim_rng_chance(&n->rng, l->cfg.burst_loss)) return true;
  }
  return sim_rng_chance(&n->rng, l->cfg.loss);
}

static void net_enqueue(sim_net_t *n, int from, int to, const rtc_addr_t *src,
                        const rtc_addr_t *dst, const uint8_t *p, size_t len, uint64_t depart,
                        const char *what) {
  sim_link_t *l = &n->links[from][to];
  uint64_t at = depart + l->cfg.delay_us;
  if (l->cfg.jitter_us) at += sim_rng_range(&n->rng, 0, l->cfg.jitter_us);
  if (sim_rng_chance(&n->rng, l->cfg.reorder)) at += l->cfg.reorder_extra_us;
  sim_pkt_t *pk = calloc(1, sizeof(*pk));
  if (!pk) abort();
  pk->data = malloc(len ? len : 1);
  if (!pk->data) abort();
  memcpy(pk->data, p, len);
  pk->len = len;
  pk->at = at;
  pk->seq = n->seq++;
  pk->from = from;
  pk->to = to;
  pk->src = *src;
  pk->dst = *dst;
  net_push(n, pk);
  net_trace(n, what, from, to, len, p, at);
}

void sim_net_send(sim_net_t *n, int from, const rtc_transmit_t *tx) {
  uint64_t now = *n->now;
  n->sent++;
  sim_node_t *src = &n->nodes[from];
  /* The socket must still exist: after an address change the old one is gone. */
  if (!rtc_addr_equal(&tx->local, &src->local)) {
    n->unroutable++;
    net_trace(n, "drop-nosrc", from, -1, tx->len, tx->data, 0);
    return;
  }
  int to = -1;
  for (int i = 0; i < n->n_nodes; i++)
    if (i != from && rtc_addr_equal(&tx->remote, &n->nodes[i].pub)) to = i;
  if (to < 0) {
    n->unroutable++;
    net_trace(n, "drop-noroute", from, -1, tx->len, tx->data, 0);
    return;
  }
  sim_link_t *l = &n->links[from][to];
  if (now >= n->cut_from && now < n->cut_until) {
    n->lost++;
    net_trace(n, "drop-cut", from, to, tx->len, tx->data, 0);
    return;
  }
  if (l->cfg.mtu && tx->len + SIM_IP_UDP_HDR(&tx->remote) > l->cfg.mtu) {
    n->mtu_drops++;
    net_trace(n, "drop-mtu", from, to, tx->len, tx->data, 0);
    return;
  }
  uint64_t depart = now;
  if (l->cfg.bw_bps) {
    uint64_t start = l->busy_until > now ? l->busy_until : now;
    uint64_t backlog = (start - now) * l->cfg.bw_bps / 8000000u;
    if (backlog + tx->len > l->cfg.queue_bytes) {
      n->queue_drops++;
      net_trace(n, "drop-queue", from, to, tx->len, tx->data, 0);
      return;
    }
    l->busy_until = start + (uint64_t)tx->len * 8000000u / l->cfg.bw_bps;
    depart = l->busy_until;
  }
  if (net_lost(n, l)) {
    n->lost++;
    net_trace(n, "drop-loss", from, to, tx->len, tx->data, 0);
    return;
  }
  /* The receiver sees the sender's public address; it receives on its local one. */
  net_enqueue(n, from, to, &src->pub, &n->nodes[to].local, tx->data, tx->len, depart, "sent");
  if (sim_rng_chance(&n->rng, l->cfg.dup)) {
    n->dups++;
    net_enqueue(n, from, to, &src->pub, &n->nodes[to].local, tx->data, tx->len, depart, "dup");
  }
}
