// libFuzzer target for rtc_pc_handle_datagram on a CONNECTED session. Per input, two
// pcs (A offers audio + video + a data channel, B answers sendrecv) connect in-process
// over a lossless virtual network: ICE, DTLS, SRTP keyed, SCTP and the channel open.
// Everything random or timed under them is fixed, so every input meets the same
// session (same certificate, ICE credentials, DTLS randoms and keys, SRTP keys, SCTP
// verification tags and TSNs): rtc_random draws from a seeded generator, and usrsctp's
// read_random, gettimeofday and time() are defined here on a virtual clock (as
// tests/sim/sim_hooks.c does). Then the input is a series of operations, each
//   1 byte op, 2 bytes big-endian length, the bytes:
//   op & 3 == 0: the bytes as one datagram to A from B's address (the validated pair):
//                DTLS records, SRTP/SRTCP, STUN, anything;
//   op & 3 == 1: an SCTP packet (CRC32c filled in) sent by B's DTLS, so it reaches
//                A's SCTP stack through a real record;
//   op & 3 == 2: an RTP packet protected by B's SRTP;
//   op & 3 == 3: an RTCP compound packet protected by B's SRTCP;
//   op & 4: the virtual clock moves 1 s after it (else 10 ms); A and B then exchange
//           what they queued (timers, SACKs, RTCP, consent checks).
// Nothing may crash, leak or hang, and no deadline may stay in the past once handled
// (the io loop would spin: checked, an abort).
//
// Seeds: FUZZ_PC_SESSION_SEEDS=<dir> ./fuzz_pc_session -runs=0 connects once, runs
// real traffic from B (channel messages, VP8 and Opus frames from tests/fixtures/media,
// RTCP reports, consent checks over 12 s) and writes every datagram B sent A as an
// op-0 input, and the plaintext SCTP/RTP/RTCP B handed its DTLS/SRTP as op-1/2/3
// inputs (tests/fuzz/make_seeds.py runs it into tests/fuzz/corpus/fuzz_pc_session).
// fuzz-ldflags: -Wl,--wrap=rtc_transport_send_dtls,--wrap=rtc_transport_send_rtp,--wrap=rtc_transport_send_rtcp
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "base/rtc_log.h"
#include "base/rtc_random.h"
#include "dtls/rtc_dtls_internal.h"
#include "media/rtc_media_ivf.h"
#include "media/rtc_media_ogg.h"
#include "pc/rtc_pc_media_internal.h"
#include "sctp/rtc_sctp.h"
#include "sctp/rtc_sctp_internal.h"
#include "srtp/rtc_srtp.h"

#define EPOCH_S 1767225600ull /* 2026-01-01: the virtual wall clock's start */

/* ---- what makes a session replay ---- */

/* The pcs' clock never goes back (usrsctp's shared timer counts from its last tick);
 * the wall clock the libraries read restarts with each session (mbedTLS puts it in
 * the DTLS randoms, usrsctp in its cookies). */
static uint64_t now_us, session_start_us;
static uint64_t rng_rt, rng_sctp;

