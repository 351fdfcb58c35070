/* Recordings for Lua (rtc.media.record, one track or several): runtime/record's recorder
 * fed in C by the receivers' and file sources' frame sinks (no Lua call per frame), its
 * bytes written through runtime/io's rtc_io_file (libuv fs requests) so that a slow disk
 * never blocks the loop.
 *
 * One write is in flight at a time: it takes everything the recorder queued so far
 * (copied into the write buffer); the next starts when it completes. Bytes pile up in
 * the recorder's queue meanwhile, up to RTC_LUA_RECORD_MAX_PENDING; past that (a disk
 * much slower than the stream) frames are dropped and an error is kept for the script
 * (lua/rtc/record.lua polls it and calls onerror). A write error (full disk) stops the
 * writing, keeps the error, and the connection goes on.
 *
 * stop() completes the file before it returns: the rest and the patches are written
 * at once (blocking, only at stop); a write in flight then covers a range of its own,
 * and a patch falling in it is applied again when it completes (only then finished).
 *
 * One track may be given no codec (a remote track before negotiation ends) and no
 * format: the recorder is made at the first frame, with that frame's codec (and the
 * format that codec has: IVF, Ogg or H.264 Annex-B).
 *
 * The state is malloc'd apart from the userdata: a write in flight when the userdata
 * is collected frees it in its callback. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/rtc_err.h"
#include "io/rtc_io.h"
#include "io/rtc_io_file.h"
#include "record/rtc_record.h"
#include "rtc_lua_media.h"

#define RTC_LUA_RECORDING_MT "rtc.Recording"
#define RTC_LUA_RECORD_PORT_MT "rtc.RecordingTrack"
#define RTC_LUA_RECORD_MAX_PENDING (64u << 20)

typedef struct rec_state {
  rtc_record_t *rec; /* NULL until the first frame when the codec was not known */
  rtc_record_format_t fmt;
  uint8_t channels; /* Opus */
  rtc_io_file_t *file;
  bool busy, orphan, finished, failed;
  bool repatch; /* stop() came while a write was in flight over a patched range */
  bool done;    /* the file is complete (rest written, patches applied) */
  uint8_t *wbuf;
  size_t wcap, wlen;
  uint64_t off; /* file offset of the next write (of the write in flight when busy) */
  uint64_t written;
  rtc_media_codec_t codecs[RTC_RECORD_MAX_TRACKS];
  size_t ntracks;
  uint64_t errors;
  char err[128];
} rec_state_t;

typedef struct lrec {
  rec_state_t *s;
} lrec_t;

typedef struct lport {
  rec_state_t *s; /* kept alive by the port's env holding the recording */
  size_t idx;
} lport_t;

static void set_err(rec_state_t *s, const char *what, int e) {
  s->errors++;
  snprintf(s->err, sizeof s->err, "%s: %s", what, e < 0 ? uv_strerror(e) : "failed");
}

static void state_free(rec_state_t *s) {
  rtc_io_file_close(s->file);
  rtc_record_destroy(s->rec);
  free(s->wbuf);
  free(s);
}

static void state_release(void *s) { state_free(s); }

static void kick(rec_state_t *s);
static void finish_sync(rec_state_t *s);

static void apply_patches(rec_state_t *s, bool only_inflight);

static void on_write(rtc_io_file_t *f, long n, void *ud) {
  rec_state_t *s = ud;
  s->busy = false;
  if (n < 0) {
    set_err(s, "write", (int)n);
    s->failed = true; /* a full disk: stop writing, keep the connection */
  }
  if (s->finished) { /* stop() wrote what followed; what is left is this write's range */
    if (n >= 0 && (size_t)n < s->wlen) { /* short: the rest of the range, now */
      long w = rtc_io_file_write_sync(f, s->wbuf + n, s->wlen - (size_t)n, s->off + (uint64_t)n);
      if (w < 0) set_err(s, "write", (int)w);
    }
    if (n >= 0) s->written += s->wlen;
    if (s->repatch && !s->failed) apply_patches(s, true); /* over the range just written */
    s->repatch = false;
    s->wlen = 0;
    s->done = true;
    if (s->orphan) state_free(s);
    return;
  }
  if (n < 0) return;
  s->off += (uint64_t)n;
  s->written += (uint64_t)n;
  if ((size_t)n < s->wlen) { /* short write: the rest first */
    memmove(s->wbuf, s->wbuf + n, s->wlen - (size_t)n);
    s->wlen -= (size_t)n;
  } else {
    s->wlen = 0;
  }
  kick(s);
}

