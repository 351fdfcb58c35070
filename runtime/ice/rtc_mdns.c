/* mDNS codec (RFC 6762, RFC 1035 4.1 message format). */
#include "ice/rtc_mdns.h"

#include <string.h>

#include "base/rtc_bytes.h"
#include "base/rtc_err.h"

/* RFC 1035 4.1.1: the fixed header. */
#define MDNS_HEADER_LEN 12
#define MDNS_FLAG_QR 0x8000u
#define MDNS_OPCODE_MASK 0x7800u
#define MDNS_RCODE_MASK 0x000Fu
#define MDNS_CLASS_IN 1
/* RFC 6762 10.2: the top bit of a record's class is cache-flush; 5.4: of a
 * question's class, unicast-response. Either way it is not part of the class. */
#define MDNS_CLASS_MASK 0x7FFFu
/* Compression pointers we follow for one name before calling it a loop. A name of
 * 255 bytes has at most 127 labels, but no sane sender chains more than a few. */
#define MDNS_MAX_JUMPS 64

static inline uint8_t mdns_lower(uint8_t c) {
  return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + ('a' - 'A')) : c;
}

/* Text name -> wire labels (len, bytes..., 0). One trailing dot is allowed; empty
 * labels are not. Returns the wire length or RTC_EINVAL. wire holds 255 bytes. */
static int mdns_name_encode(const char *name, uint8_t wire[RTC_MDNS_MAX_NAME]) {
  size_t n = strlen(name);
  if (n > 0 && name[n - 1] == '.') n--;
  if (n == 0) return RTC_EINVAL;
  size_t w = 0, start = 0;
  for (size_t i = 0; i <= n; i++) {
    if (i < n && name[i] != '.') continue;
    size_t l = i - start;
    if (l == 0 || l > RTC_MDNS_MAX_LABEL) return RTC_EINVAL;
    /* label length byte + label + the final root byte must fit in 255 */
    if (w + 1 + l + 1 > RTC_MDNS_MAX_NAME) return RTC_EINVAL;
    wire[w++] = (uint8_t)l;
    memcpy(wire + w, name + start, l);
    w += l;
    start = i + 1;
  }
  wire[w++] = 0;
  return (int)w;
}

/* Whether the last label of a wire name is "local" and there is one before it. */
static bool mdns_wire_is_local(const uint8_t *wire, size_t wlen) {
  size_t off = 0, last = 0, labels = 0;
  while (off < wlen && wire[off] != 0) {
    last = off;
    labels++;
    off += 1u + wire[off];
  }
  if (labels < 2 || wire[last] != 5) return false;
  static const char local[] = "local";
  for (size_t k = 0; k < 5; k++)
    if (mdns_lower(wire[last + 1 + k]) != (uint8_t)local[k]) return false;
  return true;
}

/* Reads the name at *off in (p, len) into wire form, following compression
 * pointers (RFC 1035 4.1.4), and moves *off past it in the message. Returns the
 * wire length or RTC_EPARSE. wire holds 255 bytes. */
static int mdns_name_read(const uint8_t *p, size_t len, size_t *off,
                          uint8_t wire[RTC_MDNS_MAX_NAME]) {
  size_t pos = *off, w = 0, end = 0;
  int jumps = 0;
  for (;;) {
    if (pos >= len) return RTC_EPARSE;
    uint8_t l = p[pos];
    if ((l & 0xC0) == 0xC0) {
      if (pos + 1 >= len) return RTC_EPARSE;
      size_t target = ((size_t)(l & 0x3F) << 8) | p[pos + 1];
      if (jumps == 0) end = pos + 2;
      if (++jumps > MDNS_MAX_JUMPS || target >= len) return RTC_EPARSE;
      pos = target;
      continue;
    }
    /* 0x40 and 0x80 are extended/reserved label types (RFC 6891 6.2): a label
     * of 64 bytes or more. */
    if (l > RTC_MDNS_MAX_LABEL) return RTC_EPARSE;
    if (l == 0) {
      wire[w++] = 0; /* w <= 254 here: every label below kept one byte for this */
      if (jumps == 0) end = pos + 1;
      break;
    }
    if (pos + 1u + l > len) return RTC_EPARSE;
    /* length byte + label + one byte kept for the root label (RFC 1035 2.3.4) */
    if (w + 1u + l + 1u > RTC_MDNS_MAX_NAME) return RTC_EPARSE;
    memcpy(wire + w, p + pos, 1u + l);
    w += 1u + l;
    pos += 1u + l;
  }
  *off = end;
  return (int)w;
}

static bool mdns_wire_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen) {
  if (alen != blen) return false;
  /* Length bytes are <= 63, so lowering them changes nothing. */
  for (size_t i = 0; i < alen; i++)
    if (mdns_lower(a[i]) != mdns_lower(b[i])) return false;
  return true;
}

