/* H.264 profile-level-id (RFC 6184 8.1): three bytes profile_idc,
 * profile-iop (constraint_set0..5 flags), level_idc. Two descriptions name
 * the same codec when their *profile* is the same; the profile is read from
 * profile_idc and the constraint flags together (Constrained Baseline is
 * profile_idc 66 with constraint_set1, or 77 with constraint_set0, ...,
 * H.264 Annex A.2), so comparing bytes is not enough. */
#include <stdlib.h>
#include <string.h>

#include "sdp/rtc_sdp_codec.h"
#include "sdp/rtc_sdp_codec_internal.h"

enum {
  H264_NONE = 0,
  H264_CB,  /* Constrained Baseline */
  H264_B,   /* Baseline */
  H264_M,   /* Main */
  H264_CH,  /* Constrained High */
  H264_H,   /* High */
  H264_PH4, /* Predictive High 4:4:4 */
};

/* (profile_idc, iop & mask == value) -> profile. The constraint flag bits are
 * set0 = 0x80 ... set5 = 0x04; the two reserved low bits must be 0. */
static const struct {
  uint8_t idc, mask, value;
  int profile;
} h264_profiles[] = {
    {0x42, 0x4f, 0x40, H264_CB}, /* Baseline + constraint_set1 (A.2.1.1) */
    {0x4d, 0x8f, 0x80, H264_CB}, /* Main + constraint_set0 */
    {0x58, 0xcf, 0xc0, H264_CB}, /* Extended + set0 + set1 */
    {0x42, 0x4f, 0x00, H264_B},   {0x58, 0xcf, 0x80, H264_B},  {0x4d, 0xaf, 0x00, H264_M},
    {0x64, 0xff, 0x00, H264_H},   {0x64, 0xff, 0x0c, H264_CH}, /* High + constraint_set4 + set5 */
    {0xf4, 0xff, 0x00, H264_PH4},
};

static int h264_profile(uint32_t plid) {
  uint8_t idc = (uint8_t)(plid >> 16), iop = (uint8_t)(plid >> 8);
  for (size_t i = 0; i < sizeof(h264_profiles) / sizeof(h264_profiles[0]); i++)
    if (h264_profiles[i].idc == idc && (iop & h264_profiles[i].mask) == h264_profiles[i].value)
      return h264_profiles[i].profile;
  return H264_NONE;
}

bool rtc_sdp_h264_parse_plid(const char *s, uint32_t *plid) {
  uint32_t v = 0;
  if (!s || strlen(s) != 6) return false;
  for (int i = 0; i < 6; i++) {
    char c = s[i];
    unsigned d = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
                 : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                 : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10)
                                        : 16u;
    if (d > 15) return false;
    v = v << 4 | d;
  }
  *plid = v;
  return true;
}

bool rtc_sdp_h264_same_profile(uint32_t a, uint32_t b) {
  int pa = h264_profile(a);
  return pa != H264_NONE && pa == h264_profile(b);
}

/* Levels ordered, level 1b (level_idc 11 with constraint_set3 in the Baseline
 * and Main family, A.3.1) sitting between 1 and 1.1. */
static unsigned h264_level_rank(uint32_t plid) {
  unsigned idc = plid & 0xff, p = h264_profile(plid);
  bool one_b = idc == 11 && (plid & 0x1000) && (p == H264_CB || p == H264_B || p == H264_M);
  return one_b ? 21 : idc * 2;
}

uint32_t rtc__sdp_h264_answer_plid(uint32_t offered, bool offer_asym, uint32_t ours) {
  /* RFC 6184 8.2.2: with level-asymmetry-allowed=1 on both sides each end
   * states the level it receives; otherwise the answer's level is at most the
   * offer's. The profile bytes stay the offerer's (the same profile). */
  uint32_t level_from =
      offer_asym || h264_level_rank(ours) <= h264_level_rank(offered) ? ours : offered;
  uint32_t iop = (offered >> 8) & 0xff;
  /* Carry the 1b marker (constraint_set3) with the level it belongs to. */
  int p = h264_profile(offered);
  if (p == H264_CB || p == H264_B || p == H264_M) iop = (iop & ~0x10u) | ((level_from >> 8) & 0x10);
  return (offered & 0xff0000) | iop << 8 | (level_from & 0xff);
}

uint32_t rtc__sdp_h264_plid_of(const rtc_sdp_rtp_codec_t *rc) {
  uint32_t plid;
  const char *s = rtc_sdp_rtp_codec_param(rc, "profile-level-id");
  /* RFC 6184 8.1: absent means Baseline level 1 (42000a). */
  if (!s) return 0x42000a;
  return rtc_sdp_h264_parse_plid(s, &plid) ? plid : 0;
}

uint8_t rtc__sdp_h264_mode_of(const rtc_sdp_rtp_codec_t *rc) {
  const char *s = rtc_sdp_rtp_codec_param(rc, "packetization-mode");
  if (!s) return 0;
  if (strcmp(s, "0") == 0) return 0;
  if (strcmp(s, "1") == 0) return 1;
  if (strcmp(s, "2") == 0) return 2;
  return 255; /* unknown: matches nothing */
}
