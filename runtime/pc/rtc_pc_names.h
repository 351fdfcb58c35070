/* The W3C strings of the pc's enums, one table each, indexed by the enum value and
 * NULL-terminated (so the Lua binding can hand them to luaL_checkoption as they are):
 * the one place these names live, for the core's messages and the binding alike. */
#ifndef RTC_PC_NAMES_H
#define RTC_PC_NAMES_H

extern const char *const rtc_pc_signaling_names[];  /* rtc_signaling_state_t */
extern const char *const rtc_pc_gathering_names[];  /* rtc_gathering_state_t */
extern const char *const rtc_pc_ice_state_names[];  /* rtc_ice_state_t */
extern const char *const rtc_pc_connection_names[]; /* rtc_connection_state_t */
extern const char *const rtc_pc_dc_state_names[];   /* rtc_dc_state_t */
extern const char *const rtc_pc_sdp_type_names[];   /* rtc_sdp_type_t */
extern const char *const rtc_pc_direction_names[];  /* rtc_tr_direction_t */
extern const char *const rtc_pc_kind_names[];       /* rtc_media_kind_t */

/* names[v], or "unknown" when v is outside the table of n entries. */
const char *rtc_pc_name(const char *const *names, int v);
/* The index of name in a table, or -1. */
int rtc_pc_name_find(const char *const *names, const char *name);

#endif
