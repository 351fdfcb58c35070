/* W3C enum strings (webrtc-pc 4.3.x, 5.x, 6.x). The static asserts keep the tables
 * and the enums they index in step. */
#include "pc/rtc_pc_names.h"

#include <string.h>

#include "ice/rtc_ice_agent.h"
#include "pc/rtc_pc.h"
#include "pc/rtc_pc_media.h"

#define RTC__NAMES_MATCH(names, last)                                                              \
  _Static_assert(sizeof(names) / sizeof(names[0]) == (size_t)(last) + 2, #names " vs its enum")

const char *const rtc_pc_signaling_names[] = {"stable",
                                              "have-local-offer",
                                              "have-remote-offer",
                                              "have-local-pranswer",
                                              "have-remote-pranswer",
                                              "closed",
                                              NULL};
RTC__NAMES_MATCH(rtc_pc_signaling_names, RTC_SIGNALING_CLOSED);
const char *const rtc_pc_gathering_names[] = {"new", "gathering", "complete", NULL};
RTC__NAMES_MATCH(rtc_pc_gathering_names, RTC_GATHERING_COMPLETE);
const char *const rtc_pc_ice_state_names[] = {"new",    "checking",     "connected", "completed",
                                              "failed", "disconnected", "closed",    NULL};
RTC__NAMES_MATCH(rtc_pc_ice_state_names, RTC_ICE_CLOSED);
const char *const rtc_pc_connection_names[] = {"new",    "connecting", "connected", "disconnected",
                                               "failed", "closed",     NULL};
RTC__NAMES_MATCH(rtc_pc_connection_names, RTC_CONNECTION_CLOSED);
const char *const rtc_pc_dc_state_names[] = {"connecting", "open", "closing", "closed", NULL};
RTC__NAMES_MATCH(rtc_pc_dc_state_names, RTC_DC_CLOSED);
const char *const rtc_pc_sdp_type_names[] = {"offer", "pranswer", "answer", "rollback", NULL};
RTC__NAMES_MATCH(rtc_pc_sdp_type_names, RTC_SDP_ROLLBACK);
const char *const rtc_pc_direction_names[] = {"sendrecv", "sendonly", "recvonly",
                                              "inactive", "stopped",  NULL};
RTC__NAMES_MATCH(rtc_pc_direction_names, RTC_TR_STOPPED);
const char *const rtc_pc_kind_names[] = {"audio", "video", NULL};
RTC__NAMES_MATCH(rtc_pc_kind_names, RTC_MEDIA_VIDEO);

const char *rtc_pc_name(const char *const *names, int v) {
  for (int i = 0; names[i]; i++)
    if (i == v) return names[i];
  return "unknown";
}

int rtc_pc_name_find(const char *const *names, const char *name) {
  for (int i = 0; name && names[i]; i++)
    if (strcmp(names[i], name) == 0) return i;
  return -1;
}
