/* Codec bitstream helpers of the muxers: see rtc_record_codec.h. */
#include "record/rtc_record_codec.h"

#include <string.h>

#include "media/rtc_media_h264.h"
#include "media/rtc_media_internal.h"

size_t rtc_record_codec_avc_size(const uint8_t *p, size_t len) {
  size_t n = 0, off = 0, nl;
  const uint8_t *nal;
  while (rtc_media_h264_next_nal(p, len, &off, &nal, &nl))
    n += 4 + nl;
  return n;
}

void rtc_record_codec_avc_put(rtc_media_out_t *o, const uint8_t *p, size_t len) {
  size_t off = 0, nl;
  const uint8_t *nal;
  while (rtc_media_h264_next_nal(p, len, &off, &nal, &nl)) {
    uint8_t be[4] = {(uint8_t)(nl >> 24), (uint8_t)(nl >> 16), (uint8_t)(nl >> 8), (uint8_t)nl};
    rtc__media_out_append(o, be, 4);
    rtc__media_out_append(o, nal, nl);
  }
}

/* An MSB-first bit reader; past the end it reads zeros and sets over. With ep, the H.264
 * emulation prevention bytes (00 00 03) are skipped. */
typedef struct bits {
  const uint8_t *p;
  size_t len, pos; /* pos: bit position */
  bool ep, over;
  int zeros; /* H.264: zero bytes just read */
} bits_t;

static unsigned bits_1(bits_t *b) {
  size_t i = b->pos >> 3;
  if (b->ep && (b->pos & 7) == 0) {
    if (b->zeros >= 2 && i < b->len && b->p[i] == 3) { /* emulation prevention byte */
      b->pos += 8;
      i++;
      b->zeros = 0;
    }
  }
  if (i >= b->len) {
    b->over = true;
    return 0;
  }
  unsigned v = (b->p[i] >> (7 - (b->pos & 7))) & 1;
  b->pos++;
  if (b->ep && (b->pos & 7) == 0) b->zeros = b->p[i] == 0 ? b->zeros + 1 : 0;
  return v;
}

static uint32_t bits_n(bits_t *b, int n) {
  uint32_t v = 0;
  while (n-- > 0)
    v = (v << 1) | bits_1(b);
  return v;
}

/* ue(v): at most 31 leading zeros (a longer prefix is a malformed SPS). */
static uint32_t bits_ue(bits_t *b) {
  int z = 0;
  while (!bits_1(b)) {
    if (b->over || ++z > 31) {
      b->over = true;
      return 0;
    }
  }
  return z ? (uint32_t)((1ull << z) - 1 + bits_n(b, z)) : 0;
}

static void bits_se(bits_t *b) { (void)bits_ue(b); }

/* H.264 7.3.2.1.1.1: only skipped (its delta_scale values do not change the size). */
static void skip_scaling_list(bits_t *b, int size) {
  int last = 8, next = 8;
  for (int j = 0; j < size && !b->over; j++) {
    if (next) {
      uint32_t u = bits_ue(b); /* delta_scale se(v): mapped back from ue */
      int32_t d = (u & 1) ? (int32_t)((u + 1) / 2) : -(int32_t)(u / 2);
      next = (last + d + 256) % 256;
    }
    last = next ? next : last;
  }
}

