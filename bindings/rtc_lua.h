/* Internal interface between the binding files (not a public header).
 *
 * Objects: each userdata holds pointers to C objects and has an environment table
 * (handlers and script fields). A weak-valued registry table maps the C block
 * (lightuserdata) back to its Lua object, for event dispatch. */
#ifndef RTC_LUA_H
#define RTC_LUA_H
#include <stdbool.h>

#include "io/rtc_io.h"
#include "pc/rtc_pc.h"
#include "rtc_lua_compat.h"

#define RTC_LUA_PC_MT "rtc.RTCPeerConnection"
#define RTC_LUA_DC_MT "rtc.RTCDataChannel"
#define RTC_LUA_CERT_MT "rtc.RTCCertificate"

typedef struct rtc_lua_pc {
  rtc_io_peer_t *peer; /* NULL once destroyed (__gc) */
  int self_ref;        /* keeps the object alive while open; LUA_NOREF after */
  lua_State *L;        /* the main thread: where loop callbacks run */
  bool closed;         /* close() called */
} rtc_lua_pc_t;

typedef struct rtc_lua_dc {
  rtc_dc_t *dc;     /* one reference; NULL once collected */
  rtc_lua_pc_t *pc; /* its pc object, kept alive through the channel's env table */
} rtc_lua_dc_t;

typedef struct rtc_lua_cert {
  rtc_dtls_cert_t *cert;
} rtc_lua_cert_t;

/* Registry keys (their addresses are the keys). */
extern const char rtc_lua_key_objects; /* weak-valued C block -> object */
extern const char rtc_lua_key_reporter;
extern const char rtc_lua_key_results; /* fn(pc, token) of lua/rtc: an operation's result */
/* Keys inside a pc/dc environment table (lightuserdata: unreachable from scripts). */
extern const char rtc_lua_key_channels; /* pc env: {channel object = true} until closed */
extern const char rtc_lua_key_owner;    /* dc env: the pc object; pc env: the certificate */

/* Live object counters (core.debugCounts()). */
extern int rtc_lua_live_pcs, rtc_lua_live_dcs, rtc_lua_live_certs;
/* > 0 while a __gc runs: the log sink then calls no Lua (__gc never runs callbacks). */
extern int rtc_lua_in_gc;
/* Hands queued log lines to the Lua log handler; call only from a safe point. */
void rtc_lua_log_flush(void);

/* Module helpers (rtc_lua_module.c). */
void rtc_lua_class(lua_State *L, const char *mt, const luaL_Reg *methods, const luaL_Reg *getters,
                   const luaL_Reg *setters, lua_CFunction gc, lua_CFunction tostring);
void rtc_lua_obj_register(lua_State *L, void *key, int idx);
void rtc_lua_obj_push(lua_State *L, void *key); /* the object or nil */
int rtc_lua_traceback(lua_State *L);
/* Calls the function below nargs arguments under pcall with a traceback; an error is
 * reported. Pops function and arguments. Returns the pcall status. */
int rtc_lua_pcall(lua_State *L, int nargs);
void rtc_lua_report(lua_State *L, int idx);
uv_loop_t *rtc_lua_loop(lua_State *L, lua_State **main_L);

/* rtc_lua_box.c: a box owns one C resource across Lua allocations (which may raise
 * on out of memory); make it (it is pushed) before acquiring the resource, hold the
 * resource in it, then take it back or free it once no allocation is left. */
typedef struct rtc_lua_box {
  void *p;
  void (*release)(void *);
} rtc_lua_box_t;
void rtc_lua_box_open(lua_State *L);
rtc_lua_box_t *rtc_lua_box_new(lua_State *L);
void rtc_lua_box_hold(rtc_lua_box_t *b, void *p, void (*release)(void *));
void *rtc_lua_box_take(rtc_lua_box_t *b); /* the resource, no longer the box's */
void rtc_lua_box_free(rtc_lua_box_t *b);  /* releases it now */

/* rtc_lua_pc.c */
void rtc_lua_pc_open(lua_State *L);
int rtc_lua_pc_new(lua_State *L);
void rtc_lua_pc_release(lua_State *L, rtc_lua_pc_t *p);

/* rtc_lua_dc.c */
void rtc_lua_dc_open(lua_State *L);
/* Pushes a new object for the dc in box b (takes over its reference) owned by the pc
 * object at pci; until then the box keeps it, should an allocation raise. */
void rtc_lua_dc_push_new(lua_State *L, rtc_lua_box_t *b, int pci);
void rtc_lua_dc_unref(void *dc); /* a box's release */

/* rtc_lua_cert.c */
void rtc_lua_cert_open(lua_State *L);
int rtc_lua_cert_generate(lua_State *L);
int rtc_lua_cert_from_pem(lua_State *L);
rtc_dtls_cert_t *rtc_lua_cert_check(lua_State *L, int idx);

/* rtc_lua_tls.c: adds tlsConfig, tlsStream, sha1, base64 to the core table on top. */
void rtc_lua_tls_open(lua_State *L);

/* rtc_lua_events.c */
void rtc_lua_events_cb(rtc_io_peer_t *peer, void *ud);
extern const char rtc_lua_key_listeners; /* env: { [type] = { {fn = f}, ... } } */
int rtc_lua_add_listener(lua_State *L);    /* obj:addEventListener(type, fn) */
int rtc_lua_remove_listener(lua_State *L); /* obj:removeEventListener(type, fn) */

/* rtc_lua_transport.c: the transports' raw pc methods and core.setTransportHandler */
void rtc_lua_transport_open(lua_State *L);
void rtc_lua_transport_funcs(lua_State *L); /* into the table on top */
/* Hands a transport event (or the transport's part of a pc state event) to the
 * handler; false when ev is none of theirs. */
bool rtc_lua_transport_event(lua_State *L, int pci, const rtc_pc_event_t *ev);

/* The W3C names of the C enums. */
extern const char *const rtc_lua_signaling_names[];
extern const char *const rtc_lua_gathering_names[];
extern const char *const rtc_lua_ice_names[];
extern const char *const rtc_lua_connection_names[];
extern const char *const rtc_lua_dc_state_names[];
extern const char *const rtc_lua_sdp_type_names[];

#endif
