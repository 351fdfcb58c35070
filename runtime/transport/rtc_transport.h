/* One WebRTC transport: what a BUNDLE group (RFC 8843) runs over. The ICE agent
 * (with the agents an ICE restart replaces), the DTLS association over its selected
 * pair, and the SRTP sessions keyed from DTLS (RFC 5764). Datagrams are
 * demultiplexed here by their first byte (RFC 7983); what is not STUN or DTLS
 * handshake comes out as events: DTLS application data (SCTP packets for the owner's
 * association) and unprotected RTP/RTCP packets.
 *
 * Sans-IO: every call takes now_us (API calls too), nothing reads a clock or a
 * socket. After any call the owner drains rtc_transport_poll_event until false, then
 * rtc_transport_poll_transmit, then asks rtc_transport_poll_timeout. Each layer is
 * pumped once per call inside the transport (ICE events start DTLS; DTLS "connected"
 * keys SRTP) so the owner never ping-pongs between them.
 *
 * Ownership: the transport owns its agents and DTLS object; borrowed pointers it
 * returns (events, transmits, candidates) are valid until the next call on it.
 * Everything an attacker could grow is bounded (ICE tables, DTLS early datagrams,
 * the SRTP send ring). */
#ifndef RTC_TRANSPORT_H
#define RTC_TRANSPORT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/rtc_addr.h"
#include "base/rtc_transmit.h"
#include "dtls/rtc_dtls.h"
#include "ice/rtc_ice_agent.h"

typedef struct rtc_transport rtc_transport_t;

typedef struct rtc_transport_config {
  rtc_dtls_cert_t *cert; /* required; the transport takes its own reference */
  bool controlling;      /* initial ICE role */
  uint32_t log_id;       /* the owner's id, for log lines */
} rtc_transport_config_t;

typedef enum rtc_transport_event_type {
  RTC_TRANSPORT_EVENT_ICE_STATE,      /* ice_state: every step, as browsers fire them */
  RTC_TRANSPORT_EVENT_SELECTED_PAIR,  /* the selected pair changed (before the state it brings) */
  RTC_TRANSPORT_EVENT_DTLS_CONNECTED, /* handshake done; SRTP keyed when the peer offered it */
  RTC_TRANSPORT_EVENT_DTLS_DATA,      /* data/len: one DTLS application record (SCTP) */
  RTC_TRANSPORT_EVENT_DTLS_CLOSED,    /* close_notify from the peer */
  RTC_TRANSPORT_EVENT_DTLS_FAILED,    /* reason */
  RTC_TRANSPORT_EVENT_RTP,            /* data/len: an unprotected RTP packet */
  RTC_TRANSPORT_EVENT_RTCP,           /* data/len: an unprotected RTCP compound packet */
} rtc_transport_event_type_t;

/* Borrowed until the next call on the transport. */
typedef struct rtc_transport_event {
  rtc_transport_event_type_t type;
  rtc_ice_state_t ice_state;
  const uint8_t *data;
  size_t len;
  const char *reason;
  int alert_received, alert_sent; /* DTLS_FAILED: fatal alert codes, -1 when none */
} rtc_transport_event_t;

/* NULL on allocation failure. */
rtc_transport_t *rtc_transport_create(const rtc_transport_config_t *cfg, uint64_t now_us);
void rtc_transport_destroy(rtc_transport_t *t); /* NULL is fine */

/* ---- ICE ---- */
/* The live agent (read-only uses: credentials, stats, state). */
rtc_ice_agent_t *rtc_transport_ice(const rtc_transport_t *t);
void rtc_transport_set_controlling(rtc_transport_t *t, bool controlling);
/* A socket the owner bound: a host candidate of the live agent. Its a=candidate value
 * ("842163049 1 udp ...", no "candidate:" prefix) is written to text. */
int rtc_transport_add_local_address(rtc_transport_t *t, uint64_t now_us, const rtc_addr_t *addr,
                                    char *text, size_t cap);
