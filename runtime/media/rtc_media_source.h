/* One handle over the three readers, for code that plays "a file" whatever it is
 * (the peer connection's file tracks, the Lua binding): picks the reader by content
 * (IVF "DKIF", Ogg "OggS" with OpusHead, else H.264 Annex-B) and gives the codec,
 * the track for the pacer, and frames by number. */
#ifndef RTC_MEDIA_SOURCE_H
#define RTC_MEDIA_SOURCE_H
#include "media/rtc_media.h"

typedef struct rtc_media_source rtc_media_source_t;

/* Opens p[0..len) (copied: the caller may free it after). fps_num/fps_den only
 * matter for H.264 (0/0: 30). 0 and *out, or the reader's error (RTC_EPARSE when
 * nothing recognises the bytes). */
int rtc_media_source_open(const uint8_t *p, size_t len, uint32_t fps_num, uint32_t fps_den,
                          rtc_media_source_t **out);
/* Reads the file (blocking: before media starts) and opens it. RTC_EIO too. */
int rtc_media_source_open_file(const char *path, uint32_t fps_num, uint32_t fps_den,
                               rtc_media_source_t **out);
void rtc_media_source_close(rtc_media_source_t *s); /* NULL is fine */

rtc_media_codec_t rtc_media_source_codec(const rtc_media_source_t *s);
bool rtc_media_source_is_audio(const rtc_media_source_t *s);
/* Borrowed from the source: valid until it is closed. */
rtc_media_track_t rtc_media_source_track(const rtc_media_source_t *s);
/* Frame i; data borrowed until the next call on s. 0 or RTC_ENOTFOUND. */
int rtc_media_source_frame(rtc_media_source_t *s, size_t i, rtc_media_frame_t *out);
/* Video size when the container tells (IVF), else 0. Opus: channels, else 0. */
void rtc_media_source_video_size(const rtc_media_source_t *s, uint16_t *width, uint16_t *height);
int rtc_media_source_channels(const rtc_media_source_t *s);

#endif
