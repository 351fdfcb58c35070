/* A sans-IO TLS stream (TLS 1.2 over mbedTLS 2.28) for signaling: wss:// and https://.
 *
 * The stream never touches a socket: the owner feeds the bytes it read from the
 * TCP connection to rtc_tls_handle_input, takes the plaintext that came out with
 * rtc_tls_read and the bytes to send with rtc_tls_poll_transmit. Plaintext written
 * before the handshake is done is kept and sent after it.
 *
 * A client verifies the server's certificate by default: against a CA bundle (the
 * system one, /etc/ssl/certs/ca-certificates.crt, unless the config names another)
 * and against the host name given at creation (SNI and subjectAltName). A config is
 * shared by the streams made from it (reference counted): parsing a CA bundle once
 * per process instead of once per connection matters to a swarm of bots. */
#ifndef RTC_TLS_H
#define RTC_TLS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct rtc_tls_config rtc_tls_config_t;
typedef struct rtc_tls rtc_tls_t;

typedef struct rtc_tls_config_opts {
  bool server;
  bool no_verify;       /* client: accept any certificate (tests, self-signed peers) */
  const char *ca_file;  /* client: PEM bundle; NULL: the system bundle */
  const char *ca_pem;   /* client: PEM text instead of a file (NUL-terminated) */
  const char *cert_pem; /* server: certificate chain, PEM (NUL-terminated) */
  const char *key_pem;  /* server: its private key, PEM (NUL-terminated) */
} rtc_tls_config_opts_t;

/* Creates a config (one reference). On failure returns a negative RTC_E* and writes
 * why into err (errlen bytes). */
int rtc_tls_config_create(rtc_tls_config_t **out, const rtc_tls_config_opts_t *o, char *err,
                          size_t errlen);
/* Drops one reference; the config is freed when no stream uses it. NULL is fine. */
void rtc_tls_config_release(rtc_tls_config_t *c);

/* Creates a stream on cfg (takes a reference to it). hostname: the name a client
 * checks and sends as SNI (may be NULL only with no_verify); ignored by a server. A
 * client's ClientHello is queued at once: poll_transmit it. */
int rtc_tls_create(rtc_tls_t **out, rtc_tls_config_t *cfg, const char *hostname);
void rtc_tls_destroy(rtc_tls_t *t); /* NULL is fine */

/* Bytes read from the transport. Drives the handshake and decrypts records; the
 * plaintext is then there for rtc_tls_read. Returns 0, or a negative RTC_E* on a
 * fatal error (bad certificate, bad record: rtc_tls_error says why); after that the
 * stream is dead. */
int rtc_tls_handle_input(rtc_tls_t *t, const uint8_t *p, size_t len);
/* Plaintext to send: encrypted now, or kept until the handshake is done. */
int rtc_tls_write(rtc_tls_t *t, const uint8_t *p, size_t len);
/* Moves up to cap bytes of received plaintext into buf; returns how many. */
size_t rtc_tls_read(rtc_tls_t *t, uint8_t *buf, size_t cap);
size_t rtc_tls_pending_plaintext(const rtc_tls_t *t);
/* Bytes to send on the transport, borrowed until the next call on t; then call
 * rtc_tls_consume_transmit(t, len). Returns false when there is nothing. */
bool rtc_tls_poll_transmit(rtc_tls_t *t, const uint8_t **p, size_t *len);
void rtc_tls_consume_transmit(rtc_tls_t *t, size_t len);
/* Queues a close_notify alert. */
int rtc_tls_close(rtc_tls_t *t);
bool rtc_tls_is_established(const rtc_tls_t *t);
/* True once the peer sent close_notify. */
bool rtc_tls_peer_closed(const rtc_tls_t *t);
/* Why the stream failed ("" while it has not). */
const char *rtc_tls_error(const rtc_tls_t *t);

#endif
