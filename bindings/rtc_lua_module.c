/* rtc.core: the C half of `require "rtc"`. Maps the C API one to one; the policy
 * (defaults, description tables, callbacks, coroutines) is in lua/rtc/init.lua.
 *
 * The loop: luartc runs on luv's loop. luv (1.44) keeps a luv_ctx_t userdata in
 * the registry under "luv_context"; its first fields are the uv_loop_t* and the
 * main lua_State. We read them there instead of linking libluv (a second copy of
 * luv would bring a second loop). */
#define _GNU_SOURCE /* dladdr */
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "base/rtc_log.h"
#include "dtls/rtc_dtls_ecp.h"
#include "rtc_lua.h"
#include "rtc_lua_media.h"

const char rtc_lua_key_objects;
const char rtc_lua_key_reporter;
const char rtc_lua_key_results;
const char rtc_lua_key_channels;
const char rtc_lua_key_owner;
static const char key_log_handler;
static const char key_log_thread;
int rtc_lua_live_pcs, rtc_lua_live_dcs, rtc_lua_live_certs;
int rtc_lua_in_gc;

const char *const rtc_lua_signaling_names[] = {"stable",
                                               "have-local-offer",
                                               "have-remote-offer",
                                               "have-local-pranswer",
                                               "have-remote-pranswer",
                                               "closed",
                                               NULL};
const char *const rtc_lua_gathering_names[] = {"new", "gathering", "complete", NULL};
const char *const rtc_lua_ice_names[] = {"new",    "checking",     "connected", "completed",
                                         "failed", "disconnected", "closed",    NULL};
const char *const rtc_lua_connection_names[] = {"new",    "connecting", "connected", "disconnected",
                                                "failed", "closed",     NULL};
const char *const rtc_lua_dc_state_names[] = {"connecting", "open", "closing", "closed", NULL};
/* Indexed by rtc_sdp_type_t. */
const char *const rtc_lua_sdp_type_names[] = {"offer", "pranswer", "answer", "rollback", NULL};

/* The prefix of luv's luv_ctx_t (luv/luv.h) that we read. */
typedef struct luv_ctx_prefix {
  uv_loop_t *loop;
  lua_State *L;
} luv_ctx_prefix_t;

uv_loop_t *rtc_lua_loop(lua_State *L, lua_State **main_L) {
  lua_getfield(L, LUA_REGISTRYINDEX, "luv_context");
  luv_ctx_prefix_t *ctx = lua_touserdata(L, -1);
  lua_pop(L, 1);
  if (!ctx || !ctx->loop) luaL_error(L, "rtc.core: require \"luv\" before creating connections");
  if (main_L) *main_L = ctx->L ? ctx->L : L;
  return ctx->loop;
}

/* ---- objects ---- */

void rtc_lua_obj_register(lua_State *L, void *key, int idx) {
  idx = rtc_lua_absindex(L, idx);
  lua_pushlightuserdata(L, (void *)&rtc_lua_key_objects);
  lua_rawget(L, LUA_REGISTRYINDEX);
  lua_pushlightuserdata(L, key);
  lua_pushvalue(L, idx);
  lua_rawset(L, -3);
  lua_pop(L, 1);
}

void rtc_lua_obj_push(lua_State *L, void *key) {
  lua_pushlightuserdata(L, (void *)&rtc_lua_key_objects);
  lua_rawget(L, LUA_REGISTRYINDEX);
  lua_pushlightuserdata(L, key);
  lua_rawget(L, -2);
  lua_remove(L, -2);
}

/* __index: methods (upvalue 1), then attribute getters (upvalue 2), then the env. */
static int class_index(lua_State *L) {
  lua_pushvalue(L, 2);
  lua_rawget(L, lua_upvalueindex(1));
  if (!lua_isnil(L, -1)) return 1;
  lua_pop(L, 1);
  lua_pushvalue(L, 2);
  lua_rawget(L, lua_upvalueindex(2));
  if (lua_isfunction(L, -1)) {
    lua_pushvalue(L, 1);
    lua_call(L, 1, 1);
    return 1;
  }
  lua_pop(L, 1);
  rtc_lua_getenv(L, 1);
  if (!lua_istable(L, -1)) return 0;
  lua_pushvalue(L, 2);
  lua_rawget(L, -2);
  return 1;
}

/* __newindex: setters (upvalue 2), read-only attributes raise (upvalue 1 = getters),
 * anything else is stored in the env (handlers, script fields). */
