/* usrsctp's process-wide state: one init (without its threads: rtc_sctp_iterator.c),
 * the sysctl tuning we want for WebRTC, the timer wheel we advance, and the
 * association registry. */
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
/* The associations usrsctp's callbacks touched during the current tick, by handle
 * (a destroyed one is recognised and skipped). Grows by doubling, never shrinks:
 * no allocation per tick in steady state. */
static int sctp_ticking;
static void **sctp_woken;
static uint32_t sctp_nwoken, sctp_capwoken, sctp_woken_next;
/* Associations with a stream reset under way (rtc__sctp_watch), by handle. */
static void **sctp_watching;
static uint32_t sctp_nwatching, sctp_capwatching;

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
  const uint8_t *p = buf;
  /* On the shared address the source port (ours) names the association. */
  rtc_sctp_t *s = addr != &rtc__sctp_shared_addr ? rtc__sctp_registry_get(addr)
                  : len >= 12 ? rtc__sctp_port_owner((uint16_t)(p[0] << 8 | p[1]))
                              : NULL;
  if (!s) return 0;
  rtc__sctp_queue_packet(s, buf, len);
  rtc__sctp_wake(s);
  return 0; /* a dropped packet is a lost packet: SCTP retransmits */
}

int rtc_sctp_global_init(void) {
  if (sctp_inited) return 0;
  /* Port 0: no UDP encapsulation socket; we carry packets ourselves (AF_CONN). */
  usrsctp_init_nothreads(0, sctp_conn_output, NULL);
  /* ... which still starts its iterator thread: gone now (rtc_sctp_iterator.c). */
  rtc__sctp_iterator_stop_thread();
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("sse4.2")) {
    rtc__sctp_own_crc32c = true;
    usrsctp_enable_crc32c_offload();
    usrsctp_register_address(&rtc__sctp_shared_addr); /* rtc_sctp_port.c */
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
  /* Each socket's association hash (256 buckets by default, 2 KiB per pc) holds the
   * one association of that socket: 1 bucket (issue 12, B3). */
  usrsctp_tunable_set_sctp_pcbtblsize(1);
  /* Defaults only: each socket sets SCTP_INITMSG from its config (max_streams). */
  usrsctp_sysctl_set_sctp_nr_outgoing_streams_default(RTC_SCTP_MAX_CHANNELS);
  usrsctp_sysctl_set_sctp_nr_incoming_streams_default(RTC_SCTP_MAX_CHANNELS);
  sctp_inited = 1;
  return 0;
}

static void sctp_woken_clear(void) {
  for (uint32_t i = sctp_woken_next; i < sctp_nwoken; i++) {
    rtc_sctp_t *s = rtc__sctp_registry_get(sctp_woken[i]);
    if (s) s->woken = false;
  }
  sctp_nwoken = sctp_woken_next = 0;
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
    sctp_woken_clear(); /* what the owner did not poll last time */
    sctp_ticking = 1;
    if (ms) usrsctp_handle_timers((uint32_t)ms);
    rtc__sctp_iterator_run(); /* what the timers queued for usrsctp's iterator */
    /* Those with a reset under way are woken too (kept while it lasts). */
    uint32_t k = 0;
    for (uint32_t i = 0; i < sctp_nwatching; i++) {
      rtc_sctp_t *s = rtc__sctp_registry_get(sctp_watching[i]);
      if (!s) continue;
      if (!rtc__sctp_resetting(s)) {
        s->watched = false;
        continue;
      }
      rtc__sctp_wake(s);
      sctp_watching[k++] = sctp_watching[i];
    }
    sctp_nwatching = k;
    sctp_ticking = 0;
  }
  /* A timer may have retransmitted, given up (abort), or finished a reset: each
   * association it touched (conn_output or the socket upcall ran for it) picks up
   * what usrsctp produced. The others did nothing: visiting them all was most of
   * the CPU of thousands of idle connections (bench/PROFILE.md, B4).
   * rtc__sctp_after_timers only queues packets and events: no wake-up lands in
   * the list while we walk it. */
  for (uint32_t i = 0; i < sctp_nwoken; i++) {
    rtc_sctp_t *s = rtc__sctp_registry_get(sctp_woken[i]);
    if (s) rtc__sctp_after_timers(s);
  }
}

uint64_t rtc__sctp_now_us(void) { return sctp_last_us; }
void rtc__sctp_wake(rtc_sctp_t *s) {
  if (!sctp_ticking || s->woken) return;
  if (sctp_nwoken == sctp_capwoken) {
    uint32_t cap = sctp_capwoken ? sctp_capwoken * 2 : 64;
    void **v = realloc(sctp_woken, cap * sizeof *v);
    if (!v) {
      /* Out of memory: the association still acts on its next input or tick. */
      return;
    }
    sctp_woken = v;
    sctp_capwoken = cap;
  }
  s->woken = true;
  sctp_woken[sctp_nwoken++] = s->handle;
}

void rtc__sctp_watch(rtc_sctp_t *s) {
  if (s->watched) return;
  if (sctp_nwatching == sctp_capwatching) {
    uint32_t cap = sctp_capwatching ? sctp_capwatching * 2 : 16;
    void **v = realloc(sctp_watching, cap * sizeof *v);
    if (!v) return; /* out of memory: the reset goes on with the next input */
    sctp_watching = v;
    sctp_capwatching = cap;
  }
  s->watched = true;
  sctp_watching[sctp_nwatching++] = s->handle;
}

bool rtc_sctp_global_poll_woken(void **owner) {
  while (sctp_woken_next < sctp_nwoken) {
    rtc_sctp_t *s = rtc__sctp_registry_get(sctp_woken[sctp_woken_next++]);
    if (!s) continue;
    s->woken = false;
    *owner = s->cfg.owner;
    return true;
  }
  sctp_nwoken = sctp_woken_next = 0;
  return false;
}

/* usrsctp walks its whole list of armed timers on every tick (sctp_handle_tick: an
 * unsorted list), and an idle association keeps at least one armed (its endpoint's
 * cookie-secret timer): the walk costs associations x ticks per second, ~0.4 us a
 * visit here (bench/PROFILE.md, B4). Past SCTP_TICK_SCALE associations the tick
 * stretches in proportion, up to SCTP_TICK_MAX_US, which keeps that product bounded.
 * What gets coarser: delayed SACKs (20 ms) and retransmission timeouts (>= 200 ms)
 * fire up to one tick late; fast retransmit and SACKs every second packet do not
 * depend on the tick. */
#define SCTP_TICK_SCALE 1000u
#define SCTP_TICK_MAX_US 50000u

uint64_t rtc_sctp_global_poll_timeout(uint64_t now_us) {
  if (!sctp_count) return RTC_NEVER;
  if (!sctp_have_last) return now_us;
  uint64_t tick = SCTP_TICK_US;
  if (sctp_count > SCTP_TICK_SCALE) {
    tick = (uint64_t)SCTP_TICK_US * sctp_count / SCTP_TICK_SCALE;
    if (tick > SCTP_TICK_MAX_US) tick = SCTP_TICK_MAX_US;
  }
  return sctp_last_us + tick;
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
