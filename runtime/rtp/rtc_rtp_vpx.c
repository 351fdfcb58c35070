/* VP8 (RFC 7741) and VP9 (RFC 9628) payload descriptors: depayloader classification and
 * payloaders. The frames themselves are opaque except for the key-frame bit. */
#include <string.h>

#include "base/rtc_bytes.h"
#include "base/rtc_err.h"
#include "rtp/rtc_rtp_codec_internal.h"

/* RFC 7741 section 4.2:
 *   X R N S R PID(3) | I L T K RSV(4) | M PictureID(7 or 15) | TL0PICIDX | TID Y KEYIDX */
int rtc__vp8_classify(const uint8_t *p, size_t n, rtc__depay_pkt_t *out) {
  if (n < 1) return RTC_EPARSE;
  size_t off = 1;
  bool s = p[0] & 0x10;
  uint8_t pid = p[0] & 0x07;
  if (p[0] & 0x80) {
    if (n < 2) return RTC_EPARSE;
    uint8_t x = p[1];
    off = 2;
    if (x & 0x80) { /* I */
      if (off >= n) return RTC_EPARSE;
      if (p[off] & 0x80) {
        if (off + 2 > n) return RTC_EPARSE;
        out->picture_id = rtc_rd16(p + off) & 0x7fff;
        out->pid_mod = 32768;
        off += 2;
      } else {
        out->picture_id = p[off] & 0x7f;
        out->pid_mod = 128;
        off += 1;
      }
    }
    if (x & 0x40) off++; /* L: TL0PICIDX */
    if (x & 0x30) off++; /* T or K: TID/Y/KEYIDX */
  }
  if (off >= n) return RTC_EPARSE; /* a packet without VP8 payload */
  out->data = p + off;
  out->len = n - off;
  out->can_start = out->definite_start = s && pid == 0;
  /* RFC 7741 section 4.3: the P bit of the VP8 payload header, first partition start. */
  if (s && pid == 0) out->keyframe = !(p[off] & 1);
  return 0;
}

int rtc__vp8_next(rtc_rtp_payloader_t *pl, uint8_t *out, size_t cap, bool *marker) {
  /* X=1, S on the first packet, PID 0; I=1 with a 15-bit picture id (M=1). */
  size_t room = pl->max_payload - 4, left = pl->frame_len - pl->off;
  size_t n = left < room ? left : room;
  out[0] = (uint8_t)(0x80 | (pl->off == 0 ? 0x10 : 0));
  out[1] = 0x80;
  rtc_wr16(out + 2, (uint16_t)(0x8000 | pl->picture_id));
  memcpy(out + 4, pl->frame + pl->off, n);
  pl->off += n;
  *marker = pl->off == pl->frame_len;
  return (int)(4 + n);
}

/* RFC 9628 section 4.2:
 *   I P L F B E V Z | M PictureID | TID U SID D | TL0PICIDX (F=0) | P_DIFF N ... (F=1, P=1)
 *   then the scalability structure when V=1 (section 4.2.1). */
int rtc__vp9_classify(const uint8_t *p, size_t n, rtc__depay_pkt_t *out) {
  if (n < 1) return RTC_EPARSE;
  uint8_t b = p[0];
  bool i = b & 0x80, pbit = b & 0x40, l = b & 0x20, f = b & 0x10, bb = b & 0x08, v = b & 0x02;
  size_t off = 1;
  if (i) {
    if (off >= n) return RTC_EPARSE;
    if (p[off] & 0x80) {
      if (off + 2 > n) return RTC_EPARSE;
      out->picture_id = rtc_rd16(p + off) & 0x7fff;
      out->pid_mod = 32768;
      off += 2;
    } else {
      out->picture_id = p[off++] & 0x7f;
      out->pid_mod = 128;
    }
  }
  uint8_t sid = 0;
  if (l) {
    if (off >= n) return RTC_EPARSE;
    sid = (p[off] >> 1) & 0x07;
    off++;
    if (!f) off++; /* TL0PICIDX */
  }
  if (f && pbit) {
    for (int k = 0;; k++) { /* up to 3 P_DIFF, N = more follow */
      if (off >= n || k == 3) return RTC_EPARSE;
      bool more = p[off++] & 0x01;
      if (!more) break;
    }
  }
  if (v) {
    if (off >= n) return RTC_EPARSE;
    uint8_t ss = p[off++];
    unsigned ns = (ss >> 5) + 1u;
    if (ss & 0x10) off += 4u * ns; /* Y: width and height per spatial layer */
    if (ss & 0x08) {               /* G: picture group description */
      if (off >= n) return RTC_EPARSE;
      unsigned ng = p[off++];
      for (unsigned g = 0; g < ng; g++) {
        if (off >= n) return RTC_EPARSE;
        unsigned r = (p[off] >> 2) & 0x03;
        off += 1 + r;
      }
    }
  }
  if (off >= n) return RTC_EPARSE;
  out->data = p + off;
  out->len = n - off;
  out->can_start = out->definite_start = bb && sid == 0;
  out->keyframe = bb && sid == 0 && !pbit;
  return 0;
}

