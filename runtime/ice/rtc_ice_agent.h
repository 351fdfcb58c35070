/* ICE agent (RFC 8445, full implementation, one component: WebRTC always muxes
 * RTCP and bundles), sans-IO. It never touches a socket or a clock: the owner
 * feeds it received STUN datagrams and the time, and polls it for datagrams to
 * send, events and its next deadline.
 *
 * Local candidates are the addresses of sockets the owner has bound (host
 * candidates); the agent computes their foundation and priority. Remote
 * candidates come from signaling (numeric addresses only: the owner resolves
 * or drops FQDN/mDNS ones) or are learnt as peer-reflexive from incoming checks.
 *
 * Checks run as soon as there is a pair and remote credentials; checks received
 * before the remote credentials are known are answered at once (the response
 * needs only the local password) and remembered as triggered checks to send
 * when the credentials arrive (RFC 8445 section 7.2.5.2 / 7.3.1.4 sense).
 * Regular nomination by the controlling agent (USE-CANDIDATE on a check of the
 * pair it picks after it succeeded); the controlled agent selects the nominated
 * pair, and until then checks the pairs that worked again every second (libwebrtc
 * pings every connection until one is selected), so that a controlling peer whose
 * own checks were all lost gets triggered checks on them again. Role conflicts are repaired with the tie-breaker (487). Consent freshness
 * (RFC 7675): checks on the selected pair every 2-3 s (randomised; libwebrtc's
 * pace), disconnected after 5 s without a response, failed after 30 s.
 *
 * Pair switching (rtc_ice_switch.c), as libwebrtc does it: after selection the check
 * list goes on and every pair that worked is probed every 2-3 s. When nothing arrived
 * on the selected pair for 2.5 s the controlling agent probes all pairs at once and
 * nominates (USE-CANDIDATE) the highest-priority one that answered, and the selected
 * pair changes (ICE back to or staying `connected`); it moves back up to a better
 * pair once that answered every probe for 4 s. The controlled agent follows a new
 * nomination when it is for a higher pair or its own selected pair is weak. RFC 8445
 * 8.1.1 has one nomination per session; re-nominating is what Chromium does (its
 * semi-aggressive mode sends USE-CANDIDATE on its selected connection) and what a
 * Chromium peer expects.
 *
 * Failing: the agent goes `failed` when every pair has failed and the peer signalled
 * end-of-candidates (a pair that worked counts as failed once RTC_ICE_DEAD_STREAK
 * re-checks in a row went unanswered), but not before RTC_ICE_FAILED_GRACE_MS after
 * checking began, nor within RTC_ICE_PEER_CHECK_GRACE_MS of the peer's last check: the
 * peer may not have our candidates yet (our answer is still travelling) and its
 * checks may come from an address it never signalled (a socket bound to the wildcard
 * address of a multi-homed host, a VPN, a NAT), so our own checks failing says little.
 * Without end-of-candidates it goes `failed` after failed_timeout_ms (30 s), with the
 * same grace for the peer's checks. An authenticated check from the peer always
 * creates or revives its pair and triggers a check on it (RFC 8445 7.3.1.4), even
 * after `failed`: the agent goes back to
 * `checking`, then `connected` if that pair works (as libwebrtc does). A `failed`
 * that followed consent expiry (RFC 7675) is final.
 *
 * Limits: RTC_ICE_MAX_LOCAL local and RTC_ICE_MAX_REMOTE remote candidates,
 * RTC_ICE_MAX_PAIRS pairs; beyond them additions fail with RTC_ELIMIT. */
#ifndef RTC_ICE_AGENT_H
#define RTC_ICE_AGENT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/rtc_addr.h"
#include "base/rtc_transmit.h"
#include "ice/rtc_ice_candidate.h"

#define RTC_ICE_MAX_LOCAL 16
#define RTC_ICE_MAX_REMOTE 64
#define RTC_ICE_MAX_PAIRS 256
/* How long after checking began the agent may go `failed` because every pair failed
 * (see above). libwebrtc keeps a connection that never received anything for at least
 * 10 s (MIN_CONNECTION_LIFETIME) before it may be pruned; Firefox waits 5 s for more
 * candidates once its check list is exhausted (trickle grace period). */
#ifndef RTC_ICE_FAILED_GRACE_MS
#define RTC_ICE_FAILED_GRACE_MS 10000
#endif

typedef struct rtc_ice_agent rtc_ice_agent_t;

/* W3C RTCIceTransportState / RTCIceConnectionState values. */
typedef enum rtc_ice_state {
  RTC_ICE_NEW = 0,
  RTC_ICE_CHECKING,
  RTC_ICE_CONNECTED,
  RTC_ICE_COMPLETED,
  RTC_ICE_FAILED,
  RTC_ICE_DISCONNECTED,
  RTC_ICE_CLOSED,
} rtc_ice_state_t;

