/* Shared between the sctp module's files; not part of the public contract. */
#ifndef RTC_SCTP_INTERNAL_H
#define RTC_SCTP_INTERNAL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sctp/rtc_sctp.h"

/* usrsctp's send space per association (sysctl sctp_sendspace): also the largest
 * message we can send (rtc_sctp.h). */
#define RTC__SCTP_SNDBUF RTC_SCTP_MAX_SEND_SIZE
#define RTC__SCTP_RCVBUF (1024u * 1024u)
/* Bytes one channel may hold in its own queue (not yet taken by usrsctp). */
#define RTC__SCTP_CHAN_QUEUE_MAX (16u * 1024u * 1024u)

struct socket; /* usrsctp's */

/* Transmit queue bound: packets waiting for DTLS. usrsctp releases at most a burst
 * (max_burst) per event, so 256 is plenty; beyond it a packet is dropped (SCTP
 * retransmits it) rather than memory growing without bound. */
#define RTC__SCTP_TXQ_MAX 256
/* Events waiting for the owner, bounded by bytes: beyond 4 MiB undelivered we stop
 * reading the socket, so usrsctp's receive window closes and the peer slows down
 * (backpressure, no loss); reading resumes when the owner has polled the queue
 * empty. The queue thus holds at most this plus one message (<= local mms). */
#define RTC__SCTP_EVQ_MAX_BYTES (4u * 1024 * 1024)
/* One scratch buffer for usrsctp_recvv for all associations (single thread):
 * larger messages arrive in pieces and are reassembled per association. */
#define RTC__SCTP_RECV_CHUNK 65536
/* SCTP packets of at most 1195 bytes: DTLS 1.2 with AES-GCM adds 13 + 8 + 16 = 37
 * bytes, UDP/IPv6 48: 1195 + 37 + 48 = 1280, IPv6's minimum MTU, which every IPv6
 * path carries (1200 made 1285: tests/sim saw nothing arrive on such a path, seed
 * 621). PMTU discovery is off: DTLS sits between. usrsctp adds the 12-byte common
 * header on top of spp_pathmtu for AF_CONN (measured: 1200 gives 1212-byte
 * packets), hence 1183. */
#define RTC__SCTP_PATH_MTU 1183
/* A closing channel whose stream reset (RFC 6525) the peer has not completed after
 * this long is closed locally and its stream released: a peer that never answers, or
 * never resets its own direction (RFC 8831 6.7 says it must), would otherwise leave the
 * channel "closing" forever. 5 s: a live peer answers within an RTT; usrsctp resends a
 * lost request at RTO (200 ms min here), so 5 s spans several retransmissions. */
#define RTC__SCTP_RESET_TIMEOUT_US 5000000u

typedef enum rtc__sctp_chan_state {
  RTC__SCTP_CHAN_OPENING, /* our OPEN queued or sent, no ACK yet */
  RTC__SCTP_CHAN_OPEN,
  RTC__SCTP_CHAN_CLOSING,   /* close asked: flush the queue, then reset the outgoing stream */
  RTC__SCTP_CHAN_RESETTING, /* outgoing reset requested; waiting for the peer's reset */
} rtc__sctp_chan_state_t;

typedef struct rtc__sctp_msg {
  struct rtc__sctp_msg *next;
  uint32_t ppid;
  bool control; /* DCEP: ordered, reliable, not counted in buffered_amount */
  size_t len;
  uint8_t data[];
} rtc__sctp_msg_t;

typedef struct rtc__sctp_chan {
  uint16_t stream;
  rtc__sctp_chan_state_t state;
  bool negotiated, local;
  bool acked;          /* RFC 8832 6: unordered sends only once the ACK came */
  bool open_emitted;   /* CHANNEL_OPEN / REMOTE_OPEN reported */
  bool closed_emitted; /* CHANNEL_CLOSED reported */
  bool reset_sent;     /* our outgoing stream reset requested */
  bool reset_in;       /* the peer reset its outgoing stream */
  uint64_t reset_wait_us; /* when the reset began waiting on the peer (0: not yet) */
  bool ordered;
  int max_retransmits, max_packet_life_time;
  rtc__sctp_msg_t *head, *tail;
  size_t buffered, low_threshold;
} rtc__sctp_chan_t;

