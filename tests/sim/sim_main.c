/* The runner: every (seed, scenario) in a child process of its own, so that each
 * starts from the same state (usrsctp's and mbedTLS's globals included), a crash
 * or a hang is one failed run, and replaying one seed alone gives what the batch
 * gave.
 *
 *   luartc_sim [--seeds N] [--first S] [--scenario NAME] [--jobs J] [--list FILE]
 *   luartc_sim --seed S [--scenario NAME] [--trace]    (replay one, with a trace)
 *
 * Seeds first..first+N-1: without --scenario, seed S runs one of the everyday
 * scenarios (S mod their count) and the rare ones (every > 1) on their multiples;
 * with it, that scenario for every seed. --list adds the (seed, scenario) pairs of
 * a regression file (tests/sim/regressions.txt); a pair marked xfail there is a
 * known failure, expected to fail (and taken out of the seed range).
 *
 * Prints one "FAIL seed=S scenario=NAME: why" line per failure, then
 * "RESULT passed=N failed=M" (tests/run_all.sh) and "N passed, M failed". */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/rtc_log.h"
#include "dtls/rtc_dtls_cert.h"
#include "srtp/rtc_srtp.h"
#include "sim.h"

#define SIM_RUN_WALL_S 300 /* a child still running after this much real time hangs */

typedef struct run {
  uint64_t seed;
  const sim_scenario_t *sc;
  pid_t pid;
  bool xfail; /* a known failure (regressions.txt): failing is expected */
} run_t;

static const sim_scenario_t *find_scenario(const char *name) {
  for (size_t i = 0; i < sim_n_scenarios; i++)
    if (strcmp(sim_scenarios[i].name, name) == 0) return &sim_scenarios[i];
  return NULL;
}

static int child_run(uint64_t seed, const sim_scenario_t *sc, bool trace, bool xfail) {
  alarm(SIM_RUN_WALL_S);
  sim_hooks_seed(seed);
  static sim_t s;
  sim_init(&s, seed, sc->name, trace);
  if (trace) printf("== seed %llu scenario %s\n", (unsigned long long)seed, sc->name);
  sc->run(&s);
  if (trace)
    printf("%12.6f end: net sent=%llu delivered=%llu lost=%llu dup=%llu queue-drops=%llu "
           "mtu-drops=%llu unroutable=%llu\n",
           (double)s.now / 1e6, (unsigned long long)s.net.sent, (unsigned long long)s.net.delivered,
           (unsigned long long)s.net.lost, (unsigned long long)s.net.dups,
           (unsigned long long)s.net.queue_drops, (unsigned long long)s.net.mtu_drops,
           (unsigned long long)s.net.unroutable);
  if (trace)
    for (int i = 0; i < s.n_flows; i++)
      printf("flow %s from %c: sent %u msgs %llu bytes, delivered %u msgs %llu bytes\n",
             s.flows[i].label, s.peers[s.flows[i].sender].name, s.flows[i].sent_msgs,
             (unsigned long long)s.flows[i].sent_bytes, s.flows[i].recv_msgs,
             (unsigned long long)s.flows[i].recv_bytes);
  bool failed = s.failed;
  if (failed)
    printf("%s seed=%llu scenario=%s: %s\n", xfail ? "XFAIL" : "FAIL", (unsigned long long)seed,
           sc->name, s.why);
  sim_free(&s);
  fflush(stdout);
  return failed ? 1 : 0;
}

static int passed, failed, xfailed;

static void reap(run_t *r, int status) {
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    passed++;
    if (r->xfail)
      printf("XPASS seed=%llu scenario=%s: fixed? drop \"xfail\" in regressions.txt\n",
             (unsigned long long)r->seed, r->sc->name);
    return;
  }
  if (r->xfail && WIFEXITED(status) && WEXITSTATUS(status) == 1) {
    xfailed++; /* it said why */
    return;
  }
  failed++;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 1) return; /* it said why */
  if (WIFSIGNALED(status))
    printf("FAIL seed=%llu scenario=%s: %s (signal %d)\n", (unsigned long long)r->seed,
           r->sc->name, WTERMSIG(status) == SIGALRM ? "hung" : "crashed", WTERMSIG(status));
  else
    printf("FAIL seed=%llu scenario=%s: exit %d\n", (unsigned long long)r->seed, r->sc->name,
           WEXITSTATUS(status));
  fflush(stdout);
}

/* The checks themselves must be able to fail: each injected fault must be caught
 * (a "close" run with variant 2/3 closes the pc; seed 7 does). */
