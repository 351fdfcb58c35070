/* Out of memory in Lua while the bindings hold C memory (issue 11): every push may
 * raise a memory error (a longjmp), and what the binding held then must still be freed.
 *
 * The bindings run in a LuaJIT state made with lua_newstate and an allocator that
 * fails every growing request from the n-th one after arm(n), so each Lua allocation
 * inside a call fails in turn (tests/unit/lua_oom_test.lua drives n = 0, 1, 2, ...
 * until the call succeeds). The C side's malloc/calloc/realloc/free (bindings and
 * runtime, linked with --wrap) are tracked block by block: live() is the number of
 * blocks they hold, and after each failed call plus a full collection it must be back
 * where it was. Lua's own memory goes to the real allocator and is not counted. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rtc_lua_compat.h"

int luaopen_rtc_core(lua_State *L);

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);

/* ---- the blocks the C side holds: an open-addressing set of pointers ----
 * Kept XOR-masked, so that LeakSanitizer and valgrind, which scan memory for pointers,
 * do not count this set as a reference: a lost block is reported by them too. */

#define SET_BITS 20
#define SET_SIZE (1u << SET_BITS)
#define SET_MASK ((uintptr_t)0xA5A5A5A5A5A5A5A5ull)
static uintptr_t set_slots[SET_SIZE];
static const uintptr_t set_gone = 1; /* a tombstone */
static long set_live;

static uint32_t set_hash(void *p) {
  uint64_t x = (uint64_t)(uintptr_t)p * 0x9E3779B97F4A7C15ull;
  return (uint32_t)(x >> (64 - SET_BITS));
}

static void set_add(void *p) {
  if (!p) return;
  for (uint32_t i = set_hash(p);; i = (i + 1) & (SET_SIZE - 1))
    if (!set_slots[i] || set_slots[i] == set_gone) {
      set_slots[i] = (uintptr_t)p ^ SET_MASK;
      set_live++;
      return;
    }
}

static void set_del(void *p) {
  if (!p) return;
  for (uint32_t i = set_hash(p); set_slots[i]; i = (i + 1) & (SET_SIZE - 1))
    if (set_slots[i] == ((uintptr_t)p ^ SET_MASK)) {
      set_slots[i] = set_gone;
      set_live--;
      return;
    }
  /* not ours: a library (mbedTLS, libsrtp2) allocated it */
}

void *__wrap_malloc(size_t n) {
  void *p = __real_malloc(n);
  set_add(p);
  return p;
}
void *__wrap_calloc(size_t n, size_t m) {
  void *p = __real_calloc(n, m);
  set_add(p);
  return p;
}
void *__wrap_realloc(void *old, size_t n) {
  void *p = __real_realloc(old, n);
  if (p || n == 0) set_del(old);
  set_add(p);
  return p;
}
void __wrap_free(void *p) {
  set_del(p);
  __real_free(p);
}
char *__wrap_strdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *p = __wrap_malloc(n);
  if (p) memcpy(p, s, n);
  return p;
}
char *__wrap_strndup(const char *s, size_t max) {
  size_t n = strnlen(s, max);
  char *p = __wrap_malloc(n + 1);
  if (p) {
    memcpy(p, s, n);
    p[n] = '\0';
  }
  return p;
}

/* ---- the failing Lua allocator ---- */

static long fail_from = -1; /* -1: never; else growing requests from this one fail */
static long grows;

static void *l_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  (void)ud;
  if (nsize == 0) {
    __real_free(ptr);
    return NULL;
  }
  if (nsize > osize && fail_from >= 0 && grows++ >= fail_from) return NULL;
  return __real_realloc(ptr, nsize);
}

static int l_arm(lua_State *L) {
  fail_from = (long)luaL_checkinteger(L, 1);
  grows = 0;
  return 0;
}

static int l_disarm(lua_State *L) {
  fail_from = -1;
  lua_pushinteger(L, grows);
  return 1;
}

static int l_live(lua_State *L) {
  lua_pushinteger(L, set_live);
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
