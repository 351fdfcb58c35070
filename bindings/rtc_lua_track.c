/* RTCRtpTransceiver's C half for Lua: userdata { rtc_tr_t *tr (one reference);
 * rtc_lua_pc_t *pc; recv sinks }. lua/rtc/media.lua builds the W3C objects
 * (transceiver, sender, receiver, MediaStreamTrack) around it.
 *
 * The userdata's env holds its pc object (so `pc` stays valid) and the recorders fed
 * from its receiver. The pc's env holds the Lua transceivers (lua/rtc/media.lua), so
 * pc and transceivers are one cycle the collector frees together.
 *
 * Media events (pc/rtc_pc_media.h) never wait for Lua when nobody listens: received
 * frames go to the recorders in C, and to the Lua handler (set by lua/rtc/media.lua)
 * only when the track has onframe; keyframe requests and ended tracks go to the
 * handler; the track event is dispatched like the pc's other events, with the table
 * filled by the handler. */
#include <math.h>
#include <string.h>
#include <strings.h>

#include "rtp/rtc_rtp_dtmf.h"
#include "base/rtc_err.h"
#include "io/rtc_io.h"
#include "pc/rtc_pc_media.h"
#include "rtc_lua_media.h"
#include "sdp/rtc_sdp_codec.h"

#define RTC_LUA_TR_MT "rtc.RTCRtpTransceiver"
#define TR_MAX 64

typedef struct rtc_lua_tr {
  rtc_tr_t *tr;         /* one reference; NULL once collected */
  rtc_lua_pc_t *pc;     /* kept alive by the env */
  rtc_lua_sinks_t recv; /* recorders fed from the receiver */
  bool lua_frames;      /* the track has onframe */
  bool lua_rtp;         /* the track has onrtp */
  /* The same per simulcast layer received (index layer - 1): each layer's track. */
  rtc_lua_sinks_t lrecv[RTC_TR_MAX_LAYERS];
  bool lua_lframes[RTC_TR_MAX_LAYERS], lua_lrtp[RTC_TR_MAX_LAYERS];
} rtc_lua_tr_t;

static const char key_media_handler;
int rtc_lua_live_trs;

static const char *const dir_names[] = {"sendrecv", "sendonly", "recvonly",
                                        "inactive", "stopped",  NULL};

static rtc_lua_tr_t *tr_check(lua_State *L, int idx) {
  rtc_lua_tr_t *t = luaL_checkudata(L, idx, RTC_LUA_TR_MT);
  if (!t->tr) luaL_argerror(L, idx, "transceiver is destroyed");
  return t;
}

static void tr_kick(rtc_lua_tr_t *t) {
  if (t->pc && t->pc->peer) rtc_io_peer_kick(t->pc->peer);
}

rtc_tr_t *rtc_lua_tr_get(lua_State *L, int idx) { return tr_check(L, idx)->tr; }

void rtc_lua_tr_kick(rtc_tr_t *tr) {
  rtc_lua_tr_t *t = rtc_tr_get_userdata(tr);
  if (t) tr_kick(t);
}

static void update_frame_events(rtc_lua_tr_t *t) {
  rtc_tr_set_frame_events(t->tr, t->lua_frames || t->recv.n > 0);
  for (size_t i = 0; i < RTC_TR_MAX_LAYERS; i++)
    rtc_tr_set_layer_frame_events(t->tr, i, t->lua_lframes[i] || t->lrecv[i].n > 0);
}

/* The optional layer argument at idx of the methods a layer's track calls: 1-based,
 * 0 or nil: the transceiver's own stream. */
static int opt_layer(lua_State *L, int idx) {
  lua_Integer l = luaL_optinteger(L, idx, 0);
  luaL_argcheck(L, l >= 0 && l <= RTC_TR_MAX_LAYERS, idx, "no such simulcast layer");
  return (int)l;
}

/* Pushes the object of tr (a new one, owned by the pc object at pci, if it has none). */
void rtc_lua_tr_push(lua_State *L, rtc_tr_t *tr, int pci) {
  pci = rtc_lua_absindex(L, pci);
  void *ud = rtc_tr_get_userdata(tr);
  if (ud) {
    rtc_lua_obj_push(L, ud);
    if (!lua_isnil(L, -1)) return;
    lua_pop(L, 1);
  }
  rtc_lua_tr_t *t = lua_newuserdata(L, sizeof(*t));
  memset(t, 0, sizeof(*t));
  t->tr = rtc_tr_ref(tr);
  t->pc = lua_touserdata(L, pci);
  rtc_lua_live_trs++;
  luaL_getmetatable(L, RTC_LUA_TR_MT);
  lua_setmetatable(L, -2);
  lua_createtable(L, 0, 2);
  lua_pushlightuserdata(L, (void *)&rtc_lua_key_owner);
  lua_pushvalue(L, pci);
  lua_rawset(L, -3);
  rtc_lua_setenv(L, -2);
  rtc_tr_set_userdata(tr, t);
  rtc_lua_obj_register(L, t, -1);
}

