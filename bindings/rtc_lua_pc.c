/* RTCPeerConnection userdata: { rtc_io_peer_t *peer; int self_ref; }.
 * Methods are the plain C calls (lua/rtc wraps them into W3C shapes and the callback
 * form); after every call that may change state the io peer is kicked so that it
 * sends, re-arms its timer and schedules event delivery. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rtc_err.h"
#include "ice/rtc_ice_agent.h"
#include "ice/rtc_ice_candidate.h"
#include "rtc_lua.h"
#include "rtc_lua_media.h"

#define PC_MAX_GATHER 32
#define PC_MAX_ICE_URLS 32 /* the core takes fewer (RTC_TURN_MAX_SERVERS) and says so */

static rtc_lua_pc_t *pc_check(lua_State *L, int idx) {
  rtc_lua_pc_t *p = luaL_checkudata(L, idx, RTC_LUA_PC_MT);
  if (!p->peer) luaL_argerror(L, idx, "RTCPeerConnection is destroyed");
  return p;
}

static rtc_pc_t *pc_of(rtc_lua_pc_t *p) { return rtc_io_peer_pc(p->peer); }

static int pc_fail(lua_State *L, rtc_lua_pc_t *p, int err) {
  const char *msg = rtc_pc_error(pc_of(p));
  lua_pushnil(L);
  if (msg && *msg)
    lua_pushstring(L, msg);
  else
    lua_pushstring(L, rtc_strerror(err));
  lua_pushstring(L, rtc_err_name(err));
  return 3;
}

/* Releases the self reference: the object lives on only while the script holds it. */
void rtc_lua_pc_release(lua_State *L, rtc_lua_pc_t *p) {
  if (p->self_ref == LUA_NOREF) return;
  luaL_unref(L, LUA_REGISTRYINDEX, p->self_ref);
  p->self_ref = LUA_NOREF;
}

static int opt_field_int(lua_State *L, int t, const char *k, int def) {
  lua_getfield(L, t, k);
  int v = lua_isnil(L, -1) ? def : (int)luaL_checkinteger(L, -1);
  lua_pop(L, 1);
  return v;
}

/* W3C RTCIceServer list -> one rtc_pc_ice_server_t per URL. The strings stay
 * referenced by the table at index t. Raises on a malformed entry. */
static size_t pc_parse_ice_servers(lua_State *L, int t, rtc_pc_ice_server_t *out) {
  size_t n = 0;
  luaL_argcheck(L, lua_istable(L, t), 1, "iceServers must be a list of RTCIceServer tables");
  size_t ns = lua_objlen(L, t);
  for (size_t i = 1; i <= ns; i++) {
    lua_rawgeti(L, t, (int)i);
    int s = lua_gettop(L);
    luaL_argcheck(L, lua_istable(L, s), 1, "iceServers entries must be tables");
    lua_getfield(L, s, "username");
    lua_getfield(L, s, "credential");
    const char *user = lua_isnil(L, -2) ? NULL : luaL_checkstring(L, -2);
    const char *cred = lua_isnil(L, -1) ? NULL : luaL_checkstring(L, -1);
    lua_getfield(L, s, "urls");
    if (lua_isnil(L, -1)) {
      lua_pop(L, 1);
      lua_getfield(L, s, "url"); /* the deprecated singular form */
    }
    int u = lua_gettop(L);
    size_t nu = lua_istable(L, u) ? lua_objlen(L, u) : 1;
    luaL_argcheck(L, lua_istable(L, u) || lua_type(L, u) == LUA_TSTRING, 1,
                  "iceServers: urls must be a string or a list of strings");
    for (size_t k = 1; k <= nu; k++) {
      if (lua_istable(L, u))
        lua_rawgeti(L, u, (int)k);
      else
        lua_pushvalue(L, u);
      luaL_argcheck(L, lua_type(L, -1) == LUA_TSTRING, 1, "iceServers: urls must hold strings");
      luaL_argcheck(L, n < PC_MAX_ICE_URLS, 1, "too many iceServers URLs");
      out[n].url = lua_tostring(L, -1);
      out[n].username = user;
      out[n].credential = cred;
      n++;
      lua_pop(L, 1); /* still referenced by the urls table or the server table */
    }
    lua_settop(L, s - 1); /* the strings live in the server table, itself in t */
  }
  return n;
}