/* Host candidates signaled under mDNS names from now on (draft-ietf-mmusic-mdns-ice-
 * candidates): one random "<uuid>.local" per local IP, and no related address in
 * server-reflexive or relayed candidates. The owner must answer the link's queries
 * with rtc_transport_mdns_answer. RTC_ENOMEM. */
int rtc_transport_set_mdns(rtc_transport_t *t, bool on);
/* The answer to an mDNS query (p, len) that asks for one of our names, written to out:
 * its length, 0 when the query is about none of them, or an error (RTC_EPARSE for a
 * malformed query). legacy: the query came from a port other than 5353 (RFC 6762 6.7). */
int rtc_transport_mdns_answer(const rtc_transport_t *t, const uint8_t *query, size_t len,
                              bool legacy, uint8_t *out, size_t cap);
/* A server-reflexive candidate of the live agent (base: a socket added above). */
int rtc_transport_add_local_srflx(rtc_transport_t *t, uint64_t now_us, const rtc_addr_t *base,
                                  const rtc_addr_t *mapped, char *text, size_t cap);
/* A relayed candidate of the live agent (a TURN allocation; the owner carries its
 * datagrams through the server). */
int rtc_transport_add_local_relay(rtc_transport_t *t, uint64_t now_us, const rtc_addr_t *relayed,
                                  const rtc_addr_t *mapped, char *text, size_t cap);
void rtc_transport_set_local_gathering_done(rtc_transport_t *t, uint64_t now_us);
/* Candidates of the live agent so far (a=candidate values) and whether gathering ended. */
size_t rtc_transport_local_candidates(const rtc_transport_t *t, const char *const **out);
bool rtc_transport_local_gathering_done(const rtc_transport_t *t);
/* The peer's credentials. Returns 1 when they differ from the ones the live agent has
 * (the peer restarts ICE, RFC 8445 9): a new agent in the same role takes over, the
 * old one kept until rtc_transport_restart_commit/rollback; the owner regathers
 * (rtc_transport_take_regather). 0 when unchanged or first set; negative on error. */
int rtc_transport_set_remote_credentials(rtc_transport_t *t, uint64_t now_us, const char *ufrag,
                                         const char *pwd);
/* A remote candidate; one for another ufrag than the live agent's peer is ignored. */
int rtc_transport_add_remote_candidate(rtc_transport_t *t, uint64_t now_us,
                                       const rtc_ice_candidate_t *c);
void rtc_transport_set_remote_gathering_done(rtc_transport_t *t, uint64_t now_us);
/* Our own ICE restart: prepare makes the next agent (its credentials go into the
 * offer: rtc_transport_next_ice, NULL when none), apply makes it live. */
int rtc_transport_restart_prepare(rtc_transport_t *t, uint64_t now_us);
rtc_ice_agent_t *rtc_transport_next_ice(const rtc_transport_t *t);
void rtc_transport_restart_apply(rtc_transport_t *t, uint64_t now_us);
/* The negotiation completed: the replaced agent goes. Rollback: it comes back. */
void rtc_transport_restart_commit(rtc_transport_t *t);
void rtc_transport_restart_rollback(rtc_transport_t *t);
/* True once after a restart became live: the owner gives the new agent its sockets
 * again (the addresses it bound so far are in *addrs). */
bool rtc_transport_take_regather(rtc_transport_t *t, const rtc_addr_t **addrs, size_t *n);

/* ---- DTLS ---- */
/* The peer's certificate fingerprint from its SDP (checked: RTC_EINVAL when not hex of
 * the digest's length, RTC_ENOTSUP for an unknown algorithm). A different
 * fingerprint once DTLS started is refused with RTC_ENOTSUP (one association). */
int rtc_transport_check_fingerprint(const rtc_transport_t *t, const char *alg, const char *fp);
int rtc_transport_set_remote_fingerprint(rtc_transport_t *t, const char *alg, const char *fp);
/* Our DTLS role, once negotiated: the handshake starts as soon as it can (the client
 * waits for a working ICE pair; the server answers whatever ClientHello arrives). */
