/* H.264 over RTP, RFC 6184 packetization-mode 1 (non-interleaved): single NAL unit
 * packets, STAP-A (type 24) and FU-A (type 28). Frames are Annex-B access units. */
#include <string.h>

#include "base/rtc_bytes.h"
#include "base/rtc_err.h"
#include "rtp/rtc_rtp_codec_internal.h"

#define NAL_SLICE 1
#define NAL_IDR 5
#define NAL_SEI 6
#define NAL_SPS 7
#define NAL_PPS 8
#define NAL_AUD 9
#define NAL_STAP_A 24
#define NAL_FU_A 28

static const uint8_t h264_start_code[4] = {0, 0, 0, 1};

/* First NAL of an access unit (H.264 7.4.1.2.3): AUD, SPS, PPS, SEI, or a slice whose
 * first_mb_in_slice is 0 (ue(v) 0 is a single 1 bit). nal points at the NAL header. */
static bool h264_starts_au(const uint8_t *nal, size_t n) {
  uint8_t t = nal[0] & 0x1f;
  if (t == NAL_AUD || t == NAL_SPS || t == NAL_PPS || t == NAL_SEI) return true;
  if (t == NAL_SLICE || t == NAL_IDR) return n >= 2 && (nal[1] & 0x80);
  return false;
}

int rtc__h264_classify(const uint8_t *p, size_t n, rtc__depay_pkt_t *out) {
  if (n < 1 || (p[0] & 0x80)) return RTC_EPARSE; /* forbidden_zero_bit */
  uint8_t t = p[0] & 0x1f;
  if (t >= 1 && t <= 23) {
    out->can_start = true;
    out->definite_start = h264_starts_au(p, n);
    out->keyframe = t == NAL_IDR;
  } else if (t == NAL_STAP_A) {
    if (n < 4) return RTC_EPARSE;
    size_t sz = rtc_rd16(p + 1);
    if (sz == 0 || 3 + sz > n) return RTC_EPARSE;
    out->can_start = true;
    out->definite_start = h264_starts_au(p + 3, sz);
    for (size_t off = 1; off + 2 <= n;) {
      size_t s = rtc_rd16(p + off);
      if (s == 0 || off + 2 + s > n) return RTC_EPARSE;
      if ((p[off + 2] & 0x1f) == NAL_IDR) out->keyframe = true;
      off += 2 + s;
    }
  } else if (t == NAL_FU_A) {
    if (n < 3) return RTC_EPARSE;
    bool s = p[1] & 0x80, e = p[1] & 0x40;
    if (s && e) return RTC_EPARSE; /* RFC 6184 5.8: not both */
    uint8_t ot = p[1] & 0x1f;
    out->can_start = s;
    if (s) {
      uint8_t hdr[2] = {(uint8_t)((p[0] & 0xe0) | ot), p[2]};
      out->definite_start = h264_starts_au(hdr, 2);
    }
    out->keyframe = s && ot == NAL_IDR;
  } else {
    return RTC_EPARSE; /* STAP-B, MTAP, FU-B: not in packetization-mode 1 */
  }
  return 0;
}

static int h264_put(rtc_rtp_depayloader_t *d, const uint8_t *p, size_t n) {
  if (n > d->cap - d->len) return RTC_ETOOBIG;
  memcpy(d->buf + d->len, p, n);
  d->len += n;
  return 0;
}

/* One whole NAL unit into the frame: start code, bytes; notes parameter sets and IDR. */
static int h264_put_nal(rtc_rtp_depayloader_t *d, const uint8_t *nal, size_t n) {
  uint8_t t = nal[0] & 0x1f;
  if (t == NAL_SPS && n <= sizeof d->sps) {
    memcpy(d->sps, nal, n);
    d->sps_len = n;
    d->has_sps = true;
  } else if (t == NAL_PPS && n <= sizeof d->pps) {
    memcpy(d->pps, nal, n);
    d->pps_len = n;
    d->has_pps = true;
  } else if (t == NAL_IDR) {
    d->has_idr = true;
  }
  int rc = h264_put(d, h264_start_code, 4);
  return rc ? rc : h264_put(d, nal, n);
}

