/* A simulated network for luartc's sans-IO core: peer connections talk through
 * links with loss (random and bursty), delay, jitter, reordering, duplication, a
 * bandwidth cap with a queue, an MTU, cuts and address changes (NAT rebinding),
 * on a virtual clock that jumps to the next deadline of any peer, link or
 * signaling message. Everything random comes from one seed (sim_rng_t streams
 * split from it), so a (seed, scenario) pair replays exactly.
 *
 * Pieces: sim_rng.c (generator), sim_net.c (links and datagrams in flight),
 * sim_peer.c (a pc driven by a test application: signaling, channels, the
 * invariant checks), sim_scenarios.c (what each scenario does and asserts),
 * sim_hooks.c (what makes the libraries replayable), sim_main.c (the runner). */
#ifndef RTC_SIM_H
#define RTC_SIM_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/rtc_addr.h"
#include "base/rtc_transmit.h"
#include "pc/rtc_pc.h"

/* ---- randomness: xoshiro256** seeded by splitmix64 ---- */
typedef struct sim_rng {
  uint64_t s[4];
} sim_rng_t;
void sim_rng_seed(sim_rng_t *r, uint64_t seed, uint64_t stream);
uint64_t sim_rng_next(sim_rng_t *r);
double sim_rng_unit(sim_rng_t *r);                           /* [0, 1) */
uint64_t sim_rng_range(sim_rng_t *r, uint64_t lo, uint64_t hi); /* lo..hi inclusive */
bool sim_rng_chance(sim_rng_t *r, double p);

/* ---- the network ---- */
#define SIM_MAX_NODES 4

typedef struct sim_link_cfg {
  double loss;                       /* independent loss probability */
  double burst_enter, burst_exit;    /* Gilbert-Elliott: good->bad, bad->good per packet */
  double burst_loss;                 /* loss probability in the bad state */
  double dup;                        /* a second copy with its own delay */
  double reorder;                    /* probability of reorder_extra_us more delay */
  uint64_t delay_us, jitter_us, reorder_extra_us;
  uint64_t bw_bps;                   /* 0: unlimited */
  size_t queue_bytes;                /* tail drop beyond this backlog (with bw_bps) */
  size_t mtu;                        /* 0: none; bigger datagrams are dropped */
} sim_link_cfg_t;

typedef struct sim_link {
  sim_link_cfg_t cfg;
  bool bad;            /* Gilbert-Elliott state */
  uint64_t busy_until; /* serialisation: the link is sending until then */
} sim_link_t;

typedef struct sim_node {
  char name;
  rtc_addr_t local; /* the socket address the pc binds (its host candidate) */
  bool nat;         /* behind a full-cone NAT: others see `pub` */
  rtc_addr_t pub;
} sim_node_t;

typedef struct sim_pkt {
  uint64_t at, seq;
  int from, to; /* nodes */
  rtc_addr_t src, dst; /* as the receiver sees them: src after NAT, dst = its local */
  size_t len;
  uint8_t *data;
} sim_pkt_t;

typedef struct sim_net {
  sim_rng_t rng;
  uint64_t *now;
  sim_node_t nodes[SIM_MAX_NODES];
  int n_nodes;
  sim_link_t links[SIM_MAX_NODES][SIM_MAX_NODES]; /* [from][to] */
  uint64_t cut_from, cut_until;                   /* every datagram in between is lost */
  sim_pkt_t **heap;
  size_t n_heap, cap_heap;
  uint64_t seq;
  uint64_t sent, delivered, lost, dups, queue_drops, mtu_drops, unroutable;
  bool trace;
} sim_net_t;

void sim_net_init(sim_net_t *n, uint64_t seed, uint64_t *now, bool trace);
void sim_net_free(sim_net_t *n);
int sim_net_add_node(sim_net_t *n, char name, const char *ip, uint16_t port);
void sim_net_set_links(sim_net_t *n, const sim_link_cfg_t *cfg); /* every direction */
/* A datagram a pc on node `from` wants sent. */
void sim_net_send(sim_net_t *n, int from, const rtc_transmit_t *tx);
uint64_t sim_net_next(const sim_net_t *n); /* RTC_NEVER when nothing in flight */
/* The next datagram due at or before now (caller frees data and the packet). */
sim_pkt_t *sim_net_pop(sim_net_t *n, uint64_t now);
/* NAT rebinding: the node's public port changes; the old mapping stops working. */
void sim_net_rebind(sim_net_t *n, int node, uint16_t new_port);

/* ---- peers, flows, the world ---- */
#define SIM_MAX_CHANNELS 128
#define SIM_MAX_FLOWS 256

/* One direction of one channel: what the sender sent and what arrived. */
typedef struct sim_flow {
  char label[32];
  int sender; /* peer index */
  bool reliable, ordered;
  uint64_t total;   /* bytes the sender means to send */
  uint64_t sent_bytes, recv_bytes;
  uint32_t sent_msgs, recv_msgs;
  int64_t last_seq; /* -1 */
  uint8_t *seen;    /* bitmap of delivered seqs */
  size_t seen_cap;  /* bits */
  size_t msg_min, msg_max;
  bool stop;        /* sender stopped (closed or refused) */
} sim_flow_t;

