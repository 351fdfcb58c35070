/* A datagram the core wants sent: from which local socket address, to whom. */
#ifndef RTC_BASE_TRANSMIT_H
#define RTC_BASE_TRANSMIT_H
#include <stddef.h>
#include <stdint.h>

#include "base/rtc_addr.h"

typedef struct rtc_transmit {
  rtc_addr_t local;    /* the socket to send from (a local host candidate's address) */
  rtc_addr_t remote;   /* destination */
  const uint8_t *data; /* borrowed until the next poll call on the same object */
  size_t len;
} rtc_transmit_t;

#endif
