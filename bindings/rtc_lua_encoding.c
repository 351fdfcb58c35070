/* Simulcast encodings for Lua (W3C RTCRtpEncodingParameters with rids; RFC 8853): the
 * transceiver methods about its layers (count, active, stats) and the encoding port, a
 * sink for a layer that has a track of its own (luartc's sendEncodings[i].track): a
 * file source attached to the port feeds that layer alone, as the transceiver's sink
 * feeds the others. lua/rtc/media.lua builds the W3C objects around them.
 *
 * A port holds a reference to its transceiver (rtc_tr_ref) and, in its env, the
 * transceiver's Lua object, so the pc lives while a source feeds the port. */
#include <string.h>
#include <strings.h>

#include "base/rtc_err.h"
#include "io/rtc_io.h"
#include "pc/rtc_pc_media.h"
#include "rtc_lua_media.h"

#define RTC_LUA_ENC_MT "rtc.RtpEncodingPort"

typedef struct rtc_lua_enc {
  rtc_tr_t *tr; /* one reference; NULL once collected */
  size_t layer;
} rtc_lua_enc_t;

static rtc_lua_enc_t *enc_check(lua_State *L, int idx) {
  rtc_lua_enc_t *e = luaL_checkudata(L, idx, RTC_LUA_ENC_MT);
  if (!e->tr) luaL_argerror(L, idx, "encoding port is destroyed");
  return e;
}

static int enc_send_frame(rtc_lua_enc_t *e, rtc_lua_frame_t *f, uint64_t now) {
  rtc_tr_codec_t c;
  if (!rtc_tr_codec(e->tr, &c)) return RTC_ESTATE;
  if (f->codec && strcasecmp(f->codec, c.name) != 0) return RTC_ENOTSUP;
  int r = rtc_tr_send_layer_frame_at(e->tr, e->layer, now, f->at_us, f->ts, f->p, f->len, f->key);
  rtc_lua_tr_kick(e->tr);
  return r;
}

/* The port as a source's sink: frames of the negotiated codec into its layer. */
static int enc_sink(void *ud, rtc_lua_frame_t *f) {
  rtc_lua_enc_t *e = ud;
  if (!e->tr) return RTC_ESTATE;
  int r = enc_send_frame(e, f, rtc_io_now_us());
  if (r == 0) {
    uint64_t ready = rtc_tr_send_ready_us(e->tr);
    if (ready > f->ready_us) f->ready_us = ready;
  }
  return r;
}

void *rtc_lua_enc_sink(lua_State *L, int idx, rtc_lua_sink_fn *fn) {
  rtc_lua_enc_t *e = luaL_testudata(L, idx, RTC_LUA_ENC_MT);
  if (!e) return NULL;
  *fn = enc_sink;
  return e;
}

/* port:send(bytes, rtp_timestamp, keyframe [, codec]) -> true | nil, err, NAME
 * (track:write on a layer's own track). */
static int enc_send(lua_State *L) {
  rtc_lua_enc_t *e = enc_check(L, 1);
  size_t len;
  const char *p = luaL_checklstring(L, 2, &len);
  uint64_t now = rtc_io_now_us();
  rtc_lua_frame_t f = {.codec = luaL_optstring(L, 5, NULL),
                       .p = (const uint8_t *)p,
                       .len = len,
                       .ts = (uint32_t)(uint64_t)luaL_checknumber(L, 3),
                       .key = lua_toboolean(L, 4),
                       .at_us = now};
  int r = enc_send_frame(e, &f, now);
  if (r == 0) return lua_pushboolean(L, 1), 1;
  const char *msg = rtc_tr_error(e->tr);
  lua_pushnil(L);
  lua_pushstring(L, r == RTC_ENOTSUP ? "send: the frame's codec is not the negotiated one"
                    : msg && *msg    ? msg
                                     : rtc_strerror(r));
  lua_pushstring(L, rtc_err_name(r));
  return 3;
}

