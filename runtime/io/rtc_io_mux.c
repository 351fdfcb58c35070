/* A UDP socket shared by many peer connections (the `udpMux` option): one socket per
 * local address and port instead of one per pc, so that the number of connections is
 * not bounded by the open-file limit (10,000 pairs need 20,000 sockets otherwise).
 *
 * Incoming datagrams are demultiplexed as Pion's UDPMux and libwebrtc's shared port do:
 * - a STUN binding request goes to the pc whose local ufrag is the part of its
 *   USERNAME before ':' (RFC 8445 7.2.2);
 * - a STUN response goes to the pc that sent the request with its transaction ID, so
 *   that one STUN server answers every pc of the socket (their requests all come from
 *   one address, and so do its answers);
 * - anything else goes to the pc recorded for its source address, recorded from the
 *   STUN messages the pc sends there: its checks, and its answers to requests whose
 *   MESSAGE-INTEGRITY its ICE agent accepted (the last pc to claim an address wins).
 *   A request alone claims nothing: anyone who knows a ufrag (it travels in the SDP)
 *   and can spoof a source address would otherwise steer a pc's traffic. A TURN
 *   server's address belongs to the pc whose allocation it granted (its successful
 *   answers to that pc's TURN requests claim it), not to the last pc that asked it
 *   something: the others' requests from the same socket (refused, 437) took the
 *   relayed data of the allocation's pc away from it;
 * - the rest (DTLS/SRTP/SCTP from an address no pc has talked to) is dropped and
 *   counted.
 * Two pcs on the same shared socket cannot talk to each other, nor can two pairs run
 * between the same two shared sockets: their datagrams carry the same addresses and
 * nothing else says which connection they belong to.
 *
 * The sans-IO core sees an ordinary local address; only this file knows it is shared.
 * The socket lives while a pc uses it (a count of members). */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "base/rtc_log.h"
#include "ice/rtc_stun.h"
#include "io/rtc_io_internal.h"
#include "io/rtc_io_udp_recv.h"

#define MUX_ADDRS_PER_MEMBER 32
#define MUX_RCVBUF (64 * 1024 * 1024) /* see mux_bind */ /* remote addresses remembered per pc (oldest go first) */

typedef struct mux_addr {
  rtc_addr_t remote;
  rtc__io_mux_member_t *member;
  struct mux_addr *hnext; /* bucket chain */
  struct mux_addr *mnext; /* the member's addresses, newest first */
} mux_addr_t;

struct rtc__io_mux_member {
  rtc__io_mux_t *mux;
  rtc_io_peer_t *peer;
  char ufrag[RTC_STUN_MAX_USERNAME + 1]; /* what it is indexed under */
  rtc__io_mux_member_t *unext;           /* ufrag bucket chain */
  mux_addr_t *addrs;
  unsigned n_addrs;
  bool touched; /* in mux->touched for this read batch */
  uint32_t slot, serial; /* mux->slots[slot] == this; serial is unique per mux */
};

/* A STUN request a member sent: its response goes back to that member. */
typedef struct {
  uint8_t id[12];
  uint32_t slot, serial; /* a member that left (or a slot reused) no longer matches */
} mux_txn_t;

#define MUX_TOUCHED_MAX 64

struct rtc__io_mux {
  uv_udp_t udp;
  rtc_io_udp_recv_t rx; /* reads udp's socket with arrival times, when rx_on */
  bool rx_on;
  int handles; /* udp, and rx when on: the memory goes when both have closed */
  rtc_addr_t key;   /* the IP asked for, with the port asked for (0: any) */
  rtc_addr_t local; /* what the socket is bound to */
  unsigned members;
  mux_addr_t **abuckets; /* remote address -> member */
  size_t n_abuckets, n_addrs;
  rtc__io_mux_member_t **ubuckets; /* local ufrag -> member */
  size_t n_ubuckets, n_ufrags;
  rtc__io_mux_member_t *touched[MUX_TOUCHED_MAX]; /* got datagrams in this read batch */
  unsigned n_touched;
  /* Members by slot, so that a transaction can name its member without a pointer that
   * would dangle when the member leaves. */
  rtc__io_mux_member_t **slots;
  uint32_t n_slots, free_slot, next_serial;
  /* Recent requests by transaction ID, direct-mapped: a newer request may take an
   * older one's entry, whose response is then routed by address as before. At 8
   * entries a member, a slot lives several seconds even when every member sends a
   * request per 100 ms, and a response takes a round trip. */
  mux_txn_t *txns;
  size_t n_txns;
  rtc__io_mux_t *next;
};

