/* Internals of the ICE agent shared by rtc_ice_agent.c (candidates, pairs, queues,
 * state) and rtc_ice_checks.c (STUN transactions, timers). Not a public API. */
#ifndef RTC_ICE_INTERNAL_H
#define RTC_ICE_INTERNAL_H
#include "ice/rtc_ice_agent.h"
#include "ice/rtc_stun.h"

/* RFC 8445 5.1.2.2: type preferences; host is the highest, peer-reflexive above srflx. */
#define RTC_ICE_TYPE_PREF_HOST 126
#define RTC_ICE_TYPE_PREF_PRFLX 110
#define RTC_ICE_TYPE_PREF_SRFLX 100
#define RTC_ICE_TYPE_PREF_RELAY 0 /* RFC 8445 5.1.2.2: relayed candidates last */
/* ICE-TCP (RFC 6544 4.2): UDP candidates SHOULD be preferred over TCP ones; libwebrtc's
 * type preferences for TCP host (90) and TCP peer-reflexive (80) keep a TCP path below
 * any UDP host or srflx path. */
#define RTC_ICE_TYPE_PREF_HOST_TCP 90
#define RTC_ICE_TYPE_PREF_PRFLX_TCP 80
/* RFC 6544 4.5: active candidates are signalled with the discard port 9. */
#define RTC_ICE_TCP_ACTIVE_PORT 9

/* RFC 6544 4.5 tcptype of a candidate (none for UDP; simultaneous-open is not used). */
typedef enum rtc__ice_tcptype {
  RTC__TCP_NONE = 0,
  RTC__TCP_ACTIVE,
  RTC__TCP_PASSIVE,
  RTC__TCP_SO,
} rtc__ice_tcptype_t;

/* RFC 8445 14.2 suggests Ta = 50 ms for pacing new checks. We only ever send a
 * handful of checks (a few host pairs) and want set-up in a few ms on loopback,
 * so 20 ms (configurable); triggered and nomination checks are not paced at all. */
#define RTC_ICE_DEFAULT_TA_MS 20
/* RFC 8445 14.3 gives RTO = MAX(500 ms, Ta * pairs) and RFC 8489 6.2.1 lets RTO
 * follow the measured RTT. WebRTC peers are mostly on LAN/loopback or reached through
 * one NAT hop, and libwebrtc itself re-pings unanswered pairs far faster than 500 ms,
 * so we start at 100 ms, double up to 1.6 s and give up after 7 sends (~6.3 s). */
#define RTC_ICE_RTO_INITIAL_MS 100
#define RTC_ICE_RTO_MAX_MS 1600
#define RTC_ICE_MAX_TRIES 7
/* Checking -> failed when nothing worked for this long (Chromium-like: it gives up on
 * an unwritable connection after about 30 s). */
#define RTC_ICE_DEFAULT_FAILED_TIMEOUT_MS 30000
/* RFC 7675 5.1 randomises consent checks to [0.8, 1.2] x a base period and lets
 * consent expire after 30 s without a response. Its 5 s base period is longer than
 * our 5 s "disconnected" threshold would allow (a live path could look dead between
 * two checks), so we check as often as libwebrtc pings a stable selected connection:
 * 2.5 s randomised to [2, 3] s. More frequent checks are within the RFC's intent
 * (rate-limited to one transaction per pair). */
#define RTC_ICE_CONSENT_MIN_MS 2000
#define RTC_ICE_CONSENT_MAX_MS 3000
/* RFC 7675 5.1: consent expires 30 s after the last response: transport failed. */
#define RTC_ICE_CONSENT_TIMEOUT_MS 30000
/* No response (nor other traffic, see note_received) on the selected pair this long:
 * disconnected (W3C, a heuristic: Chromium uses a few seconds too). */
#ifndef RTC_ICE_DISCONNECTED_MS
#define RTC_ICE_DISCONNECTED_MS 5000
#endif
/* While disconnected, probe the selected pair faster than the consent period so
 * that recovery is noticed quickly. */
#define RTC_ICE_DISCONNECTED_PROBE_MS 1000

/* Pair switching after selection (rtc_ice_switch.c). The selected pair is "weak" once
 * nothing arrived on it (responses, the peer's checks, data) for this long: libwebrtc's
 * WEAK_CONNECTION_RECEIVE_TIMEOUT, after which it looks for a better connection. Half
 * of the 5 s "disconnected" point: a dead path is left before the state changes. */
#define RTC_ICE_WEAK_MS 2500
/* While weak, a probe round every second: the selected pair and every other valid pair
 * are checked at once; the round is decided a window later (twice the slowest probed
 * pair's RTT, 200..900 ms), and the highest-priority pair that answered in it wins
 * unless the selected one answered too. Deciding by priority within a round, not by
 * arrival, keeps a TCP pair (or any lower one) from winning by answering first. */
