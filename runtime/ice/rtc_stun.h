/* STUN message codec (RFC 8489), only what ICE (RFC 8445) and consent (RFC 7675)
 * need: parse with bounds checks, build, MESSAGE-INTEGRITY (short-term
 * credentials: the key is the password) and FINGERPRINT. Pure functions. */
#ifndef RTC_STUN_H
#define RTC_STUN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mbedtls/sha1.h>

#include "base/rtc_addr.h"

#define RTC_STUN_HEADER_LEN 20
#define RTC_STUN_MAGIC 0x2112A442u
#define RTC_STUN_TID_LEN 12

/* RFC 8489 5: class bits C1 (0x100) and C0 (0x010) of the message type. */
#define RTC_STUN_CLASS_MASK 0x0110u
#define RTC_STUN_REQUEST 0x0000u
#define RTC_STUN_INDICATION 0x0010u
#define RTC_STUN_SUCCESS 0x0100u
#define RTC_STUN_ERROR 0x0110u
#define RTC_STUN_BINDING 0x0001u
/* TURN methods (RFC 8656 17): all below 0x10, so type = method | class. */
#define RTC_STUN_ALLOCATE 0x0003u
#define RTC_STUN_REFRESH 0x0004u
#define RTC_STUN_SEND 0x0006u
#define RTC_STUN_DATA 0x0007u
#define RTC_STUN_CREATE_PERMISSION 0x0008u
#define RTC_STUN_CHANNEL_BIND 0x0009u

/* Attribute types (RFC 8489 18.3, RFC 8445 16.1). */
#define RTC_STUN_ATTR_MAPPED_ADDRESS 0x0001
#define RTC_STUN_ATTR_USERNAME 0x0006
#define RTC_STUN_ATTR_MESSAGE_INTEGRITY 0x0008
#define RTC_STUN_ATTR_ERROR_CODE 0x0009
#define RTC_STUN_ATTR_UNKNOWN_ATTRIBUTES 0x000A
#define RTC_STUN_ATTR_CHANNEL_NUMBER 0x000C /* RFC 8656 18 */
#define RTC_STUN_ATTR_LIFETIME 0x000D
#define RTC_STUN_ATTR_XOR_PEER_ADDRESS 0x0012
#define RTC_STUN_ATTR_DATA 0x0013
#define RTC_STUN_ATTR_XOR_RELAYED_ADDRESS 0x0016
#define RTC_STUN_ATTR_REQUESTED_ADDRESS_FAMILY 0x0017 /* RFC 8656 18.10 */
#define RTC_STUN_ATTR_REQUESTED_TRANSPORT 0x0019
#define RTC_STUN_ATTR_DONT_FRAGMENT 0x001A
#define RTC_STUN_ATTR_REALM 0x0014
#define RTC_STUN_ATTR_NONCE 0x0015
#define RTC_STUN_ATTR_XOR_MAPPED_ADDRESS 0x0020
#define RTC_STUN_ATTR_PRIORITY 0x0024
#define RTC_STUN_ATTR_USE_CANDIDATE 0x0025
#define RTC_STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY 0x8000 /* RFC 8656 18.11 */
#define RTC_STUN_ATTR_ADDRESS_ERROR_CODE 0x8001        /* RFC 8656 18.12 */
/* The same two as coturn (through 4.6 at least) knows them: the codepoints of
 * draft-ietf-tram-turnbis, before IANA assigned the ones above. */
#define RTC_STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY_DRAFT 0x8032
#define RTC_STUN_ATTR_ADDRESS_ERROR_CODE_DRAFT 0x8033
#define RTC_STUN_ATTR_SOFTWARE 0x8022
#define RTC_STUN_ATTR_FINGERPRINT 0x8028
#define RTC_STUN_ATTR_ICE_CONTROLLED 0x8029
#define RTC_STUN_ATTR_ICE_CONTROLLING 0x802A

/* RFC 8489 14.8: USERNAME is less than 513 bytes. */
#define RTC_STUN_MAX_USERNAME 512
/* RFC 8489 14.9 / 14.10: REALM and NONCE are under 128 characters (763 bytes); we keep
 * up to 255 bytes and refuse longer ones (a message carrying one does not parse). */
#define RTC_STUN_MAX_REALM 255