static rtc__io_mux_t *mux_all;
static unsigned mux_open;
static uint64_t mux_dropped;

void rtc_io_mux_stats(unsigned *sockets, uint64_t *dropped) {
  *sockets = mux_open;
  *dropped = mux_dropped;
}

/* FNV-1a */
static size_t mux_hash(const void *p, size_t n) {
  const uint8_t *b = p;
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 1099511628211ull;
  return (size_t)(h ^ (h >> 29));
}

static size_t mux_addr_hash(const rtc_addr_t *a) {
  if (a->u.sa.sa_family == AF_INET6)
    return mux_hash(&a->u.in6.sin6_addr, 16) ^ (size_t)a->u.in6.sin6_port * 40503u;
  return mux_hash(&a->u.in4.sin_addr, 4) ^ (size_t)a->u.in4.sin_port * 40503u;
}

/* Doubles a chained table when it holds more entries than buckets. */
static bool mux_grow(void ***buckets, size_t *n, size_t count, size_t next_off,
                     size_t (*hash)(const void *)) {
  if (count < *n) return true;
  size_t nn = *n ? *n * 2 : 64;
  void **nb = calloc(nn, sizeof(*nb));
  if (!nb) return *n > 0; /* keep chaining in the old table */
  for (size_t i = 0; i < *n; i++) {
    for (void *e = (*buckets)[i], *next; e; e = next) {
      next = *(void **)((char *)e + next_off);
      size_t h = hash(e) & (nn - 1);
      *(void **)((char *)e + next_off) = nb[h];
      nb[h] = e;
    }
  }
  free(*buckets);
  *buckets = nb;
  *n = nn;
  return true;
}

static size_t mux_addr_entry_hash(const void *e) {
  return mux_addr_hash(&((const mux_addr_t *)e)->remote);
}
static size_t mux_ufrag_entry_hash(const void *e) {
  const char *u = ((const rtc__io_mux_member_t *)e)->ufrag;
  return mux_hash(u, strlen(u));
}

static mux_addr_t *mux_addr_find(rtc__io_mux_t *mux, const rtc_addr_t *remote) {
  if (!mux->n_abuckets) return NULL;
  for (mux_addr_t *e = mux->abuckets[mux_addr_hash(remote) & (mux->n_abuckets - 1)]; e;
       e = e->hnext)
    if (rtc_addr_equal(&e->remote, remote)) return e;
  return NULL;
}

static void mux_addr_unlink(rtc__io_mux_t *mux, mux_addr_t *e) {
  mux_addr_t **pp = &mux->abuckets[mux_addr_hash(&e->remote) & (mux->n_abuckets - 1)];
  while (*pp && *pp != e) pp = &(*pp)->hnext;
  if (*pp) *pp = e->hnext;
  rtc__io_mux_member_t *m = e->member;
  for (pp = &m->addrs; *pp; pp = &(*pp)->mnext) {
    if (*pp == e) {
      *pp = e->mnext;
      break;
    }
  }
  m->n_addrs--;
  mux->n_addrs--;
  free(e);
}

/* Datagrams from `remote` go to member m from now on. */
static void mux_addr_claim(rtc__io_mux_member_t *m, const rtc_addr_t *remote) {
  rtc__io_mux_t *mux = m->mux;
  mux_addr_t *e = mux_addr_find(mux, remote);
  if (e && e->member == m) return;
  if (e) mux_addr_unlink(mux, e);
  if (m->n_addrs >= MUX_ADDRS_PER_MEMBER) {
    mux_addr_t *old = m->addrs;
    while (old->mnext) old = old->mnext;
    mux_addr_unlink(mux, old);
  }
  if (!mux_grow((void ***)&mux->abuckets, &mux->n_abuckets, mux->n_addrs,
                offsetof(mux_addr_t, hnext), mux_addr_entry_hash))
    return;
  e = calloc(1, sizeof(*e));
  if (!e) return;
  e->remote = *remote;
  e->member = m;
  size_t h = mux_addr_hash(remote) & (mux->n_abuckets - 1);
  e->hnext = mux->abuckets[h];
  mux->abuckets[h] = e;
  e->mnext = m->addrs;
  m->addrs = e;
  m->n_addrs++;
  mux->n_addrs++;
}

