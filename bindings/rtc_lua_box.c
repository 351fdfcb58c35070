/* Boxes: a C resource held while Lua allocates. Any push may raise a memory error
 * and longjmp past the code that would free what it holds; a box made before the
 * resource is acquired owns it until the code hands it on, and its __gc releases it
 * when the raise skipped that. */
#include "rtc_lua.h"

#define RTC_LUA_BOX_MT "rtc.box"

static int box_gc(lua_State *L) {
  rtc_lua_box_free(luaL_checkudata(L, 1, RTC_LUA_BOX_MT));
  return 0;
}

rtc_lua_box_t *rtc_lua_box_new(lua_State *L) {
  rtc_lua_box_t *b = lua_newuserdata(L, sizeof(*b));
  b->p = NULL;
  b->release = NULL;
  luaL_getmetatable(L, RTC_LUA_BOX_MT);
  lua_setmetatable(L, -2);
  return b;
}

void rtc_lua_box_hold(rtc_lua_box_t *b, void *p, void (*release)(void *)) {
  b->p = p;
  b->release = release;
}

void *rtc_lua_box_take(rtc_lua_box_t *b) {
  void *p = b->p;
  b->p = NULL;
  return p;
}

void rtc_lua_box_free(rtc_lua_box_t *b) {
  void *p = rtc_lua_box_take(b);
  if (p && b->release) {
    rtc_lua_in_gc++; /* a release may log: no Lua call from here */
    b->release(p);
    rtc_lua_in_gc--;
  }
}

void rtc_lua_box_open(lua_State *L) {
  luaL_newmetatable(L, RTC_LUA_BOX_MT);
  lua_pushcfunction(L, box_gc);
  lua_setfield(L, -2, "__gc");
  lua_pushliteral(L, "luartc");
  lua_setfield(L, -2, "__metatable");
  lua_pop(L, 1);
}