static int enc_stopped(lua_State *L) {
  lua_pushboolean(L, rtc_tr_stopped(enc_check(L, 1)->tr));
  return 1;
}

static int enc_gc(lua_State *L) {
  rtc_lua_enc_t *e = luaL_checkudata(L, 1, RTC_LUA_ENC_MT);
  rtc_tr_unref(e->tr);
  e->tr = NULL;
  return 0;
}

static int enc_tostring(lua_State *L) {
  lua_pushfstring(L, "RtpEncodingPort: %p", lua_touserdata(L, 1));
  return 1;
}

/* tr:encodingPort(i) -> port: a new port for layer i (1-based), from now on fed by its
 * own source only (rtc_tr_set_layer_separate). lua/rtc/media.lua keeps one per layer. */
static int tr_encoding_port(lua_State *L) {
  rtc_tr_t *tr = rtc_lua_tr_get(L, 1);
  lua_Integer i = luaL_checkinteger(L, 2);
  luaL_argcheck(L, i >= 1 && (size_t)i <= rtc_tr_layers(tr), 2, "no such encoding");
  rtc_tr_set_layer_separate(tr, (size_t)i - 1, true);
  rtc_lua_enc_t *e = lua_newuserdata(L, sizeof(*e));
  e->tr = rtc_tr_ref(tr);
  e->layer = (size_t)i - 1;
  luaL_getmetatable(L, RTC_LUA_ENC_MT);
  lua_setmetatable(L, -2);
  lua_createtable(L, 0, 1);
  lua_pushlightuserdata(L, (void *)&rtc_lua_key_owner);
  lua_pushvalue(L, 1);
  lua_rawset(L, -3);
  rtc_lua_setenv(L, -2);
  return 1;
}

/* tr:layers() -> number of simulcast layers (0: none) */
static int tr_layers(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)rtc_tr_layers(rtc_lua_tr_get(L, 1)));
  return 1;
}

/* tr:layerRemoved(i) -> bool: a remote answer removed encoding i (1-based) */
static int tr_layer_removed(lua_State *L) {
  rtc_tr_t *tr = rtc_lua_tr_get(L, 1);
  lua_Integer i = luaL_checkinteger(L, 2);
  lua_pushboolean(L, i >= 1 && rtc_tr_layer_removed(tr, (size_t)i - 1));
  return 1;
}

/* tr:setLayerActive(i, bool) -> true | nil, err, NAME */
static int tr_set_layer_active(lua_State *L) {
  rtc_tr_t *tr = rtc_lua_tr_get(L, 1);
  lua_Integer i = luaL_checkinteger(L, 2);
  int r = i >= 1 ? rtc_tr_set_layer_active(tr, (size_t)i - 1, lua_toboolean(L, 3)) : RTC_EINVAL;
  if (r == 0) return lua_pushboolean(L, 1), 1;
  lua_pushnil(L);
  lua_pushstring(L, rtc_tr_error(tr));
  lua_pushstring(L, rtc_err_name(r));
  return 3;
}

static const luaL_Reg enc_methods[] = {
    {"send", enc_send},
    {"stopped", enc_stopped},
    {NULL, NULL},
};
static const luaL_Reg no_getters[] = {{NULL, NULL}};

void rtc_lua_enc_open(lua_State *L) {
  rtc_lua_class(L, RTC_LUA_ENC_MT, enc_methods, no_getters, NULL, enc_gc, enc_tostring);
  static const luaL_Reg tr_extra[] = {
      {"encodingPort", tr_encoding_port},
      {"layers", tr_layers},
      {"layerRemoved", tr_layer_removed},
      {"setLayerActive", tr_set_layer_active},
      {NULL, NULL},
  };
  luaL_getmetatable(L, "rtc.RTCRtpTransceiver");
  lua_getfield(L, -1, "methods");
  luaL_setfuncs(L, tr_extra, 0);
  lua_pop(L, 2);
}
