/* Typed RTP attributes: one parser per attribute grammar, used both to check
 * single lines while rtc_sdp_parse reads them and to build the view of a whole
 * m-section. Each parser works on a private copy it may cut into tokens. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/rtc_err.h"
#include "sdp/rtc_sdp_rtp.h"

/* ---- small text helpers ---- */

static bool rtp_is_space(char c) { return c == ' ' || c == '\t'; }

/* Next token of *s cut in place (NUL-terminated), or NULL at the end. */
static char *rtp_token(char **s) {
  char *p = *s;
  while (rtp_is_space(*p))
    p++;
  if (!*p) {
    *s = p;
    return NULL;
  }
  char *t = p;
  while (*p && !rtp_is_space(*p))
    p++;
  if (*p) *p++ = '\0';
  *s = p;
  return t;
}

/* What is left of *s with surrounding spaces trimmed, or NULL when nothing. */
static char *rtp_rest(char *s) {
  while (rtp_is_space(*s))
    s++;
  if (!*s) return NULL;
  char *e = s + strlen(s);
  while (e > s && rtp_is_space(e[-1]))
    e--;
  *e = '\0';
  return s;
}

static bool rtp_uint(const char *s, uint64_t max, uint64_t *out) {
  uint64_t v = 0;
  if (!s || !*s) return false;
  for (; *s; s++) {
    if (*s < '0' || *s > '9') return false;
    unsigned d = (unsigned)(*s - '0');
    if (v > (max - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

static int rtp_fail(char *err, size_t errlen, int code, const char *name, const char *value,
                    const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* "a=<name>:<value>: <why>", the value cut short if long. */
static int rtp_fail(char *err, size_t errlen, int code, const char *name, const char *value,
                    const char *fmt, ...) {
  if (err && errlen) {
    int n = snprintf(err, errlen, "a=%s%s%.60s: ", name, value ? ":" : "", value ? value : "");
    if (n >= 0 && (size_t)n < errlen) {
      va_list ap;
      va_start(ap, fmt);
      vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
      va_end(ap);
    }
  }
  return code;
}

/* ---- one parser per grammar; v is a writable copy of the value ---- */

typedef struct rtp_ctx {
  const char *name, *value; /* the original, for messages */
  char *err;
  size_t errlen;
} rtp_ctx_t;

#define RTP_BAD(c, ...)                                                                            \
  rtp_fail((c)->err, (c)->errlen, RTC_EPARSE, (c)->name, (c)->value, __VA_ARGS__)

static int rtp_pt(rtp_ctx_t *c, const char *tok, uint8_t *pt) {
  uint64_t v;
  /* RFC 3550 5.1: PT is 7 bits. */
  if (!rtp_uint(tok, 127, &v)) return RTP_BAD(c, "payload type must be 0..127");
  *pt = (uint8_t)v;
  return 0;
}

/* RFC 8866 6.6: a=rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding params>] */
static int rtp_parse_rtpmap(rtp_ctx_t *c, char *v, uint8_t *pt, const char **name, uint32_t *clock,
                            uint8_t *channels) {
  char *s = v, *t = rtp_token(&s), *enc = rtp_token(&s);
  uint64_t n;
  if (!t || !enc) return RTP_BAD(c, "needs <pt> <name>/<clock rate>");
  if (rtp_rest(s)) return RTP_BAD(c, "unexpected text after the encoding");
  int r = rtp_pt(c, t, pt);
  if (r) return r;
  char *slash = strchr(enc, '/');
  if (!slash || slash == enc) return RTP_BAD(c, "needs <name>/<clock rate>");
  *slash = '\0';
  char *rate = slash + 1, *ch = strchr(rate, '/');
  if (ch) *ch++ = '\0';
  if (!rtp_uint(rate, UINT32_MAX, &n) || n == 0) return RTP_BAD(c, "bad clock rate");
  *clock = (uint32_t)n;
  *channels = 0;
  if (ch) {
    if (!rtp_uint(ch, 255, &n) || n == 0) return RTP_BAD(c, "bad channel count");
    *channels = (uint8_t)n;
  }
  *name = enc;
  return 0;
}

/* RFC 8866 6.15: a=fmtp:<format> <format specific parameters>. WebRTC formats are
 * "k=v;k=v" (spaces after ';' tolerated); params NULL when empty. */
static int rtp_parse_fmtp(rtp_ctx_t *c, char *v, uint8_t *pt, char **params) {
  char *s = v, *t = rtp_token(&s);
  if (!t) return RTP_BAD(c, "needs <pt> <parameters>");
  int r = rtp_pt(c, t, pt);
  if (r) return r;
  *params = rtp_rest(s);
  return 0;
}

/* Splits "a=1;b;c=2" in place into (key, value) pairs. */
static int rtp_split_params(rtp_ctx_t *c, char *s, rtc_sdp_rtp_param_t *out, size_t max,
                            size_t *n) {
  *n = 0;
  while (s && *s) {
    char *semi = strchr(s, ';');
    if (semi) *semi = '\0';
    char *tok = rtp_rest(s);
    s = semi ? semi + 1 : NULL;
    if (!tok) continue; /* "a=1;;b=2" or a trailing ';' */
    if (*n >= max)
      return rtp_fail(c->err, c->errlen, RTC_ELIMIT, c->name, c->value, "more than %d parameters",
                      (int)max);
    char *eq = strchr(tok, '=');
    out[*n].key = tok;
    out[*n].value = NULL;
    if (eq) {
      *eq = '\0';
      rtp_rest(tok); /* "a = b" */
      out[*n].value = eq + 1;
      while (rtp_is_space(*out[*n].value))
        out[*n].value++;
      if (!*tok) return RTP_BAD(c, "parameter without a name");
    }
    (*n)++;
  }
  return 0;
}

/* RFC 4585 4.2: a=rtcp-fb:<pt|*> <type> [<subtype> ...]; pt -1 for "*". */
static int rtp_parse_rtcp_fb(rtp_ctx_t *c, char *v, int *pt, const char **type,
                             const char **subtype) {
  char *s = v, *t = rtp_token(&s), *ty = rtp_token(&s);
  if (!t || !ty) return RTP_BAD(c, "needs <pt> <type>");
  if (strcmp(t, "*") == 0) {
    *pt = -1;
  } else {
    uint8_t p = 0;
    int r = rtp_pt(c, t, &p);
    if (r) return r;
    *pt = p;
  }
  *type = ty;
  *subtype = rtp_rest(s);
  return 0;
}

static rtc_sdp_direction_t rtp_dir(const char *s) {
  if (strcmp(s, "sendrecv") == 0) return RTC_SDP_DIR_SENDRECV;
  if (strcmp(s, "sendonly") == 0) return RTC_SDP_DIR_SENDONLY;
  if (strcmp(s, "recvonly") == 0) return RTC_SDP_DIR_RECVONLY;
  if (strcmp(s, "inactive") == 0) return RTC_SDP_DIR_INACTIVE;
  return RTC_SDP_DIR_NONE;
}

/* RFC 8285 8: a=extmap:<value>["/"<direction>] <URI> <extensionattributes> */
static int rtp_parse_extmap(rtp_ctx_t *c, char *v, rtc_sdp_rtp_extmap_t *e) {
  char *s = v, *t = rtp_token(&s), *uri = rtp_token(&s);
  uint64_t id;
  if (!t || !uri) return RTP_BAD(c, "needs <id> <uri>");
  char *slash = strchr(t, '/');
  e->direction = RTC_SDP_DIR_NONE;
  if (slash) {
    *slash = '\0';
    if ((e->direction = rtp_dir(slash + 1)) == RTC_SDP_DIR_NONE)
      return RTP_BAD(c, "bad direction \"%s\"", slash + 1);
  }
  /* RFC 8285 5: ids 1-14 (one-byte form), 1-255 (two-byte form). */
  if (!rtp_uint(t, 255, &id) || id == 0) return RTP_BAD(c, "id must be 1..255");
  e->id = (uint16_t)id;
  e->uri = uri;
  e->ext_attrs = rtp_rest(s);
  return 0;
}

/* RFC 5576 4.1: a=ssrc:<ssrc-id> <attribute>[:<value>] */
static int rtp_parse_ssrc(rtp_ctx_t *c, char *v, rtc_sdp_rtp_ssrc_t *o) {
  char *s = v, *t = rtp_token(&s);
  uint64_t n;
  if (!t || !rtp_uint(t, UINT32_MAX, &n)) return RTP_BAD(c, "needs a 32-bit SSRC");
  char *a = rtp_rest(s);
  if (!a) return RTP_BAD(c, "needs <ssrc> <attribute>");
  char *colon = strchr(a, ':');
  o->ssrc = (uint32_t)n;
  o->attr = a;
  o->value = NULL;
  if (colon) {
    *colon = '\0';
    o->value = colon + 1;
  }
  if (!*a) return RTP_BAD(c, "empty source attribute name");
  return 0;
}

/* RFC 5576 4.2: a=ssrc-group:<semantics> <ssrc-id> ... */
static int rtp_parse_group(rtp_ctx_t *c, char *v, rtc_sdp_rtp_group_t *g) {
  char *s = v, *t = rtp_token(&s);
  if (!t) return RTP_BAD(c, "needs <semantics> <ssrc>...");
  g->semantics = t;
  g->n_ssrcs = 0;
  for (char *x; (x = rtp_token(&s));) {
    uint64_t n;
    if (!rtp_uint(x, UINT32_MAX, &n)) return RTP_BAD(c, "bad SSRC \"%s\"", x);
    if (g->n_ssrcs >= RTC_SDP_RTP_MAX_GROUP_SSRCS)
      return rtp_fail(c->err, c->errlen, RTC_ELIMIT, c->name, c->value, "more than %d SSRCs",
                      RTC_SDP_RTP_MAX_GROUP_SSRCS);
    g->ssrcs[g->n_ssrcs++] = (uint32_t)n;
  }
  if (!g->n_ssrcs) return RTP_BAD(c, "needs at least one SSRC");
  return 0;
}

/* RFC 8830 2: a=msid:<msid-id> [<msid-appdata>] */
static int rtp_parse_msid(rtp_ctx_t *c, char *v, rtc_sdp_rtp_msid_t *o) {
  char *s = v, *id = rtp_token(&s), *app = rtp_token(&s);
  if (!id) return RTP_BAD(c, "needs <stream id> [<track id>]");
  if (rtp_rest(s)) return RTP_BAD(c, "more than two fields");
  o->stream_id = id;
  o->track_id = app;
  return 0;
}

/* RFC 8851 10: a=rid:<rid-id> SP <send|recv> [SP <restrictions>] */
static int rtp_parse_rid(rtp_ctx_t *c, char *v, rtc_sdp_rtp_rid_t *o) {
  char *s = v, *id = rtp_token(&s), *dir = rtp_token(&s);
  if (!id || !dir) return RTP_BAD(c, "needs <id> send|recv");
  if (strcmp(dir, "send") != 0 && strcmp(dir, "recv") != 0)
    return RTP_BAD(c, "direction must be send or recv");
  o->id = id;
  o->send = dir[0] == 's';
  o->params = rtp_rest(s);
  return 0;
}

/* RFC 8853 5.1: a=simulcast:<send|recv> <list> [<send|recv> <list>] */
static int rtp_parse_simulcast(rtp_ctx_t *c, char *v, const char **send, const char **recv) {
  char *s = v;
  *send = *recv = NULL;
  for (int i = 0; i < 2; i++) {
    char *dir = rtp_token(&s), *list = dir ? rtp_token(&s) : NULL;
    if (!dir && i) break;
    if (!dir || !list) return RTP_BAD(c, "needs send|recv <rid list>");
    const char **slot = strcmp(dir, "send") == 0 ? send : strcmp(dir, "recv") == 0 ? recv : NULL;
    if (!slot || *slot) return RTP_BAD(c, "bad or repeated direction \"%s\"", dir);
    *slot = list;
  }
  if (rtp_rest(s)) return RTP_BAD(c, "unexpected text after the lists");
  return 0;
}

/* ---- checking single lines (rtc_sdp_parse) ---- */

static const char *const rtp_checked[] = {"rtpmap",     "fmtp", "rtcp-fb", "extmap",   "ssrc",
                                          "ssrc-group", "msid", "rid",     "simulcast"};

int rtc_sdp_rtp_check_attr(const char *name, const char *value, char *err, size_t errlen) {
  size_t i, nk = sizeof(rtp_checked) / sizeof(rtp_checked[0]);
  if (!name) return RTC_EINVAL;
  for (i = 0; i < nk && strcmp(name, rtp_checked[i]) != 0; i++)
    ;
  if (i == nk) return 0;
  rtp_ctx_t c = {name, value, err, errlen};
  if (!value) return RTP_BAD(&c, "needs a value");
  char *v = strdup(value);
  if (!v) return RTC_ENOMEM;
  int r;
  uint8_t pt, ch;
  uint32_t clock;
  int fbpt;
  const char *a, *b;
  char *params;
  rtc_sdp_rtp_extmap_t e;
  rtc_sdp_rtp_ssrc_t ss;
  rtc_sdp_rtp_group_t g;
  rtc_sdp_rtp_msid_t ms;
  rtc_sdp_rtp_rid_t rid;
  switch (i) {
  case 0: r = rtp_parse_rtpmap(&c, v, &pt, &a, &clock, &ch); break;
  case 1: {
    rtc_sdp_rtp_param_t ps[RTC_SDP_RTP_MAX_PARAMS];
    size_t n;
    r = rtp_parse_fmtp(&c, v, &pt, &params);
    /* Too many parameters is the view's limit, not a syntax error. */
    if (!r && rtp_split_params(&c, params, ps, RTC_SDP_RTP_MAX_PARAMS, &n) == RTC_EPARSE)
      r = RTC_EPARSE;
    break;
  }
  case 2: r = rtp_parse_rtcp_fb(&c, v, &fbpt, &a, &b); break;
  case 3: r = rtp_parse_extmap(&c, v, &e); break;
  case 4: r = rtp_parse_ssrc(&c, v, &ss); break;
  case 5:
    r = rtp_parse_group(&c, v, &g);
    if (r == RTC_ELIMIT) r = 0; /* a bound of the view, not of the grammar */
    break;
  case 6: r = rtp_parse_msid(&c, v, &ms); break;
  case 7: r = rtp_parse_rid(&c, v, &rid); break;
  default: r = rtp_parse_simulcast(&c, v, &a, &b); break;
  }
  free(v);
  return r;
}

/* ---- the view ---- */

/* RFC 3551 6 (Table 4 and 5): static payload types an m= line may use without rtpmap. */
static const struct {
  uint8_t pt;
  const char *name;
  uint32_t clock;
  uint8_t channels;
} rtp_static[] = {
    {0, "PCMU", 8000, 1},   {3, "GSM", 8000, 1},    {4, "G723", 8000, 1},   {5, "DVI4", 8000, 1},
    {6, "DVI4", 16000, 1},  {7, "LPC", 8000, 1},    {8, "PCMA", 8000, 1},   {9, "G722", 8000, 1},
    {10, "L16", 44100, 2},  {11, "L16", 44100, 1},  {12, "QCELP", 8000, 1}, {13, "CN", 8000, 1},
    {14, "MPA", 90000, 0},  {15, "G728", 8000, 1},  {16, "DVI4", 11025, 1}, {17, "DVI4", 22050, 1},
    {18, "G729", 8000, 1},  {25, "CelB", 90000, 0}, {26, "JPEG", 90000, 0}, {28, "nv", 90000, 0},
    {31, "H261", 90000, 0}, {32, "MPV", 90000, 0},  {33, "MP2T", 90000, 0}, {34, "H263", 90000, 0},
};

typedef struct rtp_view_builder {
  rtc_sdp_rtp_t *v;
  char *arena, *arena_end;
  char *err;
  size_t errlen;
} rtp_vb_t;

/* A writable copy of s in the view's arena (sized so that it cannot run out). */
static char *rtp_arena_dup(rtp_vb_t *b, const char *s) {
  size_t n = strlen(s) + 1;
  if ((size_t)(b->arena_end - b->arena) < n) return NULL;
  char *d = memcpy(b->arena, s, n);
  b->arena += n;
  return d;
}

static rtc_sdp_rtp_codec_t *rtp_codec_of(rtc_sdp_rtp_t *v, int pt) {
  for (size_t i = 0; i < v->n_codecs; i++)
    if (v->codecs[i].pt == pt) return &v->codecs[i];
  return NULL;
}

static int rtp_add_fb(rtp_ctx_t *c, rtc_sdp_rtp_codec_t *k, const char *type, const char *sub) {
  if (k->n_fb >= RTC_SDP_RTP_MAX_FB)
    return rtp_fail(c->err, c->errlen, RTC_ELIMIT, c->name, c->value,
                    "more than %d rtcp-fb for payload type %u", RTC_SDP_RTP_MAX_FB, k->pt);
  k->fb[k->n_fb].type = type;
  k->fb[k->n_fb].subtype = sub;
  k->n_fb++;
  return 0;
}

#define RTP_LIMIT(c, what, max)                                                                    \
  rtp_fail((c)->err, (c)->errlen, RTC_ELIMIT, (c)->name, (c)->value, "more than %d %s",            \
           (int)(max), what)

/* One attribute into the view. */
static int rtp_view_attr(rtp_vb_t *b, const rtc_sdp_attr_t *a) {
  rtc_sdp_rtp_t *v = b->v;
  rtp_ctx_t c = {a->name, a->value, b->err, b->errlen};
  const char *n = a->name;
  bool fb = strcmp(n, "rtcp-fb") == 0;
  if (!a->value) {
    if (strcmp(n, "rtcp-rsize") == 0) v->rtcp_rsize = true;
    if (strcmp(n, "extmap-allow-mixed") == 0) v->extmap_allow_mixed = true;
    if (rtc_sdp_rtp_check_attr(n, NULL, NULL, 0)) return RTP_BAD(&c, "needs a value");
    return 0;
  }
  if (strcmp(n, "rtpmap") == 0) {
    uint8_t pt, ch;
    uint32_t clock;
    const char *name;
    char *s = rtp_arena_dup(b, a->value);
    int r = s ? rtp_parse_rtpmap(&c, s, &pt, &name, &clock, &ch) : RTC_ENOMEM;
    if (r) return r;
    rtc_sdp_rtp_codec_t *k = rtp_codec_of(v, pt);
    if (!k) return 0;
    if (k->has_rtpmap) return RTP_BAD(&c, "payload type %u has a second a=rtpmap", pt);
    k->has_rtpmap = true;
    k->name = name;
    k->clock_rate = clock;
    k->channels = ch;
    return 0;
  }
  if (strcmp(n, "fmtp") == 0) {
    uint8_t pt;
    char *params, *s = rtp_arena_dup(b, a->value);
    int r = s ? rtp_parse_fmtp(&c, s, &pt, &params) : RTC_ENOMEM;
    if (r) return r;
    rtc_sdp_rtp_codec_t *k = rtp_codec_of(v, pt);
    if (!k) return 0;
    if (k->fmtp) return RTP_BAD(&c, "payload type %u has a second a=fmtp", pt);
    k->fmtp = params ? params : "";
    if (!params) return 0;
    /* Split a second copy so that fmtp stays the text as written. */
    char *split = rtp_arena_dup(b, params);
    if (!split) return RTC_ENOMEM;
    return rtp_split_params(&c, split, k->params, RTC_SDP_RTP_MAX_PARAMS, &k->n_params);
  }
  if (fb) {
    int pt;
    const char *type, *sub;
    char *s = rtp_arena_dup(b, a->value);
    int r = s ? rtp_parse_rtcp_fb(&c, s, &pt, &type, &sub) : RTC_ENOMEM;
    if (r) return r;
    if (pt >= 0) {
      rtc_sdp_rtp_codec_t *k = rtp_codec_of(v, pt);
      return k ? rtp_add_fb(&c, k, type, sub) : 0;
    }
    for (size_t i = 0; i < v->n_codecs; i++)
      if ((r = rtp_add_fb(&c, &v->codecs[i], type, sub))) return r;
    return 0;
  }
  if (strcmp(n, "extmap") == 0) {
    if (v->n_extmaps >= RTC_SDP_RTP_MAX_EXTMAPS)
      return RTP_LIMIT(&c, "a=extmap", RTC_SDP_RTP_MAX_EXTMAPS);
    rtc_sdp_rtp_extmap_t *e = &v->extmaps[v->n_extmaps];
    char *s = rtp_arena_dup(b, a->value);
    int r = s ? rtp_parse_extmap(&c, s, e) : RTC_ENOMEM;
    if (r) return r;
    /* RFC 8285 6: an id maps one extension within a media section. */
    for (size_t i = 0; i < v->n_extmaps; i++)
      if (v->extmaps[i].id == e->id) return RTP_BAD(&c, "id %u is mapped twice", e->id);
    v->n_extmaps++;
    return 0;
  }
  if (strcmp(n, "ssrc") == 0) {
    if (v->n_ssrcs >= RTC_SDP_RTP_MAX_SSRCS) return RTP_LIMIT(&c, "a=ssrc", RTC_SDP_RTP_MAX_SSRCS);
    char *s = rtp_arena_dup(b, a->value);
    int r = s ? rtp_parse_ssrc(&c, s, &v->ssrcs[v->n_ssrcs]) : RTC_ENOMEM;
    if (!r) v->n_ssrcs++;
    return r;
  }
  if (strcmp(n, "ssrc-group") == 0) {
    if (v->n_groups >= RTC_SDP_RTP_MAX_GROUPS)
      return RTP_LIMIT(&c, "a=ssrc-group", RTC_SDP_RTP_MAX_GROUPS);
    char *s = rtp_arena_dup(b, a->value);
    int r = s ? rtp_parse_group(&c, s, &v->groups[v->n_groups]) : RTC_ENOMEM;
    if (!r) v->n_groups++;
    return r;
  }
  if (strcmp(n, "msid") == 0) {
    if (v->n_msids >= RTC_SDP_RTP_MAX_MSIDS) return RTP_LIMIT(&c, "a=msid", RTC_SDP_RTP_MAX_MSIDS);
    char *s = rtp_arena_dup(b, a->value);
    int r = s ? rtp_parse_msid(&c, s, &v->msids[v->n_msids]) : RTC_ENOMEM;
    if (!r) v->n_msids++;
    return r;
  }
  if (strcmp(n, "rid") == 0) {
    if (v->n_rids >= RTC_SDP_RTP_MAX_RIDS) return RTP_LIMIT(&c, "a=rid", RTC_SDP_RTP_MAX_RIDS);
    char *s = rtp_arena_dup(b, a->value);
    int r = s ? rtp_parse_rid(&c, s, &v->rids[v->n_rids]) : RTC_ENOMEM;
    if (!r) v->n_rids++;
    return r;
  }
  if (strcmp(n, "simulcast") == 0 && !v->simulcast) {
    char *s = rtp_arena_dup(b, a->value), *w = rtp_arena_dup(b, a->value);
    if (!s || !w) return RTC_ENOMEM;
    v->simulcast = w;
    return rtp_parse_simulcast(&c, s, &v->simulcast_send, &v->simulcast_recv);
  }
  return 0;
}

int rtc_sdp_rtp_parse(const rtc_sdp_media_t *m, rtc_sdp_rtp_t **out, char *err, size_t errlen) {
  if (err && errlen) err[0] = '\0';
  if (!m || !out) return RTC_EINVAL;
  *out = NULL;
  /* Every string of the view is a piece of one attribute value: two copies of
   * each value (simulcast, fmtp) plus their NULs always fit. */
  size_t arena = 0;
  for (size_t i = 0; i < m->n_attrs; i++)
    if (m->attrs[i].value) arena += 2 * (strlen(m->attrs[i].value) + 1);
  rtc_sdp_rtp_t *v = calloc(1, sizeof(*v) + arena);
  if (!v) return RTC_ENOMEM;
  rtp_vb_t b = {v, (char *)(v + 1), (char *)(v + 1) + arena, err, errlen};
  int r = 0;
  v->rtcp_mux = m->rtcp_mux;
  for (size_t i = 0; i < m->n_fmts; i++) {
    uint64_t pt;
    if (!rtp_uint(m->fmts[i], 127, &pt)) {
      r = RTC_EPARSE;
      if (err && errlen)
        snprintf(err, errlen, "m=%s format \"%.20s\" is not an RTP payload type (0..127)",
                 m->type ? m->type : "", m->fmts[i]);
      goto fail;
    }
    if (rtp_codec_of(v, (int)pt)) continue; /* listed twice: once is enough */
    rtc_sdp_rtp_codec_t *k = &v->codecs[v->n_codecs++];
    k->pt = (uint8_t)pt;
    k->name = "";
    for (size_t j = 0; j < sizeof(rtp_static) / sizeof(rtp_static[0]); j++)
      if (rtp_static[j].pt == pt) {
        k->name = rtp_static[j].name;
        k->clock_rate = rtp_static[j].clock;
        k->channels = rtp_static[j].channels;
      }
  }
  for (size_t i = 0; i < m->n_attrs; i++)
    if ((r = rtp_view_attr(&b, &m->attrs[i]))) goto fail;
  *out = v;
  return 0;
fail:
  if (r == RTC_ENOMEM && err && errlen) snprintf(err, errlen, "out of memory");
  free(v);
  return r;
}

void rtc_sdp_rtp_free(rtc_sdp_rtp_t *v) { free(v); }

const rtc_sdp_rtp_codec_t *rtc_sdp_rtp_find_codec(const rtc_sdp_rtp_t *v, uint8_t pt) {
  return v ? rtp_codec_of((rtc_sdp_rtp_t *)v, pt) : NULL;
}

const char *rtc_sdp_rtp_codec_param(const rtc_sdp_rtp_codec_t *c, const char *key) {
  if (!c || !key) return NULL;
  for (size_t i = 0; i < c->n_params; i++)
    if (strcasecmp(c->params[i].key, key) == 0) return c->params[i].value ? c->params[i].value : "";
  return NULL;
}

bool rtc_sdp_rtp_codec_has_fb(const rtc_sdp_rtp_codec_t *c, const char *type, const char *subtype) {
  if (!c || !type) return false;
  for (size_t i = 0; i < c->n_fb; i++) {
    if (strcasecmp(c->fb[i].type, type) != 0) continue;
    if (!subtype && !c->fb[i].subtype) return true;
    if (subtype && c->fb[i].subtype && strcasecmp(c->fb[i].subtype, subtype) == 0) return true;
  }
  return false;
}

int rtc_sdp_rtp_find_extmap(const rtc_sdp_rtp_t *v, const char *uri) {
  if (!v || !uri) return -1;
  for (size_t i = 0; i < v->n_extmaps; i++)
    if (strcmp(v->extmaps[i].uri, uri) == 0) return v->extmaps[i].id;
  return -1;
}

const char *rtc_sdp_rtp_ssrc_attr(const rtc_sdp_rtp_t *v, uint32_t ssrc, const char *attr) {
  if (!v || !attr) return NULL;
  for (size_t i = 0; i < v->n_ssrcs; i++)
    if (v->ssrcs[i].ssrc == ssrc && strcmp(v->ssrcs[i].attr, attr) == 0) return v->ssrcs[i].value;
  return NULL;
}
