/* Media in the peer connection: RTCRtpTransceiver, its sender and receiver (W3C
 * webrtc-pc 5.*), in C. What the Lua binding maps one to one (MediaStreamTrack,
 * addTrack, addTransceiver, getTransceivers, ontrack, ...).
 *
 * Model. A transceiver (rtc_tr_t) is one m-section once negotiated: a kind (audio or
 * video), a mid, a direction the application wants and the direction negotiated
 * (currentDirection). Its sender sends frames the application gives it; its receiver
 * hands the application the frames the peer sends. Transceivers come from
 *   - rtc_pc_add_transceiver (addTransceiver / addTrack): ours, offered in order;
 *   - setRemoteDescription of an offer with an audio/video m-section we have no
 *     transceiver for (W3C 4.4.1.6: direction recvonly, a new transceiver).
 * Every audio/video m-section shares the one BUNDLE transport (ICE + DTLS + SRTP).
 *
 * Codecs: ours are Opus/48000/2 for audio and VP8/90000 (with RTX, nack, nack pli,
 * ccm fir) for video, then (when asked for with rtc_tr_init.codecs or
 * rtc_tr_set_codec_preferences) the others the rtp module can payload: VP9, AV1, H264
 * (packetization-mode=1), PCMU, PCMA. An answer keeps the offerer's payload types and,
 * without preferences, its order among the codecs we support. The send
 * codec is the first of the negotiated list (rtc_tr_codec).
 *
 * Frames: rtc_tr_send_frame takes one encoded frame (the formats of rtp/rtc_rtp_codec.h:
 * IVF frame for VP8/VP9/AV1, Annex-B access unit for H.264, one Opus packet) with its
 * RTP timestamp; the pc payloads and protects it at once and queues the packets for
 * rtc_pc_poll_transmit (the io layer sends them on its kick after the call).
 * Received frames come as RTC_PC_EVENT_TRACK_FRAME events only after
 * rtc_tr_set_frame_events(tr, true): a pc nobody reads media from pays for no copies.
 *
 * Events (rtc_pc_event_t, see rtc_pc.h): RTC_PC_EVENT_TRACK (tr: the receiver's track
 * appeared, W3C "track" fired from setRemoteDescription: each time the transceiver
 * starts receiving, or the peer names another stream for it), RTC_PC_EVENT_TRACK_REMOVED
 * (tr: a description stopped the peer sending it, W3C "process the removal of a remote
 * track": it leaves its streams; after its mute, before the track events of the same
 * description), RTC_PC_EVENT_TRACK_STREAMS (tr: its track joins the streams its track
 * event names; all of a description's, after its removals, before its track events),
 * RTC_PC_EVENT_TRACK_FRAME
 * (tr, data/len, timestamp, keyframe), RTC_PC_EVENT_TRACK_RTP (tr, data/len: one
 * RTP packet, when asked for), RTC_PC_EVENT_KEYFRAME_REQUEST (tr: the peer
 * asked for a keyframe with PLI or FIR: encode one), RTC_PC_EVENT_TRACK_ENDED (tr:
 * the m-section was rejected or stopped; the receiver's track ends),
 * RTC_PC_EVENT_TRACK_MUTE (tr, state 0: the first RTP packet after the track event or
 * after a mute; state 1: the peer stopped sending it, by negotiation or RTCP BYE; W3C
 * webrtc-pc 9.3: a receiver's track starts muted). Event ev.tr is
 * borrowed: rtc_tr_ref it to keep it.
 *
 * Lifetime: the pc owns its transceivers; a handle the application keeps (rtc_tr_ref)
 * stays a valid object after rtc_pc_destroy but reports stopped and sends nothing. */
#ifndef RTC_PC_MEDIA_H
#define RTC_PC_MEDIA_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pc/rtc_pc.h"

typedef struct rtc_tr rtc_tr_t;

typedef enum rtc_media_kind {
  RTC_MEDIA_AUDIO = 0,
  RTC_MEDIA_VIDEO,
} rtc_media_kind_t;

/* W3C RTCRtpTransceiverDirection. */
typedef enum rtc_tr_direction {
  RTC_TR_SENDRECV = 0,
  RTC_TR_SENDONLY,
  RTC_TR_RECVONLY,
  RTC_TR_INACTIVE,
  RTC_TR_STOPPED,
} rtc_tr_direction_t;

