/* Test helpers for the rtp tests: the RFC 4571-framed captures in tests/fixtures/rtp and
 * minimal readers of the clips that went in (IVF frames, Ogg packets, Annex-B access
 * units). Deliberately minimal: runtime/media owns the real file readers. */
#ifndef RTP_TEST_FIXTURE_H
#define RTP_TEST_FIXTURE_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIX_DIR "tests/fixtures/rtp/"
#define FIX_MAX 512

typedef struct fix_list {
  int n;
  const uint8_t *p[FIX_MAX];
  size_t len[FIX_MAX];
  uint8_t *file; /* owns the bytes */
} fix_list_t;

static uint8_t *fix_read(const char *name, size_t *len) {
  char path[256];
  snprintf(path, sizeof path, FIX_DIR "%s", name);
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *b = malloc((size_t)n + 1);
  if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
    free(b);
    b = NULL;
  }
  fclose(f);
  *len = (size_t)n;
  return b;
}

static inline void fix_free(fix_list_t *l) { free(l->file); }

/* *.rtp: 16-bit big-endian length, packet. */
static inline int fix_packets(const char *name, fix_list_t *l) {
  size_t n;
  memset(l, 0, sizeof *l);
  if (!(l->file = fix_read(name, &n))) return -1;
  for (size_t off = 0; off + 2 <= n && l->n < FIX_MAX;) {
    size_t k = (size_t)(l->file[off] << 8 | l->file[off + 1]);
    if (off + 2 + k > n) return -1;
    l->p[l->n] = l->file + off + 2;
    l->len[l->n++] = k;
    off += 2 + k;
  }
  return l->n;
}

/* IVF: 32-byte file header, then per frame a 12-byte header (size LE32, pts LE64). */
static inline int fix_ivf(const char *name, fix_list_t *l) {
  size_t n;
  memset(l, 0, sizeof *l);
  if (!(l->file = fix_read(name, &n)) || n < 32 || memcmp(l->file, "DKIF", 4) != 0) return -1;
  size_t hl = (size_t)(l->file[6] | l->file[7] << 8);
  for (size_t off = hl; off + 12 <= n && l->n < FIX_MAX;) {
    const uint8_t *h = l->file + off;
    size_t k = (size_t)h[0] | (size_t)h[1] << 8 | (size_t)h[2] << 16 | (size_t)h[3] << 24;
    if (off + 12 + k > n) return -1;
    l->p[l->n] = h + 12;
    l->len[l->n++] = k;
    off += 12 + k;
  }
  return l->n;
}

/* Ogg (RFC 3533): pages "OggS", segment table; packets end at a lacing value < 255. The
 * Opus packets, without OpusHead and OpusTags (RFC 7845). Packets spanning pages are
 * copied into a side buffer. */
static uint8_t fix_ogg_joined[1 << 16];
static inline int fix_ogg_opus(const char *name, fix_list_t *l) {
  size_t n, jl = 0;
  memset(l, 0, sizeof *l);
  if (!(l->file = fix_read(name, &n))) return -1;
  size_t pkt_start = 0, pkt_len = 0;
  bool spanning = false;
  int seen = 0;
  for (size_t off = 0; off + 27 <= n;) {
    const uint8_t *pg = l->file + off;
    if (memcmp(pg, "OggS", 4) != 0) return -1;
    int segs = pg[26];
    size_t data = off + 27 + (size_t)segs, pos = data;
    for (int s = 0; s < segs; s++) {
      uint8_t lv = pg[27 + s];
      if (!spanning && pkt_len == 0) pkt_start = pos;
      if (spanning) {
        memcpy(fix_ogg_joined + jl, l->file + pos, lv);
        jl += lv;
      }
      pkt_len += lv;
      pos += lv;
      if (lv < 255) {
        const uint8_t *pp = spanning ? fix_ogg_joined + jl - pkt_len : l->file + pkt_start;
        if (seen++ >= 2 && l->n < FIX_MAX) {
          l->p[l->n] = pp;
          l->len[l->n++] = pkt_len;
        }
        pkt_len = 0;
        spanning = false;
      }
    }
    if (pkt_len > 0 && !spanning) { /* continues on the next page */
      memcpy(fix_ogg_joined + jl, l->file + pkt_start, pkt_len);
      jl += pkt_len;
      spanning = true;
    }
    off = pos;
  }
  return l->n;
}

/* Annex-B NAL units of a buffer: (start, len) pairs without start codes. */
static inline int fix_nals(const uint8_t *p, size_t n, const uint8_t **nal, size_t *len, int max) {
  int k = 0;
  size_t i = 0;
  while (i + 3 <= n && k < max) {
    if (!(p[i] == 0 && p[i + 1] == 0 && p[i + 2] == 1)) {
      i++;
      continue;
    }
    size_t s = i + 3, e = s;
    while (e + 3 <= n && !(p[e] == 0 && p[e + 1] == 0 && p[e + 2] == 1))
      e++;
    if (e + 3 > n) e = n;
    size_t end = e;
    while (end > s && p[end - 1] == 0)
      end--;
    nal[k] = p + s;
    len[k++] = end - s;
    i = e;
  }
  return k;
}

/* Access units of an Annex-B file (H.264 7.4.1.2.3): a new one starts after a VCL NAL at
 * an AUD/SPS/PPS/SEI or a slice with first_mb_in_slice 0. */
static inline int fix_h264_aus(const char *name, fix_list_t *l) {
  size_t n;
  memset(l, 0, sizeof *l);
  if (!(l->file = fix_read(name, &n))) return -1;
  static const uint8_t *nal[4096];
  static size_t nl[4096];
  int k = fix_nals(l->file, n, nal, nl, 4096);
  bool vcl_seen = false;
  const uint8_t *au = NULL;
  for (int i = 0; i < k; i++) {
    uint8_t t = nal[i][0] & 0x1f;
    bool vcl = t == 1 || t == 5;
    bool starts = t == 9 || t == 7 || t == 8 || t == 6 || (vcl && (nal[i][1] & 0x80));
    if (starts && vcl_seen) {
      l->p[l->n] = au;
      l->len[l->n++] = (size_t)(nal[i] - 3 - au);
      au = NULL;
      vcl_seen = false;
    }
    if (!au) au = nal[i] - 3 - (nal[i] - 4 >= l->file && nal[i][-4] == 0 ? 1 : 0);
    vcl_seen |= vcl;
  }
  if (au) {
    l->p[l->n] = au;
    l->len[l->n++] = (size_t)(l->file + n - au);
  }
  return l->n;
}

#endif
