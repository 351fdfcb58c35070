/* Send side of one SSRC: sequence numbers, the history ring for RTX (RFC 4588), SR sender
 * info (RFC 3550 6.4.1) and RTT from report blocks. */
#include "rtp/rtc_rtp_send.h"

#include <stdlib.h>
#include <string.h>

#include "base/rtc_bytes.h"
#include "base/rtc_err.h"
#include "base/rtc_time.h"

#define SEND_SR_KEEP 8 /* SRs remembered to match LSR (a few report intervals) */

typedef struct send_slot {
  bool used;
  uint16_t seq;
  uint16_t len;
  uint64_t resent_us; /* 0: never resent */
} send_slot_t;

struct rtc_rtp_send {
  rtc_rtp_send_config_t cfg;
  size_t nslots, mask;
  send_slot_t *slot;
  uint8_t *data; /* nslots * max_packet */
  uint16_t seq, rtx_seq;
  bool sent_any;
  uint32_t last_ts;
  uint64_t last_ts_us;
  struct {
    uint32_t mid;
    uint64_t at_us;
  } sr[SEND_SR_KEEP];
  unsigned sr_next;
  rtc_rtp_send_stats_t st;
};

rtc_rtp_send_t *rtc_rtp_send_create(const rtc_rtp_send_config_t *cfg) {
  rtc_rtp_send_t *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->cfg = *cfg;
  if (!s->cfg.max_packet) s->cfg.max_packet = 1500;
  if (s->cfg.max_packet > 65535) s->cfg.max_packet = 65535;
  size_t n = s->cfg.history_slots ? s->cfg.history_slots : 512;
  if (n > 32768) n = 32768;
  s->nslots = 1;
  while (s->nslots < n)
    s->nslots <<= 1;
  s->mask = s->nslots - 1;
  s->slot = calloc(s->nslots, sizeof *s->slot);
  s->data = malloc(s->nslots * s->cfg.max_packet);
  if (!s->slot || !s->data) {
    rtc_rtp_send_destroy(s);
    return NULL;
  }
  s->seq = cfg->first_seq;
  s->rtx_seq = cfg->rtx_first_seq;
  return s;
}

void rtc_rtp_send_destroy(rtc_rtp_send_t *s) {
  if (!s) return;
  free(s->slot);
  free(s->data);
  free(s);
}

static int send_write(rtc_rtp_send_t *s, rtc_rtp_header_t *h, uint8_t pt, const uint8_t *payload,
                      size_t payload_len, uint8_t *out, size_t cap) {
  h->ssrc = s->cfg.ssrc;
  h->pt = pt;
  h->seq = s->seq;
  int n = rtc_rtp_write(out, cap < s->cfg.max_packet ? cap : s->cfg.max_packet, h, payload,
                        payload_len);
  if (n < 0) return n;
  send_slot_t *sl = &s->slot[s->seq & s->mask];
  sl->used = true;
  sl->seq = s->seq;
  sl->len = (uint16_t)n;
  sl->resent_us = 0;
  memcpy(s->data + (s->seq & s->mask) * s->cfg.max_packet, out, (size_t)n);
  s->seq++;
  s->st.packets++;
  s->st.bytes += payload_len;
  return n;
}

int rtc_rtp_send_packet(rtc_rtp_send_t *s, uint64_t now_us, rtc_rtp_header_t *h,
                        const uint8_t *payload, size_t payload_len, uint8_t *out, size_t cap) {
  int n = send_write(s, h, s->cfg.pt, payload, payload_len, out, cap);
  if (n < 0) return n;
  s->sent_any = true;
  s->last_ts = h->ts;
  s->last_ts_us = now_us;
  return n;
}

int rtc_rtp_send_event_packet(rtc_rtp_send_t *s, rtc_rtp_header_t *h, uint8_t pt,
                              const uint8_t *payload, size_t payload_len, uint8_t *out, size_t cap) {
  int n = send_write(s, h, pt, payload, payload_len, out, cap);
  if (n > 0) s->sent_any = true;
  return n;
}

uint32_t rtc_rtp_send_ts_at(const rtc_rtp_send_t *s, uint64_t now_us) {
  uint64_t el = now_us > s->last_ts_us ? now_us - s->last_ts_us : 0;
  return s->last_ts + (uint32_t)((unsigned __int128)el * s->cfg.clock_rate / 1000000u);
}

void rtc_rtp_send_set_capture(rtc_rtp_send_t *s, uint32_t ts, uint64_t capture_us) {
  s->last_ts = ts;
  s->last_ts_us = capture_us;
}

