/* RTCP parsing: compound iteration and the packet types WebRTC uses (RFC 3550 section 6,
 * RFC 4585 section 6, RFC 5104 section 4.3.1, REMB, transport-wide CC). */
#include "rtp/rtc_rtcp.h"

#include <string.h>

#include "base/rtc_bytes.h"
#include "base/rtc_err.h"

int rtc_rtcp_iter_next(rtc_rtcp_iter_t *it, const uint8_t **pkt, size_t *pkt_len) {
  if (it->off >= it->len) return 0;
  const uint8_t *p = it->p + it->off;
  size_t left = it->len - it->off;
  if (left < 4 || (p[0] >> 6) != 2) return RTC_EPARSE;
  size_t n = 4u * ((size_t)rtc_rd16(p + 2) + 1);
  if (n > left) return RTC_EPARSE;
  /* RFC 3550 section 6.4.1: padding count in the last octet, counting itself. */
  if ((p[0] & 0x20) && (p[n - 1] == 0 || p[n - 1] > n - 4)) return RTC_EPARSE;
  *pkt = p;
  *pkt_len = n;
  it->off += n;
  return 1;
}

static void rtcp_parse_rb(const uint8_t *b, rtc_rtcp_rb_t *rb) {
  rb->ssrc = rtc_rd32(b);
  rb->fraction_lost = b[4];
  uint32_t c = rtc_rd24(b + 5);
  rb->cumulative_lost = (c & 0x800000) ? (int32_t)c - 0x1000000 : (int32_t)c;
  rb->ext_highest_seq = rtc_rd32(b + 8);
  rb->jitter = rtc_rd32(b + 12);
  rb->lsr = rtc_rd32(b + 16);
  rb->dlsr = rtc_rd32(b + 20);
}

static int rtcp_parse_sdes(const uint8_t *p, size_t len, uint8_t count, rtc_rtcp_sdes_t *s) {
  size_t off = 4;
  s->count = 0;
  for (int c = 0; c < count; c++) {
    if (off + 4 > len) return RTC_EPARSE;
    s->chunk[c].ssrc = rtc_rd32(p + off);
    s->chunk[c].cname = NULL;
    s->chunk[c].cname_len = 0;
    off += 4;
    /* Items until a zero type byte (RFC 3550 section 6.5), then padding to 32 bits. */
    for (;;) {
      if (off >= len) return RTC_EPARSE;
      uint8_t type = p[off];
      if (type == 0) break;
      if (off + 2 > len || off + 2 + p[off + 1] > len) return RTC_EPARSE;
      if (type == 1) {
        s->chunk[c].cname = p + off + 2;
        s->chunk[c].cname_len = p[off + 1];
      }
      off += 2u + p[off + 1];
    }
    off = (off + 4) & ~(size_t)3; /* the null octet(s) up to the next word */
    if (off > len) return RTC_EPARSE;
    s->count++;
  }
  return 0;
}

