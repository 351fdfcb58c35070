/* RTCPeerConnection core: JSEP signaling state machine (RFC 8829), the transport
 * under it (transport/: ICE + DTLS + SRTP for the one BUNDLE group, demultiplexed per
 * RFC 7983), SCTP data channels, and media transceivers (pc/rtc_pc_media.h), sans-IO.
 * This is the C API the Lua binding maps one to one.
 *
 * Driving it (what runtime/io does): after any call, poll
 *   - rtc_pc_poll_gather: the pc wants host candidates; bind sockets and report
 *     them with rtc_pc_add_local_address, then rtc_pc_set_gathering_done;
 *   - rtc_pc_poll_transmit until false;  - rtc_pc_poll_timeout for the next deadline;
 *   - rtc_pc_poll_event until false (deliver to the application AFTER the input is
 *     fully processed: handlers may call back into the pc).
 *
 * Errors: functions return 0 or a negative RTC_E*; rtc_pc_error() then gives a
 * message naming the problem ("setRemoteDescription: SDP line 3: ..."), valid until
 * the next call. A failed call changes nothing.
 *
 * Lifetime: rtc_pc_destroy frees the pc and every data channel it still owns;
 * rtc_dc_t handles the application holds (rtc_dc_ref) stay valid as objects but
 * report closed. */
#ifndef RTC_PC_H
#define RTC_PC_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/rtc_addr.h"
#include "base/rtc_transmit.h"
#include "dtls/rtc_dtls_cert.h"

typedef struct rtc_pc rtc_pc_t;
typedef struct rtc_dc rtc_dc_t;

typedef enum rtc_signaling_state {
  RTC_SIGNALING_STABLE = 0,
  RTC_SIGNALING_HAVE_LOCAL_OFFER,
  RTC_SIGNALING_HAVE_REMOTE_OFFER,
  RTC_SIGNALING_HAVE_LOCAL_PRANSWER,
  RTC_SIGNALING_HAVE_REMOTE_PRANSWER,
  RTC_SIGNALING_CLOSED,
} rtc_signaling_state_t;

typedef enum rtc_gathering_state {
  RTC_GATHERING_NEW = 0,
  RTC_GATHERING_GATHERING,
  RTC_GATHERING_COMPLETE,
} rtc_gathering_state_t;

/* RTCIceConnectionState uses rtc_ice_state_t (ice/rtc_ice_agent.h) values:
 * new checking connected completed failed disconnected closed. */

typedef enum rtc_connection_state {
  RTC_CONNECTION_NEW = 0,
  RTC_CONNECTION_CONNECTING,
  RTC_CONNECTION_CONNECTED,
  RTC_CONNECTION_DISCONNECTED,
  RTC_CONNECTION_FAILED,
  RTC_CONNECTION_CLOSED,
} rtc_connection_state_t;

typedef enum rtc_dc_state {
  RTC_DC_CONNECTING = 0,
  RTC_DC_OPEN,
  RTC_DC_CLOSING,
  RTC_DC_CLOSED,
} rtc_dc_state_t;

typedef enum rtc_sdp_type {
  RTC_SDP_OFFER = 0,
  RTC_SDP_PRANSWER,
  RTC_SDP_ANSWER,
  RTC_SDP_ROLLBACK,
} rtc_sdp_type_t;

/* One ICE server URL (RTCIceServer.urls are flattened: one entry per URL). */
typedef struct rtc_pc_ice_server {
  const char *url;        /* "stun:host[:port]", "turn:host[:port][?transport=udp|tcp]", "turns:" */
  const char *username;   /* NULL for STUN */
  const char *credential; /* NULL for STUN */
} rtc_pc_ice_server_t;

