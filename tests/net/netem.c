/* A userspace network impairment ("netem") for the network tests: this kernel has no
 * sch_netem. The test routes the packets a router namespace forwards into a TUN device;
 * this program reads each IP packet from it and writes it back (the kernel then
 * forwards it on) after applying random loss, a fixed delay plus jitter (jitter
 * reorders: each packet gets its own delay), and a "cut" that drops everything.
 *
 * Usage: netem <tun device> <control fifo> [seed]
 * The device must exist (ip tuntap add ... mode tun). Lines written to the fifo set
 * the impairment at run time, e.g. "loss=10 delay=100 jitter=20", "cut=1", "cut=0";
 * "stats" prints the counters. SIGTERM/SIGINT: prints them and exits.
 * Counters line: "netem in=N out=N lost=N cut=N overflow=N reordered=N queued=N ...";
 * reordered: packets written after a packet that arrived later than them. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define MAX_QUEUED 16384 /* packets held at once (a 100 ms delay at ~150 Mbit/s) */
#define MAX_PACKET 65536

typedef struct {
  uint64_t due_us, seq; /* seq: packets with the same due time keep their order */
  uint32_t len;
  uint8_t *data;
} held_t;

static held_t heap[MAX_QUEUED];
static size_t n_held;
static double loss_pct, delay_ms, jitter_ms;
static int cut;
static uint64_t n_in, n_out, n_lost, n_cut, n_overflow, n_reordered, next_seq, max_seq_out;
static uint64_t rng = 0x9e3779b97f4a7c15ull;
static volatile sig_atomic_t stop;

static uint64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static double uniform(void) { /* xorshift64*: [0, 1) */
  rng ^= rng >> 12;
  rng ^= rng << 25;
  rng ^= rng >> 27;
  return (double)((rng * 0x2545f4914f6cdd1dull) >> 11) / 9007199254740992.0;
}

static int before(const held_t *a, const held_t *b) {
  return a->due_us < b->due_us || (a->due_us == b->due_us && a->seq < b->seq);
}

static void heap_push(held_t h) {
  size_t i = n_held++;
  heap[i] = h;
  while (i > 0 && before(&heap[i], &heap[(i - 1) / 2])) {
    held_t t = heap[i];
    heap[i] = heap[(i - 1) / 2];
    heap[(i - 1) / 2] = t;
    i = (i - 1) / 2;
  }
}

static held_t heap_pop(void) {
  held_t top = heap[0];
  heap[0] = heap[--n_held];
  for (size_t i = 0;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    if (l < n_held && before(&heap[l], &heap[m])) m = l;
    if (r < n_held && before(&heap[r], &heap[m])) m = r;
    if (m == i) break;
    held_t t = heap[i];
    heap[i] = heap[m];
    heap[m] = t;
    i = m;
  }
  return top;
}

static void print_stats(void) {
  printf("netem in=%llu out=%llu lost=%llu cut=%llu overflow=%llu reordered=%llu queued=%zu "
         "loss=%g delay=%g jitter=%g cutting=%d\n",
         (unsigned long long)n_in, (unsigned long long)n_out, (unsigned long long)n_lost,
         (unsigned long long)n_cut, (unsigned long long)n_overflow,
         (unsigned long long)n_reordered, n_held, loss_pct, delay_ms, jitter_ms, cut);
  fflush(stdout);
}

/* One control line: space-separated key=value settings, or "stats". */
static void control(char *line) {
  for (char *tok = strtok(line, " \t\r\n"); tok; tok = strtok(NULL, " \t\r\n")) {
    char *eq = strchr(tok, '=');
    double v = eq ? strtod(eq + 1, NULL) : 0;
    if (!strcmp(tok, "stats")) print_stats();
    else if (!strncmp(tok, "loss=", 5)) loss_pct = v;
    else if (!strncmp(tok, "delay=", 6)) delay_ms = v;
    else if (!strncmp(tok, "jitter=", 7)) jitter_ms = v;
    else if (!strncmp(tok, "cut=", 4)) cut = v != 0;
    else fprintf(stderr, "netem: unknown setting '%s'\n", tok);
  }
  printf("netem set loss=%g delay=%g jitter=%g cut=%d\n", loss_pct, delay_ms, jitter_ms, cut);
  fflush(stdout);
}