/* A parsed message. Offsets point into the datagram that was parsed. */
typedef struct rtc_stun_msg {
  uint16_t type;   /* full message type */
  uint16_t method; /* RTC_STUN_BINDING ... */
  uint16_t cls;    /* RTC_STUN_REQUEST ... */
  uint8_t tid[RTC_STUN_TID_LEN];
  char username[RTC_STUN_MAX_USERNAME + 1];
  bool has_username;
  bool has_priority;
  uint32_t priority;
  bool use_candidate;
  bool has_controlling, has_controlled;
  uint64_t tie_breaker;
  bool has_xor_mapped, has_mapped;
  rtc_addr_t xor_mapped, mapped;
  uint16_t error_code; /* 0 when absent; else class*100 + number */
  /* Long-term credentials (RFC 8489 9.2) and TURN (RFC 8656 18). */
  bool has_realm, has_nonce;
  char realm[RTC_STUN_MAX_REALM + 1], nonce[RTC_STUN_MAX_REALM + 1];
  bool has_lifetime, has_xor_relayed, has_xor_peer, has_channel, has_data;
  uint32_t lifetime_s;
  rtc_addr_t xor_relayed, xor_peer; /* the first of each */
  /* RFC 8656 7.3: a dual allocation brings one XOR-RELAYED-ADDRESS per family: the
   * second family's goes here. An unspecified address with port 0 (coturn's stand-in
   * for a family it could not allocate) is neither. */
  bool has_xor_relayed2;
  rtc_addr_t xor_relayed2;
  /* RFC 8656 18.12 ADDRESS-ERROR-CODE: the family (AF_INET/AF_INET6) not allocated and
   * why (class*100 + number); 0 when absent. */
  int address_error_family;
  uint16_t address_error_code;
  uint16_t channel;
  size_t data_off, data_len; /* DATA value: offset into the datagram */
  bool has_integrity, has_fingerprint;
  size_t integrity_off;   /* offset of the MESSAGE-INTEGRITY attribute header */
  size_t fingerprint_off; /* offset of the FINGERPRINT attribute header */
  int unknown_required;   /* comprehension-required attributes we do not know */
} rtc_stun_msg_t;

/* Quick demux test (RFC 7983 first byte 0..3 + RFC 8489 magic cookie + length). */
bool rtc_stun_is_stun(const uint8_t *p, size_t len);
/* RTC_EPARSE on anything malformed: bad header, cookie, length, truncated or
 * mis-sized attributes, attributes after FINGERPRINT. */
int rtc_stun_parse(const uint8_t *p, size_t len, rtc_stun_msg_t *m);
/* 0 if MESSAGE-INTEGRITY is present and matches HMAC-SHA1(key); else RTC_EAUTH. */
int rtc_stun_check_integrity(const uint8_t *p, size_t len, const rtc_stun_msg_t *m,
                             const uint8_t *key, size_t keylen);

/* An HMAC-SHA1 key prepared once (RFC 2104): the SHA-1 states after the inner and
 * outer padded key. A message then costs its own bytes only and allocates nothing
 * (mbedtls_md_setup allocated twice per message: the last allocations of B5's
 * steady state, with ICE consent). Plain memory: copy it, wipe it with
 * rtc_stun_key_wipe. */
typedef struct rtc_stun_key {
  mbedtls_sha1_context inner, outer;
} rtc_stun_key_t;
void rtc_stun_key_init(rtc_stun_key_t *k, const uint8_t *key, size_t keylen);
void rtc_stun_key_wipe(rtc_stun_key_t *k);
/* As rtc_stun_check_integrity / rtc_stun_put_integrity with a prepared key. */
int rtc_stun_check_integrity_keyed(const uint8_t *p, size_t len, const rtc_stun_msg_t *m,
                                   const rtc_stun_key_t *k);
/* 0 if FINGERPRINT is present and right; else RTC_EAUTH. */
int rtc_stun_check_fingerprint(const uint8_t *p, size_t len, const rtc_stun_msg_t *m);
/* RFC 8489 9.2.2: the long-term key MD5(username ":" realm ":" password) (no
 * SASLprep/OpaqueString: ASCII credentials, as coturn and browsers use them). */
int rtc_stun_long_term_key(const char *username, const char *realm, const char *password,
                           uint8_t key[16]);
/* Plain CRC-32 (ISO-HDLC, as zlib). */
uint32_t rtc_stun_crc32(const uint8_t *p, size_t len);

/* Builder on caller memory. Errors are sticky: rtc_stun_writer_finish reports them. */
typedef struct rtc_stun_writer {
  uint8_t *buf;
  size_t cap, len;
  int err;
} rtc_stun_writer_t;

void rtc_stun_writer_init(rtc_stun_writer_t *w, uint8_t *buf, size_t cap, uint16_t type,
                          const uint8_t tid[RTC_STUN_TID_LEN]);
void rtc_stun_put_attr(rtc_stun_writer_t *w, uint16_t type, const void *data, size_t len);
void rtc_stun_put_u32(rtc_stun_writer_t *w, uint16_t type, uint32_t v);
void rtc_stun_put_u64(rtc_stun_writer_t *w, uint16_t type, uint64_t v);
void rtc_stun_put_string(rtc_stun_writer_t *w, uint16_t type, const char *s);
void rtc_stun_put_addr(rtc_stun_writer_t *w, uint16_t type, const rtc_addr_t *a, bool xored);
void rtc_stun_put_error(rtc_stun_writer_t *w, uint16_t code, const char *reason);
void rtc_stun_put_integrity(rtc_stun_writer_t *w, const uint8_t *key, size_t keylen);
void rtc_stun_put_integrity_keyed(rtc_stun_writer_t *w, const rtc_stun_key_t *k);
void rtc_stun_put_fingerprint(rtc_stun_writer_t *w);
/* Length of the message, or RTC_ETOOBIG / RTC_ECRYPTO. */
int rtc_stun_writer_finish(const rtc_stun_writer_t *w);

#endif