/* core.RTCPeerConnection(cfg): cfg is already normalized by lua/rtc:
 * { certificate = cert|nil, iceTransportPolicy = "all"|"relay",
 *   bundlePolicy = "balanced"|"max-compat"|"max-bundle", gatherAddresses = {...},
 *   portMin = n, portMax = n, maxMessageSize = n, maxSdpSize = n, maxChannels = n,
 *   maxRemoteCandidates = n, maxBufferedAmount = n, maxReceiveBuffer = n, turnCaFile = "path",
 *   iceTcp = bool (default true), udpMux = bool|port (default false),
 *   mdnsHostCandidates = bool (default false),
 *   receiveSimulcast = bool (default true),
 *   iceServers = { {urls = "url" | {"url", ...}, username = s, credential = s}, ... } } */
int rtc_lua_pc_new(lua_State *L) {
  static const char *const policies[] = {"all", "relay", NULL};
  static const char *const bundles[] = {"balanced", "max-compat", "max-bundle", NULL};
  const char *gather[PC_MAX_GATHER];
  rtc_pc_config_t cfg;
  memset(&cfg, 0, sizeof(cfg));
  if (lua_isnoneornil(L, 1)) {
    lua_settop(L, 0);
    lua_newtable(L);
  }
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  lua_State *main_L;
  uv_loop_t *loop = rtc_lua_loop(L, &main_L);

  lua_getfield(L, 1, "certificate"); /* 2 */
  if (!lua_isnil(L, 2)) cfg.cert = rtc_lua_cert_check(L, 2);
  lua_getfield(L, 1, "iceTransportPolicy");
  cfg.ice_transport_relay = luaL_checkoption(L, -1, "all", policies) == 1;
  lua_pop(L, 1);
  lua_getfield(L, 1, "bundlePolicy");
  cfg.bundle_policy = luaL_checkoption(L, -1, "balanced", bundles);
  lua_pop(L, 1);
  lua_getfield(L, 1, "gatherAddresses"); /* 3: keeps the strings alive */
  if (!lua_isnil(L, 3)) {
    luaL_argcheck(L, lua_istable(L, 3), 1, "gatherAddresses must be a list of addresses");
    size_t n = lua_objlen(L, 3);
    luaL_argcheck(L, n <= PC_MAX_GATHER, 1, "too many gatherAddresses");
    for (size_t i = 0; i < n; i++) {
      lua_rawgeti(L, 3, (int)i + 1);
      luaL_argcheck(L, lua_type(L, -1) == LUA_TSTRING, 1, "gatherAddresses must hold strings");
      gather[i] = lua_tostring(L, -1);
      lua_pop(L, 1); /* still referenced by the table */
    }
    cfg.gather_addresses = gather;
    cfg.n_gather_addresses = n;
  }
  int pmin = opt_field_int(L, 1, "portMin", 0), pmax = opt_field_int(L, 1, "portMax", 0);
  luaL_argcheck(L, pmin >= 0 && pmax <= 65535 && pmin <= pmax, 1, "bad portRange");
  cfg.port_min = (uint16_t)pmin;
  cfg.port_max = (uint16_t)pmax;
  lua_getfield(L, 1, "iceTcp");
  luaL_argcheck(L, lua_isnil(L, -1) || lua_isboolean(L, -1), 1, "iceTcp must be a boolean");
  cfg.ice_tcp_off = lua_isboolean(L, -1) && !lua_toboolean(L, -1);
  lua_pop(L, 1);
  lua_getfield(L, 1, "mdnsHostCandidates");
  luaL_argcheck(L, lua_isnil(L, -1) || lua_isboolean(L, -1), 1,
                "mdnsHostCandidates must be a boolean");
  cfg.mdns_host_candidates = lua_toboolean(L, -1);
  lua_pop(L, 1);
  lua_getfield(L, 1, "receiveSimulcast");
  luaL_argcheck(L, lua_isnil(L, -1) || lua_isboolean(L, -1), 1,
                "receiveSimulcast must be a boolean");
  cfg.simulcast_receive_off = lua_isboolean(L, -1) && !lua_toboolean(L, -1);
  lua_pop(L, 1);
  lua_getfield(L, 1, "udpMux"); /* true, or the port of the shared socket */
  if (lua_isnumber(L, -1)) {
    lua_Integer port = lua_tointeger(L, -1);
    luaL_argcheck(L, port > 0 && port <= 65535, 1, "udpMux must be true, false or a port 1..65535");
    cfg.udp_mux = true;
    cfg.udp_mux_port = (uint16_t)port;
  } else {
    luaL_argcheck(L, lua_isnil(L, -1) || lua_isboolean(L, -1), 1,
                  "udpMux must be true, false or a port 1..65535");
    cfg.udp_mux = lua_toboolean(L, -1);
  }
  lua_pop(L, 1);
  int mms = opt_field_int(L, 1, "maxMessageSize", 0);
  luaL_argcheck(L, mms >= 0, 1, "bad maxMessageSize");
  cfg.max_message_size = (size_t)mms;
  /* Limits (docs/api.md "Limits"): nil or 0 keeps the default. */
  int lim = opt_field_int(L, 1, "maxSdpSize", 0);
  luaL_argcheck(L, lim >= 0, 1, "bad maxSdpSize");
  cfg.max_sdp_size = (size_t)lim;
  lim = opt_field_int(L, 1, "maxChannels", 0);
  luaL_argcheck(L, lim >= 0 && lim <= 65535, 1, "maxChannels must be 1..65535");
  cfg.max_channels = (uint32_t)lim;
  lim = opt_field_int(L, 1, "maxRemoteCandidates", 0);
  luaL_argcheck(L, lim >= 0 && lim <= RTC_ICE_MAX_REMOTE, 1, "maxRemoteCandidates must be 1..64");
  cfg.max_remote_candidates = (uint32_t)lim;
  lim = opt_field_int(L, 1, "maxBufferedAmount", 0);
  luaL_argcheck(L, lim >= 0, 1, "bad maxBufferedAmount");
  cfg.max_buffered_amount = (size_t)lim;
  lim = opt_field_int(L, 1, "maxReceiveBuffer", 0);
  luaL_argcheck(L, lim >= 0, 1, "bad maxReceiveBuffer");
  cfg.max_receive_buffer = (size_t)lim;
  rtc_pc_ice_server_t servers[PC_MAX_ICE_URLS];
  lua_getfield(L, 1, "iceServers"); /* 4: keeps the strings alive */
  if (!lua_isnil(L, 4)) {
    cfg.ice_servers = servers;
    cfg.n_ice_servers = pc_parse_ice_servers(L, 4, servers);
  }
  lua_getfield(L, 1, "turnCaFile"); /* stays on the stack until the pc copied it */
  int ca = lua_gettop(L);
  if (!lua_isnil(L, ca)) {
    luaL_argcheck(L, lua_type(L, ca) == LUA_TSTRING, 1, "turnCaFile must be a file name");
    cfg.turn_ca_file = lua_tostring(L, ca);
  }
  char err[256];
  if (rtc_pc_check_config(&cfg, err, sizeof(err)) < 0) return luaL_argerror(L, 1, err);
  lua_settop(L, 3);

  rtc_lua_pc_t *p = lua_newuserdata(L, sizeof(*p)); /* 4 */
  memset(p, 0, sizeof(*p));
  p->self_ref = LUA_NOREF;
  p->L = main_L;
  luaL_getmetatable(L, RTC_LUA_PC_MT);
  lua_setmetatable(L, -2);
  lua_createtable(L, 0, 4);
  lua_pushlightuserdata(L, (void *)&rtc_lua_key_channels);
  lua_newtable(L);
  lua_rawset(L, -3);
  lua_pushlightuserdata(L, (void *)&rtc_lua_key_owner); /* keeps the certificate alive */
  lua_pushvalue(L, 2);
  lua_rawset(L, -3);
  rtc_lua_setenv(L, -2);
  p->peer = rtc_io_peer_create(loop, &cfg, rtc_lua_events_cb, p);
  if (!p->peer) {
    lua_pushnil(L);
    lua_pushliteral(L, "RTCPeerConnection: cannot create (certificate or memory)");
    return 2;
  }
  rtc_lua_live_pcs++;
  rtc_lua_obj_register(L, p, -1);
  lua_pushvalue(L, -1);
  p->self_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  return 1;
}

