/* Recorders (runtime/record): real RTP captures (tests/fixtures/rtp) depayloaded by
 * runtime/rtp and recorded to IVF, Ogg and WebM; the files judged by ffprobe/ffmpeg.
 * Timestamps are shifted so that they wrap inside the clip; gaps and mid-stream starts
 * are made by leaving frames out. */
#include <stdlib.h>
#include <string.h>

#include "base/rtc_err.h"
#include "media/rtc_media_h264.h"
#include "media/rtc_media_ivf.h"
#include "media_test_util.h"
#include "record/rtc_record.h"
#include "rtc_test.h"
#include "rtp/rtc_rtp.h"
#include "rtp/rtc_rtp_codec.h"
#include "rtp_test_fixture.h"

typedef struct clipf {
  uint8_t *data[FIX_MAX];
  size_t len[FIX_MAX];
  uint32_t ts[FIX_MAX];
  bool key[FIX_MAX];
  int n;
} clipf_t;

/* Depayloads a capture into frames; each RTP timestamp gets ts_add (to make it wrap). */
static int depay(const char *name, rtc_rtp_codec_t codec, uint32_t ts_add, clipf_t *c) {
  fix_list_t pk;
  memset(c, 0, sizeof *c);
  if (fix_packets(name, &pk) <= 0) return -1;
  rtc_rtp_depayloader_t *d = rtc_rtp_depayloader_create(codec, 0);
  rtc_rtp_seq_unwrapper_t u = {0};
  for (int i = 0; i < pk.n && c->n < FIX_MAX; i++) {
    rtc_rtp_header_t h;
    if (rtc_rtp_parse(pk.p[i], pk.len[i], &h) != 0) continue;
    if (codec == RTC_RTP_CODEC_OPUS && h.payload_len >= 8 &&
        (!memcmp(h.payload, "OpusHead", 8) || !memcmp(h.payload, "OpusTags", 8)))
      continue; /* GStreamer capture artifact (see rtp_depay_test) */
    rtc_rtp_frame_t f;
    int rc = rtc_rtp_depayloader_push(d, rtc_rtp_seq_unwrap(&u, h.seq), &h, &f);
    if (!(rc > 0 && (rc & RTC_RTP_DEPAY_FRAME))) continue;
    c->data[c->n] = malloc(f.len);
    memcpy(c->data[c->n], f.data, f.len);
    c->len[c->n] = f.len;
    c->ts[c->n] = f.ts + ts_add;
    c->key[c->n] = f.keyframe;
    c->n++;
  }
  rtc_rtp_depayloader_destroy(d);
  fix_free(&pk);
  return c->n;
}

static void clip_free(clipf_t *c) {
  for (int i = 0; i < c->n; i++)
    free(c->data[i]);
}

/* Drains the recorder into path and applies its patches. */
static void save(rtc_record_t *r, const char *path) {
  FILE *f = fopen(path, "wb");
  if (!f) return;
  media_drain(rtc_record_out(r), f, NULL, NULL);
  size_t np = 0;
  const rtc_record_webm_patch_t *pt = rtc_record_patches(r, &np);
  for (size_t i = 0; i < np; i++) {
    fseek(f, (long)pt[i].offset, SEEK_SET);
    fwrite(pt[i].bytes, 1, pt[i].len, f);
  }
  fclose(f);
}

/* First line that a shell command prints (trimmed), in buf. */
static const char *sh(char *buf, size_t cap, const char *fmt, const char *path) {
  char cmd[600];
  snprintf(cmd, sizeof cmd, fmt, path);
  buf[0] = 0;
  FILE *pp = popen(cmd, "r");
  if (!pp) return buf;
  size_t n = fread(buf, 1, cap - 1, pp);
  buf[n] = 0;
  pclose(pp);
  while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ','))
    buf[--n] = 0;
  for (char *p = buf; *p; p++)
    if (*p == '\n') *p = ' ';
  return buf;
}

static double probe_duration(const char *path) {
  char b[256];
  sh(b, sizeof b, "ffprobe -v error -show_entries format=duration -of csv=p=0 '%s'", path);
  return atof(b);
}

static const char *probe_codecs(char *b, size_t cap, const char *path) {
  return sh(b, cap, "ffprobe -v error -show_entries stream=codec_name -of csv=p=0 '%s'", path);
}

#define NEAR(a, b, frac) ((a) > (b) * (1 - (frac)) && (a) < (b) * (1 + (frac)))