typedef struct rtc_tr_init {
  rtc_media_kind_t kind;
  rtc_tr_direction_t direction; /* default sendrecv */
  /* a=msid (RFC 8830): the MediaStream id ("" or NULL: none, written "-") and the
   * track id (NULL: a random one). */
  const char *stream_id;
  const char *track_id;
  /* Codec names to offer, in preference order ("VP8", "H264", "opus", ...); NULL:
   * the default for the kind. Unknown names: RTC_ENOTSUP. */
  const char *const *codecs;
  size_t n_codecs;
  /* Simulcast (W3C sendEncodings with rids, RFC 8853): one RTP stream per rid, in
   * order (2..RTC_TR_MAX_LAYERS; video only; each rtc_tr_rid_valid, all different).
   * n_rids 0: one stream without rid, as before. */
  const char *const *rids;
  size_t n_rids;
} rtc_tr_init_t;
void rtc_tr_init_defaults(rtc_tr_init_t *init, rtc_media_kind_t kind);

/* addTransceiver: a new transceiver with one reference for the caller, or NULL
 * (rtc_pc_error: closed pc, unknown codec, limit). Fires negotiationneeded. */
rtc_tr_t *rtc_pc_add_transceiver(rtc_pc_t *pc, const rtc_tr_init_t *init);
/* getTransceivers(): borrowed, in creation order; returns how many (<= max). */
size_t rtc_pc_transceivers(const rtc_pc_t *pc, rtc_tr_t **out, size_t max);

rtc_tr_t *rtc_tr_ref(rtc_tr_t *tr);
void rtc_tr_unref(rtc_tr_t *tr);         /* NULL is fine */
rtc_pc_t *rtc_tr_pc(const rtc_tr_t *tr); /* NULL once the pc is destroyed */
rtc_media_kind_t rtc_tr_kind(const rtc_tr_t *tr);
const char *rtc_tr_mid(const rtc_tr_t *tr); /* NULL until negotiated */
rtc_tr_direction_t rtc_tr_direction(const rtc_tr_t *tr);
/* -1 (null) until negotiated; then the negotiated direction, or RTC_TR_STOPPED. */
int rtc_tr_current_direction(const rtc_tr_t *tr);
/* RTC_ESTATE when stopped; RTC_EINVAL for RTC_TR_STOPPED (use rtc_tr_stop). Fires
 * negotiationneeded when it changes what the next offer says. */
int rtc_tr_set_direction(rtc_tr_t *tr, rtc_tr_direction_t dir);
/* W3C stop(): the sender stops, the receiver's track ends, the next offer rejects the
 * m-section (port 0) and its place may be reused by a later transceiver. */
int rtc_tr_stop(rtc_tr_t *tr);
bool rtc_tr_stopped(const rtc_tr_t *tr);

/* The codec the sender uses (negotiated): name ("VP8", "opus"), clock rate, channels,
 * payload type. False before negotiation. Strings borrowed from the transceiver. */
typedef struct rtc_tr_codec {
  const char *name;
  uint32_t clock_rate;
  uint8_t channels;
  uint8_t pt;
  const char *fmtp; /* NULL when none */
} rtc_tr_codec_t;
bool rtc_tr_codec(const rtc_tr_t *tr, rtc_tr_codec_t *out);

/* Our sender's track and stream ids (a=msid) and the peer's (from its m-section,
 * NULL when it sent none). */
const char *rtc_tr_track_id(const rtc_tr_t *tr);
const char *rtc_tr_stream_id(const rtc_tr_t *tr);
const char *rtc_tr_remote_track_id(const rtc_tr_t *tr);
const char *rtc_tr_remote_stream_id(const rtc_tr_t *tr);

/* Sends one encoded frame. rtp_timestamp is in the codec's clock (90 kHz video, 48 kHz
 * Opus) and chosen by the application (it starts anywhere). Errors: RTC_ESTATE (not
 * negotiated to send, transport not connected yet: the frame is dropped, nothing
 * queued), RTC_ETOOBIG (an audio frame above one packet), RTC_EPARSE (a bitstream the
 * payloader cannot cut), RTC_EAGAIN (the send ring is full: the pc drops the rest of
 * the frame; poll transmit more often). rtc_tr_error says which. */