typedef struct rtc_pc_config {
  rtc_dtls_cert_t *cert;    /* NULL: the process-wide default certificate */
  bool ice_transport_relay; /* iceTransportPolicy "relay": only TURN relayed candidates */
  int bundle_policy;        /* 0 balanced, 1 max-compat, 2 max-bundle (one transport either way) */
  /* Addresses to gather host candidates on ("127.0.0.1", "::1", "eth0"? no: numeric
   * addresses only). n_gather_addresses == 0: every usable interface. */
  const char *const *gather_addresses;
  size_t n_gather_addresses;
  uint16_t port_min, port_max; /* 0, 0: any port */
  /* No ICE-TCP (RFC 6544): no passive/active TCP candidates, the peer's TCP ones
   * ignored. Default (false): TCP candidates besides the UDP ones. */
  bool ice_tcp_off;
  /* Gather on a UDP socket shared with other peer connections (one per local address
   * and port, io/rtc_io_mux.c) instead of a socket of its own. udp_mux_port 0: the
   * port the first such pc got (from port_min..port_max or the kernel). */
  bool udp_mux;
  uint16_t udp_mux_port;
  /* Our host candidates under random "<uuid>.local" names, answered by an mDNS
   * responder (as Chromium and Firefox do by default): the peer learns no local
   * address from signaling. The io layer turns it on once its responder listens
   * (rtc_pc_use_mdns_names); without one the candidates keep their addresses. */
  bool mdns_host_candidates;
  /* No simulcast receiving (Lua receiveSimulcast = false): an offer with a=simulcast:send
   * gets an answer without a=simulcast, and the peer sends its first layer alone
   * (RFC 8853 5.3). Default (false): the answer receives every offered rid. */
  bool simulcast_receive_off;
  size_t max_message_size; /* our a=max-message-size; 0: 262144. Larger messages from
                              the peer are dropped unread and their channel closed */
  /* Limits on what a peer (or the application) can make us hold; 0: the default
   * (rtc_pc_limits_defaults, docs/api.md "Limits"). */
  size_t max_sdp_size;          /* bytes of a remote description: 262144 */
  uint32_t max_channels;        /* data channels, i.e. SCTP streams each way: 1024 (<= 65535) */
  uint32_t max_remote_candidates; /* the peer's candidates per ICE generation: 64 (<= 64) */
  size_t max_buffered_amount;   /* per channel, bytes dc:send may queue: 16 MiB */
  size_t max_receive_buffer;    /* per pc, message bytes waiting for handlers: 8 MiB */
  const rtc_pc_ice_server_t *ice_servers; /* copied by rtc_pc_create */
  size_t n_ice_servers;
  const char *turn_ca_file; /* PEM CAs trusted for turns: servers (copied); NULL: the system's */
} rtc_pc_config_t;

