/* Ogg Opus reader and writer over libogg: see rtc_media_ogg.h. */
#include "media/rtc_media_ogg.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ogg/ogg.h>

#include "base/rtc_err.h"
#include "media/rtc_media_internal.h"

#define OPUS_RATE 48000u

uint32_t rtc_media_opus_packet_duration(const uint8_t *p, size_t len) {
  if (!p || len < 1) return 0;
  static const uint32_t silk[4] = {480, 960, 1920, 2880}; /* 10, 20, 40, 60 ms */
  uint8_t toc = p[0];
  unsigned config = toc >> 3;
  uint32_t per_frame;
  if (config < 12)
    per_frame = silk[config & 3];
  else if (config < 16)
    per_frame = (config & 1) ? 960 : 480; /* hybrid: 10, 20 ms */
  else
    per_frame = 120u << (config & 3); /* CELT: 2.5, 5, 10, 20 ms */
  uint32_t frames;
  switch (toc & 3) {
  case 0: frames = 1; break;
  case 1:
    if ((len - 1) % 2) return 0; /* RFC 6716 §3.2.3: two equal halves */
    frames = 2;
    break;
  case 2: frames = 2; break;
  default:
    if (len < 2) return 0;
    frames = p[1] & 0x3f;
    if (frames == 0) return 0;
  }
  uint32_t d = per_frame * frames;
  return d > 5760 ? 0 : d; /* RFC 6716 §3.2.5: at most 120 ms */
}

/* ---- reader ---- */

struct rtc_media_ogg_reader {
  uint8_t *data; /* all audio packets back to back */
  size_t len, cap;
  rtc__media_index_t ix;
  rtc_media_ogg_info_t info;
};

static int ogg_reader_store(rtc_media_ogg_reader_t *r, const uint8_t *p, size_t n) {
  if (r->len + n > r->cap) {
    size_t ncap = r->cap ? r->cap : 65536;
    while (ncap < r->len + n)
      ncap *= 2;
    uint8_t *nd = realloc(r->data, ncap);
    if (!nd) return RTC_ENOMEM;
    r->data = nd;
    r->cap = ncap;
  }
  if (n) memcpy(r->data + r->len, p, n);
  r->len += n;
  return 0;
}

/* RFC 7845 §5.1: "OpusHead", version, channels, pre-skip, rate, gain, family. */
static int ogg_parse_head(rtc_media_ogg_info_t *in, const uint8_t *p, size_t n) {
  if (n < 19 || memcmp(p, "OpusHead", 8) != 0) return RTC_EPARSE;
  if ((p[8] >> 4) != 0) return RTC_EPARSE; /* major version 0 only */
  in->channels = p[9];
  in->pre_skip = rtc__rd16le(p + 10);
  in->input_rate = rtc__rd32le(p + 12);
  in->output_gain = (int16_t)rtc__rd16le(p + 16);
  in->mapping_family = p[18];
  if (in->channels == 0) return RTC_EPARSE;
  if (in->mapping_family == 0 && in->channels > 2) return RTC_EPARSE;
  if (in->mapping_family != 0 && n < 21u + in->channels) return RTC_EPARSE;
  return 0;
}

/* RFC 7845 §5.2: "OpusTags", vendor string length and bytes (comments ignored). */
static void ogg_parse_tags(rtc_media_ogg_info_t *in, const uint8_t *p, size_t n) {
  if (n < 12 || memcmp(p, "OpusTags", 8) != 0) return;
  uint32_t vl = rtc__rd32le(p + 8);
  if (vl > n - 12) return;
  size_t k = vl < sizeof in->vendor - 1 ? vl : sizeof in->vendor - 1;
  memcpy(in->vendor, p + 12, k);
  in->vendor[k] = 0;
}