int rtc_tr_send_frame(rtc_tr_t *tr, uint32_t rtp_timestamp, const uint8_t *p, size_t len,
                      bool keyframe);
/* The same with the time given: now_us, the present (the pc's clock moves on to it: a
 * frame sent between two of the pc's events would otherwise carry the time of the last
 * one), and capture_us, the instant rtp_timestamp stands for (0: now_us). SRs map
 * the RTP clock to NTP from the capture instant, as libwebrtc does from a frame's
 * capture time: taken from the send instead, a frame sent late would shift its track
 * against the others by as much in the receiver's lip sync. */
int rtc_tr_send_frame_at(rtc_tr_t *tr, uint64_t now_us, uint64_t capture_us, uint32_t rtp_timestamp,
                         const uint8_t *p, size_t len, bool keyframe);
/* The instant (the pc's clock) from which the transceiver could send frames: the later
 * of its transport's DTLS handshake and the negotiation that made it send; 0 while it
 * cannot. File sources start their clocks there, so that a connection's audio and video
 * files start together however late the loop serves each one's timer. */
uint64_t rtc_tr_send_ready_us(const rtc_tr_t *tr);
/* DTMF (RFC 4733), W3C RTCDTMFSender.canInsertDTMF: an audio sender sending, with a
 * telephone-event negotiated at its codec's clock rate. insert_dtmf_event plays one
 * event (code 0..15: '0'-'9', '*', '#', 'A'-'D') for duration_ms from now: RTC_EINVAL,
 * RTC_ESTATE (cannot, not connected, or one is playing). The received
 * events come as RTC_PC_EVENT_TRACK_DTMF. */
bool rtc_tr_can_insert_dtmf(const rtc_tr_t *tr);
int rtc_tr_insert_dtmf_event(rtc_tr_t *tr, int code, uint32_t duration_ms);
/* Asks the peer's sender for a keyframe (RTCP PLI; video only). RTC_ESTATE before the
 * peer's SSRC is known. */
int rtc_tr_request_keyframe(rtc_tr_t *tr);
/* Frame events (RTC_PC_EVENT_TRACK_FRAME) for this receiver on/off (default off). */
void rtc_tr_set_frame_events(rtc_tr_t *tr, bool on);
/* RTP events (RTC_PC_EVENT_TRACK_RTP: each received RTP packet of this receiver, after
 * SRTP, before reordering; RTX included) on/off (default off): for recorders and
 * forwarders that want the packets themselves. */
void rtc_tr_set_rtp_events(rtc_tr_t *tr, bool on);
/* ---- simulcast sending (RFC 8853, RFC 8851 rid, RFC 8852 rtp-stream-id) ----
 *
 * A transceiver made with rids offers "a=rid:<rid> send" for each and
 * "a=simulcast:send <rid>;<rid>;...", no a=ssrc lines (as Chrome's unified-plan
 * offers). The answer decides the layers that are sent: those its a=simulcast:recv
 * lists unpaused ("~rid" is paused) with an "a=rid:<rid> recv" line, one per stream
 * (of alternatives "a,b": the first one we have); an answer
 * without a=simulcast (or without the rtp-stream-id extension) gets the first layer
 * only, without rid (RFC 8853 5.3, JSEP 5.8). An answer we write (the peer offered)
 * sends the rids the offer's a=simulcast:recv asks for among ours (JSEP 5.3.1), with
 * "a=rid:<rid> send" and "a=simulcast:send"; none: the first layer only, its SSRC
 * signalled.
 * Each layer has its own SSRC (and RTX SSRC), sequence numbers, SR and SDES, and
 * carries its rid in every packet (repaired-rtp-stream-id on RTX). NACK, PLI and FIR
 * for a layer's SSRC act on that layer: RTC_PC_EVENT_KEYFRAME_REQUEST has ev.state =
 * layer index + 1 (0: a transceiver without layers). */