static int pc_gc(lua_State *L) {
  rtc_lua_pc_t *p = luaL_checkudata(L, 1, RTC_LUA_PC_MT);
  if (!p->peer) return 0;
  rtc_lua_in_gc++;
  rtc_io_peer_destroy(p->peer);
  rtc_lua_in_gc--;
  p->peer = NULL;
  rtc_lua_live_pcs--;
  return 0;
}

static int pc_tostring(lua_State *L) {
  rtc_lua_pc_t *p = luaL_checkudata(L, 1, RTC_LUA_PC_MT);
  if (p->peer)
    lua_pushfstring(L, "RTCPeerConnection (%d): %p", (int)rtc_pc_id(pc_of(p)), (void *)p);
  else
    lua_pushfstring(L, "RTCPeerConnection (destroyed): %p", (void *)p);
  return 1;
}

/* The operations chain: a method called with a token (an integer from lua/rtc, which
 * holds the callback or the waiting coroutine) queues its result among the pc's
 * events (rtc_pc_queue_result), before the kick gathers candidates. */
static int op_token(lua_State *L, int idx) {
  return lua_type(L, idx) == LUA_TNUMBER ? (int)lua_tointeger(L, idx) : -1;
}

static int op_begin(lua_State *L, rtc_lua_pc_t *p, int idx) {
  int token = op_token(L, idx);
  if (token >= 0) rtc_pc_mark_operation(pc_of(p));
  return token;
}

