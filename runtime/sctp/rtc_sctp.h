/* SCTP over DTLS (RFC 8261) with usrsctp in AF_CONN mode and without its threads
 * (usrsctp_init_nothreads), plus the data-channel layer: DCEP (RFC 8832) and
 * RFC 8831 data channels. Sans-IO: packets from DTLS go in with
 * rtc_sctp_handle_packet, packets for DTLS come out of rtc_sctp_poll_transmit.
 *
 * usrsctp keeps ONE timer wheel for the whole process: rtc_sctp_global_* drive it
 * and may make any association produce packets or events; the owner then polls
 * the associations the tick woke (rtc_sctp_global_poll_woken), not all of them.
 *
 * Stream ids (RFC 8832 section 6): the DTLS client uses even ids, the server odd.
 * Send buffering: messages usrsctp cannot take yet (EWOULDBLOCK) wait in a
 * per-channel queue in order; buffered_amount = bytes queued here and not yet
 * accepted by usrsctp, so "bufferedamountlow" fires as usrsctp drains. */
#ifndef RTC_SCTP_H
#define RTC_SCTP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct rtc_sctp rtc_sctp_t;

#define RTC_SCTP_MAX_CHANNELS 1024 /* streams per association we accept */
#define RTC_SCTP_DEFAULT_MAX_MESSAGE_SIZE 262144

/* Idempotent; RTC_EIO when usrsctp cannot be initialised. */
int rtc_sctp_global_init(void);
/* Advance usrsctp's timers to now. */
void rtc_sctp_global_handle_timeout(uint64_t now_us);
/* After rtc_sctp_global_handle_timeout: the owner (rtc_sctp_config_t.owner) of one
 * association the tick woke (a packet to send, something to read), false once none
 * is left. Associations destroyed since are skipped. The cost of a tick thus
 * follows the associations that did something, not how many exist. */
bool rtc_sctp_global_poll_woken(void **owner);
/* When to call rtc_sctp_global_handle_timeout next (a tick while any association
 * exists: usrsctp exposes no next deadline; 10 ms, longer past 1000 associations,
 * see rtc_sctp_global.c), RTC_NEVER when none exists. */
uint64_t rtc_sctp_global_poll_timeout(uint64_t now_us);

/* The largest message rtc_sctp_channel_send takes, whatever the peer accepts: usrsctp's
 * send space per association (a non-blocking socket refuses a larger message without
 * explicit EOR). W3C's "canSendSize". */
#define RTC_SCTP_MAX_SEND_SIZE (1024u * 1024u)

typedef struct rtc_sctp_config {
  uint16_t local_port;            /* a=sctp-port we announced (5000) */
  uint16_t remote_port;           /* the peer's a=sctp-port */
  bool dtls_client;               /* decides even/odd stream ids */
  size_t remote_max_message_size; /* peer's a=max-message-size; 0 = no limit (RFC 8841: 0 means "any
                                     size") */
  size_t local_max_message_size;  /* what we accept (our a=max-message-size) */
  /* Added by sctp. local_max_message_size 0 means RTC_SCTP_DEFAULT_MAX_MESSAGE_SIZE
   * (the reassembly buffer must stay bounded). max_streams: streams negotiated each
   * way (SCTP_INITMSG), so channel ids are 0..max_streams-1 (capped to what the
   * peer announces). 0 = RTC_SCTP_MAX_CHANNELS.
   * usrsctp keeps ~100 bytes per stream pair: 1024 streams cost ~100 KiB per
   * association, 256 ~25 KiB; a peer (Chrome) can only open ids below our count. */
  uint16_t max_streams;
  /* Bytes one channel may queue (its buffered amount) before send says RTC_EAGAIN;
   * 0: 16 MiB. */
  size_t max_buffered;
  void *owner; /* handed back by rtc_sctp_global_poll_woken */
} rtc_sctp_config_t;

typedef enum rtc_sctp_event_type {
  RTC_SCTP_EVENT_CONNECTED,           /* association up */
  RTC_SCTP_EVENT_DISCONNECTED,        /* association lost/aborted */
  RTC_SCTP_EVENT_CHANNEL_REMOTE_OPEN, /* peer's DCEP OPEN: ev.stream, ev.label, ev.protocol, params
                                       */
  RTC_SCTP_EVENT_CHANNEL_OPEN, /* our channel acked (or negotiated channel usable): ev.stream */
  RTC_SCTP_EVENT_MESSAGE,      /* ev.stream, ev.binary, ev.data/ev.len (borrowed until next poll) */
  RTC_SCTP_EVENT_CHANNEL_CLOSED, /* stream reset done (either side): ev.stream */
  RTC_SCTP_EVENT_BUFFERED_LOW,   /* buffered amount fell to/below the threshold: ev.stream */
  RTC_SCTP_EVENT_CHANNEL_ERROR,  /* ev.stream, ev.reason (e.g. message too big from peer) */
} rtc_sctp_event_type_t;