static void test_format_parse(void) {
  CHECK_EQ_INT(rtc_record_format_parse("/tmp/a.webm"), RTC_RECORD_FORMAT_WEBM);
  CHECK_EQ_INT(rtc_record_format_parse("x.MKV"), RTC_RECORD_FORMAT_MKV);
  CHECK_EQ_INT(rtc_record_format_parse("x.opus"), RTC_RECORD_FORMAT_OGG);
  CHECK_EQ_INT(rtc_record_format_parse("ogg"), RTC_RECORD_FORMAT_OGG);
  CHECK_EQ_INT(rtc_record_format_parse("a.ivf"), RTC_RECORD_FORMAT_IVF);
  CHECK_EQ_INT(rtc_record_format_parse("a.mp4"), RTC_RECORD_FORMAT_MP4);
  CHECK_EQ_INT(rtc_record_format_parse("a.M4A"), RTC_RECORD_FORMAT_M4A);
  CHECK_EQ_INT(rtc_record_format_parse("a.mov"), RTC_RECORD_FORMAT_NONE);
  CHECK_EQ_INT(rtc_record_format_parse(NULL), RTC_RECORD_FORMAT_NONE);
  rtc_record_t *r = NULL;
  rtc_record_config_t cfg = {.format = RTC_RECORD_FORMAT_IVF};
  rtc_record_track_config_t opus = {.codec = RTC_MEDIA_CODEC_OPUS};
  rtc_record_track_config_t h264 = {.codec = RTC_MEDIA_CODEC_H264};
  CHECK_EQ_INT(rtc_record_create(&cfg, &opus, 1, &r), RTC_EINVAL); /* IVF holds video */
  cfg.format = RTC_RECORD_FORMAT_WEBM;
  CHECK_EQ_INT(rtc_record_create(&cfg, &h264, 1, &r), RTC_EINVAL); /* WebM has no H.264 */
  CHECK(r == NULL);
  cfg.format = RTC_RECORD_FORMAT_IVF;
  CHECK_EQ_INT(rtc_record_create(&cfg, &h264, 1, &r), RTC_EINVAL);
  cfg.format = RTC_RECORD_FORMAT_MKV;
  CHECK_EQ_INT(rtc_record_create(&cfg, &h264, 1, &r), 0);
  rtc_record_destroy(r);
  CHECK_EQ_INT(rtc_record_format_parse("a.h264"), RTC_RECORD_FORMAT_H264);
  CHECK_EQ_INT(rtc_record_format_parse("a.264"), RTC_RECORD_FORMAT_H264);
  cfg.format = RTC_RECORD_FORMAT_H264;
  CHECK_EQ_INT(rtc_record_create(&cfg, &opus, 1, &r), RTC_EINVAL); /* one H.264 track only */
  /* MP4: no VP8 (no MP4 binding: WebM); M4A: audio only */
  rtc_record_track_config_t vp8_opus[2] = {{.codec = RTC_MEDIA_CODEC_VP8}, opus};
  rtc_record_track_config_t av1 = {.codec = RTC_MEDIA_CODEC_AV1};
  cfg.format = RTC_RECORD_FORMAT_MP4;
  CHECK_EQ_INT(rtc_record_create(&cfg, vp8_opus, 2, &r), RTC_EINVAL);
  CHECK_EQ_INT(rtc_record_create(&cfg, &av1, 1, &r), 0);
  rtc_record_destroy(r);
  CHECK_EQ_INT(rtc_record_create(&cfg, &h264, 1, &r), 0);
  rtc_record_destroy(r);
  cfg.format = RTC_RECORD_FORMAT_M4A;
  CHECK_EQ_INT(rtc_record_create(&cfg, &h264, 1, &r), RTC_EINVAL);
  CHECK_EQ_INT(rtc_record_create(&cfg, &opus, 1, &r), 0);
  rtc_record_destroy(r);
}

/* H.264 as Annex-B (the one-track recorder's .h264): ffmpeg's capture from its second
 * picture on (not an IDR: skipped until the next one, counted) gives the frames from
 * that IDR byte for byte, and ffmpeg decodes them silently. */
static void test_h264_annexb(void) {
  clipf_t v;
  CHECK_EQ_INT(depay("h264-ffmpeg.rtp", RTC_RTP_CODEC_H264, 0xffff0000u, &v), 60);
  rtc_record_config_t cfg = {.format = RTC_RECORD_FORMAT_H264};
  rtc_record_track_config_t tc = {.codec = RTC_MEDIA_CODEC_H264};
  rtc_record_t *r = NULL;
  CHECK_EQ_INT(rtc_record_create(&cfg, &tc, 1, &r), 0);
  int first_key = -1;
  size_t want = 0;
  for (int i = 1; i < v.n; i++) {
    if (first_key < 0 && v.key[i]) first_key = i;
    if (first_key >= 0) want += v.len[i];
    CHECK_EQ_INT(rtc_record_push(r, 0, v.data[i], v.len[i], v.ts[i], v.key[i], 1000 + i), 0);
  }
  CHECK_EQ_INT(rtc_record_finish(r), 0);
  rtc_record_stats_t st;
  rtc_record_get_stats(r, &st);
  CHECK(first_key > 1);
  CHECK_EQ_INT(st.skipped, first_key - 1);
  CHECK_EQ_INT(st.frames, v.n - first_key);
  CHECK_EQ_INT(st.bytes, want);
  const uint8_t *p;
  size_t n = rtc_media_out_peek(rtc_record_out(r), &p);
  CHECK_EQ_INT(n, want);
  CHECK(n >= v.len[first_key] && !memcmp(p, v.data[first_key], v.len[first_key]));
  char path[128];
  media_tmp_path(path, sizeof path, "annexb.h264");
  save(r, path);
  rtc_record_destroy(r);
  CHECK_EQ_INT(media_ffprobe_frames(path), v.n - first_key);
  CHECK_EQ_INT(media_ffmpeg_clean(path), 0);
  unlink(path);
  clip_free(&v);
}