static void op_end(rtc_lua_pc_t *p, int token) {
  if (token >= 0) rtc_pc_queue_result(pc_of(p), token);
}

/* The sdp (malloc'd) is held by box b while it is pushed. */
static int pc_sdp_result(lua_State *L, rtc_lua_pc_t *p, int token, int r, rtc_lua_box_t *b) {
  op_end(p, token);
  rtc_io_peer_kick(p->peer);
  if (r < 0) {
    rtc_lua_box_free(b);
    return pc_fail(L, p, r);
  }
  lua_pushstring(L, b->p ? (const char *)b->p : "");
  rtc_lua_box_free(b);
  return 1;
}

/* createOffer(iceRestart, token) -> sdp | nil, err, NAME */
static int pc_create_offer(lua_State *L) {
  rtc_lua_pc_t *p = pc_check(L, 1);
  bool restart = lua_toboolean(L, 2);
  rtc_lua_box_t *b = rtc_lua_box_new(L);
  char *sdp = NULL;
  int token = op_begin(L, p, 3);
  int r = rtc_pc_create_offer(pc_of(p), restart, &sdp);
  rtc_lua_box_hold(b, sdp, free);
  return pc_sdp_result(L, p, token, r, b);
}

static int pc_create_answer(lua_State *L) {
  rtc_lua_pc_t *p = pc_check(L, 1);
  rtc_lua_box_t *b = rtc_lua_box_new(L);
  char *sdp = NULL;
  int token = op_begin(L, p, 2);
  int r = rtc_pc_create_answer(pc_of(p), &sdp);
  rtc_lua_box_hold(b, sdp, free);
  return pc_sdp_result(L, p, token, r, b);
}

static int pc_ok(lua_State *L, rtc_lua_pc_t *p, int token, int r) {
  op_end(p, token);
  rtc_io_peer_kick(p->peer);
  if (r < 0) return pc_fail(L, p, r);
  lua_pushboolean(L, 1);
  return 1;
}

/* setLocalDescription(type, sdp|nil, token) -> true | nil, err, NAME (sdp nil: implicit). */
static int pc_set_local(lua_State *L) {
  rtc_lua_pc_t *p = pc_check(L, 1);
  int type = luaL_checkoption(L, 2, NULL, rtc_lua_sdp_type_names);
  const char *sdp = luaL_optstring(L, 3, NULL);
  int token = op_begin(L, p, 4);
  return pc_ok(L, p, token, rtc_pc_set_local_description(pc_of(p), (rtc_sdp_type_t)type, sdp));
}

static int pc_set_remote(lua_State *L) {
  rtc_lua_pc_t *p = pc_check(L, 1);
  int type = luaL_checkoption(L, 2, NULL, rtc_lua_sdp_type_names);
  const char *sdp = luaL_optstring(L, 3, NULL);
  int token = op_begin(L, p, 4);
  return pc_ok(L, p, token, rtc_pc_set_remote_description(pc_of(p), (rtc_sdp_type_t)type, sdp));
}

/* addIceCandidate(candidate|nil, mid|nil, mlineIndex|nil, token) -> true | nil, err, NAME */
static int pc_add_candidate(lua_State *L) {
  rtc_lua_pc_t *p = pc_check(L, 1);
  const char *cand = luaL_optstring(L, 2, NULL);
  const char *mid = luaL_optstring(L, 3, NULL);
  int idx = (int)luaL_optinteger(L, 4, -1);
  int token = op_begin(L, p, 5);
  return pc_ok(L, p, token, rtc_pc_add_ice_candidate(pc_of(p), cand, mid, idx));
}

/* _active() -> whether results can take their place among the events (the pc's
 * transport still runs; else lua/rtc calls back from a timer). */
static int pc_active(lua_State *L) {
  rtc_lua_pc_t *p = luaL_checkudata(L, 1, RTC_LUA_PC_MT);
  lua_pushboolean(L, p->peer && rtc_io_peer_is_active(p->peer));
  return 1;
}

