/* RTCCertificate userdata: { rtc_dtls_cert_t *cert; } holding one reference. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

/* W3C generateCertificate's keygenAlgorithm (a name or a table): ECDSA P-256
 * (the default) or RSASSA-PKCS1-v1_5 with SHA-256 and the exponent 65537, as in
 * browsers. Anything else is refused. Returns 0 or RTC_ENOTSUP with *why; idx is
 * absolute and the caller restores the stack. */
static int cert_parse_alg(lua_State *L, int idx, rtc_dtls_cert_kind_t *kind, unsigned *bits,
                          const char **why) {
  *kind = RTC_DTLS_CERT_ECDSA_P256;
  *bits = 0;
  if (lua_isnoneornil(L, idx)) return 0;
  const char *name = NULL;
  bool table = lua_istable(L, idx);
  if (table) {
    lua_getfield(L, idx, "name"); /* left on the stack: it keeps name alive */
    name = lua_tostring(L, -1);
  } else {
    name = lua_tostring(L, idx);
  }
  if (!name) {
    *why = "keygenAlgorithm needs a name";
    return RTC_ENOTSUP;
  }
  if (strcasecmp(name, "ECDSA") == 0) {
    const char *curve = NULL;
    if (table) {
      lua_getfield(L, idx, "namedCurve");
      curve = lua_tostring(L, -1);
    }
    if (curve && strcmp(curve, "P-256") != 0) {
      *why = "only the P-256 curve";
      return RTC_ENOTSUP;
    }
    return 0;
  }
  if (strcasecmp(name, "RSASSA-PKCS1-v1_5") != 0) {
    *why = "name must be ECDSA or RSASSA-PKCS1-v1_5";
    return RTC_ENOTSUP;
  }
  *kind = RTC_DTLS_CERT_RSA;
  if (!table) return 0;
  lua_getfield(L, idx, "modulusLength");
  lua_Number n = lua_isnumber(L, -1) ? lua_tonumber(L, -1) : 2048;
  lua_pop(L, 1);
  if (!(n >= 1024 && n <= 4096) || n != (lua_Number)(unsigned)n || (unsigned)n % 2) {
    *why = "modulusLength must be 1024..4096";
    return RTC_ENOTSUP;
  }
  *bits = (unsigned)n;
  /* publicExponent: 65537, "\1\0\1" or {1, 0, 1} (W3C uses a Uint8Array) */
  lua_getfield(L, idx, "publicExponent");
  bool ok = lua_isnil(L, -1);
  if (lua_type(L, -1) == LUA_TNUMBER) {
    ok = lua_tonumber(L, -1) == 65537;
  } else if (lua_type(L, -1) == LUA_TSTRING) {
    size_t len;
    const char *e = lua_tolstring(L, -1, &len);
    ok = len == 3 && memcmp(e, "\1\0\1", 3) == 0;
  } else if (lua_istable(L, -1)) {
    ok = lua_objlen(L, -1) == 3;
    for (int i = 1; ok && i <= 3; i++) {
      lua_rawgeti(L, -1, i);
      ok = lua_tonumber(L, -1) == (i == 2 ? 0 : 1);
      lua_pop(L, 1);
    }
  }
  lua_pop(L, 1);
  if (!ok) {
    *why = "publicExponent must be 65537";
    return RTC_ENOTSUP;
  }
  lua_getfield(L, idx, "hash"); /* "SHA-256" or {name = "SHA-256"} */
  if (lua_istable(L, -1)) lua_getfield(L, -1, "name");
  const char *hash = lua_tostring(L, -1);
  ok = !hash || strcasecmp(hash, "SHA-256") == 0; /* the caller resets the stack */
  if (!ok) {
    *why = "hash must be SHA-256";
    return RTC_ENOTSUP;
  }
  return 0;
}

int rtc_lua_cert_generate(lua_State *L) {
  rtc_dtls_cert_kind_t kind;
  unsigned bits;
  const char *why = NULL;
  int top = lua_gettop(L);
  int r = cert_parse_alg(L, 1, &kind, &bits, &why);
  lua_settop(L, top);
  if (r < 0) {
    lua_pushnil(L);
    lua_pushfstring(L, "generateCertificate: %s", why);
    lua_pushstring(L, rtc_err_name(r));
    return 3;
  }
  rtc_lua_cert_t *c = cert_push(L);
  r = rtc_dtls_cert_generate_kind(kind, bits, &c->cert);
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
  rtc_lua_box_t *cb = rtc_lua_box_new(L), *kb = rtc_lua_box_new(L);
  char *cp = NULL, *kp = NULL;
  int r = rtc_dtls_cert_to_pem(c, &cp, &kp);
  rtc_lua_box_hold(cb, cp, free);
  rtc_lua_box_hold(kb, kp, free);
  if (r < 0) {
    rtc_lua_box_free(cb);
    rtc_lua_box_free(kb);
    return cert_fail(L, r, "toPEM");
  }
  lua_pushstring(L, cp);
  lua_pushstring(L, kp);
  rtc_lua_box_free(cb);
  rtc_lua_box_free(kb);
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
