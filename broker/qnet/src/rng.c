/*
 * rng.c - the trainer's and initialiser's PRNG: xoshiro256** (Blackman and
 * Vigna, 2018) seeded through splitmix64, so that one 64-bit seed fixes every
 * random choice and a run is reproducible on any platform.
 *
 * Not cryptographic, and deliberately not rand(): its sequence differs
 * between C libraries.
 */
#include "qnet-priv.h"

void qnet__rng_seed(struct qnet__rng *r, uint64_t seed)
{
	eph_rng_seed(&r->g, seed);
}

uint64_t qnet__rng_next(struct qnet__rng *r)
{
	return eph_rng_next(&r->g);
}

float qnet__rng_float(struct qnet__rng *r)
{
	return (float)(qnet__rng_next(r) >> 40) * (1.0f / 16777216.0f);
}

uint64_t qnet__rng_below(struct qnet__rng *r, uint64_t n)
{
	uint64_t limit = UINT64_MAX - UINT64_MAX % n;
	uint64_t x;

	do
		x = qnet__rng_next(r);
	while (x >= limit);
	return x % n;
}
