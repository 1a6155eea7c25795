/*
 * eph_rng.h - the one seeded pseudo-random generator of Ephemera's
 * simulator and learner: xoshiro256** (Blackman and Vigna) seeded through
 * splitmix64, so that a seed gives the same sequence on every machine and
 * build (training runs and episodes are reproducible byte for byte).
 * Not for secrets: keys and nonces come from getrandom(2) / OpenSSL.
 */
#ifndef EPH_RNG_H
#define EPH_RNG_H

#include <stdint.h>

struct eph_rng {
	uint64_t s[4];
};

/* splitmix64 step: advances *x and returns the next output. */
uint64_t eph_splitmix64(uint64_t *x);

void eph_rng_seed(struct eph_rng *r, uint64_t seed);
uint64_t eph_rng_next(struct eph_rng *r);

#endif
