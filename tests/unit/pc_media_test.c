/* Media through the pc C API: transceivers negotiated against real offers and answers
 * of other implementations (tests/fixtures/sdp), and two pcs wired together in memory
 * on a virtual clock exchanging VP8 and Opus frames (tests/fixtures/media through the
 * media readers) over ICE + DTLS-SRTP, with no data channel (DTLS starts for a
 * media-only session), byte-identical at the other end. */
#include <stdlib.h>
#include <string.h>

#include "base/rtc_err.h"
#include "base/rtc_log.h"
#include "base/rtc_time.h"
#include "media/rtc_media_ivf.h"
#include "media/rtc_media_ogg.h"
#include "pc/rtc_pc.h"
#include "pc/rtc_pc_media.h"
#include "pc/rtc_pc_media_internal.h" /* the TWCC feedback count */
#include "rtc_test.h"
#include "rtc_test_pair.h"
#include "rtp/rtc_rtp_twcc.h"
#include "transport/rtc_transport.h"
#include "sctp/rtc_sctp.h"

static uint64_t now_us = 1000000;

static char *read_fixture(const char *name) {
  char path[256];
  snprintf(path, sizeof(path), RTC_TEST_FIXTURES "/%s", name);
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  char *buf = calloc(1, 65536);
  size_t n = fread(buf, 1, 65535, f);
  buf[n] = 0;
  fclose(f);
  return buf;
}

static size_t count(const char *hay, const char *needle) {
  size_t n = 0;
  for (const char *p = hay; (p = strstr(p, needle)); p++)
    n++;
  return n;
}

/* The m-section of kind ("m=audio") in sdp, as a malloc'd copy up to the next m=. */
static char *msection(const char *sdp, const char *start) {
  const char *p = strstr(sdp, start);
  if (!p) return NULL;
  const char *e = strstr(p + 2, "\r\nm=");
  size_t len = e ? (size_t)(e - p) : strlen(p);
  char *out = malloc(len + 1);
  memcpy(out, p, len);
  out[len] = 0;
  return out;
}

typedef struct evcount {
  int tracks, ended, frames, keyframe_requests;
  rtc_tr_t *track_tr[4];
} evcount_t;

static void drain(rtc_pc_t *pc, evcount_t *c) {
  rtc_pc_event_t ev;
  while (rtc_pc_poll_event(pc, &ev)) {
    if (ev.type == RTC_PC_EVENT_TRACK && c->tracks < 4) c->track_tr[c->tracks++] = ev.tr;
    if (ev.type == RTC_PC_EVENT_TRACK_ENDED) c->ended++;
    if (ev.type == RTC_PC_EVENT_KEYFRAME_REQUEST) c->keyframe_requests++;
  }
}

/* A remote offer with audio + video + data from each implementation: answered with
 * recvonly audio/video (we have nothing to send), a codec we support, every m-line in
 * our BUNDLE group with the same ICE credentials, and a track event per m-section. */
static void test_av_offers_answered(void) {
  const char *files[] = {"chromium-156-offer-audio-video-datachannel.sdp",
                         "firefox-153-offer-audio-video-datachannel.sdp",
                         "aiortc-1.4-offer-audio-video-datachannel.sdp",
                         "gstreamer-1.22-offer-audio-video-datachannel.sdp",
                         "pion-3.1-offer-audio-video-datachannel.sdp",
                         "werift-0.24-offer-audio-video-datachannel.sdp",
                         "libwebrtc-m106-offer-audio-video-datachannel.sdp",
                         "libdatachannel-0.24-offer-audio-video-datachannel.sdp",
                         "chromium-156-offer-audio-video-datachannel-mdns.sdp",
                         "chromium-156-reoffer-ice-restart-audio-video-datachannel.sdp",
                         "firefox-153-reoffer-ice-restart-audio-video-datachannel.sdp"};
  for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
    char *offer = read_fixture(files[i]);
    CHECK(offer != NULL);
    if (!offer) continue;
    rtc_pc_t *pc = rtc_pc_create(NULL, now_us);
    int r = rtc_pc_set_remote_description(pc, RTC_SDP_OFFER, offer);
    if (r) fprintf(stderr, "  %s: %s\n", files[i], rtc_pc_error(pc));
    CHECK_EQ_INT(r, 0);
    evcount_t c = {0};
    drain(pc, &c);
    CHECK_EQ_INT(c.tracks, 2);
    rtc_tr_t *trs[8];
    CHECK_EQ_INT((int)rtc_pc_transceivers(pc, trs, 8), 2);
    char *answer = NULL;
    CHECK_EQ_INT(rtc_pc_create_answer(pc, &answer), 0);
    if (!answer) {
      rtc_pc_destroy(pc);
      free(offer);
      continue;
    }
    char *audio = msection(answer, "m=audio"), *video = msection(answer, "m=video");
    CHECK(audio && strncmp(audio, "m=audio 9 UDP/TLS/RTP/SAVPF ", 28) == 0);
    CHECK(video && strncmp(video, "m=video 9 UDP/TLS/RTP/SAVPF ", 28) == 0);
    CHECK(audio && strstr(audio, "a=recvonly") && strstr(audio, "opus/48000/2"));
    CHECK(video && strstr(video, "a=recvonly") && strstr(video, "VP8/90000"));
    CHECK(video && strstr(video, "a=rtcp-fb:") && strstr(video, "nack pli"));
    CHECK(audio && strstr(audio, "a=rtcp-mux"));
    CHECK(audio && !strstr(audio, "a=ssrc:")); /* recvonly: no SSRC of ours */
    /* One transport: BUNDLE of three mids, one ufrag on every m-line, candidates none
     * yet (not gathered). */
    CHECK(strstr(answer, "a=group:BUNDLE ") != NULL);
    CHECK_EQ_INT((int)count(answer, "a=ice-ufrag:"), 3);
    const char *uf = strstr(answer, "a=ice-ufrag:");
    char ufrag[64] = "";
    if (uf) sscanf(uf, "a=ice-ufrag:%63s", ufrag);
    char needle[80];
    snprintf(needle, sizeof(needle), "a=ice-ufrag:%s", ufrag);
    CHECK_EQ_INT((int)count(answer, needle), 3);
    CHECK_EQ_INT(rtc_pc_set_local_description(pc, RTC_SDP_ANSWER, answer), 0);
    CHECK_EQ_INT(rtc_tr_current_direction(trs[0]), RTC_TR_RECVONLY);
    rtc_tr_codec_t codec;
    CHECK(rtc_tr_codec(trs[0], &codec) && strcmp(codec.name, "opus") == 0);
    CHECK(rtc_tr_codec(trs[1], &codec) && strcmp(codec.name, "VP8") == 0);
    CHECK(rtc_tr_mid(trs[0]) != NULL);
    free(audio);
    free(video);
    free(answer);
    free(offer);
    rtc_pc_destroy(pc);
  }
}