static int rtcp_parse_fb(const uint8_t *p, size_t len, rtc_rtcp_msg_t *m) {
  if (len < 12) return RTC_EPARSE;
  uint32_t sender = rtc_rd32(p + 4), media = rtc_rd32(p + 8);
  const uint8_t *fci = p + 12;
  size_t fl = len - 12;
  if (m->pt == RTC_RTCP_RTPFB && m->fmt == RTC_RTCP_FMT_NACK) {
    if (fl % 4) return RTC_EPARSE;
    m->kind = RTC_RTCP_KIND_NACK;
    m->u.nack = (rtc_rtcp_nack_t){sender, media, fci, fl / 4};
  } else if (m->pt == RTC_RTCP_RTPFB && m->fmt == RTC_RTCP_FMT_TWCC) {
    if (fl < 8) return RTC_EPARSE;
    rtc_rtcp_twcc_t *t = &m->u.twcc;
    t->sender_ssrc = sender;
    t->media_ssrc = media;
    t->base_seq = rtc_rd16(fci);
    t->status_count = rtc_rd16(fci + 2);
    uint32_t r = rtc_rd24(fci + 4);
    t->ref_time = (r & 0x800000) ? (int32_t)r - 0x1000000 : (int32_t)r;
    t->fb_count = fci[7];
    t->body = fci + 8;
    t->body_len = fl - 8;
    m->kind = RTC_RTCP_KIND_TWCC;
  } else if (m->pt == RTC_RTCP_PSFB && m->fmt == RTC_RTCP_FMT_PLI) {
    m->kind = RTC_RTCP_KIND_PLI;
    m->u.pli = (rtc_rtcp_pli_t){sender, media};
  } else if (m->pt == RTC_RTCP_PSFB && m->fmt == RTC_RTCP_FMT_FIR) {
    if (fl % 8) return RTC_EPARSE;
    m->kind = RTC_RTCP_KIND_FIR;
    m->u.fir = (rtc_rtcp_fir_t){sender, fci, fl / 8};
  } else if (m->pt == RTC_RTCP_PSFB && m->fmt == RTC_RTCP_FMT_AFB && fl >= 8 &&
             memcmp(fci, "REMB", 4) == 0) {
    /* draft-alvestrand-rmcat-remb-03 section 2.2: Num SSRC, BR Exp (6), BR Mantissa (18). */
    uint8_t n = fci[4];
    if (fl < 8u + 4u * n) return RTC_EPARSE;
    uint32_t v = rtc_rd24(fci + 5);
    uint8_t exp = (uint8_t)(v >> 18);
    uint64_t mant = v & 0x3ffff;
    m->kind = RTC_RTCP_KIND_REMB;
    m->u.remb.sender_ssrc = sender;
    /* 18-bit mantissa << up to 63: saturate instead of overflowing */
    m->u.remb.bitrate_bps = exp > 46 ? UINT64_MAX : mant << exp;
    m->u.remb.n_ssrc = n;
    m->u.remb.ssrcs = fci + 8;
  }
  return 0;
}

int rtc_rtcp_parse(const uint8_t *pkt, size_t len, rtc_rtcp_msg_t *out) {
  memset(out, 0, sizeof *out);
  if (len < 4 || (pkt[0] >> 6) != 2 || len % 4) return RTC_EPARSE;
  if (pkt[0] & 0x20) {
    uint8_t pad = pkt[len - 1];
    if (pad == 0 || pad > len - 4) return RTC_EPARSE;
    len -= pad;
  }
  out->pt = pkt[1];
  out->fmt = pkt[0] & 0x1f;
  uint8_t rc = out->fmt;
  switch (out->pt) {
  case RTC_RTCP_SR: {
    if (len < 28 + 24u * rc) return RTC_EPARSE;
    rtc_rtcp_sr_t *sr = &out->u.sr;
    sr->ssrc = rtc_rd32(pkt + 4);
    sr->ntp = rtc_rd64(pkt + 8);
    sr->rtp_ts = rtc_rd32(pkt + 16);
    sr->packet_count = rtc_rd32(pkt + 20);
    sr->octet_count = rtc_rd32(pkt + 24);
    sr->rb_count = rc;
    for (int i = 0; i < rc; i++)
      rtcp_parse_rb(pkt + 28 + 24 * i, &sr->rb[i]);
    out->kind = RTC_RTCP_KIND_SR;
    return 0;
  }
  case RTC_RTCP_RR: {
    if (len < 8 + 24u * rc) return RTC_EPARSE;
    out->u.rr.ssrc = rtc_rd32(pkt + 4);
    out->u.rr.rb_count = rc;
    for (int i = 0; i < rc; i++)
      rtcp_parse_rb(pkt + 8 + 24 * i, &out->u.rr.rb[i]);
    out->kind = RTC_RTCP_KIND_RR;
    return 0;
  }
  case RTC_RTCP_SDES:
    out->kind = RTC_RTCP_KIND_SDES;
    return rtcp_parse_sdes(pkt, len, rc, &out->u.sdes);
  case RTC_RTCP_BYE: {
    if (len < 4 + 4u * rc) return RTC_EPARSE;
    rtc_rtcp_bye_t *b = &out->u.bye;
    b->count = rc;
    for (int i = 0; i < rc; i++)
      b->ssrc[i] = rtc_rd32(pkt + 4 + 4 * i);
    size_t off = 4 + 4u * rc;
    if (off < len) {
      if (off + 1 + pkt[off] > len) return RTC_EPARSE;
      b->reason = pkt + off + 1;
      b->reason_len = pkt[off];
    }
    out->kind = RTC_RTCP_KIND_BYE;
    return 0;
  }
  case RTC_RTCP_RTPFB:
  case RTC_RTCP_PSFB: return rtcp_parse_fb(pkt, len, out);
  default: return 0;
  }
}

