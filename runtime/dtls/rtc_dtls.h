/* DTLS 1.2 over mbedTLS with in-memory I/O (RFC 6347, RFC 8842 for WebRTC use),
 * sans-IO. The owner feeds received DTLS records and the time, polls datagrams
 * to send and events.
 *
 * - The peer's certificate is checked against the fingerprint from its SDP; a
 *   mismatch fails the handshake (event FAILED) and no data is ever delivered.
 * - The DTLS-SRTP extension (RFC 5764) is offered/accepted with
 *   SRTP_AES128_CM_SHA1_80 (mbedTLS 2.28 has no GCM profile id); the keying material is
 *   exported for media.
 * - Retransmission starts from initial_rto_ms (set from the ICE RTT), not a fixed second,
 *   and doubles up to max_rto_ms (60 s, RFC 6347 4.2.4.1). The handshake gives up after
 *   12 timeouts in a row with nothing from the peer (BoringSSL's count: minutes), with
 *   a fatal alert; before that the owner's ICE decides (a failed path fails the pc).
 * - Server role: a ClientHello split over several handshake fragments/datagrams
 *   (browsers' large post-quantum key shares) is reassembled before mbedTLS reads
 *   it, since mbedTLS 2.28 refuses fragmented ClientHellos.
 * - Datagrams handed in before rtc_dtls_start are kept (bounded) and processed
 *   on start: a ClientHello that arrives early is not lost. */
#ifndef RTC_DTLS_H
#define RTC_DTLS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dtls/rtc_dtls_cert.h"

typedef struct rtc_dtls rtc_dtls_t;

typedef enum rtc_dtls_role {
  RTC_DTLS_ROLE_CLIENT = 0, /* a=setup:active */
  RTC_DTLS_ROLE_SERVER = 1, /* a=setup:passive */
} rtc_dtls_role_t;

typedef enum rtc_dtls_state {
  RTC_DTLS_NEW = 0,
  RTC_DTLS_CONNECTING,
  RTC_DTLS_CONNECTED,
  RTC_DTLS_CLOSED,
  RTC_DTLS_FAILED,
} rtc_dtls_state_t;

typedef struct rtc_dtls_config {
  rtc_dtls_cert_t *cert;   /* required; the dtls object takes its own reference */
  uint32_t initial_rto_ms; /* 0: default (100 ms) */
  uint32_t max_rto_ms;     /* the RTO's cap, not a give-up; 0: default (60 s) */
  uint16_t mtu;            /* 0: default 1200 (fits any path WebRTC uses) */
} rtc_dtls_config_t;

typedef enum rtc_dtls_event_type {
  RTC_DTLS_EVENT_CONNECTED, /* handshake done, fingerprint verified */
  RTC_DTLS_EVENT_DATA,      /* application data: ev.data/ev.len borrowed until next poll */
  RTC_DTLS_EVENT_CLOSED,    /* close_notify received */
  RTC_DTLS_EVENT_FAILED,    /* handshake or fatal alert; ev.reason says why */
} rtc_dtls_event_type_t;

typedef struct rtc_dtls_event {
  rtc_dtls_event_type_t type;
  const uint8_t *data;
  size_t len;
  const char *reason; /* static or owned by the dtls object until next poll */
  /* FAILED: the fatal alert received / sent (RFC 5246 7.2 codes), -1 when none */
  int alert_received, alert_sent;
} rtc_dtls_event_t;

rtc_dtls_t *rtc_dtls_create(const rtc_dtls_config_t *cfg);
void rtc_dtls_destroy(rtc_dtls_t *d); /* NULL is fine */

/* Once the role and the peer's fingerprint are known (both from SDP). The client
 * sends its ClientHello at once. fingerprint: "AB:CD:.." hex, case-insensitive;
 * alg: "sha-256" (also "sha-1", "sha-384", "sha-512"). */
int rtc_dtls_start(rtc_dtls_t *d, uint64_t now_us, rtc_dtls_role_t role, const char *fp_alg,
                   const char *fingerprint);
/* The initial RTO (from the ICE round trip); held to at most 3 s, as libwebrtc does. */
void rtc_dtls_set_rto(rtc_dtls_t *d, uint32_t initial_rto_ms);

int rtc_dtls_handle_datagram(rtc_dtls_t *d, uint64_t now_us, const uint8_t *p, size_t len);
int rtc_dtls_handle_timeout(rtc_dtls_t *d, uint64_t now_us);
uint64_t rtc_dtls_poll_timeout(const rtc_dtls_t *d); /* RTC_NEVER when idle */
/* The next datagram to send; borrowed until the next call on d. */
bool rtc_dtls_poll_transmit(rtc_dtls_t *d, const uint8_t **p, size_t *len);
bool rtc_dtls_poll_event(rtc_dtls_t *d, rtc_dtls_event_t *out);

/* Encrypts one record of application data (len <= 16384); RTC_ESTATE before connected. */
int rtc_dtls_send(rtc_dtls_t *d, const uint8_t *p, size_t len);
/* Sends close_notify; the state becomes closed. */
void rtc_dtls_close(rtc_dtls_t *d);
rtc_dtls_state_t rtc_dtls_state(const rtc_dtls_t *d);
/* The negotiated suite's IANA name ("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", as
 * W3C RTCTransportStats.dtlsCipher has it) once connected, else NULL. */
const char *rtc_dtls_cipher_suite(const rtc_dtls_t *d);
/* The peer's certificate (DER, the one its fingerprint matched) once connected,
 * borrowed until destroy; false before. */
bool rtc_dtls_peer_certificate(const rtc_dtls_t *d, const uint8_t **der, size_t *len);
/* The role given to rtc_dtls_start, or -1 before it. */
int rtc_dtls_get_role(const rtc_dtls_t *d);

/* RFC 5764 keying material after CONNECTED. profile: the libsrtp2-independent
 * IANA id (1 = AES128_CM_SHA1_80, 7 = AEAD_AES_128_GCM). Keys/salts as the RFC
 * splits them (client_write_key, server_write_key, client_salt, server_salt). */
typedef struct rtc_dtls_srtp_keys {
  uint16_t profile;
  uint8_t client_key[32], server_key[32];
  uint8_t client_salt[14], server_salt[14];
  size_t key_len, salt_len;
} rtc_dtls_srtp_keys_t;
int rtc_dtls_get_srtp_keys(const rtc_dtls_t *d, rtc_dtls_srtp_keys_t *out);

#endif
