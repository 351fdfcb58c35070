/* Receive side of one SSRC: reorder ring by extended sequence number, depayloading on top,
 * NACK lists, RFC 3550 receiver statistics and SR bookkeeping. */
#include "rtp/rtc_rtp_recv.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/rtc_bytes.h"
#include "base/rtc_err.h"
#include "base/rtc_time.h"

/* One ring slot: a packet held for ordering, or a missing one being NACKed. A slot
 * describes extended sequence number `ext`; anything else in it is stale. */
typedef struct recv_slot {
  int64_t ext;
  bool present;
  bool other; /* present, of another payload format (RFC 4733 events): no frame */
  bool marker;
  uint32_t ts;
  uint16_t len;
  uint8_t retries;        /* NACKs sent for it (missing only) */
  uint64_t missing_since; /* when a later packet showed it missing */
  uint64_t last_nack_us;
} recv_slot_t;

struct rtc_rtp_recv {
  rtc_rtp_recv_config_t cfg;
  size_t nslots, mask;
  recv_slot_t *slot;
  uint8_t *data; /* nslots * max_packet payload bytes */
  rtc_rtp_depayloader_t *depay;
  rtc_rtp_seq_unwrapper_t unwrap;
  bool started;
  int64_t next;       /* next extended seq to hand to the depayloader */
  int64_t highest;    /* highest extended seq received */
  int64_t release_to; /* missing packets below this are given up */
  bool startup;       /* nothing delivered yet: older packets may still come first */
  uint64_t startup_until;
  uint64_t rtt_us;
  /* RFC 3550 A.3 / A.8 */
  int64_t base_ext;
  uint64_t received, expected_prior, received_prior;
  double jitter; /* timestamp units */
  bool have_transit;
  int64_t last_transit;
  /* last SR */
  bool have_sr;
  uint64_t sr_ntp;
  uint32_t sr_rtp;
  uint64_t sr_arrival_us;
  /* keyframe requests */
  bool want_keyframe, kf_seen, kf_requested;
  uint64_t last_kf_req_us;
  rtc_rtp_recv_stats_t st;
};

/* How long the first packets are held so that earlier ones overtaken on the way can
 * still be put in front (bounded by the wait). */
#define RECV_STARTUP_US RTC_MS(50)

static uint64_t recv_wait_us(const rtc_rtp_recv_t *r) {
  uint64_t w = r->cfg.max_wait_us;
  if (r->cfg.nack) {
    uint64_t n = 2 * r->rtt_us + RTC_MS(20);
    if (n > RTC_MS(1000)) n = RTC_MS(1000);
    if (n > w) w = n;
  }
  return w;
}

rtc_rtp_recv_t *rtc_rtp_recv_create(const rtc_rtp_recv_config_t *cfg) {
  if (!rtc_rtp_codec_name(cfg->codec)) return NULL;
  rtc_rtp_recv_t *r = calloc(1, sizeof *r);
  if (!r) return NULL;
  r->cfg = *cfg;
  if (!r->cfg.clock_rate) r->cfg.clock_rate = rtc_rtp_codec_clock_rate(cfg->codec);
  if (!r->cfg.max_packet) r->cfg.max_packet = 1500;
  if (r->cfg.max_packet > 65535) r->cfg.max_packet = 65535;
  if (!r->cfg.max_wait_us)
    r->cfg.max_wait_us = rtc_rtp_codec_is_video(cfg->codec) ? RTC_MS(300) : RTC_MS(60);
  if (!r->cfg.nack_max_retries) r->cfg.nack_max_retries = 10;
  if (r->cfg.nack_max_retries > 255) r->cfg.nack_max_retries = 255;
  size_t n = r->cfg.reorder_slots ? r->cfg.reorder_slots : 512;
  if (n > 32768) n = 32768; /* half the sequence space: beyond it order is ambiguous */
  r->nslots = 1;
  while (r->nslots < n)
    r->nslots <<= 1;
  r->mask = r->nslots - 1;
  r->rtt_us = RTC_MS(100);
  r->slot = calloc(r->nslots, sizeof *r->slot);
  r->data = malloc(r->nslots * r->cfg.max_packet);
  r->depay = rtc_rtp_depayloader_create(cfg->codec, cfg->max_frame);
  if (!r->slot || !r->data || !r->depay) {
    rtc_rtp_recv_destroy(r);
    return NULL;
  }
  for (size_t i = 0; i < r->nslots; i++)
    r->slot[i].ext = -1;
  return r;
}

void rtc_rtp_recv_destroy(rtc_rtp_recv_t *r) {
  if (!r) return;
  rtc_rtp_depayloader_destroy(r->depay);
  free(r->slot);
  free(r->data);
  free(r);
}

void rtc_rtp_recv_set_rtt(rtc_rtp_recv_t *r, uint64_t rtt_us) { r->rtt_us = rtt_us; }