/* The packets that ended on one page get their pts from its granule. */
static void ogg_assign_pts(rtc_media_ogg_reader_t *r, size_t first, int64_t granule, bool eos,
                           uint64_t *prev_end, bool *have_prev) {
  size_t n = r->ix.n - first;
  if (n == 0) return;
  rtc_media_frame_info_t *f = r->ix.v + first;
  uint64_t sum = 0;
  for (size_t i = 0; i < n; i++)
    sum += f[i].duration;
  uint64_t start;
  if (granule < 0) {
    start = *prev_end; /* a page with no granule: follow on */
  } else if (eos && *have_prev && (uint64_t)granule < *prev_end + sum) {
    /* RFC 7845 §4: the last page may end before its packets do (end trimming). */
    start = *prev_end;
  } else if ((uint64_t)granule < sum || ((uint64_t)granule - sum < *prev_end && *have_prev)) {
    start = *prev_end; /* inconsistent granules: never go back in time */
  } else {
    start = (uint64_t)granule - sum;
  }
  for (size_t i = 0; i < n; i++) {
    f[i].pts = start;
    start += f[i].duration;
  }
  if (granule >= 0 && eos && (uint64_t)granule < start) {
    /* Trim the last packet's duration to where the stream ends. */
    uint64_t over = start - (uint64_t)granule;
    rtc_media_frame_info_t *last = &f[n - 1];
    last->duration = over >= last->duration ? 0 : last->duration - (uint32_t)over;
    start = (uint64_t)granule;
  }
  *prev_end = start;
  *have_prev = true;
}

int rtc_media_ogg_open(const uint8_t *p, size_t len, rtc_media_ogg_reader_t **out) {
  if (!out) return RTC_EINVAL;
  *out = NULL;
  if ((!p && len) || len > (size_t)LONG_MAX) return RTC_EINVAL;
  rtc_media_ogg_reader_t *r = calloc(1, sizeof *r);
  if (!r) return RTC_ENOMEM;
  ogg_sync_state oy;
  ogg_stream_state os;
  ogg_sync_init(&oy);
  bool have_stream = false, head = false, tags = false, eos = false;
  uint64_t prev_end = 0;
  bool have_prev = false;
  int err = 0;
  if (len) {
    char *buf = ogg_sync_buffer(&oy, (long)len);
    if (!buf) {
      err = RTC_ENOMEM;
      goto done;
    }
    memcpy(buf, p, len);
    ogg_sync_wrote(&oy, (long)len);
  }
  ogg_page og;
  for (;;) {
    int pr = ogg_sync_pageout(&oy, &og);
    if (pr == 0) break;
    if (pr < 0) continue; /* skipped garbage until the next capture pattern */
    if (!have_stream) {
      /* The first beginning-of-stream page whose packet is an OpusHead. */
      if (!ogg_page_bos(&og) || og.body_len < 8 || memcmp(og.body, "OpusHead", 8) != 0) continue;
      if (ogg_stream_init(&os, ogg_page_serialno(&og)) != 0) {
        err = RTC_ENOMEM;
        goto done;
      }
      have_stream = true;
      r->info.serial = (uint32_t)ogg_page_serialno(&og);
    }
    if (eos) break; /* only the first stream; a chained one after it is not read */
    if (ogg_page_serialno(&og) != (int)r->info.serial) continue;
    if (ogg_stream_pagein(&os, &og) != 0) continue;
    size_t first = r->ix.n;
    ogg_packet op;
    int k;
    while ((k = ogg_stream_packetout(&os, &op)) != 0) {
      if (k < 0) {
        r->info.holes++; /* a missing page: timing resyncs on the next granule */
        continue;
      }
      if (!head) {
        err = ogg_parse_head(&r->info, op.packet, (size_t)op.bytes);
        if (err) goto done;
        head = true;
        continue;
      }
      if (!tags) {
        ogg_parse_tags(&r->info, op.packet, (size_t)op.bytes);
        tags = true;
        continue;
      }
      rtc_media_frame_info_t f = {.offset = r->len, .len = (size_t)op.bytes, .keyframe = true};
      f.duration = rtc_media_opus_packet_duration(op.packet, (size_t)op.bytes);
      err = ogg_reader_store(r, op.packet, (size_t)op.bytes);
      if (!err) err = rtc__media_index_push(&r->ix, &f, RTC_MEDIA_OGG_MAX_PACKETS);
      if (err) goto done;
    }
    if (head && tags) {
      ogg_assign_pts(r, first, ogg_page_granulepos(&og), ogg_page_eos(&og), &prev_end, &have_prev);
      if (ogg_page_granulepos(&og) >= 0) r->info.end_granule = (uint64_t)ogg_page_granulepos(&og);
    }
    if (ogg_page_eos(&og)) eos = true;
  }
  /* Bytes left in the sync buffer: an incomplete last page (a cut recording). */
  if (oy.fill > oy.returned) r->info.truncated = true;
  if (!head) err = RTC_EPARSE;
done:
  if (have_stream) ogg_stream_clear(&os);
  ogg_sync_clear(&oy);
  if (err) {
    rtc_media_ogg_close(r);
    return err;
  }
  r->info.packets = r->ix.n;
  *out = r;
  return 0;
}