/* VP8 capture whose timestamps wrap at about 1 s: IVF plays 2 s, all 60 frames. */
/* jump: added to the timestamps from frame 30 on (a restarted sender), 0 for none */
static void ivf_vp8_run(uint32_t jump) {
  clipf_t c;
  CHECK_EQ_INT(depay("vp8-gst.rtp", RTC_RTP_CODEC_VP8, 0, &c), 60);
  uint32_t shift = 0xFFFFFFFFu - 90000 - c.ts[0]; /* wraps 1 s in */
  rtc_record_config_t cfg = {.format = RTC_RECORD_FORMAT_IVF};
  rtc_record_track_config_t tc = {.codec = RTC_MEDIA_CODEC_VP8};
  rtc_record_t *r = NULL;
  CHECK_EQ_INT(rtc_record_create(&cfg, &tc, 1, &r), 0);
  for (int i = 0; i < c.n; i++)
    CHECK_EQ_INT(rtc_record_push(r, 0, c.data[i], c.len[i], c.ts[i] + shift + (i >= 30 ? jump : 0),
                                 c.key[i], 1000000 + (uint64_t)i * 33333),
                 0);
  CHECK_EQ_INT(rtc_record_finish(r), 0);
  rtc_record_stats_t st;
  rtc_record_get_stats(r, &st);
  CHECK_EQ_INT(st.frames, 60);
  CHECK_EQ_INT(st.discontinuities, jump ? 1 : 0);
  CHECK(NEAR((double)st.duration_us, 1966666.0, 0.05));
  char path[128];
  media_tmp_path(path, sizeof path, "rec.ivf");
  save(r, path);
  rtc_record_destroy(r);
  CHECK_EQ_INT(media_ffmpeg_clean(path), 0);
  CHECK_EQ_INT(media_ffprobe_frames(path), 60);
  double d = probe_duration(path);
  CHECK(NEAR(d, 2.0, 0.05));
  char b[128];
  CHECK_STR(probe_codecs(b, sizeof b, path), "vp8");
  if (!NEAR(d, 2.0, 0.05)) fprintf(stderr, "  duration %f\n", d);
  unlink(path);
  clip_free(&c);
}

static void test_ivf_vp8_wrap(void) { ivf_vp8_run(0); }

/* Timestamps 100 s back from the middle on: all 60 pictures, 2 s, in order. */
static void test_ivf_vp8_timestamp_jump(void) { ivf_vp8_run((uint32_t) - (100 * 90000)); }

/* Recording starts mid-stream: nothing until the keyframe (frame 30), a PLI wanted until
 * then, and the file starts with it. */
static void test_ivf_starts_at_keyframe(void) {
  clipf_t c;
  CHECK_EQ_INT(depay("vp8-ffmpeg.rtp", RTC_RTP_CODEC_VP8, 0, &c), 60);
  CHECK(c.key[30] && !c.key[5]);
  rtc_record_config_t cfg = {.format = RTC_RECORD_FORMAT_IVF};
  rtc_record_track_config_t tc = {.codec = RTC_MEDIA_CODEC_VP8};
  rtc_record_t *r = NULL;
  CHECK_EQ_INT(rtc_record_create(&cfg, &tc, 1, &r), 0);
  CHECK(rtc_record_wants_keyframe(r, 0));
  for (int i = 5; i < c.n; i++) {
    CHECK_EQ_INT(rtc_record_push(r, 0, c.data[i], c.len[i], c.ts[i], c.key[i], (uint64_t)i * 33333),
                 0);
    CHECK(rtc_record_wants_keyframe(r, 0) == (i < 30));
  }
  rtc_record_finish(r);
  char path[128];
  media_tmp_path(path, sizeof path, "key.ivf");
  save(r, path);
  rtc_record_destroy(r);
  CHECK_EQ_INT(media_ffmpeg_clean(path), 0);
  CHECK_EQ_INT(media_ffprobe_frames(path), 30);
  unlink(path);
  clip_free(&c);
}

/* Opus with a gap of 25 packets (half a second not sent, as a muted track): the gap
 * stays, the file still lasts 2 s; timestamps wrap too. */
static void test_ogg_gap_wrap(void) {
  clipf_t c;
  int n = depay("opus-gst.rtp", RTC_RTP_CODEC_OPUS, 0, &c);
  CHECK(n >= 95);
  uint32_t shift = 0xFFFFFFFFu - 48000 - c.ts[0];
  rtc_record_config_t cfg = {.format = RTC_RECORD_FORMAT_OGG};
  rtc_record_track_config_t tc = {.codec = RTC_MEDIA_CODEC_OPUS};
  rtc_record_t *r = NULL;
  CHECK_EQ_INT(rtc_record_create(&cfg, &tc, 1, &r), 0);
  CHECK(!rtc_record_wants_keyframe(r, 0));
  int pushed = 0;
  for (int i = 0; i < n; i++) {
    if (i >= 40 && i < 65) continue;
    CHECK_EQ_INT(
        rtc_record_push(r, 0, c.data[i], c.len[i], c.ts[i] + shift, true, (uint64_t)i * 20000), 0);
    pushed++;
  }
  rtc_record_finish(r);
  rtc_record_stats_t st;
  rtc_record_get_stats(r, &st);
  CHECK_EQ_INT(st.frames, pushed);
  char path[128];
  media_tmp_path(path, sizeof path, "gap.ogg");
  save(r, path);
  rtc_record_destroy(r);
  CHECK_EQ_INT(media_ffmpeg_clean(path), 0);
  double d = probe_duration(path);
  CHECK(NEAR(d, n * 0.02, 0.05));
  if (!NEAR(d, n * 0.02, 0.05)) fprintf(stderr, "  duration %f want %f\n", d, n * 0.02);
  char b[128];
  CHECK_STR(probe_codecs(b, sizeof b, path), "opus");
  unlink(path);
  clip_free(&c);
}

/* A sender whose RTP timestamps jump (a restarted sender, a new SSRC with a new random
 * base) while frames keep arriving every 20 ms: back by 200 s at one third, forward
 * by an hour at two thirds. The recording goes on at the arrival's pace: every frame
 * written, 2 s long (before: every frame after the backward jump was dropped as
 * "before the last one"; a forward jump made an hour-long file). */
