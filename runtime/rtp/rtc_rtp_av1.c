/* AV1 over RTP (AOM "RTP Payload Format for AV1" v1.0, section 4): an aggregation header
 * Z Y W(2) N, then OBU elements, each with a LEB128 length (the last one without when
 * W > 0). OBUs travel without obu_size (obu_has_size_field = 0); frames on our side are
 * temporal units in the low-overhead format (every OBU with its size). */
#include <string.h>

#include "base/rtc_err.h"
#include "rtp/rtc_rtp_codec_internal.h"

#define OBU_SEQUENCE_HEADER 1
#define OBU_TEMPORAL_DELIMITER 2
#define OBU_FRAME_HEADER 3
#define OBU_FRAME 6
#define OBU_TILE_LIST 8

static uint8_t obu_type(uint8_t hdr) { return (hdr >> 3) & 0x0f; }
static uint8_t obu_hdr_len(uint8_t hdr) { return (hdr & 0x04) ? 2 : 1; } /* extension flag */

/* ===== Depayloader ===== */

int rtc__av1_classify(const uint8_t *p, size_t n, rtc__depay_pkt_t *out) {
  if (n < 2) return RTC_EPARSE;
  bool z = p[0] & 0x80, nb = p[0] & 0x08;
  uint8_t w = (p[0] >> 4) & 3;
  out->can_start = !z;
  out->keyframe = nb && !z;
  if (z) return 0;
  size_t off = 1;
  if (w != 1) { /* the first element has a length field */
    uint64_t len;
    int k = rtc__leb128_read(p + 1, n - 1, &len);
    if (k < 0) return RTC_EPARSE;
    off += (size_t)k;
    if (off >= n) return RTC_EPARSE;
  }
  uint8_t t = obu_type(p[off]);
  /* A temporal unit begins with its sequence header or a frame (header); the temporal
   * delimiter is normally not sent (section 5). */
  out->definite_start = nb || t == OBU_SEQUENCE_HEADER || t == OBU_TEMPORAL_DELIMITER ||
                        t == OBU_FRAME_HEADER || t == OBU_FRAME;
  return 0;
}

int rtc__av1_begin(rtc_rtp_depayloader_t *d) {
  /* Our frames start with a temporal delimiter: type 2, has_size_field, size 0. */
  if (d->cap < 2) return RTC_ETOOBIG;
  d->buf[0] = OBU_TEMPORAL_DELIMITER << 3 | 0x02;
  d->buf[1] = 0;
  d->len = 2;
  return 0;
}

/* The OBU at obu_hdr_pos is complete: write its obu_size (minimal LEB128) and close the
 * gap reserved for it; drop a temporal delimiter (we wrote our own). */
static int av1_close_obu(rtc_rtp_depayloader_t *d) {
  d->obu_open = false;
  uint8_t *data = d->buf + d->obu_data_pos;
  size_t size = d->len - d->obu_data_pos;
  if (d->obu_had_size) { /* the sender kept obu_size: trust it, cut what follows */
    uint64_t s;
    int k = rtc__leb128_read(data, size, &s);
    if (k < 0 || s > size - (size_t)k) return RTC_EPARSE;
    data += k;
    size = (size_t)s;
  }
  uint8_t t = obu_type(d->buf[d->obu_hdr_pos]);
  if (t == OBU_TEMPORAL_DELIMITER) {
    d->len = d->obu_hdr_pos;
    return 0;
  }
  if (t == OBU_SEQUENCE_HEADER) d->keyframe = true;
  size_t dst = d->obu_hdr_pos + d->obu_hdr_len;
  size_t k = rtc__leb128_size(size);
  memmove(d->buf + dst + k, data, size);
  rtc__leb128_write(d->buf + dst, size);
  d->len = dst + k + size;
  return 0;
}

int rtc__av1_append(rtc_rtp_depayloader_t *d, const uint8_t *p, size_t n) {
  bool z = p[0] & 0x80, y = p[0] & 0x40;
  uint8_t w = (p[0] >> 4) & 3;
  if (z != d->obu_open) return RTC_EPARSE; /* a fragment without its start, or the reverse */
  size_t off = 1;
  for (unsigned idx = 1; off < n; idx++) {
    size_t len;
    if (w != 0 && idx == w) {
      len = n - off;
    } else {
      uint64_t l;
      int k = rtc__leb128_read(p + off, n - off, &l);
      if (k < 0) return RTC_EPARSE;
      off += (size_t)k;
      if (l > n - off) return RTC_EPARSE;
      len = (size_t)l;
    }
    const uint8_t *e = p + off;
    off += len;
    bool last = off == n;
    if (!(idx == 1 && z)) { /* a new OBU: header, 8 bytes reserved for obu_size */
      if (len == 0) return RTC_EPARSE;
      uint8_t hl = obu_hdr_len(e[0]);
      if (len < hl || (e[0] & 0x80)) return RTC_EPARSE; /* forbidden bit */
      if ((size_t)hl + 8 > d->cap - d->len) return RTC_ETOOBIG;
      d->obu_hdr_pos = d->len;
      d->obu_hdr_len = hl;
      d->obu_had_size = e[0] & 0x02;
      d->buf[d->len] = e[0] | 0x02;
      if (hl == 2) d->buf[d->len + 1] = e[1];
      d->len += hl + 8;
      d->obu_data_pos = d->len;
      d->obu_open = true;
      e += hl;
      len -= hl;
    }
    if (len > d->cap - d->len) return RTC_ETOOBIG;
    memcpy(d->buf + d->len, e, len);
    d->len += len;
    if (!(last && y)) {
      int rc = av1_close_obu(d);
      if (rc) return rc;
    }
    if (w != 0 && idx == w) break;
  }
  if (y && !d->obu_open) return RTC_EPARSE; /* Y set but the last element was empty */
  return 0;
}