static void mux_ufrag_unlink(rtc__io_mux_member_t *m) {
  rtc__io_mux_t *mux = m->mux;
  if (!m->ufrag[0] || !mux->n_ubuckets) return;
  rtc__io_mux_member_t **pp = &mux->ubuckets[mux_ufrag_entry_hash(m) & (mux->n_ubuckets - 1)];
  while (*pp && *pp != m) pp = &(*pp)->unext;
  if (*pp) {
    *pp = m->unext;
    mux->n_ufrags--;
  }
  m->ufrag[0] = '\0';
}

/* Indexes m under its pc's current ufrag (it changes on an ICE restart). */
void rtc__io_mux_refresh(rtc__io_mux_member_t *m) {
  const char *u = rtc_pc_local_ufrag(rtc_io_peer_pc(m->peer));
  if (!u || strcmp(u, m->ufrag) == 0) return;
  rtc__io_mux_t *mux = m->mux;
  mux_ufrag_unlink(m);
  if (strlen(u) >= sizeof(m->ufrag)) return;
  if (!mux_grow((void ***)&mux->ubuckets, &mux->n_ubuckets, mux->n_ufrags,
                offsetof(rtc__io_mux_member_t, unext), mux_ufrag_entry_hash))
    return;
  strcpy(m->ufrag, u);
  size_t h = mux_ufrag_entry_hash(m) & (mux->n_ubuckets - 1);
  m->unext = mux->ubuckets[h];
  mux->ubuckets[h] = m;
  mux->n_ufrags++;
}

static rtc__io_mux_member_t *mux_by_ufrag(rtc__io_mux_t *mux, const char *u, size_t n) {
  if (!mux->n_ubuckets) return NULL;
  for (rtc__io_mux_member_t *m = mux->ubuckets[mux_hash(u, n) & (mux->n_ubuckets - 1)]; m;
       m = m->unext)
    if (strlen(m->ufrag) == n && memcmp(m->ufrag, u, n) == 0) return m;
  return NULL;
}

static size_t mux_txn_index(const rtc__io_mux_t *mux, const uint8_t *id) {
  uint32_t h; /* our transaction IDs are random: any 4 bytes of one are a hash */
  memcpy(&h, id + 4, sizeof h);
  return h & (mux->n_txns - 1);
}

static rtc__io_mux_member_t *mux_txn_find(rtc__io_mux_t *mux, const uint8_t *id) {
  if (!mux->n_txns) return NULL;
  const mux_txn_t *t = &mux->txns[mux_txn_index(mux, id)];
  if (memcmp(t->id, id, sizeof t->id) != 0 || t->slot >= mux->n_slots) return NULL;
  rtc__io_mux_member_t *m = mux->slots[t->slot];
  return m && m->serial == t->serial ? m : NULL;
}

static void mux_txn_record(rtc__io_mux_member_t *m, const uint8_t *id) {
  rtc__io_mux_t *mux = m->mux;
  if (!mux->n_txns) return;
  mux_txn_t *t = &mux->txns[mux_txn_index(mux, id)];
  memcpy(t->id, id, sizeof t->id);
  t->slot = m->slot;
  t->serial = m->serial;
}

/* Gives m a slot, and grows the transaction table to 8 entries a member (the old
 * entries are dropped: their responses fall back to address routing). */
static int mux_slot_take(rtc__io_mux_t *mux, rtc__io_mux_member_t *m) {
  if (mux->free_slot == mux->n_slots) {
    uint32_t nn = mux->n_slots ? mux->n_slots * 2 : 16;
    rtc__io_mux_member_t **ns = realloc(mux->slots, nn * sizeof(*ns));
    if (!ns) return UV_ENOMEM;
    for (uint32_t i = mux->n_slots; i < nn; i++) ns[i] = NULL;
    mux->slots = ns;
    mux->n_slots = nn;
  }
  m->slot = mux->free_slot;
  m->serial = ++mux->next_serial;
  mux->slots[m->slot] = m;
  while (mux->free_slot < mux->n_slots && mux->slots[mux->free_slot]) mux->free_slot++;
  size_t want = 64;
  while (want < (size_t)mux->members * 8) want *= 2;
  if (want > mux->n_txns) {
    mux_txn_t *nt = calloc(want, sizeof(*nt));
    if (nt) { /* without a bigger table the old one serves */
      free(mux->txns);
      mux->txns = nt;
      mux->n_txns = want;
    }
  }
  return 0;
}

