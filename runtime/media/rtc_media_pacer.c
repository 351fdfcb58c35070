/* Real-time pacing of a frame index: see rtc_media_pacer.h. */
#include "media/rtc_media_pacer.h"

#include <string.h>

#include "base/rtc_err.h"
#include "base/rtc_time.h"

uint64_t rtc_media_pacer_pts_to_us(const rtc_media_pacer_t *p, uint64_t pts) {
  unsigned __int128 v = (unsigned __int128)pts * p->track.tb_num * 1000000u;
  v /= p->track.tb_den;
  return v > UINT64_MAX ? UINT64_MAX : (uint64_t)v;
}

int rtc_media_pacer_init(rtc_media_pacer_t *p, const rtc_media_track_t *track, uint64_t start_us,
                         bool loop) {
  if (!p || !track || !track->frames || track->count == 0 || !track->tb_num || !track->tb_den)
    return RTC_EINVAL;
  memset(p, 0, sizeof *p);
  p->track = *track;
  p->start_us = start_us;
  p->loop = loop;
  const rtc_media_frame_info_t *last = &track->frames[track->count - 1];
  p->file_end_pts = last->pts + (last->duration ? last->duration : 1);
  p->seg_file_pts = track->frames[0].pts;
  if (p->file_end_pts <= p->seg_file_pts) p->file_end_pts = p->seg_file_pts + 1;
  return 0;
}

/* The output pts of file frame i in the current pass (i == count: where the pass
 * ends). A pts below the pass's start (a non-monotonic file) gets the start. */
static uint64_t pacer_slot(const rtc_media_pacer_t *p, size_t i) {
  uint64_t fp = i < p->track.count ? p->track.frames[i].pts : p->file_end_pts;
  uint64_t d = fp > p->seg_file_pts ? fp - p->seg_file_pts : 0;
  /* Saturate: a file whose pts run off the end of time just ends there (never wraps
   * back to "due now" forever). */
  return d > UINT64_MAX - p->seg_out_pts ? UINT64_MAX : p->seg_out_pts + d;
}

/* Starts a new pass at file frame k, whose output pts is `at`. */
static void pacer_jump(rtc_media_pacer_t *p, size_t k, uint64_t at) {
  p->seg_out_pts = at;
  p->seg_file_pts = p->track.frames[k].pts;
  p->next = k;
}

static void pacer_wrap_if_needed(rtc_media_pacer_t *p) {
  if (p->next < p->track.count || p->done) return;
  if (!p->loop) {
    p->done = true;
    return;
  }
  uint64_t end = pacer_slot(p, p->track.count);
  if (end == UINT64_MAX) { /* out of time (absurd pts): stop rather than wrap */
    p->done = true;
    return;
  }
  if (end <= p->seg_out_pts) end = p->seg_out_pts + 1; /* every pass takes time */
  pacer_jump(p, 0, end);
  p->loops++;
}

uint64_t rtc_media_pacer_deadline(const rtc_media_pacer_t *p) {
  if (!p || p->done || p->next >= p->track.count) return RTC_NEVER;
  uint64_t us = rtc_media_pacer_pts_to_us(p, pacer_slot(p, p->next));
  return us > UINT64_MAX - p->start_us ? RTC_NEVER : p->start_us + us;
}

bool rtc_media_pacer_done(const rtc_media_pacer_t *p) { return !p || p->done; }

bool rtc_media_pacer_poll(rtc_media_pacer_t *p, uint64_t now_us, rtc_media_due_t *out) {
  if (!p || !out || p->done) return false;
  uint64_t due = rtc_media_pacer_deadline(p);
  if (due == RTC_NEVER || due > now_us) return false;
  out->index = p->next;
  out->pts = pacer_slot(p, p->next);
  out->due_us = due;
  out->loop = p->loops;
  out->keyframe = p->track.frames[p->next].keyframe;
  p->next++;
  pacer_wrap_if_needed(p);
  return true;
}

bool rtc_media_pacer_request_keyframe(rtc_media_pacer_t *p) {
  if (!p || p->done) return false;
  const rtc_media_frame_info_t *f = p->track.frames;
  size_t n = p->track.count;
  uint64_t at = pacer_slot(p, p->next);
  for (size_t k = p->next; k < n; k++) {
    if (!f[k].keyframe) continue;
    if (k != p->next) pacer_jump(p, k, at);
    return true;
  }
  if (!p->loop) return false;
  for (size_t k = 0; k < n; k++) {
    if (!f[k].keyframe) continue;
    pacer_jump(p, k, at);
    p->loops++;
    return true;
  }
  return false;
}