typedef enum rtc_pc_event_type {
  RTC_PC_EVENT_ICE_CANDIDATE,        /* candidate (NULL = end of candidates), mid, mline_index */
  RTC_PC_EVENT_ICE_CANDIDATE_ERROR,  /* text: errorText; address/port/url where known */
  RTC_PC_EVENT_ICE_GATHERING_STATE,  /* state */
  RTC_PC_EVENT_ICE_CONNECTION_STATE, /* state */
  RTC_PC_EVENT_CONNECTION_STATE,     /* state */
  RTC_PC_EVENT_SIGNALING_STATE,      /* state */
  RTC_PC_EVENT_NEGOTIATION_NEEDED,
  RTC_PC_EVENT_DATACHANNEL, /* dc: a channel the peer opened (new reference for the app) */
  RTC_PC_EVENT_DC_OPEN,     /* dc */
  RTC_PC_EVENT_DC_MESSAGE,  /* dc, binary, data, len */
  RTC_PC_EVENT_DC_BUFFERED_AMOUNT_LOW, /* dc */
  RTC_PC_EVENT_DC_ERROR,               /* dc, text */
  RTC_PC_EVENT_DC_CLOSING,             /* dc */
  RTC_PC_EVENT_DC_CLOSE,               /* dc */
  RTC_PC_EVENT_RESULT, /* state: the token of rtc_pc_queue_result (an operation's answer) */
  /* Media (pc/rtc_pc_media.h). */
  RTC_PC_EVENT_TRACK,            /* tr, mid, mline_index: the receiver's track appeared */
  RTC_PC_EVENT_TRACK_FRAME,      /* tr, data, len, timestamp, keyframe (when asked for) */
  RTC_PC_EVENT_KEYFRAME_REQUEST, /* tr: the peer asked our sender for a keyframe */
  RTC_PC_EVENT_TRACK_ENDED,      /* tr: the receiver's track ended (rejected, stopped) */
  RTC_PC_EVENT_TRACK_RTP,        /* tr, data, len: one received RTP packet (when asked for) */
  /* The transports (W3C RTCIceTransport, RTCDtlsTransport, RTCSctpTransport). The ICE
   * transport's statechange and gatheringstatechange ride on ICE_CONNECTION_STATE and
   * ICE_GATHERING_STATE (one transport: the same values, fired on it first). */
  RTC_PC_EVENT_SELECTED_PAIR, /* the ICE transport's selected pair changed */
  RTC_PC_EVENT_DTLS_STATE,    /* state: rtc_dtls_state_t (before the connection state it brings) */
  RTC_PC_EVENT_DTLS_ERROR,    /* text: why DTLS failed (before DTLS_STATE failed) */
  RTC_PC_EVENT_SCTP_STATE,    /* state: rtc_pc_sctp_state_t */
  RTC_PC_EVENT_TRACK_MUTE,    /* tr, state: the receiver's track muted (1) or unmuted (0) */
  RTC_PC_EVENT_TRACK_REMOVED, /* tr: a description no longer has the peer send it */
  RTC_PC_EVENT_TRACK_STREAMS, /* tr: join the streams its track event will name (W3C addList) */
  RTC_PC_EVENT_TRACK_DTMF, /* tr, state: an RFC 4733 event received (0..15), timestamp: its ms */
} rtc_pc_event_type_t;

/* Everything borrowed until the next rtc_pc_poll_event call. */
typedef struct rtc_pc_event {
  rtc_pc_event_type_t type;
  int state;             /* the new state for *_STATE events */
  const char *candidate; /* "candidate:..." or NULL for end-of-candidates */
  const char *mid;
  int mline_index;
  const char *text; /* error text */
  /* RTC_PC_EVENT_DTLS_ERROR (W3C RTCError receivedAlert / sentAlert): the fatal DTLS
   * alert received / sent (RFC 5246 7.2 codes), -1 when none */
  int alert_received, alert_sent;
  /* RTC_PC_EVENT_ICE_CANDIDATE_ERROR (W3C RTCPeerConnectionIceErrorEvent): */
  const char *url;     /* the ICE server's URL */
  const char *address; /* the local address the request left from, NULL when none */
  int port;            /* its port, 0 when none */
  int error_code;      /* STUN error code, or 701 (no answer, name not resolved) */
  rtc_dc_t *dc;
  bool binary;
  const uint8_t *data;
  size_t len;
  struct rtc_tr *tr;  /* media events: the transceiver (borrowed; rtc_tr_ref to keep) */
  uint32_t timestamp; /* TRACK_FRAME: RTP timestamp */
  bool keyframe;      /* TRACK_FRAME */
  /* TRACK, TRACK_FRAME, TRACK_RTP, TRACK_MUTE of a transceiver receiving simulcast: the
   * layer (1-based, rtc_tr_rx_layer_rid); 0: the transceiver's one stream */
  int layer;
  uint64_t ntp; /* TRACK_FRAME: the sender's NTP time (32.32) of timestamp from its last SR,
                   0 before the first SR: recorders align tracks with it */
} rtc_pc_event_t;

/* Checks what rtc_pc_create would refuse in cfg (ICE server URLs, a TURN server
 * without credentials): 0, or a negative RTC_E* with a message in err. */