void rtc_rtp_recv_set_rtx(rtc_rtp_recv_t *r, uint32_t rtx_ssrc, uint8_t rtx_pt) {
  r->cfg.has_rtx = true;
  r->cfg.rtx_ssrc = rtx_ssrc;
  r->cfg.rtx_pt = rtx_pt;
}

/* RFC 3550 A.8: interarrival jitter from arrival time and RTP timestamp. */
static void recv_jitter(rtc_rtp_recv_t *r, uint64_t now_us, uint32_t ts) {
  int64_t arrival = (int64_t)((unsigned __int128)now_us * r->cfg.clock_rate / 1000000u);
  int64_t transit = (int64_t)(int32_t)((uint32_t)arrival - ts);
  if (r->have_transit) {
    int64_t d = (int64_t)(int32_t)(uint32_t)(transit - r->last_transit);
    r->jitter += (fabs((double)d) - r->jitter) / 16.0;
  }
  r->have_transit = true;
  r->last_transit = transit;
}

static int recv_take(rtc_rtp_recv_t *r, uint64_t now_us, uint64_t arrival_us,
                     const rtc_rtp_header_t *h, bool other);

int rtc_rtp_recv_handle_packet(rtc_rtp_recv_t *r, uint64_t now_us, const rtc_rtp_header_t *h) {
  return recv_take(r, now_us, now_us, h, false);
}

int rtc_rtp_recv_handle_packet_at(rtc_rtp_recv_t *r, uint64_t now_us, uint64_t arrival_us,
                                  const rtc_rtp_header_t *h) {
  return recv_take(r, now_us, arrival_us <= now_us ? arrival_us : now_us, h, false);
}

int rtc_rtp_recv_handle_other(rtc_rtp_recv_t *r, uint64_t now_us, const rtc_rtp_header_t *h) {
  if (h->ssrc != r->cfg.ssrc) return RTC_EINVAL;
  return recv_take(r, now_us, now_us, h, true);
}

static int recv_take(rtc_rtp_recv_t *r, uint64_t now_us, uint64_t arrival_us,
                     const rtc_rtp_header_t *h, bool other) {
  uint16_t seq = h->seq;
  const uint8_t *payload = h->payload;
  size_t plen = h->payload_len;
  bool rtx = false;
  if (r->cfg.has_rtx && h->ssrc == r->cfg.rtx_ssrc && h->ssrc != r->cfg.ssrc) {
    /* RFC 4588 section 4: OSN, then the original payload. An empty RTX packet is padding
     * (probing) and carries nothing to repair. */
    if (plen == 0) return 0;
    if (plen < 2) {
      r->st.malformed++;
      return RTC_EPARSE;
    }
    seq = rtc_rd16(payload);
    payload += 2;
    plen -= 2;
    rtx = true;
  } else if (h->ssrc != r->cfg.ssrc) {
    return RTC_EINVAL;
  }
  if (other) plen = 0; /* nothing of it is kept */
  if (plen > r->cfg.max_packet) {
    r->st.malformed++;
    return RTC_EPARSE;
  }
  int64_t ext = rtc_rtp_seq_unwrap(&r->unwrap, seq);
  if (!r->started) {
    r->started = true;
    r->next = r->release_to = r->base_ext = ext;
    r->highest = ext - 1;
    r->startup = true;
    r->startup_until = now_us + rtc_time_min(recv_wait_us(r), RECV_STARTUP_US);
  }
  if (ext < r->next && r->startup && r->highest - ext < (int64_t)r->nslots) {
    /* Before the first delivery the stream may begin before its first arrival: move the
     * start back; the packets in between are missing from now on. */
    for (int64_t e = ext + 1; e < r->next; e++) {
      recv_slot_t *m = &r->slot[(size_t)e & r->mask];
      memset(m, 0, sizeof *m);
      m->ext = e;
      m->missing_since = now_us;
    }
    r->next = r->release_to = r->base_ext = ext;
  }
  if (ext < r->next) {
    r->st.too_old++;
    return 0;
  }
  recv_slot_t *s = &r->slot[(size_t)ext & r->mask];
  if (ext <= r->highest && s->ext == ext && s->present) {
    r->st.duplicates++;
    return 0;
  }
  if (ext > r->highest) {
    /* Beyond the ring: give up what cannot be held (the caller drains poll_frame after
     * each packet, so only a long-missing packet can hold the ring this far back). */
    if (ext - r->next >= (int64_t)r->nslots) {
      int64_t nn = ext - (int64_t)r->nslots + 1;
      for (int64_t e = r->next; e < nn && e <= r->highest; e++) {
        recv_slot_t *o = &r->slot[(size_t)e & r->mask];
        if (o->ext != e || !o->present) r->st.packets_lost++;
        o->present = false;
      }
      if (r->highest < nn - 1) r->st.packets_lost += (uint64_t)(nn - 1 - r->highest);
      r->next = nn;
      if (r->release_to < nn) r->release_to = nn;
      if (rtc_rtp_depayloader_skip_to(r->depay, nn - 1) & RTC_RTP_DEPAY_DROPPED)
        r->want_keyframe = true;
    }
    /* the packets between the old highest and this one are missing from now on */
    int64_t from = r->highest + 1 > r->next ? r->highest + 1 : r->next;
    for (int64_t e = from; e < ext; e++) {
      recv_slot_t *m = &r->slot[(size_t)e & r->mask];
      memset(m, 0, sizeof *m);
      m->ext = e;
      m->missing_since = now_us;
    }
    r->highest = ext;
  } else if (rtx && s->ext == ext) {
    r->st.rtx_packets++;
  }
  memset(s, 0, sizeof *s);
  s->ext = ext;
  s->present = true;
  s->other = other;
  s->marker = h->marker;
  s->ts = h->ts;
  s->len = (uint16_t)plen;
  if (plen) memcpy(r->data + ((size_t)ext & r->mask) * r->cfg.max_packet, payload, plen);
  r->received++;
  r->st.packets++;
  r->st.bytes += other ? h->payload_len : plen;
  /* An event's packets keep its start timestamp while time goes on: no jitter sample. */
  if (!rtx && !other) recv_jitter(r, arrival_us, h->ts);
  return 0;
}

