/* RTCP builders: SR, RR, SDES CNAME, BYE (RFC 3550), generic NACK, PLI (RFC 4585), FIR
 * (RFC 5104), REMB, transport-wide CC feedback. */
#include <stdlib.h>
#include <string.h>

#include "base/rtc_bytes.h"
#include "base/rtc_err.h"
#include "rtp/rtc_rtcp.h"
#include "rtp/rtc_rtp.h"

/* Common header: V=2, P, count/FMT, PT, length in 32-bit words minus one. */
static void rtcp_header(uint8_t *out, bool pad, uint8_t count, uint8_t pt, size_t len) {
  out[0] = (uint8_t)(0x80 | (pad ? 0x20 : 0) | (count & 0x1f));
  out[1] = pt;
  rtc_wr16(out + 2, (uint16_t)(len / 4 - 1));
}

static void rtcp_write_rb(uint8_t *b, const rtc_rtcp_rb_t *rb) {
  rtc_wr32(b, rb->ssrc);
  b[4] = rb->fraction_lost;
  /* RFC 3550 6.4.1: 24-bit signed, clamped to its range */
  int32_t c = rb->cumulative_lost;
  if (c > 0x7fffff) c = 0x7fffff;
  if (c < -0x800000) c = -0x800000;
  rtc_wr24(b + 5, (uint32_t)c & 0xffffff);
  rtc_wr32(b + 8, rb->ext_highest_seq);
  rtc_wr32(b + 12, rb->jitter);
  rtc_wr32(b + 16, rb->lsr);
  rtc_wr32(b + 20, rb->dlsr);
}

int rtc_rtcp_write_sr(uint8_t *out, size_t cap, const rtc_rtcp_sr_t *sr) {
  if (sr->rb_count > RTC_RTCP_MAX_RB) return RTC_EINVAL;
  size_t n = 28 + 24u * sr->rb_count;
  if (n > cap) return RTC_ETOOBIG;
  rtcp_header(out, false, sr->rb_count, RTC_RTCP_SR, n);
  rtc_wr32(out + 4, sr->ssrc);
  rtc_wr64(out + 8, sr->ntp);
  rtc_wr32(out + 16, sr->rtp_ts);
  rtc_wr32(out + 20, sr->packet_count);
  rtc_wr32(out + 24, sr->octet_count);
  for (int i = 0; i < sr->rb_count; i++)
    rtcp_write_rb(out + 28 + 24 * i, &sr->rb[i]);
  return (int)n;
}

int rtc_rtcp_write_rr(uint8_t *out, size_t cap, const rtc_rtcp_rr_t *rr) {
  if (rr->rb_count > RTC_RTCP_MAX_RB) return RTC_EINVAL;
  size_t n = 8 + 24u * rr->rb_count;
  if (n > cap) return RTC_ETOOBIG;
  rtcp_header(out, false, rr->rb_count, RTC_RTCP_RR, n);
  rtc_wr32(out + 4, rr->ssrc);
  for (int i = 0; i < rr->rb_count; i++)
    rtcp_write_rb(out + 8 + 24 * i, &rr->rb[i]);
  return (int)n;
}

int rtc_rtcp_write_sdes_cname(uint8_t *out, size_t cap, uint32_t ssrc, const char *cname) {
  size_t cl = cname ? strlen(cname) : 0;
  if (cl == 0 || cl > 255) return RTC_EINVAL;
  /* header, SSRC, CNAME item, at least one null octet, to a 32-bit boundary */
  size_t n = (4 + 4 + 2 + cl + 1 + 3) & ~(size_t)3;
  if (n > cap) return RTC_ETOOBIG;
  memset(out, 0, n);
  rtcp_header(out, false, 1, RTC_RTCP_SDES, n);
  rtc_wr32(out + 4, ssrc);
  out[8] = 1; /* CNAME */
  out[9] = (uint8_t)cl;
  memcpy(out + 10, cname, cl);
  return (int)n;
}