/* Our offer (audio + video sendrecv + a data channel) answered by each implementation's
 * captured answer: the negotiation completes with their codec and direction. */
static void test_av_answers_applied(void) {
  const char *files[] = {"chromium-156-answer-audio-video-datachannel.sdp",
                         "firefox-153-answer-audio-video-datachannel.sdp",
                         "aiortc-1.4-answer-audio-video-datachannel.sdp",
                         "gstreamer-1.22-answer-audio-video-datachannel.sdp",
                         "janus-1.1-answer-audio-video-datachannel.sdp",
                         "pion-3.1-answer-audio-video-datachannel.sdp",
                         "werift-0.24-answer-audio-video-datachannel.sdp",
                         "libwebrtc-m106-answer-audio-video-datachannel.sdp",
                         "libdatachannel-0.24-answer-audio-video-datachannel.sdp"};
  for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
    char *answer = read_fixture(files[i]);
    CHECK(answer != NULL);
    if (!answer) continue;
    rtc_pc_t *pc = rtc_pc_create(NULL, now_us);
    rtc_tr_init_t ai, vi;
    rtc_tr_init_defaults(&ai, RTC_MEDIA_AUDIO);
    rtc_tr_init_defaults(&vi, RTC_MEDIA_VIDEO);
    ai.stream_id = vi.stream_id = "stream";
    rtc_tr_t *a = rtc_pc_add_transceiver(pc, &ai), *v = rtc_pc_add_transceiver(pc, &vi);
    rtc_dc_t *dc = rtc_pc_create_data_channel(pc, NULL);
    char *offer = NULL;
    CHECK_EQ_INT(rtc_pc_create_offer(pc, false, &offer), 0);
    CHECK(offer && strstr(offer, "a=msid:stream ") && strstr(offer, "a=ssrc-group:FID "));
    CHECK(offer && strstr(offer, " urn:ietf:params:rtp-hdrext:sdes:mid"));
    CHECK(offer && strstr(offer, "transport-wide-cc"));
    CHECK_EQ_INT(rtc_pc_set_local_description(pc, RTC_SDP_OFFER, offer), 0);
    int r = rtc_pc_set_remote_description(pc, RTC_SDP_ANSWER, answer);
    if (r) fprintf(stderr, "  %s: %s\n", files[i], rtc_pc_error(pc));
    CHECK_EQ_INT(r, 0);
    rtc_tr_codec_t codec;
    CHECK(rtc_tr_codec(a, &codec) && strcmp(codec.name, "opus") == 0);
    CHECK(rtc_tr_codec(v, &codec) && strcasecmp(codec.name, "VP8") == 0);
    CHECK(rtc_tr_current_direction(a) >= 0 && rtc_tr_current_direction(a) != RTC_TR_STOPPED);
    CHECK(strcmp(rtc_tr_mid(a), "0") == 0 && strcmp(rtc_tr_mid(v), "1") == 0);
    evcount_t c = {0};
    drain(pc, &c);
    free(offer);
    free(answer);
    rtc_dc_unref(dc);
    rtc_tr_unref(a);
    rtc_tr_unref(v);
    rtc_pc_destroy(pc);
  }
}

/* ---- two pcs in memory ---- */

typedef struct side {
  rtc_pc_t *pc;
  rtc_addr_t addr;
  evcount_t ev;
  char *cands[16];
  int n_cands;
  /* received frames, concatenated per kind, for a byte-identical comparison */
  uint8_t *got[2];
  size_t got_len[2];
  int got_frames[2];
  uint32_t last_ts[2];
  uint64_t last_ntp[2]; /* the sender's NTP time of the latest frame (from its SRs) */
  int rtp_events;
  char order[32]; /* T track, U unmute, M mute, E ended: the receiver's story */
  /* simulcast receiving: track events, frames and bytes per layer (index ev.layer) */
  int layer_tracks, layer_frames[4], layer_unmutes;
  size_t layer_bytes[4];
  size_t n_order;
} side_t;

static void side_note(side_t *s, char c) {
  if (s->n_order < sizeof(s->order) - 1) s->order[s->n_order++] = c;
}

static void side_init(side_t *s, const char *ip, uint16_t port) {
  memset(s, 0, sizeof(*s));
  s->pc = rtc_pc_create(NULL, now_us);
  rtc_addr_set(&s->addr, ip, port);
  s->got[0] = malloc(1 << 20);
  s->got[1] = malloc(4 << 20);
}

static void side_free(side_t *s) {
  for (int i = 0; i < s->n_cands; i++)
    free(s->cands[i]);
  free(s->got[0]);
  free(s->got[1]);
  rtc_pc_destroy(s->pc);
}

static void side_drain(side_t *s) {
  rtc_pc_event_t ev;
  while (rtc_pc_poll_event(s->pc, &ev)) {
    switch (ev.type) {
    case RTC_PC_EVENT_ICE_CANDIDATE:
      if (ev.candidate && s->n_cands < 16) s->cands[s->n_cands++] = strdup(ev.candidate);
      break;
    case RTC_PC_EVENT_TRACK_MUTE:
      if (ev.layer) s->layer_unmutes += !ev.state;
      side_note(s, ev.state ? 'M' : 'U');
      break;
    case RTC_PC_EVENT_TRACK_ENDED: side_note(s, 'E'); break;
    case RTC_PC_EVENT_TRACK_REMOVED: side_note(s, 'R'); break;
    case RTC_PC_EVENT_TRACK:
      side_note(s, 'T');
      if (ev.layer) {
        s->layer_tracks++;
        rtc_tr_set_layer_frame_events(ev.tr, (size_t)ev.layer - 1, true);
        if (s->layer_tracks > 1) break; /* one transceiver */
      }
      if (s->ev.tracks < 4) s->ev.track_tr[s->ev.tracks++] = ev.tr;
      rtc_tr_set_frame_events(ev.tr, true);
      rtc_tr_set_rtp_events(ev.tr, true);
      break;
    case RTC_PC_EVENT_TRACK_RTP:
      s->rtp_events++;
      CHECK(ev.len >= 12 && (ev.data[0] >> 6) == 2); /* RTP version 2, unprotected */
      break;
    case RTC_PC_EVENT_KEYFRAME_REQUEST: s->ev.keyframe_requests++; break;
    case RTC_PC_EVENT_TRACK_FRAME: {
      if (ev.layer > 0 && ev.layer < 4) {
        s->layer_frames[ev.layer]++;
        s->layer_bytes[ev.layer] += ev.len;
        break;
      }
      int k = rtc_tr_kind(ev.tr) == RTC_MEDIA_VIDEO;
      size_t cap = k ? 4 << 20 : 1 << 20;
      if (s->got_len[k] + ev.len <= cap) memcpy(s->got[k] + s->got_len[k], ev.data, ev.len);
      s->got_len[k] += ev.len;
      s->got_frames[k]++;
      s->last_ts[k] = ev.timestamp;
      s->last_ntp[k] = ev.ntp;
      break;
    }
    default: break;
    }
  }
}