bool rtc_rtp_recv_poll_frame(rtc_rtp_recv_t *r, rtc_rtp_frame_t *out) {
  if (r->startup) return false;
  while (r->started && r->next <= r->highest) {
    recv_slot_t *s = &r->slot[(size_t)r->next & r->mask];
    if (s->ext == r->next && s->present && s->other) {
      s->present = false;
      if (rtc_rtp_depayloader_skip_to(r->depay, r->next++) & RTC_RTP_DEPAY_DROPPED)
        r->want_keyframe = true;
      continue;
    }
    if (s->ext == r->next && s->present) {
      rtc_rtp_header_t h = {.marker = s->marker,
                            .ts = s->ts,
                            .ssrc = r->cfg.ssrc,
                            .seq = (uint16_t)r->next,
                            .payload = r->data + ((size_t)r->next & r->mask) * r->cfg.max_packet,
                            .payload_len = s->len};
      s->present = false;
      int64_t e = r->next++;
      int rc = rtc_rtp_depayloader_push(r->depay, e, &h, out);
      if (rc & RTC_RTP_DEPAY_DROPPED) r->want_keyframe = true;
      if (rc & RTC_RTP_DEPAY_FRAME) {
        r->st.frames++;
        if (out->keyframe) {
          r->st.keyframes++;
          r->kf_seen = true;
          r->want_keyframe = false;
        } else if (!r->kf_seen) {
          r->want_keyframe = true; /* nothing decodable yet */
        }
        return true;
      }
    } else if (r->next < r->release_to) {
      r->st.packets_lost++;
      r->next++;
    } else {
      break;
    }
  }
  return false;
}

void rtc_rtp_recv_handle_timeout(rtc_rtp_recv_t *r, uint64_t now_us) {
  if (!r->started) return;
  if (r->startup && now_us >= r->startup_until) r->startup = false;
  uint64_t wait = recv_wait_us(r);
  /* Give up each missing packet whose wait is over, up to the first that may still come. */
  for (int64_t e = r->next > r->release_to ? r->next : r->release_to; e <= r->highest; e++) {
    recv_slot_t *s = &r->slot[(size_t)e & r->mask];
    if (s->ext == e && s->present) continue;
    if (s->ext == e && s->missing_since + wait > now_us) break;
    r->release_to = e + 1;
  }
}

/* RFC 4585 section 3.2 leaves retry timing to the receiver: once at once, then at most
 * once per RTT (a retransmission cannot come back sooner), and never faster than 5 ms.
 * poll_timeout and poll_nack must agree on it: a retry announced due before poll_nack
 * sends it is a deadline in the past that never moves (the io loop spins). */
static uint64_t nack_pace(const rtc_rtp_recv_t *r) {
  return r->rtt_us > RTC_MS(5) ? r->rtt_us : RTC_MS(5);
}

uint64_t rtc_rtp_recv_poll_timeout(const rtc_rtp_recv_t *r) {
  if (!r->started) return RTC_NEVER;
  uint64_t t = r->startup ? r->startup_until : RTC_NEVER, wait = recv_wait_us(r);
  bool first = true;
  for (int64_t e = r->next > r->release_to ? r->next : r->release_to; e <= r->highest; e++) {
    const recv_slot_t *s = &r->slot[(size_t)e & r->mask];
    if (s->ext != e || s->present) continue;
    if (first) t = rtc_time_min(t, s->missing_since + wait);
    first = false;
    if (r->cfg.nack && s->retries < r->cfg.nack_max_retries)
      t = rtc_time_min(t, s->retries ? s->last_nack_us + nack_pace(r) : s->missing_since);
  }
  return t;
}