static int self_test(void) {
  int caught = 0, missed = 0;
  for (int k = 1; k < SIM_INJECT_N; k++) {
    sim_inject = (sim_inject_t)k;
    const sim_scenario_t *sc = k == SIM_INJECT_AFTER_CLOSE ? find_scenario("close")
                                                            : find_scenario("reliable");
    uint64_t seed = k == SIM_INJECT_AFTER_CLOSE ? 7 : 1;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
      int devnull = open("/dev/null", O_WRONLY);
      if (devnull >= 0) dup2(devnull, 1);
      _exit(child_run(seed, sc, false, false));
    }
    int status = 0;
    waitpid(pid, &status, 0);
    bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 1;
    printf("selftest %s: %s\n", sim_inject_names[k], ok ? "caught" : "NOT CAUGHT");
    ok ? caught++ : missed++;
  }
  sim_inject = SIM_INJECT_NONE;
  /* The same seed twice gives the same trace, byte for byte (every datagram, drop
   * and event on the virtual clock): what makes a failing seed worth reporting. */
  const char *dscen[] = {"reliable", "restart", "cut8"};
  for (size_t k = 0; k < 3; k++) {
    char *trace[2] = {NULL, NULL};
    size_t len[2] = {0, 0};
    for (int i = 0; i < 2; i++) {
      FILE *f = tmpfile();
      fflush(stdout);
      pid_t pid = fork();
      if (pid == 0) {
        dup2(fileno(f), 1);
        _exit(child_run(11, find_scenario(dscen[k]), true, false));
      }
      int status = 0;
      waitpid(pid, &status, 0);
      long n = ftell(f);
      if (n > 0) {
        trace[i] = malloc((size_t)n);
        rewind(f);
        len[i] = fread(trace[i], 1, (size_t)n, f);
      }
      fclose(f);
    }
    /* The runner's own "sim:" line carries wall time; children print none. */
    bool same = len[0] > 0 && len[0] == len[1] && memcmp(trace[0], trace[1], len[0]) == 0;
    printf("selftest replay %s: %s (%zu bytes of trace)\n", dscen[k],
           same ? "identical" : "DIFFERENT", len[0]);
    same ? caught++ : missed++;
    free(trace[0]);
    free(trace[1]);
  }
  printf("RESULT passed=%d failed=%d\n", caught, missed);
  return missed ? 1 : 0;
}

