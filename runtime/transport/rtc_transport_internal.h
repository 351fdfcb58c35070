/* Private state of a transport, shared by the transport/ files. */
#ifndef RTC_TRANSPORT_INTERNAL_H
#define RTC_TRANSPORT_INTERNAL_H
#include "srtp/rtc_srtp.h"
#include "transport/rtc_transport.h"

#define RTC_TRANSPORT_MAX_ICE_EVENTS 16 /* ICE states between two drains (a handful) */
#define RTC_TRANSPORT_ICE_SELECTED 0xff
#define RTC_TRANSPORT_MTU 1500          /* largest RTP/RTCP packet we protect or accept */
#define RTC_TRANSPORT_SRTP_RING 256 /* protected packets waiting for poll_transmit (a keyframe) */
#define RTC_TRANSPORT_SRTP_OVERHEAD RTC_SRTP_MAX_TRAILER

typedef struct rtc_transport_mdns rtc_transport_mdns_t;

typedef struct rtc_transport_slot {
  size_t len;
  uint8_t data[RTC_TRANSPORT_MTU + RTC_TRANSPORT_SRTP_OVERHEAD];
} rtc_transport_slot_t;

struct rtc_transport {
  uint32_t log_id;
  rtc_dtls_cert_t *cert;
  bool closed;

  /* ICE: the live agent, the one a restart offer prepared, the one a restart replaced
   * (kept with what it knew so a rollback brings it back). */
  rtc_ice_agent_t *ice, *ice_next, *ice_prev;
  char *remote_ufrag, *prev_remote_ufrag;
  char *local_cands[RTC_ICE_MAX_LOCAL];
  size_t n_local_cands;
  bool local_gather_done;
  char *prev_local_cands[RTC_ICE_MAX_LOCAL];
  size_t prev_n_local_cands;
  bool prev_local_gather_done;
  rtc_addr_t local_addrs[RTC_ICE_MAX_LOCAL]; /* sockets the owner bound */
  size_t n_local_addrs;
  bool regather;
  rtc_transport_mdns_t *mdns; /* our host candidates' mDNS names; NULL when off */
  /* ICE events in the agent's order: a state (rtc_ice_state_t), or
   * RTC_TRANSPORT_ICE_SELECTED (the selected pair changed). */
  uint8_t ice_states[RTC_TRANSPORT_MAX_ICE_EVENTS];
  size_t ice_head, n_ice_states;
  uint32_t selected_changes; /* SELECTED_PAIR events, across ICE restarts */

  /* DTLS. */
  rtc_dtls_t *dtls;
  bool dtls_started, dtls_failed, role_known;
  rtc_dtls_role_t role;
  char *fp_alg, *fp;
  rtc_addr_t dtls_local, dtls_remote; /* where DTLS talks when ICE has not selected yet */
  bool dtls_addr_known;

  /* SRTP: sessions, one received packet being lent, the send ring. */
  rtc_srtp_t *srtp;
  bool srtp_keyable; /* DTLS agreed a profile; srtp is made on first use */
  rtc_transport_slot_t *rx; /* made by the first SRTP packet in (B3: 1.5 KB a pc) */
  bool rx_pending, rx_is_rtcp;
  rtc_transport_slot_t *tx_ring; /* allocated when SRTP is keyed */
  size_t tx_head, tx_n;

  rtc_transport_stats_t stats;
};

/* rtc_transport_srtp.c: the srtp/ session pair keyed from the DTLS export. */
/* At DTLS connected: notes whether a profile was agreed (cheap). */
void rtc__transport_srtp_agreed(rtc_transport_t *t);
/* Before the first SRTP packet in or out: makes the sessions (libsrtp2's start, the
 * key schedule), which a data-channel-only connection never needs. */
void rtc__transport_srtp_need(rtc_transport_t *t);
void rtc__transport_srtp_free(rtc_transport_t *t);

/* rtc_transport_mdns.c: the candidate as signaled (its name instead of a host address;
 * no related address); nothing when the option is off. */
void rtc__transport_mdns_hide(rtc_transport_t *t, rtc_ice_candidate_t *c);
void rtc__transport_mdns_free(rtc_transport_t *t);

#endif
