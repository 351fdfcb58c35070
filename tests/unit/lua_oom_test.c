/* Out of memory in Lua while the bindings hold C memory (issue 11): every push may
 * raise a memory error (a longjmp), and what the binding held then must still be freed.
 *
 * The bindings run in a LuaJIT state made with lua_newstate and an allocator that
 * fails every growing request from the n-th one after arm(n), so each Lua allocation
 * inside a call fails in turn (tests/unit/lua_oom_test.lua drives n = 0, 1, 2, ...
 * until the call succeeds); arm(n, true) fails the n-th request only, for a loop that
 * must go on after one event was lost. The C side's malloc/calloc/realloc/free
 * (bindings and runtime, linked with --wrap) are tracked block by block by
 * rtc_test_oom.h: c_live() is the number of blocks they hold, and after each failed
 * call plus a full collection it must be back where it was. Lua's own memory goes to
 * the real allocator and is not counted. */
#include <stdio.h>

#include "rtc_lua_compat.h"
#include "rtc_test_oom.h"

int luaopen_rtc_core(lua_State *L);

/* ---- the failing Lua allocator ---- */

static long fail_from = -1; /* -1: never; else growing requests from this one fail */
static bool fail_once;      /* only the request numbered fail_from fails */
static long grows;

static void *l_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  (void)ud;
  if (nsize == 0) {
    __real_free(ptr);
    return NULL;
  }
  if (nsize > osize && fail_from >= 0) {
    long k = grows++;
    if (fail_once ? k == fail_from : k >= fail_from) return NULL;
  }
  return __real_realloc(ptr, nsize);
}

static int l_arm(lua_State *L) {
  fail_from = (long)luaL_checkinteger(L, 1);
  fail_once = lua_toboolean(L, 2);
  grows = 0;
  return 0;
}

static int l_disarm(lua_State *L) {
  fail_from = -1;
  lua_pushinteger(L, grows);
  return 1;
}

static int l_live(lua_State *L) {
  lua_pushinteger(L, rtc_test_oom_live);
  return 1;
}

static int traceback(lua_State *L) {
  luaL_traceback(L, L, lua_tostring(L, 1), 1);
  return 1;
}

int main(void) {
  lua_State *L = lua_newstate(l_alloc, NULL);
  if (!L) {
    /* LuaJIT without GC64 on x86_64 refuses an allocator: the test cannot run here. */
    printf("lua_newstate refused a custom allocator (LuaJIT without GC64)\n");
    printf("RESULT passed=0 failed=1\n");
    return 1;
  }
  luaL_openlibs(L);
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "preload");
  lua_pushcfunction(L, luaopen_rtc_core);
  lua_setfield(L, -2, "rtc.core");
  lua_pop(L, 2);
  lua_pushcfunction(L, l_arm);
  lua_setglobal(L, "oom_arm");
  lua_pushcfunction(L, l_disarm);
  lua_setglobal(L, "oom_disarm");
  lua_pushcfunction(L, l_live);
  lua_setglobal(L, "c_live");
  lua_pushcfunction(L, traceback);
  int rc = luaL_loadfile(L, "tests/unit/lua_oom_test.lua");
  if (rc == 0) rc = lua_pcall(L, 0, 1, 1);
  if (rc != 0) {
    printf("lua_oom_test.lua: %s\nRESULT passed=0 failed=1\n", lua_tostring(L, -1));
    return 1;
  }
  int failed = (int)lua_tointeger(L, -1);
  lua_close(L);
  return failed ? 1 : 0;
}
