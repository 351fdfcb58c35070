/* Private state of the peer connection, shared by the pc/ files. */
#ifndef RTC_PC_INTERNAL_H
#define RTC_PC_INTERNAL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/rtc_addr.h"
#include "dtls/rtc_dtls.h"
#include "ice/rtc_ice_agent.h"
#include "pc/rtc_pc.h"
#include "sctp/rtc_sctp.h"
#include "sdp/rtc_sdp.h"
#include "transport/rtc_transport.h"
#include "turn/rtc_turn_gather.h"

#define RTC_PC_MAX_CHANNELS 1024 /* data channels per connection */
/* Message bytes queued for the application before the pc stops reading SCTP: then
 * usrsctp's receive window closes and the sender waits (no loss on any channel). */
#define RTC_PC_MAX_EVENT_BYTES (8u * 1024 * 1024)
#define RTC_PC_MAX_MDNS 8     /* peer's .local names being resolved */
#define RTC_PC_SCTP_PORT 5000 /* RFC 8841: the default, what every browser uses */
#define RTC_PC_DEFAULT_MMS 262144
/* Default limits (rtc_pc_config_t): a browser's offer with dozens of m-sections is a
 * few tens of KiB; Chrome closes a channel past 16 MiB buffered. */
#define RTC_PC_DEFAULT_MAX_SDP (256u * 1024)
#define RTC_PC_DEFAULT_MAX_BUFFERED (16u * 1024 * 1024)
#define RTC_PC_RFC8841_DEFAULT_MMS 65536 /* when the peer announces none (RFC 8841 6.1) */

typedef struct rtc_pc_event_node {
  struct rtc_pc_event_node *next;
  rtc_pc_event_t ev;
  char *owned_text; /* candidate / text, owned */
  char *owned_mid;
  uint8_t *owned_data;
  char *owned_extra; /* a second owned string (icecandidateerror: address) */
  uint8_t *buf;      /* push_copy's payload: kept with the node when it is reused */
  size_t buf_cap;
  /* Its state was set by the same change as the node before it (rtc__pc_state_task): the
   * attributes show both once the first is handed out. */
  bool with_prev;
} rtc_pc_event_node_t;

struct rtc_dc {
  int refs;
  rtc_pc_t *pc; /* NULL once the pc is gone */
  char *label, *protocol;
  bool ordered, negotiated;
  int max_retransmits, max_packet_life_time;
  int id; /* -1 while null */
  rtc_dc_state_t state;
  rtc_dc_state_t shown_state; /* readyState: as of the last event handed to the app */
  bool opened_in_sctp;        /* rtc_sctp_channel_open done (or remote-created) */
  size_t low_threshold;
  char error[160];
  void *userdata;
  rtc_dc_stats_t stats;
};

typedef struct rtc_pc_desc {
  rtc_sdp_type_t type;
  rtc_sdp_t *sdp; /* NULL: none */
  char *text;     /* cache of the serialized form, NULL when stale */
} rtc_pc_desc_t;

struct rtc_pc {
  uint32_t id;
  void *userdata; /* rtc_pc_set_userdata */
  rtc_pc_config_t cfg;
  char **gather_addresses; /* owned copies behind cfg.gather_addresses */
  rtc_dtls_cert_t *cert;
  char errbuf[512];
  uint64_t now_us;
  uint64_t arrival_us; /* the datagram being handled arrived then (0: at now_us) */
  uint64_t dtls_connected_us; /* 0 until DTLS came up (media can flow from then) */
  bool closed;

  /* Signaling. */
  rtc_signaling_state_t signaling;
  rtc_pc_desc_t current_local, pending_local, current_remote, pending_remote;
  uint64_t session_id;
  uint64_t session_version;
  bool negotiation_needed_fired;
  bool is_offerer; /* role in the negotiation that set up the transport */
  /* restartIce() (W3C [[LocalIceCredentialsToReplace]]): the local ufrag the next offer
   * replaces; NULL once a local description with other credentials is applied. */
  char *ice_replace_ufrag;