typedef struct rtc__sctp_pkt {
  struct rtc__sctp_pkt *next;
  size_t len;
  size_t cap; /* bytes of data[] (rtc_sctp.c's free list) */
  uint8_t data[];
} rtc__sctp_pkt_t;

typedef struct rtc__sctp_ev {
  struct rtc__sctp_ev *next;
  rtc_sctp_event_t ev;
  size_t size;    /* bytes charged to the event queue */
  char strings[]; /* data, label, protocol copies */
} rtc__sctp_ev_t;

struct rtc_sctp {
  rtc_sctp_config_t cfg;
  void *handle; /* sconn_addr registered with usrsctp */
  /* The SCTP ports usrsctp sees (rtc_sctp_port.c): a pair of its own per association
   * (local even, remote odd), translated to and from cfg.local_port/remote_port on
   * the wire; 0 when the wire ports are used as they are. */
  uint16_t port;
  void *conn_addr; /* the sconn_addr usrsctp knows it by: rtc__sctp_shared_addr with a
                      port pair of its own, else handle */
  bool registered;
  struct socket *sock;
  bool started, connected, disconnected;
  bool readable; /* upcall said so */
  bool blocked;  /* last sendv said EWOULDBLOCK */
  bool reset_wanted;
  bool in_drain;
  bool rx_paused; /* event queue full: socket left unread (backpressure) */
  bool woken;     /* in the global list of associations the current tick woke */
  bool watched;   /* in the global list of associations with a stream reset under way */
  /* transmit queue: a list, so that an idle association holds nothing */
  rtc__sctp_pkt_t *txq_head, *txq_tail, *tx_cur; /* tx_cur: borrowed by the owner */
  unsigned txq_n;
  /* events */
  rtc__sctp_ev_t *ev_head, *ev_tail, *ev_cur;
  size_t ev_bytes;
  /* channels: unsorted, searched linearly (<= max_streams <= RTC_SCTP_MAX_CHANNELS) */
  uint16_t max_streams;
  rtc__sctp_chan_t **chans;
  unsigned nchans, capchans, rr;
  rtc__sctp_chan_t **by_id; /* stream id -> channel, n_by_id <= max_streams (grown) */
  unsigned n_by_id, n_own;  /* n_own: channels on ids of our parity */
  uint16_t next_stream;
  /* reassembly of a message that usrsctp hands out in pieces (no MSG_EOR yet) */
  uint8_t *rx_buf;
  size_t rx_len, rx_cap;
  uint16_t rx_stream;
  uint32_t rx_ppid;
  bool rx_active, rx_discard;
  rtc_sctp_stats_t stats;
};

/* Shared between rtc_sctp.c (association, receive path) and rtc_sctp_channel.c. */
rtc__sctp_ev_t *rtc__sctp_ev_push(rtc_sctp_t *s, rtc_sctp_event_type_t type, uint16_t stream,
                                  size_t extra);
void rtc__sctp_ev_simple(rtc_sctp_t *s, rtc_sctp_event_type_t type, uint16_t stream,
                         const char *reason);
/* A MESSAGE event holding p[0..len): the receive block itself when p is in it
 * and the message is big enough (no copy), else a copy. NULL: out of memory. */
rtc__sctp_ev_t *rtc__sctp_ev_push_message(rtc_sctp_t *s, uint16_t stream, const uint8_t *p,
                                          size_t len);
rtc__sctp_chan_t *rtc__sctp_chan_find(const rtc_sctp_t *s, uint16_t stream);
void rtc__sctp_chan_remove(rtc_sctp_t *s, rtc__sctp_chan_t *c);
void rtc__sctp_flush(rtc_sctp_t *s);
void rtc__sctp_chan_emit_open(rtc_sctp_t *s, rtc__sctp_chan_t *c);
void rtc__sctp_handle_message(rtc_sctp_t *s, uint16_t stream, uint32_t ppid, const uint8_t *p,
                              size_t len);
void rtc__sctp_chan_close_now(rtc_sctp_t *s, rtc__sctp_chan_t *c);

/* The global registry: usrsctp identifies an AF_CONN association by an opaque
 * sconn_addr and may call conn_output for it at any time (from a timer). We hand it
 * a handle (slot | generation << 32) rather than the object's pointer so that a late
 * callback for a destroyed association is recognised and dropped, never a
 * use-after-free. O(1) both ways. */
