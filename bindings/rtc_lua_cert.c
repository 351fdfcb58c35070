/* RTCCertificate userdata: { rtc_dtls_cert_t *cert; } holding one reference. */
#include <stdlib.h>

#include "base/rtc_err.h"
#include "rtc_lua.h"

rtc_dtls_cert_t *rtc_lua_cert_check(lua_State *L, int idx) {
  rtc_lua_cert_t *c = luaL_checkudata(L, idx, RTC_LUA_CERT_MT);
  if (!c->cert) luaL_argerror(L, idx, "RTCCertificate is destroyed");
  return c->cert;
}

static rtc_lua_cert_t *cert_push(lua_State *L) {
  rtc_lua_cert_t *c = lua_newuserdata(L, sizeof(*c));
  c->cert = NULL;
  luaL_getmetatable(L, RTC_LUA_CERT_MT);
  lua_setmetatable(L, -2);
  lua_newtable(L);
  rtc_lua_setenv(L, -2);
  return c;
}

static int cert_fail(lua_State *L, int r, const char *what) {
  lua_pushnil(L);
  lua_pushfstring(L, "%s: %s", what, rtc_strerror(r));
  lua_pushstring(L, rtc_err_name(r));
  return 3;
}

int rtc_lua_cert_generate(lua_State *L) {
  rtc_lua_cert_t *c = cert_push(L);
  int r = rtc_dtls_cert_generate(&c->cert);
  if (r < 0 || !c->cert) return cert_fail(L, r < 0 ? r : RTC_ECRYPTO, "generateCertificate");
  rtc_lua_live_certs++;
  return 1;
}

int rtc_lua_cert_from_pem(lua_State *L) {
  const char *cert_pem = luaL_checkstring(L, 1);
  const char *key_pem = luaL_checkstring(L, 2);
  rtc_lua_cert_t *c = cert_push(L);
  int r = rtc_dtls_cert_from_pem(cert_pem, key_pem, &c->cert);
  if (r < 0 || !c->cert) return cert_fail(L, r < 0 ? r : RTC_EPARSE, "certificateFromPEM");
  rtc_lua_live_certs++;
  return 1;
}

static int cert_gc(lua_State *L) {
  rtc_lua_cert_t *c = luaL_checkudata(L, 1, RTC_LUA_CERT_MT);
  if (!c->cert) return 0;
  rtc_lua_in_gc++;
  rtc_dtls_cert_unref(c->cert);
  rtc_lua_in_gc--;
  c->cert = NULL;
  rtc_lua_live_certs--;
  return 0;
}

static int cert_tostring(lua_State *L) {
  lua_pushfstring(L, "RTCCertificate: %p", lua_touserdata(L, 1));
  return 1;
}

/* getFingerprints() -> { {algorithm = "sha-256", value = "AB:..."} } */
static int cert_fingerprints(lua_State *L) {
  rtc_dtls_cert_t *c = rtc_lua_cert_check(L, 1);
  lua_createtable(L, 1, 0);
  lua_createtable(L, 0, 2);
  lua_pushliteral(L, "sha-256");
  lua_setfield(L, -2, "algorithm");
  lua_pushstring(L, rtc_dtls_cert_fingerprint(c));
  lua_setfield(L, -2, "value");
  lua_rawseti(L, -2, 1);
  return 1;
}

/* toPEM() -> certPem, keyPem | nil, err */
static int cert_to_pem(lua_State *L) {
  rtc_dtls_cert_t *c = rtc_lua_cert_check(L, 1);
  lua_checkstack(L, 4); /* no allocation failure while holding the malloc'd strings */
  char *cp = NULL, *kp = NULL;
  int r = rtc_dtls_cert_to_pem(c, &cp, &kp);
  if (r < 0) {
    free(cp);
    free(kp);
    return cert_fail(L, r, "toPEM");
  }
  lua_pushstring(L, cp);
  lua_pushstring(L, kp);
  free(cp);
  free(kp);
  return 2;
}

static int g_expires(lua_State *L) {
  rtc_dtls_cert_t *c = rtc_lua_cert_check(L, 1);
  lua_pushnumber(L, (lua_Number)rtc_dtls_cert_expires(c) * 1000.0);
  return 1;
}

static const luaL_Reg cert_methods[] = {
    {"getFingerprints", cert_fingerprints},
    {"toPEM", cert_to_pem},
    {NULL, NULL},
};
static const luaL_Reg cert_getters[] = {
    {"expires", g_expires},
    {NULL, NULL},
};

void rtc_lua_cert_open(lua_State *L) {
  rtc_lua_class(L, RTC_LUA_CERT_MT, cert_methods, cert_getters, NULL, cert_gc, cert_tostring);
}