static void test_ogg_timestamp_jumps(void) {
  clipf_t c;
  int n = depay("opus-gst.rtp", RTC_RTP_CODEC_OPUS, 0, &c);
  CHECK(n >= 95);
  rtc_record_config_t cfg = {.format = RTC_RECORD_FORMAT_OGG};
  rtc_record_track_config_t tc = {.codec = RTC_MEDIA_CODEC_OPUS};
  rtc_record_t *r = NULL;
  CHECK_EQ_INT(rtc_record_create(&cfg, &tc, 1, &r), 0);
  for (int i = 0; i < n; i++) {
    uint32_t shift = i < n / 3 ? 0 : i < 2 * n / 3 ? (uint32_t) - (200 * 48000) : 3600u * 48000;
    CHECK_EQ_INT(
        rtc_record_push(r, 0, c.data[i], c.len[i], c.ts[i] + shift, true, (uint64_t)i * 20000), 0);
  }
  rtc_record_finish(r);
  rtc_record_stats_t st;
  rtc_record_get_stats(r, &st);
  CHECK_EQ_INT(st.frames, n);
  CHECK_EQ_INT(st.dropped, 0);
  CHECK_EQ_INT(st.discontinuities, 2);
  CHECK(NEAR(st.duration_us / 1e6, n * 0.02, 0.05));
  char path[128];
  media_tmp_path(path, sizeof path, "jumps.ogg");
  save(r, path);
  rtc_record_destroy(r);
  CHECK_EQ_INT(media_ffmpeg_clean(path), 0);
  double d = probe_duration(path);
  CHECK(NEAR(d, n * 0.02, 0.05));
  if (!NEAR(d, n * 0.02, 0.05)) fprintf(stderr, "  duration %f want %f\n", d, n * 0.02);
  unlink(path);
  clip_free(&c);
}

/* Feeds VP8 + Opus interleaved by arrival, video skew_us later than audio of the same
 * capture instant. sr: 1 = both senders' SRs (saying the first frames were captured at the
 * same instant) before the first frame, 2 = the same SRs 1 s into the stream (senders
 * send them after their first packets), 0 = none. */
static rtc_record_t *record_av_as(const clipf_t *v, const clipf_t *a, int sr, int64_t skew_us,
                                  rtc_record_format_t format, rtc_media_codec_t vcodec) {
  rtc_record_config_t cfg = {.format = format};
  rtc_record_track_config_t tc[2] = {{.codec = vcodec}, {.codec = RTC_MEDIA_CODEC_OPUS}};
  rtc_record_t *r = NULL;
  CHECK_EQ_INT(rtc_record_create(&cfg, tc, 2, &r), 0);
  if (!r) return NULL;
  uint64_t ntp0 = (uint64_t)3900000000u << 32;
  if (sr == 1) {
    rtc_record_sr(r, 0, ntp0, v->ts[0]);
    rtc_record_sr(r, 1, ntp0, a->ts[0]);
  }
  int vi = 0, ai = 0;
  while (vi < v->n || ai < a->n) {
    uint64_t vt = 2000000 + (uint64_t)(uint32_t)(v->ts[vi < v->n ? vi : 0] - v->ts[0]) * 1000 / 90 +
                  (uint64_t)skew_us;
    uint64_t at = 2000000 + (uint64_t)(uint32_t)(a->ts[ai < a->n ? ai : 0] - a->ts[0]) * 1000 / 48;
    if (sr == 2 && (vt < at ? vt : at) >= 3000000) {
      sr = 0;
      rtc_record_sr(r, 0, ntp0, v->ts[0]);
      rtc_record_sr(r, 1, ntp0, a->ts[0]);
    }
    if (vi < v->n && (ai >= a->n || vt <= at)) {
      CHECK_EQ_INT(rtc_record_push(r, 0, v->data[vi], v->len[vi], v->ts[vi], v->key[vi], vt), 0);
      vi++;
    } else {
      CHECK_EQ_INT(rtc_record_push(r, 1, a->data[ai], a->len[ai], a->ts[ai], true, at), 0);
      ai++;
    }
  }
  CHECK_EQ_INT(rtc_record_finish(r), 0);
  return r;
}

static rtc_record_t *record_av(const clipf_t *v, const clipf_t *a, int sr, int64_t skew_us) {
  return record_av_as(v, a, sr, skew_us, RTC_RECORD_FORMAT_WEBM, RTC_MEDIA_CODEC_VP8);
}

static double stream_start(const char *path, int idx) {
  char b[256], fmt[300];
  snprintf(fmt, sizeof fmt,
           "ffprobe -v error -select_streams %d -show_entries packet=pts_time -of csv=p=0 '%%s' | "
           "head -1",
           idx);
  sh(b, sizeof b, fmt, path);
  return atof(b);
}

