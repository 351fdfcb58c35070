/* mDNS codec (RFC 6762, RFC 1035 4.1 message format). */
#include "ice/rtc_mdns.h"

#include <stdio.h>
#include <string.h>

#include "base/rtc_bytes.h"
#include "base/rtc_err.h"
#include "base/rtc_random.h"

/* RFC 1035 4.1.1: the fixed header. */
#define MDNS_HEADER_LEN 12
#define MDNS_FLAG_QR 0x8000u
#define MDNS_OPCODE_MASK 0x7800u
#define MDNS_RCODE_MASK 0x000Fu
#define MDNS_CLASS_IN 1
#define MDNS_TYPE_ANY 255         /* RFC 1035 3.2.3 QTYPE "*" */
#define MDNS_CLASS_ANY 255        /* RFC 1035 3.2.5 QCLASS "*" */
#define MDNS_TYPE_NSEC 47         /* RFC 4034 4 */
#define MDNS_FLAGS_ANSWER 0x8400u /* QR + AA (RFC 6762 18.4: AA set in every answer) */
#define MDNS_CACHE_FLUSH 0x8000u
#define MDNS_LEGACY_TTL_MAX 10 /* RFC 6762 6.7: TTL of a legacy unicast answer */
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

int rtc_mdns_query_asks(const uint8_t *p, size_t len, const char *name, bool *qu) {
  uint8_t want[RTC_MDNS_MAX_NAME], got[RTC_MDNS_MAX_NAME];
  if (!p || !name) return RTC_EINVAL;
  int wantlen = mdns_name_encode(name, want);
  if (wantlen < 0) return wantlen;
  if (qu) *qu = false;
  if (len < MDNS_HEADER_LEN) return RTC_EPARSE;
  bool unicast = false; /* written to *qu only when every question parsed */
  uint16_t flags = rtc_rd16(p + 2);
  /* RFC 6762 18.3: other opcodes are ignored; 18.11: so is a query with a nonzero
   * rcode. A query with TC set has known answers to follow (7.2): we keep none, so
   * it is answered as is. */
  if ((flags & MDNS_FLAG_QR) || (flags & MDNS_OPCODE_MASK) || (flags & MDNS_RCODE_MASK)) return 0;
  unsigned qd = rtc_rd16(p + 4);
  size_t off = MDNS_HEADER_LEN;
  int mask = 0;
  for (unsigned i = 0; i < qd; i++) { /* 5 bytes at least each: bounded by len */
    int glen = mdns_name_read(p, len, &off, got);
    if (glen < 0) return RTC_EPARSE;
    if (len - off < 4) return RTC_EPARSE;
    uint16_t type = rtc_rd16(p + off), cls = rtc_rd16(p + off + 2);
    off += 4;
    if ((cls & MDNS_CLASS_MASK) != MDNS_CLASS_IN && (cls & MDNS_CLASS_MASK) != MDNS_CLASS_ANY)
      continue;
    if (!mdns_wire_equal(got, (size_t)glen, want, (size_t)wantlen)) continue;
    int m = type == RTC_MDNS_TYPE_A      ? 1
            : type == RTC_MDNS_TYPE_AAAA ? 2
            : type == MDNS_TYPE_ANY      ? 3
                                         : 0;
    if (m && (cls & ~MDNS_CLASS_MASK)) unicast = true;
    mask |= m;
  }
  if (qu) *qu = unicast;
  return mask;
}