  /* Transport (one: everything is bundled, RFC 8843): ICE + DTLS + SRTP. */
  rtc_transport_t *transport;
  char *transport_mid;       /* the peer's mid whose transport parameters we use */
  int transport_mline;       /* its m-line index in the remote description */
  char *transport_local_mid; /* mid of our m-line carrying the transport (BUNDLE tag) */
  int transport_local_mline;
  bool have_transport;   /* a transport m-line is negotiated (DTLS may start) */
  bool have_application; /* an application m-line is negotiated (SCTP runs) */
  rtc_gathering_state_t gathering;
  bool want_gather, gather_started;
  rtc_ice_state_t ice_state;
  rtc_connection_state_t conn_state;
  /* What the attributes show: updated as each state event is handed to the app, so a
   * handler reads the state its event announced (as in browsers, where the task that
   * fires the event also sets the attribute). */
  rtc_ice_state_t shown_ice_state;
  rtc_connection_state_t shown_conn_state;
  rtc_gathering_state_t shown_gathering;
  rtc_signaling_state_t shown_signaling;
  /* Inside one state change (rtc__pc_state_task_begin/end): the state events it queues
   * after its first are marked with_prev. */
  bool ev_task;
  unsigned ev_task_n;
  /* RTCDtlsTransport and RTCSctpTransport states (rtc_pc_transport_info.c): now and
   * as shown; the channel count once SCTP is up; why DTLS failed. */
  rtc_dtls_state_t dtls_state, shown_dtls_state;
  rtc_pc_sctp_state_t sctp_state, shown_sctp_state;
  int sctp_max_channels;
  char *dtls_fail_reason; /* malloc'd, NULL until DTLS failed */
  /* with it: the fatal alerts received / sent (+1: 0 when none, so calloc means none) */
  int dtls_alert_rx1, dtls_alert_tx1;
  int remote_sctp_port;
  bool remote_ice_lite;
  size_t remote_mms;

  rtc_sctp_t *sctp;
  bool sctp_started;

  /* Data channels, indexed by nothing: a small array (bounded). */
  rtc_dc_t **dcs;
  size_t n_dcs, cap_dcs;

  /* Outgoing datagram being lent to the caller of poll_transmit. */
  rtc_transmit_t tx;

  /* Events. */
  rtc_pc_event_node_t *ev_head, *ev_tail, *ev_lent;
  rtc_pc_event_node_t *op_mark; /* ev_tail at rtc_pc_mark_operation */
  bool op_marked;
  size_t n_events;
  size_t ev_bytes; /* message payload bytes queued */
  uint64_t events_dropped; /* lost for lack of memory */
  /* Drained nodes with a payload buffer, for the next push_copy (rtc_pc_events.c). */
  rtc_pc_event_node_t *ev_spare;
  unsigned n_ev_spare;
  size_t ev_spare_bytes;

  /* The peer's mDNS host candidates (RFC 6762 names): resolved by the io layer, then
   * added as ordinary candidates. Until then the peer's checks teach us its address.
   * Allocated with the first such candidate (RTC_PC_MAX_MDNS entries, 5 KiB): most
   * peers send none (issue 12, B3). */
  struct rtc__pc_mdns_entry {
    rtc_ice_candidate_t cand;
    bool asked, done;
  } *mdns;
  size_t n_mdns;

  struct rtc_pc_media *media; /* transceivers (rtc_pc_media_internal.h) */

  /* ICE servers (rtc_pc_servers.c): srflx candidates; gathering completes when both
   * the host sockets (io) and the server transactions are done. */
  rtc_turn_gather_t *servers;
  size_t dns_next;    /* next server whose name poll_dns hands out */
  bool host_gathered; /* rtc_pc_set_gathering_done was called */
  /* rtc_pc_set_rescan_on_restart: an ICE restart asks the io layer for the host
   * addresses again (poll_rescan), since the one it may recover from is a new one. */
  bool rescan_on_restart, want_rescan;
  struct rtc_pc_relays *relays; /* TURN allocations (rtc_pc_relay.c) */

  /* Counters (the transport counts datagrams). */
  uint32_t dcs_opened, dcs_closed;
  uint32_t n_remote_cands; /* of the live ICE generation (cfg.max_remote_candidates) */
};