static void test_webm_av(void) {
  clipf_t v, a;
  CHECK_EQ_INT(depay("vp8-gst.rtp", RTC_RTP_CODEC_VP8, 0x7fffff00u, &v), 60);
  CHECK(depay("opus-ffmpeg.rtp", RTC_RTP_CODEC_OPUS, 0xfffff000u, &a) >= 95);
  rtc_record_t *r = record_av(&v, &a, 1, 0);
  char path[128];
  media_tmp_path(path, sizeof path, "av.webm");
  if (r) save(r, path);
  rtc_record_stats_t st;
  rtc_record_get_stats(r, &st);
  CHECK(st.frames >= 150);
  rtc_record_destroy(r);
  CHECK_EQ_INT(media_ffmpeg_clean(path), 0);
  char b[128];
  CHECK_STR(probe_codecs(b, sizeof b, path), "vp8 opus");
  double d = probe_duration(path);
  CHECK(NEAR(d, 2.0, 0.05));
  if (!NEAR(d, 2.0, 0.05)) fprintf(stderr, "  duration %f\n", d);
  double sv = stream_start(path, 0), sa = stream_start(path, 1);
  CHECK(sv - sa < 0.1 && sa - sv < 0.1);
  if (!(sv - sa < 0.1 && sa - sv < 0.1)) fprintf(stderr, "  starts v %f a %f\n", sv, sa);
  unlink(path);
  clip_free(&v);
  clip_free(&a);
}

/* H.264 (GStreamer's and ffmpeg's payloaders: STAP-A SPS+PPS, FU-A) + Opus into Matroska:
 * the codec private comes from the in-band SPS/PPS, the Annex-B access units become
 * length-prefixed; ffmpeg decodes all 60 pictures, and (ffmpeg's capture) silently, 2 s,
 * both streams starting together. GStreamer's capture gave every packet one RTP
 * timestamp (a file source without timing), so its frames land 1 ms apart: only decoded.
 * The AVCDecoderConfigurationRecord is checked byte by byte. */
static void test_mkv_h264(void) {
  const char *caps[] = {"h264-gst.rtp", "h264-ffmpeg.rtp"};
  for (int k = 0; k < 2; k++) {
    clipf_t v, a;
    CHECK_EQ_INT(depay(caps[k], RTC_RTP_CODEC_H264, 0xffff0000u, &v), 60);
    CHECK(depay("opus-ffmpeg.rtp", RTC_RTP_CODEC_OPUS, 0, &a) >= 95);
    rtc_record_t *r = record_av_as(&v, &a, 1, 0, RTC_RECORD_FORMAT_MKV, RTC_MEDIA_CODEC_H264);
    char path[128];
    media_tmp_path(path, sizeof path, k ? "h264-ffmpeg.mkv" : "h264-gst.mkv");
    if (r) save(r, path);
    rtc_record_stats_t st;
    rtc_record_get_stats(r, &st);
    CHECK(st.frames >= 150);
    rtc_record_destroy(r);
    CHECK(media_ffprobe_frames(path) == 60);
    if (k == 0) {
      unlink(path);
      clip_free(&v);
      clip_free(&a);
      continue;
    }
    CHECK_EQ_INT(media_ffmpeg_clean(path), 0);
    char b[128];
    probe_codecs(b, sizeof b, path); /* h264 has an extra csv field: "h264,\nopus" */
    CHECK(!strncmp(b, "h264", 4) && strstr(b, "opus"));
    CHECK_STR(
        sh(b, sizeof b, "ffprobe -v error -show_entries format=format_name -of csv=p=0 '%s'", path),
        "\"matroska,webm\"");
    double d = probe_duration(path);
    CHECK(NEAR(d, 2.0, 0.05));
    if (!NEAR(d, 2.0, 0.05)) fprintf(stderr, "  %s: duration %f\n", caps[k], d);
    double sv = stream_start(path, 0), sa = stream_start(path, 1);
    CHECK(sv - sa < 0.1 && sa - sv < 0.1);
    unlink(path);
    clip_free(&v);
    clip_free(&a);
  }
  uint8_t sps[] = {0x67, 0x42, 0xc0, 0x1e, 0xd9, 0x00}, pps[] = {0x68, 0xce, 0x3c, 0x80};
  uint8_t out[64];
  CHECK_EQ_INT(rtc_record_webm_avcc(sps, sizeof sps, pps, sizeof pps, out, sizeof out), 21);
  uint8_t want[] = {1,    0x42, 0xc0, 0x1e, 0xff, 0xe1, 0,    6,    0x67, 0x42, 0xc0,
                    0x1e, 0xd9, 0x00, 1,    0,    4,    0x68, 0xce, 0x3c, 0x80};
  CHECK(!memcmp(out, want, sizeof want));
  CHECK_EQ_INT(rtc_record_webm_avcc(sps, 3, pps, sizeof pps, out, sizeof out), 0);
  CHECK_EQ_INT(rtc_record_webm_avcc(sps, sizeof sps, pps, sizeof pps, out, 20), 0);
}

/* Without SRs the tracks are placed by arrival: video arriving 300 ms late lands 300 ms
 * after the audio that arrived with its capture instant. */
static void test_webm_arrival_alignment(void) {
  clipf_t v, a;
  depay("vp8-gst.rtp", RTC_RTP_CODEC_VP8, 0, &v);
  depay("opus-gst.rtp", RTC_RTP_CODEC_OPUS, 0, &a);
  rtc_record_t *r = record_av(&v, &a, 0, 300000);
  char path[128];
  media_tmp_path(path, sizeof path, "arr.webm");
  if (r) save(r, path);
  rtc_record_destroy(r);
  CHECK_EQ_INT(media_ffmpeg_clean(path), 0);
  double sv = stream_start(path, 0), sa = stream_start(path, 1);
  CHECK(sv - sa < 0.1 && sa - sv < 0.1); /* audio before the video keyframe is dropped */
  unlink(path);
  clip_free(&v);
  clip_free(&a);
}

/* Audio arrives 400 ms after the video of the same instant, the SRs (saying so) come
 * 1 s after the first frames: the recorder keeps the frames until it has them, and the
 * file starts both tracks together. Placed by arrival, audio would start 400 ms late. */
