/* RTCDataChannel userdata: { rtc_dc_t *dc (one reference); rtc_lua_pc_t *pc; }.
 * The channel's env table holds its pc object (so the pc outlives the channel
 * object) and the pc's env holds the channel strongly until its close event (so
 * `ev.channel.onmessage = f` works with no script reference). */
#include <string.h>

#include "base/rtc_err.h"
#include "rtc_lua.h"

static rtc_lua_dc_t *dc_check(lua_State *L, int idx) {
  rtc_lua_dc_t *d = luaL_checkudata(L, idx, RTC_LUA_DC_MT);
  if (!d->dc) luaL_argerror(L, idx, "RTCDataChannel is destroyed");
  return d;
}

static void dc_kick(rtc_lua_dc_t *d) {
  if (d->pc && d->pc->peer && rtc_dc_pc(d->dc)) rtc_io_peer_kick(d->pc->peer);
}

void rtc_lua_dc_unref(void *dc) { rtc_dc_unref(dc); }

void rtc_lua_dc_push_new(lua_State *L, rtc_lua_box_t *b, int pci) {
  pci = rtc_lua_absindex(L, pci);
  rtc_lua_pc_t *p = lua_touserdata(L, pci);
  rtc_lua_dc_t *d = lua_newuserdata(L, sizeof(*d));
  d->dc = NULL;
  d->pc = p;
  luaL_getmetatable(L, RTC_LUA_DC_MT);
  lua_setmetatable(L, -2);
  lua_createtable(L, 0, 4);
  lua_pushlightuserdata(L, (void *)&rtc_lua_key_owner);
  lua_pushvalue(L, pci);
  lua_rawset(L, -3);
  rtc_lua_setenv(L, -2);
  rtc_lua_obj_register(L, d, -1);
  /* pc env [channels] [channel] = true */
  rtc_lua_getenv(L, pci);
  lua_pushlightuserdata(L, (void *)&rtc_lua_key_channels);
  lua_rawget(L, -2);
  lua_pushvalue(L, -3);
  lua_pushboolean(L, 1);
  lua_rawset(L, -3);
  lua_pop(L, 2);
  /* Nothing allocates from here: the object takes the box's reference. */
  d->dc = rtc_lua_box_take(b);
  rtc_dc_set_userdata(d->dc, d);
  rtc_lua_live_dcs++;
}

static int dc_gc(lua_State *L) {
  rtc_lua_dc_t *d = luaL_checkudata(L, 1, RTC_LUA_DC_MT);
  if (!d->dc) return 0;
  rtc_lua_in_gc++;
  rtc_dc_set_userdata(d->dc, NULL);
  rtc_dc_unref(d->dc);
  rtc_lua_in_gc--;
  d->dc = NULL;
  rtc_lua_live_dcs--;
  return 0;
}

static int dc_tostring(lua_State *L) {
  rtc_lua_dc_t *d = luaL_checkudata(L, 1, RTC_LUA_DC_MT);
  if (d->dc)
    lua_pushfstring(L, "RTCDataChannel '%s' (%d): %p", rtc_dc_label(d->dc), rtc_dc_id(d->dc),
                    (void *)d);
  else
    lua_pushfstring(L, "RTCDataChannel (destroyed): %p", (void *)d);
  return 1;
}

/* send(data [, "binary"]) -> true | nil, err, ENAME */
static int dc_send(lua_State *L) {
  static const char *const kinds[] = {"text", "binary", NULL};
  rtc_lua_dc_t *d = dc_check(L, 1);
  size_t len;
  const char *data = luaL_checklstring(L, 2, &len);
  bool binary = luaL_checkoption(L, 3, "text", kinds) == 1;
  int r = rtc_dc_send(d->dc, binary, (const uint8_t *)data, len);
  dc_kick(d);
  if (r < 0) {
    const char *msg = rtc_dc_error(d->dc);
    lua_pushnil(L);
    lua_pushstring(L, msg && *msg ? msg : rtc_strerror(r));
    lua_pushstring(L, rtc_err_name(r));
    return 3;
  }
  lua_pushboolean(L, 1);
  return 1;
}

