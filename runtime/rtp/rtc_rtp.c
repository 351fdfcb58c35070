/* RTP header codec (RFC 3550 section 5.1) and header extensions (RFC 8285). */
#include "rtp/rtc_rtp.h"

#include <string.h>

#include "base/rtc_bytes.h"
#include "base/rtc_err.h"

bool rtc_rtp_is_rtcp(const uint8_t *p, size_t len) {
  return len >= 2 && (p[0] >> 6) == RTC_RTP_VERSION && p[1] >= 192 && p[1] <= 223;
}

/* RFC 8285 section 4.2: one-byte form. ID 0 is padding (skip one byte); ID 15 ends
 * processing of the block. */
static int rtp_parse_one_byte(const uint8_t *b, size_t n, rtc_rtp_header_t *out) {
  size_t i = 0;
  while (i < n) {
    uint8_t id = b[i] >> 4, len = (uint8_t)((b[i] & 0x0f) + 1);
    if (id == 0) {
      i++;
      continue;
    }
    if (id == 15) break;
    if (i + 1 + len > n) return RTC_EPARSE;
    if (out->ext_count < RTC_RTP_MAX_EXT)
      out->ext[out->ext_count++] = (rtc_rtp_ext_t){id, len, b + i + 1};
    i += 1u + len;
  }
  return 0;
}

/* RFC 8285 section 4.3: two-byte form. ID 0 is padding (one byte). */
static int rtp_parse_two_byte(const uint8_t *b, size_t n, rtc_rtp_header_t *out) {
  size_t i = 0;
  while (i < n) {
    uint8_t id = b[i];
    if (id == 0) {
      i++;
      continue;
    }
    if (i + 2 > n) return RTC_EPARSE;
    uint8_t len = b[i + 1];
    if (i + 2 + len > n) return RTC_EPARSE;
    if (out->ext_count < RTC_RTP_MAX_EXT)
      out->ext[out->ext_count++] = (rtc_rtp_ext_t){id, len, b + i + 2};
    i += 2u + len;
  }
  return 0;
}

int rtc_rtp_parse(const uint8_t *p, size_t len, rtc_rtp_header_t *out) {
  memset(out, 0, sizeof *out);
  if (len < RTC_RTP_FIXED_HEADER || (p[0] >> 6) != RTC_RTP_VERSION) return RTC_EPARSE;
  bool padding = p[0] & 0x20, x = p[0] & 0x10;
  out->csrc_count = p[0] & 0x0f;
  out->marker = p[1] >> 7;
  out->pt = p[1] & 0x7f;
  out->seq = rtc_rd16(p + 2);
  out->ts = rtc_rd32(p + 4);
  out->ssrc = rtc_rd32(p + 8);
  size_t off = RTC_RTP_FIXED_HEADER + 4u * out->csrc_count;
  if (off > len) return RTC_EPARSE;
  for (int i = 0; i < out->csrc_count; i++)
    out->csrc[i] = rtc_rd32(p + 12 + 4 * i);
  if (x) {
    if (off + 4 > len) return RTC_EPARSE;
    out->has_ext = true;
    out->ext_profile = rtc_rd16(p + off);
    size_t blen = 4u * rtc_rd16(p + off + 2);
    off += 4;
    if (off + blen > len) return RTC_EPARSE;
    out->ext_block = p + off;
    out->ext_block_len = blen;
    int rc = 0;
    if (out->ext_profile == RTC_RTP_EXT_PROFILE_ONE_BYTE)
      rc = rtp_parse_one_byte(p + off, blen, out);
    else if ((out->ext_profile & 0xfff0) == RTC_RTP_EXT_PROFILE_TWO_BYTE) {
      out->ext_two_byte = true;
      rc = rtp_parse_two_byte(p + off, blen, out);
    }
    if (rc) return rc;
    off += blen;
  }
  size_t end = len;
  if (padding) {
    uint8_t pad = p[len - 1];
    if (pad == 0 || pad > len - off) return RTC_EPARSE;
    out->padding_len = pad;
    end -= pad;
  }
  out->header_len = off;
  out->payload = p + off;
  out->payload_len = end - off;
  return 0;
}

const rtc_rtp_ext_t *rtc_rtp_get_ext(const rtc_rtp_header_t *h, uint8_t id) {
  for (int i = 0; i < h->ext_count; i++)
    if (h->ext[i].id == id) return &h->ext[i];
  return NULL;
}

int rtc_rtp_add_ext(rtc_rtp_header_t *h, uint8_t id, const uint8_t *data, uint8_t len) {
  if (id == 0) return RTC_EINVAL;
  if (h->ext_count >= RTC_RTP_MAX_EXT) return RTC_ELIMIT;
  h->ext[h->ext_count++] = (rtc_rtp_ext_t){id, len, data};
  return 0;
}

static bool rtp_fits_one_byte(const rtc_rtp_header_t *h) {
  if (h->ext_two_byte) return false;
  for (int i = 0; i < h->ext_count; i++)
    if (h->ext[i].id < 1 || h->ext[i].id > 14 || h->ext[i].len < 1 || h->ext[i].len > 16)
      return false;
  return true;
}