static void mux_slot_give_back(rtc__io_mux_t *mux, rtc__io_mux_member_t *m) {
  mux->slots[m->slot] = NULL;
  if (m->slot < mux->free_slot) mux->free_slot = m->slot;
}

/* The TURN methods whose success says the sender's allocation lives (RFC 8656). */
static bool mux_is_turn(uint16_t type) {
  uint16_t method = type & ~RTC_STUN_CLASS_MASK;
  return method == RTC_STUN_ALLOCATE || method == RTC_STUN_REFRESH ||
         method == RTC_STUN_CREATE_PERMISSION || method == RTC_STUN_CHANNEL_BIND;
}

/* An ICE check: a binding request with USERNAME (RFC 8445 7.2.2); a STUN server's
 * binding request carries none. p is a whole STUN message (rtc_stun_is_stun). */
static bool mux_is_check(const uint8_t *p, size_t len) {
  for (size_t off = RTC_STUN_HEADER_LEN; off + 4 <= len;) {
    uint16_t t = (uint16_t)(p[off] << 8 | p[off + 1]), l = (uint16_t)(p[off + 2] << 8 | p[off + 3]);
    if (t == RTC_STUN_ATTR_USERNAME) return true;
    off += 4 + (((size_t)l + 3) & ~(size_t)3);
  }
  return false;
}

/* The member a datagram belongs to, or NULL. */
static rtc__io_mux_member_t *mux_route(rtc__io_mux_t *mux, const rtc_addr_t *src,
                                       const uint8_t *p, size_t len) {
  if (rtc_stun_is_stun(p, len)) {
    /* A binding request names its receiver, a response carries its request's
     * transaction ID; indications are matched by address like the rest. */
    uint16_t type = (uint16_t)(p[0] << 8 | p[1]);
    if (type & RTC_STUN_SUCCESS) { /* success or error response */
      rtc__io_mux_member_t *m = mux_txn_find(mux, p + 8);
      /* A TURN server granted m's allocation (or kept it): what it relays is m's. */
      if (m && (type & RTC_STUN_CLASS_MASK) == RTC_STUN_SUCCESS && mux_is_turn(type))
        mux_addr_claim(m, src);
      if (m) return m;
    } else if ((type & RTC_STUN_CLASS_MASK) == RTC_STUN_REQUEST && (type & ~RTC_STUN_CLASS_MASK) == RTC_STUN_BINDING) {
      static rtc_stun_msg_t msg; /* large; one loop, no reentry */
      if (rtc_stun_parse(p, len, &msg) == 0 && msg.has_username) {
        const char *colon = strchr(msg.username, ':');
        size_t n = colon ? (size_t)(colon - msg.username) : strlen(msg.username);
        rtc__io_mux_member_t *m = mux_by_ufrag(mux, msg.username, n);
        if (m) return m; /* its answer, if the agent gives one, claims src */
      }
    }
  }
  mux_addr_t *e = mux_addr_find(mux, src);
  return e ? e->member : NULL;
}

static void mux_end_batch(rtc__io_mux_t *mux) {
  /* io_after runs the owner's handlers, which may close any pc and so free its member
   * record: the peers are taken out first and held (their memory stays until the
   * close callbacks; a closed one is skipped by rtc__io_peer_after). */
  rtc_io_peer_t *peers[MUX_TOUCHED_MAX];
  unsigned n = mux->n_touched;
  for (unsigned i = 0; i < n; i++) {
    mux->touched[i]->touched = false;
    peers[i] = mux->touched[i]->peer;
    rtc__io_peer_hold(peers[i]);
  }
  mux->n_touched = 0;
  for (unsigned i = 0; i < n; i++) {
    rtc__io_peer_after(peers[i]);
    rtc__io_peer_release(peers[i]);
  }
}

