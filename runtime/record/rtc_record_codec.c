/* Codec bitstream helpers of the muxers: see rtc_record_codec.h. */
#include "record/rtc_record_codec.h"

#include <string.h>

#include "media/rtc_media_h264.h"
#include "media/rtc_media_internal.h"

/* Empty NAL units (a start code right before another or at the end, as a peer's
 * malformed payload gives) are left out: a NAL unit has at least its header byte, and a
 * zero NALUnitLength is no NAL unit a decoder accepts (14496-15). */
size_t rtc_record_codec_avc_size(const uint8_t *p, size_t len) {
  size_t n = 0, off = 0, nl;
  const uint8_t *nal;
  while (rtc_media_h264_next_nal(p, len, &off, &nal, &nl))
    if (nl) n += 4 + nl;
  return n;
}

void rtc_record_codec_avc_put(rtc_media_out_t *o, const uint8_t *p, size_t len) {
  size_t off = 0, nl;
  const uint8_t *nal;
  while (rtc_media_h264_next_nal(p, len, &off, &nal, &nl)) {
    if (!nl) continue;
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
      if (u > 256) { /* 7.4.2.1.1.1: -128..127; more would overflow last + d below */
        b->over = true;
        return;
      }
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

/* One OBU at p[off..len): its type, the whole OBU's length (header, size field, payload)
 * and where its payload starts. false when malformed or without obu_has_size_field. */
static bool av1_obu(const uint8_t *p, size_t len, size_t off, unsigned *type, size_t *total,
                    size_t *payload) {
  if (off >= len) return false;
  uint8_t h = p[off];
  if (h & 0x80) return false;                 /* forbidden bit */
  if (!(h & 0x02)) return false;              /* no obu_size: not the low-overhead format */
  size_t at = off + 1 + ((h & 0x04) ? 1 : 0); /* extension byte */
  uint64_t size = 0;
  for (int i = 0;; i++) {
    if (at >= len || i == 8) return false;
    uint8_t b = p[at++];
    size |= (uint64_t)(b & 0x7f) << (7 * i);
    if (!(b & 0x80)) break;
  }
  if (size > len - at) return false;
  *type = (h >> 3) & 0x0f;
  *payload = at;
  *total = at + (size_t)size - off;
  return true;
}

#define AV1_OBU_SEQUENCE_HEADER 1
#define AV1_OBU_TEMPORAL_DELIMITER 2
#define AV1_OBU_PADDING 15

size_t rtc_record_codec_av1_size(const uint8_t *p, size_t len) {
  size_t n = 0, off = 0, total, payload;
  unsigned type;
  while (off < len) {
    if (!av1_obu(p, len, off, &type, &total, &payload)) return 0;
    if (type != AV1_OBU_TEMPORAL_DELIMITER && type != AV1_OBU_PADDING) n += total;
    off += total;
  }
  return n;
}

void rtc_record_codec_av1_put(rtc_media_out_t *o, const uint8_t *p, size_t len) {
  size_t off = 0, total, payload;
  unsigned type;
  while (off < len && av1_obu(p, len, off, &type, &total, &payload)) {
    if (type != AV1_OBU_TEMPORAL_DELIMITER && type != AV1_OBU_PADDING)
      rtc__media_out_append(o, p + off, total);
    off += total;
  }
}

/* uvlc() (AV1 4.10.3): only skipped. */
static void bits_uvlc(bits_t *b) {
  int z = 0;
  while (!bits_1(b)) {
    if (b->over || ++z >= 32) {
      b->over = true;
      return;
    }
  }
  bits_n(b, z);
}

/* sequence_header_obu() (AV1 5.5.1) up to color_config(): the fields av1C repeats. */
static bool av1_seq(const uint8_t *p, size_t len, rtc_record_codec_av1_t *v) {
  bits_t b = {.p = p, .len = len};
  v->profile = (uint8_t)bits_n(&b, 3);
  if (v->profile > 2) return false;
  bits_1(&b); /* still_picture */
  bool reduced = bits_1(&b);
  bool decoder_model = false, delay_present = false;
  uint32_t delay_len = 0;
  if (reduced) {
    v->level = (uint8_t)bits_n(&b, 5);
  } else {
    if (bits_1(&b)) { /* timing_info_present_flag */
      bits_n(&b, 32);
      bits_n(&b, 32);
      if (bits_1(&b)) bits_uvlc(&b); /* equal_picture_interval */
      decoder_model = bits_1(&b);
      if (decoder_model) {
        delay_len = bits_n(&b, 5) + 1;
        bits_n(&b, 32);
        bits_n(&b, 10); /* buffer_removal_time_length, frame_presentation_time_length */
      }
    }
    delay_present = bits_1(&b);
    uint32_t ops = bits_n(&b, 5) + 1;
    for (uint32_t i = 0; i < ops && !b.over; i++) {
      bits_n(&b, 12); /* operating_point_idc */
      uint8_t level = (uint8_t)bits_n(&b, 5), tier = 0;
      if (level > 7) tier = (uint8_t)bits_1(&b);
      if (decoder_model && bits_1(&b)) {
        bits_n(&b, (int)delay_len);
        bits_n(&b, (int)delay_len);
        bits_1(&b);
      }
      if (delay_present && bits_1(&b)) bits_n(&b, 4);
      if (i == 0) v->level = level, v->tier = tier;
    }
  }
  int wb = (int)bits_n(&b, 4) + 1, hb = (int)bits_n(&b, 4) + 1;
  uint32_t w = bits_n(&b, wb) + 1, h = bits_n(&b, hb) + 1;
  if (w > 0xffff || h > 0xffff) return false;
  v->width = (uint16_t)w;
  v->height = (uint16_t)h;
  if (!reduced && bits_1(&b)) bits_n(&b, 7); /* frame_id_numbers_present: two lengths */
  bits_n(&b, 3); /* use_128x128_superblock, enable_filter_intra, enable_intra_edge */
  if (!reduced) {
    bits_n(&b, 4); /* interintra, masked, warped motion, dual filter */
    bool order_hint = bits_1(&b);
    if (order_hint) bits_n(&b, 2); /* jnt_comp, ref_frame_mvs */
    unsigned force_sct = 2;
    if (!bits_1(&b)) force_sct = bits_1(&b);      /* seq_choose_screen_content_tools */
    if (force_sct > 0 && !bits_1(&b)) bits_1(&b); /* seq_choose_integer_mv */
    if (order_hint) bits_n(&b, 3);
  }
  bits_n(&b, 3); /* enable_superres, enable_cdef, enable_restoration */
  /* color_config() (5.5.2) */
  v->high_bitdepth = bits_1(&b);
  v->twelve_bit = v->profile == 2 && v->high_bitdepth ? bits_1(&b) : false;
  v->monochrome = v->profile == 1 ? false : bits_1(&b);
  unsigned cp = 2, tc = 2, mc = 2;
  if (bits_1(&b)) { /* color_description_present_flag */
    cp = bits_n(&b, 8);
    tc = bits_n(&b, 8);
    mc = bits_n(&b, 8);
  }
  v->chroma_sample_position = 0;
  if (v->monochrome) {
    v->ss_x = v->ss_y = 1;
  } else if (cp == 1 && tc == 13 && mc == 0) { /* sRGB */
    v->ss_x = v->ss_y = 0;
  } else {
    bits_1(&b); /* color_range */
    if (v->profile == 0) {
      v->ss_x = v->ss_y = 1;
    } else if (v->profile == 1) {
      v->ss_x = v->ss_y = 0;
    } else if (v->twelve_bit) {
      v->ss_x = (uint8_t)bits_1(&b);
      v->ss_y = v->ss_x ? (uint8_t)bits_1(&b) : 0;
    } else {
      v->ss_x = 1, v->ss_y = 0;
    }
    if (v->ss_x && v->ss_y) v->chroma_sample_position = (uint8_t)bits_n(&b, 2);
  }
  return !b.over;
}

bool rtc_record_codec_av1_info(const uint8_t *p, size_t len, rtc_record_codec_av1_t *out) {
  if (!p || !out) return false;
  size_t off = 0, total, payload;
  unsigned type;
  while (off < len && av1_obu(p, len, off, &type, &total, &payload)) {
    if (type == AV1_OBU_SEQUENCE_HEADER) {
      rtc_record_codec_av1_t v = {.seq = p + off, .seq_len = total};
      if (!av1_seq(p + payload, off + total - payload, &v)) return false;
      *out = v;
      return true;
    }
    off += total;
  }
  return false;
}

bool rtc_record_codec_picture_size(rtc_media_codec_t codec, const uint8_t *p, size_t len,
                                   uint16_t *width, uint16_t *height) {
  if (!p) return false;
  switch (codec) {
  case RTC_MEDIA_CODEC_VP8:
    /* RFC 6386 9.1: a keyframe's 3-byte tag, start code 9d 01 2a, 14-bit width/height */
    if (len < 10 || (p[0] & 1) || p[3] != 0x9d || p[4] != 0x01 || p[5] != 0x2a) return false;
    *width = (uint16_t)((p[6] | p[7] << 8) & 0x3fff);
    *height = (uint16_t)((p[8] | p[9] << 8) & 0x3fff);
    return true;
  case RTC_MEDIA_CODEC_VP9: {
    rtc_record_codec_vp9_t v;
    if (!rtc_record_codec_vp9_info(p, len, &v)) return false;
    *width = v.width;
    *height = v.height;
    return true;
  }
  case RTC_MEDIA_CODEC_AV1: {
    rtc_record_codec_av1_t a;
    if (!rtc_record_codec_av1_info(p, len, &a)) return false;
    *width = a.width;
    *height = a.height;
    return true;
  }
  case RTC_MEDIA_CODEC_H264: {
    size_t off = 0, nl;
    const uint8_t *nal;
    while (rtc_media_h264_next_nal(p, len, &off, &nal, &nl))
      if (nl && (nal[0] & 0x1f) == 7) return rtc_record_codec_h264_size(nal, nl, width, height);
    return false;
  }
  default: return false;
  }
}