/* Bytes of the extension body (before padding to 32 bits); 0 without extensions. */
static size_t rtp_ext_body(const rtc_rtp_header_t *h, bool one) {
  if (h->ext_count == 0) return h->has_ext ? h->ext_block_len : 0;
  size_t n = 0;
  for (int i = 0; i < h->ext_count; i++)
    n += (one ? 1u : 2u) + h->ext[i].len;
  return n;
}

static bool rtp_has_x(const rtc_rtp_header_t *h) {
  return h->ext_count > 0 || (h->has_ext && h->ext_block);
}

size_t rtc_rtp_header_size(const rtc_rtp_header_t *h) {
  size_t n = RTC_RTP_FIXED_HEADER + 4u * (h->csrc_count & 0x0f);
  if (rtp_has_x(h)) n += 4 + ((rtp_ext_body(h, rtp_fits_one_byte(h)) + 3) & ~(size_t)3);
  return n;
}

int rtc_rtp_write_header(uint8_t *out, size_t cap, const rtc_rtp_header_t *h) {
  if (h->csrc_count > RTC_RTP_MAX_CSRC) return RTC_EINVAL;
  for (int i = 0; i < h->ext_count; i++)
    if (h->ext[i].id == 0) return RTC_EINVAL;
  size_t n = rtc_rtp_header_size(h);
  if (n > cap) return RTC_ETOOBIG;
  bool x = rtp_has_x(h);
  out[0] = (uint8_t)(0x80 | (h->padding_len ? 0x20 : 0) | (x ? 0x10 : 0) | h->csrc_count);
  out[1] = (uint8_t)((h->marker ? 0x80 : 0) | (h->pt & 0x7f));
  rtc_wr16(out + 2, h->seq);
  rtc_wr32(out + 4, h->ts);
  rtc_wr32(out + 8, h->ssrc);
  size_t off = RTC_RTP_FIXED_HEADER;
  for (int i = 0; i < h->csrc_count; i++, off += 4)
    rtc_wr32(out + off, h->csrc[i]);
  if (!x) return (int)n;
  bool one = rtp_fits_one_byte(h);
  size_t body = rtp_ext_body(h, one), words = (body + 3) / 4;
  if (words > 0xffff) return RTC_EINVAL;
  uint16_t profile = h->ext_count == 0 ? h->ext_profile
                     : one             ? RTC_RTP_EXT_PROFILE_ONE_BYTE
                                       : RTC_RTP_EXT_PROFILE_TWO_BYTE;
  rtc_wr16(out + off, profile);
  rtc_wr16(out + off + 2, (uint16_t)words);
  off += 4;
  if (h->ext_count == 0) {
    memcpy(out + off, h->ext_block, h->ext_block_len);
    off += h->ext_block_len;
  }
  for (int i = 0; i < h->ext_count; i++) {
    const rtc_rtp_ext_t *e = &h->ext[i];
    if (one) {
      out[off++] = (uint8_t)(e->id << 4 | (e->len - 1));
    } else {
      out[off++] = e->id;
      out[off++] = e->len;
    }
    if (e->len) memcpy(out + off, e->data, e->len);
    off += e->len;
  }
  while (off < n)
    out[off++] = 0; /* RFC 8285 section 4.1: padding bytes are 0 */
  return (int)n;
}

int rtc_rtp_write(uint8_t *out, size_t cap, const rtc_rtp_header_t *h, const uint8_t *payload,
                  size_t payload_len) {
  int n = rtc_rtp_write_header(out, cap, h);
  if (n < 0) return n;
  size_t total = (size_t)n + payload_len + h->padding_len;
  if (total > cap || total > INT32_MAX) return RTC_ETOOBIG;
  if (payload_len) memcpy(out + n, payload, payload_len);
  if (h->padding_len) {
    memset(out + n + payload_len, 0, h->padding_len);
    out[total - 1] = h->padding_len;
  }
  return (int)total;
}

int rtc_rtp_rewrite_ext(uint8_t *pkt, size_t len, uint8_t id, const uint8_t *data, uint8_t n) {
  rtc_rtp_header_t h;
  if (rtc_rtp_parse(pkt, len, &h) != 0) return RTC_EPARSE;
  const rtc_rtp_ext_t *e = rtc_rtp_get_ext(&h, id);
  if (!e || e->len != n) return RTC_ENOTFOUND;
  if (n) memcpy(pkt + (e->data - pkt), data, n); /* e->data points into pkt */
  return 0;
}

int64_t rtc_rtp_seq_unwrap_peek(const rtc_rtp_seq_unwrapper_t *u, uint16_t seq) {
  if (!u->started) return RTC_RTP_EXT_SEQ_BASE + seq;
  return u->highest + rtc_rtp_seq_diff(seq, (uint16_t)u->highest);
}

int64_t rtc_rtp_seq_unwrap(rtc_rtp_seq_unwrapper_t *u, uint16_t seq) {
  int64_t e = rtc_rtp_seq_unwrap_peek(u, seq);
  if (!u->started || e > u->highest) u->highest = e;
  u->started = true;
  return e;
}

int64_t rtc_rtp_ts_unwrap(rtc_rtp_ts_unwrapper_t *u, uint32_t ts) {
  int64_t e = u->started ? u->highest + rtc_rtp_ts_diff(ts, (uint32_t)u->highest)
                         : RTC_RTP_EXT_TS_BASE + ts;
  if (!u->started || e > u->highest) u->highest = e;
  u->started = true;
  return e;
}