#define RTC_ICE_ROUND_MS 1000
#define RTC_ICE_ROUND_WINDOW_MIN_MS 200
#define RTC_ICE_ROUND_WINDOW_MAX_MS 900
/* Valid pairs other than the selected one are probed at libwebrtc's pace for a stable
 * writable connection (2.5 s, randomised to 2..3 s), one pair at a time with one
 * retransmission, so the agent always knows which paths still work. A pair above the
 * selected one that answers again is probed every second until it is stable. */
#define RTC_ICE_PROBE_MIN_MS 2000
#define RTC_ICE_PROBE_MAX_MS 3000
#define RTC_ICE_PROBE_FAST_MS 1000
#define RTC_ICE_PROBE_TRIES 2
/* While checking: the agent does not go `failed` sooner than this after the peer's
 * last authenticated check (its checks still reach us, so the path may work: our own
 * checks get triggered again, RFC 8445 7.3.1.4). A live peer re-checks well within
 * it (a controlled agent every RTC_ICE_PROBE_FAST_MS until it is nominated, each
 * transaction retransmitted from 100 ms). */
#define RTC_ICE_PEER_CHECK_GRACE_MS 5000
/* Consecutive unanswered transactions after which a pair counts as dead. */
#define RTC_ICE_DEAD_STREAK 2
/* Hysteresis for switching back up (e.g. relay -> direct): the better pair must have
 * answered every probe for this long. */
#define RTC_ICE_UPGRADE_STABLE_MS 4000

#define RTC_ICE_TX_SLOTS 32
#define RTC_ICE_TX_MAX 640 /* USERNAME may be 2*256+1 bytes */
#define RTC_ICE_EV_SLOTS 32
#define RTC_ICE_MAX_CRED 256

typedef struct rtc__ice_local {
  rtc_addr_t addr; /* TCP active: the IP with port 9 (the io layer reports it so) */
  rtc__ice_tcptype_t tcptype;
  uint32_t priority;
  char foundation[33];
} rtc__ice_local_t;

typedef struct rtc__ice_remote {
  rtc_addr_t addr;
  rtc__ice_tcptype_t tcptype;
  uint32_t priority;
  rtc_ice_cand_type_t type;
  char foundation[33]; /* as signalled; "" for a peer-reflexive one */
} rtc__ice_remote_t;

typedef enum rtc__ice_pair_state {
  RTC__PAIR_WAITING = 0, /* single component: no freezing needed (RFC 8445 6.1.2.6) */
  RTC__PAIR_IN_PROGRESS,
  RTC__PAIR_SUCCEEDED,
  RTC__PAIR_FAILED,
} rtc__ice_pair_state_t;

typedef struct rtc__ice_pair {
  uint8_t local, remote; /* indexes */
  uint64_t priority;
  rtc__ice_pair_state_t state;
  bool valid;            /* our check on it got an authenticated response */
  bool received_check;   /* an authenticated check from the peer arrived on it */
  bool triggered;        /* queued for a triggered check (RFC 8445 7.3.1.4) */
  bool remote_nominated; /* the peer sent USE-CANDIDATE on it (controlled side) */
  bool nominated;
  /* The one STUN transaction of this pair (check, nomination, consent or probe;
   * tx_consent: a re-check of a pair that already worked, whose failure does not fail
   * the pair). */
  bool in_flight, tx_use_candidate, tx_consent, tx_controlling;
  uint8_t tid[RTC_STUN_TID_LEN];
  int tries, max_tries;
  uint32_t rto_ms;
  uint64_t first_sent_us, sent_us, retx_us;
  uint64_t srtt_us;
  bool has_rtt;
  /* Liveness (rtc_ice_switch.c): last authenticated response, since when it has
   * answered without a miss, unanswered transactions in a row, next probe. */
  uint64_t ok_us, alive_since_us, next_probe_us;
  uint32_t fail_streak;
  uint64_t nominated_us; /* controlled: when the peer last sent USE-CANDIDATE on it */
  /* W3C RTCIceCandidatePairStats (rtc_ice_agent_pair_info): STUN transactions, and the
   * non-STUN datagrams the owner counts on it (rtc_ice_agent_count_data). */
  uint32_t requests_sent, requests_received, responses_received;
  uint32_t packets_sent, packets_received;
  uint64_t bytes_sent, bytes_received;
} rtc__ice_pair_t;

typedef struct rtc__ice_tx {
  rtc_addr_t local, remote;
  size_t len;
  uint8_t data[RTC_ICE_TX_MAX];
} rtc__ice_tx_t;

struct rtc_ice_agent {
  bool controlling;
  uint64_t tie_breaker;
  uint32_t ta_ms, failed_timeout_ms;
  char lufrag[RTC_ICE_MAX_CRED + 1], lpwd[RTC_ICE_MAX_CRED + 1];
  char rufrag[RTC_ICE_MAX_CRED + 1], rpwd[RTC_ICE_MAX_CRED + 1];
  /* lpwd and rpwd as MESSAGE-INTEGRITY keys, prepared when they are set (create,
   * set_remote_credentials; an ICE restart makes a new agent): every check and
   * answer, and every consent request every few seconds, is signed or checked. */
  rtc_stun_key_t lkey, rkey;
  bool has_remote_creds;
  bool local_gathering_done, remote_gathering_done;