int rtc_pc_check_config(const rtc_pc_config_t *cfg, char *err, size_t errcap);
/* Fills the limits of cfg left 0 with their defaults (what rtc_pc_create does). */
void rtc_pc_limits_defaults(rtc_pc_config_t *cfg);
/* NULL on allocation or certificate failure, or a config rtc_pc_check_config refuses. */
rtc_pc_t *rtc_pc_create(const rtc_pc_config_t *cfg, uint64_t now_us);
void rtc_pc_destroy(rtc_pc_t *pc); /* NULL is fine */
const char *rtc_pc_error(const rtc_pc_t *pc);
uint32_t rtc_pc_id(const rtc_pc_t *pc); /* for logs */
/* The current ICE username fragment (changes on an ICE restart): a shared socket
 * routes a STUN request from an unknown address by it. */
const char *rtc_pc_local_ufrag(const rtc_pc_t *pc);

/* Signaling. *sdp_out is malloc'd (caller frees). ice_restart: new credentials. */
int rtc_pc_create_offer(rtc_pc_t *pc, bool ice_restart, char **sdp_out);
int rtc_pc_create_answer(rtc_pc_t *pc, char **sdp_out);
/* W3C restartIce(): the next offer (createOffer or an implicit setLocalDescription)
 * restarts ICE, and negotiationneeded fires (in stable). Nothing before a local
 * description or after close. 0 or RTC_ENOMEM. */
int rtc_pc_restart_ice(rtc_pc_t *pc);
/* sdp NULL (or "") = implicit: create the offer/answer the state calls for. */
int rtc_pc_set_local_description(rtc_pc_t *pc, rtc_sdp_type_t type, const char *sdp);
int rtc_pc_set_remote_description(rtc_pc_t *pc, rtc_sdp_type_t type, const char *sdp);
/* candidate NULL or "" = end of candidates. mid may be NULL when mline_index >= 0. */
int rtc_pc_add_ice_candidate(rtc_pc_t *pc, const char *candidate, const char *mid, int mline_index);
/* Current descriptions (NULL when none); type in *type. Owned by the pc. */
const char *rtc_pc_local_description(const rtc_pc_t *pc, rtc_sdp_type_t *type);
const char *rtc_pc_remote_description(const rtc_pc_t *pc, rtc_sdp_type_t *type);
const char *rtc_pc_pending_local_description(const rtc_pc_t *pc, rtc_sdp_type_t *type);
const char *rtc_pc_pending_remote_description(const rtc_pc_t *pc, rtc_sdp_type_t *type);
const char *rtc_pc_current_local_description(const rtc_pc_t *pc, rtc_sdp_type_t *type);
const char *rtc_pc_current_remote_description(const rtc_pc_t *pc, rtc_sdp_type_t *type);
/* RTCPeerConnection.canTrickleIceCandidates: -1 null (no remote description), 0, 1. */
int rtc_pc_can_trickle(const rtc_pc_t *pc);

rtc_signaling_state_t rtc_pc_signaling_state(const rtc_pc_t *pc); /* now */
/* What RTCPeerConnection.signalingState shows: the state of the last signaling-state
 * event polled (closed at once on close), as the gathering, ICE and connection
 * getters below and rtc_dc_ready_state do. */
rtc_signaling_state_t rtc_pc_shown_signaling_state(const rtc_pc_t *pc);
rtc_gathering_state_t rtc_pc_gathering_state(const rtc_pc_t *pc);
int rtc_pc_ice_connection_state(const rtc_pc_t *pc); /* rtc_ice_state_t */
rtc_connection_state_t rtc_pc_connection_state(const rtc_pc_t *pc);

/* W3C close(): everything to closed, no further state events except the ones the
 * spec fires (none for the pc itself; channels get close). */
void rtc_pc_close(rtc_pc_t *pc);

/* Data channels. init NULL fields: label "" protocol "", ordered true, no limits. */
typedef struct rtc_dc_init {
  const char *label;
  const char *protocol;
  bool ordered;
  int max_retransmits;      /* -1: unset */
  int max_packet_life_time; /* -1: unset; both set -> RTC_EINVAL (W3C TypeError) */
  bool negotiated;
  int id; /* -1: unset (required when negotiated) */
} rtc_dc_init_t;
void rtc_dc_init_defaults(rtc_dc_init_t *init);
/* Returns a new channel with one reference for the caller, or NULL (rtc_pc_error). */
rtc_dc_t *rtc_pc_create_data_channel(rtc_pc_t *pc, const rtc_dc_init_t *init);