int rtc__h264_append(rtc_rtp_depayloader_t *d, const uint8_t *p, size_t n) {
  uint8_t t = p[0] & 0x1f;
  if (t == NAL_STAP_A) {
    if (d->fu_open) return RTC_EPARSE;
    for (size_t off = 1; off + 2 <= n;) {
      size_t s = rtc_rd16(p + off);
      int rc = h264_put_nal(d, p + off + 2, s);
      if (rc) return rc;
      off += 2 + s;
    }
    return 0;
  }
  if (t == NAL_FU_A) {
    bool s = p[1] & 0x80, e = p[1] & 0x40;
    int rc;
    if (s) {
      if (d->fu_open) return RTC_EPARSE;
      uint8_t hdr = (uint8_t)((p[0] & 0xe0) | (p[1] & 0x1f));
      if ((hdr & 0x1f) == NAL_IDR) d->has_idr = true;
      if ((rc = h264_put(d, h264_start_code, 4)) || (rc = h264_put(d, &hdr, 1))) return rc;
      d->fu_open = true;
    } else if (!d->fu_open) {
      return RTC_EPARSE; /* a middle fragment without its start */
    }
    if ((rc = h264_put(d, p + 2, n - 2))) return rc;
    if (e) d->fu_open = false;
    return 0;
  }
  if (d->fu_open) return RTC_EPARSE;
  return h264_put_nal(d, p, n);
}

/* RFC 6184 section 8.4 leaves parameter sets to out-of-band or in-band delivery; a
 * decoder (or a file) starting at an IDR needs them in front: put the last ones seen
 * there when the access unit came without. */
int rtc__h264_finish(rtc_rtp_depayloader_t *d) {
  if (d->fu_open) return RTC_EPARSE; /* the marker came before the FU-A end */
  if (!d->has_idr) return 0;
  size_t add = 0;
  bool need_sps = !d->has_sps && d->sps_len, need_pps = !d->has_pps && d->pps_len;
  if (need_sps) add += 4 + d->sps_len;
  if (need_pps) add += 4 + d->pps_len;
  if (add == 0) return 0;
  if (add > d->cap - d->len) return RTC_ETOOBIG;
  memmove(d->buf + add, d->buf, d->len);
  size_t o = 0;
  if (need_sps) {
    memcpy(d->buf + o, h264_start_code, 4);
    memcpy(d->buf + o + 4, d->sps, d->sps_len);
    o += 4 + d->sps_len;
  }
  if (need_pps) {
    memcpy(d->buf + o, h264_start_code, 4);
    memcpy(d->buf + o + 4, d->pps, d->pps_len);
  }
  d->len += add;
  return 0;
}

/* ===== Payloader ===== */

/* Next NAL unit of an Annex-B buffer from *off: skips the start code, ends before the
 * next one (trailing zero bytes belong to the next start code). False at the end. */
static bool h264_next_nal(const uint8_t *p, size_t n, size_t *off, const uint8_t **nal,
                          size_t *len) {
  for (;;) {
    size_t i = *off;
    /* find a start code 00 00 01 */
    while (i + 3 <= n && !(p[i] == 0 && p[i + 1] == 0 && p[i + 2] == 1))
      i++;
    if (i + 3 > n) return false;
    size_t s = i + 3, e = s;
    while (e + 3 <= n && !(p[e] == 0 && p[e + 1] == 0 && p[e + 2] == 1))
      e++;
    if (e + 3 > n) e = n;
    size_t end = e;
    while (end > s && p[end - 1] == 0)
      end--;
    *off = e;
    if (end == s) continue; /* empty: skip */
    *nal = p + s;
    *len = end - s;
    return true;
  }
}

int rtc__h264_set_frame(rtc_rtp_payloader_t *pl) {
  size_t off = 0, len;
  const uint8_t *nal;
  bool sps = false, pps = false, idr = false, any = false;
  while (h264_next_nal(pl->frame, pl->frame_len, &off, &nal, &len)) {
    any = true;
    uint8_t t = nal[0] & 0x1f;
    if (t == NAL_SPS && len <= sizeof pl->sps) {
      memcpy(pl->sps, nal, len);
      pl->sps_len = len;
      sps = true;
    } else if (t == NAL_PPS && len <= sizeof pl->pps) {
      memcpy(pl->pps, nal, len);
      pl->pps_len = len;
      pps = true;
    } else if (t == NAL_IDR) {
      idr = true;
    }
  }
  if (!any) return RTC_EPARSE;
  pl->keyframe |= idr;
  pl->inject = 0;
  if (idr && !sps && pl->sps_len) pl->inject |= 1;
  if (idr && !pps && pl->pps_len) pl->inject |= 2;
  return 0;
}