typedef struct run_ctx {
  side_t *sides[2];
  int drop_every;
} run_ctx_t;

static void drain_side(void *ctx, int i) { side_drain(((run_ctx_t *)ctx)->sides[i]); }

/* RTP from a to b is lost with probability 1/drop_every (0: none), from a fixed
 * pseudo-random sequence (a fixed stride would resonate with the NACK retry period). */
static bool lose_media(void *ctx, int from, const uint8_t *p, size_t len) {
  static uint32_t lcg = 12345;
  int drop_every = ((run_ctx_t *)ctx)->drop_every;
  /* Lose only media (RTP: first byte 128..191, not RTCP), after the handshake. */
  bool rtp = len > 1 && p[0] >= 128 && p[0] <= 191 && !(p[1] >= 192 && p[1] <= 223);
  if (from != 0 || !drop_every || !rtp) return true;
  lcg = lcg * 1103515245u + 12345u;
  return (lcg >> 16) % (uint32_t)drop_every != 0;
}

/* Moves datagrams between the two until quiet, advancing the virtual clock. */
static void run(side_t *a, side_t *b, uint64_t duration_us, int drop_every) {
  run_ctx_t c = {{a, b}, drop_every};
  rtc_test_pair_t p = {{a->pc, b->pc}, {&a->addr, &b->addr}, &now_us, drain_side, lose_media, &c};
  rtc_test_pair_run(&p, duration_us);
}

/* text with the first `from` replaced by `to` (malloc'd). */
static char *replace(const char *text, const char *from, const char *to) {
  const char *p = strstr(text, from);
  CHECK(p != NULL);
  if (!p) return strdup(text);
  size_t lf = strlen(from), lt = strlen(to), n = strlen(text);
  char *out = malloc(n - lf + lt + 1);
  memcpy(out, text, (size_t)(p - text));
  memcpy(out + (p - text), to, lt);
  memcpy(out + (p - text) + lt, p + lf, n - (size_t)(p - text) - lf + 1);
  return out;
}

typedef char *(*munge_fn)(const char *sdp);

/* The offer as b sees it, the answer as a sees it, changed by the munge functions
 * (NULL: as written); b's answer as written in *answer_out when asked for. */
static void negotiate_munged(side_t *a, side_t *b, munge_fn offer_munge, munge_fn answer_munge,
                             char **answer_out) {
  char *offer = NULL, *answer = NULL;
  CHECK_EQ_INT(rtc_pc_create_offer(a->pc, false, &offer), 0);
  CHECK_EQ_INT(rtc_pc_set_local_description(a->pc, RTC_SDP_OFFER, offer), 0);
  char *o2 = offer_munge ? offer_munge(offer) : strdup(offer);
  CHECK_EQ_INT(rtc_pc_set_remote_description(b->pc, RTC_SDP_OFFER, o2), 0);
  CHECK_EQ_INT(rtc_pc_create_answer(b->pc, &answer), 0);
  CHECK_EQ_INT(rtc_pc_set_local_description(b->pc, RTC_SDP_ANSWER, answer), 0);
  char *a2 = answer_munge ? answer_munge(answer) : strdup(answer);
  CHECK_EQ_INT(rtc_pc_set_remote_description(a->pc, RTC_SDP_ANSWER, a2), 0);
  free(o2);
  free(a2);
  free(offer);
  if (answer_out)
    *answer_out = answer;
  else
    free(answer);
  run(a, b, 1000, 0); /* gather */
  for (int i = 0; i < a->n_cands; i++)
    CHECK_EQ_INT(rtc_pc_add_ice_candidate(b->pc, a->cands[i], NULL, 0), 0);
  for (int i = 0; i < b->n_cands; i++)
    CHECK_EQ_INT(rtc_pc_add_ice_candidate(a->pc, b->cands[i], NULL, 0), 0);
}

static void negotiate(side_t *a, side_t *b) { negotiate_munged(a, b, NULL, NULL, NULL); }

