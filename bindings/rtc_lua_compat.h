/* The one Lua 5.1 / LuaJIT compatibility place. LuaJIT 2.1 already has the 5.2
 * auxiliary functions we use (luaL_setfuncs, luaL_testudata, luaL_traceback);
 * userdata environments are the 5.1 fenv (lua_setfenv/lua_getfenv). */
#ifndef RTC_LUA_COMPAT_H
#define RTC_LUA_COMPAT_H
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

/* The userdata's environment table: handlers and script fields live there. */
#define rtc_lua_getenv(L, idx) lua_getfenv((L), (idx))
#define rtc_lua_setenv(L, idx) lua_setfenv((L), (idx))

static inline int rtc_lua_absindex(lua_State *L, int idx) {
  return (idx > 0 || idx <= LUA_REGISTRYINDEX) ? idx : lua_gettop(L) + idx + 1;
}

#endif
