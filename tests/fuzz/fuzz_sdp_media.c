// libFuzzer target for the SDP media layer: parse, then the typed RTP view of
// every m-section (runtime/sdp/rtc_sdp_rtp.h). A view either builds or fails
// with RTC_EPARSE/RTC_ELIMIT and a message; whatever it holds is consistent
// (every codec's PT is on the m= line, bounds respected).
//
// Build: bash tests/fuzz/build.sh (seeds: tests/fixtures/sdp).
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/rtc_err.h"
#include "sdp/rtc_sdp.h"
#include "sdp/rtc_sdp_rtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  rtc_sdp_t *s = NULL;
  char err[256];
  if (rtc_sdp_parse((const char *)data, size, &s, err, sizeof(err)) != 0) return 0;
  for (size_t i = 0; i < s->n_media; i++) {
    rtc_sdp_rtp_t *v = NULL;
    err[0] = '\0';
    int r = rtc_sdp_rtp_parse(&s->media[i], &v, err, sizeof(err));
    if (r) {
      if (v || (r != RTC_EPARSE && r != RTC_ELIMIT) || !err[0]) abort();
      continue;
    }
    if (v->n_codecs > s->media[i].n_fmts || v->n_extmaps > RTC_SDP_RTP_MAX_EXTMAPS) abort();
    for (size_t k = 0; k < v->n_codecs; k++) {
      if (v->codecs[k].pt > 127 || !v->codecs[k].name || v->codecs[k].n_fb > RTC_SDP_RTP_MAX_FB)
        abort();
      for (size_t j = 0; j < v->codecs[k].n_params; j++)
        if (!v->codecs[k].params[j].key) abort();
    }
    rtc_sdp_rtp_free(v);
  }
  rtc_sdp_free(s);
  return 0;
}