#define RTC_TR_MAX_LAYERS 3 /* libwebrtc's kMaxSimulcastStreams */
#define RTC_TR_RID_MAX 16   /* RFC 8852: the longest one-byte header element */
/* RFC 8851 10: rid-id = 1*(alpha-numeric / "-" / "_"), here at most RTC_TR_RID_MAX. */
bool rtc_tr_rid_valid(const char *rid);
size_t rtc_tr_layers(const rtc_tr_t *tr); /* 0: no simulcast */
/* Whether layer i is gone from the sender's encodings (W3C webrtc-pc 4.4.1.5: a remote
 * answer without simulcast keeps the first alone, one with simulcast drops the rids it
 * does not list, paused or not). Permanent: the next offers leave it out. */
bool rtc_tr_layer_removed(const rtc_tr_t *tr, size_t i);
/* W3C RTCRtpEncodingParameters.active (setParameters): an inactive layer sends nothing
 * (its SSRC stays). A transceiver without layers has one encoding, index 0: inactive,
 * its frames are refused (RTC_ESTATE). RTC_EINVAL for an index beyond the encodings. */
int rtc_tr_set_layer_active(rtc_tr_t *tr, size_t i, bool active);
/* A layer fed by a source of its own (luartc: an encoding with its own track): frames
 * given to rtc_tr_send_frame* skip it; rtc_tr_send_layer_frame_at feeds it. */
int rtc_tr_set_layer_separate(rtc_tr_t *tr, size_t i, bool separate);
/* rtc_tr_send_frame_at for layer i alone. RTC_ESTATE when it does not send
 * (inactive, refused by the answer, not negotiated). */
int rtc_tr_send_layer_frame_at(rtc_tr_t *tr, size_t i, uint64_t now_us, uint64_t capture_us,
                               uint32_t rtp_timestamp, const uint8_t *p, size_t len, bool keyframe);
typedef struct rtc_tr_layer_stats {
  const char *rid; /* borrowed from the transceiver */
  uint32_t ssrc;
  bool active, sending; /* sending: the answer took it and it has a sender */
  uint64_t packets_sent, bytes_sent, frames_sent, retransmitted_packets_sent;
  uint64_t nack_count_received, pli_count_received, fir_count_received;
  uint64_t remote_packets_lost;
  double round_trip_time_s;
} rtc_tr_layer_stats_t;
/* False for an index beyond the layers. */
bool rtc_tr_get_layer_stats(const rtc_tr_t *tr, size_t i, rtc_tr_layer_stats_t *out);

/* ---- simulcast receiving (RFC 8853, RFC 8852, JSEP 5.8) ----
 *
 * A peer's offer whose video m-section has "a=simulcast:send q;h;f" with "a=rid:<rid>
 * send" lines and the rtp-stream-id extension (Chrome publishing with sendEncodings)
 * gets an answer with "a=rid:<rid> recv" for each offered stream (in the offer's order;
 * of alternatives "a,b" the first; "~rid" kept paused; at most RTC_TR_MAX_LAYERS)
 * and "a=simulcast:recv q;h;f", unless rtc_pc_config_t.simulcast_receive_off. Each
 * unpaused rid is a layer of the transceiver's receiver: RTC_PC_EVENT_TRACK fires once
 * per layer (ev.layer = 1-based index) instead of once, and the layer's frames, RTP
 * packets and mute events carry ev.layer. The layers' SSRCs are not signalled: the
 * first packet with a rid (RTX: repaired-rtp-stream-id) binds its SSRC to that layer;
 * packets of another rid or of an unknown SSRC without one are dropped and counted
 * (rtc_tr_rx_dropped). Each layer has its own reordering, NACK/RTX, PLI, report block
 * and stats. Our offer asks for simulcast when the application set rids to receive
 * (rtc_tr_set_receive_rids, an SFU's role); a re-offer while receiving it asks for the
 * same layers (a=rid recv, a=simulcast:recv), and the peer's answer keeps those its
 * a=simulcast:send lists (RFC 8853 5.3: an answerer may drop or pause any). */
size_t rtc_tr_rx_layers(const rtc_tr_t *tr);                  /* 0: no simulcast received */
/* luartc extension (no W3C API asks to receive simulcast): the rids our next offers ask
 * the peer to send, in order (2..RTC_TR_MAX_LAYERS, each rtc_tr_rid_valid, all
 * different; n 0 clears), while this video transceiver receives no simulcast yet.
 * RTC_EINVAL (message in rtc_tr_error) otherwise; no negotiationneeded by itself. */
