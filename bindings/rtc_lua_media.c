/* Media files for Lua: a file source (IVF VP8/VP9/AV1, Ogg Opus, H.264 Annex-B read
 * by runtime/media and paced by its pacer). Recording is rtc_lua_record.c's.
 *
 * A source hands each due frame straight to its sinks in C (a recorder, a sender's
 * transceiver): no Lua call per frame. Its clock is a luv timer in lua/rtc/media.lua
 * that calls src:pump(now_us) at the deadline pump returned; the pacer's deadlines
 * are absolute media times, so a late timer never makes the stream drift.
 *
 * The source starts its clock when a sink first takes a frame (a sender whose
 * transport is up, a recorder): the receiver gets the file from its first keyframe
 * instead of joining late. Until then pump offers frame 0 every 20 ms. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/rtc_err.h"
#include "base/rtc_random.h"
#include "base/rtc_time.h"
#include "media/rtc_media_h264.h"
#include "media/rtc_media_ivf.h"
#include "media/rtc_media_ogg.h"
#include "media/rtc_media_pacer.h"
#include "rtc_lua_media.h"

#define SRC_RETRY_US 20000 /* how often an unstarted source offers its first frame */
/* At most this much of a file goes out at once when a source starts (its clock starts
 * back at its sink's ready instant). */
#define SRC_CATCH_UP_MAX_US 1000000

int rtc_lua_live_sources, rtc_lua_live_recorders;

/* ---- codecs ---- */

static const struct {
  const char *name; /* as the pc names it */
  rtc_media_codec_t codec;
  bool video;
  uint32_t clock;
} codecs[] = {
    {"VP8", RTC_MEDIA_CODEC_VP8, true, 90000},    {"VP9", RTC_MEDIA_CODEC_VP9, true, 90000},
    {"AV1", RTC_MEDIA_CODEC_AV1, true, 90000},    {"H264", RTC_MEDIA_CODEC_H264, true, 90000},
    {"opus", RTC_MEDIA_CODEC_OPUS, false, 48000},
};

int rtc_lua_media_codec_index(const char *name) {
  for (size_t i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++)
    if (name && strcasecmp(name, codecs[i].name) == 0) return (int)i;
  return -1;
}

/* ---- sinks ---- */

int rtc_lua_sinks_add(rtc_lua_sinks_t *s, rtc_lua_sink_fn fn, void *ud) {
  for (size_t i = 0; i < s->n; i++)
    if (s->v[i].ud == ud) return 0;
  if (s->n == RTC_LUA_MAX_SINKS) return RTC_ELIMIT;
  s->v[s->n].fn = fn;
  s->v[s->n].ud = ud;
  s->n++;
  return 0;
}

void rtc_lua_sinks_remove(rtc_lua_sinks_t *s, void *ud) {
  for (size_t i = 0; i < s->n; i++)
    if (s->v[i].ud == ud) {
      s->v[i] = s->v[--s->n];
      return;
    }
}

/* How many sinks took the frame. */
int rtc_lua_sinks_write(rtc_lua_sinks_t *s, rtc_lua_frame_t *f) {
  int taken = 0;
  f->ready_us = 0;
  for (size_t i = 0; i < s->n; i++)
    if (s->v[i].fn(s->v[i].ud, f) == 0) taken++;
  return taken;
}

/* A recording's track (rtc_lua_record.c): the receivers' and sources' recorders. */
void *rtc_lua_rec_sink(lua_State *L, int idx, rtc_lua_sink_fn *fn) {
  void *port = rtc_lua_record_port_sink(L, idx, fn);
  if (!port) luaL_argerror(L, idx, "a recording's track expected");
  return port;
}

/* ---- file source ---- */

typedef enum { SRC_IVF, SRC_OGG, SRC_H264 } src_fmt_t;

typedef struct rtc_lua_src {
  src_fmt_t fmt;
  int codec; /* index in codecs[] */
  uint8_t *bytes;
  rtc_media_ivf_reader_t *ivf;
  rtc_media_ogg_reader_t *ogg;
  rtc_media_h264_reader_t *h264;
  rtc_media_track_t track;
  rtc_media_pacer_t pacer;
  bool loop, started, closed;
  uint64_t offered_us; /* when an unstarted source first offered frame 0 to a sink */
  uint32_t ts_base;    /* RTP timestamp of output pts 0 (random, RFC 3550 5.1) */
  uint64_t frames_sent, late_us_max;
  rtc_lua_sinks_t sinks;
} rtc_lua_src_t;

