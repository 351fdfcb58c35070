/* STUN codec (RFC 8489). */
#include "ice/rtc_stun.h"

#include <mbedtls/md5.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/sha1.h>
#include <string.h>

#include "base/rtc_bytes.h"
#include "base/rtc_err.h"

/* RFC 8489 14.7: FINGERPRINT is CRC-32 of the message XOR 0x5354554e. */
#define STUN_FINGERPRINT_XOR 0x5354554eu
#define STUN_HMAC_LEN 20

static uint32_t crc_table[256];
static bool crc_ready;

static void crc_init(void) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++)
      c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    crc_table[i] = c;
  }
  crc_ready = true;
}

uint32_t rtc_stun_crc32(const uint8_t *p, size_t len) {
  if (!crc_ready) crc_init(); /* idempotent: no thread can race (one loop, no threads) */
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < len; i++)
    c = crc_table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

bool rtc_stun_is_stun(const uint8_t *p, size_t len) {
  /* RFC 8489 5: top two bits zero, length a multiple of 4, magic cookie. */
  return len >= RTC_STUN_HEADER_LEN && (p[0] & 0xC0) == 0 && rtc_rd32(p + 4) == RTC_STUN_MAGIC &&
         (rtc_rd16(p + 2) & 3) == 0 && (size_t)rtc_rd16(p + 2) + RTC_STUN_HEADER_LEN == len;
}

/* RFC 8489 14.1 / 14.2: family 0x01 IPv4 (4 bytes), 0x02 IPv6 (16 bytes). */
static int parse_addr(const uint8_t *v, size_t n, const uint8_t *hdr, bool xored, rtc_addr_t *out) {
  memset(out, 0, sizeof *out);
  if (n < 4) return RTC_EPARSE;
  uint16_t port = rtc_rd16(v + 2);
  if (xored) port ^= (uint16_t)(RTC_STUN_MAGIC >> 16);
  if (v[1] == 0x01) {
    if (n != 8) return RTC_EPARSE;
    uint8_t ip[4];
    for (int i = 0; i < 4; i++)
      ip[i] = (uint8_t)(v[4 + i] ^ (xored ? hdr[4 + i] : 0));
    out->u.in4.sin_family = AF_INET;
    memcpy(&out->u.in4.sin_addr, ip, 4);
    out->u.in4.sin_port = htons(port);
    return 0;
  }
  if (v[1] == 0x02) {
    if (n != 20) return RTC_EPARSE;
    uint8_t ip[16];
    /* RFC 8489 14.2: XOR with the magic cookie then the transaction id. */
    for (int i = 0; i < 16; i++)
      ip[i] = (uint8_t)(v[4 + i] ^ (xored ? hdr[4 + i] : 0));
    out->u.in6.sin6_family = AF_INET6;
    memcpy(&out->u.in6.sin6_addr, ip, 16);
    out->u.in6.sin6_port = htons(port);
    return 0;
  }
  return RTC_EPARSE;
}

/* 0.0.0.0:0 or [::]:0. */
static bool addr_is_placeholder(const rtc_addr_t *a) {
  if (rtc_addr_port(a) != 0) return false;
  if (a->u.sa.sa_family == AF_INET) return a->u.in4.sin_addr.s_addr == 0;
  return IN6_IS_ADDR_UNSPECIFIED(&a->u.in6.sin6_addr);
}

