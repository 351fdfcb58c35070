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
/* mDNS (rtc_io_mdns.c): ask for a name; answers go to rtc__io_peers_mdns_answer. */
void rtc__io_mdns_query(uv_loop_t *loop, const char *name);
void rtc__io_peers_mdns_answer(const uint8_t *p, size_t len);

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

#endif