static int opt_bool_field(lua_State *L, int t, const char *k, bool def) {
  lua_getfield(L, t, k);
  bool v = lua_isnil(L, -1) ? def : lua_toboolean(L, -1);
  lua_pop(L, 1);
  return v;
}

/* createDataChannel(label, init) -> channel | nil, err */
static int pc_create_dc(lua_State *L) {
  rtc_lua_pc_t *p = pc_check(L, 1);
  rtc_dc_init_t init;
  rtc_dc_init_defaults(&init);
  init.label = luaL_checkstring(L, 2);
  if (!lua_isnoneornil(L, 3)) {
    luaL_checktype(L, 3, LUA_TTABLE);
    init.ordered = opt_bool_field(L, 3, "ordered", true);
    init.negotiated = opt_bool_field(L, 3, "negotiated", false);
    init.max_retransmits = opt_field_int(L, 3, "maxRetransmits", -1);
    init.max_packet_life_time = opt_field_int(L, 3, "maxPacketLifeTime", -1);
    init.id = opt_field_int(L, 3, "id", -1);
    luaL_argcheck(L, init.max_retransmits >= -1 && init.max_packet_life_time >= -1, 3,
                  "maxRetransmits/maxPacketLifeTime must be >= 0");
    luaL_argcheck(L, init.max_retransmits < 0 || init.max_packet_life_time < 0, 3,
                  "maxRetransmits and maxPacketLifeTime cannot both be set");
    luaL_argcheck(L, init.id >= -1 && init.id <= 65534, 3, "id must be 0..65534");
    luaL_argcheck(L, !init.negotiated || init.id >= 0, 3, "a negotiated channel needs an id");
    lua_getfield(L, 3, "protocol");
    if (!lua_isnil(L, -1)) init.protocol = luaL_checkstring(L, -1);
    lua_pop(L, 1); /* the string stays referenced by the init table */
  }
  if (rtc_pc_signaling_state(pc_of(p)) == RTC_SIGNALING_CLOSED || p->closed)
    return luaL_error(L, "InvalidStateError: createDataChannel on a closed RTCPeerConnection");
  lua_checkstack(L, 8);
  rtc_lua_box_t *b = rtc_lua_box_new(L);
  rtc_dc_t *dc = rtc_pc_create_data_channel(pc_of(p), &init);
  rtc_io_peer_kick(p->peer);
  if (!dc) return pc_fail(L, p, RTC_EINVAL);
  rtc_lua_box_hold(b, dc, rtc_lua_dc_unref);
  rtc_lua_dc_push_new(L, b, 1);
  return 1;
}

/* restartIce(): the next offer restarts ICE; negotiationneeded follows (W3C). */
static int pc_restart_ice(lua_State *L) {
  rtc_lua_pc_t *p = luaL_checkudata(L, 1, RTC_LUA_PC_MT);
  if (!p->peer || p->closed) return 0;
  if (rtc_pc_restart_ice(pc_of(p)) < 0) return pc_fail(L, p, RTC_ENOMEM);
  rtc_io_peer_kick(p->peer);
  return 0;
}

static int pc_close(lua_State *L) {
  rtc_lua_pc_t *p = luaL_checkudata(L, 1, RTC_LUA_PC_MT);
  if (!p->peer || p->closed) return 0;
  p->closed = true;
  rtc_pc_close(pc_of(p));
  rtc_io_peer_kick(p->peer);
  /* Delivery of the channels' close events releases the self reference (events.c);
   * a peer whose transport already ended gets no more delivery. */
  if (!rtc_io_peer_is_active(p->peer)) rtc_lua_pc_release(L, p);
  return 0;
}

/* ---- attributes ---- */

static int push_enum(lua_State *L, const char *const *names, int n, int v) {
  if (v < 0 || v >= n) return lua_pushnil(L), 1;
  lua_pushstring(L, names[v]);
  return 1;
}

