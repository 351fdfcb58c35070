/* Internal interface of the media binding files (not a public header): sinks, the
 * frame consumers a file source or a receiver's track feeds in C. */
#ifndef RTC_LUA_MEDIA_H
#define RTC_LUA_MEDIA_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rtc_lua.h"

#define RTC_LUA_SRC_MT "rtc.MediaSource"
#define RTC_LUA_MAX_SINKS 16

/* One encoded frame on its way to sinks. */
typedef struct rtc_lua_frame {
  const char *codec; /* a name of the media table: "VP8", "opus" */
  const uint8_t *p;
  size_t len;
  uint32_t ts; /* RTP timestamp */
  bool key;
  /* A received frame: the sender's NTP time of it from its RTCP SRs (0: unknown;
   * recorders align tracks with it). */
  uint64_t ntp;
  /* The instant of our monotonic clock (rtc_io_now_us) the frame stands for: a file
   * source's deadline for it, not the moment a late timer got to it, so that a sender's
   * SRs and a recorder's timeline keep two tracks in sync however late the loop runs. */
  uint64_t at_us;
  /* Out: the latest instant (same clock) from which a sink that took the frame could
   * take frames (a sender: its transport's handshake); 0 from sinks always able. */
  uint64_t ready_us;
} rtc_lua_frame_t;

/* Takes one frame: 0 when taken, negative RTC_E* when not (not connected yet, another
 * codec negotiated, closed). */
typedef int (*rtc_lua_sink_fn)(void *ud, rtc_lua_frame_t *f);

typedef struct rtc_lua_sinks {
  struct {
    rtc_lua_sink_fn fn;
    void *ud;
  } v[RTC_LUA_MAX_SINKS];
  size_t n;
} rtc_lua_sinks_t;

int rtc_lua_sinks_add(rtc_lua_sinks_t *s, rtc_lua_sink_fn fn, void *ud); /* RTC_ELIMIT */
void rtc_lua_sinks_remove(rtc_lua_sinks_t *s, void *ud);
int rtc_lua_sinks_write(rtc_lua_sinks_t *s, rtc_lua_frame_t *f);

/* Index of a codec name in the media table ("VP8", "opus", case-insensitive), or -1. */
int rtc_lua_media_codec_index(const char *name);
/* The recorder at idx as a sink. */
void *rtc_lua_rec_sink(lua_State *L, int idx, rtc_lua_sink_fn *fn);
/* rtc_lua_record.c: a recording's track port at idx as a sink, or NULL if it is not one;
 * the recording class and core.recording. */
void *rtc_lua_record_port_sink(lua_State *L, int idx, rtc_lua_sink_fn *fn);
void rtc_lua_record_open(lua_State *L);
void rtc_lua_record_funcs(lua_State *L);
/* The transceiver at idx as a sink (its sender), or NULL if idx is not one. */
void *rtc_lua_tr_sink(lua_State *L, int idx, rtc_lua_sink_fn *fn);
/* rtc_lua_encoding.c: a simulcast layer's port at idx as a sink, or NULL; its class
 * and the transceiver's layer methods (after rtc_lua_tr_open). */
void *rtc_lua_enc_sink(lua_State *L, int idx, rtc_lua_sink_fn *fn);
void rtc_lua_enc_open(lua_State *L);
/* rtc_lua_track.c: the live transceiver at idx (raises otherwise); the io kick after
 * something was queued on tr's pc. */
struct rtc_tr *rtc_lua_tr_get(lua_State *L, int idx);
void rtc_lua_tr_kick(struct rtc_tr *tr);

extern int rtc_lua_live_sources, rtc_lua_live_recorders, rtc_lua_live_trs;

/* rtc_lua_track.c: transceivers. */
struct rtc_tr;
void rtc_lua_tr_open(lua_State *L);  /* after rtc_lua_pc_open: adds the pc's media methods */
void rtc_lua_tr_funcs(lua_State *L); /* into the table on top */
/* Pushes tr's object (a new one owned by the pc object at pci if it has none). */
void rtc_lua_tr_push(lua_State *L, struct rtc_tr *tr, int pci);
/* Frame, keyframe-request and ended events: handled (true) or not a media event. */
bool rtc_lua_tr_event(lua_State *L, int pci, const rtc_pc_event_t *ev);
/* Fills the track event's table at evt (track, streams, receiver, transceiver). */
void rtc_lua_tr_fill_track_event(lua_State *L, int pci, const rtc_pc_event_t *ev, int evt);
/* inbound-rtp, outbound-rtp, remote-inbound-rtp, codec, media-source into report. */
void rtc_lua_tr_stats(lua_State *L, int report, rtc_pc_t *pc, double ts);

void rtc_lua_media_open(lua_State *L);
void rtc_lua_media_funcs(lua_State *L); /* into the table on top */

#endif