int rtc_rtp_send_rtx(rtc_rtp_send_t *s, uint64_t now_us, uint16_t seq, uint8_t *out, size_t cap) {
  send_slot_t *sl = &s->slot[seq & s->mask];
  if (!sl->used || sl->seq != seq) {
    s->st.nack_missed++;
    return RTC_ENOTFOUND;
  }
  /* A NACK arriving within one RTT of our resend was sent before the resend could reach
   * the peer: answering it again only wastes bandwidth. */
  uint64_t pace = s->st.rtt_us ? s->st.rtt_us : RTC_MS(10);
  if (sl->resent_us && now_us < sl->resent_us + pace) return RTC_EAGAIN;
  const uint8_t *pkt = s->data + (seq & s->mask) * s->cfg.max_packet;
  int n;
  if (!s->cfg.has_rtx) {
    if (sl->len > cap) return RTC_ETOOBIG;
    memcpy(out, pkt, sl->len);
    n = sl->len;
    s->st.rtx_bytes += sl->len;
  } else {
    rtc_rtp_header_t h;
    if (rtc_rtp_parse(pkt, sl->len, &h) != 0) return RTC_EPARSE; /* we wrote it: cannot */
    /* RFC 4588 section 4: same header but SSRC, PT and sequence number of the RTX
     * stream; payload = original sequence number + original payload (no padding). */
    h.ssrc = s->cfg.rtx_ssrc;
    h.pt = s->cfg.rtx_pt;
    h.seq = s->rtx_seq;
    h.padding_len = 0;
    /* RFC 8852 3.2: the RTX stream names the stream it repairs, not itself. */
    for (uint8_t i = 0; s->cfg.rid_ext && i < h.ext_count;) {
      if (h.ext[i].id != s->cfg.rid_ext) {
        i++;
      } else if (s->cfg.rrid_ext) {
        h.ext[i++].id = s->cfg.rrid_ext;
      } else {
        h.ext[i] = h.ext[--h.ext_count];
      }
    }
    int hl = rtc_rtp_write_header(out, cap, &h);
    if (hl < 0) return hl;
    if ((size_t)hl + 2 + h.payload_len > cap) return RTC_ETOOBIG;
    rtc_wr16(out + hl, seq);
    memcpy(out + hl + 2, h.payload, h.payload_len);
    n = hl + 2 + (int)h.payload_len;
    s->rtx_seq++;
    s->st.rtx_bytes += 2 + h.payload_len;
  }
  sl->resent_us = now_us ? now_us : 1;
  s->st.rtx_packets++;
  return n;
}

bool rtc_rtp_send_sr(rtc_rtp_send_t *s, uint64_t now_us, uint64_t ntp_now, rtc_rtcp_sr_t *out) {
  if (!s->sent_any) return false;
  memset(out, 0, sizeof *out);
  out->ssrc = s->cfg.ssrc;
  out->ntp = ntp_now;
  /* RFC 3550 6.4.1: the RTP timestamp of the same instant as the NTP one, extrapolated
   * from the last packet's timestamp with the media clock. */
  out->rtp_ts = rtc_rtp_send_ts_at(s, now_us);
  out->packet_count = (uint32_t)s->st.packets;
  out->octet_count = (uint32_t)s->st.bytes;
  s->sr[s->sr_next % SEND_SR_KEEP].mid = rtc_rtcp_ntp_mid32(ntp_now);
  s->sr[s->sr_next % SEND_SR_KEEP].at_us = now_us;
  s->sr_next++;
  return true;
}

int rtc_rtp_send_handle_report_block(rtc_rtp_send_t *s, uint64_t now_us, const rtc_rtcp_rb_t *rb) {
  if (rb->ssrc != s->cfg.ssrc) return RTC_EINVAL;
  s->st.fraction_lost = rb->fraction_lost;
  s->st.cumulative_lost = rb->cumulative_lost;
  s->st.jitter = rb->jitter;
  if (rb->lsr == 0) return RTC_ENOTFOUND;
  unsigned k = s->sr_next < SEND_SR_KEEP ? s->sr_next : SEND_SR_KEEP;
  for (unsigned i = 0; i < k; i++) {
    if (s->sr[i].mid != rb->lsr) continue;
    /* RFC 3550 6.4.1: RTT = arrival - LSR - DLSR, with our send time standing for LSR */
    uint64_t dlsr_us = (uint64_t)rb->dlsr * 1000000u / 65536u;
    uint64_t el = now_us > s->sr[i].at_us ? now_us - s->sr[i].at_us : 0;
    s->st.rtt_us = el > dlsr_us ? el - dlsr_us : 1;
    return 0;
  }
  return RTC_ENOTFOUND;
}

uint64_t rtc_rtp_send_rtt_us(const rtc_rtp_send_t *s) { return s->st.rtt_us; }

void rtc_rtp_send_get_stats(const rtc_rtp_send_t *s, rtc_rtp_send_stats_t *out) {
  *out = s->st;
  out->next_seq = s->seq;
  out->next_rtx_seq = s->rtx_seq;
}