rtc_dc_t *rtc_dc_ref(rtc_dc_t *dc);
void rtc_dc_unref(rtc_dc_t *dc); /* NULL is fine */
const char *rtc_dc_label(const rtc_dc_t *dc);
const char *rtc_dc_protocol(const rtc_dc_t *dc);
int rtc_dc_id(const rtc_dc_t *dc); /* -1 while null */
bool rtc_dc_ordered(const rtc_dc_t *dc);
int rtc_dc_max_retransmits(const rtc_dc_t *dc);      /* -1 null */
int rtc_dc_max_packet_life_time(const rtc_dc_t *dc); /* -1 null */
bool rtc_dc_negotiated(const rtc_dc_t *dc);
/* readyState as shown: the state of the last event polled for the channel; close()
 * sets closing, rtc_pc_close closed, at once (W3C). */
rtc_dc_state_t rtc_dc_ready_state(const rtc_dc_t *dc);
size_t rtc_dc_buffered_amount(const rtc_dc_t *dc);
size_t rtc_dc_buffered_amount_low_threshold(const rtc_dc_t *dc);
void rtc_dc_set_buffered_amount_low_threshold(rtc_dc_t *dc, size_t v);
/* Errors: RTC_ESTATE (not open; message says so), RTC_ETOOBIG (above the peer's
 * max-message-size). Error text via rtc_dc_error. */
int rtc_dc_send(rtc_dc_t *dc, bool binary, const uint8_t *p, size_t len);
int rtc_dc_close(rtc_dc_t *dc);
const char *rtc_dc_error(const rtc_dc_t *dc);
/* The pc the channel belongs to, NULL once that pc is destroyed. */
rtc_pc_t *rtc_dc_pc(const rtc_dc_t *dc);
/* One opaque pointer for the binding (its Lua object). */
void rtc_dc_set_userdata(rtc_dc_t *dc, void *ud);
void *rtc_dc_get_userdata(const rtc_dc_t *dc);

/* The transports under the pc, as W3C shows them (luartc bundles: one of each).
 * States are as shown (the state of the last event polled, closed at once on close). */
/* The live ICE agent (RTCIceTransport: role, candidates, pairs, parameters); it
 * changes on an ICE restart. Borrowed. */
const struct rtc_ice_agent *rtc_pc_ice_agent(const rtc_pc_t *pc);
/* Our candidates of the live agent as signalled (a=candidate values, no prefix). */
size_t rtc_pc_local_candidates(const rtc_pc_t *pc, const char *const **out);
/* The signalled mid and m-line index of our transport m-line (-1 before one). */
const char *rtc_pc_transport_mid(const rtc_pc_t *pc, int *mline_index);
/* "udp", "tcp" or "tls" when local is one of our TURN relayed addresses (the way to
 * its server), else NULL. */
const char *rtc_pc_relay_protocol(const rtc_pc_t *pc, const rtc_addr_t *local);
int rtc_pc_dtls_transport_state(const rtc_pc_t *pc); /* rtc_dtls_state_t */
/* The peer's DTLS certificate (DER), borrowed; false before DTLS connected. */
bool rtc_pc_remote_certificate(const rtc_pc_t *pc, const uint8_t **der, size_t *len);
typedef enum rtc_pc_sctp_state {
  RTC_PC_SCTP_CONNECTING = 0,
  RTC_PC_SCTP_CONNECTED,
  RTC_PC_SCTP_CLOSED,
} rtc_pc_sctp_state_t;
typedef struct rtc_pc_sctp_info {
  bool exists;             /* an application m-line was negotiated (W3C pc.sctp) */
  rtc_pc_sctp_state_t state;
  size_t max_message_size; /* min(ours, the peer's a=max-message-size or 65536); 0: none */
  int max_channels;        /* -1 (null) until connected */
} rtc_pc_sctp_info_t;
void rtc_pc_sctp_info(const rtc_pc_t *pc, rtc_pc_sctp_info_t *out);