int rtc_media_ogg_open_file(const char *path, rtc_media_ogg_reader_t **out) {
  uint8_t *buf;
  size_t len;
  if (out) *out = NULL;
  int err = rtc_media_load_file(path, 0, &buf, &len);
  if (err) return err;
  err = rtc_media_ogg_open(buf, len, out);
  free(buf);
  return err;
}

void rtc_media_ogg_close(rtc_media_ogg_reader_t *r) {
  if (!r) return;
  rtc__media_index_free(&r->ix);
  free(r->data);
  free(r);
}

const rtc_media_ogg_info_t *rtc_media_ogg_info(const rtc_media_ogg_reader_t *r) {
  return r ? &r->info : NULL;
}

rtc_media_track_t rtc_media_ogg_track(const rtc_media_ogg_reader_t *r) {
  rtc_media_track_t t = {0};
  if (!r) return t;
  t.frames = r->ix.v;
  t.count = r->ix.n;
  t.tb_num = 1;
  t.tb_den = OPUS_RATE;
  return t;
}

int rtc_media_ogg_frame(const rtc_media_ogg_reader_t *r, size_t i, rtc_media_frame_t *out) {
  if (!r || !out) return RTC_EINVAL;
  if (i >= r->ix.n) return RTC_ENOTFOUND;
  const rtc_media_frame_info_t *f = &r->ix.v[i];
  out->data = r->data + f->offset;
  out->len = f->len;
  out->pts = f->pts;
  out->duration = f->duration;
  out->keyframe = true;
  out->index = i;
  return 0;
}

/* ---- writer ---- */

struct rtc_media_ogg_writer {
  ogg_stream_state os;
  bool os_ok, finished;
  int64_t packetno;
  uint32_t flush_samples;
  uint64_t next_pts;      /* end of the last packet accepted */
  uint64_t flushed_until; /* granule of the last page forced out */
  uint8_t *held;          /* the packet held back for the EOS flag */
  size_t held_len, held_cap;
  uint64_t held_pts;
  uint32_t held_dur;
  bool has_held;
  rtc_media_out_t out;
};

static int ogg_emit_pages(rtc_media_ogg_writer_t *w, bool force) {
  ogg_page og;
  for (;;) {
    int got = force ? ogg_stream_flush(&w->os, &og) : ogg_stream_pageout(&w->os, &og);
    if (!got) break;
    if (rtc__media_out_reserve(&w->out, (size_t)og.header_len + (size_t)og.body_len) != 0)
      return RTC_ENOMEM;
    rtc__media_out_append(&w->out, og.header, (size_t)og.header_len);
    rtc__media_out_append(&w->out, og.body, (size_t)og.body_len);
  }
  return 0;
}

static int ogg_packet_in(rtc_media_ogg_writer_t *w, const uint8_t *p, size_t len, int64_t granule,
                         bool bos, bool eos) {
  ogg_packet op = {.packet = (unsigned char *)p,
                   .bytes = (long)len,
                   .b_o_s = bos,
                   .e_o_s = eos,
                   .granulepos = granule,
                   .packetno = w->packetno++};
  return ogg_stream_packetin(&w->os, &op) == 0 ? 0 : RTC_ENOMEM;
}