static void exchange_frames(int drop_every, const char *label) {
  side_t a, b;
  side_init(&a, "10.1.0.1", 4000 + (uint16_t)drop_every);
  side_init(&b, "10.1.0.2", 5000 + (uint16_t)drop_every);
  rtc_tr_init_t ai, vi;
  rtc_tr_init_defaults(&ai, RTC_MEDIA_AUDIO);
  rtc_tr_init_defaults(&vi, RTC_MEDIA_VIDEO);
  ai.direction = vi.direction = RTC_TR_SENDONLY;
  rtc_tr_t *at = rtc_pc_add_transceiver(a.pc, &ai), *vt = rtc_pc_add_transceiver(a.pc, &vi);
  CHECK(at && vt);
  negotiate(&a, &b);
  run(&a, &b, RTC_MS(500), 0);
  CHECK_EQ_INT(rtc_pc_connection_state(a.pc), RTC_CONNECTION_CONNECTED);
  CHECK_EQ_INT(rtc_pc_connection_state(b.pc), RTC_CONNECTION_CONNECTED);
  CHECK_EQ_INT(b.ev.tracks, 2);
  CHECK_EQ_INT(rtc_tr_current_direction(at), RTC_TR_SENDONLY);
  if (b.ev.tracks == 2) CHECK_EQ_INT(rtc_tr_current_direction(b.ev.track_tr[0]), RTC_TR_RECVONLY);
  /* The fixture files through the media readers: VP8 from IVF, Opus from Ogg. */
  rtc_media_ivf_reader_t *ivf = NULL;
  rtc_media_ogg_reader_t *ogg = NULL;
  CHECK_EQ_INT(rtc_media_ivf_open_file(RTC_TEST_FIXTURES "/../media/vp8.ivf", &ivf), 0);
  CHECK_EQ_INT(rtc_media_ogg_open_file(RTC_TEST_FIXTURES "/../media/opus.ogg", &ogg), 0);
  if (!ivf || !ogg) {
    rtc_media_ivf_close(ivf);
    rtc_media_ogg_close(ogg);
    side_free(&a);
    side_free(&b);
    return;
  }
  const rtc_media_ivf_info_t *vi_info = rtc_media_ivf_info(ivf);
  rtc_media_track_t otrack = rtc_media_ogg_track(ogg);
  int n_frames = (int)vi_info->frames, n_audio = (int)otrack.count;
  CHECK(n_frames >= 30 && n_audio >= 30);
  uint8_t *sent_v = malloc(4 << 20), *sent_a = malloc(1 << 20);
  size_t sent_v_len = 0, sent_a_len = 0;
  int ai_next = 0;
  for (int i = 0; i < n_frames; i++) {
    rtc_media_frame_t f;
    CHECK_EQ_INT(rtc_media_ivf_frame(ivf, (size_t)i, &f), 0);
    uint32_t ts = (uint32_t)(f.pts * 90000u * vi_info->tb_num / vi_info->tb_den);
    CHECK_EQ_INT(rtc_tr_send_frame(vt, 1000 + ts, f.data, f.len, f.keyframe), 0);
    memcpy(sent_v + sent_v_len, f.data, f.len);
    sent_v_len += f.len;
    /* The audio that belongs before the next video frame (by time). */
    double vt_s = (double)(i + 1) * (n_audio * 0.02) / n_frames;
    while (ai_next < n_audio && ai_next * 0.02 < vt_s) {
      rtc_media_frame_t af;
      CHECK_EQ_INT(rtc_media_ogg_frame(ogg, (size_t)ai_next, &af), 0);
      uint32_t ats = (uint32_t)(af.pts * 48000u * otrack.tb_num / otrack.tb_den);
      CHECK_EQ_INT(rtc_tr_send_frame(at, 500 + ats, af.data, af.len, false), 0);
      memcpy(sent_a + sent_a_len, af.data, af.len);
      sent_a_len += af.len;
      ai_next++;
    }
    /* A lost tail packet shows as a gap only when a later one arrives: the last two
     * frames go through without loss, as a live stream's next frames would. */
    run(&a, &b, RTC_MS(33), i < n_frames - 2 ? drop_every : 0);
  }
  run(&a, &b, RTC_MS(1500), 0);
  printf("  %s: video %d/%d frames (%zu bytes), audio %d/%d\n", label, b.got_frames[1], n_frames,
         sent_v_len, b.got_frames[0], ai_next);
  CHECK_EQ_INT(b.got_frames[1], n_frames);
  CHECK_EQ_INT((int)b.got_len[1], (int)sent_v_len);
  CHECK(b.got_len[1] == sent_v_len && memcmp(b.got[1], sent_v, sent_v_len) == 0);
  if (!drop_every) {
    /* Frames carry the sender's NTP time from its SRs (what recorders align tracks by):
     * a sent the last video frame and the last audio frame in the same instant (the
     * audio up to 33 ms ahead of its media time), and its SRs say so: the same NTP time
     * within the 20 ms of an audio frame, whatever their RTP timestamps' offsets. */
    CHECK(b.last_ntp[0] != 0 && b.last_ntp[1] != 0);
    double nv = (double)(b.last_ntp[1] >> 32) + (double)(uint32_t)b.last_ntp[1] / 4294967296.0;
    double na = (double)(b.last_ntp[0] >> 32) + (double)(uint32_t)b.last_ntp[0] / 4294967296.0;
    printf("  last video - last audio frame, sender's NTP: %.4f s\n", nv - na);
    CHECK(nv - na < 0.02 && na - nv < 0.02);
    CHECK_EQ_INT(b.got_frames[0], ai_next);
    CHECK_EQ_INT(ai_next, n_audio);
    CHECK(b.got_len[0] == sent_a_len && memcmp(b.got[0], sent_a, sent_a_len) == 0);
  }
  rtc_tr_stats_t st;
  rtc_tr_get_stats(vt, &st);
  CHECK(b.rtp_events >= n_frames + ai_next - (drop_every ? n_frames : 0));
  /* b numbers nothing but reports what a's transport-wide sequence numbers did. */
  CHECK(b.pc->media->twcc_feedback_sent >= 10);
  CHECK(st.packets_sent > (uint64_t)n_frames);
  CHECK_EQ_INT((int)st.frames_sent, n_frames);
  if (drop_every) CHECK(st.retransmitted_packets_sent > 0 && st.nack_count_received > 0);
  if (b.ev.tracks == 2) {
    rtc_tr_stats_t rs;
    rtc_tr_t *rv =
        rtc_tr_kind(b.ev.track_tr[0]) == RTC_MEDIA_VIDEO ? b.ev.track_tr[0] : b.ev.track_tr[1];
    rtc_tr_get_stats(rv, &rs);
    CHECK_EQ_INT((int)rs.frames_received, n_frames);
    CHECK(rs.remote_ssrc != 0);
    CHECK(st.round_trip_time_s > 0); /* from b's receiver reports */
    /* A keyframe request travels back as an event on a. */
    CHECK_EQ_INT(rtc_tr_request_keyframe(rv), 0);
    run(&a, &b, RTC_MS(50), 0);
    CHECK(a.ev.keyframe_requests >= 1);
  }
  free(sent_v);
  free(sent_a);
  rtc_media_ivf_close(ivf);
  rtc_media_ogg_close(ogg);
  rtc_tr_unref(at);
  rtc_tr_unref(vt);
  side_free(&a);
  side_free(&b);
}

static void test_media_only_frames_identical(void) { exchange_frames(0, "no loss"); }
static void test_media_nack_rtx_repairs_loss(void) { exchange_frames(10, "10% RTP lost"); }

/* A stopped transceiver's m-line is rejected by the next offer and recycled by a new
 * transceiver, whose track reaches the other side. */
