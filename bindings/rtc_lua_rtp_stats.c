/* getStats()' RTP objects (W3C webrtc-stats): codec, media-source, outbound-rtp,
 * remote-inbound-rtp and inbound-rtp per transceiver, and per simulcast layer. */
#include <stdio.h>
#include <string.h>

#include "pc/rtc_pc_media.h"
#include "rtc_lua_media.h"

#define TR_MAX 64

static void set_num(lua_State *L, const char *k, double v) {
  lua_pushnumber(L, v);
  lua_setfield(L, -2, k);
}

static void set_str(lua_State *L, const char *k, const char *v) {
  if (!v) return;
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

/* W3C webrtc-stats (RTP objects). What one RTP stream's stats objects say, from either a transceiver's own stream or a
 * simulcast layer's (their C structs differ). */
typedef struct rtp_out {
  uint32_t ssrc;
  const char *rid; /* NULL: no simulcast */
  bool active;
  uint64_t packets, bytes, rtx_packets, nacks, frames, plis, firs, remote_lost;
  double rtt_s;
} rtp_out_t;

typedef struct rtp_in {
  uint32_t ssrc;
  const char *rid;
  uint64_t packets, bytes, nacks, frames, frames_dropped, plis;
  int64_t lost;
  double jitter_s;
  uint16_t width, height;
} rtp_in_t;

/* Labels shared by a transceiver's stats objects. */
typedef struct tr_ids {
  rtc_tr_t *tr;
  size_t i;
  const char *kind, *mid, *cid, *msid;
  bool video;
} tr_ids_t;

/* outbound-rtp and the remote-inbound-rtp the peer's report blocks give. */
static void push_outbound(lua_State *L, int report, const tr_ids_t *t, const rtp_out_t *o, double ts) {
  char id[64], rid[64];
  snprintf(id, sizeof(id), "OT%zu_%u", t->i, o->ssrc);
  snprintf(rid, sizeof(rid), "RI%zu_%u", t->i, o->ssrc);
  stats_new(L, report, id, "outbound-rtp", ts);
  set_num(L, "ssrc", o->ssrc);
  if (o->rid) set_str(L, "rid", o->rid);
  set_str(L, "kind", t->kind);
  set_str(L, "mid", t->mid);
  set_str(L, "transportId", "T");
  if (t->cid[0]) set_str(L, "codecId", t->cid);
  set_str(L, "mediaSourceId", t->msid);
  set_str(L, "remoteId", rid);
  if (o->rid) {
    lua_pushboolean(L, o->active);
    lua_setfield(L, -2, "active");
  }
  set_num(L, "packetsSent", (double)o->packets);
  set_num(L, "bytesSent", (double)o->bytes);
  set_num(L, "retransmittedPacketsSent", (double)o->rtx_packets);
  set_num(L, "nackCount", (double)o->nacks);
  if (t->video) {
    set_num(L, "framesSent", (double)o->frames);
    set_num(L, "pliCount", (double)o->plis);
    set_num(L, "firCount", (double)o->firs);
  }
  lua_pop(L, 1);
  stats_new(L, report, rid, "remote-inbound-rtp", ts);
  set_num(L, "ssrc", o->ssrc);
  set_str(L, "kind", t->kind);
  set_str(L, "transportId", "T");
  if (t->cid[0]) set_str(L, "codecId", t->cid);
  set_str(L, "localId", id);
  set_num(L, "packetsLost", (double)o->remote_lost);
  if (o->rtt_s > 0) set_num(L, "roundTripTime", o->rtt_s);
  lua_pop(L, 1);
}

static void push_inbound(lua_State *L, int report, const tr_ids_t *t, const rtp_in_t *in, double ts) {
  char id[64];
  snprintf(id, sizeof(id), "IT%zu_%u", t->i, in->ssrc);
  stats_new(L, report, id, "inbound-rtp", ts);
  set_num(L, "ssrc", in->ssrc);
  if (in->rid) set_str(L, "rid", in->rid);
  set_str(L, "kind", t->kind);
  set_str(L, "mid", t->mid);
  set_str(L, "transportId", "T");
  if (t->cid[0]) set_str(L, "codecId", t->cid);
  set_str(L, "trackIdentifier", rtc_tr_remote_track_id(t->tr));
  set_num(L, "packetsReceived", (double)in->packets);
  set_num(L, "bytesReceived", (double)in->bytes);
  set_num(L, "packetsLost", (double)in->lost);
  set_num(L, "jitter", in->jitter_s);
  set_num(L, "nackCount", (double)in->nacks);
  if (t->video) {
    set_num(L, "framesReceived", (double)in->frames);
    set_num(L, "framesDropped", (double)in->frames_dropped);
    set_num(L, "pliCount", (double)in->plis);
    if (in->width) set_num(L, "frameWidth", in->width);
    if (in->height) set_num(L, "frameHeight", in->height);
  }
  lua_pop(L, 1);
}

static void push_media_source(lua_State *L, int report, const tr_ids_t *t, const uint64_t *frames,
                              double ts) {
  stats_new(L, report, t->msid, "media-source", ts);
  set_str(L, "kind", t->kind);
  set_str(L, "trackIdentifier", rtc_tr_track_id(t->tr));
  if (frames && t->video) set_num(L, "frames", (double)*frames);
  lua_pop(L, 1);
}

/* One outbound-rtp per simulcast layer that sends, with its rid and active (as
 * libwebrtc reports them), and one media-source for the track they share. */
static void layer_stats(lua_State *L, int report, const tr_ids_t *t, double ts) {
  rtc_tr_layer_stats_t s;
  bool source_made = false;
  for (size_t k = 0; rtc_tr_get_layer_stats(t->tr, k, &s); k++) {
    if (!s.packets_sent && !s.sending) continue;
    if (!source_made) push_media_source(L, report, t, NULL, ts);
    source_made = true;
    rtp_out_t o = {s.ssrc, s.rid, s.active, s.packets_sent, s.bytes_sent, s.retransmitted_packets_sent,
                   s.nack_count_received, s.frames_sent, s.pli_count_received, s.fir_count_received,
                   s.remote_packets_lost, s.round_trip_time_s};
    push_outbound(L, report, t, &o, ts);
  }
}

/* One inbound-rtp per simulcast layer received, with its rid (as libwebrtc-based SFUs
 * report them). */
static void rx_layer_stats(lua_State *L, int report, const tr_ids_t *t, double ts) {
  rtc_tr_rx_layer_stats_t s;
  for (size_t k = 0; rtc_tr_get_rx_layer_stats(t->tr, k, &s); k++) {
    if (!s.ssrc) continue;
    rtp_in_t in = {s.ssrc, s.rid, s.packets_received, s.bytes_received, s.nack_count_sent,
                   s.frames_received, s.frames_dropped, s.pli_count_sent, s.packets_lost, s.jitter_s,
                   s.frame_width, s.frame_height};
    push_inbound(L, report, t, &in, ts);
  }
}

void rtc_lua_tr_stats(lua_State *L, int report, rtc_pc_t *pc, double ts) {
  rtc_tr_t *list[TR_MAX];
  size_t n = rtc_pc_transceivers(pc, list, TR_MAX);
  for (size_t i = 0; i < n; i++) {
    rtc_tr_t *tr = list[i];
    rtc_tr_stats_t s;
    rtc_tr_get_stats(tr, &s);
    bool video = rtc_tr_kind(tr) == RTC_MEDIA_VIDEO;
    char cid[48], msid[48];
    tr_ids_t t = {tr, i, video ? "video" : "audio", rtc_tr_mid(tr), cid, msid, video};
    snprintf(msid, sizeof(msid), "MS%zu", i);
    rtc_tr_codec_t c;
    cid[0] = 0;
    if (rtc_tr_codec(tr, &c)) {
      snprintf(cid, sizeof(cid), "C%zu_%u", i, c.pt);
      stats_new(L, report, cid, "codec", ts);
      set_str(L, "transportId", "T");
      set_num(L, "payloadType", c.pt);
      lua_pushfstring(L, "%s/%s", t.kind, c.name);
      lua_setfield(L, -2, "mimeType");
      set_num(L, "clockRate", c.clock_rate);
      if (c.channels) set_num(L, "channels", c.channels);
      set_str(L, "sdpFmtpLine", c.fmtp);
      lua_pop(L, 1);
    }
    if (s.ssrc) {
      push_media_source(L, report, &t, &s.frames_sent, ts);
      rtp_out_t o = {s.ssrc, NULL, true, s.packets_sent, s.bytes_sent, s.retransmitted_packets_sent,
                     s.nack_count_received, s.frames_sent, s.pli_count_received, s.fir_count_received,
                     s.remote_packets_lost, s.round_trip_time_s};
      push_outbound(L, report, &t, &o, ts);
    }
    layer_stats(L, report, &t, ts);
    rx_layer_stats(L, report, &t, ts);
    if (s.remote_ssrc) {
      rtp_in_t in = {s.remote_ssrc, NULL, s.packets_received, s.bytes_received, s.nack_count_sent,
                     s.frames_received, s.frames_dropped, s.pli_count_sent, s.packets_lost, s.jitter_s,
                     s.frame_width, s.frame_height};
      push_inbound(L, report, &t, &in, ts);
    }
  }
}