typedef struct rtc_ice_config {
  bool controlling;
  uint64_t tie_breaker;       /* 0: random */
  const char *local_ufrag;    /* copied; NULL: random 4+ chars (RFC 8839 minimum) */
  const char *local_pwd;      /* copied; NULL: random 24 chars */
  uint32_t ta_ms;             /* check pacing; 0: default */
  uint32_t failed_timeout_ms; /* checking -> failed when no pair works; 0: default */
} rtc_ice_config_t;

typedef enum rtc_ice_event_type {
  RTC_ICE_EVENT_STATE,         /* state changed: ev.state */
  RTC_ICE_EVENT_SELECTED_PAIR, /* selected pair (re)chosen: ev.local / ev.remote */
} rtc_ice_event_type_t;

typedef struct rtc_ice_event {
  rtc_ice_event_type_t type;
  rtc_ice_state_t state;
  rtc_addr_t local, remote;
} rtc_ice_event_t;

/* Returns NULL on allocation failure. */
rtc_ice_agent_t *rtc_ice_agent_create(const rtc_ice_config_t *cfg, uint64_t now_us);
void rtc_ice_agent_destroy(rtc_ice_agent_t *ice); /* NULL is fine */

const char *rtc_ice_agent_local_ufrag(const rtc_ice_agent_t *ice);
const char *rtc_ice_agent_local_pwd(const rtc_ice_agent_t *ice);
void rtc_ice_agent_set_controlling(rtc_ice_agent_t *ice, bool controlling);
bool rtc_ice_agent_is_controlling(const rtc_ice_agent_t *ice);

/* A socket the owner bound: becomes a host candidate, written to *out (for
 * signaling). Pairs with already-known remote candidates are formed.
 * ICE-TCP (RFC 6544): a TCP-marked address (rtc_addr_set_tcp) is a passive candidate
 * (a listening socket), or an active one when its port is 9 (the owner connects
 * from that IP when a check is due). Datagrams to and from TCP pairs carry the
 * candidates' addresses as given here: the owner maps (local, remote) to its
 * connection and frames them (RFC 4571, see rtc_ice_tcp.h). */
int rtc_ice_agent_add_local_host(rtc_ice_agent_t *ice, const rtc_addr_t *addr,
                                 rtc_ice_candidate_t *out);
/* A server-reflexive candidate (RFC 8445 5.1.1.2): `mapped` is what a STUN server saw
 * of the socket bound to `base` (a host candidate already added). Written to *out
 * for signaling with raddr/rport = base. It forms no pairs of its own: checks from a
 * srflx candidate leave from its base, whose pairs exist (RFC 8445 6.1.2.4).
 * RTC_ENOTFOUND when base is not a local candidate. */
int rtc_ice_agent_add_local_srflx(rtc_ice_agent_t *ice, const rtc_addr_t *base,
                                  const rtc_addr_t *mapped, rtc_ice_candidate_t *out);
/* A relayed candidate (RFC 8445 5.1.1.2, RFC 8656): `relayed` is the address a TURN
 * server allocated, `mapped` what it saw of our socket (raddr/rport; RFC 8839 5.1).
 * It pairs like a host candidate: its datagrams carry local = relayed and the owner
 * sends them through the allocation (rtc_ice_relay.c). */
int rtc_ice_agent_add_local_relay(rtc_ice_agent_t *ice, const rtc_addr_t *relayed,
                                  const rtc_addr_t *mapped, rtc_ice_candidate_t *out);
/* RTC_EINVAL for empty or over-long values (RFC 8839: ufrag 4..256, pwd 22..256). */
int rtc_ice_agent_set_remote_credentials(rtc_ice_agent_t *ice, const char *ufrag, const char *pwd);
/* Numeric-address candidates only (RTC_ENOTSUP for FQDN and for TCP simultaneous-open:
 * skip them). TCP ones (RFC 6544) need tcptype active or passive; an active one forms
 * no pair (its checks arrive on a connection to our passive candidate and teach its
 * real address as peer-reflexive). A duplicate is ignored (returns 0). */
int rtc_ice_agent_add_remote_candidate(rtc_ice_agent_t *ice, const rtc_ice_candidate_t *c);
/* The peer signalled end-of-candidates: lets the agent fail once every pair failed
 * (no earlier than RTC_ICE_FAILED_GRACE_MS after checking began). */
void rtc_ice_agent_set_remote_gathering_done(rtc_ice_agent_t *ice);
/* The owner has no more local candidates coming. */
void rtc_ice_agent_set_local_gathering_done(rtc_ice_agent_t *ice);

/* A STUN datagram that arrived on the socket bound to `local`, from `from`.
 * Malformed or unauthenticated messages are counted and dropped (returns 0). */
int rtc_ice_agent_handle_datagram(rtc_ice_agent_t *ice, uint64_t now_us, const rtc_addr_t *local,
                                  const rtc_addr_t *from, const uint8_t *p, size_t len);
