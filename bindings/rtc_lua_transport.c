/* The transports under a pc (W3C RTCIceTransport, RTCDtlsTransport, RTCSctpTransport):
 * raw pc methods that lua/rtc/transport.lua turns into the W3C objects, and the
 * dispatch of their events to its handler, in their place among the pc's events. */
#include <math.h>
#include <string.h>

#include "ice/rtc_ice_agent.h"
#include "ice/rtc_ice_candidate.h"
#include "rtc_lua.h"

static const char key_transport_handler = 0;

static rtc_pc_t *tp_pc(lua_State *L) {
  rtc_lua_pc_t *p = luaL_checkudata(L, 1, RTC_LUA_PC_MT);
  return p->peer ? rtc_io_peer_pc(p->peer) : NULL;
}

/* _iceInfo() -> role, state, gatheringState, localUfrag, localPwd, remoteUfrag|nil,
 * remotePwd|nil (nothing once the pc is destroyed). */
static int pc_ice_info(lua_State *L) {
  rtc_pc_t *pc = tp_pc(L);
  if (!pc) return 0;
  const rtc_ice_agent_t *ice = rtc_pc_ice_agent(pc);
  lua_pushstring(L, rtc_ice_agent_is_controlling(ice) ? "controlling" : "controlled");
  lua_pushstring(L, rtc_lua_ice_names[rtc_pc_ice_connection_state(pc)]);
  lua_pushstring(L, rtc_lua_gathering_names[rtc_pc_gathering_state(pc)]);
  lua_pushstring(L, rtc_ice_agent_local_ufrag(ice));
  lua_pushstring(L, rtc_ice_agent_local_pwd(ice));
  const char *ru = rtc_ice_agent_remote_ufrag(ice), *rp = rtc_ice_agent_remote_pwd(ice);
  if (ru) lua_pushstring(L, ru); else lua_pushnil(L);
  if (rp) lua_pushstring(L, rp); else lua_pushnil(L);
  return 7;
}

static void push_agent_candidate(lua_State *L, const rtc_ice_agent_t *ice, bool remote, size_t i) {
  rtc_ice_candidate_t c;
  char line[512];
  if (!rtc_ice_agent_candidate(ice, remote, i, &c) ||
      rtc_ice_candidate_format(&c, true, line, sizeof line) < 0)
    lua_pushnil(L);
  else
    lua_pushstring(L, line);
}

/* _candidates(remote) -> { "candidate:...", ... }, mid, mlineIndex: ours as signalled
 * (the live ICE generation), or the peer's the agent knows (peer-reflexive ones too). */
static int pc_candidates(lua_State *L) {
  rtc_pc_t *pc = tp_pc(L);
  bool remote = lua_toboolean(L, 2);
  lua_newtable(L);
  if (!pc) return 1;
  if (remote) {
    const rtc_ice_agent_t *ice = rtc_pc_ice_agent(pc);
    size_t n = rtc_ice_agent_n_candidates(ice, true);
    for (size_t i = 0; i < n; i++) {
      push_agent_candidate(L, ice, true, i);
      lua_rawseti(L, -2, (int)i + 1);
    }
  } else {
    const char *const *texts;
    size_t n = rtc_pc_local_candidates(pc, &texts);
    for (size_t i = 0; i < n; i++) {
      lua_pushfstring(L, "candidate:%s", texts[i]);
      lua_rawseti(L, -2, (int)i + 1);
    }
  }
  int mline;
  const char *mid = rtc_pc_transport_mid(pc, &mline);
  if (mid) lua_pushstring(L, mid); else lua_pushnil(L);
  if (mline >= 0) lua_pushinteger(L, mline); else lua_pushnil(L);
  return 3;
}

/* _selectedPair() -> local "candidate:...", remote "candidate:..." | nothing */
static int pc_selected_pair(lua_State *L) {
  rtc_pc_t *pc = tp_pc(L);
  if (!pc) return 0;
  const rtc_ice_agent_t *ice = rtc_pc_ice_agent(pc);
  size_t n = rtc_ice_agent_n_pairs(ice);
  for (size_t i = 0; i < n; i++) {
    rtc_ice_pair_info_t pi;
    if (!rtc_ice_agent_pair_info(ice, i, &pi) || !pi.selected) continue;
    push_agent_candidate(L, ice, false, pi.local);
    push_agent_candidate(L, ice, true, pi.remote);
    return 2;
  }
  return 0;
}

static const char *const dtls_names[] = {"new", "connecting", "connected", "closed", "failed"};
static const char *const sctp_names[] = {"connecting", "connected", "closed"};

/* _dtlsState() -> state */
static int pc_dtls_state(lua_State *L) {
  rtc_pc_t *pc = tp_pc(L);
  lua_pushstring(L, dtls_names[pc ? rtc_pc_dtls_transport_state(pc) : 3 /* closed */]);
  return 1;
}

