/* A TURN client (RFC 8656), sans-IO: one allocation on one TURN server, reached from
 * one local socket. It never touches a socket or a clock: the owner hands it what the
 * server sent and the time, and drains what it wants sent.
 *
 * Life of an allocation: Allocate (REQUESTED-TRANSPORT UDP, LIFETIME) without
 * credentials; the server's 401 brings REALM and NONCE; Allocate again with USERNAME,
 * REALM, NONCE and MESSAGE-INTEGRITY (long-term credentials, RFC 8489 9.2); a 438
 * (stale nonce) retries with the new nonce. On success the relayed and mapped
 * addresses come out as an event and a Refresh runs a minute before the lifetime ends
 * (half of it when short). Every request is retransmitted (RFC 8489 6.2.1) and given
 * up after RTC_TURN_CLIENT_TRIES sends.
 *
 * Peers: rtc_turn_client_wrap turns a datagram for a peer into what goes to the
 * server: ChannelData once a channel is bound to the peer (RFC 8656 12), else a Send
 * indication (RFC 8656 10). The first datagram to a new peer starts CreatePermission
 * (RFC 8656 9) and ChannelBind for it; both are refreshed every 4 minutes (permissions
 * last 5, channels 10). Datagrams from the server are given to
 * rtc_turn_client_handle_datagram: responses are consumed, Data indications and
 * ChannelData come back out as (peer, payload).
 *
 * rtc_turn_client_close deletes the allocation (Refresh with LIFETIME 0, sent once).
 *
 * Address families (RFC 8656 7.1, 18.10-18.12): the relayed address is IPv4 unless
 * asked otherwise, whatever the family the server is reached over. RTC_TURN_FAMILY_IPV6
 * asks an IPv6 one (REQUESTED-ADDRESS-FAMILY); RTC_TURN_FAMILY_DUAL asks both
 * (ADDITIONAL-ADDRESS-FAMILY IPv6, under its RFC codepoint and under the draft's that
 * coturn knows): the server gives both, or one and an ADDRESS-ERROR-CODE for the
 * other, or, not knowing the attribute, just IPv4. A dual request refused as a whole
 * (400, 420, 440) is asked again for IPv4 alone. A relayed address reaches only peers
 * of its own family (RFC 8656 9.1): each peer goes through the one of its family.
 *
 * Limits: RTC_TURN_CLIENT_MAX_PEERS peers (further peers go as Send indications to
 * the server without permission: it drops them). No per-datagram allocation: wrapped
 * datagrams are written into one buffer owned by the client. */
#ifndef RTC_TURN_CLIENT_H
#define RTC_TURN_CLIENT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/rtc_addr.h"
#include "base/rtc_transmit.h"

#define RTC_TURN_CLIENT_MAX_PEERS 32
#define RTC_TURN_CLIENT_TRIES 6
/* Largest payload wrap accepts (a datagram of the WebRTC transport stays below 1500). */
#define RTC_TURN_CLIENT_MAX_PAYLOAD 2048

typedef struct rtc_turn_client rtc_turn_client_t;

typedef enum rtc_turn_family {
  RTC_TURN_FAMILY_IPV4 = 0, /* the default: no attribute */
  RTC_TURN_FAMILY_IPV6,     /* REQUESTED-ADDRESS-FAMILY IPv6; 440: failed */
  RTC_TURN_FAMILY_DUAL,     /* IPv4 and IPv6 where the server offers both */
} rtc_turn_family_t;

typedef struct rtc_turn_client_config {
  const char *username, *password; /* copied; required (long-term credentials) */
  rtc_addr_t local;                /* the socket the client talks from */
  rtc_addr_t server;               /* the TURN server */
  uint32_t lifetime_s;             /* asked for; 0: the server's default (600 s) */
  bool stream;                     /* TCP/TLS to the server: ChannelData padded (12.5) */
  rtc_turn_family_t family;        /* the relayed address family (families) asked for */
} rtc_turn_client_config_t;

typedef enum rtc_turn_client_state {
  RTC_TURN_CLIENT_ALLOCATING = 0,
  RTC_TURN_CLIENT_ALLOCATED,
  RTC_TURN_CLIENT_FAILED, /* refused, unreachable, or the refresh failed */
  RTC_TURN_CLIENT_CLOSED,
} rtc_turn_client_state_t;

typedef enum rtc_turn_client_event_type {
  RTC_TURN_CLIENT_EVENT_ALLOCATED, /* relayed (relayed2), mapped, lifetime_s; code, text:
                                      why a family asked for was not given (or 0) */
  RTC_TURN_CLIENT_EVENT_FAILED,    /* code (STUN error, or 701: no answer), text */
} rtc_turn_client_event_type_t;

