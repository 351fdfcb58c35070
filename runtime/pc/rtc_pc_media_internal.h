/* Private state of transceivers, shared by the pc/ media files. */
#ifndef RTC_PC_MEDIA_INTERNAL_H
#define RTC_PC_MEDIA_INTERNAL_H
#include "pc/rtc_pc_internal.h"
#include "pc/rtc_pc_media.h"
#include "rtp/rtc_rtp_dtmf.h"
#include "rtp/rtc_rtcp.h"
#include "rtp/rtc_rtp.h"
#include "rtp/rtc_rtp_codec.h"
#include "rtp/rtc_rtp_recv.h"
#include "rtp/rtc_rtp_send.h"
#include "rtp/rtc_rtp_twcc.h"
#include "sdp/rtc_sdp_codec.h"
#include "sdp/rtc_sdp_rtp.h"

#define RTC_PC_MAX_TRANSCEIVERS 32      /* bounded: a peer's offer creates them */
#define RTC_PC_MAX_CODECS 8             /* codec preferences per transceiver */
#define RTC_PC_RTCP_INTERVAL_US 1000000 /* RFC 3550 6.2 minimum is 5 s; WebRTC uses ~1 s */
#define RTC_PC_RTP_MTU 1200             /* RTP packet size we send (fits any path WebRTC uses) */

/* One simulcast layer's sender (rtc_pc_simulcast.c): what rtc_tr has for its one
 * stream, per rid. */
typedef struct rtc_tr_layer {
  char rid[RTC_TR_RID_MAX + 1];
  bool active;   /* W3C encoding.active */
  bool accepted; /* the answer took it (unpaused) */
  bool removed;  /* a remote answer left it out (W3C: gone from [[SendEncodings]]) */
  bool separate; /* fed by its own source */
  uint32_t ssrc, rtx_ssrc;
  rtc_rtp_send_t *send;
  rtc_rtp_payloader_t pl;
  uint8_t send_pt;
  bool seq_known, sent_since_bye;
  uint16_t next_seq, next_rtx_seq;
  uint64_t frames_sent, nacks_received, plis_received, firs_received;
} rtc_tr_layer_t;

/* One simulcast layer the peer sends us (rtc_pc_simrecv.c): a rid the offer's
 * a=simulcast:send lists and our answer takes, with the receive state rtc_tr has for
 * its one stream. SSRCs are learnt from the rid extensions (none are signalled). */
typedef struct rtc_tr_rx_layer {
  char rid[RTC_TR_RID_MAX + 1];
  bool paused;                           /* "~rid": answered, not received */
  uint32_t remote_ssrc, remote_rtx_ssrc; /* 0: unknown */
  rtc_rtp_recv_t *recv;
  uint8_t recv_pt;
  bool frame_events, rtp_events, unmuted;
  uint64_t plis_sent;
  uint16_t width, height; /* the last keyframe's picture, 0 until one */
} rtc_tr_rx_layer_t;

struct rtc_tr {
  int refs;
  rtc_pc_t *pc; /* NULL once the pc is gone */
  rtc_media_kind_t kind;
  char *mid; /* NULL until associated with an m-section */
  int mline; /* its index in the descriptions, -1 */
  rtc_tr_direction_t direction;
  int current_direction; /* -1 null */
  bool stopped;
  bool from_remote; /* made by setRemoteDescription (W3C: not reused for addTrack) */
  char *stream_id, *track_id;
  char *remote_stream_id, *remote_track_id;
  char *stable_stream_id; /* remote_stream_id as the current descriptions say: a rollback's */
  /* Codecs (sdp/rtc_sdp_codec.h): the application's preferences (none: all we
   * support), what we last offered, and the negotiated set (its primary codec is the
   * one we send; payload types and extension ids as negotiated). */
  rtc_sdp_codec_cap_t prefs[RTC_PC_MAX_CODECS];
  size_t n_prefs;
  rtc_sdp_codec_set_t offered, neg;
  bool negotiated;
  uint8_t ext_mid, ext_abs_send_time, ext_twcc; /* negotiated ids, 0: none */

  /* Sender. */
  uint32_t ssrc, rtx_ssrc;
  rtc_rtp_send_t *send;
  rtc_rtp_payloader_t pl;
  uint8_t send_pt;
  bool sending;
  uint64_t sending_since_us; /* when sending last became true (a negotiation) */
  /* A sender made again for the same SSRCs (sending resumes, another codec) goes on
   * with their sequence numbers: a random restart below the last one is a replay to
   * the peer's SRTP (RFC 3711 3.3.2), and the stream stayed silent half the time. */
  bool seq_known;
  uint16_t next_seq, next_rtx_seq;
  bool sent_since_bye; /* an earlier sender for the SSRC sent RTP since our last BYE */