int rtc_media_ogg_writer_create(const rtc_media_ogg_writer_config_t *cfg,
                                rtc_media_ogg_writer_t **out) {
  if (!out) return RTC_EINVAL;
  *out = NULL;
  rtc_media_ogg_writer_config_t c = cfg ? *cfg : (rtc_media_ogg_writer_config_t){0};
  if (!c.channels) c.channels = 2;
  if (c.channels > 2) return RTC_EINVAL;
  if (!c.input_rate) c.input_rate = OPUS_RATE;
  if (!c.pre_skip) c.pre_skip = 312;
  if (!c.serial) c.serial = 0x6c756172;
  if (!c.flush_ms) c.flush_ms = 1000;
  if (!c.vendor) c.vendor = "luartc";
  rtc_media_ogg_writer_t *w = calloc(1, sizeof *w);
  if (!w) return RTC_ENOMEM;
  int err = RTC_ENOMEM;
  if (ogg_stream_init(&w->os, (int)c.serial) != 0) goto fail;
  w->os_ok = true;
  w->flush_samples = c.flush_ms * (OPUS_RATE / 1000);
  w->next_pts = 0;
  /* RFC 7845 §5.1: the identification header, alone on the first page. */
  uint8_t head[19];
  memcpy(head, "OpusHead", 8);
  head[8] = 1; /* version */
  head[9] = c.channels;
  rtc__wr16le(head + 10, c.pre_skip);
  rtc__wr32le(head + 12, c.input_rate);
  rtc__wr16le(head + 16, 0); /* output gain */
  head[18] = 0;              /* mapping family 0: mono/stereo */
  if ((err = ogg_packet_in(w, head, sizeof head, 0, true, false)) != 0) goto fail;
  if ((err = ogg_emit_pages(w, true)) != 0) goto fail;
  /* §5.2: the comment header, ending its own page. */
  size_t vl = strlen(c.vendor);
  if (vl > 255) vl = 255;
  uint8_t tags[8 + 4 + 255 + 4];
  memcpy(tags, "OpusTags", 8);
  rtc__wr32le(tags + 8, (uint32_t)vl);
  memcpy(tags + 12, c.vendor, vl);
  rtc__wr32le(tags + 12 + vl, 0); /* no user comments */
  if ((err = ogg_packet_in(w, tags, 16 + vl, 0, false, false)) != 0) goto fail;
  if ((err = ogg_emit_pages(w, true)) != 0) goto fail;
  *out = w;
  return 0;
fail:
  rtc_media_ogg_writer_destroy(w);
  return err;
}

void rtc_media_ogg_writer_destroy(rtc_media_ogg_writer_t *w) {
  if (!w) return;
  if (w->os_ok) ogg_stream_clear(&w->os);
  free(w->held);
  rtc__media_out_free(&w->out);
  free(w);
}

/* Puts the held packet into the stream; its granule is where it ends. */
static int ogg_release_held(rtc_media_ogg_writer_t *w, bool eos, bool gap_follows) {
  if (!w->has_held) return 0;
  uint64_t end = w->held_pts + w->held_dur;
  int err = ogg_packet_in(w, w->held, w->held_len, (int64_t)end, false, eos);
  w->has_held = false;
  if (err) return err;
  /* A page ends where a gap starts: granules are per page, so a gap inside a page
   * could not be told (the reader computes starts back from the page's end). */
  bool force = eos || gap_follows || end - w->flushed_until >= w->flush_samples;
  err = ogg_emit_pages(w, force);
  if (!err && force) w->flushed_until = end;
  return err;
}

int rtc_media_ogg_writer_write(rtc_media_ogg_writer_t *w, const uint8_t *p, size_t len,
                               uint64_t pts) {
  if (!w || !p || len == 0 || len > 65536) return RTC_EINVAL;
  if (w->finished) return RTC_ESTATE;
  uint32_t dur = rtc_media_opus_packet_duration(p, len);
  if (dur == 0) return RTC_EINVAL;
  if (pts < w->next_pts) pts = w->next_pts; /* never back in time */
  if (len > w->held_cap) {
    uint8_t *nh = realloc(w->held, len);
    if (!nh) return RTC_ENOMEM;
    w->held = nh;
    w->held_cap = len;
  }
  int err = ogg_release_held(w, false, w->has_held && pts > w->next_pts);
  if (err) return err;
  memcpy(w->held, p, len);
  w->held_len = len;
  w->held_pts = pts;
  w->held_dur = dur;
  w->has_held = true;
  w->next_pts = pts + dur;
  return 0;
}

int rtc_media_ogg_writer_flush(rtc_media_ogg_writer_t *w) {
  if (!w) return RTC_EINVAL;
  if (w->finished) return 0;
  /* The held packet stays held: it must be able to carry the end-of-stream flag. */
  int err = ogg_emit_pages(w, true);
  if (!err && w->next_pts > w->held_dur) w->flushed_until = w->next_pts - w->held_dur;
  return err;
}

int rtc_media_ogg_writer_finish(rtc_media_ogg_writer_t *w) {
  if (!w) return RTC_EINVAL;
  if (w->finished) return 0;
  w->finished = true;
  int err = ogg_release_held(w, true, true);
  return err ? err : ogg_emit_pages(w, true);
}

rtc_media_out_t *rtc_media_ogg_writer_out(rtc_media_ogg_writer_t *w) { return w ? &w->out : NULL; }