static void test_stop_and_recycle(void) {
  side_t a, b;
  side_init(&a, "10.1.1.1", 4100);
  side_init(&b, "10.1.1.2", 5100);
  rtc_tr_init_t ai;
  rtc_tr_init_defaults(&ai, RTC_MEDIA_AUDIO);
  rtc_tr_t *t1 = rtc_pc_add_transceiver(a.pc, &ai);
  negotiate(&a, &b);
  run(&a, &b, RTC_MS(300), 0);
  CHECK_EQ_INT(b.ev.tracks, 1);
  CHECK_EQ_INT(rtc_tr_stop(t1), 0);
  negotiate(&a, &b);
  run(&a, &b, RTC_MS(100), 0);
  const char *ld = rtc_pc_local_description(a.pc, NULL);
  CHECK(ld && strstr(ld, "m=audio 0 ") != NULL);
  if (b.ev.tracks == 1) CHECK(rtc_tr_stopped(b.ev.track_tr[0]));
  rtc_tr_init_t vi;
  rtc_tr_init_defaults(&vi, RTC_MEDIA_VIDEO);
  rtc_tr_t *t2 = rtc_pc_add_transceiver(a.pc, &vi);
  negotiate(&a, &b);
  run(&a, &b, RTC_MS(100), 0);
  ld = rtc_pc_local_description(a.pc, NULL);
  CHECK(ld && count(ld, "m=") == 1 && strstr(ld, "m=video 9 ")); /* same place, new kind */
  CHECK(rtc_tr_mid(t2) && strcmp(rtc_tr_mid(t2), "0") != 0);     /* a new mid */
  CHECK_EQ_INT(b.ev.tracks, 2);
  rtc_tr_unref(t1);
  rtc_tr_unref(t2);
  side_free(&a);
  side_free(&b);
}

/* W3C webrtc-pc 9.3: the receiver's track is muted until its first packet, muted when
 * the peer's description stops sending, unmuted by the next packet once it sends
 * again, muted by RTCP BYE (the sender's transceiver stopped); one event per change. */
static void test_mute_events(void) {
  side_t a, b;
  side_init(&a, "10.1.2.1", 4200);
  side_init(&b, "10.1.2.2", 5200);
  rtc_tr_init_t ai;
  rtc_tr_init_defaults(&ai, RTC_MEDIA_AUDIO);
  ai.direction = RTC_TR_SENDONLY;
  rtc_tr_t *at = rtc_pc_add_transceiver(a.pc, &ai);
  const uint8_t opus[] = {0xfc, 0xff, 0xfe}; /* a TOC byte and two bytes: a frame */
  negotiate(&a, &b);
  run(&a, &b, RTC_MS(500), 0);
  b.order[b.n_order] = 0;
  CHECK(strcmp(b.order, "T") == 0); /* connected, nothing sent yet: still muted */
  for (int i = 0; i < 3; i++) {
    CHECK_EQ_INT(rtc_tr_send_frame(at, 960u * (uint32_t)i, opus, sizeof(opus), false), 0);
    run(&a, &b, RTC_MS(20), 0);
  }
  /* inactive by renegotiation: muted once (its BYE changes nothing more) */
  CHECK_EQ_INT(rtc_tr_set_direction(at, RTC_TR_INACTIVE), 0);
  negotiate(&a, &b);
  run(&a, &b, RTC_MS(100), 0);
  CHECK(rtc_tr_send_frame(at, 960u * 3, opus, sizeof(opus), false) < 0); /* not sending */
  /* sending again: W3C [[FiredDirection]] receives again, so a second track event for
   * the same transceiver (as browsers fire ontrack), then the next packet unmutes */
  CHECK_EQ_INT(rtc_tr_set_direction(at, RTC_TR_SENDONLY), 0);
  negotiate(&a, &b);
  run(&a, &b, RTC_MS(100), 0);
  b.order[b.n_order] = 0;
  CHECK(strcmp(b.order, "TUMRT") == 0);
  CHECK_EQ_INT(b.ev.tracks, 2);
  CHECK(b.ev.track_tr[1] == b.ev.track_tr[0]);
  for (int i = 4; i < 6; i++) {
    CHECK_EQ_INT(rtc_tr_send_frame(at, 960u * (uint32_t)i, opus, sizeof(opus), false), 0);
    run(&a, &b, RTC_MS(20), 0);
  }
  /* stop(): an RTCP BYE at once mutes; the renegotiation then ends the track */
  CHECK_EQ_INT(rtc_tr_stop(at), 0);
  run(&a, &b, RTC_MS(50), 0);
  b.order[b.n_order] = 0;
  CHECK(strcmp(b.order, "TUMRTUM") == 0);
  negotiate(&a, &b);
  run(&a, &b, RTC_MS(100), 0);
  b.order[b.n_order] = 0;
  printf("  b's track: %s\n", b.order);
  CHECK(strcmp(b.order, "TUMRTUME") == 0);
  rtc_tr_unref(at);
  side_free(&a);
  side_free(&b);
}

/* RTCP BYEs the receiving side logs ("RTCP BYE from ssrc ..."). */
static int byes_logged, byes_without_cname;
static void bye_sink(rtc_log_level_t level, const char *module, const char *line, void *ud) {
  (void)level, (void)module, (void)ud;
  if (strstr(line, "RTCP BYE from ssrc")) byes_logged++;
  /* RFC 3550 6.1: the BYE's compound carries the sender's SDES CNAME */
  if (strstr(line, "RTCP BYE from ssrc") && strstr(line, "(cname none)")) byes_without_cname++;
}

/* RFC 3550 6.3.7: a participant that never sent an RTP or RTCP packet must not send a
 * BYE. A sendonly transceiver that never sent a frame and stops sent one (b logged
 * 1 BYE); one that did send still says goodbye. */
static void test_no_bye_from_silent_sender(void) {
  side_t a, b;
  side_init(&a, "10.1.3.1", 4300);
  side_init(&b, "10.1.3.2", 5300);
  rtc_tr_init_t ai;
  rtc_tr_init_defaults(&ai, RTC_MEDIA_AUDIO);
  ai.direction = RTC_TR_SENDONLY;
  rtc_tr_t *silent = rtc_pc_add_transceiver(a.pc, &ai);
  rtc_tr_t *talks = rtc_pc_add_transceiver(a.pc, &ai);
  negotiate(&a, &b);
  run(&a, &b, RTC_MS(500), 0);
  const uint8_t opus[] = {0xfc, 0xff, 0xfe};
  for (int i = 0; i < 3; i++) {
    CHECK_EQ_INT(rtc_tr_send_frame(talks, 960u * (uint32_t)i, opus, sizeof(opus), false), 0);
    run(&a, &b, RTC_MS(20), 0);
  }
  CHECK_EQ_INT(b.got_frames[0], 3);
  byes_logged = 0;
  rtc_log_set_sink(bye_sink, NULL);
  rtc_log_set_module_level("pc", RTC_LOG_INFO);
  CHECK_EQ_INT(rtc_tr_stop(silent), 0);
  run(&a, &b, RTC_MS(50), 0);
  int after_silent = byes_logged;
  CHECK_EQ_INT(rtc_tr_stop(talks), 0);
  run(&a, &b, RTC_MS(50), 0);
  rtc_log_set_module_level("pc", -1);
  rtc_log_set_sink(NULL, NULL);
  CHECK_EQ_INT(after_silent, 0);
  CHECK_EQ_INT(byes_logged, 1);
  CHECK_EQ_INT(byes_without_cname, 0);
  rtc_tr_unref(silent);
  rtc_tr_unref(talks);
  side_free(&a);
  side_free(&b);
}