int rtc_stun_parse(const uint8_t *p, size_t len, rtc_stun_msg_t *m) {
  memset(m, 0, sizeof *m);
  if (!p || !rtc_stun_is_stun(p, len)) return RTC_EPARSE;
  m->type = rtc_rd16(p);
  m->cls = m->type & RTC_STUN_CLASS_MASK;
  /* RFC 8489 5: the method bits are split around the class bits. */
  m->method =
      (uint16_t)((m->type & 0x000F) | ((m->type & 0x00E0) >> 1) | ((m->type & 0x3E00) >> 2));
  memcpy(m->tid, p + 8, RTC_STUN_TID_LEN);

  size_t off = RTC_STUN_HEADER_LEN;
  while (off < len) {
    if (m->has_fingerprint) return RTC_EPARSE; /* RFC 8489 14.7: FINGERPRINT is last */
    if (len - off < 4) return RTC_EPARSE;
    uint16_t at = rtc_rd16(p + off), alen = rtc_rd16(p + off + 2);
    size_t padded = ((size_t)alen + 3) & ~(size_t)3;
    if (len - off - 4 < padded) return RTC_EPARSE;
    const uint8_t *v = p + off + 4;
    /* RFC 8489 14.5: after MESSAGE-INTEGRITY only FINGERPRINT counts; others ignored. */
    bool ignore = m->has_integrity && at != RTC_STUN_ATTR_FINGERPRINT;
    if (!ignore) {
      switch (at) {
      case RTC_STUN_ATTR_USERNAME:
        if (alen > RTC_STUN_MAX_USERNAME) return RTC_EPARSE;
        memcpy(m->username, v, alen);
        m->username[alen] = 0;
        if (memchr(v, 0, alen)) return RTC_EPARSE;
        m->has_username = true;
        break;
      case RTC_STUN_ATTR_PRIORITY:
        if (alen != 4) return RTC_EPARSE;
        m->priority = rtc_rd32(v);
        m->has_priority = true;
        break;
      case RTC_STUN_ATTR_USE_CANDIDATE:
        if (alen != 0) return RTC_EPARSE;
        m->use_candidate = true;
        break;
      case RTC_STUN_ATTR_ICE_CONTROLLING:
      case RTC_STUN_ATTR_ICE_CONTROLLED:
        if (alen != 8) return RTC_EPARSE;
        m->tie_breaker = rtc_rd64(v);
        if (at == RTC_STUN_ATTR_ICE_CONTROLLING)
          m->has_controlling = true;
        else
          m->has_controlled = true;
        break;
      case RTC_STUN_ATTR_XOR_MAPPED_ADDRESS:
        if (parse_addr(v, alen, p, true, &m->xor_mapped) < 0) return RTC_EPARSE;
        m->has_xor_mapped = true;
        break;
      case RTC_STUN_ATTR_MAPPED_ADDRESS:
        if (parse_addr(v, alen, p, false, &m->mapped) < 0) return RTC_EPARSE;
        m->has_mapped = true;
        break;
      case RTC_STUN_ATTR_ERROR_CODE:
        /* RFC 8489 14.8: class 3..6, number 0..99. */
        if (alen < 4 || (v[2] & 7) < 3 || (v[2] & 7) > 6 || v[3] > 99) return RTC_EPARSE;
        m->error_code = (uint16_t)((v[2] & 7) * 100 + v[3]);
        break;
      case RTC_STUN_ATTR_REALM:
      case RTC_STUN_ATTR_NONCE: {
        if (alen > RTC_STUN_MAX_REALM || memchr(v, 0, alen)) return RTC_EPARSE;
        char *dst = at == RTC_STUN_ATTR_REALM ? m->realm : m->nonce;
        memcpy(dst, v, alen);
        dst[alen] = 0;
        if (at == RTC_STUN_ATTR_REALM)
          m->has_realm = true;
        else
          m->has_nonce = true;
        break;
      }
      case RTC_STUN_ATTR_LIFETIME:
        if (alen != 4) return RTC_EPARSE;
        m->lifetime_s = rtc_rd32(v);
        m->has_lifetime = true;
        break;
      case RTC_STUN_ATTR_XOR_RELAYED_ADDRESS: {
        rtc_addr_t a;
        if (parse_addr(v, alen, p, true, &a) < 0) return RTC_EPARSE;
        if (addr_is_placeholder(&a)) break;
        if (!m->has_xor_relayed) {
          m->xor_relayed = a;
          m->has_xor_relayed = true;
        } else if (!m->has_xor_relayed2 && rtc_addr_family(&a) != rtc_addr_family(&m->xor_relayed)) {
          m->xor_relayed2 = a;
          m->has_xor_relayed2 = true;
        }
        break;
      }
      case RTC_STUN_ATTR_ADDRESS_ERROR_CODE:
      case RTC_STUN_ATTR_ADDRESS_ERROR_CODE_DRAFT:
        /* RFC 8656 18.12: family, reserved, then class and number as in ERROR-CODE. */
        if (alen < 4 || (v[0] != 0x01 && v[0] != 0x02) || (v[2] & 7) < 3 || (v[2] & 7) > 6 ||
            v[3] > 99)
          return RTC_EPARSE;
        m->address_error_family = v[0] == 0x01 ? AF_INET : AF_INET6;
        m->address_error_code = (uint16_t)((v[2] & 7) * 100 + v[3]);
        break;
      case RTC_STUN_ATTR_XOR_PEER_ADDRESS:
        if (m->has_xor_peer) break;
        if (parse_addr(v, alen, p, true, &m->xor_peer) < 0) return RTC_EPARSE;
        m->has_xor_peer = true;
        break;
      case RTC_STUN_ATTR_CHANNEL_NUMBER:
        if (alen != 4) return RTC_EPARSE;
        m->channel = rtc_rd16(v);
        m->has_channel = true;
        break;
      case RTC_STUN_ATTR_DATA:
        m->data_off = off + 4;
        m->data_len = alen;
        m->has_data = true;
        break;
      case RTC_STUN_ATTR_MESSAGE_INTEGRITY:
        if (alen != STUN_HMAC_LEN) return RTC_EPARSE;
        m->has_integrity = true;
        m->integrity_off = off;
        break;
      case RTC_STUN_ATTR_FINGERPRINT:
        if (alen != 4) return RTC_EPARSE;
        m->has_fingerprint = true;
        m->fingerprint_off = off;
        break;
      default:
        /* RFC 8489 15: 0x0000-0x7FFF are comprehension-required. */
        if (at < 0x8000) m->unknown_required++;
        break;
      }
    }
    off += 4 + padded;
  }
  return 0;
}

