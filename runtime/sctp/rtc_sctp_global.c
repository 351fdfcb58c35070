/* usrsctp's process-wide state: one init (without its threads), the sysctl tuning
 * we want for WebRTC, the timer wheel we advance, and the association registry. */
#include <stdlib.h>
#include <string.h>
#include <usrsctp.h>
#if defined(__x86_64__) && defined(__GNUC__)
#include <nmmintrin.h>
#endif

#include "base/rtc_err.h"
#include "base/rtc_log.h"
#include "base/rtc_time.h"
#include "sctp/rtc_sctp.h"
#include "sctp/rtc_sctp_internal.h"

/* usrsctp has no "next deadline" API: its wheel ticks at 10 ms granularity
 * (SCTP_TIMER_TICK), so we poll it at that rate while associations exist. */
#define SCTP_TICK_US 10000u
/* Consecutive retransmission timeouts before usrsctp gives the peer up (RFC 4960:
 * 10). 10 happen on a live path at 25-30% loss (0.5^10 per stall); 20 do not
 * (1e-6), and a vanished peer still ends its channels after ~150 s (RTO ceiling
 * 10 s), long after ICE consent failed it (30 s) and left room for an ICE restart. */
#define RTC__SCTP_RTX_MAX 20u

typedef struct sctp_slot {
  rtc_sctp_t *s;
  uint32_t gen;
} sctp_slot_t;

static int sctp_inited;
static sctp_slot_t *sctp_slots;
static uint32_t sctp_nslots, sctp_count;
static uint32_t sctp_free_hint;
static uint64_t sctp_last_us;
static int sctp_have_last;

/* CRC32c (RFC 4960 6.8, appendix B). usrsctp's software CRC was ~15% of a bulk
 * data channel's CPU (every packet, both directions). Over DTLS it is redundant on
 * input: the AEAD record already proved the bytes came from the peer unchanged
 * (RFC 8261 section 5 notes the same), so usrsctp's "offload" mode skips both its
 * check and its computation, and we fill the outgoing checksum here with SSE4.2's
 * CRC32 instruction (peers still verify it). Without SSE4.2, usrsctp keeps doing
 * both in software. */
bool rtc__sctp_own_crc32c;

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("sse4.2"))) static uint32_t sctp_crc32c_hw(const uint8_t *p, size_t n) {
  uint64_t c = 0xffffffffu;
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t v;
    memcpy(&v, p, 8);
    c = _mm_crc32_u64(c, v);
  }
  uint32_t c32 = (uint32_t)c;
  while (n--)
    c32 = _mm_crc32_u8(c32, *p++);
  return ~c32;
}
#endif

uint32_t rtc__sctp_crc32c(const uint8_t *p, size_t len) {
#if defined(__x86_64__) && defined(__GNUC__)
  if (rtc__sctp_own_crc32c) return sctp_crc32c_hw(p, len);
#endif
  return usrsctp_crc32c((void *)p, len);
}

void rtc__sctp_fill_crc32c(uint8_t *pkt, size_t len) {
  if (len < 12) return;
  memset(pkt + 8, 0, 4); /* the checksum covers the packet with its own field zero */
  uint32_t c = rtc__sctp_crc32c(pkt, len);
  /* usrsctp stores its result in host order on little-endian hosts: so do we
   * (the only hosts with the SSE4.2 path). */
  memcpy(pkt + 8, &c, 4);
}

static int sctp_conn_output(void *addr, void *buf, size_t len, uint8_t tos, uint8_t set_df) {
  rtc_sctp_t *s = rtc__sctp_registry_get(addr);
  if (s) rtc__sctp_queue_packet(s, buf, len);
  return 0; /* a dropped packet is a lost packet: SCTP retransmits */
}

int rtc_sctp_global_init(void) {
  if (sctp_inited) return 0;
  /* Port 0: no UDP encapsulation socket; we carry packets ourselves (AF_CONN). */
  usrsctp_init_nothreads(0, sctp_conn_output, NULL);
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("sse4.2")) {
    rtc__sctp_own_crc32c = true;
    usrsctp_enable_crc32c_offload();
  }