/* W3C webrtc-pc "set the description": the mutes of one description come before its
 * track events, whatever the m-section order; a rolled-back remote offer puts
 * [[FiredDirection]] back, and a track that receives again fires again (Chromium). */
static void test_fired_direction_order(void) {
  side_t a, b;
  side_init(&a, "10.1.4.1", 4400);
  side_init(&b, "10.1.4.2", 5400);
  rtc_tr_init_t ai;
  rtc_tr_init_defaults(&ai, RTC_MEDIA_AUDIO);
  ai.direction = RTC_TR_INACTIVE;
  rtc_tr_t *t0 = rtc_pc_add_transceiver(a.pc, &ai);
  ai.direction = RTC_TR_SENDONLY;
  rtc_tr_t *t1 = rtc_pc_add_transceiver(a.pc, &ai);
  const uint8_t opus[] = {0xfc, 0xff, 0xfe};
  negotiate(&a, &b);
  run(&a, &b, RTC_MS(500), 0);
  CHECK_EQ_INT(rtc_tr_send_frame(t1, 0, opus, sizeof(opus), false), 0);
  run(&a, &b, RTC_MS(20), 0);
  b.order[b.n_order] = 0;
  CHECK(strcmp(b.order, "TU") == 0); /* m=1 only: m=0 is inactive */
  /* m=0 starts sending, m=1 stops, in one offer: the mute and removal (m=1) first */
  CHECK_EQ_INT(rtc_tr_set_direction(t0, RTC_TR_SENDONLY), 0);
  CHECK_EQ_INT(rtc_tr_set_direction(t1, RTC_TR_INACTIVE), 0);
  negotiate(&a, &b);
  run(&a, &b, RTC_MS(100), 0);
  b.order[b.n_order] = 0;
  printf("  b: %s\n", b.order);
  CHECK(strcmp(b.order, "TUMRT") == 0);
  CHECK_EQ_INT(b.ev.tracks, 2);
  CHECK(b.ev.tracks == 2 && b.ev.track_tr[0] != b.ev.track_tr[1]);
  /* an offer that stops m=0, rolled back: muted by it, announced again by the rollback */
  CHECK_EQ_INT(rtc_tr_send_frame(t0, 0, opus, sizeof(opus), false), 0);
  run(&a, &b, RTC_MS(20), 0);
  CHECK_EQ_INT(rtc_tr_set_direction(t0, RTC_TR_INACTIVE), 0);
  char *offer = NULL;
  CHECK_EQ_INT(rtc_pc_create_offer(a.pc, false, &offer), 0);
  CHECK_EQ_INT(rtc_pc_set_remote_description(b.pc, RTC_SDP_OFFER, offer), 0);
  side_drain(&b);
  CHECK_EQ_INT(rtc_pc_set_remote_description(b.pc, RTC_SDP_ROLLBACK, NULL), 0);
  side_drain(&b);
  b.order[b.n_order] = 0;
  printf("  b: %s\n", b.order);
  CHECK(strcmp(b.order, "TUMRTUMRT") == 0);
  CHECK(b.ev.tracks == 3 && b.ev.track_tr[2] == b.ev.track_tr[1]);
  free(offer);
  rtc_tr_unref(t0);
  rtc_tr_unref(t1);
  side_free(&a);
  side_free(&b);
}

/* W3C rollback of a remote offer: the transceivers it made go, their tracks end. */
static void test_rollback_remote_offer(void) {
  char *offer = read_fixture("chromium-156-offer-audio-video-datachannel.sdp");
  CHECK(offer != NULL);
  if (!offer) return;
  rtc_pc_t *pc = rtc_pc_create(NULL, now_us);
  rtc_tr_init_t vi;
  rtc_tr_init_defaults(&vi, RTC_MEDIA_VIDEO);
  rtc_tr_t *mine = rtc_pc_add_transceiver(pc, &vi);
  CHECK_EQ_INT(rtc_pc_set_remote_description(pc, RTC_SDP_OFFER, offer), 0);
  rtc_tr_t *trs[4];
  CHECK_EQ_INT((int)rtc_pc_transceivers(pc, trs, 4), 2); /* ours took the video m-line */
  CHECK(rtc_tr_mid(mine) != NULL);
  CHECK_EQ_INT(rtc_pc_set_local_description(pc, RTC_SDP_ROLLBACK, NULL), 0);
  evcount_t c = {0};
  drain(pc, &c);
  CHECK_EQ_INT(c.tracks, 2);
  CHECK_EQ_INT(c.ended, 2);
  CHECK_EQ_INT((int)rtc_pc_transceivers(pc, trs, 4), 1);
  CHECK(rtc_tr_mid(mine) == NULL);
  /* The offer can be taken again. */
  CHECK_EQ_INT(rtc_pc_set_remote_description(pc, RTC_SDP_OFFER, offer), 0);
  CHECK_EQ_INT((int)rtc_pc_transceivers(pc, trs, 4), 2);
  rtc_tr_unref(mine);
  rtc_pc_destroy(pc);
  free(offer);
}

/* Simulcast receiving: a publishes q, h, f as Chrome does (a=simulcast:send, a=rid send,
 * no SSRCs); b's answer receives the three (a=rid recv, a=simulcast:recv, the rid
 * extensions), fires a track event per layer and gets every layer's frames on its own
 * layer, byte-identical, its SSRC learnt from the rid (RTX: repaired rid), with RTX
 * repairs per layer over a lossy path. Before: b answered without simulcast, a sent q
 * alone, one track. */
static char *offer_without_h(const char *sdp) {
  char *x = replace(sdp, "a=rid:h send\r\n", "");
  char *y = replace(x, "a=simulcast:send q;h;f", "a=simulcast:send q;f");
  free(x);
  return y;
}
static char *answer_with_h(const char *sdp) {
  char *x = replace(sdp, "a=rid:q recv\r\n", "a=rid:q recv\r\na=rid:h recv\r\n");
  char *y = replace(x, "a=simulcast:recv q;f", "a=simulcast:recv q;h;f");
  free(x);
  return y;
}

