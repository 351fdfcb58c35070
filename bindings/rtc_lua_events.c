/* Event delivery: the io peer calls rtc_lua_events_cb from a fresh loop callback
 * when the pc has events; we drain rtc_pc_poll_event and call each handler with an
 * event table. Everything borrowed from the event is copied into Lua values before
 * any handler runs (a handler may call back into the pc, even close() it). */
#include <string.h>

#include "rtc_lua.h"
#include "rtc_lua_media.h"

/* "ufrag X" in a candidate line (RFC 8839 extension attribute), or NULL. */
static void push_ufrag(lua_State *L, const char *cand) {
  const char *s = cand;
  while ((s = strstr(s, " ufrag ")) != NULL) {
    s += 7;
    size_t n = strcspn(s, " ");
    if (n > 0) {
      lua_pushlstring(L, s, n);
      return;
    }
  }
  lua_pushnil(L);
}

static void push_candidate(lua_State *L, const rtc_pc_event_t *ev) {
  lua_createtable(L, 0, 4);
  lua_pushstring(L, ev->candidate);
  lua_setfield(L, -2, "candidate");
  if (ev->mid) {
    lua_pushstring(L, ev->mid);
    lua_setfield(L, -2, "sdpMid");
  }
  if (ev->mline_index >= 0) {
    lua_pushinteger(L, ev->mline_index);
    lua_setfield(L, -2, "sdpMLineIndex");
  }
  push_ufrag(L, ev->candidate);
  lua_setfield(L, -2, "usernameFragment");
}

/* Removes the strong reference the pc (at pci) holds on the channel (at di). */
static void drop_channel(lua_State *L, int pci, int di) {
  rtc_lua_getenv(L, pci);
  lua_pushlightuserdata(L, (void *)&rtc_lua_key_channels);
  lua_rawget(L, -2);
  if (lua_istable(L, -1)) {
    lua_pushvalue(L, di);
    lua_pushnil(L);
    lua_rawset(L, -3);
  }
  lua_pop(L, 2);
}

/* Event type and handler name, indexed by rtc_pc_event_type_t. */
static const struct {
  const char *type, *handler;
  bool dc; /* delivered to the channel object */
} ev_names[] = {
    [RTC_PC_EVENT_ICE_CANDIDATE] = {"icecandidate", "onicecandidate", false},
    [RTC_PC_EVENT_ICE_CANDIDATE_ERROR] = {"icecandidateerror", "onicecandidateerror", false},
    [RTC_PC_EVENT_ICE_GATHERING_STATE] = {"icegatheringstatechange", "onicegatheringstatechange",
                                          false},
    [RTC_PC_EVENT_ICE_CONNECTION_STATE] = {"iceconnectionstatechange", "oniceconnectionstatechange",
                                           false},
    [RTC_PC_EVENT_CONNECTION_STATE] = {"connectionstatechange", "onconnectionstatechange", false},
    [RTC_PC_EVENT_SIGNALING_STATE] = {"signalingstatechange", "onsignalingstatechange", false},
    [RTC_PC_EVENT_NEGOTIATION_NEEDED] = {"negotiationneeded", "onnegotiationneeded", false},
    [RTC_PC_EVENT_DATACHANNEL] = {"datachannel", "ondatachannel", false},
    [RTC_PC_EVENT_DC_OPEN] = {"open", "onopen", true},
    [RTC_PC_EVENT_DC_MESSAGE] = {"message", "onmessage", true},
    [RTC_PC_EVENT_DC_BUFFERED_AMOUNT_LOW] = {"bufferedamountlow", "onbufferedamountlow", true},
    [RTC_PC_EVENT_DC_ERROR] = {"error", "onerror", true},
    [RTC_PC_EVENT_DC_CLOSING] = {"closing", "onclosing", true},
    [RTC_PC_EVENT_DC_CLOSE] = {"close", "onclose", true},
    [RTC_PC_EVENT_TRACK] = {"track", "ontrack", false},
};

/* Dispatches one event; the stack above pci is scratch. A new channel's reference is
 * in box b. */