/* RFC 2104 with SHA-1 (B = 64): a key longer than a block is hashed first; the inner
 * and outer states have absorbed key ^ ipad and key ^ opad. The _ret functions of
 * mbedTLS 2.28 cannot fail for SHA-1 in software; their results are ignored. */
void rtc_stun_key_init(rtc_stun_key_t *k, const uint8_t *key, size_t keylen) {
  uint8_t kb[64] = {0}, pad[64];
  if (keylen > sizeof kb)
    (void)mbedtls_sha1_ret(key, keylen, kb);
  else if (keylen)
    memcpy(kb, key, keylen);
  mbedtls_sha1_init(&k->inner);
  mbedtls_sha1_init(&k->outer);
  for (int i = 0; i < 64; i++)
    pad[i] = (uint8_t)(kb[i] ^ 0x36);
  (void)mbedtls_sha1_starts_ret(&k->inner);
  (void)mbedtls_sha1_update_ret(&k->inner, pad, sizeof pad);
  for (int i = 0; i < 64; i++)
    pad[i] = (uint8_t)(kb[i] ^ 0x5c);
  (void)mbedtls_sha1_starts_ret(&k->outer);
  (void)mbedtls_sha1_update_ret(&k->outer, pad, sizeof pad);
  mbedtls_platform_zeroize(kb, sizeof kb);
  mbedtls_platform_zeroize(pad, sizeof pad);
}

void rtc_stun_key_wipe(rtc_stun_key_t *k) { mbedtls_platform_zeroize(k, sizeof *k); }

static void hmac_sha1(const rtc_stun_key_t *k, const uint8_t *hdr, const uint8_t *body,
                      size_t bodylen, uint8_t out[STUN_HMAC_LEN]) {
  mbedtls_sha1_context c = k->inner; /* a SHA-1 context is plain memory (mbedtls_sha1_clone) */
  uint8_t ih[STUN_HMAC_LEN];
  (void)mbedtls_sha1_update_ret(&c, hdr, RTC_STUN_HEADER_LEN);
  if (bodylen) (void)mbedtls_sha1_update_ret(&c, body, bodylen);
  (void)mbedtls_sha1_finish_ret(&c, ih);
  c = k->outer;
  (void)mbedtls_sha1_update_ret(&c, ih, sizeof ih);
  (void)mbedtls_sha1_finish_ret(&c, out);
  mbedtls_platform_zeroize(&c, sizeof c);
}