/* Starts a write of what is queued when none is in flight. */
static void kick(rec_state_t *s) {
  if (s->busy || s->failed || !s->file || !s->rec) return;
  rtc_media_out_t *o = rtc_record_out(s->rec);
  const uint8_t *p;
  size_t n = rtc_media_out_peek(o, &p);
  if (n) {
    if (s->wlen + n > s->wcap) {
      size_t nc = s->wcap ? s->wcap : 65536;
      while (nc < s->wlen + n)
        nc *= 2;
      uint8_t *nb = realloc(s->wbuf, nc);
      if (!nb) {
        set_err(s, "write buffer", 0);
        return;
      }
      s->wbuf = nb;
      s->wcap = nc;
    }
    memcpy(s->wbuf + s->wlen, p, n);
    s->wlen += n;
    rtc_media_out_consume(o, n);
  }
  if (!s->wlen) return;
  int e = rtc_io_file_write(s->file, s->wbuf, s->wlen, s->off, on_write, s);
  if (e < 0) {
    set_err(s, "write", e);
    s->failed = true;
    return;
  }
  s->busy = true;
}

static rtc_media_codec_t codec_of(const char *name) {
  static const struct {
    const char *n;
    rtc_media_codec_t c;
  } t[] = {{"vp8", RTC_MEDIA_CODEC_VP8},
           {"vp9", RTC_MEDIA_CODEC_VP9},
           {"av1", RTC_MEDIA_CODEC_AV1},
           {"h264", RTC_MEDIA_CODEC_H264},
           {"opus", RTC_MEDIA_CODEC_OPUS}};
  for (size_t i = 0; i < sizeof t / sizeof *t; i++)
    if (name && !strcasecmp(name, t[i].n)) return t[i].c;
  return RTC_MEDIA_CODEC_UNKNOWN;
}

/* The format a lone track's codec is recorded in when the path did not say. */
static rtc_record_format_t format_of_codec(rtc_media_codec_t c) {
  if (c == RTC_MEDIA_CODEC_OPUS) return RTC_RECORD_FORMAT_OGG;
  if (c == RTC_MEDIA_CODEC_H264) return RTC_RECORD_FORMAT_H264;
  return RTC_RECORD_FORMAT_IVF;
}

/* Makes the recorder of s for the tracks' codecs (one track when created at its first frame). */
static int state_create(rec_state_t *s, rtc_media_codec_t first) {
  rtc_record_track_config_t tc[RTC_RECORD_MAX_TRACKS];
  memset(tc, 0, sizeof tc);
  if (first != RTC_MEDIA_CODEC_UNKNOWN) s->codecs[0] = first;
  for (size_t i = 0; i < s->ntracks; i++) {
    if (s->codecs[i] == RTC_MEDIA_CODEC_UNKNOWN) return RTC_ENOTSUP;
    tc[i].codec = s->codecs[i];
    tc[i].channels = s->channels;
  }
  rtc_record_config_t cfg = {.format = s->fmt};
  if (cfg.format == RTC_RECORD_FORMAT_NONE) cfg.format = format_of_codec(tc[0].codec);
  return rtc_record_create(&cfg, tc, s->ntracks, &s->rec);
}

