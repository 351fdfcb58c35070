/* Transport-wide CC receive side: arrival ring and feedback building. */
#include "rtp/rtc_rtp_twcc.h"

#include <stdlib.h>

#include "base/rtc_err.h"
#include "rtp/rtc_rtcp.h"
#include "rtp/rtc_rtp.h"

#define TWCC_FB_MAX 1024 /* the builder's bound per feedback */

struct rtc_rtp_twcc {
  size_t nslots, mask;
  int64_t *arrival; /* -1: not received */
  rtc_rtp_seq_unwrapper_t unwrap;
  bool started;
  int64_t next;    /* first extended seq not reported yet */
  int64_t highest; /* highest extended seq recorded */
  uint8_t fb_count;
};

rtc_rtp_twcc_t *rtc_rtp_twcc_create(size_t slots) {
  rtc_rtp_twcc_t *t = calloc(1, sizeof *t);
  if (!t) return NULL;
  size_t n = slots ? slots : 1024;
  if (n > 32768) n = 32768;
  t->nslots = 1;
  while (t->nslots < n)
    t->nslots <<= 1;
  t->mask = t->nslots - 1;
  t->arrival = malloc(t->nslots * sizeof *t->arrival);
  if (!t->arrival) {
    rtc_rtp_twcc_destroy(t);
    return NULL;
  }
  return t;
}

void rtc_rtp_twcc_destroy(rtc_rtp_twcc_t *t) {
  if (!t) return;
  free(t->arrival);
  free(t);
}

void rtc_rtp_twcc_record(rtc_rtp_twcc_t *t, uint64_t now_us, uint16_t seq) {
  int64_t e = rtc_rtp_seq_unwrap(&t->unwrap, seq);
  if (!t->started) {
    t->started = true;
    t->next = e;
    t->highest = e - 1;
  }
  if (e < t->next) return; /* already reported (as lost): the draft has no correction */
  if (e > t->highest) {
    if (e - t->next >= (int64_t)t->nslots) t->next = e - (int64_t)t->nslots + 1;
    int64_t from = t->highest + 1 > t->next ? t->highest + 1 : t->next;
    for (int64_t k = from; k < e; k++)
      t->arrival[(size_t)k & t->mask] = -1;
    t->highest = e;
  } else if (t->arrival[(size_t)e & t->mask] >= 0) {
    return; /* duplicate */
  }
  t->arrival[(size_t)e & t->mask] = (int64_t)now_us;
}

bool rtc_rtp_twcc_has_pending(const rtc_rtp_twcc_t *t) {
  return t->started && t->next <= t->highest;
}

int rtc_rtp_twcc_write_feedback(rtc_rtp_twcc_t *t, uint8_t *out, size_t cap, uint32_t sender_ssrc,
                                uint32_t media_ssrc) {
  /* the builder needs a received packet first */
  while (rtc_rtp_twcc_has_pending(t) && t->arrival[(size_t)t->next & t->mask] < 0)
    t->next++;
  if (!rtc_rtp_twcc_has_pending(t)) return 0;
  int64_t at[TWCC_FB_MAX];
  size_t n = 0;
  for (int64_t e = t->next; e <= t->highest && n < TWCC_FB_MAX; e++)
    at[n++] = t->arrival[(size_t)e & t->mask];
  size_t written;
  int len = rtc_rtcp_write_twcc(out, cap, sender_ssrc, media_ssrc, t->fb_count, (uint16_t)t->next,
                                at, n, &written);
  if (len < 0) return len;
  t->next += (int64_t)written;
  t->fb_count++;
  return len;
}