int rtc__sctp_registry_add(rtc_sctp_t *s, void **handle_out);
void rtc__sctp_registry_remove(void *handle);
rtc_sctp_t *rtc__sctp_registry_get(void *handle);
/* Called by the global timer for each association the tick woke, after usrsctp ran. */
void rtc__sctp_after_timers(rtc_sctp_t *s);
/* The time of the last global timer run (usrsctp's clock), in microseconds. */
uint64_t rtc__sctp_now_us(void);
/* From usrsctp's callbacks: during a tick, s joins the list of woken associations. */
void rtc__sctp_wake(rtc_sctp_t *s);
/* A stream reset is under way (a channel closing, or a reset deferred): s is woken on
 * every tick until none is (rtc__sctp_resetting), so that the reset is retried and
 * RTC__SCTP_RESET_TIMEOUT_US is enforced even when usrsctp does nothing for it. */
void rtc__sctp_watch(rtc_sctp_t *s);
bool rtc__sctp_resetting(const rtc_sctp_t *s);
/* Called from conn_output: copy the packet into s's transmit queue. */
void rtc__sctp_queue_packet(rtc_sctp_t *s, const void *buf, size_t len);

/* usrsctp's iterator on our loop (rtc_sctp_iterator.c): its thread is joined right
 * after init, and the work usrsctp queues for it runs after each timer tick. */
void rtc__sctp_iterator_stop_thread(void);
void rtc__sctp_iterator_run(void);
/* Tests: the thread is gone (the queue is ours), how many runs found work, and
 * whether work is waiting. */
bool rtc__sctp_iterator_is_ours(void);
uint32_t rtc__sctp_iterator_runs(void);
bool rtc__sctp_iterator_pending(void);

/* CRC32c over a whole SCTP packet (RFC 4960 appendix B), as usrsctp_crc32c. When
 * rtc__sctp_own_crc32c is set, usrsctp computes no checksum and every outgoing
 * packet gets one from rtc__sctp_fill_crc32c (see rtc_sctp_global.c). */
extern bool rtc__sctp_own_crc32c;
/* Internal SCTP ports (rtc_sctp_port.c). */
uint16_t rtc__sctp_port_alloc(rtc_sctp_t *s); /* an even port whose +1 is free too; 0: none */
void rtc__sctp_port_free(uint16_t port);
/* The association whose port pair holds `port` (what usrsctp's output carries). */
rtc_sctp_t *rtc__sctp_port_owner(uint16_t port);
/* One AF_CONN address for every association with a port pair of its own (the
 * ports tell them apart): usrsctp looked a registered address up in a 16-bucket
 * hash at each association's creation, 7% of B4's CPU at 6,000 pairs. */
extern char rtc__sctp_shared_addr;
/* An incoming packet with the wire ports rewritten to the internal ones (a copy in a
 * static buffer), or p itself when s translates nothing or the ports are not ours. */
const uint8_t *rtc__sctp_port_in(const rtc_sctp_t *s, const uint8_t *p, size_t len);
/* An outgoing packet from usrsctp: the internal ports rewritten to the wire ones, in
 * place (before its checksum is filled). */
void rtc__sctp_port_out(const rtc_sctp_t *s, uint8_t *p, size_t len);
uint32_t rtc__sctp_crc32c(const uint8_t *p, size_t len);
void rtc__sctp_fill_crc32c(uint8_t *pkt, size_t len);

/* Tests only: sends raw bytes with any PPID on a stream (e.g. a garbage DCEP
 * message), bypassing the channel layer. 0 or a negative RTC_E*. */
int rtc__sctp_send_raw(rtc_sctp_t *s, uint16_t stream, uint32_t ppid, const uint8_t *p, size_t len);
/* Tests only: one piece of a message (SCTP_EXPLICIT_EOR: eor ends it), so a test can
 * stream a message of any size, as a hostile peer would. Bytes taken, or RTC_EAGAIN
 * when usrsctp's send buffer is full. The association then sends nothing else. */
int rtc__sctp_send_raw_piece(rtc_sctp_t *s, uint16_t stream, uint32_t ppid, const uint8_t *p,
                             size_t len, bool eor);

#endif