static int class_newindex(lua_State *L) {
  lua_pushvalue(L, 2);
  lua_rawget(L, lua_upvalueindex(2));
  if (lua_isfunction(L, -1)) {
    lua_pushvalue(L, 1);
    lua_pushvalue(L, 3);
    lua_call(L, 2, 0);
    return 0;
  }
  lua_pop(L, 1);
  lua_pushvalue(L, 2);
  lua_rawget(L, lua_upvalueindex(1));
  if (!lua_isnil(L, -1)) return luaL_error(L, "attribute '%s' is read-only", lua_tostring(L, 2));
  lua_pop(L, 1);
  rtc_lua_getenv(L, 1);
  lua_pushvalue(L, 2);
  lua_pushvalue(L, 3);
  lua_rawset(L, -3);
  return 0;
}

void rtc_lua_class(lua_State *L, const char *mt, const luaL_Reg *methods, const luaL_Reg *getters,
                   const luaL_Reg *setters, lua_CFunction gc, lua_CFunction tostring) {
  luaL_newmetatable(L, mt);
  lua_newtable(L);
  luaL_setfuncs(L, methods, 0);
  lua_pushvalue(L, -1);
  lua_setfield(L, -3, "methods"); /* exposed to lua/rtc, which wraps some of them */
  lua_newtable(L);
  luaL_setfuncs(L, getters, 0);
  lua_pushvalue(L, -1);
  lua_setfield(L, -4, "getters");
  lua_pushcclosure(L, class_index, 2);
  lua_setfield(L, -2, "__index");
  lua_getfield(L, -1, "getters");
  lua_newtable(L);
  if (setters) luaL_setfuncs(L, setters, 0);
  lua_pushcclosure(L, class_newindex, 2);
  lua_setfield(L, -2, "__newindex");
  lua_pushcfunction(L, gc);
  lua_setfield(L, -2, "__gc");
  lua_pushcfunction(L, tostring);
  lua_setfield(L, -2, "__tostring");
  lua_pushliteral(L, "luartc");
  lua_setfield(L, -2, "__metatable");
  lua_pop(L, 1);
}

/* ---- errors in callbacks ---- */

int rtc_lua_traceback(lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  if (!msg) msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  luaL_traceback(L, L, msg, 1);
  return 1;
}

void rtc_lua_report(lua_State *L, int idx) {
  idx = rtc_lua_absindex(L, idx);
  lua_pushlightuserdata(L, (void *)&rtc_lua_key_reporter);
  lua_rawget(L, LUA_REGISTRYINDEX);
  if (lua_isfunction(L, -1)) {
    lua_pushvalue(L, idx);
    if (lua_pcall(L, 1, 0, 0) == 0) return;
    fprintf(stderr, "luartc: error in rtc.onerror: %s\n", lua_tostring(L, -1));
  }
  lua_pop(L, 1);
  const char *msg = lua_tostring(L, idx);
  fprintf(stderr, "luartc: error in handler: %s\n", msg ? msg : "?");
}

int rtc_lua_pcall(lua_State *L, int nargs) {
  int base = lua_gettop(L) - nargs;
  lua_pushcfunction(L, rtc_lua_traceback);
  lua_insert(L, base);
  int r = lua_pcall(L, nargs, 0, base);
  if (r != 0) {
    rtc_lua_report(L, -1);
    lua_pop(L, 1);
  }
  lua_remove(L, base);
  return r;
}

static int set_registry_function(lua_State *L, const char *key) {
  if (!lua_isnoneornil(L, 1)) luaL_checktype(L, 1, LUA_TFUNCTION);
  lua_settop(L, 1);
  lua_pushlightuserdata(L, (void *)key);
  lua_insert(L, 1);
  lua_rawset(L, LUA_REGISTRYINDEX);
  return 0;
}

static int m_set_reporter(lua_State *L) { return set_registry_function(L, &rtc_lua_key_reporter); }

/* fn(pc, token): an operation's result reached its place among the pc's events. */
static int m_set_result_handler(lua_State *L) {
  return set_registry_function(L, &rtc_lua_key_results);
}

/* ---- logging ---- */

static const char *const log_names[] = {"error", "warn", "info", "debug", "trace", NULL};

static int m_set_log_level(lua_State *L) {
  rtc_log_set_level((rtc_log_level_t)luaL_checkoption(L, 1, NULL, log_names));
  return 0;
}

/* A module's own level; nil drops it. */
static int m_set_log_module_level(lua_State *L) {
  const char *module = luaL_checkstring(L, 1);
  int level = lua_isnoneornil(L, 2) ? -1 : luaL_checkoption(L, 2, NULL, log_names);
  if (rtc_log_set_module_level(module, level) < 0) return luaL_error(L, "too many log modules");
  return 0;
}