size_t rtc_rtp_recv_poll_nack(rtc_rtp_recv_t *r, uint64_t now_us, uint16_t *seqs, size_t cap) {
  if (!r->cfg.nack || !r->started) return 0;
  size_t n = 0;
  uint64_t pace = nack_pace(r);
  for (int64_t e = r->next > r->release_to ? r->next : r->release_to; e <= r->highest && n < cap;
       e++) {
    recv_slot_t *s = &r->slot[(size_t)e & r->mask];
    if (s->ext != e || s->present || s->retries >= r->cfg.nack_max_retries) continue;
    if (s->retries && s->last_nack_us + pace > now_us) continue;
    s->retries++;
    s->last_nack_us = now_us;
    seqs[n++] = (uint16_t)e;
  }
  r->st.nacks_sent += n;
  return n;
}

bool rtc_rtp_recv_poll_keyframe_request(rtc_rtp_recv_t *r, uint64_t now_us) {
  if (!rtc_rtp_codec_is_video(r->cfg.codec) || !r->want_keyframe) return false;
  uint64_t gap = r->rtt_us > RTC_MS(250) ? r->rtt_us : RTC_MS(250);
  if (r->kf_requested && now_us < r->last_kf_req_us + gap) return false;
  r->kf_requested = true;
  r->last_kf_req_us = now_us;
  r->st.keyframe_requests++;
  return true;
}

int rtc_rtp_recv_handle_sr(rtc_rtp_recv_t *r, uint64_t now_us, const rtc_rtcp_sr_t *sr) {
  if (sr->ssrc != r->cfg.ssrc) return RTC_EINVAL;
  r->have_sr = true;
  r->sr_ntp = sr->ntp;
  r->sr_rtp = sr->rtp_ts;
  r->sr_arrival_us = now_us;
  return 0;
}

bool rtc_rtp_recv_report_block(rtc_rtp_recv_t *r, uint64_t now_us, rtc_rtcp_rb_t *out) {
  if (!r->started || r->highest < r->base_ext) return false;
  memset(out, 0, sizeof *out);
  out->ssrc = r->cfg.ssrc;
  /* RFC 3550 A.3 */
  uint64_t expected = (uint64_t)(r->highest - r->base_ext + 1);
  int64_t lost = (int64_t)expected - (int64_t)r->received;
  if (lost > 0x7fffff) lost = 0x7fffff;
  if (lost < -0x800000) lost = -0x800000;
  out->cumulative_lost = (int32_t)lost;
  int64_t exp_int = (int64_t)(expected - r->expected_prior);
  int64_t rec_int = (int64_t)(r->received - r->received_prior);
  int64_t lost_int = exp_int - rec_int;
  r->expected_prior = expected;
  r->received_prior = r->received;
  out->fraction_lost = (exp_int == 0 || lost_int <= 0) ? 0 : (uint8_t)((lost_int << 8) / exp_int);
  out->ext_highest_seq = (uint32_t)(r->highest - RTC_RTP_EXT_SEQ_BASE);
  out->jitter = (uint32_t)r->jitter;
  if (r->have_sr) {
    out->lsr = rtc_rtcp_ntp_mid32(r->sr_ntp);
    out->dlsr = (uint32_t)((now_us - r->sr_arrival_us) * 65536u / 1000000u);
  }
  return true;
}

bool rtc_rtp_recv_rtp_to_ntp(const rtc_rtp_recv_t *r, uint32_t ts, uint64_t *ntp) {
  if (!r->have_sr || !r->cfg.clock_rate) return false;
  int64_t d = rtc_rtp_ts_diff(ts, r->sr_rtp);
  /* d / clock_rate seconds in 32.32 fixed point */
  int64_t frac = (int64_t)((__int128)d * 4294967296 / r->cfg.clock_rate);
  *ntp = r->sr_ntp + (uint64_t)frac;
  return true;
}

void rtc_rtp_recv_get_stats(const rtc_rtp_recv_t *r, rtc_rtp_recv_stats_t *out) {
  *out = r->st;
  rtc_rtp_depayloader_stats_t d;
  rtc_rtp_depayloader_get_stats(r->depay, &d);
  out->frames_dropped = d.frames_dropped + d.frames_too_big;
  out->malformed += d.malformed;
  out->cumulative_lost =
      r->started ? (int64_t)(r->highest - r->base_ext + 1) - (int64_t)r->received : 0;
  out->jitter_s = r->cfg.clock_rate ? r->jitter / r->cfg.clock_rate : 0;
}
