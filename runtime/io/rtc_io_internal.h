#ifndef RTC_IO_INTERNAL_H
#define RTC_IO_INTERNAL_H
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "base/rtc_transmit.h"
#include "io/rtc_io.h"

/* Arms the process-wide usrsctp timer on this loop if associations exist. */
void rtc__io_sctp_timer_arm(uv_loop_t *loop);
void rtc__io_peers_after_sctp_tick(uint64_t now_us);
/* mDNS (rtc_io_mdns.c): ask for a name; answers go to rtc__io_peers_mdns_answer.
 * The responder for our own names: rtc__io_mdns_open (1 listening, -1 not possible),
 * then queries go to rtc__io_peers_mdns_query, which answers with rtc__io_mdns_send
 * (to the group, or to the querier when legacy). */
void rtc__io_mdns_query(uv_loop_t *loop, const char *name);
void rtc__io_peers_mdns_answer(const uint8_t *p, size_t len);
int rtc__io_mdns_open(uv_loop_t *loop);
void rtc__io_peers_mdns_query(const uint8_t *p, size_t len, const struct sockaddr *from);
void rtc__io_mdns_send(const uint8_t *p, size_t len, const struct sockaddr *to);

/* TURN over TCP/TLS (rtc_io_turn.c): the peer's connections to TURN servers. */
typedef struct rtc__io_turn rtc__io_turn_t;
void rtc__io_turn_connect(rtc_io_peer_t *peer, rtc__io_turn_t **turn); /* what the pc asks for */
bool rtc__io_turn_send(rtc__io_turn_t *turn, const rtc_transmit_t *tx); /* true: a connection's */
void rtc__io_turn_close(rtc__io_turn_t **turn);
/* rtc_io_peer.c for rtc_io_turn.c: the loop, a handle more/less to wait for before the
 * peer's memory goes, the work after input (flush, timer, events), and whether the
 * peer is being torn down. */
uv_loop_t *rtc__io_peer_loop(rtc_io_peer_t *peer);
void rtc__io_peer_hold(rtc_io_peer_t *peer);
void rtc__io_peer_release(rtc_io_peer_t *peer);
void rtc__io_peer_after(rtc_io_peer_t *peer);
bool rtc__io_peer_dead(const rtc_io_peer_t *peer);

/* ICE-TCP (rtc_io_tcp.c): the TCP sockets of one peer (using the rtc__io_peer_*
 * functions above too). */
typedef struct rtc__io_tcp rtc__io_tcp_t;
/* Listens on the IP of a bound UDP socket and reports the passive and active TCP
 * candidates to the pc. */
void rtc__io_tcp_gather(rtc_io_peer_t *peer, const rtc_addr_t *udp_local);
/* A transmit whose local address is TCP-marked: framed onto its connection (opened
 * first for an active candidate). */
void rtc__io_tcp_send(rtc_io_peer_t *peer, const rtc_transmit_t *tx);
void rtc__io_tcp_prune(rtc_io_peer_t *peer);
void rtc__io_tcp_close_all(rtc_io_peer_t *peer);
void rtc__io_tcp_free(rtc__io_tcp_t *t);
rtc__io_tcp_t **rtc__io_peer_tcp(rtc_io_peer_t *peer); /* rtc_io_peer.c */

/* The receive buffer of every UDP socket (rtc_io_peer.c), and their buffer size. */
void rtc__io_recv_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
#define RTC__IO_SOCKET_BUFFER (2 * 1024 * 1024)

/* Shared UDP sockets (rtc_io_mux.c, the udpMux option): a pc is a member of the
 * socket on an address and port; the socket is bound at the first join and closed at
 * the last leave. */
typedef struct rtc__io_mux rtc__io_mux_t;
typedef struct rtc__io_mux_member rtc__io_mux_member_t;
/* NULL with *uv_err when the socket cannot be bound (or no memory). port 0: any. */
rtc__io_mux_member_t *rtc__io_mux_join(rtc_io_peer_t *peer, const rtc_addr_t *ip, uint16_t port,
                                       int *uv_err);
void rtc__io_mux_leave(rtc__io_mux_member_t *m);
const rtc_addr_t *rtc__io_mux_local(const rtc__io_mux_member_t *m);
uv_udp_t *rtc__io_mux_udp(rtc__io_mux_member_t *m);
/* A datagram the pc sends through the shared socket (a STUN check claims its
 * destination for the answers). */
void rtc__io_mux_sent(rtc__io_mux_member_t *m, const rtc_addr_t *remote, const uint8_t *p,
                      size_t len);
/* After an API call: re-index the pc under its ufrag if an ICE restart changed it. */
void rtc__io_mux_refresh(rtc__io_mux_member_t *m);

#endif