/* The sink runs inside the core's processing (possibly under mbedTLS or io_flush):
 * it must not call Lua there (a handler could run a GC that finalizes a pc mid-flush).
 * Lines wait in a bounded ring and rtc_lua_log_flush hands them to the handler from
 * a safe point (event delivery, the loop's callback turn). */
#define LOG_RING 64
static struct {
  rtc_log_level_t level;
  char module[16];
  char line[480];
} log_ring[LOG_RING];
static unsigned log_head, log_count, log_lost;
static lua_State *log_thread;

static void log_sink(rtc_log_level_t level, const char *module, const char *line, void *ud) {
  log_thread = ud;
  if (log_count == LOG_RING) {
    log_lost++;
    return;
  }
  unsigned k = (log_head + log_count++) % LOG_RING;
  log_ring[k].level = level;
  snprintf(log_ring[k].module, sizeof(log_ring[k].module), "%s", module ? module : "");
  snprintf(log_ring[k].line, sizeof(log_ring[k].line), "%s", line ? line : "");
}

void rtc_lua_log_flush(void) {
  lua_State *T = log_thread;
  if (!T || rtc_lua_in_gc > 0 || !lua_checkstack(T, 8)) return;
  while (log_count > 0) {
    unsigned k = log_head;
    log_head = (log_head + 1) % LOG_RING;
    log_count--;
    int top = lua_gettop(T);
    lua_pushlightuserdata(T, (void *)&key_log_handler);
    lua_rawget(T, LUA_REGISTRYINDEX);
    if (!lua_isfunction(T, -1)) {
      lua_settop(T, top);
      fprintf(stderr, "luartc %s [%s] %s\n", log_names[log_ring[k].level], log_ring[k].module,
              log_ring[k].line);
      continue;
    }
    lua_pushstring(T, log_names[log_ring[k].level]);
    lua_pushstring(T, log_ring[k].module);
    lua_pushstring(T, log_ring[k].line);
    rtc_lua_pcall(T, 3);
    lua_settop(T, top);
  }
  if (log_lost) {
    fprintf(stderr, "luartc: %u log lines lost (handler too slow)\n", log_lost);
    log_lost = 0;
  }
}

static int m_flush_log(lua_State *L) {
  rtc_lua_log_flush();
  return 0;
}

static int m_set_log_handler(lua_State *L) {
  if (!lua_isnoneornil(L, 1)) luaL_checktype(L, 1, LUA_TFUNCTION);
  lua_settop(L, 1);
  lua_pushlightuserdata(L, (void *)&key_log_handler);
  lua_pushvalue(L, 1);
  lua_rawset(L, LUA_REGISTRYINDEX);
  if (lua_isnil(L, 1)) {
    rtc_log_set_sink(NULL, NULL);
    return 0;
  }
  lua_pushlightuserdata(L, (void *)&key_log_thread);
  lua_rawget(L, LUA_REGISTRYINDEX);
  lua_State *T = lua_tothread(L, -1);
  if (!T) {
    lua_pushlightuserdata(L, (void *)&key_log_thread);
    T = lua_newthread(L);
    lua_rawset(L, LUA_REGISTRYINDEX);
  }
  rtc_log_set_sink(log_sink, T);
  return 0;
}

/* ---- misc ---- */

static int m_debug_counts(lua_State *L) {
  lua_createtable(L, 0, 3);
  lua_pushinteger(L, rtc_lua_live_pcs);
  lua_setfield(L, -2, "pcs");
  lua_pushinteger(L, rtc_lua_live_dcs);
  lua_setfield(L, -2, "dcs");
  lua_pushinteger(L, rtc_lua_live_certs);
  lua_setfield(L, -2, "certs");
  lua_pushinteger(L, rtc_lua_live_sources);
  lua_setfield(L, -2, "mediaSources");
  lua_pushinteger(L, rtc_lua_live_recorders);
  lua_setfield(L, -2, "recorders");
  lua_pushinteger(L, rtc_lua_live_trs);
  lua_setfield(L, -2, "transceivers");
  /* DTLS handshakes' point multiplications on libcrypto / on mbedTLS (tests check
   * which path a process takes: runtime/dtls/rtc_dtls_ecp.h). */
  rtc__dtls_ecp_stats_t ecp;
  rtc__dtls_ecp_get_stats(&ecp);
  lua_pushnumber(L, (lua_Number)ecp.fast);
  lua_setfield(L, -2, "ecpFast");
  lua_pushnumber(L, (lua_Number)ecp.fallback);
  lua_setfield(L, -2, "ecpFallback");
  unsigned mux_sockets;
  uint64_t mux_dropped;
  rtc_io_mux_stats(&mux_sockets, &mux_dropped);
  lua_pushinteger(L, (lua_Integer)mux_sockets);
  lua_setfield(L, -2, "udpMuxSockets");
  lua_pushnumber(L, (lua_Number)mux_dropped);
  lua_setfield(L, -2, "udpMuxDropped");
  return 1;
}