int rtc_rtcp_write_bye(uint8_t *out, size_t cap, uint32_t ssrc, const char *reason) {
  size_t rl = reason ? strlen(reason) : 0;
  if (rl > 255) return RTC_EINVAL;
  size_t n = 8 + (reason ? (1 + rl + 3) & ~(size_t)3 : 0);
  if (n > cap) return RTC_ETOOBIG;
  memset(out, 0, n);
  rtcp_header(out, false, 1, RTC_RTCP_BYE, n);
  rtc_wr32(out + 4, ssrc);
  if (reason) {
    out[8] = (uint8_t)rl;
    memcpy(out + 9, reason, rl);
  }
  return (int)n;
}

static int rtcp_write_fb(uint8_t *out, size_t cap, uint8_t pt, uint8_t fmt, uint32_t sender,
                         uint32_t media, size_t fci_len) {
  size_t n = 12 + fci_len;
  if (n > cap) return RTC_ETOOBIG;
  rtcp_header(out, false, fmt, pt, n);
  rtc_wr32(out + 4, sender);
  rtc_wr32(out + 8, media);
  return (int)n;
}

int rtc_rtcp_write_nack(uint8_t *out, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                        const uint16_t *seqs, size_t n) {
  if (n == 0) return RTC_EINVAL;
  if (cap < 16) return RTC_ETOOBIG;
  /* Greedy: each number joins the first pair whose PID..PID+16 covers it, or opens a new
   * pair. Sorted input (what rtc_rtp_recv_poll_nack gives) packs optimally. */
  size_t pairs = 0, maxpairs = (cap - 12) / 4;
  uint8_t *fci = out + 12;
  for (size_t i = 0; i < n; i++) {
    bool done = false;
    for (size_t k = 0; k < pairs && !done; k++) {
      uint16_t pid = rtc_rd16(fci + 4 * k);
      uint16_t d = (uint16_t)(seqs[i] - pid);
      if (d == 0)
        done = true;
      else if (d <= 16) {
        rtc_wr16(fci + 4 * k + 2, (uint16_t)(rtc_rd16(fci + 4 * k + 2) | 1u << (d - 1)));
        done = true;
      }
    }
    if (done) continue;
    if (pairs == maxpairs || pairs == 0xfffc) return RTC_ETOOBIG;
    rtc_wr16(fci + 4 * pairs, seqs[i]);
    rtc_wr16(fci + 4 * pairs + 2, 0);
    pairs++;
  }
  return rtcp_write_fb(out, cap, RTC_RTCP_RTPFB, RTC_RTCP_FMT_NACK, sender_ssrc, media_ssrc,
                       4 * pairs);
}

int rtc_rtcp_write_pli(uint8_t *out, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc) {
  return rtcp_write_fb(out, cap, RTC_RTCP_PSFB, RTC_RTCP_FMT_PLI, sender_ssrc, media_ssrc, 0);
}

int rtc_rtcp_write_fir(uint8_t *out, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                       uint8_t seq_nr) {
  /* RFC 5104 section 4.3.1.2: the common header's media SSRC is 0, the target is in the
   * FCI entry. */
  int n = rtcp_write_fb(out, cap, RTC_RTCP_PSFB, RTC_RTCP_FMT_FIR, sender_ssrc, 0, 8);
  if (n < 0) return n;
  rtc_wr32(out + 12, media_ssrc);
  out[16] = seq_nr;
  out[17] = out[18] = out[19] = 0;
  return n;
}

int rtc_rtcp_write_remb(uint8_t *out, size_t cap, uint32_t sender_ssrc, uint64_t bitrate_bps,
                        const uint32_t *ssrcs, uint8_t n_ssrc) {
  int n = rtcp_write_fb(out, cap, RTC_RTCP_PSFB, RTC_RTCP_FMT_AFB, sender_ssrc, 0, 8 + 4u * n_ssrc);
  if (n < 0) return n;
  uint8_t exp = 0;
  while ((bitrate_bps >> exp) > 0x3ffff)
    exp++;
  memcpy(out + 12, "REMB", 4);
  out[16] = n_ssrc;
  rtc_wr24(out + 17, (uint32_t)exp << 18 | (uint32_t)(bitrate_bps >> exp));
  for (int i = 0; i < n_ssrc; i++)
    rtc_wr32(out + 20 + 4 * i, ssrcs[i]);
  return n;
}

/* --- TWCC --- */

