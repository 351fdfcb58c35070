/* TLS streams for the signaling library (lua/rtc/stream.lua): core.tlsConfig,
 * core.tlsStream, and the two digests the WebSocket handshake needs (core.sha1,
 * core.base64). One to one over runtime/tls; the sockets stay in luv. */
#include <mbedtls/base64.h>
#include <mbedtls/sha1.h>
#include <stdlib.h>
#include <string.h>

#include "base/rtc_err.h"
#include "base/rtc_random.h"
#include "rtc_lua.h"
#include "tls/rtc_tls.h"

#define TLS_CONFIG_MT "rtc.TLSConfig"
#define TLS_STREAM_MT "rtc.TLSStream"

typedef struct {
  rtc_tls_config_t *cfg;
} lua_tls_config_t;
typedef struct {
  rtc_tls_t *t;
} lua_tls_stream_t;

static const char *opt_string(lua_State *L, int idx, const char *key) {
  lua_getfield(L, idx, key);
  const char *s = lua_isnil(L, -1) ? NULL : luaL_checkstring(L, -1);
  lua_pop(L, 1); /* the string stays reachable from the options table */
  return s;
}

/* core.tlsConfig{server=, verify=, cafile=, ca=, cert=, key=} -> config | nil, err */
static int l_config(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  rtc_tls_config_opts_t o = {0};
  lua_getfield(L, 1, "server");
  o.server = lua_toboolean(L, -1);
  lua_getfield(L, 1, "verify");
  o.no_verify = lua_isboolean(L, -1) && !lua_toboolean(L, -1);
  lua_pop(L, 2);
  o.ca_file = opt_string(L, 1, "cafile");
  o.ca_pem = opt_string(L, 1, "ca");
  o.cert_pem = opt_string(L, 1, "cert");
  o.key_pem = opt_string(L, 1, "key");
  lua_tls_config_t *u = lua_newuserdata(L, sizeof *u);
  u->cfg = NULL;
  luaL_getmetatable(L, TLS_CONFIG_MT);
  lua_setmetatable(L, -2);
  char err[200];
  int rc = rtc_tls_config_create(&u->cfg, &o, err, sizeof err);
  if (rc < 0) {
    lua_pushnil(L);
    lua_pushstring(L, err[0] ? err : rtc_strerror(rc));
    return 2;
  }
  return 1;
}

static int l_config_gc(lua_State *L) {
  lua_tls_config_t *u = luaL_checkudata(L, 1, TLS_CONFIG_MT);
  rtc_tls_config_release(u->cfg);
  u->cfg = NULL;
  return 0;
}

/* core.tlsStream(config, hostname) -> stream | nil, err */
static int l_stream(lua_State *L) {
  lua_tls_config_t *c = luaL_checkudata(L, 1, TLS_CONFIG_MT);
  const char *host = luaL_optstring(L, 2, NULL);
  lua_tls_stream_t *u = lua_newuserdata(L, sizeof *u);
  u->t = NULL;
  luaL_getmetatable(L, TLS_STREAM_MT);
  lua_setmetatable(L, -2);
  int rc = rtc_tls_create(&u->t, c->cfg, host);
  if (rc < 0) {
    lua_pushnil(L);
    lua_pushfstring(L, "tls: %s", rtc_strerror(rc));
    return 2;
  }
  return 1;
}

static rtc_tls_t *check_stream(lua_State *L) {
  lua_tls_stream_t *u = luaL_checkudata(L, 1, TLS_STREAM_MT);
  if (!u->t) luaL_argerror(L, 1, "TLS stream is closed");
  return u->t;
}

/* stream:input(bytes) -> plaintext (maybe ""), peer_closed | nil, err */
static int l_input(lua_State *L) {
  rtc_tls_t *t = check_stream(L);
  size_t len;
  const char *p = luaL_checklstring(L, 2, &len);
  int rc = rtc_tls_handle_input(t, (const uint8_t *)p, len);
  if (rc < 0) {
    lua_pushnil(L);
    lua_pushstring(L, rtc_tls_error(t)[0] ? rtc_tls_error(t) : rtc_strerror(rc));
    return 2;
  }
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  while (rtc_tls_pending_plaintext(t)) {
    char *dst = luaL_prepbuffer(&b);
    luaL_addsize(&b, rtc_tls_read(t, (uint8_t *)dst, LUAL_BUFFERSIZE));
  }
  luaL_pushresult(&b);
  lua_pushboolean(L, rtc_tls_peer_closed(t));
  return 2;
}