  rtc__ice_local_t locals[RTC_ICE_MAX_LOCAL];
  int n_local;
  rtc__ice_remote_t *remotes; /* grown on demand up to RTC_ICE_MAX_REMOTE */
  int n_remote, remotes_cap;
  /* Grown on demand up to RTC_ICE_MAX_PAIRS: a loopback or LAN connection has a
   * handful of pairs, and fixed arrays made the agent ~54 KB (B3, memory per pc). */
  rtc__ice_pair_t *pairs;
  int n_pairs, pairs_cap;
  int selected;   /* pair index or -1 */
  int nominating; /* controlling: pair whose USE-CANDIDATE check is in flight, or -1 */
  /* The selected pair: when it was selected, when something last arrived on it. */
  uint64_t sel_since_us, sel_rx_us;
  uint32_t selected_changes;
  /* Probe round while the selected pair is weak (RTC_ICE_ROUND_MS). */
  bool round_open, round_decided;
  uint64_t round_start_us, round_decide_us;

  rtc_ice_state_t state;
  uint64_t now_us;        /* latest time the owner gave us */
  bool kick;              /* work is due at now_us (a pair or credentials appeared) */
  uint64_t next_check_us; /* pacing of ordinary checks (Ta) */
  uint64_t checking_since_us;
  uint64_t peer_check_us; /* the last authenticated check from the peer (0: none) */
  uint64_t next_consent_us, last_response_us, last_received_us;

  rtc__ice_tx_t *tx; /* ring of tx_cap slots, grown on demand up to RTC_ICE_TX_SLOTS */
  int tx_head, tx_count, tx_cap;
  rtc__ice_tx_t tx_cur; /* the datagram handed out by poll_transmit */
  rtc_ice_event_t *ev; /* ring of ev_cap, grown up to RTC_ICE_EV_SLOTS (base/rtc_ring.h) */
  size_t ev_head, ev_count, ev_cap;

  rtc_ice_stats_t stats;
};

/* rtc_ice_agent.c */
void rtc__ice_set_state(rtc_ice_agent_t *ice, rtc_ice_state_t st);
void rtc__ice_push_event(rtc_ice_agent_t *ice, const rtc_ice_event_t *ev);
uint8_t *rtc__ice_tx_slot(rtc_ice_agent_t *ice, const rtc_addr_t *local, const rtc_addr_t *remote);
void rtc__ice_tx_commit(rtc_ice_agent_t *ice, size_t len);
int rtc__ice_find_local(const rtc_ice_agent_t *ice, const rtc_addr_t *addr);
int rtc__ice_find_remote(const rtc_ice_agent_t *ice, const rtc_addr_t *addr);
int rtc__ice_find_pair(const rtc_ice_agent_t *ice, int local, int remote);
/* A TCP peer-reflexive remote is active (RFC 6544 7.2: it connected to us). */
int rtc__ice_add_remote(rtc_ice_agent_t *ice, const rtc_addr_t *addr, uint32_t priority,
                        rtc_ice_cand_type_t type);
int rtc__ice_add_remote_tcp(rtc_ice_agent_t *ice, const rtc_addr_t *addr, uint32_t priority,
                            rtc_ice_cand_type_t type, rtc__ice_tcptype_t tcptype);
void rtc__ice_recompute_priorities(rtc_ice_agent_t *ice);
void rtc__ice_select(rtc_ice_agent_t *ice, int pair, uint64_t now_us);
void rtc__ice_pair_local(rtc_ice_agent_t *ice, int local);

/* rtc_ice_checks.c */
void rtc__ice_start_tx(rtc_ice_agent_t *ice, int pair, uint64_t now_us, bool use_candidate,
                       bool consent);
void rtc__ice_run(rtc_ice_agent_t *ice, uint64_t now_us);
uint64_t rtc__ice_deadline(const rtc_ice_agent_t *ice);
void rtc__ice_handle_stun(rtc_ice_agent_t *ice, uint64_t now_us, int local, const rtc_addr_t *from,
                          const uint8_t *p, size_t len);

/* rtc_ice_switch.c: what happens after selection besides consent. */
void rtc__ice_pair_answered(rtc_ice_agent_t *ice, int pair, uint64_t now_us);
void rtc__ice_pair_missed(rtc_ice_agent_t *ice, int pair, uint64_t now_us);
/* Controlled: the peer nominated `pair` (USE-CANDIDATE) and our check on it worked:
 * switch to it? (the first nomination, a higher pair, or the selected one is weak) */
bool rtc__ice_accept_nomination(const rtc_ice_agent_t *ice, int pair, uint64_t now_us);
bool rtc__ice_selected_weak(const rtc_ice_agent_t *ice, uint64_t now_us);
void rtc__ice_switch_run(rtc_ice_agent_t *ice, uint64_t now_us);
uint64_t rtc__ice_switch_deadline(const rtc_ice_agent_t *ice);

#endif