bool rtc_record_codec_h264_size(const uint8_t *sps, size_t len, uint16_t *width, uint16_t *height) {
  if (!sps || len < 4 || (sps[0] & 0x1f) != 7) return false;
  bits_t b = {.p = sps, .len = len, .pos = 8, .ep = true};
  unsigned profile = bits_n(&b, 8);
  bits_n(&b, 16); /* constraint flags, level_idc */
  bits_ue(&b);    /* seq_parameter_set_id */
  uint32_t chroma = 1;
  bool separate = false;
  if (profile == 100 || profile == 110 || profile == 122 || profile == 244 || profile == 44 ||
      profile == 83 || profile == 86 || profile == 118 || profile == 128 || profile == 138 ||
      profile == 139 || profile == 134 || profile == 135) {
    chroma = bits_ue(&b);
    if (chroma > 3) return false;
    if (chroma == 3) separate = bits_1(&b);
    bits_ue(&b);    /* bit_depth_luma_minus8 */
    bits_ue(&b);    /* bit_depth_chroma_minus8 */
    bits_1(&b);     /* qpprime_y_zero_transform_bypass_flag */
    if (bits_1(&b)) /* seq_scaling_matrix_present_flag */
      for (int i = 0; i < (chroma != 3 ? 8 : 12) && !b.over; i++)
        if (bits_1(&b)) skip_scaling_list(&b, i < 6 ? 16 : 64);
  }
  bits_ue(&b); /* log2_max_frame_num_minus4 */
  uint32_t poc_type = bits_ue(&b);
  if (poc_type == 0) {
    bits_ue(&b); /* log2_max_pic_order_cnt_lsb_minus4 */
  } else if (poc_type == 1) {
    bits_1(&b); /* delta_pic_order_always_zero_flag */
    bits_se(&b);
    bits_se(&b);
    uint32_t n = bits_ue(&b);
    if (n > 255) return false;
    for (uint32_t i = 0; i < n && !b.over; i++)
      bits_se(&b);
  } else if (poc_type > 2) {
    return false;
  }
  bits_ue(&b); /* max_num_ref_frames */
  bits_1(&b);  /* gaps_in_frame_num_value_allowed_flag */
  uint32_t w_mbs = bits_ue(&b) + 1, h_units = bits_ue(&b) + 1;
  unsigned frame_mbs_only = bits_1(&b);
  if (!frame_mbs_only) bits_1(&b); /* mb_adaptive_frame_field_flag */
  bits_1(&b);                      /* direct_8x8_inference_flag */
  uint32_t cl = 0, cr = 0, ct = 0, cb = 0;
  if (bits_1(&b)) {
    cl = bits_ue(&b);
    cr = bits_ue(&b);
    ct = bits_ue(&b);
    cb = bits_ue(&b);
  }
  if (b.over || w_mbs > 1024 || h_units > 1024) return false;
  /* 7.4.2.1.1: crop units; ChromaArrayType 0 (monochrome or separate planes) crops by 1 */
  uint32_t array_type = separate ? 0 : chroma;
  uint32_t ux = array_type == 0 ? 1 : (array_type == 3 ? 1 : 2);
  uint32_t uy =
      (array_type == 0 || array_type == 3 ? 1 : (array_type == 1 ? 2 : 1)) * (2 - frame_mbs_only);
  uint64_t w = (uint64_t)w_mbs * 16, h = (uint64_t)h_units * 16 * (2 - frame_mbs_only);
  uint64_t crop_w = ((uint64_t)cl + cr) * ux, crop_h = ((uint64_t)ct + cb) * uy;
  if (crop_w >= w || crop_h >= h || w - crop_w > 0xffff || h - crop_h > 0xffff) return false;
  *width = (uint16_t)(w - crop_w);
  *height = (uint16_t)(h - crop_h);
  return true;
}

bool rtc_record_codec_vp9_info(const uint8_t *p, size_t len, rtc_record_codec_vp9_t *out) {
  if (!p || !out) return false;
  bits_t b = {.p = p, .len = len};
  if (bits_n(&b, 2) != 2) return false; /* frame_marker */
  unsigned lo = bits_1(&b), hi = bits_1(&b);
  unsigned profile = (hi << 1) | lo;
  if (profile == 3 && bits_1(&b)) return false; /* reserved_zero */
  if (bits_1(&b)) return false;                 /* show_existing_frame */
  if (bits_1(&b)) return false;                 /* frame_type 1: not a keyframe */
  bits_n(&b, 2);                                /* show_frame, error_resilient_mode */
  if (bits_n(&b, 24) != 0x498342) return false; /* frame_sync_code */
  rtc_record_codec_vp9_t v = {.profile = (uint8_t)profile, .bit_depth = 8};
  if (profile >= 2) v.bit_depth = bits_1(&b) ? 12 : 10;
  v.color_space = (uint8_t)bits_n(&b, 3);
  unsigned sx = 1, sy = 1;
  if (v.color_space != 7) { /* not CS_RGB */
    v.full_range = bits_1(&b);
    if (profile == 1 || profile == 3) {
      sx = bits_1(&b);
      sy = bits_1(&b);
      bits_1(&b);
    }
  } else {
    v.full_range = true;
    if (profile == 1 || profile == 3) {
      sx = sy = 0;
      bits_1(&b);
    }
  }
  v.subsampling = sx && sy ? 1 : sx ? 2 : 3; /* 4:4:0 has no vpcC value: as 4:4:4 */
  v.width = (uint16_t)(bits_n(&b, 16) + 1);
  v.height = (uint16_t)(bits_n(&b, 16) + 1);
  if (b.over) return false;
  *out = v;
  return true;
}