#define TWCC_MAX 1024 /* packets per feedback we build (about 2.5 KB worst case) */

int rtc_rtcp_write_twcc(uint8_t *out, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                        uint8_t fb_count, uint16_t base_seq, const int64_t *arrival_us,
                        size_t count, size_t *n_written) {
  *n_written = 0;
  if (count == 0 || arrival_us[0] < 0) return RTC_EINVAL;
  if (count > TWCC_MAX) count = TWCC_MAX;
  uint8_t sym[TWCC_MAX];
  int16_t delta[TWCC_MAX];
  /* transport-wide-cc-extensions-01 3.1.5: deltas in 250 us from the previous received
   * packet; the first one from the reference time (multiples of 64 ms). We track the
   * quantised time so that rounding errors do not add up. */
  int64_t ref = arrival_us[0] / 64000;
  int64_t prev = ref * 64000;
  size_t n = 0;
  for (; n < count; n++) {
    if (arrival_us[n] < 0) {
      sym[n] = 0;
      continue;
    }
    int64_t d = arrival_us[n] - prev;
    int64_t q = d >= 0 ? (d + 125) / 250 : -((-d + 125) / 250);
    if (q < INT16_MIN || q > INT16_MAX) break;
    sym[n] = (q >= 0 && q <= 255) ? 1 : 2;
    delta[n] = (int16_t)q;
    prev += q * 250;
  }
  while (n > 0 && sym[n - 1] == 0)
    n--; /* end on a received packet */
  size_t off = 20;
#define TWCC_PUT16(v)                                                                              \
  do {                                                                                             \
    if (off + 2 > cap) return RTC_ETOOBIG;                                                         \
    rtc_wr16(out + off, (uint16_t)(v));                                                            \
    off += 2;                                                                                      \
  } while (0)
  for (size_t i = 0; i < n;) {
    size_t run = 1;
    while (i + run < n && sym[i + run] == sym[i] && run < 0x1fff)
      run++;
    if (run >= 7 || i + run == n) {
      /* run-length chunk: 0 | S(2) | length(13) */
      TWCC_PUT16((unsigned)sym[i] << 13 | run);
      i += run;
      continue;
    }
    bool big = false;
    for (size_t j = i; j < n && j < i + 14; j++)
      big |= sym[j] == 2;
    if (!big) { /* one-bit vector of 14: 1 | 0 | 14 symbols */
      unsigned c = 0x8000;
      for (size_t j = 0; j < 14 && i + j < n; j++)
        c |= (unsigned)sym[i + j] << (13 - j);
      TWCC_PUT16(c);
      i += 14;
    } else { /* two-bit vector of 7: 1 | 1 | 7 symbols */
      unsigned c = 0xc000;
      for (size_t j = 0; j < 7 && i + j < n; j++)
        c |= (unsigned)sym[i + j] << (12 - 2 * j);
      TWCC_PUT16(c);
      i += 7;
    }
  }
  for (size_t i = 0; i < n; i++) {
    if (sym[i] == 1) {
      if (off + 1 > cap) return RTC_ETOOBIG;
      out[off++] = (uint8_t)delta[i];
    } else if (sym[i] == 2) {
      TWCC_PUT16(delta[i]);
    }
  }
#undef TWCC_PUT16
  /* RFC 3550 padding (P bit, count in the last octet) to a 32-bit boundary, as libwebrtc
   * sends it. */
  size_t pad = (4 - off % 4) % 4;
  if (off + pad > cap) return RTC_ETOOBIG;
  for (size_t i = 0; i < pad; i++)
    out[off + i] = 0;
  if (pad) out[off + pad - 1] = (uint8_t)pad;
  off += pad;
  rtcp_header(out, pad != 0, RTC_RTCP_FMT_TWCC, RTC_RTCP_RTPFB, off);
  rtc_wr32(out + 4, sender_ssrc);
  rtc_wr32(out + 8, media_ssrc);
  rtc_wr16(out + 12, base_seq);
  rtc_wr16(out + 14, (uint16_t)n);
  rtc_wr24(out + 16, (uint32_t)ref & 0xffffff);
  out[19] = fb_count;
  *n_written = n;
  return (int)off;
}