int rtc_tr_set_receive_rids(rtc_tr_t *tr, const char *const *rids, size_t n);
const char *rtc_tr_rx_layer_rid(const rtc_tr_t *tr, size_t i); /* NULL beyond */
/* true for a layer answered paused ("~rid"): it gets no track and no media. */
bool rtc_tr_rx_layer_paused(const rtc_tr_t *tr, size_t i);
void rtc_tr_set_layer_frame_events(rtc_tr_t *tr, size_t i, bool on);
void rtc_tr_set_layer_rtp_events(rtc_tr_t *tr, size_t i, bool on);
/* A PLI for layer i's SSRC alone. RTC_ESTATE before its first packet. */
int rtc_tr_request_layer_keyframe(rtc_tr_t *tr, size_t i);
uint64_t rtc_tr_rx_dropped(const rtc_tr_t *tr);
typedef struct rtc_tr_rx_layer_stats {
  const char *rid; /* borrowed */
  uint32_t ssrc;   /* the peer's, 0 until its first packet */
  uint64_t packets_received, bytes_received, frames_received, frames_dropped;
  int64_t packets_lost;
  uint64_t nack_count_sent, pli_count_sent;
  double jitter_s;
  uint16_t frame_width, frame_height; /* the last keyframe's; 0 until one */
} rtc_tr_rx_layer_stats_t;
bool rtc_tr_get_rx_layer_stats(const rtc_tr_t *tr, size_t i, rtc_tr_rx_layer_stats_t *out);

/* What the last failing rtc_tr_* call of this transceiver failed on (each sets it). */
const char *rtc_tr_error(const rtc_tr_t *tr);

/* W3C setCodecPreferences(codecs) (webrtc-pc 5.4): any time; takes effect at the next
 * createOffer / createAnswer. n 0 resets to the defaults. Each entry (an
 * RTCRtpCodecCapability, sdp/rtc_sdp_codec.h) must match one of the receive
 * capabilities of the kind exactly (codec dictionary match: mimeType case-insensitively,
 * clockRate, channels and sdpFmtpLine present in both and equal, or absent in both);
 * duplicates are dropped, the first kept. RTC_EINVAL (InvalidModificationError, the
 * message in rtc_tr_error) for an entry that matches none or a list with only RTX.
 * An offer lists the preferred codecs only, in that order (RTX when "video/rtx" is
 * among them); an answer the offered ones among them in our order (JSEP 5.3.1), and
 * rejects the m-section when none is left (what Chromium does). Payload types
 * negotiated before stay. No negotiationneeded (W3C: preferences are not part of it). */
struct rtc_sdp_codec_cap;
int rtc_tr_set_codec_preferences(rtc_tr_t *tr, const struct rtc_sdp_codec_cap *codecs, size_t n);

/* One opaque pointer for the binding (its Lua object). */
void rtc_tr_set_userdata(rtc_tr_t *tr, void *ud);
void *rtc_tr_get_userdata(const rtc_tr_t *tr);

/* webrtc-stats outbound-rtp / inbound-rtp (and the remote side the peer's reports
 * give). */
typedef struct rtc_tr_stats {
  uint32_t ssrc; /* ours, 0 when not sending */
  uint64_t packets_sent, bytes_sent, frames_sent, retransmitted_packets_sent;
  uint64_t nack_count_received, pli_count_received, fir_count_received;
  uint64_t remote_packets_lost; /* from the peer's report blocks */
  double round_trip_time_s;     /* from the peer's report blocks; 0 unknown */
  uint32_t remote_ssrc;         /* the peer's, 0 until known */
  uint64_t packets_received, bytes_received, frames_received, frames_dropped;
  int64_t packets_lost;
  uint64_t nack_count_sent, pli_count_sent;
  double jitter_s;
  uint16_t frame_width, frame_height; /* the last received keyframe's; 0 until one */
} rtc_tr_stats_t;
void rtc_tr_get_stats(const rtc_tr_t *tr, rtc_tr_stats_t *out);

#endif
