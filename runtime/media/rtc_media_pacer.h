/* Paces a track's frames in real time, sans-IO: the caller gives the start time
 * and now_us; the pacer says which frames are due and when the next one is.
 *
 * Frame i of the file is due at start_us + its output pts in microseconds, where the
 * output pts is an absolute media time from the start (never a sum of per-frame
 * waits), so there is no drift however long it runs and however late the caller
 * polls. Output pts keep counting across a loop (the next pass starts where the
 * previous one ended: the last frame's pts + duration) and across a keyframe jump
 * (the keyframe takes the time slot of the frame it replaces), so RTP timestamps
 * derived from them stay continuous and in step with the wall clock.
 *
 * The pacer borrows the track (the reader's index): the reader must outlive it.
 * Caller-owned memory (init, no destroy), no allocation. */
#ifndef RTC_MEDIA_PACER_H
#define RTC_MEDIA_PACER_H
#include "media/rtc_media.h"

typedef struct rtc_media_pacer {
  rtc_media_track_t track;
  uint64_t start_us;
  bool loop;
  size_t next;           /* file index of the next frame */
  uint64_t seg_file_pts; /* the file pts where the current pass/jump began... */
  uint64_t seg_out_pts;  /* ...and the output pts it has there */
  uint64_t file_end_pts; /* last pts + its duration (at least 1) */
  uint32_t loops;
  bool done;
} rtc_media_pacer_t;

typedef struct rtc_media_due {
  size_t index;    /* frame number in the track: read it from the reader */
  uint64_t pts;    /* output pts, track timebase units, 0 for the first frame */
  uint64_t due_us; /* when it was due; now_us - due_us is how late the caller is */
  uint32_t loop;   /* passes completed before this frame */
  bool keyframe;
} rtc_media_due_t;

/* track: from rtc_media_*_track (copied; its frames are borrowed). RTC_EINVAL when
 * the track is empty or has a zero timebase. */
int rtc_media_pacer_init(rtc_media_pacer_t *p, const rtc_media_track_t *track, uint64_t start_us,
                         bool loop);
/* The next frame due at now_us: true and *out (call again until false), false when
 * none is due yet or the track ended (not looping). */
bool rtc_media_pacer_poll(rtc_media_pacer_t *p, uint64_t now_us, rtc_media_due_t *out);
/* When the next frame is due (absolute, the caller's clock); RTC_NEVER once done. */
uint64_t rtc_media_pacer_deadline(const rtc_media_pacer_t *p);
bool rtc_media_pacer_done(const rtc_media_pacer_t *p);
/* A keyframe was asked for (PLI/FIR): the next frame polled becomes the next
 * keyframe in the file (taking the time slot of the frame it skips to), wrapping to
 * the first keyframe when looping. false when the file has no keyframe ahead (and
 * does not loop): nothing changes then. true as well if the next frame already is
 * a keyframe. */
bool rtc_media_pacer_request_keyframe(rtc_media_pacer_t *p);
/* Output pts -> microseconds from the start (exact, 128-bit intermediate). */
uint64_t rtc_media_pacer_pts_to_us(const rtc_media_pacer_t *p, uint64_t pts);

#endif