static int port_sink(void *ud, rtc_lua_frame_t *f) {
  lport_t *pt = ud;
  rec_state_t *s = pt->s;
  if (!s || s->finished) return RTC_ESTATE;
  const char *codec = f->codec;
  if (!s->rec) {
    int e = state_create(s, codec_of(codec));
    if (e < 0) {
      s->errors++;
      snprintf(s->err, sizeof s->err, "record: codec %s: %s", codec ? codec : "?",
               e == RTC_EINVAL ? "not recordable into this format" : rtc_strerror(e));
      return e;
    }
  }
  rtc_media_out_t *o = rtc_record_out(s->rec);
  if (o->len - o->off > RTC_LUA_RECORD_MAX_PENDING) {
    s->errors++;
    snprintf(s->err, sizeof s->err, "the disk is slower than the stream: frames dropped");
    return RTC_EAGAIN;
  }
  if (f->ntp) rtc_record_sr(s->rec, pt->idx, f->ntp, f->ts); /* the sender's clock: lip sync */
  int e = rtc_record_push(s->rec, pt->idx, f->p, f->len, f->ts, f->key,
                          f->at_us ? f->at_us : rtc_io_now_us());
  if (e < 0) {
    s->errors++;
    snprintf(s->err, sizeof s->err, "record: %s", rtc_strerror(e));
    return e;
  }
  kick(s);
  return 0;
}

void *rtc_lua_record_port_sink(lua_State *L, int idx, rtc_lua_sink_fn *fn) {
  lport_t *pt = luaL_testudata(L, idx, RTC_LUA_RECORD_PORT_MT);
  if (!pt) return NULL;
  *fn = port_sink;
  return pt;
}

static int fail3(lua_State *L, const char *msg, int e) {
  lua_pushnil(L);
  lua_pushstring(L, msg);
  lua_pushstring(L, rtc_err_name(e));
  return 3;
}

/* core.recording(path, format|nil, {codec|false, ...} [, channels]) -> recording | nil, err,
 * NAME. format nil or "": from the path, else (one track) from the codec. A lone track's
 * codec false: the first frame's. channels: Opus (2). */
static int m_recording(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  const char *fname = luaL_optstring(L, 2, "");
  rtc_record_format_t fmt = rtc_record_format_parse(*fname ? fname : path);
  luaL_checktype(L, 3, LUA_TTABLE);
  size_t n = lua_objlen(L, 3);
  int channels = (int)luaL_optinteger(L, 4, 2);
  luaL_argcheck(L, channels == 1 || channels == 2, 4, "channels must be 1 or 2");
  if (n == 0 || n > RTC_RECORD_MAX_TRACKS) return fail3(L, "record: 1 to 4 tracks", RTC_EINVAL);
  if (*fname && fmt == RTC_RECORD_FORMAT_NONE)
    return fail3(L, "record: unknown format", RTC_ENOTSUP);
  rtc_media_codec_t codecs[RTC_RECORD_MAX_TRACKS];
  for (size_t i = 0; i < n; i++) {
    lua_rawgeti(L, 3, (int)i + 1);
    const char *cn = lua_tostring(L, -1);
    codecs[i] = codec_of(cn);
    lua_pop(L, 1);
    if (codecs[i] == RTC_MEDIA_CODEC_UNKNOWN && (cn || n > 1)) {
      lua_pushnil(L);
      lua_pushfstring(L, "record: codec %s cannot be recorded (VP8, VP9, AV1, H264, Opus)",
                      cn ? cn : "(not negotiated yet)");
      lua_pushliteral(L, "ENOTSUP");
      return 3;
    }
  }
  if (n > 1 && fmt == RTC_RECORD_FORMAT_NONE)
    return fail3(L, "record: unknown format", RTC_ENOTSUP);
  rtc_lua_box_t *b = rtc_lua_box_new(L); /* the state until the userdata has it */
  rec_state_t *s = calloc(1, sizeof *s);
  if (!s) return fail3(L, "out of memory", RTC_ENOMEM);
  rtc_lua_box_hold(b, s, state_release);
  s->fmt = fmt;
  s->channels = (uint8_t)channels;
  s->ntracks = n;
  memcpy(s->codecs, codecs, n * sizeof *codecs);
  int e = codecs[0] == RTC_MEDIA_CODEC_UNKNOWN ? 0 : state_create(s, RTC_MEDIA_CODEC_UNKNOWN);
  if (e < 0) {
    rtc_lua_box_free(b);
    return fail3(L,
                 fmt == RTC_RECORD_FORMAT_WEBM  ? "record: WebM holds VP8, VP9, AV1 and Opus "
                                                  "(use .mkv for H.264)"
                 : fmt == RTC_RECORD_FORMAT_MKV ? "record: these tracks do not fit Matroska"
                 : fmt == RTC_RECORD_FORMAT_MP4 ? "record: MP4 holds H.264, VP9, AV1 and Opus "
                                                  "(VP8 has no MP4 binding: use .webm)"
                 : fmt == RTC_RECORD_FORMAT_M4A ? "record: .m4a holds Opus only (use .mp4 "
                                                  "with video)"
                                                : "record: IVF holds one VP8/VP9/AV1 track, Ogg "
                                                  "one Opus track, .h264 one H.264 track (use "
                                                  ".webm, .mkv or .mp4 for both)",
                 e);
  }
  e = rtc_io_file_open(rtc_lua_loop(L, NULL), path, &s->file);
  if (e < 0) {
    rtc_lua_box_free(b);
    lua_pushnil(L);
    lua_pushfstring(L, "record: cannot open %s: %s", path, uv_strerror(e));
    lua_pushliteral(L, "EIO");
    return 3;
  }
  lrec_t *u = lua_newuserdata(L, sizeof *u);
  u->s = NULL;
  luaL_getmetatable(L, RTC_LUA_RECORDING_MT);
  lua_setmetatable(L, -2);
  u->s = rtc_lua_box_take(b);
  rtc_lua_live_recorders++;
  return 1;
}