int main(int argc, char **argv) {
  uint64_t seeds = 1000, first = 1, one_seed = 0;
  bool have_seed = false, trace = false;
  const char *only = NULL, *list = NULL;
  int jobs = 1;
  bool selftest = false;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--seeds") && v) seeds = strtoull(argv[++i], NULL, 10);
    else if (!strcmp(a, "--first") && v) first = strtoull(argv[++i], NULL, 10);
    else if (!strcmp(a, "--seed") && v) one_seed = strtoull(argv[++i], NULL, 10), have_seed = true;
    else if (!strcmp(a, "--scenario") && v) only = argv[++i];
    else if (!strcmp(a, "--jobs") && v) jobs = atoi(argv[++i]);
    else if (!strcmp(a, "--list") && v) list = argv[++i];
    else if (!strcmp(a, "--trace")) trace = true;
    else if (!strcmp(a, "--selftest")) selftest = true;
    else {
      fprintf(stderr, "usage: %s [--seeds N] [--first S] [--seed S] [--scenario NAME] [--jobs J] "
                      "[--list FILE] [--trace]\nscenarios:", argv[0]);
      for (size_t k = 0; k < sim_n_scenarios; k++) fprintf(stderr, " %s", sim_scenarios[k].name);
      fprintf(stderr, "\n");
      return 2;
    }
  }
  if (only && strlen(only) && !find_scenario(only)) {
    fprintf(stderr, "no scenario %s\n", only);
    return 2;
  }
  if (jobs < 1) jobs = 1;
  rtc_log_set_level(trace ? (getenv("SIM_LOG_DEBUG") ? RTC_LOG_DEBUG : RTC_LOG_INFO) : RTC_LOG_ERROR);
  /* What every child shares, made once: the certificate (from a fixed seed), and
   * libsrtp2 kept warm. Debian's libsrtp2 runs on NSS, which it opens per cipher
   * context and closes with the last one: each pc's SRTP pair (keyed even without
   * media) would dlopen NSS again, ~25 ms a run. A session held open here keeps
   * NSS loaded in every child. */
  sim_hooks_seed(0);
  if (!rtc_dtls_cert_default() || rtc_srtp_init() != 0) {
    fprintf(stderr, "no certificate or no libsrtp2\n");
    return 1;
  }
  static const uint16_t profiles[] = {RTC_SRTP_AES128_CM_SHA1_80, RTC_SRTP_AEAD_AES_128_GCM,
                                      RTC_SRTP_AEAD_AES_256_GCM};
  static rtc_srtp_t *warm[3];
  for (size_t k = 0; k < 3; k++) {
    static const uint8_t key[32], salt[14];
    rtc_srtp_config_t sc = {.profile = profiles[k], .client_key = key, .server_key = key,
                            .client_salt = salt, .server_salt = salt};
    if (rtc_srtp_profile_lengths(profiles[k], &sc.key_len, &sc.salt_len) == 0)
      rtc_srtp_create(&sc, &warm[k]); /* best effort: only a matter of speed */
  }
  if (selftest) return self_test();
  /* The runs. */
  size_t cap = 1024, n = 0, n_listed = 0;
  run_t *runs = malloc(cap * sizeof(*runs));
  if (list && !have_seed) { /* regression seeds, "seed scenario  # why" per line, run too */
    FILE *f = fopen(list, "r");
    if (!f) {
      perror(list);
      return 1;
    }
    char line[512], name[64], mark[16];
    unsigned long long sd;
    while (fgets(line, sizeof(line), f)) {
      int got = sscanf(line, "%llu %63s %15s", &sd, name, mark);
      if (got < 2) continue;
      bool xf = got == 3 && strcmp(mark, "xfail") == 0;
      const sim_scenario_t *sc = find_scenario(name);
      if (!sc) {
        fprintf(stderr, "%s: no scenario %s\n", list, name);
        return 1;
      }
      if (n == cap) runs = realloc(runs, (cap *= 2) * sizeof(*runs));
      runs[n++] = (run_t){sd, sc, 0, xf};
      n_listed = n;
    }
    fclose(f);
  }
  {
    uint64_t lo = have_seed ? one_seed : first, hi = have_seed ? one_seed : first + seeds - 1;
    /* Without a scenario named, seed S runs the (S mod n)-th of the n everyday
     * scenarios, and the rare ones (every > 1) when S is a multiple of theirs. */
    size_t n_daily = 0;
    for (size_t k = 0; k < sim_n_scenarios; k++)
      n_daily += sim_scenarios[k].every == 1;
    for (uint64_t sd = lo; sd <= hi && (seeds || have_seed); sd++)
      for (size_t k = 0, daily = 0; k < sim_n_scenarios; k++) {
        const sim_scenario_t *sc = &sim_scenarios[k];
        bool pick;
        if (only && strlen(only)) pick = strcmp(only, sc->name) == 0;
        else if (sc->every == 1) pick = sd % n_daily == daily++;
        else pick = sc->every > 1 && sd % sc->every == 0;
        if (!pick) continue;
        bool listed = false; /* a known failure already runs from the list */
        for (size_t k2 = 0; k2 < n_listed; k2++)
          listed |= runs[k2].xfail && runs[k2].seed == sd && runs[k2].sc == sc;
        if (listed) continue;
        if (n == cap) runs = realloc(runs, (cap *= 2) * sizeof(*runs));
        runs[n++] = (run_t){sd, sc, 0, false};
      }
  }
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  fflush(stdout);
  size_t next = 0, running = 0;
  while (next < n || running) {
    while (next < n && running < (size_t)jobs) {
      run_t *r = &runs[next++];
      fflush(stdout); /* or the child inherits (and prints again) what is buffered */
      pid_t pid = fork();
      if (pid == 0) _exit(child_run(r->seed, r->sc, trace, r->xfail));
      if (pid < 0) {
        perror("fork");
        return 1;
      }
      r->pid = pid;
      running++;
    }
    int status;
    pid_t pid = wait(&status);
    if (pid < 0) break;
    for (size_t k = 0; k < next; k++)
      if (runs[k].pid == pid) {
        runs[k].pid = 0;
        reap(&runs[k], status);
        running--;
        break;
      }
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  printf("sim: %zu runs in %.1f s wall (%.1f runs/s, %d jobs)\n", n, secs,
          secs > 0 ? (double)n / secs : 0.0, jobs);
  printf("RESULT passed=%d failed=%d skipped=%d\n", passed, failed, xfailed);
  printf("%d passed, %d failed (%d known failures)\n", passed, failed, xfailed);
  free(runs);
  return failed ? 1 : 0;
}