bool rtc_mdns_is_local_name(const char *name) {
  if (!name) return false;
  size_t n = strlen(name);
  if (n > 0 && name[n - 1] == '.') n--;
  if (n <= 6) return false; /* ".local" alone, or shorter */
  const char *s = name + n - 6;
  static const char suffix[] = ".local";
  for (size_t k = 0; k < 6; k++)
    if (mdns_lower((uint8_t)s[k]) != (uint8_t)suffix[k]) return false;
  return s[-1] != '.';
}

int rtc_mdns_build_query(const char *name, uint16_t qtype, uint8_t *out, size_t outlen) {
  uint8_t wire[RTC_MDNS_MAX_NAME];
  if (!name || !out) return RTC_EINVAL;
  if (qtype != RTC_MDNS_TYPE_A && qtype != RTC_MDNS_TYPE_AAAA) return RTC_EINVAL;
  int wlen = mdns_name_encode(name, wire);
  if (wlen < 0) return wlen;
  if (!mdns_wire_is_local(wire, (size_t)wlen)) return RTC_EINVAL;
  size_t total = MDNS_HEADER_LEN + (size_t)wlen + 4;
  if (outlen < total) return RTC_ETOOBIG;
  memset(out, 0, MDNS_HEADER_LEN); /* id 0 (RFC 6762 18.1), flags 0: a standard query */
  rtc_wr16(out + 4, 1);            /* QDCOUNT; AN/NS/ARCOUNT stay 0 */
  memcpy(out + MDNS_HEADER_LEN, wire, (size_t)wlen);
  rtc_wr16(out + MDNS_HEADER_LEN + wlen, qtype);
  rtc_wr16(out + MDNS_HEADER_LEN + wlen + 2, MDNS_CLASS_IN); /* QU bit clear */
  return (int)total;
}

int rtc_mdns_parse_response(const uint8_t *p, size_t len, const char *name, rtc_addr_t *out) {
  uint8_t want[RTC_MDNS_MAX_NAME], got[RTC_MDNS_MAX_NAME];
  if (!p || !name || !out) return RTC_EINVAL;
  int wantlen = mdns_name_encode(name, want);
  if (wantlen < 0) return wantlen;
  if (len < MDNS_HEADER_LEN) return RTC_EPARSE;
  uint16_t flags = rtc_rd16(p + 2);
  /* RFC 6762 18.2: a query is not an answer; 18.3, 18.11: messages with another
   * opcode or a nonzero rcode MUST be silently ignored. The id is not checked
   * (18.1: any id is accepted in a multicast response). */
  if (!(flags & MDNS_FLAG_QR) || (flags & MDNS_OPCODE_MASK) || (flags & MDNS_RCODE_MASK)) return 0;
  unsigned qd = rtc_rd16(p + 4), an = rtc_rd16(p + 6), ns = rtc_rd16(p + 8), ar = rtc_rd16(p + 10);
  size_t off = MDNS_HEADER_LEN;
  /* Each question takes at least 5 bytes and each record 11, so the loops are
   * bounded by len whatever the counts say. */
  for (unsigned i = 0; i < qd; i++) {
    if (mdns_name_read(p, len, &off, got) < 0) return RTC_EPARSE;
    if (len - off < 4) return RTC_EPARSE;
    off += 4; /* QTYPE, QCLASS */
  }
  unsigned nrec = an + ns + ar;
  for (unsigned i = 0; i < nrec; i++) {
    int glen = mdns_name_read(p, len, &off, got);
    if (glen < 0) return RTC_EPARSE;
    if (len - off < 10) return RTC_EPARSE;
    uint16_t type = rtc_rd16(p + off), cls = rtc_rd16(p + off + 2);
    uint32_t ttl = rtc_rd32(p + off + 4);
    size_t rdlen = rtc_rd16(p + off + 8);
    off += 10;
    if (len - off < rdlen) return RTC_EPARSE;
    const uint8_t *rd = p + off;
    off += rdlen;
    bool in_authority = i >= an && i < an + ns;
    if (in_authority || (cls & MDNS_CLASS_MASK) != MDNS_CLASS_IN || ttl == 0) continue;
    if (type != RTC_MDNS_TYPE_A && type != RTC_MDNS_TYPE_AAAA) continue;
    if (!mdns_wire_equal(got, (size_t)glen, want, (size_t)wantlen)) continue;
    if (rdlen != (type == RTC_MDNS_TYPE_A ? 4u : 16u)) return RTC_EPARSE;
    memset(out, 0, sizeof *out); /* port 0 */
    if (type == RTC_MDNS_TYPE_A) {
      out->u.in4.sin_family = AF_INET;
      memcpy(&out->u.in4.sin_addr, rd, 4);
    } else {
      out->u.in6.sin6_family = AF_INET6;
      memcpy(&out->u.in6.sin6_addr, rd, 16);
    }
    return 1;
  }
  return 0;
}