static int tr_gc(lua_State *L) {
  rtc_lua_tr_t *t = luaL_checkudata(L, 1, RTC_LUA_TR_MT);
  if (!t->tr) return 0;
  rtc_lua_in_gc++;
  if (rtc_tr_get_userdata(t->tr) == t) rtc_tr_set_userdata(t->tr, NULL);
  rtc_tr_set_frame_events(t->tr, false);
  rtc_tr_set_rtp_events(t->tr, false);
  for (size_t i = 0; i < RTC_TR_MAX_LAYERS; i++) {
    rtc_tr_set_layer_frame_events(t->tr, i, false);
    rtc_tr_set_layer_rtp_events(t->tr, i, false);
  }
  rtc_tr_unref(t->tr);
  rtc_lua_in_gc--;
  t->tr = NULL;
  rtc_lua_live_trs--;
  return 0;
}

static int tr_tostring(lua_State *L) {
  rtc_lua_tr_t *t = luaL_checkudata(L, 1, RTC_LUA_TR_MT);
  const char *mid = t->tr ? rtc_tr_mid(t->tr) : NULL;
  lua_pushfstring(L, "RTCRtpTransceiver (mid %s): %p", mid ? mid : "null", (void *)t);
  return 1;
}

static int tr_fail(lua_State *L, rtc_lua_tr_t *t, int err) {
  const char *msg = rtc_tr_error(t->tr);
  lua_pushnil(L);
  lua_pushstring(L, msg && *msg ? msg : rtc_strerror(err));
  lua_pushstring(L, rtc_err_name(err));
  return 3;
}

static int tr_result(lua_State *L, rtc_lua_tr_t *t, int r) {
  tr_kick(t);
  if (r < 0) return tr_fail(L, t, r);
  lua_pushboolean(L, 1);
  return 1;
}

/* A sender as a source's sink: sends only frames of the negotiated codec. */
static int tr_sink(void *ud, rtc_lua_frame_t *f) {
  rtc_lua_tr_t *t = ud;
  if (!t->tr) return RTC_ESTATE;
  rtc_tr_codec_t c;
  if (!rtc_tr_codec(t->tr, &c)) return RTC_ESTATE;
  if (f->codec && strcasecmp(f->codec, c.name) != 0) return RTC_ENOTSUP;
  int r = rtc_tr_send_frame_at(t->tr, rtc_io_now_us(), f->at_us, f->ts, f->p, f->len, f->key);
  if (r == 0) {
    uint64_t ready = rtc_tr_send_ready_us(t->tr);
    if (ready > f->ready_us) f->ready_us = ready;
  }
  tr_kick(t);
  return r;
}

void *rtc_lua_tr_sink(lua_State *L, int idx, rtc_lua_sink_fn *fn) {
  rtc_lua_tr_t *t = luaL_testudata(L, idx, RTC_LUA_TR_MT);
  if (!t) return NULL;
  *fn = tr_sink;
  return t;
}

/* ---- methods ---- */

static int tr_kind(lua_State *L) {
  lua_pushstring(L, rtc_tr_kind(tr_check(L, 1)->tr) == RTC_MEDIA_VIDEO ? "video" : "audio");
  return 1;
}

static int push_opt_string(lua_State *L, const char *s) {
  if (s)
    lua_pushstring(L, s);
  else
    lua_pushnil(L);
  return 1;
}

static int tr_mid(lua_State *L) { return push_opt_string(L, rtc_tr_mid(tr_check(L, 1)->tr)); }
static int tr_track_id(lua_State *L) {
  return push_opt_string(L, rtc_tr_track_id(tr_check(L, 1)->tr));
}
static int tr_stream_id(lua_State *L) {
  return push_opt_string(L, rtc_tr_stream_id(tr_check(L, 1)->tr));
}
static int tr_remote_track_id(lua_State *L) {
  return push_opt_string(L, rtc_tr_remote_track_id(tr_check(L, 1)->tr));
}
static int tr_remote_stream_id(lua_State *L) {
  return push_opt_string(L, rtc_tr_remote_stream_id(tr_check(L, 1)->tr));
}