static void simulcast_receive(int drop_every, int mode, const char *label) {
  /* mode 0: q;h;f; 1: b's offer lacks h but a is told to send it (an unknown rid);
   * 2: b opts out (simulcast_receive_off) */
  side_t a, b;
  side_init(&a, "10.1.0.1", (uint16_t)(4100 + drop_every + 10 * mode));
  side_init(&b, "10.1.0.2", (uint16_t)(5100 + drop_every + 10 * mode));
  if (mode == 2) {
    rtc_pc_destroy(b.pc);
    rtc_pc_config_t cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.simulcast_receive_off = true;
    b.pc = rtc_pc_create(&cfg, now_us);
  }
  rtc_tr_init_t vi;
  rtc_tr_init_defaults(&vi, RTC_MEDIA_VIDEO);
  vi.direction = RTC_TR_SENDONLY;
  const char *rids[] = {"q", "h", "f"};
  vi.rids = rids;
  vi.n_rids = 3;
  rtc_tr_t *vt = rtc_pc_add_transceiver(a.pc, &vi);
  CHECK(vt != NULL);
  char *answer = NULL;
  negotiate_munged(&a, &b, mode == 1 ? offer_without_h : NULL, mode == 1 ? answer_with_h : NULL,
                   &answer);
  char *m = msection(answer, "m=video");
  CHECK(m != NULL);
  if (mode == 0) {
    CHECK(strstr(m, "a=rid:q recv\r\na=rid:h recv\r\na=rid:f recv\r\n") != NULL);
    CHECK(strstr(m, "a=simulcast:recv q;h;f\r\n") != NULL);
  } else if (mode == 1) {
    CHECK(strstr(m, "a=simulcast:recv q;f\r\n") != NULL);
    CHECK_EQ_INT((int)count(m, "a=rid:"), 2);
  } else {
    CHECK_EQ_INT((int)count(m, "a=rid:"), 0);
    CHECK_EQ_INT((int)count(m, "a=simulcast"), 0);
  }
  if (mode != 2) {
    CHECK(strstr(m, "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id") != NULL);
    CHECK(strstr(m, "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id") != NULL);
    CHECK(strstr(m, "urn:ietf:params:rtp-hdrext:sdes:mid") != NULL);
  }
  free(m);
  free(answer);
  run(&a, &b, RTC_MS(500), 0);
  CHECK_EQ_INT(rtc_pc_connection_state(b.pc), RTC_CONNECTION_CONNECTED);
  int want_tracks = mode == 0 ? 3 : mode == 1 ? 2 : 0;
  CHECK_EQ_INT(b.layer_tracks, want_tracks);
  CHECK_EQ_INT(b.ev.tracks, 1);
  rtc_tr_t *rv = b.ev.tracks ? b.ev.track_tr[0] : NULL;
  if (mode == 2 && rv) rtc_tr_set_frame_events(rv, true);
  rtc_media_ivf_reader_t *ivf = NULL;
  CHECK_EQ_INT(rtc_media_ivf_open_file(RTC_TEST_FIXTURES "/../media/vp8.ivf", &ivf), 0);
  if (!ivf || !rv) {
    rtc_media_ivf_close(ivf);
    side_free(&a);
    side_free(&b);
    return;
  }
  const rtc_media_ivf_info_t *info = rtc_media_ivf_info(ivf);
  int n_frames = (int)info->frames;
  size_t sent = 0;
  for (int i = 0; i < n_frames; i++) {
    rtc_media_frame_t f;
    CHECK_EQ_INT(rtc_media_ivf_frame(ivf, (size_t)i, &f), 0);
    uint32_t ts = (uint32_t)(f.pts * 90000u * info->tb_num / info->tb_den);
    CHECK_EQ_INT(rtc_tr_send_frame(vt, 1000 + ts, f.data, f.len, f.keyframe), 0);
    sent += f.len;
    /* Nothing lost before b knows a layer's SSRC (its first packet: a packet lost ahead
     * of it is no gap to NACK, as with any unsignalled SSRC) nor at the end. */
    run(&a, &b, RTC_MS(33), i >= 2 && i < n_frames - 2 ? drop_every : 0);
  }
  run(&a, &b, RTC_MS(1500), 0);
  printf("  %s: frames per layer %d %d %d of %d (one stream: %d), dropped %llu\n", label,
         b.layer_frames[1], b.layer_frames[2], b.layer_frames[3], n_frames, b.got_frames[1],
         (unsigned long long)rtc_tr_rx_dropped(rv));
  if (mode == 0) {
    CHECK_EQ_INT((int)rtc_tr_rx_layers(rv), 3);
    for (int k = 1; k <= 3; k++) {
      CHECK_EQ_INT(b.layer_frames[k], n_frames);
      CHECK_EQ_INT((int)b.layer_bytes[k], (int)sent);
    }
    CHECK_EQ_INT(b.layer_unmutes, 3);
    CHECK_EQ_INT((int)rtc_tr_rx_dropped(rv), 0);
    uint32_t ssrcs[3];
    for (size_t k = 0; k < 3; k++) {
      rtc_tr_rx_layer_stats_t ls;
      rtc_tr_layer_stats_t ss;
      CHECK(rtc_tr_get_rx_layer_stats(rv, k, &ls));
      CHECK(rtc_tr_get_layer_stats(vt, k, &ss));
      CHECK_STR(ls.rid, rids[k]);
      CHECK_EQ_INT((int)ls.ssrc, (int)ss.ssrc); /* learnt from the rid */
      printf("  layer %s: ssrc %08x, %llu packets, %lld lost, %llu NACKs, %llu frames dropped\n",
             ls.rid, (unsigned)ls.ssrc, (unsigned long long)ls.packets_received,
             (long long)ls.packets_lost, (unsigned long long)ls.nack_count_sent,
             (unsigned long long)ls.frames_dropped);
      CHECK_EQ_INT((int)ls.frames_received, n_frames);
      ssrcs[k] = ls.ssrc;
      if (drop_every) {
        CHECK(ls.nack_count_sent > 0);
        CHECK(ss.retransmitted_packets_sent > 0); /* each layer's RTX repaired its own */
        CHECK(ss.nack_count_received > 0);
      }
      CHECK(ss.round_trip_time_s > 0); /* b's report blocks name every layer */
    }
    CHECK(ssrcs[0] != ssrcs[1] && ssrcs[1] != ssrcs[2]);
    /* A keyframe request for one layer reaches that layer's sender alone. */
    int before = a.ev.keyframe_requests;
    CHECK_EQ_INT(rtc_tr_request_layer_keyframe(rv, 1), 0);
    run(&a, &b, RTC_MS(50), 0);
    CHECK_EQ_INT(a.ev.keyframe_requests, before + 1);
    rtc_tr_layer_stats_t ss;
    CHECK(rtc_tr_get_layer_stats(vt, 1, &ss));
    CHECK(ss.pli_count_received >= 1);
  } else if (mode == 1) {
    CHECK_EQ_INT(b.layer_frames[1], n_frames);
    CHECK_EQ_INT(b.layer_frames[2], n_frames); /* f is layer 2 at b */
    CHECK_EQ_INT(b.layer_frames[3], 0);
    CHECK(rtc_tr_rx_dropped(rv) > (uint64_t)n_frames); /* h's packets */
    CHECK_STR(rtc_tr_rx_layer_rid(rv, 1), "f");
  } else {
    CHECK_EQ_INT(b.got_frames[1], n_frames);
    CHECK_EQ_INT((int)b.got_len[1], (int)sent);
    CHECK_EQ_INT((int)rtc_tr_rx_layers(rv), 0);
  }
  rtc_media_ivf_close(ivf);
  rtc_tr_unref(vt);
  side_free(&a);
  side_free(&b);
}