static uint64_t splitmix(uint64_t *s) {
  uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static void fill(uint64_t *s, void *buf, size_t len) {
  uint8_t *p = buf;
  while (len) {
    uint64_t v = splitmix(s);
    size_t n = len < 8 ? len : 8;
    memcpy(p, &v, n);
    p += n;
    len -= n;
  }
}

static void random_source(void *ud, void *buf, size_t len) { fill(ud, buf, len); }

int read_random(void *buf, int count);
int read_random(void *buf, int count) {
  if (count > 0) fill(&rng_sctp, buf, (size_t)count);
  return count;
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz) {
  uint64_t t = EPOCH_S * 1000000ull + (now_us - session_start_us);
  tv->tv_sec = (time_t)(t / 1000000u);
  tv->tv_usec = (suseconds_t)(t % 1000000u);
  return 0;
}

time_t time(time_t *out) {
  time_t t = (time_t)(EPOCH_S + (now_us - session_start_us) / 1000000u);
  if (out) *out = t;
  return t;
}

/* ---- the two peers ---- */

typedef struct peer {
  rtc_pc_t *pc;
  rtc_addr_t addr;
} peer_t;

static peer_t A, B;
static rtc_tr_t *b_audio, *b_video;

/* Capture (seed writing): what B sends A after the session is up. */
static const char *cap_dir;
static bool capturing;
static unsigned cap_n;

static void cap_write(int op, const uint8_t *p, size_t len) {
  if (!capturing || len > 65535) return;
  char path[4096];
  snprintf(path, sizeof(path), "%s/%c%04u", cap_dir, "dsrc"[op], cap_n++);
  FILE *f = fopen(path, "wb");
  if (!f) return;
  uint8_t hdr[3] = {(uint8_t)op, (uint8_t)(len >> 8), (uint8_t)len};
  fwrite(hdr, 1, 3, f);
  fwrite(p, 1, len, f);
  fclose(f);
}

int __real_rtc_transport_send_dtls(rtc_transport_t *t, uint64_t now, const uint8_t *p, size_t len);
int __real_rtc_transport_send_rtp(rtc_transport_t *t, uint64_t now, const uint8_t *p, size_t len);
int __real_rtc_transport_send_rtcp(rtc_transport_t *t, uint64_t now, const uint8_t *p, size_t len);
int __wrap_rtc_transport_send_dtls(rtc_transport_t *t, uint64_t now, const uint8_t *p,
                                   size_t len);
int __wrap_rtc_transport_send_rtp(rtc_transport_t *t, uint64_t now, const uint8_t *p, size_t len);
int __wrap_rtc_transport_send_rtcp(rtc_transport_t *t, uint64_t now, const uint8_t *p,
                                   size_t len);

int __wrap_rtc_transport_send_dtls(rtc_transport_t *t, uint64_t now, const uint8_t *p,
                                   size_t len) {
  if (B.pc && t == B.pc->transport) cap_write(1, p, len);
  return __real_rtc_transport_send_dtls(t, now, p, len);
}
int __wrap_rtc_transport_send_rtp(rtc_transport_t *t, uint64_t now, const uint8_t *p, size_t len) {
  if (B.pc && t == B.pc->transport) cap_write(2, p, len);
  return __real_rtc_transport_send_rtp(t, now, p, len);
}
int __wrap_rtc_transport_send_rtcp(rtc_transport_t *t, uint64_t now, const uint8_t *p,
                                   size_t len) {
  if (B.pc && t == B.pc->transport) cap_write(3, p, len);
  return __real_rtc_transport_send_rtcp(t, now, p, len);
}

static uint64_t traffic_hash;
/* Hands what `from` queued to `to` (transmits from anything else are dropped). */
static void deliver(peer_t *from, peer_t *to) {
  rtc_transmit_t tx;
  while (rtc_pc_poll_transmit(from->pc, &tx)) {
    if (!rtc_addr_equal(&tx.remote, &to->addr)) continue;
    if (from == &B) cap_write(0, tx.data, tx.len);
    for (size_t i = 0; i < tx.len; i++) /* what the stats line prints: is it the same session? */
      traffic_hash = (traffic_hash ^ tx.data[i]) * 0x100000001B3ull;
    uint8_t buf[2048];
    size_t n = tx.len < sizeof(buf) ? tx.len : sizeof(buf);
    memcpy(buf, tx.data, n);
    rtc_pc_handle_datagram(to->pc, now_us, &to->addr, &from->addr, buf, n);
  }
}


static void drain_events(peer_t *p) {
  rtc_pc_event_t ev;
  while (rtc_pc_poll_event(p->pc, &ev))
    if (ev.type == RTC_PC_EVENT_DATACHANNEL) rtc_dc_unref(ev.dc); /* we keep none */
}

/* Both sides' timers up to now, and what they send each other until quiet. */
static void settle(void) {
  if (rtc_sctp_global_poll_timeout(now_us) <= now_us) rtc_sctp_global_handle_timeout(now_us);
  for (int round = 0; round < 64; round++) {
    rtc_pc_handle_timeout(A.pc, now_us);
    rtc_pc_handle_timeout(B.pc, now_us);
    bool a = rtc_pc_poll_timeout(A.pc) > now_us, b = rtc_pc_poll_timeout(B.pc) > now_us;
    deliver(&A, &B);
    deliver(&B, &A);
    drain_events(&A);
    drain_events(&B);
    if (a && b && rtc_pc_poll_timeout(A.pc) > now_us && rtc_pc_poll_timeout(B.pc) > now_us)
      break;
  }
}

/* Moves the clock by step in jumps to the next deadline (at most 10 ms apart). */
static void run_for(uint64_t step) {
  uint64_t end = now_us + step;
  unsigned stuck = 0;
  while (now_us < end) {
    uint64_t next = rtc_pc_poll_timeout(A.pc), nb = rtc_pc_poll_timeout(B.pc);
    uint64_t ns = rtc_sctp_global_poll_timeout(now_us);
    if (nb < next) next = nb;
    if (ns < next) next = ns;
    if (next > now_us + 10000) next = now_us + 10000;
    if (next > end) next = end;
    if (next > now_us) {
      now_us = next;
      stuck = 0;
    } else if (++stuck > 1000) {
      /* A deadline in the past that handling does not move: the io loop would spin. */
      fprintf(stderr, "fuzz_pc_session: busy loop at %llu us: A due %llu, B due %llu\n",
              (unsigned long long)now_us, (unsigned long long)rtc_pc_poll_timeout(A.pc),
              (unsigned long long)rtc_pc_poll_timeout(B.pc));
      abort();
    } else {
      now_us++;
    }
    settle();
  }
}

static void gather(peer_t *p) {
  if (rtc_pc_poll_gather(p->pc)) {
    rtc_pc_add_local_address(p->pc, &p->addr);
    rtc_pc_set_gathering_done(p->pc);
  }
}

static char *copy_desc(rtc_pc_t *pc) {
  rtc_sdp_type_t type;
  const char *s = rtc_pc_local_description(pc, &type);
  return s ? strdup(s) : NULL;
}

static rtc_dc_t *a_dc;

/* The DTLS DRBG is process-wide: seeded again from the reset generator. */
static int drbg_entropy(void *ud, unsigned char *out, size_t len) {
  (void)ud;
  rtc_random_bytes(out, len);
  return 0;
}

static void drbg_reset(void) {
  mbedtls_ctr_drbg_context *d = rtc__dtls_drbg();
  if (!d) abort();
  mbedtls_ctr_drbg_free(d);
  mbedtls_ctr_drbg_init(d);
  if (mbedtls_ctr_drbg_seed(d, drbg_entropy, NULL, (const unsigned char *)"fuzz", 4) != 0) abort();
}

static bool session_open(void) {
  now_us = (now_us / 1000000u + 1) * 1000000u; /* a whole second past the last session */
  session_start_us = now_us;
  traffic_hash = 0xCBF29CE484222325ull;
  rng_rt = 0x6c75617274630001ull;
  rng_sctp = 0x6c75617274630002ull;
  rtc_random_set_source(random_source, &rng_rt);
  drbg_reset();
  memset(&A, 0, sizeof(A));
  memset(&B, 0, sizeof(B));
  rtc_addr_set(&A.addr, "10.0.0.1", 40001);
  rtc_addr_set(&B.addr, "10.0.0.2", 40002);
  A.pc = rtc_pc_create(NULL, now_us);
  B.pc = rtc_pc_create(NULL, now_us);
  if (!A.pc || !B.pc) return false;
  rtc_tr_init_t ai, vi;
  rtc_tr_init_defaults(&ai, RTC_MEDIA_AUDIO);
  rtc_tr_init_defaults(&vi, RTC_MEDIA_VIDEO);
  rtc_tr_t *a = rtc_pc_add_transceiver(A.pc, &ai), *v = rtc_pc_add_transceiver(A.pc, &vi);
  rtc_tr_set_frame_events(v, true); /* A depacketizes what it gets */
  rtc_tr_set_rtp_events(a, true);
  rtc_tr_unref(a);
  rtc_tr_unref(v);
  rtc_dc_init_t di;
  rtc_dc_init_defaults(&di);
  di.label = "fuzz";
  a_dc = rtc_pc_create_data_channel(A.pc, &di);
  char *offer = NULL, *answer = NULL;
  bool ok = a_dc && rtc_pc_create_offer(A.pc, false, &offer) == 0 &&
            rtc_pc_set_local_description(A.pc, RTC_SDP_OFFER, offer) == 0;
  free(offer);
  if (!ok) return false;
  gather(&A);
  offer = copy_desc(A.pc);
  ok = offer && rtc_pc_set_remote_description(B.pc, RTC_SDP_OFFER, offer) == 0;
  free(offer);
  if (!ok) return false;
  rtc_tr_t *trs[4];
  size_t n = rtc_pc_transceivers(B.pc, trs, 4);
  b_audio = b_video = NULL;
  for (size_t i = 0; i < n; i++) {
    rtc_tr_set_direction(trs[i], RTC_TR_SENDRECV);
    if (rtc_tr_kind(trs[i]) == RTC_MEDIA_AUDIO)
      b_audio = trs[i];
    else
      b_video = trs[i];
  }
  if (rtc_pc_set_local_description(B.pc, RTC_SDP_ANSWER, NULL) != 0) return false;
  gather(&B);
  answer = copy_desc(B.pc);
  ok = answer && rtc_pc_set_remote_description(A.pc, RTC_SDP_ANSWER, answer) == 0;
  free(answer);
  if (!ok) return false;
  for (int i = 0; i < 300 && !(rtc_pc_connection_state(A.pc) == RTC_CONNECTION_CONNECTED &&
                               rtc_pc_connection_state(B.pc) == RTC_CONNECTION_CONNECTED &&
                               rtc_dc_ready_state(a_dc) == RTC_DC_OPEN);
       i++)
    run_for(10000);
  return rtc_dc_ready_state(a_dc) == RTC_DC_OPEN;
}

static void session_close(void) {
  if (getenv("FUZZ_PC_SESSION_STATS")) { /* does an input get past the crypto? */
    rtc_transport_stats_t st;
    rtc_transport_get_stats(A.pc->transport, &st);
    fprintf(stderr, "traffic %016llx\n", (unsigned long long)traffic_hash);
    fprintf(stderr, "A: %llu datagrams received, %llu discarded, %llu SRTP auth failures, %llu replays\n",
            (unsigned long long)st.packets_received, (unsigned long long)st.packets_discarded,
            (unsigned long long)st.srtp_auth_failures, (unsigned long long)st.srtp_replays);
  }
  rtc_dc_unref(a_dc);
  a_dc = NULL;
  rtc_pc_destroy(A.pc);
  rtc_pc_destroy(B.pc);
  A.pc = B.pc = NULL;
  rtc_random_set_source(NULL, NULL);
}

/* ---- seeds ---- */

static uint8_t *load(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *p = malloc(n > 0 ? (size_t)n : 1);
  *len = p ? fread(p, 1, (size_t)n, f) : 0;
  fclose(f);
  return p;
}

static void write_seeds(void) {
  if (!session_open()) {
    fprintf(stderr, "fuzz_pc_session: the session does not connect\n");
    exit(1);
  }
  size_t vlen = 0, olen = 0;
  uint8_t *vbytes = load("tests/fixtures/media/vp8.ivf", &vlen);
  uint8_t *obytes = load("tests/fixtures/media/opus.ogg", &olen);
  rtc_media_ivf_reader_t *ivf = NULL;
  rtc_media_ogg_reader_t *ogg = NULL;
  if (!vbytes || !obytes || rtc_media_ivf_open(vbytes, vlen, &ivf) != 0 ||
      rtc_media_ogg_open(obytes, olen, &ogg) != 0) {
    fprintf(stderr, "fuzz_pc_session: run from the repository root (tests/fixtures/media)\n");
    exit(1);
  }
  capturing = true;
  rtc_dc_t *dcs[4];
  size_t nd = rtc_pc_data_channels(B.pc, dcs, 4);
  for (int k = 0; k < 600; k++) { /* 12 s of 20 ms: audio every step, video every 2nd */
    rtc_media_frame_t f;
    if (rtc_media_ogg_frame(ogg, (size_t)k % 50, &f) == 0)
      rtc_tr_send_frame(b_audio, (uint32_t)k * 960u, f.data, f.len, true);
    if (k % 2 == 0 && k < 60 && rtc_media_ivf_frame(ivf, (size_t)k / 2, &f) == 0)
      rtc_tr_send_frame(b_video, (uint32_t)k * 1800u, f.data, f.len, f.keyframe);
    if (k % 50 == 0 && nd > 0) {
      char msg[64];
      int m = snprintf(msg, sizeof(msg), "message %d from B", k);
      rtc_dc_send(dcs[0], false, (const uint8_t *)msg, (size_t)m);
      rtc_dc_send(dcs[0], true, (const uint8_t *)msg, (size_t)m);
    }
    if (k == 300) rtc_tr_request_keyframe(b_video);
    run_for(20000);
  }
  if (nd > 0) rtc_dc_close(dcs[0]);
  run_for(500000);
  capturing = false;
  rtc_media_ivf_close(ivf);
  rtc_media_ogg_close(ogg);
  free(vbytes);
  free(obytes);
  session_close();
  fprintf(stderr, "fuzz_pc_session: %u seeds in %s\n", cap_n, cap_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  rtc_log_set_level(RTC_LOG_ERROR);
  /* The certificate and libsrtp2 are process-wide: made once, from the fixed seed. */
  rng_rt = 0x6c75617274630000ull;
  rtc_random_set_source(random_source, &rng_rt);
  if (!rtc_dtls_cert_default() || rtc_srtp_init() != 0) abort();
  rtc_random_set_source(NULL, NULL);
  /* Debian's libsrtp2 opens NSS per cipher context and closes it with the last one:
   * sessions held open here keep it loaded (as tests/sim does). */
  static const uint16_t profiles[] = {RTC_SRTP_AES128_CM_SHA1_80, RTC_SRTP_AEAD_AES_128_GCM,
                                      RTC_SRTP_AEAD_AES_256_GCM};
  static rtc_srtp_t *warm[3];
  for (size_t k = 0; k < 3; k++) {
    static const uint8_t key[32], salt[14];
    rtc_srtp_config_t sc = {.profile = profiles[k], .client_key = key, .server_key = key,
                            .client_salt = salt, .server_salt = salt};
    if (rtc_srtp_profile_lengths(profiles[k], &sc.key_len, &sc.salt_len) == 0)
      rtc_srtp_create(&sc, &warm[k]);
  }
  cap_dir = getenv("FUZZ_PC_SESSION_SEEDS");
  if (cap_dir) {
    write_seeds();
    exit(0);
  }
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!session_open()) abort(); /* the fixed session must always connect */
  rtc_transport_t *bt = B.pc->transport;
  static uint8_t buf[65536 + 256];
  while (size >= 3) {
    uint8_t op = data[0];
    size_t len = ((size_t)data[1] << 8) | data[2];
    data += 3;
    size -= 3;
    if (len > size) len = size;
    memcpy(buf, data, len);
    data += len;
    size -= len;
    switch (op & 3) {
    case 0: rtc_pc_handle_datagram(A.pc, now_us, &A.addr, &B.addr, buf, len); break;
    case 1:
      if (len >= 12) rtc__sctp_fill_crc32c(buf, len);
      __real_rtc_transport_send_dtls(bt, now_us, buf, len);
      break;
    case 2: __real_rtc_transport_send_rtp(bt, now_us, buf, len); break;
    case 3: __real_rtc_transport_send_rtcp(bt, now_us, buf, len); break;
    }
    deliver(&B, &A);
    drain_events(&A);
    run_for(op & 4 ? 1000000 : 10000);
  }
  session_close();
  return 0;
}