static int dc_close(lua_State *L) {
  rtc_lua_dc_t *d = dc_check(L, 1);
  rtc_dc_close(d->dc);
  dc_kick(d);
  return 0;
}

#define DC_GET(name)                                                                               \
  rtc_lua_dc_t *d = luaL_checkudata(L, 1, RTC_LUA_DC_MT);                                          \
  if (!d->dc) return lua_pushnil(L), 1;

static int g_label(lua_State *L) {
  DC_GET();
  lua_pushstring(L, rtc_dc_label(d->dc));
  return 1;
}
static int g_protocol(lua_State *L) {
  DC_GET();
  lua_pushstring(L, rtc_dc_protocol(d->dc));
  return 1;
}
static int push_optint(lua_State *L, int v) {
  if (v < 0)
    lua_pushnil(L);
  else
    lua_pushinteger(L, v);
  return 1;
}
static int g_id(lua_State *L) {
  DC_GET();
  return push_optint(L, rtc_dc_id(d->dc));
}
static int g_ordered(lua_State *L) {
  DC_GET();
  lua_pushboolean(L, rtc_dc_ordered(d->dc));
  return 1;
}
static int g_max_rtx(lua_State *L) {
  DC_GET();
  return push_optint(L, rtc_dc_max_retransmits(d->dc));
}
static int g_max_life(lua_State *L) {
  DC_GET();
  return push_optint(L, rtc_dc_max_packet_life_time(d->dc));
}
static int g_negotiated(lua_State *L) {
  DC_GET();
  lua_pushboolean(L, rtc_dc_negotiated(d->dc));
  return 1;
}
static int g_ready(lua_State *L) {
  rtc_lua_dc_t *d = luaL_checkudata(L, 1, RTC_LUA_DC_MT);
  int s = d->dc ? (int)rtc_dc_ready_state(d->dc) : RTC_DC_CLOSED;
  lua_pushstring(L, rtc_lua_dc_state_names[s >= 0 && s <= RTC_DC_CLOSED ? s : RTC_DC_CLOSED]);
  return 1;
}
static int g_buffered(lua_State *L) {
  rtc_lua_dc_t *d = luaL_checkudata(L, 1, RTC_LUA_DC_MT);
  lua_pushnumber(L, d->dc ? (lua_Number)rtc_dc_buffered_amount(d->dc) : 0);
  return 1;
}
static int g_low(lua_State *L) {
  rtc_lua_dc_t *d = luaL_checkudata(L, 1, RTC_LUA_DC_MT);
  lua_pushnumber(L, d->dc ? (lua_Number)rtc_dc_buffered_amount_low_threshold(d->dc) : 0);
  return 1;
}
static int s_low(lua_State *L) {
  rtc_lua_dc_t *d = dc_check(L, 1);
  lua_Number v = luaL_checknumber(L, 2);
  luaL_argcheck(L, v >= 0, 2, "bufferedAmountLowThreshold must be >= 0");
  rtc_dc_set_buffered_amount_low_threshold(d->dc, (size_t)v);
  return 0;
}

static const luaL_Reg dc_methods[] = {
    {"send", dc_send},
    {"close", dc_close},
    {"addEventListener", rtc_lua_add_listener},
    {"removeEventListener", rtc_lua_remove_listener},
    {NULL, NULL},
};

static const luaL_Reg dc_getters[] = {
    {"label", g_label},
    {"protocol", g_protocol},
    {"id", g_id},
    {"ordered", g_ordered},
    {"maxRetransmits", g_max_rtx},
    {"maxPacketLifeTime", g_max_life},
    {"negotiated", g_negotiated},
    {"readyState", g_ready},
    {"bufferedAmount", g_buffered},
    {"bufferedAmountLowThreshold", g_low},
    {NULL, NULL},
};

static const luaL_Reg dc_setters[] = {
    {"bufferedAmountLowThreshold", s_low},
    {NULL, NULL},
};

void rtc_lua_dc_open(lua_State *L) {
  rtc_lua_class(L, RTC_LUA_DC_MT, dc_methods, dc_getters, dc_setters, dc_gc, dc_tostring);
}