static rtc_lua_src_t *src_check(lua_State *L, int idx) {
  rtc_lua_src_t *s = luaL_checkudata(L, idx, RTC_LUA_SRC_MT);
  if (s->closed) luaL_argerror(L, idx, "media source is closed");
  return s;
}

static void src_close(rtc_lua_src_t *s) {
  if (s->closed) return;
  s->closed = true;
  rtc_media_ivf_close(s->ivf);
  rtc_media_ogg_close(s->ogg);
  rtc_media_h264_close(s->h264);
  free(s->bytes);
  s->ivf = NULL;
  s->ogg = NULL;
  s->h264 = NULL;
  s->bytes = NULL;
  s->sinks.n = 0;
  rtc_lua_live_sources--;
}

static int src_frame(rtc_lua_src_t *s, size_t i, rtc_media_frame_t *f) {
  switch (s->fmt) {
  case SRC_IVF: return rtc_media_ivf_frame(s->ivf, i, f);
  case SRC_OGG: return rtc_media_ogg_frame(s->ogg, i, f);
  default: return rtc_media_h264_frame(s->h264, i, f);
  }
}

static uint32_t src_rtp_ts(const rtc_lua_src_t *s, uint64_t pts) {
  unsigned __int128 t = (unsigned __int128)pts * codecs[s->codec].clock * s->track.tb_num;
  return s->ts_base + (uint32_t)(uint64_t)(t / s->track.tb_den);
}

/* core.mediaOpen(path [, fps]) -> source | nil, err, NAME. The format from the bytes:
 * "DKIF" IVF, "OggS" Ogg, a start code H.264 Annex-B (fps: frames per second, 30). */
static int m_media_open(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  lua_Number fps = luaL_optnumber(L, 2, 30);
  luaL_argcheck(L, fps > 0 && fps <= 240, 2, "fps must be in (0, 240]");
  rtc_lua_box_t *b = rtc_lua_box_new(L); /* the file's bytes until the object has them */
  uint8_t *bytes = NULL;
  size_t len = 0;
  int e = rtc_media_load_file(path, 0, &bytes, &len);
  rtc_lua_box_hold(b, bytes, free);
  if (e < 0) {
    rtc_lua_box_free(b);
    lua_pushnil(L);
    lua_pushfstring(L, "%s: %s", path, rtc_strerror(e));
    lua_pushstring(L, rtc_err_name(e));
    return 3;
  }
  rtc_lua_src_t *s = lua_newuserdata(L, sizeof(*s));
  memset(s, 0, sizeof(*s));
  s->codec = -1;
  luaL_getmetatable(L, RTC_LUA_SRC_MT);
  lua_setmetatable(L, -2);
  s->bytes = rtc_lua_box_take(b); /* its __gc (src_close) frees them now */
  rtc_lua_live_sources++;
  lua_newtable(L); /* env: the sinks' objects, kept alive while attached */
  rtc_lua_setenv(L, -2);
  rtc_media_codec_t mc = RTC_MEDIA_CODEC_UNKNOWN;
  if (len >= 4 && memcmp(bytes, "DKIF", 4) == 0) {
    s->fmt = SRC_IVF;
    e = rtc_media_ivf_open(bytes, len, &s->ivf);
    if (e == 0) {
      mc = rtc_media_ivf_info(s->ivf)->codec;
      s->track = rtc_media_ivf_track(s->ivf);
    }
  } else if (len >= 4 && memcmp(bytes, "OggS", 4) == 0) {
    s->fmt = SRC_OGG;
    e = rtc_media_ogg_open(bytes, len, &s->ogg);
    free(s->bytes); /* the reader copied them */
    s->bytes = NULL;
    if (e == 0) {
      mc = RTC_MEDIA_CODEC_OPUS;
      s->track = rtc_media_ogg_track(s->ogg);
    }
  } else if (len >= 4 && bytes[0] == 0 && bytes[1] == 0 &&
             (bytes[2] == 1 || (bytes[2] == 0 && bytes[3] == 1))) {
    s->fmt = SRC_H264;
    /* fps as a fraction with a 1001 denominator covers 29.97 and the integers. */
    e = rtc_media_h264_open(bytes, len, (uint32_t)(fps * 1001 + 0.5), 1001, &s->h264);
    if (e == 0) {
      mc = RTC_MEDIA_CODEC_H264;
      s->track = rtc_media_h264_track(s->h264);
    }
  } else {
    e = RTC_EPARSE;
  }
  for (size_t i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++)
    if (codecs[i].codec == mc) s->codec = (int)i;
  if (e == 0 && s->codec < 0) e = RTC_ENOTSUP;
  if (e == 0) e = rtc_media_pacer_init(&s->pacer, &s->track, 0, false);
  if (e < 0) {
    src_close(s);
    lua_pushnil(L);
    lua_pushfstring(L, "%s: %s", path,
                    e == RTC_ENOTSUP  ? "codec not supported"
                    : e == RTC_EPARSE ? "not an IVF, Ogg Opus or H.264 Annex-B file"
                                      : rtc_strerror(e));
    lua_pushstring(L, rtc_err_name(e));
    return 3;
  }
  s->ts_base = rtc_random_u32();
  return 1;
}

