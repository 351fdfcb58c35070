/* What the muxers (WebM/Matroska, MP4) need from the codecs' bitstreams: the picture size
 * and the configuration records' fields, read from a remote peer's frames (untrusted:
 * every read is bounded, a malformed input is a false return), H.264's Annex-B access
 * units rewritten as 4-byte length-prefixed NAL units (ISO/IEC 14496-15, lengthSizeMinusOne
 * 3), as both containers store them, and AV1 temporal units without their temporal
 * delimiters. */
#ifndef RTC_RECORD_CODEC_H
#define RTC_RECORD_CODEC_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "media/rtc_media.h"

/* Bytes an Annex-B access unit takes length-prefixed: 0 when it holds no NAL unit. */
size_t rtc_record_codec_avc_size(const uint8_t *p, size_t len);
/* Appends it length-prefixed to o (room for rtc_record_codec_avc_size bytes reserved
 * first, so it cannot fail). */
void rtc_record_codec_avc_put(rtc_media_out_t *o, const uint8_t *p, size_t len);

/* The cropped picture size an H.264 SPS (NAL unit with its header byte, emulation
 * prevention bytes in) describes (ITU-T H.264 7.3.2.1.1, 7.4.2.1.1). */
bool rtc_record_codec_h264_size(const uint8_t *sps, size_t len, uint16_t *width, uint16_t *height);

/* A VP9 keyframe's uncompressed header (VP9 bitstream spec 6.2): what vpcC holds. */
typedef struct rtc_record_codec_vp9 {
  uint8_t profile, bit_depth;
  uint8_t subsampling; /* vpcC chromaSubsampling: 1 4:2:0, 2 4:2:2, 3 4:4:4 */
  bool full_range;
  uint8_t color_space; /* VP9 color_space (0 unknown, 1 BT.601, 2 BT.709, ... 7 sRGB) */
  uint16_t width, height;
} rtc_record_codec_vp9_t;
/* false unless p starts with a VP9 keyframe (a superframe's first frame counts). */
bool rtc_record_codec_vp9_info(const uint8_t *p, size_t len, rtc_record_codec_vp9_t *out);

/* AV1: a temporal unit in the low-overhead format (every OBU with its size, as the RTP
 * depayloader and IVF files give it). Its bytes without temporal delimiter and padding
 * OBUs (AV1-ISOBMFF 2.4: samples should not hold them): 0 when an OBU is malformed. */
size_t rtc_record_codec_av1_size(const uint8_t *p, size_t len);
/* Appends those bytes to o (room reserved first). */
void rtc_record_codec_av1_put(rtc_media_out_t *o, const uint8_t *p, size_t len);

/* The sequence header of a temporal unit (AV1 spec 5.5): what av1C holds (AV1-ISOBMFF
 * 2.3.3), and the OBU itself (borrowed from the input). */
typedef struct rtc_record_codec_av1 {
  uint8_t profile, level, tier;
  bool high_bitdepth, twelve_bit, monochrome;
  uint8_t ss_x, ss_y, chroma_sample_position;
  uint16_t width, height; /* max_frame_width/height */
  const uint8_t *seq;     /* the sequence header OBU, with its obu_size */
  size_t seq_len;
} rtc_record_codec_av1_t;
/* false unless the temporal unit holds a sequence header this reader understands. */
bool rtc_record_codec_av1_info(const uint8_t *p, size_t len, rtc_record_codec_av1_t *out);

/* The picture size a keyframe gives (an access unit as the depayloaders deliver it:
 * VP8's frame header, VP9's uncompressed header, AV1's sequence header, H.264's SPS in
 * Annex-B); false when the frame does not carry it. */
bool rtc_record_codec_picture_size(rtc_media_codec_t codec, const uint8_t *p, size_t len,
                                   uint16_t *width, uint16_t *height);

#endif