/* stream:write(plaintext) -> true | nil, err */
static int l_write(lua_State *L) {
  rtc_tls_t *t = check_stream(L);
  size_t len;
  const char *p = luaL_checklstring(L, 2, &len);
  int rc = rtc_tls_write(t, (const uint8_t *)p, len);
  if (rc < 0) {
    lua_pushnil(L);
    lua_pushstring(L, rtc_tls_error(t)[0] ? rtc_tls_error(t) : rtc_strerror(rc));
    return 2;
  }
  lua_pushboolean(L, 1);
  return 1;
}

/* stream:output() -> the bytes to send, or nil */
static int l_output(lua_State *L) {
  rtc_tls_t *t = check_stream(L);
  const uint8_t *p;
  size_t len;
  if (!rtc_tls_poll_transmit(t, &p, &len)) return 0;
  lua_pushlstring(L, (const char *)p, len);
  rtc_tls_consume_transmit(t, len);
  return 1;
}

static int l_established(lua_State *L) {
  lua_pushboolean(L, rtc_tls_is_established(check_stream(L)));
  return 1;
}

static int l_close_notify(lua_State *L) {
  rtc_tls_close(check_stream(L));
  return 0;
}

static int l_stream_gc(lua_State *L) {
  lua_tls_stream_t *u = luaL_checkudata(L, 1, TLS_STREAM_MT);
  rtc_tls_destroy(u->t);
  u->t = NULL;
  return 0;
}

static int l_sha1(lua_State *L) {
  size_t len;
  const char *p = luaL_checklstring(L, 1, &len);
  unsigned char out[20];
  mbedtls_sha1_ret((const unsigned char *)p, len, out);
  lua_pushlstring(L, (const char *)out, sizeof out);
  return 1;
}

static int l_base64(lua_State *L) {
  size_t len, olen = 0;
  const char *p = luaL_checklstring(L, 1, &len);
  size_t cap = 4 * ((len + 2) / 3) + 1;
  rtc_lua_box_t *b = rtc_lua_box_new(L);
  unsigned char *out = malloc(cap);
  if (!out) return luaL_error(L, "out of memory");
  rtc_lua_box_hold(b, out, free);
  mbedtls_base64_encode(out, cap, &olen, (const unsigned char *)p, len);
  lua_pushlstring(L, (const char *)out, olen);
  rtc_lua_box_free(b);
  return 1;
}

/* core.randomBytes(n): n bytes from the kernel (WebSocket keys and masks). */
static int l_random_bytes(lua_State *L) {
  lua_Integer n = luaL_checkinteger(L, 1);
  luaL_argcheck(L, n >= 0 && n <= 4096, 1, "0..4096 expected");
  uint8_t buf[4096];
  rtc_random_bytes(buf, (size_t)n);
  lua_pushlstring(L, (const char *)buf, (size_t)n);
  return 1;
}

static const luaL_Reg stream_methods[] = {
    {"input", l_input},
    {"write", l_write},
    {"output", l_output},
    {"established", l_established},
    {"closeNotify", l_close_notify},
    {NULL, NULL},
};

static const luaL_Reg tls_funcs[] = {
    {"tlsConfig", l_config}, {"tlsStream", l_stream},         {"sha1", l_sha1},
    {"base64", l_base64},    {"randomBytes", l_random_bytes}, {NULL, NULL},
};

/* Adds the functions to the core table at the top of the stack. */
void rtc_lua_tls_open(lua_State *L) {
  luaL_newmetatable(L, TLS_CONFIG_MT);
  lua_pushcfunction(L, l_config_gc);
  lua_setfield(L, -2, "__gc");
  lua_pop(L, 1);
  luaL_newmetatable(L, TLS_STREAM_MT);
  lua_pushcfunction(L, l_stream_gc);
  lua_setfield(L, -2, "__gc");
  lua_newtable(L);
  luaL_setfuncs(L, stream_methods, 0);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
  luaL_setfuncs(L, tls_funcs, 0);
}