/* Statistics (W3C webrtc-stats names in the Lua binding). */
typedef struct rtc_pc_stats {
  uint64_t packets_sent, packets_received, bytes_sent, bytes_received;
  uint64_t packets_discarded; /* malformed, unauthenticated or unexpected datagrams */
  uint64_t stun_unauthenticated, unvalidated, srtp_auth_failures, srtp_replays; /* transport's */
  uint32_t data_channels_opened, data_channels_closed;
  bool has_pair; /* ICE selected a pair: */
  rtc_addr_t pair_local, pair_remote;
  const char *relay_protocol; /* the local candidate is TURN-relayed: "udp"/"tcp"/"tls"; else NULL */
  uint32_t rtt_ms;
  uint32_t selected_pair_changes; /* W3C selectedCandidatePairChanges */
  uint64_t requests_sent, requests_received, responses_received;
  int dtls_state; /* rtc_dtls_state_t; -1 no DTLS yet */
  int dtls_role;   /* rtc_dtls_role_t; -1 before DTLS starts */
  const char *dtls_cipher; /* IANA suite name once connected, else NULL; borrowed */
  uint64_t events_dropped;  /* events lost because memory ran out (logged as errors) */
} rtc_pc_stats_t;
void rtc_pc_get_stats(const rtc_pc_t *pc, rtc_pc_stats_t *out);
typedef struct rtc_dc_stats {
  uint64_t messages_sent, bytes_sent, messages_received, bytes_received;
} rtc_dc_stats_t;
void rtc_dc_get_stats(const rtc_dc_t *dc, rtc_dc_stats_t *out);
/* The channels the pc holds (not closed), borrowed; returns how many (<= max). */
size_t rtc_pc_data_channels(const rtc_pc_t *pc, rtc_dc_t **out, size_t max);

/* Driving. */
/* True (once per gathering) when the pc needs host candidates now. */
bool rtc_pc_poll_gather(rtc_pc_t *pc);
const rtc_pc_config_t *rtc_pc_config(const rtc_pc_t *pc);
/* A socket the io layer bound for this pc. */
int rtc_pc_add_local_address(rtc_pc_t *pc, const rtc_addr_t *addr);
void rtc_pc_set_gathering_done(rtc_pc_t *pc);
/* The io layer can see interfaces come and go: after an ICE restart the pc asks it
 * (rtc_pc_poll_rescan, true once) to bind the addresses that appeared since, report
 * them with rtc_pc_add_local_address and then rtc_pc_set_gathering_done. Off: a
 * restart reuses the sockets the pc has. */
void rtc_pc_set_rescan_on_restart(rtc_pc_t *pc, bool on);
bool rtc_pc_poll_rescan(rtc_pc_t *pc);
/* A datagram received on the socket bound to `local`. */
int rtc_pc_handle_datagram(rtc_pc_t *pc, uint64_t now_us, const rtc_addr_t *local,
                           const rtc_addr_t *from, const uint8_t *p, size_t len);
/* The same, with the time it arrived (<= now_us; the kernel's receive timestamp, on the
 * clock of now_us): what transport-wide congestion control feedback reports, where the
 * time it was read would tell the sender the loop's delays. */
int rtc_pc_handle_datagram_at(rtc_pc_t *pc, uint64_t now_us, uint64_t arrival_us,
                              const rtc_addr_t *local, const rtc_addr_t *from, const uint8_t *p,
                              size_t len);
int rtc_pc_handle_timeout(rtc_pc_t *pc, uint64_t now_us);
uint64_t rtc_pc_poll_timeout(const rtc_pc_t *pc);
bool rtc_pc_poll_transmit(rtc_pc_t *pc, rtc_transmit_t *out);
bool rtc_pc_poll_event(rtc_pc_t *pc, rtc_pc_event_t *out);
/* The W3C operations chain: an API call's answer takes its place among the events,
 * as a browser resolves its promise in the task that fires the call's
 * signalingstatechange, before the tasks that surface what the call started
 * (gathering, candidates, ICE states). Call rtc_pc_mark_operation before the API call,
 * rtc_pc_queue_result after it (before the io layer gathers): RTC_PC_EVENT_RESULT
 * (state = token) is queued after the signaling-state events the call queued and
 * ahead of its other events. */