int rtc_transport_start_dtls(rtc_transport_t *t, uint64_t now_us, rtc_dtls_role_t role);
bool rtc_transport_dtls_role(const rtc_transport_t *t, rtc_dtls_role_t *role);
rtc_dtls_state_t rtc_transport_dtls_state(const rtc_transport_t *t); /* NEW before start */
/* Could not even start (bad fingerprint, no memory): the connection is failed. */
bool rtc_transport_dtls_failed(const rtc_transport_t *t);
/* The peer's certificate (DER) once DTLS connected, borrowed; false before. */
bool rtc_transport_remote_certificate(const rtc_transport_t *t, const uint8_t **der, size_t *len);
/* Application data (an SCTP packet): RTC_ESTATE before connected. */
int rtc_transport_send_dtls(rtc_transport_t *t, uint64_t now_us, const uint8_t *p, size_t len);

/* ---- SRTP ---- */
/* Whether SRTP is keyed (DTLS connected with a DTLS-SRTP profile). */
bool rtc_transport_srtp_ready(const rtc_transport_t *t);
/* Protects and queues one RTP packet / RTCP compound packet. RTC_ESTATE before SRTP is
 * keyed, RTC_ETOOBIG above the MTU, RTC_EAGAIN when the send ring is full. */
int rtc_transport_send_rtp(rtc_transport_t *t, uint64_t now_us, const uint8_t *p, size_t len);
int rtc_transport_send_rtcp(rtc_transport_t *t, uint64_t now_us, const uint8_t *p, size_t len);

/* ---- driving ---- */
/* A datagram on the socket bound to `local`. Malformed, unauthenticated or
 * unexpected datagrams are counted and dropped (returns 0). */
int rtc_transport_handle_datagram(rtc_transport_t *t, uint64_t now_us, const rtc_addr_t *local,
                                  const rtc_addr_t *from, const uint8_t *p, size_t len);
int rtc_transport_handle_timeout(rtc_transport_t *t, uint64_t now_us);
uint64_t rtc_transport_poll_timeout(const rtc_transport_t *t); /* RTC_NEVER when idle */
bool rtc_transport_poll_transmit(rtc_transport_t *t, rtc_transmit_t *out);
bool rtc_transport_poll_event(rtc_transport_t *t, rtc_transport_event_t *out);
/* DTLS close_notify (when connected), ICE closed. */
void rtc_transport_close(rtc_transport_t *t, uint64_t now_us);

typedef struct rtc_transport_stats {
  uint64_t packets_sent, packets_received, bytes_sent, bytes_received;
  uint64_t packets_discarded; /* malformed, unauthenticated or unexpected */
  uint64_t srtp_errors;       /* failed unprotect (auth, replay) */
  /* Parts of packets_discarded, by cause (what an attacker sends): */
  uint64_t stun_unauthenticated; /* STUN requests failing ICE authentication: no answer */
  uint64_t unvalidated;          /* DTLS/RTP from an address no validated pair has */
  uint64_t srtp_auth_failures;   /* SRTP/SRTCP failing authentication (forged, wrong key) */
  uint64_t srtp_replays;         /* SRTP/SRTCP replayed or older than the replay window */
  bool has_pair;
  rtc_addr_t pair_local, pair_remote;
  uint32_t rtt_ms;
  uint32_t selected_pair_changes; /* W3C selectedCandidatePairChanges (ICE switches, restarts) */
  uint64_t requests_sent, requests_received, responses_received;
  int dtls_state; /* rtc_dtls_state_t; -1 before DTLS exists */
  int dtls_role;   /* rtc_dtls_role_t; -1 before DTLS starts */
  const char *dtls_cipher; /* IANA suite name once connected, else NULL; borrowed */
} rtc_transport_stats_t;
void rtc_transport_get_stats(const rtc_transport_t *t, rtc_transport_stats_t *out);

#endif