typedef struct rtc_turn_client_event {
  rtc_turn_client_event_type_t type;
  rtc_addr_t relayed, mapped;
  rtc_addr_t relayed2; /* a dual allocation's second family (family 0: none) */
  uint32_t lifetime_s;
  int code;
  char text[128];
} rtc_turn_client_event_t;

typedef enum rtc_turn_client_input {
  RTC_TURN_CLIENT_NOT_MINE = 0, /* not from this client's server/transaction: offer elsewhere */
  RTC_TURN_CLIENT_CONSUMED,     /* a response (or something dropped) */
  RTC_TURN_CLIENT_DATA,         /* a datagram from a peer: *peer, *data, *len */
} rtc_turn_client_input_t;

/* Starts allocating at once (the Allocate is in poll_transmit). NULL: no memory or a
 * missing username/password. */
rtc_turn_client_t *rtc_turn_client_create(const rtc_turn_client_config_t *cfg, uint64_t now_us);
void rtc_turn_client_destroy(rtc_turn_client_t *c); /* NULL is fine; wipes the key */

/* A datagram that arrived on the client's socket from `from`. For DATA, *data points
 * into p (borrowed as p is). */
rtc_turn_client_input_t rtc_turn_client_handle_datagram(rtc_turn_client_t *c, uint64_t now_us,
                                                        const rtc_addr_t *from, const uint8_t *p,
                                                        size_t len, rtc_addr_t *peer,
                                                        const uint8_t **data, size_t *data_len);
void rtc_turn_client_handle_timeout(rtc_turn_client_t *c, uint64_t now_us);
uint64_t rtc_turn_client_poll_timeout(const rtc_turn_client_t *c); /* RTC_NEVER when idle */
/* Control messages (requests) to send; out->data borrowed until the next call. */
bool rtc_turn_client_poll_transmit(rtc_turn_client_t *c, rtc_transmit_t *out);
bool rtc_turn_client_poll_event(rtc_turn_client_t *c, rtc_turn_client_event_t *out);

/* Wraps a datagram for `peer` (ChannelData or Send indication) into *out (from the
 * client's socket to the server; out->data borrowed until the next wrap). Starts
 * permission and channel for a new peer. RTC_ESTATE when not allocated, RTC_ETOOBIG
 * above RTC_TURN_CLIENT_MAX_PAYLOAD. */
int rtc_turn_client_wrap(rtc_turn_client_t *c, uint64_t now_us, const rtc_addr_t *peer,
                         const uint8_t *p, size_t len, rtc_transmit_t *out);
/* Starts permission and channel for a peer before anything is sent to it (a remote
 * candidate: its checks can come in through the relay at once). */
void rtc_turn_client_add_peer(rtc_turn_client_t *c, uint64_t now_us, const rtc_addr_t *peer);

/* Deletes the allocation (Refresh LIFETIME 0, in poll_transmit); then idle. */
void rtc_turn_client_close(rtc_turn_client_t *c, uint64_t now_us);

rtc_turn_client_state_t rtc_turn_client_state(const rtc_turn_client_t *c);
const rtc_addr_t *rtc_turn_client_local(const rtc_turn_client_t *c);
const rtc_addr_t *rtc_turn_client_server(const rtc_turn_client_t *c);
/* The relayed address (family 0 until allocated). */
const rtc_addr_t *rtc_turn_client_relayed(const rtc_turn_client_t *c);
const rtc_addr_t *rtc_turn_client_mapped(const rtc_turn_client_t *c);
/* The second relayed address of a dual allocation (family 0 when none). */
const rtc_addr_t *rtc_turn_client_relayed2(const rtc_turn_client_t *c);
/* The relayed address of that family (AF_INET/AF_INET6), NULL when none. */
const rtc_addr_t *rtc_turn_client_relayed_for(const rtc_turn_client_t *c, int family);
/* One of the client's relayed addresses (either family). */
bool rtc_turn_client_is_relayed(const rtc_turn_client_t *c, const rtc_addr_t *a);

typedef struct rtc_turn_client_stats {
  uint64_t requests_sent, responses_received, dropped;
  uint64_t channel_data_sent, send_indications_sent, channel_data_received,
      data_indications_received;
  uint32_t refreshes, permissions, channels; /* successful ones */
} rtc_turn_client_stats_t;
void rtc_turn_client_get_stats(const rtc_turn_client_t *c, rtc_turn_client_stats_t *out);

#endif
