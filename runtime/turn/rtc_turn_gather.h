/* The server side of ICE gathering, sans-IO: the ICE servers of a peer connection
 * (RTCConfiguration.iceServers) and the transactions run against them from each
 * local socket. Today: server-reflexive candidates (RFC 8445 5.1.1.2) from a STUN
 * Binding (RFC 8489) sent from every host socket to every UDP server of its
 * address family, stun: and turn: alike (a TURN server answers Binding too).
 *
 * Driving it: the owner adds the servers (parsed here), resolves their host names
 * (rtc_turn_gather_set_server_addresses, zero addresses = the name did not resolve)
 * and reports each bound socket (rtc_turn_gather_add_local). Datagrams from a server
 * address are offered to rtc_turn_gather_handle_datagram first: it returns true when
 * it took one (a response to one of its transactions). The owner drains poll_transmit
 * and poll_event after every call and asks poll_timeout. Gathering against the
 * servers is over when rtc_turn_gather_is_done. Transactions are retransmitted
 * (RFC 8489 6.2.1) and given up after RTC_TURN_GATHER_TRIES sends: error 701 (W3C).
 *
 * Limits: RTC_TURN_MAX_SERVERS URLs, RTC_TURN_MAX_TX transactions; past them servers
 * are refused (RTC_ELIMIT) and socket/server pairs are skipped. */
#ifndef RTC_TURN_GATHER_H
#define RTC_TURN_GATHER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/rtc_addr.h"
#include "base/rtc_transmit.h"
#include "turn/rtc_turn_url.h"

#define RTC_TURN_MAX_SERVERS 8
#define RTC_TURN_MAX_TX 32
#define RTC_TURN_MAX_ADDRS 4 /* addresses kept per resolved name */

typedef struct rtc_turn_gather rtc_turn_gather_t;

typedef enum rtc_turn_gather_event_type {
  RTC_TURN_GATHER_SRFLX, /* base (the local socket), mapped (what the server saw) */
  RTC_TURN_GATHER_ERROR, /* server, code, text; base = the local socket (unset: DNS) */
} rtc_turn_gather_event_type_t;

typedef struct rtc_turn_gather_event {
  rtc_turn_gather_event_type_t type;
  size_t server;   /* index of the server (its URL: rtc_turn_gather_server_url_text) */
  rtc_addr_t base; /* the local socket; family 0 when the error is not tied to one */
  rtc_addr_t mapped;
  int code;       /* STUN error code, or 701 (W3C: no response / not resolved) */
  char text[128]; /* error reason */
} rtc_turn_gather_event_t;

rtc_turn_gather_t *rtc_turn_gather_create(void);    /* NULL: no memory */
void rtc_turn_gather_destroy(rtc_turn_gather_t *g); /* NULL is fine; wipes credentials */

/* Parses and keeps one server URL (username/credential may be NULL; copied). Returns
 * its index, RTC_EPARSE with a message in err, RTC_EINVAL for a turn: URL without
 * username and credential (W3C InvalidAccessError), RTC_ELIMIT. */
int rtc_turn_gather_add_server(rtc_turn_gather_t *g, const char *url, const char *username,
                               const char *credential, char *err, size_t errcap);
size_t rtc_turn_gather_n_servers(const rtc_turn_gather_t *g);
const rtc_turn_url_t *rtc_turn_gather_server(const rtc_turn_gather_t *g, size_t i);
const char *rtc_turn_gather_server_url_text(const rtc_turn_gather_t *g, size_t i);
/* What server i resolved to (port set; NULL with *n = 0 while unresolved), and its
 * credentials (NULL when none): the TURN clients of the owner use them. */
const rtc_addr_t *rtc_turn_gather_server_addresses(const rtc_turn_gather_t *g, size_t i, size_t *n);
void rtc_turn_gather_server_credentials(const rtc_turn_gather_t *g, size_t i, const char **username,
                                        const char **credential);

/* Starts gathering: from now on servers are contacted as addresses and sockets come. */
void rtc_turn_gather_start(rtc_turn_gather_t *g, uint64_t now_us);
/* The name of server i resolved to addrs[0..n) (n == 0: it did not: error 701). */
void rtc_turn_gather_set_server_addresses(rtc_turn_gather_t *g, uint64_t now_us, size_t i,
                                          const rtc_addr_t *addrs, size_t n);
void rtc_turn_gather_add_local(rtc_turn_gather_t *g, uint64_t now_us, const rtc_addr_t *local);
/* True when the datagram was a response to one of our transactions (consumed). */
bool rtc_turn_gather_handle_datagram(rtc_turn_gather_t *g, uint64_t now_us, const rtc_addr_t *local,
                                     const rtc_addr_t *from, const uint8_t *p, size_t len);
void rtc_turn_gather_handle_timeout(rtc_turn_gather_t *g, uint64_t now_us);
uint64_t rtc_turn_gather_poll_timeout(const rtc_turn_gather_t *g); /* RTC_NEVER when idle */
bool rtc_turn_gather_poll_transmit(rtc_turn_gather_t *g, rtc_transmit_t *out);
bool rtc_turn_gather_poll_event(rtc_turn_gather_t *g, rtc_turn_gather_event_t *out);
/* Every server resolved (or failed) and every transaction finished. */
bool rtc_turn_gather_is_done(const rtc_turn_gather_t *g);
/* Stops every transaction (no more output). */
void rtc_turn_gather_close(rtc_turn_gather_t *g);

typedef struct rtc_turn_gather_stats {
  uint64_t requests_sent, responses_received, dropped;
} rtc_turn_gather_stats_t;
void rtc_turn_gather_get_stats(const rtc_turn_gather_t *g, rtc_turn_gather_stats_t *out);

#endif