typedef struct rtc_sctp_channel_params {
  const char *label;    /* copied; may be NULL = "" */
  const char *protocol; /* copied; may be NULL = "" */
  bool ordered;
  int max_retransmits;      /* -1: not set */
  int max_packet_life_time; /* ms, -1: not set */
  uint16_t priority;        /* DCEP priority; 0: default 256 */
} rtc_sctp_channel_params_t;

typedef struct rtc_sctp_event {
  rtc_sctp_event_type_t type;
  uint16_t stream;
  bool binary;
  const uint8_t *data;
  size_t len;
  const char *label, *protocol; /* REMOTE_OPEN; borrowed until next poll */
  bool ordered;
  int max_retransmits, max_packet_life_time;
  const char *reason;
} rtc_sctp_event_t;

rtc_sctp_t *rtc_sctp_create(const rtc_sctp_config_t *cfg);
void rtc_sctp_destroy(rtc_sctp_t *s); /* NULL is fine; aborts the association */
/* Aborts the association now; the ABORT packet stays available from
 * rtc_sctp_poll_transmit until destroy. Nothing else works afterwards. */
void rtc_sctp_abort(rtc_sctp_t *s);
/* Both sides connect (simultaneous open works, RFC 8841). Call once DTLS is up. */
int rtc_sctp_start(rtc_sctp_t *s);
/* A decrypted DTLS application-data record. */
int rtc_sctp_handle_packet(rtc_sctp_t *s, const uint8_t *p, size_t len);
/* Packets for DTLS to encrypt and send; borrowed until next call. */
bool rtc_sctp_poll_transmit(rtc_sctp_t *s, const uint8_t **p, size_t *len);
bool rtc_sctp_poll_event(rtc_sctp_t *s, rtc_sctp_event_t *out);
/* Takes over the block that holds the event rtc_sctp_poll_event just returned
 * (its data, label, protocol stay where they are): the caller free()s it, when it
 * likes, instead of copying a message out. NULL if there is none. */
void *rtc_sctp_take_event(rtc_sctp_t *s);
bool rtc_sctp_is_connected(const rtc_sctp_t *s);
/* The peer's a=max-message-size changed (renegotiation): what channel_send takes
 * from now on (0: no limit but ours). */
void rtc_sctp_set_remote_max_message_size(rtc_sctp_t *s, size_t mms);
/* Streams usable each way: what we announce, and once connected no more than the
 * peer negotiated (W3C RTCSctpTransport.maxChannels). */
uint16_t rtc_sctp_max_streams(const rtc_sctp_t *s);
/* Packets or events are waiting (after input or the global timer). O(1). */
bool rtc_sctp_has_pending(const rtc_sctp_t *s);

/* Opens a channel. stream < 0: pick the next free id of our parity and write it to
 * *stream_out, send DCEP OPEN. negotiated: no DCEP, stream must be >= 0, usable at once
 * (CHANNEL_OPEN event once the association is up). May be called before CONNECTED:
 * the OPEN goes out when it comes up. RTC_EINVAL (bad stream / taken), RTC_ELIMIT. */
int rtc_sctp_channel_open(rtc_sctp_t *s, const rtc_sctp_channel_params_t *params, bool negotiated,
                          int stream, uint16_t *stream_out);
/* Queues one message (PPID string/binary; empty messages use the EMPTY PPIDs).
 * RTC_ETOOBIG above the peer's max-message-size; RTC_ESTATE if not open. */
int rtc_sctp_channel_send(rtc_sctp_t *s, uint16_t stream, bool binary, const uint8_t *p,
                          size_t len);
/* Graceful close: flush, then reset the outgoing stream (RFC 8831 6.7). */
int rtc_sctp_channel_close(rtc_sctp_t *s, uint16_t stream);
size_t rtc_sctp_channel_buffered_amount(const rtc_sctp_t *s, uint16_t stream);
void rtc_sctp_channel_set_low_threshold(rtc_sctp_t *s, uint16_t stream, size_t threshold);

typedef struct rtc_sctp_stats {
  uint64_t packets_dropped; /* malformed DCEP etc. */
  uint64_t messages_sent, messages_received, bytes_sent, bytes_received;
  uint64_t resets_timed_out; /* channels closed because the peer never finished a reset */
} rtc_sctp_stats_t;
void rtc_sctp_get_stats(const rtc_sctp_t *s, rtc_sctp_stats_t *out);

#endif