size_t rtc_rtcp_nack_expand(const rtc_rtcp_nack_t *n, uint16_t *seqs, size_t cap) {
  size_t k = 0;
  for (size_t i = 0; i < n->n_fci; i++) {
    uint16_t pid = rtc_rd16(n->fci + 4 * i), blp = rtc_rd16(n->fci + 4 * i + 2);
    if (k < cap) seqs[k] = pid;
    k++;
    for (int b = 0; b < 16; b++)
      if (blp & (1u << b)) {
        if (k < cap) seqs[k] = (uint16_t)(pid + b + 1);
        k++;
      }
  }
  return k;
}

/* transport-wide-cc-extensions-01 section 3.1.3/3.1.4: walks the packet status chunks.
 * Calls back per symbol; returns the byte offset after the last chunk or RTC_EPARSE. */
typedef struct twcc_walk {
  const rtc_rtcp_twcc_t *t;
  size_t off; /* next chunk */
  uint32_t n; /* symbols produced */
  uint16_t chunk;
  int in_chunk; /* symbols left in the current chunk */
  int kind;     /* 0 run length, 1 one-bit vector, 2 two-bit vector */
  int pos;
} twcc_walk_t;

/* Next status symbol (0..3) or RTC_EPARSE when chunks run out. */
static int twcc_next_symbol(twcc_walk_t *w) {
  if (w->in_chunk == 0) {
    if (w->off + 2 > w->t->body_len) return RTC_EPARSE;
    w->chunk = rtc_rd16(w->t->body + w->off);
    w->off += 2;
    w->pos = 0;
    if (!(w->chunk & 0x8000)) {
      w->kind = 0;
      w->in_chunk = w->chunk & 0x1fff;
      if (w->in_chunk == 0) return twcc_next_symbol(w); /* an empty run: skip it */
    } else if (!(w->chunk & 0x4000)) {
      w->kind = 1;
      w->in_chunk = 14;
    } else {
      w->kind = 2;
      w->in_chunk = 7;
    }
  }
  int s;
  if (w->kind == 0)
    s = (w->chunk >> 13) & 3;
  else if (w->kind == 1)
    s = (w->chunk >> (13 - w->pos)) & 1;
  else
    s = (w->chunk >> (12 - 2 * w->pos)) & 3;
  w->pos++;
  w->in_chunk--;
  w->n++;
  return s;
}

int rtc_rtcp_twcc_expand(const rtc_rtcp_twcc_t *t, rtc_rtcp_twcc_pkt_t *out, size_t cap) {
  /* First pass: where the deltas start. */
  twcc_walk_t w = {.t = t};
  for (uint32_t i = 0; i < t->status_count; i++)
    if (twcc_next_symbol(&w) < 0) return RTC_EPARSE;
  size_t doff = w.off;
  twcc_walk_t v = {.t = t};
  size_t k = 0;
  for (uint32_t i = 0; i < t->status_count; i++) {
    int s = twcc_next_symbol(&v);
    int64_t d = 0;
    if (s == 1) {
      if (doff + 1 > t->body_len) return RTC_EPARSE;
      d = t->body[doff++];
    } else if (s == 2) {
      if (doff + 2 > t->body_len) return RTC_EPARSE;
      d = (int16_t)rtc_rd16(t->body + doff);
      doff += 2;
    } else if (s == 3) {
      return RTC_EPARSE; /* reserved symbol */
    }
    if (k < cap) {
      out[k].seq = (uint16_t)(t->base_seq + i);
      out[k].received = s != 0;
      out[k].delta_us = d * 250;
      k++;
    }
  }
  return (int)k;
}