static int tr_direction(lua_State *L) {
  rtc_tr_t *tr = tr_check(L, 1)->tr;
  lua_pushstring(L, dir_names[rtc_tr_stopped(tr) ? RTC_TR_STOPPED : rtc_tr_direction(tr)]);
  return 1;
}

static int tr_current_direction(lua_State *L) {
  int d = rtc_tr_current_direction(tr_check(L, 1)->tr);
  if (d < 0 || d > RTC_TR_STOPPED) return lua_pushnil(L), 1;
  lua_pushstring(L, dir_names[d]);
  return 1;
}

static int tr_set_direction(lua_State *L) {
  rtc_lua_tr_t *t = tr_check(L, 1);
  int d = luaL_checkoption(L, 2, NULL, dir_names);
  return tr_result(L, t, rtc_tr_set_direction(t->tr, (rtc_tr_direction_t)d));
}

static int tr_stop(lua_State *L) {
  rtc_lua_tr_t *t = tr_check(L, 1);
  return tr_result(L, t, rtc_tr_stop(t->tr));
}

static int tr_stopped(lua_State *L) {
  lua_pushboolean(L, rtc_tr_stopped(tr_check(L, 1)->tr));
  return 1;
}

/* codec() -> { mimeType, clockRate, channels, payloadType, sdpFmtpLine } | nil */
static int tr_codec(lua_State *L) {
  rtc_lua_tr_t *t = tr_check(L, 1);
  rtc_tr_codec_t c;
  if (!rtc_tr_codec(t->tr, &c)) return lua_pushnil(L), 1;
  lua_createtable(L, 0, 5);
  lua_pushfstring(L, "%s/%s", rtc_tr_kind(t->tr) == RTC_MEDIA_VIDEO ? "video" : "audio", c.name);
  lua_setfield(L, -2, "mimeType");
  lua_pushnumber(L, c.clock_rate);
  lua_setfield(L, -2, "clockRate");
  if (c.channels) {
    lua_pushnumber(L, c.channels);
    lua_setfield(L, -2, "channels");
  }
  lua_pushnumber(L, c.pt);
  lua_setfield(L, -2, "payloadType");
  if (c.fmtp) {
    lua_pushstring(L, c.fmtp);
    lua_setfield(L, -2, "sdpFmtpLine");
  }
  return 1;
}

static int tr_codec_name(lua_State *L) {
  rtc_tr_codec_t c;
  if (!rtc_tr_codec(tr_check(L, 1)->tr, &c)) return lua_pushnil(L), 1;
  lua_pushstring(L, c.name);
  return 1;
}

/* One RTCRtpCodecCapability table at index idx into c; a message on a bad field. */
static const char *cap_from_lua(lua_State *L, int idx, rtc_sdp_codec_cap_t *c) {
  size_t len;
  memset(c, 0, sizeof(*c));
  if (!lua_istable(L, idx)) return "a codec table ({mimeType=, clockRate=, ...}) expected";
  lua_getfield(L, idx, "mimeType");
  const char *mime = lua_tolstring(L, -1, &len);
  if (!mime || len >= sizeof(c->mime_type)) return "mimeType: a codec's MIME type expected";
  memcpy(c->mime_type, mime, len + 1);
  /* Written so that NaN fails too (every comparison with it is false): casting NaN or
   * an out-of-range value to an integer is undefined; a fraction would be cut to a
   * capability's rate and match it although the script asked for something else. */
  lua_getfield(L, idx, "clockRate");
  lua_Number rate = lua_tonumber(L, -1);
  if (!lua_isnumber(L, -1) || !(rate >= 1 && rate <= 4294967295.0) || rate != floor(rate))
    return "clockRate: an integer 1-4294967295 expected";
  c->clock_rate = (uint32_t)rate;
  lua_getfield(L, idx, "channels");
  if (!lua_isnil(L, -1)) {
    lua_Number ch = lua_tonumber(L, -1);
    if (!lua_isnumber(L, -1) || !(ch >= 1 && ch <= 255) || ch != floor(ch))
      return "channels: an integer 1-255 expected";
    c->channels = (uint8_t)ch;
  }
  lua_getfield(L, idx, "sdpFmtpLine");
  if (!lua_isnil(L, -1)) {
    const char *f = lua_tolstring(L, -1, &len);
    if (!f || len >= sizeof(c->sdp_fmtp_line)) return "sdpFmtpLine: a short string expected";
    memcpy(c->sdp_fmtp_line, f, len + 1);
  }
  lua_pop(L, 4);
  return NULL;
}