#endif
  /* ECN: not negotiated by other WebRTC stacks, and meaningless inside DTLS. */
  usrsctp_sysctl_set_sctp_ecn_enable(0);
  /* Stream reset (RFC 6525) closes data channels (RFC 8831 6.7); PR-SCTP (RFC 3758)
   * gives maxRetransmits/maxPacketLifeTime. Both are default-on; say so explicitly. */
  usrsctp_sysctl_set_sctp_reconfig_enable(1);
  usrsctp_sysctl_set_sctp_pr_enable(1);
  /* ADD-IP/ASCONF (RFC 5061) has nothing to do with one AF_CONN address. */
  usrsctp_sysctl_set_sctp_asconf_enable(0);
  usrsctp_sysctl_set_sctp_auto_asconf(0);
  /* Buffers: limits, not preallocations (usrsctp allocates mbufs as data is queued),
   * so an idle association costs nothing for them. 1 MiB of send space keeps a
   * 100 ms RTT path at ~10 MB/s; 1 MiB of receive window likewise. */
  usrsctp_sysctl_set_sctp_sendspace(RTC__SCTP_SNDBUF);
  usrsctp_sysctl_set_sctp_recvspace(RTC__SCTP_RCVBUF);
  /* RTO: RFC 4960's 3 s initial / 1 s minimum are tuned for unknown Internet paths.
   * By the time SCTP starts, ICE and DTLS have already exchanged several round trips
   * over this very path, so a lost INIT is retried after 200 ms instead of 1-3 s
   * (an extra INIT costs one small packet; usrsctp replaces the RTO by the measured
   * SRTT after the first sample). The floor of 200 ms stays above delayed-SACK (20 ms
   * here, see below) plus typical jitter; the ceiling of 10 s bounds stalls. */
  usrsctp_sysctl_set_sctp_rto_initial_default(200);
  usrsctp_sysctl_set_sctp_rto_min_default(200);
  usrsctp_sysctl_set_sctp_rto_max_default(10000);
  usrsctp_sysctl_set_sctp_init_rto_max_default(1000);
  /* Give up on the peer late (RTC__SCTP_RTX_MAX): ICE consent freshness (RFC 7675)
   * is what declares a dead path. At RFC 4960's 10, tests/sim saw the association
   * abort at 29.6% loss on a live path: one side's channels closed without an
   * error while the pc stayed connected, the other side's stayed open. */
  usrsctp_sysctl_set_sctp_init_rtx_max_default(RTC__SCTP_RTX_MAX);
  usrsctp_sysctl_set_sctp_assoc_rtx_max_default(RTC__SCTP_RTX_MAX);
  usrsctp_sysctl_set_sctp_path_rtx_max_default(RTC__SCTP_RTX_MAX);
  /* Delayed SACK 20 ms (default 200 ms) keeps small request/response exchanges fast. */
  usrsctp_sysctl_set_sctp_delayed_sack_time_default(20);
  /* Start with 10 MTUs of cwnd (as TCP's IW10, RFC 6928) and allow bursts that big. */
  usrsctp_sysctl_set_sctp_initial_cwnd(10);
  usrsctp_sysctl_set_sctp_max_burst_default(10);
  /* Many small messages: allow enough chunks on queue for 1 MiB of 100-byte messages. */
  usrsctp_sysctl_set_sctp_max_chunks_on_queue(10 * 1024);
  /* Heartbeats: ICE consent already probes the path every ~5 s. */
  usrsctp_sysctl_set_sctp_heartbeat_interval_default(10000);
  /* Defaults only: each socket sets SCTP_INITMSG from its config (max_streams). */
  usrsctp_sysctl_set_sctp_nr_outgoing_streams_default(RTC_SCTP_MAX_CHANNELS);
  usrsctp_sysctl_set_sctp_nr_incoming_streams_default(RTC_SCTP_MAX_CHANNELS);
  sctp_inited = 1;
  return 0;
}

void rtc_sctp_global_handle_timeout(uint64_t now_us) {
  if (!sctp_inited) return;
  if (!sctp_have_last) {
    sctp_have_last = 1;
    sctp_last_us = now_us;
  }
  if (now_us > sctp_last_us) {
    uint64_t ms = (now_us - sctp_last_us) / 1000u;
    if (ms > UINT32_MAX) ms = UINT32_MAX;
    sctp_last_us += ms * 1000u; /* keep the sub-millisecond remainder for next time */
    if (ms) usrsctp_handle_timers((uint32_t)ms);
  }
  /* A timer may have retransmitted, given up (abort), or finished a reset on any
   * association: let each pick up what usrsctp produced. The slot array may not
   * change under us: rtc__sctp_after_timers only queues events. */
  for (uint32_t i = 0; i < sctp_nslots; i++)
    if (sctp_slots[i].s) rtc__sctp_after_timers(sctp_slots[i].s);
}

uint64_t rtc__sctp_now_us(void) { return sctp_last_us; }

uint64_t rtc_sctp_global_poll_timeout(uint64_t now_us) {
  if (!sctp_count) return RTC_NEVER;
  if (!sctp_have_last) return now_us;
  return sctp_last_us + SCTP_TICK_US;
}

int rtc__sctp_registry_add(rtc_sctp_t *s, void **handle_out) {
  uint32_t i;
  for (i = sctp_free_hint; i < sctp_nslots; i++)
    if (!sctp_slots[i].s) break;
  if (i == sctp_nslots) {
    for (i = 0; i < sctp_nslots; i++)
      if (!sctp_slots[i].s) break;
  }
  if (i == sctp_nslots) {
    uint32_t n = sctp_nslots ? sctp_nslots * 2 : 16;
    sctp_slot_t *ns = realloc(sctp_slots, n * sizeof *ns);
    if (!ns) return RTC_ENOMEM;
    for (uint32_t j = sctp_nslots; j < n; j++)
      ns[j] = (sctp_slot_t){NULL, 0};
    sctp_slots = ns;
    i = sctp_nslots;
    sctp_nslots = n;
  }
  sctp_slots[i].s = s;
  sctp_slots[i].gen++;
  if (sctp_slots[i].gen == 0) sctp_slots[i].gen = 1;
  sctp_free_hint = i + 1;
  sctp_count++;
  /* +1 so that no handle is NULL. */
  *handle_out = (void *)(uintptr_t)(((uint64_t)sctp_slots[i].gen << 32) | (i + 1));
  return 0;
}

static sctp_slot_t *sctp_slot_of(void *handle) {
  uint64_t h = (uint64_t)(uintptr_t)handle;
  uint32_t i = (uint32_t)h, gen = (uint32_t)(h >> 32);
  if (i == 0 || i > sctp_nslots) return NULL;
  sctp_slot_t *sl = &sctp_slots[i - 1];
  return (sl->s && sl->gen == gen) ? sl : NULL;
}

void rtc__sctp_registry_remove(void *handle) {
  sctp_slot_t *sl = sctp_slot_of(handle);
  if (!sl) return;
  sl->s = NULL;
  sctp_count--;
  uint32_t i = (uint32_t)(sl - sctp_slots);
  if (i < sctp_free_hint) sctp_free_hint = i;
}

rtc_sctp_t *rtc__sctp_registry_get(void *handle) {
  sctp_slot_t *sl = sctp_slot_of(handle);
  return sl ? sl->s : NULL;
}