/* Minimal read of a VP9 uncompressed header (VP9 bitstream spec 6.2): frame type and, on a
 * key frame, its size. False when the bits do not look like VP9. */
typedef struct vp9_bits {
  const uint8_t *p;
  size_t n, pos;
} vp9_bits_t;

static int vp9_bit(vp9_bits_t *b) {
  if (b->pos >= 8 * b->n) return -1;
  int v = (b->p[b->pos / 8] >> (7 - b->pos % 8)) & 1;
  b->pos++;
  return v;
}

static long vp9_bits(vp9_bits_t *b, int k) {
  long v = 0;
  for (int i = 0; i < k; i++) {
    int x = vp9_bit(b);
    if (x < 0) return -1;
    v = v << 1 | x;
  }
  return v;
}

bool rtc__vp9_keyframe_size(const uint8_t *p, size_t n, bool *key, uint16_t *w, uint16_t *h) {
  vp9_bits_t b = {p, n, 0};
  *key = false;
  if (vp9_bits(&b, 2) != 2) return false; /* frame_marker */
  long lo = vp9_bit(&b), hi = vp9_bit(&b);
  if (lo < 0 || hi < 0) return false;
  long profile = hi << 1 | lo;
  if (profile == 3 && vp9_bit(&b) != 0) return false;
  if (vp9_bit(&b) != 0) return false; /* show_existing_frame */
  if (vp9_bit(&b) != 0) return false; /* frame_type: 0 = KEY_FRAME */
  *key = true;
  if (vp9_bits(&b, 2) < 0) return false; /* show_frame, error_resilient_mode */
  if (vp9_bits(&b, 24) != 0x498342) return false;
  if (profile >= 2 && vp9_bit(&b) < 0) return false; /* ten_or_twelve_bit */
  long cs = vp9_bits(&b, 3);
  if (cs < 0) return false;
  if (cs != 7) { /* not CS_RGB */
    if (vp9_bit(&b) < 0) return false;
    if ((profile == 1 || profile == 3) && vp9_bits(&b, 3) < 0) return false;
  } else if ((profile == 1 || profile == 3) && vp9_bit(&b) < 0) {
    return false;
  }
  long fw = vp9_bits(&b, 16), fh = vp9_bits(&b, 16);
  if (fw < 0 || fh < 0) return false;
  *w = (uint16_t)(fw + 1);
  *h = (uint16_t)(fh + 1);
  return true;
}

int rtc__vp9_next(rtc_rtp_payloader_t *pl, uint8_t *out, size_t cap, bool *marker) {
  bool first = pl->off == 0;
  bool ss = first && pl->keyframe;
  uint8_t d[16];
  size_t dl = 0;
  /* I=1, P for inter frames, L=0, F per mode, B on the first packet, E on the last, V
   * with the scalability structure on a keyframe's first packet. */
  d[dl++] = 0;
  rtc_wr16(d + dl, (uint16_t)(0x8000 | pl->picture_id));
  dl += 2;
  if (pl->vp9_flexible && !pl->keyframe) d[dl++] = 1 << 1; /* P_DIFF 1, N=0 */
  if (ss) {
    /* N_S = 0 (one spatial layer), Y when we read the size, G = 0 */
    d[dl++] = pl->vp9_has_size ? 0x10 : 0x00;
    if (pl->vp9_has_size) {
      rtc_wr16(d + dl, pl->vp9_width);
      rtc_wr16(d + dl + 2, pl->vp9_height);
      dl += 4;
    }
  }
  size_t room = pl->max_payload - dl, left = pl->frame_len - pl->off;
  size_t n = left < room ? left : room;
  bool last = n == left;
  d[0] = (uint8_t)(0x80 | (pl->keyframe ? 0 : 0x40) | (pl->vp9_flexible ? 0x10 : 0) |
                   (first ? 0x08 : 0) | (last ? 0x04 : 0) | (ss ? 0x02 : 0));
  memcpy(out, d, dl);
  memcpy(out + dl, pl->frame + pl->off, n);
  pl->off += n;
  *marker = last;
  return (int)(dl + n);
}