static lrec_t *rec_check(lua_State *L) { return luaL_checkudata(L, 1, RTC_LUA_RECORDING_MT); }

/* rec:port(i) -> the i-th track's sink (1-based), for transceiver:record(). */
static int r_port(lua_State *L) {
  lrec_t *u = rec_check(L);
  lua_Integer i = luaL_checkinteger(L, 2);
  luaL_argcheck(L, u->s && i >= 1 && (size_t)i <= u->s->ntracks, 2, "no such track");
  lport_t *pt = lua_newuserdata(L, sizeof *pt);
  pt->s = u->s;
  pt->idx = (size_t)i - 1;
  luaL_getmetatable(L, RTC_LUA_RECORD_PORT_MT);
  lua_setmetatable(L, -2);
  lua_newtable(L); /* env: keeps the recording alive while a receiver holds the port */
  lua_pushvalue(L, 1);
  lua_rawseti(L, -2, 1);
  rtc_lua_setenv(L, -2);
  return 1;
}

/* Writes n bytes at off, blocking (only at stop). */
static int write_at(rec_state_t *s, const uint8_t *p, size_t n, uint64_t off) {
  return (int)rtc_io_file_write_sync(s->file, p, n, off);
}

/* The patches (all, or only those within the write in flight: [off, off + wlen)). */
static void apply_patches(rec_state_t *s, bool only_inflight) {
  size_t np = 0;
  const rtc_record_webm_patch_t *pt = rtc_record_patches(s->rec, &np);
  for (size_t i = 0; i < np; i++) {
    bool in = pt[i].offset < s->off + s->wlen && pt[i].offset + pt[i].len > s->off;
    if (only_inflight && !in) continue;
    if (!only_inflight && s->busy && in) { /* the write in flight would undo it */
      s->repatch = true;
      continue;
    }
    int w = write_at(s, pt[i].bytes, pt[i].len, pt[i].offset);
    if (w < 0) return set_err(s, "patch", w);
  }
}

/* Ends the recording: the rest and the patches are written at once, blocking. With a
 * write in flight (its range [off, off + wlen)) the rest goes after that range and a
 * patch within it waits for the write's completion (on_write). */
static void finish_sync(rec_state_t *s) {
  if (s->finished) return;
  s->finished = true;
  if (s->rec) rtc_record_finish(s->rec);
  if (!s->file || s->failed || !s->rec) {
    s->done = !s->busy;
    return;
  }
  uint64_t pos = s->off;
  if (s->busy) {
    pos += s->wlen;
  } else if (s->wlen) {
    int w = write_at(s, s->wbuf, s->wlen, pos);
    if (w < 0) return set_err(s, "write", w);
    pos += (uint64_t)w;
    s->written += (uint64_t)w;
    s->wlen = 0;
  }
  rtc_media_out_t *o = rtc_record_out(s->rec);
  const uint8_t *p;
  size_t n;
  while ((n = rtc_media_out_peek(o, &p)) > 0) {
    int w = write_at(s, p, n, pos);
    if (w <= 0) return set_err(s, "write", w);
    pos += (uint64_t)w;
    s->written += (uint64_t)w;
    rtc_media_out_consume(o, (size_t)w);
  }
  apply_patches(s, false);
  s->done = !s->busy;
}

