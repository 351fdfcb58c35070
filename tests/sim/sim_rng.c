/* xoshiro256** (Blackman and Vigna), seeded through splitmix64: small, fast and
 * the same on every platform, so a seed means the same run everywhere. A stream
 * number splits one seed into independent generators (network, application,
 * runtime), so that drawing one more number in one place does not reshuffle
 * the others. */
#include "sim.h"

static uint64_t rng_splitmix(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

void sim_rng_seed(sim_rng_t *r, uint64_t seed, uint64_t stream) {
  uint64_t x = seed ^ (stream * 0xd1b54a32d192ed03ull);
  for (int i = 0; i < 4; i++)
    r->s[i] = rng_splitmix(&x);
}

static inline uint64_t rng_rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t sim_rng_next(sim_rng_t *r) {
  uint64_t *s = r->s;
  uint64_t out = rng_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rng_rotl(s[3], 45);
  return out;
}

double sim_rng_unit(sim_rng_t *r) { return (double)(sim_rng_next(r) >> 11) * 0x1.0p-53; }

uint64_t sim_rng_range(sim_rng_t *r, uint64_t lo, uint64_t hi) {
  if (hi <= lo) return lo;
  return lo + sim_rng_next(r) % (hi - lo + 1);
}

bool sim_rng_chance(sim_rng_t *r, double p) { return p > 0 && sim_rng_unit(r) < p; }