static void dispatch(lua_State *L, int pci, const rtc_pc_event_t *ev, rtc_lua_box_t *b) {
  if (ev->type == RTC_PC_EVENT_RESULT) { /* a callback or a waiting coroutine: lua/rtc */
    lua_pushlightuserdata(L, (void *)&rtc_lua_key_results);
    lua_rawget(L, LUA_REGISTRYINDEX);
    if (!lua_isfunction(L, -1)) return;
    lua_pushvalue(L, pci);
    lua_pushinteger(L, ev->state);
    rtc_lua_pcall(L, 2);
    return;
  }
  if (rtc_lua_tr_event(L, pci, ev)) return; /* frames, keyframe requests, mute, ended */
  /* The transports' events; an ICE state change fires on the ICE transport first, then
   * on the pc (W3C: the transport's statechange, then the pc's aggregate), unless the
   * transport's handler closed the pc: a closed pc fires nothing more. */
  if (rtc_lua_transport_event(L, pci, ev)) {
    const rtc_lua_pc_t *p = lua_touserdata(L, pci);
    if ((ev->type != RTC_PC_EVENT_ICE_CONNECTION_STATE &&
         ev->type != RTC_PC_EVENT_ICE_GATHERING_STATE) ||
        !p->peer || p->closed)
      return;
  }
  lua_settop(L, pci + 1);
  if ((unsigned)ev->type >= sizeof(ev_names) / sizeof(ev_names[0]) || !ev_names[ev->type].type)
    return;
  const char *type = ev_names[ev->type].type;
  bool is_dc = ev_names[ev->type].dc;
  int target = pci;
  if (ev->type == RTC_PC_EVENT_DATACHANNEL)
    rtc_lua_dc_push_new(L, b, pci); /* takes the reference */
  int chan = 0;
  if (ev->type == RTC_PC_EVENT_DATACHANNEL) chan = lua_gettop(L);
  if (is_dc) {
    void *ud = ev->dc ? rtc_dc_get_userdata(ev->dc) : NULL;
    if (!ud) return;
    rtc_lua_obj_push(L, ud);
    if (lua_isnil(L, -1)) return;
    target = lua_gettop(L);
  }
  /* The handler env["on" .. type], then the listeners env[listeners][type] (a list
   * replaced, never changed, on add/remove: this snapshot is what this event sees). */
  rtc_lua_getenv(L, target);
  int env = lua_gettop(L);
  lua_pushstring(L, ev_names[ev->type].handler);
  lua_rawget(L, env); /* handler: env + 1 */
  lua_pushlightuserdata(L, (void *)&rtc_lua_key_listeners);
  lua_rawget(L, env);
  if (lua_istable(L, -1)) {
    lua_getfield(L, -1, type);
    lua_remove(L, -2);
  }
  int list = lua_gettop(L); /* listeners: a list or nil */
  int n = lua_istable(L, list) ? (int)lua_objlen(L, list) : 0;
  if (lua_isfunction(L, env + 1) || n > 0) {
    lua_createtable(L, 0, 4);
    int evt = lua_gettop(L);
    lua_pushstring(L, type);
    lua_setfield(L, -2, "type");
    lua_pushvalue(L, target);
    lua_setfield(L, -2, "target");
    switch (ev->type) {
    case RTC_PC_EVENT_ICE_CANDIDATE:
      if (ev->candidate && *ev->candidate) {
        push_candidate(L, ev);
        lua_setfield(L, -2, "candidate");
      }
      break;
    case RTC_PC_EVENT_ICE_CANDIDATE_ERROR:
      lua_pushstring(L, ev->text ? ev->text : "");
      lua_setfield(L, -2, "errorText");
      lua_pushinteger(L, ev->error_code ? ev->error_code : 701); /* W3C: 701 = no answer */
      lua_setfield(L, -2, "errorCode");
      lua_pushstring(L, ev->url ? ev->url : "");
      lua_setfield(L, -2, "url");
      if (ev->address) {
        lua_pushstring(L, ev->address);
        lua_setfield(L, -2, "address");
        lua_pushinteger(L, ev->port);
        lua_setfield(L, -2, "port");
      }
      break;
    case RTC_PC_EVENT_DATACHANNEL:
      lua_pushvalue(L, chan);
      lua_setfield(L, -2, "channel");
      break;
    case RTC_PC_EVENT_DC_MESSAGE:
      lua_pushlstring(L, (const char *)ev->data, ev->len);
      lua_setfield(L, -2, "data");
      lua_pushboolean(L, ev->binary);
      lua_setfield(L, -2, "binary");
      break;
    case RTC_PC_EVENT_TRACK: rtc_lua_tr_fill_track_event(L, pci, ev, evt); break;
    case RTC_PC_EVENT_DC_ERROR:
      lua_pushstring(L, ev->text ? ev->text : "error");
      lua_setfield(L, -2, "error");
      break;
    default: break;
    }
    if (lua_isfunction(L, env + 1)) {
      lua_pushvalue(L, env + 1);
      lua_pushvalue(L, evt);
      rtc_lua_pcall(L, 1);
    }
    for (int i = 1; i <= n; i++) {
      lua_rawgeti(L, list, i);
      lua_getfield(L, -1, "removed"); /* removed by an earlier listener of this event */
      bool removed = lua_toboolean(L, -1);
      lua_pop(L, 1);
      lua_getfield(L, -1, "fn");
      lua_remove(L, -2);
      if (removed || !lua_isfunction(L, -1)) {
        lua_pop(L, 1);
        continue;
      }
      lua_pushvalue(L, evt);
      rtc_lua_pcall(L, 1);
    }
  }
  if (ev->type == RTC_PC_EVENT_DC_CLOSE) drop_channel(L, pci, target);
}

const char rtc_lua_key_listeners;