int rtc_ice_agent_handle_timeout(rtc_ice_agent_t *ice, uint64_t now_us);
uint64_t rtc_ice_agent_poll_timeout(const rtc_ice_agent_t *ice); /* RTC_NEVER when idle */
/* The next datagram to send; out->data borrowed until the next call. */
bool rtc_ice_agent_poll_transmit(rtc_ice_agent_t *ice, rtc_transmit_t *out);
bool rtc_ice_agent_poll_event(rtc_ice_agent_t *ice, rtc_ice_event_t *out);

rtc_ice_state_t rtc_ice_agent_state(const rtc_ice_agent_t *ice);
/* The selected pair (false when none yet). */
bool rtc_ice_agent_get_selected(const rtc_ice_agent_t *ice, rtc_addr_t *local, rtc_addr_t *remote);
/* Smoothed round-trip time of the selected pair's checks in ms; 0 when unknown. */
uint32_t rtc_ice_agent_rtt_ms(const rtc_ice_agent_t *ice);
/* True when (local, remote) is a pair that has passed a connectivity check in either
 * direction: the owner accepts non-STUN datagrams only from such pairs. */
bool rtc_ice_agent_is_valid_pair(const rtc_ice_agent_t *ice, const rtc_addr_t *local,
                                 const rtc_addr_t *remote);
/* Non-STUN traffic from a valid pair (local, remote): RFC 7675 consent needs STUN
 * responses, but any traffic delays the disconnected heuristic, and traffic on the
 * selected pair keeps it from looking weak (no switch while data arrives on it). */
void rtc_ice_agent_note_received(rtc_ice_agent_t *ice, uint64_t now_us, const rtc_addr_t *local,
                                 const rtc_addr_t *remote);
/* How many times the selected pair changed (W3C selectedCandidatePairChanges; the
 * first selection counts). */
uint32_t rtc_ice_agent_selected_changes(const rtc_ice_agent_t *ice);
/* ---- what W3C RTCIceTransport and the candidate-pair stats show (rtc_ice_info.c) ---- */
/* The agent's candidates: local ones are its host and relayed sockets (server-reflexive
 * candidates pair through their base and are not listed), remote ones what was
 * signalled and the peer-reflexive ones learnt from checks. Index i is stable for the
 * agent's life. Written as an rtc_ice_candidate_t (formattable); false past the end. */
size_t rtc_ice_agent_n_candidates(const rtc_ice_agent_t *ice, bool remote);
bool rtc_ice_agent_candidate(const rtc_ice_agent_t *ice, bool remote, size_t i,
                             rtc_ice_candidate_t *out);
/* W3C RTCStatsIceCandidatePairState. */
typedef enum rtc_ice_pair_state {
  RTC_ICE_PAIR_WAITING = 0,
  RTC_ICE_PAIR_IN_PROGRESS,
  RTC_ICE_PAIR_SUCCEEDED,
  RTC_ICE_PAIR_FAILED,
} rtc_ice_pair_state_t;
typedef struct rtc_ice_pair_info {
  size_t local, remote; /* candidate indexes (rtc_ice_agent_candidate) */
  rtc_ice_pair_state_t state;
  bool nominated, selected;
  uint64_t priority;
  uint64_t rtt_us; /* smoothed RTT of its checks; 0 unknown */
  uint32_t requests_sent, requests_received, responses_received;
  uint32_t packets_sent, packets_received; /* non-STUN, as counted by the owner */
  uint64_t bytes_sent, bytes_received;
} rtc_ice_pair_info_t;
/* Pairs in the order they were formed (index stable for the agent's life). */
size_t rtc_ice_agent_n_pairs(const rtc_ice_agent_t *ice);
bool rtc_ice_agent_pair_info(const rtc_ice_agent_t *ice, size_t i, rtc_ice_pair_info_t *out);
/* The owner sent (sent true) or received a non-STUN datagram of len bytes on the pair
 * (local, remote): counted on it (W3C bytesSent/bytesReceived are payload, not checks).
 * O(1) on the selected pair. */
void rtc_ice_agent_count_data(rtc_ice_agent_t *ice, const rtc_addr_t *local,
                              const rtc_addr_t *remote, bool sent, size_t len);
/* The peer's credentials (NULL before they are set). */
const char *rtc_ice_agent_remote_ufrag(const rtc_ice_agent_t *ice);
const char *rtc_ice_agent_remote_pwd(const rtc_ice_agent_t *ice);

/* Stops checks; state becomes closed. */
void rtc_ice_agent_close(rtc_ice_agent_t *ice);

typedef struct rtc_ice_stats {
  uint64_t stun_dropped; /* malformed or failed integrity */
  /* Requests with a wrong MESSAGE-INTEGRITY, an unknown USERNAME or neither: dropped
   * without an answer (no reflection or amplification for spoofed sources); also in
   * stun_dropped. */
  uint64_t stun_unauthenticated;
  uint64_t checks_sent, checks_received, responses_received;
} rtc_ice_stats_t;
void rtc_ice_agent_get_stats(const rtc_ice_agent_t *ice, rtc_ice_stats_t *out);

#endif