static void test_webm_late_sr_alignment(void) {
  clipf_t v, a;
  depay("vp8-gst.rtp", RTC_RTP_CODEC_VP8, 0x7fffff00u, &v);
  depay("opus-ffmpeg.rtp", RTC_RTP_CODEC_OPUS, 0, &a);
  for (int mode = 2; mode >= 0; mode -= 2) {
    rtc_record_t *r = record_av(&v, &a, mode, -400000);
    char path[128];
    media_tmp_path(path, sizeof path, "latesr.webm");
    if (r) save(r, path);
    rtc_record_destroy(r);
    CHECK_EQ_INT(media_ffmpeg_clean(path), 0);
    double sv = stream_start(path, 0), sa = stream_start(path, 1);
    if (mode == 2) {
      CHECK(sa - sv < 0.05 && sv - sa < 0.05);
    } else { /* the control: without SRs the arrival decides */
      CHECK(sa - sv > 0.35 && sa - sv < 0.45);
    }
    fprintf(stderr, "  %s: video starts %.3f s, audio %.3f s\n", mode ? "late SRs" : "no SRs", sv,
            sa);
    unlink(path);
  }
  clip_free(&v);
  clip_free(&a);
}

/* A recording killed before finish: the bytes so far, cut in the middle of a block,
 * still decode up to the cut (unknown-size segment and clusters). */
static void test_webm_killed(void) {
  clipf_t v, a;
  depay("vp8-gst.rtp", RTC_RTP_CODEC_VP8, 0, &v);
  depay("opus-gst.rtp", RTC_RTP_CODEC_OPUS, 0, &a);
  /* no waiting for SRs: the video is written as it comes */
  rtc_record_config_t cfg = {.format = RTC_RECORD_FORMAT_WEBM, .sr_wait_us = 1};
  rtc_record_track_config_t tc[2] = {{.codec = RTC_MEDIA_CODEC_VP8},
                                     {.codec = RTC_MEDIA_CODEC_OPUS}};
  rtc_record_t *r = NULL;
  CHECK_EQ_INT(rtc_record_create(&cfg, tc, 2, &r), 0);
  for (int i = 0; i < 45; i++) /* 1.5 s of video, no audio yet */
    rtc_record_push(r, 0, v.data[i], v.len[i], v.ts[i], v.key[i], (uint64_t)i * 33333);
  uint8_t *mem = NULL;
  size_t mem_len = 0;
  media_drain(rtc_record_out(r), NULL, &mem, &mem_len);
  rtc_record_destroy(r); /* never finished */
  char path[128];
  media_tmp_path(path, sizeof path, "cut.webm");
  CHECK_EQ_INT(media_write_file(path, mem, mem_len - v.len[44] / 2), 0);
  long frames = media_ffprobe_frames(path);
  CHECK(frames >= 43 && frames <= 44);
  if (!(frames >= 43 && frames <= 44)) fprintf(stderr, "  frames %ld\n", frames);
  free(mem);
  unlink(path);
  clip_free(&v);
  clip_free(&a);
}

/* H.264 (ffmpeg's payloader) and VP9 (GStreamer's) with Opus through the recorder into
 * fragmented MP4: ffmpeg decodes every picture silently, 2 s, both streams starting
 * together; the picture size comes from the SPS / the VP9 keyframe (320x240). Opus alone
 * into .m4a. */