typedef struct sim_chan {
  rtc_dc_t *dc;
  bool opened, closing, closed;
  int out_flow; /* flow we send on, -1 none */
} sim_chan_t;

typedef struct sim sim_t;

typedef struct sim_peer {
  int idx, node;
  char name;
  rtc_pc_t *pc;
  bool trickle;
  bool app_closed; /* the application called rtc_pc_close */
  int conn_state, ice_state, sig_state, gather_state;
  bool ever_connected;
  int n_connected, n_disconnected, n_failed;
  uint64_t t_connected, t_disconnected, t_failed;
  sim_chan_t chans[SIM_MAX_CHANNELS];
  int n_chans;
  bool send_desc_when_gathered; /* non-trickle: the description waits for gathering */
  bool want_answer;             /* received an offer: answer it */
  size_t high_water;
} sim_peer_t;

typedef struct sim_sig {
  uint64_t at;
  int to;
  int kind; /* 0 offer, 1 answer, 2 candidate, 3 end of candidates */
  char *text;
  char *mid;
  int mline;
  struct sim_sig *next;
} sim_sig_t;

struct sim {
  uint64_t seed;
  const char *scenario;
  uint64_t now;
  sim_rng_t app; /* the application's choices (sizes, timings, roles) */
  sim_net_t net;
  sim_peer_t peers[2];
  int n_peers;
  sim_flow_t flows[SIM_MAX_FLOWS];
  int n_flows;
  sim_sig_t *sig_head;
  uint64_t sig_delay_us;
  bool trace;
  bool failed;
  char why[512];
  uint64_t spin; /* steps without the clock moving */
  /* Scenario hook: called for every event after the generic handling. */
  void (*on_event)(sim_t *s, sim_peer_t *p, const rtc_pc_event_t *ev);
  void *ctx;
};

void sim_init(sim_t *s, uint64_t seed, const char *scenario, bool trace);
void sim_free(sim_t *s);
void sim_fail(sim_t *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sim_trace(sim_t *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A peer on a new node. */
sim_peer_t *sim_add_peer(sim_t *s, char name, const char *ip, uint16_t port, bool trickle);
/* Offer from `offerer` (implicit answer by the other side when it arrives). */
void sim_negotiate(sim_t *s, sim_peer_t *offerer, bool ice_restart);
/* A channel from p with a flow of `total` bytes in messages of min..max bytes. */
int sim_open_channel(sim_t *s, sim_peer_t *p, const rtc_dc_init_t *init, uint64_t total,
                     size_t msg_min, size_t msg_max);
/* Adds a flow from p on an existing channel (e.g. the answer direction). */
int sim_add_flow(sim_t *s, sim_peer_t *p, sim_chan_t *c, const char *label, bool reliable,
                 bool ordered, uint64_t total, size_t msg_min, size_t msg_max);
sim_chan_t *sim_find_chan(sim_peer_t *p, const char *label);
/* Advances the virtual clock until done(s) is true (true) or `until` (false). */
bool sim_run(sim_t *s, uint64_t until, bool (*done)(sim_t *s));
bool sim_flows_complete(sim_t *s); /* every reliable flow delivered everything */
/* End-of-run checks on every flow (bytes delivered == bytes sent on reliable ones). */
void sim_check_flows(sim_t *s, bool require_complete);
void sim_close_pc(sim_t *s, sim_peer_t *p);

/* Checker self-test (--selftest): a fault the application layer injects on
 * purpose, which the invariants must catch. */
typedef enum sim_inject {
  SIM_INJECT_NONE = 0,
  SIM_INJECT_DUP,       /* one message handed to the checks twice */
  SIM_INJECT_SWAP,      /* two messages handed over in the wrong order */
  SIM_INJECT_LOSE,      /* one message on a reliable channel never handed over */
  SIM_INJECT_STATE,     /* a connection state event back to "new" */
  SIM_INJECT_AFTER_CLOSE, /* an event after close() */
  SIM_INJECT_N
} sim_inject_t;
extern sim_inject_t sim_inject;
extern const char *const sim_inject_names[SIM_INJECT_N];

/* ---- scenarios ---- */
typedef struct sim_scenario {
  const char *name;
  void (*run)(sim_t *s);
  unsigned every; /* 1: in the daily rotation; N > 1: seeds that are multiples of N;
                    0: only when named (--scenario, regressions.txt) */
} sim_scenario_t;
extern const sim_scenario_t sim_scenarios[];
extern const size_t sim_n_scenarios;

/* ---- determinism hooks (sim_hooks.c) ---- */
extern uint64_t *sim_clock_us; /* the virtual clock usrsctp and mbedTLS read */
void sim_hooks_seed(uint64_t seed);

#endif