/* Finds env[listeners][type] for the object at 1 (creating the table when create);
 * leaves the listeners table and the list (or nil) on the stack. */
static void listeners_get(lua_State *L, const char *type) {
  rtc_lua_getenv(L, 1);
  luaL_argcheck(L, lua_istable(L, -1), 1, "RTCPeerConnection or RTCDataChannel expected");
  lua_pushlightuserdata(L, (void *)&rtc_lua_key_listeners);
  lua_rawget(L, -2);
  if (!lua_istable(L, -1)) {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushlightuserdata(L, (void *)&rtc_lua_key_listeners);
    lua_pushvalue(L, -2);
    lua_rawset(L, -4);
  }
  lua_remove(L, -2);
  lua_getfield(L, -1, type);
}

/* obj:addEventListener(type, fn): fn(ev) runs after the on<type> handler, in the
 * order added; adding the same fn twice for a type adds it once (DOM). */
int rtc_lua_add_listener(lua_State *L) {
  const char *type = luaL_checkstring(L, 2);
  luaL_checktype(L, 3, LUA_TFUNCTION);
  lua_settop(L, 3);
  listeners_get(L, type); /* 4 listeners, 5 list */
  int n = lua_istable(L, 5) ? (int)lua_objlen(L, 5) : 0;
  lua_createtable(L, n + 1, 0); /* 6: the new list */
  for (int i = 1; i <= n; i++) {
    lua_rawgeti(L, 5, i);
    lua_getfield(L, -1, "fn");
    if (lua_rawequal(L, -1, 3)) return 0;
    lua_pop(L, 1);
    lua_rawseti(L, 6, i);
  }
  lua_createtable(L, 0, 1);
  lua_pushvalue(L, 3);
  lua_setfield(L, -2, "fn");
  lua_rawseti(L, 6, n + 1);
  lua_setfield(L, 4, type);
  return 0;
}

/* obj:removeEventListener(type, fn): it is not called again, even for the event
 * being dispatched now. */
int rtc_lua_remove_listener(lua_State *L) {
  const char *type = luaL_checkstring(L, 2);
  lua_settop(L, 3);
  listeners_get(L, type); /* 4 listeners, 5 list */
  if (!lua_istable(L, 5)) return 0;
  int n = (int)lua_objlen(L, 5), k = 0;
  lua_createtable(L, n, 0); /* 6 */
  for (int i = 1; i <= n; i++) {
    lua_rawgeti(L, 5, i);
    lua_getfield(L, -1, "fn");
    bool same = lua_rawequal(L, -1, 3);
    lua_pop(L, 1);
    if (same) {
      lua_pushboolean(L, 1);
      lua_setfield(L, -2, "removed");
      lua_pop(L, 1);
    } else {
      lua_rawseti(L, 6, ++k);
    }
  }
  if (k == 0) { /* no listener left for the type */
    lua_pushnil(L);
    lua_replace(L, 6);
  }
  lua_setfield(L, 4, type);
  return 0;
}

/* Runs under lua_cpcall: building an event table may raise (out of memory), and a
 * raise must not unwind through libuv. */
static int events_drain(lua_State *L) {
  rtc_lua_pc_t *p = lua_touserdata(L, 1);
  if (!p->peer || !lua_checkstack(L, 24)) return 0;
  rtc_pc_t *pc = rtc_io_peer_pc(p->peer);
  rtc_pc_event_t ev;
  rtc_lua_obj_push(L, p);
  if (lua_isnil(L, -1)) {
    /* The object is unreachable and waits for __gc: drop what is queued. */
    while (rtc_pc_poll_event(pc, &ev))
      if (ev.type == RTC_PC_EVENT_DATACHANNEL) rtc_dc_unref(ev.dc);
    return 0;
  }
  int pci = lua_gettop(L);
  rtc_lua_box_t *b = rtc_lua_box_new(L); /* made before an event hands us a reference */
  while (p->peer && rtc_pc_poll_event(pc, &ev)) {
    if (ev.type == RTC_PC_EVENT_DATACHANNEL) rtc_lua_box_hold(b, ev.dc, rtc_lua_dc_unref);
    dispatch(L, pci, &ev, b);
    rtc_lua_box_free(b); /* a channel with no object (none made) */
    lua_settop(L, pci + 1);
  }
  if (p->peer && (rtc_pc_signaling_state(pc) == RTC_SIGNALING_CLOSED ||
                  rtc_pc_connection_state(pc) == RTC_CONNECTION_CLOSED))
    rtc_lua_pc_release(L, p);
  return 0;
}

void rtc_lua_events_cb(rtc_io_peer_t *peer, void *ud) {
  rtc_lua_pc_t *p = ud;
  lua_State *L = p->L;
  int top = lua_gettop(L);
  if (lua_cpcall(L, events_drain, p) != 0) rtc_lua_report(L, -1);
  lua_settop(L, top);
  rtc_lua_log_flush();
}