int rtc_stun_check_integrity_keyed(const uint8_t *p, size_t len, const rtc_stun_msg_t *m,
                                   const rtc_stun_key_t *k) {
  if (!m->has_integrity || m->integrity_off + 4 + STUN_HMAC_LEN > len) return RTC_EAUTH;
  /* RFC 8489 14.5: the HMAC covers the message up to MESSAGE-INTEGRITY, with the
   * header length set as if MESSAGE-INTEGRITY were the last attribute. */
  uint8_t hdr[RTC_STUN_HEADER_LEN], mac[STUN_HMAC_LEN];
  memcpy(hdr, p, RTC_STUN_HEADER_LEN);
  rtc_wr16(hdr + 2, (uint16_t)(m->integrity_off + 4 + STUN_HMAC_LEN - RTC_STUN_HEADER_LEN));
  hmac_sha1(k, hdr, p + RTC_STUN_HEADER_LEN, m->integrity_off - RTC_STUN_HEADER_LEN, mac);
  /* Constant time: the attacker must not learn how many bytes matched. */
  uint8_t diff = 0;
  for (int i = 0; i < STUN_HMAC_LEN; i++)
    diff |= (uint8_t)(mac[i] ^ p[m->integrity_off + 4 + i]);
  return diff ? RTC_EAUTH : 0;
}

int rtc_stun_check_integrity(const uint8_t *p, size_t len, const rtc_stun_msg_t *m,
                             const uint8_t *key, size_t keylen) {
  rtc_stun_key_t k;
  rtc_stun_key_init(&k, key, keylen);
  int r = rtc_stun_check_integrity_keyed(p, len, m, &k);
  rtc_stun_key_wipe(&k);
  return r;
}

int rtc_stun_long_term_key(const char *username, const char *realm, const char *password,
                           uint8_t key[16]) {
  mbedtls_md5_context ctx;
  int ret = RTC_ECRYPTO;
  if (!username || !realm || !password) return RTC_EINVAL;
  mbedtls_md5_init(&ctx);
  if (mbedtls_md5_starts_ret(&ctx) != 0) goto fail;
  if (mbedtls_md5_update_ret(&ctx, (const uint8_t *)username, strlen(username)) != 0) goto fail;
  if (mbedtls_md5_update_ret(&ctx, (const uint8_t *)":", 1) != 0) goto fail;
  if (mbedtls_md5_update_ret(&ctx, (const uint8_t *)realm, strlen(realm)) != 0) goto fail;
  if (mbedtls_md5_update_ret(&ctx, (const uint8_t *)":", 1) != 0) goto fail;
  if (mbedtls_md5_update_ret(&ctx, (const uint8_t *)password, strlen(password)) != 0) goto fail;
  if (mbedtls_md5_finish_ret(&ctx, key) != 0) goto fail;
  ret = 0;
fail:
  mbedtls_md5_free(&ctx);
  return ret;
}

int rtc_stun_check_fingerprint(const uint8_t *p, size_t len, const rtc_stun_msg_t *m) {
  if (!m->has_fingerprint || m->fingerprint_off + 8 != len) return RTC_EAUTH;
  uint32_t crc = rtc_stun_crc32(p, m->fingerprint_off) ^ STUN_FINGERPRINT_XOR;
  return crc == rtc_rd32(p + m->fingerprint_off + 4) ? 0 : RTC_EAUTH;
}

void rtc_stun_writer_init(rtc_stun_writer_t *w, uint8_t *buf, size_t cap, uint16_t type,
                          const uint8_t tid[RTC_STUN_TID_LEN]) {
  w->buf = buf;
  w->cap = cap;
  w->len = 0;
  w->err = 0;
  if (cap < RTC_STUN_HEADER_LEN) {
    w->err = RTC_ETOOBIG;
    return;
  }
  rtc_wr16(buf, type);
  rtc_wr16(buf + 2, 0);
  rtc_wr32(buf + 4, RTC_STUN_MAGIC);
  memcpy(buf + 8, tid, RTC_STUN_TID_LEN);
  w->len = RTC_STUN_HEADER_LEN;
}

