/* Transceivers for Lua (the pc media C API binds here once it is on main). */
#include "rtc_lua_media.h"

void *rtc_lua_tr_sink(lua_State *L, int idx, rtc_lua_sink_fn *fn) {
  (void)L, (void)idx, (void)fn;
  return NULL;
}