static void on_signal(int sig) {
  (void)sig;
  stop = 1;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: netem <tun device> <control fifo> [seed]\n");
    return 2;
  }
  if (argc > 3) rng ^= strtoull(argv[3], NULL, 10) * 0xbf58476d1ce4e5b9ull;
  int tun = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof(ifr));
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", argv[1]);
  if (tun < 0 || ioctl(tun, TUNSETIFF, &ifr) < 0) {
    fprintf(stderr, "netem: %s: %s\n", argv[1], strerror(errno));
    return 1;
  }
  /* O_RDWR: the fifo never reports end-of-file when a writer goes. */
  int ctl = open(argv[2], O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (ctl < 0) {
    fprintf(stderr, "netem: %s: %s\n", argv[2], strerror(errno));
    return 1;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  printf("netem ready on %s\n", argv[1]);
  fflush(stdout);
  static uint8_t buf[MAX_PACKET];
  char line[4096];
  size_t line_len = 0;
  while (!stop) {
    uint64_t now = now_us();
    while (n_held > 0 && heap[0].due_us <= now) {
      held_t h = heap_pop();
      if (write(tun, h.data, h.len) == (ssize_t)h.len) n_out++;
      if (h.seq < max_seq_out) n_reordered++; /* overtaken by a later packet */
      if (h.seq > max_seq_out) max_seq_out = h.seq;
      free(h.data);
    }
    struct timespec ts, *tsp = NULL;
    if (n_held > 0) {
      uint64_t wait = heap[0].due_us - now;
      ts.tv_sec = (time_t)(wait / 1000000u);
      ts.tv_nsec = (long)(wait % 1000000u) * 1000;
      tsp = &ts;
    }
    struct pollfd p[2] = {{.fd = tun, .events = POLLIN}, {.fd = ctl, .events = POLLIN}};
    if (ppoll(p, 2, tsp, NULL) < 0) {
      if (errno == EINTR) continue;
      perror("netem: poll");
      return 1;
    }
    if (p[1].revents & POLLIN) {
      ssize_t r = read(ctl, line + line_len, sizeof(line) - 1 - line_len);
      if (r > 0) line_len += (size_t)r;
      char *nl;
      while ((nl = memchr(line, '\n', line_len)) != NULL) {
        *nl = '\0';
        size_t used = (size_t)(nl - line) + 1;
        control(line);
        memmove(line, line + used, line_len - used);
        line_len -= used;
      }
      if (line_len == sizeof(line) - 1) line_len = 0; /* a line too long: dropped */
    }
    /* A batch of packets per wakeup, the rest on the next turn. */
    for (int k = 0; k < 64 && (p[0].revents & POLLIN); k++) {
      ssize_t n = read(tun, buf, sizeof(buf));
      if (n <= 0) break;
      n_in++;
      if (cut) {
        n_cut++;
      } else if (loss_pct > 0 && uniform() * 100.0 < loss_pct) {
        n_lost++;
      } else if (n_held >= MAX_QUEUED) {
        n_overflow++;
      } else {
        double d = delay_ms + (jitter_ms > 0 ? (uniform() * 2.0 - 1.0) * jitter_ms : 0);
        held_t h = {.due_us = now_us() + (uint64_t)(d > 0 ? d * 1000.0 : 0),
                    .seq = next_seq++,
                    .len = (uint32_t)n,
                    .data = malloc((size_t)n)};
        if (!h.data) {
          n_overflow++;
        } else {
          memcpy(h.data, buf, (size_t)n);
          heap_push(h);
        }
      }
      struct pollfd again = {.fd = tun, .events = POLLIN};
      if (poll(&again, 1, 0) <= 0) break;
    }
  }
  print_stats();
  return 0;
}