  /* Receiver. */
  bool receiving, track_fired, frame_events, rtp_events;
  /* RFC 4733 (rtc_pc_dtmf.c): the event being sent, in timestamp units; what came in. */
  struct {
    bool active;
    uint8_t code, pt;
    uint32_t clock, ts, total, done, seg_start;
    uint64_t next_us;
  } dtmf;
  rtc_rtp_dtmf_rx_t dtmf_rx;
  uint64_t dtmf_events_sent, dtmf_events_received, dtmf_malformed;
  bool unmuted; /* the receiver's track as last announced (it starts muted) */
  /* W3C [[FiredDirection]] receives: the last description applied (the peer's offer or
   * answer, or our answer) has the peer send on this m-section. A track event fires
   * each time it becomes true, the track mutes each time it becomes false. */
  bool remote_sends;
  uint32_t remote_ssrc, remote_rtx_ssrc; /* 0: unknown */
  rtc_rtp_recv_t *recv;
  uint8_t recv_pt;
  uint16_t rx_width, rx_height; /* the last keyframe's picture, 0 until one */

  /* Simulcast: n_layers 0 without rids. Layer 0's SSRCs are ssrc/rtx_ssrc above
   * (an answer of ours signals them); with layers, send stays NULL. */
  rtc_tr_layer_t layers[RTC_TR_MAX_LAYERS];
  size_t n_layers;
  bool simulcast;            /* the answer negotiated it: layers carry their rid */
  uint8_t ext_rid, ext_rrid; /* negotiated ids, 0: none */

  /* Simulcast receiving: the peer's offered layers (n_rx 0: none), rx_sim once our
   * answer took them; tr->recv stays NULL then. rx_dropped: packets of an unknown rid
   * or SSRC without rid, dropped. */
  rtc_tr_rx_layer_t rx[RTC_TR_MAX_LAYERS];
  size_t n_rx;
  bool rx_sim;
  uint64_t rx_dropped;
  /* The rids the application asks to receive (rtc_tr_set_receive_rids): our offers ask
   * for them while no simulcast is received yet. */
  char rx_want[RTC_TR_MAX_LAYERS][RTC_TR_RID_MAX + 1];
  size_t n_rx_want;

  bool inactive; /* without layers: W3C encodings[0].active false (setParameters) */
  uint64_t frames_sent, nacks_received, plis_received, firs_received, plis_sent;
  uint8_t fir_seq;
  char error[160];
  void *userdata;
};

/* Media state of the pc (one per pc, in rtc_pc_t.media). */
typedef struct rtc_pc_media {
  rtc_tr_t *trs[RTC_PC_MAX_TRANSCEIVERS];
  size_t n_trs;
  char cname[20];              /* RFC 7022: one random CNAME per pc */
  /* One PT / extension-id space for the session (3 KB): made by the first
   * m-section with media (rtc__pc_media_space), none in a data-only pc (B3). */
  rtc_sdp_codec_space_t *space;
  uint64_t next_rtcp_us;
  uint16_t twcc_seq;
  /* Transport-wide CC, receive side: arrivals of the peer's packets, reported about
   * every 100 ms (what libwebrtc's estimator expects). Made on the first packet. */
  rtc_rtp_twcc_t *twcc;
  uint64_t next_twcc_us;
  uint64_t twcc_feedback_sent;
} rtc_pc_media_t;

/* rtc_pc_tr.c */
rtc_rtp_codec_t rtc__pc_rtp_codec(rtc_sdp_codec_id_t id); /* 0 when not payloadable */
rtc_tr_t *rtc__pc_tr_new(rtc_pc_t *pc, rtc_media_kind_t kind, rtc_tr_direction_t dir);
void rtc__pc_media_free(rtc_pc_t *pc);
/* pc->media->space, made zeroed on first use; NULL when out of memory. */
rtc_sdp_codec_space_t *rtc__pc_media_space(rtc_pc_t *pc);
rtc_tr_t *rtc__pc_tr_by_mid(const rtc_pc_t *pc, const char *mid);
void rtc__pc_tr_stop_now(rtc_tr_t *tr, bool fire);
/* Every failing rtc_tr_* call sets rtc_tr_error: the text of an earlier failure must
 * not stand for a later one. Returns err. */