static int g_signaling(lua_State *L) {
  rtc_lua_pc_t *p = luaL_checkudata(L, 1, RTC_LUA_PC_MT);
  return push_enum(L, rtc_lua_signaling_names, 6,
                   p->peer ? (int)rtc_pc_shown_signaling_state(pc_of(p)) : RTC_SIGNALING_CLOSED);
}
static int g_gathering(lua_State *L) {
  rtc_lua_pc_t *p = luaL_checkudata(L, 1, RTC_LUA_PC_MT);
  return push_enum(L, rtc_lua_gathering_names, 3,
                   p->peer ? (int)rtc_pc_gathering_state(pc_of(p)) : RTC_GATHERING_COMPLETE);
}
static int g_ice(lua_State *L) {
  rtc_lua_pc_t *p = luaL_checkudata(L, 1, RTC_LUA_PC_MT);
  return push_enum(L, rtc_lua_ice_names, 7, p->peer ? rtc_pc_ice_connection_state(pc_of(p)) : 6);
}
static int g_connection(lua_State *L) {
  rtc_lua_pc_t *p = luaL_checkudata(L, 1, RTC_LUA_PC_MT);
  return push_enum(L, rtc_lua_connection_names, 6,
                   p->peer ? (int)rtc_pc_connection_state(pc_of(p)) : RTC_CONNECTION_CLOSED);
}

typedef const char *(*desc_fn)(const rtc_pc_t *, rtc_sdp_type_t *);

static int push_desc(lua_State *L, desc_fn fn) {
  rtc_lua_pc_t *p = luaL_checkudata(L, 1, RTC_LUA_PC_MT);
  rtc_sdp_type_t type = RTC_SDP_OFFER;
  const char *sdp = p->peer ? fn(pc_of(p), &type) : NULL;
  if (!sdp) return lua_pushnil(L), 1;
  lua_createtable(L, 0, 2);
  lua_pushstring(L, rtc_lua_sdp_type_names[type]);
  lua_setfield(L, -2, "type");
  lua_pushstring(L, sdp);
  lua_setfield(L, -2, "sdp");
  return 1;
}
static int g_local(lua_State *L) { return push_desc(L, rtc_pc_local_description); }
static int g_remote(lua_State *L) { return push_desc(L, rtc_pc_remote_description); }
static int g_pending_local(lua_State *L) { return push_desc(L, rtc_pc_pending_local_description); }
static int g_pending_remote(lua_State *L) {
  return push_desc(L, rtc_pc_pending_remote_description);
}
static int g_current_local(lua_State *L) { return push_desc(L, rtc_pc_current_local_description); }
static int g_current_remote(lua_State *L) {
  return push_desc(L, rtc_pc_current_remote_description);
}

static int g_can_trickle(lua_State *L) {
  rtc_lua_pc_t *p = luaL_checkudata(L, 1, RTC_LUA_PC_MT);
  int v = p->peer ? rtc_pc_can_trickle(pc_of(p)) : -1;
  if (v < 0)
    lua_pushnil(L);
  else
    lua_pushboolean(L, v);
  return 1;
}

static int g_id(lua_State *L) {
  rtc_lua_pc_t *p = luaL_checkudata(L, 1, RTC_LUA_PC_MT);
  if (!p->peer) return lua_pushnil(L), 1;
  lua_pushinteger(L, (lua_Integer)rtc_pc_id(pc_of(p)));
  return 1;
}

/* ---- getStats: W3C webrtc-stats names, one table per stats object keyed by id ---- */

static void set_num(lua_State *L, const char *k, double v) {
  lua_pushnumber(L, v);
  lua_setfield(L, -2, k);
}

static void set_str(lua_State *L, const char *k, const char *v) {
  lua_pushstring(L, v);
  lua_setfield(L, -2, k);
}

static void stats_new(lua_State *L, int report, const char *id, const char *type, double ts) {
  lua_newtable(L);
  set_str(L, "id", id);
  set_str(L, "type", type);
  set_num(L, "timestamp", ts);
  lua_pushvalue(L, -1);
  lua_setfield(L, report, id);
}

static void set_addr(lua_State *L, const char *kaddr, const char *kport, const rtc_addr_t *a) {
  char ip[RTC_ADDR_STRLEN];
  if (rtc_addr_to_string(a, ip, sizeof(ip)) != 0) return;
  set_str(L, kaddr, ip);
  set_num(L, kport, rtc_addr_port(a));
}

/* A candidate's stats id, stable for as long as the address is a candidate: the
 * side, the address, the port and the protocol. */
static void cand_id(char *out, size_t cap, bool remote, const rtc_ice_candidate_t *c) {
  snprintf(out, cap, "%c%s_%u%s", remote ? 'R' : 'L', c->address, (unsigned)c->port,
           c->transport == RTC_ICE_TCP ? "_tcp" : "");
}