/* The units of the access unit in order: injected SPS, injected PPS, then its NALs. A
 * cursor is (inject bits left, offset in the frame). */
typedef struct h264_cursor {
  int inject;
  size_t off;
} h264_cursor_t;

static bool h264_unit(rtc_rtp_payloader_t *pl, h264_cursor_t *c, const uint8_t **u, size_t *n) {
  if (c->inject & 1) {
    c->inject &= ~1;
    *u = pl->sps;
    *n = pl->sps_len;
    return true;
  }
  if (c->inject & 2) {
    c->inject &= ~2;
    *u = pl->pps;
    *n = pl->pps_len;
    return true;
  }
  return h264_next_nal(pl->frame, pl->frame_len, &c->off, u, n);
}

int rtc__h264_next(rtc_rtp_payloader_t *pl, uint8_t *out, size_t cap, bool *marker) {
  size_t max = pl->max_payload;
  h264_cursor_t c = {pl->inject, pl->off};
  if (pl->unit_open) { /* FU-A in progress on pl->unit */
    size_t left = pl->unit_len - pl->unit_off, n = left < max - 2 ? left : max - 2;
    bool end = n == left;
    out[0] = (uint8_t)((pl->unit[0] & 0xe0) | NAL_FU_A);
    out[1] = (uint8_t)((end ? 0x40 : 0) | (pl->unit[0] & 0x1f));
    memcpy(out + 2, pl->unit + pl->unit_off, n);
    pl->unit_off += n;
    if (end) {
      pl->unit_open = false;
      const uint8_t *u;
      size_t ul;
      *marker = !h264_unit(pl, &c, &u, &ul);
    }
    return (int)(2 + n);
  }
  const uint8_t *u;
  size_t ul;
  if (!h264_unit(pl, &c, &u, &ul)) return 0;
  if (ul > max) { /* RFC 6184 5.8: fragment, the NAL header goes into FU indicator/header */
    pl->unit = u;
    pl->unit_len = ul;
    pl->unit_off = 1;
    pl->unit_open = true;
    pl->inject = c.inject;
    pl->off = c.off;
    size_t n = max - 2;
    out[0] = (uint8_t)((u[0] & 0xe0) | NAL_FU_A);
    out[1] = (uint8_t)(0x80 | (u[0] & 0x1f));
    memcpy(out + 2, u + 1, n);
    pl->unit_off += n;
    return (int)(2 + n);
  }
  /* Aggregate the following units into a STAP-A while they fit (RFC 6184 5.7.1). */
  size_t total = 1 + 2 + ul, count = 1;
  uint8_t f_nri = u[0] & 0xe0;
  h264_cursor_t after_first = c, look = c;
  const uint8_t *v;
  size_t vl;
  while (h264_unit(pl, &look, &v, &vl) && total + 2 + vl <= max) {
    total += 2 + vl;
    count++;
    if ((v[0] & 0x60) > (f_nri & 0x60)) f_nri = (uint8_t)((f_nri & 0x80) | (v[0] & 0x60));
    f_nri |= v[0] & 0x80;
    c = look;
  }
  int n;
  if (count == 1) {
    memcpy(out, u, ul);
    n = (int)ul;
    c = after_first;
  } else {
    out[0] = (uint8_t)(f_nri | NAL_STAP_A);
    size_t o = 1;
    h264_cursor_t w = {pl->inject, pl->off};
    for (size_t k = 0; k < count; k++) {
      h264_unit(pl, &w, &v, &vl);
      rtc_wr16(out + o, (uint16_t)vl);
      memcpy(out + o + 2, v, vl);
      o += 2 + vl;
    }
    n = (int)o;
  }
  pl->inject = c.inject;
  pl->off = c.off;
  h264_cursor_t end = c;
  *marker = !h264_unit(pl, &end, &v, &vl);
  return n;
}