/* src:info() -> { kind, codec, clockRate, frames, duration (s), width, height, channels } */
static int src_info(lua_State *L) {
  rtc_lua_src_t *s = src_check(L, 1);
  lua_createtable(L, 0, 8);
  lua_pushstring(L, codecs[s->codec].video ? "video" : "audio");
  lua_setfield(L, -2, "kind");
  lua_pushstring(L, codecs[s->codec].name);
  lua_setfield(L, -2, "codec");
  lua_pushnumber(L, codecs[s->codec].clock);
  lua_setfield(L, -2, "clockRate");
  lua_pushnumber(L, (double)s->track.count);
  lua_setfield(L, -2, "frames");
  lua_pushnumber(L, (double)s->pacer.file_end_pts * s->track.tb_num / s->track.tb_den);
  lua_setfield(L, -2, "duration");
  if (s->ivf) {
    lua_pushnumber(L, rtc_media_ivf_info(s->ivf)->width);
    lua_setfield(L, -2, "width");
    lua_pushnumber(L, rtc_media_ivf_info(s->ivf)->height);
    lua_setfield(L, -2, "height");
  }
  if (s->ogg) {
    lua_pushnumber(L, rtc_media_ogg_info(s->ogg)->channels);
    lua_setfield(L, -2, "channels");
  }
  return 1;
}

/* Offers frame 0 to the sinks; the clock starts when one takes it, at the instant it
 * could first have taken it (a sender: its transport's handshake; not before the source
 * was first offered), so that sources started by one event start together: a
 * connection's audio and video files began 0.2-0.4 s apart when the loop was slow to
 * serve one source's timer (ASan), which a recording showed as audio that late. The
 * frames due since go out at once, as after any late timer. */
static void src_try_start(rtc_lua_src_t *s, uint64_t now_us) {
  rtc_media_frame_t mf;
  if (s->sinks.n == 0 || src_frame(s, 0, &mf) < 0) return;
  if (!s->offered_us) s->offered_us = now_us;
  rtc_lua_frame_t f = {.codec = codecs[s->codec].name,
                       .p = mf.data,
                       .len = mf.len,
                       .ts = src_rtp_ts(s, 0),
                       .key = mf.keyframe,
                       .at_us = now_us};
  if (rtc_lua_sinks_write(&s->sinks, &f) == 0) return;
  uint64_t start = f.ready_us > s->offered_us ? f.ready_us : s->offered_us;
  if (start > now_us) start = now_us;
  if (now_us - start > SRC_CATCH_UP_MAX_US) start = now_us - SRC_CATCH_UP_MAX_US;
  rtc_media_pacer_init(&s->pacer, &s->track, start, s->loop);
  rtc_media_due_t d;
  rtc_media_pacer_poll(&s->pacer, now_us, &d); /* frame 0: sent just now */
  s->started = true;
  s->offered_us = 0;
  s->frames_sent++;
}

/* src:pump(now_us) -> next deadline (us, the caller's clock) | nil when the file ended.
 * Sends every frame due at now_us to the sinks. */
static int src_pump(lua_State *L) {
  rtc_lua_src_t *s = src_check(L, 1);
  uint64_t now = (uint64_t)luaL_checknumber(L, 2);
  if (!s->started) {
    src_try_start(s, now);
    if (!s->started) {
      lua_pushnumber(L, (double)(now + SRC_RETRY_US));
      return 1;
    }
  }
  rtc_media_due_t d;
  rtc_media_frame_t f;
  while (rtc_media_pacer_poll(&s->pacer, now, &d)) {
    if (src_frame(s, d.index, &f) < 0) continue;
    if (now - d.due_us > s->late_us_max) s->late_us_max = now - d.due_us;
    rtc_lua_frame_t lf = {.codec = codecs[s->codec].name,
                          .p = f.data,
                          .len = f.len,
                          .ts = src_rtp_ts(s, d.pts),
                          .key = f.keyframe,
                          .at_us = d.due_us};
    rtc_lua_sinks_write(&s->sinks, &lf);
    s->frames_sent++;
  }
  if (rtc_media_pacer_done(&s->pacer)) {
    lua_pushnil(L);
    return 1;
  }
  lua_pushnumber(L, (double)rtc_media_pacer_deadline(&s->pacer));
  return 1;
}