static void stats_candidate(lua_State *L, int report, const rtc_pc_t *pc, bool remote,
                            const rtc_ice_candidate_t *c, double ts) {
  static const char *types[] = {"host", "srflx", "prflx", "relay"};
  char id[300];
  cand_id(id, sizeof id, remote, c);
  lua_getfield(L, report, id);
  bool known = !lua_isnil(L, -1);
  lua_pop(L, 1);
  if (known) return;
  stats_new(L, report, id, remote ? "remote-candidate" : "local-candidate", ts);
  set_str(L, "transportId", "T");
  set_str(L, "candidateType", types[c->type]);
  set_str(L, "protocol", c->transport == RTC_ICE_TCP ? "tcp" : "udp");
  set_str(L, "address", c->address);
  set_num(L, "port", c->port);
  set_num(L, "priority", c->priority);
  set_str(L, "foundation", c->foundation);
  if (c->tcptype[0]) set_str(L, "tcpType", c->tcptype);
  const char *relay = remote ? NULL : rtc_pc_relay_protocol(pc, &c->addr);
  if (relay) set_str(L, "relayProtocol", relay);
  lua_pop(L, 1);
}

/* One candidate-pair per pair the ICE agent checked, with its two candidates; the
 * transport's selectedCandidatePairId names the selected one. */
static void stats_ice(lua_State *L, int report, rtc_pc_t *pc, double ts) {
  static const char *states[] = {"waiting", "in-progress", "succeeded", "failed"};
  const rtc_ice_agent_t *ice = rtc_pc_ice_agent(pc);
  size_t n = rtc_ice_agent_n_pairs(ice);
  for (size_t i = 0; i < n; i++) {
    rtc_ice_pair_info_t pi;
    rtc_ice_candidate_t lc, rc;
    if (!rtc_ice_agent_pair_info(ice, i, &pi) || !rtc_ice_agent_candidate(ice, false, pi.local, &lc) ||
        !rtc_ice_agent_candidate(ice, true, pi.remote, &rc))
      continue;
    /* The pairs ICE has checked (either way): a pair still waiting for its first check
     * is a plan, not a path. */
    if (!pi.selected && !pi.requests_sent && !pi.requests_received) continue;
    char lid[300], rid[300], id[640];
    cand_id(lid, sizeof lid, false, &lc);
    cand_id(rid, sizeof rid, true, &rc);
    snprintf(id, sizeof id, "CP%s_%s", lid, rid);
    stats_candidate(L, report, pc, false, &lc, ts);
    stats_candidate(L, report, pc, true, &rc, ts);
    stats_new(L, report, id, "candidate-pair", ts);
    set_str(L, "transportId", "T");
    set_str(L, "localCandidateId", lid);
    set_str(L, "remoteCandidateId", rid);
    set_str(L, "state", states[pi.state]);
    lua_pushboolean(L, pi.nominated);
    lua_setfield(L, -2, "nominated");
    lua_pushboolean(L, pi.selected); /* luartc addition (the transport names it too) */
    lua_setfield(L, -2, "selected");
    set_num(L, "priority", (double)pi.priority);
    if (pi.rtt_us) set_num(L, "currentRoundTripTime", (double)pi.rtt_us / 1e6);
    set_num(L, "requestsSent", pi.requests_sent);
    set_num(L, "requestsReceived", pi.requests_received);
    set_num(L, "responsesReceived", pi.responses_received);
    set_num(L, "packetsSent", pi.packets_sent);
    set_num(L, "packetsReceived", pi.packets_received);
    set_num(L, "bytesSent", (double)pi.bytes_sent);
    set_num(L, "bytesReceived", (double)pi.bytes_received);
    set_addr(L, "localAddress", "localPort", &lc.addr);    /* luartc addition */
    set_addr(L, "remoteAddress", "remotePort", &rc.addr); /* luartc addition */
    lua_pop(L, 1);
    if (pi.selected) {
      lua_getfield(L, report, "T");
      set_str(L, "selectedCandidatePairId", id);
      lua_pop(L, 1);
    }
  }
}