int rtc_mdns_build_answer(const char *name, const rtc_addr_t *addr, uint32_t ttl, bool legacy,
                          uint16_t id, uint8_t *out, size_t outlen) {
  uint8_t wire[RTC_MDNS_MAX_NAME];
  if (!name || !addr || !out) return RTC_EINVAL;
  int fam = rtc_addr_family(addr);
  if (fam != AF_INET && fam != AF_INET6) return RTC_EINVAL;
  int wlen = mdns_name_encode(name, wire);
  if (wlen < 0) return wlen;
  if (!mdns_wire_is_local(wire, (size_t)wlen)) return RTC_EINVAL;
  uint16_t type = fam == AF_INET ? RTC_MDNS_TYPE_A : RTC_MDNS_TYPE_AAAA;
  size_t rdlen = fam == AF_INET ? 4 : 16;
  /* RFC 6762 6.1: with a multicast answer, an NSEC record saying the name has no
   * other type, so that a resolver asking for both A and AAAA stops waiting for the
   * other (Chromium's responder sends one too). Its type bitmap (RFC 4034 4.1.2):
   * window 0, as many bytes as reach the bit of our one type. */
  size_t bmlen = type == RTC_MDNS_TYPE_A ? 1 : 4;
  size_t nsec = legacy ? 0 : 2 + 10 + 2 + 2 + bmlen;
  /* Legacy: the question, then the record's owner as a pointer to it (offset 12). */
  size_t total =
      MDNS_HEADER_LEN + (legacy ? (size_t)wlen + 4 + 2 : (size_t)wlen) + 10 + rdlen + nsec;
  if (outlen < total) return RTC_ETOOBIG;
  memset(out, 0, MDNS_HEADER_LEN);
  rtc_wr16(out, legacy ? id : 0);
  rtc_wr16(out + 2, MDNS_FLAGS_ANSWER);
  rtc_wr16(out + 4, legacy ? 1 : 0);
  rtc_wr16(out + 6, 1);
  rtc_wr16(out + 10, legacy ? 0 : 1);
  size_t off = MDNS_HEADER_LEN;
  memcpy(out + off, wire, (size_t)wlen);
  off += (size_t)wlen;
  if (legacy) {
    rtc_wr16(out + off, type);
    rtc_wr16(out + off + 2, MDNS_CLASS_IN);
    off += 4;
    rtc_wr16(out + off, 0xC000u | MDNS_HEADER_LEN);
    off += 2;
    if (ttl > MDNS_LEGACY_TTL_MAX) ttl = MDNS_LEGACY_TTL_MAX;
  }
  rtc_wr16(out + off, type);
  /* 6.7: no cache-flush bit in a legacy unicast answer (a plain DNS resolver reads it) */
  rtc_wr16(out + off + 2, legacy ? MDNS_CLASS_IN : (MDNS_CACHE_FLUSH | MDNS_CLASS_IN));
  rtc_wr32(out + off + 4, ttl);
  rtc_wr16(out + off + 8, (uint16_t)rdlen);
  off += 10;
  if (fam == AF_INET)
    memcpy(out + off, &addr->u.in4.sin_addr, 4);
  else
    memcpy(out + off, &addr->u.in6.sin6_addr, 16);
  off += rdlen;
  if (legacy) return (int)off;
  rtc_wr16(out + off, 0xC000u | MDNS_HEADER_LEN); /* owner: the answer's name */
  rtc_wr16(out + off + 2, MDNS_TYPE_NSEC);
  rtc_wr16(out + off + 4, MDNS_CACHE_FLUSH | MDNS_CLASS_IN);
  rtc_wr32(out + off + 6, ttl);
  rtc_wr16(out + off + 10, (uint16_t)(2 + 2 + bmlen));
  off += 12;
  rtc_wr16(out + off, 0xC000u | MDNS_HEADER_LEN); /* next domain name: itself (6.1) */
  out[off + 2] = 0;                               /* window 0 */
  out[off + 3] = (uint8_t)bmlen;
  memset(out + off + 4, 0, bmlen);
  out[off + 4 + type / 8] = (uint8_t)(0x80u >> (type % 8));
  return (int)(off + 4 + bmlen);
}

void rtc_mdns_random_name(char *out) {
  uint8_t b[16];
  rtc_random_bytes(b, sizeof b);
  b[6] = (uint8_t)((b[6] & 0x0F) | 0x40); /* version 4 */
  b[8] = (uint8_t)((b[8] & 0x3F) | 0x80); /* variant 10 */
  snprintf(out, RTC_MDNS_UUID_NAME_LEN + 1,
           "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x.local", b[0], b[1],
           b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
           b[15]);
}