void rtc_pc_mark_operation(rtc_pc_t *pc);
void rtc_pc_queue_result(rtc_pc_t *pc, int token);
/* mDNS: the peer gave ".local" host candidates. poll_resolve returns each name to
 * ask once (borrowed until the next call); pending_resolves lists the names still
 * unresolved (to match answers against); resolved hands an answer in. */
bool rtc_pc_poll_resolve(rtc_pc_t *pc, const char **name);
size_t rtc_pc_pending_resolves(const rtc_pc_t *pc, const char **names, size_t max);
void rtc_pc_resolved(rtc_pc_t *pc, const char *name, const rtc_addr_t *addr);
/* An mDNS response the io layer received: the pc matches it against the names it
 * waits for and takes the answer (true when one resolved). */
bool rtc_pc_handle_mdns_response(rtc_pc_t *pc, const uint8_t *p, size_t len);
/* The responder side (mdns_host_candidates): rtc_pc_use_mdns_names before the first
 * host candidate (0 or RTC_ENOMEM); rtc_pc_mdns_answer writes the answer to a query
 * about one of our names (its length, 0 when none, < 0 for a malformed query). */
int rtc_pc_use_mdns_names(rtc_pc_t *pc);
int rtc_pc_mdns_answer(const rtc_pc_t *pc, const uint8_t *query, size_t len, bool legacy,
                       uint8_t *out, size_t cap);
/* Events are queued (O(1)): the io layer calls the owner only then. */
bool rtc_pc_has_events(const rtc_pc_t *pc);
/* Whether the pc has work after usrsctp's shared timer ticked or its own deadline
 * passed: lets the io layer skip the idle ones (thousands per process). O(1). */
bool rtc_pc_needs_service(const rtc_pc_t *pc, uint64_t now_us);
/* After usrsctp's shared timer ticked (rtc_sctp_global_handle_timeout): one pc whose
 * association the tick woke, NULL once none is left. Give each rtc_pc_handle_timeout;
 * the others have nothing to do. */
rtc_pc_t *rtc_pc_sctp_woken(void);
/* One pointer for the owner (the io layer's peer); not used by the pc. */
void rtc_pc_set_userdata(rtc_pc_t *pc, void *ud);
void *rtc_pc_get_userdata(const rtc_pc_t *pc);
/* The pc holds no live transport and nothing to deliver: the io layer may release it. */
bool rtc_pc_is_finished(const rtc_pc_t *pc);

/* ICE servers: once gathering starts, poll_dns returns each server host name to
 * resolve (id, host, port as text); the io layer resolves it without blocking and
 * calls rtc_pc_dns_result with the addresses (n == 0: it failed). Datagrams from the
 * servers go to rtc_pc_handle_datagram as any other. */
bool rtc_pc_poll_dns(rtc_pc_t *pc, size_t *id, const char **host);
/* TURN over TCP/TLS: a connection the pc wants, to `server` from the address `bind`
 * (port 0). The io layer connects it, reports rtc_pc_stream_connected (local: the
 * connection's local address, NULL when it failed), hands what it reads to
 * rtc_pc_stream_input (len 0: the server closed it), and writes the transmits whose
 * `local` is the connection's local address to it, in order. */
bool rtc_pc_poll_connect(rtc_pc_t *pc, size_t *id, rtc_addr_t *bind, rtc_addr_t *server);
void rtc_pc_stream_connected(rtc_pc_t *pc, uint64_t now_us, size_t id, const rtc_addr_t *local);
void rtc_pc_stream_input(rtc_pc_t *pc, uint64_t now_us, size_t id, const uint8_t *p, size_t len);
void rtc_pc_dns_result(rtc_pc_t *pc, uint64_t now_us, size_t id, const rtc_addr_t *addrs, size_t n);

#endif