static void test_mp4_av(void) {
  struct {
    const char *cap;
    rtc_rtp_codec_t rtp;
    rtc_media_codec_t codec;
    const char *name;
  } cases[] = {{"h264-ffmpeg.rtp", RTC_RTP_CODEC_H264, RTC_MEDIA_CODEC_H264, "h264"},
               {"vp9-gst.rtp", RTC_RTP_CODEC_VP9, RTC_MEDIA_CODEC_VP9, "vp9"}};
  for (int k = 0; k < 2; k++) {
    clipf_t v, a;
    CHECK_EQ_INT(depay(cases[k].cap, cases[k].rtp, 0xffff0000u, &v), 60);
    CHECK(depay("opus-ffmpeg.rtp", RTC_RTP_CODEC_OPUS, 0xfffff000u, &a) >= 95);
    rtc_record_t *r = record_av_as(&v, &a, 1, 0, RTC_RECORD_FORMAT_MP4, cases[k].codec);
    char path[128];
    media_tmp_path(path, sizeof path, k ? "vp9.mp4" : "h264.mp4");
    if (r) save(r, path);
    rtc_record_stats_t st;
    rtc_record_get_stats(r, &st);
    CHECK(st.frames >= 150);
    rtc_record_destroy(r);
    CHECK_EQ_INT(media_ffmpeg_clean(path), 0);
    CHECK(media_ffprobe_frames(path) == 60);
    char b[128], want[32];
    snprintf(want, sizeof want, "%s opus", cases[k].name);
    CHECK_STR(probe_codecs(b, sizeof b, path), want);
    CHECK_STR(sh(b, sizeof b,
                 "ffprobe -v error -select_streams v -show_entries "
                 "stream=width,height -of csv=p=0 '%s'",
                 path),
              "320,240");
    double d = probe_duration(path);
    CHECK(NEAR(d, 2.0, 0.05));
    double sv = stream_start(path, 0), sa = stream_start(path, 1);
    CHECK(sv - sa < 0.05 && sa - sv < 0.05);
    fprintf(stderr, "  %s + opus: %llu bytes, %.3f s, video starts %.3f s, audio %.3f s\n",
            cases[k].name, (unsigned long long)st.bytes, d, sv, sa);
    unlink(path);
    clip_free(&v);
    clip_free(&a);
  }
  clipf_t a;
  CHECK(depay("opus-gst.rtp", RTC_RTP_CODEC_OPUS, 0, &a) >= 95);
  rtc_record_config_t cfg = {.format = RTC_RECORD_FORMAT_M4A};
  rtc_record_track_config_t tc = {.codec = RTC_MEDIA_CODEC_OPUS};
  rtc_record_t *r = NULL;
  CHECK_EQ_INT(rtc_record_create(&cfg, &tc, 1, &r), 0);
  for (int i = 0; r && i < a.n; i++)
    CHECK_EQ_INT(rtc_record_push(r, 0, a.data[i], a.len[i], a.ts[i], true, (uint64_t)i * 20000), 0);
  CHECK_EQ_INT(rtc_record_finish(r), 0);
  char path[128];
  media_tmp_path(path, sizeof path, "opus.m4a");
  if (r) save(r, path);
  rtc_record_destroy(r);
  CHECK_EQ_INT(media_ffmpeg_clean(path), 0);
  char b[128];
  CHECK_STR(probe_codecs(b, sizeof b, path), "opus");
  CHECK(media_ffprobe_frames(path) == a.n);
  CHECK(NEAR(probe_duration(path), a.n * 0.02, 0.05));
  /* The pre-skip (dOps, and the elst that hides it) cut once: 312 samples fewer than the
   * packets hold, the first decoded frame 648 samples at 6.5 ms, as its packet is at 0
   * (the 20 ms packets keep their times: the file's audio stays in sync with video). */
  char want[64];
  snprintf(want, sizeof want, "%d", a.n * 960 - 312);
  CHECK_STR(
      sh(b, sizeof b,
         "ffmpeg -nostdin -v error -i '%s' -map 0:a -ac 1 -c:a pcm_s16le -f s16le - | wc -c | "
         "awk '{print $1 / 2}'",
         path),
      want);
  CHECK_STR(
      sh(b, sizeof b,
         "ffprobe -v error -show_entries frame=pts_time,nb_samples -of csv=p=0 '%s' | head -1",
         path),
      "0.006500,648");
  unlink(path);
  clip_free(&a);
}

/* An MP4 recording killed before finish: the complete fragments play (the one being
 * gathered is lost: at most ~2 s). */
static void test_mp4_killed(void) {
  clipf_t v, a;
  depay("h264-ffmpeg.rtp", RTC_RTP_CODEC_H264, 0, &v);
  depay("opus-gst.rtp", RTC_RTP_CODEC_OPUS, 0, &a);
  rtc_record_config_t cfg = {.format = RTC_RECORD_FORMAT_MP4, .sr_wait_us = 1};
  rtc_record_track_config_t tc[2] = {{.codec = RTC_MEDIA_CODEC_H264},
                                     {.codec = RTC_MEDIA_CODEC_OPUS}};
  rtc_record_t *r = NULL;
  CHECK_EQ_INT(rtc_record_create(&cfg, tc, 2, &r), 0);
  /* 1.5 s of video, no audio yet: one fragment done (0-1 s: the second IDR comes 89999
   * ticks after the first, which is "about 1 s") */
  for (int i = 0; i < 45; i++)
    rtc_record_push(r, 0, v.data[i], v.len[i], v.ts[i], v.key[i], (uint64_t)i * 33333);
  uint8_t *mem = NULL;
  size_t mem_len = 0;
  media_drain(rtc_record_out(r), NULL, &mem, &mem_len);
  rtc_record_destroy(r); /* never finished */
  char path[128];
  media_tmp_path(path, sizeof path, "cut.mp4");
  CHECK_EQ_INT(media_write_file(path, mem, mem_len), 0);
  CHECK_EQ_INT(media_ffmpeg_clean(path), 0);
  long frames = media_ffprobe_frames(path);
  CHECK_EQ_INT((int)frames, 30);
  free(mem);
  unlink(path);
  clip_free(&v);
  clip_free(&a);
}

/* A peer's H.264 frame ending in a start code has an empty last NAL unit whose pointer is
 * one past the frame: the recorder's SPS/PPS scan read that byte (ASan in make asan-test:
 * heap-buffer-overflow in h264_params). The frame is allocated to its exact size. */
static void test_h264_empty_nal(void) {
  static const uint8_t f[] = {0, 0, 0, 1, 0x65, 0x88, 0, 0, 1};
  rtc_record_format_t fmts[] = {RTC_RECORD_FORMAT_MKV, RTC_RECORD_FORMAT_MP4};
  for (size_t k = 0; k < 2; k++) {
    rtc_record_config_t cfg = {.format = fmts[k]};
    rtc_record_track_config_t tc = {.codec = RTC_MEDIA_CODEC_H264};
    rtc_record_t *r = NULL;
    CHECK_EQ_INT(rtc_record_create(&cfg, &tc, 1, &r), 0);
    if (!r) return;
    uint8_t *p = malloc(sizeof f);
    memcpy(p, f, sizeof f);
    CHECK_EQ_INT(rtc_record_push(r, 0, p, sizeof f, 1000, true, 0), 0);
    CHECK(rtc_record_wants_keyframe(r, 0)); /* no SPS/PPS in it: still waiting */
    free(p);
    rtc_record_destroy(r);
  }
}

/* AV1 into MP4 needs a sequence header for av1C. A first keyframe without one (a sender
 * setting the aggregation header's N bit on a temporal unit that has none) kept the
 * writer from ever opening: every frame was lost. A later keyframe's header now serves. */
