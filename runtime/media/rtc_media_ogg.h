/* Ogg Opus (RFC 7845) reader and writer over libogg, sans-IO.
 *
 * Time is in 48 kHz samples (Opus's granule unit, whatever the input rate). A
 * packet's pts is the granule position of its first sample, computed back from
 * the granule of the page it ends on (RFC 7845 §4), so gaps in the granule
 * positions (silence not sent, lost packets) stay gaps. The playback time of a
 * packet is (pts - pre_skip) / 48000 s. Durations come from each packet's TOC
 * (RFC 6716 §3.1). Only the first Opus logical stream is read; other streams in a
 * multiplexed file are skipped. */
#ifndef RTC_MEDIA_OGG_H
#define RTC_MEDIA_OGG_H
#include "media/rtc_media.h"

#define RTC_MEDIA_OGG_MAX_PACKETS (1u << 24) /* 93 h of 20 ms packets */

/* Samples (at 48 kHz) in an Opus packet from its TOC byte and frame count
 * (RFC 6716 §3.1-3.2): 120..5760, or 0 for a malformed or empty packet. */
uint32_t rtc_media_opus_packet_duration(const uint8_t *p, size_t len);

typedef struct rtc_media_ogg_info {
  uint8_t channels;
  uint16_t pre_skip;   /* samples at 48 kHz to drop at the start */
  uint32_t input_rate; /* informational (OpusHead) */
  int16_t output_gain; /* Q7.8 dB */
  uint8_t mapping_family;
  char vendor[64]; /* from OpusTags, truncated */
  uint32_t serial;
  size_t packets;
  uint64_t end_granule; /* the last page's granule: end of audio incl. pre-skip */
  uint32_t holes;       /* pages missing inside the stream (libogg saw a gap) */
  bool truncated;       /* bytes after the last complete page were ignored */
} rtc_media_ogg_info_t;

typedef struct rtc_media_ogg_reader rtc_media_ogg_reader_t;

/* Reads p[0..len) (copied into the reader: it may be freed after the call). 0 and
 * *out, or RTC_EPARSE (no Opus stream, bad OpusHead), RTC_ELIMIT, RTC_ENOMEM. A file
 * cut short (a killed recording) opens with what its complete pages hold. */
int rtc_media_ogg_open(const uint8_t *p, size_t len, rtc_media_ogg_reader_t **out);
int rtc_media_ogg_open_file(const char *path, rtc_media_ogg_reader_t **out);
void rtc_media_ogg_close(rtc_media_ogg_reader_t *r);

const rtc_media_ogg_info_t *rtc_media_ogg_info(const rtc_media_ogg_reader_t *r);
/* Timebase 1/48000; every packet is a keyframe. */
rtc_media_track_t rtc_media_ogg_track(const rtc_media_ogg_reader_t *r);
int rtc_media_ogg_frame(const rtc_media_ogg_reader_t *r, size_t i, rtc_media_frame_t *out);

/* Writer. Pages are flushed when about flush_ms of audio has gathered (so a killed
 * recording plays up to the last flush), when they get large, and at finish. The
 * last packet is held back until the next one or finish (it must carry the
 * end-of-stream flag). Nothing is written to a file here: drain
 * rtc_media_ogg_writer_out. */
typedef struct rtc_media_ogg_writer rtc_media_ogg_writer_t;
typedef struct rtc_media_ogg_writer_config {
  uint8_t channels;    /* 1 or 2 (mapping family 0); 0: 2 */
  uint32_t input_rate; /* informational; 0: 48000 */
  uint16_t pre_skip;   /* 0: 312 (what libopus's encoder needs; WebRTC senders too) */
  uint32_t serial;     /* stream serial number; 0: 0x6c756172 */
  uint32_t flush_ms;   /* 0: 1000 */
  const char *vendor;  /* NULL: "luartc" */
} rtc_media_ogg_writer_config_t;

int rtc_media_ogg_writer_create(const rtc_media_ogg_writer_config_t *cfg,
                                rtc_media_ogg_writer_t **out);
void rtc_media_ogg_writer_destroy(rtc_media_ogg_writer_t *w);
/* Appends one Opus packet whose first sample is at pts (48 kHz units, the same clock
 * as the reader's pts: pre-skip included; from RTP: rtp_ts - first_rtp_ts +
 * pre_skip). A pts earlier than the end of the previous packet is moved up to it
 * (granules must not decrease); a later one leaves a gap. RTC_EINVAL (empty or
 * malformed TOC: the packet is refused, nothing written), RTC_ESTATE after finish,
 * RTC_ENOMEM. */
int rtc_media_ogg_writer_write(rtc_media_ogg_writer_t *w, const uint8_t *p, size_t len,
                               uint64_t pts);
/* Ends the stream (end-of-stream flag on the last page) and flushes. Idempotent. */
int rtc_media_ogg_writer_finish(rtc_media_ogg_writer_t *w);
/* Forces the pages so far out now (all but the held last packet). */
int rtc_media_ogg_writer_flush(rtc_media_ogg_writer_t *w);
rtc_media_out_t *rtc_media_ogg_writer_out(rtc_media_ogg_writer_t *w);

#endif