void rtc_stun_put_attr(rtc_stun_writer_t *w, uint16_t type, const void *data, size_t len) {
  if (w->err) return;
  size_t padded = (len + 3) & ~(size_t)3;
  if (len > 0xFFFF || w->cap - w->len < 4 + padded || w->len + 4 + padded > 0xFFFF + 20u) {
    w->err = RTC_ETOOBIG;
    return;
  }
  uint8_t *a = w->buf + w->len;
  rtc_wr16(a, type);
  rtc_wr16(a + 2, (uint16_t)len);
  if (len) memcpy(a + 4, data, len);
  memset(a + 4 + len, 0, padded - len);
  w->len += 4 + padded;
  rtc_wr16(w->buf + 2, (uint16_t)(w->len - RTC_STUN_HEADER_LEN));
}

void rtc_stun_put_u32(rtc_stun_writer_t *w, uint16_t type, uint32_t v) {
  uint8_t b[4];
  rtc_wr32(b, v);
  rtc_stun_put_attr(w, type, b, 4);
}

void rtc_stun_put_u64(rtc_stun_writer_t *w, uint16_t type, uint64_t v) {
  uint8_t b[8];
  rtc_wr64(b, v);
  rtc_stun_put_attr(w, type, b, 8);
}

void rtc_stun_put_string(rtc_stun_writer_t *w, uint16_t type, const char *s) {
  rtc_stun_put_attr(w, type, s, strlen(s));
}

void rtc_stun_put_addr(rtc_stun_writer_t *w, uint16_t type, const rtc_addr_t *a, bool xored) {
  uint8_t b[20];
  size_t n;
  uint16_t port = rtc_addr_port(a);
  if (w->err) return;
  b[0] = 0;
  if (a->u.sa.sa_family == AF_INET) {
    b[1] = 0x01;
    memcpy(b + 4, &a->u.in4.sin_addr, 4);
    n = 8;
  } else if (a->u.sa.sa_family == AF_INET6) {
    b[1] = 0x02;
    memcpy(b + 4, &a->u.in6.sin6_addr, 16);
    n = 20;
  } else {
    w->err = RTC_EINVAL;
    return;
  }
  if (xored) {
    port ^= (uint16_t)(RTC_STUN_MAGIC >> 16);
    /* Bytes 4..19 of the header are the cookie then the transaction id. */
    for (size_t i = 4; i < n; i++)
      b[i] ^= w->buf[i];
  }
  rtc_wr16(b + 2, port);
  rtc_stun_put_attr(w, type, b, n);
}

void rtc_stun_put_error(rtc_stun_writer_t *w, uint16_t code, const char *reason) {
  uint8_t b[4 + 128];
  size_t rl = strlen(reason);
  if (rl > 128) rl = 128;
  b[0] = b[1] = 0;
  b[2] = (uint8_t)(code / 100);
  b[3] = (uint8_t)(code % 100);
  memcpy(b + 4, reason, rl);
  rtc_stun_put_attr(w, RTC_STUN_ATTR_ERROR_CODE, b, 4 + rl);
}

void rtc_stun_put_integrity_keyed(rtc_stun_writer_t *w, const rtc_stun_key_t *k) {
  uint8_t mac[STUN_HMAC_LEN] = {0};
  size_t at = w->len;
  rtc_stun_put_attr(w, RTC_STUN_ATTR_MESSAGE_INTEGRITY, mac, STUN_HMAC_LEN);
  if (w->err) return;
  /* The header length already counts MESSAGE-INTEGRITY, as RFC 8489 14.5 wants. */
  hmac_sha1(k, w->buf, w->buf + RTC_STUN_HEADER_LEN, at - RTC_STUN_HEADER_LEN, w->buf + at + 4);
}

void rtc_stun_put_integrity(rtc_stun_writer_t *w, const uint8_t *key, size_t keylen) {
  rtc_stun_key_t k;
  rtc_stun_key_init(&k, key, keylen);
  rtc_stun_put_integrity_keyed(w, &k);
  rtc_stun_key_wipe(&k);
}

void rtc_stun_put_fingerprint(rtc_stun_writer_t *w) {
  size_t at = w->len;
  rtc_stun_put_u32(w, RTC_STUN_ATTR_FINGERPRINT, 0);
  if (w->err) return;
  rtc_wr32(w->buf + at + 4, rtc_stun_crc32(w->buf, at) ^ STUN_FINGERPRINT_XOR);
}

int rtc_stun_writer_finish(const rtc_stun_writer_t *w) { return w->err ? w->err : (int)w->len; }