/* src:setLoop(bool): before the clock starts (it is read then). */
static int src_set_loop(lua_State *L) {
  rtc_lua_src_t *s = src_check(L, 1);
  s->loop = lua_toboolean(L, 2);
  s->pacer.loop = s->loop;
  return 0;
}

/* src:rewind(): the clock stops; the next pump that finds a sink starts the file over. */
static int src_rewind(lua_State *L) {
  rtc_lua_src_t *s = src_check(L, 1);
  s->started = false;
  return 0;
}

/* src:requestKeyframe() -> whether the next frame sent will be a keyframe */
static int src_request_keyframe(lua_State *L) {
  rtc_lua_src_t *s = src_check(L, 1);
  lua_pushboolean(L, s->started ? rtc_media_pacer_request_keyframe(&s->pacer) : true);
  return 1;
}

/* src:attach(sink) / src:detach(sink): a recorder or a sender (rtc_lua_track.c). */
static void *sink_of(lua_State *L, int idx, rtc_lua_sink_fn *fn) {
  void *ud = rtc_lua_record_port_sink(L, idx, fn);
  if (ud) return ud;
  ud = rtc_lua_tr_sink(L, idx, fn);
  if (!ud) ud = rtc_lua_enc_sink(L, idx, fn);
  if (!ud) luaL_argerror(L, idx, "a recorder, a transceiver or an encoding port expected");
  return ud;
}

static int src_attach(lua_State *L) {
  rtc_lua_src_t *s = src_check(L, 1);
  rtc_lua_sink_fn fn;
  void *ud = sink_of(L, 2, &fn);
  if (rtc_lua_sinks_add(&s->sinks, fn, ud) < 0) return luaL_error(L, "too many sinks");
  rtc_lua_getenv(L, 1);
  lua_pushvalue(L, 2);
  lua_pushboolean(L, 1);
  lua_rawset(L, -3);
  return 0;
}

static int src_detach(lua_State *L) {
  rtc_lua_src_t *s = luaL_checkudata(L, 1, RTC_LUA_SRC_MT);
  rtc_lua_sink_fn fn;
  void *ud = sink_of(L, 2, &fn);
  rtc_lua_sinks_remove(&s->sinks, ud);
  if (s->sinks.n == 0) s->offered_us = 0;
  rtc_lua_getenv(L, 1);
  lua_pushvalue(L, 2);
  lua_pushnil(L);
  lua_rawset(L, -3);
  return 0;
}

/* src:stats() -> { framesSent, loops, lateMaxUs, started } */
static int src_stats(lua_State *L) {
  rtc_lua_src_t *s = luaL_checkudata(L, 1, RTC_LUA_SRC_MT);
  lua_createtable(L, 0, 4);
  lua_pushnumber(L, (double)s->frames_sent);
  lua_setfield(L, -2, "framesSent");
  lua_pushnumber(L, s->pacer.loops);
  lua_setfield(L, -2, "loops");
  lua_pushnumber(L, (double)s->late_us_max);
  lua_setfield(L, -2, "lateMaxUs");
  lua_pushboolean(L, s->started);
  lua_setfield(L, -2, "started");
  return 1;
}

static int src_close_m(lua_State *L) {
  src_close(luaL_checkudata(L, 1, RTC_LUA_SRC_MT));
  return 0;
}

static int src_tostring(lua_State *L) {
  lua_pushfstring(L, "MediaSource: %p", lua_touserdata(L, 1));
  return 1;
}

static const luaL_Reg src_methods[] = {
    {"info", src_info},     {"pump", src_pump},     {"setLoop", src_set_loop},
    {"attach", src_attach}, {"detach", src_detach}, {"requestKeyframe", src_request_keyframe},
    {"stats", src_stats},   {"close", src_close_m}, {"rewind", src_rewind},
    {NULL, NULL},
};
static const luaL_Reg no_getters[] = {{NULL, NULL}};

static const luaL_Reg media_funcs[] = {
    {"mediaOpen", m_media_open},
    {NULL, NULL},
};

void rtc_lua_media_open(lua_State *L) {
  rtc_lua_class(L, RTC_LUA_SRC_MT, src_methods, no_getters, NULL, src_close_m, src_tostring);
}

/* Adds the media functions to the module table on top of the stack. */
void rtc_lua_media_funcs(lua_State *L) { luaL_setfuncs(L, media_funcs, 0); }