static void mux_touch(rtc__io_mux_t *mux, rtc__io_mux_member_t *m) {
  if (m->touched) return;
  if (mux->n_touched == MUX_TOUCHED_MAX) mux_end_batch(mux);
  m->touched = true;
  mux->touched[mux->n_touched++] = m;
}

static void mux_on_recv(uv_udp_t *u, ssize_t nread, const uv_buf_t *buf,
                        const struct sockaddr *from, unsigned flags) {
  rtc__io_mux_t *mux = u->data;
  if (flags & UV_UDP_MMSG_FREE) {
    mux_end_batch(mux);
    return;
  }
  if (nread <= 0 || !from || (flags & UV_UDP_PARTIAL)) return;
  rtc_addr_t src;
  rtc_addr_from_sockaddr(&src, from);
  const uint8_t *p = (const uint8_t *)buf->base;
  rtc__io_mux_member_t *m = mux_route(mux, &src, p, (size_t)nread);
  if (!m || rtc__io_peer_dead(m->peer)) {
    mux_dropped++;
    return;
  }
  rtc_pc_handle_datagram(rtc_io_peer_pc(m->peer), rtc_io_now_us(), &mux->local, &src, p,
                         (size_t)nread);
  mux_touch(mux, m);
  if (!(flags & UV_UDP_MMSG_CHUNK)) mux_end_batch(mux); /* a single read (no recvmmsg) */
}

/* rtc_io_udp_recv's reader: the same, with the kernel's arrival times. */
static void mux_on_datagram(void *ctx, const uint8_t *p, size_t len, const struct sockaddr *from,
                            uint64_t arrival_us) {
  rtc__io_mux_t *mux = ctx;
  rtc_addr_t src;
  rtc_addr_from_sockaddr(&src, from);
  rtc__io_mux_member_t *m = mux_route(mux, &src, p, len);
  if (!m || rtc__io_peer_dead(m->peer)) {
    mux_dropped++;
    return;
  }
  rtc_pc_handle_datagram_at(rtc_io_peer_pc(m->peer), rtc_io_now_us(), arrival_us, &mux->local, &src,
                            p, len);
  mux_touch(mux, m);
}

static void mux_on_batch(void *ctx) { mux_end_batch(ctx); }

static void mux_closed(uv_handle_t *h) {
  rtc__io_mux_t *mux = h->data;
  if (--mux->handles > 0) return;
  free(mux->abuckets);
  free(mux->ubuckets);
  free(mux->slots);
  free(mux->txns);
  free(mux);
}

static int mux_bind(rtc__io_mux_t *mux, const rtc_pc_config_t *cfg) {
  rtc_addr_t a = mux->key;
  int r = UV_EADDRINUSE;
  if (rtc_addr_port(&mux->key) == 0 && cfg->port_min && cfg->port_max >= cfg->port_min) {
    for (unsigned p = cfg->port_min; p <= cfg->port_max && r == UV_EADDRINUSE; p++) {
      rtc_addr_set_port(&a, (uint16_t)p);
      r = uv_udp_bind(&mux->udp, &a.u.sa, 0);
    }
  } else {
    r = uv_udp_bind(&mux->udp, &a.u.sa, 0);
  }
  int len = sizeof(mux->local.u);
  if (r == 0) r = uv_udp_getsockname(&mux->udp, &mux->local.u.sa, &len);
  if (r == 0) {
    /* Thousands of connections' traffic meets in one receive queue, where each had
     * a 2 MiB queue of its own: when the loop falls behind (a loaded machine), a
     * small queue overflows, the checks and DTLS flights lost are retransmitted and
     * the traffic grows (seen in B4 at 3,000 pairs: 700,000 drops on a full 8 MiB
     * queue). So it is large: SO_RCVBUFFORCE where allowed (CAP_NET_ADMIN), else as
     * much as net.core.rmem_max gives. Memory is only used while datagrams wait. */
    int rcv = MUX_RCVBUF, snd = RTC__IO_SOCKET_BUFFER;
    uv_os_fd_t fd;
    if (uv_fileno((uv_handle_t *)&mux->udp, &fd) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof rcv) != 0)
      uv_recv_buffer_size((uv_handle_t *)&mux->udp, &rcv);
    uv_send_buffer_size((uv_handle_t *)&mux->udp, &snd);
    mux->rx.poll.data = mux;
    if (rtc_io_udp_recv_start(&mux->rx, mux->udp.loop, &mux->udp, mux_on_datagram, mux_on_batch,
                              mux) == 0) {
      mux->rx_on = true;
      mux->handles++;
    } else {
      r = uv_udp_recv_start(&mux->udp, rtc__io_recv_alloc, mux_on_recv);
    }
  }
  return r;
}