/* _remoteCertificate() -> DER string | nil */
static int pc_remote_certificate(lua_State *L) {
  rtc_pc_t *pc = tp_pc(L);
  const uint8_t *der;
  size_t len;
  if (!pc || !rtc_pc_remote_certificate(pc, &der, &len)) return lua_pushnil(L), 1;
  lua_pushlstring(L, (const char *)der, len);
  return 1;
}

/* _sctpInfo() -> nil (no SCTP transport) | state, maxMessageSize, maxChannels|nil */
static int pc_sctp_info(lua_State *L) {
  rtc_pc_t *pc = tp_pc(L);
  rtc_pc_sctp_info_t si;
  if (!pc) return lua_pushnil(L), 1;
  rtc_pc_sctp_info(pc, &si);
  if (!si.exists) return lua_pushnil(L), 1;
  lua_pushstring(L, sctp_names[si.state]);
  /* 0: neither side limits the size (W3C: +Infinity) */
  lua_pushnumber(L, si.max_message_size ? (double)si.max_message_size : HUGE_VAL);
  if (si.max_channels >= 0) lua_pushinteger(L, si.max_channels); else lua_pushnil(L);
  return 3;
}

/* core.setTransportHandler(fn(pc, what, detail [, received_alert, sent_alert])) */
static int m_set_transport_handler(lua_State *L) {
  if (!lua_isnoneornil(L, 1)) luaL_checktype(L, 1, LUA_TFUNCTION);
  lua_settop(L, 1);
  lua_pushlightuserdata(L, (void *)&key_transport_handler);
  lua_insert(L, 1);
  lua_rawset(L, LUA_REGISTRYINDEX);
  return 0;
}

bool rtc_lua_transport_event(lua_State *L, int pci, const rtc_pc_event_t *ev) {
  const char *what;
  switch (ev->type) {
  case RTC_PC_EVENT_ICE_CONNECTION_STATE: what = "icestatechange"; break;
  case RTC_PC_EVENT_ICE_GATHERING_STATE: what = "icegatheringstatechange"; break;
  case RTC_PC_EVENT_SELECTED_PAIR: what = "selectedcandidatepairchange"; break;
  case RTC_PC_EVENT_DTLS_STATE: what = "dtlsstatechange"; break;
  case RTC_PC_EVENT_DTLS_ERROR: what = "dtlserror"; break;
  case RTC_PC_EVENT_SCTP_STATE: what = "sctpstatechange"; break;
  default: return false;
  }
  lua_pushlightuserdata(L, (void *)&key_transport_handler);
  lua_rawget(L, LUA_REGISTRYINDEX);
  if (!lua_isfunction(L, -1)) {
    lua_pop(L, 1);
    return true;
  }
  lua_pushvalue(L, pci);
  lua_pushstring(L, what);
  if (ev->text)
    lua_pushstring(L, ev->text);
  else
    lua_pushnil(L);
  int nargs = 3;
  if (ev->type == RTC_PC_EVENT_DTLS_ERROR) { /* the alerts, nil when none */
    if (ev->alert_received >= 0)
      lua_pushinteger(L, ev->alert_received);
    else
      lua_pushnil(L);
    if (ev->alert_sent >= 0)
      lua_pushinteger(L, ev->alert_sent);
    else
      lua_pushnil(L);
    nargs = 5;
  }
  rtc_lua_pcall(L, nargs);
  return true;
}

void rtc_lua_transport_open(lua_State *L) {
  static const luaL_Reg methods[] = {
      {"_iceInfo", pc_ice_info},
      {"_candidates", pc_candidates},
      {"_selectedPair", pc_selected_pair},
      {"_dtlsState", pc_dtls_state},
      {"_remoteCertificate", pc_remote_certificate},
      {"_sctpInfo", pc_sctp_info},
      {NULL, NULL},
  };
  luaL_getmetatable(L, RTC_LUA_PC_MT);
  lua_getfield(L, -1, "methods");
  for (const luaL_Reg *r = methods; r->name; r++) {
    lua_pushcfunction(L, r->func);
    lua_setfield(L, -2, r->name);
  }
  lua_pop(L, 2);
}

void rtc_lua_transport_funcs(lua_State *L) {
  lua_pushcfunction(L, m_set_transport_handler);
  lua_setfield(L, -2, "setTransportHandler");
  /* The pc's attribute getters: lua/rtc adds pc.sctp there. */
  luaL_getmetatable(L, RTC_LUA_PC_MT);
  lua_getfield(L, -1, "getters");
  lua_setfield(L, -3, "pc_getters");
  lua_pop(L, 1);
}
