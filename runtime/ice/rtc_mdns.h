/* mDNS codec (RFC 6762 over the RFC 1035 message format), only what ICE needs
 * (draft-ietf-mmusic-mdns-ice-candidates): to resolve a browser's obfuscated host
 * candidate ("<uuid>.local", Chromium's default), build a one-question query and
 * find an A or AAAA record for one name in a response; to announce our own host
 * candidates under such names, find the questions about one of them in a query and
 * write the answer. Pure functions, no state, no sockets: io/ sends to and receives
 * from RTC_MDNS_GROUP_V4:RTC_MDNS_PORT. */
#ifndef RTC_MDNS_H
#define RTC_MDNS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/rtc_addr.h"

#define RTC_MDNS_PORT 5353
#define RTC_MDNS_GROUP_V4 "224.0.0.251"

#define RTC_MDNS_TYPE_A 1     /* RFC 1035 3.2.2 */
#define RTC_MDNS_TYPE_AAAA 28 /* RFC 3596 2.1 */

/* RFC 1035 2.3.4: a name is at most 255 bytes on the wire, a label at most 63. */
#define RTC_MDNS_MAX_NAME 255
#define RTC_MDNS_MAX_LABEL 63

/* Writes a one-question query for name ("<uuid>.local", a trailing dot allowed)
 * into out: id 0 (RFC 6762 18.1 for multicast queries), all flags clear, QTYPE
 * qtype (RTC_MDNS_TYPE_A or RTC_MDNS_TYPE_AAAA), QCLASS IN with the unicast-response
 * bit clear (a QM question, RFC 6762 5.4: Chromium answers by multicast).
 * Returns the length written, or
 *   RTC_EINVAL  name NULL or not a .local name (labels 1..63 bytes, at most 255
 *               bytes on the wire, last label "local" in any case, at least one
 *               label before it), qtype not A/AAAA, out NULL;
 *   RTC_ETOOBIG outlen too small (a 36-byte UUID label needs 60 bytes). */
int rtc_mdns_build_query(const char *name, uint16_t qtype, uint8_t *out, size_t outlen);

/* Looks in a response (p, len), borrowed for the call, for an A or AAAA record
 * (class IN, the cache-flush bit ignored) in the answer or additional section
 * whose owner name equals name (ASCII case-insensitive, trailing dot optional;
 * compression pointers followed, at most 64 jumps, always inside the message).
 * The first such record in message order wins and parsing stops there. Records
 * with TTL 0 are goodbyes (RFC 6762 10.1) and never match.
 * Returns
 *   1            a match: *out holds the address (AF_INET or AF_INET6), port 0;
 *                an IPv6 link-local address has no scope id: the caller knows the
 *                interface the response arrived on;
 *   0            no matching record, or not a response at all (QR clear, opcode
 *                not 0, or rcode not 0: RFC 6762 18.3, 18.11 say ignore it);
 *   RTC_EPARSE   malformed before a match: truncated header, question or record,
 *                a pointer outside the message or in a loop, a label over 63
 *                bytes or of a reserved type, a name over 255 bytes, an A/AAAA
 *                record for name with the wrong RDLENGTH;
 *   RTC_EINVAL   p, name or out NULL, or name not a valid domain name.
 * *out is written only when 1 is returned. */
int rtc_mdns_parse_response(const uint8_t *p, size_t len, const char *name, rtc_addr_t *out);

/* Looks in a query (p, len), borrowed for the call, for questions about name (class
 * IN, ASCII case-insensitive, trailing dot optional). Returns
 *   a mask of what they ask: 1 for A, 2 for AAAA (ANY asks both); *qu (may be NULL)
 *                says whether one of them set the unicast-response bit (RFC 6762 5.4),
 *                and is false on any other return;
 *   0            no such question, or not a query (QR set, opcode not 0: 18.3);
 *   RTC_EPARSE   malformed before the questions end (truncated, bad pointers or labels,
 *                as for responses);
 *   RTC_EINVAL   p or name NULL, or name not a valid domain name.
 * Records after the questions (known answers, RFC 6762 7.1) are not read. */
int rtc_mdns_query_asks(const uint8_t *p, size_t len, const char *name, bool *qu);

/* Writes the answer to a query for name: one A (AF_INET addr) or AAAA (AF_INET6)
 * record, class IN with the cache-flush bit (RFC 6762 10.2: the name is ours alone),
 * TTL ttl seconds, flags QR + AA. A multicast answer (legacy false) has id 0, no
 * question (18.1, 6) and an NSEC record saying the name has no other type (6.1).
 * The answer to a legacy unicast query (a source port other than 5353, 6.7) echoes
 * its id and repeats the question. Returns the length, or RTC_EINVAL (name not a
 * .local name, addr neither family, out NULL), RTC_ETOOBIG. */
int rtc_mdns_build_answer(const char *name, const rtc_addr_t *addr, uint32_t ttl, bool legacy,
                          uint16_t id, uint8_t *out, size_t outlen);

/* Writes a random name for one of our host addresses into out (at least
 * RTC_MDNS_UUID_NAME_LEN + 1 bytes): a version 4 UUID (RFC 4122 4.4) and ".local",
 * as the draft (3.1.1) and Chromium make them. */
#define RTC_MDNS_UUID_NAME_LEN 42
void rtc_mdns_random_name(char *out);

/* Whether a candidate's address is an mDNS name: something followed by ".local"
 * (ASCII case-insensitive, one trailing dot allowed). False for NULL. Does not
 * validate the labels: rtc_mdns_build_query does. */
bool rtc_mdns_is_local_name(const char *name);

#endif