/* rec:stop() -> true: ends the file (WebM cues, sizes, duration). Idempotent. The file
 * is complete when stats().finished: at once, unless a write in flight holds a patch. */
static int r_stop(lua_State *L) {
  lrec_t *u = rec_check(L);
  if (u->s) finish_sync(u->s);
  lua_pushboolean(L, 1);
  return 1;
}

/* rec:stats() -> {bytes (written), duration (s), frames, dropped, skipped, discontinuities,
 * errors, error, started, finished, wantsKeyframe} */
static int r_stats(lua_State *L) {
  lrec_t *u = rec_check(L);
  lua_createtable(L, 0, 11);
  if (!u->s) return 1;
  rtc_record_stats_t st;
  rtc_record_get_stats(u->s->rec, &st);
  lua_pushnumber(L, (double)u->s->written);
  lua_setfield(L, -2, "bytes");
  lua_pushnumber(L, (double)st.duration_us / 1e6);
  lua_setfield(L, -2, "duration");
  lua_pushnumber(L, (double)st.frames);
  lua_setfield(L, -2, "frames");
  lua_pushnumber(L, (double)st.dropped);
  lua_setfield(L, -2, "dropped");
  lua_pushnumber(L, (double)st.skipped);
  lua_setfield(L, -2, "skipped");
  lua_pushnumber(L, (double)st.discontinuities);
  lua_setfield(L, -2, "discontinuities");
  lua_pushnumber(L, (double)u->s->errors);
  lua_setfield(L, -2, "errors");
  lua_pushboolean(L, st.started);
  lua_setfield(L, -2, "started");
  lua_pushboolean(L, u->s->done);
  lua_setfield(L, -2, "finished");
  bool wants = false;
  for (size_t i = 0; i < u->s->ntracks; i++)
    wants = wants || rtc_record_wants_keyframe(u->s->rec, i);
  lua_pushboolean(L, wants);
  lua_setfield(L, -2, "wantsKeyframe");
  if (u->s->err[0]) {
    lua_pushstring(L, u->s->err);
    lua_setfield(L, -2, "error");
  }
  return 1;
}

static int r_gc(lua_State *L) {
  lrec_t *u = rec_check(L);
  rec_state_t *s = u->s;
  u->s = NULL;
  if (!s) return 0;
  rtc_lua_live_recorders--;
  finish_sync(s);
  if (s->busy)
    s->orphan = true; /* freed by on_write */
  else
    state_free(s);
  return 0;
}

static int r_tostring(lua_State *L) {
  lua_pushfstring(L, "Recording: %p", lua_touserdata(L, 1));
  return 1;
}
static int p_gc(lua_State *L) { return 0; }
static int p_tostring(lua_State *L) {
  lua_pushfstring(L, "RecordingTrack: %p", lua_touserdata(L, 1));
  return 1;
}

static const luaL_Reg r_methods[] = {
    {"port", r_port}, {"stop", r_stop}, {"stats", r_stats}, {NULL, NULL}};
static const luaL_Reg p_methods[] = {{NULL, NULL}};
static const luaL_Reg no_getters[] = {{NULL, NULL}};
static const luaL_Reg record_funcs[] = {{"recording", m_recording}, {NULL, NULL}};

void rtc_lua_record_open(lua_State *L) {
  rtc_lua_class(L, RTC_LUA_RECORDING_MT, r_methods, no_getters, NULL, r_gc, r_tostring);
  rtc_lua_class(L, RTC_LUA_RECORD_PORT_MT, p_methods, no_getters, NULL, p_gc, p_tostring);
}
void rtc_lua_record_funcs(lua_State *L) { luaL_setfuncs(L, record_funcs, 0); }