/* setCodecs({capability...}) -> true | nil, err, NAME: W3C setCodecPreferences. */
static int tr_set_codecs(lua_State *L) {
  rtc_lua_tr_t *t = tr_check(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  size_t n = lua_objlen(L, 2);
  if (n > 1024) return luaL_error(L, "setCodecs: too many codecs");
  rtc_sdp_codec_cap_t *caps = n ? lua_newuserdata(L, n * sizeof(*caps)) : NULL;
  for (size_t i = 0; i < n; i++) {
    lua_rawgeti(L, 2, (lua_Integer)i + 1);
    int top = lua_gettop(L);
    const char *bad = cap_from_lua(L, top, &caps[i]);
    if (bad) return luaL_error(L, "TypeError: codec %d: %s", (int)i + 1, bad);
    lua_settop(L, top - 1);
  }
  return tr_result(L, t, rtc_tr_set_codec_preferences(t->tr, caps, n));
}

/* setReceiveRids({rid...}) -> true | nil, err, NAME: the simulcast layers our offers ask
 * the peer to send (luartc extension, rtc_tr_set_receive_rids). */
static int tr_set_receive_rids(lua_State *L) {
  rtc_lua_tr_t *t = tr_check(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  const char *rids[RTC_TR_MAX_LAYERS + 1];
  size_t n = lua_objlen(L, 2);
  if (n > RTC_TR_MAX_LAYERS) n = RTC_TR_MAX_LAYERS + 1; /* refused below, with its message */
  for (size_t i = 0; i < n; i++) {
    lua_rawgeti(L, 2, (lua_Integer)i + 1);
    rids[i] = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL; /* held by the table */
    lua_pop(L, 1);
  }
  return tr_result(L, t, rtc_tr_set_receive_rids(t->tr, rids, n));
}

/* core.codecCapabilities(kind) -> {codecs = {...}, headerExtensions = {{uri=}}} | nil:
 * W3C RTCRtpSender/RTCRtpReceiver.getCapabilities (luartc sends and receives the same). */
static int m_codec_capabilities(lua_State *L) {
  const char *kind = luaL_checkstring(L, 1);
  rtc_sdp_kind_t k;
  if (strcmp(kind, "audio") == 0)
    k = RTC_SDP_AUDIO;
  else if (strcmp(kind, "video") == 0)
    k = RTC_SDP_VIDEO;
  else
    return lua_pushnil(L), 1;
  rtc_sdp_codec_cap_t caps[32];
  const char *uris[32];
  size_t n = rtc_sdp_codec_capabilities(k, caps, 32),
         nx = rtc_sdp_codec_header_extensions(k, uris, 32);
  if (n > 32) n = 32;
  if (nx > 32) nx = 32;
  lua_createtable(L, 0, 2);
  lua_createtable(L, (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    lua_createtable(L, 0, 4);
    lua_pushstring(L, caps[i].mime_type);
    lua_setfield(L, -2, "mimeType");
    lua_pushnumber(L, caps[i].clock_rate);
    lua_setfield(L, -2, "clockRate");
    if (caps[i].channels) {
      lua_pushnumber(L, caps[i].channels);
      lua_setfield(L, -2, "channels");
    }
    if (caps[i].sdp_fmtp_line[0]) {
      lua_pushstring(L, caps[i].sdp_fmtp_line);
      lua_setfield(L, -2, "sdpFmtpLine");
    }
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  lua_setfield(L, -2, "codecs");
  lua_createtable(L, (int)nx, 0);
  for (size_t i = 0; i < nx; i++) {
    lua_createtable(L, 0, 1);
    lua_pushstring(L, uris[i]);
    lua_setfield(L, -2, "uri");
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  lua_setfield(L, -2, "headerExtensions");
  return 1;
}

/* send(bytes, rtp_timestamp, keyframe [, codec]) -> true | nil, err, NAME. codec: the
 * frame's ("VP8"...); a frame of another codec than the negotiated one is refused. */
static int tr_send(lua_State *L) {
  rtc_lua_tr_t *t = tr_check(L, 1);
  size_t len;
  const char *p = luaL_checklstring(L, 2, &len);
  uint32_t ts = (uint32_t)(uint64_t)luaL_checknumber(L, 3);
  const char *codec = luaL_optstring(L, 5, NULL);
  rtc_tr_codec_t c;
  if (codec && rtc_tr_codec(t->tr, &c) && strcasecmp(codec, c.name) != 0) {
    lua_pushnil(L);
    lua_pushfstring(L, "send: %s negotiated, the frame is %s", c.name, codec);
    lua_pushliteral(L, "ENOTSUP");
    return 3;
  }
  uint64_t now = rtc_io_now_us();
  int r = rtc_tr_send_frame_at(t->tr, now, now, ts, (const uint8_t *)p, len, lua_toboolean(L, 4));
  return tr_result(L, t, r);
}

/* requestKeyframe([layer]): a PLI for the stream, or for one simulcast layer's. */
static int tr_request_keyframe(lua_State *L) {
  rtc_lua_tr_t *t = tr_check(L, 1);
  int layer = opt_layer(L, 2);
  return tr_result(L, t, layer ? rtc_tr_request_layer_keyframe(t->tr, (size_t)layer - 1)
                               : rtc_tr_request_keyframe(t->tr));
}

/* canInsertDtmf() -> bool (W3C RTCDTMFSender.canInsertDTMF) */
static int tr_can_insert_dtmf(lua_State *L) {
  rtc_lua_tr_t *t = tr_check(L, 1);
  lua_pushboolean(L, rtc_tr_can_insert_dtmf(t->tr));
  return 1;
}

/* insertDtmfEvent(tone, ms): plays one RFC 4733 event now -> true | nil, err, NAME */
static int tr_insert_dtmf_event(lua_State *L) {
  rtc_lua_tr_t *t = tr_check(L, 1);
  size_t n;
  const char *tone = luaL_checklstring(L, 2, &n);
  lua_Integer ms = luaL_checkinteger(L, 3);
  int code = n == 1 ? rtc_rtp_dtmf_code(tone[0]) : -1;
  luaL_argcheck(L, code >= 0, 2, "one DTMF tone: 0-9, *, #, A-D");
  luaL_argcheck(L, ms > 0 && ms <= 60000, 3, "a duration of 1..60000 ms");
  return tr_result(L, t, rtc_tr_insert_dtmf_event(t->tr, code, (uint32_t)ms));
}

/* frameEvents(on [, layer]): the Lua handler gets this receiver's (layer's) frames. */
static int tr_frame_events(lua_State *L) {
  rtc_lua_tr_t *t = tr_check(L, 1);
  int layer = opt_layer(L, 3);
  if (layer)
    t->lua_lframes[layer - 1] = lua_toboolean(L, 2);
  else
    t->lua_frames = lua_toboolean(L, 2);
  update_frame_events(t);
  return 0;
}

/* rtpEvents(on [, layer]): the Lua handler gets this receiver's (layer's) RTP packets. */
static int tr_rtp_events(lua_State *L) {
  rtc_lua_tr_t *t = tr_check(L, 1);
  int layer = opt_layer(L, 3);
  if (layer) {
    t->lua_lrtp[layer - 1] = lua_toboolean(L, 2);
    rtc_tr_set_layer_rtp_events(t->tr, (size_t)layer - 1, t->lua_lrtp[layer - 1]);
    return 0;
  }
  t->lua_rtp = lua_toboolean(L, 2);
  rtc_tr_set_rtp_events(t->tr, t->lua_rtp);
  return 0;
}

/* rid(layer) -> the rid of a simulcast layer received, or nil. */
static int tr_rx_rid(lua_State *L) {
  rtc_lua_tr_t *t = tr_check(L, 1);
  return push_opt_string(L, rtc_tr_rx_layer_rid(t->tr, (size_t)luaL_checkinteger(L, 2) - 1));
}

static int tr_rx_paused(lua_State *L) {
  rtc_lua_tr_t *t = tr_check(L, 1);
  lua_pushboolean(L, rtc_tr_rx_layer_paused(t->tr, (size_t)luaL_checkinteger(L, 2) - 1));
  return 1;
}

/* record(recorder [, layer]) / unrecord(recorder [, layer]): the receiver's (layer's)
 * frames into it, in C. */
static int tr_record(lua_State *L) {
  rtc_lua_tr_t *t = tr_check(L, 1);
  int layer = opt_layer(L, 3);
  rtc_lua_sink_fn fn;
  void *rec = rtc_lua_rec_sink(L, 2, &fn);
  if (rtc_lua_sinks_add(layer ? &t->lrecv[layer - 1] : &t->recv, fn, rec) < 0)
    return luaL_error(L, "too many recorders");
  rtc_lua_getenv(L, 1);
  lua_pushvalue(L, 2);
  lua_pushboolean(L, 1);
  lua_rawset(L, -3);
  update_frame_events(t);
  if (rtc_tr_kind(t->tr) == RTC_MEDIA_VIDEO) { /* start sooner */
    if (layer)
      rtc_tr_request_layer_keyframe(t->tr, (size_t)layer - 1);
    else
      rtc_tr_request_keyframe(t->tr);
  }
  tr_kick(t);
  return 0;
}

static int tr_unrecord(lua_State *L) {
  rtc_lua_tr_t *t = tr_check(L, 1);
  int layer = opt_layer(L, 3);
  rtc_lua_sink_fn fn;
  rtc_lua_sinks_remove(layer ? &t->lrecv[layer - 1] : &t->recv, rtc_lua_rec_sink(L, 2, &fn));
  rtc_lua_getenv(L, 1);
  lua_pushvalue(L, 2);
  lua_pushnil(L);
  lua_rawset(L, -3);
  update_frame_events(t);
  return 0;
}

/* ---- pc methods ---- */

static rtc_lua_pc_t *pc_check(lua_State *L, int idx) {
  rtc_lua_pc_t *p = luaL_checkudata(L, idx, RTC_LUA_PC_MT);
  if (!p->peer) luaL_argerror(L, idx, "RTCPeerConnection is destroyed");
  return p;
}

/* _addTransceiver(kind, direction, stream_id|nil, track_id|nil, {codec names}|nil,
 * {rids}|nil) -> transceiver | nil, err, NAME */
static void tr_unref(void *tr) { rtc_tr_unref(tr); }

static int pc_add_transceiver(lua_State *L) {
  static const char *const kinds[] = {"audio", "video", NULL};
  rtc_lua_pc_t *p = pc_check(L, 1);
  rtc_tr_init_t init;
  rtc_tr_init_defaults(&init, (rtc_media_kind_t)luaL_checkoption(L, 2, NULL, kinds));
  init.direction = (rtc_tr_direction_t)luaL_checkoption(L, 3, "sendrecv", dir_names);
  luaL_argcheck(L, init.direction != RTC_TR_STOPPED, 3, "bad direction");
  init.stream_id = luaL_optstring(L, 4, NULL);
  init.track_id = luaL_optstring(L, 5, NULL);
  const char *names[16];
  if (!lua_isnoneornil(L, 6)) {
    luaL_checktype(L, 6, LUA_TTABLE);
    size_t n = lua_objlen(L, 6);
    luaL_argcheck(L, n <= 16, 6, "too many codecs");
    for (size_t i = 0; i < n; i++) {
      lua_rawgeti(L, 6, (int)i + 1);
      names[i] = luaL_checkstring(L, -1);
      lua_pop(L, 1); /* the table keeps it */
    }
    init.codecs = names;
    init.n_codecs = n;
  }
  const char *rids[RTC_TR_MAX_LAYERS];
  if (!lua_isnoneornil(L, 7)) { /* simulcast: the rids (lua/rtc/media.lua validated them) */
    luaL_checktype(L, 7, LUA_TTABLE);
    size_t n = lua_objlen(L, 7);
    luaL_argcheck(L, n <= RTC_TR_MAX_LAYERS, 7, "too many rids");
    for (size_t i = 0; i < n; i++) {
      lua_rawgeti(L, 7, (int)i + 1);
      /* a string, not a number: luaL_checkstring would convert the stack copy, which
       * the pop lets go, and the table would not keep the string */
      if (lua_type(L, -1) != LUA_TSTRING) luaL_argerror(L, 7, "rids must be strings");
      rids[i] = lua_tostring(L, -1);
      lua_pop(L, 1); /* the table keeps it */
    }
    init.rids = rids;
    init.n_rids = n;
  }
  lua_settop(L, 7);
  rtc_lua_box_t *b = rtc_lua_box_new(L); /* holds our reference while the object is made */
  rtc_pc_t *pc = rtc_io_peer_pc(p->peer);
  rtc_tr_t *tr = rtc_pc_add_transceiver(pc, &init);
  rtc_io_peer_kick(p->peer);
  rtc_lua_box_hold(b, tr, tr_unref);
  if (!tr) {
    const char *msg = rtc_pc_error(pc);
    lua_pushnil(L);
    lua_pushstring(L, msg && *msg ? msg : "addTransceiver failed");
    lua_pushliteral(L, "EINVAL");
    return 3;
  }
  rtc_lua_tr_push(L, tr, 1);
  rtc_lua_box_free(b); /* the object took its own */
  return 1;
}

/* _transceivers() -> { transceiver, ... } in creation order */
static int pc_transceivers(lua_State *L) {
  rtc_lua_pc_t *p = pc_check(L, 1);
  rtc_tr_t *list[TR_MAX];
  size_t n = rtc_pc_transceivers(rtc_io_peer_pc(p->peer), list, TR_MAX);
  lua_createtable(L, (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    rtc_lua_tr_push(L, list[i], 1);
    lua_rawseti(L, -2, (int)i + 1);
  }
  return 1;
}

/* ---- events ---- */

static bool push_handler(lua_State *L) {
  lua_pushlightuserdata(L, (void *)&key_media_handler);
  lua_rawget(L, LUA_REGISTRYINDEX);
  if (lua_isfunction(L, -1)) return true;
  lua_pop(L, 1);
  return false;
}

bool rtc_lua_tr_event(lua_State *L, int pci, const rtc_pc_event_t *ev) {
  const char *what;
  switch (ev->type) {
  case RTC_PC_EVENT_TRACK_FRAME: what = "frame"; break;
  case RTC_PC_EVENT_KEYFRAME_REQUEST: what = "keyframerequest"; break;
  case RTC_PC_EVENT_TRACK_ENDED: what = "ended"; break;
  case RTC_PC_EVENT_TRACK_RTP: what = "rtp"; break;
  case RTC_PC_EVENT_TRACK_MUTE: what = ev->state ? "mute" : "unmute"; break;
  case RTC_PC_EVENT_TRACK_REMOVED: what = "removed"; break;
  case RTC_PC_EVENT_TRACK_STREAMS: what = "streams"; break;
  case RTC_PC_EVENT_TRACK_DTMF: what = "dtmf"; break;
  default: return false;
  }
  if (!ev->tr) return true;
  rtc_lua_tr_t *t = rtc_tr_get_userdata(ev->tr);
  int layer = ev->layer > 0 && ev->layer <= RTC_TR_MAX_LAYERS ? ev->layer : 0;
  if (ev->type == RTC_PC_EVENT_TRACK_FRAME) {
    if (!t) return true; /* nobody holds the transceiver: nobody listens */
    rtc_lua_sinks_t *sinks = layer ? &t->lrecv[layer - 1] : &t->recv;
    if (sinks->n > 0) {
      rtc_tr_codec_t c;
      const char *name = rtc_tr_codec(ev->tr, &c) ? c.name : NULL;
      rtc_lua_frame_t f = {.codec = name,
                           .p = ev->data,
                           .len = ev->len,
                           .ts = ev->timestamp,
                           .key = ev->keyframe,
                           .ntp = ev->ntp,
                           .at_us = rtc_io_now_us()};
      rtc_lua_sinks_write(sinks, &f);
    }
    if (!(layer ? t->lua_lframes[layer - 1] : t->lua_frames)) return true;
  }
  if (ev->type == RTC_PC_EVENT_TRACK_RTP &&
      (!t || !(layer ? t->lua_lrtp[layer - 1] : t->lua_rtp)))
    return true;
  if (!push_handler(L)) return true;
  lua_pushvalue(L, pci);
  lua_pushstring(L, what);
  rtc_lua_tr_push(L, ev->tr, pci);
  if (ev->type == RTC_PC_EVENT_TRACK_FRAME) {
    lua_pushlstring(L, (const char *)ev->data, ev->len);
    lua_pushnumber(L, ev->timestamp);
    lua_pushboolean(L, ev->keyframe);
    lua_pushinteger(L, layer);
    rtc_lua_pcall(L, 7);
  } else if (ev->type == RTC_PC_EVENT_TRACK_RTP) {
    /* the packet and its fixed header (RFC 3550 5.1), read here once */
    lua_pushlstring(L, (const char *)ev->data, ev->len);
    lua_createtable(L, 0, 5);
    if (ev->len >= 12) {
      const uint8_t *p = ev->data;
      lua_pushinteger(L, p[1] & 0x7f);
      lua_setfield(L, -2, "payloadType");
      lua_pushboolean(L, p[1] >> 7);
      lua_setfield(L, -2, "marker");
      lua_pushinteger(L, (p[2] << 8) | p[3]);
      lua_setfield(L, -2, "sequenceNumber");
      lua_pushnumber(L, (double)((uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | p[6] << 8 | p[7]));
      lua_setfield(L, -2, "timestamp");
      lua_pushnumber(L, (double)((uint32_t)p[8] << 24 | (uint32_t)p[9] << 16 | p[10] << 8 | p[11]));
      lua_setfield(L, -2, "ssrc");
    }
    lua_pushinteger(L, layer);
    rtc_lua_pcall(L, 6);
  } else if (ev->type == RTC_PC_EVENT_KEYFRAME_REQUEST) {
    lua_pushinteger(L, ev->state); /* the simulcast layer (1-based) asked, 0: the sender */
    rtc_lua_pcall(L, 4);
  } else if (ev->type == RTC_PC_EVENT_TRACK_MUTE) {
    lua_pushinteger(L, layer);
    rtc_lua_pcall(L, 4);
  } else if (ev->type == RTC_PC_EVENT_TRACK_DTMF) {
    char tone = rtc_rtp_dtmf_tone(ev->state);
    lua_pushlstring(L, &tone, 1);
    lua_pushinteger(L, ev->timestamp); /* its duration in ms */
    rtc_lua_pcall(L, 5);
  } else {
    rtc_lua_pcall(L, 3);
  }
  return true;
}

void rtc_lua_tr_fill_track_event(lua_State *L, int pci, const rtc_pc_event_t *ev, int evt) {
  evt = rtc_lua_absindex(L, evt);
  if (!ev->tr || !push_handler(L)) return;
  lua_pushvalue(L, pci);
  lua_pushliteral(L, "track");
  rtc_lua_tr_push(L, ev->tr, pci);
  lua_pushvalue(L, evt);
  lua_pushinteger(L, ev->layer);
  rtc_lua_pcall(L, 5);
}

/* core.setMediaHandler(fn(pc, what, transceiver, ...)) */
static int m_set_media_handler(lua_State *L) {
  if (!lua_isnoneornil(L, 1)) luaL_checktype(L, 1, LUA_TFUNCTION);
  lua_settop(L, 1);
  lua_pushlightuserdata(L, (void *)&key_media_handler);
  lua_insert(L, 1);
  lua_rawset(L, LUA_REGISTRYINDEX);
  return 0;
}

static const luaL_Reg tr_methods[] = {
    {"kind", tr_kind},
    {"mid", tr_mid},
    {"direction", tr_direction},
    {"setDirection", tr_set_direction},
    {"currentDirection", tr_current_direction},
    {"stop", tr_stop},
    {"stopped", tr_stopped},
    {"codec", tr_codec},
    {"codecName", tr_codec_name},
    {"setCodecs", tr_set_codecs},
    {"trackId", tr_track_id},
    {"streamId", tr_stream_id},
    {"remoteTrackId", tr_remote_track_id},
    {"remoteStreamId", tr_remote_stream_id},
    {"send", tr_send},
    {"requestKeyframe", tr_request_keyframe},
    {"canInsertDtmf", tr_can_insert_dtmf},
    {"insertDtmfEvent", tr_insert_dtmf_event},
    {"frameEvents", tr_frame_events},
    {"rtpEvents", tr_rtp_events},
    {"record", tr_record},
    {"rxRid", tr_rx_rid},
    {"rxPaused", tr_rx_paused},
    {"setReceiveRids", tr_set_receive_rids},
    {"unrecord", tr_unrecord},
    {NULL, NULL},
};
static const luaL_Reg no_getters[] = {{NULL, NULL}};

void rtc_lua_tr_open(lua_State *L) {
  rtc_lua_class(L, RTC_LUA_TR_MT, tr_methods, no_getters, NULL, tr_gc, tr_tostring);
  /* The pc's media methods (lua/rtc/media.lua wraps them). */
  luaL_getmetatable(L, RTC_LUA_PC_MT);
  lua_getfield(L, -1, "methods");
  lua_pushcfunction(L, pc_add_transceiver);
  lua_setfield(L, -2, "_addTransceiver");
  lua_pushcfunction(L, pc_transceivers);
  lua_setfield(L, -2, "_transceivers");
  lua_pop(L, 2);
}

void rtc_lua_tr_funcs(lua_State *L) {
  lua_pushcfunction(L, m_set_media_handler);
  lua_setfield(L, -2, "setMediaHandler");
  lua_pushcfunction(L, m_codec_capabilities);
  lua_setfield(L, -2, "codecCapabilities");
}