static int m_now_us(lua_State *L) {
  lua_pushnumber(L, (lua_Number)rtc_io_now_us());
  return 1;
}

static const luaL_Reg core_funcs[] = {
    {"RTCPeerConnection", rtc_lua_pc_new},
    {"generateCertificate", rtc_lua_cert_generate},
    {"certificateFromPEM", rtc_lua_cert_from_pem},
    {"setLogLevel", m_set_log_level},
    {"setLogModuleLevel", m_set_log_module_level},
    {"setLogHandler", m_set_log_handler},
    {"flushLog", m_flush_log},
    {"setErrorReporter", m_set_reporter},
    {"setResultHandler", m_set_result_handler},
    {"debugCounts", m_debug_counts},
    {"nowUs", m_now_us},
    {NULL, NULL},
};

int luaopen_rtc_core(lua_State *L);

static void expose_methods(lua_State *L, const char *mt, const char *field) {
  luaL_getmetatable(L, mt);
  lua_getfield(L, -1, "methods");
  lua_setfield(L, -3, field);
  lua_pop(L, 1);
}

/* Loaded as rtc.so, we must never be unmapped: the runtime keeps handles (the
 * shared usrsctp timer) in our static memory on luv's loop, and at lua_close the
 * loader's __gc may dlclose us before luv's loop __gc walks its handles. */
static void module_pin(void) {
  Dl_info info;
  if (dladdr((void *)luaopen_rtc_core, &info) && info.dli_fname)
    dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
}

/* libuv writes to stream sockets with write(2), and a write to a connection the peer
 * has closed raises SIGPIPE, whose default action kills the process without a word
 * (exit 141): one signaling WebSocket, ICE-TCP or TURN-TCP peer that went away at the
 * wrong moment would take every other connection of the process with it (seen: an
 * echo-bot serving a swarm died so in ~1 run in 10). As Node does, SIGPIPE does not
 * kill, so the write fails with EPIPE, which libuv and luv report; a handler the host
 * program set is left alone. A handler that does nothing, not SIG_IGN: exec resets a
 * caught signal to its default but keeps an ignored one ignored, and the programs a
 * script starts with os.execute or io.popen (`yes | head`) must die of SIGPIPE as
 * usual, not get EPIPE and say "Broken pipe" (Node's and Python's children do too). */
static void sigpipe_noop(int sig) { (void)sig; }

static void ignore_sigpipe(void) {
  struct sigaction sa;
  if (sigaction(SIGPIPE, NULL, &sa) != 0 || sa.sa_handler != SIG_DFL) return;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = sigpipe_noop;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGPIPE, &sa, NULL);
}

int luaopen_rtc_core(lua_State *L) {
  module_pin();
  ignore_sigpipe();
  /* The weak object table (created once per state). */
  lua_pushlightuserdata(L, (void *)&rtc_lua_key_objects);
  lua_rawget(L, LUA_REGISTRYINDEX);
  if (lua_isnil(L, -1)) {
    lua_pushlightuserdata(L, (void *)&rtc_lua_key_objects);
    lua_newtable(L);
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "v");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_rawset(L, LUA_REGISTRYINDEX);
  }
  lua_pop(L, 1);
  rtc_lua_box_open(L);
  rtc_lua_pc_open(L);
  rtc_lua_dc_open(L);
  rtc_lua_cert_open(L);
  rtc_lua_media_open(L);
  rtc_lua_tr_open(L);
  rtc_lua_enc_open(L);
  rtc_lua_record_open(L);
  rtc_lua_transport_open(L);
  lua_newtable(L);
  luaL_setfuncs(L, core_funcs, 0);
  rtc_lua_tls_open(L);
  rtc_lua_media_funcs(L);
  rtc_lua_record_funcs(L);
  rtc_lua_tr_funcs(L);
  rtc_lua_transport_funcs(L);
  expose_methods(L, RTC_LUA_PC_MT, "pc_methods");
  expose_methods(L, RTC_LUA_DC_MT, "dc_methods");
  expose_methods(L, RTC_LUA_CERT_MT, "cert_methods");
  return 1;
}