int rtc__tr_fail(rtc_tr_t *tr, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The receiver's track muted or not: an event when that changes, never before the
 * track event (W3C webrtc-pc 9.3). */
void rtc__pc_tr_set_muted(rtc_pc_t *pc, rtc_tr_t *tr, bool muted);
/* Destroys the sender, keeping where its sequence numbers were; with bye, an RTCP
 * BYE for its SSRC first (RFC 3550 6.6) if the SSRC sent anything since the last. */
void rtc__pc_tr_drop_sender(rtc_pc_t *pc, rtc_tr_t *tr, bool bye);

/* RFC 3550 6.6: an RTCP BYE for one of our SSRCs; true when queued. */
bool rtc__pc_send_bye(rtc_pc_t *pc, uint32_t ssrc);

/* rtc_pc_rtp.c: one frame payloaded and sent with the sender given (a transceiver's
 * or a layer's); rid: the rtp-stream-id to write, or NULL. */
int rtc__pc_rtp_send_frame(rtc_pc_t *pc, rtc_tr_t *tr, rtc_rtp_payloader_t *pl,
                           rtc_rtp_send_t *send, const char *rid, uint64_t capture_us,
                           uint32_t rtp_timestamp, const uint8_t *p, size_t len, bool keyframe);

/* rtc_pc_simulcast.c: the layers of a transceiver with rids. */
int rtc__pc_sim_init(rtc_tr_t *tr, const char *const *rids, size_t n);
/* The a=rid send and a=simulcast:send lines for the layers marked in layers[] (nothing
 * when none is). */
int rtc__pc_sim_write(const rtc_tr_t *tr, rtc_sdp_media_t *m, const bool *layers);
/* Our answer to the peer's offer (view): the layers it asks to receive (a=simulcast:recv
 * and a=rid recv) marked in layers[]; returns how many. */
size_t rtc__pc_sim_answer_layers(const rtc_tr_t *tr, const rtc_sdp_rtp_t *offer, bool *layers);
/* A completed negotiation that sends: the layers the answer (view; ours: our answer,
 * its a=simulcast:send, else the peer's, its a=simulcast:recv) takes get senders,
 * the others lose theirs. */
void rtc__pc_sim_negotiated(rtc_pc_t *pc, rtc_tr_t *tr, const rtc_sdp_rtp_t *answer, bool ours);
void rtc__pc_sim_drop(rtc_pc_t *pc, rtc_tr_t *tr, bool bye);
bool rtc__pc_sim_sending(const rtc_tr_t *tr);
/* The layer whose media SSRC is ssrc (its transceiver in *trp, index in *idx). */
rtc_tr_layer_t *rtc__pc_sim_by_ssrc(rtc_pc_t *pc, uint32_t ssrc, rtc_tr_t **trp, size_t *idx);
/* Frames for the transceiver: every layer not fed separately. */
int rtc__pc_sim_send_frame(rtc_pc_t *pc, rtc_tr_t *tr, uint64_t capture_us, uint32_t ts,
                           const uint8_t *p, size_t len, bool keyframe);
/* An SR and SDES CNAME per sending layer. */
void rtc__pc_sim_reports(rtc_pc_t *pc, rtc_tr_t *tr, uint64_t now_us, uint64_t ntp);

/* rtc_pc_rtp.c helpers shared with the receive layers. */
rtc_rtp_recv_t *rtc__pc_rtp_make_recv(rtc_pc_t *pc, rtc_tr_t *tr, const rtc_sdp_codec_t *c,
                                      uint32_t ssrc, uint32_t rtx_ssrc);
const rtc_sdp_codec_t *rtc__pc_rtp_codec_by_pt(const rtc_tr_t *tr, uint8_t pt, bool *is_rtx);
void rtc__pc_rtp_event(rtc_pc_t *pc, rtc_tr_t *tr, int layer, const uint8_t *p, size_t len);
void rtc__pc_rtp_drain(rtc_pc_t *pc, rtc_tr_t *tr, rtc_rtp_recv_t *recv, bool events, int layer);
void rtc__pc_rtp_nacks_plis(rtc_pc_t *pc, rtc_tr_t *tr, rtc_rtp_recv_t *recv, uint32_t ssrc,
                            uint64_t *plis_sent);
void rtc__pc_rtcp_send(rtc_pc_t *pc, const uint8_t *p, int len);

/* rtc_pc_simrecv.c: the layers the peer sends us in simulcast. */
/* setRemoteDescription(offer): the rids of the m-section's a=simulcast:send (one per
 * stream: the first alternative with an a=rid send line; "~" paused), up to
 * RTC_TR_MAX_LAYERS, when the pc receives simulcast, the kind is video and the rid
 * extension is offered; none otherwise. */
void rtc__pc_simrx_from_offer(rtc_pc_t *pc, rtc_tr_t *tr, const rtc_sdp_rtp_t *offer);
/* a=rid:<rid> recv and a=simulcast:recv for them in our answer. */
int rtc__pc_simrx_write(const rtc_tr_t *tr, rtc_sdp_media_t *m, bool offer);
/* A negotiation applied: receiving in simulcast when our answer (view) has
 * a=simulcast:recv and the rid extension was negotiated; the layers' receivers go
 * otherwise. */
void rtc__pc_simrx_negotiated(rtc_pc_t *pc, rtc_tr_t *tr, const rtc_sdp_rtp_t *answer, bool ours);
void rtc__pc_simrx_drop(rtc_tr_t *tr);
/* How many unpaused layers (track events: one per layer). */
size_t rtc__pc_simrx_tracks(const rtc_tr_t *tr);
/* A packet for a transceiver receiving simulcast. */
void rtc__pc_simrx_input(rtc_pc_t *pc, rtc_tr_t *tr, const rtc_rtp_header_t *h, const uint8_t *p,
                         size_t len);
bool rtc__pc_simrx_has_ssrc(const rtc_tr_t *tr, uint32_t ssrc);
void rtc__pc_simrx_timeout(rtc_pc_t *pc, rtc_tr_t *tr, uint64_t now_us);
uint64_t rtc__pc_simrx_poll_timeout(const rtc_tr_t *tr);
void rtc__pc_simrx_sr(rtc_pc_t *pc, rtc_tr_t *tr, const rtc_rtcp_sr_t *sr);
void rtc__pc_simrx_bye(rtc_pc_t *pc, rtc_tr_t *tr, uint32_t ssrc);
/* Report blocks about the layers (at most max) into rb; returns how many. */
size_t rtc__pc_simrx_report_blocks(rtc_pc_t *pc, rtc_tr_t *tr, uint64_t now_us, rtc_rtcp_rb_t *rb,
                                   size_t max);
void rtc__pc_simrx_set_rtt(rtc_tr_t *tr, uint64_t rtt_us);

/* rtc_pc_msection.c: transceivers <-> m-sections (offer, answer, apply). */
int rtc__pc_offer_media(rtc_pc_t *pc, rtc_sdp_t *s, rtc_ice_agent_t *ice, const rtc_sdp_t *prev,
                        size_t idx);
int rtc__pc_offer_new_media(rtc_pc_t *pc, rtc_sdp_t *s, rtc_ice_agent_t *ice);
int rtc__pc_answer_media(rtc_pc_t *pc, rtc_sdp_t *s, const rtc_sdp_t *offer, size_t idx,
                         bool usable);
/* setRemoteDescription(offer): transceivers for new m-sections, track events. */
int rtc__pc_media_remote_offer(rtc_pc_t *pc, const rtc_sdp_t *remote);
/* W3C rollback: transceivers the rolled-back offer made go, mids it gave go back. */
void rtc__pc_media_rollback(rtc_pc_t *pc);
/* An answer completed a negotiation: directions, codecs, SSRCs, senders. */
void rtc__pc_media_negotiated(rtc_pc_t *pc, const rtc_sdp_t *local, const rtc_sdp_t *remote,
                              bool remote_is_answer);
bool rtc__pc_media_needs_negotiation(const rtc_pc_t *pc);

/* rtc_pc_rtp.c: packets. */
void rtc__pc_rtp_input(rtc_pc_t *pc, const uint8_t *p, size_t len);
void rtc__pc_rtcp_input(rtc_pc_t *pc, const uint8_t *p, size_t len);
void rtc__pc_media_timeout(rtc_pc_t *pc, uint64_t now_us);
/* rtc_pc_dtmf.c: the event timer; a received packet of the telephone-event codec c
 * (true: it was one, handled). */
void rtc__pc_dtmf_timeout(rtc_pc_t *pc, uint64_t now_us);
uint64_t rtc__pc_dtmf_poll_timeout(const rtc_pc_t *pc);
bool rtc__pc_dtmf_sending(const rtc_tr_t *tr);
bool rtc__pc_dtmf_input(rtc_pc_t *pc, rtc_tr_t *tr, const rtc_sdp_codec_t *c,
                        const rtc_rtp_header_t *h);
uint64_t rtc__pc_media_poll_timeout(const rtc_pc_t *pc);

#endif