static int pc_get_stats(lua_State *L) {
  rtc_lua_pc_t *p = luaL_checkudata(L, 1, RTC_LUA_PC_MT);
  int token = op_token(L, 2);
  lua_newtable(L);
  if (!p->peer) return 1;
  if (token >= 0 && rtc_io_peer_is_active(p->peer)) {
    rtc_pc_mark_operation(pc_of(p));
    rtc_pc_queue_result(pc_of(p), token);
    rtc_io_peer_kick(p->peer);
  }
  int report = lua_gettop(L);
  rtc_pc_t *pc = pc_of(p);
  rtc_pc_stats_t st;
  rtc_pc_get_stats(pc, &st);
  double ts = (double)rtc_io_now_us() / 1000.0;
  static const char *dtls_names[] = {"new", "connecting", "connected", "closed", "failed"};

  stats_new(L, report, "P", "peer-connection", ts);
  set_num(L, "dataChannelsOpened", st.data_channels_opened);
  set_num(L, "dataChannelsClosed", st.data_channels_closed);
  set_num(L, "eventsDropped", (double)st.events_dropped); /* not W3C: lost on OOM */
  lua_pop(L, 1);

  stats_new(L, report, "T", "transport", ts);
  set_num(L, "packetsSent", (double)st.packets_sent);
  set_num(L, "packetsReceived", (double)st.packets_received);
  set_num(L, "bytesSent", (double)st.bytes_sent);
  set_num(L, "bytesReceived", (double)st.bytes_received);
  set_num(L, "packetsDiscarded", (double)st.packets_discarded); /* luartc additions */
  set_num(L, "stunUnauthenticated", (double)st.stun_unauthenticated);
  set_num(L, "packetsUnvalidated", (double)st.unvalidated);
  set_num(L, "srtpAuthFailures", (double)st.srtp_auth_failures);
  set_num(L, "srtpReplays", (double)st.srtp_replays);
  set_str(L, "dtlsState", st.dtls_state < 0 ? "new" : dtls_names[st.dtls_state]);
  set_str(L, "dtlsRole", st.dtls_role < 0 ? "unknown" : st.dtls_role ? "server" : "client");
  if (st.dtls_cipher) set_str(L, "dtlsCipher", st.dtls_cipher);
  set_num(L, "selectedCandidatePairChanges", st.selected_pair_changes);
  lua_pop(L, 1);
  stats_ice(L, report, pc, ts);

  rtc_dc_t *dcs[64];
  size_t n = rtc_pc_data_channels(pc, dcs, 64);
  static const char *dc_states[] = {"connecting", "open", "closing", "closed"};
  for (size_t i = 0; i < n; i++) {
    char id[32];
    rtc_dc_stats_t ds;
    rtc_dc_get_stats(dcs[i], &ds);
    snprintf(id, sizeof(id), "D%zu", i);
    stats_new(L, report, id, "data-channel", ts);
    set_str(L, "label", rtc_dc_label(dcs[i]));
    set_str(L, "protocol", rtc_dc_protocol(dcs[i]));
    if (rtc_dc_id(dcs[i]) >= 0) set_num(L, "dataChannelIdentifier", rtc_dc_id(dcs[i]));
    set_str(L, "state", dc_states[rtc_dc_ready_state(dcs[i])]);
    set_num(L, "messagesSent", (double)ds.messages_sent);
    set_num(L, "bytesSent", (double)ds.bytes_sent);
    set_num(L, "messagesReceived", (double)ds.messages_received);
    set_num(L, "bytesReceived", (double)ds.bytes_received);
    lua_pop(L, 1);
  }
  rtc_lua_tr_stats(L, report, pc, ts);
  lua_settop(L, report);
  return 1;
}

static const luaL_Reg pc_methods[] = {
    {"createOffer", pc_create_offer},
    {"createAnswer", pc_create_answer},
    {"setLocalDescription", pc_set_local},
    {"setRemoteDescription", pc_set_remote},
    {"addIceCandidate", pc_add_candidate},
    {"createDataChannel", pc_create_dc},
    {"close", pc_close},
    {"restartIce", pc_restart_ice},
    {"getStats", pc_get_stats},
    {"addEventListener", rtc_lua_add_listener},
    {"removeEventListener", rtc_lua_remove_listener},
    {"_active", pc_active},
    {NULL, NULL},
};

static const luaL_Reg pc_getters[] = {
    {"signalingState", g_signaling},
    {"iceGatheringState", g_gathering},
    {"iceConnectionState", g_ice},
    {"connectionState", g_connection},
    {"localDescription", g_local},
    {"remoteDescription", g_remote},
    {"pendingLocalDescription", g_pending_local},
    {"pendingRemoteDescription", g_pending_remote},
    {"currentLocalDescription", g_current_local},
    {"currentRemoteDescription", g_current_remote},
    {"canTrickleIceCandidates", g_can_trickle},
    {"id", g_id},
    {NULL, NULL},
};

void rtc_lua_pc_open(lua_State *L) {
  rtc_lua_class(L, RTC_LUA_PC_MT, pc_methods, pc_getters, NULL, pc_gc, pc_tostring);
}