/* rtc_pc.c */
int rtc__pc_fail(rtc_pc_t *pc, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void rtc__pc_update_states(rtc_pc_t *pc);
/* rtc_pc_events.c */
/* Queues a new event node; NULL (event dropped and counted) when out of memory. */
rtc_pc_event_node_t *rtc__pc_event_push(rtc_pc_t *pc, rtc_pc_event_type_t type);
/* The same with a copy of (data, len) as ev.data/ev.len; NULL when out of memory.
 * The node and its buffer come from the pc's spare list when it has one. */
rtc_pc_event_node_t *rtc__pc_event_push_copy(rtc_pc_t *pc, rtc_pc_event_type_t type,
                                             const void *data, size_t len);
/* As push_copy, but the node takes block (a malloc'ed block holding data[0..len),
 * freed with the node, or at once when the node cannot be allocated); with no
 * block, a copy. */
rtc_pc_event_node_t *rtc__pc_event_push_owned(rtc_pc_t *pc, rtc_pc_event_type_t type, void *block,
                                              const void *data, size_t len);
/* A state-change event (dropped and counted when out of memory). */
void rtc__pc_event_state(rtc_pc_t *pc, rtc_pc_event_type_t type, int state);
/* One state change's events (see rtc_pc_events.c); end with what begin returned. */
bool rtc__pc_state_task_begin(rtc_pc_t *pc);
void rtc__pc_state_task_end(rtc_pc_t *pc, bool begun);
/* Unqueues and frees a node just pushed whose payload could not be built (counted). */
void rtc__pc_event_cancel(rtc_pc_t *pc, rtc_pc_event_node_t *n);
void rtc__pc_events_free(rtc_pc_t *pc);
void rtc__pc_event_dc(rtc_pc_t *pc, rtc_pc_event_type_t type, rtc_dc_t *dc);
/* rtc_pc_transport.c */
int rtc__pc_transport_apply(rtc_pc_t *pc); /* after a description is applied */
void rtc__pc_pump(rtc_pc_t *pc);
void rtc__pc_transport_close(rtc_pc_t *pc);
/* An answer rejected the data m-line (RFC 8841 10.4: port 0 closes the association):
 * ABORT to the peer, the channels close, the SCTP transport goes closed and is no
 * more (W3C [[SctpTransport]] null); a later data m-line makes a new association. */
void rtc__pc_sctp_end(rtc_pc_t *pc);
/* After an ICE restart became live: the new agent gets our sockets again. */
void rtc__pc_regather(rtc_pc_t *pc);
/* Adds one remote candidate (SDP or trickled, without "candidate:"). */
int rtc__pc_add_remote_candidate(rtc_pc_t *pc, const char *value, bool strict);
/* rtc_pc_transport_info.c */
/* After the ICE state moved: queues the DTLS transport's state change (an error first
 * when it failed); called before the connection state is computed. */
void rtc__pc_update_dtls_state(rtc_pc_t *pc);
void rtc__pc_set_sctp_state(rtc_pc_t *pc, rtc_pc_sctp_state_t st);
/* rtc_pc_servers.c */
int rtc__pc_servers_create(rtc_pc_t *pc, const rtc_pc_config_t *cfg);
void rtc__pc_servers_start(rtc_pc_t *pc);
void rtc__pc_servers_add_local(rtc_pc_t *pc, const rtc_addr_t *addr);
bool rtc__pc_servers_input(rtc_pc_t *pc, const rtc_addr_t *local, const rtc_addr_t *from,
                           const uint8_t *p, size_t len);
void rtc__pc_servers_timeout(rtc_pc_t *pc);
uint64_t rtc__pc_servers_poll_timeout(const rtc_pc_t *pc);
bool rtc__pc_servers_poll_transmit(rtc_pc_t *pc, rtc_transmit_t *out);
bool rtc__pc_servers_done(const rtc_pc_t *pc);
void rtc__pc_gathering_maybe_complete(rtc_pc_t *pc);
/* The candidate (an a=candidate value) goes into the local description and out as an
 * icecandidate event. */
void rtc__pc_servers_announce(rtc_pc_t *pc, const char *text);
/* rtc_pc_relay.c */
int rtc__pc_relay_create(rtc_pc_t *pc, const rtc_pc_config_t *cfg);
void rtc__pc_relay_destroy(rtc_pc_t *pc);
void rtc__pc_relay_add_local(rtc_pc_t *pc, const rtc_addr_t *addr);
void rtc__pc_relay_pair_up(rtc_pc_t *pc);
void rtc__pc_relay_regather(rtc_pc_t *pc);
bool rtc__pc_relay_input(rtc_pc_t *pc, const rtc_addr_t *local, const rtc_addr_t *from,
                         const uint8_t *p, size_t len);
void rtc__pc_relay_timeout(rtc_pc_t *pc);
uint64_t rtc__pc_relay_poll_timeout(const rtc_pc_t *pc);
bool rtc__pc_relay_poll_transmit(rtc_pc_t *pc, rtc_transmit_t *out);
bool rtc__pc_relay_done(const rtc_pc_t *pc);
void rtc__pc_relay_close(rtc_pc_t *pc);
/* "udp", "tcp" or "tls" when local is a relayed address (the way to its server), else NULL. */
const char *rtc__pc_relay_protocol(const rtc_pc_t *pc, const rtc_addr_t *local);
/* rtc_pc_mdns.c */
void rtc__pc_mdns_want(rtc_pc_t *pc, const rtc_ice_candidate_t *c);
/* rtc_pc_dc.c */
void rtc__pc_dc_open_pending(rtc_pc_t *pc);
void rtc__pc_dc_handle_sctp_event(rtc_pc_t *pc, const rtc_sctp_event_t *ev);
void rtc__pc_dc_close_all(rtc_pc_t *pc, bool fire);
rtc_dc_t *rtc__pc_dc_find(rtc_pc_t *pc, int id);
void rtc__pc_dc_detach_all(rtc_pc_t *pc);
/* rtc_pc_sdesc.c: descriptions, m-line rules, building blocks of offers/answers */
void rtc__pc_desc_clear(rtc_pc_desc_t *d);
void rtc__pc_desc_move(rtc_pc_desc_t *dst, rtc_pc_desc_t *src);
const rtc_sdp_t *rtc__pc_remote_sdp(const rtc_pc_t *pc);
const rtc_sdp_t *rtc__pc_local_sdp(const rtc_pc_t *pc);
void rtc__pc_local_add_candidate(rtc_pc_t *pc, const char *cand_value);
void rtc__pc_local_end_of_candidates(rtc_pc_t *pc);
bool rtc__pc_is_sctp_mline(const rtc_sdp_media_t *m);
bool rtc__pc_mline_accepted(const rtc_sdp_media_t *m);
int rtc__pc_app_mline(const rtc_sdp_t *s);       /* first accepted data m-line, or -1 */
int rtc__pc_transport_mline(const rtc_sdp_t *s); /* the BUNDLE tag, or -1 */
bool rtc__pc_in_bundle(const rtc_sdp_t *s, size_t idx);
void rtc__pc_set_origin(rtc_pc_t *pc, rtc_sdp_t *s);
int rtc__pc_fill_transport(rtc_pc_t *pc, rtc_ice_agent_t *ice, rtc_sdp_media_t *m,
                           rtc_sdp_setup_t setup, bool with_candidates);
int rtc__pc_add_rejected(rtc_sdp_t *s, const rtc_sdp_media_t *src);
int rtc__pc_add_bundle(rtc_sdp_t *s, const char *mid);
int rtc__pc_finish_description(rtc_pc_t *pc, const char *what, rtc_sdp_t *s, int err,
                               char **sdp_out);
/* rtc_pc_jsep.c */
void rtc__pc_update_negotiation_needed(rtc_pc_t *pc);

/* When the datagram being handled arrived: the kernel's time where the io layer has it
 * (rtc_pc_handle_datagram_at; the time it was read would make the sender's bandwidth
 * estimate and our jitter see the loop's delays as the network's), else now. */
static inline uint64_t rtc__pc_arrival_us(const rtc_pc_t *pc) {
  return pc->arrival_us ? pc->arrival_us : pc->now_us;
}

#endif