static void test_simulcast_receive(void) { simulcast_receive(0, 0, "q;h;f"); }
static void test_simulcast_receive_rtx(void) { simulcast_receive(10, 0, "q;h;f, 10% lost"); }
static void test_simulcast_receive_unknown_rid(void) { simulcast_receive(0, 1, "h unknown"); }
static void test_simulcast_receive_off(void) { simulcast_receive(0, 2, "opted out"); }

/* A failing transceiver call says what failed: not nothing (the binding fell back to
 * "operation not allowed in the current state"), nor an earlier failure's text. */
static void test_tr_errors_say_what(void) {
  rtc_pc_t *pc = rtc_pc_create(NULL, now_us);
  rtc_tr_init_t ai;
  rtc_tr_init_defaults(&ai, RTC_MEDIA_AUDIO);
  rtc_tr_t *t = rtc_pc_add_transceiver(pc, &ai);
  CHECK_EQ_INT(rtc_tr_send_frame(t, 0, (const uint8_t *)"abc", 3, true), RTC_ESTATE);
  CHECK(strstr(rtc_tr_error(t), "sendFrame") != NULL);
  CHECK_EQ_INT(rtc_tr_set_direction(t, RTC_TR_STOPPED), RTC_EINVAL);
  CHECK(strstr(rtc_tr_error(t), "setDirection: ") == rtc_tr_error(t));
  CHECK_EQ_INT(rtc_tr_set_codec_preferences(t, NULL, 2), RTC_EINVAL);
  CHECK(strstr(rtc_tr_error(t), "setCodecPreferences: ") == rtc_tr_error(t));
  CHECK_EQ_INT(rtc_tr_stop(t), 0);
  CHECK_EQ_INT(rtc_tr_send_frame(t, 0, (const uint8_t *)"abc", 3, true), RTC_ESTATE);
  CHECK_EQ_INT(rtc_tr_set_direction(t, RTC_TR_SENDONLY), RTC_ESTATE);
  CHECK_STR(rtc_tr_error(t), "setDirection: the transceiver is stopped");
  rtc_tr_unref(t);
  rtc_pc_destroy(pc);
}

/* Transport-wide congestion control (draft-holmer-rmcat-transport-wide-cc): every
 * packet that reaches a receiver is in the feedback, also a bandwidth probe (RTX
 * padding) that comes before the first media packet, when no depacketizer exists yet.
 * Chromium probes that way right after connecting; left out, the probe counted as lost
 * and its estimate stayed near its start value. */
static void test_twcc_counts_probes_before_media(void) {
  side_t a, b;
  side_init(&a, "10.1.1.1", 4300);
  side_init(&b, "10.1.1.2", 5300);
  rtc_tr_init_t vi;
  rtc_tr_init_defaults(&vi, RTC_MEDIA_VIDEO);
  vi.direction = RTC_TR_SENDONLY;
  rtc_tr_t *vt = rtc_pc_add_transceiver(a.pc, &vi);
  negotiate(&a, &b);
  run(&a, &b, RTC_MS(300), 0);
  CHECK(rtc_transport_srtp_ready(a.pc->transport));
  CHECK(vt->ext_twcc != 0 && vt->rtx_ssrc != 0);
  const rtc_sdp_codec_t *c = rtc_sdp_codec_primary(&vt->neg);
  const rtc_sdp_codec_t *rtx = c ? rtc_sdp_codec_rtx_for(&vt->neg, c->pt) : NULL;
  CHECK(rtx != NULL);
  CHECK(b.pc->media->twcc == NULL); /* nothing received yet */
  /* A padding-only probe on the RTX SSRC, as libwebrtc's prober sends it. */
  uint8_t pkt[256], seq[2] = {0, 7};
  rtc_rtp_header_t h;
  memset(&h, 0, sizeof(h));
  h.pt = rtx ? rtx->pt : 97;
  h.ssrc = vt->rtx_ssrc;
  h.seq = 1;
  h.ts = 1234;
  h.padding_len = 200;
  if (vt->mid) rtc_rtp_add_ext(&h, vt->ext_mid, (const uint8_t *)vt->mid, (uint8_t)strlen(vt->mid));
  rtc_rtp_add_ext(&h, vt->ext_twcc, seq, 2);
  int n = rtc_rtp_write(pkt, sizeof(pkt), &h, NULL, 0);
  CHECK(n > 200);
  if (n > 0) CHECK_EQ_INT(rtc_transport_send_rtp(a.pc->transport, now_us, pkt, (size_t)n), 0);
  run(&a, &b, RTC_MS(5), 0);
  CHECK(b.pc->media->twcc != NULL && rtc_rtp_twcc_has_pending(b.pc->media->twcc));
  run(&a, &b, RTC_MS(200), 0);
  CHECK(b.pc->media->twcc_feedback_sent >= 1);
  rtc_tr_unref(vt);
  side_free(&a);
  side_free(&b);
}

int main(void) {
  RUN_TEST(test_twcc_counts_probes_before_media);
  RUN_TEST(test_av_offers_answered);
  RUN_TEST(test_av_answers_applied);
  RUN_TEST(test_media_only_frames_identical);
  RUN_TEST(test_mute_events);
  RUN_TEST(test_no_bye_from_silent_sender);
  RUN_TEST(test_fired_direction_order);
  RUN_TEST(test_media_nack_rtx_repairs_loss);
  RUN_TEST(test_stop_and_recycle);
  RUN_TEST(test_rollback_remote_offer);
  RUN_TEST(test_tr_errors_say_what);
  RUN_TEST(test_simulcast_receive);
  RUN_TEST(test_simulcast_receive_rtx);
  RUN_TEST(test_simulcast_receive_unknown_rid);
  RUN_TEST(test_simulcast_receive_off);
  TEST_MAIN_END();
}
