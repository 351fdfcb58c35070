/* Internal SCTP ports: usrsctp finds the endpoint of a packet, and checks a bind, by
 * walking every endpoint bound to the packet's local port (sctp_pcb_findep), and its
 * connected-socket hash is keyed by local|remote port. Every WebRTC association uses
 * port 5000 on both ends (RFC 8841's default, and Pion sends to 5000 whatever the
 * peer announces), so with thousands of associations in a process each bind and
 * each INIT/COOKIE-ECHO walked all of them: 27% of the CPU at 2,500 pairs (bench
 * PROFILE.md, B4).
 *
 * The ports of an AF_CONN association are only numbers inside usrsctp, so each
 * association gets its own pair (local 2k, remote 2k+1): usrsctp sees distinct ports
 * and finds its buckets at once, while the wire keeps the announced ports. Packets
 * are rewritten on the way in and out. That needs the checksum to be ours: usrsctp's
 * CRC32c offload (rtc_sctp_global.c) leaves input unchecked (DTLS authenticated it)
 * and lets us fill the output's after the rewrite. Without it (no SSE4.2) the wire
 * ports are used as they are. */
#include <string.h>

#include "sctp/rtc_sctp_internal.h"

#define SCTP_PORT_FIRST 1024u                       /* pairs from 1024/1025 ... */
#define SCTP_PORT_PAIRS ((65536u - SCTP_PORT_FIRST) / 2) /* ... to 65534/65535 */

static rtc_sctp_t *sctp_port_owner[SCTP_PORT_PAIRS]; /* NULL: the pair is free */
static unsigned sctp_port_next; /* where the search starts: ports are reused last */
char rtc__sctp_shared_addr;

uint16_t rtc__sctp_port_alloc(rtc_sctp_t *s) {
  if (!rtc__sctp_own_crc32c) return 0;
  for (unsigned n = 0; n < SCTP_PORT_PAIRS; n++) {
    unsigned i = (sctp_port_next + n) % SCTP_PORT_PAIRS;
    if (sctp_port_owner[i]) continue;
    sctp_port_owner[i] = s;
    sctp_port_next = (i + 1) % SCTP_PORT_PAIRS;
    return (uint16_t)(SCTP_PORT_FIRST + 2 * i);
  }
  return 0;
}

void rtc__sctp_port_free(uint16_t port) {
  if (port < SCTP_PORT_FIRST) return;
  sctp_port_owner[(port - SCTP_PORT_FIRST) / 2] = NULL;
}

rtc_sctp_t *rtc__sctp_port_owner(uint16_t port) {
  if (port < SCTP_PORT_FIRST) return NULL;
  return sctp_port_owner[(port - SCTP_PORT_FIRST) / 2];
}

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static void put16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

const uint8_t *rtc__sctp_port_in(const rtc_sctp_t *s, const uint8_t *p, size_t len) {
  /* One packet at a time: usrsctp_conninput copies it before the next arrives. A
   * DTLS record holds at most 16 KiB. */
  static uint8_t buf[16384 + 2048];
  if (!s->port || len < 12 || len > sizeof buf) return p;
  /* A packet for other ports stays as it is: usrsctp treats it as out of the blue,
   * as it did before. */
  if (get16(p) != s->cfg.remote_port || get16(p + 2) != s->cfg.local_port) return p;
  memcpy(buf, p, len);
  put16(buf, (uint16_t)(s->port + 1));
  put16(buf + 2, s->port);
  return buf;
}

void rtc__sctp_port_out(const rtc_sctp_t *s, uint8_t *p, size_t len) {
  if (!s->port || len < 12) return;
  put16(p, s->cfg.local_port);
  put16(p + 2, s->cfg.remote_port);
}