rtc__io_mux_member_t *rtc__io_mux_join(rtc_io_peer_t *peer, const rtc_addr_t *ip, uint16_t port,
                                       int *uv_err) {
  rtc_addr_t key = *ip;
  rtc_addr_set_port(&key, port);
  rtc__io_mux_t *mux = mux_all;
  while (mux && !rtc_addr_equal(&mux->key, &key)) mux = mux->next;
  rtc__io_mux_member_t *m = calloc(1, sizeof(*m));
  if (!m) {
    *uv_err = UV_ENOMEM;
    return NULL;
  }
  if (!mux) {
    mux = calloc(1, sizeof(*mux));
    if (!mux) {
      free(m);
      *uv_err = UV_ENOMEM;
      return NULL;
    }
    mux->key = key;
    uv_loop_t *loop = rtc__io_peer_loop(peer);
    if (uv_udp_init_ex(loop, &mux->udp, (unsigned)ip->u.sa.sa_family | UV_UDP_RECVMMSG) != 0)
      uv_udp_init(loop, &mux->udp);
    mux->udp.data = mux;
    mux->handles = 1;
    int r = mux_bind(mux, rtc_pc_config(rtc_io_peer_pc(peer)));
    if (r != 0) {
      uv_close((uv_handle_t *)&mux->udp, mux_closed);
      free(m);
      *uv_err = r;
      return NULL;
    }
    mux->next = mux_all;
    mux_all = mux;
    mux_open++;
  }
  m->mux = mux;
  m->peer = peer;
  mux->members++;
  int r = mux_slot_take(mux, m);
  if (r != 0) {
    *uv_err = r;
    rtc__io_mux_leave(m);
    return NULL;
  }
  rtc__io_mux_refresh(m);
  return m;
}

void rtc__io_mux_leave(rtc__io_mux_member_t *m) {
  if (!m) return;
  rtc__io_mux_t *mux = m->mux;
  while (m->addrs) mux_addr_unlink(mux, m->addrs);
  mux_ufrag_unlink(m);
  if (mux->slots && mux->slots[m->slot] == m) mux_slot_give_back(mux, m);
  for (unsigned i = 0; i < mux->n_touched; i++) {
    if (mux->touched[i] == m) {
      mux->touched[i] = mux->touched[--mux->n_touched];
      break;
    }
  }
  free(m);
  if (--mux->members > 0) return;
  rtc__io_mux_t **pp = &mux_all;
  while (*pp != mux) pp = &(*pp)->next;
  *pp = mux->next;
  mux_open--;
  if (mux->rx_on)
    rtc_io_udp_recv_close(&mux->rx, mux_closed);
  else
    uv_udp_recv_stop(&mux->udp);
  uv_close((uv_handle_t *)&mux->udp, mux_closed);
}

const rtc_addr_t *rtc__io_mux_local(const rtc__io_mux_member_t *m) { return &m->mux->local; }
uv_udp_t *rtc__io_mux_udp(rtc__io_mux_member_t *m) { return &m->mux->udp; }

void rtc__io_mux_sent(rtc__io_mux_member_t *m, const rtc_addr_t *remote, const uint8_t *p,
                      size_t len) {
  /* Answers come back by transaction ID. The peer's DTLS and media come from where our
   * checks and our answers to its checks went: those claim the address. Requests to
   * STUN and TURN servers do not (mux_route claims a TURN server for the pc it
   * granted an allocation), nor do TURN Send indications. */
  if (!rtc_stun_is_stun(p, len)) return;
  uint16_t type = (uint16_t)(p[0] << 8 | p[1]), cls = type & RTC_STUN_CLASS_MASK;
  if (cls == RTC_STUN_REQUEST) mux_txn_record(m, p + 8);
  if ((type & ~RTC_STUN_CLASS_MASK) != RTC_STUN_BINDING || cls == RTC_STUN_INDICATION) return;
  if (cls != RTC_STUN_REQUEST || mux_is_check(p, len)) mux_addr_claim(m, remote);
}