static void test_mp4_av1_late_sequence_header(void) {
  rtc_media_ivf_reader_t *iv = NULL;
  CHECK_EQ_INT(rtc_media_ivf_open_file(MEDIA_FIXTURES "av1.ivf", &iv), 0);
  if (!iv) return;
  rtc_record_config_t cfg = {.format = RTC_RECORD_FORMAT_MP4};
  rtc_record_track_config_t tc = {.codec = RTC_MEDIA_CODEC_AV1};
  rtc_record_t *r = NULL;
  CHECK_EQ_INT(rtc_record_create(&cfg, &tc, 1, &r), 0);
  rtc_media_frame_t f;
  rtc_media_ivf_frame(iv, 1, &f); /* an inter frame: no sequence header, flagged key */
  CHECK_EQ_INT(rtc_record_push(r, 0, f.data, f.len, 0, true, 0), 0);
  for (int i = 0; i < 10; i++) { /* then the clip from its keyframe */
    rtc_media_ivf_frame(iv, (size_t)i, &f);
    CHECK_EQ_INT(rtc_record_push(r, 0, f.data, f.len, 3000u * (uint32_t)(i + 1), i == 0,
                                 (uint64_t)(i + 1) * 33333),
                 0);
  }
  CHECK_EQ_INT(rtc_record_finish(r), 0);
  rtc_record_stats_t st;
  rtc_record_get_stats(r, &st);
  CHECK_EQ_INT((int)st.frames, 11);
  rtc_media_out_t *o = rtc_record_out(r);
  CHECK(o->len - o->off > 8 && !memcmp(o->buf + o->off + 4, "ftyp", 4));
  rtc_record_destroy(r);
  rtc_media_ivf_close(iv);
}

/* A sender changing resolution mid-call (libwebrtc under bandwidth pressure): a new SPS
 * and PPS (same ids) with a later IDR. h264-resize.h264: 30 pictures at 320x240, then 30
 * at 640x480 (tests/fixtures/media/README.md). Into MP4 and Matroska, ffmpeg must decode
 * all 60 silently, each at its own size. */
static void test_h264_resolution_change(void) {
  rtc_media_h264_reader_t *hr = NULL;
  CHECK_EQ_INT(rtc_media_h264_open_file(MEDIA_FIXTURES "h264-resize.h264", 30, 1, &hr), 0);
  if (!hr) return;
  CHECK_EQ_INT((int)rtc_media_h264_info(hr)->frames, 60);
  rtc_record_format_t fmts[] = {RTC_RECORD_FORMAT_MP4, RTC_RECORD_FORMAT_MKV};
  for (size_t k = 0; k < 2; k++) {
    rtc_record_config_t cfg = {.format = fmts[k]};
    rtc_record_track_config_t tc = {.codec = RTC_MEDIA_CODEC_H264};
    rtc_record_t *r = NULL;
    CHECK_EQ_INT(rtc_record_create(&cfg, &tc, 1, &r), 0);
    if (!r) break;
    for (size_t i = 0; i < 60; i++) {
      rtc_media_frame_t f;
      CHECK_EQ_INT(rtc_media_h264_frame(hr, i, &f), 0);
      CHECK_EQ_INT(rtc_record_push(r, 0, f.data, f.len, 3000u * (uint32_t)i, f.keyframe,
                                   (uint64_t)i * 33333),
                   0);
    }
    CHECK_EQ_INT(rtc_record_finish(r), 0);
    char path[128], b[2048];
    media_tmp_path(path, sizeof path, k ? "resize.mkv" : "resize.mp4");
    save(r, path);
    rtc_record_destroy(r);
    CHECK_EQ_INT(media_ffmpeg_clean(path), 0);
    /* the sizes of the decoded pictures, run-length coded: "30x320x240 30x640x480" */
    sh(b, sizeof b,
       "ffprobe -v error -show_entries frame=width,height -of csv=p=0 '%s' | uniq -c | "
       "awk '{print $1 \"x\" $2}' | tr , x | paste -sd ' '",
       path);
    CHECK_STR(b, "30x320x240 30x640x480");
    fprintf(stderr, "  %s: %s\n", k ? "mkv" : "mp4", b);
    if (!k) /* avc1 would need every parameter set in its sample entry (see rtc_record_mp4.c) */
      CHECK_STR(sh(b, sizeof b,
                   "ffprobe -v error -show_entries stream=codec_tag_string -of csv=p=0 '%s'", path),
                "avc3");
    unlink(path);
  }
  rtc_media_h264_close(hr);
}

int main(void) {
  RUN_TEST(test_format_parse);
  RUN_TEST(test_h264_empty_nal);
  RUN_TEST(test_mp4_av1_late_sequence_header);
  RUN_TEST(test_ivf_vp8_wrap);
  RUN_TEST(test_ivf_vp8_timestamp_jump);
  RUN_TEST(test_ivf_starts_at_keyframe);
  RUN_TEST(test_ogg_gap_wrap);
  RUN_TEST(test_ogg_timestamp_jumps);
  RUN_TEST(test_webm_av);
  RUN_TEST(test_webm_arrival_alignment);
  RUN_TEST(test_webm_late_sr_alignment);
  RUN_TEST(test_webm_killed);
  RUN_TEST(test_mkv_h264);
  RUN_TEST(test_h264_annexb);
  RUN_TEST(test_mp4_av);
  RUN_TEST(test_mp4_killed);
  RUN_TEST(test_h264_resolution_change);
  TEST_MAIN_END();
}