int rtc__av1_finish(rtc_rtp_depayloader_t *d) {
  return d->obu_open ? RTC_EPARSE : 0; /* the marker packet said Y: a fragment is missing */
}

/* ===== Payloader ===== */

/* The next OBU of a temporal unit from *off, skipping temporal delimiters and tile lists
 * (section 5: not sent). Fills the header as sent (size field cleared). 1 found, 0 end,
 * RTC_EPARSE when sizes do not add up. */
static int av1_next_obu(const uint8_t *p, size_t n, size_t *off, uint8_t hdr[2], uint8_t *hl,
                        const uint8_t **pl, size_t *pll) {
  while (*off < n) {
    size_t start = *off, o = start;
    uint8_t h = p[o];
    uint8_t l = obu_hdr_len(h);
    if ((h & 0x80) || o + l > n) return RTC_EPARSE;
    size_t size;
    o += l;
    if (h & 0x02) {
      uint64_t s;
      int k = rtc__leb128_read(p + o, n - o, &s);
      if (k < 0) return RTC_EPARSE;
      o += (size_t)k;
      if (s > n - o) return RTC_EPARSE;
      size = (size_t)s;
    } else {
      size = n - o; /* the last OBU may omit its size */
    }
    *off = o + size;
    uint8_t t = obu_type(h);
    if (t == OBU_TEMPORAL_DELIMITER || t == OBU_TILE_LIST) continue;
    hdr[0] = h & (uint8_t)~0x02;
    if (l == 2) hdr[1] = p[start + 1];
    *hl = l;
    *pl = p + o;
    *pll = size;
    return 1;
  }
  return 0;
}

int rtc__av1_set_frame(rtc_rtp_payloader_t *pl) {
  size_t off = 0, n;
  uint8_t hdr[2], hl;
  const uint8_t *u;
  int rc, count = 0;
  pl->av1_seq_hdr = false;
  while ((rc = av1_next_obu(pl->frame, pl->frame_len, &off, hdr, &hl, &u, &n)) == 1) {
    count++;
    if (obu_type(hdr[0]) == OBU_SEQUENCE_HEADER) pl->av1_seq_hdr = true;
  }
  if (rc < 0) return rc;
  if (count == 0) return RTC_EPARSE; /* nothing to send */
  pl->keyframe |= pl->av1_seq_hdr;
  return 0;
}

/* Copies bytes [from, from + k) of the current element (header as sent, then payload). */
static void av1_elem_copy(const rtc_rtp_payloader_t *pl, size_t from, size_t k, uint8_t *out) {
  for (; k > 0 && from < pl->unit_hdr_len; k--)
    *out++ = pl->unit_hdr[from++];
  if (k) memcpy(out, pl->unit + (from - pl->unit_hdr_len), k);
}

static bool av1_open_next(rtc_rtp_payloader_t *pl) {
  const uint8_t *u;
  size_t n;
  if (av1_next_obu(pl->frame, pl->frame_len, &pl->off, pl->unit_hdr, &pl->unit_hdr_len, &u, &n) !=
      1)
    return false;
  pl->unit = u;
  pl->unit_len = pl->unit_hdr_len + n;
  pl->unit_off = 0;
  pl->unit_open = true;
  return true;
}

int rtc__av1_next(rtc_rtp_payloader_t *pl, uint8_t *out, size_t cap, bool *marker) {
  size_t max = pl->max_payload, o = 1;
  bool z = pl->unit_open && pl->unit_off > 0, y = false, nb = pl->first && pl->av1_seq_hdr;
  pl->first = false;
  for (;;) {
    if (!pl->unit_open && !av1_open_next(pl)) break;
    size_t r = pl->unit_len - pl->unit_off, space = max - o;
    if (space < 2) break;
    if (rtc__leb128_size(r) + r <= space) {
      o += rtc__leb128_write(out + o, r);
      av1_elem_copy(pl, pl->unit_off, r, out + o);
      o += r;
      pl->unit_open = false;
      continue;
    }
    /* fragment: the largest f with leb128(f) + f <= space */
    size_t f = space - rtc__leb128_size(space);
    while (rtc__leb128_size(f) + f > space)
      f--;
    o += rtc__leb128_write(out + o, f);
    av1_elem_copy(pl, pl->unit_off, f, out + o);
    o += f;
    pl->unit_off += f;
    y = true;
    break;
  }
  out[0] = (uint8_t)((z ? 0x80 : 0) | (y ? 0x40 : 0) | (nb ? 0x08 : 0)); /* W = 0 */
  if (!y && !pl->unit_open) {
    /* Peek: is there another OBU after this packet? */
    size_t off = pl->off, n;
    uint8_t hdr[2], hl;
    const uint8_t *u;
    *marker = av1_next_obu(pl->frame, pl->frame_len, &off, hdr, &hl, &u, &n) != 1;
  }
  return (int)o;
}
